//! The two-rate engine's queued route: a block the fast path refuses only because consumer
//! work is queued (or because a step binds: a queue is forming) while the rest of the campus
//! is at rest. Its workloads are served as [`Trial::body`] serves them, to the bit (the same
//! `serve` on the same hour draws, so the same queues, drops, counts and IT at every step; or
//! the mixed way below, the same numbers), and its books are kept per block as the fast path
//! keeps them.
//!
//! What must hold for each book to be right:
//! - **IT**: each step's is the fleet's sum over its groups (as the fast path's series sums
//!   them); the stepped path writes the meter's split of it, the same figure to rounding.
//! - **Facility**: [`super::super::facility::FacilityLayer::quiet_block`] without its figures
//!   (the fast path's tests on the block's IT series) from a facility at rest; a facility that
//!   would move refuses the block. A physics facility is then evaluated exactly, step by step
//!   ([`exact_facility`]); a fixed PUE's figures are the quiet block's.
//! - **Meter**: the split is made once, at the block's mean claims and mean pool power. It is
//!   the mean of the steps' splits when each is linear in the claims: a pool's dynamic power
//!   per unit of weight is then the same at every step (a linear server curve below capacity:
//!   dynamic power is the curve's slope times the busy weight, and the busy weight is the sum
//!   of the claims' weights) and its idle per held unit too (held no more than capacity, so the
//!   idle is shared per unit of capacity). So every step's pool must run at or below capacity
//!   and be claimed at or below it ([`ROUNDING`] of slack: a saturated pool is full to
//!   rounding); a step above either refuses the block. Training that got less than it asked
//!   for (its job's shed work is written as it is claimed) refuses the block too.
//! - **Hourly meter**: the block's requests and drops are its steps' sums (whole numbers, so
//!   exact); each step's drops go to the drop log and the pools' tallies at their own step.
//!
//! A refused block is put back (the workloads' state, the clocks, and with a carried
//! checkpoint the queue and the jobs) and stepped through [`Trial::body`] on the same draws.
//!
//! **The mixed way.** Stepping every workload cost ~4,000 instructions a step (the twins' and
//! missions' draws, training's claims, the fleet's power over every pool, the pools opened
//! afresh), most of it for workloads that are not queued. So where the study allows it
//! ([`Queued::new`]) a block is served the mixed way ([`serve_mixed`]): the missions, twins
//! and training as a quiet block serves them, at once over the block
//! ([`super::others_steps`]: each one's demand drawn for all its steps in the order the steps
//! would draw it, checkpoints applied at their steps, each pool's use summed in priority
//! order), then only the consumer classes step by step through
//! [`Workloads::serve_consumers`] (the stepped step's own code, on the same `given` draws) on
//! their pools as opened, then each step's busy weight and group power as
//! [`crate::sim::fleet::FleetLayer::power`] makes them ([`crate::sim::fleet::pool_busy`],
//! [`crate::sim::fleet::group_w`]), and the claims summed over the steps in the order the
//! stepped route sums them (`add_times` for a constant claim). Every figure is then the
//! stepped route's to the bit (`tests::the_mixed_way_serves_and_books_what_the_steps_do`), so
//! the books above are kept as they are. That holds when a step's figures are the same
//! numbers both ways: a pool with classes hosts nothing else (a class finds the pool's
//! capacity free; beside a mission, twin or training it finds what successive subtraction
//! leaves, `(c - a) - b`, which is not `c - (a + b)` to the bit), any other pool at most two
//! missions, twins or trainings (a third's room and the pool's busy weight are sums in another
//! order), and at most one mission (their unserved work is one sum, in step order stepped and
//! mission by mission at once). A block in which a mission, twin or job would not get its
//! demand where the block's room is not the stepped one is put back and served step by step.

use super::{Blocks, add_times, facility_gate, others_steps, record_block};
use crate::base::time::SimTime;
use crate::scenario::Scenario;
use crate::sim::Trial;
use crate::sim::bus::PoolStep;
use crate::sim::events::EventQueue;
use crate::sim::fleet::{group_w, pool_busy};
use crate::sim::meter::{Claim, Split};
use crate::sim::training::TrainingSnapshot;
use crate::sim::workload::{StepClock, WorkloadModels, Workloads, floor_nonneg};

/// Slack on the linearity checks, relative to the pool's capacity.
const ROUNDING: f64 = 1e-12;

/// 2^52: from 0 up to it a count is whole when it is its own floor.
const COUNTS_WHOLE: f64 = 4_503_599_627_370_496.0;

/// The route's state: what a refused block puts back, and the block's sums.
#[derive(Default)]
pub(super) struct Queued {
    work: Option<Workloads>,
    events: EventQueue,
    training: TrainingSnapshot,
    week: (usize, usize),
    /// Per holder, the claims summed over the block's steps; per pool, its power.
    claims: Vec<Claim>,
    power: Vec<f64>,
    /// Per pool, a step's claimed accelerators (scratch); per training, its served share.
    held: Vec<f64>,
    kept: Vec<f64>,
    /// The steps' drops: per class (step, pool, requests), per step (step, requests).
    pool_drops: Vec<(u64, usize, f64)>,
    drops: Vec<(u64, f64)>,
    /// The study's blocks can be served the mixed way ([`serve_mixed`]'s conditions), and
    /// its pools with consumer classes.
    mixed: bool,
    consumer_pools: Vec<usize>,
    /// The mixed way's figures: the pools opened at the block's start; per pool and step
    /// (pool-major) the utilisation and power; per pool the idle power; per holder other than a
    /// class its claimed accelerators.
    opened: Vec<PoolStep>,
    util: Vec<f64>,
    /// Per class, its requests arrived, served and dropped summed over the block's steps
    /// ([`Workloads::serve_pool_step`]).
    counts: Vec<[f64; 3]>,
    pool_w: Vec<f64>,
    idle: Vec<f64>,
    hold: Vec<f64>,
}

impl Queued {
    /// The route's state for a study: whether its blocks are served the mixed way, which holds
    /// when each step's figures are the stepped step's to the bit. A pool with consumer classes
    /// hosts nothing else (its free capacity is then its capacity, as the classes find it on a
    /// stepped step; beside a mission, twin or training it is what successive subtraction
    /// leaves, which the block's `c - (a + b)` is not to the bit); any other pool hosts at most
    /// two missions, twins or trainings (a third's room is `(c - a) - b` stepped, `c - (a + b)`
    /// in the block, and its busy weight a sum in another order); and at most one mission (the
    /// missions' unserved work is one sum over all of them, in step order stepped and mission
    /// by mission in the block).
    pub(super) fn new(sc: &Scenario, allowed: bool) -> Queued {
        let np = sc.fleet.pools.len();
        let mut others = vec![0usize; np];
        let pools = (sc.defenses.iter().map(|d| d.pool))
            .chain(sc.twins.iter().map(|w| w.pool))
            .chain(sc.trainings.iter().map(|t| t.pool));
        for p in pools {
            others[p] += 1;
        }
        let mut consumer_pools: Vec<usize> = sc.consumers.iter().map(|c| c.pool).collect();
        consumer_pools.sort_unstable();
        consumer_pools.dedup();
        let mixed = allowed
            && sc.defenses.len() <= 1
            && (0..np).all(|p| others[p] <= if consumer_pools.contains(&p) { 0 } else { 2 });
        Queued {
            mixed,
            consumer_pools,
            ..Queued::default()
        }
    }
}

/// Whether a study can take the route at all: one that sheds (demand response, an import
/// limit) defers work step by step against the grid, which the route does not model.
pub(super) fn allowed(tr: &Trial) -> bool {
    !(tr.uses.sheds || tr.uses.backup)
}

/// Whether a block starting now can take the route: everything but the consumers' queues at
/// rest (no work held or owed, no ramp, no event active, the facility at rest).
pub(super) fn ready(tr: &Trial) -> bool {
    let w = &tr.work;
    w.consumers.iter().all(|c| c.held == 0.0 && c.held_n == 0.0)
        && w.twins.iter().all(|t| t.backlog == 0.0)
        && !tr.fleet.ramping()
        && tr.fac.at_rest()
        && !tr.grid.dr_active()
}

/// How serving a block went: its served requests, refused (a step's split would not be
/// linear: stepped instead), or not served the mixed way (a workload other than the classes
/// would not get its demand at some step, which the block does not model: served step by step).
enum Served {
    Yes(f64),
    Refused,
    Stepwise,
}

/// Serves steps `s0..end` and books them as one block: whether it was served the mixed way, or
/// None (with everything it changed put back) if the block is refused.
pub(super) fn block(
    tr: &mut Trial,
    b: &mut Blocks,
    q: &mut Queued,
    s0: u64,
    end: u64,
    trace: Option<&mut Vec<f64>>,
) -> Option<bool> {
    let sc = tr.sc;
    let n = (end - s0) as usize;
    let dt_f = sc.step_s as f64;
    // A checkpoint due inside the block changes the queue and the jobs.
    let carry = tr.events.next_time().div_ceil(sc.step_s) < end;
    save(tr, q, carry);
    let mut served = Served::Stepwise;
    if q.mixed {
        served = serve_mixed(tr, b, q, s0, n, carry);
        if let Served::Stepwise = served {
            restore(tr, q, carry);
            save(tr, q, carry);
        }
    }
    let mixed = !matches!(served, Served::Stepwise);
    if !mixed {
        served = match serve_steps(tr, b, q, s0, n) {
            Some(x) => Served::Yes(x),
            None => Served::Refused,
        };
    }
    let Served::Yes(served_n) = served else {
        restore(tr, q, carry);
        return None;
    };
    // (A physics facility is evaluated exactly below: only the block's answer is asked for.)
    if !facility_gate(tr, b, s0, n) {
        restore(tr, q, carry);
        return None;
    }
    if tr.fac.is_physics() {
        let hour = (s0 / tr.steps_per_hour) as usize;
        exact_facility(tr, b, n, hour, dt_f);
    }
    let split = split(tr, b, q, n, dt_f);
    for &(s, p, k) in &q.pool_drops {
        tr.hourly.record_pool_drop_at(p, s, k);
    }
    for &(s, k) in &q.drops {
        tr.hourly.record_drop_at(s, k);
    }
    record_block(tr, b, &split, n, served_n, trace);
    Some(mixed)
}

/// The block's steps served as [`Trial::body`] serves them (events due applied first, as
/// `begin` applies them), each step's IT into `b.it` and its groups' into `b.group_it`, the
/// claims and pools' power summed; the block's served requests, or None if a step's split
/// would not be linear.
fn serve_steps(tr: &mut Trial, b: &mut Blocks, q: &mut Queued, s0: u64, n: usize) -> Option<f64> {
    let sc = tr.sc;
    let (dt, dt_f) = (sc.step_s, sc.step_s as f64);
    let n_fixed = tr.meter.slot_base();
    let physics = tr.fac.is_physics();
    start_sums(tr, b, q);
    q.kept.resize(sc.trainings.len(), 0.0);
    let mut served_n = 0.0;
    for j in 0..n {
        let s = s0 + j as u64;
        if j > 0 {
            tr.begin(s);
        }
        let given = b.draws.given(tr, s);
        tr.fleet
            .open_pools(&sc.fleet, tr.fac.thermal(), &mut tr.pools);
        let clock = StepClock {
            t: SimTime(s * dt),
            dt,
            week_step: tr.week_step,
            week_step_fixed: tr.week_step_fixed,
        };
        let busy = &tr.training.busy;
        (tr.work).serve(&tr.wm, busy, &mut tr.pools, clock, false, Some(given));
        let it_w = tr.fleet.power(&sc.fleet, &mut tr.pools, tr.fac.thermal());
        for ((kept, &busy), &served) in q.kept.iter_mut().zip(busy).zip(&tr.work.training_served) {
            if served < busy {
                return None;
            }
            *kept = if busy > 0.0 { served / busy } else { 0.0 };
        }
        let m = &mut tr.meter;
        served_n += (tr.work).claims(&tr.wm, &tr.pools, dt_f, false, &mut m.claims[..n_fixed]);
        (tr.training).claims(&sc.trainings, &q.kept, dt_f, &mut m.claims[n_fixed..]);
        q.held.clear();
        q.held.resize(tr.pools.len(), 0.0);
        for ((s, c), &(p, _)) in q.claims.iter_mut().zip(&m.claims).zip(&m.holders) {
            s.held += c.held;
            s.weight += c.weight;
            q.held[p] += c.held;
        }
        let slack = 1.0 + ROUNDING;
        for ((x, ps), &h) in q.power.iter_mut().zip(&tr.pools).zip(&q.held) {
            if ps.util > slack || h > ps.capacity * slack {
                return None;
            }
            *x += ps.power_w;
        }
        b.it.push(it_w);
        if physics {
            for (gi, &x) in tr.fleet.group_it.iter().enumerate() {
                b.group_it[gi * n + j] = x;
            }
        }
        log_drops(tr, q, s);
        tr.tick_week();
    }
    // The pools' idle power and capacity are the same at every step of the block (no server
    // fails, no cap moves: the facility is at rest).
    for (pp, ps) in b.pool_power.iter_mut().zip(&tr.pools) {
        pp.idle_w = ps.idle_w;
        pp.capacity = ps.capacity;
    }
    Some(served_n)
}

/// The block's sums and logs emptied, its IT series too.
fn start_sums(tr: &Trial, b: &mut Blocks, q: &mut Queued) {
    q.claims.clear();
    q.claims.resize(tr.meter.claims.len(), Claim::default());
    q.power.clear();
    q.power.resize(tr.pools.len(), 0.0);
    q.pool_drops.clear();
    q.drops.clear();
    b.it.clear();
}

/// A step's drops (if any) into the block's logs, per class's pool and in all.
#[inline(always)]
fn log_drops(tr: &Trial, q: &mut Queued, s: u64) {
    if tr.work.dropped_n > 0.0 {
        for (cs, c) in tr.work.consumers.iter().zip(tr.wm.consumers) {
            if cs.dropped_n > 0.0 {
                q.pool_drops.push((s, c.pool, cs.dropped_n));
            }
        }
        q.drops.push((s, tr.work.dropped_n));
    }
}

/// The block served the mixed way (in a study [`Queued::new`] found fit for it): the workloads
/// other than the classes as the fast path serves them, for the whole block at once
/// ([`others_steps`]: the same draws, uses and sums as stepping's), then the classes step by
/// step through [`Workloads::serve_consumers`] on their pools as opened (nothing else uses
/// them), then each step's busy weight and group power as [`crate::sim::fleet::FleetLayer::power`]
/// makes them, and the claims summed over the steps in the order the stepped route sums them.
/// So every figure is [`serve_steps`]' to the bit; where a step's figures would not be (a
/// mission, twin or training short of room where the block's room is not the stepped one),
/// `Stepwise`.
fn serve_mixed(
    tr: &mut Trial,
    b: &mut Blocks,
    q: &mut Queued,
    s0: u64,
    n: usize,
    carry: bool,
) -> Served {
    let sc = tr.sc;
    let np = tr.pools.len();
    tr.fleet
        .open_pools(&sc.fleet, tr.fac.thermal(), &mut tr.pools);
    q.opened.clone_from(&tr.pools);
    if !others_steps(tr, b, s0, n, carry) {
        return Served::Stepwise;
    }
    start_sums(tr, b, q);
    q.held.clear();
    q.held.resize(np, 0.0);
    q.util.clear();
    q.util.resize(np * n, 0.0);
    let served = if one_pool(tr, b, q, s0, n) {
        classes_on_one_pool(tr, b, q, s0, n)
    } else {
        classes_stepped(tr, b, q, s0, n)
    };
    let Some(served_n) = served else {
        return Served::Refused;
    };
    if !others_books(tr, b, q, s0, n, carry) {
        return Served::Refused;
    }
    mixed_power(tr, b, q, n);
    Served::Yes(served_n)
}

/// The mixed way's classes step by step through [`Workloads::serve_consumers`] on their pools
/// as opened, their claims summed, each step's utilisation of their pools into `q.util`; the
/// block's served requests, or None if a step's split would not be linear.
fn classes_stepped(
    tr: &mut Trial,
    b: &mut Blocks,
    q: &mut Queued,
    s0: u64,
    n: usize,
) -> Option<f64> {
    let sc = tr.sc;
    let (dt, dt_f) = (sc.step_s, sc.step_s as f64);
    let nc = sc.consumers.len();
    let slack = 1.0 + ROUNDING;
    let mut served_n = 0.0;
    for j in 0..n {
        let s = s0 + j as u64;
        let given = b.draws.given(tr, s);
        for &p in &q.consumer_pools {
            tr.pools[p] = q.opened[p];
            q.held[p] = 0.0;
        }
        let clock = StepClock {
            t: SimTime(s * dt),
            dt,
            week_step: tr.week_step,
            week_step_fixed: tr.week_step_fixed,
        };
        (tr.work).serve_consumers(&tr.wm, &mut tr.pools, clock, false, Some(given));
        let m = &mut tr.meter;
        served_n += (tr.work).consumer_claims(&tr.wm, dt_f, &mut m.claims[..nc]);
        for ((s, c), &(p, _)) in q.claims.iter_mut().zip(&m.claims[..nc]).zip(&m.holders) {
            s.held += c.held;
            s.weight += c.weight;
            q.held[p] += c.held;
        }
        for &p in &q.consumer_pools {
            let ps = &tr.pools[p];
            let util = pool_busy(ps) * ps.inv_capacity;
            if util > slack || q.held[p] > ps.capacity * slack {
                return None;
            }
            q.util[p * n + j] = util;
        }
        log_drops(tr, q, s);
        tr.tick_week();
    }
    Some(served_n)
}

/// Whether the block's classes can be served by [`classes_on_one_pool`]: they all run on one
/// pool (which hosts nothing else on the mixed way), their arrivals all come from the hour's
/// draws (none from a trace), the block is no longer than [`Workloads::serve_pool_step`] sums
/// counts over, and each class is started, holds no work, carries no fraction of a request and
/// has a whole number of requests queued (as counts always are; checked, as the step's sums
/// rely on it).
fn one_pool(tr: &Trial, b: &Blocks, q: &Queued, s0: u64, n: usize) -> bool {
    let now = s0 * tr.sc.step_s;
    #[cfg(test)]
    if !tests::ONE_POOL.get() {
        return false;
    }
    let whole = |x: f64| (0.0..COUNTS_WHOLE).contains(&x) && floor_nonneg(x) == x;
    q.consumer_pools.len() == 1
        && n <= 4096
        && b.draws.all_shaped()
        && (tr.work.consumers.iter().zip(tr.wm.consumers)).all(|(cs, c)| {
            c.online_s <= now
                && cs.held == 0.0
                && cs.held_n == 0.0
                && cs.n_carry == 0.0
                && whole(cs.queue_n)
        })
}

/// [`classes_stepped`] for classes on one pool ([`one_pool`]), to the bit: each step through
/// [`Workloads::serve_pool_step`] (the same arithmetic as `serve_consumers` and
/// `consumer_claims`, less bookkeeping) on the hour's arrivals for the block's steps, worked
/// out at once ([`crate::sim::draws::HourDraws::rows`], the figures `given` hands each step).
/// Every class is started at the block's start, so at each of its steps. Where the block's
/// counts are bounded ([`Workloads::bounded_start`]: the common case, checked once a block)
/// the steps are served `BOUNDED`, without a step's checks and count sums, the block's counts
/// made from its sums at the end ([`Workloads::bounded_counts`]): the same figures.
fn classes_on_one_pool(
    tr: &mut Trial,
    b: &mut Blocks,
    q: &mut Queued,
    s0: u64,
    n: usize,
) -> Option<f64> {
    let sc = tr.sc;
    let nc = sc.consumers.len();
    let p = q.consumer_pools[0];
    let opened = q.opened[p];
    let i0 = (s0 % tr.steps_per_hour) as usize;
    let (work, wm) = (&mut tr.work, &tr.wm);
    q.counts.clear();
    q.counts.resize(nc, [0.0; 3]);
    let draws = &b.draws;
    let bounded = work.bounded_start(|k| draws.hour_count(k), &opened, &mut q.counts);
    let rows = b.draws.rows(sc, i0, i0 + n);
    let mut ps = opened;
    let steps = OnePool {
        rows,
        opened: &opened,
        dt_f: sc.step_s as f64,
        s0,
        nc,
    };
    let mut served_n = if bounded {
        steps.serve::<true>(work, wm, &mut ps, q, p * n..(p + 1) * n)?
    } else {
        steps.serve::<false>(work, wm, &mut ps, q, p * n..(p + 1) * n)?
    };
    if bounded {
        served_n = work.bounded_counts(&mut q.counts);
    }
    work.add_counts(&mut q.counts);
    tr.pools[p] = ps;
    tr.tick_week_by(n);
    #[cfg(test)]
    tests::ONE_POOL_BLOCKS.set(tests::ONE_POOL_BLOCKS.get() + 1);
    Some(served_n)
}

/// A block's steps of classes on one pool, for [`classes_on_one_pool`]: their arrivals
/// (step-major), the pool as opened, the step's length, the block's first step, the classes.
struct OnePool<'a> {
    rows: &'a [(f64, f64)],
    opened: &'a PoolStep,
    dt_f: f64,
    s0: u64,
    nc: usize,
}

impl OnePool<'_> {
    /// Each step through [`Workloads::serve_pool_step`] (`BOUNDED` as the block allows), its
    /// pool's utilisation into `q.util[util]` and checked, its drops logged: the steps' served
    /// requests summed (0 `BOUNDED`), or None if a step's split would not be linear.
    #[inline(always)]
    fn serve<const BOUNDED: bool>(
        &self,
        work: &mut Workloads,
        wm: &WorkloadModels,
        ps: &mut PoolStep,
        q: &mut Queued,
        util: std::ops::Range<usize>,
    ) -> Option<f64> {
        let (nc, dt_f) = (self.nc, self.dt_f);
        let inv_dt = 1.0 / dt_f;
        let slack = 1.0 + ROUNDING;
        let mut served_n = 0.0;
        let sums = &mut q.claims[..nc];
        let counts = &mut q.counts[..];
        let util = &mut q.util[util];
        let rows = self.rows.chunks_exact(nc).zip(util).enumerate();
        for (j, (row, u)) in rows {
            let (step_n, held) = work.serve_pool_step::<BOUNDED>(
                wm,
                row,
                self.opened,
                ps,
                dt_f,
                inv_dt,
                sums,
                counts,
            );
            if !BOUNDED {
                served_n += step_n;
            }
            let x = pool_busy(ps) * ps.inv_capacity;
            if x > slack || held > ps.capacity * slack {
                return None;
            }
            *u = x;
            if work.dropped_n > 0.0 {
                let s = self.s0 + j as u64;
                for (cs, c) in work.consumers.iter().zip(wm.consumers) {
                    if cs.dropped_n > 0.0 {
                        q.pool_drops.push((s, c.pool, cs.dropped_n));
                    }
                }
                q.drops.push((s, work.dropped_n));
            }
        }
        Some(served_n)
    }
}

/// The mixed way's pools other than the classes': each step's utilisation from the block's
/// use (a pool's one or two workloads' sum, as the sectors' sum stepped: the same number),
/// checked as [`serve_steps`] checks it, and the claims of twins, missions and jobs summed
/// over the steps as it sums them (a checkpoint changes no job's held accelerators); false if
/// a check fails.
fn others_books(tr: &Trial, b: &Blocks, q: &mut Queued, s0: u64, n: usize, carry: bool) -> bool {
    let sc = tr.sc;
    let nc = sc.consumers.len();
    let n_fixed = tr.meter.slot_base();
    let now = s0 * sc.step_s;
    let on = |online_s: u64| if now >= online_s { 1.0 } else { 0.0 };
    q.hold.clear();
    q.hold
        .extend(sc.twins.iter().map(|w| w.accelerators * on(w.online_s)));
    q.hold.extend(
        (sc.defenses.iter())
            .map(|d| (d.need * d.active_copies + d.standby_capacity) * on(d.online_s)),
    );
    q.hold
        .extend(tr.meter.claims[n_fixed..].iter().map(|c| c.held));
    // Twins and missions keep busy what they were served (the block's sums, in step order),
    // jobs their claims' weights (summed span by span with `carry`).
    let (nt, ntd) = (sc.twins.len(), n_fixed - nc);
    for (k, (s, &h)) in q.claims[nc..].iter_mut().zip(&q.hold).enumerate() {
        let weight = if k < nt {
            b.twin_sum[k]
        } else if k < ntd {
            b.defense_sum[k - nt]
        } else if carry {
            b.train_w[k - ntd]
        } else {
            add_times(0.0, tr.meter.claims[nc + k].weight, n)
        };
        *s = Claim {
            held: add_times(0.0, h, n),
            weight,
        };
    }
    let slack = 1.0 + ROUNDING;
    for (p, ps) in q.opened.iter().enumerate() {
        if q.consumer_pools.contains(&p) {
            continue;
        }
        let holders = tr.meter.holders[nc..].iter().zip(&q.hold);
        let h = holders.fold(0.0, |h, (&(hp, _), &x)| if hp == p { h + x } else { h });
        if h > ps.capacity * slack {
            return false;
        }
        let r = p * n..(p + 1) * n;
        for (u, &used) in q.util[r.clone()].iter_mut().zip(&b.used[r]) {
            *u = used * ps.inv_capacity;
        }
        if q.util[p * n..(p + 1) * n].iter().any(|&u| u > slack) {
            return false;
        }
    }
    true
}

/// Each step's group IT (`b.group_it`, group-major) and IT (`b.it`) from the pools'
/// utilisations as [`crate::sim::fleet::FleetLayer::power`] makes them (groups in order, each
/// pool's power its groups' sum), the pools' power summed over the steps, their idle power and
/// capacity.
fn mixed_power(tr: &Trial, b: &mut Blocks, q: &mut Queued, n: usize) {
    let sc = tr.sc;
    let np = tr.pools.len();
    q.pool_w.clear();
    q.pool_w.resize(np * n, 0.0);
    q.idle.clear();
    q.idle.resize(np, 0.0);
    b.it.clear();
    b.it.resize(n, 0.0);
    let th = tr.fac.thermal();
    for (gi, g) in sc.fleet.groups.iter().enumerate() {
        let (a, cf, r) = (
            tr.fleet.alive_share(gi),
            th.map(|t| t.of(gi)),
            g.pool * n..(g.pool + 1) * n,
        );
        let (x, pw) = (
            &mut b.group_it[gi * n..(gi + 1) * n],
            &mut q.pool_w[r.clone()],
        );
        for (((x, it), pw), &u) in x.iter_mut().zip(&mut b.it).zip(pw).zip(&q.util[r]) {
            *x = group_w(g, u, cf, a);
            *it += *x;
            *pw += *x;
        }
        q.idle[g.pool] += a * g.servers * g.server_idle_w;
    }
    for (p, (pp, ps)) in b.pool_power.iter_mut().zip(&q.opened).enumerate() {
        q.power[p] = q.pool_w[p * n..(p + 1) * n].iter().fold(0.0, |s, &x| s + x);
        pp.idle_w = q.idle[p];
        pp.capacity = ps.capacity;
    }
}

/// A physics facility's steps evaluated exactly, one by one as a stepped step evaluates them
/// (after [`super::super::facility::FacilityLayer::quiet_block`] found the block quiet: the
/// facility stays at rest, so nothing a step flags, throttles or warms), into the block's
/// series and sums. Not the block's interpolated figures: on this route the workloads are
/// served as on the reference, so in a saturated hour both engines' IT agree to rounding and
/// the interpolation's error (a watt on 100 MW, a new fit each block) would be all that moves
/// the one-minute changes at the hour's edge (engine_equivalence's ramps test sees it).
fn exact_facility(tr: &mut Trial, b: &mut Blocks, n: usize, hour: usize, dt_f: f64) {
    let s = (tr.fac).steps(&b.it, &b.group_it[..], hour, dt_f, &mut b.fac[..n]);
    let f = &mut b.facility;
    (f.cooling_sum_w, f.losses_sum_w, f.water_l, f.inlet_max_c) =
        (s.cooling_sum_w, s.losses_sum_w, s.water_l, s.inlet_max_c);
}

/// The meter's split of the block's mean pool power at its mean claims, over its length (see
/// the module's doc for why it is the steps' splits summed), and the jobs' energy.
fn split(tr: &mut Trial, b: &mut Blocks, q: &Queued, n: usize, dt_f: f64) -> Split {
    let inv_n = 1.0 / n as f64;
    for (c, s) in tr.meter.claims.iter_mut().zip(&q.claims) {
        *c = Claim {
            held: s.held * inv_n,
            weight: s.weight * inv_n,
        };
    }
    for (pp, &w) in b.pool_power.iter_mut().zip(&q.power) {
        pp.power_w = w * inv_n;
    }
    let block_s = dt_f * n as f64;
    let split = tr.meter.attribute(&b.pool_power, block_s);
    let n_fixed = tr.meter.slot_base();
    (tr.training).meter_jobs(&tr.meter.power_w[n_fixed..], block_s);
    split
}

/// What the route changes before it knows whether the block holds: the workloads, the week's
/// clocks, and with `carry` the queue and the jobs.
fn save(tr: &Trial, q: &mut Queued, carry: bool) {
    match &mut q.work {
        Some(w) => w.clone_from(&tr.work),
        None => q.work = Some(tr.work.clone()),
    }
    q.week = (tr.week_step, tr.week_step_fixed);
    if carry {
        q.events.clone_from(&tr.events);
        tr.training.snapshot(&mut q.training);
    }
}

/// Puts back what [`save`] took.
fn restore(tr: &mut Trial, q: &mut Queued, carry: bool) {
    if let Some(w) = &mut q.work {
        std::mem::swap(&mut tr.work, w);
    }
    (tr.week_step, tr.week_step_fixed) = q.week;
    if carry {
        tr.events.clone_from(&q.events);
        tr.training.restore(&q.training);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{EngineTally, Routes, run_routes};
    use crate::sim::Trial;
    use crate::sim::test_support::{close, scenario};
    use crate::sim::{M_COOLING, M_FACILITY, M_IT_TOTAL, M_LOSSES, TrialResult};
    use std::cell::Cell;

    thread_local! {
        /// Whether the mixed way may serve classes on one pool through
        /// [`super::classes_on_one_pool`] (a test compares it with the stepped classes), and
        /// the blocks it served.
        pub(super) static ONE_POOL: Cell<bool> = const { Cell::new(true) };
        pub(super) static ONE_POOL_BLOCKS: Cell<u64> = const { Cell::new(0) };
    }

    /// Two days from 3 March on one inference pool (3,200 H100) whose chat and search evening
    /// peak exceeds it (a queue forms, then the 30-s queue overflows and drops), beside a
    /// training job that checkpoints every hour on a pool of its own, with `facility`.
    fn saturating(facility: &str) -> String {
        format!(
            "name = \"q\"\nstart = \"2025-03-03\"\nhorizon_hours = 48\nstep_s = 60\nseed = 11\n\
             trials = 1\n\
             [[site.group]]\nname = \"inf\"\nrack = \"dgx-h100-x4\"\ncount = 100\n\
             [[site.group]]\nname = \"tr\"\nserver = \"DGX-H100\"\ncount = 10\n\
             [[consumer]]\nname = \"chat\"\npreset = \"chat\"\npool = \"inf\"\n\
             requests_per_day = 2.5e7\n\
             [[consumer]]\nname = \"search\"\npreset = \"search\"\npool = \"inf\"\n\
             requests_per_day = 2.0e7\n\
             [[training]]\nname = \"run\"\npool = \"tr\"\naccelerators = 64\nutilisation = 0.9\n\
             duration_days = 3\ncontinuous = true\ncheckpoint_interval_min = 60\n\
             checkpoint_duration_min = 7\n\
             [facility]\n{facility}\n"
        )
    }

    /// The trial run on the queued route or stepped: its result, tally and drop log.
    fn run(text: &str, queued: bool) -> (TrialResult, EngineTally, Vec<(u64, f64)>) {
        // (Neither takes the fast path: where a queue drains inside an hour, stepping would
        // go back to it while the route keeps the hour.)
        let routes = Routes {
            fast: false,
            queued,
            mixed: true,
        };
        run_on(text, routes)
    }

    /// [`run`] on the given routes.
    fn run_on(text: &str, routes: Routes) -> (TrialResult, EngineTally, Vec<(u64, f64)>) {
        let sc = scenario(text);
        let mut tr = Trial::new(&sc, 0);
        tr.hourly.log_drops();
        let tally = run_routes(&mut tr, true, None, routes);
        let drops = tr.hourly.take_drop_log();
        (tr.finish(), tally, drops)
    }

    /// The queued route serves the workloads as stepping serves them and keeps the books it
    /// keeps: the same requests (whole and conserved), the same drops at the same steps (log,
    /// pools' tallies), each hour's IT and facility energy and each class's and job's
    /// attributed energy to rounding (the meter's split at the block's mean claims is the
    /// steps' splits summed while the server curves are linear), and on the route each
    /// hour's facility is its IT, cooling and losses.
    #[test]
    fn the_queued_route_books_what_stepping_books() {
        for facility in [
            "kind = \"physics\"\nclimate = \"ashburn\"",
            "kind = \"fixed\"\npue = 1.3",
        ] {
            let text = saturating(facility);
            let sc = scenario(&text);
            let (stepped, t0, drops0) = run(&text, false);
            let (queued, t1, drops1) = run(&text, true);
            assert_eq!(t0.queued_steps, 0, "{facility}");
            assert!(
                t1.queued_steps > 300 && t0.stepped_steps + t0.replayed_steps > 300,
                "{facility}: the study must queue ({t0:?}, {t1:?})"
            );
            assert!(
                t1.stepped_steps + t1.replayed_steps < t0.stepped_steps + t0.replayed_steps,
                "{facility}: {t1:?}"
            );
            assert!(drops0.len() > 10, "{facility}: the study must drop");
            assert_eq!(drops1, drops0, "{facility}: the steps' drops");
            let (a, b) = (&stepped.summary, &queued.summary);
            assert_eq!(b.pool_drops, a.pool_drops, "{facility}");
            assert_eq!(b.drop_first_at_s, a.drop_first_at_s, "{facility}");
            for (x, y) in a.classes.iter().zip(&b.classes) {
                let counts =
                    |c: &crate::sim::ClassTally| (c.arrived, c.served, c.dropped, c.pending);
                assert_eq!(counts(y), counts(x), "{facility}: requests");
                assert_eq!(y.arrived, y.served + y.dropped + y.pending, "{facility}");
                close(y.mwh, x.mwh, 1e-12, "class energy");
                close(
                    y.marginal_mwh,
                    x.marginal_mwh,
                    1e-12,
                    "class marginal energy",
                );
            }
            assert!(!b.jobs.is_empty());
            for (x, y) in a.jobs.iter().zip(&b.jobs) {
                close(y.energy_j, x.energy_j, 1e-12, "job energy");
            }
            close(b.energy_mwh, a.energy_mwh, 1e-12, "facility energy");
            close(b.it_energy_mwh, a.it_energy_mwh, 1e-12, "IT energy");
            hours_agree(&sc, &stepped, &queued, facility);
        }
    }

    /// [`saturating`]'s campus with a twin on a pool of its own and a mission on another:
    /// every workload but the classes is served at once on the mixed way.
    fn campus(facility: &str) -> String {
        let (head, tail) = saturating(facility)
            .split_once("[facility]")
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .expect("a facility table");
        format!(
            "{head}\
             [[site.group]]\nname = \"tw\"\nrack = \"ovx-l40s-x8\"\ncount = 4\n\
             [[site.group]]\nname = \"enc\"\nserver = \"DGX-H100\"\ncount = 24\n\
             [[twin]]\nname = \"twin\"\npool = \"tw\"\nallocation = 1.0\n\
             base_utilisation = 0.8\njitter_sd = 0.04\njitter_tau_h = 4.0\n\
             edge = {{ sensors = 2.0e4, events_per_sensor_day = 50, acc_s_per_event = 0.05 }}\n\
             [[defense]]\nname = \"m\"\npool = \"enc\"\naccelerators = 40\nutilisation = 0.6\n\
             ensemble = 2\nredundancy = {{ policy = \"active-active\", copies = 2 }}\n\
             jitter_sd = 0.05\n\
             [facility]{tail}"
        )
    }

    /// The mixed way (the twin's, mission's and job's steps at once, the classes step by step
    /// on their own pool) serves and books what the queued route's steps do, to the bit (every
    /// summary figure, hourly row and logged drop), so what stepping does too: the same
    /// requests and drops, each hour's IT and facility and each holder's energy to rounding.
    /// Its classes, all on one pool, are served through [`super::classes_on_one_pool`], the
    /// same figures as stepping them through `serve_consumers` on the mixed way.
    #[test]
    fn the_mixed_way_serves_and_books_what_the_steps_do() {
        let physics = "kind = \"physics\"\nclimate = \"ashburn\"";
        for facility in [physics, "kind = \"fixed\"\npue = 1.3"] {
            let text = campus(facility);
            let sc = scenario(&text);
            let on = |queued, mixed| {
                run_on(
                    &text,
                    Routes {
                        fast: false,
                        queued,
                        mixed,
                    },
                )
            };
            let (stepped, _, drops0) = on(false, false);
            let (steps, t1, drops1) = on(true, false);
            // The mixed way with its classes (on one pool) stepped through `serve_consumers`,
            // then through `serve_pool_step`: the same figures.
            ONE_POOL.set(false);
            let (by_class, t3, drops3) = on(true, true);
            ONE_POOL.set(true);
            let blocks = ONE_POOL_BLOCKS.get();
            let (mixed, t2, drops2) = on(true, true);
            assert!(
                ONE_POOL_BLOCKS.get() - blocks >= t2.queued_blocks,
                "{facility}: every queued block's classes on the one-pool way ({t2:?})"
            );
            assert_eq!(t3, t2, "{facility}");
            assert_eq!(drops3, drops2, "{facility}");
            assert_eq!(
                format!("{:?}", by_class.summary),
                format!("{:?}", mixed.summary),
                "{facility}: the summary, classes stepped or on one pool"
            );
            assert_eq!(t1.mixed_steps, 0, "{facility}");
            assert!(
                t2.queued_steps > 300 && t2.mixed_steps == t2.queued_steps,
                "{facility}: every queued block the mixed way ({t2:?})"
            );
            assert_eq!(
                EngineTally {
                    mixed_steps: 0,
                    ..t2
                },
                t1,
                "{facility}"
            );
            let bits = |r: &TrialResult| r.hourly.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            let (a, b) = (&steps.summary, &mixed.summary);
            assert_eq!(
                format!("{b:?}"),
                format!("{a:?}"),
                "{facility}: the summary"
            );
            assert_eq!(bits(&mixed), bits(&steps), "{facility}: the hourly rows");
            assert_eq!(bits(&by_class), bits(&mixed), "{facility}: the hourly rows");
            assert_eq!(drops2, drops1, "{facility}: the steps' drops");
            assert!(drops0.len() > 10, "{facility}: the study must drop");
            assert_eq!(drops2, drops0, "{facility}: the stepped drops");
            let s = &stepped.summary;
            assert_eq!(b.classes.len(), 2);
            for (x, y) in s.classes.iter().zip(&b.classes) {
                assert_eq!(
                    (y.arrived, y.served, y.dropped, y.pending),
                    (x.arrived, x.served, x.dropped, x.pending),
                    "{facility}: requests"
                );
                close(y.mwh, x.mwh, 1e-12, "class energy");
            }
            let own = |t: &crate::sim::TrialSummary| [t.twin_mwh[0], t.mission_mwh[0]];
            for (x, y) in own(s).into_iter().zip(own(b)) {
                assert!(x > 0.0, "{facility}: the twin and the mission run");
                close(y, x, 1e-12, "the twin's and the mission's energy");
            }
            for (x, y) in s.jobs.iter().zip(&b.jobs) {
                close(y.energy_j, x.energy_j, 1e-12, "job energy");
            }
            close(b.energy_mwh, s.energy_mwh, 1e-12, "facility energy");
            hours_agree(&sc, &stepped, &mixed, facility);
        }
    }

    /// Each hour's IT and facility the same on both (the hourly rows are f32), and on the
    /// route facility = IT + cooling + losses (a physics facility's columns).
    fn hours_agree(sc: &crate::scenario::Scenario, a: &TrialResult, b: &TrialResult, what: &str) {
        let col = |id| sc.metric_pos(id);
        let m = sc.metrics().len();
        let (Some(it), Some(fac)) = (col(M_IT_TOTAL), col(M_FACILITY)) else {
            panic!("IT and facility are always written");
        };
        let balance = col(M_COOLING).is_some() && col(M_LOSSES).is_some();
        assert!(
            balance || what.contains("fixed"),
            "{what}: a physics facility's columns"
        );
        for (h, (x, y)) in a.hourly.chunks(m).zip(b.hourly.chunks(m)).enumerate() {
            let f = |r: &[f32], k: usize| r[k] as f64;
            close(f(y, it), f(x, it), 1e-6, &format!("{what}: hour {h}'s IT"));
            close(
                f(y, fac),
                f(x, fac),
                1e-6,
                &format!("{what}: hour {h}'s facility"),
            );
            if let (true, Some(cool), Some(loss)) = (balance, col(M_COOLING), col(M_LOSSES)) {
                let sum = f(y, it) + f(y, cool) + f(y, loss);
                close(sum, f(y, fac), 1e-6, &format!("{what}: hour {h}'s balance"));
            }
        }
    }
}
