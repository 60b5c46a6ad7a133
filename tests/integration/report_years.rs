//! `[report] years`: per-year 8760/8784 files cut from the whole horizon's rows.

use std::path::Path;

use dcload::run::traces::HourlySource;

use crate::common::*;

/// Two calendar years from 2027-01-01 (2028 is a leap year) at hourly steps.
fn two_years(report: &str) -> String {
    format!(
        r#"
start = "2027-01-01"
utc_offset = "-06:00"
horizon_hours = 17544
step_s = 3600
trials = 3
[site]
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

fn lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn a_report_year_is_the_years_rows_of_the_full_run() {
    let sc = scenario(&two_years("[report]\nyears = [2027, 2028]"));
    let results = trials(&sc);
    let dir = tempfile::tempdir().unwrap();
    dcload::report::write_all(
        dir.path(),
        &sc,
        &results,
        1,
        0.0,
        false,
        &HourlySource::Memory,
    )
    .unwrap();
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
    let results = trials(&sc);
    let dir = tempfile::tempdir().unwrap();
    let paths = dcload::report::write_all(
        dir.path(),
        &sc,
        &results,
        1,
        0.0,
        false,
        &HourlySource::Memory,
    )
    .unwrap();
    assert!(
        paths.iter().all(|p| !p.to_string_lossy().contains("_202")),
        "{paths:?}"
    );
    let lib = dcload::model::library::Library::builtin().unwrap();
    let text = two_years("[report]\nyears = [2029]");
    let e = dcload::scenario::Scenario::from_source(
        &dcload::base::error::Source::new("test.toml", text.as_str()),
        "test",
        Path::new("."),
        &lib,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("report.years"), "{e}");
    assert!(
        e.contains("2027-01-01T00:00:00-06:00") && e.contains("2029-01-01T00:00:00-06:00"),
        "{e}"
    );
    assert!(e.contains("test.toml"), "{e}");
}

#[test]
fn the_years_flag_overrides_the_run_file_and_names_itself_when_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("y.toml");
    std::fs::write(
        &run,
        two_years("[report]\nyears = [2027]").replace("trials = 3", "trials = 1"),
    )
    .unwrap();
    let out = dir.path().join("o");
    let o = dcload()
        .args([
            "run",
            run.to_str().unwrap(),
            "--quiet",
            "--no-plots",
            "--years",
            "2030",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("--years") && e.contains("2030"), "{e}");
    run_ok(&[
        "run",
        run.to_str().unwrap(),
        "--quiet",
        "--no-plots",
        "--years",
        "2028",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(out.join("load_8760_2028.csv").exists());
    assert!(!out.join("load_8760_2027.csv").exists());
    assert_eq!(lines(&out.join("load_8760_2028.csv")).len(), 1 + 8784);
}
