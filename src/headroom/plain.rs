//! A plain load file: `timestamp,MW` (or `date,HE,MW`, hour ending 1-24), as utilities export
//! them. Three conventions are handled here, so the planner does no hand work first:
//!
//! - **Sub-hourly rows** (15-minute SCADA exports): the interval is the largest one dividing
//!   every row's minute (`:00 :15 :30 :45` → 15 minutes); each hour's rows are averaged to the
//!   hour's mean MW, which is its energy in MWh. An hour missing one of its intervals is refused
//!   at its first line, since its mean would not be the hour's.
//! - **Hour-ending or interval-ending time** when the time column says so (`Hour Ending`, `HE`,
//!   `interval_ending`, ...): each row is moved back by one interval to the hour it belongs to.
//! - **The repeated fall-back hour** of a file written in local prevailing time (no offset): two
//!   consecutive sets of rows for the same local hour are merged by their mean, when the hour
//!   can be a fall-back hour (00:00-03:00 in March, April, October or November: the northern and
//!   southern autumns). The file cannot say which of the two clock hours came first, and the
//!   method only needs one value per local hour, so the mean of the two is kept, which keeps
//!   the day's energy share of that hour without inventing an order. Elsewhere, or with an
//!   offset written (the two rows are then distinct instants), a repeat stays an error.

use crate::base::error::Result;
use crate::base::time::Date;

use super::Hour;
use super::input_err;
use super::stamp::{
    DATE_FORMATS, date_of_hour, first_hour, hour_of_day, parse_date, parse_instant, parse_load_mw,
    parse_mw, timestamp_expected, utc_hour,
};
use super::system_load::{ReadOptions, Rows};

/// Where a plain file keeps its fields.
struct Layout {
    stamp: usize,
    /// A separate hour-ending column (1-24) beside a date column.
    he: Option<usize>,
    mw: usize,
    /// Times mark the end of their interval.
    ending: bool,
}

/// One row as read: local minutes since 1970 (interval beginning once shifted), the offset if
/// written, MW and its line.
struct Reading {
    local_min: i64,
    offset: Option<i64>,
    mw: f64,
    line: usize,
}

fn is_he(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase().replace(['_', ' '], "");
    n == "he" || n == "hourending"
}

fn is_ending(name: &str) -> bool {
    is_he(name) || name.to_ascii_lowercase().contains("ending")
}

fn layout(file: &str, names: &[String]) -> Result<Layout> {
    if names.len() < 2 {
        return Err(input_err(
            file,
            1,
            0,
            "",
            format!(
                "expected an EIA-930 balance file (columns `Balancing Authority`, `Data Date`, `Hour Number`, `UTC Time at End of Hour`, `Demand (MW)`), a `timestamp,MW` CSV or a `date,HE,MW` CSV with a header row, found the header `{}`",
                names.join(",")
            ),
        ));
    }
    if names.len() >= 3 && is_he(&names[1]) {
        return Ok(Layout {
            stamp: 0,
            he: Some(1),
            mw: 2,
            ending: true,
        });
    }
    if parse_mw(&names[1]).is_some() {
        return Err(input_err(
            file,
            1,
            2,
            &names[1],
            "expected a header row (`timestamp,MW`), found a number",
        ));
    }
    Ok(Layout {
        stamp: 0,
        he: None,
        mw: 1,
        ending: is_ending(&names[0]),
    })
}

/// A plain file's rows, averaged to hours. Returns the hours with the line of each hour's first
/// row, and what was read (interval and merges said).
pub(super) fn parse(
    file: &str,
    names: &[String],
    rows: impl Iterator<Item = Result<(usize, csv::StringRecord)>>,
    opt: &ReadOptions,
) -> Result<(Rows, String)> {
    let lay = layout(file, names)?;
    let mut read = Vec::new();
    for row in rows {
        let (line, rec) = row?;
        read.push(reading(file, names, &lay, line, &rec)?);
    }
    let step = interval_min(&read);
    if lay.ending && lay.he.is_none() {
        for r in &mut read {
            r.local_min -= step;
        }
    }
    let mut merged = Vec::new();
    let mut out = Vec::new();
    let mut i = 0;
    while i < read.len() {
        let key = |r: &Reading| (r.local_min.div_euclid(60), r.offset);
        let n = read[i..]
            .iter()
            .take_while(|r| key(r) == key(&read[i]))
            .count();
        let group = &read[i..i + n];
        if check_group(file, names[lay.stamp].as_str(), group, step)? {
            merged.push(group[n / 2].line);
        }
        let local = group[0].local_min.div_euclid(60);
        let date = date_of_hour(local);
        let hour = Hour {
            index: utc_hour(local, group[0].offset.or(opt.naive_offset_min)),
            year: date.year,
            month: date.month as u8,
            day: date.day as u8,
            hour: hour_of_day(local),
            mw: group.iter().map(|r| r.mw).sum::<f64>() / n as f64,
        };
        out.push((hour, group[0].line));
        i += n;
    }
    Ok((out, what(names, &lay, step, &merged)))
}

/// The console's description of what was read.
fn what(names: &[String], lay: &Layout, step: i64, merged: &[usize]) -> String {
    let mut w = format!("timestamp,MW file (column `{}`)", names[lay.mw]);
    if lay.ending {
        w.push_str(", times read as interval ending");
    }
    if step < 60 {
        w.push_str(&format!(", {step}-minute intervals averaged to hours"));
    }
    if !merged.is_empty() {
        let lines: Vec<String> = merged.iter().map(|l| l.to_string()).collect();
        w.push_str(&format!(
            ", {} repeated fall-back hour(s) merged by the mean of the two (line {})",
            merged.len(),
            lines.join(", ")
        ));
    }
    w
}

fn reading(
    file: &str,
    names: &[String],
    lay: &Layout,
    line: usize,
    rec: &csv::StringRecord,
) -> Result<Reading> {
    let want = lay.mw + 1;
    if rec.len() < want {
        return Err(input_err(
            file,
            line,
            0,
            "",
            format!(
                "expected {want} fields ({}), found {}",
                names[..want].join(","),
                rec.len()
            ),
        ));
    }
    let cell = |c: usize| rec.get(c).unwrap_or("");
    let mw = parse_load_mw(file, line, lay.mw, &names[lay.mw], cell(lay.mw))?;
    let at = |msg: String| input_err(file, line, lay.stamp + 1, &names[lay.stamp], msg);
    let (local_min, offset) = match lay.he {
        Some(hc) => {
            let date = parse_date(cell(lay.stamp)).ok_or_else(|| {
                at(format!(
                    "expected a date as {DATE_FORMATS}, found `{}`",
                    crate::base::numfmt::shorten(cell(lay.stamp), 40)
                ))
            })?;
            (
                he_start_min(file, line, hc, &names[hc], cell(hc), date)?,
                None,
            )
        }
        None => match parse_instant(cell(lay.stamp)) {
            Some(Ok(v)) => v,
            Some(Err(m)) => return Err(at(m)),
            None => return Err(at(timestamp_expected(cell(lay.stamp)))),
        },
    };
    Ok(Reading {
        local_min,
        offset,
        mw,
        line,
    })
}

/// The beginning, in local minutes since 1970, of hour ending `cell` (1-24) of `date`.
fn he_start_min(
    file: &str,
    line: usize,
    col: usize,
    name: &str,
    cell: &str,
    date: Date,
) -> Result<i64> {
    let he: i64 = cell
        .trim()
        .parse()
        .ok()
        .filter(|h| (1..=24).contains(h))
        .ok_or_else(|| {
            input_err(
                file,
                line,
                col + 1,
                name,
                format!(
                    "expected an hour ending from 1 to 24, found `{}`",
                    crate::base::numfmt::shorten(cell, 20)
                ),
            )
        })?;
    Ok((first_hour(date) + he - 1) * 60)
}

/// The file's interval in minutes: the largest divisor of 60 dividing every row's minute (60
/// for an hourly file).
fn interval_min(read: &[Reading]) -> i64 {
    fn gcd(a: i64, b: i64) -> i64 {
        if b == 0 { a } else { gcd(b, a % b) }
    }
    read.iter()
        .fold(60, |g, r| gcd(g, r.local_min.rem_euclid(60)))
}

/// Checks one hour's consecutive rows: all its intervals once, or (a fall-back hour written
/// without an offset) all of them exactly twice, which is then merged (returns true).
fn check_group(file: &str, field: &str, group: &[Reading], step: i64) -> Result<bool> {
    let per_hour = (60 / step) as usize;
    let mut seen = vec![0usize; per_hour];
    for r in group {
        seen[(r.local_min.rem_euclid(60) / step) as usize] += 1;
    }
    if seen.iter().all(|&c| c == 1) {
        return Ok(false);
    }
    let local = group[0].local_min.div_euclid(60);
    let date = date_of_hour(local);
    let (month, hour) = (date.month, hour_of_day(local));
    let fall_back = group[0].offset.is_none() && matches!(month, 3 | 4 | 10 | 11) && hour <= 3;
    if seen.iter().all(|&c| c == 2) && fall_back {
        return Ok(true);
    }
    let stamp = format!(
        "{:04}-{:02}-{:02} {hour:02}:00",
        date.year, date.month, date.day
    );
    if seen.iter().all(|&c| c >= 1) {
        let again = group[group.len() / 2].line;
        return Err(input_err(
            file,
            again,
            1,
            field,
            format!(
                "the hour {stamp} appears twice (also at line {}): expected each hour once (a repeated fall-back hour, written without an offset at 00:00-03:00 in March, April, October or November, is merged by the mean of the two)",
                group[0].line
            ),
        ));
    }
    let list = |want: &dyn Fn(usize) -> bool| {
        (0..per_hour)
            .filter(|&k| want(seen[k]))
            .map(|k| format!(":{:02}", k as i64 * step))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let msg = format!(
        "partial hour: expected the {per_hour} {step}-minute intervals of {stamp} ({}), found {} (missing {}); an hour is averaged only when whole",
        list(&|_| true),
        list(&|c| c > 0),
        list(&|c| c == 0)
    );
    Err(input_err(file, group[0].line, 1, field, msg))
}
