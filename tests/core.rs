//! Core behaviour on a small inline knowledge base: validation errors, class matching with
//! nesting, most-specific-rule precedence, conditions, allergies, unknown items, determinism.

mod common;

use common::{check_json, fired, fixture, items, kb, load};
use medcheck::model::ValidationError;
use medcheck::{FindingKind, LoadError, Regimen, Severity};
use serde_json::{Value, json};

fn validation_errors(files: &[(&str, Value)]) -> Vec<ValidationError> {
    match load(files) {
        Err(LoadError::Invalid(errors)) => errors,
        Err(other) => panic!("expected validation errors, got {other}"),
        Ok(_) => panic!("expected validation errors, the data loaded"),
    }
}

/// Applies `edit` to the fixture file `name`.
fn corrupt(name: &str, edit: impl FnOnce(&mut Value)) -> Vec<(&'static str, Value)> {
    let mut files = fixture();
    let file = files
        .iter_mut()
        .find(|(n, _)| *n == name)
        .expect("fixture file");
    edit(&mut file.1);
    files
}

fn only(errors: &[ValidationError], code: &str) -> ValidationError {
    let matching: Vec<&ValidationError> = errors.iter().filter(|e| e.code() == code).collect();
    assert_eq!(matching.len(), 1, "one `{code}` among {errors:#?}");
    matching[0].clone()
}

#[test]
fn fixture_is_valid() {
    let kb = kb();
    assert_eq!(kb.stats().rules, 8);
}

#[test]
fn malformed_json_names_file_line_and_column() {
    let mut data = medcheck::source::SourceData::default();
    let err = data
        .parse_file("rules.json", b"[\n  {\"id\": \"x\",\n  oops\n]")
        .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("rules.json:3:"), "{text}");
    let err = data
        .parse_file(
            "rules.json",
            br#"[{"id": "x", "kind": "interaction", "colour": 1}]"#,
        )
        .unwrap_err();
    assert!(err.to_string().contains("unknown field `colour`"), "{err}");
}

#[test]
fn duplicate_id_across_files() {
    let files = corrupt("therapies.json", |v| {
        v.as_array_mut()
            .unwrap()
            .push(json!({"id": "warfarin", "name": "Warfarin therapy"}));
    });
    let e = only(&validation_errors(&files), "duplicate-id");
    assert_eq!(e.location().file, "therapies.json");
    assert_eq!(e.location().entry, "warfarin");
    assert!(
        e.to_string().contains("first defined in substances.json"),
        "{e}"
    );
}

#[test]
fn dangling_reference_names_field() {
    let files = corrupt("rules.json", |v| v[0]["between"][1] = json!("nsaids"));
    let e = only(&validation_errors(&files), "dangling-reference");
    let at = e.location();
    assert_eq!(
        (at.file.as_str(), at.entry.as_str(), at.field.as_str()),
        ("rules.json", "anticoag-nsaid", "between[1]")
    );
}

#[test]
fn class_cycle() {
    let files = corrupt("classes.json", |v| v[0]["parents"] = json!(["cox2"]));
    let e = only(&validation_errors(&files), "cycle");
    assert!(
        e.to_string()
            .contains("cox2 -> drug-class -> nsaid -> cox2"),
        "{e}"
    );
}

#[test]
fn self_interaction() {
    let files = corrupt("rules.json", |v| {
        v[0]["between"] = json!(["nsaid", "nsaid"])
    });
    only(&validation_errors(&files), "self-interaction");
}

#[test]
fn unknown_severity_and_unit() {
    let files = corrupt("rules.json", |v| v[1]["severity"] = json!("severe"));
    let e = only(&validation_errors(&files), "unknown-value");
    assert_eq!(e.location().field, "severity");
    let files = corrupt("products.json", |v| {
        v[0]["ingredients"][0]["strength"]["unit"] = json!("mgs")
    });
    let e = only(&validation_errors(&files), "unknown-value");
    assert_eq!(e.location().field, "ingredients[0].strength.unit");
}

#[test]
fn rule_without_source_and_undefined_source() {
    let files = corrupt("rules.json", |v| v[2]["sources"] = json!([]));
    assert_eq!(
        only(&validation_errors(&files), "no-source")
            .location()
            .entry,
        "opioid-benzo"
    );
    let files = corrupt("rules.json", |v| v[2]["sources"] = json!(["s9"]));
    assert_eq!(
        only(&validation_errors(&files), "dangling-reference")
            .location()
            .field,
        "sources[0]"
    );
}

#[test]
fn two_rules_on_the_same_pair() {
    let files = corrupt("rules.json", |v| {
        let mut copy = v[2].clone();
        copy["id"] = json!("benzo-opioid-again");
        copy["between"] = json!(["benzo", "opioid"]);
        v.as_array_mut().unwrap().push(copy);
    });
    let e = only(&validation_errors(&files), "duplicate-rule");
    assert!(e.to_string().contains("opioid-benzo"), "{e}");
}

#[test]
fn every_problem_is_listed_not_just_the_first() {
    let mut files = corrupt("rules.json", |v| {
        v[0]["severity"] = json!("bad");
        v[1]["evidence"] = json!("anecdotal");
        v[2]["between"][0] = json!("nobody");
    });
    files.retain(|(n, _)| *n != "monitoring.json");
    let errors = validation_errors(&files);
    let codes: Vec<&str> = errors.iter().map(|e| e.code()).collect();
    assert!(
        codes.contains(&"unknown-value") && codes.contains(&"dangling-reference"),
        "{codes:?}"
    );
    // Two unknown values, one dangling endpoint, and the monitoring ids the rules cite.
    assert!(errors.len() >= 5, "{errors:#?}");
}

#[test]
fn class_rule_reaches_nested_members() {
    let kb = kb();
    for nsaid in ["ibuprofen", "etoricoxib"] {
        let regimen = items(&[nsaid, "warfarin"]);
        let report = kb.check(&regimen).unwrap();
        let mut expected = vec![nsaid.to_string(), "warfarin".to_string()];
        expected.sort();
        assert_eq!(
            fired(&report),
            [("anticoag-nsaid".to_string(), expected)],
            "{nsaid}"
        );
    }
}

#[test]
fn most_specific_rule_wins_once() {
    let kb = kb();
    let regimen = items(&["warfarin", "celecoxib"]);
    let report = kb.check(&regimen).unwrap();
    assert_eq!(
        fired(&report),
        [(
            "warfarin-celecoxib".to_string(),
            vec!["celecoxib".to_string(), "warfarin".to_string()]
        )]
    );
    assert_eq!(report.findings[0].severity, Severity::Moderate);
}

#[test]
fn several_class_paths_give_one_finding_per_rule() {
    let kb = kb();
    // Tramadol is an opioid and serotonergic; alprazolam is reached through `opioid` only.
    let regimen = items(&["tramadol", "alprazolam", "sertraline"]);
    let report = kb.check(&regimen).unwrap();
    let rules: Vec<String> = fired(&report).into_iter().map(|f| f.0).collect();
    assert_eq!(rules, ["opioid-benzo", "tramadol-sero"]);
}

#[test]
fn products_interact_through_their_ingredients() {
    let kb = kb();
    let regimen = items(&["hydrocodone-apap-5-325", "Xanax"]);
    let report = kb.check(&regimen).unwrap();
    assert_eq!(
        fired(&report),
        [(
            "opioid-benzo".to_string(),
            vec![
                "alprazolam".to_string(),
                "hydrocodone-apap-5-325".to_string()
            ]
        )]
    );
}

#[test]
fn nested_conditions_and_therapies() {
    let kb = kb();
    let report = check_json(
        &kb,
        json!({
            "patient": {"conditions": ["Thrombocytopenia", "ICD"]},
            "items": [{"id": "Advil"}, {"id": "tens"}, {"id": "massage"}]
        }),
    );
    let findings = report["findings"].as_array().unwrap();
    let summary: Vec<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["condition"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("electro-pacemaker".to_string(), "pacemaker".to_string()),
            ("nsaid-bleeding".to_string(), "thrombocytopenia".to_string())
        ]
    );
    assert!(findings.iter().all(|f| f["kind"] == "condition"));
}

#[test]
fn rules_that_require_a_condition() {
    let kb = kb();
    let regimen = |age: u32| json!({"patient": {"age_years": age}, "items": [{"id": "sertraline"}, {"id": "tramadol"}, {"id": "st-johns-wort"}]});
    let rules = |report: Value| -> Vec<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(!rules(check_json(&kb, regimen(64))).contains(&"sero-load".to_string()));
    assert!(rules(check_json(&kb, regimen(65))).contains(&"sero-load".to_string()));
}

#[test]
fn duplication_and_duplicate_items() {
    let kb = kb();
    let regimen = items(&["ibuprofen", "celecoxib", "Advil"]);
    let report = kb.check(&regimen).unwrap();
    let kinds: Vec<(FindingKind, &str)> =
        report.findings.iter().map(|f| (f.kind, f.rule())).collect();
    assert!(
        kinds.contains(&(FindingKind::DuplicateTherapy, "nsaid-dup")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(FindingKind::DuplicateTherapy, "medcheck:duplicate-item")),
        "{kinds:?}"
    );
}

#[test]
fn documented_allergy_to_a_class() {
    let kb = kb();
    let report = check_json(
        &kb,
        json!({"patient": {"allergies": ["nsaid"]}, "items": [{"id": "celecoxib"}]}),
    );
    let f = &report["findings"][0];
    assert_eq!(
        (
            f["kind"].as_str(),
            f["severity"].as_str(),
            f["allergy"].as_str()
        ),
        (Some("allergy"), Some("contraindicated"), Some("nsaid"))
    );
}

#[test]
fn unknown_items_are_findings_never_clean() {
    let kb = kb();
    let regimen = items(&["acetaminophen", "unobtainium", "nsaid"]);
    let report = kb.check(&regimen).unwrap();
    assert!(!report.is_clean());
    let unknown: Vec<(&str, Severity)> = report
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::UnknownItem)
        .map(|f| (f.items()[0], f.severity))
        .collect();
    assert_eq!(
        unknown,
        [("nsaid", Severity::Major), ("unobtainium", Severity::Major)]
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["status"], "findings");
    assert_eq!(
        json["resolved"][1],
        json!({"role": "item", "input": "unobtainium"})
    );
    assert_eq!(json["resolved"][2]["kind"], "class");
    assert!(json["resolved"][2].get("id").is_none());
    // Unknown conditions and allergies are findings too.
    let report = check_json(
        &kb,
        json!({"patient": {"conditions": ["gout"], "allergies": ["penicillin"]}, "items": [{"id": "acetaminophen"}]}),
    );
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["medcheck:unknown-allergy", "medcheck:unknown-condition"]
    );
    // An allergy that was not checked is as serious as an item that was not: major.
    assert_eq!(report["findings"][0]["severity"], "major");
    assert_eq!(report["findings"][1]["severity"], "moderate");
}

#[test]
fn names_resolve_by_synonym_brand_case_and_rxnorm() {
    let kb = kb();
    let regimen = items(&[
        "COUMADIN",
        "rxnorm:11289",
        "Paracetamol",
        "st johns wort",
        "St. John's Wort",
    ]);
    let report = kb.check(&regimen).unwrap();
    let ids: Vec<Option<&str>> = report.resolved.iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        [
            Some("warfarin"),
            Some("warfarin"),
            Some("acetaminophen"),
            Some("st-johns-wort"),
            Some("st-johns-wort")
        ]
    );
}

#[test]
fn report_does_not_depend_on_item_order() {
    let kb = kb();
    let ids = [
        "tramadol",
        "Xanax",
        "warfarin",
        "Advil",
        "celecoxib",
        "sertraline",
        "zzz-unknown",
        "tens",
    ];
    let base = {
        let regimen = items(&ids);
        let r = kb.check(&regimen).unwrap();
        let mut v = serde_json::to_value(&r).unwrap();
        v.as_object_mut().unwrap().remove("resolved");
        v.to_string()
    };
    let mut rotated = ids.to_vec();
    for _ in 0..ids.len() {
        rotated.rotate_left(3);
        rotated.swap(0, 5);
        let regimen = items(&rotated);
        let r = kb.check(&regimen).unwrap();
        let mut v = serde_json::to_value(&r).unwrap();
        v.as_object_mut().unwrap().remove("resolved");
        assert_eq!(v.to_string(), base, "order {rotated:?}");
    }
}

#[test]
fn findings_are_most_severe_first_and_monitoring_is_merged() {
    let kb = kb();
    let report = check_json(
        &kb,
        json!({"items": [{"id": "warfarin"}, {"id": "ibuprofen"}, {"id": "celecoxib"}, {"id": "oxycodone"}, {"id": "alprazolam"}]}),
    );
    let severities: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    let mut sorted = severities.clone();
    sorted.sort_by_key(|s| std::cmp::Reverse(Severity::parse(s).unwrap()));
    assert_eq!(severities, sorted);
    let monitoring = report["monitoring"].as_array().unwrap();
    let ids: Vec<&str> = monitoring
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["m-inr", "m-resp"]);
    // INR is asked for by both warfarin findings, and named once with both.
    assert_eq!(
        monitoring[0]["findings"],
        json!([
            "anticoag-nsaid/ibuprofen+warfarin",
            "warfarin-celecoxib/celecoxib+warfarin"
        ])
    );
}

#[test]
fn regimen_errors_name_item_and_field() {
    let e = Regimen::from_json(r#"{"items": [{"id": "warfarin"}, {"id": "ibuprofen", "dose": {"value": 0, "unit": "mg"}}]}"#).unwrap_err();
    assert!(
        e.to_string().contains("items[1] (ibuprofen).dose.value"),
        "{e}"
    );
    let e = Regimen::from_json(r#"{"items": [{"id": "warfarin", "colour": "red"}]}"#).unwrap_err();
    assert!(
        e.to_string().contains("unknown field `colour`") && e.to_string().contains("items[0]"),
        "{e}"
    );
}

#[test]
fn a_dose_unit_that_cannot_apply_is_an_error_not_a_report() {
    let kb = kb();
    let regimen = Regimen::from_json(
        r#"{"items": [{"id": "warfarin", "dose": {"value": 1, "unit": "tablet"}}]}"#,
    )
    .unwrap();
    let e = kb.check(&regimen).unwrap_err();
    assert!(
        e.to_string().starts_with("items[0] (warfarin).dose.unit"),
        "{e}"
    );
    let regimen =
        Regimen::from_json(r#"{"items": [{"id": "massage", "dose": {"value": 1, "unit": "mg"}}]}"#)
            .unwrap();
    assert!(kb.check(&regimen).is_err());
}

#[test]
fn class_wide_cross_sensitivity_is_not_a_cycle() {
    let files = corrupt("rules.json", |v| {
        v.as_array_mut().unwrap().push(json!({
            "id": "opioid-cross", "kind": "cross-sensitivity", "allergen": "opioid", "subject": "opioid",
            "severity": "moderate", "evidence": "possible", "summary": "Cross-reactivity",
            "management": "Choose another class", "sources": ["s1"]
        }));
    });
    let kb = load(&files).expect("a class may cross-react with itself");
    let report = check_json(
        &kb,
        json!({"patient": {"allergies": ["oxycodone"]}, "items": [{"id": "hydrocodone"}, {"id": "oxycodone"}]}),
    );
    let found: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["items"][0].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            ("medcheck:documented-allergy", "oxycodone"),
            ("opioid-cross", "hydrocodone")
        ]
    );
    // A class that really contains itself is still a cycle.
    let files = corrupt("classes.json", |v| v[1]["parents"] = json!(["nsaid"]));
    only(&validation_errors(&files), "cycle");
}

#[test]
fn a_route_given_for_a_therapy_is_refused() {
    let kb = kb();
    let regimen = Regimen::from_json(r#"{"items": [{"id": "massage", "route": "oral"}]}"#).unwrap();
    let e = kb.check(&regimen).unwrap_err();
    assert!(e.to_string().starts_with("items[0] (massage).route"), "{e}");
    let regimen =
        Regimen::from_json(r#"{"items": [{"id": "massage", "route": "procedure"}]}"#).unwrap();
    assert!(kb.check(&regimen).is_ok());
}

#[test]
fn product_strength_per_several_units() {
    let files = corrupt("products.json", |v| {
        v[0]["ingredients"][1]["per"] = json!(0)
    });
    let e = only(&validation_errors(&files), "bad-number");
    assert_eq!(e.location().field, "ingredients[1].per");
    let files = corrupt("products.json", |v| {
        v[0]["unit"] = json!("mL");
        v[0]["ingredients"][1]["per"] = json!(15);
    });
    assert!(load(&files).is_ok());
}

#[test]
fn condition_icd10_codes_are_checked_and_resolve() {
    let files = corrupt("conditions.json", |v| {
        v[0]["icd10"] = json!(["D69", "bleeding"])
    });
    let e = only(&validation_errors(&files), "bad-number");
    assert_eq!(e.location().field, "icd10[1]");
    let files = corrupt("conditions.json", |v| {
        v[0]["icd10"] = json!(["D69"]);
        v[1]["icd10"] = json!(["D69"]);
    });
    let e = only(&validation_errors(&files), "name-clash");
    assert_eq!(e.location().field, "icd10[0]");
    let files = corrupt("conditions.json", |v| v[0]["icd10"] = json!(["D69"]));
    let kb = load(&files).unwrap();
    let report = check_json(
        &kb,
        json!({"patient": {"conditions": ["icd10:D69"]}, "items": [{"id": "ibuprofen"}]}),
    );
    assert_eq!(report["findings"][0]["rule"], "nsaid-bleeding");
}

#[test]
fn a_phenotype_no_rule_reads_is_reported_as_not_checked() {
    let kb = medcheck::KnowledgeBase::bundled();
    // A misspelt gene: the codeine rule for CYP2D6 cannot see it, and the report must say so.
    let report = check_json(
        kb,
        json!({"patient": {"phenotypes": {"CPY2D6": "ultrarapid", "cyp2d6": "normal"}},
               "items": [{"id": "codeine"}]}),
    );
    let skipped: Vec<(&str, &str)> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["item"].as_str().unwrap(),
                s["checks"][0].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        skipped.contains(&("CPY2D6", "pharmacogenomic")),
        "{skipped:?}"
    );
    // The gene the rules use, in any case, is not reported.
    assert!(!skipped.iter().any(|s| s.0 == "CYP2D6"), "{skipped:?}");
}

#[test]
fn a_class_cycle_is_listed_beside_other_errors() {
    // A cycle and a dangling reference in one directory: both are listed at once, so fixing
    // one does not reveal the other only on the next run.
    let mut files = corrupt("classes.json", |v| v[0]["parents"] = json!(["cox2"]));
    let rules = files.iter_mut().find(|(n, _)| *n == "rules.json").unwrap();
    rules.1[1]["severity"] = json!("severe");
    let errors = validation_errors(&files);
    let codes: Vec<&str> = errors.iter().map(|e| e.code()).collect();
    assert!(codes.contains(&"cycle"), "{codes:?}");
    assert!(codes.contains(&"unknown-value"), "{codes:?}");
}
