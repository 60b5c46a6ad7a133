//! The utility package: the files a utility's large-load interconnection study asks for.
//!
//! - `load_8760.csv`: the hourly facility demand at P50, P90 and P99 across trials, and the mean;
//! - `monthly.csv`: per month energy, peak demand (P50/P90), load factor, and demand at the
//!   hours of the system's peak when the run file names them;
//! - `load_duration.csv`: each trial's hours sorted from highest to lowest demand, then P50 and
//!   P90 across trials at every rank;
//! - ramp statistics (largest rise and fall per step, per 15 minutes, per hour) for summary.json;
//! - `traces/facility_mw.csv` (with `--traces`): every trial's hourly demand, one column per
//!   trial, for probabilistic adequacy studies on sample paths.
//!
//! Percentiles are across trials (type 7, see [`crate::stats`]): P90 of an hour is the demand
//! that 90 % of simulated years stay at or below in that hour.

use std::fmt::Write as _;

use serde::Serialize;

use crate::engine::{M_FACILITY, TrialResult, TrialSummary};
use crate::error::Result;
use crate::output::push_fixed;
use crate::stats::percentile_sorted;
use crate::study::Scenario;
use crate::time::SimTime;
use crate::traces::{BLOCK_HOURS, HourlySource};

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// Every trial's hourly facility MW (f32, as stored).
pub fn facility_columns(
    sc: &Scenario,
    results: &[TrialResult],
    src: &HourlySource,
) -> Result<Vec<Vec<f32>>> {
    let (nm, hours) = (sc.metrics().len(), sc.horizon_hours as usize);
    (0..results.len())
        .map(|i| src.column(results, i, nm, hours, M_FACILITY))
        .collect()
}

pub fn load_8760_csv(sc: &Scenario, results: &[TrialResult], src: &HourlySource) -> Result<String> {
    let mut out = String::from(
        "timestamp,facility_mw_mean,facility_mw_p50,facility_mw_p90,facility_mw_p99\n",
    );
    let (nm, hours) = (sc.metrics().len(), sc.horizon_hours as usize);
    let mut v = vec![0.0; results.len()];
    for h0 in (0..hours).step_by(BLOCK_HOURS) {
        let h1 = (h0 + BLOCK_HOURS).min(hours);
        let block = src.block(results, nm, h0, h1)?;
        for h in h0..h1 {
            for (x, b) in v.iter_mut().zip(&block) {
                *x = f64::from(b[(h - h0) * nm + M_FACILITY]);
            }
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            v.sort_by(f64::total_cmp);
            out.push_str(&sc.calendar.timestamp(SimTime::from_hours(h as u64)));
            for x in [
                mean,
                percentile_sorted(&v, 0.5),
                percentile_sorted(&v, 0.9),
                percentile_sorted(&v, 0.99),
            ] {
                out.push(',');
                push_fixed(&mut out, x, 4);
            }
            out.push('\n');
        }
    }
    Ok(out)
}

/// Takes the facility columns by value and sorts them in place (no second copy in memory).
pub fn load_duration_csv(
    sc: &Scenario,
    results: &[TrialResult],
    cols: Vec<Vec<f32>>,
) -> Result<String> {
    let hours = sc.horizon_hours as usize;
    let mut curves = cols;
    for c in &mut curves {
        c.sort_by(|a, b| b.total_cmp(a));
    }
    let mut out = String::from("hours_exceeded,facility_mw_p50,facility_mw_p90\n");
    let mut v = vec![0.0; results.len()];
    for i in 0..hours {
        for (x, c) in v.iter_mut().zip(&curves) {
            *x = f64::from(c[i]);
        }
        v.sort_by(f64::total_cmp);
        let _ = write!(out, "{}", i + 1);
        for x in [percentile_sorted(&v, 0.5), percentile_sorted(&v, 0.9)] {
            out.push(',');
            push_fixed(&mut out, x, 4);
        }
        out.push('\n');
    }
    Ok(out)
}

/// Monthly figures; `system_peak_hours` are hour indices of the horizon.
pub fn monthly_csv(
    sc: &Scenario,
    results: &[TrialResult],
    cols: &[Vec<f32>],
    system_peak_hours: &[usize],
) -> Result<String> {
    let hours = sc.horizon_hours as usize;
    let fac = |t: usize, h: usize| f64::from(cols[t][h]);
    // Month of every hour, as (year, month) in the study clock.
    let months: Vec<(i32, u32)> = (0..hours)
        .map(|h| {
            let d = sc.calendar.date(SimTime::from_hours(h as u64));
            (d.year, d.month)
        })
        .collect();
    let mut keys: Vec<(i32, u32)> = months.clone();
    keys.dedup();
    let has_sp = !system_peak_hours.is_empty();
    let mut out = String::from(
        "month,hours,energy_mwh_mean,energy_mwh_p50,energy_mwh_p90,peak_mw_p50,peak_mw_p90,load_factor_mean",
    );
    if has_sp {
        out.push_str(",system_peak_hours,system_peak_demand_mw_p50,system_peak_demand_mw_p90");
    }
    out.push('\n');
    for key in keys {
        let hs: Vec<usize> = (0..hours).filter(|&h| months[h] == key).collect();
        let sp: Vec<usize> = system_peak_hours
            .iter()
            .copied()
            .filter(|&h| h < hours && months[h] == key)
            .collect();
        let mut energy = Vec::with_capacity(results.len());
        let mut peak = Vec::with_capacity(results.len());
        let mut lf = 0.0;
        let mut spd = Vec::with_capacity(results.len());
        for t in 0..results.len() {
            let e: f64 = hs.iter().map(|&h| fac(t, h)).sum();
            let p = hs.iter().map(|&h| fac(t, h)).fold(0.0, f64::max);
            lf += if p > 0.0 {
                e / (hs.len() as f64 * p)
            } else {
                0.0
            };
            energy.push(e);
            peak.push(p);
            if !sp.is_empty() {
                spd.push(sp.iter().map(|&h| fac(t, h)).sum::<f64>() / sp.len() as f64);
            }
        }
        let n = results.len() as f64;
        let mean_e = energy.iter().sum::<f64>() / n;
        let energy = sorted(energy);
        let peak = sorted(peak);
        let _ = write!(out, "{:04}-{:02},{}", key.0, key.1, hs.len());
        for x in [
            mean_e,
            percentile_sorted(&energy, 0.5),
            percentile_sorted(&energy, 0.9),
            percentile_sorted(&peak, 0.5),
            percentile_sorted(&peak, 0.9),
        ] {
            out.push(',');
            push_fixed(&mut out, x, 3);
        }
        out.push(',');
        push_fixed(&mut out, lf / n, 5);
        if has_sp {
            let _ = write!(out, ",{}", sp.len());
            if spd.is_empty() {
                out.push_str(",,");
            } else {
                let spd = sorted(spd);
                for x in [percentile_sorted(&spd, 0.5), percentile_sorted(&spd, 0.9)] {
                    out.push(',');
                    push_fixed(&mut out, x, 4);
                }
            }
        }
        out.push('\n');
    }
    Ok(out)
}

/// P50 and P90 across trials of one ramp figure.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct RampBand {
    pub p50: f64,
    pub p90: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Ramps {
    pub up_per_step_mw: RampBand,
    pub down_per_step_mw: RampBand,
    /// Absent when the step does not divide 15 minutes.
    pub up_per_15min_mw: Option<RampBand>,
    pub down_per_15min_mw: Option<RampBand>,
    pub up_per_hour_mw: RampBand,
    pub down_per_hour_mw: RampBand,
}

pub fn ramps(sc: &Scenario, results: &[TrialResult]) -> Ramps {
    let band = |f: fn(&TrialSummary) -> f64| {
        let v = sorted(results.iter().map(|r| f(&r.summary)).collect());
        RampBand {
            p50: percentile_sorted(&v, 0.5),
            p90: percentile_sorted(&v, 0.9),
        }
    };
    let q = 900 % sc.step_s == 0;
    Ramps {
        up_per_step_mw: band(|s| s.ramp_up_step_mw),
        down_per_step_mw: band(|s| s.ramp_down_step_mw),
        up_per_15min_mw: q.then(|| band(|s| s.ramp_up_15min_mw)),
        down_per_15min_mw: q.then(|| band(|s| s.ramp_down_15min_mw)),
        up_per_hour_mw: band(|s| s.ramp_up_hour_mw),
        down_per_hour_mw: band(|s| s.ramp_down_hour_mw),
    }
}

/// Every trial's hourly facility MW, one column per trial.
pub fn traces_csv(sc: &Scenario, results: &[TrialResult], src: &HourlySource) -> Result<String> {
    let (nm, hours) = (sc.metrics().len(), sc.horizon_hours as usize);
    let mut out = String::from("timestamp");
    for r in results {
        let _ = write!(out, ",trial_{}", r.summary.trial);
    }
    out.push('\n');
    for h0 in (0..hours).step_by(BLOCK_HOURS) {
        let h1 = (h0 + BLOCK_HOURS).min(hours);
        let block = src.block(results, nm, h0, h1)?;
        for h in h0..h1 {
            out.push_str(&sc.calendar.timestamp(SimTime::from_hours(h as u64)));
            for b in &block {
                out.push(',');
                push_fixed(&mut out, f64::from(b[(h - h0) * nm + M_FACILITY]), 4);
            }
            out.push('\n');
        }
    }
    Ok(out)
}
