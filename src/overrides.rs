//! Local overrides: a hospital's or clinic's own changes layered over any knowledge base.
//!
//! Alert fatigue is fought locally: a pharmacy and therapeutics committee lowers the severity of
//! an alert its prescribers see too often, turns one off, adds a rule of its own or a product on
//! its formulary. An override file does that without editing the shared data, and every change
//! stays visible: a finding whose rule was changed carries `overridden: {from, to, by}` in the
//! report, a disabled rule's findings stay in the report at severity `info` (so they never fail
//! `--fail-on`, but nobody can say they were hidden), and findings from local rules carry
//! `overridden` with `from` equal to `to` to say who added them.
//!
//! The file (JSON):
//!
//! ```json
//! {
//!   "by": "Pharmacy and Therapeutics Committee, 2026-03-01",
//!   "changes": [
//!     {"rule": "tramadol-cyp2d6-inhibitor", "severity": "minor", "reason": "Seen daily; pharmacist follows up"},
//!     {"rule": "st-johns-wort-serotonergic", "disable": true, "reason": "...", "by": "Dr. A. Smith"}
//!   ],
//!   "sources": [], "monitoring": [], "products": [], "rules": []
//! }
//! ```
//!
//! `changes` target rules, dose limits and MME thresholds by id; built-in checks (`medcheck:...`)
//! cannot be changed. `sources`, `monitoring`, `products` and `rules` take entries in the format
//! of the data files of the same names (data/README.md) and are validated with the knowledge
//! base they join, like the data they extend: every problem is reported with the override file,
//! the entry and the field.

use std::path::Path;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::kb::KnowledgeBase;
use crate::model::{Location, ValidationError};
use crate::report::{Overridden, Report};
use crate::source::{RawMonitoring, RawProduct, RawRule, RawSource, SourceData};
use crate::vocab::Severity;

/// Largest override file read (8 MiB).
pub const MAX_OVERRIDE_BYTES: u64 = 8 << 20;
/// Longest `by` or `reason`, in characters.
pub const MAX_OVERRIDE_TEXT: usize = 1024;

/// One change to an existing rule, dose limit or MME threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChange {
    /// Id of the rule, dose limit or MME threshold.
    pub rule: String,
    /// The new severity (`contraindicated`, `major`, `moderate`, `minor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// `true` to turn the rule's alerts down to `info`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable: Option<bool>,
    /// Why, for the audit trail.
    pub reason: String,
    /// Who decided; the file's `by` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// An override file as written.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOverrides {
    /// Who is responsible for the file's changes (each change may name its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Changes to existing rules, dose limits and MME thresholds.
    #[serde(default)]
    pub changes: Vec<RawChange>,
    /// Local sources, for local rules to cite.
    #[serde(default)]
    pub sources: Vec<RawSource>,
    /// Local monitoring requirements.
    #[serde(default)]
    pub monitoring: Vec<RawMonitoring>,
    /// Local formulary products.
    #[serde(default)]
    pub products: Vec<RawProduct>,
    /// Local rules.
    #[serde(default)]
    pub rules: Vec<RawRule>,
}

/// A problem with an override file. Every variant says where it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OverrideProblem {
    /// A problem of the kind the data validator finds (a dangling reference, an unknown
    /// severity, a missing source...), in a change or a local entry.
    #[error("{0}")]
    Data(ValidationError),
    /// A change to something that cannot be changed by an override.
    #[error("{at}: `{target}` cannot be overridden: {reason}")]
    NotOverridable {
        /// Where.
        at: Location,
        /// What the change names.
        target: String,
        /// Why.
        reason: String,
    },
    /// A change that sets the severity the rule already has.
    #[error("{at}: `{target}` already has severity {severity}; remove the change")]
    NoChange {
        /// Where.
        at: Location,
        /// The rule.
        target: String,
        /// Its severity.
        severity: Severity,
    },
    /// A second change to one rule.
    #[error("{at}: `{target}` is already changed by changes[{first}]; keep one change per rule")]
    Repeated {
        /// Where.
        at: Location,
        /// The rule.
        target: String,
        /// Position of the first change.
        first: usize,
    },
}

impl OverrideProblem {
    /// Where the problem is.
    pub fn location(&self) -> &Location {
        match self {
            OverrideProblem::Data(e) => e.location(),
            OverrideProblem::NotOverridable { at, .. }
            | OverrideProblem::NoChange { at, .. }
            | OverrideProblem::Repeated { at, .. } => at,
        }
    }

    /// A stable code for the kind of problem.
    pub fn code(&self) -> &'static str {
        match self {
            OverrideProblem::Data(e) => e.code(),
            OverrideProblem::NotOverridable { .. } => "not-overridable",
            OverrideProblem::NoChange { .. } => "no-change",
            OverrideProblem::Repeated { .. } => "repeated-change",
        }
    }
}

/// Why an override file could not be applied. Nothing is applied when any problem is found.
#[derive(Debug, thiserror::Error)]
pub enum OverrideError {
    /// The file could not be read.
    #[error("{file}: cannot read: {reason}")]
    Io {
        /// The file.
        file: String,
        /// What the operating system said.
        reason: String,
    },
    /// The file is larger than [`MAX_OVERRIDE_BYTES`].
    #[error("{file}: {bytes} bytes is larger than the {max}-byte limit for an override file")]
    TooLarge {
        /// The file.
        file: String,
        /// Its size.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// Malformed JSON, or JSON of the wrong shape.
    #[error("{file}:{line}:{column}: {message}")]
    Json {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was wrong, with the path to the field.
        message: String,
    },
    /// Changes or local entries that are not valid.
    #[error("{} problem(s) in the overrides:\n{}", .0.len(), .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<OverrideProblem>),
}

impl OverrideError {
    /// Every problem, one line each.
    pub fn problems(&self) -> Vec<String> {
        match self {
            OverrideError::Invalid(p) => p.iter().map(ToString::to_string).collect(),
            other => vec![other.to_string()],
        }
    }
}

/// A parsed override file, not yet checked against a knowledge base.
#[derive(Clone, Debug, PartialEq)]
pub struct Overrides {
    /// The name used in problem locations (the file's path as given).
    pub file: String,
    /// The contents.
    pub raw: RawOverrides,
}

/// What a finding of a rule becomes.
#[derive(Clone, Debug)]
struct Change {
    /// The new severity; `None` for a local rule (its findings are only marked).
    to: Option<Severity>,
    by: Box<str>,
}

/// The changes a knowledge base applies to every report, by rule id.
#[derive(Clone, Debug, Default)]
pub(crate) struct Table {
    changes: FxHashMap<Box<str>, Change>,
}

impl Table {
    /// True when there is nothing to apply.
    pub(crate) fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The report with every overridden finding changed and marked, in canonical order again.
    pub(crate) fn apply<'a>(&'a self, report: Report<'a>) -> Report<'a> {
        if self.is_empty() {
            return report;
        }
        let model = report.model();
        let Report {
            id,
            resolved,
            mut findings,
            skipped,
            ..
        } = report;
        for f in &mut findings {
            if let Some(c) = self.changes.get(f.rule()) {
                let from = f.severity;
                let to = c.to.unwrap_or(from);
                f.severity = to;
                f.overridden = Some(Overridden {
                    from,
                    to,
                    by: &c.by,
                });
            }
        }
        Report::new(model, id, resolved, findings, skipped)
    }
}

fn shape_error(file: &str, text: &str) -> OverrideError {
    let mut de = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, RawOverrides>(&mut de) {
        // The object read; what failed the strict parse came after it.
        Ok(_) => match de.end() {
            Err(e) => OverrideError::Json {
                file: file.into(),
                line: e.line(),
                column: e.column(),
                message: "trailing characters after the override object".into(),
            },
            Ok(()) => OverrideError::Json {
                file: file.into(),
                line: 0,
                column: 0,
                message: "unreadable".into(),
            },
        },
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let message = inner.to_string();
            let message = crate::source::strip_position(&message);
            OverrideError::Json {
                file: file.into(),
                line: inner.line(),
                column: inner.column(),
                message: if path == "." || path.is_empty() {
                    message
                } else {
                    format!("at {path}: {message}")
                },
            }
        }
    }
}

impl Overrides {
    /// Parses an override file's text; `file` names it in problem locations.
    pub fn from_json(file: &str, text: &str) -> Result<Overrides, OverrideError> {
        if text.len() as u64 > MAX_OVERRIDE_BYTES {
            return Err(OverrideError::TooLarge {
                file: file.into(),
                bytes: text.len() as u64,
                max: MAX_OVERRIDE_BYTES,
            });
        }
        if !text.trim_start().starts_with('{') {
            return Err(OverrideError::Json {
                file: file.into(),
                line: 1,
                column: 1,
                message: "an override file is one JSON object ({\"by\": ..., \"changes\": [...]})"
                    .into(),
            });
        }
        match serde_json::from_str::<RawOverrides>(text) {
            Ok(raw) => Ok(Overrides {
                file: file.into(),
                raw,
            }),
            Err(_) => Err(shape_error(file, text)),
        }
    }

    /// Reads an override file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Overrides, OverrideError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let io = |e: std::io::Error| OverrideError::Io {
            file: file.clone(),
            reason: e.to_string(),
        };
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > MAX_OVERRIDE_BYTES {
            return Err(OverrideError::TooLarge {
                file,
                bytes: size,
                max: MAX_OVERRIDE_BYTES,
            });
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        Overrides::from_json(&file, &text)
    }

    fn at(&self, entry: &str, field: impl Into<String>) -> Location {
        Location::new(&self.file, entry, field)
    }

    /// Checks the changes against the base knowledge base and returns the table to apply.
    fn changes(&self, base: &SourceData, problems: &mut Vec<OverrideProblem>) -> Table {
        // What a change may target: rules, dose limits and MME thresholds, with their severity.
        let mut targets: FxHashMap<&str, &str> = FxHashMap::default();
        for r in &base.rules {
            targets.insert(&r.id, &r.severity);
        }
        for d in &base.dose_limits {
            targets.insert(&d.id, &d.severity);
        }
        for t in &base.mme_thresholds {
            targets.insert(&t.id, &t.severity);
        }
        let local: FxHashSet<&str> = self.raw.rules.iter().map(|r| r.id.as_str()).collect();
        let mut others: FxHashSet<&str> = FxHashSet::default();
        others.extend(base.sources.iter().map(|s| s.id.as_str()));
        others.extend(base.monitoring.iter().map(|s| s.id.as_str()));
        others.extend(base.classes.iter().map(|s| s.id.as_str()));
        others.extend(base.conditions.iter().map(|s| s.id.as_str()));
        others.extend(base.substances.iter().map(|s| s.id.as_str()));
        others.extend(base.products.iter().map(|s| s.id.as_str()));
        others.extend(base.therapies.iter().map(|s| s.id.as_str()));

        let mut table = Table::default();
        let mut seen: FxHashMap<&str, usize> = FxHashMap::default();
        let mut data = |e: ValidationError| problems.push(OverrideProblem::Data(e));
        let mut other = Vec::new();
        for (i, c) in self.raw.changes.iter().enumerate() {
            let entry = if c.rule.is_empty() {
                format!("changes[{i}]")
            } else {
                c.rule.clone()
            };
            let at = |f: &str| self.at(&entry, format!("changes[{i}].{f}"));
            let before = other.len();
            let by = c.by.as_ref().or(self.raw.by.as_ref());
            match by {
                None => data(ValidationError::Missing {
                    at: at("by"),
                    kind: "a change (or give `by` for the whole file)".into(),
                }),
                Some(b) => text_problem(at("by"), b, &mut data),
            }
            text_problem(at("reason"), &c.reason, &mut data);
            let current = if c.rule.starts_with("medcheck:") {
                other.push(OverrideProblem::NotOverridable {
                    at: at("rule"),
                    target: c.rule.clone(),
                    reason: "built-in checks (unknown items, allergies, duplicates, totals) are part of failing safe".into(),
                });
                None
            } else if let Some(s) = targets.get(c.rule.as_str()) {
                Severity::parse(s)
            } else if local.contains(c.rule.as_str()) {
                other.push(OverrideProblem::NotOverridable {
                    at: at("rule"),
                    target: c.rule.clone(),
                    reason: "it is a local rule of this file; set its severity there".into(),
                });
                None
            } else if others.contains(c.rule.as_str()) {
                data(ValidationError::WrongKind {
                    at: at("rule"),
                    target: c.rule.clone(),
                    expected: "rule, dose limit or MME threshold",
                    found: "different kind of entry",
                });
                None
            } else {
                data(ValidationError::Dangling {
                    at: at("rule"),
                    target: c.rule.clone(),
                });
                None
            };
            if let Some(first) = seen.insert(&c.rule, i) {
                other.push(OverrideProblem::Repeated {
                    at: at("rule"),
                    target: c.rule.clone(),
                    first,
                });
            }
            let to = match (&c.severity, c.disable) {
                (Some(_), Some(_)) => {
                    data(ValidationError::NotApplicable {
                        at: at("disable"),
                        kind: "a change that sets a severity (give one or the other)".into(),
                    });
                    None
                }
                (None, None) => {
                    data(ValidationError::Missing {
                        at: at("severity"),
                        kind: "a change (give `severity` or `\"disable\": true`)".into(),
                    });
                    None
                }
                (None, Some(false)) => {
                    data(ValidationError::BadNumber {
                        at: at("disable"),
                        reason: "`false` changes nothing; remove the change".into(),
                    });
                    None
                }
                (None, Some(true)) => Some(Severity::Info),
                (Some(s), None) => match Severity::parse(s) {
                    Some(v) if v != Severity::Info => Some(v),
                    _ => {
                        data(ValidationError::UnknownValue {
                            at: at("severity"),
                            what: Severity::WHAT,
                            value: s.clone(),
                            allowed:
                                "contraindicated, major, moderate, minor (or \"disable\": true)"
                                    .into(),
                        });
                        None
                    }
                },
            };
            if let (Some(cur), Some(to)) = (current, to) {
                if cur == to {
                    other.push(OverrideProblem::NoChange {
                        at: at("severity"),
                        target: c.rule.clone(),
                        severity: cur,
                    });
                }
            }
            if other.len() == before {
                if let (Some(to), Some(by)) = (to, by) {
                    table.changes.insert(
                        c.rule.as_str().into(),
                        Change {
                            to: Some(to),
                            by: by.as_str().into(),
                        },
                    );
                }
            }
        }
        problems.extend(other);
        table
    }

    /// Layers these overrides over a knowledge base: the changes are checked against it, the
    /// local entries validated with it, and the result checks regimens with both applied.
    /// Nothing is applied when any problem is found; every problem is returned.
    pub fn apply(&self, kb: &KnowledgeBase) -> Result<KnowledgeBase, OverrideError> {
        let base = kb.to_source();
        let mut problems = Vec::new();
        let mut table = self.changes(&base, &mut problems);
        let adds = !self.raw.rules.is_empty() || !self.raw.products.is_empty();
        match &self.raw.by {
            None if adds => problems.push(OverrideProblem::Data(ValidationError::Missing {
                at: self.at("", "by"),
                kind: "a file that adds rules or products (say who is responsible)".into(),
            })),
            Some(b) => text_problem(self.at("", "by"), b, &mut |e| {
                problems.push(OverrideProblem::Data(e))
            }),
            None => {}
        }
        let by: Box<str> = self.raw.by.as_deref().unwrap_or_default().into();
        for r in &self.raw.rules {
            table.changes.insert(
                r.id.as_str().into(),
                Change {
                    to: None,
                    by: by.clone(),
                },
            );
        }
        let mut merged = base.clone();
        merged.sources.extend(self.raw.sources.iter().cloned());
        merged
            .monitoring
            .extend(self.raw.monitoring.iter().cloned());
        merged.products.extend(self.raw.products.iter().cloned());
        merged.rules.extend(self.raw.rules.iter().cloned());
        let loaded = KnowledgeBase::build(merged, kb.origin().clone(), table);
        let loaded = match loaded {
            Ok(k) => Some(k),
            Err(crate::LoadError::Invalid(errors)) => {
                problems.extend(
                    errors
                        .into_iter()
                        .map(|e| OverrideProblem::Data(self.relocate(&base, e))),
                );
                None
            }
            Err(e) => {
                problems.extend(e.problems().into_iter().map(|p| {
                    OverrideProblem::Data(ValidationError::BadNumber {
                        at: self.at("", ""),
                        reason: p,
                    })
                }));
                None
            }
        };
        match loaded {
            Some(kb) if problems.is_empty() => Ok(kb),
            _ => Err(OverrideError::Invalid(problems)),
        }
    }

    /// A problem the validator found in the merged data, moved to the override file when it is
    /// about one of the file's entries (`rules[0].between[1]`).
    fn relocate(&self, base: &SourceData, e: ValidationError) -> ValidationError {
        let at = e.location().clone();
        let lists: [(&str, &str, Vec<&str>, usize); 4] = [
            (
                "sources.json",
                "sources",
                self.raw.sources.iter().map(|x| x.id.as_str()).collect(),
                base.sources.len(),
            ),
            (
                "monitoring.json",
                "monitoring",
                self.raw.monitoring.iter().map(|x| x.id.as_str()).collect(),
                base.monitoring.len(),
            ),
            (
                "products.json",
                "products",
                self.raw.products.iter().map(|x| x.id.as_str()).collect(),
                base.products.len(),
            ),
            (
                "rules.json",
                "rules",
                self.raw.rules.iter().map(|x| x.id.as_str()).collect(),
                base.rules.len(),
            ),
        ];
        for (file, list, ids, base_len) in lists {
            if at.file != file {
                continue;
            }
            // An entry is named by its id, or by `#N` (its position in the merged list).
            let position = ids.iter().position(|id| *id == at.entry).or_else(|| {
                at.entry
                    .strip_prefix('#')
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|n| n.checked_sub(base_len))
            });
            let Some(i) = position else { continue };
            let field = if at.field.is_empty() {
                format!("{list}[{i}]")
            } else {
                format!("{list}[{i}].{}", at.field)
            };
            let moved = Location::new(&self.file, &at.entry, field);
            return with_location(e, moved);
        }
        e
    }
}

fn text_problem(at: Location, s: &str, out: &mut dyn FnMut(ValidationError)) {
    if s.trim().is_empty() {
        out(ValidationError::Empty { at });
    } else if s.chars().count() > MAX_OVERRIDE_TEXT {
        out(ValidationError::TooLong {
            at,
            max: MAX_OVERRIDE_TEXT,
        });
    }
}

/// The same problem at another location.
fn with_location(mut e: ValidationError, moved: Location) -> ValidationError {
    *e.location_mut() = moved;
    e
}
