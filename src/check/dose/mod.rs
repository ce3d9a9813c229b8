//! Dose checks: limits by band, cumulative ingredient totals, opioid MME.
//!
//! Every item with a dose is expanded into one [`Dosed`] entry per ingredient, in base units
//! (micrograms, or micrograms per hour for a rate). Then:
//!
//! - [`limits`] compares each entry with its substance's dose limit (single, daily, days), taking
//!   the lowest limit of each kind among the bands that cover the patient;
//! - [`limits`] also sums each ingredient across items (`cumulative-dose`);
//! - [`mme`] sums morphine milligram equivalents over every opioid item.
//!
//! All arithmetic is exact ([`Ratio`]); a dose exactly at a limit is within it. Whatever cannot be
//! checked is listed in the report's `skipped`, never passed over in silence. Nothing is written
//! or allocated for an item whose dose is within its limits: a finding or a skipped check keeps
//! what its words are made of ([`crate::report::words`]), and the words are written with the
//! report.

mod cumulative;
mod limits;
mod mme;
mod patient;
mod route;

use super::{Checker, Ids, Known};
use crate::index::dose::{DosePart, Strength};
use crate::index::{HOLDS_DOSED, HOLDS_OPIOID, Index, Rank, cmp_ids, concept_bit};
use crate::model::{ConceptId, Model};
use crate::regimen::Regimen;
use crate::report::words::SkipReason;
use crate::report::{Finding, Skipped};
use crate::units::{Dimension, Ratio, Unit};
use crate::vocab::Route;

pub use patient::crcl_cockcroft_gault;
pub(crate) use route::item_route;

/// Rule id of the finding for one ingredient in two or more items within its limit.
pub const SAME_INGREDIENT: &str = super::builtin::SAME_INGREDIENT;

/// The check names used in `skipped`.
pub(crate) mod checks {
    /// A single-dose maximum.
    pub const SINGLE: &str = "max-single";
    /// A daily maximum.
    pub const DAILY: &str = "max-daily";
    /// A course-length maximum.
    pub const DAYS: &str = "max-days";
    /// Every dose limit of the item.
    pub const DOSE_LIMIT: &str = "dose-limit";
    /// The ingredient's total across items.
    pub const CUMULATIVE: &str = "cumulative-dose";
    /// The opioid MME total.
    pub const MME: &str = "opioid-mme";
    /// Canonical order of the names above, for merging.
    pub const ORDER: [&str; 6] = [DOSE_LIMIT, SINGLE, DAILY, DAYS, CUMULATIVE, MME];

    /// Every subset of [`ORDER`], in order, end to end, and where each one is: the list of
    /// checks of a skipped entry is one of these, never allocated.
    const SUBSETS: ([&str; 192], [(u8, u8); 64]) = {
        let mut flat = [""; 192];
        let mut spans = [(0u8, 0u8); 64];
        let mut at = 0;
        let mut mask = 0;
        while mask < 64 {
            let start = at;
            let mut k = 0;
            while k < 6 {
                if mask & (1 << k) != 0 {
                    flat[at] = ORDER[k];
                    at += 1;
                }
                k += 1;
            }
            spans[mask] = (start as u8, (at - start) as u8);
            mask += 1;
        }
        (flat, spans)
    };
    static FLAT: [&str; 192] = SUBSETS.0;

    /// The checks whose bits (places in [`ORDER`]) are set, in order.
    pub(crate) fn subset(mask: u8) -> &'static [&'static str] {
        let (start, len) = SUBSETS.1[mask as usize & 63];
        &FLAT[start as usize..start as usize + len as usize]
    }

    /// The bits of the checks an item without a usable dose misses: its dose limits and its
    /// cumulative total, and for an opioid its MME.
    pub(crate) fn no_dose(opioid: bool) -> u8 {
        let mask = bits::DOSE_LIMIT | bits::CUMULATIVE;
        if opioid { mask | bits::MME } else { mask }
    }

    /// The bit of a check name.
    #[cfg(test)]
    fn bit(name: &str) -> u8 {
        match ORDER.iter().position(|o| *o == name) {
            Some(k) => 1 << k,
            None => 0,
        }
    }

    /// The bits of the checks, by name: what the dose stage passes around (a test holds them
    /// equal to the bit of each name, its place in `ORDER`).
    pub(crate) mod bits {
        /// [`super::DOSE_LIMIT`].
        pub const DOSE_LIMIT: u8 = 1 << 0;
        /// [`super::SINGLE`].
        pub const SINGLE: u8 = 1 << 1;
        /// [`super::DAILY`].
        pub const DAILY: u8 = 1 << 2;
        /// [`super::DAYS`].
        pub const DAYS: u8 = 1 << 3;
        /// [`super::CUMULATIVE`].
        pub const CUMULATIVE: u8 = 1 << 4;
        /// [`super::MME`].
        pub const MME: u8 = 1 << 5;
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn bits_are_the_places_of_the_names() {
            assert_eq!(bits::DOSE_LIMIT, bit(DOSE_LIMIT));
            assert_eq!(bits::SINGLE, bit(SINGLE));
            assert_eq!(bits::DAILY, bit(DAILY));
            assert_eq!(bits::DAYS, bit(DAYS));
            assert_eq!(bits::CUMULATIVE, bit(CUMULATIVE));
            assert_eq!(bits::MME, bit(MME));
        }
    }
}

/// Whether an amount is a mass (in mcg) or a rate (in mcg/h).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Quantity {
    /// Micrograms.
    Mass,
    /// Micrograms per hour.
    Rate,
}

impl Quantity {
    fn of(unit: Unit) -> Option<Quantity> {
        Quantity::of_dimension(unit.dimension())
    }

    /// What an amount of this dimension is; `None` for a dosage unit.
    #[inline]
    pub(crate) fn of_dimension(d: Dimension) -> Option<Quantity> {
        match d {
            Dimension::Mass | Dimension::MassPerKg => Some(Quantity::Mass),
            Dimension::Rate => Some(Quantity::Rate),
            Dimension::DosageUnit => None,
        }
    }
}

/// One ingredient's dose from one item, in base units.
#[derive(Clone, Debug)]
pub(crate) struct Dosed<'a> {
    /// The item's canonical id.
    pub item: &'a str,
    /// The rank of that id.
    pub rank: Rank,
    /// The item's position in the regimen.
    pub input: usize,
    /// The ingredient.
    pub substance: ConceptId,
    /// The item's route, when known.
    pub route: Option<Route>,
    /// Mass (mcg) or rate (mcg/h).
    pub quantity: Quantity,
    /// One dose: mcg, or mcg/h for a rate.
    pub single: Ratio,
    /// The daily total in mcg/day; for a rate, the rate itself (it runs all day).
    pub daily: Option<Ratio>,
    /// Course length.
    pub days: Option<u32>,
    /// The daily maximum that applies, once the dose limits are checked.
    pub daily_limit: limits::DailyLimit<'a>,
}

/// A dose check that could not be made, before merging per item.
pub(crate) struct Skip<'a> {
    item: &'a str,
    rank: Rank,
    /// The checks not made, as bits of `checks::ORDER`.
    check: u8,
    reason: SkipReason<'a>,
}

/// Collects findings and skipped checks for the dose stage.
pub(crate) struct Out<'a, 'f> {
    findings: &'f mut Vec<Finding<'a>>,
    skips: Vec<Skip<'a>>,
    ids: Ids<'a>,
}

impl<'a> Out<'a, '_> {
    /// Skips the checks whose bits (of [`checks::bits`]) are set in `mask`, for one reason.
    /// (A `Skip` is small enough to move as inline copies: a unit test holds `SkipReason`
    /// at 80 bytes.)
    #[inline(always)]
    fn skip(&mut self, item: (&'a str, Rank), mask: u8, reason: impl FnOnce() -> SkipReason<'a>) {
        if self.skips.capacity() == self.skips.len() {
            self.grow_skips();
        }
        self.skips.push(Skip {
            item: item.0,
            rank: item.1,
            check: mask,
            reason: reason(),
        });
    }

    /// Makes room for one more skipped check; for the first, room for as many as fit in under
    /// 1 KB, as glibc serves such a request from its per-thread cache, while a larger one first
    /// tidies its small freed blocks.
    #[cold]
    #[inline(never)]
    fn grow_skips(&mut self) {
        let more = if self.skips.capacity() == 0 {
            (1000 / std::mem::size_of::<Skip<'_>>()).max(1)
        } else {
            1
        };
        self.skips.reserve(more);
    }

    /// One `skipped` entry per item: its checks in canonical order and its reasons (sorted,
    /// without repeats and joined when the entry is written).
    fn merged(&mut self, order: &mut Vec<u16>) -> Vec<Skipped<'a>> {
        if self.skips.is_empty() {
            return Vec::new();
        }
        // Sorted through their positions, not by moving the entries (large, for their reasons).
        let skips = &mut self.skips;
        order.clear();
        sort_positions(skips, order);
        let mut out: Vec<Skipped<'a>> = Vec::with_capacity(skips.len());
        let mut start = 0;
        while start < order.len() {
            let first = order[start] as usize;
            let item = (skips[first].item, skips[first].rank);
            let mut end = start + 1;
            while end < order.len() && {
                let next = &skips[order[end] as usize];
                cmp_ids(next.item, next.rank, item.0, item.1).is_eq()
            } {
                end += 1;
            }
            let group = &order[start..end];
            start = end;
            let mask = group.iter().fold(0, |m, &k| m | skips[k as usize].check);
            let same = group[1..]
                .iter()
                .all(|&k| skips[k as usize].reason.same_as(&skips[first].reason));
            let mut take =
                |k: u16| std::mem::replace(&mut skips[k as usize].reason, SkipReason::Fixed(""));
            let reason = if same {
                take(group[0])
            } else {
                SkipReason::Several(group.iter().map(|&k| take(k)).collect())
            };
            out.push(Skipped::dose(item, checks::subset(mask), reason));
        }
        out
    }
}

/// A list of a finding that will hold an entry (`needed`), made with room for `n` at once
/// rather than grown on its first entry (through `RawVec::grow_one`); otherwise empty, with
/// nothing allocated.
fn room<T>(needed: bool, n: usize) -> Vec<T> {
    if needed {
        Vec::with_capacity(n)
    } else {
        Vec::new()
    }
}

/// The positions of the skipped checks in the order of their items' ids (then positions).
fn sort_positions(skips: &[Skip<'_>], order: &mut Vec<u16>) {
    // Items of the knowledge base, as every item with a dose is, have exact ranks: then the
    // order is that of the numbers `rank << 16 | position`, sorted on the stack.
    const ON_STACK: usize = 32;
    let mut keys = [0u64; ON_STACK];
    let n = skips.len();
    if n <= ON_STACK && skips.iter().all(|s| s.rank.is_exact()) {
        for ((key, s), at) in keys.iter_mut().zip(skips).zip(0u64..) {
            *key = u64::from(s.rank.known().unwrap_or(u32::MAX)) << 16 | at;
        }
        let keys = &mut keys[..n];
        keys.sort_unstable();
        order.extend(keys.iter().map(|&k| k as u16));
        return;
    }
    order.extend(0..n as u16);
    order.sort_unstable_by(|&a, &b| {
        let (x, y) = (&skips[a as usize], &skips[b as usize]);
        cmp_ids(x.item, x.rank, y.item, y.rank).then(a.cmp(&b))
    });
}

/// Runs every dose check on the checker's resolved items, adding to its findings; returns the
/// checks that could not be made, one entry per item.
pub(crate) fn check<'a>(c: &mut Checker<'a>, regimen: &'a Regimen) -> Vec<Skipped<'a>> {
    let (model, index, ids) = (c.model, c.index, c.ids);
    let Checker {
        findings,
        known,
        conditions,
        spare,
        ..
    } = c;
    let patient = patient::Context::new(&regimen.patient, conditions);
    let mut out = Out {
        findings,
        skips: std::mem::take(&mut spare.skips),
        ids,
    };
    let mut dosed = std::mem::take(&mut spare.dosed);
    let shared = cumulative::shared(index, known);
    let opioids = expand(model, index, &patient, known, shared, &mut out, &mut dosed);
    let limits = limits::Limits {
        model,
        index,
        patient: &patient,
    };
    for d in &mut dosed {
        limits.check_item(d, &mut out);
    }
    limits.cumulative(known, shared, &dosed, &mut out, spare);
    if opioids.items > 0 {
        mme::check(
            model,
            index,
            known,
            &dosed,
            opioids,
            &mut out,
            &mut spare.items,
        );
    }
    let skipped = out.merged(&mut spare.order);
    spare.skips = out.skips;
    spare.dosed = dosed;
    skipped
}

/// How many items hold an opioid, and how many of them have a dose.
#[derive(Clone, Copy)]
pub(crate) struct Opioids {
    pub items: usize,
    pub dosed: usize,
}

/// Every item's dose, per ingredient, in base units. Items without a usable dose are skipped
/// with the reason. Returns how many items hold an opioid.
///
/// An ingredient with no dose limit that is no opioid and that no other item may hold
/// (`shared`, [`cumulative::shared`]) gets no entry: no check reads it, and its one note, that
/// it has no limit, is made here.
fn expand<'a>(
    model: &'a Model,
    index: &Index,
    patient: &patient::Context,
    known: &[Known<'a>],
    shared: u64,
    out: &mut Out<'a, '_>,
    dosed: &mut Vec<Dosed<'a>>,
) -> Opioids {
    let too_large = || SkipReason::Fixed("the dose is too large to compute");
    let mut opioids = Opioids { items: 0, dosed: 0 };
    for k in known {
        let item = (k.id, k.rank);
        let holds = index.dose_holds(k.concept);
        let opioid = holds & HOLDS_OPIOID != 0;
        opioids.items += usize::from(opioid);
        let Some(dose) = &k.item.dose else {
            if holds & HOLDS_DOSED != 0 {
                out.skip(item, checks::no_dose(opioid), || {
                    SkipReason::Fixed("no dose given")
                });
            }
            continue;
        };
        opioids.dosed += usize::from(opioid);
        // Each substance with its strength in base units, worked out in the index.
        for &DosePart {
            substance,
            strength,
        } in index.dose_parts(k.concept)
        {
            // The amount of this ingredient in one dose, in mcg or mcg/h.
            let amount: Result<(Quantity, Ratio), SkipReason<'a>> =
                match (dose.unit.dimension(), strength) {
                    (Dimension::DosageUnit, Strength::PerUnit(Some((unit, base)))) => {
                        match (Quantity::of_dimension(unit), base.checked_mul(dose.value)) {
                            (Some(q), Some(v)) => Ok((q, v)),
                            _ => Err(too_large()),
                        }
                    }
                    (Dimension::DosageUnit, Strength::PerUnit(None)) => Err(too_large()),
                    (Dimension::MassPerKg, _) => match patient.weight() {
                        Some(w) => dose
                            .in_base()
                            .and_then(|b| b.checked_mul(w))
                            .map(|v| (Quantity::Mass, v))
                            .ok_or_else(too_large),
                        None => Err(SkipReason::NoWeight(dose.unit)),
                    },
                    (Dimension::Mass | Dimension::Rate, _) => match Quantity::of(dose.unit) {
                        Some(q) => dose.in_base().map(|v| (q, v)).ok_or_else(too_large),
                        None => Err(SkipReason::Fixed("the dose unit has no amount")),
                    },
                    // A dosage unit of a substance is refused earlier, by `item_route`.
                    (Dimension::DosageUnit, Strength::Own) => {
                        Err(SkipReason::NeedsProduct(dose.unit))
                    }
                };
            let (quantity, single) = match amount {
                Ok(a) => a,
                Err(reason) => {
                    if index.dose_relevant(substance) {
                        out.skip(item, checks::no_dose(index.is_opioid(substance)), || reason);
                    }
                    continue;
                }
            };
            if shared & concept_bit(substance) == 0 && !index.dose_relevant(substance) {
                out.skip(item, checks::bits::DOSE_LIMIT, || {
                    SkipReason::NoLimit(&model.concept(substance).id)
                });
                continue;
            }
            let daily = match quantity {
                Quantity::Rate => Some(single),
                Quantity::Mass => k.item.times_per_day.and_then(|t| single.checked_mul(t)),
            };
            dosed.push(Dosed {
                item: k.id,
                rank: k.rank,
                input: k.input,
                substance,
                route: k.route,
                quantity,
                single,
                daily,
                days: k.item.days,
                daily_limit: limits::DailyLimit::Unchecked,
            });
        }
    }
    opioids
}
