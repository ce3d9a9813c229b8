//! The `medcheck` binary: exit codes, streams, formats, against real files.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn medcheck(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_medcheck"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run medcheck");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("medcheck-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn check_exit_codes() {
    let interacting = r#"{"items": [{"id": "warfarin"}, {"id": "ibuprofen"}]}"#;
    let out = medcheck(&["check", "-"], Some(interacting));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["max_severity"], "major");

    let out = medcheck(
        &["check", "-", "--fail-on", "contraindicated"],
        Some(interacting),
    );
    assert_eq!(out.status.code(), Some(0));
    let out = medcheck(&["check", "-", "--fail-on", "none"], Some(interacting));
    assert_eq!(out.status.code(), Some(0));

    let clean = r#"{"items": [{"id": "acetaminophen"}]}"#;
    let out = medcheck(&["check", "-", "--fail-on", "minor"], Some(clean));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn unknown_item_fails_at_major() {
    let out = medcheck(
        &["check", "-"],
        Some(r#"{"items": [{"id": "acetaminophen"}, {"id": "snake oil"}]}"#),
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"][0]["kind"], "unknown-item");
    assert_eq!(report["status"], "findings");
}

#[test]
fn bad_input_is_exit_2_with_nothing_on_stdout() {
    let cases = [
        ("{\"items\": [", "line 1"),
        (
            r#"{"items": [{"id": "warfarin", "dose": {"value": 5, "unit": "mgs"}}]}"#,
            "unknown unit `mgs`",
        ),
        (
            r#"{"items": [{"id": "warfarin"}], "patient": {"weight": 70}}"#,
            "unknown field `weight`",
        ),
        (
            r#"{"items": [{"id": "warfarin", "dose": {"value": -5, "unit": "mg"}}]}"#,
            "items[0] (warfarin).dose.value",
        ),
        (
            r#"{"items": [{"id": "warfarin", "dose": {"value": 1, "unit": "tablet"}}]}"#,
            "items[0] (warfarin).dose.unit",
        ),
    ];
    for (input, expected) in cases {
        let out = medcheck(&["check", "-"], Some(input));
        assert_eq!(out.status.code(), Some(2), "{input}");
        assert!(out.stdout.is_empty(), "{input}: {}", text(&out.stdout));
        assert!(
            text(&out.stderr).contains(expected),
            "{input}: {}",
            text(&out.stderr)
        );
    }
    let out = medcheck(&["check", "/nonexistent/regimen.json"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/nonexistent/regimen.json"));
}

#[test]
fn text_format_is_short_and_most_severe_first() {
    let out = medcheck(
        &["check", "-", "--format", "text", "--fail-on", "none"],
        Some(r#"{"items": [{"id": "oxycodone"}, {"id": "Xanax"}]}"#),
    );
    assert_eq!(out.status.code(), Some(0));
    let t = text(&out.stdout);
    assert!(t.starts_with("1 finding(s) for 2 item(s): 1 major."), "{t}");
    assert!(
        t.contains("MAJOR interaction: alprazolam + oxycodone"),
        "{t}"
    );
}

#[test]
fn same_input_same_bytes_whatever_the_order() {
    let a = medcheck(
        &["check", "-"],
        Some(
            r#"{"items": [{"id": "oxycodone"}, {"id": "warfarin"}, {"id": "alprazolam"}, {"id": "ibuprofen"}]}"#,
        ),
    );
    let b = medcheck(
        &["check", "-"],
        Some(
            r#"{"items": [{"id": "ibuprofen"}, {"id": "alprazolam"}, {"id": "warfarin"}, {"id": "oxycodone"}]}"#,
        ),
    );
    let strip = |o: &Output| {
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v.as_object_mut().unwrap().remove("resolved");
        v.to_string()
    };
    assert_eq!(strip(&a), strip(&b));
    let again = medcheck(
        &["check", "-"],
        Some(
            r#"{"items": [{"id": "oxycodone"}, {"id": "warfarin"}, {"id": "alprazolam"}, {"id": "ibuprofen"}]}"#,
        ),
    );
    assert_eq!(a.stdout, again.stdout);
}

#[test]
fn validate_bundled_and_broken_directories() {
    let out = medcheck(&["validate"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("bundled data: valid: "));

    let dir = temp_dir("broken");
    std::fs::write(
        dir.join("sources.json"),
        r#"[{"id": "s1", "title": "T", "kind": "guideline"}]"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("substances.json"),
        r#"[{"id": "a", "name": "A", "kind": "drug"}, {"id": "b", "name": "B", "kind": "drug"}]"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("rules.json"),
        r#"[{"id": "r1", "kind": "interaction", "between": ["a", "c"], "severity": "major", "evidence": "probable", "summary": "S", "management": "M", "sources": ["s1"]},
            {"id": "r2", "kind": "interaction", "between": ["a", "b"], "severity": "grave", "evidence": "probable", "summary": "S", "management": "M", "sources": []}]"#,
    )
    .unwrap();
    let out = medcheck(&["validate", dir.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("rules.json: `r1`, field `between[1]`: `c` is not defined"),
        "{err}"
    );
    assert!(
        err.contains("rules.json: `r2`, field `severity`: unknown severity `grave`"),
        "{err}"
    );
    assert!(
        err.contains("rules.json: `r2`, field `sources`: cites no source"),
        "{err}"
    );
    assert!(err.contains("invalid: 3 problem(s)"), "{err}");

    std::fs::write(dir.join("rules.json"), "[{\"id\": \"r1\",}]").unwrap();
    let out = medcheck(&["validate", dir.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("rules.json:1:"),
        "{}",
        text(&out.stderr)
    );

    let out = medcheck(&["validate", "/nonexistent/dir"], None);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn check_with_a_data_directory() {
    let dir = temp_dir("data");
    std::fs::write(
        dir.join("sources.json"),
        r#"[{"id": "s1", "title": "T", "kind": "guideline"}]"#,
    )
    .unwrap();
    std::fs::write(dir.join("substances.json"), r#"[{"id": "a", "name": "Alpha", "kind": "drug"}, {"id": "b", "name": "Beta", "kind": "drug"}]"#).unwrap();
    std::fs::write(
        dir.join("rules.json"),
        r#"[{"id": "a-b", "kind": "interaction", "between": ["a", "b"], "severity": "minor", "evidence": "possible", "summary": "S", "management": "M", "sources": ["s1"]}]"#,
    )
    .unwrap();
    let data = dir.to_str().unwrap();
    let out = medcheck(
        &["check", "-", "--data", data, "--fail-on", "minor"],
        Some(r#"{"items": [{"id": "Alpha"}, {"id": "beta"}]}"#),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"][0]["rule"], "a-b");
    // Warfarin is not in this knowledge base.
    let out = medcheck(
        &["check", "-", "--data", data],
        Some(r#"{"items": [{"id": "warfarin"}]}"#),
    );
    assert_eq!(out.status.code(), Some(1));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn stats_and_lookup() {
    let out = medcheck(&["stats", "--format", "json"], None);
    assert_eq!(out.status.code(), Some(0));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(stats["rules"].as_u64().unwrap() > 0);
    let out = medcheck(&["lookup", "Tylenol", "nothing-here"], None);
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out.stdout);
    assert!(t.contains("Tylenol: substance `acetaminophen`"), "{t}");
    assert!(t.contains("nothing-here: not in the knowledge base"), "{t}");
}
