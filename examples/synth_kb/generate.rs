//! A seeded, deterministic generator of knowledge bases at the scale of commercial ones.
//!
//! The output is a valid data directory (`medcheck validate DIR` accepts it): nested classes,
//! substances in classes, combination products, therapies, conditions, interaction rules between
//! substances, classes, products, therapies and conditions, group, pharmacogenomic and
//! cross-sensitivity rules, dose limits, MME conversions and thresholds. Every text says it is
//! generated test data: none of it is clinical evidence.
//!
//! Rule texts come from a fixed set of patterns, as in the commercial knowledge bases, whose
//! interaction descriptions are templated. Class rules are written only on classes with a few
//! dozen members at most, as real class rules are, so that the flattened pair table stays in
//! proportion to the rule count.
//!
//! Shared by the `synth_kb` example and the benches (through `#[path]`), so both write the same
//! bytes for the same settings.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use medcheck::source::{
    RawAmount, RawBand, RawCitation, RawClass, RawCondition, RawDoseLimit, RawEndpoint,
    RawIngredient, RawMmeThreshold, RawMonitoring, RawOpioidConversion, RawProduct, RawRange,
    RawRule, RawSource, RawSubstance, RawTherapy, RawWhen,
};
use serde::Serialize;

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Substances.
    pub substances: usize,
    /// Classes (the class `opioid` included).
    pub classes: usize,
    /// Rules of every kind.
    pub rules: usize,
    /// Products; a third of them combinations of two substances.
    pub products: usize,
    /// Non-drug therapies.
    pub therapies: usize,
    /// Seed of the pseudo-random choices.
    pub seed: u64,
}

impl Config {
    /// The shape the issue asks for: 5,000 substances, 500 classes, 1,000,000 rules.
    pub fn million() -> Config {
        Config::new(5000, 500, 1_000_000)
    }

    /// A configuration with default products (a tenth of the substances) and therapies.
    pub fn new(substances: usize, classes: usize, rules: usize) -> Config {
        Config {
            substances,
            classes,
            rules,
            products: substances / 10,
            therapies: 20,
            seed: 1,
        }
    }
}

/// What was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rules by kind of endpoints, in the order written.
    pub rules: Vec<(&'static str, usize)>,
    /// Bytes of `rules.json`.
    pub rules_bytes: u64,
}

/// SplitMix64: small, fast and the same everywhere.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// True with probability `p` percent.
    pub fn percent(&mut self, p: u64) -> bool {
        self.next_u64() % 100 < p
    }
}

/// Canonical id of substance `i`.
pub fn substance_id(i: usize) -> String {
    format!("sub-{i:05}")
}

/// Canonical id of product `i`.
pub fn product_id(i: usize) -> String {
    format!("prod-{i:04}")
}

/// Canonical id of therapy `i`.
pub fn therapy_id(i: usize) -> String {
    format!("ther-{i:02}")
}

/// Canonical id of class `i`; class 0 is `opioid`, whose members count toward MME.
pub fn class_id(i: usize) -> String {
    if i == 0 {
        "opioid".to_string()
    } else {
        format!("cls-{i:04}")
    }
}

/// Display name of substance `i`, which a regimen may use instead of its id.
pub fn substance_name(i: usize) -> String {
    format!("Substance {i:05}")
}

/// Synonym of substance `i` (every fifth substance has one).
pub fn substance_synonym(i: usize) -> Option<String> {
    (i % 5 == 0).then(|| format!("Synonym {i:05}"))
}

/// Number of opioid substances (the first ones), each with an MME conversion.
pub fn opioid_count(cfg: &Config) -> usize {
    (cfg.substances / 50).clamp(1, 20)
}

const CONDITIONS: usize = 12;
const SOURCES: usize = 20;
const MONITORING: usize = 10;
const PATTERNS: usize = 200;
/// Largest class (in concrete members) that class rules are written on.
const CLASS_RULE_MAX_MEMBERS: usize = 48;

fn condition_id(i: usize) -> String {
    if i == 0 {
        "age-65-or-older".to_string()
    } else {
        format!("cond-{i:02}")
    }
}

fn source_id(i: usize) -> String {
    format!("synth-source-{i:02}")
}

fn monitoring_id(i: usize) -> String {
    format!("mon-{i:02}")
}

fn cite(i: usize) -> RawCitation {
    RawCitation::Id(source_id(i % SOURCES))
}

/// Writes a JSON array with one entry per line.
struct ArrayWriter {
    out: BufWriter<File>,
    first: bool,
}

impl ArrayWriter {
    fn create(dir: &Path, name: &str) -> io::Result<ArrayWriter> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(dir.join(name))?);
        out.write_all(b"[")?;
        Ok(ArrayWriter { out, first: true })
    }

    fn push<T: Serialize>(&mut self, entry: &T) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"\n" } else { b",\n" })?;
        self.first = false;
        serde_json::to_writer(&mut self.out, entry).map_err(io::Error::other)
    }

    fn finish(mut self) -> io::Result<()> {
        self.out.write_all(b"\n]\n")?;
        self.out.flush()
    }
}

fn write_all<T: Serialize>(dir: &Path, name: &str, entries: &[T]) -> io::Result<()> {
    let mut w = ArrayWriter::create(dir, name)?;
    for e in entries {
        w.push(e)?;
    }
    w.finish()
}

/// The class hierarchy and memberships, decided before anything is written.
struct Shape {
    /// Parents of each class.
    parents: Vec<Vec<usize>>,
    /// Classes of each substance.
    classes_of: Vec<Vec<usize>>,
    /// Concrete members (substances) of each class, nesting included, as sorted lists.
    members: Vec<Vec<usize>>,
}

fn shape(cfg: &Config, rng: &mut Rng) -> Shape {
    let c = cfg.classes;
    let roots = (c / 10).max(1);
    let mut depth = vec![0usize; c];
    let mut parents = vec![Vec::new(); c];
    for i in roots.max(1)..c {
        let pick = |rng: &mut Rng| loop {
            let p = 1 + rng.below(i - 1);
            if depth[p] < 4 {
                return p;
            }
        };
        let p = pick(rng);
        parents[i].push(p);
        if rng.percent(10) {
            let q = pick(rng);
            if q != p {
                parents[i].push(q);
            }
        }
        depth[i] = parents[i].iter().map(|p| depth[*p] + 1).max().unwrap_or(0);
    }
    let mut classes_of = vec![Vec::new(); cfg.substances];
    for (i, cls) in classes_of.iter_mut().enumerate() {
        if c > 1 {
            cls.push(1 + i % (c - 1));
            if rng.percent(30) {
                let second = 1 + rng.below(c - 1);
                if !cls.contains(&second) {
                    cls.push(second);
                }
            }
        }
        if i < opioid_count(cfg) {
            cls.push(0);
        }
    }
    // Close memberships: a class's members are its own and its subclasses'. Parents always
    // have lower numbers, so one pass from the last class up is enough.
    let mut sets: Vec<HashSet<usize>> = vec![HashSet::new(); c];
    for (s, cls) in classes_of.iter().enumerate() {
        for &k in cls {
            sets[k].insert(s);
        }
    }
    for i in (0..c).rev() {
        let own: Vec<usize> = sets[i].iter().copied().collect();
        for &p in &parents[i] {
            sets[p].extend(own.iter().copied());
        }
    }
    let members = sets
        .into_iter()
        .map(|s| {
            let mut v: Vec<usize> = s.into_iter().collect();
            v.sort_unstable();
            v
        })
        .collect();
    Shape {
        parents,
        classes_of,
        members,
    }
}

/// Writes the data directory `out` (created if needed) and returns what it wrote.
pub fn generate(cfg: &Config, out: &Path) -> io::Result<Summary> {
    if cfg.substances < 10 || cfg.classes < 2 {
        return Err(io::Error::other(
            "need at least 10 substances and 2 classes",
        ));
    }
    let max_pairs = cfg.substances * (cfg.substances - 1) / 2;
    if cfg.rules > max_pairs / 2 {
        return Err(io::Error::other(format!(
            "{} rules is too many for {} substances (at most {})",
            cfg.rules,
            cfg.substances,
            max_pairs / 2
        )));
    }
    std::fs::create_dir_all(out)?;
    let mut rng = Rng::new(cfg.seed);
    let shape = shape(cfg, &mut rng);

    write_all(
        out,
        "sources.json",
        &(0..SOURCES)
            .map(|i| RawSource {
                id: source_id(i),
                title: format!(
                    "Synthetic source {i:02}: generated test data, not clinical evidence"
                ),
                kind: "review".into(),
                publisher: Some("medcheck synth_kb".into()),
                year: Some(2024),
                url: None,
            })
            .collect::<Vec<_>>(),
    )?;
    write_all(
        out,
        "monitoring.json",
        &(0..MONITORING)
            .map(|i| RawMonitoring {
                id: monitoring_id(i),
                what: format!("Synthetic measurement {i:02}"),
                when: "At baseline and after each dose change (generated test data)".into(),
                why: format!("Generated monitoring requirement {i:02}"),
                for_items: Vec::new(),
                sources: vec![cite(i)],
            })
            .collect::<Vec<_>>(),
    )?;
    write_all(
        out,
        "classes.json",
        &(0..cfg.classes)
            .map(|i| RawClass {
                id: class_id(i),
                name: if i == 0 {
                    "Opioids".into()
                } else {
                    format!("Class {i:04}")
                },
                synonyms: if i % 10 == 1 {
                    vec![format!("Class group {i:04}")]
                } else {
                    Vec::new()
                },
                parents: shape.parents[i].iter().map(|p| class_id(*p)).collect(),
                description: None,
            })
            .collect::<Vec<_>>(),
    )?;
    write_all(
        out,
        "conditions.json",
        &(0..CONDITIONS)
            .map(|i| RawCondition {
                id: condition_id(i),
                name: if i == 0 {
                    "Age 65 or older".into()
                } else {
                    format!("Condition {i:02}")
                },
                synonyms: Vec::new(),
                icd10: Vec::new(),
                parents: if i > 6 {
                    vec![condition_id(i - 6)]
                } else {
                    Vec::new()
                },
                age_years: (i == 0).then(|| RawRange {
                    min: Some(65.into()),
                    max: None,
                }),
            })
            .collect::<Vec<_>>(),
    )?;
    write_all(
        out,
        "substances.json",
        &(0..cfg.substances)
            .map(|i| RawSubstance {
                id: substance_id(i),
                name: substance_name(i),
                kind: match i % 20 {
                    18 => "herbal",
                    19 => "supplement",
                    _ => "drug",
                }
                .into(),
                synonyms: substance_synonym(i).into_iter().collect(),
                brands: if i % 7 == 0 {
                    vec![format!("Brand {i:05}")]
                } else {
                    Vec::new()
                },
                rxnorm: Some((100_000 + i).to_string()),
                atc: None,
                classes: shape.classes_of[i].iter().map(|c| class_id(*c)).collect(),
            })
            .collect::<Vec<_>>(),
    )?;
    let products: Vec<RawProduct> = (0..cfg.products)
        .map(|j| {
            let a = rng.below(cfg.substances);
            let mg = |rng: &mut Rng| RawAmount {
                value: (5 * (1 + rng.below(100)) as u64).into(),
                unit: "mg".into(),
            };
            let mut ingredients = vec![RawIngredient {
                per: None,
                substance: substance_id(a),
                strength: mg(&mut rng),
            }];
            if j % 3 == 0 {
                let b = (a + 1 + rng.below(cfg.substances - 1)) % cfg.substances;
                ingredients.push(RawIngredient {
                    per: None,
                    substance: substance_id(b),
                    strength: mg(&mut rng),
                });
            }
            RawProduct {
                id: product_id(j),
                name: format!("Product {j:04} tablet"),
                unit: "tablet".into(),
                route: "oral".into(),
                ingredients,
                synonyms: Vec::new(),
                brands: if j % 4 == 0 {
                    vec![format!("Brand product {j:04}")]
                } else {
                    Vec::new()
                },
                rxnorm: Some((900_000 + j).to_string()),
                classes: Vec::new(),
            }
        })
        .collect();
    write_all(out, "products.json", &products)?;
    write_all(
        out,
        "therapies.json",
        &(0..cfg.therapies)
            .map(|i| RawTherapy {
                id: therapy_id(i),
                name: format!("Therapy {i:02}"),
                synonyms: Vec::new(),
                classes: Vec::new(),
                description: Some("Generated non-drug therapy".into()),
            })
            .collect::<Vec<_>>(),
    )?;
    let summary = rules(cfg, &shape, &mut rng, out)?;
    let limits: Vec<RawDoseLimit> = (0..cfg.substances)
        .step_by(10)
        .map(|i| {
            let single = 10 * (1 + i % 50) as u64;
            let mass = |v: u64| RawAmount {
                value: v.into(),
                unit: "mg".into(),
            };
            let mut bands = vec![RawBand {
                band: "adult".into(),
                when: None,
                max_single: Some(mass(single)),
                max_daily: Some(mass(single * 4)),
                max_days: None,
                note: None,
            }];
            if i % 20 == 0 {
                bands.push(RawBand {
                    band: "age-65-or-older".into(),
                    when: Some(RawWhen {
                        age_years: Some(RawRange {
                            min: Some(65.into()),
                            max: None,
                        }),
                        ..RawWhen::default()
                    }),
                    max_single: None,
                    max_daily: Some(mass(single * 2)),
                    max_days: None,
                    note: Some("Generated lower limit for older patients".into()),
                });
            }
            RawDoseLimit {
                id: format!("{}-oral", substance_id(i)),
                substance: substance_id(i),
                route: "oral".into(),
                severity: "major".into(),
                management: "Lower the dose below the generated limit (test data).".into(),
                bands,
                evidence: "established".into(),
                sources: vec![cite(i)],
                monitoring: Vec::new(),
                uncertainty: None,
            }
        })
        .collect();
    write_all(out, "dose-limits.json", &limits)?;
    write_all(
        out,
        "opioid-conversions.json",
        &(0..opioid_count(cfg))
            .map(|i| RawOpioidConversion {
                substance: substance_id(i),
                route: "oral".into(),
                factor: Some((1 + i % 4).into()),
                per: "mg".into(),
                evidence: "established".into(),
                sources: vec![cite(i)],
                note: None,
            })
            .collect::<Vec<_>>(),
    )?;
    write_all(
        out,
        "mme-thresholds.json",
        &[(50, "moderate"), (90, "major")]
            .iter()
            .map(|(mme, severity)| RawMmeThreshold {
                id: format!("synth-mme-{mme}"),
                mme_per_day: (*mme).into(),
                severity: (*severity).into(),
                evidence: "established".into(),
                summary: format!("Opioid total at or above {mme} MME/day (generated)"),
                management: "Reassess the opioid dose (generated test data).".into(),
                monitoring: vec![monitoring_id(0)],
                sources: vec![cite(0)],
            })
            .collect::<Vec<_>>(),
    )?;
    Ok(summary)
}

/// A rule's texts, severity and evidence from one of [`PATTERNS`] patterns.
fn rule(id: String, kind: &str, pattern: usize, rng: &mut Rng) -> RawRule {
    let p = pattern;
    let severity = match rng.below(100) {
        0..=4 => "contraindicated",
        5..=24 => "major",
        25..=79 => "moderate",
        _ => "minor",
    };
    let evidence = ["established", "probable", "possible", "theoretical"][rng.below(4)];
    RawRule {
        id,
        kind: kind.into(),
        between: None,
        class: None,
        min_count: None,
        subject: None,
        gene: None,
        phenotypes: None,
        allergen: None,
        requires: Vec::new(),
        severity: severity.into(),
        evidence: evidence.into(),
        summary: format!(
            "Synthetic interaction pattern {p:03}: additive effect (generated test data)"
        ),
        mechanism: (p % 3 == 0).then(|| format!("Generated mechanism {p:03}")),
        effect: (p % 5 == 0).then(|| format!("Generated effect {p:03}")),
        management: format!("Generated management {p:03}: review the combination and monitor."),
        monitoring: if p % 4 == 0 {
            vec![monitoring_id(p % MONITORING)]
        } else {
            Vec::new()
        },
        sources: if p % 6 == 0 {
            vec![
                cite(p),
                RawCitation::WithSection {
                    id: source_id((p + 1) % SOURCES),
                    section: format!("Table {}", p % 9 + 1),
                },
            ]
        } else {
            vec![cite(p)]
        },
        uncertainty: (p % 7 == 0).then(|| "Generated: the evidence is thin.".to_string()),
    }
}

/// Two endpoint ids, and a route for the second.
type Draw = (String, String, Option<&'static str>);

fn rules(cfg: &Config, shape: &Shape, rng: &mut Rng, out: &Path) -> io::Result<Summary> {
    let n = cfg.rules;
    let small: Vec<usize> = (0..cfg.classes)
        .filter(|c| (2..=CLASS_RULE_MAX_MEMBERS).contains(&shape.members[*c].len()))
        .collect();
    let group = (cfg.classes / 5).min(n / 100).min(small.len());
    let gene = (n / 200).min(50).min(cfg.substances);
    let cross = (n / 200).min(50).min(small.len().saturating_sub(1));
    let class_class = if small.len() >= 2 { n / 500 } else { 0 };
    let class_substance = if small.is_empty() { 0 } else { n / 50 };
    let product = if cfg.products > 0 { n * 3 / 1000 } else { 0 };
    let therapy = if cfg.therapies > 0 { n / 1000 } else { 0 };
    let condition = n / 200;
    let fixed =
        group + gene + cross + class_class + class_substance + product + therapy + condition;
    let substance = n.saturating_sub(fixed);
    let mut w = ArrayWriter::create(out, "rules.json")?;
    let mut seen: HashSet<(String, String)> = HashSet::with_capacity(n);
    let mut next = 0usize;
    let mut counts = Vec::new();
    let mut fresh = |prefix: &str| {
        next += 1;
        format!("{prefix}-{next:07}")
    };

    // Duplication and accumulation on small classes, one rule per class.
    for &class in small.iter().take(group) {
        let (kind, min_count) = if class % 4 == 0 && shape.members[class].len() >= 3 {
            ("accumulation", Some(3))
        } else {
            ("duplication", None)
        };
        let mut r = rule(fresh("grp"), kind, rng.below(PATTERNS), rng);
        r.class = Some(class_id(class));
        r.min_count = min_count;
        w.push(&r)?;
    }
    counts.push(("group", group));
    let phenotypes = ["poor", "ultrarapid"];
    for k in 0..gene {
        let mut r = rule(fresh("pgx"), "pharmacogenomic", rng.below(PATTERNS), rng);
        r.subject = Some(substance_id(k * (cfg.substances / gene.max(1))));
        r.gene = Some(["CYP2D6", "CYP2C19", "CYP2C9"][k % 3].into());
        r.phenotypes = Some(vec![phenotypes[k % 2].into()]);
        w.push(&r)?;
    }
    counts.push(("pharmacogenomic", gene));
    // Cross-sensitivity between neighbouring small classes: each (allergen, subject) once.
    for k in 0..cross {
        let mut r = rule(fresh("xs"), "cross-sensitivity", rng.below(PATTERNS), rng);
        r.allergen = Some(class_id(small[k]));
        r.subject = Some(class_id(small[k + 1]));
        w.push(&r)?;
    }
    counts.push(("cross-sensitivity", cross));

    let mut pair = |w: &mut ArrayWriter,
                    rng: &mut Rng,
                    prefix: &str,
                    a: String,
                    b: String,
                    route: Option<&str>|
     -> io::Result<bool> {
        if a == b {
            return Ok(false);
        }
        let key = if a < b {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        };
        if !seen.insert(key) {
            return Ok(false);
        }
        let mut r = rule(fresh(prefix), "interaction", rng.below(PATTERNS), rng);
        let b = match route {
            Some(route) => RawEndpoint::WithRoute {
                id: b,
                route: route.into(),
            },
            None => RawEndpoint::Id(b),
        };
        r.between = Some(vec![RawEndpoint::Id(a), b]);
        if rng.percent(1) {
            r.requires = vec![condition_id(0)];
        }
        w.push(&r)?;
        Ok(true)
    };
    let mut emit = |name: &'static str,
                    target: usize,
                    w: &mut ArrayWriter,
                    rng: &mut Rng,
                    draw: &mut dyn FnMut(&mut Rng) -> Draw|
     -> io::Result<()> {
        let mut made = 0;
        let mut tries = 0;
        while made < target && tries < target * 20 + 100 {
            tries += 1;
            let (a, b, route) = draw(rng);
            if pair(w, rng, name, a, b, route)? {
                made += 1;
            }
        }
        counts.push((name, made));
        Ok(())
    };
    let s = cfg.substances;
    emit("cc", class_class, &mut w, rng, &mut |rng| {
        let a = small[rng.below(small.len())];
        let b = small[rng.below(small.len())];
        (class_id(a), class_id(b), None)
    })?;
    emit("cs", class_substance, &mut w, rng, &mut |rng| {
        let a = small[rng.below(small.len())];
        (class_id(a), substance_id(rng.below(s)), None)
    })?;
    emit("ps", product, &mut w, rng, &mut |rng| {
        (
            product_id(rng.below(cfg.products)),
            substance_id(rng.below(s)),
            None,
        )
    })?;
    emit("ts", therapy, &mut w, rng, &mut |rng| {
        (
            therapy_id(rng.below(cfg.therapies)),
            substance_id(rng.below(s)),
            None,
        )
    })?;
    emit("dc", condition, &mut w, rng, &mut |rng| {
        let c = condition_id(1 + rng.below(CONDITIONS - 1));
        if rng.percent(20) && !small.is_empty() {
            (class_id(small[rng.below(small.len())]), c, None)
        } else {
            (substance_id(rng.below(s)), c, None)
        }
    })?;
    emit("ss", substance, &mut w, rng, &mut |rng| {
        let a = rng.below(s);
        let b = rng.below(s);
        let route = (rng.below(1000) == 0).then_some("oral");
        (substance_id(a), substance_id(b), route)
    })?;
    w.finish()?;
    Ok(Summary {
        rules: counts,
        rules_bytes: std::fs::metadata(out.join("rules.json"))?.len(),
    })
}

/// One regimen as a JSON line, tagged `"id": "r<index>"`, of `items` distinct items: substances
/// by id, name or synonym, one product, one therapy, and a dose on some, with a patient who has
/// an age and a condition. Deterministic for a given generator state.
pub fn regimen_line(cfg: &Config, rng: &mut Rng, index: usize, items: usize) -> String {
    let mut chosen: Vec<String> = Vec::with_capacity(items);
    let mut used = HashSet::new();
    let mut out = format!(
        "{{\"id\":\"r{index}\",\"patient\":{{\"age_years\":{},\"conditions\":[\"{}\"]}},\"items\":[",
        30 + rng.below(60),
        condition_id(1 + rng.below(CONDITIONS - 1))
    );
    while chosen.len() < items {
        let k = chosen.len();
        let item = if k == 1 && cfg.products > 0 {
            format!("{{\"id\":\"{}\"}}", product_id(rng.below(cfg.products)))
        } else if k == 2 && cfg.therapies > 0 {
            format!("{{\"id\":\"{}\"}}", therapy_id(rng.below(cfg.therapies)))
        } else {
            let s = rng.below(cfg.substances);
            if !used.insert(s) {
                continue;
            }
            let name = match k % 3 {
                0 => substance_name(s),
                1 => substance_synonym(s).unwrap_or_else(|| substance_id(s)),
                _ => substance_id(s),
            };
            if k % 2 == 0 {
                format!(
                    "{{\"id\":\"{name}\",\"dose\":{{\"value\":{},\"unit\":\"mg\"}},\"times_per_day\":2,\"route\":\"oral\"}}",
                    5 * (1 + rng.below(40))
                )
            } else {
                format!("{{\"id\":\"{name}\"}}")
            }
        };
        if chosen.contains(&item) {
            continue;
        }
        chosen.push(item);
    }
    out.push_str(&chosen.join(","));
    out.push_str("]}");
    out
}
