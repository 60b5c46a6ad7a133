//! The portfolio's output files, each a function of the portfolio, its archetypes, its draws
//! and its composed years alone (no thread count, no wall time), written atomically:
//!
//! - `portfolio_hourly_YYYY.csv`: each hour of a calendar year, the mean and percentiles across
//!   trials of each zone's MW and the total's;
//! - `portfolio_years.csv`: per year and zone (and total), the bands of annual energy, peak and
//!   coincidence factor, the projects drawing, and the deterministic arithmetic beside them;
//! - `portfolio_trials.csv`: every trial's figures per year and zone;
//! - `portfolio_projects.csv`: per project, the share of trials it is built in, its mean delay
//!   and online date, its expected energy per year and its contribution to the peak band;
//! - `portfolio_draws.csv`: every trial's draw of every project;
//! - `portfolio_summary.json`: the study, its archetypes and the bands per year.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::base::csvcell::cell;
use crate::base::error::{Error, Result};
use crate::base::stats::{Band, Percentiles};
use crate::base::time::{Calendar, Date, SimTime};
use crate::portfolio::archetype::Profiles;
use crate::portfolio::compose::YearResult;
use crate::portfolio::draws::{Odds, TrialDraws};
use crate::portfolio::spec::{Portfolio, Year};

fn write(out: &Path, name: &str, bytes: &[u8], paths: &mut Vec<PathBuf>) -> Result<()> {
    let path = out.join(name);
    crate::base::io::write_atomic(&path, bytes)?;
    paths.push(path);
    Ok(())
}

/// A band's mean and percentiles as CSV fields (empty when undefined).
pub(crate) fn band_fields(s: &mut String, b: &Band, decimals: usize) {
    let f = |v: f64| {
        if v.is_finite() {
            format!("{v:.decimals$}")
        } else {
            String::new()
        }
    };
    let _ = write!(s, ",{}", f(b.mean));
    for (_, v) in &b.pct {
        let _ = write!(s, ",{}", f(*v));
    }
}

pub(crate) fn band_header(s: &mut String, name: &str, set: &Percentiles) {
    let _ = write!(s, ",{}", cell(&format!("{name}_mean")));
    for p in set.names() {
        let _ = write!(s, ",{}", cell(&format!("{name}_{p}")));
    }
}

/// The column names: zones, then `total`.
fn columns(p: &Portfolio) -> Vec<&str> {
    p.zones
        .iter()
        .map(String::as_str)
        .chain(std::iter::once("total"))
        .collect()
}

/// portfolio_hourly_YYYY.csv.
pub fn hourly(out: &Path, p: &Portfolio, r: &YearResult, paths: &mut Vec<PathBuf>) -> Result<()> {
    let cols = columns(p);
    let mut s = String::from("timestamp");
    for c in &cols {
        band_header(&mut s, &format!("{c}_mw"), &p.percentiles);
    }
    s.push('\n');
    let cal = Calendar::new(
        Date {
            year: p.start_year,
            month: 1,
            day: 1,
        },
        p.utc_offset_s,
    );
    let n = cols.len();
    for j in 0..r.year.hours {
        s.push_str(&cal.timestamp(SimTime(((r.year.first_hour + j) * 3600) as u64)));
        for b in &r.bands[j * n..(j + 1) * n] {
            band_fields(&mut s, b, 4);
        }
        s.push('\n');
    }
    write(
        out,
        &format!("portfolio_hourly_{}.csv", r.year.year),
        s.as_bytes(),
        paths,
    )
}

/// Projects built in trial `t` and drawing in year `y` (online before its end), per zone and
/// total.
fn drawing(p: &Portfolio, d: &TrialDraws, y: &Year) -> Vec<f64> {
    let z = p.zones.len();
    let mut n = vec![0.0; z + 1];
    let end = (y.first_hour + y.hours) as f64;
    for (x, dr) in p.projects.iter().zip(&d.projects) {
        if dr.built && dr.mw > 0.0 && dr.online_h < end {
            n[x.zone] += 1.0;
            n[z] += 1.0;
        }
    }
    n
}

/// Coincidence factor of a trial-year: the highest hour over the sum of the projects' own
/// highest hours (NaN when nothing draws).
fn coincidence(peak: f64, sum_peaks: f64) -> f64 {
    if sum_peaks > 0.0 {
        peak / sum_peaks
    } else {
        f64::NAN
    }
}

/// The bands of one year and zone column `k`.
struct ZoneYear {
    energy: Band,
    peak: Band,
    cf: Band,
    drawing: Band,
}

fn zone_year(p: &Portfolio, draws: &[TrialDraws], r: &YearResult, k: usize) -> ZoneYear {
    let set = &p.percentiles;
    let mut e: Vec<f64> = r.energy.iter().map(|x| x[k]).collect();
    let mut pk: Vec<f64> = r.peak.iter().map(|x| x[k]).collect();
    let mut cf: Vec<f64> = r
        .peak
        .iter()
        .zip(&r.sum_peaks)
        .map(|(a, b)| coincidence(a[k], b[k]))
        .filter(|x| x.is_finite())
        .collect();
    let mut n: Vec<f64> = draws.iter().map(|d| drawing(p, d, &r.year)[k]).collect();
    ZoneYear {
        energy: Band::of(&mut e, set),
        peak: Band::of(&mut pk, set),
        cf: Band::of(&mut cf, set),
        drawing: Band::of(&mut n, set),
    }
}

/// portfolio_years.csv, portfolio_trials.csv, portfolio_projects.csv, portfolio_draws.csv and
/// portfolio_summary.json.
pub fn tables(
    out: &Path,
    p: &Portfolio,
    profiles: &[Profiles],
    odds: &Odds,
    draws: &[TrialDraws],
    years: &[YearResult],
    paths: &mut Vec<PathBuf>,
) -> Result<()> {
    let (s, summary_years) = years_csv(p, draws, years);
    write(out, "portfolio_years.csv", s.as_bytes(), paths)?;
    write(
        out,
        "portfolio_trials.csv",
        trials_csv(p, draws, years).as_bytes(),
        paths,
    )?;
    let s = projects_csv(p, odds, draws, years);
    write(out, "portfolio_projects.csv", s.as_bytes(), paths)?;
    write(
        out,
        "portfolio_draws.csv",
        draws_csv(p, draws).as_bytes(),
        paths,
    )?;
    let text = summary_json(p, profiles, odds, summary_years)?;
    write(out, "portfolio_summary.json", text.as_bytes(), paths)
}

/// portfolio_years.csv, and each year's entry of the summary's `by_year`.
fn years_csv(
    p: &Portfolio,
    draws: &[TrialDraws],
    years: &[YearResult],
) -> (String, Vec<serde_json::Value>) {
    let set = &p.percentiles;
    let mut s = String::from("year,zone");
    band_header(&mut s, "energy_mwh", set);
    band_header(&mut s, "peak_mw", set);
    band_header(&mut s, "coincidence_factor", set);
    band_header(&mut s, "projects_drawing", set);
    s.push_str(",scalar_energy_mwh,scalar_peak_mw\n");
    let mut summary_years = Vec::new();
    for r in years {
        let mut zones_json = serde_json::Map::new();
        for (k, c) in columns(p).iter().enumerate() {
            let b = zone_year(p, draws, r, k);
            let _ = write!(s, "{},{}", r.year.year, cell(c));
            band_fields(&mut s, &b.energy, 3);
            band_fields(&mut s, &b.peak, 4);
            band_fields(&mut s, &b.cf, 6);
            band_fields(&mut s, &b.drawing, 2);
            let _ = writeln!(s, ",{:.3},{:.4}", r.scalar_energy[k], r.scalar_peak[k]);
            zones_json.insert(
                (*c).to_string(),
                json!({
                    "energy_mwh": b.energy,
                    "peak_mw": b.peak,
                    "coincidence_factor": b.cf,
                    "projects_drawing": b.drawing,
                    "scalar_energy_mwh": r.scalar_energy[k],
                    "scalar_peak_mw": r.scalar_peak[k],
                }),
            );
        }
        summary_years.push(json!({
            "year": r.year.year,
            "zones": zones_json,
            "peak_band_threshold_mw": r.threshold_mw,
            "peak_band_trial_hours": r.band_hours,
            "top_contributors_to_peak_band": top_contributors(p, r),
        }));
    }
    (s, summary_years)
}

/// The ten projects contributing most to a year's peak band (those contributing at all).
fn top_contributors(p: &Portfolio, r: &YearResult) -> Vec<serde_json::Value> {
    let mut top: Vec<(usize, f64)> = r.contribution_mw.iter().copied().enumerate().collect();
    top.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    top.iter()
        .take(10)
        .filter(|(_, v)| *v > 0.0)
        .map(|(i, v)| json!({"project": p.projects[*i].name, "mw": v}))
        .collect()
}

/// portfolio_trials.csv.
fn trials_csv(p: &Portfolio, draws: &[TrialDraws], years: &[YearResult]) -> String {
    let cols = columns(p);
    let mut s = String::from(
        "trial,year,zone,energy_mwh,peak_mw,sum_project_peaks_mw,coincidence_factor,projects_drawing,market_z\n",
    );
    for (t, d) in draws.iter().enumerate() {
        for r in years {
            let n = drawing(p, d, &r.year);
            for (k, c) in cols.iter().enumerate() {
                let cf = coincidence(r.peak[t][k], r.sum_peaks[t][k]);
                let _ = writeln!(
                    s,
                    "{t},{},{},{:.6},{:.6},{:.6},{},{},{:.6}",
                    r.year.year,
                    cell(c),
                    r.energy[t][k],
                    r.peak[t][k],
                    r.sum_peaks[t][k],
                    if cf.is_finite() {
                        format!("{cf:.9}")
                    } else {
                        String::new()
                    },
                    n[k],
                    d.market_z
                );
            }
        }
    }
    s
}

/// portfolio_projects.csv.
fn projects_csv(p: &Portfolio, odds: &Odds, draws: &[TrialDraws], years: &[YearResult]) -> String {
    let trials = draws.len() as f64;
    let hi = crate::base::stats::name(p.percentiles.high());
    let mut s = String::from(
        "project,zone,archetype,stage,group,mw_mean,probability,marginal_probability,share_built,mean_delay_days,mean_online",
    );
    for r in years {
        let _ = write!(s, ",energy_mwh_mean_{}", r.year.year);
    }
    for r in years {
        let _ = write!(s, ",peak_band_mw_{hi}_{}", r.year.year);
    }
    s.push('\n');
    for (i, x) in p.projects.iter().enumerate() {
        let built: Vec<&crate::portfolio::draws::Draw> = draws
            .iter()
            .map(|d| &d.projects[i])
            .filter(|d| d.built)
            .collect();
        let share = built.len() as f64 / trials;
        let (delay, online) = mean_delay_and_online(p, &built);
        let _ = write!(
            s,
            "{},{},{},{},{},{:.4},{:.6},{:.6},{:.6},{delay},{online}",
            cell(&x.name),
            cell(&p.zones[x.zone]),
            cell(&p.archetypes[x.archetype].name),
            cell(&p.stages[x.stage].name),
            cell(x.group.map_or("", |g| p.groups[g].name.as_str())),
            x.mw_mean(),
            x.probability,
            odds.marginal[i],
            share
        );
        for r in years {
            let e = r.project_energy.iter().map(|e| e[i]).sum::<f64>() / trials;
            let _ = write!(s, ",{e:.3}");
        }
        for r in years {
            let _ = write!(s, ",{:.4}", r.contribution_mw[i]);
        }
        s.push('\n');
    }
    s
}

/// A project's mean delay and mean online date over the trials it is built in, as CSV fields
/// (empty when it is never built).
fn mean_delay_and_online(
    p: &Portfolio,
    built: &[&crate::portfolio::draws::Draw],
) -> (String, String) {
    if built.is_empty() {
        return (String::new(), String::new());
    }
    let n = built.len() as f64;
    let delay = built.iter().map(|d| d.delay_days).sum::<f64>() / n;
    let day = built.iter().map(|d| d.online_h / 24.0).sum::<f64>() / n;
    let date = Date::from_days_since_epoch(p.start_day() + day.round() as i64);
    (format!("{delay:.4}"), date.to_string())
}

/// portfolio_draws.csv.
fn draws_csv(p: &Portfolio, draws: &[TrialDraws]) -> String {
    let start_day = p.start_day();
    let mut s = String::from("trial,project,built,delay_days,online,mw,site_trial\n");
    for (t, d) in draws.iter().enumerate() {
        for (x, dr) in p.projects.iter().zip(&d.projects) {
            let secs = (dr.online_h * 3600.0).floor() as i64;
            let day = start_day + secs.div_euclid(86_400);
            let sod = secs.rem_euclid(86_400);
            let _ = writeln!(
                s,
                "{t},{},{},{:.4},{}T{:02}:{:02},{:.4},{}",
                cell(&x.name),
                u8::from(dr.built),
                dr.delay_days,
                Date::from_days_since_epoch(day),
                sod / 3600,
                (sod % 3600) / 60,
                dr.mw,
                dr.site_trial
            );
        }
    }
    s
}

/// portfolio_summary.json: the study, its stages and archetypes, and `by_year`.
fn summary_json(
    p: &Portfolio,
    profiles: &[Profiles],
    odds: &Odds,
    summary_years: Vec<serde_json::Value>,
) -> Result<String> {
    let queued: f64 = p.projects.iter().map(|x| x.mw_mean()).sum();
    let expected: f64 = p
        .projects
        .iter()
        .enumerate()
        .map(|(i, x)| odds.marginal[i] * x.mw_mean())
        .sum();
    let summary = json!({
        "name": p.name,
        "description": p.description,
        "file": p.src.name,
        "dcload_version": env!("CARGO_PKG_VERSION"),
        "seed": p.seed,
        "trials": p.trials,
        "start_year": p.start_year,
        "years": p.years.len(),
        "zones": p.zones,
        "utc_offset": crate::base::time::format_utc_offset(p.utc_offset_s),
        "percentiles": p.percentiles.values(),
        "projects": p.projects.len(),
        "without": p.without,
        "queued_mw": queued,
        "expected_mw": expected,
        "expected_mw_share": expected / queued,
        "market_sd": p.market_sd,
        "supply_chain_days": p.supply_chain_days.describe(),
        "correlation_source": p.correlation_source,
        "stages": p.stages.iter().map(|st| json!({
            "stage": st.name,
            "probability": st.probability,
            "delay_days": st.delay_days.describe(),
            "supply_chain": st.supply_chain,
            "source": st.source,
        })).collect::<Vec<_>>(),
        "archetypes": profiles.iter().zip(&p.archetypes).map(|(a, spec)| json!({
            "archetype": a.name,
            "run_file": spec.run.written,
            "trials": a.trials.len(),
            "step_s": a.step_s,
            "horizon_hours": a.horizon_hours,
            "seed": a.seed,
            "climate": a.climate,
            "it_peak_mw": a.it_peak_mw,
            "reference_mw": a.reference_mw,
            "meter_mw_per_it_mw": a.meter_per_it_mw(),
            "mean_energy_mwh": a.energy_mwh,
        })).collect::<Vec<_>>(),
        "by_year": summary_years,
    });
    serde_json::to_string_pretty(&summary)
        .map_err(|e| Error::Other(format!("portfolio_summary.json: {e}")))
}
