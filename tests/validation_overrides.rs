//! Local overrides: every change shows in the report, and an override file is validated like the
//! data it changes, with every problem located in the override file.

use medcheck::overrides::{OverrideProblem, Overrides};
use medcheck::{KnowledgeBase, OverrideError, Regimen, Severity};
use serde_json::{Value, json};

const FILE: &str = "local-overrides.json";

fn apply(overrides: Value) -> Result<KnowledgeBase, OverrideError> {
    Overrides::from_json(FILE, &overrides.to_string())?.apply(KnowledgeBase::bundled())
}

fn problems(overrides: Value) -> Vec<OverrideProblem> {
    match apply(overrides) {
        Err(OverrideError::Invalid(p)) => p,
        Err(e) => panic!("expected located problems, got {e}"),
        Ok(_) => panic!("invalid overrides were applied"),
    }
}

/// The one problem, with this code, in the override file at this entry and field.
fn only(problems: &[OverrideProblem], code: &str, entry: &str, field: &str) {
    assert_eq!(problems.len(), 1, "{problems:#?}");
    let p = &problems[0];
    let at = p.location();
    assert_eq!(
        (
            p.code(),
            at.file.as_str(),
            at.entry.as_str(),
            at.field.as_str()
        ),
        (code, FILE, entry, field),
        "{p}"
    );
    let shown = p.to_string();
    assert!(shown.contains(FILE) && shown.contains(field), "{shown}");
}

fn report(kb: &KnowledgeBase, regimen: Value) -> Value {
    let r = Regimen::from_json(&regimen.to_string()).unwrap();
    serde_json::from_str(&kb.check(&r).unwrap().to_json()).unwrap()
}

fn finding<'v>(report: &'v Value, rule: &str) -> &'v Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no finding of {rule}: {}", report["findings"]))
}

fn warfarin_ibuprofen() -> Value {
    json!({"items": [{"id": "warfarin"}, {"id": "ibuprofen"}]})
}

fn local_source() -> Value {
    json!({"id": "local-pt-committee-2026", "title": "Example Clinic P&T Committee minutes, March 2026", "kind": "guideline"})
}

#[test]
fn a_severity_change_is_applied_and_shown() {
    let kb = apply(json!({
        "by": "P&T Committee",
        "changes": [{"rule": "anticoagulant-nsaid", "severity": "moderate", "reason": "Pharmacist reviews every case"}]
    }))
    .unwrap();
    assert!(kb.has_overrides());
    let v = report(&kb, warfarin_ibuprofen());
    let f = finding(&v, "anticoagulant-nsaid");
    assert_eq!(f["severity"], "moderate");
    assert_eq!(
        f["overridden"],
        json!({"from": "major", "to": "moderate", "by": "P&T Committee"})
    );
    assert_eq!(v["counts"]["major"], 0);
    // The text report says so too.
    let r = Regimen::from_json(&warfarin_ibuprofen().to_string()).unwrap();
    let text = kb.check(&r).unwrap().to_text();
    assert!(
        text.contains("Overridden: major -> moderate by P&T Committee"),
        "{text}"
    );
    // The base knowledge base is untouched.
    let base = report(KnowledgeBase::bundled(), warfarin_ibuprofen());
    assert_eq!(finding(&base, "anticoagulant-nsaid")["severity"], "major");
    assert!(
        finding(&base, "anticoagulant-nsaid")
            .get("overridden")
            .is_none()
    );
}

#[test]
fn a_disabled_rule_stays_visible_at_info() {
    let kb = apply(json!({
        "changes": [{"rule": "anticoagulant-nsaid", "disable": true, "reason": "Alert fatigue", "by": "Dr. A. Smith"}]
    }))
    .unwrap();
    let v = report(&kb, warfarin_ibuprofen());
    let f = finding(&v, "anticoagulant-nsaid");
    assert_eq!(f["severity"], "info");
    assert_eq!(
        f["overridden"],
        json!({"from": "major", "to": "info", "by": "Dr. A. Smith"})
    );
    // Ordered with the other info findings, after everything more severe.
    let last = v["findings"].as_array().unwrap().last().unwrap();
    assert_eq!(last["severity"], "info");
    assert!(v.get("max_severity") == Some(&json!("info")), "{v}");
}

#[test]
fn dose_limits_and_mme_thresholds_can_be_changed() {
    let limit = KnowledgeBase::bundled().model().dose_limits[0].clone();
    let substance = &KnowledgeBase::bundled().model().concept(limit.substance).id;
    let to = if limit.severity == Severity::Minor {
        "moderate"
    } else {
        "minor"
    };
    let kb = apply(json!({
        "by": "Pharmacy",
        "changes": [{"rule": &*limit.id, "severity": to, "reason": "Local protocol"}]
    }))
    .unwrap();
    let v = report(
        &kb,
        json!({"items": [{"id": &**substance, "dose": {"value": 90, "unit": "g"}, "times_per_day": 4, "route": limit.route.as_str()}]}),
    );
    let f = finding(&v, &limit.id);
    assert_eq!(f["severity"], to);
    assert_eq!(f["overridden"]["from"], limit.severity.as_str());
}

#[test]
fn local_products_and_rules_take_part_like_bundled_ones() {
    let kb = apply(json!({
        "by": "Example Clinic formulary",
        "sources": [local_source()],
        "products": [{
            "id": "local-ibuprofen-famotidine-800-26-6",
            "name": "Ibuprofen 800 mg / famotidine 26.6 mg tablet",
            "unit": "tablet", "route": "oral",
            "brands": ["Duexis"],
            "ingredients": [
                {"substance": "ibuprofen", "strength": {"value": 800, "unit": "mg"}}
            ]
        }],
        "rules": [{
            "id": "local-naproxen-ibuprofen",
            "kind": "interaction",
            "between": ["naproxen", "local-ibuprofen-famotidine-800-26-6"],
            "severity": "minor", "evidence": "theoretical",
            "summary": "Two NSAID products", "management": "Use one.",
            "sources": ["local-pt-committee-2026"]
        }]
    }))
    .unwrap();
    // The local product is an NSAID through its ingredient: the bundled class rule fires.
    let v = report(
        &kb,
        json!({"items": [{"id": "warfarin"}, {"id": "Duexis", "dose": {"value": 1, "unit": "tablet"}, "times_per_day": 3}]}),
    );
    let f = finding(&v, "anticoagulant-nsaid");
    assert_eq!(
        f["items"],
        json!(["local-ibuprofen-famotidine-800-26-6", "warfarin"])
    );
    assert!(f.get("overridden").is_none());
    // A finding of a local rule says who added it.
    let v = report(
        &kb,
        json!({"items": [{"id": "naproxen"}, {"id": "local-ibuprofen-famotidine-800-26-6"}]}),
    );
    let f = finding(&v, "local-naproxen-ibuprofen");
    assert_eq!(
        f["overridden"],
        json!({"from": "minor", "to": "minor", "by": "Example Clinic formulary"})
    );
}

#[test]
fn overrides_layer_over_a_knowledge_base_from_a_directory() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("overrides-over-dir");
    let _ = std::fs::remove_dir_all(&dir);
    KnowledgeBase::bundled()
        .to_source()
        .write_dir(&dir)
        .unwrap();
    let kb = KnowledgeBase::from_dir(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let o = Overrides::from_json(
        FILE,
        r#"{"by": "x", "changes": [{"rule": "opioid-benzodiazepine", "severity": "contraindicated", "reason": "Local policy"}]}"#,
    )
    .unwrap();
    let kb = o.apply(&kb).unwrap();
    let v = report(
        &kb,
        json!({"items": [{"id": "oxycodone"}, {"id": "Xanax"}]}),
    );
    assert_eq!(
        finding(&v, "opioid-benzodiazepine")["overridden"],
        json!({"from": "major", "to": "contraindicated", "by": "x"})
    );
}

fn change(c: Value) -> Value {
    json!({"by": "P&T", "changes": [c]})
}

#[test]
fn a_change_to_something_that_does_not_exist_or_cannot_change() {
    let p = problems(change(
        json!({"rule": "no-such-rule", "severity": "minor", "reason": "r"}),
    ));
    only(&p, "dangling-reference", "no-such-rule", "changes[0].rule");
    let p = problems(change(
        json!({"rule": "warfarin", "severity": "minor", "reason": "r"}),
    ));
    only(&p, "wrong-kind", "warfarin", "changes[0].rule");
    let p = problems(change(
        json!({"rule": "medcheck:unknown-item", "disable": true, "reason": "r"}),
    ));
    only(
        &p,
        "not-overridable",
        "medcheck:unknown-item",
        "changes[0].rule",
    );
    let p = problems(json!({
        "by": "P&T",
        "sources": [local_source()],
        "changes": [{"rule": "local-rule", "severity": "minor", "reason": "r"}],
        "rules": [{"id": "local-rule", "kind": "interaction", "between": ["naproxen", "warfarin"],
                   "severity": "major", "evidence": "theoretical", "summary": "s", "management": "m",
                   "sources": ["local-pt-committee-2026"]}]
    }));
    only(&p, "not-overridable", "local-rule", "changes[0].rule");
}

#[test]
fn a_change_with_a_bad_or_missing_value() {
    let p = problems(change(
        json!({"rule": "anticoagulant-nsaid", "severity": "severe", "reason": "r"}),
    ));
    only(
        &p,
        "unknown-value",
        "anticoagulant-nsaid",
        "changes[0].severity",
    );
    let p = problems(change(
        json!({"rule": "anticoagulant-nsaid", "severity": "info", "reason": "r"}),
    ));
    only(
        &p,
        "unknown-value",
        "anticoagulant-nsaid",
        "changes[0].severity",
    );
    let p = problems(change(
        json!({"rule": "anticoagulant-nsaid", "severity": "major", "reason": "r"}),
    ));
    only(
        &p,
        "no-change",
        "anticoagulant-nsaid",
        "changes[0].severity",
    );
    let p = problems(change(
        json!({"rule": "anticoagulant-nsaid", "reason": "r"}),
    ));
    only(
        &p,
        "missing-field",
        "anticoagulant-nsaid",
        "changes[0].severity",
    );
    let p = problems(change(
        json!({"rule": "anticoagulant-nsaid", "severity": "minor", "disable": true, "reason": "r"}),
    ));
    only(
        &p,
        "field-not-applicable",
        "anticoagulant-nsaid",
        "changes[0].disable",
    );
    let p = problems(change(
        json!({"rule": "anticoagulant-nsaid", "disable": false, "reason": "r"}),
    ));
    only(
        &p,
        "bad-number",
        "anticoagulant-nsaid",
        "changes[0].disable",
    );
    let p = problems(change(
        json!({"rule": "anticoagulant-nsaid", "severity": "minor", "reason": "  "}),
    ));
    only(&p, "empty", "anticoagulant-nsaid", "changes[0].reason");
    // Nobody responsible.
    let p = problems(
        json!({"changes": [{"rule": "anticoagulant-nsaid", "severity": "minor", "reason": "r"}]}),
    );
    only(&p, "missing-field", "anticoagulant-nsaid", "changes[0].by");
    // Two changes to one rule.
    let p = problems(json!({"by": "x", "changes": [
        {"rule": "anticoagulant-nsaid", "severity": "minor", "reason": "r"},
        {"rule": "anticoagulant-nsaid", "disable": true, "reason": "r"}
    ]}));
    only(
        &p,
        "repeated-change",
        "anticoagulant-nsaid",
        "changes[1].rule",
    );
}

fn local_rule(fields: Value) -> Value {
    let mut rule = json!({
        "id": "local-rule", "kind": "interaction", "between": ["naproxen", "warfarin"],
        "severity": "major", "evidence": "theoretical", "summary": "s", "management": "m",
        "sources": ["local-pt-committee-2026"]
    });
    for (k, v) in fields.as_object().unwrap() {
        rule[k] = v.clone();
    }
    json!({"by": "P&T", "sources": [local_source()], "rules": [rule]})
}

#[test]
fn local_rules_are_validated_like_the_data() {
    // Naproxen with warfarin is already covered by the bundled anticoagulant-nsaid class rule,
    // so the plain local rule is valid and more specific.
    apply(local_rule(json!({}))).expect("a valid local rule");
    let p = problems(local_rule(json!({"between": ["naproxen", "no-such-drug"]})));
    only(
        &p,
        "dangling-reference",
        "local-rule",
        "rules[0].between[1]",
    );
    let p = problems(local_rule(json!({"between": ["naproxen", "naproxen"]})));
    only(&p, "self-interaction", "local-rule", "rules[0].between");
    let p = problems(local_rule(json!({"between": ["anticoagulant", "nsaid"]})));
    only(&p, "duplicate-rule", "local-rule", "rules[0].id");
    let p = problems(local_rule(json!({"sources": []})));
    only(&p, "no-source", "local-rule", "rules[0].sources");
    let p = problems(local_rule(json!({"sources": ["made-up-source"]})));
    only(
        &p,
        "dangling-reference",
        "local-rule",
        "rules[0].sources[0]",
    );
    let p = problems(local_rule(json!({"evidence": "anecdotal"})));
    only(&p, "unknown-value", "local-rule", "rules[0].evidence");
    let p = problems(local_rule(json!({"id": "warfarin"})));
    only(&p, "duplicate-id", "warfarin", "rules[0].id");
    let p = problems(local_rule(
        json!({"between": [{"id": "hydrocodone-acetaminophen-5-325", "route": "transdermal"}, "warfarin"]}),
    ));
    only(&p, "never-fires", "local-rule", "rules[0].between[0].route");
}

#[test]
fn local_products_are_validated_like_the_data() {
    let product = |fields: Value| {
        let mut p = json!({
            "id": "local-product", "name": "Local product", "unit": "tablet", "route": "oral",
            "ingredients": [{"substance": "ibuprofen", "strength": {"value": 200, "unit": "mg"}}]
        });
        for (k, v) in fields.as_object().unwrap() {
            p[k] = v.clone();
        }
        json!({"by": "Formulary", "products": [p]})
    };
    apply(product(json!({}))).expect("a valid local product");
    let p = problems(product(
        json!({"ingredients": [{"substance": "unobtainium", "strength": {"value": 1, "unit": "mg"}}]}),
    ));
    only(
        &p,
        "dangling-reference",
        "local-product",
        "products[0].ingredients[0].substance",
    );
    let p = problems(product(
        json!({"ingredients": [{"substance": "ibuprofen", "strength": {"value": 1, "unit": "mgs"}}]}),
    ));
    only(
        &p,
        "unknown-value",
        "local-product",
        "products[0].ingredients[0].strength.unit",
    );
    let p = problems(product(json!({"brands": ["Advil"]})));
    assert!(
        p.iter().any(|p| p.code() == "name-clash"
            && p.location().file == FILE
            && p.location().field == "products[0].brands[0]"),
        "{p:#?}"
    );
    // Adding products needs someone responsible.
    let mut no_by = product(json!({}));
    no_by.as_object_mut().unwrap().remove("by");
    only(&problems(no_by), "missing-field", "", "by");
}

#[test]
fn a_malformed_override_file_is_refused_with_line_and_column() {
    let e = Overrides::from_json(FILE, "{\n  \"changes\": [\n    {\"rule\": \"x\", \"severty\": \"minor\", \"reason\": \"r\"}\n  ]\n}").unwrap_err();
    match e {
        OverrideError::Json {
            file,
            line,
            message,
            ..
        } => {
            assert_eq!(file, FILE);
            assert_eq!(line, 3);
            assert!(
                message.contains("changes[0]") && message.contains("severty"),
                "{message}"
            );
        }
        other => panic!("{other}"),
    }
    let e = Overrides::from_json(FILE, "[]").unwrap_err();
    assert!(matches!(e, OverrideError::Json { .. }), "{e}");
    let e = Overrides::from_file("/nonexistent/overrides.json").unwrap_err();
    assert!(matches!(e, OverrideError::Io { .. }), "{e}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let p = problems(json!({
        "changes": [
            {"rule": "no-such-rule", "severity": "minor", "reason": "r", "by": "x"},
            {"rule": "anticoagulant-nsaid", "severity": "severe", "reason": "r", "by": "x"}
        ],
        "by": "x",
        "rules": [{"id": "local-rule", "kind": "interaction", "between": ["naproxen", "nothing"],
                   "severity": "major", "evidence": "theoretical", "summary": "s", "management": "m",
                   "sources": ["nowhere"]}]
    }));
    assert_eq!(p.len(), 4, "{p:#?}");
    assert!(p.iter().all(|p| p.location().file == FILE), "{p:#?}");
}

#[test]
fn content_after_the_override_object_is_named_where_it_starts() {
    let text = r#"{"by": "P&T", "changes": []} xx"#;
    match Overrides::from_json("local.json", text) {
        Err(OverrideError::Json {
            line,
            column,
            message,
            ..
        }) => {
            assert_eq!((line, column), (1, 30), "{message}"); // the `x`
            assert!(message.contains("trailing characters"), "{message}");
        }
        other => panic!("expected a JSON error, got {other:?}"),
    }
}
