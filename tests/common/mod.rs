//! Shared test helpers: a tiny inline knowledge base for the core tests (so they do not move with
//! the clinical content), and helpers that run regimens through the bundled data as JSON.
#![allow(dead_code)]

use medcheck::source::{Origin, SourceData};
use medcheck::{KnowledgeBase, LoadError, Regimen, Report};
use serde_json::{Value, json};

/// The fixture as JSON values, one per file, for tests to corrupt.
pub fn fixture() -> Vec<(&'static str, Value)> {
    let src = |id: &str| json!([id]);
    vec![
        (
            "sources.json",
            json!([
                {"id": "s1", "title": "Source one", "kind": "fda-label"},
                {"id": "s2", "title": "Source two", "kind": "guideline"}
            ]),
        ),
        (
            "monitoring.json",
            json!([
                {"id": "m-inr", "what": "INR", "when": "in 3 days", "why": "bleeding", "sources": ["s1"]},
                {"id": "m-resp", "what": "Respiration", "when": "daily", "why": "depression", "sources": ["s1"]}
            ]),
        ),
        (
            "classes.json",
            json!([
                {"id": "drug-class", "name": "All drugs"},
                {"id": "nsaid", "name": "NSAIDs", "parents": ["drug-class"]},
                {"id": "cox2", "name": "COX-2 selective", "parents": ["nsaid"]},
                {"id": "anticoag", "name": "Anticoagulants"},
                {"id": "opioid", "name": "Opioids"},
                {"id": "benzo", "name": "Benzodiazepines"},
                {"id": "sero", "name": "Serotonergic"},
                {"id": "electro", "name": "Electrical stimulation"}
            ]),
        ),
        (
            "conditions.json",
            json!([
                {"id": "bleeding", "name": "Bleeding risk"},
                {"id": "thrombocytopenia", "name": "Thrombocytopenia", "parents": ["bleeding"]},
                {"id": "pacemaker", "name": "Pacemaker", "synonyms": ["ICD"]},
                {"id": "older-adult", "name": "Age 65 or older", "age_years": {"min": 65}}
            ]),
        ),
        (
            "substances.json",
            json!([
                {"id": "warfarin", "name": "Warfarin", "kind": "drug", "classes": ["anticoag"], "brands": ["Coumadin"], "rxnorm": "11289"},
                {"id": "ibuprofen", "name": "Ibuprofen", "kind": "drug", "classes": ["nsaid"], "brands": ["Advil"]},
                {"id": "celecoxib", "name": "Celecoxib", "kind": "drug", "classes": ["cox2"]},
                {"id": "etoricoxib", "name": "Etoricoxib", "kind": "drug", "classes": ["cox2"]},
                {"id": "oxycodone", "name": "Oxycodone", "kind": "drug", "classes": ["opioid"]},
                {"id": "hydrocodone", "name": "Hydrocodone", "kind": "drug", "classes": ["opioid"]},
                {"id": "acetaminophen", "name": "Acetaminophen", "kind": "drug", "synonyms": ["paracetamol"]},
                {"id": "alprazolam", "name": "Alprazolam", "kind": "drug", "classes": ["benzo"], "brands": ["Xanax"]},
                {"id": "sertraline", "name": "Sertraline", "kind": "drug", "classes": ["sero"]},
                {"id": "tramadol", "name": "Tramadol", "kind": "drug", "classes": ["opioid", "sero"]},
                {"id": "st-johns-wort", "name": "St John's wort", "kind": "herbal", "classes": ["sero"]}
            ]),
        ),
        (
            "products.json",
            json!([
                {"id": "hydrocodone-apap-5-325", "name": "Hydrocodone/APAP 5/325", "unit": "tablet", "route": "oral",
                 "ingredients": [{"substance": "hydrocodone", "strength": {"value": 5, "unit": "mg"}},
                                 {"substance": "acetaminophen", "strength": {"value": 325, "unit": "mg"}}]}
            ]),
        ),
        (
            "therapies.json",
            json!([
                {"id": "tens", "name": "TENS", "classes": ["electro"]},
                {"id": "massage", "name": "Massage"}
            ]),
        ),
        (
            "rules.json",
            json!([
                {"id": "anticoag-nsaid", "kind": "interaction", "between": ["anticoag", "nsaid"], "severity": "major",
                 "evidence": "established", "summary": "Bleeding", "management": "Avoid", "monitoring": ["m-inr"], "sources": src("s1")},
                {"id": "warfarin-celecoxib", "kind": "interaction", "between": ["celecoxib", "warfarin"], "severity": "moderate",
                 "evidence": "probable", "summary": "INR rise", "management": "Monitor INR", "monitoring": ["m-inr"], "sources": src("s1")},
                {"id": "opioid-benzo", "kind": "interaction", "between": ["opioid", "benzo"], "severity": "major",
                 "evidence": "established", "summary": "Respiratory depression", "management": "Avoid", "monitoring": ["m-resp"], "sources": src("s2")},
                {"id": "tramadol-sero", "kind": "interaction", "between": ["tramadol", "sero"], "severity": "major",
                 "evidence": "established", "summary": "Serotonin syndrome", "management": "Avoid", "sources": src("s1")},
                {"id": "nsaid-bleeding", "kind": "interaction", "between": ["nsaid", "bleeding"], "severity": "major",
                 "evidence": "probable", "summary": "Bleeding with a bleeding condition", "management": "Avoid", "sources": src("s1")},
                {"id": "electro-pacemaker", "kind": "interaction", "between": ["electro", "pacemaker"], "severity": "major",
                 "evidence": "probable", "summary": "Device interference", "management": "Avoid", "sources": src("s2")},
                {"id": "nsaid-dup", "kind": "duplication", "class": "nsaid", "severity": "moderate",
                 "evidence": "established", "summary": "Two NSAIDs", "management": "Use one", "sources": src("s1")},
                {"id": "sero-load", "kind": "accumulation", "class": "sero", "min_count": 3, "severity": "moderate",
                 "evidence": "probable", "summary": "Three serotonergic drugs", "management": "Reduce", "sources": src("s1"),
                 "requires": ["older-adult"]}
            ]),
        ),
    ]
}

/// Loads a fixture (possibly corrupted) through the public loader.
pub fn load(files: &[(&str, Value)]) -> Result<KnowledgeBase, LoadError> {
    let mut data = SourceData::default();
    for (name, value) in files {
        data.parse_file(name, value.to_string().as_bytes())
            .map_err(|e| LoadError::Source(vec![e]))?;
    }
    KnowledgeBase::from_source(data, Origin::Bundled)
}

/// The fixture knowledge base.
pub fn kb() -> KnowledgeBase {
    load(&fixture()).expect("the fixture is valid")
}

/// Checks a regimen written as JSON and returns the report as JSON.
pub fn check_json(kb: &KnowledgeBase, regimen: Value) -> Value {
    let regimen = Regimen::from_json(&regimen.to_string()).expect("valid regimen");
    let report = kb.check(&regimen).expect("checkable");
    serde_json::to_value(&report).unwrap()
}

/// `(rule, items)` of every finding.
pub fn fired(report: &Report) -> Vec<(String, Vec<String>)> {
    report
        .findings
        .iter()
        .map(|f| {
            (
                f.rule().to_string(),
                f.items().iter().map(|s| s.to_string()).collect(),
            )
        })
        .collect()
}

/// A regimen of bare item ids.
pub fn items(ids: &[&str]) -> Regimen {
    let items: Vec<Value> = ids.iter().map(|id| json!({"id": id})).collect();
    Regimen::from_json(&json!({"items": items}).to_string()).expect("valid regimen")
}

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
