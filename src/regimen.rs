//! The regimen to check: items (drugs, products, herbs, therapies) and optional patient context.
//!
//! [`Regimen::from_json`] reads the JSON form and refuses, with the item and the field named,
//! anything it cannot take at face value: unknown fields, unknown units or routes, doses that are
//! zero, negative, not numbers or absurdly large, inputs past the size caps.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::units::{Amount, Dimension, INPUT_CAP, Ratio, Unit};
use crate::vocab::{Phenotype, Route};

mod fast;
#[cfg(test)]
mod fast_props;

/// Most items a regimen may hold.
pub const MAX_ITEMS: usize = 500;
/// Longest item id, condition, allergy or gene name, in characters.
pub const MAX_NAME_CHARS: usize = 256;
/// Most conditions, allergies or phenotypes a patient may list, each.
pub const MAX_PATIENT_ENTRIES: usize = 100;
/// Largest regimen document, in bytes.
pub const MAX_REGIMEN_BYTES: usize = 1 << 20;

/// Why a regimen was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegimenError {
    /// Malformed JSON or an unexpected shape.
    #[error("line {line}, column {column}: {path}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// Path to the offending field (`items[2].dose.unit`).
        path: String,
        /// What was wrong.
        message: String,
    },
    /// A value that parses but cannot be used.
    #[error("{path}: {message}")]
    Invalid {
        /// Path to the field (`items[1].dose.value`), with the item's id where it has one.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// Larger than a cap.
    #[error("{what}: {found} is more than the limit of {max}")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// How large it was.
        found: usize,
        /// The cap.
        max: usize,
    },
}

/// The regimen's own id, echoed in its report (`"id"` in batch screening).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RegimenId {
    /// A string id.
    Text(String),
    /// A numeric id.
    Number(serde_json::Number),
}

/// Patient sex, for Cockcroft-Gault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    /// Female.
    Female,
    /// Male.
    Male,
}

/// A dose: a value in a unit.
pub type Dose = Amount;

/// One item of the regimen.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// As given: a canonical id, synonym, brand name or `rxnorm:CODE`.
    pub id: String,
    /// One dose, when given.
    pub dose: Option<Dose>,
    /// Doses per day (may be fractional: 0.5 is every other day).
    pub times_per_day: Option<Ratio>,
    /// Course length in days.
    pub days: Option<u32>,
    /// Route, when given.
    pub route: Option<Route>,
}

/// Patient context; every field is optional.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Patient {
    /// Age in years.
    pub age_years: Option<Ratio>,
    /// Weight in kg.
    pub weight_kg: Option<Ratio>,
    /// Sex.
    pub sex: Option<Sex>,
    /// Serum creatinine in mg/dL.
    pub serum_creatinine_mg_dl: Option<Ratio>,
    /// Creatinine clearance in mL/min, when known directly.
    pub crcl_ml_min: Option<Ratio>,
    /// Conditions as given.
    pub conditions: Vec<String>,
    /// Allergies as given (substances or classes).
    pub allergies: Vec<String>,
    /// Metabolizer phenotypes by gene (`CYP2D6` -> ultrarapid).
    pub phenotypes: BTreeMap<String, Phenotype>,
}

/// A regimen: items and optional patient context.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Regimen {
    /// The regimen's id, echoed in the report.
    pub id: Option<RegimenId>,
    /// Patient context.
    pub patient: Patient,
    /// Items, in input order.
    pub items: Vec<Item>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegimen<'a> {
    #[serde(default)]
    id: Option<RegimenId>,
    #[serde(default)]
    patient: Option<RawPatient>,
    #[serde(borrow)]
    items: Vec<RawItem<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPatient {
    #[serde(default)]
    age_years: Option<serde_json::Value>,
    #[serde(default)]
    weight_kg: Option<serde_json::Value>,
    #[serde(default)]
    sex: Option<Sex>,
    #[serde(default)]
    serum_creatinine_mg_dl: Option<serde_json::Value>,
    #[serde(default)]
    crcl_ml_min: Option<serde_json::Value>,
    #[serde(default)]
    conditions: Vec<String>,
    #[serde(default)]
    allergies: Vec<String>,
    #[serde(default)]
    phenotypes: BTreeMap<String, String>,
}

/// An item as read. The unit and route are looked up, not kept, so they borrow from the text
/// (when they hold no escape).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem<'a> {
    id: String,
    #[serde(default, borrow)]
    dose: Option<RawDose<'a>>,
    #[serde(default)]
    times_per_day: Option<serde_json::Value>,
    #[serde(default)]
    days: Option<serde_json::Value>,
    #[serde(default, borrow)]
    route: Option<Word<'a>>,
}

/// A string that is looked up, not kept: borrowed from the text when it holds no escape.
/// (serde borrows a `Cow` field, but not one inside an `Option`.)
struct Word<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Word<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Word<'a>, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                // As `String` says it, so that errors read the same.
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Cow<'de, str>, E> {
                Ok(Cow::Borrowed(s))
            }
            fn visit_str<E>(self, s: &str) -> Result<Cow<'de, str>, E> {
                Ok(Cow::Owned(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<Cow<'de, str>, E> {
                Ok(Cow::Owned(s))
            }
        }
        d.deserialize_str(Visit).map(Word)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDose<'a> {
    value: serde_json::Value,
    #[serde(borrow)]
    unit: Cow<'a, str>,
}

impl Regimen {
    /// Reads and checks a regimen from JSON.
    pub fn from_json(text: &str) -> Result<Regimen, RegimenError> {
        let mut regimen = Regimen {
            items: Vec::with_capacity(16),
            ..Regimen::default()
        };
        regimen.read_json(text)?;
        Ok(regimen)
    }

    /// Reads `text` into `self`, as [`Regimen::from_json`] reads it (the same regimen, the same
    /// error), reusing the storage `self` holds: the items and their ids, the id's text. For a
    /// caller reading many regimens in turn; on an error `self` holds no regimen in particular.
    pub(crate) fn read_json(&mut self, text: &str) -> Result<(), RegimenError> {
        if text.len() > MAX_REGIMEN_BYTES {
            return Err(RegimenError::TooLarge {
                what: "regimen size in bytes",
                found: text.len(),
                max: MAX_REGIMEN_BYTES,
            });
        }
        // The common shape is read by hand at a fraction of the cost, into the same raw form and
        // through the same checks; anything else (every malformed input, every item the checks
        // refuse) goes to serde, which has the last word.
        let mut items = std::mem::take(&mut self.items);
        let mut patient = None;
        match fast::parse(text, &mut items, &mut patient) {
            Some(read) => {
                // `assemble`'s checks (the items are checked already), the regimen put together
                // in place.
                let text_id = match read.id {
                    Some(fast::Id::Text(id)) => Some(id),
                    _ => None,
                };
                self.patient = Regimen::checked_patient(text_id, patient.as_mut())?;
                self.id = read.id.map(|id| match (id, self.id.take()) {
                    (fast::Id::Text(s), Some(RegimenId::Text(mut kept))) => {
                        kept.clear();
                        kept.push_str(s);
                        RegimenId::Text(kept)
                    }
                    (fast::Id::Text(s), _) => RegimenId::Text(s.to_string()),
                    (fast::Id::Number(n), _) => RegimenId::Number(n.into()),
                });
                self.items = items;
            }
            None => {
                self.items = items;
                *self = Regimen::from_serde(text)?;
            }
        }
        Ok(())
    }

    /// [`Regimen::from_json`] without the hand-written reader: serde reads every input. The
    /// reference the hand-written reader is tested against.
    #[cfg(test)]
    pub(crate) fn from_json_serde(text: &str) -> Result<Regimen, RegimenError> {
        if text.len() > MAX_REGIMEN_BYTES {
            return Err(RegimenError::TooLarge {
                what: "regimen size in bytes",
                found: text.len(),
                max: MAX_REGIMEN_BYTES,
            });
        }
        Regimen::from_serde(text)
    }

    /// Reads `text` with serde, then checks it (the size cap aside).
    fn from_serde(text: &str) -> Result<Regimen, RegimenError> {
        let raw: RawRegimen = match serde_json::from_str(text) {
            Ok(raw) => raw,
            Err(_) => {
                // Parse again, slower, to name the field that failed.
                let mut de = serde_json::Deserializer::from_str(text);
                let parsed = serde_path_to_error::deserialize::<_, RawRegimen>(&mut de);
                // What failed the first parse may come after the regimen: a second object, a
                // stray word. It must not be dropped silently, so the end is checked too.
                if let (Ok(_), Err(e)) = (&parsed, de.end()) {
                    return Err(RegimenError::Json {
                        line: e.line(),
                        column: e.column(),
                        path: ".".to_string(),
                        message: "trailing characters after the regimen (one regimen per input)"
                            .to_string(),
                    });
                }
                match parsed {
                    Ok(raw) => raw,
                    Err(e) => {
                        let path = with_item_id(text, e.path().to_string());
                        let inner = e.into_inner();
                        let message = inner.to_string();
                        let message = crate::source::strip_position(&message);
                        return Err(RegimenError::Json {
                            line: inner.line(),
                            column: inner.column(),
                            path,
                            message,
                        });
                    }
                }
            }
        };
        Regimen::from_raw(raw)
    }

    fn from_raw(raw: RawRegimen<'_>) -> Result<Regimen, RegimenError> {
        if raw.items.len() > MAX_ITEMS {
            return Err(RegimenError::TooLarge {
                what: "items",
                found: raw.items.len(),
                max: MAX_ITEMS,
            });
        }
        let RawRegimen { id, patient, items } = raw;
        Regimen::assemble(id, patient, || {
            items
                .into_iter()
                .enumerate()
                .map(|(i, it)| item(i, it))
                .collect()
        })
    }

    /// Checks the id, then the patient, then the items (`items` checks them), and puts the
    /// regimen together: the checks after reading, in the order that decides which error is
    /// reported. The hand-written reader checks the items as it reads them (any refusal sends
    /// the text to serde) and makes the other checks in this order itself (`read_json`), so as
    /// to put the regimen together in place.
    fn assemble(
        id: Option<RegimenId>,
        patient: Option<RawPatient>,
        items: impl FnOnce() -> Result<Vec<Item>, RegimenError>,
    ) -> Result<Regimen, RegimenError> {
        let text_id = match &id {
            Some(RegimenId::Text(id)) => Some(id.as_str()),
            _ => None,
        };
        let mut patient = patient;
        let patient = Regimen::checked_patient(text_id, patient.as_mut())?;
        let items = items()?;
        Ok(Regimen { id, patient, items })
    }

    /// The checks before the items, in their order: the id, when it is a string, then the
    /// patient, which is returned (its lists taken from `patient`, which is borrowed rather
    /// than moved: it is a few hundred bytes).
    fn checked_patient(
        text_id: Option<&str>,
        patient: Option<&mut RawPatient>,
    ) -> Result<Patient, RegimenError> {
        if let Some(id) = text_id {
            name(|| "id", id)?;
        }
        match patient {
            Some(p) => self::patient(p),
            None => Ok(Patient::default()),
        }
    }
}

/// `items[3].dosage` becomes `items[3] (ibuprofen).dosage` when item 3 has a usable id, so that a
/// shape error names the item as a value error does. Runs only on the error path.
fn with_item_id(text: &str, path: String) -> String {
    let Some(rest) = path.strip_prefix("items[") else {
        return path;
    };
    let Some((index, tail)) = rest.split_once(']') else {
        return path;
    };
    let Ok(index) = index.parse::<usize>() else {
        return path;
    };
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return path;
    };
    match doc["items"][index]["id"].as_str() {
        Some(id) if !id.trim().is_empty() && id.chars().count() <= MAX_NAME_CHARS => {
            format!("items[{index}] ({id}){tail}")
        }
        _ => path,
    }
}

fn invalid(path: impl Into<String>, message: impl Into<String>) -> RegimenError {
    RegimenError::Invalid {
        path: path.into(),
        message: message.into(),
    }
}

/// Checks a name; `path` is written only when the name is refused (most are not, and a path
/// per item would be most of the cost of reading a regimen).
#[inline]
fn name<P: Into<String>>(path: impl FnOnce() -> P, s: &str) -> Result<(), RegimenError> {
    // A name that starts with a printable ASCII character is not blank, and is not too long when
    // it is short in bytes: most names, decided here without a call.
    if let Some(b'!'..=b'~') = s.as_bytes().first() {
        if s.len() <= MAX_NAME_CHARS {
            return Ok(());
        }
    }
    other_name(path, s)
}

/// [`name`] for the names it does not decide at a glance, with the Unicode-aware trim.
#[inline(never)]
fn other_name<P: Into<String>>(path: impl FnOnce() -> P, s: &str) -> Result<(), RegimenError> {
    if s.trim().is_empty() {
        return Err(invalid(path(), "must not be empty"));
    }
    // Cheap test first: a string of at most MAX_NAME_CHARS bytes has at most as many chars.
    if s.len() > MAX_NAME_CHARS && s.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(
            path(),
            format!("longer than {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(())
}

/// A number in `[min, max]` (or `(0, max]` when `positive`), read exactly.
/// `path` is written only on the error path.
fn number<P: Into<String>>(
    path: impl FnOnce() -> P,
    v: &serde_json::Value,
    positive: bool,
    max: i64,
) -> Result<Ratio, RegimenError> {
    let serde_json::Value::Number(n) = v else {
        return Err(invalid(path(), format!("must be a number, found {v}")));
    };
    // Most numbers are small whole ones, which `Ratio::from_json` reads as `n / 1` (it refuses
    // only those past `INPUT_CAP`) and which are then in range when at least 1 (0 too when not
    // `positive`) and at most `max`: answered without the general reading.
    if let Some(u) = n.as_u64() {
        if u >= u64::from(positive)
            && i128::from(u) <= INPUT_CAP
            && i128::from(u) <= i128::from(max)
        {
            return Ok(Ratio::from_int(u as i64));
        }
    }
    let r = match Ratio::from_json(n) {
        Ok(r) => r,
        Err(e) => return Err(invalid(path(), e.to_string())),
    };
    // Most numbers are small whole ones: in range, by integer comparisons alone.
    if r.denom() == 1 && r.numer() > 0 && r.numer() <= i128::from(max) {
        return Ok(r);
    }
    if positive && !r.is_positive() {
        return Err(invalid(path(), format!("{r} must be greater than zero")));
    }
    if r < Ratio::ZERO {
        return Err(invalid(path(), format!("{r} must not be negative")));
    }
    if r > Ratio::from_int(max) {
        return Err(invalid(
            path(),
            format!("{r} is implausibly large (at most {max})"),
        ));
    }
    Ok(r)
}

/// The patient `p` describes, checked; its conditions and allergies are taken from it.
fn patient(p: &mut RawPatient) -> Result<Patient, RegimenError> {
    let opt = |v: &Option<serde_json::Value>, path: &str, positive: bool, max: i64| {
        v.as_ref()
            .map(|v| number(|| path, v, positive, max))
            .transpose()
    };
    for (what, list) in [
        ("patient.conditions", &p.conditions),
        ("patient.allergies", &p.allergies),
    ] {
        if list.len() > MAX_PATIENT_ENTRIES {
            return Err(RegimenError::TooLarge {
                what: if what.ends_with("conditions") {
                    "patient conditions"
                } else {
                    "patient allergies"
                },
                found: list.len(),
                max: MAX_PATIENT_ENTRIES,
            });
        }
        for (i, s) in list.iter().enumerate() {
            name(|| format!("{what}[{i}]"), s)?;
        }
    }
    if p.phenotypes.len() > MAX_PATIENT_ENTRIES {
        return Err(RegimenError::TooLarge {
            what: "patient phenotypes",
            found: p.phenotypes.len(),
            max: MAX_PATIENT_ENTRIES,
        });
    }
    let mut phenotypes = BTreeMap::new();
    for (gene, value) in &p.phenotypes {
        let path = format!("patient.phenotypes.{gene}");
        name(|| path.as_str(), gene)?;
        let phenotype = Phenotype::parse_lenient(value).ok_or_else(|| {
            invalid(
                &path,
                format!(
                    "unknown phenotype `{value}` (allowed: {})",
                    Phenotype::allowed()
                ),
            )
        })?;
        let gene = crate::vocab::normalize_gene(gene);
        // `HLA-B*15:02: poor` or `CYP2D6: positive` says nothing any rule could read: refuse
        // it rather than check the regimen as if the result were absent.
        if !phenotype.fits(&gene) {
            return Err(invalid(
                &path,
                format!(
                    "`{value}` does not apply to `{gene}` (allowed: {})",
                    Phenotype::allowed_for(&gene)
                ),
            ));
        }
        // `cyp2d6` and `CYP2D6`, or `HLA-B*1502` and `HLA-B*15:02`, are one gene: two different
        // results for it are a contradiction to resolve, not one to pick from.
        if let Some(other) = phenotypes.insert(gene.clone(), phenotype) {
            if other != phenotype {
                return Err(invalid(
                    &path,
                    format!("`{gene}` is listed twice, as `{other}` and as `{phenotype}`"),
                ));
            }
        }
    }
    Ok(Patient {
        age_years: opt(&p.age_years, "patient.age_years", false, 130)?,
        weight_kg: opt(&p.weight_kg, "patient.weight_kg", true, 700)?,
        sex: p.sex,
        serum_creatinine_mg_dl: opt(
            &p.serum_creatinine_mg_dl,
            "patient.serum_creatinine_mg_dl",
            true,
            40,
        )?,
        crcl_ml_min: opt(&p.crcl_ml_min, "patient.crcl_ml_min", false, 400)?,
        conditions: std::mem::take(&mut p.conditions),
        allergies: std::mem::take(&mut p.allergies),
        phenotypes,
    })
}

/// The most doses a day a regimen may give (`times_per_day`); past it the input is a typing error.
pub const MAX_TIMES_PER_DAY: i64 = 48;

/// The longest course a regimen may give (`days`).
pub const MAX_DAYS: i64 = 3650;

/// The largest single dose accepted, as written (`100 g`), when `amount` is past it: mass and
/// per-kg doses in mg, rates in mcg/h, dosage units in units. Past these the input is a typing
/// error, not a dose. Shared by the regimen reader and the FHIR mapping.
pub(crate) fn implausible_dose(amount: Amount) -> Option<&'static str> {
    let (cap, shown) = match amount.unit.dimension() {
        Dimension::Mass => (Ratio::from_int(100_000_000), "100 g"),
        Dimension::Rate => (Ratio::from_int(100_000), "100000 mcg/h"),
        Dimension::MassPerKg => (Ratio::from_int(1_000_000), "1000 mg/kg"),
        Dimension::DosageUnit => (Ratio::from_int(1_000), "1000 units"),
    };
    let size = match amount.unit.dimension() {
        Dimension::DosageUnit => Some(amount.value),
        _ => amount.in_base(),
    };
    size.is_none_or(|s| s > cap).then_some(shown)
}

fn item(i: usize, raw: RawItem<'_>) -> Result<Item, RegimenError> {
    let at = |field: &str| {
        if raw.id.trim().is_empty() {
            format!("items[{i}].{field}")
        } else {
            format!("items[{i}] ({}).{field}", raw.id)
        }
    };
    name(|| format!("items[{i}].id"), &raw.id)?;
    let dose = match &raw.dose {
        None => None,
        Some(d) => {
            let unit = Unit::parse(&d.unit).ok_or_else(|| {
                invalid(
                    at("dose.unit"),
                    format!(
                        "unknown unit `{}` (allowed: {})",
                        d.unit,
                        Unit::ALL.map(Unit::as_str).join(", ")
                    ),
                )
            })?;
            let value = number(|| at("dose.value"), &d.value, true, i64::MAX)?;
            let amount = Amount::new(value, unit);
            if let Some(shown) = implausible_dose(amount) {
                return Err(invalid(
                    at("dose.value"),
                    format!("{amount} is implausibly large (at most {shown})"),
                ));
            }
            Some(amount)
        }
    };
    let times_per_day = raw
        .times_per_day
        .as_ref()
        .map(|v| number(|| at("times_per_day"), v, true, MAX_TIMES_PER_DAY))
        .transpose()?;
    let days = match &raw.days {
        None => None,
        Some(v) => {
            let d = number(|| at("days"), v, true, MAX_DAYS)?;
            if d.denom() != 1 {
                return Err(invalid(
                    at("days"),
                    format!("{d} must be a whole number of days"),
                ));
            }
            Some(d.numer() as u32)
        }
    };
    let route = match &raw.route {
        None => None,
        Some(Word(r)) => Some(Route::parse(r).ok_or_else(|| {
            invalid(
                at("route"),
                format!("unknown route `{r}` (allowed: {})", Route::allowed()),
            )
        })?),
    };
    Ok(Item {
        id: raw.id,
        dose,
        times_per_day,
        days,
        route,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_issue_example() {
        let r = Regimen::from_json(
            r#"{"patient": {"age_years": 72, "weight_kg": 60, "sex": "female",
                "serum_creatinine_mg_dl": 1.4, "conditions": ["chronic-kidney-disease"],
                "allergies": ["nsaid"], "phenotypes": {"CYP2D6": "ultrarapid"}},
              "items": [{"id": "oxycodone", "dose": {"value": 10, "unit": "mg"}, "times_per_day": 4,
                         "days": 30, "route": "oral"},
                        {"id": "St John's Wort"}]}"#,
        )
        .unwrap();
        assert_eq!(r.items.len(), 2);
        assert_eq!(r.patient.phenotypes["CYP2D6"], Phenotype::Ultrarapid);
        assert_eq!(r.items[0].dose.unwrap().to_string(), "10 mg");
    }

    #[test]
    fn refuses_with_item_and_field() {
        let e = Regimen::from_json(
            r#"{"items":[{"id":"a"},{"id":"b","dose":{"value":-1,"unit":"mg"}}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("items[1] (b).dose.value"), "{e}");
        let e = Regimen::from_json(r#"{"items":[{"id":"b","dose":{"value":"NaN","unit":"mg"}}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("must be a number"), "{e}");
        let e = Regimen::from_json(r#"{"items":[{"id":"b","dose":{"value":1,"unit":"mgg"}}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown unit `mgg`"), "{e}");
        let e = Regimen::from_json(r#"{"items":[{"id":"b","dose":{"value":1e12,"unit":"mg"}}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("implausibly large"), "{e}");
        let e = Regimen::from_json(r#"{"patient":{"age":3},"items":[]}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("patient") && e.contains("unknown field `age`"),
            "{e}"
        );
    }
}
