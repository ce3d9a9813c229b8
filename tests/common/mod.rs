//! Helpers shared by the dosing tests: run a regimen through the bundled knowledge base and look
//! at the report as JSON, the way a user of the CLI or library would.

#![allow(dead_code)]

use medcheck::{KnowledgeBase, Regimen};
use serde_json::Value;

/// The report of a regimen, as JSON. Panics on bad input.
pub fn run(regimen: &str) -> Value {
    run_with(KnowledgeBase::bundled(), regimen)
}

/// The report of a regimen against a given knowledge base, as JSON.
pub fn run_with(kb: &KnowledgeBase, regimen: &str) -> Value {
    let r = Regimen::from_json(regimen).unwrap_or_else(|e| panic!("regimen: {e}"));
    let report = kb.check(&r).unwrap_or_else(|e| panic!("check: {e}"));
    serde_json::from_str(&report.to_json()).expect("report JSON")
}

/// The error a regimen is refused with at the check stage.
pub fn refused(regimen: &str) -> String {
    let r = Regimen::from_json(regimen).unwrap_or_else(|e| panic!("regimen: {e}"));
    match KnowledgeBase::bundled().check(&r) {
        Ok(_) => panic!("expected the check to refuse {regimen}"),
        Err(e) => e.to_string(),
    }
}

/// Findings of one kind.
pub fn of_kind<'v>(report: &'v Value, kind: &str) -> Vec<&'v Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

/// The only finding of a kind; panics if there is not exactly one.
pub fn one<'v>(report: &'v Value, kind: &str) -> &'v Value {
    let found = of_kind(report, kind);
    assert_eq!(found.len(), 1, "expected one {kind} finding in {report:#}");
    found[0]
}

/// Dose findings (dose-limit, cumulative-dose, opioid-mme).
pub fn dose_findings(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            matches!(
                f["kind"].as_str(),
                Some("dose-limit" | "cumulative-dose" | "opioid-mme")
            )
        })
        .collect()
}

/// The skipped entry of an item, if any.
pub fn skipped<'v>(report: &'v Value, item: &str) -> Option<&'v Value> {
    report["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .find(|s| s["item"] == item)
}

/// A regimen with one item and a patient.
pub fn regimen(patient: &str, items: &[&str]) -> String {
    format!(
        r#"{{"patient": {patient}, "items": [{}]}}"#,
        items.join(",")
    )
}

/// A float from a JSON number (display only; exactness is checked on the summary text).
pub fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}
