//! Stage 1: the source data, as written in `data/*.json`.
//!
//! These structs mirror the files field for field and check only their JSON shape. Everything
//! with meaning (references, severities, units, sources) is checked by [`crate::model`], so that one
//! load can report every problem in every file. The data format is described in `data/README.md`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

mod raw;
mod read;
mod stream;

pub use raw::*;
pub use read::DataDir;
pub(crate) use read::strip_position;
pub use stream::RulesFile;

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
    ("sources.json", include_str!("../../data/sources.json")),
    (
        "monitoring.json",
        include_str!("../../data/monitoring.json"),
    ),
    ("classes.json", include_str!("../../data/classes.json")),
    (
        "conditions.json",
        include_str!("../../data/conditions.json"),
    ),
    (
        "substances.json",
        include_str!("../../data/substances.json"),
    ),
    ("products.json", include_str!("../../data/products.json")),
    ("therapies.json", include_str!("../../data/therapies.json")),
    ("rules.json", include_str!("../../data/rules.json")),
    (
        "dose-limits.json",
        include_str!("../../data/dose-limits.json"),
    ),
    (
        "opioid-conversions.json",
        include_str!("../../data/opioid-conversions.json"),
    ),
    (
        "mme-thresholds.json",
        include_str!("../../data/mme-thresholds.json"),
    ),
];
