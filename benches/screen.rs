//! Batch screening throughput, single thread, JSON parsing and writing included: 2,000
//! ten-item regimens a batch, compact and full report lines, bundled and 1M-rule data, and for
//! comparison one bundled regimen repeated 2,000 times. Each iteration asserts that every line
//! was screened without error.

mod support;

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use medcheck::KnowledgeBase;
use medcheck::screen::{LineFormat, Options, screen};
use support::generate::Rng;

const LINES: usize = 2000;

fn bench(c: &mut Criterion, group: &str, kb: &KnowledgeBase, input: &str) {
    let mut g = c.benchmark_group(format!("screen/{group}"));
    g.throughput(Throughput::Elements(LINES as u64))
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (name, format) in [("compact", LineFormat::Compact), ("full", LineFormat::Full)] {
        let options = Options {
            threads: 1,
            format,
            progress: false,
        };
        let mut out = Vec::with_capacity(64 << 20);
        g.bench_function(BenchmarkId::new(name, "1-thread"), |b| {
            b.iter(|| {
                out.clear();
                let summary = screen(kb, input.as_bytes(), &mut out, &options).expect("screens");
                assert_eq!(summary.lines, LINES as u64);
                assert_eq!(summary.errors, 0);
                out.len()
            })
        });
    }
    g.finish();
}

fn bundled(c: &mut Criterion) {
    let kb = KnowledgeBase::bundled();
    let mut input = String::new();
    for seed in 0..LINES as u64 {
        input.push_str(&support::regimen(kb, 10, seed));
        input.push('\n');
    }
    bench(c, "bundled", kb, &input);
    // The first of those lines, 2,000 times: what different input costs over the same line
    // again, whose branches the processor has learnt (docs/performance.md, Round 12). Not the
    // target's workload, which is different lines.
    let line = support::regimen(kb, 10, 0);
    let mut input = String::new();
    for _ in 0..LINES {
        input.push_str(&line);
        input.push('\n');
    }
    bench(c, "bundled-one-line-repeated", kb, &input);
}

fn million(c: &mut Criterion) {
    let cfg = support::million();
    let Some(kb) = support::synth_kb(&cfg) else {
        return;
    };
    let mut rng = Rng::new(11);
    let mut input = String::new();
    for i in 0..LINES {
        input.push_str(&support::generate::regimen_line(&cfg, &mut rng, i, 10));
        input.push('\n');
    }
    bench(c, "1m", &kb, &input);
}

criterion_group!(benches, bundled, million);
criterion_main!(benches);
