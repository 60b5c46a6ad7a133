//! Grid events: demand response (delivering what is asked, reporting the shortfall, the
//! baseline rules, the rebound), the import limit (recorded, or a cap that never exceeds it,
//! never sheds defense and curtails exactly the energy it removes) and grid outages (UPS,
//! generators, fuel autonomy, unserved energy).

use dcload::sim::{M_FACILITY, M_FACILITY_PEAK};

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
    let mw = |r: &dcload::sim::TrialResult, h: usize| at_hour(&with, r, h, M_FACILITY);
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

/// Facility MW of a trial, mean over hours `h0..h1`.
fn mean_mw(
    sc: &dcload::scenario::Scenario,
    r: &dcload::sim::TrialResult,
    h0: usize,
    h1: usize,
) -> f64 {
    mean_over(sc, r, M_FACILITY, h0..h1)
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
    let run = site(
        "[grid.demand_response]\nevents = [{ start_day = 1, start_hour = 14, hours = 2, reduce_share = 0.1 }]",
        false,
    );
    let (_f, out) = run_quiet(&run, &[]);
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
        let f = |c: &str| num(&r[col(&h, c)]);
        // 10 % of the demand when the event starts is asked for (the baseline's mean over the
        // event differs by the load's drift within it).
        let share = f("requested_mw") / f("baseline_mw");
        assert!((share - 0.1).abs() < 0.005, "{share}");
    }
    let (th, _) = read_csv(&out.join("trials.csv"));
    col(&th, "dr_rebound_mwh");
    let err = RunFile::new(&run.replace("reduce_share = 0.1", "reduce_pct = 10")).validate_fails();
    assert_says(&err, &["`reduce_pct`", "reduce_share = 0.1"]);
}

/// An event a rule baseline cannot measure (the first day has no previous day) leaves its
/// figures empty in dr_events.csv and out of the trial's sums, and the run finishes and resumes:
/// it used to stop with "dr_delivered_mwh is NaN", and a checkpoint holding the event could
/// not be read back.
#[test]
fn an_event_a_rule_baseline_cannot_measure_is_written_empty_and_left_out_of_the_sums() {
    let run = site(
        "[grid.demand_response]\nevents = [{ start_day = 0, start_hour = 14, hours = 2, reduce_share = 0.1 }, { start_day = 2, start_hour = 14, hours = 2, reduce_share = 0.1 }]\nbaseline = \"previous-day\"",
        false,
    );
    let (_f, out) = run_quiet(&run, &[]);
    let (h, rows) = read_csv(&out.join("dr_events.csv"));
    assert_eq!(rows.len(), 4, "two events in each of two trials");
    let (th, trows) = read_csv(&out.join("trials.csv"));
    for (t, tr) in trows.iter().enumerate() {
        let mine: Vec<&Vec<String>> = rows
            .iter()
            .filter(|r| r[col(&h, "trial")] == t.to_string())
            .collect();
        let (first, second) = (mine[0], mine[1]);
        assert_eq!(first[col(&h, "baseline_days")], "0");
        for c in ["baseline_mw", "delivered_mw", "shortfall_mw", "rebound_mwh"] {
            assert_eq!(first[col(&h, c)], "", "{c} of the unmeasured event");
        }
        assert_eq!(second[col(&h, "baseline_days")], "1");
        // The trial's delivered energy is the measured event's alone: 2 h x its MW.
        let want = 2.0 * num(&second[col(&h, "delivered_mw")]);
        let got = num(&tr[col(&th, "dr_delivered_mwh")]);
        assert!(
            (got - want).abs() <= 1e-3 * want.abs().max(1.0),
            "{got} vs {want}"
        );
    }
}

/// Identical days, nothing sheddable (industrial flexibility 0): an event delivers nothing, so
/// the day after it draws what the baseline day drew and no rebound may be reported. The
/// twin's shift (a 14:00-16:00 step in load) varies within the hours around the event at 300 s
/// steps; step-by-step positive parts against the hourly baseline counted that as 0.2 MWh.
#[test]
fn an_event_that_sheds_nothing_reports_no_rebound_against_a_rule_baseline() {
    let text = r#"
start = "2025-03-01"
utc_offset = "-06:00"
horizon_hours = 336
step_s = 300
trials = 1
[[site.group]]
name = "gpu"
rack = "dgx-h100-x4"
count = 100
[[twin]]
name = "tw"
pool = "gpu"
allocation = 1.0
base_utilisation = 0.9
shift_hours = [14.5, 16.25]
off_shift_factor = 0.3
weekend_factor = 1.0
[grid.demand_response]
events = [{ start_day = 8, start_hour = 14.0, hours = 2.0, reduce_mw = 1.0 }]
flexibility = { training = 1.0, consumer = 0.3, industrial = 0.0 }
baseline = "previous-day"
[facility]
kind = "fixed"
pue = 1.25
"#;
    let sc = scenario(text);
    let r = trials(&sc);
    let o = &r[0].summary.dr_outcomes[0];
    assert_eq!(o.baseline_days, 1, "{o:?}");
    assert!(o.delivered_mw.abs() < 1e-9, "{o:?}");
    assert!(o.rebound_mwh.abs() < 1e-9, "{o:?}");
    assert!(o.rebound_peak_mw.abs() < 1e-9, "{o:?}");
}

#[test]
fn record_policy_matches_a_hand_computed_case() {
    let sc = scenario(&two_levels(
        "2025-01-01",
        48,
        "1.0",
        "0.5",
        "[grid]\nimport_limit_mw = 0.15\nlimit_policy = \"record\"",
    ));
    let g = &sc.fleet.groups;
    let full = g[0].peak_w() + g[1].peak_w();
    let excess_mw = (full - 0.15e6) / 1e6;
    assert!(
        excess_mw > 0.0 && g[0].peak_w() + g[1].power_w(0.0) < 0.15e6,
        "the case needs two levels"
    );
    for t in trials(&sc) {
        let s = &t.summary;
        assert!(
            (s.exceed_hours - 12.0).abs() < 1e-9,
            "hours {}",
            s.exceed_hours
        );
        assert!(
            (s.exceed_mwh - 12.0 * excess_mw).abs() < 1e-6,
            "MWh {} vs {}",
            s.exceed_mwh,
            12.0 * excess_mw
        );
        assert!((s.exceed_worst_mw - excess_mw).abs() < 1e-9);
    }
}

#[test]
fn cap_policy_never_exceeds_and_never_sheds_defense() {
    let base = edit(&default_short(720, 300), &[("trials = 20", "trials = 2")]);
    let with = |policy: &str| {
        format!("{base}\n[grid]\nimport_limit_mw = 70.0\nlimit_policy = \"{policy}\"\n")
    };
    let cap = scenario(&with("cap"));
    let rec = scenario(&with("record"));
    let (rc, rr) = (trials(&cap), trials(&rec));
    let nm = cap.metrics().len();
    for (c, r) in rc.iter().zip(&rr) {
        assert!(
            r.summary.exceed_hours > 10.0,
            "the limit must bind for the test to mean anything"
        );
        for h in 0..cap.horizon_hours as usize {
            let peak = f64::from(c.hourly[h * nm + M_FACILITY_PEAK]);
            assert!(
                peak <= 70.0 + 1e-3,
                "hour {h}: {peak} MW above the 70 MW cap"
            );
        }
        assert_eq!(c.summary.exceed_hours, 0.0);
        assert!(c.summary.shed_training_acc_h > 0.0);
        // Defense draws exactly what it draws without the cap.
        assert!(
            (c.summary.sector_mwh[3] - r.summary.sector_mwh[3]).abs()
                < 1e-6 * r.summary.sector_mwh[3]
        );
        assert!(c.summary.energy_mwh < r.summary.energy_mwh);
    }
}

#[test]
fn bad_grid_input_names_the_field() {
    for (grid, field) in [
        ("[grid]\nimport_limit_mw = -3.0", "import_limit_mw"),
        (
            "[grid]\nimport_limit_mw = 3.0\nlimit_policy = \"shed\"",
            "limit_policy",
        ),
        (
            "[grid]\nsystem_peak_hours = [\"2025-13-01T10:00\"]",
            "system_peak_hours",
        ),
    ] {
        let text = two_levels("2025-01-01", 48, "1.0", "0.5", grid);
        let err = resolve_err("g.toml", &text);
        let line = text.lines().position(|l| l.contains(field)).unwrap() + 1;
        assert!(
            err.contains(&format!("g.toml:{line}")) && err.contains(field),
            "{err}"
        );
    }
}

#[test]
fn cap_curtailment_equals_the_energy_the_cap_removes() {
    // What the equality covers: load the cap sheds and that does not come back later. Here the
    // flexible load is a jittery twin and a training job: under a cap twins slow without a
    // backlog and paused training is not made up (the job ends when it would have), so every
    // MWh shed is a MWh not drawn. Consumer requests would be re-queued and partly return, and
    // then curtailed MWh = uncapped - capped energy + the energy that returned. With a fixed
    // PUE, the facility demand the engine estimates before and after shedding is exact.
    let text = |grid: &str| {
        two_levels("2025-01-01", 72, "1.0", "0.5", grid)
            .replace(
                "base_utilisation = 1.0",
                "base_utilisation = 0.8\njitter_sd = 0.1\njitter_tau_h = 1.0",
            )
            .replace("pue = 1.0", "pue = 1.3")
    };
    let free = scenario(&text(""));
    let capped = scenario(&text(
        "[grid]\nimport_limit_mw = 0.2\nlimit_policy = \"cap\"",
    ));
    let nm = capped.metrics().len();
    let shed = capped
        .metric_pos(dcload::sim::M_SHED)
        .expect("a shed_mw column under a cap");
    for (c, f) in trials(&capped).iter().zip(&trials(&free)) {
        let s = &c.summary;
        assert!(
            s.curtailed_mwh > 0.2,
            "the cap must bind: {}",
            s.curtailed_mwh
        );
        let removed = f.summary.energy_mwh - s.energy_mwh;
        assert!(
            (s.curtailed_mwh - removed).abs() < 1e-6 * removed,
            "curtailed {} MWh vs uncapped - capped {removed} MWh",
            s.curtailed_mwh
        );
        // The hourly shed_mw column integrates to the same energy; hours and the largest MW agree.
        let hourly: Vec<f64> = (0..72)
            .map(|h| f64::from(c.hourly[h * nm + shed]))
            .collect();
        let mwh: f64 = hourly.iter().sum();
        assert!((mwh - s.curtailed_mwh).abs() < 1e-4 * s.curtailed_mwh);
        let hours_with = hourly.iter().filter(|x| **x > 0.0).count() as f64;
        assert!(s.curtailed_hours > 0.0 && s.curtailed_hours <= hours_with + 1e-9);
        let max_hour = hourly.iter().copied().fold(0.0, f64::max);
        assert!(s.curtailed_max_mw >= max_hour - 1e-6);
    }
    // And through the binary: the shed_mw band in hourly.csv and the figures in summary.json.
    let (_f, out) = run_quiet(
        &text("[grid]\nimport_limit_mw = 0.2\nlimit_policy = \"cap\""),
        &[],
    );
    let (h, _) = read_csv(&out.join("hourly.csv"));
    for b in ["mean", "p10", "p50", "p90"] {
        col(&h, &format!("shed_mw_{b}"));
    }
    let summary = summary_json(&out);
    for k in ["curtailed_hours", "curtailed_mwh", "curtailed_max_mw"] {
        assert!(summary["metrics"][k]["p50"].as_f64().unwrap() > 0.0, "{k}");
    }
}

fn outage_site(outage_hours: f64, backup: &str) -> String {
    format!(
        r#"
horizon_hours = 240
step_s = 60
trials = 2
[[site.group]]
name = "tw"
server = "DGX-H100"
count = 100
[[twin]]
name = "always"
pool = "tw"
base_utilisation = 0.8
[facility]
kind = "fixed"
pue = 1.2
[grid.outages]
scheduled = [{{ start_day = 2.0, hours = {outage_hours} }}]
{backup}
"#
    )
}

#[test]
fn an_outage_longer_than_the_fuel_leaves_energy_unserved_a_shorter_one_does_not() {
    // ~0.9 MW of load; 2 MW of generators with 12 h of fuel at full output (~26 h at this load).
    let backup = "[backup]\nups_ride_through_min = 10\ngenerator_mw = 2.0\ngenerator_start_s = 30\nfuel_hours = 12";
    for t in trials(&scenario(&outage_site(6.0, backup))) {
        let s = &t.summary;
        assert!((s.outage_hours - 6.0).abs() < 1e-9);
        assert_eq!(s.unserved_mwh, 0.0, "a 6 h outage is covered");
        assert!(s.ups_mwh > 0.0, "the UPS bridges the generator start");
        // Generators carry the rest: energy balance over the outage.
        let demand_mwh = s.energy_mwh / 240.0 * 6.0;
        assert!((s.ups_mwh + s.generator_mwh - demand_mwh).abs() < 0.01 * demand_mwh);
        assert!((s.generator_co2_t - s.fuel_l * 2.70 / 1000.0).abs() < 1e-9);
    }
    for t in trials(&scenario(&outage_site(72.0, backup))) {
        assert!(
            t.summary.unserved_mwh > 1.0,
            "72 h outlasts the fuel: {}",
            t.summary.unserved_mwh
        );
        // The tank: 12 h x 2 MW x 270 L/MWh.
        assert!(
            (t.summary.fuel_l - 12.0 * 2.0 * 270.0).abs() < 1.0,
            "fuel {}",
            t.summary.fuel_l
        );
    }
    // Generators that fail to start: only the UPS, then darkness.
    let dead = backup.to_string() + "\ngenerator_fail_to_start = 1.0";
    for t in trials(&scenario(&outage_site(6.0, &dead))) {
        assert_eq!(t.summary.generator_mwh, 0.0);
        assert!(t.summary.unserved_mwh > 4.0);
    }
}

#[test]
fn ups_redundancy_decides_what_a_module_failure_does() {
    // Modules fail often here to make the point; N leaves the load unprotected far more than 2N.
    let run = |red: &str| {
        let backup = format!(
            "[backup]\nups_ride_through_min = 10\ngenerator_mw = 2.0\nfuel_hours = 12\nups_redundancy = \"{red}\"\n\
             ups_modules = 4\nups_module_failures_per_year = 50\nups_module_repair_hours = 24"
        );
        let r = trials(&scenario(&outage_site(6.0, &backup)));
        r.iter()
            .map(|t| t.summary.ups_unprotected_hours)
            .sum::<f64>()
    };
    let (n, n1, two) = (run("N"), run("N+1"), run("2N"));
    assert!(
        n > n1 && n1 >= two,
        "unprotected hours: N {n} N+1 {n1} 2N {two}"
    );
}
