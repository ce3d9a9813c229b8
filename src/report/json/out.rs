//! JSON values appended to a byte buffer, byte for byte as serde_json writes them: strings
//! escaped by the same rules, numbers formatted as serde_json formats them.
//!
//! A report line is a few hundred short strings (ids, words) with punctuation between them, so
//! what a string costs apart from its bytes is most of what writing costs. [`Out`] therefore
//! keeps zeroed room past the end of the buffer and writes into it in whole words: a string of
//! up to 64 bytes (every id of the bundled data, most skip reasons) is at most eight eight-byte
//! loads, the escape test on those words, as many stores and the quotes, with one check of the
//! room and no call to `memcpy` or out of line. Longer strings
//! are tested and copied a word at a time, the test accumulated without a branch per word. A
//! string that does need an escape (almost never) is written byte by byte.

use std::fmt;

use serde_json::ser::{CompactFormatter, Formatter};

use crate::units::Ratio;

/// Room added past the end at a time (zeroed once, then written over): about half a compact
/// line, so that a line grows its room two or three times, and under the 2 KiB from which
/// glibc zeroes memory with `rep stosb` instead of vector stores (a first reservation sized
/// to the whole line measured worse for that reason).
const GROW: usize = 2000;

/// The longest string copied in a fixed number of word loads and stores (at most eight): long
/// enough for the ids of combination products (`acetaminophen-codeine-oral-solution`), which
/// are a finding's items, its id and, in the full form, its rule's texts.
const SHORT: usize = 64;

/// A byte buffer that JSON is written into.
///
/// The bytes written so far are `buf[..len]`; `buf[len..]` is room already allocated and
/// zeroed (or written before and no longer wanted), written into before `len` moves over it.
/// Dropping the `Out` cuts the buffer back to `len`, so the room is never seen, unless it was
/// made with [`Out::over`].
pub(crate) struct Out<'o> {
    buf: &'o mut Vec<u8>,
    len: usize,
    /// Whether the room stays in the buffer when the `Out` is dropped ([`Out::over`]).
    keep_room: bool,
}

impl Drop for Out<'_> {
    fn drop(&mut self) {
        if !self.keep_room {
            self.buf.truncate(self.len);
        }
    }
}

impl<'o> Out<'o> {
    /// Appends to `buf`.
    pub(crate) fn new(buf: &'o mut Vec<u8>) -> Out<'o> {
        let len = buf.len();
        Out {
            buf,
            len,
            keep_room: false,
        }
    }

    /// Writes over `buf` from `at`: its bytes from there on are room (written before, no
    /// longer wanted), and the room is left in `buf` when the `Out` is dropped, for the next
    /// writer to write over. So a run of lines written one after the other into one buffer
    /// zeroes its room once, not once a line; the caller keeps where the written bytes end
    /// ([`Out::len`]).
    pub(crate) fn over(buf: &'o mut Vec<u8>, at: usize) -> Out<'o> {
        debug_assert!(at <= buf.len());
        Out {
            buf,
            len: at,
            keep_room: true,
        }
    }

    /// The next `n` bytes of room, made when there are not that many.
    #[inline(always)]
    fn room(&mut self, n: usize) -> &mut [u8] {
        if self.buf.len() - self.len < n {
            self.grow(n);
        }
        &mut self.buf[self.len..self.len + n]
    }

    /// Makes at least `n` bytes of room, adding [`GROW`] bytes past the room there is when
    /// that is enough (as nearly always), so that a line grows its room as few times as its
    /// length needs.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, n: usize) {
        self.buf
            .resize((self.buf.len() + GROW).max(self.len + n), 0);
    }

    /// The buffer itself, cut back to what is written, for `f` to append to.
    fn append(&mut self, f: impl FnOnce(&mut Vec<u8>)) {
        self.buf.truncate(self.len);
        f(self.buf);
        self.len = self.buf.len();
    }

    /// Bytes that are JSON already (punctuation, `"key":`).
    #[inline(always)]
    pub(crate) fn raw(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    /// Bytes that are JSON already (a piece written before).
    #[inline(always)]
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        let n = b.len();
        self.room(n).copy_from_slice(b);
        self.len += n;
    }

    /// How many bytes the buffer holds, to be given to [`Out::since`].
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The bytes written since the buffer held `start`.
    #[inline(always)]
    pub(crate) fn since(&self, start: usize) -> &[u8] {
        &self.buf[start..self.len]
    }

    /// A string, quoted and escaped.
    #[inline]
    pub(crate) fn str(&mut self, s: &str) {
        self.put::<true, true>(s);
    }

    /// The inside of a string: `s` escaped, without quotes.
    #[inline]
    pub(crate) fn escaped(&mut self, s: &str) {
        self.put::<false, true>(s);
    }

    /// A string known to need no escape, quoted: an id of the knowledge base, which
    /// validation holds to lowercase letters, digits and hyphens (see `is_id` in
    /// `model::build`; beyond ASCII, letters of a name key, which are never `"`, `\` or a
    /// control character), or one of the checker's own words. Written without the scan.
    #[inline]
    pub(crate) fn id(&mut self, s: &str) {
        debug_assert!(is_clean(s.as_bytes()), "{s:?} needs escaping");
        self.put::<true, false>(s);
    }

    /// `s` escaped when `SCAN` (else known to need no escape), in quotes when `QUOTE`.
    #[inline(always)]
    fn put<const QUOTE: bool, const SCAN: bool>(&mut self, s: &str) {
        let room = self.room(s.len().max(SHORT) + 2);
        match put_in::<QUOTE, SCAN>(room, s.as_bytes()) {
            Some(n) => self.len += n,
            None => self.escape_slow(s, QUOTE),
        }
    }

    /// `s`, which needs an escape, escaped byte by byte.
    #[cold]
    #[inline(never)]
    fn escape_slow(&mut self, s: &str, quote: bool) {
        self.append(|out| escape_quoted(out, s, quote));
    }

    /// Runs `f` on a [`Window`] of `bound` bytes of room, which must be at least what `f`
    /// writes (counting six bytes for each byte of a string that may need an escape) and
    /// [`Window::SLACK`] more.
    #[inline(always)]
    pub(crate) fn window(&mut self, bound: usize, f: impl FnOnce(&mut Window<'_>)) {
        let mut w = Window {
            room: self.room(bound),
            at: 0,
        };
        f(&mut w);
        self.len += w.at;
    }

    /// A string written by `write`, quoted and escaped piece by piece as it comes.
    #[inline]
    pub(crate) fn str_with(&mut self, write: impl FnOnce(&mut Escaped<'_, 'o>) -> fmt::Result) {
        self.raw("\"");
        // Writing into memory cannot fail; a `Display` impl that fails would have made
        // serde_json fail too, and none in the report does.
        let _ = write(&mut Escaped(self));
        self.raw("\"");
    }

    /// A float, `null` when it is not finite (as serde_json writes it).
    #[cfg(test)]
    pub(crate) fn f64(&mut self, v: f64) {
        self.window(Window::FLOAT + Window::SLACK, |w| w.f64(v));
    }

    /// A value as serde_json writes it.
    pub(crate) fn serde(&mut self, value: &impl serde::Serialize) {
        self.append(|out| serde_json::to_writer(out, value).expect("writing to memory succeeds"));
    }

    /// `[a,b,...]`, each element written by `each`.
    #[inline]
    pub(crate) fn seq<T>(
        &mut self,
        items: impl IntoIterator<Item = T>,
        mut each: impl FnMut(&mut Self, T),
    ) {
        self.raw("[");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.raw(",");
            }
            each(self, item);
        }
        self.raw("]");
    }

    /// `[...]` of strings.
    #[inline]
    pub(crate) fn strs<'s>(&mut self, items: impl IntoIterator<Item = &'s str>) {
        self.seq(items, |o, s| o.str(s));
    }
}

/// Floats whole and smaller than this in magnitude are written without `zmij`.
const WHOLE_FLOATS: f64 = 1e15;

/// Room of a known size, written through a position kept in a local: pieces written through a
/// window need no check of the buffer's room each, and the compiler can keep the position in a
/// register. Panics (a bug, never bad output) when more is written than the room it was given.
pub(crate) struct Window<'w> {
    room: &'w mut [u8],
    at: usize,
}

impl Window<'_> {
    /// What a window needs past the end of what is written in it, for word-sized stores.
    pub(crate) const SLACK: usize = SHORT + 2;

    /// Bytes that are JSON already.
    #[inline(always)]
    pub(crate) fn raw(&mut self, s: &str) {
        let n = s.len();
        self.room[self.at..self.at + n].copy_from_slice(s.as_bytes());
        self.at += n;
    }

    /// The most bytes [`Window::f64`] writes (serde_json's longest float is 24 bytes).
    pub(crate) const FLOAT: usize = 32;

    /// A float as serde_json writes it, `null` when it is not finite ([`Window::FLOAT`] bytes at
    /// most).
    #[inline]
    pub(crate) fn f64(&mut self, v: f64) {
        if !v.is_finite() {
            return self.raw("null");
        }
        if v.fract() == 0.0 && v.abs() < WHOLE_FLOATS {
            // A whole number below 10^15 is written in full with `.0` (serde_json's `zmij`
            // writes decimal exponents up to 15 without an exponent), `-0.0` as such.
            if v.is_sign_negative() {
                self.raw("-");
            }
            self.u64(v.abs() as u64);
            return self.raw(".0");
        }
        // serde_json's own formatting, into the room.
        let mut rest = &mut self.room[self.at..self.at + Self::FLOAT];
        CompactFormatter
            .write_f64(&mut rest, v)
            .expect("room for the longest float");
        self.at += Self::FLOAT - rest.len();
    }

    /// A value as [`Window::f64`] writes its float ([`Window::FLOAT`] bytes at most): a whole
    /// number below [`WHOLE_FLOATS`] straight from its integer (the float would be that integer
    /// exactly, written the same way), anything else through the float.
    #[inline(always)]
    pub(crate) fn ratio(&mut self, v: Ratio) {
        let n = v.numer().unsigned_abs();
        if v.denom() == 1 && n < WHOLE_FLOATS as u128 {
            if v.numer() < 0 {
                self.raw("-");
            }
            self.u64(n as u64);
            return self.raw(".0");
        }
        self.f64(v.to_f64());
    }

    /// The first `len` bytes of `bytes`, which are JSON already; the rest of `bytes` (`N`
    /// bytes in all are stored, in a few fixed stores) is room, written over after.
    #[inline(always)]
    pub(crate) fn padded<const N: usize>(&mut self, bytes: &[u8; N], len: usize) {
        self.room[self.at..self.at + N].copy_from_slice(bytes);
        self.at += len;
    }

    /// The decimal digits of `n`, as serde_json writes them (through `itoa`); twenty bytes at
    /// most. Written last digit first straight into the room, its length known first; one or
    /// two digits (the counts of a line, mostly) without working out the length.
    #[inline(always)]
    pub(crate) fn u64(&mut self, mut n: u64) {
        if n < 10 {
            self.room[self.at] = b'0' + n as u8;
            self.at += 1;
            return;
        }
        if n < 100 {
            self.room[self.at..self.at + 2]
                .copy_from_slice(&[b'0' + (n / 10) as u8, b'0' + (n % 10) as u8]);
            self.at += 2;
            return;
        }
        let len = n.checked_ilog10().map_or(1, |l| l as usize + 1);
        for d in self.room[self.at..self.at + len].iter_mut().rev() {
            *d = b'0' + (n % 10) as u8;
            n /= 10;
        }
        self.at += len;
    }

    /// As [`Out::str`].
    #[inline(always)]
    pub(crate) fn str(&mut self, s: &str) {
        self.put::<true, true>(s);
    }

    /// As [`Out::escaped`].
    #[inline(always)]
    pub(crate) fn escaped(&mut self, s: &str) {
        self.put::<false, true>(s);
    }

    /// As [`Out::id`].
    #[inline(always)]
    pub(crate) fn id(&mut self, s: &str) {
        debug_assert!(is_clean(s.as_bytes()), "{s:?} needs escaping");
        self.put::<true, false>(s);
    }

    /// [`Window::id`] without quotes: a piece of a string.
    #[inline(always)]
    pub(crate) fn id_piece(&mut self, s: &str) {
        debug_assert!(is_clean(s.as_bytes()), "{s:?} needs escaping");
        self.put::<false, false>(s);
    }

    #[inline(always)]
    fn put<const QUOTE: bool, const SCAN: bool>(&mut self, s: &str) {
        let room = &mut self.room[self.at..];
        self.at += match put_in::<QUOTE, SCAN>(room, s.as_bytes()) {
            Some(n) => n,
            None => escape_in(room, s, QUOTE),
        };
    }
}

/// Writes `s` at the start of `room` (which has at least `s.len().max(SHORT) + 2` bytes), in
/// quotes when `QUOTE`; returns how many bytes that is, or, when `SCAN` and `s` needs an
/// escape, `None` (and what was written is to be written over).
#[inline(always)]
fn put_in<const QUOTE: bool, const SCAN: bool>(room: &mut [u8], s: &[u8]) -> Option<usize> {
    let n = s.len();
    if n > SHORT {
        return put_in_long::<QUOTE, SCAN>(room, s);
    }
    let q = usize::from(QUOTE);
    let room = &mut room[..SHORT + 2];
    if QUOTE {
        room[0] = b'"';
    }
    let flags = copy_short(&mut room[q..q + SHORT], s);
    if SCAN && flags & each(0x80) != 0 {
        return None;
    }
    if QUOTE {
        room[n + 1] = b'"';
    }
    Some(n + 2 * q)
}

/// [`put_in`] for a string of more than [`SHORT`] bytes: copied and tested a word at a time.
#[inline(never)]
fn put_in_long<const QUOTE: bool, const SCAN: bool>(room: &mut [u8], s: &[u8]) -> Option<usize> {
    let n = s.len();
    let q = usize::from(QUOTE);
    let room = &mut room[..n + 2 * q];
    if QUOTE {
        room[0] = b'"';
    }
    let body = &mut room[q..q + n];
    let mut flags = 0;
    let mut from = s.chunks_exact(8);
    for (to, w) in body.chunks_exact_mut(8).zip(&mut from) {
        let w = word(w);
        if SCAN {
            flags |= escape_flags(w);
        }
        to.copy_from_slice(&w.to_ne_bytes());
    }
    if !from.remainder().is_empty() {
        // The last eight bytes, overlapping the last whole word.
        let w = word(&s[n - 8..]);
        if SCAN {
            flags |= escape_flags(w);
        }
        body[n - 8..].copy_from_slice(&w.to_ne_bytes());
    }
    if SCAN && flags & each(0x80) != 0 {
        return None;
    }
    if QUOTE {
        room[n + 1] = b'"';
    }
    Some(n + 2 * q)
}

/// Appends `s` escaped, in quotes when `quote`.
fn escape_quoted(out: &mut Vec<u8>, s: &str, quote: bool) {
    if quote {
        out.push(b'"');
    }
    escape_each(out, s.as_bytes());
    if quote {
        out.push(b'"');
    }
}

/// Writes `s`, which needs an escape, escaped (in quotes when `quote`) at the start of `room`;
/// returns how many bytes that is.
#[cold]
#[inline(never)]
fn escape_in(room: &mut [u8], s: &str, quote: bool) -> usize {
    let mut escaped = Vec::new();
    escape_quoted(&mut escaped, s, quote);
    room[..escaped.len()].copy_from_slice(&escaped);
    escaped.len()
}

/// The inside of a JSON string being written: what is written to it is escaped.
pub(crate) struct Escaped<'a, 'o>(&'a mut Out<'o>);

impl fmt::Write for Escaped<'_, '_> {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.escaped(s);
        Ok(())
    }
}

/// A word with `byte` in each of its eight bytes.
const fn each(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

/// A word whose high bits (`& each(0x80)`) are not all clear exactly when a byte of `w` is a
/// control character (below 0x20), `"` or `\`; flags of several words may be or-ed before
/// that test.
///
/// `x - 0x01.. & !x & 0x80..` is the classic "has a byte below 0x01" test, exact as to whether
/// any byte matches (it may set flags above a true match, never without one), and the same
/// with `0x21` tests for a byte below 0x21. `w ^ 0x02..` maps exactly the bytes below 0x20
/// and `"` (0x22) below 0x21 (`0x20` goes to 0x22, `0x21` to 0x23), and `w ^ 0x5c..` maps
/// exactly `\` to zero.
#[inline(always)]
fn escape_flags(w: u64) -> u64 {
    let low_or_quote = w ^ each(0x02);
    let low_or_quote = low_or_quote.wrapping_sub(each(0x21)) & !low_or_quote;
    let backslash = w ^ each(b'\\');
    let backslash = backslash.wrapping_sub(each(0x01)) & !backslash;
    low_or_quote | backslash
}

/// The eight bytes of `chunk` as one word.
#[inline(always)]
fn word(chunk: &[u8]) -> u64 {
    u64::from_ne_bytes(chunk.try_into().expect("eight bytes"))
}

/// The four bytes of `chunk` as one word.
#[inline(always)]
fn half(chunk: &[u8]) -> u32 {
    u32::from_ne_bytes(chunk.try_into().expect("four bytes"))
}

/// Copies `b` (at most [`SHORT`] bytes) to the start of `to` ([`SHORT`] bytes; what is past
/// `b.len()` is left as it may be) in at most eight loads and stores, and returns the
/// [`escape_flags`] of its bytes.
#[inline(always)]
fn copy_short(to: &mut [u8], b: &[u8]) -> u64 {
    let n = b.len();
    let to = &mut to[..SHORT];
    if n > 32 {
        // Thirty-two bytes at each end, overlapping unless there are sixty-four.
        let mut flags = 0;
        for k in 0..4 {
            let (head, tail) = (word(&b[8 * k..8 * k + 8]), word(&b[n - 32 + 8 * k..][..8]));
            to[8 * k..8 * k + 8].copy_from_slice(&head.to_ne_bytes());
            to[n - 32 + 8 * k..][..8].copy_from_slice(&tail.to_ne_bytes());
            flags |= escape_flags(head) | escape_flags(tail);
        }
        flags
    } else if n > 16 {
        // Sixteen bytes at each end, overlapping unless there are thirty-two.
        let words = [
            word(&b[..8]),
            word(&b[8..16]),
            word(&b[n - 16..n - 8]),
            word(&b[n - 8..]),
        ];
        to[..8].copy_from_slice(&words[0].to_ne_bytes());
        to[8..16].copy_from_slice(&words[1].to_ne_bytes());
        to[n - 16..n - 8].copy_from_slice(&words[2].to_ne_bytes());
        to[n - 8..n].copy_from_slice(&words[3].to_ne_bytes());
        escape_flags(words[0])
            | escape_flags(words[1])
            | escape_flags(words[2])
            | escape_flags(words[3])
    } else if n >= 8 {
        // The first eight bytes and the last eight, which overlap unless there are sixteen.
        let (first, last) = (word(&b[..8]), word(&b[n - 8..]));
        to[..8].copy_from_slice(&first.to_ne_bytes());
        to[n - 8..n].copy_from_slice(&last.to_ne_bytes());
        escape_flags(first) | escape_flags(last)
    } else if n >= 4 {
        let (first, last) = (half(&b[..4]), half(&b[n - 4..]));
        to[..4].copy_from_slice(&first.to_ne_bytes());
        to[n - 4..n].copy_from_slice(&last.to_ne_bytes());
        escape_flags(u64::from(first) | u64::from(last) << 32)
    } else if n > 0 {
        // The first, middle and last bytes are all of one to three, padded with spaces.
        let (first, mid, last) = (b[0], b[n / 2], b[n - 1]);
        to[0] = first;
        to[n / 2] = mid;
        to[n - 1] = last;
        escape_flags(u64::from_le_bytes([
            first, mid, last, b' ', b' ', b' ', b' ', b' ',
        ]))
    } else {
        0
    }
}

/// True when no byte of `bytes` needs an escape.
fn is_clean(bytes: &[u8]) -> bool {
    !bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// Appends `s` with `"`, `\` and control characters escaped, as serde_json does: `\"`, `\\`,
/// `\b`, `\t`, `\n`, `\f`, `\r`, and `\u00xx` (lowercase hex) for the other control
/// characters; everything else, DEL and non-ASCII included, as it is.
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
        Out::new(&mut v).str(s);
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
        Out::new(&mut v).str_with(|e| fmt::write(e, format_args!("{}\"{}\n", "a", 5)));
        assert_eq!(v, br#""a\"5\n""#);
    }

    #[test]
    fn numbers_are_written_as_serde_json_writes_them() {
        for n in [0u64, 1, 9, 10, 99, 12345, u32::MAX as u64, u64::MAX] {
            let mut v = Vec::new();
            Out::new(&mut v).window(20 + Window::SLACK, |w| w.u64(n));
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
            1e15 - 1.0,
            -1e15,
            -(1e15 - 1.0),
            999_999_999_999_999.5,
            1e16,
            -1.0,
            -650.0,
            4503599627370496.0,
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
            Out::new(&mut v).f64(x);
            assert_eq!(
                String::from_utf8(v).unwrap(),
                serde_json::to_string(&x).unwrap(),
                "{x}"
            );
        }
    }

    /// A ratio is written as serde_json writes its float, whole or not.
    #[test]
    fn ratios_are_written_as_their_floats() {
        let whole = [
            0i128,
            1,
            -1,
            7,
            650,
            -4000,
            999_999_999_999_999,
            1_000_000_000_000_000,
        ];
        let mut ratios: Vec<Ratio> = whole.iter().map(|&n| Ratio::new(n, 1).unwrap()).collect();
        ratios.extend(
            [
                (1, 2),
                (-5, 2),
                (1, 3),
                (96_123_456, 1_000_000),
                (i128::MAX, 1),
                (i128::MIN + 1, 1),
            ]
            .map(|(a, b)| Ratio::new(a, b).unwrap()),
        );
        for r in ratios {
            let mut v = Vec::new();
            Out::new(&mut v).window(Window::FLOAT + Window::SLACK, |w| w.ratio(r));
            assert_eq!(
                String::from_utf8(v).unwrap(),
                serde_json::to_string(&r.to_f64()).unwrap(),
                "{r:?}"
            );
        }
    }

    /// The writer copies strings in words of two, four or eight bytes by length: every length
    /// up to beyond the longest short form, with a byte needing an escape at every position.
    #[test]
    fn strings_of_every_length_are_escaped_as_serde_json_escapes_them() {
        for n in 0..80 {
            let plain: String = (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            assert_eq!(ours(&plain), serde_json::to_string(&plain).unwrap());
            for at in 0..n {
                for c in [
                    '"', '\\', '\n', '\0', '\x1f', '\x7f', ' ', '!', '#', ']', 'é',
                ] {
                    let mut s: Vec<char> = plain.chars().collect();
                    s[at] = c;
                    let s: String = s.into_iter().collect();
                    assert_eq!(ours(&s), serde_json::to_string(&s).unwrap(), "{s:?}");
                    let mut piece = Vec::new();
                    Out::new(&mut piece).escaped(&s);
                    let quoted = serde_json::to_string(&s).unwrap();
                    assert_eq!(piece, quoted.as_bytes()[1..quoted.len() - 1], "{s:?}");
                }
            }
        }
    }

    #[test]
    fn pieces_follow_one_another() {
        let mut v = b"before ".to_vec();
        {
            let mut o = Out::new(&mut v);
            o.raw("[");
            o.str("a \"b\"");
            o.raw(",");
            o.id("rule-1");
            o.raw(",\"");
            o.window(1 + Window::SLACK, |w| w.id_piece("x"));
            o.escaped("\n");
            o.raw("\",");
            o.window(20 + Window::SLACK, |w| w.u64(42));
            o.raw(",");
            o.f64(0.5);
            o.raw(",");
            o.serde(&-3i64);
            o.raw(",");
            o.strs(["long enough to be written in more than two words", ""]);
            o.raw("]");
        }
        assert_eq!(
            String::from_utf8(v).unwrap(),
            r#"before ["a \"b\"","rule-1","x\n",42,0.5,-3,["long enough to be written in more than two words",""]]"#
        );
    }

    /// The words written with [`Out::id`] besides knowledge-base ids need no escape.
    #[test]
    fn the_checkers_own_words_need_no_escape() {
        use crate::vocab::{Evidence, FindingKind, Route, Severity, builtin};
        let words = (Severity::ALL.iter().map(|s| s.as_str()))
            .chain(Evidence::ALL.iter().map(|e| e.as_str()))
            .chain(FindingKind::ALL.iter().map(|k| k.as_str()))
            .chain(Route::ALL.iter().map(|r| r.as_str()))
            .chain(builtin::ALL);
        for w in words {
            assert!(is_clean(w.as_bytes()), "{w:?}");
        }
    }

    /// Every string in a knowledge-base id's form, as `Out::id` writes it, is what
    /// `Out::str` writes.
    fn id_written_as_str(id: &str) {
        assert!(is_clean(id.as_bytes()), "{id:?}");
        let (mut a, mut b) = (Vec::new(), Vec::new());
        Out::new(&mut a).id(id);
        Out::new(&mut b).str(id);
        assert_eq!(a, b, "{id:?}");
        let (mut a, mut b) = (Vec::new(), Vec::new());
        Out::new(&mut a).window(id.len() + Window::SLACK, |w| w.id_piece(id));
        Out::new(&mut b).escaped(id);
        assert_eq!(a, b, "{id:?}");
    }

    proptest::proptest! {
        /// Ids as validation allows them: lowercase letters (beyond ASCII too, as a name key
        /// folds them) and digits joined by single hyphens.
        #[test]
        fn any_valid_id_needs_no_escape(id in "[a-z0-9\u{e0}-\u{ff}\u{3b1}-\u{3c9}\u{4e00}-\u{4e20}]{1,20}(-[a-z0-9\u{e9}\u{fc}]{1,12}){0,6}") {
            let mut key = String::new();
            crate::model::name_key(&id, &mut key);
            if key == id {
                id_written_as_str(&id);
            }
        }

        /// Name keys of any text: what validation takes as an id beyond ASCII.
        #[test]
        fn any_name_key_needs_no_escape(name in "\\PC{0,40}") {
            let mut key = String::new();
            crate::model::name_key(&name, &mut key);
            id_written_as_str(&key);
        }
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_escaped_as_serde_json_escapes_it(s in "\\PC*|[\\x00-\\x7f]{0,40}") {
            proptest::prop_assert_eq!(ours(&s), serde_json::to_string(&s).unwrap());
        }

        #[test]
        fn any_whole_float_is_written_as_serde_json_writes_it(n in -(1i64 << 53)..(1i64 << 53), scale in 0u32..4) {
            let x = n as f64 * 10f64.powi(scale as i32);
            let mut v = Vec::new();
            Out::new(&mut v).f64(x);
            proptest::prop_assert_eq!(String::from_utf8(v).unwrap(), serde_json::to_string(&x).unwrap());
        }

        #[test]
        fn any_float_is_written_as_serde_json_writes_it(x in proptest::num::f64::ANY) {
            let mut v = Vec::new();
            Out::new(&mut v).f64(x);
            proptest::prop_assert_eq!(String::from_utf8(v).unwrap(), serde_json::to_string(&x).unwrap());
        }
    }
}
