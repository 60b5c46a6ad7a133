use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // SAFETY: the first statement of `main`: no other thread exists yet.
    unsafe { dcload::base::memory::keep_freed_memory() };
    let cli = dcload::cli::args::Cli::parse();
    match dcload::cli::commands::run(cli).map_err(anyhow::Error::from) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
