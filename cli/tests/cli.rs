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
    assert!(!t.contains("monitoring"), "{t}");
    // Monitoring an item calls for on its own is named.
    let t = text(&medcheck(&["lookup", "Dolophine"], None).stdout);
    assert!(t.ends_with("; monitoring: methadone-ecg\n"), "{t}");
}

fn run(args: &[&str], stdin: Option<&str>) -> (Option<i32>, String, String) {
    let out = medcheck(args, stdin);
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn a_unit_that_cannot_apply_exits_2_with_no_report() {
    let (code, out, err) = run(
        &["check", "-"],
        Some(r#"{"items": [{"id": "ibuprofen", "dose": {"value": 2, "unit": "tablet"}}]}"#),
    );
    assert_eq!(code, Some(2));
    assert!(out.is_empty(), "no report on bad input");
    assert!(err.contains("items[0] (ibuprofen).dose.unit"), "{err}");
}

#[test]
fn check_fhir_gives_the_same_report_and_exit_code_as_the_regimen() {
    let dir = temp_dir("fhir");
    let (fhir_file, regimen_file) = (dir.join("bundle.json"), dir.join("regimen.json"));
    let request = |id: &str, drug: &str, mg: u32, times: u32| {
        format!(
            r#"{{"resource": {{"resourceType": "MedicationRequest", "id": "{id}", "status": "active",
                "medicationCodeableConcept": {{"text": "{drug}"}},
                "dosageInstruction": [{{"timing": {{"repeat": {{"frequency": {times}, "period": 1, "periodUnit": "d"}}}},
                  "doseAndRate": [{{"doseQuantity": {{"value": {mg}, "system": "http://unitsofmeasure.org", "code": "mg"}}}}]}}]}}}}"#
        )
    };
    let bundle = format!(
        r#"{{"resourceType": "Bundle", "type": "collection", "entry": [
            {{"resource": {{"resourceType": "Patient", "id": "p", "birthDate": "1954-01-01"}}}},
            {}, {}]}}"#,
        request("a", "warfarin", 5, 1),
        request("b", "ibuprofen", 400, 3)
    );
    std::fs::write(&fhir_file, &bundle).unwrap();
    std::fs::write(
        &regimen_file,
        r#"{"patient": {"age_years": 70}, "items": [
            {"id": "warfarin", "dose": {"value": 5, "unit": "mg"}, "times_per_day": 1},
            {"id": "ibuprofen", "dose": {"value": 400, "unit": "mg"}, "times_per_day": 3}]}"#,
    )
    .unwrap();
    let f = fhir_file.to_str().unwrap();
    let r = regimen_file.to_str().unwrap();
    let from_fhir = run(&["check", "--fhir", f, "--as-of", "2024-06-03"], None);
    let from_regimen = run(&["check", r], None);
    assert_eq!(from_fhir.0, Some(1), "{}", from_fhir.2);
    assert_eq!(from_fhir, from_regimen);
    let from_stdin = run(
        &["check", "--fhir", "-", "--as-of", "2024-06-03"],
        Some(&bundle),
    );
    assert_eq!(from_stdin, from_regimen);
    let relaxed = run(
        &[
            "check",
            "--fhir",
            f,
            "--as-of",
            "2024-06-03",
            "--fail-on",
            "none",
        ],
        None,
    );
    assert_eq!(relaxed.0, Some(0));
    // Bad input: exit 2, the reason on stderr, nothing on stdout.
    std::fs::write(&fhir_file, r#"{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "MedicationRequest", "dosageInstruction": 3}}]}"#).unwrap();
    let (code, out, err) = run(&["check", "--fhir", f], None);
    assert_eq!(code, Some(2));
    assert!(out.is_empty());
    assert!(
        err.contains(
            "entry[0].resource (MedicationRequest at entry[0].resource).dosageInstruction"
        ),
        "{err}"
    );
    let (code, _, err) = run(&["check", "--fhir", f, "--as-of", "2024-02-30"], None);
    assert_eq!(code, Some(2));
    assert!(err.contains("2024-02-30"), "{err}");
    let (code, _, _) = run(&["check", r, "--as-of", "2024-06-03"], None);
    assert_eq!(code, Some(2), "--as-of needs --fhir");
}

#[test]
fn check_and_validate_take_an_override_file() {
    let dir = temp_dir("overrides");
    let regimen = dir.join("regimen.json");
    std::fs::write(
        &regimen,
        r#"{"items": [{"id": "warfarin"}, {"id": "ibuprofen"}]}"#,
    )
    .unwrap();
    let change = |rule: &str| {
        format!(
            r#"{{"by": "P&T", "changes": [{{"rule": "{rule}", "severity": "moderate", "reason": "r"}}]}}"#
        )
    };
    let (good, bad) = (dir.join("good.json"), dir.join("bad.json"));
    std::fs::write(&good, change("anticoagulant-nsaid")).unwrap();
    std::fs::write(&bad, change("no-such-rule")).unwrap();
    let (r, g, b) = (
        regimen.to_str().unwrap(),
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
    );

    // Without overrides the major interaction fails the check; with them it is moderate.
    assert_eq!(run(&["check", r], None).0, Some(1));
    let (code, out, err) = run(&["check", r, "--overrides", g], None);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let finding = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "anticoagulant-nsaid")
        .expect("the interaction");
    assert_eq!(finding["overridden"]["to"], "moderate");

    // A bad override file is bad input: exit 2, the problem on stderr, nothing on stdout.
    let (code, out, err) = run(&["check", r, "--overrides", b], None);
    assert_eq!(code, Some(2));
    assert!(out.is_empty());
    assert!(
        err.contains("bad.json") && err.contains("changes[0].rule"),
        "{err}"
    );

    // validate checks the override file against the data.
    let (code, out, err) = run(&["validate", "--overrides", g], None);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("1 change(s)"), "{out}");
    let (code, _, err) = run(&["validate", "--overrides", b], None);
    assert_eq!(code, Some(1));
    assert!(err.contains("no-such-rule"), "{err}");
}

/// Four regimens for `screen`: one with an id and a major interaction, a line that is not
/// JSON, one without an id and without findings, and one with an item nobody knows.
const SCREEN_LINES: &str = concat!(
    r#"{"id":"first","items":[{"id":"warfarin"},{"id":"ibuprofen"}]}"#,
    "\n",
    "not json\n",
    r#"{"items":[{"id":"acetaminophen"}]}"#,
    "\n",
    r#"{"id":"last","items":[{"id":"no-such-drug"}]}"#,
    "\n",
);

fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    text(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("every output line is JSON"))
        .collect()
}

#[test]
fn screen_writes_a_line_for_each_line_in_input_order_and_a_summary() {
    let out = medcheck(&["screen", "-", "--threads", "1"], Some(SCREEN_LINES));
    // A line that could not be read makes the exit code 1, and does not stop the run.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 4, "{}", text(&out.stdout));
    assert_eq!(lines[0]["id"], "first");
    assert_eq!(lines[0]["status"], "findings");
    assert_eq!(lines[0]["max_severity"], "major");
    assert_eq!(lines[0]["findings"][0]["rule"], "anticoagulant-nsaid");
    assert_eq!(lines[1]["status"], "error");
    assert_eq!(lines[1]["line"], 2);
    assert!(lines[1]["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert_eq!(lines[2]["status"], "clean");
    assert!(lines[2].get("id").is_none(), "no id in, no id out");
    // Not in the knowledge base: a finding, never a clean line.
    assert_eq!(lines[3]["id"], "last");
    assert_eq!(lines[3]["findings"][0]["kind"], "unknown-item");
    let summary = text(&out.stderr);
    assert!(
        summary.contains("screened 4 line(s): 1 clean, 2 with findings"),
        "{summary}"
    );
    assert!(summary.contains("1 error(s)"), "{summary}");

    // The same lines from a file, on any number of threads, many times over (past one batch
    // of lines): the same bytes, in input order.
    let many = SCREEN_LINES.repeat(150);
    let dir = temp_dir("screen");
    let file = dir.join("regimens.ndjson");
    std::fs::write(&file, &many).unwrap();
    let one = medcheck(&["screen", file.to_str().unwrap(), "--threads", "1"], None);
    let lines = json_lines(&one.stdout);
    assert_eq!(lines.len(), 600);
    for (k, (line, first)) in lines
        .iter()
        .zip(json_lines(&out.stdout).iter().cycle())
        .enumerate()
    {
        if k % 4 == 1 {
            // Error lines say which line of the input they answer.
            assert_eq!(line["line"], k + 1);
            assert_eq!(line["error"], first["error"]);
        } else {
            assert_eq!(line, first, "line {}", k + 1);
        }
    }
    for threads in ["2", "3"] {
        let again = medcheck(
            &["screen", file.to_str().unwrap(), "--threads", threads],
            None,
        );
        assert!(again.stdout == one.stdout, "{threads} threads: other bytes");
        assert_eq!(again.status.code(), Some(1));
    }
    let full = medcheck(&["screen", "-", "--format", "full"], Some(SCREEN_LINES));
    let full = json_lines(&full.stdout);
    assert_eq!(full.len(), 4);
    assert!(
        full[0]["findings"][0]["summary"].is_string(),
        "full lines carry the texts"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn screen_exit_codes() {
    let major = r#"{"id":"a","items":[{"id":"warfarin"},{"id":"ibuprofen"}]}"#;
    let code = |args: &[&str], input: &str| medcheck(args, Some(input)).status.code();
    assert_eq!(
        code(&["screen"], major),
        Some(0),
        "--fail-on none by default"
    );
    assert_eq!(code(&["screen", "--fail-on", "major"], major), Some(1));
    assert_eq!(
        code(&["screen", "--fail-on", "contraindicated"], major),
        Some(0)
    );
    let missing = medcheck(&["screen", "/nonexistent/regimens.ndjson"], None);
    assert_eq!(missing.status.code(), Some(2));
    assert!(missing.stdout.is_empty());
    assert!(text(&missing.stderr).contains("/nonexistent/regimens.ndjson"));
    assert_eq!(code(&["screen", "--threads", "0"], major), Some(2));
}

/// `screen` raises the capacity of a pipe it writes into (`cli/src/pipes.rs`): with the
/// default 64 KiB, a pipe into another process held it to about half its speed.
#[cfg(target_os = "linux")]
#[test]
fn screen_widens_the_pipe_it_writes_into() {
    use std::io::Read;
    let limit = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap_or(1 << 20);
    let mut child = Command::new(env!("CARGO_BIN_EXE_medcheck"))
        .args(["screen", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run medcheck");
    let mut stdout = child.stdout.take().unwrap();
    let before = rustix::pipe::fcntl_getpipe_size(&stdout).expect("a pipe");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(SCREEN_LINES.as_bytes()).unwrap();
    drop(stdin);
    let mut out = Vec::new();
    stdout.read_to_end(&mut out).unwrap();
    child.wait().unwrap();
    assert_eq!(json_lines(&out).len(), 4);
    let after = rustix::pipe::fcntl_getpipe_size(&stdout).expect("still a pipe");
    assert!(
        after >= limit.min(1 << 20) && after >= before,
        "pipe of {before} bytes, then {after} (limit {limit})"
    );
}
