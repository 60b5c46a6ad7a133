//! The study's span: horizons of fractional hours or an end date-time, a partial last hour,
//! jobs ending at the end; `[report] years` cutting per-year 8760/8784 files from the whole
//! horizon's rows.

use crate::common::*;
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

#[test]
fn a_fractional_horizon_runs_its_steps_and_a_partial_last_hour_is_a_mean() {
    let sc = scenario(&run("horizon_hours = 355.2", TWIN));
    assert_eq!(sc.horizon_s, 1_278_720, "355.2 h = 21,312 one-minute steps");
    assert_eq!(sc.horizon_hours, 356, "355 whole hours and a partial one");
    let t = &trials(&sc)[0];
    let mw = |h: usize| at_hour(&sc, t, h, M_FACILITY);
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
    let refused = |horizon: &str, parts: &[&str]| {
        let e = resolve_err("h.toml", &run(horizon, TWIN));
        assert_says(&e, parts);
        e
    };
    refused(
        "horizon_hours = 355.21",
        &[
            "h.toml:3",
            "horizon_hours",
            "60-s steps",
            "355.2 h",
            "355.216667 h",
        ],
    );
    refused(
        "horizon_hours = 10\nend = \"2025-01-02T00:00\"",
        &["end", "not both"],
    );
    refused(
        "end = \"2024-12-31T00:00\"",
        &["h.toml:3", "not after the start"],
    );
    refused("end = \"next tuesday\"", &["end", "2026-03-01T00:00"]);
    refused("end = \"2025-01-01T00:00:30\"", &["end", "steps"]);
    refused("horizon_hours = -3", &["horizon_hours", "100 years"]);
    let e = refused("horizon_hours = \"a week\"", &[]);
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

/// Two calendar years from 2027-01-01 (2028 is a leap year) at hourly steps.
fn two_years(report: &str) -> String {
    format!(
        r#"
start = "2027-01-01"
utc_offset = "-06:00"
horizon_hours = 17544
step_s = 3600
trials = 3
[[site.group]]
name = "tw"
server = "DGX-H100"
count = 10
[[twin]]
name = "always"
pool = "tw"
base_utilisation = 0.6
[facility]
kind = "fixed"
pue = 1.2
[grid]
system_peak_hours = ["2027-07-15T17:00", "2028-08-01T16:00"]
{report}
"#
    )
}

#[test]
fn a_report_year_is_the_years_rows_of_the_full_run() {
    let sc = scenario(&two_years("[report]\nyears = [2027, 2028]"));
    let dir = tempfile::tempdir().unwrap();
    write_outputs(dir.path(), &sc, &trials(&sc));
    let full = lines(&dir.path().join("load_8760.csv"));
    let y27 = lines(&dir.path().join("load_8760_2027.csv"));
    let y28 = lines(&dir.path().join("load_8760_2028.csv"));
    assert_eq!(full.len(), 1 + 17_544);
    assert_eq!(y27.len(), 1 + 8760, "2027 has 8760 hours");
    assert_eq!(y28.len(), 1 + 8784, "2028 (leap) has 8784 hours");
    assert_eq!(y27[0], full[0], "same columns");
    assert_eq!(&y27[1..], &full[1..8761]);
    assert_eq!(&y28[1..], &full[8761..]);
    assert!(y27[1].starts_with("2027-01-01T00:00:00-06:00,"));
    assert!(y28[8784].starts_with("2028-12-31T23:00:00-06:00,"));
    // The monthly tables are the full run's months of that year (with the system peaks of
    // that year only), and the duration curves are over that year's hours.
    let m = lines(&dir.path().join("monthly.csv"));
    let m27 = lines(&dir.path().join("monthly_2027.csv"));
    let m28 = lines(&dir.path().join("monthly_2028.csv"));
    assert_eq!(m.len(), 1 + 24);
    assert_eq!(m27, m[..13].to_vec());
    assert_eq!(&m28[1..], &m[13..]);
    assert!(m28[8].starts_with("2028-08,744,"), "{}", m28[8]);
    let d = lines(&dir.path().join("load_duration.csv"));
    let d27 = lines(&dir.path().join("load_duration_2027.csv"));
    assert_eq!(d27.len(), 1 + 8760);
    assert_eq!(d27[0], d[0]);
    // The year's duration curve is the sorted 2027 P50 column of the hourly file when
    // every trial sorts the same way; here check its ends against the year's rows.
    let p50 = |l: &str| l.split(',').nth(2).unwrap().parse::<f64>().unwrap();
    let max27 = y27[1..].iter().map(|l| p50(l)).fold(0.0, f64::max);
    let top = d27[1].split(',').nth(2).unwrap().parse::<f64>().unwrap();
    assert!(
        top + 1e-3 >= max27,
        "top of the curve {top} < peak hour {max27}"
    );
}

#[test]
fn no_report_table_writes_no_year_files_and_a_year_outside_is_refused() {
    let sc = scenario(&two_years(""));
    assert!(sc.report_years.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let paths = write_outputs(dir.path(), &sc, &trials(&sc));
    assert!(
        paths.iter().all(|p| !p.to_string_lossy().contains("_202")),
        "{paths:?}"
    );
    let e = resolve_err("test.toml", &two_years("[report]\nyears = [2029]"));
    assert!(e.contains("report.years"), "{e}");
    assert!(
        e.contains("2027-01-01T00:00:00-06:00") && e.contains("2029-01-01T00:00:00-06:00"),
        "{e}"
    );
    assert!(e.contains("test.toml"), "{e}");
}

#[test]
fn the_years_flag_overrides_the_run_file_and_names_itself_when_out_of_range() {
    let f =
        RunFile::new(&two_years("[report]\nyears = [2027]").replace("trials = 3", "trials = 1"));
    let err = f.run_fails("o", &["--quiet", "--no-plots", "--years", "2030"]);
    assert_says(&err, &["--years", "2030"]);
    let (out, _) = f.run("o", &["--quiet", "--no-plots", "--years", "2028"]);
    assert!(out.join("load_8760_2028.csv").exists());
    assert!(!out.join("load_8760_2027.csv").exists());
    assert_eq!(lines(&out.join("load_8760_2028.csv")).len(), 1 + 8784);
}
