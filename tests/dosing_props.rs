//! Properties of the dose checks: the order of the items never changes a total or a finding, and
//! raising a dose never removes a dose finding.

mod common;

use common::*;
use proptest::prelude::*;
use serde_json::Value;

/// Items that take part in dose checks, with a unit for their dose.
const POOL: &[(&str, &str)] = &[
    ("acetaminophen", "mg"),
    ("hydrocodone-acetaminophen-5-325", "tablet"),
    ("oxycodone-acetaminophen-5-325", "tablet"),
    ("tramadol-acetaminophen-37-5-325", "tablet"),
    ("acetaminophen-oral-solution-160-mg-per-5-ml", "mL"),
    ("ibuprofen", "mg"),
    ("gabapentin", "mg"),
    ("gabapentin-300-capsule", "capsule"),
    ("tramadol", "mg"),
    ("oxycodone", "mg"),
    ("methadone", "mg"),
    ("fentanyl-transdermal-25", "patch"),
    ("codeine", "mg"),
    ("ketorolac", "mg"),
];

/// Dosage units are kept small (a count of tablets, capsules, patches, or mL).
fn modulus(unit: &str) -> Option<u32> {
    match unit {
        "tablet" | "capsule" | "patch" => Some(6),
        "mL" => Some(60),
        _ => None,
    }
}

#[derive(Clone, Debug)]
struct Item {
    pool: usize,
    dose: Option<u32>,
    times: Option<u32>,
    days: Option<u32>,
}

impl Item {
    fn json(&self) -> String {
        let (id, unit) = POOL[self.pool];
        let mut s = format!(r#"{{"id": "{id}""#);
        if let Some(d) = self.dose {
            // Dosage units stay small; masses range over plausible mg.
            let v = match modulus(unit) {
                Some(m) => d % m + 1,
                None => d,
            };
            s.push_str(&format!(r#", "dose": {{"value": {v}, "unit": "{unit}"}}"#));
        }
        if let Some(t) = self.times {
            s.push_str(&format!(r#", "times_per_day": {t}"#));
        }
        if let Some(d) = self.days {
            s.push_str(&format!(r#", "days": {d}"#));
        }
        s.push('}');
        s
    }
}

fn item() -> impl Strategy<Value = Item> {
    (
        0..POOL.len(),
        prop::option::weighted(0.85, 1u32..1500),
        prop::option::weighted(0.85, 1u32..7),
        prop::option::of(1u32..15),
    )
        .prop_map(|(pool, dose, times, days)| Item {
            pool,
            dose,
            times,
            days,
        })
}

fn patient() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{}".to_string()),
        Just(r#"{"age_years": 80, "weight_kg": 55, "sex": "female", "serum_creatinine_mg_dl": 1.6}"#.to_string()),
        Just(r#"{"age_years": 9, "weight_kg": 30}"#.to_string()),
        Just(r#"{"age_years": 45, "weight_kg": 45, "crcl_ml_min": 25, "conditions": ["chronic-alcohol-use", "opioid-naive"]}"#.to_string()),
    ]
}

fn report(patient: &str, items: &[Item]) -> Value {
    let items: Vec<String> = items.iter().map(Item::json).collect();
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    run(&regimen(patient, &refs))
}

/// Everything but `resolved`, which keeps input order by design.
fn order_free(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("resolved");
    v
}

/// The dose findings as comparable keys: (kind, rule, items, which limit).
fn dose_keys(v: &Value) -> Vec<(String, String, String, String)> {
    dose_findings(v)
        .iter()
        .filter(|f| f["kind"] != "opioid-mme")
        .map(|f| {
            (
                f["kind"].to_string(),
                f["rule"].to_string(),
                f["items"].to_string(),
                f["dose"]["limit"].to_string(),
            )
        })
        .collect()
}

fn mme_rank(v: &Value) -> u8 {
    match of_kind(v, "opioid-mme")
        .first()
        .map(|f| f["severity"].as_str().unwrap())
    {
        None => 0,
        Some("info") => 1,
        Some("minor") => 2,
        Some("moderate") => 3,
        Some("major") => 4,
        Some(_) => 5,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn daily_and_cumulative_doses_do_not_depend_on_item_order(
        patient in patient(),
        (items, order) in prop::collection::vec(item(), 1..7)
            .prop_flat_map(|items| {
                let n = items.len();
                (Just(items), Just((0..n).collect::<Vec<_>>()).prop_shuffle())
            }),
    ) {
        let shuffled: Vec<Item> = order.iter().map(|i| items[*i].clone()).collect();
        prop_assert_eq!(order_free(report(&patient, &items)), order_free(report(&patient, &shuffled)));
    }

    #[test]
    fn raising_a_dose_never_removes_a_dose_finding(
        patient in patient(),
        items in prop::collection::vec(item(), 1..7),
        which in any::<prop::sample::Index>(),
        factor in 2u32..4,
    ) {
        let before = report(&patient, &items);
        let i = which.index(items.len());
        let mut raised = items.clone();
        let unit = POOL[raised[i].pool].1;
        raised[i].dose = match (raised[i].dose, modulus(unit)) {
            // Dosage units are reduced modulo in `json`: raise them by one unit instead.
            (Some(d), Some(m)) if d % m < m - 1 => Some(d + 1),
            (Some(d), Some(_)) => Some(d),
            (Some(d), None) => Some(d * factor),
            (None, _) => None,
        };
        let after = report(&patient, &raised);
        let kept = dose_keys(&after);
        for key in dose_keys(&before) {
            prop_assert!(kept.contains(&key), "{:?} disappeared after raising {}", key, raised[i].json());
        }
        prop_assert!(mme_rank(&after) >= mme_rank(&before));
    }
}
