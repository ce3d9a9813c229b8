//! The report as one line of JSON, written straight into a byte buffer: the same bytes as
//! serde_json writes from the `Serialize` impls beside it, in a fraction of the time (no
//! serializer state per value, no `fmt` adaptor between a sentence and its escaping). Batch
//! screening writes every report this way; the tests hold it to serde_json's output, form by
//! form, over generated regimens.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use crate::index::Rank;
use crate::model::{Citation, Model, Monitoring, MonitoringId};
use crate::regimen::RegimenId;
use crate::vocab::{Evidence, FindingKind, Severity};

use super::super::words::SkipReason;
use super::super::{
    DoseDetail, Finding, InOrder, Measure, Origin, Overridden, Reason, Report, Resolved, Skipped,
};
use super::out::{Out, Window};
use super::recall::{Key, Recent};

/// Writes `r`; `full` adds what resolved to what, the rules' texts and the merged monitoring
/// (as `write_report` in the parent module).
pub(super) fn report(o: &mut Out<'_>, r: &Report<'_>, in_order: InOrder<'_, '_>, full: bool) {
    write::<false>(o, r, in_order, full, None);
}

/// Writes `r` (as [`report`]), recalling from `recent` the findings and skipped entries
/// written before, and keeping there those that were not.
pub(super) fn recalling(
    o: &mut Out<'_>,
    r: &Report<'_>,
    in_order: InOrder<'_, '_>,
    full: bool,
    recent: &mut Recent,
) {
    write::<true>(o, r, in_order, full, Some(recent));
}

/// [`report`], or with `RECALL` (and `recent`) [`recalling`].
///
/// The functions that write a line's parts are generic over `RECALL` only so that each of the
/// two writers has its own copy to inline, as the one writer there was did: sharing them, the
/// full form measured 350 instructions a line slower.
fn write<const RECALL: bool>(
    o: &mut Out<'_>,
    r: &Report<'_>,
    in_order: InOrder<'_, '_>,
    full: bool,
    mut recent: Option<&mut Recent>,
) {
    top::<RECALL>(o, r, in_order);
    if full {
        o.raw(",\"resolved\":");
        o.seq(&r.resolved, resolved);
    }
    o.raw(",\"findings\":");
    findings::<RECALL>(o, r, in_order, full, recent.as_deref_mut());
    if full {
        o.raw(",\"monitoring\":[");
        let mut first = true;
        r.each_monitoring(|id, findings| {
            if !first {
                o.raw(",");
            }
            first = false;
            need::<RECALL>(o, r, id, findings, recent.as_deref_mut());
        });
        o.raw("]");
    }
    o.raw(",\"skipped\":[");
    for (i, s) in r.skipped.iter().enumerate() {
        recalled::<RECALL>(
            o,
            recent.as_deref_mut(),
            || skipped_key(s, i == 0),
            |o, _| skipped::<RECALL>(o, s, i == 0),
        );
    }
    o.raw("]}");
}

/// The list of findings of [`write()`], on its own (as it was compiled when there was one writer:
/// inlined into `write`, it measured slower).
#[inline(never)]
fn findings<const RECALL: bool>(
    o: &mut Out<'_>,
    r: &Report<'_>,
    in_order: InOrder<'_, '_>,
    full: bool,
    mut recent: Option<&mut Recent>,
) {
    o.seq(in_order.iter(), |o, f| {
        recalled::<RECALL>(
            o,
            recent.as_deref_mut(),
            || finding_key(f, full),
            |o, recent| finding::<RECALL>(o, f, r.model, full, recent),
        );
    });
}

/// The first fields of a report, in both forms: its id, status, most severe finding and counts.
fn top<const RECALL: bool>(o: &mut Out<'_>, r: &Report<'_>, in_order: InOrder<'_, '_>) {
    o.raw("{");
    if let Some(id) = r.id {
        o.raw("\"id\":");
        regimen_id(o, id);
        o.raw(",");
    }
    o.raw(if r.is_clean() {
        "\"status\":\"clean\""
    } else {
        "\"status\":\"findings\""
    });
    if let Some(s) = in_order.first().map(|f| f.severity) {
        o.raw(",\"max_severity\":");
        o.id(s.as_str());
    }
    counts::<RECALL>(o, r);
}

/// A piece written by `write`, or, given `recent` (with `RECALL`) and when `key` makes a key
/// (asked only while `recent` is awake, see [`Recent::awake`]), recalled from `recent` (and
/// kept there when it was not). `write` is called in one place, so that it is inlined once;
/// it is given `recent` (when there is one), to recall smaller pieces of its own with.
#[inline(always)]
fn recalled<const RECALL: bool>(
    o: &mut Out<'_>,
    recent: Option<&mut Recent>,
    key: impl FnOnce() -> Option<Key>,
    write: impl Fn(&mut Out<'_>, Option<&mut Recent>),
) {
    let mut recent = recent.filter(|_| RECALL);
    let key = match &recent {
        Some(recent) if recent.awake() => key(),
        _ => None,
    };
    if let (Some(recent), Some(key)) = (recent.as_deref(), &key) {
        if let Some(bytes) = recent.get(key) {
            #[cfg(debug_assertions)]
            {
                let mut fresh = Vec::new();
                write(&mut Out::new(&mut fresh), None);
                assert_eq!(fresh, bytes, "a recalled piece is what would be written");
            }
            o.bytes(bytes);
            return;
        }
    }
    let start = o.len();
    write(o, recent.as_deref_mut());
    if let (Some(recent), Some(key)) = (recent, key) {
        recent.put(key, o.since(start));
    }
}

/// `word` of a [`Key`] for a piece that stands for a text of the model as a whole: bits that
/// neither `finding_key` (its top bit is clear) nor `skipped_key` (`which` is 1 or 2) gives.
fn whole_piece(which: u64) -> u64 {
    which << 32 | 3 << 62
}

/// The key of a list of citations of the model (a rule's, a dose limit's, an MME threshold's,
/// written as a finding gives them): the list's address and length determine its bytes.
fn sources_key(list: &[Citation]) -> Key {
    [
        list.as_ptr() as u64,
        list.len() as u64 | whole_piece(3),
        0,
        0,
    ]
}

/// The key of what a monitoring requirement of the model writes after its findings (see
/// [`need`]): its address determines it.
fn need_key(m: &Monitoring) -> Key {
    [m as *const Monitoring as u64, whole_piece(4), 0, 0]
}

/// The number of an exact rank (an id of the knowledge base, whose text it determines).
fn exact(rank: Rank) -> Option<u64> {
    rank.known().filter(|_| rank.is_exact()).map(u64::from)
}

/// What determines a finding's bytes, when nothing else does: its origin
/// ([`Finding::origin_key`], which stands for its rule's id and evidence and, with `texts`,
/// the rule's own texts), kind, severity, one or two items and the condition or allergy it is
/// about, each by an exact rank. (Keyed by the rule's id and evidence instead, read through
/// the origin, the key cost about 15 instructions a finding more.) `None` for a finding with
/// numbers, an override, an input as given or more items, and with `texts`, for one whose
/// words are written from parts or come with a monitoring requirement of an item's own.
fn finding_key(f: &Finding<'_>, texts: bool) -> Option<Key> {
    if f.dose().is_some() || f.overridden.is_some() || f.input().is_some() {
        return None;
    }
    if texts && (!f.summary_is_text() || matches!(f.origin(), Origin::Monitoring(_))) {
        return None;
    }
    let (items, ranks) = f.items_ranked();
    let ranks = match items.len() {
        1 => exact(ranks[0])?,
        2 => exact(ranks[0])? | exact(ranks[1])? << 32,
        _ => return None,
    };
    let about = match (f.condition_ranked(), f.allergy_ranked()) {
        (Some((_, c)), _) => 1 << 32 | exact(c)?,
        (None, Some((_, a))) => 2 << 32 | exact(a)?,
        (None, None) => 0,
    };
    Some([
        f.origin_key(),
        (f.kind as u64) << 32
            | (f.severity as u64) << 40
            | (items.len() as u64) << 56
            | u64::from(texts) << 62,
        ranks,
        about,
    ])
}

/// What determines a skipped entry's bytes, when nothing else does: its item by an exact rank,
/// its checks (the checker's own list, by address and length) and a reason that is a fixed
/// sentence or names a substance (by address and length: the checker's own words or an id of
/// the knowledge base), and whether it is the first (the others start with a comma). `None`
/// for any other reason.
fn skipped_key(s: &Skipped<'_>, first: bool) -> Option<Key> {
    let item = exact(s.rank)?;
    let Cow::Borrowed(checks) = &s.checks else {
        return None;
    };
    let (text, which) = match &s.reason {
        Reason::Dose(SkipReason::Fixed(t)) => (*t, 1),
        Reason::Dose(SkipReason::NoLimit(name)) => (*name, 2),
        _ => return None,
    };
    Some([
        checks.as_ptr() as u64,
        checks.len() as u64 | which << 32 | u64::from(first) << 62 | 1 << 63,
        text.as_ptr() as u64,
        text.len() as u64 | item << 32,
    ])
}

/// What a string written (escaped, quoted) in a [`Window`] may take: six bytes for a byte.
fn escaped(s: &str) -> usize {
    6 * s.len() + 2
}

/// `,"counts":{...}`: the count of each severity, keys in alphabetical order (as serde_json
/// writes the map), through one [`Window`]. The findings are counted by the severity's place
/// in [`Severity::ALL`] ([`Report::counts_by_severity`]), and each key with the punctuation
/// before it is one padded piece of [`Words`]: counted by a search for each finding's severity
/// and written as five strings and five numbers, with the digits' count worked out for each,
/// the counts cost about 500 instructions a compact line more.
fn counts<const RECALL: bool>(o: &mut Out<'_>, r: &Report<'_>) {
    let counts = r.counts_by_severity();
    let words = words();
    // Five keys padded to 32 bytes, five numbers of at most twenty digits, and the brace.
    o.window(5 * (32 + 20) + 1 + Window::SLACK, |w| {
        for (severity, (bytes, len)) in &words.counts {
            w.padded(bytes, *len as usize);
            w.u64(counts[*severity as usize] as u64);
        }
        w.raw("}");
    });
}

/// The regimen's id (inlined into both writers, as it was into the one writer there was).
#[inline(always)]
fn regimen_id(o: &mut Out<'_>, id: &RegimenId) {
    match id {
        RegimenId::Text(t) => o.str(t),
        // Rare, and a number's form is serde_json's to decide.
        RegimenId::Number(n) => o.serde(n),
    }
}

fn resolved(o: &mut Out<'_>, r: &Resolved<'_>) {
    o.raw("{\"role\":");
    o.str(r.role);
    o.raw(",\"input\":");
    o.str(r.input);
    if let Some(id) = r.id {
        o.raw(",\"id\":");
        o.str(id);
    }
    if let Some(kind) = r.kind {
        o.raw(",\"kind\":");
        o.str(kind);
    }
    o.raw("}");
}

/// One finding; `texts` as in `FindingJson`. With `recent`, its list of sources is recalled
/// when it was written before.
fn finding<const RECALL: bool>(
    o: &mut Out<'_>,
    f: &Finding<'_>,
    model: &Model,
    texts: bool,
    recent: Option<&mut Recent>,
) {
    head::<RECALL>(o, f, texts);
    if texts {
        o.raw(",\"summary\":");
        if f.summary_is_text() {
            o.str(&f.summary());
        } else {
            o.str_with(|e| f.write_summary(e));
        }
        o.raw(",\"management\":");
        o.str(&f.management());
        o.raw(",\"monitoring\":");
        o.strs(f.monitoring().iter().map(|id| &*model.monitoring(*id).id));
        o.raw(",\"sources\":");
        let sources = f.sources();
        recalled::<RECALL>(
            o,
            recent,
            || (!sources.is_empty()).then(|| sources_key(sources)),
            |o, _| o.seq(sources, |o, c| citation(o, c, model, false)),
        );
    }
    if let Some(e) = f.evidence().filter(|_| texts) {
        o.raw(",\"evidence\":");
        o.id(e.as_str());
    }
    if texts {
        for (key, value) in [
            (",\"mechanism\":", f.mechanism()),
            (",\"effect\":", f.effect()),
        ] {
            if let Some(v) = value {
                o.raw(key);
                o.str(v);
            }
        }
        if let Some(u) = f.uncertainty() {
            o.raw(",\"uncertainty\":");
            o.str(&u);
        }
    }
    if let Some(d) = f.dose() {
        o.raw(",\"dose\":");
        dose::<RECALL>(o, d);
    }
    if let Some(v) = &f.overridden {
        o.raw(",\"overridden\":");
        overridden::<RECALL>(o, v);
    }
    o.raw("}");
}

/// The start of a finding, all but the texts and the numbers (in the compact form, all but
/// the numbers): its id, kind, severity, items, rule, condition, allergy or input, and (when
/// not `texts`) evidence, written through one [`Window`].
fn head<const RECALL: bool>(o: &mut Out<'_>, f: &Finding<'_>, texts: bool) {
    /// Enough for the keys, punctuation and vocabulary words (under 150 bytes), and the
    /// padding of [`Words`] past them.
    const FIXED: usize = 256;
    // Each part read once: the rule, the condition or allergy (true for a condition), the
    // input.
    let rule = f.rule();
    let about = match (f.condition_ranked(), f.allergy_ranked()) {
        (Some(c), _) => Some((true, c)),
        (None, Some(a)) => Some((false, a)),
        (None, None) => None,
    };
    let input = f.input();
    let (items, ranks) = f.items_ranked();
    let id = IdParts {
        rule,
        items,
        ranks,
        rest_exact: f.rest_exact(),
        about: about.map(|a| a.1),
    };
    // The id's parts are written again (items, rule, condition or allergy); the input once.
    let bound = FIXED + Window::SLACK + 2 * id_room(id) + input.map_or(0, |s| 6 * s.len() + 2);
    o.window(bound, |w| {
        w.raw("{\"id\":\"");
        id_pieces(w, id);
        let words = words();
        let (bytes, len) = &words.kind_severity[f.kind as usize][f.severity as usize];
        w.padded(bytes, *len as usize);
        for (k, item) in items.iter().enumerate() {
            if k > 0 {
                w.raw(",");
            }
            if id.item_exact(k) {
                w.id(item);
            } else {
                w.str(item);
            }
        }
        w.raw("],\"rule\":");
        w.id(rule);
        match (about, input) {
            (Some((true, (c, _))), _) => {
                w.raw(",\"condition\":");
                w.str(c);
            }
            (Some((false, (a, _))), _) => {
                w.raw(",\"allergy\":");
                w.str(a);
            }
            (None, Some(i)) => {
                w.raw(",\"input\":");
                w.str(i);
            }
            (None, None) => {}
        }
        if let Some(e) = f.evidence().filter(|_| !texts) {
            let (bytes, len) = &words.evidence[e as usize];
            w.padded(bytes, *len as usize);
        }
    });
}

/// Bytes of JSON that are the same on every finding of a kind, severity or evidence level,
/// each padded with zeroes to a whole number of words so that it is copied in a few fixed
/// stores, with its length.
struct Words {
    /// `","kind":"interaction","severity":"major","items":[` by kind and severity.
    kind_severity: [[([u8; 80], u8); Severity::ALL.len()]; FindingKind::ALL.len()],
    /// `,"evidence":"established"` by evidence level.
    evidence: [([u8; 32], u8); Evidence::ALL.len()],
    /// `"contraindicated":` and the other severities' keys of the counts, in alphabetical
    /// order, each with the comma before it (the first with `,"counts":{`), and the severity.
    counts: [(Severity, ([u8; 32], u8)); Severity::ALL.len()],
}

/// [`Words`], made on first use.
fn words() -> &'static Words {
    static WORDS: OnceLock<Words> = OnceLock::new();
    WORDS.get_or_init(|| {
        fn padded<const N: usize>(parts: &[&str]) -> ([u8; N], u8) {
            let mut bytes = [0; N];
            let mut len = 0;
            for p in parts {
                bytes[len..len + p.len()].copy_from_slice(p.as_bytes());
                len += p.len();
            }
            (bytes, len as u8)
        }
        let mut words = Words {
            kind_severity: [[([0; 80], 0); Severity::ALL.len()]; FindingKind::ALL.len()],
            evidence: [([0; 32], 0); Evidence::ALL.len()],
            counts: [(Severity::Info, ([0; 32], 0)); Severity::ALL.len()],
        };
        for &kind in FindingKind::ALL {
            for &severity in Severity::ALL {
                words.kind_severity[kind as usize][severity as usize] = padded(&[
                    "\",\"kind\":\"",
                    kind.as_str(),
                    "\",\"severity\":\"",
                    severity.as_str(),
                    "\",\"items\":[",
                ]);
            }
        }
        for &e in Evidence::ALL {
            words.evidence[e as usize] = padded(&[",\"evidence\":\"", e.as_str(), "\""]);
        }
        let mut sorted: [Severity; Severity::ALL.len()] =
            Severity::ALL.try_into().expect("every severity");
        sorted.sort_by_key(|s| s.as_str());
        for (i, &s) in sorted.iter().enumerate() {
            let before = if i == 0 { ",\"counts\":{\"" } else { ",\"" };
            words.counts[i] = (s, padded(&[before, s.as_str(), "\":"]));
        }
        words
    })
}

/// [`Finding::id`] (`rule/a+b@condition`), quoted.
fn finding_id(o: &mut Out<'_>, f: &Finding<'_>) {
    let (items, ranks) = f.items_ranked();
    let id = IdParts {
        rule: f.rule(),
        items,
        ranks,
        rest_exact: f.rest_exact(),
        about: f.condition_ranked().or(f.allergy_ranked()),
    };
    o.window(id_room(id) + 2 + Window::SLACK, |w| {
        w.raw("\"");
        id_pieces(w, id);
        w.raw("\"");
    });
}

/// The parts of [`Finding::id`], read from the finding once by the caller: the rule, the items
/// and the ranks of the first two ([`Finding::items_ranked`]), whether the others are ids of
/// the knowledge base, and the condition or allergy it is about.
#[derive(Clone, Copy)]
struct IdParts<'f> {
    rule: &'f str,
    items: &'f [&'f str],
    ranks: [Rank; 2],
    /// [`Finding::rest_exact`]: the items past the second are ids of the knowledge base.
    rest_exact: bool,
    about: Option<(&'f str, Rank)>,
}

impl IdParts<'_> {
    /// True when item `k` is an id of the knowledge base, written without the escape scan: by
    /// its rank for the first two, by [`IdParts::rest_exact`] for the others.
    #[inline(always)]
    fn item_exact(&self, k: usize) -> bool {
        match self.ranks.get(k) {
            Some(rank) => rank.is_exact(),
            None => self.rest_exact,
        }
    }
}

/// Room for the inside of [`Finding::id`], counting six bytes for each byte of an item,
/// condition or allergy (as an escape may need) and the separators.
fn id_room(id: IdParts<'_>) -> usize {
    let part = |s: &str| 6 * s.len() + 2;
    id.rule.len()
        + 1
        + id.items.iter().map(|i| part(i)).sum::<usize>()
        + id.about.map_or(0, |a| part(a.0))
}

/// The inside of [`Finding::id`], each part written on its own: ids of the knowledge base (an
/// exact rank) without the escape scan, names as given escaped. Inlined, so that the window's
/// position stays in a register in [`head`].
#[inline(always)]
fn id_pieces(w: &mut Window<'_>, id: IdParts<'_>) {
    let piece = |w: &mut Window<'_>, s: &str, exact: bool| {
        if exact {
            w.id_piece(s);
        } else {
            w.escaped(s);
        }
    };
    w.id_piece(id.rule);
    w.raw("/");
    for (k, item) in id.items.iter().enumerate() {
        if k > 0 {
            w.raw("+");
        }
        piece(w, item, id.item_exact(k));
    }
    if let Some((c, rank)) = id.about {
        w.raw("@");
        piece(w, c, rank.is_exact());
    }
}

/// A citation: `id`, `title`, `section`, `url` as a finding gives it, or with its keys in
/// alphabetical order (`section` before `title`) as the monitoring list gives it.
fn citation(o: &mut Out<'_>, c: &Citation, model: &Model, sorted: bool) {
    let src = model.source(c.source);
    o.raw("{\"id\":");
    o.str(&src.id);
    let section = c.section.as_deref();
    if let Some(section) = section.filter(|_| sorted) {
        o.raw(",\"section\":");
        o.str(section);
    }
    o.raw(",\"title\":");
    o.str(&src.title);
    if let Some(section) = section.filter(|_| !sorted) {
        o.raw(",\"section\":");
        o.str(section);
    }
    if let Some(url) = &src.url {
        o.raw(",\"url\":");
        o.str(url);
    }
    o.raw("}");
}

/// One monitoring requirement with the findings that call for it, keys in alphabetical order.
/// With `recent`, what follows the findings (the requirement's own words) is recalled when it
/// was written before.
fn need<const RECALL: bool>(
    o: &mut Out<'_>,
    r: &Report<'_>,
    id: MonitoringId,
    findings: &mut dyn Iterator<Item = usize>,
    recent: Option<&mut Recent>,
) {
    let m = r.model.monitoring(id);
    o.raw("{\"findings\":");
    o.seq(findings, |o, i| {
        finding_id(o, &r.findings[i]);
    });
    recalled::<RECALL>(
        o,
        recent,
        || Some(need_key(m)),
        |o, _| need_words(o, r.model, m),
    );
}

/// What [`need`] writes after the findings: the requirement's id, sources and words.
fn need_words(o: &mut Out<'_>, model: &Model, m: &Monitoring) {
    o.raw(",\"id\":");
    o.str(&m.id);
    o.raw(",\"sources\":");
    o.seq(&m.sources, |o, c| citation(o, c, model, true));
    o.raw(",\"what\":");
    o.str(&m.what);
    o.raw(",\"when\":");
    o.str(&m.when);
    o.raw(",\"why\":");
    o.str(&m.why);
    o.raw("}");
}

/// `{"value":...,"unit":"..."}` through one [`Window`]; a whole value (as most are) is written
/// from its integer, without the float.
fn measure(o: &mut Out<'_>, m: &Measure) {
    // Keys and punctuation (under 20 bytes), the number, the unit (an id of the checker's own).
    let bound = 20 + Window::FLOAT + m.unit.len() + Window::SLACK;
    o.window(bound, |w| {
        w.raw("{\"value\":");
        w.ratio(m.value);
        w.raw(",\"unit\":");
        w.id(m.unit);
        w.raw("}");
    });
}

/// The numbers behind a dose finding, in the order of [`DoseDetail`]'s fields.
fn dose<const RECALL: bool>(o: &mut Out<'_>, d: &DoseDetail<'_>) {
    o.raw("{\"limit\":");
    o.id(d.limit);
    for (key, m) in [(",\"value\":", &d.value), (",\"max\":", &d.max)] {
        if let Some(m) = m {
            o.raw(key);
            measure(o, m);
        }
    }
    if let Some(band) = d.band {
        o.raw(",\"band\":");
        o.str(band);
    }
    if let Some(route) = d.route {
        o.raw(",\"route\":");
        o.id(route.as_str());
    }
    for (key, m) in [(",\"per_kg\":", &d.per_kg), (",\"crcl\":", &d.crcl)] {
        if let Some(m) = m {
            o.raw(key);
            measure(o, m);
        }
    }
    if let Some(method) = d.crcl_method {
        o.raw(",\"crcl_method\":");
        o.id(method);
    }
    if !d.contributions.is_empty() {
        o.raw(",\"contributions\":");
        o.seq(&d.contributions, |o, c| {
            o.raw("{\"item\":");
            o.str(c.item);
            o.raw(",\"amount\":");
            measure(o, &c.amount);
            o.raw("}");
        });
    }
    if !d.not_counted.is_empty() {
        o.raw(",\"not_counted\":");
        o.seq(&d.not_counted, |o, n| {
            o.raw("{\"item\":");
            o.str(n.item);
            o.raw(",\"reason\":");
            o.str(&n.reason);
            o.raw("}");
        });
    }
    o.raw("}");
}

fn overridden<const RECALL: bool>(o: &mut Out<'_>, v: &Overridden<'_>) {
    o.raw("{\"from\":");
    o.id(v.from.as_str());
    o.raw(",\"to\":");
    o.id(v.to.as_str());
    o.raw(",\"by\":");
    o.str(v.by);
    o.raw("}");
}

/// One skipped check, after a comma unless `first`, through one [`Window`] (with the reason,
/// unless it is one of the rare reasons written through `fmt`).
fn skipped<const RECALL: bool>(o: &mut Out<'_>, s: &Skipped<'_>, first: bool) {
    // The length of the reason when it is written in pieces.
    let mut reason = 0;
    let simple = match &s.reason {
        Reason::Text(t) => {
            reason = t.len();
            true
        }
        Reason::Dose(r) => r.write_simple(&mut |p, _| reason += p.len()),
    };
    // `,{"item":`, `,"checks":[`, `],"reason":` and the quotes, under 40 bytes.
    let bound = 40
        + escaped(s.item)
        + s.checks.iter().map(|c| 1 + escaped(c)).sum::<usize>()
        + 6 * reason
        + Window::SLACK;
    o.window(bound, |w| {
        w.raw(if first { "{\"item\":" } else { ",{\"item\":" });
        if s.rank.is_exact() {
            w.id(s.item);
        } else {
            w.str(s.item);
        }
        w.raw(",\"checks\":[");
        for (i, c) in s.checks.iter().enumerate() {
            if i > 0 {
                w.raw(",");
            }
            w.str(c);
        }
        w.raw("],\"reason\":");
        if simple {
            w.raw("\"");
            match &s.reason {
                Reason::Text(t) => w.escaped(t),
                Reason::Dose(r) => {
                    r.write_simple(&mut |p, clean| {
                        if clean {
                            w.id_piece(p);
                        } else {
                            w.escaped(p);
                        }
                    });
                }
            }
            w.raw("\"}");
        }
    });
    if !simple {
        if let Reason::Dose(r) = &s.reason {
            o.str_with(|e| fmt::write(e, format_args!("{r}")));
        }
        o.raw("}");
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Detail;
    use crate::{KnowledgeBase, Overrides, Regimen};

    /// Both forms of the report of `text`, by hand and by serde_json, are the same bytes;
    /// false when there is no report (the regimen is refused).
    fn same_as_serde(kb: &KnowledgeBase, text: &str) -> bool {
        let Ok(regimen) = Regimen::from_json(text) else {
            return false;
        };
        let Ok(report) = kb.check(&regimen) else {
            return false;
        };
        let mut merged = Vec::new();
        report.each_monitoring(|id, findings| merged.push((id, findings.collect::<Vec<_>>())));
        let needs = report.monitoring();
        assert_eq!(merged.len(), needs.len(), "monitoring of {text}");
        for ((id, findings), n) in merged.iter().zip(&needs) {
            assert!(
                *id == n.id && *findings == n.findings,
                "monitoring of {text}"
            );
        }
        let mut full = Vec::new();
        report.write_json_line(&mut full);
        assert_eq!(
            String::from_utf8(full).unwrap(),
            serde_json::to_string(&report).unwrap(),
            "full form of {text}"
        );
        let mut compact = Vec::new();
        report.compact().write_json_line(&mut compact);
        assert_eq!(
            String::from_utf8(compact).unwrap(),
            serde_json::to_string(&report.compact()).unwrap(),
            "compact form of {text}"
        );
        true
    }

    /// A limit's `days` or `times_per_day` not given, with a whole limit (written in pieces)
    /// or another (through `fmt`), and a band name that needs an escape: the bytes serde_json
    /// writes for the entry.
    #[test]
    fn a_limit_not_given_is_written_as_serde_json_writes_it() {
        use super::super::super::words::{LimitKind, SkipReason};
        use super::super::super::{Measure, Skipped};
        use super::super::out::Out;
        use crate::index::Rank;
        use crate::units::Ratio;
        let values = [(7, 1), (0, 1), (4000, 1), (5, 2), (-3, 1), (i128::MAX, 1)];
        for (num, den) in values {
            for kind in [LimitKind::Days, LimitKind::Daily] {
                for band in ["adult", "b \"q\" \\ \n"] {
                    let value = Ratio::new(num, den).unwrap();
                    let reason = SkipReason::NotGiven {
                        kind,
                        chosen: Some((
                            Measure {
                                value,
                                unit: "days",
                            },
                            band,
                        )),
                    };
                    let s = Skipped::dose(("x", Rank::UNKNOWN), &["dose-limit"], reason);
                    for first in [true, false] {
                        let mut ours = Vec::new();
                        super::skipped::<false>(&mut Out::new(&mut ours), &s, first);
                        let theirs = serde_json::to_string(&s).unwrap();
                        let theirs = if first { theirs } else { format!(",{theirs}") };
                        assert_eq!(String::from_utf8(ours).unwrap(), theirs);
                    }
                }
            }
        }
    }

    /// Names, ids and override authors with every kind of character that needs an escape.
    const ODD: [&str; 8] = [
        r#""a \"quoted\" name""#,
        r#""back\\slash""#,
        r#""tab\tnew\nline\rcr\bbs\fff""#,
        r#""nul\u0000 unit\u001f del\u007f""#,
        r#""über 5 µg — “smart” 日本語 💊""#,
        r#""St John's Wort""#,
        r#""warfarin""#,
        r#""ibuprofen""#,
    ];

    #[test]
    fn odd_characters_are_written_as_serde_json_writes_them() {
        let kb = KnowledgeBase::bundled();
        let by = r#"{"by": "P&T \"committee\"\n\t\\ é\u0001", "changes": [
            {"rule": "st-johns-wort-oxycodone", "severity": "major", "reason": "r"}]}"#;
        let local = Overrides::from_json("test", by)
            .expect("overrides")
            .apply(kb)
            .expect("apply");
        let ids = [
            r#""r-1""#,
            r#""id \"with\" \\ \n""#,
            "7",
            "-3",
            "2.5",
            "1e3",
            "18446744073709551615",
        ];
        for (i, name) in ODD.iter().enumerate() {
            let id = ids[i % ids.len()];
            let text = format!(
                r#"{{"id": {id}, "patient": {{"age_years": 70, "weight_kg": 55,
                  "conditions": [{name}, "chronic-kidney-disease"], "allergies": [{name}, "nsaid"]}},
                  "items": [{{"id": {name}}}, {{"id": "oxycodone", "dose": {{"value": 80, "unit": "mg"}},
                  "times_per_day": 4}}, {{"id": "st-johns-wort"}}, {{"id": "warfarin"}},
                  {{"id": "ibuprofen", "dose": {{"value": 800, "unit": "mg"}}}}]}}"#
            );
            assert!(same_as_serde(kb, &text), "{text}");
            assert!(same_as_serde(&local, &text), "{text}");
        }
    }

    /// Regimens drawn from the bundled data: every concept, doses in every unit, patient
    /// context, unknown names.
    #[test]
    fn generated_reports_are_written_as_serde_json_writes_them() {
        let kb = KnowledgeBase::bundled();
        let concepts = &kb.model().concepts;
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        let units = ["mg", "mg", "mcg", "g", "mg/kg", "mcg/kg", "mcg/h"];
        let values = ["0.5", "1", "2.5", "10", "75", "325", "1000", "4000"];
        let mut compared = 0;
        for _ in 0..400 {
            let mut items = Vec::new();
            for _ in 0..1 + next(12) {
                let c = &concepts[next(concepts.len())];
                let mut item = format!(r#"{{"id": {}"#, serde_json::to_string(&*c.id).unwrap());
                if next(3) > 0 {
                    let unit = match &c.detail {
                        Detail::Product(p) => p.unit.as_str(),
                        _ => units[next(units.len())],
                    };
                    let value = values[next(values.len())];
                    item += &format!(r#", "dose": {{"value": {value}, "unit": "{unit}"}}"#);
                }
                if next(2) == 0 {
                    item += &format!(r#", "times_per_day": {}"#, ["1", "2", "4", "0.5"][next(4)]);
                }
                if next(4) == 0 {
                    item += &format!(r#", "days": {}"#, [3, 10, 30][next(3)]);
                }
                items.push(item + "}");
            }
            if next(5) == 0 {
                items.push(format!(r#"{{"id": {}}}"#, ODD[next(ODD.len())]));
            }
            let patient = [
                "{}",
                r#"{"age_years": 72, "weight_kg": 60, "sex": "female", "serum_creatinine_mg_dl": 1.4}"#,
                r#"{"age_years": 8, "weight_kg": 18.5}"#,
                r#"{"crcl_ml_min": 25, "conditions": ["chronic-kidney-disease"], "allergies": ["nsaid"]}"#,
                r#"{"age_years": 45, "phenotypes": {"CYP2D6": "ultrarapid"}}"#,
            ][next(5)];
            let text = format!(
                r#"{{"id": {}, "patient": {patient}, "items": [{}]}}"#,
                next(1000),
                items.join(", ")
            );
            compared += usize::from(same_as_serde(kb, &text));
        }
        assert!(compared > 200, "{compared} reports compared");
    }
}
