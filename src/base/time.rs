//! Simulation time as a first-class type, and the calendar that maps it to wall-clock dates.
//!
//! The engine counts whole seconds from the study start, so every step boundary and event time
//! is exact (no floating-point drift over a year of 1 s steps). The calendar is proleptic
//! Gregorian on the study clock: a fixed UTC offset (every day exactly 86 400 s), or an IANA
//! time zone in prevailing time (daylight saving; the tz database is compiled in), whose
//! timestamps carry the offset at each instant so they stay unambiguous across the autumn
//! change.

use std::fmt;
use std::sync::Arc;

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

/// A date (`"2026-03-01"`, local midnight) or a local date-time on the study clock, as local
/// seconds since the epoch (the calendar maps them to the study's instants).
pub fn parse_local_date_or_time(s: &str) -> std::result::Result<i64, String> {
    if s.len() == 10 {
        Date::parse(s).map(|d| d.days_since_epoch() * 86_400)
    } else {
        parse_local_datetime(s)
    }
}

/// `YYYY-MM-DDTHH:MM[:SS]` (or with a space) to seconds since 1970-01-01 00:00 on the same clock.
pub fn parse_local_datetime(s: &str) -> std::result::Result<i64, String> {
    let err = || {
        format!("expected a date-time like \"2026-03-01T00:00\" on the study clock, found {s:?}")
    };
    let (d, t) = s.trim().split_once(['T', ' ']).ok_or_else(err)?;
    local_date_time_s(d, t).ok_or_else(err)
}

/// Parses a UTC offset `+HH:MM` / `-HH:MM` (or `Z`), or `±HH:MM:SS` as a historic zone's
/// offset is written (Monrovia kept -00:44:30 until 1972), into seconds east of UTC.
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
    let mut parts = rest.split(':');
    let mut field = |max: i32| -> Result<Option<i32>, String> {
        match parts.next() {
            None => Ok(None),
            Some(p) if p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()) => {
                let v: i32 = p.parse().map_err(|_| err())?;
                if v > max { Err(err()) } else { Ok(Some(v)) }
            }
            Some(_) => Err(err()),
        }
    };
    let h = field(14)?.ok_or_else(err)?;
    let m = field(59)?.ok_or_else(err)?;
    let s = field(59)?.unwrap_or(0);
    if parts.next().is_some() {
        return Err(err());
    }
    Ok(sign * (h * 3600 + m * 60 + s))
}

/// `+HH:MM`, or `±HH:MM:SS` when the offset has seconds (a historic zone's local mean time),
/// so a written timestamp names its instant exactly and reads back as the same instant.
pub fn format_utc_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let hm = format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60);
    match a % 60 {
        0 => hm,
        s => format!("{hm}:{s:02}"),
    }
}

/// How far before the start and after it the offset table reaches; outside it the zone is asked.
const TABLE_BEFORE_S: i64 = 400 * 86_400;
const TABLE_AFTER_S: i64 = 150 * 366 * 86_400;

/// Maps simulation time to local calendar quantities for the study's clock.
///
/// The clock is either a fixed UTC offset (every day 86 400 s) or an IANA time zone in
/// prevailing time (daylight-saving changes: a 23-hour day in spring, a 25-hour day in autumn).
/// Simulation time stays elapsed seconds from the study start, local midnight of the start date.
/// For a zone the offset changes are looked up once, here, into a small sorted table, so that
/// nothing per step asks the time-zone database.
#[derive(Clone, Debug)]
pub struct Calendar {
    /// The study start (local midnight of the start date), seconds since 1970-01-01 UTC.
    start_utc_s: i64,
    /// Seconds east of UTC at the study start (for a fixed offset: the offset).
    utc_offset_s: i32,
    /// `(sim second from which it holds, seconds east of UTC)`, sorted; the first entry starts
    /// at `i64::MIN`. One entry for a fixed offset.
    offsets: Arc<[(i64, i32)]>,
    /// The IANA zone, for instants outside the table (years away from the horizon).
    zone: Option<(Arc<str>, jiff::tz::TimeZone)>,
}

/// A local date-time on the study clock, mapped to simulation seconds (may be negative: before
/// the start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalTime {
    /// One instant.
    Unique(i64),
    /// The clock jumped over it (spring change): the offsets before and after the gap.
    Gap { before_s: i32, after_s: i32 },
    /// It happened twice (autumn change): the earlier instant, the later, and their offsets.
    Ambiguous {
        earlier: i64,
        later: i64,
        earlier_offset_s: i32,
        later_offset_s: i32,
    },
}

impl LocalTime {
    /// The instant under the usual rule for build-out dates and horizons ("compatible": a time
    /// in a gap moves forward by the gap, an ambiguous one takes the earlier instant).
    pub fn compatible(self, local_s: i64, start_utc_s: i64) -> i64 {
        match self {
            LocalTime::Unique(t) => t,
            LocalTime::Gap { before_s, .. } => local_s - i64::from(before_s) - start_utc_s,
            LocalTime::Ambiguous { earlier, .. } => earlier,
        }
    }
}

impl Calendar {
    /// A fixed-offset clock: `utc_offset_s` seconds east of UTC, the study starting at local
    /// midnight of `start`.
    pub fn new(start: Date, utc_offset_s: i32) -> Calendar {
        Calendar {
            start_utc_s: start.days_since_epoch() * 86_400 - i64::from(utc_offset_s),
            utc_offset_s,
            offsets: Arc::from(vec![(i64::MIN, utc_offset_s)]),
            zone: None,
        }
    }

    /// A prevailing-time clock in the IANA zone `name` (case-insensitive, e.g.
    /// "America/Chicago"), from the tz database compiled into the program. The study starts at
    /// local midnight of `start` (if midnight falls in a spring gap, at the end of the gap).
    /// The error says what was expected, with the nearest zone names.
    pub fn in_zone(start: Date, name: &str) -> Result<Calendar, String> {
        let tz = lookup_zone(name)?;
        let iana: Arc<str> = Arc::from(tz.iana_name().unwrap_or(name.trim()));
        let date = jiff::civil::Date::new(start.year as i16, start.month as i8, start.day as i8)
            .map_err(|e| format!("start date {start} out of range: {e}"))?;
        let ts = tz
            .to_ambiguous_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
            .compatible()
            .map_err(|e| format!("local midnight of {start} in {iana}: {e}"))?;
        let start_utc_s = ts.as_second();
        let from = start_utc_s - TABLE_BEFORE_S;
        let until = start_utc_s.saturating_add(TABLE_AFTER_S);
        let at = |s: i64| {
            jiff::Timestamp::from_second(s)
                .map(|t| tz.to_offset(t).seconds())
                .map_err(|e| format!("time zone {iana}: {e}"))
        };
        let mut offsets = vec![(i64::MIN, at(from)?)];
        let first = jiff::Timestamp::from_second(from).map_err(|e| e.to_string())?;
        for tr in tz.following(first) {
            let s = tr.timestamp().as_second();
            if s > until {
                break;
            }
            let off = tr.offset().seconds();
            if offsets.last().is_some_and(|&(_, o)| o != off) {
                offsets.push((s - start_utc_s, off));
            }
        }
        Ok(Calendar {
            start_utc_s,
            utc_offset_s: at(start_utc_s)?,
            offsets: Arc::from(offsets),
            zone: Some((iana, tz)),
        })
    }
    /// Everything the calendar's answers depend on, as text: two calendars with the same key
    /// give the same dates, hours and weekdays (a key for figures worked out once per study).
    pub fn key(&self) -> String {
        let zone = self.zone.as_ref().map_or("", |(name, _)| name);
        format!(
            "{} {} {zone} {:?}",
            self.start_utc_s, self.utc_offset_s, self.offsets
        )
    }

    /// Seconds east of UTC at the study start (for a fixed offset: the offset). For the
    /// prevailing offset at an instant use [`Calendar::offset_at`].
    pub fn utc_offset_s(&self) -> i32 {
        self.utc_offset_s
    }

    /// The IANA zone name, `None` for a fixed offset.
    pub fn zone_name(&self) -> Option<&str> {
        self.zone.as_ref().map(|(n, _)| &**n)
    }

    /// The clock as the run file would state it: the zone name, or the offset (`-06:00`).
    pub fn describe(&self) -> String {
        match self.zone_name() {
            Some(n) => n.to_string(),
            None => format!("UTC{}", format_utc_offset(self.utc_offset_s)),
        }
    }

    /// The study start (local midnight of the start date), seconds since 1970-01-01 UTC.
    pub fn start_utc_s(&self) -> i64 {
        self.start_utc_s
    }

    /// The offset changes: `(sim second from which it holds, seconds east of UTC)`, sorted; the
    /// first entry holds from `i64::MIN`.
    pub fn offset_changes(&self) -> &[(i64, i32)] {
        &self.offsets
    }

    /// Seconds east of UTC of the study clock at sim second `t` (negative: before the start).
    #[inline]
    pub fn offset_at(&self, t: i64) -> i32 {
        let o = &self.offsets;
        if o.len() == 1 {
            return o[0].1;
        }
        if let Some((_, tz)) = &self.zone
            && t.saturating_add(self.start_utc_s) > self.start_utc_s.saturating_add(TABLE_AFTER_S)
            && let Ok(ts) = jiff::Timestamp::from_second(t.saturating_add(self.start_utc_s))
        {
            return tz.to_offset(ts).seconds();
        }
        o[o.partition_point(|&(s, _)| s <= t) - 1].1
    }

    /// The first offset change strictly after sim second `t`, if any within the table.
    pub fn next_change_after(&self, t: i64) -> Option<i64> {
        let o = &self.offsets;
        o.get(o.partition_point(|&(s, _)| s <= t)).map(|&(s, _)| s)
    }

    /// Local seconds since 1970-01-01 of the study clock (prevailing time) at sim second `t`.
    #[inline]
    pub fn local_s(&self, t: i64) -> i64 {
        self.start_utc_s + t + i64::from(self.offset_at(t))
    }

    /// Seconds on the study's wall clock (prevailing time) from the study start at sim second
    /// `t`, kept monotone: at a spring change it jumps forward over the skipped hour, through an
    /// autumn repeat it holds at the end of the first occurrence (so a wall-clock time maps to
    /// the instants [`Calendar::from_local_s_compatible`] gives). `t` itself on a fixed offset.
    pub fn wall_elapsed_s(&self, t: u64) -> i64 {
        let o = &self.offsets;
        let t = t as i64;
        if o.len() == 1 {
            return t;
        }
        let base = i64::from(self.utc_offset_s);
        let mut w = t + i64::from(self.offset_at(t - 1)) - base;
        // The last change before `t`: hold through the hour it repeats.
        let i = o.partition_point(|&(s, _)| s < t);
        if i >= 2 {
            w = w.max(o[i - 1].0 + i64::from(o[i - 2].1) - base);
        }
        w
    }

    /// Local seconds since the epoch for a clock `offset_s` east of UTC.
    fn local_epoch_s(&self, t: SimTime, offset_s: i32) -> i64 {
        self.start_utc_s + t.0 as i64 + i64::from(offset_s)
    }

    /// Sim seconds of a local date-time of the study clock, given as local seconds since
    /// 1970-01-01 (`Date::days_since_epoch() * 86_400 + second of day`).
    pub fn from_local_s(&self, local_s: i64) -> LocalTime {
        let x = local_s - self.start_utc_s;
        let mut cands: Vec<(i64, i32)> = Vec::with_capacity(2);
        for probe in [x - 86_400, x, x + 86_400] {
            let o = self.offset_at(probe);
            let t = x - i64::from(o);
            if self.offset_at(t) == o && !cands.iter().any(|&(u, _)| u == t) {
                cands.push((t, o));
            }
        }
        cands.sort_unstable();
        match cands[..] {
            [(t, _)] => LocalTime::Unique(t),
            [(a, oa), .., (b, ob)] => LocalTime::Ambiguous {
                earlier: a,
                later: b,
                earlier_offset_s: oa,
                later_offset_s: ob,
            },
            [] => LocalTime::Gap {
                before_s: self.offset_at(x - 86_400),
                after_s: self.offset_at(x + 86_400),
            },
        }
    }

    /// Sim seconds of a local date-time under the "compatible" rule (see
    /// [`LocalTime::compatible`]); for build-out dates and the horizon's end.
    pub fn from_local_s_compatible(&self, local_s: i64) -> i64 {
        self.from_local_s(local_s)
            .compatible(local_s, self.start_utc_s)
    }

    /// Parses a local time of the study clock, `YYYY-MM-DDTHH:MM[:SS]` (or with a space for
    /// `T`), optionally with an explicit offset suffix `+HH:MM`, `-HH:MM` or `Z`, into simulation
    /// time. Without a suffix the time is read in the study clock: in prevailing time a time in
    /// the spring gap is an error saying so, and an ambiguous autumn time is an error asking for
    /// the offset suffix (naming the two). A time before the study start is an error (simulation
    /// time counts from the start).
    pub fn parse_local(&self, s: &str) -> Result<SimTime, String> {
        let t = s.trim();
        let err = || {
            format!(
                "expected a local time like \"2025-07-15T16:45\" (optionally with an offset \
                 suffix like \"-05:00\" or \"Z\") on the study clock ({}), found {s:?}",
                self.describe()
            )
        };
        let (d, rest) = t.split_once(['T', ' ']).ok_or_else(err)?;
        let (clock, suffix) = match rest.find(['+', '-', 'Z', 'z']) {
            Some(i) => (&rest[..i], Some(&rest[i..])),
            None => (rest, None),
        };
        let local = local_date_time_s(d, clock).ok_or_else(err)?;
        let sim = match suffix {
            Some(off) => {
                let o = parse_utc_offset(off).map_err(|e| format!("{e} (in {s:?})"))?;
                local - i64::from(o) - self.start_utc_s
            }
            None => match self.from_local_s(local) {
                LocalTime::Unique(t) => t,
                LocalTime::Gap { before_s, after_s } => {
                    return Err(format!(
                        "{t:?} does not exist on the study clock ({}): the clocks jump from \
                         UTC{} to UTC{} then, skipping it; expected a time outside the gap",
                        self.describe(),
                        format_utc_offset(before_s),
                        format_utc_offset(after_s)
                    ));
                }
                LocalTime::Ambiguous {
                    earlier_offset_s,
                    later_offset_s,
                    ..
                } => {
                    return Err(format!(
                        "{t:?} happens twice on the study clock ({}), at UTC{} and then at \
                         UTC{}; expected an offset suffix, e.g. \"{t}{}\" or \"{t}{}\"",
                        self.describe(),
                        format_utc_offset(earlier_offset_s),
                        format_utc_offset(later_offset_s),
                        format_utc_offset(earlier_offset_s),
                        format_utc_offset(later_offset_s)
                    ));
                }
            },
        };
        u64::try_from(sim).map(SimTime).map_err(|_| {
            format!(
                "{t:?} is before the study start ({}); expected a time inside the study",
                self.timestamp(SimTime(0))
            )
        })
    }

    /// The step's clock, computed once per step so that each workload's local hour and weekday
    /// cost an addition rather than 64-bit divisions.
    #[inline]
    pub fn clock(&self, t: SimTime) -> StepClock {
        let off = self.offset_at(t.0 as i64);
        let s = self.local_epoch_s(t, off);
        let day = s.div_euclid(86_400);
        StepClock {
            weekday: (day + 3).rem_euclid(7) as u8,
            sod: s.rem_euclid(86_400),
            utc_offset_s: off,
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

    /// Local time of day in hours `[0, 24)` on the study clock (prevailing time).
    pub fn local_hour(&self, t: SimTime) -> f64 {
        self.hour_of_day(t, self.offset_at(t.0 as i64))
    }

    /// Day of week on the study clock (prevailing time), 0 = Monday.
    pub fn local_weekday(&self, t: SimTime) -> usize {
        self.weekday(t, self.offset_at(t.0 as i64))
    }

    /// Local date in the study clock (prevailing time).
    pub fn date(&self, t: SimTime) -> Date {
        Date::from_days_since_epoch(self.local_s(t.0 as i64).div_euclid(86_400))
    }

    /// Local date in a zone `offset_s` east of UTC.
    pub fn local_date(&self, t: SimTime, offset_s: i32) -> Date {
        Date::from_days_since_epoch(self.local_epoch_s(t, offset_s).div_euclid(86_400))
    }

    /// Month index 0..12 in the study clock.
    pub fn month0(&self, t: SimTime) -> usize {
        (self.date(t).month - 1) as usize
    }

    /// ISO 8601 timestamp in the study clock with its offset at that instant, e.g.
    /// `2025-01-01T00:00:00+00:00`; in prevailing time `2025-11-02T01:00:00-05:00` then
    /// `2025-11-02T01:00:00-06:00`, so no two instants share a timestamp.
    pub fn timestamp(&self, t: SimTime) -> String {
        let mut out = String::with_capacity(25);
        self.push_timestamp(&mut out, t);
        out
    }

    /// [`Calendar::timestamp`] appended to `out`, its digits written by hand: the hourly files
    /// stamp every row, and `format!` with its allocations cost ~8,000 instructions a stamp.
    pub fn push_timestamp(&self, out: &mut String, t: SimTime) {
        let off = self.offset_at(t.0 as i64);
        let s = self.local_epoch_s(t, off);
        let d = Date::from_days_since_epoch(s.div_euclid(86_400));
        let sod = s.rem_euclid(86_400);
        let a = off.unsigned_abs();
        if !(0..=9999).contains(&d.year) || a >= 100 * 3600 {
            // Beyond four-digit years (or an offset of 100 h): as `format!` writes them.
            let _ = std::fmt::Write::write_fmt(
                out,
                format_args!(
                    "{d}T{:02}:{:02}:{:02}{}",
                    sod / 3600,
                    (sod % 3600) / 60,
                    sod % 60,
                    format_utc_offset(off)
                ),
            );
            return;
        }
        let two = |x: u32| [b'0' + (x / 10) as u8, b'0' + (x % 10) as u8];
        let y = d.year as u32;
        let mut b = [0u8; 28];
        b[..4].copy_from_slice(&[
            b'0' + (y / 1000) as u8,
            b'0' + (y / 100 % 10) as u8,
            b'0' + (y / 10 % 10) as u8,
            b'0' + (y % 10) as u8,
        ]);
        let sod = sod as u32;
        let parts = [
            (b'-', d.month),
            (b'-', d.day),
            (b'T', sod / 3600),
            (b':', (sod % 3600) / 60),
            (b':', sod % 60),
        ];
        let mut i = 4;
        for (sep, x) in parts {
            b[i] = sep;
            b[i + 1..i + 3].copy_from_slice(&two(x));
            i += 3;
        }
        b[i] = if off < 0 { b'-' } else { b'+' };
        b[i + 1..i + 3].copy_from_slice(&two(a / 3600));
        b[i + 3] = b':';
        b[i + 4..i + 6].copy_from_slice(&two((a % 3600) / 60));
        i += 6;
        if !a.is_multiple_of(60) {
            b[i] = b':';
            b[i + 1..i + 3].copy_from_slice(&two(a % 60));
            i += 3;
        }
        out.reserve(i);
        b[..i].iter().for_each(|&c| out.push(char::from(c)));
    }
}

/// A date `YYYY-MM-DD` and a time of day `HH:MM[:SS]` to seconds since 1970-01-01 00:00 on
/// their own clock; `None` when either is malformed or out of range.
pub fn local_date_time_s(date: &str, clock: &str) -> Option<i64> {
    let date = Date::parse(date).ok()?;
    let parts: Vec<&str> = clock.split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2) {
        return None;
    }
    let num = |p: &str| p.parse::<i64>().ok();
    let (h, m) = (num(parts[0])?, num(parts[1])?);
    let sec = if parts.len() == 3 { num(parts[2])? } else { 0 };
    if !(0..24).contains(&h) || !(0..60).contains(&m) || !(0..60).contains(&sec) {
        return None;
    }
    Some(date.days_since_epoch() * 86_400 + h * 3600 + m * 60 + sec)
}

/// Looks up an IANA zone (case-insensitive) in the embedded tz database; the error names the
/// nearest zone names.
pub fn lookup_zone(name: &str) -> Result<jiff::tz::TimeZone, String> {
    let n = name.trim();
    if !n.is_empty()
        && let Ok(tz) = jiff::tz::db().get(n)
    {
        return Ok(tz);
    }
    let mut msg = format!(
        "expected an IANA time zone like \"America/Chicago\" or a UTC offset like \"-06:00\", \
         found {name:?}"
    );
    if let Some(say) = abbreviation(n) {
        msg.push_str(&format!("; {say}"));
        return Err(msg);
    }
    let near = nearest_zones(n);
    if !near.is_empty() {
        msg.push_str(&format!("; did you mean {}?", near.join(" or ")));
    }
    Err(msg)
}

/// North-American zone abbreviations (those the tz database does not hold as zones): what a
/// planner writing one most likely means, the standard offset, and who else uses the letters.
const ABBREVIATIONS: [(&[&str], &str, &str, &str); 7] = [
    (
        &["CST", "CDT", "CT"],
        "America/Chicago",
        "-06:00",
        "US/Canada Central; CST is also China and Cuba Standard Time",
    ),
    (
        &["EDT", "ET"],
        "America/New_York",
        "-05:00",
        "US/Canada Eastern",
    ),
    (
        &["MDT", "MT"],
        "America/Denver",
        "-07:00",
        "US/Canada Mountain; Arizona keeps standard time all year: America/Phoenix",
    ),
    (
        &["PST", "PDT", "PT"],
        "America/Los_Angeles",
        "-08:00",
        "US/Canada Pacific; PST is also Philippine Standard Time",
    ),
    (
        &["AKST", "AKDT", "AKT"],
        "America/Anchorage",
        "-09:00",
        "Alaska",
    ),
    (
        &["AST", "ADT", "AT"],
        "America/Halifax",
        "-04:00",
        "Atlantic; AST is also Arabia Standard Time",
    ),
    (
        &["NST", "NDT", "NT"],
        "America/St_Johns",
        "-03:30",
        "Newfoundland",
    ),
];

/// The suggestion for a time-zone abbreviation, or `None` when `name` is not one: the IANA
/// zone (prevailing time, daylight saving included) or the fixed standard offset.
fn abbreviation(name: &str) -> Option<String> {
    let up = name.to_ascii_uppercase();
    let (_, zone, offset, who) = ABBREVIATIONS
        .iter()
        .find(|(a, ..)| a.contains(&up.as_str()))?;
    Some(format!(
        "{up:?} is a time-zone abbreviation, and abbreviations are ambiguous ({who}): for \
         prevailing time with daylight saving write \"{zone}\", for standard time all year the \
         offset \"{offset}\""
    ))
}

/// Up to three zone names near `name`: same last component (e.g. "Chicago"), else within a
/// small edit distance, case-insensitive.
fn nearest_zones(name: &str) -> Vec<String> {
    let want = name.to_ascii_lowercase().replace(' ', "_");
    if want.is_empty() {
        return Vec::new();
    }
    let want_last = want.rsplit('/').next().unwrap_or(&want).to_string();
    let mut scored: Vec<(usize, String)> = jiff::tz::db()
        .available()
        .map(|z| z.to_string())
        .filter_map(|z| {
            let lz = z.to_ascii_lowercase();
            let last = lz.rsplit('/').next().unwrap_or(&lz);
            let d = if last == want_last {
                0
            } else {
                edit_distance(&lz, &want).min(edit_distance(last, &want_last) + 1)
            };
            (d <= 1 + want.len() / 5).then_some((d, z))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, z)| format!("{z:?}"))
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
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

    #[test]
    fn chicago_transitions_table_for_2025() {
        let c = Calendar::in_zone(Date::parse("2025-01-01").unwrap(), "America/Chicago").unwrap();
        // Local midnight CST is 06:00 UTC.
        assert_eq!(
            c.start_utc_s(),
            Date::parse("2025-01-01").unwrap().days_since_epoch() * 86_400 + 6 * 3600
        );
        assert_eq!(c.utc_offset_s(), -6 * 3600);
        // 9 March 02:00 CST = 08:00 UTC (67 days and 2 h after the start); 2 November
        // 02:00 CDT = 07:00 UTC (305 days and 1 h after).
        let spring = 67 * 86_400 + 2 * 3600;
        let autumn = 305 * 86_400 + 3600;
        let ch = c.offset_changes();
        assert_eq!(ch[0].0, i64::MIN);
        assert!(ch.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 != w[1].1));
        let year: Vec<(i64, i32)> = ch
            .iter()
            .copied()
            .filter(|&(s, _)| (0..365 * 86_400).contains(&s))
            .collect();
        assert_eq!(year, vec![(spring, -5 * 3600), (autumn, -6 * 3600)]);
        assert_eq!(c.offset_at(spring - 1), -6 * 3600);
        assert_eq!(c.offset_at(spring), -5 * 3600);
        assert_eq!(c.offset_at(autumn - 1), -5 * 3600);
        assert_eq!(c.offset_at(autumn), -6 * 3600);
        assert_eq!(c.next_change_after(0), Some(spring));
        assert_eq!(c.next_change_after(spring), Some(autumn));
        assert_eq!(
            c.timestamp(SimTime(spring as u64 - 3600)),
            "2025-03-09T01:00:00-06:00"
        );
        assert_eq!(
            c.timestamp(SimTime(spring as u64)),
            "2025-03-09T03:00:00-05:00"
        );
        assert_eq!(
            c.timestamp(SimTime(autumn as u64 - 3600)),
            "2025-11-02T01:00:00-05:00"
        );
        assert_eq!(
            c.timestamp(SimTime(autumn as u64)),
            "2025-11-02T01:00:00-06:00"
        );
        assert_eq!(c.date(SimTime(autumn as u64 - 7200)).day, 2);
        assert_eq!(c.date(SimTime(autumn as u64 - 7201)).day, 1);
        assert!((c.local_hour(SimTime(spring as u64)) - 3.0).abs() < 1e-12);
        // The per-step clock follows prevailing time.
        let (h, wd) = c.clock(SimTime(spring as u64)).local(-5 * 3600);
        assert!((h - 3.0).abs() < 1e-12);
        assert_eq!(wd, 6, "9 March 2025 was a Sunday");
        // Local times back to sim seconds: unique, gap and repeat.
        let local = |d: &str, h: i64| Date::parse(d).unwrap().days_since_epoch() * 86_400 + h;
        assert_eq!(
            c.from_local_s(local("2025-03-09", 3 * 3600)),
            LocalTime::Unique(spring)
        );
        assert_eq!(
            c.from_local_s(local("2025-03-09", 2 * 3600 + 1800)),
            LocalTime::Gap {
                before_s: -6 * 3600,
                after_s: -5 * 3600
            }
        );
        assert_eq!(
            c.from_local_s(local("2025-11-02", 3600)),
            LocalTime::Ambiguous {
                earlier: autumn - 3600,
                later: autumn,
                earlier_offset_s: -5 * 3600,
                later_offset_s: -6 * 3600
            }
        );
        assert_eq!(
            c.from_local_s_compatible(local("2025-03-09", 2 * 3600 + 1800)),
            spring + 1800
        );
        // A year later the table still holds (2026: 8 March and 1 November).
        let spring26 = (365 + 66) * 86_400 + 2 * 3600;
        assert_eq!(c.offset_at(spring26 - 1), -6 * 3600);
        assert_eq!(c.offset_at(spring26), -5 * 3600);
    }

    /// A calendar's key tells apart what changes its answers (start, offset, zone) and only
    /// that: figures kept under it are worked out once per study, not per trial.
    #[test]
    fn calendar_keys_differ_exactly_when_the_calendars_do() {
        let d = |s: &str| Date::parse(s).unwrap();
        let fixed = Calendar::new(d("2025-01-01"), -5 * 3600);
        assert_eq!(fixed.key(), Calendar::new(d("2025-01-01"), -5 * 3600).key());
        let chicago = Calendar::in_zone(d("2025-01-01"), "America/Chicago").unwrap();
        let others = [
            Calendar::new(d("2025-01-02"), -5 * 3600),
            Calendar::new(d("2025-01-01"), -6 * 3600),
            chicago.clone(),
            Calendar::in_zone(d("2025-01-01"), "America/Bogota").unwrap(),
        ];
        for (k, c) in others.iter().enumerate() {
            assert_ne!(c.key(), fixed.key(), "calendar {k}");
        }
        assert_ne!(
            others[2].key(),
            others[3].key(),
            "two zones at -05:00 on 1 January"
        );
        let again = Calendar::in_zone(d("2025-01-01"), "America/Chicago").unwrap();
        assert_eq!(chicago.key(), again.key());
    }

    #[test]
    fn fixed_offsets_have_one_entry_and_southern_zones_work() {
        let c = Calendar::new(Date::parse("2025-01-01").unwrap(), -5 * 3600);
        assert_eq!(c.offset_changes(), &[(i64::MIN, -5 * 3600)]);
        assert_eq!(c.next_change_after(0), None);
        assert_eq!(c.describe(), "UTC-05:00");
        // Sydney: daylight saving in January (+11:00), standard time from 6 April (+10:00).
        let s = Calendar::in_zone(Date::parse("2025-01-01").unwrap(), "australia/sydney").unwrap();
        assert_eq!(s.zone_name(), Some("Australia/Sydney"));
        assert_eq!(s.utc_offset_s(), 11 * 3600);
        assert_eq!(s.timestamp(SimTime(0)), "2025-01-01T00:00:00+11:00");
        let t = s.parse_local("2025-07-01T00:00").unwrap();
        assert_eq!(s.timestamp(t), "2025-07-01T00:00:00+10:00");
    }

    #[test]
    fn unknown_zones_suggest_near_names() {
        let e = lookup_zone("America/Chicgo").unwrap_err();
        assert!(e.contains("did you mean \"America/Chicago\""), "{e}");
        let e = lookup_zone("Chicago").unwrap_err();
        assert!(e.contains("America/Chicago"), "{e}");
        let e = lookup_zone("Mars/Olympus_Mons").unwrap_err();
        assert!(
            e.contains("expected an IANA time zone") && !e.contains("did you mean"),
            "{e}"
        );
        assert!(lookup_zone("EUROPE/berlin").is_ok());
    }

    /// A Texan's "CST" means Central prevailing time: the error names America/Chicago and
    /// says the abbreviation is ambiguous; the other North-American abbreviations likewise.
    #[test]
    fn zone_abbreviations_suggest_their_iana_zones() {
        let e = lookup_zone("CST").unwrap_err();
        assert!(
            e.contains("write \"America/Chicago\"") && e.contains("ambiguous"),
            "{e}"
        );
        assert!(e.contains("\"-06:00\"") && !e.contains("CET"), "{e}");
        for (abbr, zone) in [
            ("pdt", "America/Los_Angeles"),
            ("EDT", "America/New_York"),
            ("MDT", "America/Denver"),
            ("AKST", "America/Anchorage"),
            ("NST", "America/St_Johns"),
            ("AST", "America/Halifax"),
        ] {
            let e = lookup_zone(abbr).unwrap_err();
            assert!(e.contains(&format!("write \"{zone}\"")), "{abbr}: {e}");
        }
    }

    /// The stamp as `format!` wrote it (the oracle of the hand-written digits).
    fn formatted(c: &Calendar, t: SimTime) -> String {
        let off = c.offset_at(t.0 as i64);
        let s = c.local_epoch_s(t, off);
        let d = Date::from_days_since_epoch(s.div_euclid(86_400));
        let sod = s.rem_euclid(86_400);
        format!(
            "{d}T{:02}:{:02}:{:02}{}",
            sod / 3600,
            (sod % 3600) / 60,
            sod % 60,
            format_utc_offset(off)
        )
    }

    #[test]
    fn hand_written_stamps_are_the_bytes_format_wrote() {
        let start = |d: &str| Date::parse(d).unwrap();
        let calendars = [
            Calendar::new(start("2025-01-01"), -5 * 3600),
            Calendar::new(start("2024-02-28"), 0),
            Calendar::new(start("1999-12-31"), 5 * 3600 + 45 * 60),
            Calendar::new(start("2025-06-01"), -(9 * 3600 + 30 * 60 + 17)),
            Calendar::new(start("9999-12-30"), 14 * 3600),
            Calendar::in_zone(start("2025-01-01"), "America/New_York").unwrap(),
            Calendar::in_zone(start("2025-01-01"), "Australia/Lord_Howe").unwrap(),
        ];
        for c in &calendars {
            // Every 7 minutes and 13 s over two years and a bit (DST changes, leap days, the
            // turn of the last four-digit year).
            for k in 0..160_000u64 {
                let t = SimTime(k * 433);
                let mut out = String::from("x,");
                c.push_timestamp(&mut out, t);
                assert_eq!(&out[2..], formatted(c, t), "{k}");
                assert_eq!(c.timestamp(t), formatted(c, t));
            }
        }
    }
}
