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

use crate::base::clock::thread_cpu_ms;
use crate::base::error::{Error, Result};
use crate::scenario::Scenario;
use crate::sim::{TrialResult, run_trial};

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

/// What one call of [`run`] does (built from the run plan by [`crate::cli::plan::RunPlan::batch`]).
#[derive(Clone, Debug)]
pub struct Batch<'a> {
    /// Worker threads (default: all cores).
    pub threads: Option<usize>,
    pub progress: ProgressMode,
    /// Run in batches of [`SE_BATCH`] trials and stop once the relative standard error of
    /// annual energy is below this (at most the study's trials).
    pub until_se: Option<f64>,
    /// Only these trials, in this order (a shard, or those a resumed run still lacks); default
    /// `0..trials`.
    pub todo: Option<Vec<u32>>,
    /// Write each finished trial's record here as it completes.
    pub checkpoint: Option<&'a std::path::Path>,
    /// Keep each trial's hourly figures and interval means in memory (else they are read back
    /// from the records).
    pub keep_hourly: bool,
}

impl Default for Batch<'_> {
    /// Every trial, on all cores, quietly, in memory, no checkpoint.
    fn default() -> Self {
        Batch {
            threads: None,
            progress: ProgressMode::Quiet,
            until_se: None,
            todo: None,
            checkpoint: None,
            keep_hourly: true,
        }
    }
}

/// A pool of `threads` workers (default: all cores); results never depend on the count.
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n);
    }
    builder
        .build()
        .map_err(|e| Error::Other(format!("cannot start the thread pool: {e}")))
}

/// Runs the trials of `batch` (see [`Batch`]); results in trial order.
pub fn run(sc: &Scenario, batch: Batch<'_>) -> Result<Vec<TrialResult>> {
    let Batch {
        threads,
        progress: mode,
        until_se,
        todo,
        checkpoint,
        keep_hourly,
    } = batch;
    let pool = thread_pool(threads)?;
    let progress = Progress::new(todo.as_ref().map_or(sc.trials as usize, Vec::len), mode);
    let run_list = |list: Vec<u32>| -> Result<Vec<TrialResult>> {
        pool.install(|| {
            list.into_par_iter()
                .map(|i| {
                    let (trial_sc, params) = sc.for_trial(i)?;
                    // The trial alone on its thread's CPU clock (run_info.json's
                    // `trial_cpu_ms`: what a trial-year costs, without start-up or files).
                    let (mut r, cpu_ms) = thread_cpu_ms(|| run_trial(&trial_sc, i));
                    r.cpu_ms = cpu_ms;
                    check_finite(sc, &r, &params)?;
                    r.summary.params = params;
                    if let Some(dir) = checkpoint {
                        crate::run::checkpoint::write_record(dir, &mut r)?;
                    }
                    if !keep_hourly {
                        // A large study reads its traces back from the records: keep memory bounded.
                        crate::run::traces::drop_traces(&mut r);
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
    // The largest magnitude's bits first (a pass the compiler vectorises): only a trial that
    // holds a non-finite figure is searched for where.
    let widest = r
        .hourly
        .iter()
        .fold(0, |m, v| m.max(v.to_bits() & 0x7fff_ffff));
    let finite = widest < f32::INFINITY.to_bits();
    let bad_hour = (!finite).then(|| r.hourly.iter().position(|v| !v.is_finite()));
    let bad_hour = bad_hour.flatten().map(|k| {
        (
            names.get(k % names.len().max(1)).copied().unwrap_or("?"),
            k / names.len().max(1),
            f64::from(r.hourly[k]),
        )
    });
    let bad = bad_hour
        .map(|(n, h, v)| format!("{n} at hour {h} is {v}"))
        .or_else(|| {
            crate::sim::columns::trial_columns(sc)
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
            .map(|(p, v)| format!("{p} = {}", crate::input::limits::num(*v)))
            .collect();
        format!(" (sampled {})", drawn.join(", "))
    };
    Err(Error::Other(format!(
        "{}: trial {}{sampled}: {bad}: the inputs give a figure too large or too small to compute; check the largest and smallest numbers in the run and model files",
        sc.file, r.summary.trial
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::error::Source;
    use crate::model::library::Library;

    /// A day at hourly steps: chat with random demand, and a noiseless twin.
    fn study(trials: u32, twin_only: bool) -> Scenario {
        let chat = if twin_only {
            ""
        } else {
            "[[consumer]]\nname = \"chat\"\npreset = \"chat\"\npool = \"a\"\nrequests_per_day = 1.0e5\n"
        };
        let pool = if twin_only { "a" } else { "b" };
        let text = format!(
            "horizon_hours = 24\nstep_s = 3600\nseed = 3\ntrials = {trials}\n[site]\n\
             [[site.group]]\nname = \"a\"\nserver = \"DGX-H100\"\ncount = 10\n\
             [[site.group]]\nname = \"b\"\nserver = \"DGX-H100\"\ncount = 2\n\
             {chat}[[twin]]\nname = \"t\"\npool = \"{pool}\"\nbase_utilisation = 0.5\njitter_sd = 0.0\n\
             [facility]\nkind = \"fixed\"\npue = 1.5\n"
        );
        let text = if twin_only {
            // Group b would serve nothing: give the twin both pools' groups in one pool.
            text.replace("name = \"b\"", "name = \"b\"\npool = \"a\"")
        } else {
            text
        };
        let lib = Library::load(None).unwrap();
        Scenario::from_source(
            &Source::new("m.toml", text),
            "m",
            std::path::Path::new("."),
            &lib,
        )
        .unwrap()
    }

    fn energies(r: &[TrialResult]) -> Vec<(u32, f64)> {
        r.iter()
            .map(|x| (x.summary.trial, x.summary.energy_mwh))
            .collect()
    }

    #[test]
    fn results_are_in_trial_order_and_the_same_on_one_or_two_threads() {
        let sc = study(6, false);
        let on_threads = |n: usize| {
            let batch = Batch {
                threads: Some(n),
                ..Batch::default()
            };
            run(&sc, batch).unwrap()
        };
        let (one, two) = (on_threads(1), on_threads(2));
        assert_eq!(energies(&one), energies(&two));
        assert_eq!(
            one.iter().map(|r| r.summary.trial).collect::<Vec<_>>(),
            (0..6).collect::<Vec<_>>()
        );
        assert!(one.iter().zip(&two).all(|(a, b)| a.hourly == b.hourly));
        // Random demand: trials differ.
        assert_ne!(one[0].summary.energy_mwh, one[1].summary.energy_mwh);
    }

    #[test]
    fn a_todo_list_runs_those_trials_as_the_full_run_does() {
        let sc = study(6, false);
        let all = run(&sc, Batch::default()).unwrap();
        let some = run(
            &sc,
            Batch {
                todo: Some(vec![4, 1]),
                keep_hourly: false,
                ..Batch::default()
            },
        )
        .unwrap();
        assert_eq!(energies(&some), vec![energies(&all)[4], energies(&all)[1]]);
        assert!(some.iter().all(|r| r.hourly.is_empty()));
    }

    #[test]
    fn a_streamed_study_keeps_neither_hourly_figures_nor_interval_means_in_memory() {
        let mut sc = study(3, false);
        sc.set_interval_minutes(60).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let streamed = Batch {
            checkpoint: Some(dir.path()),
            keep_hourly: false,
            ..Batch::default()
        };
        let r = run(&sc, streamed).unwrap();
        assert!(r.iter().all(|x| x.hourly.is_empty()
            && x.summary.interval_facility_mw.is_empty()
            && x.summary.interval_it_mw.is_empty()));
        // Kept in memory, they stay whole (the record took them out and put them back).
        let kept = Batch {
            checkpoint: Some(dir.path()),
            ..Batch::default()
        };
        let r = run(&sc, kept).unwrap();
        assert!(r.iter().all(|x| x.summary.interval_facility_mw.len() == 24));
    }

    #[test]
    fn a_noiseless_study_stops_after_one_batch_under_until_se() {
        // A noiseless twin: every trial is the same, so the standard error is 0 after the first
        // batch and the run stops there, well short of its 40 trials.
        let sc = study(40, true);
        let r = run(
            &sc,
            Batch {
                until_se: Some(0.01),
                ..Batch::default()
            },
        )
        .unwrap();
        assert_eq!(r.len(), SE_BATCH as usize);
        let e = r[0].summary.energy_mwh;
        assert!(r.iter().all(|x| x.summary.energy_mwh == e));
    }

    #[test]
    fn running_mean_and_standard_error_equal_the_hand_figures() {
        let mut x = Running::default();
        x.push(1.0);
        assert!(x.se().is_nan());
        x.push(2.0);
        x.push(3.0);
        assert_eq!(x.mean(), 2.0);
        // sample sd 1, n 3: se = 1 / sqrt(3)
        assert!((x.se() - 1.0 / 3f64.sqrt()).abs() < 1e-12);
    }
}
