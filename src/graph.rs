//! Stage 3: the concept graph.
//!
//! A `petgraph` directed graph with one node per concept (node index = [`ConceptId`]) and an edge
//! for every membership (substance, product or therapy to class; class to parent class; condition
//! to broader condition), every product ingredient, and every interaction rule. Built from the
//! [`Model`], it checks what only the whole structure shows (membership cycles, rules no regimen
//! can fire) and works out, once, each concept's full set of ancestors.

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{EdgeFiltered, EdgeRef};

use crate::model::{
    ConceptId, ConceptKind, Detail, Endpoint, Location, Model, RuleId, RuleKind, ValidationError,
};
use crate::vocab::Route;

/// Most class memberships the loader accepts once nesting is flattened (the sum, over every
/// concept, of the classes it belongs to directly or through nesting). Bounds the memory the
/// closure takes: deep or wide hierarchies past this are refused with a located error.
pub const MAX_MEMBERSHIPS: usize = 1 << 22;

/// Most concrete concept pairs the interaction rules may expand to once their class endpoints
/// are replaced by members (the sum, over interaction rules, of members of one end times members
/// of the other). Bounds the memory the compiled pair index takes.
pub const MAX_PAIR_EXPANSION: usize = 1 << 24;

/// What an edge of the concept graph means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// Source is a member of target (a class, or a broader condition).
    MemberOf,
    /// Source (a product) contains target (a substance).
    Contains,
    /// An interaction or cross-sensitivity rule between source and target.
    Rule(RuleId),
}

/// The concept graph with its closure of memberships.
#[derive(Debug)]
pub struct ConceptGraph {
    graph: DiGraph<ConceptId, Edge, u32>,
    /// For each concept: itself and every class or condition it belongs to, directly or through
    /// nesting, sorted.
    ancestors: Vec<Box<[ConceptId]>>,
    /// For each concept: every concept that has it among its ancestors (itself included), sorted.
    members: Vec<Box<[ConceptId]>>,
}

fn file_of(kind: ConceptKind) -> &'static str {
    match kind {
        ConceptKind::Substance => "substances.json",
        ConceptKind::Product => "products.json",
        ConceptKind::Therapy => "therapies.json",
        ConceptKind::Class => "classes.json",
        ConceptKind::Condition => "conditions.json",
    }
}

impl ConceptGraph {
    /// Builds the graph; fails with every membership cycle and every rule that cannot fire.
    pub fn build(model: &Model) -> Result<ConceptGraph, Vec<ValidationError>> {
        let n = model.concepts.len();
        let mut graph = DiGraph::with_capacity(n, n * 2 + model.rules.len());
        for i in 0..n {
            graph.add_node(ConceptId(i as u32));
        }
        let node = |c: ConceptId| NodeIndex::new(c.0 as usize);
        // Membership alone, for cycles and the closure: walking it must not wade through the
        // rule edges, which outnumber memberships a hundred to one in a large knowledge base.
        let membership = membership_graph(model);
        for (i, c) in model.concepts.iter().enumerate() {
            for p in c.parents.iter() {
                graph.add_edge(NodeIndex::new(i), node(*p), Edge::MemberOf);
            }
            if let Detail::Product(p) = &c.detail {
                for ing in p.ingredients.iter() {
                    graph.add_edge(NodeIndex::new(i), node(ing.substance), Edge::Contains);
                }
            }
        }
        for (i, r) in model.rules.iter().enumerate() {
            match r.kind {
                RuleKind::Interaction { a, b } => {
                    graph.add_edge(
                        node(a.concept),
                        node(b.concept),
                        Edge::Rule(RuleId(i as u32)),
                    );
                }
                RuleKind::CrossSensitivity { allergen, subject } => {
                    graph.add_edge(node(allergen), node(subject), Edge::Rule(RuleId(i as u32)));
                }
                _ => {}
            }
        }

        let mut errors = cycles(model, &membership);
        if !errors.is_empty() {
            return Err(errors);
        }
        let ancestors = closure(model, &membership).map_err(|e| vec![*e])?;
        let mut members: Vec<Vec<ConceptId>> = vec![Vec::new(); n];
        for (i, anc) in ancestors.iter().enumerate() {
            for a in anc.iter() {
                members[a.0 as usize].push(ConceptId(i as u32));
            }
        }
        let g = ConceptGraph {
            graph,
            ancestors,
            members: members.into_iter().map(Into::into).collect(),
        };
        errors.extend(g.rules_that_never_fire(model));
        if errors.is_empty() {
            Ok(g)
        } else {
            Err(errors)
        }
    }

    /// The petgraph graph itself.
    pub fn petgraph(&self) -> &DiGraph<ConceptId, Edge, u32> {
        &self.graph
    }

    /// The concept and every class (or broader condition) it belongs to, sorted by id.
    pub fn ancestors(&self, c: ConceptId) -> &[ConceptId] {
        &self.ancestors[c.0 as usize]
    }

    /// Every concept that belongs to `c`, directly or through nesting, `c` included, sorted.
    pub fn members(&self, c: ConceptId) -> &[ConceptId] {
        &self.members[c.0 as usize]
    }

    /// True when `c` is `of` or belongs to it.
    pub fn is_a(&self, c: ConceptId, of: ConceptId) -> bool {
        self.ancestors(c).binary_search(&of).is_ok()
    }

    /// The members of `c` that a regimen can hold as items or a patient as conditions.
    fn concrete_members<'a>(
        &'a self,
        model: &'a Model,
        c: ConceptId,
    ) -> impl Iterator<Item = ConceptId> + 'a {
        self.members(c)
            .iter()
            .copied()
            .filter(|m| model.concept(*m).kind() != ConceptKind::Class)
    }

    /// True when some concrete member of the endpoint's concept can be given by its route (a
    /// product only by its own route, a therapy only as a procedure).
    fn route_can_match(&self, model: &Model, e: Endpoint) -> bool {
        let Some(route) = e.route else { return true };
        self.concrete_members(model, e.concept)
            .any(|m| match &model.concept(m).detail {
                Detail::Product(p) => p.route == route,
                Detail::Therapy => route == Route::Procedure,
                _ => true,
            })
    }

    fn rules_that_never_fire(&self, model: &Model) -> Vec<ValidationError> {
        // For each concept, its concrete members: how many, and the first. Worked out once, so
        // that checking a million rules reads two entries per rule.
        let concrete: Vec<(usize, Option<ConceptId>)> = (0..model.concepts.len())
            .map(|c| {
                let mut m = self.concrete_members(model, ConceptId(c as u32));
                let first = m.next();
                (first.map_or(0, |_| 1 + m.count()), first)
            })
            .collect();
        let count = |c: ConceptId| concrete[c.0 as usize].0;
        let mut errors = Vec::new();
        let mut expansion = 0usize;
        for r in &model.rules {
            if let RuleKind::Interaction { a, b } = r.kind {
                let count = |c: ConceptId| self.concrete_members(model, c).count();
                expansion = expansion.saturating_add(count(a.concept) * count(b.concept));
                if expansion > MAX_PAIR_EXPANSION {
                    errors.push(ValidationError::Oversized {
                        at: Location::new("rules.json", &r.id, "between"),
                        what: format!(
                            "{expansion} concept pairs once class endpoints are expanded to their members"
                        ),
                        max: MAX_PAIR_EXPANSION,
                    });
                    break;
                }
                for (i, e) in [a, b].into_iter().enumerate() {
                    let has_members = self.concrete_members(model, e.concept).next().is_some();
                    if has_members && !self.route_can_match(model, e) {
                        errors.push(ValidationError::NeverFires {
                            at: Location::new("rules.json", &r.id, format!("between[{i}].route")),
                            reason: format!(
                                "nothing in `{}` can be given by route {}",
                                model.concept(e.concept).id,
                                e.route.map_or("", Route::as_str)
                            ),
                        });
                    }
                }
            }
            let at = || Location::new("rules.json", &r.id, "");
            let empty = |c: ConceptId| count(c) == 0;
            let name = |c: ConceptId| model.concept(c).id.to_string();
            let reason = match r.kind {
                RuleKind::Interaction { a, b } => {
                    if let Some(c) = [a.concept, b.concept].into_iter().find(|c| empty(*c)) {
                        Some(format!("class `{}` has no members", name(c)))
                    } else {
                        let (na, first_a) = concrete[a.concept.0 as usize];
                        let (nb, first_b) = concrete[b.concept.0 as usize];
                        (na == 1 && nb == 1 && first_a == first_b).then(|| {
                            format!("only `{}` matches either end, and an item does not interact with itself", name(first_a.expect("one member")))
                        })
                    }
                }
                RuleKind::Accumulation { class, min_count } => {
                    let count = count(class);
                    (count < min_count as usize).then(|| {
                        format!(
                            "class `{}` has {count} members, fewer than min_count {min_count}",
                            name(class)
                        )
                    })
                }
                RuleKind::Duplication { class } => {
                    let count = count(class);
                    (count < 2).then(|| {
                        format!(
                            "class `{}` has {count} members; duplication needs two",
                            name(class)
                        )
                    })
                }
                RuleKind::Pharmacogenomic { subject, .. }
                | RuleKind::CrossSensitivity { subject, .. } => {
                    empty(subject).then(|| format!("class `{}` has no members", name(subject)))
                }
            };
            if let Some(reason) = reason {
                errors.push(ValidationError::NeverFires { at: at(), reason });
            }
        }
        errors
    }
}

/// The membership cycles of a model and nothing else: what [`ConceptGraph::build`] reports
/// first. The loader runs it on the model built so far when that model has errors of its own,
/// so that a cycle is listed beside them rather than after they are fixed.
pub fn membership_cycles(model: &Model) -> Vec<ValidationError> {
    cycles(model, &membership_graph(model))
}

/// The concepts with their membership edges only.
fn membership_graph(model: &Model) -> DiGraph<ConceptId, Edge, u32> {
    let n = model.concepts.len();
    let mut membership = DiGraph::with_capacity(n, n * 2);
    for i in 0..n {
        membership.add_node(ConceptId(i as u32));
    }
    for (i, c) in model.concepts.iter().enumerate() {
        for p in c.parents.iter() {
            membership.add_edge(
                NodeIndex::new(i),
                NodeIndex::new(p.0 as usize),
                Edge::MemberOf,
            );
        }
    }
    membership
}

/// Every strongly connected component of the membership edges that is a cycle.
fn cycles(model: &Model, graph: &DiGraph<ConceptId, Edge, u32>) -> Vec<ValidationError> {
    let members = EdgeFiltered::from_fn(graph, |e| *e.weight() == Edge::MemberOf);
    let mut errors = Vec::new();
    for scc in tarjan_scc(&members) {
        // Only membership edges count: a cross-sensitivity rule from a class to itself is a
        // rule edge, not a cycle.
        let self_loop = scc.len() == 1
            && graph
                .edges_connecting(scc[0], scc[0])
                .any(|e| *e.weight() == Edge::MemberOf);
        if scc.len() < 2 && !self_loop {
            continue;
        }
        let mut ids: Vec<&str> = scc
            .iter()
            .map(|n| model.concepts[n.index()].id.as_ref())
            .collect();
        ids.sort_unstable();
        let first = model
            .concepts
            .iter()
            .find(|c| c.id.as_ref() == ids[0])
            .expect("in scc");
        let mut cycle: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        cycle.push(ids[0].to_string());
        errors.push(ValidationError::Cycle {
            at: Location::new(file_of(first.kind()), ids[0], "parents"),
            cycle,
        });
    }
    errors.sort_by(|a, b| a.location().cmp(b.location()));
    errors
}

/// Ancestors of every concept through membership edges (the graph is acyclic here); fails when
/// their total passes [`MAX_MEMBERSHIPS`].
fn closure(
    model: &Model,
    graph: &DiGraph<ConceptId, Edge, u32>,
) -> Result<Vec<Box<[ConceptId]>>, Box<ValidationError>> {
    let n = model.concepts.len();
    let mut done: Vec<Option<Box<[ConceptId]>>> = vec![None; n];
    let mut total = 0usize;
    for start in 0..n {
        // Iterative post-order walk so deep nesting cannot overflow the stack.
        let mut stack = vec![(start, false)];
        while let Some((c, expanded)) = stack.pop() {
            if done[c].is_some() {
                continue;
            }
            let parents = graph
                .edges(NodeIndex::new(c))
                .filter(|e| *e.weight() == Edge::MemberOf)
                .map(|e| e.target().index());
            if !expanded {
                stack.push((c, true));
                stack.extend(parents.filter(|p| done[*p].is_none()).map(|p| (p, false)));
                continue;
            }
            let mut set = vec![ConceptId(c as u32)];
            for p in parents {
                set.extend(done[p].as_deref().unwrap_or_default());
            }
            set.sort_unstable();
            set.dedup();
            total += set.len();
            if total > MAX_MEMBERSHIPS {
                let concept = &model.concepts[c];
                let field = match concept.kind() {
                    ConceptKind::Class | ConceptKind::Condition => "parents",
                    _ => "classes",
                };
                return Err(Box::new(ValidationError::Oversized {
                    at: Location::new(file_of(concept.kind()), &concept.id, field),
                    what: format!("{total} class memberships once nesting is flattened"),
                    max: MAX_MEMBERSHIPS,
                }));
            }
            done[c] = Some(set.into());
        }
    }
    Ok(done.into_iter().map(|s| s.unwrap_or_default()).collect())
}
