//! Output files: hourly bands, per-trial rows and a JSON summary, each written atomically
//! (to a temporary name in the same folder, then renamed) so that a reader never sees half a
//! file and an interrupted run never leaves a truncated one behind.

pub mod answers;
pub mod bands;
pub mod coincident;
pub mod effects;
pub mod energy;
pub mod html;
pub mod plot;
pub mod stamps;
pub mod utility;
pub mod what_broke;
pub mod years;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::base::csvcell::cell;
use crate::base::error::{Error, Result};
use crate::base::io::write_atomic;
use crate::base::stats::Band;
use crate::base::time::SimTime;
use crate::run::traces::{HourlySource, Reader};
use crate::scenario::{RunSpec, Scenario};
use crate::sim::columns::trial_columns;
use crate::sim::{M_FACILITY, TrialResult};

/// The hourly CSV: a timestamp, then the mean and the run's percentiles across trials of every
/// metric (`facility_mw_mean`, `facility_mw_p10`, `facility_mw_p50`, `facility_mw_p90` ...);
/// with it, each trial's hourly facility column (for the utility files), taken on the same pass
/// over the traces so that a streamed study reads its records once.
pub fn hourly_csv(sc: &Scenario, traces: &Reader<'_>) -> Result<(String, Vec<Vec<f32>>)> {
    let metrics = sc.metrics();
    let nm = metrics.len();
    let hours = sc.horizon_hours as usize;
    let mut out = String::with_capacity(hours * 400);
    let stamp = stamps::Stamper::new(sc, 3600);
    out.push_str(stamp.header());
    let pnames = sc.percentiles.names();
    for m in metrics {
        let _ = write!(out, ",{}", cell(&format!("{m}_mean")));
        for b in &pnames {
            let _ = write!(out, ",{}", cell(&format!("{m}_{b}")));
        }
    }
    out.push('\n');
    let fields: Vec<(usize, usize)> = metrics
        .iter()
        .enumerate()
        .map(|(m, name)| (m, crate::model::metrics::decimals(name)))
        .collect();
    let layout = bands::Layout {
        stamp: &stamp,
        fields: &fields,
        percentiles: sc.percentiles.values(),
        mean_from: 0.0,
    };
    let trials = traces.results().len();
    let mut cols: Vec<Vec<f32>> = (0..trials).map(|_| Vec::with_capacity(hours)).collect();
    let block = traces.block_hours(hours);
    for h0 in (0..hours).step_by(block) {
        let h1 = (h0 + block).min(hours);
        let rows = traces.rows(nm, h0, h1)?;
        bands::push_rows(&mut out, &rows, &layout, h0, h1);
        for (t, col) in cols.iter_mut().enumerate() {
            col.extend(rows.hours(t, h0, h1).iter().skip(M_FACILITY).step_by(nm));
        }
    }
    Ok((out, cols))
}

/// A figure to 4 decimals, or an empty field when it is undefined (a baseline rule with no
/// earlier day to average, a rank correlation of an input that did not vary): empty, not NaN,
/// so the file still reads as numbers and an undefined figure is never taken for a value.
fn or_empty(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.4}")
    } else {
        String::new()
    }
}

/// One row per demand-response event and trial: what was asked, the metered baseline and
/// demand over the event, what was delivered (baseline minus demand) and the shortfall, then the
/// rebound after the event (hours measured, MWh above the baseline, its highest hourly MW).
/// With consumer classes, the requests dropped in the rebound window follow, with the event
/// and less the counterfactual's (empty under a rule baseline, which has none).
pub fn dr_events_csv(sc: &Scenario, results: &[TrialResult]) -> String {
    let requests = !sc.consumers.is_empty();
    let mut out = String::from(
        "trial,start,hours,requested_mw,baseline_mw,metered_mw,delivered_mw,shortfall_mw,baseline_days,rebound_hours,rebound_mwh,rebound_peak_mw",
    );
    if requests {
        out.push_str(",rebound_requests_dropped,rebound_requests_dropped_extra");
    }
    out.push('\n');
    for r in results {
        for o in &r.summary.dr_outcomes {
            let _ = write!(
                out,
                "{},{},{:.3},{},{},{},{},{},{},{:.3},{},{}",
                r.summary.trial,
                sc.calendar.timestamp(SimTime(o.start_s)),
                o.duration_s as f64 / 3600.0,
                or_empty(o.requested_mw),
                or_empty(o.baseline_mw),
                or_empty(o.metered_mw),
                or_empty(o.delivered_mw),
                or_empty(o.shortfall_mw()),
                o.baseline_days,
                o.rebound_hours,
                or_empty(o.rebound_mwh),
                or_empty(o.rebound_peak_mw),
            );
            if requests {
                let extra = o
                    .rebound_requests_dropped_extra
                    .map_or(String::new(), |x| format!("{x:.0}"));
                let _ = write!(out, ",{:.0},{extra}", o.rebound_requests_dropped);
            }
            out.push('\n');
        }
    }
    out
}

pub fn trials_csv(sc: &Scenario, results: &[TrialResult]) -> String {
    let cols = trial_columns(sc);
    let mut out = String::from("trial");
    for (name, _, _) in &cols {
        out.push(',');
        out.push_str(name);
    }
    let holders = crate::report::energy::holder_columns(sc);
    for (name, _) in &holders {
        out.push(',');
        out.push_str(&cell(name));
    }
    for name in sc.parameter_names() {
        out.push(',');
        out.push_str(&cell(&name));
    }
    out.push('\n');
    for r in results {
        let _ = write!(out, "{}", r.summary.trial);
        for (_, prec, f) in &cols {
            // `+ 0.0` turns a -0 (an empty sum, as the requests of a study without consumer
            // classes) into 0 and leaves every other value as it is.
            let _ = write!(out, ",{:.prec$}", f(&r.summary) + 0.0);
        }
        let values = crate::report::energy::holder_values(sc, &r.summary);
        for ((_, prec), v) in holders.iter().zip(values) {
            let _ = write!(out, ",{v:.prec$}");
        }
        // Sampled parameters at full precision (they are inputs, not rounded results).
        for v in &r.summary.params {
            let _ = write!(out, ",{v}");
        }
        out.push('\n');
    }
    out
}

/// The figures of trials.csv after `trial`, in its column order, with the decimals it writes
/// them with (`None`: the sampled inputs, written at full precision).
pub fn trial_precisions(sc: &Scenario) -> Vec<(String, Option<usize>)> {
    let mut out: Vec<(String, Option<usize>)> = trial_columns(sc)
        .into_iter()
        .map(|(name, prec, _)| (name.to_string(), Some(prec)))
        .collect();
    out.extend(
        crate::report::energy::holder_columns(sc)
            .into_iter()
            .map(|(name, prec)| (name, Some(prec))),
    );
    out.extend(sc.parameter_names().into_iter().map(|n| (n, None)));
    out
}

#[derive(Serialize)]
struct Summary<'a> {
    dcload_version: &'a str,
    run: &'a str,
    run_file: &'a str,
    seed: u64,
    trials: u32,
    horizon_hours: u64,
    step_s: u64,
    /// The engine that stepped the trials, written for the two-rate engine only: a file
    /// without it comes from the reference engine, as every release before it did (whose
    /// summary.json this stays byte for byte).
    #[serde(skip_serializing_if = "Option::is_none")]
    engine: Option<crate::scenario::Engine>,
    installed_it_peak_mw: f64,
    /// Standard error of the mean annual energy and peak across trials.
    energy_mwh_se: f64,
    peak_mw_se: f64,
    /// The percentile set of every output file, in percent.
    percentiles: &'a [f64],
    /// Percentiles that rest on too few trials (see [`crate::base::stats::Percentiles::thin`]).
    percentile_warnings: Vec<String>,
    /// Settings that bias the figures in a known direction (see [`crate::scenario::caveats`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    study_warnings: Vec<String>,
    metrics: Vec<(String, Band)>,
    ramps: crate::report::utility::Ramps,
    /// Per calendar year, when the horizon spans more than one ([`crate::report::years`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    years: Vec<crate::report::years::YearHeadline>,
    /// With `[grid] coincident_peak` ([`crate::report::coincident`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    coincident_peak: Option<crate::report::coincident::CpSummary>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sensitivity: Vec<Sensitivity>,
    /// What broke first ([`crate::report::what_broke::trouble_lines`]): absent when nothing broke.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    what_broke: Vec<String>,
    config: &'a RunSpec,
}

/// Standard error of the mean (0 below two values), summed in trial order.
fn sem(xs: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = xs.collect();
    let n = v.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (var / n).sqrt()
}

/// Across-trial bands of every trial-level figure, in `trials.csv` column order.
pub fn trial_bands(sc: &Scenario, results: &[TrialResult]) -> Vec<(String, Band)> {
    let mut bands: Vec<(String, Band)> = trial_columns(sc)
        .into_iter()
        .map(|(name, _, f)| {
            let mut v: Vec<f64> = results.iter().map(|r| f(&r.summary)).collect();
            (name.to_string(), Band::of(&mut v, &sc.percentiles))
        })
        .collect();
    let per_trial: Vec<Vec<f64>> = results
        .iter()
        .map(|r| crate::report::energy::holder_values(sc, &r.summary))
        .collect();
    for (k, (name, _)) in crate::report::energy::holder_columns(sc)
        .into_iter()
        .enumerate()
    {
        let mut v: Vec<f64> = per_trial.iter().map(|row| row[k]).collect();
        bands.push((name, Band::of(&mut v, &sc.percentiles)));
    }
    for (i, name) in sc.parameter_names().into_iter().enumerate() {
        let mut v: Vec<f64> = results
            .iter()
            .filter_map(|r| r.summary.params.get(i).copied())
            .collect();
        bands.push((name, Band::of(&mut v, &sc.percentiles)));
    }
    bands
}

/// summary.json: a function of the study and its trials alone, so a resumed or merged run writes
/// the same bytes as one that ran straight through. The threads and wall time of a run go to
/// run_info.json (`_threads` and `_wall_time_s` are kept for callers and not written here).
pub fn summary_json(
    sc: &Scenario,
    results: &[TrialResult],
    _threads: usize,
    _wall_time_s: f64,
) -> Result<String> {
    let s = Summary {
        dcload_version: env!("CARGO_PKG_VERSION"),
        run: &sc.name,
        run_file: &sc.file,
        seed: sc.seed,
        trials: sc.trials,
        horizon_hours: sc.horizon_hours,
        step_s: sc.step_s,
        engine: (sc.engine != crate::scenario::Engine::Reference).then_some(sc.engine),
        installed_it_peak_mw: sc.fleet.peak_w() / 1e6,
        energy_mwh_se: sem(results.iter().map(|r| r.summary.energy_mwh)),
        peak_mw_se: sem(results.iter().map(|r| r.summary.peak_mw)),
        percentiles: sc.percentiles.values(),
        percentile_warnings: sc.percentiles.warnings(results.len()),
        study_warnings: crate::scenario::caveats::warnings(sc),
        metrics: Vec::new(),
        ramps: crate::report::utility::ramps(sc, results),
        years: crate::report::years::headlines(sc, results),
        coincident_peak: crate::report::coincident::summary(sc, results)?,
        sensitivity: sensitivity(sc, results),
        what_broke: crate::report::what_broke::trouble_lines(sc, results),
        config: &sc.spec,
    };
    let mut v = serde_json::to_value(&s).map_err(|e| Error::Other(format!("summary.json: {e}")))?;
    // Metrics as an object keyed by name, in column order.
    if let Some(obj) = v.as_object_mut() {
        let mut m = serde_json::Map::new();
        for (k, b) in trial_bands(sc, results) {
            m.insert(k, serde_json::to_value(b).unwrap_or_default());
        }
        obj.insert("metrics".into(), serde_json::Value::Object(m));
    }
    serde_json::to_string_pretty(&v).map_err(|e| Error::Other(format!("summary.json: {e}")))
}

/// Which uncertain assumption matters: each parameter's Spearman rank correlation across
/// trials with annual energy, peak demand and (with an import limit) hours above it.
#[derive(Clone, Debug, Serialize)]
pub struct Sensitivity {
    pub parameter: String,
    pub rho_energy: f64,
    pub rho_peak: f64,
    pub rho_exceed_hours: Option<f64>,
}

pub fn sensitivity(sc: &Scenario, results: &[TrialResult]) -> Vec<Sensitivity> {
    let energy: Vec<f64> = results.iter().map(|r| r.summary.energy_mwh).collect();
    let peak: Vec<f64> = results.iter().map(|r| r.summary.peak_mw).collect();
    let exceed: Vec<f64> = results.iter().map(|r| r.summary.exceed_hours).collect();
    let mut out: Vec<Sensitivity> = sc
        .parameter_names()
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let p: Vec<f64> = results
                .iter()
                .map(|r| r.summary.params.get(i).copied().unwrap_or(f64::NAN))
                .collect();
            Sensitivity {
                parameter: name,
                rho_energy: crate::base::stats::spearman(&p, &energy),
                rho_peak: crate::base::stats::spearman(&p, &peak),
                rho_exceed_hours: sc
                    .grid
                    .limit
                    .map(|_| crate::base::stats::spearman(&p, &exceed)),
            }
        })
        .collect();
    // Most influential first (by the larger of |rho| on energy and peak; NaN last).
    let key = |s: &Sensitivity| {
        let k = s.rho_energy.abs().max(s.rho_peak.abs());
        if k.is_nan() { -1.0 } else { k }
    };
    out.sort_by(|a, b| key(b).total_cmp(&key(a)));
    out
}

pub fn sensitivity_csv(rows: &[Sensitivity]) -> String {
    let mut out = String::from("rank,parameter,rho_energy,rho_peak,rho_exceed_hours\n");
    for (i, s) in rows.iter().enumerate() {
        let _ = writeln!(
            out,
            "{},{},{},{},{}",
            i + 1,
            cell(&s.parameter),
            or_empty(s.rho_energy),
            or_empty(s.rho_peak),
            s.rho_exceed_hours.map_or(String::new(), or_empty)
        );
    }
    out
}

/// Writes hourly.csv, trials.csv, summary.json and the utility package (load_8760.csv,
/// monthly.csv, load_duration.csv, and with `traces` traces/facility_mw.csv) into `dir`;
/// returns their paths.
pub fn write_all(
    dir: &Path,
    sc: &Scenario,
    results: &[TrialResult],
    threads: usize,
    wall_time_s: f64,
    traces: bool,
    src: &HourlySource,
) -> Result<Vec<PathBuf>> {
    use crate::report::utility;
    let started = std::time::Instant::now();
    let reader = src.open(results)?;
    // Each trial's facility column, read once for the monthly figures and the duration curve.
    let (hourly, cols) = hourly_csv(sc, &reader)?;
    let mut files: Vec<(std::borrow::Cow<'static, str>, String)> = vec![
        ("hourly.csv".into(), hourly),
        ("trials.csv".into(), trials_csv(sc, results)),
        (
            "summary.json".into(),
            summary_json(sc, results, threads, wall_time_s)?,
        ),
        ("load_8760.csv".into(), utility::load_8760_csv(sc, &cols)),
        (
            "monthly.csv".into(),
            utility::monthly_csv(sc, results, &cols, &sc.grid.system_peaks)?,
        ),
    ];
    // `[report] years`: each year's 8760/8784 rows, its months and its duration curve.
    for (year, rows) in &sc.report_years {
        files.push((
            format!("load_8760_{year}.csv").into(),
            utility::load_8760_rows(sc, &cols, rows.clone()),
        ));
        files.push((
            format!("monthly_{year}.csv").into(),
            utility::monthly_rows(sc, results, &cols, &sc.grid.system_peaks, rows.clone())?,
        ));
        let slice: Vec<Vec<f32>> = cols.iter().map(|c| c[rows.clone()].to_vec()).collect();
        files.push((
            format!("load_duration_{year}.csv").into(),
            utility::load_duration_rows(sc, results, slice, rows.len())?,
        ));
    }
    let metered = sc.metered_years();
    for (year, _) in &sc.report_years {
        let k = metered
            .iter()
            .position(|(y, _)| y == year)
            .unwrap_or(usize::MAX);
        files.push((
            format!("ramps_{year}.csv").into(),
            utility::ramps_year_csv(sc, results, k),
        ));
    }
    if let Some(text) = utility::intervals_csv(sc, &reader)? {
        for (year, part) in utility::intervals_by_year(sc, &text) {
            files.push((format!("intervals_{year}.csv").into(), part));
        }
        files.push(("intervals.csv".into(), text));
    }
    files.push((
        "load_duration.csv".into(),
        utility::load_duration_csv(sc, results, cols)?,
    ));
    if traces {
        files.push((
            "traces/facility_mw.csv".into(),
            utility::traces_csv(sc, &reader)?,
        ));
    }
    // run_info.json is listed here, written last (it times the writing of the others).
    let info_at = files.len();
    if sc.grid.demand_response.is_some() {
        files.push(("dr_events.csv".into(), dr_events_csv(sc, results)));
    }
    if !sc.consumers.is_empty() {
        files.push((
            "classes.csv".into(),
            crate::report::energy::classes_csv(sc, results),
        ));
    }
    if !sc.trainings.is_empty() {
        files.push((
            "jobs.csv".into(),
            crate::report::energy::jobs_csv(sc, results),
        ));
    }
    if sc.uncertain.is_some() {
        files.push((
            "sensitivity.csv".into(),
            sensitivity_csv(&sensitivity(sc, results)),
        ));
        files.push((
            "effects.csv".into(),
            crate::report::effects::effects_csv(&crate::report::effects::effects(sc, results)),
        ));
    }
    // The trials were checked finite; an aggregate that still overflowed stops here, before
    // any file is written.
    for (name, text) in &files {
        if let Some(t) = non_finite_token(text) {
            return Err(Error::Other(format!(
                "{}: would hold the non-finite value {t}: the inputs give figures too large to compute; nothing was written",
                dir.join(name.as_ref()).display()
            )));
        }
    }
    let aggregate_s = started.elapsed().as_secs_f64();
    let mut paths = Vec::new();
    for (name, text) in files {
        let p = dir.join(name.as_ref());
        write_atomic(&p, text.as_bytes())?;
        paths.push(p);
    }
    if wall_time_s > 0.0 {
        // How this run went (differs between runs of the same study; merge writes none): the
        // trials' wall time, then building the files (the bands across trials) and writing
        // them, so a slow run says which of the three to look at.
        let write_s = started.elapsed().as_secs_f64() - aggregate_s;
        let p = dir.join("run_info.json");
        let text = format!(
            "{{\n  \"dcload_version\": \"{}\",\n  \"threads\": {threads},\n  \"wall_time_s\": {wall_time_s:.3},\n  \"aggregate_s\": {aggregate_s:.3},\n  \"write_s\": {write_s:.3}{}\n}}\n",
            env!("CARGO_PKG_VERSION"),
            trial_cpu_json(results)
        );
        write_atomic(&p, text.as_bytes())?;
        paths.insert(info_at, p);
    }
    Ok(paths)
}

/// `run_info.json`'s `trial_cpu_ms` (with its leading comma): each trial's CPU time on its
/// thread, the trial alone (no start-up, bands or files), over the trials this run simulated,
/// and their mean, median, least and most; `by_trial` in trial order, `null` for a trial read
/// back from a checkpoint. Empty where no trial was timed (resumed trials only, or a platform
/// without a thread CPU clock). What `scripts/bench.sh` reads a trial-year's cost from.
fn trial_cpu_json(results: &[TrialResult]) -> String {
    let mut ms: Vec<f64> = results.iter().filter_map(|r| r.cpu_ms).collect();
    if ms.is_empty() {
        return String::new();
    }
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    ms.sort_unstable_by(f64::total_cmp);
    let n = ms.len();
    let median = crate::base::stats::percentile_sorted(&ms, 0.5);
    let by_trial: Vec<String> = (results.iter())
        .map(|r| r.cpu_ms.map_or("null".into(), |x| format!("{x:.3}")))
        .collect();
    format!(
        ",\n  \"trial_cpu_ms\": {{\"trials\": {n}, \"mean\": {mean:.3}, \"median\": {median:.3}, \"min\": {:.3}, \"max\": {:.3}, \"by_trial\": [{}]}}",
        ms[0],
        ms[n - 1],
        by_trial.join(", ")
    )
}

/// The first NaN or infinite number in a CSV or JSON text, if any. Names are not numbers: JSON
/// string literals are skipped, and so are CSV columns that hold names or times (a pool may be
/// called "inf").
pub fn non_finite_token(text: &str) -> Option<&str> {
    const TEXT_COLUMNS: [&str; 16] = [
        "timestamp",
        "timestamp_ending",
        "date",
        "dst_flag",
        "class",
        "pool",
        "training",
        "start",
        "end",
        "completed",
        "month",
        "parameter",
        "variant",
        "run",
        "name",
        "hour",
    ];
    let bad = |t: &str| {
        matches!(
            t.trim_matches(|c| c == '"' || c == '[' || c == ']'),
            "NaN" | "nan" | "inf" | "-inf" | "+inf" | "Infinity" | "-Infinity"
        )
    };
    let trimmed = text.trim_start();
    let json = trimmed.starts_with('{') || trimmed.starts_with('[');
    // Every such token holds one of these; the figures of most files hold none (a CSV's header
    // may: its names are not figures), so a file is scanned token by token only when one is
    // there.
    let body = if json {
        text
    } else {
        text.split_once('\n').map_or("", |(_, b)| b)
    };
    if !["nan", "NaN", "inf", "Inf"]
        .iter()
        .any(|t| body.contains(t))
    {
        return None;
    }
    if json {
        // JSON: tokens outside string literals.
        let mut in_str = false;
        let mut escaped = false;
        let mut start = None;
        for (i, c) in text.char_indices() {
            if in_str {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_str = false;
                }
                continue;
            }
            let sep = c == '"' || c == ',' || c == ':' || c.is_whitespace() || "[]{}".contains(c);
            if sep {
                if let Some(s0) = start.take()
                    && bad(&text[s0..i])
                {
                    return Some(&text[s0..i]);
                }
                if c == '"' {
                    in_str = true;
                }
            } else if start.is_none() {
                start = Some(i);
            }
        }
        return start.map(|s0| &text[s0..]).filter(|t| bad(t));
    }
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .map(|h| h.split(',').collect())
        .unwrap_or_default();
    let numeric: Vec<bool> = header.iter().map(|h| !TEXT_COLUMNS.contains(h)).collect();
    lines
        .flat_map(|l| l.split(',').enumerate())
        .find(|(k, t)| numeric.get(*k).copied().unwrap_or(true) && bad(t))
        .map(|(_, t)| t)
}

#[cfg(test)]
mod finite_tests {
    use super::non_finite_token;

    #[test]
    fn names_are_not_numbers_but_non_finite_numbers_are_found() {
        // A pool or class called "inf" is a name, in CSV and in JSON.
        assert_eq!(
            non_finite_token("trial,class,pool,mwh\n0,inf,nan,1.5\n"),
            None
        );
        assert_eq!(non_finite_token("{\"pool\": \"inf\", \"x\": 1.0}"), None);
        // Numbers that are not finite are caught wherever they are.
        assert_eq!(non_finite_token("trial,pool,mwh\n0,a,inf\n"), Some("inf"));
        assert_eq!(non_finite_token("trial,mwh\n0,NaN\n"), Some("NaN"));
        assert_eq!(non_finite_token("{\"x\": inf}"), Some("inf"));
        assert_eq!(non_finite_token("{\"x\": [1, NaN]}"), Some("NaN"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::numfmt::push_fixed;
    use crate::model::library::Library;
    use crate::sim::TrialSummary;

    #[test]
    fn push_fixed_matches_format_and_never_writes_minus_zero() {
        for k in -2000i32..2000 {
            // Off the decimal ties, where round-half-away and format's half-even differ.
            let v = f64::from(k) * 0.012_345_7 + 1.0e-9;
            for prec in [0usize, 1, 3, 4, 6] {
                let mut s = String::new();
                push_fixed(&mut s, v, prec);
                let f = format!("{v:.prec$}");
                let f = if f.trim_start_matches(['-', '0', '.']).is_empty() {
                    f.trim_start_matches('-').to_string()
                } else {
                    f
                };
                assert_eq!(s, f, "{v} at {prec} decimals");
            }
        }
        let mut s = String::new();
        push_fixed(&mut s, -0.000_04, 4);
        assert_eq!(s, "0.0000");
        // Beyond the integer path: falls back to format!.
        let mut s = String::new();
        push_fixed(&mut s, 1.0e17, 2);
        assert_eq!(s, "100000000000000000.00");
    }

    #[test]
    fn metric_precision_follows_the_unit() {
        assert_eq!(crate::model::metrics::decimals("facility_mw"), 4);
        assert_eq!(crate::model::metrics::decimals("outdoor_drybulb_c"), 2);
        assert_eq!(crate::model::metrics::decimals("water_onsite_m3"), 3);
        assert_eq!(crate::model::metrics::decimals("throttled_acc_h"), 3);
        assert_eq!(crate::model::metrics::decimals("requests_served"), 1);
    }

    #[test]
    fn trials_csv_columns_and_precision_on_a_tiny_result() {
        let lib = Library::builtin().expect("library");
        let sc = Scenario::default_study(&lib).expect("default study");
        let names = sc.parameter_names();
        let summary = TrialSummary {
            trial: 7,
            energy_mwh: 1_234.567_89,
            it_energy_mwh: 1000.0,
            peak_mw: 88.123_456,
            load_factor: 0.712_345_6,
            pue: 1.234_567_8,
            requests_arrived: 1.0e9 + 0.4,
            cooling_mwh: 150.000_04,
            params: (0..names.len()).map(|i| 1.0 + i as f64 / 3.0).collect(),
            ..TrialSummary::default()
        };
        let csv = trials_csv(
            &sc,
            &[TrialResult {
                hourly: Vec::new(),
                summary,
                cpu_ms: None,
            }],
        );
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().expect("header").split(',').collect();
        let row: Vec<&str> = lines.next().expect("row").split(',').collect();
        assert!(lines.next().is_none());
        assert_eq!(header.len(), row.len(), "{header:?}\n{row:?}");
        assert_eq!(
            &header[..7],
            [
                "trial",
                "energy_mwh",
                "it_energy_mwh",
                "peak_mw",
                "peak_step_mw",
                "load_factor",
                "pue"
            ]
        );
        // The default study models the physical facility: its columns follow the base set.
        assert!(header.contains(&"cooling_mwh") && header.contains(&"water_onsite_m3"));
        // The sampled parameters close the row, named and at full precision.
        assert_eq!(&header[header.len() - names.len()..], names.as_slice());
        let cell = |name: &str| row[header.iter().position(|h| *h == name).expect(name)];
        assert_eq!(cell("trial"), "7");
        assert_eq!(cell("energy_mwh"), "1234.568");
        assert_eq!(cell("peak_mw"), "88.1235");
        assert_eq!(cell("load_factor"), "0.71235");
        assert_eq!(cell("pue"), "1.23457");
        assert_eq!(cell("requests_arrived"), "1000000000");
        assert_eq!(cell("cooling_mwh"), "150.0000");
        if let Some(last) = names.last() {
            let v = 1.0 + (names.len() - 1) as f64 / 3.0;
            assert_eq!(cell(last), v.to_string());
        }
    }

    #[test]
    fn write_atomic_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join("x.csv");
        write_atomic(&path, b"a,b\n1,2\n").expect("write");
        write_atomic(&path, b"a\n3\n").expect("rewrite");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "a\n3\n");
        let names: Vec<String> = std::fs::read_dir(path.parent().expect("parent"))
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["x.csv"]);
        // A path whose folder cannot be created is an error naming it.
        let blocked = path.join("below-a-file.csv");
        let err = write_atomic(&blocked, b"x").expect_err("not a folder");
        assert!(err.to_string().contains("below-a-file.csv"), "{err}");
    }
}
