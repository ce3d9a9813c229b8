//! medcheck checks a proposed treatment plan (prescription drugs, herbal and supplement
//! products, non-drug therapies) for safety problems before anyone signs it.
//!
//! ```
//! use medcheck::{KnowledgeBase, Regimen, Severity};
//!
//! let kb = KnowledgeBase::bundled();
//! let regimen = Regimen::from_json(r#"{
//!     "patient": {"age_years": 58},
//!     "items": [
//!         {"id": "oxycodone", "dose": {"value": 10, "unit": "mg"}, "times_per_day": 4},
//!         {"id": "Xanax"},
//!         {"id": "massage-therapy"}
//!     ]
//! }"#)?;
//! let report = kb.check(&regimen)?;
//! let worst = &report.findings[0];
//! assert_eq!(worst.items(), ["alprazolam", "oxycodone"]);
//! assert!(worst.severity >= Severity::Major);
//! println!("{}", report.to_text());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The data's trip
//!
//! Each stage is a module that knows only the stage before it:
//!
//! 1. [`source`]: the JSON files in `data/` as written (bundled into the library, or read from a
//!    directory).
//! 2. [`model`]: validated, typed entries with every reference resolved; every problem reported
//!    with its file, entry and field.
//! 3. [`graph`]: a `petgraph` graph of concepts, memberships and rules; membership cycles and
//!    rules that can never fire are found here, and class membership is closed.
//! 4. [`index`]: an immutable lookup index with class membership flattened, so that a pair of
//!    items costs one hash probe.
//! 5. [`check`]: a [`Regimen`] against the index, into findings.
//! 6. [`report`]: the [`Report`], in canonical order, as JSON or text.
//!
//! [`KnowledgeBase`] runs stages 1 to 4 once and checks any number of regimens after.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cds;
pub mod check;
pub mod export;
pub mod fhir;
pub mod graph;
pub mod index;
mod kb;
pub mod model;
pub mod overrides;
pub mod regimen;
pub mod report;
pub mod screen;
pub mod source;
pub mod units;
pub mod vocab;

pub use check::CheckError;
pub use kb::{KnowledgeBase, LoadError, Stats};
pub use overrides::{OverrideError, Overrides};
pub use regimen::{Regimen, RegimenError};
pub use report::{Finding, Report};
pub use vocab::{Evidence, FindingKind, Route, Severity};
