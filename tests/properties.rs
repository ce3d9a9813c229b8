//! Properties of checking, on generated knowledge bases and regimens and on the bundled data.
//!
//! - the report does not depend on the order of the regimen's items or of the data's entries;
//! - a rule between A and B fires the same whichever end is listed first;
//! - adding an item never removes a finding about the other items, and raising a dose never
//!   removes a dose finding;
//! - class expansion is exact: the rule-based findings equal those of a slow reference checker
//!   (`properties/reference.rs`) that follows data/README.md by plain recursive walks;
//! - an item the knowledge base cannot check is always an `unknown-item` finding, so such a
//!   report is never clean;
//! - a knowledge base written out and loaded again checks every regimen the same.

#[path = "properties/generate.rs"]
mod generate;
#[path = "properties/reference.rs"]
mod reference;

use std::collections::BTreeSet;

use generate::{GenRegimen, Generated, Rng, Shape};
use medcheck::source::{Origin, RawEndpoint, SourceData};
use medcheck::{KnowledgeBase, Regimen};
use proptest::prelude::*;
use serde_json::Value;

fn load(data: &SourceData) -> KnowledgeBase {
    KnowledgeBase::from_source(data.clone(), Origin::Bundled)
        .unwrap_or_else(|e| panic!("generated data does not load: {e}\n{data:#?}"))
}

/// The report as JSON; panics if the regimen is refused (the generator makes only regimens
/// that can be checked).
fn report(kb: &KnowledgeBase, regimen: &str) -> Value {
    let r = Regimen::from_json(regimen).unwrap_or_else(|e| panic!("{e}: {regimen}"));
    let report = kb.check(&r).unwrap_or_else(|e| panic!("{e}: {regimen}"));
    serde_json::from_str(&report.to_json()).expect("JSON")
}

fn without_resolved(mut v: Value) -> Value {
    v.as_object_mut().expect("object").remove("resolved");
    v
}

fn findings(v: &Value) -> &Vec<Value> {
    v["findings"].as_array().expect("findings")
}

fn rank(severity: &Value) -> usize {
    ["info", "minor", "moderate", "major", "contraindicated"]
        .iter()
        .position(|s| severity == s)
        .expect("a severity")
}

fn items_of(f: &Value) -> BTreeSet<&str> {
    f["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i.as_str().expect("item id"))
        .collect()
}

/// True when `after` still says what finding `f` said: the same rule about at least the same
/// items (for totals: a total of the same kind over at least those items, at least as severe).
fn still_there(f: &Value, after: &[Value]) -> bool {
    let items = items_of(f);
    after.iter().any(|g| {
        if !items.is_subset(&items_of(g)) {
            return false;
        }
        match (f["kind"].as_str(), f["rule"].as_str()) {
            (Some("opioid-mme"), _) => {
                g["kind"] == "opioid-mme" && rank(&g["severity"]) >= rank(&f["severity"])
            }
            (Some("cumulative-dose"), _) => g["kind"] == "cumulative-dose",
            (_, Some("medcheck:same-ingredient")) => {
                g["rule"] == "medcheck:same-ingredient" || g["kind"] == "cumulative-dose"
            }
            _ => {
                g["kind"] == f["kind"]
                    && g["rule"] == f["rule"]
                    && g["condition"] == f["condition"]
                    && g["allergy"] == f["allergy"]
                    && g["input"] == f["input"]
                    && g["dose"]["limit"] == f["dose"]["limit"]
                    && rank(&g["severity"]) >= rank(&f["severity"])
            }
        }
    })
}

fn is_dose_finding(f: &Value) -> bool {
    matches!(
        f["kind"].as_str(),
        Some("dose-limit" | "cumulative-dose" | "opioid-mme")
    ) || f["rule"] == "medcheck:same-ingredient"
}

/// The rule-based findings of a report, in the reference checker's terms.
fn rule_findings(data: &SourceData, v: &Value) -> BTreeSet<reference::Key> {
    let rules: BTreeSet<&str> = data.rules.iter().map(|r| r.id.as_str()).collect();
    findings(v)
        .iter()
        .filter(|f| {
            let rule = f["rule"].as_str().expect("rule");
            rules.contains(rule) || rule == "medcheck:documented-allergy"
        })
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                items_of(f).into_iter().map(str::to_string).collect(),
                f["condition"].as_str().map(str::to_string),
                f["allergy"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn case(seed: u64) -> (Rng, Generated) {
    let mut rng = Rng::new(seed);
    let g = generate::knowledge_base(&mut rng);
    (rng, g)
}

fn bundled() -> Generated {
    let data = SourceData::bundled().expect("bundled data");
    let shape = Shape::of(&data);
    Generated { data, shape }
}

fn flip_interactions(data: &mut SourceData, rng: &mut Rng) {
    for r in &mut data.rules {
        if let Some(b) = r.between.as_mut() {
            if rng.chance(0.7) {
                b.swap(0, 1);
            }
        }
    }
}

fn check_order_independence(g: &Generated, rng: &mut Rng) {
    let kb = load(&g.data);
    let mut shuffled = g.data.clone();
    generate::shuffle_entries(rng, &mut shuffled);
    let kb2 = load(&shuffled);
    for _ in 0..4 {
        let mut r = generate::regimen(rng, g);
        let before = without_resolved(report(&kb, &r.to_json()));
        rng.shuffle(&mut r.items);
        let after = without_resolved(report(&kb2, &r.to_json()));
        assert_eq!(before, after, "regimen {}", r.to_json());
    }
}

fn check_symmetry(g: &Generated, rng: &mut Rng) {
    let kb = load(&g.data);
    let mut flipped = g.data.clone();
    flip_interactions(&mut flipped, rng);
    let kb2 = load(&flipped);
    for _ in 0..4 {
        let r = generate::regimen(rng, g).to_json();
        assert_eq!(report(&kb, &r), report(&kb2, &r), "regimen {r}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn class_expansion_matches_the_reference_checker(seed in any::<u64>()) {
        let (mut rng, g) = case(seed);
        let kb = load(&g.data);
        for _ in 0..6 {
            let r = generate::regimen(&mut rng, &g);
            let actual = rule_findings(&g.data, &report(&kb, &r.to_json()));
            let expected = reference::expected(&g.data, &g.shape, &r);
            prop_assert_eq!(
                &actual, &expected,
                "regimen {}\nonly in report: {:?}\nonly in reference: {:?}",
                r.to_json(),
                actual.difference(&expected).collect::<Vec<_>>(),
                expected.difference(&actual).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn the_report_does_not_depend_on_item_or_entry_order(seed in any::<u64>()) {
        let (mut rng, g) = case(seed);
        check_order_independence(&g, &mut rng);
    }

    #[test]
    fn a_rule_fires_the_same_whichever_end_is_listed_first(seed in any::<u64>()) {
        let (mut rng, g) = case(seed);
        check_symmetry(&g, &mut rng);
    }

    #[test]
    fn adding_an_item_never_removes_a_finding_about_the_others(seed in any::<u64>()) {
        let (mut rng, g) = case(seed);
        let kb = load(&g.data);
        for _ in 0..4 {
            let r = generate::regimen(&mut rng, &g);
            let before = report(&kb, &r.to_json());
            let mut more = r.clone();
            more.items.push(generate::item(&mut rng, &g));
            let after = report(&kb, &more.to_json());
            // Findings about the other items: a new entry of an item already listed (by
            // another route, say) may rightly make a more specific rule replace one about it.
            let added = more.items.last().unwrap().concept.clone();
            let about_others = |f: &&Value| {
                added.as_deref().is_none_or(|c| !items_of(f).contains(c))
            };
            for f in findings(&before).iter().filter(about_others) {
                prop_assert!(
                    still_there(f, findings(&after)),
                    "lost {f}\nadding {} to {}\nafter: {}",
                    more.items.last().unwrap().json, r.to_json(), after["findings"]
                );
            }
        }
    }

    #[test]
    fn raising_a_dose_never_removes_a_dose_finding(seed in any::<u64>(), factor in 2u64..6) {
        let (mut rng, g) = case(seed);
        let kb = load(&g.data);
        for _ in 0..4 {
            let r = generate::regimen(&mut rng, &g);
            let dosed: Vec<usize> = (0..r.items.len())
                .filter(|i| r.items[*i].json.get("dose").is_some())
                .collect();
            if dosed.is_empty() {
                continue;
            }
            let i = *rng.pick(&dosed);
            let mut higher = r.clone();
            let dose = &mut higher.items[i].json["dose"]["value"];
            *dose = (dose.as_u64().expect("whole-number dose") * factor).into();
            let before = report(&kb, &r.to_json());
            let after = report(&kb, &higher.to_json());
            for f in findings(&before).iter().filter(|f| is_dose_finding(f)) {
                prop_assert!(
                    still_there(f, findings(&after)),
                    "lost {f}\nraising item {i} x{factor} in {}\nafter: {}",
                    r.to_json(), after["findings"]
                );
            }
        }
    }

    #[test]
    fn an_item_that_was_not_checked_is_always_reported(seed in any::<u64>()) {
        let (mut rng, g) = case(seed);
        let kb = load(&g.data);
        for _ in 0..4 {
            let mut r = generate::regimen(&mut rng, &g);
            // Names nothing in the data knows, and names of things that are not items.
            let mut unchecked: Vec<String> = vec![format!("zz not a drug {}", rng.below(100))];
            if let Some(c) = g.data.classes.first() {
                unchecked.push(c.name.clone());
            }
            unchecked.push(rng.pick(&g.data.conditions).id.clone());
            for name in &unchecked {
                r.items.insert(rng.below(r.items.len() + 1), generate::GenItem {
                    json: serde_json::json!({"id": name}),
                    concept: None,
                });
            }
            let v = report(&kb, &r.to_json());
            prop_assert_eq!(&v["status"], "findings");
            for name in &unchecked {
                prop_assert!(
                    findings(&v).iter().any(|f| f["kind"] == "unknown-item"
                        && f["rule"] == "medcheck:unknown-item"
                        && f["input"] == name.as_str()
                        && rank(&f["severity"]) >= rank(&"major".into())),
                    "no unknown-item finding for {name}: {}", v["findings"]
                );
            }
        }
    }

    #[test]
    fn a_knowledge_base_written_out_and_loaded_again_checks_the_same(seed in any::<u64>()) {
        let (mut rng, g) = case(seed);
        let kb = load(&g.data);
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("round-trip-{seed:016x}"));
        let _ = std::fs::remove_dir_all(&dir);
        kb.to_source().write_dir(&dir).expect("written");
        let again = KnowledgeBase::from_dir(&dir).expect("the written data loads");
        std::fs::remove_dir_all(&dir).expect("cleaned up");
        // Writing out is stable: the reloaded knowledge base writes out the same.
        prop_assert_eq!(kb.to_source(), again.to_source());
        for _ in 0..4 {
            let r = generate::regimen(&mut rng, &g).to_json();
            prop_assert_eq!(report(&kb, &r), report(&again, &r), "regimen {}", r);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn bundled_data_reports_do_not_depend_on_order(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        check_order_independence(&bundled(), &mut rng);
    }

    #[test]
    fn bundled_rules_fire_the_same_whichever_end_is_first(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        check_symmetry(&bundled(), &mut rng);
    }

    #[test]
    fn bundled_class_expansion_matches_the_reference_checker(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let g = bundled();
        let kb = KnowledgeBase::bundled();
        for _ in 0..4 {
            let r: GenRegimen = generate::regimen(&mut rng, &g);
            let actual = rule_findings(&g.data, &report(kb, &r.to_json()));
            let expected = reference::expected(&g.data, &g.shape, &r);
            prop_assert_eq!(&actual, &expected, "regimen {}", r.to_json());
        }
    }
}

#[test]
fn the_bundled_knowledge_base_round_trips() {
    let kb = KnowledgeBase::bundled();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("round-trip-bundled");
    let _ = std::fs::remove_dir_all(&dir);
    kb.to_source().write_dir(&dir).unwrap();
    let again = KnowledgeBase::from_dir(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(kb.stats(), again.stats());
    assert_eq!(kb.to_source(), again.to_source());
    let example = include_str!("../examples/regimen.json");
    assert_eq!(report(kb, example), report(&again, example));
}

#[test]
fn a_flipped_endpoint_is_not_ignored() {
    // Guard for the symmetry property: flipping really changes the data it loads.
    let mut data = SourceData::bundled().unwrap();
    let before = data.clone();
    flip_interactions(&mut data, &mut Rng::new(1));
    assert_ne!(before, data);
    let changed = data
        .rules
        .iter()
        .zip(&before.rules)
        .filter(|(a, b)| a.between != b.between)
        .count();
    assert!(changed > 0);
    assert!(matches!(
        data.rules.iter().find_map(|r| r.between.as_ref()),
        Some(v) if matches!(v[0], RawEndpoint::Id(_) | RawEndpoint::WithRoute { .. })
    ));
}
