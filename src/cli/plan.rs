//! The run plan: what `dcload run` was asked to do, from its command-line options, typed and
//! checked once before any file is read. Everything after (the scenario, the Monte Carlo loop,
//! the writers) takes the plan, not the raw options.

use std::path::{Path, PathBuf};

use crate::base::error::{Error, Result};
use crate::base::stats::Percentiles;
use crate::cli::args::RunArgs;
use crate::run::montecarlo::ProgressMode;
use crate::scenario::Scenario;

/// Which trials a run does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Work {
    /// Every trial, checkpointed so that an interrupted run can resume.
    All,
    /// The trials an interrupted run's checkpoint lacks.
    Resume,
    /// Shard `k` of `n`: trials `i` with `i % n == k`, for `dcload merge`.
    Shard { k: u32, n: u32 },
    /// One trial (0-based), with its full outputs, as in the whole run.
    Trial(u32),
}

impl Work {
    /// The option that asked for this work (none for a whole run).
    pub fn option(&self) -> &'static str {
        match self {
            Work::All => "",
            Work::Resume => "--resume",
            Work::Shard { .. } => "--shard",
            Work::Trial(_) => "--trial",
        }
    }
}

/// A validated `dcload run`.
#[derive(Clone, Debug, PartialEq)]
pub struct RunPlan {
    pub run_file: Option<PathBuf>,
    pub models: Option<PathBuf>,
    /// Output folder (default `out/<study name>`).
    pub out: Option<PathBuf>,
    /// Trials and seed replacing the run file's.
    pub trials: Option<u32>,
    pub seed: Option<u64>,
    /// Percentiles replacing the run file's.
    pub percentiles: Option<Percentiles>,
    /// Report years replacing the run file's `[report] years`.
    pub years: Option<Vec<i32>>,
    /// `--interval-minutes`: intervals.csv at this length (overrides `[report]`).
    pub interval_minutes: Option<i64>,
    /// `--engine`.
    pub engine: Option<crate::scenario::Engine>,
    /// Worker threads (default: all cores).
    pub threads: Option<usize>,
    /// Stop once the relative standard error of energy is below this (0 < x < 1).
    pub until_se: Option<f64>,
    pub work: Work,
    pub plots: bool,
    pub traces: bool,
    pub progress: ProgressMode,
}

impl RunPlan {
    /// Checks the options of `dcload run`; errors name the option and what was expected.
    pub fn from_args(args: &RunArgs) -> Result<RunPlan> {
        let option = |o: &str, msg: String| Error::Option {
            option: o.into(),
            msg,
        };
        if let Some(x) = args.until_se
            && !(x > 0.0 && x < 1.0)
        {
            return Err(option(
                "--until-se",
                format!(
                    "expected a relative standard error between 0 and 1 (e.g. 0.001), found {x}"
                ),
            ));
        }
        if args.trials == Some(0) {
            return Err(option(
                "--trials",
                "expected at least 1 trial, found 0".into(),
            ));
        }
        if args.sim.threads == Some(0) {
            return Err(option(
                "--threads",
                "expected at least 1 thread, found 0".into(),
            ));
        }
        let percentiles = parse_percentiles(args.percentiles.as_deref())?;
        let years = args
            .years
            .as_deref()
            .map(|t| {
                t.split(',')
                    .map(|y| {
                        let y = y.trim();
                        match y.parse::<i32>() {
                            Ok(v) if (1..=9999).contains(&v) && y.len() == 4 => Ok(v),
                            _ => Err(option(
                                "--years",
                                format!("expected calendar years like 2027,2028, found {y:?}"),
                            )),
                        }
                    })
                    .collect::<Result<Vec<i32>>>()
            })
            .transpose()?;
        if args.trial.is_some() && (args.shard.is_some() || args.resume) {
            return Err(option(
                "--trial",
                "runs one trial on its own: it cannot be combined with --shard or --resume".into(),
            ));
        }
        let work = match (args.trial, &args.shard, args.resume) {
            (Some(i), _, _) => Work::Trial(i),
            (None, Some(spec), _) => {
                let (k, n) =
                    crate::run::checkpoint::parse_shard(spec).map_err(|m| option("--shard", m))?;
                Work::Shard { k, n }
            }
            (None, None, true) => Work::Resume,
            (None, None, false) => Work::All,
        };
        Ok(RunPlan {
            run_file: args.run_file.clone(),
            models: args.sim.models.clone(),
            out: args.sim.out.clone(),
            trials: args.trials,
            seed: args.sim.seed,
            percentiles,
            years,
            interval_minutes: args.interval_minutes,
            engine: args.engine,
            threads: args.sim.threads.map(|t| t as usize),
            until_se: args.until_se,
            work,
            plots: !args.no_plots,
            traces: args.traces,
            progress: if args.quiet {
                ProgressMode::Quiet
            } else {
                ProgressMode::Auto
            },
        })
    }

    pub fn quiet(&self) -> bool {
        self.progress == ProgressMode::Quiet
    }

    /// The plan's trials, seed, percentiles and report years in the scenario (the one place
    /// they are set); a year outside the horizon is an error naming `--years`.
    pub fn apply(&self, sc: &mut Scenario) -> Result<()> {
        sc.set_run(self.seed, self.trials, self.percentiles.as_ref());
        if let Some(e) = self.engine {
            sc.engine = e;
        }
        if let Some(y) = &self.years {
            sc.set_years(y).map_err(|msg| Error::Option {
                option: "--years".into(),
                msg,
            })?;
        }
        if let Some(m) = self.interval_minutes {
            sc.set_interval_minutes(m).map_err(|msg| Error::Option {
                option: "--interval-minutes".into(),
                msg,
            })?;
        }
        Ok(())
    }

    /// The Monte Carlo batch of this plan: `todo` (default all trials), each finished trial's
    /// record written to `checkpoint`, hourly figures kept in memory or not.
    pub fn batch<'a>(
        &self,
        todo: Option<Vec<u32>>,
        checkpoint: Option<&'a Path>,
        keep_hourly: bool,
    ) -> crate::run::montecarlo::Batch<'a> {
        crate::run::montecarlo::Batch {
            threads: self.threads,
            progress: self.progress,
            until_se: self.until_se,
            todo,
            checkpoint,
            keep_hourly,
        }
    }
}

/// The `--percentiles` flag, checked.
pub fn parse_percentiles(flag: Option<&str>) -> Result<Option<Percentiles>> {
    flag.map(|t| {
        Percentiles::parse(t).map_err(|m| Error::Option {
            option: "--percentiles".into(),
            msg: m,
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn plan(args: &[&str]) -> Result<RunPlan> {
        let mut all = vec!["dcload", "run"];
        all.extend_from_slice(args);
        let cli = crate::cli::args::Cli::try_parse_from(all).unwrap();
        match cli.command {
            crate::cli::args::Command::Run(a) => RunPlan::from_args(&a),
            _ => unreachable!(),
        }
    }

    #[test]
    fn options_become_typed_fields() {
        let p = plan(&[
            "x.toml",
            "--trials",
            "7",
            "--seed",
            "9",
            "--threads",
            "2",
            "--shard",
            "1/4",
            "--percentiles",
            "5,50,95",
            "--no-plots",
            "--quiet",
        ])
        .unwrap();
        assert_eq!(p.trials, Some(7));
        assert_eq!(p.seed, Some(9));
        assert_eq!(p.threads, Some(2));
        assert_eq!(p.work, Work::Shard { k: 1, n: 4 });
        assert_eq!(p.percentiles.as_ref().unwrap().values(), &[5.0, 50.0, 95.0]);
        assert!(!p.plots && p.quiet());
        assert_eq!(plan(&["--resume"]).unwrap().work, Work::Resume);
        assert_eq!(plan(&[]).unwrap().work, Work::All);
    }

    #[test]
    fn zero_trials_and_bad_options_are_refused_with_the_option_named() {
        // clap refuses --trials 0 on the command line; a plan built from other options must too.
        let args = crate::cli::args::RunArgs {
            trials: Some(0),
            ..blank()
        };
        let e = RunPlan::from_args(&args).unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid option --trials: expected at least 1 trial, found 0"
        );
        let e = plan(&["--until-se", "1.5"]).unwrap_err().to_string();
        assert!(
            e.starts_with(
                "invalid option --until-se: expected a relative standard error between 0 and 1"
            ),
            "{e}"
        );
        let e = plan(&["--shard", "4"]).unwrap_err().to_string();
        assert!(e.starts_with("invalid option --shard: expected K/N"), "{e}");
        let e = plan(&["--percentiles", "50,150"]).unwrap_err().to_string();
        assert!(e.starts_with("invalid option --percentiles"), "{e}");
        let e = plan(&["--years", "2027,27"]).unwrap_err().to_string();
        assert!(e.starts_with("invalid option --years"), "{e}");
        assert_eq!(
            plan(&["--years", "2027, 2028"]).unwrap().years,
            Some(vec![2027, 2028])
        );
    }

    fn blank() -> crate::cli::args::RunArgs {
        crate::cli::args::RunArgs {
            run_file: None,
            trials: None,
            until_se: None,
            sim: Default::default(),
            no_plots: false,
            resume: false,
            shard: None,
            trial: None,
            percentiles: None,
            years: None,
            interval_minutes: None,
            engine: None,
            traces: false,
            quiet: false,
        }
    }
}
