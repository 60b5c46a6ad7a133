//! Simulation time as a first-class type, and the calendar that maps it to wall-clock dates.
//!
//! The engine counts whole seconds from the study start, so every step boundary and event time
//! is exact (no floating-point drift over a year of 1 s steps). The calendar is proleptic
//! Gregorian with a fixed UTC offset: utilities want a fixed-offset clock (no DST jumps), and a
//! fixed offset keeps every day exactly 86 400 s so hourly rows line up with the timestamps.

use std::fmt;

/// Seconds since the study start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    pub const fn from_hours(h: u64) -> Self {
        SimTime(h * 3600)
    }
    pub fn seconds(self) -> u64 {
        self.0
    }
    pub fn hours_f64(self) -> f64 {
        self.0 as f64 / 3600.0
    }
}

impl std::ops::Add<u64> for SimTime {
    type Output = SimTime;
    fn add(self, s: u64) -> SimTime {
        SimTime(self.0 + s)
    }
}

/// A calendar date (proleptic Gregorian).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Date, String> {
        let parts: Vec<&str> = s.trim().split('-').collect();
        if parts.len() != 3 || parts[0].len() != 4 || parts[1].len() != 2 || parts[2].len() != 2 {
            return Err(format!("expected a date like 2025-01-01, found {s:?}"));
        }
        let year: i32 = parts[0].parse().map_err(|_| format!("bad year in {s:?}"))?;
        let month: u32 = parts[1]
            .parse()
            .map_err(|_| format!("bad month in {s:?}"))?;
        let day: u32 = parts[2].parse().map_err(|_| format!("bad day in {s:?}"))?;
        if !(1..=12).contains(&month) {
            return Err(format!("month must be 01-12 in {s:?}"));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(format!("day out of range for the month in {s:?}"));
        }
        Ok(Date { year, month, day })
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Inverse of [`Date::days_since_epoch`].
    pub fn from_days_since_epoch(z: i64) -> Date {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        Date {
            year: (y + i64::from(m <= 2)) as i32,
            month: m,
            day: d,
        }
    }

    /// 0-based day of the year.
    pub fn ordinal0(self) -> u32 {
        (self.days_since_epoch()
            - Date {
                year: self.year,
                month: 1,
                day: 1,
            }
            .days_since_epoch()) as u32
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

/// Parses a UTC offset `+HH:MM` / `-HH:MM` (or `Z`) into seconds east of UTC.
pub fn parse_utc_offset(s: &str) -> Result<i32, String> {
    let t = s.trim();
    if t == "Z" || t == "z" {
        return Ok(0);
    }
    let err = || format!("expected a UTC offset like +09:00 or -05:00, found {s:?}");
    let (sign, rest) = match t.chars().next() {
        Some('+') => (1, &t[1..]),
        Some('-') => (-1, &t[1..]),
        _ => return Err(err()),
    };
    let (h, m) = rest.split_once(':').ok_or_else(err)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(err());
    }
    let h: i32 = h.parse().map_err(|_| err())?;
    let m: i32 = m.parse().map_err(|_| err())?;
    if h > 14 || m > 59 {
        return Err(err());
    }
    Ok(sign * (h * 3600 + m * 60))
}

pub fn format_utc_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
}

/// Maps simulation time to local calendar quantities for the study's clock.
#[derive(Clone, Copy, Debug)]
pub struct Calendar {
    /// Local midnight of the start date, in seconds since the Unix epoch of the *local* clock.
    start_local_epoch_s: i64,
    /// Seconds east of UTC of the study clock (timestamps are written with this offset).
    utc_offset_s: i32,
}

impl Calendar {
    pub fn new(start: Date, utc_offset_s: i32) -> Calendar {
        Calendar {
            start_local_epoch_s: start.days_since_epoch() * 86_400,
            utc_offset_s,
        }
    }

    pub fn utc_offset_s(&self) -> i32 {
        self.utc_offset_s
    }

    /// Local seconds since the epoch for a clock `offset_s` east of UTC.
    fn local_epoch_s(&self, t: SimTime, offset_s: i32) -> i64 {
        self.start_local_epoch_s + t.0 as i64 + i64::from(offset_s - self.utc_offset_s)
    }

    /// The step's clock, computed once per step so that each workload's local hour and weekday
    /// cost an addition rather than 64-bit divisions.
    #[inline]
    pub fn clock(&self, t: SimTime) -> StepClock {
        let s = self.start_local_epoch_s + t.0 as i64;
        let day = s.div_euclid(86_400);
        StepClock {
            weekday: (day + 3).rem_euclid(7) as u8,
            sod: s.rem_euclid(86_400),
            utc_offset_s: self.utc_offset_s,
        }
    }

    /// Local time of day in hours `[0, 24)` in a zone `offset_s` east of UTC.
    pub fn hour_of_day(&self, t: SimTime, offset_s: i32) -> f64 {
        self.local_epoch_s(t, offset_s).rem_euclid(86_400) as f64 / 3600.0
    }

    /// Day of week in a zone, 0 = Monday .. 6 = Sunday (1970-01-01 was a Thursday).
    pub fn weekday(&self, t: SimTime, offset_s: i32) -> usize {
        (self.local_epoch_s(t, offset_s).div_euclid(86_400) + 3).rem_euclid(7) as usize
    }

    /// Local date in the study clock.
    pub fn date(&self, t: SimTime) -> Date {
        Date::from_days_since_epoch(self.local_epoch_s(t, self.utc_offset_s).div_euclid(86_400))
    }

    /// Local date in a zone `offset_s` east of UTC.
    pub fn local_date(&self, t: SimTime, offset_s: i32) -> Date {
        Date::from_days_since_epoch(self.local_epoch_s(t, offset_s).div_euclid(86_400))
    }

    /// Month index 0..12 in the study clock.
    pub fn month0(&self, t: SimTime) -> usize {
        (self.date(t).month - 1) as usize
    }

    /// Parses a wall-clock time `YYYY-MM-DDTHH:MM[:SS]` in the study clock, or an instant when
    /// it carries an offset suffix (`+HH:MM`, `-HH:MM` or `Z`), to the time since the study
    /// start. The one place run files' and CSVs' timestamps are read; a time before the start
    /// is an error.
    pub fn parse_local(&self, s: &str) -> Result<SimTime, String> {
        let t = s.trim();
        let err = || {
            format!(
                "expected a time like 2025-07-16T16:45 (seconds and an offset like -06:00 or Z \
                 optional), found {s:?}"
            )
        };
        let (date, rest) = t.split_once('T').ok_or_else(err)?;
        let date = Date::parse(date).map_err(|e| format!("{e} in {s:?}"))?;
        // The clock part ends where an offset starts.
        let cut = rest.find(['+', '-', 'Z', 'z']).unwrap_or(rest.len());
        let (clock, suffix) = rest.split_at(cut);
        let offset = if suffix.is_empty() {
            self.utc_offset_s
        } else {
            parse_utc_offset(suffix).map_err(|e| format!("{e} in {s:?}"))?
        };
        let parts: Vec<&str> = clock.split(':').collect();
        if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2) {
            return Err(err());
        }
        let num = |p: &str| p.parse::<i64>().map_err(|_| err());
        let (h, m) = (num(parts[0])?, num(parts[1])?);
        let sec = if parts.len() == 3 { num(parts[2])? } else { 0 };
        if h > 23 || m > 59 || sec > 59 {
            return Err(format!("time of day out of range in {s:?}"));
        }
        let local = date.days_since_epoch() * 86_400 + h * 3600 + m * 60 + sec;
        // Seconds since the start: the same instant on the study clock, minus its start.
        let since = local + i64::from(self.utc_offset_s - offset) - self.start_local_epoch_s;
        if since < 0 {
            return Err(format!(
                "{s:?} is before the study's start ({})",
                self.timestamp(SimTime(0))
            ));
        }
        Ok(SimTime(since as u64))
    }

    /// ISO 8601 timestamp with offset, e.g. `2025-01-01T00:00:00+00:00`.
    pub fn timestamp(&self, t: SimTime) -> String {
        let s = self.local_epoch_s(t, self.utc_offset_s);
        let d = Date::from_days_since_epoch(s.div_euclid(86_400));
        let sod = s.rem_euclid(86_400);
        format!(
            "{d}T{:02}:{:02}:{:02}{}",
            sod / 3600,
            (sod % 3600) / 60,
            sod % 60,
            format_utc_offset(self.utc_offset_s)
        )
    }
}

/// Day and second of day in the study clock at one step.
#[derive(Clone, Copy, Debug)]
pub struct StepClock {
    /// Weekday in the study clock, 0 = Monday.
    weekday: u8,
    sod: i64,
    utc_offset_s: i32,
}

impl StepClock {
    /// (local hour of day in `[0, 24)`, weekday 0 = Monday) in a zone `offset_s` east of UTC.
    #[inline]
    pub fn local(&self, offset_s: i32) -> (f64, usize) {
        let mut sod = self.sod + i64::from(offset_s - self.utc_offset_s);
        let mut wd = self.weekday as usize + 7;
        // Offsets are within +-28 h of each other, so at most two wraps either way.
        while sod < 0 {
            sod += 86_400;
            wd -= 1;
        }
        while sod >= 86_400 {
            sod -= 86_400;
            wd += 1;
        }
        let wd = if wd >= 14 {
            wd - 14
        } else if wd >= 7 {
            wd - 7
        } else {
            wd
        };
        (sod as f64 * (1.0 / 3600.0), wd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_round_trip() {
        for z in [-1000i64, 0, 365, 19_000, 20_089, 60_000] {
            assert_eq!(Date::from_days_since_epoch(z).days_since_epoch(), z);
        }
        let d = Date::parse("2025-01-01").unwrap();
        assert_eq!(d.days_since_epoch(), 20_089);
    }

    #[test]
    fn weekday_and_timestamps() {
        // 2025-01-01 was a Wednesday.
        let c = Calendar::new(Date::parse("2025-01-01").unwrap(), -5 * 3600);
        assert_eq!(c.weekday(SimTime(0), -5 * 3600), 2);
        assert_eq!(c.timestamp(SimTime(0)), "2025-01-01T00:00:00-05:00");
        assert_eq!(
            c.timestamp(SimTime::from_hours(25)),
            "2025-01-02T01:00:00-05:00"
        );
        // In UTC it is already 05:00.
        assert!((c.hour_of_day(SimTime(0), 0) - 5.0).abs() < 1e-12);
        assert!(Date::parse("2025-02-29").is_err());
        assert!(Date::parse("2024-02-29").is_ok());
        assert_eq!(parse_utc_offset("+09:30"), Ok(9 * 3600 + 1800));
        assert!(parse_utc_offset("9").is_err());
        // Study-clock times, seconds, and offset-suffixed instants.
        assert_eq!(
            c.parse_local("2025-01-01T16:45"),
            Ok(SimTime(16 * 3600 + 45 * 60))
        );
        assert_eq!(c.parse_local("2025-01-02T00:00:30"), Ok(SimTime(86_430)));
        // 17:00 at -06:00 is 18:00 at -05:00.
        assert_eq!(
            c.parse_local("2025-01-01T17:00-06:00"),
            Ok(SimTime::from_hours(18))
        );
        assert_eq!(c.parse_local("2025-01-01T05:00Z"), Ok(SimTime(0)));
        assert!(c.parse_local("2024-12-31T23:00").is_err());
        for bad in [
            "2025-01-01",
            "2025-01-01T7:00",
            "2025-01-01T24:00",
            "2025-01-01T10:00+5",
        ] {
            assert!(c.parse_local(bad).is_err(), "{bad}");
        }
        // The per-step clock agrees with the direct computation in every zone.
        for t in [0u64, 3_599, 18_000, 86_399, 86_400 * 200 + 7_000] {
            let k = c.clock(SimTime(t));
            for off in [-12 * 3600, -5 * 3600, 0, 5 * 3600 + 1800, 14 * 3600] {
                let (h, wd) = k.local(off);
                assert!((h - c.hour_of_day(SimTime(t), off)).abs() < 1e-12);
                assert_eq!(wd, c.weekday(SimTime(t), off));
            }
        }
    }
}
