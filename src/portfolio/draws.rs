//! The draws of one portfolio trial: the market factor, each calendar year's supply-chain
//! delay, each duplicate group's pick, and each project's existence, delay and size.
//!
//! Common random numbers: every draw comes from its own stream keyed by (seed, what, trial),
//! and a project's streams by a hash of its name, not its position in the file. Removing
//! project X (or adding one) leaves every other project's draws unchanged, so "the queue with X"
//! and "without X" are compared trial by trial; only the members of X's duplicate group (which
//! compete with it) change. A project's existence is drawn as a uniform against its
//! probability, so raising a probability only adds trials where it is built.
//!
//! Market factor: one standard normal z per trial moves every project's logit together,
//! P_i(z) = logistic(c_i + market_sd z), with the intercept c_i calibrated so that P_i averaged
//! over z is the project's stated probability: the factor widens the band of the region's
//! load without moving its mean.

use crate::base::rng::{
    TAG_PORTFOLIO_GROUP, TAG_PORTFOLIO_MARKET, TAG_PORTFOLIO_PROJECT, TAG_PORTFOLIO_SUPPLY, normal,
    splitmix, stream, uniform,
};
use crate::portfolio::spec::{Portfolio, SiteTrials};

/// Sub-streams of a project: one per kind of draw, so a change of one distribution leaves the
/// other draws alone.
const EXIST: u64 = 1;
const DELAY: u64 = 2;
const SIZE: u64 = 3;
const SITE: u64 = 4;

/// One project's draws in one trial.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Draw {
    pub built: bool,
    /// Delay after the announced date (its stage's or its own, plus its year's supply-chain
    /// delay), days.
    pub delay_days: f64,
    /// Online instant, hours from the portfolio's start (fractional).
    pub online_h: f64,
    /// Size at the meter, MW.
    pub mw: f64,
    /// The archetype trial it replays (see [`crate::portfolio::spec::SiteTrials`]).
    pub site_trial: u32,
}

/// The draws of one trial.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialDraws {
    pub market_z: f64,
    pub projects: Vec<Draw>,
}

/// Gauss-Hermite-like quadrature of a standard normal: nodes and weights (summing to 1) of
/// Simpson's rule on [-8, 8] with 1,601 points.
pub struct Normal {
    pub z: Vec<f64>,
    pub w: Vec<f64>,
}

impl Normal {
    pub fn new() -> Normal {
        let n = 1601;
        let (a, b) = (-8.0f64, 8.0f64);
        let h = (b - a) / (n - 1) as f64;
        let mut z = Vec::with_capacity(n);
        let mut w = Vec::with_capacity(n);
        for k in 0..n {
            let x = a + h * k as f64;
            let simpson = if k == 0 || k == n - 1 {
                1.0
            } else if k % 2 == 1 {
                4.0
            } else {
                2.0
            };
            z.push(x);
            w.push(simpson * (-0.5 * x * x).exp());
        }
        let total: f64 = w.iter().sum();
        for x in &mut w {
            *x /= total;
        }
        Normal { z, w }
    }

    /// E[f(Z)] for a standard normal Z.
    pub fn mean(&self, f: impl Fn(f64) -> f64) -> f64 {
        self.z.iter().zip(&self.w).map(|(z, w)| w * f(*z)).sum()
    }
}

impl Default for Normal {
    fn default() -> Self {
        Normal::new()
    }
}

pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Each project's logit intercept under the market factor, and its marginal probability of
/// being built (its probability, or less for a member of a duplicate group).
#[derive(Clone, Debug)]
pub struct Odds {
    pub market_sd: f64,
    /// `None` for a probability of 0 or 1, which no market moves.
    pub intercept: Vec<Option<f64>>,
    pub probability: Vec<f64>,
    /// Probability of being built, averaged over the market factor and the group draw.
    pub marginal: Vec<f64>,
}

impl Odds {
    pub fn new(p: &Portfolio) -> Odds {
        let q = Normal::new();
        let s = p.market_sd;
        let intercept: Vec<Option<f64>> = p
            .projects
            .iter()
            .map(|x| calibrate(x.probability, s, &q))
            .collect();
        let probability: Vec<f64> = p.projects.iter().map(|x| x.probability).collect();
        let mut odds = Odds {
            market_sd: s,
            intercept,
            probability,
            marginal: Vec::new(),
        };
        let mut marginal = odds.probability.clone();
        for g in &p.groups {
            for &i in &g.members {
                marginal[i] = if s == 0.0 {
                    odds.group_share(g.members.as_slice(), i, 0.0)
                } else {
                    q.mean(|z| odds.group_share(g.members.as_slice(), i, z))
                };
            }
        }
        odds.marginal = marginal;
        odds
    }

    /// Project `i`'s probability given the market factor `z`.
    pub fn at(&self, i: usize, z: f64) -> f64 {
        match self.intercept[i] {
            Some(c) if self.market_sd > 0.0 => logistic(c + self.market_sd * z),
            _ => self.probability[i],
        }
    }

    /// Chance that member `i` of a group is the one built, given `z`: the group is built with
    /// its likeliest member's probability, and the member is picked in proportion to the
    /// members' probabilities.
    fn group_share(&self, members: &[usize], i: usize, z: f64) -> f64 {
        let ps: Vec<f64> = members.iter().map(|&j| self.at(j, z)).collect();
        let total: f64 = ps.iter().sum();
        if total <= 0.0 {
            return 0.0;
        }
        let top = ps.iter().copied().fold(0.0, f64::max);
        top * self.at(i, z) / total
    }
}

/// The intercept c with E[logistic(c + s Z)] = p (bisection; `None` for p of 0 or 1).
fn calibrate(p: f64, s: f64, q: &Normal) -> Option<f64> {
    if p <= 0.0 || p >= 1.0 {
        return None;
    }
    let logit = (p / (1.0 - p)).ln();
    if s == 0.0 {
        return Some(logit);
    }
    let (mut lo, mut hi) = (logit - 10.0 * s - 10.0, logit + 10.0 * s + 10.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if q.mean(|z| logistic(mid + s * z)) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// A project's stream of one kind in one trial.
fn project_stream(p: &Portfolio, key: u64, kind: u64, trial: u32) -> crate::base::rng::Stream {
    stream(
        p.seed,
        TAG_PORTFOLIO_PROJECT ^ splitmix(key ^ kind.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        trial,
    )
}

/// The supply-chain delay of calendar year `year` in trial `trial`, days (common to every
/// project announced for that year).
pub fn supply_chain_days(p: &Portfolio, year: i32, trial: u32) -> f64 {
    let mut r = stream(p.seed, TAG_PORTFOLIO_SUPPLY + u64::from(year as u32), trial);
    p.supply_chain_days.sample(&mut r)
}

/// The draws of trial `trial`; `k[a]` is archetype a's number of simulated trials.
pub fn draw(p: &Portfolio, odds: &Odds, k: &[u32], trial: u32) -> TrialDraws {
    let market_z = if p.market_sd > 0.0 {
        normal(&mut stream(p.seed, TAG_PORTFOLIO_MARKET, trial))
    } else {
        0.0
    };
    let start_day = p.start_day();
    let mut projects: Vec<Draw> = p
        .projects
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let mut e = project_stream(p, x.key, EXIST, trial);
            let u = uniform(&mut e);
            let built = x.group.is_none() && u < odds.at(i, market_z);
            let mut d = project_stream(p, x.key, DELAY, trial);
            let supply = if p.stages[x.stage].supply_chain {
                supply_chain_days(p, x.online.year, trial)
            } else {
                0.0
            };
            let delay_days = x.delay_days.sample(&mut d) + supply;
            let mut s = project_stream(p, x.key, SIZE, trial);
            let mw = (x.mw.sample(&mut s) * x.meter_factor).max(0.0);
            let online_h = ((x.online_day - start_day) as f64 + delay_days) * 24.0;
            let kk = k[x.archetype].max(1);
            let site_trial = match p.site_trials {
                SiteTrials::Shared => trial % kk,
                SiteTrials::Independent => {
                    let u = uniform(&mut project_stream(p, x.key, SITE, trial));
                    ((u * f64::from(kk)) as u32).min(kk - 1)
                }
            };
            Draw {
                built,
                delay_days,
                online_h,
                mw,
                site_trial,
            }
        })
        .collect();
    for g in &p.groups {
        let mut r = stream(p.seed, TAG_PORTFOLIO_GROUP ^ splitmix(g.key), trial);
        let (u, v) = (uniform(&mut r), uniform(&mut r));
        let ps: Vec<f64> = g.members.iter().map(|&j| odds.at(j, market_z)).collect();
        let top = ps.iter().copied().fold(0.0, f64::max);
        let total: f64 = ps.iter().sum();
        if u < top && total > 0.0 {
            let mut acc = 0.0;
            let target = v * total;
            let mut pick = g.members.len() - 1;
            for (k, pk) in ps.iter().enumerate() {
                acc += pk;
                if target < acc {
                    pick = k;
                    break;
                }
            }
            // A member of probability 0 is never picked (the last one only if it has some).
            while ps[pick] <= 0.0 && pick > 0 {
                pick -= 1;
            }
            if ps[pick] > 0.0 {
                projects[g.members[pick]].built = true;
            }
        }
    }
    TrialDraws { market_z, projects }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calibrated_intercept_keeps_the_mean_probability() {
        let q = Normal::new();
        assert!((q.mean(|_| 1.0) - 1.0).abs() < 1e-12);
        assert!(q.mean(|z| z).abs() < 1e-12);
        assert!((q.mean(|z| z * z) - 1.0).abs() < 1e-9);
        for p in [0.05, 0.3, 0.498, 0.9] {
            for s in [0.0, 0.5, 2.0] {
                let c = calibrate(p, s, &q).unwrap();
                let m = q.mean(|z| logistic(c + s * z));
                assert!((m - p).abs() < 1e-9, "{p} {s}: {m}");
            }
        }
        assert_eq!(calibrate(0.0, 1.0, &q), None);
        assert_eq!(calibrate(1.0, 1.0, &q), None);
    }
}
