//! One Monte Carlo trial: a fixed time step with an event queue between steps.
//!
//! Each layer owns its state and its step, over its own model: workloads ask for accelerator
//! work and pools serve it ([`workload`], with [`training`] running the jobs), the fleet turns
//! busy work into IT power ([`fleet`]), the grid may shed some of it ([`grid`]), the energy meter
//! splits the power among holders ([`meter`]), the facility turns IT power into facility power
//! ([`facility`]) and the hourly meter writes rows and totals ([`hourly`]). Data flows one way
//! through [`bus::PoolStep`]; what the grid sheds goes back as a named signal
//! ([`workload::Curtailment`]). The loop allocates nothing and looks nothing up by name.

pub mod block;
pub mod bus;
pub mod columns;
pub mod draws;
pub mod events;
pub mod facility;
pub mod fleet;
pub mod grid;
pub mod hourly;
pub mod meter;
pub mod summary;
pub mod training;
pub mod workload;

pub use crate::base::rng::stream;
use crate::base::time::SimTime;
use crate::model::fleet::{Fleet, Sector};
use crate::model::grid::demand_response::DrOutcome;
pub use crate::model::metrics::METRIC_NAMES as METRICS;
pub use crate::model::metrics::{
    M_CO2, M_COOLING, M_DROPPED, M_DRYBULB, M_FACILITY, M_FACILITY_PEAK, M_HEAT_NOT_REMOVED,
    M_IDLE_UNALLOC, M_INLET_MAX, M_IT_TOTAL, M_LOSSES, M_PUE, M_SATURATED, M_SERVED, M_SHED,
    M_THROTTLED, M_WATER_OFF, M_WATER_ON, M_WETBULB,
};
use crate::model::workload::shape::WEEK_S;
use crate::scenario::Scenario;
use bus::PoolStep;
pub use events::{Event, EventQueue};
use facility::FacilityLayer;
use fleet::FleetLayer;
use grid::{GridLayer, Price};
use hourly::{HourlyMeter, HourlySetup, StepFigures};
pub use summary::{ClassTally, TrialResult, TrialSummary};
use training::TrainingLayer;
use workload::{StepClock, WorkloadModels, Workloads};

/// Runs trial `trial` of the scenario. Every random number comes from streams derived from
/// (seed, trial) alone, so the result does not depend on threads or on other trials.
///
/// With demand response, each event is measured as a utility measures it
/// ([`crate::model::grid::demand_response::measure`]); with the counterfactual baseline a trial that
/// has an event is run a second time without the events (same streams) for the baseline.
pub fn run_trial(sc: &Scenario, trial: u32) -> TrialResult {
    use crate::model::grid::demand_response as dr_mod;
    let Some(dr) = &sc.grid.demand_response else {
        return simulate(sc, trial, true, None, None);
    };
    // With consumer classes, the requests each event's rebound window drops are counted too.
    let requests = !sc.consumers.is_empty();
    let (mut metered, mut drops) = (Vec::new(), Vec::new());
    let mut r = simulate(
        sc,
        trial,
        true,
        Some(&mut metered),
        requests.then_some(&mut drops),
    );
    if r.summary.dr_outcomes.is_empty() {
        return r;
    }
    let mut cf_drops = Vec::new();
    let counterfactual = (dr.baseline == dr_mod::Baseline::Counterfactual).then(|| {
        let mut cf = Vec::new();
        simulate(
            sc,
            trial,
            false,
            Some(&mut cf),
            requests.then_some(&mut cf_drops),
        );
        cf
    });
    dr_mod::measure(
        dr,
        &mut r.summary.dr_outcomes,
        &metered,
        counterfactual.as_deref(),
        sc.step_s,
        &sc.calendar,
    );
    if requests {
        let cf = counterfactual.is_some().then_some(&cf_drops[..]);
        let n = metered.len();
        dr_mod::rebound_drops(dr, &mut r.summary.dr_outcomes, n, sc.step_s, &drops, cf);
    }
    let s = &mut r.summary;
    let mwh = |o: &DrOutcome, mw: f64| mw * o.duration_s as f64 / 3600.0;
    // Events a rule baseline could not measure (no earlier qualifying day) are left out.
    let measured = || s.dr_outcomes.iter().filter(|o| o.measured());
    let delivered = measured().map(|o| mwh(o, o.delivered_mw)).sum();
    let shortfall = measured().map(|o| mwh(o, o.shortfall_mw())).sum();
    let rebound = measured().map(|o| o.rebound_mwh).sum();
    let rebound_peak = measured().map(|o| o.rebound_peak_mw).fold(0.0, f64::max);
    (
        s.dr_delivered_mwh,
        s.dr_shortfall_mwh,
        s.dr_rebound_mwh,
        s.dr_rebound_peak_mw,
    ) = (delivered, shortfall, rebound, rebound_peak);
    r
}

/// One run of a trial. `dr_on = false` runs it without executing demand-response events (the
/// counterfactual baseline: every random stream is drawn as with them); `trace` receives the
/// facility demand of every step, W, and `drops` the (step, requests dropped) of each step
/// that dropped some.
fn simulate(
    sc: &Scenario,
    trial: u32,
    dr_on: bool,
    mut trace: Option<&mut Vec<f64>>,
    drops: Option<&mut Vec<(u64, f64)>>,
) -> TrialResult {
    let mut tr = Trial::new(sc, trial);
    if drops.is_some() {
        tr.hourly.log_drops();
    }
    let total_steps = sc.horizon_s / sc.step_s;
    if let Some(t) = trace.as_deref_mut() {
        t.clear();
        t.reserve(total_steps as usize);
    }
    if sc.engine == crate::scenario::Engine::Blocks {
        let tally = block::run(&mut tr, dr_on, trace);
        if std::env::var_os("DCLOAD_ENGINE_TALLY").is_some() {
            // A diagnostic for scripts/bench.sh, not an output.
            eprintln!(
                "engine: fast {} stepped {} replayed {} steps; blocks fast {} replayed {}; \
                 queued {} steps in {} blocks",
                tally.fast_steps,
                tally.stepped_steps,
                tally.replayed_steps,
                tally.fast_blocks,
                tally.replayed_blocks,
                tally.queued_steps,
                tally.queued_blocks
            );
        }
        return tr.finish_logged(drops);
    }
    for step in 0..total_steps {
        let facility_w = tr.step(step, dr_on);
        if let Some(t) = trace.as_deref_mut() {
            t.push(facility_w);
        }
    }
    tr.finish_logged(drops)
}

/// A trial in progress: every layer's state, the event queue between steps and the scratch
/// the step passes from layer to layer.
pub struct Trial<'a> {
    sc: &'a Scenario,
    trial: u32,
    wm: WorkloadModels<'a>,
    work: Workloads,
    training: TrainingLayer,
    grid: GridLayer,
    fleet: FleetLayer,
    fac: FacilityLayer<'a>,
    meter: meter::Meter,
    hourly: HourlyMeter<'a>,
    events: EventQueue,
    pools: Vec<PoolStep>,
    pool_power: Vec<meter::PoolPower>,
    kept: Vec<f64>,
    steps_per_hour: u64,
    steps_per_week: usize,
    week_step: usize,
    week_step_fixed: usize,
    /// The next daylight-saving change of the study clock (sim s), where `week_step` jumps.
    next_offset_change: i64,
    uses: Uses,
}

/// The per-step features a study uses, resolved once per trial: a step does no work for one
/// it does not use (issue 20, item 0). Failures, traces, intervals, per-year and per-pool
/// meters are gated where their state lives (an `Option` or an empty table).
#[derive(Clone, Copy, Debug)]
struct Uses {
    /// Demand response or an import limit: the grid may shed load and the workloads defer it.
    sheds: bool,
    /// UPS and generators (outages, module failures).
    backup: bool,
    /// Groups coming online over the horizon.
    buildout: bool,
    /// A physics facility built out in phases or with load-bank tests.
    phasing: bool,
}

impl Uses {
    fn of(sc: &Scenario, fleet: &FleetLayer, fac: &FacilityLayer) -> Uses {
        Uses {
            sheds: sc.grid.demand_response.is_some() || sc.grid.limit.is_some(),
            backup: sc.grid.backup.is_some(),
            buildout: fleet.builds_out(),
            phasing: fac.phased(),
        }
    }
}

impl<'a> Trial<'a> {
    /// Each layer's state for trial `trial`; the events each schedules up front, in one queue.
    pub fn new(sc: &'a Scenario, trial: u32) -> Trial<'a> {
        let (dt, seed, horizon_s) = (sc.step_s, sc.seed, sc.horizon_s);
        let wm = WorkloadModels::of(sc);
        let mut pending = Vec::new();
        let work = Workloads::new(&wm, seed, trial, dt, horizon_s, &mut pending);
        let pool_acc = sc.fleet.pools.iter().map(|p| p.accelerators).collect();
        let training = TrainingLayer::new(
            &sc.trainings,
            pool_acc,
            seed,
            trial,
            horizon_s,
            &mut pending,
        );
        let grid = GridLayer::new(&sc.grid, &sc.calendar, seed, trial, horizon_s, &mut pending);
        let fac = FacilityLayer::new(&sc.facility, sc.horizon_hours as usize, seed, trial);
        let mut events = EventQueue::with_capacity(pending.len() + 8 * training.slot_count() + 64);
        for (t, e) in pending {
            events.push(t, e);
        }
        let hourly = HourlyMeter::new(HourlySetup {
            step_s: dt,
            total_steps: horizon_s / dt,
            hours: sc.horizon_hours as usize,
            metric_ids: &sc.metric_ids,
            physics_water_l_per_kwh: fac.physics_water_l_per_kwh(),
            fixed_water: sc.facility.fixed_water(),
            carbon_g_per_kwh: sc.grid.carbon_g_per_kwh.as_deref(),
            ramp_thresholds_mw: &sc.grid.ramp_thresholds_mw,
            intervals: sc.intervals,
            system_peaks: &sc.grid.system_peaks,
        });
        let np = sc.fleet.pools.len();
        let mut hourly = hourly;
        if !sc.consumers.is_empty() {
            hourly.track_pools(np);
        }
        let years = sc.metered_years();
        if !years.is_empty() {
            hourly.track_years(&years);
        }
        let fleet = FleetLayer::new(&sc.fleet, seed, trial);
        Trial {
            sc,
            trial,
            meter: new_meter(sc, training.slot_count()),
            uses: Uses::of(sc, &fleet, &fac),
            fleet,
            wm,
            work,
            training,
            grid,
            fac,
            hourly,
            events,
            pools: vec![PoolStep::default(); np],
            pool_power: vec![meter::PoolPower::default(); np],
            kept: vec![0.0; sc.trainings.len()],
            steps_per_hour: 3600 / dt,
            steps_per_week: (WEEK_S as u64 / dt) as usize,
            week_step: sc.calendar.weekday(SimTime(0), sc.calendar.utc_offset_s())
                * (86_400 / dt as usize),
            week_step_fixed: sc.calendar.weekday(SimTime(0), sc.calendar.utc_offset_s())
                * (86_400 / dt as usize),
            next_offset_change: sc.calendar.next_change_after(0).unwrap_or(i64::MAX),
        }
    }

    /// One step, in the order of the data flow; returns the facility's demand, W.
    pub fn step(&mut self, step: u64, dr_on: bool) -> f64 {
        self.begin(step);
        self.body(step, dr_on, None)
    }

    /// What happens at a step's instant before any layer steps: groups coming online, the
    /// events due, a daylight-saving change of the wall clock, and the hour's growth.
    fn begin(&mut self, step: u64) {
        let (sc, wm) = (self.sc, &self.wm);
        let t = SimTime(step * sc.step_s);
        let dt = sc.step_s;
        // Build-out: groups coming online; training jobs start only on online accelerators.
        if self.uses.buildout && self.fleet.bring_online(&sc.fleet, t.0 as f64) {
            self.training.set_online_acc(
                &sc.trainings,
                &self.fleet.online_acc,
                t.0,
                &mut self.events,
            );
        }
        // The facility's plant and electrical modules, and load-bank tests.
        if self.uses.phasing {
            self.fac.advance(t.0 as f64);
        }
        // Events due, each to the layer it concerns.
        while let Some((_, e)) = self.events.pop_due(t.0) {
            match e {
                Event::JobArrival { .. }
                | Event::JobEnd { .. }
                | Event::CheckpointStart { .. }
                | Event::CheckpointEnd { .. }
                | Event::RestartEnd { .. } => {
                    self.training
                        .on_event(&sc.trainings, e, t.0, &mut self.events)
                }
                Event::DrStart { .. }
                | Event::DrEnd { .. }
                | Event::OutageStart
                | Event::OutageEnd => self.grid.on_event(&sc.grid, e, t.0),
                _ => self.work.on_event(e),
            }
        }
        if t.0 as i64 >= self.next_offset_change {
            // Prevailing time: the wall clock jumped; the week step follows it.
            let local = sc.calendar.local_s(t.0 as i64);
            let sow =
                (local.div_euclid(86_400) + 3).rem_euclid(7) * 86_400 + local.rem_euclid(86_400);
            self.week_step = (sow as u64 / dt) as usize;
            self.next_offset_change = sc
                .calendar
                .next_change_after(t.0 as i64)
                .unwrap_or(i64::MAX);
        }
        if step.is_multiple_of(self.steps_per_hour) {
            self.work.on_hour(wm, t);
        }
    }

    /// The layers' step, in the order of the data flow, with the consumer classes' arrivals
    /// drawn (`given` = None) or given; returns the facility's demand, W.
    fn body(&mut self, step: u64, dr_on: bool, given: Option<&[(f64, f64)]>) -> f64 {
        let (sc, wm) = (self.sc, &self.wm);
        let (dt, dt_f) = (sc.step_s, sc.step_s as f64);
        let t = SimTime(step * dt);
        let hour = (step / self.steps_per_hour) as usize;
        // Fleet: failures (jobs on failed servers restart), then this step's capacity.
        if let Some(f) = &sc.failures {
            let hits = self.fleet.fail_and_repair(&sc.fleet, f, dt_f);
            self.training
                .on_failures(&sc.trainings, &hits, t.0, &mut self.events);
            self.work
                .count_missions_up(wm, &self.fleet.working_acc, t.0);
        }
        let pools = &mut self.pools[..];
        self.fleet.open_pools(&sc.fleet, self.fac.thermal(), pools);
        // Workloads: demand and service, in priority order.
        let clock = StepClock {
            t,
            dt,
            week_step: self.week_step,
            week_step_fixed: self.week_step_fixed,
        };
        let dr_active = self.grid.dr_active();
        self.work
            .serve(wm, &self.training.busy, pools, clock, dr_active, given);
        // Fleet power, then the grid: demand response and the import limit may shed load; what
        // they shed goes back to the workloads.
        let it_w = self.fleet.power(&sc.fleet, pools, self.fac.thermal());
        let g = if self.uses.sheds {
            let mut price = Pricer {
                fleet: &mut self.fleet,
                model: &sc.fleet,
                fac: &self.fac,
                hour,
                dt_f,
            };
            let (g, cut) = self
                .grid
                .curtail(&sc.grid, &sc.fleet, dr_on, t.0, dt, pools, it_w, &mut price);
            self.training.pause(cut.training_pause_s);
            self.work.apply_curtailment(wm, &cut, pools, dt_f);
            g
        } else {
            grid::GridStep::default()
        };
        // The energy meter: each holder's claim on its pool, then the split.
        let m = &mut self.meter;
        let n_fixed = m.slot_base();
        let sheds = self.uses.sheds;
        let served_n = self
            .work
            .claims(wm, pools, dt_f, sheds, &mut m.claims[..n_fixed]);
        for (k, (kept, tr)) in self.kept.iter_mut().zip(&sc.trainings).enumerate() {
            let busy = self.training.busy[k];
            let served = self.work.training_served[k];
            let got = if sheds {
                served * workload::shed_ratio(&pools[tr.pool], Sector::Training)
            } else {
                served
            };
            *kept = if busy > 0.0 { got / busy } else { 0.0 };
        }
        self.training
            .claims(&sc.trainings, &self.kept, dt_f, &mut m.claims[n_fixed..]);
        for (pp, ps) in self.pool_power.iter_mut().zip(pools.iter()) {
            *pp = meter::PoolPower {
                power_w: ps.power_w,
                idle_w: ps.idle_w,
                capacity: ps.capacity,
            };
        }
        let split = m.attribute(&self.pool_power, dt_f);
        self.training.meter_jobs(&m.power_w[n_fixed..], dt_f);
        let it_w: f64 = split.sector_w.iter().sum::<f64>() + split.idle_unallocated_w;
        // Facility, then the backup for an outage; the hourly meter takes the step.
        let f = self.fac.step(it_w, &self.fleet.group_it, hour, dt_f);
        let unserved_w = if self.uses.backup {
            self.grid
                .backup_step(&sc.grid, t.0, f.power.facility_w, dt_f)
        } else {
            0.0
        };
        if self.work.dropped_n > 0.0 {
            for (cs, c) in self.work.consumers.iter().zip(wm.consumers) {
                self.hourly.record_pool_drop(c.pool, cs.dropped_n);
            }
        }
        self.hourly.record(&StepFigures {
            sector_w: split.sector_w,
            idle_unallocated_w: split.idle_unallocated_w,
            it_w,
            installed_w: self.fleet.installed_w,
            cooling_w: f.power.cooling_w,
            losses_w: f.power.losses_w,
            load_bank_w: f.power.load_bank_w,
            facility_w: f.power.facility_w,
            served_n,
            dropped_n: self.work.dropped_n,
            curtailed_w: g.curtailed_w,
            onsite_water_l: f.onsite_water_l,
            throttled_acc: f.throttled_acc,
            heat_not_removed_w: f.heat_not_removed_w,
            saturated: f.saturated,
            inlet_max_c: f.inlet_max_c,
            outdoor: f.outdoor,
            unserved_w,
        });
        if let Some(r) = self.hourly.take_closed_ratio() {
            self.meter.close_hour(r);
        }
        self.tick_week();
        f.power.facility_w
    }

    /// The steps of the week move on by one (on the study clock and on the fixed offset).
    #[inline(always)]
    fn tick_week(&mut self) {
        self.week_step += 1;
        if self.week_step == self.steps_per_week {
            self.week_step = 0;
        }
        self.week_step_fixed += 1;
        if self.week_step_fixed == self.steps_per_week {
            self.week_step_fixed = 0;
        }
    }

    /// [`Self::tick_week`] `n` times over (a quiet block's steps).
    fn tick_week_by(&mut self, n: usize) {
        self.week_step = (self.week_step + n) % self.steps_per_week;
        self.week_step_fixed = (self.week_step_fixed + n) % self.steps_per_week;
    }

    /// [`Trial::finish`], with the steps that dropped requests into `drops` when asked.
    fn finish_logged(mut self, drops: Option<&mut Vec<(u64, f64)>>) -> TrialResult {
        if let Some(d) = drops {
            *d = self.hourly.take_drop_log();
        }
        self.finish()
    }

    /// Closes the trial: jobs ending at the horizon, then every layer's tally, flattened into
    /// the trial's summary.
    pub fn finish(mut self) -> TrialResult {
        let sc = self.sc;
        self.training.finish_at_horizon(&mut self.events);
        let (hourly, meter) = self.hourly.finish(
            sc.horizon_s,
            sc.grid.tariff.as_ref(),
            &sc.grid.hour_calendar,
        );
        let training = summary::TrainingTally {
            jobs: std::mem::take(&mut self.training.jobs),
            training_jobs_completed: self.training.jobs_completed,
            training_interruptions: self.training.interruptions,
            training_lost_acc_h: self.training.lost_acc_s / 3600.0,
        };
        let facility = summary::FacilityTally {
            plant_unit_outage_hours: self.fac.plant_unit_outage_hours(),
        };
        let tallies = summary::Tallies {
            meter,
            grid: self.grid.finish(),
            work: workload_tally(sc, &self.work, &self.meter),
            training,
            facility,
        };
        TrialResult {
            hourly,
            summary: TrialSummary::assemble(self.trial, tallies),
            cpu_ms: None,
        }
    }
}

/// The price of load within a step: the fleet's power for the pools' busy work, then the
/// facility's estimate for it (the grid's shedding re-prices after each cut).
struct Pricer<'a, 'b> {
    fleet: &'b mut FleetLayer,
    model: &'a Fleet,
    fac: &'b FacilityLayer<'a>,
    hour: usize,
    dt_f: f64,
}

impl Price for Pricer<'_, '_> {
    fn facility_w(&self, it_w: f64) -> f64 {
        self.fac
            .estimate(it_w, &self.fleet.group_it, self.hour, self.dt_f)
    }

    fn reprice(&mut self, pools: &mut [PoolStep]) -> (f64, f64) {
        let it_w = self.fleet.power(self.model, pools, self.fac.thermal());
        (it_w, self.facility_w(it_w))
    }
}

/// The energy meter's holders: classes, twins, missions, then every training job slot.
fn new_meter(sc: &Scenario, slots: usize) -> meter::Meter {
    let mut h: Vec<(usize, Sector)> = Vec::with_capacity(slots + 16);
    h.extend(sc.consumers.iter().map(|c| (c.pool, Sector::Consumer)));
    h.extend(sc.twins.iter().map(|w| (w.pool, Sector::Industrial)));
    h.extend(sc.defenses.iter().map(|d| (d.pool, Sector::Defense)));
    for tr in &sc.trainings {
        h.extend((0..tr.max_concurrent).map(|_| (tr.pool, Sector::Training)));
    }
    meter::Meter::new(
        h,
        [sc.consumers.len(), sc.twins.len(), sc.defenses.len()],
        sc.fleet.pools.len(),
    )
}

/// The workloads' tally: request counters, the meter's energy per holder, and each defense
/// mission's availability.
fn workload_tally(sc: &Scenario, work: &Workloads, m: &meter::Meter) -> summary::WorkloadTally {
    let mwh = |j: f64| j / 3.6e9;
    let classes: Vec<ClassTally> = work
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
            mwh_at_meter: mwh(m.at_meter_j[i]),
        })
        .collect();
    let total_steps = sc.horizon_s / sc.step_s;
    let mission_availability: Vec<f64> = if sc.failures.is_some() {
        // Over the steps each mission runs (from its start).
        work.mission_up_steps
            .iter()
            .zip(&sc.defenses)
            .map(|(&u, d)| u as f64 / (total_steps - d.online_s.div_ceil(sc.step_s)).max(1) as f64)
            .collect()
    } else {
        vec![1.0; sc.defenses.len()]
    };
    let tw = m.n_classes;
    let ms = tw + m.n_twins;
    let pool_idle_unallocated_mwh: Vec<f64> =
        m.pool_idle_unallocated_j.iter().map(|&j| mwh(j)).collect();
    summary::WorkloadTally {
        requests_served: classes.iter().map(|c| c.served as f64).sum(),
        requests_dropped: classes.iter().map(|c| c.dropped as f64).sum(),
        requests_arrived: classes.iter().map(|c| c.arrived as f64).sum(),
        requests_pending: classes.iter().map(|c| c.pending as f64).sum(),
        idle_unallocated_mwh: pool_idle_unallocated_mwh.iter().sum(),
        twin_mwh: (0..m.n_twins).map(|i| mwh(m.energy_j[tw + i])).collect(),
        mission_mwh: (0..m.n_missions).map(|i| mwh(m.energy_j[ms + i])).collect(),
        pool_idle_unallocated_mwh,
        defense_unserved_acc_h: work.defense_unserved_acc_s / 3600.0,
        defense_availability: mission_availability.iter().copied().fold(1.0, f64::min),
        mission_availability,
        classes,
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Small studies for the layers' unit tests, resolved from run-file text, and an event
    //! pump that applies each due event at its own time.

    use super::events::{Event, EventQueue};
    use crate::scenario::Scenario;

    /// Resolves a run file given as text (no files outside the built-in library are read).
    pub fn scenario(text: &str) -> Scenario {
        let lib = crate::model::library::Library::builtin().expect("built-in library");
        Scenario::from_source(
            &crate::base::error::Source::new("t.toml", text),
            "t",
            std::path::Path::new("."),
            &lib,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// `rest` after a one-day, one-trial study header (60 s steps, seed 7) and group "a": 10
    /// bare DGX H100 servers (80 H100) in their own pool.
    pub fn pool_a(rest: &str) -> String {
        format!(
            "name = \"t\"\nhorizon_hours = 24\nstep_s = 60\nseed = 7\ntrials = 1\n\n\
             [[site.group]]\nname = \"a\"\nserver = \"DGX-H100\"\ncount = 10\n{rest}"
        )
    }

    /// A queue holding the events a layer scheduled up front.
    pub fn queue(pending: Vec<(u64, Event)>) -> EventQueue {
        let mut q = EventQueue::with_capacity(pending.len() + 16);
        for (t, e) in pending {
            q.push(t, e);
        }
        q
    }

    /// Applies every event due at or before `until`, each at its own time, with `apply`.
    pub fn pump(
        q: &mut EventQueue,
        until: u64,
        mut apply: impl FnMut(Event, u64, &mut EventQueue),
    ) {
        while let Some((t, e)) = q.pop_due(until) {
            apply(e, t, q);
        }
    }

    /// `|a - b| <= tol * max(1, |b|)`, with both figures in the message.
    #[track_caller]
    pub fn close(a: f64, b: f64, tol: f64, what: &str) {
        assert!(
            (a - b).abs() <= tol * b.abs().max(1.0),
            "{what}: got {a}, expected {b} (tolerance {tol})"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{pool_a, scenario};
    use super::*;

    /// A study without a grid table, build-out or phasing uses none of the gated features, so
    /// its steps skip the grid's shedding, the backup and the build-out clocks; a limit turns
    /// shedding on.
    #[test]
    fn a_study_pays_only_for_the_features_it_uses() {
        let fixed = "\n[[consumer]]\nname = \"c\"\npool = \"a\"\nrequests_per_day = 1e5\n\
                     acc_s_per_request = 0.01\n\n[facility]\nkind = \"fixed\"\npue = 1.2\n";
        let plain = scenario(&pool_a(fixed));
        let t = Trial::new(&plain, 0);
        let u = t.uses;
        assert!(!(u.sheds || u.backup || u.buildout || u.phasing), "{u:?}");
        let capped = scenario(&pool_a(&format!("{fixed}\n[grid]\nimport_limit_mw = 1\n")));
        assert!(Trial::new(&capped, 0).uses.sheds);
    }
}
