//! Reading a CDS Hooks request: the fields the spec requires for `order-select` and
//! `order-sign`, the draft orders, and the prefetched record.

use serde_json::{Map, Value};

use super::{CdsError, PREFETCH, REQUIRED_PREFETCH};
use crate::fhir::{FhirError, Resources};

/// A hook call, read and checked.
#[derive(Debug)]
pub struct HookRequest {
    /// The call's `hookInstance`.
    pub hook_instance: String,
    /// Draft orders (the focus; for `order-select`, the selected ones) and the prefetched record.
    pub resources: Resources,
    /// Prefetch keys the client did not send (or answered with an OperationOutcome).
    pub missing_prefetch: Vec<&'static str>,
}

pub(super) fn bad(path: &str, e: &FhirError) -> CdsError {
    match e {
        FhirError::Invalid { path, message } => CdsError::BadRequest {
            path: path.clone(),
            message: message.clone(),
        },
        other => CdsError::BadRequest {
            path: if path.is_empty() { "request" } else { path }.to_string(),
            message: other.to_string(),
        },
    }
}

fn bad_field(path: &str, message: impl Into<String>) -> CdsError {
    CdsError::BadRequest {
        path: path.to_string(),
        message: message.into(),
    }
}

fn object<'v>(
    parent: &'v Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'v Map<String, Value>, CdsError> {
    match parent.get(key) {
        Some(Value::Object(o)) => Ok(o),
        None | Some(Value::Null) => Err(bad_field(path, "required")),
        Some(_) => Err(bad_field(path, "must be an object")),
    }
}

fn string<'v>(parent: &'v Map<String, Value>, key: &str, path: &str) -> Result<&'v str, CdsError> {
    match parent.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) => Err(bad_field(path, "must not be empty")),
        None | Some(Value::Null) => Err(bad_field(path, "required")),
        Some(_) => Err(bad_field(path, "must be a string")),
    }
}

impl HookRequest {
    /// Reads a request body for the service `service_id`, which answers `hook`.
    pub fn parse(body: &[u8], service_id: &str, hook: &str) -> Result<HookRequest, CdsError> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            bad_field(
                "request",
                format!("not JSON: line {}, column {}: {e}", e.line(), e.column()),
            )
        })?;
        let Value::Object(root) = &value else {
            return Err(bad_field("request", "must be a JSON object"));
        };
        let sent_hook = string(root, "hook", "hook")?;
        if sent_hook != hook {
            return Err(bad_field(
                "hook",
                format!("`{sent_hook}` is not the hook of service `{service_id}` ({hook})"),
            ));
        }
        let hook_instance = string(root, "hookInstance", "hookInstance")?.to_string();
        let context = object(root, "context", "context")?;
        let patient_id = string(context, "patientId", "context.patientId")?;
        let drafts = object(context, "draftOrders", "context.draftOrders")?;
        if drafts.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
            return Err(bad_field(
                "context.draftOrders.resourceType",
                "must be `Bundle`",
            ));
        }
        let draft_orders = &context["draftOrders"];
        let mut resources = Resources::new();
        if hook == "order-select" {
            let selections = match context.get("selections") {
                Some(Value::Array(list)) if !list.is_empty() => list,
                Some(Value::Array(_)) => {
                    return Err(bad_field("context.selections", "must not be empty"));
                }
                None | Some(Value::Null) => {
                    return Err(bad_field("context.selections", "required"));
                }
                Some(_) => return Err(bad_field("context.selections", "must be an array")),
            };
            let mut selected = Vec::with_capacity(selections.len());
            for (i, s) in selections.iter().enumerate() {
                match s.as_str() {
                    Some(s) => selected.push(s.to_string()),
                    None => {
                        return Err(bad_field(
                            &format!("context.selections[{i}]"),
                            "must be a string such as `MedicationRequest/123`",
                        ));
                    }
                }
            }
            resources
                .add_value_where(draft_orders, "context.draftOrders", &|name| {
                    selected.iter().any(|s| s == name)
                })
                .map_err(|e| bad("context.draftOrders", &e))?;
            for (i, s) in selected.iter().enumerate() {
                if !resources.contains(s) {
                    return Err(bad_field(
                        &format!("context.selections[{i}]"),
                        format!("`{s}` is not in context.draftOrders"),
                    ));
                }
            }
        } else {
            resources
                .add_value(draft_orders, "context.draftOrders", true)
                .map_err(|e| bad("context.draftOrders", &e))?;
        }
        let prefetch = match root.get("prefetch") {
            None | Some(Value::Null) => None,
            Some(Value::Object(p)) => Some(p),
            Some(_) => return Err(bad_field("prefetch", "must be an object")),
        };
        let mut missing_prefetch = Vec::new();
        for (key, _) in PREFETCH {
            let path = format!("prefetch.{key}");
            match prefetch.and_then(|p| p.get(key)) {
                // Not sent: the client chose not to, or could not, fetch it.
                None => missing_prefetch.push(key),
                // Sent as null: the client found nothing (no active medications, say).
                Some(Value::Null) => {}
                Some(v @ Value::Object(o)) => match o.get("resourceType").and_then(Value::as_str) {
                    Some("OperationOutcome") => missing_prefetch.push(key),
                    Some("Patient") if key == "patient" => {
                        if let Some(id) = o.get("id").and_then(Value::as_str) {
                            if id != patient_id {
                                return Err(bad_field(
                                    &format!("{path}.id"),
                                    format!(
                                        "`{id}` is not the patient in context (`{patient_id}`)"
                                    ),
                                ));
                            }
                        }
                        resources
                            .add_value(v, &path, false)
                            .map_err(|e| bad(&path, &e))?;
                    }
                    _ => resources
                        .add_value(v, &path, false)
                        .map_err(|e| bad(&path, &e))?,
                },
                Some(_) => {
                    return Err(bad_field(
                        &path,
                        "must be a FHIR resource or Bundle, or null",
                    ));
                }
            }
        }
        if missing_prefetch.contains(&REQUIRED_PREFETCH) {
            return Err(CdsError::PreconditionFailed(format!(
                "prefetch `{REQUIRED_PREFETCH}` was not sent; medcheck does not query the FHIR server itself, and without the patient's active medications it cannot check the orders"
            )));
        }
        Ok(HookRequest {
            hook_instance,
            resources,
            missing_prefetch,
        })
    }
}
