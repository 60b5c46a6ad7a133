//! What a utility's large-load study reads: load_8760.csv a row per hour in normal and leap
//! years with ordered percentiles, the monthly table (energy, peak and its instant, minimum,
//! demand at the system's peak intervals under hour-beginning or hour-ending conventions, from
//! the run file or a CSV of peaks) and the ramps in summary.json.

use crate::common::*;

#[test]
fn load_8760_has_a_row_per_hour_and_ordered_percentiles() {
    for (start, hours) in [("2025-01-01", 8760), ("2024-01-01", 8784)] {
        let run =
            two_levels(start, hours, "1.0", "0.5", "").replace("step_s = 300", "step_s = 3600");
        let (_f, out) = run_quiet(&run, &["--traces", "--percentiles", "50,90,99"]);
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
    let run = two_levels(
        "2025-01-01",
        48,
        "1.0",
        "0.5",
        "[grid]\nsystem_peak_hours = [\"2025-01-02T03:00\", \"2025-01-01T03:00\"]",
    );
    let (_f, out) = run_quiet(&run, &[]);
    let (mh, months) = read_csv(&out.join("monthly.csv"));
    let sc = scenario(&run);
    let g = &sc.fleet.groups;
    // 01-02 03:00 is inside the job (day 1, 00:00-12:00), 01-01 03:00 is not: the mean of both.
    let want = (g[0].peak_w() * 2.0 + g[1].peak_w() + g[1].power_w(0.0)) / 2.0 / 1e6;
    let got = num(&months[0][col(&mh, "system_peak_demand_mw_p50")]);
    assert!((got - want).abs() < 1e-3, "{got} vs {want}");
    let summary = summary_json(&out);
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
fn an_hour_ending_peak_at_17_reads_16_to_17() {
    // The job runs 17:00-23:00 on 1 January: 16:00-17:00 is the low level, 17:00-18:00 high.
    let peak = "system_peak_hours = [\"2025-01-01T17:00\"]";
    let ending = two_levels(
        "2025-01-01",
        48,
        "0.7083333333333334",
        "0.25",
        &format!("[grid]\n{peak}\nsystem_peak_convention = \"interval-ending\""),
    );
    let beginning = two_levels(
        "2025-01-01",
        48,
        "0.7083333333333334",
        "0.25",
        &format!("[grid]\n{peak}"),
    );
    let (low, high) = levels(&scenario(&ending));
    for (text, want) in [(&ending, low), (&beginning, high)] {
        let sc = scenario(text);
        let r = &trials(&sc)[0];
        // The engine's interval mean, and the monthly table (whole hours: the hourly row).
        let got = r.summary.system_peak_mw[0];
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        let (_f, out) = run_quiet(text, &[]);
        let (mh, months) = read_csv(&out.join("monthly.csv"));
        let m = num(&months[0][col(&mh, "system_peak_demand_mw_p50")]);
        assert!((m - want).abs() < 1e-3, "monthly {m} vs {want}");
        assert_eq!(months[0][col(&mh, "system_peak_intervals")], "1");
    }
}

#[test]
fn a_quarter_hour_interval_ending_peak_reads_the_right_quarter() {
    // The job runs 16:30-22:30 on 1 January.
    let run = |grid: &str| {
        two_levels(
            "2025-01-01",
            48,
            "0.6875",
            "0.25",
            &format!("[grid]\n{grid}"),
        )
    };
    let q = run(
        "system_peak_hours = [\"2025-01-01T16:45\", \"2025-01-01T16:30\", \
         \"2025-01-01T11:45-05:00\", \"2025-01-01T22:30Z\", \"2025-01-01T22:45\"]\n\
         system_peak_convention = \"interval-ending\"\nsystem_peak_minutes = 15",
    );
    let sc = scenario(&q);
    let (low, high) = levels(&sc);
    let starts: Vec<u64> = sc.grid.system_peaks.iter().map(|p| p.start_s).collect();
    assert_eq!(
        starts,
        [
            16 * 3600 + 1800,
            16 * 3600 + 900,
            16 * 3600 + 1800,
            22 * 3600 + 900,
            22 * 3600 + 1800
        ]
    );
    let want = [high, low, high, high, low];
    for r in trials(&sc) {
        for (k, (&got, w)) in r.summary.system_peak_mw.iter().zip(want).enumerate() {
            assert!((got - w).abs() < 1e-6, "peak {k}: {got} vs {w}");
        }
    }
    // Hour-ending 17:00 over 60 minutes: half the hour with the job.
    let h = run(
        "system_peak_hours = [\"2025-01-01T17:00\"]\nsystem_peak_convention = \"interval-ending\"",
    );
    let r = &trials(&scenario(&h))[0];
    let half = (low + high) / 2.0;
    assert!((r.summary.system_peak_mw[0] - half).abs() < 1e-6);
    // The monthly table averages the month's peaks.
    let (_f, out) = run_quiet(&q, &[]);
    let (mh, months) = read_csv(&out.join("monthly.csv"));
    let m = num(&months[0][col(&mh, "system_peak_demand_mw_p50")]);
    let mean = want.iter().sum::<f64>() / want.len() as f64;
    assert!((m - mean).abs() < 1e-3, "{m} vs {mean}");
    assert_eq!(months[0][col(&mh, "system_peak_intervals")], "5");
}

#[test]
fn a_csv_of_system_peaks_is_read_and_a_bad_row_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = two_levels(
        "2025-01-01",
        48,
        "0.6875",
        "0.25",
        "[grid]\nsystem_peaks_file = \"4cp.csv\"\nsystem_peak_minutes = 15\n\
         system_peak_convention = \"interval-ending\"",
    );
    let with_peaks = |csv: &str| {
        std::fs::write(dir.path().join("4cp.csv"), csv).unwrap();
        resolve("p.toml", &text, dir.path())
    };
    let sc = with_peaks("timestamp,note\n2025-01-01T16:45,june\n\n2025-01-02T10:00:00-06:00,x\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let starts: Vec<u64> = sc.grid.system_peaks.iter().map(|p| p.start_s).collect();
    assert_eq!(starts, [16 * 3600 + 1800, (24 + 15) * 3600 + 2700]);
    let (low, high) = levels(&sc);
    let r = &trials(&sc)[0];
    assert!((r.summary.system_peak_mw[0] - high).abs() < 1e-6);
    assert!((r.summary.system_peak_mw[1] - low).abs() < 1e-6);
    for (csv, line, what) in [
        (
            "timestamp\n2025-01-01T16:45\nJan 1 17:00\n",
            3,
            "expected a time",
        ),
        (
            "timestamp\n2025-01-01T16:45\n2025-01-05T16:45\n",
            3,
            "horizon",
        ),
        ("2025-01-01T16:45\n2025-01-01T16:52\n", 2, "step boundary"),
    ] {
        let err = with_peaks(csv).unwrap_err();
        assert!(
            err.contains(&format!("4cp.csv:{line}")) && err.contains(what),
            "{csv:?}: {err}"
        );
    }
}

#[test]
fn monthly_minimum_mean_and_peak_with_the_peak_timestamp_in_its_month() {
    // 15 January to 24 February: the job runs on 16 January 00:00-12:00.
    let text = two_levels("2025-01-15", 40 * 24, "1.0", "0.5", "");
    let sc = scenario(&text);
    let (low, high) = levels(&sc);
    let (_f, out) = run_quiet(&text, &[]);
    let (h, rows) = read_csv(&out.join("monthly.csv"));
    assert_eq!(rows.len(), 2);
    // Existing columns stay where they were; the new ones come last.
    assert_eq!(&h[..3], ["month", "hours", "energy_mwh_mean"]);
    assert_eq!(
        &h[h.len() - 4..],
        [
            "peak_timestamp_mean",
            "min_mw_p10",
            "min_mw_p50",
            "min_mw_p90"
        ]
    );
    for r in &rows {
        let mean = num(&r[col(&h, "energy_mwh_mean")]) / num(&r[col(&h, "hours")]);
        for p in ["p10", "p50", "p90"] {
            let min = num(&r[col(&h, &format!("min_mw_{p}"))]);
            let peak = num(&r[col(&h, &format!("peak_mw_{p}"))]);
            assert!(min <= mean + 1e-9 && mean <= peak + 1e-9, "{r:?}");
            assert!((min - low).abs() < 2e-3, "min {min} vs {low}");
        }
        let ts = &r[col(&h, "peak_timestamp_mean")];
        assert!(ts.starts_with(&r[0]), "{ts} not in {}", r[0]);
    }
    // January's peak is the job's: an hour of 16 January before noon.
    let ts = &rows[0][col(&h, "peak_timestamp_mean")];
    assert!(ts.starts_with("2025-01-16T") && &ts[11..13] < "12", "{ts}");
    assert!((num(&rows[0][col(&h, "peak_mw_p50")]) - high).abs() < 2e-3);
}
