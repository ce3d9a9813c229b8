//! Mapping resources to a regimen: medications and services to items, by RxNorm code, text,
//! display or referenced Medication, with their dosage; what cannot be used becomes a note.

use std::collections::HashSet;

use serde_json::Value;

use super::model::{self, CodeableConcept, MedicationUse, RXNORM, Resource};
use super::read::{Entry, typed};
use super::{DOSE_CHECKS, FhirError, ItemSource, MapOptions, Mapped, MappingNote, dosage};
use crate::check::CheckError;
use crate::kb::KnowledgeBase;
use crate::model::ConceptKind;
use crate::regimen::{Item, MAX_ITEMS, MAX_NAME_CHARS};

/// Maps resources into one regimen: focus resources first, then the others.
pub(super) fn map(
    kb: &KnowledgeBase,
    entries: &[Entry],
    options: &MapOptions,
) -> Result<Mapped, FhirError> {
    let mut m = Mapper {
        kb,
        entries,
        out: Mapped::default(),
        seen: HashSet::new(),
        focus: false,
    };
    for focus in [true, false] {
        for e in entries.iter().filter(|e| e.focus == focus) {
            m.entry(e)?;
        }
    }
    let patient = super::patient::read(kb, entries, options, &mut m.out.notes)?;
    m.out.regimen.patient = patient;
    m.settle();
    Ok(m.out)
}

/// The names of a coded concept, most specific first: RxNorm codes as `rxnorm:CODE`, then its
/// text, then the displays of its codings.
pub(super) fn names(cc: &CodeableConcept, with_rxnorm: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if with_rxnorm {
        out.extend(cc.codes(RXNORM).map(|c| format!("rxnorm:{c}")));
    }
    let texts = cc
        .text
        .iter()
        .chain(cc.coding.iter().filter_map(|c| c.display.as_ref()));
    for t in texts {
        let t = t.trim();
        if !t.is_empty() && !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    out
}

/// The short name of a code system in a quote.
fn system_name(system: &str) -> &str {
    match system {
        RXNORM => "rxnorm",
        model::SNOMED => "snomed",
        model::LOINC => "loinc",
        "http://hl7.org/fhir/sid/ndc" => "ndc",
        "http://hl7.org/fhir/sid/icd-10-cm" => "icd-10-cm",
        "http://hl7.org/fhir/sid/icd-10" => "icd-10",
        other => other,
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// How the record names a concept, for people (`oxycodone 5 mg tablet`).
pub(super) fn label(cc: &CodeableConcept) -> Option<String> {
    cc.text
        .iter()
        .chain(cc.coding.iter().filter_map(|c| c.display.as_ref()))
        .map(|t| t.trim())
        .find(|t| !t.is_empty())
        .map(String::from)
}

/// A quote of a concept that did not resolve: its name and its codes
/// (`"Oxycodone HCl 5 MG Oral Tablet" (rxnorm:1049621)`), within the regimen's name limit.
pub(super) fn quote(cc: &CodeableConcept) -> Option<String> {
    let codes: Vec<String> = cc
        .coding
        .iter()
        .filter_map(|c| {
            let code = c.code.as_deref()?.trim();
            (!code.is_empty()).then(|| match c.system.as_deref() {
                Some(s) => format!("{}:{code}", system_name(s)),
                None => code.to_string(),
            })
        })
        .collect();
    let text = match (label(cc), codes.is_empty()) {
        (None, true) => return None,
        (None, false) => codes.join(", "),
        (Some(l), true) => format!("\"{l}\""),
        (Some(l), false) => format!("\"{l}\" ({})", codes.join(", ")),
    };
    Some(truncate(&text, MAX_NAME_CHARS))
}

struct Mapper<'r> {
    kb: &'r KnowledgeBase,
    entries: &'r [Entry],
    out: Mapped,
    seen: HashSet<&'r str>,
    /// Whether the entry being mapped is a focus resource.
    focus: bool,
}

/// The first name that resolves to a concept of an accepted kind.
pub(super) fn resolve(
    kb: &KnowledgeBase,
    names: &[String],
    accept: fn(ConceptKind) -> bool,
) -> Option<String> {
    let index = kb.index();
    names
        .iter()
        .find(|n| index.resolve(n).is_some_and(|c| accept(index.kind(c))))
        .cloned()
}

impl<'r> Mapper<'r> {
    fn resolve(&self, names: &[String], accept: fn(ConceptKind) -> bool) -> Option<String> {
        resolve(self.kb, names, accept)
    }

    fn note(
        &mut self,
        item: Option<usize>,
        subject: &str,
        checks: &[&'static str],
        reason: String,
    ) {
        let focus = item.map_or(self.focus, |i| self.out.sources[i].focus);
        self.out.notes.push(MappingNote {
            item,
            subject: subject.to_string(),
            focus,
            checks: checks.to_vec(),
            reason,
        });
    }

    fn entry(&mut self, e: &'r Entry) -> Result<(), FhirError> {
        self.focus = e.focus;
        // The same resource sent twice (a draft order also in the prefetch) counts once.
        if matches!(
            e.resource,
            Resource::MedicationRequest(_)
                | Resource::MedicationStatement(_)
                | Resource::ServiceRequest(_)
        ) && !e.name.contains(" at ")
            && !self.seen.insert(&e.name)
        {
            return Ok(());
        }
        match &e.resource {
            Resource::MedicationRequest(m) => {
                const CURRENT: &[&str] = &["active", "draft", "on-hold", "unknown"];
                const ENDED: &[&str] = &[
                    "cancelled",
                    "completed",
                    "entered-in-error",
                    "stopped",
                    "ended",
                ];
                if !self.is_current(e, m.status.as_deref(), CURRENT, ENDED)? {
                    return Ok(());
                }
                self.medication(e, m, &m.dosage_instruction)
            }
            Resource::MedicationStatement(m) => {
                const CURRENT: &[&str] = &["active", "intended", "on-hold", "unknown"];
                const ENDED: &[&str] = &["completed", "entered-in-error", "stopped", "not-taken"];
                if !self.is_current(e, m.status.as_deref(), CURRENT, ENDED)? {
                    return Ok(());
                }
                self.medication(e, m, &m.dosage)
            }
            Resource::ServiceRequest(s) => {
                const CURRENT: &[&str] = &["draft", "active", "on-hold", "unknown"];
                const ENDED: &[&str] = &["revoked", "completed", "entered-in-error"];
                if !self.is_current(e, s.status.as_deref(), CURRENT, ENDED)? {
                    return Ok(());
                }
                let cc = s.code.clone().unwrap_or_default();
                let label = label(&cc).unwrap_or_else(|| "(no code or text)".to_string());
                match self.resolve(&names(&cc, true), ConceptKind::is_item) {
                    Some(id) => self.push(
                        e,
                        Item {
                            id,
                            dose: None,
                            times_per_day: None,
                            days: None,
                            route: None,
                        },
                        label,
                    ),
                    None => {
                        let subject = format!("{} \"{label}\"", e.name);
                        self.note(
                            None,
                            &subject,
                            &["all"],
                            format!("{}: not a therapy or medication medcheck knows; it was not checked", e.name),
                        );
                        Ok(())
                    }
                }
            }
            Resource::OtherOrder { kind } => {
                self.note(
                    None,
                    &e.name,
                    &["all"],
                    format!("{}: medcheck does not check {kind} resources", e.name),
                );
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn push(&mut self, e: &Entry, item: Item, label: String) -> Result<(), FhirError> {
        if self.out.regimen.items.len() >= MAX_ITEMS {
            return Err(FhirError::TooLarge {
                what: "medication and therapy items",
                found: self.out.regimen.items.len() + 1,
                max: MAX_ITEMS,
            });
        }
        self.out.regimen.items.push(item);
        self.out.sources.push(ItemSource {
            resource: e.name.clone(),
            label,
            focus: e.focus,
        });
        Ok(())
    }

    /// The Medication a `medicationReference` points to: contained (`#id`), or in the bundle
    /// (`Medication/id`, or its `fullUrl`).
    fn referenced(
        &self,
        e: &Entry,
        m: &MedicationUse,
    ) -> Result<Option<CodeableConcept>, FhirError> {
        let Some(reference) = m
            .medication_reference
            .as_ref()
            .and_then(|r| r.reference.as_deref())
        else {
            return Ok(None);
        };
        if let Some(local) = reference.strip_prefix('#') {
            let contained = e.raw.get("contained").and_then(Value::as_array);
            for (i, c) in contained.into_iter().flatten().enumerate() {
                let is_it = c.get("resourceType").and_then(Value::as_str) == Some("Medication")
                    && c.get("id").and_then(Value::as_str) == Some(local);
                if is_it {
                    let med: model::Medication = typed(
                        c,
                        &format!("{} contained[{i}] (Medication/{local})", e.name),
                    )?;
                    return Ok(med.code);
                }
            }
            return Ok(None);
        }
        let found = self.entries.iter().find_map(|x| match &x.resource {
            Resource::Medication(med)
                if x.full_url.as_deref() == Some(reference)
                    || med.id.as_deref().is_some_and(|id| {
                        reference == format!("Medication/{id}")
                            || reference.ends_with(&format!("/Medication/{id}"))
                    }) =>
            {
                Some(med.code.clone())
            }
            _ => None,
        });
        Ok(found.flatten())
    }

    /// True when a resource with this status is part of the current regimen. One that has
    /// ended is left out (listed in `left_out` and, so that nothing vanishes from the report,
    /// in `skipped`); a status that is not a FHIR code at all is refused, since guessing
    /// either way could hide an interaction.
    fn is_current(
        &mut self,
        e: &Entry,
        status: Option<&str>,
        current: &[&str],
        ended: &[&str],
    ) -> Result<bool, FhirError> {
        let status = status.unwrap_or("unknown");
        if current.contains(&status) {
            return Ok(true);
        }
        if !ended.contains(&status) {
            let mut allowed: Vec<&str> = current.iter().chain(ended).copied().collect();
            allowed.sort_unstable();
            return Err(super::invalid(
                format!("{}.status", e.name),
                format!(
                    "`{status}` is not a status code of this resource (allowed: {})",
                    allowed.join(", ")
                ),
            ));
        }
        self.out
            .left_out
            .push(format!("{}: status {status}", e.name));
        self.note(
            None,
            &e.name,
            &["all"],
            format!(
                "{}: status {status}, so it is not part of the current regimen",
                e.name
            ),
        );
        Ok(false)
    }

    fn medication(
        &mut self,
        e: &Entry,
        m: &MedicationUse,
        dosages: &[model::Dosage],
    ) -> Result<(), FhirError> {
        let direct = m.medication_codeable_concept.clone().unwrap_or_default();
        let referenced = self.referenced(e, m)?;
        let reference_display = m
            .medication_reference
            .as_ref()
            .and_then(|r| r.display.clone());
        let mut id = self.resolve(&names(&direct, true), ConceptKind::is_item);
        if id.is_none() {
            if let Some(cc) = &referenced {
                id = self.resolve(&names(cc, true), ConceptKind::is_item);
            }
        }
        if id.is_none() {
            if let Some(d) = &reference_display {
                id = self.resolve(std::slice::from_ref(d), ConceptKind::is_item);
            }
        }
        let label = label(&direct)
            .or_else(|| referenced.as_ref().and_then(label))
            .or_else(|| reference_display.clone())
            .unwrap_or_else(|| "(no medication code or text)".to_string());
        let id = id.unwrap_or_else(|| {
            quote(&direct)
                .or_else(|| referenced.as_ref().and_then(quote))
                .or_else(|| reference_display.as_ref().map(|d| format!("\"{d}\"")))
                .unwrap_or_else(|| format!("{} (no medication code or text)", e.name))
        });
        let reading = dosage::read(dosages);
        if let Some(why) = reading.implausible {
            let field = match e.resource {
                Resource::MedicationStatement(_) => "dosage",
                _ => "dosageInstruction",
            };
            return Err(super::invalid(format!("{}.{field}", e.name), why));
        }
        let mut days = reading.days;
        let mut problems = reading.problems;
        if let Some(supply) = m
            .dispense_request
            .as_ref()
            .and_then(|d| d.expected_supply_duration.as_ref())
        {
            match dosage::days(supply, "dispenseRequest expectedSupplyDuration") {
                Ok(d) => days = Some(d),
                Err(p) => problems.push(p),
            }
        }
        let index = self.out.regimen.items.len();
        self.push(
            e,
            Item {
                id,
                dose: reading.dose,
                times_per_day: reading.times_per_day,
                days,
                route: reading.route,
            },
            label,
        )?;
        for p in problems {
            let subject = e.name.clone();
            self.note(
                Some(index),
                &subject,
                DOSE_CHECKS,
                format!("{}: {p}", e.name),
            );
        }
        Ok(())
    }

    /// Runs the check once for each dose unit or route that cannot apply to its item (a
    /// `{tablet}` count of a plain substance, say), and leaves that dose or route out with a
    /// note: an EHR's order is checked without it rather than refused.
    fn settle(&mut self) {
        let rounds = 2 * self.out.regimen.items.len() + 1;
        for _ in 0..rounds {
            let outcome = self.kb.check(&self.out.regimen).map(|_| ());
            let Err(e) = outcome else { return };
            let items = &mut self.out.regimen.items;
            let (index, checks, message) =
                if let CheckError::UnitNotApplicable { index, message, .. } = &e {
                    match items.get_mut(*index) {
                        Some(item) if item.dose.is_some() => item.dose = None,
                        _ => return,
                    }
                    (*index, DOSE_CHECKS, message.clone())
                } else if let CheckError::RouteNotApplicable { index, message, .. } = &e {
                    match items.get_mut(*index) {
                        Some(item) if item.route.is_some() => item.route = None,
                        _ => return,
                    }
                    (*index, &["route"][..], message.clone())
                } else {
                    return;
                };
            let resource = self.out.sources[index].resource.clone();
            self.note(
                Some(index),
                &resource,
                checks,
                format!("{resource}: {message}; checked without it"),
            );
        }
    }
}
