//! What each subcommand does.

use std::path::PathBuf;
use std::time::Instant;

use crate::cli::{Cli, Command, RunArgs};
use crate::error::{Error, Result};
use crate::library::Library;
use crate::montecarlo::{self, ProgressMode};
use crate::output;
use crate::study::Scenario;

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run_study(&args),
        Command::Validate { run_file, models } => {
            let lib = Library::load(models.as_deref())?;
            let sc = Scenario::load(&run_file, &lib)?;
            print!("{}", sc.describe());
            println!("{}: OK", run_file.display());
            Ok(())
        }
        Command::Plot { dir } => {
            for p in crate::plot::plot_dir(&dir).map_err(|e| Error::Other(e.to_string()))? {
                println!("wrote {}", p.display());
            }
            Ok(())
        }
        Command::Models { models } => {
            let lib = Library::load(models.as_deref())?;
            print!("{}", lib.listing());
            Ok(())
        }
    }
}

fn run_study(args: &RunArgs) -> Result<()> {
    let lib = Library::load(args.models.as_deref())?;
    let mut sc = match &args.run_file {
        Some(p) => Scenario::load(p, &lib)?,
        None => Scenario::default_study(&lib)?,
    };
    if let Some(t) = args.trials {
        sc.trials = t;
        sc.spec.trials = t;
    }
    if let Some(s) = args.seed {
        sc.seed = s;
        sc.spec.seed = s;
    }
    // Every trial's hourly trace is held until the bands are computed: refuse studies that
    // would not fit rather than fail half-way through the night.
    let bytes = f64::from(sc.trials) * sc.horizon_hours as f64 * sc.metrics().len() as f64 * 4.0;
    if bytes > 16.0 * 1024.0 * 1024.0 * 1024.0 {
        return Err(Error::Option {
            option: "--trials".into(),
            msg: format!(
                "{} trials of {} hours would hold {:.0} GiB of hourly traces in memory (limit 16 GiB): run fewer trials or a shorter horizon",
                sc.trials,
                sc.horizon_hours,
                bytes / 1024.0f64.powi(3)
            ),
        });
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(&sc.name));
    let mode = if args.quiet {
        ProgressMode::Quiet
    } else {
        ProgressMode::Auto
    };
    let threads = args.threads.map(|t| t as usize);
    let started = Instant::now();
    if !args.quiet {
        eprintln!(
            "dcload: {} — {} trials x {} h at {} s steps, installed IT peak {:.1} MW",
            sc.name,
            sc.trials,
            sc.horizon_hours,
            sc.step_s,
            sc.fleet.peak_w() / 1e6
        );
    }
    if let Some(x) = args.until_se
        && !(x > 0.0 && x < 1.0)
    {
        return Err(Error::Option {
            option: "--until-se".into(),
            msg: format!(
                "expected a relative standard error between 0 and 1 (e.g. 0.001), found {x}"
            ),
        });
    }
    let results = montecarlo::run(&sc, threads, mode, args.until_se)?;
    // With --until-se the study may have stopped early: report what ran.
    sc.trials = results.len() as u32;
    sc.spec.trials = sc.trials;
    let wall = started.elapsed().as_secs_f64();
    let used_threads = threads.unwrap_or_else(rayon::current_num_threads);
    let mut paths = output::write_all(&out, &sc, &results, used_threads, wall, args.traces)?;
    if !args.no_plots {
        paths.extend(crate::plot::plot_dir(&out).map_err(|e| Error::Other(e.to_string()))?);
    }
    if !args.quiet {
        let bands = output::trial_bands(&sc, &results);
        let get = |k: &str| bands.iter().find(|(n, _)| n == k).map(|(_, b)| *b);
        if let (Some(e), Some(p)) = (get("energy_mwh"), get("peak_mw")) {
            let label = if sc.horizon_hours == 8760 || sc.horizon_hours == 8784 {
                "annual energy".to_string()
            } else {
                format!("energy over {} h", sc.horizon_hours)
            };
            eprintln!(
                "dcload: {label} {:.0} MWh (P05 {:.0}, P95 {:.0}); peak {:.1} MW (P95 {:.1}); {:.1} s",
                e.mean, e.p05, e.p95, p.mean, p.p95, wall
            );
            if let Some(pue) = get("pue") {
                eprintln!(
                    "dcload: PUE {:.3} (P05 {:.3}, P95 {:.3})",
                    pue.mean, pue.p05, pue.p95
                );
            }
        }
        for p in paths {
            eprintln!("  wrote {}", p.display());
        }
    }
    Ok(())
}
