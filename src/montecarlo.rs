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

/// Reports trials done, rate and ETA on stderr.
pub struct Progress {
    total: usize,
    done: AtomicUsize,
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
                "{spinner} [{elapsed_precise}] {bar:40.cyan/blue} {pos}/{len} trials  {per_sec}  ETA {eta}",
            ) {
                pb.set_style(style);
            }
            pb.enable_steady_tick(Duration::from_millis(200));
            pb
        });
        Progress {
            total,
            done: AtomicUsize::new(0),
            bar,
            plain: mode == ProgressMode::Auto && !tty,
            started: Instant::now(),
            last_line: Mutex::new(Instant::now()),
        }
    }

    pub fn inc(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(pb) = &self.bar {
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
                    "dcload: {done}/{} trials, {rate:.2} trials/s, elapsed {el:.1} s, ETA {eta:.0} s",
                    self.total
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

/// Runs trials `0..trials` of the scenario on `threads` threads (default: all cores).
pub fn run(sc: &Scenario, threads: Option<usize>, mode: ProgressMode) -> Result<Vec<TrialResult>> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n);
    }
    let pool = builder
        .build()
        .map_err(|e| Error::Other(format!("cannot start the thread pool: {e}")))?;
    let progress = Progress::new(sc.trials as usize, mode);
    let results = pool.install(|| {
        (0..sc.trials)
            .into_par_iter()
            .map(|i| {
                let (trial_sc, params) = sc.for_trial(i)?;
                let mut r = run_trial(&trial_sc, i);
                r.summary.params = params;
                progress.inc();
                Ok(r)
            })
            .collect::<Result<Vec<_>>>()
    });
    progress.finish();
    results
}
