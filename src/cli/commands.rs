//! What each subcommand does.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::base::error::{Error, Result, Source};
use crate::cli::args::{Cli, Command};
use crate::cli::plan::{RunPlan, Work, parse_percentiles};
use crate::input::sweep;
use crate::model::library::Library;
use crate::report;
use crate::run::checkpoint;
use crate::run::montecarlo;
use crate::scenario::{DEFAULT_RUN, Scenario};

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run_study(&RunPlan::from_args(&args)?),
        Command::Validate { run_file, models } => {
            let lib = Library::load(models.as_deref())?;
            let sc = Scenario::load(&run_file, &lib)?;
            crate::scenario::check_run(&sc)?;
            let src = Source::new(sc.file.clone(), "");
            let est = crate::scenario::check_scenario(&sc, &src)?;
            print!("{}", sc.describe());
            for w in crate::scenario::caveats::warnings(&sc) {
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
            let text =
                crate::input::limits::read_text(&run_file, crate::input::limits::MAX_TOML_BYTES)?;
            let src = Source::new(run_file.display().to_string(), text);
            let axes = sweep::axes(&src)?;
            let base = run_file
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            let stem = run_file
                .file_stem()
                .map_or("run".into(), |s| s.to_string_lossy().into_owned());
            // Each variant passes the same checks as the run would make.
            let variants = if axes.is_empty() {
                Vec::new()
            } else {
                sweep::variants(&axes)
            };
            let base_warnings = crate::scenario::caveats::warnings(&sc);
            for (k, values) in variants.iter().enumerate() {
                let (_, v) = sweep::resolve_variant(&src, &axes, k, values, |vsrc| {
                    let sc = Scenario::from_source(vsrc, &stem, &base, &lib)?;
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
            if !axes.is_empty() {
                let names: Vec<&str> = axes.iter().map(|a| a.path.as_str()).collect();
                println!(
                    "  sweep of {} variants over {}",
                    sweep::variants(&axes).len(),
                    names.join(", ")
                );
            }
            println!("{}: OK", run_file.display());
            Ok(())
        }
        Command::Merge {
            dirs,
            out,
            no_plots,
            quiet,
            percentiles,
        } => merge(&dirs, &out, no_plots, quiet, percentiles.as_deref()),
        Command::Plot { dir } => {
            if !dir.join("hourly.csv").is_file() {
                return Err(Error::Other(format!(
                    "{}: not a dcload run folder (it has no hourly.csv): give a folder that `dcload run` or `dcload merge` wrote",
                    dir.display()
                )));
            }
            for p in crate::report::plot::plot_dir(&dir).map_err(Error::from)? {
                println!("wrote {}", p.display());
            }
            Ok(())
        }
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

fn run_study(args: &RunPlan) -> Result<()> {
    let lib = Library::load(args.models.as_deref())?;
    let (src, stem, base) = match &args.run_file {
        Some(p) => {
            let text = crate::input::limits::read_text(p, crate::input::limits::MAX_TOML_BYTES)?;
            let stem = p
                .file_stem()
                .map_or("run".into(), |s| s.to_string_lossy().into_owned());
            let base = p
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            (Source::new(p.display().to_string(), text), stem, base)
        }
        None => (
            Source::new("<built-in>/runs/default.toml", DEFAULT_RUN),
            "default".to_string(),
            PathBuf::from("."),
        ),
    };
    let axes = sweep::axes(&src)?;
    if axes.is_empty() {
        let sc = Scenario::from_source(&src, &stem, &base, &lib)?;
        let out = args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("out").join(&sc.name));
        run_one(sc, args, &out, &src, &stem, &base)?;
        return Ok(());
    }
    if args.work != Work::All {
        return Err(Error::Option {
            option: if args.work == Work::Resume { "--resume".into() } else { "--shard".into() },
            msg: "not supported for a study with a [sweep] yet: run each variant's run file on its own".into(),
        });
    }
    // A sweep: every variant over the same trials and random streams, each in its own folder,
    // and one row per variant in variants.csv.
    let variants = sweep::variants(&axes);
    let describe = |values: &[sweep::Value]| sweep::describe(&axes, values);
    let resolve = |k: usize, values: &[sweep::Value]| {
        sweep::resolve_variant(&src, &axes, k, values, |vsrc| {
            Scenario::from_source(vsrc, &stem, &base, &lib)
        })
    };
    // Every variant resolves before any runs: a bad one is refused at once, not after the
    // earlier variants' hours of trials.
    // The command line's flags (--years, --interval-minutes, ...) are applied and checked on
    // each variant too: a horizon or a step that varies can make one of them invalid.
    for (k, values) in variants.iter().enumerate() {
        sweep::resolve_variant(&src, &axes, k, values, |vsrc| {
            let mut sc = Scenario::from_source(vsrc, &stem, &base, &lib)?;
            args.apply(&mut sc)?;
            crate::scenario::check_run(&sc)?;
            Ok(())
        })?;
    }
    let (_, first) = resolve(0, &variants[0])?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(&first.name));
    let pset = args
        .percentiles
        .clone()
        .unwrap_or_else(|| first.percentiles.clone());
    // Every variant's trials.csv figures with their bands; the columns are the union over the
    // variants in order of first appearance (a figure a variant does not write is empty).
    let mut columns: Vec<(String, Option<usize>)> = Vec::new();
    let mut done: Vec<(usize, Vec<(String, crate::base::stats::Band)>)> = Vec::new();
    for (k, values) in variants.iter().enumerate() {
        let (vsrc, sc) = resolve(k, values)?;
        if !args.quiet() {
            eprintln!(
                "dcload: variant {k} of {}: {}",
                variants.len(),
                describe(values)
            );
        }
        for col in report::trial_precisions(&sc) {
            if !columns.iter().any(|(n, _)| *n == col.0) {
                columns.push(col);
            }
        }
        let bands = run_one(
            sc,
            args,
            &out.join(format!("variant-{k:02}")),
            &vsrc,
            &stem,
            &base,
        )?;
        done.push((get_trials(&bands), bands));
    }
    let mut rows = String::from("variant");
    for a in &axes {
        rows.push(',');
        rows.push_str(&a.path);
    }
    rows.push_str(",trials");
    for (name, _) in &columns {
        let _ = write!(rows, ",{name}_mean");
        for p in pset.names() {
            let _ = write!(rows, ",{name}_{p}");
        }
    }
    rows.push('\n');
    for (k, (values, (trials, bands))) in variants.iter().zip(&done).enumerate() {
        let _ = write!(rows, "{k}");
        for v in values {
            let _ = write!(rows, ",{}", v.csv());
        }
        let _ = write!(rows, ",{trials}");
        for (name, prec) in &columns {
            let band = bands.iter().find(|(n, _)| n == name).map(|(_, b)| b);
            // The mean two decimals finer than trials.csv; the percentiles (trial values) as
            // trials.csv writes them; sampled inputs at full precision.
            let fmt = |v: f64, extra: usize| match prec {
                Some(p) => format!("{v:.*}", p + extra),
                None => format!("{v}"),
            };
            match band {
                Some(b) => {
                    let _ = write!(rows, ",{}", or_empty_str(b.mean, |v| fmt(v, 2)));
                    for &q in pset.values() {
                        let _ = write!(rows, ",{}", or_empty_str(b.at(q), |v| fmt(v, 0)));
                    }
                }
                None => {
                    rows.push_str(&",".repeat(1 + pset.values().len()));
                }
            }
        }
        rows.push('\n');
    }
    let path = out.join("variants.csv");
    crate::base::io::write_atomic(&path, rows.as_bytes())?;
    if !args.quiet() {
        eprintln!("  wrote {}", path.display());
    }
    Ok(())
}

/// Prints (to stderr, even with --quiet: they qualify the results) the percentiles that rest on
/// too few trials.
fn warn_thin(set: &crate::base::stats::Percentiles, trials: usize) {
    for w in set.warnings(trials) {
        eprintln!("dcload: warning: {w}");
    }
}

/// A figure, or an empty field when it is undefined (NaN).
fn or_empty_str(v: f64, f: impl Fn(f64) -> String) -> String {
    if v.is_finite() { f(v) } else { String::new() }
}

/// Trials behind a set of bands (the count is carried as the `trials` pseudo-band).
fn get_trials(bands: &[(String, crate::base::stats::Band)]) -> usize {
    bands
        .iter()
        .find(|(n, _)| n == "trials")
        .map_or(0, |(_, b)| b.mean as usize)
}

/// Runs one study into `out`; returns its trial bands.
fn run_one(
    mut sc: Scenario,
    args: &RunPlan,
    out: &Path,
    src: &Source,
    stem: &str,
    base: &Path,
) -> Result<Vec<(String, crate::base::stats::Band)>> {
    // What the run file alone asks for, before the flags: a resume compares the lengths the
    // two runs actually write, not the flags that set them.
    let file_minutes = sc.intervals.map(|p| (p.len_s / 60) as i64);
    args.apply(&mut sc)?;
    // A resumed run keeps the original run's interval length (its records hold those
    // intervals); a different one is refused.
    let mut interval_minutes = args.interval_minutes;
    if args.work == Work::Resume
        && let Ok(old) = checkpoint::read_manifest(&out.join(".checkpoint"))
    {
        let old_len = old.interval_minutes.or(file_minutes);
        let new_len = interval_minutes.or(file_minutes);
        if old_len == new_len {
            // The same intervals, whether the flag repeats the run file or not: the manifest
            // keeps the original's record of how they were asked for.
            interval_minutes = old.interval_minutes;
        } else {
            match (old.interval_minutes, interval_minutes) {
                (Some(m), None) => {
                    sc.set_interval_minutes(m).map_err(|msg| Error::Option {
                        option: "--resume".into(),
                        msg: format!("the run being resumed had --interval-minutes {m}: {msg}"),
                    })?;
                    interval_minutes = Some(m);
                }
                _ => {
                    let say = |m: Option<i64>| {
                        m.map_or("no interval file".to_string(), |m| {
                            format!("{m}-minute intervals")
                        })
                    };
                    return Err(Error::Option {
                        option: "--interval-minutes".into(),
                        msg: format!(
                            "the run being resumed in {} wrote {}, this one asks for {}: resume \
                             with the original length (or leave the flag out to keep it)",
                            out.display(),
                            say(old_len),
                            say(new_len)
                        ),
                    });
                }
            }
        }
    }
    crate::scenario::check_run(&sc)?;
    let trace_bytes =
        f64::from(sc.trials) * sc.horizon_hours as f64 * sc.metrics().len() as f64 * 4.0;
    let on_disk = trace_bytes > crate::run::traces::memory_limit_bytes();
    let quiet = args.quiet();
    let started = Instant::now();
    if !quiet {
        eprintln!(
            "dcload: {} — {} trials x {} h at {} s steps, installed IT peak {:.1} MW",
            sc.name,
            sc.trials,
            sc.horizon_hours,
            sc.step_s,
            sc.fleet.peak_w() / 1e6
        );
    }
    // Caveats qualify the results: printed even with --quiet, like the thin-percentile ones.
    for w in crate::scenario::caveats::warnings(&sc) {
        eprintln!("dcload: warning: {w}");
    }
    let manifest = checkpoint::Manifest {
        dcload_version: env!("CARGO_PKG_VERSION").into(),
        run_file: src.name.clone(),
        run_text: src.text.clone(),
        base_dir: base.to_path_buf(),
        models: args.models.clone(),
        stem: stem.to_string(),
        seed: sc.seed,
        trials: sc.trials,
        hours: sc.horizon_hours,
        metrics: sc.metrics().len(),
        interval_minutes,
    };
    if args.work != Work::All && args.until_se.is_some() {
        return Err(Error::Option {
            option: "--until-se".into(),
            msg: "cannot be combined with --resume or --shard".into(),
        });
    }
    if let Work::Shard { k, n } = args.work {
        // A shard: its trials' records and the manifest go to `out`, for `dcload merge`.
        if k >= sc.trials {
            return Err(Error::Option {
                option: "--shard".into(),
                msg: format!(
                    "shard {k}/{n} has no trials: the study has {} trials, so use at most {} shards",
                    sc.trials, sc.trials
                ),
            });
        }
        if n > sc.trials && !quiet {
            eprintln!(
                "note: {n} shards for {} trials: shards {} to {} have no trials",
                sc.trials,
                sc.trials,
                n - 1
            );
        }
        std::fs::create_dir_all(out).map_err(|e| Error::Write {
            path: out.to_path_buf(),
            source: e,
        })?;
        checkpoint::write_manifest(out, &manifest)?;
        let done = checkpoint::existing(out);
        let todo: Vec<u32> = (0..sc.trials)
            .filter(|i| i % n == k && !done.contains(i))
            .collect();
        let ran = montecarlo::run(&sc, args.batch(Some(todo), Some(out), false))?;
        if !quiet {
            eprintln!(
                "dcload: shard {k}/{n}: {} trials in {} (run `dcload merge` on all shards)",
                ran.len() + done.iter().filter(|i| *i % n == k).count(),
                out.display()
            );
        }
        return Ok(Vec::new());
    }
    // Every finished trial is checkpointed so that an interrupted run can --resume.
    let cp = out.join(".checkpoint");
    let mut kept = Vec::new();
    if args.work == Work::Resume {
        let old = checkpoint::read_manifest(&cp).map_err(|_| Error::Option {
            option: "--resume".into(),
            msg: format!("no checkpoint to resume in {}", cp.display()),
        })?;
        if old != manifest {
            return Err(Error::Option {
                option: "--resume".into(),
                msg: format!(
                    "the checkpoint in {} belongs to a different study (run file, seed, trials or models changed)",
                    cp.display()
                ),
            });
        }
        let values = (sc.horizon_hours as usize) * sc.metrics().len();
        for i in checkpoint::existing(&cp) {
            if i >= sc.trials {
                continue;
            }
            // A record torn by a power loss is dropped and its trial run again.
            match checkpoint::read_record(&checkpoint::record_path(&cp, i), values) {
                Ok(mut r) => {
                    if on_disk {
                        r.hourly = Vec::new();
                    }
                    kept.push(r);
                }
                Err(_) => {
                    let _ = std::fs::remove_file(checkpoint::record_path(&cp, i));
                }
            }
        }
    } else {
        let _ = std::fs::remove_dir_all(&cp);
        std::fs::create_dir_all(&cp).map_err(|e| Error::Write {
            path: cp.clone(),
            source: e,
        })?;
        checkpoint::write_manifest(&cp, &manifest)?;
    }
    let todo: Vec<u32> = (0..sc.trials)
        .filter(|i| !kept.iter().any(|r| r.summary.trial == *i))
        .collect();
    let mut results = montecarlo::run(
        &sc,
        args.batch(
            args.until_se.is_none().then_some(todo),
            Some(cp.as_path()),
            !on_disk,
        ),
    )?;
    results.extend(kept);
    results.sort_by_key(|r| r.summary.trial);
    // With --until-se the study may have stopped early: report what ran.
    sc.set_run(None, Some(results.len() as u32), None);
    let wall = started.elapsed().as_secs_f64();
    let used_threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    let src = if on_disk {
        crate::run::traces::HourlySource::Disk {
            paths: results
                .iter()
                .map(|r| checkpoint::record_path(&cp, r.summary.trial))
                .collect(),
        }
    } else {
        crate::run::traces::HourlySource::Memory
    };
    let mut paths = report::write_all(out, &sc, &results, used_threads, wall, args.traces, &src)?;
    // The outputs are complete: the checkpoint has served its purpose.
    let _ = std::fs::remove_dir_all(&cp);
    if args.plots {
        paths.extend(crate::report::plot::plot_dir(out).map_err(Error::from)?);
    }
    paths.push(crate::report::html::write(out)?);
    let mut bands = report::trial_bands(&sc, &results);
    let (lo, hi) = (
        crate::base::stats::label(sc.percentiles.low()),
        crate::base::stats::label(sc.percentiles.high()),
    );
    if !quiet {
        let get = |k: &str| bands.iter().find(|(n, _)| n == k).map(|(_, b)| b.clone());
        if let (Some(e), Some(p)) = (get("energy_mwh"), get("peak_mw")) {
            let label = if sc.horizon_hours == 8760 || sc.horizon_hours == 8784 {
                "annual energy".to_string()
            } else {
                format!("energy over {} h", sc.horizon_hours)
            };
            eprintln!(
                "dcload: {label} {:.0} MWh ({lo} {:.0}, {hi} {:.0}); peak {:.1} MW ({hi} {:.1}); {:.1} s",
                e.mean,
                e.low(),
                e.high(),
                p.mean,
                p.high(),
                wall
            );
            if let Some(pue) = get("pue") {
                eprintln!(
                    "dcload: PUE {:.3} ({lo} {:.3}, {hi} {:.3})",
                    pue.mean,
                    pue.low(),
                    pue.high()
                );
            }
        }
        for line in crate::report::what_broke::what_broke(&sc, &results) {
            eprintln!("{line}");
        }
        for p in paths {
            eprintln!("  wrote {}", p.display());
        }
    }
    warn_thin(&sc.percentiles, results.len());
    let n = results.len() as f64;
    bands.push((
        "trials".into(),
        crate::base::stats::Band::constant(n, &sc.percentiles),
    ));
    Ok(bands)
}

/// Combines shard folders into the outputs a single run of all trials would write.
fn merge(
    dirs: &[PathBuf],
    out: &Path,
    no_plots: bool,
    quiet: bool,
    percentiles: Option<&str>,
) -> Result<()> {
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
    let values = m.hours as usize * m.metrics;
    // Summaries in memory, traces read back from the shard records a block at a time.
    let mut results = Vec::new();
    for d in dirs {
        for i in checkpoint::existing(d) {
            let path = checkpoint::record_path(d, i);
            let mut r = checkpoint::read_record(&path, values)?;
            r.hourly = Vec::new();
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
    let lib = Library::load(m.models.as_deref())?;
    let mut sc = Scenario::from_source(
        &Source::new(m.run_file.clone(), m.run_text.clone()),
        &m.stem,
        &m.base_dir,
        &lib,
    )?;
    sc.set_run(Some(m.seed), Some(m.trials), pset.as_ref());
    // The shards' --interval-minutes: their records hold those intervals.
    if let Some(minutes) = m.interval_minutes {
        sc.set_interval_minutes(minutes)
            .map_err(|msg| Error::Option {
                option: "--interval-minutes".into(),
                msg: format!("of the shards' run: {msg}"),
            })?;
    }
    let mut paths = report::write_all(out, &sc, &results, 0, 0.0, false, &src)?;
    warn_thin(&sc.percentiles, results.len());
    if !no_plots {
        paths.extend(crate::report::plot::plot_dir(out).map_err(Error::from)?);
    }
    paths.push(crate::report::html::write(out)?);
    if !quiet {
        eprintln!(
            "dcload: merged {} trials from {} shards",
            results.len(),
            dirs.len()
        );
        for p in paths {
            eprintln!("  wrote {}", p.display());
        }
    }
    Ok(())
}
