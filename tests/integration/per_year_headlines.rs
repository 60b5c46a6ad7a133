//! Per-year headlines: a horizon over more than one calendar year gets each year's energy,
//! peaks, load factor, PUE and ramps apart, banded across trials (summary.json `years`, the
//! console, report.html), and `intervals_YYYY.csv` beside intervals.csv.

use crate::common::*;
use dcload::sim::{M_FACILITY, M_FACILITY_PEAK, M_IT_TOTAL};

/// The default study (nominal inputs) from 1 December 2027 for 1,000 hours at 15-minute
/// steps: 744 hours of 2027, 256 of 2028; three trials, intervals asked for.
fn two_years() -> String {
    let text = edit(
        &default_nominal(),
        &[
            ("start = \"2025-01-01\"", "start = \"2027-12-01\""),
            ("horizon_hours = 8760", "horizon_hours = 1000"),
            ("step_s = 60 ", "step_s = 900 "),
            ("trials = 20 ", "trials = 3 "),
        ],
    );
    format!("{text}\n[report]\nintervals = true\n")
}

#[test]
fn each_years_energy_is_the_sum_of_its_hourly_rows() {
    let sc = scenario(&two_years());
    let years = sc.headline_years();
    assert_eq!(years, vec![(2027, 0..744), (2028, 744..1000)]);
    let results = trials(&sc);
    for r in &results {
        let figs = &r.summary.year_figures;
        assert_eq!(figs.len(), 2);
        for ((_, rows), y) in years.iter().zip(figs) {
            let rows_sum: f64 = rows.clone().map(|h| at_hour(&sc, r, h, M_FACILITY)).sum();
            let it_sum: f64 = rows.clone().map(|h| at_hour(&sc, r, h, M_IT_TOTAL)).sum();
            let peak = rows
                .clone()
                .map(|h| at_hour(&sc, r, h, M_FACILITY))
                .fold(0.0, f64::max);
            let step_peak = rows
                .clone()
                .map(|h| at_hour(&sc, r, h, M_FACILITY_PEAK))
                .fold(0.0, f64::max);
            // Rows are f32: the year's f64 sums agree to their precision.
            assert!(
                (y.energy_mwh - rows_sum).abs() < 1e-5 * rows_sum,
                "{y:?} vs {rows_sum}"
            );
            assert!((y.pue() - rows_sum / it_sum).abs() < 1e-5, "{y:?}");
            assert!((y.peak_mw - peak).abs() < 1e-5 * peak);
            assert!((y.peak_step_mw - step_peak).abs() < 1e-5 * step_peak);
            assert_eq!(y.hours, rows.len() as f64);
            let lf = rows_sum / rows.len() as f64 / peak;
            assert!(
                (y.load_factor() - lf).abs() < 1e-5,
                "{} vs {lf}",
                y.load_factor()
            );
        }
        // The years add up to the whole horizon, and its peaks are the larger year's.
        let total: f64 = figs.iter().map(|y| y.energy_mwh).sum();
        assert!((total - r.summary.energy_mwh).abs() < 1e-9 * total);
        let peak = figs.iter().map(|y| y.peak_step_mw).fold(0.0, f64::max);
        assert_eq!(peak, r.summary.peak_step_mw);
        // The years' ramps are metered too; the hourly rise is the larger year's.
        let up = r.summary.year_ramps.iter().map(|y| y.up_hour_mw);
        assert_eq!(up.fold(0.0, f64::max), r.summary.ramp_up_hour_mw);
    }

    // summary.json: each year's band is across the trials' year figures.
    let dir = tempfile::tempdir().expect("tempdir");
    write_outputs(dir.path(), &sc, &results);
    let s = summary_json(dir.path());
    let ys = s["years"].as_array().expect("years");
    assert_eq!(ys.len(), 2);
    for (k, y) in ys.iter().enumerate() {
        let mean = results
            .iter()
            .map(|r| r.summary.year_figures[k].energy_mwh)
            .sum::<f64>()
            / 3.0;
        assert_eq!(y["year"], [2027, 2028][k]);
        let got = y["energy_mwh"]["mean"].as_f64().expect("energy");
        assert!((got - mean).abs() < 1e-9 * mean, "{got} vs {mean}");
        for key in [
            "peak_mw",
            "peak_step_mw",
            "load_factor",
            "pue",
            "wue_l_per_kwh",
        ] {
            assert!(y[key]["p90"].is_number(), "{key}: {y}");
        }
        assert!(y["ramps"]["up_per_hour_mw"]["mean"].is_number());
    }
    // The console and the page say the same.
    let lines = dcload::report::years::console_lines(&sc, &results);
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with("dcload: 2027 (744 h): energy "),
        "{}",
        lines[0]
    );
    let page = dcload::report::html::render(dir.path()).expect("page");
    assert!(page.contains("<h2>Per year</h2>") && page.contains("<h3>2028 (256 h)</h3>"));
    // The answers at the top of the page carry each year's rows beside the whole horizon's.
    let answers = &page[page.find("<h2>Answers</h2>").expect("answers")
        ..page.find("<h3>What broke first</h3>").expect("what broke")];
    for row in [
        "<td>Energy (MWh)</td><td>whole horizon</td>",
        "<td>Energy (MWh)</td><td>2027</td>",
        "<td>Peak, hourly mean (MW)</td><td>2028</td>",
    ] {
        assert!(answers.contains(row), "{row} in the answers:\n{answers}");
    }

    // intervals.csv cut at the new year: 744 h and 256 h of 15-minute rows, same lines.
    let all = lines_of(&dir.path().join("intervals.csv"));
    let a = lines_of(&dir.path().join("intervals_2027.csv"));
    let b = lines_of(&dir.path().join("intervals_2028.csv"));
    assert_eq!((a.len() - 1, b.len() - 1), (744 * 4, 256 * 4));
    assert_eq!(a[0], all[0]);
    assert_eq!(a[1..].concat(), all[1..=744 * 4].concat());
    assert!(b[1].starts_with("2028-01-01T00:00:00"), "{}", b[1]);
}

#[test]
fn a_one_year_study_has_no_year_section() {
    let sc = scenario(&edit(
        &default_short(48, 900),
        &[("trials = 20 ", "trials = 2 ")],
    ));
    assert!(sc.headline_years().is_empty() && sc.metered_years().is_empty());
    let results = trials(&sc);
    assert!(results[0].summary.year_figures.is_empty());
    let dir = tempfile::tempdir().expect("tempdir");
    write_outputs(dir.path(), &sc, &results);
    assert!(summary_json(dir.path()).get("years").is_none());
}

fn lines_of(p: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .lines()
        .map(|l| format!("{l}\n"))
        .collect()
}
