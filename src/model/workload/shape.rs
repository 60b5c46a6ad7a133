//! Daily and weekly shapes of demand.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::base::error::Result;
use crate::input::files::Files;

/// 24 hourly factors, interpolated linearly between hour midpoints (circularly), so that the
/// arrival rate has no step at each hour boundary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DailyShape {
    pub factors: [f64; 24],
}

impl DailyShape {
    pub fn flat() -> DailyShape {
        DailyShape { factors: [1.0; 24] }
    }

    /// A cosine with its maximum at `peak_hour` and max/min = `peak_to_trough`, mean 1.
    pub fn cosine(peak_hour: f64, peak_to_trough: f64) -> DailyShape {
        let a = (peak_to_trough - 1.0) / (peak_to_trough + 1.0);
        let mut factors = [0.0; 24];
        for (h, f) in factors.iter_mut().enumerate() {
            let x = (h as f64 + 0.5 - peak_hour) * std::f64::consts::TAU / 24.0;
            *f = 1.0 + a * x.cos();
        }
        DailyShape { factors }
    }

    /// Scales the factors to mean 1, so a class's `requests_per_day` is its daily mean.
    pub fn normalised(mut self) -> DailyShape {
        let mean = self.factors.iter().sum::<f64>() / 24.0;
        if mean > 0.0 {
            for f in &mut self.factors {
                *f /= mean;
            }
        }
        self
    }

    /// The factor at a local time of day in hours `[0, 24)`.
    #[inline]
    pub fn at(&self, hour: f64) -> f64 {
        let x = hour - 0.5;
        let x = if x < 0.0 { x + 24.0 } else { x };
        // x >= 0, so truncation is floor (and avoids a libm call in the step loop).
        let i = x as usize;
        let t = x - i as f64;
        let i = i % 24;
        let j = (i + 1) % 24;
        self.factors[i] + t * (self.factors[j] - self.factors[i])
    }
}

/// Monday..Sunday factors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeeklyShape {
    pub factors: [f64; 7],
}

impl WeeklyShape {
    pub fn flat() -> WeeklyShape {
        WeeklyShape { factors: [1.0; 7] }
    }
    pub fn normalised(mut self) -> WeeklyShape {
        let mean = self.factors.iter().sum::<f64>() / 7.0;
        if mean > 0.0 {
            for f in &mut self.factors {
                *f /= mean;
            }
        }
        self
    }
}

/// A factor for every step of the study's week, precomputed at load time so that the step loop
/// reads one number instead of working out a local hour, weekday and interpolation per step.
///
/// Index `k` is the step of the week in the study clock, counted from Monday 00:00; a workload in
/// another time zone has its own table, shifted by its offset.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WeekTable {
    /// f32 halves the cache footprint; 7 significant digits is far finer than any shape.
    pub factors: Vec<f32>,
    /// The shape is on its own fixed `utc_offset`, not the study clock: in a prevailing-time
    /// study it is read at the step of the week on the start's offset (no daylight-saving jumps).
    pub own_clock: bool,
    /// Prefix sums of the factors over two weeks (entry `k` sums steps `0..k`): a span's
    /// expected arrivals in two reads, a span never wrapping.
    pub prefix: Arc<[f64]>,
    /// Per hour of the week (steps `h * n..(h + 1) * n`, `n` steps an hour): `Some(j)` when the
    /// hour's factors lie on one line over steps `0..j` and on another over `j..n` (`j == n`:
    /// one line), within the f32 rounding; `None` where they do not (see [`hour_lines`]). The
    /// two-rate engine then works an hour's expected arrivals out at the lines' ends only.
    pub lines: Vec<Option<u16>>,
}

pub const WEEK_S: i64 = 7 * 86_400;

impl WeekTable {
    /// `f(local hour in [0, 24), local weekday 0 = Monday)` for every step of the week.
    pub fn build(
        step_s: u64,
        study_offset_s: i32,
        local_offset_s: i32,
        f: impl Fn(f64, usize) -> f64,
    ) -> WeekTable {
        let n = (WEEK_S as u64 / step_s) as usize;
        let delta = i64::from(local_offset_s - study_offset_s);
        let factors = (0..n)
            .map(|k| {
                let s = (k as i64 * step_s as i64 + delta).rem_euclid(WEEK_S);
                f((s % 86_400) as f64 / 3600.0, (s / 86_400) as usize) as f32
            })
            .collect::<Vec<f32>>();
        let mut prefix = Vec::with_capacity(2 * n + 1);
        let mut acc = 0.0;
        prefix.push(acc);
        for &x in factors.iter().chain(factors.iter()) {
            acc += f64::from(x);
            prefix.push(acc);
        }
        WeekTable {
            lines: hour_lines(&factors, step_s, delta),
            factors,
            own_clock: false,
            prefix: prefix.into(),
        }
    }

    /// [`WeekTable::build`], once per study rather than once per trial (a table of 60-s steps
    /// cost ~0.9 M instructions, six of them in every trial of the default study): kept in
    /// `files` under `kind`, which names the form of `f`, and `shape`, every figure `f` reads,
    /// bit for bit, so a trial that samples a different shape builds its own.
    pub fn shared(
        files: &Files,
        kind: &'static str,
        (step_s, study_offset_s, local_offset_s): (u64, i32, i32),
        shape: &[f64],
        f: impl Fn(f64, usize) -> f64,
    ) -> Result<WeekTable> {
        let mut key = format!("{step_s} {study_offset_s} {local_offset_s}");
        for x in shape {
            key.push_str(&format!(" {:x}", x.to_bits()));
        }
        let t = files.load(kind, Path::new(""), key, || {
            Ok(WeekTable::build(step_s, study_offset_s, local_offset_s, f))
        })?;
        Ok(WeekTable::clone(&t))
    }

    /// Marks the table as on its own fixed offset (see [`WeekTable::own_clock`]).
    pub fn on_own_clock(mut self, own: bool) -> WeekTable {
        self.own_clock = own;
        self
    }

    #[inline]
    pub fn at(&self, step_of_week: usize) -> f64 {
        f64::from(self.factors[step_of_week])
    }
}

/// Where each hour of a week table breaks from one line to another ([`WeekTable::lines`]). A
/// factor of the local hour and weekday that is linear between local half hours (a
/// [`DailyShape`] times a weekday's factor) breaks only at the local half hour (a kink) and at
/// local midnight (a jump); an hour with one such instant inside it is two lines, with none one
/// line, with two (an offset of 15 or 45 minutes, at midnight) `None`. Each hour is checked
/// against the table, so a factor of another form is `None` where a step strays from the lines.
fn hour_lines(factors: &[f32], step_s: u64, delta: i64) -> Vec<Option<u16>> {
    if step_s == 0 || 3600 % step_s != 0 {
        return Vec::new();
    }
    let n = (3600 / step_s) as usize;
    let inside = |t: i64| (t > 0 && t < 3600).then_some(t as u64);
    factors
        .chunks_exact(n)
        .enumerate()
        .map(|(h, x)| {
            let local = h as i64 * 3600 + delta;
            let kink = inside((1800 - local).rem_euclid(3600));
            let midnight = inside((-local).rem_euclid(86_400));
            let j = match (kink, midnight) {
                (None, None) => n,
                (Some(t), None) | (None, Some(t)) => t.div_ceil(step_s) as usize,
                (Some(_), Some(_)) => return None,
            };
            (on_line(&x[..j]) && on_line(&x[j..])).then_some(j as u16)
        })
        .collect()
}

/// Whether the factors lie on the line through the first and the last within the f32 rounding
/// of the three (2^-22 of the larger end: a ramp between the ends then differs from the table
/// by less than 1e-6).
fn on_line(x: &[f32]) -> bool {
    let (Some(&a), Some(&b)) = (x.first(), x.last()) else {
        return true;
    };
    let (a, b) = (f64::from(a), f64::from(b));
    let tol = a.abs().max(b.abs()) * 2f64.powi(-22);
    let last = (x.len().max(2) - 1) as f64;
    x.iter()
        .enumerate()
        .all(|(i, &v)| (f64::from(v) - (a + (b - a) * (i as f64 / last))).abs() <= tol)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_has_requested_ratio_and_mean() {
        let s = DailyShape::cosine(20.0, 3.0).normalised();
        let mean: f64 = s.factors.iter().sum::<f64>() / 24.0;
        assert!((mean - 1.0).abs() < 1e-12);
        let max = s.factors.iter().cloned().fold(f64::MIN, f64::max);
        let min = s.factors.iter().cloned().fold(f64::MAX, f64::min);
        assert!((max / min - 3.0).abs() < 0.05, "ratio {}", max / min);
        assert!(s.at(20.0) > s.at(8.0));
    }

    #[test]
    fn week_table_follows_the_local_clock() {
        let daily = DailyShape::cosine(20.0, 3.0).normalised();
        let mut weekly = WeeklyShape::flat();
        weekly.factors[6] = 0.5;
        // Users at UTC+9, study clock at UTC-5: 14 h ahead.
        let t = WeekTable::build(60, -5 * 3600, 9 * 3600, |h, wd| {
            daily.at(h) * weekly.factors[wd]
        });
        assert_eq!(t.factors.len(), 7 * 1440);
        // Study Saturday 10:00 is Sunday 00:00 for the users.
        let k = 5 * 1440 + 10 * 60;
        assert!((t.at(k) - daily.at(0.0) * 0.5).abs() < 1e-6);
        assert!((t.at(k - 1) - daily.at(23.0 + 59.0 / 60.0)).abs() < 1e-6);
    }

    /// A shared table is the built one; the same shape again is the kept table, another shape
    /// (or another form of the function) gets its own.
    #[test]
    fn a_shared_week_table_is_built_once_per_shape_and_form() {
        let files = Files::default();
        let daily = DailyShape::cosine(20.0, 3.0).normalised();
        let table = |files: &Files, kind, d: &DailyShape| {
            WeekTable::shared(files, kind, (60, -5 * 3600, 3600), &d.factors, |h, _| {
                d.at(h)
            })
            .expect("no file to read")
        };
        let built = WeekTable::build(60, -5 * 3600, 3600, |h, _| daily.at(h));
        assert_eq!(table(&files, "a", &daily), built);
        assert_eq!(table(&files, "a", &daily), built);
        assert_eq!(files.len(), 1, "the same shape is built once");
        let other = DailyShape::cosine(19.0, 3.0).normalised();
        let t = table(&files, "a", &other);
        assert_eq!(t, WeekTable::build(60, -5 * 3600, 3600, |h, _| other.at(h)));
        assert_ne!(t, built);
        table(&files, "b", &daily);
        assert_eq!(files.len(), 3, "another shape or form is built on its own");
    }

    /// An hour's factors are two lines split at the local half hour on a whole-hour offset, at
    /// local midnight (where it falls inside the hour) on a half-hour offset, and not marked
    /// where both fall inside (a 45-minute offset's midnight hour) or the factor is not linear.
    #[test]
    fn hours_are_marked_where_their_factors_lie_on_two_lines() {
        let daily = DailyShape::cosine(20.0, 3.0).normalised();
        let weekly = WeeklyShape {
            factors: [1.0, 1.2, 1.0, 1.0, 1.0, 0.5, 0.6],
        };
        let f = |h: f64, wd: usize| daily.at(h) * weekly.factors[wd];
        let whole = WeekTable::build(60, 0, 9 * 3600, f);
        assert!(whole.lines.iter().all(|&j| j == Some(30)));
        let half = WeekTable::build(60, 0, 5 * 3600 + 1800, f);
        // Local midnight at the study's 18:30.
        for (h, &j) in half.lines.iter().enumerate() {
            assert_eq!(j, Some(if h % 24 == 18 { 30 } else { 60 }), "hour {h}");
        }
        let quarter = WeekTable::build(60, 0, 5 * 3600 + 2700, f);
        for (h, &j) in quarter.lines.iter().enumerate() {
            assert_eq!(j.is_none(), h % 24 == 18, "hour {h}");
        }
        let curved = WeekTable::build(60, 0, 0, |h, _| h * h + 1.0);
        assert!(curved.lines.iter().all(Option::is_none));
    }

    #[test]
    fn interpolation_is_continuous_across_midnight() {
        let s = DailyShape::cosine(0.0, 2.0);
        assert!((s.at(23.999) - s.at(0.0)).abs() < 1e-3);
    }
}
