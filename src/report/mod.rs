//! Stage 6: the report, and its JSON and text forms.
//!
//! A [`Report`] borrows its texts from the knowledge base and the regimen, and its findings
//! keep references and ranks rather than texts ([`Finding`]), so building one allocates little
//! and writes no sentence. Findings are kept in a canonical order (most severe first, then by
//! kind, rule and items), which makes the output independent of the order of the regimen's
//! items.

mod finding;
mod json;
mod text;
pub(crate) mod words;

use std::borrow::Cow;
use std::cmp::Ordering;

use serde::Serialize;

use crate::index::{Rank, cmp_ids};
use crate::model::{Model, MonitoringId};
use crate::regimen::RegimenId;
use crate::report::words::SkipReason;
use crate::units::Ratio;
use crate::vocab::{Route, Severity};

pub(crate) use finding::Items;
pub use finding::{Finding, Origin};
pub use json::Compact;

/// A number with its unit, as a finding reports it (`4100 mg/day`, `96 MME/day`, `7 days`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measure {
    /// Exact value.
    pub value: Ratio,
    /// Unit as shown.
    pub unit: &'static str,
}

impl Serialize for Measure {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("value", &self.value.to_f64())?;
        m.serialize_entry("unit", self.unit)?;
        m.end()
    }
}

impl std::fmt::Display for Measure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.value, self.unit)
    }
}

/// One item's share of a cumulative dose or MME total.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Contribution<'a> {
    /// The item's canonical id.
    pub item: &'a str,
    /// Its share.
    pub amount: Measure,
}

/// The numbers behind a dose finding.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DoseDetail<'a> {
    /// Which limit: `max-single`, `max-daily`, `max-days`, or an MME threshold.
    pub limit: &'static str,
    /// The computed value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Measure>,
    /// The limit it was compared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<Measure>,
    /// The band of the dose limit that set the limit (`age-65-or-older`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub band: Option<&'a str>,
    /// The route the limit is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
    /// A per-kg limit as the band writes it (`75 mg/kg/day`); `max` is it times the weight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_kg: Option<Measure>,
    /// The creatinine clearance that chose a renal band.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crcl: Option<Measure>,
    /// How that clearance was found: `given` or `cockcroft-gault`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crcl_method: Option<&'static str>,
    /// For totals: each item's share.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contributions: Vec<Contribution<'a>>,
    /// For totals: items that belong in the total but could not be counted, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_counted: Vec<NotCounted<'a>>,
}

/// An item left out of a total.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NotCounted<'a> {
    /// The item's canonical id.
    pub item: &'a str,
    /// Why.
    pub reason: Cow<'a, str>,
}

/// A local override that changed a finding.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Overridden<'a> {
    /// Severity before the override.
    pub from: Severity,
    /// Severity after it.
    pub to: Severity,
    /// Who made it, as the override file says.
    pub by: &'a str,
}

/// What a name in the regimen resolved to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Resolved<'a> {
    /// `item`, `condition` or `allergy`.
    pub role: &'static str,
    /// As given.
    pub input: &'a str,
    /// Canonical id; absent when it did not resolve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    /// Kind of concept (`substance`, `product`, `therapy`, `class`, `condition`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
}

/// Why a check could not be made: words given, or the dose check's, written when read.
#[derive(Clone, Debug)]
enum Reason<'a> {
    Text(Cow<'a, str>),
    Dose(SkipReason<'a>),
}

/// A check that could not be made for an item.
#[derive(Clone, Debug)]
pub struct Skipped<'a> {
    /// The item's canonical id.
    pub item: &'a str,
    /// The checks not made (`dose-limit`, `cumulative-dose`, `opioid-mme`).
    pub checks: Cow<'a, [&'static str]>,
    reason: Reason<'a>,
    /// The rank of `item` among concept ids, when it is one.
    rank: Rank,
}

impl<'a> Skipped<'a> {
    /// A skipped check for an item (or another subject), with the reason.
    pub fn new(
        item: &'a str,
        checks: impl Into<Cow<'a, [&'static str]>>,
        reason: impl Into<Cow<'a, str>>,
    ) -> Skipped<'a> {
        Skipped {
            item,
            checks: checks.into(),
            reason: Reason::Text(reason.into()),
            rank: Rank::UNKNOWN,
        }
    }

    /// A skipped dose check, the reason to be written when read.
    pub(crate) fn dose(
        item: (&'a str, Rank),
        checks: &'static [&'static str],
        reason: SkipReason<'a>,
    ) -> Skipped<'a> {
        Skipped {
            item: item.0,
            checks: Cow::Borrowed(checks),
            reason: Reason::Dose(reason),
            rank: item.1,
        }
    }

    /// Why.
    pub fn reason(&self) -> Cow<'a, str> {
        match &self.reason {
            Reason::Text(t) => t.clone(),
            Reason::Dose(r) => Cow::Owned(r.to_string()),
        }
    }

    /// True when `self` goes after `o`: told by the items' ranks where both are known and
    /// differ (as for the dose checks' entries, one an item), by [`Skipped::order`] otherwise.
    #[inline]
    fn after(&self, o: &Skipped<'_>) -> bool {
        match (self.rank.known(), o.rank.known()) {
            (Some(a), Some(b)) if a != b => a > b,
            _ => self.order(o) == Ordering::Greater,
        }
    }

    /// Order by item, then checks, then reason.
    fn order(&self, o: &Skipped<'_>) -> Ordering {
        cmp_ids(self.item, self.rank, o.item, o.rank)
            .then_with(|| self.checks.cmp(&o.checks))
            .then_with(|| self.reason().cmp(&o.reason()))
    }
}

impl Skipped<'_> {
    /// `==`, told apart by the items' ranks first where both are exact.
    fn same(&self, o: &Skipped<'_>) -> bool {
        if self.rank != o.rank && self.rank.is_exact() && o.rank.is_exact() {
            return false;
        }
        self == o
    }
}

impl PartialEq for Skipped<'_> {
    fn eq(&self, o: &Self) -> bool {
        self.item == o.item && self.checks == o.checks && self.reason() == o.reason()
    }
}

/// The result of checking a regimen.
#[derive(Clone, Debug)]
pub struct Report<'a> {
    model: &'a Model,
    /// The regimen's id, when it had one.
    pub id: Option<&'a RegimenId>,
    /// Every name in the regimen and what it resolved to: items in input order, then conditions,
    /// then allergies.
    pub resolved: Vec<Resolved<'a>>,
    /// Findings, most severe first.
    pub findings: Vec<Finding<'a>>,
    /// Checks that could not be made.
    pub skipped: Vec<Skipped<'a>>,
}

/// A monitoring requirement of the whole regimen, with the findings that call for it.
#[derive(Clone, Debug, PartialEq)]
pub struct MonitoringNeed<'a> {
    /// The requirement.
    pub id: MonitoringId,
    /// Indexes into [`Report::findings`].
    pub findings: Vec<usize>,
    _model: std::marker::PhantomData<&'a ()>,
}

/// Puts `v` in the order of `from` (a permutation: `v[i]` becomes the old `v[from(i)]`), by
/// swaps, in place. Every place is swapped, with itself where its element is already there:
/// chasing the permutation's cycles instead branched on where each element was, which new
/// input made the processor guess wrong again and again.
#[inline]
fn permute<T>(v: &mut [T], from: impl Fn(usize) -> usize) {
    /// Most elements put in place this way: their positions are bytes on the stack.
    const TRACKED: usize = 64;
    let n = v.len();
    if n > TRACKED {
        return permute_chasing(v, from);
    }
    // Where each original element is now, and which original element each place holds.
    let mut now = [0u8; TRACKED];
    let mut holds = [0u8; TRACKED];
    for i in 0..n {
        now[i] = i as u8;
        holds[i] = i as u8;
    }
    for i in 0..n {
        let wanted = from(i);
        let at = now[wanted] as usize;
        v.swap(i, at);
        // The element that was at `i` moved to `at`.
        let moved = holds[i];
        holds[at] = moved;
        now[moved as usize] = at as u8;
        holds[i] = wanted as u8;
        now[wanted] = i as u8;
    }
}

/// [`permute`] for a long list, following the permutation's cycles.
fn permute_chasing<T>(v: &mut [T], from: impl Fn(usize) -> usize) {
    for i in 0..v.len() {
        let mut j = from(i);
        // Elements before `i` are in place; the one wanted may have been swapped away.
        while j < i {
            j = from(j);
        }
        if j != i {
            v.swap(i, j);
        }
    }
}

/// How many elements the sorts below keep their keys for on the stack.
const ON_STACK: usize = 48;

/// How many findings most reports have at most: their keys fit a smaller array, which costs
/// less to clear.
const FEW: usize = 16;

/// Sorts findings by their short keys alone, which is their canonical order when every key is
/// known and no two are equal (as nearly always); returns false, leaving them as they were,
/// otherwise. Each key carries its finding's position in its low bits, so the sort moves one
/// word per finding and the findings themselves are moved once, into place.
fn sort_by_keys(findings: &mut [Finding<'_>]) -> bool {
    match findings.len() {
        n if n <= FEW => sort_by_keys_in::<FEW>(findings),
        n if n <= ON_STACK => sort_by_keys_in::<ON_STACK>(findings),
        _ => sort_many_by_keys(findings),
    }
}

/// [`sort_by_keys`] for more findings than the stack keeps keys for (large regimens): their
/// long keys, each with its finding's position in its free low bits, in one list. Sorting
/// plain numbers costs a fraction of sorting pairs of key and position.
fn sort_many_by_keys(findings: &mut [Finding<'_>]) -> bool {
    let free = Finding::KEY_FREE_BITS;
    let n = findings.len();
    if n >= 1 << free {
        return false;
    }
    let mut keys = Vec::with_capacity(n);
    for (i, f) in findings.iter().enumerate() {
        match f.key() {
            Some(key) => keys.push(key | i as u128),
            None => return false,
        }
    }
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] >> free == w[1] >> free) {
        return false;
    }
    let mask = (1u128 << free) - 1;
    permute(findings, |i| (keys[i] & mask) as usize);
    true
}

/// [`sort_by_keys`] with room for `N` keys.
#[inline]
fn sort_by_keys_in<const N: usize>(findings: &mut [Finding<'_>]) -> bool {
    const { assert!(N <= ON_STACK && ON_STACK < 1 << Finding::SHORT_KEY_FREE_BITS) };
    let n = findings.len();
    if n > N {
        return false;
    }
    let mut keys = [0u64; N];
    let keys = &mut keys[..n];
    if !sorted_keys(keys, findings) {
        return false;
    }
    let mask = (1u64 << Finding::SHORT_KEY_FREE_BITS) - 1;
    permute(findings, |i| (keys[i] & mask) as usize);
    true
}

/// Fills `keys` with the short keys of `findings` (as many), each with its finding's position
/// in its free low bits, and sorts them; false when a finding has no short key or two share
/// one, so that only the full comparison can order them.
#[inline(always)]
fn sorted_keys(keys: &mut [u64], findings: &[Finding<'_>]) -> bool {
    for (i, (k, f)) in keys.iter_mut().zip(findings).enumerate() {
        match f.short_key() {
            Some(key) => *k = key | i as u64,
            None => return false,
        }
    }
    keys.sort_unstable();
    let free = Finding::SHORT_KEY_FREE_BITS;
    !keys.windows(2).any(|w| w[0] >> free == w[1] >> free)
}

/// The canonical order of findings left in the order they were made ([`Report::keyed`]): the
/// positions of the findings, first to last.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Order {
    at: [u8; ON_STACK],
    len: u8,
}

/// A report's findings in canonical order: its own list, or that list through an [`Order`].
#[derive(Clone, Copy)]
pub(crate) struct InOrder<'r, 'a> {
    findings: &'r [Finding<'a>],
    order: Option<&'r Order>,
}

impl<'r, 'a> InOrder<'r, 'a> {
    /// The findings of `report`, in the order `order` gives when there is one (it must be the
    /// one [`Report::keyed`] returned with the report), in their own order otherwise.
    pub(crate) fn new(report: &'r Report<'a>, order: Option<&'r Order>) -> InOrder<'r, 'a> {
        debug_assert!(order.is_none_or(|o| o.len as usize == report.findings.len()));
        InOrder {
            findings: &report.findings,
            order,
        }
    }

    /// The first (most severe) finding.
    pub(crate) fn first(&self) -> Option<&'r Finding<'a>> {
        match self.order {
            Some(o) => o.at[..o.len as usize]
                .first()
                .map(|&i| &self.findings[i as usize]),
            None => self.findings.first(),
        }
    }

    /// The findings, first to last.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &'r Finding<'a>> + use<'r, 'a> {
        let (findings, order) = (self.findings, self.order);
        (0..findings.len()).map(move |k| match order {
            Some(o) => &findings[o.at[k] as usize],
            None => &findings[k],
        })
    }
}

/// Sorts stably by `cmp`, through positions: an element is moved at most once per cycle, and
/// not at all when they are in order already. `key` gives each element a number that orders
/// like `cmp` when two are known (not 0) and differ; `cmp` decides the rest. Then `after` is
/// given the elements and their keys, in the new order.
fn sort_in_place<T, R>(
    v: &mut [T],
    key: impl Fn(&T) -> u128,
    cmp: impl Fn(&T, &T) -> Ordering,
    after: impl FnOnce(&mut [T], &[(u128, u32)]) -> R,
) -> R {
    let n = v.len();
    let mut inline = [(0u128, 0u32); ON_STACK];
    let mut heap = Vec::new();
    let order: &mut [(u128, u32)] = if n <= ON_STACK {
        &mut inline[..n]
    } else {
        heap.resize(n, (0, 0));
        &mut heap
    };
    let mut all_known = true;
    for (i, o) in order.iter_mut().enumerate() {
        *o = (key(&v[i]), i as u32);
        all_known &= o.0 != 0;
    }
    // Every key known: sorting the numbers alone gives the order, and when no two are equal
    // (as nearly always) that order is the one `cmp` gives. Otherwise, the full sort.
    if all_known {
        order.sort_unstable();
    }
    if !all_known || order.windows(2).any(|w| w[0].0 == w[1].0) {
        order.sort_by(|&(ka, a), &(kb, b)| {
            if ka != 0 && kb != 0 && ka != kb {
                ka.cmp(&kb)
            } else {
                cmp(&v[a as usize], &v[b as usize])
            }
        });
    }
    if order.windows(2).any(|w| w[0].1 > w[1].1) {
        permute(v, |i| order[i].1 as usize);
    }
    after(v, order)
}

/// Which findings repeat the one kept before them (equal in every field), told apart by their
/// keys where those differ: one bit per finding, in order.
fn repeats(findings: &[Finding<'_>], keys: &[(u128, u32)]) -> Vec<bool> {
    let mut out = vec![false; findings.len()];
    let mut last = 0;
    for i in 1..findings.len() {
        let (a, b) = (keys[i].0, keys[last].0);
        let same = !(a != 0 && b != 0 && a != b) && findings[i] == findings[last];
        if same {
            out[i] = true;
        } else {
            last = i;
        }
    }
    out
}

/// Puts findings in canonical order by comparing them in full (when their short keys do not
/// settle it), dropping any finding equal in every field to the one before it.
fn sort_findings(findings: &mut Vec<Finding<'_>>) {
    let key = |f: &Finding<'_>| f.key().unwrap_or(0);
    let any = sort_in_place(findings, key, Finding::order, |v, keys| {
        // Without allocating when, as nearly always, no finding repeats another.
        (1..v.len())
            .any(|i| {
                let (a, b) = (keys[i].0, keys[i - 1].0);
                !(a != 0 && b != 0 && a != b) && v[i] == v[i - 1]
            })
            .then(|| repeats(v, keys))
    });
    if let Some(repeat) = any {
        let mut i = 0;
        findings.retain(|_| {
            i += 1;
            !repeat[i - 1]
        });
    }
}

impl<'a> Report<'a> {
    /// A report from its parts; findings and skipped checks are put in canonical order.
    pub fn new(
        model: &'a Model,
        id: Option<&'a RegimenId>,
        resolved: Vec<Resolved<'a>>,
        mut findings: Vec<Finding<'a>>,
        skipped: Vec<Skipped<'a>>,
    ) -> Report<'a> {
        if findings.len() > 1 && !sort_by_keys(&mut findings) {
            sort_findings(&mut findings);
        }
        Report::with_sorted(model, id, resolved, findings, skipped)
    }

    /// [`Report::new`], but when the findings' short keys settle their canonical order (as
    /// nearly always) the findings are left in the order they were made, and that order is
    /// returned beside them: for a report written once through the order and dropped
    /// (`screen`'s compact lines), this spares moving every finding into place. The report's
    /// own `findings` are then **not** in canonical order; only [`InOrder`] reads them right.
    pub(crate) fn keyed(
        model: &'a Model,
        id: Option<&'a RegimenId>,
        resolved: Vec<Resolved<'a>>,
        mut findings: Vec<Finding<'a>>,
        skipped: Vec<Skipped<'a>>,
    ) -> (Report<'a>, Option<Order>) {
        let n = findings.len();
        let mut order = None;
        if n > 1 {
            let mut keys = [0u64; ON_STACK];
            if n <= ON_STACK && sorted_keys(&mut keys[..n], &findings) {
                let mask = (1u64 << Finding::SHORT_KEY_FREE_BITS) - 1;
                let mut o = Order {
                    at: [0; ON_STACK],
                    len: n as u8,
                };
                for (at, k) in o.at.iter_mut().zip(&keys[..n]) {
                    *at = (k & mask) as u8;
                }
                order = Some(o);
            } else if n <= ON_STACK || !sort_many_by_keys(&mut findings) {
                // Up to `ON_STACK`, the short keys just failed, and `sort_by_keys` would only
                // try them again.
                sort_findings(&mut findings);
            }
        }
        let report = Report::with_sorted(model, id, resolved, findings, skipped);
        (report, order)
    }

    /// A report of findings in the order wanted; skipped checks are put in canonical order.
    fn with_sorted(
        model: &'a Model,
        id: Option<&'a RegimenId>,
        resolved: Vec<Resolved<'a>>,
        findings: Vec<Finding<'a>>,
        mut skipped: Vec<Skipped<'a>>,
    ) -> Report<'a> {
        if skipped.len() > 1 {
            // The dose checks give theirs in order already, one entry an item.
            if skipped.windows(2).any(|w| w[0].after(&w[1])) {
                sort_in_place(&mut skipped, |_| 0, Skipped::order, |_, _| ());
            }
            skipped.dedup_by(|a, b| a.same(b));
        }
        Report {
            model,
            id,
            resolved,
            findings,
            skipped,
        }
    }

    /// The knowledge-base model the report's ids refer to.
    pub fn model(&self) -> &'a Model {
        self.model
    }

    /// The most severe finding's severity, if any.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.first().map(|f| f.severity)
    }

    /// True when there are no findings at all (unknown items are findings, so a report with
    /// one is never clean).
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }

    /// Monitoring requirements merged across findings, without duplicates, in order of the
    /// first finding that calls for each.
    pub fn monitoring(&self) -> Vec<MonitoringNeed<'a>> {
        let mut out: Vec<MonitoringNeed<'a>> = Vec::new();
        for (i, f) in self.findings.iter().enumerate() {
            for m in f.monitoring() {
                match out.iter_mut().find(|n| n.id == *m) {
                    Some(n) => {
                        if n.findings.last() != Some(&i) {
                            n.findings.push(i);
                        }
                    }
                    None => out.push(MonitoringNeed {
                        id: *m,
                        findings: vec![i],
                        _model: std::marker::PhantomData,
                    }),
                }
            }
        }
        out
    }

    /// What [`Report::monitoring`] gives, without allocating: `each` is called with each
    /// requirement, in the same order, and the indexes of the findings that call for it, in
    /// order. Quadratic in the findings, which are few.
    pub(crate) fn each_monitoring(
        &self,
        mut each: impl FnMut(MonitoringId, &mut dyn Iterator<Item = usize>),
    ) {
        for (i, f) in self.findings.iter().enumerate() {
            let own = f.monitoring();
            for (k, m) in own.iter().enumerate() {
                let seen = own[..k].contains(m)
                    || self.findings[..i]
                        .iter()
                        .any(|g| g.monitoring().contains(m));
                if !seen {
                    let mut calling = (i..self.findings.len())
                        .filter(|&j| self.findings[j].monitoring().contains(m));
                    each(*m, &mut calling);
                }
            }
        }
    }

    /// Counts of findings by severity.
    pub fn counts(&self) -> [(Severity, usize); 5] {
        let by = self.counts_by_severity();
        [
            Severity::Contraindicated,
            Severity::Major,
            Severity::Moderate,
            Severity::Minor,
            Severity::Info,
        ]
        .map(|s| (s, by[s as usize]))
    }

    /// The number of findings of each severity, by the severity's place in [`Severity::ALL`]
    /// (its value as a number): one pass, no search.
    pub(crate) fn counts_by_severity(&self) -> [usize; Severity::ALL.len()] {
        let mut by = [0; Severity::ALL.len()];
        for f in &self.findings {
            by[f.severity as usize] += 1;
        }
        by
    }

    /// The report without its texts, for screening many regimens: `id`, `status`,
    /// `max_severity`, `counts`, `findings` (each without `summary`, `management`,
    /// `monitoring`, `sources`, `mechanism`, `effect` and `uncertainty`, which belong to the
    /// rule and can be looked up by its id) and `skipped`. Serialize it with serde.
    pub fn compact(&self) -> Compact<'_, 'a> {
        Compact(self)
    }

    /// The report as one line of JSON.
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(4096);
        self.write_json_line(&mut out);
        // The writer copies `str`s and writes ASCII around them, so this is always UTF-8.
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// The report as indented JSON.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }

    /// The report for a person at a terminal: one short block per finding, most severe first.
    pub fn to_text(&self) -> String {
        text::to_text(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting_through_positions_is_a_stable_sort() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for n in [0, 1, 2, 3, 7, 20, 64, 65, 200] {
            let mut v: Vec<(u8, usize)> = (0..n)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    ((x % 5) as u8, i)
                })
                .collect();
            let mut expected = v.clone();
            expected.sort_by_key(|e| e.0);
            let mut by_key = v.clone();
            sort_in_place(&mut v, |_| 0, |a, b| a.0.cmp(&b.0), |_, _| ());
            assert_eq!(v, expected, "{n} elements");
            // Keys where known (here, for even values) order the same way.
            let key = |e: &(u8, usize)| if e.0 % 2 == 0 { 1 + e.0 as u128 } else { 0 };
            sort_in_place(&mut by_key, key, |a, b| a.0.cmp(&b.0), |_, _| ());
            assert_eq!(by_key, expected, "{n} elements, with keys");
        }
    }

    /// Regimens of `n` items of the bundled data, each starting further on, for an older
    /// adult with a kidney condition: many findings each.
    fn large_regimens(n: usize) -> Vec<crate::Regimen> {
        let kb = crate::KnowledgeBase::bundled();
        let ids: Vec<&str> = kb
            .model()
            .concepts
            .iter()
            .filter(|c| {
                !matches!(
                    c.kind(),
                    crate::model::ConceptKind::Class | crate::model::ConceptKind::Condition
                )
            })
            .map(|c| &*c.id)
            .collect();
        (0..ids.len())
            .step_by(n / 2)
            .map(|start| {
                let items: Vec<String> = (0..n)
                    .map(|k| format!(r#"{{"id":"{}"}}"#, ids[(start + 7 * k) % ids.len()]))
                    .collect();
                let json = format!(
                    r#"{{"patient":{{"age_years":70,"conditions":["chronic-kidney-disease"]}},"items":[{}]}}"#,
                    items.join(",")
                );
                crate::Regimen::from_json(&json).expect("a valid regimen")
            })
            .collect()
    }

    #[test]
    fn many_findings_sorted_by_their_keys_are_in_the_full_order() {
        let kb = crate::KnowledgeBase::bundled();
        let mut tried = 0;
        for regimen in large_regimens(60) {
            let sorted = kb.check(&regimen).expect("checks").findings;
            if sorted.len() <= ON_STACK {
                continue;
            }
            tried += 1;
            // Made in another order, as from a shuffled regimen.
            let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ sorted.len() as u64;
            let mut shuffled = sorted.clone();
            for i in (1..shuffled.len()).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                shuffled.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let mut by_keys = shuffled.clone();
            assert!(sort_by_keys(&mut by_keys), "the keys settle the order");
            let mut in_full = shuffled;
            sort_findings(&mut in_full);
            assert_eq!(by_keys, in_full);
            assert_eq!(by_keys, sorted);
            assert!(by_keys.windows(2).all(|w| w[0].order(&w[1]).is_lt()));
        }
        assert!(
            tried > 3,
            "{tried} reports of more than {ON_STACK} findings"
        );
    }
}
