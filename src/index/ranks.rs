//! The string order of ids, as numbers.
//!
//! A report lists its findings by rule id and item ids, in string order. Comparing two ranks is
//! one instruction; comparing two ids is a string comparison and, on a large knowledge base, a
//! cache miss for each side. Ranks are computed once, when the index is compiled.

use std::cmp::Ordering;

/// The place of an id in the string order of a set of ids.
///
/// Ids of the set get odd ranks (`2 * place + 1`, where `place` counts the distinct ids before
/// it), equal ids equal ranks. An id outside the set (an unknown item as given) has
/// [`Rank::UNKNOWN`], which means "compare the text".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rank(u32);

impl Rank {
    /// No rank: compare the text.
    pub const UNKNOWN: Rank = Rank(u32::MAX);

    /// The rank as a number, unless unknown.
    #[inline]
    pub fn known(self) -> Option<u32> {
        (self != Rank::UNKNOWN).then_some(self.0)
    }

    /// True for the rank of an id of the set (no other id has it).
    #[inline]
    pub fn is_exact(self) -> bool {
        self.0 & 1 == 1 && self != Rank::UNKNOWN
    }
}

/// Compares two ids, through their ranks when that settles it, through their text otherwise.
/// Always the same as `a.cmp(b)`, provided each rank is the rank of its id (or unknown).
#[inline]
pub fn cmp_ids(a: &str, ra: Rank, b: &str, rb: Rank) -> Ordering {
    cmp_ranked(ra, rb, || (a, b))
}

/// [`cmp_ids`], fetching the ids only when the ranks do not settle it.
#[inline]
pub fn cmp_ranked<'s>(ra: Rank, rb: Rank, ids: impl FnOnce() -> (&'s str, &'s str)) -> Ordering {
    if ra == rb {
        if ra.is_exact() {
            return Ordering::Equal;
        }
    } else if ra != Rank::UNKNOWN && rb != Rank::UNKNOWN {
        return ra.0.cmp(&rb.0);
    }
    let (a, b) = ids();
    a.cmp(b)
}

/// The ranks of a set of ids.
#[derive(Debug, Default)]
pub(super) struct Ranked {
    /// The rank of each id, by position.
    pub ranks: Box<[Rank]>,
}

impl Ranked {
    /// Ranks `ids` (given by position). The sort is stable and merges runs that are in order
    /// already, which is how large knowledge bases tend to number their rules.
    pub fn new<'s>(n: usize, id: impl Fn(usize) -> &'s str) -> Ranked {
        assert!(n < (u32::MAX / 2) as usize, "too many ids to rank");
        let mut sorted: Vec<u32> = (0..n as u32).collect();
        sorted.sort_by(|&a, &b| id(a as usize).cmp(id(b as usize)));
        let mut ranks = vec![Rank::UNKNOWN; n];
        let mut place = 0u32;
        for (i, &p) in sorted.iter().enumerate() {
            if i > 0 && id(sorted[i - 1] as usize) != id(p as usize) {
                place += 1;
            }
            ranks[p as usize] = Rank(2 * place + 1);
        }
        Ranked {
            ranks: ranks.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_order_like_the_ids_and_unknown_ranks_compare_the_text() {
        let set = ["kb-b", "kb-a", "kb-d", "kb-b", "medcheck-x", "aa"];
        let ranked = Ranked::new(set.len(), |i| set[i]);
        let mut all: Vec<(&str, Rank)> = set
            .iter()
            .enumerate()
            .map(|(i, s)| (*s, ranked.ranks[i]))
            .collect();
        all.push(("kb-a", Rank::UNKNOWN));
        all.push(("kb-0", Rank::UNKNOWN));
        all.push(("medcheck:dup", Rank::UNKNOWN));
        all.push(("", Rank::UNKNOWN));
        for &(a, ra) in &all {
            for &(b, rb) in &all {
                assert_eq!(cmp_ids(a, ra, b, rb), a.cmp(b), "{a} vs {b}");
            }
        }
        assert_eq!(ranked.ranks[0], ranked.ranks[3], "equal ids, equal ranks");
    }
}
