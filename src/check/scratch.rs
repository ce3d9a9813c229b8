//! Working space of a check: the lists a check builds and drops before it returns, kept on the
//! thread between checks so that, once warm, a check allocates only what its report keeps.
//!
//! The lists hold references into the regimen and the knowledge base, so they are kept empty and
//! their allocations are handed from one check's lifetime to the next ([`reuse`]).

use std::cell::{Cell, RefCell};

use super::Known;
use super::dose::{Dosed, Skip};
use crate::index::{PartnerColumn, Rank};
use crate::model::{ConceptId, MonitoringId, RuleId};
use crate::report::Finding;

/// A list longer than this many elements is not kept for the next check: one unusual regimen
/// must not hold its memory for the life of the thread.
const KEEP_AT_MOST: usize = 256;

/// An item holding a substance: the substance, the item's position, id and rank.
pub(crate) type Holder<'a> = (ConceptId, usize, &'a str, Rank);

/// The lists one check works in; each is empty when handed out.
#[derive(Default)]
pub(crate) struct Scratch<'a> {
    /// The items that resolved.
    pub known: Vec<Known<'a>>,
    /// The patient's conditions.
    pub conditions: Vec<ConceptId>,
    /// The rules between one pair of items.
    pub rules: Vec<RuleId>,
    /// Pairs of items (positions) whose partner bit is set. Listed without branches, it first
    /// holds every pair of the regimen ([`super::BRANCHLESS_PAIRS`] at most).
    pub pairs: Vec<(u32, u32)>,
    /// The items listed once (positions), with their concepts' partner columns.
    pub columns: Vec<(u32, PartnerColumn)>,
    /// Members of accumulation and duplication rules: rule, substance and item position, as
    /// one number each ([`super::Checker::groups`]).
    pub members: Vec<u128>,
    /// Monitoring requirements items call for on their own.
    pub calls: Vec<(&'a MonitoringId, &'a str, Rank)>,
    /// Doses per ingredient.
    pub dosed: Vec<Dosed<'a>>,
    /// Dose checks that could not be made.
    pub skips: Vec<Skip<'a>>,
    /// Positions of `skips`, sorted.
    pub order: Vec<u16>,
    /// Items holding each substance.
    pub holders: Vec<Holder<'a>>,
    /// A finding's items, before sorting.
    pub items: Vec<(&'a str, Rank)>,
}

thread_local! {
    static SPARE: RefCell<Scratch<'static>> = RefCell::new(Scratch::default());
    /// The allocation of a report's findings, handed back by a caller done with the report
    /// ([`give_back_findings`]).
    static FINDINGS: Cell<Vec<Finding<'static>>> = const { Cell::new(Vec::new()) };
}

/// An empty list for a check's findings with room for `room`: the allocation handed back on
/// this thread ([`give_back_findings`]) when it has the room, a new one otherwise. A report's
/// findings of a ten-item regimen take about 2 KB, past what glibc serves from its per-thread
/// cache, so a run of checks that hands each report's findings back spares a slow `malloc` and
/// `free` a check.
pub(crate) fn findings<'a>(room: usize) -> Vec<Finding<'a>> {
    let kept = FINDINGS.with(Cell::take);
    if kept.capacity() >= room {
        kept
    } else {
        Vec::with_capacity(room)
    }
}

/// Keeps the allocation of `findings` (emptied, unless it is long) for the next check on this
/// thread.
pub(crate) fn give_back_findings(findings: Vec<Finding<'_>>) {
    let kept = reuse(findings);
    FINDINGS.with(|c| c.set(kept));
}

/// An empty vector with `v`'s allocation, for elements of a type that differs from `v`'s only by
/// lifetimes. (Collecting a vector's own iterator into a vector of a same-sized type reuses its
/// allocation; the closure never runs, as `v` is emptied first.)
fn reuse<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    if v.capacity() > KEEP_AT_MOST {
        return Vec::new();
    }
    v.into_iter().map(|_| unreachable!("emptied")).collect()
}

/// `v` emptied, with its allocation unless it is long: for elements without lifetimes, which
/// need no relabelling ([`reuse`]).
fn keep<T>(v: Vec<T>) -> Vec<T> {
    keep_up_to(v, KEEP_AT_MOST)
}

/// [`keep`], for a list that ordinary checks fill up to `most` elements.
fn keep_up_to<T>(mut v: Vec<T>, most: usize) -> Vec<T> {
    v.clear();
    if v.capacity() > most {
        return Vec::new();
    }
    v
}

impl<'a> Scratch<'a> {
    /// The thread's working space, or a new one when another check on this thread holds it.
    pub(crate) fn take() -> Scratch<'a> {
        // Lists of `'static` references are lists of `'a` references as they are (the lists
        // are covariant), and they are empty: only handing them back needs [`reuse`]. Taken
        // list by list, so that only the lists move, not the whole space (which moved through
        // `memcpy` calls, both ways, when it was taken and put back whole).
        SPARE.with(|c| {
            let s = &mut *c.borrow_mut();
            Scratch {
                known: std::mem::take(&mut s.known),
                conditions: std::mem::take(&mut s.conditions),
                rules: std::mem::take(&mut s.rules),
                pairs: std::mem::take(&mut s.pairs),
                columns: std::mem::take(&mut s.columns),
                members: std::mem::take(&mut s.members),
                calls: std::mem::take(&mut s.calls),
                dosed: std::mem::take(&mut s.dosed),
                skips: std::mem::take(&mut s.skips),
                order: std::mem::take(&mut s.order),
                holders: std::mem::take(&mut s.holders),
                items: std::mem::take(&mut s.items),
            }
        })
    }

    /// Hands the working space back to the thread for the next check, list by list. (Taken
    /// apart whole, so that a list added to `Scratch` and not handed back here does not compile.)
    pub(crate) fn give_back(self) {
        let Scratch {
            known,
            conditions,
            rules,
            pairs,
            columns,
            members,
            calls,
            dosed,
            skips,
            order,
            holders,
            items,
        } = self;
        SPARE.with(|c| {
            let s = &mut *c.borrow_mut();
            s.known = reuse(known);
            s.conditions = keep(conditions);
            s.rules = keep(rules);
            s.pairs = keep_up_to(pairs, super::BRANCHLESS_PAIRS);
            s.columns = keep(columns);
            s.members = keep(members);
            s.calls = reuse(calls);
            s.dosed = reuse(dosed);
            s.skips = reuse(skips);
            s.order = keep(order);
            s.holders = reuse(holders);
            s.items = reuse(items);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuse_keeps_the_allocation_and_empties() {
        let mut v: Vec<&'static str> = Vec::with_capacity(40);
        v.push("x");
        let p = v.as_ptr() as usize;
        let w: Vec<&str> = reuse(v);
        assert!(w.is_empty());
        assert_eq!(w.capacity(), 40);
        assert_eq!(w.as_ptr() as usize, p);
    }

    #[test]
    fn reuse_drops_a_long_list() {
        let v: Vec<u32> = Vec::with_capacity(KEEP_AT_MOST + 1);
        let w: Vec<u32> = reuse(v);
        assert_eq!(w.capacity(), 0);
    }

    #[test]
    fn the_pairs_of_a_branch_free_listing_are_kept() {
        let mut s = Scratch::take();
        s.pairs.reserve_exact(super::super::BRANCHLESS_PAIRS);
        assert!(s.pairs.capacity() > KEEP_AT_MOST);
        let room = s.pairs.capacity();
        s.give_back();
        let mut s = Scratch::take();
        assert_eq!(s.pairs.capacity(), room, "kept for the next check");
        s.pairs.reserve_exact(room + 1);
        s.give_back();
        assert_eq!(Scratch::take().pairs.capacity(), 0, "more is not kept");
    }

    #[test]
    fn the_findings_handed_back_are_the_next_checks_room() {
        let kb = crate::KnowledgeBase::bundled();
        let regimen = crate::Regimen::from_json(
            r#"{"items":[{"id":"warfarin"},{"id":"ibuprofen"},{"id":"st-johns-wort"}]}"#,
        )
        .expect("valid");
        let report = kb.check(&regimen).expect("checks");
        assert!(!report.findings.is_empty());
        let (at, room) = (
            report.findings.as_ptr() as usize,
            report.findings.capacity(),
        );
        give_back_findings(report.findings);
        let again = kb.check(&regimen).expect("checks");
        assert_eq!(
            again.findings.as_ptr() as usize,
            at,
            "the allocation is taken again"
        );
        assert_eq!(again.findings.capacity(), room);
        // Taken, not shared: the thread holds nothing until the report hands it back, so a
        // report that is dropped instead leaves the next check to allocate its own.
        assert_eq!(FINDINGS.with(Cell::take).capacity(), 0, "moved out");
        drop(again);
        let third = kb.check(&regimen).expect("checks");
        assert_ne!(third.findings.capacity(), 0);
        // Too small for the room asked: not used; too long: not kept.
        give_back_findings(Vec::with_capacity(1));
        assert!(findings(8).capacity() >= 8);
        give_back_findings(Vec::with_capacity(KEEP_AT_MOST + 1));
        assert_eq!(FINDINGS.with(Cell::take).capacity(), 0);
    }

    #[test]
    fn a_taken_scratch_comes_back_warm() {
        let mut s = Scratch::take();
        s.rules.reserve(10);
        s.rules.push(RuleId(1));
        s.give_back();
        let s = Scratch::take();
        assert!(s.rules.is_empty());
        assert!(s.rules.capacity() >= 10);
        // Taken: a second taker on the thread gets a fresh one.
        let t = Scratch::take();
        assert_eq!(t.rules.capacity(), 0);
        s.give_back();
    }
}
