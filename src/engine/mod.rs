//! One Monte Carlo trial: a fixed time step with an event queue between steps.
//!
//! Data flows one way inside a step: workloads ask for accelerator work; each pool serves it up
//! to its capacity (defense first, then twins, training, consumer requests) and turns its
//! utilisation into IT power; the facility turns IT power into facility power; the step's figures
//! go to the hourly accumulators. The loop allocates nothing and looks nothing up by name.

pub mod events;
pub mod meter;
mod state;

use crate::facility::Facility;
use crate::fleet::Sector;
use crate::grid::HourLoad;
use crate::grid::demand_response::{DrOutcome, Reduction};
use crate::grid::site::LimitPolicy;
use crate::study::Scenario;
use crate::time::SimTime;
use crate::workload::arrivals::poisson_count;
use crate::workload::shape::WEEK_S;
pub use events::{Event, EventQueue};
pub use state::stream;
use state::{PoolStep, TrialState};

/// Hourly metrics of one trial, in this column order. The first [`BASE_METRICS`] are written
/// for every facility; the rest only by a physics facility.
pub const METRICS: [&str; 23] = [
    "it_consumer_mw",
    "it_industrial_mw",
    "it_training_mw",
    "it_defense_mw",
    "it_total_mw",
    "facility_mw",
    "facility_peak_mw",
    "requests_served",
    "requests_dropped",
    "cooling_mw",
    "losses_mw",
    "pue",
    "water_onsite_m3",
    "water_offsite_m3",
    "outdoor_drybulb_c",
    "outdoor_wetbulb_c",
    "inlet_max_c",
    "throttled_acc_h",
    "co2_t",
    "it_idle_unallocated_mw",
    "shed_mw",
    "heat_not_removed_mw",
    "plant_saturated_h",
];
pub const BASE_METRICS: usize = 9;
/// Physics metrics occupy `BASE_METRICS..M_CO2`.
pub const M_CO2: usize = 18;
pub const M_COOLING: usize = 9;
pub const M_LOSSES: usize = 10;
pub const M_PUE: usize = 11;
pub const M_WATER_ON: usize = 12;
pub const M_WATER_OFF: usize = 13;
pub const M_DRYBULB: usize = 14;
pub const M_WETBULB: usize = 15;
pub const M_INLET_MAX: usize = 16;
pub const M_THROTTLED: usize = 17;
/// Physics metrics added after `co2_t`: IT heat the plants could not remove (hourly mean MW)
/// and the part of the hour at least one plant was saturated, h.
pub const M_HEAT_NOT_REMOVED: usize = 21;
pub const M_SATURATED: usize = 22;
pub const M_IT_TOTAL: usize = 4;
pub const M_FACILITY: usize = 5;
/// Facility load shed by a `limit_policy = "cap"` in the hour (MW, hourly mean); written only
/// by studies with a cap.
pub const M_SHED: usize = 20;
pub const M_FACILITY_PEAK: usize = 6;
pub const M_SERVED: usize = 7;
pub const M_DROPPED: usize = 8;
/// Idle power of accelerators no workload holds (charged to no sector); written after the
/// sectors in every study.
pub const M_IDLE_UNALLOC: usize = 19;

/// A trial's whole-horizon figures.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// Whole requests, summed over classes: arrived = served + dropped + pending at the end.
    pub requests_served: f64,
    pub requests_dropped: f64,
    pub requests_arrived: f64,
    pub requests_pending: f64,
    pub sector_mwh: [f64; 4],
    /// Idle energy of accelerators no workload held, MWh (in no sector).
    pub idle_unallocated_mwh: f64,
    /// Per consumer class (run-file order).
    pub classes: Vec<ClassTally>,
    /// Per twin and per defense mission (run-file order), MWh.
    pub twin_mwh: Vec<f64>,
    pub mission_mwh: Vec<f64>,
    /// Per pool (site order): idle energy of unheld accelerators, MWh.
    pub pool_idle_unallocated_mwh: Vec<f64>,
    /// Every training job, in start order.
    pub jobs: Vec<meter::JobRecord>,
    pub training_jobs_completed: u64,
    /// Defense work that found no capacity, accelerator-hours.
    pub defense_unserved_acc_h: f64,
    // Physics facility only (zero otherwise).
    pub cooling_mwh: f64,
    pub losses_mwh: f64,
    pub water_onsite_m3: f64,
    pub water_offsite_m3: f64,
    /// On-site water per IT energy, L/kWh (The Green Grid's WUE).
    pub wue_l_per_kwh: f64,
    /// Accelerator-hours held back by thermal throttling.
    pub throttled_acc_h: f64,
    pub max_inlet_c: f64,
    /// Plant-hours with fewer working cooling units than the design needs: unit failures
    /// only (`cooling_redundancy`), not whether the plant could carry the load.
    pub plant_unit_outage_hours: f64,
    /// Hours in which at least one cooling plant was saturated (IT heat offered above what it
    /// could remove in that weather, after unit failures), and that heat, MWh.
    pub plant_saturated_hours: f64,
    pub heat_not_removed_mwh: f64,
    /// Largest rise and fall of facility demand, MW: between consecutive steps, consecutive
    /// 15-minute means (when the step divides 15 minutes) and consecutive hourly means.
    pub ramp_up_step_mw: f64,
    pub ramp_down_step_mw: f64,
    pub ramp_up_15min_mw: f64,
    pub ramp_down_15min_mw: f64,
    pub ramp_up_hour_mw: f64,
    pub ramp_down_hour_mw: f64,
    /// Time, energy and worst excess above the import limit (after any shedding), h, MWh, MW.
    pub exceed_hours: f64,
    pub exceed_mwh: f64,
    pub exceed_worst_mw: f64,
    /// With `limit_policy = "cap"`: work shed (training paused, twins slowed), work deferred
    /// (consumer requests re-queued), and time the limit could not be met even after shedding
    /// everything flexible (defense is never shed).
    pub shed_training_acc_h: f64,
    pub shed_industrial_acc_h: f64,
    pub deferred_consumer_acc_h: f64,
    pub cap_shortfall_hours: f64,
    /// Curtailment by the cap in facility terms: time with load shed (h), the energy shed (MWh,
    /// the facility demand the cap removed step by step: estimated demand before shedding minus
    /// after) and the largest single-step shed (MW).
    pub curtailed_hours: f64,
    pub curtailed_mwh: f64,
    pub curtailed_max_mw: f64,
    /// Training jobs hit by server failures, and the progress they lost (accelerator-hours).
    pub training_interruptions: u64,
    pub training_lost_acc_h: f64,
    /// Lowest share of time any defense mission had the working capacity one copy needs.
    pub defense_availability: f64,
    /// That share for each defense mission, in run-file order.
    pub mission_availability: Vec<f64>,
    /// The trial's sampled uncertain parameters (run-file order).
    pub params: Vec<f64>,
    /// Demand response: events executed, energy asked for and delivered (baseline minus
    /// actual), the shortfall, and the work deferred to after the events.
    pub dr_events: u64,
    pub dr_requested_mwh: f64,
    pub dr_delivered_mwh: f64,
    pub dr_shortfall_mwh: f64,
    pub dr_deferred_acc_h: f64,
    /// Rebound after the events: energy above the baseline (MWh, all events) and the highest
    /// hourly mean above it (MW).
    pub dr_rebound_mwh: f64,
    pub dr_rebound_peak_mw: f64,
    /// Each event's outcome.
    pub dr_outcomes: Vec<DrOutcome>,
    /// Emissions of the grid electricity drawn (hourly energy x hourly intensity), t.
    pub co2_t: f64,
    /// Electricity cost under the tariff: energy, demand and fixed charges.
    pub cost_energy: f64,
    pub cost_demand: f64,
    pub cost_fixed: f64,
    pub cost_total: f64,
    /// Grid outages: hours without grid, energy from the UPS and generators, unserved energy,
    /// generator fuel and its CO2.
    pub outage_hours: f64,
    pub ups_mwh: f64,
    pub generator_mwh: f64,
    pub unserved_mwh: f64,
    pub fuel_l: f64,
    pub generator_co2_t: f64,
    /// Hours with fewer working UPS modules than the load needs (less ride-through).
    pub ups_unprotected_hours: f64,
}

/// A consumer class's requests and energy over the horizon.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassTally {
    pub arrived: u64,
    pub served: u64,
    pub dropped: u64,
    /// Queued or held by demand response at the horizon.
    pub pending: u64,
    /// Attributed IT energy (dynamic plus the idle of the accelerators it kept busy), MWh.
    pub mwh: f64,
    /// The dynamic part alone: the marginal energy of its requests, MWh.
    pub marginal_mwh: f64,
}

#[derive(Clone, Debug)]
pub struct TrialResult {
    /// `hours x n` with n = `Scenario::metrics().len()`, hour-major.
    pub hourly: Vec<f32>,
    pub summary: TrialSummary,
}

/// Runs trial `trial` of the scenario. Every random number comes from streams derived from
/// (seed, trial) alone, so the result does not depend on threads or on other trials.
///
/// With demand response, each event is measured as a utility measures it
/// ([`crate::grid::demand_response::measure`]); with the counterfactual baseline a trial that
/// has an event is run a second time without the events (same streams) for the baseline.
pub fn run_trial(sc: &Scenario, trial: u32) -> TrialResult {
    let Some(dr) = &sc.grid.demand_response else {
        return simulate(sc, trial, true, None);
    };
    let mut metered = Vec::new();
    let mut r = simulate(sc, trial, true, Some(&mut metered));
    if r.summary.dr_outcomes.is_empty() {
        return r;
    }
    let counterfactual = (dr.baseline == crate::grid::demand_response::Baseline::Counterfactual)
        .then(|| {
            let mut cf = Vec::new();
            simulate(sc, trial, false, Some(&mut cf));
            cf
        });
    let offset = sc.calendar.utc_offset_s();
    crate::grid::demand_response::measure(
        dr,
        &mut r.summary.dr_outcomes,
        &metered,
        counterfactual.as_deref(),
        sc.step_s,
        |d| sc.calendar.weekday(SimTime(d * 86_400), offset),
    );
    let s = &mut r.summary;
    let mwh = |o: &DrOutcome, mw: f64| mw * o.duration_s as f64 / 3600.0;
    s.dr_delivered_mwh = s.dr_outcomes.iter().map(|o| mwh(o, o.delivered_mw)).sum();
    s.dr_shortfall_mwh = s
        .dr_outcomes
        .iter()
        .map(|o| mwh(o, (o.requested_mw - o.delivered_mw).max(0.0)))
        .sum();
    s.dr_rebound_mwh = s.dr_outcomes.iter().map(|o| o.rebound_mwh).sum();
    s.dr_rebound_peak_mw = s
        .dr_outcomes
        .iter()
        .map(|o| o.rebound_peak_mw)
        .fold(0.0, f64::max);
    r
}

/// One run of a trial. `dr_on = false` runs it without executing demand-response events (the
/// counterfactual baseline: every random stream is drawn as with them); `trace` receives the
/// facility demand of every step, W.
fn simulate(
    sc: &Scenario,
    trial: u32,
    dr_on: bool,
    mut trace: Option<&mut Vec<f64>>,
) -> TrialResult {
    if let Some(t) = trace.as_deref_mut() {
        t.clear();
        t.reserve((sc.horizon_hours * (3600 / sc.step_s)) as usize);
    }
    let mut st = TrialState::new(sc, trial);
    let dt = sc.step_s;
    let dt_f = dt as f64;
    let inv_dt = 1.0 / dt_f;
    let steps_per_hour = 3600 / dt;
    let hours = sc.horizon_hours as usize;
    let nm = sc.metrics().len();
    let mut hourly = vec![0f32; hours * nm];
    let mut hour_acc = [0f64; METRICS.len()];
    let mut hour_inlet_max = f64::MIN;
    let physics = match &sc.facility {
        Facility::Physics(p) => Some(p.as_ref()),
        Facility::Fixed { .. } => None,
    };
    let mut hour_peak = 0f64;
    let mut sum = TrialSummary {
        trial,
        max_inlet_c: f64::MIN,
        ..Default::default()
    };
    let to_mwh = dt_f / 3600.0 / 1e6;

    let mut defense_unserved_acc_s = 0.0;
    let jitter_every = state::jitter_every(sc);
    let mut jitter_phase = 0;
    let mut step_in_hour = 0;
    // Ramps: previous step, 15-minute block accumulator and previous block, previous hour.
    let mut prev_step_w = f64::NAN;
    let steps_per_15 = if 900 % dt == 0 { 900 / dt } else { 0 };
    let (mut block_acc, mut block_n, mut prev_block_w) = (0.0, 0u64, f64::NAN);
    let mut prev_hour_mw = f64::NAN;
    let steps_per_week = (WEEK_S as u64 / dt) as usize;
    let mut week_step =
        sc.calendar.weekday(SimTime(0), sc.calendar.utc_offset_s()) * (86_400 / dt as usize);
    // The horizon is a whole number of steps; a partial last hour is closed at the last step.
    let total_steps = sc.horizon_s / dt;
    for step in 0..total_steps {
        let t = SimTime(step * dt);
        if st.events.next_time() <= t.0 {
            st.process_events(sc, t.0);
        }
        if step_in_hour == 0 {
            for (cs, c) in st.consumers.iter_mut().zip(&sc.consumers) {
                cs.growth = c.growth(t);
            }
        }

        let jitter_now = jitter_phase == 0;
        jitter_phase += 1;
        if jitter_phase == jitter_every {
            jitter_phase = 0;
        }

        // 1. Demand and service, pool by pool, in priority order.
        for (ps, pool) in st.pools.iter_mut().zip(&sc.fleet.pools) {
            *ps = PoolStep {
                free: pool.capacity,
                capacity: pool.capacity,
                inv_capacity: pool.inv_capacity,
                consumer_weight: 1.0,
                ..PoolStep::default()
            };
        }
        if let Some(f) = &sc.failures {
            st.fail_and_repair(sc, f, t.0, dt_f);
            for (d, up) in sc.defenses.iter().zip(&mut st.mission_up_steps) {
                if st.pool_working_acc[d.pool] >= d.need * (1.0 - 1e-12) {
                    *up += 1;
                }
            }
        }
        let capped = st.physics.as_ref().is_some_and(|ph| !ph.all_uncapped);
        if capped || st.any_down {
            // Thermal caps from the previous step and failed servers shrink the groups' capacity.
            for ps in st.pools.iter_mut() {
                ps.free = 0.0;
            }
            for (gi, g) in sc.fleet.groups.iter().enumerate() {
                let cap = st.physics.as_ref().map_or(1.0, |ph| ph.caps[gi]);
                st.pools[g.pool].free += g.capacity() * cap * st.alive[gi];
            }
            for ps in st.pools.iter_mut() {
                ps.capacity = ps.free;
                ps.inv_capacity = if ps.free > 0.0 { 1.0 / ps.free } else { 0.0 };
            }
        }
        let pools = &mut st.pools[..];
        for (ds, d) in st.defenses.iter_mut().zip(&sc.defenses) {
            let jit = if jitter_now {
                ds.jitter.step(&mut ds.rng)
            } else {
                ds.jitter.value
            };
            let demand = d.need
                * d.utilisation
                * (1.0 + jit).max(0.0)
                * (1.0 + ds.surge_extra)
                * d.active_copies;
            let ps = &mut pools[d.pool];
            let served = demand.min((ps.free - d.standby_capacity).max(0.0));
            ds.served = served;
            defense_unserved_acc_s += (demand - served) * dt_f;
            ps.free -= served;
            ps.busy[Sector::Defense as usize] += served;
        }
        for (ws, w) in st.twins.iter_mut().zip(&sc.twins) {
            let jit = if jitter_now {
                ws.jitter.step(&mut ws.rng)
            } else {
                ws.jitter.value
            };
            let u = (w.base_utilisation * w.week.at(week_step) * (1.0 + jit) + ws.campaign_extra)
                .clamp(0.0, 1.0);
            let mut demand = w.accelerators * u;
            if w.edge_events_per_s > 0.0 {
                let n = poisson_count(w.edge_events_per_s * dt_f, &mut ws.rng);
                demand += n * w.edge_acc_s_per_event * inv_dt;
            }
            let ps = &mut pools[w.pool];
            let mut served = demand.min(ps.free);
            if ws.backlog > 0.0 && st.dr_active.is_none() {
                // Work deferred by a demand-response event is caught up on spare capacity.
                let catch_up = (ws.backlog * inv_dt).min(ps.free - served).max(0.0);
                ws.backlog -= catch_up * dt_f;
                served += catch_up;
            }
            ws.served = served;
            ps.free -= served;
            ps.busy[Sector::Industrial as usize] += served;
        }
        for ((busy, got), w) in st
            .training_busy
            .iter()
            .zip(st.training_served.iter_mut())
            .zip(&sc.trainings)
        {
            let ps = &mut pools[w.pool];
            let served = busy.min(ps.free);
            *got = served;
            ps.free -= served;
            ps.busy[Sector::Training as usize] += served;
        }
        // Consumer classes sharing a pool split its free capacity in proportion to demand.
        for (cs, c) in st.consumers.iter_mut().zip(&sc.consumers) {
            if cs.held > 0.0 && st.dr_active.is_none() {
                // Work deferred by a demand-response event returns: the rebound.
                cs.queue += cs.held;
                cs.held = 0.0;
                cs.queue_n += cs.held_n;
                cs.held_n = 0.0;
            }
            let (n, work) = c.arrivals(t, dt, week_step, cs.growth, &mut cs.rng);
            // Whole requests: a rescaled trace's fractional arrivals carry to the next step.
            cs.n_carry += n;
            // (A relative 1e-9 absorbs the rounding of the scale factor, so ten times a trace
            // gives exactly ten times its counts.)
            let whole = floor_nonneg(cs.n_carry * (1.0 + 1e-9));
            cs.n_carry -= whole;
            cs.arrived += whole as u64;
            cs.demand_n = cs.queue_n + whole;
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
            cs.served = served;
            // Requests complete in the same proportion as their work; counts stay whole and
            // conserved (demand = served + dropped + still queued).
            let n = cs.demand_n;
            let served_n = if cs.demand <= 0.0 || served >= cs.demand {
                n
            } else {
                round_nonneg(n * served / cs.demand).min(n)
            };
            let dropped_n = if dropped > 0.0 && cs.demand > 0.0 {
                round_nonneg(n * dropped / cs.demand).min(n - served_n)
            } else {
                0.0
            };
            cs.served_n = served_n;
            cs.queue_n = n - served_n - dropped_n;
            cs.dropped_total += dropped_n as u64;
            ps.consumer_served += served;
            ps.consumer_power += served * c.power_scale;
            ps.busy[Sector::Consumer as usize] += served * inv_dt;
            hour_acc[M_DROPPED] += dropped_n;
        }
        for ps in pools.iter_mut() {
            if ps.consumer_served > 0.0 {
                ps.consumer_weight = ps.consumer_power / ps.consumer_served;
            }
            ps.served_busy = ps.busy;
        }

        // 2. Fleet power: every group of a pool runs at the pool's utilisation.
        let ph_ref = physics.zip(st.physics.as_ref());
        let alive = st.any_down.then_some(&st.alive[..]);
        let mut it_w = fleet_power(sc, pools, ph_ref, alive, &mut st.group_it);

        let estimate = |it: f64, group_it: &[f64]| match (sc.facility.fixed_pue(), ph_ref) {
            (Some(pue), _) => it * pue,
            (None, Some((f, ph))) => f.peek(ph, group_it, (step / steps_per_hour) as usize, dt_f),
            (None, None) => it,
        };

        // 2a. Demand response: shed flexible load by the amount asked, within each sector's
        // flexibility and response time; the work comes back after the event.
        // Under a cap, the load above the limit would be shed anyway: the event's target and its
        // share are taken from the capped demand, and that part counts as cap curtailment.
        let cap_w = sc
            .grid
            .limit
            .and_then(|(l, p)| (p == LimitPolicy::Cap).then_some(l));
        let mut curtailed_w = 0.0;
        if let (true, Some(dr), Some(ev)) = (dr_on, &sc.grid.demand_response, st.dr_active) {
            let mut fac_w = estimate(it_w, &st.group_it);
            let uncapped = fac_w;
            let baseline = cap_w.map_or(fac_w, |l| fac_w.min(l));
            let (ev_start, _, reduction) = st.dr_events[ev];
            if st.dr_request_w.is_nan() {
                st.dr_request_w = match reduction {
                    Reduction::Mw(w) => w,
                    Reduction::Share(p) => baseline * p,
                };
            }
            let target = baseline - st.dr_request_w;
            let elapsed = (t.0.saturating_sub(ev_start) + dt) as f64;
            let before = sum_busy(pools);
            for (k, sector) in SHED_ORDER.iter().enumerate() {
                let ramp = if dr.response_s[k] > 0.0 {
                    (elapsed / dr.response_s[k]).min(1.0)
                } else {
                    1.0
                };
                let mut allowance_w = dr.flexibility[k] * ramp * sheddable_w(sc, pools, *sector);
                for _ in 0..4 {
                    if fac_w <= target || allowance_w <= 1.0 {
                        break;
                    }
                    let ratio = if it_w > 0.0 { fac_w / it_w } else { 1.0 };
                    let aim = ((fac_w - target) / ratio * 1.01).min(allowance_w);
                    if !shed_sector(sc, pools, *sector, aim) {
                        break;
                    }
                    allowance_w -= aim;
                    it_w = fleet_power(sc, pools, ph_ref, alive, &mut st.group_it);
                    fac_w = estimate(it_w, &st.group_it);
                }
            }
            let after = sum_busy(pools);
            let tr = Sector::Training as usize;
            if before[tr] > after[tr] {
                // Paused training: running jobs end later by the paused share of the step.
                let paused = ((1.0 - after[tr] / before[tr]) * dt_f).round() as u64;
                for slots in &mut st.slots {
                    for s in slots.iter_mut().filter(|s| s.active) {
                        s.extension_s += paused;
                    }
                }
                sum.dr_deferred_acc_h += (before[tr] - after[tr]) * dt_f / 3600.0;
            }
            let ind = Sector::Industrial as usize;
            if before[ind] > after[ind] {
                // Slowed twins catch up after the event (their backlog), in proportion to size.
                let shed = (before[ind] - after[ind]) * dt_f;
                let total: f64 = sc.twins.iter().map(|w| w.accelerators).sum();
                for (ws, w) in st.twins.iter_mut().zip(&sc.twins) {
                    ws.backlog += shed * w.accelerators / total.max(f64::MIN_POSITIVE);
                }
                sum.dr_deferred_acc_h += shed / 3600.0;
            }
            let con = Sector::Consumer as usize;
            if before[con] > after[con] {
                requeue_consumer(sc, &mut st.consumers, pools, dt_f, true);
                sum.dr_deferred_acc_h += (before[con] - after[con]) * dt_f / 3600.0;
            }
            st.dr_requested_j += st.dr_request_w * dt_f;
            st.dr_delivered_j += (baseline - fac_w) * dt_f;
            sum.dr_shortfall_mwh += (st.dr_request_w - (baseline - fac_w)).max(0.0) * dt_f / 3.6e9;
            curtailed_w += (uncapped - baseline).min(uncapped - fac_w).max(0.0);
        }

        // 2b. The interconnection: record exceedances, or shed flexible load to stay under.
        if let Some((limit_w, policy)) = sc.grid.limit {
            let mut fac_w = estimate(it_w, &st.group_it);
            if policy == LimitPolicy::Cap && fac_w > limit_w {
                let fac_before = fac_w;
                let before: [f64; 4] = sum_busy(pools);
                for sector in SHED_ORDER {
                    for _ in 0..8 {
                        if fac_w <= limit_w {
                            break;
                        }
                        // IT to shed: the excess over the average facility/IT ratio, plus 1 %
                        // (fixed loads make the marginal ratio lower than the average).
                        let ratio = if it_w > 0.0 { fac_w / it_w } else { 1.0 };
                        let need_w = (fac_w - limit_w) / ratio * 1.01 + 1.0;
                        if !shed_sector(sc, pools, sector, need_w) {
                            break;
                        }
                        it_w = fleet_power(sc, pools, ph_ref, alive, &mut st.group_it);
                        fac_w = estimate(it_w, &st.group_it);
                    }
                }
                let after = sum_busy(pools);
                let shed_acc_s = |s: Sector| (before[s as usize] - after[s as usize]) * dt_f;
                sum.shed_training_acc_h += shed_acc_s(Sector::Training) / 3600.0;
                sum.shed_industrial_acc_h += shed_acc_s(Sector::Industrial) / 3600.0;
                let consumer_shed = shed_acc_s(Sector::Consumer);
                if consumer_shed > 0.0 {
                    // Shed consumer work goes back to its class's queue (deferred, not lost).
                    requeue_consumer(sc, &mut st.consumers, pools, dt_f, false);
                    sum.deferred_consumer_acc_h += consumer_shed / 3600.0;
                }
                if fac_w > limit_w {
                    sum.cap_shortfall_hours += dt_f / 3600.0;
                }
                curtailed_w += (fac_before - fac_w).max(0.0);
            }
            if curtailed_w > 0.0 {
                sum.curtailed_hours += dt_f / 3600.0;
                sum.curtailed_mwh += curtailed_w * dt_f / 3.6e9;
                sum.curtailed_max_mw = sum.curtailed_max_mw.max(curtailed_w / 1e6);
                hour_acc[M_SHED] += curtailed_w;
            }
            if fac_w > limit_w {
                sum.exceed_hours += dt_f / 3600.0;
                sum.exceed_mwh += (fac_w - limit_w) * dt_f / 3600.0 / 1e6;
                sum.exceed_worst_mw = sum.exceed_worst_mw.max((fac_w - limit_w) / 1e6);
            }
        }
        // 2c. Where the energy goes: each holder's claim on its pool, then the meter's split.
        let split = {
            let m = &mut st.meter;
            let ratio = |p: usize, sec: Sector| {
                let before = pools[p].served_busy[sec as usize];
                if before > 0.0 {
                    pools[p].busy[sec as usize] / before
                } else {
                    0.0
                }
            };
            let mut i = 0;
            for (cs, c) in st.consumers.iter_mut().zip(&sc.consumers) {
                cs.served_total += cs.served_n as u64;
                hour_acc[M_SERVED] += cs.served_n;
                let busy = cs.served * inv_dt;
                m.claims[i] = meter::Claim {
                    held: busy,
                    weight: busy * c.power_scale,
                };
                i += 1;
            }
            for (ws, w) in st.twins.iter().zip(&sc.twins) {
                m.claims[i] = meter::Claim {
                    held: w.accelerators,
                    weight: ws.served * ratio(w.pool, Sector::Industrial),
                };
                i += 1;
            }
            for (ds, d) in st.defenses.iter().zip(&sc.defenses) {
                m.claims[i] = meter::Claim {
                    held: d.need * d.active_copies + d.standby_capacity,
                    weight: ds.served * ratio(d.pool, Sector::Defense),
                };
                i += 1;
            }
            for (wi, tr) in sc.trainings.iter().enumerate() {
                // A training's service is shared by its running jobs as they are busy.
                let busy = st.training_busy[wi];
                let got = st.training_served[wi] * ratio(tr.pool, Sector::Training);
                let per_busy = if busy > 0.0 { got / busy } else { 0.0 };
                for s in &st.slots[wi] {
                    m.claims[i] = if s.active {
                        let u = if s.in_checkpoint || s.restarting {
                            tr.checkpoint_utilisation
                        } else {
                            tr.utilisation
                        };
                        if per_busy < 1.0 {
                            st.jobs[s.record as usize].shed_acc_s +=
                                tr.job_accelerators * u * (1.0 - per_busy) * dt_f;
                        }
                        meter::Claim {
                            held: tr.job_accelerators,
                            weight: tr.job_accelerators * u * per_busy,
                        }
                    } else {
                        meter::Claim::default()
                    };
                    i += 1;
                }
            }
            for (pp, ps) in st.pool_power.iter_mut().zip(pools.iter()) {
                *pp = meter::PoolPower {
                    power_w: ps.power_w,
                    idle_w: ps.idle_w,
                    capacity: ps.capacity,
                };
            }
            let split = m.attribute(&st.pool_power, dt_f);
            let base = m.slot_base();
            let mut k = base;
            for slots in &st.slots {
                for s in slots {
                    if s.active {
                        st.jobs[s.record as usize].energy_j += m.power_w[k] * dt_f;
                    }
                    k += 1;
                }
            }
            split
        };
        let sector_w = split.sector_w;
        let it_w: f64 = sector_w.iter().sum::<f64>() + split.idle_unallocated_w;
        hour_acc[M_IDLE_UNALLOC] += split.idle_unallocated_w;

        // 3. Facility.
        let fac = match (physics, st.physics.as_mut()) {
            (Some(facility), Some(ph)) => {
                let h = (step / steps_per_hour) as usize;
                let p = facility.step(ph, &st.group_it, h, dt_f);
                hour_acc[M_WATER_ON] += p.onsite_water_l;
                hour_acc[M_THROTTLED] += p.throttled_acc * dt_f / 3600.0;
                hour_acc[M_HEAT_NOT_REMOVED] += p.heat_not_removed_w;
                if p.saturated {
                    hour_acc[M_SATURATED] += dt_f / 3600.0;
                }
                hour_inlet_max = hour_inlet_max.max(p.inlet_max_c);
                hour_acc[M_DRYBULB] = p.outdoor.dry_bulb_c;
                hour_acc[M_WETBULB] = p.outdoor.wet_bulb_c;
                p.power
            }
            _ => match sc.facility {
                Facility::Fixed { pue, water } => {
                    if let Some(w) = water {
                        // On-site water per IT kWh, L (off-site is counted per hour below).
                        hour_acc[M_WATER_ON] += it_w * dt_f / 3.6e6 * w.onsite_l_per_it_kwh;
                    }
                    Facility::fixed_step(pue, it_w)
                }
                Facility::Physics(_) => unreachable!("physics state exists for physics facilities"),
            },
        };
        if let Some(b) = &sc.grid.backup
            && b.ups_modules.is_some()
        {
            st.ups_step(b, dt_f);
        }
        if st.outage.active
            && let Some(b) = &sc.grid.backup
        {
            let o = st.outage.step(b, t.0, fac.facility_w, dt_f);
            sum.outage_hours += dt_f / 3600.0;
            sum.ups_mwh += o.ups_j / 3.6e9;
            sum.generator_mwh += o.generator_j / 3.6e9;
            sum.unserved_mwh += o.unserved_j / 3.6e9;
        }
        hour_acc[M_COOLING] += fac.cooling_w;
        hour_acc[M_LOSSES] += fac.losses_w;

        // 4. Accumulate.
        for (acc, w) in hour_acc.iter_mut().zip(sector_w) {
            *acc += w;
        }
        hour_acc[M_IT_TOTAL] += it_w;
        hour_acc[M_FACILITY] += fac.facility_w;
        if let Some(t) = trace.as_deref_mut() {
            t.push(fac.facility_w);
        }
        hour_peak = hour_peak.max(fac.facility_w);
        if !prev_step_w.is_nan() {
            let d = fac.facility_w - prev_step_w;
            sum.ramp_up_step_mw = sum.ramp_up_step_mw.max(d / 1e6);
            sum.ramp_down_step_mw = sum.ramp_down_step_mw.max(-d / 1e6);
        }
        prev_step_w = fac.facility_w;
        if steps_per_15 > 0 {
            block_acc += fac.facility_w;
            block_n += 1;
            if block_n == steps_per_15 {
                let mean = block_acc / block_n as f64;
                if !prev_block_w.is_nan() {
                    let d = mean - prev_block_w;
                    sum.ramp_up_15min_mw = sum.ramp_up_15min_mw.max(d / 1e6);
                    sum.ramp_down_15min_mw = sum.ramp_down_15min_mw.max(-d / 1e6);
                }
                prev_block_w = mean;
                block_acc = 0.0;
                block_n = 0;
            }
        }
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
        if step_in_hour == steps_per_hour || step + 1 == total_steps {
            // Rows are means over the hour's steps (a partial last hour: over the steps it has);
            // `frac` turns a mean into the hour's energy (1 for a whole hour).
            let frac = if step_in_hour == steps_per_hour {
                1.0
            } else {
                step_in_hour as f64 / steps_per_hour as f64
            };
            let n = step_in_hour as f64;
            step_in_hour = 0;
            let h = (step / steps_per_hour) as usize;
            let mut row = [0f32; METRICS.len()];
            for m in 0..=M_FACILITY {
                row[m] = (hour_acc[m] / n / 1e6) as f32;
            }
            row[M_IDLE_UNALLOC] = (hour_acc[M_IDLE_UNALLOC] / n / 1e6) as f32;
            row[M_FACILITY_PEAK] = (hour_peak / 1e6) as f32;
            row[M_SERVED] = hour_acc[M_SERVED] as f32;
            row[M_DROPPED] = hour_acc[M_DROPPED] as f32;
            row[M_SHED] = (hour_acc[M_SHED] / n / 1e6) as f32;
            if let Some(fac) = physics {
                row[M_COOLING] = (hour_acc[M_COOLING] / n / 1e6) as f32;
                row[M_LOSSES] = (hour_acc[M_LOSSES] / n / 1e6) as f32;
                row[M_PUE] = if hour_acc[M_IT_TOTAL] > 0.0 {
                    (hour_acc[M_FACILITY] / hour_acc[M_IT_TOTAL]) as f32
                } else {
                    0.0
                };
                let facility_kwh = hour_acc[M_FACILITY] / n / 1000.0 * frac;
                let off_m3 = facility_kwh * fac.grid_water_l_per_kwh / 1000.0;
                row[M_WATER_ON] = (hour_acc[M_WATER_ON] / 1000.0) as f32;
                row[M_WATER_OFF] = off_m3 as f32;
                row[M_DRYBULB] = hour_acc[M_DRYBULB] as f32;
                row[M_WETBULB] = hour_acc[M_WETBULB] as f32;
                row[M_INLET_MAX] = hour_inlet_max as f32;
                row[M_THROTTLED] = hour_acc[M_THROTTLED] as f32;
                row[M_HEAT_NOT_REMOVED] = (hour_acc[M_HEAT_NOT_REMOVED] / n / 1e6) as f32;
                row[M_SATURATED] = hour_acc[M_SATURATED] as f32;
                sum.heat_not_removed_mwh += hour_acc[M_HEAT_NOT_REMOVED] / n / 1e6 * frac;
                sum.plant_saturated_hours += hour_acc[M_SATURATED];
                sum.cooling_mwh += hour_acc[M_COOLING] / n / 1e6 * frac;
                sum.losses_mwh += hour_acc[M_LOSSES] / n / 1e6 * frac;
                sum.water_onsite_m3 += hour_acc[M_WATER_ON] / 1000.0;
                sum.water_offsite_m3 += off_m3;
                sum.throttled_acc_h += hour_acc[M_THROTTLED];
                sum.max_inlet_c = sum.max_inlet_c.max(hour_inlet_max);
            }
            if let Some(w) = sc.facility.fixed_water() {
                let facility_kwh = hour_acc[M_FACILITY] / n / 1000.0;
                let off_m3 = facility_kwh * w.offsite_l_per_kwh / 1000.0;
                row[M_WATER_ON] = (hour_acc[M_WATER_ON] / 1000.0) as f32;
                row[M_WATER_OFF] = off_m3 as f32;
                sum.water_onsite_m3 += hour_acc[M_WATER_ON] / 1000.0;
                sum.water_offsite_m3 += off_m3;
            }
            if let Some(g) = &sc.grid.carbon_g_per_kwh {
                // MWh x gCO2/kWh = kgCO2; / 1000 = t.
                let t = hour_acc[M_FACILITY] / n / 1e6 * frac * g[h] / 1000.0;
                row[M_CO2] = t as f32;
                sum.co2_t += t;
            }
            for (x, &id) in hourly[h * nm..(h + 1) * nm].iter_mut().zip(&sc.metric_ids) {
                *x = row[id];
            }
            hour_inlet_max = f64::MIN;
            sum.peak_mw = sum.peak_mw.max(hour_acc[M_FACILITY] / n / 1e6);
            sum.peak_step_mw = sum.peak_step_mw.max(hour_peak / 1e6);
            let hour_mw = hour_acc[M_FACILITY] / n / 1e6;
            if !prev_hour_mw.is_nan() {
                sum.ramp_up_hour_mw = sum.ramp_up_hour_mw.max(hour_mw - prev_hour_mw);
                sum.ramp_down_hour_mw = sum.ramp_down_hour_mw.max(prev_hour_mw - hour_mw);
            }
            prev_hour_mw = hour_mw;
            hour_acc = [0.0; METRICS.len()];
            hour_peak = 0.0;
        }
    }
    st.finish_at_horizon(sc);
    let mean_mw = sum.energy_mwh / (sc.horizon_s as f64 / 3600.0);
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
    sum.training_interruptions = st.interruptions;
    sum.plant_unit_outage_hours = st
        .physics
        .as_ref()
        .map_or(0.0, |p| p.plant_unit_hours_short);
    if let Some(tariff) = &sc.grid.tariff {
        let loads: Vec<HourLoad> = sc
            .grid
            .hour_calendar
            .iter()
            .enumerate()
            .map(|(h, &(month, weekday, hour))| HourLoad {
                month,
                weekday,
                hour,
                mw: f64::from(hourly[h * nm + M_FACILITY]),
            })
            .collect();
        let c = tariff.annual_cost(&loads);
        sum.cost_energy = c.energy;
        sum.cost_demand = c.demand;
        sum.cost_fixed = c.fixed;
        sum.cost_total = c.total;
    }
    sum.dr_outcomes = std::mem::take(&mut st.dr_outcomes);
    sum.dr_events = sum.dr_outcomes.len() as u64;
    sum.dr_requested_mwh = sum
        .dr_outcomes
        .iter()
        .map(|o| o.requested_mw * o.duration_s as f64 / 3600.0)
        .sum();
    sum.dr_delivered_mwh = sum
        .dr_outcomes
        .iter()
        .map(|o| o.delivered_mw * o.duration_s as f64 / 3600.0)
        .sum();
    sum.ups_unprotected_hours = st.ups_unprotected_s / 3600.0;
    sum.fuel_l = sum.generator_mwh * crate::grid::outage::DIESEL_L_PER_MWH;
    sum.generator_co2_t = sum.fuel_l * crate::grid::outage::DIESEL_KG_CO2_PER_L / 1000.0;
    sum.training_lost_acc_h = st.training_lost_acc_s / 3600.0;
    let total_steps = total_steps as f64;
    sum.mission_availability = if sc.failures.is_some() {
        st.mission_up_steps
            .iter()
            .map(|&u| u as f64 / total_steps)
            .collect()
    } else {
        vec![1.0; sc.defenses.len()]
    };
    sum.defense_availability = sum.mission_availability.iter().copied().fold(1.0, f64::min);
    if physics.is_some() || sc.facility.fixed_water().is_some() {
        sum.wue_l_per_kwh = if sum.it_energy_mwh > 0.0 {
            sum.water_onsite_m3 * 1000.0 / (sum.it_energy_mwh * 1000.0)
        } else {
            0.0
        };
    }
    if physics.is_none() {
        sum.max_inlet_c = 0.0;
    }
    sum.defense_unserved_acc_h = defense_unserved_acc_s / 3600.0;
    fill_attribution(sc, &mut st, &mut sum);
    TrialResult {
        hourly,
        summary: sum,
    }
}

/// `x.floor()` for a non-negative count below 2^53, without a libm call in the step loop
/// (the x86-64 baseline has no rounding instruction, so `floor` and `round` are calls).
#[inline(always)]
fn floor_nonneg(x: f64) -> f64 {
    x.max(0.0) as u64 as f64
}

/// `x.round()` (half away from zero) for a non-negative count below 2^53, likewise.
#[inline(always)]
fn round_nonneg(x: f64) -> f64 {
    floor_nonneg(x + 0.5)
}

/// Copies the meter's and the request counters' totals into the summary.
fn fill_attribution(sc: &Scenario, st: &mut TrialState, sum: &mut TrialSummary) {
    let m = &st.meter;
    let mwh = |j: f64| j / 3.6e9;
    sum.classes = st
        .consumers
        .iter()
        .enumerate()
        .map(|(i, cs)| ClassTally {
            arrived: cs.arrived,
            served: cs.served_total,
            dropped: cs.dropped_total,
            pending: (cs.queue_n + cs.held_n) as u64,
            mwh: mwh(m.energy_j[i]),
            marginal_mwh: mwh(m.dynamic_j[i]),
        })
        .collect();
    sum.requests_served = sum.classes.iter().map(|c| c.served as f64).sum();
    sum.requests_dropped = sum.classes.iter().map(|c| c.dropped as f64).sum();
    sum.requests_arrived = sum.classes.iter().map(|c| c.arrived as f64).sum();
    sum.requests_pending = sum.classes.iter().map(|c| c.pending as f64).sum();
    let tw = m.n_classes;
    sum.twin_mwh = (0..sc.twins.len())
        .map(|i| mwh(m.energy_j[tw + i]))
        .collect();
    let ms = tw + m.n_twins;
    sum.mission_mwh = (0..sc.defenses.len())
        .map(|i| mwh(m.energy_j[ms + i]))
        .collect();
    sum.pool_idle_unallocated_mwh = m.pool_idle_unallocated_j.iter().map(|&j| mwh(j)).collect();
    sum.idle_unallocated_mwh = sum.pool_idle_unallocated_mwh.iter().sum();
    sum.jobs = std::mem::take(&mut st.jobs);
}

/// Sectors shed, in order, when the site must come down: training pauses first, consumer
/// requests are degraded (deferred to the queue), twins slow; defense is never shed.
const SHED_ORDER: [Sector; 3] = [Sector::Training, Sector::Consumer, Sector::Industrial];

/// IT power of the fleet at the pools' current busy figures; fills each pool's utilisation and
/// power and each group's IT power.
#[inline(always)]
fn fleet_power(
    sc: &Scenario,
    pools: &mut [PoolStep],
    physics: Option<(
        &crate::facility::PhysicsFacility,
        &crate::facility::site::PhysicsState,
    )>,
    alive: Option<&[f64]>,
    group_it: &mut [f64],
) -> f64 {
    for ps in pools.iter_mut() {
        // Consumer work counts at its classes' power scale (per-state powers); others at 1.
        let c = Sector::Consumer as usize;
        let busy: f64 = ps.busy.iter().sum::<f64>() + ps.busy[c] * (ps.consumer_weight - 1.0);
        ps.util = busy * ps.inv_capacity;
        ps.power_w = 0.0;
        ps.idle_w = 0.0;
    }
    let mut it_w = 0.0;
    match physics {
        Some((_, ph)) => {
            for (gi, (g, it)) in sc.fleet.groups.iter().zip(group_it.iter_mut()).enumerate() {
                // Work spreads in proportion to capped capacity, so a throttled group runs at the
                // pool's utilisation of its reduced capacity. Faster server fans draw more, up to
                // the group's power limit (rack budget cap or rated peak) that firmware enforces.
                let mut p = g.power_w(pools[g.pool].util * ph.caps[gi]);
                let fan = ph.fan_mult[gi];
                if fan > 1.0 {
                    p = (p * fan).min(g.peak_w());
                }
                // Failed servers draw nothing.
                let a = alive.map_or(1.0, |a| a[gi]);
                p *= a;
                *it = p;
                pools[g.pool].idle_w += a * g.servers * g.server_idle_w;
                pools[g.pool].power_w += p;
                it_w += p;
            }
        }
        None => {
            for (gi, g) in sc.fleet.groups.iter().enumerate() {
                let a = alive.map_or(1.0, |a| a[gi]);
                let p = a * g.power_w(pools[g.pool].util);
                pools[g.pool].idle_w += a * g.servers * g.server_idle_w;
                pools[g.pool].power_w += p;
                it_w += p;
            }
        }
    }
    it_w
}

fn sum_busy(pools: &[PoolStep]) -> [f64; 4] {
    let mut b = [0.0; 4];
    for ps in pools {
        for (x, y) in b.iter_mut().zip(ps.busy) {
            *x += y;
        }
    }
    b
}

/// Cuts a sector's busy accelerators in every pool by the same fraction, aiming to shed `need_w`
/// of IT power. Returns false when the sector has nothing left to shed.
fn shed_sector(sc: &Scenario, pools: &mut [PoolStep], sector: Sector, need_w: f64) -> bool {
    let sheddable = sheddable_w(sc, pools, sector);
    if sheddable <= 0.0 {
        return false;
    }
    let f = (need_w / sheddable).min(1.0);
    for ps in pools.iter_mut() {
        ps.busy[sector as usize] *= 1.0 - f;
        if f >= 1.0 {
            ps.busy[sector as usize] = 0.0;
        }
    }
    true
}

/// Returns consumer work shed in this step to the queues of the classes that were served it, in
/// proportion to what each class was served, and takes it off the served-request count.
fn requeue_consumer(
    sc: &Scenario,
    consumers: &mut [state::ConsumerState],
    pools: &mut [PoolStep],
    dt_f: f64,
    hold_until_event_ends: bool,
) {
    for (cs, c) in consumers.iter_mut().zip(&sc.consumers) {
        let ps = &pools[c.pool];
        // Fraction of this pool's consumer service that survived the shedding.
        let kept = if ps.consumer_served > 0.0 {
            (ps.busy[Sector::Consumer as usize] * dt_f / ps.consumer_served).clamp(0.0, 1.0)
        } else {
            1.0
        };
        let shed = cs.served * (1.0 - kept);
        if shed > 0.0 {
            // Demand response holds deferred work until the event ends (so it does not come
            // straight back and inflate the baseline); a capacity cap retries it at once.
            let shed_n = round_nonneg(cs.served_n * shed / cs.served).min(cs.served_n);
            if hold_until_event_ends {
                cs.held += shed;
                cs.held_n += shed_n;
            } else {
                cs.queue += shed;
                cs.queue_n += shed_n;
            }
            cs.served -= shed;
            cs.served_n -= shed_n;
        }
    }
    // What the pools now serve, so that a second shedding in the same step starts from it.
    for ps in pools.iter_mut() {
        ps.consumer_served = ps.busy[Sector::Consumer as usize] * dt_f;
    }
}

/// Dynamic power a sector's busy accelerators draw above idle, W (what shedding it could save).
fn sheddable_w(sc: &Scenario, pools: &[PoolStep], sector: Sector) -> f64 {
    pools
        .iter()
        .zip(&sc.fleet.pools)
        .map(|(ps, pool)| ps.busy[sector as usize] * pool.watts_per_busy)
        .sum()
}
