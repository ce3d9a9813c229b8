//! The report as JSON: written straight to the serializer, texts written from their parts as
//! they go out; and, for one line at a time, written by hand into a byte buffer
//! ([`line`](mod@line)), the same bytes faster.

mod line;
mod out;
mod recall;

use std::fmt;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::model::{Citation, Model};
use crate::vocab::Severity;

use super::{Finding, InOrder, MonitoringNeed, Order, Reason, Report, Skipped};

struct FindingJson<'r, 'a> {
    f: &'r Finding<'a>,
    model: &'a Model,
    /// With the texts that belong to the rule (summary, management, monitoring, sources,
    /// mechanism, effect, uncertainty); without them in the compact form.
    texts: bool,
}

/// A citation: `id`, `title`, `section`, `url` as a finding gives it, or with its keys in
/// alphabetical order (`section` before `title`) as the monitoring list gives it.
struct CitationJson<'a> {
    c: &'a Citation,
    model: &'a Model,
    sorted: bool,
}

impl Serialize for CitationJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let src = self.model.source(self.c.source);
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &*src.id)?;
        let section = self.c.section.as_deref();
        if let Some(section) = section.filter(|_| self.sorted) {
            m.serialize_entry("section", section)?;
        }
        m.serialize_entry("title", &*src.title)?;
        if let Some(section) = section.filter(|_| !self.sorted) {
            m.serialize_entry("section", section)?;
        }
        if let Some(url) = &src.url {
            m.serialize_entry("url", &**url)?;
        }
        m.end()
    }
}

impl Serialize for FindingJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.f;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &FindingIdJson(f))?;
        m.serialize_entry("kind", &f.kind)?;
        m.serialize_entry("severity", &f.severity)?;
        m.serialize_entry("items", f.items())?;
        m.serialize_entry("rule", f.rule())?;
        if let Some(c) = f.condition() {
            m.serialize_entry("condition", c)?;
        }
        if let Some(a) = f.allergy() {
            m.serialize_entry("allergy", a)?;
        }
        if let Some(i) = f.input() {
            m.serialize_entry("input", i)?;
        }
        if !self.texts {
            if let Some(e) = f.evidence() {
                m.serialize_entry("evidence", &e)?;
            }
            return dose_and_override(f, m);
        }
        m.serialize_entry("summary", &SummaryJson(f))?;
        m.serialize_entry("management", &f.management())?;
        m.serialize_entry(
            "monitoring",
            &Seq(f
                .monitoring()
                .iter()
                .map(|id| &*self.model.monitoring(*id).id)),
        )?;
        m.serialize_entry(
            "sources",
            &Seq(f.sources().iter().map(|c| CitationJson {
                c,
                model: self.model,
                sorted: false,
            })),
        )?;
        if let Some(e) = f.evidence() {
            m.serialize_entry("evidence", &e)?;
        }
        for (key, value) in [("mechanism", f.mechanism()), ("effect", f.effect())] {
            if let Some(v) = value {
                m.serialize_entry(key, v)?;
            }
        }
        if let Some(u) = f.uncertainty() {
            m.serialize_entry("uncertainty", &u)?;
        }
        dose_and_override(f, m)
    }
}

/// The last fields of a finding, in both forms.
fn dose_and_override<M: SerializeMap>(f: &Finding<'_>, mut m: M) -> Result<M::Ok, M::Error> {
    if let Some(d) = f.dose() {
        m.serialize_entry("dose", d)?;
    }
    if let Some(o) = &f.overridden {
        m.serialize_entry("overridden", o)?;
    }
    m.end()
}

struct MonitoringJson<'r, 'a> {
    report: &'r Report<'a>,
    needs: Vec<MonitoringNeed<'a>>,
}

impl Serialize for MonitoringJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Keys in alphabetical order, as they were when this was built from JSON values.
        let mut seq = s.serialize_seq(Some(self.needs.len()))?;
        for n in &self.needs {
            let m = self.report.model.monitoring(n.id);
            seq.serialize_element(&NeedJson {
                report: self.report,
                need: n,
                m,
            })?;
        }
        seq.end()
    }
}

/// One monitoring requirement with the findings that call for it, keys in alphabetical order.
struct NeedJson<'r, 'a> {
    report: &'r Report<'a>,
    need: &'r MonitoringNeed<'a>,
    m: &'a crate::model::Monitoring,
}

impl Serialize for NeedJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let findings = &self.report.findings;
        let model = self.report.model;
        let mut map = s.serialize_map(Some(6))?;
        map.serialize_entry(
            "findings",
            &Seq(self
                .need
                .findings
                .iter()
                .map(|i| FindingIdJson(&findings[*i]))),
        )?;
        map.serialize_entry("id", &*self.m.id)?;
        map.serialize_entry(
            "sources",
            &Seq(self.m.sources.iter().map(|c| CitationJson {
                c,
                model,
                sorted: true,
            })),
        )?;
        map.serialize_entry("what", &*self.m.what)?;
        map.serialize_entry("when", &*self.m.when)?;
        map.serialize_entry("why", &*self.m.why)?;
        map.end()
    }
}

/// A sequence from an iterator, serialized without collecting it.
struct Seq<I>(I);

impl<I> Serialize for Seq<I>
where
    I: Iterator + Clone,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.clone())
    }
}

/// A finding's [`Finding::id`], written without building the string.
pub(crate) struct FindingIdJson<'r, 'a>(pub &'r Finding<'a>);

impl fmt::Display for FindingIdJson<'_, '_> {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write_id(out)
    }
}

impl Serialize for FindingIdJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Written whole into a reused buffer, then escaped once: `collect_str` escapes each
        // piece as it comes, which made ids a tenth of the cost of a compact screen line.
        thread_local! {
            static ID: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        ID.with_borrow_mut(|id| {
            id.clear();
            let _ = self.0.write_id(id);
            s.serialize_str(id)
        })
    }
}

/// A finding's summary: the rule's text as it is, or written from its parts as it goes out.
struct SummaryJson<'r, 'a>(&'r Finding<'a>);

impl fmt::Display for SummaryJson<'_, '_> {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write_summary(out)
    }
}

impl Serialize for SummaryJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.summary_is_text() {
            s.serialize_str(&self.0.summary())
        } else {
            s.collect_str(self)
        }
    }
}

impl Serialize for Skipped<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("item", self.item)?;
        m.serialize_entry("checks", &*self.checks)?;
        match &self.reason {
            Reason::Text(t) => m.serialize_entry("reason", t)?,
            Reason::Dose(r) => m.serialize_entry("reason", &Displayed(r))?,
        }
        m.end()
    }
}

/// A `Display` value serialized as a string, without building the string first.
pub(crate) struct Displayed<T>(pub T);

impl<T: fmt::Display> Serialize for Displayed<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// Counts by severity, keys in alphabetical order.
struct CountsJson([(Severity, usize); 5]);

impl Serialize for CountsJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut counts = self.0;
        counts.sort_by_key(|(s, _)| s.as_str());
        let mut m = s.serialize_map(Some(counts.len()))?;
        for (severity, n) in counts {
            m.serialize_entry(severity.as_str(), &n)?;
        }
        m.end()
    }
}

impl Serialize for Report<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        write_report(self, s, true)
    }
}

/// The compact form of a report (see [`Report::compact`]).
pub struct Compact<'r, 'a>(pub(super) &'r Report<'a>);

impl Serialize for Compact<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        write_report(self.0, s, false)
    }
}

impl Report<'_> {
    /// Appends the report as one line of JSON, the bytes of [`Report::to_json`].
    pub(crate) fn write_json_line(&self, out: &mut Vec<u8>) {
        write_line(self, true, out);
    }

    /// Writes the report (with `full`, as [`Report::write_json_line`]; without, as
    /// `Compact::write_json_line`) over `buf` from `at`, and answers where it ends. The
    /// bytes of `buf` from `at` on are room to write over (what an earlier run of lines left),
    /// and what is past the answer stays in `buf` as room for the next line (see
    /// `out::Out::over`): the caller cuts `buf` to its written bytes when the run is done.
    ///
    /// `order` is the order [`Report::keyed`] returned with the report, if it did; a full line
    /// needs the findings in canonical order themselves (its monitoring refers to them by
    /// place), so `order` is for compact lines only.
    pub(crate) fn write_json_line_over(
        &self,
        full: bool,
        order: Option<&Order>,
        buf: &mut Vec<u8>,
        at: usize,
    ) -> usize {
        debug_assert!(!full || order.is_none());
        let o = &mut out::Out::over(buf, at);
        write_into(self, InOrder::new(self, order), full, o);
        o.len()
    }

    /// While the guard lives, lines of reports of `model` written on this thread recall the
    /// pieces (findings, skipped entries) written before instead of writing them again (see
    /// [`recall`]): for a run of lines, such as `screen`'s, all full (`full`) or all compact.
    pub(crate) fn recall_lines(model: &Model, full: bool) -> recall::Recall<'_> {
        let size = if full {
            recall::FULL_RING
        } else {
            recall::COMPACT_RING
        };
        recall::Recall::new(model, size)
    }
}

impl Compact<'_, '_> {
    /// Appends the compact report as one line of JSON, the bytes serde_json writes for it.
    #[cfg(test)]
    pub(crate) fn write_json_line(&self, out: &mut Vec<u8>) {
        write_line(self.0, false, out);
    }
}

/// Appends `r` as one line of JSON (`full` as in [`write_report`]), recalling the pieces
/// written before when a [`recall::Recall`] guard for its model lives on this thread.
#[inline]
fn write_line(r: &Report<'_>, full: bool, out: &mut Vec<u8>) {
    write_into(r, InOrder::new(r, None), full, &mut out::Out::new(out));
}

/// [`write_line`] into `o`.
#[inline(always)]
fn write_into(r: &Report<'_>, in_order: InOrder<'_, '_>, full: bool, o: &mut out::Out<'_>) {
    recall::with(r.model, |recent| match recent {
        Some(recent) => line::recalling(o, r, in_order, full, recent),
        None => line::report(o, r, in_order, full),
    });
}

/// The report; `full` adds what resolved to what, the rules' texts and the merged monitoring.
fn write_report<S: Serializer>(r: &Report<'_>, s: S, full: bool) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(None)?;
    if let Some(id) = r.id {
        m.serialize_entry("id", id)?;
    }
    m.serialize_entry("status", if r.is_clean() { "clean" } else { "findings" })?;
    if let Some(s) = r.max_severity() {
        m.serialize_entry("max_severity", &s)?;
    }
    m.serialize_entry("counts", &CountsJson(r.counts()))?;
    if full {
        m.serialize_entry("resolved", &r.resolved)?;
    }
    m.serialize_entry(
        "findings",
        &Seq(r.findings.iter().map(|f| FindingJson {
            f,
            model: r.model,
            texts: full,
        })),
    )?;
    if full {
        m.serialize_entry(
            "monitoring",
            &MonitoringJson {
                report: r,
                needs: r.monitoring(),
            },
        )?;
    }
    m.serialize_entry("skipped", &r.skipped)?;
    m.end()
}
