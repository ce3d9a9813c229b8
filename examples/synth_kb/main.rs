//! Writes a synthetic knowledge base at the scale of a commercial one, for benchmarks and
//! batch-screening tests. Seeded and deterministic: the same flags write the same bytes.
//!
//! ```sh
//! cargo run --release --example synth_kb -- --substances 5000 --classes 500 --rules 1000000 --out DIR
//! cargo run --release -- validate DIR
//! cargo run --release --example synth_kb -- --out DIR --regimens 100000 --regimens-out FILE
//! cargo run --release -- screen FILE --data DIR
//! ```
//!
//! Flags: `--substances N` (5000), `--classes N` (500), `--rules N` (1000000), `--products N`
//! (substances / 10), `--therapies N` (20), `--seed N` (1), `--out DIR` (required);
//! `--regimens N` with `--regimens-out FILE` also writes N newline-delimited regimens of
//! `--regimen-items K` (10) items made of the knowledge base's ids, names and products.
#![forbid(unsafe_code)]

mod generate;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use generate::{Config, Rng};

fn usage() -> ExitCode {
    eprintln!(
        "usage: synth_kb --out DIR [--substances N] [--classes N] [--rules N] [--products N] \
         [--therapies N] [--seed N] [--regimens N --regimens-out FILE [--regimen-items K]]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut cfg = Config::million();
    let mut out: Option<PathBuf> = None;
    let mut regimens = 0usize;
    let mut regimens_out: Option<PathBuf> = None;
    let mut regimen_items = 10usize;
    let mut products: Option<usize> = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let Some(value) = args.next() else {
            eprintln!("synth_kb: {flag} needs a value");
            return usage();
        };
        let number = || value.parse::<usize>();
        let parsed = match flag.as_str() {
            "--substances" => number().map(|n| cfg.substances = n),
            "--classes" => number().map(|n| cfg.classes = n),
            "--rules" => number().map(|n| cfg.rules = n),
            "--products" => number().map(|n| products = Some(n)),
            "--therapies" => number().map(|n| cfg.therapies = n),
            "--seed" => number().map(|n| cfg.seed = n as u64),
            "--regimens" => number().map(|n| regimens = n),
            "--regimen-items" => number().map(|n| regimen_items = n),
            "--out" => {
                out = Some(value.clone().into());
                Ok(())
            }
            "--regimens-out" => {
                regimens_out = Some(value.clone().into());
                Ok(())
            }
            _ => {
                eprintln!("synth_kb: unknown flag {flag}");
                return usage();
            }
        };
        if let Err(e) = parsed {
            eprintln!("synth_kb: {flag} {value}: {e}");
            return usage();
        }
    }
    cfg.products = products.unwrap_or(cfg.substances / 10);
    let Some(out) = out else {
        eprintln!("synth_kb: --out DIR is required");
        return usage();
    };
    let start = Instant::now();
    match generate::generate(&cfg, &out) {
        Ok(summary) => {
            let kinds: Vec<String> = summary
                .rules
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            eprintln!(
                "synth_kb: wrote {} in {:.1?}: {} substances, {} classes, {} products, rules: {} ({} MB of rules.json)",
                out.display(),
                start.elapsed(),
                cfg.substances,
                cfg.classes,
                cfg.products,
                kinds.join(", "),
                summary.rules_bytes / 1_000_000
            );
        }
        Err(e) => {
            eprintln!("synth_kb: {}: {e}", out.display());
            return ExitCode::FAILURE;
        }
    }
    if regimens > 0 {
        let Some(file) = regimens_out else {
            eprintln!("synth_kb: --regimens needs --regimens-out FILE");
            return usage();
        };
        let result = std::fs::File::create(&file).and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            let mut rng = Rng::new(cfg.seed ^ 0xA11CE);
            for i in 0..regimens {
                let line = generate::regimen_line(&cfg, &mut rng, i, regimen_items);
                w.write_all(line.as_bytes())?;
                w.write_all(b"\n")?;
            }
            w.flush()
        });
        if let Err(e) = result {
            eprintln!("synth_kb: {}: {e}", file.display());
            return ExitCode::FAILURE;
        }
        eprintln!("synth_kb: wrote {regimens} regimens to {}", file.display());
    }
    ExitCode::SUCCESS
}
