//! Stage 1: the source data, as written in `data/*.json`.
//!
//! These structs mirror the files field for field and check only their JSON shape. Everything
//! with meaning (references, severities, units, sources) is checked by [`crate::model`], so that one
//! load can report every problem in every file. The data format is described in `data/README.md`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Largest data file the loader reads (1 GiB).
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// The files a knowledge base is made of, in load order, and whether each must be present.
pub const FILES: [(&str, bool); 11] = [
    ("sources.json", true),
    ("monitoring.json", false),
    ("classes.json", false),
    ("conditions.json", false),
    ("substances.json", true),
    ("products.json", false),
    ("therapies.json", false),
    ("rules.json", true),
    ("dose-limits.json", false),
    ("opioid-conversions.json", false),
    ("mme-thresholds.json", false),
];

/// A problem reading the source files: I/O or JSON syntax and shape.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file could not be read.
    #[error("{file}: cannot read: {reason}")]
    Io {
        /// The file.
        file: String,
        /// What the operating system said.
        reason: String,
    },
    /// A required file is absent from the data directory.
    #[error(
        "{file}: missing (a knowledge base needs sources.json, substances.json and rules.json)"
    )]
    Missing {
        /// The file.
        file: String,
    },
    /// A `.json` file the loader does not know (a misspelt name would otherwise be ignored).
    #[error("{file}: unexpected file in the data directory (known files: {known})")]
    Unexpected {
        /// The file.
        file: String,
        /// The names the loader reads.
        known: String,
    },
    /// The file is larger than [`MAX_FILE_BYTES`].
    #[error("{file}: {bytes} bytes is larger than the {max}-byte limit for a data file")]
    TooLarge {
        /// The file.
        file: String,
        /// Its size.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// Malformed JSON, or JSON of the wrong shape.
    #[error("{file}:{line}:{column}: {message}")]
    Json {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What serde_json said, with the path to the offending field.
        message: String,
    },
}

/// The raw contents of every data file.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct SourceData {
    /// `sources.json`
    pub sources: Vec<RawSource>,
    /// `monitoring.json`
    pub monitoring: Vec<RawMonitoring>,
    /// `classes.json`
    pub classes: Vec<RawClass>,
    /// `conditions.json`
    pub conditions: Vec<RawCondition>,
    /// `substances.json`
    pub substances: Vec<RawSubstance>,
    /// `products.json`
    pub products: Vec<RawProduct>,
    /// `therapies.json`
    pub therapies: Vec<RawTherapy>,
    /// `rules.json`
    pub rules: Vec<RawRule>,
    /// `dose-limits.json`
    pub dose_limits: Vec<RawDoseLimit>,
    /// `opioid-conversions.json`
    pub opioid_conversions: Vec<RawOpioidConversion>,
    /// `mme-thresholds.json`
    pub mme_thresholds: Vec<RawMmeThreshold>,
}

/// A public reference that rules, limits and monitoring cite.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// Unique id (`fda-dsc-opioid-benzodiazepine-2016`).
    pub id: String,
    /// Full citation as a reader would look it up.
    pub title: String,
    /// Kind of source (`fda-label`, `fda-safety-communication`, `guideline`, `review`, ...).
    pub kind: String,
    /// Publisher or journal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// Year of publication or revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<u16>,
    /// Where to read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A citation: a source id, optionally with the section relied on.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(untagged)]
pub enum RawCitation<S = String> {
    /// `"fda-label-tizanidine"`
    Id(S),
    /// `{"id": "fda-label-tizanidine", "section": "4 Contraindications"}`
    WithSection {
        /// Source id.
        id: S,
        /// Section, table or page.
        section: S,
    },
}

/// What to measure, when, and why.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawMonitoring {
    /// Unique id (`inr`).
    pub id: String,
    /// What to measure or do.
    pub what: String,
    /// When.
    pub when: String,
    /// Why.
    pub why: String,
    /// Sources.
    #[serde(default)]
    pub sources: Vec<RawCitation>,
}

/// A pharmacological or property class; classes nest through `parents`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawClass {
    /// Unique id (`nsaid`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Other names a user may type (`NSAIDs`), used for allergy entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    /// Classes this class belongs to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<String>,
    /// What membership means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A patient condition that rules can name.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawCondition {
    /// Unique id (`chronic-kidney-disease`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Other names (`CKD`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    /// Broader conditions this one implies (`gi-bleeding-history` implies `bleeding-risk`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<String>,
    /// Set automatically from the patient's age, in years: `min` inclusive, `max` exclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_years: Option<RawRange>,
}

/// A numeric range: `min` inclusive, `max` exclusive; either may be absent.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawRange {
    /// Inclusive lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<serde_json::Number>,
    /// Exclusive upper bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<serde_json::Number>,
}

/// A drug, herbal or supplement product ingredient.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawSubstance {
    /// Canonical id: lowercase hyphenated generic name (`st-johns-wort`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// `drug`, `herbal`, `supplement` or `food`.
    pub kind: String,
    /// Other names (`paracetamol`, `APAP`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    /// Brand names (`Tylenol`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub brands: Vec<String>,
    /// RxNorm ingredient code (RXCUI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rxnorm: Option<String>,
    /// ATC code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atc: Option<String>,
    /// Classes it belongs to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
}

/// An amount as written: `{"value": 5, "unit": "mg"}`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawAmount {
    /// The number.
    pub value: serde_json::Number,
    /// The unit (`mcg`, `mg`, `g`, `mcg/h`, `mg/kg`, `mcg/kg`).
    pub unit: String,
}

/// One ingredient of a product and its strength per dosage unit.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawIngredient {
    /// Substance id.
    pub substance: String,
    /// Amount per tablet, capsule, patch or mL, or rate per patch (for a patch that releases
    /// the drug into the blood).
    pub strength: RawAmount,
    /// How many dosage units `strength` is given for: `5` for "160 mg per 5 mL". Absent means
    /// one. Lets a strength with no exact decimal per unit (325 mg per 15 mL) stay exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<serde_json::Number>,
}

/// A fixed-strength or combination product.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawProduct {
    /// Unique id (`hydrocodone-acetaminophen-5-325`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Dosage unit a dose counts: `tablet`, `capsule`, `patch` or `mL`.
    pub unit: String,
    /// Route (`oral`, `transdermal`, ...).
    pub route: String,
    /// Ingredients and strengths.
    pub ingredients: Vec<RawIngredient>,
    /// Other names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    /// Brand names (`Norco`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub brands: Vec<String>,
    /// RxNorm clinical drug code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rxnorm: Option<String>,
    /// Classes of the product itself, beyond those of its ingredients.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
}

/// A non-drug therapy.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawTherapy {
    /// Unique id (`massage-therapy`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Other names (`massage`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    /// Classes it belongs to (`electrical-stimulation`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    /// What it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One end of a pair rule: an id, optionally limited to a route.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(untagged)]
pub enum RawEndpoint<S = String> {
    /// `"warfarin"`
    Id(S),
    /// `{"id": "fentanyl", "route": "transdermal"}`
    WithRoute {
        /// Concept id.
        id: S,
        /// Only items given by this route match.
        route: S,
    },
}

/// Reads a JSON string as `(id, None)`, or an object of exactly `id` and `second` as
/// `(id, Some(second))`: the shape of [`RawEndpoint`] and [`RawCitation`]. Written out rather
/// than derived as `untagged`, which buffers every value before trying each variant: a million
/// rules hold three or more each.
struct IdOr<S> {
    expecting: &'static str,
    fields: &'static [&'static str; 2],
    _text: std::marker::PhantomData<S>,
}

impl<'de, S> serde::de::Visitor<'de> for IdOr<S>
where
    S: Deserialize<'de> + From<&'de str> + From<String>,
{
    type Value = (S, Option<S>);

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok((S::from(v), None))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok((S::from(v.to_string()), None))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok((S::from(v), None))
    }

    fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        use serde::de::Error;
        let (mut id, mut second): (Option<S>, Option<S>) = (None, None);
        while let Some(key) = map.next_key::<Str>()? {
            let slot = if *key == *self.fields[0] {
                &mut id
            } else if *key == *self.fields[1] {
                &mut second
            } else {
                return Err(M::Error::unknown_field(&key, self.fields));
            };
            if slot.is_some() {
                return Err(M::Error::custom(format_args!(
                    "duplicate field `{}`",
                    &*key
                )));
            }
            *slot = Some(map.next_value()?);
        }
        let id = id.ok_or_else(|| M::Error::missing_field(self.fields[0]))?;
        let second = second.ok_or_else(|| M::Error::missing_field(self.fields[1]))?;
        Ok((id, Some(second)))
    }
}

impl<'de, S> Deserialize<'de> for RawEndpoint<S>
where
    S: Deserialize<'de> + From<&'de str> + From<String>,
{
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let visitor = IdOr {
            expecting: "a concept id, or {\"id\": ..., \"route\": ...}",
            fields: &["id", "route"],
            _text: std::marker::PhantomData,
        };
        Ok(match d.deserialize_any(visitor)? {
            (id, None) => RawEndpoint::Id(id),
            (id, Some(route)) => RawEndpoint::WithRoute { id, route },
        })
    }
}

impl<'de, S> Deserialize<'de> for RawCitation<S>
where
    S: Deserialize<'de> + From<&'de str> + From<String>,
{
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let visitor = IdOr {
            expecting: "a source id, or {\"id\": ..., \"section\": ...}",
            fields: &["id", "section"],
            _text: std::marker::PhantomData,
        };
        Ok(match d.deserialize_any(visitor)? {
            (id, None) => RawCitation::Id(id),
            (id, Some(section)) => RawCitation::WithSection { id, section },
        })
    }
}

/// A rule: an interaction, an accumulation, a duplication, a pharmacogenomic or a
/// cross-sensitivity rule. Which fields apply depends on `kind`.
///
/// `S` is the type of its texts: `String` as stored in [`SourceData`], or [`Str`] when
/// `rules.json` is streamed and the texts are borrowed from the read buffer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(
    deny_unknown_fields,
    bound(deserialize = "S: Deserialize<'de> + From<&'de str> + From<String>")
)]
pub struct RawRule<S = String> {
    /// Unique id.
    pub id: S,
    /// `interaction`, `accumulation`, `duplication`, `pharmacogenomic` or `cross-sensitivity`.
    pub kind: S,
    /// `interaction`: the two endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub between: Option<Vec<RawEndpoint<S>>>,
    /// `accumulation` and `duplication`: the class whose members accumulate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<S>,
    /// `accumulation`: how many distinct members fire the rule (at least 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<u32>,
    /// `pharmacogenomic` and `cross-sensitivity`: the drug or class the rule is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<S>,
    /// `pharmacogenomic`: gene (`CYP2D6`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gene: Option<S>,
    /// `pharmacogenomic`: phenotypes that fire the rule (`ultrarapid`, `poor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phenotypes: Option<Vec<S>>,
    /// `cross-sensitivity`: the documented allergy (substance or class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allergen: Option<S>,
    /// Conditions the patient must have for the rule to apply (`age-65-or-older` for a Beers
    /// criterion); absent means every patient.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<S>,
    /// `contraindicated`, `major`, `moderate` or `minor`.
    pub severity: S,
    /// `established`, `probable`, `possible` or `theoretical`.
    pub evidence: S,
    /// One-line statement of the risk, shown as the finding's summary.
    pub summary: S,
    /// How it happens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mechanism: Option<S>,
    /// What it does to the patient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<S>,
    /// What to do.
    pub management: S,
    /// Monitoring ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub monitoring: Vec<S>,
    /// Citations.
    #[serde(default)]
    pub sources: Vec<RawCitation<S>>,
    /// Where the sources disagree or are thin, say so here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<S>,
}

impl<S: AsRef<str>> RawRule<S> {
    /// The same rule with every text converted by `f`.
    pub fn map<'s, T>(&'s self, f: impl Fn(&'s str) -> T) -> RawRule<T> {
        let f = &f;
        let text = |s: &'s S| f(s.as_ref());
        let list = |v: &'s [S]| v.iter().map(text).collect::<Vec<T>>();
        RawRule {
            id: text(&self.id),
            kind: text(&self.kind),
            between: self.between.as_ref().map(|b| {
                b.iter()
                    .map(|e| match e {
                        RawEndpoint::Id(id) => RawEndpoint::Id(text(id)),
                        RawEndpoint::WithRoute { id, route } => RawEndpoint::WithRoute {
                            id: text(id),
                            route: text(route),
                        },
                    })
                    .collect()
            }),
            class: self.class.as_ref().map(text),
            min_count: self.min_count,
            subject: self.subject.as_ref().map(text),
            gene: self.gene.as_ref().map(text),
            phenotypes: self.phenotypes.as_deref().map(list),
            allergen: self.allergen.as_ref().map(text),
            requires: list(&self.requires),
            severity: text(&self.severity),
            evidence: text(&self.evidence),
            summary: text(&self.summary),
            mechanism: self.mechanism.as_ref().map(text),
            effect: self.effect.as_ref().map(text),
            management: text(&self.management),
            monitoring: list(&self.monitoring),
            sources: self
                .sources
                .iter()
                .map(|c| match c {
                    RawCitation::Id(id) => RawCitation::Id(text(id)),
                    RawCitation::WithSection { id, section } => RawCitation::WithSection {
                        id: text(id),
                        section: text(section),
                    },
                })
                .collect(),
            uncertainty: self.uncertainty.as_ref().map(text),
        }
    }
}

/// A rule as [`RulesFile::stream`] hands it on: with its texts borrowed from the read buffer,
/// or owned (when another thread parsed it).
#[derive(Clone, Copy, Debug)]
pub enum RuleRef<'a> {
    /// Texts borrowed from the buffer the rule was parsed from.
    Borrowed(&'a RawRule<Str<'a>>),
    /// Texts owned.
    Owned(&'a RawRule),
}

impl RuleRef<'_> {
    /// The rule with owned texts.
    pub fn to_owned(self) -> RawRule {
        match self {
            RuleRef::Borrowed(r) => r.map(str::to_string),
            RuleRef::Owned(r) => r.clone(),
        }
    }
}

/// Text read from a data file: borrowed from the buffer it was read into unless it had to be
/// unescaped. What [`RawRule`] holds when `rules.json` is streamed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Str<'a>(pub std::borrow::Cow<'a, str>);

impl std::ops::Deref for Str<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Str<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'a> From<&'a str> for Str<'a> {
    fn from(s: &'a str) -> Str<'a> {
        Str(std::borrow::Cow::Borrowed(s))
    }
}

impl From<String> for Str<'_> {
    fn from(s: String) -> Self {
        Str(std::borrow::Cow::Owned(s))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Str<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str::from(v))
            }

            fn visit_str<E>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str::from(v.to_string()))
            }

            fn visit_string<E>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str::from(v))
            }
        }

        d.deserialize_str(Visitor)
    }
}

/// Dose limits for one substance by one route, in bands by patient context.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawDoseLimit {
    /// Unique id (`acetaminophen-oral`).
    pub id: String,
    /// Substance id.
    pub substance: String,
    /// Route (`oral`, `transdermal`, `iv`, ...).
    pub route: String,
    /// Severity of a finding when a dose is over this limit.
    pub severity: String,
    /// What to do when a dose is over the limit.
    pub management: String,
    /// The bands; a patient may match several, and the lowest limit of each kind applies.
    pub bands: Vec<RawBand>,
    /// `established`, `probable`, `possible` or `theoretical`.
    pub evidence: String,
    /// Citations.
    #[serde(default)]
    pub sources: Vec<RawCitation>,
    /// Monitoring ids that go with a finding from this limit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub monitoring: Vec<String>,
    /// Where the sources disagree or are thin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<String>,
}

/// Limits for the patients a band covers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawBand {
    /// Band name shown in findings (`adult`, `age-65-or-older`, `crcl-below-30`).
    pub band: String,
    /// Who the band covers; absent means everyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<RawWhen>,
    /// Largest single dose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_single: Option<RawAmount>,
    /// Largest total daily dose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_daily: Option<RawAmount>,
    /// Longest course, in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_days: Option<u32>,
    /// The limit's wording or caveat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Patient criteria for a band; every criterion given must hold.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawWhen {
    /// Age in years.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_years: Option<RawRange>,
    /// Body weight in kg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_kg: Option<RawRange>,
    /// Creatinine clearance in mL/min.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crcl_ml_min: Option<RawRange>,
    /// Conditions the patient has (all of them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
}

/// An opioid's factor for morphine milligram equivalents.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawOpioidConversion {
    /// Substance id.
    pub substance: String,
    /// Route (`oral`, `transdermal`).
    pub route: String,
    /// MME per `per`; `null` when the source gives no factor (the MME total is then incomplete).
    pub factor: Option<serde_json::Number>,
    /// `mg` (per mg/day) or `mcg/h` (per mcg/h, transdermal).
    pub per: String,
    /// `established`, `probable`, `possible` or `theoretical`.
    pub evidence: String,
    /// Citations.
    #[serde(default)]
    pub sources: Vec<RawCitation>,
    /// Caveat (methadone's nonlinear conversion, buprenorphine's partial agonism).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A guideline threshold for total opioid MME per day.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawMmeThreshold {
    /// Unique id (`cdc-2022-mme-90`).
    pub id: String,
    /// The threshold: a total at or above it fires.
    pub mme_per_day: serde_json::Number,
    /// `contraindicated`, `major`, `moderate` or `minor`.
    pub severity: String,
    /// `established`, `probable`, `possible` or `theoretical`.
    pub evidence: String,
    /// One-line statement of the risk.
    pub summary: String,
    /// What to do.
    pub management: String,
    /// Monitoring ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub monitoring: Vec<String>,
    /// Citations.
    #[serde(default)]
    pub sources: Vec<RawCitation>,
}

/// Where the source files come from.
#[derive(Clone, Debug)]
pub enum Origin {
    /// The knowledge base compiled into the library.
    Bundled,
    /// A directory on disk.
    Dir(PathBuf),
}

/// The bundled data files, compiled in.
pub const BUNDLED: [(&str, &str); 11] = [
    ("sources.json", include_str!("../data/sources.json")),
    ("monitoring.json", include_str!("../data/monitoring.json")),
    ("classes.json", include_str!("../data/classes.json")),
    ("conditions.json", include_str!("../data/conditions.json")),
    ("substances.json", include_str!("../data/substances.json")),
    ("products.json", include_str!("../data/products.json")),
    ("therapies.json", include_str!("../data/therapies.json")),
    ("rules.json", include_str!("../data/rules.json")),
    ("dose-limits.json", include_str!("../data/dose-limits.json")),
    (
        "opioid-conversions.json",
        include_str!("../data/opioid-conversions.json"),
    ),
    (
        "mme-thresholds.json",
        include_str!("../data/mme-thresholds.json"),
    ),
];

impl SourceData {
    /// Parses the bundled files.
    pub fn bundled() -> Result<SourceData, Vec<SourceError>> {
        let mut data = SourceData::default();
        let mut errors = Vec::new();
        for (file, text) in BUNDLED {
            if let Err(e) = data.parse_file(file, text.as_bytes()) {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(data)
        } else {
            Err(errors)
        }
    }

    /// Reads every data file from `dir`, reporting every unreadable or malformed file.
    pub fn from_dir(dir: &Path) -> Result<SourceData, Vec<SourceError>> {
        let opened = DataDir::open(dir)?;
        let mut data = opened.data;
        if let Some(rules) = &opened.rules {
            let mut all = Vec::new();
            rules
                .stream(&mut |r| all.push(r.to_owned()))
                .map_err(|e| vec![e])?;
            data.rules = all;
        }
        Ok(data)
    }

    /// Parses one file's bytes into the matching field; `file` is its name in [`FILES`].
    pub fn parse_file(&mut self, file: &str, bytes: &[u8]) -> Result<(), SourceError> {
        fn parse<T: serde::de::DeserializeOwned>(
            file: &str,
            bytes: &[u8],
            into: &mut Vec<T>,
        ) -> Result<(), SourceError> {
            // Parse at full speed first; only on failure parse again to learn the field's path.
            if let Ok(v) = serde_json::from_slice::<Vec<T>>(bytes) {
                *into = v;
                return Ok(());
            }
            let mut out = Vec::new();
            let result = stream_entries(
                file,
                serde_json::Deserializer::from_slice(bytes),
                &mut |e| out.push(e),
                true,
            );
            *into = out;
            result
        }
        match file {
            "sources.json" => parse(file, bytes, &mut self.sources),
            "monitoring.json" => parse(file, bytes, &mut self.monitoring),
            "classes.json" => parse(file, bytes, &mut self.classes),
            "conditions.json" => parse(file, bytes, &mut self.conditions),
            "substances.json" => parse(file, bytes, &mut self.substances),
            "products.json" => parse(file, bytes, &mut self.products),
            "therapies.json" => parse(file, bytes, &mut self.therapies),
            "rules.json" => parse(file, bytes, &mut self.rules),
            "dose-limits.json" => parse(file, bytes, &mut self.dose_limits),
            "opioid-conversions.json" => parse(file, bytes, &mut self.opioid_conversions),
            "mme-thresholds.json" => parse(file, bytes, &mut self.mme_thresholds),
            other => Err(SourceError::Unexpected {
                file: other.to_string(),
                known: FILES.map(|(f, _)| f).join(", "),
            }),
        }
    }

    /// Writes every file into `dir` as pretty JSON, in the format the loader reads.
    pub fn write_dir(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let write = |name: &str, value: serde_json::Result<String>| {
            std::fs::write(dir.join(name), value.map_err(std::io::Error::other)? + "\n")
        };
        write("sources.json", serde_json::to_string_pretty(&self.sources))?;
        write(
            "monitoring.json",
            serde_json::to_string_pretty(&self.monitoring),
        )?;
        write("classes.json", serde_json::to_string_pretty(&self.classes))?;
        write(
            "conditions.json",
            serde_json::to_string_pretty(&self.conditions),
        )?;
        write(
            "substances.json",
            serde_json::to_string_pretty(&self.substances),
        )?;
        write(
            "products.json",
            serde_json::to_string_pretty(&self.products),
        )?;
        write(
            "therapies.json",
            serde_json::to_string_pretty(&self.therapies),
        )?;
        write("rules.json", serde_json::to_string_pretty(&self.rules))?;
        write(
            "dose-limits.json",
            serde_json::to_string_pretty(&self.dose_limits),
        )?;
        write(
            "opioid-conversions.json",
            serde_json::to_string_pretty(&self.opioid_conversions),
        )?;
        write(
            "mme-thresholds.json",
            serde_json::to_string_pretty(&self.mme_thresholds),
        )
    }
}

/// A data directory opened for loading: every file checked and parsed except `rules.json`,
/// which [`DataDir::rules`] streams one rule at a time, so that a knowledge base of a million
/// rules is read in memory proportional to one rule, not to the file.
#[derive(Debug)]
pub struct DataDir {
    /// Every file but `rules.json` (whose field is left empty).
    pub data: SourceData,
    /// `rules.json`, ready to stream; `None` when it is missing (already reported by
    /// [`DataDir::open`]).
    pub rules: Option<RulesFile>,
}

/// `rules.json` of a data directory, checked for size and readability but not yet read.
#[derive(Clone, Debug)]
pub struct RulesFile {
    path: PathBuf,
    shown: String,
}

impl RulesFile {
    /// Reads the file from the start and calls `each` with every rule, in file order, its texts
    /// borrowed from the read buffer. On malformed JSON, stops and returns the error, with the
    /// path to the offending field.
    pub fn stream(&self, each: &mut dyn FnMut(RuleRef<'_>)) -> Result<(), SourceError> {
        let open = || {
            std::fs::File::open(&self.path)
                .map(|f| std::io::BufReader::with_capacity(1 << 16, f))
                .map_err(|e| SourceError::Io {
                    file: self.shown.clone(),
                    reason: e.to_string(),
                })
        };
        let mut delivered = 0usize;
        let mut counted = |rule: RuleRef<'_>| {
            delivered += 1;
            each(rule)
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let fast = if cores > 1 {
            stream_rules_in_parallel(open()?, &mut counted)
        } else {
            stream_rules(open()?, &mut |r| counted(RuleRef::Borrowed(r)))
        };
        if fast.is_ok() {
            return Ok(());
        }
        // Something is wrong (or the file ended early): read it again with path tracking,
        // which reports the problem exactly, handing on only the rules the fast pass did not.
        // From memory when the file is of a size to hold, for the same line and column as
        // every other file; from the reader otherwise.
        let mut seen = 0usize;
        let mut rest = |rule: RawRule| {
            seen += 1;
            if seen > delivered {
                each(RuleRef::Owned(&rule));
            }
        };
        let small = std::fs::metadata(&self.path).is_ok_and(|m| m.len() <= 64 << 20);
        let result = if small {
            let bytes = std::fs::read(&self.path).map_err(|e| SourceError::Io {
                file: self.shown.clone(),
                reason: e.to_string(),
            })?;
            stream_entries(
                "rules.json",
                serde_json::Deserializer::from_slice(&bytes),
                &mut rest,
                true,
            )
        } else {
            stream_entries(
                "rules.json",
                serde_json::Deserializer::from_reader(open()?),
                &mut rest,
                true,
            )
        };
        result.map_err(|e| e.with_file(self.shown.clone()))
    }

    /// The file as shown in messages.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

impl DataDir {
    /// Checks the directory's files and parses all but `rules.json`. Fails with every
    /// unreadable, missing, unexpected or malformed file, `rules.json` included.
    pub fn open(dir: &Path) -> Result<DataDir, Vec<SourceError>> {
        let mut data = SourceData::default();
        let mut rules = None;
        let mut errors = Vec::new();
        let shown = |name: &str| dir.join(name).display().to_string();
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if name.ends_with(".json") && !FILES.iter().any(|(f, _)| *f == name) {
                        errors.push(SourceError::Unexpected {
                            file: shown(&name),
                            known: FILES.map(|(f, _)| f).join(", "),
                        });
                    }
                }
            }
            Err(e) => {
                return Err(vec![SourceError::Io {
                    file: dir.display().to_string(),
                    reason: e.to_string(),
                }]);
            }
        }
        for (name, required) in FILES {
            let path = dir.join(name);
            if !path.exists() {
                if required {
                    errors.push(SourceError::Missing { file: shown(name) });
                }
                continue;
            }
            let io = |e: std::io::Error| SourceError::Io {
                file: shown(name),
                reason: e.to_string(),
            };
            let result = std::fs::metadata(&path).map_err(io).and_then(|m| {
                if m.len() > MAX_FILE_BYTES {
                    return Err(SourceError::TooLarge {
                        file: shown(name),
                        bytes: m.len(),
                        max: MAX_FILE_BYTES,
                    });
                }
                if name == "rules.json" {
                    rules = Some(RulesFile {
                        path: path.clone(),
                        shown: shown(name),
                    });
                    return Ok(());
                }
                let bytes = std::fs::read(&path).map_err(io)?;
                data.parse_file(name, &bytes)
                    .map_err(|e| e.with_file(shown(name)))
            });
            if let Err(e) = result {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            return Ok(DataDir { data, rules });
        }
        // Report a malformed rules.json along with the other files' problems.
        if let Some(rules) = rules {
            if let Err(e) = rules.stream(&mut |_| {}) {
                let at = FILES.iter().position(|(f, _)| *f == "rules.json");
                let pos = errors
                    .iter()
                    .position(|e| file_rank(e) > at)
                    .unwrap_or(errors.len());
                errors.insert(pos, e);
            }
        }
        Err(errors)
    }
}

/// Position in [`FILES`] of the file an error is about, to keep errors in load order.
fn file_rank(e: &SourceError) -> Option<usize> {
    let file = match e {
        SourceError::Io { file, .. }
        | SourceError::Missing { file }
        | SourceError::Unexpected { file, .. }
        | SourceError::TooLarge { file, .. }
        | SourceError::Json { file, .. } => file,
    };
    FILES.iter().position(|(f, _)| file.ends_with(f))
}

/// Size of the blocks [`stream_blocks`] reads.
const BLOCK: usize = 1 << 20;

/// Calls `each` with every rule of the JSON array `reader` holds, reading it in blocks of
/// [`BLOCK`] bytes and parsing each rule from the block with its texts borrowed (as fast as
/// parsing from memory, with memory for one block). Fails on anything unexpected, without
/// saying what: the caller reads the file again to report it.
fn stream_rules(
    reader: impl std::io::Read,
    each: &mut dyn FnMut(&RawRule<Str<'_>>),
) -> Result<(), ()> {
    struct Blocks<R> {
        reader: R,
        buf: Vec<u8>,
        pos: usize,
        eof: bool,
    }

    impl<R: std::io::Read> Blocks<R> {
        /// Reads more, keeping the unparsed bytes; false at the end of the file.
        fn more(&mut self) -> Result<bool, ()> {
            if self.eof {
                return Ok(false);
            }
            self.buf.drain(..self.pos);
            self.pos = 0;
            let len = self.buf.len();
            self.buf.resize(len + BLOCK, 0);
            let n = loop {
                match self.reader.read(&mut self.buf[len..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => return Err(()),
                }
            };
            self.buf.truncate(len + n);
            self.eof = n == 0;
            Ok(n > 0)
        }

        /// The next byte that is not JSON whitespace, not consumed; `None` at the end.
        fn peek(&mut self) -> Result<Option<u8>, ()> {
            loop {
                while let Some(&b) = self.buf.get(self.pos) {
                    if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                        return Ok(Some(b));
                    }
                    self.pos += 1;
                }
                if !self.more()? {
                    return Ok(None);
                }
            }
        }
    }

    let mut b = Blocks {
        reader,
        buf: Vec::new(),
        pos: 0,
        eof: false,
    };
    if b.peek()? != Some(b'[') {
        return Err(());
    }
    b.pos += 1;
    if b.peek()? == Some(b']') {
        b.pos += 1;
    } else {
        loop {
            loop {
                let mut entries = serde_json::Deserializer::from_slice(&b.buf[b.pos..])
                    .into_iter::<RawRule<Str>>();
                let parsed = match entries.next() {
                    Some(Ok(rule)) => {
                        each(&rule);
                        Some(entries.byte_offset())
                    }
                    // The block ends inside this rule.
                    Some(Err(e)) if e.is_eof() => None,
                    _ => return Err(()),
                };
                match parsed {
                    Some(len) => {
                        b.pos += len;
                        break;
                    }
                    None if b.more()? => {}
                    None => return Err(()),
                }
            }
            match b.peek()? {
                Some(b',') => b.pos += 1,
                Some(b']') => {
                    b.pos += 1;
                    break;
                }
                _ => return Err(()),
            }
        }
    }
    match b.peek()? {
        None => Ok(()),
        Some(_) => Err(()),
    }
}

/// Rules a parsing thread hands on at a time.
const RULE_BATCH: usize = 512;

/// [`stream_rules`] with the parsing on a second thread: one core parses while the caller's
/// validates. Batches of [`RULE_BATCH`] rules go through a queue of four, and come back to the
/// parsing thread to be freed there, so memory stays bounded and each thread frees what it
/// allocated.
fn stream_rules_in_parallel(
    reader: impl std::io::Read + Send,
    each: &mut dyn FnMut(RuleRef<'_>),
) -> Result<(), ()> {
    use std::sync::mpsc::sync_channel;
    let (full_tx, full_rx) = sync_channel::<Vec<RawRule>>(4);
    let (empty_tx, empty_rx) = sync_channel::<Vec<RawRule>>(8);
    std::thread::scope(|scope| {
        let parser = scope.spawn(move || {
            let mut batch: Vec<RawRule> = Vec::with_capacity(RULE_BATCH);
            let mut stopped = false;
            let result = stream_rules(reader, &mut |rule| {
                if stopped {
                    return;
                }
                batch.push(rule.map(str::to_string));
                if batch.len() == RULE_BATCH {
                    let next = match empty_rx.try_recv() {
                        Ok(mut used) => {
                            used.clear();
                            used
                        }
                        Err(_) => Vec::with_capacity(RULE_BATCH),
                    };
                    stopped = full_tx.send(std::mem::replace(&mut batch, next)).is_err();
                }
            });
            if !batch.is_empty() {
                let _ = full_tx.send(batch);
            }
            drop(full_tx);
            // Free the batches the validating thread is done with here, where they were made.
            while empty_rx.recv().is_ok() {}
            result
        });
        for batch in full_rx {
            for rule in &batch {
                each(RuleRef::Owned(rule));
            }
            let _ = empty_tx.try_send(batch);
        }
        drop(empty_tx);
        parser.join().unwrap_or(Err(()))
    })
}

/// Calls `each` with every entry of the JSON array `de` reads, one at a time. With `with_path`
/// the error names the path to the offending field (`[3].between[1]`), at some cost in speed.
fn stream_entries<'de, T, R>(
    file: &str,
    mut de: serde_json::Deserializer<R>,
    each: &mut dyn FnMut(T),
    with_path: bool,
) -> Result<(), SourceError>
where
    T: Deserialize<'de>,
    R: serde_json::de::Read<'de>,
{
    use serde::de::DeserializeSeed;

    struct Entries<'f, T>(&'f mut dyn FnMut(T));

    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Entries<'_, T> {
        type Value = ();

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a sequence")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(entry) = seq.next_element::<T>()? {
                (self.0)(entry);
            }
            Ok(())
        }
    }

    impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Entries<'_, T> {
        type Value = ();

        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }

    let json = |e: serde_json::Error, message: String| SourceError::Json {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&message),
    };
    if !with_path {
        return Entries(each)
            .deserialize(&mut de)
            .and_then(|()| de.end())
            .map_err(|e| {
                let message = e.to_string();
                json(e, message)
            });
    }
    let mut track = serde_path_to_error::Track::new();
    let parsed =
        Entries(each).deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track));
    match parsed {
        Ok(()) => de.end().map_err(|e| {
            let message = e.to_string();
            json(e, message)
        }),
        Err(inner) => {
            let path = track.path().to_string();
            let message = if path == "." || path.is_empty() {
                inner.to_string()
            } else {
                format!("at {path}: {inner}")
            };
            Err(json(inner, message))
        }
    }
}

impl SourceError {
    fn with_file(self, shown: String) -> SourceError {
        match self {
            SourceError::Json {
                line,
                column,
                message,
                ..
            } => SourceError::Json {
                file: shown,
                line,
                column,
                message,
            },
            other => other,
        }
    }
}

/// serde_json appends " at line L column C"; the error already carries both.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}
