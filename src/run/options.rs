//! The command-line options every command that simulates trials takes, declared once so that
//! `run` and `portfolio` read them (and print their help) the same way.

use std::path::PathBuf;

/// The seed, the output folder, the worker threads and the model library (flattened into each
/// command's options; a command may reword an option's help with `mut_arg`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SimOptions {
    /// Random seed (overrides the run file).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output folder [default: out/<run name>/].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..1025))]
    pub threads: Option<u32>,
    /// A model folder that adds to and overrides the built-in library.
    #[arg(long, value_name = "DIR")]
    pub models: Option<PathBuf>,
}
