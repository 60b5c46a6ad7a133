//! One Monte Carlo trial: a fixed time step with an event queue between steps.
//!
//! Data flows one way inside a step: workloads ask for accelerator work; each pool serves it up
//! to its capacity (defense first, then twins, training, consumer requests) and turns its
//! utilisation into IT power; the facility turns IT power into facility power; the step's figures
//! go to the hourly accumulators. The loop allocates nothing and looks nothing up by name.

pub mod events;
mod state;

use crate::fleet::Sector;
use crate::study::Scenario;
use crate::time::SimTime;
use crate::workload::arrivals::poisson_count;
use crate::workload::shape::WEEK_S;
pub use events::{Event, EventQueue};
use state::{PoolStep, TrialState};

/// Hourly metrics of one trial, in this column order.
pub const METRICS: [&str; 9] = [
    "it_consumer_mw",
    "it_industrial_mw",
    "it_training_mw",
    "it_defense_mw",
    "it_total_mw",
    "facility_mw",
    "facility_peak_mw",
    "requests_served",
    "requests_dropped",
];
pub const M_IT_TOTAL: usize = 4;
pub const M_FACILITY: usize = 5;
pub const M_FACILITY_PEAK: usize = 6;
pub const M_SERVED: usize = 7;
pub const M_DROPPED: usize = 8;

/// A trial's whole-horizon figures.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct TrialSummary {
    pub trial: u32,
    pub energy_mwh: f64,
    pub it_energy_mwh: f64,
    /// Highest hourly mean facility demand, MW.
    pub peak_mw: f64,
    /// Highest single-step facility demand, MW.
    pub peak_step_mw: f64,
    /// Mean / peak hourly demand.
    pub load_factor: f64,
    /// Facility energy / IT energy over the horizon.
    pub pue: f64,
    pub requests_served: f64,
    pub requests_dropped: f64,
    pub sector_mwh: [f64; 4],
    pub training_jobs_completed: u64,
    /// Defense work that found no capacity, accelerator-hours.
    pub defense_unserved_acc_h: f64,
}

#[derive(Clone, Debug)]
pub struct TrialResult {
    /// `hours x METRICS.len()`, hour-major.
    pub hourly: Vec<f32>,
    pub summary: TrialSummary,
}

/// Runs trial `trial` of the scenario. Every random number comes from streams derived from
/// (seed, trial) alone, so the result does not depend on threads or on other trials.
pub fn run_trial(sc: &Scenario, trial: u32) -> TrialResult {
    let mut st = TrialState::new(sc, trial);
    let dt = sc.step_s;
    let dt_f = dt as f64;
    let inv_dt = 1.0 / dt_f;
    let steps_per_hour = 3600 / dt;
    let hours = sc.horizon_hours as usize;
    let nm = METRICS.len();
    let mut hourly = vec![0f32; hours * nm];
    let mut hour_acc = [0f64; 9];
    let mut hour_peak = 0f64;
    let mut sum = TrialSummary {
        trial,
        ..Default::default()
    };
    let to_mwh = dt_f / 3600.0 / 1e6;

    let mut defense_unserved_acc_s = 0.0;
    let mut step_in_hour = 0;
    let steps_per_week = (WEEK_S as u64 / dt) as usize;
    let mut week_step =
        sc.calendar.weekday(SimTime(0), sc.calendar.utc_offset_s()) * (86_400 / dt as usize);
    for step in 0..(sc.horizon_hours * steps_per_hour) {
        let t = SimTime(step * dt);
        if st.events.next_time() <= t.0 {
            st.process_events(sc, t.0);
        }
        if step_in_hour == 0 {
            for (cs, c) in st.consumers.iter_mut().zip(&sc.consumers) {
                cs.growth = c.growth(t);
            }
        }

        // 1. Demand and service, pool by pool, in priority order.
        for (ps, pool) in st.pools.iter_mut().zip(&sc.fleet.pools) {
            *ps = PoolStep {
                free: pool.capacity,
                ..PoolStep::default()
            };
        }
        let pools = &mut st.pools[..];
        for (ds, d) in st.defenses.iter_mut().zip(&sc.defenses) {
            let jit = ds.jitter.step(&mut ds.rng);
            let demand = d.need
                * d.utilisation
                * (1.0 + jit).max(0.0)
                * (1.0 + ds.surge_extra)
                * d.active_copies;
            let ps = &mut pools[d.pool];
            let served = demand.min((ps.free - d.standby_capacity).max(0.0));
            defense_unserved_acc_s += (demand - served) * dt_f;
            ps.free -= served;
            ps.busy[Sector::Defense as usize] += served;
        }
        for (ws, w) in st.twins.iter_mut().zip(&sc.twins) {
            let jit = ws.jitter.step(&mut ws.rng);
            let u = (w.base_utilisation * w.week.at(week_step) * (1.0 + jit) + ws.campaign_extra)
                .clamp(0.0, 1.0);
            let mut demand = w.accelerators * u;
            if w.edge_events_per_s > 0.0 {
                let n = poisson_count(w.edge_events_per_s * dt_f, &mut ws.rng);
                demand += n * w.edge_acc_s_per_event * inv_dt;
            }
            let ps = &mut pools[w.pool];
            let served = demand.min(ps.free);
            ps.free -= served;
            ps.busy[Sector::Industrial as usize] += served;
        }
        for (busy, w) in st.training_busy.iter().zip(&sc.trainings) {
            let ps = &mut pools[w.pool];
            let served = busy.min(ps.free);
            ps.free -= served;
            ps.busy[Sector::Training as usize] += served;
        }
        // Consumer classes sharing a pool split its free capacity in proportion to demand.
        for (cs, c) in st.consumers.iter_mut().zip(&sc.consumers) {
            let (_n, work) = c.arrivals(t, dt, week_step, cs.growth, &mut cs.rng);
            cs.demand = cs.queue + work;
            pools[c.pool].consumer_demand += cs.demand;
        }
        for ps in pools.iter_mut() {
            ps.consumer_share = if ps.consumer_demand > 0.0 {
                (ps.free * dt_f / ps.consumer_demand).min(1.0)
            } else {
                0.0
            };
        }
        for (cs, c) in st.consumers.iter_mut().zip(&sc.consumers) {
            let ps = &mut pools[c.pool];
            let served = cs.demand * ps.consumer_share;
            let mut queue = cs.demand - served;
            let max_q = c.max_queue_work;
            let mut dropped = 0.0;
            if queue > max_q {
                dropped = queue - max_q;
                queue = max_q;
            }
            cs.queue = queue;
            ps.busy[Sector::Consumer as usize] += served * inv_dt;
            hour_acc[M_SERVED] += served * c.inv_mean_work;
            hour_acc[M_DROPPED] += dropped * c.inv_mean_work;
        }

        // 2. Fleet power: every group of a pool runs at the pool's utilisation.
        for (ps, pool) in pools.iter_mut().zip(&sc.fleet.pools) {
            let busy: f64 = ps.busy.iter().sum();
            let u = busy * pool.inv_capacity;
            ps.power_w = pool.groups_power_w(&sc.fleet.groups, u);
        }
        let mut sector_w = [0f64; 4];
        for (ps, pool) in pools.iter().zip(&sc.fleet.pools) {
            let busy: f64 = ps.busy.iter().sum();
            if busy > 0.0 {
                let per_busy = ps.power_w / busy;
                for (w, b) in sector_w.iter_mut().zip(ps.busy) {
                    *w += per_busy * b;
                }
            } else {
                sector_w[pool.primary as usize] += ps.power_w;
            }
        }
        let it_w: f64 = sector_w.iter().sum();

        // 3. Facility.
        let fac = sc.facility.step(it_w);

        // 4. Accumulate.
        for (acc, w) in hour_acc.iter_mut().zip(sector_w) {
            *acc += w;
        }
        hour_acc[M_IT_TOTAL] += it_w;
        hour_acc[M_FACILITY] += fac.facility_w;
        hour_peak = hour_peak.max(fac.facility_w);
        for (e, w) in sum.sector_mwh.iter_mut().zip(sector_w) {
            *e += w * to_mwh;
        }
        sum.it_energy_mwh += it_w * to_mwh;
        sum.energy_mwh += fac.facility_w * to_mwh;

        week_step += 1;
        if week_step == steps_per_week {
            week_step = 0;
        }
        step_in_hour += 1;
        if step_in_hour == steps_per_hour {
            step_in_hour = 0;
            let h = (step / steps_per_hour) as usize;
            let row = &mut hourly[h * nm..(h + 1) * nm];
            let n = steps_per_hour as f64;
            for m in 0..=M_FACILITY {
                row[m] = (hour_acc[m] / n / 1e6) as f32;
            }
            row[M_FACILITY_PEAK] = (hour_peak / 1e6) as f32;
            row[M_SERVED] = hour_acc[M_SERVED] as f32;
            row[M_DROPPED] = hour_acc[M_DROPPED] as f32;
            sum.requests_served += hour_acc[M_SERVED];
            sum.requests_dropped += hour_acc[M_DROPPED];
            sum.peak_mw = sum.peak_mw.max(hour_acc[M_FACILITY] / n / 1e6);
            sum.peak_step_mw = sum.peak_step_mw.max(hour_peak / 1e6);
            hour_acc = [0.0; 9];
            hour_peak = 0.0;
        }
    }
    let mean_mw = sum.energy_mwh / sc.horizon_hours as f64;
    sum.load_factor = if sum.peak_mw > 0.0 {
        mean_mw / sum.peak_mw
    } else {
        0.0
    };
    sum.pue = if sum.it_energy_mwh > 0.0 {
        sum.energy_mwh / sum.it_energy_mwh
    } else {
        0.0
    };
    sum.training_jobs_completed = st.jobs_completed;
    sum.defense_unserved_acc_h = defense_unserved_acc_s / 3600.0;
    TrialResult {
        hourly,
        summary: sum,
    }
}
