//! `dcload headroom`: curtailment-enabled headroom in the manner of Norris, Profeta,
//! Patino-Echeverri and Cowie-Haskell, "Rethinking Load Growth" (Nicholas Institute, Duke
//! University, 2025), on hand-built system loads whose answers are worked out by hand.
//!
//! tests/fixtures/eia930_balance_small.csv has the column layout of EIA-930's six-month
//! "BALANCE" files (header copied from them, numbers quoted with thousands separators as EIA
//! writes them) with made-up values for two balancing authorities on 1 July 2024 (EDT).

use std::path::{Path, PathBuf};

use dcload::headroom::{
    NewLoad, ReadOptions, Thresholds, headroom, headroom_within, parse_months, read_system_load,
};

use crate::common::*;

/// The hand-built system, 2,000 hours of 2024:
/// - winter (from 1 January 00:00, 1,000 hours): 900 MW, except hour 100 at 1,000 MW (the winter
///   peak) and hours 101-110 at 990 MW;
/// - summer (from 1 July 00:00, 1,000 hours): 1,000 MW, except hour 500 at 1,200 MW (the summer
///   peak) and hours 600-603 at 1,150 MW.
pub(crate) fn hand_built() -> String {
    let mut s = String::from("timestamp,MW\n");
    for (start_day, season) in [(0, 0), (182, 1)] {
        // 2024-01-01 and 2024-07-01 (day 182 of the leap year).
        for h in 0..1000u32 {
            let mw = match (season, h) {
                (0, 100) => 1000.0,
                (0, 101..=110) => 990.0,
                (0, _) => 900.0,
                (1, 500) => 1200.0,
                (1, 600..=603) => 1150.0,
                _ => 1000.0,
            };
            let day = start_day + h / 24;
            let (m, d) = month_day_2024(day);
            s.push_str(&format!("2024-{m:02}-{d:02}T{:02}:00,{mw}\n", h % 24));
        }
    }
    s
}

pub(crate) fn month_day_2024(mut day: u32) -> (u32, u32) {
    let len = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut m = 0;
    while day >= len[m] {
        day -= len[m];
        m += 1;
    }
    (m as u32 + 1, day + 1)
}

pub(crate) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Expected per limit: (limit %, headroom MW, curtailed hours, events, hours with >= 50 % kept).
///
/// Thresholds: winter T_w = 1,000 MW, summer T_s = 1,200 MW. With N = 2,000 hours in one year,
/// rate(X) = C(X) / (2,000 X), where the curtailed energy C(X) is
/// - both peak hours (L = T): X each -> 2X;
/// - ten 990 MW hours: max(0, X - 10) each; four 1,150 MW hours: max(0, X - 50) each;
/// - 989 winter hours at 900: max(0, X - 100) each; summer base (1,000): max(0, X - 200).
///
/// So for X <= 10, rate = 0.1 %; on 10 < X <= 50, C = 12X - 100; on 50 < X <= 100,
/// C = 16X - 300; on 100 < X <= 200, C = 1005X - 99,200.
/// - 0.25 %: 12X - 100 = 5X -> X = 100/7 = 14.2857 MW. Curtailed: 2 peaks + ten 990 MW hours
///   = 12 h in 2 events (the winter peak and its ten following hours run together, 11 h; the
///   summer peak 1 h). At the 990 MW hours c = X - 10 = 4.29 MW, so 10 MW of 14.29 keeps running
///   (>= half); at the peaks nothing runs: 10 of 12 hours keep half.
/// - 0.5 %: 12X - 100 = 10X -> X = 50 MW (the 1,150 MW hours just not curtailed): 12 h, 2
///   events; at the 990 MW hours 10 MW of 50 runs (< half): 0 hours keep half.
/// - 1 %: 1005X - 99,200 = 20X -> X = 99,200/985 = 100.7107 MW. Curtailed: all 1,000 winter hours
///   (one event), the summer peak and the four 1,150 MW hours (two events): 1,005 h, 3 events.
///   Half kept: the 989 base winter hours (c = 0.71 MW); not the 990 MW hours (10 of 100.7
///   runs) nor the 1,150 MW hours (50 of 100.7 runs, 50 < 50.36): 989 hours.
/// - 5 %: 1005X - 99,200 = 100X -> X = 99,200/905 = 109.6133 MW: the same 1,005 h in 3 events;
///   half kept: the 989 base winter hours (c = 9.6); 1,150 MW hours keep 50 < 54.8: 989 hours.
const EXPECTED: [(f64, f64, usize, usize, usize); 4] = [
    (0.25, 100.0 / 7.0, 12, 2, 10),
    (0.5, 50.0, 12, 2, 0),
    (1.0, 99200.0 / 985.0, 1005, 3, 989),
    (5.0, 99200.0 / 905.0, 1005, 3, 989),
];

#[test]
fn headroom_matches_the_hand_computation_at_each_curtailment_limit() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "system.csv", &hand_built());
    let load = read_system_load(std::slice::from_ref(&f), &ReadOptions::default()).unwrap();
    assert_eq!(load.hours.len(), 2000);
    let thr = Thresholds::of(&load, parse_months("4-10").unwrap());
    assert_eq!((thr.winter_mw, thr.summer_mw), (1000.0, 1200.0));
    let flat = NewLoad::flat(load.hours.len());
    for (limit, x, hours, events, half) in EXPECTED {
        let h = headroom(&load, &thr, &flat, limit / 100.0);
        let o = &h.outcome;
        assert!(
            (o.size_mw - x).abs() < 1e-6,
            "limit {limit} %: headroom {} MW, hand computation {x} MW",
            o.size_mw
        );
        assert!((o.rate() * 100.0 - limit).abs() < 1e-6, "rate {}", o.rate());
        assert_eq!(o.curtailed_hours, hours, "limit {limit} %: curtailed hours");
        assert_eq!(o.events, events, "limit {limit} %: events");
        assert_eq!(
            o.half_kept_hours, half,
            "limit {limit} %: hours keeping half"
        );
        assert!((o.mean_event_h() - hours as f64 / events as f64).abs() < 1e-12);
        assert_eq!(h.binding, "rate");
    }

    // The same through the binary: headroom.csv and the console table.
    let out = dir.path().join("out");
    let res = run_ok(&[
        "headroom",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let console = String::from_utf8_lossy(&res.stdout);
    assert!(
        console.contains("summer peak 1200 MW, winter peak 1000 MW"),
        "{console}"
    );
    let (hdr, rows) = read_csv(&out.join("headroom.csv"));
    assert_eq!(rows.len(), 4);
    let c = |n: &str| col(&hdr, n);
    for (row, (limit, x, hours, events, half)) in rows.iter().zip(EXPECTED) {
        assert_eq!(row[c("case")], "flat");
        assert_eq!(
            row[c("curtailment_limit_pct")].parse::<f64>().unwrap(),
            limit
        );
        let mw: f64 = row[c("headroom_mw")].parse().unwrap();
        assert!((mw - x).abs() < 1e-3, "{mw} vs {x}");
        assert_eq!(row[c("curtailed_hours")], hours.to_string());
        let mean: f64 = row[c("mean_event_h")].parse().unwrap();
        assert!((mean - hours as f64 / events as f64).abs() < 1e-3);
        let share: f64 = row[c("share_hours_half_kept")].parse().unwrap();
        assert!((share - half as f64 / hours as f64).abs() < 1e-4);
        // 2,000 hours are 2,000 / 8,760 of a year: per-year figures scale the record's up.
        let mwh: f64 = row[c("curtailed_mwh")].parse().unwrap();
        let per_year: f64 = row[c("curtailed_mwh_per_year")].parse().unwrap();
        assert!(
            (mwh * 8760.0 / 2000.0 - per_year).abs() < 1e-2,
            "{per_year}"
        );
        assert!((mwh - limit / 100.0 * x * 2000.0).abs() < 1e-2, "{mwh}");
    }
}

/// The longest event and the events over 4 h, and `--max-event-hours`, by hand on the same
/// system. The curtailed hours at size X are those with L + X > T: the two peak hours for any
/// X > 0 (1 h each); the ten 990 MW winter hours for X > 10 (they join the winter peak: one 11 h
/// event); the four 1,150 MW summer hours for X > 50 (a 4 h event); all 1,000 winter hours for
/// X > 100 (one 1,000 h event). So:
/// - without a cap: 0.25 % (14.29 MW) and 0.5 % (50 MW) have events of 11 h and 1 h (one over
///   4 h); 1 % and 5 % (100.7, 109.6 MW) events of 1,000, 1 and 4 h (one over 4 h: the 4 h
///   event is not *over* 4 h);
/// - `--max-event-hours 4`: X <= 10 at every limit (rate 0.1 %, under all four), events 1 h;
/// - `--max-event-hours 11`: X <= 100; 0.25 % and 0.5 % stay rate-bound (14.29, 50 MW), 1 % and
///   5 % stop at 100 MW (rate there (16 x 100 - 300) / 200,000 = 0.65 %), longest event 11 h.
#[test]
fn longest_event_and_max_event_hours_match_the_hand_computation() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "system.csv", &hand_built());
    let load = read_system_load(std::slice::from_ref(&f), &ReadOptions::default()).unwrap();
    let thr = Thresholds::of(&load, parse_months("4-10").unwrap());
    let flat = NewLoad::flat(load.hours.len());
    // (limit %, cap, headroom MW, longest h, events over 4 h, binding)
    type Case = (f64, Option<u32>, f64, u32, usize, &'static str);
    let expected: [Case; 12] = [
        (0.25, None, 100.0 / 7.0, 11, 1, "rate"),
        (0.5, None, 50.0, 11, 1, "rate"),
        (1.0, None, 99200.0 / 985.0, 1000, 1, "rate"),
        (5.0, None, 99200.0 / 905.0, 1000, 1, "rate"),
        (0.25, Some(4), 10.0, 1, 0, "event length"),
        (0.5, Some(4), 10.0, 1, 0, "event length"),
        (1.0, Some(4), 10.0, 1, 0, "event length"),
        (5.0, Some(4), 10.0, 1, 0, "event length"),
        (0.25, Some(11), 100.0 / 7.0, 11, 1, "rate"),
        (0.5, Some(11), 50.0, 11, 1, "rate"),
        (1.0, Some(11), 100.0, 11, 1, "event length"),
        (5.0, Some(11), 100.0, 11, 1, "event length"),
    ];
    for (limit, cap, x, longest, over4, binding) in expected {
        let h = headroom_within(&load, &thr, &flat, limit / 100.0, cap);
        let o = &h.outcome;
        let case = format!("limit {limit} %, cap {cap:?}");
        assert!(
            (o.size_mw - x).abs() < 1e-6,
            "{case}: {} MW vs {x}",
            o.size_mw
        );
        assert_eq!(o.longest_event_h(), longest, "{case}");
        assert_eq!(o.events_over(4), over4, "{case}");
        assert_eq!(h.binding, binding, "{case}");
    }
    // At 1 % with a cap of 11 h the events are 11, 1 and 4 h long, the rate 0.65 %.
    let h = headroom_within(&load, &thr, &flat, 0.01, Some(11));
    assert_eq!(h.outcome.event_hours, vec![11, 1, 4]);
    assert!(
        (h.outcome.rate() - 0.0065).abs() < 1e-9,
        "{}",
        h.outcome.rate()
    );

    // Through the binary: the columns and the console.
    let out = dir.path().join("out");
    let res = run_ok(&[
        "headroom",
        arg(&f),
        "--max-event-hours",
        "11",
        "--events-over",
        "3",
        "--out",
        arg(&out),
    ]);
    let console = stdout(&res);
    assert!(
        console.contains("longest h") && console.contains(">3 h"),
        "{console}"
    );
    let (hdr, rows) = read_csv(&out.join("headroom.csv"));
    let c = |n: &str| col(&hdr, n);
    let got: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r[c("longest_event_h")].clone(),
                r[c("events_over_h")].clone(),
                r[c("events_over")].clone(),
                r[c("binding")].clone(),
            )
        })
        .collect();
    // Over 3 h: the 11 h event, and at 1 % and 5 % the 4 h one too.
    let want = |n: &str, b: &str| {
        (
            "11".to_string(),
            "3".to_string(),
            n.to_string(),
            b.to_string(),
        )
    };
    assert_eq!(
        got,
        vec![
            want("1", "rate"),
            want("1", "rate"),
            want("2", "event length"),
            want("2", "event length")
        ]
    );
    assert!((num(&rows[2][c("headroom_mw")]) - 100.0).abs() < 1e-3);
}

/// The paper averages each year's curtailment rate: a year with twice the curtailment of the
/// other weighs the same whatever its length.
#[test]
fn curtailment_rate_is_the_mean_of_annual_rates() {
    // 2023: 100 h at 100 MW with one hour at 110 (the winter peak, all in January);
    // 2024: 100 h at 100 MW with two hours at 110.
    let mut s = String::from("timestamp,MW\n");
    for (y, peaks) in [(2023, 1), (2024, 2)] {
        for h in 0..100 {
            let mw = if h < peaks { 110 } else { 100 };
            s.push_str(&format!("{y}-01-{:02}T{:02}:00,{mw}\n", 1 + h / 24, h % 24));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "two-years.csv", &s);
    let load = read_system_load(&[f], &ReadOptions::default()).unwrap();
    let thr = Thresholds::of(&load, parse_months("4-10").unwrap());
    // X = 5 MW (below the 10 MW gap): 2023 curtails 5 of 500 MWh (1 %), 2024 10 of 500 (2 %).
    let o = dcload::headroom::evaluate(&load, &thr, &NewLoad::flat(200), 5.0);
    assert_eq!(o.years, 2);
    assert!((o.rate() - 0.015).abs() < 1e-12, "{}", o.rate());
    assert_eq!((o.curtailed_hours, o.events), (3, 2));
}

/// The study's own shape and flexibility: a run folder whose profile is flat behaves like the
/// paper's load when all of it can be shed; with half sheddable and no backup the firm half
/// would meet the system at its historical peak, so no size is admissible; backup carrying the
/// other half restores the flat answer.
#[test]
fn study_flexibility_bounds_curtailment() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "system.csv", &hand_built());
    // Half the IT power is training (sheddable at 1.0), half defense (never).
    let run = run_folder_of(
        dir.path(),
        1,
        "facility_mw_mean,facility_mw_p10,facility_mw_p50,facility_mw_p90",
        |_, _| ("80.0,70.0,80.0,90.0".into(), "0,0,32.0,32.0,64.0".into()),
        r#"{"config": {"grid": {"demand_response": {"flexibility": {"training": 1.0, "consumer": 0.3, "industrial": 0.2}}}}}"#,
    );
    let go = |extra: &[&str]| {
        let out = dir.path().join("o");
        let args = [
            "headroom",
            arg(&f),
            "--run",
            arg(&run),
            "--out",
            arg(&out),
            "--quiet",
        ];
        run_ok(&[&args[..], extra].concat());
        let (hdr, rows) = read_csv(&out.join("headroom.csv"));
        let study: Vec<(f64, String)> = rows
            .iter()
            .filter(|r| r[col(&hdr, "case")] == "study")
            .map(|r| {
                (
                    r[col(&hdr, "headroom_mw")].parse().unwrap(),
                    r[col(&hdr, "binding")].clone(),
                )
            })
            .collect();
        assert_eq!(study.len(), 4);
        study
    };
    for ((mw, b), (_, x, ..)) in go(&["--flex", "1"]).into_iter().zip(EXPECTED) {
        assert!((mw - x).abs() < 1e-3 && b == "rate", "{mw} {b} vs {x}");
    }
    // From the run: training 32 of 64 MW IT at flexibility 1, defense never -> half sheddable.
    for (mw, b) in go(&[]) {
        assert_eq!((mw, b.as_str()), (0.0, "firm load at peak"));
    }
    for ((mw, b), (_, x, ..)) in go(&["--backup-share", "0.5"]).into_iter().zip(EXPECTED) {
        assert!((mw - x).abs() < 1e-3 && b == "rate", "{mw} {b} vs {x}");
    }
}

#[test]
fn eia930_balance_file_is_read_by_balancing_authority() {
    let fx = repo("tests/fixtures/eia930_balance_small.csv");
    let name = fx.display().to_string();
    let opt = |ba: &str, column: Option<&str>| ReadOptions {
        ba: Some(ba.into()),
        column: column.map(String::from),
        ..ReadOptions::default()
    };
    let duk = read_system_load(std::slice::from_ref(&fx), &opt("DUK", None)).unwrap();
    assert_eq!(duk.hours.len(), 24);
    assert!(duk.what.contains("DUK") && duk.what.contains("Demand (MW)"));
    // Hour number 1 ends at 01:00 EDT = 05:00 UTC: it is the hour beginning 00:00 local.
    let h0 = &duk.hours[0];
    assert_eq!(
        (h0.year, h0.month, h0.day, h0.hour, h0.mw),
        (2024, 7, 1, 0, 14100.0)
    );
    assert!(duk.hours.windows(2).all(|w| w[1].index == w[0].index + 1));
    // "16,700" at hour number 17 (quoted, with a thousands separator).
    assert_eq!(duk.hours[16].mw, 16700.0);
    let thr = Thresholds::of(&duk, parse_months("4-10").unwrap());
    assert_eq!(thr.summer_mw, 16700.0);

    // Two BAs and no --ba: the error lists them.
    let e = read_system_load(std::slice::from_ref(&fx), &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--ba") && e.contains("DUK") && e.contains("CPLE"),
        "{e}"
    );
    // A BA not in the file.
    let e = read_system_load(std::slice::from_ref(&fx), &opt("PJM", None))
        .unwrap_err()
        .to_string();
    assert!(e.contains("PJM") && e.contains("DUK, CPLE"), "{e}");
    // CPLE's raw demand has a gap at line 30 (hour number 5), column 7: the error names them
    // and points at the adjusted column, which reads.
    let e = read_system_load(std::slice::from_ref(&fx), &opt("cple", None))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!("{name}:30:7: field `Demand (MW)`")) && e.contains("Adjusted"),
        "{e}"
    );
    let cple = read_system_load(
        std::slice::from_ref(&fx),
        &opt("CPLE", Some("Demand (MW) (Adjusted)")),
    )
    .unwrap();
    assert_eq!(cple.hours.len(), 24);
    assert_eq!(cple.hours[4].mw, 9500.0);
}

/// Bad input: an error naming the file, line, column and what was expected; never a panic.
#[test]
fn bad_system_load_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "timestamp,MW\n2024-01-01T00:00,100\n2024-01-01T01:00,-5\n",
            ":3:2: field `MW`",
            "from 0 to 1e7",
        ),
        // An hour past any grid's load (it summed to `inf`, and 1.5e10 MW gave a 0 MW
        // headroom): refused at its cell, printed compactly.
        (
            "timestamp,MW\n2024-01-01T00:00,100\n2024-01-01T01:00,1e308\n",
            ":3:2: field `MW`",
            "from 0 to 1e7 (ten times the largest grid's peak), found `1e308`",
        ),
        (
            "timestamp,MW\n2024-01-01T00:00,100\n2024-01-01T01:00,15000000000\n",
            ":3:2: field `MW`",
            "found `15000000000`",
        ),
        (
            "timestamp,MW\n2024-01-01T00:00,100\n2024-13-01T01:00,100\n",
            ":3:1: field `timestamp`",
            "expected a timestamp",
        ),
        (
            // 15-minute rows are averaged to hours, but only whole hours: the hour is refused
            // at its first row, its missing intervals named.
            "timestamp,MW\n2024-01-01T00:00,100\n2024-01-01T00:15,100\n",
            ":2:1: field `timestamp`",
            "partial hour: expected the 4 15-minute intervals of 2024-01-01 00:00 (:00 :15 :30 :45), found :00 :15 (missing :30 :45)",
        ),
        (
            "timestamp,MW\n2024-01-01T00:00,100\n2024-01-01T01:00:30,100\n",
            ":3:1: field `timestamp`",
            "seconds not zero",
        ),
        // A date in no known format: the formats are named.
        (
            "timestamp,MW\n2024-01-01T00:00,100\n2024.1.1 x,100\n",
            ":3:1: field `timestamp`",
            "yyyy-mm-dd (ISO), yyyy/mm/dd, mm/dd/yyyy (US, EIA's), dd-mm-yyyy or dd.mm.yyyy",
        ),
        (
            "date,HE,MW\n01/01/2024,25,100\n",
            ":2:2: field `HE`",
            "expected an hour ending from 1 to 24, found `25`",
        ),
        (
            "timestamp,MW\n2024-01-01T00:00,100\n2024-01-01T01:00\n",
            ":3",
            "expected 2 fields",
        ),
        ("2024-01-01T00:00,100\n", ":1:2", "header"),
        ("timestamp,MW\n", "", "no hourly rows"),
        (
            "timestamp,MW\n2024-01-01T00:00,100\n2024-01-01T00:00,101\n",
            ":3:1: field `timestamp`",
            "appears twice (also at line 2)",
        ),
    ];
    for (i, (text, loc, what)) in cases.iter().enumerate() {
        let f = write(dir.path(), &format!("bad{i}.csv"), text);
        let name = f.display().to_string();
        let err = fails(&["headroom", &name, "--out", dir.path().to_str().unwrap()]);
        assert!(
            err.contains(&format!("{name}{loc}")) && err.contains(what),
            "case {i}: {err}"
        );
    }
    // The same hour in two files: both named.
    let a = write(dir.path(), "a.csv", "timestamp,MW\n2024-01-01T05:00Z,100\n");
    let b = write(
        dir.path(),
        "b.csv",
        "timestamp,MW\n2024-01-01T00:00-05:00,100\n",
    );
    let err = fails(&["headroom", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert!(err.contains("a.csv:2") && err.contains("b.csv:2"), "{err}");
    // Options.
    let ok = write(dir.path(), "ok.csv", "timestamp,MW\n2024-01-01T00:00,100\n");
    let ok = ok.to_str().unwrap();
    let err = fails(&["headroom", ok, "--limits", "0.5,abc"]);
    assert!(err.contains("--limits") && err.contains("abc"), "{err}");
    let err = fails(&["headroom", ok, "--summer-months", "4-13"]);
    assert!(err.contains("--summer-months"), "{err}");
    let err = fails(&["headroom", ok, "--run", dir.path().to_str().unwrap()]);
    assert!(
        err.contains("load_8760.csv") && err.contains("dcload run"),
        "{err}"
    );
    let err = fails(&["headroom", ok, "--flex", "0.5"]);
    assert!(err.contains("--flex") && err.contains("--run"), "{err}");
    let err = fails(&[
        "headroom",
        ok,
        "--run",
        dir.path().to_str().unwrap(),
        "--flex",
        "1.5",
    ]);
    assert!(err.contains("--flex") && err.contains("0 to 1"), "{err}");
    let err = fails(&["headroom", dir.path().join("nope.csv").to_str().unwrap()]);
    assert!(err.contains("nope.csv"), "{err}");
}

/// 2023 (a whole year, no leap day), hour `i` from 2023-01-01 00:00 UTC: a base with a daily
/// swing, a summer peak on 20 July and a winter peak on 15 January (both away from month ends,
/// so a few hours' shift of the calendar moves no hour between seasons that matters).
fn year_2023_mw(i: i64) -> f64 {
    let hod = i.rem_euclid(24) as f64;
    let base = 700.0 + 100.0 * (std::f64::consts::TAU * (hod - 20.0) / 24.0).cos();
    let day = i / 24;
    match day {
        14 if (18..22).contains(&(i % 24)) => 1000.0 + 10.0 * (i % 24) as f64,
        200 if (19..23).contains(&(i % 24)) => 1100.0 + 10.0 * (i % 24) as f64,
        _ => base,
    }
}

/// The 2023 system written with each hour's timestamp at `offset_h` hours (`Z` for 0).
fn year_2023_csv(offset_h: i64) -> String {
    let mut s = String::from("timestamp,MW\n");
    let start = 19358i64 * 24; // 2023-01-01 in hours since 1970
    for i in 0..8760i64 {
        let local = start + i + offset_h;
        let (y, m, d) = civil(local.div_euclid(24));
        let off = if offset_h == 0 {
            "Z".to_string()
        } else {
            format!(
                "{}{:02}:00",
                if offset_h < 0 { '-' } else { '+' },
                offset_h.abs()
            )
        };
        s.push_str(&format!(
            "{y}-{m:02}-{d:02}T{:02}:00{off},{}\n",
            local.rem_euclid(24),
            year_2023_mw(i)
        ));
    }
    s
}

fn civil(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A run folder `run` in `dir` with `years` whole years from 2025 on a study clock at -05:00:
/// load_8760.csv (timestamp, then the columns `l8760_header` names) and hourly.csv (the sectors
/// and IT total) with each hour's values from `row(year index, hour of day)`, and `summary`.
fn run_folder_of(
    dir: &Path,
    years: usize,
    l8760_header: &str,
    row: impl Fn(usize, u32) -> (String, String),
    summary: &str,
) -> PathBuf {
    let run = dir.join("run");
    std::fs::create_dir_all(&run).unwrap();
    let mut l8760 = format!("timestamp,{l8760_header}\n");
    let mut hourly = String::from(
        "timestamp,it_consumer_mw_mean,it_industrial_mw_mean,it_training_mw_mean,it_defense_mw_mean,it_total_mw_mean\n",
    );
    for y in 0..years {
        for h in 0..8760u32 {
            let day = h / 24;
            let (m, d) = month_day_2024(day + u32::from(day >= 59)); // 2025, 2026: no leap day
            let t = format!("{}-{m:02}-{d:02}T{:02}:00:00-05:00", 2025 + y, h % 24);
            let (l, hr) = row(y, h % 24);
            l8760.push_str(&format!("{t},{l}\n"));
            hourly.push_str(&format!("{t},{hr}\n"));
        }
    }
    write(&run, "load_8760.csv", &l8760);
    write(&run, "hourly.csv", &hourly);
    write(&run, "summary.json", summary);
    run
}

/// A run folder (see [`run_folder_of`]) whose facility draws `mw(year index, hour of day)`,
/// all of it training.
fn run_folder(dir: &Path, years: usize, mw: impl Fn(usize, u32) -> f64) -> PathBuf {
    let row = |y, h| {
        let v = mw(y, h);
        (format!("{v},{v}"), format!("0,0,{v},0,{v}"))
    };
    run_folder_of(dir, years, "facility_mw_mean,facility_mw_p50", row, "{}")
}

/// `dcload headroom SYSTEM --run RUN --flex 1 --out OUT EXTRA`: each row's case and headroom,
/// and the console.
fn headroom_rows(
    system: &Path,
    run: &Path,
    out: &Path,
    extra: &[&str],
) -> (Vec<(String, f64)>, String) {
    let args = [
        "headroom",
        arg(system),
        "--run",
        arg(run),
        "--flex",
        "1",
        "--out",
        arg(out),
    ];
    let res = run_ok(&[&args[..], extra].concat());
    let (hdr, rows) = read_csv(&out.join("headroom.csv"));
    let v = rows
        .iter()
        .map(|r| {
            (
                r[col(&hdr, "case")].clone(),
                num(&r[col(&hdr, "headroom_mw")]),
            )
        })
        .collect();
    (v, stdout(&res))
}

/// The headrooms of one case (`flat` or `study`), in the order of the limits.
fn case(rows: &[(String, f64)], name: &str) -> Vec<f64> {
    rows.iter().filter(|r| r.0 == name).map(|r| r.1).collect()
}

/// The same instants written at UTC (`Z`), at -05:00 (the first five hours then fall on
/// 31 December 2022) and naive with `--utc-offset -08:00` give the same headroom, flat and for
/// the study's shape: a 5-hour "2022" is not a third year, and the study's profile is placed by
/// instant, not by clock label.
#[test]
fn same_instants_in_any_offset_give_the_same_headroom() {
    let dir = tempfile::tempdir().unwrap();
    // An evening-peaking study at -05:00: its shape matters for where it meets the system.
    let run = run_folder(dir.path(), 1, |_, hod| {
        if (17..21).contains(&hod) { 100.0 } else { 40.0 }
    });
    let z = write(dir.path(), "z.csv", &year_2023_csv(0));
    let e = write(dir.path(), "e.csv", &year_2023_csv(-5));
    // Naive, at -08:00.
    let p_text: String = year_2023_csv(-8).replace("-08:00,", ",");
    let p = write(dir.path(), "p.csv", &p_text);
    // At 5 % the load is large enough to be curtailed in ordinary hours, where the five hours
    // moved across the October/November season boundary would count.
    let limits = ["--limits", "0.25,0.5,1"];
    let go = |f: &Path, extra: &[&str], out: &str| {
        headroom_rows(
            f,
            &run,
            &dir.path().join(out),
            &[&limits[..], extra].concat(),
        )
        .0
    };
    let rz = go(&z, &[], "oz");
    let re = go(&e, &[], "oe");
    let rp = go(&p, &["--utc-offset", "-08:00"], "op");
    assert_eq!(rz.len(), 6);
    for ((a, b), c) in rz.iter().zip(&re).zip(&rp) {
        assert_eq!(a.0, b.0);
        assert!(a.1 > 1.0, "{a:?}");
        // Flat: the hour-weighted mean of annual rates is the record's curtailed energy over its
        // energy, exactly the same whatever the year split. Study: the stub year's rate weighs
        // by its hours, not its energy, so a shaped load differs by a few parts per million.
        let tol = if a.0 == "flat" { 1e-6 } else { 1e-4 };
        assert!((a.1 - b.1).abs() < tol * a.1, "Z {a:?} vs -05:00 {b:?}");
        assert!(
            (a.1 - c.1).abs() < tol * a.1,
            "Z {a:?} vs naive -08:00 {c:?}"
        );
    }
    // Naive read as UTC is a different set of instants: the study meets the system elsewhere.
    let rn = go(&p, &[], "on");
    assert!(
        rz.iter()
            .zip(&rn)
            .any(|(a, b)| a.0 == "study" && (a.1 - b.1).abs() > 1e-3 * a.1),
        "{rz:?} {rn:?}"
    );
}

/// A two-year run whose second year is twice the first: the profile's shape and peak come from
/// one year, the last whole one by default (said on the console) or `--year`.
#[test]
fn multi_year_run_takes_shape_and_peak_from_one_year() {
    let dir = tempfile::tempdir().unwrap();
    let sys = write(dir.path(), "z.csv", &year_2023_csv(0));
    // 2025: evening-peaking at 50 MW; 2026: flat 100 MW.
    let two = run_folder(dir.path(), 2, |y, hod| match y {
        0 if (17..21).contains(&hod) => 50.0,
        0 => 20.0,
        _ => 100.0,
    });
    let go = |run: &Path, extra: &[&str], out: &str| {
        headroom_rows(&sys, run, &dir.path().join(out), extra)
    };
    let (rows, console) = go(&two, &[], "o2");
    assert!(console.contains("year 2026 of 2025, 2026"), "{console}");
    // 2026 is flat: the study case equals the flat case.
    for (f, s) in case(&rows, "flat").iter().zip(&case(&rows, "study")) {
        assert!((f - s).abs() < 1e-6 * f, "flat {f} vs study {s}");
    }
    // --year 2025: the evening shape on its own peak, as a one-year run of 2025 alone.
    let (rows25, console) = go(&two, &["--year", "2025"], "o25");
    assert!(console.contains("year 2025 of"), "{console}");
    let one = run_folder(&dir.path().join("one"), 1, |_, hod| {
        if (17..21).contains(&hod) { 50.0 } else { 20.0 }
    });
    let (rows1, _) = go(&one, &[], "o1");
    assert_eq!(rows25, rows1);
    assert!(
        rows25
            .iter()
            .zip(&rows)
            .any(|(a, b)| (a.1 - b.1).abs() > 1e-3)
    );
    // A year the run does not cover wholly is refused, naming the years it has.
    let err = fails(&["headroom", arg(&sys), "--run", arg(&two), "--year", "2027"]);
    assert_says(&err, &["--year", "2025 (8760 h), 2026 (8760 h)"]);
}

/// A one-year study in America/Chicago prevailing time (its spring day has no 02:00, its
/// autumn day two 01:00s) gives a headroom: placed by instant on Central standard time.
#[test]
fn prevailing_time_run_gives_a_headroom() {
    let dir = tempfile::tempdir().unwrap();
    let chicago = r#"time_zone = "America/Chicago""#;
    let toml = afternoon_year(chicago, "0.2", "").replace("trials = 2", "trials = 1");
    let study = RunFile::named("chicago.toml", &toml);
    let (run, _) = study.run("run", &["--quiet", "--no-plots"]);
    let l8760 = std::fs::read_to_string(run.join("load_8760.csv")).unwrap();
    assert!(
        !l8760.contains("2025-03-09T02:00"),
        "no 02:00 on the spring day"
    );
    let sys = write(dir.path(), "z.csv", &year_2023_csv(0));
    let (rows, console) = headroom_rows(&sys, &run, &dir.path().join("o"), &[]);
    assert!(
        console.contains("year 2025") && console.contains("UTC-06:00"),
        "{console}"
    );
    let study = case(&rows, "study");
    assert_eq!(study.len(), 4);
    // All sheddable: a headroom of the flat case's order, growing with the limit.
    for (f, s) in case(&rows, "flat").iter().zip(&study) {
        assert!(*s > 0.5 * f && *s < 2.0 * f, "study {s} vs flat {f}");
    }
    assert!(study.windows(2).all(|w| w[1] > w[0]), "{study:?}");
}

/// A record inside one season (two winter days) cannot set both thresholds: refused, saying
/// what is needed; a record shorter than a year but covering both seasons is warned about.
#[test]
fn short_record_is_refused_or_warned() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::from("timestamp,MW\n");
    for h in 0..49 {
        s.push_str(&format!(
            "2023-01-{:02}T{:02}:00,{}\n",
            1 + h / 24,
            h % 24,
            1000 + h
        ));
    }
    let f = write(dir.path(), "short.csv", &s);
    let err = fails(&["headroom", arg(&f), "--out", arg(&dir.path().join("o"))]);
    assert_says(&err, &["49 hours", "winter", "both seasons"]);
    assert!(!dir.path().join("o").join("headroom.csv").exists());
    // The hand-built system: 2,000 hours in both seasons, under a year: a warning.
    let f = write(dir.path(), "system.csv", &hand_built());
    let o2 = dir.path().join("o2");
    let err = stderr(&run_ok(&[
        "headroom",
        arg(&f),
        "--quiet",
        "--out",
        arg(&o2),
    ]));
    assert_says(&err, &["WARNING", "2000 hours"]);
}

/// A run written with `[report] timestamps = "ending"` stamps each hour with its end: headroom
/// places the hour at its start, so the same run written either way gives the same headroom
/// (it was placed an hour late, and its last hour read as a third year).
#[test]
fn an_hour_ending_run_gives_the_headroom_of_the_same_run_hour_beginning() {
    let dir = tempfile::tempdir().unwrap();
    let sys = write(dir.path(), "z.csv", &year_2023_csv(0));
    let run = run_folder(dir.path(), 1, |_, hod| {
        if (17..21).contains(&hod) { 100.0 } else { 40.0 }
    });
    let begin = headroom_rows(&sys, &run, &dir.path().join("ob"), &[]).0;
    // The same rows, each stamped with its end (the next row's start), as dcload writes them.
    let text = std::fs::read_to_string(run.join("load_8760.csv")).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    let mut ending =
        String::from("timestamp_ending,date,he,dst_flag,facility_mw_mean,facility_mw_p50\n");
    for (i, r) in rows.iter().enumerate() {
        let end = rows.get(i + 1).map_or("2026-01-01T00:00:00-05:00", |n| {
            n.split(',').next().unwrap()
        });
        let (_, values) = r.split_once(',').unwrap();
        ending.push_str(&format!("{end},2025-01-01,{},N,{values}\n", i % 24 + 1));
    }
    std::fs::write(run.join("load_8760.csv"), ending).unwrap();
    let (end, console) = headroom_rows(&sys, &run, &dir.path().join("oe"), &[]);
    assert_eq!(begin.len(), end.len());
    for (a, b) in begin.iter().zip(&end) {
        assert_eq!(a.0, b.0);
        assert!(
            (a.1 - b.1).abs() <= 1e-9 * a.1.abs(),
            "hour-beginning {a:?}, hour-ending {b:?}"
        );
    }
    assert!(
        !console.contains("2026"),
        "no stray year from the last hour's end: {console}"
    );
}
