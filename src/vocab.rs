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
        /// Carries the allele (for an HLA allele such as `HLA-B*15:02`).
        Positive = "positive",
        /// Does not carry the allele.
        Negative = "negative",
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
        /// An item that calls for monitoring on its own (methadone and its ECG schedule).
        Monitoring = "monitoring",
    }
}

impl Phenotype {
    /// Reads a phenotype, accepting CPIC's longer forms (`Ultrarapid Metabolizer`, `PM`).
    pub fn parse_lenient(s: &str) -> Option<Phenotype> {
        let lower = s.trim().to_ascii_lowercase();
        match lower.replace([' ', '_'], "-").as_str() {
            "carrier" | "detected" | "present" | "pos" | "+" => return Some(Phenotype::Positive),
            "non-carrier" | "noncarrier" | "not-detected" | "absent" | "neg" | "-" => {
                return Some(Phenotype::Negative);
            }
            _ => {}
        }
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

impl Phenotype {
    /// True for a carrier status (`positive`, `negative`), which is what an HLA allele takes;
    /// false for a metabolizer status, which is what a pharmacogene such as CYP2D6 takes.
    pub fn is_carrier_status(self) -> bool {
        matches!(self, Phenotype::Positive | Phenotype::Negative)
    }

    /// True when this kind of phenotype can be said of `gene`: a carrier status of an HLA
    /// allele ([`is_allele`]), a metabolizer status of any other gene.
    pub fn fits(self, gene: &str) -> bool {
        self.is_carrier_status() == is_allele(gene)
    }

    /// The phenotypes that fit `gene`, for an error message.
    pub fn allowed_for(gene: &str) -> String {
        let fitting: Vec<&str> = Phenotype::ALL
            .iter()
            .filter(|p| p.fits(gene))
            .map(|p| p.as_str())
            .collect();
        let what = if is_allele(gene) {
            "an HLA allele takes a carrier status"
        } else {
            "a gene takes a metabolizer status"
        };
        format!("{} ({what})", fitting.join(", "))
    }
}

/// A gene as a patient record may write it, in the form the knowledge base writes genes:
/// upper case, and an HLA allele at the two-field resolution rules use (`HLA-B*15:02`), from
/// the older form labels print (`HLA-B*1502`) or a finer one (`HLA-B*15:02:01`).
pub fn normalize_gene(gene: &str) -> String {
    let gene = gene.trim().to_ascii_uppercase();
    let Some((locus, fields)) = gene.split_once('*').filter(|_| is_allele(&gene)) else {
        return gene;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = fields.split(':').collect();
    match parts[..] {
        [old] if old.len() == 4 && digits(old) => format!("{locus}*{}:{}", &old[..2], &old[2..]),
        [a, b, ..] if digits(a) && digits(b) => format!("{locus}*{a}:{b}"),
        _ => gene,
    }
}

/// True when `gene` names an HLA allele (`HLA-B*15:02`) rather than a gene (`CYP2D6`).
pub fn is_allele(gene: &str) -> bool {
    gene.starts_with("HLA-")
}

/// True when `gene` is written as the knowledge base writes genes: an uppercase HGNC symbol
/// (`CYP2D6`), or an HLA allele in its standard form (`HLA-B*15:02`: uppercase letters, digits,
/// `-`, `*` and `:`), at most 24 characters.
pub fn is_gene_name(gene: &str) -> bool {
    let symbol = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit();
    !gene.is_empty()
        && gene.len() <= 24
        && if is_allele(gene) {
            gene.len() > 4
                && gene.contains('*')
                && gene
                    .bytes()
                    .all(|b| symbol(b) || matches!(b, b'-' | b'*' | b':'))
        } else {
            gene.len() <= 16 && gene.bytes().all(symbol)
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carrier_statuses_are_for_hla_alleles_and_metabolizer_statuses_for_genes() {
        assert_eq!(
            Phenotype::parse_lenient("Positive"),
            Some(Phenotype::Positive)
        );
        assert_eq!(
            Phenotype::parse_lenient("carrier"),
            Some(Phenotype::Positive)
        );
        assert_eq!(
            Phenotype::parse_lenient("not detected"),
            Some(Phenotype::Negative)
        );
        assert_eq!(
            Phenotype::parse_lenient("Poor Metabolizer"),
            Some(Phenotype::Poor)
        );
        assert!(Phenotype::Positive.fits("HLA-B*15:02"));
        assert!(!Phenotype::Positive.fits("CYP2D6"));
        assert!(!Phenotype::Poor.fits("HLA-A*31:01"));
        assert!(Phenotype::Poor.fits("CYP2C19"));
        assert_eq!(normalize_gene(" hla-b*1502 "), "HLA-B*15:02");
        assert_eq!(normalize_gene("HLA-B*15:02:01"), "HLA-B*15:02");
        assert_eq!(normalize_gene("HLA-A*31:01:02:01"), "HLA-A*31:01");
        assert_eq!(normalize_gene("HLA-B*15"), "HLA-B*15");
        assert_eq!(normalize_gene("cyp2d6"), "CYP2D6");
        for good in ["CYP2D6", "HLA-B*15:02", "HLA-A*31:01", "HLA-B*58:01"] {
            assert!(is_gene_name(good), "{good}");
        }
        for bad in [
            "",
            "cyp2d6",
            "CYP 2D6",
            "HLA-",
            "HLA-B",
            "HLA-b*15:02",
            "CYP2D6*4",
        ] {
            assert!(!is_gene_name(bad), "{bad}");
        }
    }

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
