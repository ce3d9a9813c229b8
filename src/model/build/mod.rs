//! Building the model from source data, collecting every problem on the way.

mod concepts;
mod limits;
mod rules;
mod values;

use std::collections::hash_map::Entry;
use std::sync::Arc;

use std::hash::{BuildHasher, Hash, Hasher};

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet, FxHasher};

use super::*;
use crate::source::{
    RawAmount, RawBand, RawCitation, RawEndpoint, RawRange, RawRule, RawWhen, RuleRef, SourceData,
};

/// Longest id the loader accepts.
pub const MAX_ID_LEN: usize = 128;
/// Longest name, synonym or brand the loader accepts.
pub const MAX_NAME_LEN: usize = 256;
/// Longest free text (summary, management, ...) the loader accepts.
pub const MAX_TEXT_LEN: usize = 8192;

impl Model {
    /// Validates source data into a model. On any problem, returns every problem found.
    pub fn build(data: &SourceData) -> Result<Model, Vec<ValidationError>> {
        let (model, errors) = Model::build_partial(data);
        if errors.is_empty() {
            Ok(model)
        } else {
            Err(errors)
        }
    }

    /// [`Model::build`], returning the model built so far with the errors, so that later
    /// checks (class cycles) can still be run on it and listed with them. The model is not
    /// valid when there are errors: entries with problems are missing from it.
    pub fn build_partial(data: &SourceData) -> (Model, Vec<ValidationError>) {
        let rules = |b: &mut Builder| {
            data.rules.iter().for_each(|r| b.rule(r));
            Ok::<(), std::convert::Infallible>(())
        };
        match Model::build_with(data, rules) {
            Ok(result) => result,
            Err(never) => match never {},
        }
    }

    /// Validates source data whose rules come from `rules` instead of `data.rules`: `rules` is
    /// called once and feeds every rule, in file order, to the function it is given, each
    /// validated as it arrives (the loader streams `rules.json` this way, so a million rules are
    /// never held in their source form). An error from `rules` (a malformed file) ends the build
    /// with that error; otherwise the result is [`Model::build`]'s.
    pub fn build_streaming<E>(
        data: &SourceData,
        rules: impl FnOnce(&mut dyn FnMut(RuleRef<'_>)) -> Result<(), E>,
    ) -> Result<Result<Model, Vec<ValidationError>>, E> {
        let (model, errors) = Model::build_streaming_partial(data, rules)?;
        Ok(if errors.is_empty() {
            Ok(model)
        } else {
            Err(errors)
        })
    }

    /// [`Model::build_streaming`], returning the model built so far with the errors (see
    /// [`Model::build_partial`]).
    pub fn build_streaming_partial<E>(
        data: &SourceData,
        rules: impl FnOnce(&mut dyn FnMut(RuleRef<'_>)) -> Result<(), E>,
    ) -> Result<(Model, Vec<ValidationError>), E> {
        Model::build_with(data, |b| {
            rules(&mut |r| match r {
                RuleRef::Borrowed(r) => b.rule(r),
                RuleRef::Owned(r) => b.rule(r),
            })
        })
    }

    fn build_with<E>(
        data: &SourceData,
        rules: impl FnOnce(&mut Builder) -> Result<(), E>,
    ) -> Result<(Model, Vec<ValidationError>), E> {
        let mut b = Builder::default();
        b.sources(data);
        b.monitoring(data);
        b.concepts(data);
        b.memberships(data);
        b.standing_monitoring(data);
        rules(&mut b)?;
        b.dose_limits(data);
        b.conversions(data);
        b.thresholds(data);
        Ok((b.model, b.errors))
    }
}

#[derive(Default)]
struct Builder {
    model: Model,
    errors: Vec<ValidationError>,
    /// Every id defined so far, with its file, across all files.
    ids: FxHashMap<String, (&'static str, Target)>,
    texts: FxHashSet<Text>,
    /// Group, pharmacogenomic and cross-sensitivity rules by what they match, to find
    /// duplicates.
    rule_keys: FxHashMap<RuleKey, RuleId>,
    /// For each concept, the field each of its `names` came from (`synonyms[0]`, `brands[1]`),
    /// so that a name clash points at the exact field.
    name_fields: FxHashMap<ConceptId, Vec<String>>,
    /// Interaction rules by their endpoints, to find duplicates.
    pair_rules: HashTable<Filed>,
    /// Every rule in the model by id.
    rule_ids: HashTable<Filed>,
    /// Rule texts, each stored once, by the addresses of their (interned) texts.
    rule_texts: HashTable<Arc<RuleText>>,
    /// Rules read so far, valid or not (the position of the next one in `rules.json`).
    rules_seen: usize,
}

/// A rule (its number in `model.rules`) filed under 32 bits of a hash, so that growing a table
/// of a million rules never reads the rules again.
#[derive(Clone, Copy)]
struct Filed {
    hash: u32,
    rule: u32,
}

impl Filed {
    /// The full hash the table sorts by: the 32 bits kept, spread over 64.
    fn hash(self) -> u64 {
        spread(self.hash)
    }
}

fn spread(h: u32) -> u64 {
    let h = h as u64;
    h ^ (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) & 0xFFFF_FFFF_0000_0000)
}

fn hash_str(s: &str) -> u32 {
    FxBuildHasher.hash_one(s) as u32
}

fn hash_pair(a: Endpoint, b: Endpoint) -> u32 {
    FxBuildHasher.hash_one((a.min(b), a.max(b))) as u32
}

/// Hash of a rule text by the addresses of its interned texts, which equal texts share.
fn hash_rule_text(t: &RuleText) -> u64 {
    let addr = |t: &Text| Arc::as_ptr(t) as *const u8 as usize;
    let opt = |t: &Option<Text>| t.as_ref().map_or(0, addr);
    let mut h = FxHasher::default();
    for a in [
        addr(&t.summary),
        opt(&t.mechanism),
        opt(&t.effect),
        addr(&t.management),
        opt(&t.uncertainty),
    ] {
        h.write_usize(a);
    }
    t.monitoring.hash(&mut h);
    for c in t.sources.iter() {
        c.source.hash(&mut h);
        h.write_usize(opt(&c.section));
    }
    h.finish()
}

/// True when two rule texts are the same, comparing interned texts by address.
fn same_rule_text(x: &RuleText, y: &RuleText) -> bool {
    let opt = |a: &Option<Text>, b: &Option<Text>| match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    };
    Arc::ptr_eq(&x.summary, &y.summary)
        && Arc::ptr_eq(&x.management, &y.management)
        && opt(&x.mechanism, &y.mechanism)
        && opt(&x.effect, &y.effect)
        && opt(&x.uncertainty, &y.uncertainty)
        && x.monitoring == y.monitoring
        && x.sources == y.sources
}

/// True when `id` is lowercase letters and digits joined by single hyphens, that is when it is
/// its own [`name_key`]; checked without allocating for ASCII ids.
fn is_id(id: &str) -> bool {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return false;
    }
    if !id.is_ascii() {
        let mut key = String::new();
        name_key(id, &mut key);
        return key == id;
    }
    let b = id.as_bytes();
    b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !id.contains("--")
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

#[derive(Clone, Copy)]
enum Target {
    Concept(ConceptId),
    Source(SourceId),
    Monitoring(MonitoringId),
    Other,
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum RuleKey {
    Pair(Endpoint, Endpoint),
    Group(ConceptId),
    Gene(ConceptId, Box<str>, Phenotype),
    Cross(ConceptId, ConceptId),
}

/// An entry's id for locations: the id, or `#N` when it is empty.
fn entry_name(id: &str, index: usize) -> String {
    if id.is_empty() {
        format!("#{index}")
    } else {
        id.to_string()
    }
}

impl Builder {
    fn err(&mut self, e: ValidationError) {
        self.errors.push(e);
    }

    fn text(&mut self, s: &str) -> Text {
        if let Some(t) = self.texts.get(s) {
            return t.clone();
        }
        let t: Text = Arc::from(s);
        self.texts.insert(t.clone());
        t
    }

    /// Checks a required text: present, not blank, not too long.
    fn required(&mut self, at: Location, s: &str, max: usize) -> Text {
        if s.trim().is_empty() {
            self.err(ValidationError::Empty { at });
        } else if s.chars().count() > max {
            self.err(ValidationError::TooLong { at, max });
        }
        self.text(s)
    }

    fn optional(&mut self, at: Location, s: &Option<String>) -> Option<Text> {
        s.as_deref().map(|s| self.required(at, s, MAX_TEXT_LEN))
    }

    /// Registers an id in the global namespace; false when it is invalid or taken.
    fn define(&mut self, file: &'static str, id: &str, index: usize, target: Target) -> bool {
        let at = Location::new(file, &entry_name(id, index), "id");
        if !is_id(id) {
            self.err(ValidationError::InvalidId {
                at,
                id: id.to_string(),
            });
            return false;
        }
        if self.rule_id_taken(id) {
            let first = "rules.json".to_string();
            self.err(ValidationError::DuplicateId { at, first });
            return false;
        }
        match self.ids.entry(id.to_string()) {
            Entry::Occupied(e) => {
                let first = e.get().0.to_string();
                self.err(ValidationError::DuplicateId { at, first });
                false
            }
            Entry::Vacant(v) => {
                v.insert((file, target));
                true
            }
        }
    }

    fn sources(&mut self, data: &SourceData) {
        const F: &str = "sources.json";
        for (i, s) in data.sources.iter().enumerate() {
            let id = SourceId(self.model.sources.len() as u32);
            if !self.define(F, &s.id, i, Target::Source(id)) {
                continue;
            }
            let at = |f: &str| Location::new(F, &s.id, f);
            let source = Source {
                id: s.id.as_str().into(),
                title: self.required(at("title"), &s.title, MAX_TEXT_LEN),
                kind: self.required(at("kind"), &s.kind, MAX_NAME_LEN),
                publisher: self.optional(at("publisher"), &s.publisher),
                year: s.year,
                url: self.optional(at("url"), &s.url),
            };
            self.model.sources.push(source);
        }
    }

    fn citations<S: AsRef<str>>(
        &mut self,
        file: &'static str,
        entry: &str,
        cites: &[RawCitation<S>],
    ) -> Box<[Citation]> {
        let mut out = Vec::with_capacity(cites.len());
        for (i, c) in cites.iter().enumerate() {
            let (id, section) = match c {
                RawCitation::Id(id) => (id.as_ref(), None),
                RawCitation::WithSection { id, section } => (id.as_ref(), Some(section.as_ref())),
            };
            // Built only when there is a problem: a million rules cite sources.
            let at = || Location::new(file, entry, format!("sources[{i}]"));
            match self.ids.get(id).map(|e| e.1) {
                Some(Target::Source(source)) => {
                    let section = section.map(|s| match self.text_if_valid(s) {
                        Some(t) => t,
                        None => self.required(at(), s, MAX_TEXT_LEN),
                    });
                    out.push(Citation { source, section });
                }
                Some(_) => self.err(ValidationError::WrongKind {
                    at: at(),
                    target: id.to_string(),
                    expected: "source",
                    found: "different kind of entry",
                }),
                None => self.err(ValidationError::Dangling {
                    at: at(),
                    target: id.to_string(),
                }),
            }
        }
        out.into()
    }

    /// Citations that must not be empty.
    fn sourced<S: AsRef<str>>(
        &mut self,
        file: &'static str,
        entry: &str,
        cites: &[RawCitation<S>],
    ) -> Box<[Citation]> {
        if cites.is_empty() {
            self.err(ValidationError::NoSource {
                at: Location::new(file, entry, "sources"),
            });
        }
        self.citations(file, entry, cites)
    }

    fn monitoring(&mut self, data: &SourceData) {
        const F: &str = "monitoring.json";
        for (i, m) in data.monitoring.iter().enumerate() {
            let id = MonitoringId(self.model.monitoring.len() as u32);
            if !self.define(F, &m.id, i, Target::Monitoring(id)) {
                continue;
            }
            let at = |f: &str| Location::new(F, &m.id, f);
            let monitoring = Monitoring {
                id: m.id.as_str().into(),
                what: self.required(at("what"), &m.what, MAX_TEXT_LEN),
                when: self.required(at("when"), &m.when, MAX_TEXT_LEN),
                why: self.required(at("why"), &m.why, MAX_TEXT_LEN),
                sources: self.sourced(F, &m.id, &m.sources),
                standing: Box::default(),
            };
            self.model.monitoring.push(monitoring);
        }
    }

    /// The items each monitoring requirement is `for`, once the concepts are known.
    fn standing_monitoring(&mut self, data: &SourceData) {
        use crate::model::ConceptKind::{Class, Product, Substance, Therapy};
        const F: &str = "monitoring.json";
        for m in &data.monitoring {
            let Some(Target::Monitoring(id)) = self.ids.get(m.id.as_str()).map(|e| e.1) else {
                continue;
            };
            let mut standing = Vec::with_capacity(m.for_items.len());
            for (i, target) in m.for_items.iter().enumerate() {
                let at = || Location::new(F, &m.id, format!("for[{i}]"));
                let kinds = &[Substance, Product, Therapy, Class];
                let expected = "substance, product, therapy or class";
                if let Some(c) = self.reference_at(at, target, kinds, expected) {
                    if !standing.contains(&c) {
                        standing.push(c);
                    }
                }
            }
            self.model.monitoring[id.0 as usize].standing = standing.into();
        }
    }

    fn monitoring_refs<S: AsRef<str>>(
        &mut self,
        file: &'static str,
        entry: &str,
        refs: &[S],
    ) -> Box<[MonitoringId]> {
        let mut out = Vec::with_capacity(refs.len());
        for (i, r) in refs.iter().enumerate() {
            let r = r.as_ref();
            let at = || Location::new(file, entry, format!("monitoring[{i}]"));
            match self.ids.get(r).map(|e| e.1) {
                Some(Target::Monitoring(m)) => out.push(m),
                Some(_) => self.err(ValidationError::WrongKind {
                    at: at(),
                    target: r.to_string(),
                    expected: "monitoring requirement",
                    found: "different kind of entry",
                }),
                None => self.err(ValidationError::Dangling {
                    at: at(),
                    target: r.to_string(),
                }),
            }
        }
        out.into()
    }
}
