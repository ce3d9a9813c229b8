//! Stage 6: the report, and its JSON and text forms.
//!
//! A [`Report`] borrows its texts from the knowledge base and the regimen, so building one
//! allocates little. Findings are kept in a canonical order (most severe first, then by kind,
//! rule and items), which makes the output independent of the order of the regimen's items.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::model::{Citation, Model, MonitoringId};
use crate::regimen::RegimenId;
use crate::units::Ratio;
use crate::vocab::{Evidence, FindingKind, Route, Severity};

/// A number with its unit, as a finding reports it (`4100 mg/day`, `96 MME/day`, `7 days`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measure {
    /// Exact value.
    pub value: Ratio,
    /// Unit as shown.
    pub unit: &'static str,
}

impl Serialize for Measure {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
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

/// One safety finding.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding<'a> {
    /// What it is about.
    pub kind: FindingKind,
    /// How serious.
    pub severity: Severity,
    /// Canonical ids of the items involved, sorted (for an unknown item, the input as given).
    pub items: Vec<&'a str>,
    /// Id of the rule or limit that fired (`medcheck:...` for the checker's own checks).
    pub rule: &'a str,
    /// One line: what the risk is.
    pub summary: Cow<'a, str>,
    /// What to do.
    pub management: Cow<'a, str>,
    /// Monitoring requirements.
    pub monitoring: Cow<'a, [MonitoringId]>,
    /// Citations.
    pub sources: Cow<'a, [Citation]>,
    /// Evidence level of the rule.
    pub evidence: Option<Evidence>,
    /// How it happens.
    pub mechanism: Option<&'a str>,
    /// What it does.
    pub effect: Option<&'a str>,
    /// Where the sources are unsure.
    pub uncertainty: Option<Cow<'a, str>>,
    /// For a condition finding: the patient's condition.
    pub condition: Option<&'a str>,
    /// For an allergy finding: the documented allergy.
    pub allergy: Option<&'a str>,
    /// For an unknown item: the text as given.
    pub input: Option<&'a str>,
    /// For dose findings: the numbers.
    pub dose: Option<DoseDetail<'a>>,
    /// A local override that changed this finding.
    pub overridden: Option<Overridden<'a>>,
}

impl<'a> Finding<'a> {
    /// A finding with the given kind, severity, items and rule; every other field empty.
    pub fn new(
        kind: FindingKind,
        severity: Severity,
        items: Vec<&'a str>,
        rule: &'a str,
        summary: Cow<'a, str>,
    ) -> Finding<'a> {
        Finding {
            kind,
            severity,
            items,
            rule,
            summary,
            management: Cow::Borrowed(""),
            monitoring: Cow::Borrowed(&[]),
            sources: Cow::Borrowed(&[]),
            evidence: None,
            mechanism: None,
            effect: None,
            uncertainty: None,
            condition: None,
            allergy: None,
            input: None,
            dose: None,
            overridden: None,
        }
    }

    /// A stable id: the rule, the items, and the condition or allergy (`rule/a+b@condition`).
    pub fn id(&self) -> String {
        let mut s = format!("{}/{}", self.rule, self.items.join("+"));
        if let Some(c) = self.condition.or(self.allergy) {
            let _ = write!(s, "@{c}");
        }
        s
    }

    fn sort_key(&self) -> impl Ord + '_ {
        (
            std::cmp::Reverse(self.severity),
            self.kind,
            self.rule,
            &self.items,
            self.condition,
            self.allergy,
            self.input,
            // Two dose findings of one rule and item (the same product listed twice with
            // different doses) differ only in their numbers: order them by their text.
            &*self.summary,
        )
    }
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

/// A check that could not be made for an item.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Skipped<'a> {
    /// The item's canonical id.
    pub item: &'a str,
    /// The checks not made (`dose-limit`, `cumulative-dose`, `opioid-mme`).
    pub checks: Vec<&'static str>,
    /// Why.
    pub reason: Cow<'a, str>,
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

impl<'a> Report<'a> {
    /// A report from its parts; findings and skipped checks are put in canonical order.
    pub fn new(
        model: &'a Model,
        id: Option<&'a RegimenId>,
        resolved: Vec<Resolved<'a>>,
        mut findings: Vec<Finding<'a>>,
        mut skipped: Vec<Skipped<'a>>,
    ) -> Report<'a> {
        // Sort positions rather than the findings (a few hundred bytes each): each finding is
        // then moved at most twice, and not at all when they are in order already. A stable
        // sort of positions orders equal findings as a stable sort of the findings would.
        if findings.len() > 1 {
            let mut order: Vec<u32> = (0..findings.len() as u32).collect();
            order.sort_by(|&a, &b| {
                findings[a as usize]
                    .sort_key()
                    .cmp(&findings[b as usize].sort_key())
            });
            if order.windows(2).any(|w| w[0] > w[1]) {
                let mut slots: Vec<Option<Finding<'a>>> = findings.into_iter().map(Some).collect();
                findings = order
                    .iter()
                    .filter_map(|&i| slots[i as usize].take())
                    .collect();
            }
        }
        findings.dedup();
        skipped.sort_by(|a, b| (a.item, &a.checks, &a.reason).cmp(&(b.item, &b.checks, &b.reason)));
        skipped.dedup();
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
            for m in f.monitoring.iter() {
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

    /// Counts of findings by severity.
    pub fn counts(&self) -> [(Severity, usize); 5] {
        let mut counts = [
            (Severity::Contraindicated, 0),
            (Severity::Major, 0),
            (Severity::Moderate, 0),
            (Severity::Minor, 0),
            (Severity::Info, 0),
        ];
        for f in &self.findings {
            if let Some(c) = counts.iter_mut().find(|c| c.0 == f.severity) {
                c.1 += 1;
            }
        }
        counts
    }

    /// The report as one line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a report always serializes")
    }

    /// The report as indented JSON.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }

    /// The report for a person at a terminal: one short block per finding, most severe first.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let items = self.resolved.iter().filter(|r| r.role == "item").count();
        let summary: Vec<String> = self
            .counts()
            .iter()
            .filter(|c| c.1 > 0)
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        if self.findings.is_empty() {
            let _ = writeln!(out, "No findings for {items} item(s).");
        } else {
            let _ = writeln!(
                out,
                "{} finding(s) for {items} item(s): {}.",
                self.findings.len(),
                summary.join(", ")
            );
        }
        for f in &self.findings {
            let mut what = f.items.join(" + ");
            if let Some(c) = f.condition {
                let _ = write!(what, " with condition {c}");
            }
            if let Some(a) = f.allergy {
                let _ = write!(what, " with allergy to {a}");
            }
            let _ = writeln!(
                out,
                "\n{} {}: {what}",
                f.severity.as_str().to_uppercase(),
                f.kind
            );
            let _ = writeln!(out, "  {}", f.summary);
            if let Some(d) = &f.dose {
                if let (Some(v), Some(m)) = (&d.value, &d.max) {
                    let band = d.band.map(|b| format!(" (band {b})")).unwrap_or_default();
                    let _ = writeln!(out, "  {}: {v}, limit {m}{band}", d.limit);
                }
            }
            if !f.management.is_empty() {
                let _ = writeln!(out, "  Do: {}", f.management);
            }
            if !f.monitoring.is_empty() {
                let what: Vec<&str> = f
                    .monitoring
                    .iter()
                    .map(|m| &*self.model.monitoring(*m).what)
                    .collect();
                let _ = writeln!(out, "  Monitor: {}", what.join("; "));
            }
            let mut sources: Vec<&str> = Vec::new();
            for c in f.sources.iter() {
                let id = &*self.model.source(c.source).id;
                if !sources.contains(&id) {
                    sources.push(id);
                }
            }
            let _ = writeln!(
                out,
                "  Rule {}{}{}",
                f.rule,
                f.evidence
                    .map(|e| format!(", evidence {e}"))
                    .unwrap_or_default(),
                if sources.is_empty() {
                    String::new()
                } else {
                    format!(", sources {}", sources.join(", "))
                }
            );
            if let Some(o) = &f.overridden {
                let _ = if o.from == o.to {
                    writeln!(out, "  Local rule, added by {}", o.by)
                } else {
                    writeln!(out, "  Overridden: {} -> {} by {}", o.from, o.to, o.by)
                };
            }
        }
        for s in &self.skipped {
            let _ = writeln!(
                out,
                "\nNot checked for {}: {} ({})",
                s.item,
                s.checks.join(", "),
                s.reason
            );
        }
        out
    }
}

struct FindingJson<'r, 'a> {
    f: &'r Finding<'a>,
    model: &'a Model,
}

struct CitationJson<'a> {
    c: &'a Citation,
    model: &'a Model,
}

impl Serialize for CitationJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let src = self.model.source(self.c.source);
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &*src.id)?;
        m.serialize_entry("title", &*src.title)?;
        if let Some(section) = &self.c.section {
            m.serialize_entry("section", &**section)?;
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
        m.serialize_entry("items", &f.items)?;
        m.serialize_entry("rule", f.rule)?;
        if let Some(c) = f.condition {
            m.serialize_entry("condition", c)?;
        }
        if let Some(a) = f.allergy {
            m.serialize_entry("allergy", a)?;
        }
        if let Some(i) = f.input {
            m.serialize_entry("input", i)?;
        }
        m.serialize_entry("summary", &f.summary)?;
        m.serialize_entry("management", &f.management)?;
        m.serialize_entry(
            "monitoring",
            &Seq(f
                .monitoring
                .iter()
                .map(|id| &*self.model.monitoring(*id).id)),
        )?;
        m.serialize_entry(
            "sources",
            &Seq(f.sources.iter().map(|c| CitationJson {
                c,
                model: self.model,
            })),
        )?;
        if let Some(e) = f.evidence {
            m.serialize_entry("evidence", &e)?;
        }
        for (key, value) in [
            ("mechanism", f.mechanism),
            ("effect", f.effect),
            ("uncertainty", f.uncertainty.as_deref()),
        ] {
            if let Some(v) = value {
                m.serialize_entry(key, v)?;
            }
        }
        if let Some(d) = &f.dose {
            m.serialize_entry("dose", d)?;
        }
        if let Some(o) = &f.overridden {
            m.serialize_entry("overridden", o)?;
        }
        m.end()
    }
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
            &Seq(self
                .m
                .sources
                .iter()
                .map(|c| SortedCitationJson { c, model })),
        )?;
        map.serialize_entry("what", &*self.m.what)?;
        map.serialize_entry("when", &*self.m.when)?;
        map.serialize_entry("why", &*self.m.why)?;
        map.end()
    }
}

/// A citation with its keys in alphabetical order (`id`, `section`, `title`, `url`).
struct SortedCitationJson<'a> {
    c: &'a Citation,
    model: &'a Model,
}

impl Serialize for SortedCitationJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let src = self.model.source(self.c.source);
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &*src.id)?;
        if let Some(section) = &self.c.section {
            m.serialize_entry("section", &**section)?;
        }
        m.serialize_entry("title", &*src.title)?;
        if let Some(url) = &src.url {
            m.serialize_entry("url", &**url)?;
        }
        m.end()
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
struct FindingIdJson<'r, 'a>(&'r Finding<'a>);

impl std::fmt::Display for FindingIdJson<'_, '_> {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let f = self.0;
        out.write_str(f.rule)?;
        out.write_str("/")?;
        for (i, item) in f.items.iter().enumerate() {
            if i > 0 {
                out.write_str("+")?;
            }
            out.write_str(item)?;
        }
        if let Some(c) = f.condition.or(f.allergy) {
            out.write_str("@")?;
            out.write_str(c)?;
        }
        Ok(())
    }
}

impl Serialize for FindingIdJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
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
        let mut m = s.serialize_map(None)?;
        if let Some(id) = self.id {
            m.serialize_entry("id", id)?;
        }
        m.serialize_entry("status", if self.is_clean() { "clean" } else { "findings" })?;
        if let Some(s) = self.max_severity() {
            m.serialize_entry("max_severity", &s)?;
        }
        m.serialize_entry("counts", &CountsJson(self.counts()))?;
        m.serialize_entry("resolved", &self.resolved)?;
        m.serialize_entry(
            "findings",
            &Seq(self.findings.iter().map(|f| FindingJson {
                f,
                model: self.model,
            })),
        )?;
        m.serialize_entry(
            "monitoring",
            &MonitoringJson {
                report: self,
                needs: self.monitoring(),
            },
        )?;
        m.serialize_entry("skipped", &self.skipped)?;
        m.end()
    }
}
