//! The FHIR R4 fields medcheck reads, and nothing else: every other field is ignored.
//!
//! Structure is typed (an object where FHIR has an object), so a malformed resource is refused
//! with the path to the field. Numbers in dosages stay [`serde_json::Value`]s: a dose that cannot
//! be read exactly is reported for that item, not a reason to refuse the whole bundle. Arrays
//! also accept a single object, as some systems (and the CDS Hooks examples) send
//! `"doseAndRate": {...}`.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// RxNorm's code system.
pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
/// UCUM, the unit system of FHIR quantities.
pub const UCUM: &str = "http://unitsofmeasure.org";
/// LOINC.
pub const LOINC: &str = "http://loinc.org";
/// SNOMED CT.
pub const SNOMED: &str = "http://snomed.info/sct";

/// An array, or one element standing for an array of one. Each element is read on its own; an
/// error starts with the element's path (`[0].timing: ...`), which `read::typed` joins to
/// the path of the field.
fn one_or_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let one = |v: Value, at: String| -> Result<T, D::Error> {
        serde_path_to_error::deserialize(v).map_err(|e| {
            let inner = e.path().to_string();
            let inner = if inner == "." {
                String::new()
            } else {
                format!(".{inner}")
            };
            D::Error::custom(format!("{at}{inner}: {}", e.into_inner()))
        })
    };
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(list)) => list
            .into_iter()
            .enumerate()
            .map(|(i, v)| one(v, format!("[{i}]")))
            .collect(),
        Some(v) => Ok(vec![one(v, String::new())?]),
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct Coding {
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub display: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct CodeableConcept {
    #[serde(default, deserialize_with = "one_or_many")]
    pub coding: Vec<Coding>,
    #[serde(default)]
    pub text: Option<String>,
}

impl CodeableConcept {
    /// Codes of one system.
    pub fn codes<'a>(&'a self, system: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.coding
            .iter()
            .filter(move |c| c.system.as_deref() == Some(system))
            .filter_map(|c| c.code.as_deref())
            .map(str::trim)
            .filter(|c| !c.is_empty())
    }

    /// True when any coding has this system and one of these codes.
    pub fn has_code(&self, system: &str, codes: &[&str]) -> bool {
        self.codes(system).any(|c| codes.contains(&c))
    }

    /// The first code of the conventional status code systems (`active`, `refuted`...).
    pub fn status(&self) -> Option<&str> {
        self.coding.iter().find_map(|c| c.code.as_deref())
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct Quantity {
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default)]
    pub comparator: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct Range {
    #[serde(default)]
    pub high: Option<Quantity>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct Reference {
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub display: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Repeat {
    #[serde(default)]
    pub bounds_duration: Option<Quantity>,
    #[serde(default)]
    pub frequency: Option<Value>,
    #[serde(default)]
    pub frequency_max: Option<Value>,
    #[serde(default)]
    pub period: Option<Value>,
    #[serde(default)]
    pub period_unit: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub time_of_day: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct Timing {
    #[serde(default)]
    pub repeat: Option<Repeat>,
    #[serde(default)]
    pub code: Option<CodeableConcept>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DoseAndRate {
    #[serde(default)]
    pub dose_quantity: Option<Quantity>,
    #[serde(default)]
    pub dose_range: Option<Range>,
    #[serde(default)]
    pub rate_quantity: Option<Quantity>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Dosage {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub timing: Option<Timing>,
    #[serde(default)]
    pub route: Option<CodeableConcept>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub dose_and_rate: Vec<DoseAndRate>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DispenseRequest {
    #[serde(default)]
    pub expected_supply_duration: Option<Quantity>,
}

/// MedicationRequest and MedicationStatement: the same fields under two names for the dosage.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MedicationUse {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub medication_codeable_concept: Option<CodeableConcept>,
    #[serde(default)]
    pub medication_reference: Option<Reference>,
    /// MedicationRequest's dosage.
    #[serde(default, deserialize_with = "one_or_many")]
    pub dosage_instruction: Vec<Dosage>,
    /// MedicationStatement's dosage.
    #[serde(default, deserialize_with = "one_or_many")]
    pub dosage: Vec<Dosage>,
    #[serde(default)]
    pub dispense_request: Option<DispenseRequest>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub contained: Vec<Value>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct Medication {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub code: Option<CodeableConcept>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Patient {
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub gender: Option<String>,
}

/// Condition and AllergyIntolerance: a code with clinical and verification status.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Problem {
    #[serde(default)]
    pub clinical_status: Option<CodeableConcept>,
    #[serde(default)]
    pub verification_status: Option<CodeableConcept>,
    #[serde(default)]
    pub code: Option<CodeableConcept>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Observation {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub code: Option<CodeableConcept>,
    #[serde(default)]
    pub value_quantity: Option<Quantity>,
    #[serde(default)]
    pub effective_date_time: Option<String>,
    #[serde(default)]
    pub issued: Option<String>,
}

/// ServiceRequest: an order for a procedure (acupuncture, massage, TENS...).
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct ServiceRequest {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub code: Option<CodeableConcept>,
}

/// A resource medcheck reads, or the type of one it does not.
#[derive(Clone, Debug)]
pub(crate) enum Resource {
    MedicationRequest(MedicationUse),
    MedicationStatement(MedicationUse),
    Medication(Medication),
    Patient(Patient),
    Condition(Problem),
    AllergyIntolerance(Problem),
    Observation(Observation),
    ServiceRequest(ServiceRequest),
    /// An order of a kind medcheck does not check (NutritionOrder, DeviceRequest...).
    OtherOrder {
        kind: String,
    },
    /// Anything else (Practitioner, Encounter...): no bearing on the check.
    Ignored,
}

/// Order resources that medcheck cannot check; they are reported as not checked.
pub(crate) const OTHER_ORDERS: &[&str] = &[
    "DeviceRequest",
    "NutritionOrder",
    "VisionPrescription",
    "MedicationDispense",
    "MedicationAdministration",
];
