//! The bundled knowledge base covers what issue 4 lists, with the class memberships the rules
//! depend on, and no membership that would make a rule over-fire.

use medcheck::KnowledgeBase;

/// Every canonical id issue 4 lists, with the concept kind it must be.
const COVERAGE: &[(&str, &str)] = &[
    // analgesics
    ("acetaminophen", "substance"),
    ("aspirin", "substance"),
    ("ibuprofen", "substance"),
    ("naproxen", "substance"),
    ("diclofenac", "substance"),
    ("meloxicam", "substance"),
    ("celecoxib", "substance"),
    ("ketorolac", "substance"),
    ("indomethacin", "substance"),
    ("tramadol", "substance"),
    ("tapentadol", "substance"),
    ("codeine", "substance"),
    ("hydrocodone", "substance"),
    ("oxycodone", "substance"),
    ("morphine", "substance"),
    ("hydromorphone", "substance"),
    ("oxymorphone", "substance"),
    ("methadone", "substance"),
    ("fentanyl", "substance"),
    ("buprenorphine", "substance"),
    ("meperidine", "substance"),
    // adjuvants
    ("gabapentin", "substance"),
    ("pregabalin", "substance"),
    ("duloxetine", "substance"),
    ("venlafaxine", "substance"),
    ("milnacipran", "substance"),
    ("amitriptyline", "substance"),
    ("nortriptyline", "substance"),
    ("cyclobenzaprine", "substance"),
    ("tizanidine", "substance"),
    ("baclofen", "substance"),
    ("methocarbamol", "substance"),
    ("carisoprodol", "substance"),
    ("lidocaine", "substance"),
    ("capsaicin", "substance"),
    ("prednisone", "substance"),
    ("carbamazepine", "substance"),
    // co-medications
    ("warfarin", "substance"),
    ("apixaban", "substance"),
    ("rivaroxaban", "substance"),
    ("dabigatran", "substance"),
    ("clopidogrel", "substance"),
    ("sertraline", "substance"),
    ("fluoxetine", "substance"),
    ("paroxetine", "substance"),
    ("citalopram", "substance"),
    ("escitalopram", "substance"),
    ("bupropion", "substance"),
    ("trazodone", "substance"),
    ("phenelzine", "substance"),
    ("selegiline", "substance"),
    ("linezolid", "substance"),
    ("lithium", "substance"),
    ("alprazolam", "substance"),
    ("lorazepam", "substance"),
    ("diazepam", "substance"),
    ("clonazepam", "substance"),
    ("zolpidem", "substance"),
    ("sumatriptan", "substance"),
    ("ciprofloxacin", "substance"),
    ("clarithromycin", "substance"),
    ("fluconazole", "substance"),
    ("ketoconazole", "substance"),
    ("rifampin", "substance"),
    ("ritonavir", "substance"),
    ("trimethoprim-sulfamethoxazole", "substance"),
    ("fluvoxamine", "substance"),
    ("lisinopril", "substance"),
    ("losartan", "substance"),
    ("hydrochlorothiazide", "substance"),
    ("furosemide", "substance"),
    ("spironolactone", "substance"),
    ("metoprolol", "substance"),
    ("amiodarone", "substance"),
    ("digoxin", "substance"),
    ("methotrexate", "substance"),
    ("omeprazole", "substance"),
    ("ondansetron", "substance"),
    ("quetiapine", "substance"),
    ("metformin", "substance"),
    // herbs, supplements, foods
    ("st-johns-wort", "substance"),
    ("ginkgo", "substance"),
    ("turmeric", "substance"),
    ("fish-oil", "substance"),
    ("garlic", "substance"),
    ("ginger", "substance"),
    ("ginseng", "substance"),
    ("kava", "substance"),
    ("valerian", "substance"),
    ("cannabidiol", "substance"),
    ("kratom", "substance"),
    ("willow-bark", "substance"),
    ("devils-claw", "substance"),
    ("feverfew", "substance"),
    ("glucosamine", "substance"),
    ("same", "substance"),
    ("5-htp", "substance"),
    ("melatonin", "substance"),
    ("magnesium", "substance"),
    ("grapefruit-juice", "substance"),
    // therapies
    ("acupuncture", "therapy"),
    ("electroacupuncture", "therapy"),
    ("dry-needling", "therapy"),
    ("massage-therapy", "therapy"),
    ("spinal-manipulation", "therapy"),
    ("heat-therapy", "therapy"),
    ("cryotherapy", "therapy"),
    ("tens", "therapy"),
    ("yoga", "therapy"),
    ("cupping", "therapy"),
    // conditions
    ("chronic-kidney-disease", "condition"),
    ("hepatic-impairment", "condition"),
    ("peptic-ulcer-disease", "condition"),
    ("heart-failure", "condition"),
    ("hypertension", "condition"),
    ("sleep-apnea", "condition"),
    ("copd", "condition"),
    ("respiratory-insufficiency", "condition"),
    ("seizure-disorder", "condition"),
    ("long-qt", "condition"),
    ("bleeding-disorder", "condition"),
    ("thrombocytopenia", "condition"),
    ("osteoporosis", "condition"),
    ("pacemaker", "condition"),
    ("pregnancy", "condition"),
    ("substance-use-disorder", "condition"),
    ("chronic-alcohol-use", "condition"),
    ("age-65-or-older", "condition"),
    // classes
    ("nsaid", "class"),
    ("opioid", "class"),
    ("serotonergic", "class"),
    ("cns-depressant", "class"),
    ("benzodiazepine", "class"),
    ("gabapentinoid", "class"),
    ("anticoagulant", "class"),
    ("antiplatelet", "class"),
    ("bleeding-risk-drug", "class"),
    ("qt-prolonging", "class"),
    ("strong-cyp3a4-inhibitor", "class"),
    ("moderate-cyp3a4-inhibitor", "class"),
    ("strong-cyp2d6-inhibitor", "class"),
    ("moderate-cyp2d6-inhibitor", "class"),
    ("cyp3a4-inducer", "class"),
    ("cyp1a2-inhibitor", "class"),
    ("maoi", "class"),
    ("anticholinergic", "class"),
    ("ras-inhibitor", "class"),
    ("diuretic", "class"),
    ("potassium-raising", "class"),
    ("ssri", "class"),
];

fn kind_of(kb: &KnowledgeBase, id: &str) -> Option<&'static str> {
    kb.index().resolve(id).map(|c| kb.index().kind(c).as_str())
}

fn resolves_to(kb: &KnowledgeBase, name: &str) -> Option<String> {
    kb.index()
        .resolve(name)
        .map(|c| kb.model().concept(c).id.to_string())
}

fn is_a(kb: &KnowledgeBase, member: &str, class: &str) -> bool {
    let m = kb.index().resolve(member).expect(member);
    let c = kb.index().resolve(class).expect(class);
    kb.index().is_a(m, c)
}

#[test]
fn every_issue_id_exists_with_its_kind() {
    let kb = KnowledgeBase::bundled();
    let mut missing = Vec::new();
    for (id, kind) in COVERAGE {
        let id_ok = resolves_to(kb, id).as_deref() == Some(*id);
        if !id_ok || kind_of(kb, id) != Some(*kind) {
            missing.push(format!(
                "{id} ({kind}): resolves to {:?}",
                resolves_to(kb, id)
            ));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn naloxone_resolves_by_name() {
    // Every name a user types finds the substance (the monitoring entry is `naloxone-offer`).
    let kb = KnowledgeBase::bundled();
    for name in ["naloxone", "Naloxone", "Narcan", "rxnorm:7242"] {
        assert_eq!(resolves_to(kb, name).as_deref(), Some("naloxone"), "{name}");
    }
}

#[test]
fn synonyms_brands_and_codes_resolve() {
    let kb = KnowledgeBase::bundled();
    for (name, id) in [
        ("Tylenol", "acetaminophen"),
        ("paracetamol", "acetaminophen"),
        ("Advil", "ibuprofen"),
        ("Xanax", "alprazolam"),
        ("Zoloft", "sertraline"),
        ("Eliquis", "apixaban"),
        ("Coumadin", "warfarin"),
        ("Cipro", "ciprofloxacin"),
        ("Bactrim", "trimethoprim-sulfamethoxazole"),
        ("TMP-SMX", "trimethoprim-sulfamethoxazole"),
        ("pethidine", "meperidine"),
        ("rifampicin", "rifampin"),
        ("St. John's Wort", "st-johns-wort"),
        ("curcumin", "turmeric"),
        ("CBD", "cannabidiol"),
        ("5-hydroxytryptophan", "5-htp"),
        ("S-adenosylmethionine", "same"),
        ("Devil's claw", "devils-claw"),
        ("heating pad", "heat-therapy"),
        ("TENS unit", "tens"),
        ("CKD", "chronic-kidney-disease"),
        ("COPD", "copd"),
        ("OSA", "sleep-apnea"),
        ("rxnorm:11289", "warfarin"),
        ("rxnorm:7804", "oxycodone"),
        ("Norco 5/325", "hydrocodone-acetaminophen-5-325"),
        ("Tylenol #3", "codeine-acetaminophen-30-300"),
        ("Butrans 20", "buprenorphine-transdermal-20"),
    ] {
        assert_eq!(resolves_to(kb, name).as_deref(), Some(id), "{name}");
    }
}

#[test]
fn class_memberships_the_rules_depend_on() {
    let kb = KnowledgeBase::bundled();
    for (member, class) in [
        ("aspirin", "nsaid"),
        ("aspirin", "antiplatelet"),
        ("celecoxib", "nsaid"),
        ("ketorolac", "nonselective-nsaid"),
        ("oxycodone", "opioid"),
        ("oxycodone", "cyp3a4-substrate-opioid"),
        ("fentanyl", "cyp3a4-substrate-opioid"),
        ("codeine", "phenanthrene-opioid"),
        ("buprenorphine", "phenanthrene-opioid"),
        ("methadone", "high-risk-qt-prolonging"),
        ("apixaban", "anticoagulant"),
        ("dabigatran", "anticoagulant"),
        ("warfarin", "bleeding-risk-drug"),
        ("sertraline", "serotonergic"),
        ("duloxetine", "serotonin-reuptake-inhibitor"),
        ("st-johns-wort", "cyp3a4-inducer"),
        ("fluoxetine", "strong-cyp2d6-inhibitor"),
        ("paroxetine", "strong-cyp2d6-inhibitor"),
        ("bupropion", "strong-cyp2d6-inhibitor"),
        ("clarithromycin", "strong-cyp3a4-inhibitor"),
        ("fluconazole", "moderate-cyp3a4-inhibitor"),
        ("grapefruit-juice", "moderate-cyp3a4-inhibitor"),
        ("rifampin", "strong-cyp3a4-inducer"),
        ("ciprofloxacin", "cyp1a2-inhibitor"),
        ("fluvoxamine", "cyp1a2-inhibitor"),
        ("linezolid", "maoi"),
        ("alprazolam", "cns-depressant"),
        ("gabapentin", "sedative"),
        ("amitriptyline", "anticholinergic"),
        ("lisinopril", "potassium-raising"),
        ("trimethoprim-sulfamethoxazole", "potassium-raising"),
        ("electroacupuncture", "electrical-stimulation"),
        ("dry-needling", "needling-therapy"),
        ("copd", "respiratory-insufficiency"),
        ("thrombocytopenia", "bleeding-disorder"),
    ] {
        assert!(
            is_a(kb, member, class),
            "{member} should be a member of {class}"
        );
    }
}

#[test]
fn memberships_that_would_make_rules_over_fire() {
    let kb = KnowledgeBase::bundled();
    for (member, class) in [
        // Acetaminophen is not an NSAID, not serotonergic and not a bleeding-risk drug.
        ("acetaminophen", "nsaid"),
        ("acetaminophen", "serotonergic"),
        ("acetaminophen", "bleeding-risk-drug"),
        // Fish oil at usual doses does not raise bleeding risk.
        ("fish-oil", "bleeding-risk-drug"),
        // Sertraline is a weak CYP2D6 inhibitor; the tramadol and codeine rules need strong ones.
        ("sertraline", "cyp2d6-inhibitor"),
        // Glucuronidated opioids are not CYP3A4 substrates; morphine has no serotonin warning.
        ("morphine", "cyp3a4-substrate-opioid"),
        ("hydromorphone", "cyp3a4-substrate-opioid"),
        ("morphine", "serotonergic"),
        ("morphine", "serotonergic-opioid"),
        // Naloxone and kratom are not opioid analgesics for the MME total.
        ("naloxone", "opioid"),
        ("kratom", "opioid"),
        // Tramadol has its own serotonergic rules; celecoxib is not in the Beers GI criterion.
        ("tramadol", "serotonergic-opioid"),
        ("celecoxib", "nonselective-nsaid"),
        // Amiodarone is not a strong CYP1A2 inhibitor; lorazepam is not CYP3A4-cleared.
        ("amiodarone", "strong-cyp1a2-inhibitor"),
        ("lorazepam", "cyp3a4-inhibitor"),
        // MAO inhibitors are not themselves counted as serotonergic (they have their own rules).
        ("linezolid", "serotonergic"),
    ] {
        assert!(
            !is_a(kb, member, class),
            "{member} must not be a member of {class}"
        );
    }
}

#[test]
fn every_rule_cites_a_source_and_names_an_evidence_level() {
    let kb = KnowledgeBase::bundled();
    let stats = kb.stats();
    assert!(stats.rules >= 150, "{} rules", stats.rules);
    for rule in &kb.model().rules {
        assert!(!rule.sources.is_empty(), "{}", rule.id);
    }
}

#[test]
fn the_issues_condition_and_therapy_names_resolve() {
    // Written as issue 4 lists them; each must resolve, not be an unknown item.
    let kb = medcheck::KnowledgeBase::bundled();
    for (name, id) in [
        ("GI bleeding history", "peptic-ulcer-disease"),
        ("GI bleeding", "peptic-ulcer-disease"),
        ("QT prolongation history", "long-qt"),
        ("implanted electronic device", "pacemaker"),
        ("COPD", "copd"),
        ("respiratory insufficiency", "respiratory-insufficiency"),
        ("bleeding disorder", "bleeding-disorder"),
        ("renal failure", "chronic-kidney-disease"),
        ("hot packs", "heat-therapy"),
        ("heating pad", "heat-therapy"),
        ("sauna", "heat-therapy"),
    ] {
        let c = kb
            .index()
            .resolve(name)
            .unwrap_or_else(|| panic!("{name} does not resolve"));
        assert_eq!(&*kb.model().concept(c).id, id, "{name}");
    }
}
