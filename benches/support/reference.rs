//! A naive reference checker for interactions between items, written the obvious way: for
//! every pair of items, scan every rule of the knowledge base and test class membership in the
//! concept graph. Benches time it against [`medcheck::KnowledgeBase::check`] so the index's
//! speed-up is measured, and tests compare the two on random regimens so the index is right.

use medcheck::model::{ConceptId, ConceptKind, Detail, Endpoint, RuleKind};
use medcheck::regimen::Regimen;
use medcheck::{FindingKind, KnowledgeBase, Route};

/// One interaction finding: rule id and the two item ids, sorted.
pub type Interaction = (String, String, String);

/// The interaction findings between items of `regimen`, sorted.
pub fn naive_interactions(kb: &KnowledgeBase, regimen: &Regimen) -> Vec<Interaction> {
    let model = kb.model();
    let graph = kb.graph();
    let index = kb.index();
    // Items as the checker resolves them: known, of an item kind, first of each concept.
    let mut items: Vec<(ConceptId, Option<Route>)> = Vec::new();
    for item in &regimen.items {
        let Some(c) = index.resolve(&item.id) else {
            continue;
        };
        let route = match &model.concept(c).detail {
            Detail::Therapy => Some(Route::Procedure),
            Detail::Product(p) => Some(p.route),
            Detail::Substance(_) => item.route,
            _ => continue,
        };
        if !items.iter().any(|(k, _)| *k == c) {
            items.push((c, route));
        }
    }
    let mut conditions: Vec<ConceptId> = regimen
        .patient
        .conditions
        .iter()
        .filter_map(|c| index.resolve(c))
        .filter(|c| index.kind(*c) == ConceptKind::Condition)
        .collect();
    if let Some(age) = regimen.patient.age_years {
        for (c, range) in index.age_conditions() {
            if range.contains(age) {
                conditions.push(*c);
            }
        }
    }
    let atoms = |c: ConceptId| {
        let mut v = vec![c];
        if let Detail::Product(p) = &model.concept(c).detail {
            v.extend(p.ingredients.iter().map(|i| i.substance));
        }
        v
    };
    let route_ok = |e: Endpoint, r: Option<Route>| e.route.is_none() || r.is_none() || e.route == r;
    let concrete = |c: ConceptId| model.concept(c).kind() != ConceptKind::Class;
    let mut out = Vec::new();
    for i in 0..items.len() {
        for j in i + 1..items.len() {
            let (ci, ri) = items[i];
            let (cj, rj) = items[j];
            let mut matched: Vec<usize> = Vec::new();
            for (k, rule) in model.rules.iter().enumerate() {
                let RuleKind::Interaction { a, b } = rule.kind else {
                    continue;
                };
                let applies = rule
                    .requires
                    .iter()
                    .all(|req| conditions.iter().any(|p| graph.is_a(*p, *req)));
                let fits = |x: ConceptId, rx, y: ConceptId, ry| {
                    x != y
                        && concrete(x)
                        && concrete(y)
                        && graph.is_a(x, a.concept)
                        && graph.is_a(y, b.concept)
                        && route_ok(a, rx)
                        && route_ok(b, ry)
                };
                let hit = atoms(ci).iter().any(|&x| {
                    atoms(cj)
                        .iter()
                        .any(|&y| fits(x, ri, y, rj) || fits(y, rj, x, ri))
                });
                if hit && applies {
                    matched.push(k);
                }
            }
            // The most specific rule wins: drop a rule another matched rule refines.
            let within = |e1: Endpoint, e2: Endpoint| {
                graph.is_a(e1.concept, e2.concept) && (e2.route.is_none() || e2.route == e1.route)
            };
            let ends = |k: usize| match model.rules[k].kind {
                RuleKind::Interaction { a, b } => (a, b),
                _ => unreachable!(),
            };
            let le = |x: usize, y: usize| {
                let ((a1, b1), (a2, b2)) = (ends(x), ends(y));
                (within(a1, a2) && within(b1, b2)) || (within(a1, b2) && within(b1, a2))
            };
            for &k in &matched {
                if matched.iter().any(|&o| o != k && le(o, k) && !le(k, o)) {
                    continue;
                }
                let (x, y) = (&*model.concept(ci).id, &*model.concept(cj).id);
                let (x, y) = if x < y { (x, y) } else { (y, x) };
                out.push((model.rules[k].id.to_string(), x.to_string(), y.to_string()));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The interaction findings between two items in a report from the checker, sorted.
pub fn fast_interactions(kb: &KnowledgeBase, regimen: &Regimen) -> Vec<Interaction> {
    let report = kb.check(regimen).expect("the regimen checks");
    let model = kb.model();
    let mut out: Vec<Interaction> = report
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Interaction && f.items().len() == 2)
        .filter(|f| {
            model
                .rules
                .iter()
                .any(|r| &*r.id == f.rule() && matches!(r.kind, RuleKind::Interaction { .. }))
        })
        .map(|f| {
            (
                f.rule().to_string(),
                f.items()[0].to_string(),
                f.items()[1].to_string(),
            )
        })
        .collect();
    out.sort();
    out
}
