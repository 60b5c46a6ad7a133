//! Curtailment-enabled headroom (`dcload headroom`), in the manner of Norris, Profeta,
//! Patino-Echeverri and Cowie-Haskell, "Rethinking Load Growth: Assessing the Potential for
//! Integration of Large Flexible Loads in US Power Systems", Nicholas Institute for Energy,
//! Environment & Sustainability, Duke University, February 2025 (https://hdl.handle.net/10161/32077).
//!
//! The method, as implemented here (the paper's section "Determining Load Additions for
//! Curtailment Limits" and its footnotes 19-21):
//!
//! 1. The system's hourly load `L_h` over several years (a balancing authority's EIA-930
//!    "Demand" series, or a plain `timestamp,MW` CSV). The paper used 2016-2024, cleaned.
//! 2. Two thresholds: the largest load of the whole record in summer and in winter. The paper
//!    finds the summer peak in June-August and the winter peak in December-February (or within a
//!    month of them where a BA peaked there) and applies the summer peak to April-October and the
//!    winter peak to November-March. Here a season's threshold is the largest load in the months
//!    it applies to (`--summer-months`, default 4-10; the rest are winter), which is the paper's
//!    rule with its one-month extension taken always; the two differ only if an April or October
//!    hour beat the May-September peak.
//! 3. A new load of size `X` MW is added. In hour `h` it draws `p_h = X * s_h`, where `s_h` is
//!    its shape (1 for the paper's constant load; the study's hourly facility profile divided by
//!    its peak for a simulated campus). Whenever `L_h + p_h` would exceed the season's threshold
//!    `T`, the new load is curtailed by the excess: `c_h = min(p_h, max(0, L_h + p_h - T))`.
//! 4. Curtailment rate: each calendar year's curtailed MWh over the new load's energy that year
//!    (its "maximum potential annual consumption" for a constant load), averaged over the years,
//!    each year weighted by its share of a year (its hours in the record over 8,760): a partial
//!    year (a record starting on 31 December at 19:00 because it is written at -05:00) counts
//!    for the hours it has. For a constant load this is the record's curtailed energy over its
//!    energy, whatever clock the timestamps are written in.
//! 5. The headroom at a curtailment limit (0.25, 0.5, 1, 5 %) is the largest `X` whose rate is at
//!    most the limit, found by bisection (the paper used a root finder): the rate never falls as
//!    `X` grows, since each year's curtailed energy is convex in `X` and zero at `X = 0`.
//!
//! Reported for each limit: the headroom in MW, curtailed hours and MWh (over the record and per
//! year), the mean length of a curtailment event (a run of consecutive curtailed hours), and the
//! share of curtailed hours in which at least half of the new load keeps running.
//!
//! **A simulated campus's flexibility.** A real campus can lower its grid draw only by shedding
//! its flexible work, a share `f_h` of its draw (training that pauses, consumer work that
//! degrades: the run's demand-response flexibility per sector weighted by the sectors' hourly
//! mean IT power, or `--flex`), plus on-site backup carrying up to a share `b` of its peak
//! (`--backup-share`, default 0). In hour `h` the curtailment is bounded by
//! `min(p_h, f_h * p_h + b * X)`; a size `X` at which some hour needs more than that is not
//! admissible (the system would go above its historical peak). "Keeps running" counts the
//! backup-carried part as running. Because the record's peak hour has `L_h = T`, a campus whose
//! firm part (`(1 - f_h) * p_h` beyond the backup) is drawn at that hour has no headroom under
//! this method: that is reported (binding constraint `firm load at peak`), not hidden.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::base::error::{Error, Result};

/// The curtailment limits the paper reports (per cent of the new load's energy).
pub const DEFAULT_LIMITS_PCT: [f64; 4] = [0.25, 0.5, 1.0, 5.0];

/// Hours in a year, for per-year figures.
const YEAR_H: f64 = 8760.0;

/// Months under the summer threshold by default: April to October. The paper takes the summer
/// peak in June-August and the winter peak in December-February (or within a month of them when
/// a BA peaked there) and applies the summer peak to April-October and the winter peak to
/// November-March.
pub const DEFAULT_SUMMER: &str = "4-10";

/// One hour of the system's load.
#[derive(Clone, Debug, PartialEq)]
pub struct Hour {
    /// Hours since 1970-01-01 00:00 (UTC when the input says so, else local): consecutive hours
    /// differ by 1, which is how curtailment events are told apart.
    pub index: i64,
    /// Local calendar year, month (1-12), day and hour of day (0-23, hour beginning).
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub mw: f64,
}

/// A system's hourly load, sorted by time, no duplicates.
#[derive(Clone, Debug, Default)]
pub struct SystemLoad {
    pub hours: Vec<Hour>,
    /// What was read, for the console ("EIA-930 PJM, column Demand (MW)").
    pub what: String,
}

/// Options for reading EIA-930 files.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// Balancing authority code (needed when a file holds several).
    pub ba: Option<String>,
    /// The demand column [default `Demand (MW)`].
    pub column: Option<String>,
    /// The clock of `timestamp,MW` rows written without an offset, in minutes east of UTC
    /// (`--utc-offset`); `None` reads them as UTC.
    pub naive_offset_min: Option<i64>,
}

fn input_err(file: &str, line: usize, col: usize, field: &str, msg: impl Into<String>) -> Error {
    Error::Input {
        file: file.to_string(),
        line,
        col,
        field: field.to_string(),
        msg: msg.into(),
    }
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// Civil date of a day count from 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn year_hours(y: i64) -> i64 {
    if days_in_month(y, 2) == 29 {
        8784
    } else {
        8760
    }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

fn num<T: std::str::FromStr>(s: &str) -> Option<T> {
    s.trim().parse().ok()
}

fn check_date(y: i64, m: i64, d: i64) -> bool {
    (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)
}

/// `YYYY-MM-DD` or `MM/DD/YYYY` (EIA's), as (year, month, day).
fn parse_date(s: &str) -> Option<(i64, i64, i64)> {
    let s = s.trim();
    let (y, m, d) = if s.contains('/') {
        let p: Vec<&str> = s.split('/').collect();
        if p.len() != 3 {
            return None;
        }
        (num(p[2])?, num(p[0])?, num(p[1])?)
    } else {
        let p: Vec<&str> = s.split('-').collect();
        if p.len() != 3 || p[0].len() != 4 {
            return None;
        }
        (num(p[0])?, num(p[1])?, num(p[2])?)
    };
    check_date(y, m, d).then_some((y, m, d))
}

/// A parsed timestamp: (local hours since 1970, offset minutes if stated, month, day, hour).
type Stamp = (i64, Option<i64>, u8, u8, u8);

/// A timestamp: ISO 8601 `YYYY-MM-DD[T ]HH[:MM[:SS]][Z|±HH:MM]` or EIA's
/// `MM/DD/YYYY HH:MM:SS AM`. Returns (local hours since 1970, offset minutes if stated,
/// local month, day, hour); `None` when malformed, `Some(Err)` when not on the hour.
fn parse_timestamp(s: &str) -> Option<std::result::Result<Stamp, String>> {
    let s = s.trim();
    let (date, rest) = s.split_at(s.find(['T', ' '])?);
    let (y, m, d) = parse_date(date)?;
    let mut rest = rest[1..].trim();
    let mut pm = None;
    for (suffix, is_pm) in [("AM", false), ("PM", true), ("am", false), ("pm", true)] {
        if let Some(r) = rest.strip_suffix(suffix) {
            rest = r.trim();
            pm = Some(is_pm);
        }
    }
    let mut offset = None;
    if let Some(r) = rest.strip_suffix('Z') {
        rest = r;
        offset = Some(0);
    } else if rest.len() > 6 {
        let (t, o) = rest.split_at(rest.len() - 6);
        let sign = match o.as_bytes()[0] {
            b'+' => Some(1),
            b'-' => Some(-1),
            _ => None,
        };
        if let Some(sign) = sign {
            let (oh, om) = o[1..].split_once(':')?;
            offset = Some(sign * (num::<i64>(oh)? * 60 + num::<i64>(om)?));
            rest = t;
        }
    }
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
    if !(0..=23).contains(&h) || !(0..=59).contains(&min) {
        return None;
    }
    if min != 0 || sec != 0.0 {
        return Some(Err(format!(
            "expected hourly data on the hour, found `{s}` (minutes or seconds not zero)"
        )));
    }
    let local = days_from_civil(y, m, d) * 24 + h;
    Some(Ok((local, offset, m as u8, d as u8, h as u8)))
}

/// A number as EIA writes them (`"10,010"`, thousands separators allowed).
fn parse_mw(s: &str) -> Option<f64> {
    let t: String = s.trim().chars().filter(|c| *c != ',').collect();
    t.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Reads one or more system-load files (EIA-930 balance files or `timestamp,MW` CSVs, in any
/// mix), sorted by time; duplicates and bad values are errors naming file, line and column.
pub fn read_system_load(files: &[PathBuf], opt: &ReadOptions) -> Result<SystemLoad> {
    let mut all: Vec<(Hour, String, usize)> = Vec::new();
    let mut what = Vec::new();
    for f in files {
        let name = f.display().to_string();
        let text = crate::input::limits::read_text(f, 2 * 1024 * 1024 * 1024)?;
        let (hours, w) = parse_system_load(&name, &text, opt)?;
        if !what.contains(&w) {
            what.push(w);
        }
        all.extend(hours.into_iter().map(|(h, line)| (h, name.clone(), line)));
    }
    all.sort_by_key(|(h, _, _)| h.index);
    for w in all.windows(2) {
        if w[0].0.index == w[1].0.index {
            return Err(input_err(
                &w[1].1,
                w[1].2,
                1,
                "timestamp",
                format!(
                    "the same hour appears twice (also at {}:{}): expected each hour once",
                    w[0].1, w[0].2
                ),
            ));
        }
    }
    Ok(SystemLoad {
        hours: all.into_iter().map(|(h, _, _)| h).collect(),
        what: what.join("; "),
    })
}

/// Parses one file's text. Returns the hours with their 1-based lines, and what was read.
pub fn parse_system_load(
    file: &str,
    text: &str,
    opt: &ReadOptions,
) -> Result<(Vec<(Hour, usize)>, String)> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = rdr.records();
    let header = match records.next() {
        Some(Ok(r)) => r,
        Some(Err(e)) => {
            return Err(input_err(file, 1, 0, "", format!("not a CSV file: {e}")));
        }
        None => {
            return Err(input_err(
                file,
                0,
                0,
                "",
                "empty file: expected a header row and hourly rows",
            ));
        }
    };
    let names: Vec<String> = header
        .iter()
        .map(|s| s.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let find = |n: &str| names.iter().position(|h| h.eq_ignore_ascii_case(n));
    let eia = [
        "Balancing Authority",
        "UTC Time at End of Hour",
        "Data Date",
    ]
    .iter()
    .any(|c| find(c).is_some());
    let mut out = Vec::new();
    let what;
    if eia {
        let want = opt.column.clone().unwrap_or_else(|| "Demand (MW)".into());
        let dcol = find(&want).ok_or_else(|| {
            input_err(
                file,
                1,
                0,
                &want,
                format!(
                    "no column `{want}` in this EIA-930 file: expected one of its demand columns, e.g. `Demand (MW)` or `Demand (MW) (Adjusted)`"
                ),
            )
        })?;
        let ba_col = find("Balancing Authority");
        let utc_col = find("UTC Time at End of Hour");
        let date_col = find("Data Date");
        let hour_col = find("Hour Number");
        let local_col = find("Local Time at End of Hour");
        if utc_col.is_none() && (date_col.is_none() || hour_col.is_none()) {
            return Err(input_err(
                file,
                1,
                0,
                "UTC Time at End of Hour",
                "expected the EIA-930 time columns `UTC Time at End of Hour` (or `Data Date` and `Hour Number`)",
            ));
        }
        if date_col.is_none() && local_col.is_none() {
            return Err(input_err(
                file,
                1,
                0,
                "Data Date",
                "expected `Data Date` and `Hour Number` or `Local Time at End of Hour` (the local calendar, for the seasons)",
            ));
        }
        // Which BA: the one asked for, or the only one in the file.
        let mut bas: Vec<String> = Vec::new();
        let mut rows = Vec::new();
        for (i, rec) in records.enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| input_err(file, line, 0, "", format!("bad CSV row: {e}")))?;
            if rec.iter().all(|f| f.is_empty()) {
                continue;
            }
            if let Some(c) = ba_col {
                let b = rec.get(c).unwrap_or("").to_string();
                if !bas.contains(&b) {
                    bas.push(b);
                }
            }
            rows.push((line, rec));
        }
        let ba = match (&opt.ba, ba_col) {
            (Some(want), Some(_)) => {
                let found = bas.iter().find(|b| b.eq_ignore_ascii_case(want)).cloned();
                Some(found.ok_or_else(|| {
                    input_err(
                        file,
                        0,
                        0,
                        "Balancing Authority",
                        format!(
                            "no rows for balancing authority `{want}`: the file has {}",
                            bas.join(", ")
                        ),
                    )
                })?)
            }
            (None, Some(_)) if bas.len() > 1 => {
                return Err(Error::Option {
                    option: "--ba".into(),
                    msg: format!(
                        "{file} holds {} balancing authorities ({}): choose one with --ba CODE",
                        bas.len(),
                        bas.join(", ")
                    ),
                });
            }
            (_, Some(_)) => bas.first().cloned(),
            (_, None) => None,
        };
        what = format!(
            "EIA-930 {}, column `{}`",
            ba.clone().unwrap_or_else(|| "(no BA column)".into()),
            names[dcol]
        );
        for (line, rec) in rows {
            if let (Some(c), Some(b)) = (ba_col, &ba)
                && rec.get(c) != Some(b.as_str())
            {
                continue;
            }
            let field = |c: usize| rec.get(c).unwrap_or("");
            let cell = field(dcol);
            if cell.is_empty() {
                return Err(input_err(
                    file,
                    line,
                    dcol + 1,
                    &names[dcol],
                    "empty demand: expected MW (EIA-930 leaves gaps in the raw `Demand (MW)`; `--column \"Demand (MW) (Adjusted)\"` reads EIA's gap-filled series)",
                ));
            }
            let mw = parse_mw(cell).filter(|x| *x >= 0.0).ok_or_else(|| {
                input_err(
                    file,
                    line,
                    dcol + 1,
                    &names[dcol],
                    format!("expected a non-negative number of MW, found `{cell}`"),
                )
            })?;
            // Local calendar (seasons, shape alignment): Data Date + Hour Number (hour ending),
            // or the local end-of-hour time.
            let (local_idx, year, month, day, hod) =
                if let (Some(dc), Some(hc)) = (date_col, hour_col) {
                    let (y, m, d) = parse_date(field(dc)).ok_or_else(|| {
                        input_err(
                            file,
                            line,
                            dc + 1,
                            &names[dc],
                            format!("expected a date MM/DD/YYYY, found `{}`", field(dc)),
                        )
                    })?;
                    let hn: i64 = num(field(hc)).filter(|h| (1..=25).contains(h)).ok_or_else(|| {
                    input_err(
                        file,
                        line,
                        hc + 1,
                        &names[hc],
                        format!(
                            "expected an hour number from 1 to 25 (hour ending), found `{}`",
                            field(hc)
                        ),
                    )
                })?;
                    let hod = (hn - 1).min(23) as u8;
                    (
                        days_from_civil(y, m, d) * 24 + hn - 1,
                        y as i32,
                        m as u8,
                        d as u8,
                        hod,
                    )
                } else {
                    let lc = local_col.unwrap_or(0);
                    let (end, _, _, _, _) =
                        parse_stamp_full(file, line, lc, &names[lc], field(lc))?;
                    // End of hour -> the hour's beginning.
                    let (y, m, d) = civil_from_days((end - 1).div_euclid(24));
                    (end - 1, y as i32, m, d, (end - 1).rem_euclid(24) as u8)
                };
            let index = match utc_col {
                Some(uc) => {
                    let (idx, _, _, _, _) = parse_stamp(file, line, uc, &names[uc], field(uc))?;
                    idx - 1
                }
                None => local_idx,
            };
            out.push((
                Hour {
                    index,
                    year,
                    month,
                    day,
                    hour: hod,
                    mw,
                },
                line,
            ));
        }
    } else {
        if names.len() < 2 {
            return Err(input_err(
                file,
                1,
                0,
                "",
                format!(
                    "expected an EIA-930 balance file (columns `Balancing Authority`, `Data Date`, `Hour Number`, `UTC Time at End of Hour`, `Demand (MW)`) or a `timestamp,MW` CSV with a header row, found the header `{}`",
                    names.join(",")
                ),
            ));
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
        what = format!("timestamp,MW file (column `{}`)", names[1]);
        for (i, rec) in records.enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| input_err(file, line, 0, "", format!("bad CSV row: {e}")))?;
            if rec.iter().all(|f| f.is_empty()) {
                continue;
            }
            if rec.len() < 2 {
                return Err(input_err(
                    file,
                    line,
                    0,
                    "",
                    format!("expected 2 fields (timestamp,MW), found {}", rec.len()),
                ));
            }
            let (local, offset, month, day, hour) =
                parse_stamp_full(file, line, 0, &names[0], rec.get(0).unwrap_or(""))?;
            let cell = rec.get(1).unwrap_or("");
            let mw = parse_mw(cell).filter(|x| *x >= 0.0).ok_or_else(|| {
                input_err(
                    file,
                    line,
                    2,
                    &names[1],
                    format!("expected a non-negative number of MW, found `{cell}`"),
                )
            })?;
            let offset = offset.or(opt.naive_offset_min);
            let index = local - offset.map_or(0, |o| o.div_euclid(60));
            let (year, _, _) = civil_from_days(local.div_euclid(24));
            out.push((
                Hour {
                    index,
                    year: year as i32,
                    month,
                    day,
                    hour,
                    mw,
                },
                line,
            ));
        }
    }
    if out.is_empty() {
        return Err(input_err(
            file,
            0,
            0,
            "",
            "no hourly rows: expected at least one hour of load",
        ));
    }
    Ok((out, what))
}

/// A timestamp field as hours since 1970 in its own clock (UTC when it says so).
fn parse_stamp(file: &str, line: usize, col: usize, name: &str, s: &str) -> Result<Stamp> {
    let (local, off, m, d, h) = parse_stamp_full(file, line, col, name, s)?;
    Ok((local - off.map_or(0, |o| o.div_euclid(60)), off, m, d, h))
}

fn parse_stamp_full(file: &str, line: usize, col: usize, name: &str, s: &str) -> Result<Stamp> {
    match parse_timestamp(s) {
        Some(Ok(v)) => Ok(v),
        Some(Err(m)) => Err(input_err(file, line, col + 1, name, m)),
        None => Err(input_err(
            file,
            line,
            col + 1,
            name,
            format!(
                "expected a timestamp like 2024-07-01T17:00 or 2024-07-01T17:00-05:00 (or EIA's 07/01/2024 5:00:00 PM), found `{s}`"
            ),
        )),
    }
}

/// The seasonal thresholds: the record's largest load in the summer months and in the others.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    pub summer_mw: f64,
    pub winter_mw: f64,
    /// Which months are summer (index 0 = January).
    pub summer: [bool; 12],
}

impl Thresholds {
    pub fn of(load: &SystemLoad, summer: [bool; 12]) -> Thresholds {
        let (mut s, mut w) = (0.0f64, 0.0f64);
        for h in &load.hours {
            if summer[h.month as usize - 1] {
                s = s.max(h.mw);
            } else {
                w = w.max(h.mw);
            }
        }
        Thresholds {
            summer_mw: s,
            winter_mw: w,
            summer,
        }
    }

    pub fn at(&self, month: u8) -> f64 {
        if self.summer[month as usize - 1] {
            self.summer_mw
        } else {
            self.winter_mw
        }
    }
}

/// `4-9` or `6,7,8` as a month set.
pub fn parse_months(s: &str) -> std::result::Result<[bool; 12], String> {
    let mut set = [false; 12];
    for part in s.split(',') {
        let part = part.trim();
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part, part),
        };
        let (a, b): (usize, usize) = match (a.parse(), b.parse()) {
            (Ok(a), Ok(b)) if (1..=12).contains(&a) && (1..=12).contains(&b) && a <= b => (a, b),
            _ => {
                return Err(format!(
                    "expected months 1-12 as a range or list (e.g. 4-9 or 6,7,8), found `{part}`"
                ));
            }
        };
        for m in a..=b {
            set[m - 1] = true;
        }
    }
    if set.iter().all(|x| *x) {
        return Err("every month is summer: leave at least one winter month".into());
    }
    Ok(set)
}

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
            if prev != Some(h.index - 1) {
                o.events += 1;
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
    /// curtailment than the load can shed), `firm load at peak` (no size is admissible).
    pub binding: &'static str,
}

/// Largest size whose curtailment rate is at most `limit` (a fraction) and whose needed
/// curtailment the load can always shed; by bisection (60 halvings: the size is exact to far
/// below a kW for any real system).
pub fn headroom(load: &SystemLoad, thr: &Thresholds, new: &NewLoad, limit: f64) -> Headroom {
    let ok = |o: &Outcome| o.rate() <= limit && o.uncovered_hours == 0;
    let peak = thr.summer_mw.max(thr.winter_mw).max(1.0);
    // A vanishing size: if even that fails, nothing can be added.
    let tiny = evaluate(load, thr, new, peak * 1e-6);
    if !ok(&tiny) {
        let binding = if tiny.uncovered_hours > 0 {
            "firm load at peak"
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
    } else {
        "rate"
    };
    Headroom {
        limit_pct: limit * 100.0,
        outcome: evaluate(load, thr, new, lo),
        binding,
    }
}

/// A run folder's facility profile and flexibility for one calendar year of the run, placed on
/// the system's hours by instant: both are read on the study's standard time (its smallest UTC
/// offset, e.g. -06:00 for America/Chicago), where every month, day and hour of a year occurs
/// exactly once (no spring gap, no autumn repeat); the system hour at the same instant of the
/// year takes the study's value (29 February falls back to the 28th).
pub struct StudyProfile {
    /// (month, day, hour) on the study's standard time -> (facility MW, sheddable share).
    map: std::collections::HashMap<(u8, u8, u8), (f64, f64)>,
    /// The study's standard time, minutes east of UTC.
    pub std_offset_min: i64,
    /// The run's calendar year used (shape and peak both from it).
    pub year: i32,
    pub peak_mw: f64,
    pub description: String,
}

/// Which of the run's profiles: a percentile column of load_8760.csv (`p50`, `mean`, `p90`...)
/// or one trial's column of traces/facility_mw.csv (`trial:N`).
pub fn read_study_profile(
    dir: &Path,
    profile: &str,
    flex_override: Option<f64>,
    year: Option<i32>,
) -> Result<StudyProfile> {
    let p8760 = dir.join("load_8760.csv");
    if !p8760.is_file() {
        return Err(Error::Other(format!(
            "{}: not a dcload run folder (it has no load_8760.csv): give the output folder of `dcload run` (run the study first)",
            dir.display()
        )));
    }
    let (file, column) = if let Some(t) = profile.strip_prefix("trial:") {
        let n: u32 = t.parse().map_err(|_| Error::Option {
            option: "--profile".into(),
            msg: format!("expected trial:N with N a trial number, found `{profile}`"),
        })?;
        let f = dir.join("traces").join("facility_mw.csv");
        if !f.is_file() {
            return Err(Error::Option {
                option: "--profile".into(),
                msg: format!(
                    "{} does not exist: run the study with --traces to use one trial's profile",
                    f.display()
                ),
            });
        }
        (f, format!("trial_{n}"))
    } else {
        let p = profile.to_ascii_lowercase();
        (p8760, format!("facility_mw_{p}"))
    };
    let name = file.display().to_string();
    let text = crate::input::limits::read_text(&file, 2 * 1024 * 1024 * 1024)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let c = header
        .iter()
        .position(|h| *h == column)
        .ok_or_else(|| Error::Option {
            option: "--profile".into(),
            msg: format!(
                "{name} has no column `{column}`: its columns are {}",
                header[1..].join(", ")
            ),
        })?;
    let mut facility = Vec::new();
    for (i, l) in lines.enumerate() {
        let f: Vec<&str> = l.split(',').collect();
        let stamp = f.first().copied().unwrap_or("");
        let (local, off, ..) = parse_stamp_full(&name, i + 2, 0, "timestamp", stamp)?;
        let v = f
            .get(c)
            .and_then(|v| parse_mw(v))
            .ok_or_else(|| input_err(&name, i + 2, c + 1, &column, "expected a number of MW"))?;
        // (UTC hour, offset minutes): a row without an offset is on the study's clock.
        facility.push(((local, off), v));
    }
    // The study's standard time: its smallest offset (daylight time adds to it).
    let std_offset_min = facility
        .iter()
        .filter_map(|((_, o), _)| *o)
        .min()
        .unwrap_or(0);
    let on_std = |(local, off): (i64, Option<i64>)| -> i64 {
        let utc = local - off.map_or(std_offset_min, |o| o).div_euclid(60);
        utc + std_offset_min.div_euclid(60)
    };
    // Sheddable share per hour from hourly.csv's mean sector IT power and the run's
    // demand-response flexibility (dcload's defaults when the run states none).
    let mut shares = vec![1.0; facility.len()];
    let flex_desc;
    if let Some(f) = flex_override {
        shares.iter_mut().for_each(|s| *s = f);
        flex_desc = format!("--flex {f}");
    } else {
        let (flex, src) = run_flexibility(dir)?;
        let hp = dir.join("hourly.csv");
        let hname = hp.display().to_string();
        let htext = crate::input::limits::read_text(&hp, 8 * 1024 * 1024 * 1024)?;
        let mut hl = htext.lines();
        let hh: Vec<&str> = hl.next().unwrap_or("").split(',').collect();
        let col = |n: &str| {
            hh.iter().position(|h| *h == n).ok_or_else(|| {
                input_err(
                    &hname,
                    1,
                    0,
                    n,
                    "expected this column (written by dcload run)",
                )
            })
        };
        let cols = [
            col("it_training_mw_mean")?,
            col("it_consumer_mw_mean")?,
            col("it_industrial_mw_mean")?,
        ];
        let total = col("it_total_mw_mean")?;
        for (i, l) in hl.enumerate() {
            if i >= shares.len() {
                break;
            }
            let f: Vec<&str> = l.split(',').collect();
            let get = |c: usize| f.get(c).and_then(|v| parse_mw(v)).unwrap_or(0.0);
            let it = get(total);
            let shed: f64 = cols.iter().zip(flex).map(|(c, x)| get(*c) * x).sum();
            shares[i] = if it > 0.0 {
                (shed / it).clamp(0.0, 1.0)
            } else {
                0.0
            };
        }
        flex_desc = format!(
            "shed share = (training x {} + consumer x {} + industrial x {}) / IT, hourly means ({src})",
            flex[0], flex[1], flex[2]
        );
    }
    // Hours per calendar year on standard time; the year used: --year, else the last whole one.
    let mut per_year: std::collections::BTreeMap<i64, usize> = Default::default();
    for (k, _) in &facility {
        *per_year
            .entry(civil_from_days(on_std(*k).div_euclid(24)).0)
            .or_default() += 1;
    }
    // Whole: every hour of the year but the one or two a study clock ahead of its standard time
    // starts after (1 January 00:00 at +11:00 is 31 December 23:00 at +10:00); a missing hour
    // takes its neighbour's value.
    let whole = |y: i64| per_year.get(&y).copied().unwrap_or(0) as i64 >= year_hours(y) - 2;
    let listing = || {
        per_year
            .iter()
            .map(|(y, n)| format!("{y} ({n} h)"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let year = match year {
        Some(y) if whole(y as i64) => y as i64,
        Some(y) => {
            return Err(Error::Option {
                option: "--year".into(),
                msg: format!(
                    "{name} does not cover the whole of {y} (on the study's standard time, UTC{}): its years are {}",
                    crate::base::time::format_utc_offset(std_offset_min as i32 * 60),
                    listing()
                ),
            });
        }
        None => per_year
            .keys()
            .rev()
            .copied()
            .find(|y| whole(*y))
            .ok_or_else(|| {
                Error::Other(format!(
                    "{name}: headroom needs the study's profile for a whole calendar year (8,760 hours; horizon_hours = 8760 from 1 January), found {}",
                    listing()
                ))
            })?,
    };
    let mut map = std::collections::HashMap::new();
    let mut peak_mw = 0.0f64;
    for ((k, v), s) in facility.iter().zip(&shares) {
        let t = on_std(*k);
        let (y, m, d) = civil_from_days(t.div_euclid(24));
        if y != year {
            continue;
        }
        peak_mw = peak_mw.max(*v);
        map.entry((m, d, t.rem_euclid(24) as u8))
            .or_insert((*v, *s));
    }
    if peak_mw <= 0.0 {
        return Err(Error::Other(format!(
            "{name}: column `{column}` is zero everywhere in {year}: nothing to scale"
        )));
    }
    Ok(StudyProfile {
        map,
        std_offset_min,
        year: year as i32,
        peak_mw,
        description: format!(
            "{} of {}, year {year} of {} (peak {:.1} MW in {year}; placed by instant on the study's standard time, UTC{}); {flex_desc}",
            column,
            dir.display(),
            per_year
                .keys()
                .map(|y| y.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            peak_mw,
            crate::base::time::format_utc_offset(std_offset_min as i32 * 60),
        ),
    })
}

/// The run's demand-response flexibility [training, consumer, industrial] from summary.json.
fn run_flexibility(dir: &Path) -> Result<([f64; 3], String)> {
    let defaults = [1.0, 0.3, 0.2];
    let p = dir.join("summary.json");
    let text = crate::input::limits::read_text(&p, 256 * 1024 * 1024)?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        input_err(
            &p.display().to_string(),
            e.line(),
            e.column(),
            "",
            e.to_string(),
        )
    })?;
    let f = &v["config"]["grid"]["demand_response"]["flexibility"];
    if !f.is_object() {
        return Ok((
            defaults,
            "the run states no [grid.demand_response] flexibility: dcload's defaults".into(),
        ));
    }
    let mut out = defaults;
    for (i, k) in ["training", "consumer", "industrial"].iter().enumerate() {
        if let Some(x) = f[k].as_f64() {
            out[i] = x;
        }
    }
    Ok((out, "the run's [grid.demand_response] flexibility".into()))
}

impl StudyProfile {
    /// The new load on the system's hours.
    pub fn on(&self, load: &SystemLoad, backup_share: f64) -> Result<NewLoad> {
        let mut shape = Vec::with_capacity(load.hours.len());
        let mut flex = Vec::with_capacity(load.hours.len());
        for h in &load.hours {
            // The system hour's instant on the study's standard time.
            let t = h.index + self.std_offset_min.div_euclid(60);
            let (_, month, day) = civil_from_days(t.div_euclid(24));
            let hour = t.rem_euclid(24) as u8;
            let key = (month, day, hour);
            let alt = (month, 28, hour);
            let (v, s) = self
                .map
                .get(&key)
                .or_else(|| (month == 2 && day == 29).then(|| self.map.get(&alt)).flatten())
                .or_else(|| {
                    [1u8, 2]
                        .iter()
                        .flat_map(|k| [hour.wrapping_sub(*k), hour + k])
                        .find_map(|hh| self.map.get(&(month, day, hh)))
                })
                .ok_or_else(|| {
                    Error::Other(format!(
                        "the study's profile has no hour for {month:02}-{day:02} {hour:02}:00 (standard time) in {}: headroom needs a profile covering a whole year (horizon_hours = 8760)",
                        self.year
                    ))
                })?;
            shape.push(v / self.peak_mw);
            flex.push(*s);
        }
        Ok(NewLoad {
            shape,
            flex,
            backup_share,
            name: "study".into(),
        })
    }
}

/// Refuses a record that cannot give a seasonal threshold: one whose hours all fall in one
/// season (a winter week has no summer peak, and summer hours would be held to 0 MW).
pub fn check_record(load: &SystemLoad, thr: &Thresholds) -> Result<()> {
    let in_summer = load
        .hours
        .iter()
        .filter(|h| thr.summer[h.month as usize - 1])
        .count();
    let n = load.hours.len();
    if in_summer == 0 || in_summer == n {
        let (first, last) = (&load.hours[0], &load.hours[n - 1]);
        return Err(Error::Other(format!(
            "{}: {n} hours ({:04}-{:02}-{:02} to {:04}-{:02}-{:02}), all in the {} months: headroom needs the system's load in both seasons to set a summer and a winter peak threshold, at least a whole year of hourly load (the method uses several whole years)",
            load.what,
            first.year,
            first.month,
            first.day,
            last.year,
            last.month,
            last.day,
            if in_summer == 0 { "winter" } else { "summer" }
        )));
    }
    Ok(())
}

/// headroom.csv: one row per (case, limit).
pub fn csv(rows: &[(String, Headroom)]) -> String {
    let mut s = String::from(
        "case,curtailment_limit_pct,headroom_mw,mean_mw,curtailment_pct,curtailed_hours,curtailed_mwh,curtailed_hours_per_year,curtailed_mwh_per_year,events,mean_event_h,share_hours_half_kept,binding\n",
    );
    for (case, h) in rows {
        let o = &h.outcome;
        let y = o.years().max(1e-12);
        let _ = writeln!(
            s,
            "{case},{},{:.3},{:.3},{:.4},{},{:.3},{:.2},{:.3},{},{:.3},{:.4},{}",
            h.limit_pct,
            o.size_mw,
            o.mean_mw,
            o.rate() * 100.0,
            o.curtailed_hours,
            o.curtailed_mwh,
            o.curtailed_hours as f64 / y,
            o.curtailed_mwh / y,
            o.events,
            o.mean_event_h(),
            o.half_kept_share(),
            h.binding
        );
    }
    s
}

/// The console table.
pub fn table(rows: &[(String, Headroom)]) -> String {
    let mut s = format!(
        "{:<6} {:>7} {:>12} {:>10} {:>10} {:>12} {:>8} {:>10}  {}\n",
        "case",
        "limit%",
        "headroom MW",
        "curt. %",
        "h/year",
        "MWh/year",
        "event h",
        "half kept",
        "binding"
    );
    for (case, h) in rows {
        let o = &h.outcome;
        let y = o.years().max(1e-12);
        let _ = writeln!(
            s,
            "{:<6} {:>7} {:>12.1} {:>10.3} {:>10.1} {:>12.0} {:>8.2} {:>9.0}%  {}",
            case,
            h.limit_pct,
            o.size_mw,
            o.rate() * 100.0,
            o.curtailed_hours as f64 / y,
            o.curtailed_mwh / y,
            o.mean_event_h(),
            o.half_kept_share() * 100.0,
            h.binding
        );
    }
    s
}

/// `dcload headroom` options.
#[derive(Debug, clap::Args)]
pub struct HeadroomArgs {
    /// The system's hourly load: EIA-930 balance files (six-month CSVs, any number) or
    /// `timestamp,MW` CSVs, several years.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Balancing authority code in EIA-930 files holding several (e.g. PJM, ERCO, DUK).
    #[arg(long, value_name = "CODE")]
    pub ba: Option<String>,
    /// EIA-930 demand column [default: "Demand (MW)"]; "Demand (MW) (Adjusted)" is EIA's
    /// gap-filled series.
    #[arg(long, value_name = "NAME")]
    pub column: Option<String>,
    /// Months under the summer peak threshold (the rest are under the winter one), as a range
    /// or list; the paper's split is April-October.
    #[arg(long, value_name = "M-M|M,M", default_value = DEFAULT_SUMMER)]
    pub summer_months: String,
    /// Curtailment limits in per cent of the new load's energy.
    #[arg(long, value_name = "PCT,PCT,...", default_value = "0.25,0.5,1,5")]
    pub limits: String,
    /// Also for this study's simulated load: a `dcload run` output folder.
    #[arg(long, value_name = "DIR")]
    pub run: Option<PathBuf>,
    /// The study's profile: a load_8760.csv percentile (p50, mean, p90, ...) or trial:N (from
    /// traces/facility_mw.csv, written by run --traces).
    #[arg(long, value_name = "pNN|mean|trial:N", default_value = "p50")]
    pub profile: String,
    /// Share of the study's draw that can be shed, every hour (overrides the share computed
    /// from the run's sectors and demand-response flexibility).
    #[arg(long, value_name = "SHARE")]
    pub flex: Option<f64>,
    /// On-site backup able to carry this share of the study load's peak during curtailment.
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub backup_share: f64,
    /// The run's calendar year whose profile is used, shape and peak both [default: the run's
    /// last whole year].
    #[arg(long, value_name = "YYYY")]
    pub year: Option<i32>,
    /// The clock of `timestamp,MW` rows written without an offset (e.g. -05:00) [default: UTC];
    /// rows with an offset (`Z`, `-05:00`) are read at theirs.
    #[arg(long, value_name = "±HH:MM", allow_hyphen_values = true)]
    pub utc_offset: Option<String>,
    /// Output folder for headroom.csv.
    #[arg(long, value_name = "DIR", default_value = "out/headroom")]
    pub out: PathBuf,
    #[arg(long, short)]
    pub quiet: bool,
}

fn share_opt(option: &str, x: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(Error::Option {
            option: option.into(),
            msg: format!("expected a share from 0 to 1, found {x}"),
        })
    }
}

/// Parses `--limits`.
pub fn parse_limits(s: &str) -> Result<Vec<f64>> {
    s.split(',')
        .map(|t| {
            t.trim()
                .trim_end_matches('%')
                .parse::<f64>()
                .ok()
                .filter(|x| *x > 0.0 && *x < 100.0)
                .ok_or_else(|| Error::Option {
                    option: "--limits".into(),
                    msg: format!(
                        "expected per cents between 0 and 100 separated by commas (e.g. 0.25,0.5,1,5), found `{}`",
                        t.trim()
                    ),
                })
        })
        .collect()
}

/// Runs `dcload headroom`: writes OUT/headroom.csv and prints the table.
pub fn run_cli(a: &HeadroomArgs) -> Result<PathBuf> {
    let limits = parse_limits(&a.limits)?;
    let summer = parse_months(&a.summer_months).map_err(|m| Error::Option {
        option: "--summer-months".into(),
        msg: m,
    })?;
    if a.run.is_none() {
        for (given, opt) in [
            (a.flex.is_some(), "--flex"),
            (a.backup_share != 0.0, "--backup-share"),
            (a.profile != "p50", "--profile"),
            (a.year.is_some(), "--year"),
        ] {
            if given {
                return Err(Error::Option {
                    option: opt.into(),
                    msg: "describes the study's load: give its output folder with --run DIR".into(),
                });
            }
        }
    }
    let flex = a.flex.map(|x| share_opt("--flex", x)).transpose()?;
    let backup = share_opt("--backup-share", a.backup_share)?;
    // Check the study folder before the (possibly long) read of the system load.
    let study = a
        .run
        .as_ref()
        .map(|d| read_study_profile(d, &a.profile, flex, a.year))
        .transpose()?;
    let naive_offset_min = a
        .utc_offset
        .as_deref()
        .map(|o| {
            crate::base::time::parse_utc_offset(o)
                .map(|s| i64::from(s) / 60)
                .map_err(|m| Error::Option {
                    option: "--utc-offset".into(),
                    msg: m,
                })
        })
        .transpose()?;
    let load = read_system_load(
        &a.files,
        &ReadOptions {
            ba: a.ba.clone(),
            column: a.column.clone(),
            naive_offset_min,
        },
    )?;
    let thr = Thresholds::of(&load, summer);
    check_record(&load, &thr)?;
    let mut cases = vec![NewLoad::flat(load.hours.len())];
    if let Some(sp) = &study {
        cases.push(sp.on(&load, backup)?);
    }
    let mut rows = Vec::new();
    for c in &cases {
        for &l in &limits {
            rows.push((c.name.clone(), headroom(&load, &thr, c, l / 100.0)));
        }
    }
    if (load.hours.len() as f64) < YEAR_H {
        eprintln!(
            "WARNING: the system's record is {} hours, less than a year: its seasonal peaks and curtailment rates rest on part of a year (the method uses several whole years)",
            load.hours.len()
        );
    }
    let path = a.out.join("headroom.csv");
    crate::base::io::write_atomic(&path, csv(&rows).as_bytes())?;
    if !a.quiet {
        let (first, last) = (&load.hours[0], &load.hours[load.hours.len() - 1]);
        let span = (last.index - first.index + 1) as usize;
        println!(
            "{}: {} hours ({:.1} years){}; summer peak {:.0} MW, winter peak {:.0} MW",
            load.what,
            load.hours.len(),
            load.hours.len() as f64 / YEAR_H,
            if span > load.hours.len() {
                format!(", {} hours missing in the span", span - load.hours.len())
            } else {
                String::new()
            },
            thr.summer_mw,
            thr.winter_mw
        );
        if let Some(sp) = &study {
            println!("study: {}", sp.description);
        }
        print!("{}", table(&rows));
        println!("wrote {}", path.display());
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in [-1000, 0, 19000, 20000, 20513] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m as i64, d as i64), z);
        }
        assert_eq!(
            days_from_civil(2024, 3, 1) - days_from_civil(2024, 2, 28),
            2
        );
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
        assert!(parse_timestamp("yesterday").is_none());
    }

    #[test]
    fn months() {
        let s = parse_months("4-9").unwrap();
        assert_eq!(s.iter().filter(|x| **x).count(), 6);
        assert!(s[3] && s[8] && !s[2] && !s[9]);
        assert!(parse_months("6,7,8").unwrap()[6]);
        assert!(parse_months("1-12").is_err());
        assert!(parse_months("13").is_err());
    }
}
