//! The fields of a load file: dates, timestamps and MW as EIA-930 and `timestamp,MW` files write
//! them, on the crate's one calendar ([`crate::base::time::Date`]).

use crate::base::error::Result;
use crate::base::time::{Date, days_in_month};

use super::input_err;

/// A parsed timestamp: (local hours since 1970, offset minutes if stated, month, day, hour).
pub(super) type Stamp = (i64, Option<i64>, u8, u8, u8);

fn num<T: std::str::FromStr>(s: &str) -> Option<T> {
    s.trim().parse().ok()
}

/// Hours since 1970-01-01 00:00 of a date's first hour.
pub(super) fn first_hour(date: Date) -> i64 {
    date.days_since_epoch() * 24
}

/// The date an hour (counted from 1970-01-01 00:00, negative before) falls on.
pub(super) fn date_of_hour(hour: i64) -> Date {
    Date::from_days_since_epoch(hour.div_euclid(24))
}

/// Hour of the day (0-23) of an hour counted from 1970-01-01 00:00.
pub(super) fn hour_of_day(hour: i64) -> u8 {
    hour.rem_euclid(24) as u8
}

/// The date formats a load file may use, named in the error when none fits.
pub(super) const DATE_FORMATS: &str =
    "yyyy-mm-dd (ISO), yyyy/mm/dd, mm/dd/yyyy (US, EIA's), dd-mm-yyyy or dd.mm.yyyy (day first)";

/// A date: `yyyy-mm-dd`, `yyyy/mm/dd`, `mm/dd/yyyy` (EIA's), `dd-mm-yyyy` or `dd.mm.yyyy`. A
/// four-digit first field is the year; otherwise the year is last, and the separator says the
/// order (`/`: month first, as US utilities write; `-` or `.`: day first, as European ones do),
/// since `01/02/2024` cannot tell itself.
pub(super) fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    let sep = ['-', '/', '.'].into_iter().find(|c| s.contains(*c))?;
    let p: Vec<&str> = s.split(sep).collect();
    if p.len() != 3 {
        return None;
    }
    let (year, month, day): (i32, i64, i64) = if p[0].len() == 4 {
        (num(p[0])?, num(p[1])?, num(p[2])?)
    } else if p[2].len() == 4 && sep == '/' {
        (num(p[2])?, num(p[0])?, num(p[1])?)
    } else if p[2].len() == 4 {
        (num(p[2])?, num(p[1])?, num(p[0])?)
    } else {
        return None;
    };
    let valid = (1..=12).contains(&month)
        && day >= 1
        && day <= i64::from(days_in_month(year, month as u32));
    valid.then_some(Date {
        year,
        month: month as u32,
        day: day as u32,
    })
}

/// The suffix `AM`/`PM` of EIA's 12-hour clock: the rest, and whether it said PM.
fn strip_meridiem(mut rest: &str) -> (&str, Option<bool>) {
    let mut pm = None;
    for (suffix, is_pm) in [("AM", false), ("PM", true), ("am", false), ("pm", true)] {
        if let Some(r) = rest.strip_suffix(suffix) {
            rest = r.trim();
            pm = Some(is_pm);
        }
    }
    (rest, pm)
}

/// The suffix `Z` or `±HH:MM`: the rest, and the offset in minutes if one is stated; `None`
/// when a signed suffix is malformed.
fn strip_offset(rest: &str) -> Option<(&str, Option<i64>)> {
    if let Some(r) = rest.strip_suffix('Z') {
        return Some((r, Some(0)));
    }
    // `±HH:MM:SS` (a historic zone's offset, as dcload writes it): to the nearest minute.
    if rest.len() > 9 {
        let (t, o) = rest.split_at(rest.len() - 9);
        if (o.starts_with('+') || o.starts_with('-')) && o.as_bytes()[6] == b':' {
            let secs = crate::base::time::parse_utc_offset(o).ok()?;
            return Some((t, Some(((f64::from(secs)) / 60.0).round() as i64)));
        }
    }
    if rest.len() > 6 {
        let (t, o) = rest.split_at(rest.len() - 6);
        let sign = match o.as_bytes()[0] {
            b'+' => Some(1),
            b'-' => Some(-1),
            _ => None,
        };
        if let Some(sign) = sign {
            let (oh, om) = o[1..].split_once(':')?;
            return Some((t, Some(sign * (num::<i64>(oh)? * 60 + num::<i64>(om)?))));
        }
    }
    Some((rest, None))
}

/// A timestamp to the minute: a date in one of [`DATE_FORMATS`], then `T` or a space and
/// `HH[:MM[:SS]]` (24-hour, `24:00` being the next day's midnight, as hour-ending files write
/// it; or EIA's `H:MM:SS AM`), then optionally `Z` or `±HH:MM`. Returns (local minutes since
/// 1970, offset minutes if stated); `None` when malformed, `Some(Err)` when seconds are not zero.
pub(super) fn parse_instant(s: &str) -> Option<std::result::Result<(i64, Option<i64>), String>> {
    let s = s.trim();
    let (date, rest) = s.split_at(s.find(['T', ' '])?);
    let date = parse_date(date)?;
    let (rest, pm) = strip_meridiem(rest[1..].trim());
    let (rest, offset) = strip_offset(rest)?;
    let parts: Vec<&str> = rest.split(':').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut h: i64 = num(parts[0])?;
    let min: i64 = parts.get(1).map_or(Some(0), |p| num(p))?;
    let sec: f64 = parts.get(2).map_or(Some(0.0), |p| num(p))?;
    if let Some(is_pm) = pm {
        if !(1..=12).contains(&h) {
            return None;
        }
        h = h % 12 + if is_pm { 12 } else { 0 };
    }
    let valid = (0..=23).contains(&h) && (0..=59).contains(&min) || (h == 24 && min == 0);
    if !valid {
        return None;
    }
    if sec != 0.0 {
        return Some(Err(format!(
            "expected a time on the minute, found `{s}` (seconds not zero)"
        )));
    }
    Some(Ok(((first_hour(date) + h) * 60 + min, offset)))
}

/// A timestamp on the hour ([`parse_instant`] with zero minutes). Returns (local hours since
/// 1970, offset minutes if stated, local month, day, hour); `None` when malformed, `Some(Err)`
/// when not on the hour.
pub(super) fn parse_timestamp(s: &str) -> Option<std::result::Result<Stamp, String>> {
    let (local_min, offset) = match parse_instant(s)? {
        Ok(v) => v,
        Err(m) => return Some(Err(m)),
    };
    if local_min.rem_euclid(60) != 0 {
        return Some(Err(format!(
            "expected hourly data on the hour, found `{}` (minutes not zero)",
            s.trim()
        )));
    }
    let local = local_min.div_euclid(60);
    let date = date_of_hour(local);
    Some(Ok((
        local,
        offset,
        date.month as u8,
        date.day as u8,
        hour_of_day(local),
    )))
}

/// A number as EIA writes them (`"10,010"`, thousands separators allowed).
pub(super) fn parse_mw(s: &str) -> Option<f64> {
    let t: String = s.trim().chars().filter(|c| *c != ',').collect();
    t.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// The largest hourly load a system-load file may state, MW: ten times the largest grid's
/// (China's State Grid peaks near 1.3 TW). Beyond it a cell is a typo or a unit slip (W for
/// MW), and a sum of such hours overflows to `inf` or swamps every other hour.
pub const MAX_SYSTEM_MW: f64 = 1e7;

/// A load cell: a non-negative number of MW up to [`MAX_SYSTEM_MW`], else an error at its line
/// and (0-based) column.
pub(super) fn parse_load_mw(
    file: &str,
    line: usize,
    col: usize,
    name: &str,
    cell: &str,
) -> Result<f64> {
    parse_mw(cell)
        .filter(|x| (0.0..=MAX_SYSTEM_MW).contains(x))
        .ok_or_else(|| {
            input_err(
                file,
                line,
                col + 1,
                name,
                format!(
                    "expected a number of MW from 0 to 1e7 (ten times the largest grid's peak), found `{}`",
                    crate::base::numfmt::shorten(cell, 40)
                ),
            )
        })
}

/// Hours since 1970 in UTC of a local hour written at `offset` minutes east of UTC (none: the
/// hour is taken as UTC).
pub(super) fn utc_hour(local: i64, offset: Option<i64>) -> i64 {
    local - offset.map_or(0, |o| o.div_euclid(60))
}

/// A timestamp field as written (local hours since 1970 and the stated offset), else an error at
/// its line and (0-based) column.
pub(super) fn parse_stamp(
    file: &str,
    line: usize,
    col: usize,
    name: &str,
    s: &str,
) -> Result<Stamp> {
    match parse_timestamp(s) {
        Some(Ok(v)) => Ok(v),
        Some(Err(m)) => Err(input_err(file, line, col + 1, name, m)),
        None => Err(input_err(file, line, col + 1, name, timestamp_expected(s))),
    }
}

/// What a timestamp cell may hold, for errors.
pub(super) fn timestamp_expected(s: &str) -> String {
    format!(
        "expected a timestamp: a date as {DATE_FORMATS}, then a time HH:MM (e.g. 2024-07-01T17:00, 2024-07-01 17:00-05:00, 07/01/2024 17:00, EIA's 07/01/2024 5:00:00 PM, 01-07-2024 17:00), found `{}`",
        crate::base::numfmt::shorten(s, 40)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The calendar headroom carried before it used the crate's (Hinnant's algorithms on i64),
    /// kept to show the shared one maps every hour the same way, before 1970 included.
    fn old_days_from_civil(y: i64, m: i64, d: i64) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146097 + doe - 719468
    }

    #[test]
    fn the_shared_calendar_maps_hours_as_headrooms_own_did() {
        for z in (-800_000i64..800_000)
            .step_by(37)
            .chain([-1, 0, 1, 19000, 20513])
        {
            let d = Date::from_days_since_epoch(z);
            assert_eq!(
                old_days_from_civil(d.year.into(), d.month.into(), d.day.into()),
                z
            );
            assert_eq!(date_of_hour(z * 24), d);
            assert_eq!(date_of_hour(z * 24 + 23), d);
        }
        // The hour before 1970 is 31 December 1969 at 23:00, not 1 January at -1.
        let last = date_of_hour(-1);
        assert_eq!((last.year, last.month, last.day), (1969, 12, 31));
        assert_eq!(hour_of_day(-1), 23);
        let (local, ..) = parse_timestamp("1969-12-31T23:00").unwrap().unwrap();
        assert_eq!(local, -1);
        let (local, ..) = parse_timestamp("02/29/1968 1:00:00 AM").unwrap().unwrap();
        assert_eq!(local, old_days_from_civil(1968, 2, 29) * 24 + 1);
        assert!(parse_date("02/29/1900").is_none());
        assert!(parse_date("2000-02-29").is_some());
    }

    #[test]
    fn timestamps() {
        let (i, off, m, d, h) = parse_timestamp("2024-07-01T17:00-05:00").unwrap().unwrap();
        assert_eq!((off, m, d, h), (Some(-300), 7, 1, 17));
        let (j, _, _, _, _) = parse_timestamp("07/01/2024 5:00:00 PM").unwrap().unwrap();
        assert_eq!(i, j);
        let (k, off, ..) = parse_timestamp("07/01/2024 12:00:00 AM").unwrap().unwrap();
        assert_eq!((k, off), (j - 17, None));
        assert!(parse_timestamp("2024-07-01T17:15").unwrap().is_err());
        assert!(parse_timestamp("2024-02-30T01:00").is_none());
        // Day first with `-` or `.`, month first with `/`, year first with either.
        for day_first in [
            "01-07-2024 17:00",
            "01.07.2024 17:00",
            "2024/07/01 17:00",
            "2024-07-01 17:00",
            "07/01/2024 17:00",
        ] {
            assert_eq!(
                parse_timestamp(day_first).unwrap().unwrap().0,
                i,
                "{day_first}"
            );
        }
        assert!(parse_timestamp("13/07/2024 17:00").is_none());
        let midnight = parse_timestamp("2024-07-01T00:00").unwrap().unwrap().0;
        assert_eq!(
            parse_timestamp("30-06-2024 24:00").unwrap().unwrap().0,
            midnight
        );
        assert_eq!(
            parse_instant("2024-07-01T17:45").unwrap().unwrap().0,
            i * 60 + 45
        );
        assert!(parse_timestamp("yesterday").is_none());
    }
}
