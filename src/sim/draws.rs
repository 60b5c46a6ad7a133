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

use super::Trial;
use super::workload::{Workloads, round_nonneg};
use crate::base::rng::{Stream, TAG_BRIDGE, normal, poisson_count, stream};
use crate::base::time::SimTime;
use crate::scenario::Scenario;

/// One hour of consumer arrivals, drawn at the hour's start (see the module's doc). A class's
/// expected arrivals over any span of steps come from its week shape's prefix sums, so class
/// figures cost nothing per step; only the pools' steps are drawn one by one.
pub(super) struct HourDraws {
    /// Steps per hour: the stride of the per-step tables.
    pub(super) stride: usize,
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
    given: Vec<(f64, f64)>,
}

impl HourDraws {
    pub(super) fn new(sc: &Scenario, trial: u32, stride: usize) -> HourDraws {
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

    /// Class `k`'s share of its pool's expected work in steps `a..b`.
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
