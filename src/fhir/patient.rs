//! Patient context from FHIR: age and sex (Patient), conditions (Condition), allergies
//! (AllergyIntolerance), serum creatinine and body weight (Observation).

use std::collections::HashSet;

use serde_json::Value;

use super::date::PartialDate;
use super::map::{names, quote, resolve};
use super::model::{LOINC, Observation, Problem, Quantity, Resource};
use super::read::Entry;
use super::{FhirError, MapOptions, MappingNote, invalid};
use crate::kb::KnowledgeBase;
use crate::model::ConceptKind;
use crate::regimen::{MAX_PATIENT_ENTRIES, Patient, Sex};
use crate::units::Ratio;

/// LOINC: creatinine, mass per volume, in serum or plasma.
const SERUM_CREATININE: &str = "2160-0";
/// LOINC: body weight.
const BODY_WEIGHT: &str = "29463-7";
/// Oldest age the regimen reader accepts.
const MAX_AGE: u32 = 130;

fn note(notes: &mut Vec<MappingNote>, checks: &[&'static str], reason: String) {
    notes.push(MappingNote {
        item: None,
        subject: "patient".to_string(),
        focus: false,
        checks: checks.to_vec(),
        reason,
    });
}

pub(super) fn read(
    kb: &KnowledgeBase,
    entries: &[Entry],
    options: &MapOptions,
    notes: &mut Vec<MappingNote>,
) -> Result<Patient, FhirError> {
    let mut p = Patient::default();
    let patients: Vec<(&Entry, &super::model::Patient)> = entries
        .iter()
        .filter_map(|e| match &e.resource {
            Resource::Patient(p) => Some((e, p)),
            _ => None,
        })
        .collect();
    let mut ids: HashSet<&str> = patients.iter().map(|(e, _)| e.name.as_str()).collect();
    // The patients the other resources are about: `Patient/x` (or a URL ending so), or the
    // fullUrl of a Patient entry. A record that mixes two patients must not be checked as one.
    // A Patient sent without an id cannot be matched by name: then only fullUrls are compared.
    let named = patients.iter().all(|(p, _)| p.name.starts_with("Patient/"));
    for e in entries {
        let Some(r) = e.patient_ref.as_deref() else {
            continue;
        };
        let by_url = patients
            .iter()
            .find(|(p, _)| p.full_url.as_deref() == Some(r))
            .map(|(p, _)| p.name.as_str());
        let by_name = r
            .rfind("Patient/")
            .map(|i| &r[i..])
            .filter(|n| n.len() > "Patient/".len() && !n["Patient/".len()..].contains('/'));
        if let Some(name) = by_url.or(by_name.filter(|_| named)) {
            ids.insert(name);
        }
    }
    if ids.len() > 1 {
        let mut ids: Vec<&str> = ids.into_iter().collect();
        ids.sort_unstable();
        return Err(invalid(
            "Patient",
            format!(
                "{} different patients ({}); medcheck checks one patient at a time",
                ids.len(),
                ids.join(", ")
            ),
        ));
    }
    if let Some((e, patient)) = patients.first() {
        demographics(e, patient, options, &mut p, notes);
    }
    for e in entries {
        match &e.resource {
            Resource::Condition(c) => {
                const ACTIVE: &[&str] = &["active", "recurrence", "relapse"];
                if let Some(name) = problem(kb, e, c, ACTIVE, false, is_condition, notes) {
                    p.conditions.push(name);
                }
            }
            Resource::AllergyIntolerance(a) => {
                if let Some(name) = problem(kb, e, a, &["active"], true, is_allergen, notes) {
                    p.allergies.push(name);
                }
            }
            _ => {}
        }
    }
    for (what, list) in [
        ("conditions", &mut p.conditions),
        ("allergies", &mut p.allergies),
    ] {
        let mut seen = HashSet::new();
        list.retain(|s| seen.insert(s.clone()));
        if list.len() > MAX_PATIENT_ENTRIES {
            return Err(FhirError::TooLarge {
                what: if what == "conditions" {
                    "current conditions"
                } else {
                    "current allergies"
                },
                found: list.len(),
                max: MAX_PATIENT_ENTRIES,
            });
        }
    }
    p.serum_creatinine_mg_dl = latest(
        entries,
        SERUM_CREATININE,
        notes,
        |q| {
            let unit = q.code.as_deref().or(q.unit.as_deref()).unwrap_or("");
            match unit {
                "mg/dL" => Some(Ratio::ONE),
                _ => None,
            }
        },
        "serum creatinine",
        "mg/dL",
        40,
    );
    p.weight_kg = latest(
        entries,
        BODY_WEIGHT,
        notes,
        |q| {
            let unit = q.code.as_deref().or(q.unit.as_deref()).unwrap_or("");
            match unit {
                "kg" => Some(Ratio::ONE),
                "g" => Ratio::new(1, 1000),
                // The international avoirdupois pound is exactly 0.45359237 kg.
                "[lb_av]" | "lb" | "lbs" => Ratio::new(45_359_237, 100_000_000),
                _ => None,
            }
        },
        "body weight",
        "kg, g or [lb_av]",
        700,
    );
    Ok(p)
}

fn is_condition(k: ConceptKind) -> bool {
    k == ConceptKind::Condition
}

fn is_allergen(k: ConceptKind) -> bool {
    matches!(
        k,
        ConceptKind::Substance | ConceptKind::Class | ConceptKind::Product
    )
}

fn demographics(
    e: &Entry,
    patient: &super::model::Patient,
    options: &MapOptions,
    p: &mut Patient,
    notes: &mut Vec<MappingNote>,
) {
    p.sex = match patient.gender.as_deref() {
        Some("female") => Some(Sex::Female),
        Some("male") => Some(Sex::Male),
        _ => None,
    };
    let Some(birth) = patient.birth_date.as_deref() else {
        return;
    };
    let age_checks = &["dose-limit", "condition"][..];
    match PartialDate::parse(birth) {
        None => note(
            notes,
            age_checks,
            format!(
                "{}: birthDate `{birth}` is not a FHIR date; age-based checks were not made",
                e.name
            ),
        ),
        Some(d) => match d.age_at(options.as_of) {
            None => note(
                notes,
                age_checks,
                format!(
                    "{}: birthDate {birth} is after the reference date {}; age-based checks were not made",
                    e.name, options.as_of
                ),
            ),
            Some(age) if age > MAX_AGE => note(
                notes,
                age_checks,
                format!(
                    "{}: birthDate {birth} gives an implausible age of {age}; age-based checks were not made",
                    e.name
                ),
            ),
            // A partial birthDate gives the oldest age it allows (see `PartialDate::age_at`).
            Some(age) => p.age_years = Some(Ratio::from_int(i64::from(age))),
        },
    }
}

/// A condition or allergy, if current: its knowledge-base name, or a quote of its coding.
fn problem(
    kb: &KnowledgeBase,
    e: &Entry,
    c: &Problem,
    active: &[&str],
    rxnorm: bool,
    accept: fn(ConceptKind) -> bool,
    notes: &mut Vec<MappingNote>,
) -> Option<String> {
    if let Some(status) = c.clinical_status.as_ref().and_then(|s| s.status()) {
        if !active.contains(&status) {
            return None;
        }
    }
    if let Some(v) = c.verification_status.as_ref().and_then(|s| s.status()) {
        if matches!(v, "refuted" | "entered-in-error") {
            return None;
        }
    }
    let code = c.code.clone().unwrap_or_default();
    let mut candidates = if rxnorm {
        Vec::new()
    } else {
        icd10_names(&code)
    };
    candidates.extend(names(&code, rxnorm));
    let found = resolve(kb, &candidates, accept);
    let name = found.or_else(|| quote(&code));
    if name.is_none() {
        let checks: &[&'static str] = if rxnorm { &["allergy"] } else { &["condition"] };
        note(
            notes,
            checks,
            format!("{}: has no code or text; it was not checked", e.name),
        );
    }
    name
}

/// The most recent usable value of one LOINC observation, converted to the unit medcheck uses.
/// Only the latest counts: an older value is not used in place of an unreadable newer one.
fn latest(
    entries: &[Entry],
    loinc: &str,
    notes: &mut Vec<MappingNote>,
    factor: impl Fn(&Quantity) -> Option<Ratio>,
    what: &str,
    units: &str,
    max: i64,
) -> Option<Ratio> {
    let mut found: Vec<(&Entry, &Observation)> = entries
        .iter()
        .filter_map(|e| match &e.resource {
            Resource::Observation(o)
                if o.code.as_ref().is_some_and(|c| c.has_code(LOINC, &[loinc]))
                    && !matches!(
                        o.status.as_deref(),
                        Some("cancelled" | "entered-in-error" | "registered")
                    ) =>
            {
                Some((e, o))
            }
            _ => None,
        })
        .collect();
    // Latest first: by effective time, then issued (ISO 8601 text sorts by time within one
    // zone); ties keep input order.
    found.sort_by(|a, b| {
        let key = |o: &Observation| o.effective_date_time.clone().or_else(|| o.issued.clone());
        key(b.1).cmp(&key(a.1))
    });
    let (e, o) = found.first()?;
    let checks = &["dose-limit"][..];
    let Some(q) = &o.value_quantity else {
        note(
            notes,
            checks,
            format!(
                "{}: the latest {what} has no valueQuantity; it was not used",
                e.name
            ),
        );
        return None;
    };
    let value = match &q.value {
        Some(Value::Number(n)) => Ratio::from_json(n).ok(),
        _ => None,
    };
    let unit = q
        .code
        .as_deref()
        .or(q.unit.as_deref())
        .unwrap_or("(no unit)");
    let result = match (value, factor(q)) {
        (Some(v), Some(f)) => v.checked_mul(f),
        (None, _) => {
            note(
                notes,
                checks,
                format!(
                    "{}: the latest {what} value is not an exact number; it was not used",
                    e.name
                ),
            );
            return None;
        }
        (_, None) => {
            note(
                notes,
                checks,
                format!(
                    "{}: the latest {what} is in `{unit}`, not {units}; it was not used",
                    e.name
                ),
            );
            return None;
        }
    };
    match result {
        Some(v) if v.is_positive() && v <= Ratio::from_int(max) => Some(v),
        _ => {
            note(
                notes,
                checks,
                format!(
                    "{}: the latest {what} ({} {unit}) is implausible; it was not used",
                    e.name,
                    q.value.as_ref().map_or(String::new(), Value::to_string)
                ),
            );
            None
        }
    }
}

/// ICD-10-CM codings of a condition as names to look up, each code followed by its broader
/// categories (`icd10:N18.32`, `icd10:N18.3`, `icd10:N18`), most specific first.
fn icd10_names(code: &super::model::CodeableConcept) -> Vec<String> {
    const ICD10: [&str; 2] = [
        "http://hl7.org/fhir/sid/icd-10-cm",
        "http://hl7.org/fhir/sid/icd-10",
    ];
    let mut out = Vec::new();
    for system in ICD10 {
        for c in code.codes(system) {
            let c = c.to_ascii_uppercase();
            let mut end = c.len();
            while end >= 3 {
                let prefix = c[..end].trim_end_matches('.');
                let name = format!("icd10:{prefix}");
                if !out.contains(&name) {
                    out.push(name);
                }
                end = prefix.len() - 1;
            }
        }
    }
    out
}
