//! Demand response: delivering what is asked, reporting the shortfall, and the rebound.

use dcload::engine::M_FACILITY;

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
    let mw = |r: &dcload::engine::TrialResult, h: usize| f64::from(r.hourly[h * nm + M_FACILITY]);
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
