//! Opioid MME with the CDC 2022 factors, for every opioid in the bundled data, and
//! Cockcroft-Gault against worked examples.

mod common;

use common::*;
use medcheck::KnowledgeBase;
use medcheck::check::crcl_cockcroft_gault;
use medcheck::regimen::Sex;
use medcheck::units::Ratio;

fn r(s: &str) -> Ratio {
    s.parse().unwrap()
}

/// (substance, dose item, expected MME/day): one case per conversion factor in the data.
const CASES: &[(&str, &str, f64)] = &[
    (
        "codeine",
        r#"{"id": "codeine", "dose": {"value": 60, "unit": "mg"}, "times_per_day": 4}"#,
        36.0,
    ),
    (
        "fentanyl",
        r#"{"id": "fentanyl", "dose": {"value": 25, "unit": "mcg/h"}, "route": "transdermal"}"#,
        60.0,
    ),
    (
        "hydrocodone",
        r#"{"id": "hydrocodone", "dose": {"value": 10, "unit": "mg"}, "times_per_day": 4}"#,
        40.0,
    ),
    (
        "hydromorphone",
        r#"{"id": "hydromorphone", "dose": {"value": 4, "unit": "mg"}, "times_per_day": 6}"#,
        120.0,
    ),
    (
        "methadone",
        r#"{"id": "methadone", "dose": {"value": 10, "unit": "mg"}, "times_per_day": 2}"#,
        94.0,
    ),
    (
        "morphine",
        r#"{"id": "morphine", "dose": {"value": 30, "unit": "mg"}, "times_per_day": 2}"#,
        60.0,
    ),
    (
        "oxycodone",
        r#"{"id": "oxycodone", "dose": {"value": 10, "unit": "mg"}, "times_per_day": 2}"#,
        30.0,
    ),
    (
        "oxymorphone",
        r#"{"id": "oxymorphone", "dose": {"value": 10, "unit": "mg"}, "times_per_day": 2}"#,
        60.0,
    ),
    (
        "tapentadol",
        r#"{"id": "tapentadol", "dose": {"value": 100, "unit": "mg"}, "times_per_day": 4}"#,
        160.0,
    ),
    (
        "tramadol",
        r#"{"id": "tramadol", "dose": {"value": 100, "unit": "mg"}, "times_per_day": 4}"#,
        80.0,
    ),
];

/// The MME total of a regimen: the opioid-mme finding's value, or `None` when there is none.
fn mme(items: &[&str]) -> Option<f64> {
    let report = run(&regimen("{}", items));
    of_kind(&report, "opioid-mme")
        .first()
        .map(|f| num(&f["dose"]["value"]["value"]))
}

#[test]
fn every_opioid_conversion_in_the_data_has_a_case_and_gives_its_cdc_value() {
    let model = KnowledgeBase::bundled().model();
    for c in &model.opioid_conversions {
        let name = &*model.concept(c.substance).id;
        if c.factor.is_none() {
            assert!(c.note.is_some(), "{name} without a factor must say why");
            continue;
        }
        assert!(
            CASES.iter().any(|(s, _, _)| *s == name),
            "no MME test for {name}"
        );
    }
    for (name, item, expected) in CASES {
        // Below 50 MME/day only an incomplete total makes a finding: pair each with enough
        // morphine to pass the first threshold and subtract it.
        let filler = r#"{"id": "morphine", "dose": {"value": 50, "unit": "mg"}, "times_per_day": 1, "route": "oral"}"#;
        let got = if *name == "morphine" {
            mme(&[
                item,
                r#"{"id": "MS Contin", "dose": {"value": 50, "unit": "mg"}, "times_per_day": 1}"#,
            ])
        } else {
            mme(&[item, filler])
        }
        .unwrap_or_else(|| panic!("{name}: no MME finding"));
        // The morphine filler is listed twice for morphine (a repeated item); both count.
        assert!(
            (got - 50.0 - expected).abs() < 1e-9,
            "{name}: {got} - 50 != {expected}"
        );
    }
}

#[test]
fn the_cdc_worked_example_and_the_thresholds() {
    // Oxycodone 10 mg twice a day is 30 MME/day: under the first threshold, no finding.
    assert_eq!(mme(&[CASES[6].1]), None);
    // Exactly 50 MME/day fires the 50 threshold (at or over), 49.995 does not.
    let morphine = |mg: &str| {
        format!(
            r#"{{"id": "morphine", "dose": {{"value": {mg}, "unit": "mg"}}, "times_per_day": 2}}"#
        )
    };
    let report = run(&regimen("{}", &[&morphine("25")]));
    let f = one(&report, "opioid-mme");
    assert_eq!(f["rule"], "cdc-2022-mme-50");
    assert_eq!(f["severity"], "moderate");
    assert_eq!(
        f["monitoring"],
        serde_json::json!(["naloxone-offer", "pdmp-check"])
    );
    assert_eq!(mme(&[&morphine("24.9975")]), None);
    // 90 MME/day fires the 90 threshold, and only that one.
    let report = run(&regimen("{}", &[&morphine("45")]));
    let f = one(&report, "opioid-mme");
    assert_eq!(f["rule"], "cdc-2022-mme-90");
    assert_eq!(f["severity"], "major");
    assert_eq!(num(&f["dose"]["max"]["value"]), 90.0);
    assert_eq!(f["sources"][0]["id"], "cdc-opioid-guideline-2022");
}

#[test]
fn mme_sums_every_opioid_item_including_products_and_patches() {
    let report = run(&regimen(
        "{}",
        &[
            r#"{"id": "oxycodone", "dose": {"value": 10, "unit": "mg"}, "times_per_day": 4, "route": "oral"}"#,
            r#"{"id": "fentanyl-transdermal-25", "dose": {"value": 1, "unit": "patch"}}"#,
            r#"{"id": "hydrocodone-acetaminophen-5-325", "dose": {"value": 2, "unit": "tablet"}, "times_per_day": 4}"#,
        ],
    ));
    let f = one(&report, "opioid-mme");
    assert_eq!(num(&f["dose"]["value"]["value"]), 160.0);
    assert_eq!(f["items"].as_array().unwrap().len(), 3);
    let shares: Vec<f64> = f["dose"]["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| num(&c["amount"]["value"]))
        .collect();
    assert_eq!(shares, [60.0, 40.0, 60.0]); // fentanyl patch, hydrocodone product, oxycodone
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .starts_with("Opioids total 160 MME/day")
    );
}

#[test]
fn an_opioid_that_cannot_be_counted_makes_the_total_incomplete() {
    // Buprenorphine has no factor by design; morphine IV has none in CDC 2022.
    let report = run(&regimen(
        "{}",
        &[
            r#"{"id": "oxycodone", "dose": {"value": 10, "unit": "mg"}, "times_per_day": 2}"#,
            r#"{"id": "buprenorphine", "dose": {"value": 10, "unit": "mcg/h"}, "route": "transdermal"}"#,
            r#"{"id": "morphine", "dose": {"value": 4, "unit": "mg"}, "route": "iv", "times_per_day": 4}"#,
        ],
    ));
    let f = one(&report, "opioid-mme");
    assert_eq!(f["rule"], "medcheck:mme-incomplete");
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains("incomplete") && summary.contains("30 MME/day counted"),
        "{summary}"
    );
    let not_counted = f["dose"]["not_counted"].as_array().unwrap();
    assert_eq!(not_counted.len(), 2);
    assert!(
        not_counted[0]["reason"]
            .as_str()
            .unwrap()
            .contains("partial agonist")
    );
    assert!(
        not_counted[1]["reason"]
            .as_str()
            .unwrap()
            .contains("no MME conversion factor for `morphine` by route iv")
    );
    // Over a threshold while incomplete: the threshold fires and the summary says "at least".
    let report = run(&regimen(
        "{}",
        &[
            r#"{"id": "oxycodone", "dose": {"value": 20, "unit": "mg"}, "times_per_day": 4}"#,
            r#"{"id": "codeine"}"#,
        ],
    ));
    let f = one(&report, "opioid-mme");
    assert_eq!(f["rule"], "cdc-2022-mme-90");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("at least 120 MME/day (incomplete: codeine not counted)")
    );
}

#[test]
fn methadone_carries_the_cdc_caveat_and_a_missing_route_is_noted() {
    let report = run(&regimen(
        "{}",
        &[r#"{"id": "methadone", "dose": {"value": 10, "unit": "mg"}, "times_per_day": 2}"#],
    ));
    let f = one(&report, "opioid-mme");
    let u = f["uncertainty"].as_str().unwrap();
    assert!(
        u.contains("4.7") && u.contains("must not be used to convert"),
        "{u}"
    );
    assert!(
        u.contains("`methadone` has no route; it was counted with the oral factor"),
        "{u}"
    );
}

#[test]
fn cockcroft_gault_worked_examples() {
    // (140 - 40) x 72 / (72 x 1.0) = 100 mL/min
    assert_eq!(
        crcl_cockcroft_gault(r("40"), r("72"), Sex::Male, r("1")),
        Some(Ratio::from_int(100))
    );
    // (140 - 72) x 60 / (72 x 1.4) x 0.85 = 1445/42 = 34.405 mL/min
    assert_eq!(
        crcl_cockcroft_gault(r("72"), r("60"), Sex::Female, r("1.4")),
        Ratio::new(1445, 42)
    );
    // (140 - 65) x 60 / (72 x 1.1) x 0.85 = 2125/44 = 48.295 mL/min
    assert_eq!(
        crcl_cockcroft_gault(r("65"), r("60"), Sex::Female, r("1.1")),
        Ratio::new(2125, 44)
    );
    // (140 - 85) x 50 / (72 x 1.2) = 6875/216 = 31.829 mL/min
    assert_eq!(
        crcl_cockcroft_gault(r("85"), r("50"), Sex::Male, r("1.2")),
        Ratio::new(6875, 216)
    );
    // The same patient as a woman: 0.85 times.
    assert_eq!(
        crcl_cockcroft_gault(r("85"), r("50"), Sex::Female, r("1.2")),
        Ratio::new(6875 * 85, 216 * 100)
    );
    // Not for children, nor at 140 or older.
    assert_eq!(
        crcl_cockcroft_gault(r("17"), r("60"), Sex::Male, r("0.8")),
        None
    );
    assert_eq!(
        crcl_cockcroft_gault(r("140"), r("70"), Sex::Male, r("1")),
        None
    );
}

#[test]
fn an_opioid_without_times_per_day_counts_as_one_dose_a_day() {
    // Morphine 100 mg, frequency not given: at least 100 MME on any day it is taken, over 90.
    let report = run(&regimen(
        "{}",
        &[r#"{"id": "morphine", "dose": {"value": 100, "unit": "mg"}, "route": "oral"}"#],
    ));
    let f = one(&report, "opioid-mme");
    assert_eq!(f["rule"], "cdc-2022-mme-90");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("at least 100 MME/day (incomplete: morphine counted as one dose a day)"),
        "{f}"
    );
    assert_eq!(f["dose"]["not_counted"][0]["item"], "morphine");
    // 20 mg without a frequency is under every threshold: still only an incomplete total.
    let report = run(&regimen(
        "{}",
        &[r#"{"id": "morphine", "dose": {"value": 20, "unit": "mg"}, "route": "oral"}"#],
    ));
    assert_eq!(
        one(&report, "opioid-mme")["rule"],
        "medcheck:mme-incomplete"
    );
}
