//! The CDS Hooks service over real HTTP on an ephemeral loopback port: discovery, both hooks,
//! the prefetch path, malformed and oversized requests.
#![cfg(feature = "server")]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use medcheck::KnowledgeBase;
use medcheck::cds::server::{self, Handle};
use medcheck::cds::{MAX_REQUEST_BYTES, Service};
use medcheck::fhir::Date;
use serde_json::{Value, json};

const EXAMPLE: &str = include_str!("../../examples/cds-order-sign.json");

fn start() -> Handle {
    let service = Service::new(KnowledgeBase::bundled().clone())
        .with_as_of("2024-06-03".parse::<Date>().unwrap());
    server::start(service, "127.0.0.1:0".parse().unwrap()).expect("server starts")
}

struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// A minimal HTTP/1.1 client: one request per connection.
fn send(addr: SocketAddr, request: &[u8]) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    parse(&raw)
}

fn parse(raw: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a full response");
    let status = head[9..12].parse().unwrap();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut rest = body;
        loop {
            let (size, after) = rest.split_once("\r\n").unwrap();
            let n = usize::from_str_radix(size.trim(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.push_str(&after[..n]);
            rest = &after[n + 2..];
        }
        out
    } else {
        body.to_string()
    };
    Answer {
        status,
        head: head.to_string(),
        body,
    }
}

fn request(method: &str, path: &str, content_type: Option<&str>, body: &str) -> Vec<u8> {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if let Some(ct) = content_type {
        r += &format!("Content-Type: {ct}\r\n");
    }
    if method == "POST" {
        r += &format!("Content-Length: {}\r\n", body.len());
    }
    r += "\r\n";
    r += body;
    r.into_bytes()
}

fn post(addr: SocketAddr, service: &str, body: &str) -> Answer {
    send(
        addr,
        &request(
            "POST",
            &format!("/cds-services/{service}"),
            Some("application/json"),
            body,
        ),
    )
}

fn example() -> Value {
    serde_json::from_str(EXAMPLE).unwrap()
}

/// The spec: optional fields are omitted, never null or empty.
fn assert_no_null_or_empty(v: &Value, at: &str) {
    match v {
        Value::Null => panic!("{at} is null"),
        Value::String(s) => assert!(!s.is_empty(), "{at} is an empty string"),
        Value::Array(a) => {
            assert!(!a.is_empty(), "{at} is an empty array");
            for (i, x) in a.iter().enumerate() {
                assert_no_null_or_empty(x, &format!("{at}[{i}]"));
            }
        }
        Value::Object(o) => {
            assert!(!o.is_empty(), "{at} is an empty object");
            for (k, x) in o {
                assert_no_null_or_empty(x, &format!("{at}.{k}"));
            }
        }
        _ => {}
    }
}

fn cards_of(answer: &Answer) -> Vec<Value> {
    assert_eq!(answer.status, 200, "{}", answer.body);
    let v = answer.json();
    let cards = v["cards"].as_array().expect("a cards array").clone();
    for (i, c) in cards.iter().enumerate() {
        assert_no_null_or_empty(c, &format!("cards[{i}]"));
        let summary = c["summary"].as_str().unwrap();
        assert!(summary.chars().count() < 140, "summary too long: {summary}");
        assert!(["info", "warning", "critical"].contains(&c["indicator"].as_str().unwrap()));
        assert!(c["source"]["label"].is_string());
        assert!(uuid_like(c["uuid"].as_str().unwrap()), "{}", c["uuid"]);
    }
    cards
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36
        && s.chars().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn find<'c>(cards: &'c [Value], needle: &str) -> Option<&'c Value> {
    cards
        .iter()
        .find(|c| c["summary"].as_str().unwrap().contains(needle))
}

#[test]
fn discovery_lists_both_hooks_with_prefetch_templates() {
    let server = start();
    let a = send(server.addr(), &request("GET", "/cds-services", None, ""));
    assert_eq!(a.status, 200);
    assert!(
        a.head
            .to_ascii_lowercase()
            .contains("content-type: application/json")
    );
    let v = a.json();
    assert_no_null_or_empty(&v, "discovery");
    let services = v["services"].as_array().unwrap();
    let hooks: Vec<&str> = services
        .iter()
        .map(|s| s["hook"].as_str().unwrap())
        .collect();
    assert_eq!(hooks, ["order-select", "order-sign"]);
    for s in services {
        assert!(s["id"].as_str().unwrap().starts_with("medcheck-"));
        assert!(s["description"].is_string());
        assert_eq!(
            s["prefetch"]["medications"],
            "MedicationRequest?patient={{context.patientId}}&status=active"
        );
        assert_eq!(s["prefetch"]["patient"], "Patient/{{context.patientId}}");
    }
}

#[test]
fn order_sign_answers_with_cards_for_the_new_orders() {
    let server = start();
    let a = post(server.addr(), "medcheck-order-sign", EXAMPLE);
    let cards = cards_of(&a);
    // Most urgent first.
    assert_eq!(cards[0]["indicator"], "critical");
    let allergy = find(&cards, "NSAIDs after asthma").expect("the aspirin-NSAID card");
    assert_eq!(allergy["indicator"], "critical");
    assert!(
        allergy["summary"]
            .as_str()
            .unwrap()
            .starts_with("Contraindicated: ")
    );
    let detail = allergy["detail"].as_str().unwrap();
    assert!(detail.contains("**Management:**"), "{detail}");
    assert!(detail.contains("rx-ibuprofen-new"), "{detail}");
    assert!(!allergy["overrideReasons"].as_array().unwrap().is_empty());
    for r in allergy["overrideReasons"].as_array().unwrap() {
        assert!(r["display"].is_string() && r["code"].is_string() && r["system"].is_string());
    }
    // The new gabapentin: with the current oxycodone (prefetch), and over the renal dose limit.
    let opioid =
        find(&cards, "Gabapentinoids with opioids").expect("the opioid-gabapentinoid card");
    assert_eq!(opioid["indicator"], "critical");
    assert!(
        opioid["detail"]
            .as_str()
            .unwrap()
            .contains("**Monitoring:**")
    );
    assert!(
        opioid["source"]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    let dose = find(&cards, "1800 mg/day").expect("the gabapentin dose card");
    assert!(dose["detail"].as_str().unwrap().contains("crcl-30-to-59"));
    let beers = find(&cards, "Three or more CNS-active").expect("the CNS-load card");
    assert_eq!(beers["indicator"], "warning");
    // Alprazolam with oxycodone predates these orders: not repeated at every order.
    assert!(find(&cards, "Opioids with benzodiazepines").is_none());
    // The unknown supplement is part of the record, not an order: said in the context card.
    let context = find(&cards, "Checked without part of the record").expect("a context card");
    assert_eq!(context["indicator"], "info");
    assert!(context["detail"].as_str().unwrap().contains("Turmeric"));
    assert!(
        context["detail"]
            .as_str()
            .unwrap()
            .contains("Chronic low back pain")
    );
    // Same request, same answer, byte for byte; every card has its own uuid.
    let again = post(server.addr(), "medcheck-order-sign", EXAMPLE);
    assert_eq!(a.body, again.body);
    let mut ids: Vec<&str> = cards.iter().map(|c| c["uuid"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), cards.len());
}

#[test]
fn order_select_focuses_on_the_selected_orders() {
    let server = start();
    let mut req = example();
    req["hook"] = json!("order-select");
    req["context"]["selections"] = json!(["MedicationRequest/rx-ibuprofen-new"]);
    let cards = cards_of(&post(
        server.addr(),
        "medcheck-order-select",
        &req.to_string(),
    ));
    assert!(find(&cards, "NSAIDs after asthma").is_some());
    // Gabapentin is a draft order but not selected: its cards wait for its own selection.
    assert!(find(&cards, "Gabapentinoids with opioids").is_none());
    assert!(find(&cards, "1800 mg/day").is_none());
    // A selection that is not among the draft orders is a bad request.
    req["context"]["selections"] = json!(["MedicationRequest/nope"]);
    let a = post(server.addr(), "medcheck-order-select", &req.to_string());
    assert_eq!(a.status, 400);
    assert!(
        a.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("context.selections[0]")
    );
}

#[test]
fn prefetch_decides_what_the_orders_are_checked_against() {
    let server = start();
    // No prefetch at all: the service does not fetch the record itself (412).
    let mut req = example();
    req.as_object_mut().unwrap().remove("prefetch");
    let a = post(server.addr(), "medcheck-order-sign", &req.to_string());
    assert_eq!(a.status, 412, "{}", a.body);
    assert!(
        a.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("medications")
    );
    // Only `medications`, as null (the patient takes nothing): checked, and the card says what
    // was not sent.
    req["prefetch"] = json!({"medications": null});
    let cards = cards_of(&post(
        server.addr(),
        "medcheck-order-sign",
        &req.to_string(),
    ));
    assert!(find(&cards, "Gabapentinoids with opioids").is_none());
    let context = find(&cards, "record part(s) not sent").expect("a context card");
    let detail = context["detail"].as_str().unwrap();
    for key in ["patient", "conditions", "allergies", "creatinine", "weight"] {
        assert!(detail.contains(key), "{key} missing from {detail}");
    }
    // Without the allergy list there is no allergy card; without renal data no renal band.
    assert!(find(&cards, "NSAIDs after asthma").is_none());
    // An OperationOutcome in place of a prefetch counts as not sent.
    req["prefetch"] = example()["prefetch"].clone();
    req["prefetch"]["allergies"] = json!({"resourceType": "OperationOutcome", "issue": []});
    let cards_oo = cards_of(&post(
        server.addr(),
        "medcheck-order-sign",
        &req.to_string(),
    ));
    assert!(find(&cards_oo, "NSAIDs after asthma").is_none());
    assert!(find(&cards_oo, "Gabapentinoids with opioids").is_some());
    // A prefetched patient that is not the patient in context is refused.
    req["prefetch"] = example()["prefetch"].clone();
    req["prefetch"]["patient"]["id"] = json!("someone-else");
    let a = post(server.addr(), "medcheck-order-sign", &req.to_string());
    assert_eq!(a.status, 400);
    assert!(a.body.contains("prefetch.patient.id"), "{}", a.body);
}

#[test]
fn an_order_medcheck_does_not_know_is_a_warning_card() {
    let server = start();
    let mut req = example();
    req["context"]["draftOrders"]["entry"] = json!([{"resource": {
        "resourceType": "MedicationRequest", "id": "rx-new", "status": "draft",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "999999"}],
            "text": "Kratom extract"}}}]);
    let cards = cards_of(&post(
        server.addr(),
        "medcheck-order-sign",
        &req.to_string(),
    ));
    let card = find(&cards, "Not checked: Kratom extract").expect("a not-checked card");
    // An unknown item is a major finding, and major maps to critical.
    assert_eq!(card["indicator"], "critical");
    let detail = card["detail"].as_str().unwrap();
    assert!(detail.contains("rxnorm:999999"), "{detail}");
    assert!(detail.contains("**not checked**"), "{detail}");
    assert_eq!(card["overrideReasons"][0]["code"], "checked-elsewhere");
}

#[test]
fn malformed_requests_get_the_right_status_and_a_json_error() {
    let server = start();
    let addr = server.addr();
    let error_of = |a: &Answer| a.json()["error"]["message"].as_str().unwrap().to_string();
    let a = post(addr, "medcheck-order-sign", "{not json");
    assert_eq!(a.status, 400);
    assert!(error_of(&a).contains("not JSON"));
    let a = post(addr, "medcheck-order-sign", "[]");
    assert_eq!(a.status, 400);
    let mut req = example();
    req["hook"] = json!("patient-view");
    let a = post(addr, "medcheck-order-sign", &req.to_string());
    assert_eq!(a.status, 400);
    assert!(error_of(&a).starts_with("hook:"), "{}", a.body);
    let mut req = example();
    req["context"]
        .as_object_mut()
        .unwrap()
        .remove("draftOrders");
    let a = post(addr, "medcheck-order-sign", &req.to_string());
    assert_eq!(a.status, 400);
    assert_eq!(error_of(&a), "context.draftOrders: required");
    let mut req = example();
    req.as_object_mut().unwrap().remove("hookInstance");
    assert_eq!(
        post(addr, "medcheck-order-sign", &req.to_string()).status,
        400
    );
    // A FHIR field of the wrong shape is named with its path.
    let mut req = example();
    req["context"]["draftOrders"]["entry"][0]["resource"]["dosageInstruction"][0]["timing"] =
        json!("three times a day");
    let a = post(addr, "medcheck-order-sign", &req.to_string());
    assert_eq!(a.status, 400);
    let message = error_of(&a);
    assert!(
        message.contains(
            "context.draftOrders.entry[0].resource (MedicationRequest/rx-gabapentin-new)"
        ),
        "{message}"
    );
    assert!(message.contains("timing"), "{message}");
    // Not JSON by content type, unknown service, wrong method, unknown path.
    let a = send(
        addr,
        &request(
            "POST",
            "/cds-services/medcheck-order-sign",
            Some("text/plain"),
            EXAMPLE,
        ),
    );
    assert_eq!(a.status, 415);
    assert!(error_of(&a).contains("text/plain"));
    let a = post(addr, "no-such-service", EXAMPLE);
    assert_eq!(a.status, 404);
    assert!(error_of(&a).contains("no-such-service"));
    let a = send(
        addr,
        &request("GET", "/cds-services/medcheck-order-sign", None, ""),
    );
    assert_eq!(a.status, 405);
    assert!(a.json()["error"].is_object());
    let a = send(addr, &request("GET", "/elsewhere", None, ""));
    assert_eq!(a.status, 404);
    assert!(a.json()["error"].is_object());
    // Still serving.
    assert_eq!(post(addr, "medcheck-order-sign", EXAMPLE).status, 200);
}

#[test]
fn an_oversized_request_is_refused_and_the_service_keeps_serving() {
    let server = start();
    let addr = server.addr();
    // Refused from its Content-Length, before the body is sent (Expect: 100-continue).
    let size = MAX_REQUEST_BYTES + 1;
    let head = format!(
        "POST /cds-services/medcheck-order-sign HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {size}\r\nExpect: 100-continue\r\n\r\n"
    );
    let a = send(addr, head.as_bytes());
    assert_eq!(a.status, 413, "{}", a.body);
    assert!(
        a.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("larger than")
    );
    // Without a Content-Length (chunked), refused once the limit is passed.
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(b"POST /cds-services/medcheck-order-sign HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap();
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    while sent <= MAX_REQUEST_BYTES {
        let mut c = format!("{:x}\r\n", chunk.len()).into_bytes();
        c.extend_from_slice(&chunk);
        c.extend_from_slice(b"\r\n");
        if s.write_all(&c).is_err() {
            break;
        }
        sent += chunk.len();
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    if !raw.is_empty() {
        assert_eq!(parse(&raw).status, 413);
    }
    // Still serving.
    let a = send(addr, &request("GET", "/cds-services", None, ""));
    assert_eq!(a.status, 200);
}

#[test]
fn cards_show_local_overrides() {
    // The example override file raises St John's wort with oxycodone to major and disables the
    // acupuncture-anticoagulant rule (to info); a card must say so, with who decided it.
    let text = std::fs::read_to_string("../examples/overrides.json").unwrap();
    let overrides = medcheck::Overrides::from_json("examples/overrides.json", &text).unwrap();
    let kb = overrides.apply(KnowledgeBase::bundled()).unwrap();
    let service = Service::new(kb).with_as_of("2024-06-03".parse::<Date>().unwrap());
    let order = |id: &str, status: &str, text: &str| {
        json!({"resource": {"resourceType": "MedicationRequest", "id": id, "status": status,
                            "intent": "order", "medicationCodeableConcept": {"text": text}}})
    };
    let request = json!({
        "hook": "order-sign", "hookInstance": "h-1",
        "context": {"userId": "Practitioner/a", "patientId": "p",
                    "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                    "entry": [order("o", "draft", "oxycodone")]}},
        "prefetch": {"medications": {"resourceType": "Bundle", "type": "searchset",
                                     "entry": [order("s", "active", "St John's wort")]}}
    });
    let answer: Value = serde_json::from_str(
        &service
            .call("medcheck-order-sign", request.to_string().as_bytes())
            .unwrap(),
    )
    .unwrap();
    let cards = answer["cards"].as_array().unwrap();
    let card = cards
        .iter()
        .find(|c| {
            c["detail"]
                .as_str()
                .unwrap()
                .contains("st-johns-wort-oxycodone")
        })
        .unwrap_or_else(|| panic!("{answer:#}"));
    let detail = card["detail"].as_str().unwrap();
    assert!(
        detail.contains("**Local override:** severity changed from moderate to major by Pharmacy and Therapeutics Committee, 2026-11"),
        "{detail}"
    );
    assert_eq!(card["indicator"], "critical");
}
