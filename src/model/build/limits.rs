//! Dose limits and their bands, MME conversion factors and thresholds.

use super::*;

impl Builder {
    pub(super) fn dose_limits(&mut self, data: &SourceData) {
        const F: &str = "dose-limits.json";
        let mut seen: FxHashMap<(ConceptId, Route), String> = FxHashMap::default();
        for (i, d) in data.dose_limits.iter().enumerate() {
            if !self.define(F, &d.id, i, Target::Other) {
                continue;
            }
            let errors_before = self.errors.len();
            let at = |f: &str| Location::new(F, &d.id, f);
            let substance = self.reference(
                at("substance"),
                &d.substance,
                &[ConceptKind::Substance],
                "substance",
            );
            let route = self.route(at("route"), &d.route);
            let severity = self.severity(at("severity"), &d.severity);
            let management = self.required(at("management"), &d.management, MAX_TEXT_LEN);
            let evidence = self.evidence(at("evidence"), &d.evidence);
            let sources = self.sourced(F, &d.id, &d.sources);
            let monitoring = self.monitoring_refs(F, &d.id, &d.monitoring);
            let uncertainty = self.optional(at("uncertainty"), &d.uncertainty);
            if d.bands.is_empty() {
                self.err(ValidationError::Empty { at: at("bands") });
            }
            let bands: Vec<Band> = d
                .bands
                .iter()
                .enumerate()
                .filter_map(|(bi, band)| self.band(&d.id, bi, band))
                .collect();
            self.check_overlaps(&d.id, &bands);
            let Some(substance) = substance else { continue };
            if let Some(other) = seen.insert((substance, route), d.id.clone()) {
                self.err(ValidationError::DuplicateRule {
                    at: at("route"),
                    other,
                });
            }
            if self.errors.len() == errors_before {
                self.model.dose_limits.push(DoseLimit {
                    id: d.id.as_str().into(),
                    substance,
                    route,
                    severity,
                    management,
                    bands: bands.into(),
                    evidence,
                    sources,
                    monitoring,
                    uncertainty,
                });
            }
        }
    }

    pub(super) fn band(&mut self, entry: &str, index: usize, b: &RawBand) -> Option<Band> {
        const F: &str = "dose-limits.json";
        let at = |f: &str| Location::new(F, entry, format!("bands[{index}].{f}"));
        let name = self.required(at("band"), &b.band, MAX_NAME_LEN);
        let when = b
            .when
            .as_ref()
            .map(|w| self.when(entry, index, w))
            .unwrap_or_default();
        let max_single = b
            .max_single
            .as_ref()
            .and_then(|a| self.limit_amount(at("max_single"), a));
        let max_daily = b
            .max_daily
            .as_ref()
            .and_then(|a| self.limit_amount(at("max_daily"), a));
        if let Some(0) = b.max_days {
            self.err(ValidationError::BadNumber {
                at: at("max_days"),
                reason: "0 must be greater than zero".into(),
            });
        }
        if b.max_single.is_none() && b.max_daily.is_none() && b.max_days.is_none() {
            self.err(ValidationError::Missing {
                at: at("max_single"),
                kind: "a band (give max_single, max_daily or max_days)".into(),
            });
        }
        if let (Some(s), Some(d)) = (max_single, max_daily) {
            if s.unit.dimension() == d.unit.dimension() && s.in_base() > d.in_base() {
                self.err(ValidationError::SingleAboveDaily {
                    at: at("max_single"),
                    single: s.to_string(),
                    daily: d.to_string(),
                });
            }
        }
        let note = self.optional(at("note"), &b.note);
        Some(Band {
            name: name.as_ref().into(),
            when,
            max_single,
            max_daily,
            max_days: b.max_days,
            note,
        })
    }

    pub(super) fn limit_amount(&mut self, at: Location, a: &RawAmount) -> Option<Amount> {
        let amount = self.amount(at.clone(), a)?;
        if amount.unit.dimension() == crate::units::Dimension::DosageUnit {
            self.err(ValidationError::UnknownValue {
                at: Location {
                    field: format!("{}.unit", at.field),
                    ..at
                },
                what: "limit unit",
                value: amount.unit.to_string(),
                allowed: "mcg, mg, g, mcg/h, mg/kg, mcg/kg".into(),
            });
            return None;
        }
        Some(amount)
    }

    pub(super) fn when(&mut self, entry: &str, index: usize, w: &RawWhen) -> When {
        const F: &str = "dose-limits.json";
        let at = |f: &str| Location::new(F, entry, format!("bands[{index}].when.{f}"));
        When {
            age_years: w
                .age_years
                .as_ref()
                .and_then(|r| self.range(at("age_years"), r)),
            weight_kg: w
                .weight_kg
                .as_ref()
                .and_then(|r| self.range(at("weight_kg"), r)),
            crcl_ml_min: w
                .crcl_ml_min
                .as_ref()
                .and_then(|r| self.range(at("crcl_ml_min"), r)),
            conditions: self.refs(
                F,
                entry,
                &format!("bands[{index}].when.conditions"),
                &w.conditions,
                &[ConceptKind::Condition],
                "condition",
            ),
        }
    }

    /// Bands that select patients by the same criteria must not overlap.
    pub(super) fn check_overlaps(&mut self, entry: &str, bands: &[Band]) {
        for (i, a) in bands.iter().enumerate() {
            for b in &bands[..i] {
                let (wa, wb) = (&a.when, &b.when);
                let sorted = |c: &[ConceptId]| {
                    let mut v = c.to_vec();
                    v.sort();
                    v
                };
                let same_shape = wa.age_years.is_some() == wb.age_years.is_some()
                    && wa.weight_kg.is_some() == wb.weight_kg.is_some()
                    && wa.crcl_ml_min.is_some() == wb.crcl_ml_min.is_some()
                    && sorted(&wa.conditions) == sorted(&wb.conditions);
                let overlap = |x: &Option<Range>, y: &Option<Range>| match (x, y) {
                    (Some(x), Some(y)) => x.overlaps(y),
                    _ => true,
                };
                if same_shape
                    && overlap(&wa.age_years, &wb.age_years)
                    && overlap(&wa.weight_kg, &wb.weight_kg)
                    && overlap(&wa.crcl_ml_min, &wb.crcl_ml_min)
                {
                    self.err(ValidationError::OverlappingBands {
                        at: Location::new("dose-limits.json", entry, format!("bands[{i}]")),
                        other: b.name.to_string(),
                    });
                }
            }
        }
    }

    pub(super) fn conversions(&mut self, data: &SourceData) {
        const F: &str = "opioid-conversions.json";
        let mut seen: FxHashSet<(ConceptId, Route)> = FxHashSet::default();
        for (i, c) in data.opioid_conversions.iter().enumerate() {
            let entry = format!("{}/{}", c.substance, c.route);
            let at = |f: &str| Location::new(F, &entry, f);
            let errors_before = self.errors.len();
            let substance = self.reference(
                at("substance"),
                &c.substance,
                &[ConceptKind::Substance],
                "substance",
            );
            let route = self.route(at("route"), &c.route);
            let factor = c.factor.as_ref().and_then(|n| self.number(at("factor"), n));
            let per = match Unit::parse(&c.per) {
                Some(u @ (Unit::Mg | Unit::McgPerH)) => u,
                _ => {
                    self.err(ValidationError::UnknownValue {
                        at: at("per"),
                        what: "conversion unit",
                        value: c.per.clone(),
                        allowed: "mg, mcg/h".into(),
                    });
                    Unit::Mg
                }
            };
            let evidence = self.evidence(at("evidence"), &c.evidence);
            let sources = self.sourced(F, &entry, &c.sources);
            let note = self.optional(at("note"), &c.note);
            if c.factor.is_none() && note.is_none() {
                self.err(ValidationError::Missing {
                    at: at("note"),
                    kind: "a conversion without a factor (say why it is not counted)".into(),
                });
            }
            let Some(substance) = substance else { continue };
            if !seen.insert((substance, route)) {
                self.err(ValidationError::DuplicateId {
                    at: Location::new(F, &entry, format!("#{i}")),
                    first: format!("{F}, an earlier entry for the same substance and route"),
                });
            }
            if self.errors.len() == errors_before {
                self.model.opioid_conversions.push(OpioidConversion {
                    substance,
                    route,
                    factor,
                    per,
                    evidence,
                    sources,
                    note,
                });
            }
        }
    }

    pub(super) fn thresholds(&mut self, data: &SourceData) {
        const F: &str = "mme-thresholds.json";
        for (i, t) in data.mme_thresholds.iter().enumerate() {
            if !self.define(F, &t.id, i, Target::Other) {
                continue;
            }
            let errors_before = self.errors.len();
            let at = |f: &str| Location::new(F, &t.id, f);
            let threshold = MmeThreshold {
                id: t.id.as_str().into(),
                mme_per_day: self
                    .number(at("mme_per_day"), &t.mme_per_day)
                    .unwrap_or(Ratio::ONE),
                severity: self.severity(at("severity"), &t.severity),
                evidence: self.evidence(at("evidence"), &t.evidence),
                summary: self.required(at("summary"), &t.summary, MAX_TEXT_LEN),
                management: self.required(at("management"), &t.management, MAX_TEXT_LEN),
                monitoring: self.monitoring_refs(F, &t.id, &t.monitoring),
                sources: self.sourced(F, &t.id, &t.sources),
            };
            if let Some(other) = self
                .model
                .mme_thresholds
                .iter()
                .find(|o| o.mme_per_day == threshold.mme_per_day)
            {
                let other = other.id.to_string();
                self.err(ValidationError::DuplicateRule {
                    at: at("mme_per_day"),
                    other,
                });
            }
            if self.errors.len() == errors_before {
                self.model.mme_thresholds.push(threshold);
            }
        }
        self.model.mme_thresholds.sort_by_key(|t| t.mme_per_day);
    }
}
