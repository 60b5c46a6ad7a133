//! Bands: one percentile set in every output file, and a warning when a tail percentile rests
//! on too few trials.

use crate::common::*;

/// `text` run quietly with plots into `o` beside it: the run file and what the command printed.
fn run_noisy(text: &str, flags: &[&str]) -> (RunFile, std::process::Output) {
    let f = RunFile::new(text);
    let (_, o) = f.run("o", &[&["--quiet"], flags].concat());
    (f, o)
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
    let (f, o) = run_noisy(NOISY, &["--percentiles", "5,95,99"]);
    let out = f.join("o");
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
        for p in &prefixes {
            assert_eq!(suffixes(&h, p), want, "{file}: {p}");
        }
        // Values ordered along the set in every row.
        let cols: Vec<usize> = want
            .iter()
            .map(|s| col(&h, &format!("{}{s}", prefixes[0])))
            .collect();
        for r in &rows {
            let v: Vec<f64> = cols.iter().map(|&c| num(&r[c])).collect();
            assert!(v.windows(2).all(|w| w[0] <= w[1] + 1e-9), "{file}: {v:?}");
        }
    }
    let summary = summary_json(&out);
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
    let err = stderr(&o);
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
    let (f, o) = run_noisy(&NOISY.replace("trials = 4", "trials = 10"), &[]);
    let (h, _) = read_csv(&f.join("o/load_8760.csv"));
    assert_eq!(suffixes(&h, "facility_mw_"), vec!["p10", "p50", "p90"]);
    assert!(
        !stderr(&o).contains("warning"),
        "10 trials carry P10 and P90"
    );
    assert_eq!(
        summary_json(&f.join("o"))["percentile_warnings"],
        serde_json::json!([])
    );
    let (f, _) = run_noisy(&format!("percentiles = [25, 75]\n{NOISY}"), &[]);
    let (h, _) = read_csv(&f.join("o/hourly.csv"));
    assert_eq!(suffixes(&h, "facility_mw_"), vec!["p25", "p50", "p75"]);
}

#[test]
fn a_sweep_writes_the_chosen_set_in_variants_csv() {
    let text = format!("{NOISY}\n[sweep]\n\"consumer[0].requests_per_day\" = [1.0e5, 2.0e5]\n");
    let (f, _) = run_noisy(&text, &["--percentiles", "20,80", "--no-plots"]);
    let (h, rows) = read_csv(&f.join("o/variants.csv"));
    assert_eq!(rows.len(), 2);
    assert_eq!(suffixes(&h, "energy_mwh_"), vec!["p20", "p50", "p80"]);
    assert_eq!(suffixes(&h, "peak_mw_"), vec!["p20", "p50", "p80"]);
}

#[test]
fn bad_percentiles_are_refused_with_the_flag_or_the_field() {
    let f = RunFile::new(NOISY);
    let err = f.run_fails("o", &["--percentiles", "0,50", "--quiet"]);
    assert_says(&err, &["--percentiles", "between 0 and 100"]);
    let text = format!("percentiles = [10, 150]\n{NOISY}");
    refused_at(&text, "percentiles =", "percentiles");
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
    let text = preset("runs/default.toml", &[("step_s = 60 ", "step_s = 300 ")]);
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
