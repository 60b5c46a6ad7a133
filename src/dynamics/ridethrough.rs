//! Ride-through of a fleet of sites under a voltage-disturbance sequence.
//!
//! A disturbance file lists dips (time, depth as a share of nominal voltage, duration) and,
//! optionally, how the fault varies between trials (a depth scale drawn once per trial, a time
//! jitter per dip). Each site has protection / UPS-transfer settings: a dip counts when it is at
//! least `dip_threshold` deep and lasts at least `min_duration_s`; the site locks onto backup
//! power at the dip that makes `lock_count` counted dips within `lock_window_s` (0 = never
//! locks: the site rides through), or at once on a dip at least `trip_depth` deep; it stays off
//! the grid for `return_delay_s`, then ramps its load back linearly over `ramp_back_s`.
//! Sites and their settings are drawn per trial from the fleet's distributions, so the output
//! (MW off the grid over time) is banded across trials: Monte Carlo over the settings and over
//! the fault.
//!
//! The model is the UPS behaviour NERC's incident review of the 10 July 2024 Northern Virginia
//! event describes ("Considering Simultaneous Voltage-Sensitive Load Reductions", January 2025,
//! as reported by DataCenterDynamics): about 1,500 MW at some 60 data centres transferred to
//! backup after repeated dips from a 230 kV line's reclosing, all inside the +-10 % band, and
//! returned to the grid manually hours later. It counts dips against thresholds rather than
//! following a voltage-duration curve (ITIC, SEMI F47) because a UPS-fed site's equipment never
//! sees the sag: the transfer logic decides. Where the example fleet's settings come from, and
//! what share of trials reaches 1,500 MW under them, is in docs/methods/dynamics.md.

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use serde::Deserialize;

use crate::base::error::{Result, Source};
use crate::input::uncertain::{Dist, Uncertain};

/// A number or a distribution (`{ dist = "uniform", min = .., max = .. }`, as in run files).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Param {
    Value(f64),
    Dist(toml::Table),
}

/// Resolves a parameter at `path` (dotted, e.g. `fleet.group[0].mw`) to a distribution. `at`
/// is a span inside the parameter's entry (a group's name) when the table repeats: the error
/// points at that entry's own key, not the first group's.
pub fn resolve(
    p: &Param,
    path: &str,
    at: Option<usize>,
    found: &[Uncertain],
    src: &Source,
) -> Result<Dist> {
    match p {
        Param::Value(v) => {
            if v.is_finite() && *v >= 0.0 {
                Ok(Dist::Uniform { min: *v, max: *v })
            } else {
                // The full path: the same key appears in every group.
                let msg = format!("expected a number, 0 or more, found {v}");
                let leaf = path.rsplit('.').next().unwrap_or(path);
                Err(match at {
                    Some(at) => {
                        let o = crate::base::locate::key_after(&src.text, at, leaf).unwrap_or(at);
                        src.error_at(o..o, path, msg)
                    }
                    None => src.error(path, msg),
                })
            }
        }
        Param::Dist(_) => found
            .iter()
            .find(|u| u.path == path)
            .map(|u| u.dist.clone())
            .ok_or_else(|| {
                let field = path.rsplit('.').next().unwrap_or(path);
                src.error(
                    field,
                    "expected a number or a distribution like { dist = \"uniform\", min = 1, max = 2 }",
                )
            }),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Dip {
    pub time_s: f64,
    /// Voltage drop, share of nominal (0.08 = down to 92 %).
    pub depth: f64,
    pub duration_s: f64,
}

#[derive(Clone, Debug)]
pub struct Disturbance {
    pub name: String,
    pub dips: Vec<Dip>,
    pub depth_scale: Option<Dist>,
    pub time_jitter_s: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DisturbanceFile {
    name: Option<String>,
    dip: Vec<DipSpec>,
    uncertainty: Option<FaultUncertainty>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DipSpec {
    time_s: toml::Spanned<f64>,
    depth: toml::Spanned<f64>,
    duration_s: toml::Spanned<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultUncertainty {
    depth_scale: Option<Param>,
    time_jitter_s: Option<f64>,
}

impl Disturbance {
    pub fn parse(src: &Source) -> Result<Disturbance> {
        let f: DisturbanceFile = toml::from_str(&src.text).map_err(|e| src.toml_error(&e))?;
        let found = crate::input::uncertain::find(src)?;
        if f.dip.is_empty() {
            return Err(src.error("dip", "expected at least one [[dip]]"));
        }
        let mut dips = Vec::new();
        let mut last = f64::NEG_INFINITY;
        for d in &f.dip {
            let t = *d.time_s.get_ref();
            if !(t.is_finite() && t >= 0.0 && t >= last) {
                return Err(src.error_at(
                    d.time_s.span(),
                    "time_s",
                    format!("expected seconds from the fault's start, 0 or more and not before the previous dip's ({last}), found {t}"),
                ));
            }
            last = t;
            let depth = *d.depth.get_ref();
            if !(depth > 0.0 && depth <= 1.0) {
                return Err(src.error_at(
                    d.depth.span(),
                    "depth",
                    format!("expected a voltage drop as a share of nominal, above 0 and at most 1 (0.08 = down to 92 %), found {depth}"),
                ));
            }
            let dur = *d.duration_s.get_ref();
            if !(dur.is_finite() && dur > 0.0) {
                return Err(src.error_at(
                    d.duration_s.span(),
                    "duration_s",
                    format!("expected a duration in seconds above 0, found {dur}"),
                ));
            }
            dips.push(Dip {
                time_s: t,
                depth,
                duration_s: dur,
            });
        }
        let (depth_scale, jitter) = match &f.uncertainty {
            Some(u) => (
                u.depth_scale
                    .as_ref()
                    .map(|p| resolve(p, "uncertainty.depth_scale", None, &found, src))
                    .transpose()?,
                u.time_jitter_s.unwrap_or(0.0),
            ),
            None => (None, 0.0),
        };
        if !(jitter.is_finite() && jitter >= 0.0) {
            return Err(src.error(
                "time_jitter_s",
                format!("expected seconds, 0 or more, found {jitter}"),
            ));
        }
        Ok(Disturbance {
            name: f.name.unwrap_or_else(|| src.name.clone()),
            dips,
            depth_scale,
            time_jitter_s: jitter,
        })
    }

    /// The dips of one trial: depths scaled, times jittered (then sorted).
    fn draw(&self, rng: &mut ChaCha8Rng) -> Vec<Dip> {
        let scale = self.depth_scale.as_ref().map_or(1.0, |d| d.sample(rng));
        let mut out: Vec<Dip> = self
            .dips
            .iter()
            .map(|d| {
                let j = if self.time_jitter_s > 0.0 {
                    (rand::RngExt::random::<f64>(rng) * 2.0 - 1.0) * self.time_jitter_s
                } else {
                    0.0
                };
                Dip {
                    time_s: (d.time_s + j).max(0.0),
                    depth: (d.depth * scale).clamp(0.0, 1.0),
                    duration_s: d.duration_s,
                }
            })
            .collect();
        out.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));
        out
    }
}

/// Settings of one site (drawn).
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    pub group: usize,
    pub mw: f64,
    pub dip_threshold: f64,
    pub min_duration_s: f64,
    pub lock_count: u32,
    pub lock_window_s: f64,
    pub trip_depth: f64,
    pub return_delay_s: f64,
    pub ramp_back_s: f64,
}

impl Site {
    /// When the site leaves the grid under these dips, if it does.
    pub fn drop_time(&self, dips: &[Dip]) -> Option<f64> {
        let mut counted: Vec<f64> = Vec::new();
        for d in dips {
            if d.depth >= self.trip_depth {
                return Some(d.time_s);
            }
            if d.depth >= self.dip_threshold && d.duration_s >= self.min_duration_s {
                counted.push(d.time_s);
                if self.lock_count > 0 {
                    let n = counted
                        .iter()
                        .filter(|&&t| t > d.time_s - self.lock_window_s - 1e-9)
                        .count();
                    if n as u32 >= self.lock_count {
                        return Some(d.time_s);
                    }
                }
            }
        }
        None
    }

    /// Share of the site's load off the grid at time t after it dropped at `t_drop`.
    pub fn off_share(&self, t_drop: f64, t: f64) -> f64 {
        if t < t_drop {
            0.0
        } else if t < t_drop + self.return_delay_s {
            1.0
        } else if self.ramp_back_s > 0.0 {
            (1.0 - (t - t_drop - self.return_delay_s) / self.ramp_back_s).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

/// A group of sites with settings drawn from distributions.
#[derive(Clone, Debug)]
pub struct SiteGroup {
    pub name: String,
    pub sites: u32,
    pub mw: Dist,
    pub dip_threshold: Dist,
    pub min_duration_s: Dist,
    pub lock_count: Dist,
    pub lock_window_s: Dist,
    pub trip_depth: Option<Dist>,
    pub return_delay_s: Dist,
    pub ramp_back_s: Dist,
}

#[derive(Clone, Debug)]
pub struct Fleet {
    pub groups: Vec<SiteGroup>,
    pub trials: u32,
    pub horizon_s: f64,
    pub step_s: f64,
}

impl Fleet {
    /// The sites of fleet trial `trial`. Each site draws from its own stream, keyed by its
    /// group's name and its place in the group (common random numbers): a variant of the fleet
    /// (a group added, removed or resized) leaves the other sites' draws as they were.
    pub fn draw_sites(&self, seed: u64, trial: u32) -> Vec<Site> {
        let mut out = Vec::new();
        for (gi, g) in self.groups.iter().enumerate() {
            let key = g.name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
            });
            for si in 0..g.sites {
                let mut rng = ChaCha8Rng::seed_from_u64(
                    seed ^ key ^ (si as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                );
                rng.set_stream(trial as u64);
                let rng = &mut rng;
                out.push(Site {
                    group: gi,
                    mw: g.mw.sample(rng).max(0.0),
                    dip_threshold: g.dip_threshold.sample(rng),
                    min_duration_s: g.min_duration_s.sample(rng).max(0.0),
                    lock_count: g.lock_count.sample(rng).round().max(0.0) as u32,
                    lock_window_s: g.lock_window_s.sample(rng).max(0.0),
                    trip_depth: g
                        .trip_depth
                        .as_ref()
                        .map_or(f64::INFINITY, |d| d.sample(rng)),
                    return_delay_s: g.return_delay_s.sample(rng).max(0.0),
                    ramp_back_s: g.ramp_back_s.sample(rng).max(0.0),
                });
            }
        }
        out
    }
}

/// The MW the July 2024 event took off the grid (NERC incident review, reported by
/// DataCenterDynamics): the share of fleet trials that reach it is reported, not asserted.
pub const JULY_2024_MW: f64 = 1500.0;

/// Share of trials whose dropped MW reach `mw`.
pub fn share_at_or_above(trials: &[TrialOutcome], mw: f64) -> f64 {
    if trials.is_empty() {
        return 0.0;
    }
    trials.iter().filter(|t| t.dropped_mw() >= mw).count() as f64 / trials.len() as f64
}

/// One trial: which sites dropped and the MW off the grid per output step.
#[derive(Clone, Debug)]
pub struct TrialOutcome {
    pub sites: Vec<Site>,
    pub drop_times: Vec<Option<f64>>,
    pub lost_mw: Vec<f64>,
}

impl TrialOutcome {
    pub fn dropped(&self) -> usize {
        self.drop_times.iter().filter(|d| d.is_some()).count()
    }
    pub fn dropped_mw(&self) -> f64 {
        self.sites
            .iter()
            .zip(&self.drop_times)
            .filter(|(_, d)| d.is_some())
            .map(|(s, _)| s.mw)
            .sum()
    }
}

pub fn lost_series(sites: &[Site], drops: &[Option<f64>], horizon_s: f64, step_s: f64) -> Vec<f64> {
    let n = (horizon_s / step_s).round() as usize + 1;
    (0..n)
        .map(|k| {
            let t = k as f64 * step_s;
            sites
                .iter()
                .zip(drops)
                .filter_map(|(s, d)| d.map(|d| s.mw * s.off_share(d, t)))
                .sum()
        })
        .collect()
}

/// Runs the fleet's trials (sequentially: a trial is microseconds of work).
pub fn run(fleet: &Fleet, dist: &Disturbance, seed: u64) -> Vec<TrialOutcome> {
    (0..fleet.trials)
        .map(|trial| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x21DE_7440_0F1E_E7A5);
            rng.set_stream(trial as u64);
            let sites = fleet.draw_sites(seed, trial);
            let dips = dist.draw(&mut rng);
            let drops: Vec<Option<f64>> = sites.iter().map(|s| s.drop_time(&dips)).collect();
            let lost_mw = lost_series(&sites, &drops, fleet.horizon_s, fleet.step_s);
            TrialOutcome {
                sites,
                drop_times: drops,
                lost_mw,
            }
        })
        .collect()
}

/// The percentiles of the MW off the grid reported across trials: P10, P50, P90.
pub const BAND_PCTS: [f64; 3] = [0.1, 0.5, 0.9];

/// Per output step, across trials: the mean MW off the grid and its [`BAND_PCTS`] percentiles
/// (ridethrough.csv and the ride-through plot show the same band).
pub fn lost_mw_band(trials: &[TrialOutcome]) -> Vec<(f64, [f64; 3])> {
    let n = trials.first().map_or(0, |t| t.lost_mw.len());
    let mut col = vec![0.0; trials.len()];
    (0..n)
        .map(|k| {
            for (c, t) in col.iter_mut().zip(trials) {
                *c = t.lost_mw[k];
            }
            let mean = super::window::mean(&col);
            col.sort_by(f64::total_cmp);
            (
                mean,
                BAND_PCTS.map(|p| crate::base::stats::percentile_sorted(&col, p)),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(count: u32, window: f64) -> Site {
        Site {
            group: 0,
            mw: 10.0,
            dip_threshold: 0.05,
            min_duration_s: 0.0,
            lock_count: count,
            lock_window_s: window,
            trip_depth: f64::INFINITY,
            return_delay_s: 100.0,
            ramp_back_s: 50.0,
        }
    }

    #[test]
    fn lock_needs_the_count_within_the_window_and_returns_on_a_ramp() {
        let dips: Vec<Dip> = [0.0, 30.0, 70.0, 95.0]
            .iter()
            .map(|&t| Dip {
                time_s: t,
                depth: 0.08,
                duration_s: 0.1,
            })
            .collect();
        // Within 60 s of 95 are 70 and 95 only (30 is 65 s before); within 65 s, 30 counts too.
        assert_eq!(site(3, 60.0).drop_time(&dips), None);
        assert_eq!(site(3, 65.0).drop_time(&dips), Some(95.0));
        assert_eq!(site(2, 25.0).drop_time(&dips), Some(95.0));
        assert_eq!(site(0, 60.0).drop_time(&dips), None);
        let s = site(1, 1.0);
        assert_eq!(s.drop_time(&dips), Some(0.0));
        assert_eq!(s.off_share(0.0, 99.0), 1.0);
        assert!((s.off_share(0.0, 125.0) - 0.5).abs() < 1e-12);
        assert_eq!(s.off_share(0.0, 150.0), 0.0);
    }
}
