//! Every output form of a few thousand regimens, written to one file, so that two builds of
//! medcheck can be compared byte for byte. Ignored in the normal run: it asserts nothing about
//! the outputs on its own, it records them.
//!
//! ```sh
//! MEDCHECK_GOLDEN_OUT=/tmp/after.txt cargo test --release --test report_golden -- --ignored
//! # the same in a checkout of the commit to compare with, to /tmp/before.txt, then
//! cmp /tmp/before.txt /tmp/after.txt
//! ```
//!
//! Only long-standing public entry points are used (`Regimen::from_json`, `KnowledgeBase::check`,
//! `Report::to_json`, `to_json_pretty`, `to_text`, `screen`, `Overrides`, `cds::Service`), so the
//! file compiles against older and newer versions alike. The corpus: `examples/*.json`, the
//! regimens of `tests/clinical/cases.json`, and regimens drawn from the bundled data by a seeded
//! generator (names, synonyms and brands in any case, unknown names, class names, duplicates,
//! doses in every unit, frequencies, courses, routes right and wrong, and patient context:
//! age, weight, sex, creatinine, clearance, conditions, allergies and phenotypes), each checked
//! without and with the example override file, and as CDS Hooks order-sign calls.

use std::fmt::Write as _;

use medcheck::cds::Service;
use medcheck::model::{ConceptKind, Detail};
use medcheck::screen::{LineFormat, Options, screen};
use medcheck::{KnowledgeBase, Overrides, Regimen};
use serde_json::{Value, json};

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// How an item may be named: its id, display name, a synonym or brand, in another case.
fn name_of(rng: &mut Rng, kb: &KnowledgeBase, i: usize) -> String {
    let c = &kb.model().concepts[i];
    match rng.below(6) {
        0 => c.name.to_string(),
        1 if !c.names.is_empty() => rng.pick(&c.names).to_string(),
        2 => c.name.to_uppercase(),
        3 => match &c.rxnorm {
            Some(r) => format!("rxnorm:{r}"),
            None => c.id.to_string(),
        },
        _ => c.id.to_string(),
    }
}

const MASS_VALUES: [&str; 16] = [
    "0.5", "1", "2.5", "5", "7.5", "10", "25", "50", "100", "200", "325", "500", "650", "1000",
    "1300", "4000",
];
const UNITS: [&str; 8] = ["mg", "mg", "mg", "mcg", "g", "mg/kg", "mcg/kg", "mcg/h"];
const ROUTES: [&str; 7] = [
    "oral",
    "transdermal",
    "iv",
    "topical",
    "sublingual",
    "procedure",
    "intravenous",
];
const TIMES: [&str; 7] = ["1", "2", "3", "4", "6", "0.5", "8"];

fn item(rng: &mut Rng, kb: &KnowledgeBase) -> Value {
    let model = kb.model();
    let n = model.concepts.len();
    if rng.chance(4) {
        return json!({"id": format!("no-such-thing-{}", rng.below(5))});
    }
    let i = rng.below(n);
    let c = &model.concepts[i];
    let mut it = serde_json::Map::new();
    it.insert("id".into(), json!(name_of(rng, kb, i)));
    let dosed = rng.chance(65);
    match &c.detail {
        Detail::Product(p) if dosed => {
            let unit = if rng.chance(90) {
                p.unit.as_str().to_string()
            } else {
                rng.pick(&UNITS).to_string()
            };
            let value = *rng.pick(&["0.5", "1", "2", "3", "4", "10"]);
            it.insert(
                "dose".into(),
                json!({"value": value.parse::<f64>().unwrap(), "unit": unit}),
            );
        }
        Detail::Substance(_) if dosed => {
            let unit = *rng.pick(&UNITS);
            let value = if unit == "mcg/h" {
                *rng.pick(&["12", "25", "50", "100", "150"])
            } else if unit == "g" || unit.ends_with("/kg") {
                *rng.pick(&["0.5", "1", "2", "4", "10", "15", "75", "2000"])
            } else {
                *rng.pick(&MASS_VALUES)
            };
            it.insert(
                "dose".into(),
                json!({"value": value.parse::<f64>().unwrap(), "unit": unit}),
            );
        }
        _ => {}
    }
    if rng.chance(60) {
        let t = *rng.pick(&TIMES);
        it.insert("times_per_day".into(), json!(t.parse::<f64>().unwrap()));
    }
    if rng.chance(30) {
        it.insert("days".into(), json!(*rng.pick(&[3, 5, 7, 10, 14, 30, 90])));
    }
    if rng.chance(35) {
        let route = match &c.detail {
            Detail::Product(p) if rng.chance(90) => p.route.to_string(),
            Detail::Therapy if rng.chance(90) => "procedure".to_string(),
            _ => rng.pick(&ROUTES).to_string(),
        };
        it.insert("route".into(), json!(route));
    }
    Value::Object(it)
}

fn of_kind(kb: &KnowledgeBase, kind: ConceptKind) -> Vec<String> {
    kb.model()
        .concepts
        .iter()
        .filter(|c| c.kind() == kind)
        .map(|c| c.id.to_string())
        .collect()
}

fn regimen(rng: &mut Rng, kb: &KnowledgeBase, seq: usize) -> Value {
    let max = if rng.chance(10) { 40 } else { 12 };
    let n = 1 + rng.below(max);
    let mut items: Vec<Value> = (0..n).map(|_| item(rng, kb)).collect();
    if rng.chance(10) && !items.is_empty() {
        let again = items[rng.below(items.len())].clone();
        items.push(again);
    }
    let mut r = serde_json::Map::new();
    match rng.below(3) {
        0 => {
            r.insert("id".into(), json!(format!("r-{seq}")));
        }
        1 => {
            r.insert("id".into(), json!(seq));
        }
        _ => {}
    }
    if rng.chance(70) {
        let mut p = serde_json::Map::new();
        if rng.chance(70) {
            p.insert(
                "age_years".into(),
                json!(*rng.pick(&[8, 17, 30, 45, 64, 65, 72, 88])),
            );
        }
        if rng.chance(60) {
            p.insert(
                "weight_kg".into(),
                json!(*rng.pick(&[18.5, 40.0, 49.9, 60.0, 72.0, 110.0])),
            );
        }
        if rng.chance(50) {
            p.insert("sex".into(), json!(*rng.pick(&["female", "male"])));
        }
        if rng.chance(40) {
            p.insert(
                "serum_creatinine_mg_dl".into(),
                json!(*rng.pick(&[0.7, 1.0, 1.4, 2.2, 4.0])),
            );
        }
        if rng.chance(15) {
            p.insert(
                "crcl_ml_min".into(),
                json!(*rng.pick(&[10, 25, 45, 80, 120])),
            );
        }
        let conditions = of_kind(kb, ConceptKind::Condition);
        if rng.chance(40) {
            let mut cs: Vec<String> = (0..1 + rng.below(3))
                .map(|_| rng.pick(&conditions).clone())
                .collect();
            if rng.chance(10) {
                cs.push("no-such-condition".into());
            }
            p.insert("conditions".into(), json!(cs));
        }
        if rng.chance(25) {
            let mut pool = of_kind(kb, ConceptKind::Class);
            pool.extend(of_kind(kb, ConceptKind::Substance));
            let mut al: Vec<String> = (0..1 + rng.below(2))
                .map(|_| rng.pick(&pool).clone())
                .collect();
            if rng.chance(10) {
                al.push("no-such-allergen".into());
            }
            p.insert("allergies".into(), json!(al));
        }
        if rng.chance(20) {
            let gene = *rng.pick(&["CYP2D6", "CYP2C9", "CYP2C19", "cyp2d6"]);
            let ph = *rng.pick(&["poor", "intermediate", "normal", "ultrarapid", "rapid"]);
            p.insert("phenotypes".into(), json!({ gene: ph }));
        }
        r.insert("patient".into(), Value::Object(p));
    }
    r.insert("items".into(), json!(items));
    Value::Object(r)
}

/// A CDS Hooks order-sign request whose draft orders are the regimen's items, named by text.
fn cds_request(regimen: &Value, seq: usize) -> Value {
    let mut entries = Vec::new();
    for (i, item) in regimen["items"].as_array().unwrap().iter().enumerate() {
        let mut dosage = json!([]);
        if let (Some(v), Some(u)) = (
            item["dose"]["value"].as_f64(),
            item["dose"]["unit"].as_str(),
        ) {
            let freq = item["times_per_day"].as_f64().unwrap_or(1.0).max(1.0) as u32;
            dosage = json!([{"timing": {"repeat": {"frequency": freq, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": v, "system": "http://unitsofmeasure.org", "code": u}}]}]);
        }
        entries.push(
            json!({"resource": {"resourceType": "MedicationRequest", "id": format!("rx-{i}"),
            "status": "draft", "intent": "order", "subject": {"reference": "Patient/p"},
            "medicationCodeableConcept": {"text": item["id"]}, "dosageInstruction": dosage}}),
        );
    }
    json!({"hook": "order-sign", "hookInstance": format!("instance-{seq}"),
        "context": {"userId": "Practitioner/x", "patientId": "p",
            "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": entries}}})
}

/// Every output of one regimen, appended to `out`.
fn record(out: &mut String, label: &str, kb: &KnowledgeBase, text: &str) {
    let _ = writeln!(out, "=== {label}");
    let regimen = match Regimen::from_json(text) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(out, "regimen error: {e}");
            return;
        }
    };
    match kb.check(&regimen) {
        Ok(report) => {
            out.push_str(&report.to_json_pretty());
            out.push('\n');
            out.push_str(&report.to_json());
            out.push('\n');
            out.push_str(&report.to_text());
        }
        Err(e) => {
            let _ = writeln!(out, "check error: {e}");
        }
    }
}

fn screened(kb: &KnowledgeBase, lines: &str, format: LineFormat) -> String {
    let mut out = Vec::new();
    let options = Options {
        threads: 1,
        format,
        progress: false,
    };
    screen(kb, lines.as_bytes(), &mut out, &options).expect("screens");
    String::from_utf8(out).expect("UTF-8")
}

#[test]
#[ignore = "writes every output to $MEDCHECK_GOLDEN_OUT for comparison between builds"]
fn write_every_output() {
    let Some(path) = std::env::var_os("MEDCHECK_GOLDEN_OUT") else {
        panic!("set MEDCHECK_GOLDEN_OUT to the file to write");
    };
    let root = env!("CARGO_MANIFEST_DIR");
    let kb = KnowledgeBase::bundled();
    let overrides =
        Overrides::from_file(format!("{root}/examples/overrides.json")).expect("example overrides");
    let local = overrides.apply(kb).expect("example overrides apply");
    let mut corpus: Vec<(String, String)> = Vec::new();
    for name in ["regimen.json", "pain-clinic.json"] {
        let text = std::fs::read_to_string(format!("{root}/examples/{name}")).unwrap();
        corpus.push((name.to_string(), text));
    }
    let cases: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}/tests/clinical/cases.json")).unwrap(),
    )
    .unwrap();
    for case in cases.as_array().unwrap() {
        corpus.push((
            case["name"].as_str().unwrap().to_string(),
            case["regimen"].to_string(),
        ));
    }
    let mut rng = Rng(20_240_603);
    let mut generated = Vec::new();
    for seq in 0..3000 {
        let r = regimen(&mut rng, kb, seq);
        generated.push(r.clone());
        corpus.push((format!("generated {seq}"), r.to_string()));
    }
    let mut out = String::new();
    for (label, text) in &corpus {
        record(&mut out, label, kb, text);
        record(&mut out, &format!("{label} with overrides"), &local, text);
    }
    // Batch screening, both line forms, with and without overrides.
    let lines: String = corpus
        .iter()
        .map(|(_, t)| {
            let v: Value = serde_json::from_str(t).unwrap();
            v.to_string() + "\n"
        })
        .collect();
    for (name, k) in [("bundled", kb), ("overrides", &local)] {
        for format in [LineFormat::Compact, LineFormat::Full] {
            let _ = writeln!(out, "=== screen {name} {format:?}");
            out.push_str(&screened(k, &lines, format));
        }
    }
    // CDS Hooks: the example call, and the generated regimens as order-sign calls.
    let service = Service::new(kb.clone()).with_as_of("2024-06-03".parse().unwrap());
    let example = std::fs::read(format!("{root}/examples/cds-order-sign.json")).unwrap();
    let _ = writeln!(out, "=== cds example");
    out.push_str(
        &service
            .call("medcheck-order-sign", &example)
            .unwrap_or_else(|e| e.to_json()),
    );
    out.push('\n');
    for (seq, r) in generated.iter().enumerate().take(1000) {
        let body = cds_request(r, seq).to_string();
        let _ = writeln!(out, "=== cds {seq}");
        out.push_str(
            &service
                .call("medcheck-order-sign", body.as_bytes())
                .unwrap_or_else(|e| e.to_json()),
        );
        out.push('\n');
    }
    std::fs::write(&path, &out).expect("written");
    eprintln!("wrote {} bytes to {}", out.len(), path.to_string_lossy());
}
