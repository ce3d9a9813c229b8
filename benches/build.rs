//! Building a knowledge base: load, validate, build the graph and compile the index, for the
//! bundled data and the 1M-rule synthetic data. Each iteration asserts what it built.
//! Peak memory is measured outside criterion: `/usr/bin/time -v medcheck validate DIR`.

mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use medcheck::KnowledgeBase;
use medcheck::source::{Origin, SourceData};

fn bundled(c: &mut Criterion) {
    let rules = KnowledgeBase::bundled().stats().rules;
    let mut g = c.benchmark_group("build");
    g.bench_function("bundled", |b| {
        b.iter(|| {
            let source = SourceData::bundled().expect("bundled data parses");
            let kb = KnowledgeBase::from_source(source, Origin::Bundled).expect("valid");
            assert_eq!(kb.model().rules.len(), rules);
            kb
        })
    });
    // Built once per process and shared after: what every caller but the first pays.
    g.bench_function("bundled-shared", |b| {
        b.iter(|| {
            let kb = black_box(KnowledgeBase::bundled());
            assert_eq!(kb.model().rules.len(), rules);
        })
    });
    g.finish();
}

fn million(c: &mut Criterion) {
    let cfg = support::million();
    let Some(dir) = support::synth(&cfg) else {
        return;
    };
    let mut g = c.benchmark_group("build");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(45));
    g.bench_function("1m", |b| {
        b.iter(|| {
            let kb = KnowledgeBase::from_dir(&dir).expect("valid");
            assert_eq!(kb.model().rules.len(), cfg.rules);
            kb
        })
    });
    g.finish();
}

criterion_group!(benches, bundled, million);
criterion_main!(benches);
