//! The archetypes' library of simulated trial-years: each archetype's run file is simulated
//! once, for K trials, at its own step (`step_s` of its run file: 3600 for speed), and each
//! trial's hourly facility MW is kept as one profile.
//!
//! A project of portfolio trial t replays its archetype's trial t mod K (or, with
//! `site_trials = "independent"`, a trial drawn for it), scaled to its MW: the
//! factor is the project's MW over the archetype's reference MW (the archetype's `mw` in the
//! portfolio file, or else the mean across its K trials of its highest hourly facility MW), so
//! a project's `mw` is its expected annual peak hourly draw at the meter. Each calendar year of
//! the portfolio replays the profile from its first hour (hour of the year modulo the
//! archetype's horizon), so an archetype of a year (or of a day, for tests) stands for any year.

use std::path::Path;

use crate::base::error::{Error, Result};
use crate::model::library::Library;
use crate::model::metrics::M_FACILITY;
use crate::portfolio::spec::Portfolio;
use crate::run::montecarlo::{Batch, ProgressMode};
use crate::scenario::Scenario;

/// Trials simulated at once (bounded memory: only the facility column is kept).
const BATCH: u32 = 32;

/// One archetype's simulated trials.
#[derive(Clone, Debug)]
pub struct Profiles {
    pub name: String,
    pub run_file: String,
    pub step_s: u64,
    pub horizon_hours: usize,
    /// Installed IT peak of the archetype's fleet, MW.
    pub it_peak_mw: f64,
    /// Hourly facility MW of each trial (K x horizon).
    pub trials: Vec<Vec<f32>>,
    /// The MW its profile stands for (see the module's note).
    pub reference_mw: f64,
    /// Mean across trials of each hour, MW.
    pub mean: Vec<f64>,
    /// Mean across trials of the trial's energy over its horizon, MWh.
    pub energy_mwh: f64,
}

impl Profiles {
    /// Hourly MW of trial `k` at hour `j` of a calendar year (replayed modulo the horizon).
    #[inline]
    pub fn at(&self, k: usize, j: usize) -> f64 {
        f64::from(self.trials[k][j % self.horizon_hours])
    }
}

/// Simulates every archetype of `p` (in file order).
pub fn simulate(
    p: &Portfolio,
    lib: &Library,
    threads: Option<usize>,
    quiet: bool,
) -> Result<Vec<Profiles>> {
    p.archetypes
        .iter()
        .map(|a| {
            if !a.run.path.is_file() {
                return Err(p.src.error_at(
                    a.run.span.clone(),
                    "run",
                    format!(
                        "archetype {:?}: cannot read the run file {} (paths are relative to the portfolio file's folder)",
                        a.name,
                        a.run.path.display()
                    ),
                ));
            }
            let mut sc = Scenario::load(&a.run.path, lib)?;
            if sc.horizon_s % 3600 != 0 {
                return Err(p.src.error_at(
                    a.run.span.clone(),
                    "run",
                    format!(
                        "archetype {:?}: its run file's horizon must be whole hours (it is {} s)",
                        a.name, sc.horizon_s
                    ),
                ));
            }
            let k = a.trials.unwrap_or(sc.trials).min(p.trials).max(1);
            sc.set_run(None, Some(k), None);
            crate::scenario::check_run(&sc)?;
            let jan1 = sc.start.month == 1 && sc.start.day == 1;
            if !jan1 || sc.calendar.zone_name().is_some() || sc.calendar.utc_offset_s() != p.utc_offset_s {
                eprintln!(
                    "dcload: warning: archetype {}: its run file starts {} on {}; its first hour is replayed as 1 January 00:00 of each portfolio year on the portfolio's clock ({}): start it on 1 January at the same offset for its daily and seasonal shapes to fall on the right hours",
                    a.name,
                    sc.start,
                    sc.calendar.describe(),
                    crate::base::time::format_utc_offset(p.utc_offset_s)
                );
            }
            for w in crate::scenario::caveats::warnings(&sc) {
                eprintln!("dcload: warning: archetype {}: {w}", a.name);
            }
            if !quiet {
                eprintln!(
                    "dcload: archetype {} ({}): {k} trials x {} h at {} s steps",
                    a.name,
                    a.run.path.display(),
                    sc.horizon_hours,
                    sc.step_s
                );
            }
            profiles(&sc, &a.name, &a.run.path, a.mw, threads).map_err(|e| match e {
                Error::Other(m) => Error::Other(format!("archetype {}: {m}", a.name)),
                e => e,
            })
        })
        .collect()
}

/// Runs `sc`'s trials and keeps each one's hourly facility MW.
pub fn profiles(
    sc: &Scenario,
    name: &str,
    run: &Path,
    mw: Option<f64>,
    threads: Option<usize>,
) -> Result<Profiles> {
    let pos = sc
        .metric_pos(M_FACILITY)
        .ok_or_else(|| Error::Other("the study writes no facility_mw".into()))?;
    let n = sc.metrics().len();
    let hours = sc.horizon_hours as usize;
    let mut trials: Vec<Vec<f32>> = Vec::with_capacity(sc.trials as usize);
    let mut start = 0;
    while start < sc.trials {
        let end = (start + BATCH).min(sc.trials);
        let done = crate::run::montecarlo::run(
            sc,
            Batch {
                threads,
                progress: ProgressMode::Quiet,
                todo: Some((start..end).collect()),
                ..Batch::default()
            },
        )?;
        for r in done {
            trials.push((0..hours).map(|h| r.hourly[h * n + pos]).collect());
        }
        start = end;
    }
    let k = trials.len() as f64;
    let mean: Vec<f64> = (0..hours)
        .map(|h| trials.iter().map(|t| f64::from(t[h])).sum::<f64>() / k)
        .collect();
    let energy_mwh = mean.iter().sum();
    let reference_mw = match mw {
        Some(m) => m,
        None => {
            trials
                .iter()
                .map(|t| t.iter().copied().fold(0.0f32, f32::max) as f64)
                .sum::<f64>()
                / k
        }
    };
    if reference_mw.is_nan() || reference_mw <= 0.0 {
        return Err(Error::Other(format!(
            "{}: the archetype draws nothing (its highest hourly facility MW is 0): give it a load, or `mw` in the portfolio file",
            run.display()
        )));
    }
    Ok(Profiles {
        name: name.to_string(),
        run_file: run.display().to_string(),
        step_s: sc.step_s,
        horizon_hours: hours,
        it_peak_mw: sc.fleet.peak_w() / 1e6,
        trials,
        reference_mw,
        mean,
        energy_mwh,
    })
}
