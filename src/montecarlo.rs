//! Monte Carlo: trials in parallel, with progress reporting.
//!
//! Trials run on a rayon pool; each trial's random streams depend on (seed, trial) alone and the
//! results are collected in trial order, so output is identical whatever the thread count.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::engine::{TrialResult, run_trial};
use crate::error::{Error, Result};
use crate::study::Scenario;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressMode {
    /// A bar on a terminal, plain periodic lines otherwise.
    Auto,
    Quiet,
}

/// Running mean and standard error of a figure across completed trials.
#[derive(Clone, Copy, Debug, Default)]
pub struct Running {
    n: f64,
    sum: f64,
    sumsq: f64,
}

impl Running {
    pub fn push(&mut self, x: f64) {
        self.n += 1.0;
        self.sum += x;
        self.sumsq += x * x;
    }
    pub fn mean(&self) -> f64 {
        self.sum / self.n
    }
    /// Standard error of the mean (NaN below two trials).
    pub fn se(&self) -> f64 {
        if self.n < 2.0 {
            return f64::NAN;
        }
        let var = ((self.sumsq - self.sum * self.sum / self.n) / (self.n - 1.0)).max(0.0);
        (var / self.n).sqrt()
    }
}

/// Reports trials done, rate, ETA and the running estimates of annual energy and peak demand
/// (with their standard errors) on stderr, so an overnight run can be judged at a glance.
pub struct Progress {
    total: usize,
    done: AtomicUsize,
    estimates: Mutex<(Running, Running)>,
    bar: Option<ProgressBar>,
    plain: bool,
    started: Instant,
    last_line: Mutex<Instant>,
}

impl Progress {
    pub fn new(total: usize, mode: ProgressMode) -> Progress {
        let tty = std::io::stderr().is_terminal();
        let bar = (mode == ProgressMode::Auto && tty).then(|| {
            let pb = ProgressBar::new(total as u64);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} trials  {per_sec}  ETA {eta}  {msg}",
            ) {
                pb.set_style(style);
            }
            pb.enable_steady_tick(Duration::from_millis(200));
            pb
        });
        Progress {
            total,
            done: AtomicUsize::new(0),
            estimates: Mutex::new((Running::default(), Running::default())),
            bar,
            plain: mode == ProgressMode::Auto && !tty,
            started: Instant::now(),
            last_line: Mutex::new(Instant::now()),
        }
    }

    /// A trial finished with this energy (MWh) and peak (MW).
    pub fn inc(&self, energy_mwh: f64, peak_mw: f64) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let estimate = match self.estimates.lock() {
            Ok(mut e) => {
                e.0.push(energy_mwh);
                e.1.push(peak_mw);
                let (en, pk) = *e;
                if en.n >= 2.0 {
                    format!(
                        "energy {:.0} ± {:.0} MWh, peak {:.1} ± {:.1} MW",
                        en.mean(),
                        en.se(),
                        pk.mean(),
                        pk.se()
                    )
                } else {
                    String::new()
                }
            }
            Err(_) => String::new(),
        };
        if let Some(pb) = &self.bar {
            pb.set_message(estimate);
            pb.inc(1);
        } else if self.plain {
            // A line every 10 s or every tenth of the run, and at the end.
            let step = (self.total / 10).max(1);
            let Ok(mut last) = self.last_line.lock() else {
                return;
            };
            if done == self.total
                || done.is_multiple_of(step)
                || last.elapsed() >= Duration::from_secs(10)
            {
                *last = Instant::now();
                let el = self.started.elapsed().as_secs_f64();
                let rate = done as f64 / el.max(1e-9);
                let eta = (self.total - done) as f64 / rate.max(1e-9);
                eprintln!(
                    "dcload: {done}/{} trials, {rate:.2} trials/s, elapsed {el:.1} s, ETA {eta:.0} s{}{estimate}",
                    self.total,
                    if estimate.is_empty() { "" } else { "; " }
                );
            }
        }
    }

    pub fn finish(&self) {
        if let Some(pb) = &self.bar {
            pb.finish_and_clear();
        }
    }
}

/// Trials run between checks of `--until-se`: fixed (not tied to the thread count) so that where
/// a run stops, and so its output, does not depend on the threads.
pub const SE_BATCH: u32 = 16;

/// Runs trials `0..trials` of the scenario on `threads` threads (default: all cores). With
/// `until_se`, trials run in batches of [`SE_BATCH`] and stop once the relative standard error
/// of annual energy is below it (at most `trials`).
///
/// `todo` limits the run to some trials (a shard, or those a resumed run still lacks), in that
/// order; `checkpoint` writes each finished trial's record there as it completes.
pub fn run(
    sc: &Scenario,
    threads: Option<usize>,
    mode: ProgressMode,
    until_se: Option<f64>,
    todo: Option<Vec<u32>>,
    checkpoint: Option<&std::path::Path>,
    keep_hourly: bool,
) -> Result<Vec<TrialResult>> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n);
    }
    let pool = builder
        .build()
        .map_err(|e| Error::Other(format!("cannot start the thread pool: {e}")))?;
    let progress = Progress::new(todo.as_ref().map_or(sc.trials as usize, Vec::len), mode);
    let run_list = |list: Vec<u32>| -> Result<Vec<TrialResult>> {
        pool.install(|| {
            list.into_par_iter()
                .map(|i| {
                    let (trial_sc, params) = sc.for_trial(i)?;
                    let mut r = run_trial(&trial_sc, i);
                    check_finite(sc, &r, &params)?;
                    r.summary.params = params;
                    if let Some(dir) = checkpoint {
                        crate::checkpoint::write_record(dir, &r)?;
                    }
                    if !keep_hourly {
                        // A large study reads its traces back from the records: keep memory bounded.
                        r.hourly = Vec::new();
                    }
                    progress.inc(r.summary.energy_mwh, r.summary.peak_mw);
                    Ok(r)
                })
                .collect::<Result<Vec<_>>>()
        })
    };
    let run_range = |range: std::ops::Range<u32>| run_list(range.collect());
    let results = match until_se {
        None => run_list(todo.unwrap_or_else(|| (0..sc.trials).collect()))?,
        Some(target) => {
            let mut all = Vec::new();
            let mut energy = Running::default();
            let mut start = 0;
            while start < sc.trials {
                let end = (start + SE_BATCH).min(sc.trials);
                for r in run_range(start..end)? {
                    energy.push(r.summary.energy_mwh);
                    all.push(r);
                }
                start = end;
                let rel = energy.se() / energy.mean().abs();
                if rel < target {
                    break;
                }
            }
            all
        }
    };
    progress.finish();
    Ok(results)
}

/// A trial whose figures are not all finite stops the study: no output is ever written with NaN
/// or inf. The error names the figure, the hour and the run file (and the trial's sampled
/// parameters) so that the input can be found.
pub fn check_finite(sc: &Scenario, r: &TrialResult, params: &[f64]) -> Result<()> {
    let names = sc.metrics();
    let bad_hour = r.hourly.iter().position(|v| !v.is_finite()).map(|k| {
        (
            names.get(k % names.len().max(1)).copied().unwrap_or("?"),
            k / names.len().max(1),
            f64::from(r.hourly[k]),
        )
    });
    let bad = bad_hour
        .map(|(n, h, v)| format!("{n} at hour {h} is {v}"))
        .or_else(|| {
            crate::output::trial_columns(sc)
                .into_iter()
                .map(|(n, _, f)| (n, f(&r.summary)))
                .find(|(_, v)| !v.is_finite())
                .map(|(n, v)| format!("{n} is {v}"))
        });
    let Some(bad) = bad else {
        return Ok(());
    };
    let sampled = if params.is_empty() {
        String::new()
    } else {
        let drawn: Vec<String> = sc
            .parameter_names()
            .iter()
            .zip(params)
            .map(|(p, v)| format!("{p} = {}", crate::limits::num(*v)))
            .collect();
        format!(" (sampled {})", drawn.join(", "))
    };
    Err(Error::Other(format!(
        "{}: trial {}{sampled}: {bad}: the inputs give a figure too large or too small to compute; check the largest and smallest numbers in the run and model files",
        sc.file, r.summary.trial
    )))
}
