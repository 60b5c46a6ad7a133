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
//!
//! Weather (`weather = "shared"`, the default): the engine draws a trial's synthetic weather
//! year from the stream (seed, weather, trial) of its run file. So that sites of one climate
//! see one weather year in a portfolio trial, every archetype of a synthetic climate is
//! simulated with the seed of the first archetype of that climate in the file and with the
//! same K (the smallest asked among them); with `site_trials = "shared"` each of their
//! projects then replays trial t mod K of the same weather. An EPW archetype has the same
//! recorded year in every trial.

use std::path::Path;

use crate::base::error::{Error, Result};
use crate::model::library::Library;
use crate::model::metrics::M_FACILITY;
use crate::portfolio::spec::{Archetype, Portfolio, Weather};
use crate::run::montecarlo::{Batch, ProgressMode};
use crate::scenario::Scenario;

/// Trials simulated at once (bounded memory: only the facility column is kept).
const BATCH: usize = 32;

/// One archetype's simulated trials.
#[derive(Clone, Debug)]
pub struct Profiles {
    pub name: String,
    pub run_file: String,
    pub step_s: u64,
    pub horizon_hours: usize,
    /// The seed it was simulated with (its climate's, see the module's note).
    pub seed: u64,
    /// Its synthetic climate, if it has one (its weather is shared with the climate's other
    /// archetypes).
    pub climate: Option<String>,
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

    /// Meter MW per MW of installed IT: the archetype's simulated peak facility draw over its
    /// installed IT (its peak-hour PUE times its IT load at that hour over nameplate). A
    /// project sized in IT MW is the archetype scaled to that installed IT.
    pub fn meter_per_it_mw(&self) -> f64 {
        self.reference_mw / self.it_peak_mw
    }
}

/// An archetype's run file, resolved and set up for the portfolio (its K and seed).
pub struct Prepared {
    pub sc: Scenario,
    /// Its synthetic climate (the weather key): its name, heat wave, start and clock.
    pub climate: Option<String>,
    weather_key: Option<String>,
}

/// Reads every archetype's run file (in file order) and sets its trials and seed.
pub fn prepare(p: &Portfolio, lib: &Library, quiet: bool) -> Result<Vec<Prepared>> {
    let mut out: Vec<Prepared> = p
        .archetypes
        .iter()
        .map(|a| load(p, a, lib))
        .collect::<Result<_>>()?;
    if p.weather == Weather::Shared {
        share_weather(p, &mut out, quiet);
    }
    for (a, x) in p.archetypes.iter().zip(&out) {
        crate::scenario::check_run(&x.sc)?;
        if !quiet {
            eprintln!(
                "dcload: archetype {} ({}): {} trials x {} h at {} s steps, seed {}",
                a.name,
                a.run.path.display(),
                x.sc.trials,
                x.sc.horizon_hours,
                x.sc.step_s,
                x.sc.seed
            );
        }
    }
    Ok(out)
}

/// One archetype's run file, checked, with its K set.
fn load(p: &Portfolio, a: &Archetype, lib: &Library) -> Result<Prepared> {
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
    let f = &sc.spec.facility;
    let climate = match (&f.climate, f.kind.get_ref().as_str()) {
        (Some(c), "physics") => Some(c.get_ref().clone()),
        _ => None,
    };
    // The weather year depends on the climate, a forced heat wave, the start and the clock.
    let weather_key = climate.as_ref().map(|c| {
        let wave = serde_json::to_string(&f.heat_wave).unwrap_or_default();
        format!(
            "{c} {wave} {} {} {}",
            sc.start,
            sc.calendar.describe(),
            sc.horizon_hours
        )
    });
    Ok(Prepared {
        sc,
        climate,
        weather_key,
    })
}

/// Gives the archetypes of one synthetic climate the seed of its first one and the smallest
/// K among them, so that trial k has the same weather year in each.
fn share_weather(p: &Portfolio, out: &mut [Prepared], quiet: bool) {
    for i in 0..out.len() {
        let Some(key) = out[i].weather_key.clone() else {
            continue;
        };
        if out[..i]
            .iter()
            .any(|x| x.weather_key.as_ref() == Some(&key))
        {
            continue;
        }
        let group: Vec<usize> = (i..out.len())
            .filter(|&j| out[j].weather_key.as_ref() == Some(&key))
            .collect();
        let seed = out[i].sc.seed;
        let k = group.iter().map(|&j| out[j].sc.trials).min().unwrap_or(1);
        for &j in &group {
            let x = &mut out[j];
            if !quiet && (x.sc.seed != seed || x.sc.trials != k) {
                eprintln!(
                    "dcload: archetype {}: shares the weather of climate {} with archetype {}: seed {seed} (its run file's {}), {k} trials",
                    p.archetypes[j].name,
                    x.climate.as_deref().unwrap_or(""),
                    p.archetypes[i].name,
                    x.sc.seed
                );
            }
            x.sc.set_run(Some(seed), Some(k), None);
        }
    }
}

/// Simulates every trial of every archetype.
pub fn simulate(
    p: &Portfolio,
    prepared: &[Prepared],
    threads: Option<usize>,
) -> Result<Vec<Profiles>> {
    p.archetypes
        .iter()
        .zip(prepared)
        .map(|(a, x)| {
            let todo: Vec<u32> = (0..x.sc.trials).collect();
            let trials = run_trials(&x.sc, &todo, threads).map_err(|e| named(a, e))?;
            profiles(a, x, trials).map_err(|e| named(a, e))
        })
        .collect()
}

fn named(a: &Archetype, e: Error) -> Error {
    match e {
        Error::Other(m) => Error::Other(format!("archetype {}: {m}", a.name)),
        e => e,
    }
}

/// Runs trials `todo` of `sc` (in that order) and keeps each one's hourly facility MW.
pub fn run_trials(sc: &Scenario, todo: &[u32], threads: Option<usize>) -> Result<Vec<Vec<f32>>> {
    let pos = sc
        .metric_pos(M_FACILITY)
        .ok_or_else(|| Error::Other("the study writes no facility_mw".into()))?;
    let n = sc.metrics().len();
    let hours = sc.horizon_hours as usize;
    let mut trials: Vec<Vec<f32>> = Vec::with_capacity(todo.len());
    for batch in todo.chunks(BATCH) {
        let mut done = crate::run::montecarlo::run(
            sc,
            Batch {
                threads,
                progress: ProgressMode::Quiet,
                todo: Some(batch.to_vec()),
                ..Batch::default()
            },
        )?;
        done.sort_by_key(|r| {
            batch
                .iter()
                .position(|t| *t == r.summary.trial)
                .unwrap_or(usize::MAX)
        });
        for r in done {
            trials.push((0..hours).map(|h| r.hourly[h * n + pos]).collect());
        }
    }
    Ok(trials)
}

/// An archetype's profiles from its K trials' hourly facility MW (in trial order).
pub fn profiles(a: &Archetype, x: &Prepared, trials: Vec<Vec<f32>>) -> Result<Profiles> {
    let sc = &x.sc;
    let hours = sc.horizon_hours as usize;
    let k = trials.len() as f64;
    let mean: Vec<f64> = (0..hours)
        .map(|h| trials.iter().map(|t| f64::from(t[h])).sum::<f64>() / k)
        .collect();
    let energy_mwh = mean.iter().sum();
    let reference_mw = match a.mw {
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
            Path::new(&a.run.path).display()
        )));
    }
    Ok(Profiles {
        name: a.name.clone(),
        run_file: a.run.path.display().to_string(),
        step_s: sc.step_s,
        horizon_hours: hours,
        seed: sc.seed,
        climate: x.climate.clone(),
        it_peak_mw: sc.fleet.peak_w() / 1e6,
        trials,
        reference_mw,
        mean,
        energy_mwh,
    })
}
