//! Reading FHIR JSON: bundles and single resources into typed [`Resource`]s, refusing a field
//! of the wrong shape with its path.

use serde_json::Value;

use super::model::{self, Resource};
use super::{FhirError, MAX_BUNDLE_BYTES, MAX_RESOURCES, MapOptions, Mapped, invalid};
use crate::kb::KnowledgeBase;

pub(super) struct Entry {
    pub(super) resource: Resource,
    pub(super) focus: bool,
    /// `MedicationRequest/abc`, or `entry[3]` when it has no id.
    pub(super) name: String,
    pub(super) full_url: Option<String>,
    /// The resource as sent, for contained resources.
    pub(super) raw: Value,
    /// The patient the resource is about (`subject` or `patient` reference), as sent.
    pub(super) patient_ref: Option<String>,
}

/// Resources gathered from one or more bundles (the draft orders and the prefetched record of a
/// CDS Hooks call), ready to map into one regimen.
#[derive(Default)]
pub struct Resources {
    pub(super) entries: Vec<Entry>,
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
            let message = crate::source::strip_position(&message);
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
        if kind_name == "Bundle" {
            // A bundle inside a bundle (a searchset in a collection): its resources are read
            // like any others, not dropped. Depth is bounded by the JSON nesting limit.
            return self.add_value_where(value, path, focus);
        }
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
        let patient_ref = ["subject", "patient"]
            .iter()
            .find_map(|k| value.get(k)?.get("reference")?.as_str())
            .map(String::from);
        self.entries.push(Entry {
            resource,
            focus: focus(&name),
            name,
            full_url,
            raw,
            patient_ref,
        });
        Ok(())
    }

    /// Maps every resource read into one regimen.
    pub fn map(&self, kb: &KnowledgeBase, options: &MapOptions) -> Result<Mapped, FhirError> {
        super::map::map(kb, &self.entries, options)
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
pub(super) fn typed<T: serde::de::DeserializeOwned>(
    value: &Value,
    at: &str,
) -> Result<T, FhirError> {
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
