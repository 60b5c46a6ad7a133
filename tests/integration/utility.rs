//! The utility package and the interconnection limit.

use dcload::sim::M_FACILITY_PEAK;

use crate::common::*;

/// A twin holding 10 DGX H100 at full load all the time, and a training job on 10 more that
/// runs from day 1 for 12 hours: a load with two known levels.
fn two_level(limit: &str, horizon: u32, start: &str) -> String {
    format!(
        r#"
start = "{start}"
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
duration_days = 0.5
start_days = [1.0]
[facility]
kind = "fixed"
pue = 1.0
{limit}
"#
    )
}

#[test]
fn record_policy_matches_a_hand_computed_case() {
    let sc = scenario(&two_level(
        "[grid]\nimport_limit_mw = 0.15\nlimit_policy = \"record\"",
        48,
        "2025-01-01",
    ));
    let g = &sc.fleet.groups;
    let full = g[0].peak_w() + g[1].peak_w();
    let excess_mw = (full - 0.15e6) / 1e6;
    assert!(
        excess_mw > 0.0 && g[0].peak_w() + g[1].power_w(0.0) < 0.15e6,
        "the case needs two levels"
    );
    for t in trials(&sc) {
        let s = &t.summary;
        assert!(
            (s.exceed_hours - 12.0).abs() < 1e-9,
            "hours {}",
            s.exceed_hours
        );
        assert!(
            (s.exceed_mwh - 12.0 * excess_mw).abs() < 1e-6,
            "MWh {} vs {}",
            s.exceed_mwh,
            12.0 * excess_mw
        );
        assert!((s.exceed_worst_mw - excess_mw).abs() < 1e-9);
    }
}

#[test]
fn cap_policy_never_exceeds_and_never_sheds_defense() {
    let base = std::fs::read_to_string(repo("runs/default.toml"))
        .unwrap()
        .replace("trials = 20", "trials = 2")
        .replace("horizon_hours = 8760", "horizon_hours = 720")
        .replace("step_s = 60 ", "step_s = 300 ");
    let with = |policy: &str| {
        format!("{base}\n[grid]\nimport_limit_mw = 70.0\nlimit_policy = \"{policy}\"\n")
    };
    let cap = scenario(&with("cap"));
    let rec = scenario(&with("record"));
    let (rc, rr) = (trials(&cap), trials(&rec));
    let nm = cap.metrics().len();
    for (c, r) in rc.iter().zip(&rr) {
        assert!(
            r.summary.exceed_hours > 10.0,
            "the limit must bind for the test to mean anything"
        );
        for h in 0..cap.horizon_hours as usize {
            let peak = f64::from(c.hourly[h * nm + M_FACILITY_PEAK]);
            assert!(
                peak <= 70.0 + 1e-3,
                "hour {h}: {peak} MW above the 70 MW cap"
            );
        }
        assert_eq!(c.summary.exceed_hours, 0.0);
        assert!(c.summary.shed_training_acc_h > 0.0);
        // Defense draws exactly what it draws without the cap.
        assert!(
            (c.summary.sector_mwh[3] - r.summary.sector_mwh[3]).abs()
                < 1e-6 * r.summary.sector_mwh[3]
        );
        assert!(c.summary.energy_mwh < r.summary.energy_mwh);
    }
}

#[test]
fn load_8760_has_a_row_per_hour_and_ordered_percentiles() {
    for (start, hours) in [("2025-01-01", 8760), ("2024-01-01", 8784)] {
        let dir = tempfile::tempdir().unwrap();
        let run = two_level("", hours, start).replace("step_s = 300", "step_s = 3600");
        std::fs::write(dir.path().join("r.toml"), run).unwrap();
        let out = dir.path().join("o");
        run_ok(&[
            "run",
            dir.path().join("r.toml").to_str().unwrap(),
            "--quiet",
            "--traces",
            "--percentiles",
            "50,90,99",
            "--out",
            out.to_str().unwrap(),
        ]);
        let (h, rows) = read_csv(&out.join("load_8760.csv"));
        assert_eq!(rows.len(), hours as usize, "{start}");
        let (p50, p90, p99) = (
            col(&h, "facility_mw_p50"),
            col(&h, "facility_mw_p90"),
            col(&h, "facility_mw_p99"),
        );
        for r in &rows {
            let f = |c: usize| r[c].parse::<f64>().unwrap();
            assert!(f(p50) <= f(p90) && f(p90) <= f(p99), "{}", r[0]);
        }
        let (mh, months) = read_csv(&out.join("monthly.csv"));
        assert_eq!(months.len(), 12);
        let hours_col = col(&mh, "hours");
        let total: usize = months
            .iter()
            .map(|m| m[hours_col].parse::<usize>().unwrap())
            .sum();
        assert_eq!(total, hours as usize);
        let (_, ld) = read_csv(&out.join("load_duration.csv"));
        assert_eq!(ld.len(), hours as usize);
        let p50s: Vec<f64> = ld.iter().map(|r| r[1].parse().unwrap()).collect();
        assert!(
            p50s.windows(2).all(|w| w[0] >= w[1]),
            "load duration curve must fall"
        );
        let (th, tr) = read_csv(&out.join("traces/facility_mw.csv"));
        assert_eq!((th.len(), tr.len()), (1 + 3, hours as usize));
    }
}

#[test]
fn monthly_reports_demand_at_system_peak_hours_and_ramps_reach_summary() {
    let dir = tempfile::tempdir().unwrap();
    let run = two_level(
        "[grid]\nsystem_peak_hours = [\"2025-01-02T03:00\", \"2025-01-01T03:00\"]",
        48,
        "2025-01-01",
    );
    std::fs::write(dir.path().join("r.toml"), &run).unwrap();
    let out = dir.path().join("o");
    run_ok(&[
        "run",
        dir.path().join("r.toml").to_str().unwrap(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let (mh, months) = read_csv(&out.join("monthly.csv"));
    let sc = scenario(&run);
    let g = &sc.fleet.groups;
    // 01-02 03:00 is inside the job (day 1, 00:00-12:00), 01-01 03:00 is not: the mean of both.
    let want = (g[0].peak_w() * 2.0 + g[1].peak_w() + g[1].power_w(0.0)) / 2.0 / 1e6;
    let got: f64 = months[0][col(&mh, "system_peak_demand_mw_p50")]
        .parse()
        .unwrap();
    assert!((got - want).abs() < 1e-3, "{got} vs {want}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let jump = (g[1].peak_w() - g[1].power_w(0.0)) / 1e6;
    let up = summary["ramps"]["up_per_step_mw"]["p50"].as_f64().unwrap();
    let down = summary["ramps"]["down_per_step_mw"]["p50"]
        .as_f64()
        .unwrap();
    assert!(
        (up - jump).abs() < 1e-6 && (down - jump).abs() < 1e-6,
        "ramps {up} {down} vs {jump}"
    );
    // Per hour the job's start is one full step of the hour, so the same jump.
    let up_h = summary["ramps"]["up_per_hour_mw"]["p90"].as_f64().unwrap();
    assert!((up_h - jump).abs() < 1e-6);
}

#[test]
fn bad_grid_input_names_the_field() {
    let lib = dcload::model::library::Library::builtin().unwrap();
    for (grid, field) in [
        ("[grid]\nimport_limit_mw = -3.0", "import_limit_mw"),
        (
            "[grid]\nimport_limit_mw = 3.0\nlimit_policy = \"shed\"",
            "limit_policy",
        ),
        (
            "[grid]\nsystem_peak_hours = [\"2025-13-01T10:00\"]",
            "system_peak_hours",
        ),
    ] {
        let text = two_level(grid, 48, "2025-01-01");
        let err = dcload::scenario::Scenario::from_source(
            &dcload::base::error::Source::new("g.toml", text.clone()),
            "g",
            std::path::Path::new("."),
            &lib,
        )
        .unwrap_err()
        .to_string();
        let line = text.lines().position(|l| l.contains(field)).unwrap() + 1;
        assert!(
            err.contains(&format!("g.toml:{line}")) && err.contains(field),
            "{err}"
        );
    }
}

#[test]
fn cap_curtailment_equals_the_energy_the_cap_removes() {
    // What the equality covers: load the cap sheds and that does not come back later. Here the
    // flexible load is a jittery twin and a training job: under a cap twins slow without a
    // backlog and paused training is not made up (the job ends when it would have), so every
    // MWh shed is a MWh not drawn. Consumer requests would be re-queued and partly return, and
    // then curtailed MWh = uncapped - capped energy + the energy that returned. With a fixed
    // PUE, the facility demand the engine estimates before and after shedding is exact.
    let text = |grid: &str| {
        two_level(grid, 72, "2025-01-01")
            .replace(
                "base_utilisation = 1.0",
                "base_utilisation = 0.8\njitter_sd = 0.1\njitter_tau_h = 1.0",
            )
            .replace("pue = 1.0", "pue = 1.3")
    };
    let free = scenario(&text(""));
    let capped = scenario(&text(
        "[grid]\nimport_limit_mw = 0.2\nlimit_policy = \"cap\"",
    ));
    let nm = capped.metrics().len();
    let shed = capped
        .metric_pos(dcload::sim::M_SHED)
        .expect("a shed_mw column under a cap");
    for (c, f) in trials(&capped).iter().zip(&trials(&free)) {
        let s = &c.summary;
        assert!(
            s.curtailed_mwh > 0.2,
            "the cap must bind: {}",
            s.curtailed_mwh
        );
        let removed = f.summary.energy_mwh - s.energy_mwh;
        assert!(
            (s.curtailed_mwh - removed).abs() < 1e-6 * removed,
            "curtailed {} MWh vs uncapped - capped {removed} MWh",
            s.curtailed_mwh
        );
        // The hourly shed_mw column integrates to the same energy; hours and the largest MW agree.
        let hourly: Vec<f64> = (0..72)
            .map(|h| f64::from(c.hourly[h * nm + shed]))
            .collect();
        let mwh: f64 = hourly.iter().sum();
        assert!((mwh - s.curtailed_mwh).abs() < 1e-4 * s.curtailed_mwh);
        let hours_with = hourly.iter().filter(|x| **x > 0.0).count() as f64;
        assert!(s.curtailed_hours > 0.0 && s.curtailed_hours <= hours_with + 1e-9);
        let max_hour = hourly.iter().copied().fold(0.0, f64::max);
        assert!(s.curtailed_max_mw >= max_hour - 1e-6);
    }
    // And through the binary: the shed_mw band in hourly.csv and the figures in summary.json.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.toml"),
        text("[grid]\nimport_limit_mw = 0.2\nlimit_policy = \"cap\""),
    )
    .unwrap();
    let out = dir.path().join("o");
    run_ok(&[
        "run",
        dir.path().join("c.toml").to_str().unwrap(),
        "--quiet",
        "--no-plots",
        "--out",
        out.to_str().unwrap(),
    ]);
    let (h, _) = read_csv(&out.join("hourly.csv"));
    for b in ["mean", "p10", "p50", "p90"] {
        col(&h, &format!("shed_mw_{b}"));
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    for k in ["curtailed_hours", "curtailed_mwh", "curtailed_max_mw"] {
        assert!(summary["metrics"][k]["p50"].as_f64().unwrap() > 0.0, "{k}");
    }
}
