//! The fast paths against the obvious ones, on a generated knowledge base of a few thousand
//! rules (the shape of the 1M-rule benchmark data, smaller): streaming `rules.json` must load
//! what parsing it whole loads, and the compiled index must find exactly the interactions a
//! scan of every rule finds.

#[path = "../benches/support/mod.rs"]
mod support;

use std::path::PathBuf;

use medcheck::source::{Origin, SourceData};
use medcheck::{KnowledgeBase, Regimen};
use support::generate::{self, Config, Rng};
use support::reference::{fast_interactions, naive_interactions};

/// A generated data directory, removed when dropped.
struct TempKb(PathBuf);

impl TempKb {
    fn new(name: &str, cfg: &Config) -> TempKb {
        let dir = std::env::temp_dir().join(format!("medcheck-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        generate::generate(cfg, &dir).expect("generated");
        TempKb(dir)
    }
}

impl Drop for TempKb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn small() -> Config {
    Config {
        substances: 400,
        classes: 60,
        rules: 8_000,
        products: 60,
        therapies: 8,
        seed: 3,
    }
}

#[test]
fn generated_data_is_deterministic_and_valid() {
    let a = TempKb::new("det-a", &small());
    let b = TempKb::new("det-b", &small());
    for (file, _) in medcheck::source::FILES {
        let read = |d: &PathBuf| std::fs::read(d.join(file)).unwrap_or_default();
        assert_eq!(read(&a.0), read(&b.0), "{file} differs between two runs");
    }
    let rules = std::fs::metadata(a.0.join("rules.json")).unwrap().len();
    assert!(
        rules > 2 << 20,
        "rules.json spans several read blocks ({rules} bytes)"
    );
    let kb = KnowledgeBase::from_dir(&a.0).expect("generated data is valid");
    assert_eq!(kb.stats().rules, 8_000);
    assert!(
        kb.stats().indexed_pairs > 8_000,
        "class rules expand to many pairs"
    );
}

#[test]
fn streaming_loads_what_parsing_whole_loads() {
    let dir = TempKb::new("stream", &small());
    let streamed = KnowledgeBase::from_dir(&dir.0).expect("valid");
    // The same files parsed whole, the way the bundled data is.
    let mut whole = SourceData::default();
    for (file, _) in medcheck::source::FILES {
        let bytes = std::fs::read(dir.0.join(file)).expect("readable");
        whole.parse_file(file, &bytes).expect("parses");
    }
    assert_eq!(whole.rules.len(), 8_000);
    let from_dir = SourceData::from_dir(&dir.0).expect("reads");
    assert_eq!(
        from_dir, whole,
        "SourceData::from_dir streams to the same rules"
    );
    let parsed = KnowledgeBase::from_source(whole, Origin::Bundled).expect("valid");
    assert_eq!(streamed.stats(), parsed.stats());
    let (a, b) = (streamed.model(), parsed.model());
    for (x, y) in a.rules.iter().zip(&b.rules) {
        assert_eq!(x.id, y.id);
        assert_eq!(x.severity, y.severity);
        assert_eq!(x.summary, y.summary);
        assert_eq!(x.sources, y.sources);
    }
}

#[test]
fn index_finds_what_a_scan_of_every_rule_finds() {
    let dir = TempKb::new("reference", &small());
    let kb = KnowledgeBase::from_dir(&dir.0).expect("valid");
    let mut found = 0;
    for seed in 0..24 {
        let n = [2, 5, 10, 15][seed as usize % 4];
        let regimen = support::parsed(&kb, n, seed);
        let fast = fast_interactions(&kb, &regimen);
        assert_eq!(
            fast,
            naive_interactions(&kb, &regimen),
            "seed {seed}, {n} items"
        );
        found += fast.len();
    }
    assert!(
        found > 20,
        "the regimens do hit rules ({found} interactions)"
    );
}

#[test]
fn generated_regimens_screen_cleanly() {
    let cfg = small();
    let dir = TempKb::new("regimens", &cfg);
    let kb = KnowledgeBase::from_dir(&dir.0).expect("valid");
    let mut rng = Rng::new(9);
    for i in 0..50 {
        let line = generate::regimen_line(&cfg, &mut rng, i, 10);
        let regimen = Regimen::from_json(&line).expect("valid regimen");
        let report = kb.check(&regimen).expect("checks");
        let unknown = report
            .findings
            .iter()
            .filter(|f| f.kind == medcheck::FindingKind::UnknownItem)
            .count();
        assert_eq!(unknown, 0, "every generated name resolves: {line}");
        assert_eq!(
            report.resolved.iter().filter(|r| r.role == "item").count(),
            10
        );
    }
}

#[test]
fn a_malformed_rule_deep_in_a_large_file_is_named() {
    let dir = TempKb::new("malformed", &small());
    let path = dir.0.join("rules.json");
    let text = std::fs::read_to_string(&path).expect("readable");
    // One rule per line after the opening bracket: line 6001 holds rule [5999].
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[6000] = lines[6000].replacen("\"severity\":\"", "\"severity\":7,\"x\":\"", 1);
    std::fs::write(&path, lines.join("\n")).expect("writable");
    let err = KnowledgeBase::from_dir(&dir.0)
        .expect_err("malformed")
        .to_string();
    assert!(err.contains("rules.json:6001:"), "{err}");
    assert!(
        err.contains("at [5999].severity: invalid type: integer `7`"),
        "{err}"
    );

    // Cut off in the middle of a rule.
    std::fs::write(&path, &text[..text.len() / 2]).expect("writable");
    let err = KnowledgeBase::from_dir(&dir.0)
        .expect_err("truncated")
        .to_string();
    assert!(err.contains("rules.json:") && err.contains("EOF"), "{err}");
}
