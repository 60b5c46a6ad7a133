//! Trace replay on the trace's own clock: requests land at the clock hour they were recorded in.

use crate::common::*;
use dcload::sim::M_SERVED;

fn study(study_offset: &str, trace_offset: &str) -> String {
    let file = repo("tests/fixtures/trace_1817.csv");
    format!(
        r#"
start = "2023-11-16"
utc_offset = "{study_offset}"
horizon_hours = 48
step_s = 60
trials = 1
[[site.group]]
name = "inf"
server = "DGX-H100"
count = 10
[[consumer]]
name = "chat"
pool = "inf"
trace = {{ file = "{}"{trace_offset} }}
[facility]
kind = "fixed"
pue = 1.2
"#,
        file.display()
    )
}

/// Requests served in each hour of the output (capacity is ample, so served = arrived).
fn served_per_hour(text: &str) -> Vec<f64> {
    let sc = scenario(text);
    let pos = sc.metric_pos(M_SERVED).expect("requests_served column");
    let nm = sc.metrics().len();
    let t = &trials(&sc)[0];
    assert_eq!(t.summary.requests_dropped, 0.0);
    (0..sc.horizon_hours as usize)
        .map(|h| f64::from(t.hourly[h * nm + pos]))
        .collect()
}

#[test]
fn a_trace_replays_at_its_recorded_clock_hours_in_the_output() {
    // The fixture: 23 requests, 2023-11-16 18:17 to 20:16:40 (7 in 18:17-19:00, 12 in 19:00-20:00,
    // 4 in 20:00-20:17), repeated every 2 h on the clock. Each even clock hour gets 7 + 4, each
    // odd one 12: the trace's own counts, on the hours they were recorded in.
    let served = served_per_hour(&study("+00:00", ""));
    for (h, n) in served.iter().enumerate() {
        let want = if h % 2 == 0 { 11.0 } else { 12.0 };
        assert!(*n == want, "hour {h}: {n} requests, want {want}");
    }
    // The trace recorded at UTC, replayed on a -05:00 study clock: 18:17 UTC is 13:17 local, so
    // odd local hours now hold 7 + 4.
    let served = served_per_hour(&study("-05:00", r#", utc_offset = "+00:00""#));
    for (h, n) in served.iter().enumerate() {
        let want = if h % 2 == 1 { 11.0 } else { 12.0 };
        assert!(*n == want, "hour {h}: {n} requests, want {want}");
    }
}

#[test]
fn a_trace_scaled_to_a_daily_volume_keeps_its_shape() {
    // 276 requests a day at the trace's own rate; ask for 10x.
    let text = study("+00:00", ", requests_per_day = 2760.0");
    let served = served_per_hour(&text);
    for (h, n) in served.iter().enumerate() {
        let want = if h % 2 == 0 { 110.0 } else { 120.0 };
        assert!(*n == want, "hour {h}: {n} requests, want {want}");
    }
}
