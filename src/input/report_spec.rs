//! The `[report]` table of a run file: which calendar years of the study clock get their own
//! 8760/8784-hour files (`load_8760_YYYY.csv`, `monthly_YYYY.csv`, `load_duration_YYYY.csv`).
//! Without the table nothing extra is written.
//!
//! It also asks for `intervals.csv` (`intervals = true` or `interval_minutes = N`, or
//! `--interval-minutes N`): the facility and IT demand at a sub-hourly (or multi-hour)
//! resolution, each value the exact mean of the steps in its interval. `intervals = false`
//! wins over `interval_minutes` in the table (no file); the command-line flag wins over both.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::base::time::{Calendar, Date, SimTime};

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    /// Calendar years of the study clock, each fully inside the horizon; `--years` overrides.
    #[serde(default)]
    pub years: Vec<i32>,
    /// Write `intervals.csv` (at `interval_minutes`, default 15). `false` is the switch: no
    /// file even with `interval_minutes` or a window set (only `--interval-minutes` on the
    /// command line still asks for it).
    pub intervals: Option<Spanned<bool>>,
    /// Length of an interval of `intervals.csv`, minutes: a whole number of steps that divides
    /// the hour or is a whole number of hours. Setting it asks for the file.
    pub interval_minutes: Option<Spanned<i64>>,
    /// Window of `intervals.csv` (study-clock times, on interval boundaries); default the
    /// whole horizon.
    pub interval_from: Option<Spanned<String>>,
    pub interval_to: Option<Spanned<String>>,
    /// How the hourly, interval and 8760 files stamp their rows: `"beginning"` (the default,
    /// an ISO start instant) or `"ending"` (utility convention: the end instant, the operating
    /// day, hour ending 1-24, interval 1-4 and the daylight-saving repeated-hour flag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<Timestamps>,
    /// First day (`YYYY-MM-DD`, study clock) of the week the sectors plot shows; default the
    /// first full week of July. Checked to lie, with its 7 days, inside the horizon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub week: Option<Spanned<String>>,
}

/// `[report] timestamps`: interval-beginning (ISO instants, as every release wrote) or
/// interval-ending with the columns utilities exchange load data in (ERCOT's DeliveryDate,
/// HourEnding, DSTFlag; PJM's hour-ending EPT).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Timestamps {
    #[default]
    Beginning,
    Ending,
}

/// Checks `[report] week`: a date whose 7 days from midnight lie inside the horizon.
pub fn check_week(
    spec: Option<&ReportSpec>,
    cal: &Calendar,
    horizon_s: u64,
) -> Result<(), FieldError> {
    let Some(w) = spec.and_then(|r| r.week.as_ref()) else {
        return Ok(());
    };
    let e = |m: String| ("report.week".to_string(), Some(w.span()), m);
    let text = w.get_ref().trim();
    Date::parse(text).map_err(|_| {
        e(format!(
            "expected the week's first day as \"YYYY-MM-DD\" (e.g. \"2028-07-10\"), found {text:?}"
        ))
    })?;
    let at = cal
        .parse_local(&format!("{text}T00:00"))
        .map_err(e)?
        .seconds();
    let end = at.saturating_add(7 * 86_400);
    if end > horizon_s {
        return Err(e(format!(
            "the week of {text} (7 days from its midnight) does not lie inside the horizon ({} to {}): choose a day from the start to 7 days before the end",
            cal.timestamp(SimTime(0)),
            cal.timestamp(SimTime(horizon_s))
        )));
    }
    Ok(())
}

/// The resolved interval file: intervals of `len_s` seconds from `from_s` to `to_s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntervalPlan {
    pub len_s: u64,
    pub from_s: u64,
    pub to_s: u64,
}

impl IntervalPlan {
    pub fn count(&self) -> usize {
        ((self.to_s - self.from_s) / self.len_s) as usize
    }
}

/// Default interval length when the file is asked for without one, minutes.
pub const DEFAULT_INTERVAL_MINUTES: i64 = 15;

/// Checks an interval (or system-peak interval) length against the step: a whole number of
/// steps that divides the hour or is a whole number of hours. `field` names it in the message.
pub fn check_interval_minutes(minutes: i64, step_s: u64, field: &str) -> Result<u64, String> {
    let s = minutes.checked_mul(60).filter(|&s| s > 0);
    let Some(s) = s.map(|s| s as u64) else {
        return Err(format!(
            "{field}: expected a positive number of minutes, found {minutes}"
        ));
    };
    if !s.is_multiple_of(step_s) {
        return Err(format!(
            "{field} = {minutes} is not a whole number of steps (step_s = {step_s} s); expected \
             a multiple of {} min",
            step_s as f64 / 60.0
        ));
    }
    if !(3600 % s == 0 || s.is_multiple_of(3600)) {
        return Err(format!(
            "{field} = {minutes} neither divides the hour nor is a whole number of hours; \
             expected e.g. 5, 15, 30, 60 or 120 (step_s = {step_s} s)"
        ));
    }
    Ok(s)
}

/// A `[report]` error: the dotted field, its span in the run file when known, the message.
pub type FieldError = (String, Option<Range<usize>>, String);

/// The interval file asked for by `spec` (or `minutes_override`, the `--interval-minutes`
/// flag), or `None`. Errors are `(field, message)`; `span` of the field when it has one.
pub fn resolve_intervals(
    spec: Option<&ReportSpec>,
    minutes_override: Option<i64>,
    cal: &Calendar,
    step_s: u64,
    horizon_s: u64,
) -> Result<Option<IntervalPlan>, FieldError> {
    let minutes_field = spec.and_then(|r| r.interval_minutes.as_ref());
    // `intervals = false` turns the file off whatever else the table says; the command-line
    // flag (a request for this run) still asks for it.
    let off = spec.is_some_and(|r| r.intervals.as_ref().is_some_and(|b| !*b.get_ref()));
    if off && minutes_override.is_none() {
        return Ok(None);
    }
    let asked = minutes_override.is_some()
        || minutes_field.is_some()
        || spec.is_some_and(|r| r.intervals.as_ref().is_some_and(|b| *b.get_ref()));
    if !asked {
        if let Some(f) = spec.and_then(|r| r.interval_from.as_ref().or(r.interval_to.as_ref())) {
            return Err((
                "report.interval_from".into(),
                Some(f.span()),
                "a window needs the interval file: add `intervals = true` or `interval_minutes`"
                    .into(),
            ));
        }
        return Ok(None);
    }
    let (minutes, span) = match (minutes_override, minutes_field) {
        (Some(m), _) => (m, None),
        (None, Some(m)) => (*m.get_ref(), Some(m.span())),
        (None, None) => (DEFAULT_INTERVAL_MINUTES, None),
    };
    let field = if minutes_override.is_some() {
        "--interval-minutes"
    } else {
        "interval_minutes"
    };
    let len_s = match check_interval_minutes(minutes, step_s, field) {
        Ok(s) => s,
        // The default length, not written by the user: say so, and point at `intervals`.
        Err(_) if minutes_override.is_none() && minutes_field.is_none() => {
            return Err((
                "report.intervals".into(),
                spec.and_then(|r| r.intervals.as_ref()).map(Spanned::span),
                format!(
                    "`intervals = true` asks for {DEFAULT_INTERVAL_MINUTES}-minute intervals by \
                     default, which are not a whole number of steps (step_s = {step_s} s): set \
                     `interval_minutes` to a multiple of {} (e.g. {})",
                    step_s as f64 / 60.0,
                    (step_s / 60).max(60)
                ),
            ));
        }
        Err(m) => return Err((format!("report.{field}"), span.clone(), m)),
    };
    let bound = |f: Option<&Spanned<String>>, name: &str, default: u64| match f {
        None => Ok(default),
        Some(t) => {
            let e = |m: String| (format!("report.{name}"), Some(t.span()), m);
            let at = cal.parse_local(t.get_ref()).map_err(e)?.seconds();
            if at > horizon_s {
                return Err(e(format!(
                    "{:?} is after the horizon's end ({})",
                    t.get_ref(),
                    cal.timestamp(SimTime(horizon_s))
                )));
            }
            if !at.is_multiple_of(len_s) {
                return Err(e(format!(
                    "{:?} is not on an interval boundary ({minutes}-minute intervals from the \
                     start, {})",
                    t.get_ref(),
                    cal.timestamp(SimTime(0))
                )));
            }
            Ok(at)
        }
    };
    let from_s = bound(
        spec.and_then(|r| r.interval_from.as_ref()),
        "interval_from",
        0,
    )?;
    let whole = horizon_s / len_s * len_s;
    let to_s = bound(
        spec.and_then(|r| r.interval_to.as_ref()),
        "interval_to",
        whole,
    )?;
    if to_s <= from_s {
        let span = spec.and_then(|r| r.interval_to.as_ref()).map(Spanned::span);
        return Err((
            "report.interval_to".into(),
            span,
            format!(
                "expected a window end after its start ({})",
                cal.timestamp(SimTime(from_s))
            ),
        ));
    }
    Ok(Some(IntervalPlan {
        len_s,
        from_s,
        to_s,
    }))
}

/// The hour rows `[h0, h1)` of calendar year `year` on the study clock, or why it is not fully
/// inside the horizon (`horizon_s` seconds from `start`).
pub fn year_hours(
    cal: &Calendar,
    _start: Date,
    horizon_s: u64,
    year: i32,
) -> Result<Range<usize>, String> {
    // Local midnight of 1 January on the study clock, in sim seconds (prevailing time: the
    // daylight-saving hours gained and lost within the year cancel, so a year is 8760 rows).
    let at = |y: i32| {
        cal.from_local_s_compatible(
            Date {
                year: y,
                month: 1,
                day: 1,
            }
            .days_since_epoch()
                * 86_400,
        )
    };
    let (s0, s1) = (at(year), at(year.saturating_add(1)));
    if s0 < 0 || s1 > horizon_s as i64 {
        return Err(format!(
            "year {year} is not fully inside the horizon ({} to {}); expected a calendar year \
             between those",
            cal.timestamp(SimTime(0)),
            cal.timestamp(SimTime(horizon_s))
        ));
    }
    if s0 % 3600 != 0 || s1 % 3600 != 0 {
        return Err(format!(
            "year {year} does not begin on a whole hour of the study ({}): the study clock's \
             offset changed by less than an hour since the start; expected a year whose \
             1 January has the start's offset",
            cal.describe()
        ));
    }
    Ok((s0 / 3600) as usize..(s1 / 3600) as usize)
}

/// The runs of equal keys of a sequence of `n` items whose key never decreases (the calendar
/// year of each hour row or interval start): `(key, items)`, in order. Found by halving, so a
/// trial can ask at its start without walking every hour.
pub fn monotone_runs(n: usize, key: impl Fn(usize) -> i32) -> Vec<(i32, Range<usize>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let k = key(i);
        // First item past `i` with a larger key.
        let (mut lo, mut hi) = (i + 1, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if key(mid) > k {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        out.push((k, i..lo));
        i = lo;
    }
    out
}

/// The calendar years (study clock) the horizon's `hours` hour rows touch, each with its rows
/// (an hour counts in the year of its start; the first and last may be partial).
pub fn calendar_years(cal: &Calendar, hours: usize) -> Vec<(i32, Range<usize>)> {
    monotone_runs(hours, |h| cal.date(SimTime::from_hours(h as u64)).year)
}

/// Resolved years: `(year, hour rows)`, in the order given, duplicates dropped.
pub fn resolve_years(
    cal: &Calendar,
    start: Date,
    horizon_s: u64,
    years: &[i32],
) -> Result<Vec<(i32, Range<usize>)>, String> {
    let mut out: Vec<(i32, Range<usize>)> = Vec::new();
    for &y in years {
        if out.iter().any(|(z, _)| *z == y) {
            continue;
        }
        out.push((y, year_hours(cal, start, horizon_s, y)?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_rows_and_leap_years() {
        let start = Date::parse("2027-01-01").unwrap();
        let cal = Calendar::new(start, 0);
        let horizon = (365 + 366) * 86_400;
        assert_eq!(year_hours(&cal, start, horizon, 2027).unwrap(), 0..8760);
        assert_eq!(
            year_hours(&cal, start, horizon, 2028).unwrap(),
            8760..8760 + 8784
        );
        let e = year_hours(&cal, start, horizon, 2029).unwrap_err();
        assert!(e.contains("2027-01-01T00:00:00+00:00"), "{e}");
        assert!(e.contains("2029-01-01T00:00:00+00:00"), "{e}");
        assert!(year_hours(&cal, start, horizon, 2026).is_err());
        // A horizon one hour short of the year's end does not hold it.
        assert!(year_hours(&cal, start, 8759 * 3600, 2027).is_err());
    }

    #[test]
    fn calendar_years_split_at_local_midnight() {
        // From 1 June 2027 in Chicago for 500 days: a partial 2027 (with the fall-back hour,
        // so one row more than its days), then 2028 from its local midnight.
        let start = Date::parse("2027-06-01").unwrap();
        let cal = Calendar::in_zone(start, "America/Chicago").unwrap();
        let y = calendar_years(&cal, 500 * 24);
        assert_eq!(y.len(), 2);
        let jan1 = (Date::parse("2028-01-01").unwrap().days_since_epoch()
            - start.days_since_epoch()) as usize
            * 24
            + 1;
        assert_eq!(y[0], (2027, 0..jan1));
        assert_eq!(y[1], (2028, jan1..500 * 24));
        assert_eq!(monotone_runs(5, |i| [1, 1, 2, 3, 3][i]).len(), 3);
        assert!(monotone_runs(0, |_| 0).is_empty());
    }
}
