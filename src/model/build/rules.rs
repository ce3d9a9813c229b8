//! Rules: endpoints, kind-specific fields, duplicates, shared texts.

use super::*;

impl Builder {
    pub(super) fn endpoint<S: AsRef<str>>(
        &mut self,
        at: impl Fn() -> Location,
        e: &RawEndpoint<S>,
    ) -> Option<Endpoint> {
        use ConceptKind::*;
        let (id, route) = match e {
            RawEndpoint::Id(id) => (id.as_ref(), None),
            RawEndpoint::WithRoute { id, route } => (id.as_ref(), Some(route.as_ref())),
        };
        let route = route.map(|r| match Route::parse(r) {
            Some(route) => route,
            None => {
                let at = at();
                self.route(
                    Location {
                        field: format!("{}.route", at.field),
                        ..at
                    },
                    r,
                )
            }
        });
        let concept = self.reference_at(
            at,
            id,
            &[Substance, Product, Therapy, Class, Condition],
            "concept",
        )?;
        Some(Endpoint { concept, route })
    }

    /// Validates one rule. Written for a million rules: nothing is allocated for a valid rule
    /// beyond what the model keeps, and every problem is reported by the same helpers, with the
    /// same words, as in the rest of the builder.
    pub(super) fn rule<S: AsRef<str>>(&mut self, r: &RawRule<S>) {
        let id = r.id.as_ref();
        const F: &str = "rules.json";
        let i = self.rules_seen;
        self.rules_seen += 1;
        let rid = RuleId(self.model.rules.len() as u32);
        if !self.define_rule(id, i) {
            return;
        }
        let errors_before = self.errors.len();
        let at = |f: &str| Location::new(F, id, f);
        let kind = self.rule_kind(r);
        let requires = if r.requires.is_empty() {
            Box::new([]) as Box<[ConceptId]>
        } else {
            self.refs(
                F,
                id,
                "requires",
                &r.requires,
                &[ConceptKind::Condition],
                "condition",
            )
        };
        let severity = match Severity::parse(r.severity.as_ref()) {
            Some(s) if s != Severity::Info => s,
            _ => self.severity(at("severity"), r.severity.as_ref()),
        };
        let evidence = match Evidence::parse(r.evidence.as_ref()) {
            Some(e) => e,
            None => self.evidence(at("evidence"), r.evidence.as_ref()),
        };
        let text = |b: &mut Builder, field: &str, s: &str| match b.text_if_valid(s) {
            Some(t) => t,
            None => b.required(at(field), s, MAX_TEXT_LEN),
        };
        let summary = text(self, "summary", r.summary.as_ref());
        let mechanism = r
            .mechanism
            .as_ref()
            .map(|s| text(self, "mechanism", s.as_ref()));
        let effect = r.effect.as_ref().map(|s| text(self, "effect", s.as_ref()));
        let management = text(self, "management", r.management.as_ref());
        let monitoring = self.monitoring_refs(F, id, &r.monitoring);
        let sources = self.sourced(F, id, &r.sources);
        let uncertainty = r
            .uncertainty
            .as_ref()
            .map(|s| text(self, "uncertainty", s.as_ref()));
        let Some(kind) = kind else {
            self.keep_rule_id(id);
            return;
        };
        if self.errors.len() > errors_before {
            self.keep_rule_id(id);
            return;
        }
        let text = self.rule_text(RuleText {
            summary,
            mechanism,
            effect,
            management,
            monitoring,
            sources,
            uncertainty,
        });
        let rule = Rule {
            id: id.into(),
            kind,
            requires,
            severity,
            evidence,
            text,
        };
        if let Some(other) = self.same_endpoints(&rule.kind) {
            let other = self.model.rule(other).id.to_string();
            self.err(ValidationError::DuplicateRule {
                at: at("id"),
                other,
            });
        } else if !matches!(rule.kind, RuleKind::Interaction { .. }) {
            for key in rule_keys(&rule.kind) {
                if let Some(other) = self.rule_keys.insert(key, rid).filter(|o| *o != rid) {
                    let other = self.model.rule(other).id.to_string();
                    self.err(ValidationError::DuplicateRule {
                        at: at("id"),
                        other,
                    });
                    break;
                }
            }
        }
        let duplicate = self.errors.len() > errors_before;
        if let (RuleKind::Interaction { a, b }, false) = (&rule.kind, duplicate) {
            let (a, b) = (*a, *b);
            let filed = Filed {
                hash: hash_pair(a, b),
                rule: rid.0,
            };
            self.pair_rules
                .insert_unique(filed.hash(), filed, |f| f.hash());
        }
        let filed = Filed {
            hash: hash_str(id),
            rule: rid.0,
        };
        self.rule_ids
            .insert_unique(filed.hash(), filed, |f| f.hash());
        self.model.rules.push(rule);
    }

    /// An earlier interaction rule on the same endpoints as `kind`, if there is one.
    pub(super) fn same_endpoints(&self, kind: &RuleKind) -> Option<RuleId> {
        let RuleKind::Interaction { a, b } = *kind else {
            return None;
        };
        let key = (a.min(b), a.max(b));
        let hash = hash_pair(a, b);
        self.pair_rules
            .find(spread(hash), |f| {
                f.hash == hash
                    && match self.model.rules[f.rule as usize].kind {
                        RuleKind::Interaction { a, b } => (a.min(b), a.max(b)) == key,
                        _ => false,
                    }
            })
            .map(|f| RuleId(f.rule))
    }

    /// Registers a rule's id. Rule ids live in their own table of rule numbers rather than in
    /// `ids`, which would hold a copy of each of a million ids.
    pub(super) fn define_rule(&mut self, id: &str, index: usize) -> bool {
        const F: &str = "rules.json";
        if !is_id(id) {
            let at = Location::new(F, &entry_name(id, index), "id");
            self.err(ValidationError::InvalidId {
                at,
                id: id.to_string(),
            });
            return false;
        }
        let first = match self.ids.get(id) {
            Some((file, _)) => Some(*file),
            None => self.rule_id_taken(id).then_some(F),
        };
        if let Some(first) = first {
            let at = Location::new(F, &entry_name(id, index), "id");
            self.err(ValidationError::DuplicateId {
                at,
                first: first.to_string(),
            });
            return false;
        }
        true
    }

    /// Keeps the id of a rule that failed validation (and so is not in the model) taken.
    pub(super) fn keep_rule_id(&mut self, id: &str) {
        self.ids
            .insert(id.to_string(), ("rules.json", Target::Other));
    }

    pub(super) fn rule_id_taken(&self, id: &str) -> bool {
        let hash = hash_str(id);
        self.rule_ids
            .find(spread(hash), |f| {
                f.hash == hash && &*self.model.rules[f.rule as usize].id == id
            })
            .is_some()
    }

    /// The shared copy of a rule's texts.
    pub(super) fn rule_text(&mut self, text: RuleText) -> Arc<RuleText> {
        let hash = hash_rule_text(&text);
        if let Some(t) = self.rule_texts.find(hash, |t| same_rule_text(t, &text)) {
            return t.clone();
        }
        let t = Arc::new(text);
        self.rule_texts
            .insert_unique(hash, t.clone(), |t| hash_rule_text(t));
        t
    }

    /// The interned text when it passes [`Builder::required`]'s checks, without building the
    /// location an error would need.
    pub(super) fn text_if_valid(&mut self, s: &str) -> Option<Text> {
        let fits = s.len() <= MAX_TEXT_LEN || s.chars().count() <= MAX_TEXT_LEN;
        (fits && !s.trim_start().is_empty()).then(|| self.text(s))
    }

    /// Checks the kind-specific fields of a rule: what it needs, and nothing it does not use.
    pub(super) fn rule_kind<S: AsRef<str>>(&mut self, r: &RawRule<S>) -> Option<RuleKind> {
        fn opt<S: AsRef<str>>(s: &Option<S>) -> Option<&str> {
            s.as_ref().map(|s| s.as_ref())
        }
        use ConceptKind::*;
        const F: &str = "rules.json";
        let at = |f: &str| Location::new(F, r.id.as_ref(), f);
        let fields: [(&str, bool); 7] = [
            ("between", r.between.is_some()),
            ("class", r.class.is_some()),
            ("min_count", r.min_count.is_some()),
            ("subject", r.subject.is_some()),
            ("gene", r.gene.is_some()),
            ("phenotypes", r.phenotypes.is_some()),
            ("allergen", r.allergen.is_some()),
        ];
        let used: &[&str] = match r.kind.as_ref() {
            "interaction" => &["between"],
            "accumulation" => &["class", "min_count"],
            "duplication" => &["class"],
            "pharmacogenomic" => &["subject", "gene", "phenotypes"],
            "cross-sensitivity" => &["allergen", "subject"],
            other => {
                self.err(ValidationError::UnknownValue {
                    at: at("kind"),
                    what: "rule kind",
                    value: other.to_string(),
                    allowed:
                        "interaction, accumulation, duplication, pharmacogenomic, cross-sensitivity"
                            .into(),
                });
                return None;
            }
        };
        let kind = || format!("a rule of kind `{}`", r.kind.as_ref());
        let mut complete = true;
        for (field, present) in fields {
            let wanted = used.contains(&field);
            if wanted && !present {
                self.err(ValidationError::Missing {
                    at: at(field),
                    kind: kind(),
                });
                complete = false;
            } else if !wanted && present {
                self.err(ValidationError::NotApplicable {
                    at: at(field),
                    kind: kind(),
                });
            }
        }
        if !complete {
            return None;
        }
        const ITEMISH: &[ConceptKind] = &[Substance, Product, Therapy, Class];
        match r.kind.as_ref() {
            "interaction" => {
                let between = r.between.as_ref()?;
                if between.len() != 2 {
                    self.err(ValidationError::BadNumber {
                        at: at("between"),
                        reason: format!("needs exactly 2 endpoints, found {}", between.len()),
                    });
                    return None;
                }
                let a = self.endpoint(|| at("between[0]"), &between[0]);
                let b = self.endpoint(|| at("between[1]"), &between[1]);
                let (a, b) = (a?, b?);
                if a.concept == b.concept {
                    self.err(ValidationError::SelfInteraction {
                        at: at("between"),
                        concept: self.model.concept(a.concept).id.to_string(),
                    });
                    return None;
                }
                let is_condition =
                    |b: &Builder, e: Endpoint| b.model.concept(e.concept).kind() == Condition;
                if is_condition(self, a) && is_condition(self, b) {
                    self.err(ValidationError::NeverFires {
                        at: at("between"),
                        reason: "both endpoints are conditions; rules compare items with items or with conditions".into(),
                    });
                    return None;
                }
                for (e, f) in [(a, "between[0].route"), (b, "between[1].route")] {
                    if e.route.is_some() && is_condition(self, e) {
                        self.err(ValidationError::NotApplicable {
                            at: at(f),
                            kind: "a condition endpoint".into(),
                        });
                    }
                }
                Some(RuleKind::Interaction { a, b })
            }
            "accumulation" | "duplication" => {
                let class = self.reference(at("class"), opt(&r.class)?, &[Class], "class")?;
                if r.kind.as_ref() == "duplication" {
                    return Some(RuleKind::Duplication { class });
                }
                let min_count = r.min_count?;
                if min_count < 2 {
                    self.err(ValidationError::BadNumber {
                        at: at("min_count"),
                        reason: format!(
                            "{min_count} is below 2; an accumulation needs at least two items"
                        ),
                    });
                    return None;
                }
                Some(RuleKind::Accumulation { class, min_count })
            }
            "pharmacogenomic" => {
                let subject = self.reference(
                    at("subject"),
                    opt(&r.subject)?,
                    ITEMISH,
                    "substance, product, therapy or class",
                );
                let gene = opt(&r.gene)?;
                let gene_ok = crate::vocab::is_gene_name(gene);
                if !gene_ok {
                    self.err(ValidationError::BadNumber {
                        at: at("gene"),
                        reason: format!(
                            "gene `{gene}` must be an uppercase HGNC symbol such as CYP2D6, or an \
                             HLA allele such as HLA-B*15:02"
                        ),
                    });
                }
                let mut phenotypes = Vec::new();
                let mut reported = false;
                for (i, p) in r
                    .phenotypes
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                {
                    match Phenotype::parse(p.as_ref()) {
                        Some(p) if phenotypes.contains(&p) => {}
                        // A carrier status for a gene, or a metabolizer status for an HLA
                        // allele, could never match what a patient's record says.
                        Some(ph) if !ph.fits(gene) => {
                            reported = true;
                            if gene_ok {
                                self.err(ValidationError::PhenotypeNotForGene {
                                    at: at(&format!("phenotypes[{i}]")),
                                    phenotype: p.as_ref().to_string(),
                                    gene: gene.to_string(),
                                    allowed: Phenotype::allowed_for(gene),
                                });
                            }
                        }
                        Some(p) => phenotypes.push(p),
                        None => self.err(ValidationError::UnknownValue {
                            at: at(&format!("phenotypes[{i}]")),
                            what: Phenotype::WHAT,
                            value: p.as_ref().to_string(),
                            allowed: Phenotype::allowed(),
                        }),
                    }
                }
                if phenotypes.is_empty() && !reported {
                    self.err(ValidationError::Empty {
                        at: at("phenotypes"),
                    });
                }
                Some(RuleKind::Pharmacogenomic {
                    subject: subject?,
                    gene: gene.into(),
                    phenotypes: phenotypes.into(),
                })
            }
            "cross-sensitivity" => {
                let allergen = self.reference(
                    at("allergen"),
                    opt(&r.allergen)?,
                    &[Substance, Class],
                    "substance or class",
                );
                let subject = self.reference(
                    at("subject"),
                    opt(&r.subject)?,
                    ITEMISH,
                    "substance, product, therapy or class",
                );
                let (allergen, subject) = (allergen?, subject?);
                // A class may cross-react with itself (an allergy to one opioid and another
                // member); a substance with itself is just the allergy.
                if allergen == subject && self.model.concept(subject).kind() != Class {
                    self.err(ValidationError::SelfInteraction {
                        at: at("subject"),
                        concept: self.model.concept(subject).id.to_string(),
                    });
                    return None;
                }
                Some(RuleKind::CrossSensitivity { allergen, subject })
            }
            _ => None,
        }
    }
}

/// What a rule matches, for finding two rules that would fire on the same thing.
fn rule_keys(kind: &RuleKind) -> Vec<RuleKey> {
    match kind {
        RuleKind::Interaction { a, b } => vec![RuleKey::Pair((*a).min(*b), (*a).max(*b))],
        RuleKind::Accumulation { class, .. } | RuleKind::Duplication { class } => {
            vec![RuleKey::Group(*class)]
        }
        RuleKind::Pharmacogenomic {
            subject,
            gene,
            phenotypes,
        } => phenotypes
            .iter()
            .map(|p| RuleKey::Gene(*subject, gene.clone(), *p))
            .collect(),
        RuleKind::CrossSensitivity { allergen, subject } => {
            vec![RuleKey::Cross(*allergen, *subject)]
        }
    }
}
