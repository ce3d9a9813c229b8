//! A slow, obviously correct checker for the rule-based findings, written from data/README.md
//! against the raw data by id: no dense ids, no pair index, no flattened membership, just
//! recursive walks up `parents`/`classes` for every question.
//!
//! It covers every rule kind (interaction, condition, accumulation, duplication,
//! pharmacogenomic, cross-sensitivity) and documented allergies, with the documented
//! precedence: among rules matching one pair of items, a rule whose endpoints are each the same
//! as or members of another's endpoints (with a route at least as narrow) replaces it.

use std::collections::BTreeSet;

use medcheck::source::{RawEndpoint, RawRule, SourceData};

use crate::generate::{GenRegimen, Shape};

/// A finding as the reference sees it: kind, rule, items (sorted), condition, allergy.
pub type Key = (String, String, Vec<String>, Option<String>, Option<String>);

struct End {
    id: String,
    route: Option<String>,
}

fn end(e: &RawEndpoint) -> End {
    match e {
        RawEndpoint::Id(id) => End {
            id: id.clone(),
            route: None,
        },
        RawEndpoint::WithRoute { id, route } => End {
            id: id.clone(),
            route: Some(route.clone()),
        },
    }
}

struct Item {
    id: String,
    /// Every route the item is listed with (an item may be listed more than once).
    routes: Vec<Option<String>>,
    atoms: Vec<String>,
}

pub struct Reference<'d> {
    data: &'d SourceData,
    shape: &'d Shape,
    conditions: Vec<String>,
}

impl<'d> Reference<'d> {
    fn is_a(&self, x: &str, of: &str) -> bool {
        self.shape.is_a(x, of)
    }

    fn applies(&self, r: &RawRule) -> bool {
        r.requires
            .iter()
            .all(|req| self.conditions.iter().any(|p| self.is_a(p, req)))
    }

    fn route_ok(e: &End, route: &Option<String>) -> bool {
        e.route.is_none() || route.is_none() || e.route == *route
    }

    /// Interaction rules that match some atom of `x` against some atom of `y`, in either
    /// orientation, before precedence.
    fn matching(
        &self,
        xs: &[(String, Option<String>)],
        ys: &[(String, Option<String>)],
    ) -> Vec<&'d RawRule> {
        let mut out = Vec::new();
        for r in &self.data.rules {
            if r.kind != "interaction" || !self.applies(r) {
                continue;
            }
            let between = r.between.as_ref().expect("interaction");
            let (a, b) = (end(&between[0]), end(&between[1]));
            let hit = xs.iter().any(|(x, rx)| {
                ys.iter().any(|(y, ry)| {
                    x != y
                        && ((self.is_a(x, &a.id)
                            && self.is_a(y, &b.id)
                            && Self::route_ok(&a, rx)
                            && Self::route_ok(&b, ry))
                            || (self.is_a(y, &a.id)
                                && self.is_a(x, &b.id)
                                && Self::route_ok(&a, ry)
                                && Self::route_ok(&b, rx)))
                })
            });
            if hit {
                out.push(r);
            }
        }
        out
    }

    fn within(&self, e1: &End, e2: &End) -> bool {
        self.is_a(&e1.id, &e2.id) && (e2.route.is_none() || e2.route == e1.route)
    }

    /// Rule `r1`'s endpoints are each within `r2`'s (in one orientation or the other).
    fn at_least_as_specific(&self, r1: &RawRule, r2: &RawRule) -> bool {
        let b1 = r1.between.as_ref().expect("interaction");
        let b2 = r2.between.as_ref().expect("interaction");
        let (a1, c1, a2, c2) = (end(&b1[0]), end(&b1[1]), end(&b2[0]), end(&b2[1]));
        (self.within(&a1, &a2) && self.within(&c1, &c2))
            || (self.within(&a1, &c2) && self.within(&c1, &a2))
    }

    /// The most specific of the matching rules.
    fn winners(&self, candidates: Vec<&'d RawRule>) -> Vec<&'d RawRule> {
        candidates
            .iter()
            .filter(|r| {
                !candidates.iter().any(|o| {
                    o.id != r.id
                        && self.at_least_as_specific(o, r)
                        && !self.at_least_as_specific(r, o)
                })
            })
            .copied()
            .collect()
    }
}

/// The rule-based findings the documentation says a regimen gets.
pub fn expected(data: &SourceData, shape: &Shape, g: &GenRegimen) -> BTreeSet<Key> {
    let mut conditions: Vec<String> = g.conditions.clone();
    if let Some(age) = g.age {
        for c in &data.conditions {
            if let Some(r) = &c.age_years {
                let min = r.min.as_ref().map(|n| n.as_f64().unwrap());
                let max = r.max.as_ref().map(|n| n.as_f64().unwrap());
                let age = age as f64;
                if min.is_none_or(|m| age >= m) && max.is_none_or(|m| age < m) {
                    conditions.push(c.id.clone());
                }
            }
        }
    }
    conditions.sort();
    conditions.dedup();
    let re = Reference {
        data,
        shape,
        conditions: conditions.clone(),
    };
    // Distinct items, first of each concept, with their routes and atoms.
    let mut items: Vec<Item> = Vec::new();
    for gi in &g.items {
        let Some(id) = &gi.concept else { continue };
        let product = data.products.iter().find(|p| p.id == *id);
        let route = match shape.kinds[id.as_str()] {
            "therapy" => Some("procedure".to_string()),
            "product" => Some(product.expect("product").route.clone()),
            _ => gi.json["route"].as_str().map(str::to_string),
        };
        if let Some(seen) = items.iter_mut().find(|i| i.id == *id) {
            if !seen.routes.contains(&route) {
                seen.routes.push(route);
            }
            continue;
        }
        let mut atoms = vec![id.clone()];
        if let Some(p) = product {
            atoms.extend(p.ingredients.iter().map(|i| i.substance.clone()));
        }
        items.push(Item {
            id: id.clone(),
            routes: vec![route],
            atoms,
        });
    }
    let with_route = |i: &Item| -> Vec<(String, Option<String>)> {
        i.atoms
            .iter()
            .flat_map(|a| i.routes.iter().map(move |r| (a.clone(), r.clone())))
            .collect()
    };
    let mut out = BTreeSet::new();
    let key = |kind: &str, rule: &str, mut items: Vec<String>, c: Option<&str>, a: Option<&str>| {
        items.sort();
        (
            kind.to_string(),
            rule.to_string(),
            items,
            c.map(str::to_string),
            a.map(str::to_string),
        )
    };
    // Pairs of items.
    for (n, x) in items.iter().enumerate() {
        for y in &items[n + 1..] {
            for r in re.winners(re.matching(&with_route(x), &with_route(y))) {
                out.insert(key(
                    "interaction",
                    &r.id,
                    vec![x.id.clone(), y.id.clone()],
                    None,
                    None,
                ));
            }
        }
    }
    // Items against the patient's conditions.
    for x in &items {
        for c in &conditions {
            for r in re.winners(re.matching(&with_route(x), &[(c.clone(), None)])) {
                out.insert(key("condition", &r.id, vec![x.id.clone()], Some(c), None));
            }
        }
    }
    for r in &data.rules {
        if !re.applies(r) {
            continue;
        }
        let holds = |x: &Item, of: &str| x.atoms.iter().any(|a| re.is_a(a, of));
        match r.kind.as_str() {
            "accumulation" | "duplication" => {
                let class = r.class.as_deref().expect("class");
                let members: Vec<String> = items
                    .iter()
                    .filter(|x| holds(x, class))
                    .map(|x| x.id.clone())
                    .collect();
                // What accumulates is distinct member substances (two strengths of one drug
                // are one drug), and only across two or more items.
                let substances: BTreeSet<&String> = items
                    .iter()
                    .flat_map(|x| x.atoms.iter())
                    .filter(|a| re.is_a(a, class))
                    .collect();
                let need = r.min_count.unwrap_or(2) as usize;
                if substances.len() >= need && members.len() >= 2 {
                    let kind = if r.kind == "accumulation" {
                        "interaction"
                    } else {
                        "duplicate-therapy"
                    };
                    out.insert(key(kind, &r.id, members, None, None));
                }
            }
            "pharmacogenomic" => {
                let subject = r.subject.as_deref().expect("subject");
                let gene = r.gene.as_deref().expect("gene");
                let fires = g
                    .phenotypes
                    .get(gene)
                    .is_some_and(|p| r.phenotypes.as_ref().expect("phenotypes").contains(p));
                for x in items.iter().filter(|x| fires && holds(x, subject)) {
                    out.insert(key(
                        "pharmacogenomic",
                        &r.id,
                        vec![x.id.clone()],
                        None,
                        None,
                    ));
                }
            }
            _ => {}
        }
    }
    // Allergies: a documented allergy to the item (or what it contains, or a class of it), or
    // failing that, a cross-sensitivity rule.
    let mut allergies = g.allergies.clone();
    allergies.sort();
    allergies.dedup();
    for x in &items {
        for a in &allergies {
            if x.atoms.iter().any(|atom| re.is_a(atom, a)) {
                out.insert(key(
                    "allergy",
                    "medcheck:documented-allergy",
                    vec![x.id.clone()],
                    None,
                    Some(a),
                ));
                continue;
            }
            for r in data
                .rules
                .iter()
                .filter(|r| r.kind == "cross-sensitivity" && re.applies(r))
            {
                let subject = r.subject.as_deref().expect("subject");
                let allergen = r.allergen.as_deref().expect("allergen");
                if x.atoms.iter().any(|atom| re.is_a(atom, subject)) && re.is_a(a, allergen) {
                    out.insert(key("allergy", &r.id, vec![x.id.clone()], None, Some(a)));
                }
            }
        }
    }
    out
}
