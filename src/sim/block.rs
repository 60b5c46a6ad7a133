//! The two-rate engine (issue 20): a quiet span of steps is drawn as one block, the rest is
//! stepped layer by layer, on the same draws.
//!
//! Consumer arrivals are drawn once per class and hour ([`super::draws`]). Because the hour is
//! drawn up front, a stepped step takes its arrivals from the same draws as a block would: a
//! block that turns out to bind is stepped again on them, never redrawn, so no threshold rule
//! biases the tails.
//!
//! A block runs from a step to the next event, hour, build-out change or daylight-saving
//! change; a training checkpoint's start and end do not end it (they only lower and restore
//! their job's utilisation, which the block follows step by step, with the job's claim at its
//! mean over the block), so an hour with a checkpoint is one block, not three. It takes the fast path only when, at its start, no class has queued or held work,
//! no twin owes work, no ramp of the build-out or demand-response event is under way and the
//! facility is at rest, and then only if no step of the block binds: every workload gets its demand (a
//! twin or mission alone on its pool, or first on it, is served up to its room as a stepped
//! step serves it: [`take`]), no pool runs above its capacity or claims
//! more than it has, and the facility stays quiet ([`crate::model::facility::block`]). The
//! twins' and missions' draws are the steps' own in either path: a block draws each one's
//! demand for all its steps in one pass (`block_demand` of `TwinState` and `DefenseState`)
//! from its own stream in the order the steps would (the jitter's normal when it
//! moves, every fifth 60-s step, then the step's edge-event count), with the constants worked
//! out once and the normals from an inlined copy of rand_distr's ziggurat (`base::ziggurat`,
//! the same numbers); the campaign or surge is constant (its events end blocks) and the week
//! table is read step after step (a block spans no clock change), so a level is worked out
//! only when the jitter moves (or, across a shift's ramp, at every step). So the AR(1) jitter is
//! carried across blocks exactly, each step's edge count is the reference's, and a refused
//! block restores their streams and steps again on the same numbers. On the fast path
//! the meter splits the block's mean power at its mean claims over the block's length (exact
//! for the linear server curves the engine requires), and the hourly meter takes each step's
//! IT and facility power with the block's mean split.
//!
//! A block the fast path refuses only because consumer work is queued, or because a step
//! binds, takes the queued route ([`queued`]) when the rest is at rest: served step by step as
//! a stepped step serves it, booked once (the meter's split at the block's mean claims, the
//! hourly meter's sums), the facility exact per step; refused (a curve would clip, the facility
//! would move) it is stepped on the same draws.
//!
//! Demand response and an import limit are modelled between their events: a block starts only
//! when no event is active and nothing is held, and is refused if a step would draw above the
//! limit. Studies with what the fast path does not model yet (server failures, backup power,
//! trace replay, non-linear server curves) are stepped throughout, on the same hourly draws: a
//! study with one and its variant without stay paired.

#[path = "queued.rs"]
mod queued;

use super::Trial;
use super::draws::HourDraws;
use super::events::{Event, EventQueue};
use super::hourly::StepFigures;
use super::meter::{Claim, PoolPower, Split};
use super::training::{TrainingSnapshot, carried_in_block};
use super::workload::{JitterMoves, WorkSnapshot, Workloads};
use crate::model::facility::block::BlockSeries;
use crate::model::fleet::RackGroup;
use crate::scenario::Scenario;

/// How a trial's steps went: on the fast path, stepped, or stepped after a refused block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineTally {
    pub fast_steps: u64,
    pub stepped_steps: u64,
    pub replayed_steps: u64,
    pub fast_blocks: u64,
    pub replayed_blocks: u64,
    /// Steps and blocks on the queued route ([`queued`]), and of its steps those served the
    /// mixed way (the workloads other than the classes at once).
    pub queued_steps: u64,
    pub queued_blocks: u64,
    pub mixed_steps: u64,
}

/// Whether the fast path can model the study at all. Demand response and an import limit
/// are modelled by the blocks between events: a block starts only when no event is active
/// and nothing is held, and is refused if any of its steps would draw above the limit.
pub fn eligible(sc: &Scenario) -> bool {
    sc.failures.is_none()
        && sc.grid.backup.is_none()
        && sc.consumers.iter().all(|c| c.trace.is_none())
        && sc.fleet.groups.iter().all(|g| g.util_exponent == 1.0)
}

/// Runs a trial on the two-rate engine (blocks only in an [`eligible`] study); `trace`
/// receives the facility demand of every step.
pub(super) fn run(tr: &mut Trial, dr_on: bool, trace: Option<&mut Vec<f64>>) -> EngineTally {
    let routes = Routes {
        fast: true,
        queued: true,
        mixed: true,
    };
    run_routes(tr, dr_on, trace, routes)
}

/// The routes a block may take besides [`Trial::body`]'s steps (all, but in the tests that
/// hold one route to the steps or to another), and whether the queued route may serve its
/// blocks the mixed way.
#[derive(Clone, Copy)]
struct Routes {
    fast: bool,
    queued: bool,
    mixed: bool,
}

/// [`run`] on the given routes.
fn run_routes(
    tr: &mut Trial,
    dr_on: bool,
    trace: Option<&mut Vec<f64>>,
    routes: Routes,
) -> EngineTally {
    run_routes_with(tr, dr_on, trace, routes, true)
}

/// [`run_routes`], with `flat` whether the fast path may hold a pool's use a figure a run
/// ([`PoolUse`]; off only in the test that holds every pool to the step-by-step series).
fn run_routes_with(
    tr: &mut Trial,
    dr_on: bool,
    mut trace: Option<&mut Vec<f64>>,
    routes: Routes,
    flat: bool,
) -> EngineTally {
    let sc = tr.sc;
    let total = sc.horizon_s / sc.step_s;
    let sph = tr.steps_per_hour;
    let mut tally = EngineTally::default();
    let mut b = Blocks::new(sc, tr.trial, sph as usize);
    b.flat_ok = flat;
    let fast_ok = routes.fast && eligible(sc);
    let queued_ok = routes.queued && eligible(sc) && queued::allowed(tr);
    let mut q = queued::Queued::new(sc, routes.mixed);
    let mut step = 0;
    while step < total {
        tr.begin(step);
        let i0 = (step % sph) as usize;
        if i0 == 0 {
            let n = (total - step).min(sph) as usize;
            b.draws.draw(
                sc,
                &mut tr.work,
                (tr.week_step, tr.week_step_fixed),
                step,
                n,
            );
        }
        let end = block_end(tr, step, total, &b.starts);
        // A quiet block on the fast path; failing that (a step binds), or with consumer work
        // queued, on the queued route; failing that, stepped on the same draws.
        let quiet = fast_ok && quiet(tr);
        if quiet && fast(tr, &mut b, step, end, trace.as_deref_mut()) {
            tally.fast_steps += end - step;
            tally.fast_blocks += 1;
            step = end;
            continue;
        }
        // (A quiet start is ready for the queued route, unless the facility refused its
        // block: the route's steps give the same IT to the same facility gate, so it would
        // serve every step only to be refused too.)
        let queued = queued_ok && (quiet || queued::ready(tr)) && !(quiet && b.facility_refused);
        if let Some(mixed) = queued
            .then(|| queued::block(tr, &mut b, &mut q, step, end, trace.as_deref_mut()))
            .flatten()
        {
            tally.queued_steps += end - step;
            tally.queued_blocks += 1;
            tally.mixed_steps += if mixed { end - step } else { 0 };
            step = end;
            continue;
        }
        if quiet || queued {
            tally.replayed_steps += end - step;
            tally.replayed_blocks += 1;
            replay(tr, &mut b, step, end, dr_on, trace.as_deref_mut());
            step = end;
            continue;
        }
        let given = b.draws.given(tr, step);
        let f = tr.body(step, dr_on, Some(given));
        if let Some(t) = trace.as_deref_mut() {
            t.push(f);
        }
        tally.stepped_steps += 1;
        step += 1;
    }
    tally
}

/// A refused block stepped again on the same draws, through [`Trial::body`] (its first step's
/// instant already begun).
fn replay(
    tr: &mut Trial,
    b: &mut Blocks,
    s0: u64,
    end: u64,
    dr_on: bool,
    mut trace: Option<&mut Vec<f64>>,
) {
    for s in s0..end {
        if s > s0 {
            tr.begin(s);
        }
        let given = b.draws.given(tr, s);
        let f = tr.body(s, dr_on, Some(given));
        if let Some(t) = trace.as_deref_mut() {
            t.push(f);
        }
    }
}

/// The step a block starting at `step` ends before: the next hour, event (other than a
/// checkpoint's, which the block carries), build-out change, workload start (`starts`,
/// sorted) or wall-clock change, or the horizon.
fn block_end(tr: &Trial, step: u64, total: u64, starts: &[u64]) -> u64 {
    let sc = tr.sc;
    let dt = sc.step_s;
    let sph = tr.steps_per_hour;
    let mut end = ((step / sph) + 1) * sph;
    end = end.min(total);
    let first_step_at = |t_s: u64| t_s.div_ceil(dt);
    let ev = tr.events.next_time_not(carried_in_block);
    if ev != u64::MAX {
        end = end.min(first_step_at(ev).max(step + 1));
    }
    if tr.next_offset_change != i64::MAX && tr.next_offset_change > 0 {
        end = end.min(first_step_at(tr.next_offset_change as u64).max(step + 1));
    }
    let now_s = step * dt;
    if let Some(&s) = starts.get(starts.partition_point(|&s| s <= now_s)) {
        end = end.min(first_step_at(s).max(step + 1));
    }
    let now = now_s as f64;
    let next = tr
        .fleet
        .next_change(&sc.fleet, now)
        .min(tr.fac.next_change(now));
    if next.is_finite() {
        end = end.min(first_step_at(next.ceil() as u64).max(step + 1));
    }
    end
}

/// Nothing carried over that the fast path does not model: no queued or held consumer work,
/// no twin backlog, no commissioning ramp under way, the facility at rest (checked here, before
/// the block is drawn, so a heat wave's hours are stepped without a refused block each).
fn quiet(tr: &Trial) -> bool {
    let w = &tr.work;
    w.consumers
        .iter()
        .all(|c| c.queue == 0.0 && c.queue_n == 0.0 && c.held == 0.0 && c.held_n == 0.0)
        && w.twins.iter().all(|t| t.backlog == 0.0)
        && !tr.fleet.ramping()
        && tr.fac.at_rest()
        && !tr.grid.dr_active()
}

/// The fast path's state: the hour's draws and scratch reused from block to block.
struct Blocks {
    draws: HourDraws,
    facility: BlockSeries,
    group_it: Vec<f64>,
    it: Vec<f64>,
    fac: Vec<f64>,
    pool_power: Vec<PoolPower>,
    twin_sum: Vec<f64>,
    defense_sum: Vec<f64>,
    snap: WorkSnapshot,
    /// A fast block that carries checkpoints: the events it took from the queue (in the order
    /// taken) and the events it scheduled (held apart until it is kept: [`training_steps`]),
    /// so a refused block puts the queue back as it was without a copy of it; the training
    /// state before it; and the training slots' claim weights summed over its steps.
    popped: Vec<(u64, Event)>,
    pushed: EventQueue,
    training_snap: TrainingSnapshot,
    train_w: Vec<f64>,
    /// Per job slot: the step of the block its claim's weight last changed at (its sum in
    /// `train_w` is made up to it).
    train_since: Vec<usize>,
    /// Per pool: capacity, idle power, training's claims.
    cap: Vec<f64>,
    idle: Vec<f64>,
    training_held: Vec<f64>,
    /// Per pool and step of the block (pool-major): accelerators in use, busy at power weight.
    used: Vec<f64>,
    busy_w: Vec<f64>,
    /// Per pool: accelerators claimed, the same at every step of a block (training's, then
    /// each mission's and twin's, added alike at each step), so held once, not per step.
    held: Vec<f64>,
    /// The block's spans of steps between checkpoint events (`[start, end)`, in order), and
    /// each training's busy accelerators over each span (span-major).
    spans: Vec<(usize, usize)>,
    span_busy: Vec<f64>,
    /// One workload's demand at each step of the block.
    demand: Vec<f64>,
    /// Training's served share (all of it on the fast path).
    ones: Vec<f64>,
    /// Each pool holds one group, the pool's own index (as in the default study): the pools'
    /// checks, server curves and sums then run in one pass per pool ([`pools_power`]).
    one_group: bool,
    /// Per pool: the consumers' bridged work over the block (for [`credit_block`]).
    pool_work: Vec<f64>,
    /// The instants twins and missions start (sorted): a block does not span one.
    starts: Vec<u64>,
    /// The last fast block was refused by the facility (not a workload): the queued route,
    /// whose steps give the same IT to the same gate, is not tried on it.
    facility_refused: bool,
    /// Per pool, how the fast path holds its use in the current block ([`PoolUse`]), and
    /// whether it may hold one other than step by step (`Routes::flat`).
    pool_use: Vec<PoolUse>,
    flat_ok: bool,
    /// The workload starts passed (of `starts`) when [`classify`] last set `pool_use` for
    /// the fast path (None: set otherwise since).
    classified: Option<usize>,
    /// Per pool: held step by step with no started mission or twin to write its use first
    /// (set with `pool_use` by [`classify`]).
    zero_used: Vec<bool>,
    /// Per pool held by runs: its runs of steps `[a, b)` at one use (a mission's served
    /// demand).
    runs: Vec<Vec<(usize, usize, f64)>>,
    /// Per pool held by spans and span of the block (pool-major, `spans.len()` a pool): the
    /// pool's use over the span.
    span_used: Vec<f64>,
    /// A physics facility reads each group's IT series (`group_it`); a fixed PUE only the
    /// block's, so a pool held by runs does not write its group's.
    need_group_it: bool,
}

/// How the fast path holds a pool's use (accelerators in use at each step of a block) before
/// its server curve: step by step in `Blocks::used`, or, for a pool whose use is constant over
/// runs of steps and that serves no consumer class, one figure a run: a pool only training
/// uses (or none), constant over each span between checkpoint events (`Spans`), or one
/// mission alone on its pool, constant between its jitter's moves (`Runs`). Such a pool's
/// curve is then worked out once a run, not at every step, and its use is never written out
/// step by step (nor zeroed first); the figures are the same to the bit (the same operations
/// on the same numbers: [`flat_series`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PoolUse {
    Steps,
    Spans,
    Runs,
}

impl Blocks {
    fn new(sc: &Scenario, trial: u32, sph: usize) -> Blocks {
        let np = sc.fleet.pools.len();
        Blocks {
            draws: HourDraws::new(sc, trial, sph),
            facility: BlockSeries::default(),
            group_it: vec![0.0; sc.fleet.groups.len() * sph],
            it: Vec::with_capacity(sph),
            fac: Vec::with_capacity(sph),
            pool_power: vec![PoolPower::default(); sc.fleet.pools.len()],
            twin_sum: vec![0.0; sc.twins.len()],
            defense_sum: vec![0.0; sc.defenses.len()],
            snap: WorkSnapshot::default(),
            popped: Vec::new(),
            pushed: EventQueue::default(),
            training_snap: TrainingSnapshot::default(),
            train_w: Vec::new(),
            train_since: Vec::new(),
            cap: vec![0.0; np],
            idle: vec![0.0; np],
            training_held: vec![0.0; np],
            used: Vec::new(),
            busy_w: Vec::new(),
            held: Vec::new(),
            spans: Vec::new(),
            span_busy: Vec::new(),
            demand: Vec::new(),
            ones: vec![1.0; sc.trainings.len()],
            one_group: sc.fleet.groups.len() == np
                && (sc.fleet.pools.iter().enumerate()).all(|(p, pool)| pool.groups[..] == [p]),
            pool_work: vec![0.0; np],
            starts: {
                let mut s: Vec<u64> = (sc.twins.iter().map(|w| w.online_s))
                    .chain(sc.defenses.iter().map(|d| d.online_s))
                    .filter(|&s| s > 0)
                    .collect();
                s.sort_unstable();
                s.dedup();
                s
            },
            facility_refused: false,
            pool_use: vec![PoolUse::Steps; np],
            flat_ok: true,
            classified: None,
            zero_used: vec![false; np],
            runs: vec![Vec::new(); np],
            span_used: Vec::new(),
            need_group_it: sc.facility.is_physics(),
        }
    }
}

/// Steps `s0..end` as one block if none binds; false (with the workloads' streams restored)
/// otherwise.
fn fast(tr: &mut Trial, b: &mut Blocks, s0: u64, end: u64, trace: Option<&mut Vec<f64>>) -> bool {
    let sc = tr.sc;
    let n = (end - s0) as usize;
    let dt_f = sc.step_s as f64;
    let i0 = (s0 % tr.steps_per_hour) as usize;
    tr.work.snapshot(&mut b.snap);
    // A checkpoint starting or ending inside the block: the queue and the jobs are put back
    // if the block is refused.
    let carry = tr.events.next_time().div_ceil(sc.step_s) < end;
    if carry {
        tr.training.snapshot(&mut b.training_snap);
    }
    b.facility_refused = false;
    tr.fleet
        .open_pools(&sc.fleet, tr.fac.thermal(), &mut tr.pools);
    let n_fixed = tr.meter.slot_base();
    // (`group_power` writes every group's and the block's IT series afresh.)
    for pp in b.pool_power.iter_mut() {
        *pp = PoolPower::default();
    }
    if !block_steps(tr, b, s0, n, i0, carry) {
        refuse(tr, b, carry);
        return false;
    }
    // The facility also gives each step's facility power, once: for the limit and the hourly
    // meter.
    if !facility_block(tr, b, s0, n) {
        b.facility_refused = true;
        refuse(tr, b, carry);
        return false;
    }
    // Under an import limit the block holds only if no step draws above it (the grid would
    // shed, or record an exceedance, at that step).
    if let Some((limit_w, _)) = sc.grid.limit
        && b.fac.iter().any(|&w| w > limit_w)
    {
        refuse(tr, b, carry);
        return false;
    }
    if carry {
        // The jobs' claims at their mean over the block (their accelerators held throughout).
        for (c, w) in tr.meter.claims[n_fixed..].iter_mut().zip(&b.train_w) {
            c.weight = w / n as f64;
        }
        // The events the block scheduled and did not take, into the queue in their order.
        while let Some((t, e)) = b.pushed.pop_due(u64::MAX) {
            tr.events.push(t, e);
        }
    }
    // The hour's length: a block from its first step to its last is the whole hour.
    let whole = i0 == 0 && end - s0 == (sc.horizon_s / sc.step_s - s0).min(tr.steps_per_hour);
    let span = BlockSpan { n, i0, whole };
    let (served_n, split) = credit_block(tr, b, span, s0 * sc.step_s, dt_f);
    record_block(tr, b, &split, n, served_n, trace);
    // The clocks move on by the block's steps.
    tr.tick_week_by(n);
    true
}

/// The block's facility at its own rate from its IT series (`b.group_it`, `b.it`): each step's
/// power into `b.fac`, the block's sums into `b.facility`; false if the facility would move.
fn facility_block(tr: &mut Trial, b: &mut Blocks, s0: u64, n: usize) -> bool {
    facility_asked(tr, b, s0, n, true)
}

/// [`facility_block`]'s answer alone, for a block whose facility is then evaluated exactly
/// (the queued route).
fn facility_gate(tr: &mut Trial, b: &mut Blocks, s0: u64, n: usize) -> bool {
    facility_asked(tr, b, s0, n, false)
}

/// The facility's quiet block of `n` steps from `s0`, with its `figures` or without.
fn facility_asked(tr: &mut Trial, b: &mut Blocks, s0: u64, n: usize, figures: bool) -> bool {
    let ng = tr.sc.fleet.groups.len();
    let hour = (s0 / tr.steps_per_hour) as usize;
    let dt_f = tr.sc.step_s as f64;
    let (group_it, it) = (&b.group_it[..ng * n], &b.it);
    let (out, fac) = (&mut b.facility, &mut b.fac);
    (tr.fac).quiet_block(group_it, it, hour, dt_f, out, fac, figures)
}

/// A block's steps within its hour: `n` from step `i0`, `whole` if they are the hour's all.
#[derive(Clone, Copy)]
struct BlockSpan {
    n: usize,
    i0: usize,
    whole: bool,
}

/// A refused block: the workloads' streams (and with `carry` the queue and the jobs) as they
/// were at its start, to be stepped again on the same draws.
///
/// The queue: the events the block scheduled are dropped, and those it took put back in the
/// order taken. Each was due at a step of the block when taken, and every event of the queue
/// due by then was taken with it, so what is left is due later: each goes back after those
/// put back before it and ahead of the rest, where it was ([`EventQueue::push`] puts an event
/// after every one due at or before it).
fn refuse(tr: &mut Trial, b: &mut Blocks, carry: bool) {
    tr.work.restore(&b.snap);
    if carry {
        while b.pushed.pop_due(u64::MAX).is_some() {}
        for &(t, e) in &b.popped {
            tr.events.push(t, e);
        }
        tr.training.restore(&b.training_snap);
    }
}

/// Each step's demand served in priority order, the pools' power and the groups' IT; false
/// if a step binds. With `carry`, the checkpoints due at each step are applied first and the
/// jobs' claim weights summed into `b.train_w`.
///
/// Workload by workload over the whole block rather than step by step: each workload draws
/// from its own stream, so the order across workloads does not change a draw, and each pool's
/// use at a step is summed in the same priority order (missions, twins, training, consumers)
/// as a stepped step sums it, so every comparison sees the same numbers. Each loop runs over
/// a block's steps with its workload's figures at hand (the loop's own instructions fell by a
/// third against one step at a time through every workload).
fn block_steps(tr: &mut Trial, b: &mut Blocks, s0: u64, n: usize, i0: usize, carry: bool) -> bool {
    // (A pool held by runs is read only by [`pools_power`].)
    let flat = b.one_group && b.flat_ok;
    if !others_steps_with(tr, b, s0, n, carry, flat, true) {
        return false;
    }
    if b.one_group {
        return pools_power(tr, b, n, i0);
    }
    if !consumers_fit(tr, b, n, i0) {
        return false;
    }
    group_power(tr, b, n);
    pool_work_sums(b, n, i0);
    true
}

/// The block's workloads other than the consumer classes at every step (the pools opened):
/// training's claims at the block's start, then each pool's use by missions, twins and training
/// into `b.used` (pool-major), their claims into `b.held` (per pool) and their sums (`b.twin_sum`,
/// `b.defense_sum`, with `carry` `b.train_w`); false if one does not fit its pool. (The queued
/// route serves them with it too; inlined into both, as the fast path's code was before.)
#[inline(always)]
fn others_steps(tr: &mut Trial, b: &mut Blocks, s0: u64, n: usize, carry: bool) -> bool {
    others_steps_with(tr, b, s0, n, carry, false, false)
}

/// [`others_steps`]; with `flat`, the pools [`classify`] finds constant over runs of steps
/// are held a figure a run ([`PoolUse`]), their use not written step by step; with `apart`
/// (the fast path), the events the block schedules are held apart ([`training_steps`]).
#[inline(always)]
fn others_steps_with(
    tr: &mut Trial,
    b: &mut Blocks,
    s0: u64,
    n: usize,
    carry: bool,
    flat: bool,
    apart: bool,
) -> bool {
    let sc = tr.sc;
    // Training's claims at the block's start (a checkpoint carried inside it changes its job's).
    let n_fixed = tr.meter.slot_base();
    let dt_f = sc.step_s as f64;
    tr.training.claims(
        &sc.trainings,
        &b.ones,
        dt_f,
        &mut tr.meter.claims[n_fixed..],
    );
    b.training_held.fill(0.0);
    for (c, &(p, _)) in tr.meter.claims[n_fixed..]
        .iter()
        .zip(&tr.meter.holders[n_fixed..])
    {
        b.training_held[p] += c.held;
    }
    b.twin_sum.fill(0.0);
    b.defense_sum.fill(0.0);
    let np = tr.pools.len();
    for (c, p) in b.cap.iter_mut().zip(&tr.pools) {
        *c = p.capacity;
    }
    let alive = &tr.fleet.alive;
    b.idle.fill(0.0);
    for (gi, g) in sc.fleet.groups.iter().enumerate() {
        b.idle[g.pool] += alive[gi] * g.servers * g.server_idle_w;
    }
    if flat {
        // The holds change only when a workload starts (a block spans none).
        let now = s0 * sc.step_s;
        let started = b.starts.partition_point(|&s| s <= now);
        if b.classified != Some(started) {
            classify(tr, b, now);
            b.classified = Some(started);
        }
        // Only the pools held step by step start at zero use, and of those only the ones no
        // mission or twin writes first (the first on its pool writes every step: [`take`],
        // [`FirstRuns`]).
        b.used.resize(np * n, 0.0);
        for (p, &z) in b.zero_used.iter().enumerate() {
            if z {
                b.used[p * n..(p + 1) * n].fill(0.0);
            }
        }
    } else {
        b.pool_use.fill(PoolUse::Steps);
        b.classified = None;
        b.used.clear();
        b.used.resize(np * n, 0.0);
    }
    // (`consumers_fit` writes every step of every pool's `busy_w`.)
    if b.busy_w.len() < np * n {
        b.busy_w.resize(np * n, 0.0);
    }
    b.held.clone_from(&b.training_held);
    let moves = tr.work.tick_jitter_block(n);
    training_steps(tr, b, s0, n, carry, apart);
    missions_and_twins(tr, b, s0, n, moves) && training_fits(tr, b, n)
}

/// Each pool's [`PoolUse`] in a block starting at `now` (s): by runs a pool that serves no
/// consumer class and no started twin, with one started mission and no training on it
/// (`Runs`) or no started mission (`Spans`: training's only, or nothing); step by step the
/// rest. (A block does not span a workload's start.)
fn classify(tr: &Trial, b: &mut Blocks, now: u64) {
    let wm = &tr.wm;
    for (p, (u, z)) in b.pool_use.iter_mut().zip(&mut b.zero_used).enumerate() {
        let twin = wm.twins.iter().any(|w| w.pool == p && now >= w.online_s);
        let missions = (wm.defenses.iter())
            .filter(|d| d.pool == p && now >= d.online_s)
            .count();
        let training = wm.training_pools.contains(&p);
        *u = match (b.draws.has_class[p] || twin, missions, training) {
            (false, 0, _) => PoolUse::Spans,
            (false, 1, false) => PoolUse::Runs,
            _ => PoolUse::Steps,
        };
        *z = *u == PoolUse::Steps && !twin && missions == 0;
    }
}

/// Training's busy accelerators over the block, span by span (`b.spans`, `b.span_busy`): one
/// span unless the block carries checkpoints, whose events are applied at their steps.
///
/// With `apart` (the fast path), the events the block schedules go to `b.pushed`, not the
/// queue, and those it takes from the queue are logged in `b.popped`, so a refused block puts
/// the queue back without a copy ([`refuse`]; a kept one moves `b.pushed` into it). The
/// events come in the same order as from one queue: by time, and at one time the queue's
/// (scheduled before the block) ahead of the block's, these in the order scheduled (as
/// [`EventQueue::push`] orders ties); moved into the queue in that order, each lands where
/// it would have.
fn training_steps(tr: &mut Trial, b: &mut Blocks, s0: u64, n: usize, carry: bool, apart: bool) {
    let sc = tr.sc;
    let dt = sc.step_s;
    b.spans.clear();
    b.span_busy.clear();
    if !carry {
        b.spans.push((0, n));
        b.span_busy.extend_from_slice(&tr.training.busy);
        return;
    }
    let n_fixed = tr.meter.slot_base();
    let ns = tr.meter.claims.len() - n_fixed;
    b.train_w.clear();
    b.train_w.resize(ns, 0.0);
    b.train_since.clear();
    b.train_since.resize(ns, 0);
    // Span by span between the steps an event is due at: the jobs' busy accelerators and
    // claim weights are constant within a span. Each slot's weight is summed step by step, as
    // a stepped step would, but added only where it changes (its steps since the last change,
    // `b.train_since`, one addition after another: the same sum as span by span) and at the
    // block's end, so a span costs nothing per slot; an idle slot's weight is zero and adds
    // nothing.
    b.popped.clear();
    let mut j = 0;
    while j < n {
        let t = (s0 + j as u64) * dt;
        while let Some((_, e)) = pop_due_apart(&mut tr.events, &mut b.pushed, &mut b.popped, t) {
            if !matches!(
                e,
                Event::CheckpointStart { .. } | Event::CheckpointEnd { .. }
            ) {
                // (Not carried in a block, so never here; were it, it may change every
                // slot's claim: all summed up to this step first.)
                let claims = &tr.meter.claims[n_fixed..];
                flush_train_w(&mut b.train_w, &mut b.train_since, claims, j);
            }
            let claims = &mut tr.meter.claims[n_fixed..];
            let q = if apart { &mut b.pushed } else { &mut tr.events };
            let changed = (tr.training).on_carried(&sc.trainings, e, t, q, claims);
            if let Some((i, was)) = changed {
                let since = std::mem::replace(&mut b.train_since[i], j);
                if was.weight != 0.0 {
                    b.train_w[i] = add_times(b.train_w[i], was.weight, j - since);
                }
            }
        }
        let next = tr.events.next_time().min(b.pushed.next_time());
        let end = if next == u64::MAX {
            n
        } else {
            (next.div_ceil(dt).saturating_sub(s0) as usize).clamp(j + 1, n)
        };
        b.spans.push((j, end));
        // (One by one: a call to copy two numbers costs more than the copy.)
        for &busy in &tr.training.busy {
            b.span_busy.push(busy);
        }
        j = end;
    }
    let claims = &tr.meter.claims[n_fixed..];
    flush_train_w(&mut b.train_w, &mut b.train_since, claims, n);
}

/// The next event due at `t` (s) of the queue `events` and the block's own `pushed` (see
/// [`training_steps`]): by time, the queue's first at one time; one taken from the queue is
/// logged in `popped`.
#[inline(always)]
fn pop_due_apart(
    events: &mut EventQueue,
    pushed: &mut EventQueue,
    popped: &mut Vec<(u64, Event)>,
    t: u64,
) -> Option<(u64, Event)> {
    if events.next_time() <= pushed.next_time() {
        let x = events.pop_due(t);
        if let Some(x) = x {
            popped.push(x);
        }
        x
    } else {
        pushed.pop_due(t)
    }
}

/// Each job slot's claim weight (`claims`) added to its sum `train_w` at each step from the
/// step its weight last changed (`since`) to step `j`, which it then is (see
/// [`training_steps`]).
fn flush_train_w(train_w: &mut [f64], since: &mut [usize], claims: &[Claim], j: usize) {
    for ((w, c), since) in train_w.iter_mut().zip(claims).zip(since) {
        if c.weight != 0.0 {
            *w = add_times(*w, c.weight, j - *since);
        }
        *since = j;
    }
}

/// `w` plus `x` added `k` times, one addition after another (the sum a step-by-step meter
/// makes, to the bit), four to a loop turn.
#[inline(always)]
fn add_times(mut w: f64, x: f64, k: usize) -> f64 {
    for _ in 0..k / 4 {
        w = w + x + x + x + x;
    }
    for _ in 0..k % 4 {
        w += x;
    }
    w
}

/// Missions, then twins, at every step of the block; false if one does not fit its pool. A
/// block does not span a start, so a workload not started at its start asks nothing. Each
/// workload's demand is drawn for the whole block first (the same draws, in the same order, as
/// its steps would make: see [`super::workload::TwinState::block_demand`]), then checked and
/// summed step by step (a mission first on its pool run by run: [`FirstRuns`]). Their claims
/// are the block's, the same at every step: added once to their pools' (`b.held`, per pool).
fn missions_and_twins(
    tr: &mut Trial,
    b: &mut Blocks,
    s0: u64,
    n: usize,
    moves: JitterMoves,
) -> bool {
    let sc = tr.sc;
    let dt = sc.step_s;
    let now = s0 * dt;
    let wm = &tr.wm;
    let (cap, used, held) = (&b.cap, &mut b.used, &mut b.held);
    let (pool_use, runs) = (&b.pool_use, &mut b.runs);
    b.demand.resize(n, 0.0);
    let demand = &mut b.demand[..n];
    let work: &mut Workloads = &mut tr.work;
    // The started missions, then twins, by their place in that order, with their pools: whether
    // the `k`th is the first on its pool.
    let pools = || {
        (wm.defenses.iter().map(|d| (d.pool, d.online_s)))
            .chain(wm.twins.iter().map(|w| (w.pool, w.online_s)))
            .enumerate()
            .filter_map(|(i, (p, online_s))| (now >= online_s).then_some((i, p)))
    };
    let first_on = |p: usize, k: usize| !pools().any(|(i, q)| i < k && q == p);
    let nd = wm.defenses.len();
    let dt_f = dt as f64;
    let unserved = &mut work.defense_unserved_acc_s;
    for (k, (ds, d)) in work.defenses.iter_mut().zip(wm.defenses).enumerate() {
        if now < d.online_s {
            continue;
        }
        let c = cap[d.pool];
        let room = |u: f64| (c - u - d.standby_capacity).max(0.0);
        let used = &mut used[d.pool * n..(d.pool + 1) * n];
        let sum = if pool_use[d.pool] == PoolUse::Runs {
            // Alone on its pool: its runs are the pool's use ([`PoolUse::Runs`]).
            let runs = &mut runs[d.pool];
            runs.clear();
            let mut f = FirstRuns {
                sink: |a, b, x| runs.push((a, b, x)),
                r: room(0.0),
                sum: 0.0,
            };
            ds.block_runs(d, moves, n, |a, b, x| {
                f.run(a, b, x, |short| *unserved += short * dt_f)
            });
            f.sum
        } else if first_on(d.pool, k) {
            let mut f = FirstRuns {
                sink: |a, b, x| used[a..b].fill(x),
                r: room(0.0),
                sum: 0.0,
            };
            ds.block_runs(d, moves, n, |a, b, x| {
                f.run(a, b, x, |short| *unserved += short * dt_f)
            });
            f.sum
        } else {
            let Some(sum) = take(
                used,
                demand,
                false,
                |out| ds.block_demand(d, moves, out),
                room,
                // (As a stepped step adds it: each step's short work, in step order.)
                |short| *unserved += short * dt_f,
            ) else {
                return false;
            };
            sum
        };
        held[d.pool] += d.need * d.active_copies + d.standby_capacity;
        b.defense_sum[k] += sum;
    }
    for (k, (w_s, w)) in work.twins.iter_mut().zip(wm.twins).enumerate() {
        if now < w.online_s {
            continue;
        }
        let w0 = if w.week.own_clock {
            tr.week_step_fixed
        } else {
            tr.week_step
        };
        let c = cap[w.pool];
        let Some(sum) = take(
            &mut used[w.pool * n..(w.pool + 1) * n],
            demand,
            first_on(w.pool, nd + k),
            |out| w_s.block_demand(w, dt, w0, moves, out),
            |u| c - u,
            // (A twin's work beyond its room is not kept: no backlog outside demand response.)
            |_| {},
        ) else {
            return false;
        };
        held[w.pool] += w.accelerators;
        b.twin_sum[k] += sum;
    }
    true
}

/// [`take`] for a mission first on its pool, whose demand comes in runs of steps at one level
/// ([`super::workload::DefenseState::block_runs`] gives each run `[a, b)` and its demand, in
/// step order, to [`FirstRuns::run`]): each run is checked, served (its demand, or its room `r`
/// where that is short: `x.min(r)`, the figure [`take`] gives a first workload's step either
/// way), given to `sink` (which fills it into the pool's use, or keeps the run when the
/// mission is alone on its pool: [`PoolUse::Runs`]) and summed at once, where [`take`] makes a
/// pass over the steps for each. The same numbers: `sum` adds the run's figure once per step
/// in step order (as [`add_times`]), and `short` is told each short step's short work in step
/// order (a step that fits would tell it `0.0`, which adds nothing to the positive tally it
/// feeds).
struct FirstRuns<S: FnMut(usize, usize, f64)> {
    sink: S,
    r: f64,
    sum: f64,
}

impl<S: FnMut(usize, usize, f64)> FirstRuns<S> {
    #[inline(always)]
    fn run(&mut self, a: usize, b: usize, x: f64, mut short: impl FnMut(f64)) {
        let served = x.min(self.r);
        if x > self.r {
            for _ in a..b {
                short(x - served);
            }
        }
        (self.sink)(a, b, served);
        self.sum = add_times(self.sum, served, b - a);
    }
}

/// A workload's demand at each step (`draw`n into `scratch`) taken from its pool's `used` (up
/// to `room` of what is used); what it is served summed over the block in step order, None if
/// a step binds (`used` is then scratch the refused block drops). One pass without an early
/// exit, so the compiler can run it two steps at a time. The `first` workload on its pool draws
/// straight into `used`: every step's use is 0 before it, and `0 + x` is `x` (demands are never
/// -0).
///
/// The first workload on its pool does not bind: a step whose demand is above its room is
/// served its room, as a stepped step serves it (`demand.min(room)`, its room then the pool's
/// free capacity to the bit, `c - 0.0` being `c`), and `short` is told each step's demand less
/// what it is served, in step order (zero at a step that fits). So a twin or mission that
/// saturates its own pool keeps its block, where it once refused it and stepped ~60 steps
/// again on the same numbers. A later one on a shared pool still refuses a step above its
/// room: its stepped room is the free capacity less each earlier workload's in turn, which
/// the block's `c - u` matches only to rounding.
#[inline(always)]
fn take(
    used: &mut [f64],
    scratch: &mut [f64],
    first: bool,
    draw: impl FnOnce(&mut [f64]),
    room: impl Fn(f64) -> f64,
    mut short: impl FnMut(f64),
) -> Option<f64> {
    let demand = if first {
        draw(used);
        let r = room(0.0);
        if used.iter().fold(false, |binds, &x| binds | (x > r)) {
            for u in used.iter_mut() {
                let served = u.min(r);
                short(*u - served);
                *u = served;
            }
        }
        &*used
    } else {
        draw(scratch);
        let mut binds = false;
        for (u, &x) in used.iter_mut().zip(&*scratch) {
            binds |= x > room(*u);
            *u += x;
        }
        if binds {
            return None;
        }
        &*scratch
    };
    Some(demand.iter().fold(0.0, |a, &x| a + x))
}

/// Training's busy accelerators on their pools at every step; false if a job does not fit. On a
/// pool no mission or twin runs on (as training's own pools), what is used is constant over
/// each span (only training adds to it, a span's busy at a time): one comparison and a fill a
/// span, the same numbers as step by step.
///
/// A pool held by spans ([`PoolUse::Spans`]) keeps one figure a span in `b.span_used` (zero
/// before training, as its use at every step would be), checked and added to as a flat pool's
/// first step is.
fn training_fits(tr: &Trial, b: &mut Blocks, n: usize) -> bool {
    let wm = &tr.wm;
    let nt = wm.training_pools.len();
    let ns = b.spans.len();
    if b.pool_use.contains(&PoolUse::Spans) {
        b.span_used.clear();
        b.span_used.resize(b.pool_use.len() * ns, 0.0);
    }
    for (k, &p) in wm.training_pools.iter().enumerate() {
        let c = b.cap[p];
        // Training is not served out of what the pool keeps for its consumer classes.
        let kept = wm.kept_for_consumers(p, c);
        if b.pool_use[p] == PoolUse::Spans {
            let mut over = false;
            let span_used = &mut b.span_used[p * ns..(p + 1) * ns];
            for (u, busy) in span_used.iter_mut().zip(b.span_busy.chunks_exact(nt)) {
                let busy = busy[k];
                over |= busy > c - *u - kept;
                *u += busy;
            }
            if over {
                return false;
            }
            continue;
        }
        let used = &mut b.used[p * n..(p + 1) * n];
        let flat =
            !(wm.defenses.iter().any(|d| d.pool == p) || wm.twins.iter().any(|w| w.pool == p));
        let mut over = false;
        for (&(j0, j1), busy) in b.spans.iter().zip(b.span_busy.chunks_exact(nt)) {
            let busy = busy[k];
            let used = &mut used[j0..j1];
            if flat {
                let u = used[0];
                over |= busy > c - u - kept;
                used.fill(u + busy);
            } else {
                for u in used {
                    over |= busy > c - *u - kept;
                    *u += busy;
                }
            }
        }
        if over {
            return false;
        }
    }
    true
}

/// The consumers' bridged work on each pool at every step, then each pool's use and claims
/// against its capacity (above it the server curve clips and the meter's split is no longer
/// linear: stepped instead); false if a step binds. Every step is checked (no early exit
/// within a pool: the loops vectorise); a refused block's figures are not used.
fn consumers_fit(tr: &Trial, b: &mut Blocks, n: usize, i0: usize) -> bool {
    let dt_f = tr.sc.step_s as f64;
    let d = &b.draws;
    for (p, &c) in b.cap.iter().enumerate() {
        let r = p * n..(p + 1) * n;
        let (used, h, busy_w) = (&b.used[r.clone()], b.held[p], &mut b.busy_w[r]);
        let mut over = h > c;
        if !d.has_class[p] {
            busy_w.copy_from_slice(used);
            for &u in used {
                over |= u > c;
            }
        } else {
            let at = p * d.stride + i0;
            let (work, scale) = (&d.pool_w[at..at + n], &d.pool_scale[at..at + n]);
            for (((bw, &u), &w), &sc) in busy_w.iter_mut().zip(used).zip(work).zip(scale) {
                // (No work adds nothing: `u + 0.0` is `u`, and `0.0 > c - u` is `u > c`.)
                let busy = if w > 0.0 { w / dt_f } else { 0.0 };
                *bw = u + busy * sc;
                over |= (busy > c - u) | (*bw > c) | (h + busy > c);
            }
        }
        if over {
            return false;
        }
    }
    true
}

/// Each group's IT power at every step (linear server curves), the block's IT series and the
/// pools' mean power, summed in the order a stepped step sums them (so the figures are the
/// same to the bit): the IT series group after group, a pool's power step after step.
///
/// Group by group with the group's figures hoisted: the step loop is the server curve's few
/// operations on the block's slice, which the compiler runs two steps at a time (the utilisation
/// is within [0, 1] on the fast path, [`consumers_fit`] refuses a step above capacity, so the
/// curve's clamp is a max and a min). A pool's sum over steps is a chain the compiler keeps in
/// order, so it runs on its own over the group's finished series.
fn group_power(tr: &Trial, b: &mut Blocks, n: usize) {
    let sc = tr.sc;
    let alive = &tr.fleet.alive;
    b.it.clear();
    b.it.resize(n, 0.0);
    for (gi, g) in sc.fleet.groups.iter().enumerate() {
        let c = b.cap[g.pool];
        let busy_w = &b.busy_w[g.pool * n..(g.pool + 1) * n];
        let x = &mut b.group_it[gi * n..(gi + 1) * n];
        group_series(g, alive[gi], c, busy_w, x, &mut b.it);
    }
    let inv_n = 1.0 / n as f64;
    for (p, pool) in sc.fleet.pools.iter().enumerate() {
        let sum = match pool.groups[..] {
            [] => 0.0,
            [gi] => b.group_it[gi * n..(gi + 1) * n]
                .iter()
                .fold(0.0, |s, &x| s + x),
            ref groups => {
                let mut s = 0.0;
                for j in 0..n {
                    for &gi in groups {
                        s += b.group_it[gi * n + j];
                    }
                }
                s
            }
        };
        b.pool_power[p] = PoolPower {
            power_w: sum * inv_n,
            idle_w: b.idle[p],
            capacity: b.cap[p],
        };
    }
}

/// One group's IT power at each step from its pool's busy weights (`c` the pool's capacity),
/// `alive x` [`RackGroup::power_w`] of the utilisation op for op, added to the block's `it`.
#[inline(always)]
fn group_series(g: &RackGroup, alive: f64, c: f64, busy_w: &[f64], x: &mut [f64], it: &mut [f64]) {
    let curve = server_curve(g, c);
    // All the group's servers in service (as on most blocks): `1 x` is the same figure.
    if alive == 1.0 {
        for ((x, &bw), it) in x.iter_mut().zip(busy_w).zip(it) {
            *x = curve(bw);
            *it += *x;
        }
    } else {
        for ((x, &bw), it) in x.iter_mut().zip(busy_w).zip(it) {
            *x = alive * curve(bw);
            *it += *x;
        }
    }
}

/// A group's linear server curve on a pool of capacity `c`, from a step's busy weight. (A max
/// and a min, not `clamp`: the same figure for a utilisation that is never NaN; the quotient
/// made before the test on `c`, so the test is a select, not a branch: the loops that inline
/// it then run two steps at a time.)
#[allow(clippy::manual_clamp)]
#[inline(always)]
fn server_curve(g: &RackGroup, c: f64) -> impl Fn(f64) -> f64 {
    let (servers, idle_w) = (g.servers, g.server_idle_w);
    let dyn_w = g.server_max_w - g.server_idle_w;
    move |bw: f64| {
        let q = (bw / c).max(0.0).min(1.0);
        let u = if c > 0.0 { q } else { 0.0 };
        servers * (idle_w + dyn_w * u)
    }
}

/// `$body` with `$curve` the group `$g`'s [`server_curve`] on a pool of capacity `$c`, times
/// its share `$a` of servers in service unless that is 1, the curve's test on the capacity
/// made once, outside the step loop `$body` runs (the compiler keeps it in the loop, as a
/// branch, when the closure holds it). The same operations on the same numbers as
/// [`server_curve`]'s: the quotient and its clamp when `$c > 0`, a utilisation of `0.0`
/// otherwise.
macro_rules! with_curve {
    ($g:expr, $c:expr, $a:expr, |$curve:ident| $body:expr) => {{
        let (g, c, a): (&RackGroup, f64, f64) = ($g, $c, $a);
        let (servers, idle_w) = (g.servers, g.server_idle_w);
        let dyn_w = g.server_max_w - g.server_idle_w;
        #[allow(clippy::manual_clamp)]
        let busy = move |bw: f64| servers * (idle_w + dyn_w * (bw / c).max(0.0).min(1.0));
        let idle = move |_: f64| servers * (idle_w + dyn_w * 0.0);
        match (c > 0.0, a == 1.0) {
            (true, true) => {
                let $curve = busy;
                $body
            }
            (true, false) => {
                let $curve = move |bw: f64| a * busy(bw);
                $body
            }
            (false, true) => {
                let $curve = idle;
                $body
            }
            (false, false) => {
                let $curve = move |bw: f64| a * idle(bw);
                $body
            }
        }
    }};
}

/// Each class pool's consumer work over the block (after [`group_power`]; [`pools_power`]
/// sums it in its own pass).
fn pool_work_sums(b: &mut Blocks, n: usize, i0: usize) {
    let d = &b.draws;
    for (p, w) in b.pool_work.iter_mut().enumerate() {
        if d.has_class[p] {
            let at = p * d.stride + i0;
            *w = d.pool_w[at..at + n].iter().sum();
        }
    }
}

/// [`consumers_fit`], [`group_power`] and [`pool_work_sums`] in one pass per pool, for a fleet
/// whose every pool is one group (its own index, `b.one_group`): each step's busy weight is
/// checked and put through the group's server curve as it is made, then the pool's power and
/// its consumers' work are summed over the block in one loop. The same operations on the same
/// numbers as the passes apart (`tests::the_fused_pool_pass_is_the_two_passes_bit_for_bit`):
/// a pool's claims are the same at every step of a block (training's, then each mission's and
/// twin's, added alike at each step: [`take`]), so its first step's stand for all; the IT
/// series takes the groups in their order, which is the pools'; each sum keeps its own chain
/// and starting value (`0.0` for the power as [`group_power`]'s fold, `-0.0` for the work as
/// `Iterator::sum`). False if a step binds.
fn pools_power(tr: &Trial, b: &mut Blocks, n: usize, i0: usize) -> bool {
    let dt_f = tr.sc.step_s as f64;
    let (d, alive) = (&b.draws, &tr.fleet.alive);
    b.it.clear();
    b.it.resize(n, 0.0);
    let inv_n = 1.0 / n as f64;
    let ns = b.spans.len();
    for (p, g) in tr.sc.fleet.groups.iter().enumerate() {
        let (c, a, r) = (b.cap[p], alive[p], p * n..(p + 1) * n);
        let (used, x, it) = (&b.used[r.clone()], &mut b.group_it[r], &mut b.it[..]);
        let h = b.held[p];
        let curve = server_curve(g, c);
        let pool_use = b.pool_use[p];
        if pool_use != PoolUse::Steps {
            // Its use a figure a run ([`PoolUse`]): the curve once a run.
            let x = b.need_group_it.then_some(x);
            let span_used = &b.span_used;
            let spans =
                (b.spans.iter().enumerate()).map(|(s, &(j0, j1))| (j0, j1, span_used[p * ns + s]));
            let runs = b.runs[p].iter().copied();
            let (over, sum) = match (pool_use, a == 1.0) {
                (PoolUse::Spans, true) => flat_series(spans, x, it, c, &curve),
                (PoolUse::Spans, false) => flat_series(spans, x, it, c, |bw| a * curve(bw)),
                (_, true) => flat_series(runs, x, it, c, &curve),
                (_, false) => flat_series(runs, x, it, c, |bw| a * curve(bw)),
            };
            if over | (h > c) {
                return false;
            }
            b.pool_power[p] = PoolPower {
                power_w: sum * inv_n,
                idle_w: b.idle[p],
                capacity: c,
            };
            continue;
        }
        let (over, work) = if !d.has_class[p] {
            // Its busy weight is its use (nothing of a consumer's to add).
            let over = with_curve!(g, c, a, |curve| used_series(used, x, it, c, curve));
            (over | (h > c), None)
        } else {
            let at = p * d.stride + i0;
            let (work, scale) = (&d.pool_w[at..at + n], &d.pool_scale[at..at + n]);
            let f = PoolStepFigures { c, h, dt_f };
            let over = with_curve!(g, c, a, |curve| {
                class_series(used, work, scale, x, it, &f, curve)
            });
            (over, Some(work))
        };
        if over {
            return false;
        }
        let sum = match work {
            None => x.iter().fold(0.0, |s, &x| s + x),
            Some(work) => {
                let (mut sum, mut work_sum) = (0.0, -0.0);
                for (&x, &w) in x.iter().zip(work) {
                    sum += x;
                    work_sum += w;
                }
                b.pool_work[p] = work_sum;
                sum
            }
        };
        b.pool_power[p] = PoolPower {
            power_w: sum * inv_n,
            idle_w: b.idle[p],
            capacity: c,
        };
    }
    true
}

/// [`used_series`] for a pool held a figure a run ([`PoolUse`]): each run `[a, b)` at use `u`
/// checked against capacity and put through the curve once, its figure added to the IT
/// series at each of its steps (and written into the group's, `x`, when asked) and to the
/// pool's power `b - a` times in step order ([`add_times`], from `0.0`: the sum
/// [`pools_power`] makes of the steps' figures); returns whether a step is over and the sum.
#[inline(always)]
fn flat_series(
    runs: impl Iterator<Item = (usize, usize, f64)>,
    mut x: Option<&mut [f64]>,
    it: &mut [f64],
    c: f64,
    curve: impl Fn(f64) -> f64,
) -> (bool, f64) {
    let (mut over, mut sum) = (false, 0.0);
    for (a, b, u) in runs {
        over |= u > c;
        let xu = curve(u);
        for it in &mut it[a..b] {
            *it += xu;
        }
        if let Some(x) = x.as_deref_mut() {
            x[a..b].fill(xu);
        }
        sum = add_times(sum, xu, b - a);
    }
    (over, sum)
}

/// A pool's capacity, its claims at each step and the step's length, s.
struct PoolStepFigures {
    c: f64,
    h: f64,
    dt_f: f64,
}

/// A pool without consumers: each step's use checked against capacity and put through the
/// curve into `x` and the IT series; true if a step is over.
#[inline(always)]
fn used_series(
    used: &[f64],
    x: &mut [f64],
    it: &mut [f64],
    c: f64,
    curve: impl Fn(f64) -> f64,
) -> bool {
    let mut over = false;
    for ((x, it), &u) in x.iter_mut().zip(it).zip(used) {
        over |= u > c;
        *x = curve(u);
        *it += *x;
    }
    over
}

/// A pool with consumers: each step's busy weight from its use and its bridged work
/// ([`consumers_fit`]'s figures and checks), through the curve into `x` and the IT series; true
/// if a step binds.
#[inline(always)]
fn class_series(
    used: &[f64],
    work: &[f64],
    scale: &[f64],
    x: &mut [f64],
    it: &mut [f64],
    f: &PoolStepFigures,
    curve: impl Fn(f64) -> f64,
) -> bool {
    let (c, h, dt_f) = (f.c, f.h, f.dt_f);
    let mut over = false;
    for ((((x, it), &u), &w), &s) in x.iter_mut().zip(it).zip(used).zip(work).zip(scale) {
        // (The quotient made first: a select, not a branch.)
        let q = w / dt_f;
        let busy = if w > 0.0 { q } else { 0.0 };
        let bw = u + busy * s;
        over |= (busy > c - u) | (bw > c) | (h + busy > c);
        *x = curve(bw);
        *it += *x;
    }
    over
}

/// The block's requests counted, and the meter's split of its mean power at its mean claims
/// over its whole length; returns the block's served requests. `whole`: the block is its hour's
/// every step.
fn credit_block(tr: &mut Trial, b: &Blocks, span: BlockSpan, now: u64, dt_f: f64) -> (f64, Split) {
    let BlockSpan { n, i0, whole } = span;
    let sc = tr.sc;
    let inv_n = 1.0 / n as f64;
    let mut served_n = 0.0;
    let d = &b.draws;
    let mut k = 0;
    // The pool's expected work in the block, summed once for its classes (its drawn work is
    // summed as the block's power is made: `b.pool_work`).
    let mut pool_mu = (usize::MAX, 0.0);
    for (cs, c) in tr.work.consumers.iter_mut().zip(&sc.consumers) {
        // A block of the whole hour (as most are) counts the hour's draw; one from the hour's
        // first step what has arrived by its end (nothing has before).
        let cnt = if whole {
            d.hour_count(k)
        } else if i0 == 0 {
            d.arrived_by(k, n)
        } else {
            d.count(k, i0, i0 + n)
        };
        cs.arrived += cnt as u64;
        cs.served_total += cnt as u64;
        served_n += cnt;
        if pool_mu.0 != c.pool {
            let mu = if whole {
                d.hour_mu(c.pool)
            } else {
                let at = c.pool * d.stride + i0;
                d.mu[at..at + n].iter().sum::<f64>()
            };
            pool_mu = (c.pool, mu);
        }
        // The class's expected share of its pool's work in the block.
        let share = if whole {
            d.hour_share(sc, k, pool_mu.1)
        } else {
            d.share_of(sc, k, i0, i0 + n, pool_mu.1)
        };
        let busy = b.pool_work[c.pool] * share / dt_f * inv_n;
        tr.meter.claims[k] = Claim {
            held: busy,
            weight: busy * c.power_scale,
        };
        k += 1;
    }
    // Twins and missions hold their share once started (a block does not span a start).
    let on = |online_s: u64| if now >= online_s { 1.0 } else { 0.0 };
    for (s, w) in b.twin_sum.iter().zip(&sc.twins) {
        tr.meter.claims[k] = Claim {
            held: w.accelerators * on(w.online_s),
            weight: s * inv_n,
        };
        k += 1;
    }
    for (s, m) in b.defense_sum.iter().zip(&sc.defenses) {
        tr.meter.claims[k] = Claim {
            held: (m.need * m.active_copies + m.standby_capacity) * on(m.online_s),
            weight: s * inv_n,
        };
        k += 1;
    }
    let block_s = dt_f * n as f64;
    let split = tr.meter.attribute(&b.pool_power, block_s);
    let n_fixed = tr.meter.slot_base();
    tr.training
        .meter_jobs(&tr.meter.power_w[n_fixed..], block_s);
    (served_n, split)
}

/// The hourly meter takes each step's IT and facility power (`b.fac`, filled by [`fast`]),
/// with the block's mean split among sectors (its sums are the steps' sums) and the block's
/// requests.
fn record_block(
    tr: &mut Trial,
    b: &Blocks,
    split: &Split,
    n: usize,
    served_n: f64,
    trace: Option<&mut Vec<f64>>,
) {
    let f = &b.facility;
    let inv_n = 1.0 / n as f64;
    tr.hourly.record_block(
        &StepFigures {
            sector_w: split.sector_w,
            idle_unallocated_w: split.idle_unallocated_w,
            // The meter sums the IT and facility series itself.
            it_w: f64::NAN,
            installed_w: tr.fleet.installed_w,
            cooling_w: f.cooling_sum_w * inv_n,
            losses_w: f.losses_sum_w * inv_n,
            load_bank_w: f.load_bank_w,
            facility_w: f64::NAN,
            served_n,
            dropped_n: 0.0,
            curtailed_w: 0.0,
            onsite_water_l: f.water_l,
            throttled_acc: 0.0,
            heat_not_removed_w: 0.0,
            saturated: false,
            inlet_max_c: f.inlet_max_c,
            outdoor: tr.fac.is_physics().then_some(f.outdoor),
            unserved_w: 0.0,
        },
        &b.fac,
        &b.it,
    );
    if let Some(r) = tr.hourly.take_closed_ratio() {
        tr.meter.close_hour(r);
    }
    if let Some(t) = trace {
        t.extend_from_slice(&b.fac);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::rng::stream;
    use crate::sim::test_support::{close, pool_a, scenario};

    /// Three pools of one group each (each with a class: a study's pools serve a workload).
    fn three_pools() -> Scenario {
        scenario(&pool_a(
            r#"
[[site.group]]
name = "b"
server = "DGX-H100"
count = 6

[[site.group]]
name = "c"
server = "DGX-H100"
count = 3

[[consumer]]
name = "a"
pool = "a"
requests_per_day = 2.0e6
acc_s_per_request = 0.01
work_cv = 0.5

[[consumer]]
name = "b"
pool = "b"
requests_per_day = 2.0e6
acc_s_per_request = 0.01
work_cv = 0.5

[[consumer]]
name = "c"
pool = "c"
requests_per_day = 2.0e6
acc_s_per_request = 0.01
work_cv = 0.5

[facility]
kind = "fixed"
pue = 1.2
"#,
        ))
    }

    /// A twin, or a mission, short of room on its own pool at some steps (the twin at nearly
    /// full utilisation plus its edge work, the mission's copies at times above their
    /// accelerators) keeps its blocks, served its room at each such step as a stepped step
    /// serves it: no block is refused, and the workload's energy, the missions' unserved work,
    /// the energy and the step peak are the reference's to rounding (the study has no consumer
    /// class, so the engines draw nothing differently).
    #[test]
    fn a_twin_or_mission_short_of_room_keeps_its_block_served_as_a_step_is() {
        let twin = r#"
[[twin]]
name = "tw"
pool = "a"
allocation = 1.0
base_utilisation = 0.97
jitter_sd = 0.05
jitter_tau_h = 1.0
edge = { sensors = 1.0e4, events_per_sensor_day = 100, acc_s_per_event = 0.5 }
"#;
        let mission = r#"
[[defense]]
name = "m"
pool = "a"
accelerators = 20
utilisation = 0.95
ensemble = 2
redundancy = { policy = "active-active", copies = 2 }
jitter_sd = 0.08
"#;
        let fixed = "\n[facility]\nkind = \"fixed\"\npue = 1.2\n";
        for (what, body) in [("a twin", twin), ("a mission", mission)] {
            let sc = scenario(&pool_a(&format!("{body}{fixed}")));
            let mut b = Trial::new(&sc, 0);
            let tally = run(&mut b, true, None);
            let mut r = Trial::new(&sc, 0);
            for s in 0..sc.horizon_s / sc.step_s {
                r.step(s, true);
            }
            let (r, b) = (r.finish().summary, b.finish().summary);
            assert_eq!(
                (tally.replayed_blocks, tally.stepped_steps),
                (0, 0),
                "{what}: a block refused or a step stepped"
            );
            assert!(tally.fast_blocks >= 24, "{what}: {tally:?}");
            let same = |x: f64, y: f64, name: &str| close(y, x, 1e-9, &format!("{what}: {name}"));
            same(r.energy_mwh, b.energy_mwh, "energy");
            same(r.peak_step_mw, b.peak_step_mw, "step peak");
            let own = |s: &crate::sim::TrialSummary| -> f64 {
                s.twin_mwh.iter().chain(&s.mission_mwh).sum()
            };
            same(own(&r), own(&b), "the workload's energy");
            same(
                r.defense_unserved_acc_h,
                b.defense_unserved_acc_h,
                "the missions' unserved work",
            );
            if what == "a mission" {
                assert!(r.defense_unserved_acc_h > 1.0, "{what}: never short");
            }
        }
    }

    /// The fused pass ([`pools_power`]) gives what [`consumers_fit`], [`group_power`] and
    /// [`pool_work_sums`] give, bit for bit, over random blocks of random hours: whether it
    /// binds, and if not each group's and the block's IT series, the pools' power and the
    /// consumers' work (some pools' servers partly out of service, some steps over capacity).
    #[test]
    fn the_fused_pool_pass_is_the_two_passes_bit_for_bit() {
        use crate::base::rng::{TAG_PARAMS, uniform};
        let sc = three_pools();
        let mut tr = Trial::new(&sc, 0);
        let mut b = Blocks::new(&sc, 0, 60);
        assert!(b.one_group);
        // The outer pools as if they had no consumers (a twin's, training's, a mission's).
        b.draws.has_class[0] = false;
        b.draws.has_class[2] = false;
        let np = sc.fleet.pools.len();
        let mut rng = stream(99, TAG_PARAMS, 0);
        let (mut fits, mut binds) = (0, 0);
        for hour in 0..400 {
            b.draws
                .draw(&sc, &mut tr.work, ((hour * 60) % 10_080, 0), 0, 60);
            let n = 1 + (uniform(&mut rng) * 60.0) as usize;
            let i0 = ((uniform(&mut rng) * (61 - n) as f64) as usize).min(60 - n);
            for p in 0..np {
                b.cap[p] = sc.fleet.pools[p].capacity;
                b.idle[p] = 1e4 * (1.0 + uniform(&mut rng));
                tr.fleet.alive[p] = if uniform(&mut rng) < 0.3 { 0.75 } else { 1.0 };
            }
            b.used.clear();
            b.held.clear();
            // Every fifth hour steps used above capacity now and then, every fifth a pool
            // claimed up to (about) its capacity: the consumers' work binds.
            let (top, claimed) = match hour % 5 {
                0 => (1.05, 0.5),
                1 => (0.9, 1.0 - 1e-3 * uniform(&mut rng)),
                _ => (0.9, 0.5),
            };
            for p in 0..np {
                let (c, h) = (b.cap[p], b.cap[p] * claimed * uniform(&mut rng).max(0.9));
                for _ in 0..n {
                    b.used.push(c * top * uniform(&mut rng));
                }
                b.held.push(h);
            }
            b.busy_w.resize(np * n, 0.0);
            b.group_it.fill(f64::NAN);
            let two = consumers_fit(&tr, &mut b, n, i0) && {
                group_power(&tr, &mut b, n);
                pool_work_sums(&mut b, n, i0);
                true
            };
            let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            let power = |b: &Blocks| {
                (b.pool_power.iter())
                    .map(|p| {
                        (
                            p.power_w.to_bits(),
                            p.idle_w.to_bits(),
                            p.capacity.to_bits(),
                        )
                    })
                    .collect::<Vec<_>>()
            };
            let want = (
                bits(&b.group_it[..np * n]),
                bits(&b.it),
                power(&b),
                bits(&b.pool_work),
            );
            b.group_it.fill(f64::NAN);
            b.it.fill(f64::NAN);
            b.pool_work.fill(f64::NAN);
            b.pool_power.fill(PoolPower::default());
            let one = pools_power(&tr, &mut b, n, i0);
            assert_eq!(one, two, "hour {hour}: binds in one and not the other");
            if !one {
                binds += 1;
                continue;
            }
            fits += 1;
            let got = (
                bits(&b.group_it[..np * n]),
                bits(&b.it),
                power(&b),
                bits(&b.pool_work),
            );
            assert_eq!(got, want, "hour {hour}, steps {i0}..{}", i0 + n);
        }
        assert!(fits > 100 && binds > 20, "fits {fits}, binds {binds}");
    }

    /// The fast path with pools held a figure a run ([`PoolUse`]) gives the same trial, bit for
    /// bit, as with every pool held step by step: the default study (its training pool held by
    /// spans across carried checkpoints, its enclave by the mission's runs), over 90 days,
    /// with its physics facility (which reads each group's IT series) and with a fixed PUE,
    /// and with the enclave's servers (and so its mission) coming online only on 1 February
    /// (out of service, at `alive` 0, before: the curve scaled, the pool held by spans, then
    /// by the mission's runs), every hourly figure and the summary.
    #[test]
    fn pools_held_by_runs_give_the_steps_trial_bit_for_bit() {
        let lib = crate::model::library::Library::builtin().expect("built-in library");
        let base =
            crate::scenario::DEFAULT_RUN.replace("horizon_hours = 8760", "horizon_hours = 2160");
        assert_ne!(base, crate::scenario::DEFAULT_RUN);
        let late = base.replace(
            "count = 150\n",
            "count = 150\nonline = \"2025-02-01\"\ncommissioning_days = 0\n",
        );
        assert_ne!(late, base);
        let fixed = |t: &str| {
            let at = t.find("\n[facility]").expect("a facility section");
            let rest = &t[at + 1..];
            let end = rest[1..].find("\n[").map_or(rest.len(), |e| e + 1);
            format!(
                "{}[facility]\nkind = \"fixed\"\npue = 1.25\n{}",
                &t[..at + 1],
                &rest[end..]
            )
        };
        for (what, text) in [
            ("physics", base.clone()),
            ("fixed", fixed(&base)),
            ("late enclave", fixed(&late)),
        ] {
            let sc = Scenario::from_source(
                &crate::base::error::Source::new("t.toml", &text),
                "t",
                std::path::Path::new("."),
                &lib,
            )
            .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(sc.facility.is_physics(), what == "physics", "{what}");
            // The pools' holds at the first step: inference, twins, training, enclave.
            let mut tr = Trial::new(&sc, 1);
            let mut b = Blocks::new(&sc, 1, 60);
            classify(&tr, &mut b, 0);
            use PoolUse::*;
            // (The late enclave's mission starts with its servers: nothing runs there before.)
            let at_0 = if what == "late enclave" { Spans } else { Runs };
            assert_eq!(b.pool_use, [Steps, Steps, Spans, at_0], "{what}");
            let on = sc.defenses[0].online_s;
            assert_eq!(on > 0, what == "late enclave", "{what}");
            classify(&tr, &mut b, on);
            assert_eq!(b.pool_use, [Steps, Steps, Spans, Runs], "{what}");
            let routes = Routes {
                fast: true,
                queued: true,
                mixed: true,
            };
            let tally = run_routes_with(&mut tr, true, None, routes, true);
            let mut s = Trial::new(&sc, 1);
            let tally_s = run_routes_with(&mut s, true, None, routes, false);
            assert_eq!(tally, tally_s, "{what}");
            assert!(tally.fast_blocks > 1000, "{what}: {tally:?}");
            let (got, want) = (tr.finish(), s.finish());
            let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert!(
                bits(&got.hourly) == bits(&want.hourly),
                "{what}: hourly rows differ"
            );
            assert_eq!(
                format!("{:?}", got.summary),
                format!("{:?}", want.summary),
                "{what}"
            );
        }
    }

    /// A mission first on its pool served run by run ([`FirstRuns`]) is what [`take`] makes of
    /// its steps, bit for bit: the pool's use, the sum over the block and the unserved work
    /// (added in step order), over random blocks, phases and rooms, short at some steps.
    #[test]
    fn a_mission_served_run_by_run_is_take_bit_for_bit() {
        use crate::base::rng::{TAG_PARAMS, uniform};
        let mut rng = stream(11, TAG_PARAMS, 0);
        let mut short_n = 0;
        for round in 0..2_000 {
            let n = 1 + (uniform(&mut rng) * 60.0) as usize;
            let moves = JitterMoves {
                first: (uniform(&mut rng) * 5.0) as usize,
                every: 5,
            };
            let levels: Vec<f64> = (0..=n).map(|_| 100.0 * uniform(&mut rng)).collect();
            let r = 70.0 + 40.0 * uniform(&mut rng);
            let draw = |out: &mut [f64]| {
                for (k, (a, b, _)) in moves.runs(out.len()).enumerate() {
                    out[a..b].fill(levels[k]);
                }
            };
            let dt_f = 60.0;
            let start = 1e3 * uniform(&mut rng);
            let (mut used1, mut scratch, mut unserved1) = (vec![0.0; n], vec![0.0; n], start);
            let sum1 = take(
                &mut used1,
                &mut scratch,
                true,
                draw,
                |u| (r - u).max(0.0),
                |short| unserved1 += short * dt_f,
            )
            .unwrap();
            let (mut used2, mut unserved2) = (vec![f64::NAN; n], start);
            let mut f = FirstRuns {
                sink: |a, b, x| used2[a..b].fill(x),
                r,
                sum: 0.0,
            };
            for (k, (a, b, _)) in moves.runs(n).enumerate() {
                f.run(a, b, levels[k], |short| unserved2 += short * dt_f);
            }
            let sum2 = f.sum;
            let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&used1), bits(&used2), "round {round}");
            assert_eq!(sum1.to_bits(), sum2.to_bits(), "round {round}");
            assert_eq!(unserved1.to_bits(), unserved2.to_bits(), "round {round}");
            short_n += usize::from(unserved1 != start);
        }
        assert!(short_n > 200, "{short_n}");
    }

    /// Two weeks of trial `trial` of `sc`, each block that carries events of at least two steps
    /// given to `f` (the trial, the engine's block buffers, its first step and its length, the
    /// trial at its start), the rest stepped on as the reference steps them; after `f`, on past
    /// the block as the engine's fast path leaves it (its events applied).
    fn each_carrying_block(
        sc: &Scenario,
        trial: u32,
        mut f: impl FnMut(&mut Trial, &mut Blocks, u64, usize),
    ) {
        let mut tr = Trial::new(sc, trial);
        let sph = tr.steps_per_hour as usize;
        let mut b = Blocks::new(sc, trial, sph);
        let dt = sc.step_s;
        let mut step = 0;
        while step < 14 * 24 * sph as u64 {
            tr.begin(step);
            let end = block_end(&tr, step, sc.horizon_s / dt, &b.starts);
            let n = (end - step) as usize;
            let carry = tr.events.next_time().div_ceil(dt) < end;
            if !carry || n < 2 {
                tr.step(step, true);
                step += 1;
                continue;
            }
            f(&mut tr, &mut b, step, n);
            for s in step + 1..end {
                tr.begin(s);
            }
            tr.tick_week_by(n);
            step = end;
        }
    }

    /// Training's claim weights summed only where a slot's changes ([`training_steps`]) are the
    /// sums step by step, bit for bit: the default study's trainings (checkpoints every 30 and
    /// 60 minutes, several slots) over the blocks of two weeks, each block's events applied once
    /// through [`training_steps`] and once a step at a time with every slot's weight added at
    /// every step (its training state and queue put back between).
    #[test]
    fn training_weights_summed_where_they_change_are_the_steps_sums() {
        let lib = crate::model::library::Library::builtin().expect("built-in library");
        let sc = Scenario::default_study(&lib).expect("default study");
        let dt = sc.step_s;
        let (mut blocks, mut changed) = (0, 0);
        each_carrying_block(&sc, 3, |tr, b, step, n| {
            let n_fixed = tr.meter.slot_base();
            let (events, mut snap) = (tr.events.clone(), TrainingSnapshot::default());
            tr.training.snapshot(&mut snap);
            let claims0 = tr.meter.claims.clone();
            training_steps(tr, b, step, n, true, false);
            let got = b.train_w.clone();
            tr.events = events;
            tr.training.restore(&snap);
            tr.meter.claims = claims0;
            let mut want = vec![0.0; got.len()];
            for j in 0..n {
                let t = (step + j as u64) * dt;
                while let Some((_, e)) = tr.events.pop_due(t) {
                    let claims = &mut tr.meter.claims[n_fixed..];
                    (tr.training).on_carried(&sc.trainings, e, t, &mut tr.events, claims);
                    changed += 1;
                }
                for (w, c) in want.iter_mut().zip(&tr.meter.claims[n_fixed..]) {
                    if c.weight != 0.0 {
                        *w += c.weight;
                    }
                }
            }
            let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "block at step {step}");
            blocks += 1;
        });
        assert!(
            blocks > 100 && changed > 300,
            "{blocks} blocks, {changed} events"
        );
    }

    /// A fast block's events held apart ([`training_steps`] with `apart`) leave the queue as
    /// one queue would, kept or refused: over the default study's blocks that carry
    /// checkpoints (two weeks), the queue after a kept block (the held events moved in) is the
    /// queue the events applied in place give, event for event, and after a refused one
    /// ([`refuse`]) the queue before it, and the training state is the same either way.
    #[test]
    fn events_held_apart_leave_the_queue_as_one_queue_would() {
        let lib = crate::model::library::Library::builtin().expect("built-in library");
        let sc = Scenario::default_study(&lib).expect("default study");
        let (mut blocks, mut pushed) = (0, 0);
        each_carrying_block(&sc, 5, |tr, b, step, n| {
            let before = format!("{:?}", tr.events);
            let mut snap = TrainingSnapshot::default();
            tr.training.snapshot(&mut snap);
            tr.work.snapshot(&mut b.snap);
            // In place, on a copy.
            let (events, claims0) = (tr.events.clone(), tr.meter.claims.clone());
            training_steps(tr, b, step, n, true, false);
            let (want_q, want_busy) = (format!("{:?}", tr.events), tr.training.busy.clone());
            tr.events = events;
            tr.training.restore(&snap);
            tr.meter.claims = claims0.clone();
            // Apart and refused: the queue as it was.
            tr.training.snapshot(&mut b.training_snap);
            training_steps(tr, b, step, n, true, true);
            assert!(!b.popped.is_empty(), "block at step {step}: nothing taken");
            pushed += usize::from(b.pushed.next_time() != u64::MAX);
            refuse(tr, b, true);
            assert_eq!(format!("{:?}", tr.events), before, "refused at step {step}");
            tr.meter.claims = claims0;
            // Apart and kept: the held events moved in.
            training_steps(tr, b, step, n, true, true);
            while let Some((t, e)) = b.pushed.pop_due(u64::MAX) {
                tr.events.push(t, e);
            }
            assert_eq!(format!("{:?}", tr.events), want_q, "kept at step {step}");
            assert_eq!(tr.training.busy, want_busy, "kept at step {step}");
            blocks += 1;
        });
        assert!(
            blocks > 100 && pushed > 100,
            "{blocks} blocks, {pushed} held"
        );
    }
}
