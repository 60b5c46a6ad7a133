//! Defects a planner's review found on main (December 2026), each pinned: sweeps that `validate`
//! passed and `run` refused only at their turn, sweep values of the wrong kind, a group online
//! after the horizon accepted silently, checkpoints shorter than the step changing the energy
//! without a word, and 15-minute ramp columns reading "never moved" at hourly steps.

use crate::common::{dcload, read_csv};

const BASE: &str = r#"
horizon_hours = 48
step_s = 300
trials = 2
[site]
[[site.group]]
name = "inf"
rack = "dgx-h100-x4"
count = 10
[[consumer]]
name = "chat"
preset = "chat"
pool = "inf"
requests_per_day = 2.0e5
[facility]
kind = "fixed"
pue = 1.2
[grid]
import_limit_mw = 90
"#;

fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn stderr_of(args: &[&str]) -> (bool, String) {
    let out = dcload().args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Line (1-based) of the first line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn a_bad_sweep_variant_is_refused_by_validate_and_before_run_starts_naming_the_sweep_line() {
    let text =
        format!("{BASE}\n[sweep]\n\"site.group[0].rack\" = [\"dgx-h100-x4\", \"dgx-h300-x4\"]\n");
    let (dir, path) = write(&text);
    let p = path.to_str().unwrap();
    let sweep_line = line_of(&text, "\"site.group[0].rack\"");
    let (ok, err) = stderr_of(&["validate", p]);
    assert!(!ok, "validate must refuse variant 1: {err}");
    assert!(
        err.contains("dgx-h300-x4")
            && err.contains("sweep variant 1")
            && err.contains(&format!("line {sweep_line}")),
        "{err}"
    );
    // `run` refuses before running variant 0: no variant folder is written.
    let out = dir.path().join("o");
    let (ok, err) = stderr_of(&[
        "run",
        p,
        "--quiet",
        "--no-plots",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!ok && err.contains("sweep variant 1"), "{err}");
    assert!(
        !out.join("variant-00").exists(),
        "variant 0 ran before variant 1 was checked"
    );
}

#[test]
fn sweep_values_of_the_wrong_kind_and_paths_to_tables_or_absent_keys_are_explained() {
    // A quoted number where the run file has a number: refused at the sweep's line.
    let text = format!("{BASE}\n[sweep]\n\"grid.import_limit_mw\" = [\"90\", 80]\n");
    let (_d, path) = write(&text);
    let (ok, err) = stderr_of(&["validate", path.to_str().unwrap()]);
    let l = line_of(&text, "\"grid.import_limit_mw\" =");
    assert!(
        !ok && err.contains(&format!("r.toml:{l}:"))
            && err.contains("expected numbers")
            && err.contains("\"90\""),
        "{err}"
    );
    // A path to a distribution table: the message says which field to sweep.
    let text = BASE.replace(
        "requests_per_day = 2.0e5",
        "requests_per_day = { dist = \"uniform\", min = 1.0e5, max = 3.0e5 }",
    ) + "\n[sweep]\n\"consumer[0].requests_per_day\" = [1.0e5, 2.0e5]\n";
    let (_d, path) = write(&text);
    let (ok, err) = stderr_of(&["validate", path.to_str().unwrap()]);
    assert!(
        !ok && err.contains("is a table") && err.contains("consumer[0].requests_per_day.m"),
        "{err}"
    );
    // A key not written in the run file: the message says to write it first.
    let text = format!("{BASE}\n[sweep]\n\"site.group[0].online\" = [\"2025-01-02\"]\n");
    let (_d, path) = write(&text);
    let (ok, err) = stderr_of(&["validate", path.to_str().unwrap()]);
    assert!(
        !ok && err.contains("is not set in the run file") && err.contains("write one"),
        "{err}"
    );
    // Written, the same sweep validates.
    let text = BASE.replace("count = 10", "count = 10\nonline = \"2025-01-01\"")
        + "\n[sweep]\n\"site.group[0].online\" = [\"2025-01-01\", \"2025-01-02\"]\n";
    let (_d, path) = write(&text);
    let (ok, err) = stderr_of(&["validate", path.to_str().unwrap()]);
    assert!(ok, "{err}");
}

#[test]
fn a_group_online_after_the_horizon_is_refused() {
    let text = BASE.replace("count = 10", "count = 10\nonline = \"2030-01-01\"");
    let (_d, path) = write(&text);
    let (ok, err) = stderr_of(&["validate", path.to_str().unwrap()]);
    let l = line_of(&text, "online =");
    assert!(
        !ok && err.contains(&format!("r.toml:{l}:"))
            && err.contains("`online`")
            && err.contains("after the study's end"),
        "{err}"
    );
}

const TRAINING: &str = r#"
horizon_hours = 24
step_s = STEP
trials = 1
[site]
[[site.group]]
name = "train"
rack = "dgx-h100-x8-liquid"
count = 10
[[training]]
name = "job"
pool = "train"
accelerators = 640
duration_days = 40
start_days = [0]
checkpoint_interval_min = 60
checkpoint_duration_min = 5
[facility]
kind = "fixed"
pue = 1.25
"#;

#[test]
fn checkpoints_shorter_than_the_step_are_flagged_in_validate_run_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    for (step, flagged) in [("3600", true), ("300", false), ("60", false)] {
        let path = dir.path().join(format!("t{step}.toml"));
        std::fs::write(&path, TRAINING.replace("STEP", step)).unwrap();
        let out = dcload()
            .args(["validate", path.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            stdout.contains("warning: training \"job\": checkpoints of 5 min every 60 min"),
            flagged,
            "step {step}: {stdout}"
        );
        let o = dir.path().join(format!("o{step}"));
        let (ok, err) = stderr_of(&[
            "run",
            path.to_str().unwrap(),
            "--quiet",
            "--no-plots",
            "--out",
            o.to_str().unwrap(),
        ]);
        assert!(ok, "{err}");
        assert_eq!(err.contains("checkpoints of 5 min"), flagged, "{err}");
        let summary = std::fs::read_to_string(o.join("summary.json")).unwrap();
        assert_eq!(summary.contains("study_warnings"), flagged, "{summary}");
        // The 15-minute ramp columns exist only when the step divides 15 minutes.
        let (h, _) = read_csv(&o.join("trials.csv"));
        assert_eq!(
            h.iter().any(|c| c.contains("_15min_")),
            step != "3600",
            "step {step}: {h:?}"
        );
    }
}

#[test]
fn intervals_at_the_default_length_on_an_hourly_step_point_at_the_switch() {
    let text = BASE.replace("step_s = 300", "step_s = 3600") + "\n[report]\nintervals = true\n";
    let (_d, path) = write(&text);
    let (ok, err) = stderr_of(&["validate", path.to_str().unwrap()]);
    let l = line_of(&text, "intervals = true");
    assert!(
        !ok && err.contains(&format!("r.toml:{l}:"))
            && err.contains("`report.intervals`")
            && err.contains("by default")
            && err.contains("interval_minutes"),
        "{err}"
    );
}

#[test]
fn command_line_flags_are_checked_on_every_sweep_variant_before_any_runs() {
    let text = format!("{BASE}\n[sweep]\n\"step_s\" = [300, 3600]\n");
    let (dir, path) = write(&text);
    let out = dir.path().join("o");
    let (ok, err) = stderr_of(&[
        "run",
        path.to_str().unwrap(),
        "--quiet",
        "--no-plots",
        "--interval-minutes",
        "15",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        !ok && err.contains("sweep variant 1: step_s = 3600") && err.contains("--interval-minutes"),
        "{err}"
    );
    assert!(!out.join("variant-00").exists(), "variant 0 ran first");
}

#[test]
fn resuming_with_the_flag_that_repeats_the_run_files_interval_length_is_accepted() {
    let text = BASE.replace("trials = 2", "trials = 4") + "\n[report]\ninterval_minutes = 15\n";
    let (dir, path) = write(&text);
    let p = path.to_str().unwrap();
    let out = dir.path().join("r");
    let ck = out.join(".checkpoint");
    // Half the trials as a checkpoint (a shard's records and manifest are a checkpoint's),
    // written without the flag: the run file asks for 15-minute intervals itself.
    let (ok, err) = stderr_of(&[
        "run",
        p,
        "--quiet",
        "--no-plots",
        "--shard",
        "0/2",
        "--out",
        ck.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let (ok, err) = stderr_of(&[
        "run",
        p,
        "--quiet",
        "--no-plots",
        "--resume",
        "--interval-minutes",
        "15",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "resuming with the same length must work: {err}");
    let full = dir.path().join("full");
    let (ok, err) = stderr_of(&[
        "run",
        p,
        "--quiet",
        "--no-plots",
        "--out",
        full.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(
        std::fs::read(out.join("intervals.csv")).unwrap()
            == std::fs::read(full.join("intervals.csv")).unwrap()
    );
    // Another length is still refused, naming both.
    let out2 = dir.path().join("r2");
    let ck2 = out2.join(".checkpoint");
    let (ok, err) = stderr_of(&[
        "run",
        p,
        "--quiet",
        "--no-plots",
        "--shard",
        "0/2",
        "--out",
        ck2.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let (ok, err) = stderr_of(&[
        "run",
        p,
        "--quiet",
        "--no-plots",
        "--resume",
        "--interval-minutes",
        "30",
        "--out",
        out2.to_str().unwrap(),
    ]);
    assert!(
        !ok && err.contains("15-minute intervals") && err.contains("30-minute intervals"),
        "{err}"
    );
}

/// Identical days, nothing sheddable (industrial flexibility 0): an event delivers nothing, so
/// the day after it draws what the baseline day drew and no rebound may be reported. The
/// twin's shift (a 14:00-16:00 step in load) varies within the hours around the event at 300 s
/// steps; step-by-step positive parts against the hourly baseline counted that as 0.2 MWh.
#[test]
fn an_event_that_sheds_nothing_reports_no_rebound_against_a_rule_baseline() {
    let text = r#"
start = "2025-03-01"
utc_offset = "-06:00"
horizon_hours = 336
step_s = 300
trials = 1
[[site.group]]
name = "gpu"
rack = "dgx-h100-x4"
count = 100
[[twin]]
name = "tw"
pool = "gpu"
allocation = 1.0
base_utilisation = 0.9
shift_hours = [14.5, 16.25]
off_shift_factor = 0.3
weekend_factor = 1.0
[grid.demand_response]
events = [{ start_day = 8, start_hour = 14.0, hours = 2.0, reduce_mw = 1.0 }]
flexibility = { training = 1.0, consumer = 0.3, industrial = 0.0 }
baseline = "previous-day"
[facility]
kind = "fixed"
pue = 1.25
"#;
    let sc = crate::common::scenario(text);
    let r = crate::common::trials(&sc);
    let o = &r[0].summary.dr_outcomes[0];
    assert_eq!(o.baseline_days, 1, "{o:?}");
    assert!(o.delivered_mw.abs() < 1e-9, "{o:?}");
    assert!(o.rebound_mwh.abs() < 1e-9, "{o:?}");
    assert!(o.rebound_peak_mw.abs() < 1e-9, "{o:?}");
}
