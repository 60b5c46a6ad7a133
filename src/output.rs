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

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
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
        f.sync_all().map_err(werr)?;
    }
    std::fs::rename(&tmp, path).map_err(werr)
}

/// The hourly CSV: a timestamp, then mean/p05/p50/p95 across trials of every metric.
pub fn hourly_csv(sc: &Scenario, results: &[TrialResult]) -> String {
    let metrics = sc.metrics();
    let nm = metrics.len();
    let mut out = String::with_capacity(sc.horizon_hours as usize * 400);
    out.push_str("timestamp");
    for m in metrics {
        for b in ["mean", "p05", "p50", "p95"] {
            let _ = write!(out, ",{m}_{b}");
        }
    }
    out.push('\n');
    let mut scratch = vec![0f64; results.len()];
    for h in 0..sc.horizon_hours as usize {
        out.push_str(&sc.calendar.timestamp(SimTime::from_hours(h as u64)));
        for (m, name) in metrics.iter().enumerate() {
            for (t, r) in results.iter().enumerate() {
                scratch[t] = f64::from(r.hourly[h * nm + m]);
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
    out
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

pub const PHYSICS_TRIAL_COLUMNS: [&str; 8] = [
    "cooling_mwh",
    "losses_mwh",
    "wue_l_per_kwh",
    "water_onsite_m3",
    "water_offsite_m3",
    "throttled_acc_h",
    "max_inlet_c",
    "plant_hours_short",
];

fn physics_values(s: &TrialSummary) -> [f64; 8] {
    [
        s.cooling_mwh,
        s.losses_mwh,
        s.wue_l_per_kwh,
        s.water_onsite_m3,
        s.water_offsite_m3,
        s.throttled_acc_h,
        s.max_inlet_c,
        s.plant_hours_short,
    ]
}

pub const LIMIT_TRIAL_COLUMNS: [&str; 7] = [
    "exceed_hours",
    "exceed_mwh",
    "exceed_worst_mw",
    "shed_training_acc_h",
    "shed_industrial_acc_h",
    "deferred_consumer_acc_h",
    "cap_shortfall_hours",
];

fn limit_values(s: &TrialSummary) -> [f64; 7] {
    [
        s.exceed_hours,
        s.exceed_mwh,
        s.exceed_worst_mw,
        s.shed_training_acc_h,
        s.shed_industrial_acc_h,
        s.deferred_consumer_acc_h,
        s.cap_shortfall_hours,
    ]
}

pub const FAILURE_TRIAL_COLUMNS: [&str; 3] = [
    "training_interruptions",
    "training_lost_acc_h",
    "defense_availability",
];

fn failure_values(s: &TrialSummary) -> [f64; 3] {
    [
        s.training_interruptions as f64,
        s.training_lost_acc_h,
        s.defense_availability,
    ]
}

pub const OUTAGE_TRIAL_COLUMNS: [&str; 7] = [
    "outage_hours",
    "ups_mwh",
    "generator_mwh",
    "unserved_mwh",
    "fuel_l",
    "generator_co2_t",
    "ups_unprotected_hours",
];

fn outage_values(s: &TrialSummary) -> [f64; 7] {
    [
        s.outage_hours,
        s.ups_mwh,
        s.generator_mwh,
        s.unserved_mwh,
        s.fuel_l,
        s.generator_co2_t,
        s.ups_unprotected_hours,
    ]
}

pub const DR_TRIAL_COLUMNS: [&str; 5] = [
    "dr_events",
    "dr_requested_mwh",
    "dr_delivered_mwh",
    "dr_shortfall_mwh",
    "dr_deferred_acc_h",
];

fn dr_values(s: &TrialSummary) -> [f64; 5] {
    [
        s.dr_events as f64,
        s.dr_requested_mwh,
        s.dr_delivered_mwh,
        s.dr_shortfall_mwh,
        s.dr_deferred_acc_h,
    ]
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

pub const COST_TRIAL_COLUMNS: [&str; 4] =
    ["cost_energy", "cost_demand", "cost_fixed", "cost_total"];

pub const TRIAL_COLUMNS: [&str; 15] = [
    "trial",
    "energy_mwh",
    "it_energy_mwh",
    "peak_mw",
    "peak_step_mw",
    "load_factor",
    "pue",
    "requests_served",
    "requests_dropped",
    "consumer_mwh",
    "industrial_mwh",
    "training_mwh",
    "defense_mwh",
    "training_jobs_completed",
    "defense_unserved_acc_h",
];

fn trial_row(s: &TrialSummary) -> String {
    format!(
        "{},{:.3},{:.3},{:.4},{:.4},{:.5},{:.5},{:.1},{:.1},{:.3},{:.3},{:.3},{:.3},{},{:.3}",
        s.trial,
        s.energy_mwh,
        s.it_energy_mwh,
        s.peak_mw,
        s.peak_step_mw,
        s.load_factor,
        s.pue,
        s.requests_served,
        s.requests_dropped,
        s.sector_mwh[0],
        s.sector_mwh[1],
        s.sector_mwh[2],
        s.sector_mwh[3],
        s.training_jobs_completed,
        s.defense_unserved_acc_h
    )
}

pub fn trials_csv(sc: &Scenario, results: &[TrialResult]) -> String {
    let physics = sc.facility.is_physics();
    let limit = sc.grid.limit.is_some();
    let mut out = TRIAL_COLUMNS.join(",");
    if physics {
        out.push(',');
        out.push_str(&PHYSICS_TRIAL_COLUMNS.join(","));
    }
    if limit {
        out.push(',');
        out.push_str(&LIMIT_TRIAL_COLUMNS.join(","));
    }
    let failures = sc.failures.is_some();
    if failures {
        out.push(',');
        out.push_str(&FAILURE_TRIAL_COLUMNS.join(","));
    }
    let outages = sc.grid.backup.is_some();
    if outages {
        out.push(',');
        out.push_str(&OUTAGE_TRIAL_COLUMNS.join(","));
    }
    let dr = sc.grid.demand_response.is_some();
    if dr {
        out.push(',');
        out.push_str(&DR_TRIAL_COLUMNS.join(","));
    }
    let carbon = sc.grid.carbon_g_per_kwh.is_some();
    if carbon {
        out.push_str(",co2_t");
    }
    let cost = sc.grid.tariff.is_some();
    if cost {
        out.push(',');
        out.push_str(&COST_TRIAL_COLUMNS.join(","));
    }
    out.push('\n');
    for r in results {
        out.push_str(&trial_row(&r.summary));
        if physics {
            for v in physics_values(&r.summary) {
                let _ = write!(out, ",{v:.4}");
            }
        }
        if limit {
            for v in limit_values(&r.summary) {
                let _ = write!(out, ",{v:.4}");
            }
        }
        if failures {
            let [n, lost, avail] = failure_values(&r.summary);
            let _ = write!(out, ",{n:.0},{lost:.3},{avail:.6}");
        }
        if outages {
            for v in outage_values(&r.summary) {
                let _ = write!(out, ",{v:.4}");
            }
        }
        if dr {
            for v in dr_values(&r.summary) {
                let _ = write!(out, ",{v:.4}");
            }
        }
        if carbon {
            let _ = write!(out, ",{:.3}", r.summary.co2_t);
        }
        if cost {
            let s = &r.summary;
            let _ = write!(
                out,
                ",{:.2},{:.2},{:.2},{:.2}",
                s.cost_energy, s.cost_demand, s.cost_fixed, s.cost_total
            );
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::push_fixed;

    #[test]
    fn fixed_point_formatting() {
        for (v, p, want) in [
            (1.23456, 4, "1.2346"),
            (-0.00004, 4, "0.0000"),
            (-2.5, 1, "-2.5"),
            (1234567.0, 1, "1234567.0"),
            (0.05, 2, "0.05"),
            (7.0, 0, "7"),
        ] {
            let mut s = String::new();
            push_fixed(&mut s, v, p);
            assert_eq!(s, want, "{v} with {p} decimals");
        }
    }
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
    metrics: Vec<(String, Band)>,
    ramps: crate::utility::Ramps,
    config: &'a RunSpec,
}

/// Across-trial bands of every trial-level figure, in `trials.csv` column order.
pub fn trial_bands(sc: &Scenario, results: &[TrialResult]) -> Vec<(String, Band)> {
    let get: [fn(&TrialSummary) -> f64; 14] = [
        |s| s.energy_mwh,
        |s| s.it_energy_mwh,
        |s| s.peak_mw,
        |s| s.peak_step_mw,
        |s| s.load_factor,
        |s| s.pue,
        |s| s.requests_served,
        |s| s.requests_dropped,
        |s| s.sector_mwh[0],
        |s| s.sector_mwh[1],
        |s| s.sector_mwh[2],
        |s| s.sector_mwh[3],
        |s| s.training_jobs_completed as f64,
        |s| s.defense_unserved_acc_h,
    ];
    let mut bands: Vec<(String, Band)> = TRIAL_COLUMNS[1..]
        .iter()
        .zip(get)
        .map(|(name, f)| {
            let mut v: Vec<f64> = results.iter().map(|r| f(&r.summary)).collect();
            (name.to_string(), Band::of(&mut v))
        })
        .collect();
    if sc.facility.is_physics() {
        for (i, name) in PHYSICS_TRIAL_COLUMNS.iter().enumerate() {
            let mut v: Vec<f64> = results
                .iter()
                .map(|r| physics_values(&r.summary)[i])
                .collect();
            bands.push((name.to_string(), Band::of(&mut v)));
        }
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
        metrics: Vec::new(),
        ramps: crate::utility::ramps(sc, results),
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
) -> Result<Vec<PathBuf>> {
    use crate::utility;
    let mut files = vec![
        ("hourly.csv", hourly_csv(sc, results)),
        ("trials.csv", trials_csv(sc, results)),
        (
            "summary.json",
            summary_json(sc, results, threads, wall_time_s)?,
        ),
        ("load_8760.csv", utility::load_8760_csv(sc, results)),
        (
            "monthly.csv",
            utility::monthly_csv(sc, results, &sc.grid.system_peak_hours),
        ),
        ("load_duration.csv", utility::load_duration_csv(sc, results)),
    ];
    if traces {
        files.push(("traces/facility_mw.csv", utility::traces_csv(sc, results)));
    }
    if sc.grid.demand_response.is_some() {
        files.push(("dr_events.csv", dr_events_csv(sc, results)));
    }
    let mut paths = Vec::new();
    for (name, text) in files {
        let p = dir.join(name);
        write_atomic(&p, text.as_bytes())?;
        paths.push(p);
    }
    Ok(paths)
}
