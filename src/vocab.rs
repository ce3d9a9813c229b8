//! Closed vocabularies shared by the data and the report: severity, evidence level, route,
//! metabolizer phenotype. Each reads and writes one spelling, the one used in JSON.

use std::fmt;

use serde::{Serialize, Serializer};

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// What the values are, for error messages.
            pub const WHAT: &'static str = $what;

            /// The JSON spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Reads the JSON spelling.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The allowed spellings, comma-separated.
            pub fn allowed() -> String {
                [$($text),+].join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// How serious a finding is. Ordered from least to most severe, so `max()` is the worst.
    Severity, "severity" {
        /// Informational: something the prescriber should know, not a risk by itself.
        Info = "info",
        /// Minor: limited clinical effect.
        Minor = "minor",
        /// Moderate: may need monitoring or a change of therapy.
        Moderate = "moderate",
        /// Major: may be life-threatening or cause permanent harm; avoid or change therapy.
        Major = "major",
        /// Contraindicated: the combination should not be used.
        Contraindicated = "contraindicated",
    }
}

vocabulary! {
    /// How well a rule or limit is supported by its sources.
    Evidence, "evidence level" {
        /// Mechanism or extrapolation only; no clinical reports.
        Theoretical = "theoretical",
        /// Case reports, small or conflicting studies.
        Possible = "possible",
        /// Consistent pharmacokinetic or clinical studies, or guideline advice.
        Probable = "probable",
        /// Stated in the product label or a guideline from controlled evidence.
        Established = "established",
    }
}

vocabulary! {
    /// How an item is given.
    Route, "route" {
        /// By mouth.
        Oral = "oral",
        /// Through the skin by patch.
        Transdermal = "transdermal",
        /// On the skin, for local effect.
        Topical = "topical",
        /// Intravenous.
        Iv = "iv",
        /// Intramuscular.
        Im = "im",
        /// Subcutaneous.
        Subcutaneous = "subcutaneous",
        /// Under the tongue.
        Sublingual = "sublingual",
        /// Against the cheek.
        Buccal = "buccal",
        /// Into the nose.
        Intranasal = "intranasal",
        /// Rectal.
        Rectal = "rectal",
        /// Inhaled.
        Inhalation = "inhalation",
        /// A non-drug therapy, applied by a practitioner.
        Procedure = "procedure",
    }
}

vocabulary! {
    /// A drug-metabolizing enzyme phenotype, as CPIC names them.
    Phenotype, "phenotype" {
        /// Poor metabolizer.
        Poor = "poor",
        /// Intermediate metabolizer.
        Intermediate = "intermediate",
        /// Normal metabolizer.
        Normal = "normal",
        /// Rapid metabolizer.
        Rapid = "rapid",
        /// Ultrarapid metabolizer.
        Ultrarapid = "ultrarapid",
    }
}

vocabulary! {
    /// What a substance is.
    SubstanceKind, "substance kind" {
        /// A prescription or over-the-counter drug.
        Drug = "drug",
        /// An herbal product.
        Herbal = "herbal",
        /// A dietary supplement that is not an herb.
        Supplement = "supplement",
        /// A food or drink.
        Food = "food",
    }
}

vocabulary! {
    /// What a finding is about.
    FindingKind, "finding kind" {
        /// Two items (or more, for an accumulation) interact.
        Interaction = "interaction",
        /// Two items of a class that should not be combined, or one ingredient twice.
        DuplicateTherapy = "duplicate-therapy",
        /// A dose above a single, daily or duration limit.
        DoseLimit = "dose-limit",
        /// One ingredient, summed over every item that holds it, above its daily limit.
        CumulativeDose = "cumulative-dose",
        /// Opioid morphine milligram equivalents per day at a guideline threshold.
        OpioidMme = "opioid-mme",
        /// An item and a patient condition.
        Condition = "condition",
        /// An item and a documented allergy, directly or by cross-sensitivity.
        Allergy = "allergy",
        /// An item and a metabolizer phenotype.
        Pharmacogenomic = "pharmacogenomic",
        /// An item, condition or allergy the knowledge base does not know: it was not checked.
        UnknownItem = "unknown-item",
    }
}

impl Phenotype {
    /// Reads a phenotype, accepting CPIC's longer forms (`Ultrarapid Metabolizer`, `PM`).
    pub fn parse_lenient(s: &str) -> Option<Phenotype> {
        let lower = s.trim().to_ascii_lowercase();
        let word = lower
            .trim_end_matches("metabolizer")
            .trim_end_matches("metaboliser")
            .trim()
            .replace([' ', '_'], "-");
        Phenotype::parse(&word).or(match word.as_str() {
            "pm" => Some(Phenotype::Poor),
            "im" => Some(Phenotype::Intermediate),
            "nm" | "extensive" | "em" => Some(Phenotype::Normal),
            "rm" => Some(Phenotype::Rapid),
            "um" | "ultra-rapid" => Some(Phenotype::Ultrarapid),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_orders_worst_last() {
        assert!(Severity::Contraindicated > Severity::Major);
        assert!(Severity::Minor > Severity::Info);
        assert_eq!(Severity::parse("major"), Some(Severity::Major));
        assert_eq!(Severity::parse("severe"), None);
    }

    #[test]
    fn phenotype_forms() {
        assert_eq!(
            Phenotype::parse_lenient("Ultrarapid Metabolizer"),
            Some(Phenotype::Ultrarapid)
        );
        assert_eq!(Phenotype::parse_lenient("PM"), Some(Phenotype::Poor));
        assert_eq!(Phenotype::parse_lenient("fast"), None);
    }
}

/// Built-in rule ids: the checker's own checks, ranked with the knowledge base's rule ids when
/// the index is compiled. The colon keeps them apart from knowledge-base ids.
pub mod builtin {
    /// An item the knowledge base does not know.
    pub const UNKNOWN_ITEM: &str = "medcheck:unknown-item";
    /// A condition the knowledge base does not know.
    pub const UNKNOWN_CONDITION: &str = "medcheck:unknown-condition";
    /// An allergy the knowledge base does not know.
    pub const UNKNOWN_ALLERGY: &str = "medcheck:unknown-allergy";
    /// The same item listed twice.
    pub const DUPLICATE_ITEM: &str = "medcheck:duplicate-item";
    /// One ingredient in two or more items.
    pub const SAME_INGREDIENT: &str = "medcheck:same-ingredient";
    /// An item the patient has a documented allergy to.
    pub const DOCUMENTED_ALLERGY: &str = "medcheck:documented-allergy";
    /// The opioid MME total is incomplete and under every threshold.
    pub const MME_INCOMPLETE: &str = "medcheck:mme-incomplete";

    /// Every built-in rule id, in the order the index ranks them.
    pub(crate) const ALL: [&str; 7] = [
        UNKNOWN_ITEM,
        UNKNOWN_CONDITION,
        UNKNOWN_ALLERGY,
        DUPLICATE_ITEM,
        SAME_INGREDIENT,
        DOCUMENTED_ALLERGY,
        MME_INCOMPLETE,
    ];
}
