//! The check's two ways through the pairs of items (on a small pair table, the pairs with a
//! partner bit listed and read; on a large one, their slots touched too while they are listed)
//! give the same reports, and so do its two ways of listing them (with and without a branch on
//! each pair's bit). A report made without its names differs only in their list.

use std::cell::Cell;

use crate::KnowledgeBase;
use crate::index::tests::TAKE_AS_LARGE;
use crate::model::ConceptKind;
use crate::regimen::Regimen;
use crate::report::InOrder;

thread_local! {
    /// Set by a test to choose how [`super::Checker::list_pairs`] lists pairs on this thread,
    /// whatever the number of items.
    pub(super) static LIST_WITHOUT_BRANCHES: Cell<Option<bool>> = const { Cell::new(None) };
}

/// Regimens of 2 to 20 items, one starting at each item of the bundled data, some with an item
/// listed twice by another route, some with doses.
fn regimens(kb: &KnowledgeBase) -> Vec<Regimen> {
    let model = kb.model();
    let ids: Vec<&str> = model
        .concepts
        .iter()
        .filter(|c| c.kind() != ConceptKind::Class && c.kind() != ConceptKind::Condition)
        .map(|c| &*c.id)
        .collect();
    assert!(ids.len() > 100, "the bundled data has items");
    let mut out = Vec::new();
    for (k, start) in (0..ids.len()).enumerate() {
        let n = 2 + k % 19;
        let mut items: Vec<String> = ids
            .iter()
            .cycle()
            .skip(start)
            .step_by(1 + k % 5)
            .take(n)
            .map(|id| format!(r#"{{"id":"{id}"}}"#))
            .collect();
        if k % 3 == 0 {
            items.push(format!(r#"{{"id":"{}","route":"topical"}}"#, ids[start]));
        }
        if k % 4 == 0 {
            items.push(
                r#"{"id":"acetaminophen","dose":{"value":1000,"unit":"mg"},"times_per_day":4}"#
                    .into(),
            );
        }
        let json = format!(
            r#"{{"patient":{{"age_years":70,"weight_kg":60,"conditions":["chronic-kidney-disease"]}},"items":[{}]}}"#,
            items.join(",")
        );
        out.push(Regimen::from_json(&json).expect("a valid regimen"));
    }
    out
}

/// The reports of `regimens`, with the check's path switched one way and then the other by
/// `switch`; asserts they are the same and returns how many checked and how many interaction
/// findings they hold.
fn same_both_ways(regimens: &[Regimen], switch: impl Fn(bool)) -> (usize, usize) {
    let kb = KnowledgeBase::bundled();
    let (mut interactions, mut checked) = (0, 0);
    for r in regimens {
        switch(false);
        let one = kb.check(r);
        switch(true);
        let other = kb.check(r);
        switch(false);
        match (one, other) {
            (Ok(one), Ok(other)) => {
                assert_eq!(one.to_json(), other.to_json());
                checked += 1;
                interactions += one
                    .findings
                    .iter()
                    .filter(|f| f.kind == crate::FindingKind::Interaction)
                    .count();
            }
            // An item given a route it cannot take: the same error both ways.
            (one, other) => assert_eq!(
                one.map(|r| r.to_json()).err().map(|e| e.to_string()),
                other.map(|r| r.to_json()).err().map(|e| e.to_string())
            ),
        }
    }
    (checked, interactions)
}

#[test]
fn pairs_listed_with_and_without_branches_give_the_same_reports() {
    let kb = KnowledgeBase::bundled();
    let mut regimens = regimens(kb);
    // Long lists too, past where the check stops listing without branches on its own.
    let ids: Vec<&str> = kb
        .model()
        .concepts
        .iter()
        .filter(|c| c.kind().is_item())
        .map(|c| &*c.id)
        .collect();
    for n in [65, 90] {
        let items: Vec<String> = ids
            .iter()
            .cycle()
            .step_by(7)
            .take(n)
            .map(|id| format!(r#"{{"id":"{id}"}}"#))
            .collect();
        let json = format!(r#"{{"items":[{}]}}"#, items.join(","));
        regimens.push(Regimen::from_json(&json).expect("a valid regimen"));
    }
    let (checked, interactions) = same_both_ways(&regimens, |on| {
        LIST_WITHOUT_BRANCHES.with(|l| l.set(Some(on)));
    });
    LIST_WITHOUT_BRANCHES.with(|l| l.set(None));
    assert!(
        checked * 2 > regimens.len(),
        "most regimens check ({checked})"
    );
    assert!(
        interactions > 100,
        "the regimens reach many interactions ({interactions})"
    );
}

#[test]
fn large_and_small_table_paths_give_the_same_reports() {
    let regimens = regimens(KnowledgeBase::bundled());
    let (checked, interactions) = same_both_ways(&regimens, |on| TAKE_AS_LARGE.with(|t| t.set(on)));
    assert!(
        checked * 2 > regimens.len(),
        "most regimens check ({checked} of {})",
        regimens.len()
    );
    assert!(
        interactions > 100,
        "the regimens reach many interactions ({interactions})"
    );
}

/// The refinements read from the index for one pair of atoms drop the same rules as comparing
/// the rules themselves (`Checker::settle`), for every pair of concepts with rules in the
/// bundled data and every way of leaving one of a pair's rules out (as a route or a required
/// condition does).
#[test]
fn refiners_from_the_index_drop_what_settling_drops() {
    let kb = KnowledgeBase::bundled();
    let (model, index) = (kb.model(), kb.index());
    let c = super::Checker {
        model,
        index,
        ids: super::Ids::new(model, index),
        findings: Vec::new(),
        resolved: Vec::new(),
        names: super::Names::Listed,
        known: Vec::new(),
        conditions: Vec::new(),
        spare: super::Scratch::take(),
    };
    let n = model.concepts.len() as u32;
    let (mut unsettled, mut dropped) = (0, 0);
    for x in 0..n {
        for y in x + 1..n {
            let (x, y) = (crate::model::ConceptId(x), crate::model::ConceptId(y));
            let (first, hits) = index.pair_probed_at(x, y);
            if hits.is_empty() {
                continue;
            }
            let all: Vec<_> = hits.iter().map(|h| h.rule()).collect();
            assert!(all.windows(2).all(|w| w[0] < w[1]), "hits in rule order");
            if hits[0].settled() {
                let mut settled = all.clone();
                c.settle(&mut settled);
                assert_eq!(settled, all, "a settled pair keeps every rule");
                continue;
            }
            unsettled += 1;
            let refiners = index.refiners(first, hits.len()).expect("few hits");
            for leave_out in std::iter::once(usize::MAX).chain(0..all.len()) {
                let fit: Vec<_> = (0..all.len())
                    .filter(|&k| k != leave_out)
                    .map(|k| all[k])
                    .collect();
                let (mut fast, mut slow) = (fit.clone(), fit.clone());
                super::drop_refined_by(hits, refiners, &mut fast);
                c.settle(&mut slow);
                assert_eq!(fast, slow, "pair {x:?} {y:?} without hit {leave_out}");
                dropped += fit.len() - fast.len();
            }
        }
    }
    assert!(
        unsettled > 0 && dropped > 0,
        "the data has rules that refine others"
    );
}

/// Both results, when both checks of one regimen succeed; `None` when both fail, with the
/// same error (a panic when only one fails or their errors differ).
fn both<A, B>(a: Result<A, super::CheckError>, b: Result<B, super::CheckError>) -> Option<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Some((a, b)),
        (a, b) => {
            assert_eq!(
                a.err().map(|e| e.to_string()),
                b.err().map(|e| e.to_string())
            );
            None
        }
    }
}

#[test]
fn a_report_without_names_differs_only_in_their_list() {
    let kb = KnowledgeBase::bundled();
    fn report<'a>(
        kb: &'a KnowledgeBase,
        r: &'a Regimen,
        names: super::Names,
    ) -> Result<super::Report<'a>, super::CheckError> {
        let (model, index) = (kb.model(), kb.index());
        let f = super::find(model, index, r, names)?;
        Ok(super::Report::new(
            model, f.id, f.resolved, f.findings, f.skipped,
        ))
    }
    let mut lines = 0;
    for r in regimens(kb) {
        let Some((listed, unlisted)) = both(
            report(kb, &r, super::Names::Listed),
            report(kb, &r, super::Names::Unlisted),
        ) else {
            continue;
        };
        assert_eq!(
            listed.resolved.len(),
            r.items.len() + r.patient.conditions.len()
        );
        assert!(unlisted.resolved.is_empty());
        assert_eq!(listed.findings, unlisted.findings);
        assert_eq!(listed.skipped, unlisted.skipped);
        // The compact line, which does not show the names, is the same byte for byte.
        let (mut a, mut b) = (Vec::new(), Vec::new());
        listed.write_json_line_over(false, None, &mut a, 0);
        unlisted.write_json_line_over(false, None, &mut b, 0);
        assert_eq!(a, b);
        lines += 1;
    }
    assert!(lines > 100, "most regimens check ({lines})");
}

/// `screen`'s compact lines: a report whose findings are left in the order they were made,
/// written through the order given beside it, is the sorted report's line byte for byte.
#[test]
fn a_keyed_report_writes_the_sorted_reports_line() {
    let kb = KnowledgeBase::bundled();
    let (mut keyed_lines, mut unmoved) = (0, 0);
    for r in regimens(kb) {
        let Some((sorted, (keyed, order))) = both(kb.check(&r), kb.check_keyed(&r)) else {
            continue;
        };
        let in_order: Vec<_> = InOrder::new(&keyed, order.as_ref()).iter().collect();
        assert_eq!(in_order, sorted.findings.iter().collect::<Vec<_>>());
        assert_eq!(
            keyed.findings.iter().map(|f| f.severity).max(),
            sorted.max_severity()
        );
        let (mut a, mut b) = (Vec::new(), Vec::new());
        sorted.write_json_line_over(false, None, &mut a, 0);
        keyed.write_json_line_over(false, order.as_ref(), &mut b, 0);
        assert_eq!(String::from_utf8(a), String::from_utf8(b));
        if order.is_some() {
            keyed_lines += 1;
            unmoved += usize::from(keyed.findings != sorted.findings);
        }
    }
    // The order is given for most reports, and for many it is not the order they were made in.
    assert!(keyed_lines > 100, "{keyed_lines}");
    assert!(unmoved > 50, "{unmoved}");
}

/// With overrides, which change severities and so the order, the keyed check gives a report
/// sorted again and no order, and the same line.
#[test]
fn a_keyed_report_with_overrides_is_sorted_again() {
    let overrides = crate::Overrides::from_json(
        "overrides.json",
        include_str!("../../examples/overrides.json"),
    )
    .expect("the example overrides read");
    let kb = overrides
        .apply(KnowledgeBase::bundled())
        .expect("the example overrides apply");
    let mut overridden = 0;
    for r in regimens(&kb) {
        let Some((sorted, (keyed, order))) = both(kb.check(&r), kb.check_keyed(&r)) else {
            continue;
        };
        assert!(order.is_none());
        assert_eq!(keyed.findings, sorted.findings);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        sorted.write_json_line_over(false, None, &mut a, 0);
        keyed.write_json_line_over(false, None, &mut b, 0);
        assert_eq!(a, b);
        overridden += usize::from(sorted.findings.iter().any(|f| f.overridden.is_some()));
    }
    assert!(overridden > 0, "the overrides change some report");
}
