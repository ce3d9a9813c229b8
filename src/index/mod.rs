//! Stage 4: the compiled lookup index.
//!
//! Compiled once from the [`Model`] and its [`ConceptGraph`], immutable afterwards. Class
//! membership is flattened at compile time, so that asking which interaction rules hold between
//! two concrete concepts (substances, products, therapies, conditions) is one hash probe on the
//! pair, whatever classes the rules were written on.

pub(crate) mod dose;
mod names;
mod pairs;
mod ranks;

use rustc_hash::FxHashMap;

use crate::graph::ConceptGraph;
use crate::model::{
    ConceptId, ConceptKind, Detail, Endpoint, Model, MonitoringId, Range, RuleId, RuleKind,
    name_key,
};
use crate::vocab::{Route, builtin};

use names::NameTable;
use pairs::PairTable;
pub use ranks::{Rank, cmp_ids, cmp_ranked};

/// A rule found for a pair of concepts, and which concept matched which endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit(u32);

const LOW_IS_A: u32 = 1 << 30;
const LOW_IS_B: u32 = 1 << 31;
/// Set on every hit of a pair but its last, so that a pair's slot needs only where they start.
const MORE: u32 = 1 << 29;
/// Set on the first hit of a pair whose rules need no settling: none refines another (the
/// hits of every pair are sorted by rule, without repeats).
const SETTLED: u32 = 1 << 28;
const RULE_MASK: u32 = SETTLED - 1;
/// [`Index::refiners`] of a pair with more than 32 hits (its first hit never refines itself, so
/// the value cannot be a real set of positions).
const TOO_MANY_HITS: u32 = u32::MAX;

impl Hit {
    /// The rule.
    pub fn rule(self) -> RuleId {
        RuleId(self.0 & RULE_MASK)
    }

    /// True when the lower-numbered concept of the pair matched endpoint `a` of the rule (and
    /// the higher-numbered one endpoint `b`).
    pub fn low_is_a(self) -> bool {
        self.0 & LOW_IS_A != 0
    }

    /// True when the lower-numbered concept matched endpoint `b` (and the higher one `a`).
    pub fn low_is_b(self) -> bool {
        self.0 & LOW_IS_B != 0
    }

    /// True on the first hit of a pair when no rule of the pair refines another, so that any
    /// of its rules, in the order given, stand as they are.
    pub(crate) fn settled(self) -> bool {
        self.0 & SETTLED != 0
    }
}

/// What the checker needs to know of a rule when it matches a pair, packed in a byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleFacts(u8);

const FACT_ROUTE: u8 = 1 << 3;
const FACT_REQUIRES: u8 = 1 << 4;

impl RuleFacts {
    fn of(rule: &crate::model::Rule) -> RuleFacts {
        let severity = crate::vocab::Severity::ALL
            .iter()
            .position(|s| *s == rule.severity)
            .unwrap_or(0) as u8;
        let route = match rule.kind {
            RuleKind::Interaction { a, b } => a.route.is_some() || b.route.is_some(),
            _ => false,
        };
        let mut bits = severity;
        if route {
            bits |= FACT_ROUTE;
        }
        if !rule.requires.is_empty() {
            bits |= FACT_REQUIRES;
        }
        RuleFacts(bits)
    }

    /// The rule's severity.
    pub fn severity(self) -> crate::vocab::Severity {
        crate::vocab::Severity::ALL[(self.0 & 7) as usize]
    }

    /// True when an endpoint of the rule is limited to a route.
    pub fn has_route(self) -> bool {
        self.0 & FACT_ROUTE != 0
    }

    /// True when the rule applies only to patients with given conditions.
    pub fn has_requires(self) -> bool {
        self.0 & FACT_REQUIRES != 0
    }
}

/// A bit of [`Index::dose_holds`]: a substance of the concept has a dose limit or is an opioid.
pub(crate) const HOLDS_DOSED: u8 = 1;
/// A bit of [`Index::dose_holds`]: a substance of the concept is an opioid.
pub(crate) const HOLDS_OPIOID: u8 = 2;

/// A concept's bit in a 64-bit filter of concepts, `1 << (id % 64)`: two sets of concepts
/// whose filters do not meet have no concept in common. [`Index::substance_bits`] is made of
/// these, and the checks that read it use the same.
#[inline]
pub(crate) fn concept_bit(c: ConceptId) -> u64 {
    1u64 << (c.0 % 64)
}

/// One concept's row of the partner matrix (see [`Index::partners_of`]); `None` when the
/// knowledge base is too large to have one, and every pair may have a rule.
#[derive(Clone, Copy)]
pub(crate) struct Partners<'i>(Option<&'i [u64]>);

impl Partners<'_> {
    /// [`Index::may_pair`] of the row's concept and the concept whose column `col` is.
    #[inline]
    pub(crate) fn may_at(self, col: PartnerColumn) -> bool {
        match self.0 {
            None => true,
            Some(row) => row.get(col.word as usize).is_some_and(|w| w & col.bit != 0),
        }
    }
}

/// Where a concept's bit is in every row of the partner matrix, worked out once for testing
/// against many rows ([`Partners::may_at`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PartnerColumn {
    word: u32,
    bit: u64,
}

impl PartnerColumn {
    /// The column of concept `y`.
    #[inline]
    pub(crate) fn of(y: ConceptId) -> PartnerColumn {
        let (word, bit) = partner_bit(0, y.0 as usize);
        PartnerColumn {
            word: word as u32,
            bit,
        }
    }
}

/// The compiled index.
#[derive(Debug)]
pub struct Index {
    /// Every name key (bytes, so a lookup need not check UTF-8 again) to its concept
    /// (`names.rs`).
    names: NameTable,
    /// Each concept's atoms, the concepts an item of it brings into a regimen (itself, and a
    /// product's ingredients), as ranges of `atoms`.
    atom_ranges: Vec<(u32, u32)>,
    atoms: Vec<ConceptId>,
    /// Each concept's substances, as ranges of `atoms`: a substance itself, a product's
    /// ingredients, none for anything else.
    substance_ranges: Vec<(u32, u32)>,
    /// Each concept's atoms that have at least one pair with a rule, as ranges of
    /// `probe_atoms`: the only atoms worth a pair probe.
    probe_ranges: Vec<(u32, u32)>,
    probe_atoms: Vec<ConceptId>,
    /// Which concrete concepts have a rule between them: one bit per pair, a row of
    /// `partner_stride` words per concept. Empty when the knowledge base has too many concepts
    /// for it to be small ([`MAX_PARTNER_BITS`]); every probe then goes to the pair table.
    partners: Box<[u64]>,
    partner_stride: usize,
    kinds: Vec<ConceptKind>,
    ancestors: Vec<Box<[ConceptId]>>,
    /// Each concept's ancestors as a filter (the OR of their [`concept_bit`]s): a clear bit
    /// settles most "is `c` one of `of`" questions without a search.
    ancestor_bits: Vec<u64>,
    pairs: PairTable,
    hits: Vec<Hit>,
    /// Beside each hit of a pair that is not [`Hit::settled`], the positions (bits) of the
    /// pair's other hits whose rules refine its rule; [`TOO_MANY_HITS`] on the first hit of a
    /// pair with more hits than bits. Empty when every pair is settled.
    refiners: Box<[u32]>,
    /// What a check needs of each rule without reading the rule (a cache miss each on a large
    /// knowledge base): its severity, and whether it has a route or required conditions.
    rule_facts: Box<[RuleFacts]>,
    unary: Vec<Box<[RuleId]>>,
    /// The accumulation and duplication rules among each concept's `unary`, in the same order.
    groups: Vec<Box<[RuleId]>>,
    /// Each concept's memberships of those rules through itself or an ingredient (its
    /// [`Index::atoms`]), as `(rule, the atom that belongs)` in ranges of `group_list`: one
    /// flat list for the check to read per item.
    group_ranges: Box<[(u32, u32)]>,
    group_list: Box<[(RuleId, ConceptId)]>,
    /// Monitoring requirements each item calls for on its own (through the requirement's
    /// `for`, itself or a class it or an ingredient belongs to), atom by atom, as ranges of
    /// `standing_list`.
    standing_ranges: Box<[(u32, u32)]>,
    standing_list: Box<[MonitoringId]>,
    derived: Vec<(ConceptId, Range)>,
    /// Each concept's dose limits, as ranges of `limit_list`.
    limit_ranges: Vec<(u32, u32)>,
    limit_list: Vec<u32>,
    opioids: Vec<bool>,
    /// What each concept's substances are to the dose checks: [`HOLDS_DOSED`], [`HOLDS_OPIOID`].
    dose_holds: Vec<u8>,
    /// Each concept's substances as bits ([`concept_bit`]): two concepts can share a substance
    /// only if their bits meet.
    substance_bits: Vec<u64>,
    /// Rank of each concept's id among the concept ids.
    concept_ranks: Box<[Rank]>,
    /// Ranks of the ids findings carry: rules, then dose limits, then MME thresholds.
    rule_ranks: ranks::Ranked,
    /// The genes pharmacogenomic rules name, sorted.
    genes: Box<[Box<str>]>,
    /// What the dose checks read of the dose limits and MME factors ([`dose`]).
    dose: dose::DoseTables,
}

/// The id of entry `i` of the rules, dose limits, MME thresholds, monitoring requirements and
/// the checker's own rules ([`builtin::ALL`]) taken end to end: every id a finding's `rule` can
/// be.
fn rule_like_id(model: &Model, i: usize) -> &str {
    let (rules, limits) = (model.rules.len(), model.dose_limits.len());
    let (thresholds, monitoring) = (model.mme_thresholds.len(), model.monitoring.len());
    if i < rules {
        &model.rules[i].id
    } else if i < rules + limits {
        &model.dose_limits[i - rules].id
    } else if i < rules + limits + thresholds {
        &model.mme_thresholds[i - rules - limits].id
    } else if i < rules + limits + thresholds + monitoring {
        &model.monitoring[i - rules - limits - thresholds].id
    } else {
        builtin::ALL[i - rules - limits - thresholds - monitoring]
    }
}

/// The number of ids [`rule_like_id`] numbers before the checker's own.
fn rule_like_ids(model: &Model) -> usize {
    model.rules.len()
        + model.dose_limits.len()
        + model.mme_thresholds.len()
        + model.monitoring.len()
}

/// The class whose substance members are counted toward opioid MME.
pub const OPIOID_CLASS: &str = "opioid";

/// The largest partner matrix built, in bits (8 MiB): 8,192 concepts. Beyond that, a pair
/// that has no rule is settled by the pair table alone.
const MAX_PARTNER_BITS: usize = 1 << 26;

/// Most rules fit in the 28 bits a [`Hit`] keeps for the rule.
pub const MAX_RULES: usize = RULE_MASK as usize;

impl Index {
    /// Compiles the index.
    ///
    /// # Panics
    /// Never for a model that passed validation; rule counts above [`MAX_RULES`] are rejected
    /// by the loader before this point.
    pub fn compile(model: &Model, graph: &ConceptGraph) -> Index {
        let n = model.concepts.len();
        let kinds: Vec<ConceptKind> = model.concepts.iter().map(|c| c.kind()).collect();
        let concrete = |c: ConceptId| kinds[c.0 as usize] != ConceptKind::Class;

        let mut names: FxHashMap<Box<[u8]>, ConceptId> = FxHashMap::default();
        let mut key = String::new();
        for (i, c) in model.concepts.iter().enumerate() {
            let id = ConceptId(i as u32);
            let rx = c.rxnorm.as_ref().map(|code| format!("rxnorm:{code}"));
            for name in [&*c.id, &*c.name]
                .into_iter()
                .chain(c.names.iter().map(|n| &**n))
                .chain(rx.as_deref())
            {
                name_key(name, &mut key);
                names.entry(key.as_bytes().into()).or_insert(id);
            }
        }

        // Every (pair, rule) the rules' class memberships expand to, bucketed by the pair's
        // lower concept and sorted within each bucket (small, so the sort stays in cache).
        let mut unary: Vec<Vec<RuleId>> = vec![Vec::new(); n];
        let expand = |rule: &crate::model::Rule,
                      each: &mut dyn FnMut(ConceptId, ConceptId, u32)| {
            if let RuleKind::Interaction { a, b } = rule.kind {
                for &x in graph.members(a.concept).iter().filter(|c| concrete(**c)) {
                    for &y in graph.members(b.concept).iter().filter(|c| concrete(**c)) {
                        match x.cmp(&y) {
                            std::cmp::Ordering::Less => each(x, y, LOW_IS_A),
                            std::cmp::Ordering::Greater => each(y, x, LOW_IS_B),
                            std::cmp::Ordering::Equal => {}
                        }
                    }
                }
            }
        };
        let mut start = vec![0usize; n + 1];
        for rule in &model.rules {
            expand(rule, &mut |lo, _, _| start[lo.0 as usize + 1] += 1);
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut entries: Vec<(u32, u32)> = vec![(0, 0); start[n]];
        // The genes pharmacogenomic rules name, gathered in the same pass over the rules.
        let mut genes: Vec<Box<str>> = Vec::new();
        for (ri, rule) in model.rules.iter().enumerate() {
            if let RuleKind::Pharmacogenomic { gene, .. } = &rule.kind {
                genes.push(Box::from(&**gene));
            }
            expand(rule, &mut |lo, hi, bit| {
                let at = &mut fill[lo.0 as usize];
                entries[*at] = (hi.0, ri as u32 | bit);
                *at += 1;
            });
            match rule.kind {
                RuleKind::Interaction { .. } => {}
                RuleKind::Accumulation { class: s, .. }
                | RuleKind::Duplication { class: s }
                | RuleKind::Pharmacogenomic { subject: s, .. }
                | RuleKind::CrossSensitivity { subject: s, .. } => {
                    for &m in graph.members(s).iter().filter(|c| concrete(**c)) {
                        unary[m.0 as usize].push(RuleId(ri as u32));
                    }
                }
            }
        }
        drop(fill);
        genes.sort_unstable();
        genes.dedup();
        let mut hits: Vec<Hit> = Vec::with_capacity(entries.len());
        let mut firsts: Vec<(u32, u32, u32)> = Vec::new();
        for lo in 0..n {
            let bucket = &mut entries[start[lo]..start[lo + 1]];
            // By partner, then rule (the orientation bits last): each pair's hits in rule
            // order, one per rule.
            bucket.sort_unstable_by_key(|&(hi, v)| {
                (u64::from(hi) << 32 | u64::from(v & RULE_MASK), v)
            });
            let mut i = 0;
            while i < bucket.len() {
                let hi = bucket[i].0;
                firsts.push((lo as u32, hi, hits.len() as u32));
                while i < bucket.len() && bucket[i].0 == hi {
                    // One hit per rule, with the orientation bits of every way it matched.
                    let rule = bucket[i].1 & RULE_MASK;
                    let mut bits = 0;
                    while i < bucket.len() && bucket[i].0 == hi && bucket[i].1 & RULE_MASK == rule {
                        bits |= bucket[i].1 & !RULE_MASK;
                        i += 1;
                    }
                    hits.push(Hit(rule | bits | MORE));
                }
                if let Some(last) = hits.last_mut() {
                    last.0 &= !MORE;
                }
            }
        }
        drop(entries);
        let mut pairs = PairTable::with_pairs(firsts.len());
        let partner_stride = n.div_ceil(64);
        let mut partners = if n * n <= MAX_PARTNER_BITS {
            vec![0u64; n * partner_stride]
        } else {
            Vec::new()
        };
        let mut paired = vec![false; n];
        for (lo, hi, first) in firsts {
            pairs.insert(lo, hi, first);
            let (lo, hi) = (lo as usize, hi as usize);
            paired[lo] = true;
            paired[hi] = true;
            if !partners.is_empty() {
                set_partners(&mut partners, partner_stride, lo, hi);
            }
        }

        let derived = model
            .concepts
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match c.detail {
                Detail::Condition { age_years: Some(r) } => Some((ConceptId(i as u32), r)),
                _ => None,
            })
            .collect();
        let mut limits: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (i, l) in model.dose_limits.iter().enumerate() {
            limits[l.substance.0 as usize].push(i as u32);
        }
        let mut limit_ranges = Vec::with_capacity(n);
        let mut limit_list = Vec::with_capacity(model.dose_limits.len());
        for l in limits {
            let start = limit_list.len() as u32;
            limit_list.extend(l);
            limit_ranges.push((start, limit_list.len() as u32));
        }
        let mut opioids = vec![false; n];
        for c in &model.opioid_conversions {
            opioids[c.substance.0 as usize] = true;
        }
        // Members of the class `opioid` count toward MME too, so that an opioid missing from
        // the conversion table makes the total incomplete instead of silently lower.
        if let Some(class) = names
            .get(OPIOID_CLASS.as_bytes())
            .filter(|c| kinds[c.0 as usize] == ConceptKind::Class)
        {
            for &m in graph.members(*class) {
                if kinds[m.0 as usize] == ConceptKind::Substance {
                    opioids[m.0 as usize] = true;
                }
            }
        }
        let mut atoms = Vec::with_capacity(n);
        let mut atom_ranges = Vec::with_capacity(n);
        let mut substance_ranges = Vec::with_capacity(n);
        for (i, c) in model.concepts.iter().enumerate() {
            let start = atoms.len() as u32;
            atoms.push(ConceptId(i as u32));
            if let Detail::Product(p) = &c.detail {
                atoms.extend(p.ingredients.iter().map(|i| i.substance));
            }
            let end = atoms.len() as u32;
            atom_ranges.push((start, end));
            substance_ranges.push(match c.detail {
                Detail::Substance(_) => (start, start + 1),
                Detail::Product(_) => (start + 1, end),
                _ => (start, start),
            });
        }
        let mut probe_atoms = Vec::with_capacity(n);
        let mut probe_ranges = Vec::with_capacity(n);
        for &(start, end) in &atom_ranges {
            let from = probe_atoms.len() as u32;
            probe_atoms.extend(
                atoms[start as usize..end as usize]
                    .iter()
                    .filter(|a| paired[a.0 as usize]),
            );
            probe_ranges.push((from, probe_atoms.len() as u32));
        }
        if !partners.is_empty() {
            widen_partners(&mut partners, partner_stride, |c| {
                let (start, end) = probe_ranges[c];
                &probe_atoms[start as usize..end as usize]
            });
        }
        let concept_ranks = ranks::Ranked::new(n, |i| &model.concepts[i].id).ranks;
        // The checker's own rule ids are ranked with the rest, so that every finding's rule has
        // an exact rank.
        let rule_ranks = ranks::Ranked::new(rule_like_ids(model) + builtin::ALL.len(), |i| {
            rule_like_id(model, i)
        });
        let mut standing: Vec<Vec<MonitoringId>> = vec![Vec::new(); n];
        for (i, m) in model.monitoring.iter().enumerate() {
            for &s in m.standing.iter() {
                for &c in graph.members(s).iter().filter(|c| concrete(**c)) {
                    if !standing[c.0 as usize].contains(&MonitoringId(i as u32)) {
                        standing[c.0 as usize].push(MonitoringId(i as u32));
                    }
                }
            }
        }
        let substance_bits = substance_ranges
            .iter()
            .map(|&(start, end)| {
                atoms[start as usize..end as usize]
                    .iter()
                    .fold(0, |bits, &s| bits | concept_bit(s))
            })
            .collect();
        let ancestors: Vec<Box<[ConceptId]>> = (0..n)
            .map(|i| graph.ancestors(ConceptId(i as u32)).into())
            .collect();
        let ancestor_bits = ancestors
            .iter()
            .map(|of| of.iter().fold(0, |bits, &a| bits | concept_bit(a)))
            .collect();
        let groups: Vec<Box<[RuleId]>> = unary
            .iter()
            .map(|rules| {
                let group = |r: &&RuleId| {
                    matches!(
                        model.rule(**r).kind,
                        RuleKind::Accumulation { .. } | RuleKind::Duplication { .. }
                    )
                };
                rules.iter().filter(group).copied().collect()
            })
            .collect();
        let (group_ranges, group_list) = over_atoms(&atom_ranges, &atoms, |a, list| {
            list.extend(groups[a.0 as usize].iter().map(|&r| (r, a)));
        });
        let (standing_ranges, standing_list) = over_atoms(&atom_ranges, &atoms, |a, list| {
            list.extend_from_slice(&standing[a.0 as usize]);
        });
        let mut index = Index {
            names: NameTable::new(names.iter().map(|(k, &c)| (&k[..], c))),
            atom_ranges,
            atoms,
            substance_ranges,
            probe_ranges,
            probe_atoms,
            partners: partners.into(),
            partner_stride,
            kinds,
            ancestors,
            ancestor_bits,
            pairs,
            hits,
            refiners: Box::default(),
            rule_facts: model.rules.iter().map(RuleFacts::of).collect(),
            group_ranges,
            group_list,
            groups,
            unary: unary.into_iter().map(Into::into).collect(),
            standing_ranges,
            standing_list,
            derived,
            limit_ranges,
            limit_list,
            opioids,
            substance_bits,
            concept_ranks,
            rule_ranks,
            genes: genes.into(),
            dose: dose::DoseTables::new(model),
            // Read from the index itself, once its limits and MME factors are in place.
            dose_holds: Vec::new(),
        };
        index.dose_holds = (0..n as u32)
            .map(|c| {
                index.substances(ConceptId(c)).iter().fold(0, |holds, &s| {
                    holds
                        | if index.is_opioid(s) { HOLDS_OPIOID } else { 0 }
                        | if index.dose_relevant(s) {
                            HOLDS_DOSED
                        } else {
                            0
                        }
                })
            })
            .collect();
        index.mark_settled(model);
        index
    }

    /// Sets [`SETTLED`] on the first hit of every pair none of whose rules refines another, and
    /// fills [`Index::refiners`] for the others.
    fn mark_settled(&mut self, model: &Model) {
        let mut refiners: Vec<u32> = Vec::new();
        let mut first = 0;
        while first < self.hits.len() {
            let rules = self.hits_from(first);
            let len = rules.len();
            let mut marks = [0u32; 32];
            let mut refined = false;
            self.each_refinement(
                model,
                len,
                |k| rules[k].rule(),
                |refiner, refinee| {
                    refined = true;
                    if len <= 32 {
                        marks[refinee] |= 1 << refiner;
                    }
                },
            );
            if refined {
                if refiners.is_empty() {
                    refiners = vec![0; self.hits.len()];
                }
                if len <= 32 {
                    refiners[first..first + len].copy_from_slice(&marks[..len]);
                } else {
                    refiners[first] = TOO_MANY_HITS;
                }
            } else {
                self.hits[first].0 |= SETTLED;
            }
            first += len;
        }
        self.refiners = refiners.into();
    }

    /// Calls `each(refiner, refinee)` for every two of `n` rules (`rule_at` gives the rule at
    /// each position) of which one refines the other ([`Index::refinement`]): the more specific
    /// refines the other. Each two rules are compared once, both ways.
    #[inline]
    pub(crate) fn each_refinement(
        &self,
        model: &Model,
        n: usize,
        rule_at: impl Fn(usize) -> RuleId,
        mut each: impl FnMut(usize, usize),
    ) {
        for p in 0..n {
            for q in p + 1..n {
                match self.refinement(model, rule_at(p), rule_at(q)) {
                    (true, false) => each(p, q),
                    (false, true) => each(q, p),
                    _ => {}
                }
            }
        }
    }

    /// Whether the endpoints of interaction rule `p` lie within those of `q`, and those of `q`
    /// within `p`'s: one way round or the other, each concept the same as or a member of its
    /// match, each route at least as narrow. One refines the other when exactly one holds.
    /// `(false, false)` when either is not an interaction rule.
    #[inline]
    fn refinement(&self, model: &Model, p: RuleId, q: RuleId) -> (bool, bool) {
        let ends = |r: RuleId| match model.rule(r).kind {
            RuleKind::Interaction { a, b } => Some((a, b)),
            _ => None,
        };
        match (ends(p), ends(q)) {
            (Some(p), Some(q)) => (self.ends_within(p, q), self.ends_within(q, p)),
            _ => (false, false),
        }
    }

    fn ends_within(&self, (a1, b1): (Endpoint, Endpoint), (a2, b2): (Endpoint, Endpoint)) -> bool {
        let within = |e1: Endpoint, e2: Endpoint| {
            (e2.route.is_none() || e2.route == e1.route)
                && (e1.concept == e2.concept || self.is_a_seldom(e1.concept, e2.concept))
        };
        (within(a1, a2) && within(b1, b2)) || (within(a1, b2) && within(b1, a2))
    }

    /// True when some pharmacogenomic rule names `gene` (as the rules spell it, upper case).
    pub fn knows_gene(&self, gene: &str) -> bool {
        self.genes.binary_search_by(|g| (**g).cmp(gene)).is_ok()
    }

    /// Looks a name up: an id, display name, synonym or brand, any case and punctuation, or
    /// `rxnorm:CODE`.
    #[inline]
    pub fn resolve(&self, name: &str) -> Option<ConceptId> {
        // Already a key (an id, as most machine-written regimens give): found as it is. Every
        // key is its own normal form, so a name equal to one needs no normalizing.
        match self.names.get(name.as_bytes()) {
            Some(c) => Some(c),
            None => self.resolve_normalized(name),
        }
    }

    /// [`Index::resolve`] for a name that is not a key as it is: its normal form's concept.
    #[inline(never)]
    fn resolve_normalized(&self, name: &str) -> Option<ConceptId> {
        let bytes = name.as_bytes();
        let canonical = !bytes.is_empty()
            && bytes[0] != b'-'
            && bytes[bytes.len() - 1] != b'-'
            && bytes.windows(2).all(|w| w != b"--")
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        if canonical {
            return None;
        }
        let mut buf = [0u8; 128];
        if name.len() <= buf.len() && name.is_ascii() {
            let mut len = 0;
            let mut gap = false;
            for &b in bytes {
                if b == b'\'' {
                    continue;
                }
                if b.is_ascii_alphanumeric() {
                    if gap && len > 0 {
                        buf[len] = b'-';
                        len += 1;
                    }
                    gap = false;
                    buf[len] = b.to_ascii_lowercase();
                    len += 1;
                } else {
                    gap = true;
                }
            }
            return self.names.get(&buf[..len]);
        }
        let mut key = String::new();
        name_key(name, &mut key);
        self.names.get(key.as_bytes())
    }

    /// The concepts an item of concept `c` brings into a regimen: `c` itself, and, for a
    /// product, its ingredients.
    #[inline]
    pub fn atoms(&self, c: ConceptId) -> &[ConceptId] {
        let (start, end) = self.atom_ranges[c.0 as usize];
        &self.atoms[start as usize..end as usize]
    }

    /// The substances an item of concept `c` contains: `c` itself for a substance, a product's
    /// ingredients in the product's order, none for anything else.
    #[inline]
    pub fn substances(&self, c: ConceptId) -> &[ConceptId] {
        let (start, end) = self.substance_ranges[c.0 as usize];
        &self.atoms[start as usize..end as usize]
    }

    /// The atoms of a concept that have a pair with a rule: [`Index::atoms`] without those no
    /// probe could find anything for.
    #[inline]
    pub fn probe_atoms(&self, c: ConceptId) -> &[ConceptId] {
        let (start, end) = self.probe_ranges[c.0 as usize];
        &self.probe_atoms[start as usize..end as usize]
    }

    /// False when `x` and `y` surely have no interaction rule between them, nor any two of
    /// their atoms (one bit read); true when they may, and [`Index::pair`] says which.
    #[inline]
    pub fn may_pair(&self, x: ConceptId, y: ConceptId) -> bool {
        if self.partners.is_empty() {
            return true;
        }
        let (word, bit) = partner_bit(x.0 as usize * self.partner_stride, y.0 as usize);
        self.partners[word] & bit != 0
    }

    /// The partner bits of `x`: [`Index::may_pair`] with `x` fixed, its row found once.
    #[inline]
    pub(crate) fn partners_of(&self, x: ConceptId) -> Partners<'_> {
        if self.partners.is_empty() {
            return Partners(None);
        }
        let start = x.0 as usize * self.partner_stride;
        Partners(Some(&self.partners[start..start + self.partner_stride]))
    }

    /// The kind of a concept.
    pub fn kind(&self, c: ConceptId) -> ConceptKind {
        self.kinds[c.0 as usize]
    }

    /// The concept and every class or broader condition it belongs to, sorted.
    pub fn ancestors(&self, c: ConceptId) -> &[ConceptId] {
        &self.ancestors[c.0 as usize]
    }

    /// True when `c` is `of` or belongs to it.
    pub fn is_a(&self, c: ConceptId, of: ConceptId) -> bool {
        self.ancestors(c).binary_search(&of).is_ok()
    }

    /// [`Index::is_a`] for a question whose answer is mostly no: a filter of `c`'s ancestors
    /// settles most of those without a search.
    #[inline]
    pub fn is_a_seldom(&self, c: ConceptId, of: ConceptId) -> bool {
        self.ancestor_bits[c.0 as usize] & concept_bit(of) != 0 && self.is_a(c, of)
    }

    /// Interaction rules between two different concrete concepts, in either order.
    /// When `x > y` the orientation bits of the hits refer to `y` as the lower one.
    #[inline]
    pub fn pair(&self, x: ConceptId, y: ConceptId) -> &[Hit] {
        if !self.may_pair(x, y) {
            return &[];
        }
        self.pair_probed(x, y)
    }

    /// [`Index::pair`] for two concepts whose partner bit ([`Index::may_pair`]) the caller has
    /// read already and found set: the table's probe alone.
    pub(crate) fn pair_probed(&self, x: ConceptId, y: ConceptId) -> &[Hit] {
        self.pair_probed_at(x, y).1
    }

    /// [`Index::pair_probed`], with where the pair's hits start (for [`Index::refiners`]).
    #[inline]
    pub(crate) fn pair_probed_at(&self, x: ConceptId, y: ConceptId) -> (usize, &[Hit]) {
        let (lo, hi) = if x < y { (x, y) } else { (y, x) };
        match self.pairs.get(lo.0, hi.0) {
            Some(first) => (first as usize, self.hits_from(first as usize)),
            None => (0, &[]),
        }
    }

    /// The hits of the pair whose first hit is at `first`: up to the first without [`MORE`].
    #[inline]
    fn hits_from(&self, first: usize) -> &[Hit] {
        let mut end = first + 1;
        while self.hits[end - 1].0 & MORE != 0 {
            end += 1;
        }
        &self.hits[first..end]
    }

    /// For the hits of a pair that is not [`Hit::settled`], starting at `first` (from
    /// [`Index::pair_probed_at`]): beside each, the positions (bits) of the pair's hits whose
    /// rules refine its rule. `None` for a pair with more hits than bits.
    #[inline]
    pub(crate) fn refiners(&self, first: usize, len: usize) -> Option<&[u32]> {
        let marks = &self.refiners[first..first + len];
        (marks[0] != TOO_MANY_HITS).then_some(marks)
    }

    /// Loads the part of the pair table that [`Index::pair`] reads for `x` and `y`, and returns
    /// a value that depends on it. Touching every pair of a regimen before looking any up lets
    /// the processor fetch them all at once instead of one cache miss after another.
    #[inline]
    pub fn touch_pair(&self, x: ConceptId, y: ConceptId) -> u64 {
        if !self.may_pair(x, y) {
            return 0;
        }
        let (lo, hi) = if x < y { (x, y) } else { (y, x) };
        self.pairs.touch(lo.0, hi.0)
    }

    /// True when the pair table is too large to stay in cache between checks, so that loading
    /// a regimen's pairs ahead ([`Index::touch_pair`]) pays.
    pub fn pairs_are_large(&self) -> bool {
        #[cfg(test)]
        if tests::TAKE_AS_LARGE.with(std::cell::Cell::get) {
            return true;
        }
        self.pairs.bytes() > 1 << 20
    }

    /// True when some pair of the atoms of `x` and of `y` has an interaction rule.
    #[inline]
    pub fn any_pair(&self, x: ConceptId, y: ConceptId) -> bool {
        // The partner bit of two concepts is set when some pair of their atoms may have a rule
        // (`widen_partners`): most pairs of products and conditions end here.
        if !self.may_pair(x, y) {
            return false;
        }
        self.probe_atoms(x).iter().any(|&a| {
            self.probe_atoms(y)
                .iter()
                .any(|&b| a != b && !self.pair(a, b).is_empty())
        })
    }

    /// Accumulation, duplication, pharmacogenomic and cross-sensitivity rules whose class or
    /// subject `c` belongs to.
    pub fn unary(&self, c: ConceptId) -> &[RuleId] {
        &self.unary[c.0 as usize]
    }

    /// The accumulation and duplication rules among [`Index::unary`]`(c)`.
    pub fn group_rules(&self, c: ConceptId) -> &[RuleId] {
        &self.groups[c.0 as usize]
    }

    /// The accumulation and duplication rules an item of concept `c` belongs to, through `c`
    /// itself or an ingredient: `(rule, that atom)`, for each of its [`Index::atoms`] in turn.
    #[inline]
    pub(crate) fn group_members(&self, c: ConceptId) -> &[(RuleId, ConceptId)] {
        let (start, end) = self.group_ranges[c.0 as usize];
        &self.group_list[start as usize..end as usize]
    }

    /// Conditions set from the patient's age, with their age ranges.
    pub fn age_conditions(&self) -> &[(ConceptId, Range)] {
        &self.derived
    }

    /// Indexes into [`Model::dose_limits`] for a substance.
    #[inline]
    pub fn dose_limits(&self, substance: ConceptId) -> &[u32] {
        let (start, end) = self.limit_ranges[substance.0 as usize];
        &self.limit_list[start as usize..end as usize]
    }

    /// Index into [`Model::opioid_conversions`] for a substance and route (the last entry, where
    /// the data gives a route twice), found among the substance's few factors.
    #[inline]
    pub fn conversion(&self, substance: ConceptId, route: Route) -> Option<u32> {
        self.dose.conversion(substance, route)
    }

    /// True when the substance has an MME entry for any route (it is an opioid for MME).
    #[inline]
    pub fn is_opioid(&self, substance: ConceptId) -> bool {
        self.opioids[substance.0 as usize]
    }

    /// True when a dose of this substance can be checked at all: it has a dose limit or
    /// counts for MME.
    #[inline]
    pub(crate) fn dose_relevant(&self, substance: ConceptId) -> bool {
        !self.dose_limits(substance).is_empty() || self.is_opioid(substance)
    }

    /// What a concept's substances ([`Index::substances`]) are to the dose checks, as bits:
    /// [`HOLDS_DOSED`] when one has a dose limit or is an opioid, [`HOLDS_OPIOID`] when one is
    /// an opioid.
    #[inline]
    pub(crate) fn dose_holds(&self, c: ConceptId) -> u8 {
        self.dose_holds[c.0 as usize]
    }

    /// A concept's substances ([`Index::substances`]) as bits ([`concept_bit`]): two concepts
    /// whose bits do not meet share no substance.
    #[inline]
    pub(crate) fn substance_bits(&self, c: ConceptId) -> u64 {
        self.substance_bits[c.0 as usize]
    }

    /// The rank of a concept's id among the concept ids: comparing ranks compares the ids.
    #[inline]
    pub fn concept_rank(&self, c: ConceptId) -> Rank {
        self.concept_ranks[c.0 as usize]
    }

    /// The rank of a rule's id among the ids of rules, dose limits and MME thresholds.
    #[inline]
    pub fn rule_rank(&self, r: RuleId) -> Rank {
        self.rule_ranks.ranks[r.0 as usize]
    }

    /// The rank of dose limit `i` (an index into [`Model::dose_limits`]) among the same ids.
    pub fn dose_limit_rank(&self, model: &Model, i: usize) -> Rank {
        self.rule_ranks.ranks[model.rules.len() + i]
    }

    /// The rank of MME threshold `i` (an index into [`Model::mme_thresholds`]) among the same
    /// ids.
    pub fn threshold_rank(&self, model: &Model, i: usize) -> Rank {
        self.rule_ranks.ranks[model.rules.len() + model.dose_limits.len() + i]
    }

    /// The ranks among the same ids of the checker's own rule ids, in the order of
    /// [`builtin::ALL`].
    pub(crate) fn builtin_ranks(&self, model: &Model) -> &[Rank] {
        &self.rule_ranks.ranks[rule_like_ids(model)..]
    }

    /// What a check needs of rule `r`, without reading it.
    #[inline]
    pub fn rule_facts(&self, r: RuleId) -> RuleFacts {
        self.rule_facts[r.0 as usize]
    }

    /// The rank of monitoring requirement `m` among the same ids.
    pub fn monitoring_rank(&self, model: &Model, m: MonitoringId) -> Rank {
        let start = model.rules.len() + model.dose_limits.len() + model.mme_thresholds.len();
        self.rule_ranks.ranks[start + m.0 as usize]
    }

    /// Monitoring requirements an item calls for on its own, itself or through a product's
    /// ingredient: each atom's in data order, atom by atom (a requirement two atoms call for
    /// comes twice).
    pub fn standing_monitoring(&self, c: ConceptId) -> impl Iterator<Item = &MonitoringId> {
        let (start, end) = self.standing_ranges[c.0 as usize];
        self.standing_list[start as usize..end as usize].iter()
    }

    /// Number of concrete pairs with at least one rule.
    pub fn pair_count(&self) -> usize {
        self.pairs.len
    }
}

/// Where concept `y`'s bit is in the row of the partner matrix that starts at word `row`: the
/// word and the bit in it.
#[inline]
fn partner_bit(row: usize, y: usize) -> (usize, u64) {
    (row + y / 64, 1 << (y % 64))
}

/// Sets the partner bits of `x` and `y` in a matrix of `stride` words per concept, both ways.
fn set_partners(partners: &mut [u64], stride: usize, x: usize, y: usize) {
    for (row, other) in [(x, y), (y, x)] {
        let (word, bit) = partner_bit(row * stride, other);
        partners[word] |= bit;
    }
}

/// Sets the partner bits (a row of `stride` words per concept) of every two concepts some of
/// whose probe atoms (`probe`) have a pair with a rule, beyond the bits of those pairs of atoms
/// themselves, so that a clear bit settles [`Index::any_pair`] for products too. A set bit still
/// only means "may": [`Index::pair`] of two products finds nothing.
fn widen_partners<'p>(
    partners: &mut [u64],
    stride: usize,
    probe: impl Fn(usize) -> &'p [ConceptId],
) {
    let n = partners.len() / stride;
    // Concepts whose probe atoms are not just themselves, with the union of their atoms' rows.
    let mut wide: Vec<(usize, Vec<u64>)> = Vec::new();
    for x in 0..n {
        let atoms = probe(x);
        if atoms.is_empty() || atoms == [ConceptId(x as u32)] {
            continue;
        }
        let mut row = vec![0u64; stride];
        for a in atoms {
            let a = a.0 as usize;
            for (w, &bits) in row.iter_mut().zip(&partners[a * stride..(a + 1) * stride]) {
                *w |= bits;
            }
        }
        wide.push((x, row));
    }
    let mut set = |x: usize, y: usize| set_partners(partners, stride, x, y);
    for (x, row) in &wide {
        for (w, &bits) in row.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                set(*x, w * 64 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        }
        for (y, _) in &wide {
            let meets = probe(*y).iter().any(|b| {
                let (word, bit) = partner_bit(0, b.0 as usize);
                row[word] & bit != 0
            });
            if meets {
                set(*x, *y);
            }
        }
    }
}

/// Each concept's range of one flat list, and the list.
type Flat<T> = (Box<[(u32, u32)]>, Box<[T]>);

/// For each concept, what `of` adds for each of its atoms in turn, flattened into one list.
fn over_atoms<T>(
    atom_ranges: &[(u32, u32)],
    atoms: &[ConceptId],
    mut of: impl FnMut(ConceptId, &mut Vec<T>),
) -> Flat<T> {
    let mut ranges = Vec::with_capacity(atom_ranges.len());
    let mut list = Vec::new();
    for &(start, end) in atom_ranges {
        let from = list.len() as u32;
        for &a in &atoms[start as usize..end as usize] {
            of(a, &mut list);
        }
        ranges.push((from, list.len() as u32));
    }
    (ranges.into(), list.into())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    thread_local! {
        /// Set by a test to make [`Index::pairs_are_large`] say yes on this thread, so that
        /// the check's path for large tables runs on the bundled data.
        pub(crate) static TAKE_AS_LARGE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    use crate::KnowledgeBase;

    /// The partner matrix only answers "surely no rule" early: every pair of concepts finds the
    /// same hits with it and without it (as on a knowledge base too large to have one).
    #[test]
    fn the_partner_matrix_changes_no_lookup() {
        let kb = KnowledgeBase::bundled();
        let (model, graph) = (kb.model(), kb.graph());
        let with = Index::compile(model, graph);
        assert!(
            !with.partners.is_empty(),
            "the bundled data is small enough"
        );
        let mut without = Index::compile(model, graph);
        without.partners = Box::default();
        let n = model.concepts.len() as u32;
        let mut found = 0;
        for x in (0..n).map(ConceptId) {
            assert!(with.probe_atoms(x).len() <= with.atoms(x).len());
            for y in (0..n).map(ConceptId) {
                assert_eq!(with.pair(x, y), without.pair(x, y), "{x:?} {y:?}");
                assert_eq!(with.any_pair(x, y), without.any_pair(x, y), "{x:?} {y:?}");
                // What the check relies on to pass over a pair of items on one bit.
                if !with.may_pair(x, y) {
                    for (a, b) in with
                        .atoms(x)
                        .iter()
                        .flat_map(|a| with.atoms(y).iter().map(move |b| (*a, *b)))
                    {
                        assert!(without.pair(a, b).is_empty(), "{x:?} {y:?}: {a:?} {b:?}");
                    }
                }
                found += usize::from(!with.pair(x, y).is_empty());
            }
        }
        assert!(found > 100, "the bundled data has pairs with rules");
    }

    /// The filter of ancestors only answers "surely not" early: every pair of concepts gets
    /// the same answer with it as from the search alone, and some pairs get each answer.
    #[test]
    fn the_ancestor_filter_changes_no_answer() {
        let kb = KnowledgeBase::bundled();
        let index = Index::compile(kb.model(), kb.graph());
        let n = kb.model().concepts.len() as u32;
        let (mut yes, mut no) = (0, 0);
        for c in (0..n).map(ConceptId) {
            for of in (0..n).map(ConceptId) {
                let is_a = index.is_a(c, of);
                assert_eq!(index.is_a_seldom(c, of), is_a, "{c:?} {of:?}");
                if is_a { yes += 1 } else { no += 1 }
            }
        }
        assert!(yes > n && no > 0, "memberships beyond each concept itself");
    }

    /// A concept's group memberships are those of the concept and then of each ingredient, as
    /// the check used to gather them, and the bundled data has some through an ingredient.
    #[test]
    fn group_members_are_the_atoms_groups() {
        let kb = KnowledgeBase::bundled();
        let index = Index::compile(kb.model(), kb.graph());
        let mut through_ingredient = 0;
        for (i, c) in kb.model().concepts.iter().enumerate() {
            let id = ConceptId(i as u32);
            let mut expected = Vec::new();
            for &a in index.atoms(id) {
                expected.extend(index.group_rules(a).iter().map(|&r| (r, a)));
            }
            through_ingredient += expected.iter().filter(|(_, a)| *a != id).count();
            assert_eq!(index.group_members(id), &expected[..], "{}", c.id);
        }
        assert!(through_ingredient > 0);
    }

    /// An item's standing monitoring is each atom's requirements in data order, atom by atom,
    /// and the bundled data has an item that calls for one (methadone's ECG).
    #[test]
    fn standing_monitoring_is_each_atoms_in_turn() {
        let kb = KnowledgeBase::bundled();
        let (model, graph) = (kb.model(), kb.graph());
        let index = Index::compile(model, graph);
        let mut calling = 0;
        for (i, c) in model.concepts.iter().enumerate() {
            let id = ConceptId(i as u32);
            let mut expected = Vec::new();
            for &a in index.atoms(id) {
                if index.kind(a) == ConceptKind::Class {
                    continue;
                }
                for (m, req) in model.monitoring.iter().enumerate() {
                    if req.standing.iter().any(|&s| graph.members(s).contains(&a)) {
                        expected.push(MonitoringId(m as u32));
                    }
                }
            }
            let got: Vec<MonitoringId> = index.standing_monitoring(id).copied().collect();
            calling += usize::from(!got.is_empty());
            assert_eq!(got, expected, "{}", c.id);
        }
        assert!(calling > 0);
    }

    /// A concept's substances are a substance itself and a product's ingredients, in order.
    #[test]
    fn substances_are_the_ingredients() {
        let kb = KnowledgeBase::bundled();
        let index = Index::compile(kb.model(), kb.graph());
        for (i, c) in kb.model().concepts.iter().enumerate() {
            let id = ConceptId(i as u32);
            let expected: Vec<ConceptId> = match &c.detail {
                Detail::Substance(_) => vec![id],
                Detail::Product(p) => p.ingredients.iter().map(|i| i.substance).collect(),
                _ => Vec::new(),
            };
            assert_eq!(index.substances(id), &expected[..], "{}", c.id);
        }
    }
}
