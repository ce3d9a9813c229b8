//! Bad input is refused with a message that names the item and the field, or reported as a
//! finding where that is clinically meaningful; nothing panics and nothing is silently dropped.

use medcheck::regimen::{MAX_ITEMS, MAX_NAME_CHARS, MAX_PATIENT_ENTRIES, MAX_REGIMEN_BYTES};
use medcheck::source::{FILES, SourceData, SourceError};
use medcheck::{CheckError, KnowledgeBase, Regimen, RegimenError};

fn kb() -> &'static KnowledgeBase {
    KnowledgeBase::bundled()
}

/// The error for a regimen that must be refused.
fn refused(json: &str) -> RegimenError {
    match Regimen::from_json(json) {
        Ok(r) => panic!("accepted {json}: {r:?}"),
        Err(e) => e,
    }
}

/// Refused as invalid at exactly this path, with a message containing `says`.
fn invalid_at(json: &str, path: &str, says: &str) {
    match refused(json) {
        RegimenError::Invalid { path: p, message } => {
            assert_eq!(p, path, "{message}");
            assert!(message.contains(says), "{path}: {message}");
        }
        other => panic!("expected an invalid value at {path}, got {other}"),
    }
}

fn dose(value: &str, unit: &str) -> String {
    format!(
        r#"{{"items": [{{"id": "acetaminophen", "dose": {{"value": {value}, "unit": "{unit}"}}}}]}}"#
    )
}

#[test]
fn absurd_doses_are_refused_naming_the_item_and_field() {
    let at = "items[0] (acetaminophen).dose.value";
    invalid_at(&dose("0", "mg"), at, "greater than zero");
    invalid_at(&dose("0.0", "mg"), at, "greater than zero");
    invalid_at(&dose("-500", "mg"), at, "greater than zero");
    invalid_at(&dose("\"NaN\"", "mg"), at, "must be a number");
    invalid_at(&dose("\"500\"", "mg"), at, "must be a number");
    invalid_at(&dose("null", "mg"), at, "must be a number");
    invalid_at(&dose("1e12", "mg"), at, "implausibly large");
    invalid_at(&dose("1000000000000", "mg"), at, "implausibly large");
    invalid_at(&dose("200", "g"), at, "implausibly large");
    invalid_at(&dose("5000", "tablet"), at, "implausibly large");
    invalid_at(&dose("0.0000000001", "mg"), at, "out of range");
    invalid_at(&dose("1.23456789012345678", "mg"), at, "out of range");
    // A number JSON cannot hold is refused at the same place by the parser.
    match refused(&dose("1e400", "mg")) {
        RegimenError::Json { path, .. } => assert_eq!(path, "items[0].dose.value"),
        other => panic!("{other}"),
    }
    // A unit nobody uses.
    invalid_at(
        &dose("500", "mgs"),
        "items[0] (acetaminophen).dose.unit",
        "unknown unit `mgs`",
    );
}

#[test]
fn other_impossible_item_fields_are_refused() {
    let item = |fields: &str| format!(r#"{{"items": [{{"id": "ibuprofen", {fields}}}]}}"#);
    invalid_at(
        &item(r#""times_per_day": 0"#),
        "items[0] (ibuprofen).times_per_day",
        "greater than zero",
    );
    invalid_at(
        &item(r#""times_per_day": 100"#),
        "items[0] (ibuprofen).times_per_day",
        "implausibly large",
    );
    invalid_at(
        &item(r#""days": 1.5"#),
        "items[0] (ibuprofen).days",
        "whole number",
    );
    invalid_at(
        &item(r#""days": 0"#),
        "items[0] (ibuprofen).days",
        "greater than zero",
    );
    invalid_at(
        &item(r#""route": "by mouth""#),
        "items[0] (ibuprofen).route",
        "unknown route",
    );
    invalid_at(r#"{"items": [{"id": "  "}]}"#, "items[0].id", "empty");
    // A field the parser does not know is refused, never ignored.
    match refused(&item(r#""dosage": "200 mg""#)) {
        RegimenError::Json { path, message, .. } => {
            assert_eq!(path, "items[0] (ibuprofen).dosage");
            assert!(message.contains("unknown field `dosage`"), "{message}");
        }
        other => panic!("{other}"),
    }
    match refused(r#"{"items": [{"dose": {"value": 1, "unit": "mg"}}]}"#) {
        RegimenError::Json { path, message, .. } => {
            assert_eq!(path, "items[0]");
            assert!(message.contains("missing field `id`"), "{message}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn unknown_or_impossible_patient_fields_are_refused() {
    let patient = |fields: &str| format!(r#"{{"patient": {{{fields}}}, "items": []}}"#);
    for (fields, unknown) in [
        (r#""age": 70"#, "age"),
        (r#""weight": 70"#, "weight"),
        (r#""allergy": ["penicillin"]"#, "allergy"),
    ] {
        match refused(&patient(fields)) {
            RegimenError::Json { path, message, .. } => {
                assert_eq!(path, format!("patient.{unknown}"));
                assert!(
                    message.contains(&format!("unknown field `{unknown}`")),
                    "{message}"
                );
            }
            other => panic!("{other}"),
        }
    }
    invalid_at(
        &patient(r#""age_years": -1"#),
        "patient.age_years",
        "negative",
    );
    invalid_at(
        &patient(r#""age_years": 200"#),
        "patient.age_years",
        "implausibly large",
    );
    invalid_at(
        &patient(r#""weight_kg": 0"#),
        "patient.weight_kg",
        "greater than zero",
    );
    invalid_at(
        &patient(r#""serum_creatinine_mg_dl": "high""#),
        "patient.serum_creatinine_mg_dl",
        "must be a number",
    );
    invalid_at(
        &patient(r#""phenotypes": {"CYP2D6": "speedy"}"#),
        "patient.phenotypes.CYP2D6",
        "unknown phenotype `speedy`",
    );
    // A carrier status for a gene, or a metabolizer status for an HLA allele, matches no rule:
    // refused, not checked as if the result were absent.
    invalid_at(
        &patient(r#""phenotypes": {"CYP2D6": "positive"}"#),
        "patient.phenotypes.CYP2D6",
        "`positive` does not apply to `CYP2D6` (allowed: poor, intermediate",
    );
    invalid_at(
        &patient(r#""phenotypes": {"HLA-B*15:02": "negative", "HLA-B*1502": "positive"}"#),
        "patient.phenotypes.HLA-B*15:02",
        "listed twice",
    );
    invalid_at(
        &patient(r#""phenotypes": {"HLA-B*15:02": "poor"}"#),
        "patient.phenotypes.HLA-B*15:02",
        "(allowed: positive, negative",
    );
    match refused(&patient(r#""sex": "unknown""#)) {
        RegimenError::Json { path, .. } => assert_eq!(path, "patient.sex"),
        other => panic!("{other}"),
    }
}

#[test]
fn a_dose_unit_or_route_that_cannot_apply_is_refused_at_check() {
    let check = |json: &str| {
        let r = Regimen::from_json(json).expect("parses");
        kb().check(&r).map(|_| ()).expect_err("must be refused")
    };
    // Tablets of a substance: which tablet?
    let e = check(
        r#"{"items": [{"id": "ibuprofen"}, {"id": "acetaminophen", "dose": {"value": 2, "unit": "tablet"}}]}"#,
    );
    assert!(
        matches!(&e, CheckError::UnitNotApplicable { index: 1, id, .. } if id == "acetaminophen"),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("items[1] (acetaminophen).dose.unit: "),
        "{e}"
    );
    // A rate by mouth.
    let e = check(
        r#"{"items": [{"id": "acetaminophen", "dose": {"value": 25, "unit": "mcg/h"}, "route": "oral"}]}"#,
    );
    assert!(
        matches!(e, CheckError::UnitNotApplicable { index: 0, .. }),
        "{e:?}"
    );
    // A dose for a therapy.
    let e = check(r#"{"items": [{"id": "massage-therapy", "dose": {"value": 1, "unit": "mg"}}]}"#);
    assert!(e.to_string().contains("therapy"), "{e}");
    // A product in a unit it is not dosed in, and by a route it cannot take.
    let product = &KnowledgeBase::bundled()
        .to_source()
        .products
        .into_iter()
        .find(|p| p.unit == "tablet" && p.ingredients.len() > 1)
        .expect("a combination tablet");
    let e = check(&format!(
        r#"{{"items": [{{"id": "{}", "dose": {{"value": 5, "unit": "mg"}}}}]}}"#,
        product.id
    ));
    assert!(e.to_string().contains(".dose.unit"), "{e}");
    let e = check(&format!(
        r#"{{"items": [{{"id": "{}", "route": "transdermal"}}]}}"#,
        product.id
    ));
    assert!(
        matches!(&e, CheckError::RouteNotApplicable { id, .. } if *id == product.id),
        "{e:?}"
    );
    assert!(e.to_string().contains(".route"), "{e}");
}

#[test]
fn a_duplicated_item_is_a_finding_and_both_doses_are_checked() {
    let r = Regimen::from_json(
        r#"{"items": [
            {"id": "acetaminophen", "dose": {"value": 500, "unit": "mg"}, "times_per_day": 2},
            {"id": "Paracetamol", "dose": {"value": 1500, "unit": "mg"}, "times_per_day": 2}
        ]}"#,
    )
    .unwrap();
    let report = kb().check(&r).unwrap();
    let dup = report
        .findings
        .iter()
        .find(|f| f.rule() == "medcheck:duplicate-item")
        .expect("a duplicate-item finding");
    assert_eq!(dup.items(), ["acetaminophen"]);
    assert!(dup.summary().contains("2 times"), "{}", dup.summary());
    // The second entry's dose is not dropped: its 1500 mg single dose is over the limit.
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.kind == medcheck::FindingKind::DoseLimit && f.summary().contains("1500")),
        "{}",
        report.to_json_pretty()
    );
    assert!(!report.is_clean());
}

#[test]
fn sizes_past_the_caps_are_refused_with_the_cap_named() {
    let items: Vec<String> = (0..=MAX_ITEMS)
        .map(|i| format!(r#"{{"id":"x{i}"}}"#))
        .collect();
    let e = refused(&format!(r#"{{"items": [{}]}}"#, items.join(",")));
    assert!(
        matches!(e, RegimenError::TooLarge { what: "items", found, max } if found == MAX_ITEMS + 1 && max == MAX_ITEMS),
        "{e}"
    );
    // Exactly at the cap is fine.
    let at_cap = format!(r#"{{"items": [{}]}}"#, items[..MAX_ITEMS].join(","));
    assert_eq!(Regimen::from_json(&at_cap).unwrap().items.len(), MAX_ITEMS);

    let long = "a".repeat(MAX_NAME_CHARS + 1);
    invalid_at(
        &format!(r#"{{"items": [{{"id": "{long}"}}]}}"#),
        "items[0].id",
        "longer than",
    );
    let conditions: Vec<String> = (0..=MAX_PATIENT_ENTRIES)
        .map(|i| format!("\"c{i}\""))
        .collect();
    let e = refused(&format!(
        r#"{{"patient": {{"conditions": [{}]}}, "items": []}}"#,
        conditions.join(",")
    ));
    assert!(
        matches!(
            e,
            RegimenError::TooLarge {
                what: "patient conditions",
                ..
            }
        ),
        "{e}"
    );

    let padded = format!(r#"{{"items": []{}}}"#, " ".repeat(MAX_REGIMEN_BYTES));
    assert!(matches!(refused(&padded), RegimenError::TooLarge { .. }));
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    for depth in [200, 10_000, 100_000] {
        // As the whole document, and inside a field that takes any JSON value.
        let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(matches!(refused(&deep), RegimenError::Json { .. }));
        let inside = format!(r#"{{"patient": {{"age_years": {deep}}}, "items": []}}"#);
        match refused(&inside) {
            RegimenError::Json { message, .. } => {
                assert!(message.contains("recursion limit"), "{message}")
            }
            other => panic!("{other}"),
        }
        for (file, _) in FILES {
            let mut data = SourceData::default();
            let e = data.parse_file(file, deep.as_bytes()).unwrap_err();
            assert!(matches!(e, SourceError::Json { .. }), "{file}: {e}");
        }
    }
}

#[test]
fn malformed_data_files_are_refused_with_file_line_and_column() {
    let mut data = SourceData::default();
    let e = data
        .parse_file("rules.json", b"[\n  {\"id\": \"x\",\n   \"kind\": }\n]")
        .unwrap_err();
    match e {
        SourceError::Json {
            file, line, column, ..
        } => {
            assert_eq!(file, "rules.json");
            assert_eq!((line, column), (3, 12));
        }
        other => panic!("{other}"),
    }
    // A field the loader does not know (a misspelt field would otherwise be ignored).
    let e = data
        .parse_file(
            "sources.json",
            br#"[{"id": "s", "title": "T", "kind": "review", "yaer": 2020}]"#,
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("sources.json") && e.contains("[0]") && e.contains("unknown field `yaer`"),
        "{e}"
    );
    // The wrong shape: an object where an array of entries is expected.
    let e = data.parse_file("substances.json", b"{}").unwrap_err();
    assert!(matches!(e, SourceError::Json { .. }), "{e}");
    // Trailing garbage after the array.
    let e = data.parse_file("therapies.json", b"[] []").unwrap_err();
    assert!(matches!(e, SourceError::Json { .. }), "{e}");
    // A file the loader does not know.
    let e = data.parse_file("interactions.json", b"[]").unwrap_err();
    assert!(matches!(e, SourceError::Unexpected { .. }), "{e}");
}

#[test]
fn a_data_directory_with_a_misspelt_or_missing_file_is_refused() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bad-input-dir");
    let _ = std::fs::remove_dir_all(&dir);
    kb().to_source().write_dir(&dir).unwrap();
    std::fs::rename(dir.join("rules.json"), dir.join("rule.json")).unwrap();
    let problems = match KnowledgeBase::from_dir(&dir) {
        Err(e) => e.problems(),
        Ok(_) => panic!("loaded without rules.json"),
    };
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("rule.json") && p.contains("unexpected file"))
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("rules.json") && p.contains("missing"))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn overlong_texts_in_data_are_refused() {
    let mut data = kb().to_source();
    data.rules[0].summary = "x".repeat(10_000);
    let id = data.rules[0].id.clone();
    match KnowledgeBase::from_source(data, medcheck::source::Origin::Bundled) {
        Err(medcheck::LoadError::Invalid(errors)) => {
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].code(), "too-long");
            assert_eq!(errors[0].location().entry, id);
            assert_eq!(errors[0].location().field, "summary");
        }
        _ => panic!("an overlong summary loaded"),
    }
}

#[test]
fn content_after_the_regimen_is_refused_not_dropped() {
    // A second regimen, a stray word, a second closing brace: each would otherwise be lost.
    for text in [
        r#"{"items":[{"id":"acetaminophen"}]}{"items":[{"id":"warfarin"}]}"#,
        r#"{"items":[{"id":"acetaminophen"}]} xx"#,
        r#"{"items":[{"id":"acetaminophen"}]}}"#,
        r#"{"items":[{"id":"acetaminophen"}]}, {"items":[]}"#,
    ] {
        let e = refused(text).to_string();
        assert!(e.contains("trailing characters"), "{text}: {e}");
    }
    // Whitespace after the regimen is fine.
    assert!(Regimen::from_json("{\"items\":[{\"id\":\"acetaminophen\"}]}\n  \n").is_ok());
}
