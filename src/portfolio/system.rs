//! The portfolio against a system's hourly load (`[system_load]`): what it draws at the
//! system's peak hours, and the curtailment headroom of its shape by the method of
//! `dcload headroom` (Norris et al. 2025, [`crate::headroom`]), which is called, not copied.
//!
//! Clocks and years. The system's hours are placed on the portfolio's clock (its UTC offset)
//! by instant. Portfolio year y is compared with the system's year y when the file holds the
//! whole of it (a load forecast), else with the file's last whole year (the reference year):
//! its peak hours are taken at the same month, day and hour of y (29 February falls back to
//! the 28th). The archetypes' weather is synthetic (a year drawn from monthly normals per
//! trial), so it follows the system year's seasons but not its weather days; an archetype
//! with a recorded EPW year of the system's year has that year's weather in every trial.
//!
//! Peak hours (per year, per zone and total, a band across trials of the mean MW over the
//! hours): the system's `top_hours` highest hours of the year, its 12 monthly peak hours
//! (12CP) and those of June to September (ERCOT's 4CP months).
//!
//! Headroom. The headroom method adds a new load to the system's record and curtails it
//! above the record's seasonal peaks. Here the new load has the shape of the portfolio's mean
//! hourly MW in year y (every year of the record takes y's shape, by calendar), a share
//! `flex` of it sheddable (default 1, the paper's fully curtailable load): the headroom at
//! each limit is the largest size of that shape. Its band: each trial's own portfolio (its
//! hourly total at its own size) is added to the record and curtailed the same way, giving
//! the band across trials of its curtailment rate and hours, and the share of trials within
//! each limit.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::base::error::{Error, Result};
use crate::base::stats::Band;
use crate::base::time::{Date, is_leap};
use crate::headroom::{
    Headroom, NewLoad, Outcome, SystemLoad, Thresholds, check_record, evaluate, headroom,
    read_system_load,
};
use crate::portfolio::compose::{Study, YearResult};
use crate::portfolio::outputs::{band_fields, band_header};
use crate::portfolio::spec::{Portfolio, SystemLoadRef, Year};

/// The system's load, read once, and its seasonal thresholds.
pub struct System {
    pub load: SystemLoad,
    pub thr: Thresholds,
    pub spec: SystemLoadRef,
    /// Each record hour on the portfolio's clock: hours since 1970-01-01 00:00 local.
    local: Vec<i64>,
    /// Calendar years the record holds whole on the portfolio's clock.
    whole_years: Vec<i32>,
}

/// A set of the system's peak hours in one year.
#[derive(Clone, Debug)]
pub struct PeakSet {
    pub name: String,
    /// The portfolio year's hours (0-based) the system's peak hours fall on.
    pub hours: Vec<usize>,
    pub system_mw_mean: f64,
    /// Band across trials of the portfolio's mean MW over the hours, per zone and total.
    pub bands: Vec<Band>,
}

/// One portfolio year against the system.
#[derive(Clone, Debug)]
pub struct SystemYear {
    pub year: i32,
    /// The system's year whose peak hours are used.
    pub system_year: i32,
    pub sets: Vec<PeakSet>,
    /// Headroom of the portfolio's mean shape at each limit (`None`: nothing draws).
    pub headroom: Vec<Option<Headroom>>,
    /// Each trial's portfolio added to the system: its curtailment (default when nothing draws).
    pub trials: Vec<Outcome>,
}

impl System {
    /// Reads the portfolio's `[system_load]`, if it has one.
    pub fn load(p: &Portfolio) -> Result<Option<System>> {
        let Some(spec) = &p.system_load else {
            return Ok(None);
        };
        let load = read_system_load(&spec.files, &spec.read)?;
        let thr = Thresholds::of(&load, spec.summer);
        check_record(&load, &thr)?;
        let off_h = i64::from(p.utc_offset_s).div_euclid(3600);
        let local: Vec<i64> = load.hours.iter().map(|h| h.index + off_h).collect();
        let mut count = std::collections::BTreeMap::<i32, usize>::new();
        for l in &local {
            *count.entry(date_of(*l).year).or_default() += 1;
        }
        let whole_years: Vec<i32> = count
            .iter()
            .filter(|(y, n)| **n + 2 >= if is_leap(**y) { 8784 } else { 8760 })
            .map(|(y, _)| *y)
            .collect();
        if whole_years.is_empty() {
            return Err(Error::Other(format!(
                "{}: the system load holds no whole calendar year on the portfolio's clock ({}): its peak hours need one",
                load.what,
                crate::base::time::format_utc_offset(p.utc_offset_s)
            )));
        }
        Ok(Some(System {
            load,
            thr,
            spec: spec.clone(),
            local,
            whole_years,
        }))
    }

    /// The system year compared with portfolio year `y`: `y` itself if whole, else the last
    /// whole year.
    pub fn system_year(&self, y: i32) -> i32 {
        if self.whole_years.contains(&y) {
            y
        } else {
            self.whole_years[self.whole_years.len() - 1]
        }
    }

    /// Each record hour's hour in portfolio year `y` (same month, day and hour).
    fn placement(&self, y: &Year) -> Vec<usize> {
        self.local.iter().map(|l| hour_in(*l, y)).collect()
    }

    /// The peak-hour sets of system year `sy`, placed on portfolio year `y`: (name, hours,
    /// system MW mean).
    fn peak_sets(&self, sy: i32, y: &Year) -> Vec<(String, Vec<usize>, f64)> {
        let mut hours: Vec<(usize, f64)> = self
            .local
            .iter()
            .enumerate()
            .filter(|(_, l)| date_of(**l).year == sy)
            .map(|(i, _)| (i, self.load.hours[i].mw))
            .collect();
        let mut monthly: [Option<(usize, f64)>; 12] = [None; 12];
        for &(i, mw) in &hours {
            let m = date_of(self.local[i]).month as usize - 1;
            if monthly[m].is_none_or(|(_, best)| mw > best) {
                monthly[m] = Some((i, mw));
            }
        }
        hours.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        hours.truncate(self.spec.top_hours);
        let cp = |months: std::ops::Range<usize>| -> Vec<(usize, f64)> {
            months.filter_map(|m| monthly[m]).collect()
        };
        let sets = [
            (format!("top{}", self.spec.top_hours), hours),
            ("12cp".to_string(), cp(0..12)),
            ("4cp".to_string(), cp(5..9)),
        ];
        sets.into_iter()
            .map(|(name, v)| {
                let mean = v.iter().map(|x| x.1).sum::<f64>() / v.len().max(1) as f64;
                let at = v.iter().map(|(i, _)| hour_in(self.local[*i], y)).collect();
                (name, at, mean)
            })
            .collect()
    }

    /// The new load of shape `values` (a portfolio year's hourly MW) on the record's hours.
    fn new_load(&self, values: &[f64], idx: &[usize]) -> Option<(NewLoad, f64)> {
        let peak = values.iter().copied().fold(0.0, f64::max);
        if peak <= 0.0 {
            return None;
        }
        let n = idx.len();
        let new = NewLoad {
            shape: idx.iter().map(|&j| values[j] / peak).collect(),
            flex: vec![self.spec.flex; n],
            backup_share: 0.0,
            name: String::new(),
        };
        Some((new, peak))
    }

    /// Portfolio year `r` against the system: peak-hour bands, headroom of the mean shape and
    /// each trial's curtailment.
    pub fn year(&self, st: &Study, r: &YearResult) -> SystemYear {
        let y = &r.year;
        let z = st.p.zones.len();
        let idx = self.placement(y);
        let sy = self.system_year(y.year);
        let sets = self.peak_sets(sy, y);
        let mean: Vec<f64> = (0..y.hours)
            .map(|j| r.bands[j * (z + 1) + z].mean)
            .collect();
        let headroom: Vec<Option<Headroom>> = match self.new_load(&mean, &idx) {
            Some((new, _)) => self
                .spec
                .limits_pct
                .iter()
                .map(|l| Some(headroom(&self.load, &self.thr, &new, l / 100.0)))
                .collect(),
            None => vec![None; self.spec.limits_pct.len()],
        };
        let per: Vec<(Vec<Vec<f64>>, Outcome)> = (0..st.draws.len())
            .into_par_iter()
            .map(|t| {
                let buf = st.trial_year(t, y);
                let at: Vec<Vec<f64>> = sets
                    .iter()
                    .map(|(_, hours, _)| {
                        (0..=z)
                            .map(|k| {
                                let s: f64 = hours.iter().map(|&j| buf[k * y.hours + j]).sum();
                                s / hours.len().max(1) as f64
                            })
                            .collect()
                    })
                    .collect();
                let total = &buf[z * y.hours..];
                let o = match self.new_load(total, &idx) {
                    Some((new, peak)) => evaluate(&self.load, &self.thr, &new, peak),
                    None => Outcome::default(),
                };
                (at, o)
            })
            .collect();
        let set = &st.p.percentiles;
        let sets = sets
            .into_iter()
            .enumerate()
            .map(|(s, (name, hours, system_mw_mean))| PeakSet {
                name,
                hours,
                system_mw_mean,
                bands: (0..=z)
                    .map(|k| {
                        let mut v: Vec<f64> = per.iter().map(|(at, _)| at[s][k]).collect();
                        Band::of(&mut v, set)
                    })
                    .collect(),
            })
            .collect();
        SystemYear {
            year: y.year,
            system_year: sy,
            sets,
            headroom,
            trials: per.into_iter().map(|(_, o)| o).collect(),
        }
    }
}

/// The date of a local hour (hours since 1970-01-01 00:00).
fn date_of(l: i64) -> Date {
    Date::from_days_since_epoch(l.div_euclid(24))
}

/// The hour of portfolio year `y` at local hour `l`'s month, day and hour (29 February on the
/// 28th in a common year).
fn hour_in(l: i64, y: &Year) -> usize {
    let d = date_of(l);
    let day = if d.month == 2 && d.day == 29 && !is_leap(y.year) {
        28
    } else {
        d.day
    };
    let jan1 = Date {
        year: y.year,
        month: 1,
        day: 1,
    }
    .days_since_epoch();
    let on = Date {
        year: y.year,
        month: d.month,
        day,
    }
    .days_since_epoch();
    (((on - jan1) * 24 + l.rem_euclid(24)) as usize).min(y.hours - 1)
}

/// portfolio_system_peaks.csv, portfolio_headroom.csv and portfolio_curtailment.csv.
pub fn write(
    out: &Path,
    p: &Portfolio,
    sys: &System,
    years: &[SystemYear],
    paths: &mut Vec<PathBuf>,
) -> Result<()> {
    let files = [
        ("portfolio_system_peaks.csv", peaks_csv(p, years)),
        ("portfolio_headroom.csv", headroom_csv(sys, years)),
        ("portfolio_curtailment.csv", curtailment_csv(p, sys, years)),
    ];
    for (name, text) in files {
        let path = out.join(name);
        crate::base::io::write_atomic(&path, text.as_bytes())?;
        paths.push(path);
    }
    Ok(())
}

fn peaks_csv(p: &Portfolio, years: &[SystemYear]) -> String {
    let mut s = String::from("year,system_year,hours,n_hours,system_mw_mean,zone");
    band_header(&mut s, "mw", &p.percentiles);
    s.push('\n');
    let cols: Vec<&str> = p
        .zones
        .iter()
        .map(String::as_str)
        .chain(["total"])
        .collect();
    for y in years {
        for set in &y.sets {
            for (c, b) in cols.iter().zip(&set.bands) {
                let _ = write!(
                    s,
                    "{},{},{},{},{:.3},{}",
                    y.year,
                    y.system_year,
                    set.name,
                    set.hours.len(),
                    set.system_mw_mean,
                    crate::base::csvcell::cell(c)
                );
                band_fields(&mut s, b, 4);
                s.push('\n');
            }
        }
    }
    s
}

/// `dcload headroom`'s table: the paper's flat load, then the portfolio's mean shape per year.
fn headroom_csv(sys: &System, years: &[SystemYear]) -> String {
    let flat = NewLoad::flat(sys.load.hours.len());
    let mut rows: Vec<(String, Headroom)> = sys
        .spec
        .limits_pct
        .iter()
        .map(|l| {
            (
                "flat".to_string(),
                headroom(&sys.load, &sys.thr, &flat, l / 100.0),
            )
        })
        .collect();
    for y in years {
        for h in y.headroom.iter().flatten() {
            rows.push((format!("portfolio_mean_{}", y.year), h.clone()));
        }
    }
    crate::headroom::csv(&rows, crate::headroom::DEFAULT_EVENTS_OVER_H)
}

fn curtailment_csv(p: &Portfolio, sys: &System, years: &[SystemYear]) -> String {
    let set = &p.percentiles;
    let mut s = String::from("year,system_year,trials");
    band_header(&mut s, "portfolio_peak_mw", set);
    band_header(&mut s, "curtailment_pct", set);
    band_header(&mut s, "curtailed_hours_per_year", set);
    s.push_str(",share_trials_firm_load_exceeds");
    for l in &sys.spec.limits_pct {
        let _ = write!(
            s,
            ",headroom_mw_mean_shape_{l}pct,share_trials_within_{l}pct"
        );
    }
    s.push('\n');
    for y in years {
        let n = y.trials.len();
        let _ = write!(s, "{},{},{n}", y.year, y.system_year);
        let col = |f: &dyn Fn(&Outcome) -> f64| {
            let mut v: Vec<f64> = y.trials.iter().map(f).collect();
            Band::of(&mut v, set)
        };
        band_fields(&mut s, &col(&|o| o.size_mw), 4);
        band_fields(&mut s, &col(&|o| o.rate() * 100.0), 4);
        band_fields(
            &mut s,
            &col(&|o| o.curtailed_hours as f64 / o.years().max(1e-12)),
            4,
        );
        let firm = y.trials.iter().filter(|o| o.uncovered_hours > 0).count();
        let _ = write!(s, ",{:.4}", firm as f64 / n.max(1) as f64);
        for (l, h) in sys.spec.limits_pct.iter().zip(&y.headroom) {
            let within = y
                .trials
                .iter()
                .filter(|o| o.rate() <= l / 100.0 && o.uncovered_hours == 0)
                .count();
            let hm = h
                .as_ref()
                .map_or(String::new(), |h| format!("{:.3}", h.outcome.size_mw));
            let _ = write!(s, ",{hm},{:.4}", within as f64 / n.max(1) as f64);
        }
        s.push('\n');
    }
    s
}
