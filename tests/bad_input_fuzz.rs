//! The fuzz targets' job for CI: arbitrary bytes, arbitrary JSON values, regimen-shaped JSON
//! with hostile values, and randomly damaged copies of the bundled data go through the data
//! loader and the regimen parser (then the checker). Nothing may panic; whatever is refused is
//! refused with a message; whatever is accepted checks into a report that serializes.
//!
//! The coverage-guided versions of these are in `fuzz/` (cargo-fuzz, nightly only).

use medcheck::source::{FILES, Origin, SourceData};
use medcheck::{KnowledgeBase, Regimen, RegimenError};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn kb() -> &'static KnowledgeBase {
    KnowledgeBase::bundled()
}

/// Parses and checks a regimen against the bundled data; panics only if the library did.
fn regimen_round(text: &str) {
    match Regimen::from_json(text) {
        Ok(r) => match kb().check(&r) {
            Ok(report) => {
                let json: Value = serde_json::from_str(&report.to_json()).expect("report is JSON");
                assert!(json["status"].is_string());
                let _ = report.to_text();
                // Everything the regimen named is accounted for in `resolved`.
                let named = r.items.len() + r.patient.conditions.len() + r.patient.allergies.len();
                assert_eq!(report.resolved.len(), named);
            }
            Err(e) => assert!(e.to_string().starts_with("items["), "{e}"),
        },
        Err(e) => {
            let shown = e.to_string();
            assert!(!shown.trim().is_empty());
            if let RegimenError::Invalid { path, .. } = &e {
                assert!(
                    path.starts_with("items[") || path.starts_with("patient.") || path == "id",
                    "{shown}"
                );
            }
        }
    }
}

/// Parses one file's bytes into otherwise bundled data and loads it; panics only if the library
/// did.
fn loader_round(file: &str, bytes: &[u8]) {
    let mut data = SourceData::bundled().expect("bundled data parses");
    match data.parse_file(file, bytes) {
        Ok(()) => {
            if let Err(e) = KnowledgeBase::from_source(data, Origin::Bundled) {
                assert!(!e.problems().is_empty());
                for p in e.problems() {
                    assert!(p.contains(".json"), "a problem that names no file: {p}");
                }
            }
        }
        Err(e) => assert!(e.to_string().contains(file), "{e}"),
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z0-9 /.-]{0,12}".prop_map(Value::String),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Values chosen to sit on the edges of what the parser accepts.
fn hostile_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(0.5)),
        Just(json!(1e12)),
        Just(json!(1e-12)),
        Just(json!(i64::MAX)),
        Just(json!(u64::MAX)),
        Just(json!(f64::MAX)),
        Just(json!(4000.1)),
        Just(json!("NaN")),
        Just(json!("12")),
        Just(Value::Null),
        Just(json!([1])),
        (1u32..5000).prop_map(|n| json!(n)),
        (1u32..5000).prop_map(|n| json!(n as f64 / 7.0)),
    ]
}

fn known_name() -> impl Strategy<Value = String> {
    let names: Vec<String> = kb()
        .model()
        .concepts
        .iter()
        .flat_map(|c| {
            std::iter::once(c.id.to_string())
                .chain(std::iter::once(c.name.to_string()))
                .chain(c.names.iter().map(|n| n.to_string()))
        })
        .collect();
    prop_oneof![
        3 => prop::sample::select(names),
        1 => "[a-zA-Z' .-]{0,20}",
        1 => any::<String>(),
    ]
}

fn regimen_json() -> impl Strategy<Value = Value> {
    let unit = prop::sample::select(vec![
        "mg", "mcg", "g", "mcg/h", "mg/kg", "tablet", "patch", "mL", "capsule", "mgs", "",
    ]);
    let route = prop::sample::select(vec![
        "oral",
        "transdermal",
        "topical",
        "iv",
        "procedure",
        "by mouth",
    ]);
    let item = (
        known_name(),
        prop::option::of((hostile_number(), unit)),
        prop::option::of(hostile_number()),
        prop::option::of(hostile_number()),
        prop::option::of(route),
    )
        .prop_map(|(id, dose, times, days, route)| {
            let mut m = Map::new();
            m.insert("id".into(), json!(id));
            if let Some((value, unit)) = dose {
                m.insert("dose".into(), json!({"value": value, "unit": unit}));
            }
            if let Some(t) = times {
                m.insert("times_per_day".into(), t);
            }
            if let Some(d) = days {
                m.insert("days".into(), d);
            }
            if let Some(r) = route {
                m.insert("route".into(), json!(r));
            }
            Value::Object(m)
        });
    let patient = (
        prop::option::of(hostile_number()),
        prop::option::of(hostile_number()),
        prop::option::of(hostile_number()),
        prop::collection::vec(known_name(), 0..3),
        prop::collection::vec(known_name(), 0..3),
        prop::option::of(prop::sample::select(vec![
            "poor",
            "ultrarapid",
            "UM",
            "fast",
        ])),
    )
        .prop_map(|(age, weight, scr, conditions, allergies, phenotype)| {
            let mut m = Map::new();
            if let Some(a) = age {
                m.insert("age_years".into(), a);
            }
            if let Some(w) = weight {
                m.insert("weight_kg".into(), w);
                m.insert("sex".into(), json!("female"));
            }
            if let Some(c) = scr {
                m.insert("serum_creatinine_mg_dl".into(), c);
            }
            m.insert("conditions".into(), json!(conditions));
            m.insert("allergies".into(), json!(allergies));
            if let Some(p) = phenotype {
                m.insert("phenotypes".into(), json!({"CYP2D6": p}));
            }
            Value::Object(m)
        });
    (prop::collection::vec(item, 0..8), prop::option::of(patient)).prop_map(|(items, patient)| {
        let mut m = Map::new();
        m.insert("items".into(), Value::Array(items));
        if let Some(p) = patient {
            m.insert("patient".into(), p);
        }
        Value::Object(m)
    })
}

/// One random change to a JSON tree: replace a node, drop an object key, or repeat an array
/// element. `path` picks the node (each step an index into the children, modulo their count).
fn damage(v: &mut Value, path: &[usize], action: u8, with: &Value) {
    let children = match v {
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        _ => 0,
    };
    if path.is_empty() || children == 0 {
        match (action % 3, &mut *v) {
            (1, Value::Object(o)) if !o.is_empty() => {
                let key = o.keys().next().cloned().expect("non-empty");
                o.remove(&key);
            }
            (2, Value::Array(a)) if !a.is_empty() => {
                let first = a[0].clone();
                a.push(first);
            }
            _ => *v = with.clone(),
        }
        return;
    }
    let i = path[0] % children;
    let child = match v {
        Value::Array(a) => &mut a[i],
        Value::Object(o) => o.values_mut().nth(i).expect("in range"),
        _ => unreachable!(),
    };
    damage(child, &path[1..], action, with);
}

fn bundled_file(file: &str) -> Value {
    let text = medcheck::source::BUNDLED
        .iter()
        .find(|(f, _)| *f == file)
        .expect("bundled file")
        .1;
    serde_json::from_str(text).expect("bundled JSON")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), which in 0..FILES.len()) {
        loader_round(FILES[which].0, &bytes);
        regimen_round(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_json_never_panics(value in json_value(), which in 0..FILES.len()) {
        let text = value.to_string();
        loader_round(FILES[which].0, text.as_bytes());
        regimen_round(&text);
        // The same value where the parser expects items, and as a patient.
        regimen_round(&json!({"items": [value.clone()]}).to_string());
        regimen_round(&json!({"patient": value, "items": []}).to_string());
    }

    #[test]
    fn hostile_regimens_never_panic(value in regimen_json()) {
        regimen_round(&value.to_string());
    }

    #[test]
    fn arbitrary_override_files_never_panic(value in json_value(), rule in json_value()) {
        for text in [
            value.to_string(),
            json!({"by": "x", "changes": [value.clone()]}).to_string(),
            json!({"by": "x", "rules": [rule.clone()], "products": [value.clone()]}).to_string(),
            json!({"by": value, "changes": [{"rule": rule, "severity": "minor", "reason": "r"}]}).to_string(),
        ] {
            match medcheck::Overrides::from_json("o.json", &text).and_then(|o| o.apply(kb())) {
                Ok(k) => {
                    let r = Regimen::from_json(r#"{"items": [{"id": "warfarin"}, {"id": "ibuprofen"}]}"#).unwrap();
                    k.check(&r).expect("checks");
                }
                Err(e) => assert!(e.problems().iter().all(|p| p.contains("o.json")), "{e}"),
            }
        }
    }

    #[test]
    fn damaged_data_never_panics(
        which in 0..FILES.len(),
        path in prop::collection::vec(any::<usize>(), 0..6),
        action in any::<u8>(),
        with in json_value(),
    ) {
        let file = FILES[which].0;
        let mut value = bundled_file(file);
        damage(&mut value, &path, action, &with);
        loader_round(file, value.to_string().as_bytes());
    }
}
