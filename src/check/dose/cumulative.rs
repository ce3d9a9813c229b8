//! One ingredient in two or more items: its total across items against its daily limit
//! (`cumulative-dose`), or the same-ingredient finding when within it or uncountable.

use std::borrow::Cow;

use super::limits::{Chosen, DailyLimit, Kind, Limits, name, shown};
use super::{Dosed, Out, Quantity, SAME_INGREDIENT, checks, room};
use crate::check::Known;
use crate::check::scratch::{Holder, Scratch};
use crate::index::{Index, Rank, concept_bit};
use crate::model::DoseLimit;
use crate::report::words::{DoseFinding, DoseWords, SkipReason};
use crate::report::{Contribution, DoseDetail, Finding, Items, NotCounted, Origin};
use crate::units::Ratio;
use crate::vocab::{FindingKind, Severity};

/// The bits ([`concept_bit`]) that two or more items set. Most substances are held by one item; only
/// a substance whose bit is here can be held by two.
pub(crate) fn shared(index: &Index, known: &[Known<'_>]) -> u64 {
    let (mut once, mut twice) = (0, 0);
    for k in known {
        let bits = index.substance_bits(k.concept);
        twice |= once & bits;
        once |= bits;
    }
    twice
}

impl<'a> Limits<'a, '_> {
    /// One ingredient in two or more items: its summed daily dose against the lowest daily
    /// limit that applies to any of them. `twice` is [`shared`]: only the holders of those
    /// substances are gathered and sorted into groups.
    pub(crate) fn cumulative(
        &self,
        known: &[Known<'a>],
        twice: u64,
        dosed: &[Dosed<'a>],
        out: &mut Out<'a, '_>,
        spare: &mut Scratch<'a>,
    ) {
        if twice == 0 {
            return;
        }
        // Every item holding each of those substances, with or without a dose.
        let mut holders = std::mem::take(&mut spare.holders);
        for k in known {
            if self.index.substance_bits(k.concept) & twice == 0 {
                continue;
            }
            for &s in self.index.substances(k.concept) {
                if twice & concept_bit(s) != 0 {
                    holders.push((s, k.input, k.id, k.rank));
                }
            }
        }
        holders.sort_unstable_by_key(|h| (h.0, h.1));
        holders.dedup_by_key(|h| (h.0, h.1));
        for group in holders.chunk_by(|a, b| a.0 == b.0) {
            if group.len() >= 2 {
                self.total(group, dosed, out, &mut spare.items);
            }
        }
        spare.holders = holders;
    }

    fn total(
        &self,
        group: &[Holder<'a>],
        dosed: &[Dosed<'a>],
        out: &mut Out<'a, '_>,
        list: &mut Vec<(&'a str, Rank)>,
    ) {
        let substance = group[0].0;
        let name = self.name(substance);
        let items = Items::of_in(group.iter().map(|g| (g.2, g.3)), list);
        // Each holder's dose of the substance (found again where needed: a few entries).
        let parts = || {
            group.iter().map(move |&(_, input, _, _)| {
                dosed
                    .iter()
                    .find(|d| d.input == input && d.substance == substance)
            })
        };
        // Sum masses, or rates when every counted part is a rate.
        let any_dose = parts().any(|p| p.is_some());
        let quantity = if any_dose && parts().flatten().all(|d| d.quantity == Quantity::Rate) {
            Quantity::Rate
        } else {
            Quantity::Mass
        };
        // A part with a dose is counted (a part of the quantity summed always is), and a part
        // without one is not.
        let mut total = Ratio::ZERO;
        let mut contributions = room(any_dose, group.len());
        let mut not_counted = room(parts().any(|p| p.is_none()), group.len());
        let mut lowest: Option<(Chosen<'a>, (usize, &'a DoseLimit))> = None;
        let mut unknown: Vec<((&'a str, Rank), SkipReason<'a>)> = Vec::new();
        for (&(_, _, item, rank), part) in group.iter().zip(parts()) {
            let reason = match part {
                None => Some("no usable dose"),
                Some(d) if d.quantity != quantity => Some("a rate and a mass cannot be added"),
                Some(_) => None,
            };
            if let Some(reason) = reason {
                not_counted.push(NotCounted {
                    item,
                    reason: Cow::Borrowed(reason),
                });
                continue;
            }
            let d = part.expect("counted");
            // Without times_per_day, one dose: the least on a day it is taken. The total is
            // then a floor ("at least"), and the item is listed as not fully counted.
            let daily = match d.daily {
                Some(daily) => daily,
                None => {
                    not_counted.push(NotCounted {
                        item,
                        reason: Cow::Borrowed(crate::report::words::ONE_DOSE_A_DAY),
                    });
                    d.single
                }
            };
            total = total.checked_add(daily).unwrap_or(total);
            contributions.push(Contribution {
                item,
                amount: shown(Kind::Daily, quantity, daily),
            });
            if let DailyLimit::Known(limit) = d.daily_limit {
                // Found when the dose was checked: the same limits, bands and quantity.
                if let Some((c, place)) = limit {
                    if lowest.is_none_or(|(l, _)| c.value < l.value) {
                        let place = place as usize;
                        lowest = Some((c, (place, &self.model.dose_limits[place])));
                    }
                }
                continue;
            }
            let Some(candidates) = self.candidates(substance, d.route) else {
                continue;
            };
            for (place, limit) in candidates.iter() {
                let applied = self.applied((place, limit), Kind::Daily, quantity);
                if let Some(c) = applied.chosen {
                    if lowest.is_none_or(|(l, _)| c.value < l.value) {
                        lowest = Some((c, (place, limit)));
                    }
                }
                for u in applied.unknown {
                    let reason = SkipReason::TotalBand {
                        band: u.band,
                        limit,
                        missing: u.missing,
                        name,
                    };
                    unknown.push(((item, rank), reason));
                }
            }
        }
        contributions
            .sort_unstable_by(|a, b| (a.item, a.amount.value).cmp(&(b.item, b.amount.value)));
        not_counted.sort_unstable_by(|a, b| (a.item, &a.reason).cmp(&(b.item, &b.reason)));
        let complete = not_counted.is_empty();
        let n = group.len();
        let value = shown(Kind::Daily, quantity, total);
        if let Some((c, (place, limit))) = lowest {
            if total > c.value {
                let (crcl, crcl_method) = self.crcl_basis(&c);
                let detail = DoseDetail {
                    limit: name_of_daily(),
                    value: Some(value),
                    max: Some(shown(Kind::Daily, quantity, c.value)),
                    band: Some(&c.band.name),
                    route: Some(limit.route),
                    per_kg: c.per_kg(Kind::Daily),
                    crcl,
                    crcl_method,
                    contributions,
                    not_counted,
                };
                let words = DoseWords::Cumulative {
                    name,
                    n,
                    complete,
                    band: c.band,
                    weight: self.patient.weight(),
                };
                out.findings.push(Finding::of_dose(
                    FindingKind::CumulativeDose,
                    limit.severity,
                    Origin::DoseLimit(limit),
                    self.index.dose_limit_rank(self.model, place),
                    items,
                    Box::new(DoseFinding { detail, words }),
                ));
                return;
            }
        }
        for (item, reason) in unknown {
            out.skip(item, checks::bits::CUMULATIVE, || reason);
        }
        let severity = if !complete && self.index.dose_relevant(substance) {
            Severity::Moderate
        } else {
            Severity::Info
        };
        let detail = DoseDetail {
            limit: name_of_daily(),
            value: Some(value),
            max: lowest.map(|(c, _)| shown(Kind::Daily, quantity, c.value)),
            band: lowest.map(|(c, _)| &*c.band.name),
            contributions,
            not_counted,
            ..DoseDetail::default()
        };
        let words = DoseWords::SameIngredient { name, n, complete };
        out.findings.push(Finding::of_dose(
            FindingKind::DuplicateTherapy,
            severity,
            Origin::Builtin(SAME_INGREDIENT),
            out.ids.rank(SAME_INGREDIENT),
            items,
            Box::new(DoseFinding { detail, words }),
        ));
    }
}

fn name_of_daily() -> &'static str {
    name(Kind::Daily)
}
