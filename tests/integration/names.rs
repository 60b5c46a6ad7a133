//! Names in a run file match their library entries and vocabularies whatever their case, and a
//! misspelt one gets "did you mean" with file, line and field.

use crate::common::*;

const RUN: &str = r#"horizon_hours = 48
step_s = 600
[site]
[[site.group]]
name = "g"
rack = "DGX-H100-X4"
count = 10
cooling = "Air"
[[consumer]]
name = "chat"
preset = "Chat"
pool = "G"
requests_per_day = 1.0e6
[facility]
kind = "Physics"
climate = "Dallas"
electrical = "HYPERSCALE"
air_class = "a2"
[facility.plants]
air = "Air-Chiller-Economiser"
[grid]
import_limit_mw = 100.0
limit_policy = "Cap"
carbon = "ERCOT"
tariff = "ERCOT-4cp-like"
"#;

fn validate(text: &str, models: Option<&std::path::Path>) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("names.toml");
    std::fs::write(&path, text).unwrap();
    let mut cmd = dcload();
    cmd.args(["validate", path.to_str().unwrap()]);
    if let Some(m) = models {
        cmd.arg("--models").arg(m);
    }
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "panic: {err}");
    (out.status.success(), err, path.display().to_string())
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn names_match_whatever_their_case() {
    let (ok, err, _) = validate(RUN, None);
    assert!(ok, "capitalised names refused: {err}");
}

#[test]
fn a_misspelt_name_gets_the_nearest_with_file_line_and_field() {
    for (from, to, field, want) in [
        (
            "climate = \"Dallas\"",
            "climate = \"Dalas\"",
            "climate",
            "did you mean \"dallas\"?",
        ),
        (
            "carbon = \"ERCOT\"",
            "carbon = \"ERCTO\"",
            "carbon",
            "did you mean \"ercot\"?",
        ),
        (
            "rack = \"DGX-H100-X4\"",
            "rack = \"dgx-h10-x4\"",
            "rack",
            "did you mean \"dgx-h100-x4\"?",
        ),
        (
            "limit_policy = \"Cap\"",
            "limit_policy = \"capp\"",
            "limit_policy",
            "did you mean \"cap\"?",
        ),
        (
            "kind = \"Physics\"",
            "kind = \"phisics\"",
            "kind",
            "did you mean \"physics\"?",
        ),
        (
            "tariff = \"ERCOT-4cp-like\"",
            "tariff = \"ercot-4cp\"",
            "tariff",
            "did you mean \"ercot-4cp-like\"?",
        ),
        (
            "cooling = \"Air\"",
            "cooling = \"airr\"",
            "cooling",
            "did you mean \"air\"?",
        ),
    ] {
        let text = RUN.replace(from, to);
        let (ok, err, path) = validate(&text, None);
        assert!(!ok, "{to} accepted");
        let line = line_of(&text, to);
        assert!(
            err.contains(&format!("{path}:{line}")),
            "{to}: want line {line}: {err}"
        );
        assert!(
            err.contains(&format!("`{field}`")),
            "{to}: want field: {err}"
        );
        assert!(err.contains(want), "{to}: want {want}: {err}");
    }
}

#[test]
fn two_entries_differing_only_by_case_are_refused_naming_both() {
    let models = tempfile::tempdir().unwrap();
    std::fs::write(
        models.path().join("racks.toml"),
        "[[rack]]\nname = \"DGX-h100-x4\"\nserver = \"DGX-H100\"\nservers = 2\nbudget_kw = 21.0\ncooling = \"air\"\n",
    )
    .unwrap();
    let (ok, err, _) = validate(RUN, Some(models.path()));
    assert!(!ok, "an ambiguous rack name was accepted");
    assert!(
        err.contains("\"dgx-h100-x4\" and \"DGX-h100-x4\""),
        "want both names: {err}"
    );
}
