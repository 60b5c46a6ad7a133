//! Interval data and ramps: intervals.csv (its length and window, which setting asks for it, and
//! what the step allows), the worst rise and fall per step, 15 minutes and hour with their
//! instants, the counts above the ramp thresholds, and the ramps of each report year.

use dcload::base::time::SimTime;
use dcload::sim::{M_FACILITY, Trial};

use crate::common::*;

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
    let (_f, out) = run_quiet(&text, &[]);
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
    let (_f, out) = run_quiet(&text, &[]);
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
    let (_f, out) = run_quiet(NOISY, &[]);
    assert!(!out.join("intervals.csv").exists());
    let (_f, out) = run_quiet(NOISY, &["--interval-minutes", "120"]);
    let (_, rows) = read_csv(&out.join("intervals.csv"));
    assert_eq!(rows.len(), 24);
    assert_eq!(rows[1][0], "2025-03-01T02:00:00+00:00");
}

#[test]
fn intervals_that_do_not_fit_the_step_are_refused_naming_field_and_step() {
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
        let err = resolve_err("i.toml", &text);
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
    let err = RunFile::new(NOISY).run_fails("o", &["--quiet", "--interval-minutes", "7"]);
    assert_says(&err, &["--interval-minutes", "step_s = 300"]);
}

#[test]
fn intervals_false_wins_over_interval_minutes_and_the_flag_wins_over_both() {
    let table = "[report]\nintervals = false\ninterval_minutes = 30\n\
                 interval_from = \"2025-03-01T06:00\"\ninterval_to = \"2025-03-01T08:00\"\n";
    let mut sc = scenario(&format!("{NOISY}{table}"));
    assert_eq!(sc.intervals, None, "intervals = false must win");
    // Without the switch the same table asks for the file.
    let on = scenario(&format!(
        "{NOISY}{}",
        table.replace("intervals = false\n", "")
    ));
    let plan = on.intervals.expect("interval_minutes asks for the file");
    assert_eq!((plan.len_s, plan.count()), (1800, 4));
    // `--interval-minutes` on the command line asks for it anyway (with the table's window).
    sc.set_interval_minutes(60).unwrap();
    let plan = sc.intervals.expect("the flag asks for the file");
    assert_eq!(
        (plan.len_s, plan.from_s, plan.to_s),
        (3600, 6 * 3600, 8 * 3600)
    );
    // End to end: no intervals.csv.
    let (_f, out) = run_quiet(&format!("{NOISY}{table}"), &[]);
    assert!(out.join("hourly.csv").exists());
    assert!(!out.join("intervals.csv").exists());
}

#[test]
fn intervals_at_the_default_length_on_an_hourly_step_point_at_the_switch() {
    let text = NOISY.replace("step_s = 300", "step_s = 3600") + "[report]\nintervals = true\n";
    let err = refused_at(&text, "intervals = true", "report.intervals");
    assert_says(&err, &["by default", "interval_minutes"]);
}

/// 240 DGX H100 (1,920 accelerators) idle until a job at 1,100 W per accelerator takes them
/// all at 06:00 (day 0.25) at fixed PUE 1.25: one step change from idle to 1.25 x 2.112 MW =
/// 2.64 MW, more than 1 MW and less than 5 MW, so counted once above 1 MW and never above
/// 5 MW; the worst rise is at 06:00 (step, 15-minute interval and hour); nothing falls.
#[test]
fn a_step_change_gives_the_worst_rise_at_its_timestamp_and_one_count() {
    let sc = scenario(&one_job(12, 240, "0.25"));
    let s = trials(&sc)[0].summary.clone();
    let ts = |x: f64| sc.calendar.timestamp(SimTime(x as u64));
    assert!(
        s.ramp_up_step_mw > 1.0 && s.ramp_up_step_mw < 2.64,
        "{}",
        s.ramp_up_step_mw
    );
    assert_eq!(ts(s.ramp_up_step_at_s), "2025-01-01T06:00:00+00:00");
    assert_eq!(ts(s.ramp_up_15min_at_s), "2025-01-01T06:00:00+00:00");
    assert_eq!(ts(s.ramp_up_hour_at_s), "2025-01-01T06:00:00+00:00");
    assert_eq!(s.ramp_steps_over, [1.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(s.ramp_15min_over, [1.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(s.ramp_down_step_at_s, -1.0);
}

/// The step-change study with its own ramp thresholds, 0.5 and 2.7 MW: the one step change
/// (from idle to 2.64 MW at fixed PUE 1.25, i.e. above 1 MW and below 2.64 MW, see above) is
/// counted above 0.5 MW and not above 2.7 MW, for steps and for 15-minute intervals; the
/// columns name the new thresholds and the default ones are gone, in trials.csv and
/// summary.json. A list out of order is refused at its line.
#[test]
fn ramp_thresholds_set_in_the_run_file_name_the_columns_and_count() {
    let text = one_job(12, 240, "0.25") + "[grid]\nramp_thresholds_mw = [0.5, 2.7]\n";
    let sc = scenario(&text);
    let s = trials(&sc)[0].summary.clone();
    assert_eq!(s.ramp_steps_over, [1.0, 0.0]);
    assert_eq!(s.ramp_15min_over, [1.0, 0.0]);

    let (_f, out) = run_quiet(&text, &[]);
    let (h, rows) = read_csv(&out.join("trials.csv"));
    let col = |n: &str| col(&h, n);
    assert_eq!(rows[0][col("ramp_steps_over_0.5mw")], "1");
    assert_eq!(rows[0][col("ramp_steps_over_2.7mw")], "0");
    assert_eq!(rows[0][col("ramp_15min_over_0.5mw")], "1");
    assert_eq!(rows[0][col("ramp_15min_over_2.7mw")], "0");
    assert!(!h.iter().any(|c| c == "ramp_steps_over_1mw"), "{h:?}");
    // Counts follow the ramps' timestamps, steps before 15-minute intervals.
    assert_eq!(col("ramp_steps_over_0.5mw"), col("ramp_down_hour_at_s") + 1);
    assert_eq!(
        col("ramp_15min_over_0.5mw"),
        col("ramp_steps_over_2.7mw") + 1
    );
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(
        summary.contains("\"ramp_15min_over_2.7mw\""),
        "summary.json"
    );

    for bad in [
        "[5.0, 1.0]",
        "[0.0, 1.0]",
        "[]",
        "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]",
    ] {
        let t = text.replace("[0.5, 2.7]", bad);
        refused_at(&t, "ramp_thresholds_mw", "ramp_thresholds_mw");
    }
}

/// Two calendar years at 15-minute steps; a 100-server group comes online at the start of
/// 2028 (local midnight), each group with a twin at 60 % utilisation.
fn step_up(report: &str) -> String {
    format!(
        r#"
start = "2027-01-01"
utc_offset = "-06:00"
horizon_hours = 17544
step_s = 900
trials = 2
[[site.group]]
name = "first"
server = "DGX-H100"
count = 10
[[site.group]]
name = "late"
server = "DGX-H100"
count = 100
online = "2028-01-01"
[[twin]]
name = "a"
pool = "first"
base_utilisation = 0.6
[[twin]]
name = "b"
pool = "late"
base_utilisation = 0.6
[facility]
kind = "fixed"
pue = 1.2
[grid]
ramp_thresholds_mw = [0.5, 5.0]
{report}
"#
    )
}

fn row<'a>(rows: &'a [Vec<String>], figure: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r[0] == figure)
        .unwrap_or_else(|| panic!("no row {figure}"))
}

/// Year 2's worst hourly rise is the new group coming online, at the first hour of 2028, and
/// year 1's is a small fraction of it; every worst instant lies in its file's year. The years
/// cover the run, so per trial the larger of the years' worst rise and fall (step, 15 minutes,
/// hour) is the whole run's, and the years' threshold counts add up to the whole run's.
#[test]
fn ramps_per_report_year_split_the_whole_runs_ramps() {
    let sc = scenario(&step_up("[report]\nyears = [2027, 2028]"));
    let r = trials(&sc);
    for t in &r {
        let s = &t.summary;
        assert_eq!(s.year_ramps.len(), 2);
        let (a, b) = (&s.year_ramps[0], &s.year_ramps[1]);
        for (y, w) in [
            (a.up_step_mw.max(b.up_step_mw), s.ramp_up_step_mw),
            (a.down_step_mw.max(b.down_step_mw), s.ramp_down_step_mw),
            (a.up_15min_mw.max(b.up_15min_mw), s.ramp_up_15min_mw),
            (a.down_15min_mw.max(b.down_15min_mw), s.ramp_down_15min_mw),
            (a.up_hour_mw.max(b.up_hour_mw), s.ramp_up_hour_mw),
            (a.down_hour_mw.max(b.down_hour_mw), s.ramp_down_hour_mw),
        ] {
            assert_eq!(y, w);
        }
        assert_eq!(b.up_hour_at_s, s.ramp_up_hour_at_s);
        for i in 0..s.ramp_steps_over.len() {
            assert_eq!(a.steps_over[i] + b.steps_over[i], s.ramp_steps_over[i]);
            assert_eq!(a.min15_over[i] + b.min15_over[i], s.ramp_15min_over[i]);
        }
        assert!(b.up_hour_mw > 0.5, "{b:?}");
        assert!(a.up_hour_mw < 0.1 * b.up_hour_mw, "{a:?} {b:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    write_outputs(dir.path(), &sc, &r);
    let read = |y: i32| read_csv(&dir.path().join(format!("ramps_{y}.csv")));
    let (h, y1) = read(2027);
    let (h2, y2) = read(2028);
    assert_eq!(h, h2);
    assert_eq!(
        &h[..3],
        ["figure", "unit", "mean"].map(String::from).as_slice()
    );
    let (worst, at) = (col(&h, "worst"), col(&h, "worst_at"));
    let up2 = row(&y2, "ramp_up_hour_mw");
    let up1 = row(&y1, "ramp_up_hour_mw");
    assert!(up2[at].starts_with("2028-01-01T00:00:00-06:00"), "{up2:?}");
    assert!(num(&up1[worst]) < 0.1 * num(&up2[worst]), "{up1:?} {up2:?}");
    let whole = r
        .iter()
        .map(|t| t.summary.ramp_up_hour_mw)
        .fold(0.0, f64::max);
    assert!(
        (num(&up2[worst]) - whole).abs() < 1e-4,
        "{up2:?} vs {whole}"
    );
    for (year, rows) in [("2027", &y1), ("2028", &y2)] {
        for rw in rows.iter() {
            assert!(
                rw[at].is_empty() || rw[at].starts_with(year),
                "{year}: {rw:?}"
            );
        }
        assert!(rows.iter().any(|rw| rw[0] == "ramp_steps_over_5mw"));
        assert!(rows.iter().any(|rw| rw[0] == "ramp_15min_over_5mw"));
    }
    // The changes above 0.5 MW: one step and one 15-minute interval in 2028 (the group coming
    // online), none in 2027.
    let c = col(&h, "mean");
    for figure in ["ramp_steps_over_0.5mw", "ramp_15min_over_0.5mw"] {
        assert_eq!(num(&row(&y1, figure)[c]), 0.0);
        assert_eq!(num(&row(&y2, figure)[c]), 1.0);
    }
}

/// Without report years no ramps_YYYY.csv is written; the two years' ramps are still metered,
/// for the per-year headlines of summary.json.
#[test]
fn no_report_years_no_year_ramps_files() {
    let sc = scenario(&step_up(""));
    let r = trials(&sc);
    assert!(r.iter().all(|t| t.summary.year_ramps.len() == 2));
    let dir = tempfile::tempdir().unwrap();
    write_outputs(dir.path(), &sc, &r);
    let ramps_files = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("ramps"))
        .count();
    assert_eq!(ramps_files, 0);
}

/// `--years` on a study with a sampled parameter (each trial re-resolves its scenario): the
/// trials still meter the year's ramps, so ramps_2028.csv carries the step up at its first hour.
#[test]
fn years_flag_on_a_sampled_study_writes_the_years_ramps() {
    let text = step_up("").replace(
        "base_utilisation = 0.6\n[facility]",
        "base_utilisation = { dist = \"uniform\", min = 0.5, max = 0.7 }\n[facility]",
    );
    assert!(text.contains("dist = \"uniform\""));
    let (_f, out) = run_quiet(&text, &["--years", "2028"]);
    let (h, rows) = read_csv(&out.join("ramps_2028.csv"));
    let up = row(&rows, "ramp_up_step_mw");
    assert!(num(&up[col(&h, "worst")]) > 0.5, "{up:?}");
    assert!(
        up[col(&h, "worst_at")].starts_with("2028-01-01T00:00:00-06:00"),
        "{up:?}"
    );
}
