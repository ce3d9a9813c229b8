//! Stage 4: the compiled lookup index.
//!
//! Compiled once from the [`Model`] and its [`ConceptGraph`], immutable afterwards. Class
//! membership is flattened at compile time, so that asking which interaction rules hold between
//! two concrete concepts (substances, products, therapies, conditions) is one hash probe on the
//! pair, whatever classes the rules were written on.

use rustc_hash::FxHashMap;

use crate::graph::ConceptGraph;
use crate::model::{ConceptId, ConceptKind, Detail, Model, Range, RuleId, RuleKind, name_key};
use crate::vocab::Route;

/// A rule found for a pair of concepts, and which concept matched which endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit(u32);

const LOW_IS_A: u32 = 1 << 30;
const LOW_IS_B: u32 = 1 << 31;
const RULE_MASK: u32 = LOW_IS_A - 1;

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
}

/// The compiled index.
#[derive(Debug)]
pub struct Index {
    names: FxHashMap<Box<str>, ConceptId>,
    kinds: Vec<ConceptKind>,
    ancestors: Vec<Box<[ConceptId]>>,
    pairs: FxHashMap<u64, (u32, u32)>,
    hits: Vec<Hit>,
    unary: Vec<Box<[RuleId]>>,
    derived: Vec<(ConceptId, Range)>,
    limits: FxHashMap<ConceptId, Box<[u32]>>,
    conversions: FxHashMap<(ConceptId, Route), u32>,
    opioids: FxHashMap<ConceptId, ()>,
}

/// The class whose substance members are counted toward opioid MME.
pub const OPIOID_CLASS: &str = "opioid";

/// Most rules fit in the 30 bits a [`Hit`] keeps for the rule.
pub const MAX_RULES: usize = RULE_MASK as usize;

fn pair_key(x: ConceptId, y: ConceptId) -> u64 {
    ((x.0 as u64) << 32) | y.0 as u64
}

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

        let mut names = FxHashMap::default();
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
                names.entry(key.as_str().into()).or_insert(id);
            }
        }

        let mut entries: Vec<(u64, u32)> = Vec::new();
        let mut unary: Vec<Vec<RuleId>> = vec![Vec::new(); n];
        for (ri, rule) in model.rules.iter().enumerate() {
            let rid = RuleId(ri as u32);
            match rule.kind {
                RuleKind::Interaction { a, b } => {
                    for &x in graph.members(a.concept).iter().filter(|c| concrete(**c)) {
                        for &y in graph.members(b.concept).iter().filter(|c| concrete(**c)) {
                            if x == y {
                                continue;
                            }
                            let (lo, hi, bit) = if x < y {
                                (x, y, LOW_IS_A)
                            } else {
                                (y, x, LOW_IS_B)
                            };
                            entries.push((pair_key(lo, hi), ri as u32 | bit));
                        }
                    }
                }
                RuleKind::Accumulation { class: s, .. }
                | RuleKind::Duplication { class: s }
                | RuleKind::Pharmacogenomic { subject: s, .. }
                | RuleKind::CrossSensitivity { subject: s, .. } => {
                    for &m in graph.members(s).iter().filter(|c| concrete(**c)) {
                        unary[m.0 as usize].push(rid);
                    }
                }
            }
        }
        entries.sort_unstable();
        let mut pairs: FxHashMap<u64, (u32, u32)> = FxHashMap::default();
        pairs.reserve(entries.len());
        let mut hits: Vec<Hit> = Vec::with_capacity(entries.len());
        let mut i = 0;
        while i < entries.len() {
            let key = entries[i].0;
            let start = hits.len() as u32;
            while i < entries.len() && entries[i].0 == key {
                let rule = entries[i].1 & RULE_MASK;
                let mut bits = 0;
                while i < entries.len() && entries[i].0 == key && entries[i].1 & RULE_MASK == rule {
                    bits |= entries[i].1 & !RULE_MASK;
                    i += 1;
                }
                hits.push(Hit(rule | bits));
            }
            pairs.insert(key, (start, hits.len() as u32 - start));
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
        let mut limits: FxHashMap<ConceptId, Vec<u32>> = FxHashMap::default();
        for (i, l) in model.dose_limits.iter().enumerate() {
            limits.entry(l.substance).or_default().push(i as u32);
        }
        let mut conversions = FxHashMap::default();
        let mut opioids = FxHashMap::default();
        for (i, c) in model.opioid_conversions.iter().enumerate() {
            conversions.insert((c.substance, c.route), i as u32);
            opioids.insert(c.substance, ());
        }
        // Members of the class `opioid` count toward MME too, so that an opioid missing from
        // the conversion table makes the total incomplete instead of silently lower.
        if let Some(class) = names
            .get(OPIOID_CLASS)
            .filter(|c| kinds[c.0 as usize] == ConceptKind::Class)
        {
            for &m in graph.members(*class) {
                if kinds[m.0 as usize] == ConceptKind::Substance {
                    opioids.insert(m, ());
                }
            }
        }
        Index {
            names,
            kinds,
            ancestors: (0..n)
                .map(|i| graph.ancestors(ConceptId(i as u32)).into())
                .collect(),
            pairs,
            hits,
            unary: unary.into_iter().map(Into::into).collect(),
            derived,
            limits: limits.into_iter().map(|(k, v)| (k, v.into())).collect(),
            conversions,
            opioids,
        }
    }

    /// Looks a name up: an id, display name, synonym or brand, any case and punctuation, or
    /// `rxnorm:CODE`.
    pub fn resolve(&self, name: &str) -> Option<ConceptId> {
        let mut buf = [0u8; 128];
        if name.len() <= buf.len() && name.is_ascii() {
            let mut len = 0;
            let mut gap = false;
            for &b in name.as_bytes() {
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
            let key = std::str::from_utf8(&buf[..len]).ok()?;
            return self.names.get(key).copied();
        }
        let mut key = String::new();
        name_key(name, &mut key);
        self.names.get(key.as_str()).copied()
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

    /// Interaction rules between two different concrete concepts, in either order.
    /// When `x > y` the orientation bits of the hits refer to `y` as the lower one.
    pub fn pair(&self, x: ConceptId, y: ConceptId) -> &[Hit] {
        let (lo, hi) = if x < y { (x, y) } else { (y, x) };
        match self.pairs.get(&pair_key(lo, hi)) {
            Some(&(start, len)) => &self.hits[start as usize..(start + len) as usize],
            None => &[],
        }
    }

    /// Accumulation, duplication, pharmacogenomic and cross-sensitivity rules whose class or
    /// subject `c` belongs to.
    pub fn unary(&self, c: ConceptId) -> &[RuleId] {
        &self.unary[c.0 as usize]
    }

    /// Conditions set from the patient's age, with their age ranges.
    pub fn age_conditions(&self) -> &[(ConceptId, Range)] {
        &self.derived
    }

    /// Indexes into [`Model::dose_limits`] for a substance.
    pub fn dose_limits(&self, substance: ConceptId) -> &[u32] {
        self.limits.get(&substance).map_or(&[], |v| v)
    }

    /// Index into [`Model::opioid_conversions`] for a substance and route.
    pub fn conversion(&self, substance: ConceptId, route: Route) -> Option<u32> {
        self.conversions.get(&(substance, route)).copied()
    }

    /// True when the substance has an MME entry for any route (it is an opioid for MME).
    pub fn is_opioid(&self, substance: ConceptId) -> bool {
        self.opioids.contains_key(&substance)
    }

    /// Number of concrete pairs with at least one rule.
    pub fn pair_count(&self) -> usize {
        self.pairs.len()
    }
}
