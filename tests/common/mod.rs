//! A tiny knowledge base written inline, so the core tests do not depend on the clinical content.
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
                f.rule.to_string(),
                f.items.iter().map(|s| s.to_string()).collect(),
            )
        })
        .collect()
}

/// A regimen of bare item ids.
pub fn items(ids: &[&str]) -> Regimen {
    let items: Vec<Value> = ids.iter().map(|id| json!({"id": id})).collect();
    Regimen::from_json(&json!({"items": items}).to_string()).expect("valid regimen")
}
