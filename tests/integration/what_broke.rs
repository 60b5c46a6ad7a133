//! "What broke first": the plant saturating in a heat wave, a pool dropping requests (named
//! alone when another pool has room), on the console, in summary.json and report.html, and
//! nothing when nothing broke.

use crate::common::*;
use dcload::base::time::SimTime;

/// The heat-wave study, shortened to 10 days around its July heat wave (day 191, 10 July):
/// the plant saturates, and its worst hour falls in July.
#[test]
fn heatwave_reports_plant_saturation_with_a_worst_hour_in_july() {
    let sc = scenario(&preset(
        "runs/heatwave-stress.toml",
        &[
            ("start = \"2025-01-01\"", "start = \"2025-07-08\""),
            ("horizon_hours = 8760", "horizon_hours = 240"),
            ("trials = 20", "trials = 1"),
        ],
    ));
    let r = trials(&sc);
    let s = &r[0].summary;
    assert!(s.plant_saturated_hours > 0.0, "{}", s.plant_saturated_hours);
    assert!(s.plant_saturated_worst_mwh > 0.0);
    assert!(s.plant_saturated_first_at_s >= 0.0);
    assert!(s.plant_saturated_worst_at_s >= s.plant_saturated_first_at_s - 3600.0);
    let worst = sc
        .calendar
        .timestamp(SimTime(s.plant_saturated_worst_at_s as u64));
    assert!(worst.starts_with("2025-07-"), "worst hour {worst}");
    let lines = dcload::report::what_broke::what_broke(&sc, &r);
    assert!(
        lines.iter().any(|l| l.contains("cooling plant saturated")),
        "{lines:?}"
    );
}

const SMALL_POOL: &str = r#"
name = "small-pool"
start = "2025-01-01"
horizon_hours = 48
step_s = 60
trials = 2
[[site.group]]
name = "hall"
server = "DGX-H100"
count = 1
[[consumer]]
name = "chat"
preset = "chat"
pool = "hall"
requests_per_day = 1.0e8
[facility]
kind = "fixed"
pue = 1.2
"#;

/// One server against 1e8 requests a day drops work: hours dropping, the worst hour's count
/// (which is at most the trial's total and whose hour is one of the hours dropping).
#[test]
fn a_pool_with_too_little_capacity_reports_dropping_hours_and_the_worst_hour() {
    let sc = scenario(SMALL_POOL);
    let r = trials(&sc);
    for t in &r {
        let s = &t.summary;
        assert!(s.requests_dropped > 0.0);
        assert!(
            s.drop_hours > 0.0 && s.drop_hours <= 48.0,
            "{}",
            s.drop_hours
        );
        assert!(s.drop_worst_hour_requests > 0.0);
        assert!(s.drop_worst_hour_requests <= s.requests_dropped);
        assert!(s.drop_worst_hour_requests * s.drop_hours >= s.requests_dropped);
        assert!((0.0..48.0 * 3600.0).contains(&s.drop_worst_at_s));
        assert_eq!(s.drop_worst_at_s % 3600.0, 0.0, "an hour's start");
        assert!(s.drop_first_at_s >= 0.0 && s.drop_first_at_s < s.drop_worst_at_s + 3600.0);
    }
    let lines = dcload::report::what_broke::what_broke(&sc, &r);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[1].contains("requests dropped") && lines[1].contains("worst 2025-01-0"));
    // Dropped requests are whole counts: their mean over the two trials, its band and the
    // worst hour are shown as whole numbers (no "1311286385.5 requests").
    let l = &lines[1];
    for unit in [" requests dropped (", " requests dropped in the hour"] {
        let before = &l[..l.find(unit).unwrap_or_else(|| panic!("{unit}: {l}"))];
        let figure = before.rsplit(['(', ' ']).next().unwrap_or("");
        assert!(
            !figure.is_empty() && figure.chars().all(|c| c.is_ascii_digit()),
            "{figure:?} in {l}"
        );
    }
}

/// Nothing breaks: no block on the console; a pool that drops prints it.
#[test]
fn the_console_prints_what_broke_only_when_something_did() {
    // A job holding a whole pool at 1,100 W per accelerator for a day: nothing breaks.
    let calm = one_job(24, 12, "0");
    for (name, text, block) in [("calm", calm.as_str(), false), ("small", SMALL_POOL, true)] {
        let f = RunFile::new(text);
        let (out, o) = f.run(name, &["--no-plots"]);
        let err = stderr(&o);
        assert_eq!(err.contains("what broke first"), block, "{name}: {err}");
        let (h, _) = read_csv(&out.join("trials.csv"));
        assert!(h.iter().any(|c| c == "ramp_steps_over_1mw"));
        assert_eq!(h.iter().any(|c| c == "drop_hours"), block);
    }
}

/// Two pools, each with a chat class of 1e6 requests a day: `north` with `north` DGX H100
/// servers, `south` with `south`. 200 servers carry it with room to spare; one server cannot
/// (it serves well under a tenth of it).
fn two_pools(north: u32, south: u32) -> String {
    format!(
        r#"
name = "two-pools"
start = "2025-01-01"
horizon_hours = 48
step_s = 60
trials = 2
[[site.group]]
name = "north"
server = "DGX-H100"
count = {north}
[[site.group]]
name = "south"
server = "DGX-H100"
count = {south}
[[consumer]]
name = "chat-n"
preset = "chat"
pool = "north"
requests_per_day = 1.0e6
[[consumer]]
name = "chat-s"
preset = "chat"
pool = "south"
requests_per_day = 1.0e6
[facility]
kind = "fixed"
pue = 1.2
"#
    )
}

/// Only the undersized pool is named, with its hours, first instant and requests; its figures
/// are the site-wide ones (the other pool drops nothing) and its requests its class's. Swapping
/// which pool is short moves the name. The console, summary.json and report.html say the same.
#[test]
fn what_broke_names_only_the_short_pool_and_follows_a_swap() {
    for (north, south, short, ample, short_class) in
        [(200, 1, "south", "north", 1), (1, 200, "north", "south", 0)]
    {
        let text = two_pools(north, south);
        let sc = scenario(&text);
        let r = trials(&sc);
        let ps = if short == "south" { 1 } else { 0 };
        for t in &r {
            let s = &t.summary;
            assert_eq!(s.pool_drops.len(), 2);
            let d = &s.pool_drops[ps];
            let other = &s.pool_drops[1 - ps];
            assert!(d.hours > 0.0 && d.hours <= 48.0, "{d:?}");
            assert!(d.first_at_s >= 0.0 && d.first_at_s < 48.0 * 3600.0, "{d:?}");
            assert!(d.worst_hour_requests > 0.0 && d.worst_at_s % 3600.0 == 0.0);
            assert_eq!(d.requests, s.classes[short_class].dropped as f64);
            assert_eq!(
                (other.hours, other.requests, other.first_at_s),
                (0.0, 0.0, -1.0)
            );
            assert_eq!(d.requests, s.requests_dropped);
            assert_eq!(d.hours, s.drop_hours);
            assert_eq!(d.first_at_s, s.drop_first_at_s);
        }
        let lines = dcload::report::what_broke::trouble_lines(&sc, &r);
        assert_eq!(lines.len(), 1, "{lines:?}");
        let first = sc
            .calendar
            .timestamp(SimTime(r[0].summary.pool_drops[ps].first_at_s as u64));
        assert!(
            lines[0].starts_with(&format!("pool \"{short}\" saturated, requests dropped"))
                && !lines[0].contains(ample)
                && lines[0].contains(&format!("first {}", first.get(..13).unwrap())),
            "{lines:?}"
        );

        let f = RunFile::new(&text);
        let (out, o) = f.run(short, &["--no-plots"]);
        let err = stderr(&o);
        assert!(
            err.contains(&format!("pool \"{short}\" saturated")),
            "{err}"
        );
        assert!(!err.contains(&format!("pool \"{ample}\"")), "{err}");
        let js = summary_json(&out);
        let wb: Vec<&str> = js["what_broke"]
            .as_array()
            .expect("what_broke in summary.json")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        assert_eq!(wb.len(), 1, "{wb:?}");
        assert!(wb[0].starts_with(&format!("pool \"{short}\"")), "{wb:?}");
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert!(
            html.contains("What broke first")
                && html.contains(&format!("pool &quot;{short}&quot; saturated")),
            "report.html lacks the pool's line"
        );
    }
    // Both ample: nothing listed, and summary.json has no `what_broke`.
    let sc = scenario(&two_pools(200, 200));
    let r = trials(&sc);
    assert!(dcload::report::what_broke::trouble_lines(&sc, &r).is_empty());
    let js = dcload::report::summary_json(&sc, &r, 1, 0.0).unwrap();
    assert!(!js.contains("what_broke"));
}
