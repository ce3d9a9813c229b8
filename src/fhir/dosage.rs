//! FHIR dosage to a dose, a number of doses a day, a course length and a route, exactly.
//!
//! Whatever cannot be read exactly is left out and said why, so that the item is still checked
//! (for interactions, conditions, allergies) and its dose checks are reported as skipped.

use serde_json::Value;

use super::model::{CodeableConcept, Dosage, Quantity, SNOMED, UCUM};
use crate::regimen::{Dose, MAX_DAYS, MAX_TIMES_PER_DAY, implausible_dose};
use crate::units::{Amount, Dimension, Ratio, Unit};
use crate::vocab::Route;

/// What was read from an item's dosage.
#[derive(Debug, Default)]
pub(crate) struct Reading {
    pub dose: Option<Dose>,
    pub times_per_day: Option<Ratio>,
    pub days: Option<u32>,
    pub route: Option<Route>,
    /// Why the dose, frequency or duration could not be read.
    pub problems: Vec<String>,
    /// A dose or frequency past plausible bounds (`150 g`, 100 a day). Not a reading problem
    /// to check around: leaving the dose out would turn an overdose into no dose finding, so
    /// the caller refuses the order, as a typed regimen is refused.
    pub implausible: Option<String>,
}

/// The v3 GTS abbreviations with an exact number of doses a day.
const TIMING_CODES: &[(&str, i128, i128)] = &[
    ("QD", 1, 1),
    ("BID", 2, 1),
    ("TID", 3, 1),
    ("QID", 4, 1),
    ("AM", 1, 1),
    ("PM", 1, 1),
    ("BED", 1, 1),
    ("QOD", 1, 2),
    ("WK", 1, 7),
    ("Q1H", 24, 1),
    ("Q2H", 12, 1),
    ("Q3H", 8, 1),
    ("Q4H", 6, 1),
    ("Q6H", 4, 1),
    ("Q8H", 3, 1),
];

/// SNOMED CT route codes (FHIR R4 value set `route-codes`) that match a medcheck route.
const ROUTE_CODES: &[(&str, Route)] = &[
    ("26643006", Route::Oral),
    ("45890007", Route::Transdermal),
    ("6064005", Route::Topical),
    ("47625008", Route::Iv),
    ("78421000", Route::Im),
    ("34206005", Route::Subcutaneous),
    ("37839007", Route::Sublingual),
    ("54471007", Route::Buccal),
    ("46713006", Route::Intranasal),
    ("37161004", Route::Rectal),
];

/// Days in one UCUM unit of time (`mo` and `a` are UCUM's mean Julian month and year, which is
/// what FHIR's `UnitsOfTime` means by them).
fn days_per(unit: &str) -> Option<Ratio> {
    let (n, d) = match unit {
        "s" => (1, 86_400),
        "min" => (1, 1_440),
        "h" => (1, 24),
        "d" => (1, 1),
        "wk" => (7, 1),
        "mo" => (487, 16),
        "a" => (1461, 4),
        _ => return None,
    };
    Ratio::new(n, d)
}

/// A duration's unit, from the UCUM code or the usual words for it.
fn time_unit(q: &Quantity) -> Option<Ratio> {
    let from_code = q.code.as_deref().and_then(days_per);
    from_code.or_else(|| {
        let unit = q.unit.as_deref()?.trim().to_ascii_lowercase();
        let code = match unit.as_str() {
            "day" | "days" | "d" => "d",
            "week" | "weeks" | "wk" => "wk",
            "hour" | "hours" | "h" | "hr" => "h",
            _ => return None,
        };
        days_per(code)
    })
}

/// A positive exact number.
fn positive(v: Option<&Value>, what: &str) -> Result<Ratio, String> {
    match v {
        None => Err(format!("{what} has no value")),
        Some(Value::Number(n)) => {
            let r = Ratio::from_json(n).map_err(|e| format!("{what}: {e}"))?;
            if r.is_positive() {
                Ok(r)
            } else {
                Err(format!("{what} {r} is not greater than zero"))
            }
        }
        Some(other) => Err(format!("{what} `{other}` is not a number")),
    }
}

/// A quantity's text as sent, for messages (`2 puff`).
fn shown(q: &Quantity) -> String {
    let value = q.value.as_ref().map_or("?".to_string(), Value::to_string);
    let unit = q
        .code
        .as_deref()
        .or(q.unit.as_deref())
        .unwrap_or("(no unit)");
    format!("{}{value} {unit}", q.comparator.as_deref().unwrap_or(""))
}

/// A dose quantity, exactly. `<` and `<=` give an upper bound, which is what the limits need.
fn amount(q: &Quantity) -> Result<Amount, String> {
    let text = shown(q);
    if matches!(q.comparator.as_deref(), Some(">" | ">=" | "ad")) {
        return Err(format!("dose {text} has no upper bound"));
    }
    let value = positive(q.value.as_ref(), &format!("dose {text}"))?;
    let ucum = matches!(q.system.as_deref(), None | Some(UCUM));
    let unit = [q.code.as_deref().filter(|_| ucum), q.unit.as_deref()]
        .into_iter()
        .flatten()
        .find_map(Unit::parse)
        .ok_or_else(|| {
            format!("dose {text}: the unit is not one medcheck can compare exactly (mg, ug, g, ug/h, mg/kg, ug/kg, {{tablet}}, {{capsule}}, {{patch}}, mL)")
        })?;
    let amount = Amount::new(value, unit);
    if let Some(cap_text) = implausible_dose(amount) {
        return Err(format!(
            "dose {text} is {IMPLAUSIBLE} large (at most {cap_text})"
        ));
    }
    Ok(amount)
}

/// Course length in whole days, rounded up (a 36-hour course counts as 2 days).
pub(crate) fn days(q: &Quantity, what: &str) -> Result<u32, String> {
    let text = shown(q);
    let value = positive(q.value.as_ref(), &format!("{what} {text}"))?;
    let per = time_unit(q)
        .ok_or_else(|| format!("{what} {text}: the unit is not a unit of time medcheck reads"))?;
    let total = value
        .checked_mul(per)
        .ok_or_else(|| format!("{what} {text} is out of range"))?;
    let whole = (total.numer() + total.denom() - 1) / total.denom();
    if whole > i128::from(MAX_DAYS) {
        return Err(format!(
            "{what} {text} is implausibly long (at most {MAX_DAYS} days)"
        ));
    }
    Ok(whole as u32)
}

/// Doses a day from `timing.repeat` or `timing.code`. `frequencyMax` is used when given: a
/// limit is checked against the most the order allows.
fn times_per_day(dosage: &Dosage) -> Result<Option<Ratio>, String> {
    let Some(timing) = &dosage.timing else {
        return Ok(None);
    };
    let per_day = if let Some(r) = &timing.repeat {
        let frequency = match (&r.frequency_max, &r.frequency) {
            (Some(max), _) => Some(positive(Some(max), "timing frequencyMax")?),
            (None, Some(f)) => Some(positive(Some(f), "timing frequency")?),
            (None, None) => None,
        };
        match (&r.period, frequency) {
            (Some(period), frequency) => {
                let period = positive(Some(period), "timing period")?;
                let unit = r.period_unit.as_deref().unwrap_or("(none)");
                let per = days_per(unit).ok_or_else(|| {
                    format!("timing periodUnit `{unit}` is not a FHIR unit of time")
                })?;
                let days = period
                    .checked_mul(per)
                    .ok_or("timing period is out of range")?;
                // FHIR: with a period and no frequency, the event happens once per period.
                frequency
                    .unwrap_or(Ratio::ONE)
                    .checked_div(days)
                    .ok_or("timing frequency is out of range")?
            }
            (None, Some(_)) => return Err("timing frequency has no period".to_string()),
            (None, None) if !r.time_of_day.is_empty() => {
                Ratio::from_int(r.time_of_day.len() as i64)
            }
            (None, None) => return Ok(None),
        }
    } else if let Some(code) = &timing.code {
        let found = code.coding.iter().find_map(|c| {
            let code = c.code.as_deref()?;
            TIMING_CODES
                .iter()
                .find(|(k, _, _)| *k == code)
                .and_then(|(_, n, d)| Ratio::new(*n, *d))
        });
        match found {
            Some(r) => r,
            None => {
                let text = code
                    .text
                    .as_deref()
                    .or_else(|| code.coding.iter().find_map(|c| c.code.as_deref()))
                    .unwrap_or("(empty)");
                return Err(format!(
                    "timing code `{text}` has no exact number of doses a day"
                ));
            }
        }
    } else {
        return Ok(None);
    };
    if per_day > Ratio::from_int(MAX_TIMES_PER_DAY) {
        return Err(format!(
            "timing gives {per_day} doses a day, {IMPLAUSIBLE} many (at most {MAX_TIMES_PER_DAY})"
        ));
    }
    Ok(Some(per_day))
}

/// A route from its SNOMED CT code, or from its text (`oral`, `Transdermal route`).
pub(crate) fn route(cc: &CodeableConcept) -> Option<Route> {
    let coded = cc.codes(SNOMED).find_map(|code| {
        ROUTE_CODES
            .iter()
            .find(|(k, _)| *k == code)
            .map(|(_, r)| *r)
    });
    coded.or_else(|| {
        let texts = cc
            .text
            .iter()
            .chain(cc.coding.iter().filter_map(|c| c.display.as_ref()));
        texts.into_iter().find_map(|t| {
            let t = t.trim().to_ascii_lowercase();
            let t = t.strip_suffix(" route").unwrap_or(&t);
            Route::parse(t)
        })
    })
}

/// The largest of doses that can be compared: masses, rates or per-kg doses by their value in
/// base units, dosage units when all are the same unit. `None` when they cannot be compared.
fn largest(doses: &[Amount]) -> Option<Amount> {
    let first = doses.first()?;
    let mut best = (*first, first.in_base().unwrap_or(first.value));
    for &a in &doses[1..] {
        if a.unit.dimension() != first.unit.dimension()
            || (a.unit.dimension() == Dimension::DosageUnit && a.unit != first.unit)
        {
            return None;
        }
        let size = a.in_base().unwrap_or(a.value);
        if size > best.1 {
            best = (a, size);
        }
    }
    Some(best.0)
}

/// The word that marks a value past plausible bounds in a message.
const IMPLAUSIBLE: &str = "implausibly";

/// Reads the dosage list of one MedicationRequest (`dosageInstruction`) or MedicationStatement
/// (`dosage`).
pub(crate) fn read(dosages: &[Dosage]) -> Reading {
    let mut out = Reading::default();
    let routes: Vec<Option<Route>> = dosages
        .iter()
        .map(|d| d.route.as_ref().and_then(route))
        .collect();
    if let Some(first) = routes.first() {
        if routes.iter().all(|r| r == first) {
            out.route = *first;
        }
    }
    let dosage = match dosages {
        [] => return out,
        [one] => one,
        many => {
            out.problems.push(format!(
                "{} dosage instructions (a sequence or a split dose); medcheck reads a single one",
                many.len()
            ));
            return out;
        }
    };
    match &dosage.dose_and_rate[..] {
        [] => {
            if let Some(text) = dosage.text.as_deref().filter(|t| !t.trim().is_empty()) {
                out.problems.push(format!(
                    "the dose is given only as text (`{}`)",
                    text.trim()
                ));
            }
        }
        entries => {
            // Several entries (an `ordered` and a `calculated` dose, as EHRs often send) state
            // one dose in different forms: the largest is what the limits must see. Entries in
            // units that cannot be compared (mg and tablets) are not guessed between.
            let mut read: Vec<Amount> = Vec::with_capacity(entries.len());
            for dr in entries {
                let quantity = dr
                    .dose_quantity
                    .as_ref()
                    .or_else(|| dr.dose_range.as_ref().and_then(|r| r.high.as_ref()))
                    .or(dr.rate_quantity.as_ref());
                match quantity.map(amount) {
                    Some(Ok(a)) => read.push(a),
                    Some(Err(e)) if e.contains(IMPLAUSIBLE) => out.implausible = Some(e),
                    Some(Err(e)) => out.problems.push(e),
                    None => out.problems.push(
                        "doseAndRate has no doseQuantity, doseRange high or rateQuantity"
                            .to_string(),
                    ),
                }
            }
            if out.problems.is_empty() && out.implausible.is_none() {
                match largest(&read) {
                    Some(a) => out.dose = Some(a),
                    None => out.problems.push(format!(
                        "{} doseAndRate entries in units that cannot be compared",
                        read.len()
                    )),
                }
            }
        }
    }
    match times_per_day(dosage) {
        Ok(t) => out.times_per_day = t,
        Err(e) if e.contains(IMPLAUSIBLE) => out.implausible = Some(e),
        Err(e) => out.problems.push(e),
    }
    if let Some(bounds) = dosage
        .timing
        .as_ref()
        .and_then(|t| t.repeat.as_ref())
        .and_then(|r| r.bounds_duration.as_ref())
    {
        match days(bounds, "timing boundsDuration") {
            Ok(d) => out.days = Some(d),
            Err(e) => out.problems.push(e),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dosage(json: &str) -> Dosage {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn reads_dose_frequency_and_bounds() {
        let r = read(&[dosage(
            r#"{"timing": {"repeat": {"frequency": 1, "period": 6, "periodUnit": "h",
                                      "boundsDuration": {"value": 36, "code": "h"}}},
                "route": {"coding": [{"system": "http://snomed.info/sct", "code": "26643006"}]},
                "doseAndRate": {"doseQuantity": {"value": 0.5, "unit": "mg",
                                                 "system": "http://unitsofmeasure.org", "code": "mg"}}}"#,
        )]);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.dose.unwrap().to_string(), "0.5 mg");
        assert_eq!(r.times_per_day, Some(Ratio::from_int(4)));
        assert_eq!(r.days, Some(2));
        assert_eq!(r.route, Some(Route::Oral));
    }

    #[test]
    fn frequency_is_an_exact_ratio() {
        let t = |repeat: &str| {
            times_per_day(&dosage(&format!(r#"{{"timing": {{"repeat": {repeat}}}}}"#)))
        };
        assert_eq!(
            t(r#"{"frequency": 1, "period": 3, "periodUnit": "d"}"#),
            Ok(Ratio::new(1, 3))
        );
        assert_eq!(
            t(r#"{"frequency": 2, "frequencyMax": 3, "period": 1, "periodUnit": "d"}"#),
            Ok(Ratio::new(3, 1))
        );
        assert_eq!(
            t(r#"{"frequency": 1, "period": 1, "periodUnit": "wk"}"#),
            Ok(Ratio::new(1, 7))
        );
        assert_eq!(
            t(r#"{"timeOfDay": ["08:00", "20:00"]}"#),
            Ok(Some(Ratio::from_int(2)))
        );
        assert!(
            t(r#"{"frequency": 1, "period": 1, "periodUnit": "fortnight"}"#)
                .unwrap_err()
                .contains("fortnight")
        );
        assert!(
            t(r#"{"frequency": 100, "period": 1, "periodUnit": "h"}"#)
                .unwrap_err()
                .contains("implausibly")
        );
        let code = times_per_day(&dosage(
            r#"{"timing": {"code": {"coding": [{"code": "TID"}]}}}"#,
        ));
        assert_eq!(code, Ok(Some(Ratio::from_int(3))));
    }

    #[test]
    fn unreadable_doses_say_why() {
        let r = read(&[dosage(
            r#"{"doseAndRate": [{"doseQuantity": {"value": 2, "unit": "puff", "code": "{puff}"}}]}"#,
        )]);
        assert!(r.dose.is_none());
        assert!(r.problems[0].contains("2 {puff}"), "{:?}", r.problems);
        let r = read(&[dosage(
            r#"{"doseAndRate": [{"doseQuantity": {"value": "10", "code": "mg"}}]}"#,
        )]);
        assert!(r.problems[0].contains("not a number"), "{:?}", r.problems);
        let r = read(&[dosage(
            r#"{"doseAndRate": [{"doseQuantity": {"value": 10, "comparator": ">", "code": "mg"}}]}"#,
        )]);
        assert!(r.problems[0].contains("no upper bound"), "{:?}", r.problems);
        let r = read(&[dosage(r#"{"text": "1 tab every 6 h as needed"}"#)]);
        assert!(r.problems[0].contains("only as text"), "{:?}", r.problems);
        let r = read(&[dosage("{}"), dosage("{}")]);
        assert!(r.problems[0].contains("2 dosage instructions"));
    }

    #[test]
    fn doses_in_dosage_units_and_rates() {
        let r = read(&[dosage(
            r#"{"doseAndRate": [{"doseQuantity": {"value": 1, "system": "http://unitsofmeasure.org", "code": "{tablet}"}}]}"#,
        )]);
        assert_eq!(r.dose.unwrap().to_string(), "1 tablet");
        let r = read(&[dosage(
            r#"{"doseAndRate": [{"rateQuantity": {"value": 25, "system": "http://unitsofmeasure.org", "code": "ug/h"}}]}"#,
        )]);
        assert_eq!(r.dose.unwrap().to_string(), "25 mcg/h");
        let r = read(&[dosage(
            r#"{"doseAndRate": [{"doseRange": {"high": {"value": 2, "code": "{tablet}"}}}]}"#,
        )]);
        assert_eq!(r.dose.unwrap().to_string(), "2 tablet");
    }
}
