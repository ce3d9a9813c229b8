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
//! checked is listed in the report's `skipped`, never passed over in silence.

mod limits;
mod mme;
mod patient;
mod route;

use std::borrow::Cow;

use super::Known;
use crate::index::Index;
use crate::model::{ConceptId, Detail, Model};
use crate::regimen::Regimen;
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
        match unit.dimension() {
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
}

/// A dose check that could not be made, before merging per item.
pub(crate) struct Skip<'a> {
    item: &'a str,
    check: &'static str,
    reason: String,
}

/// Collects findings and skipped checks for the dose stage.
pub(crate) struct Out<'a, 'f> {
    findings: &'f mut Vec<Finding<'a>>,
    skips: Vec<Skip<'a>>,
}

impl<'a> Out<'a, '_> {
    fn skip(&mut self, item: &'a str, check: &'static str, reason: impl Into<String>) {
        self.skips.push(Skip {
            item,
            check,
            reason: reason.into(),
        });
    }

    /// One `skipped` entry per item: its checks in canonical order and its reasons joined.
    fn merged(mut self) -> Vec<Skipped<'a>> {
        self.skips
            .sort_by(|a, b| (a.item, &a.reason).cmp(&(b.item, &b.reason)));
        let mut out: Vec<Skipped<'a>> = Vec::new();
        for group in self.skips.chunk_by(|a, b| a.item == b.item) {
            let mut checks: Vec<&'static str> = group.iter().map(|s| s.check).collect();
            checks.sort_by_key(|c| checks::ORDER.iter().position(|o| o == c));
            checks.dedup();
            let mut reasons: Vec<&str> = group.iter().map(|s| s.reason.as_str()).collect();
            reasons.dedup();
            out.push(Skipped {
                item: group[0].item,
                checks,
                reason: Cow::Owned(reasons.join("; ")),
            });
        }
        out
    }
}

/// Runs every dose check; returns the checks that could not be made, one entry per item.
pub(crate) fn check<'a>(
    model: &'a Model,
    index: &'a Index,
    regimen: &'a Regimen,
    known: &[Known<'a>],
    conditions: &[ConceptId],
    findings: &mut Vec<Finding<'a>>,
) -> Vec<Skipped<'a>> {
    let patient = patient::Context::new(&regimen.patient, conditions);
    let mut out = Out {
        findings,
        skips: Vec::new(),
    };
    let dosed = expand(model, index, &patient, known, &mut out);
    let limits = limits::Limits {
        model,
        index,
        patient: &patient,
    };
    for d in &dosed {
        limits.check_item(d, &mut out);
    }
    limits.cumulative(known, &dosed, &mut out);
    mme::check(model, index, known, &dosed, &mut out);
    out.merged()
}

/// The substances an item contains, with their strength per dosage unit for a product.
fn ingredients(
    model: &Model,
    concept: ConceptId,
) -> Vec<(ConceptId, Option<crate::units::Amount>)> {
    match &model.concept(concept).detail {
        Detail::Product(p) => p
            .ingredients
            .iter()
            .map(|i| (i.substance, Some(i.strength)))
            .collect(),
        Detail::Substance(_) => vec![(concept, None)],
        _ => Vec::new(),
    }
}

/// True when a dose of this substance can be checked at all (it has a limit or counts for MME).
fn dose_relevant(index: &Index, s: ConceptId) -> bool {
    !index.dose_limits(s).is_empty() || index.is_opioid(s)
}

/// Every item's dose, per ingredient, in base units. Items without a usable dose are skipped
/// with the reason.
fn expand<'a>(
    model: &'a Model,
    index: &Index,
    patient: &patient::Context,
    known: &[Known<'a>],
    out: &mut Out<'a, '_>,
) -> Vec<Dosed<'a>> {
    let mut dosed = Vec::new();
    for k in known {
        let parts = ingredients(model, k.concept);
        if parts.is_empty() {
            continue;
        }
        let Some(dose) = k.item.dose else {
            if parts.iter().any(|(s, _)| dose_relevant(index, *s)) {
                for check in [checks::DOSE_LIMIT, checks::CUMULATIVE, checks::MME] {
                    if check != checks::MME || parts.iter().any(|(s, _)| index.is_opioid(*s)) {
                        out.skip(k.id, check, "no dose given");
                    }
                }
            }
            continue;
        };
        for (substance, strength) in parts {
            // The amount of this ingredient in one dose, in mcg or mcg/h.
            let amount: Result<(Quantity, Ratio), String> = match (dose.unit.dimension(), strength)
            {
                (Dimension::DosageUnit, Some(s)) => {
                    match (
                        Quantity::of(s.unit),
                        s.in_base().and_then(|b| b.checked_mul(dose.value)),
                    ) {
                        (Some(q), Some(v)) => Ok((q, v)),
                        _ => Err("the dose is too large to compute".into()),
                    }
                }
                (Dimension::MassPerKg, _) => match patient.weight() {
                    Some(w) => dose
                        .in_base()
                        .and_then(|b| b.checked_mul(w))
                        .map(|v| (Quantity::Mass, v))
                        .ok_or_else(|| "the dose is too large to compute".into()),
                    None => Err(format!(
                        "the dose is in {} and the patient's weight_kg is not given",
                        dose.unit
                    )),
                },
                (Dimension::Mass | Dimension::Rate, _) => match Quantity::of(dose.unit) {
                    Some(q) => dose
                        .in_base()
                        .map(|v| (q, v))
                        .ok_or_else(|| "the dose is too large to compute".into()),
                    None => Err("the dose unit has no amount".into()),
                },
                // A dosage unit of a substance is refused earlier, by `item_route`.
                (Dimension::DosageUnit, None) => {
                    Err(format!("{} needs a product with a strength", dose.unit))
                }
            };
            let (quantity, single) = match amount {
                Ok(a) => a,
                Err(reason) => {
                    if dose_relevant(index, substance) {
                        for check in [checks::DOSE_LIMIT, checks::CUMULATIVE, checks::MME] {
                            if check != checks::MME || index.is_opioid(substance) {
                                out.skip(k.id, check, reason.clone());
                            }
                        }
                    }
                    continue;
                }
            };
            let daily = match quantity {
                Quantity::Rate => Some(single),
                Quantity::Mass => k.item.times_per_day.and_then(|t| single.checked_mul(t)),
            };
            dosed.push(Dosed {
                item: k.id,
                input: k.input,
                substance,
                route: k.route,
                quantity,
                single,
                daily,
                days: k.item.days,
            });
        }
    }
    dosed
}
