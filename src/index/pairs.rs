//! The pair table: which pairs of concrete concepts have interaction rules, in one cache line
//! per probe.

/// The pairs of concrete concepts that have interaction rules: an open-addressing table of
/// 64-byte buckets (one cache line), each with four `(low, high, first hit)` slots and a byte
/// of hash per slot, filled to at most 70%. A pair hashes to a bucket and is in it unless the
/// bucket overflowed; the four hash bytes are compared at once, so a pair without a rule, which
/// is most pairs, costs one hash, one cache line and a few instructions.
#[derive(Debug, Default)]
pub(super) struct PairTable {
    buckets: Box<[Bucket]>,
    pub(super) len: usize,
}

const SLOTS: usize = 4;
const LANES: u64 = 0x0101_0101;
const HIGHS: u64 = 0x8080_8080;

#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
struct Bucket {
    /// One byte of hash per slot (never zero; zero is an empty slot) in the low four bytes, and
    /// 1 in the fifth when a pair that hashed here was put in a later bucket.
    meta: u64,
    low: [u32; SLOTS],
    high: [u32; SLOTS],
    first: [u32; SLOTS],
}

impl PairTable {
    pub(super) fn with_pairs(pairs: usize) -> PairTable {
        let buckets = (pairs * 10 / 7 / SLOTS + 1).max(2);
        let empty = Bucket {
            meta: 0,
            low: [0; SLOTS],
            high: [0; SLOTS],
            first: [0; SLOTS],
        };
        PairTable {
            buckets: vec![empty; buckets].into(),
            len: 0,
        }
    }

    /// The bucket `(low, high)` hashes to, and its byte of hash (1 to 255).
    #[inline]
    fn hash(&self, low: u32, high: u32) -> (usize, u64) {
        let h = (((low as u64) << 32) | high as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let h = h ^ (h >> 29);
        let bucket = ((h as u128 * self.buckets.len() as u128) >> 64) as usize;
        (bucket, (h & 0xFF).max(1))
    }

    /// The size of the table in bytes.
    pub(super) fn bytes(&self) -> usize {
        std::mem::size_of_val(&*self.buckets)
    }

    /// Adds a pair that is not in the table yet.
    pub(super) fn insert(&mut self, low: u32, high: u32, first: u32) {
        let (mut i, tag) = self.hash(low, high);
        loop {
            let b = &mut self.buckets[i];
            if let Some(k) = (0..SLOTS).find(|k| (b.meta >> (8 * k)) & 0xFF == 0) {
                b.meta |= tag << (8 * k);
                b.low[k] = low;
                b.high[k] = high;
                b.first[k] = first;
                self.len += 1;
                return;
            }
            b.meta |= 1 << 32;
            i = if i + 1 == self.buckets.len() {
                0
            } else {
                i + 1
            };
        }
    }

    /// Reads the bucket `(low, high)` hashes to, so that a lookup soon after finds it in cache.
    #[inline]
    pub(super) fn touch(&self, low: u32, high: u32) -> u64 {
        self.buckets[self.hash(low, high).0].meta
    }

    #[inline]
    pub(super) fn get(&self, low: u32, high: u32) -> Option<u32> {
        let (mut i, tag) = self.hash(low, high);
        loop {
            let b = &self.buckets[i];
            // Bytes of `meta` equal to `tag` become zero; find zero bytes among the four.
            let x = (b.meta & 0xFFFF_FFFF) ^ (tag * LANES);
            let mut found = x.wrapping_sub(LANES) & !x & HIGHS;
            while found != 0 {
                let k = found.trailing_zeros() as usize / 8;
                if b.low[k] == low && b.high[k] == high {
                    return Some(b.first[k]);
                }
                found &= found - 1;
            }
            if b.meta >> 32 == 0 {
                return None;
            }
            i = if i + 1 == self.buckets.len() {
                0
            } else {
                i + 1
            };
        }
    }
}
