//! Checking a regimen: 2, 10, 20 and 50 items with doses, against the bundled knowledge base and
//! the 1M-rule synthetic one, the fast checker against the naive reference (every pair of items
//! against every rule). Each iteration asserts its result, so a broken check cannot be timed.
//!
//! `cargo bench --bench check`; the 1M-rule data is generated under `target/synth-kb` on first
//! use (set `MEDCHECK_SKIP_SYNTH` to skip that group instead).

mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use medcheck::model::{ConceptKind, RuleKind};
use medcheck::{FindingKind, KnowledgeBase, Regimen};
use support::reference::{fast_interactions, naive_interactions};

const SIZES: [usize; 4] = [2, 10, 20, 50];

/// True when one of the report's interaction findings comes from a rule written on a class.
fn has_class_match(kb: &KnowledgeBase, regimen: &Regimen) -> bool {
    let model = kb.model();
    let report = kb.check(regimen).expect("checks");
    report.findings.iter().any(|f| {
        f.kind == FindingKind::Interaction
            && model.rules.iter().any(|r| {
                &*r.id == f.rule()
                    && matches!(r.kind, RuleKind::Interaction { a, b }
                        if model.concept(a.concept).kind() == ConceptKind::Class
                            || model.concept(b.concept).kind() == ConceptKind::Class)
            })
    })
}

fn group(c: &mut Criterion, name: &str, kb: &KnowledgeBase, naive_sizes: &[usize]) {
    let mut g = c.benchmark_group(format!("check/{name}"));
    g.warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for n in SIZES {
        let regimen = support::parsed(kb, n, 7);
        let expected = kb.check(&regimen).expect("checks").findings.len();
        assert_eq!(
            fast_interactions(kb, &regimen),
            naive_interactions(kb, &regimen),
            "the checker and the reference disagree on {n} items"
        );
        eprintln!("check/{name}: {n} items, {expected} findings");
        if n == 10 {
            assert!(
                has_class_match(kb, &regimen),
                "10 items include a class-level match"
            );
            // The same items without doses: what the dose checks cost.
            let mut bare = regimen.clone();
            for item in &mut bare.items {
                item.dose = None;
                item.times_per_day = None;
            }
            let bare_expected = kb.check(&bare).expect("checks").findings.len();
            g.bench_with_input(BenchmarkId::new("fast-no-doses", n), &bare, |b, r| {
                b.iter(|| {
                    let report = kb.check(black_box(r)).expect("checks");
                    assert_eq!(report.findings.len(), bare_expected);
                    report.findings.len()
                })
            });
        }
        g.bench_with_input(BenchmarkId::new("fast", n), &regimen, |b, r| {
            b.iter(|| {
                let report = kb.check(black_box(r)).expect("checks");
                assert_eq!(report.findings.len(), expected);
                report.findings.len()
            })
        });
    }
    // A different regimen each time: the pair table is probed where the cache is cold.
    let many: Vec<Regimen> = (0..512)
        .map(|s| support::parsed(kb, 20, 1000 + s))
        .collect();
    let counts: Vec<usize> = many
        .iter()
        .map(|r| kb.check(r).expect("checks").findings.len())
        .collect();
    let mut next = 0;
    g.bench_function(BenchmarkId::new("fast-rotating", 20), |b| {
        b.iter(|| {
            next = (next + 1) % many.len();
            let report = kb.check(black_box(&many[next])).expect("checks");
            assert_eq!(report.findings.len(), counts[next]);
        })
    });
    g.finish();

    let mut g = c.benchmark_group(format!("check-naive/{name}"));
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for &n in naive_sizes {
        let regimen = support::parsed(kb, n, 7);
        let expected = naive_interactions(kb, &regimen).len();
        g.bench_with_input(BenchmarkId::new("naive", n), &regimen, |b, r| {
            b.iter(|| {
                let found = naive_interactions(kb, black_box(r));
                assert_eq!(found.len(), expected);
            })
        });
    }
    g.finish();
}

fn bundled(c: &mut Criterion) {
    group(c, "bundled", KnowledgeBase::bundled(), &SIZES);
}

fn million(c: &mut Criterion) {
    if let Some(kb) = support::synth_kb(&support::million()) {
        group(c, "1m", &kb, &[2, 10]);
    }
}

criterion_group!(benches, bundled, million);
criterion_main!(benches);
