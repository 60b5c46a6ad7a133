//! `dcload run`: one study, a sweep of variants (each in its own folder, plus variants.csv), a
//! shard for `dcload merge`, or the resumption of an interrupted run from its checkpoint.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::base::error::{Error, Result, Source};
use crate::base::stats::{Band, Percentiles};
use crate::cli::plan::{RunPlan, Work};
use crate::input::sweep;
use crate::model::library::Library;
use crate::report;
use crate::run::checkpoint::{self, Manifest};
use crate::run::montecarlo;
use crate::run::traces::HourlySource;
use crate::scenario::{DEFAULT_RUN, Scenario};
use crate::sim::TrialResult;

/// A study's figures banded across trials, by trials.csv column name.
type Bands = Vec<(String, Band)>;

/// A run file's text with what its relative paths and output names hang on: the file's stem
/// (the study's default name) and its folder (relative paths in it are read from there).
pub(super) struct RunFile {
    pub src: Source,
    pub stem: String,
    pub base: PathBuf,
}

impl RunFile {
    pub fn read(path: &Path) -> Result<RunFile> {
        let text = crate::input::limits::read_text(path, crate::input::limits::MAX_TOML_BYTES)?;
        Ok(RunFile {
            src: Source::new(path.display().to_string(), text),
            stem: path
                .file_stem()
                .map_or("run".into(), |s| s.to_string_lossy().into_owned()),
            base: path
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        })
    }

    fn built_in() -> RunFile {
        RunFile {
            src: Source::new("<built-in>/runs/default.toml", DEFAULT_RUN),
            stem: "default".to_string(),
            base: PathBuf::from("."),
        }
    }

    /// The scenario of `src` (this file's text, or a sweep variant's) with this file's stem
    /// and folder.
    pub fn scenario(&self, src: &Source, lib: &Library) -> Result<Scenario> {
        Scenario::from_source(src, &self.stem, &self.base, lib)
    }
}

pub(super) fn run_study(args: &RunPlan) -> Result<()> {
    let lib = Library::load(args.models.as_deref())?;
    let file = match &args.run_file {
        Some(p) => RunFile::read(p)?,
        None => RunFile::built_in(),
    };
    let axes = sweep::axes(&file.src)?;
    if axes.is_empty() {
        let sc = file.scenario(&file.src, &lib)?;
        let out = args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("out").join(&sc.name));
        run_one(sc, args, &out, &file.src, &file)?;
        return Ok(());
    }
    if args.work != Work::All {
        return Err(Error::Option {
            option: args.work.option().into(),
            msg: "not supported for a study with a [sweep] yet: run each variant's run file on its own".into(),
        });
    }
    run_sweep(args, &lib, &file, &axes)
}

/// A sweep: every variant over the same trials and random streams, each in its own folder,
/// and one row per variant in variants.csv.
fn run_sweep(args: &RunPlan, lib: &Library, file: &RunFile, axes: &[sweep::Axis]) -> Result<()> {
    let variants = sweep::variants(axes);
    let resolve = |k: usize, values: &[sweep::Value]| {
        sweep::resolve_variant(&file.src, axes, k, values, |vsrc| file.scenario(vsrc, lib))
    };
    // Every variant resolves before any runs: a bad one is refused at once, not after the
    // earlier variants' hours of trials.
    // The command line's flags (--years, --interval-minutes, ...) are applied and checked on
    // each variant too: a horizon or a step that varies can make one of them invalid.
    for (k, values) in variants.iter().enumerate() {
        sweep::resolve_variant(&file.src, axes, k, values, |vsrc| {
            let mut sc = file.scenario(vsrc, lib)?;
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
    let mut done: Vec<(usize, Bands)> = Vec::new();
    for (k, values) in variants.iter().enumerate() {
        let (vsrc, sc) = resolve(k, values)?;
        if !args.quiet() {
            eprintln!(
                "dcload: variant {k} of {}: {}",
                variants.len(),
                sweep::describe(axes, values)
            );
        }
        for col in report::trial_precisions(&sc) {
            if !columns.iter().any(|(n, _)| *n == col.0) {
                columns.push(col);
            }
        }
        let bands = run_one(sc, args, &out.join(format!("variant-{k:02}")), &vsrc, file)?;
        done.push((get_trials(&bands), bands));
    }
    let rows = variants_csv(axes, &variants, &columns, &done, &pset);
    let path = out.join("variants.csv");
    crate::base::io::write_atomic(&path, rows.as_bytes())?;
    if !args.quiet() {
        eprintln!("  wrote {}", path.display());
    }
    Ok(())
}

/// variants.csv: per variant its swept values, its trials and every figure's mean and
/// percentiles (`columns`, with their trials.csv precision).
fn variants_csv(
    axes: &[sweep::Axis],
    variants: &[Vec<sweep::Value>],
    columns: &[(String, Option<usize>)],
    done: &[(usize, Bands)],
    pset: &Percentiles,
) -> String {
    let mut rows = String::from("variant");
    for a in axes {
        rows.push(',');
        rows.push_str(&crate::base::csvcell::cell(&a.path));
    }
    rows.push_str(",trials");
    for (name, _) in columns {
        let _ = write!(rows, ",{name}_mean");
        for p in pset.names() {
            let _ = write!(rows, ",{name}_{p}");
        }
    }
    rows.push('\n');
    for (k, (values, (trials, bands))) in variants.iter().zip(done).enumerate() {
        let _ = write!(rows, "{k}");
        for v in values {
            let _ = write!(rows, ",{}", v.csv());
        }
        let _ = write!(rows, ",{trials}");
        for (name, prec) in columns {
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
    rows
}

/// Prints (to stderr, even with --quiet: they qualify the results) the percentiles that rest on
/// too few trials. One trial (a reproduction) has no bands rather than thin ones: that is said
/// once, and not at all with --quiet (the one trial was asked for).
pub(super) fn warn_thin(set: &Percentiles, trials: usize, quiet: bool) {
    if trials == 1 {
        if !quiet {
            eprintln!("dcload: note: {}", crate::base::stats::ONE_TRIAL);
        }
        return;
    }
    for w in set.warnings(trials) {
        eprintln!("dcload: warning: {w}");
    }
}

/// A figure, or an empty field when it is undefined (NaN).
fn or_empty_str(v: f64, f: impl Fn(f64) -> String) -> String {
    if v.is_finite() { f(v) } else { String::new() }
}

/// Trials behind a set of bands (the count is carried as the `trials` pseudo-band).
fn get_trials(bands: &[(String, Band)]) -> usize {
    bands
        .iter()
        .find(|(n, _)| n == "trials")
        .map_or(0, |(_, b)| b.mean as usize)
}

/// Runs one study (`src`: the run file's text, or a sweep variant's) into `out`; returns its
/// trial bands (none for a shard, which writes records only).
fn run_one(
    mut sc: Scenario,
    args: &RunPlan,
    out: &Path,
    src: &Source,
    file: &RunFile,
) -> Result<Bands> {
    // What the run file alone asks for, before the flags: a resume compares the lengths the
    // two runs actually write, not the flags that set them.
    let file_minutes = sc.intervals.map(|p| (p.len_s / 60) as i64);
    args.apply(&mut sc)?;
    let interval_minutes = resumed_interval(&mut sc, args, out, file_minutes)?;
    resumed_engine(&mut sc, args, out)?;
    crate::scenario::check_run(&sc)?;
    let trace_bytes = f64::from(sc.trials) * crate::scenario::trace_bytes_per_trial(&sc);
    let on_disk = trace_bytes > crate::run::traces::memory_limit_bytes();
    let started = Instant::now();
    announce(&sc, args.quiet());
    let manifest = Manifest {
        dcload_version: env!("CARGO_PKG_VERSION").into(),
        run_file: src.name.clone(),
        run_text: src.text.clone(),
        base_dir: file.base.clone(),
        models: args.models.clone(),
        stem: file.stem.clone(),
        seed: sc.seed,
        trials: sc.trials,
        hours: sc.horizon_hours,
        metrics: sc.metrics().len(),
        interval_minutes,
        // Reference runs write no engine, as every release before the two-rate engine did, so
        // their checkpoints resume across the change.
        engine: (sc.engine != crate::scenario::Engine::Reference).then_some(sc.engine),
    };
    if args.work != Work::All && args.until_se.is_some() {
        return Err(Error::Option {
            option: "--until-se".into(),
            msg: "cannot be combined with --resume, --shard or --trial".into(),
        });
    }
    if let Work::Shard { k, n } = args.work {
        run_shard(&sc, args, out, &manifest, k, n)?;
        return Ok(Vec::new());
    }
    if let Work::Trial(i) = args.work {
        return run_single(sc, args, out, i, started);
    }
    // Every finished trial is checkpointed so that an interrupted run can --resume.
    let cp = out.join(".checkpoint");
    let kept = start_checkpoint(&sc, args, &cp, &manifest, on_disk)?;
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
    let hourly = if on_disk {
        HourlySource::Disk {
            paths: results
                .iter()
                .map(|r| checkpoint::record_path(&cp, r.summary.trial))
                .collect(),
        }
    } else {
        HourlySource::Memory
    };
    // The bands are built on the run's threads too (`--threads`); their bytes do not depend on
    // how many.
    let mut paths = montecarlo::thread_pool(args.threads)?.install(|| {
        report::write_all(out, &sc, &results, used_threads, wall, args.traces, &hourly)
    })?;
    // The outputs are complete: the checkpoint has served its purpose.
    let _ = std::fs::remove_dir_all(&cp);
    paths.extend(plots_and_page(out, args.plots)?);
    let mut bands = report::trial_bands(&sc, &results);
    if !args.quiet() {
        print_results(&sc, &results, &bands, wall);
        print_wrote(&paths);
    }
    warn_thin(&sc.percentiles, results.len(), args.quiet());
    let n = results.len() as f64;
    bands.push(("trials".into(), Band::constant(n, &sc.percentiles)));
    Ok(bands)
}

/// `--trial i`: trial `i` alone, on the study's streams and sampled parameters (they depend on
/// the seed and the trial's number only), its outputs written as a one-trial study's. No
/// checkpoint: one trial is reproduced, not resumed.
fn run_single(
    mut sc: Scenario,
    args: &RunPlan,
    out: &Path,
    i: u32,
    started: Instant,
) -> Result<Bands> {
    if i >= sc.trials {
        return Err(Error::Option {
            option: "--trial".into(),
            msg: format!(
                "the study has {} trials, numbered 0 to {} (as in trials.csv): found {i}",
                sc.trials,
                sc.trials - 1
            ),
        });
    }
    create_dir(out)?;
    let results = montecarlo::run(&sc, args.batch(Some(vec![i]), None, true))?;
    sc.set_run(None, Some(1), None);
    let wall = started.elapsed().as_secs_f64();
    let used_threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    let mut paths = report::write_all(
        out,
        &sc,
        &results,
        used_threads,
        wall,
        args.traces,
        &HourlySource::Memory,
    )?;
    paths.extend(plots_and_page(out, args.plots)?);
    let mut bands = report::trial_bands(&sc, &results);
    if !args.quiet() {
        print_results(&sc, &results, &bands, wall);
        print_wrote(&paths);
    }
    warn_thin(&sc.percentiles, 1, args.quiet());
    bands.push(("trials".into(), Band::constant(1.0, &sc.percentiles)));
    Ok(bands)
}

/// The engine a resumed run steps its remaining trials with: the original run's (a checkpoint
/// without one is from a release that had only the reference engine); `--engine` asking for
/// another is refused, since one run's trials must come from one engine.
fn resumed_engine(sc: &mut Scenario, args: &RunPlan, out: &Path) -> Result<()> {
    if args.work != Work::Resume {
        return Ok(());
    }
    let Ok(old) = checkpoint::read_manifest(&out.join(".checkpoint")) else {
        return Ok(());
    };
    let was = old.engine.unwrap_or(crate::scenario::Engine::Reference);
    match args.engine {
        Some(e) if e != was => Err(Error::Option {
            option: "--engine".into(),
            msg: format!(
                "the run being resumed in {} was stepped by the {} engine, this one asks for \
                 {}: resume with the original engine (or leave the flag out to keep it)",
                out.display(),
                engine_name(was),
                engine_name(e)
            ),
        }),
        _ => {
            sc.engine = was;
            Ok(())
        }
    }
}

fn engine_name(e: crate::scenario::Engine) -> &'static str {
    match e {
        crate::scenario::Engine::Blocks => "blocks",
        crate::scenario::Engine::Reference => "reference",
    }
}

/// The interval length the run writes (`--interval-minutes`, or none for the run file's): a
/// resumed run keeps the original run's, since its records hold those intervals, and a
/// different one is refused.
fn resumed_interval(
    sc: &mut Scenario,
    args: &RunPlan,
    out: &Path,
    file_minutes: Option<i64>,
) -> Result<Option<i64>> {
    let asked = args.interval_minutes;
    if args.work != Work::Resume {
        return Ok(asked);
    }
    let Ok(old) = checkpoint::read_manifest(&out.join(".checkpoint")) else {
        return Ok(asked);
    };
    let old_len = old.interval_minutes.or(file_minutes);
    let new_len = asked.or(file_minutes);
    if old_len == new_len {
        // The same intervals, whether the flag repeats the run file or not: the manifest
        // keeps the original's record of how they were asked for.
        return Ok(old.interval_minutes);
    }
    match (old.interval_minutes, asked) {
        (Some(m), None) => {
            sc.set_interval_minutes(m).map_err(|msg| Error::Option {
                option: "--resume".into(),
                msg: format!("the run being resumed had --interval-minutes {m}: {msg}"),
            })?;
            Ok(Some(m))
        }
        _ => {
            let say = |m: Option<i64>| {
                m.map_or("no interval file".to_string(), |m| {
                    format!("{m}-minute intervals")
                })
            };
            Err(Error::Option {
                option: "--interval-minutes".into(),
                msg: format!(
                    "the run being resumed in {} wrote {}, this one asks for {}: resume \
                     with the original length (or leave the flag out to keep it)",
                    out.display(),
                    say(old_len),
                    say(new_len)
                ),
            })
        }
    }
}

/// The study's one-line description (unless quiet) and its caveats: those qualify the results,
/// so they are printed even with --quiet, like the thin-percentile ones.
fn announce(sc: &Scenario, quiet: bool) {
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
    for w in crate::scenario::caveats::warnings(sc) {
        eprintln!("dcload: warning: {w}");
    }
}

/// A shard: its trials' records and the manifest go to `out`, for `dcload merge`.
fn run_shard(
    sc: &Scenario,
    args: &RunPlan,
    out: &Path,
    manifest: &Manifest,
    k: u32,
    n: u32,
) -> Result<()> {
    if k >= sc.trials {
        return Err(Error::Option {
            option: "--shard".into(),
            msg: format!(
                "shard {k}/{n} has no trials: the study has {} trials, so use at most {} shards",
                sc.trials, sc.trials
            ),
        });
    }
    if n > sc.trials && !args.quiet() {
        eprintln!(
            "note: {n} shards for {} trials: shards {} to {} have no trials",
            sc.trials,
            sc.trials,
            n - 1
        );
    }
    create_dir(out)?;
    checkpoint::write_manifest(out, manifest)?;
    let done = checkpoint::existing(out);
    let todo: Vec<u32> = (0..sc.trials)
        .filter(|i| i % n == k && !done.contains(i))
        .collect();
    let ran = montecarlo::run(sc, args.batch(Some(todo), Some(out), false))?;
    if !args.quiet() {
        eprintln!(
            "dcload: shard {k}/{n}: {} trials in {} (run `dcload merge` on all shards)",
            ran.len() + done.iter().filter(|i| *i % n == k).count(),
            out.display()
        );
    }
    Ok(())
}

/// The checkpoint folder `cp` made ready: a resumed run keeps the trials it holds (and must
/// be the same study); any other run starts it anew. Returns the kept trials, their hourly
/// figures dropped when the traces are read from disk.
fn start_checkpoint(
    sc: &Scenario,
    args: &RunPlan,
    cp: &Path,
    manifest: &Manifest,
    on_disk: bool,
) -> Result<Vec<TrialResult>> {
    let mut kept = Vec::new();
    if args.work != Work::Resume {
        let _ = std::fs::remove_dir_all(cp);
        create_dir(cp)?;
        checkpoint::write_manifest(cp, manifest)?;
        return Ok(kept);
    }
    let old = checkpoint::read_manifest(cp).map_err(|_| Error::Option {
        option: "--resume".into(),
        msg: format!("no checkpoint to resume in {}", cp.display()),
    })?;
    if old != *manifest {
        return Err(Error::Option {
            option: "--resume".into(),
            msg: format!(
                "the checkpoint in {} belongs to a different study (run file, seed, trials or models changed)",
                cp.display()
            ),
        });
    }
    let shape = checkpoint::Shape::of(sc);
    for i in checkpoint::existing(cp) {
        if i >= sc.trials {
            continue;
        }
        // A record torn by a power loss is dropped and its trial run again.
        match checkpoint::read_record(&checkpoint::record_path(cp, i), shape) {
            Ok(mut r) => {
                if on_disk {
                    crate::run::traces::drop_traces(&mut r);
                }
                kept.push(r);
            }
            Err(_) => {
                let _ = std::fs::remove_file(checkpoint::record_path(cp, i));
            }
        }
    }
    Ok(kept)
}

fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|e| Error::Write {
        path: path.to_path_buf(),
        source: e,
    })
}

/// The console's account of a finished study: energy, peak and PUE with their bands, and what
/// broke first.
fn print_results(sc: &Scenario, results: &[TrialResult], bands: &Bands, wall: f64) {
    let (lo, hi) = (
        crate::base::stats::label(sc.percentiles.low()),
        crate::base::stats::label(sc.percentiles.high()),
    );
    let get = |k: &str| bands.iter().find(|(n, _)| n == k).map(|(_, b)| b.clone());
    if let [one] = results {
        // One trial: its figures, no bands.
        let s = &one.summary;
        eprintln!(
            "dcload: trial {}: energy over {} h {:.0} MWh; peak {:.1} MW; PUE {:.3}; {wall:.1} s",
            s.trial, sc.horizon_hours, s.energy_mwh, s.peak_mw, s.pue
        );
    } else if let (Some(e), Some(p)) = (get("energy_mwh"), get("peak_mw")) {
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
    for line in crate::report::years::console_lines(sc, results) {
        eprintln!("{line}");
    }
    for line in crate::report::coincident::console_lines(sc, results) {
        eprintln!("{line}");
    }
    for line in crate::report::what_broke::what_broke(sc, results) {
        eprintln!("{line}");
    }
}

/// The plots (unless `--no-plots`) and report.html of a run folder whose files are written;
/// returns their paths.
pub(super) fn plots_and_page(out: &Path, plots: bool) -> Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    if plots {
        paths.extend(crate::report::plot::plot_dir(out).map_err(Error::from)?);
    } else {
        crate::report::plot::forget_plots(out).map_err(Error::from)?;
    }
    paths.push(crate::report::html::write(out)?);
    Ok(paths)
}

pub(super) fn print_wrote(paths: &[PathBuf]) {
    for p in paths {
        eprintln!("  wrote {}", p.display());
    }
}
