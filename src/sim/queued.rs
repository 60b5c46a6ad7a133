//! The two-rate engine's queued route: a block the fast path refuses only because consumer
//! work is queued (or because a step binds: a queue is forming) while the rest of the campus
//! is at rest. Its workloads are served step by step exactly as [`Trial::body`] serves them
//! (the same `serve` on the same hour draws, so the same queues, drops, counts and IT at
//! every step, to the bit), and its books are kept per block as the fast path keeps them.
//!
//! What must hold for each book to be right:
//! - **IT**: each step's is the fleet's sum over its groups (as the fast path's series sums
//!   them); the stepped path writes the meter's split of it, the same figure to rounding.
//! - **Facility**: [`super::super::facility::FacilityLayer::quiet_block`] on the block's IT
//!   series, the route the fast path takes (within 0.1 % of each step's own evaluation), from
//!   a facility at rest; a facility that would move refuses the block.
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

use super::{Blocks, facility_block, record_block};
use crate::base::time::SimTime;
use crate::sim::Trial;
use crate::sim::events::EventQueue;
use crate::sim::meter::{Claim, Split};
use crate::sim::training::TrainingSnapshot;
use crate::sim::workload::{StepClock, Workloads};

/// Slack on the linearity checks, relative to the pool's capacity.
const ROUNDING: f64 = 1e-12;

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
    /// Each step's group IT, step-major (a physics facility's steps).
    step_group_it: Vec<f64>,
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

/// Serves steps `s0..end` one by one and books them as one block; false (with everything it
/// changed put back) if the block is refused.
pub(super) fn block(
    tr: &mut Trial,
    b: &mut Blocks,
    q: &mut Queued,
    s0: u64,
    end: u64,
    trace: Option<&mut Vec<f64>>,
) -> bool {
    let sc = tr.sc;
    let n = (end - s0) as usize;
    let dt_f = sc.step_s as f64;
    // A checkpoint due inside the block changes the queue and the jobs.
    let carry = tr.events.next_time().div_ceil(sc.step_s) < end;
    save(tr, q, carry);
    let Some(served_n) = serve_steps(tr, b, q, s0, n) else {
        restore(tr, q, carry);
        return false;
    };
    if !facility_block(tr, b, s0, n) {
        restore(tr, q, carry);
        return false;
    }
    if tr.fac.is_physics() {
        let hour = (s0 / tr.steps_per_hour) as usize;
        exact_facility(tr, b, q, n, hour, dt_f);
    }
    let split = split(tr, b, q, n, dt_f);
    for &(s, p, k) in &q.pool_drops {
        tr.hourly.record_pool_drop_at(p, s, k);
    }
    for &(s, k) in &q.drops {
        tr.hourly.record_drop_at(s, k);
    }
    record_block(tr, b, &split, n, served_n, trace);
    true
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
    q.claims.clear();
    q.claims.resize(tr.meter.claims.len(), Claim::default());
    q.power.clear();
    q.power.resize(tr.pools.len(), 0.0);
    q.kept.resize(sc.trainings.len(), 0.0);
    q.pool_drops.clear();
    q.drops.clear();
    q.step_group_it.clear();
    b.it.clear();
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
            q.step_group_it.extend_from_slice(&tr.fleet.group_it);
        }
        if tr.work.dropped_n > 0.0 {
            for (cs, c) in tr.work.consumers.iter().zip(tr.wm.consumers) {
                if cs.dropped_n > 0.0 {
                    q.pool_drops.push((s, c.pool, cs.dropped_n));
                }
            }
            q.drops.push((s, tr.work.dropped_n));
        }
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

/// A physics facility's steps evaluated exactly, one by one as a stepped step evaluates them
/// (after [`super::super::facility::FacilityLayer::quiet_block`] found the block quiet: the
/// facility stays at rest, so nothing a step flags, throttles or warms), into the block's
/// series and sums. Not the block's interpolated figures: on this route the workloads are
/// served as on the reference, so in a saturated hour both engines' IT agree to rounding and
/// the interpolation's error (a watt on 100 MW, a new fit each block) would be all that moves
/// the one-minute changes at the hour's edge (engine_equivalence's ramps test sees it).
fn exact_facility(tr: &mut Trial, b: &mut Blocks, q: &Queued, n: usize, hour: usize, dt_f: f64) {
    let s = (tr.fac).steps(&b.it, &q.step_group_it, hour, dt_f, &mut b.fac[..n]);
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
        let sc = scenario(text);
        let mut tr = Trial::new(&sc, 0);
        tr.hourly.log_drops();
        // (Neither takes the fast path: where a queue drains inside an hour, stepping would
        // go back to it while the route keeps the hour.)
        let routes = Routes {
            fast: false,
            queued,
        };
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
