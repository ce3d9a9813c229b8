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
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum RawCitation {
    /// `"fda-label-tizanidine"`
    Id(String),
    /// `{"id": "fda-label-tizanidine", "section": "4 Contraindications"}`
    WithSection {
        /// Source id.
        id: String,
        /// Section, table or page.
        section: String,
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
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum RawEndpoint {
    /// `"warfarin"`
    Id(String),
    /// `{"id": "fentanyl", "route": "transdermal"}`
    WithRoute {
        /// Concept id.
        id: String,
        /// Only items given by this route match.
        route: String,
    },
}

/// A rule: an interaction, an accumulation, a duplication, a pharmacogenomic or a
/// cross-sensitivity rule. Which fields apply depends on `kind`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// Unique id.
    pub id: String,
    /// `interaction`, `accumulation`, `duplication`, `pharmacogenomic` or `cross-sensitivity`.
    pub kind: String,
    /// `interaction`: the two endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub between: Option<Vec<RawEndpoint>>,
    /// `accumulation` and `duplication`: the class whose members accumulate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// `accumulation`: how many distinct members fire the rule (at least 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<u32>,
    /// `pharmacogenomic` and `cross-sensitivity`: the drug or class the rule is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// `pharmacogenomic`: gene (`CYP2D6`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gene: Option<String>,
    /// `pharmacogenomic`: phenotypes that fire the rule (`ultrarapid`, `poor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phenotypes: Option<Vec<String>>,
    /// `cross-sensitivity`: the documented allergy (substance or class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allergen: Option<String>,
    /// Conditions the patient must have for the rule to apply (`age-65-or-older` for a Beers
    /// criterion); absent means every patient.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// `contraindicated`, `major`, `moderate` or `minor`.
    pub severity: String,
    /// `established`, `probable`, `possible` or `theoretical`.
    pub evidence: String,
    /// One-line statement of the risk, shown as the finding's summary.
    pub summary: String,
    /// How it happens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mechanism: Option<String>,
    /// What it does to the patient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
    /// What to do.
    pub management: String,
    /// Monitoring ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub monitoring: Vec<String>,
    /// Citations.
    #[serde(default)]
    pub sources: Vec<RawCitation>,
    /// Where the sources disagree or are thin, say so here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<String>,
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
        let mut data = SourceData::default();
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
                let bytes = std::fs::read(&path).map_err(io)?;
                data.parse_file(name, &bytes)
                    .map_err(|e| e.with_file(shown(name)))
            });
            if let Err(e) = result {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(data)
        } else {
            Err(errors)
        }
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
            let mut de = serde_json::Deserializer::from_slice(bytes);
            let parsed: Result<Vec<T>, _> = serde_path_to_error::deserialize(&mut de);
            match parsed {
                Ok(v) => match de.end() {
                    Ok(()) => {
                        *into = v;
                        Ok(())
                    }
                    Err(e) => Err(SourceError::Json {
                        file: file.to_string(),
                        line: e.line(),
                        column: e.column(),
                        message: strip_position(&e.to_string()),
                    }),
                },
                Err(e) => {
                    let path = e.path().to_string();
                    let inner = e.into_inner();
                    let message = if path == "." || path.is_empty() {
                        inner.to_string()
                    } else {
                        format!("at {path}: {inner}")
                    };
                    Err(SourceError::Json {
                        file: file.to_string(),
                        line: inner.line(),
                        column: inner.column(),
                        message: strip_position(&message),
                    })
                }
            }
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
