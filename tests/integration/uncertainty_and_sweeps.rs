//! Uncertain parameters and sweeps: distributions in the run file and the model files, sampled
//! per trial on common random numbers; sweeps that run every variant, checked before any runs.

use crate::common::*;

const DM: &str = "design_margin = 1.2";
const RPD: &str = "requests_per_day = 1.0e8";
const RPD_UNIFORM: &str = "requests_per_day = { dist = \"uniform\", min = 5.0e7, max = 1.5e8 }";

#[test]
fn sampled_parameters_are_columns_reproducible_per_trial() {
    let f = RunFile::new(
        &default_with(
            DM,
            "design_margin = { dist = \"triangular\", min = 0.9, mode = 1.2, max = 1.5 }",
        )
        .replacen(RPD, RPD_UNIFORM, 1),
    );
    let rows = |trials: &str, threads: &str| {
        let flags = [
            "--trials",
            trials,
            "--threads",
            threads,
            "--quiet",
            "--no-plots",
        ];
        let (out, _) = f.run(&format!("o{trials}{threads}"), &flags);
        read_csv(&out.join("trials.csv"))
    };
    let (h, six) = rows("6", "2");
    let (rpd, dm) = (
        col(&h, "consumer[0].requests_per_day"),
        col(&h, "facility.design_margin"),
    );
    for r in &six {
        let (a, b) = (num(&r[rpd]), num(&r[dm]));
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
    let a = scenario(&default_with(DM, "design_margin = 1.1"));
    let b = scenario(&default_with(DM, "design_margin = 1.6"));
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
    for (spec, field) in [
        ("{ dist = \"uniform\", min = 2.0, max = 1.0 }", "min"),
        ("{ dist = \"weibull\", k = 2.0 }", "dist"),
        ("{ dist = \"normal\", mean = 1.2, sd = -0.1 }", "sd"),
    ] {
        let run = default_with(DM, &format!("design_margin = {spec}"));
        refused_at(&run, "design_margin =", field);
    }
}

#[test]
fn a_sweep_runs_every_variant_on_common_random_numbers() {
    let run = default_with(DM, DM)
        + "\n[sweep]\n\"facility.design_margin\" = [1.0, 1.4]\n\"consumer[0].requests_per_day\" = [5.0e7, 1.5e8]\n";
    let (_f, out) = run_quiet(&run, &["--trials", "3"]);
    let (h, rows) = read_csv(&out.join("variants.csv"));
    assert_eq!(rows.len(), 4, "2 x 2 variants");
    let dm = col(&h, "facility.design_margin");
    let rpd = col(&h, "consumer[0].requests_per_day");
    // Variants that differ only in the plant margin see the same requests in every trial.
    let served = |k: usize| {
        column(
            &out.join(format!("variant-{k:02}/trials.csv")),
            "requests_served",
        )
    };
    for a in 0..4 {
        for b in 0..4 {
            if rows[a][rpd] == rows[b][rpd] && rows[a][dm] != rows[b][dm] {
                assert_eq!(served(a), served(b), "variants {a} and {b}");
            }
        }
    }
    let e = |k: usize| num(&rows[k][col(&h, "energy_mwh_mean")]);
    let more = (0..4).find(|&k| rows[k][rpd] == "150000000").unwrap();
    let less = (0..4).find(|&k| rows[k][rpd] == "50000000").unwrap();
    assert!(e(more) > e(less));
}

/// A DGX H100 whose host draws `host_max_w` at most.
fn servers_toml(host_max_w: &str) -> String {
    format!(
        "[[server]]\nname = \"DGX-H100\"\naccelerator = \"H100-SXM\"\naccelerators = 8\nhost_idle_w = 1400.0\n\
         host_max_w = {host_max_w}\n"
    )
}

#[test]
fn model_files_may_hold_distributions_too() {
    let f = RunFile::new(&default_with(DM, DM));
    let models = f.join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::write(
        models.join("servers.toml"),
        servers_toml("{ dist = \"uniform\", min = 3600.0, max = 5600.0 }"),
    )
    .unwrap();
    let flags = [
        "--models",
        arg(&models),
        "--trials",
        "4",
        "--quiet",
        "--no-plots",
    ];
    let (out, _) = f.run("o", &flags);
    let (h, rows) = read_csv(&out.join("trials.csv"));
    let c = h
        .iter()
        .position(|x| x.ends_with("servers.toml:server[0].host_max_w"))
        .expect("a column for the model parameter");
    let v: Vec<f64> = rows.iter().map(|r| num(&r[c])).collect();
    assert!(v.iter().all(|x| (3600.0..=5600.0).contains(x)) && v[0] != v[1]);
    // Higher host power, more energy: the sampled value reaches the engine.
    let e: Vec<f64> = rows
        .iter()
        .map(|r| num(&r[col(&h, "energy_mwh")]))
        .collect();
    let (lo, hi) = if v[0] < v[1] { (0, 1) } else { (1, 0) };
    assert!(e[hi] > e[lo]);
    // A bad distribution in a model file names that file, its line and the field.
    std::fs::write(
        models.join("servers.toml"),
        servers_toml("{ dist = \"uniform\", min = 5600.0, max = 3600.0 }"),
    )
    .unwrap();
    let err = fails(&["models", "--models", arg(&models)]);
    assert_says(&err, &["servers.toml:6", "`min`"]);
}

/// A distribution on a count of racks samples whole racks (rounded), so a study that validates
/// also runs.
#[test]
fn a_distribution_on_a_rack_count_samples_whole_racks() {
    let run = default_with(DM, DM).replacen(
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

/// [`NOISY`] with its first group as 10 racks of a rack type, an uncertain request rate and
/// five trials.
fn racks() -> String {
    edit(
        NOISY,
        &[
            (
                "server = \"DGX-H100\"\ncount = 20",
                "rack = \"dgx-h100-x4\"\ncount = 10",
            ),
            (
                "requests_per_day = 2.0e5",
                "requests_per_day = { dist = \"uniform\", min = 1.0e5, max = 3.0e5 }",
            ),
            ("trials = 4", "trials = 5"),
        ],
    )
}

/// [`racks`] with a `[sweep]` table of `lines`.
fn sweep(lines: &str) -> String {
    format!("{}\n[sweep]\n{lines}\n", racks())
}

#[test]
fn a_sweep_over_a_rack_type_writes_one_variant_per_type() {
    let types = ["dgx-h100-x4", "dgx-a100-x4", "dgx-h100-x8-liquid"];
    let (_f, o) = run_quiet(
        &sweep(&format!(
            "\"site.group[0].rack\" = [\"{}\", \"{}\", \"{}\"]",
            types[0], types[1], types[2]
        )),
        &[],
    );
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
        let summary = summary_json(&o.join(format!("variant-{k:02}")));
        let got = summary["installed_it_peak_mw"].as_f64().unwrap();
        assert!(
            (got - want_mw).abs() < 1e-9,
            "{t}: {got} MW vs {want_mw} MW"
        );
        // The variant's trials ran on that rack: its peak demand stays under it x PUE.
        let peak = num(&rows[k][col(&h, "peak_mw_mean")]);
        assert!(peak > 0.0 && peak <= want_mw * 1.2 + 1e-6, "{t}: {peak}");
        peaks.push(got);
    }
    // The library's three types differ: 4 x 10.2 kW, 4 x 6.5 kW, 8 x 10.2 kW per rack.
    assert!(peaks[1] < peaks[0] && peaks[0] < peaks[2], "{peaks:?}");
}

#[test]
fn a_sweep_to_an_unknown_name_names_the_variant_and_the_field() {
    let text = sweep("\"site.group[0].rack\" = [\"dgx-h100-x4\", \"no-such-rack\"]");
    let err = RunFile::new(&text).run_fails("o", &["--quiet", "--no-plots"]);
    let at = format!("run.toml:{}", line_of(&text, "rack = "));
    assert_says(&err, &[&at, "rack", "no-such-rack", "sweep variant 1"]);
}

#[test]
fn variants_csv_bands_every_trials_csv_figure() {
    let (_f, o) = run_quiet(&sweep("\"facility.pue\" = [1.1, 1.3]"), &[]);
    let (h, rows) = read_csv(&o.join("variants.csv"));
    assert_eq!(rows.len(), 2);
    for (k, row) in rows.iter().enumerate() {
        let (th, tr) = read_csv(&o.join(format!("variant-{k:02}/trials.csv")));
        assert!(th.len() > 20 && th.contains(&"consumer[0].requests_per_day".to_string()));
        for (c, name) in th.iter().enumerate().skip(1) {
            for suffix in ["mean", "p10", "p50", "p90"] {
                col(&h, &format!("{name}_{suffix}"));
            }
            let values: Vec<f64> = tr.iter().map(|r| num(&r[c])).collect();
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            let got = num(&row[col(&h, &format!("{name}_mean"))]);
            // trials.csv rounds each trial; the mean of the rounded values is within half a
            // last digit of the mean variants.csv writes.
            let tol = 1e-9 + 0.5 * 10f64.powi(-(decimals(&tr[0][c]) as i32));
            assert!(
                (got - mean).abs() <= tol,
                "variant {k} {name}: {got} vs {mean}"
            );
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let p50 = num(&row[col(&h, &format!("{name}_p50"))]);
            assert!(p50 >= lo - tol && p50 <= hi + tol, "{name} p50 {p50}");
        }
    }
}

fn decimals(field: &str) -> usize {
    field.split_once('.').map_or(0, |(_, d)| d.len())
}

#[test]
fn a_bad_sweep_variant_is_refused_by_validate_and_before_run_starts_naming_the_sweep_line() {
    let text = sweep("\"site.group[0].rack\" = [\"dgx-h100-x4\", \"dgx-h300-x4\"]");
    let f = RunFile::new(&text);
    let sweep_line = format!("line {}", line_of(&text, "\"site.group[0].rack\""));
    let err = f.validate_fails();
    assert_says(&err, &["dgx-h300-x4", "sweep variant 1", &sweep_line]);
    // `run` refuses before running variant 0: no variant folder is written.
    let err = f.run_fails("o", &["--quiet", "--no-plots"]);
    assert!(err.contains("sweep variant 1"), "{err}");
    assert!(
        !f.join("o/variant-00").exists(),
        "variant 0 ran before variant 1 was checked"
    );
}

#[test]
fn sweep_values_of_the_wrong_kind_and_paths_to_tables_or_absent_keys_are_explained() {
    // A quoted number where the run file has a number: refused at the sweep's line.
    let text = racks()
        + "[grid]\nimport_limit_mw = 90\n\n[sweep]\n\"grid.import_limit_mw\" = [\"90\", 80]\n";
    let at = format!("run.toml:{}:", line_of(&text, "\"grid.import_limit_mw\" ="));
    let err = RunFile::new(&text).validate_fails();
    assert_says(&err, &[&at, "expected numbers", "\"90\""]);
    // A path to a distribution table: the message says which field to sweep.
    let err =
        RunFile::new(&sweep("\"consumer[0].requests_per_day\" = [1.0e5, 2.0e5]")).validate_fails();
    assert_says(&err, &["is a table", "consumer[0].requests_per_day.m"]);
    // A key not written in the run file: the message says to write it first.
    let err = RunFile::new(&sweep("\"site.group[0].online\" = [\"2025-03-02\"]")).validate_fails();
    assert_says(&err, &["is not set in the run file", "write one"]);
    // Written, the same sweep validates.
    let text = sweep("\"site.group[0].online\" = [\"2025-03-01\", \"2025-03-02\"]")
        .replace("count = 10", "count = 10\nonline = \"2025-03-01\"");
    run_ok(&["validate", RunFile::new(&text).arg()]);
}

#[test]
fn command_line_flags_are_checked_on_every_sweep_variant_before_any_runs() {
    let f = RunFile::new(&sweep("\"step_s\" = [300, 3600]"));
    let err = f.run_fails("o", &["--quiet", "--no-plots", "--interval-minutes", "15"]);
    assert_says(
        &err,
        &["sweep variant 1: step_s = 3600", "--interval-minutes"],
    );
    assert!(!f.join("o/variant-00").exists(), "variant 0 ran first");
}
