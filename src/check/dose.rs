//! Dose checks: limits by band, cumulative ingredient totals, opioid MME.
//!
//! All arithmetic is exact ([`Ratio`]): masses in micrograms, rates in micrograms per hour. A dose
//! exactly at a limit is within it. Whatever cannot be checked is listed in the report's
//! `skipped`, never passed over in silence.

use std::borrow::Cow;

use super::{CheckError, Known};
use crate::index::Index;
use crate::model::{Band, ConceptId, Detail, DoseLimit, Model, Range};
use crate::regimen::{Item, Patient, Regimen, Sex};
use crate::report::{Contribution, DoseDetail, Finding, Measure, NotCounted, Skipped};
use crate::units::{Amount, Dimension, Ratio, Unit};
use crate::vocab::{FindingKind, Route, Severity};

/// Rule id of the finding that says the MME total is incomplete.
pub const MME_INCOMPLETE: &str = "medcheck:mme-incomplete";
/// Rule id of the finding for one ingredient in two or more items within its limit.
pub const SAME_INGREDIENT: &str = super::builtin::SAME_INGREDIENT;

/// Creatinine clearance in mL/min by Cockcroft-Gault:
/// `(140 - age) x weight / (72 x serum creatinine)`, times 0.85 for women.
/// `None` when the result would not be positive (age 140 or more).
pub fn crcl_cockcroft_gault(
    age_years: Ratio,
    weight_kg: Ratio,
    sex: Sex,
    scr_mg_dl: Ratio,
) -> Option<Ratio> {
    let years =
        Ratio::from_int(140).checked_add(Ratio::new(-age_years.numer(), age_years.denom())?)?;
    if !years.is_positive() {
        return None;
    }
    let mut crcl = years
        .checked_mul(weight_kg)?
        .checked_div(Ratio::from_int(72).checked_mul(scr_mg_dl)?)?;
    if sex == Sex::Female {
        crcl = crcl.checked_mul(Ratio::new(85, 100)?)?;
    }
    Some(crcl)
}

fn unit_error(index: usize, item: &Item, message: String) -> CheckError {
    CheckError::UnitNotApplicable {
        index,
        id: item.id.clone(),
        message,
    }
}

/// The item's route (given, the product's, or none), after checking that its dose unit and
/// route can apply to what it names.
pub(crate) fn item_route(
    model: &Model,
    index: usize,
    item: &Item,
    concept: ConceptId,
) -> Result<Option<Route>, CheckError> {
    let c = model.concept(concept);
    let unit = item.dose.map(|d| d.unit);
    match &c.detail {
        Detail::Therapy => {
            if let Some(u) = unit {
                return Err(unit_error(
                    index,
                    item,
                    format!("`{}` is a therapy and takes no dose (found {u})", c.id),
                ));
            }
            Ok(Some(Route::Procedure))
        }
        Detail::Product(p) => {
            if let Some(r) = item.route {
                if r != p.route {
                    return Err(CheckError::RouteNotApplicable {
                        index,
                        id: item.id.clone(),
                        message: format!(
                            "`{}` is a {} product; it cannot be given by route {r}",
                            c.id, p.route
                        ),
                    });
                }
            }
            if let Some(u) = unit {
                let single = p.ingredients.len() == 1;
                let strength = p.ingredients.first().map(|i| i.strength.unit.dimension());
                let ok = match u.dimension() {
                    Dimension::DosageUnit => u == p.unit,
                    Dimension::Mass | Dimension::MassPerKg => {
                        single && strength == Some(Dimension::Mass)
                    }
                    Dimension::Rate => single && strength == Some(Dimension::Rate),
                };
                if !ok {
                    let why = if u.dimension() == Dimension::DosageUnit {
                        format!("`{}` is dosed in {}, not {u}", c.id, p.unit)
                    } else if !single {
                        format!(
                            "`{}` has {} ingredients; give the dose in {}",
                            c.id,
                            p.ingredients.len(),
                            p.unit
                        )
                    } else {
                        format!(
                            "{u} cannot apply to `{}` ({} per {})",
                            c.id, p.ingredients[0].strength.unit, p.unit
                        )
                    };
                    return Err(unit_error(index, item, why));
                }
            }
            Ok(Some(p.route))
        }
        _ => {
            match unit.map(Unit::dimension) {
                Some(Dimension::DosageUnit) => {
                    return Err(unit_error(
                        index,
                        item,
                        format!(
                            "{} needs a product with a strength per {}; give `{}` in mg or mcg, or name the product",
                            unit.expect("some"),
                            unit.expect("some"),
                            c.id
                        ),
                    ));
                }
                Some(Dimension::Rate)
                    if matches!(
                        item.route,
                        Some(Route::Oral | Route::Sublingual | Route::Buccal | Route::Rectal)
                    ) =>
                {
                    return Err(unit_error(
                        index,
                        item,
                        format!(
                            "mcg/h is a rate for a patch or infusion, not a {} dose",
                            item.route.expect("some")
                        ),
                    ));
                }
                _ => {}
            }
            Ok(item.route)
        }
    }
}

/// One ingredient's dose from one item.
struct Dosed<'a> {
    item: &'a str,
    input: usize,
    substance: ConceptId,
    route: Option<Route>,
    /// Single dose, in mcg (mass) or mcg/h (rate).
    single: Amount,
    /// Daily total in mcg/day, or the rate in mcg/h for a continuous rate.
    daily: Option<Ratio>,
    days: Option<u32>,
}

impl Dosed<'_> {
    fn is_rate(&self) -> bool {
        self.single.unit == Unit::McgPerH
    }
}

struct Context<'p> {
    patient: &'p Patient,
    crcl: Option<Ratio>,
    conditions: &'p [ConceptId],
}

/// Whether a band covers the patient: yes, no, or unknown for want of a patient field.
enum Covers {
    Yes,
    No,
    Unknown(&'static str),
}

impl Context<'_> {
    fn covers(&self, index: &Index, band: &Band) -> Covers {
        let w = &band.when;
        let mut unknown = None;
        let mut test = |range: &Option<Range>, value: Option<Ratio>, what: &'static str| match (
            range, value,
        ) {
            (None, _) => true,
            (Some(r), Some(v)) => r.contains(v),
            (Some(_), None) => {
                unknown = Some(what);
                true
            }
        };
        let fits = test(&w.age_years, self.patient.age_years, "age_years")
            & test(&w.weight_kg, self.patient.weight_kg, "weight_kg")
            & test(
                &w.crcl_ml_min,
                self.crcl,
                "crcl_ml_min (or age, weight, sex and serum creatinine)",
            );
        let has_conditions = w
            .conditions
            .iter()
            .all(|c| self.conditions.iter().any(|p| index.is_a(*p, *c)));
        match (fits && has_conditions, unknown) {
            (false, _) => Covers::No,
            (true, Some(what)) => Covers::Unknown(what),
            (true, None) => Covers::Yes,
        }
    }

    /// A band's limit as an absolute amount in base units (mcg or mcg/h), per-kg limits
    /// multiplied by the weight. `Err` names the missing patient field.
    fn absolute(&self, limit: Amount) -> Result<Amount, &'static str> {
        let base = limit.in_base().ok_or("a known unit")?;
        match limit.unit.dimension() {
            Dimension::MassPerKg => {
                let w = self.patient.weight_kg.ok_or("weight_kg")?;
                Ok(Amount::new(
                    base.checked_mul(w).ok_or("a smaller weight")?,
                    Unit::Mcg,
                ))
            }
            Dimension::Rate => Ok(Amount::new(base, Unit::McgPerH)),
            _ => Ok(Amount::new(base, Unit::Mcg)),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LimitKind {
    Single,
    Daily,
    Days,
}

impl LimitKind {
    fn name(self) -> &'static str {
        match self {
            LimitKind::Single => "max-single",
            LimitKind::Daily => "max-daily",
            LimitKind::Days => "max-days",
        }
    }

    fn label(self) -> &'static str {
        match self {
            LimitKind::Single => "single-dose maximum",
            LimitKind::Daily => "daily maximum",
            LimitKind::Days => "maximum course",
        }
    }

    fn of(self, band: &Band) -> Option<Amount> {
        match self {
            LimitKind::Single => band.max_single,
            LimitKind::Daily => band.max_daily,
            LimitKind::Days => band
                .max_days
                .map(|d| Amount::new(Ratio::from_int(d as i64), Unit::Mcg)),
        }
    }
}

/// The value of a base amount as shown: mg for masses, mcg/h for rates.
fn shown(base: Ratio, rate: bool, per_day: bool) -> Measure {
    if rate {
        Measure {
            value: base,
            unit: "mcg/h",
        }
    } else {
        Measure {
            value: base.checked_div(Ratio::from_int(1000)).unwrap_or(base),
            unit: if per_day { "mg/day" } else { "mg" },
        }
    }
}

/// The lowest limit of one kind among the bands that cover the patient, and the bands that
/// might cover the patient but could not be evaluated.
struct Applied<'m> {
    limit: Option<(Ratio, &'m Band)>,
    unknown: Vec<(Option<Ratio>, &'m Band, &'static str)>,
}

fn applied<'m>(
    ctx: &Context,
    index: &Index,
    limit: &'m DoseLimit,
    kind: LimitKind,
    rate: bool,
) -> Applied<'m> {
    let mut out = Applied {
        limit: None,
        unknown: Vec::new(),
    };
    for band in limit.bands.iter() {
        let Some(raw) = kind.of(band) else { continue };
        let value = if kind == LimitKind::Days {
            Ok(raw.value)
        } else {
            match ctx.absolute(raw) {
                Ok(a) if (a.unit == Unit::McgPerH) == rate => Ok(a.value),
                Ok(_) => continue,
                Err(what) => Err(what),
            }
        };
        match (ctx.covers(index, band), value) {
            (Covers::No, _) => {}
            (Covers::Yes, Ok(v)) => {
                if out.limit.is_none_or(|(best, _)| v < best) {
                    out.limit = Some((v, band));
                }
            }
            (Covers::Yes, Err(what)) => out.unknown.push((None, band, what)),
            (Covers::Unknown(what), v) => out.unknown.push((v.ok(), band, what)),
        }
    }
    out
}

/// The dose limit for a substance by the item's route; `Err` says why none applies.
fn limit_for<'m>(
    model: &'m Model,
    index: &Index,
    substance: ConceptId,
    route: Option<Route>,
) -> Result<&'m DoseLimit, String> {
    let limits: Vec<&DoseLimit> = index
        .dose_limits(substance)
        .iter()
        .map(|i| &model.dose_limits[*i as usize])
        .collect();
    let name = &model.concept(substance).id;
    match route {
        Some(r) => limits.into_iter().find(|l| l.route == r).ok_or_else(|| {
            format!("the knowledge base has no dose limit for `{name}` by route {r}")
        }),
        None if limits.len() == 1 => Ok(limits[0]),
        None if limits.is_empty() => {
            Err(format!("the knowledge base has no dose limit for `{name}`"))
        }
        None => Err(format!(
            "no route given, and the limits for `{name}` differ by route"
        )),
    }
}

struct DoseChecker<'a, 'c> {
    model: &'a Model,
    index: &'a Index,
    ctx: Context<'c>,
    findings: &'c mut Vec<Finding<'a>>,
    skipped: Vec<Skipped<'a>>,
}

/// Runs every dose check; returns the checks that could not be made.
pub(crate) fn check<'a>(
    model: &'a Model,
    index: &'a Index,
    regimen: &'a Regimen,
    known: &[Known<'a>],
    conditions: &[ConceptId],
    findings: &mut Vec<Finding<'a>>,
) -> Vec<Skipped<'a>> {
    let p = &regimen.patient;
    let crcl = p.crcl_ml_min.or_else(|| {
        match (p.age_years, p.weight_kg, p.sex, p.serum_creatinine_mg_dl) {
            (Some(a), Some(w), Some(s), Some(c)) => crcl_cockcroft_gault(a, w, s, c),
            _ => None,
        }
    });
    let mut c = DoseChecker {
        model,
        index,
        ctx: Context {
            patient: p,
            crcl,
            conditions,
        },
        findings,
        skipped: Vec::new(),
    };
    let dosed = c.expand(known);
    for d in &dosed {
        c.limits(d);
    }
    c.cumulative(known, &dosed);
    c.mme(known, &dosed);
    c.skipped
}

impl<'a> DoseChecker<'a, '_> {
    fn skip(&mut self, item: &'a str, checks: Vec<&'static str>, reason: String) {
        self.skipped.push(Skipped {
            item,
            checks,
            reason: Cow::Owned(reason),
        });
    }

    /// Every item's dose, per ingredient, in base units.
    fn expand(&mut self, known: &[Known<'a>]) -> Vec<Dosed<'a>> {
        let mut out = Vec::new();
        for k in known {
            let concept = self.model.concept(k.concept);
            let ingredients: Vec<(ConceptId, Option<Amount>)> = match &concept.detail {
                Detail::Product(p) => p
                    .ingredients
                    .iter()
                    .map(|i| (i.substance, Some(i.strength)))
                    .collect(),
                Detail::Substance(_) => vec![(k.concept, None)],
                _ => continue,
            };
            let relevant =
                |s: ConceptId| !self.index.dose_limits(s).is_empty() || self.index.is_opioid(s);
            let Some(dose) = k.item.dose else {
                if ingredients.iter().any(|(s, _)| relevant(*s)) {
                    self.skip(
                        k.id,
                        vec!["dose-limit", "cumulative-dose", "opioid-mme"],
                        "no dose given".into(),
                    );
                }
                continue;
            };
            let weight = self.ctx.patient.weight_kg;
            for (substance, strength) in ingredients {
                // The dose of this ingredient in base units.
                let base: Result<Amount, String> = match (dose.unit.dimension(), strength) {
                    (Dimension::DosageUnit, Some(s)) => s
                        .in_base()
                        .and_then(|b| b.checked_mul(dose.value))
                        .map(|v| {
                            Amount::new(
                                v,
                                if s.unit == Unit::McgPerH {
                                    Unit::McgPerH
                                } else {
                                    Unit::Mcg
                                },
                            )
                        })
                        .ok_or_else(|| "dose too large to compute".to_string()),
                    (Dimension::MassPerKg, _) => match weight {
                        Some(w) => dose
                            .in_base()
                            .and_then(|b| b.checked_mul(w))
                            .map(|v| Amount::new(v, Unit::Mcg))
                            .ok_or_else(|| "dose too large to compute".to_string()),
                        None => Err(format!(
                            "the dose is in {} and the patient's weight is not given",
                            dose.unit
                        )),
                    },
                    (Dimension::Rate, _) => Ok(Amount::new(
                        dose.in_base().unwrap_or(Ratio::ZERO),
                        Unit::McgPerH,
                    )),
                    _ => Ok(Amount::new(
                        dose.in_base().unwrap_or(Ratio::ZERO),
                        Unit::Mcg,
                    )),
                };
                let single = match base {
                    Ok(b) => b,
                    Err(reason) => {
                        if relevant(substance) {
                            self.skip(
                                k.id,
                                vec!["dose-limit", "cumulative-dose", "opioid-mme"],
                                reason,
                            );
                        }
                        continue;
                    }
                };
                let daily = if single.unit == Unit::McgPerH {
                    Some(single.value)
                } else {
                    k.item
                        .times_per_day
                        .and_then(|t| single.value.checked_mul(t))
                };
                out.push(Dosed {
                    item: k.id,
                    input: k.input,
                    substance,
                    route: k.route,
                    single,
                    daily,
                    days: k.item.days,
                });
            }
        }
        out
    }

    fn limits(&mut self, d: &Dosed<'a>) {
        if self.index.dose_limits(d.substance).is_empty() {
            if !self.index.is_opioid(d.substance) {
                let name = &self.model.concept(d.substance).id;
                self.skip(
                    d.item,
                    vec!["dose-limit"],
                    format!("the knowledge base has no dose limit for `{name}`"),
                );
            }
            return;
        }
        let limit = match limit_for(self.model, self.index, d.substance, d.route) {
            Ok(l) => l,
            Err(reason) => {
                self.skip(d.item, vec!["dose-limit"], reason);
                return;
            }
        };
        let checks = [
            (LimitKind::Single, Some(d.single.value)),
            (LimitKind::Daily, d.daily),
            (LimitKind::Days, d.days.map(|n| Ratio::from_int(n as i64))),
        ];
        for (kind, value) in checks {
            let applied = applied(&self.ctx, self.index, limit, kind, d.is_rate());
            let Some(value) = value else {
                let missing = match kind {
                    LimitKind::Daily => "times_per_day",
                    _ => "days",
                };
                if applied.limit.is_some() {
                    self.skip(
                        d.item,
                        vec![kind.name()],
                        format!(
                            "`{missing}` not given; the {} was not checked",
                            kind.label()
                        ),
                    );
                }
                continue;
            };
            if let Some((max, band)) = applied.limit {
                if value > max {
                    self.finding(d, limit, kind, value, max, band);
                    continue;
                }
            }
            // Bands that could not be evaluated matter only if the dose would be over them.
            for (max, band, what) in applied.unknown {
                if max.is_none_or(|m| value > m) {
                    let over = max
                        .map(|m| format!(" would be over {}", self.measure(kind, m, d.is_rate())))
                        .unwrap_or_default();
                    self.skip(
                        d.item,
                        vec![kind.name()],
                        format!(
                            "band `{}` of `{}` needs `{what}`; the dose{over}",
                            band.name, limit.id
                        ),
                    );
                }
            }
        }
    }

    fn measure(&self, kind: LimitKind, v: Ratio, rate: bool) -> Measure {
        match kind {
            LimitKind::Days => Measure {
                value: v,
                unit: "days",
            },
            LimitKind::Single => shown(v, rate, false),
            LimitKind::Daily => shown(v, rate, true),
        }
    }

    fn finding(
        &mut self,
        d: &Dosed<'a>,
        limit: &'a DoseLimit,
        kind: LimitKind,
        value: Ratio,
        max: Ratio,
        band: &'a Band,
    ) {
        let (value, max) = (
            self.measure(kind, value, d.is_rate()),
            self.measure(kind, max, d.is_rate()),
        );
        let name = &self.model.concept(d.substance).id;
        let from = if *name.as_ref() == *d.item {
            String::new()
        } else {
            format!(" (from `{}`)", d.item)
        };
        let summary = format!(
            "`{name}`{from}: {value} is over the {} of {max} (band `{}`)",
            kind.label(),
            band.name
        );
        let mut f = Finding::new(
            FindingKind::DoseLimit,
            limit.severity,
            vec![d.item],
            &limit.id,
            Cow::Owned(summary),
        );
        f.management = Cow::Borrowed(&limit.management);
        f.monitoring = Cow::Borrowed(&limit.monitoring);
        f.sources = Cow::Borrowed(&limit.sources);
        f.evidence = Some(limit.evidence);
        f.uncertainty = band
            .note
            .as_deref()
            .or(limit.uncertainty.as_deref())
            .map(Cow::Borrowed);
        f.dose = Some(DoseDetail {
            limit: kind.name(),
            value: Some(value),
            max: Some(max),
            band: Some(&band.name),
            route: Some(limit.route),
            ..DoseDetail::default()
        });
        self.findings.push(f);
    }

    /// One ingredient in two or more items: its summed daily dose against the lowest daily
    /// limit that applies to any of them.
    fn cumulative(&mut self, known: &[Known<'a>], dosed: &[Dosed<'a>]) {
        let mut holders: Vec<(ConceptId, usize, &'a str)> = Vec::new();
        for k in known {
            match &self.model.concept(k.concept).detail {
                Detail::Product(p) => {
                    holders.extend(p.ingredients.iter().map(|i| (i.substance, k.input, k.id)))
                }
                Detail::Substance(_) => holders.push((k.concept, k.input, k.id)),
                _ => {}
            }
        }
        holders.sort_unstable_by_key(|h| (h.0, h.1));
        for group in holders.chunk_by(|a, b| a.0 == b.0) {
            if group.len() < 2 {
                continue;
            }
            let substance = group[0].0;
            let mut items: Vec<&'a str> = group.iter().map(|g| g.2).collect();
            items.sort_unstable();
            items.dedup();
            if items.len() < 2 {
                continue; // the same item listed twice is reported as a duplicate item
            }
            let mut total = Ratio::ZERO;
            let mut contributions = Vec::new();
            let mut not_counted = Vec::new();
            let mut max: Option<(Ratio, &'a DoseLimit, &'a Band)> = None;
            for &(_, input, item) in group {
                let d = dosed
                    .iter()
                    .find(|d| d.input == input && d.substance == substance && !d.is_rate());
                match d.and_then(|d| d.daily.map(|v| (d, v))) {
                    Some((d, daily)) => {
                        total = total.checked_add(daily).unwrap_or(total);
                        contributions.push(Contribution {
                            item,
                            amount: shown(daily, false, true),
                        });
                        if let Ok(limit) = limit_for(self.model, self.index, substance, d.route) {
                            if let Some((v, band)) =
                                applied(&self.ctx, self.index, limit, LimitKind::Daily, false).limit
                            {
                                if max.is_none_or(|(m, _, _)| v < m) {
                                    max = Some((v, limit, band));
                                }
                            }
                        }
                    }
                    None => not_counted.push(NotCounted {
                        item,
                        reason: Cow::Borrowed("no daily dose (dose and times_per_day are needed)"),
                    }),
                }
            }
            // By item (then amount), so that the order of the regimen's items does not show.
            contributions.sort_by(|a, b| (a.item, a.amount.value).cmp(&(b.item, b.amount.value)));
            not_counted.sort_by(|a, b| (a.item, &a.reason).cmp(&(b.item, &b.reason)));
            let name: &'a str = &self.model.concept(substance).id;
            match max {
                Some((m, limit, band)) if total > m => {
                    let summary = format!(
                        "`{name}` from {} items totals {}, over the daily maximum of {} (band `{}`)",
                        items.len(),
                        shown(total, false, true),
                        shown(m, false, true),
                        band.name
                    );
                    let mut f = Finding::new(
                        FindingKind::CumulativeDose,
                        limit.severity,
                        items,
                        &limit.id,
                        Cow::Owned(summary),
                    );
                    f.management = Cow::Borrowed(&limit.management);
                    f.monitoring = Cow::Borrowed(&limit.monitoring);
                    f.sources = Cow::Borrowed(&limit.sources);
                    f.evidence = Some(limit.evidence);
                    f.dose = Some(DoseDetail {
                        limit: LimitKind::Daily.name(),
                        value: Some(shown(total, false, true)),
                        max: Some(shown(m, false, true)),
                        band: Some(&band.name),
                        route: Some(limit.route),
                        contributions,
                        not_counted,
                    });
                    self.findings.push(f);
                }
                found => {
                    let complete = not_counted.is_empty() && found.is_some();
                    let (severity, summary) = match found {
                        Some((m, _, _)) if complete => (
                            Severity::Info,
                            format!(
                                "{} items contain `{name}`; together {} a day, within the daily maximum of {}",
                                items.len(),
                                shown(total, false, true),
                                shown(m, false, true)
                            ),
                        ),
                        _ => (
                            Severity::Moderate,
                            format!(
                                "{} items contain `{name}`; their total daily dose could not be checked",
                                items.len()
                            ),
                        ),
                    };
                    let mut f = Finding::new(
                        FindingKind::DuplicateTherapy,
                        severity,
                        items,
                        SAME_INGREDIENT,
                        Cow::Owned(summary),
                    );
                    f.management = Cow::Owned(format!(
                        "Count `{name}` from every item against its daily maximum; give each item's dose and times_per_day so the total can be checked."
                    ));
                    if !complete {
                        f.dose = Some(DoseDetail {
                            limit: LimitKind::Daily.name(),
                            value: Some(shown(total, false, true)),
                            contributions,
                            not_counted,
                            ..DoseDetail::default()
                        });
                    }
                    self.findings.push(f);
                }
            }
        }
    }

    /// Total morphine milligram equivalents per day over every opioid item.
    fn mme(&mut self, known: &[Known<'a>], dosed: &[Dosed<'a>]) {
        let mut total = Ratio::ZERO;
        let mut contributions = Vec::new();
        let mut not_counted: Vec<NotCounted<'a>> = Vec::new();
        let mut items: Vec<&'a str> = Vec::new();
        let mut notes: Vec<&'a str> = Vec::new();
        for k in known {
            let substances: Vec<ConceptId> = match &self.model.concept(k.concept).detail {
                Detail::Product(p) => p.ingredients.iter().map(|i| i.substance).collect(),
                Detail::Substance(_) => vec![k.concept],
                _ => continue,
            };
            for s in substances.into_iter().filter(|s| self.index.is_opioid(*s)) {
                items.push(k.id);
                let d = dosed
                    .iter()
                    .find(|d| d.input == k.input && d.substance == s);
                let route = k.route.unwrap_or(match d {
                    Some(d) if d.is_rate() => Route::Transdermal,
                    _ => Route::Oral,
                });
                let name: &'a str = &self.model.concept(s).id;
                let conversion = self
                    .index
                    .conversion(s, route)
                    .map(|i| &self.model.opioid_conversions[i as usize]);
                let counted = match (conversion, d) {
                    (None, _) => Err(Cow::Owned(format!(
                        "no MME conversion factor for `{name}` by route {route}"
                    ))),
                    (Some(c), _) if c.factor.is_none() => Err(Cow::Borrowed(
                        c.note.as_deref().unwrap_or("no conversion factor"),
                    )),
                    (_, None) => Err(Cow::Borrowed("no usable dose")),
                    (Some(c), Some(d)) => {
                        let per_rate = c.per == Unit::McgPerH;
                        match d.daily {
                            _ if per_rate != d.is_rate() => Err(Cow::Owned(format!(
                                "the factor is per {} but the dose is not",
                                c.per
                            ))),
                            None => Err(Cow::Borrowed(
                                "no daily dose (dose and times_per_day are needed)",
                            )),
                            Some(daily) => {
                                // mcg/day -> mg/day for per-mg factors; mcg/h as given for per-mcg/h.
                                let amount = if per_rate {
                                    daily
                                } else {
                                    daily.checked_div(Ratio::from_int(1000)).unwrap_or(daily)
                                };
                                let mme = amount
                                    .checked_mul(c.factor.unwrap_or(Ratio::ZERO))
                                    .unwrap_or(Ratio::ZERO);
                                if let Some(n) = c.note.as_deref() {
                                    notes.push(n);
                                }
                                Ok(mme)
                            }
                        }
                    }
                };
                match counted {
                    Ok(mme) => {
                        total = total.checked_add(mme).unwrap_or(total);
                        contributions.push(Contribution {
                            item: k.id,
                            amount: Measure {
                                value: mme,
                                unit: "MME/day",
                            },
                        });
                    }
                    Err(reason) => not_counted.push(NotCounted { item: k.id, reason }),
                }
            }
        }
        if items.is_empty() {
            return;
        }
        items.sort_unstable();
        items.dedup();
        contributions.sort_by(|a, b| (a.item, a.amount.value).cmp(&(b.item, b.amount.value)));
        not_counted.sort_by(|a, b| (a.item, &a.reason).cmp(&(b.item, &b.reason)));
        notes.sort_unstable();
        notes.dedup();
        let incomplete = !not_counted.is_empty();
        let threshold = self
            .model
            .mme_thresholds
            .iter()
            .rev()
            .find(|t| total >= t.mme_per_day);
        let value = Measure {
            value: total,
            unit: "MME/day",
        };
        let lower_bound = if incomplete { " at least" } else { "" };
        let mut f = match threshold {
            Some(t) => {
                let summary = format!(
                    "Opioids total{lower_bound} {value}, at or over {} MME/day: {}",
                    t.mme_per_day, t.summary
                );
                let mut f = Finding::new(
                    FindingKind::OpioidMme,
                    t.severity,
                    items,
                    &t.id,
                    Cow::Owned(summary),
                );
                f.management = Cow::Borrowed(&t.management);
                f.monitoring = Cow::Borrowed(&t.monitoring);
                f.sources = Cow::Borrowed(&t.sources);
                f.evidence = Some(t.evidence);
                f.dose = Some(DoseDetail {
                    limit: "mme",
                    max: Some(Measure {
                        value: t.mme_per_day,
                        unit: "MME/day",
                    }),
                    ..DoseDetail::default()
                });
                f
            }
            None if incomplete => {
                let summary = format!(
                    "The opioid MME total is incomplete: {value} counted, and some opioid items could not be counted"
                );
                let mut f = Finding::new(
                    FindingKind::OpioidMme,
                    Severity::Info,
                    items,
                    MME_INCOMPLETE,
                    Cow::Owned(summary),
                );
                f.management = Cow::Borrowed(
                    "Work out the total by hand for the items not counted before relying on the MME thresholds.",
                );
                if let Some(t) = self.model.mme_thresholds.first() {
                    f.sources = Cow::Borrowed(&t.sources);
                }
                f.dose = Some(DoseDetail {
                    limit: "mme",
                    ..DoseDetail::default()
                });
                f
            }
            None => return,
        };
        if let Some(d) = &mut f.dose {
            d.value = Some(value);
            d.contributions = contributions;
            d.not_counted = not_counted;
        }
        if !notes.is_empty() {
            f.uncertainty = Some(Cow::Owned(notes.join(" ")));
        }
        self.findings.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Ratio {
        s.parse().unwrap()
    }

    #[test]
    fn cockcroft_gault_worked_examples() {
        // (140 - 72) * 60 / (72 * 1.4) * 0.85 = 34.43 mL/min
        let f = crcl_cockcroft_gault(r("72"), r("60"), Sex::Female, r("1.4")).unwrap();
        assert_eq!(f, Ratio::new(1445, 42).unwrap());
        // (140 - 40) * 72 / (72 * 1) = 100 mL/min exactly
        let m = crcl_cockcroft_gault(r("40"), r("72"), Sex::Male, r("1")).unwrap();
        assert_eq!(m, Ratio::from_int(100));
        assert!(crcl_cockcroft_gault(r("140"), r("70"), Sex::Male, r("1")).is_none());
    }
}
