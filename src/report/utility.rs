//! The utility package: the files a utility's large-load interconnection study asks for.
//!
//! - `load_8760.csv`: the hourly facility demand at the run's percentiles across trials, and the
//!   mean;
//! - `monthly.csv`: per month energy (mean and percentiles), peak demand (percentiles), load
//!   factor, and demand at the hours of the system's peak when the run file names them;
//! - `intervals.csv` (when `[report]` asks for it): facility and IT MW per interval (15 minutes
//!   by default), the mean and the run's percentiles across trials;
//! - `load_duration.csv`: each trial's hours sorted from highest to lowest demand, then the
//!   run's percentiles across trials at every rank;
//! - ramp statistics (largest rise and fall per step, per 15 minutes, per hour) for summary.json;
//! - `traces/facility_mw.csv` (with `--traces`): every trial's hourly demand, one column per
//!   trial, for probabilistic adequacy studies on sample paths.
//!
//! Percentiles are across trials (type 7, see [`crate::base::stats`]), one set for every file
//! (`Scenario::percentiles`, default P10/P50/P90): P90 of an hour is the demand that 90 % of
//! simulated years stay at or below in that hour.

use std::fmt::Write as _;

use rayon::prelude::*;
use serde::Serialize;

use crate::base::error::Result;
use crate::base::numfmt::push_fixed;
use crate::base::stats::{RankPlan, percentile_sorted, sort_descending};
use crate::base::time::SimTime;
use crate::model::grid::site::SystemPeak;
use crate::run::traces::{BLOCK_HOURS, Reader};
use crate::scenario::Scenario;
use crate::sim::summary::RampFigures;
use crate::sim::{M_FACILITY, TrialResult, TrialSummary};

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// Header fields `,<stem>_<p>` for each of the run's percentile names.
fn push_percentile_names(out: &mut String, stem: &str, names: &[String]) {
    for p in names {
        let _ = write!(out, ",{stem}_{p}");
    }
}

/// Fields `,x` at the run's percentiles `pv` (in percent) of ascending values.
fn push_percentiles(out: &mut String, sorted: &[f64], pv: &[f64], prec: usize) {
    for &p in pv {
        out.push(',');
        push_fixed(out, percentile_sorted(sorted, p / 100.0), prec);
    }
}

/// Fields: the mean of `v`, then its percentiles `pv` (`v` is sorted in place), at 4 decimals.
fn push_mean_and_percentiles(out: &mut String, v: &mut [f64], pv: &[f64]) {
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    v.sort_by(f64::total_cmp);
    out.push(',');
    push_fixed(out, mean, 4);
    push_percentiles(out, v, pv, 4);
}

/// `load_8760.csv` from every trial's facility column (`cols`, from [`crate::report::hourly_csv`]).
pub fn load_8760_csv(sc: &Scenario, cols: &[Vec<f32>]) -> String {
    load_8760_rows(sc, cols, 0..sc.horizon_hours as usize)
}

/// `load_8760.csv` over the hour rows `rows` only (a report year).
pub fn load_8760_rows(sc: &Scenario, cols: &[Vec<f32>], rows: std::ops::Range<usize>) -> String {
    let stamp = crate::report::stamps::Stamper::new(sc, 3600);
    let mut out = format!("{},facility_mw_mean", stamp.header());
    push_percentile_names(&mut out, "facility_mw", &sc.percentiles.names());
    out.push('\n');
    let hours = rows.end.min(sc.horizon_hours as usize);
    let layout = crate::report::bands::Layout {
        stamp: &stamp,
        fields: &[(0, 4)],
        percentiles: sc.percentiles.values(),
        // As `Iterator::sum` summed it.
        mean_from: -0.0,
    };
    if rows.start < hours {
        crate::report::bands::push_rows(
            &mut out,
            &crate::report::bands::Columns(cols),
            &layout,
            rows.start,
            hours,
        );
    }
    out
}

/// Takes the facility columns by value and sorts them in place (no second copy in memory).
pub fn load_duration_csv(
    sc: &Scenario,
    results: &[TrialResult],
    cols: Vec<Vec<f32>>,
) -> Result<String> {
    let hours = sc.horizon_hours as usize;
    load_duration_rows(sc, results, cols, hours)
}

/// The duration curve of columns `hours` long (a report year's slice of each trial's column).
pub fn load_duration_rows(
    sc: &Scenario,
    results: &[TrialResult],
    cols: Vec<Vec<f32>>,
    hours: usize,
) -> Result<String> {
    let mut curves = cols;
    // Highest first; equal values under `total_cmp` are the same bits, so an unstable sort
    // gives the stable sort's curve.
    curves.par_iter_mut().for_each(|c| sort_descending(c));
    let mut out = String::from("hours_exceeded");
    push_percentile_names(&mut out, "facility_mw", &sc.percentiles.names());
    out.push('\n');
    let n = results.len();
    let plan = RankPlan::new(n, sc.percentiles.values());
    let starts: Vec<usize> = (0..hours).step_by(RANKS_PER_TASK).collect();
    let parts: Vec<String> = starts
        .par_iter()
        .map(|&a| {
            let mut part = String::new();
            let mut v = vec![0f32; n];
            for i in a..(a + RANKS_PER_TASK).min(hours) {
                for (x, c) in v.iter_mut().zip(&curves) {
                    *x = c[i];
                }
                let _ = write!(part, "{}", i + 1);
                plan.each(&mut v, f32::total_cmp, f64::from, |x| {
                    part.push(',');
                    push_fixed(&mut part, x, 4);
                });
                part.push('\n');
            }
            part
        })
        .collect();
    parts.iter().for_each(|p| out.push_str(p));
    Ok(out)
}

/// Ranks of a duration curve banded by one task.
const RANKS_PER_TASK: usize = 256;

/// Monthly figures; `system_peaks` are the system-peak intervals of the horizon.
pub fn monthly_csv(
    sc: &Scenario,
    results: &[TrialResult],
    cols: &[Vec<f32>],
    system_peaks: &[SystemPeak],
) -> Result<String> {
    monthly_rows(
        sc,
        results,
        cols,
        system_peaks,
        0..sc.horizon_hours as usize,
    )
}

/// `monthly.csv` over the hour rows `rows` only (a report year); `cols` are whole-horizon
/// columns, `system_peaks` the horizon's system-peak intervals (those starting outside `rows`
/// are left out).
///
/// Columns: month, hours, energy (mean, percentiles), peak hourly MW (percentiles), load factor,
/// then with system peaks their count and the demand at them (percentiles of each trial's mean
/// over the month's peaks), then `peak_timestamp_mean` (the start of the month's highest hour of
/// the mean-across-trials series) and `min_mw_*` (percentiles of each trial's lowest hourly MW).
pub fn monthly_rows(
    sc: &Scenario,
    results: &[TrialResult],
    cols: &[Vec<f32>],
    system_peaks: &[SystemPeak],
    rows: std::ops::Range<usize>,
) -> Result<String> {
    let r0 = rows.start;
    let hours = rows.end.min(sc.horizon_hours as usize).saturating_sub(r0);
    // Month of every hour of the rows, as (year, month) in the study clock.
    let months: Vec<(i32, u32)> = (0..hours)
        .map(|h| {
            let d = sc.calendar.date(SimTime::from_hours((r0 + h) as u64));
            (d.year, d.month)
        })
        .collect();
    // The columns appear whenever peaks are given, so every year's table has them.
    let has_sp = !system_peaks.is_empty();
    // (index into system_peaks, row-relative hour of its start).
    let peaks_in: Vec<(usize, usize)> = system_peaks
        .iter()
        .enumerate()
        .filter_map(|(k, p)| Some((k, ((p.start_s / 3600) as usize).checked_sub(r0)?)))
        .collect();
    let rows = Rows {
        results,
        cols,
        system_peaks,
        r0,
    };
    let mut keys: Vec<(i32, u32)> = months.clone();
    keys.dedup();
    let pv = sc.percentiles.values();
    let mut out = monthly_header(&sc.percentiles.names(), has_sp);
    // The months' figures on the pool (a month reads every trial's column: at 1,000 trials the
    // year's twelve took ~0.07 s on one thread), then their rows in month order.
    let figures: Vec<_> = keys
        .par_iter()
        .map(|&key| {
            let hs: Vec<usize> = (0..hours).filter(|&h| months[h] == key).collect();
            let sp: Vec<(usize, usize)> = peaks_in
                .iter()
                .copied()
                .filter(|&(_, h)| h < hours && months[h] == key)
                .collect();
            let m = rows.month(&hs, &sp)?;
            Ok((key, hs.len(), sp.len(), m))
        })
        .collect::<Vec<Result<_>>>()
        .into_iter()
        // The first month's error, as month by month.
        .collect::<Result<_>>()?;
    for (key, hours_in, peaks, m) in figures {
        let _ = write!(out, "{:04}-{:02},{}", key.0, key.1, hours_in);
        let figures = std::iter::once(m.mean_energy)
            .chain(pv.iter().map(|&p| percentile_sorted(&m.energy, p / 100.0)))
            .chain(pv.iter().map(|&p| percentile_sorted(&m.peak, p / 100.0)));
        for x in figures {
            out.push(',');
            push_fixed(&mut out, x, 3);
        }
        out.push(',');
        push_fixed(&mut out, m.load_factor, 5);
        if has_sp {
            let _ = write!(out, ",{}", peaks);
            if m.peak_demand.is_empty() {
                out.push_str(&",".repeat(pv.len()));
            } else {
                push_percentiles(&mut out, &m.peak_demand, pv, 4);
            }
        }
        out.push(',');
        out.push_str(
            &sc.calendar
                .timestamp(SimTime::from_hours((r0 + m.peak_hour) as u64)),
        );
        push_percentiles(&mut out, &m.low, pv, 3);
        out.push('\n');
    }
    Ok(out)
}

/// monthly.csv's header (see [`monthly_rows`]).
fn monthly_header(pnames: &[String], has_sp: bool) -> String {
    let mut out = String::from("month,hours,energy_mwh_mean");
    push_percentile_names(&mut out, "energy_mwh", pnames);
    push_percentile_names(&mut out, "peak_mw", pnames);
    out.push_str(",load_factor_mean");
    if has_sp {
        out.push_str(",system_peak_intervals");
        push_percentile_names(&mut out, "system_peak_demand_mw", pnames);
    }
    out.push_str(",peak_timestamp_mean");
    push_percentile_names(&mut out, "min_mw", pnames);
    out.push('\n');
    out
}

/// What a monthly table reads: every trial's whole-horizon facility column from hour `r0` on,
/// and the horizon's system peaks.
struct Rows<'a> {
    results: &'a [TrialResult],
    cols: &'a [Vec<f32>],
    system_peaks: &'a [SystemPeak],
    r0: usize,
}

/// One month's figures across trials; the per-trial lists are sorted.
struct MonthFigures {
    mean_energy: f64,
    energy: Vec<f64>,
    peak: Vec<f64>,
    low: Vec<f64>,
    /// The mean over trials of each trial's load factor.
    load_factor: f64,
    /// Each trial's mean demand over the month's system peaks (empty without peaks).
    peak_demand: Vec<f64>,
    /// The row-relative hour of the month's peak of the mean series (the first if tied).
    peak_hour: usize,
}

impl Rows<'_> {
    /// Trial `t`'s facility MW at row-relative hour `h`.
    fn fac(&self, t: usize, h: usize) -> f64 {
        f64::from(self.cols[t][self.r0 + h])
    }

    /// A trial's mean demand over system peak `k` starting at row-relative hour `h`: the hour's
    /// row for a whole hour (as always), else the engine's mean over the interval's steps.
    fn demand(&self, t: usize, k: usize, h: usize) -> Result<f64> {
        match self.system_peaks[k].whole_hour() {
            Some(_) => Ok(self.fac(t, h)),
            None => self.results[t]
                .summary
                .system_peak_mw
                .get(k)
                .copied()
                .ok_or_else(|| {
                    crate::base::error::Error::Other(format!(
                        "trial {} has no system-peak figures: its records were made by an \
                         older dcload or another run file; run the study again",
                        self.results[t].summary.trial
                    ))
                }),
        }
    }

    /// The figures of the month of hours `hs` with system peaks `sp` (index, hour).
    fn month(&self, hs: &[usize], sp: &[(usize, usize)]) -> Result<MonthFigures> {
        let trials = self.results.len();
        let mut energy = Vec::with_capacity(trials);
        let mut peak = Vec::with_capacity(trials);
        let mut low = Vec::with_capacity(trials);
        let mut lf = 0.0;
        let mut spd = Vec::with_capacity(trials);
        for t in 0..trials {
            let e: f64 = hs.iter().map(|&h| self.fac(t, h)).sum();
            let p = hs.iter().map(|&h| self.fac(t, h)).fold(0.0, f64::max);
            lf += if p > 0.0 {
                e / (hs.len() as f64 * p)
            } else {
                0.0
            };
            energy.push(e);
            peak.push(p);
            low.push(
                hs.iter()
                    .map(|&h| self.fac(t, h))
                    .fold(f64::INFINITY, f64::min),
            );
            if !sp.is_empty() {
                let mut d = 0.0;
                for &(k, h) in sp {
                    d += self.demand(t, k, h)?;
                }
                spd.push(d / sp.len() as f64);
            }
        }
        let mut peak_hour = hs[0];
        let mut peak_mean = f64::NEG_INFINITY;
        for &h in hs {
            let m = (0..trials).map(|t| self.fac(t, h)).sum::<f64>();
            if m > peak_mean {
                (peak_hour, peak_mean) = (h, m);
            }
        }
        let n = trials as f64;
        Ok(MonthFigures {
            mean_energy: energy.iter().sum::<f64>() / n,
            energy: sorted(energy),
            peak: sorted(peak),
            low: sorted(low),
            load_factor: lf / n,
            peak_demand: sorted(spd),
            peak_hour,
        })
    }
}

/// `intervals.csv`: per interval of the study's interval window (see
/// [`crate::input::report_spec::IntervalPlan`]), its start (study clock, as `load_8760.csv`), then the
/// facility MW (mean and the run's percentiles across trials) and the IT MW (the same).
/// Each trial's value is the exact mean of the steps in the interval.
pub fn intervals_csv(sc: &Scenario, traces: &Reader<'_>) -> Result<Option<String>> {
    let results = traces.results();
    let Some(plan) = sc.intervals else {
        return Ok(None);
    };
    let n = plan.count();
    for r in results.iter().filter(|_| traces.in_memory()) {
        let s = &r.summary;
        if s.interval_facility_mw.len() != n || s.interval_it_mw.len() != n {
            return Err(crate::base::error::Error::Other(format!(
                "trial {} has {} interval values, expected {n}: its records were made without \
                 the same interval settings ([report] interval_minutes / --interval-minutes); \
                 run the study again without --resume",
                s.trial,
                s.interval_facility_mw.len()
            )));
        }
    }
    let names = sc.percentiles.names();
    let stamp = crate::report::stamps::Stamper::new(sc, plan.len_s);
    let mut out = format!("{},facility_mw_mean", stamp.header());
    push_percentile_names(&mut out, "facility_mw", &names);
    out.push_str(",it_mw_mean");
    push_percentile_names(&mut out, "it_mw", &names);
    out.push('\n');
    let values = crate::run::checkpoint::Shape::of(sc).values;
    let block = crate::run::traces::interval_block_len(results.len());
    let mut v = vec![0.0; results.len()];
    for i0 in (0..n).step_by(block) {
        let i1 = (i0 + block).min(n);
        // Each trial's facility and IT means, interval by interval.
        let means = traces.intervals(values, i0, i1)?;
        for i in i0..i1 {
            stamp.push(&mut out, plan.from_s + i as u64 * plan.len_s);
            for series in 0..2 {
                for (x, m) in v.iter_mut().zip(&means) {
                    *x = m[2 * (i - i0) + series];
                }
                push_mean_and_percentiles(&mut out, &mut v, sc.percentiles.values());
            }
            out.push('\n');
        }
    }
    Ok(Some(out))
}

/// `intervals_YYYY.csv`: intervals.csv cut at each calendar year (an interval counts in the
/// year of its start, whatever its timestamp shows), when the horizon spans more than one
/// year; years the window does not reach get no file. `text` is intervals.csv as written: a
/// header, then one line per interval of the plan.
pub fn intervals_by_year(sc: &Scenario, text: &str) -> Vec<(i32, String)> {
    let Some(plan) = sc.intervals.filter(|_| !sc.headline_years().is_empty()) else {
        return Vec::new();
    };
    let mut lines = text.split_inclusive('\n');
    let header = lines.next().unwrap_or_default();
    let body: Vec<&str> = lines.collect();
    let year = |i: usize| {
        sc.calendar
            .date(SimTime(plan.from_s + i as u64 * plan.len_s))
            .year
    };
    crate::input::report_spec::monotone_runs(body.len(), year)
        .into_iter()
        .map(|(y, r)| {
            let mut out = String::from(header);
            body[r].iter().for_each(|l| out.push_str(l));
            (y, out)
        })
        .collect()
}

/// One ramp figure at the run's percentiles across trials (serialised as `p10`, `p50` ...).
pub type RampBand = crate::base::stats::Band;

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
        let mut v: Vec<f64> = results.iter().map(|r| f(&r.summary)).collect();
        crate::base::stats::Band::of(&mut v, &sc.percentiles)
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

/// The ramps of metered year `k` (`Scenario::metered_years` order), as [`ramps`] the whole
/// run's; a trial without the year's figures (an older record) counts no ramp.
pub fn year_ramps(sc: &Scenario, results: &[TrialResult], k: usize) -> Ramps {
    let none = RampFigures::new(0);
    let band = |f: RampGet| {
        let mut v: Vec<f64> = results
            .iter()
            .map(|r| f(r.summary.year_ramps.get(k).unwrap_or(&none)))
            .collect();
        crate::base::stats::Band::of(&mut v, &sc.percentiles)
    };
    let q = 900 % sc.step_s == 0;
    Ramps {
        up_per_step_mw: band(|r| r.up_step_mw),
        down_per_step_mw: band(|r| r.down_step_mw),
        up_per_15min_mw: q.then(|| band(|r| r.up_15min_mw)),
        down_per_15min_mw: q.then(|| band(|r| r.down_15min_mw)),
        up_per_hour_mw: band(|r| r.up_hour_mw),
        down_per_hour_mw: band(|r| r.down_hour_mw),
    }
}

/// `ramps_YYYY.csv`: the ramp figures of metered year `k` (`Scenario::metered_years` order), one
/// row per figure: the largest rise and fall per step, per 15 minutes (when the step divides 15
/// minutes) and per hour (MW), then the threshold counts (`ramp_steps_over_<MW>mw`,
/// `ramp_15min_over_<MW>mw` when the step divides 15 minutes, as in trials.csv); the mean and the run's percentiles across
/// trials, and the worst trial's figure, its instant (the step that rose or fell, or the start
/// of the later 15-minute interval or hour; empty for counts) and its number. A change between
/// the last instant of one year and the first of the next counts in the later year, so the
/// largest over the years is the whole run's when the years cover the horizon.
pub fn ramps_year_csv(sc: &Scenario, results: &[TrialResult], k: usize) -> String {
    let quarter = 900 % sc.step_s == 0;
    let th = &sc.grid.ramp_thresholds_mw;
    let mut out = String::from("figure,unit,mean");
    for n in sc.percentiles.names() {
        out.push(',');
        out.push_str(&n);
    }
    out.push_str(",worst,worst_at,worst_trial\n");
    let none = RampFigures::new(th.len());
    let figs: Vec<(&RampFigures, u32)> = results
        .iter()
        .map(|r| {
            (
                r.summary.year_ramps.get(k).unwrap_or(&none),
                r.summary.trial,
            )
        })
        .collect();
    for &(name, f, at, needs_quarter) in &RAMP_MW {
        if quarter || !needs_quarter {
            push_ramp_row(&mut out, sc, &figs, name, "MW", f, Some(at));
        }
    }
    type Counts = fn(&RampFigures) -> &[f64];
    for (stem, unit, counts, wanted) in [
        (
            "ramp_steps_over",
            "steps",
            (|r| &r.steps_over) as Counts,
            true,
        ),
        ("ramp_15min_over", "intervals", |r| &r.min15_over, quarter),
    ] {
        if !wanted {
            continue;
        }
        for (i, t) in th.iter().enumerate() {
            let f = |r: &RampFigures| counts(r).get(i).copied().unwrap_or(0.0);
            push_ramp_row(&mut out, sc, &figs, &format!("{stem}_{t}mw"), unit, f, None);
        }
    }
    out
}

type RampGet = fn(&RampFigures) -> f64;

/// The largest rises and falls of `ramps_YYYY.csv`, in its order: the figure's name, the
/// figure, its instant (seconds from the start, -1 for none), and whether it needs a step that
/// divides 15 minutes.
const RAMP_MW: [(&str, RampGet, RampGet, bool); 6] = [
    (
        "ramp_up_step_mw",
        |r| r.up_step_mw,
        |r| r.up_step_at_s,
        false,
    ),
    (
        "ramp_down_step_mw",
        |r| r.down_step_mw,
        |r| r.down_step_at_s,
        false,
    ),
    (
        "ramp_up_15min_mw",
        |r| r.up_15min_mw,
        |r| r.up_15min_at_s,
        true,
    ),
    (
        "ramp_down_15min_mw",
        |r| r.down_15min_mw,
        |r| r.down_15min_at_s,
        true,
    ),
    (
        "ramp_up_hour_mw",
        |r| r.up_hour_mw,
        |r| r.up_hour_at_s,
        false,
    ),
    (
        "ramp_down_hour_mw",
        |r| r.down_hour_mw,
        |r| r.down_hour_at_s,
        false,
    ),
];

/// One row of `ramps_YYYY.csv`: the figure `f` of each trial's year (`figs`: figures, trial)
/// banded, then the worst trial's (the lowest trial on ties) with its instant `at`.
fn push_ramp_row(
    out: &mut String,
    sc: &Scenario,
    figs: &[(&RampFigures, u32)],
    name: &str,
    unit: &str,
    f: impl Fn(&RampFigures) -> f64,
    at: Option<RampGet>,
) {
    let prec = if unit == "MW" { 4 } else { 2 };
    let v: Vec<f64> = figs.iter().map(|(r, _)| f(r)).collect();
    let b = crate::base::stats::Band::of(&mut v.clone(), &sc.percentiles);
    let _ = write!(out, "{},{unit},", crate::base::csvcell::cell(name));
    push_fixed(out, b.mean, prec);
    for &p in sc.percentiles.values() {
        out.push(',');
        push_fixed(out, b.at(p), prec);
    }
    let mut w: Option<usize> = None;
    for (i, x) in v.iter().enumerate() {
        if w.is_none_or(|j| *x > v[j]) {
            w = Some(i);
        }
    }
    out.push(',');
    if let Some(i) = w {
        push_fixed(out, v[i], prec);
        out.push(',');
        if let Some(at) = at {
            let s = at(figs[i].0);
            if s >= 0.0 {
                out.push_str(&sc.calendar.timestamp(SimTime(s as u64)));
            }
        }
        let _ = write!(out, ",{}", figs[i].1);
    } else {
        out.push_str(",,");
    }
    out.push('\n');
}

/// Every trial's hourly facility MW, one column per trial.
pub fn traces_csv(sc: &Scenario, traces: &Reader<'_>) -> Result<String> {
    let results = traces.results();
    let (nm, hours) = (sc.metrics().len(), sc.horizon_hours as usize);
    let stamp = crate::report::stamps::Stamper::new(sc, 3600);
    let mut out = String::from(stamp.header());
    for r in results {
        let _ = write!(out, ",trial_{}", r.summary.trial);
    }
    out.push('\n');
    for h0 in (0..hours).step_by(BLOCK_HOURS) {
        let h1 = (h0 + BLOCK_HOURS).min(hours);
        let block = traces.block(nm, h0, h1)?;
        for h in h0..h1 {
            stamp.push(&mut out, h as u64 * 3600);
            for b in &block {
                out.push(',');
                push_fixed(&mut out, f64::from(b[(h - h0) * nm + M_FACILITY]), 4);
            }
            out.push('\n');
        }
    }
    Ok(out)
}
