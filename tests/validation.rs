//! The validator catches the mistakes people make when they edit interaction data.
//!
//! Every test corrupts a copy of the bundled data in one way, loads it, and checks that the load
//! fails with the right kind of problem at the right file, entry and field. Entries are picked
//! by their shape (the first interaction rule, the first product...), not by id, so the tests
//! keep working as the bundled data grows.

use medcheck::model::ValidationError;
use medcheck::source::{
    Origin, RawAmount, RawBand, RawCitation, RawClass, RawEndpoint, RawRange, RawRule, RawWhen,
    SourceData,
};
use medcheck::{KnowledgeBase, LoadError};

fn bundled() -> SourceData {
    SourceData::bundled().expect("the bundled files parse")
}

/// Loads corrupted data and returns every validation problem; panics if it loads.
fn problems(data: SourceData) -> Vec<ValidationError> {
    match KnowledgeBase::from_source(data, Origin::Bundled) {
        Ok(_) => panic!("corrupted data passed validation"),
        Err(LoadError::Invalid(errors)) => errors,
        Err(other) => panic!("expected validation problems, got {other}"),
    }
}

/// The one problem with this code at this file, entry and field; panics (listing every problem)
/// if there is none.
fn find<'e>(
    errors: &'e [ValidationError],
    code: &str,
    file: &str,
    entry: &str,
    field: &str,
) -> &'e ValidationError {
    errors
        .iter()
        .find(|e| {
            let at = e.location();
            e.code() == code && at.file == file && at.entry == entry && at.field == field
        })
        .unwrap_or_else(|| {
            let listed: Vec<String> = errors
                .iter()
                .map(|e| format!("  [{}] {e}", e.code()))
                .collect();
            panic!(
                "no `{code}` problem at {file} `{entry}` field `{field}`; found:\n{}",
                listed.join("\n")
            )
        })
}

/// Exactly one problem, with this code and location.
fn only(
    errors: &[ValidationError],
    code: &str,
    file: &str,
    entry: &str,
    field: &str,
) -> ValidationError {
    let e = find(errors, code, file, entry, field);
    assert_eq!(errors.len(), 1, "expected one problem, found {errors:#?}");
    // The message a person reads names the file, the entry and the field.
    let shown = e.to_string();
    assert!(
        shown.contains(file) && shown.contains(entry) && shown.contains(field),
        "{shown}"
    );
    e.clone()
}

fn first_interaction(data: &mut SourceData) -> &mut RawRule {
    data.rules
        .iter_mut()
        .find(|r| r.kind == "interaction")
        .expect("the bundled data has an interaction rule")
}

fn endpoint_id(e: &RawEndpoint) -> &str {
    match e {
        RawEndpoint::Id(id) | RawEndpoint::WithRoute { id, .. } => id,
    }
}

fn amount(value: u32, unit: &str) -> RawAmount {
    RawAmount {
        value: value.into(),
        unit: unit.into(),
    }
}

#[test]
fn the_bundled_data_is_valid() {
    KnowledgeBase::from_source(bundled(), Origin::Bundled).expect("bundled data loads");
}

#[test]
fn dangling_references() {
    let mut data = bundled();
    let rule = first_interaction(&mut data);
    rule.between.as_mut().unwrap()[1] = RawEndpoint::Id("no-such-drug".into());
    let id = rule.id.clone();
    let e = only(
        &problems(data),
        "dangling-reference",
        "rules.json",
        &id,
        "between[1]",
    );
    assert!(matches!(e, ValidationError::Dangling { target, .. } if target == "no-such-drug"));

    // The same mistake in every other kind of reference is caught where it is.
    let mut data = bundled();
    data.substances[0].classes.push("no-such-class".into());
    let s = data.substances[0].id.clone();
    data.rules[0].monitoring.push("no-such-monitoring".into());
    let r = data.rules[0].id.clone();
    let n = data.rules[0].monitoring.len() - 1;
    data.rules[0].requires.push("no-such-condition".into());
    data.dose_limits[0].substance = "no-such-substance".into();
    let d = data.dose_limits[0].id.clone();
    data.classes[0].parents.push("no-such-parent".into());
    let c = data.classes[0].id.clone();
    let errors = problems(data);
    let classes = format!("classes[{}]", bundled().substances[0].classes.len());
    find(
        &errors,
        "dangling-reference",
        "substances.json",
        &s,
        &classes,
    );
    find(
        &errors,
        "dangling-reference",
        "rules.json",
        &r,
        &format!("monitoring[{n}]"),
    );
    find(
        &errors,
        "dangling-reference",
        "rules.json",
        &r,
        "requires[0]",
    );
    find(
        &errors,
        "dangling-reference",
        "dose-limits.json",
        &d,
        "substance",
    );
    let parents = format!("parents[{}]", bundled().classes[0].parents.len());
    find(&errors, "dangling-reference", "classes.json", &c, &parents);
}

#[test]
fn a_reference_to_the_wrong_kind_of_entry() {
    let mut data = bundled();
    let class = data.classes[0].id.clone();
    data.products[0].ingredients[0].substance = class.clone();
    let p = data.products[0].id.clone();
    let e = only(
        &problems(data),
        "wrong-kind",
        "products.json",
        &p,
        "ingredients[0].substance",
    );
    assert!(
        matches!(e, ValidationError::WrongKind { target, found: "class", .. } if *target == class)
    );
}

#[test]
fn duplicate_ids_within_a_file_and_across_files() {
    let mut data = bundled();
    let copy = data.substances[0].clone();
    data.substances.push(copy);
    let id = data.substances[0].id.clone();
    let errors = problems(data);
    let e = find(&errors, "duplicate-id", "substances.json", &id, "id");
    assert!(matches!(e, ValidationError::DuplicateId { first, .. } if first == "substances.json"));

    // Ids share one namespace: a rule may not take a substance's id.
    let mut data = bundled();
    let taken = data.substances[0].id.clone();
    let rule = first_interaction(&mut data);
    rule.id = taken.clone();
    let e = only(&problems(data), "duplicate-id", "rules.json", &taken, "id");
    assert!(matches!(e, ValidationError::DuplicateId { first, .. } if first == "substances.json"));
}

#[test]
fn a_synonym_that_resolves_to_two_concepts() {
    // A synonym of one substance that is another substance's display name.
    let mut data = bundled();
    let other = data.substances[1].name.clone();
    data.substances[0].synonyms.push(other.to_uppercase());
    let id = data.substances[0].id.clone();
    let field = format!("synonyms[{}]", data.substances[0].synonyms.len() - 1);
    let e = only(
        &problems(data),
        "name-clash",
        "substances.json",
        &id,
        &field,
    );
    let ValidationError::NameClash { name, other, .. } = &e else {
        unreachable!()
    };
    assert_eq!(*other, bundled().substances[1].id);
    assert_eq!(*name, bundled().substances[1].name.to_uppercase());

    // A brand that folds to another concept's id once case and punctuation are ignored.
    let mut data = bundled();
    let target = data.classes[0].id.replace('-', " ").to_uppercase() + ".";
    data.products[0].brands.push(target);
    let p = data.products[0].id.clone();
    let field = format!("brands[{}]", data.products[0].brands.len() - 1);
    only(&problems(data), "name-clash", "products.json", &p, &field);

    // Two substances with one RxNorm code.
    let mut data = bundled();
    let with_code = data
        .substances
        .iter()
        .position(|s| s.rxnorm.is_some())
        .expect("a substance with an RxNorm code");
    let code = data.substances[with_code].rxnorm.clone();
    let other = (with_code + 1) % data.substances.len();
    data.substances[other].rxnorm = code;
    let id = data.substances[other].id.clone();
    let errors = problems(data);
    let e = find(&errors, "name-clash", "substances.json", &id, "rxnorm");
    assert!(matches!(e, ValidationError::NameClash { name, .. } if name.starts_with("rxnorm:")));
}

#[test]
fn class_cycles() {
    // A class made a member of one of its own members.
    let mut data = bundled();
    let child = data
        .classes
        .iter()
        .position(|c| !c.parents.is_empty())
        .expect("a nested class");
    let parent_id = data.classes[child].parents[0].clone();
    let child_id = data.classes[child].id.clone();
    let parent = data.classes.iter_mut().find(|c| c.id == parent_id).unwrap();
    parent.parents.push(child_id.clone());
    let errors = problems(data);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let ValidationError::Cycle { at, cycle } = &errors[0] else {
        panic!("expected a cycle, got {errors:#?}")
    };
    assert_eq!(at.file, "classes.json");
    assert_eq!(at.field, "parents");
    assert!(
        cycle.contains(&child_id) && cycle.contains(&parent_id),
        "{cycle:?}"
    );
    assert_eq!(cycle.first(), cycle.last());

    // A class that lists itself.
    let mut data = bundled();
    let id = data.classes[0].id.clone();
    data.classes[0].parents.push(id.clone());
    only(&problems(data), "cycle", "classes.json", &id, "parents");

    // Conditions nest too.
    let mut data = bundled();
    let (a, b) = (data.conditions[0].id.clone(), data.conditions[1].id.clone());
    data.conditions[0].parents.push(b.clone());
    data.conditions[1].parents.push(a.clone());
    let errors = problems(data);
    let e = find(
        &errors,
        "cycle",
        "conditions.json",
        a.min(b).as_str(),
        "parents",
    );
    assert!(matches!(e, ValidationError::Cycle { cycle, .. } if cycle.len() == 3));
}

#[test]
fn self_interactions() {
    let mut data = bundled();
    let rule = first_interaction(&mut data);
    let between = rule.between.as_mut().unwrap();
    let a = endpoint_id(&between[0]).to_string();
    between[1] = RawEndpoint::Id(a.clone());
    let id = rule.id.clone();
    let e = only(
        &problems(data),
        "self-interaction",
        "rules.json",
        &id,
        "between",
    );
    assert!(matches!(e, ValidationError::SelfInteraction { concept, .. } if *concept == a));

    // A route on one end does not make it a different concept.
    let mut data = bundled();
    let rule = first_interaction(&mut data);
    let between = rule.between.as_mut().unwrap();
    let a = endpoint_id(&between[0]).to_string();
    between[1] = RawEndpoint::WithRoute {
        id: a,
        route: "oral".into(),
    };
    let id = rule.id.clone();
    only(
        &problems(data),
        "self-interaction",
        "rules.json",
        &id,
        "between",
    );
}

#[test]
fn a_product_whose_ingredient_does_not_exist() {
    let mut data = bundled();
    data.products[0].ingredients[0].substance = "unobtainium".into();
    let p = data.products[0].id.clone();
    let e = only(
        &problems(data),
        "dangling-reference",
        "products.json",
        &p,
        "ingredients[0].substance",
    );
    assert!(matches!(e, ValidationError::Dangling { target, .. } if target == "unobtainium"));

    // A product with no ingredients at all.
    let mut data = bundled();
    data.products[0].ingredients.clear();
    let p = data.products[0].id.clone();
    only(&problems(data), "empty", "products.json", &p, "ingredients");
}

#[test]
fn strengths_in_an_unknown_unit() {
    let mut data = bundled();
    data.products[0].ingredients[0].strength.unit = "mgs".into();
    let p = data.products[0].id.clone();
    let e = only(
        &problems(data),
        "unknown-value",
        "products.json",
        &p,
        "ingredients[0].strength.unit",
    );
    assert!(matches!(e, ValidationError::UnknownValue { value, .. } if value == "mgs"));

    // A known unit that cannot be a strength of this dosage unit: a rate in a tablet.
    let mut data = bundled();
    let tablet = data
        .products
        .iter()
        .position(|p| p.unit == "tablet")
        .expect("a tablet product");
    data.products[tablet].ingredients[0].strength.unit = "mcg/h".into();
    let p = data.products[tablet].id.clone();
    only(
        &problems(data),
        "unknown-value",
        "products.json",
        &p,
        "ingredients[0].strength.unit",
    );

    // A strength of zero.
    let mut data = bundled();
    data.products[0].ingredients[0].strength.value = 0.into();
    let p = data.products[0].id.clone();
    only(
        &problems(data),
        "bad-number",
        "products.json",
        &p,
        "ingredients[0].strength.value",
    );
}

#[test]
fn a_single_dose_maximum_above_the_daily_maximum() {
    let mut data = bundled();
    let limit = &mut data.dose_limits[0];
    limit.bands[0].max_single = Some(amount(5, "g"));
    limit.bands[0].max_daily = Some(amount(4000, "mg"));
    let id = limit.id.clone();
    let e = only(
        &problems(data),
        "single-above-daily",
        "dose-limits.json",
        &id,
        "bands[0].max_single",
    );
    let ValidationError::SingleAboveDaily { single, daily, .. } = &e else {
        unreachable!()
    };
    assert_eq!((single.as_str(), daily.as_str()), ("5 g", "4000 mg"));

    // Equal is fine: one dose may be the whole day's.
    let mut data = bundled();
    data.dose_limits[0].bands[0].max_single = Some(amount(4, "g"));
    data.dose_limits[0].bands[0].max_daily = Some(amount(4000, "mg"));
    KnowledgeBase::from_source(data, Origin::Bundled).expect("single == daily is valid");
}

#[test]
fn a_band_that_overlaps_another_for_the_same_patients() {
    // The same band twice.
    let mut data = bundled();
    let copy = data.dose_limits[0].bands[0].clone();
    data.dose_limits[0].bands.push(copy);
    let n = data.dose_limits[0].bands.len() - 1;
    let id = data.dose_limits[0].id.clone();
    let e = only(
        &problems(data),
        "overlapping-bands",
        "dose-limits.json",
        &id,
        &format!("bands[{n}]"),
    );
    assert!(
        matches!(e, ValidationError::OverlappingBands { other, .. } if *other == bundled().dose_limits[0].bands[0].band)
    );

    // Two ranges of one criterion that share values.
    let mut data = bundled();
    let band = |name: &str, min: u32, max: Option<u32>| RawBand {
        band: name.into(),
        when: Some(RawWhen {
            crcl_ml_min: Some(RawRange {
                min: Some(min.into()),
                max: max.map(Into::into),
            }),
            ..RawWhen::default()
        }),
        max_single: None,
        max_daily: Some(amount(100, "mg")),
        max_days: None,
        note: None,
    };
    data.dose_limits[0].bands = vec![
        band("crcl-30-to-60", 30, Some(60)),
        band("crcl-50-up", 50, None),
    ];
    let id = data.dose_limits[0].id.clone();
    only(
        &problems(data),
        "overlapping-bands",
        "dose-limits.json",
        &id,
        "bands[1]",
    );

    // Touching ranges (max is exclusive) do not overlap.
    let mut data = bundled();
    data.dose_limits[0].bands = vec![
        band("crcl-30-to-60", 30, Some(60)),
        band("crcl-60-up", 60, None),
    ];
    KnowledgeBase::from_source(data, Origin::Bundled).expect("adjacent bands are valid");
}

#[test]
fn missing_sources() {
    let mut data = bundled();
    let rule = first_interaction(&mut data);
    rule.sources.clear();
    let r = rule.id.clone();
    only(&problems(data), "no-source", "rules.json", &r, "sources");

    // Dose limits, conversion factors, MME thresholds and monitoring need sources too.
    let mut data = bundled();
    data.dose_limits[0].sources.clear();
    let d = data.dose_limits[0].id.clone();
    data.mme_thresholds[0].sources.clear();
    let t = data.mme_thresholds[0].id.clone();
    data.monitoring[0].sources.clear();
    let m = data.monitoring[0].id.clone();
    data.opioid_conversions[0].sources.clear();
    let c = format!(
        "{}/{}",
        data.opioid_conversions[0].substance, data.opioid_conversions[0].route
    );
    let errors = problems(data);
    assert_eq!(errors.len(), 4, "{errors:#?}");
    find(&errors, "no-source", "dose-limits.json", &d, "sources");
    find(&errors, "no-source", "mme-thresholds.json", &t, "sources");
    find(&errors, "no-source", "monitoring.json", &m, "sources");
    find(
        &errors,
        "no-source",
        "opioid-conversions.json",
        &c,
        "sources",
    );
}

#[test]
fn a_source_cited_but_not_defined() {
    let mut data = bundled();
    let rule = first_interaction(&mut data);
    rule.sources.push(RawCitation::WithSection {
        id: "fda-label-made-up".into(),
        section: "5 Warnings".into(),
    });
    let n = rule.sources.len() - 1;
    let r = rule.id.clone();
    let e = only(
        &problems(data),
        "dangling-reference",
        "rules.json",
        &r,
        &format!("sources[{n}]"),
    );
    assert!(matches!(e, ValidationError::Dangling { target, .. } if target == "fda-label-made-up"));

    // Citing something that is not a source.
    let mut data = bundled();
    let substance = data.substances[0].id.clone();
    data.dose_limits[0].sources = vec![RawCitation::Id(substance)];
    let d = data.dose_limits[0].id.clone();
    only(
        &problems(data),
        "wrong-kind",
        "dose-limits.json",
        &d,
        "sources[0]",
    );
}

#[test]
fn a_severity_or_evidence_level_outside_the_allowed_set() {
    for bad in ["severe", "info", "Major", ""] {
        let mut data = bundled();
        let rule = first_interaction(&mut data);
        rule.severity = bad.into();
        let r = rule.id.clone();
        let e = only(
            &problems(data),
            "unknown-value",
            "rules.json",
            &r,
            "severity",
        );
        assert!(
            e.to_string()
                .contains("contraindicated, major, moderate, minor"),
            "{e}"
        );
    }
    let mut data = bundled();
    let rule = first_interaction(&mut data);
    rule.evidence = "strong".into();
    let r = rule.id.clone();
    only(
        &problems(data),
        "unknown-value",
        "rules.json",
        &r,
        "evidence",
    );

    let mut data = bundled();
    data.dose_limits[0].severity = "high".into();
    data.dose_limits[0].evidence = "anecdotal".into();
    let d = data.dose_limits[0].id.clone();
    data.mme_thresholds[0].severity = "critical".into();
    let t = data.mme_thresholds[0].id.clone();
    let errors = problems(data);
    assert_eq!(errors.len(), 3, "{errors:#?}");
    find(&errors, "unknown-value", "dose-limits.json", &d, "severity");
    find(&errors, "unknown-value", "dose-limits.json", &d, "evidence");
    find(
        &errors,
        "unknown-value",
        "mme-thresholds.json",
        &t,
        "severity",
    );
}

fn empty_class(id: &str) -> RawClass {
    RawClass {
        id: id.into(),
        name: format!("Class {id}"),
        synonyms: vec![],
        parents: vec![],
        description: None,
    }
}

#[test]
fn a_rule_that_could_never_fire() {
    // An interaction with a class nothing belongs to.
    let mut data = bundled();
    data.classes.push(empty_class("empty-class"));
    let rule = first_interaction(&mut data);
    rule.between.as_mut().unwrap()[0] = RawEndpoint::Id("empty-class".into());
    let r = rule.id.clone();
    let e = only(&problems(data), "never-fires", "rules.json", &r, "");
    assert!(e.to_string().contains("empty-class"), "{e}");

    // An accumulation that needs more members than its class has.
    let mut data = bundled();
    let members = data
        .substances
        .iter()
        .filter(|s| s.classes.contains(&"empty-class".to_string()))
        .count();
    assert_eq!(members, 0);
    data.classes.push(empty_class("small-class"));
    data.substances[0].classes.push("small-class".into());
    data.substances[1].classes.push("small-class".into());
    let mut acc = first_interaction(&mut data).clone();
    acc.id = "small-class-load".into();
    acc.kind = "accumulation".into();
    acc.between = None;
    acc.class = Some("small-class".into());
    acc.min_count = Some(3);
    data.rules.push(acc.clone());
    only(
        &problems(data.clone()),
        "never-fires",
        "rules.json",
        "small-class-load",
        "",
    );
    // Two members are enough for two.
    data.rules.last_mut().unwrap().min_count = Some(2);
    KnowledgeBase::from_source(data.clone(), Origin::Bundled).expect("two of two can fire");

    // A duplication rule on a class of one.
    data.substances[1].classes.pop();
    data.rules.last_mut().unwrap().kind = "duplication".into();
    data.rules.last_mut().unwrap().min_count = None;
    only(
        &problems(data),
        "never-fires",
        "rules.json",
        "small-class-load",
        "",
    );

    // Two condition endpoints: no item is ever compared with a condition on both sides.
    let mut data = bundled();
    let (a, b) = (data.conditions[0].id.clone(), data.conditions[1].id.clone());
    let rule = first_interaction(&mut data);
    rule.between = Some(vec![RawEndpoint::Id(a), RawEndpoint::Id(b)]);
    let r = rule.id.clone();
    only(&problems(data), "never-fires", "rules.json", &r, "between");

    // A class rule against its only member: an item does not interact with itself.
    let mut data = bundled();
    data.classes.push(empty_class("class-of-one"));
    data.substances[0].classes.push("class-of-one".into());
    let only_member = data.substances[0].id.clone();
    let rule = first_interaction(&mut data);
    rule.between = Some(vec![
        RawEndpoint::Id("class-of-one".into()),
        RawEndpoint::Id(only_member),
    ]);
    let r = rule.id.clone();
    only(&problems(data), "never-fires", "rules.json", &r, "");

    // A route that nothing at that end can be given by: a product has one route.
    let mut data = bundled();
    let oral = data
        .products
        .iter()
        .find(|p| p.route == "oral")
        .expect("an oral product")
        .id
        .clone();
    let rule = first_interaction(&mut data);
    rule.between.as_mut().unwrap()[0] = RawEndpoint::WithRoute {
        id: oral,
        route: "transdermal".into(),
    };
    let r = rule.id.clone();
    let e = only(
        &problems(data),
        "never-fires",
        "rules.json",
        &r,
        "between[0].route",
    );
    assert!(e.to_string().contains("transdermal"), "{e}");
}

#[test]
fn every_problem_in_one_load_is_reported() {
    let mut data = bundled();
    data.rules[0].severity = "severe".into();
    data.products[0].ingredients[0].strength.unit = "mgs".into();
    data.dose_limits[0].sources.clear();
    let errors = problems(data);
    assert_eq!(errors.len(), 3, "{errors:#?}");
}

fn substance(id: &str, classes: &[&str]) -> medcheck::source::RawSubstance {
    medcheck::source::RawSubstance {
        id: id.into(),
        name: format!("Substance {id}"),
        kind: "drug".into(),
        synonyms: vec![],
        brands: vec![],
        rxnorm: None,
        atc: None,
        classes: classes.iter().map(|c| c.to_string()).collect(),
    }
}

#[test]
fn class_rules_that_expand_past_the_pair_cap_are_refused() {
    use medcheck::graph::MAX_PAIR_EXPANSION;
    let per_class = (MAX_PAIR_EXPANSION as f64).sqrt() as usize + 1;
    let mut data = bundled();
    data.classes.push(empty_class("huge-a"));
    data.classes.push(empty_class("huge-b"));
    for i in 0..per_class {
        data.substances
            .push(substance(&format!("huge-a-{i}"), &["huge-a"]));
        data.substances
            .push(substance(&format!("huge-b-{i}"), &["huge-b"]));
    }
    let mut rule = first_interaction(&mut data).clone();
    rule.id = "huge-a-huge-b".into();
    rule.between = Some(vec![
        RawEndpoint::Id("huge-a".into()),
        RawEndpoint::Id("huge-b".into()),
    ]);
    data.rules.push(rule);
    let e = only(
        &problems(data),
        "too-large",
        "rules.json",
        "huge-a-huge-b",
        "between",
    );
    assert!(e.to_string().contains("concept pairs"), "{e}");
}

#[test]
fn nesting_that_flattens_past_the_membership_cap_is_refused() {
    use medcheck::graph::MAX_MEMBERSHIPS;
    // A chain of classes, each inside the one before, and many substances in the innermost.
    let depth = 2048;
    let mut data = bundled();
    for i in 0..depth {
        let mut c = empty_class(&format!("level-{i}"));
        if i > 0 {
            c.parents.push(format!("level-{}", i - 1));
        }
        data.classes.push(c);
    }
    let innermost = format!("level-{}", depth - 1);
    for i in 0..MAX_MEMBERSHIPS / depth + 1 {
        data.substances
            .push(substance(&format!("deep-{i}"), &[&innermost]));
    }
    let errors = problems(data);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code(), "too-large");
    assert!(
        errors[0].to_string().contains("class memberships"),
        "{}",
        errors[0]
    );
}

#[test]
fn a_phenotype_listed_twice_is_harmless() {
    let mut data = bundled();
    let rule = data
        .rules
        .iter_mut()
        .find(|r| r.kind == "pharmacogenomic")
        .expect("a pharmacogenomic rule");
    let first = rule.phenotypes.as_ref().unwrap()[0].clone();
    rule.phenotypes.as_mut().unwrap().push(first);
    KnowledgeBase::from_source(data, Origin::Bundled).expect("loads");
}

#[test]
fn a_class_that_cross_reacts_with_itself_is_not_a_cycle() {
    // Regression: the rule's edge from a class to itself was taken for a membership cycle.
    let mut data = bundled();
    let class = data
        .classes
        .iter()
        .find(|c| data.substances.iter().any(|s| s.classes.contains(&c.id)))
        .expect("a class with a member")
        .id
        .clone();
    let mut rule = first_interaction(&mut data).clone();
    rule.id = "class-cross-reacts-with-itself".into();
    rule.kind = "cross-sensitivity".into();
    rule.between = None;
    rule.allergen = Some(class.clone());
    rule.subject = Some(class);
    data.rules.push(rule);
    KnowledgeBase::from_source(data, Origin::Bundled).expect("loads");
}

#[test]
fn a_phenotype_that_cannot_apply_to_its_gene_is_refused() {
    // A carrier status for a metabolizer gene, a metabolizer status for an HLA allele, and a
    // gene written in neither form, each named with its rule and field.
    let mut data = bundled();
    let template = data
        .rules
        .iter()
        .find(|r| r.kind == "pharmacogenomic")
        .expect("a pharmacogenomic rule")
        .clone();
    for (id, gene, phenotype) in [
        ("cyp-positive", "CYP2D6", "positive"),
        ("hla-poor", "HLA-B*15:02", "poor"),
        ("hla-lowercase", "hla-b*15:02", "positive"),
    ] {
        let mut rule = template.clone();
        rule.id = id.into();
        rule.gene = Some(gene.into());
        rule.phenotypes = Some(vec![phenotype.into()]);
        data.rules.push(rule);
    }
    let errors = problems(data);
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 3, "{text:#?}");
    assert_eq!(errors[0].code(), "phenotype-not-for-gene", "{text:#?}");
    assert!(
        text.iter()
            .any(|e| e.contains("cyp-positive") && e.contains("phenotypes[0]")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|e| e.contains("hla-poor") && e.contains("positive, negative")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|e| e.contains("hla-lowercase") && e.contains("gene")),
        "{text:#?}"
    );
}

#[test]
fn standing_monitoring_for_an_unknown_or_wrong_kind_of_entry_is_named() {
    let mut data = bundled();
    let m = &mut data.monitoring[0];
    let id = m.id.clone();
    m.for_items = vec![
        "methadone".into(),
        "no-such-drug".into(),
        "chronic-kidney-disease".into(),
    ];
    let errors = problems(data);
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 2, "{text:#?}");
    assert_eq!(errors[0].code(), "dangling-reference", "{text:#?}");
    assert!(
        text[0].contains("monitoring.json") && text[0].contains(&id) && text[0].contains("for[1]"),
        "{text:#?}"
    );
    assert_eq!(errors[1].code(), "wrong-kind", "{text:#?}");
    assert!(text[1].contains("for[2]"), "{text:#?}");
}
