//! The `medcheck` command: a thin layer over the library.
//!
//! Exit codes: 0 success (for `check`, nothing at or above `--fail-on`); 1 a finding at or above
//! `--fail-on`, or invalid data for `validate`; 2 bad input or usage, with the reason on stderr.
#![forbid(unsafe_code)]

mod pipes;

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use medcheck::fhir::{self, Date};
use medcheck::{KnowledgeBase, Overrides, Regimen, Severity};

#[derive(Parser)]
#[command(
    name = "medcheck",
    version,
    about = "Check a treatment plan for drug, herb, therapy and dose safety problems"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a regimen (JSON), or a FHIR R4 Bundle with `--fhir`, and print the report.
    Check {
        /// Regimen file, or `-` for standard input.
        #[arg(required_unless_present = "fhir", conflicts_with = "fhir")]
        file: Option<PathBuf>,
        /// A FHIR R4 Bundle (MedicationRequest, MedicationStatement, Patient, Condition,
        /// AllergyIntolerance, Observation) instead of a regimen; `-` for standard input.
        #[arg(long, value_name = "FILE")]
        fhir: Option<PathBuf>,
        /// With `--fhir`: the date ages are counted at (default: today, UTC).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        as_of: Option<Date>,
        /// Data directory to use instead of the bundled knowledge base.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Exit 1 when a finding is at or above this severity (`none` never fails).
        #[arg(long, value_name = "SEVERITY", default_value = "major", value_parser = parse_fail_on)]
        fail_on: FailOn,
        /// Local override file layered over the knowledge base (severity changes, disabled
        /// rules, local rules and products); every change is marked in the report.
        #[arg(long, value_name = "FILE")]
        overrides: Option<PathBuf>,
    },
    /// Serve the CDS Hooks 2.0 services (order-select, order-sign) over HTTP.
    #[cfg(feature = "server")]
    Serve {
        /// Address to listen on; loopback by default.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
        /// Data directory to use instead of the bundled knowledge base.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Local override file layered over the knowledge base; every change is marked on the
        /// finding behind each card.
        #[arg(long, value_name = "FILE")]
        overrides: Option<PathBuf>,
    },
    /// Validate a data directory (the bundled data without DIR) and print a summary.
    Validate {
        /// Data directory; the bundled knowledge base when absent.
        dir: Option<PathBuf>,
        /// Also validate this override file against the data.
        #[arg(long, value_name = "FILE")]
        overrides: Option<PathBuf>,
    },
    /// Print counts by kind, severity and evidence level.
    Stats {
        /// Data directory to use instead of the bundled knowledge base.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Write a knowledge base (the bundled one without --data) out as a data directory.
    Export {
        /// Directory to write; it must not already hold data files.
        dir: PathBuf,
        /// Data directory to use instead of the bundled knowledge base.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
    /// Screen many regimens: one per line in, one JSON report per line out, in input order.
    Screen {
        /// File of regimens, one JSON object per line, or `-` for standard input (the default).
        file: Option<PathBuf>,
        /// Data directory to use instead of the bundled knowledge base.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Threads that check regimens (default: one per core).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
        threads: Option<u16>,
        /// What each report line holds: `compact` leaves out the texts of findings (look them
        /// up by rule id), `full` is the report `check` prints.
        #[arg(long, value_enum, default_value_t = LineFormat::Compact)]
        format: LineFormat,
        /// Exit 1 when a regimen has a finding at or above this severity (`none` never does).
        #[arg(long, value_name = "SEVERITY", default_value = "none", value_parser = parse_fail_on)]
        fail_on: FailOn,
    },
    /// Show what names resolve to, with their classes.
    Lookup {
        /// Names, synonyms, brand names or `rxnorm:CODE`.
        #[arg(required = true)]
        names: Vec<String>,
        /// Data directory to use instead of the bundled knowledge base.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum LineFormat {
    Compact,
    Full,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Text,
}

#[derive(Clone, Copy)]
struct FailOn(Option<Severity>);

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    if s == "none" {
        return Ok(FailOn(None));
    }
    Severity::parse(s)
        .map(|s| FailOn(Some(s)))
        .ok_or_else(|| format!("expected one of {}, none", Severity::allowed()))
}

/// An error that ends the command with exit code 2.
struct Fail(String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check {
            file,
            fhir,
            as_of,
            data,
            format,
            fail_on,
            overrides,
        } => match (fhir, file) {
            (Some(f), _) => check(
                &Input::Fhir(f, as_of),
                data.as_deref(),
                overrides.as_deref(),
                format,
                fail_on,
            ),
            (None, _) if as_of.is_some() => {
                Err(Fail("--as-of applies only to --fhir input".to_string()))
            }
            (None, Some(f)) => check(
                &Input::Regimen(f),
                data.as_deref(),
                overrides.as_deref(),
                format,
                fail_on,
            ),
            (None, None) => Err(Fail("give a regimen FILE or --fhir FILE".to_string())),
        },
        #[cfg(feature = "server")]
        Command::Serve {
            addr,
            data,
            overrides,
        } => serve(&addr, data.as_deref(), overrides.as_deref()),
        Command::Validate { dir, overrides } => validate(dir.as_deref(), overrides.as_deref()),
        Command::Stats { data, format } => stats(data.as_deref(), format),
        Command::Lookup { names, data } => lookup(&names, data.as_deref()),
        Command::Export { dir, data } => export(&dir, data.as_deref()),
        Command::Screen {
            file,
            data,
            threads,
            format,
            fail_on,
        } => screen(file.as_deref(), data.as_deref(), threads, format, fail_on),
    };
    match result {
        Ok(code) => code,
        Err(Fail(message)) => {
            eprintln!("medcheck: {message}");
            ExitCode::from(2)
        }
    }
}

fn knowledge_base(data: Option<&Path>) -> Result<KnowledgeBase, Fail> {
    match data {
        None => KnowledgeBase::try_bundled()
            .cloned()
            .map_err(|e| Fail(format!("bundled knowledge base: {e}"))),
        Some(dir) => {
            KnowledgeBase::from_dir(dir).map_err(|e| Fail(format!("{}: {e}", dir.display())))
        }
    }
}

fn read_input(file: &Path) -> Result<String, Fail> {
    let mut text = String::new();
    if file == Path::new("-") {
        io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Fail(format!("standard input: {e}")))?;
    } else {
        text =
            std::fs::read_to_string(file).map_err(|e| Fail(format!("{}: {e}", file.display())))?;
    }
    Ok(text)
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn emit(text: &str) -> Result<(), Fail> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(Fail(format!("writing output: {e}")))
        }
        _ => Ok(()),
    }
}

fn parse_date(s: &str) -> Result<Date, String> {
    s.parse::<Date>().map_err(|e| e.to_string())
}

/// What `check` reads.
enum Input {
    Regimen(PathBuf),
    Fhir(PathBuf, Option<Date>),
}

/// The knowledge base with the override file layered over it, when one is given.
fn with_overrides(kb: KnowledgeBase, overrides: Option<&Path>) -> Result<KnowledgeBase, Fail> {
    match overrides {
        None => Ok(kb),
        Some(path) => Overrides::from_file(path)
            .and_then(|o| o.apply(&kb))
            .map_err(|e| Fail(e.to_string())),
    }
}

fn check(
    input: &Input,
    data: Option<&Path>,
    overrides: Option<&Path>,
    format: Format,
    fail_on: FailOn,
) -> Result<ExitCode, Fail> {
    let (file, fhir_as_of) = match input {
        Input::Regimen(f) => (f, None),
        Input::Fhir(f, as_of) => (f, Some(as_of)),
    };
    let text = read_input(file)?;
    let at = |e: &dyn std::fmt::Display| Fail(format!("{}: {e}", file.display()));
    let kb = with_overrides(knowledge_base(data)?, overrides)?;
    let (regimen, mapped) = match fhir_as_of {
        None => (Regimen::from_json(&text).map_err(|e| at(&e))?, None),
        Some(as_of) => {
            let options = as_of.map_or_else(fhir::MapOptions::default, |as_of| fhir::MapOptions {
                as_of,
            });
            let mapped = fhir::map_bundle(&kb, &text, &options).map_err(|e| at(&e))?;
            (Regimen::default(), Some(mapped))
        }
    };
    let report = match &mapped {
        Some(m) => m.check(&kb),
        None => kb.check(&regimen),
    }
    .map_err(|e| at(&e))?;
    let out = match format {
        Format::Json => report.to_json_pretty() + "\n",
        Format::Text => report.to_text(),
    };
    emit(&out)?;
    let failed = match (fail_on.0, report.max_severity()) {
        (Some(threshold), Some(worst)) => worst >= threshold,
        _ => false,
    };
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn validate(dir: Option<&Path>, overrides: Option<&Path>) -> Result<ExitCode, Fail> {
    if let Some(d) = dir {
        if !d.is_dir() {
            return Err(Fail(format!("{}: not a directory", d.display())));
        }
    }
    let name = dir.map_or("bundled data".to_string(), |d| d.display().to_string());
    let kb = match dir {
        None => KnowledgeBase::try_bundled()
            .cloned()
            .map_err(|e| e.problems()),
        Some(d) => KnowledgeBase::from_dir(d).map_err(|e| e.problems()),
    };
    let kb = match (kb, overrides) {
        (Ok(kb), Some(path)) => {
            let name = path.display().to_string();
            match Overrides::from_file(path).and_then(|o| o.apply(&kb).map(|k| (o, k))) {
                Ok((o, k)) => {
                    emit(&format!(
                        "{name}: valid: {} change(s), {} local rule(s), {} local product(s)\n",
                        o.raw.changes.len(),
                        o.raw.rules.len(),
                        o.raw.products.len()
                    ))?;
                    Ok(k)
                }
                Err(e) => {
                    let problems = e.problems();
                    for p in &problems {
                        eprintln!("{p}");
                    }
                    eprintln!("{name}: invalid: {} problem(s)", problems.len());
                    return Ok(ExitCode::from(1));
                }
            }
        }
        (kb, _) => kb,
    };
    match kb {
        Ok(kb) => {
            emit(&format!("{name}: valid: {}\n", kb.stats().summary_line()))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!("{name}: invalid: {} problem(s)", problems.len());
            Ok(ExitCode::from(1))
        }
    }
}

fn stats(data: Option<&Path>, format: Format) -> Result<ExitCode, Fail> {
    let kb = knowledge_base(data)?;
    let s = kb.stats();
    let out = match format {
        Format::Json => serde_json::to_string_pretty(&s).map_err(|e| Fail(e.to_string()))? + "\n",
        Format::Text => {
            let mut out = format!("{}\n", s.summary_line());
            let line = |title: &str, list: &[(String, usize)]| {
                let parts: Vec<String> = list.iter().map(|(k, n)| format!("{k} {n}")).collect();
                format!("{title}: {}\n", parts.join(", "))
            };
            out += &line("rules by kind", &s.rules_by_kind);
            out += &line("rules by severity", &s.rules_by_severity);
            out += &line("rules by evidence", &s.rules_by_evidence);
            out += &format!(
                "{} opioid conversions, {} MME thresholds, {} indexed concept pairs\n",
                s.opioid_conversions, s.mme_thresholds, s.indexed_pairs
            );
            out
        }
    };
    emit(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn export(dir: &Path, data: Option<&Path>) -> Result<ExitCode, Fail> {
    let kb = knowledge_base(data)?;
    let taken: Vec<&str> = medcheck::source::FILES
        .iter()
        .map(|(f, _)| *f)
        .filter(|f| dir.join(f).exists())
        .collect();
    if !taken.is_empty() {
        return Err(Fail(format!(
            "{}: already holds {}; export writes only into a new or empty directory",
            dir.display(),
            taken.join(", ")
        )));
    }
    kb.to_source()
        .write_dir(dir)
        .map_err(|e| Fail(format!("{}: {e}", dir.display())))?;
    // Read it back: what was written must load and hold the same entries.
    let again = KnowledgeBase::from_dir(dir).map_err(|e| {
        Fail(format!(
            "{}: the exported data does not load: {e}",
            dir.display()
        ))
    })?;
    if again.stats() != kb.stats() {
        return Err(Fail(format!(
            "{}: the exported data loads with different counts",
            dir.display()
        )));
    }
    emit(&format!(
        "{}: wrote {}\n",
        dir.display(),
        again.stats().summary_line()
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// Exit codes: 0 every line screened and none at or above `--fail-on`; 1 a line that could not
/// be read or checked (its error line says why), or a finding at or above `--fail-on`; 2 the
/// input or the data could not be read at all.
fn screen(
    file: Option<&Path>,
    data: Option<&Path>,
    threads: Option<u16>,
    format: LineFormat,
    fail_on: FailOn,
) -> Result<ExitCode, Fail> {
    use std::io::IsTerminal;
    let kb = knowledge_base(data)?;
    let threads = threads
        .map(usize::from)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let options = medcheck::screen::Options {
        threads,
        format: match format {
            LineFormat::Compact => medcheck::screen::LineFormat::Compact,
            LineFormat::Full => medcheck::screen::LineFormat::Full,
        },
        progress: io::stderr().is_terminal(),
    };
    pipes::widen_stdout_pipe();
    let file = file.unwrap_or(Path::new("-"));
    let shown = file.display().to_string();
    let result = if file == Path::new("-") {
        medcheck::screen::screen(&kb, io::stdin().lock(), io::stdout(), &options)
    } else {
        let f = std::fs::File::open(file).map_err(|e| Fail(format!("{shown}: {e}")))?;
        let input = io::BufReader::with_capacity(1 << 16, f);
        medcheck::screen::screen(&kb, input, io::stdout(), &options)
    };
    let summary = result.map_err(|e| Fail(format!("{shown}: {e}")))?;
    eprintln!("medcheck: {}", summary.line());
    let failed = summary.errors > 0 || fail_on.0.is_some_and(|s| summary.at_or_above(s) > 0);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn lookup(names: &[String], data: Option<&Path>) -> Result<ExitCode, Fail> {
    let kb = knowledge_base(data)?;
    let model = kb.model();
    let mut out = String::new();
    let mut missing = false;
    for name in names {
        match kb.index().resolve(name) {
            None => {
                missing = true;
                out += &format!("{name}: not in the knowledge base\n");
            }
            Some(c) => {
                let concept = model.concept(c);
                let classes: Vec<&str> = kb
                    .graph()
                    .ancestors(c)
                    .iter()
                    .filter(|a| **a != c)
                    .map(|a| &*model.concept(*a).id)
                    .collect();
                out += &format!(
                    "{name}: {} `{}` ({})",
                    concept.kind().as_str(),
                    concept.id,
                    concept.name
                );
                if !classes.is_empty() {
                    out += &format!(", in {}", classes.join(", "));
                }
                // Monitoring it calls for on its own (or through an ingredient).
                let mut standing: Vec<&str> = Vec::new();
                for m in kb.index().standing_monitoring(c) {
                    let id = &*model.monitoring(*m).id;
                    if !standing.contains(&id) {
                        standing.push(id);
                    }
                }
                if !standing.is_empty() {
                    out += &format!("; monitoring: {}", standing.join(", "));
                }
                out += "\n";
            }
        }
    }
    emit(&out)?;
    Ok(if missing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(feature = "server")]
fn serve(addr: &str, data: Option<&Path>, overrides: Option<&Path>) -> Result<ExitCode, Fail> {
    let kb = with_overrides(knowledge_base(data)?, overrides)?;
    let addr: std::net::SocketAddr = addr.parse().map_err(|e| {
        Fail(format!(
            "--addr {addr}: {e} (expected IP:PORT, such as 127.0.0.1:8080)"
        ))
    })?;
    medcheck::cds::server::run(kb, addr, |bound| {
        eprintln!("medcheck: CDS Hooks services at http://{bound}/cds-services (Ctrl-C to stop)");
    })
    .map_err(|e| Fail(format!("serve {addr}: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
