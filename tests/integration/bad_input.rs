//! Bad input gets an error naming file, line and field, a non-zero exit, and never a panic.

use crate::common::*;

const BASE: &str = r#"horizon_hours = 24
step_s = 60
[site]
[[site.group]]
name = "g"
rack = "dgx-h100-x4"
count = 10
[[consumer]]
name = "chat"
preset = "chat"
pool = "g"
requests_per_day = 1.0e6
[facility]
kind = "fixed"
pue = 1.2
"#;

/// Runs `dcload validate` on `text`, expects failure, returns stderr.
fn fails(text: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, text).unwrap();
    let out = dcload()
        .args(["validate", path.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "expected failure for:\n{text}");
    assert!(!err.contains("panicked"), "panic: {err}");
    (err, path.display().to_string())
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

fn check(text: &str, needle: &str, field: &str) {
    let (err, path) = fails(text);
    let line = line_of(text, needle);
    assert!(
        err.contains(&format!("{path}:{line}")),
        "want {path}:{line} in: {err}"
    );
    assert!(
        err.contains(&format!("`{field}`")),
        "want field `{field}` in: {err}"
    );
}

#[test]
fn misspelled_field() {
    let t = BASE.replace("requests_per_day =", "requests_per_dya =");
    check(&t, "requests_per_dya", "requests_per_dya");
}

#[test]
fn unknown_server_and_rack_names() {
    let t = BASE.replace("rack = \"dgx-h100-x4\"", "server = \"DGX-H1000\"");
    check(&t, "DGX-H1000", "server");
    let (err, _) = fails(&t);
    assert!(err.contains("DGX-H100"), "lists the known names: {err}");
    let t = BASE.replace("dgx-h100-x4", "dgx-h100-x44");
    check(&t, "dgx-h100-x44", "rack");
    let t = BASE.replace("pool = \"g\"", "pool = \"nope\"");
    check(&t, "\"nope\"", "pool");
}

#[test]
fn negative_rate_and_out_of_range_values() {
    let t = BASE.replace("1.0e6", "-5.0");
    check(&t, "-5.0", "requests_per_day");
    let t = BASE.replace("pue = 1.2", "pue = 0.8");
    check(&t, "pue = 0.8", "pue");
    let t = BASE.replace("count = 10", "count = 2.5");
    check(&t, "count = 2.5", "count");
}

#[test]
fn step_that_does_not_divide_an_hour() {
    let t = BASE.replace("step_s = 60", "step_s = 7");
    check(&t, "step_s = 7", "step_s");
    let (err, _) = fails(&t);
    assert!(err.contains("divisor of 3600"), "{err}");
}

#[test]
fn wrong_type_names_the_field() {
    let t = BASE.replace("count = 10", "count = \"ten\"");
    check(&t, "count = \"ten\"", "count");
}

#[test]
fn unreadable_files() {
    let out = dcload()
        .args(["run", "/nonexistent/study.toml", "--quiet"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("/nonexistent/study.toml") && err.contains("cannot read"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    let out = dcload()
        .args(["run", "--models", "/nonexistent/models"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("--models"), "{err}");
}

#[test]
fn bad_cli_flags_are_refused() {
    for args in [
        &["run", "--trials", "0"][..],
        &["run", "--threads", "zero"],
        &["run", "--bogus"],
    ] {
        let out = dcload().args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked") && err.contains("error"), "{err}");
    }
}

#[test]
fn malformed_trace_row_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("trace.csv"),
        "TIMESTAMP,ContextTokens,GeneratedTokens\n\
         2023-11-16 18:15:46.68,374,44\n\
         2023-11-16 18:15:50.99,39x6,109\n",
    )
    .unwrap();
    let run = BASE.replace(
        "requests_per_day = 1.0e6",
        "trace = { file = \"trace.csv\", requests_per_day = 1.0e6 }",
    );
    let path = dir.path().join("run.toml");
    std::fs::write(&path, run).unwrap();
    let out = dcload()
        .args(["validate", path.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("trace.csv:3") && err.contains("ContextTokens"),
        "{err}"
    );
}

#[test]
fn a_study_too_big_for_memory_is_refused_up_front() {
    let out = dcload()
        .args(["run", "--trials", "1000000", "--quiet"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("--trials") && err.contains("GiB"),
        "{err}"
    );
    let t = BASE.replace("horizon_hours = 24", "horizon_hours = 100000000");
    check(&t, "horizon_hours = 100000000", "horizon_hours");
}
