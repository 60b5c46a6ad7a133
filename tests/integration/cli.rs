//! The commands through the binary: `run` of the default study end to end, and what
//! `validate` and `models` print (the resolved study, the per-trial estimate and limits, the
//! study's warnings, which `run` and summary.json repeat).

use crate::common::*;

#[test]
fn default_run_writes_a_year_of_ordered_bands() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    run_ok(&[
        "run",
        "--trials",
        "3",
        "--quiet",
        "--no-plots",
        "--out",
        arg(&out),
    ]);
    let (h, rows) = read_csv(&out.join("hourly.csv"));
    assert_eq!(rows.len(), 8760, "one row per hour of 2025");
    assert_eq!(h[0], "timestamp");
    for m in [
        "it_consumer_mw",
        "it_industrial_mw",
        "it_training_mw",
        "it_defense_mw",
        "it_total_mw",
        "facility_mw",
        "facility_peak_mw",
        "requests_served",
        "requests_dropped",
        // The default facility is physical: PUE, cooling and water are outputs.
        "cooling_mw",
        "losses_mw",
        "pue",
        "water_onsite_m3",
        "water_offsite_m3",
        "outdoor_drybulb_c",
        "outdoor_wetbulb_c",
        "inlet_max_c",
        "throttled_acc_h",
        // Plant saturation (issue 9).
        "heat_not_removed_mw",
        "plant_saturated_h",
    ] {
        for b in ["mean", "p10", "p50", "p90"] {
            col(&h, &format!("{m}_{b}"));
        }
    }
    // 18 metrics, the plant's saturation and heat not removed (issue 9) and the unheld idle
    // (issue 8), each with mean and three percentiles.
    col(&h, "it_idle_unallocated_mw_mean");
    assert_eq!(h.len(), 1 + 21 * 4);
    // The default study's clock is UTC-5 from 2025-01-01.
    assert_eq!(rows[0][0], "2025-01-01T00:00:00-05:00");
    assert_eq!(rows[1][0], "2025-01-01T01:00:00-05:00");
    assert_eq!(rows[8759][0], "2025-12-31T23:00:00-05:00");
    let f = |r: &Vec<String>, c: usize| r[c].parse::<f64>().unwrap();
    // The four sectors and the idle nobody holds (issue 8) add up to IT.
    let sectors: Vec<usize> = [
        "consumer",
        "industrial",
        "training",
        "defense",
        "idle_unallocated",
    ]
    .iter()
    .map(|s| col(&h, &format!("it_{s}_mw_mean")))
    .collect();
    let total = col(&h, "it_total_mw_mean");
    let fac = col(&h, "facility_mw_mean");
    let peak = col(&h, "facility_peak_mw_mean");
    for r in &rows {
        // Bands ordered for every metric.
        for m in 0..21 {
            let c = 1 + 4 * m;
            let (p10, p50, p90) = (f(r, c + 1), f(r, c + 2), f(r, c + 3));
            assert!(
                p10 <= p50 && p50 <= p90,
                "{}: bands out of order in column {}",
                r[0],
                h[c]
            );
        }
        // Sector means add up to the total (each printed to 4 decimals).
        let s: f64 = sectors.iter().map(|&c| f(r, c)).sum();
        assert!(
            (s - f(r, total)).abs() < 1e-3,
            "{}: sectors {s} vs total {}",
            r[0],
            f(r, total)
        );
        assert!(f(r, fac) >= f(r, total));
        // Energy balance of the means: facility = IT + cooling + losses.
        let (c, l) = (
            f(r, col(&h, "cooling_mw_mean")),
            f(r, col(&h, "losses_mw_mean")),
        );
        assert!(
            (f(r, fac) - f(r, total) - c - l).abs() < 2e-3,
            "{}: balance",
            r[0]
        );
        assert!(f(r, col(&h, "pue_p10")) >= 1.0);
        assert!(f(r, peak) >= f(r, fac) - 1e-3);
        // All four sectors draw power in every hour of the default campus.
        assert!(sectors.iter().all(|&c| f(r, c) > 0.0));
    }
    let (th, trows) = read_csv(&out.join("trials.csv"));
    assert_eq!(trows.len(), 3);
    let e = col(&th, "energy_mwh");
    for r in &trows {
        let mwh: f64 = r[e].parse().unwrap();
        // A ~100 MW campus: between 40 % and 100 % load factor on 100 MW.
        assert!((350_000.0..876_000.0).contains(&mwh), "annual energy {mwh}");
    }
    let summary = summary_json(&out);
    assert_eq!(summary["trials"], 3);
    assert_eq!(summary["seed"], 42);
    assert!(summary["metrics"]["energy_mwh"]["p50"].as_f64().unwrap() > 0.0);
    assert!(summary["config"]["site"]["group"].is_array());
    assert_eq!(summary["dcload_version"], env!("CARGO_PKG_VERSION"));
}

/// run_info.json splits the run's wall time into the trials, the bands across them and the
/// writing, so a slow run says where to look (issue 20); it is listed where it always was in
/// the console's "wrote" lines (before classes.csv) though it is written last.
#[test]
fn run_info_splits_the_wall_time_into_simulate_aggregate_and_write() {
    let f = RunFile::new(
        "name = \"t\"\nhorizon_hours = 48\n[[site.group]]\nname = \"g\"\nserver = \"DGX-H100\"\ncount = 2\n[[consumer]]\nname = \"c\"\npreset = \"chat\"\npool = \"g\"\nrequests_per_day = 1e4\n[facility]\nkind = \"fixed\"\npue = 1.2\n",
    );
    let (out, o) = f.run("o", &["--trials", "2", "--no-plots"]);
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run_info.json")).unwrap()).unwrap();
    for k in ["wall_time_s", "aggregate_s", "write_s"] {
        let v = info[k].as_f64().unwrap_or(-1.0);
        assert!((0.0..600.0).contains(&v), "{k} = {v} in {info}");
    }
    // Each trial's CPU time on its thread, the trial alone, where the platform has the clock.
    let cpu = &info["trial_cpu_ms"];
    if cfg!(all(target_os = "linux", target_env = "gnu")) {
        assert_eq!(cpu["trials"], 2, "{info}");
        let by: Vec<f64> = (cpu["by_trial"].as_array().unwrap().iter())
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert_eq!(by.len(), 2, "{info}");
        let (lo, hi) = (by[0].min(by[1]), by[0].max(by[1]));
        assert!(lo > 0.0 && hi < 600_000.0, "{info}");
        let at = |k: &str| cpu[k].as_f64().unwrap();
        assert_eq!((at("min"), at("max")), (lo, hi), "{info}");
        assert!((at("mean") - (by[0] + by[1]) / 2.0).abs() < 2e-3, "{info}");
        // A trial alone takes no longer on its thread than the run's trials took on the clock.
        assert!(
            hi <= info["wall_time_s"].as_f64().unwrap() * 1e3 + 2.0,
            "{info}"
        );
    } else {
        assert!(cpu.is_null(), "{info}");
    }
    let wrote: Vec<String> = stderr(&o)
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("wrote ")
                .map(|p| p.rsplit('/').next().unwrap().to_string())
        })
        .collect();
    let at = |n: &str| wrote.iter().position(|w| w == n).unwrap_or(usize::MAX);
    assert!(at("load_duration.csv") < at("run_info.json"), "{wrote:?}");
    assert_eq!(at("run_info.json") + 1, at("classes.csv"), "{wrote:?}");
}

#[test]
fn validate_and_models_list_what_they_resolved() {
    let s = stdout(&run_ok(&["validate", arg(&repo("runs/default.toml"))]));
    assert_says(&s, &["installed IT peak", "OK"]);
    let s = stdout(&run_ok(&["models"]));
    for name in [
        "H100-SXM",
        "B200",
        "Dojo-D1",
        "DGX-H100",
        "OVX-L40S",
        "Dojo-Tile",
        "chat",
    ] {
        assert!(s.contains(name), "models listing lacks {name}");
    }
}

#[test]
fn validate_prints_the_per_trial_estimate_and_limits() {
    let s = stdout(&run_ok(&["validate", arg(&repo("runs/default.toml"))]));
    assert_says(&s, &["per trial: 525600 steps", "limits:"]);
}

#[test]
fn validate_counts_interval_means_in_the_per_trial_memory() {
    // A year of 1-minute intervals: two f64 a minute, 8.4 MB a trial (the estimate said 4 MiB;
    // a running trial measured 12.4 MiB).
    let default = std::fs::read_to_string(repo("runs/default.toml")).unwrap();
    let f = RunFile::new(&format!("{default}\n[report]\ninterval_minutes = 1\n"));
    let s = stdout(&run_ok(&["validate", f.arg()]));
    assert_says(&s, &["per trial: 525600 steps", "about 14 MiB"]);
}

const TRAINING: &str = r#"
horizon_hours = 24
step_s = STEP
trials = 1
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
    for (step, flagged) in [("3600", true), ("300", false), ("60", false)] {
        let f = RunFile::new(&TRAINING.replace("STEP", step));
        let said = stdout(&run_ok(&["validate", f.arg()]));
        assert_eq!(
            said.contains("warning: training \"job\": checkpoints of 5 min every 60 min"),
            flagged,
            "step {step}: {said}"
        );
        let (o, res) = f.run("o", &["--quiet", "--no-plots"]);
        let err = stderr(&res);
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
