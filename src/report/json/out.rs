//! JSON values appended to a byte buffer, byte for byte as serde_json writes them: strings
//! escaped by the same rules, numbers through serde_json's own formatter.
//!
//! Strings are scanned eight bytes at a time and copied whole when nothing in them needs an
//! escape, as nearly every string of a report does.

use std::fmt;

use serde_json::ser::{CompactFormatter, Formatter};

/// A byte buffer that JSON is written into.
pub(crate) struct Out<'o>(pub &'o mut Vec<u8>);

impl Out<'_> {
    /// Bytes that are JSON already (punctuation, `"key":`).
    #[inline]
    pub(crate) fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    /// A string, quoted and escaped.
    #[inline]
    pub(crate) fn str(&mut self, s: &str) {
        self.0.push(b'"');
        escape(self.0, s);
        self.0.push(b'"');
    }

    /// The inside of a string: `s` escaped, without quotes.
    #[inline]
    pub(crate) fn escaped(&mut self, s: &str) {
        escape(self.0, s);
    }

    /// A string written by `write`, quoted and escaped piece by piece as it comes.
    #[inline]
    pub(crate) fn str_with(&mut self, write: impl FnOnce(&mut Escaped<'_>) -> fmt::Result) {
        self.0.push(b'"');
        // Writing into memory cannot fail; a `Display` impl that fails would have made
        // serde_json fail too, and none in the report does.
        let _ = write(&mut Escaped(self.0));
        self.0.push(b'"');
    }

    /// A `Display` value as a string.
    #[inline]
    pub(crate) fn display(&mut self, value: &impl fmt::Display) {
        self.str_with(|e| fmt::write(e, format_args!("{value}")));
    }

    /// A whole number.
    #[inline]
    pub(crate) fn u64(&mut self, n: u64) {
        let _ = CompactFormatter.write_u64(self.0, n);
    }

    /// A float, `null` when it is not finite (as serde_json writes it).
    #[inline]
    pub(crate) fn f64(&mut self, v: f64) {
        if v.is_finite() {
            let _ = CompactFormatter.write_f64(self.0, v);
        } else {
            self.raw("null");
        }
    }

    /// `[a,b,...]`, each element written by `each`.
    #[inline]
    pub(crate) fn seq<T>(
        &mut self,
        items: impl IntoIterator<Item = T>,
        mut each: impl FnMut(&mut Self, T),
    ) {
        self.0.push(b'[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.0.push(b',');
            }
            each(self, item);
        }
        self.0.push(b']');
    }

    /// `[...]` of strings.
    #[inline]
    pub(crate) fn strs<'s>(&mut self, items: impl IntoIterator<Item = &'s str>) {
        self.seq(items, |o, s| o.str(s));
    }
}

/// The inside of a JSON string being written: what is written to it is escaped.
pub(crate) struct Escaped<'o>(&'o mut Vec<u8>);

impl fmt::Write for Escaped<'_> {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape(self.0, s);
        Ok(())
    }
}

/// A word with `byte` in each of its eight bytes.
const fn each(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

/// True when a byte of `w` is a control character (below 0x20), `"` or `\`: exact, with no
/// false positives (each test is the classic "has a zero byte" test, `x - 0x01.. & !x & 0x80..`,
/// which is exact as to whether any byte matches).
#[inline]
fn needs_escape(w: u64) -> bool {
    let high = each(0x80);
    let below_space = w.wrapping_sub(each(0x20)) & !w;
    let quote = w ^ each(b'"');
    let quote = quote.wrapping_sub(each(1)) & !quote;
    let backslash = w ^ each(b'\\');
    let backslash = backslash.wrapping_sub(each(1)) & !backslash;
    (below_space | quote | backslash) & high != 0
}

/// Appends `s` with `"`, `\` and control characters escaped, as serde_json does: `\"`, `\\`,
/// `\b`, `\t`, `\n`, `\f`, `\r`, and `\u00xx` (lowercase hex) for the other control
/// characters; everything else, DEL and non-ASCII included, as it is.
#[inline]
pub(crate) fn escape(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if is_clean(bytes) {
        out.extend_from_slice(bytes);
    } else {
        escape_each(out, bytes);
    }
}

/// The eight bytes of `chunk` as one word.
#[inline]
fn word(chunk: &[u8]) -> u64 {
    u64::from_ne_bytes(chunk.try_into().expect("eight bytes"))
}

/// True when no byte of `bytes` needs an escape, tested a word at a time.
#[inline]
fn is_clean(bytes: &[u8]) -> bool {
    if bytes.len() < 8 {
        // Padded with spaces, which need no escape.
        let mut w = each(b' ');
        for (k, &b) in bytes.iter().enumerate() {
            w = w & !(0xFF << (8 * k)) | (b as u64) << (8 * k);
        }
        return !needs_escape(w);
    }
    let chunks = bytes.chunks_exact(8);
    // The last eight bytes, overlapping the last whole chunk: no tail to go through byte by byte.
    let last = word(&bytes[bytes.len() - 8..]);
    !needs_escape(last) && !chunks.into_iter().any(|c| needs_escape(word(c)))
}

/// The escaping of a string that needs it, byte by byte.
#[cold]
fn escape_each(out: &mut Vec<u8>, bytes: &[u8]) {
    // Copied up to here.
    let mut done = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x09 => b't',
            0x0A => b'n',
            0x0C => b'f',
            0x0D => b'r',
            0x00..=0x1F => b'u',
            _ => continue,
        };
        out.extend_from_slice(&bytes[done..i]);
        done = i + 1;
        if short == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 0xF) as usize],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', short]);
        }
    }
    out.extend_from_slice(&bytes[done..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(s: &str) -> String {
        let mut v = Vec::new();
        Out(&mut v).str(s);
        String::from_utf8(v).expect("UTF-8")
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut cases: Vec<String> = [
            "",
            "plain",
            "a \"quoted\" word",
            "back\\slash",
            "tab\there, new\nline, cr\r, ff\x0c, bs\x08, nul\0, unit\x1f, del\x7f",
            "über 5 µg — “smart” quotes, 日本語, emoji 💊",
            "exactly8",
            "\"\"\"\"\"\"\"\"\"",
            "1234567\"",
            "12345678\\",
            "`warfarin` (from `coumadin`): 10 mg is over the daily maximum",
        ]
        .map(String::from)
        .to_vec();
        // Every byte value that is a char on its own, at every offset within a word.
        for c in (0u8..0x80).map(char::from).chain(['é', '€', '\u{10FFFF}']) {
            for pad in 0..10 {
                cases.push(format!("{}{c}{}", "x".repeat(pad), "y".repeat(9 - pad)));
            }
        }
        for s in &cases {
            assert_eq!(ours(s), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn display_values_are_escaped_like_strings() {
        let mut v = Vec::new();
        Out(&mut v).display(&format_args!("{}\"{}\n", "a", 5));
        assert_eq!(v, br#""a\"5\n""#);
    }

    #[test]
    fn numbers_are_written_as_serde_json_writes_them() {
        for n in [0u64, 1, 9, 10, 99, 12345, u32::MAX as u64, u64::MAX] {
            let mut v = Vec::new();
            Out(&mut v).u64(n);
            assert_eq!(v, serde_json::to_vec(&n).unwrap());
        }
        let floats = [
            0.0,
            -0.0,
            1.0,
            650.0,
            0.5,
            2.5,
            1.0 / 3.0,
            2.0 / 3.0,
            1e-7,
            1.5e-10,
            123456789.125,
            1e15,
            1e16,
            1e21,
            1e22,
            f64::MAX,
            f64::MIN_POSITIVE,
            -4000.0,
            96.123456,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for x in floats {
            let mut v = Vec::new();
            Out(&mut v).f64(x);
            assert_eq!(
                String::from_utf8(v).unwrap(),
                serde_json::to_string(&x).unwrap(),
                "{x}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_escaped_as_serde_json_escapes_it(s in "\\PC*|[\\x00-\\x7f]{0,40}") {
            proptest::prop_assert_eq!(ours(&s), serde_json::to_string(&s).unwrap());
        }

        #[test]
        fn any_float_is_written_as_serde_json_writes_it(x in proptest::num::f64::ANY) {
            let mut v = Vec::new();
            Out(&mut v).f64(x);
            proptest::prop_assert_eq!(String::from_utf8(v).unwrap(), serde_json::to_string(&x).unwrap());
        }
    }
}
