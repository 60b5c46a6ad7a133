//! Demand response: delivering what is asked, reporting the shortfall, and the rebound.

use dcload::sim::M_FACILITY;

use crate::common::*;

fn site(events: &str, consumer_only: bool) -> String {
    let training = if consumer_only {
        ""
    } else {
        "[[site.group]]\nname = \"tr\"\nrack = \"dgx-h100-x8-liquid\"\ncount = 100\n"
    };
    let job = if consumer_only {
        ""
    } else {
        "[[training]]\nname = \"run\"\npool = \"tr\"\nduration_days = 100\ncontinuous = true\n"
    };
    format!(
        r#"
horizon_hours = 96
step_s = 60
trials = 2
[site]
{training}
[[site.group]]
name = "inf"
rack = "dgx-h100-x4"
count = 100
{job}
[[consumer]]
name = "chat"
preset = "chat"
pool = "inf"
requests_per_day = 2.0e7
max_queue_s = 7200
[facility]
kind = "fixed"
pue = 1.2
{events}
"#
    )
}

#[test]
fn delivers_what_is_asked_when_flexible_load_allows_and_reports_the_shortfall_otherwise() {
    let sc = scenario(&site(
        "[grid.demand_response]\nevents = [{ start_day = 1, start_hour = 14, hours = 3, reduce_mw = 4.0 }, \
         { start_day = 2, start_hour = 14, hours = 3, reduce_mw = 30.0 }]",
        false,
    ));
    for t in trials(&sc) {
        let o = &t.summary.dr_outcomes;
        assert_eq!(o.len(), 2);
        assert!(
            (o[0].delivered_mw / 4.0 - 1.0).abs() < 0.02,
            "delivered {} of 4 MW",
            o[0].delivered_mw
        );
        // 30 MW is more than the flexible load: training (all of it) plus 30 % of consumer.
        assert!(
            o[1].delivered_mw < 30.0 && o[1].delivered_mw > 4.0,
            "delivered {}",
            o[1].delivered_mw
        );
        assert!(t.summary.dr_shortfall_mwh > 3.0 * (30.0 - o[1].delivered_mw) * 0.9);
    }
}

#[test]
fn deferred_consumer_work_comes_back_after_the_event() {
    let events = "[grid.demand_response]\nevents = [{ start_day = 1, start_hour = 14, hours = 2, reduce_mw = 0.5 }]\n\
                  flexibility = { consumer = 1.0 }\nresponse_minutes = { consumer = 0.0 }";
    let with = scenario(&site(events, true));
    let without = scenario(&site("", true));
    let (rw, ro) = (trials(&with), trials(&without));
    let nm = with.metrics().len();
    let mw = |r: &dcload::sim::TrialResult, h: usize| f64::from(r.hourly[h * nm + M_FACILITY]);
    for (a, b) in rw.iter().zip(&ro) {
        // During the event (hours 38-39) the site is lower; in the hour after, higher: the rebound.
        assert!(
            mw(a, 38) < mw(b, 38) - 0.45,
            "event: {} vs {}",
            mw(a, 38),
            mw(b, 38)
        );
        assert!(
            mw(a, 40) > mw(b, 40) + 0.1,
            "rebound: {} vs {}",
            mw(a, 40),
            mw(b, 40)
        );
        // Deferred, not lost: the requests are all served in the end.
        assert!(a.summary.requests_dropped == 0.0);
        assert!((a.summary.requests_served / b.summary.requests_served - 1.0).abs() < 0.01);
        assert!(a.summary.dr_deferred_acc_h > 0.0);
    }
}

/// Hourly facility MW of trial `t`'s hours `h0..h1`, mean.
fn mean_mw(
    sc: &dcload::scenario::Scenario,
    r: &dcload::sim::TrialResult,
    h0: usize,
    h1: usize,
) -> f64 {
    let nm = sc.metrics().len();
    (h0..h1)
        .map(|h| f64::from(r.hourly[h * nm + M_FACILITY]))
        .sum::<f64>()
        / (h1 - h0) as f64
}

#[test]
fn under_a_cap_delivery_is_measured_against_the_same_trial_without_the_event() {
    // The event: day 1, 14:00-17:00 (hours 38-40), asking 4 MW.
    let event = "[grid.demand_response]\nevents = [{ start_day = 1, start_hour = 14, hours = 3, reduce_mw = 4.0 }]";
    // A limit 3 MW below the uncapped demand in the event hours: the cap sheds load anyway.
    let free = scenario(&site("", false));
    let uncapped = trials(&free);
    let low = (38..41)
        .map(|h| mean_mw(&free, &uncapped[0], h, h + 1))
        .fold(f64::INFINITY, f64::min);
    let limit = low - 3.0;
    let cap = format!("[grid]\nimport_limit_mw = {limit}\nlimit_policy = \"cap\"\n");
    let with = scenario(&site(&format!("{cap}{event}"), false));
    let without = scenario(&site(&cap, false));
    let (rw, ro) = (trials(&with), trials(&without));
    for ((a, b), u) in rw.iter().zip(&ro).zip(&uncapped) {
        let o = &a.summary.dr_outcomes[0];
        // The counterfactual: an independent run of the same seed with the cap and no event.
        let reduction = mean_mw(&without, b, 38, 41) - mean_mw(&with, a, 38, 41);
        assert!(
            (o.delivered_mw / reduction - 1.0).abs() < 0.01,
            "reported {} MW, counterfactual reduction {reduction} MW",
            o.delivered_mw
        );
        // The baseline is the capped demand, not the uncapped one the cap was already shedding.
        assert!(
            o.baseline_mw <= limit + 1e-6,
            "baseline {} above the limit",
            o.baseline_mw
        );
        assert!(mean_mw(&free, u, 38, 41) > o.baseline_mw + 2.5);
        // With the cap's part excluded, the 4 MW asked for is what the meter shows.
        assert!(
            (o.delivered_mw / 4.0 - 1.0).abs() < 0.03,
            "{}",
            o.delivered_mw
        );
        assert!((o.metered_mw - (o.baseline_mw - o.delivered_mw)).abs() < 1e-9);
    }
}

#[test]
fn deferred_work_shows_as_a_rebound_above_the_baseline() {
    let events = "[grid.demand_response]\nevents = [{ start_day = 1, start_hour = 14, hours = 2, reduce_mw = 0.5 }]\n\
                  flexibility = { consumer = 1.0 }\nresponse_minutes = { consumer = 0.0 }\nrebound_hours = 6";
    let with = scenario(&site(events, true));
    let without = scenario(&site("", true));
    for (a, b) in trials(&with).iter().zip(&trials(&without)) {
        let o = &a.summary.dr_outcomes[0];
        assert!(o.rebound_mwh > 0.0 && o.rebound_peak_mw > 0.0, "{o:?}");
        assert_eq!(o.rebound_hours, 6.0);
        // The deferred work comes back in the hour after the event: the rebound peak is at least
        // that hour's excess over the run without the event.
        let excess = mean_mw(&with, a, 40, 41) - mean_mw(&without, b, 40, 41);
        assert!(
            excess > 0.1 && o.rebound_peak_mw >= excess - 1e-6,
            "{excess} vs {o:?}"
        );
        assert!(a.summary.dr_rebound_mwh >= o.rebound_mwh - 1e-12);
        // The energy deferred comes back: the rebound is of the order of what was delivered.
        let delivered_mwh = o.delivered_mw * 2.0;
        assert!(
            o.rebound_mwh > 0.5 * delivered_mwh && o.rebound_mwh < 2.0 * delivered_mwh,
            "rebound {} MWh after {delivered_mwh} MWh delivered",
            o.rebound_mwh
        );
    }
}

/// A twin at a fixed tempo (no jitter) on 100 DGX H100, plus a training job on 100 more that runs
/// 12:00-18:00 on the given days: days with the job are high-demand days.
fn rule_site(job_days: &[u32], event_day: u32, baseline: &str) -> String {
    let days: Vec<String> = job_days.iter().map(|d| format!("{d}.5")).collect();
    format!(
        r#"
start = "2025-03-03"
horizon_hours = 480
step_s = 300
trials = 1
[site]
[[site.group]]
name = "tw"
server = "DGX-H100"
count = 100
[[site.group]]
name = "tr"
server = "DGX-H100"
count = 100
[[twin]]
name = "t"
pool = "tw"
base_utilisation = 0.8
[[training]]
name = "j"
pool = "tr"
duration_days = 0.25
start_days = [{}]
[facility]
kind = "fixed"
pue = 1.2
[grid.demand_response]
events = [{{ start_day = {event_day}, start_hour = 14, hours = 2, reduce_mw = 0.2 }}]
baseline = "{baseline}"
"#,
        days.join(", ")
    )
}

#[test]
fn utility_baseline_rules_average_the_days_they_name() {
    // 2025-03-03 is a Monday; the event is on day 14 (Monday 17 March). The 10 most recent
    // weekdays before it are days 0-4 and 7-11 (days 5, 6, 12 and 13 are a weekend).
    // Training runs on five of them (days 1, 3, 7, 9, 11): those are the high 5 of 10.
    let job_days = [1, 3, 7, 9, 11];
    let hi = scenario(&rule_site(&job_days, 14, "high-5-of-10"));
    let prev = scenario(&rule_site(&job_days, 14, "previous-day"));
    let cf = scenario(&rule_site(&job_days, 14, "counterfactual"));
    let (rh, rp, rc) = (trials(&hi), trials(&prev), trials(&cf));
    let at = |sc: &dcload::scenario::Scenario, r: &dcload::sim::TrialResult, day: usize| {
        mean_mw(sc, r, day * 24 + 14, day * 24 + 16)
    };
    let (oh, op, oc) = (
        &rh[0].summary.dr_outcomes[0],
        &rp[0].summary.dr_outcomes[0],
        &rc[0].summary.dr_outcomes[0],
    );
    assert_eq!(
        (oh.baseline_days, op.baseline_days, oc.baseline_days),
        (5, 1, 0)
    );
    // High 5 of 10: the mean of the five training days' demand in the event hours.
    let want: f64 = job_days
        .iter()
        .map(|&d| at(&hi, &rh[0], d as usize))
        .sum::<f64>()
        / 5.0;
    assert!(
        (oh.baseline_mw - want).abs() < 1e-3,
        "{} vs {want}",
        oh.baseline_mw
    );
    // Previous day (day 13, a Sunday without training).
    assert!((op.baseline_mw - at(&prev, &rp[0], 13)).abs() < 1e-3);
    assert!(
        oh.baseline_mw > op.baseline_mw + 0.3,
        "training days are high days: {} vs {}",
        oh.baseline_mw,
        op.baseline_mw
    );
    // The metered demand is the same whatever the rule; the delivered MW differ by the baseline.
    assert!((oh.metered_mw - op.metered_mw).abs() < 1e-9);
    assert!((oh.delivered_mw - (oh.baseline_mw - oh.metered_mw)).abs() < 1e-9);
    // Without training on the event day, the counterfactual is the twin's own demand.
    assert!((oc.baseline_mw - op.baseline_mw).abs() < 1e-3);
    // An event on the first day has no earlier day for a rule: NaN and 0 days, said so.
    let first = scenario(&rule_site(&job_days, 0, "previous-day"));
    let o = &trials(&first)[0].summary.dr_outcomes[0];
    assert!(o.baseline_days == 0 && o.delivered_mw.is_nan());
}

#[test]
fn dr_events_csv_carries_baseline_and_rebound_and_reduce_pct_points_to_reduce_share() {
    let dir = tempfile::tempdir().unwrap();
    let run = site(
        "[grid.demand_response]\nevents = [{ start_day = 1, start_hour = 14, hours = 2, reduce_share = 0.1 }]",
        false,
    );
    std::fs::write(dir.path().join("d.toml"), &run).unwrap();
    let out = dir.path().join("o");
    run_ok(&[
        "run",
        dir.path().join("d.toml").to_str().unwrap(),
        "--quiet",
        "--no-plots",
        "--out",
        out.to_str().unwrap(),
    ]);
    let (h, rows) = read_csv(&out.join("dr_events.csv"));
    assert_eq!(rows.len(), 2, "one event in each of two trials");
    for c in [
        "baseline_mw",
        "metered_mw",
        "delivered_mw",
        "rebound_mwh",
        "rebound_peak_mw",
    ] {
        col(&h, c);
    }
    for r in &rows {
        let f = |c: &str| r[col(&h, c)].parse::<f64>().unwrap();
        // 10 % of the demand when the event starts is asked for (the baseline's mean over the
        // event differs by the load's drift within it).
        let share = f("requested_mw") / f("baseline_mw");
        assert!((share - 0.1).abs() < 0.005, "{share}");
    }
    let (th, _) = read_csv(&out.join("trials.csv"));
    col(&th, "dr_rebound_mwh");
    std::fs::write(
        dir.path().join("d.toml"),
        run.replace("reduce_share = 0.1", "reduce_pct = 10"),
    )
    .unwrap();
    let o = dcload()
        .args(["validate", dir.path().join("d.toml").to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("`reduce_pct`") && err.contains("reduce_share = 0.1"),
        "{err}"
    );
}
