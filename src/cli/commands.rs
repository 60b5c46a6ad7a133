//! What each subcommand does; `dcload run` itself is [`super::study`].

use std::path::{Path, PathBuf};

use crate::base::error::{Error, Result, Source};
use crate::cli::args::{Cli, Command};
use crate::cli::plan::{RunPlan, parse_percentiles};
use crate::cli::study::{RunFile, plots_and_page, print_wrote, run_study, warn_thin};
use crate::input::sweep;
use crate::model::library::Library;
use crate::report;
use crate::run::checkpoint;
use crate::scenario::Scenario;

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run_study(&RunPlan::from_args(&args)?),
        Command::Validate { run_file, models } => validate(&run_file, models.as_deref()),
        Command::Merge {
            dirs,
            out,
            no_plots,
            quiet,
            percentiles,
        } => merge(&dirs, &out, no_plots, quiet, percentiles.as_deref()),
        Command::Plot { dir } => plot(&dir),
        Command::Headroom(a) => crate::headroom::run_cli(&a).map(|_| ()),
        Command::Report { dir } => {
            println!("wrote {}", crate::report::html::write(&dir)?.display());
            Ok(())
        }
        Command::Dynamics(args) => crate::dynamics::command(&args),
        Command::Portfolio(args) => crate::portfolio::run(&args),
        Command::Models { models } => {
            let lib = Library::load(models.as_deref())?;
            print!("{}", lib.listing());
            Ok(())
        }
    }
}

/// Checks a run file as a run would (and each sweep variant) and prints what it resolved to.
fn validate(run_file: &Path, models: Option<&Path>) -> Result<()> {
    let lib = Library::load(models)?;
    let file = RunFile::read(run_file)?;
    let sc = file.scenario(&file.src, &lib)?;
    crate::scenario::check_run(&sc)?;
    let est = crate::scenario::check_scenario(&sc, &Source::new(sc.file.clone(), ""))?;
    print!("{}", sc.describe());
    let base_warnings = crate::scenario::caveats::warnings(&sc);
    for w in &base_warnings {
        println!("  warning: {w}");
    }
    println!(
        "  per trial: {} steps, about {} random episodes, about {} MiB (limits: {} steps, {} episodes per source, {} MiB)",
        est.steps,
        crate::input::limits::num(est.episodes.round()),
        (est.bytes / 1048576.0).ceil(),
        crate::input::limits::MAX_STEPS,
        crate::input::limits::num(crate::input::limits::MAX_EPISODES),
        crate::input::limits::MAX_TRIAL_BYTES / 1048576.0
    );
    for name in sc.parameter_names() {
        println!("  uncertain {name}");
    }
    let axes = sweep::axes(&file.src)?;
    if axes.is_empty() {
        println!("{}: OK", run_file.display());
        return Ok(());
    }
    // Each variant passes the same checks as the run would make.
    let variants = sweep::variants(&axes);
    for (k, values) in variants.iter().enumerate() {
        let (_, v) = sweep::resolve_variant(&file.src, &axes, k, values, |vsrc| {
            let sc = file.scenario(vsrc, &lib)?;
            crate::scenario::check_run(&sc)?;
            crate::scenario::check_scenario(&sc, vsrc)?;
            Ok(sc)
        })?;
        // A variant's own caveats (a swept step can make checkpoints fractional).
        for w in crate::scenario::caveats::warnings(&v) {
            if !base_warnings.contains(&w) {
                println!(
                    "  warning (sweep variant {k}: {}): {w}",
                    sweep::describe(&axes, values)
                );
            }
        }
    }
    let names: Vec<&str> = axes.iter().map(|a| a.path.as_str()).collect();
    println!(
        "  sweep of {} variants over {}",
        variants.len(),
        names.join(", ")
    );
    println!("{}: OK", run_file.display());
    Ok(())
}

/// Redraws the plots of a finished run folder.
fn plot(dir: &Path) -> Result<()> {
    if !dir.join("hourly.csv").is_file() {
        return Err(Error::Other(format!(
            "{}: not a dcload run folder (it has no hourly.csv): give a folder that `dcload run` or `dcload merge` wrote",
            dir.display()
        )));
    }
    for p in crate::report::plot::plot_dir(dir).map_err(Error::from)? {
        println!("wrote {}", p.display());
    }
    Ok(())
}

/// Combines shard folders into the outputs a single run of all trials would write.
fn merge(
    dirs: &[PathBuf],
    out: &Path,
    no_plots: bool,
    quiet: bool,
    percentiles: Option<&str>,
) -> Result<()> {
    if dirs.iter().any(|d| crate::portfolio::shard::is_shard(d)) {
        return crate::portfolio::shard::merge(dirs, out, percentiles, quiet);
    }
    let pset = parse_percentiles(percentiles)?;
    let manifests: Vec<checkpoint::Manifest> = dirs
        .iter()
        .map(|d| checkpoint::read_manifest(d))
        .collect::<Result<_>>()?;
    let m = &manifests[0];
    if let Some((d, _)) = dirs.iter().zip(&manifests).find(|(_, x)| *x != m) {
        return Err(Error::Other(format!(
            "{} holds shards of a different study than {}",
            d.display(),
            dirs[0].display()
        )));
    }
    let lib = Library::load(m.models.as_deref())?;
    let mut sc = Scenario::from_source(
        &Source::new(m.run_file.clone(), m.run_text.clone()),
        &m.stem,
        &m.base_dir,
        &lib,
    )?;
    sc.set_run(Some(m.seed), Some(m.trials), pset.as_ref());
    // The shards' engine (none recorded: the reference, as in every release before).
    sc.engine = m.engine.unwrap_or(crate::scenario::Engine::Reference);
    // The shards' --interval-minutes: their records hold those intervals.
    if let Some(minutes) = m.interval_minutes {
        sc.set_interval_minutes(minutes)
            .map_err(|msg| Error::Option {
                option: "--interval-minutes".into(),
                msg: format!("of the shards' run: {msg}"),
            })?;
    }
    let shape = checkpoint::Shape {
        values: m.hours as usize * m.metrics,
        ..checkpoint::Shape::of(&sc)
    };
    // Summaries in memory, traces read back from the shard records a block at a time.
    let mut results = Vec::new();
    for d in dirs {
        for i in checkpoint::existing(d) {
            let path = checkpoint::record_path(d, i);
            let mut r = checkpoint::read_record(&path, shape)?;
            crate::run::traces::drop_traces(&mut r);
            results.push((r, path));
        }
    }
    results.sort_by_key(|(r, _)| r.summary.trial);
    results.dedup_by_key(|(r, _)| r.summary.trial);
    let (results, paths): (Vec<_>, Vec<_>) = results.into_iter().unzip();
    let src = crate::run::traces::HourlySource::Disk { paths };
    let have: Vec<u32> = results.iter().map(|r| r.summary.trial).collect();
    let missing: Vec<u32> = (0..m.trials)
        .filter(|i| have.binary_search(i).is_err())
        .collect();
    if !missing.is_empty() {
        return Err(Error::Other(format!(
            "{} of {} trials are missing (first: {:?}): merge every shard",
            missing.len(),
            m.trials,
            &missing[..missing.len().min(5)]
        )));
    }
    let mut paths = report::write_all(out, &sc, &results, 0, 0.0, false, &src)?;
    warn_thin(&sc.percentiles, results.len(), quiet);
    paths.extend(plots_and_page(out, !no_plots)?);
    if !quiet {
        eprintln!(
            "dcload: merged {} trials from {} shards",
            results.len(),
            dirs.len()
        );
        print_wrote(&paths);
    }
    Ok(())
}
