//! Dose limits: each ingredient of each item against its substance's limit, and each ingredient's
//! total across items (`cumulative-dose`).
//!
//! Every band that covers the patient applies and the lowest limit of each kind wins. A band that
//! might cover the patient but cannot be evaluated (a missing age, weight or creatinine clearance)
//! is reported in `skipped` only when it could change the answer: when the dose is over that
//! band's limit, or the limit itself cannot be computed.

use std::borrow::Cow;

use super::patient::{Context, Covers, WEIGHT};
use super::{Dosed, Out, Quantity, SAME_INGREDIENT, checks, dose_relevant};
use crate::check::Known;
use crate::index::Index;
use crate::model::{Band, ConceptId, DoseLimit, Model};
use crate::report::{Contribution, DoseDetail, Finding, Measure, NotCounted};
use crate::units::{Amount, Dimension, Ratio, Unit};
use crate::vocab::{FindingKind, Route, Severity};

/// The three kinds of limit a band may set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Single,
    Daily,
    Days,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Single, Kind::Daily, Kind::Days];

    fn name(self) -> &'static str {
        match self {
            Kind::Single => checks::SINGLE,
            Kind::Daily => checks::DAILY,
            Kind::Days => checks::DAYS,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Single => "single-dose maximum",
            Kind::Daily => "daily maximum",
            Kind::Days => "maximum course",
        }
    }

    /// The regimen field a value of this kind needs besides the dose.
    fn needs(self) -> &'static str {
        match self {
            Kind::Daily => "times_per_day",
            _ => "days",
        }
    }
}

/// An amount in base units as a finding shows it: mg (or mg/day) for a mass, mcg/h for a rate,
/// days for a course.
pub(crate) fn shown(kind: Kind, quantity: Quantity, base: Ratio) -> Measure {
    match (kind, quantity) {
        (Kind::Days, _) => Measure {
            value: base,
            unit: "days",
        },
        (_, Quantity::Rate) => Measure {
            value: base,
            unit: "mcg/h",
        },
        (k, Quantity::Mass) => Measure {
            value: base.checked_div(Ratio::from_int(1000)).unwrap_or(base),
            unit: if k == Kind::Daily { "mg/day" } else { "mg" },
        },
    }
}

/// A per-kg limit as written in the band (`15 mg/kg`, `75 mg/kg/day`).
fn per_kg_measure(kind: Kind, a: Amount) -> Measure {
    let daily = kind == Kind::Daily;
    Measure {
        value: a.value,
        unit: match (a.unit, daily) {
            (Unit::McgPerKg, false) => "mcg/kg",
            (Unit::McgPerKg, true) => "mcg/kg/day",
            (_, false) => "mg/kg",
            (_, true) => "mg/kg/day",
        },
    }
}

/// The limit of one kind that applies to the patient.
#[derive(Clone, Copy)]
struct Chosen<'m> {
    /// In base units (mcg, mcg/h) or days.
    value: Ratio,
    band: &'m Band,
    /// The band's per-kg limit, when it is one.
    per_kg: Option<Amount>,
}

/// A band that might cover the patient but could not be evaluated.
struct Unevaluated<'m> {
    band: &'m Band,
    missing: Vec<String>,
    /// Its limit, when computable.
    value: Option<Ratio>,
}

#[derive(Default)]
struct Applied<'m> {
    chosen: Option<Chosen<'m>>,
    unknown: Vec<Unevaluated<'m>>,
    /// A band sets this kind of limit, but for the other quantity (mass vs rate).
    other_quantity: bool,
}

/// What comparing one ingredient's dose with one dose limit found.
enum Outcome<'m> {
    Over {
        kind: Kind,
        value: Ratio,
        chosen: Chosen<'m>,
    },
    /// The value of this kind is unknown (no `times_per_day` or `days`) and a limit applies.
    Missing {
        kind: Kind,
        chosen: Option<Chosen<'m>>,
    },
    /// A band that could matter could not be evaluated.
    Unknown {
        kind: Kind,
        value: Ratio,
        band: &'m Band,
        missing: Vec<String>,
        max: Option<Ratio>,
    },
    /// The limit is for a rate and the dose a mass, or the other way round.
    OtherQuantity { kind: Kind },
}

/// Dose-limit checking against one model and patient.
pub(crate) struct Limits<'a, 'c> {
    pub model: &'a Model,
    pub index: &'a Index,
    pub patient: &'c Context<'c>,
}

impl<'a> Limits<'a, '_> {
    fn name(&self, s: ConceptId) -> &'a str {
        &self.model.concept(s).id
    }

    /// The limits that may apply to a substance given by a route. `Err` says why none does.
    fn candidates(
        &self,
        substance: ConceptId,
        route: Option<Route>,
    ) -> Result<Vec<&'a DoseLimit>, String> {
        let all: Vec<&'a DoseLimit> = self
            .index
            .dose_limits(substance)
            .iter()
            .map(|i| &self.model.dose_limits[*i as usize])
            .collect();
        let name = self.name(substance);
        if all.is_empty() {
            return Err(format!("the knowledge base has no dose limit for `{name}`"));
        }
        match route {
            None => Ok(all),
            Some(r) => {
                let by_route: Vec<&'a DoseLimit> =
                    all.iter().copied().filter(|l| l.route == r).collect();
                if by_route.is_empty() {
                    let mut routes: Vec<&str> = all.iter().map(|l| l.route.as_str()).collect();
                    routes.sort_unstable();
                    Err(format!(
                        "the knowledge base has no dose limit for `{name}` by route {r} (only {})",
                        routes.join(", ")
                    ))
                } else {
                    Ok(by_route)
                }
            }
        }
    }

    /// The lowest limit of one kind among the bands that cover the patient, and the bands that
    /// might cover the patient but could not be evaluated.
    fn applied(&self, limit: &'a DoseLimit, kind: Kind, quantity: Quantity) -> Applied<'a> {
        let mut out = Applied::default();
        for band in limit.bands.iter() {
            let raw = match kind {
                Kind::Single => band.max_single,
                Kind::Daily => band.max_daily,
                Kind::Days => None,
            };
            let (value, per_kg): (Result<Ratio, String>, Option<Amount>) = match (kind, raw) {
                (Kind::Days, _) => match band.max_days {
                    Some(d) => (Ok(Ratio::from_int(d as i64)), None),
                    None => continue,
                },
                (_, None) => continue,
                (_, Some(raw)) => {
                    if Quantity::of(raw.unit) != Some(quantity) {
                        out.other_quantity = true;
                        continue;
                    }
                    let base = raw.in_base().unwrap_or(Ratio::ZERO);
                    if raw.unit.dimension() == Dimension::MassPerKg {
                        let v = match self.patient.weight() {
                            Some(w) => base.checked_mul(w).ok_or_else(|| WEIGHT.to_string()),
                            None => Err(WEIGHT.to_string()),
                        };
                        (v, Some(raw))
                    } else {
                        (Ok(base), None)
                    }
                }
            };
            match (self.patient.covers(self.index, band), value) {
                (Covers::No, _) => {}
                (Covers::Yes, Ok(v)) => {
                    if out.chosen.is_none_or(|c| v < c.value) {
                        out.chosen = Some(Chosen {
                            value: v,
                            band,
                            per_kg,
                        });
                    }
                }
                (Covers::Yes, Err(field)) => out.unknown.push(Unevaluated {
                    band,
                    missing: vec![field],
                    value: None,
                }),
                (Covers::Unknown(mut missing), v) => {
                    if let Err(field) = &v {
                        if !missing.contains(field) {
                            missing.push(field.clone());
                        }
                    }
                    out.unknown.push(Unevaluated {
                        band,
                        missing,
                        value: v.ok(),
                    })
                }
            }
        }
        out
    }

    /// Compares one ingredient's dose with one dose limit.
    fn evaluate(&self, d: &Dosed<'a>, limit: &'a DoseLimit) -> Vec<Outcome<'a>> {
        let mut out = Vec::new();
        for kind in Kind::ALL {
            let value = match kind {
                Kind::Single => Some(d.single),
                Kind::Daily => d.daily,
                Kind::Days => d.days.map(|n| Ratio::from_int(n as i64)),
            };
            let applied = self.applied(limit, kind, d.quantity);
            if applied.chosen.is_none() && applied.unknown.is_empty() {
                if applied.other_quantity {
                    out.push(Outcome::OtherQuantity { kind });
                }
                continue;
            }
            let Some(value) = value else {
                out.push(Outcome::Missing {
                    kind,
                    chosen: applied.chosen,
                });
                continue;
            };
            if let Some(chosen) = applied.chosen {
                if value > chosen.value {
                    out.push(Outcome::Over {
                        kind,
                        value,
                        chosen,
                    });
                    continue;
                }
            }
            for u in applied.unknown {
                if u.value.is_none_or(|m| value > m) {
                    out.push(Outcome::Unknown {
                        kind,
                        value,
                        band: u.band,
                        missing: u.missing,
                        max: u.value,
                    });
                }
            }
        }
        out
    }

    /// Checks one ingredient of one item against its dose limit.
    pub(crate) fn check_item(&self, d: &Dosed<'a>, out: &mut Out<'a, '_>) {
        let candidates = match self.candidates(d.substance, d.route) {
            Ok(c) => c,
            Err(reason) => {
                out.skip(d.item, checks::DOSE_LIMIT, reason);
                return;
            }
        };
        if let [limit] = candidates[..] {
            for outcome in self.evaluate(d, limit) {
                self.report(d, limit, outcome, out);
            }
            return;
        }
        // No route, and the limits differ by route: a dose within every one of them is within
        // its limit whatever the route; otherwise say which route's limit it would exceed.
        let mut over = Vec::new();
        for limit in &candidates {
            for outcome in self.evaluate(d, limit) {
                if let Outcome::Over {
                    kind,
                    value,
                    chosen,
                } = outcome
                {
                    over.push(format!(
                        "as {} it would be over the {} of {} ({})",
                        limit.route,
                        kind.label(),
                        shown(kind, d.quantity, chosen.value),
                        shown(kind, d.quantity, value),
                    ));
                }
            }
        }
        if !over.is_empty() {
            let name = self.name(d.substance);
            out.skip(
                d.item,
                checks::DOSE_LIMIT,
                format!(
                    "no route given and the limits for `{name}` differ by route: {}",
                    over.join("; ")
                ),
            );
        }
    }

    fn report(
        &self,
        d: &Dosed<'a>,
        limit: &'a DoseLimit,
        outcome: Outcome<'a>,
        out: &mut Out<'a, '_>,
    ) {
        let q = d.quantity;
        match outcome {
            Outcome::Over {
                kind,
                value,
                chosen,
            } => {
                let f = self.finding(d, limit, kind, value, chosen);
                out.findings.push(f);
            }
            Outcome::Missing { kind, chosen } => {
                let what = match chosen {
                    Some(c) => format!(" ({} in band `{}`)", shown(kind, q, c.value), c.band.name),
                    None => String::new(),
                };
                out.skip(
                    d.item,
                    kind.name(),
                    format!(
                        "`{}` not given; the {}{what} was not checked",
                        kind.needs(),
                        kind.label()
                    ),
                );
            }
            Outcome::Unknown {
                kind,
                value,
                band,
                missing,
                max,
            } => {
                let over = match max {
                    Some(m) => format!(
                        "; the dose ({}) would be over its {} of {}",
                        shown(kind, q, value),
                        kind.label(),
                        shown(kind, q, m)
                    ),
                    // Without the limit's value, say it once per band, not once per limit
                    // kind: the skipped entry's `checks` already names the kinds.
                    None => ", so its limits could not be checked".to_string(),
                };
                out.skip(
                    d.item,
                    kind.name(),
                    format!(
                        "band `{}` of `{}` needs {}{over}",
                        band.name,
                        limit.id,
                        missing.join(" and ")
                    ),
                );
            }
            Outcome::OtherQuantity { kind } => {
                let (dose, lim) = match q {
                    Quantity::Mass => ("a mass", "a rate (mcg/h)"),
                    Quantity::Rate => ("a rate (mcg/h)", "a mass"),
                };
                out.skip(
                    d.item,
                    kind.name(),
                    format!(
                        "the dose is {dose} but the {} of `{}` is {lim}",
                        kind.label(),
                        limit.id
                    ),
                );
            }
        }
    }

    /// What a renal or per-kg band was computed from, for the summary and the detail.
    fn basis(
        &self,
        kind: Kind,
        chosen: &Chosen<'a>,
    ) -> (String, Option<Measure>, Option<&'static str>) {
        let mut text = String::new();
        let mut crcl = None;
        let mut method = None;
        if let (Some(a), Some(w)) = (chosen.per_kg, self.patient.weight()) {
            text.push_str(&format!("; {} x {w} kg", per_kg_measure(kind, a)));
        }
        if chosen.band.when.crcl_ml_min.is_some() {
            if let Some((c, m)) = self.patient.crcl() {
                text.push_str(&format!(
                    "; CrCl {} mL/min{}",
                    c,
                    if m == super::patient::CrclMethod::CockcroftGault {
                        " by Cockcroft-Gault"
                    } else {
                        ""
                    }
                ));
                crcl = Some(Measure {
                    value: c,
                    unit: "mL/min",
                });
                method = Some(m.as_str());
            }
        }
        (text, crcl, method)
    }

    fn finding(
        &self,
        d: &Dosed<'a>,
        limit: &'a DoseLimit,
        kind: Kind,
        value: Ratio,
        chosen: Chosen<'a>,
    ) -> Finding<'a> {
        let q = d.quantity;
        let (value, max) = (shown(kind, q, value), shown(kind, q, chosen.value));
        let name = self.name(d.substance);
        let from = if name == d.item {
            String::new()
        } else {
            format!(" (from `{}`)", d.item)
        };
        let (basis, crcl, crcl_method) = self.basis(kind, &chosen);
        let summary = format!(
            "`{name}`{from}: {value} is over the {} of {max} (band `{}`{basis})",
            kind.label(),
            chosen.band.name
        );
        let mut f = limit_finding(
            FindingKind::DoseLimit,
            limit,
            chosen.band,
            vec![d.item],
            summary,
        );
        f.dose = Some(DoseDetail {
            limit: kind.name(),
            value: Some(value),
            max: Some(max),
            band: Some(&chosen.band.name),
            route: Some(limit.route),
            per_kg: chosen.per_kg.map(|a| per_kg_measure(kind, a)),
            crcl,
            crcl_method,
            ..DoseDetail::default()
        });
        f
    }

    /// One ingredient in two or more items: its summed daily dose against the lowest daily
    /// limit that applies to any of them.
    pub(crate) fn cumulative(
        &self,
        known: &[Known<'a>],
        dosed: &[Dosed<'a>],
        out: &mut Out<'a, '_>,
    ) {
        // Every item holding each substance, with or without a dose.
        let mut holders: Vec<(ConceptId, usize, &'a str)> = Vec::new();
        for k in known {
            for (s, _) in super::ingredients(self.model, k.concept) {
                holders.push((s, k.input, k.id));
            }
        }
        holders.sort_unstable_by_key(|h| (h.0, h.1));
        holders.dedup_by_key(|h| (h.0, h.1));
        for group in holders.chunk_by(|a, b| a.0 == b.0) {
            if group.len() >= 2 {
                self.total(group, dosed, out);
            }
        }
    }

    fn total(
        &self,
        group: &[(ConceptId, usize, &'a str)],
        dosed: &[Dosed<'a>],
        out: &mut Out<'a, '_>,
    ) {
        let substance = group[0].0;
        let name = self.name(substance);
        let mut items: Vec<&'a str> = group.iter().map(|g| g.2).collect();
        items.sort_unstable();
        items.dedup();
        let parts: Vec<Option<&Dosed<'a>>> = group
            .iter()
            .map(|&(_, input, _)| {
                dosed
                    .iter()
                    .find(|d| d.input == input && d.substance == substance)
            })
            .collect();
        // Sum masses, or rates when every counted part is a rate.
        let quantity = if parts.iter().flatten().all(|d| d.quantity == Quantity::Rate)
            && parts.iter().any(Option::is_some)
        {
            Quantity::Rate
        } else {
            Quantity::Mass
        };
        let mut total = Ratio::ZERO;
        let mut contributions = Vec::new();
        let mut not_counted = Vec::new();
        let mut lowest: Option<(Chosen<'a>, &'a DoseLimit)> = None;
        let mut unknown: Vec<(&'a str, String)> = Vec::new();
        for (&(_, _, item), part) in group.iter().zip(&parts) {
            let reason = match part {
                None => Some("no usable dose"),
                Some(d) if d.quantity != quantity => Some("a rate and a mass cannot be added"),
                Some(d) if d.daily.is_none() => Some("no daily dose (times_per_day is needed)"),
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
            let daily = d.daily.expect("counted");
            total = total.checked_add(daily).unwrap_or(total);
            contributions.push(Contribution {
                item,
                amount: shown(Kind::Daily, quantity, daily),
            });
            for limit in self.candidates(substance, d.route).unwrap_or_default() {
                let applied = self.applied(limit, Kind::Daily, quantity);
                if let Some(c) = applied.chosen {
                    if lowest.is_none_or(|(l, _)| c.value < l.value) {
                        lowest = Some((c, limit));
                    }
                }
                for u in applied.unknown {
                    let reason = format!(
                        "band `{}` of `{}` needs {}; the total of `{name}` across items was not checked against it",
                        u.band.name,
                        limit.id,
                        u.missing.join(" and ")
                    );
                    unknown.push((item, reason));
                }
            }
        }
        contributions.sort_by(|a, b| (a.item, a.amount.value).cmp(&(b.item, b.amount.value)));
        not_counted.sort_by(|a, b| (a.item, &a.reason).cmp(&(b.item, &b.reason)));
        let complete = not_counted.is_empty();
        let at_least = if complete { "" } else { "at least " };
        let n = group.len();
        let value = shown(Kind::Daily, quantity, total);
        match lowest {
            Some((c, limit)) if total > c.value => {
                let max = shown(Kind::Daily, quantity, c.value);
                let (basis, crcl, crcl_method) = self.basis(Kind::Daily, &c);
                let summary = format!(
                    "`{name}` from {n} items totals {at_least}{value}, over the daily maximum of {max} (band `{}`{basis})",
                    c.band.name
                );
                let mut f =
                    limit_finding(FindingKind::CumulativeDose, limit, c.band, items, summary);
                f.dose = Some(DoseDetail {
                    limit: Kind::Daily.name(),
                    value: Some(value),
                    max: Some(max),
                    band: Some(&c.band.name),
                    route: Some(limit.route),
                    per_kg: c.per_kg.map(|a| per_kg_measure(Kind::Daily, a)),
                    crcl,
                    crcl_method,
                    contributions,
                    not_counted,
                });
                out.findings.push(f);
                return;
            }
            _ => {}
        }
        for (item, reason) in unknown {
            out.skip(item, checks::CUMULATIVE, reason);
        }
        let relevant = dose_relevant(self.index, substance);
        let (severity, summary) = match (complete, lowest) {
            (true, Some((c, _))) => (
                Severity::Info,
                format!(
                    "{n} items contain `{name}`; together {value}, within the daily maximum of {}",
                    shown(Kind::Daily, quantity, c.value)
                ),
            ),
            (true, None) => (
                Severity::Info,
                format!(
                    "{n} items contain `{name}`; together {value} (no daily maximum applies in the knowledge base)"
                ),
            ),
            (false, _) => (
                if relevant {
                    Severity::Moderate
                } else {
                    Severity::Info
                },
                format!(
                    "{n} items contain `{name}`; their total daily dose could not be checked ({at_least}{value} counted)"
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
        f.dose = Some(DoseDetail {
            limit: Kind::Daily.name(),
            value: Some(value),
            max: lowest.map(|(c, _)| shown(Kind::Daily, quantity, c.value)),
            band: lowest.map(|(c, _)| &*c.band.name),
            contributions,
            not_counted,
            ..DoseDetail::default()
        });
        out.findings.push(f);
    }
}

/// A finding over a dose limit: the limit's severity, management, monitoring, sources and
/// evidence, and the band's caveat (or the limit's).
fn limit_finding<'a>(
    kind: FindingKind,
    limit: &'a DoseLimit,
    band: &'a Band,
    items: Vec<&'a str>,
    summary: String,
) -> Finding<'a> {
    let mut f = Finding::new(kind, limit.severity, items, &limit.id, Cow::Owned(summary));
    f.management = Cow::Borrowed(&limit.management);
    f.monitoring = Cow::Borrowed(&limit.monitoring);
    f.sources = Cow::Borrowed(&limit.sources);
    f.evidence = Some(limit.evidence);
    f.uncertainty = band
        .note
        .as_deref()
        .or(limit.uncertainty.as_deref())
        .map(Cow::Borrowed);
    f
}
