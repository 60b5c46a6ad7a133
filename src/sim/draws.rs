//! One hour of consumer arrivals for the two-rate engine ([`super::block`]), drawn at the
//! hour's start.
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
//! The pool's expected work and variance per step (the bridge's `mu_i`, `v_i`) are sums over
//! its classes of a rate times the class's week-table factor. Within an hour a factor lies on
//! at most two lines (the daily shape is linear between local half hours, the weekday's factor
//! changes at local midnight; the table marks each hour where its f32 values do,
//! [`crate::model::workload::shape::WeekTable::lines`]), so the pool's figures are summed over
//! the classes at the lines' ends only and ramped between: within 1e-6 of the steps' own sums
//! (the table's f32 rounding), so the blocks engine's last digits differ from a step-by-step sum
//! while the law is the same. An hour off that structure (a class starting inside it, an hour
//! of a table off its lines, a week step off the hour) is summed step by step.

use std::sync::Arc;

use super::Trial;
use super::workload::{Workloads, round_nonneg};
use crate::base::rng::{Stream, TAG_BRIDGE, poisson_count, stream};
use crate::base::time::SimTime;
use crate::base::ziggurat::standard_normal_held;
use crate::scenario::Scenario;

/// One hour of consumer arrivals, drawn at the hour's start (see the module's doc). A class's
/// expected arrivals over any span of steps come from its week shape's prefix sums, so class
/// figures cost nothing per step; only the pools' steps are drawn one by one.
pub(super) struct HourDraws {
    /// Steps per hour: the stride of the per-step tables.
    pub(super) stride: usize,
    /// Per class: prefix sums of its week shape over two weeks (its table's, shared).
    prefix: Vec<Arc<[f64]>>,
    /// Per pool: its classes (trace classes are read from their traces instead), and whether
    /// they all draw at the pool's own power (a power scale of 1 at every step, never written).
    pool_classes: Vec<Vec<usize>>,
    unit_scale: Vec<bool>,
    /// The hour's classes on the pool being expected, and the steps where one of their lines
    /// ends (scratch).
    runs: Vec<ClassRun>,
    cuts: Vec<usize>,
    /// `t / (len - 1)` for `t` in `0..len`: where each step of a line of `len` steps lies.
    along: Vec<f64>,
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
    pub(super) pool_w: Vec<f64>,
    pub(super) mu: Vec<f64>,
    var: Vec<f64>,
    pub(super) pool_scale: Vec<f64>,
    /// Per pool: the hour's drawn work, the sums over the hour of its steps' expected work and
    /// variance, whether any class arrives on it.
    total: Vec<f64>,
    sums: Vec<(f64, f64)>,
    pub(super) has_class: Vec<bool>,
    bridge: Vec<Stream>,
    /// The hour's length in steps, its classes drawn from their shapes (not traces), and per
    /// step of the hour and class (step-major) the arrivals [`Self::given`] hands a stepped
    /// step, worked out for the steps in `ready` (none after a draw): class by class for up to
    /// [`AHEAD`] steps from the one asked for, since stepped steps come in order and mostly in
    /// runs.
    steps: usize,
    shaped: Vec<usize>,
    given: Vec<(f64, f64)>,
    ready: std::ops::Range<usize>,
}

/// Steps of stepped arrivals [`HourDraws::given`] works out at a time: an hour at 60-s steps,
/// and at shorter steps no more than a minute's worth that a fast block may leave unused.
const AHEAD: usize = 60;

impl HourDraws {
    pub(super) fn new(sc: &Scenario, trial: u32, stride: usize) -> HourDraws {
        let (nc, np) = (sc.consumers.len(), sc.fleet.pools.len());
        let prefix = sc.consumers.iter().map(|c| c.week.prefix.clone()).collect();
        let mut has_class = vec![false; np];
        let mut pool_classes = vec![Vec::new(); np];
        for (k, c) in sc.consumers.iter().enumerate() {
            has_class[c.pool] = true;
            if c.trace.is_none() {
                pool_classes[c.pool].push(k);
            }
        }
        let unit_scale = pool_classes
            .iter()
            .map(|ks: &Vec<usize>| ks.iter().all(|&k| sc.consumers[k].power_scale == 1.0))
            .collect();
        HourDraws {
            stride,
            prefix,
            pool_classes,
            unit_scale,
            runs: Vec::new(),
            cuts: Vec::new(),
            along: Vec::with_capacity(stride),
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
            steps: stride,
            shaped: (0..nc)
                .filter(|&k| sc.consumers[k].trace.is_none())
                .collect(),
            given: vec![(0.0, 0.0); nc * stride],
            ready: 0..0,
        }
    }

    /// Draws the hour starting at week steps `ws` (study clock) and `wsf` (fixed offset) and
    /// at step `step0` of the study, `steps` long: each class's requests and work from its own
    /// stream (from its start on: none before), then each pool's steps from its bridge stream.
    pub(super) fn draw(
        &mut self,
        sc: &Scenario,
        work: &mut Workloads,
        (ws, wsf): (usize, usize),
        step0: u64,
        steps: usize,
    ) {
        let dt_f = sc.step_s as f64;
        self.total.fill(0.0);
        (self.steps, self.ready) = (steps, 0..0);
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
    /// their sums over the hour: each a sum over the classes of a class's figure per unit of
    /// shape times its week table's factor. Within an hour a class's factors lie on at most two
    /// lines ([`crate::model::workload::shape::WeekTable::lines`]), so the pool's figures lie on
    /// lines between the steps where any class's line ends: summed over the classes at each line's ends and ramped between
    /// ([`Self::ramp_steps`]; within 1e-6 of the steps' sums, the table's f32 rounding). An
    /// hour without that structure (a class starting inside it, an hour of a table off its
    /// lines, a week step off the hour) is summed step by step.
    fn expect_pool(&mut self, sc: &Scenario, p: usize, steps: usize) -> bool {
        let lines = self.class_runs(sc, p, steps);
        if lines {
            self.ramp_steps(sc, p, steps);
        } else {
            self.sum_steps(sc, p, steps);
        }
        lines
    }

    /// The hour's classes on pool `p` (into `runs`), and whether their figures lie on lines
    /// between the steps in `cuts` (sorted, from 0 to `steps`).
    fn class_runs(&mut self, sc: &Scenario, p: usize, steps: usize) -> bool {
        self.runs.clear();
        self.cuts.clear();
        self.cuts.extend([0, steps]);
        let mut lines = true;
        for &k in &self.pool_classes[p] {
            let from = self.from[k];
            if from >= steps {
                continue;
            }
            let c = &sc.consumers[k];
            let (m, cv) = (c.work.mean, c.work.cv);
            let (a, v) = (self.rate[k] * m, self.rate[k] * m * m * (1.0 + cv * cv));
            // The week step of the hour's first step.
            let at = self.w0[k];
            self.runs.push(ClassRun {
                a,
                v,
                ap: a * c.power_scale,
                k,
                from,
                at,
            });
            let hour = if from == 0 && at.is_multiple_of(self.stride) {
                c.week.lines.get(at / self.stride).copied().flatten()
            } else {
                None
            };
            match hour.map(usize::from) {
                Some(j) if j > 0 && j < steps => {
                    if let Err(at) = self.cuts.binary_search(&j) {
                        self.cuts.insert(at, j);
                    }
                }
                Some(_) => {}
                None => lines = false,
            }
        }
        lines
    }

    /// [`Self::expect_pool`] on lines: each line's ends summed over the classes, the steps
    /// between as their weighted means (exact at the ends and never negative; the power scale,
    /// a ratio of two such means, stays between its ends' ratios), the sums in closed form.
    fn ramp_steps(&mut self, sc: &Scenario, p: usize, steps: usize) {
        let at = p * self.stride;
        let (mu, var, scale) = (
            &mut self.mu[at..at + steps],
            &mut self.var[at..at + steps],
            &mut self.pool_scale[at..at + steps],
        );
        let (mut m_sum, mut v_sum) = (0.0, 0.0);
        for w in self.cuts.windows(2) {
            let (b, e) = (w[0], w[1]);
            let ((m0, v0, s0), (m1, v1, s1)) = expect_ends(sc, &self.runs, b, e - 1);
            let len = e - b;
            if self.along.len() != len {
                let last = (len.max(2) - 1) as f64;
                self.along.clear();
                self.along.extend((0..len).map(|t| t as f64 / last));
            }
            let along = &self.along[..len];
            for ((m, v), &u) in mu[b..e].iter_mut().zip(&mut var[b..e]).zip(along) {
                let r = 1.0 - u;
                *m = m0 * r + m1 * u;
                *v = v0 * r + v1 * u;
            }
            if !self.unit_scale[p] {
                for ((s, &m), &u) in scale[b..e].iter_mut().zip(&mu[b..e]).zip(along) {
                    let sm = s0 * (1.0 - u) + s1 * u;
                    *s = if m > 0.0 { sm / m } else { 1.0 };
                }
            }
            let half = len as f64 * 0.5;
            m_sum += (m0 + m1) * half;
            v_sum += (v0 + v1) * half;
        }
        self.sums[p] = (m_sum, v_sum);
    }

    /// [`Self::expect_pool`] step by step: each step's figures summed class by class in the
    /// classes' order.
    fn sum_steps(&mut self, sc: &Scenario, p: usize, steps: usize) {
        let at = p * self.stride;
        let (mut m_sum, mut v_sum) = (0.0, 0.0);
        for i in 0..steps {
            let (m, v, s) = expect_step(sc, &self.runs, i);
            self.mu[at + i] = m;
            self.var[at + i] = v;
            if !self.unit_scale[p] {
                self.pool_scale[at + i] = if m > 0.0 { s / m } else { 1.0 };
            }
            m_sum += m;
            v_sum += v;
        }
        self.sums[p] = (m_sum, v_sum);
    }

    /// The pool's work at each step: the bridge conditioned on the hour's drawn total, or the
    /// total spread by expectation when a step would come out negative (pools whose steps see
    /// a handful of requests). Two passes: each step's deviation `sqrt(v_i) z_i` with its
    /// normal, then `mu_i` plus the deviation plus `v_i / V` of the gap to the total.
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
        // The stream in registers through the loop (its state written back once; the normal's
        // rare slow path works on a copy, so the common one never spills it).
        let mut rng = self.bridge[p].clone();
        let mut e_sum = 0.0;
        for (x, &v) in w.iter_mut().zip(var) {
            *x = v.sqrt() * standard_normal_held(&mut rng);
            e_sum += *x;
        }
        self.bridge[p] = rng;
        let mut negative = v_sum <= 0.0;
        if !negative {
            let g = (total - m_sum - e_sum) / v_sum;
            for ((x, &m), &v) in w.iter_mut().zip(mu).zip(var) {
                *x += m + v * g;
                negative |= *x < 0.0;
            }
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
    pub(super) fn arrived_by(&self, k: usize, i: usize) -> f64 {
        let e = self.expected[k];
        if e <= 0.0 {
            return 0.0;
        }
        round_nonneg(self.n[k] * (self.expected_in(k, 0, i) / e).min(1.0))
    }

    /// Whole requests of class `k` arriving in steps `a..b` of the hour.
    pub(super) fn count(&self, k: usize, a: usize, b: usize) -> f64 {
        self.arrived_by(k, b) - self.arrived_by(k, a)
    }

    /// Class `k`'s share of its pool's expected work in steps `a..b` (the per-step form
    /// [`Self::given_from`] must equal).
    #[cfg(test)]
    fn share(&self, sc: &Scenario, k: usize, a: usize, b: usize) -> f64 {
        let c = &sc.consumers[k];
        let pool_mu: f64 = self.mu[c.pool * self.stride + a..c.pool * self.stride + b]
            .iter()
            .sum();
        self.share_of(sc, k, a, b, pool_mu)
    }

    /// [`Self::share`] given the pool's expected work in steps `a..b`, `pool_mu`.
    pub(super) fn share_of(
        &self,
        sc: &Scenario,
        k: usize,
        a: usize,
        b: usize,
        pool_mu: f64,
    ) -> f64 {
        let c = &sc.consumers[k];
        if pool_mu > 0.0 {
            self.expected_in(k, a, b) * c.work.mean / pool_mu
        } else {
            0.0
        }
    }

    /// Each class's arrivals at `step` (requests, work), for a stepped step: its part of the
    /// hour's draws, or a trace's window.
    pub(super) fn given(&mut self, tr: &mut Trial, step: u64) -> &[(f64, f64)] {
        let sc = tr.sc;
        let nc = sc.consumers.len();
        let i = (step % tr.steps_per_hour) as usize;
        if !self.ready.contains(&i) {
            self.given_from(sc, i, self.steps.min(i + AHEAD));
        }
        let row = &mut self.given[i * nc..(i + 1) * nc];
        if self.shaped.len() < nc {
            for (k, (c, cs)) in sc.consumers.iter().zip(&mut tr.work.consumers).enumerate() {
                if c.trace.is_some() {
                    let w = if c.week.own_clock {
                        tr.week_step_fixed
                    } else {
                        tr.week_step
                    };
                    let t = SimTime(step * sc.step_s);
                    row[k] = c.arrivals(t, sc.step_s, w, cs.growth, &mut cs.rng);
                }
            }
        }
        row
    }

    /// Whether every class's arrivals come from the hour's draws (none from a trace): then
    /// [`Self::rows`] hands a span of steps all their arrivals.
    pub(super) fn all_shaped(&self) -> bool {
        self.shaped.len() == self.n.len()
    }

    /// The arrivals [`Self::given`] hands steps `i0..end` of the hour (step-major, each step's
    /// classes in order), for a study whose classes are all shaped ([`Self::all_shaped`]):
    /// worked out at once for the span (the same figures: a step's arrivals do not depend on
    /// the step they are worked out from). Each count is a difference of two of
    /// [`round_nonneg`]'s whole numbers, the later never the smaller, so whole and never
    /// `-0.0`.
    pub(super) fn rows(&mut self, sc: &Scenario, i0: usize, end: usize) -> &[(f64, f64)] {
        debug_assert!(self.all_shaped() && end <= self.steps);
        if !(self.ready.contains(&i0) && end <= self.ready.end) {
            self.given_from(sc, i0, end);
        }
        let nc = self.n.len();
        &self.given[i0 * nc..end * nc]
    }

    /// The shaped classes' arrivals at steps `i0..end` of the hour, into `given`: at step `i`,
    /// a class's requests are [`Self::arrived_by`] `i + 1` less `i`, its work the pool's
    /// bridged work times [`Self::share`] of step `i`; the same operations on the same figures,
    /// with the class's figures and its shape's prefix sums read once for the span (and the
    /// prefix sum before its start, `p[max(i, from)]`, taken as `p[from]` where `i < from`).
    fn given_from(&mut self, sc: &Scenario, i0: usize, end: usize) {
        let (s, nc, steps) = (self.stride, sc.consumers.len(), self.steps);
        let rows = &mut self.given[i0 * nc..end * nc];
        for &k in &self.shaped {
            let c = &sc.consumers[k];
            let (rate, e, n, mean) = (self.rate[k], self.expected[k], self.n[k], c.work.mean);
            let (w0, from) = (self.w0[k], self.from[k]);
            // The shape's prefix sums at the hour's steps `0..=steps`, none before the start.
            let p = &self.prefix[k][w0..w0 + steps + 1];
            let r = c.pool * s;
            let (p_from, ahead, mu, work) = (
                p[from],
                &p[i0 + 1..end + 1],
                &self.mu[r + i0..r + end],
                &self.pool_w[r + i0..r + end],
            );
            #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
            if from <= i0 && e > 0.0 && (0.0..PAIRED_N).contains(&n) {
                let span = ClassSpan {
                    rate,
                    e,
                    n,
                    mean,
                    p_from,
                };
                paired::class_steps(&span, &p[i0..end + 1], mu, work, rows, nc, k);
                continue;
            }
            let by = |x_i: f64| {
                if e <= 0.0 {
                    0.0
                } else {
                    round_nonneg(n * ((rate * (x_i - p_from)) / e).min(1.0))
                }
            };
            let mut x = p[i0.max(from)];
            let mut before = by(x);
            let mut i1 = i0 + 1;
            for (((row, &m), &w), &x1) in rows.chunks_exact_mut(nc).zip(mu).zip(work).zip(ahead) {
                let x1 = if i1 < from { p_from } else { x1 };
                let after = by(x1);
                let share = if m > 0.0 {
                    rate * (x1 - x) * mean / m
                } else {
                    0.0
                };
                row[k] = (after - before, w * share);
                (x, before, i1) = (x1, after, i1 + 1);
            }
        }
        self.ready = i0..end;
    }

    /// [`Self::arrived_by`] at the hour's last step, for a block of the whole hour: the class's
    /// drawn requests, the same number (its expected arrivals over the hour are `expected`
    /// itself, the same operations on the same figures, so the proportion is exactly 1 and a
    /// whole count rounds to itself).
    pub(super) fn hour_count(&self, k: usize) -> f64 {
        if self.expected[k] <= 0.0 {
            0.0
        } else {
            self.n[k]
        }
    }

    /// Pool `p`'s expected work over the hour's every step: the sum [`Self::expect_pool`] made
    /// of them in their order (what summing them again gives; no step's figure is `-0.0`).
    pub(super) fn hour_mu(&self, p: usize) -> f64 {
        self.sums[p].0
    }

    /// [`Self::share_of`] over the hour's every step, `pool_mu` from [`Self::hour_mu`]: the same
    /// number, the class's expected arrivals over the hour being its `expected`.
    pub(super) fn hour_share(&self, sc: &Scenario, k: usize, pool_mu: f64) -> f64 {
        if pool_mu > 0.0 {
            self.expected[k] * sc.consumers[k].work.mean / pool_mu
        } else {
            0.0
        }
    }
}

/// [`HourDraws::given_from`] takes a class's steps two at a time ([`paired`]) while its drawn
/// requests are below 2^51: a step's rounding `n * r + 0.5` (`r` at most 1) is then below
/// 2^52, where the pairs' floor is exact.
#[cfg_attr(
    not(all(target_arch = "x86_64", target_feature = "sse2")),
    allow(dead_code)
)]
const PAIRED_N: f64 = 2_251_799_813_685_248.0;

/// A shaped class's figures for a span of its hour's steps, for [`paired::class_steps`]: its
/// expected requests per unit of shape, the hour's expected and drawn requests, its work per
/// request, and its shape's prefix sum at the hour's start (the class is started by then).
#[derive(Clone, Copy)]
#[cfg_attr(
    not(all(target_arch = "x86_64", target_feature = "sse2")),
    allow(dead_code)
)]
struct ClassSpan {
    rate: f64,
    e: f64,
    n: f64,
    mean: f64,
    p_from: f64,
}

#[cfg_attr(
    not(all(target_arch = "x86_64", target_feature = "sse2")),
    allow(dead_code)
)]
impl ClassSpan {
    /// [`HourDraws::arrived_by`] at the step whose prefix sum is `x` (the class started, its
    /// expected requests positive): the same operations.
    #[inline(always)]
    fn by(&self, x: f64) -> f64 {
        round_nonneg(self.n * ((self.rate * (x - self.p_from)) / self.e).min(1.0))
    }

    /// One step's arrivals, `(requests, work)`, from the prefix sums at its start and end
    /// (`x`, `x1`), the requests arrived by its start (`before`), the pool's expected and
    /// bridged work (`m`, `w`): as [`HourDraws::given_from`] works them out. Also returns the
    /// requests arrived by its end.
    #[inline(always)]
    fn step(&self, x: f64, x1: f64, before: f64, m: f64, w: f64) -> ((f64, f64), f64) {
        let after = self.by(x1);
        let share = if m > 0.0 {
            self.rate * (x1 - x) * self.mean / m
        } else {
            0.0
        };
        ((after - before, w * share), after)
    }
}

/// A class's arrivals at two steps at once, on x86-64's SSE2 lanes (part of its baseline).
///
/// Why: working out a stepped or queued block's arrivals cost ~54 instructions a class and
/// step, each step the same dozen operations on its own figures but for the requests arrived
/// by its start, the previous step's. Two steps take the same operations in two lanes (IEEE
/// add, subtract, multiply, divide, and MINPD/MAXPD, round each lane as a scalar rounds it and
/// pick as `min`/`max` pick on these figures: none is NaN, `min(1.0)` of a NaN is 1.0 both
/// ways), and the floor of [`round_nonneg`] as `(y + 2^52) - 2^52` less 1 where that rounded
/// up: exact for `0 <= y < 2^52` ([`PAIRED_N`]), the `i64` conversion's floor. So every figure
/// is the scalar loop's to the bit (`tests::a_stepped_hours_arrivals_are_the_per_step_forms_bit_for_bit`).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod paired {
    use super::ClassSpan;
    // SAFETY (every `unsafe` here): the intrinsics need SSE2, which this module is compiled
    // only with; the loads and stores are in bounds (see `class_steps`).
    use std::arch::x86_64::{
        __m128d, _mm_add_pd, _mm_and_pd, _mm_cmpgt_pd, _mm_cvtsd_f64, _mm_div_pd, _mm_loadu_pd,
        _mm_max_pd, _mm_min_pd, _mm_mul_pd, _mm_set_sd, _mm_set1_pd, _mm_setzero_pd, _mm_storeh_pd,
        _mm_storel_pd, _mm_sub_pd, _mm_unpackhi_pd, _mm_unpacklo_pd,
    };

    /// 2^52: `(y + 2^52) - 2^52` is `y` rounded to a whole number for `0 <= y < 2^52`.
    const TWO_52: f64 = 4_503_599_627_370_496.0;

    /// Class `k`'s arrivals at a span's steps into `rows` (step-major, `nc` classes a step),
    /// from its shape's prefix sums at the span's steps and the one after (`p`, one longer
    /// than the span) and its pool's expected and bridged work (`mu`, `w`).
    #[inline]
    pub(super) fn class_steps(
        c: &ClassSpan,
        p: &[f64],
        mu: &[f64],
        w: &[f64],
        rows: &mut [(f64, f64)],
        nc: usize,
        k: usize,
    ) {
        let len = mu.len();
        assert!(p.len() == len + 1 && w.len() == len && rows.len() == len * nc && k < nc);
        let (pp, mp, wp, rp) = (p.as_ptr(), mu.as_ptr(), w.as_ptr(), rows.as_mut_ptr());
        let mut before = c.by(p[0]);
        let mut j = 0;
        unsafe {
            let (rate, e, n, mean, p_from) = (
                _mm_set1_pd(c.rate),
                _mm_set1_pd(c.e),
                _mm_set1_pd(c.n),
                _mm_set1_pd(c.mean),
                _mm_set1_pd(c.p_from),
            );
            let (one, half, zero, big) = (
                _mm_set1_pd(1.0),
                _mm_set1_pd(0.5),
                _mm_setzero_pd(),
                _mm_set1_pd(TWO_52),
            );
            let mut prev: __m128d = _mm_set_sd(before);
            // Steps j and j + 1, both below `len`: every read below p.len() = len + 1.
            while j + 2 <= len {
                let x = _mm_loadu_pd(pp.add(j));
                let x1 = _mm_loadu_pd(pp.add(j + 1));
                let m = _mm_loadu_pd(mp.add(j));
                let wj = _mm_loadu_pd(wp.add(j));
                // `by(x1)`: its ratio capped at 1, times n, plus a half, then the floor.
                let r = _mm_min_pd(_mm_div_pd(_mm_mul_pd(rate, _mm_sub_pd(x1, p_from)), e), one);
                let y = _mm_max_pd(_mm_add_pd(_mm_mul_pd(n, r), half), zero);
                let near = _mm_sub_pd(_mm_add_pd(y, big), big);
                let after = _mm_sub_pd(near, _mm_and_pd(_mm_cmpgt_pd(near, y), one));
                let count = _mm_sub_pd(after, _mm_unpacklo_pd(prev, after));
                prev = _mm_unpackhi_pd(after, after);
                let share = _mm_div_pd(_mm_mul_pd(_mm_mul_pd(rate, _mm_sub_pd(x1, x)), mean), m);
                let work = _mm_mul_pd(wj, _mm_and_pd(_mm_cmpgt_pd(m, zero), share));
                let r0 = rp.add(j * nc + k);
                let r1 = rp.add((j + 1) * nc + k);
                _mm_storel_pd(&raw mut (*r0).0, count);
                _mm_storel_pd(&raw mut (*r0).1, work);
                _mm_storeh_pd(&raw mut (*r1).0, count);
                _mm_storeh_pd(&raw mut (*r1).1, work);
                j += 2;
            }
            before = _mm_cvtsd_f64(prev);
        }
        if j < len {
            (rows[j * nc + k], _) = c.step(p[j], p[j + 1], before, mu[j], w[j]);
        }
    }
}

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

/// Expected work, variance and power-weighted work of step `i` of the hour, summed over the
/// classes started by then, in order.
#[inline]
fn expect_step(sc: &Scenario, runs: &[ClassRun], i: usize) -> (f64, f64, f64) {
    let (mut m, mut v, mut s) = (0.0, 0.0, 0.0);
    for r in runs.iter().filter(|r| r.from <= i) {
        let f = &sc.consumers[r.k].week.factors;
        // The hour's steps run on past the week's end at most once.
        let w = r.at + i;
        let x = f64::from(f[if w < f.len() { w } else { w - f.len() }]);
        m += r.a * x;
        v += r.v * x;
        s += r.ap * x;
    }
    (m, v, s)
}

/// [`expect_step`] at steps `i` and `j` (`i <= j`) in one pass over the classes: the same
/// sums, each in the classes' order.
#[inline]
fn expect_ends(
    sc: &Scenario,
    runs: &[ClassRun],
    i: usize,
    j: usize,
) -> ((f64, f64, f64), (f64, f64, f64)) {
    let (mut m0, mut v0, mut s0) = (0.0, 0.0, 0.0);
    let (mut m1, mut v1, mut s1) = (0.0, 0.0, 0.0);
    for r in runs.iter().filter(|r| r.from <= j) {
        let f = &sc.consumers[r.k].week.factors;
        let at = |w: usize| f64::from(f[if w < f.len() { w } else { w - f.len() }]);
        if r.from <= i {
            let x = at(r.at + i);
            m0 += r.a * x;
            v0 += r.v * x;
            s0 += r.ap * x;
        }
        let x = at(r.at + j);
        m1 += r.a * x;
        v1 += r.v * x;
        s1 += r.ap * x;
    }
    ((m0, v0, s0), (m1, v1, s1))
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

    /// Five classes on one pool, a week long: shapes peaking at different hours (one hourly
    /// table), weekday factors, growth, offsets of whole hours, of +05:30 (local midnight at
    /// the study's half hour) and of +05:45 (a half hour and a midnight inside one hour), and
    /// one class starting at 02:30 on the third day.
    fn mixed_classes() -> Scenario {
        mixed_classes_at(60)
    }

    /// [`mixed_classes`] at steps of `step_s`.
    fn mixed_classes_at(step_s: u64) -> Scenario {
        let hourly: Vec<String> = (0..24)
            .map(|h| format!("{}", 1.0 + (h * 7 % 24) as f64 / 10.0))
            .collect();
        scenario(&format!(
            r#"name = "t"
start = "2025-01-06"
horizon_hours = 168
step_s = {step_s}
seed = 7
trials = 1
utc_offset = "-05:00"

[[site.group]]
name = "a"
server = "DGX-H100"
count = 10

[[consumer]]
name = "chat"
preset = "chat"
pool = "a"
requests_per_day = 1.0e6
growth_per_year = 0.3

[[consumer]]
name = "search"
preset = "search"
pool = "a"
requests_per_day = 3.0e6
growth_per_year = 2.0
utc_offset = "+09:00"

[[consumer]]
name = "half"
preset = "reasoning"
pool = "a"
requests_per_day = 2.0e5
utc_offset = "+05:30"

[[consumer]]
name = "quarter"
pool = "a"
requests_per_day = 5.0e5
acc_s_per_request = 0.2
work_cv = 1.0
hourly = [{}]
weekly = [1.0, 1.2, 1.0, 1.0, 1.0, 0.5, 0.6]
utc_offset = "+05:45"

[[consumer]]
name = "late"
preset = "image"
pool = "a"
requests_per_day = 1.0e5
online = "2025-01-08T02:30"

[facility]
kind = "fixed"
pue = 1.2
"#,
            hourly.join(", ")
        ))
    }

    /// The pool's expected figures ramped between the ends of the classes' lines equal the
    /// steps' class-by-class sums within 1e-6 (exactly at the ends), hour by hour over a week,
    /// with growth moving the rates; the hours without the structure are summed step by step:
    /// the seven with the +05:45 class's midnight inside, the late class's first hour, and an
    /// hour starting off the hour of the week.
    #[test]
    fn ramped_expectations_equal_the_steps_sums() {
        let sc = mixed_classes();
        let wm = WorkloadModels::of(&sc);
        let mut pending = Vec::new();
        let mut work = Workloads::new(&wm, sc.seed, 0, 60, sc.horizon_s, &mut pending);
        let mut d = HourDraws::new(&sc, 0, 60);
        let mut summed = Vec::new();
        for (h, off) in (0..168).map(|h| (h, 0)).chain([(100, 30)]) {
            let ws = h * 60 + off;
            work.on_hour(&wm, SimTime(h as u64 * 3600));
            d.draw(&sc, &mut work, (ws, ws), h as u64 * 60, 60);
            let ramped = (
                d.mu[..60].to_vec(),
                d.var[..60].to_vec(),
                d.pool_scale[..60].to_vec(),
            );
            let (sums, cuts) = (d.sums[0], d.cuts.clone());
            if !d.class_runs(&sc, 0, 60) {
                summed.push((h, off));
                continue;
            }
            d.sum_steps(&sc, 0, 60);
            let stepped = (&d.mu[..60], &d.var[..60], &d.pool_scale[..60]);
            for (got, want, what) in [
                (&ramped.0, stepped.0, "expected work"),
                (&ramped.1, stepped.1, "variance"),
                (&ramped.2, stepped.2, "power scale"),
            ] {
                for (i, (g, w)) in got.iter().zip(want).enumerate() {
                    assert!(
                        (g / w - 1.0).abs() <= 1e-6,
                        "hour {h} step {i} {what}: {g} vs {w}"
                    );
                    if cuts.contains(&i) || cuts.contains(&(i + 1)) {
                        assert!(what == "power scale" || g == w, "hour {h} step {i} {what}");
                    }
                }
            }
            for (g, w) in [(sums.0, d.sums[0].0), (sums.1, d.sums[0].1)] {
                assert!((g / w - 1.0).abs() <= 1e-6, "hour {h} sums: {g} vs {w}");
            }
            assert!(
                cuts.len() >= 3,
                "hour {h}: the half hour's kink cuts the hour"
            );
        }
        let midnights: Vec<(usize, usize)> = (0..7).map(|d| (13 + 24 * d, 0)).collect();
        let mut want = midnights.clone();
        want.push((50, 0));
        want.sort_unstable();
        want.push((100, 30));
        assert_eq!(summed, want);
    }

    /// The stepped steps' arrivals worked out ahead, many steps at once, are, to the bit,
    /// each step's [`HourDraws::arrived_by`] difference and its pool's bridged work times
    /// [`HourDraws::share`]: over a week of hours of five classes (one starting inside an
    /// hour, an hour off the hour of the week, a short last hour), from the hour's first step
    /// and from one inside it; at 60-s steps (an hour worked out at once) and at 20-s steps
    /// (in parts).
    #[test]
    fn a_stepped_hours_arrivals_are_the_per_step_forms_bit_for_bit() {
        let mut checked = 0;
        for step_s in [60, 20] {
            let sc = mixed_classes_at(step_s);
            let stride = (3600 / step_s) as usize;
            let wm = WorkloadModels::of(&sc);
            let mut pending = Vec::new();
            let mut work = Workloads::new(&wm, sc.seed, 0, step_s, sc.horizon_s, &mut pending);
            let mut d = HourDraws::new(&sc, 0, stride);
            let nc = sc.consumers.len();
            let hours = (0..168).map(|h| (h, 0, stride));
            for (h, off, steps) in hours.chain([(100, 30, stride), (50, 0, 23)]) {
                let ws = h * stride + off;
                work.on_hour(&wm, SimTime(h as u64 * 3600));
                for i0 in [0, 17] {
                    d.draw(&sc, &mut work, (ws, ws), (h * stride) as u64, steps);
                    for i in i0..steps {
                        // As `given` does.
                        if !d.ready.contains(&i) {
                            d.given_from(&sc, i, steps.min(i + AHEAD));
                        }
                        for k in 0..nc {
                            let p = sc.consumers[k].pool;
                            let want = (
                                d.arrived_by(k, i + 1) - d.arrived_by(k, i),
                                d.pool_w[p * stride + i] * d.share(&sc, k, i, i + 1),
                            );
                            let got = d.given[i * nc + k];
                            assert_eq!(
                                (got.0.to_bits(), got.1.to_bits()),
                                (want.0.to_bits(), want.1.to_bits()),
                                "{step_s} s, hour {h}+{off} step {i} class {k}: {got:?} vs {want:?}"
                            );
                            checked += usize::from(want.0 > 0.0 && want.1 > 0.0);
                        }
                    }
                }
            }
        }
        assert!(checked > 100_000, "{checked} steps with arrivals");
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
