//! The command line: the options (clap), the run plan they make, and what each subcommand does.

pub mod args;
pub mod commands;
pub mod plan;
pub mod study;
