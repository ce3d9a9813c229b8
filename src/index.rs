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
/// Set on every hit of a pair but its last, so that a pair's slot needs only where they start.
const MORE: u32 = 1 << 29;
const RULE_MASK: u32 = MORE - 1;

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
    /// Every name key (bytes, so a lookup need not check UTF-8 again) to its concept.
    names: FxHashMap<Box<[u8]>, ConceptId>,
    /// Each concept's atoms, the concepts an item of it brings into a regimen (itself, and a
    /// product's ingredients), as ranges of `atoms`.
    atom_ranges: Vec<(u32, u32)>,
    atoms: Vec<ConceptId>,
    kinds: Vec<ConceptKind>,
    ancestors: Vec<Box<[ConceptId]>>,
    pairs: PairTable,
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

/// The pairs of concrete concepts that have interaction rules: an open-addressing table of
/// 64-byte buckets (one cache line), each with four `(low, high, first hit)` slots and a byte
/// of hash per slot, filled to at most 70%. A pair hashes to a bucket and is in it unless the
/// bucket overflowed; the four hash bytes are compared at once, so a pair without a rule, which
/// is most pairs, costs one hash, one cache line and a few instructions.
#[derive(Debug, Default)]
struct PairTable {
    buckets: Box<[Bucket]>,
    len: usize,
}

const SLOTS: usize = 4;
const LANES: u64 = 0x0101_0101;
const HIGHS: u64 = 0x8080_8080;

#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
struct Bucket {
    /// One byte of hash per slot (never zero; zero is an empty slot) in the low four bytes, and
    /// 1 in the fifth when a pair that hashed here was put in a later bucket.
    meta: u64,
    low: [u32; SLOTS],
    high: [u32; SLOTS],
    first: [u32; SLOTS],
}

impl PairTable {
    fn with_pairs(pairs: usize) -> PairTable {
        let buckets = (pairs * 10 / 7 / SLOTS + 1).max(2);
        let empty = Bucket {
            meta: 0,
            low: [0; SLOTS],
            high: [0; SLOTS],
            first: [0; SLOTS],
        };
        PairTable {
            buckets: vec![empty; buckets].into(),
            len: 0,
        }
    }

    /// The bucket `(low, high)` hashes to, and its byte of hash (1 to 255).
    #[inline]
    fn hash(&self, low: u32, high: u32) -> (usize, u64) {
        let h = (((low as u64) << 32) | high as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let h = h ^ (h >> 29);
        let bucket = ((h as u128 * self.buckets.len() as u128) >> 64) as usize;
        (bucket, (h & 0xFF).max(1))
    }

    /// Adds a pair that is not in the table yet.
    fn insert(&mut self, low: u32, high: u32, first: u32) {
        let (mut i, tag) = self.hash(low, high);
        loop {
            let b = &mut self.buckets[i];
            if let Some(k) = (0..SLOTS).find(|k| (b.meta >> (8 * k)) & 0xFF == 0) {
                b.meta |= tag << (8 * k);
                b.low[k] = low;
                b.high[k] = high;
                b.first[k] = first;
                self.len += 1;
                return;
            }
            b.meta |= 1 << 32;
            i = if i + 1 == self.buckets.len() {
                0
            } else {
                i + 1
            };
        }
    }

    /// Reads the bucket `(low, high)` hashes to, so that a lookup soon after finds it in cache.
    #[inline]
    fn touch(&self, low: u32, high: u32) -> u64 {
        self.buckets[self.hash(low, high).0].meta
    }

    #[inline]
    fn get(&self, low: u32, high: u32) -> Option<u32> {
        let (mut i, tag) = self.hash(low, high);
        loop {
            let b = &self.buckets[i];
            // Bytes of `meta` equal to `tag` become zero; find zero bytes among the four.
            let x = (b.meta & 0xFFFF_FFFF) ^ (tag * LANES);
            let mut found = x.wrapping_sub(LANES) & !x & HIGHS;
            while found != 0 {
                let k = found.trailing_zeros() as usize / 8;
                if b.low[k] == low && b.high[k] == high {
                    return Some(b.first[k]);
                }
                found &= found - 1;
            }
            if b.meta >> 32 == 0 {
                return None;
            }
            i = if i + 1 == self.buckets.len() {
                0
            } else {
                i + 1
            };
        }
    }
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
        for (ri, rule) in model.rules.iter().enumerate() {
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
        let mut hits: Vec<Hit> = Vec::with_capacity(entries.len());
        let mut firsts: Vec<(u32, u32, u32)> = Vec::new();
        for lo in 0..n {
            let bucket = &mut entries[start[lo]..start[lo + 1]];
            bucket.sort_unstable();
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
        for (lo, hi, first) in firsts {
            pairs.insert(lo, hi, first);
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
            .get(OPIOID_CLASS.as_bytes())
            .filter(|c| kinds[c.0 as usize] == ConceptKind::Class)
        {
            for &m in graph.members(*class) {
                if kinds[m.0 as usize] == ConceptKind::Substance {
                    opioids.insert(m, ());
                }
            }
        }
        let mut atoms = Vec::with_capacity(n);
        let mut atom_ranges = Vec::with_capacity(n);
        for (i, c) in model.concepts.iter().enumerate() {
            let start = atoms.len() as u32;
            atoms.push(ConceptId(i as u32));
            if let Detail::Product(p) = &c.detail {
                atoms.extend(p.ingredients.iter().map(|i| i.substance));
            }
            atom_ranges.push((start, atoms.len() as u32));
        }
        Index {
            names,
            atom_ranges,
            atoms,
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
        let bytes = name.as_bytes();
        // Already a key (an id, as most machine-written regimens give): look it up as it is.
        let canonical = !bytes.is_empty()
            && bytes[0] != b'-'
            && bytes[bytes.len() - 1] != b'-'
            && bytes.windows(2).all(|w| w != b"--")
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        if canonical {
            return self.names.get(bytes).copied();
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
            return self.names.get(&buf[..len]).copied();
        }
        let mut key = String::new();
        name_key(name, &mut key);
        self.names.get(key.as_bytes()).copied()
    }

    /// The concepts an item of concept `c` brings into a regimen: `c` itself, and, for a
    /// product, its ingredients.
    #[inline]
    pub fn atoms(&self, c: ConceptId) -> &[ConceptId] {
        let (start, end) = self.atom_ranges[c.0 as usize];
        &self.atoms[start as usize..end as usize]
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
    #[inline]
    pub fn pair(&self, x: ConceptId, y: ConceptId) -> &[Hit] {
        let (lo, hi) = if x < y { (x, y) } else { (y, x) };
        match self.pairs.get(lo.0, hi.0) {
            Some(first) => {
                let first = first as usize;
                let mut end = first + 1;
                while self.hits[end - 1].0 & MORE != 0 {
                    end += 1;
                }
                &self.hits[first..end]
            }
            None => &[],
        }
    }

    /// Loads the part of the pair table that [`Index::pair`] reads for `x` and `y`, and returns
    /// a value that depends on it. Touching every pair of a regimen before looking any up lets
    /// the processor fetch them all at once instead of one cache miss after another.
    #[inline]
    pub fn touch_pair(&self, x: ConceptId, y: ConceptId) -> u64 {
        let (lo, hi) = if x < y { (x, y) } else { (y, x) };
        self.pairs.touch(lo.0, hi.0)
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
        self.pairs.len
    }
}
