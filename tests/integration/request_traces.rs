//! Request traces replay on the trace's own clock: requests land at the clock hour they were
//! recorded in (naive timestamps on the study's local clock, prevailing time included; a trace
//! with its own offsets as instants), and a trace scaled to a daily volume keeps its shape.

use dcload::base::time::SimTime;
use dcload::scenario::Scenario;
use dcload::sim::M_SERVED;

use crate::common::*;

/// A study from `start` on `clock` (a `utc_offset` or `time_zone` line) replaying the fixture
/// trace (23 requests from 18:17 to 20:16:40, repeated every 2 h on the clock) with
/// `trace_extra` in its table: the study and the requests served in each hour of the output
/// (capacity is ample, so served = arrived).
fn replay(
    start: &str,
    clock: &str,
    hours: u32,
    step_s: u32,
    trace_extra: &str,
) -> (Scenario, Vec<f64>) {
    let file = repo("tests/fixtures/trace_1817.csv");
    let sc = scenario(&format!(
        r#"
start = "{start}"
{clock}
horizon_hours = {hours}
step_s = {step_s}
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
    ));
    let t = &trials(&sc)[0];
    assert_eq!(t.summary.requests_dropped, 0.0);
    let served = (0..sc.horizon_hours as usize)
        .map(|h| at_hour(&sc, t, h, M_SERVED))
        .collect();
    (sc, served)
}

/// Two days from 2023-11-16 (the trace's own day) at one-minute steps on a fixed offset.
fn two_days(offset: &str, trace_extra: &str) -> Vec<f64> {
    let clock = format!("utc_offset = \"{offset}\"");
    replay("2023-11-16", &clock, 48, 60, trace_extra).1
}

#[test]
fn a_trace_replays_at_its_recorded_clock_hours_in_the_output() {
    // The fixture: 7 requests in 18:17-19:00, 12 in 19:00-20:00, 4 in 20:00-20:17. Each even
    // clock hour gets 7 + 4, each odd one 12: the trace's own counts, on the hours they were
    // recorded in.
    for (h, n) in two_days("+00:00", "").iter().enumerate() {
        let want = if h % 2 == 0 { 11.0 } else { 12.0 };
        assert!(*n == want, "hour {h}: {n} requests, want {want}");
    }
    // The trace recorded at UTC, replayed on a -05:00 study clock: 18:17 UTC is 13:17 local, so
    // odd local hours now hold 7 + 4.
    for (h, n) in two_days("-05:00", r#", utc_offset = "+00:00""#)
        .iter()
        .enumerate()
    {
        let want = if h % 2 == 1 { 11.0 } else { 12.0 };
        assert!(*n == want, "hour {h}: {n} requests, want {want}");
    }
}

#[test]
fn a_trace_scaled_to_a_daily_volume_keeps_its_shape() {
    // 276 requests a day at the trace's own rate; ask for 10x.
    for (h, n) in two_days("+00:00", ", requests_per_day = 2760.0")
        .iter()
        .enumerate()
    {
        let want = if h % 2 == 0 { 110.0 } else { 120.0 };
        assert!(*n == want, "hour {h}: {n} requests, want {want}");
    }
}

/// Requests served in each local hour of `date` (a day without a change), by local hour.
fn local_day(sc: &Scenario, served: &[f64], date: &str) -> Vec<(u32, f64)> {
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
    // A Chicago study (prevailing time) from 1 January: every even local hour gets 7 + 4, every
    // odd one 12, on the prevailing clock (CST in January, CDT in July). Placing it by the
    // start's offset puts July's counts an hour late.
    let chicago = r#"time_zone = "America/Chicago""#;
    let (sc, served) = replay("2025-01-01", chicago, 4728, 600, "");
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
    let (sc, served) = replay(
        "2025-01-01",
        chicago,
        4728,
        600,
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
