//! Dose limits: each ingredient of each item against its substance's limit.
//!
//! Every band that covers the patient applies and the lowest limit of each kind wins. A band that
//! might cover the patient but cannot be evaluated (a missing age, weight or creatinine clearance)
//! is reported in `skipped` only when it could change the answer: when the dose is over that
//! band's limit, or the limit itself cannot be computed.

use super::patient::{Context, Covers};
use super::{Dosed, Out, Quantity, checks};
use crate::index::Index;
use crate::index::dose::BandLimits;
use crate::model::{Band, ConceptId, DoseLimit, Model};
use crate::report::words::{self, DoseFinding, DoseWords, Missing, Over, SkipReason};
use crate::report::{DoseDetail, Finding, Items, Measure, Origin};
use crate::units::{Amount, Dimension, Ratio, Unit};
use crate::vocab::{FindingKind, Route};

pub(crate) use words::LimitKind as Kind;

/// The kinds of limit, in the order they are checked.
const KINDS: [Kind; 3] = [Kind::Single, Kind::Daily, Kind::Days];

/// The `skipped` check name of a kind of limit.
pub(crate) fn name(kind: Kind) -> &'static str {
    match kind {
        Kind::Single => checks::SINGLE,
        Kind::Daily => checks::DAILY,
        Kind::Days => checks::DAYS,
    }
}

/// The `skipped` bit ([`checks::bits`]) of a kind of limit.
fn bit(kind: Kind) -> u8 {
    match kind {
        Kind::Single => checks::bits::SINGLE,
        Kind::Daily => checks::bits::DAILY,
        Kind::Days => checks::bits::DAYS,
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
            value: base.checked_div_int(1000).unwrap_or(base),
            unit: if k == Kind::Daily { "mg/day" } else { "mg" },
        },
    }
}

/// A per-kg limit as written in the band (`15 mg/kg`, `75 mg/kg/day`).
pub(crate) fn per_kg_measure(kind: Kind, a: Amount) -> Measure {
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

/// What one band sets for one kind of limit.
#[derive(Clone, Copy)]
enum BandSets<'m> {
    /// A single or daily maximum: what its unit measures, and the amount in base units (per
    /// kg for a per-kg amount).
    Amount(Dimension, &'m Ratio),
    /// A course length in days.
    Days(u32),
}

/// The limit of one kind that applies to the patient.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Chosen<'m> {
    /// In base units (mcg, mcg/h) or days.
    pub value: Ratio,
    pub band: &'m Band,
}

impl Chosen<'_> {
    /// The band's limit of this kind as a per-kg measure, when it is one (`max` is it times
    /// the weight).
    pub(crate) fn per_kg(&self, kind: Kind) -> Option<Measure> {
        let raw = match kind {
            Kind::Single => self.band.max_single.as_ref(),
            Kind::Daily => self.band.max_daily.as_ref(),
            Kind::Days => None,
        }?;
        (raw.unit.dimension() == Dimension::MassPerKg).then(|| per_kg_measure(kind, *raw))
    }
}

/// The lowest daily maximum that applies to one ingredient's dose (with the place in
/// [`Model::dose_limits`] of the limit that sets it), found while checking the dose and read
/// again by the cumulative total, which needs the same for each item it adds up.
#[derive(Clone, Copy, Debug)]
pub(crate) enum DailyLimit<'m> {
    /// Not found yet.
    Unchecked,
    /// No band that could apply is unevaluated; the lowest maximum, when any band sets one.
    Known(Option<(Chosen<'m>, u32)>),
    /// A band that might apply could not be evaluated: the total works it out again.
    Unknown,
}

impl<'m> DailyLimit<'m> {
    /// The lower of two, the first of equals; unknown when either is.
    fn lower(self, o: DailyLimit<'m>) -> DailyLimit<'m> {
        match (self, o) {
            (DailyLimit::Known(a), DailyLimit::Known(b)) => DailyLimit::Known(match (a, b) {
                (Some(x), Some(y)) if y.0.value < x.0.value => Some(y),
                (None, y) => y,
                (x, _) => x,
            }),
            _ => DailyLimit::Unknown,
        }
    }
}

/// A band that might cover the patient but could not be evaluated.
pub(crate) struct Unevaluated<'m> {
    pub band: &'m Band,
    pub missing: Missing,
    /// Its limit, when computable.
    pub value: Option<Ratio>,
}

#[derive(Default)]
pub(crate) struct Applied<'m> {
    pub chosen: Option<Chosen<'m>>,
    pub unknown: Vec<Unevaluated<'m>>,
    /// A band sets this kind of limit, but for the other quantity (mass vs rate).
    pub other_quantity: bool,
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
        missing: Missing,
        max: Option<Ratio>,
    },
    /// The limit is for a rate and the dose a mass, or the other way round.
    OtherQuantity { kind: Kind },
}

/// The dose limits of a substance that may apply by a route, as places in
/// [`Model::dose_limits`].
#[derive(Clone, Copy)]
pub(crate) struct Candidates<'a> {
    model: &'a Model,
    all: &'a [u32],
    route: Option<Route>,
}

impl<'a> Candidates<'a> {
    /// Each limit with its place.
    pub(crate) fn iter(self) -> impl Iterator<Item = (usize, &'a DoseLimit)> {
        let route = self.route;
        self.all
            .iter()
            .map(move |&i| (i as usize, &self.model.dose_limits[i as usize]))
            .filter(move |(_, l)| route.is_none_or(|r| l.route == r))
    }

    /// The only one, when there is one.
    fn single(self) -> Option<(usize, &'a DoseLimit)> {
        let mut it = self.iter();
        match (it.next(), it.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    }
}

/// Dose-limit checking against one model and patient.
pub(crate) struct Limits<'a, 'c> {
    pub model: &'a Model,
    pub index: &'a Index,
    pub patient: &'c Context<'c>,
}

impl<'a> Limits<'a, '_> {
    pub(crate) fn name(&self, s: ConceptId) -> &'a str {
        &self.model.concept(s).id
    }

    /// The limits that may apply to a substance given by a route; `None` when none does
    /// ([`Limits::no_limit`] says why).
    pub(crate) fn candidates(
        &self,
        substance: ConceptId,
        route: Option<Route>,
    ) -> Option<Candidates<'a>> {
        let all = self.index.dose_limits(substance);
        let candidates = Candidates {
            model: self.model,
            all,
            route,
        };
        if all.is_empty() || (route.is_some() && candidates.iter().next().is_none()) {
            return None;
        }
        Some(candidates)
    }

    /// Why no limit of a substance may apply by a route (when [`Limits::candidates`] found
    /// none).
    fn no_limit(&self, substance: ConceptId, route: Option<Route>) -> SkipReason<'a> {
        let all = self.index.dose_limits(substance);
        let name = self.name(substance);
        match route {
            Some(r) if !all.is_empty() => {
                let mut routes: Vec<&str> = all
                    .iter()
                    .map(|&i| self.model.dose_limits[i as usize].route.as_str())
                    .collect();
                routes.sort_unstable();
                SkipReason::Text(words::no_limit_by_route(name, r, &routes))
            }
            _ => SkipReason::NoLimit(name),
        }
    }

    /// The lowest limit of one kind among the bands that cover the patient, and the bands that
    /// might cover the patient but could not be evaluated.
    pub(crate) fn applied(
        &self,
        (place, limit): (usize, &'a DoseLimit),
        kind: Kind,
        quantity: Quantity,
    ) -> Applied<'a> {
        let mut out = Applied::default();
        for band in limit.bands.iter().zip(self.index.band_limits(place)) {
            self.consider(band, kind, quantity, &mut None, &mut out);
        }
        out
    }

    /// [`Limits::applied`] for every kind, in the order of [`KINDS`], in one pass over the
    /// bands: whether a band covers the patient is found once for all the kinds it sets.
    /// Written into the caller's (empty) values: returned, they were built and then copied.
    fn applied_all(
        &self,
        (place, limit): (usize, &'a DoseLimit),
        quantity: Quantity,
        all: &mut [Applied<'a>; 3],
    ) {
        let [single, daily, days] = all;
        for band in limit.bands.iter().zip(self.index.band_limits(place)) {
            let mut covers = None;
            self.consider(band, Kind::Single, quantity, &mut covers, single);
            self.consider(band, Kind::Daily, quantity, &mut covers, daily);
            self.consider(band, Kind::Days, quantity, &mut covers, days);
        }
    }

    /// Adds one band's limit of one kind to `out`. `covers` is whether the band covers the
    /// patient, found here when first needed. The band's maxima are read in base units from
    /// the index ([`BandLimits`]), converted when it was compiled.
    #[inline(always)]
    fn consider(
        &self,
        (band, limits): (&'a Band, &BandLimits),
        kind: Kind,
        quantity: Quantity,
        covers: &mut Option<Covers>,
        out: &mut Applied<'a>,
    ) {
        let set = match kind {
            Kind::Single => limits
                .single
                .as_ref()
                .map(|(d, base)| BandSets::Amount(*d, base)),
            Kind::Daily => limits
                .daily
                .as_ref()
                .map(|(d, base)| BandSets::Amount(*d, base)),
            Kind::Days => band.max_days.map(BandSets::Days),
        };
        let Some(set) = set else {
            return;
        };
        if let BandSets::Amount(dimension, _) = set {
            if Quantity::of_dimension(dimension) != Some(quantity) {
                out.other_quantity = true;
                return;
            }
        }
        // Matched rather than `get_or_insert_with`, which was a call for every kind of limit.
        let covers = match *covers {
            Some(c) => c,
            None => {
                let c = self.patient.covers_quickly(self.index, band, limits.who);
                *covers = Some(c);
                c
            }
        };
        if let Covers::No = covers {
            return;
        }
        // The limit in base units; `Err` when it needs the weight and there is none.
        let value: Result<Ratio, ()> = match set {
            BandSets::Amount(Dimension::MassPerKg, base) => match self.patient.weight() {
                Some(w) => base.checked_mul(w).ok_or(()),
                None => Err(()),
            },
            BandSets::Amount(_, base) => Ok(*base),
            BandSets::Days(days) => Ok(Ratio::from_int(days as i64)),
        };
        match (covers, value) {
            (Covers::No, _) => {}
            (Covers::Yes, Ok(v)) => {
                if out.chosen.is_none_or(|c| v < c.value) {
                    out.chosen = Some(Chosen { value: v, band });
                }
            }
            (Covers::Yes, Err(())) => out.unknown.push(Unevaluated {
                band,
                missing: Missing {
                    weight_for_limit: true,
                    ..Missing::default()
                },
                value: None,
            }),
            (Covers::Unknown(mut missing), v) => {
                missing.weight_for_limit = v.is_err();
                out.unknown.push(Unevaluated {
                    band,
                    missing,
                    value: v.ok(),
                })
            }
        }
    }

    /// Compares one ingredient's dose with one dose limit. Returns what its bands set as the
    /// daily maximum, for the cumulative total.
    fn evaluate(
        &self,
        d: &Dosed<'a>,
        (place, limit): (usize, &'a DoseLimit),
        each: &mut impl FnMut(Outcome<'a>),
    ) -> DailyLimit<'a> {
        let mut all = <[Applied<'a>; 3]>::default();
        self.applied_all((place, limit), d.quantity, &mut all);
        let daily = &all[1];
        let daily = if daily.unknown.is_empty() {
            DailyLimit::Known(daily.chosen.map(|c| (c, place as u32)))
        } else {
            DailyLimit::Unknown
        };
        for (kind, applied) in KINDS.into_iter().zip(&all) {
            let value = match kind {
                Kind::Single => Some(d.single),
                Kind::Daily => d.daily,
                Kind::Days => d.days.map(|n| Ratio::from_int(n as i64)),
            };
            if applied.chosen.is_none() && applied.unknown.is_empty() {
                if applied.other_quantity {
                    each(Outcome::OtherQuantity { kind });
                }
                continue;
            }
            let Some(value) = value else {
                each(Outcome::Missing {
                    kind,
                    chosen: applied.chosen,
                });
                continue;
            };
            if let Some(chosen) = applied.chosen {
                if value > chosen.value {
                    each(Outcome::Over {
                        kind,
                        value,
                        chosen,
                    });
                    continue;
                }
            }
            for u in &applied.unknown {
                if u.value.is_none_or(|m| value > m) {
                    each(Outcome::Unknown {
                        kind,
                        value,
                        band: u.band,
                        missing: u.missing,
                        max: u.value,
                    });
                }
            }
        }
        daily
    }

    /// Checks one ingredient of one item against its dose limit, and keeps the daily maximum
    /// that applies to it for the cumulative total.
    pub(crate) fn check_item(&self, d: &mut Dosed<'a>, out: &mut Out<'a, '_>) {
        d.daily_limit = self.check_limits(d, out);
    }

    /// [`Limits::check_item`]: the checks, returning the lowest daily maximum among the limits
    /// that may apply (the first of equals, by place in the index).
    fn check_limits(&self, d: &Dosed<'a>, out: &mut Out<'a, '_>) -> DailyLimit<'a> {
        let item = (d.item, d.rank);
        let Some(candidates) = self.candidates(d.substance, d.route) else {
            out.skip(item, checks::bits::DOSE_LIMIT, || {
                self.no_limit(d.substance, d.route)
            });
            return DailyLimit::Known(None);
        };
        if let Some((place, limit)) = candidates.single() {
            return self.evaluate(d, (place, limit), &mut |outcome| {
                self.report(d, (place, limit), outcome, out)
            });
        }
        // No route, and the limits differ by route. A dose within every one of them is within
        // its limit whatever the route. A dose over every route's limit of one kind is over it
        // whatever the route: that is a finding, made against the most lenient of them, so it
        // holds for any route. Over some routes' limits only, the skipped note says which. What
        // could not be compared (no `days`, a band needing the weight) is noted once a kind.
        let mut outcomes: Vec<(usize, &'a DoseLimit, Outcome<'a>)> = Vec::new();
        let mut routes = 0;
        let mut lowest = DailyLimit::Known(None);
        for (place, limit) in candidates.iter() {
            routes += 1;
            let daily = self.evaluate(d, (place, limit), &mut |outcome| {
                outcomes.push((place, limit, outcome))
            });
            lowest = lowest.lower(daily);
        }
        // By limit id, not by place in the data: which limit a tie goes to, and which route's
        // note comes first, must not depend on the order of the data files.
        outcomes.sort_by(|a, b| a.1.id.cmp(&b.1.id));
        let kind_of = |o: &Outcome<'_>| match o {
            Outcome::Over { kind, .. }
            | Outcome::Missing { kind, .. }
            | Outcome::Unknown { kind, .. }
            | Outcome::OtherQuantity { kind } => *kind,
        };
        let mut partial = Vec::new();
        for kind in KINDS {
            let (of_kind, rest): (Vec<_>, Vec<_>) =
                outcomes.into_iter().partition(|o| kind_of(&o.2) == kind);
            outcomes = rest;
            let over = |o: &&(usize, &DoseLimit, Outcome<'_>)| matches!(o.2, Outcome::Over { .. });
            let overs = of_kind.iter().filter(over).count();
            if overs == routes {
                let most_lenient = of_kind
                    .into_iter()
                    .filter_map(|(place, limit, o)| match o {
                        Outcome::Over { chosen, .. } => Some((place, limit, chosen.value, o)),
                        _ => None,
                    })
                    .reduce(|a, b| {
                        // Among equals the oral limit, as MME counts a dose without a route
                        // as oral; then the first by limit id.
                        let oral = |l: &DoseLimit| l.route.as_str() == "oral";
                        if b.2 > a.2 || (b.2 == a.2 && oral(b.1) && !oral(a.1)) {
                            b
                        } else {
                            a
                        }
                    })
                    .expect("at least one route");
                self.report(d, (most_lenient.0, most_lenient.1), most_lenient.3, out);
                continue;
            }
            let mut noted_place = None;
            for (place, limit, o) in of_kind {
                match o {
                    Outcome::Over {
                        kind,
                        value,
                        chosen,
                    } => partial.push(format!(
                        "as {} it would be over the {} of {} ({})",
                        limit.route,
                        kind.label(),
                        shown(kind, d.quantity, chosen.value),
                        shown(kind, d.quantity, value),
                    )),
                    // Not comparable: say so once, as the first route (by limit id) that says it.
                    other if noted_place.is_none_or(|p| p == place) => {
                        noted_place = Some(place);
                        self.report(d, (place, limit), other, out);
                    }
                    _ => {}
                }
            }
        }
        if !partial.is_empty() {
            let name = self.name(d.substance);
            let text = format!(
                "no route given and the limits for `{name}` differ by route: {}",
                partial.join("; ")
            );
            out.skip(item, checks::bits::DOSE_LIMIT, || SkipReason::Text(text));
        }
        lowest
    }

    #[inline]
    fn report(
        &self,
        d: &Dosed<'a>,
        (place, limit): (usize, &'a DoseLimit),
        outcome: Outcome<'a>,
        out: &mut Out<'a, '_>,
    ) {
        let q = d.quantity;
        let item = (d.item, d.rank);
        match outcome {
            Outcome::Over {
                kind,
                value,
                chosen,
            } => {
                let f = self.finding(d, (place, limit), kind, value, chosen);
                out.findings.push(f);
            }
            Outcome::Missing { kind, chosen } => {
                out.skip(item, bit(kind), || SkipReason::NotGiven {
                    kind,
                    chosen: chosen.map(|c| (shown(kind, q, c.value), &*c.band.name)),
                })
            }
            Outcome::Unknown {
                kind,
                value,
                band,
                missing,
                max,
            } => out.skip(item, bit(kind), || SkipReason::Band {
                band,
                limit,
                missing,
                over: max.map(|m| Over::new(shown(kind, q, value), kind, shown(kind, q, m))),
            }),
            Outcome::OtherQuantity { kind } => {
                out.skip(item, bit(kind), || SkipReason::OtherQuantity {
                    rate: q == Quantity::Rate,
                    kind,
                    limit: &limit.id,
                })
            }
        }
    }

    /// The creatinine clearance that chose a renal band, and how it was found.
    pub(crate) fn crcl_basis(
        &self,
        chosen: &Chosen<'a>,
    ) -> (Option<Measure>, Option<&'static str>) {
        if chosen.band.when.crcl_ml_min.is_none() {
            return (None, None);
        }
        match self.patient.crcl() {
            Some((c, m)) => (
                Some(Measure {
                    value: c,
                    unit: "mL/min",
                }),
                Some(m.as_str()),
            ),
            None => (None, None),
        }
    }

    fn finding(
        &self,
        d: &Dosed<'a>,
        (place, limit): (usize, &'a DoseLimit),
        kind: Kind,
        value: Ratio,
        chosen: Chosen<'a>,
    ) -> Finding<'a> {
        let q = d.quantity;
        let (crcl, crcl_method) = self.crcl_basis(&chosen);
        let detail = DoseDetail {
            limit: name(kind),
            value: Some(shown(kind, q, value)),
            max: Some(shown(kind, q, chosen.value)),
            band: Some(&chosen.band.name),
            route: Some(limit.route),
            per_kg: chosen.per_kg(kind),
            crcl,
            crcl_method,
            ..DoseDetail::default()
        };
        let words = DoseWords::Limit {
            name: self.name(d.substance),
            item: d.item,
            kind,
            band: chosen.band,
            weight: self.patient.weight(),
        };
        Finding::of_dose(
            FindingKind::DoseLimit,
            limit.severity,
            Origin::DoseLimit(limit),
            self.index.dose_limit_rank(self.model, place),
            Items::one(d.item, d.rank),
            Box::new(DoseFinding { detail, words }),
        )
    }
}
