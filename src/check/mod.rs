//! Stage 5: checking a regimen against the compiled index.
//!
//! Resolves every name, then looks for interactions between every pair of items (one index
//! probe per pair of concepts), accumulations and duplications, conditions, allergies,
//! pharmacogenomic rules and doses, and hands the findings to a [`Report`].

mod dose;
mod scratch;

use crate::index::{Index, PartnerColumn, Rank, concept_bit};
use crate::model::{ConceptId, ConceptKind, Endpoint, Model, RuleId, RuleKind};
use crate::regimen::{Item, Regimen, RegimenId};
use crate::report::words::Unknown;
use crate::report::{Finding, Items, Order, Report, Resolved, Skipped};
use crate::vocab::{FindingKind, Route, Severity};
use scratch::Scratch;
pub(crate) use scratch::give_back_findings;

pub use dose::crcl_cockcroft_gault;

/// Why a regimen could not be checked. No report is produced.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// A dose whose unit cannot apply to the item (`tablet` for a substance with no product
    /// strength, `mcg/h` for an oral tablet).
    #[error("items[{index}] ({id}).dose.unit: {message}")]
    UnitNotApplicable {
        /// Position of the item.
        index: usize,
        /// The item as given.
        id: String,
        /// Why.
        message: String,
    },
    /// A route that cannot apply to the item (`transdermal` for an oral tablet).
    #[error("items[{index}] ({id}).route: {message}")]
    RouteNotApplicable {
        /// Position of the item.
        index: usize,
        /// The item as given.
        id: String,
        /// Why.
        message: String,
    },
}

/// A regimen item that resolved to a concept.
#[derive(Clone, Debug)]
pub(crate) struct Known<'a> {
    /// Position in the regimen.
    pub input: usize,
    pub item: &'a Item,
    pub concept: ConceptId,
    pub id: &'a str,
    /// The rank of `id` among concept ids.
    pub rank: Rank,
    /// The route: given, or the product's, or implied by a transdermal rate.
    pub route: Option<Route>,
    /// First duplicate of the same concept, if this one repeats an earlier item.
    pub repeat_of: Option<usize>,
}

pub use crate::vocab::builtin;

/// The ranks of the built-in rule ids, looked up once per knowledge base.
#[derive(Clone, Copy)]
pub(crate) struct Ids<'a>(&'a [Rank]);

impl<'a> Ids<'a> {
    pub(crate) fn new(model: &Model, index: &'a Index) -> Ids<'a> {
        Ids(index.builtin_ranks(model))
    }

    /// The rank of a built-in rule id (one of [`builtin::ALL`]).
    pub(crate) fn rank(self, id: &str) -> Rank {
        match builtin::ALL.iter().position(|b| *b == id) {
            Some(i) => self.0[i],
            None => Rank::UNKNOWN,
        }
    }
}

/// Room for the findings of a check of `regimen`, so that the list seldom grows (growing copies
/// every finding made so far, and where the allocator cannot extend the block in place, a
/// large copy): one finding an item and one for every four pairs of items, at least 16
/// (1,920 bytes) and at most 512, or 8 (960 bytes) for a regimen of four items or fewer, which
/// seldom has more and which the allocator then serves from its small, fast bins. Generated
/// regimens of 10 / 20 / 50 items give up to about 19 / 44 / 204 findings; room is 22 / 70 /
/// 362.
fn findings_room(regimen: &Regimen) -> usize {
    match regimen.items.len() {
        0..=4 => 8,
        n => (n + n * n / 8).clamp(16, 512),
    }
}

/// Up to how many distinct items the pairs of a regimen are listed without a branch on each
/// pair's partner bit ([`Checker::list_pairs`]).
const BRANCHLESS_ITEMS: usize = 64;

/// The room that listing takes at most, `n * (n - 1) / 2` pairs: under 16 KiB, kept on the
/// thread between checks.
const BRANCHLESS_PAIRS: usize = BRANCHLESS_ITEMS * (BRANCHLESS_ITEMS - 1) / 2;

/// Whether the pairs of `n` distinct items are listed without a branch on each pair's bit
/// ([`Checker::list_pairs`]): up to [`BRANCHLESS_ITEMS`], on a pair table small enough to stay
/// in cache. On a large one, the branch is where each listed pair's slots are touched ahead,
/// which measured better there (fewer instructions, no slower over different regimens).
#[inline]
fn lists_without_branches(n: usize, large_table: bool) -> bool {
    #[cfg(test)]
    if let Some(forced) = tests::LIST_WITHOUT_BRANCHES.with(std::cell::Cell::get) {
        return forced;
    }
    n <= BRANCHLESS_ITEMS && !large_table
}

/// Checks a regimen. Fails only on input that cannot apply to the items it names.
pub fn check<'a>(
    model: &'a Model,
    index: &'a Index,
    regimen: &'a Regimen,
) -> Result<Report<'a>, CheckError> {
    let f = find(model, index, regimen, Names::Listed)?;
    Ok(Report::new(model, f.id, f.resolved, f.findings, f.skipped))
}

/// Whether a report lists what each name of the regimen resolved to ([`Report::resolved`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Names {
    /// Listed, as every report a caller is given has them.
    Listed,
    /// Left out, for a report only ever written in a form that does not show them (a compact
    /// screening line): their list is neither built nor allocated.
    Unlisted,
}

/// [`check`] without the names, for a report that is written once in compact form and
/// dropped: its findings are left in the order they were made when their canonical order can
/// be given beside them instead ([`Report::keyed`]).
pub(crate) fn check_keyed<'a>(
    model: &'a Model,
    index: &'a Index,
    regimen: &'a Regimen,
) -> Result<(Report<'a>, Option<Order>), CheckError> {
    let f = find(model, index, regimen, Names::Unlisted)?;
    Ok(Report::keyed(
        model, f.id, f.resolved, f.findings, f.skipped,
    ))
}

/// What a check found, before it is put in order.
struct Found<'a> {
    id: Option<&'a RegimenId>,
    resolved: Vec<Resolved<'a>>,
    findings: Vec<Finding<'a>>,
    skipped: Vec<Skipped<'a>>,
}

/// Runs the checks.
#[inline(always)]
fn find<'a>(
    model: &'a Model,
    index: &'a Index,
    regimen: &'a Regimen,
    names: Names,
) -> Result<Found<'a>, CheckError> {
    let mut spare = Scratch::take();
    let mut known = std::mem::take(&mut spare.known);
    known.reserve(regimen.items.len());
    let mut c = Checker {
        model,
        index,
        ids: Ids::new(model, index),
        findings: scratch::findings(findings_room(regimen)),
        resolved: match names {
            Names::Listed => Vec::with_capacity(
                regimen.items.len()
                    + regimen.patient.conditions.len()
                    + regimen.patient.allergies.len(),
            ),
            Names::Unlisted => Vec::new(),
        },
        names,
        known,
        conditions: Vec::new(),
        spare,
    };
    c.resolve_items(regimen)?;
    c.conditions = c.resolve_conditions(regimen);
    let allergies = c.resolve_allergies(regimen);
    c.duplicates();
    c.pairs();
    c.groups();
    c.condition_rules();
    c.allergies(&allergies);
    c.pharmacogenomics(regimen);
    c.standing_monitoring();
    let mut skipped = dose::check(&mut c, regimen);
    // A phenotype no rule reads (a misspelt gene, or one the data does not cover) was not
    // checked against anything: say so rather than pass it over.
    for gene in regimen.patient.phenotypes.keys() {
        if !index.knows_gene(gene) {
            skipped.push(Skipped::new(
                gene,
                &["pharmacogenomic"][..],
                format!(
                    "no rule in the knowledge base reads gene `{gene}`, so its phenotype was not \
                     checked"
                ),
            ));
        }
    }
    let Checker {
        findings,
        resolved,
        known,
        conditions,
        mut spare,
        ..
    } = c;
    spare.known = known;
    spare.conditions = conditions;
    spare.give_back();
    Ok(Found {
        id: regimen.id.as_ref(),
        resolved,
        findings,
        skipped,
    })
}

struct Checker<'a> {
    model: &'a Model,
    index: &'a Index,
    ids: Ids<'a>,
    findings: Vec<Finding<'a>>,
    resolved: Vec<Resolved<'a>>,
    /// Whether `resolved` is kept.
    names: Names,
    known: Vec<Known<'a>>,
    /// The patient's conditions, given and set from age.
    conditions: Vec<ConceptId>,
    /// Lists the check works in, kept between checks.
    spare: Scratch<'a>,
}

impl<'a> Checker<'a> {
    fn concept_id(&self, c: ConceptId) -> &'a str {
        &self.model.concept(c).id
    }

    fn named(&self, c: ConceptId) -> (&'a str, Rank) {
        (self.concept_id(c), self.index.concept_rank(c))
    }

    fn unknown(&mut self, rule: &'static str, input: &'a str, severity: Severity, why: Unknown) {
        let rank = self.ids.rank(rule);
        self.findings
            .push(Finding::unknown(rule, rank, input, severity, why));
    }

    /// Lists what a name resolved to, when the report lists names.
    #[inline]
    fn resolved_as(&mut self, r: Resolved<'a>) {
        if self.names == Names::Listed {
            self.resolved.push(r);
        }
    }

    fn resolve_items(&mut self, regimen: &'a Regimen) -> Result<(), CheckError> {
        // The concepts of the items so far as a filter (`concept_bit`): a clear bit rules out
        // a repeat without a scan of them.
        let mut seen = 0u64;
        for (i, item) in regimen.items.iter().enumerate() {
            let found = self.index.resolve(&item.id);
            let kind = found.map(|c| self.index.kind(c));
            self.resolved_as(Resolved {
                role: "item",
                input: &item.id,
                id: found
                    .filter(|_| kind.is_some_and(ConceptKind::is_item))
                    .map(|c| self.concept_id(c)),
                kind: kind.map(ConceptKind::as_str),
            });
            let concept = match (found, kind) {
                (Some(c), Some(k)) if k.is_item() => c,
                (Some(_), Some(k)) => {
                    let why = Unknown::NotAnItem(k);
                    self.unknown(builtin::UNKNOWN_ITEM, &item.id, Severity::Major, why);
                    continue;
                }
                _ => {
                    let why = Unknown::Item;
                    self.unknown(builtin::UNKNOWN_ITEM, &item.id, Severity::Major, why);
                    continue;
                }
            };
            let route = dose::item_route(self.model, i, item, concept)?;
            let bit = concept_bit(concept);
            let repeat_of = if seen & bit == 0 {
                None
            } else {
                self.known.iter().position(|k| k.concept == concept)
            };
            seen |= bit;
            let (id, rank) = self.named(concept);
            self.known.push(Known {
                input: i,
                item,
                concept,
                id,
                rank,
                route,
                repeat_of,
            });
        }
        Ok(())
    }

    /// Patient conditions, resolved, plus those set from the patient's age.
    fn resolve_conditions(&mut self, regimen: &'a Regimen) -> Vec<ConceptId> {
        let mut out = std::mem::take(&mut self.spare.conditions);
        for input in &regimen.patient.conditions {
            let found = self.index.resolve(input);
            let kind = found.map(|c| self.index.kind(c));
            let ok = found.filter(|_| kind == Some(ConceptKind::Condition));
            self.resolved_as(Resolved {
                role: "condition",
                input,
                id: ok.map(|c| self.concept_id(c)),
                kind: kind.map(ConceptKind::as_str),
            });
            match ok {
                Some(c) => out.push(c),
                None => self.unknown(
                    builtin::UNKNOWN_CONDITION,
                    input,
                    Severity::Moderate,
                    Unknown::Condition,
                ),
            }
        }
        if let Some(age) = regimen.patient.age_years {
            for (c, range) in self.index.age_conditions() {
                if range.contains(age) {
                    out.push(*c);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn resolve_allergies(&mut self, regimen: &'a Regimen) -> Vec<ConceptId> {
        let mut out = Vec::new();
        for input in &regimen.patient.allergies {
            let found = self.index.resolve(input);
            let kind = found.map(|c| self.index.kind(c));
            let ok = found.filter(|_| {
                matches!(
                    kind,
                    Some(ConceptKind::Substance | ConceptKind::Class | ConceptKind::Product)
                )
            });
            self.resolved_as(Resolved {
                role: "allergy",
                input,
                id: ok.map(|c| self.concept_id(c)),
                kind: kind.map(ConceptKind::as_str),
            });
            match ok {
                Some(c) => out.push(c),
                // Major, as an unknown item is: the allergy was not checked against anything,
                // and a missed allergy is the all-clear that hurts. (An unknown condition stays
                // moderate: problem lists are long, and most of their entries bear on no rule.)
                None => self.unknown(
                    builtin::UNKNOWN_ALLERGY,
                    input,
                    Severity::Major,
                    Unknown::Allergy,
                ),
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn duplicates(&mut self) {
        // The same concept listed more than once.
        let mut repeated: Vec<(usize, Vec<&'a str>)> = Vec::new();
        for k in &self.known {
            if let Some(first) = k.repeat_of {
                match repeated.iter_mut().find(|r| r.0 == first) {
                    Some(r) => r.1.push(&k.item.id),
                    None => repeated.push((first, vec![&self.known[first].item.id, &k.item.id])),
                }
            }
        }
        for (first, inputs) in repeated {
            let (id, rank) = (self.known[first].id, self.known[first].rank);
            let mut quoted: Vec<String> = inputs.iter().map(|s| format!("\"{s}\"")).collect();
            quoted.sort_unstable(); // the report must not depend on item order
            let summary = format!(
                "`{id}` is listed {} times (as {})",
                inputs.len(),
                quoted.join(", ")
            );
            let rule = builtin::DUPLICATE_ITEM;
            self.findings.push(Finding::duplicate(
                rule,
                self.ids.rank(rule),
                (id, rank),
                summary,
            ));
        }
    }

    fn route_ok(e: Endpoint, route: Option<Route>) -> bool {
        // An unknown route matches: a rule is not silently skipped for want of a route.
        e.route.is_none() || route.is_none() || e.route == route
    }

    /// Rules that hold between two items (or an item and a condition), over every pair of
    /// their atoms, route-checked, deduplicated and with less specific rules dropped where a
    /// more specific one matched. One index probe per pair of atoms; nothing is allocated unless
    /// a rule matches.
    fn pair_rules(
        &self,
        (cx, rx): (ConceptId, Option<Route>),
        (cy, ry): (ConceptId, Option<Route>),
        out: &mut Vec<RuleId>,
    ) {
        out.clear();
        // The rules of one pair of atoms whose hits are settled need nothing more.
        let mut lists = 0;
        let mut settled = true;
        for &x in self.index.probe_atoms(cx) {
            for &y in self.index.probe_atoms(cy) {
                // The partner bit inline: most pairs of a product's atoms end there, without
                // a call.
                if x != y && self.index.may_pair(x, y) {
                    let hits = self.index.pair_probed(x, y);
                    if let Some(first) = hits.first() {
                        lists += 1;
                        settled &= first.settled();
                        self.fitting((x, rx), (y, ry), hits, out);
                    }
                }
            }
        }
        if lists > 1 || !settled {
            self.settle(out);
        }
    }

    /// Adds to `out` the rules among `hits` (the index's hits for atoms `x` and `y`) whose routes
    /// fit and whose required conditions the patient has.
    fn fitting(
        &self,
        (x, rx): (ConceptId, Option<Route>),
        (y, ry): (ConceptId, Option<Route>),
        hits: &[crate::index::Hit],
        out: &mut Vec<RuleId>,
    ) {
        for hit in hits {
            // Most rules have no route and no required condition: settled from the
            // index's byte of facts, without reading the rule itself.
            let facts = self.index.rule_facts(hit.rule());
            let fits = !facts.has_route() || {
                let (x_is_a, y_is_a) = if x < y {
                    (hit.low_is_a(), hit.low_is_b())
                } else {
                    (hit.low_is_b(), hit.low_is_a())
                };
                let RuleKind::Interaction { a, b } = self.model.rule(hit.rule()).kind else {
                    continue;
                };
                (x_is_a && Self::route_ok(a, rx) && Self::route_ok(b, ry))
                    || (y_is_a && Self::route_ok(a, ry) && Self::route_ok(b, rx))
            };
            if fits && self.applies_by_facts(hit.rule()) {
                out.push(hit.rule());
            }
        }
    }

    /// Sorts the rules of a pair, without repeats, and drops those a more specific one refines.
    fn settle(&self, out: &mut Vec<RuleId>) {
        if out.len() > 1 {
            out.sort_unstable();
            out.dedup();
            self.drop_refined(out);
        }
    }

    /// Drops every rule another rule in `rules` refines (refinement is transitive, so marking
    /// first and dropping after gives the same as comparing with the full set).
    fn drop_refined(&self, rules: &mut Vec<RuleId>) {
        if rules.len() < 2 {
            return;
        }
        if rules.len() <= 64 {
            // Mark in a word; a pair of items rarely has more than a few rules.
            let mut marks = 0u64;
            self.mark_refined(rules, |k| marks |= 1 << k);
            if marks != 0 {
                let mut k = 0;
                rules.retain(|_| {
                    k += 1;
                    marks & (1 << (k - 1)) == 0
                });
            }
            return;
        }
        let mut marks = vec![false; rules.len()];
        self.mark_refined(rules, |k| marks[k] = true);
        let mut k = 0;
        rules.retain(|_| {
            k += 1;
            !marks[k - 1]
        });
    }

    /// Gives `mark` the position of every rule in `rules` that another refines (see
    /// [`Index::each_refinement`]).
    #[inline]
    fn mark_refined(&self, rules: &[RuleId], mut mark: impl FnMut(usize)) {
        self.index.each_refinement(
            self.model,
            rules.len(),
            |k| rules[k],
            |_, refinee| mark(refinee),
        );
    }

    /// [`Checker::applies`], settled without reading the rule when it requires nothing.
    fn applies_by_facts(&self, rule: RuleId) -> bool {
        !self.index.rule_facts(rule).has_requires() || self.applies(rule)
    }

    /// True when the patient has every condition the rule requires.
    fn applies(&self, rule: RuleId) -> bool {
        self.model
            .rule(rule)
            .requires
            .iter()
            .all(|c| self.conditions.iter().any(|p| self.index.is_a(*p, *c)))
    }

    #[inline]
    fn rule_finding(&self, kind: FindingKind, rule: RuleId, items: Items<'a>) -> Finding<'a> {
        Finding::of_rule(
            kind,
            self.model.rule(rule),
            self.index.rule_facts(rule).severity(),
            self.index.rule_rank(rule),
            items,
        )
    }

    /// Every route an item is listed with (an item listed twice by two routes matches a
    /// route-limited rule if either entry does, whichever comes first), sorted.
    fn routes_of(&self, i: usize) -> Vec<Option<Route>> {
        let mut routes: Vec<Option<Route>> = self
            .known
            .iter()
            .enumerate()
            .filter(|(j, o)| *j == i || o.repeat_of == Some(i))
            .map(|(_, o)| o.route)
            .collect();
        routes.sort_unstable();
        routes.dedup();
        routes
    }

    /// [`Checker::pair_rules`] over every route each side is listed with; the common case (no
    /// item listed twice) is one call.
    fn pair_rules_any_route(
        &self,
        (i, ci): (usize, ConceptId),
        y: (Option<usize>, ConceptId, Option<Route>),
        repeats: bool,
        out: &mut Vec<RuleId>,
    ) {
        let (j, cy, ry) = y;
        if !repeats {
            return self.pair_rules((ci, self.known[i].route), (cy, ry), out);
        }
        let routes_y = j.map_or_else(|| vec![ry], |j| self.routes_of(j));
        let mut all = Vec::new();
        for rx in self.routes_of(i) {
            for &ry in &routes_y {
                self.pair_rules((ci, rx), (cy, ry), out);
                all.extend_from_slice(out);
            }
        }
        all.sort_unstable();
        all.dedup();
        self.drop_refined(&mut all);
        *out = all;
    }

    fn pairs(&mut self) {
        let repeats = self.known.iter().any(|k| k.repeat_of.is_some());
        let mut rules = std::mem::take(&mut self.spare.rules);
        // The items listed once (a repeat is checked through its first listing), each with its
        // concept's column of the partner matrix, worked out once rather than once a pair.
        let mut columns = std::mem::take(&mut self.spare.columns);
        columns.extend(
            self.known
                .iter()
                .enumerate()
                .filter(|(_, k)| k.repeat_of.is_none())
                .map(|(j, k)| (j as u32, PartnerColumn::of(k.concept))),
        );
        let mut listed = std::mem::take(&mut self.spare.pairs);
        self.list_pairs(&columns, &mut listed);
        for &(i, j) in &listed {
            self.item_pair(i as usize, j as usize, repeats, &mut rules);
        }
        listed.clear();
        self.spare.pairs = listed;
        columns.clear();
        self.spare.columns = columns;
        self.spare.rules = rules;
    }

    /// Lists the pairs of `columns` (items listed once, each with its column of the partner
    /// matrix) whose partner bit is set, as pairs of positions in `known`, row by row: most
    /// pairs of items end on that bit.
    #[inline(always)]
    fn list_pairs(&self, columns: &[(u32, PartnerColumn)], listed: &mut Vec<(u32, u32)>) {
        let n = columns.len();
        let large = self.index.pairs_are_large();
        if lists_without_branches(n, large) {
            // Every pair is written, and kept by counting it when its bit is set. A branch on
            // the bit would be a guess, which a regimen the processor has not seen before
            // makes it get wrong about as often as bits are set.
            listed.resize(n * n.saturating_sub(1) / 2, (0, 0));
            let mut len = 0;
            for (a, &(i, _)) in columns.iter().enumerate() {
                let partners = self.index.partners_of(self.known[i as usize].concept);
                for &(j, col) in &columns[a + 1..] {
                    listed[len] = (i, j);
                    len += usize::from(partners.may_at(col));
                }
            }
            listed.truncate(len);
            return;
        }
        // On a large pair table, each listed pair's slots are touched on the way: independent
        // loads the processor overlaps, so that the table costs about one memory latency per
        // regimen rather than one per pair when the list is read.
        let mut touched = 0u64;
        for (a, &(i, _)) in columns.iter().enumerate() {
            let ci = self.known[i as usize].concept;
            let partners = self.index.partners_of(ci);
            for &(j, col) in &columns[a + 1..] {
                if !partners.may_at(col) {
                    continue;
                }
                if large {
                    let cj = self.known[j as usize].concept;
                    for &x in self.index.probe_atoms(ci) {
                        for &y in self.index.probe_atoms(cj) {
                            touched ^= self.index.touch_pair(x, y);
                        }
                    }
                }
                listed.push((i, j));
            }
        }
        std::hint::black_box(touched);
    }

    /// The interaction findings of items `i` and `j` (`i < j`, neither a repeat), whose partner
    /// bit is set; `rules` is working room.
    #[inline(always)]
    fn item_pair(&mut self, i: usize, j: usize, repeats: bool, rules: &mut Vec<RuleId>) {
        let (ki, kj) = (&self.known[i], &self.known[j]);
        let (xi, id_i) = ((ki.concept, ki.route), (ki.id, ki.rank));
        let (xj, id_j) = ((kj.concept, kj.route), (kj.id, kj.rank));
        // Most pairs of items have no rule at all: settle that in a probe per pair of atoms
        // (one for two substances).
        let atoms_i = self.index.probe_atoms(ki.concept);
        let atoms_j = self.index.probe_atoms(kj.concept);
        let single = match (atoms_i, atoms_j) {
            ([], _) | (_, []) => return,
            ([x], [y]) => {
                // The bit of the two atoms, inline (a product's single atom has fewer partners
                // than the product): most pairs end there, without a call.
                if !self.index.may_pair(*x, *y) {
                    return;
                }
                let (first, hits) = self.index.pair_probed_at(*x, *y);
                if hits.is_empty() {
                    return;
                }
                Some((*x, *y, first, hits))
            }
            // A product: its atoms' pairs are probed once, by `pair_rules` (an `any_pair` first
            // would probe those of a pair with a rule twice). With repeats, `any_pair` first
            // spares the lists of routes.
            _ => {
                if repeats && !self.index.any_pair(ki.concept, kj.concept) {
                    return;
                }
                None
            }
        };
        match single {
            // Two single atoms, each listed once: the hits just read are all there is.
            Some((x, y, first, hits)) if !repeats => {
                rules.clear();
                self.fitting((x, xi.1), (y, xj.1), hits, rules);
                if !hits[0].settled() {
                    match self.index.refiners(first, hits.len()) {
                        Some(refiners) => drop_refined_by(hits, refiners, rules),
                        None => self.settle(rules),
                    }
                }
            }
            _ => self.pair_rules_any_route((i, xi.0), (Some(j), xj.0, xj.1), repeats, rules),
        }
        for &r in rules.iter() {
            let f = self.rule_finding(FindingKind::Interaction, r, Items::two(id_i, id_j));
            self.findings.push(f);
        }
    }

    /// Accumulation and duplication rules count distinct member substances (two strengths of
    /// one drug are not two drugs; that is the same-ingredient check), from at least two items.
    fn groups(&mut self) {
        // One number a member: rule, then substance, then the item's position in `known`, so
        // that sorting them groups by rule and, within a rule, by substance. The items of a
        // group need no order here (and no dedup): `Items::of_in` sorts them and drops repeats.
        let mut members = std::mem::take(&mut self.spare.members);
        for (j, k) in self.known.iter().enumerate() {
            if k.repeat_of.is_some() {
                continue;
            }
            for &(r, a) in self.index.group_members(k.concept) {
                if self.applies_by_facts(r) {
                    members.push(u128::from(r.0) << 64 | u128::from(a.0) << 32 | j as u128);
                }
            }
        }
        if members.is_empty() {
            self.spare.members = members;
            return;
        }
        members.sort_unstable();
        for group in members.chunk_by(|a, b| a >> 64 == b >> 64) {
            let rule = RuleId((group[0] >> 64) as u32);
            let (kind, needed) = match self.model.rule(rule).kind {
                RuleKind::Accumulation { min_count, .. } => {
                    (FindingKind::Interaction, min_count as usize)
                }
                _ => (FindingKind::DuplicateTherapy, 2),
            };
            let substances = group.chunk_by(|a, b| a >> 32 == b >> 32).count();
            if substances < needed {
                continue;
            }
            let known = &self.known;
            let items = Items::of_in(
                group.iter().map(|&m| {
                    let k = &known[m as u32 as usize];
                    (k.id, k.rank)
                }),
                &mut self.spare.items,
            );
            if items.len() >= 2 {
                let f = self.rule_finding(kind, rule, items);
                self.findings.push(f);
            }
        }
        self.spare.members = members;
    }

    fn condition_rules(&mut self) {
        if self.conditions.is_empty() {
            return;
        }
        let mut rules = std::mem::take(&mut self.spare.rules);
        let repeats = self.known.iter().any(|k| k.repeat_of.is_some());
        for k in 0..self.known.len() {
            let item = &self.known[k];
            if item.repeat_of.is_some() {
                continue;
            }
            let (x, id) = (item.concept, (item.id, item.rank));
            for ci in 0..self.conditions.len() {
                let c = self.conditions[ci];
                // The partner bit inline; past it, `pair_rules` probes each pair of atoms once
                // (with repeats, `any_pair` first spares the lists of routes).
                if !self.index.may_pair(x, c) || (repeats && !self.index.any_pair(x, c)) {
                    continue;
                }
                self.pair_rules_any_route((k, x), (None, c, None), repeats, &mut rules);
                for &r in &rules {
                    let (cid, crank) = self.named(c);
                    let f = self
                        .rule_finding(FindingKind::Condition, r, Items::one(id.0, id.1))
                        .with_condition(cid, crank);
                    self.findings.push(f);
                }
            }
        }
        self.spare.rules = rules;
    }

    fn allergies(&mut self, allergies: &[ConceptId]) {
        if allergies.is_empty() {
            return;
        }
        for i in 0..self.known.len() {
            let k = &self.known[i];
            if k.repeat_of.is_some() {
                continue;
            }
            let (concept, item) = (k.concept, (k.id, k.rank));
            for &allergy in allergies {
                let (allergy_id, allergy_rank) = self.named(allergy);
                if self
                    .index
                    .atoms(concept)
                    .iter()
                    .any(|&a| self.index.is_a(a, allergy))
                {
                    let rule = builtin::DOCUMENTED_ALLERGY;
                    self.findings.push(Finding::documented_allergy(
                        rule,
                        self.ids.rank(rule),
                        item,
                        (allergy_id, allergy_rank),
                    ));
                    continue;
                }
                let mut fired: Vec<RuleId> = Vec::new();
                for &a in self.index.atoms(concept) {
                    for &r in self.index.unary(a) {
                        if let RuleKind::CrossSensitivity { allergen, .. } = self.model.rule(r).kind
                        {
                            if self.index.is_a(allergy, allergen)
                                && !fired.contains(&r)
                                && self.applies(r)
                            {
                                fired.push(r);
                            }
                        }
                    }
                }
                for r in fired {
                    let f = self
                        .rule_finding(FindingKind::Allergy, r, Items::one(item.0, item.1))
                        .with_allergy(allergy_id, allergy_rank);
                    self.findings.push(f);
                }
            }
        }
    }

    /// Monitoring requirements the items call for on their own (methadone's ECG schedule): one
    /// finding per requirement, naming every item that calls for it.
    fn standing_monitoring(&mut self) {
        let mut calls = std::mem::take(&mut self.spare.calls);
        for k in self.known.iter().filter(|k| k.repeat_of.is_none()) {
            for m in self.index.standing_monitoring(k.concept) {
                calls.push((m, k.id, k.rank));
            }
        }
        if calls.is_empty() {
            self.spare.calls = calls;
            return;
        }
        calls.sort_unstable_by_key(|c| *c.0);
        for group in calls.chunk_by(|a, b| a.0 == b.0) {
            let m = group[0].0;
            let items = Items::of_in(group.iter().map(|g| (g.1, g.2)), &mut self.spare.items);
            let rank = self.index.monitoring_rank(self.model, *m);
            self.findings.push(Finding::standing_monitoring(
                self.model.monitoring(*m),
                std::slice::from_ref(m),
                rank,
                items,
            ));
        }
        self.spare.calls = calls;
    }

    fn pharmacogenomics(&mut self, regimen: &'a Regimen) {
        if regimen.patient.phenotypes.is_empty() {
            return;
        }
        for i in 0..self.known.len() {
            let k = &self.known[i];
            if k.repeat_of.is_some() {
                continue;
            }
            let (concept, item) = (k.concept, (k.id, k.rank));
            let mut fired: Vec<RuleId> = Vec::new();
            for &a in self.index.atoms(concept) {
                for &r in self.index.unary(a) {
                    if let RuleKind::Pharmacogenomic {
                        gene, phenotypes, ..
                    } = &self.model.rule(r).kind
                    {
                        let has = regimen.patient.phenotypes.get(&**gene);
                        if has.is_some_and(|p| phenotypes.contains(p))
                            && !fired.contains(&r)
                            && self.applies(r)
                        {
                            fired.push(r);
                        }
                    }
                }
            }
            for r in fired {
                let items = Items::one(item.0, item.1);
                let f = self.rule_finding(FindingKind::Pharmacogenomic, r, items);
                self.findings.push(f);
            }
        }
    }
}

/// Drops from `rules`, the rules of `hits` that fit (in the order of `hits`, which is the
/// rules' order, without repeats), every rule another one of them refines: `refiners` gives,
/// beside each hit, the positions of the hits whose rules refine its rule.
fn drop_refined_by(hits: &[crate::index::Hit], refiners: &[u32], rules: &mut Vec<RuleId>) {
    let mut fit = 0u32;
    let mut k = 0;
    for (p, hit) in hits.iter().enumerate() {
        if rules.get(k) == Some(&hit.rule()) {
            fit |= 1 << p;
            k += 1;
        }
    }
    let mut p = 0;
    rules.retain(|r| {
        while hits[p].rule() != *r {
            p += 1;
        }
        refiners[p] & fit == 0
    });
}

#[cfg(test)]
mod tests;
