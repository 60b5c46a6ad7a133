//! Uncertain parameters: distributions in the run file, sampled per trial.

use crate::common::*;

fn default_with(a: &str, b: &str) -> String {
    // The default study with its own distributions held at their nominal values, so the
    // parameter under test is the only uncertain one.
    let text = default_nominal();
    assert!(text.contains(a));
    text.replacen(a, b, 1)
        .replace("horizon_hours = 8760", "horizon_hours = 720")
        .replace("step_s = 60 ", "step_s = 300 ")
}

#[test]
fn sampled_parameters_are_columns_reproducible_per_trial() {
    let dir = tempfile::tempdir().unwrap();
    let run = default_with(
        "design_margin = 1.2",
        "design_margin = { dist = \"triangular\", min = 0.9, mode = 1.2, max = 1.5 }",
    )
    .replacen(
        "requests_per_day = 1.0e8",
        "requests_per_day = { dist = \"uniform\", min = 5.0e7, max = 1.5e8 }",
        1,
    );
    std::fs::write(dir.path().join("u.toml"), run).unwrap();
    let rows = |trials: &str, threads: &str| {
        let out = dir.path().join(format!("o{trials}{threads}"));
        run_ok(&[
            "run",
            dir.path().join("u.toml").to_str().unwrap(),
            "--trials",
            trials,
            "--threads",
            threads,
            "--quiet",
            "--no-plots",
            "--out",
            out.to_str().unwrap(),
        ]);
        read_csv(&out.join("trials.csv"))
    };
    let (h, six) = rows("6", "2");
    let (rpd, dm) = (
        col(&h, "consumer[0].requests_per_day"),
        col(&h, "facility.design_margin"),
    );
    for r in &six {
        let (a, b): (f64, f64) = (r[rpd].parse().unwrap(), r[dm].parse().unwrap());
        assert!(
            (5.0e7..=1.5e8).contains(&a) && (0.9..=1.5).contains(&b),
            "{a} {b}"
        );
    }
    assert!(six[0][rpd] != six[1][rpd], "trials draw different values");
    // Trial i's draws depend on (seed, i) alone: not on the number of trials or threads.
    let (_, three) = rows("3", "1");
    for i in 0..3 {
        assert_eq!(three[i], six[i], "trial {i}");
    }
}

#[test]
fn a_parameter_that_does_not_touch_randomness_leaves_the_random_draws_alone() {
    // Common random numbers: two designs that differ only in the plant margin see the same
    // requests, the same jitter, the same jobs.
    let a = scenario(&default_with("design_margin = 1.2", "design_margin = 1.1"));
    let b = scenario(&default_with("design_margin = 1.2", "design_margin = 1.6"));
    for (x, y) in trials(&a).iter().zip(&trials(&b)) {
        assert_eq!(x.summary.requests_served, y.summary.requests_served);
        assert_eq!(
            x.summary.training_jobs_completed,
            y.summary.training_jobs_completed
        );
        assert_eq!(x.summary.sector_mwh[1], y.summary.sector_mwh[1]);
        assert!(
            x.summary.cooling_mwh != y.summary.cooling_mwh,
            "the parameter must matter"
        );
    }
}

#[test]
fn bad_distributions_name_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    for (spec, field) in [
        ("{ dist = \"uniform\", min = 2.0, max = 1.0 }", "min"),
        ("{ dist = \"weibull\", k = 2.0 }", "dist"),
        ("{ dist = \"normal\", mean = 1.2, sd = -0.1 }", "sd"),
    ] {
        let run = default_with("design_margin = 1.2", &format!("design_margin = {spec}"));
        let line = run
            .lines()
            .position(|l| l.starts_with("design_margin"))
            .unwrap()
            + 1;
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, &run).unwrap();
        let out = dcload()
            .args(["validate", path.to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && !err.contains("panicked"));
        assert!(
            err.contains(&format!("bad.toml:{line}")) && err.contains(&format!("`{field}`")),
            "{err}"
        );
    }
}

#[test]
fn sensitivity_ranks_the_dominant_assumption_first() {
    // Chat volume varies by a factor of three; the plant margin hardly changes the energy.
    let dir = tempfile::tempdir().unwrap();
    let run = default_with(
        "design_margin = 1.2",
        "design_margin = { dist = \"uniform\", min = 1.15, max = 1.25 }",
    )
    .replacen(
        "requests_per_day = 1.0e8",
        "requests_per_day = { dist = \"uniform\", min = 5.0e7, max = 1.5e8 }",
        1,
    ) + "\n[grid]\nimport_limit_mw = 75.0\n";
    std::fs::write(dir.path().join("s.toml"), run).unwrap();
    let out = dir.path().join("o");
    run_ok(&[
        "run",
        dir.path().join("s.toml").to_str().unwrap(),
        "--trials",
        "16",
        "--quiet",
        "--no-plots",
        "--out",
        out.to_str().unwrap(),
    ]);
    let (h, rows) = read_csv(&out.join("sensitivity.csv"));
    assert_eq!(
        rows[0][col(&h, "parameter")],
        "consumer[0].requests_per_day"
    );
    let rho: f64 = rows[0][col(&h, "rho_energy")].parse().unwrap();
    assert!(rho > 0.9, "rho {rho}");
    assert!(
        !rows[0][col(&h, "rho_exceed_hours")].is_empty(),
        "with a limit, hours above it are ranked too"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["sensitivity"][0]["parameter"],
        "consumer[0].requests_per_day"
    );
}

#[test]
fn a_sweep_runs_every_variant_on_common_random_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let run = default_with("design_margin = 1.2", "design_margin = 1.2")
        + "\n[sweep]\n\"facility.design_margin\" = [1.0, 1.4]\n\"consumer[0].requests_per_day\" = [5.0e7, 1.5e8]\n";
    std::fs::write(dir.path().join("sw.toml"), run).unwrap();
    let out = dir.path().join("o");
    run_ok(&[
        "run",
        dir.path().join("sw.toml").to_str().unwrap(),
        "--trials",
        "3",
        "--quiet",
        "--no-plots",
        "--out",
        out.to_str().unwrap(),
    ]);
    let (h, rows) = read_csv(&out.join("variants.csv"));
    assert_eq!(rows.len(), 4, "2 x 2 variants");
    let dm = col(&h, "facility.design_margin");
    let rpd = col(&h, "consumer[0].requests_per_day");
    // Variants that differ only in the plant margin see the same requests in every trial.
    let served = |k: usize| {
        let (th, tr) = read_csv(&out.join(format!("variant-{k:02}/trials.csv")));
        let c = col(&th, "requests_served");
        tr.iter().map(|r| r[c].clone()).collect::<Vec<_>>()
    };
    for a in 0..4 {
        for b in 0..4 {
            if rows[a][rpd] == rows[b][rpd] && rows[a][dm] != rows[b][dm] {
                assert_eq!(served(a), served(b), "variants {a} and {b}");
            }
        }
    }
    let e = |k: usize| rows[k][col(&h, "energy_mwh_mean")].parse::<f64>().unwrap();
    let more = (0..4).find(|&k| rows[k][rpd] == "150000000").unwrap();
    let less = (0..4).find(|&k| rows[k][rpd] == "50000000").unwrap();
    assert!(e(more) > e(less));
}

#[test]
fn model_files_may_hold_distributions_too() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::write(
        models.join("servers.toml"),
        "[[server]]\nname = \"DGX-H100\"\naccelerator = \"H100-SXM\"\naccelerators = 8\nhost_idle_w = 1400.0\n\
         host_max_w = { dist = \"uniform\", min = 3600.0, max = 5600.0 }\n",
    )
    .unwrap();
    let run = default_with("design_margin = 1.2", "design_margin = 1.2");
    std::fs::write(dir.path().join("r.toml"), run).unwrap();
    let out = dir.path().join("o");
    run_ok(&[
        "run",
        dir.path().join("r.toml").to_str().unwrap(),
        "--models",
        models.to_str().unwrap(),
        "--trials",
        "4",
        "--quiet",
        "--no-plots",
        "--out",
        out.to_str().unwrap(),
    ]);
    let (h, rows) = read_csv(&out.join("trials.csv"));
    let c = h
        .iter()
        .position(|x| x.ends_with("servers.toml:server[0].host_max_w"))
        .expect("a column for the model parameter");
    let v: Vec<f64> = rows.iter().map(|r| r[c].parse().unwrap()).collect();
    assert!(v.iter().all(|x| (3600.0..=5600.0).contains(x)) && v[0] != v[1]);
    // Higher host power, more energy: the sampled value reaches the engine.
    let e: Vec<f64> = rows
        .iter()
        .map(|r| r[col(&h, "energy_mwh")].parse().unwrap())
        .collect();
    let (lo, hi) = if v[0] < v[1] { (0, 1) } else { (1, 0) };
    assert!(e[hi] > e[lo]);
    // A bad distribution in a model file names that file, its line and the field.
    std::fs::write(
        models.join("servers.toml"),
        "[[server]]\nname = \"DGX-H100\"\naccelerator = \"H100-SXM\"\naccelerators = 8\nhost_idle_w = 1400.0\n\
         host_max_w = { dist = \"uniform\", min = 5600.0, max = 3600.0 }\n",
    )
    .unwrap();
    let out = dcload()
        .args(["models", "--models", models.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("servers.toml:6") && err.contains("`min`"),
        "{err}"
    );
}

/// A study with distributions whose correlations are undefined (one trial, or an input that
/// never moves the figure) still writes every file: an undefined rank correlation is an empty
/// field, never NaN, and never a reason to lose the trials (found by a planner's review).
#[test]
fn undefined_correlations_are_empty_fields_not_a_lost_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = std::fs::read_to_string(repo("runs/default.toml"))
        .unwrap()
        .replace("horizon_hours = 8760", "horizon_hours = 24")
        .replace("step_s = 60 ", "step_s = 900 ");
    let path = dir.path().join("d.toml");
    std::fs::write(&path, run).unwrap();
    let out = dir.path().join("o");
    run_ok(&[
        "run",
        path.to_str().unwrap(),
        "--trials",
        "1",
        "--quiet",
        "--no-plots",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(out.join("sensitivity.csv")).unwrap();
    let row = text.lines().nth(1).expect("a parameter row");
    assert!(row.ends_with(",,,"), "one trial: no correlation: {row}");
    assert!(!text.contains("NaN"));
    assert!(out.join("trials.csv").exists() && out.join("summary.json").exists());
}

/// A distribution on a count of racks samples whole racks (rounded), so a study that validates
/// also runs.
#[test]
fn a_distribution_on_a_rack_count_samples_whole_racks() {
    let run = default_with("design_margin = 1.2", "design_margin = 1.2").replacen(
        "count = 1000",
        "count = { dist = \"uniform\", min = 900, max = 1100 }",
        1,
    );
    assert!(
        run.contains("min = 900"),
        "the default study has a group of 1,000 racks"
    );
    let sc = scenario(&run);
    for trial in 0..4 {
        let (t, params) = sc.for_trial(trial).unwrap();
        let racks = params[0];
        assert_eq!(racks, racks.round(), "trial {trial}: {racks}");
        assert!((900.0..=1100.0).contains(&racks));
        assert_eq!(t.fleet.groups[0].racks, racks);
    }
}
