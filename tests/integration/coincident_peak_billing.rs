//! Coincident-peak billing: `[grid] coincident_peak = "4cp"` (ERCOT) or `"5cp"` (PJM) over the
//! stated system peaks gives each trial's transmission determinant per year, banded, with and
//! without the developer's response rule.

use crate::common::*;
use dcload::report::coincident::trial_determinants;

/// The default study (nominal inputs) from 1 June 2027 for 122 days at 15-minute steps, with
/// ERCOT-style 4CP instants (15-minute intervals named by their end) and 15-minute intervals.
fn summer(grid: &str) -> String {
    let text = edit(
        &default_nominal(),
        &[
            ("start = \"2025-01-01\"", "start = \"2027-06-01\""),
            ("horizon_hours = 8760", "horizon_hours = 2928"),
            ("step_s = 60 ", "step_s = 900 "),
            ("trials = 20 ", "trials = 3 "),
        ],
    );
    format!(
        "{text}\n[grid]\nsystem_peak_hours = [\"2027-06-28T17:00-05:00\", \"2027-07-19T16:45-05:00\", \
         \"2027-08-09T17:15-05:00\", \"2027-09-07T16:30-05:00\"]\nsystem_peak_minutes = 15\n\
         system_peak_convention = \"interval-ending\"\n{grid}\n[report]\nintervals = true\n"
    )
}

/// The 15-minute interval index (from the 1 June start, -05:00 throughout) of the interval
/// ending at `day` of a month (days since 1 June) and `hh:mm`.
fn ending_at(days: u64, hh: u64, mm: u64) -> usize {
    ((days * 86_400 + hh * 3600 + mm * 60 - 900) / 900) as usize
}

#[test]
fn the_4cp_determinant_is_the_mean_of_the_trials_intervals_at_the_peaks() {
    let sc = scenario(&summer("coincident_peak = \"4cp\""));
    let results = trials(&sc);
    // 28 June 17:00, 19 July 16:45, 9 August 17:15, 7 September 16:30 (interval-ending).
    let idx = [
        ending_at(27, 17, 0),
        ending_at(30 + 18, 16, 45),
        ending_at(30 + 31 + 8, 17, 15),
        ending_at(30 + 31 + 31 + 6, 16, 30),
    ];
    let mut dets = Vec::new();
    for r in &results {
        let iv = &r.summary.interval_facility_mw;
        let hand = idx.iter().map(|&i| iv[i]).sum::<f64>() / 4.0;
        let d = trial_determinants(&sc, &r.summary).expect("determinants");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].year, 2027);
        assert!(
            (d[0].demand_mw - hand).abs() < 1e-9 * hand,
            "{d:?} vs {hand}"
        );
        // No response rule: nothing changes.
        assert_eq!(d[0].with_response_mw, d[0].demand_mw);
        // The peak intervals are not all alike: a wrong instant would not give the same mean.
        assert!(idx.iter().any(|&i| (iv[i] - iv[idx[0]]).abs() > 1e-6));
        dets.push(d[0].demand_mw);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write_outputs(dir.path(), &sc, &results);
    let s = summary_json(dir.path());
    let cp = &s["coincident_peak"];
    assert_eq!(cp["set"], "4cp");
    let y = &cp["years"][0];
    assert_eq!(y["year"], 2027);
    assert_eq!(y["intervals"][0], "2027-06-28T16:45:00-05:00");
    let mean = dets.iter().sum::<f64>() / 3.0;
    let got = y["demand_mw"]["mean"].as_f64().expect("mean");
    assert!((got - mean).abs() < 1e-9 * mean);
    assert!(y.get("with_response_mw").is_none());
    let page = dcload::report::html::render(dir.path()).expect("page");
    assert!(page.contains("Coincident-peak billing (4CP)"));
    let lines = dcload::report::coincident::console_lines(&sc, &results);
    assert!(
        lines[0].starts_with("dcload: 4CP 2027 over 4 interval(s): "),
        "{lines:?}"
    );
}

#[test]
fn a_response_rule_cuts_the_forecast_peaks_and_says_what_it_is_worth() {
    let full = scenario(&summer(
        "coincident_peak = \"4cp\"\ncp_response_share = 0.4\ncp_response_hit_rate = 1.0",
    ));
    let results = trials(&full);
    for r in &results {
        let d = trial_determinants(&full, &r.summary).expect("determinants");
        assert!((d[0].with_response_mw - 0.6 * d[0].demand_mw).abs() < 1e-9 * d[0].demand_mw);
    }
    // A 50 % hit rate: each trial's own draws, the same every time, between none and all.
    let half = scenario(&summer(
        "coincident_peak = \"4cp\"\ncp_response_share = 0.4\ncp_response_hit_rate = 0.5",
    ));
    let mut cut = 0;
    for r in &results {
        let a = trial_determinants(&half, &r.summary).expect("determinants");
        let b = trial_determinants(&half, &r.summary).expect("determinants");
        assert_eq!(a, b);
        let (d, w) = (a[0].demand_mw, a[0].with_response_mw);
        assert!(w <= d && w >= 0.6 * d - 1e-9);
        cut += usize::from(w < d);
    }
    assert!(cut > 0, "a 50 % hit rate over 3 x 4 peaks cuts some");
    let dir = tempfile::tempdir().expect("tempdir");
    write_outputs(dir.path(), &full, &results);
    let y = &summary_json(dir.path())["coincident_peak"]["years"][0];
    let (d, w, v) = (
        y["demand_mw"]["mean"].as_f64().expect("d"),
        y["with_response_mw"]["mean"].as_f64().expect("w"),
        y["response_worth_mw"]["mean"].as_f64().expect("v"),
    );
    assert!((d - w - v).abs() < 1e-9 * d && (v - 0.4 * d).abs() < 1e-9 * d);
}

#[test]
fn coincident_peak_rules_are_checked_by_line_and_field() {
    let e = resolve_err(
        "cp.toml",
        &summer("coincident_peak = \"4cp\"\ncp_response_share = 1.5"),
    );
    assert_says(&e, &["cp.toml", "cp_response_share", "fraction", "1.5"]);
    let e = resolve_err("cp.toml", &summer("cp_response_hit_rate = 0.5"));
    assert_says(&e, &["cp.toml", "needs `coincident_peak`"]);
    let e = resolve_err("cp.toml", &summer("coincident_peak = \"3cp\""));
    assert_says(&e, &["cp.toml", "coincident_peak", "\"4cp\"", "\"5cp\""]);
    // 5CP counts one peak a day: two on 28 June are refused.
    let two = summer("coincident_peak = \"5cp\"")
        .replace("\"2027-07-19T16:45-05:00\"", "\"2027-06-28T16:45-05:00\"");
    let e = resolve_err("cp.toml", &two);
    assert_says(&e, &["cp.toml", "coincident_peak", "one day", "PJM"]);
    // A set needs the system's peaks.
    let none = edit(&default_nominal(), &[("trials = 20 ", "trials = 2 ")])
        + "\n[grid]\ncoincident_peak = \"4cp\"\n";
    let e = resolve_err("cp.toml", &none);
    assert_says(&e, &["cp.toml", "coincident_peak", "system_peak_hours"]);
}
