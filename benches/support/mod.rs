//! What the benches share: the synthetic knowledge bases, regimens of a given size, and the
//! naive reference checker.
#![allow(dead_code)]

#[path = "../../examples/synth_kb/generate.rs"]
pub mod generate;
pub mod reference;

use std::path::PathBuf;
use std::time::Instant;

use generate::{Config, Rng};
use medcheck::model::{ConceptId, ConceptKind, Detail, RuleKind};
use medcheck::{KnowledgeBase, Regimen};

/// Where the synthetic data directory for `cfg` lives: under `target/`, named after its settings,
/// so a change of settings writes a new one. Set `MEDCHECK_SYNTH_DIR` to put it elsewhere.
pub fn synth_dir(cfg: &Config) -> PathBuf {
    let base = std::env::var_os("MEDCHECK_SYNTH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(
                option_env!("CARGO_TARGET_DIR")
                    .unwrap_or(concat!(env!("CARGO_MANIFEST_DIR"), "/target")),
            )
            .join("synth-kb")
        });
    base.join(format!(
        "s{}-c{}-r{}-p{}-t{}-seed{}",
        cfg.substances, cfg.classes, cfg.rules, cfg.products, cfg.therapies, cfg.seed
    ))
}

/// The synthetic data directory for `cfg`, generated (deterministically) on first use. `None`,
/// with a message, when `MEDCHECK_SKIP_SYNTH` is set and the directory is not there yet.
pub fn synth(cfg: &Config) -> Option<PathBuf> {
    let dir = synth_dir(cfg);
    let done = dir.join(".complete");
    if done.exists() {
        return Some(dir);
    }
    if std::env::var_os("MEDCHECK_SKIP_SYNTH").is_some() {
        eprintln!(
            "skipping the {}-rule group: {} is absent and MEDCHECK_SKIP_SYNTH is set \
             (generate it with `cargo run --release --example synth_kb -- --rules {} --out {}`)",
            cfg.rules,
            dir.display(),
            cfg.rules,
            dir.display()
        );
        return None;
    }
    let start = Instant::now();
    eprintln!("generating {} ...", dir.display());
    generate::generate(cfg, &dir).expect("synthetic data is written");
    std::fs::write(&done, b"").expect("marker is written");
    eprintln!("generated in {:.1?}", start.elapsed());
    Some(dir)
}

/// Loads the synthetic knowledge base for `cfg` (generating it first if needed).
pub fn synth_kb(cfg: &Config) -> Option<KnowledgeBase> {
    let dir = synth(cfg)?;
    let start = Instant::now();
    let kb = KnowledgeBase::from_dir(&dir).expect("synthetic data is valid");
    eprintln!("loaded {} in {:.2?}", dir.display(), start.elapsed());
    Some(kb)
}

/// The regimen items a knowledge base offers, by kind, in id order.
fn items(kb: &KnowledgeBase, kind: ConceptKind) -> Vec<ConceptId> {
    let model = kb.model();
    let mut v: Vec<ConceptId> = (0..model.concepts.len() as u32)
        .map(ConceptId)
        .filter(|c| model.concept(*c).kind() == kind)
        .collect();
    v.sort_by(|a, b| model.concept(*a).id.cmp(&model.concept(*b).id));
    v
}

/// One item as regimen JSON: a dose (with route and frequency) on substances with an even
/// position, `tablet`s for products, nothing for therapies.
fn item_json(kb: &KnowledgeBase, c: ConceptId, position: usize) -> String {
    let concept = kb.model().concept(c);
    match &concept.detail {
        Detail::Substance(_) if position % 2 == 0 => format!(
            r#"{{"id":"{}","dose":{{"value":5,"unit":"mg"}},"times_per_day":2,"route":"oral"}}"#,
            concept.id
        ),
        Detail::Product(p) if p.unit.as_str() == "tablet" => format!(
            r#"{{"id":"{}","dose":{{"value":1,"unit":"tablet"}},"times_per_day":2}}"#,
            concept.id
        ),
        _ => format!(r#"{{"id":"{}"}}"#, concept.id),
    }
}

/// A regimen of `n` distinct items from `kb` (or all it has, repeated, when it has fewer):
/// it starts with a pair that a class-level rule matches and a combination product, then
/// substances and products and therapies in turn, chosen by `seed`. Doses on half the items.
pub fn regimen(kb: &KnowledgeBase, n: usize, seed: u64) -> String {
    let model = kb.model();
    let graph = kb.graph();
    let mut chosen: Vec<ConceptId> = Vec::new();
    let push = |c: ConceptId, chosen: &mut Vec<ConceptId>| {
        if chosen.len() < n && !chosen.contains(&c) {
            chosen.push(c);
        }
    };
    // A class-level match: a rule on a class, a member of the class, and a concrete concept at
    // the other end.
    let mut rng = Rng::new(seed);
    let class_rules: Vec<(ConceptId, ConceptId)> = model
        .rules
        .iter()
        .filter_map(|r| match r.kind {
            RuleKind::Interaction { a, b } if r.requires.is_empty() => Some((a.concept, b.concept)),
            _ => None,
        })
        .filter(|(a, b)| {
            let k = |c: ConceptId| model.concept(c).kind();
            k(*a) == ConceptKind::Class && k(*b) != ConceptKind::Condition
        })
        .take(64)
        .collect();
    if !class_rules.is_empty() {
        let (class, other) = class_rules[rng.below(class_rules.len())];
        let concrete = |c: ConceptId| {
            graph
                .members(c)
                .iter()
                .copied()
                .find(|m| model.concept(*m).kind().is_item())
        };
        if let (Some(x), Some(y)) = (concrete(class), concrete(other)) {
            push(x, &mut chosen);
            push(y, &mut chosen);
        }
    }
    let products = items(kb, ConceptKind::Product);
    if let Some(combo) = products.iter().find(
        |p| matches!(&model.concept(**p).detail, Detail::Product(d) if d.ingredients.len() > 1),
    ) {
        push(*combo, &mut chosen);
    }
    let pools = [
        items(kb, ConceptKind::Substance),
        products,
        items(kb, ConceptKind::Therapy),
    ];
    let total: usize = pools.iter().map(Vec::len).sum();
    let mut tries = 0;
    while chosen.len() < n.min(total) && tries < 100 * n + 1000 {
        tries += 1;
        // Mostly substances, as in real regimens.
        let pool = match rng.below(10) {
            0 => &pools[1],
            1 => &pools[2],
            _ => &pools[0],
        };
        if !pool.is_empty() {
            push(pool[rng.below(pool.len())], &mut chosen);
        }
    }
    let mut parts: Vec<String> = chosen
        .iter()
        .enumerate()
        .map(|(i, c)| item_json(kb, *c, i))
        .collect();
    // A knowledge base with fewer items than asked for: list them again, by name (duplicates).
    let mut i = 0;
    while parts.len() < n && !chosen.is_empty() {
        let c = model.concept(chosen[i % chosen.len()]);
        parts.push(format!(r#"{{"id":"{}"}}"#, c.name));
        i += 1;
    }
    format!(
        r#"{{"id":"bench-{n}","patient":{{"age_years":70,"weight_kg":70}},"items":[{}]}}"#,
        parts.join(",")
    )
}

/// A parsed regimen from [`regimen`].
pub fn parsed(kb: &KnowledgeBase, n: usize, seed: u64) -> Regimen {
    Regimen::from_json(&regimen(kb, n, seed)).expect("bench regimens are valid")
}

/// The 1M-rule shape of the issue.
pub fn million() -> Config {
    Config::million()
}
