//! Command-line options (clap). Kept apart from the code that acts on them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXAMPLES: &str = "\
Examples:
  dcload run                               # the built-in 100 MW campus study
  dcload run runs/chat-national.toml --trials 200 --out out/chat
  dcload run my-site.toml --models my-models/ --threads 2 --quiet
  dcload validate runs/default.toml        # check a run file, print what it resolved to
  dcload plot out/default                  # redraw the plots of a finished run
  dcload models                            # list accelerators, servers, racks, presets";

#[derive(Debug, Parser)]
#[command(
    name = "dcload",
    version,
    about = "Simulates the electricity an AI data centre draws, hour by hour, across Monte Carlo trials",
    long_about = "dcload simulates consumer requests, always-on digital twins, training jobs and \
redundant defense missions against a fleet of rack groups, turns the served work into IT and \
facility power, and writes hourly power bands across Monte Carlo trials to CSV.",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a study and write hourly.csv, trials.csv and summary.json.
    #[command(after_help = EXAMPLES)]
    Run(RunArgs),
    /// Check a run file and print what it resolved to.
    Validate {
        /// The run file (TOML).
        run_file: PathBuf,
        /// A model folder that adds to and overrides the built-in library.
        #[arg(long, value_name = "DIR")]
        models: Option<PathBuf>,
    },
    /// Redraw the SVG plots of a finished run (DIR/plots/*.svg).
    Plot {
        /// The run's output folder (with hourly.csv).
        dir: PathBuf,
    },
    /// Combine the shards of a study (folders written by run --shard) into its outputs.
    Merge {
        /// Shard folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output folder.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[arg(long)]
        no_plots: bool,
        #[arg(long, short)]
        quiet: bool,
        /// Percentiles across trials written in every output file [default: the run file's, or
        /// 10,50,90].
        #[arg(long, value_name = "P,P,...")]
        percentiles: Option<String>,
    },
    /// Curtailment headroom of a balancing authority (Norris et al., Duke University, 2025): the
    /// largest new load that curtailing above the seasonal peaks keeps within each limit.
    Headroom(crate::headroom::HeadroomArgs),
    /// Write DIR/report.html (one self-contained page) from a finished run's folder.
    Report {
        /// The run's output folder (with summary.json).
        dir: PathBuf,
    },
    /// Seconds-scale stress: one window of facility power at a fast step, its mitigations,
    /// spectrum and compliance with a utility's specification, and a fleet's ride-through of a
    /// voltage-disturbance sequence (see runs/dynamics-campus.toml).
    Dynamics(crate::dynamics::DynamicsArgs),
    /// A portfolio of large-load requests (a queue): which get built and when, and what the
    /// region and each zone draw hour by hour (see runs/portfolio-example.toml).
    Portfolio(crate::portfolio::PortfolioArgs),
    /// List the model library (built-in plus --models).
    Models {
        #[arg(long, value_name = "DIR")]
        models: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The run file (TOML); without it the built-in default study runs.
    pub run_file: Option<PathBuf>,
    /// Number of Monte Carlo trials (overrides the run file).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub trials: Option<u32>,
    /// Stop adding trials once the relative standard error of annual energy is below X
    /// (e.g. 0.001); --trials is then the maximum. Checked every 16 trials.
    #[arg(long, value_name = "X")]
    pub until_se: Option<f64>,
    #[command(flatten)]
    pub sim: crate::run::options::SimOptions,
    /// Do not draw the SVG plots.
    #[arg(long)]
    pub no_plots: bool,
    /// Continue an interrupted run from its checkpoint (OUT/.checkpoint): finished trials are
    /// kept, the rest are run, and the outputs are the same as an uninterrupted run's.
    #[arg(long)]
    pub resume: bool,
    /// Run only shard K of N (trials i with i mod N = K) and write its records to --out for
    /// `dcload merge`; `auto` reads SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX and
    /// DCLOAD_SHARD_COUNT.
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<String>,
    /// Run only trial N, numbered from 0 as in trials.csv's `trial` column (and the `trial_N`
    /// columns of traces/facility_mw.csv), and write its full outputs (hourly, intervals,
    /// classes, jobs, trials.csv ...) from the same random numbers as in the whole run. One
    /// trial has no bands: every percentile column holds that trial's figure.
    #[arg(long, visible_alias = "only-trial", value_name = "N")]
    pub trial: Option<u32>,
    /// Percentiles across trials written in every output file (hourly.csv, load_8760.csv,
    /// load_duration.csv, monthly.csv, summary.json, variants.csv, the plots' band), e.g.
    /// 5,50,95 or 10,50,90,99 [default: the run file's `percentiles`, or 10,50,90]. P50 is always
    /// included.
    #[arg(long, value_name = "P,P,...")]
    pub percentiles: Option<String>,
    /// Calendar years of the study clock that get their own load_8760_YYYY.csv,
    /// monthly_YYYY.csv and load_duration_YYYY.csv, e.g. 2027,2028 (overrides `[report] years`).
    #[arg(long, value_name = "YYYY,YYYY,...")]
    pub years: Option<String>,
    /// Also write intervals.csv: facility and IT MW per interval of N minutes (a whole number
    /// of steps dividing the hour, or whole hours), banded across trials (overrides
    /// `[report] interval_minutes`).
    #[arg(long, value_name = "N")]
    pub interval_minutes: Option<i64>,
    /// Also write every trial's hourly facility MW to traces/facility_mw.csv.
    #[arg(long)]
    pub traces: bool,
    /// How trials are stepped: `blocks` (the two-rate engine) or `reference` (every layer at
    /// every step) [default: the run file's `engine`, or blocks].
    #[arg(long, value_name = "blocks|reference")]
    pub engine: Option<crate::scenario::Engine>,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
}
