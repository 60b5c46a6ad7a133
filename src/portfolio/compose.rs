//! Composing the region's load: for each portfolio trial, each built project's hourly MW is its
//! archetype's trial (t mod K, or its own draw: `site_trials`) scaled to its size, zero before its online instant and ramped
//! linearly to full over its ramp days; zones add their projects, the total adds the zones.
//!
//! A year is composed in chunks of hours (all trials of a chunk at once, on the thread pool),
//! so memory is bounded by the chunk whatever the number of trials; each trial accumulates its
//! figures hour by hour in order, and each hour's band is computed from the trials in trial
//! order, so the results do not depend on the threads or the chunk length.

use rayon::prelude::*;

use crate::base::stats::{Band, percentile_sorted};
use crate::portfolio::archetype::Profiles;
use crate::portfolio::draws::{Odds, TrialDraws};
use crate::portfolio::spec::{Portfolio, Project, Year};

/// Bytes of one chunk's hourly values across trials (the chunk's length follows from it).
const CHUNK_BYTES: usize = 32 << 20;

/// Share of hour [h, h + 1) a project online at `o` (hours) with a linear ramp of `r` hours
/// draws: the mean over the hour of clamp((t - o) / r, 0, 1) (a step at `o` when `r` is 0).
#[inline]
pub fn hour_share(h: f64, o: f64, r: f64) -> f64 {
    if h >= o + r {
        return 1.0;
    }
    if h + 1.0 <= o {
        return 0.0;
    }
    let f = |t: f64| {
        if t <= o {
            0.0
        } else if t <= o + r {
            (t - o) * (t - o) / (2.0 * r)
        } else {
            r / 2.0 + (t - o - r)
        }
    };
    (f(h + 1.0) - f(h)).clamp(0.0, 1.0)
}

/// Share of project `x`'s size drawing over hour [h, h + 1) when its first phase comes online
/// at `o` (hours): each phase's share times its ramp's [`hour_share`].
#[inline]
pub fn project_share(x: &Project, h: f64, o: f64) -> f64 {
    x.phases
        .iter()
        .map(|ph| ph.share * hour_share(h, o + ph.offset_h, ph.ramp_h))
        .sum()
}

/// Everything a composition reads.
pub struct Study<'a> {
    pub p: &'a Portfolio,
    pub profiles: &'a [Profiles],
    pub odds: &'a Odds,
    pub draws: &'a [TrialDraws],
}

/// One year's figures across trials.
#[derive(Clone, Debug)]
pub struct YearResult {
    pub year: Year,
    /// `[trial][zone]`, the last column the total: energy (MWh), highest hour (MW) and the sum
    /// of the peaks of the projects in it (MW).
    pub energy: Vec<Vec<f64>>,
    pub peak: Vec<Vec<f64>>,
    pub sum_peaks: Vec<Vec<f64>>,
    /// `[trial][project]`: energy in the year, MWh.
    pub project_energy: Vec<Vec<f64>>,
    /// Each hour's band of each zone and the total: `hours x (zones + 1)`, hour-major.
    pub bands: Vec<Band>,
    /// The regional peak's highest percentile across trials (the band's top), the trial-hours at
    /// or above it, and each project's mean MW over those trial-hours.
    pub threshold_mw: f64,
    pub band_hours: usize,
    pub contribution_mw: Vec<f64>,
    /// The deterministic arithmetic (each project's probability times its mean size, at its
    /// mean delay, on its archetype's mean profile): energy and peak per zone and total.
    pub scalar_energy: Vec<f64>,
    pub scalar_peak: Vec<f64>,
}

impl Study<'_> {
    fn zones(&self) -> usize {
        self.p.zones.len()
    }

    /// Project `i`'s MW at portfolio hour `h` of year `y` in trial `t` (0 when not built).
    #[inline]
    fn project_at(&self, t: usize, i: usize, y: &Year, h: usize) -> f64 {
        let d = &self.draws[t].projects[i];
        if !d.built {
            return 0.0;
        }
        let x = &self.p.projects[i];
        let prof = &self.profiles[x.archetype];
        let share = project_share(x, h as f64, d.online_h);
        if share == 0.0 {
            return 0.0;
        }
        d.mw / prof.reference_mw * share * prof.at(d.site_trial as usize, h - y.first_hour)
    }

    /// Adds trial `t`'s projects over hours [h0, h1) of year `y` into `zones` (zone-major,
    /// `h1 - h0` a zone) and the projects' energy and peak.
    fn compose(
        &self,
        t: usize,
        y: &Year,
        (h0, h1): (usize, usize),
        zones: &mut [f64],
        energy: &mut [f64],
        peak: &mut [f64],
    ) {
        let len = h1 - h0;
        for (i, x) in self.p.projects.iter().enumerate() {
            let d = &self.draws[t].projects[i];
            if !d.built || d.mw == 0.0 {
                continue;
            }
            let prof = &self.profiles[x.archetype];
            let k = d.site_trial as usize;
            let scale = d.mw / prof.reference_mw;
            let first = if d.online_h.is_finite() {
                (d.online_h.floor().max(0.0) as usize).max(h0)
            } else {
                h1
            };
            let full = (d.online_h + x.full_after_h()).ceil().max(0.0);
            let out = &mut zones[x.zone * len..(x.zone + 1) * len];
            let (mut e, mut pk) = (energy[i], peak[i]);
            for h in first..h1 {
                let share = if (h as f64) >= full {
                    1.0
                } else {
                    project_share(x, h as f64, d.online_h)
                };
                let v = scale * share * prof.at(k, h - y.first_hour);
                out[h - h0] += v;
                e += v;
                pk = pk.max(v);
            }
            energy[i] = e;
            peak[i] = pk;
        }
    }

    /// Trial `t`'s zones and total over hours [h0, h1): `(zones + 1) x len`, zone-major.
    fn chunk(
        &self,
        t: usize,
        y: &Year,
        h0: usize,
        h1: usize,
        energy: &mut [f64],
        peak: &mut [f64],
    ) -> Vec<f64> {
        let (z, len) = (self.zones(), h1 - h0);
        let mut buf = vec![0.0; (z + 1) * len];
        self.compose(t, y, (h0, h1), &mut buf[..z * len], energy, peak);
        for j in 0..len {
            let mut s = 0.0;
            for k in 0..z {
                s += buf[k * len + j];
            }
            buf[z * len + j] = s;
        }
        buf
    }

    /// Trial `t`'s zones and total over the whole of year `y`: `(zones + 1) x hours`,
    /// zone-major.
    pub fn trial_year(&self, t: usize, y: &Year) -> Vec<f64> {
        let np = self.p.projects.len();
        let (mut e, mut pk) = (vec![0.0; np], vec![0.0; np]);
        self.chunk(t, y, y.first_hour, y.first_hour + y.hours, &mut e, &mut pk)
    }

    /// Composes year `y` for every trial.
    pub fn year(&self, y: &Year) -> YearResult {
        let trials = self.draws.len();
        let (z, np) = (self.zones(), self.p.projects.len());
        let pset = &self.p.percentiles;
        let mut energy = vec![vec![0.0f64; z + 1]; trials];
        let mut peak = vec![vec![0.0f64; z + 1]; trials];
        let mut p_energy = vec![vec![0.0; np]; trials];
        let mut p_peak = vec![vec![0.0; np]; trials];
        let mut bands: Vec<Band> = Vec::with_capacity(y.hours * (z + 1));
        let chunk = (CHUNK_BYTES / (8 * (z + 1) * trials.max(1))).clamp(24, y.hours);
        let mut h0 = y.first_hour;
        let end = y.first_hour + y.hours;
        while h0 < end {
            let h1 = (h0 + chunk).min(end);
            let len = h1 - h0;
            let bufs: Vec<Vec<f64>> = p_energy
                .par_iter_mut()
                .zip(p_peak.par_iter_mut())
                .enumerate()
                .map(|(t, (pe, pp))| self.chunk(t, y, h0, h1, pe, pp))
                .collect();
            for (t, b) in bufs.iter().enumerate() {
                for k in 0..=z {
                    let (mut e, mut pk) = (energy[t][k], peak[t][k]);
                    for v in &b[k * len..(k + 1) * len] {
                        e += v;
                        pk = pk.max(*v);
                    }
                    energy[t][k] = e;
                    peak[t][k] = pk;
                }
            }
            let hour_bands: Vec<Vec<Band>> = (0..len)
                .into_par_iter()
                .map(|j| {
                    (0..=z)
                        .map(|k| {
                            let mut v: Vec<f64> = bufs.iter().map(|b| b[k * len + j]).collect();
                            Band::of(&mut v, pset)
                        })
                        .collect()
                })
                .collect();
            bands.extend(hour_bands.into_iter().flatten());
            h0 = h1;
        }
        let sum_peaks: Vec<Vec<f64>> = p_peak
            .iter()
            .map(|pp| {
                let mut s = vec![0.0; z + 1];
                for (i, x) in self.p.projects.iter().enumerate() {
                    s[x.zone] += pp[i];
                }
                s[z] = s[..z].iter().sum();
                s
            })
            .collect();
        // The trials and hours at or above the regional peak's top percentile.
        let mut peaks: Vec<f64> = peak.iter().map(|p| p[z]).collect();
        peaks.sort_by(f64::total_cmp);
        let threshold_mw = percentile_sorted(&peaks, pset.high() / 100.0);
        let hot: Vec<usize> = (0..trials)
            .filter(|&t| peak[t][z] >= threshold_mw && peak[t][z] > 0.0)
            .collect();
        let parts: Vec<(Vec<f64>, usize)> = hot
            .par_iter()
            .map(|&t| {
                let buf = self.trial_year(t, y);
                let total = &buf[z * y.hours..];
                let hours: Vec<usize> =
                    (0..y.hours).filter(|&j| total[j] >= threshold_mw).collect();
                let sums: Vec<f64> = (0..np)
                    .map(|i| {
                        hours
                            .iter()
                            .map(|&j| self.project_at(t, i, y, y.first_hour + j))
                            .sum()
                    })
                    .collect();
                (sums, hours.len())
            })
            .collect();
        let mut contribution_mw = vec![0.0; np];
        let mut band_hours = 0;
        for (sums, n) in &parts {
            for (c, s) in contribution_mw.iter_mut().zip(sums) {
                *c += s;
            }
            band_hours += n;
        }
        if band_hours > 0 {
            for c in &mut contribution_mw {
                *c /= band_hours as f64;
            }
        }
        let (scalar_energy, scalar_peak) = self.scalar(y);
        YearResult {
            year: *y,
            energy,
            peak,
            sum_peaks,
            project_energy: p_energy,
            bands,
            threshold_mw,
            band_hours,
            contribution_mw,
            scalar_energy,
            scalar_peak,
        }
    }

    /// The deterministic arithmetic of year `y` (as a planner's single scalars would give it):
    /// each project's marginal probability x its mean size, online at its announced date plus
    /// its mean delay (and the mean supply-chain delay), on its archetype's mean profile.
    fn scalar(&self, y: &Year) -> (Vec<f64>, Vec<f64>) {
        let z = self.zones();
        let mut zones = vec![0.0; z * y.hours];
        let start_day = self.p.start_day();
        for (i, x) in self.p.projects.iter().enumerate() {
            let prof = &self.profiles[x.archetype];
            let scale = self.odds.marginal[i] * x.mw_mean().max(0.0) / prof.reference_mw;
            let supply = if self.p.stages[x.stage].supply_chain {
                self.p.supply_chain_days.mean()
            } else {
                0.0
            };
            let delay = x.delay_days.mean() + supply;
            let o = ((x.online_day - start_day) as f64 + delay) * 24.0;
            for j in 0..y.hours {
                let share = project_share(x, (y.first_hour + j) as f64, o);
                if share > 0.0 {
                    zones[x.zone * y.hours + j] +=
                        scale * share * prof.mean[j % prof.horizon_hours];
                }
            }
        }
        let mut energy = vec![0.0; z + 1];
        let mut peak = vec![0.0; z + 1];
        for j in 0..y.hours {
            let mut s = 0.0;
            for k in 0..z {
                let v = zones[k * y.hours + j];
                energy[k] += v;
                peak[k] = f64::max(peak[k], v);
                s += v;
            }
            energy[z] += s;
            peak[z] = f64::max(peak[z], s);
        }
        (energy, peak)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_shares_integrate_the_ramp() {
        // A step at hour 10.
        assert_eq!(hour_share(9.0, 10.0, 0.0), 0.0);
        assert_eq!(hour_share(10.0, 10.0, 0.0), 1.0);
        // A step in the middle of hour 10: half of it.
        assert!((hour_share(10.0, 10.5, 0.0) - 0.5).abs() < 1e-12);
        // A 4-hour ramp from hour 10: 1/8, 3/8, 5/8, 7/8, then 1.
        for (k, want) in [0.125, 0.375, 0.625, 0.875, 1.0].iter().enumerate() {
            let got = hour_share(10.0 + k as f64, 10.0, 4.0);
            assert!((got - want).abs() < 1e-12, "{k}: {got}");
        }
        // The ramp's energy is half its length short of full power.
        let total: f64 = (0..40).map(|h| hour_share(f64::from(h), 10.0, 4.0)).sum();
        assert!((total - (30.0 - 2.0)).abs() < 1e-12, "{total}");
    }
}
