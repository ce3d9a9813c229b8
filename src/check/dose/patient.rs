//! The patient as the dose checks see it: age, weight, conditions and creatinine clearance, and
//! which dose-limit bands cover them.

use crate::index::Index;
use crate::model::{Band, ConceptId, Range};
use crate::regimen::{Patient, Sex};
use crate::units::Ratio;

/// Creatinine clearance in mL/min by Cockcroft-Gault:
/// `(140 - age) x weight / (72 x serum creatinine)`, times 0.85 for women, with age in years,
/// weight in kg (actual body weight) and serum creatinine in mg/dL.
///
/// `None` when the equation does not apply: under 18 years (it was derived in adults), or a
/// result that would not be positive (age 140 or more).
///
/// ```
/// use medcheck::check::crcl_cockcroft_gault;
/// use medcheck::regimen::Sex;
/// use medcheck::units::Ratio;
/// // (140 - 40) x 72 / (72 x 1.0) = 100 mL/min
/// let crcl = crcl_cockcroft_gault(Ratio::from_int(40), Ratio::from_int(72), Sex::Male, Ratio::ONE);
/// assert_eq!(crcl, Some(Ratio::from_int(100)));
/// ```
pub fn crcl_cockcroft_gault(
    age_years: Ratio,
    weight_kg: Ratio,
    sex: Sex,
    scr_mg_dl: Ratio,
) -> Option<Ratio> {
    if age_years < Ratio::from_int(18) || !scr_mg_dl.is_positive() {
        return None;
    }
    let years =
        Ratio::from_int(140).checked_add(Ratio::new(-age_years.numer(), age_years.denom())?)?;
    if !years.is_positive() {
        return None;
    }
    let mut crcl = years
        .checked_mul(weight_kg)?
        .checked_div(Ratio::from_int(72).checked_mul(scr_mg_dl)?)?;
    if sex == Sex::Female {
        crcl = crcl.checked_mul(Ratio::new(85, 100)?)?;
    }
    Some(crcl)
}

/// How the creatinine clearance was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CrclMethod {
    /// Given as `crcl_ml_min`.
    Given,
    /// Estimated by Cockcroft-Gault.
    CockcroftGault,
}

impl CrclMethod {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CrclMethod::Given => "given",
            CrclMethod::CockcroftGault => "cockcroft-gault",
        }
    }
}

/// The patient fields a band may need.
pub(crate) const AGE: &str = "age_years";
/// Weight.
pub(crate) const WEIGHT: &str = "weight_kg";

/// Whether a band covers the patient.
pub(crate) enum Covers {
    /// It does.
    Yes,
    /// It does not.
    No,
    /// It might: these patient fields are missing.
    Unknown(Vec<String>),
}

/// The patient's dose-relevant context.
pub(crate) struct Context<'p> {
    patient: &'p Patient,
    conditions: &'p [ConceptId],
    crcl: Result<(Ratio, CrclMethod), String>,
}

impl<'p> Context<'p> {
    /// The context of a patient with these resolved conditions.
    pub(crate) fn new(patient: &'p Patient, conditions: &'p [ConceptId]) -> Context<'p> {
        let crcl = match patient.crcl_ml_min {
            Some(c) => Ok((c, CrclMethod::Given)),
            None => Self::estimate(patient),
        };
        Context {
            patient,
            conditions,
            crcl,
        }
    }

    fn estimate(p: &Patient) -> Result<(Ratio, CrclMethod), String> {
        let missing: Vec<&str> = [
            (p.age_years.is_none(), "age_years"),
            (p.weight_kg.is_none(), "weight_kg"),
            (p.sex.is_none(), "sex"),
            (p.serum_creatinine_mg_dl.is_none(), "serum_creatinine_mg_dl"),
        ]
        .iter()
        .filter(|m| m.0)
        .map(|m| m.1)
        .collect();
        match (p.age_years, p.weight_kg, p.sex, p.serum_creatinine_mg_dl) {
            (Some(a), Some(w), Some(s), Some(c)) => crcl_cockcroft_gault(a, w, s, c)
                .map(|v| (v, CrclMethod::CockcroftGault))
                .ok_or_else(|| {
                    "crcl_ml_min (Cockcroft-Gault does not apply at this age)".to_string()
                }),
            _ => Err(format!(
                "crcl_ml_min, or age_years, weight_kg, sex and serum_creatinine_mg_dl (missing: {})",
                missing.join(", ")
            )),
        }
    }

    /// The patient's weight in kg, when given.
    pub(crate) fn weight(&self) -> Option<Ratio> {
        self.patient.weight_kg
    }

    /// The creatinine clearance and how it was found, when known.
    pub(crate) fn crcl(&self) -> Option<(Ratio, CrclMethod)> {
        self.crcl.as_ref().ok().copied()
    }

    /// Whether the band covers the patient, and if that is unknown, which fields are missing.
    pub(crate) fn covers(&self, index: &Index, band: &Band) -> Covers {
        let w = &band.when;
        let has_conditions = w
            .conditions
            .iter()
            .all(|c| self.conditions.iter().any(|p| index.is_a(*p, *c)));
        if !has_conditions {
            return Covers::No;
        }
        let mut missing = Vec::new();
        let tests: [(&Option<Range>, Result<Ratio, String>); 3] = [
            (
                &w.age_years,
                self.patient.age_years.ok_or_else(|| AGE.to_string()),
            ),
            (
                &w.weight_kg,
                self.patient.weight_kg.ok_or_else(|| WEIGHT.to_string()),
            ),
            (&w.crcl_ml_min, self.crcl.clone().map(|c| c.0)),
        ];
        for (range, value) in tests {
            match (range, value) {
                (None, _) => {}
                (Some(r), Ok(v)) => {
                    if !r.contains(v) {
                        return Covers::No;
                    }
                }
                (Some(_), Err(what)) => missing.push(what),
            }
        }
        if missing.is_empty() {
            Covers::Yes
        } else {
            Covers::Unknown(missing)
        }
    }
}
