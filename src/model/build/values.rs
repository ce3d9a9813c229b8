//! Closed values and numbers: routes, severities, evidence levels, amounts, ranges.

use super::*;

impl Builder {
    pub(super) fn route(&mut self, at: Location, s: &str) -> Route {
        Route::parse(s).unwrap_or_else(|| {
            self.err(ValidationError::UnknownValue {
                at,
                what: Route::WHAT,
                value: s.to_string(),
                allowed: Route::allowed(),
            });
            Route::Oral
        })
    }

    pub(super) fn severity(&mut self, at: Location, s: &str) -> Severity {
        match Severity::parse(s) {
            Some(v) if v != Severity::Info => v,
            _ => {
                self.err(ValidationError::UnknownValue {
                    at,
                    what: Severity::WHAT,
                    value: s.to_string(),
                    allowed: "contraindicated, major, moderate, minor".into(),
                });
                Severity::Minor
            }
        }
    }

    pub(super) fn evidence(&mut self, at: Location, s: &str) -> Evidence {
        Evidence::parse(s).unwrap_or_else(|| {
            self.err(ValidationError::UnknownValue {
                at,
                what: Evidence::WHAT,
                value: s.to_string(),
                allowed: Evidence::allowed(),
            });
            Evidence::Theoretical
        })
    }

    pub(super) fn number(&mut self, at: Location, n: &serde_json::Number) -> Option<Ratio> {
        match Ratio::from_json(n) {
            Ok(r) if r.is_positive() => Some(r),
            Ok(r) => {
                self.err(ValidationError::BadNumber {
                    at,
                    reason: format!("{r} must be greater than zero"),
                });
                None
            }
            Err(e) => {
                self.err(ValidationError::BadNumber {
                    at,
                    reason: e.to_string(),
                });
                None
            }
        }
    }

    pub(super) fn amount(&mut self, at: Location, a: &RawAmount) -> Option<Amount> {
        let value = self.number(
            Location {
                field: format!("{}.value", at.field),
                ..at.clone()
            },
            &a.value,
        );
        let unit = Unit::parse(&a.unit);
        if unit.is_none() {
            self.err(ValidationError::UnknownValue {
                at: Location {
                    field: format!("{}.unit", at.field),
                    ..at
                },
                what: "unit",
                value: a.unit.clone(),
                allowed: Unit::ALL.map(Unit::as_str).join(", "),
            });
        }
        Some(Amount::new(value?, unit?))
    }

    pub(super) fn range(&mut self, at: Location, r: &RawRange) -> Option<Range> {
        let bound =
            |b: &mut Builder, n: &Option<serde_json::Number>, f: &str| -> Option<Option<Ratio>> {
                let Some(n) = n else { return Some(None) };
                let at = Location {
                    field: format!("{}.{f}", at.field),
                    ..at.clone()
                };
                match Ratio::from_json(n) {
                    Ok(v) if v >= Ratio::ZERO => Some(Some(v)),
                    Ok(v) => {
                        b.err(ValidationError::BadNumber {
                            at,
                            reason: format!("{v} must not be negative"),
                        });
                        None
                    }
                    Err(e) => {
                        b.err(ValidationError::BadNumber {
                            at,
                            reason: e.to_string(),
                        });
                        None
                    }
                }
            };
        let min = bound(self, &r.min, "min");
        let max = bound(self, &r.max, "max");
        let (min, max) = (min?, max?);
        if min.is_none() && max.is_none() {
            self.err(ValidationError::Empty { at });
            return None;
        }
        if let (Some(a), Some(b)) = (min, max) {
            if a >= b {
                self.err(ValidationError::BadNumber {
                    at,
                    reason: format!("min {a} must be below max {b}"),
                });
                return None;
            }
        }
        Some(Range { min, max })
    }
}
