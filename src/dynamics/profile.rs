//! Hourly means as a continuous profile that keeps each hour's mean.
//!
//! The window takes its sector powers, overhead ratios and training duty from the hourly
//! engine, which gives one mean per hour. Held as a staircase they step at every hour boundary
//! (up to 1.27 MW of IT and 0.48 MW of cooling in the default study) — an artefact a utility's
//! ramp check would read as load. Instead each hour is a piecewise-linear profile: a node at each
//! hour boundary, at the mean of the two hours it joins, and one at the hour's middle placed so
//! that the hour's mean is the engine's exactly. Nodes are capped at twice either neighbour's
//! mean, so a profile of non-negative means never goes below zero (a hour of 0 stays 0).

/// A mean-preserving piecewise-linear profile over consecutive hours.
#[derive(Clone, Debug)]
pub struct Profile {
    /// Value at each hour boundary (one more than the hours).
    edges: Vec<f64>,
    /// Value at each hour's middle.
    mids: Vec<f64>,
}

/// The node where hours of means `a` and `b` meet: their average, capped at twice either mean
/// when both are non-negative (so the middles stay non-negative).
fn node(a: f64, b: f64) -> f64 {
    let m = 0.5 * (a + b);
    if a >= 0.0 && b >= 0.0 {
        m.min(2.0 * a).min(2.0 * b)
    } else {
        m
    }
}

/// Integral of the tent (0 at the hour's ends, 1 at its middle) from 0 to `x` (in hours).
fn tent_integral(x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    if x <= 0.5 {
        x * x
    } else {
        2.0 * x - x * x - 0.5
    }
}

impl Profile {
    /// The profile of `means`, one per hour, with the hours before and after (when known) for
    /// the outer boundaries (unknown: flat at the outer hour's mean).
    pub fn new(means: &[f64], before: Option<f64>, after: Option<f64>) -> Profile {
        Profile::weighted(means, before, after, &vec![(0.0, 1.0); means.len()])
    }

    /// As [`Profile::new`], but hour `i` keeps its mean over the part `over[i]` (a fraction of
    /// the hour, from and to) rather than the whole hour: a job's duty must average its hour's
    /// over the part of the hour the job runs.
    pub fn weighted(
        means: &[f64],
        before: Option<f64>,
        after: Option<f64>,
        over: &[(f64, f64)],
    ) -> Profile {
        let n = means.len();
        let mut edges = Vec::with_capacity(n + 1);
        for i in 0..=n {
            let left = if i == 0 { before } else { Some(means[i - 1]) };
            let right = if i == n { after } else { Some(means[i]) };
            edges.push(match (left, right) {
                (Some(a), Some(b)) => node(a, b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => 0.0,
            });
        }
        let mids = (0..n)
            .map(|i| {
                let (v0, v1) = (edges[i], edges[i + 1]);
                let (s, e) = over[i];
                let base = 0.5 * (v0 + v1);
                let tent = tent_integral(e) - tent_integral(s);
                // The linear part's integral over [s, e], then the tent's height that brings
                // the mean over [s, e] to the hour's.
                let line = (e - s) * (v0 + 0.5 * (v1 - v0) * (s + e));
                if tent > 1e-12 {
                    base + (means[i] * (e - s) - line) / tent
                } else {
                    2.0 * means[i] - base
                }
            })
            .collect();
        Profile { edges, mids }
    }

    /// The value at fraction `x` (0 to 1) of hour `i`.
    pub fn at(&self, i: usize, x: f64) -> f64 {
        let x = x.clamp(0.0, 1.0);
        let (v0, p, v1) = (self.edges[i], self.mids[i], self.edges[i + 1]);
        if x <= 0.5 {
            v0 + (p - v0) * 2.0 * x
        } else {
            p + (v1 - p) * 2.0 * (x - 0.5)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_over(p: &Profile, i: usize, s: f64, e: f64) -> f64 {
        let n = 100_000;
        (0..n)
            .map(|k| p.at(i, s + (e - s) * (k as f64 + 0.5) / n as f64))
            .sum::<f64>()
            / n as f64
    }

    #[test]
    fn each_hour_keeps_its_mean_and_the_boundaries_do_not_step() {
        let means = [10.0, 11.27, 0.0, 4.0, 4.5];
        let p = Profile::new(&means, Some(9.0), None);
        for (i, m) in means.iter().enumerate() {
            assert!((mean_over(&p, i, 0.0, 1.0) - m).abs() < 1e-6, "hour {i}");
            if i + 1 < means.len() {
                assert!((p.at(i, 1.0) - p.at(i + 1, 0.0)).abs() < 1e-12);
            }
        }
        // The hour of 0 stays at 0 throughout; nothing goes negative.
        assert!((0..=100).all(|k| p.at(2, k as f64 / 100.0).abs() < 1e-12));
        assert!((0..5).all(|i| (0..=100).all(|k| p.at(i, k as f64 / 100.0) >= 0.0)));
    }

    #[test]
    fn a_weighted_hour_keeps_its_mean_over_its_part() {
        let means = [0.5, 0.6, 0.9];
        let over = [(0.0, 1.0), (0.3, 1.0), (0.0, 0.25)];
        let p = Profile::weighted(&means, None, Some(0.7), &over);
        for (i, m) in means.iter().enumerate() {
            let (s, e) = over[i];
            assert!((mean_over(&p, i, s, e) - m).abs() < 1e-6, "hour {i}");
        }
    }
}
