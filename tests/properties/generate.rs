//! A generator of small random valid knowledge bases and of regimens for them.
//!
//! Everything is drawn from one seed with SplitMix64, so a failing case is reproduced from the
//! seed proptest prints. Rules that the validator would refuse (empty classes, self-pairs, two
//! rules on one key...) are dropped here by a test-side copy of those checks, so every generated
//! knowledge base must load: a load failure is itself a test failure.

use std::collections::{BTreeMap, BTreeSet};

use medcheck::source::*;
use serde_json::{Value, json};

/// SplitMix64.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0..n
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() % 10_000) as f64 / 10_000.0 < p
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }
}

const SEVERITIES: [&str; 4] = ["contraindicated", "major", "moderate", "minor"];
const EVIDENCE: [&str; 4] = ["established", "probable", "possible", "theoretical"];

fn cite(id: &str) -> Vec<RawCitation> {
    vec![RawCitation::Id(id.into())]
}

/// The membership structure of generated data, by id, for the generator's own checks and for
/// the reference checker.
#[derive(Clone, Debug, Default)]
pub struct Shape {
    /// Direct parents (classes, or broader conditions) of every concept.
    pub parents: BTreeMap<String, Vec<String>>,
    /// Kind of every concept: `class`, `condition`, `substance`, `product`, `therapy`.
    pub kinds: BTreeMap<String, &'static str>,
    /// Product routes.
    pub product_routes: BTreeMap<String, String>,
}

impl Shape {
    pub fn of(data: &SourceData) -> Shape {
        let mut s = Shape::default();
        for c in &data.classes {
            s.parents.insert(c.id.clone(), c.parents.clone());
            s.kinds.insert(c.id.clone(), "class");
        }
        for c in &data.conditions {
            s.parents.insert(c.id.clone(), c.parents.clone());
            s.kinds.insert(c.id.clone(), "condition");
        }
        for c in &data.substances {
            s.parents.insert(c.id.clone(), c.classes.clone());
            s.kinds.insert(c.id.clone(), "substance");
        }
        for c in &data.products {
            s.parents.insert(c.id.clone(), c.classes.clone());
            s.kinds.insert(c.id.clone(), "product");
            s.product_routes.insert(c.id.clone(), c.route.clone());
        }
        for c in &data.therapies {
            s.parents.insert(c.id.clone(), c.classes.clone());
            s.kinds.insert(c.id.clone(), "therapy");
        }
        s
    }

    /// The concept and everything it belongs to, by a plain recursive walk.
    pub fn ancestors(&self, id: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.walk(id, &mut out);
        out
    }

    fn walk(&self, id: &str, out: &mut BTreeSet<String>) {
        if out.insert(id.to_string()) {
            for p in self.parents.get(id).into_iter().flatten() {
                self.walk(p, out);
            }
        }
    }

    pub fn is_a(&self, id: &str, of: &str) -> bool {
        self.ancestors(id).contains(of)
    }

    /// Every concept that is not a class and belongs to `id` (itself included).
    pub fn concrete_members(&self, id: &str) -> Vec<String> {
        self.kinds
            .iter()
            .filter(|(c, k)| **k != "class" && self.is_a(c, id))
            .map(|(c, _)| c.clone())
            .collect()
    }
}

/// The knowledge base's parts a regimen generator needs.
pub struct Generated {
    pub data: SourceData,
    pub shape: Shape,
}

fn endpoint_parts(e: &RawEndpoint) -> (&str, Option<&str>) {
    match e {
        RawEndpoint::Id(id) => (id, None),
        RawEndpoint::WithRoute { id, route } => (id, Some(route)),
    }
}

/// A random valid knowledge base.
pub fn knowledge_base(rng: &mut Rng) -> Generated {
    let mut d = SourceData::default();
    for i in 0..2 {
        d.sources.push(RawSource {
            id: format!("src-{i}"),
            title: format!("Source {i}"),
            kind: "review".into(),
            publisher: None,
            year: Some(2020),
            url: None,
        });
        d.monitoring.push(RawMonitoring {
            id: format!("mon-{i}"),
            what: format!("Measure {i}"),
            when: "Weekly".into(),
            why: "Because".into(),
            for_items: Vec::new(),
            sources: cite("src-0"),
        });
    }
    let nc = 1 + rng.below(5);
    let mut classes: Vec<String> = Vec::new();
    for i in 0..nc {
        let id = if i == 0 && rng.chance(0.5) {
            "opioid".to_string()
        } else {
            format!("cls-{i}")
        };
        let mut parents = Vec::new();
        if i > 0 && rng.chance(0.5) {
            parents.push(rng.pick(&classes).clone());
        }
        if i > 1 && rng.chance(0.2) {
            let p = rng.pick(&classes).clone();
            if !parents.contains(&p) {
                parents.push(p);
            }
        }
        d.classes.push(RawClass {
            id: id.clone(),
            name: format!("Class {i}"),
            synonyms: if rng.chance(0.3) {
                vec![format!("Group {i}")]
            } else {
                vec![]
            },
            parents,
            description: None,
        });
        classes.push(id);
    }
    let ncond = 1 + rng.below(3);
    let mut conditions: Vec<String> = Vec::new();
    for i in 0..ncond {
        let id = format!("cond-{i}");
        let parents = if i > 0 && rng.chance(0.4) {
            vec![rng.pick(&conditions).clone()]
        } else {
            vec![]
        };
        let age_years = (rng.chance(0.3)).then(|| RawRange {
            min: Some(65.into()),
            max: None,
        });
        d.conditions.push(RawCondition {
            id: id.clone(),
            name: format!("Condition {i}"),
            synonyms: vec![],
            parents,
            age_years,
            icd10: vec![],
        });
        conditions.push(id);
    }
    let pick_classes = |rng: &mut Rng, p: f64| -> Vec<String> {
        classes.iter().filter(|_| rng.chance(p)).cloned().collect()
    };
    let ns = 2 + rng.below(6);
    let mut substances: Vec<String> = Vec::new();
    for i in 0..ns {
        let id = format!("sub-{i}");
        d.substances.push(RawSubstance {
            id: id.clone(),
            name: format!("Substance {i}"),
            kind: (*rng.pick(&["drug", "herbal", "supplement"])).into(),
            synonyms: if rng.chance(0.4) {
                vec![format!("Alias {i}")]
            } else {
                vec![]
            },
            brands: if rng.chance(0.3) {
                vec![format!("Brand{i}")]
            } else {
                vec![]
            },
            rxnorm: rng.chance(0.3).then(|| format!("{}", 1000 + i)),
            atc: None,
            classes: pick_classes(rng, 0.35),
        });
        substances.push(id);
    }
    let np = rng.below(4);
    for i in 0..np {
        let patch = rng.chance(0.25);
        let mut ingredients = Vec::new();
        let count = if patch { 1 } else { 1 + rng.below(2) };
        for _ in 0..count {
            let s = rng.pick(&substances).clone();
            if ingredients.iter().any(|x: &RawIngredient| x.substance == s) {
                continue;
            }
            let strength = if patch {
                RawAmount {
                    value: (12 * (1 + rng.below(4)) as u32).into(),
                    unit: "mcg/h".into(),
                }
            } else {
                RawAmount {
                    value: (5 * (1 + rng.below(100)) as u32).into(),
                    unit: "mg".into(),
                }
            };
            ingredients.push(RawIngredient {
                per: None,
                substance: s,
                strength,
            });
        }
        d.products.push(RawProduct {
            id: format!("prod-{i}"),
            name: format!("Product {i}"),
            unit: if patch { "patch" } else { "tablet" }.into(),
            route: if patch { "transdermal" } else { "oral" }.into(),
            ingredients,
            synonyms: vec![],
            brands: if rng.chance(0.3) {
                vec![format!("Prodbrand {i}")]
            } else {
                vec![]
            },
            rxnorm: None,
            classes: pick_classes(rng, 0.2),
        });
    }
    for i in 0..rng.below(3) {
        d.therapies.push(RawTherapy {
            id: format!("ther-{i}"),
            name: format!("Therapy {i}"),
            synonyms: vec![],
            classes: pick_classes(rng, 0.3),
            description: None,
        });
    }
    let shape = Shape::of(&d);
    d.rules = rules(rng, &shape, &conditions);
    dose_data(rng, &mut d, &shape);
    Generated { data: d, shape }
}

fn rules(rng: &mut Rng, shape: &Shape, conditions: &[String]) -> Vec<RawRule> {
    let itemish: Vec<String> = shape
        .kinds
        .iter()
        .filter(|(_, k)| **k != "condition")
        .map(|(c, _)| c.clone())
        .collect();
    let allergens: Vec<String> = shape
        .kinds
        .iter()
        .filter(|(_, k)| **k == "substance" || **k == "class")
        .map(|(c, _)| c.clone())
        .collect();
    let class_ids: Vec<String> = shape
        .kinds
        .iter()
        .filter(|(_, k)| **k == "class")
        .map(|(c, _)| c.clone())
        .collect();
    let mut keys: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    for i in 0..rng.below(11) {
        let mut r = RawRule {
            id: format!("rule-{i}"),
            kind: String::new(),
            between: None,
            class: None,
            min_count: None,
            subject: None,
            gene: None,
            phenotypes: None,
            allergen: None,
            requires: if rng.chance(0.15) {
                vec![rng.pick(conditions).clone()]
            } else {
                vec![]
            },
            severity: (*rng.pick(&SEVERITIES)).into(),
            evidence: (*rng.pick(&EVIDENCE)).into(),
            summary: format!("Rule {i}"),
            mechanism: None,
            effect: None,
            management: format!("Manage {i}"),
            monitoring: if rng.chance(0.4) {
                vec![format!("mon-{}", rng.below(2))]
            } else {
                vec![]
            },
            sources: cite(&format!("src-{}", rng.below(2))),
            uncertainty: None,
        };
        let ok = match rng.below(10) {
            0..=5 => {
                r.kind = "interaction".into();
                let end = |rng: &mut Rng, allow_condition: bool| -> RawEndpoint {
                    if allow_condition && rng.chance(0.2) {
                        return RawEndpoint::Id(rng.pick(conditions).clone());
                    }
                    let id = rng.pick(&itemish).clone();
                    if rng.chance(0.15) {
                        RawEndpoint::WithRoute {
                            id,
                            route: (*rng.pick(&["oral", "transdermal"])).into(),
                        }
                    } else {
                        RawEndpoint::Id(id)
                    }
                };
                let a = end(rng, false);
                let b = end(rng, true);
                let ok = interaction_ok(shape, &a, &b, &mut keys);
                r.between = Some(if rng.chance(0.5) {
                    vec![a, b]
                } else {
                    vec![b, a]
                });
                ok
            }
            6 => {
                r.kind = "accumulation".into();
                let c = rng.pick(&class_ids).clone();
                let min = 2 + rng.below(2) as u32;
                let ok = shape.concrete_members(&c).len() >= min as usize
                    && keys.insert(format!("group {c}"));
                r.class = Some(c);
                r.min_count = Some(min);
                ok
            }
            7 => {
                r.kind = "duplication".into();
                let c = rng.pick(&class_ids).clone();
                let ok = shape.concrete_members(&c).len() >= 2 && keys.insert(format!("group {c}"));
                r.class = Some(c);
                ok
            }
            8 => {
                r.kind = "pharmacogenomic".into();
                let s = rng.pick(&itemish).clone();
                let gene = (*rng.pick(&["CYP2D6", "CYP2C19"])).to_string();
                let mut ph: Vec<String> = ["poor", "intermediate", "ultrarapid"]
                    .iter()
                    .filter(|_| rng.chance(0.5))
                    .map(|p| p.to_string())
                    .collect();
                if ph.is_empty() {
                    ph.push("poor".into());
                }
                let ok = !shape.concrete_members(&s).is_empty()
                    && ph
                        .iter()
                        .all(|p| !keys.contains(&format!("gene {s} {gene} {p}")));
                if ok {
                    for p in &ph {
                        keys.insert(format!("gene {s} {gene} {p}"));
                    }
                }
                r.subject = Some(s);
                r.gene = Some(gene);
                r.phenotypes = Some(ph);
                ok
            }
            _ => {
                r.kind = "cross-sensitivity".into();
                let a = rng.pick(&allergens).clone();
                let s = rng.pick(&itemish).clone();
                let ok = (a != s || shape.kinds[&s] == "class")
                    && !shape.concrete_members(&s).is_empty()
                    && keys.insert(format!("cross {a} {s}"));
                r.allergen = Some(a);
                r.subject = Some(s);
                ok
            }
        };
        if ok {
            out.push(r);
        }
    }
    out
}

/// The validator's conditions on an interaction rule, by id.
fn interaction_ok(
    shape: &Shape,
    a: &RawEndpoint,
    b: &RawEndpoint,
    keys: &mut BTreeSet<String>,
) -> bool {
    let (ia, ra) = endpoint_parts(a);
    let (ib, rb) = endpoint_parts(b);
    if ia == ib || (shape.kinds[ia] == "condition" && shape.kinds[ib] == "condition") {
        return false;
    }
    let (ma, mb) = (shape.concrete_members(ia), shape.concrete_members(ib));
    if ma.is_empty() || mb.is_empty() || (ma.len() == 1 && ma == mb) {
        return false;
    }
    let route_ok = |members: &[String], route: Option<&str>| match route {
        None => true,
        Some(r) => members.iter().any(|m| match shape.kinds[m.as_str()] {
            "product" => shape.product_routes[m] == r,
            "therapy" => r == "procedure",
            _ => true,
        }),
    };
    if !route_ok(&ma, ra) || !route_ok(&mb, rb) {
        return false;
    }
    let ea = format!("{ia}@{}", ra.unwrap_or(""));
    let eb = format!("{ib}@{}", rb.unwrap_or(""));
    let key = if ea < eb {
        format!("pair {ea} {eb}")
    } else {
        format!("pair {eb} {ea}")
    };
    keys.insert(key)
}

fn amount(v: u32, unit: &str) -> RawAmount {
    RawAmount {
        value: v.into(),
        unit: unit.into(),
    }
}

fn dose_data(rng: &mut Rng, d: &mut SourceData, shape: &Shape) {
    let subs: Vec<String> = d.substances.iter().map(|s| s.id.clone()).collect();
    for s in &subs {
        if !rng.chance(0.5) {
            continue;
        }
        let single = 100 * (1 + rng.below(10)) as u32;
        let daily = single * (2 + rng.below(3)) as u32;
        let mut bands = vec![RawBand {
            band: "adult".into(),
            when: None,
            max_single: Some(amount(single, "mg")),
            max_daily: Some(amount(daily, "mg")),
            max_days: rng.chance(0.3).then_some(5),
            note: None,
        }];
        match rng.below(3) {
            0 => bands.push(RawBand {
                band: "older".into(),
                when: Some(RawWhen {
                    age_years: Some(RawRange {
                        min: Some(65.into()),
                        max: None,
                    }),
                    ..RawWhen::default()
                }),
                max_single: None,
                max_daily: Some(amount(daily / 2, "mg")),
                max_days: None,
                note: None,
            }),
            1 => {
                for (name, min, max) in [("light", 0u32, Some(50u32)), ("heavy", 50, None)] {
                    bands.push(RawBand {
                        band: name.into(),
                        when: Some(RawWhen {
                            weight_kg: Some(RawRange {
                                min: Some(min.into()),
                                max: max.map(Into::into),
                            }),
                            ..RawWhen::default()
                        }),
                        max_single: None,
                        max_daily: Some(amount(10 + rng.below(40) as u32, "mg/kg")),
                        max_days: None,
                        note: None,
                    });
                }
            }
            _ => {}
        }
        d.dose_limits.push(RawDoseLimit {
            id: format!("limit-{s}-oral"),
            substance: s.clone(),
            route: "oral".into(),
            severity: (*rng.pick(&SEVERITIES)).into(),
            management: "Lower the dose.".into(),
            bands,
            evidence: (*rng.pick(&EVIDENCE)).into(),
            sources: cite("src-1"),
            monitoring: vec![],
            uncertainty: None,
        });
    }
    if shape.kinds.contains_key("opioid") {
        for s in &subs {
            if !shape.is_a(s, "opioid") || !rng.chance(0.7) {
                continue;
            }
            let factor = *rng.pick(&[1.0, 1.5, 0.1, 4.0]);
            d.opioid_conversions.push(RawOpioidConversion {
                substance: s.clone(),
                route: "oral".into(),
                factor: serde_json::Number::from_f64(factor),
                per: "mg".into(),
                evidence: "established".into(),
                sources: cite("src-1"),
                note: None,
            });
            if rng.chance(0.5) {
                d.opioid_conversions.push(RawOpioidConversion {
                    substance: s.clone(),
                    route: "transdermal".into(),
                    factor: serde_json::Number::from_f64(2.4),
                    per: "mcg/h".into(),
                    evidence: "established".into(),
                    sources: cite("src-1"),
                    note: None,
                });
            }
        }
        for (i, (mme, severity)) in [(50, "moderate"), (90, "major")].into_iter().enumerate() {
            d.mme_thresholds.push(RawMmeThreshold {
                id: format!("mme-{i}"),
                mme_per_day: mme.into(),
                severity: severity.into(),
                evidence: "established".into(),
                summary: format!("At least {mme} MME/day"),
                management: "Reassess.".into(),
                monitoring: vec!["mon-1".into()],
                sources: cite("src-1"),
            });
        }
    }
}

/// One generated regimen item: its JSON, and the concept it names (`None` when it names
/// nothing a regimen item can be).
#[derive(Clone, Debug)]
pub struct GenItem {
    pub json: Value,
    pub concept: Option<String>,
}

/// A generated regimen: items, and patient context as JSON, with the ids behind the names.
#[derive(Clone, Debug)]
pub struct GenRegimen {
    pub items: Vec<GenItem>,
    pub patient: Value,
    /// Patient conditions that name known conditions, by id.
    pub conditions: Vec<String>,
    /// Allergies that name known substances or classes, by id.
    pub allergies: Vec<String>,
    pub age: Option<u32>,
    pub phenotypes: BTreeMap<String, String>,
}

impl GenRegimen {
    pub fn to_json(&self) -> String {
        json!({
            "patient": self.patient,
            "items": self.items.iter().map(|i| i.json.clone()).collect::<Vec<_>>(),
        })
        .to_string()
    }
}

/// A name for a concept: its id, display name or a synonym.
fn name_for(rng: &mut Rng, data: &SourceData, id: &str) -> String {
    let mut names = vec![id.to_string()];
    let mut add = |name: &str, syn: &[String], brands: &[String]| {
        names.push(name.to_string());
        names.extend(syn.iter().cloned());
        names.extend(brands.iter().cloned());
    };
    if let Some(s) = data.substances.iter().find(|s| s.id == id) {
        add(&s.name, &s.synonyms, &s.brands);
        if let Some(code) = &s.rxnorm {
            names.push(format!("rxnorm:{code}"));
        }
    } else if let Some(p) = data.products.iter().find(|p| p.id == id) {
        add(&p.name, &p.synonyms, &p.brands);
    } else if let Some(t) = data.therapies.iter().find(|t| t.id == id) {
        add(&t.name, &t.synonyms, &[]);
    }
    let name = rng.pick(&names).clone();
    if rng.chance(0.2) {
        name.to_uppercase()
    } else {
        name
    }
}

/// A random item for the data: a substance, product or therapy (with a dose that can apply),
/// or now and then something the knowledge base cannot check.
pub fn item(rng: &mut Rng, g: &Generated) -> GenItem {
    let d = &g.data;
    let roll = rng.below(20);
    if roll == 0 {
        return GenItem {
            json: json!({"id": format!("zz unknown {}", rng.below(1000))}),
            concept: None,
        };
    }
    if roll == 1 {
        let not_items: Vec<&String> = g
            .shape
            .kinds
            .iter()
            .filter(|(_, k)| **k == "class" || **k == "condition")
            .map(|(c, _)| c)
            .collect();
        return GenItem {
            json: json!({"id": rng.pick(&not_items).as_str()}),
            concept: None,
        };
    }
    let mut pool: Vec<(&str, &str)> = Vec::new();
    pool.extend(d.substances.iter().map(|s| (s.id.as_str(), "substance")));
    pool.extend(d.products.iter().map(|p| (p.id.as_str(), "product")));
    pool.extend(d.therapies.iter().map(|t| (t.id.as_str(), "therapy")));
    let (id, kind) = *rng.pick(&pool);
    let mut m = serde_json::Map::new();
    m.insert("id".into(), json!(name_for(rng, d, id)));
    match kind {
        "substance" => {
            if rng.chance(0.7) {
                let (value, unit) = match rng.below(10) {
                    0 => (json!(50 * (1 + rng.below(40))), "mcg"),
                    1 => (json!(1 + rng.below(20)), "mg/kg"),
                    2 => (json!(12 * (1 + rng.below(4))), "mcg/h"),
                    _ => (json!(25 * (1 + rng.below(80))), "mg"),
                };
                m.insert("dose".into(), json!({"value": value, "unit": unit}));
                if unit == "mcg/h" {
                    if rng.chance(0.5) {
                        m.insert("route".into(), json!("transdermal"));
                    }
                } else {
                    if rng.chance(0.8) {
                        m.insert("times_per_day".into(), json!(1 + rng.below(4)));
                    }
                    if rng.chance(0.6) {
                        m.insert("route".into(), json!("oral"));
                    }
                }
            } else if rng.chance(0.3) {
                m.insert("route".into(), json!(*rng.pick(&["oral", "transdermal"])));
            }
            if rng.chance(0.3) {
                m.insert("days".into(), json!(1 + rng.below(10)));
            }
        }
        "product" => {
            let p = d.products.iter().find(|p| p.id == id).expect("product");
            if rng.chance(0.7) {
                m.insert(
                    "dose".into(),
                    json!({"value": 1 + rng.below(4), "unit": p.unit}),
                );
                if rng.chance(0.8) {
                    m.insert("times_per_day".into(), json!(1 + rng.below(4)));
                }
            }
            if rng.chance(0.3) {
                m.insert("route".into(), json!(p.route));
            }
        }
        _ => {}
    }
    GenItem {
        json: serde_json::Value::Object(m),
        concept: Some(id.to_string()),
    }
}

/// A random regimen for the data.
pub fn regimen(rng: &mut Rng, g: &Generated) -> GenRegimen {
    let n = rng.below(7);
    let items = (0..n).map(|_| item(rng, g)).collect();
    let mut patient = serde_json::Map::new();
    let age = rng.chance(0.6).then(|| 20 + rng.below(70) as u32);
    if let Some(a) = age {
        patient.insert("age_years".into(), json!(a));
    }
    if rng.chance(0.5) {
        patient.insert("weight_kg".into(), json!(40 + rng.below(60)));
    }
    let mut conditions = Vec::new();
    let mut condition_names = Vec::new();
    for c in &g.data.conditions {
        if rng.chance(0.3) {
            conditions.push(c.id.clone());
            condition_names.push(if rng.chance(0.5) {
                c.name.clone()
            } else {
                c.id.clone()
            });
        }
    }
    if rng.chance(0.1) {
        condition_names.push("zz unknown condition".into());
    }
    let mut allergies = Vec::new();
    let allergens: Vec<&String> = g
        .shape
        .kinds
        .iter()
        .filter(|(_, k)| **k == "substance" || **k == "class")
        .map(|(c, _)| c)
        .collect();
    if rng.chance(0.3) {
        allergies.push(rng.pick(&allergens).to_string());
    }
    let mut allergy_names = allergies.clone();
    if rng.chance(0.1) {
        allergy_names.push("zz unknown allergy".into());
    }
    patient.insert("conditions".into(), json!(condition_names));
    patient.insert("allergies".into(), json!(allergy_names));
    let mut phenotypes = BTreeMap::new();
    if rng.chance(0.4) {
        let gene = *rng.pick(&["CYP2D6", "CYP2C19"]);
        let p = *rng.pick(&["poor", "normal", "ultrarapid", "intermediate"]);
        phenotypes.insert(gene.to_string(), p.to_string());
        patient.insert("phenotypes".into(), json!({gene: p}));
    }
    GenRegimen {
        items,
        patient: Value::Object(patient),
        conditions,
        allergies,
        age,
        phenotypes,
    }
}

/// Every entry list of the data, shuffled.
pub fn shuffle_entries(rng: &mut Rng, d: &mut SourceData) {
    rng.shuffle(&mut d.sources);
    rng.shuffle(&mut d.monitoring);
    rng.shuffle(&mut d.classes);
    rng.shuffle(&mut d.conditions);
    rng.shuffle(&mut d.substances);
    rng.shuffle(&mut d.products);
    rng.shuffle(&mut d.therapies);
    rng.shuffle(&mut d.rules);
    rng.shuffle(&mut d.dose_limits);
    rng.shuffle(&mut d.opioid_conversions);
    rng.shuffle(&mut d.mme_thresholds);
}
