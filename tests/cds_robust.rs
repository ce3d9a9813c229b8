//! The CDS service on mangled requests: any field of the example replaced by any JSON value is
//! answered with cards or a client error (400, 412), never a panic or a server fault.

use medcheck::KnowledgeBase;
use medcheck::cds::Service;
use medcheck::fhir::Date;
use proptest::prelude::*;
use serde_json::{Value, json};

const EXAMPLE: &str = include_str!("../examples/cds-order-sign.json");

/// JSON pointers to every value in the document.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                pointers(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointers(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn replacement(kind: u8, n: i64) -> Value {
    match kind % 9 {
        0 => Value::Null,
        1 => json!(n),
        2 => json!(-0.000_001 * n as f64),
        3 => json!(format!("{n} mg")),
        4 => json!([]),
        5 => json!({}),
        6 => json!(true),
        7 => json!([{"resourceType": "MedicationRequest", "status": "draft"}]),
        _ => json!(1e300),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mangled_requests_never_fault(picks in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), any::<i64>()), 1..4)) {
        let service = Service::new(KnowledgeBase::bundled().clone())
            .with_as_of("2024-06-03".parse::<Date>().unwrap());
        let mut doc: Value = serde_json::from_str(EXAMPLE).unwrap();
        for (index, kind, n) in picks {
            let mut all = Vec::new();
            pointers(&doc, String::new(), &mut all);
            let at = index.get(&all).clone();
            if at.is_empty() {
                doc = replacement(kind, n);
            } else if let Some(slot) = doc.pointer_mut(&at) {
                *slot = replacement(kind, n);
            }
        }
        let body = doc.to_string();
        match service.call("medcheck-order-sign", body.as_bytes()) {
            Ok(answer) => {
                let v: Value = serde_json::from_str(&answer).unwrap();
                prop_assert!(v["cards"].is_array());
            }
            Err(e) => prop_assert!(
                matches!(e.status(), 400 | 412),
                "status {} for {}: {}", e.status(), e, body
            ),
        }
    }
}
