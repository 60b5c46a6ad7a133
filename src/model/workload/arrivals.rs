//! Arrival counts and summed work per step, O(1) whatever the request volume.
//!
//! Counts are Poisson. Below [`NORMAL_ABOVE`] they are drawn exactly with rand_distr's
//! `Poisson` (Knuth's method for small means, Hörmann's PTRS transformed rejection above), which
//! costs O(1) expected time. At and above it the count is drawn from the normal approximation
//! N(λ, λ) rounded to an integer: the Poisson skewness there is 1/√λ ≤ 0.032 (the normal's
//! tail probabilities at ±2σ are off by about 1 % of themselves), far below any other modelling
//! error in an hourly power study, and a national-scale class (10^10 requests a day, ~7·10^6 per
//! minute) costs the same as a small one.
//!
//! Work per request is lognormal with a given mean and coefficient of variation. The sum of N
//! requests' work is drawn exactly (N draws) for N ≤ [`EXACT_SUM_MAX`], and above that from the
//! normal approximation N(N·m, N·(m·cv)²) given by the central limit theorem, floored at zero.
//! The count is always drawn first and is a whole number (requests are counted, not inferred
//! from work), then the work of that many requests: two draws per class and step at any volume.

pub use crate::base::rng::{exponential, normal, poisson_count, uniform};

pub use crate::base::rng::NORMAL_ABOVE;
use crate::base::ziggurat::standard_normal;
pub const EXACT_SUM_MAX: f64 = 32.0;

/// Work per request: lognormal with mean `mean` and coefficient of variation `cv`.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct WorkDist {
    pub mean: f64,
    pub cv: f64,
    mu: f64,
    sigma: f64,
}

impl WorkDist {
    pub fn new(mean: f64, cv: f64) -> WorkDist {
        let s2 = (1.0 + cv * cv).ln();
        WorkDist {
            mean,
            cv,
            mu: mean.max(f64::MIN_POSITIVE).ln() - s2 / 2.0,
            sigma: s2.sqrt(),
        }
    }

    /// A Poisson(`lambda`) number of requests (a whole number) and their total work.
    #[inline]
    pub fn count_and_work<R: rand::Rng + ?Sized>(&self, lambda: f64, rng: &mut R) -> (f64, f64) {
        let n = poisson_count(lambda, rng);
        (n, self.sum(n, rng))
    }

    /// Total work of `n` requests. Its normals come from the inlined ziggurat
    /// ([`crate::base::ziggurat`]): rand_distr's numbers, without its call per draw.
    #[inline]
    pub fn sum<R: rand::Rng + ?Sized>(&self, n: f64, rng: &mut R) -> f64 {
        if n <= 0.0 {
            return 0.0;
        }
        if self.cv == 0.0 {
            return n * self.mean;
        }
        if n <= EXACT_SUM_MAX {
            let mut s = 0.0;
            for _ in 0..n as u32 {
                let z = normal(rng);
                s += (self.mu + self.sigma * z).exp();
            }
            s
        } else {
            let z = normal(rng);
            (n * self.mean + n.sqrt() * self.mean * self.cv * z).max(0.0)
        }
    }
}

/// First-order autoregressive noise (a discretised Ornstein-Uhlenbeck process) with stationary
/// standard deviation `sd` and e-folding time `tau_s`: slow drifts, not step-to-step static.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ar1 {
    pub value: f64,
    phi: f64,
    innovation_sd: f64,
}

impl Ar1 {
    pub fn new(sd: f64, tau_s: f64, dt_s: f64) -> Ar1 {
        let phi = if tau_s > 0.0 {
            (-dt_s / tau_s).exp()
        } else {
            0.0
        };
        Ar1 {
            value: 0.0,
            phi,
            innovation_sd: sd * (1.0 - phi * phi).sqrt(),
        }
    }

    /// Starts the process in its stationary distribution.
    pub fn start<R: rand::Rng + ?Sized>(&mut self, rng: &mut R) {
        if self.innovation_sd > 0.0 {
            let sd = self.innovation_sd / (1.0 - self.phi * self.phi).sqrt();
            self.value = sd * normal(rng);
        }
    }

    #[inline]
    pub fn step<R: rand::Rng + ?Sized>(&mut self, rng: &mut R) -> f64 {
        if self.innovation_sd > 0.0 {
            // (The inlined ziggurat: rand_distr's normal, bit for bit, in a third of the time.)
            self.value = self.phi * self.value + self.innovation_sd * standard_normal(rng);
        }
        self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};
    use rand_distr::StandardNormal;

    /// The sums draw rand_distr's normals, bit for bit (the small sums' lognormals and the
    /// large sums' normal), and leave the stream where rand_distr would.
    #[test]
    fn sums_draw_rand_distrs_normals() {
        let d = WorkDist::new(0.3, 0.8);
        let (mut a, mut b) = (ChaCha8Rng::seed_from_u64(11), ChaCha8Rng::seed_from_u64(11));
        for k in 0..20_000 {
            let n = (k % 40) as f64;
            let got = d.sum(n, &mut a);
            let want = if n <= 0.0 {
                0.0
            } else if n <= EXACT_SUM_MAX {
                (0..n as u32)
                    .map(|_| (d.mu + d.sigma * b.sample::<f64, _>(StandardNormal)).exp())
                    .sum()
            } else {
                let z: f64 = b.sample(StandardNormal);
                (n * d.mean + n.sqrt() * d.mean * d.cv * z).max(0.0)
            };
            assert_eq!(got.to_bits(), want.to_bits(), "draw {k}, n {n}");
        }
        assert_eq!(a.random::<u64>(), b.random::<u64>());
    }

    fn moments(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
        (m, v)
    }

    #[test]
    fn poisson_mean_and_variance_small_and_large() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for lambda in [3.0, 500.0, 2.0e4, 7.0e6] {
            let xs: Vec<f64> = (0..20_000)
                .map(|_| poisson_count(lambda, &mut rng))
                .collect();
            let (m, v) = moments(&xs);
            // Standard error of the mean is sqrt(lambda / n).
            assert!(
                (m - lambda).abs() < 5.0 * (lambda / 20_000.0).sqrt(),
                "{lambda}: mean {m}"
            );
            assert!((v / lambda - 1.0).abs() < 0.05, "{lambda}: var {v}");
        }
    }

    #[test]
    fn work_sum_has_clt_moments() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let w = WorkDist::new(2.0, 0.8);
        for n in [5.0, 1000.0] {
            let xs: Vec<f64> = (0..20_000).map(|_| w.sum(n, &mut rng)).collect();
            let (m, v) = moments(&xs);
            let want_v = n * (2.0 * 0.8f64).powi(2);
            assert!((m / (2.0 * n) - 1.0).abs() < 0.02, "n={n} mean {m}");
            assert!(
                (v / want_v - 1.0).abs() < 0.1,
                "n={n} var {v} want {want_v}"
            );
        }
    }

    #[test]
    fn compound_sum_matches_count_then_sum() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let w = WorkDist::new(3.0, 0.7);
        let lambda = 5.0e4;
        let xs: Vec<f64> = (0..20_000)
            .map(|_| {
                let (n, work) = w.count_and_work(lambda, &mut rng);
                assert_eq!(n, n.round(), "counts are whole numbers");
                work
            })
            .collect();
        let (m, v) = moments(&xs);
        // Var of a compound Poisson sum: lambda * E[X^2] = lambda * m^2 (1 + cv^2).
        let want_v = lambda * 9.0 * (1.0 + 0.49);
        assert!((m / (3.0 * lambda) - 1.0).abs() < 0.001, "mean {m}");
        assert!((v / want_v - 1.0).abs() < 0.05, "var {v} want {want_v}");
    }

    #[test]
    fn ar1_has_stationary_sd() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut a = Ar1::new(0.05, 3600.0, 60.0);
        a.start(&mut rng);
        let xs: Vec<f64> = (0..200_000).map(|_| a.step(&mut rng)).collect();
        let (_, v) = moments(&xs);
        assert!((v.sqrt() / 0.05 - 1.0).abs() < 0.1, "sd {}", v.sqrt());
    }
}
