//! Resolving item names: canonical ids, display names, synonyms and brands in any case and
//! punctuation, RxNorm codes, and names that are not there. Each iteration asserts every result.

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use medcheck::KnowledgeBase;
use medcheck::model::ConceptId;

/// Names and what each resolves to (`None`: not in the knowledge base).
fn cases(kb: &KnowledgeBase, names: &[&str]) -> Vec<(String, Option<ConceptId>)> {
    names
        .iter()
        .map(|n| (n.to_string(), kb.index().resolve(n)))
        .collect()
}

fn bench(c: &mut Criterion, group: &str, kb: &KnowledgeBase, names: &[&str]) {
    let cases = cases(kb, names);
    assert!(cases.iter().filter(|c| c.1.is_some()).count() >= names.len() - 1);
    let mut g = c.benchmark_group(format!("resolve/{group}"));
    for (kind, range) in [
        ("id", 0..2),
        ("name-or-synonym", 2..6),
        ("rxnorm", 6..7),
        ("unknown", 7..8),
    ] {
        let some = &cases[range];
        g.bench_function(kind, |b| {
            b.iter(|| {
                for (name, expected) in some {
                    assert_eq!(kb.index().resolve(std::hint::black_box(name)), *expected);
                }
            })
        });
    }
    g.finish();
}

fn bundled(c: &mut Criterion) {
    let kb = KnowledgeBase::bundled();
    let rx = kb
        .model()
        .concepts
        .iter()
        .find_map(|c| c.rxnorm.as_ref().map(|r| format!("rxnorm:{r}")))
        .expect("a code");
    bench(
        c,
        "bundled",
        kb,
        &[
            "oxycodone",
            "st-johns-wort",
            "Xanax",
            "St. John's Wort",
            "TYLENOL",
            "paracetamol",
            &rx,
            "no such drug",
        ],
    );
}

fn million(c: &mut Criterion) {
    if let Some(kb) = support::synth_kb(&support::million()) {
        bench(
            c,
            "1m",
            &kb,
            &[
                "sub-01234",
                "prod-0042",
                "Substance 04321",
                "synonym 00005",
                "BRAND 00007",
                "Class 0011",
                "rxnorm:101234",
                "no such drug",
            ],
        );
    }
}

criterion_group!(benches, bundled, million);
criterion_main!(benches);
