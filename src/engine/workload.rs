//! The workload layer's step: consumer request classes, digital twins and defense missions ask
//! for accelerator work and each pool serves it up to its free capacity, in priority order
//! (defense, twins, training, consumer requests). Training's demand comes from the training
//! layer, which runs the jobs; this layer serves it like the others.
//!
//! Inputs: the models, the pools' free capacity, training's demand, whether a demand-response
//! event is active. Outputs: the pools' busy figures and this step's served work and requests.
//! What the grid sheds comes back as a [`Curtailment`] signal.

use super::bus::PoolStep;
use super::events::Event;
use super::meter::Claim;
use crate::fleet::Sector;
use crate::rng::{Stream, TAG_CONSUMER, TAG_DEFENSE, TAG_TWIN, poisson_count, stream, uniform};
use crate::time::SimTime;
use crate::workload::Episodes;
use crate::workload::arrivals::Ar1;
use crate::workload::consumer::ConsumerClass;
use crate::workload::defense::Defense;
use crate::workload::twin::Twin;

/// The models this layer steps.
#[derive(Clone)]
pub struct WorkloadModels<'a> {
    pub consumers: &'a [ConsumerClass],
    pub twins: &'a [Twin],
    pub defenses: &'a [Defense],
    /// The pool each `[[training]]` table runs on.
    pub training_pools: Vec<usize>,
}

#[derive(Debug)]
pub struct ConsumerState {
    pub rng: Stream,
    /// Queued work, accelerator-seconds.
    pub queue: f64,
    /// This step's queued plus arrived work.
    pub demand: f64,
    /// Growth factor, refreshed every simulated hour.
    pub growth: f64,
    /// Work served this step, accelerator-seconds.
    pub served: f64,
    /// Work deferred by a demand-response event, held until it ends.
    pub held: f64,
    /// Whole requests: this step's demand, served and those waiting in the queue and held by
    /// demand response (counts kept beside the work so they are conserved exactly).
    pub demand_n: f64,
    pub served_n: f64,
    pub queue_n: f64,
    pub held_n: f64,
    /// Fractional arrivals of a rescaled trace, carried to the next step.
    pub n_carry: f64,
    pub arrived: u64,
    pub served_total: u64,
    pub dropped_total: u64,
}

#[derive(Debug)]
pub struct TwinState {
    pub rng: Stream,
    pub jitter: Ar1,
    pub campaign_extra: f64,
    /// Work deferred by demand response, accelerator-seconds.
    pub backlog: f64,
    /// Busy accelerator-equivalents this step, before any shedding.
    pub served: f64,
}

#[derive(Debug)]
pub struct DefenseState {
    pub rng: Stream,
    pub jitter: Ar1,
    pub surge_extra: f64,
    /// Busy accelerator-equivalents this step.
    pub served: f64,
}

/// Where in time a step is, as the workloads see it.
#[derive(Clone, Copy, Debug)]
pub struct StepClock {
    pub t: SimTime,
    pub dt: u64,
    /// Step within the week (for weekly shapes), from the study's first weekday.
    pub week_step: usize,
}

/// What the grid shed from the workloads this step, for them to defer or hold.
#[derive(Clone, Copy, Debug, Default)]
pub struct Curtailment {
    /// Demand response cut consumer work (held until the event ends).
    pub dr_consumer: bool,
    /// A cap cut consumer work (re-queued at once).
    pub cap_consumer: bool,
    /// Twin work deferred by demand response, accelerator-seconds (caught up after the event).
    pub twin_backlog_acc_s: f64,
    /// Share of the step training was paused by demand response, s.
    pub training_pause_s: u64,
}

pub struct Workloads {
    pub consumers: Vec<ConsumerState>,
    pub twins: Vec<TwinState>,
    pub defenses: Vec<DefenseState>,
    /// Busy accelerator-equivalents each training got this step, before any shedding.
    pub training_served: Vec<f64>,
    /// Magnitudes of this trial's campaigns and surges, indexed by their events.
    magnitudes: Vec<f64>,
    jitter_every: u64,
    jitter_phase: u64,
    /// Defense work that found no capacity, accelerator-seconds.
    pub defense_unserved_acc_s: f64,
    /// Requests dropped this step (whole).
    pub dropped_n: f64,
    /// Steps in which each defense mission had the capacity it needs.
    pub mission_up_steps: Vec<u64>,
}

/// Steps between updates of the jitter processes. Jitter models slow drifts (e-folding times of
/// hours), so it is advanced every 5 minutes of simulated time (every step if steps are longer),
/// exactly discretised over that interval, and held in between: the same statistics at a
/// fraction of the random draws.
pub fn jitter_every(step_s: u64) -> u64 {
    (300 / step_s).max(1)
}

pub const YEAR_S: f64 = 365.0 * 86_400.0;

impl Workloads {
    /// The trial's workload state; campaigns and surges go to `pending` as events.
    pub fn new(
        m: &WorkloadModels,
        seed: u64,
        trial: u32,
        step_s: u64,
        horizon_s: u64,
        pending: &mut Vec<(u64, Event)>,
    ) -> Workloads {
        let every = jitter_every(step_s);
        let jdt = (step_s * every) as f64;
        let mut w = Workloads {
            consumers: (0..m.consumers.len())
                .map(|i| ConsumerState {
                    rng: stream(seed, TAG_CONSUMER + i as u64, trial),
                    queue: 0.0,
                    demand: 0.0,
                    growth: 1.0,
                    served: 0.0,
                    held: 0.0,
                    demand_n: 0.0,
                    served_n: 0.0,
                    queue_n: 0.0,
                    held_n: 0.0,
                    n_carry: 0.0,
                    arrived: 0,
                    served_total: 0,
                    dropped_total: 0,
                })
                .collect(),
            twins: m
                .twins
                .iter()
                .enumerate()
                .map(|(i, t)| TwinState {
                    rng: stream(seed, TAG_TWIN + i as u64, trial),
                    jitter: Ar1::new(t.jitter_sd, t.jitter_tau_s, jdt),
                    campaign_extra: 0.0,
                    backlog: 0.0,
                    served: 0.0,
                })
                .collect(),
            defenses: m
                .defenses
                .iter()
                .enumerate()
                .map(|(i, d)| DefenseState {
                    rng: stream(seed, TAG_DEFENSE + i as u64, trial),
                    jitter: Ar1::new(d.jitter_sd, d.jitter_tau_s, jdt),
                    surge_extra: 0.0,
                    served: 0.0,
                })
                .collect(),
            training_served: vec![0.0; m.training_pools.len()],
            magnitudes: Vec::new(),
            jitter_every: every,
            jitter_phase: 0,
            defense_unserved_acc_s: 0.0,
            dropped_n: 0.0,
            mission_up_steps: vec![0; m.defenses.len()],
        };
        for t in &mut w.twins {
            t.jitter.start(&mut t.rng);
        }
        for d in &mut w.defenses {
            d.jitter.start(&mut d.rng);
        }
        // Episodes: scheduled ones, then random ones drawn up front from the workload's stream.
        for (i, t) in m.twins.iter().enumerate() {
            let eps = episodes(
                &t.campaigns,
                horizon_s,
                &mut w.twins[i].rng,
                &mut w.magnitudes,
            );
            for (s, (e, mag)) in eps {
                let twin = i as u32;
                pending.push((s, Event::CampaignStart { twin, mag }));
                pending.push((e, Event::CampaignEnd { twin, mag }));
            }
        }
        for (i, d) in m.defenses.iter().enumerate() {
            let eps = episodes(
                &d.surges,
                horizon_s,
                &mut w.defenses[i].rng,
                &mut w.magnitudes,
            );
            for (s, (e, mag)) in eps {
                let d = i as u32;
                pending.push((s, Event::SurgeStart { d, mag }));
                pending.push((e, Event::SurgeEnd { d, mag }));
            }
        }
        w
    }

    /// Campaigns and surges.
    pub fn on_event(&mut self, e: Event) {
        match e {
            Event::CampaignStart { twin, mag } => {
                self.twins[twin as usize].campaign_extra += self.magnitudes[mag as usize];
            }
            Event::CampaignEnd { twin, mag } => {
                let x = &mut self.twins[twin as usize].campaign_extra;
                *x = (*x - self.magnitudes[mag as usize]).max(0.0);
            }
            Event::SurgeStart { d, mag } => {
                self.defenses[d as usize].surge_extra += self.magnitudes[mag as usize];
            }
            Event::SurgeEnd { d, mag } => {
                let x = &mut self.defenses[d as usize].surge_extra;
                *x = (*x - self.magnitudes[mag as usize]).max(0.0);
            }
            _ => {}
        }
    }

    /// Refreshes the classes' growth at the start of each simulated hour.
    pub fn on_hour(&mut self, m: &WorkloadModels, t: SimTime) {
        for (cs, c) in self.consumers.iter_mut().zip(m.consumers) {
            cs.growth = c.growth(t);
        }
    }

    /// Counts the steps each defense mission had the working capacity one copy needs.
    pub fn count_missions_up(&mut self, m: &WorkloadModels, pool_working_acc: &[f64]) {
        for (d, up) in m.defenses.iter().zip(&mut self.mission_up_steps) {
            if pool_working_acc[d.pool] >= d.need * (1.0 - 1e-12) {
                *up += 1;
            }
        }
    }

    /// Serves every workload's demand on the pools, in priority order.
    pub fn serve(
        &mut self,
        m: &WorkloadModels,
        training_demand: &[f64],
        pools: &mut [PoolStep],
        clock: StepClock,
        dr_active: bool,
    ) {
        let dt_f = clock.dt as f64;
        let inv_dt = 1.0 / dt_f;
        let jitter_now = self.jitter_phase == 0;
        self.jitter_phase += 1;
        if self.jitter_phase == self.jitter_every {
            self.jitter_phase = 0;
        }
        for (ds, d) in self.defenses.iter_mut().zip(m.defenses) {
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
            self.defense_unserved_acc_s += (demand - served) * dt_f;
            ps.free -= served;
            ps.busy[Sector::Defense as usize] += served;
        }
        for (ws, w) in self.twins.iter_mut().zip(m.twins) {
            let jit = if jitter_now {
                ws.jitter.step(&mut ws.rng)
            } else {
                ws.jitter.value
            };
            let u = (w.base_utilisation * w.week.at(clock.week_step) * (1.0 + jit)
                + ws.campaign_extra)
                .clamp(0.0, 1.0);
            let mut demand = w.accelerators * u;
            if w.edge_events_per_s > 0.0 {
                let n = poisson_count(w.edge_events_per_s * dt_f, &mut ws.rng);
                demand += n * w.edge_acc_s_per_event * inv_dt;
            }
            let ps = &mut pools[w.pool];
            let mut served = demand.min(ps.free);
            if ws.backlog > 0.0 && !dr_active {
                // Work deferred by a demand-response event is caught up on spare capacity.
                let catch_up = (ws.backlog * inv_dt).min(ps.free - served).max(0.0);
                ws.backlog -= catch_up * dt_f;
                served += catch_up;
            }
            ws.served = served;
            ps.free -= served;
            ps.busy[Sector::Industrial as usize] += served;
        }
        for ((busy, got), &pool) in training_demand
            .iter()
            .zip(self.training_served.iter_mut())
            .zip(&m.training_pools)
        {
            let ps = &mut pools[pool];
            let served = busy.min(ps.free);
            *got = served;
            ps.free -= served;
            ps.busy[Sector::Training as usize] += served;
        }
        self.serve_consumers(m, pools, clock, dr_active);
        for ps in pools.iter_mut() {
            ps.served_busy = ps.busy;
            ps.after_dr_busy = ps.busy;
        }
    }

    /// Consumer classes sharing a pool split its free capacity in proportion to demand.
    fn serve_consumers(
        &mut self,
        m: &WorkloadModels,
        pools: &mut [PoolStep],
        clock: StepClock,
        dr_active: bool,
    ) {
        let dt_f = clock.dt as f64;
        let inv_dt = 1.0 / dt_f;
        for (cs, c) in self.consumers.iter_mut().zip(m.consumers) {
            if cs.held > 0.0 && !dr_active {
                // Work deferred by a demand-response event returns: the rebound.
                cs.queue += cs.held;
                cs.held = 0.0;
                cs.queue_n += cs.held_n;
                cs.held_n = 0.0;
            }
            let (n, work) = c.arrivals(clock.t, clock.dt, clock.week_step, cs.growth, &mut cs.rng);
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
        self.dropped_n = 0.0;
        for (cs, c) in self.consumers.iter_mut().zip(m.consumers) {
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
            self.dropped_n += dropped_n;
        }
        for ps in pools.iter_mut() {
            if ps.consumer_served > 0.0 {
                ps.consumer_weight = ps.consumer_power / ps.consumer_served;
            }
        }
    }

    /// Takes back what the grid shed: consumer work deferred (held by demand response until its
    /// event ends, re-queued at once under a cap), twin work owed after the event.
    pub fn apply_curtailment(
        &mut self,
        m: &WorkloadModels,
        cut: &Curtailment,
        pools: &mut [PoolStep],
        dt_f: f64,
    ) {
        if cut.twin_backlog_acc_s > 0.0 {
            // Slowed twins catch up after the event (their backlog), in proportion to size.
            let total: f64 = m.twins.iter().map(|w| w.accelerators).sum();
            for (ws, w) in self.twins.iter_mut().zip(m.twins) {
                ws.backlog +=
                    cut.twin_backlog_acc_s * w.accelerators / total.max(f64::MIN_POSITIVE);
            }
        }
        let con = Sector::Consumer as usize;
        if cut.dr_consumer {
            self.requeue_consumer(m, pools, |p| p.after_dr_busy[con], dt_f, true);
        }
        if cut.cap_consumer {
            self.requeue_consumer(m, pools, |p| p.busy[con], dt_f, false);
        }
    }

    /// Returns consumer work shed in this step to the queues of the classes that were served it,
    /// in proportion to what each class was served, and takes it off the served-request count.
    fn requeue_consumer(
        &mut self,
        m: &WorkloadModels,
        pools: &mut [PoolStep],
        kept_busy: impl Fn(&PoolStep) -> f64,
        dt_f: f64,
        hold_until_event_ends: bool,
    ) {
        for (cs, c) in self.consumers.iter_mut().zip(m.consumers) {
            let ps = &pools[c.pool];
            // Fraction of this pool's consumer service that survived the shedding.
            let kept = if ps.consumer_served > 0.0 {
                (kept_busy(ps) * dt_f / ps.consumer_served).clamp(0.0, 1.0)
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
            ps.consumer_served = kept_busy(ps) * dt_f;
        }
    }

    /// Counts the step's served requests into the classes' totals (returning the step's sum)
    /// and writes the meter's claims of classes, twins and missions, in that order: a class
    /// holds what its requests keep busy, a twin its allocation, a mission its reserved copies
    /// (standby included); each keeps busy what it was served, less what the grid shed.
    pub fn claims(
        &mut self,
        m: &WorkloadModels,
        pools: &[PoolStep],
        dt_f: f64,
        out: &mut [Claim],
    ) -> f64 {
        let inv_dt = 1.0 / dt_f;
        let kept = |p: usize, sec: Sector| shed_ratio(&pools[p], sec);
        let mut served_n = 0.0;
        let mut i = 0;
        for (cs, c) in self.consumers.iter_mut().zip(m.consumers) {
            cs.served_total += cs.served_n as u64;
            served_n += cs.served_n;
            let busy = cs.served * inv_dt;
            out[i] = Claim {
                held: busy,
                weight: busy * c.power_scale,
            };
            i += 1;
        }
        for (ws, w) in self.twins.iter().zip(m.twins) {
            out[i] = Claim {
                held: w.accelerators,
                weight: ws.served * kept(w.pool, Sector::Industrial),
            };
            i += 1;
        }
        for (ds, d) in self.defenses.iter().zip(m.defenses) {
            out[i] = Claim {
                held: d.need * d.active_copies + d.standby_capacity,
                weight: ds.served * kept(d.pool, Sector::Defense),
            };
            i += 1;
        }
        served_n
    }
}

/// Share of a sector's served work on a pool that survived shedding (0 when none was served).
pub fn shed_ratio(ps: &PoolStep, sec: Sector) -> f64 {
    let before = ps.served_busy[sec as usize];
    if before > 0.0 {
        ps.busy[sec as usize] / before
    } else {
        0.0
    }
}

/// `x.floor()` for a non-negative count below 2^53, without a libm call in the step loop
/// (the x86-64 baseline has no rounding instruction, so `floor` and `round` are calls).
#[inline(always)]
pub fn floor_nonneg(x: f64) -> f64 {
    x.max(0.0) as u64 as f64
}

/// `x.round()` (half away from zero) for a non-negative count below 2^53, likewise.
#[inline(always)]
pub fn round_nonneg(x: f64) -> f64 {
    floor_nonneg(x + 0.5)
}

/// Scheduled and random episodes as (start, (end, magnitude index)).
fn episodes(
    ep: &Episodes,
    horizon_s: u64,
    rng: &mut Stream,
    mags: &mut Vec<f64>,
) -> Vec<(u64, (u64, u32))> {
    let mut out = Vec::new();
    for &(s, d, m) in &ep.scheduled {
        mags.push(m);
        out.push((s, (s + d, (mags.len() - 1) as u32)));
    }
    if ep.per_year > 0.0 {
        let n = poisson_count(ep.per_year * horizon_s as f64 / YEAR_S, rng) as u64;
        for _ in 0..n {
            let s = (uniform(rng) * horizon_s as f64) as u64;
            mags.push(ep.magnitude);
            out.push((s, (s + ep.duration_s, (mags.len() - 1) as u32)));
        }
    }
    out
}
