//! One finding: what fired, on which items, and the words, written when they are read.
//!
//! A finding keeps references into the knowledge base (the rule, dose limit or threshold) and
//! the ranks of its ids, so that building one costs a few stores and ordering findings compares
//! numbers. Its texts are the rule's own, or written from their parts when asked for
//! ([`Finding::summary`]) or serialized.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use crate::index::{Rank, cmp_ids, cmp_ranked};
use crate::model::{Citation, DoseLimit, MmeThreshold, Monitoring, MonitoringId, Rule};
use crate::report::words::{self, DoseFinding, Unknown};
use crate::vocab::{Evidence, FindingKind, Severity, builtin};

use super::{DoseDetail, Overridden};

/// What a finding comes from.
#[derive(Clone, Copy, Debug)]
pub enum Origin<'a> {
    /// A rule of the knowledge base.
    Rule(&'a Rule),
    /// A dose limit.
    DoseLimit(&'a DoseLimit),
    /// An opioid MME threshold.
    MmeThreshold(&'a MmeThreshold),
    /// A monitoring requirement an item calls for on its own.
    Monitoring(&'a Monitoring),
    /// One of the checker's own checks; the id starts with `medcheck:`.
    Builtin(&'static str),
}

impl<'a> Origin<'a> {
    /// The id of the rule, limit, threshold or check.
    pub fn id(self) -> &'a str {
        match self {
            Origin::Rule(r) => &r.id,
            Origin::DoseLimit(l) => &l.id,
            Origin::MmeThreshold(t) => &t.id,
            Origin::Monitoring(m) => &m.id,
            Origin::Builtin(id) => id,
        }
    }
}

/// The built-in rule ids, at fixed addresses: a finding keeps its built-in rule's place here.
static BUILTIN: [&str; builtin::ALL.len()] = builtin::ALL;

/// [`Origin`] as a finding keeps it: a built-in rule by its place in [`BUILTIN`], so that the
/// whole is a tag and one thin pointer.
#[derive(Clone, Copy, Debug)]
enum Source<'a> {
    Rule(&'a Rule),
    DoseLimit(&'a DoseLimit),
    MmeThreshold(&'a MmeThreshold),
    Monitoring(&'a Monitoring),
    Builtin(u8),
}

impl<'a> Source<'a> {
    /// Kept from an origin; a built-in id must be one of [`builtin::ALL`].
    #[inline]
    fn of(origin: Origin<'a>) -> Source<'a> {
        match origin {
            Origin::Rule(r) => Source::Rule(r),
            Origin::DoseLimit(l) => Source::DoseLimit(l),
            Origin::MmeThreshold(t) => Source::MmeThreshold(t),
            Origin::Monitoring(m) => Source::Monitoring(m),
            Origin::Builtin(id) => Source::builtin(id),
        }
    }

    /// A built-in rule, by its id (one of [`builtin::ALL`]).
    #[inline]
    fn builtin(id: &str) -> Source<'a> {
        let at = BUILTIN
            .iter()
            .position(|b| *b == id)
            .expect("a built-in rule id is one of builtin::ALL");
        Source::Builtin(at as u8)
    }

    #[inline]
    fn origin(self) -> Origin<'a> {
        match self {
            Source::Rule(r) => Origin::Rule(r),
            Source::DoseLimit(l) => Origin::DoseLimit(l),
            Source::MmeThreshold(t) => Origin::MmeThreshold(t),
            Source::Monitoring(m) => Origin::Monitoring(m),
            Source::Builtin(at) => Origin::Builtin(BUILTIN[at as usize]),
        }
    }
}

/// The items of a finding, sorted, with the ranks of their ids; two kept inline.
#[derive(Clone, Debug)]
pub(crate) enum Items<'a> {
    /// At most two.
    Few {
        len: u8,
        ids: [&'a str; 2],
        ranks: [Rank; 2],
    },
    /// More, with the ranks of the first two (ranks order like the ids, and sorting findings
    /// looks at no more than two items' ranks).
    Many {
        ids: Box<[&'a str]>,
        first: [Rank; 2],
        /// Whether every item's rank was exact: all are ids of the knowledge base, which the
        /// line writer then copies without the escape scan.
        exact: bool,
    },
}

impl<'a> Items<'a> {
    /// One item.
    pub(crate) fn one(id: &'a str, rank: Rank) -> Items<'a> {
        Items::Few {
            len: 1,
            ids: [id, ""],
            ranks: [rank, Rank::UNKNOWN],
        }
    }

    /// Two items, in order.
    pub(crate) fn two(a: (&'a str, Rank), b: (&'a str, Rank)) -> Items<'a> {
        let (a, b) = if cmp_ids(a.0, a.1, b.0, b.1) == Ordering::Greater {
            (b, a)
        } else {
            (a, b)
        };
        Items::Few {
            len: 2,
            ids: [a.0, b.0],
            ranks: [a.1, b.1],
        }
    }

    /// Any number of items, sorted and without repeats; nothing is allocated for two or fewer,
    /// and `list` is the working space for more (left empty).
    pub(crate) fn of_in(
        items: impl Iterator<Item = (&'a str, Rank)> + Clone,
        list: &mut Vec<(&'a str, Rank)>,
    ) -> Items<'a> {
        let mut it = items.clone();
        match (it.next(), it.next(), it.next()) {
            (Some(a), None, _) => Items::one(a.0, a.1),
            (Some(a), Some(b), None) if a.0 == b.0 => Items::one(a.0, a.1),
            (Some(a), Some(b), None) => Items::two(a, b),
            _ => {
                list.clear();
                list.extend(items);
                Items::collect_in(list)
            }
        }
    }

    /// Any number of items, sorted and without repeats; `list` is left empty.
    pub(crate) fn collect_in(list: &mut Vec<(&'a str, Rank)>) -> Items<'a> {
        let exact = list.iter().all(|x| x.1.is_exact());
        if exact {
            // As nearly always: exact ranks order like the ids and are equal only for equal
            // ids, so the numbers alone sort them and find the repeats.
            list.sort_unstable_by_key(|x| x.1.known());
            list.dedup_by_key(|x| x.1);
        } else {
            list.sort_unstable_by(|a, b| cmp_ids(a.0, a.1, b.0, b.1));
            list.dedup_by(|a, b| a.0 == b.0);
        }
        let items = match list[..] {
            [a] => Items::one(a.0, a.1),
            [a, b] => Items::two(a, b),
            _ => Items::Many {
                ids: list.iter().map(|x| x.0).collect(),
                first: [list[0].1, list[1].1],
                exact,
            },
        };
        list.clear();
        items
    }

    fn ids(&self) -> &[&'a str] {
        match self {
            Items::Few { len, ids, .. } => &ids[..*len as usize],
            Items::Many { ids, .. } => ids,
        }
    }

    /// How many items (after repeats are dropped).
    pub(crate) fn len(&self) -> usize {
        self.ids().len()
    }

    /// The ranks kept: every item's for two or fewer, the first two's for more.
    fn ranks(&self) -> &[Rank] {
        match self {
            Items::Few { len, ranks, .. } => &ranks[..*len as usize],
            Items::Many { first, .. } => first,
        }
    }

    /// The rank of item `k`: [`Rank::UNKNOWN`] (compare the text) where it is not kept.
    #[inline]
    fn rank(&self, k: usize) -> Rank {
        self.ranks().get(k).copied().unwrap_or(Rank::UNKNOWN)
    }

    /// Compares like the lists of ids would.
    #[inline]
    fn cmp(&self, o: &Items<'_>) -> Ordering {
        let (a, b) = (self.ids(), o.ids());
        for k in 0..a.len().min(b.len()) {
            match cmp_ranked(self.rank(k), o.rank(k), || (a[k], b[k])) {
                Ordering::Equal => {}
                other => return other,
            }
        }
        a.len().cmp(&b.len())
    }
}

/// Where a finding's words come from, and what else it is about.
#[derive(Clone, Debug)]
enum Words<'a> {
    /// Its rule's.
    Origin,
    /// Its rule's, about the patient's condition.
    Condition(&'a str, Rank),
    /// Its rule's, about a documented allergy.
    Allergy(&'a str, Rank),
    /// An unknown item, condition or allergy: its only item is the input as given.
    Unknown(Unknown),
    /// A documented allergy (this one).
    DocumentedAllergy(&'a str, Rank),
    /// An item listed twice: the summary, written.
    Written(Box<str>),
    /// A dose finding: its numbers and what its words are made of.
    Dose(Box<DoseFinding<'a>>),
    /// A monitoring requirement an item calls for on its own: the requirement, as a list of one.
    Standing(&'a [MonitoringId]),
}

impl Words<'_> {
    /// True when the words are the origin's own.
    #[inline]
    fn origin(&self) -> bool {
        matches!(
            self,
            Words::Origin | Words::Condition(..) | Words::Allergy(..)
        )
    }
}

/// One safety finding.
#[derive(Clone, Debug)]
pub struct Finding<'a> {
    /// What it is about.
    pub kind: FindingKind,
    /// How serious.
    pub severity: Severity,
    /// A local override that changed this finding.
    pub overridden: Option<Overridden<'a>>,
    origin: Source<'a>,
    /// The rank of the origin's id.
    rank: Rank,
    items: Items<'a>,
    words: Words<'a>,
}

impl<'a> Finding<'a> {
    fn of(
        kind: FindingKind,
        severity: Severity,
        origin: Source<'a>,
        rank: Rank,
        items: Items<'a>,
        words: Words<'a>,
    ) -> Finding<'a> {
        Finding {
            kind,
            severity,
            overridden: None,
            origin,
            rank,
            items,
            words,
        }
    }

    /// A finding of a knowledge-base rule, with the rule's words and its severity (given, so
    /// that building a finding need not read the rule).
    #[inline]
    pub(crate) fn of_rule(
        kind: FindingKind,
        rule: &'a Rule,
        severity: Severity,
        rank: Rank,
        items: Items<'a>,
    ) -> Finding<'a> {
        Finding::of(
            kind,
            severity,
            Source::Rule(rule),
            rank,
            items,
            Words::Origin,
        )
    }

    /// An unknown item, condition or allergy, as given.
    pub(crate) fn unknown(
        rule: &'static str,
        rank: Rank,
        input: &'a str,
        severity: Severity,
        why: Unknown,
    ) -> Finding<'a> {
        Finding::of(
            FindingKind::UnknownItem,
            severity,
            Source::builtin(rule),
            rank,
            Items::one(input, Rank::UNKNOWN),
            Words::Unknown(why),
        )
    }

    /// An item listed more than once; the summary is written already.
    pub(crate) fn duplicate(
        rule: &'static str,
        rank: Rank,
        item: (&'a str, Rank),
        summary: String,
    ) -> Finding<'a> {
        Finding::of(
            FindingKind::DuplicateTherapy,
            Severity::Moderate,
            Source::builtin(rule),
            rank,
            Items::one(item.0, item.1),
            Words::Written(summary.into()),
        )
    }

    /// An item that is or contains a documented allergy.
    pub(crate) fn documented_allergy(
        rule: &'static str,
        rank: Rank,
        item: (&'a str, Rank),
        allergy: (&'a str, Rank),
    ) -> Finding<'a> {
        Finding::of(
            FindingKind::Allergy,
            Severity::Contraindicated,
            Source::builtin(rule),
            rank,
            Items::one(item.0, item.1),
            Words::DocumentedAllergy(allergy.0, allergy.1),
        )
    }

    /// A monitoring requirement the items call for on their own (`id` is the requirement's,
    /// as a list of one).
    pub(crate) fn standing_monitoring(
        requirement: &'a Monitoring,
        id: &'a [MonitoringId],
        rank: Rank,
        items: Items<'a>,
    ) -> Finding<'a> {
        Finding::of(
            FindingKind::Monitoring,
            Severity::Info,
            Source::Monitoring(requirement),
            rank,
            items,
            Words::Standing(id),
        )
    }

    /// A dose finding. Its numbers and words come boxed, built where they are made, so that
    /// they are not copied once more on their way into the box.
    pub(crate) fn of_dose(
        kind: FindingKind,
        severity: Severity,
        origin: Origin<'a>,
        rank: Rank,
        items: Items<'a>,
        dose: Box<DoseFinding<'a>>,
    ) -> Finding<'a> {
        Finding::of(
            kind,
            severity,
            Source::of(origin),
            rank,
            items,
            Words::Dose(dose),
        )
    }

    /// The same rule finding, about a condition of the patient.
    pub(crate) fn with_condition(mut self, condition: &'a str, rank: Rank) -> Finding<'a> {
        debug_assert!(matches!(self.words, Words::Origin), "a rule's finding");
        self.words = Words::Condition(condition, rank);
        self
    }

    /// The same rule finding, about a documented allergy.
    pub(crate) fn with_allergy(mut self, allergy: &'a str, rank: Rank) -> Finding<'a> {
        debug_assert!(matches!(self.words, Words::Origin), "a rule's finding");
        self.words = Words::Allergy(allergy, rank);
        self
    }

    /// What the finding comes from.
    pub fn origin(&self) -> Origin<'a> {
        self.origin.origin()
    }

    /// Id of the rule or limit that fired (`medcheck:...` for the checker's own checks).
    pub fn rule(&self) -> &'a str {
        self.origin().id()
    }

    /// Canonical ids of the items involved, sorted (for an unknown item, the input as given).
    pub fn items(&self) -> &[&'a str] {
        self.items.ids()
    }

    /// The items, sorted, and the ranks of the first two ([`Rank::UNKNOWN`] where not kept;
    /// none is kept past the second item): an exact rank marks an id of the knowledge base
    /// (validated, so never in need of a JSON escape); an unknown item as given has none.
    /// Read once, so that a writer's loop over the items tests no variant.
    #[inline]
    pub(crate) fn items_ranked(&self) -> (&[&'a str], [Rank; 2]) {
        match &self.items {
            Items::Few { len, ids, ranks } => (&ids[..*len as usize], *ranks),
            Items::Many { ids, first, .. } => (ids, *first),
        }
    }

    /// True when every item past the second (if any) is an id of the knowledge base (its rank
    /// was exact), so that, like the first two with exact ranks, it needs no JSON escape.
    #[inline]
    pub(crate) fn rest_exact(&self) -> bool {
        match &self.items {
            Items::Few { .. } => true,
            Items::Many { exact, .. } => *exact,
        }
    }

    /// For a condition finding: the patient's condition.
    pub fn condition(&self) -> Option<&'a str> {
        self.condition_ranked().map(|c| c.0)
    }

    /// For an allergy finding: the documented allergy.
    pub fn allergy(&self) -> Option<&'a str> {
        self.allergy_ranked().map(|a| a.0)
    }

    /// For an unknown item: the text as given.
    pub fn input(&self) -> Option<&'a str> {
        match self.words {
            Words::Unknown(_) => self.items.ids().first().copied(),
            _ => None,
        }
    }

    /// For dose findings: the numbers.
    pub fn dose(&self) -> Option<&DoseDetail<'a>> {
        match &self.words {
            Words::Dose(d) => Some(&d.detail),
            _ => None,
        }
    }

    /// One line: what the risk is.
    pub fn summary(&self) -> Cow<'a, str> {
        match (&self.words, self.origin) {
            (w, Source::Rule(r)) if w.origin() => Cow::Borrowed(&r.summary),
            (w, Source::MmeThreshold(t)) if w.origin() => Cow::Borrowed(&t.summary),
            (Words::Standing(_), Source::Monitoring(m)) => Cow::Borrowed(&m.why),
            (w, _) if w.origin() => Cow::Borrowed(""),
            _ => {
                let mut s = String::new();
                let _ = self.write_summary(&mut s);
                Cow::Owned(s)
            }
        }
    }

    /// Writes the summary.
    pub(crate) fn write_summary(&self, out: &mut impl fmt::Write) -> fmt::Result {
        match &self.words {
            Words::Origin | Words::Condition(..) | Words::Allergy(..) => {
                out.write_str(&self.summary())
            }
            Words::Unknown(why) => why.write(self.items()[0], out),
            Words::DocumentedAllergy(allergy, _) => {
                words::documented_allergy(self.items()[0], allergy, out)
            }
            Words::Written(s) => out.write_str(s),
            Words::Dose(d) => d.summary(out),
            Words::Standing(_) => out.write_str(&self.summary()),
        }
    }

    /// True when the summary is the rule's own text (not written from parts).
    pub(crate) fn summary_is_text(&self) -> bool {
        self.words.origin() || matches!(self.words, Words::Standing(_))
    }

    /// What to do.
    pub fn management(&self) -> Cow<'a, str> {
        match &self.words {
            Words::Unknown(_) => Cow::Borrowed(words::UNKNOWN_MANAGEMENT),
            Words::DocumentedAllergy(..) => Cow::Borrowed(words::ALLERGY_MANAGEMENT),
            Words::Written(_) => Cow::Borrowed(words::DUPLICATE_MANAGEMENT),
            Words::Dose(d) => d.management().unwrap_or_else(|| self.origin_management()),
            Words::Origin | Words::Condition(..) | Words::Allergy(..) => self.origin_management(),
            Words::Standing(_) => match self.origin {
                Source::Monitoring(m) => Cow::Owned(words::standing_management(m)),
                _ => Cow::Borrowed(""),
            },
        }
    }

    fn origin_management(&self) -> Cow<'a, str> {
        Cow::Borrowed(match self.origin {
            Source::Rule(r) => &r.management,
            Source::DoseLimit(l) => &l.management,
            Source::MmeThreshold(t) => &t.management,
            Source::Monitoring(_) | Source::Builtin(_) => "",
        })
    }

    /// Monitoring requirements.
    pub fn monitoring(&self) -> &'a [MonitoringId] {
        match (self.origin, &self.words) {
            (Source::Rule(r), _) => &r.monitoring,
            (Source::DoseLimit(l), _) => &l.monitoring,
            (Source::MmeThreshold(t), _) => &t.monitoring,
            (Source::Monitoring(_), Words::Standing(id)) => id,
            (Source::Monitoring(_) | Source::Builtin(_), _) => &[],
        }
    }

    /// Citations.
    pub fn sources(&self) -> &'a [Citation] {
        match (self.origin, &self.words) {
            (Source::Rule(r), _) => &r.sources,
            (Source::DoseLimit(l), _) => &l.sources,
            (Source::MmeThreshold(t), _) => &t.sources,
            (Source::Monitoring(m), _) => &m.sources,
            (Source::Builtin(_), Words::Dose(d)) => match d.words {
                words::DoseWords::MmeIncomplete { sources, .. } => sources,
                _ => &[],
            },
            (Source::Builtin(_), _) => &[],
        }
    }

    /// Evidence level of the rule, limit or threshold.
    pub fn evidence(&self) -> Option<Evidence> {
        match self.origin {
            Source::Rule(r) => Some(r.evidence),
            Source::DoseLimit(l) => Some(l.evidence),
            Source::MmeThreshold(t) => Some(t.evidence),
            Source::Monitoring(_) | Source::Builtin(_) => None,
        }
    }

    /// How it happens.
    pub fn mechanism(&self) -> Option<&'a str> {
        match self.origin {
            Source::Rule(r) => r.mechanism.as_deref(),
            _ => None,
        }
    }

    /// What it does.
    pub fn effect(&self) -> Option<&'a str> {
        match self.origin {
            Source::Rule(r) => r.effect.as_deref(),
            _ => None,
        }
    }

    /// Where the sources are unsure: the rule's words, a dose band's note (or its limit's), the
    /// caveats of MME factors.
    pub fn uncertainty(&self) -> Option<Cow<'a, str>> {
        match (self.origin, &self.words) {
            (Source::Rule(r), _) => r.uncertainty.as_deref().map(Cow::Borrowed),
            (_, Words::Dose(d)) => {
                if let Some(notes) = d.notes() {
                    return Some(Cow::Owned(notes));
                }
                let limit = match self.origin {
                    Source::DoseLimit(l) => Some(l),
                    _ => None,
                };
                let band_note = match &d.words {
                    words::DoseWords::Limit { band, .. }
                    | words::DoseWords::Cumulative { band, .. } => band.note.as_deref(),
                    _ => None,
                };
                band_note
                    .or(limit.and_then(|l| l.uncertainty.as_deref()))
                    .map(Cow::Borrowed)
            }
            _ => None,
        }
    }

    /// A stable id: the rule, the items, and the condition or allergy (`rule/a+b@condition`).
    pub fn id(&self) -> String {
        let mut s = String::new();
        let _ = self.write_id(&mut s);
        s
    }

    /// Writes [`Finding::id`].
    pub(crate) fn write_id(&self, out: &mut impl fmt::Write) -> fmt::Result {
        out.write_str(self.rule())?;
        out.write_char('/')?;
        for (i, item) in self.items().iter().enumerate() {
            if i > 0 {
                out.write_char('+')?;
            }
            out.write_str(item)?;
        }
        if let Some(c) = self.condition().or(self.allergy()) {
            out.write_char('@')?;
            out.write_str(c)?;
        }
        Ok(())
    }

    /// A number that stands for the finding's origin while the knowledge base lives: the
    /// address of its rule, limit, threshold or monitoring requirement, or a built-in check's
    /// place, with which of these it is in the top byte; never 0. The origin determines
    /// [`Finding::rule`] and [`Finding::evidence`] (and the texts a rule gives), so the line
    /// writer keys a finding's bytes by this instead of reading those through the origin.
    #[inline]
    pub(crate) fn origin_key(&self) -> u64 {
        match self.origin {
            Source::Rule(r) => r as *const Rule as u64 | 1 << 56,
            Source::DoseLimit(l) => l as *const DoseLimit as u64 | 2 << 56,
            Source::MmeThreshold(t) => t as *const MmeThreshold as u64 | 3 << 56,
            Source::Monitoring(m) => m as *const Monitoring as u64 | 4 << 56,
            Source::Builtin(at) => u64::from(at) | 5 << 56,
        }
    }

    pub(crate) fn condition_ranked(&self) -> Option<(&'a str, Rank)> {
        match self.words {
            Words::Condition(c, r) => Some((c, r)),
            _ => None,
        }
    }

    pub(crate) fn allergy_ranked(&self) -> Option<(&'a str, Rank)> {
        match self.words {
            Words::Allergy(a, r) | Words::DocumentedAllergy(a, r) => Some((a, r)),
            _ => None,
        }
    }

    /// The parts of a finding's sort keys, each a number that orders as its text does: severity
    /// (3 to 7, most severe first), kind, the rule's rank, and the first two items' ranks plus
    /// one (0 for no item). `None` unless every rank in it is exact: an id outside the set
    /// shares its (even) rank with other such ids, and a shared rank would let a later part of
    /// the key decide what the text should.
    #[inline]
    fn key_parts(&self) -> Option<[u32; 5]> {
        let ranks = self.items.ranks();
        let exact = |r: Rank| if r.is_exact() { r.known() } else { None };
        let item = |k: usize| ranks.get(k).map_or(Some(0), |&r| exact(r).map(|r| r + 1));
        Some([
            7 - self.severity as u32,
            self.kind as u32,
            exact(self.rank)?,
            item(0)?,
            item(1)?,
        ])
    }

    /// A number that orders findings as [`Finding::order`] does as far as it goes (severity,
    /// kind, rule, the first two items), when every rank in it is exact: two findings with
    /// different keys are in key order; equal keys say nothing. Never 0.
    #[inline]
    pub(crate) fn key(&self) -> Option<u128> {
        let [severity, kind, rule, first, second] = self.key_parts()?;
        // Three bits of severity, eight of kind, 32 of rule, 33 for each item; the lowest
        // `KEY_FREE_BITS` bits are 0.
        Some(
            u128::from(severity) << 125
                | u128::from(kind) << 117
                | u128::from(rule) << 85
                | u128::from(first) << 52
                | u128::from(second) << Self::KEY_FREE_BITS,
        )
    }

    /// How many of the lowest bits of a [`Finding::key`] are 0.
    pub(crate) const KEY_FREE_BITS: u32 = 19;

    /// [`Finding::key`] in 64 bits, when its parts fit: a rule rank under 2^21 (about a
    /// million rule, limit and threshold ids), item ranks under 2^15 (about 16,000 concept
    /// ids). Sorting a word costs about half what sorting two does. Never 0; its lowest
    /// [`Finding::SHORT_KEY_FREE_BITS`] bits are 0, free for the caller.
    #[inline]
    pub(crate) fn short_key(&self) -> Option<u64> {
        let [severity, kind, rule, first, second] = self.key_parts()?;
        if rule >> 21 != 0 || (first | second) >> 15 != 0 || kind >> 4 != 0 {
            return None;
        }
        // Three bits of severity, four of kind, 21 of rule, 15 for each item.
        Some(
            u64::from(severity) << 61
                | u64::from(kind) << 57
                | u64::from(rule) << 36
                | u64::from(first) << 21
                | u64::from(second) << Self::SHORT_KEY_FREE_BITS,
        )
    }

    /// How many of the lowest bits of a [`Finding::short_key`] are 0.
    pub(crate) const SHORT_KEY_FREE_BITS: u32 = 6;

    /// The canonical order: most severe first, then by kind, rule id, item ids, condition,
    /// allergy, input and summary, each compared as text (through ranks where they tell).
    pub(crate) fn order(&self, o: &Finding<'_>) -> Ordering {
        fn opt(a: Option<(&str, Rank)>, b: Option<(&str, Rank)>) -> Ordering {
            match (a, b) {
                (Some(a), Some(b)) => cmp_ids(a.0, a.1, b.0, b.1),
                (a, b) => a.is_some().cmp(&b.is_some()),
            }
        }
        let first = o
            .severity
            .cmp(&self.severity)
            .then(self.kind.cmp(&o.kind))
            .then_with(|| cmp_ranked(self.rank, o.rank, || (self.rule(), o.rule())))
            .then_with(|| self.items.cmp(&o.items));
        if first != Ordering::Equal {
            return first;
        }
        opt(self.condition_ranked(), o.condition_ranked())
            .then_with(|| opt(self.allergy_ranked(), o.allergy_ranked()))
            .then_with(|| self.input().cmp(&o.input()))
            // Two dose findings of one rule and item (the same product listed twice with
            // different doses) differ only in their numbers: order them by their text.
            .then_with(|| self.summary().cmp(&o.summary()))
    }
}

impl PartialEq for Finding<'_> {
    /// Equal when every field of the report is.
    fn eq(&self, o: &Self) -> bool {
        self.order(o) == Ordering::Equal
            && self.management() == o.management()
            && self.monitoring() == o.monitoring()
            && self.sources() == o.sources()
            && self.evidence() == o.evidence()
            && self.mechanism() == o.mechanism()
            && self.effect() == o.effect()
            && self.uncertainty() == o.uncertainty()
            && self.dose() == o.dose()
            && self.overridden == o.overridden
    }
}

#[cfg(test)]
mod tests {
    use super::Finding;

    /// Findings are moved and swapped whole while a report is built and sorted; at 128 bytes or
    /// fewer a move is a few register copies instead of a call to `memcpy`.
    #[test]
    fn a_finding_is_at_most_128_bytes() {
        assert!(std::mem::size_of::<Finding<'_>>() <= 128);
    }
}
