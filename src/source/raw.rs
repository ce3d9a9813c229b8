//! The raw entries of each data file, as serde reads them.

use serde::{Deserialize, Serialize};

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
    /// Items (substances, products, therapies or classes) that call for this monitoring on their
    /// own, whatever else is in the regimen (`methadone` for its ECG schedule). Most monitoring
    /// goes with a finding instead, through a rule's or dose limit's `monitoring`.
    #[serde(default, rename = "for", skip_serializing_if = "Vec::is_empty")]
    pub for_items: Vec<String>,
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
    /// ICD-10-CM codes or categories that mean this condition (`N18` covers `N18.3`), so that
    /// coded conditions from an EHR resolve (`icd10:N18.3`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub icd10: Vec<String>,
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
/// `S` is the type of its texts: `String` as stored in [`SourceData`](super::SourceData), or [`Str`] when
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

/// A rule as [`RulesFile::stream`](super::RulesFile::stream) hands it on: with its texts borrowed from the read buffer,
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
