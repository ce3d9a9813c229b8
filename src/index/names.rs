//! The table of names an item may be given by (ids, display names, synonyms, brands,
//! `rxnorm:` codes), each in its normal form, to the concept it names.
//!
//! A general hash map spends most of a lookup on hashing a slice through the `Hasher` trait
//! and on a `memcmp` call; a check looks up every item's name, so this table does less: one
//! hash of a key's first and last eight bytes (and any in between), one probe of a slot that
//! holds the entry's hash tag, and the key's bytes compared in at most two 8-byte words when
//! it is 16 bytes or shorter, as nearly all names are.

use crate::model::ConceptId;

/// One name: where its bytes are in the table's text, and the concept it names.
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: u32,
    len: u32,
    concept: ConceptId,
}

/// Normal-form names to concepts, built once when the index is compiled.
#[derive(Debug, Clone)]
pub(crate) struct NameTable {
    /// Open addressing, linear probing, a power of two long and at most half full: for each
    /// slot, the entry's hash tag (high 32 bits) and its index plus one (low 32 bits), or 0.
    slots: Box<[u64]>,
    entries: Box<[Entry]>,
    /// Every name's bytes, one after another.
    text: Box<[u8]>,
}

/// Bytes `at..at + 8` as a little-endian word.
#[inline(always)]
fn word(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// Bytes `at..at + 4` as a little-endian word.
#[inline(always)]
fn half(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w) as u64
}

/// Two words that, with the length, determine a key of up to 16 bytes (overlapping reads),
/// and the first and last eight bytes of a longer one.
#[inline(always)]
fn ends(b: &[u8]) -> (u64, u64) {
    let n = b.len();
    if n >= 8 {
        (word(b, 0), word(b, n - 8))
    } else if n >= 4 {
        (half(b, 0), half(b, n - 4))
    } else if n > 0 {
        (
            b[0] as u64 | (b[n / 2] as u64) << 8 | (b[n - 1] as u64) << 16,
            0,
        )
    } else {
        (0, 0)
    }
}

/// Mixes two words into one (a 128-bit multiply folded, as in wyhash and foldhash).
#[inline(always)]
fn mix(a: u64, b: u64) -> u64 {
    let p = (a as u128).wrapping_mul(b as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

const K0: u64 = 0x243f_6a88_85a3_08d3;
const K1: u64 = 0x1319_8a2e_0370_7344;
const K2: u64 = 0xa409_3822_299f_31d0;

/// The hash of a key. Not keyed: the table's names come from the knowledge base, so a lookup
/// cannot lengthen a probe beyond the clusters the knowledge base itself makes.
#[inline(always)]
fn hash(b: &[u8]) -> u64 {
    let (x, y) = ends(b);
    let mut h = mix(x ^ K0, y ^ K1 ^ b.len() as u64);
    if b.len() > 16 {
        let mut at = 8;
        while at + 8 < b.len() {
            h = mix(h ^ word(b, at), K2);
            at += 8;
        }
    }
    h
}

/// True when `a` and `b`, of the same length, are equal.
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() <= 16 {
        // Both ends determine a key this short.
        ends(a) == ends(b)
    } else {
        a == b
    }
}

impl NameTable {
    /// A table of `names` (each key once, already in normal form).
    ///
    /// # Panics
    /// When the names' total length does not fit in 32 bits, which the loader's size caps
    /// rule out.
    pub(crate) fn new<'a>(names: impl IntoIterator<Item = (&'a [u8], ConceptId)>) -> NameTable {
        let mut sorted: Vec<(&[u8], ConceptId)> = names.into_iter().collect();
        // In key order, so that the table's layout does not depend on a hash map's order.
        sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let size = (sorted.len() * 2).next_power_of_two().max(8);
        let mut slots = vec![0u64; size];
        let mut entries = Vec::with_capacity(sorted.len());
        let mut text = Vec::new();
        for (key, concept) in sorted {
            let start = u32::try_from(text.len()).expect("names fit in 32 bits");
            text.extend_from_slice(key);
            entries.push(Entry {
                start,
                len: key.len() as u32,
                concept,
            });
            let h = hash(key);
            let mut at = h as usize & (size - 1);
            while slots[at] != 0 {
                at = (at + 1) & (size - 1);
            }
            slots[at] = (h & !0xffff_ffff) | entries.len() as u64;
        }
        NameTable {
            slots: slots.into(),
            entries: entries.into(),
            text: text.into(),
        }
    }

    /// The concept `key` (in normal form) names, if any.
    #[inline(always)]
    pub(crate) fn get(&self, key: &[u8]) -> Option<ConceptId> {
        let h = hash(key);
        let mask = self.slots.len() - 1;
        let mut at = h as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                return None;
            }
            if (slot ^ h) >> 32 == 0 {
                let e = self.entries[(slot as u32 - 1) as usize];
                if e.len as usize == key.len() {
                    let start = e.start as usize;
                    if same(&self.text[start..start + key.len()], key) {
                        return Some(e.concept);
                    }
                }
            }
            at = (at + 1) & mask;
        }
    }

    /// How many names the table holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn table(keys: &BTreeMap<Vec<u8>, u32>) -> NameTable {
        NameTable::new(keys.iter().map(|(k, &c)| (&k[..], ConceptId(c))))
    }

    #[test]
    fn finds_every_key_and_nothing_else() {
        let mut keys = BTreeMap::new();
        for (i, k) in [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcde",
            "ibuprofen",
            "acetaminophen-codeine",
            "hydrocodone-acetaminophen-10-325",
            "rxnorm:5640",
            "abcdefgh",
            "abcdefghi",
            "abcdefghijklmnop",
            "abcdefghijklmnopq",
        ]
        .iter()
        .enumerate()
        {
            keys.insert(k.as_bytes().to_vec(), i as u32);
        }
        let t = table(&keys);
        assert_eq!(t.len(), keys.len());
        for (k, &c) in &keys {
            assert_eq!(
                t.get(k),
                Some(ConceptId(c)),
                "{:?}",
                String::from_utf8_lossy(k)
            );
        }
        for miss in [
            "b",
            "ba",
            "abce",
            "ibuprofem",
            "jbuprofen",
            "abcdefgj",
            "abcdefghijklmnoq",
            "abcdefghijklmnopr",
            "hydrocodone-acetaminophen-10-326",
            "Ibuprofen",
            "ibuprofen ",
        ] {
            assert_eq!(t.get(miss.as_bytes()), None, "{miss}");
        }
    }

    /// The byte compare behind a matching hash tag (which a lookup reaches only on a 32-bit
    /// tag collision, too rare to test through `get`) tells apart keys that differ anywhere.
    #[test]
    fn keys_differing_in_any_one_byte_are_not_the_same() {
        for len in 0..=40usize {
            let a: Vec<u8> = (0..len as u8).map(|i| b'a' + i % 26).collect();
            assert!(same(&a, &a.clone()), "{len}");
            for at in 0..len {
                let mut b = a.clone();
                b[at] = b'-';
                assert!(!same(&a, &b), "length {len}, byte {at}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn agrees_with_a_map(
            keys in proptest::collection::btree_map(
                proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'-'), 0u8..=255], 0..40),
                0u32..1000,
                0..100,
            ),
            probes in proptest::collection::vec(
                proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'-')], 0..40),
                0..50,
            ),
        ) {
            let t = table(&keys);
            for (k, &c) in &keys {
                prop_assert_eq!(t.get(k), Some(ConceptId(c)));
            }
            for p in &probes {
                prop_assert_eq!(t.get(p), keys.get(p).map(|&c| ConceptId(c)));
            }
        }
    }
}
