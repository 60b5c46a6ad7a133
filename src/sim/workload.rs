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
use crate::base::rng::{
    PoissonAt, Stream, TAG_CONSUMER, TAG_DEFENSE, TAG_TWIN, normal_count, poisson_count, stream,
    uniform,
};
use crate::base::time::SimTime;
use crate::base::ziggurat::standard_normal_held;
use crate::model::fleet::{ConsumerReserve, Pool, Sector};
use crate::model::workload::Episodes;
use crate::model::workload::arrivals::Ar1;
use crate::model::workload::consumer::ConsumerClass;
use crate::model::workload::defense::Defense;
use crate::model::workload::shape::WeekTable;
use crate::model::workload::twin::Twin;

/// The models this layer steps.
#[derive(Clone)]
pub struct WorkloadModels<'a> {
    pub consumers: &'a [ConsumerClass],
    pub twins: &'a [Twin],
    pub defenses: &'a [Defense],
    /// The pool each `[[training]]` table runs on.
    pub training_pools: Vec<usize>,
    /// Each pool's reservation for its consumer classes and its capacity per accelerator
    /// (empty when no pool has one).
    pub reserves: Vec<(ConsumerReserve, f64)>,
}

impl<'a> WorkloadModels<'a> {
    /// The study's workload models, as a trial reads them.
    pub fn of(sc: &'a crate::scenario::Scenario) -> WorkloadModels<'a> {
        WorkloadModels {
            consumers: &sc.consumers,
            twins: &sc.twins,
            defenses: &sc.defenses,
            training_pools: sc.trainings.iter().map(|t| t.pool).collect(),
            reserves: if sc.fleet.pools.iter().all(|p| p.reserve.is_none()) {
                Vec::new()
            } else {
                let per_acc = |p: &Pool| {
                    if p.accelerators > 0.0 {
                        p.capacity / p.accelerators
                    } else {
                        1.0
                    }
                };
                sc.fleet
                    .pools
                    .iter()
                    .map(|p| (p.reserve, per_acc(p)))
                    .collect()
            },
        }
    }

    /// Capacity training may not be served out of on `pool` in a step whose working capacity is
    /// `capacity`: what the pool keeps for its consumer classes.
    #[inline]
    pub fn kept_for_consumers(&self, pool: usize, capacity: f64) -> f64 {
        self.reserves
            .get(pool)
            .map_or(0.0, |(r, per_acc)| r.kept_capacity(capacity, *per_acc))
    }
}

#[derive(Clone, Debug)]
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
    /// Requests dropped this step (whole).
    pub dropped_n: f64,
}

#[derive(Clone, Debug)]
pub struct TwinState {
    pub rng: Stream,
    pub jitter: Ar1,
    pub campaign_extra: f64,
    /// Work deferred by demand response, accelerator-seconds.
    pub backlog: f64,
    /// Busy accelerator-equivalents this step, before any shedding.
    pub served: f64,
}

#[derive(Clone, Debug)]
pub struct DefenseState {
    pub rng: Stream,
    pub jitter: Ar1,
    pub surge_extra: f64,
    /// Busy accelerator-equivalents this step.
    pub served: f64,
}

impl DefenseState {
    /// The mission's demand this step, busy accelerator-equivalents (the jitter advanced when
    /// `jitter_now`).
    #[inline(always)]
    pub fn demand(&mut self, d: &Defense, jitter_now: bool) -> f64 {
        let jit = if jitter_now {
            self.jitter.step(&mut self.rng)
        } else {
            self.jitter.value
        };
        self.level(d, jit)
    }

    /// The mission's demand at each step of a quiet block (one per step into `out`): the
    /// numbers [`DefenseState::demand`] gives step by step, from the same draws of its stream.
    /// The demand moves only when the jitter does (the surge is constant: its events end
    /// blocks), so it is worked out once per jitter update and filled over the steps to the
    /// next.
    pub fn block_demand(&mut self, d: &Defense, moves: JitterMoves, out: &mut [f64]) {
        self.block_runs(d, moves, out.len(), |a, b, x| out[a..b].fill(x));
    }

    /// [`DefenseState::block_demand`] run by run: `run(a, b, x)` for each run `[a, b)` of the
    /// block's `n` steps between the jitter's moves, its demand `x` at each of them (the same
    /// draws in the same order). A mission alone on its pool is checked and summed once a
    /// run rather than once a step.
    #[inline(always)]
    pub fn block_runs(
        &mut self,
        d: &Defense,
        moves: JitterMoves,
        n: usize,
        mut run: impl FnMut(usize, usize, f64),
    ) {
        let mut x = self.level(d, self.jitter.value);
        for (a, b, now) in moves.runs(n) {
            if now {
                let jit = self.jitter.step(&mut self.rng);
                x = self.level(d, jit);
            }
            run(a, b, x);
        }
    }

    #[inline(always)]
    fn level(&self, d: &Defense, jit: f64) -> f64 {
        d.need * d.utilisation * (1.0 + jit).max(0.0) * (1.0 + self.surge_extra) * d.active_copies
    }
}

impl TwinState {
    /// The twin's demand this step, busy accelerator-equivalents: its shaped, jittered
    /// utilisation plus its edge events (drawn every step from the twin's stream).
    #[inline(always)]
    pub fn demand(&mut self, w: &Twin, clock: StepClock, jitter_now: bool) -> f64 {
        let jit = if jitter_now {
            self.jitter.step(&mut self.rng)
        } else {
            self.jitter.value
        };
        let mut demand = self.level(w, w.week.at(clock.step_of(&w.week)), jit);
        if w.edge_events_per_s > 0.0 {
            let dt_f = clock.dt as f64;
            let n = poisson_count(w.edge_events_per_s * dt_f, &mut self.rng);
            demand += n * w.edge_acc_s_per_event * (1.0 / dt_f);
        }
        demand
    }

    /// The twin's demand at each step of a quiet block starting at step `w0` of its week table
    /// (one per step into `out`; a block spans no clock change, so the table is read step after
    /// step): the numbers [`TwinState::demand`] gives step by step, from the same draws of its
    /// stream in the same order (the jitter's normal when it moves, then the step's edge
    /// events). The campaign is constant (its events end blocks) and so, on most blocks, is the
    /// week's factor (shifts and weekends change at whole hours, and a block ends at the hour):
    /// then the level moves only with the jitter, and a step is its edge count's draw, a
    /// multiply and an add. A refused block restores the stream and steps again on these same
    /// numbers.
    pub fn block_demand(
        &mut self,
        w: &Twin,
        dt: u64,
        w0: usize,
        moves: JitterMoves,
        out: &mut [f64],
    ) {
        let inv_dt = 1.0 / dt as f64;
        let has_edge = w.edge_events_per_s > 0.0;
        let f = &w.week.factors;
        let n = out.len();
        let f0 = f[w0];
        let flat = |s: &[f32]| s.iter().fold(true, |all, &x| all & (x == f0));
        // The week's factors over the block, which may wrap past the week's end.
        let (head, tail) = if w0 + n <= f.len() {
            (&f[w0..w0 + n], &f[..0])
        } else {
            (&f[w0..], &f[..w0 + n - f.len()])
        };
        let shape = if flat(head) && flat(tail) {
            Shape::Flat(f64::from(f0))
        } else {
            // The factor at each step, in `out` until the step's demand replaces it.
            let (h, t) = out.split_at_mut(head.len());
            for (o, &x) in h.iter_mut().zip(head).chain(t.iter_mut().zip(tail)) {
                *o = f64::from(x);
            }
            Shape::InOut
        };
        if !has_edge {
            return self.level_runs(w, shape, moves, out, None::<fn(&mut Stream) -> f64>);
        }
        let e = w.edge_acc_s_per_event;
        match PoissonAt::new(w.edge_events_per_s * dt as f64) {
            PoissonAt::Normal { lambda, sd } => {
                let edge = |rng: &mut Stream| {
                    normal_count(lambda, sd, standard_normal_held(rng)) * e * inv_dt
                };
                self.level_runs(w, shape, moves, out, Some(edge))
            }
            at => {
                let edge = |rng: &mut Stream| at.sample(rng) * e * inv_dt;
                self.level_runs(w, shape, moves, out, Some(edge))
            }
        }
    }

    /// The steps of a block: the level worked out when the jitter moves (and at every step
    /// across a change of the week's factor), each step's demand that level plus `edge`, its
    /// edge events' work from the twin's stream (held in a local copy through the loop, so its
    /// state stays in registers).
    #[inline(always)]
    fn level_runs(
        &mut self,
        w: &Twin,
        shape: Shape,
        moves: JitterMoves,
        out: &mut [f64],
        edge: Option<impl Fn(&mut Stream) -> f64>,
    ) {
        let mut rng = self.rng.clone();
        let mut jit = self.jitter.value;
        for (a, b, now) in moves.runs(out.len()) {
            if now {
                // (Through a copy: `rng`'s address never escapes the loop.)
                let mut r = rng.clone();
                jit = self.jitter.step(&mut r);
                rng = r;
            }
            let out = &mut out[a..b];
            match (shape, &edge) {
                (Shape::Flat(f), None) => out.fill(self.level(w, f, jit)),
                (Shape::Flat(f), Some(edge)) => {
                    let x = self.level(w, f, jit);
                    for o in out {
                        *o = x + edge(&mut rng);
                    }
                }
                (Shape::InOut, None) => {
                    for o in out {
                        *o = self.level(w, *o, jit);
                    }
                }
                (Shape::InOut, Some(edge)) => {
                    for o in out {
                        *o = self.level(w, *o, jit) + edge(&mut rng);
                    }
                }
            }
        }
        self.rng = rng;
    }

    /// The twin's shaped, jittered busy accelerators before its edge events.
    #[inline(always)]
    fn level(&self, w: &Twin, shape: f64, jit: f64) -> f64 {
        let u = (w.base_utilisation * shape * (1.0 + jit) + self.campaign_extra).clamp(0.0, 1.0);
        w.accelerators * u
    }
}

/// A twin's week factor over a block: one for all its steps, or each step's in the block's
/// output.
#[derive(Clone, Copy)]
enum Shape {
    Flat(f64),
    InOut,
}

/// The steps of a block at which the jitter processes move: `first`, then every `every`th.
#[derive(Clone, Copy, Debug)]
pub struct JitterMoves {
    pub first: usize,
    pub every: usize,
}

impl JitterMoves {
    /// A block of `n` steps as runs `[a, b)` between the jitter's moves, each with whether the
    /// jitter moves at its first step.
    pub fn runs(self, n: usize) -> Runs {
        Runs {
            a: 0,
            next: self.first,
            every: self.every,
            n,
        }
    }
}

/// See [`JitterMoves::runs`].
pub struct Runs {
    a: usize,
    next: usize,
    every: usize,
    n: usize,
}

impl Iterator for Runs {
    type Item = (usize, usize, bool);

    #[inline(always)]
    fn next(&mut self) -> Option<(usize, usize, bool)> {
        if self.a >= self.n {
            return None;
        }
        let now = self.a == self.next;
        if now {
            self.next += self.every;
        }
        let run = (self.a, self.next.min(self.n), now);
        self.a = run.1;
        Some(run)
    }
}

/// Where in time a step is, as the workloads see it.
#[derive(Clone, Copy, Debug)]
pub struct StepClock {
    pub t: SimTime,
    pub dt: u64,
    /// Step within the week (for weekly shapes) on the study clock: in prevailing time it jumps
    /// at the daylight-saving changes, so shapes follow the wall clock.
    pub week_step: usize,
    /// Step within the week on the study's offset at the start, without jumps (for shapes on
    /// their own fixed `utc_offset`); equal to `week_step` on a fixed-offset study clock.
    pub week_step_fixed: usize,
}

impl StepClock {
    /// The step of the week a shape table is read at.
    #[inline]
    pub fn step_of(&self, w: &WeekTable) -> usize {
        if w.own_clock {
            self.week_step_fixed
        } else {
            self.week_step
        }
    }
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

/// (`Clone`: the queued route of the two-rate engine puts back what its block served when it
/// refuses the block, [`super::block`].)
#[derive(Clone)]
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
    /// The instant of the step being served (sim s): workloads whose `online_s` is later ask
    /// for nothing and hold nothing.
    now_s: u64,
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
                    dropped_n: 0.0,
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
            now_s: 0,
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
            let twin = i as u32;
            schedule(
                pending,
                eps,
                |mag| Event::CampaignStart { twin, mag },
                |mag| Event::CampaignEnd { twin, mag },
            );
        }
        for (i, d) in m.defenses.iter().enumerate() {
            let eps = episodes(
                &d.surges,
                horizon_s,
                &mut w.defenses[i].rng,
                &mut w.magnitudes,
            );
            let d = i as u32;
            schedule(
                pending,
                eps,
                |mag| Event::SurgeStart { d, mag },
                |mag| Event::SurgeEnd { d, mag },
            );
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

    /// Whether the jitter processes advance this step (every [`jitter_every`] steps), and the
    /// phase moved on by one step.
    #[inline(always)]
    pub fn tick_jitter(&mut self) -> bool {
        let now = self.jitter_phase == 0;
        self.jitter_phase += 1;
        if self.jitter_phase == self.jitter_every {
            self.jitter_phase = 0;
        }
        now
    }

    /// [`Workloads::tick_jitter`] for the `n` steps of a block: where the jitter moves in it.
    pub fn tick_jitter_block(&mut self, n: usize) -> JitterMoves {
        let (every, phase) = (self.jitter_every, self.jitter_phase);
        self.jitter_phase = (phase + n as u64) % every;
        JitterMoves {
            first: ((every - phase) % every) as usize,
            every: every as usize,
        }
    }

    /// The random state of the twins and missions (their streams, jitter and phase) and the
    /// missions' unserved work (a block adds to it where a mission is short of room): what a
    /// block restores to step again on the same draws.
    /// (Into `s`, whose buffers are reused from block to block.)
    pub fn snapshot(&self, s: &mut WorkSnapshot) {
        s.twins.clear();
        s.twins
            .extend(self.twins.iter().map(|t| (t.rng.clone(), t.jitter)));
        s.defenses.clear();
        s.defenses
            .extend(self.defenses.iter().map(|d| (d.rng.clone(), d.jitter)));
        s.jitter_phase = self.jitter_phase;
        s.defense_unserved_acc_s = self.defense_unserved_acc_s;
    }

    /// Puts back the state [`Workloads::snapshot`] took.
    pub fn restore(&mut self, s: &WorkSnapshot) {
        for (t, (rng, j)) in self.twins.iter_mut().zip(&s.twins) {
            t.rng.clone_from(rng);
            t.jitter = *j;
        }
        for (d, (rng, j)) in self.defenses.iter_mut().zip(&s.defenses) {
            d.rng.clone_from(rng);
            d.jitter = *j;
        }
        self.jitter_phase = s.jitter_phase;
        self.defense_unserved_acc_s = s.defense_unserved_acc_s;
    }

    /// Refreshes the classes' growth at the start of each simulated hour.
    pub fn on_hour(&mut self, m: &WorkloadModels, t: SimTime) {
        for (cs, c) in self.consumers.iter_mut().zip(m.consumers) {
            cs.growth = c.growth(t);
        }
    }

    /// Counts the steps each defense mission had the working capacity one copy needs (from
    /// its start: its availability is over the steps it runs).
    pub fn count_missions_up(&mut self, m: &WorkloadModels, pool_working_acc: &[f64], t_s: u64) {
        for (d, up) in m.defenses.iter().zip(&mut self.mission_up_steps) {
            if t_s >= d.online_s && pool_working_acc[d.pool] >= d.need * (1.0 - 1e-12) {
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
        given: Option<&[(f64, f64)]>,
    ) {
        let dt_f = clock.dt as f64;
        let inv_dt = 1.0 / dt_f;
        let jitter_now = self.tick_jitter();
        let now = clock.t.0;
        self.now_s = now;
        for (ds, d) in self.defenses.iter_mut().zip(m.defenses) {
            if now < d.online_s {
                ds.served = 0.0;
                continue;
            }
            let demand = ds.demand(d, jitter_now);
            let ps = &mut pools[d.pool];
            let served = demand.min((ps.free - d.standby_capacity).max(0.0));
            ds.served = served;
            self.defense_unserved_acc_s += (demand - served) * dt_f;
            ps.free -= served;
            ps.busy[Sector::Defense as usize] += served;
        }
        for (ws, w) in self.twins.iter_mut().zip(m.twins) {
            if now < w.online_s {
                ws.served = 0.0;
                continue;
            }
            let demand = ws.demand(w, clock, jitter_now);
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
            let kept = m.kept_for_consumers(pool, pools[pool].capacity);
            let ps = &mut pools[pool];
            let room = if kept > 0.0 {
                (ps.free - kept).max(0.0)
            } else {
                ps.free
            };
            let served = busy.min(room);
            *got = served;
            ps.free -= served;
            ps.busy[Sector::Training as usize] += served;
        }
        self.serve_consumers(m, pools, clock, dr_active, given);
        // (`after_dr_busy` is the grid's to set, in a study that sheds.)
        for ps in pools.iter_mut() {
            ps.served_busy = ps.busy;
        }
    }

    /// Consumer classes sharing a pool split its free capacity in proportion to demand. Each
    /// class draws its step's arrivals, or takes them from `given` (requests, work per class:
    /// the two-rate engine's hourly draws split over the hour). (The two-rate engine's queued
    /// route serves its steps' consumers with it alone, on pools no other workload uses.)
    pub(super) fn serve_consumers(
        &mut self,
        m: &WorkloadModels,
        pools: &mut [PoolStep],
        clock: StepClock,
        dr_active: bool,
        given: Option<&[(f64, f64)]>,
    ) {
        let dt_f = clock.dt as f64;
        let inv_dt = 1.0 / dt_f;
        for (k, (cs, c)) in self.consumers.iter_mut().zip(m.consumers).enumerate() {
            if cs.held > 0.0 && !dr_active {
                // Work deferred by a demand-response event returns: the rebound.
                cs.queue += cs.held;
                cs.held = 0.0;
                cs.queue_n += cs.held_n;
                cs.held_n = 0.0;
            }
            let (n, work) = match given {
                _ if clock.t.0 < c.online_s => (0.0, 0.0),
                Some(g) => g[k],
                None => c.arrivals(
                    clock.t,
                    clock.dt,
                    clock.step_of(&c.week),
                    cs.growth,
                    &mut cs.rng,
                ),
            };
            // Whole requests: a rescaled trace's fractional arrivals carry to the next step.
            cs.n_carry += n;
            // (A relative 1e-9 absorbs the rounding of the scale factor, so ten times a trace
            // gives exactly ten times its counts.)
            let whole = floor_nonneg(cs.n_carry * (1.0 + 1e-9));
            cs.n_carry -= whole;
            cs.arrived += count_u64(whole);
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
            let served = serve_class(cs, c, ps.consumer_share);
            let dropped_n = cs.dropped_n;
            cs.dropped_total += count_u64(dropped_n);
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
            // Slowed twins catch up after the event (their backlog), in proportion to size;
            // a twin not started yet was not running.
            let size = |w: &Twin| {
                if self.now_s >= w.online_s {
                    w.accelerators
                } else {
                    0.0
                }
            };
            let total: f64 = m.twins.iter().map(size).sum();
            for (ws, w) in self.twins.iter_mut().zip(m.twins) {
                ws.backlog += cut.twin_backlog_acc_s * size(w) / total.max(f64::MIN_POSITIVE);
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
    /// In a study that never sheds (`sheds` false) all that was served is kept.
    pub fn claims(
        &mut self,
        m: &WorkloadModels,
        pools: &[PoolStep],
        dt_f: f64,
        sheds: bool,
        out: &mut [Claim],
    ) -> f64 {
        let kept = |p: usize, sec: Sector| {
            if sheds {
                shed_ratio(&pools[p], sec)
            } else {
                1.0
            }
        };
        let served_n = self.consumer_claims(m, dt_f, out);
        let mut i = m.consumers.len();
        let on = |online_s: u64| if self.now_s >= online_s { 1.0 } else { 0.0 };
        for (ws, w) in self.twins.iter().zip(m.twins) {
            out[i] = Claim {
                held: w.accelerators * on(w.online_s),
                weight: ws.served * kept(w.pool, Sector::Industrial),
            };
            i += 1;
        }
        for (ds, d) in self.defenses.iter().zip(m.defenses) {
            out[i] = Claim {
                held: (d.need * d.active_copies + d.standby_capacity) * on(d.online_s),
                weight: ds.served * kept(d.pool, Sector::Defense),
            };
            i += 1;
        }
        served_n
    }

    /// [`Workloads::claims`] of the consumer classes alone (into `out`'s first places), the
    /// step's served requests counted.
    pub fn consumer_claims(&mut self, m: &WorkloadModels, dt_f: f64, out: &mut [Claim]) -> f64 {
        let inv_dt = 1.0 / dt_f;
        let mut served_n = 0.0;
        for ((cs, c), out) in self.consumers.iter_mut().zip(m.consumers).zip(out) {
            cs.served_total += count_u64(cs.served_n);
            served_n += cs.served_n;
            let busy = cs.served * inv_dt;
            *out = Claim {
                held: busy,
                weight: busy * c.power_scale,
            };
        }
        served_n
    }

    /// One step of [`Workloads::serve_consumers`] then [`Workloads::consumer_claims`], to the
    /// bit, for the two-rate engine's queued route when its classes all run on one pool that
    /// hosts nothing else, on given arrivals (the hour's draws: whole counts, never `-0.0`),
    /// without demand response and with no work held: the same operations on the same figures
    /// in the same order for every figure they produce, with less bookkeeping (no held work to
    /// return, no per-pool passes over pools without classes, the pool's sums in registers).
    /// `ps` is the pool as `opened` at the block's start (its other figures untouched: serving
    /// consumers changes only these), served afresh; the claims are added to `sums`. Returns
    /// the step's served requests and the classes' held accelerators summed in class order.
    /// Each class's arrived, served and dropped requests are summed over the block in `counts`
    /// (as floats: [`Workloads::add_counts`] adds them to its totals at the block's end) when
    /// its step's demand is a count in `0..2^40`, which bounds all three; otherwise counted at
    /// once as `consumer_claims` counts them. The sums are the totals' own: each term is a
    /// whole number in `0..2^40` (counts stay whole: each is a whole count's floor, a rounding
    /// capped by one, or their sum or difference), so over at most 4,096 steps every partial
    /// sum is a whole number below 2^52, exact, and its `u64` is the terms' `u64`s summed.
    ///
    /// A count's whole part, `floor(n_carry * (1 + 1e-9))` after `n_carry += n`, is `n` itself
    /// when `n_carry` is 0 and `n` whole in `0..=2^26`: `n (1 + 1e-9)` is `n` plus less than
    /// 0.07, which rounds to a figure below `n + 1` (an ulp there is below 1.5e-8), and `n`
    /// less `n` leaves `n_carry` 0 again (`+0.0`; no count is `-0.0`). Any other count takes
    /// the carry's own arithmetic.
    ///
    /// `BOUNDED`: the caller has checked at the block's start that every class's count is
    /// `n` itself at every step (no carry, and no count above 2^26: each is at most the hour's
    /// drawn requests), that every step's demand is summed (the start's queue plus the hour's
    /// requests below 2^40: a demand is at most that), and that the pool's opened consumer
    /// busy is `+0.0` (then the pool's busy and the held sum are the same additions from the
    /// same start, kept once). So no check is made a step, and neither the arrived requests
    /// nor the step's served ones are summed (the step's served requests are returned as 0):
    /// the block's are whole numbers below 2^53, so the arrivals are the end's queue plus the
    /// served and dropped less the start's queue, and the served the classes' sums, exactly
    /// ([`Workloads::bounded_counts`]).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn serve_pool_step<const BOUNDED: bool>(
        &mut self,
        m: &WorkloadModels,
        given: &[(f64, f64)],
        opened: &PoolStep,
        ps: &mut PoolStep,
        dt_f: f64,
        inv_dt: f64,
        sums: &mut [Claim],
        counts: &mut [[f64; 3]],
    ) -> (f64, f64) {
        let con = Sector::Consumer as usize;
        let mut demand = opened.consumer_demand;
        for ((cs, &(n, work)), sum_n) in self.consumers.iter_mut().zip(given).zip(&mut *counts) {
            let whole = if BOUNDED || (cs.n_carry == 0.0 && (0.0..=WHOLE_AS_IS).contains(&n)) {
                n
            } else {
                cs.n_carry += n;
                let whole = floor_nonneg(cs.n_carry * (1.0 + 1e-9));
                cs.n_carry -= whole;
                whole
            };
            cs.demand_n = cs.queue_n + whole;
            if BOUNDED {
            } else if (0.0..COUNTS_SUMMED).contains(&cs.demand_n) {
                sum_n[0] += whole;
            } else {
                cs.arrived += count_u64(whole);
            }
            cs.demand = cs.queue + work;
            demand += cs.demand;
        }
        let share = if demand > 0.0 {
            (opened.free * dt_f / demand).min(1.0)
        } else {
            0.0
        };
        let (mut served_p, mut power_p, mut busy_p) = (
            opened.consumer_served,
            opened.consumer_power,
            opened.busy[con],
        );
        let (mut dropped_all, mut served_all, mut held_all) = (0.0, 0.0, 0.0);
        let classes = self.consumers.iter_mut().zip(m.consumers);
        for (((cs, c), sum), sum_n) in classes.zip(sums).zip(counts) {
            let served = serve_class(cs, c, share);
            let (n, served_n, dropped_n) = (cs.demand_n, cs.served_n, cs.dropped_n);
            if BOUNDED || (0.0..COUNTS_SUMMED).contains(&n) {
                sum_n[1] += served_n;
                sum_n[2] += dropped_n;
            } else {
                cs.served_total += count_u64(served_n);
                cs.dropped_total += count_u64(dropped_n);
            }
            served_p += served;
            power_p += served * c.power_scale;
            if !BOUNDED {
                busy_p += served * inv_dt;
                // The claims, as `consumer_claims` writes them and the route sums them.
                served_all += served_n;
            }
            dropped_all += dropped_n;
            let busy = served * inv_dt;
            sum.held += busy;
            sum.weight += busy * c.power_scale;
            held_all += busy;
        }
        self.dropped_n = dropped_all;
        ps.consumer_demand = demand;
        ps.consumer_share = share;
        ps.consumer_served = served_p;
        ps.consumer_power = power_p;
        ps.busy[con] = if BOUNDED { held_all } else { busy_p };
        ps.consumer_weight = if served_p > 0.0 {
            power_p / served_p
        } else {
            opened.consumer_weight
        };
        (served_all, held_all)
    }

    /// Whether a block of [`Workloads::serve_pool_step`] can take it `BOUNDED` (see there):
    /// every class carries no fraction of a request, its queue and the most requests it can
    /// get in the block (`hour_n`, its hour's drawn requests) sum below 2^40 and those are at
    /// most 2^26, those sums summed over the classes are below 2^52 (so every sum of counts
    /// the block takes is exact), and the pool's opened consumer busy is `+0.0`. Then the classes' queued
    /// requests at the start are put in `counts` (the arrivals' place), for
    /// [`Workloads::bounded_counts`].
    pub(super) fn bounded_start(
        &self,
        hour_n: impl Fn(usize) -> f64,
        opened: &PoolStep,
        counts: &mut [[f64; 3]],
    ) -> bool {
        let con = Sector::Consumer as usize;
        let mut total = 0.0;
        let fits = (self.consumers.iter().enumerate()).all(|(k, cs)| {
            let (h, most) = (hour_n(k), cs.queue_n + hour_n(k));
            total += most;
            cs.n_carry == 0.0
                && (0.0..=WHOLE_AS_IS).contains(&h)
                && (0.0..COUNTS_SUMMED).contains(&most)
        });
        if !(fits && total < COUNTS_WHOLE && opened.busy[con].to_bits() == 0) {
            return false;
        }
        for (c, cs) in counts.iter_mut().zip(&self.consumers) {
            *c = [cs.queue_n, 0.0, 0.0];
        }
        true
    }

    /// A `BOUNDED` block's counts made whole ([`Workloads::bounded_start`] put the queues at
    /// its start in the arrivals' place): each class's arrivals, its queue at the end plus its
    /// served and dropped requests less its queue at the start (whole numbers below 2^53, so
    /// exact: the steps' arrivals summed). Returns the block's served requests, the classes'
    /// sums in class order (the same whole number as the steps' sums summed).
    pub(super) fn bounded_counts(&self, counts: &mut [[f64; 3]]) -> f64 {
        let mut served = 0.0;
        for (c, cs) in counts.iter_mut().zip(&self.consumers) {
            c[0] = (cs.queue_n + c[1] + c[2]) - c[0];
            served += c[1];
        }
        served
    }

    /// The classes' arrived, served and dropped requests summed over a block by
    /// [`Workloads::serve_pool_step`] into their totals (each sum a whole number below 2^52:
    /// its `u64` is its steps' counts' summed), and the sums emptied.
    pub(super) fn add_counts(&mut self, counts: &mut [[f64; 3]]) {
        for (cs, c) in self.consumers.iter_mut().zip(counts) {
            cs.arrived += count_u64(c[0]);
            cs.served_total += count_u64(c[1]);
            cs.dropped_total += count_u64(c[2]);
            *c = [0.0; 3];
        }
    }
}

/// The largest count [`Workloads::serve_pool_step`] takes as its own whole part: 2^26.
const WHOLE_AS_IS: f64 = 67_108_864.0;

/// [`Workloads::serve_pool_step`] sums a class's counts over the block while its step's demand
/// is below 2^40 requests.
const COUNTS_SUMMED: f64 = 1_099_511_627_776.0;

/// 2^52: below it every sum of whole counts is exact.
const COUNTS_WHOLE: f64 = 4_503_599_627_370_496.0;

/// See [`Workloads::snapshot`].
#[derive(Default)]
pub struct WorkSnapshot {
    twins: Vec<(Stream, Ar1)>,
    defenses: Vec<(Stream, Ar1)>,
    jitter_phase: u64,
    defense_unserved_acc_s: f64,
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
/// (the x86-64 baseline has no rounding instruction, so `floor` and `round` are calls): `x`
/// clamped at 0 and cut to a whole `u64` (saturating), back as an `f64`.
#[inline(always)]
pub fn floor_nonneg(x: f64) -> f64 {
    let y = x.max(0.0);
    // A count through `i64`: one conversion each way on x86-64, where `u64`'s take a dozen
    // instructions; the same number below 2^63, so only larger figures go the `u64` way.
    if y < I64_LIMIT {
        y as i64 as f64
    } else {
        beyond_i64(y) as f64
    }
}

/// `x as u64` for a whole count, likewise through `i64` in its range (the same number).
#[inline(always)]
pub fn count_u64(x: f64) -> u64 {
    if (0.0..I64_LIMIT).contains(&x) {
        x as i64 as u64
    } else {
        beyond_i64(x)
    }
}

/// The `u64` conversion of the figures [`floor_nonneg`] and [`count_u64`] do not take through
/// `i64`: out of line, so that the compiler does not work it out beside the common one on
/// every call (it would, to pick one of the two without a branch).
#[cold]
#[inline(never)]
fn beyond_i64(x: f64) -> u64 {
    x as u64
}

/// 2^63: the figures below it (from 0) convert to `i64` exactly as to `u64`.
const I64_LIMIT: f64 = 9_223_372_036_854_775_808.0;

/// `x.round()` (half away from zero) for a non-negative count below 2^53, likewise.
#[inline(always)]
pub fn round_nonneg(x: f64) -> f64 {
    floor_nonneg(x + 0.5)
}

/// Scheduled and random episodes as (start, (end, magnitude index)).
/// Each episode as its start and end events, in the order drawn.
fn schedule(
    pending: &mut Vec<(u64, Event)>,
    eps: Vec<(u64, (u64, u32))>,
    start: impl Fn(u32) -> Event,
    end: impl Fn(u32) -> Event,
) {
    for (s, (e, mag)) in eps {
        pending.push((s, start(mag)));
        pending.push((e, end(mag)));
    }
}

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

/// One class's step once its pool's share of the demand is known (`serve_consumers` and the
/// queued route's `serve_pool_step` alike, so both give the same bits): its work served and
/// queued, the queue capped (the excess dropped), and its requests served, dropped and still
/// queued in the proportion of their work, whole and conserved (demand = served + dropped +
/// still queued). Returns the work served.
#[inline(always)]
fn serve_class(cs: &mut ConsumerState, c: &ConsumerClass, share: f64) -> f64 {
    let served = cs.demand * share;
    let mut queue = cs.demand - served;
    let max_q = c.max_queue_work;
    let mut dropped = 0.0;
    if queue > max_q {
        dropped = queue - max_q;
        queue = max_q;
    }
    cs.queue = queue;
    cs.served = served;
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
    cs.dropped_n = dropped_n;
    served
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use crate::sim::test_support::{close, pool_a, scenario};

    /// Pool "a": 10 DGX H100 (80 accelerators, capacity 80): two consumer classes of 1
    /// accelerator-second per request (no spread; ~3,000 and ~1,000 requests a 60-s step, a
    /// queue bound of 1 s of capacity = 80 acc-s), two twins of 20 and 10 accelerators at 0.5,
    /// a training. The defense mission (8 accelerators at 0.5, no redundancy: demand 4) must sit
    /// on its own enclave; the tests move it onto pool "a" to see the priority order.
    const STUDY: &str = r#"

[[site.group]]
name = "enclave"
server = "DGX-H100"
count = 2

[[consumer]]
name = "big"
pool = "a"
requests_per_day = 4.32e6
acc_s_per_request = 1.0
work_cv = 0.0
max_queue_s = 1.0

[[consumer]]
name = "small"
pool = "a"
requests_per_day = 1.44e6
acc_s_per_request = 1.0
work_cv = 0.0
max_queue_s = 1.0

[[twin]]
name = "t1"
pool = "a"
allocation = 0.25
base_utilisation = 0.5

[[twin]]
name = "t2"
pool = "a"
allocation = 0.125
base_utilisation = 0.5

[[training]]
name = "tr"
pool = "a"
accelerators = 40
duration_days = 1
start_days = [0]

[[defense]]
name = "d"
pool = "enclave"
accelerators = 8
utilisation = 0.5

[facility]
kind = "fixed"
pue = 1.25
"#;

    const CON: usize = Sector::Consumer as usize;
    const DT: f64 = 60.0;

    fn study() -> (Scenario, Vec<Defense>, usize) {
        let sc = scenario(&pool_a(STUDY));
        let a = sc.fleet.pool_index("a").unwrap();
        assert_eq!(sc.fleet.pools[a].capacity, 80.0, "10 servers x 8 H100");
        let mut defenses = sc.defenses.clone();
        for d in &mut defenses {
            d.pool = a;
        }
        (sc, defenses, a)
    }

    fn models<'a>(sc: &'a Scenario, defenses: &'a [Defense], a: usize) -> WorkloadModels<'a> {
        WorkloadModels {
            consumers: &sc.consumers,
            twins: &sc.twins,
            defenses,
            training_pools: vec![a],
            reserves: Vec::new(),
        }
    }

    /// The workloads of trial 0, no events scheduled.
    fn workloads(sc: &Scenario, defenses: &[Defense], a: usize) -> Workloads {
        let wm = models(sc, defenses, a);
        Workloads::new(&wm, sc.seed, 0, 60, sc.horizon_s, &mut Vec::new())
    }

    fn fresh(a: usize, capacity: f64) -> Vec<PoolStep> {
        let mut pools = vec![PoolStep::default(); 2];
        pools[a] = PoolStep::fresh(capacity, 1.0 / capacity);
        pools
    }

    fn clock(step: u64) -> StepClock {
        StepClock {
            t: SimTime(step * 60),
            dt: 60,
            week_step: step as usize,
            week_step_fixed: step as usize,
        }
    }

    fn claims(w: &mut Workloads, wm: &WorkloadModels, pools: &[PoolStep]) -> f64 {
        let mut out = vec![Claim::default(); 5];
        w.claims(wm, pools, DT, true, &mut out)
    }

    /// Capacity 80: defense 4, twins 10 + 5, training asks 30 and gets it; the consumers share
    /// the remaining 31 (1,860 acc-s a step) in proportion to their demand.
    #[test]
    fn serves_in_priority_order_and_consumers_in_proportion() {
        let (sc, defs, a) = study();
        let (wm, mut w) = (models(&sc, &defs, a), workloads(&sc, &defs, a));
        let mut pools = fresh(a, 80.0);
        w.serve(&wm, &[30.0], &mut pools, clock(0), false, None);
        let ps = &pools[a];
        assert_eq!(ps.busy[Sector::Defense as usize], 4.0);
        assert_eq!(ps.busy[Sector::Industrial as usize], 15.0);
        assert_eq!((w.twins[0].served, w.twins[1].served), (10.0, 5.0));
        assert_eq!(ps.busy[Sector::Training as usize], 30.0);
        assert_eq!(w.training_served[0], 30.0);
        let (d0, d1) = (w.consumers[0].demand, w.consumers[1].demand);
        assert!(
            d0 + d1 > 1860.0,
            "demand {d0} + {d1} must exceed what is left"
        );
        close(ps.busy[CON], 31.0, 1e-12, "consumer busy = what is left");
        close(
            w.consumers[0].served + w.consumers[1].served,
            1860.0,
            1e-12,
            "served",
        );
        close(w.consumers[0].served, d0 * 1860.0 / (d0 + d1), 1e-12, "big");
        close(
            w.consumers[1].served,
            d1 * 1860.0 / (d0 + d1),
            1e-12,
            "small",
        );
        close(ps.consumer_share, 1860.0 / (d0 + d1), 1e-12, "share");
        assert_eq!(w.defense_unserved_acc_s, 0.0);
    }

    /// 20 of the 80 accelerators reserved for consumer classes: after defense 4 and twins 15,
    /// training asking 70 gets 61 - 20 = 41 and the consumers the 20 (unreserved: training
    /// takes all 61 and the consumers get nothing).
    #[test]
    fn training_is_not_served_out_of_the_consumer_reserve() {
        let (sc, defs, a) = study();
        for (reserve, training, consumers) in [
            (ConsumerReserve::Accelerators(20.0), 41.0, 20.0),
            (ConsumerReserve::Share(0.25), 41.0, 20.0),
            (ConsumerReserve::None, 61.0, 0.0),
        ] {
            let mut wm = models(&sc, &defs, a);
            wm.reserves = vec![(ConsumerReserve::None, 1.0); 2];
            wm.reserves[a] = (reserve, 1.0);
            let mut w = workloads(&sc, &defs, a);
            let mut pools = fresh(a, 80.0);
            w.serve(&wm, &[70.0], &mut pools, clock(0), false, None);
            close(w.training_served[0], training, 1e-12, "training");
            close(pools[a].busy[CON], consumers, 1e-12, "consumers");
        }
    }

    /// Capacity 12: defense 4, the first twin gets the 8 left of its 10, the second twin,
    /// training and the consumers nothing. Capacity 3: defense gets 3 of its 4; the missing
    /// 1 x 60 s is counted unserved.
    #[test]
    fn a_short_pool_serves_the_higher_priorities_first() {
        let (sc, defs, a) = study();
        let (wm, mut w) = (models(&sc, &defs, a), workloads(&sc, &defs, a));
        let mut pools = fresh(a, 12.0);
        w.serve(&wm, &[30.0], &mut pools, clock(0), false, None);
        let ps = &pools[a];
        assert_eq!(ps.busy, [0.0, 8.0, 0.0, 4.0]);
        assert_eq!((w.twins[0].served, w.twins[1].served), (8.0, 0.0));
        assert_eq!(w.training_served[0], 0.0);
        assert!(w.consumers[0].demand > 0.0);
        assert_eq!(w.consumers[0].served + w.consumers[1].served, 0.0);

        let mut pools = fresh(a, 3.0);
        w.serve(&wm, &[30.0], &mut pools, clock(1), false, None);
        assert_eq!(pools[a].busy, [0.0, 0.0, 0.0, 3.0]);
        close(
            w.defense_unserved_acc_s,
            60.0,
            1e-12,
            "unserved defense acc-s",
        );
    }

    /// Whole requests are conserved over 40 steps that queue, drop, hold (demand response) and
    /// re-queue (a cap): arrived = served + dropped + still queued or held, per class.
    #[test]
    fn request_counts_are_conserved() {
        let (sc, defs, a) = study();
        let (wm, mut w) = (models(&sc, &defs, a), workloads(&sc, &defs, a));
        for step in 0..40u64 {
            let dr = (10..15).contains(&step);
            let mut pools = fresh(a, 80.0);
            w.serve(&wm, &[30.0], &mut pools, clock(step), dr, None);
            if dr {
                pools[a].busy[CON] *= 0.5;
                pools[a].after_dr_busy = pools[a].busy;
                let cut = Curtailment {
                    dr_consumer: true,
                    ..Curtailment::default()
                };
                w.apply_curtailment(&wm, &cut, &mut pools, DT);
            }
            if step == 20 {
                pools[a].busy[CON] *= 0.6;
                let cut = Curtailment {
                    cap_consumer: true,
                    ..Curtailment::default()
                };
                w.apply_curtailment(&wm, &cut, &mut pools, DT);
            }
            claims(&mut w, &wm, &pools);
            for (i, cs) in w.consumers.iter().enumerate() {
                let pending = cs.queue_n + cs.held_n;
                assert_eq!(
                    pending.fract(),
                    0.0,
                    "class {i} step {step}: whole requests"
                );
                assert_eq!(
                    cs.arrived,
                    cs.served_total + cs.dropped_total + pending as u64,
                    "class {i} step {step}"
                );
            }
        }
        for cs in &w.consumers {
            assert!(cs.arrived > 30_000 && cs.served_total > 0 && cs.dropped_total > 0);
        }
    }

    /// A xorshift64 sequence from the seed `x`: the tests' cheap, fixed stream of cases.
    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// The queued route's step of classes on one pool ([`Workloads::serve_pool_step`]) is
    /// `serve_consumers` then `consumer_claims` to the bit (every class's state, the pool's
    /// figures, the step's drops, served requests, claims and their sums), over steps that
    /// saturate the pool and drop, with counts whole, zero, at and past 2^26 (past it, and
    /// after a fractional count, the carry's own arithmetic) and the carry back at 0, and
    /// demands of more than 2^40 requests (counted at once, not summed), in blocks of one to
    /// 4,096 steps.
    #[test]
    fn the_one_pool_step_is_the_stepped_serve_bit_for_bit() {
        let (sc, defs, a) = study();
        let wm = models(&sc, &defs, a);
        let (mut w0, mut w1) = (workloads(&sc, &defs, a), workloads(&sc, &defs, a));
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        let (mut sums0, mut sums1) = (vec![Claim::default(); 2], vec![Claim::default(); 2]);
        let mut out = vec![Claim::default(); 2];
        let mut counts = vec![[0.0; 3]; 2];
        let (mut dropped, mut carried, mut fast) = (0, 0, 0);
        for step in 0..4000u64 {
            let capacity = [80.0, 40.0, 20.0, 5.0][(step / 100 % 4) as usize];
            let row: Vec<(f64, f64)> = (0..2)
                .map(|_| {
                    let r = next();
                    let n = match r % 32 {
                        0 => 0.0,
                        1 => 3.0e9 + (r >> 40) as f64,
                        2 => WHOLE_AS_IS + (r >> 44) as f64 + 0.25,
                        3 => WHOLE_AS_IS,
                        4 => WHOLE_AS_IS + 1.0,
                        5 => 2.0e12,
                        _ => (r >> 52) as f64,
                    };
                    let share = ((r >> 20) % 1000) as f64 * 1e-3;
                    (n, if n == 0.0 { 0.0 } else { n.min(4000.0) * share })
                })
                .collect();
            fast += w1
                .consumers
                .iter()
                .zip(&row)
                .filter(|(cs, (n, _))| cs.n_carry == 0.0 && *n <= WHOLE_AS_IS)
                .count();
            let mut pools = fresh(a, capacity);
            let opened = pools[a];
            w0.serve_consumers(&wm, &mut pools, clock(step), false, Some(&row));
            let served0 = w0.consumer_claims(&wm, DT, &mut out);
            let mut held0 = 0.0;
            for (s, c) in sums0.iter_mut().zip(&out) {
                s.held += c.held;
                s.weight += c.weight;
                held0 += c.held;
            }
            let mut ps = opened;
            let (served1, held1) = w1.serve_pool_step::<false>(
                &wm,
                &row,
                &opened,
                &mut ps,
                DT,
                1.0 / DT,
                &mut sums1,
                &mut counts,
            );
            // (Blocks of up to 4,096 steps, and of one.)
            if step % 4096 == 4095 || step % 7 == 0 || step == 3999 {
                w1.add_counts(&mut counts);
            }
            let what = format!("step {step}");
            let mut shown = w1.clone();
            shown.add_counts(&mut counts.clone());
            assert_eq!(
                format!("{:?}", shown.consumers),
                format!("{:?}", w0.consumers),
                "{what}"
            );
            assert_eq!(format!("{ps:?}"), format!("{:?}", pools[a]), "{what}");
            assert_eq!(format!("{sums1:?}"), format!("{sums0:?}"), "{what}");
            let bits = |x: [f64; 3]| x.map(f64::to_bits);
            assert_eq!(
                bits([served1, held1, w1.dropped_n]),
                bits([served0, held0, w0.dropped_n]),
                "{what}"
            );
            dropped += usize::from(w0.dropped_n > 0.0);
            carried += w0.consumers.iter().filter(|c| c.n_carry != 0.0).count();
        }
        assert!(
            dropped > 100 && carried > 1000 && fast > 1000,
            "{dropped} {carried} {fast}"
        );
    }

    /// A block of the one-pool step `BOUNDED` (no per-step checks, the arrivals and served
    /// requests made from the block's sums) is the checked step to the bit: every step's pool,
    /// claims' sums, held accelerators and drops, and at the block's end every class's state
    /// and counts and the block's served requests; over blocks of 1 to 120 steps on pools that
    /// saturate and drop, from queues left by the blocks before. A block it may not take
    /// (a count past 2^26, a carried fraction, a busy opened pool) is refused.
    #[test]
    fn the_bounded_one_pool_step_is_the_checked_one_bit_for_bit() {
        let (sc, defs, a) = study();
        let wm = models(&sc, &defs, a);
        let (mut w0, mut w1) = (workloads(&sc, &defs, a), workloads(&sc, &defs, a));
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        let (mut sums0, mut sums1) = (vec![Claim::default(); 2], vec![Claim::default(); 2]);
        let (mut c0, mut c1) = (vec![[0.0; 3]; 2], vec![[0.0; 3]; 2]);
        let (mut dropped, mut steps) = (0, 0);
        for block in 0..300 {
            let len = 1 + (next() % 120) as usize;
            let capacity = [80.0, 40.0, 20.0, 5.0][block % 4];
            // Up to 4,095 requests a step: at most the "hour's" 4,095 x len.
            let hour_n = [4095.0 * len as f64, 4095.0 * len as f64 + 7.0];
            let opened = fresh(a, capacity)[a];
            assert!(w1.bounded_start(|k| hour_n[k], &opened, &mut c1));
            let (mut ps0, mut ps1) = (opened, opened);
            let mut served0 = 0.0;
            for j in 0..len {
                let row: Vec<(f64, f64)> = (0..2)
                    .map(|_| {
                        let r = next();
                        let n = if r.is_multiple_of(9) {
                            0.0
                        } else {
                            (r >> 52) as f64
                        };
                        let share = ((r >> 20) % 1000) as f64 * 1e-3;
                        (n, if n == 0.0 { 0.0 } else { n.min(4000.0) * share })
                    })
                    .collect();
                let (inv, what) = (1.0 / DT, format!("block {block} step {j}"));
                let (s0, h0) = w0.serve_pool_step::<false>(
                    &wm, &row, &opened, &mut ps0, DT, inv, &mut sums0, &mut c0,
                );
                let (_, h1) = w1.serve_pool_step::<true>(
                    &wm, &row, &opened, &mut ps1, DT, inv, &mut sums1, &mut c1,
                );
                served0 += s0;
                assert_eq!(format!("{ps1:?}"), format!("{ps0:?}"), "{what}");
                assert_eq!(format!("{sums1:?}"), format!("{sums0:?}"), "{what}");
                let bits = |x: [f64; 2]| x.map(f64::to_bits);
                assert_eq!(bits([h1, w1.dropped_n]), bits([h0, w0.dropped_n]), "{what}");
                dropped += usize::from(w0.dropped_n > 0.0);
                steps += 1;
            }
            let served1 = w1.bounded_counts(&mut c1);
            assert_eq!(served1.to_bits(), served0.to_bits(), "block {block}");
            assert_eq!(format!("{c1:?}"), format!("{c0:?}"), "block {block}");
            w0.add_counts(&mut c0);
            w1.add_counts(&mut c1);
            assert_eq!(
                format!("{:?}", w1.consumers),
                format!("{:?}", w0.consumers),
                "block {block}"
            );
        }
        assert!(dropped > 100 && steps > 10_000, "{dropped} {steps}");
        let opened = fresh(a, 80.0)[a];
        assert!(!w1.bounded_start(|_| WHOLE_AS_IS + 1.0, &opened, &mut c1));
        let mut busy = opened;
        busy.busy[CON] = 1.0;
        assert!(!w1.bounded_start(|_| 1.0, &busy, &mut c1));
        w1.consumers[1].n_carry = 0.5;
        assert!(!w1.bounded_start(|_| 1.0, &opened, &mut c1));
    }

    /// Demand response sheds half the consumer service: that work is held (not queued) while
    /// the event lasts and joins the queue at the first step after it.
    #[test]
    fn demand_response_holds_consumer_work_until_the_event_ends() {
        let (sc, defs, a) = study();
        let (wm, mut w) = (models(&sc, &defs, a), workloads(&sc, &defs, a));
        let mut pools = fresh(a, 80.0);
        w.serve(&wm, &[30.0], &mut pools, clock(0), true, None);
        let before: Vec<(f64, f64, f64)> = w
            .consumers
            .iter()
            .map(|c| (c.served, c.served_n, c.queue))
            .collect();
        pools[a].busy[CON] *= 0.5;
        pools[a].after_dr_busy = pools[a].busy;
        let cut = Curtailment {
            dr_consumer: true,
            ..Curtailment::default()
        };
        w.apply_curtailment(&wm, &cut, &mut pools, DT);
        for (cs, &(served, served_n, queue)) in w.consumers.iter().zip(&before) {
            close(cs.held, served * 0.5, 1e-12, "held work");
            close(cs.served, served * 0.5, 1e-12, "served work");
            // Half the served requests, rounded (an odd count may round either way).
            assert_eq!(cs.held_n.fract(), 0.0);
            assert!((cs.held_n - served_n * 0.5).abs() <= 0.5, "held requests");
            assert_eq!(cs.queue, queue, "the queue does not take held work");
        }
        claims(&mut w, &wm, &pools);
        // Still in the event: held work stays held; the step's demand is queue + arrivals.
        let s1: Vec<(f64, f64, u64)> = w
            .consumers
            .iter()
            .map(|c| (c.queue, c.held, c.arrived))
            .collect();
        let mut pools = fresh(a, 80.0);
        w.serve(&wm, &[30.0], &mut pools, clock(1), true, None);
        for (cs, &(q, h, arr)) in w.consumers.iter().zip(&s1) {
            assert!(h > 0.0);
            assert_eq!(cs.held, h);
            close(
                cs.demand,
                q + (cs.arrived - arr) as f64,
                1e-12,
                "demand in event",
            );
        }
        claims(&mut w, &wm, &pools);
        // The event is over: the held work is released into the queue (the rebound).
        let s2: Vec<(f64, f64, u64)> = w
            .consumers
            .iter()
            .map(|c| (c.queue, c.held, c.arrived))
            .collect();
        let mut pools = fresh(a, 80.0);
        w.serve(&wm, &[30.0], &mut pools, clock(2), false, None);
        for (cs, &(q, h, arr)) in w.consumers.iter().zip(&s2) {
            assert_eq!((cs.held, cs.held_n), (0.0, 0.0));
            close(
                cs.demand,
                q + h + (cs.arrived - arr) as f64,
                1e-12,
                "demand after",
            );
        }
    }

    /// A cap sheds 40 % of the consumer service: the work goes straight back to the queues.
    #[test]
    fn a_cap_requeues_consumer_work_at_once() {
        let (sc, defs, a) = study();
        let (wm, mut w) = (models(&sc, &defs, a), workloads(&sc, &defs, a));
        let mut pools = fresh(a, 80.0);
        w.serve(&wm, &[30.0], &mut pools, clock(0), false, None);
        let before: Vec<(f64, f64, f64, f64)> = w
            .consumers
            .iter()
            .map(|c| (c.served, c.served_n, c.queue, c.queue_n))
            .collect();
        pools[a].busy[CON] *= 0.6;
        let cut = Curtailment {
            cap_consumer: true,
            ..Curtailment::default()
        };
        w.apply_curtailment(&wm, &cut, &mut pools, DT);
        for (cs, &(served, served_n, queue, queue_n)) in w.consumers.iter().zip(&before) {
            close(cs.queue, queue + 0.4 * served, 1e-12, "queue");
            close(cs.served, 0.6 * served, 1e-12, "served");
            assert_eq!(cs.queue_n, queue_n + (0.4 * served_n).round());
            assert_eq!((cs.held, cs.held_n), (0.0, 0.0));
        }
    }

    /// 600 acc-s of twin work deferred: 400 to the 20-accelerator twin, 200 to the 10-one;
    /// caught up on spare capacity at the first step outside the event, not during it.
    #[test]
    fn twin_backlog_splits_by_accelerators_and_is_caught_up_after_the_event() {
        let (sc, defs, a) = study();
        let (wm, mut w) = (models(&sc, &defs, a), workloads(&sc, &defs, a));
        let mut pools = fresh(a, 80.0);
        w.serve(&wm, &[0.0], &mut pools, clock(0), true, None);
        let cut = Curtailment {
            twin_backlog_acc_s: 600.0,
            ..Curtailment::default()
        };
        w.apply_curtailment(&wm, &cut, &mut pools, DT);
        close(w.twins[0].backlog, 400.0, 1e-12, "twin 1 backlog");
        close(w.twins[1].backlog, 200.0, 1e-12, "twin 2 backlog");
        let mut pools = fresh(a, 80.0);
        w.serve(&wm, &[0.0], &mut pools, clock(1), true, None);
        assert_eq!((w.twins[0].served, w.twins[1].served), (10.0, 5.0));
        let mut pools = fresh(a, 80.0);
        w.serve(&wm, &[0.0], &mut pools, clock(2), false, None);
        close(
            w.twins[0].served,
            10.0 + 400.0 / 60.0,
            1e-12,
            "twin 1 catch-up",
        );
        close(
            w.twins[1].served,
            5.0 + 200.0 / 60.0,
            1e-12,
            "twin 2 catch-up",
        );
        assert!(w.twins[0].backlog.abs() < 1e-9 && w.twins[1].backlog.abs() < 1e-9);
        close(
            pools[a].busy[Sector::Industrial as usize],
            15.0 + 10.0,
            1e-12,
            "industrial busy",
        );
    }

    /// The counts' conversions through `i64` are the plain `u64` ones, to the bit, on random
    /// figures over the whole range and at its edges (negative, zero of either sign, halves,
    /// 2^53 and 2^63 and their neighbours, beyond, infinite, NaN).
    #[test]
    fn counts_convert_as_the_plain_casts_do() {
        let old_floor = |x: f64| x.max(0.0) as u64 as f64;
        let mut rng = stream(1, 2, 3);
        let mut xs = vec![
            -1.0,
            -0.0,
            0.0,
            0.5,
            0.49999999999999994,
            1.5,
            2.5,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MAX,
        ];
        for e in [52, 53, 54, 62, 63, 64, 65] {
            let x = 2f64.powi(e);
            xs.extend([x, x.next_down(), x.next_up(), x - 0.5, x + 0.5]);
        }
        for _ in 0..100_000 {
            let (u, v) = (uniform(&mut rng), uniform(&mut rng));
            xs.push((u - 0.1) * 2f64.powf(70.0 * v));
        }
        for &x in &xs {
            assert_eq!(
                floor_nonneg(x).to_bits(),
                old_floor(x).to_bits(),
                "floor {x}"
            );
            assert_eq!(
                round_nonneg(x).to_bits(),
                old_floor(x + 0.5).to_bits(),
                "round {x}"
            );
            assert_eq!(count_u64(x), x as u64, "count {x}");
        }
    }

    /// A quiet block's demands are the steps' own: twins with many edge events (the normal
    /// count) and a few (the exact Poisson), shifts, jitter that moves every fifth step and a
    /// jittered mission give, bit for bit and from the same streams, what `demand` gives step by
    /// step, on blocks at one week factor (the level worked out when the jitter moves), across
    /// the week's wrap and across a shift change (at every step), at several jitter phases, in
    /// a campaign that clamps the level and after it.
    #[test]
    fn a_blocks_demands_are_the_steps_own_draws() {
        let sc = scenario(&pool_a(
            r#"
[[site.group]]
name = "enclave"
server = "DGX-H100"
count = 2

[[twin]]
name = "many"
pool = "a"
allocation = 0.5
base_utilisation = 0.8
shift_hours = [6.0, 22.0]
off_shift_factor = 0.85
jitter_sd = 0.04
jitter_tau_h = 4.0
edge = { sensors = 2.0e6, events_per_sensor_day = 50, acc_s_per_event = 0.05 }

[[twin]]
name = "few"
pool = "a"
allocation = 0.25
base_utilisation = 0.5
jitter_sd = 0.1
edge = { sensors = 100, events_per_sensor_day = 50, acc_s_per_event = 0.5 }

[[defense]]
name = "d"
pool = "enclave"
accelerators = 8
utilisation = 0.5
jitter_sd = 0.05

[facility]
kind = "fixed"
pue = 1.25
"#,
        ));
        let wm = WorkloadModels::of(&sc);
        let new = || Workloads::new(&wm, sc.seed, 0, 60, sc.horizon_s, &mut Vec::new());
        let (mut stepped, mut block) = (new(), new());
        let spw = sc.twins[0].week.factors.len();
        // Blocks in a row on the same streams: across the week's wrap (one factor), across the
        // 06:00 shift change (two), an hour at a jitter phase of 2, and a campaign that clamps
        // the first twin's utilisation at 1 at times, then its end.
        for (w0, n, skip, campaign) in [
            (spw - 3, 40, 0, 0.0),
            (350, 25, 0, 0.0),
            (420, 60, 2, 0.0),
            (600, 60, 1, 0.22),
            (1200, 37, 3, 0.0),
        ] {
            for _ in 0..skip {
                block.tick_jitter();
                stepped.tick_jitter();
            }
            for w in [&mut block, &mut stepped] {
                w.twins[0].campaign_extra = campaign;
            }
            let moves = block.tick_jitter_block(n);
            let jitter_now: Vec<bool> = (0..n).map(|_| stepped.tick_jitter()).collect();
            let runs: Vec<bool> = moves
                .runs(n)
                .flat_map(|(a, b, now)| (a..b).map(move |j| now && j == a))
                .collect();
            assert_eq!(runs, jitter_now, "the jitter's moves, block at {w0}");
            let mut out = vec![0.0; n];
            for (k, w) in sc.twins.iter().enumerate() {
                block.twins[k].block_demand(w, 60, w0, moves, &mut out);
                for (j, &got) in out.iter().enumerate() {
                    let ws = (w0 + j) % spw;
                    let clock = StepClock {
                        t: SimTime(j as u64 * 60),
                        dt: 60,
                        week_step: ws,
                        week_step_fixed: ws,
                    };
                    let want = stepped.twins[k].demand(w, clock, jitter_now[j]);
                    assert_eq!(got.to_bits(), want.to_bits(), "twin {k}, {w0} + {j}");
                }
            }
            for (k, d) in sc.defenses.iter().enumerate() {
                block.defenses[k].block_demand(d, moves, &mut out);
                for (j, &got) in out.iter().enumerate() {
                    let want = stepped.defenses[k].demand(d, jitter_now[j]);
                    assert_eq!(got.to_bits(), want.to_bits(), "mission {k}, {w0} + {j}");
                }
            }
        }
        let f = &sc.twins[0].week.factors;
        assert!(f[350] != f[374], "a block crosses the shift change");
        assert!(f[spw - 3] == f[36], "one factor across the wrap");
        for k in 0..2 {
            let next = |w: &mut Workloads| uniform(&mut w.twins[k].rng);
            assert_eq!(next(&mut block), next(&mut stepped), "twin {k}'s stream");
        }
    }
}
