//! Opioid morphine milligram equivalents (MME) per day, summed over every opioid item.
//!
//! Each opioid's daily dose (mg/day, or the patch rate in mcg/h) is multiplied by its conversion
//! factor for the route. The highest threshold at or under the total fires. An opioid that cannot
//! be counted (no factor, a factor the source withholds, no dose, no `times_per_day`) makes the
//! total incomplete, and the finding says so: it never reports a low number as if it were whole.

use std::borrow::Cow;

use super::{Dosed, Opioids, Out, Quantity, room};
use crate::check::Known;
use crate::index::{HOLDS_OPIOID, Index, Rank};
use crate::model::{Model, OpioidConversion};
use crate::report::words::{DoseFinding, DoseWords};
use crate::report::{Contribution, DoseDetail, Finding, Items, Measure, NotCounted, Origin};
use crate::units::{Ratio, Unit};
use crate::vocab::{FindingKind, Route, Severity};

use crate::check::builtin::MME_INCOMPLETE;

const UNIT: &str = "MME/day";

/// One opioid ingredient of one item: its MME/day, or why it was not counted.
fn count<'a>(
    model: &'a Model,
    index: &Index,
    k: &Known<'a>,
    substance: crate::model::ConceptId,
    d: Option<&Dosed<'a>>,
    notes: &mut Vec<Cow<'a, str>>,
) -> Result<(Ratio, bool), Cow<'a, str>> {
    let name: &'a str = &model.concept(substance).id;
    let route = match (k.route, d) {
        (Some(r), _) => r,
        (None, Some(d)) if d.quantity == Quantity::Rate => Route::Transdermal,
        (None, _) => {
            if index.conversion(substance, Route::Oral).is_some() {
                notes.push(Cow::Owned(format!(
                    "`{}` has no route; it was counted with the oral factor.",
                    k.id
                )));
            }
            Route::Oral
        }
    };
    let conversion: &'a OpioidConversion = match index.conversion(substance, route) {
        Some(i) => &model.opioid_conversions[i as usize],
        None => {
            return Err(Cow::Owned(format!(
                "no MME conversion factor for `{name}` by route {route}"
            )));
        }
    };
    let Some(factor) = conversion.factor else {
        return Err(Cow::Borrowed(
            conversion
                .note
                .as_deref()
                .unwrap_or("the source gives no conversion factor"),
        ));
    };
    let Some(d) = d else {
        return Err(Cow::Borrowed("no usable dose"));
    };
    let per_rate = conversion.per == Unit::McgPerH;
    if per_rate != (d.quantity == Quantity::Rate) {
        return Err(Cow::Owned(format!(
            "the factor for `{name}` by route {route} is per {} but the dose is {}",
            conversion.per,
            if per_rate { "a mass" } else { "a rate" }
        )));
    }
    // Without times_per_day the daily dose is not known, but on a day the dose is taken it is
    // at least one dose: counted as that, the total is a floor (and says so).
    let (daily, floor) = match d.daily {
        Some(daily) => (daily, false),
        None => (d.single, true),
    };
    // mcg/day -> mg/day for per-mg factors; mcg/h as it is for per-mcg/h factors.
    let amount = if per_rate {
        daily
    } else {
        daily.checked_div_int(1000).unwrap_or(daily)
    };
    if let Some(n) = conversion.note.as_deref() {
        notes.push(Cow::Borrowed(n));
    }
    amount
        .checked_mul(factor)
        .map(|mme| (mme, floor))
        .ok_or(Cow::Borrowed("the dose is too large to compute"))
}

/// Total morphine milligram equivalents per day over every opioid item.
pub(crate) fn check<'a>(
    model: &'a Model,
    index: &Index,
    known: &[Known<'a>],
    dosed: &[Dosed<'a>],
    opioids: Opioids,
    out: &mut Out<'a, '_>,
    items: &mut Vec<(&'a str, Rank)>,
) {
    let mut total = Ratio::ZERO;
    // An item with a dose is most often counted, and one without never is.
    let mut contributions: Vec<Contribution<'a>> = room(opioids.dosed > 0, opioids.dosed);
    let mut not_counted: Vec<NotCounted<'a>> = room(opioids.dosed < opioids.items, opioids.items);
    items.clear();
    let mut notes: Vec<Cow<'a, str>> = Vec::new();
    let mut any_dosed = false;
    for k in known {
        if index.dose_holds(k.concept) & HOLDS_OPIOID == 0 {
            continue;
        }
        for &s in index.substances(k.concept) {
            if !index.is_opioid(s) {
                continue;
            }
            items.push((k.id, k.rank));
            any_dosed |= k.item.dose.is_some();
            let counted = if k.item.dose.is_none() {
                Err(Cow::Borrowed("no dose given"))
            } else {
                let d = dosed
                    .iter()
                    .find(|d| d.input == k.input && d.substance == s);
                count(model, index, k, s, d, &mut notes)
            };
            match counted {
                Ok((mme, floor)) => {
                    total = total.checked_add(mme).unwrap_or(total);
                    contributions.push(Contribution {
                        item: k.id,
                        amount: Measure {
                            value: mme,
                            unit: UNIT,
                        },
                    });
                    if floor {
                        not_counted.push(NotCounted {
                            item: k.id,
                            reason: Cow::Borrowed(crate::report::words::ONE_DOSE_A_DAY),
                        });
                        notes.push(Cow::Borrowed(
                            "The total is a floor: an opioid without times_per_day was counted \
                             as one dose a day, the least on a day it is taken.",
                        ));
                    }
                }
                Err(reason) => not_counted.push(NotCounted { item: k.id, reason }),
            }
        }
    }
    if items.is_empty() {
        return;
    }
    contributions.sort_unstable_by(|a, b| (a.item, a.amount.value).cmp(&(b.item, b.amount.value)));
    not_counted.sort_unstable_by(|a, b| (a.item, &a.reason).cmp(&(b.item, &b.reason)));
    if notes.len() > 1 {
        notes.sort_unstable();
        notes.dedup();
    }
    let incomplete = !not_counted.is_empty();
    let value = Measure {
        value: total,
        unit: UNIT,
    };
    let threshold = model
        .mme_thresholds
        .iter()
        .enumerate()
        .rev()
        .find(|(_, t)| total >= t.mme_per_day);
    let items = Items::collect_in(items);
    let finding = match threshold {
        Some((place, t)) => {
            let detail = DoseDetail {
                limit: "mme",
                value: Some(value),
                max: Some(Measure {
                    value: t.mme_per_day,
                    unit: UNIT,
                }),
                contributions,
                not_counted,
                ..DoseDetail::default()
            };
            Finding::of_dose(
                FindingKind::OpioidMme,
                t.severity,
                Origin::MmeThreshold(t),
                index.threshold_rank(model, place),
                items,
                Box::new(DoseFinding {
                    detail,
                    words: DoseWords::MmeThreshold {
                        threshold: t,
                        notes,
                    },
                }),
            )
        }
        // With no opioid dose at all there is no total to qualify; `skipped` says why.
        None if incomplete && any_dosed => {
            let detail = DoseDetail {
                limit: "mme",
                value: Some(value),
                contributions,
                not_counted,
                ..DoseDetail::default()
            };
            let sources = model
                .mme_thresholds
                .first()
                .map_or(&[][..], |t| &t.sources[..]);
            Finding::of_dose(
                FindingKind::OpioidMme,
                Severity::Info,
                Origin::Builtin(MME_INCOMPLETE),
                out.ids.rank(MME_INCOMPLETE),
                items,
                Box::new(DoseFinding {
                    detail,
                    words: DoseWords::MmeIncomplete { sources, notes },
                }),
            )
        }
        None => return,
    };
    out.findings.push(finding);
}
