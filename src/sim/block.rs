//! The two-rate engine (issue 20): a quiet span of steps is drawn as one block, the rest is
//! stepped layer by layer, on the same draws.
//!
//! Consumer arrivals are drawn once per class and hour, whatever happens within the hour: the
//! hour's whole requests (Poisson, as the sum of the steps' Poisson counts is) and their work,
//! then, per pool, the work arriving at each step as a Gaussian bridge of the steps' compound
//! Poisson work conditioned on the hour's total (independent normals `z_i ~ N(mu_i, v_i)`
//! shifted by `v_i / V` of the gap to the total: exactly the normals' law given their sum).
//! A class's requests reach the steps in proportion to its expected arrivals (cumulative
//! rounding keeps them whole and conserved) and its work is its expected share of the pool's
//! step. Because the hour is drawn up front, a stepped step takes its arrivals from the same
//! draws as a block would: a block that turns out to bind is stepped again on them, never
//! redrawn, so no threshold rule biases the tails.
//!
//! A block runs from a step to the next event, hour, build-out change or daylight-saving
//! change; a training checkpoint's start and end do not end it (they only lower and restore
//! their job's utilisation, which the block follows step by step, with the job's claim at its
//! mean over the block), so an hour with a checkpoint is one block, not three. It takes the fast path only when, at its start, no class has queued or held work,
//! no twin owes work, no ramp of the build-out or demand-response event is under way and the
//! facility is at rest, and then only if no step of the block binds: every workload gets its demand, no pool runs above its capacity or claims
//! more than it has, and the facility stays quiet ([`crate::model::facility::block`]). The
//! twins' and missions' draws are the steps' own in either path: a block draws each one's
//! demand for all its steps in one pass (`block_demand` of `TwinState` and `DefenseState`)
//! from its own stream in the order the steps would (the jitter's normal when it
//! moves, every fifth 60-s step, then the step's edge-event count), with the constants worked
//! out once and the normals from an inlined copy of rand_distr's ziggurat (`base::ziggurat`,
//! the same numbers); the campaign or surge is constant (its events end blocks) and the week
//! table is read step after step (a block spans no clock change). So the AR(1) jitter is
//! carried across blocks exactly, each step's edge count is the reference's, and a refused
//! block restores their streams and steps again on the same numbers. On the fast path
//! the meter splits the block's mean power at its mean claims over the block's length (exact
//! for the linear server curves the engine requires), and the hourly meter takes each step's
//! IT and facility power with the block's mean split.
//!
//! Demand response and an import limit are modelled between their events: a block starts only
//! when no event is active and nothing is held, and is refused if a step would draw above the
//! limit. Studies with what the fast path does not model yet (server failures, backup power,
//! trace replay, non-linear server curves) are stepped throughout, on the same hourly draws: a
//! study with one and its variant without stay paired.

use super::Trial;
use super::events::EventQueue;
use super::hourly::StepFigures;
use super::meter::{Claim, PoolPower, Split};
use super::training::{TrainingSnapshot, carried_in_block};
use super::workload::{WorkSnapshot, Workloads, round_nonneg};
use crate::base::rng::{Stream, TAG_BRIDGE, normal, poisson_count, stream};
use crate::base::time::SimTime;
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
pub(super) fn run(tr: &mut Trial, dr_on: bool, mut trace: Option<&mut Vec<f64>>) -> EngineTally {
    let sc = tr.sc;
    let total = sc.horizon_s / sc.step_s;
    let sph = tr.steps_per_hour;
    let mut tally = EngineTally::default();
    let mut b = Blocks::new(sc, tr.trial, sph as usize);
    let fast_ok = eligible(sc);
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
        if fast_ok && quiet(tr) {
            if fast(tr, &mut b, step, end, trace.as_deref_mut()) {
                tally.fast_steps += end - step;
                tally.fast_blocks += 1;
                step = end;
                continue;
            }
            // Refused: step the block again on the same draws.
            tally.replayed_steps += end - step;
            tally.replayed_blocks += 1;
            for s in step..end {
                if s > step {
                    tr.begin(s);
                }
                let given = b.draws.given(tr, s);
                let f = tr.body(s, dr_on, Some(given));
                if let Some(t) = trace.as_deref_mut() {
                    t.push(f);
                }
            }
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
    /// The queue and training state before a block that carries checkpoints, and the training
    /// slots' claim weights summed over its steps.
    events_snap: EventQueue,
    training_snap: TrainingSnapshot,
    train_w: Vec<f64>,
    /// Per pool: capacity, idle power, training's claims.
    cap: Vec<f64>,
    idle: Vec<f64>,
    training_held: Vec<f64>,
    /// Per pool and step of the block (pool-major): accelerators in use, busy at power weight,
    /// claimed.
    used: Vec<f64>,
    busy_w: Vec<f64>,
    held: Vec<f64>,
    /// The block's spans of steps between checkpoint events (`[start, end)`, in order), and
    /// each training's busy accelerators over each span (span-major).
    spans: Vec<(usize, usize)>,
    span_busy: Vec<f64>,
    /// Per step of the block: whether the jitter processes advance.
    jitter_now: Vec<bool>,
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
            events_snap: EventQueue::default(),
            training_snap: TrainingSnapshot::default(),
            train_w: Vec::new(),
            cap: vec![0.0; np],
            idle: vec![0.0; np],
            training_held: vec![0.0; np],
            used: Vec::new(),
            busy_w: Vec::new(),
            held: Vec::new(),
            spans: Vec::new(),
            span_busy: Vec::new(),
            jitter_now: Vec::new(),
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
        b.events_snap.clone_from(&tr.events);
        tr.training.snapshot(&mut b.training_snap);
    }
    tr.fleet
        .open_pools(&sc.fleet, tr.fac.thermal(), &mut tr.pools);
    // Training's claims are the block's (nothing starts, ends or checkpoints inside it).
    let n_fixed = tr.meter.slot_base();
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
    // (`group_power` writes every group's and the block's IT series afresh.)
    let ng = sc.fleet.groups.len();
    b.twin_sum.fill(0.0);
    b.defense_sum.fill(0.0);
    for pp in b.pool_power.iter_mut() {
        *pp = PoolPower::default();
    }
    if !block_steps(tr, b, s0, n, i0, carry) {
        refuse(tr, b, carry);
        return false;
    }
    let hour = (s0 / tr.steps_per_hour) as usize;
    // The facility also gives each step's facility power, once: for the limit and the hourly
    // meter.
    if !tr.fac.quiet_block(
        &b.group_it[..ng * n],
        &b.it,
        hour,
        dt_f,
        &mut b.facility,
        &mut b.fac,
    ) {
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

/// A block's steps within its hour: `n` from step `i0`, `whole` if they are the hour's all.
#[derive(Clone, Copy)]
struct BlockSpan {
    n: usize,
    i0: usize,
    whole: bool,
}

/// A refused block: the workloads' streams (and with `carry` the queue and the jobs) as they
/// were at its start, to be stepped again on the same draws.
fn refuse(tr: &mut Trial, b: &Blocks, carry: bool) {
    tr.work.restore(&b.snap);
    if carry {
        tr.events.clone_from(&b.events_snap);
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
    let sc = tr.sc;
    let np = tr.pools.len();
    for (c, p) in b.cap.iter_mut().zip(&tr.pools) {
        *c = p.capacity;
    }
    let alive = &tr.fleet.alive;
    b.idle.fill(0.0);
    for (gi, g) in sc.fleet.groups.iter().enumerate() {
        b.idle[g.pool] += alive[gi] * g.servers * g.server_idle_w;
    }
    b.used.clear();
    b.used.resize(np * n, 0.0);
    // (`consumers_fit` writes every step of every pool's `busy_w`.)
    if b.busy_w.len() < np * n {
        b.busy_w.resize(np * n, 0.0);
    }
    b.held.clear();
    for &h in &b.training_held {
        b.held.extend(std::iter::repeat_n(h, n));
    }
    b.jitter_now.clear();
    for _ in 0..n {
        let now = tr.work.tick_jitter();
        b.jitter_now.push(now);
    }
    training_steps(tr, b, s0, n, carry);
    if !(missions_and_twins(tr, b, s0, n) && training_fits(tr, b, n)) {
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

/// Training's busy accelerators over the block, span by span (`b.spans`, `b.span_busy`): one
/// span unless the block carries checkpoints, whose events are applied at their steps.
fn training_steps(tr: &mut Trial, b: &mut Blocks, s0: u64, n: usize, carry: bool) {
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
    b.train_w.clear();
    b.train_w.resize(tr.meter.claims.len() - n_fixed, 0.0);
    // Span by span between the steps an event is due at: the jobs' busy accelerators and
    // claim weights are constant within a span (summed step by step, as a stepped step would;
    // an idle slot's weight is zero and adds nothing).
    let mut j = 0;
    while j < n {
        let t = (s0 + j as u64) * dt;
        while let Some((_, e)) = tr.events.pop_due(t) {
            let claims = &mut tr.meter.claims[n_fixed..];
            tr.training
                .on_carried(&sc.trainings, e, t, &mut tr.events, claims);
        }
        let next = tr.events.next_time();
        let end = if next == u64::MAX {
            n
        } else {
            (next.div_ceil(dt).saturating_sub(s0) as usize).clamp(j + 1, n)
        };
        for (w, c) in b.train_w.iter_mut().zip(&tr.meter.claims[n_fixed..]) {
            if c.weight != 0.0 {
                for _ in j..end {
                    *w += c.weight;
                }
            }
        }
        b.spans.push((j, end));
        b.span_busy.extend_from_slice(&tr.training.busy);
        j = end;
    }
}

/// Missions, then twins, at every step of the block; false if one does not fit its pool. A
/// block does not span a start, so a workload not started at its start asks nothing. Each
/// workload's demand is drawn for the whole block first (the same draws, in the same order, as
/// its steps would make: see
/// [`super::workload::TwinState::block_demand`]), then checked and summed step by step.
fn missions_and_twins(tr: &mut Trial, b: &mut Blocks, s0: u64, n: usize) -> bool {
    let sc = tr.sc;
    let dt = sc.step_s;
    let now = s0 * dt;
    let wm = &tr.wm;
    let (cap, used, held) = (&b.cap, &mut b.used, &mut b.held);
    b.demand.resize(n, 0.0);
    let demand = &mut b.demand[..n];
    let work: &mut Workloads = &mut tr.work;
    for (k, (ds, d)) in work.defenses.iter_mut().zip(wm.defenses).enumerate() {
        if now < d.online_s {
            continue;
        }
        ds.block_demand(d, &b.jitter_now, demand);
        let (c, claim) = (cap[d.pool], d.need * d.active_copies + d.standby_capacity);
        let Some(sum) = take(
            &mut used[d.pool * n..(d.pool + 1) * n],
            &mut held[d.pool * n..(d.pool + 1) * n],
            demand,
            claim,
            |u| (c - u - d.standby_capacity).max(0.0),
        ) else {
            return false;
        };
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
        w_s.block_demand(w, dt, w0, &b.jitter_now, demand);
        let c = cap[w.pool];
        let Some(sum) = take(
            &mut used[w.pool * n..(w.pool + 1) * n],
            &mut held[w.pool * n..(w.pool + 1) * n],
            demand,
            w.accelerators,
            |u| c - u,
        ) else {
            return false;
        };
        b.twin_sum[k] += sum;
    }
    true
}

/// A workload's `demand` at each step taken from its pool's `used` (up to `room` of what is
/// used), its `claim` added to `held`; its demand summed over the block in step order, None if
/// a step binds (`used` and `held` are then scratch the refused block drops). One pass without
/// an early exit, so the compiler can run it two steps at a time.
#[inline(always)]
fn take(
    used: &mut [f64],
    held: &mut [f64],
    demand: &[f64],
    claim: f64,
    room: impl Fn(f64) -> f64,
) -> Option<f64> {
    let mut binds = false;
    for ((u, h), &x) in used.iter_mut().zip(held.iter_mut()).zip(demand) {
        binds |= x > room(*u);
        *u += x;
        *h += claim;
    }
    (!binds).then(|| demand.iter().fold(0.0, |a, &x| a + x))
}

/// Training's busy accelerators on their pools at every step; false if a job does not fit.
fn training_fits(tr: &Trial, b: &mut Blocks, n: usize) -> bool {
    let nt = tr.wm.training_pools.len();
    for (k, &p) in tr.wm.training_pools.iter().enumerate() {
        let c = b.cap[p];
        // Training is not served out of what the pool keeps for its consumer classes.
        let kept = tr.wm.kept_for_consumers(p, c);
        let used = &mut b.used[p * n..(p + 1) * n];
        let mut over = false;
        for (&(j0, j1), busy) in b.spans.iter().zip(b.span_busy.chunks_exact(nt)) {
            let busy = busy[k];
            for u in &mut used[j0..j1] {
                over |= busy > c - *u - kept;
                *u += busy;
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
        let (used, held, busy_w) = (&b.used[r.clone()], &b.held[r.clone()], &mut b.busy_w[r]);
        let mut over = false;
        if !d.has_class[p] {
            busy_w.copy_from_slice(used);
            for (&u, &h) in used.iter().zip(held) {
                over |= (u > c) | (h > c);
            }
        } else {
            let at = p * d.stride + i0;
            let (work, scale) = (&d.pool_w[at..at + n], &d.pool_scale[at..at + n]);
            for ((((bw, &u), &h), &w), &sc) in
                busy_w.iter_mut().zip(used).zip(held).zip(work).zip(scale)
            {
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
    for (p, g) in tr.sc.fleet.groups.iter().enumerate() {
        let (c, a, r) = (b.cap[p], alive[p], p * n..(p + 1) * n);
        let (used, x, it) = (&b.used[r.clone()], &mut b.group_it[r], &mut b.it[..]);
        let h = b.held[p * n];
        let curve = server_curve(g, c);
        let (over, work) = if !d.has_class[p] {
            // Its busy weight is its use (nothing of a consumer's to add).
            let over = if a == 1.0 {
                used_series(used, x, it, c, &curve)
            } else {
                used_series(used, x, it, c, |bw| a * curve(bw))
            };
            (over | (h > c), None)
        } else {
            let at = p * d.stride + i0;
            let (work, scale) = (&d.pool_w[at..at + n], &d.pool_scale[at..at + n]);
            let f = PoolStepFigures { c, h, dt_f };
            let over = if a == 1.0 {
                class_series(used, work, scale, x, it, &f, &curve)
            } else {
                class_series(used, work, scale, x, it, &f, |bw| a * curve(bw))
            };
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
    let mean = |x: &[f64]| x.iter().sum::<f64>() * inv_n;
    tr.hourly.record_block(
        &StepFigures {
            sector_w: split.sector_w,
            idle_unallocated_w: split.idle_unallocated_w,
            // The meter sums the IT and facility series itself.
            it_w: f64::NAN,
            installed_w: tr.fleet.installed_w,
            cooling_w: mean(&f.cooling_w),
            losses_w: mean(&f.losses_w),
            load_bank_w: f.load_bank_w,
            facility_w: f64::NAN,
            served_n,
            dropped_n: 0.0,
            curtailed_w: 0.0,
            onsite_water_l: f.water_l.iter().sum(),
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

/// One hour of consumer arrivals, drawn at the hour's start (see the module's doc). A class's
/// expected arrivals over any span of steps come from its week shape's prefix sums, so class
/// figures cost nothing per step; only the pools' steps are drawn one by one.
struct HourDraws {
    /// Steps per hour: the stride of the per-step tables.
    stride: usize,
    /// Per class: prefix sums of its week shape over two weeks (a span never wraps), and the
    /// shape itself over two weeks (an hour's steps are one slice).
    prefix: Vec<Vec<f64>>,
    week2: Vec<Vec<f64>>,
    /// Per pool: its classes (trace classes are read from their traces instead).
    pool_classes: Vec<Vec<usize>>,
    /// The hour's classes on the pool being expected (scratch).
    runs: Vec<ClassRun>,
    /// Per class: the hour's first week step, the first step of the hour it is started (its
    /// `online` date; 0 when started before the hour, the hour's length when not yet),
    /// expected requests per unit of shape, the hour's expected and drawn requests.
    w0: Vec<usize>,
    from: Vec<usize>,
    rate: Vec<f64>,
    expected: Vec<f64>,
    n: Vec<f64>,
    /// Per pool and step: consumer work arriving (accelerator-seconds), its expected value and
    /// variance, and the expected power scale of the work.
    pool_w: Vec<f64>,
    mu: Vec<f64>,
    var: Vec<f64>,
    pool_scale: Vec<f64>,
    /// Per pool: the hour's drawn work, the sums over the hour of its steps' expected work and
    /// variance, whether any class arrives on it.
    total: Vec<f64>,
    sums: Vec<(f64, f64)>,
    has_class: Vec<bool>,
    bridge: Vec<Stream>,
    given: Vec<(f64, f64)>,
}

impl HourDraws {
    fn new(sc: &Scenario, trial: u32, stride: usize) -> HourDraws {
        let (nc, np) = (sc.consumers.len(), sc.fleet.pools.len());
        let prefix = sc
            .consumers
            .iter()
            .map(|c| {
                let f = &c.week.factors;
                let mut p = Vec::with_capacity(2 * f.len() + 1);
                let mut acc = 0.0;
                p.push(acc);
                for &x in f.iter().chain(f.iter()) {
                    acc += f64::from(x);
                    p.push(acc);
                }
                p
            })
            .collect();
        let week2 = sc
            .consumers
            .iter()
            .map(|c| {
                let f = &c.week.factors;
                f.iter().chain(f.iter()).map(|&x| f64::from(x)).collect()
            })
            .collect();
        let mut has_class = vec![false; np];
        let mut pool_classes = vec![Vec::new(); np];
        for (k, c) in sc.consumers.iter().enumerate() {
            has_class[c.pool] = true;
            if c.trace.is_none() {
                pool_classes[c.pool].push(k);
            }
        }
        HourDraws {
            stride,
            prefix,
            week2,
            pool_classes,
            runs: Vec::new(),
            w0: vec![0; nc],
            from: vec![0; nc],
            rate: vec![0.0; nc],
            expected: vec![0.0; nc],
            n: vec![0.0; nc],
            pool_w: vec![0.0; np * stride],
            mu: vec![0.0; np * stride],
            var: vec![0.0; np * stride],
            pool_scale: vec![1.0; np * stride],
            total: vec![0.0; np],
            sums: vec![(0.0, 0.0); np],
            has_class,
            bridge: (0..np)
                .map(|p| stream(sc.seed, TAG_BRIDGE + p as u64, trial))
                .collect(),
            given: vec![(0.0, 0.0); nc],
        }
    }

    /// Draws the hour starting at week steps `ws` (study clock) and `wsf` (fixed offset) and
    /// at step `step0` of the study, `steps` long: each class's requests and work from its own
    /// stream (from its start on: none before), then each pool's steps from its bridge stream.
    fn draw(
        &mut self,
        sc: &Scenario,
        work: &mut Workloads,
        (ws, wsf): (usize, usize),
        step0: u64,
        steps: usize,
    ) {
        let dt_f = sc.step_s as f64;
        self.total.fill(0.0);
        for (k, (cs, c)) in work.consumers.iter_mut().zip(&sc.consumers).enumerate() {
            let from = c.online_s.div_ceil(sc.step_s).saturating_sub(step0) as usize;
            self.from[k] = from.min(steps);
            if c.trace.is_some() || from >= steps {
                // A trace's arrivals are read step by step from the trace; a class not started
                // in the hour draws nothing.
                (self.rate[k], self.expected[k], self.n[k]) = (0.0, 0.0, 0.0);
                continue;
            }
            let w0 = if c.week.own_clock { wsf } else { ws };
            let rate = c.requests_per_s * dt_f * cs.growth;
            let p = &self.prefix[k];
            let lam = rate * (p[w0 + steps] - p[w0 + from]);
            let n = poisson_count(lam, &mut cs.rng);
            (self.w0[k], self.rate[k], self.expected[k], self.n[k]) = (w0, rate, lam, n);
            self.total[c.pool] += c.work.sum(n, &mut cs.rng);
        }
        for p in 0..self.total.len() {
            if self.has_class[p] {
                self.expect_pool(sc, p, steps);
                self.bridge_pool(p, steps);
            }
        }
    }

    /// A pool's expected work, its variance and its power scale at each step of the hour, and
    /// their sums over the hour. Each step's figures are summed class by class in the classes'
    /// order; `TILE` steps at a time with every class's factors (the rates change every hour
    /// with growth, so nothing is tabled across hours).
    fn expect_pool(&mut self, sc: &Scenario, p: usize, steps: usize) {
        self.runs.clear();
        for &k in &self.pool_classes[p] {
            let from = self.from[k];
            if from >= steps {
                continue;
            }
            let c = &sc.consumers[k];
            let (m, cv) = (c.work.mean, c.work.cv);
            let (a, v) = (self.rate[k] * m, self.rate[k] * m * m * (1.0 + cv * cv));
            self.runs.push(ClassRun {
                a,
                v,
                ap: a * c.power_scale,
                k,
                from,
                // The week step of the hour's first step (a slice of `week2` never wraps).
                at: self.w0[k],
            });
        }
        let at = p * self.stride;
        let (mu, var, scale) = (
            &mut self.mu[at..at + steps],
            &mut self.var[at..at + steps],
            &mut self.pool_scale[at..at + steps],
        );
        let (runs, week2) = (&self.runs[..], &self.week2);
        let (mut m_sum, mut v_sum) = (0.0, 0.0);
        let mut put = |i: usize, m: f64, v: f64, s: f64| {
            mu[i] = m;
            var[i] = v;
            scale[i] = if m > 0.0 { s / m } else { 1.0 };
            m_sum += m;
            v_sum += v;
        };
        let mut i = 0;
        while i < steps {
            // A class not started yet adds nothing to a step (whole tiles only once all are).
            if i + TILE <= steps && runs.iter().all(|r| r.from <= i) {
                let (m, v, s) = expect_steps::<TILE>(runs, week2, i);
                for t in 0..TILE {
                    put(i + t, m[t], v[t], s[t]);
                }
                i += TILE;
            } else {
                let ([m], [v], [s]) = expect_steps::<1>(runs, week2, i);
                put(i, m, v, s);
                i += 1;
            }
        }
        self.sums[p] = (m_sum, v_sum);
    }

    /// The pool's work at each step: the bridge conditioned on the hour's drawn total, or the
    /// total spread by expectation when a step would come out negative (pools whose steps see
    /// a handful of requests).
    fn bridge_pool(&mut self, p: usize, steps: usize) {
        let s = self.stride;
        let (mu, var) = (
            &self.mu[p * s..p * s + steps],
            &self.var[p * s..p * s + steps],
        );
        let w = &mut self.pool_w[p * s..p * s + steps];
        let total = self.total[p];
        let (m_sum, v_sum) = self.sums[p];
        if m_sum <= 0.0 {
            w.fill(0.0);
            return;
        }
        let rng = &mut self.bridge[p];
        let mut z_sum = 0.0;
        for ((x, &m), &v) in w.iter_mut().zip(mu).zip(var) {
            *x = m + v.sqrt() * normal(rng);
            z_sum += *x;
        }
        if v_sum <= 0.0 {
            for (x, &m) in w.iter_mut().zip(mu) {
                *x = total * m / m_sum;
            }
            return;
        }
        let gap = total - z_sum;
        let mut negative = false;
        for (x, &v) in w.iter_mut().zip(var) {
            *x += v / v_sum * gap;
            negative |= *x < 0.0;
        }
        if negative {
            for (x, &m) in w.iter_mut().zip(mu) {
                *x = total * m / m_sum;
            }
        }
    }

    /// Class `k`'s expected arrivals in steps `a..b` of the hour (none before its start).
    #[inline]
    fn expected_in(&self, k: usize, a: usize, b: usize) -> f64 {
        let (p, w0, from) = (&self.prefix[k], self.w0[k], self.from[k]);
        self.rate[k] * (p[w0 + b.max(from)] - p[w0 + a.max(from)])
    }

    /// Whole requests of class `k` arriving in steps `0..i` of the hour: its drawn requests
    /// in proportion to its expected arrivals, rounded (so spans add up and stay whole).
    #[inline]
    fn arrived_by(&self, k: usize, i: usize) -> f64 {
        let e = self.expected[k];
        if e <= 0.0 {
            return 0.0;
        }
        round_nonneg(self.n[k] * (self.expected_in(k, 0, i) / e).min(1.0))
    }

    /// Whole requests of class `k` arriving in steps `a..b` of the hour.
    fn count(&self, k: usize, a: usize, b: usize) -> f64 {
        self.arrived_by(k, b) - self.arrived_by(k, a)
    }

    /// Class `k`'s share of its pool's expected work in steps `a..b`.
    fn share(&self, sc: &Scenario, k: usize, a: usize, b: usize) -> f64 {
        let c = &sc.consumers[k];
        let pool_mu: f64 = self.mu[c.pool * self.stride + a..c.pool * self.stride + b]
            .iter()
            .sum();
        self.share_of(sc, k, a, b, pool_mu)
    }

    /// [`Self::share`] given the pool's expected work in steps `a..b`, `pool_mu`.
    fn share_of(&self, sc: &Scenario, k: usize, a: usize, b: usize, pool_mu: f64) -> f64 {
        let c = &sc.consumers[k];
        if pool_mu > 0.0 {
            self.expected_in(k, a, b) * c.work.mean / pool_mu
        } else {
            0.0
        }
    }

    /// Each class's arrivals at `step` (requests, work), for a stepped step: its part of the
    /// hour's draws, or a trace's window.
    fn given(&mut self, tr: &mut Trial, step: u64) -> &[(f64, f64)] {
        let sc = tr.sc;
        let s = self.stride;
        let i = (step % tr.steps_per_hour) as usize;
        for (k, (c, cs)) in sc.consumers.iter().zip(&mut tr.work.consumers).enumerate() {
            self.given[k] = if c.trace.is_some() {
                let w = if c.week.own_clock {
                    tr.week_step_fixed
                } else {
                    tr.week_step
                };
                let t = SimTime(step * sc.step_s);
                c.arrivals(t, sc.step_s, w, cs.growth, &mut cs.rng)
            } else {
                let work = self.pool_w[c.pool * s + i] * self.share(sc, k, i, i + 1);
                (self.count(k, i, i + 1), work)
            };
        }
        &self.given
    }

    /// [`Self::arrived_by`] at the hour's last step, for a block of the whole hour: the class's
    /// drawn requests, the same number (its expected arrivals over the hour are `expected`
    /// itself, the same operations on the same figures, so the proportion is exactly 1 and a
    /// whole count rounds to itself).
    fn hour_count(&self, k: usize) -> f64 {
        if self.expected[k] <= 0.0 {
            0.0
        } else {
            self.n[k]
        }
    }

    /// Pool `p`'s expected work over the hour's every step: the sum [`Self::expect_pool`] made
    /// of them in their order (what summing them again gives; no step's figure is `-0.0`).
    fn hour_mu(&self, p: usize) -> f64 {
        self.sums[p].0
    }

    /// [`Self::share_of`] over the hour's every step, `pool_mu` from [`Self::hour_mu`]: the same
    /// number, the class's expected arrivals over the hour being its `expected`.
    fn hour_share(&self, sc: &Scenario, k: usize, pool_mu: f64) -> f64 {
        if pool_mu > 0.0 {
            self.expected[k] * sc.consumers[k].work.mean / pool_mu
        } else {
            0.0
        }
    }
}

/// Steps of an hour [`HourDraws::expect_pool`] sums at a time: three accumulators of `TILE`
/// steps and the factors stay in registers across the classes.
const TILE: usize = 4;

/// A class's figures for the hour on its pool: expected work, its variance and its power per
/// unit of week shape, and where its shape and its arrivals start.
struct ClassRun {
    a: f64,
    v: f64,
    ap: f64,
    k: usize,
    from: usize,
    at: usize,
}

/// Expected work, variance and power-weighted work of steps `i..i + T` of the hour, summed over
/// the classes started by step `i`, in order (each step as a class-by-class loop would sum it).
#[inline(always)]
fn expect_steps<const T: usize>(
    runs: &[ClassRun],
    week2: &[Vec<f64>],
    i: usize,
) -> ([f64; T], [f64; T], [f64; T]) {
    let (mut m, mut v, mut s) = ([0.0; T], [0.0; T], [0.0; T]);
    for r in runs.iter().filter(|r| r.from <= i) {
        let Some(x) = week2[r.k][r.at + i..].first_chunk::<T>() else {
            continue; // (never: `week2` holds two weeks)
        };
        for t in 0..T {
            m[t] += r.a * x[t];
            v[t] += r.v * x[t];
            s[t] += r.ap * x[t];
        }
    }
    (m, v, s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::test_support::{pool_a, scenario};
    use crate::sim::workload::WorkloadModels;

    /// One class at a constant rate (a flat day and week): 2,000 requests a 60-s step of
    /// 0.01 accelerator-seconds each, work cv 0.5. Per step the work is compound Poisson with
    /// mean 2,000 x 0.01 = 20 acc-s and variance 2,000 x 0.01^2 x (1 + 0.5^2) = 0.25; an hour
    /// of 60 steps has mean 1,200 and variance 15 (hand-derived).
    fn constant_class() -> Scenario {
        scenario(&pool_a(
            r#"
[[consumer]]
name = "c"
pool = "a"
requests_per_day = 2.88e6
acc_s_per_request = 0.01
work_cv = 0.5
peak_to_trough = 1.0

[facility]
kind = "fixed"
pue = 1.2
"#,
        ))
    }

    /// Mean and (unbiased) variance.
    fn moments(x: &[f64]) -> (f64, f64) {
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        (
            m,
            x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0),
        )
    }

    /// The block totals (an hour's drawn work and requests) have the mean and variance of the
    /// per-step sums within 1 %, and each step of the bridge keeps the per-step law: a bridge
    /// with its variance scaled by 0.8, or flat (the total spread by expectation), fails here.
    #[test]
    fn block_totals_and_bridged_steps_keep_the_per_step_law() {
        let sc = constant_class();
        let wm = WorkloadModels::of(&sc);
        let mut pending = Vec::new();
        let mut work = Workloads::new(&wm, sc.seed, 0, 60, sc.horizon_s, &mut pending);
        let mut d = HourDraws::new(&sc, 0, 60);
        let hours = 200_000;
        let (mut total, mut first, mut middle, mut count) = (vec![], vec![], vec![], vec![]);
        for _ in 0..hours {
            d.draw(&sc, &mut work, (0, 0), 0, 60);
            total.push(d.pool_w[..60].iter().sum::<f64>());
            first.push(d.pool_w[0]);
            middle.push(d.pool_w[30]);
            count.push(d.count(0, 0, 60));
        }
        let se_var = (2.0 / hours as f64).sqrt();
        let tol = 0.01f64.max(3.0 * se_var);
        let within = |got: f64, want: f64, what: &str| {
            assert!(
                (got / want - 1.0).abs() <= tol,
                "{what}: {got} vs {want} (tolerance {tol})"
            );
        };
        let (m, v) = moments(&total);
        within(m, 1200.0, "hour's work, mean");
        within(v, 15.0, "hour's work, variance");
        let (m, v) = moments(&count);
        within(m, 120_000.0, "hour's requests, mean");
        within(v, 120_000.0, "hour's requests, variance");
        for (x, what) in [(&first, "first step"), (&middle, "middle step")] {
            let (m, v) = moments(x);
            within(m, 20.0, &format!("{what}, mean"));
            within(v, 0.25, &format!("{what}, variance"));
        }
    }

    /// Three pools of one group each, consumers on the middle one.
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
name = "c"
pool = "b"
requests_per_day = 2.0e6
acc_s_per_request = 0.01
work_cv = 0.5

[facility]
kind = "fixed"
pue = 1.2
"#,
        ))
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
                    b.held.push(h);
                }
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

    /// Requests reach the steps whole, and any split of the hour into spans adds up to the
    /// hour's draw.
    #[test]
    fn requests_split_over_spans_stay_whole_and_add_up() {
        let sc = constant_class();
        let wm = WorkloadModels::of(&sc);
        let mut pending = Vec::new();
        let mut work = Workloads::new(&wm, sc.seed, 0, 60, sc.horizon_s, &mut pending);
        let mut d = HourDraws::new(&sc, 0, 60);
        d.draw(&sc, &mut work, (0, 0), 0, 60);
        let spans = [(0, 7), (7, 30), (30, 31), (31, 60)];
        let parts: Vec<f64> = spans.iter().map(|&(a, b)| d.count(0, a, b)).collect();
        assert!(parts.iter().all(|p| p.fract() == 0.0 && *p >= 0.0));
        assert_eq!(parts.iter().sum::<f64>(), d.n[0]);
        let steps: f64 = (0..60).map(|i| d.count(0, i, i + 1)).sum();
        assert_eq!(steps, d.n[0]);
    }
}
