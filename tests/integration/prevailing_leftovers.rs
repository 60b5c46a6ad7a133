//! What follows prevailing time besides shapes and tariffs: demand-response rule baselines
//! (local calendar days), trace replay (naive timestamps on the local clock) and the plots' DR
//! event markers; fixed offsets unchanged.

use dcload::base::time::{Calendar, Date, SimTime};
use dcload::model::grid::demand_response::{Baseline, DemandResponse, DrOutcome, measure};

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

/// A Chicago study (prevailing time) from 1 January replaying the naive-timestamp fixture
/// (18:17 to 20:16:40, repeated every 2 h on the clock); requests served per elapsed hour.
fn served_in_chicago(clock: &str, trace_extra: &str) -> (dcload::scenario::Scenario, Vec<f64>) {
    let file = crate::common::repo("tests/fixtures/trace_1817.csv");
    let text = format!(
        r#"
start = "2025-01-01"
{clock}
horizon_hours = 4728
step_s = 600
trials = 1
[[site.group]]
name = "inf"
server = "DGX-H100"
count = 10
[[consumer]]
name = "chat"
pool = "inf"
trace = {{ file = "{}"{trace_extra} }}
[facility]
kind = "fixed"
pue = 1.2
"#,
        file.display()
    );
    let sc = crate::common::scenario(&text);
    let pos = sc.metric_pos(dcload::sim::M_SERVED).unwrap();
    let nm = sc.metrics().len();
    let t = &crate::common::trials(&sc)[0];
    assert_eq!(t.summary.requests_dropped, 0.0);
    let served = (0..sc.horizon_hours as usize)
        .map(|h| f64::from(t.hourly[h * nm + pos]))
        .collect();
    (sc, served)
}

/// Requests served in each local hour of `date` (a day without a change), by local hour.
fn local_day(sc: &dcload::scenario::Scenario, served: &[f64], date: &str) -> Vec<(u32, f64)> {
    let h0 = sc
        .calendar
        .parse_local(&format!("{date}T00:00"))
        .unwrap()
        .seconds()
        / 3600;
    (h0..h0 + 24)
        .map(|h| {
            let local = sc.calendar.local_hour(SimTime(h * 3600)) as u32;
            (local, served[h as usize])
        })
        .collect()
}

#[test]
fn a_naive_trace_replays_at_its_recorded_local_hours_in_summer_and_winter() {
    // The fixture has 7 requests in 18:17-19:00, 12 in 19:00-20:00, 4 in 20:00-20:17: every
    // even local hour gets 7 + 4, every odd one 12, on the prevailing clock (CST in January,
    // CDT in July). Placing it by the start's offset puts July's counts an hour late.
    let (sc, served) = served_in_chicago(r#"time_zone = "America/Chicago""#, "");
    for date in ["2025-01-15", "2025-07-15"] {
        for (local, n) in local_day(&sc, &served, date) {
            let want = if local % 2 == 0 { 11.0 } else { 12.0 };
            assert!(
                n == want,
                "{date} {local}:00 local: {n} requests, want {want}"
            );
        }
    }
    // Every wall-clock time of the horizon replays exactly once (the requests recorded in the
    // hour the clock skips land just after the change): 4728 elapsed hours end at 01:00 CDT,
    // 4729 wall-clock hours, 2364 whole periods of 23 requests and one even hour (11).
    let total: f64 = served.iter().sum();
    assert_eq!(total, 2364.0 * 23.0 + 11.0);
    // A trace with its own offsets is a list of instants: UTC 18:17 is 12:17 CST and 13:17
    // CDT, so in July odd local hours hold 7 + 4.
    let (sc, served) = served_in_chicago(
        r#"time_zone = "America/Chicago""#,
        r#", utc_offset = "+00:00""#,
    );
    for (local, n) in local_day(&sc, &served, "2025-07-15") {
        let want = if local % 2 == 1 { 11.0 } else { 12.0 };
        assert!(
            n == want,
            "July {local}:00 local: {n} requests, want {want}"
        );
    }
}
