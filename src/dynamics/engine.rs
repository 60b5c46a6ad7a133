//! The window's starting state from the hourly engine: each hour the window touches (sector
//! powers, overhead, served requests) and the training jobs holding accelerators in those hours.

use crate::scenario::Scenario;
use crate::sim::TrialResult;

use super::window::{FastParams, Hour, Inputs, Job};

/// Column of a named hourly metric, if the study writes it.
fn metric(sc: &Scenario, name: &str) -> Option<usize> {
    sc.metrics().iter().position(|m| *m == name)
}

/// The window's inputs from the hourly engine's results for `trial` of the (trial's) scenario.
pub fn inputs_from_engine(
    sc: &Scenario,
    r: &TrialResult,
    trial: u32,
    t0_s: f64,
    duration_s: f64,
    step_s: f64,
    params: FastParams,
) -> Inputs {
    let ncol = sc.metrics().len();
    let h_first = (t0_s / 3600.0).floor() as usize;
    let h_last = (((t0_s + duration_s) / 3600.0).ceil() as usize)
        .max(h_first + 1)
        .min(r.hourly.len() / ncol.max(1));
    let idle_mw = consumer_idle_mw(sc);
    let hours = (h_first..h_last.max(h_first + 1))
        .map(|h| hour(sc, r, h, idle_mw))
        .collect();
    let n_hours = r.hourly.len() / ncol.max(1);
    let before = h_first.checked_sub(1).map(|h| hour(sc, r, h, idle_mw));
    let after = (h_last < n_hours).then(|| hour(sc, r, h_last, idle_mw));
    let jobs = jobs_between(
        sc,
        r,
        h_first as f64 * 3600.0,
        h_last as f64 * 3600.0,
        &params,
    );
    Inputs {
        t0_s,
        duration_s,
        step_s,
        hours,
        before,
        after,
        jobs,
        params,
        seed: sc.seed,
        trial,
    }
}

/// Idle power of the pools consumer classes run on (the part of their power that does not
/// follow the requests), MW.
fn consumer_idle_mw(sc: &Scenario) -> f64 {
    let mut pools: Vec<usize> = sc.consumers.iter().map(|c| c.pool).collect();
    pools.sort_unstable();
    pools.dedup();
    pools
        .iter()
        .map(|&p| sc.fleet.pools[p].idle_w_per_capacity * sc.fleet.pools[p].capacity / 1e6)
        .sum()
}

/// The hourly engine's figures for hour `h`; `consumer_idle_mw` from [`consumer_idle_mw`].
fn hour(sc: &Scenario, r: &TrialResult, h: usize, consumer_idle_mw: f64) -> Hour {
    let ncol = sc.metrics().len();
    let get = |name: &str| metric(sc, name).map(|c| r.hourly[h * ncol + c] as f64);
    let consumer = get("it_consumer_mw").unwrap_or(0.0);
    Hour {
        start_s: h as f64 * 3600.0,
        training_mw: get("it_training_mw").unwrap_or(0.0),
        consumer_mw: consumer,
        industrial_mw: get("it_industrial_mw").unwrap_or(0.0),
        defense_mw: get("it_defense_mw").unwrap_or(0.0),
        idle_mw: get("it_idle_unallocated_mw").unwrap_or(0.0),
        it_mw: get("it_total_mw").unwrap_or(0.0),
        facility_mw: get("facility_mw").unwrap_or(0.0),
        cooling_mw: get("cooling_mw"),
        losses_mw: get("losses_mw"),
        requests_per_s: get("requests_served").unwrap_or(0.0) / 3600.0,
        consumer_dynamic_share: if consumer > 0.0 {
            (1.0 - consumer_idle_mw / consumer).clamp(0.0, 1.0)
        } else {
            0.0
        },
    }
}

/// The training jobs holding accelerators in [a, b) s, with their pool's power and the study's
/// checkpoint and failure figures, and the swing stated for their `[[training]]` (or the
/// default one).
fn jobs_between(sc: &Scenario, r: &TrialResult, a: f64, b: f64, p: &FastParams) -> Vec<Job> {
    r.summary
        .jobs
        .iter()
        .filter(|j| (j.start_s as f64) < b && j.end_s.is_none_or(|e| e as f64 > a))
        .map(|j| {
            let tr = &sc.trainings[j.training as usize];
            let pool = &sc.fleet.pools[tr.pool];
            let g = pool.groups.first().map(|&g| &sc.fleet.groups[g]);
            Job {
                name: format!("{}#{}", tr.name, j.job),
                start_s: j.start_s as f64,
                end_s: j.end_s.map(|e| e as f64),
                accelerators: j.accelerators,
                idle_w: pool.idle_w_per_capacity,
                busy_w: pool.watts_per_busy,
                board_idle_w: g.map_or(0.0, |g| g.acc_idle_w),
                tdp_w: g.map_or(1.0, |g| g.acc_tdp_w),
                swing: p
                    .job_swings
                    .iter()
                    .find(|s| s.training.eq_ignore_ascii_case(&tr.name))
                    .map_or(p.swing, |s| s.swing),
                checkpoint_interval_s: tr.checkpoint_interval_s as f64,
                checkpoint_duration_s: tr.checkpoint_duration_s as f64,
                checkpoint_utilisation: tr.checkpoint_utilisation,
                failure_rate_per_s: sc
                    .failures
                    .as_ref()
                    .map_or(0.0, |f| f.rate_per_acc_s * j.accelerators),
                restart_s: sc.failures.as_ref().map_or(0.0, |f| f.restart_s as f64),
            }
        })
        .collect()
}
