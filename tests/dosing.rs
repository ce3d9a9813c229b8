//! Dose checks through the public API: units, limits and bands, the exact boundary, cumulative
//! dose through products, skipped checks and the merged monitoring list.

mod common;

use common::*;
use medcheck::units::{Amount, Dimension, Ratio, Unit};

fn r(s: &str) -> Ratio {
    s.parse().unwrap()
}

const NO_PATIENT: &str = "{}";
const ADULT: &str = r#"{"age_years": 45, "weight_kg": 80}"#;

// ---------------------------------------------------------------- units

#[test]
fn every_unit_converts_exactly_and_round_trips() {
    let values = ["0.001", "1", "2.5", "325", "4000", "0.15"];
    for from in Unit::ALL {
        for to in Unit::ALL {
            for v in values {
                let a = Amount::new(r(v), from);
                match a.convert(to) {
                    Some(b) => {
                        assert_eq!(from.dimension(), to.dimension(), "{from} -> {to}");
                        assert_eq!(b.in_base(), a.in_base(), "{a} -> {b}");
                        assert_eq!(b.convert(from), Some(a), "{a} -> {b} -> back");
                    }
                    None => assert!(
                        from.dimension() != to.dimension()
                            || from.dimension() == Dimension::DosageUnit,
                        "{from} -> {to} should convert"
                    ),
                }
            }
        }
    }
}

#[test]
fn unit_factors_are_the_si_ones() {
    let base = |v: &str, u| Amount::new(r(v), u).in_base().unwrap();
    assert_eq!(base("1", Unit::G), Ratio::from_int(1_000_000));
    assert_eq!(base("1", Unit::Mg), Ratio::from_int(1_000));
    assert_eq!(base("1", Unit::Mcg), Ratio::ONE);
    assert_eq!(base("4", Unit::G), base("4000", Unit::Mg));
    assert_eq!(base("1", Unit::MgPerKg), base("1000", Unit::McgPerKg));
    assert_eq!(base("25", Unit::McgPerH), Ratio::from_int(25));
    assert_eq!(
        base("0.0001", Unit::Mg),
        r("0.1"),
        "sub-microgram amounts stay exact"
    );
    for u in [Unit::Tablet, Unit::Capsule, Unit::Patch, Unit::Ml] {
        assert_eq!(
            Amount::new(Ratio::ONE, u).in_base(),
            None,
            "{u} has no mass by itself"
        );
    }
    for (alias, unit) in [
        ("ug", Unit::Mcg),
        ("µg", Unit::Mcg),
        ("mcg/hr", Unit::McgPerH),
        ("ml", Unit::Ml),
        ("tablets", Unit::Tablet),
        ("caps", Unit::Capsule),
    ] {
        assert_eq!(Unit::parse(alias), Some(unit), "{alias}");
    }
    assert_eq!(Unit::parse("mg/day"), None);
}

/// The single acetaminophen dose the engine computes from each way of writing 1000 mg.
#[test]
fn every_dose_unit_reaches_the_engine_exactly() {
    let child = r#"{"age_years": 30, "weight_kg": 40}"#;
    // Each of these is exactly 1000 mg of acetaminophen once: over the 15 mg/kg x 40 kg = 600 mg
    // single maximum of the under-50-kg band.
    for dose in [
        r#"{"value": 1, "unit": "g"}"#,
        r#"{"value": 1000, "unit": "mg"}"#,
        r#"{"value": 1000000, "unit": "mcg"}"#,
        r#"{"value": 25, "unit": "mg/kg"}"#,
        r#"{"value": 25000, "unit": "mcg/kg"}"#,
    ] {
        let item = format!(r#"{{"id": "acetaminophen", "dose": {dose}, "times_per_day": 1}}"#);
        let report = run(&regimen(child, &[&item]));
        let f = one(&report, "dose-limit");
        assert_eq!(f["dose"]["limit"], "max-single", "{dose}");
        assert_eq!(num(&f["dose"]["value"]["value"]), 1000.0, "{dose}");
        assert_eq!(num(&f["dose"]["max"]["value"]), 600.0, "{dose}");
        assert_eq!(f["dose"]["band"], "weight-under-50-kg");
        assert_eq!(f["dose"]["per_kg"]["unit"], "mg/kg");
    }
}

#[test]
fn dosage_units_count_through_the_product_strength() {
    // 31.25 mL of a 32 mg/mL solution is exactly 1000 mg.
    let item = r#"{"id": "acetaminophen-oral-solution-160-mg-per-5-ml", "dose": {"value": 31.25, "unit": "mL"}, "times_per_day": 4}"#;
    assert!(dose_findings(&run(&regimen(ADULT, &[item]))).is_empty());
    let item = r#"{"id": "acetaminophen-oral-solution-160-mg-per-5-ml", "dose": {"value": 31.5, "unit": "mL"}, "times_per_day": 1}"#;
    let f = one(&run(&regimen(ADULT, &[item])), "dose-limit").clone();
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("1008 mg is over the single-dose maximum of 1000 mg"),
        "{f}"
    );
    // 4 capsules of 300 mg three times a day is 3600 mg: at the limit. One more capsule is over.
    let at = r#"{"id": "gabapentin-300-capsule", "dose": {"value": 4, "unit": "capsule"}, "times_per_day": 3}"#;
    let patient = r#"{"crcl_ml_min": 90}"#;
    assert!(dose_findings(&run(&regimen(patient, &[at]))).is_empty());
    let over = r#"{"id": "gabapentin-300-capsule", "dose": {"value": 5, "unit": "capsule"}, "times_per_day": 3}"#;
    let f = one(&run(&regimen(patient, &[over])), "dose-limit").clone();
    assert_eq!(num(&f["dose"]["value"]["value"]), 4500.0);
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("(from `gabapentin-300-capsule`)")
    );
    // Two 50 mcg/h patches are 100 mcg/h: 240 MME/day.
    let patch = r#"{"id": "fentanyl-transdermal-50", "dose": {"value": 2, "unit": "patch"}}"#;
    let f = one(&run(&regimen(NO_PATIENT, &[patch])), "opioid-mme").clone();
    assert_eq!(num(&f["dose"]["value"]["value"]), 240.0);
}

#[test]
fn a_unit_that_cannot_apply_is_refused_with_the_item_and_field() {
    let cases = [
        (
            r#"{"id": "acetaminophen", "dose": {"value": 2, "unit": "tablet"}}"#,
            "items[0] (acetaminophen).dose.unit",
            "needs a product with a strength per tablet",
        ),
        (
            r#"{"id": "fentanyl", "dose": {"value": 25, "unit": "mcg/h"}, "route": "oral"}"#,
            "items[0] (fentanyl).dose.unit",
            "not a oral dose",
        ),
        (
            r#"{"id": "hydrocodone-acetaminophen-5-325", "dose": {"value": 5, "unit": "mL"}}"#,
            ".dose.unit",
            "is dosed in tablet, not mL",
        ),
        (
            r#"{"id": "hydrocodone-acetaminophen-5-325", "dose": {"value": 10, "unit": "mg"}}"#,
            ".dose.unit",
            "has 2 ingredients; give the dose in tablet",
        ),
        (
            r#"{"id": "fentanyl-transdermal-25", "dose": {"value": 1, "unit": "mg"}}"#,
            ".dose.unit",
            "mg cannot apply to `fentanyl-transdermal-25` (mcg/h per patch)",
        ),
        (
            r#"{"id": "gabapentin-300-capsule", "dose": {"value": 300, "unit": "mcg/h"}}"#,
            ".dose.unit",
            "mcg/h cannot apply",
        ),
        (
            r#"{"id": "gabapentin-300-capsule", "dose": {"value": 1, "unit": "tablet"}}"#,
            ".dose.unit",
            "is dosed in capsule, not tablet",
        ),
        (
            r#"{"id": "massage-therapy", "dose": {"value": 1, "unit": "mg"}}"#,
            ".dose.unit",
            "is a therapy and takes no dose",
        ),
        (
            r#"{"id": "fentanyl-transdermal-25", "route": "oral"}"#,
            ".route",
            "is a transdermal product",
        ),
    ];
    for (item, field, why) in cases {
        let e = refused(&regimen(NO_PATIENT, &[item]));
        assert!(e.contains(field) && e.contains(why), "{item}: {e}");
    }
}

// ---------------------------------------------------------------- the boundary

#[test]
fn a_dose_exactly_at_a_limit_is_within_it_and_one_microgram_over_is_over() {
    let item = |dose: &str, times: &str| {
        format!(
            r#"{{"id": "acetaminophen", "dose": {{"value": {dose}, "unit": "mg"}}, "times_per_day": {times}}}"#
        )
    };
    // 1000 mg four times a day: exactly at both limits.
    assert!(dose_findings(&run(&regimen(ADULT, &[&item("1000", "4")]))).is_empty());
    // 0.1 + 0.2 style float error cannot push an exact sum over: 333.3 mg x 3 = 999.9 mg.
    assert!(dose_findings(&run(&regimen(ADULT, &[&item("333.3", "3")]))).is_empty());
    // One microgram over the single maximum.
    let f = one(
        &run(&regimen(ADULT, &[&item("1000.001", "1")])),
        "dose-limit",
    )
    .clone();
    assert_eq!(f["dose"]["limit"], "max-single");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("1000.001 mg is over the single-dose maximum of 1000 mg")
    );
    // 4000.004 mg/day: one microgram a dose over the daily maximum, within the single maximum.
    let report = run(&regimen(ADULT, &[&item("1000.001", "4")]));
    let daily = of_kind(&report, "dose-limit")
        .into_iter()
        .find(|f| f["dose"]["limit"] == "max-daily")
        .expect("daily over");
    assert!(
        daily["summary"]
            .as_str()
            .unwrap()
            .contains("4000.004 mg/day is over the daily maximum of 4000 mg/day")
    );
    // Per-kg limits: 15 mg/kg x 40 kg = 600 mg exactly.
    let light = r#"{"age_years": 30, "weight_kg": 40}"#;
    assert!(dose_findings(&run(&regimen(light, &[&item("600", "1")]))).is_empty());
    assert_eq!(
        of_kind(
            &run(&regimen(light, &[&item("600.001", "1")])),
            "dose-limit"
        )
        .len(),
        1
    );
    // Fractional times a day are exact too: 800 mg x 4 is at the limit, x 4.000001 is over.
    let at = r#"{"id": "ibuprofen", "dose": {"value": 800, "unit": "mg"}, "times_per_day": 4}"#;
    assert!(
        dose_findings(&run(&regimen(ADULT, &[at]))).is_empty(),
        "3200 mg/day is at the limit"
    );
    let over =
        r#"{"id": "ibuprofen", "dose": {"value": 800, "unit": "mg"}, "times_per_day": 4.000001}"#;
    let f = one(&run(&regimen(ADULT, &[over])), "dose-limit").clone();
    assert!(
        f["summary"].as_str().unwrap().contains("3200.0008 mg/day"),
        "{f}"
    );
}

#[test]
fn course_length_at_and_over_the_maximum() {
    let item = |days| {
        format!(
            r#"{{"id": "ketorolac", "dose": {{"value": 10, "unit": "mg"}}, "times_per_day": 4, "days": {days}}}"#
        )
    };
    assert!(dose_findings(&run(&regimen(ADULT, &[&item(5)]))).is_empty());
    let report = run(&regimen(ADULT, &[&item(6)]));
    let f = one(&report, "dose-limit");
    assert_eq!(f["dose"]["limit"], "max-days");
    assert_eq!(f["dose"]["value"]["unit"], "days");
    assert_eq!(num(&f["dose"]["max"]["value"]), 5.0);
    assert_eq!(f["rule"], "ketorolac-oral");
    assert_eq!(f["severity"], "major");
}

// ---------------------------------------------------------------- each limit kind and band

#[test]
fn single_and_daily_maxima_name_the_limit_the_value_and_the_band() {
    let report = run(&regimen(
        ADULT,
        &[r#"{"id": "Advil", "dose": {"value": 1200, "unit": "mg"}, "times_per_day": 3}"#],
    ));
    let found = of_kind(&report, "dose-limit");
    assert_eq!(found.len(), 2);
    let single = found
        .iter()
        .find(|f| f["dose"]["limit"] == "max-single")
        .unwrap();
    assert_eq!(num(&single["dose"]["value"]["value"]), 1200.0);
    assert_eq!(single["dose"]["value"]["unit"], "mg");
    assert_eq!(num(&single["dose"]["max"]["value"]), 800.0);
    assert_eq!(single["dose"]["band"], "adult");
    assert_eq!(single["dose"]["route"], "oral");
    let daily = found
        .iter()
        .find(|f| f["dose"]["limit"] == "max-daily")
        .unwrap();
    assert_eq!(
        daily["summary"],
        "`ibuprofen`: 3600 mg/day is over the daily maximum of 3200 mg/day (band `adult`)"
    );
    assert_eq!(daily["sources"][0]["id"], "fda-label-ibuprofen");
    assert!(
        daily["sources"][0]["section"]
            .as_str()
            .unwrap()
            .contains("Dosage")
    );
    assert_eq!(daily["monitoring"][0], "nsaid-renal-bp");
}

#[test]
fn pediatric_bands_use_mg_per_kg_of_the_childs_weight() {
    let child = r#"{"age_years": 8, "weight_kg": 20}"#;
    // Ibuprofen 10 mg/kg x 20 kg = 200 mg a dose, 40 mg/kg = 800 mg a day.
    let item = r#"{"id": "ibuprofen", "dose": {"value": 200, "unit": "mg"}, "times_per_day": 4}"#;
    assert!(dose_findings(&run(&regimen(child, &[item]))).is_empty());
    let item = r#"{"id": "ibuprofen", "dose": {"value": 250, "unit": "mg"}, "times_per_day": 4}"#;
    let report = run(&regimen(child, &[item]));
    for f in of_kind(&report, "dose-limit") {
        assert_eq!(f["dose"]["band"], "child-6-months-to-12");
    }
    let daily = of_kind(&report, "dose-limit")
        .into_iter()
        .find(|f| f["dose"]["limit"] == "max-daily")
        .unwrap();
    assert_eq!(num(&daily["dose"]["max"]["value"]), 800.0);
    assert_eq!(daily["dose"]["per_kg"]["unit"], "mg/kg/day");
    assert!(
        daily["summary"]
            .as_str()
            .unwrap()
            .contains("40 mg/kg/day x 20 kg"),
        "{daily}"
    );
    // The same dose in an adult is fine.
    assert!(dose_findings(&run(&regimen(ADULT, &[item]))).is_empty());
    // The label's "6 months to 12 years" includes the twelve-year-old: 600 mg four times a day
    // for 30 kg is 80 mg/kg/day, twice the maximum, though within the adult limits.
    let twelve = r#"{"age_years": 12, "weight_kg": 30}"#;
    let item = r#"{"id": "ibuprofen", "dose": {"value": 600, "unit": "mg"}, "times_per_day": 4}"#;
    let report = run(&regimen(twelve, &[item]));
    let bands: Vec<&str> = of_kind(&report, "dose-limit")
        .iter()
        .map(|f| f["dose"]["band"].as_str().unwrap())
        .collect();
    assert_eq!(
        bands,
        ["child-6-months-to-12", "child-6-months-to-12"],
        "{report}"
    );
    // At 13 the adult limits apply alone.
    let thirteen = r#"{"age_years": 13, "weight_kg": 30}"#;
    assert!(dose_findings(&run(&regimen(thirteen, &[item]))).is_empty());
}

#[test]
fn a_child_without_a_weight_has_the_per_kg_check_skipped() {
    let child = r#"{"age_years": 8}"#;
    let item =
        r#"{"id": "acetaminophen", "dose": {"value": 160, "unit": "mg"}, "times_per_day": 4}"#;
    let report = run(&regimen(child, &[item]));
    assert!(dose_findings(&report).is_empty());
    let s = skipped(&report, "acetaminophen").expect("skipped");
    let reason = s["reason"].as_str().unwrap();
    assert!(
        reason.contains("band `child-2-to-12`") && reason.contains("weight_kg"),
        "{reason}"
    );
    assert!(
        s["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "max-single")
    );
}

#[test]
fn a_geriatric_band_lowers_the_daily_maximum() {
    let item = r#"{"id": "tramadol", "dose": {"value": 100, "unit": "mg"}, "times_per_day": 4}"#;
    assert!(
        of_kind(
            &run(&regimen(r#"{"age_years": 60, "crcl_ml_min": 90}"#, &[item])),
            "dose-limit"
        )
        .is_empty()
    );
    let report = run(&regimen(r#"{"age_years": 80, "crcl_ml_min": 90}"#, &[item]));
    let f = one(&report, "dose-limit");
    assert_eq!(f["dose"]["band"], "age-over-75");
    assert_eq!(num(&f["dose"]["max"]["value"]), 300.0);
    assert_eq!(
        f["uncertainty"],
        "The label says over 75 years; this band starts at 75."
    );
}

#[test]
fn renal_bands_use_cockcroft_gault_or_a_given_clearance() {
    let item = r#"{"id": "gabapentin", "dose": {"value": 600, "unit": "mg"}, "times_per_day": 3}"#;
    // (140 - 72) x 60 / (72 x 1.4) x 0.85 = 34.405 mL/min
    let p = r#"{"age_years": 72, "weight_kg": 60, "sex": "female", "serum_creatinine_mg_dl": 1.4}"#;
    let report = run(&regimen(p, &[item]));
    let f = one(&report, "dose-limit");
    assert_eq!(f["dose"]["band"], "crcl-30-to-59");
    assert_eq!(num(&f["dose"]["max"]["value"]), 1400.0);
    assert_eq!(f["dose"]["crcl_method"], "cockcroft-gault");
    assert!((num(&f["dose"]["crcl"]["value"]) - 34.405).abs() < 0.001);
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("CrCl 34.405 mL/min by Cockcroft-Gault")
    );
    // A given clearance wins over the estimate.
    let p = r#"{"age_years": 72, "weight_kg": 60, "sex": "female", "serum_creatinine_mg_dl": 1.4, "crcl_ml_min": 20}"#;
    let f = one(&run(&regimen(p, &[item])), "dose-limit").clone();
    assert_eq!(f["dose"]["band"], "crcl-15-to-29");
    assert_eq!(f["dose"]["crcl_method"], "given");
    // Band edges: 30 mL/min is in the 30-59 band (min inclusive), 29.999 is not.
    let at = r#"{"id": "gabapentin", "dose": {"value": 700, "unit": "mg"}, "times_per_day": 2}"#;
    assert!(dose_findings(&run(&regimen(r#"{"crcl_ml_min": 30}"#, &[at]))).is_empty());
    let f = one(
        &run(&regimen(r#"{"crcl_ml_min": 29.999}"#, &[at])),
        "dose-limit",
    )
    .clone();
    assert_eq!(f["dose"]["band"], "crcl-15-to-29");
    // Normal renal function: the adult maximum.
    let f = one(
        &run(&regimen(
            r#"{"crcl_ml_min": 100}"#,
            &[r#"{"id": "pregabalin", "dose": {"value": 400, "unit": "mg"}, "times_per_day": 2}"#],
        )),
        "dose-limit",
    )
    .clone();
    assert_eq!(f["dose"]["band"], "adult");
    assert_eq!(num(&f["dose"]["max"]["value"]), 600.0);
}

#[test]
fn condition_bands_lower_a_limit_only_for_patients_with_the_condition() {
    let celecoxib =
        r#"{"id": "celecoxib", "dose": {"value": 200, "unit": "mg"}, "times_per_day": 2}"#;
    assert!(dose_findings(&run(&regimen(ADULT, &[celecoxib]))).is_empty());
    let f = one(
        &run(&regimen(
            r#"{"conditions": ["liver disease"]}"#,
            &[celecoxib],
        )),
        "dose-limit",
    )
    .clone();
    assert_eq!(f["dose"]["band"], "hepatic-impairment");
    assert_eq!(num(&f["dose"]["max"]["value"]), 200.0);

    let apap =
        r#"{"id": "acetaminophen", "dose": {"value": 500, "unit": "mg"}, "times_per_day": 6}"#;
    assert!(dose_findings(&run(&regimen(ADULT, &[apap]))).is_empty());
    let f = one(
        &run(&regimen(
            r#"{"conditions": ["chronic-alcohol-use"]}"#,
            &[apap],
        )),
        "dose-limit",
    )
    .clone();
    assert_eq!(f["dose"]["band"], "chronic-alcohol-use");
    assert_eq!(num(&f["dose"]["max"]["value"]), 2000.0);
    assert!(
        f["uncertainty"]
            .as_str()
            .unwrap()
            .contains("Sources differ"),
        "the band says its sources disagree"
    );
}

#[test]
fn the_lowest_limit_among_the_covering_bands_wins() {
    // 45 kg with alcohol use: 75 mg/kg x 45 = 3375 mg/day and 2000 mg/day both cover; 2000 wins.
    let p = r#"{"age_years": 40, "weight_kg": 45, "conditions": ["chronic-alcohol-use"]}"#;
    let apap =
        r#"{"id": "acetaminophen", "dose": {"value": 500, "unit": "mg"}, "times_per_day": 5}"#;
    let f = one(&run(&regimen(p, &[apap])), "dose-limit").clone();
    assert_eq!(f["dose"]["band"], "chronic-alcohol-use");
    // Without the condition, the per-kg band: 2500 mg is under 3375.
    let p = r#"{"age_years": 40, "weight_kg": 45}"#;
    assert!(dose_findings(&run(&regimen(p, &[apap]))).is_empty());
}

#[test]
fn opioid_naive_bands_apply_only_to_opioid_naive_patients() {
    let oxy = r#"{"id": "oxycodone", "dose": {"value": 20, "unit": "mg"}, "times_per_day": 4}"#;
    let report = run(&regimen(r#"{"conditions": ["opioid-naive"]}"#, &[oxy]));
    let f = one(&report, "dose-limit");
    // 20 mg is over the 15 mg starting dose; 80 mg/day is exactly at the daily line.
    assert_eq!(f["dose"]["limit"], "max-single");
    assert_eq!(f["dose"]["band"], "opioid-naive");
    assert_eq!(f["severity"], "major");
    assert!(of_kind(&run(&regimen(ADULT, &[oxy])), "dose-limit").is_empty());
}

// ---------------------------------------------------------------- cumulative dose

#[test]
fn the_issue_example_is_one_cumulative_finding_naming_both_items() {
    let report = run(&regimen(
        ADULT,
        &[
            r#"{"id": "hydrocodone-acetaminophen-5-325", "dose": {"value": 2, "unit": "tablet"}, "times_per_day": 4}"#,
            r#"{"id": "acetaminophen", "dose": {"value": 500, "unit": "mg"}, "times_per_day": 3}"#,
        ],
    ));
    let f = one(&report, "cumulative-dose");
    assert_eq!(
        f["items"],
        serde_json::json!(["acetaminophen", "hydrocodone-acetaminophen-5-325"])
    );
    assert_eq!(f["rule"], "acetaminophen-oral");
    assert_eq!(num(&f["dose"]["value"]["value"]), 4100.0);
    assert_eq!(num(&f["dose"]["max"]["value"]), 4000.0);
    assert_eq!(f["dose"]["band"], "adult");
    let shares: Vec<(String, f64)> = f["dose"]["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["item"].as_str().unwrap().to_string(),
                num(&c["amount"]["value"]),
            )
        })
        .collect();
    assert_eq!(
        shares,
        [
            ("acetaminophen".into(), 1500.0),
            ("hydrocodone-acetaminophen-5-325".into(), 2600.0)
        ]
    );
    // Neither item alone is over its own limit.
    assert!(of_kind(&report, "dose-limit").is_empty());
}

#[test]
fn cumulative_dose_counts_three_products_and_a_repeated_item() {
    let report = run(&regimen(
        ADULT,
        &[
            r#"{"id": "Norco 5/325", "dose": {"value": 1, "unit": "tablet"}, "times_per_day": 4}"#,
            r#"{"id": "Percocet 5/325", "dose": {"value": 1, "unit": "tablet"}, "times_per_day": 4}"#,
            r#"{"id": "Ultracet", "dose": {"value": 2, "unit": "tablet"}, "times_per_day": 4}"#,
        ],
    ));
    // 1300 + 1300 + 2600 = 5200 mg
    let f = one(&report, "cumulative-dose");
    assert_eq!(num(&f["dose"]["value"]["value"]), 5200.0);
    assert_eq!(f["items"].as_array().unwrap().len(), 3);
    // The same substance listed twice is summed, not dropped.
    let report = run(&regimen(
        ADULT,
        &[
            r#"{"id": "acetaminophen", "dose": {"value": 1000, "unit": "mg"}, "times_per_day": 3}"#,
            r#"{"id": "Tylenol", "dose": {"value": 1000, "unit": "mg"}, "times_per_day": 2}"#,
        ],
    ));
    let f = one(&report, "cumulative-dose");
    assert_eq!(num(&f["dose"]["value"]["value"]), 5000.0);
    assert_eq!(f["items"], serde_json::json!(["acetaminophen"]));
    assert!(f["summary"].as_str().unwrap().contains("from 2 items"));
}

#[test]
fn cumulative_dose_within_the_limit_or_incomplete() {
    let within = run(&regimen(
        ADULT,
        &[
            r#"{"id": "hydrocodone-acetaminophen-5-325", "dose": {"value": 1, "unit": "tablet"}, "times_per_day": 4}"#,
            r#"{"id": "acetaminophen", "dose": {"value": 500, "unit": "mg"}, "times_per_day": 2}"#,
        ],
    ));
    assert!(of_kind(&within, "cumulative-dose").is_empty());
    let info = one(&within, "duplicate-therapy");
    assert_eq!(info["severity"], "info");
    assert_eq!(info["rule"], "medcheck:same-ingredient");
    assert!(
        info["summary"]
            .as_str()
            .unwrap()
            .contains("together 2300 mg/day, within the daily maximum of 4000 mg/day")
    );

    let incomplete = run(&regimen(
        ADULT,
        &[
            r#"{"id": "hydrocodone-acetaminophen-5-325", "dose": {"value": 2, "unit": "tablet"}}"#,
            r#"{"id": "acetaminophen", "dose": {"value": 500, "unit": "mg"}, "times_per_day": 2}"#,
        ],
    ));
    let f = one(&incomplete, "duplicate-therapy");
    assert_eq!(f["severity"], "moderate");
    assert_eq!(
        f["dose"]["not_counted"][0]["item"],
        "hydrocodone-acetaminophen-5-325"
    );

    // Over the limit with an item whose frequency is not given: it counts as one dose a day
    // (2 x 325 mg), the least on a day it is taken, and the total is a lower bound and says so.
    let at_least = run(&regimen(
        ADULT,
        &[
            r#"{"id": "hydrocodone-acetaminophen-5-325", "dose": {"value": 2, "unit": "tablet"}}"#,
            r#"{"id": "acetaminophen", "dose": {"value": 1000, "unit": "mg"}, "times_per_day": 4}"#,
            r#"{"id": "Ultracet", "dose": {"value": 1, "unit": "tablet"}, "times_per_day": 1}"#,
        ],
    ));
    let f = one(&at_least, "cumulative-dose");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("totals at least 4975 mg/day"),
        "{f}"
    );
}

#[test]
fn patch_rates_are_summed_across_patches() {
    let report = run(&regimen(
        NO_PATIENT,
        &[
            r#"{"id": "fentanyl-transdermal-25", "dose": {"value": 1, "unit": "patch"}}"#,
            r#"{"id": "fentanyl-transdermal-50", "dose": {"value": 1, "unit": "patch"}}"#,
        ],
    ));
    let same = one(&report, "duplicate-therapy");
    assert_eq!(num(&same["dose"]["value"]["value"]), 75.0);
    assert_eq!(same["dose"]["value"]["unit"], "mcg/h");
    assert_eq!(
        num(&one(&report, "opioid-mme")["dose"]["value"]["value"]),
        180.0
    );
}

// ---------------------------------------------------------------- skipped checks

#[test]
fn an_item_without_a_dose_is_checked_for_interactions_and_its_dose_checks_listed_as_skipped() {
    let report = run(&regimen(
        NO_PATIENT,
        &[
            r#"{"id": "oxycodone"}"#,
            r#"{"id": "alprazolam"}"#,
            r#"{"id": "gabapentin"}"#,
        ],
    ));
    assert!(
        !of_kind(&report, "interaction").is_empty(),
        "interactions are still checked"
    );
    let s = skipped(&report, "oxycodone").unwrap();
    assert_eq!(
        s["checks"],
        serde_json::json!(["dose-limit", "cumulative-dose", "opioid-mme"])
    );
    assert_eq!(s["reason"], "no dose given");
    let s = skipped(&report, "gabapentin").unwrap();
    assert_eq!(
        s["checks"],
        serde_json::json!(["dose-limit", "cumulative-dose"])
    );
    // Nothing pretends the MME check passed: with no opioid dose there is no total at all, and
    // `skipped` (above) lists opioid-mme for the opioid; no finding restates it.
    assert!(of_kind(&report, "opioid-mme").is_empty());
    // With one opioid dosed and another not, the total is reported as incomplete.
    let report = run(&regimen(
        NO_PATIENT,
        &[
            r#"{"id": "oxycodone", "dose": {"value": 5, "unit": "mg"}, "times_per_day": 2, "route": "oral"}"#,
            r#"{"id": "morphine"}"#,
        ],
    ));
    let mme = one(&report, "opioid-mme");
    assert_eq!(mme["rule"], "medcheck:mme-incomplete");
    assert!(mme["summary"].as_str().unwrap().contains("incomplete"));
}

#[test]
fn unevaluated_bands_are_skipped_only_when_they_could_matter() {
    let item = |mg| {
        format!(
            r#"{{"id": "gabapentin", "dose": {{"value": {mg}, "unit": "mg"}}, "times_per_day": 3}}"#
        )
    };
    // 300 mg/day is within every renal band: nothing to say.
    let report = run(&regimen(NO_PATIENT, &[&item(100)]));
    assert!(skipped(&report, "gabapentin").is_none(), "{report:#}");
    // 600 mg/day could only be over the under-15 band.
    let report = run(&regimen(
        r#"{"age_years": 70, "weight_kg": 70}"#,
        &[&item(200)],
    ));
    let reason = skipped(&report, "gabapentin").unwrap()["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("crcl-below-15") && !reason.contains("crcl-15-to-29"),
        "{reason}"
    );
    assert!(
        reason.contains("missing: sex, serum_creatinine_mg_dl"),
        "{reason}"
    );
    // 4800 mg/day is over the adult maximum whatever the renal function: a finding, not a skip.
    let report = run(&regimen(NO_PATIENT, &[&item(1600)]));
    assert_eq!(one(&report, "dose-limit")["dose"]["band"], "adult");
    // Cockcroft-Gault does not apply to children: the reason says to give the clearance.
    let report = run(&regimen(
        r#"{"age_years": 15, "weight_kg": 50, "sex": "male", "serum_creatinine_mg_dl": 0.8}"#,
        &[&item(200)],
    ));
    let reason = skipped(&report, "gabapentin").unwrap()["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("Cockcroft-Gault does not apply"),
        "{reason}"
    );
}

#[test]
fn missing_times_per_day_days_and_weight_are_named() {
    let report = run(&regimen(
        ADULT,
        &[r#"{"id": "ibuprofen", "dose": {"value": 400, "unit": "mg"}}"#],
    ));
    let s = skipped(&report, "ibuprofen").unwrap();
    assert_eq!(s["checks"], serde_json::json!(["max-daily"]));
    assert!(
        s["reason"]
            .as_str()
            .unwrap()
            .contains("`times_per_day` not given")
    );
    let report = run(&regimen(
        ADULT,
        &[r#"{"id": "ketorolac", "dose": {"value": 10, "unit": "mg"}, "times_per_day": 4}"#],
    ));
    assert!(
        skipped(&report, "ketorolac").unwrap()["reason"]
            .as_str()
            .unwrap()
            .contains("`days` not given")
    );
    let report = run(&regimen(
        NO_PATIENT,
        &[r#"{"id": "ibuprofen", "dose": {"value": 10, "unit": "mg/kg"}, "times_per_day": 3}"#],
    ));
    assert!(
        skipped(&report, "ibuprofen").unwrap()["reason"]
            .as_str()
            .unwrap()
            .contains("weight_kg is not given")
    );
}

#[test]
fn a_substance_without_a_limit_or_by_another_route_is_skipped_with_the_reason() {
    let report = run(&regimen(
        ADULT,
        &[r#"{"id": "alprazolam", "dose": {"value": 0.5, "unit": "mg"}, "times_per_day": 2}"#],
    ));
    assert!(
        skipped(&report, "alprazolam").unwrap()["reason"]
            .as_str()
            .unwrap()
            .contains("no dose limit for `alprazolam`")
    );
    let report = run(&regimen(
        ADULT,
        &[
            r#"{"id": "ibuprofen", "dose": {"value": 400, "unit": "mg"}, "route": "iv", "times_per_day": 4, "days": 2}"#,
        ],
    ));
    let reason = skipped(&report, "ibuprofen").unwrap()["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("by route iv (only oral)"), "{reason}");
}

#[test]
fn without_a_route_a_dose_over_every_routes_limit_is_a_finding() {
    // Ketorolac has oral, IV and IM limits. 160 mg a day is over all three daily maxima
    // (40, 120, 120): a finding against the most lenient, true whatever the route. 40 mg a dose
    // is over the oral and IV single-dose maxima but not the IM one: a note, not a finding.
    let item = r#"{"id": "ketorolac", "dose": {"value": 40, "unit": "mg"}, "times_per_day": 4, "days": 3}"#;
    let report = run(&regimen(ADULT, &[item]));
    let f = one(&report, "dose-limit");
    assert_eq!(f["dose"]["limit"], "max-daily");
    assert_eq!(num(&f["dose"]["max"]["value"]), 120.0);
    let reason = skipped(&report, "ketorolac").unwrap()["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("as oral it would be over the single-dose maximum"),
        "{reason}"
    );
    assert!(!reason.contains("as im"), "{reason}");
}

// ---------------------------------------------------------------- monitoring

#[test]
fn monitoring_is_merged_across_findings_without_duplicates() {
    let report = run(&regimen(
        ADULT,
        &[
            r#"{"id": "oxycodone", "dose": {"value": 20, "unit": "mg"}, "times_per_day": 4}"#,
            r#"{"id": "alprazolam", "dose": {"value": 0.5, "unit": "mg"}, "times_per_day": 2}"#,
            r#"{"id": "hydrocodone-acetaminophen-5-325", "dose": {"value": 2, "unit": "tablet"}, "times_per_day": 4}"#,
            r#"{"id": "acetaminophen", "dose": {"value": 500, "unit": "mg"}, "times_per_day": 3}"#,
        ],
    ));
    let monitoring = report["monitoring"].as_array().unwrap();
    let ids: Vec<&str> = monitoring
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "no duplicates: {ids:?}");
    let naloxone = monitoring
        .iter()
        .find(|m| m["id"] == "naloxone-offer")
        .unwrap();
    let from: Vec<&str> = naloxone["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    // The MME finding and both opioid-benzodiazepine findings call for naloxone.
    assert!(
        from.contains(&"cdc-2022-mme-90/alprazolam+oxycodone")
            || from.iter().any(|f| f.starts_with("cdc-2022-mme-90/")),
        "{from:?}"
    );
    assert!(
        from.contains(&"opioid-benzodiazepine/alprazolam+oxycodone"),
        "{from:?}"
    );
    assert!(
        from.contains(&"opioid-benzodiazepine/alprazolam+hydrocodone-acetaminophen-5-325"),
        "{from:?}"
    );
    // Every finding id named exists, and every finding's monitoring is listed.
    let finding_ids: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    for m in monitoring {
        assert!(
            !m["what"].as_str().unwrap().is_empty() && !m["sources"].as_array().unwrap().is_empty()
        );
        for f in m["findings"].as_array().unwrap() {
            assert!(finding_ids.contains(&f.as_str().unwrap()), "{f}");
        }
    }
    for f in report["findings"].as_array().unwrap() {
        for m in f["monitoring"].as_array().unwrap() {
            let entry = monitoring.iter().find(|e| e["id"] == *m).expect("listed");
            assert!(entry["findings"].as_array().unwrap().contains(&f["id"]));
        }
    }
    assert!(
        ids.contains(&"liver-tests"),
        "from the cumulative acetaminophen finding"
    );
}

#[test]
fn an_item_that_calls_for_monitoring_on_its_own_lists_it_without_any_other_finding() {
    // Methadone within every limit, with nothing it interacts with: its ECG schedule still
    // stands (Krantz 2009; the label's boxed warning), as an info finding the monitoring list
    // names.
    let report = run(&regimen(
        ADULT,
        &[
            r#"{"id": "methadone", "dose": {"value": 5, "unit": "mg"}, "times_per_day": 2, "route": "oral"}"#,
            r#"{"id": "acupuncture"}"#,
        ],
    ));
    let standing = of_kind(&report, "monitoring");
    assert_eq!(standing.len(), 1, "{report:#}");
    let f = standing[0];
    assert_eq!(f["rule"], "methadone-ecg");
    assert_eq!(f["severity"], "info");
    assert_eq!(f["items"], serde_json::json!(["methadone"]));
    assert_eq!(f["monitoring"], serde_json::json!(["methadone-ecg"]));
    assert!(!f["sources"].as_array().unwrap().is_empty());
    assert!(f["management"].as_str().unwrap().contains("ECG"), "{f:#}");
    let entry = report["monitoring"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "methadone-ecg")
        .expect("listed");
    assert_eq!(entry["findings"], serde_json::json!([f["id"]]));

    // Listed twice, or beside kava (which has its own): one finding per requirement.
    let report = run(&regimen(
        ADULT,
        &[
            r#"{"id": "methadone"}"#,
            r#"{"id": "Dolophine"}"#,
            r#"{"id": "kava"}"#,
        ],
    ));
    let rules: Vec<&str> = of_kind(&report, "monitoring")
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["kava-liver-signs", "methadone-ecg"], "{report:#}");

    // Over methadone's opioid-naive starting dose, the dose finding calls for the same ECG: one
    // entry in the monitoring list, naming both findings.
    let report = run(&regimen(
        r#"{"age_years": 45, "weight_kg": 80, "conditions": ["opioid-naive"]}"#,
        &[
            r#"{"id": "methadone", "dose": {"value": 10, "unit": "mg"}, "times_per_day": 2, "route": "oral"}"#,
        ],
    ));
    let ecg: Vec<&serde_json::Value> = report["monitoring"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["id"] == "methadone-ecg")
        .collect();
    assert_eq!(ecg.len(), 1, "{report:#}");
    assert!(
        ecg[0]["findings"].as_array().unwrap().len() >= 2,
        "{report:#}"
    );

    // Nothing that calls for standing monitoring: no such finding.
    let report = run(&regimen(
        ADULT,
        &[r#"{"id": "ibuprofen"}"#, r#"{"id": "sertraline"}"#],
    ));
    assert!(of_kind(&report, "monitoring").is_empty(), "{report:#}");
}

// ---------------------------------------------------------------- the example

#[test]
fn the_pain_clinic_example_shows_its_three_dose_findings_and_the_readme_shows_its_real_output() {
    let root = env!("CARGO_MANIFEST_DIR");
    let json = std::fs::read_to_string(format!("{root}/examples/pain-clinic.json")).unwrap();
    let regimen = medcheck::Regimen::from_json(&json).unwrap();
    let report = medcheck::KnowledgeBase::bundled().check(&regimen).unwrap();
    let v: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(
        one(&v, "cumulative-dose")["items"],
        serde_json::json!(["acetaminophen", "hydrocodone-acetaminophen-5-325"])
    );
    assert_eq!(one(&v, "opioid-mme")["rule"], "cdc-2022-mme-90");
    let renal = one(&v, "dose-limit");
    assert_eq!(renal["dose"]["band"], "crcl-30-to-59");
    assert_eq!(renal["dose"]["crcl_method"], "cockcroft-gault");
    let doc = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let start = doc.find("--format text\n").expect("the text block") + "--format text\n".len();
    let end = start + doc[start..].find("\n```").unwrap();
    assert_eq!(
        doc[start..end].trim_end(),
        report.to_text().trim_end(),
        "the pain-clinic output in README.md is out of date"
    );
}

#[test]
fn a_strength_given_per_several_units_stays_exact() {
    // 325 mg per 15 mL has no exact decimal per mL; 15 mL four times a day is exactly 1300 mg,
    // and with 3000 mg of tablets the total is exactly 4300 mg.
    let report = run(&regimen(
        NO_PATIENT,
        &[
            r#"{"id": "hydrocodone-acetaminophen-oral-solution-7-5-325-per-15-ml", "dose": {"value": 15, "unit": "mL"}, "times_per_day": 4}"#,
            r#"{"id": "acetaminophen", "dose": {"value": 1000, "unit": "mg"}, "times_per_day": 3}"#,
        ],
    ));
    let f = one(&report, "cumulative-dose");
    assert_eq!(f["dose"]["value"]["value"], 4300.0);
    let shares: Vec<f64> = f["dose"]["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| num(&c["amount"]["value"]))
        .collect();
    assert_eq!(shares, [3000.0, 1300.0]);
    let report = run(&regimen(
        NO_PATIENT,
        &[
            r#"{"id": "hydrocodone-acetaminophen-oral-solution-7-5-325-per-15-ml", "dose": {"value": 15, "unit": "mL"}, "times_per_day": 1}"#,
            r#"{"id": "acetaminophen", "dose": {"value": 1225, "unit": "mg"}, "times_per_day": 3}"#,
        ],
    ));
    // 325 + 3675 = 4000 exactly: at the limit is within it.
    assert!(of_kind(&report, "cumulative-dose").is_empty(), "{report:#}");
}

#[test]
fn a_topical_patch_counts_its_amount_per_patch() {
    let report = run(&regimen(
        NO_PATIENT,
        &[r#"{"id": "Lidoderm", "dose": {"value": 3, "unit": "patch"}}"#],
    ));
    // Accepted (not a unit error); lidocaine has no limit here, and the report says so.
    let s = skipped(&report, "lidocaine-patch-5-percent").unwrap();
    assert!(
        s["reason"]
            .as_str()
            .unwrap()
            .contains("no dose limit for `lidocaine`"),
        "{s}"
    );
}

#[test]
fn ketorolac_by_injection_has_its_own_limits_and_the_five_day_course() {
    let item = |route: &str, dose: u32, days: u32| {
        format!(
            r#"{{"id": "ketorolac", "dose": {{"value": {dose}, "unit": "mg"}}, "times_per_day": 4, "days": {days}, "route": "{route}"}}"#
        )
    };
    // The labelled IV and IM regimens under 65 for 5 days: nothing.
    for route in ["iv", "im"] {
        assert!(dose_findings(&run(&regimen(ADULT, &[&item(route, 30, 5)]))).is_empty());
    }
    // A sixth day is over the course limit, by either route.
    for route in ["iv", "im"] {
        let report = run(&regimen(ADULT, &[&item(route, 30, 6)]));
        let f = of_kind(&report, "dose-limit");
        assert_eq!(f.len(), 1, "{report}");
        assert_eq!(f[0]["rule"], format!("ketorolac-{route}"));
        assert_eq!(f[0]["dose"]["limit"], "max-days");
    }
    // At 65 or older the daily maximum halves: 30 mg four times a day is over 60 mg/day.
    let older = r#"{"age_years": 70, "weight_kg": 70}"#;
    let report = run(&regimen(older, &[&item("iv", 30, 2)]));
    let bands: Vec<&str> = of_kind(&report, "dose-limit")
        .iter()
        .map(|f| f["dose"]["band"].as_str().unwrap())
        .collect();
    assert_eq!(bands, ["age-65-or-older", "age-65-or-older"], "{report}");
}
