//! "What broke first" and the ramps a grid operator reads.

use crate::common::*;
use dcload::base::time::SimTime;

/// The heat-wave study, shortened to 10 days around its July heat wave (day 191, 10 July):
/// the plant saturates, and its worst hour falls in July.
#[test]
fn heatwave_reports_plant_saturation_with_a_worst_hour_in_july() {
    let text = std::fs::read_to_string(repo("runs/heatwave-stress.toml")).unwrap();
    let text = text
        .replace("start = \"2025-01-01\"", "start = \"2025-07-08\"")
        .replace("horizon_hours = 8760", "horizon_hours = 240")
        .replace("trials = 20", "trials = 1");
    assert!(text.contains("horizon_hours = 240") && text.contains("2025-07-08"));
    let sc = scenario(&text);
    let r = trials(&sc);
    let s = &r[0].summary;
    assert!(s.plant_saturated_hours > 0.0, "{}", s.plant_saturated_hours);
    assert!(s.plant_saturated_worst_mwh > 0.0);
    assert!(s.plant_saturated_first_at_s >= 0.0);
    assert!(s.plant_saturated_worst_at_s >= s.plant_saturated_first_at_s - 3600.0);
    let worst = sc
        .calendar
        .timestamp(SimTime(s.plant_saturated_worst_at_s as u64));
    assert!(worst.starts_with("2025-07-"), "worst hour {worst}");
    let lines = dcload::report::what_broke::what_broke(&sc, &r);
    assert!(
        lines.iter().any(|l| l.contains("cooling plant saturated")),
        "{lines:?}"
    );
}

const SMALL_POOL: &str = r#"
name = "small-pool"
start = "2025-01-01"
horizon_hours = 48
step_s = 60
trials = 2
[[site.group]]
name = "hall"
server = "DGX-H100"
count = 1
[[consumer]]
name = "chat"
preset = "chat"
pool = "hall"
requests_per_day = 1.0e8
[facility]
kind = "fixed"
pue = 1.2
"#;

/// One server against 1e8 requests a day drops work: hours dropping, the worst hour's count
/// (which is at most the trial's total and whose hour is one of the hours dropping).
#[test]
fn a_pool_with_too_little_capacity_reports_dropping_hours_and_the_worst_hour() {
    let sc = scenario(SMALL_POOL);
    let r = trials(&sc);
    for t in &r {
        let s = &t.summary;
        assert!(s.requests_dropped > 0.0);
        assert!(
            s.drop_hours > 0.0 && s.drop_hours <= 48.0,
            "{}",
            s.drop_hours
        );
        assert!(s.drop_worst_hour_requests > 0.0);
        assert!(s.drop_worst_hour_requests <= s.requests_dropped);
        assert!(s.drop_worst_hour_requests * s.drop_hours >= s.requests_dropped);
        assert!((0.0..48.0 * 3600.0).contains(&s.drop_worst_at_s));
        assert_eq!(s.drop_worst_at_s % 3600.0, 0.0, "an hour's start");
        assert!(s.drop_first_at_s >= 0.0 && s.drop_first_at_s < s.drop_worst_at_s + 3600.0);
    }
    let lines = dcload::report::what_broke::what_broke(&sc, &r);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[1].contains("requests dropped") && lines[1].contains("worst 2025-01-0"));
}

const CALM: &str = r#"
name = "calm"
start = "2025-01-01"
horizon_hours = 24
step_s = 60
trials = 1
[[site.group]]
name = "train"
server = "DGX-H100"
count = 12
[[training]]
name = "run"
pool = "train"
accelerators = 96
watts_per_accelerator = 1100.0
duration_days = 3
start_days = [0]
[facility]
kind = "fixed"
pue = 1.25
"#;

/// Nothing breaks: no block on the console; a pool that drops prints it.
#[test]
fn the_console_prints_what_broke_only_when_something_did() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, block) in [("calm", CALM, false), ("small", SMALL_POOL, true)] {
        let f = dir.path().join(format!("{name}.toml"));
        std::fs::write(&f, text).unwrap();
        let out = dir.path().join(name);
        let o = run_ok(&["run", f.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.contains("what broke first"), block, "{name}: {err}");
        let (h, _) = read_csv(&out.join("trials.csv"));
        assert!(h.iter().any(|c| c == "ramp_steps_over_1mw"));
        assert_eq!(h.iter().any(|c| c == "drop_hours"), block);
    }
}

/// 240 DGX H100 (1,920 accelerators) idle until a job at 1,100 W per accelerator takes them
/// all at 06:00 (day 0.25) at fixed PUE 1.25: one step change from idle to 1.25 x 2.112 MW =
/// 2.64 MW, more than 1 MW and less than 5 MW, so counted once above 1 MW and never above
/// 5 MW; the worst rise is at 06:00 (step, 15-minute interval and hour); nothing falls.
#[test]
fn a_step_change_gives_the_worst_rise_at_its_timestamp_and_one_count() {
    let sc = scenario(
        r#"
name = "step"
start = "2025-01-01"
horizon_hours = 12
step_s = 60
trials = 1
[[site.group]]
name = "train"
server = "DGX-H100"
count = 240
[[training]]
name = "run"
pool = "train"
accelerators = 1920
watts_per_accelerator = 1100.0
duration_days = 3
start_days = [0.25]
[facility]
kind = "fixed"
pue = 1.25
"#,
    );
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
    let text = r#"
name = "step"
start = "2025-01-01"
horizon_hours = 12
step_s = 60
trials = 1
[[site.group]]
name = "train"
server = "DGX-H100"
count = 240
[[training]]
name = "run"
pool = "train"
accelerators = 1920
watts_per_accelerator = 1100.0
duration_days = 3
start_days = [0.25]
[facility]
kind = "fixed"
pue = 1.25
[grid]
ramp_thresholds_mw = [0.5, 2.7]
"#;
    let sc = scenario(text);
    let s = trials(&sc)[0].summary.clone();
    assert_eq!(s.ramp_steps_over, [1.0, 0.0]);
    assert_eq!(s.ramp_15min_over, [1.0, 0.0]);

    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("step.toml");
    std::fs::write(&f, text).unwrap();
    let out = dir.path().join("out");
    run_ok(&[
        "run",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-plots",
    ]);
    let (h, rows) = read_csv(&out.join("trials.csv"));
    let col = |n: &str| {
        h.iter()
            .position(|c| c == n)
            .unwrap_or_else(|| panic!("{n} in {h:?}"))
    };
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
        let g = dir.path().join("bad.toml");
        std::fs::write(&g, &t).unwrap();
        let o = dcload()
            .args(["validate", g.to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{bad} accepted");
        let line = t
            .lines()
            .position(|l| l.contains("ramp_thresholds_mw"))
            .unwrap()
            + 1;
        assert!(
            err.contains(&format!("bad.toml:{line}")) && err.contains("`ramp_thresholds_mw`"),
            "{bad}: {err}"
        );
    }
}
