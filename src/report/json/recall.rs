//! Pieces of report lines written before, recalled instead of written again.
//!
//! A screening run writes the same finding (`diuretic-nsaid/naproxen+spironolactone`, with the
//! same kind, severity and evidence, and in the full form the same texts of its rule) and the
//! same skipped entry (`no dose given` for the same item) on line after line: the bundled bench
//! regimens write about 16 findings a line, of which about five in six were written, byte for
//! byte, on an earlier line. Such a piece is determined by a few things that are cheap to
//! compare (the address of its rule, ranks, small enums; see `line::finding_key` and
//! `line::skipped_key`), so the writer keeps the bytes it wrote for each in a ring (of
//! [`COMPACT_RING`] or [`FULL_RING`] bytes), found through a table of [`SLOTS`] keys, and copies
//! them whole the next time. When lines share few pieces (random regimens on a large knowledge
//! base), looking costs more than it saves, so a round of lookups that recalls too few is
//! followed by a rest (see [`ROUND`]).
//!
//! Addresses stand for texts only while the knowledge base they point into lives, so pieces are
//! recalled only while a [`Recall`] guard for that knowledge base's model lives on the thread:
//! `screen` holds one for the whole run, on each thread that writes lines; a report of another
//! model is written as if there were none. Nothing is recalled that holds a text of the regimen
//! (an unknown item as given, a condition outside the knowledge base), a number (dose
//! findings) or an override.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;

use crate::model::Model;

/// Bytes of the ring for full lines: about 1,500 full findings (a hundred lines of ten-item
/// regimens).
///
/// Compact lines keep [`COMPACT_RING`]: a ring and table larger than the processor's second
/// cache level make each lookup a miss there. Timed in turn over the bench's 2,000 different
/// compact lines, 256 KiB screened 5,765 ns a line against 6,859 ns with 2 MiB, and 512 KiB
/// 5,747 ns; full lines went from 11,828 ns with 2 MiB to 11,951 ns with 1 MiB and 12,942 ns
/// with 512 KiB, so they keep 2 MiB.
pub(crate) const FULL_RING: usize = 1 << 21;

/// Bytes of the ring for compact lines: about 1,000 compact findings (see [`FULL_RING`]).
pub(crate) const COMPACT_RING: usize = 1 << 18;

/// Keys in the table (a power of two): a key has one place, a newer piece takes it.
///
/// So a piece still in the ring is sometimes not found, its place taken by a later piece of
/// another key. Two places a key in the same room (sets of two, both tested without a branch)
/// found about 2,400 more of the bench's 37,000 compact pieces and cut about 250 instructions
/// a compact line and 1,450 a full one, but timed in turn it was slower, 10 of 12 pairs of
/// compact runs by 2-3 %: the pieces it adds are the older ones, further back in the ring
/// and less often still in cache, and each lookup reads an 88-byte set. Four places a key:
/// slower still.
const SLOTS: usize = 1 << 12;

/// The longest piece kept (a compact finding of two items is under 400 bytes, a full one
/// rarely over 2,000).
const LONGEST: usize = 1 << 14;

/// Pieces looked up in a round: when fewer than a quarter of them were recalled, looking up
/// costs more than it saves (a random regimen on the 1M knowledge base shares few findings with
/// the lines before it), and the next [`REST`] pieces are written without looking.
const ROUND: u32 = 1024;

/// Pieces written without looking after a round that recalled too few.
const REST: u32 = 32 * 1024;

/// What determines a piece's bytes, packed into four words; never all zeros (the first word is
/// never 0).
pub(super) type Key = [u64; 4];

/// One piece in the ring.
#[derive(Clone, Copy, Default)]
struct Slot {
    key: Key,
    /// Where the piece starts, counted in all bytes ever written to the ring.
    at: u64,
    len: u32,
}

/// The pieces of one knowledge base's model kept on a thread.
#[derive(Default)]
pub(super) struct Recent {
    /// The address of the model, 0 when no [`Recall`] guard lives.
    model: usize,
    /// [`SLOTS`] keys, allocated when the first piece is kept.
    slots: Vec<Slot>,
    /// `size` bytes at most, reserved with `slots` and filled as pieces are kept.
    ring: Vec<u8>,
    /// The ring's bytes ([`COMPACT_RING`] or [`FULL_RING`]).
    size: usize,
    /// Bytes ever written to the ring (the next piece goes at `at % size`, or at the start of
    /// the ring when it does not fit before the end).
    at: u64,
    /// Pieces looked up in this round, and how many of them were recalled (counted as they
    /// are looked up, through `&self`).
    looked: Cell<u32>,
    found: Cell<u32>,
    /// Pieces still to write without looking (see [`ROUND`]).
    resting: Cell<u32>,
}

thread_local! {
    static RECENT: RefCell<Recent> = RefCell::new(Recent::default());
}

/// While it lives, lines of reports of `model` written on this thread recall the pieces
/// written before; when dropped, what was kept is freed.
pub(crate) struct Recall<'m> {
    /// The model, borrowed: its texts, whose addresses are keys, cannot move or go meanwhile.
    model: PhantomData<&'m Model>,
    /// Neither sent nor shared: the pieces are the thread's.
    thread: PhantomData<*const ()>,
}

impl<'m> Recall<'m> {
    /// Starts keeping pieces of `model`'s reports on this thread in a ring of `size` bytes
    /// (forgetting any kept before).
    pub(crate) fn new(model: &'m Model, size: usize) -> Recall<'m> {
        // Places in the ring are counted modulo its size.
        assert!(size > 0, "a recall ring has room");
        RECENT.with_borrow_mut(|r| {
            *r = Recent {
                model: model as *const Model as usize,
                size,
                ..Recent::default()
            }
        });
        Recall {
            model: PhantomData,
            thread: PhantomData,
        }
    }
}

impl Drop for Recall<'_> {
    fn drop(&mut self) {
        RECENT.with_borrow_mut(|r| *r = Recent::default());
    }
}

/// Runs `f` with the pieces kept for `model` on this thread, or with `None` when there are
/// none (no [`Recall`] guard for it lives).
pub(super) fn with<T>(model: &Model, f: impl FnOnce(Option<&mut Recent>) -> T) -> T {
    RECENT.with_borrow_mut(|r| {
        if r.model == model as *const Model as usize {
            f(Some(r))
        } else {
            f(None)
        }
    })
}

impl Recent {
    /// The table's place for `key`.
    #[inline(always)]
    fn place(key: &Key) -> usize {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let h = key[0] ^ key[1].rotate_left(23) ^ key[2].wrapping_mul(K) ^ key[3].rotate_left(41);
        (h.wrapping_mul(K) >> (64 - SLOTS.trailing_zeros())) as usize
    }

    /// False while pieces are written without looking (after a round that recalled too few):
    /// the caller then neither makes a key nor looks.
    #[inline(always)]
    pub(super) fn awake(&self) -> bool {
        let resting = self.resting.get();
        if resting == 0 {
            return true;
        }
        self.resting.set(resting - 1);
        false
    }

    /// The bytes kept for `key`, when they are still in the ring.
    #[inline]
    pub(super) fn get(&self, key: &Key) -> Option<&[u8]> {
        let looked = self.looked.get() + 1;
        if looked == ROUND {
            if self.found.get() < ROUND / 4 {
                self.resting.set(REST);
            }
            self.looked.set(0);
            self.found.set(0);
        } else {
            self.looked.set(looked);
        }
        let slot = self.slots.get(Recent::place(key))?;
        if slot.key != *key || self.at - slot.at > self.size as u64 {
            return None;
        }
        self.found.set(self.found.get() + 1);
        let start = (slot.at % self.size as u64) as usize;
        self.ring.get(start..start + slot.len as usize)
    }

    /// Keeps `bytes` as the piece of `key`.
    #[inline(never)]
    pub(super) fn put(&mut self, key: Key, bytes: &[u8]) {
        let n = bytes.len();
        if n > LONGEST {
            return;
        }
        if self.slots.is_empty() {
            self.slots = vec![Slot::default(); SLOTS];
            // Filled as pieces come, not zeroed first: 2 MiB of zeroes for each run measured
            // more than a thousand instructions a line of a 2,000-line run.
            self.ring = Vec::with_capacity(self.size);
        }
        let size = self.size;
        let mut start = (self.at % size as u64) as usize;
        if start + n > size {
            self.at += (size - start) as u64;
            start = 0;
        }
        if start == self.ring.len() {
            // Still filling the ring.
            self.ring.extend_from_slice(bytes);
            return self.keep(key, n);
        }
        if self.ring.len() < start + n {
            // Past the tail left when the ring first came round.
            self.ring.resize(start + n, 0);
        }
        self.ring[start..start + n].copy_from_slice(bytes);
        self.keep(key, n);
    }

    /// Points `key`'s slot at the `n` bytes just put in the ring at `at`.
    #[inline(always)]
    fn keep(&mut self, key: Key, n: usize) {
        self.slots[Recent::place(&key)] = Slot {
            key,
            at: self.at,
            len: n as u32,
        };
        self.at += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RING: usize = COMPACT_RING;

    fn recent() -> Recent {
        Recent {
            model: 1,
            size: RING,
            ..Recent::default()
        }
    }

    #[test]
    fn a_piece_is_recalled_until_the_ring_comes_round() {
        let mut r = recent();
        let key = [1, 2, 3, 4];
        assert_eq!(r.get(&key), None);
        r.put(key, b"{\"id\":1}");
        assert_eq!(r.get(&key), Some(&b"{\"id\":1}"[..]));
        assert_eq!(r.get(&[1, 2, 3, 5]), None);
        // Fill the ring with other pieces: the first is written over, and no longer recalled.
        let other = vec![b'x'; 1000];
        for i in 0..(RING / 1000 + 1) as u64 {
            r.put([7, i, 0, 0], &other);
        }
        assert!(r.at > RING as u64);
        assert_eq!(r.get(&key), None);
        // A piece that does not fit before the end of the ring goes to its start, whole.
        let last = [7, (RING / 1000) as u64, 0, 0];
        assert_eq!(r.get(&last), Some(&other[..]));
        assert_eq!(r.ring[..1000], other[..]);
    }

    #[test]
    fn a_round_that_recalls_too_few_rests() {
        let mut r = recent();
        for i in 0..ROUND as u64 {
            assert!(r.awake());
            assert_eq!(r.get(&[9, i, 0, 0]), None);
            r.put([9, i, 0, 0], b"x");
        }
        for _ in 0..REST {
            assert!(!r.awake());
        }
        assert!(r.awake());
        // A round that recalls enough goes on looking.
        for _ in 0..ROUND {
            assert_eq!(r.get(&[9, 5, 0, 0]), Some(&b"x"[..]));
        }
        assert!(r.awake());
    }

    #[test]
    fn pieces_are_kept_only_for_the_model_of_a_living_guard() {
        let kb = crate::KnowledgeBase::bundled();
        let model = kb.model();
        assert!(with(model, |r| r.is_none()));
        {
            let _recall = Recall::new(model, RING);
            assert!(with(model, |r| r.is_some()));
        }
        assert!(with(model, |r| r.is_none()));
    }
}
