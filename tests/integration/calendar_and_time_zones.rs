//! The study clock as an IANA time zone in prevailing time (daylight saving): 23- and 25-hour
//! days at the changes, unambiguous timestamps, wall-clock shapes, demand-response rule
//! baselines on local calendar days; fixed offsets unchanged.

use std::collections::HashSet;
use std::path::Path;

use dcload::base::time::{Calendar, Date, SimTime};
use dcload::model::grid::demand_response::{Baseline, DemandResponse, DrOutcome, measure};
use dcload::scenario::Scenario;

use crate::common::*;

/// A year from 2025-01-01 at hourly steps on `clock` (a `time_zone = ..` or `utc_offset = ..`
/// line). The twin works only from 14:00 to 16:00 on its clock (`twin_offset`: its own fixed
/// offset line, or nothing for the study clock); the shape interpolates between hour centres,
/// so its busiest hour row is 15:00.
fn study(clock: &str, twin_offset: &str) -> String {
    afternoon_year(clock, "0.0", twin_offset)
}

/// Writes the run's outputs and returns the lines of `load_8760.csv`.
fn load_8760(sc: &Scenario, dir: &Path) -> Vec<String> {
    write_outputs(dir, sc, &trials(sc));
    std::fs::read_to_string(dir.join("load_8760.csv"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

fn stamp(line: &str) -> &str {
    line.split(',').next().unwrap()
}

/// The local hour (`HH` of the timestamp) of the highest-load row of each day of `date_prefix`
/// (e.g. "2025-07-"), with the offset the timestamp carries.
fn busy_hours(rows: &[String], date_prefix: &str) -> HashSet<String> {
    let fac = |l: &str| l.split(',').nth(1).unwrap().parse::<f64>().unwrap();
    let mut out = HashSet::new();
    let days: HashSet<&str> = rows
        .iter()
        .map(|l| stamp(l))
        .filter(|s| s.starts_with(date_prefix))
        .map(|s| &s[..10])
        .collect();
    for d in days {
        let best = rows
            .iter()
            .filter(|l| stamp(l).starts_with(d))
            .max_by(|a, b| fac(a).total_cmp(&fac(b)))
            .unwrap();
        let s = stamp(best);
        out.insert(format!("{}{}", &s[11..13], &s[19..]));
    }
    out
}

#[test]
fn a_chicago_year_has_23_and_25_hour_days_and_unique_timestamps() {
    let sc = scenario(&study("time_zone = \"America/Chicago\"", ""));
    let dir = tempfile::tempdir().unwrap();
    let lines = load_8760(&sc, dir.path());
    let rows = &lines[1..];
    assert_eq!(rows.len(), 8760, "a year of hourly rows");
    assert!(
        rows[0].starts_with("2025-01-01T00:00:00-06:00,"),
        "{}",
        rows[0]
    );
    assert!(
        rows[8759].starts_with("2025-12-31T23:00:00-06:00,"),
        "{}",
        rows[8759]
    );
    let stamps: Vec<&str> = rows.iter().map(|l| stamp(l)).collect();
    let unique: HashSet<&str> = stamps.iter().copied().collect();
    assert_eq!(unique.len(), stamps.len(), "duplicate timestamps");
    let day_rows = |d: &str| stamps.iter().filter(|s| s.starts_with(d)).count();
    assert_eq!(day_rows("2025-03-09"), 23, "spring change");
    assert_eq!(day_rows("2025-11-02"), 25, "autumn change");
    assert_eq!(day_rows("2025-07-04"), 24);
    // The spring gap and the autumn repeat, each with its offset.
    assert!(!stamps.iter().any(|s| s.starts_with("2025-03-09T02:")));
    let i = stamps
        .iter()
        .position(|s| *s == "2025-11-02T01:00:00-05:00")
        .expect("first 01:00");
    assert_eq!(stamps[i + 1], "2025-11-02T01:00:00-06:00");
    assert_eq!(stamps[i + 2], "2025-11-02T02:00:00-06:00");
    // Every timestamp reads back to its own row's hour.
    for (h, s) in stamps.iter().enumerate() {
        assert_eq!(
            sc.calendar.parse_local(s),
            Ok(SimTime::from_hours(h as u64)),
            "{s}"
        );
    }
    // The twin keeps wall-clock time all year (prevailing time): its busiest hour is 15:00
    // CST in January and 15:00 CDT in July.
    assert_eq!(
        busy_hours(rows, "2025-07-"),
        HashSet::from(["15-05:00".to_string()])
    );
    assert_eq!(
        busy_hours(rows, "2025-01-"),
        HashSet::from(["15-06:00".to_string()])
    );
    // The monthly table has the twelve months, with March one hour short and November one long.
    let m = std::fs::read_to_string(dir.path().join("monthly.csv")).unwrap();
    let m: Vec<&str> = m.lines().collect();
    assert_eq!(m.len(), 13, "{m:?}");
    assert!(m[3].starts_with("2025-03,743,"), "{}", m[3]);
    assert!(m[11].starts_with("2025-11,721,"), "{}", m[11]);
}

#[test]
fn a_shape_on_its_own_fixed_offset_does_not_follow_daylight_saving() {
    let sc = scenario(&study(
        "time_zone = \"America/Chicago\"",
        "utc_offset = \"-06:00\"",
    ));
    let dir = tempfile::tempdir().unwrap();
    let lines = load_8760(&sc, dir.path());
    // 15:00 CST is 16:00 CDT in summer.
    assert_eq!(
        busy_hours(&lines[1..], "2025-07-"),
        HashSet::from(["16-05:00".to_string()])
    );
    assert_eq!(
        busy_hours(&lines[1..], "2025-12-"),
        HashSet::from(["15-06:00".to_string()])
    );
}

#[test]
fn a_fixed_offset_study_keeps_24_hour_days_and_its_offset() {
    let a = scenario(&study("utc_offset = \"-06:00\"", ""));
    let b = scenario(&study("time_zone = \"-06:00\"", ""));
    assert!(a.calendar.zone_name().is_none() && b.calendar.zone_name().is_none());
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let la = load_8760(&a, da.path());
    let lb = load_8760(&b, db.path());
    assert_eq!(
        la, lb,
        "time_zone = \"-06:00\" is the same clock as utc_offset"
    );
    let rows = &la[1..];
    assert!(rows.iter().all(|l| stamp(l).ends_with("-06:00")));
    let day_rows = |d: &str| rows.iter().filter(|l| l.starts_with(d)).count();
    assert_eq!(day_rows("2025-03-09"), 24);
    assert_eq!(day_rows("2025-11-02"), 24);
    // No daylight saving: the twin's 15:00 is 15:00 on the fixed clock all year.
    assert_eq!(
        busy_hours(rows, "2025-07-"),
        HashSet::from(["15-06:00".to_string()])
    );
    assert_eq!(
        a.calendar.parse_local("2025-11-02T01:00"),
        Ok(SimTime::from_hours(305 * 24 + 1))
    );
}

#[test]
fn an_unknown_zone_names_file_line_field_and_the_near_name() {
    let text = study("time_zone = \"America/Chicgo\"", "");
    let e = resolve_err("clock.toml", &text);
    assert!(e.contains("clock.toml:3"), "{e}");
    assert!(e.contains("time_zone"), "{e}");
    assert!(e.contains("IANA time zone"), "{e}");
    assert!(e.contains("did you mean \"America/Chicago\"?"), "{e}");
    // Case does not matter for a known zone; the zone's own spelling is kept.
    let sc = scenario(&study("time_zone = \"america/chicago\"", ""));
    assert_eq!(sc.calendar.zone_name(), Some("America/Chicago"));
    // One clock setting only.
    let e = resolve_err(
        "clock.toml",
        &study(
            "time_zone = \"America/Chicago\"\nutc_offset = \"-06:00\"",
            "",
        ),
    );
    assert!(e.contains("clock.toml:3") && e.contains("not both"), "{e}");
    let e = resolve_err("clock.toml", &study("time_zone = \"-6\"", ""));
    assert!(
        e.contains("clock.toml:3") && e.contains("UTC offset"),
        "{e}"
    );
}

#[test]
fn local_times_in_the_gap_or_the_repeat_are_refused_with_the_reason() {
    let sc = scenario(&study("time_zone = \"America/Chicago\"", ""));
    let c = &sc.calendar;
    let e = c.parse_local("2025-03-09T02:30").unwrap_err();
    assert!(
        e.contains("does not exist") && e.contains("-06:00") && e.contains("-05:00"),
        "{e}"
    );
    let e = c.parse_local("2025-11-02T01:30").unwrap_err();
    assert!(
        e.contains("twice") && e.contains("-05:00") && e.contains("-06:00"),
        "{e}"
    );
    // With the suffix each is one instant, an hour apart.
    let a = c.parse_local("2025-11-02T01:30-05:00").unwrap();
    let b = c.parse_local("2025-11-02T01:30-06:00").unwrap();
    assert_eq!(b.seconds() - a.seconds(), 3600);
    // 15-minute intervals and a UTC time.
    let t = c.parse_local("2025-07-15T16:45").unwrap();
    assert_eq!(t, c.parse_local("2025-07-15T21:45Z").unwrap());
    // 1 January 06:00 UTC to 15 July 21:45 UTC.
    assert_eq!(t.seconds(), 195 * 86_400 + 15 * 3600 + 45 * 60);
    assert!(
        c.parse_local("2024-12-31T23:00")
            .unwrap_err()
            .contains("before the study start")
    );
}

fn chicago() -> Calendar {
    Calendar::in_zone(Date::parse("2025-01-01").unwrap(), "America/Chicago").unwrap()
}

/// Hourly facility demand that depends only on the local hour: 100 MW + 1 MW per local hour.
fn by_local_hour(cal: &Calendar, hours: u64) -> Vec<f64> {
    (0..hours)
        .map(|h| (100.0 + cal.local_hour(SimTime(h * 3600)).floor()) * 1e6)
        .collect()
}

fn rule(high: usize, of: usize, same_kind: bool) -> DemandResponse {
    DemandResponse {
        scheduled: Vec::new(),
        random: None,
        flexibility: [1.0, 0.3, 0.2],
        response_s: [60.0, 300.0, 900.0],
        baseline: Baseline::Rule {
            high,
            of,
            same_kind,
        },
        rebound_s: 0,
    }
}

/// One two-hour event at a local time of the study clock, measured against `dr`'s rule.
fn measured(cal: &Calendar, metered: &[f64], dr: &DemandResponse, local: &str) -> DrOutcome {
    let start = cal.parse_local(local).unwrap().seconds();
    let mut o = vec![DrOutcome {
        start_s: start,
        duration_s: 7200,
        ..Default::default()
    }];
    measure(dr, &mut o, metered, None, 3600, cal);
    o.remove(0)
}

#[test]
fn dr_rule_baselines_compare_the_same_local_hour_across_the_daylight_saving_changes() {
    let cal = chicago();
    let metered = by_local_hour(&cal, 315 * 24);
    // 14:00-16:00 local: 114 and 115 MW on every day, so the right baseline is 114.5 MW and
    // the event delivered nothing (the demand did not change). Counting days as 24 elapsed
    // hours reads 13:00-15:00 on the day before the spring change (113.5 MW) and 15:00-17:00
    // on the day before the autumn change (115.5 MW).
    let prev = rule(1, 1, false);
    for local in ["2025-03-09T14:00", "2025-11-02T14:00", "2025-03-10T14:00"] {
        let o = measured(&cal, &metered, &prev, local);
        assert_eq!(o.baseline_days, 1, "{local}");
        assert!((o.baseline_mw - 114.5).abs() < 1e-9, "{local}: {o:?}");
        assert!((o.metered_mw - 114.5).abs() < 1e-9, "{local}: {o:?}");
        assert!(o.delivered_mw.abs() < 1e-9, "{local}: {o:?}");
    }
    // High 5 of 10 weekdays: Monday 10 March looks back over days on both sides of the change.
    let cbl = rule(5, 10, true);
    let o = measured(&cal, &metered, &cbl, "2025-03-10T14:00");
    assert_eq!(o.baseline_days, 5);
    assert!((o.baseline_mw - 114.5).abs() < 1e-9, "{o:?}");
    // The day of the spring change is a 23-hour local day: an event at 01:00-03:00 local on
    // the day after compares 01:00 (101 MW on 9 March) and 02:00, which the clock skipped
    // on 9 March: read, as the study clock reads such times, an hour later (03:00, 103 MW).
    let o = measured(&cal, &metered, &prev, "2025-03-10T01:00");
    assert!((o.metered_mw - 101.5).abs() < 1e-9, "{o:?}");
    assert!((o.baseline_mw - 102.0).abs() < 1e-9, "{o:?}");
}

#[test]
fn dr_rule_baselines_on_a_fixed_offset_count_24_hour_days() {
    let cal = Calendar::new(Date::parse("2025-01-01").unwrap(), -6 * 3600);
    // Demand rising by 1 MW a day: the previous day's same hours are 1 MW lower, so the
    // event (which changed nothing) reads as 1 MW drawn above the baseline.
    let metered: Vec<f64> = (0..100 * 24u64)
        .map(|h| (100.0 + (h / 24) as f64 + (h % 24) as f64 * 0.01) * 1e6)
        .collect();
    let o = measured(&cal, &metered, &rule(1, 1, false), "2025-03-09T14:00");
    assert!((o.delivered_mw + 1.0).abs() < 1e-9, "{o:?}");
}

/// A historic zone's offset with seconds (Monrovia kept local mean time, -00:44:30, until
/// 1972) is written whole, not cut to -00:44, and the run reads its own hourly.csv back (the
/// plots parse every timestamp).
#[test]
fn an_offset_with_seconds_is_written_whole_and_read_back() {
    let f = RunFile::new(&format!(
        "start = \"1960-01-01\"\ntime_zone = \"Africa/Monrovia\"\n{ONE_TWIN_DAY}"
    ));
    let (out, _) = f.run("o", &["--trials", "2", "--quiet"]);
    let stamps = column(&out.join("hourly.csv"), "timestamp");
    assert_eq!(stamps[0], "1960-01-01T00:00:00-00:44:30");
    assert!(out.join("plots").join("facility_year.svg").is_file());
    // The offset reads back as the same number of seconds.
    assert_eq!(
        dcload::base::time::parse_utc_offset("-00:44:30"),
        Ok(-(44 * 60 + 30))
    );
    assert_eq!(
        dcload::base::time::format_utc_offset(-(44 * 60 + 30)),
        "-00:44:30"
    );
}
