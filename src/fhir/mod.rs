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
//! assert!(report.findings.iter().any(|f| f.items == ["ibuprofen", "warfarin"]));
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
mod model;
mod patient;

use std::borrow::Cow;
use std::collections::HashSet;

use serde_json::Value;

use crate::check::CheckError;
use crate::kb::KnowledgeBase;
use crate::model::ConceptKind;
use crate::regimen::{Item, MAX_ITEMS, MAX_NAME_CHARS, Regimen};
use crate::report::{Report, Skipped};

pub use date::{Date, DateError};
use model::{CodeableConcept, MedicationUse, RXNORM, Resource};

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
            skipped.push(Skipped {
                item,
                checks: n.checks.clone(),
                reason: Cow::Borrowed(&n.reason),
            });
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

struct Entry {
    resource: Resource,
    focus: bool,
    /// `MedicationRequest/abc`, or `entry[3]` when it has no id.
    name: String,
    full_url: Option<String>,
    /// The resource as sent, for contained resources.
    raw: Value,
}

/// Resources gathered from one or more bundles (the draft orders and the prefetched record of a
/// CDS Hooks call), ready to map into one regimen.
#[derive(Default)]
pub struct Resources {
    entries: Vec<Entry>,
}

impl std::fmt::Debug for Resources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resources")
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl Resources {
    /// No resources yet.
    pub fn new() -> Resources {
        Resources::default()
    }

    /// How many resources were read (every type, including those medcheck ignores).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing was read.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Reads a Bundle (or a single resource) from JSON text.
    pub fn add_json(&mut self, text: &str, focus: bool) -> Result<(), FhirError> {
        if text.len() > MAX_BUNDLE_BYTES {
            return Err(FhirError::TooLarge {
                what: "FHIR document size in bytes",
                found: text.len(),
                max: MAX_BUNDLE_BYTES,
            });
        }
        let value: Value = serde_json::from_str(text).map_err(|e| {
            let message = e.to_string();
            let message = match message.rfind(" at line ") {
                Some(i) => message[..i].to_string(),
                None => message,
            };
            FhirError::Json {
                line: e.line(),
                column: e.column(),
                message,
            }
        })?;
        self.add_value(&value, "", focus)
    }

    /// True when a resource of this name (`MedicationRequest/abc`) was read.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.iter().any(|e| e.name == name)
    }

    /// Reads a Bundle, or a single resource, already parsed. `path` prefixes error paths
    /// (`context.draftOrders`); `focus` marks the resources as the ones being decided on.
    pub fn add_value(&mut self, value: &Value, path: &str, focus: bool) -> Result<(), FhirError> {
        self.add_value_where(value, path, &|_| focus)
    }

    /// Like [`Resources::add_value`], with the focus decided per resource by its name
    /// (`MedicationRequest/abc`): the `selections` of an `order-select` call.
    pub fn add_value_where(
        &mut self,
        value: &Value,
        path: &str,
        focus: &dyn Fn(&str) -> bool,
    ) -> Result<(), FhirError> {
        let at = |rest: &str| match (path.is_empty(), rest.is_empty()) {
            (true, _) => rest.to_string(),
            (false, true) => path.to_string(),
            (false, false) => format!("{path}.{rest}"),
        };
        let Value::Object(obj) = value else {
            return Err(invalid(
                at(""),
                format!(
                    "expected a FHIR resource (an object), found {}",
                    kind(value)
                ),
            ));
        };
        match obj.get("resourceType").and_then(Value::as_str) {
            Some("Bundle") => {
                let entries = match obj.get("entry") {
                    None | Some(Value::Null) => return Ok(()),
                    Some(Value::Array(list)) => list,
                    Some(other) => {
                        return Err(invalid(
                            at("entry"),
                            format!("expected an array, found {}", kind(other)),
                        ));
                    }
                };
                for (i, e) in entries.iter().enumerate() {
                    let here = at(&format!("entry[{i}]"));
                    let Value::Object(e) = e else {
                        return Err(invalid(here, "expected an object"));
                    };
                    let full_url = e.get("fullUrl").and_then(Value::as_str).map(String::from);
                    match e.get("resource") {
                        None | Some(Value::Null) => {}
                        Some(r) => {
                            self.add_resource(r, &format!("{here}.resource"), full_url, focus)?
                        }
                    }
                }
                Ok(())
            }
            Some(_) => self.add_resource(value, &at(""), None, focus),
            None => Err(invalid(
                at("resourceType"),
                "missing: expected a FHIR Bundle or resource",
            )),
        }
    }

    fn add_resource(
        &mut self,
        value: &Value,
        path: &str,
        full_url: Option<String>,
        focus: &dyn Fn(&str) -> bool,
    ) -> Result<(), FhirError> {
        if self.entries.len() >= MAX_RESOURCES {
            return Err(FhirError::TooLarge {
                what: "FHIR resources",
                found: self.entries.len() + 1,
                max: MAX_RESOURCES,
            });
        }
        let Some(kind_name) = value.get("resourceType").and_then(Value::as_str) else {
            return Err(invalid(
                format!("{path}.resourceType"),
                "missing or not a string",
            ));
        };
        let id = value.get("id").and_then(Value::as_str);
        let name = match id {
            Some(id) => format!("{kind_name}/{id}"),
            None => format!(
                "{kind_name} at {}",
                if path.is_empty() { "top level" } else { path }
            ),
        };
        let at = format!("{path} ({name})");
        let resource = match kind_name {
            "MedicationRequest" => Resource::MedicationRequest(typed(value, &at)?),
            "MedicationStatement" => Resource::MedicationStatement(typed(value, &at)?),
            "Medication" => Resource::Medication(typed(value, &at)?),
            "Patient" => Resource::Patient(typed(value, &at)?),
            "Condition" => Resource::Condition(typed(value, &at)?),
            "AllergyIntolerance" => Resource::AllergyIntolerance(typed(value, &at)?),
            "Observation" => Resource::Observation(typed(value, &at)?),
            "ServiceRequest" => Resource::ServiceRequest(typed(value, &at)?),
            k if model::OTHER_ORDERS.contains(&k) => Resource::OtherOrder {
                kind: k.to_string(),
            },
            _ => Resource::Ignored,
        };
        let raw = match &resource {
            Resource::MedicationRequest(m) | Resource::MedicationStatement(m)
                if !m.contained.is_empty() =>
            {
                value.clone()
            }
            _ => Value::Null,
        };
        self.entries.push(Entry {
            resource,
            focus: focus(&name),
            name,
            full_url,
            raw,
        });
        Ok(())
    }

    /// Maps every resource read into one regimen.
    pub fn map(&self, kb: &KnowledgeBase, options: &MapOptions) -> Result<Mapped, FhirError> {
        let mut m = Mapper {
            kb,
            entries: &self.entries,
            out: Mapped::default(),
            seen: HashSet::new(),
            focus: false,
        };
        for focus in [true, false] {
            for e in self.entries.iter().filter(|e| e.focus == focus) {
                m.entry(e)?;
            }
        }
        let patient = patient::read(kb, &self.entries, options, &mut m.out.notes)?;
        m.out.regimen.patient = patient;
        m.settle();
        Ok(m.out)
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Deserializes the fields medcheck reads, naming the path of a field that has the wrong shape.
fn typed<T: serde::de::DeserializeOwned>(value: &Value, at: &str) -> Result<T, FhirError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut path = e.path().to_string();
        let mut message = e.into_inner().to_string();
        // Elements read one by one (`one_or_many`) put their own path before the message.
        while message.starts_with(['[', '.', ':']) {
            let Some((more, rest)) = message.split_once(": ") else {
                break;
            };
            path += more.trim_start_matches(':');
            message = rest.to_string();
        }
        invalid(format!("{at}.{path}"), message)
    })
}

/// The names of a coded concept, most specific first: RxNorm codes as `rxnorm:CODE`, then its
/// text, then the displays of its codings.
fn names(cc: &CodeableConcept, with_rxnorm: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if with_rxnorm {
        out.extend(cc.codes(RXNORM).map(|c| format!("rxnorm:{c}")));
    }
    let texts = cc
        .text
        .iter()
        .chain(cc.coding.iter().filter_map(|c| c.display.as_ref()));
    for t in texts {
        let t = t.trim();
        if !t.is_empty() && !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    out
}

/// The short name of a code system in a quote.
fn system_name(system: &str) -> &str {
    match system {
        RXNORM => "rxnorm",
        model::SNOMED => "snomed",
        model::LOINC => "loinc",
        "http://hl7.org/fhir/sid/ndc" => "ndc",
        "http://hl7.org/fhir/sid/icd-10-cm" => "icd-10-cm",
        "http://hl7.org/fhir/sid/icd-10" => "icd-10",
        other => other,
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// How the record names a concept, for people (`oxycodone 5 mg tablet`).
fn label(cc: &CodeableConcept) -> Option<String> {
    cc.text
        .iter()
        .chain(cc.coding.iter().filter_map(|c| c.display.as_ref()))
        .map(|t| t.trim())
        .find(|t| !t.is_empty())
        .map(String::from)
}

/// A quote of a concept that did not resolve: its name and its codes
/// (`"Oxycodone HCl 5 MG Oral Tablet" (rxnorm:1049621)`), within the regimen's name limit.
fn quote(cc: &CodeableConcept) -> Option<String> {
    let codes: Vec<String> = cc
        .coding
        .iter()
        .filter_map(|c| {
            let code = c.code.as_deref()?.trim();
            (!code.is_empty()).then(|| match c.system.as_deref() {
                Some(s) => format!("{}:{code}", system_name(s)),
                None => code.to_string(),
            })
        })
        .collect();
    let text = match (label(cc), codes.is_empty()) {
        (None, true) => return None,
        (None, false) => codes.join(", "),
        (Some(l), true) => format!("\"{l}\""),
        (Some(l), false) => format!("\"{l}\" ({})", codes.join(", ")),
    };
    Some(truncate(&text, MAX_NAME_CHARS))
}

struct Mapper<'r> {
    kb: &'r KnowledgeBase,
    entries: &'r [Entry],
    out: Mapped,
    seen: HashSet<&'r str>,
    /// Whether the entry being mapped is a focus resource.
    focus: bool,
}

/// The first name that resolves to a concept of an accepted kind.
fn resolve(
    kb: &KnowledgeBase,
    names: &[String],
    accept: fn(ConceptKind) -> bool,
) -> Option<String> {
    let index = kb.index();
    names
        .iter()
        .find(|n| index.resolve(n).is_some_and(|c| accept(index.kind(c))))
        .cloned()
}

impl<'r> Mapper<'r> {
    fn resolve(&self, names: &[String], accept: fn(ConceptKind) -> bool) -> Option<String> {
        resolve(self.kb, names, accept)
    }

    fn note(
        &mut self,
        item: Option<usize>,
        subject: &str,
        checks: &[&'static str],
        reason: String,
    ) {
        let focus = item.map_or(self.focus, |i| self.out.sources[i].focus);
        self.out.notes.push(MappingNote {
            item,
            subject: subject.to_string(),
            focus,
            checks: checks.to_vec(),
            reason,
        });
    }

    fn entry(&mut self, e: &'r Entry) -> Result<(), FhirError> {
        self.focus = e.focus;
        // The same resource sent twice (a draft order also in the prefetch) counts once.
        if matches!(
            e.resource,
            Resource::MedicationRequest(_)
                | Resource::MedicationStatement(_)
                | Resource::ServiceRequest(_)
        ) && !e.name.contains(" at ")
            && !self.seen.insert(&e.name)
        {
            return Ok(());
        }
        match &e.resource {
            Resource::MedicationRequest(m) => {
                const CURRENT: &[&str] = &["active", "draft", "on-hold", "unknown"];
                self.medication(e, m, CURRENT, &m.dosage_instruction)
            }
            Resource::MedicationStatement(m) => {
                const CURRENT: &[&str] = &["active", "intended", "on-hold", "unknown"];
                self.medication(e, m, CURRENT, &m.dosage)
            }
            Resource::ServiceRequest(s) => {
                const CURRENT: &[&str] = &["draft", "active", "on-hold", "unknown"];
                let status = s.status.as_deref().unwrap_or("unknown");
                if !CURRENT.contains(&status) {
                    self.out
                        .left_out
                        .push(format!("{}: status {status}", e.name));
                    return Ok(());
                }
                let cc = s.code.clone().unwrap_or_default();
                let label = label(&cc).unwrap_or_else(|| "(no code or text)".to_string());
                match self.resolve(&names(&cc, true), ConceptKind::is_item) {
                    Some(id) => self.push(
                        e,
                        Item {
                            id,
                            dose: None,
                            times_per_day: None,
                            days: None,
                            route: None,
                        },
                        label,
                    ),
                    None => {
                        let subject = format!("{} \"{label}\"", e.name);
                        self.note(
                            None,
                            &subject,
                            &["all"],
                            format!("{}: not a therapy or medication medcheck knows; it was not checked", e.name),
                        );
                        Ok(())
                    }
                }
            }
            Resource::OtherOrder { kind } => {
                self.note(
                    None,
                    &e.name,
                    &["all"],
                    format!("{}: medcheck does not check {kind} resources", e.name),
                );
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn push(&mut self, e: &Entry, item: Item, label: String) -> Result<(), FhirError> {
        if self.out.regimen.items.len() >= MAX_ITEMS {
            return Err(FhirError::TooLarge {
                what: "medication and therapy items",
                found: self.out.regimen.items.len() + 1,
                max: MAX_ITEMS,
            });
        }
        self.out.regimen.items.push(item);
        self.out.sources.push(ItemSource {
            resource: e.name.clone(),
            label,
            focus: e.focus,
        });
        Ok(())
    }

    /// The Medication a `medicationReference` points to: contained (`#id`), or in the bundle
    /// (`Medication/id`, or its `fullUrl`).
    fn referenced(
        &self,
        e: &Entry,
        m: &MedicationUse,
    ) -> Result<Option<CodeableConcept>, FhirError> {
        let Some(reference) = m
            .medication_reference
            .as_ref()
            .and_then(|r| r.reference.as_deref())
        else {
            return Ok(None);
        };
        if let Some(local) = reference.strip_prefix('#') {
            let contained = e.raw.get("contained").and_then(Value::as_array);
            for (i, c) in contained.into_iter().flatten().enumerate() {
                let is_it = c.get("resourceType").and_then(Value::as_str) == Some("Medication")
                    && c.get("id").and_then(Value::as_str) == Some(local);
                if is_it {
                    let med: model::Medication = typed(
                        c,
                        &format!("{} contained[{i}] (Medication/{local})", e.name),
                    )?;
                    return Ok(med.code);
                }
            }
            return Ok(None);
        }
        let found = self.entries.iter().find_map(|x| match &x.resource {
            Resource::Medication(med)
                if x.full_url.as_deref() == Some(reference)
                    || med.id.as_deref().is_some_and(|id| {
                        reference == format!("Medication/{id}")
                            || reference.ends_with(&format!("/Medication/{id}"))
                    }) =>
            {
                Some(med.code.clone())
            }
            _ => None,
        });
        Ok(found.flatten())
    }

    fn medication(
        &mut self,
        e: &Entry,
        m: &MedicationUse,
        current: &[&str],
        dosages: &[model::Dosage],
    ) -> Result<(), FhirError> {
        let status = m.status.as_deref().unwrap_or("unknown");
        if !current.contains(&status) {
            self.out
                .left_out
                .push(format!("{}: status {status}", e.name));
            return Ok(());
        }
        let direct = m.medication_codeable_concept.clone().unwrap_or_default();
        let referenced = self.referenced(e, m)?;
        let reference_display = m
            .medication_reference
            .as_ref()
            .and_then(|r| r.display.clone());
        let mut id = self.resolve(&names(&direct, true), ConceptKind::is_item);
        if id.is_none() {
            if let Some(cc) = &referenced {
                id = self.resolve(&names(cc, true), ConceptKind::is_item);
            }
        }
        if id.is_none() {
            if let Some(d) = &reference_display {
                id = self.resolve(std::slice::from_ref(d), ConceptKind::is_item);
            }
        }
        let label = label(&direct)
            .or_else(|| referenced.as_ref().and_then(label))
            .or_else(|| reference_display.clone())
            .unwrap_or_else(|| "(no medication code or text)".to_string());
        let id = id.unwrap_or_else(|| {
            quote(&direct)
                .or_else(|| referenced.as_ref().and_then(quote))
                .or_else(|| reference_display.as_ref().map(|d| format!("\"{d}\"")))
                .unwrap_or_else(|| format!("{} (no medication code or text)", e.name))
        });
        let reading = dosage::read(dosages);
        let mut days = reading.days;
        let mut problems = reading.problems;
        if let Some(supply) = m
            .dispense_request
            .as_ref()
            .and_then(|d| d.expected_supply_duration.as_ref())
        {
            match dosage::days(supply, "dispenseRequest expectedSupplyDuration") {
                Ok(d) => days = Some(d),
                Err(p) => problems.push(p),
            }
        }
        let index = self.out.regimen.items.len();
        self.push(
            e,
            Item {
                id,
                dose: reading.dose,
                times_per_day: reading.times_per_day,
                days,
                route: reading.route,
            },
            label,
        )?;
        for p in problems {
            let subject = e.name.clone();
            self.note(
                Some(index),
                &subject,
                DOSE_CHECKS,
                format!("{}: {p}", e.name),
            );
        }
        Ok(())
    }

    /// Runs the check once for each dose unit or route that cannot apply to its item (a
    /// `{tablet}` count of a plain substance, say), and leaves that dose or route out with a
    /// note: an EHR's order is checked without it rather than refused.
    fn settle(&mut self) {
        let rounds = 2 * self.out.regimen.items.len() + 1;
        for _ in 0..rounds {
            let outcome = self.kb.check(&self.out.regimen).map(|_| ());
            let Err(e) = outcome else { return };
            let items = &mut self.out.regimen.items;
            let (index, checks, message) =
                if let CheckError::UnitNotApplicable { index, message, .. } = &e {
                    match items.get_mut(*index) {
                        Some(item) if item.dose.is_some() => item.dose = None,
                        _ => return,
                    }
                    (*index, DOSE_CHECKS, message.clone())
                } else if let CheckError::RouteNotApplicable { index, message, .. } = &e {
                    match items.get_mut(*index) {
                        Some(item) if item.route.is_some() => item.route = None,
                        _ => return,
                    }
                    (*index, &["route"][..], message.clone())
                } else {
                    return;
                };
            let resource = self.out.sources[index].resource.clone();
            self.note(
                Some(index),
                &resource,
                checks,
                format!("{resource}: {message}; checked without it"),
            );
        }
    }
}
