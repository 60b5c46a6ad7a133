use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dcload::base::error::Source;
use dcload::model::library::Library;
use dcload::scenario::Scenario;
use dcload::sim::{TrialResult, run_trial};

pub fn dcload() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dcload"))
}

pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub fn run_ok(args: &[&str]) -> Output {
    let out = dcload().args(args).output().expect("spawn dcload");
    assert!(
        out.status.success(),
        "dcload {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Resolves a run file given as text.
pub fn scenario(text: &str) -> Scenario {
    let lib = Library::builtin().expect("built-in library");
    Scenario::from_source(
        &Source::new("test.toml", text),
        "test",
        Path::new("."),
        &lib,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

pub fn trials(sc: &Scenario) -> Vec<TrialResult> {
    (0..sc.trials).map(|i| run_trial(sc, i)).collect()
}

/// A parsed CSV: header and rows of fields.
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines
        .next()
        .expect("header")
        .split(',')
        .map(String::from)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

pub fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

/// A run file's text with every `{ dist = ... }` replaced by its nominal value (the mean, or
/// the first choice), written as the run files write numbers (`1.0e8`, `0.3`): the study with
/// its uncertain inputs held fixed.
pub fn without_distributions(text: &str) -> String {
    let list =
        dcload::input::uncertain::find(&Source::new("run.toml", text)).expect("distributions");
    let mut out = String::new();
    let mut at = 0;
    for u in &list {
        out.push_str(&text[at..u.span.start]);
        let v = u.dist.nominal();
        if v.abs() >= 1e4 && v == v.round() {
            out.push_str(&format!("{v:.1e}"));
        } else {
            out.push_str(&format!("{v}"));
        }
        at = u.span.end;
    }
    out.push_str(&text[at..]);
    out
}

/// runs/default.toml with its uncertain inputs held at their nominal values.
pub fn default_nominal() -> String {
    without_distributions(&std::fs::read_to_string(repo("runs/default.toml")).unwrap())
}
