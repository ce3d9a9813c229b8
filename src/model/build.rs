//! Building the model from source data, collecting every problem on the way.

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
    ) -> Result<Result<Model, Vec<ValidationError>>, E> {
        let mut b = Builder::default();
        b.sources(data);
        b.monitoring(data);
        b.concepts(data);
        b.memberships(data);
        rules(&mut b)?;
        b.dose_limits(data);
        b.conversions(data);
        b.thresholds(data);
        Ok(if b.errors.is_empty() {
            Ok(b.model)
        } else {
            Err(b.errors)
        })
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
            };
            self.model.monitoring.push(monitoring);
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

    /// Registers every concept with its kind; references are resolved in [`Builder::memberships`].
    fn concepts(&mut self, data: &SourceData) {
        let add = |b: &mut Builder,
                   file: &'static str,
                   i: usize,
                   id: &str,
                   name: &str,
                   detail: Detail| {
            let cid = ConceptId(b.model.concepts.len() as u32);
            if !b.define(file, id, i, Target::Concept(cid)) {
                return;
            }
            let name = b.required(Location::new(file, id, "name"), name, MAX_NAME_LEN);
            b.model.concepts.push(Concept {
                id: id.into(),
                name: name.as_ref().into(),
                detail,
                names: Box::new([]),
                rxnorm: None,
                atc: None,
                parents: Box::new([]),
            });
        };
        for (i, c) in data.classes.iter().enumerate() {
            add(self, "classes.json", i, &c.id, &c.name, Detail::Class);
        }
        for (i, c) in data.conditions.iter().enumerate() {
            let at = Location::new("conditions.json", &c.id, "age_years");
            let age_years = c.age_years.as_ref().and_then(|r| self.range(at, r));
            add(
                self,
                "conditions.json",
                i,
                &c.id,
                &c.name,
                Detail::Condition { age_years },
            );
        }
        for (i, s) in data.substances.iter().enumerate() {
            let kind = SubstanceKind::parse(&s.kind).unwrap_or_else(|| {
                self.err(ValidationError::UnknownValue {
                    at: Location::new("substances.json", &entry_name(&s.id, i), "kind"),
                    what: SubstanceKind::WHAT,
                    value: s.kind.clone(),
                    allowed: SubstanceKind::allowed(),
                });
                SubstanceKind::Drug
            });
            add(
                self,
                "substances.json",
                i,
                &s.id,
                &s.name,
                Detail::Substance(kind),
            );
        }
        for (i, p) in data.products.iter().enumerate() {
            // Filled in by `memberships` once every substance is known.
            let product = Product {
                unit: Unit::Tablet,
                route: Route::Oral,
                ingredients: Box::new([]),
            };
            add(
                self,
                "products.json",
                i,
                &p.id,
                &p.name,
                Detail::Product(product),
            );
        }
        for (i, t) in data.therapies.iter().enumerate() {
            add(self, "therapies.json", i, &t.id, &t.name, Detail::Therapy);
        }
    }

    fn concept_id(&self, id: &str) -> Option<ConceptId> {
        match self.ids.get(id)?.1 {
            Target::Concept(c) => Some(c),
            _ => None,
        }
    }

    /// Resolves a reference to a concept of one of the `allowed` kinds.
    fn reference(
        &mut self,
        at: Location,
        target: &str,
        allowed: &[ConceptKind],
        expected: &'static str,
    ) -> Option<ConceptId> {
        self.reference_at(|| at, target, allowed, expected)
    }

    /// [`Builder::reference`], building the location only when there is a problem.
    fn reference_at(
        &mut self,
        at: impl FnOnce() -> Location,
        target: &str,
        allowed: &[ConceptKind],
        expected: &'static str,
    ) -> Option<ConceptId> {
        if let Some((_, Target::Concept(c))) = self.ids.get(target) {
            if allowed.contains(&self.model.concept(*c).kind()) {
                return Some(*c);
            }
        }
        let at = at();
        match self.ids.get(target).map(|e| e.1) {
            None => {
                self.err(ValidationError::Dangling {
                    at,
                    target: target.to_string(),
                });
                None
            }
            Some(Target::Concept(c)) => {
                let kind = self.model.concept(c).kind();
                if allowed.contains(&kind) {
                    Some(c)
                } else {
                    self.err(ValidationError::WrongKind {
                        at,
                        target: target.to_string(),
                        expected,
                        found: kind.as_str(),
                    });
                    None
                }
            }
            Some(_) => {
                self.err(ValidationError::WrongKind {
                    at,
                    target: target.to_string(),
                    expected,
                    found: "non-concept entry",
                });
                None
            }
        }
    }

    fn refs<S: AsRef<str>>(
        &mut self,
        file: &'static str,
        entry: &str,
        field: &str,
        targets: &[S],
        allowed: &[ConceptKind],
        expected: &'static str,
    ) -> Box<[ConceptId]> {
        let mut out: Vec<ConceptId> = Vec::with_capacity(targets.len());
        for (i, t) in targets.iter().enumerate() {
            let at = || Location::new(file, entry, format!("{field}[{i}]"));
            if let Some(c) = self.reference_at(at, t.as_ref(), allowed, expected) {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out.into()
    }

    /// Every id, display name, synonym, brand and RxNorm code must lead to one concept. Ids and
    /// display names are registered first, so a synonym that takes another concept's name is
    /// reported at the synonym, where the mistake is.
    fn names(&mut self) {
        let mut seen: FxHashMap<String, ConceptId> = FxHashMap::default();
        let mut key = String::new();
        let mut all: Vec<Vec<(String, String)>> = Vec::with_capacity(self.model.concepts.len());
        for i in 0..self.model.concepts.len() {
            let cid = ConceptId(i as u32);
            let c = &self.model.concepts[i];
            let fields = self.name_fields.remove(&cid).unwrap_or_default();
            let mut names: Vec<(String, String)> = Vec::with_capacity(c.names.len() + 1);
            for (j, n) in c.names.iter().enumerate() {
                let field = fields.get(j).cloned().unwrap_or_else(|| "synonyms".into());
                names.push((field, n.to_string()));
            }
            if let Some(code) = &c.rxnorm {
                names.push(("rxnorm".into(), format!("rxnorm:{code}")));
            }
            all.push(names);
        }
        for pass in 0..2 {
            for (i, others) in all.iter().enumerate() {
                let cid = ConceptId(i as u32);
                let c = &self.model.concepts[i];
                let (file, _) = self.ids[c.id.as_ref()];
                let id = c.id.clone();
                let primary = [
                    ("id".to_string(), c.id.to_string()),
                    ("name".to_string(), c.name.to_string()),
                ];
                let names = if pass == 0 { &primary[..] } else { &others[..] };
                for (field, n) in names {
                    name_key(n, &mut key);
                    match seen.entry(key.clone()) {
                        Entry::Occupied(e) if *e.get() != cid => {
                            let other = self.model.concept(*e.get()).id.to_string();
                            self.errors.push(ValidationError::NameClash {
                                at: Location::new(file, &id, field.clone()),
                                name: n.clone(),
                                other,
                            });
                        }
                        Entry::Occupied(_) => {}
                        Entry::Vacant(v) => {
                            v.insert(cid);
                        }
                    }
                }
            }
        }
    }

    /// Fills in synonyms, codes, classes, parents and product ingredients.
    fn memberships(&mut self, data: &SourceData) {
        use ConceptKind::*;
        const CLASS: &[ConceptKind] = &[Class];
        for c in &data.classes {
            let Some(id) = self.concept_id(&c.id) else {
                continue;
            };
            let parents = self.refs("classes.json", &c.id, "parents", &c.parents, CLASS, "class");
            let names = self.name_list("classes.json", &c.id, &[("synonyms", &c.synonyms)]);
            let concept = &mut self.model.concepts[id.0 as usize];
            concept.parents = parents;
            concept.names = names;
        }
        for c in &data.conditions {
            let Some(id) = self.concept_id(&c.id) else {
                continue;
            };
            let parents = self.refs(
                "conditions.json",
                &c.id,
                "parents",
                &c.parents,
                &[Condition],
                "condition",
            );
            let names = self.name_list("conditions.json", &c.id, &[("synonyms", &c.synonyms)]);
            let concept = &mut self.model.concepts[id.0 as usize];
            concept.parents = parents;
            concept.names = names;
        }
        for s in &data.substances {
            let Some(id) = self.concept_id(&s.id) else {
                continue;
            };
            let parents = self.refs(
                "substances.json",
                &s.id,
                "classes",
                &s.classes,
                CLASS,
                "class",
            );
            let names = self.name_list(
                "substances.json",
                &s.id,
                &[("synonyms", &s.synonyms), ("brands", &s.brands)],
            );
            let rxnorm = self.code("substances.json", &s.id, "rxnorm", &s.rxnorm);
            let atc = self.code("substances.json", &s.id, "atc", &s.atc);
            let concept = &mut self.model.concepts[id.0 as usize];
            concept.parents = parents;
            concept.names = names;
            concept.rxnorm = rxnorm;
            concept.atc = atc;
        }
        for p in &data.products {
            let Some(id) = self.concept_id(&p.id) else {
                continue;
            };
            const F: &str = "products.json";
            let parents = self.refs(F, &p.id, "classes", &p.classes, CLASS, "class");
            let names = self.name_list(
                F,
                &p.id,
                &[("synonyms", &p.synonyms), ("brands", &p.brands)],
            );
            let rxnorm = self.code(F, &p.id, "rxnorm", &p.rxnorm);
            let unit = match Unit::parse(&p.unit) {
                Some(u) if u.dimension() == crate::units::Dimension::DosageUnit => u,
                _ => {
                    self.err(ValidationError::UnknownValue {
                        at: Location::new(F, &p.id, "unit"),
                        what: "dosage unit",
                        value: p.unit.clone(),
                        allowed: "tablet, capsule, patch, mL".into(),
                    });
                    Unit::Tablet
                }
            };
            let route = self.route(Location::new(F, &p.id, "route"), &p.route);
            if p.ingredients.is_empty() {
                self.err(ValidationError::Empty {
                    at: Location::new(F, &p.id, "ingredients"),
                });
            }
            let mut ingredients: Vec<Ingredient> = Vec::new();
            for (i, ing) in p.ingredients.iter().enumerate() {
                let at = |f: &str| Location::new(F, &p.id, format!("ingredients[{i}].{f}"));
                let substance =
                    self.reference(at("substance"), &ing.substance, &[Substance], "substance");
                let strength = self.amount(at("strength"), &ing.strength);
                let per = match &ing.per {
                    None => Some(Ratio::ONE),
                    Some(n) => self.number(at("per"), n),
                };
                let strength = match (strength, per) {
                    (Some(s), Some(per)) => {
                        s.value.checked_div(per).map(|v| Amount::new(v, s.unit))
                    }
                    _ => None,
                };
                if let Some(s) = strength {
                    use crate::units::Dimension::{Mass, Rate};
                    // A patch releases a rate into the blood (fentanyl, buprenorphine) or holds
                    // an amount for local effect (lidocaine); everything else holds an amount.
                    let dim = s.unit.dimension();
                    let fits = dim == Mass || (unit == Unit::Patch && dim == Rate);
                    if !fits {
                        self.err(ValidationError::UnknownValue {
                            at: at("strength.unit"),
                            what: "strength unit for this dosage unit",
                            value: s.unit.to_string(),
                            allowed: if unit == Unit::Patch {
                                "mcg, mg, g, mcg/h"
                            } else {
                                "mcg, mg, g"
                            }
                            .into(),
                        });
                    }
                }
                if let (Some(substance), Some(strength)) = (substance, strength) {
                    if ingredients.iter().any(|x| x.substance == substance) {
                        self.err(ValidationError::DuplicateId {
                            at: at("substance"),
                            first: format!("{F}, an earlier ingredient of the same product"),
                        });
                    }
                    ingredients.push(Ingredient {
                        substance,
                        strength,
                    });
                }
            }
            let concept = &mut self.model.concepts[id.0 as usize];
            concept.parents = parents;
            concept.names = names;
            concept.rxnorm = rxnorm;
            concept.detail = Detail::Product(super::Product {
                unit,
                route,
                ingredients: ingredients.into(),
            });
        }
        for t in &data.therapies {
            let Some(id) = self.concept_id(&t.id) else {
                continue;
            };
            let parents = self.refs(
                "therapies.json",
                &t.id,
                "classes",
                &t.classes,
                CLASS,
                "class",
            );
            let names = self.name_list("therapies.json", &t.id, &[("synonyms", &t.synonyms)]);
            let concept = &mut self.model.concepts[id.0 as usize];
            concept.parents = parents;
            concept.names = names;
        }
        // Names are checked once every concept has its synonyms.
        self.names();
    }

    /// Checks a concept's synonyms and brands; `lists` pairs each list with its field name.
    fn name_list(
        &mut self,
        file: &'static str,
        entry: &str,
        lists: &[(&str, &Vec<String>)],
    ) -> Box<[Box<str>]> {
        let mut out = Vec::new();
        let mut fields = Vec::new();
        for (field, list) in lists {
            for (i, n) in list.iter().enumerate() {
                let at = Location::new(file, entry, format!("{field}[{i}]"));
                let mut key = String::new();
                name_key(n, &mut key);
                if key.is_empty() {
                    self.err(ValidationError::Empty { at });
                } else if n.chars().count() > MAX_NAME_LEN {
                    self.err(ValidationError::TooLong {
                        at,
                        max: MAX_NAME_LEN,
                    });
                } else {
                    out.push(n.as_str().into());
                    fields.push(at.field);
                }
            }
        }
        if let Some(id) = self.concept_id(entry) {
            self.name_fields.insert(id, fields);
        }
        out.into()
    }

    fn code(
        &mut self,
        file: &'static str,
        entry: &str,
        field: &str,
        code: &Option<String>,
    ) -> Option<Box<str>> {
        let code = code.as_deref()?;
        if code.trim().is_empty()
            || code.len() > 32
            || !code.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            self.err(ValidationError::BadNumber {
                at: Location::new(file, entry, field),
                reason: format!("code `{code}` must be 1 to 32 letters or digits"),
            });
            return None;
        }
        Some(code.into())
    }

    fn route(&mut self, at: Location, s: &str) -> Route {
        Route::parse(s).unwrap_or_else(|| {
            self.err(ValidationError::UnknownValue {
                at,
                what: Route::WHAT,
                value: s.to_string(),
                allowed: Route::allowed(),
            });
            Route::Oral
        })
    }

    fn severity(&mut self, at: Location, s: &str) -> Severity {
        match Severity::parse(s) {
            Some(v) if v != Severity::Info => v,
            _ => {
                self.err(ValidationError::UnknownValue {
                    at,
                    what: Severity::WHAT,
                    value: s.to_string(),
                    allowed: "contraindicated, major, moderate, minor".into(),
                });
                Severity::Minor
            }
        }
    }

    fn evidence(&mut self, at: Location, s: &str) -> Evidence {
        Evidence::parse(s).unwrap_or_else(|| {
            self.err(ValidationError::UnknownValue {
                at,
                what: Evidence::WHAT,
                value: s.to_string(),
                allowed: Evidence::allowed(),
            });
            Evidence::Theoretical
        })
    }

    fn number(&mut self, at: Location, n: &serde_json::Number) -> Option<Ratio> {
        match Ratio::from_json(n) {
            Ok(r) if r.is_positive() => Some(r),
            Ok(r) => {
                self.err(ValidationError::BadNumber {
                    at,
                    reason: format!("{r} must be greater than zero"),
                });
                None
            }
            Err(e) => {
                self.err(ValidationError::BadNumber {
                    at,
                    reason: e.to_string(),
                });
                None
            }
        }
    }

    fn amount(&mut self, at: Location, a: &RawAmount) -> Option<Amount> {
        let value = self.number(
            Location {
                field: format!("{}.value", at.field),
                ..at.clone()
            },
            &a.value,
        );
        let unit = Unit::parse(&a.unit);
        if unit.is_none() {
            self.err(ValidationError::UnknownValue {
                at: Location {
                    field: format!("{}.unit", at.field),
                    ..at
                },
                what: "unit",
                value: a.unit.clone(),
                allowed: Unit::ALL.map(Unit::as_str).join(", "),
            });
        }
        Some(Amount::new(value?, unit?))
    }

    fn range(&mut self, at: Location, r: &RawRange) -> Option<Range> {
        let bound =
            |b: &mut Builder, n: &Option<serde_json::Number>, f: &str| -> Option<Option<Ratio>> {
                let Some(n) = n else { return Some(None) };
                let at = Location {
                    field: format!("{}.{f}", at.field),
                    ..at.clone()
                };
                match Ratio::from_json(n) {
                    Ok(v) if v >= Ratio::ZERO => Some(Some(v)),
                    Ok(v) => {
                        b.err(ValidationError::BadNumber {
                            at,
                            reason: format!("{v} must not be negative"),
                        });
                        None
                    }
                    Err(e) => {
                        b.err(ValidationError::BadNumber {
                            at,
                            reason: e.to_string(),
                        });
                        None
                    }
                }
            };
        let min = bound(self, &r.min, "min");
        let max = bound(self, &r.max, "max");
        let (min, max) = (min?, max?);
        if min.is_none() && max.is_none() {
            self.err(ValidationError::Empty { at });
            return None;
        }
        if let (Some(a), Some(b)) = (min, max) {
            if a >= b {
                self.err(ValidationError::BadNumber {
                    at,
                    reason: format!("min {a} must be below max {b}"),
                });
                return None;
            }
        }
        Some(Range { min, max })
    }

    fn endpoint<S: AsRef<str>>(
        &mut self,
        at: impl Fn() -> Location,
        e: &RawEndpoint<S>,
    ) -> Option<Endpoint> {
        use ConceptKind::*;
        let (id, route) = match e {
            RawEndpoint::Id(id) => (id.as_ref(), None),
            RawEndpoint::WithRoute { id, route } => (id.as_ref(), Some(route.as_ref())),
        };
        let route = route.map(|r| match Route::parse(r) {
            Some(route) => route,
            None => {
                let at = at();
                self.route(
                    Location {
                        field: format!("{}.route", at.field),
                        ..at
                    },
                    r,
                )
            }
        });
        let concept = self.reference_at(
            at,
            id,
            &[Substance, Product, Therapy, Class, Condition],
            "concept",
        )?;
        Some(Endpoint { concept, route })
    }

    /// Validates one rule. Written for a million rules: nothing is allocated for a valid rule
    /// beyond what the model keeps, and every problem is reported by the same helpers, with the
    /// same words, as in the rest of the builder.
    fn rule<S: AsRef<str>>(&mut self, r: &RawRule<S>) {
        let id = r.id.as_ref();
        const F: &str = "rules.json";
        let i = self.rules_seen;
        self.rules_seen += 1;
        let rid = RuleId(self.model.rules.len() as u32);
        if !self.define_rule(id, i) {
            return;
        }
        let errors_before = self.errors.len();
        let at = |f: &str| Location::new(F, id, f);
        let kind = self.rule_kind(r);
        let requires = if r.requires.is_empty() {
            Box::new([]) as Box<[ConceptId]>
        } else {
            self.refs(
                F,
                id,
                "requires",
                &r.requires,
                &[ConceptKind::Condition],
                "condition",
            )
        };
        let severity = match Severity::parse(r.severity.as_ref()) {
            Some(s) if s != Severity::Info => s,
            _ => self.severity(at("severity"), r.severity.as_ref()),
        };
        let evidence = match Evidence::parse(r.evidence.as_ref()) {
            Some(e) => e,
            None => self.evidence(at("evidence"), r.evidence.as_ref()),
        };
        let text = |b: &mut Builder, field: &str, s: &str| match b.text_if_valid(s) {
            Some(t) => t,
            None => b.required(at(field), s, MAX_TEXT_LEN),
        };
        let summary = text(self, "summary", r.summary.as_ref());
        let mechanism = r
            .mechanism
            .as_ref()
            .map(|s| text(self, "mechanism", s.as_ref()));
        let effect = r.effect.as_ref().map(|s| text(self, "effect", s.as_ref()));
        let management = text(self, "management", r.management.as_ref());
        let monitoring = self.monitoring_refs(F, id, &r.monitoring);
        let sources = self.sourced(F, id, &r.sources);
        let uncertainty = r
            .uncertainty
            .as_ref()
            .map(|s| text(self, "uncertainty", s.as_ref()));
        let Some(kind) = kind else {
            self.keep_rule_id(id);
            return;
        };
        if self.errors.len() > errors_before {
            self.keep_rule_id(id);
            return;
        }
        let text = self.rule_text(RuleText {
            summary,
            mechanism,
            effect,
            management,
            monitoring,
            sources,
            uncertainty,
        });
        let rule = Rule {
            id: id.into(),
            kind,
            requires,
            severity,
            evidence,
            text,
        };
        if let Some(other) = self.same_endpoints(&rule.kind) {
            let other = self.model.rule(other).id.to_string();
            self.err(ValidationError::DuplicateRule {
                at: at("id"),
                other,
            });
        } else if !matches!(rule.kind, RuleKind::Interaction { .. }) {
            for key in rule_keys(&rule.kind) {
                if let Some(other) = self.rule_keys.insert(key, rid).filter(|o| *o != rid) {
                    let other = self.model.rule(other).id.to_string();
                    self.err(ValidationError::DuplicateRule {
                        at: at("id"),
                        other,
                    });
                    break;
                }
            }
        }
        let duplicate = self.errors.len() > errors_before;
        if let (RuleKind::Interaction { a, b }, false) = (&rule.kind, duplicate) {
            let (a, b) = (*a, *b);
            let filed = Filed {
                hash: hash_pair(a, b),
                rule: rid.0,
            };
            self.pair_rules
                .insert_unique(filed.hash(), filed, |f| f.hash());
        }
        let filed = Filed {
            hash: hash_str(id),
            rule: rid.0,
        };
        self.rule_ids
            .insert_unique(filed.hash(), filed, |f| f.hash());
        self.model.rules.push(rule);
    }

    /// An earlier interaction rule on the same endpoints as `kind`, if there is one.
    fn same_endpoints(&self, kind: &RuleKind) -> Option<RuleId> {
        let RuleKind::Interaction { a, b } = *kind else {
            return None;
        };
        let key = (a.min(b), a.max(b));
        let hash = hash_pair(a, b);
        self.pair_rules
            .find(spread(hash), |f| {
                f.hash == hash
                    && match self.model.rules[f.rule as usize].kind {
                        RuleKind::Interaction { a, b } => (a.min(b), a.max(b)) == key,
                        _ => false,
                    }
            })
            .map(|f| RuleId(f.rule))
    }

    /// Registers a rule's id. Rule ids live in their own table of rule numbers rather than in
    /// `ids`, which would hold a copy of each of a million ids.
    fn define_rule(&mut self, id: &str, index: usize) -> bool {
        const F: &str = "rules.json";
        if !is_id(id) {
            let at = Location::new(F, &entry_name(id, index), "id");
            self.err(ValidationError::InvalidId {
                at,
                id: id.to_string(),
            });
            return false;
        }
        let first = match self.ids.get(id) {
            Some((file, _)) => Some(*file),
            None => self.rule_id_taken(id).then_some(F),
        };
        if let Some(first) = first {
            let at = Location::new(F, &entry_name(id, index), "id");
            self.err(ValidationError::DuplicateId {
                at,
                first: first.to_string(),
            });
            return false;
        }
        true
    }

    /// Keeps the id of a rule that failed validation (and so is not in the model) taken.
    fn keep_rule_id(&mut self, id: &str) {
        self.ids
            .insert(id.to_string(), ("rules.json", Target::Other));
    }

    fn rule_id_taken(&self, id: &str) -> bool {
        let hash = hash_str(id);
        self.rule_ids
            .find(spread(hash), |f| {
                f.hash == hash && &*self.model.rules[f.rule as usize].id == id
            })
            .is_some()
    }

    /// The shared copy of a rule's texts.
    fn rule_text(&mut self, text: RuleText) -> Arc<RuleText> {
        let hash = hash_rule_text(&text);
        if let Some(t) = self.rule_texts.find(hash, |t| same_rule_text(t, &text)) {
            return t.clone();
        }
        let t = Arc::new(text);
        self.rule_texts
            .insert_unique(hash, t.clone(), |t| hash_rule_text(t));
        t
    }

    /// The interned text when it passes [`Builder::required`]'s checks, without building the
    /// location an error would need.
    fn text_if_valid(&mut self, s: &str) -> Option<Text> {
        let fits = s.len() <= MAX_TEXT_LEN || s.chars().count() <= MAX_TEXT_LEN;
        (fits && !s.trim_start().is_empty()).then(|| self.text(s))
    }

    /// Checks the kind-specific fields of a rule: what it needs, and nothing it does not use.
    fn rule_kind<S: AsRef<str>>(&mut self, r: &RawRule<S>) -> Option<RuleKind> {
        fn opt<S: AsRef<str>>(s: &Option<S>) -> Option<&str> {
            s.as_ref().map(|s| s.as_ref())
        }
        use ConceptKind::*;
        const F: &str = "rules.json";
        let at = |f: &str| Location::new(F, r.id.as_ref(), f);
        let fields: [(&str, bool); 7] = [
            ("between", r.between.is_some()),
            ("class", r.class.is_some()),
            ("min_count", r.min_count.is_some()),
            ("subject", r.subject.is_some()),
            ("gene", r.gene.is_some()),
            ("phenotypes", r.phenotypes.is_some()),
            ("allergen", r.allergen.is_some()),
        ];
        let used: &[&str] = match r.kind.as_ref() {
            "interaction" => &["between"],
            "accumulation" => &["class", "min_count"],
            "duplication" => &["class"],
            "pharmacogenomic" => &["subject", "gene", "phenotypes"],
            "cross-sensitivity" => &["allergen", "subject"],
            other => {
                self.err(ValidationError::UnknownValue {
                    at: at("kind"),
                    what: "rule kind",
                    value: other.to_string(),
                    allowed:
                        "interaction, accumulation, duplication, pharmacogenomic, cross-sensitivity"
                            .into(),
                });
                return None;
            }
        };
        let kind = || format!("a rule of kind `{}`", r.kind.as_ref());
        let mut complete = true;
        for (field, present) in fields {
            let wanted = used.contains(&field);
            if wanted && !present {
                self.err(ValidationError::Missing {
                    at: at(field),
                    kind: kind(),
                });
                complete = false;
            } else if !wanted && present {
                self.err(ValidationError::NotApplicable {
                    at: at(field),
                    kind: kind(),
                });
            }
        }
        if !complete {
            return None;
        }
        const ITEMISH: &[ConceptKind] = &[Substance, Product, Therapy, Class];
        match r.kind.as_ref() {
            "interaction" => {
                let between = r.between.as_ref()?;
                if between.len() != 2 {
                    self.err(ValidationError::BadNumber {
                        at: at("between"),
                        reason: format!("needs exactly 2 endpoints, found {}", between.len()),
                    });
                    return None;
                }
                let a = self.endpoint(|| at("between[0]"), &between[0]);
                let b = self.endpoint(|| at("between[1]"), &between[1]);
                let (a, b) = (a?, b?);
                if a.concept == b.concept {
                    self.err(ValidationError::SelfInteraction {
                        at: at("between"),
                        concept: self.model.concept(a.concept).id.to_string(),
                    });
                    return None;
                }
                let is_condition =
                    |b: &Builder, e: Endpoint| b.model.concept(e.concept).kind() == Condition;
                if is_condition(self, a) && is_condition(self, b) {
                    self.err(ValidationError::NeverFires {
                        at: at("between"),
                        reason: "both endpoints are conditions; rules compare items with items or with conditions".into(),
                    });
                    return None;
                }
                for (e, f) in [(a, "between[0].route"), (b, "between[1].route")] {
                    if e.route.is_some() && is_condition(self, e) {
                        self.err(ValidationError::NotApplicable {
                            at: at(f),
                            kind: "a condition endpoint".into(),
                        });
                    }
                }
                Some(RuleKind::Interaction { a, b })
            }
            "accumulation" | "duplication" => {
                let class = self.reference(at("class"), opt(&r.class)?, &[Class], "class")?;
                if r.kind.as_ref() == "duplication" {
                    return Some(RuleKind::Duplication { class });
                }
                let min_count = r.min_count?;
                if min_count < 2 {
                    self.err(ValidationError::BadNumber {
                        at: at("min_count"),
                        reason: format!(
                            "{min_count} is below 2; an accumulation needs at least two items"
                        ),
                    });
                    return None;
                }
                Some(RuleKind::Accumulation { class, min_count })
            }
            "pharmacogenomic" => {
                let subject = self.reference(
                    at("subject"),
                    opt(&r.subject)?,
                    ITEMISH,
                    "substance, product, therapy or class",
                );
                let gene = opt(&r.gene)?;
                if gene.is_empty()
                    || gene.len() > 16
                    || !gene
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                {
                    self.err(ValidationError::BadNumber {
                        at: at("gene"),
                        reason: format!(
                            "gene `{gene}` must be an uppercase HGNC symbol such as CYP2D6"
                        ),
                    });
                }
                let mut phenotypes = Vec::new();
                for (i, p) in r
                    .phenotypes
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                {
                    match Phenotype::parse(p.as_ref()) {
                        Some(p) if phenotypes.contains(&p) => {}
                        Some(p) => phenotypes.push(p),
                        None => self.err(ValidationError::UnknownValue {
                            at: at(&format!("phenotypes[{i}]")),
                            what: Phenotype::WHAT,
                            value: p.as_ref().to_string(),
                            allowed: Phenotype::allowed(),
                        }),
                    }
                }
                if phenotypes.is_empty() {
                    self.err(ValidationError::Empty {
                        at: at("phenotypes"),
                    });
                }
                Some(RuleKind::Pharmacogenomic {
                    subject: subject?,
                    gene: gene.into(),
                    phenotypes: phenotypes.into(),
                })
            }
            "cross-sensitivity" => {
                let allergen = self.reference(
                    at("allergen"),
                    opt(&r.allergen)?,
                    &[Substance, Class],
                    "substance or class",
                );
                let subject = self.reference(
                    at("subject"),
                    opt(&r.subject)?,
                    ITEMISH,
                    "substance, product, therapy or class",
                );
                let (allergen, subject) = (allergen?, subject?);
                // A class may cross-react with itself (an allergy to one opioid and another
                // member); a substance with itself is just the allergy.
                if allergen == subject && self.model.concept(subject).kind() != Class {
                    self.err(ValidationError::SelfInteraction {
                        at: at("subject"),
                        concept: self.model.concept(subject).id.to_string(),
                    });
                    return None;
                }
                Some(RuleKind::CrossSensitivity { allergen, subject })
            }
            _ => None,
        }
    }

    fn dose_limits(&mut self, data: &SourceData) {
        const F: &str = "dose-limits.json";
        let mut seen: FxHashMap<(ConceptId, Route), String> = FxHashMap::default();
        for (i, d) in data.dose_limits.iter().enumerate() {
            if !self.define(F, &d.id, i, Target::Other) {
                continue;
            }
            let errors_before = self.errors.len();
            let at = |f: &str| Location::new(F, &d.id, f);
            let substance = self.reference(
                at("substance"),
                &d.substance,
                &[ConceptKind::Substance],
                "substance",
            );
            let route = self.route(at("route"), &d.route);
            let severity = self.severity(at("severity"), &d.severity);
            let management = self.required(at("management"), &d.management, MAX_TEXT_LEN);
            let evidence = self.evidence(at("evidence"), &d.evidence);
            let sources = self.sourced(F, &d.id, &d.sources);
            let monitoring = self.monitoring_refs(F, &d.id, &d.monitoring);
            let uncertainty = self.optional(at("uncertainty"), &d.uncertainty);
            if d.bands.is_empty() {
                self.err(ValidationError::Empty { at: at("bands") });
            }
            let bands: Vec<Band> = d
                .bands
                .iter()
                .enumerate()
                .filter_map(|(bi, band)| self.band(&d.id, bi, band))
                .collect();
            self.check_overlaps(&d.id, &bands);
            let Some(substance) = substance else { continue };
            if let Some(other) = seen.insert((substance, route), d.id.clone()) {
                self.err(ValidationError::DuplicateRule {
                    at: at("route"),
                    other,
                });
            }
            if self.errors.len() == errors_before {
                self.model.dose_limits.push(DoseLimit {
                    id: d.id.as_str().into(),
                    substance,
                    route,
                    severity,
                    management,
                    bands: bands.into(),
                    evidence,
                    sources,
                    monitoring,
                    uncertainty,
                });
            }
        }
    }

    fn band(&mut self, entry: &str, index: usize, b: &RawBand) -> Option<Band> {
        const F: &str = "dose-limits.json";
        let at = |f: &str| Location::new(F, entry, format!("bands[{index}].{f}"));
        let name = self.required(at("band"), &b.band, MAX_NAME_LEN);
        let when = b
            .when
            .as_ref()
            .map(|w| self.when(entry, index, w))
            .unwrap_or_default();
        let max_single = b
            .max_single
            .as_ref()
            .and_then(|a| self.limit_amount(at("max_single"), a));
        let max_daily = b
            .max_daily
            .as_ref()
            .and_then(|a| self.limit_amount(at("max_daily"), a));
        if let Some(0) = b.max_days {
            self.err(ValidationError::BadNumber {
                at: at("max_days"),
                reason: "0 must be greater than zero".into(),
            });
        }
        if b.max_single.is_none() && b.max_daily.is_none() && b.max_days.is_none() {
            self.err(ValidationError::Missing {
                at: at("max_single"),
                kind: "a band (give max_single, max_daily or max_days)".into(),
            });
        }
        if let (Some(s), Some(d)) = (max_single, max_daily) {
            if s.unit.dimension() == d.unit.dimension() && s.in_base() > d.in_base() {
                self.err(ValidationError::SingleAboveDaily {
                    at: at("max_single"),
                    single: s.to_string(),
                    daily: d.to_string(),
                });
            }
        }
        let note = self.optional(at("note"), &b.note);
        Some(Band {
            name: name.as_ref().into(),
            when,
            max_single,
            max_daily,
            max_days: b.max_days,
            note,
        })
    }

    fn limit_amount(&mut self, at: Location, a: &RawAmount) -> Option<Amount> {
        let amount = self.amount(at.clone(), a)?;
        if amount.unit.dimension() == crate::units::Dimension::DosageUnit {
            self.err(ValidationError::UnknownValue {
                at: Location {
                    field: format!("{}.unit", at.field),
                    ..at
                },
                what: "limit unit",
                value: amount.unit.to_string(),
                allowed: "mcg, mg, g, mcg/h, mg/kg, mcg/kg".into(),
            });
            return None;
        }
        Some(amount)
    }

    fn when(&mut self, entry: &str, index: usize, w: &RawWhen) -> When {
        const F: &str = "dose-limits.json";
        let at = |f: &str| Location::new(F, entry, format!("bands[{index}].when.{f}"));
        When {
            age_years: w
                .age_years
                .as_ref()
                .and_then(|r| self.range(at("age_years"), r)),
            weight_kg: w
                .weight_kg
                .as_ref()
                .and_then(|r| self.range(at("weight_kg"), r)),
            crcl_ml_min: w
                .crcl_ml_min
                .as_ref()
                .and_then(|r| self.range(at("crcl_ml_min"), r)),
            conditions: self.refs(
                F,
                entry,
                &format!("bands[{index}].when.conditions"),
                &w.conditions,
                &[ConceptKind::Condition],
                "condition",
            ),
        }
    }

    /// Bands that select patients by the same criteria must not overlap.
    fn check_overlaps(&mut self, entry: &str, bands: &[Band]) {
        for (i, a) in bands.iter().enumerate() {
            for b in &bands[..i] {
                let (wa, wb) = (&a.when, &b.when);
                let sorted = |c: &[ConceptId]| {
                    let mut v = c.to_vec();
                    v.sort();
                    v
                };
                let same_shape = wa.age_years.is_some() == wb.age_years.is_some()
                    && wa.weight_kg.is_some() == wb.weight_kg.is_some()
                    && wa.crcl_ml_min.is_some() == wb.crcl_ml_min.is_some()
                    && sorted(&wa.conditions) == sorted(&wb.conditions);
                let overlap = |x: &Option<Range>, y: &Option<Range>| match (x, y) {
                    (Some(x), Some(y)) => x.overlaps(y),
                    _ => true,
                };
                if same_shape
                    && overlap(&wa.age_years, &wb.age_years)
                    && overlap(&wa.weight_kg, &wb.weight_kg)
                    && overlap(&wa.crcl_ml_min, &wb.crcl_ml_min)
                {
                    self.err(ValidationError::OverlappingBands {
                        at: Location::new("dose-limits.json", entry, format!("bands[{i}]")),
                        other: b.name.to_string(),
                    });
                }
            }
        }
    }

    fn conversions(&mut self, data: &SourceData) {
        const F: &str = "opioid-conversions.json";
        let mut seen: FxHashSet<(ConceptId, Route)> = FxHashSet::default();
        for (i, c) in data.opioid_conversions.iter().enumerate() {
            let entry = format!("{}/{}", c.substance, c.route);
            let at = |f: &str| Location::new(F, &entry, f);
            let errors_before = self.errors.len();
            let substance = self.reference(
                at("substance"),
                &c.substance,
                &[ConceptKind::Substance],
                "substance",
            );
            let route = self.route(at("route"), &c.route);
            let factor = c.factor.as_ref().and_then(|n| self.number(at("factor"), n));
            let per = match Unit::parse(&c.per) {
                Some(u @ (Unit::Mg | Unit::McgPerH)) => u,
                _ => {
                    self.err(ValidationError::UnknownValue {
                        at: at("per"),
                        what: "conversion unit",
                        value: c.per.clone(),
                        allowed: "mg, mcg/h".into(),
                    });
                    Unit::Mg
                }
            };
            let evidence = self.evidence(at("evidence"), &c.evidence);
            let sources = self.sourced(F, &entry, &c.sources);
            let note = self.optional(at("note"), &c.note);
            if c.factor.is_none() && note.is_none() {
                self.err(ValidationError::Missing {
                    at: at("note"),
                    kind: "a conversion without a factor (say why it is not counted)".into(),
                });
            }
            let Some(substance) = substance else { continue };
            if !seen.insert((substance, route)) {
                self.err(ValidationError::DuplicateId {
                    at: Location::new(F, &entry, format!("#{i}")),
                    first: format!("{F}, an earlier entry for the same substance and route"),
                });
            }
            if self.errors.len() == errors_before {
                self.model.opioid_conversions.push(OpioidConversion {
                    substance,
                    route,
                    factor,
                    per,
                    evidence,
                    sources,
                    note,
                });
            }
        }
    }
}

impl Builder {
    fn thresholds(&mut self, data: &SourceData) {
        const F: &str = "mme-thresholds.json";
        for (i, t) in data.mme_thresholds.iter().enumerate() {
            if !self.define(F, &t.id, i, Target::Other) {
                continue;
            }
            let errors_before = self.errors.len();
            let at = |f: &str| Location::new(F, &t.id, f);
            let threshold = MmeThreshold {
                id: t.id.as_str().into(),
                mme_per_day: self
                    .number(at("mme_per_day"), &t.mme_per_day)
                    .unwrap_or(Ratio::ONE),
                severity: self.severity(at("severity"), &t.severity),
                evidence: self.evidence(at("evidence"), &t.evidence),
                summary: self.required(at("summary"), &t.summary, MAX_TEXT_LEN),
                management: self.required(at("management"), &t.management, MAX_TEXT_LEN),
                monitoring: self.monitoring_refs(F, &t.id, &t.monitoring),
                sources: self.sourced(F, &t.id, &t.sources),
            };
            if let Some(other) = self
                .model
                .mme_thresholds
                .iter()
                .find(|o| o.mme_per_day == threshold.mme_per_day)
            {
                let other = other.id.to_string();
                self.err(ValidationError::DuplicateRule {
                    at: at("mme_per_day"),
                    other,
                });
            }
            if self.errors.len() == errors_before {
                self.model.mme_thresholds.push(threshold);
            }
        }
        self.model.mme_thresholds.sort_by_key(|t| t.mme_per_day);
    }
}

/// What a rule matches, for finding two rules that would fire on the same thing.
fn rule_keys(kind: &RuleKind) -> Vec<RuleKey> {
    match kind {
        RuleKind::Interaction { a, b } => vec![RuleKey::Pair((*a).min(*b), (*a).max(*b))],
        RuleKind::Accumulation { class, .. } | RuleKind::Duplication { class } => {
            vec![RuleKey::Group(*class)]
        }
        RuleKind::Pharmacogenomic {
            subject,
            gene,
            phenotypes,
        } => phenotypes
            .iter()
            .map(|p| RuleKey::Gene(*subject, gene.clone(), *p))
            .collect(),
        RuleKind::CrossSensitivity { allergen, subject } => {
            vec![RuleKey::Cross(*allergen, *subject)]
        }
    }
}
