//! The report for a person at a terminal.

use std::fmt::Write as _;

use super::Report;

/// One short block per finding, most severe first, then the checks not made.
pub(super) fn to_text(report: &Report<'_>) -> String {
    let mut out = String::new();
    let items = report.resolved.iter().filter(|r| r.role == "item").count();
    let summary: Vec<String> = report
        .counts()
        .iter()
        .filter(|c| c.1 > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    if report.findings.is_empty() {
        let _ = writeln!(out, "No findings for {items} item(s).");
    } else {
        let _ = writeln!(
            out,
            "{} finding(s) for {items} item(s): {}.",
            report.findings.len(),
            summary.join(", ")
        );
    }
    let model = report.model();
    for f in &report.findings {
        let mut what = f.items().join(" + ");
        if let Some(c) = f.condition() {
            let _ = write!(what, " with condition {c}");
        }
        if let Some(a) = f.allergy() {
            let _ = write!(what, " with allergy to {a}");
        }
        let _ = writeln!(
            out,
            "\n{} {}: {what}",
            f.severity.as_str().to_uppercase(),
            f.kind
        );
        let _ = writeln!(out, "  {}", f.summary());
        if let Some(d) = f.dose() {
            if let (Some(v), Some(m)) = (&d.value, &d.max) {
                let band = d.band.map(|b| format!(" (band {b})")).unwrap_or_default();
                let _ = writeln!(out, "  {}: {v}, limit {m}{band}", d.limit);
            }
        }
        let management = f.management();
        if !management.is_empty() {
            let _ = writeln!(out, "  Do: {management}");
        }
        if !f.monitoring().is_empty() {
            let what: Vec<&str> = f
                .monitoring()
                .iter()
                .map(|m| &*model.monitoring(*m).what)
                .collect();
            let _ = writeln!(out, "  Monitor: {}", what.join("; "));
        }
        if let Some(u) = f.uncertainty() {
            // What the sources are unsure of travels with the advice, at a terminal too.
            let _ = writeln!(out, "  Uncertain: {u}");
        }
        let mut sources: Vec<&str> = Vec::new();
        for c in f.sources() {
            let id = &*model.source(c.source).id;
            if !sources.contains(&id) {
                sources.push(id);
            }
        }
        let _ = writeln!(
            out,
            "  Rule {}{}{}",
            f.rule(),
            f.evidence()
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
    for s in &report.skipped {
        let _ = writeln!(
            out,
            "\nNot checked for {}: {} ({})",
            s.item,
            s.checks.join(", "),
            s.reason()
        );
    }
    out
}
