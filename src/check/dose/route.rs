//! Whether an item's dose unit and route can apply to what it names. A unit that cannot apply
//! is bad input ([`CheckError`]), never a silently skipped check.

use crate::check::CheckError;
use crate::model::{ConceptId, Detail, Model};
use crate::regimen::Item;
use crate::units::{Dimension, Unit};
use crate::vocab::Route;

fn unit_error(index: usize, item: &Item, message: String) -> CheckError {
    CheckError::UnitNotApplicable {
        index,
        id: item.id.clone(),
        message,
    }
}

/// Routes by which a dose is swallowed or held in the mouth: a rate (mcg/h) cannot apply.
fn is_bolus_route(r: Route) -> bool {
    matches!(
        r,
        Route::Oral | Route::Sublingual | Route::Buccal | Route::Rectal | Route::Intranasal
    )
}

/// The item's route (given, or the product's, or none), after checking that its dose unit and
/// route can apply to what it names.
///
/// The common answers are found inline, without the call: a substance dosed by mass or not at
/// all, and a product or therapy without a dose by its own route or none. Everything else
/// (and every error) is [`checked_route`].
#[inline]
pub(crate) fn item_route(
    model: &Model,
    index: usize,
    item: &Item,
    concept: ConceptId,
) -> Result<Option<Route>, CheckError> {
    let mass = item
        .dose
        .is_none_or(|d| matches!(d.unit.dimension(), Dimension::Mass | Dimension::MassPerKg));
    match &model.concept(concept).detail {
        Detail::Substance(_) if mass => Ok(item.route),
        Detail::Product(p) if item.dose.is_none() && item.route.is_none_or(|r| r == p.route) => {
            Ok(Some(p.route))
        }
        Detail::Therapy
            if item.dose.is_none() && item.route.is_none_or(|r| r == Route::Procedure) =>
        {
            Ok(Some(Route::Procedure))
        }
        _ => checked_route(model, index, item, concept),
    }
}

/// [`item_route`], every case.
fn checked_route(
    model: &Model,
    index: usize,
    item: &Item,
    concept: ConceptId,
) -> Result<Option<Route>, CheckError> {
    let c = model.concept(concept);
    let unit = item.dose.map(|d| d.unit);
    match &c.detail {
        Detail::Therapy => {
            if let Some(u) = unit {
                return Err(unit_error(
                    index,
                    item,
                    format!("`{}` is a therapy and takes no dose (found {u})", c.id),
                ));
            }
            match item.route {
                Some(r) if r != Route::Procedure => Err(CheckError::RouteNotApplicable {
                    index,
                    id: item.id.clone(),
                    message: format!(
                        "`{}` is a therapy; it takes no route but `procedure` (found {r})",
                        c.id
                    ),
                }),
                _ => Ok(Some(Route::Procedure)),
            }
        }
        Detail::Product(p) => {
            if let Some(r) = item.route {
                if r != p.route {
                    return Err(CheckError::RouteNotApplicable {
                        index,
                        id: item.id.clone(),
                        message: format!(
                            "`{}` is a {} product; it cannot be given by route {r}",
                            c.id, p.route
                        ),
                    });
                }
            }
            if let Some(u) = unit {
                product_unit(index, item, &c.id, p, u)?;
            }
            Ok(Some(p.route))
        }
        Detail::Substance(_) => {
            match (unit.map(Unit::dimension), item.route) {
                (Some(Dimension::DosageUnit), _) => {
                    let u = unit.expect("some");
                    return Err(unit_error(
                        index,
                        item,
                        format!(
                            "{u} needs a product with a strength per {u}; give `{}` in mg or mcg, or name the product",
                            c.id
                        ),
                    ));
                }
                (Some(Dimension::Rate), Some(r)) if is_bolus_route(r) => {
                    return Err(unit_error(
                        index,
                        item,
                        format!("mcg/h is a rate for a patch or infusion, not a {r} dose"),
                    ));
                }
                _ => {}
            }
            Ok(item.route)
        }
        // Classes and conditions never reach here: they are not items.
        _ => Ok(item.route),
    }
}

fn product_unit(
    index: usize,
    item: &Item,
    id: &str,
    p: &crate::model::Product,
    u: Unit,
) -> Result<(), CheckError> {
    let single = p.ingredients.len() == 1;
    let strength = p.ingredients.first().map(|i| i.strength.unit.dimension());
    let ok = match u.dimension() {
        Dimension::DosageUnit => u == p.unit,
        Dimension::Mass | Dimension::MassPerKg => single && strength == Some(Dimension::Mass),
        Dimension::Rate => single && strength == Some(Dimension::Rate),
    };
    if ok {
        return Ok(());
    }
    let why = if u.dimension() == Dimension::DosageUnit {
        format!("`{id}` is dosed in {}, not {u}", p.unit)
    } else if !single {
        format!(
            "`{id}` has {} ingredients; give the dose in {}",
            p.ingredients.len(),
            p.unit
        )
    } else {
        format!(
            "{u} cannot apply to `{id}` ({} per {}); give the dose in {}",
            p.ingredients[0].strength.unit, p.unit, p.unit
        )
    };
    Err(unit_error(index, item, why))
}
