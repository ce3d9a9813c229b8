//! What the dose checks read of the dose limits, MME factors and products, worked out once when
//! the index is compiled: each band's limits in base units and whether it needs the patient to
//! be told, each substance's MME factors by route, and what an item's dose is a dose of.

use super::Index;
use crate::model::{Band, ConceptId, Detail, Model};
use crate::units::{Dimension, Ratio};
use crate::vocab::Route;

/// Who a band covers, as far as the band alone tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Who {
    /// It has no criteria: every patient.
    Everyone,
    /// It names conditions (and maybe more): no patient without a condition.
    Conditions,
    /// It has criteria other than conditions only: the patient decides.
    Other,
}

/// One band's single or daily maximum: what its unit measures, and the amount in base units
/// (mcg, mcg/h, or mcg per kg for a per-kg amount; zero for a dosage unit, which has none).
pub(crate) type BandMax = Option<(Dimension, Ratio)>;

/// One band, as the dose checks read it.
#[derive(Clone, Debug)]
pub(crate) struct BandLimits {
    /// Who it covers, as far as the band alone tells.
    pub who: Who,
    /// Its single-dose maximum.
    pub single: BandMax,
    /// Its daily maximum.
    pub daily: BandMax,
}

impl BandLimits {
    fn of(band: &Band) -> BandLimits {
        let w = &band.when;
        let who = if !w.conditions.is_empty() {
            Who::Conditions
        } else if w.age_years.is_none() && w.weight_kg.is_none() && w.crcl_ml_min.is_none() {
            Who::Everyone
        } else {
            Who::Other
        };
        let max = |a: &Option<crate::units::Amount>| {
            a.map(|a| (a.unit.dimension(), a.in_base().unwrap_or(Ratio::ZERO)))
        };
        BandLimits {
            who,
            single: max(&band.max_single),
            daily: max(&band.max_daily),
        }
    }
}

/// How much of a substance one of an item's dosage units holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Strength {
    /// The item is the substance: its dose is the substance's own.
    Own,
    /// A product's ingredient: what the strength's unit measures and the amount per dosage unit
    /// in base units; `None` when that does not fit in a number.
    PerUnit(Option<(Dimension, Ratio)>),
}

/// One substance an item of a concept holds, as the dose checks expand the item's dose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DosePart {
    /// The substance.
    pub substance: ConceptId,
    /// How much of it a dose holds.
    pub strength: Strength,
}

impl DosePart {
    /// The substances an item of a concept holds: itself for a substance, a product's
    /// ingredients in the product's order, none for anything else.
    fn of(model: &Model, concept: ConceptId) -> impl Iterator<Item = DosePart> + '_ {
        let (own, parts): (Option<ConceptId>, &[crate::model::Ingredient]) =
            match &model.concept(concept).detail {
                Detail::Product(p) => (None, &p.ingredients),
                Detail::Substance(_) => (Some(concept), &[]),
                _ => (None, &[]),
            };
        let own = own.map(|substance| DosePart {
            substance,
            strength: Strength::Own,
        });
        own.into_iter().chain(parts.iter().map(|i| {
            DosePart {
                substance: i.substance,
                strength: Strength::PerUnit(
                    i.strength
                        .in_base()
                        .map(|base| (i.strength.unit.dimension(), base)),
                ),
            }
        }))
    }
}

/// The dose tables of the index.
#[derive(Debug, Default)]
pub(crate) struct DoseTables {
    /// Each dose limit's bands, in order, as ranges of `bands`.
    band_ranges: Vec<(u32, u32)>,
    bands: Vec<BandLimits>,
    /// Each concept's MME factors, as ranges of `conversions`.
    conversion_ranges: Vec<(u32, u32)>,
    /// A route and the place of its factor in [`Model::opioid_conversions`].
    conversions: Vec<(Route, u32)>,
    /// Each concept's dose parts, as ranges of `parts`.
    part_ranges: Vec<(u32, u32)>,
    parts: Vec<DosePart>,
}

impl DoseTables {
    /// The tables of a model.
    pub(crate) fn new(model: &Model) -> DoseTables {
        let mut t = DoseTables::default();
        for l in &model.dose_limits {
            let start = t.bands.len() as u32;
            t.bands.extend(l.bands.iter().map(BandLimits::of));
            t.band_ranges.push((start, t.bands.len() as u32));
        }
        let mut by_concept: Vec<Vec<(Route, u32)>> = vec![Vec::new(); model.concepts.len()];
        for (i, c) in model.opioid_conversions.iter().enumerate() {
            let of = &mut by_concept[c.substance.0 as usize];
            // As in a map, the last entry for a route is the one found.
            of.retain(|(r, _)| *r != c.route);
            of.push((c.route, i as u32));
        }
        for of in by_concept {
            let start = t.conversions.len() as u32;
            t.conversions.extend(of);
            t.conversion_ranges
                .push((start, t.conversions.len() as u32));
        }
        for c in 0..model.concepts.len() as u32 {
            let start = t.parts.len() as u32;
            t.parts.extend(DosePart::of(model, ConceptId(c)));
            t.part_ranges.push((start, t.parts.len() as u32));
        }
        t
    }

    /// Index into [`Model::opioid_conversions`] for a substance and route; none for a concept
    /// the model does not have.
    #[inline]
    pub(crate) fn conversion(&self, substance: ConceptId, route: Route) -> Option<u32> {
        let &(start, end) = self.conversion_ranges.get(substance.0 as usize)?;
        self.conversions[start as usize..end as usize]
            .iter()
            .find(|(r, _)| *r == route)
            .map(|&(_, i)| i)
    }
}

impl Index {
    /// The bands of dose limit `limit` (a place in [`Model::dose_limits`]), in the order of
    /// its `bands`.
    #[inline]
    pub(crate) fn band_limits(&self, limit: usize) -> &[BandLimits] {
        let (start, end) = self.dose.band_ranges[limit];
        &self.dose.bands[start as usize..end as usize]
    }

    /// The substances an item of concept `c` holds ([`Index::substances`], in the same order),
    /// with how much of each a dose holds.
    #[inline]
    pub(crate) fn dose_parts(&self, c: ConceptId) -> &[DosePart] {
        let (start, end) = self.dose.part_ranges[c.0 as usize];
        &self.dose.parts[start as usize..end as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::Strength;
    use crate::kb::KnowledgeBase;
    use crate::model::{ConceptId, Detail};
    use crate::vocab::Route;

    /// An item's dose parts are its substances, with each ingredient's strength in base units.
    #[test]
    fn dose_parts_are_the_substances() {
        let kb = KnowledgeBase::bundled();
        let (model, index) = (kb.model(), kb.index());
        let mut products = 0;
        for c in 0..model.concepts.len() as u32 {
            let c = ConceptId(c);
            let parts = index.dose_parts(c);
            let substances: Vec<ConceptId> = parts.iter().map(|p| p.substance).collect();
            assert_eq!(substances, index.substances(c));
            match &model.concept(c).detail {
                Detail::Product(p) => {
                    products += 1;
                    for (part, i) in parts.iter().zip(&p.ingredients) {
                        let base = i
                            .strength
                            .in_base()
                            .map(|b| (i.strength.unit.dimension(), b));
                        assert_eq!(part.strength, Strength::PerUnit(base));
                    }
                }
                _ => assert!(parts.iter().all(|p| p.strength == Strength::Own)),
            }
        }
        assert!(products > 0);
    }

    /// The tables say what the model does.
    #[test]
    fn tables_agree_with_the_model() {
        let kb = KnowledgeBase::bundled();
        let (model, index) = (kb.model(), kb.index());
        for (i, l) in model.dose_limits.iter().enumerate() {
            let bands = index.band_limits(i);
            assert_eq!(bands.len(), l.bands.len());
            for (b, t) in l.bands.iter().zip(bands) {
                for (raw, max) in [(&b.max_single, t.single), (&b.max_daily, t.daily)] {
                    assert_eq!(raw.map(|a| a.unit.dimension()), max.map(|m| m.0));
                    assert_eq!(raw.and_then(|a| a.in_base()), max.map(|m| m.1));
                }
            }
        }
        for c in 0..model.concepts.len() as u32 {
            let c = crate::model::ConceptId(c);
            for &r in Route::ALL {
                // The last entry of the model for the substance and route, as a map would keep.
                let last = model
                    .opioid_conversions
                    .iter()
                    .rposition(|k| k.substance == c && k.route == r)
                    .map(|i| i as u32);
                assert_eq!(index.conversion(c, r), last);
            }
        }
    }
}
