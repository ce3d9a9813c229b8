//! The patient as the dose checks see it: age, weight, conditions and creatinine clearance, and
//! which dose-limit bands cover them.

use std::cell::OnceCell;

use crate::index::Index;
use crate::index::dose::Who;
use crate::model::{Band, ConceptId, Range};
use crate::regimen::{Patient, Sex};
use crate::report::words::{CrclMissing, Missing};
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

/// Whether a band covers the patient.
#[derive(Clone, Copy)]
pub(crate) enum Covers {
    /// It does.
    Yes,
    /// It does not.
    No,
    /// It might: these patient fields are missing.
    Unknown(Missing),
}

/// The patient's dose-relevant context.
pub(crate) struct Context<'p> {
    patient: &'p Patient,
    conditions: &'p [ConceptId],
    /// Worked out when first read: most checks meet no band that asks for it.
    crcl: OnceCell<Result<(Ratio, CrclMethod), CrclMissing>>,
}

impl<'p> Context<'p> {
    /// The context of a patient with these resolved conditions.
    pub(crate) fn new(patient: &'p Patient, conditions: &'p [ConceptId]) -> Context<'p> {
        Context {
            patient,
            conditions,
            crcl: OnceCell::new(),
        }
    }

    /// The creatinine clearance and how it was found, or which fields it needs.
    fn crcl_or_missing(&self) -> Result<(Ratio, CrclMethod), CrclMissing> {
        *self.crcl.get_or_init(|| match self.patient.crcl_ml_min {
            Some(c) => Ok((c, CrclMethod::Given)),
            None => Self::estimate(self.patient),
        })
    }

    fn estimate(p: &Patient) -> Result<(Ratio, CrclMethod), CrclMissing> {
        // Matched in place: copied, three of the four fields are 48 bytes each.
        match (&p.age_years, &p.weight_kg, p.sex, &p.serum_creatinine_mg_dl) {
            (Some(a), Some(w), Some(s), Some(c)) => crcl_cockcroft_gault(*a, *w, s, *c)
                .map(|v| (v, CrclMethod::CockcroftGault))
                .ok_or(CrclMissing::NotApplicable),
            _ => {
                let missing = [
                    p.age_years.is_none(),
                    p.weight_kg.is_none(),
                    p.sex.is_none(),
                    p.serum_creatinine_mg_dl.is_none(),
                ];
                let bits = missing
                    .iter()
                    .enumerate()
                    .fold(0u8, |b, (k, m)| b | (u8::from(*m) << k));
                Err(CrclMissing::Fields(bits))
            }
        }
    }

    /// The patient's weight in kg, when given.
    pub(crate) fn weight(&self) -> Option<Ratio> {
        self.patient.weight_kg
    }

    /// The creatinine clearance and how it was found, when known.
    pub(crate) fn crcl(&self) -> Option<(Ratio, CrclMethod)> {
        self.crcl_or_missing().ok()
    }

    /// [`Context::covers`], with its two common answers found without the call from what the
    /// index tells of the band ([`Who`]): a band for every patient covers them, and a band for
    /// a condition does not cover a patient with no condition.
    #[inline(always)]
    pub(crate) fn covers_quickly(&self, index: &Index, band: &Band, who: Who) -> Covers {
        match who {
            Who::Everyone => Covers::Yes,
            Who::Conditions if self.conditions.is_empty() => Covers::No,
            _ => self.covers(index, band),
        }
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
        let mut missing = Missing::default();
        let outside = |range: &Option<Range>, value: Option<Ratio>| match (range, value) {
            (Some(r), Some(v)) => !r.contains(v),
            _ => false,
        };
        if outside(&w.age_years, self.patient.age_years)
            || outside(&w.weight_kg, self.patient.weight_kg)
            || (w.crcl_ml_min.is_some() && outside(&w.crcl_ml_min, self.crcl().map(|c| c.0)))
        {
            return Covers::No;
        }
        missing.age = w.age_years.is_some() && self.patient.age_years.is_none();
        missing.weight = w.weight_kg.is_some() && self.patient.weight_kg.is_none();
        if w.crcl_ml_min.is_some() {
            missing.crcl = self.crcl_or_missing().err();
        }
        if missing.is_empty() {
            Covers::Yes
        } else {
            Covers::Unknown(missing)
        }
    }
}
