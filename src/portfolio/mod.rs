//! Portfolio studies (issue 25): a queue of large-load requests, which of them get built and
//! when, and what the region (and each zone) draws hour by hour, with its spread and the
//! projects that drive it.
//!
//! A portfolio is many site studies drawn together. Each archetype is an ordinary run file,
//! simulated once for K trials ([`archetype`]); each portfolio trial draws which projects are
//! built, their delays and sizes, with a shared market factor, a supply-chain delay common to a
//! calendar year and duplicate-request groups ([`draws`]); the region's load is composed from
//! the archetypes' trial-years ([`compose`]) and written as bands ([`outputs`]). The file is
//! read by [`spec`].
//!
//! Layer: above the tools (`dynamics`, `headroom`), below `cli`; it uses `run::montecarlo` for
//! the archetypes and `base` for streams, statistics and atomic writes.

pub mod archetype;
pub mod compose;
pub mod draws;
pub mod outputs;
mod queue;
pub mod shard;
pub mod spec;
pub mod system;

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::base::error::{Error, Result};
use crate::model::library::Library;

pub use spec::Portfolio;

/// Most trials x projects x years: the draws (~40 bytes each per trial and project) and each
/// project's energy in each trial-year (8 bytes) are held in memory, and written to
/// portfolio_draws.csv (about 40 bytes a trial and project).
pub const MAX_TRIAL_PROJECT_YEARS: f64 = 2.0e7;

/// `dcload portfolio` options.
#[derive(Debug, clap::Args)]
#[command(
    mut_arg("seed", |a| a.help(
        "Random seed of the portfolio draws (overrides the file's `seed`; the archetypes keep their run files' seeds)"
    )),
    mut_arg("out", |a| a.help("Output folder [default: out/<portfolio name>/]")),
    mut_arg("models", |a| a.help(
        "A model folder that adds to and overrides the built-in library (for the archetypes)"
    ))
)]
pub struct PortfolioArgs {
    /// The portfolio file (TOML; see runs/portfolio-example.toml).
    pub file: PathBuf,
    /// Portfolio trials (overrides the file's `trials`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub trials: Option<u32>,
    #[command(flatten)]
    pub sim: crate::run::options::SimOptions,
    /// Leave these projects out (names, comma-separated): the others keep their draws, so the
    /// study compares trial by trial with the full queue's ("with X" vs "without X").
    #[arg(long, value_name = "NAME,NAME,...")]
    pub without: Option<String>,
    /// Percentiles across trials, e.g. 5,50,95 [default: the file's, or 10,50,90].
    #[arg(long, value_name = "P,P,...")]
    pub percentiles: Option<String>,
    /// Simulate only shard K of N of the archetypes' trials and write them to --out for
    /// `dcload merge` (which composes the portfolio); `auto` reads SLURM_ARRAY_TASK_ID/COUNT
    /// or JOB_COMPLETION_INDEX and DCLOAD_SHARD_COUNT, as `dcload run --shard` does.
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<String>,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
}

/// What a finished portfolio study returns (for tests and callers).
pub struct Outcome {
    pub portfolio: Portfolio,
    pub profiles: Vec<archetype::Profiles>,
    pub odds: draws::Odds,
    pub draws: Vec<draws::TrialDraws>,
    pub years: Vec<compose::YearResult>,
    /// Each year's figures against the system load (`[system_load]`), in year order.
    pub system: Vec<system::SystemYear>,
    pub paths: Vec<PathBuf>,
}

/// The command-line options that change the study (kept in a shard's manifest, so the merge
/// composes the study the shards simulated).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Overrides {
    pub trials: Option<u32>,
    pub seed: Option<u64>,
    pub percentiles: Option<String>,
    pub without: Option<String>,
}

impl Overrides {
    pub fn of(args: &PortfolioArgs) -> Overrides {
        Overrides {
            trials: args.trials,
            seed: args.sim.seed,
            percentiles: args.percentiles.clone(),
            without: args.without.clone(),
        }
    }

    /// Applies the options to a portfolio read from its file.
    pub fn apply(&self, p: &mut Portfolio) -> Result<()> {
        if let Some(t) = self.trials {
            p.trials = t;
        }
        if let Some(s) = self.seed {
            p.seed = s;
        }
        if let Some(text) = &self.percentiles {
            p.percentiles =
                crate::base::stats::Percentiles::parse(text).map_err(|m| Error::Option {
                    option: "--percentiles".into(),
                    msg: m,
                })?;
        }
        if let Some(list) = &self.without {
            let names: Vec<String> = list.split(',').map(str::to_string).collect();
            p.without(&names).map_err(|m| Error::Option {
                option: "--without".into(),
                msg: m,
            })?;
        }
        Ok(())
    }
}

/// `dcload portfolio`: reads the file, simulates the archetypes, draws and composes every
/// trial, and writes the outputs (or, with `--shard`, simulates a shard of the archetypes'
/// trials for `dcload merge`).
pub fn run(args: &PortfolioArgs) -> Result<()> {
    let started = Instant::now();
    let mut p = Portfolio::load(&args.file)?;
    let overrides = Overrides::of(args);
    overrides.apply(&mut p)?;
    let lib = Library::load(args.sim.models.as_deref())?;
    let out = args
        .sim
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(&p.name));
    let threads = args.sim.threads.map(|n| n as usize);
    if let Some(spec) = &args.shard {
        let (k, n) = crate::run::checkpoint::parse_shard(spec).map_err(|m| Error::Option {
            option: "--shard".into(),
            msg: m,
        })?;
        let job = shard::Job {
            p: &p,
            lib: &lib,
            models: args.sim.models.clone(),
            overrides,
            threads,
            quiet: args.quiet,
        };
        return shard::run(&job, &out, k, n);
    }
    let done = study(p, &lib, &out, threads, args.quiet)?;
    finished(&done, started, args.quiet);
    Ok(())
}

/// The console lines of a finished study: each year's total, the files, the warnings.
pub fn finished(done: &Outcome, started: Instant, quiet: bool) {
    if !quiet {
        let total = done.portfolio.zones.len();
        let (lo, hi) = (
            crate::base::stats::label(done.portfolio.percentiles.low()),
            crate::base::stats::label(done.portfolio.percentiles.high()),
        );
        for r in &done.years {
            let mut e: Vec<f64> = r.energy.iter().map(|x| x[total]).collect();
            let mut pk: Vec<f64> = r.peak.iter().map(|x| x[total]).collect();
            let e = crate::base::stats::Band::of(&mut e, &done.portfolio.percentiles);
            let pk = crate::base::stats::Band::of(&mut pk, &done.portfolio.percentiles);
            eprintln!(
                "dcload: {}: energy {:.0} GWh ({lo} {:.0}, {hi} {:.0}); peak {:.0} MW ({lo} {:.0}, {hi} {:.0}); scalar arithmetic {:.0} GWh, {:.0} MW",
                r.year.year,
                e.mean / 1e3,
                e.low() / 1e3,
                e.high() / 1e3,
                pk.mean,
                pk.low(),
                pk.high(),
                r.scalar_energy[total] / 1e3,
                r.scalar_peak[total]
            );
        }
        for path in &done.paths {
            eprintln!("  wrote {}", path.display());
        }
        eprintln!(
            "dcload: portfolio {} done in {:.1} s",
            done.portfolio.name,
            started.elapsed().as_secs_f64()
        );
    }
    crate::base::stats::Percentiles::warnings(&done.portfolio.percentiles, done.draws.len())
        .into_iter()
        .for_each(|w| eprintln!("dcload: warning: {w}"));
}

/// Refuses a study whose per-trial draws would not fit in memory.
fn check_size(p: &Portfolio) -> Result<()> {
    let size = f64::from(p.trials) * p.projects.len() as f64 * p.years.len() as f64;
    if size > MAX_TRIAL_PROJECT_YEARS {
        return Err(Error::Other(format!(
            "{}: {} trials x {} projects x {} years is more than {} held in memory: use fewer trials",
            p.src.name,
            p.trials,
            p.projects.len(),
            p.years.len(),
            crate::base::numfmt::num(MAX_TRIAL_PROJECT_YEARS)
        )));
    }
    Ok(())
}

/// Runs a resolved portfolio into `out`.
pub fn study(
    p: Portfolio,
    lib: &Library,
    out: &Path,
    threads: Option<usize>,
    quiet: bool,
) -> Result<Outcome> {
    check_size(&p)?;
    let system = system::System::load(&p)?;
    let prepared = archetype::prepare(&p, lib, quiet)?;
    let profiles = archetype::simulate(&p, &prepared, threads)?;
    compose_all(p, profiles, system.as_ref(), out, threads, quiet)
}

/// Draws and composes every trial from the archetypes' profiles and writes the outputs (the
/// part a merge of shards runs).
pub fn compose_all(
    mut p: Portfolio,
    profiles: Vec<archetype::Profiles>,
    system: Option<&system::System>,
    out: &Path,
    threads: Option<usize>,
    quiet: bool,
) -> Result<Outcome> {
    let per_it: Vec<f64> = profiles.iter().map(|a| a.meter_per_it_mw()).collect();
    p.set_meter_factors(&per_it);
    let pool = crate::run::montecarlo::thread_pool(threads)?;
    let odds = draws::Odds::new(&p);
    let k: Vec<u32> = profiles.iter().map(|a| a.trials.len() as u32).collect();
    let all: Vec<draws::TrialDraws> = pool.install(|| {
        (0..p.trials)
            .into_par_iter()
            .map(|t| draws::draw(&p, &odds, &k, t))
            .collect()
    });
    std::fs::create_dir_all(out).map_err(|e| Error::Write {
        path: out.to_path_buf(),
        source: e,
    })?;
    let mut paths = Vec::new();
    let mut years = Vec::new();
    let mut system_years = Vec::new();
    {
        let st = compose::Study {
            p: &p,
            profiles: &profiles,
            odds: &odds,
            draws: &all,
        };
        for y in &p.years {
            let t0 = Instant::now();
            let mut r = pool.install(|| st.year(y));
            outputs::hourly(out, &p, &r, &mut paths)?;
            if let Some(sys) = system {
                system_years.push(pool.install(|| sys.year(&st, &r)));
            }
            r.bands = Vec::new();
            if !quiet {
                eprintln!(
                    "dcload: {}: {} trials x {} projects composed in {:.1} s",
                    y.year,
                    p.trials,
                    p.projects.len(),
                    t0.elapsed().as_secs_f64()
                );
            }
            years.push(r);
        }
    }
    if let Some(sys) = system {
        system::write(out, &p, sys, &system_years, &mut paths)?;
    }
    outputs::tables(out, &p, &profiles, &odds, &all, &years, &mut paths)?;
    Ok(Outcome {
        portfolio: p,
        profiles,
        odds,
        draws: all,
        years,
        system: system_years,
        paths,
    })
}
