//! The method proper: a new load of a given size added to the system hour by hour and curtailed
//! above the seasonal thresholds (steps 3 and 4), and the largest size within a curtailment
//! limit, by bisection (step 5).

use super::seasons::Thresholds;
use super::{SystemLoad, YEAR_H};

/// The new load: per system hour its draw per MW of size (`shape`, peak 1) and the share of its
/// draw that can be shed (`flex`, 0-1), plus backup that can carry a share of the size.
#[derive(Clone, Debug)]
pub struct NewLoad {
    pub shape: Vec<f64>,
    pub flex: Vec<f64>,
    pub backup_share: f64,
    pub name: String,
}

impl NewLoad {
    /// The paper's case: constant draw, all of it curtailable.
    pub fn flat(hours: usize) -> NewLoad {
        NewLoad {
            shape: vec![1.0; hours],
            flex: vec![1.0; hours],
            backup_share: 0.0,
            name: "flat".into(),
        }
    }
}

/// What adding a load of a given size does.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    pub size_mw: f64,
    /// The new load's mean draw (MW).
    pub mean_mw: f64,
    pub energy_mwh: f64,
    pub curtailed_mwh: f64,
    pub curtailed_hours: usize,
    pub events: usize,
    /// Each event's length in hours, in order: the mean hides the long ones a developer's
    /// offer ("curtail for up to 4 h") is checked against.
    pub event_hours: Vec<u32>,
    /// Curtailed hours in which at least half the new load kept running.
    pub half_kept_hours: usize,
    /// Hours in which the needed curtailment exceeds what the load can shed.
    pub uncovered_hours: usize,
    pub uncovered_max_mw: f64,
    /// Hours in the record.
    pub hours: usize,
    /// Calendar years in the record (whole or not).
    pub years: usize,
    /// Curtailment rate: the mean over calendar years of each year's curtailed MWh over the new
    /// load's energy that year (the paper's average of annual rates), each year weighted by its
    /// share of a year (its hours in the record over 8,760): a partial year counts for the
    /// hours it has, so a 5-hour stub does not weigh as much as a whole year.
    pub rate: f64,
    /// Hours of the record per year, summed over years: the record's length in years.
    pub year_share: f64,
}

impl Outcome {
    pub fn rate(&self) -> f64 {
        self.rate
    }
    pub fn mean_event_h(&self) -> f64 {
        if self.events > 0 {
            self.curtailed_hours as f64 / self.events as f64
        } else {
            0.0
        }
    }
    /// The longest event, hours (0 when nothing is curtailed).
    pub fn longest_event_h(&self) -> u32 {
        self.event_hours.iter().copied().max().unwrap_or(0)
    }
    /// Events longer than `n` hours.
    pub fn events_over(&self, n: u32) -> usize {
        self.event_hours.iter().filter(|&&h| h > n).count()
    }
    pub fn half_kept_share(&self) -> f64 {
        if self.curtailed_hours > 0 {
            self.half_kept_hours as f64 / self.curtailed_hours as f64
        } else {
            0.0
        }
    }
    /// The record's length in years (hours over 8,760), for per-year figures.
    pub fn years(&self) -> f64 {
        self.year_share
    }
}

/// Adds a load of `size_mw` to the system and curtails it above the seasonal thresholds.
pub fn evaluate(load: &SystemLoad, thr: &Thresholds, new: &NewLoad, size_mw: f64) -> Outcome {
    let mut o = Outcome {
        size_mw,
        hours: load.hours.len(),
        ..Outcome::default()
    };
    // Excesses this small (relative to the size, and to the rounding of `L + p - T` at the
    // system's scale) are rounding, not curtailment.
    let eps = 1e-9 * size_mw + 1e-12 * thr.summer_mw.max(thr.winter_mw);
    let mut prev: Option<i64> = None;
    // Per calendar year: (curtailed MWh, energy MWh).
    let mut year: Option<i32> = None;
    let (mut yc, mut ye, mut yh) = (0.0, 0.0, 0usize);
    let mut rates = 0.0;
    for (i, h) in load.hours.iter().enumerate() {
        if year != Some(h.year) {
            if year.is_some() {
                rates += yh as f64 * if ye > 0.0 { yc / ye } else { 0.0 };
                o.years += 1;
            }
            year = Some(h.year);
            (yc, ye, yh) = (0.0, 0.0, 0);
        }
        yh += 1;
        let p = size_mw * new.shape[i];
        o.energy_mwh += p;
        ye += p;
        let need = (h.mw + p - thr.at(h.month)).max(0.0);
        // The grid draw falls by shedding flexible work first, then by backup; never below 0.
        let can = (new.flex[i] * p + new.backup_share * size_mw).min(p);
        let c = need.min(can);
        if need - can > eps {
            o.uncovered_hours += 1;
            o.uncovered_max_mw = o.uncovered_max_mw.max(need - can);
        }
        if c > eps {
            yc += c;
            o.curtailed_mwh += c;
            o.curtailed_hours += 1;
            let shed_work = c.min(new.flex[i] * p);
            if p - shed_work >= 0.5 * p - eps {
                o.half_kept_hours += 1;
            }
            if prev == Some(h.index - 1) {
                if let Some(last) = o.event_hours.last_mut() {
                    *last += 1;
                }
            } else {
                o.events += 1;
                o.event_hours.push(1);
            }
            prev = Some(h.index);
        }
    }
    if year.is_some() {
        rates += yh as f64 * if ye > 0.0 { yc / ye } else { 0.0 };
        o.years += 1;
    }
    // Each year's rate weighted by its share of a year (hours / 8,760); the weights' sum is the
    // record's length in years.
    o.rate = rates / o.hours.max(1) as f64;
    o.year_share = o.hours as f64 / YEAR_H;
    o.mean_mw = o.energy_mwh / o.hours.max(1) as f64;
    o
}

/// The headroom at one curtailment limit.
#[derive(Clone, Debug, PartialEq)]
pub struct Headroom {
    pub limit_pct: f64,
    pub outcome: Outcome,
    /// What stops a larger load: `rate` (the curtailment limit), `flexibility` (hours needing more
    /// curtailment than the load can shed), `event length` (an event longer than
    /// `--max-event-hours`), `firm load at peak` (no size is admissible).
    pub binding: &'static str,
}

/// Largest size whose curtailment rate is at most `limit` (a fraction) and whose needed
/// curtailment the load can always shed; by bisection (60 halvings: the size is exact to far
/// below a kW for any real system).
pub fn headroom(load: &SystemLoad, thr: &Thresholds, new: &NewLoad, limit: f64) -> Headroom {
    headroom_within(load, thr, new, limit, None)
}

/// [`headroom`] with every curtailment event also at most `max_event_h` hours long
/// (`--max-event-hours`). Bisection still finds the largest size: an hour curtailed at a size
/// is curtailed at every larger one (its excess `L + X s - T` only grows), so events only
/// lengthen and merge as the size grows, and the longest never shrinks.
pub fn headroom_within(
    load: &SystemLoad,
    thr: &Thresholds,
    new: &NewLoad,
    limit: f64,
    max_event_h: Option<u32>,
) -> Headroom {
    let short = |o: &Outcome| max_event_h.is_none_or(|m| o.longest_event_h() <= m);
    let ok = |o: &Outcome| o.rate() <= limit && o.uncovered_hours == 0 && short(o);
    let peak = thr.summer_mw.max(thr.winter_mw).max(1.0);
    // A vanishing size: if even that fails, nothing can be added.
    let tiny = evaluate(load, thr, new, peak * 1e-6);
    if !ok(&tiny) {
        let binding = if tiny.uncovered_hours > 0 {
            "firm load at peak"
        } else if !short(&tiny) {
            "event length"
        } else {
            "rate"
        };
        return Headroom {
            limit_pct: limit * 100.0,
            outcome: evaluate(load, thr, new, 0.0),
            binding,
        };
    }
    let mut lo = 0.0;
    let mut hi = peak;
    let mut at_hi = evaluate(load, thr, new, hi);
    let mut doublings = 0;
    while ok(&at_hi) && doublings < 60 {
        lo = hi;
        hi *= 2.0;
        at_hi = evaluate(load, thr, new, hi);
        doublings += 1;
    }
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        let o = evaluate(load, thr, new, mid);
        if ok(&o) {
            lo = mid;
        } else {
            hi = mid;
            at_hi = o;
        }
    }
    let binding = if at_hi.uncovered_hours > 0 {
        "flexibility"
    } else if at_hi.rate() <= limit && !short(&at_hi) {
        "event length"
    } else {
        "rate"
    };
    Headroom {
        limit_pct: limit * 100.0,
        outcome: evaluate(load, thr, new, lo),
        binding,
    }
}
