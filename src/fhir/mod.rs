//! FHIR R4 input: a `Bundle` of MedicationRequest and MedicationStatement resources, with the
//! Patient, Condition, AllergyIntolerance and Observation resources around them, mapped to a
//! [`Regimen`].
//!
//! ```
//! use medcheck::fhir::{self, Date, MapOptions};
//! use medcheck::KnowledgeBase;
//!
//! let kb = KnowledgeBase::bundled();
//! let bundle = r#"{"resourceType": "Bundle", "entry": [
//!   {"resource": {"resourceType": "MedicationRequest", "id": "a", "status": "active",
//!     "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "11289"}]}}},
//!   {"resource": {"resourceType": "MedicationStatement", "id": "b", "status": "active",
//!     "medicationCodeableConcept": {"text": "Ibuprofen"}}}]}"#;
//! let options = MapOptions { as_of: "2024-06-01".parse::<Date>()? };
//! let mapped = fhir::map_bundle(kb, bundle, &options)?;
//! let report = mapped.check(kb)?;
//! assert!(report.findings.iter().any(|f| f.items() == ["ibuprofen", "warfarin"]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Medications resolve by RxNorm code (`rxnorm:CODE`), then by the concept's text and displays,
//! then through a contained or referenced `Medication`. Nothing is dropped: an item that does not
//! resolve keeps a quote of its coding as its id and becomes an `unknown-item` finding; a dose,
//! frequency or duration that cannot be read exactly is left out and the item's dose checks are
//! listed in the report's `skipped` with the reason. Resources that are no longer current
//! (stopped, completed, entered in error) are left out of the regimen and listed in
//! [`Mapped::left_out`].

mod date;
mod dosage;
mod map;
mod model;
mod patient;
mod read;

use crate::check::CheckError;
use crate::kb::KnowledgeBase;
use crate::regimen::Regimen;
use crate::report::{Report, Skipped};

pub use date::{Date, DateError};
pub use read::Resources;

/// Largest bundle document read, in bytes.
pub const MAX_BUNDLE_BYTES: usize = 4 << 20;
/// Most resources read across all bundles of one mapping.
pub const MAX_RESOURCES: usize = 5_000;

/// The checks an unreadable dose, frequency or duration takes away.
const DOSE_CHECKS: &[&str] = &["dose-limit", "cumulative-dose", "opioid-mme"];

/// Why FHIR input was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FhirError {
    /// Not JSON.
    #[error("line {line}, column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// JSON that is not the FHIR shape expected, with the path to the field
    /// (`entry[2].resource (MedicationRequest/abc).dosageInstruction[0].timing`).
    #[error("{path}: {message}")]
    Invalid {
        /// Where.
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

fn invalid(path: impl Into<String>, message: impl Into<String>) -> FhirError {
    FhirError::Invalid {
        path: path.into(),
        message: message.into(),
    }
}

/// How to map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapOptions {
    /// The date ages are counted at (`Patient.birthDate` to age in completed years).
    pub as_of: Date,
}

impl Default for MapOptions {
    /// Ages as of today (UTC).
    fn default() -> MapOptions {
        MapOptions {
            as_of: Date::today_utc(),
        }
    }
}

/// Where a regimen item came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemSource {
    /// The resource, `MedicationRequest/abc` (or its position when it has no id).
    pub resource: String,
    /// The medication or service as the record names it (`oxycodone 5 mg tablet`).
    pub label: String,
    /// True for resources added as the focus (the draft orders of a CDS Hooks call).
    pub focus: bool,
}

/// Something in the input that could not be fully used, carried into the report's `skipped`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappingNote {
    /// The regimen item it is about, by index; `None` for the patient or an unchecked order.
    pub item: Option<usize>,
    /// What it is about when not an item (`patient`, or the order as quoted).
    pub subject: String,
    /// True when it comes from a focus resource (a draft order).
    pub focus: bool,
    /// The checks not made.
    pub checks: Vec<&'static str>,
    /// Why, naming the resource and field.
    pub reason: String,
}

/// A regimen mapped from FHIR, with where each item came from and what could not be used.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mapped {
    /// The regimen: focus items first, then the others, each in input order.
    pub regimen: Regimen,
    /// One per regimen item.
    pub sources: Vec<ItemSource>,
    /// What could not be used, and the checks that were therefore not made.
    pub notes: Vec<MappingNote>,
    /// Resources left out because they are not current, with their status
    /// (`MedicationStatement/x: status stopped`).
    pub left_out: Vec<String>,
}

impl Mapped {
    /// Checks the regimen; the mapping notes are added to the report's `skipped` (by the item's
    /// canonical id where it resolved).
    pub fn check<'a>(&'a self, kb: &'a KnowledgeBase) -> Result<Report<'a>, CheckError> {
        let report = kb.check(&self.regimen)?;
        if self.notes.is_empty() {
            return Ok(report);
        }
        let item_ids: Vec<&'a str> = report
            .resolved
            .iter()
            .filter(|r| r.role == "item")
            .map(|r| r.id.unwrap_or(r.input))
            .collect();
        let model = report.model();
        let mut skipped = report.skipped;
        for n in &self.notes {
            let item = match n.item.and_then(|i| item_ids.get(i)) {
                Some(id) => id,
                None => n.subject.as_str(),
            };
            skipped.push(Skipped::new(item, &n.checks[..], n.reason.as_str()));
        }
        Ok(Report::new(
            model,
            report.id,
            report.resolved,
            report.findings,
            skipped,
        ))
    }
}

/// Reads one bundle (JSON text) and maps it.
pub fn map_bundle(
    kb: &KnowledgeBase,
    text: &str,
    options: &MapOptions,
) -> Result<Mapped, FhirError> {
    let mut resources = Resources::new();
    resources.add_json(text, true)?;
    resources.map(kb, options)
}
