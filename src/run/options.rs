//! The command-line options every command that simulates trials takes, declared once so that
//! `run` and `portfolio` read them (and print their help) the same way.

use std::path::PathBuf;

/// Worker threads and the model library (flattened into each command's options).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SimOptions {
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..1025))]
    pub threads: Option<u32>,
    /// A model folder that adds to and overrides the built-in library.
    #[arg(long, value_name = "DIR")]
    pub models: Option<PathBuf>,
}
