//! Interval data and system-peak intervals (issue 12): intervals.csv, peaks at sub-hour
//! resolution with hour-beginning / hour-ending conventions, a CSV of peaks, and the monthly
//! table's peak timestamp and minimum.

use dcload::sim::{M_FACILITY, Trial};

use crate::common::*;

/// Chat with random demand and a jittery twin on a fixed-PUE campus, two days at 5-minute
/// steps: a load that changes from step to step.
const NOISY: &str = r#"
start = "2025-03-01"
horizon_hours = 48
step_s = 300
trials = 2
[site]
[[site.group]]
name = "inf"
server = "DGX-H100"
count = 20
[[site.group]]
name = "tw"
server = "DGX-H100"
count = 5
[[consumer]]
name = "chat"
preset = "chat"
pool = "inf"
requests_per_day = 2.0e5
[[twin]]
name = "t"
pool = "tw"
base_utilisation = 0.7
jitter_sd = 0.1
jitter_tau_h = 2.0
[facility]
kind = "fixed"
pue = 1.2
"#;

/// A twin at full load on 10 DGX H100 all the time and a training job on 10 more from
/// `start_days` for `duration_days`: two known levels, switching at known times.
fn stepped(start_days: &str, duration_days: &str, horizon: u32, extra: &str) -> String {
    format!(
        r#"
start = "2025-01-01"
horizon_hours = {horizon}
step_s = 300
trials = 3
[site]
[[site.group]]
name = "tw"
server = "DGX-H100"
count = 10
[[site.group]]
name = "tr"
server = "DGX-H100"
count = 10
[[twin]]
name = "always"
pool = "tw"
base_utilisation = 1.0
[[training]]
name = "job"
pool = "tr"
utilisation = 1.0
duration_days = {duration_days}
start_days = [{start_days}]
[facility]
kind = "fixed"
pue = 1.0
{extra}
"#
    )
}

/// The two levels of [`stepped`], MW: (job off, job on).
fn levels(sc: &dcload::scenario::Scenario) -> (f64, f64) {
    let g = &sc.fleet.groups;
    let low = (g[0].peak_w() + g[1].power_w(0.0)) / 1e6;
    let high = (g[0].peak_w() + g[1].peak_w()) / 1e6;
    assert!(high - low > 0.01, "the levels must be distinguishable");
    (low, high)
}

fn run_dir(text: &str, extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.toml"), text).unwrap();
    let out = dir.path().join("o");
    let mut args = vec![
        "run".to_string(),
        dir.path().join("r.toml").to_str().unwrap().to_string(),
        "--quiet".into(),
        "--no-plots".into(),
        "--out".into(),
        out.to_str().unwrap().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    run_ok(&refs);
    (dir, out)
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

#[test]
fn quarter_hour_means_are_the_steps_means_and_average_to_the_hours() {
    let text = format!("{NOISY}[report]\ninterval_minutes = 15\n");
    let sc = scenario(&text);
    let plan = sc.intervals.expect("interval file asked for");
    assert_eq!((plan.len_s, plan.from_s, plan.to_s), (900, 0, 48 * 3600));
    // Drive one trial step by step, keeping every step's facility demand.
    let mut tr = Trial::new(&sc, 1);
    let steps: Vec<f64> = (0..sc.horizon_s / sc.step_s)
        .map(|s| tr.step(s, true))
        .collect();
    let r = tr.finish();
    let iv = &r.summary.interval_facility_mw;
    assert_eq!(iv.len(), 48 * 4);
    assert_eq!(r.summary.interval_it_mw.len(), 48 * 4);
    let nm = sc.metrics().len();
    let mut distinct = 0;
    for (i, &v) in iv.iter().enumerate() {
        // Each interval is the exact mean of its three 5-minute steps.
        let want = steps[i * 3..i * 3 + 3].iter().sum::<f64>() / 3.0 / 1e6;
        assert!(
            (v - want).abs() <= 1e-12 * want,
            "interval {i}: {v} vs {want}"
        );
        if i > 0 && (v - iv[i - 1]).abs() > 1e-6 {
            distinct += 1;
        }
        // Interval IT MW is positive and below the facility's (PUE 1.2).
        let it = r.summary.interval_it_mw[i];
        assert!(it > 0.0 && it < v, "IT {it} vs facility {v}");
    }
    assert!(
        distinct > 100,
        "the test load must vary ({distinct} changes)"
    );
    for h in 0..48 {
        // Four quarter-hours average to the hour: to 1e-9 of the hour's mean of steps, and to
        // f32 precision of the hourly row the outputs are written from.
        let quarters = iv[h * 4..h * 4 + 4].iter().sum::<f64>() / 4.0;
        let hour = steps[h * 12..h * 12 + 12].iter().sum::<f64>() / 12.0 / 1e6;
        assert!(
            (quarters - hour).abs() <= 1e-9 * hour,
            "hour {h}: {quarters} vs {hour}"
        );
        let row = f64::from(r.hourly[h * nm + M_FACILITY]);
        assert!((quarters - row).abs() <= 1e-6 * row, "{quarters} vs {row}");
    }

    // The file: one row per interval, load_8760's timestamps and column names.
    let (_d, out) = run_dir(&text, &[]);
    let (ih, irows) = read_csv(&out.join("intervals.csv"));
    let (lh, lrows) = read_csv(&out.join("load_8760.csv"));
    assert_eq!(irows.len(), 48 * 4);
    assert_eq!(
        &ih[..lh.len()],
        &lh[..],
        "facility columns as in load_8760.csv"
    );
    for p in ["it_mw_mean", "it_mw_p10", "it_mw_p50", "it_mw_p90"] {
        col(&ih, p);
    }
    assert_eq!(irows[0][0], "2025-03-01T00:00:00+00:00");
    assert_eq!(irows[5][0], "2025-03-01T01:15:00+00:00");
    let m = col(&ih, "facility_mw_mean");
    for h in 0..48 {
        assert_eq!(irows[h * 4][0], lrows[h][0]);
        let q: f64 = (0..4).map(|k| num(&irows[h * 4 + k][m])).sum::<f64>() / 4.0;
        let l = num(&lrows[h][col(&lh, "facility_mw_mean")]);
        // Both files round to 0.1 kW.
        assert!((q - l).abs() < 2e-4, "hour {h}: {q} vs {l}");
    }
}

#[test]
fn a_window_and_the_flag_choose_the_rows() {
    // A window of 30-minute intervals.
    let text = format!(
        "{NOISY}[report]\nintervals = true\ninterval_minutes = 30\n\
         interval_from = \"2025-03-01T06:00\"\ninterval_to = \"2025-03-01T08:00\"\n"
    );
    let (_d, out) = run_dir(&text, &[]);
    let (_, rows) = read_csv(&out.join("intervals.csv"));
    let stamps: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        stamps,
        [
            "2025-03-01T06:00:00+00:00",
            "2025-03-01T06:30:00+00:00",
            "2025-03-01T07:00:00+00:00",
            "2025-03-01T07:30:00+00:00"
        ]
    );
    // Without the table nothing is written; the flag asks for it (two-hour intervals here).
    let (_d, out) = run_dir(NOISY, &[]);
    assert!(!out.join("intervals.csv").exists());
    let (_d, out) = run_dir(NOISY, &["--interval-minutes", "120"]);
    let (_, rows) = read_csv(&out.join("intervals.csv"));
    assert_eq!(rows.len(), 24);
    assert_eq!(rows[1][0], "2025-03-01T02:00:00+00:00");
}

#[test]
fn intervals_that_do_not_fit_the_step_are_refused_naming_field_and_step() {
    let lib = dcload::model::library::Library::builtin().unwrap();
    for (extra, field, what) in [
        (
            "[report]\ninterval_minutes = 7",
            "interval_minutes",
            "step_s = 300",
        ),
        (
            "[report]\ninterval_minutes = 45",
            "interval_minutes",
            "divides the hour",
        ),
        (
            "[report]\ninterval_minutes = 0",
            "interval_minutes",
            "positive",
        ),
        (
            "[report]\ninterval_minutes = 15\ninterval_from = \"2025-03-01T06:10\"",
            "interval_from",
            "interval boundary",
        ),
        (
            "[grid]\nsystem_peak_hours = [\"2025-03-01T17:00\"]\nsystem_peak_minutes = 7",
            "system_peak_minutes",
            "step_s = 300",
        ),
        (
            "[grid]\nsystem_peak_hours = [\"2025-03-01T17:00\"]\nsystem_peak_convention = \"HE\"",
            "system_peak_convention",
            "interval-ending",
        ),
        (
            "[grid]\nsystem_peak_hours = [\"2025-03-01T17:02\"]\nsystem_peak_minutes = 15",
            "system_peak_hours",
            "step boundary",
        ),
        (
            "[grid]\nsystem_peak_hours = [\"2025-03-03T23:45\"]\nsystem_peak_minutes = 15",
            "system_peak_hours",
            "horizon",
        ),
    ] {
        let text = format!("{NOISY}{extra}\n");
        let err = dcload::scenario::Scenario::from_source(
            &dcload::base::error::Source::new("i.toml", text.clone()),
            "i",
            std::path::Path::new("."),
            &lib,
        )
        .unwrap_err()
        .to_string();
        let line = text
            .lines()
            .position(|l| l.starts_with(field.split('.').next_back().unwrap()))
            .unwrap()
            + 1;
        assert!(
            err.contains(&format!("i.toml:{line}")) && err.contains(field) && err.contains(what),
            "{extra}: {err}"
        );
    }
    // The flag: its name and the step.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.toml"), NOISY).unwrap();
    let o = dcload()
        .args([
            "run",
            dir.path().join("r.toml").to_str().unwrap(),
            "--quiet",
            "--interval-minutes",
            "7",
            "--out",
            dir.path().join("o").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("--interval-minutes") && err.contains("step_s = 300"),
        "{err}"
    );
}

#[test]
fn an_hour_ending_peak_at_17_reads_16_to_17() {
    // The job runs 17:00-23:00 on 1 January: 16:00-17:00 is the low level, 17:00-18:00 high.
    let peak = "system_peak_hours = [\"2025-01-01T17:00\"]";
    let ending = stepped(
        "0.7083333333333334",
        "0.25",
        48,
        &format!("[grid]\n{peak}\nsystem_peak_convention = \"interval-ending\""),
    );
    let beginning = stepped("0.7083333333333334", "0.25", 48, &format!("[grid]\n{peak}"));
    let (low, high) = levels(&scenario(&ending));
    for (text, want) in [(&ending, low), (&beginning, high)] {
        let sc = scenario(text);
        let r = &trials(&sc)[0];
        // The engine's interval mean, and the monthly table (whole hours: the hourly row).
        let got = r.summary.system_peak_mw[0];
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        let (_d, out) = run_dir(text, &[]);
        let (mh, months) = read_csv(&out.join("monthly.csv"));
        let m = num(&months[0][col(&mh, "system_peak_demand_mw_p50")]);
        assert!((m - want).abs() < 1e-3, "monthly {m} vs {want}");
        assert_eq!(months[0][col(&mh, "system_peak_intervals")], "1");
    }
}

#[test]
fn a_quarter_hour_interval_ending_peak_reads_the_right_quarter() {
    // The job runs 16:30-22:30 on 1 January.
    let run = |grid: &str| stepped("0.6875", "0.25", 48, &format!("[grid]\n{grid}"));
    let q = run(
        "system_peak_hours = [\"2025-01-01T16:45\", \"2025-01-01T16:30\", \
         \"2025-01-01T11:45-05:00\", \"2025-01-01T22:30Z\", \"2025-01-01T22:45\"]\n\
         system_peak_convention = \"interval-ending\"\nsystem_peak_minutes = 15",
    );
    let sc = scenario(&q);
    let (low, high) = levels(&sc);
    let starts: Vec<u64> = sc.grid.system_peaks.iter().map(|p| p.start_s).collect();
    assert_eq!(
        starts,
        [
            16 * 3600 + 1800,
            16 * 3600 + 900,
            16 * 3600 + 1800,
            22 * 3600 + 900,
            22 * 3600 + 1800
        ]
    );
    let want = [high, low, high, high, low];
    for r in trials(&sc) {
        for (k, (&got, w)) in r.summary.system_peak_mw.iter().zip(want).enumerate() {
            assert!((got - w).abs() < 1e-6, "peak {k}: {got} vs {w}");
        }
    }
    // Hour-ending 17:00 over 60 minutes: half the hour with the job.
    let h = run(
        "system_peak_hours = [\"2025-01-01T17:00\"]\nsystem_peak_convention = \"interval-ending\"",
    );
    let r = &trials(&scenario(&h))[0];
    let half = (low + high) / 2.0;
    assert!((r.summary.system_peak_mw[0] - half).abs() < 1e-6);
    // The monthly table averages the month's peaks.
    let (_d, out) = run_dir(&q, &[]);
    let (mh, months) = read_csv(&out.join("monthly.csv"));
    let m = num(&months[0][col(&mh, "system_peak_demand_mw_p50")]);
    let mean = want.iter().sum::<f64>() / want.len() as f64;
    assert!((m - mean).abs() < 1e-3, "{m} vs {mean}");
    assert_eq!(months[0][col(&mh, "system_peak_intervals")], "5");
}

#[test]
fn a_csv_of_system_peaks_is_read_and_a_bad_row_names_file_and_line() {
    let lib = dcload::model::library::Library::builtin().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let text = stepped(
        "0.6875",
        "0.25",
        48,
        "[grid]\nsystem_peaks_file = \"4cp.csv\"\nsystem_peak_minutes = 15\n\
         system_peak_convention = \"interval-ending\"",
    );
    let resolve = |csv: &str| {
        std::fs::write(dir.path().join("4cp.csv"), csv).unwrap();
        dcload::scenario::Scenario::from_source(
            &dcload::base::error::Source::new("p.toml", text.clone()),
            "p",
            dir.path(),
            &lib,
        )
    };
    let sc = resolve("timestamp,note\n2025-01-01T16:45,june\n\n2025-01-02T10:00:00-06:00,x\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let starts: Vec<u64> = sc.grid.system_peaks.iter().map(|p| p.start_s).collect();
    assert_eq!(starts, [16 * 3600 + 1800, (24 + 15) * 3600 + 2700]);
    let (low, high) = levels(&sc);
    let r = &trials(&sc)[0];
    assert!((r.summary.system_peak_mw[0] - high).abs() < 1e-6);
    assert!((r.summary.system_peak_mw[1] - low).abs() < 1e-6);
    for (csv, line, what) in [
        (
            "timestamp\n2025-01-01T16:45\nJan 1 17:00\n",
            3,
            "expected a time",
        ),
        (
            "timestamp\n2025-01-01T16:45\n2025-01-05T16:45\n",
            3,
            "horizon",
        ),
        ("2025-01-01T16:45\n2025-01-01T16:52\n", 2, "step boundary"),
    ] {
        let err = resolve(csv).unwrap_err().to_string();
        assert!(
            err.contains(&format!("4cp.csv:{line}")) && err.contains(what),
            "{csv:?}: {err}"
        );
    }
}

#[test]
fn monthly_minimum_mean_and_peak_with_the_peak_timestamp_in_its_month() {
    // 15 January to 24 February: the job runs on 16 January 00:00-12:00.
    let text = stepped("1.0", "0.5", 40 * 24, "").replace("2025-01-01", "2025-01-15");
    let sc = scenario(&text);
    let (low, high) = levels(&sc);
    let (_d, out) = run_dir(&text, &[]);
    let (h, rows) = read_csv(&out.join("monthly.csv"));
    assert_eq!(rows.len(), 2);
    // Existing columns stay where they were; the new ones come last.
    assert_eq!(&h[..3], ["month", "hours", "energy_mwh_mean"]);
    assert_eq!(
        &h[h.len() - 4..],
        [
            "peak_timestamp_mean",
            "min_mw_p10",
            "min_mw_p50",
            "min_mw_p90"
        ]
    );
    for r in &rows {
        let mean = num(&r[col(&h, "energy_mwh_mean")]) / num(&r[col(&h, "hours")]);
        for p in ["p10", "p50", "p90"] {
            let min = num(&r[col(&h, &format!("min_mw_{p}"))]);
            let peak = num(&r[col(&h, &format!("peak_mw_{p}"))]);
            assert!(min <= mean + 1e-9 && mean <= peak + 1e-9, "{r:?}");
            assert!((min - low).abs() < 2e-3, "min {min} vs {low}");
        }
        let ts = &r[col(&h, "peak_timestamp_mean")];
        assert!(ts.starts_with(&r[0]), "{ts} not in {}", r[0]);
    }
    // January's peak is the job's: an hour of 16 January before noon.
    let ts = &rows[0][col(&h, "peak_timestamp_mean")];
    assert!(ts.starts_with("2025-01-16T") && &ts[11..13] < "12", "{ts}");
    assert!((num(&rows[0][col(&h, "peak_mw_p50")]) - high).abs() < 2e-3);
}
