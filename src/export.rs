//! Writing a validated model back out as source data, the inverse of [`crate::model`].
//!
//! [`to_source`] turns a [`Model`] into [`SourceData`] that loads into a model which checks
//! every regimen the same way. [`SourceData::write_dir`] then writes it as a data directory, so
//! a knowledge base (bundled, loaded from a directory, or with local overrides merged) can be
//! saved, reviewed with ordinary diff tools, and loaded again.
//!
//! Two things the model does not keep are not written: class and therapy descriptions, and the
//! distinction between synonyms and brand names (both are written as synonyms; both are names a
//! regimen may use, and neither appears in a report).

use crate::model::{Band, Citation, ConceptId, Detail, Endpoint, Model, Range, RuleKind, When};
use crate::source::{
    RawAmount, RawBand, RawCitation, RawClass, RawCondition, RawDoseLimit, RawEndpoint,
    RawIngredient, RawMmeThreshold, RawMonitoring, RawOpioidConversion, RawProduct, RawRange,
    RawRule, RawSource, RawSubstance, RawTherapy, RawWhen, SourceData,
};
use crate::units::{Amount, Ratio};

/// The exact decimal form of a ratio as a JSON number. Every ratio in a model was read from a
/// decimal with at most 15 significant digits, so the number reads back to the same ratio.
pub fn ratio_to_json(r: Ratio) -> serde_json::Number {
    if r.denom() == 1 {
        if let Ok(i) = i64::try_from(r.numer()) {
            return i.into();
        }
    }
    let text = exact_decimal(r).unwrap_or_else(|| format!("{}", r.to_f64()));
    serde_json::from_str(&text).unwrap_or_else(|_| {
        serde_json::Number::from_f64(r.to_f64()).unwrap_or_else(|| serde_json::Number::from(0))
    })
}

/// `num/den` written as a finite decimal, when it has one of at most 18 places.
fn exact_decimal(r: Ratio) -> Option<String> {
    let (num, den) = (r.numer(), r.denom());
    for places in 0..=18u32 {
        let scale = 10i128.checked_pow(places)?;
        let scaled = num.checked_mul(scale)?;
        if scaled % den == 0 {
            let v = scaled / den;
            let sign = if v < 0 { "-" } else { "" };
            let v = v.unsigned_abs();
            let scale = scale as u128;
            if places == 0 {
                return Some(format!("{sign}{v}"));
            }
            let frac = format!("{:0width$}", v % scale, width = places as usize);
            return Some(format!("{sign}{}.{frac}", v / scale));
        }
    }
    None
}

fn id(model: &Model, c: ConceptId) -> String {
    model.concept(c).id.to_string()
}

fn ids(model: &Model, cs: &[ConceptId]) -> Vec<String> {
    cs.iter().map(|c| id(model, *c)).collect()
}

fn citations(model: &Model, cs: &[Citation]) -> Vec<RawCitation> {
    cs.iter()
        .map(|c| {
            let id = model.source(c.source).id.to_string();
            match &c.section {
                Some(section) => RawCitation::WithSection {
                    id,
                    section: section.to_string(),
                },
                None => RawCitation::Id(id),
            }
        })
        .collect()
}

fn amount(a: Amount) -> RawAmount {
    RawAmount {
        value: ratio_to_json(a.value),
        unit: a.unit.as_str().to_string(),
    }
}

/// A product ingredient; a strength with no exact decimal per unit (325 mg per 15 mL) is
/// written as its numerator per its denominator.
fn ingredient(model: &Model, i: &crate::model::Ingredient) -> RawIngredient {
    let v = i.strength.value;
    let (value, per) = match exact_decimal(v) {
        Some(_) => (v, None),
        None => (
            Ratio::from_int(v.numer() as i64),
            Some(Ratio::from_int(v.denom() as i64)),
        ),
    };
    RawIngredient {
        substance: model.concept(i.substance).id.to_string(),
        strength: amount(Amount::new(value, i.strength.unit)),
        per: per.map(ratio_to_json),
    }
}

fn range(r: &Range) -> RawRange {
    RawRange {
        min: r.min.map(ratio_to_json),
        max: r.max.map(ratio_to_json),
    }
}

fn text(t: &Option<crate::model::Text>) -> Option<String> {
    t.as_deref().map(str::to_string)
}

fn endpoint(model: &Model, e: Endpoint) -> RawEndpoint {
    match e.route {
        Some(route) => RawEndpoint::WithRoute {
            id: id(model, e.concept),
            route: route.as_str().to_string(),
        },
        None => RawEndpoint::Id(id(model, e.concept)),
    }
}

fn when(model: &Model, w: &When) -> Option<RawWhen> {
    if *w == When::default() {
        return None;
    }
    Some(RawWhen {
        age_years: w.age_years.as_ref().map(range),
        weight_kg: w.weight_kg.as_ref().map(range),
        crcl_ml_min: w.crcl_ml_min.as_ref().map(range),
        conditions: ids(model, &w.conditions),
    })
}

fn band(model: &Model, b: &Band) -> RawBand {
    RawBand {
        band: b.name.to_string(),
        when: when(model, &b.when),
        max_single: b.max_single.map(amount),
        max_daily: b.max_daily.map(amount),
        max_days: b.max_days,
        note: text(&b.note),
    }
}

/// The model as source data: every entry, in model order, with every reference by id.
pub fn to_source(model: &Model) -> SourceData {
    let mut out = SourceData {
        sources: model
            .sources
            .iter()
            .map(|s| RawSource {
                id: s.id.to_string(),
                title: s.title.to_string(),
                kind: s.kind.to_string(),
                publisher: text(&s.publisher),
                year: s.year,
                url: text(&s.url),
            })
            .collect(),
        monitoring: model
            .monitoring
            .iter()
            .map(|m| RawMonitoring {
                id: m.id.to_string(),
                what: m.what.to_string(),
                when: m.when.to_string(),
                why: m.why.to_string(),
                for_items: m
                    .standing
                    .iter()
                    .map(|c| model.concept(*c).id.to_string())
                    .collect(),
                sources: citations(model, &m.sources),
            })
            .collect(),
        ..SourceData::default()
    };
    for c in &model.concepts {
        let names: Vec<String> = c.names.iter().map(|n| n.to_string()).collect();
        let parents = ids(model, &c.parents);
        let (id, name) = (c.id.to_string(), c.name.to_string());
        match &c.detail {
            Detail::Class => out.classes.push(RawClass {
                id,
                name,
                synonyms: names,
                parents,
                description: None,
            }),
            Detail::Condition { age_years } => {
                let (icd10, synonyms): (Vec<String>, Vec<String>) =
                    names.into_iter().partition(|n| n.starts_with("icd10:"));
                out.conditions.push(RawCondition {
                    id,
                    name,
                    synonyms,
                    parents,
                    age_years: age_years.as_ref().map(range),
                    icd10: icd10
                        .iter()
                        .map(|n| n["icd10:".len()..].to_string())
                        .collect(),
                })
            }
            Detail::Substance(kind) => out.substances.push(RawSubstance {
                id,
                name,
                kind: kind.as_str().to_string(),
                synonyms: names,
                brands: Vec::new(),
                rxnorm: c.rxnorm.as_deref().map(str::to_string),
                atc: c.atc.as_deref().map(str::to_string),
                classes: parents,
            }),
            Detail::Product(p) => out.products.push(RawProduct {
                id,
                name,
                unit: p.unit.as_str().to_string(),
                route: p.route.as_str().to_string(),
                ingredients: p.ingredients.iter().map(|i| ingredient(model, i)).collect(),
                synonyms: names,
                brands: Vec::new(),
                rxnorm: c.rxnorm.as_deref().map(str::to_string),
                classes: parents,
            }),
            Detail::Therapy => out.therapies.push(RawTherapy {
                id,
                name,
                synonyms: names,
                classes: parents,
                description: None,
            }),
        }
    }
    out.rules = model
        .rules
        .iter()
        .map(|r| {
            let mut raw = RawRule {
                id: r.id.to_string(),
                kind: String::new(),
                between: None,
                class: None,
                min_count: None,
                subject: None,
                gene: None,
                phenotypes: None,
                allergen: None,
                requires: ids(model, &r.requires),
                severity: r.severity.as_str().to_string(),
                evidence: r.evidence.as_str().to_string(),
                summary: r.summary.to_string(),
                mechanism: text(&r.mechanism),
                effect: text(&r.effect),
                management: r.management.to_string(),
                monitoring: r
                    .monitoring
                    .iter()
                    .map(|m| model.monitoring(*m).id.to_string())
                    .collect(),
                sources: citations(model, &r.sources),
                uncertainty: text(&r.uncertainty),
            };
            match &r.kind {
                RuleKind::Interaction { a, b } => {
                    raw.kind = "interaction".into();
                    raw.between = Some(vec![endpoint(model, *a), endpoint(model, *b)]);
                }
                RuleKind::Accumulation { class, min_count } => {
                    raw.kind = "accumulation".into();
                    raw.class = Some(id(model, *class));
                    raw.min_count = Some(*min_count);
                }
                RuleKind::Duplication { class } => {
                    raw.kind = "duplication".into();
                    raw.class = Some(id(model, *class));
                }
                RuleKind::Pharmacogenomic {
                    subject,
                    gene,
                    phenotypes,
                } => {
                    raw.kind = "pharmacogenomic".into();
                    raw.subject = Some(id(model, *subject));
                    raw.gene = Some(gene.to_string());
                    raw.phenotypes =
                        Some(phenotypes.iter().map(|p| p.as_str().to_string()).collect());
                }
                RuleKind::CrossSensitivity { allergen, subject } => {
                    raw.kind = "cross-sensitivity".into();
                    raw.allergen = Some(id(model, *allergen));
                    raw.subject = Some(id(model, *subject));
                }
            }
            raw
        })
        .collect();
    out.dose_limits = model
        .dose_limits
        .iter()
        .map(|d| RawDoseLimit {
            id: d.id.to_string(),
            substance: id(model, d.substance),
            route: d.route.as_str().to_string(),
            severity: d.severity.as_str().to_string(),
            management: d.management.to_string(),
            bands: d.bands.iter().map(|b| band(model, b)).collect(),
            evidence: d.evidence.as_str().to_string(),
            sources: citations(model, &d.sources),
            monitoring: d
                .monitoring
                .iter()
                .map(|m| model.monitoring(*m).id.to_string())
                .collect(),
            uncertainty: text(&d.uncertainty),
        })
        .collect();
    out.opioid_conversions = model
        .opioid_conversions
        .iter()
        .map(|c| RawOpioidConversion {
            substance: id(model, c.substance),
            route: c.route.as_str().to_string(),
            factor: c.factor.map(ratio_to_json),
            per: c.per.as_str().to_string(),
            evidence: c.evidence.as_str().to_string(),
            sources: citations(model, &c.sources),
            note: text(&c.note),
        })
        .collect();
    out.mme_thresholds = model
        .mme_thresholds
        .iter()
        .map(|t| RawMmeThreshold {
            id: t.id.to_string(),
            mme_per_day: ratio_to_json(t.mme_per_day),
            severity: t.severity.as_str().to_string(),
            evidence: t.evidence.as_str().to_string(),
            summary: t.summary.to_string(),
            management: t.management.to_string(),
            monitoring: t
                .monitoring
                .iter()
                .map(|m| model.monitoring(*m).id.to_string())
                .collect(),
            sources: citations(model, &t.sources),
        })
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_read_back_exactly() {
        for text in [
            "0",
            "12",
            "0.1",
            "2.4",
            "4000.1",
            "0.000000001",
            "123456789012.345",
        ] {
            let r: Ratio = text.parse().unwrap();
            let n = ratio_to_json(r);
            assert_eq!(
                n.to_string().parse::<f64>().unwrap(),
                text.parse::<f64>().unwrap()
            );
            assert_eq!(Ratio::from_json(&n).unwrap(), r, "{text}");
        }
    }
}
