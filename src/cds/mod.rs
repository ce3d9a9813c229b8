//! CDS Hooks 2.0 services for the `order-select` and `order-sign` hooks.
//!
//! [`Service`] is the protocol without the transport: discovery, reading a hook request
//! (`context.draftOrders` and the prefetched record), checking it and answering with cards. The
//! HTTP server around it is the `server` module, behind the `server` cargo feature.
//!
//! ```
//! use medcheck::cds::Service;
//! use medcheck::KnowledgeBase;
//!
//! let service = Service::new(KnowledgeBase::bundled().clone());
//! let discovery: serde_json::Value = serde_json::from_str(&service.discovery())?;
//! assert_eq!(discovery["services"][1]["hook"], "order-sign");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cards;
mod request;
#[cfg(feature = "server")]
pub mod server;

use serde_json::{Value, json};

use crate::fhir::{Date, MapOptions};
use crate::kb::KnowledgeBase;

pub use request::HookRequest;

/// Largest request body accepted, in bytes; larger requests get `413`.
pub const MAX_REQUEST_BYTES: usize = 2 << 20;

/// The hooks served, with their service ids.
pub const SERVICES: [(&str, &str); 2] = [
    ("medcheck-order-select", "order-select"),
    ("medcheck-order-sign", "order-sign"),
];

/// Prefetch keys and templates. `medications` is required (without it the orders cannot be
/// checked against what the patient already takes, and medcheck does not query the FHIR server
/// itself: `412`); the others are used when sent, and a card says which were missing.
pub const PREFETCH: [(&str, &str); 7] = [
    ("patient", "Patient/{{context.patientId}}"),
    (
        "medications",
        "MedicationRequest?patient={{context.patientId}}&status=active",
    ),
    (
        "statements",
        "MedicationStatement?patient={{context.patientId}}&status=active",
    ),
    (
        "conditions",
        "Condition?patient={{context.patientId}}&clinical-status=active",
    ),
    (
        "allergies",
        "AllergyIntolerance?patient={{context.patientId}}&clinical-status=active",
    ),
    (
        "creatinine",
        "Observation?patient={{context.patientId}}&code=http://loinc.org|2160-0&_sort=-date&_count=1",
    ),
    (
        "weight",
        "Observation?patient={{context.patientId}}&code=http://loinc.org|29463-7&_sort=-date&_count=1",
    ),
];

/// The prefetch key the service cannot work without.
pub const REQUIRED_PREFETCH: &str = "medications";

/// Why a hook call was refused; maps to an HTTP status.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CdsError {
    /// No service with that id (`404`).
    #[error("no CDS service `{0}` (services: medcheck-order-select, medcheck-order-sign)")]
    UnknownService(String),
    /// A malformed request (`400`), with the path to the field.
    #[error("{path}: {message}")]
    BadRequest {
        /// Where (`context.draftOrders.entry[0].resource`).
        path: String,
        /// What was wrong.
        message: String,
    },
    /// Data the service needs and cannot fetch itself (`412`).
    #[error("{0}")]
    PreconditionFailed(String),
    /// A body over [`MAX_REQUEST_BYTES`] (`413`).
    #[error("request body is larger than the limit of {MAX_REQUEST_BYTES} bytes")]
    TooLarge,
    /// Not `application/json` (`415`).
    #[error("request body must be application/json, found `{0}`")]
    UnsupportedMediaType(String),
    /// The knowledge base could not check the regimen (`500`): a fault, not the caller's.
    #[error("the check failed: {0}")]
    Internal(String),
}

impl CdsError {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            CdsError::UnknownService(_) => 404,
            CdsError::BadRequest { .. } => 400,
            CdsError::PreconditionFailed(_) => 412,
            CdsError::TooLarge => 413,
            CdsError::UnsupportedMediaType(_) => 415,
            CdsError::Internal(_) => 500,
        }
    }

    /// The JSON error body: `{"error": {"status": 400, "message": "..."}}`.
    pub fn to_json(&self) -> String {
        json!({"error": {"status": self.status(), "message": self.to_string()}}).to_string()
    }
}

/// The CDS services over one knowledge base. Cheap to clone and share across threads.
#[derive(Clone, Debug)]
pub struct Service {
    kb: KnowledgeBase,
    as_of: Option<Date>,
}

impl Service {
    /// Services over a knowledge base; ages are counted at today's date (UTC) on each call.
    pub fn new(kb: KnowledgeBase) -> Service {
        Service { kb, as_of: None }
    }

    /// Counts ages at a fixed date instead of today (for reproducible answers and tests).
    pub fn with_as_of(mut self, as_of: Date) -> Service {
        self.as_of = Some(as_of);
        self
    }

    /// The knowledge base.
    pub fn knowledge_base(&self) -> &KnowledgeBase {
        &self.kb
    }

    /// The discovery document (`GET /cds-services`).
    pub fn discovery(&self) -> String {
        let prefetch: serde_json::Map<String, Value> = PREFETCH
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect();
        let services: Vec<Value> = SERVICES
            .iter()
            .map(|(id, hook)| {
                let (title, when) = match *hook {
                    "order-select" => (
                        "medcheck: safety check of selected orders",
                        "the newly selected orders",
                    ),
                    _ => (
                        "medcheck: safety check before signing",
                        "every order about to be signed",
                    ),
                };
                json!({
                    "hook": hook,
                    "id": id,
                    "title": title,
                    "description": format!(
                        "Checks {when} against each other and against the patient's active medications, supplements, conditions, allergies, renal function and weight: drug, herb and therapy interactions, duplicate therapy, dose limits, cumulative dose, opioid MME, condition, allergy and pharmacogenomic problems."
                    ),
                    "prefetch": prefetch,
                })
            })
            .collect();
        json!({ "services": services }).to_string()
    }

    /// Answers a hook call (`POST /cds-services/{id}`) with `{"cards": [...]}`.
    pub fn call(&self, service_id: &str, body: &[u8]) -> Result<String, CdsError> {
        let hook = SERVICES
            .iter()
            .find(|(id, _)| *id == service_id)
            .map(|(_, hook)| *hook)
            .ok_or_else(|| CdsError::UnknownService(service_id.to_string()))?;
        if body.len() > MAX_REQUEST_BYTES {
            return Err(CdsError::TooLarge);
        }
        let request = HookRequest::parse(body, service_id, hook)?;
        let options = MapOptions {
            as_of: self.as_of.unwrap_or_else(Date::today_utc),
        };
        let mapped = request
            .resources
            .map(&self.kb, &options)
            .map_err(|e| request::bad("", &e))?;
        let report = mapped
            .check(&self.kb)
            .map_err(|e| CdsError::Internal(e.to_string()))?;
        let cards = cards::build(&cards::Input {
            mapped: &mapped,
            report: &report,
            hook_instance: &request.hook_instance,
            missing_prefetch: &request.missing_prefetch,
        });
        Ok(json!({ "cards": cards }).to_string())
    }
}
