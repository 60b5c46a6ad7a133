//! Horizons: fractional hours or an end date-time, a partial last hour, jobs ending at the end.

use std::path::Path;

use crate::common::*;
use dcload::base::error::Source;
use dcload::model::library::Library;
use dcload::scenario::Scenario;
use dcload::sim::M_FACILITY;

fn run(horizon: &str, workload: &str) -> String {
    format!(
        r#"
start = "2025-01-01"
{horizon}
step_s = 60
trials = 1
[[site.group]]
name = "g"
server = "DGX-H100"
count = 10
{workload}
[facility]
kind = "fixed"
pue = 1.25
"#
    )
}

const TWIN: &str = "[[twin]]\nname = \"w\"\npool = \"g\"\nbase_utilisation = 0.6";

fn load_err(text: &str) -> String {
    let lib = Library::builtin().unwrap();
    Scenario::from_source(&Source::new("h.toml", text), "h", Path::new("."), &lib)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| panic!("expected an error for:\n{text}"))
}

#[test]
fn a_fractional_horizon_runs_its_steps_and_a_partial_last_hour_is_a_mean() {
    let sc = scenario(&run("horizon_hours = 355.2", TWIN));
    assert_eq!(sc.horizon_s, 1_278_720, "355.2 h = 21,312 one-minute steps");
    assert_eq!(sc.horizon_hours, 356, "355 whole hours and a partial one");
    let t = &trials(&sc)[0];
    let nm = sc.metrics().len();
    let pos = sc.metric_pos(M_FACILITY).unwrap();
    let mw = |h: usize| f64::from(t.hourly[h * nm + pos]);
    // Constant load: the partial hour's row is the mean over its 12 steps, the same power.
    assert!(mw(0) > 0.0);
    assert_eq!(mw(355), mw(0));
    // Energy counts 355.2 hours, not 356.
    let want = mw(0) * 355.2;
    assert!(
        (t.summary.energy_mwh - want).abs() < 1e-5 * want,
        "{} MWh, want {want}",
        t.summary.energy_mwh
    );
    assert!((t.summary.pue - 1.25).abs() < 1e-12);
}

#[test]
fn an_end_date_time_is_the_same_horizon() {
    let by_end = scenario(&run("end = \"2025-01-15T19:12\"", TWIN));
    assert_eq!(by_end.horizon_s, 1_278_720);
    let by_hours = scenario(&run("horizon_hours = 355.2", TWIN));
    let (a, b) = (&trials(&by_end)[0], &trials(&by_hours)[0]);
    assert_eq!(a.hourly, b.hourly);
    assert_eq!(a.summary.energy_mwh, b.summary.energy_mwh);
    // Whole hours still work, written as integers or floats.
    assert_eq!(
        scenario(&run("horizon_hours = 48", TWIN)).horizon_s,
        48 * 3600
    );
    assert_eq!(
        scenario(&run("horizon_hours = 48.0", TWIN)).horizon_hours,
        48
    );
    assert_eq!(
        scenario(&run("end = \"2025-01-03 00:00:00\"", TWIN)).horizon_hours,
        48
    );
}

#[test]
fn bad_horizons_are_refused_with_clear_errors() {
    let e = load_err(&run("horizon_hours = 355.21", TWIN));
    assert!(
        e.contains("h.toml:3") && e.contains("horizon_hours") && e.contains("60-s steps"),
        "{e}"
    );
    assert!(e.contains("355.2 h") && e.contains("355.216667 h"), "{e}");
    let e = load_err(&run("horizon_hours = 10\nend = \"2025-01-02T00:00\"", TWIN));
    assert!(e.contains("end") && e.contains("not both"), "{e}");
    let e = load_err(&run("end = \"2024-12-31T00:00\"", TWIN));
    assert!(
        e.contains("h.toml:3") && e.contains("not after the start"),
        "{e}"
    );
    let e = load_err(&run("end = \"next tuesday\"", TWIN));
    assert!(e.contains("end") && e.contains("2026-03-01T00:00"), "{e}");
    let e = load_err(&run("end = \"2025-01-01T00:00:30\"", TWIN));
    assert!(e.contains("end") && e.contains("steps"), "{e}");
    let e = load_err(&run("horizon_hours = -3", TWIN));
    assert!(
        e.contains("horizon_hours") && e.contains("100 years"),
        "{e}"
    );
    let e = load_err(&run("horizon_hours = \"a week\"", TWIN));
    assert!(e.contains("horizon_hours") || e.contains("hours"), "{e}");
}

#[test]
fn a_job_that_ends_exactly_at_the_horizon_is_completed() {
    let job = |days: f64| {
        format!(
            "[[training]]\nname = \"t\"\npool = \"g\"\nduration_days = {days}\nstart_days = [0.0]"
        )
    };
    let done = |horizon: &str, days: f64| {
        let sc = scenario(&run(horizon, &job(days)));
        trials(&sc)[0].summary.training_jobs_completed
    };
    assert_eq!(done("horizon_hours = 240", 10.0), 1, "ends at the horizon");
    assert_eq!(done("horizon_hours = 240", 9.99), 1, "ends before it");
    assert_eq!(done("horizon_hours = 240", 10.01), 0, "ends after it");
    assert_eq!(
        done("horizon_hours = 36.5", 36.5 / 24.0),
        1,
        "at a fractional horizon"
    );
}
