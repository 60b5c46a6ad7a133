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

/// A small fixed-PUE campus whose first group is a rack type, with an uncertain request rate.
const RACKS: &str = r#"
horizon_hours = 48
step_s = 300
trials = 5
[site]
[[site.group]]
name = "inf"
rack = "dgx-h100-x4"
count = 10
[[site.group]]
name = "tw"
server = "DGX-H100"
count = 5
[[consumer]]
name = "chat"
preset = "chat"
pool = "inf"
requests_per_day = { dist = "uniform", min = 1.0e5, max = 3.0e5 }
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

fn run_sweep(text: &str) -> (tempfile::TempDir, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.toml"), text).unwrap();
    let out = dcload()
        .args([
            "run",
            dir.path().join("r.toml").to_str().unwrap(),
            "--quiet",
            "--no-plots",
            "--out",
            dir.path().join("o").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    (dir, out)
}

#[test]
fn a_sweep_over_a_rack_type_writes_one_variant_per_type() {
    let types = ["dgx-h100-x4", "dgx-a100-x4", "dgx-h100-x8-liquid"];
    let text = format!(
        "{RACKS}\n[sweep]\n\"site.group[0].rack\" = [\"{}\", \"{}\", \"{}\"]\n",
        types[0], types[1], types[2]
    );
    let (dir, out) = run_sweep(&text);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let o = dir.path().join("o");
    let (h, rows) = read_csv(&o.join("variants.csv"));
    assert_eq!(rows.len(), types.len());
    let lib = dcload::model::library::Library::builtin().unwrap();
    let server_w = |name: &str| lib.server_peak_w(lib.server(name).unwrap());
    let twins_w = 5.0 * server_w("DGX-H100");
    let mut peaks = Vec::new();
    for (k, t) in types.iter().enumerate() {
        assert_eq!(rows[k][col(&h, "site.group[0].rack")], *t);
        let rack = lib.rack(t).unwrap();
        let want_mw =
            (10.0 * f64::from(rack.servers) * server_w(rack.server.get_ref()) + twins_w) / 1e6;
        let summary: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(o.join(format!("variant-{k:02}/summary.json"))).unwrap(),
        )
        .unwrap();
        let got = summary["installed_it_peak_mw"].as_f64().unwrap();
        assert!(
            (got - want_mw).abs() < 1e-9,
            "{t}: {got} MW vs {want_mw} MW"
        );
        // The variant's trials ran on that rack: its peak demand stays under it x PUE.
        let peak: f64 = rows[k][col(&h, "peak_mw_mean")].parse().unwrap();
        assert!(peak > 0.0 && peak <= want_mw * 1.2 + 1e-6, "{t}: {peak}");
        peaks.push(got);
    }
    // The library's three types differ: 4 x 10.2 kW, 4 x 6.5 kW, 8 x 10.2 kW per rack.
    assert!(peaks[1] < peaks[0] && peaks[0] < peaks[2], "{peaks:?}");
}

#[test]
fn a_sweep_to_an_unknown_name_names_the_variant_and_the_field() {
    let text =
        format!("{RACKS}\n[sweep]\n\"site.group[0].rack\" = [\"dgx-h100-x4\", \"no-such-rack\"]\n");
    let (_dir, out) = run_sweep(&text);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("r.toml:8")
            && err.contains("rack")
            && err.contains("no-such-rack")
            && err.contains("sweep variant 1"),
        "{err}"
    );
}

#[test]
fn variants_csv_bands_every_trials_csv_figure() {
    let text = format!("{RACKS}\n[sweep]\n\"facility.pue\" = [1.1, 1.3]\n");
    let (dir, out) = run_sweep(&text);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let o = dir.path().join("o");
    let (h, rows) = read_csv(&o.join("variants.csv"));
    assert_eq!(rows.len(), 2);
    for (k, row) in rows.iter().enumerate() {
        let (th, tr) = read_csv(&o.join(format!("variant-{k:02}/trials.csv")));
        assert!(th.len() > 20 && th.contains(&"consumer[0].requests_per_day".to_string()));
        for (c, name) in th.iter().enumerate().skip(1) {
            for suffix in ["mean", "p10", "p50", "p90"] {
                col(&h, &format!("{name}_{suffix}"));
            }
            let values: Vec<f64> = tr.iter().map(|r| r[c].parse().unwrap()).collect();
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            let got: f64 = row[col(&h, &format!("{name}_mean"))].parse().unwrap();
            // trials.csv rounds each trial; the mean of the rounded values is within half a
            // last digit of the mean variants.csv writes.
            let tol = 1e-9 + 0.5 * 10f64.powi(-(decimals(&tr[0][c]) as i32));
            assert!(
                (got - mean).abs() <= tol,
                "variant {k} {name}: {got} vs {mean}"
            );
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let p50: f64 = row[col(&h, &format!("{name}_p50"))].parse().unwrap();
            assert!(p50 >= lo - tol && p50 <= hi + tol, "{name} p50 {p50}");
        }
    }
}

fn decimals(field: &str) -> usize {
    field.split_once('.').map_or(0, |(_, d)| d.len())
}
