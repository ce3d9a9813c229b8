//! Cards from a report.
//!
//! Only findings that involve a focus order (a draft order; for `order-select`, a selected one)
//! become cards: problems among the medications the patient already takes were there before the
//! order and are not repeated at every order. Each such finding is one card, with the indicator
//! mapped from severity (`critical` for contraindicated and major, `warning` for moderate, `info`
//! below). What was not checked always shows: each focus order medcheck does not know is its own
//! `warning` card (the order was not checked at all); allergies that could not be checked are a
//! `warning` card; dose checks skipped for focus orders, and parts of the record that were
//! missing or not recognized, are `info` cards.

use std::collections::BTreeSet;

use serde::Serialize;
use uuid::Uuid;

use crate::check::builtin;
use crate::fhir::Mapped;
use crate::report::{Finding, Report};
use crate::vocab::{FindingKind, Severity};

/// Namespace of the name-based card uuids.
const CARD_NAMESPACE: Uuid = Uuid::from_u128(0x6d65_6463_6865_436b_8000_6364_7368_6f6f);
/// Code system of the override reasons.
const OVERRIDE_SYSTEM: &str = "urn:medcheck:override-reason";
/// Summaries must be under 140 characters.
const MAX_SUMMARY_CHARS: usize = 139;

#[derive(Clone, Serialize)]
pub(super) struct Coding {
    code: &'static str,
    system: &'static str,
    display: &'static str,
}

#[derive(Serialize)]
pub(super) struct Source {
    label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize)]
pub(super) struct Link {
    label: String,
    url: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// A CDS Hooks card. Optional fields without a value are omitted, never null or empty.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Card {
    uuid: String,
    summary: String,
    indicator: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    source: Source,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    override_reasons: Vec<Coding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link>,
}

const RISK_REASONS: [Coding; 4] = [
    Coding {
        code: "benefit-outweighs-risk",
        system: OVERRIDE_SYSTEM,
        display: "Benefit outweighs the risk; will monitor",
    },
    Coding {
        code: "already-managed",
        system: OVERRIDE_SYSTEM,
        display: "Already aware; dose or monitoring already adjusted",
    },
    Coding {
        code: "not-applicable",
        system: OVERRIDE_SYSTEM,
        display: "Does not apply to this patient",
    },
    Coding {
        code: "alternatives-unsuitable",
        system: OVERRIDE_SYSTEM,
        display: "Alternatives tried or unsuitable",
    },
];

const NOT_CHECKED_REASONS: [Coding; 1] = [Coding {
    code: "checked-elsewhere",
    system: OVERRIDE_SYSTEM,
    display: "Checked by other means",
}];

pub(super) struct Input<'r, 'a> {
    pub mapped: &'r Mapped,
    pub report: &'r Report<'a>,
    pub hook_instance: &'r str,
    pub missing_prefetch: &'r [&'static str],
}

fn indicator(s: Severity) -> &'static str {
    match s {
        Severity::Contraindicated | Severity::Major => "critical",
        Severity::Moderate => "warning",
        Severity::Minor | Severity::Info => "info",
    }
}

/// A summary under 140 characters, cut at a word where it has to be cut. Summaries are plain
/// text: the backticks the report puts around ids are dropped.
fn summary(s: &str) -> String {
    let s = &s.replace('`', "");
    if s.chars().count() <= MAX_SUMMARY_CHARS {
        return s.clone();
    }
    let cut: String = s.chars().take(MAX_SUMMARY_CHARS - 1).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > MAX_SUMMARY_CHARS / 2 => &cut[..i],
        _ => &cut[..],
    };
    format!("{}…", cut.trim_end_matches([' ', ',', ':', ';']))
}

/// Text from the record, made inert in Markdown (no links, emphasis, HTML or tables).
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        if !c.is_control() {
            out.push(c);
        }
    }
    out
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

struct Builder<'i, 'r, 'a> {
    input: &'i Input<'r, 'a>,
    /// Per regimen item: the canonical id, or the input when it did not resolve.
    ids: Vec<&'a str>,
    resolved: Vec<bool>,
    focus_ids: BTreeSet<&'a str>,
    cards: Vec<(u8, Card)>,
}

impl<'i, 'r, 'a> Builder<'i, 'r, 'a> {
    fn uuid(&self, key: &str) -> String {
        let name = format!("{}\n{key}", self.input.hook_instance);
        Uuid::new_v5(&CARD_NAMESPACE, name.as_bytes()).to_string()
    }

    fn push(&mut self, card: Card) {
        let rank = match card.indicator {
            "critical" => 0,
            "warning" => 1,
            _ => 2,
        };
        self.cards.push((rank, card));
    }

    /// The orders behind a canonical id: `new order MedicationRequest/x (Gabapentin 600 mg)`.
    fn orders_of(&self, id: &str) -> Vec<String> {
        let sources = &self.input.mapped.sources;
        (0..self.ids.len())
            .filter(|i| self.ids[*i] == id)
            .map(|i| {
                let s = &sources[i];
                let what = if s.focus { "this order" } else { "current" };
                format!("{what}: {} ({})", md(&s.label), md(&s.resource))
            })
            .collect()
    }

    fn involves_focus(&self, f: &Finding<'a>) -> bool {
        let mut ids = f.items().iter().copied();
        let from_dose = f.dose().into_iter().flat_map(|d| {
            d.contributions
                .iter()
                .map(|c| c.item)
                .chain(d.not_counted.iter().map(|n| n.item))
        });
        ids.any(|i| self.focus_ids.contains(i))
            || from_dose.into_iter().any(|i| self.focus_ids.contains(i))
    }

    fn finding_card(&mut self, f: &Finding<'a>) {
        let model = self.input.report.model();
        let mut detail = String::new();
        let mut head = format!(
            "**{}** {} · rule `{}`",
            capitalized(f.severity.as_str()),
            f.kind,
            f.rule()
        );
        if let Some(e) = f.evidence() {
            head += &format!(" · evidence: {e}");
        }
        detail += &head;
        if let Some(o) = &f.overridden {
            // No override is invisible: the card says what the knowledge base said.
            detail += &format!(
                "\n\n**Local override:** severity changed from {} to {} by {}",
                o.from,
                o.to,
                md(o.by)
            );
        }
        detail += "\n\n";
        detail += &f.summary();
        detail += "\n";
        for (what, text) in [("Effect", f.effect()), ("Mechanism", f.mechanism())] {
            if let Some(t) = text {
                detail += &format!("\n**{what}:** {t}\n");
            }
        }
        if let Some(c) = f.condition() {
            detail += &format!("\n**Condition:** {c}\n");
        }
        if let Some(a) = f.allergy() {
            detail += &format!("\n**Documented allergy:** {a}\n");
        }
        detail += "\n**Items:**\n";
        for id in f.items() {
            let orders = self.orders_of(id);
            if orders.is_empty() {
                detail += &format!("- {id}\n");
            }
            for o in orders {
                detail += &format!("- {id}: {o}\n");
            }
        }
        if let Some(d) = f.dose() {
            if let (Some(v), Some(m)) = (&d.value, &d.max) {
                let band = d.band.map(|b| format!(" (band `{b}`)")).unwrap_or_default();
                detail += &format!("\n**Dose ({}):** {v}, limit {m}{band}\n", d.limit);
            }
            for n in &d.not_counted {
                detail += &format!("- not counted: {}: {}\n", n.item, n.reason);
            }
        }
        let management = f.management();
        if !management.is_empty() {
            detail += &format!("\n**Management:** {management}\n");
        }
        if !f.monitoring().is_empty() {
            detail += "\n**Monitoring:**\n";
            for m in f.monitoring() {
                let m = model.monitoring(*m);
                detail += &format!("- {}: {} ({})\n", m.what, m.when, m.why);
            }
        }
        if let Some(u) = f.uncertainty() {
            detail += &format!("\n**Uncertainty:** {u}\n");
        }
        let mut links: Vec<Link> = Vec::new();
        if !f.sources().is_empty() {
            detail += "\n**Sources:**\n";
            for c in f.sources() {
                let s = model.source(c.source);
                let section = c
                    .section
                    .as_deref()
                    .map(|x| format!(", {x}"))
                    .unwrap_or_default();
                detail += &format!("- {}{section}\n", s.title);
                if let Some(url) = &s.url {
                    if !links.iter().any(|l| l.url == **url) {
                        links.push(Link {
                            label: summary(&format!("{}{section}", s.title)),
                            url: url.to_string(),
                            kind: "absolute",
                        });
                    }
                }
            }
        }
        let source = match f.sources().first() {
            Some(c) => {
                let s = model.source(c.source);
                Source {
                    label: summary(&s.title),
                    url: s.url.as_deref().map(String::from),
                }
            }
            None => Source {
                label: "medcheck".to_string(),
                url: None,
            },
        };
        // The first link is the source's own address; list the others.
        if source.url.is_some() && !links.is_empty() {
            links.remove(0);
        }
        let indicator = indicator(f.severity);
        let card = Card {
            uuid: self.uuid(&f.id()),
            summary: summary(&format!(
                "{}: {}",
                capitalized(f.severity.as_str()),
                f.summary()
            )),
            indicator,
            detail: Some(detail),
            source,
            override_reasons: if indicator == "info" {
                Vec::new()
            } else {
                RISK_REASONS.to_vec()
            },
            links,
        };
        self.push(card);
    }

    fn unknown_order_card(&mut self, index: usize, f: &Finding<'a>) {
        let s = &self.input.mapped.sources[index];
        let input = f.input().unwrap_or(self.ids[index]);
        let detail = format!(
            "medcheck does not know {} ({}), coded as {}. It was **not checked** for interactions, doses, conditions or allergies.\n\n**Management:** {}\n",
            md(&s.label),
            md(&s.resource),
            md(input),
            f.management()
        );
        let card = Card {
            uuid: self.uuid(&format!("unknown/{}", s.resource)),
            summary: summary(&format!(
                "Not checked: {} is not in medcheck's knowledge base",
                s.label
            )),
            // From the finding's severity like every other card (an unknown item is major:
            // it was not checked at all), as the hook's severity mapping says.
            indicator: indicator(f.severity),
            detail: Some(detail),
            source: Source {
                label: "medcheck".to_string(),
                url: None,
            },
            override_reasons: NOT_CHECKED_REASONS.to_vec(),
            links: Vec::new(),
        };
        self.push(card);
    }

    fn info_card(
        &mut self,
        key: &str,
        summary_text: String,
        detail: String,
        indicator: &'static str,
    ) {
        let card = Card {
            uuid: self.uuid(key),
            summary: summary(&summary_text),
            indicator,
            detail: Some(detail),
            source: Source {
                label: "medcheck".to_string(),
                url: None,
            },
            override_reasons: if indicator == "info" {
                Vec::new()
            } else {
                NOT_CHECKED_REASONS.to_vec()
            },
            links: Vec::new(),
        };
        self.push(card);
    }
}

pub(super) fn build(input: &Input<'_, '_>) -> Vec<Card> {
    let report = input.report;
    let items: Vec<_> = report
        .resolved
        .iter()
        .filter(|r| r.role == "item")
        .collect();
    let ids: Vec<&str> = items.iter().map(|r| r.id.unwrap_or(r.input)).collect();
    let resolved: Vec<bool> = items.iter().map(|r| r.id.is_some()).collect();
    let focus_ids: BTreeSet<&str> = ids
        .iter()
        .zip(&input.mapped.sources)
        .filter(|(_, s)| s.focus)
        .map(|(id, _)| *id)
        .collect();
    let mut b = Builder {
        input,
        ids,
        resolved,
        focus_ids,
        cards: Vec::new(),
    };
    let mut unknown_context: Vec<String> = Vec::new();
    let mut unknown_conditions: Vec<&str> = Vec::new();
    let mut unknown_allergies: Vec<&str> = Vec::new();
    for f in &report.findings {
        if f.kind != FindingKind::UnknownItem {
            if b.involves_focus(f) {
                b.finding_card(f);
            }
            continue;
        }
        let what = f.input().unwrap_or_default();
        match f.rule() {
            builtin::UNKNOWN_CONDITION => unknown_conditions.push(what),
            builtin::UNKNOWN_ALLERGY => unknown_allergies.push(what),
            _ => {
                let index = (0..b.ids.len()).find(|i| !b.resolved[*i] && b.ids[*i] == what);
                match index {
                    Some(i) if input.mapped.sources[i].focus => b.unknown_order_card(i, f),
                    Some(i) => unknown_context.push(format!(
                        "{} ({})",
                        md(&input.mapped.sources[i].label),
                        md(&input.mapped.sources[i].resource)
                    )),
                    // A resolved-but-not-an-item name (a class): report it like any unknown.
                    None => unknown_context.push(md(what)),
                }
            }
        }
    }
    // Dose checks skipped for focus orders, and focus orders medcheck cannot check.
    let focus_subjects: BTreeSet<&str> = input
        .mapped
        .notes
        .iter()
        .filter(|n| n.focus && n.item.is_none())
        .map(|n| n.subject.as_str())
        .collect();
    let skipped: Vec<_> = report
        .skipped
        .iter()
        .filter(|s| b.focus_ids.contains(s.item) || focus_subjects.contains(s.item))
        .collect();
    let orders: BTreeSet<&str> = skipped.iter().map(|s| s.item).collect();
    let skipped: Vec<String> = skipped
        .iter()
        .map(|s| {
            format!(
                "- {}: {} not checked: {}",
                md(s.item),
                s.checks.join(", "),
                md(&s.reason())
            )
        })
        .collect();
    if !skipped.is_empty() {
        let names: Vec<&str> = orders.iter().copied().collect();
        b.info_card(
            "skipped",
            format!("Some checks were not made for: {}", names.join(", ")),
            format!(
                "medcheck could not make these checks; check them by other means.\n\n{}\n",
                skipped.join("\n")
            ),
            "info",
        );
    }
    if !unknown_allergies.is_empty() {
        let list: Vec<String> = unknown_allergies.iter().map(|a| md(a)).collect();
        b.info_card(
            "unknown-allergies",
            format!("Not checked against {} documented allergy(ies): {}", list.len(), unknown_allergies.join(", ")),
            format!(
                "medcheck does not know these documented allergies, so the orders were **not checked** against them:\n\n{}\n",
                list.iter().map(|a| format!("- {a}")).collect::<Vec<_>>().join("\n")
            ),
            // An unknown allergy is a major finding: the orders were not checked against it.
            indicator(Severity::Major),
        );
    }
    let mut context: Vec<String> = Vec::new();
    if !input.missing_prefetch.is_empty() {
        context.push(format!(
            "Not sent by the EHR: {} (the orders were checked without them).",
            input.missing_prefetch.join(", ")
        ));
    }
    if !unknown_context.is_empty() {
        context.push(format!(
            "Current medications medcheck does not know (the orders were not checked against them): {}.",
            unknown_context.join("; ")
        ));
    }
    if !unknown_conditions.is_empty() {
        let list: Vec<String> = unknown_conditions.iter().map(|c| md(c)).collect();
        context.push(format!(
            "Conditions medcheck does not know (not checked against them): {}.",
            list.join("; ")
        ));
    }
    for s in report.skipped.iter().filter(|s| s.item == "patient") {
        context.push(format!(
            "Patient: {} not checked: {}.",
            s.checks.join(", "),
            md(&s.reason())
        ));
    }
    if !context.is_empty() {
        let mut parts = Vec::new();
        if !input.missing_prefetch.is_empty() {
            parts.push(format!(
                "{} record part(s) not sent",
                input.missing_prefetch.len()
            ));
        }
        if !unknown_context.is_empty() {
            parts.push(format!(
                "{} medication(s) not recognized",
                unknown_context.len()
            ));
        }
        if !unknown_conditions.is_empty() {
            parts.push(format!(
                "{} condition(s) not recognized",
                unknown_conditions.len()
            ));
        }
        let summary_text = if parts.is_empty() {
            "Part of the patient record could not be used in this check".to_string()
        } else {
            format!("Checked without part of the record: {}", parts.join(", "))
        };
        b.info_card(
            "context",
            summary_text,
            context
                .iter()
                .map(|c| format!("- {c}"))
                .collect::<Vec<_>>()
                .join("\n")
                + "\n",
            "info",
        );
    }
    let mut cards = b.cards;
    cards.sort_by_key(|(rank, _)| *rank);
    cards.into_iter().map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_stay_under_140_characters() {
        let long = "word ".repeat(60);
        let s = summary(&long);
        assert!(s.chars().count() < 140, "{}", s.chars().count());
        assert!(s.ends_with('…'));
        assert_eq!(summary("short"), "short");
    }

    #[test]
    fn record_text_is_inert_markdown() {
        assert_eq!(md("[x](http://a) <b>*"), "\\[x\\](http://a) \\<b\\>\\*");
    }

    #[test]
    fn indicators_follow_severity() {
        assert_eq!(indicator(Severity::Contraindicated), "critical");
        assert_eq!(indicator(Severity::Major), "critical");
        assert_eq!(indicator(Severity::Moderate), "warning");
        assert_eq!(indicator(Severity::Minor), "info");
    }
}
