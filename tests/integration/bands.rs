//! Bands: one percentile set in every output file, and a warning when a tail percentile rests
//! on too few trials.

use crate::common::*;

/// A small fixed-PUE campus: chat on 20 DGX H100 and an always-on twin, two days.
const SMALL: &str = r#"
horizon_hours = 48
step_s = 300
trials = 4
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

fn run_small(text: &str, extra: &[&str]) -> (tempfile::TempDir, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("b.toml"), text).unwrap();
    let out = dir.path().join("o");
    let mut args: Vec<String> = vec![
        "run".into(),
        dir.path().join("b.toml").to_str().unwrap().to_string(),
        "--quiet".into(),
        "--out".into(),
        out.to_str().unwrap().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run_ok(&refs);
    (dir, o)
}

/// The `facility_mw_pXX` (or other prefix) percentile suffixes of a header, in order.
fn suffixes(header: &[String], prefix: &str) -> Vec<String> {
    header
        .iter()
        .filter_map(|h| h.strip_prefix(prefix))
        .filter(|s| s.starts_with('p'))
        .map(String::from)
        .collect()
}

#[test]
fn every_output_file_uses_the_chosen_percentile_set() {
    let (dir, o) = run_small(SMALL, &["--percentiles", "5,95,99"]);
    let out = dir.path().join("o");
    let want = vec!["p05", "p50", "p95", "p99"];
    for (file, prefixes) in [
        (
            "hourly.csv",
            vec!["facility_mw_", "it_total_mw_", "requests_served_"],
        ),
        ("load_8760.csv", vec!["facility_mw_"]),
        ("load_duration.csv", vec!["facility_mw_"]),
        ("monthly.csv", vec!["energy_mwh_", "peak_mw_"]),
    ] {
        let (h, rows) = read_csv(&out.join(file));
        assert!(!rows.is_empty(), "{file}");
        for p in prefixes {
            assert_eq!(suffixes(&h, p), want, "{file}: {p}");
        }
        // Values ordered along the set in every row.
        let cols: Vec<usize> = want
            .iter()
            .map(|s| {
                col(
                    &h,
                    &format!(
                        "{}{s}",
                        if file == "monthly.csv" {
                            "energy_mwh_"
                        } else {
                            "facility_mw_"
                        }
                    ),
                )
            })
            .collect();
        for r in &rows {
            let v: Vec<f64> = cols.iter().map(|&c| r[c].parse().unwrap()).collect();
            assert!(v.windows(2).all(|w| w[0] <= w[1] + 1e-9), "{file}: {v:?}");
        }
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["percentiles"],
        serde_json::json!([5.0, 50.0, 95.0, 99.0])
    );
    for figure in [
        &summary["metrics"]["energy_mwh"],
        &summary["ramps"]["up_per_hour_mw"],
    ] {
        let keys: Vec<&String> = figure.as_object().unwrap().keys().collect();
        assert_eq!(keys, vec!["mean", "p05", "p50", "p95", "p99"], "{figure}");
    }
    // The plots' band spans the set's lowest to highest percentile.
    let svg = std::fs::read_to_string(out.join("plots/facility_year.svg")).unwrap();
    assert!(
        svg.contains("P05–P99 band"),
        "facility_year.svg names its band"
    );
    let svg = std::fs::read_to_string(out.join("plots/load_duration.svg")).unwrap();
    assert!(svg.contains("P99 across trials"));
    // Four trials cannot carry P05, P95 or P99: warned on the console and in summary.json.
    let err = String::from_utf8_lossy(&o.stderr);
    for p in ["P05", "P95", "P99"] {
        assert!(
            err.contains(&format!("warning: {p} rests on 4 trials")),
            "{p}: {err}"
        );
    }
    let w = summary["percentile_warnings"].as_array().unwrap();
    assert_eq!(w.len(), 3);
    assert!(w[2].as_str().unwrap().contains("at least 100 trials"));

    // The default set is P10/P50/P90, and the run file may choose its own.
    let (dir, o) = run_small(&SMALL.replace("trials = 4", "trials = 10"), &[]);
    let (h, _) = read_csv(&dir.path().join("o/load_8760.csv"));
    assert_eq!(suffixes(&h, "facility_mw_"), vec!["p10", "p50", "p90"]);
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("warning"),
        "10 trials carry P10 and P90"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("o/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["percentile_warnings"], serde_json::json!([]));
    let (dir, _) = run_small(&format!("percentiles = [25, 75]\n{SMALL}"), &[]);
    let (h, _) = read_csv(&dir.path().join("o/hourly.csv"));
    assert_eq!(suffixes(&h, "facility_mw_"), vec!["p25", "p50", "p75"]);
}

#[test]
fn a_sweep_writes_the_chosen_set_in_variants_csv() {
    let text = format!("{SMALL}\n[sweep]\n\"consumer[0].requests_per_day\" = [1.0e5, 2.0e5]\n");
    let (dir, _) = run_small(&text, &["--percentiles", "20,80", "--no-plots"]);
    let (h, rows) = read_csv(&dir.path().join("o/variants.csv"));
    assert_eq!(rows.len(), 2);
    assert_eq!(suffixes(&h, "energy_mwh_"), vec!["p20", "p50", "p80"]);
    assert_eq!(suffixes(&h, "peak_mw_"), vec!["p20", "p50", "p80"]);
}

#[test]
fn bad_percentiles_are_refused_with_the_flag_or_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.toml");
    std::fs::write(&path, SMALL).unwrap();
    let out = dcload()
        .args([
            "run",
            path.to_str().unwrap(),
            "--percentiles",
            "0,50",
            "--quiet",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("--percentiles") && err.contains("between 0 and 100"),
        "{err}"
    );
    std::fs::write(&path, format!("percentiles = [10, 150]\n{SMALL}")).unwrap();
    let out = dcload()
        .args(["validate", path.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("b.toml:1") && err.contains("`percentiles`"),
        "{err}"
    );
}

/// P10-P90 spread across trials of annual energy and annual peak, each trial run with its own
/// sampled inputs (as `dcload run` does).
fn spreads(sc: &dcload::scenario::Scenario) -> (f64, f64, f64) {
    let (mut e, mut p) = (Vec::new(), Vec::new());
    for i in 0..sc.trials {
        let (t, _) = sc.for_trial(i).unwrap();
        let r = dcload::sim::run_trial(&t, i);
        e.push(r.summary.energy_mwh);
        p.push(r.summary.peak_mw);
    }
    let set = dcload::base::stats::Percentiles::default();
    let (be, bp) = (
        dcload::base::stats::Band::of(&mut e, &set),
        dcload::base::stats::Band::of(&mut p, &set),
    );
    (be.high() - be.low(), bp.high() - bp.low(), be.mean)
}

#[test]
fn the_default_studys_band_is_driven_by_its_stated_inputs() {
    // The default study (5-minute steps for speed, its own 20 trials and seed), with its stated
    // input distributions and with them held at their nominal values: the arrival and job
    // timing noise alone is a small part of the band.
    let text = std::fs::read_to_string(repo("runs/default.toml"))
        .unwrap()
        .replace("step_s = 60 ", "step_s = 300 ");
    let with = scenario(&text);
    assert!(
        with.parameter_names().len() >= 8,
        "demand volumes, growth, energy per request and hardware draw are distributions"
    );
    let fixed = scenario(&without_distributions(&text));
    assert!(fixed.parameter_names().is_empty());
    let (e_with, p_with, mean_with) = spreads(&with);
    let (e_fixed, p_fixed, mean_fixed) = spreads(&fixed);
    eprintln!(
        "P10-P90 energy {e_with:.0} vs {e_fixed:.0} MWh (means {mean_with:.0}, {mean_fixed:.0}); peak {p_with:.2} vs {p_fixed:.2} MW"
    );
    assert!(
        e_with > 10.0 * e_fixed,
        "energy band {e_with} MWh with the inputs' distributions vs {e_fixed} MWh without"
    );
    assert!(
        p_with > 3.0 * p_fixed,
        "peak band {p_with} MW with the inputs' distributions vs {p_fixed} MW without"
    );
    // A band that means something: at least 5 % of the annual energy from P10 to P90.
    assert!(e_with > 0.05 * mean_with, "{e_with} of {mean_with}");
}
