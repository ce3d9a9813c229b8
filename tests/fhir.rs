//! FHIR R4 Bundle -> regimen mapping through the library (`medcheck check --fhir` is tested with
//! the binary, in `cli/tests/cli.rs`).

use medcheck::fhir::{self, Date, FhirError, MapOptions, Mapped};
use medcheck::units::Ratio;
use medcheck::{FindingKind, KnowledgeBase, Route, Severity};
use serde_json::{Value, json};

const EXAMPLE: &str = include_str!("../examples/fhir-bundle.json");
const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";

fn kb() -> &'static KnowledgeBase {
    KnowledgeBase::bundled()
}

fn on(date: &str) -> MapOptions {
    MapOptions {
        as_of: date.parse::<Date>().unwrap(),
    }
}

fn bundle(resources: Value) -> String {
    let entries: Vec<Value> = resources
        .as_array()
        .unwrap()
        .iter()
        .map(|r| json!({ "resource": r }))
        .collect();
    json!({"resourceType": "Bundle", "type": "collection", "entry": entries}).to_string()
}

fn map(resources: Value) -> Mapped {
    fhir::map_bundle(kb(), &bundle(resources), &on("2024-06-03")).unwrap()
}

fn request(id: &str, medication: Value, dosage: Value) -> Value {
    json!({"resourceType": "MedicationRequest", "id": id, "status": "active",
           "medicationCodeableConcept": medication, "dosageInstruction": dosage})
}

fn rx(code: &str) -> Value {
    json!({"coding": [{"system": RXNORM, "code": code}]})
}

fn dose(value: Value, code: &str, frequency: u32, period: u32, unit: &str) -> Value {
    json!([{"timing": {"repeat": {"frequency": frequency, "period": period, "periodUnit": unit}},
            "doseAndRate": [{"doseQuantity": {"value": value, "system": "http://unitsofmeasure.org", "code": code}}]}])
}

#[test]
fn the_example_visit_maps_every_part_of_the_record() {
    let m = fhir::map_bundle(kb(), EXAMPLE, &on("2024-06-03")).unwrap();
    let ids: Vec<&str> = m.regimen.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            // The clinical-drug code is not in the knowledge base; the ingredient code is.
            "rxnorm:7804",
            "rxnorm:596",
            "St. John's Wort",
            "\"Turmeric (curcumin) 500 mg capsule\"",
            "rxnorm:25480",
            "rxnorm:5640",
            "Acupuncture",
        ]
    );
    let oxycodone = &m.regimen.items[0];
    assert_eq!(oxycodone.dose.unwrap().to_string(), "5 mg");
    assert_eq!(oxycodone.times_per_day, Some(Ratio::from_int(4)));
    assert_eq!(oxycodone.days, Some(30));
    assert_eq!(oxycodone.route, Some(Route::Oral));
    assert_eq!(m.sources[0].resource, "MedicationRequest/rx-oxycodone");
    assert_eq!(m.sources[0].label, "Oxycodone 5 mg tablet");
    let p = &m.regimen.patient;
    assert_eq!(p.age_years, Some(Ratio::from_int(71)));
    assert_eq!(p.serum_creatinine_mg_dl, Ratio::new(7, 5));
    assert_eq!(p.weight_kg, Some(Ratio::from_int(60)));
    assert_eq!(
        p.conditions,
        [
            "Chronic kidney disease",
            "\"Chronic low back pain\" (snomed:278860009)"
        ]
    );
    assert_eq!(p.allergies, ["rxnorm:1191"]);
    assert_eq!(
        m.left_out,
        ["MedicationStatement/ms-naproxen-old: status stopped"]
    );

    let report = m.check(kb()).unwrap();
    let worst = &report.findings[0];
    assert_eq!(worst.severity, Severity::Contraindicated);
    assert_eq!(
        (worst.items(), worst.allergy()),
        (&["ibuprofen"][..], Some("aspirin"))
    );
    let dose = report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::DoseLimit)
        .expect("gabapentin over its renal limit");
    assert_eq!(dose.items(), ["gabapentin"]);
    assert_eq!(dose.dose().unwrap().band, Some("crcl-30-to-59"));
    let unknown: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::UnknownItem)
        .filter_map(|f| f.input())
        .collect();
    assert_eq!(
        unknown,
        [
            "\"Turmeric (curcumin) 500 mg capsule\"",
            "\"Chronic low back pain\" (snomed:278860009)"
        ]
    );
}

#[test]
fn an_unknown_code_is_an_unknown_item_quoting_the_coding() {
    let m = map(json!([
        request(
            "a",
            json!({"coding": [{"system": RXNORM, "code": "999999", "display": "Zapadol 5 MG Oral Tablet"}]}),
            json!([])
        ),
        request(
            "b",
            json!({"coding": [{"system": "http://hl7.org/fhir/sid/ndc", "code": "0000-0000"}]}),
            json!([])
        ),
        json!({"resourceType": "MedicationRequest", "id": "c", "status": "active"}),
    ]));
    let report = m.check(kb()).unwrap();
    let inputs: Vec<&str> = report.findings.iter().filter_map(|f| f.input()).collect();
    assert!(
        inputs.contains(&"\"Zapadol 5 MG Oral Tablet\" (rxnorm:999999)"),
        "{inputs:?}"
    );
    assert!(inputs.contains(&"ndc:0000-0000"), "{inputs:?}");
    assert!(
        inputs.contains(&"MedicationRequest/c (no medication code or text)"),
        "{inputs:?}"
    );
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.kind == FindingKind::UnknownItem)
    );
    assert!(!report.is_clean());
}

#[test]
fn text_then_a_contained_medication_are_the_fallbacks() {
    let mut contained = request("a", Value::Null, dose(json!(500), "mg", 1, 4, "h"));
    let obj = contained.as_object_mut().unwrap();
    obj.remove("medicationCodeableConcept");
    obj.insert("medicationReference".into(), json!({"reference": "#m1"}));
    obj.insert(
        "contained".into(),
        json!([{"resourceType": "Medication", "id": "m1", "code": rx("161")}]),
    );
    let m = map(json!([
        contained,
        request(
            "b",
            json!({"coding": [{"system": RXNORM, "code": "1"}], "text": "Coumadin"}),
            json!([])
        ),
    ]));
    assert_eq!(m.regimen.items[0].id, "rxnorm:161");
    assert_eq!(m.regimen.items[1].id, "Coumadin");
    let report = m.check(kb()).unwrap();
    // 500 mg every 4 hours is 3000 mg a day, within the 4000 mg limit: no dose finding.
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.kind != FindingKind::DoseLimit)
    );
    assert_eq!(report.resolved[1].id, Some("warfarin"));
}

#[test]
fn frequency_and_period_give_the_daily_dose_exactly() {
    // 1000 mg every 4 hours: 6 doses, 6000 mg a day, over the 4000 mg limit.
    let m = map(json!([request(
        "a",
        rx("161"),
        dose(json!(1000), "mg", 1, 4, "h")
    )]));
    assert_eq!(m.regimen.items[0].times_per_day, Some(Ratio::from_int(6)));
    let report = m.check(kb()).unwrap();
    let f = report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::DoseLimit)
        .unwrap();
    assert_eq!(f.dose().unwrap().value.unwrap().to_string(), "6000 mg/day");
    // 1000 mg three times a week is under any daily limit, and exactly 3/7 a day.
    let m = map(json!([request(
        "a",
        rx("161"),
        dose(json!(1000), "mg", 3, 1, "wk")
    )]));
    assert_eq!(m.regimen.items[0].times_per_day, Ratio::new(3, 7));
}

#[test]
fn an_unreadable_dose_is_checked_without_it_and_says_why() {
    let m = map(json!([
        request("w", rx("11289"), dose(json!(2), "{puff}", 1, 1, "d")),
        request("i", rx("5640"), json!([])),
    ]));
    assert!(m.regimen.items[0].dose.is_none());
    let report = m.check(kb()).unwrap();
    // Still checked for interactions.
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.items() == ["ibuprofen", "warfarin"])
    );
    let skipped = report
        .skipped
        .iter()
        .find(|s| s.item == "warfarin" && s.reason().contains("{puff}"))
        .expect("the warfarin dose is reported as not checked");
    assert!(
        skipped
            .reason()
            .starts_with("MedicationRequest/w: dose 2 {puff}"),
        "{}",
        skipped.reason()
    );
    assert_eq!(
        *skipped.checks,
        ["dose-limit", "cumulative-dose", "opioid-mme"]
    );
}

#[test]
fn a_dose_unit_that_cannot_apply_is_dropped_not_refused() {
    // A tablet count of a plain substance: the regimen reader refuses it; from an EHR the item is
    // checked without the dose, and the report says so.
    let m = map(json!([request(
        "a",
        rx("7804"),
        dose(json!(2), "{tablet}", 1, 6, "h")
    )]));
    assert!(m.regimen.items[0].dose.is_none());
    let report = m.check(kb()).unwrap();
    let s = report
        .skipped
        .iter()
        .find(|s| s.item == "oxycodone" && s.reason().contains("checked without it"))
        .expect("a note for the dropped dose");
    assert!(
        s.reason().starts_with("MedicationRequest/a: "),
        "{}",
        s.reason()
    );
}

#[test]
fn age_is_counted_at_the_reference_date() {
    let resources = json!([
        {"resourceType": "Patient", "id": "p", "birthDate": "1959-06-15"},
        request("a", rx("7804"), json!([])),
        request("b", rx("596"), json!([])),
        request("c", rx("25480"), json!([])),
    ]);
    let beers = |date: &str| {
        let m = fhir::map_bundle(kb(), &bundle(resources.clone()), &on(date)).unwrap();
        let report = m.check(kb()).unwrap();
        let fired = report
            .findings
            .iter()
            .any(|f| f.rule() == "cns-depressant-load-older-adult");
        (m.regimen.patient.age_years, fired)
    };
    assert_eq!(beers("2024-06-14"), (Some(Ratio::from_int(64)), false));
    assert_eq!(beers("2024-06-15"), (Some(Ratio::from_int(65)), true));
}

#[test]
fn observations_use_the_latest_value_in_an_exact_unit() {
    let obs = |id: &str, code: &str, value: f64, unit: &str, when: &str| {
        json!({"resourceType": "Observation", "id": id, "status": "final",
               "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
               "effectiveDateTime": when,
               "valueQuantity": {"value": value, "system": "http://unitsofmeasure.org", "code": unit}})
    };
    let m = map(json!([
        obs("w1", "29463-7", 70.0, "kg", "2023-01-01"),
        obs("w2", "29463-7", 150.0, "[lb_av]", "2024-05-01"),
        obs("s1", "2160-0", 1.1, "mg/dL", "2023-01-01"),
        obs("s2", "2160-0", 97.0, "umol/L", "2024-05-01"),
    ]));
    // 150 lb is exactly 68.0388555 kg.
    assert_eq!(
        m.regimen.patient.weight_kg,
        Ratio::new(680_388_555, 10_000_000)
    );
    // The latest creatinine is in µmol/L: not converted by an inexact factor, not replaced by
    // the older value, and reported.
    assert_eq!(m.regimen.patient.serum_creatinine_mg_dl, None);
    assert!(
        m.notes
            .iter()
            .any(|n| n.subject == "patient" && n.reason.contains("umol/L"))
    );
}

#[test]
fn resources_no_longer_current_are_left_out() {
    let mut stopped = request("s", rx("5640"), json!([]));
    stopped["status"] = json!("stopped");
    let refuted = json!({"resourceType": "AllergyIntolerance", "id": "x",
        "verificationStatus": {"coding": [{"code": "refuted"}]}, "code": rx("1191")});
    let resolved = json!({"resourceType": "Condition", "id": "y",
        "clinicalStatus": {"coding": [{"code": "resolved"}]}, "code": {"text": "CKD"}});
    let m = map(json!([
        stopped,
        refuted,
        resolved,
        request("w", rx("11289"), json!([]))
    ]));
    assert_eq!(m.regimen.items.len(), 1);
    assert!(m.regimen.patient.allergies.is_empty());
    assert!(m.regimen.patient.conditions.is_empty());
    assert_eq!(m.left_out, ["MedicationRequest/s: status stopped"]);
}

#[test]
fn malformed_bundles_are_refused_with_the_path() {
    let err = |text: &str| fhir::map_bundle(kb(), text, &on("2024-06-03")).unwrap_err();
    assert!(matches!(
        err("{\"resourceType\": "),
        FhirError::Json { line: 1, .. }
    ));
    assert_eq!(
        err(r#"{"entry": []}"#).to_string(),
        "resourceType: missing: expected a FHIR Bundle or resource"
    );
    let e = err(&bundle(
        json!([{"resourceType": "MedicationRequest", "id": "a",
        "dosageInstruction": [{"doseAndRate": [{"doseQuantity": "5 mg"}]}]}]),
    ))
    .to_string();
    assert!(
        e.starts_with("entry[0].resource (MedicationRequest/a).dosageInstruction[0].doseAndRate[0].doseQuantity: invalid type"),
        "{e}"
    );
    let e = err(&bundle(json!([
        {"resourceType": "Patient", "id": "p1"},
        {"resourceType": "Patient", "id": "p2"}
    ])))
    .to_string();
    assert!(e.contains("2 different patients"), "{e}");
}

#[test]
fn the_cds_example_is_built_from_the_bundle() {
    let bundle: Value = serde_json::from_str(EXAMPLE).unwrap();
    let cds: Value = serde_json::from_str(include_str!("../examples/cds-order-sign.json")).unwrap();
    let in_bundle: Vec<&Value> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect();
    let mut sent: Vec<&Value> = cds["context"]["draftOrders"]["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect();
    for (_, v) in cds["prefetch"].as_object().unwrap() {
        match v["entry"].as_array() {
            Some(entries) => sent.extend(entries.iter().map(|e| &e["resource"])),
            None => sent.push(v),
        }
    }
    for r in &sent {
        assert!(in_bundle.contains(r), "{} is not in the bundle", r["id"]);
    }
    // Every current resource of the bundle is sent; the stopped one is not.
    assert_eq!(sent.len(), in_bundle.len() - 1);
    assert!(
        cds["context"]["draftOrders"]["entry"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["resource"]["status"] == "draft")
    );
}

#[test]
fn orders_medcheck_cannot_check_are_reported_not_dropped() {
    let m = map(json!([
        {"resourceType": "ServiceRequest", "id": "tens", "status": "active",
         "code": {"text": "TENS"}},
        {"resourceType": "ServiceRequest", "id": "mri", "status": "active",
         "code": {"text": "MRI lumbar spine"}},
        {"resourceType": "NutritionOrder", "id": "diet", "status": "active"},
        {"resourceType": "Practitioner", "id": "dr"},
    ]));
    assert_eq!(m.regimen.items.len(), 1);
    assert_eq!(m.regimen.items[0].id, "TENS");
    let report = m.check(kb()).unwrap();
    let not_checked: Vec<&str> = report
        .skipped
        .iter()
        .filter(|s| *s.checks == ["all"])
        .map(|s| s.item)
        .collect();
    assert_eq!(
        not_checked,
        [
            "NutritionOrder/diet",
            "ServiceRequest/mri \"MRI lumbar spine\""
        ]
    );
}

#[test]
fn coded_conditions_resolve_by_icd10_category() {
    let icd = |id: &str, code: &str, display: &str| {
        json!({"resourceType": "Condition", "id": id,
               "clinicalStatus": {"coding": [{"code": "active"}]},
               "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": code, "display": display}]}})
    };
    let mapped = map(json!([
        request(
            "a",
            json!({"coding": [{"system": RXNORM, "code": "5640"}]}),
            json!([])
        ),
        // A stage code resolves through its category; the display would not.
        icd("c1", "N18.32", "Chronic kidney disease, stage 3b"),
        // The most specific match wins: D69.6 is thrombocytopenia, not any bleeding disorder.
        icd("c2", "D69.6", "Thrombocytopenia, unspecified"),
        // A code medcheck does not know falls back to the display text, then is reported.
        icd(
            "c3",
            "E11.9",
            "Type 2 diabetes mellitus without complications"
        ),
    ]));
    let report = mapped.check(kb()).unwrap();
    let conditions: Vec<(&str, Option<&str>)> = report
        .resolved
        .iter()
        .filter(|r| r.role == "condition")
        .map(|r| (r.input, r.id))
        .collect();
    assert!(
        conditions.contains(&("icd10:N18", Some("chronic-kidney-disease"))),
        "{conditions:?}"
    );
    assert!(
        conditions.contains(&("icd10:D69.6", Some("thrombocytopenia"))),
        "{conditions:?}"
    );
    assert!(
        conditions
            .iter()
            .any(|(input, id)| input.contains("E11.9") && id.is_none()),
        "{conditions:?}"
    );
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule()).collect();
    assert!(rules.contains(&"nsaid-chronic-kidney-disease"), "{rules:?}");
}

#[test]
fn ended_orders_are_noted_and_unknown_statuses_refused() {
    let warfarin = json!({"coding": [{"system": RXNORM, "code": "11289"}]});
    let stopped = |id: &str, status: &str| {
        json!({"resourceType": "MedicationRequest", "id": id, "status": status,
               "medicationCodeableConcept": warfarin.clone()})
    };
    // A stopped order is not part of the regimen, and the report says it was left out.
    let m = map(json!([
        stopped("w", "stopped"),
        request("i", json!({"text": "ibuprofen"}), json!([]))
    ]));
    assert_eq!(m.left_out, ["MedicationRequest/w: status stopped"]);
    let report = m.check(kb()).unwrap();
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.items() != ["ibuprofen", "warfarin"])
    );
    let noted = report
        .skipped
        .iter()
        .find(|s| s.item == "MedicationRequest/w")
        .expect("the stopped order is in skipped");
    assert_eq!(*noted.checks, ["all"]);
    assert!(
        noted.reason().contains("status stopped"),
        "{}",
        noted.reason()
    );
    // A status that is no FHIR code is refused, naming the resource and field: dropping the
    // order or keeping it would both be a guess.
    for status in ["Active", "weird-status", ""] {
        let e = fhir::map_bundle(
            kb(),
            &bundle(json!([stopped("w", status)])),
            &on("2024-06-03"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("MedicationRequest/w.status: "), "{e}");
        assert!(e.contains("allowed: active, cancelled"), "{e}");
    }
}

#[test]
fn an_implausible_dose_or_frequency_refuses_the_order_rather_than_dropping_it() {
    let acetaminophen = json!({"text": "acetaminophen"});
    let order = |value: f64, unit: &str, frequency: u32| {
        request(
            "a",
            acetaminophen.clone(),
            json!([{"timing": {"repeat": {"frequency": frequency, "period": 1, "periodUnit": "d"}},
                    "doseAndRate": [{"doseQuantity": {"value": value, "unit": unit,
                                     "system": "http://unitsofmeasure.org", "code": unit}}]}]),
        )
    };
    // 99 g four times a day is checked: dose findings.
    let m = map(json!([order(99.0, "g", 4)]));
    let report = m.check(kb()).unwrap();
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.kind == medcheck::FindingKind::DoseLimit)
    );
    // Past the bounds, the dose is not dropped (that would leave no dose finding): refused.
    for (value, unit, frequency) in [(150.0, "g", 4), (1e12, "mg", 4), (1000.0, "mg", 100)] {
        let e = fhir::map_bundle(
            kb(),
            &bundle(json!([order(value, unit, frequency)])),
            &on("2024-06-03"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("MedicationRequest/a.dosageInstruction: "),
            "{e}"
        );
        assert!(e.contains("implausibly"), "{e}");
    }
}

#[test]
fn an_ordered_and_a_calculated_dose_are_read_as_the_larger() {
    let q = |value: u32, unit: &str| json!({"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit});
    let order = |entries: Value| {
        request(
            "a",
            json!({"text": "acetaminophen"}),
            json!([{"timing": {"repeat": {"frequency": 4, "period": 1, "periodUnit": "d"}},
                    "doseAndRate": entries}]),
        )
    };
    // 2000 mg four times a day, sent twice over: the dose is read, and over the limits.
    let m = map(json!([order(json!([
        {"type": {"coding": [{"code": "ordered"}]}, "doseQuantity": q(2, "g")},
        {"type": {"coding": [{"code": "calculated"}]}, "doseQuantity": q(2000, "mg")}
    ]))]));
    assert_eq!(m.regimen.items[0].dose.unwrap().to_string(), "2 g");
    let report = m.check(kb()).unwrap();
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.kind == medcheck::FindingKind::DoseLimit)
    );
    // Units that cannot be compared are not guessed between: the dose checks are skipped.
    let m = map(json!([order(json!([
        {"doseQuantity": q(2, "{tablet}")}, {"doseQuantity": q(1000, "mg")}
    ]))]));
    assert!(m.regimen.items[0].dose.is_none());
    assert!(
        m.notes[0].reason.contains("cannot be compared"),
        "{:?}",
        m.notes
    );
}

#[test]
fn a_bundle_inside_a_bundle_is_read_not_dropped() {
    let inner = json!({"resourceType": "Bundle", "type": "searchset",
        "entry": [{"resource": request("w", json!({"text": "warfarin"}), json!([]))}]});
    let m = map(json!([
        inner,
        request("i", json!({"text": "ibuprofen"}), json!([]))
    ]));
    let ids: Vec<&str> = m.regimen.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let report = m.check(kb()).unwrap();
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.items() == ["ibuprofen", "warfarin"])
    );
}

#[test]
fn a_record_that_mixes_two_patients_is_refused() {
    let about = |id: &str, patient: &str, text: &str| {
        json!({"resourceType": "MedicationRequest", "id": id, "status": "active",
               "subject": {"reference": patient}, "medicationCodeableConcept": {"text": text}})
    };
    let patient = json!({"resourceType": "Patient", "id": "p"});
    // Everything about Patient/p, whether by name or by a full URL: fine.
    let ok = bundle(json!([
        patient.clone(),
        about("a", "Patient/p", "warfarin"),
        about("b", "https://ehr.example/fhir/Patient/p", "ibuprofen")
    ]));
    assert!(fhir::map_bundle(kb(), &ok, &on("2024-06-03")).is_ok());
    // An order for another patient beside it: refused, naming both.
    let mixed = bundle(json!([
        patient,
        about("a", "Patient/p", "warfarin"),
        about("b", "Patient/zz", "ibuprofen")
    ]));
    let e = fhir::map_bundle(kb(), &mixed, &on("2024-06-03"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("2 different patients (Patient/p, Patient/zz)"),
        "{e}"
    );
    // Without a Patient resource, two patients in the references are refused too.
    let mixed = bundle(json!([
        about("a", "Patient/x", "warfarin"),
        about("b", "Patient/y", "ibuprofen")
    ]));
    assert!(fhir::map_bundle(kb(), &mixed, &on("2024-06-03")).is_err());
}
