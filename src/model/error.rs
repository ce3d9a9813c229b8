//! Validation errors: one variant per kind of mistake, each carrying where it is.

use std::fmt;

/// Where a problem is: the file, the entry's id (or position), and the field.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// Data file (`rules.json`).
    pub file: String,
    /// The entry's id, or `#N` (0-based position) when it has none.
    pub entry: String,
    /// The field, with a path into it (`between[1]`, `bands[0].max_daily.unit`).
    pub field: String,
}

impl Location {
    /// A location.
    pub fn new(file: &str, entry: &str, field: impl Into<String>) -> Location {
        Location {
            file: file.to_string(),
            entry: entry.to_string(),
            field: field.into(),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: `{}`", self.file, self.entry)?;
        if !self.field.is_empty() {
            write!(f, ", field `{}`", self.field)?;
        }
        Ok(())
    }
}

/// A problem with the meaning of the data. Every variant says where it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// Two entries share an id (ids are unique across every file).
    #[error("{at}: duplicate id (first defined in {first})")]
    DuplicateId {
        /// Where.
        at: Location,
        /// The file of the first definition.
        first: String,
    },
    /// A name, synonym, brand or code resolves to two different concepts.
    #[error("{at}: name `{name}` already names `{other}`; a name must resolve to one concept")]
    NameClash {
        /// Where.
        at: Location,
        /// The clashing name.
        name: String,
        /// The concept that already has it.
        other: String,
    },
    /// An id that is not lowercase letters, digits and single hyphens.
    #[error("{at}: id `{id}` must be lowercase letters and digits joined by single hyphens")]
    InvalidId {
        /// Where.
        at: Location,
        /// The id.
        id: String,
    },
    /// A required text is empty.
    #[error("{at}: must not be empty")]
    Empty {
        /// Where.
        at: Location,
    },
    /// A text longer than the loader accepts.
    #[error("{at}: longer than {max} characters")]
    TooLong {
        /// Where.
        at: Location,
        /// The limit.
        max: usize,
    },
    /// A reference to an id that no entry defines.
    #[error("{at}: `{target}` is not defined")]
    Dangling {
        /// Where.
        at: Location,
        /// The missing id.
        target: String,
    },
    /// A reference to an entry of the wrong kind (a substance where a class is needed).
    #[error("{at}: `{target}` is a {found}, but a {expected} is needed here")]
    WrongKind {
        /// Where.
        at: Location,
        /// The id.
        target: String,
        /// What the field needs.
        expected: &'static str,
        /// What it names.
        found: &'static str,
    },
    /// A value outside a closed vocabulary (severity, evidence level, unit, route, kind).
    #[error("{at}: unknown {what} `{value}` (allowed: {allowed})")]
    UnknownValue {
        /// Where.
        at: Location,
        /// What kind of value.
        what: &'static str,
        /// The value.
        value: String,
        /// The allowed values.
        allowed: String,
    },
    /// A number that is not usable here (negative, zero, too large, not exact).
    #[error("{at}: {reason}")]
    BadNumber {
        /// Where.
        at: Location,
        /// Why.
        reason: String,
    },
    /// A rule, limit or conversion that cites no source.
    #[error("{at}: cites no source; every rule, dose limit and conversion factor needs one")]
    NoSource {
        /// Where.
        at: Location,
    },
    /// A field this kind of entry needs is absent.
    #[error("{at}: required for {kind}")]
    Missing {
        /// Where.
        at: Location,
        /// The entry kind that needs it.
        kind: String,
    },
    /// A phenotype that cannot be said of the rule's gene: a carrier status (`positive`) for a
    /// metabolizer gene, or a metabolizer status (`poor`) for an HLA allele. No patient record
    /// could match it.
    #[error("{at}: `{phenotype}` does not apply to `{gene}` (allowed: {allowed})")]
    PhenotypeNotForGene {
        /// Where.
        at: Location,
        /// The phenotype as written.
        phenotype: String,
        /// The rule's gene.
        gene: String,
        /// The phenotypes that apply to it.
        allowed: String,
    },
    /// A field this kind of entry does not use is present (it would be silently ignored).
    #[error("{at}: not used by {kind}; remove it or change the kind")]
    NotApplicable {
        /// Where.
        at: Location,
        /// The entry kind.
        kind: String,
    },
    /// A rule whose two endpoints are the same concept.
    #[error("{at}: both endpoints are `{concept}`; use a duplication or accumulation rule")]
    SelfInteraction {
        /// Where.
        at: Location,
        /// The concept.
        concept: String,
    },
    /// Two rules on the same pair of endpoints, which would fire twice.
    #[error("{at}: same endpoints as rule `{other}`; merge them into one rule")]
    DuplicateRule {
        /// Where.
        at: Location,
        /// The other rule.
        other: String,
    },
    /// Classes (or conditions) that contain themselves.
    #[error("{at}: membership cycle {}", cycle.join(" -> "))]
    Cycle {
        /// Where (the first member of the cycle).
        at: Location,
        /// The ids around the cycle, first repeated at the end.
        cycle: Vec<String>,
    },
    /// A rule that no regimen could ever fire.
    #[error("{at}: can never fire: {reason}")]
    NeverFires {
        /// Where.
        at: Location,
        /// Why.
        reason: String,
    },
    /// A band whose single-dose maximum is above its daily maximum.
    #[error("{at}: single-dose maximum {single} is above the daily maximum {daily}")]
    SingleAboveDaily {
        /// Where.
        at: Location,
        /// The single-dose maximum.
        single: String,
        /// The daily maximum.
        daily: String,
    },
    /// Data that would make the compiled knowledge base larger than the loader allows (class
    /// memberships after nesting is flattened, concept pairs after class rules are expanded).
    #[error("{at}: {what} is more than the limit of {max}")]
    Oversized {
        /// Where (the entry that crossed the limit).
        at: Location,
        /// What grew too large, with its size so far.
        what: String,
        /// The limit.
        max: usize,
    },
    /// Two bands of one limit that cover the same patients by the same criteria.
    #[error("{at}: overlaps band `{other}` for the same patients; make the ranges disjoint")]
    OverlappingBands {
        /// Where.
        at: Location,
        /// The other band.
        other: String,
    },
}

/// Applies `$body` to the location `$at` of whichever variant `$e` is.
macro_rules! each_variant {
    ($e:expr, $at:ident => $body:expr) => {{
        use ValidationError::*;
        match $e {
            DuplicateId { at: $at, .. }
            | NameClash { at: $at, .. }
            | InvalidId { at: $at, .. }
            | Empty { at: $at }
            | TooLong { at: $at, .. }
            | Dangling { at: $at, .. }
            | WrongKind { at: $at, .. }
            | UnknownValue { at: $at, .. }
            | BadNumber { at: $at, .. }
            | PhenotypeNotForGene { at: $at, .. }
            | NoSource { at: $at }
            | Missing { at: $at, .. }
            | NotApplicable { at: $at, .. }
            | SelfInteraction { at: $at, .. }
            | DuplicateRule { at: $at, .. }
            | Cycle { at: $at, .. }
            | NeverFires { at: $at, .. }
            | SingleAboveDaily { at: $at, .. }
            | OverlappingBands { at: $at, .. }
            | Oversized { at: $at, .. } => $body,
        }
    }};
}

impl ValidationError {
    /// Where the problem is.
    pub fn location(&self) -> &Location {
        each_variant!(self, at => at)
    }

    /// Where the problem is, to move it (an override file's problems are reported at the
    /// override file, not at the data they were merged into).
    pub fn location_mut(&mut self) -> &mut Location {
        each_variant!(self, at => at)
    }

    /// A stable code for the kind of problem, for tools and tests.
    pub fn code(&self) -> &'static str {
        use ValidationError::*;
        match self {
            DuplicateId { .. } => "duplicate-id",
            NameClash { .. } => "name-clash",
            InvalidId { .. } => "invalid-id",
            Empty { .. } => "empty",
            TooLong { .. } => "too-long",
            Dangling { .. } => "dangling-reference",
            WrongKind { .. } => "wrong-kind",
            UnknownValue { .. } => "unknown-value",
            BadNumber { .. } => "bad-number",
            PhenotypeNotForGene { .. } => "phenotype-not-for-gene",
            NoSource { .. } => "no-source",
            Missing { .. } => "missing-field",
            NotApplicable { .. } => "field-not-applicable",
            SelfInteraction { .. } => "self-interaction",
            DuplicateRule { .. } => "duplicate-rule",
            Cycle { .. } => "cycle",
            NeverFires { .. } => "never-fires",
            SingleAboveDaily { .. } => "single-above-daily",
            OverlappingBands { .. } => "overlapping-bands",
            Oversized { .. } => "too-large",
        }
    }
}
