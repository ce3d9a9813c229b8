//! Stage 2: the validated model.
//!
//! [`Model::build`] turns [`SourceData`](crate::source::SourceData) into typed entries whose every
//! reference is a dense id that exists, every severity, unit and route is a known value, and every
//! rule, limit and monitoring requirement cites a defined source. It reports every problem it
//! finds, each with its file, entry and field ([`ValidationError`]).

mod build;
mod error;

use std::sync::Arc;

pub use error::{Location, ValidationError};

use crate::units::{Amount, Ratio, Unit};
use crate::vocab::{Evidence, Phenotype, Route, Severity, SubstanceKind};

/// Shared, immutable text; repeated texts in the data are stored once.
pub type Text = Arc<str>;

/// Dense index of a concept (substance, product, therapy, class or condition).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConceptId(pub u32);

/// Dense index of a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub u32);

/// Dense index of a source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub u32);

/// Dense index of a monitoring requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MonitoringId(pub u32);

/// What kind of thing a concept is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConceptKind {
    /// A drug, herb, supplement or food.
    Substance,
    /// A fixed-strength or combination product.
    Product,
    /// A non-drug therapy.
    Therapy,
    /// A class of substances, products or therapies.
    Class,
    /// A patient condition.
    Condition,
}

impl ConceptKind {
    /// Lowercase name (`substance`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConceptKind::Substance => "substance",
            ConceptKind::Product => "product",
            ConceptKind::Therapy => "therapy",
            ConceptKind::Class => "class",
            ConceptKind::Condition => "condition",
        }
    }

    /// True for what a regimen item can be: a substance, product or therapy.
    pub fn is_item(self) -> bool {
        matches!(
            self,
            ConceptKind::Substance | ConceptKind::Product | ConceptKind::Therapy
        )
    }
}

/// A substance, product, therapy, class or condition.
#[derive(Clone, Debug)]
pub struct Concept {
    /// Canonical id.
    pub id: Box<str>,
    /// Display name.
    pub name: Box<str>,
    /// Kind and kind-specific detail.
    pub detail: Detail,
    /// Synonyms and brand names.
    pub names: Box<[Box<str>]>,
    /// RxNorm code.
    pub rxnorm: Option<Box<str>>,
    /// ATC code.
    pub atc: Option<Box<str>>,
    /// Classes it belongs to (for conditions: broader conditions).
    pub parents: Box<[ConceptId]>,
}

impl Concept {
    /// The kind of concept.
    pub fn kind(&self) -> ConceptKind {
        match self.detail {
            Detail::Substance(_) => ConceptKind::Substance,
            Detail::Product(_) => ConceptKind::Product,
            Detail::Therapy => ConceptKind::Therapy,
            Detail::Class => ConceptKind::Class,
            Detail::Condition { .. } => ConceptKind::Condition,
        }
    }
}

/// Kind-specific detail of a concept.
#[derive(Clone, Debug)]
pub enum Detail {
    /// A substance and what it is.
    Substance(SubstanceKind),
    /// A product.
    Product(Product),
    /// A therapy.
    Therapy,
    /// A class.
    Class,
    /// A condition, possibly set from the patient's age.
    Condition {
        /// Ages (years) at which the condition is set automatically.
        age_years: Option<Range>,
    },
}

/// A product's dosage unit, route and ingredients.
#[derive(Clone, Debug)]
pub struct Product {
    /// The unit a dose of the product counts (`tablet`, `patch`, `mL`).
    pub unit: Unit,
    /// Route.
    pub route: Route,
    /// Ingredients with strength per unit.
    pub ingredients: Box<[Ingredient]>,
}

/// One ingredient of a product.
#[derive(Clone, Copy, Debug)]
pub struct Ingredient {
    /// The substance.
    pub substance: ConceptId,
    /// Amount (or rate, for a patch) per dosage unit.
    pub strength: Amount,
}

/// A numeric range, `min` inclusive and `max` exclusive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Range {
    /// Inclusive lower bound.
    pub min: Option<Ratio>,
    /// Exclusive upper bound.
    pub max: Option<Ratio>,
}

impl Range {
    /// True when `v` is in the range.
    pub fn contains(&self, v: Ratio) -> bool {
        self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v < m)
    }

    /// True when the two ranges share a value.
    pub fn overlaps(&self, o: &Range) -> bool {
        let below = |max: Option<Ratio>, min: Option<Ratio>| matches!((max, min), (Some(a), Some(b)) if a <= b);
        !below(self.max, o.min) && !below(o.max, self.min)
    }
}

/// A citation of a source, possibly of one section.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Citation {
    /// The source.
    pub source: SourceId,
    /// Section, table or page.
    pub section: Option<Text>,
}

/// A public reference.
#[derive(Clone, Debug)]
pub struct Source {
    /// Id.
    pub id: Box<str>,
    /// Citation text.
    pub title: Text,
    /// Kind (`fda-label`, `guideline`, ...).
    pub kind: Text,
    /// Publisher or journal.
    pub publisher: Option<Text>,
    /// Year.
    pub year: Option<u16>,
    /// Address.
    pub url: Option<Text>,
}

/// What to measure, when and why.
#[derive(Clone, Debug)]
pub struct Monitoring {
    /// Id.
    pub id: Box<str>,
    /// What.
    pub what: Text,
    /// When.
    pub when: Text,
    /// Why.
    pub why: Text,
    /// Citations.
    pub sources: Box<[Citation]>,
    /// Items that call for it on their own, without a finding (`for` in the data): a regimen
    /// with one of them, or a member of one of these classes, lists it as a `monitoring`
    /// finding.
    pub standing: Box<[ConceptId]>,
}

/// One end of an interaction rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    /// The concept (any kind but a condition on both ends).
    pub concept: ConceptId,
    /// When set, only items given by this route match.
    pub route: Option<Route>,
}

/// What a rule matches.
#[derive(Clone, Debug)]
pub enum RuleKind {
    /// Two endpoints; either may be a class; one may be a condition.
    Interaction {
        /// First endpoint.
        a: Endpoint,
        /// Second endpoint.
        b: Endpoint,
    },
    /// `min_count` or more distinct items in a class.
    Accumulation {
        /// The class.
        class: ConceptId,
        /// How many members fire it.
        min_count: u32,
    },
    /// Two or more distinct items in a class that should not be combined.
    Duplication {
        /// The class.
        class: ConceptId,
    },
    /// A drug or class with a metabolizer phenotype.
    Pharmacogenomic {
        /// The drug or class.
        subject: ConceptId,
        /// The gene, uppercase.
        gene: Box<str>,
        /// Phenotypes that fire the rule.
        phenotypes: Box<[Phenotype]>,
    },
    /// A documented allergy to `allergen` and an item in `subject`.
    CrossSensitivity {
        /// The allergy (substance or class).
        allergen: ConceptId,
        /// The drug or class that may cross-react.
        subject: ConceptId,
    },
}

/// A knowledge-base rule.
///
/// What the rule says (texts, monitoring, sources) is a [`RuleText`] shared by every rule that
/// says the same thing, so that a knowledge base of a million rules written from a few hundred
/// templates stores each text once. `Rule` dereferences to it: `rule.summary` reads through.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Id.
    pub id: Box<str>,
    /// What it matches.
    pub kind: RuleKind,
    /// Conditions the patient must have for the rule to apply.
    pub requires: Box<[ConceptId]>,
    /// Severity.
    pub severity: Severity,
    /// Evidence level.
    pub evidence: Evidence,
    /// What it says.
    pub text: Arc<RuleText>,
}

impl std::ops::Deref for Rule {
    type Target = RuleText;

    fn deref(&self) -> &RuleText {
        &self.text
    }
}

/// What a rule says: its texts, monitoring and sources.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RuleText {
    /// One-line statement of the risk.
    pub summary: Text,
    /// How it happens.
    pub mechanism: Option<Text>,
    /// What it does.
    pub effect: Option<Text>,
    /// What to do.
    pub management: Text,
    /// Monitoring requirements.
    pub monitoring: Box<[MonitoringId]>,
    /// Citations.
    pub sources: Box<[Citation]>,
    /// Where the sources are unsure.
    pub uncertainty: Option<Text>,
}

/// Who a dose-limit band covers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct When {
    /// Age in years.
    pub age_years: Option<Range>,
    /// Weight in kg.
    pub weight_kg: Option<Range>,
    /// Creatinine clearance in mL/min.
    pub crcl_ml_min: Option<Range>,
    /// Conditions, all required.
    pub conditions: Box<[ConceptId]>,
}

/// Limits for the patients a band covers.
#[derive(Clone, Debug)]
pub struct Band {
    /// Name shown in findings.
    pub name: Box<str>,
    /// Who it covers.
    pub when: When,
    /// Largest single dose (mass, rate or per-kg).
    pub max_single: Option<Amount>,
    /// Largest daily dose (mass, rate or per-kg).
    pub max_daily: Option<Amount>,
    /// Longest course in days.
    pub max_days: Option<u32>,
    /// Wording or caveat.
    pub note: Option<Text>,
}

/// Dose limits for one substance by one route.
#[derive(Clone, Debug)]
pub struct DoseLimit {
    /// Id.
    pub id: Box<str>,
    /// The substance.
    pub substance: ConceptId,
    /// The route.
    pub route: Route,
    /// Severity of a finding over the limit.
    pub severity: Severity,
    /// What to do when over the limit.
    pub management: Text,
    /// Bands; the lowest matching limit of each kind applies.
    pub bands: Box<[Band]>,
    /// Evidence level.
    pub evidence: Evidence,
    /// Citations.
    pub sources: Box<[Citation]>,
    /// Monitoring requirements.
    pub monitoring: Box<[MonitoringId]>,
    /// Where the sources are unsure.
    pub uncertainty: Option<Text>,
}

/// An opioid's MME conversion factor for a route.
#[derive(Clone, Debug)]
pub struct OpioidConversion {
    /// The opioid.
    pub substance: ConceptId,
    /// Route.
    pub route: Route,
    /// MME per mg/day (or per mcg/h); `None` when the source gives none.
    pub factor: Option<Ratio>,
    /// [`Unit::Mg`] or [`Unit::McgPerH`].
    pub per: Unit,
    /// Evidence level.
    pub evidence: Evidence,
    /// Citations.
    pub sources: Box<[Citation]>,
    /// Caveat.
    pub note: Option<Text>,
}

/// A guideline threshold for total opioid MME per day.
#[derive(Clone, Debug)]
pub struct MmeThreshold {
    /// Id.
    pub id: Box<str>,
    /// A total at or above this fires.
    pub mme_per_day: Ratio,
    /// Severity.
    pub severity: Severity,
    /// Evidence level.
    pub evidence: Evidence,
    /// One-line statement of the risk.
    pub summary: Text,
    /// What to do.
    pub management: Text,
    /// Monitoring requirements.
    pub monitoring: Box<[MonitoringId]>,
    /// Citations.
    pub sources: Box<[Citation]>,
}

/// The validated knowledge base: every entry typed, every reference resolved.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// Every concept, indexed by [`ConceptId`].
    pub concepts: Vec<Concept>,
    /// Every rule, indexed by [`RuleId`].
    pub rules: Vec<Rule>,
    /// Every source, indexed by [`SourceId`].
    pub sources: Vec<Source>,
    /// Every monitoring requirement, indexed by [`MonitoringId`].
    pub monitoring: Vec<Monitoring>,
    /// Dose limits.
    pub dose_limits: Vec<DoseLimit>,
    /// MME conversion factors.
    pub opioid_conversions: Vec<OpioidConversion>,
    /// MME thresholds, lowest first.
    pub mme_thresholds: Vec<MmeThreshold>,
}

impl Model {
    /// The concept with this id.
    pub fn concept(&self, id: ConceptId) -> &Concept {
        &self.concepts[id.0 as usize]
    }

    /// The rule with this id.
    pub fn rule(&self, id: RuleId) -> &Rule {
        &self.rules[id.0 as usize]
    }

    /// The source with this id.
    pub fn source(&self, id: SourceId) -> &Source {
        &self.sources[id.0 as usize]
    }

    /// The monitoring requirement with this id.
    pub fn monitoring(&self, id: MonitoringId) -> &Monitoring {
        &self.monitoring[id.0 as usize]
    }
}

/// The key every name is looked up by: lowercase letters and digits, with each run of other
/// characters turned into one hyphen and apostrophes dropped, so `St. John's Wort`,
/// `st johns wort` and `st-johns-wort` are one name.
pub fn name_key(name: &str, out: &mut String) {
    out.clear();
    let mut gap = false;
    for c in name.chars() {
        if c.is_ascii() {
            // The common case, without Unicode tables.
            if c.is_ascii_alphanumeric() {
                if gap && !out.is_empty() {
                    out.push('-');
                }
                gap = false;
                out.push(c.to_ascii_lowercase());
            } else if c != '\'' {
                gap = true;
            }
            continue;
        }
        if c == '\u{2019}' {
            continue;
        }
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('-');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> String {
        let mut out = String::new();
        name_key(s, &mut out);
        out
    }

    #[test]
    fn the_ascii_path_agrees_with_unicode_rules() {
        for b in 0u8..128 {
            let c = b as char;
            assert_eq!(c.is_ascii_alphanumeric(), c.is_alphanumeric(), "{b}");
            assert_eq!(
                c.to_lowercase().collect::<String>(),
                c.to_ascii_lowercase().to_string()
            );
        }
    }

    #[test]
    fn name_keys_fold_case_and_punctuation() {
        assert_eq!(key("St. John's Wort"), "st-johns-wort");
        assert_eq!(key("  TYLENOL "), "tylenol");
        assert_eq!(
            key("hydrocodone/acetaminophen 5/325"),
            "hydrocodone-acetaminophen-5-325"
        );
        assert_eq!(key("5-HTP"), "5-htp");
        assert_eq!(key("--"), "");
        // Beyond ASCII: letters fold, a typographic apostrophe is dropped, other marks split.
        assert_eq!(
            key("Ginkgo BILOBA\u{2019}s \u{00C9}xtrait\u{2014}100"),
            "ginkgo-bilobas-\u{00E9}xtrait-100"
        );
    }

    #[test]
    fn ranges() {
        let r = |a: Option<i64>, b: Option<i64>| Range {
            min: a.map(Ratio::from_int),
            max: b.map(Ratio::from_int),
        };
        assert!(r(Some(65), None).contains(Ratio::from_int(65)));
        assert!(!r(None, Some(30)).contains(Ratio::from_int(30)));
        assert!(!r(None, Some(30)).overlaps(&r(Some(30), None)));
        assert!(r(None, Some(31)).overlaps(&r(Some(30), None)));
        assert!(r(None, None).overlaps(&r(Some(1), Some(2))));
    }
}
