//! Clinical cases for the bundled knowledge base, read from `tests/clinical/cases.json`:
//! regimens that must raise given findings, and regimens that must raise nothing. Each case
//! names the source its expectation rests on.
//!
//! A case has `name`, `regimen` (a regimen as `medcheck check` reads it), `expect` (findings as
//! `{kind, rule, severity, items}`, items sorted as the report gives them), `source` and
//! optionally `"exact": false`. Cases are exact by default: the case's clinical findings (all but
//! the dose-dependent `opioid-mme` and `info` ones) must be exactly `expect`, so a rule that
//! over-fires fails a case just as a missing rule does. When a case expects a rule finding, that
//! finding must cite the source id that `source` starts with.

use medcheck::{KnowledgeBase, Regimen};
use serde_json::Value;

const CASES: &str = include_str!("clinical/cases.json");

/// A finding as the cases compare it.
#[derive(Debug, PartialEq)]
struct Found {
    kind: String,
    rule: String,
    severity: String,
    items: Vec<String>,
    sources: Vec<String>,
}

fn strings(v: &Value, field: Option<&str>) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| field.map_or(x, |f| &x[f]).as_str().map(String::from))
        .collect()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// The clinical findings the bundled knowledge base gives for a regimen.
fn findings(regimen: &Value) -> Vec<Found> {
    let regimen = Regimen::from_json(&regimen.to_string()).expect("case regimen is valid");
    let report = KnowledgeBase::bundled()
        .check(&regimen)
        .expect("case regimen checks");
    let json: Value = serde_json::from_str(&report.to_json()).expect("report is JSON");
    json["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter(|f| f["kind"] != "opioid-mme" && f["severity"] != "info")
        .map(|f| Found {
            kind: text(&f["kind"]),
            rule: text(&f["rule"]),
            severity: text(&f["severity"]),
            items: strings(&f["items"], None),
            sources: strings(&f["sources"], Some("id")),
        })
        .collect()
}

/// Runs one case; returns every way it failed.
fn check(case: &Value) -> Vec<String> {
    let got = findings(&case["regimen"]);
    let want = case["expect"].as_array().expect("expect array");
    let mut problems = Vec::new();
    let mut matched = vec![false; got.len()];
    for w in want {
        let hit = got.iter().position(|g| {
            g.kind == w["kind"]
                && g.rule == w["rule"]
                && g.severity == w["severity"]
                && g.items == strings(&w["items"], None)
        });
        match hit {
            Some(i) => matched[i] = true,
            None => problems.push(format!("missing {w}")),
        }
    }
    let source = text(&case["source"]);
    let source_id = source.split_whitespace().next().unwrap_or_default();
    if let Some(first) = want.first() {
        let rule = text(&first["rule"]);
        if let Some(g) = got
            .iter()
            .find(|g| g.rule == rule && !rule.starts_with("medcheck:"))
        {
            if !g.sources.iter().any(|s| s == source_id) {
                problems.push(format!(
                    "{rule} does not cite {source_id} ({:?})",
                    g.sources
                ));
            }
        }
    }
    if case["exact"] != false {
        for (g, m) in got.iter().zip(&matched) {
            if !m {
                problems.push(format!(
                    "unexpected {} {} ({}) on {:?}",
                    g.kind, g.rule, g.severity, g.items
                ));
            }
        }
    }
    problems
}

fn cases() -> Vec<Value> {
    let v: Value = serde_json::from_str(CASES).expect("cases.json is valid JSON");
    v.as_array().expect("cases.json is an array").clone()
}

#[test]
fn clinical_cases() {
    let cases = cases();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let problems = check(case);
            (!problems.is_empty())
                .then(|| format!("{}:\n    {}", case["name"], problems.join("\n    ")))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn cases_are_well_formed_and_cover_both_kinds() {
    let cases = cases();
    let quiet = cases
        .iter()
        .filter(|c| c["expect"] == serde_json::json!([]))
        .count();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    assert!(quiet >= 20, "{quiet} non-interacting cases");
    let mut names: Vec<String> = cases.iter().map(|c| text(&c["name"])).collect();
    assert!(names.iter().all(|n| !n.is_empty()), "every case has a name");
    assert!(
        cases.iter().all(|c| !text(&c["source"]).is_empty()),
        "every case names its source"
    );
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "case names must be unique");
}

#[test]
fn the_checker_flags_a_wrong_expectation() {
    // The harness itself must fail when the knowledge base and a case disagree.
    let case = serde_json::json!({
        "name": "deliberately wrong",
        "regimen": {"items": [{"id": "warfarin"}, {"id": "ibuprofen"}]},
        "expect": [{"kind": "interaction", "rule": "anticoagulant-nsaid", "severity": "minor", "items": ["ibuprofen", "warfarin"]}],
        "source": "fda-label-warfarin"
    });
    let problems = check(&case);
    assert_eq!(problems.len(), 2, "{problems:?}"); // the minor one is missing, the major one unexpected
}

#[test]
fn every_issue_example_is_found_once_at_its_sources_severity() {
    let examples = [
        ("warfarin", "ibuprofen", "major"),
        ("tramadol", "sertraline", "major"),
        ("oxycodone", "alprazolam", "major"),
        ("tizanidine", "ciprofloxacin", "contraindicated"),
        ("fentanyl-transdermal-25", "heat-therapy", "major"),
        ("ginkgo", "apixaban", "moderate"),
        ("st-johns-wort", "oxycodone", "moderate"),
        ("spinal-manipulation", "warfarin", "moderate"),
    ];
    for (a, b, severity) in examples {
        let regimen = serde_json::json!({"items": [{"id": a}, {"id": b}]});
        let got = findings(&regimen);
        let interactions: Vec<&Found> = got.iter().filter(|g| g.kind == "interaction").collect();
        assert_eq!(interactions.len(), 1, "{a} + {b}: {got:?}");
        assert_eq!(interactions[0].severity, severity, "{a} + {b}");
    }
}
