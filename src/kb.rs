//! The knowledge base: the whole trip from source data to compiled index, behind one type.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde::Serialize;

use crate::check::{self, CheckError};
use crate::graph::ConceptGraph;
use crate::index::{Index, MAX_RULES};
use crate::model::{ConceptKind, Location, Model, RuleKind, ValidationError};
use crate::regimen::Regimen;
use crate::report::Report;
use crate::source::{DataDir, Origin, SourceData, SourceError};
use crate::vocab::{Evidence, Severity};

/// Why a knowledge base could not be loaded. Every problem found is listed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Files that could not be read or parsed.
    #[error("{} data file problem(s):\n{}", .0.len(), list(.0))]
    Source(Vec<SourceError>),
    /// Data that parsed but is not valid.
    #[error("{} validation problem(s):\n{}", .0.len(), list(.0))]
    Invalid(Vec<ValidationError>),
}

fn list<E: std::fmt::Display>(errors: &[E]) -> String {
    errors
        .iter()
        .map(|e| format!("  {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl LoadError {
    /// Every problem, one line each.
    pub fn problems(&self) -> Vec<String> {
        match self {
            LoadError::Source(e) => e.iter().map(ToString::to_string).collect(),
            LoadError::Invalid(e) => e.iter().map(ToString::to_string).collect(),
        }
    }
}

struct Inner {
    origin: Origin,
    model: Model,
    graph: ConceptGraph,
    index: Index,
    /// Local overrides applied to every report (empty unless built by [`crate::Overrides`]).
    overrides: crate::overrides::Table,
}

/// A loaded, validated and compiled knowledge base. Cheap to clone and share across threads.
///
/// ```
/// use medcheck::{KnowledgeBase, Regimen};
/// let kb = KnowledgeBase::bundled();
/// let regimen = Regimen::from_json(r#"{"items": [{"id": "warfarin"}, {"id": "ibuprofen"}]}"#)?;
/// let report = kb.check(&regimen)?;
/// assert!(report.findings.iter().any(|f| f.items() == ["ibuprofen", "warfarin"]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct KnowledgeBase {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for KnowledgeBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnowledgeBase")
            .field("origin", &self.inner.origin)
            .field("concepts", &self.inner.model.concepts.len())
            .field("rules", &self.inner.model.rules.len())
            .finish()
    }
}

static BUNDLED: OnceLock<Result<KnowledgeBase, LoadError>> = OnceLock::new();

impl KnowledgeBase {
    /// The knowledge base compiled into the library, built on first use and shared after.
    ///
    /// # Panics
    /// If the bundled data is invalid, which the crate's own tests rule out; use
    /// [`KnowledgeBase::try_bundled`] to handle that case.
    pub fn bundled() -> &'static KnowledgeBase {
        match KnowledgeBase::try_bundled() {
            Ok(kb) => kb,
            Err(e) => panic!("the bundled knowledge base is invalid: {e}"),
        }
    }

    /// The bundled knowledge base, or why it failed to load.
    pub fn try_bundled() -> Result<&'static KnowledgeBase, &'static LoadError> {
        BUNDLED
            .get_or_init(|| {
                let source = SourceData::bundled().map_err(LoadError::Source)?;
                KnowledgeBase::from_source(source, Origin::Bundled)
            })
            .as_ref()
    }

    /// Loads, validates and compiles the data files in `dir`.
    ///
    /// `rules.json` is streamed: each rule is validated as it is read, so memory grows with the
    /// compiled knowledge base, not with the size of the file.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<KnowledgeBase, LoadError> {
        let dir = dir.as_ref();
        let opened = DataDir::open(dir).map_err(LoadError::Source)?;
        let mut count = 0usize;
        let built = Model::build_streaming_partial(&opened.data, |each| match &opened.rules {
            Some(rules) => rules.stream(&mut |rule| {
                count += 1;
                if count <= MAX_RULES {
                    each(rule);
                }
            }),
            None => Ok(()),
        })
        .map_err(|e| LoadError::Source(vec![e]))?;
        if count > MAX_RULES {
            return Err(too_many_rules(count));
        }
        KnowledgeBase::from_model(built, Origin::Dir(dir.to_path_buf()), Default::default())
    }

    /// Validates and compiles parsed source data.
    pub fn from_source(source: SourceData, origin: Origin) -> Result<KnowledgeBase, LoadError> {
        KnowledgeBase::build(source, origin, Default::default())
    }

    /// Validates and compiles source data whose reports get local overrides applied.
    pub(crate) fn build(
        source: SourceData,
        origin: Origin,
        overrides: crate::overrides::Table,
    ) -> Result<KnowledgeBase, LoadError> {
        if source.rules.len() > MAX_RULES {
            return Err(too_many_rules(source.rules.len()));
        }
        KnowledgeBase::from_model(Model::build_partial(&source), origin, overrides)
    }

    fn from_model(
        (model, mut errors): (Model, Vec<ValidationError>),
        origin: Origin,
        overrides: crate::overrides::Table,
    ) -> Result<KnowledgeBase, LoadError> {
        if !errors.is_empty() {
            // Every problem, not just the first stage's: class cycles are found on the model
            // built so far. (Rules that can never fire need a valid model; they come after.)
            errors.extend(crate::graph::membership_cycles(&model));
            return Err(LoadError::Invalid(errors));
        }
        let graph = ConceptGraph::build(&model).map_err(LoadError::Invalid)?;
        let index = Index::compile(&model, &graph);
        Ok(KnowledgeBase {
            inner: Arc::new(Inner {
                origin,
                model,
                graph,
                index,
                overrides,
            }),
        })
    }

    /// True when local overrides change this knowledge base's reports.
    pub fn has_overrides(&self) -> bool {
        !self.inner.overrides.is_empty()
    }

    /// Checks a regimen against this knowledge base.
    pub fn check<'a>(&'a self, regimen: &'a Regimen) -> Result<Report<'a>, CheckError> {
        let report = check::check(&self.inner.model, &self.inner.index, regimen)?;
        Ok(self.inner.overrides.apply(report))
    }

    /// [`KnowledgeBase::check`] for `screen`'s compact lines: without the names, and with the
    /// findings left in the order they were made when their canonical order can be given beside
    /// them ([`crate::report::Report`]'s `keyed`, for the line writer only).
    pub(crate) fn check_keyed<'a>(
        &'a self,
        regimen: &'a Regimen,
    ) -> Result<(Report<'a>, Option<crate::report::Order>), CheckError> {
        let (report, order) = check::check_keyed(&self.inner.model, &self.inner.index, regimen)?;
        if self.inner.overrides.is_empty() {
            Ok((report, order))
        } else {
            // Overriding changes severities, and so the order: the report is put in order again.
            Ok((self.inner.overrides.apply(report), None))
        }
    }

    /// The knowledge base as source data, ready for [`SourceData::write_dir`]; loading it again
    /// gives a knowledge base that checks every regimen the same (see [`crate::export`]).
    pub fn to_source(&self) -> SourceData {
        crate::export::to_source(&self.inner.model)
    }

    /// Where the data came from.
    pub fn origin(&self) -> &Origin {
        &self.inner.origin
    }

    /// The validated model.
    pub fn model(&self) -> &Model {
        &self.inner.model
    }

    /// The concept graph.
    pub fn graph(&self) -> &ConceptGraph {
        &self.inner.graph
    }

    /// The compiled index.
    pub fn index(&self) -> &Index {
        &self.inner.index
    }

    /// Counts by kind, severity and evidence level.
    pub fn stats(&self) -> Stats {
        let m = &self.inner.model;
        let mut s = Stats::default();
        for c in &m.concepts {
            let n = match c.kind() {
                ConceptKind::Substance => &mut s.substances,
                ConceptKind::Product => &mut s.products,
                ConceptKind::Therapy => &mut s.therapies,
                ConceptKind::Class => &mut s.classes,
                ConceptKind::Condition => &mut s.conditions,
            };
            *n += 1;
        }
        for r in &m.rules {
            let kind = match r.kind {
                RuleKind::Interaction { .. } => "interaction",
                RuleKind::Accumulation { .. } => "accumulation",
                RuleKind::Duplication { .. } => "duplication",
                RuleKind::Pharmacogenomic { .. } => "pharmacogenomic",
                RuleKind::CrossSensitivity { .. } => "cross-sensitivity",
            };
            bump(&mut s.rules_by_kind, kind);
            bump(&mut s.rules_by_severity, r.severity.as_str());
            bump(&mut s.rules_by_evidence, r.evidence.as_str());
        }
        s.rules = m.rules.len();
        s.dose_limits = m.dose_limits.len();
        s.opioid_conversions = m.opioid_conversions.len();
        s.mme_thresholds = m.mme_thresholds.len();
        s.monitoring = m.monitoring.len();
        s.sources = m.sources.len();
        s.indexed_pairs = self.inner.index.pair_count();
        let order = |list: &mut Vec<(String, usize)>, all: &[&str]| {
            list.sort_by_key(|(k, _)| all.iter().position(|a| a == k).unwrap_or(usize::MAX));
        };
        let sev: Vec<&str> = Severity::ALL.iter().rev().map(|s| s.as_str()).collect();
        order(&mut s.rules_by_severity, &sev);
        let ev: Vec<&str> = Evidence::ALL.iter().rev().map(|s| s.as_str()).collect();
        order(&mut s.rules_by_evidence, &ev);
        s.rules_by_kind.sort();
        s
    }
}

fn too_many_rules(count: usize) -> LoadError {
    LoadError::Invalid(vec![ValidationError::BadNumber {
        at: Location::new("rules.json", "", ""),
        reason: format!("{count} rules is more than the {MAX_RULES} the index holds"),
    }])
}

fn bump(list: &mut Vec<(String, usize)>, key: &str) {
    match list.iter_mut().find(|(k, _)| k == key) {
        Some((_, n)) => *n += 1,
        None => list.push((key.to_string(), 1)),
    }
}

/// What a knowledge base holds.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Stats {
    /// Substances.
    pub substances: usize,
    /// Products.
    pub products: usize,
    /// Therapies.
    pub therapies: usize,
    /// Classes.
    pub classes: usize,
    /// Conditions.
    pub conditions: usize,
    /// Rules.
    pub rules: usize,
    /// Rules by kind.
    pub rules_by_kind: Vec<(String, usize)>,
    /// Rules by severity, most severe first.
    pub rules_by_severity: Vec<(String, usize)>,
    /// Rules by evidence level, strongest first.
    pub rules_by_evidence: Vec<(String, usize)>,
    /// Dose limits.
    pub dose_limits: usize,
    /// MME conversion entries.
    pub opioid_conversions: usize,
    /// MME thresholds.
    pub mme_thresholds: usize,
    /// Monitoring requirements.
    pub monitoring: usize,
    /// Sources.
    pub sources: usize,
    /// Concrete concept pairs with at least one interaction rule, after class expansion.
    pub indexed_pairs: usize,
}

impl Stats {
    /// One line: `47 substances, 12 products, ...`.
    pub fn summary_line(&self) -> String {
        format!(
            "{} substances, {} products, {} therapies, {} classes, {} conditions, {} rules, {} dose limits, {} monitoring, {} sources",
            self.substances,
            self.products,
            self.therapies,
            self.classes,
            self.conditions,
            self.rules,
            self.dose_limits,
            self.monitoring,
            self.sources
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knowledge_base_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<KnowledgeBase>();
        let kb = KnowledgeBase::bundled();
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let kb = kb.clone();
                std::thread::spawn(move || kb.stats().rules)
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), kb.stats().rules);
        }
    }
}
