//! The words of the checker's own findings and skipped checks, written when a report is.
//!
//! A check keeps what a sentence is made of (names, numbers, which field is missing) and the
//! sentence is written when the report is: most reports are read by a program that wants the
//! counts and ids, and writing sentences nobody reads was most of the cost of a check.

use std::borrow::Cow;
use std::fmt::{self, Display, Formatter, Write as _};

use super::{DoseDetail, Measure};
use crate::model::{Band, Citation, ConceptKind, DoseLimit, MmeThreshold};
use crate::units::{Compact, Ratio, Unit};
use crate::vocab::Route;

/// Why an item without `times_per_day` counts toward a daily total as one dose (the least on
/// a day it is taken), which makes the total a floor.
pub(crate) const ONE_DOSE_A_DAY: &str =
    "no times_per_day: counted as one dose a day, the least on a day it is taken";

/// Why an unknown-item finding was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unknown {
    /// An item the knowledge base does not know.
    Item,
    /// An item that names a concept that is not an item (a class, a condition).
    NotAnItem(ConceptKind),
    /// A condition the knowledge base does not know.
    Condition,
    /// An allergy the knowledge base does not know.
    Allergy,
}

impl Unknown {
    /// `` `input` is not in the knowledge base; it was not checked for ... ``
    pub(crate) fn write(self, input: &str, f: &mut impl fmt::Write) -> fmt::Result {
        write!(f, "`{input}` ")?;
        match self {
            Unknown::Item => f.write_str(
                "is not in the knowledge base; it was not checked for interactions, doses, conditions or allergies",
            ),
            Unknown::NotAnItem(kind) => write!(
                f,
                "names a {}, not a medication, product or therapy; it was not checked",
                kind.as_str()
            ),
            Unknown::Condition => f.write_str(
                "is not a condition the knowledge base knows; no item was checked against it",
            ),
            Unknown::Allergy => f.write_str(
                "is not a substance or class the knowledge base knows; no item was checked against this allergy",
            ),
        }
    }
}

/// What to do for a monitoring requirement an item calls for on its own: what to measure, and
/// when.
pub(crate) fn standing_management(m: &crate::model::Monitoring) -> String {
    format!("{}. When: {}.", m.what, m.when.trim_end_matches('.'))
}

/// What to do about an unknown item, condition or allergy.
pub(crate) const UNKNOWN_MANAGEMENT: &str = "Check this by other means before signing, or add it to the knowledge base (or correct its spelling).";
/// What to do about an item listed twice.
pub(crate) const DUPLICATE_MANAGEMENT: &str =
    "Keep one entry per medication, with its full dose, so the total can be checked.";
/// What to do about a documented allergy.
pub(crate) const ALLERGY_MANAGEMENT: &str = "Do not give unless the allergy record is confirmed wrong; choose an alternative outside the allergen's class.";
/// What to do about an incomplete MME total.
pub(crate) const MME_INCOMPLETE_MANAGEMENT: &str = "Work out the MME of the items not counted by other means before relying on the MME thresholds.";

/// `` `item` is or contains `allergy`, a documented allergy ``
pub(crate) fn documented_allergy(
    item: &str,
    allergy: &str,
    f: &mut impl fmt::Write,
) -> fmt::Result {
    write!(
        f,
        "`{item}` is or contains `{allergy}`, a documented allergy"
    )
}

/// The kinds of dose limit, as the words name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LimitKind {
    /// A single-dose maximum.
    Single,
    /// A daily maximum.
    Daily,
    /// A course-length maximum.
    Days,
}

impl LimitKind {
    /// `single-dose maximum`, `daily maximum`, `maximum course`.
    pub(crate) fn label(self) -> &'static str {
        match self {
            LimitKind::Single => "single-dose maximum",
            LimitKind::Daily => "daily maximum",
            LimitKind::Days => "maximum course",
        }
    }

    /// The regimen field a value of this kind needs besides the dose.
    pub(crate) fn needs(self) -> &'static str {
        match self {
            LimitKind::Daily => "times_per_day",
            _ => "days",
        }
    }
}

/// What the words of a dose finding are made of (the numbers are in its [`DoseDetail`]).
#[derive(Clone, Debug)]
pub(crate) enum DoseWords<'a> {
    /// One ingredient of one item over its limit.
    Limit {
        /// The substance's id.
        name: &'a str,
        /// The item's id.
        item: &'a str,
        /// Which limit.
        kind: LimitKind,
        /// The band that set it.
        band: &'a Band,
        /// The patient's weight, for a per-kg limit.
        weight: Option<Ratio>,
    },
    /// One ingredient's total across items over its daily limit.
    Cumulative {
        /// The substance's id.
        name: &'a str,
        /// How many items hold it.
        n: usize,
        /// False when some item could not be counted.
        complete: bool,
        /// The band that set the limit.
        band: &'a Band,
        /// The patient's weight, for a per-kg limit.
        weight: Option<Ratio>,
    },
    /// One ingredient in two or more items, within its limit or not checkable.
    SameIngredient {
        /// The substance's id.
        name: &'a str,
        /// How many items hold it.
        n: usize,
        /// False when some item could not be counted.
        complete: bool,
    },
    /// An opioid MME total at or over a threshold.
    MmeThreshold {
        /// The threshold.
        threshold: &'a MmeThreshold,
        /// Caveats of the factors used.
        notes: Vec<Cow<'a, str>>,
    },
    /// An incomplete opioid MME total under every threshold.
    MmeIncomplete {
        /// The sources of the lowest threshold.
        sources: &'a [Citation],
        /// Caveats of the factors used.
        notes: Vec<Cow<'a, str>>,
    },
}

/// A dose finding's detail and words.
#[derive(Clone, Debug)]
pub(crate) struct DoseFinding<'a> {
    pub detail: DoseDetail<'a>,
    pub words: DoseWords<'a>,
}

/// `value` or `at least value`.
fn at_least(complete: bool) -> &'static str {
    if complete { "" } else { "at least " }
}

fn measure(m: &Option<Measure>) -> Measure {
    m.expect("dose findings carry their numbers")
}

impl DoseFinding<'_> {
    /// What a renal or per-kg band was computed from: `; 15 mg/kg x 40 kg; CrCl 42 mL/min`.
    fn basis(&self, weight: Option<Ratio>, f: &mut impl fmt::Write) -> fmt::Result {
        let d = &self.detail;
        if let (Some(per_kg), Some(w)) = (&d.per_kg, weight) {
            write!(f, "; {per_kg} x {w} kg")?;
        }
        if let Some(c) = &d.crcl {
            write!(f, "; CrCl {} mL/min", c.value)?;
            if d.crcl_method == Some("cockcroft-gault") {
                f.write_str(" by Cockcroft-Gault")?;
            }
        }
        Ok(())
    }

    /// The items of an MME total that could not be counted: `a, b`.
    /// The items behind an incomplete total: `a, b {not_counted}` for those left out, and
    /// `c counted as one dose a day` for those without `times_per_day`, joined by `; `.
    fn missing(&self, f: &mut impl fmt::Write, not_counted: &str) -> fmt::Result {
        let mut wrote = false;
        for (floor, phrase) in [(false, not_counted), (true, "counted as one dose a day")] {
            let mut last: Option<&str> = None;
            for n in &self.detail.not_counted {
                if (n.reason == ONE_DOSE_A_DAY) != floor || last == Some(n.item) {
                    continue;
                }
                f.write_str(match (last, wrote) {
                    (Some(_), _) => ", ",
                    (None, true) => "; ",
                    (None, false) => "",
                })?;
                f.write_str(n.item)?;
                last = Some(n.item);
            }
            if last.is_some() {
                write!(f, " {phrase}")?;
                wrote = true;
            }
        }
        Ok(())
    }

    /// The finding's summary.
    pub(crate) fn summary(&self, f: &mut impl fmt::Write) -> fmt::Result {
        let d = &self.detail;
        match &self.words {
            DoseWords::Limit {
                name,
                item,
                kind,
                band,
                weight,
            } => {
                write!(f, "`{name}`")?;
                if name != item {
                    write!(f, " (from `{item}`)")?;
                }
                write!(
                    f,
                    ": {} is over the {} of {} (band `{}`",
                    measure(&d.value),
                    kind.label(),
                    measure(&d.max),
                    band.name
                )?;
                self.basis(*weight, f)?;
                f.write_str(")")
            }
            DoseWords::Cumulative {
                name,
                n,
                complete,
                band,
                weight,
            } => {
                write!(
                    f,
                    "`{name}` from {n} items totals {}{}, over the daily maximum of {} (band `{}`",
                    at_least(*complete),
                    measure(&d.value),
                    measure(&d.max),
                    band.name
                )?;
                self.basis(*weight, f)?;
                f.write_str(")")
            }
            DoseWords::SameIngredient { name, n, complete } => {
                let value = measure(&d.value);
                match (complete, &d.max) {
                    (true, Some(max)) => write!(
                        f,
                        "{n} items contain `{name}`; together {value}, within the daily maximum of {max}"
                    ),
                    (true, None) => write!(
                        f,
                        "{n} items contain `{name}`; together {value} (no daily maximum applies in the knowledge base)"
                    ),
                    (false, _) => write!(
                        f,
                        "{n} items contain `{name}`; their total daily dose could not be checked ({}{value} counted)",
                        at_least(false)
                    ),
                }
            }
            DoseWords::MmeThreshold { threshold: t, .. } => {
                let value = measure(&d.value);
                if d.not_counted.is_empty() {
                    write!(
                        f,
                        "Opioids total {value}, at or over {} MME/day: {}",
                        t.mme_per_day, t.summary
                    )
                } else {
                    write!(f, "Opioids total at least {value} (incomplete: ")?;
                    self.missing(f, "not counted")?;
                    write!(f, "), at or over {} MME/day: {}", t.mme_per_day, t.summary)
                }
            }
            DoseWords::MmeIncomplete { .. } => {
                write!(
                    f,
                    "The opioid MME total is incomplete: {} counted, but ",
                    measure(&d.value)
                )?;
                self.missing(f, "could not be counted")?;
                f.write_str(", so the total may be at or over a threshold")
            }
        }
    }

    /// The management text when the finding's origin does not give it.
    pub(crate) fn management(&self) -> Option<Cow<'static, str>> {
        match &self.words {
            DoseWords::SameIngredient { name, .. } => Some(Cow::Owned(format!(
                "Count `{name}` from every item against its daily maximum; give each item's dose and times_per_day so the total can be checked."
            ))),
            DoseWords::MmeIncomplete { .. } => Some(Cow::Borrowed(MME_INCOMPLETE_MANAGEMENT)),
            _ => None,
        }
    }

    /// The caveats of the MME factors used, joined.
    pub(crate) fn notes(&self) -> Option<String> {
        match &self.words {
            DoseWords::MmeThreshold { notes, .. } | DoseWords::MmeIncomplete { notes, .. }
                if !notes.is_empty() =>
            {
                Some(notes.join(" "))
            }
            _ => None,
        }
    }
}

/// Patient fields a dose-limit band needs and the regimen does not give.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Missing {
    /// `age_years`.
    pub age: bool,
    /// `weight_kg`, to tell whether the band covers the patient.
    pub weight: bool,
    /// The creatinine clearance, and why it is unknown.
    pub crcl: Option<CrclMissing>,
    /// `weight_kg`, to compute a per-kg limit (named last).
    pub weight_for_limit: bool,
}

/// Why the creatinine clearance is unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CrclMissing {
    /// Cockcroft-Gault does not apply (under 18, or 140 years or more).
    NotApplicable,
    /// Some of age, weight, sex and serum creatinine are missing: bits 0 to 3, in that order.
    Fields(u8),
}

impl Display for CrclMissing {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match *self {
            CrclMissing::NotApplicable => {
                f.write_str("crcl_ml_min (Cockcroft-Gault does not apply at this age)")
            }
            CrclMissing::Fields(bits) => {
                f.write_str("crcl_ml_min, or age_years, weight_kg, sex and serum_creatinine_mg_dl (missing: ")?;
                let names = ["age_years", "weight_kg", "sex", "serum_creatinine_mg_dl"];
                let mut first = true;
                for (k, name) in names.iter().enumerate() {
                    if bits & (1 << k) != 0 {
                        if !first {
                            f.write_str(", ")?;
                        }
                        f.write_str(name)?;
                        first = false;
                    }
                }
                f.write_str(")")
            }
        }
    }
}

impl Missing {
    /// True when nothing is missing.
    pub(crate) fn is_empty(&self) -> bool {
        *self == Missing::default()
    }
}

impl Display for Missing {
    /// `age_years and weight_kg`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut sep = |f: &mut Formatter<'_>| {
            let s = if first { "" } else { " and " };
            first = false;
            f.write_str(s)
        };
        if self.age {
            sep(f)?;
            f.write_str("age_years")?;
        }
        if self.weight {
            sep(f)?;
            f.write_str("weight_kg")?;
        }
        if let Some(c) = self.crcl {
            sep(f)?;
            write!(f, "{c}")?;
        }
        if self.weight_for_limit && !self.weight {
            sep(f)?;
            f.write_str("weight_kg")?;
        }
        Ok(())
    }
}

/// A dose over the limit of a band that could not be evaluated: the two numbers in the unit
/// they are shown in, kept compact so that a skipped check stays small enough to move without
/// a `memcpy` call (a unit test holds it there).
#[derive(Clone, Debug)]
pub(crate) struct Over {
    /// The dose.
    value: Compact,
    /// The band's limit.
    max: Compact,
    /// The unit of both.
    unit: &'static str,
    /// Which limit.
    kind: LimitKind,
}

impl Over {
    /// The dose `value` over the band's limit `max` of this kind, both in one unit.
    pub(crate) fn new(value: Measure, kind: LimitKind, max: Measure) -> Over {
        debug_assert_eq!(value.unit, max.unit);
        Over {
            value: Compact::new(value.value),
            max: Compact::new(max.value),
            unit: value.unit,
            kind,
        }
    }

    /// The dose and the band's limit, as given to [`Over::new`].
    fn measures(&self) -> (Measure, Measure) {
        let unit = self.unit;
        (
            Measure {
                value: self.value.get(),
                unit,
            },
            Measure {
                value: self.max.get(),
                unit,
            },
        )
    }
}

/// Why a dose check was not made, as the words of `skipped` say it.
#[derive(Clone, Debug)]
pub(crate) enum SkipReason<'a> {
    /// A fixed sentence of the checker's own (`no dose given`): never in need of a JSON
    /// escape.
    Fixed(&'static str),
    /// `the knowledge base has no dose limit for `name``, `name` a substance id of the
    /// knowledge base (validated, so never in need of a JSON escape).
    NoLimit(&'a str),
    /// `the dose is in mg/kg and the patient's weight_kg is not given`
    NoWeight(Unit),
    /// `tablet needs a product with a strength`
    NeedsProduct(Unit),
    /// `` `times_per_day` not given; the daily maximum (4000 mg/day in band `adult`) was not
    /// checked ``
    NotGiven {
        /// Which limit.
        kind: LimitKind,
        /// The limit that applies, and its band, when one does.
        chosen: Option<(Measure, &'a str)>,
    },
    /// `band `b` of `limit` needs weight_kg, so its limits could not be checked` or, with the
    /// numbers, `...; the dose (5 mg) would be over its single-dose maximum of 4 mg`.
    Band {
        /// The band.
        band: &'a Band,
        /// Its dose limit.
        limit: &'a DoseLimit,
        /// What the band needs.
        missing: Missing,
        /// The dose, the kind of limit and the band's limit, when the limit is known.
        over: Option<Over>,
    },
    /// `band `b` of `limit` needs age_years; the total of `name` across items was not checked
    /// against it`
    TotalBand {
        /// The band.
        band: &'a Band,
        /// Its dose limit.
        limit: &'a DoseLimit,
        /// What the band needs.
        missing: Missing,
        /// The substance's id.
        name: &'a str,
    },
    /// `the dose is a mass but the daily maximum of `limit` is a rate (mcg/h)`
    OtherQuantity {
        /// True when the dose is a rate.
        rate: bool,
        /// Which limit.
        kind: LimitKind,
        /// The limit's id.
        limit: &'a str,
    },
    /// Anything else, written already.
    Text(String),
    /// Two or more different reasons for one item's checks, written sorted, without repeats,
    /// joined by `; `: written only when read, like the others.
    Several(Box<[SkipReason<'a>]>),
}

impl SkipReason<'_> {
    /// True when both say the same for certain without writing them (false may still be the
    /// same words).
    pub(crate) fn same_as(&self, o: &SkipReason<'_>) -> bool {
        match (self, o) {
            (SkipReason::Fixed(a), SkipReason::Fixed(b)) => a == b,
            (SkipReason::NoLimit(a), SkipReason::NoLimit(b)) => a == b,
            (SkipReason::NoWeight(a), SkipReason::NoWeight(b))
            | (SkipReason::NeedsProduct(a), SkipReason::NeedsProduct(b)) => a == b,
            _ => false,
        }
    }
}

/// The value of `m` when it is a whole number that is not negative, whose words are then its
/// digits ([`Measure`]'s `Display`, through [`crate::units::Ratio`]'s).
fn whole(m: &Measure) -> Option<u64> {
    if m.value.denom() == 1 {
        u64::try_from(m.value.numer()).ok()
    } else {
        None
    }
}

/// The decimal digits of `n`, written at the end of `buf`.
fn digits(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[at..]).expect("ASCII digits")
}

impl SkipReason<'_> {
    /// Gives the words of the common reasons (those made of strings only, no list, and at
    /// most one whole number: a limit not given, whose maximum is one, is the common reason
    /// with a number, about one screened line in fifteen on the bench) to `put` piece by piece,
    /// each with whether it is known to need no JSON escape (all but a text given), and
    /// returns true; returns false, having given nothing, for the others. [`Display`] writes
    /// the same pieces, so a writer that escapes them as they come needs no `fmt` machinery
    /// for these (through `fmt`, a limit not given cost about 1,800 instructions), and skips
    /// the escape test where it need not make it.
    #[inline]
    pub(crate) fn write_simple(&self, put: &mut impl FnMut(&str, bool)) -> bool {
        match self {
            SkipReason::Fixed(s) => put(s, true),
            SkipReason::Text(s) => put(s, false),
            SkipReason::NoLimit(name) => {
                put("the knowledge base has no dose limit for `", true);
                put(name, true);
                put("`", true);
            }
            SkipReason::NoWeight(unit) => {
                put("the dose is in ", true);
                put(unit.as_str(), true);
                put(" and the patient's weight_kg is not given", true);
            }
            SkipReason::NeedsProduct(unit) => {
                put(unit.as_str(), true);
                put(" needs a product with a strength", true);
            }
            SkipReason::NotGiven { kind, chosen: None } => {
                put("`", true);
                put(kind.needs(), true);
                put("` not given; the ", true);
                put(kind.label(), true);
                put(" was not checked", true);
            }
            SkipReason::NotGiven {
                kind,
                chosen: Some((max, band)),
            } => {
                let Some(n) = whole(max) else {
                    return false;
                };
                put("`", true);
                put(kind.needs(), true);
                put("` not given; the ", true);
                put(kind.label(), true);
                put(" (", true);
                put(digits(n, &mut [0; 20]), true);
                put(" ", true);
                put(max.unit, true);
                put(" in band `", true);
                put(band, false);
                put("`) was not checked", true);
            }
            _ => return false,
        }
        true
    }
}

impl Display for SkipReason<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::NotGiven {
                kind,
                chosen: Some((value, band)),
            } if whole(value).is_none() => write!(
                f,
                "`{}` not given; the {} ({value} in band `{band}`) was not checked",
                kind.needs(),
                kind.label()
            ),
            SkipReason::Band {
                band,
                limit,
                missing,
                over,
            } => {
                write!(f, "band `{}` of `{}` needs {missing}", band.name, limit.id)?;
                match over {
                    Some(o) => {
                        let (value, max) = o.measures();
                        write!(
                            f,
                            "; the dose ({value}) would be over its {} of {max}",
                            o.kind.label()
                        )
                    }
                    None => f.write_str(", so its limits could not be checked"),
                }
            }
            SkipReason::TotalBand {
                band,
                limit,
                missing,
                name,
            } => write!(
                f,
                "band `{}` of `{}` needs {missing}; the total of `{name}` across items was not checked against it",
                band.name, limit.id
            ),
            SkipReason::OtherQuantity { rate, kind, limit } => {
                let (dose, lim) = if *rate {
                    ("a rate (mcg/h)", "a mass")
                } else {
                    ("a mass", "a rate (mcg/h)")
                };
                write!(
                    f,
                    "the dose is {dose} but the {} of `{limit}` is {lim}",
                    kind.label()
                )
            }
            SkipReason::Several(all) => {
                let mut written: Vec<String> = all.iter().map(ToString::to_string).collect();
                written.sort_unstable();
                written.dedup();
                f.write_str(&written.join("; "))
            }
            // The common reasons: the words `write_simple` gives.
            simple => {
                let mut written = Ok(());
                let done = simple.write_simple(&mut |s, _| {
                    if written.is_ok() {
                        written = f.write_str(s);
                    }
                });
                debug_assert!(done, "every other reason is written above");
                written
            }
        }
    }
}

/// `the knowledge base has no dose limit for `x` by route r (only oral, topical)`.
pub(crate) fn no_limit_by_route(name: &str, route: Route, only: &[&str]) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "the knowledge base has no dose limit for `{name}` by route {route} (only {})",
        only.join(", ")
    );
    s
}

#[cfg(test)]
mod tests {
    use super::{LimitKind, SkipReason};
    use crate::units::Unit;

    /// A skipped check moves as inline copies, not a `memcpy` call: 128 bytes at most.
    #[test]
    fn skipped_checks_are_small() {
        assert!(std::mem::size_of::<SkipReason<'_>>() <= 80);
        assert!(std::mem::size_of::<crate::report::Skipped<'_>>() <= 128);
    }

    /// The common reasons, written piece by piece, say what they always said.
    #[test]
    fn simple_reasons_are_written_in_pieces_as_displayed() {
        let cases = [
            (SkipReason::Fixed("no dose given"), "no dose given"),
            (SkipReason::Text("any \"text\"".to_string()), "any \"text\""),
            (
                SkipReason::NoLimit("warfarin"),
                "the knowledge base has no dose limit for `warfarin`",
            ),
            (
                SkipReason::NoWeight(Unit::MgPerKg),
                "the dose is in mg/kg and the patient's weight_kg is not given",
            ),
            (
                SkipReason::NeedsProduct(Unit::Mg),
                "mg needs a product with a strength",
            ),
            (
                SkipReason::NotGiven {
                    kind: LimitKind::Daily,
                    chosen: None,
                },
                "`times_per_day` not given; the daily maximum was not checked",
            ),
            (
                SkipReason::NotGiven {
                    kind: LimitKind::Days,
                    chosen: None,
                },
                "`days` not given; the maximum course was not checked",
            ),
            (
                SkipReason::NotGiven {
                    kind: LimitKind::Daily,
                    chosen: Some((
                        crate::report::Measure {
                            value: crate::units::Ratio::from_int(4000),
                            unit: "mg/day",
                        },
                        "adult",
                    )),
                },
                "`times_per_day` not given; the daily maximum (4000 mg/day in band `adult`) was \
                 not checked",
            ),
        ];
        for (reason, words) in cases {
            let mut pieces = String::new();
            assert!(
                reason.write_simple(&mut |s, clean| {
                    let needs = s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\');
                    assert!(!(clean && needs), "{s:?} needs an escape");
                    pieces.push_str(s)
                }),
                "{words}"
            );
            assert_eq!(pieces, words);
            assert_eq!(reason.to_string(), words);
        }
        // A maximum that is not a whole number is written through `fmt`.
        let mut nothing = String::new();
        let fraction = SkipReason::NotGiven {
            kind: LimitKind::Days,
            chosen: Some((
                crate::report::Measure {
                    value: crate::units::Ratio::new(5, 2).unwrap(),
                    unit: "days",
                },
                "adult",
            )),
        };
        assert!(!fraction.write_simple(&mut |s, _| nothing.push_str(s)));
        assert!(nothing.is_empty());
        assert_eq!(
            fraction.to_string(),
            "`days` not given; the maximum course (2.5 days in band `adult`) was not checked"
        );
        let several =
            SkipReason::Several(Box::new([SkipReason::Fixed("a"), SkipReason::Fixed("b")]));
        assert!(!several.write_simple(&mut |s, _| nothing.push_str(s)));
        assert!(nothing.is_empty());
        assert_eq!(several.to_string(), "a; b");
    }
}
