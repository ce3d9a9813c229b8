//! Concepts: registering every id, then resolving names, classes, parents and ingredients.

use super::*;

impl Builder {
    /// Registers every concept with its kind; references are resolved in [`Builder::memberships`].
    pub(super) fn concepts(&mut self, data: &SourceData) {
        let add = |b: &mut Builder,
                   file: &'static str,
                   i: usize,
                   id: &str,
                   name: &str,
                   detail: Detail| {
            let cid = ConceptId(b.model.concepts.len() as u32);
            if !b.define(file, id, i, Target::Concept(cid)) {
                return;
            }
            let name = b.required(Location::new(file, id, "name"), name, MAX_NAME_LEN);
            b.model.concepts.push(Concept {
                id: id.into(),
                name: name.as_ref().into(),
                detail,
                names: Box::new([]),
                rxnorm: None,
                atc: None,
                parents: Box::new([]),
            });
        };
        for (i, c) in data.classes.iter().enumerate() {
            add(self, "classes.json", i, &c.id, &c.name, Detail::Class);
        }
        for (i, c) in data.conditions.iter().enumerate() {
            let at = Location::new("conditions.json", &c.id, "age_years");
            let age_years = c.age_years.as_ref().and_then(|r| self.range(at, r));
            add(
                self,
                "conditions.json",
                i,
                &c.id,
                &c.name,
                Detail::Condition { age_years },
            );
        }
        for (i, s) in data.substances.iter().enumerate() {
            let kind = SubstanceKind::parse(&s.kind).unwrap_or_else(|| {
                self.err(ValidationError::UnknownValue {
                    at: Location::new("substances.json", &entry_name(&s.id, i), "kind"),
                    what: SubstanceKind::WHAT,
                    value: s.kind.clone(),
                    allowed: SubstanceKind::allowed(),
                });
                SubstanceKind::Drug
            });
            add(
                self,
                "substances.json",
                i,
                &s.id,
                &s.name,
                Detail::Substance(kind),
            );
        }
        for (i, p) in data.products.iter().enumerate() {
            // Filled in by `memberships` once every substance is known.
            let product = Product {
                unit: Unit::Tablet,
                route: Route::Oral,
                ingredients: Box::new([]),
            };
            add(
                self,
                "products.json",
                i,
                &p.id,
                &p.name,
                Detail::Product(product),
            );
        }
        for (i, t) in data.therapies.iter().enumerate() {
            add(self, "therapies.json", i, &t.id, &t.name, Detail::Therapy);
        }
    }

    pub(super) fn concept_id(&self, id: &str) -> Option<ConceptId> {
        match self.ids.get(id)?.1 {
            Target::Concept(c) => Some(c),
            _ => None,
        }
    }

    /// Resolves a reference to a concept of one of the `allowed` kinds.
    pub(super) fn reference(
        &mut self,
        at: Location,
        target: &str,
        allowed: &[ConceptKind],
        expected: &'static str,
    ) -> Option<ConceptId> {
        self.reference_at(|| at, target, allowed, expected)
    }

    /// [`Builder::reference`], building the location only when there is a problem.
    pub(super) fn reference_at(
        &mut self,
        at: impl FnOnce() -> Location,
        target: &str,
        allowed: &[ConceptKind],
        expected: &'static str,
    ) -> Option<ConceptId> {
        if let Some((_, Target::Concept(c))) = self.ids.get(target) {
            if allowed.contains(&self.model.concept(*c).kind()) {
                return Some(*c);
            }
        }
        let at = at();
        match self.ids.get(target).map(|e| e.1) {
            None => {
                self.err(ValidationError::Dangling {
                    at,
                    target: target.to_string(),
                });
                None
            }
            Some(Target::Concept(c)) => {
                let kind = self.model.concept(c).kind();
                if allowed.contains(&kind) {
                    Some(c)
                } else {
                    self.err(ValidationError::WrongKind {
                        at,
                        target: target.to_string(),
                        expected,
                        found: kind.as_str(),
                    });
                    None
                }
            }
            Some(_) => {
                self.err(ValidationError::WrongKind {
                    at,
                    target: target.to_string(),
                    expected,
                    found: "non-concept entry",
                });
                None
            }
        }
    }

    pub(super) fn refs<S: AsRef<str>>(
        &mut self,
        file: &'static str,
        entry: &str,
        field: &str,
        targets: &[S],
        allowed: &[ConceptKind],
        expected: &'static str,
    ) -> Box<[ConceptId]> {
        let mut out: Vec<ConceptId> = Vec::with_capacity(targets.len());
        for (i, t) in targets.iter().enumerate() {
            let at = || Location::new(file, entry, format!("{field}[{i}]"));
            if let Some(c) = self.reference_at(at, t.as_ref(), allowed, expected) {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out.into()
    }

    /// Every id, display name, synonym, brand and RxNorm code must lead to one concept. Ids and
    /// display names are registered first, so a synonym that takes another concept's name is
    /// reported at the synonym, where the mistake is.
    pub(super) fn names(&mut self) {
        let mut seen: FxHashMap<String, ConceptId> = FxHashMap::default();
        let mut key = String::new();
        let mut all: Vec<Vec<(String, String)>> = Vec::with_capacity(self.model.concepts.len());
        for i in 0..self.model.concepts.len() {
            let cid = ConceptId(i as u32);
            let c = &self.model.concepts[i];
            let fields = self.name_fields.remove(&cid).unwrap_or_default();
            let mut names: Vec<(String, String)> = Vec::with_capacity(c.names.len() + 1);
            for (j, n) in c.names.iter().enumerate() {
                let field = fields.get(j).cloned().unwrap_or_else(|| "synonyms".into());
                names.push((field, n.to_string()));
            }
            if let Some(code) = &c.rxnorm {
                names.push(("rxnorm".into(), format!("rxnorm:{code}")));
            }
            all.push(names);
        }
        for pass in 0..2 {
            for (i, others) in all.iter().enumerate() {
                let cid = ConceptId(i as u32);
                let c = &self.model.concepts[i];
                let (file, _) = self.ids[c.id.as_ref()];
                let id = c.id.clone();
                let primary = [
                    ("id".to_string(), c.id.to_string()),
                    ("name".to_string(), c.name.to_string()),
                ];
                let names = if pass == 0 { &primary[..] } else { &others[..] };
                for (field, n) in names {
                    name_key(n, &mut key);
                    match seen.entry(key.clone()) {
                        Entry::Occupied(e) if *e.get() != cid => {
                            let other = self.model.concept(*e.get()).id.to_string();
                            self.errors.push(ValidationError::NameClash {
                                at: Location::new(file, &id, field.clone()),
                                name: n.clone(),
                                other,
                            });
                        }
                        Entry::Occupied(_) => {}
                        Entry::Vacant(v) => {
                            v.insert(cid);
                        }
                    }
                }
            }
        }
    }

    /// Fills in synonyms, codes, classes, parents and product ingredients.
    pub(super) fn memberships(&mut self, data: &SourceData) {
        use ConceptKind::*;
        const CLASS: &[ConceptKind] = &[Class];
        for c in &data.classes {
            let Some(id) = self.concept_id(&c.id) else {
                continue;
            };
            let parents = self.refs("classes.json", &c.id, "parents", &c.parents, CLASS, "class");
            let names = self.name_list("classes.json", &c.id, &[("synonyms", &c.synonyms)]);
            let concept = &mut self.model.concepts[id.0 as usize];
            concept.parents = parents;
            concept.names = names;
        }
        for c in &data.conditions {
            let Some(id) = self.concept_id(&c.id) else {
                continue;
            };
            let parents = self.refs(
                "conditions.json",
                &c.id,
                "parents",
                &c.parents,
                &[Condition],
                "condition",
            );
            let mut icd10 = Vec::with_capacity(c.icd10.len());
            for (i, code) in c.icd10.iter().enumerate() {
                if is_icd10(code) {
                    icd10.push(format!("icd10:{code}"));
                } else {
                    self.err(ValidationError::BadNumber {
                        at: Location::new("conditions.json", &c.id, format!("icd10[{i}]")),
                        reason: format!(
                            "`{code}` is not an ICD-10-CM code or category (such as N18 or I45.81)"
                        ),
                    });
                }
            }
            let names = self.name_list(
                "conditions.json",
                &c.id,
                &[("synonyms", &c.synonyms), ("icd10", &icd10)],
            );
            let concept = &mut self.model.concepts[id.0 as usize];
            concept.parents = parents;
            concept.names = names;
        }
        for s in &data.substances {
            let Some(id) = self.concept_id(&s.id) else {
                continue;
            };
            let parents = self.refs(
                "substances.json",
                &s.id,
                "classes",
                &s.classes,
                CLASS,
                "class",
            );
            let names = self.name_list(
                "substances.json",
                &s.id,
                &[("synonyms", &s.synonyms), ("brands", &s.brands)],
            );
            let rxnorm = self.code("substances.json", &s.id, "rxnorm", &s.rxnorm);
            let atc = self.code("substances.json", &s.id, "atc", &s.atc);
            let concept = &mut self.model.concepts[id.0 as usize];
            concept.parents = parents;
            concept.names = names;
            concept.rxnorm = rxnorm;
            concept.atc = atc;
        }
        for p in &data.products {
            let Some(id) = self.concept_id(&p.id) else {
                continue;
            };
            const F: &str = "products.json";
            let parents = self.refs(F, &p.id, "classes", &p.classes, CLASS, "class");
            let names = self.name_list(
                F,
                &p.id,
                &[("synonyms", &p.synonyms), ("brands", &p.brands)],
            );
            let rxnorm = self.code(F, &p.id, "rxnorm", &p.rxnorm);
            let unit = match Unit::parse(&p.unit) {
                Some(u) if u.dimension() == crate::units::Dimension::DosageUnit => u,
                _ => {
                    self.err(ValidationError::UnknownValue {
                        at: Location::new(F, &p.id, "unit"),
                        what: "dosage unit",
                        value: p.unit.clone(),
                        allowed: "tablet, capsule, patch, mL".into(),
                    });
                    Unit::Tablet
                }
            };
            let route = self.route(Location::new(F, &p.id, "route"), &p.route);
            if p.ingredients.is_empty() {
                self.err(ValidationError::Empty {
                    at: Location::new(F, &p.id, "ingredients"),
                });
            }
            let mut ingredients: Vec<Ingredient> = Vec::new();
            for (i, ing) in p.ingredients.iter().enumerate() {
                let at = |f: &str| Location::new(F, &p.id, format!("ingredients[{i}].{f}"));
                let substance =
                    self.reference(at("substance"), &ing.substance, &[Substance], "substance");
                let strength = self.amount(at("strength"), &ing.strength);
                let per = match &ing.per {
                    None => Some(Ratio::ONE),
                    Some(n) => self.number(at("per"), n),
                };
                let strength = match (strength, per) {
                    (Some(s), Some(per)) => {
                        s.value.checked_div(per).map(|v| Amount::new(v, s.unit))
                    }
                    _ => None,
                };
                if let Some(s) = strength {
                    use crate::units::Dimension::{Mass, Rate};
                    // A patch releases a rate into the blood (fentanyl, buprenorphine) or holds
                    // an amount for local effect (lidocaine); everything else holds an amount.
                    let dim = s.unit.dimension();
                    let fits = dim == Mass || (unit == Unit::Patch && dim == Rate);
                    if !fits {
                        self.err(ValidationError::UnknownValue {
                            at: at("strength.unit"),
                            what: "strength unit for this dosage unit",
                            value: s.unit.to_string(),
                            allowed: if unit == Unit::Patch {
                                "mcg, mg, g, mcg/h"
                            } else {
                                "mcg, mg, g"
                            }
                            .into(),
                        });
                    }
                }
                if let (Some(substance), Some(strength)) = (substance, strength) {
                    if ingredients.iter().any(|x| x.substance == substance) {
                        self.err(ValidationError::DuplicateId {
                            at: at("substance"),
                            first: format!("{F}, an earlier ingredient of the same product"),
                        });
                    }
                    ingredients.push(Ingredient {
                        substance,
                        strength,
                    });
                }
            }
            let concept = &mut self.model.concepts[id.0 as usize];
            concept.parents = parents;
            concept.names = names;
            concept.rxnorm = rxnorm;
            concept.detail = Detail::Product(super::Product {
                unit,
                route,
                ingredients: ingredients.into(),
            });
        }
        for t in &data.therapies {
            let Some(id) = self.concept_id(&t.id) else {
                continue;
            };
            let parents = self.refs(
                "therapies.json",
                &t.id,
                "classes",
                &t.classes,
                CLASS,
                "class",
            );
            let names = self.name_list("therapies.json", &t.id, &[("synonyms", &t.synonyms)]);
            let concept = &mut self.model.concepts[id.0 as usize];
            concept.parents = parents;
            concept.names = names;
        }
        // Names are checked once every concept has its synonyms.
        self.names();
    }

    /// Checks a concept's synonyms and brands; `lists` pairs each list with its field name.
    pub(super) fn name_list(
        &mut self,
        file: &'static str,
        entry: &str,
        lists: &[(&str, &Vec<String>)],
    ) -> Box<[Box<str>]> {
        let mut out = Vec::new();
        let mut fields = Vec::new();
        for (field, list) in lists {
            for (i, n) in list.iter().enumerate() {
                let at = Location::new(file, entry, format!("{field}[{i}]"));
                let mut key = String::new();
                name_key(n, &mut key);
                if key.is_empty() {
                    self.err(ValidationError::Empty { at });
                } else if n.chars().count() > MAX_NAME_LEN {
                    self.err(ValidationError::TooLong {
                        at,
                        max: MAX_NAME_LEN,
                    });
                } else {
                    out.push(n.as_str().into());
                    fields.push(at.field);
                }
            }
        }
        if let Some(id) = self.concept_id(entry) {
            self.name_fields.insert(id, fields);
        }
        out.into()
    }

    pub(super) fn code(
        &mut self,
        file: &'static str,
        entry: &str,
        field: &str,
        code: &Option<String>,
    ) -> Option<Box<str>> {
        let code = code.as_deref()?;
        if code.trim().is_empty()
            || code.len() > 32
            || !code.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            self.err(ValidationError::BadNumber {
                at: Location::new(file, entry, field),
                reason: format!("code `{code}` must be 1 to 32 letters or digits"),
            });
            return None;
        }
        Some(code.into())
    }
}

/// An ICD-10-CM code or category: a letter, two digits (or a digit and a letter), and an
/// optional dot with one to four more characters (`N18`, `I45.81`, `G47.33`).
fn is_icd10(code: &str) -> bool {
    let (head, tail) = code.split_once('.').unwrap_or((code, ""));
    let h = head.as_bytes();
    h.len() == 3
        && h[0].is_ascii_uppercase()
        && h[1].is_ascii_digit()
        && (h[2].is_ascii_digit() || h[2].is_ascii_uppercase())
        && (!code.contains('.') || (1..=4).contains(&tail.len()))
        && tail
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}
