//! Output files: hourly bands, per-trial rows and a JSON summary, each written atomically
//! (to a temporary name in the same folder, then renamed) so that a reader never sees half a
//! file and an interrupted run never leaves a truncated one behind.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::engine::{TrialResult, TrialSummary};
use crate::error::{Error, Result};
use crate::stats::Band;
use crate::study::{RunSpec, Scenario};
use crate::time::SimTime;
use crate::traces::{BLOCK_HOURS, HourlySource};

/// Writes `bytes` to `path` atomically and durably (synced before the rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_renamed(path, bytes, true)
}

/// Writes `bytes` to `path` atomically without waiting for the disk: a killed process never
/// leaves a partial file, which is what per-trial checkpoints need; syncing each of thousands of
/// records would serialise the threads on the disk.
pub fn write_atomic_unsynced(path: &Path, bytes: &[u8]) -> Result<()> {
    write_renamed(path, bytes, false)
}

fn write_renamed(path: &Path, bytes: &[u8], sync: bool) -> Result<()> {
    let werr = |e| Error::Write {
        path: path.to_path_buf(),
        source: e,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(werr)?;
    let name = path
        .file_name()
        .map_or("out".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp).map_err(werr)?;
        f.write_all(bytes).map_err(werr)?;
        if sync {
            f.sync_all().map_err(werr)?;
        }
    }
    std::fs::rename(&tmp, path).map_err(werr)
}

/// The hourly CSV: a timestamp, then mean/p05/p50/p95 across trials of every metric.
pub fn hourly_csv(sc: &Scenario, results: &[TrialResult], src: &HourlySource) -> Result<String> {
    let metrics = sc.metrics();
    let nm = metrics.len();
    let hours = sc.horizon_hours as usize;
    let mut out = String::with_capacity(hours * 400);
    out.push_str("timestamp");
    for m in metrics {
        for b in ["mean", "p05", "p50", "p95"] {
            let _ = write!(out, ",{m}_{b}");
        }
    }
    out.push('\n');
    let mut scratch = vec![0f64; results.len()];
    for h0 in (0..hours).step_by(BLOCK_HOURS) {
        let h1 = (h0 + BLOCK_HOURS).min(hours);
        let block = src.block(results, nm, h0, h1)?;
        for h in h0..h1 {
            out.push_str(&sc.calendar.timestamp(SimTime::from_hours(h as u64)));
            for (m, name) in metrics.iter().enumerate() {
                for (x, b) in scratch.iter_mut().zip(&block) {
                    *x = f64::from(b[(h - h0) * nm + m]);
                }
                let b = Band::of(&mut scratch);
                let prec = precision(name);
                for v in [b.mean, b.p05, b.p50, b.p95] {
                    out.push(',');
                    push_fixed(&mut out, v, prec);
                }
            }
            out.push('\n');
        }
    }
    Ok(out)
}

/// Appends `v` with `prec` decimals. Integer arithmetic instead of `format!("{:.4}")`, whose
/// exact decimal expansion dominated writing a large hourly.csv; output is deterministic.
pub fn push_fixed(out: &mut String, v: f64, prec: usize) {
    const POW10: [f64; 7] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6];
    let scale = POW10[prec.min(6)];
    let scaled = (v * scale).round();
    if !scaled.is_finite() || scaled.abs() >= 9.0e15 {
        let _ = write!(out, "{v:.prec$}");
        return;
    }
    let n = scaled as i64;
    if n < 0 {
        out.push('-');
    }
    let a = n.unsigned_abs();
    let p = 10u64.pow(prec.min(6) as u32);
    let _ = write!(out, "{}", a / p);
    if prec > 0 {
        let _ = write!(out, ".{:0width$}", a % p, width = prec.min(6));
    }
}

/// Decimals written for a metric: 0.1 kW for MW, 0.01 C, 1 L for m3.
fn precision(name: &str) -> usize {
    if name.starts_with("requests") {
        1
    } else if name.ends_with("_c") {
        2
    } else if name.ends_with("_m3") || name.ends_with("_h") {
        3
    } else {
        4
    }
}

/// One row per demand-response event and trial.
pub fn dr_events_csv(sc: &Scenario, results: &[TrialResult]) -> String {
    let mut out = String::from("trial,start,hours,requested_mw,delivered_mw,shortfall_mw\n");
    for r in results {
        for o in &r.summary.dr_outcomes {
            let _ = writeln!(
                out,
                "{},{},{:.3},{:.4},{:.4},{:.4}",
                r.summary.trial,
                sc.calendar.timestamp(SimTime(o.start_s)),
                o.duration_s as f64 / 3600.0,
                o.requested_mw,
                o.delivered_mw,
                (o.requested_mw - o.delivered_mw).max(0.0)
            );
        }
    }
    out
}

/// A column of trials.csv (and a figure of summary.json): name, decimals, value.
type Column = (&'static str, usize, fn(&TrialSummary) -> f64);

const BASE_COLUMNS: [Column; 14] = [
    ("energy_mwh", 3, |s| s.energy_mwh),
    ("it_energy_mwh", 3, |s| s.it_energy_mwh),
    ("peak_mw", 4, |s| s.peak_mw),
    ("peak_step_mw", 4, |s| s.peak_step_mw),
    ("load_factor", 5, |s| s.load_factor),
    ("pue", 5, |s| s.pue),
    ("requests_served", 1, |s| s.requests_served),
    ("requests_dropped", 1, |s| s.requests_dropped),
    ("consumer_mwh", 3, |s| s.sector_mwh[0]),
    ("industrial_mwh", 3, |s| s.sector_mwh[1]),
    ("training_mwh", 3, |s| s.sector_mwh[2]),
    ("defense_mwh", 3, |s| s.sector_mwh[3]),
    ("training_jobs_completed", 0, |s| {
        s.training_jobs_completed as f64
    }),
    ("defense_unserved_acc_h", 3, |s| s.defense_unserved_acc_h),
];

const PHYSICS_COLUMNS: [Column; 10] = [
    ("cooling_mwh", 4, |s| s.cooling_mwh),
    ("losses_mwh", 4, |s| s.losses_mwh),
    ("wue_l_per_kwh", 4, |s| s.wue_l_per_kwh),
    ("water_onsite_m3", 4, |s| s.water_onsite_m3),
    ("water_offsite_m3", 4, |s| s.water_offsite_m3),
    ("throttled_acc_h", 4, |s| s.throttled_acc_h),
    ("max_inlet_c", 4, |s| s.max_inlet_c),
    ("plant_unit_outage_hours", 4, |s| s.plant_unit_outage_hours),
    ("plant_saturated_hours", 4, |s| s.plant_saturated_hours),
    ("heat_not_removed_mwh", 4, |s| s.heat_not_removed_mwh),
];

const LIMIT_COLUMNS: [Column; 7] = [
    ("exceed_hours", 4, |s| s.exceed_hours),
    ("exceed_mwh", 4, |s| s.exceed_mwh),
    ("exceed_worst_mw", 4, |s| s.exceed_worst_mw),
    ("shed_training_acc_h", 4, |s| s.shed_training_acc_h),
    ("shed_industrial_acc_h", 4, |s| s.shed_industrial_acc_h),
    ("deferred_consumer_acc_h", 4, |s| s.deferred_consumer_acc_h),
    ("cap_shortfall_hours", 4, |s| s.cap_shortfall_hours),
];

const FAILURE_COLUMNS: [Column; 3] = [
    ("training_interruptions", 0, |s| {
        s.training_interruptions as f64
    }),
    ("training_lost_acc_h", 3, |s| s.training_lost_acc_h),
    ("defense_availability", 6, |s| s.defense_availability),
];

const OUTAGE_COLUMNS: [Column; 7] = [
    ("outage_hours", 4, |s| s.outage_hours),
    ("ups_mwh", 4, |s| s.ups_mwh),
    ("generator_mwh", 4, |s| s.generator_mwh),
    ("unserved_mwh", 4, |s| s.unserved_mwh),
    ("fuel_l", 4, |s| s.fuel_l),
    ("generator_co2_t", 4, |s| s.generator_co2_t),
    ("ups_unprotected_hours", 4, |s| s.ups_unprotected_hours),
];

const DR_COLUMNS: [Column; 5] = [
    ("dr_events", 0, |s| s.dr_events as f64),
    ("dr_requested_mwh", 4, |s| s.dr_requested_mwh),
    ("dr_delivered_mwh", 4, |s| s.dr_delivered_mwh),
    ("dr_shortfall_mwh", 4, |s| s.dr_shortfall_mwh),
    ("dr_deferred_acc_h", 4, |s| s.dr_deferred_acc_h),
];

const CARBON_COLUMNS: [Column; 1] = [("co2_t", 3, |s| s.co2_t)];

const COST_COLUMNS: [Column; 4] = [
    ("cost_energy", 2, |s| s.cost_energy),
    ("cost_demand", 2, |s| s.cost_demand),
    ("cost_fixed", 2, |s| s.cost_fixed),
    ("cost_total", 2, |s| s.cost_total),
];

/// The trial-level figures this study reports, in column order: the base set, then each
/// feature's set when the study uses the feature.
pub fn trial_columns(sc: &Scenario) -> Vec<Column> {
    let mut cols = BASE_COLUMNS.to_vec();
    let groups: [(bool, &[Column]); 8] = [
        (sc.facility.is_physics(), &PHYSICS_COLUMNS),
        (sc.facility.fixed_water().is_some(), &PHYSICS_COLUMNS[2..5]),
        (sc.grid.limit.is_some(), &LIMIT_COLUMNS),
        (sc.failures.is_some(), &FAILURE_COLUMNS),
        (sc.grid.backup.is_some(), &OUTAGE_COLUMNS),
        (sc.grid.demand_response.is_some(), &DR_COLUMNS),
        (sc.grid.carbon_g_per_kwh.is_some(), &CARBON_COLUMNS),
        (sc.grid.tariff.is_some(), &COST_COLUMNS),
    ];
    for (on, group) in groups {
        if on {
            cols.extend_from_slice(group);
        }
    }
    cols
}

pub fn trials_csv(sc: &Scenario, results: &[TrialResult]) -> String {
    let cols = trial_columns(sc);
    let mut out = String::from("trial");
    for (name, _, _) in &cols {
        out.push(',');
        out.push_str(name);
    }
    for name in sc.parameter_names() {
        out.push(',');
        out.push_str(&name);
    }
    out.push('\n');
    for r in results {
        let _ = write!(out, "{}", r.summary.trial);
        for (_, prec, f) in &cols {
            let _ = write!(out, ",{:.prec$}", f(&r.summary));
        }
        // Sampled parameters at full precision (they are inputs, not rounded results).
        for v in &r.summary.params {
            let _ = write!(out, ",{v}");
        }
        out.push('\n');
    }
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
    threads: usize,
    wall_time_s: f64,
    installed_it_peak_mw: f64,
    /// Standard error of the mean annual energy and peak across trials.
    energy_mwh_se: f64,
    peak_mw_se: f64,
    metrics: Vec<(String, Band)>,
    ramps: crate::utility::Ramps,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sensitivity: Vec<Sensitivity>,
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
            (name.to_string(), Band::of(&mut v))
        })
        .collect();
    for (i, name) in sc.parameter_names().into_iter().enumerate() {
        let mut v: Vec<f64> = results
            .iter()
            .filter_map(|r| r.summary.params.get(i).copied())
            .collect();
        bands.push((name, Band::of(&mut v)));
    }
    bands
}

pub fn summary_json(
    sc: &Scenario,
    results: &[TrialResult],
    threads: usize,
    wall_time_s: f64,
) -> Result<String> {
    let s = Summary {
        dcload_version: env!("CARGO_PKG_VERSION"),
        run: &sc.name,
        run_file: &sc.file,
        seed: sc.seed,
        trials: sc.trials,
        horizon_hours: sc.horizon_hours,
        step_s: sc.step_s,
        threads,
        wall_time_s,
        installed_it_peak_mw: sc.fleet.peak_w() / 1e6,
        energy_mwh_se: sem(results.iter().map(|r| r.summary.energy_mwh)),
        peak_mw_se: sem(results.iter().map(|r| r.summary.peak_mw)),
        metrics: Vec::new(),
        ramps: crate::utility::ramps(sc, results),
        sensitivity: sensitivity(sc, results),
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
                rho_energy: crate::stats::spearman(&p, &energy),
                rho_peak: crate::stats::spearman(&p, &peak),
                rho_exceed_hours: sc.grid.limit.map(|_| crate::stats::spearman(&p, &exceed)),
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
            "{},{},{:.4},{:.4},{}",
            i + 1,
            s.parameter,
            s.rho_energy,
            s.rho_peak,
            s.rho_exceed_hours
                .map_or(String::new(), |v| format!("{v:.4}"))
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
    use crate::utility;
    // Each trial's facility column, read once for the monthly figures and the duration curve.
    let cols = utility::facility_columns(sc, results, src)?;
    let mut files = vec![
        ("hourly.csv", hourly_csv(sc, results, src)?),
        ("trials.csv", trials_csv(sc, results)),
        (
            "summary.json",
            summary_json(sc, results, threads, wall_time_s)?,
        ),
        ("load_8760.csv", utility::load_8760_csv(sc, results, src)?),
        (
            "monthly.csv",
            utility::monthly_csv(sc, results, &cols, &sc.grid.system_peak_hours)?,
        ),
        (
            "load_duration.csv",
            utility::load_duration_csv(sc, results, cols)?,
        ),
    ];
    if traces {
        files.push((
            "traces/facility_mw.csv",
            utility::traces_csv(sc, results, src)?,
        ));
    }
    if sc.grid.demand_response.is_some() {
        files.push(("dr_events.csv", dr_events_csv(sc, results)));
    }
    if sc.uncertain.is_some() {
        files.push((
            "sensitivity.csv",
            sensitivity_csv(&sensitivity(sc, results)),
        ));
    }
    let mut paths = Vec::new();
    for (name, text) in files {
        let p = dir.join(name);
        write_atomic(&p, text.as_bytes())?;
        paths.push(p);
    }
    Ok(paths)
}
