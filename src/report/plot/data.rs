//! Reading a finished run's CSV files, and the names of months and weekdays the plots print
//! (the calendar itself is [`crate::base::time`]).
//!
//! Columns are found by name, never by position. Every number is parsed with an error that names
//! the file, the line and the column.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use super::PlotError;
use crate::base::time::{Date, days_in_month};

/// The four IT sectors, in the order the run files list them, and the idle of accelerators no
/// workload holds (its own layer, so the stack still adds up to IT): (column stem, legend label).
pub(super) const SECTORS: [(&str, &str); 5] = [
    ("consumer", "Consumer"),
    ("industrial", "Industrial"),
    ("training", "Training"),
    ("defense", "Defense"),
    ("idle_unallocated", "Unheld idle"),
];
/// Layers that are sectors (the rest of [`SECTORS`] is optional in older run folders).
pub(super) const N_SECTORS: usize = 4;

const MONTH_ABBR: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAY_ABBR: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Three-letter English month name for `month` in 1..=12.
pub(super) fn month_abbr(month: u32) -> &'static str {
    MONTH_ABBR[(month.clamp(1, 12) - 1) as usize]
}

/// Three-letter weekday name, Monday = 0.
pub(super) fn weekday_abbr(weekday: u32) -> &'static str {
    WEEKDAY_ABBR[(weekday % 7) as usize]
}

// ---------------------------------------------------------------------------------------------
// Calendar
// ---------------------------------------------------------------------------------------------

/// Day of the week of a day count since 1970-01-01, Monday = 0.
pub(super) fn weekday(days: i64) -> u32 {
    // 1970-01-01 was a Thursday.
    (days + 3).rem_euclid(7) as u32
}

/// The date of an hour count (local wall-clock hours since 1970-01-01T00:00 in the file's offset).
pub(super) fn date_of_hour(hour: f64) -> Date {
    Date::from_days_since_epoch((hour / 24.0).floor() as i64)
}

/// A date's `(year, month)` as a single increasing index.
pub(super) fn month_index(date: Date) -> i64 {
    i64::from(date.year) * 12 + i64::from(date.month) - 1
}

/// The first day of the month of a [`month_index`].
pub(super) fn month_of_index(index: i64) -> Date {
    Date {
        year: index.div_euclid(12) as i32,
        month: (index.rem_euclid(12) + 1) as u32,
        day: 1,
    }
}

/// A timestamp as written in `hourly.csv`, e.g. `2025-07-15T20:00:00-05:00`.
///
/// The plots work in the file's own wall-clock time (the offset is fixed for a run), so the
/// timestamp is kept as local hours since 1970-01-01 plus the offset text for axis labels.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Stamp {
    /// Local wall-clock hours since 1970-01-01T00:00.
    pub hour: f64,
    /// The UTC offset as written (`-05:00`, `+00:00`, `Z`), or empty when there was none.
    pub offset: String,
}

/// Hours east of UTC of an offset as [`parse_stamp`] keeps it (`-05:00`, `+0530`, `+09`,
/// `-00:44:30`, `Z`; empty: 0).
fn offset_hours(o: &str) -> f64 {
    let sign = if o.starts_with('-') { -1.0 } else { 1.0 };
    let d: String = o.chars().filter(char::is_ascii_digit).collect();
    let h = d
        .get(..2)
        .and_then(|x| x.parse::<f64>().ok())
        .unwrap_or(0.0);
    let m = d
        .get(2..4)
        .and_then(|x| x.parse::<f64>().ok())
        .unwrap_or(0.0);
    let s = d
        .get(4..6)
        .and_then(|x| x.parse::<f64>().ok())
        .unwrap_or(0.0);
    sign * (h + m / 60.0 + s / 3600.0)
}

/// Parses `YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH:MM|±HHMM]`; `None` when it is not one.
pub(super) fn parse_stamp(text: &str) -> Option<Stamp> {
    let text = text.trim();
    let b = text.as_bytes();
    let digits = |s: &str| -> Option<i64> {
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    if b.len() < 16 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    if b[13] != b':' {
        return None;
    }
    let year = i32::try_from(digits(text.get(0..4)?)?).ok()?;
    let month = u32::try_from(digits(text.get(5..7)?)?).ok()?;
    let day = u32::try_from(digits(text.get(8..10)?)?).ok()?;
    let hour = digits(text.get(11..13)?)?;
    let minute = digits(text.get(14..16)?)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 24 || minute > 59 {
        return None;
    }
    let mut rest = text.get(16..)?;
    let mut second = 0.0;
    if let Some(r) = rest.strip_prefix(':') {
        let end = r
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(r.len());
        second = r.get(..end)?.parse::<f64>().ok()?;
        rest = r.get(end..)?;
    }
    let offset = match rest {
        "" | "Z" => rest.to_string(),
        _ => {
            let sign = rest.as_bytes()[0];
            let body = rest.get(1..)?;
            let ok = (sign == b'+' || sign == b'-')
                && match body.len() {
                    8 => {
                        body.as_bytes()[2] == b':'
                            && body.as_bytes()[5] == b':'
                            && [0..2, 3..5, 6..8]
                                .into_iter()
                                .all(|r| body.get(r).and_then(digits).is_some())
                    }
                    5 => {
                        body.as_bytes()[2] == b':'
                            && body.get(..2).and_then(digits).is_some()
                            && body.get(3..).and_then(digits).is_some()
                    }
                    4 => digits(body).is_some(),
                    2 => digits(body).is_some(),
                    _ => false,
                };
            if !ok {
                return None;
            }
            rest.to_string()
        }
    };
    let days = Date { year, month, day }.days_since_epoch();
    Some(Stamp {
        hour: days as f64 * 24.0 + hour as f64 + minute as f64 / 60.0 + second / 3600.0,
        offset,
    })
}

// ---------------------------------------------------------------------------------------------
// Generic CSV table: chosen columns by name
// ---------------------------------------------------------------------------------------------

/// The columns asked for from one CSV file.
pub(super) struct Table {
    pub path: PathBuf,
    pub text: HashMap<String, Vec<String>>,
    pub nums: HashMap<String, Vec<f64>>,
    /// The 1-based file line of each data row.
    pub lines: Vec<u64>,
}

impl Table {
    pub fn rows(&self) -> usize {
        self.lines.len()
    }
    pub fn num(&self, name: &str) -> Option<&[f64]> {
        self.nums.get(name).map(Vec::as_slice)
    }
    pub fn txt(&self, name: &str) -> Option<&[String]> {
        self.text.get(name).map(Vec::as_slice)
    }
}

/// Which columns to read from a file and how.
pub(super) struct Wanted<'a> {
    /// Text columns that must exist.
    pub text: &'a [&'a str],
    /// Numeric columns that must exist.
    pub required: &'a [&'a str],
    /// Numeric columns read when present.
    pub optional: &'a [&'a str],
}

fn csv_error(path: &Path, err: csv::Error) -> PlotError {
    let line = err.position().map(csv::Position::line);
    match err.into_kind() {
        csv::ErrorKind::Io(source) => PlotError::Read {
            path: path.to_path_buf(),
            source,
        },
        kind => PlotError::Csv {
            path: path.to_path_buf(),
            line,
            message: csv_kind_message(&kind),
        },
    }
}

fn csv_kind_message(kind: &csv::ErrorKind) -> String {
    match kind {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields as in the header, found {len}"),
        csv::ErrorKind::Utf8 { err, .. } => format!("invalid UTF-8: {err}"),
        other => format!("{other:?}"),
    }
}

/// Reads the wanted columns of a CSV file. Numbers must parse as `f64` (`NaN` is accepted and
/// later skipped by the plots); anything else is an error naming the line and column.
pub(super) fn read_table(path: &Path, wanted: &Wanted<'_>) -> Result<Table, PlotError> {
    let file = File::open(path).map_err(|source| PlotError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(std::io::BufReader::new(file));
    let headers = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    let index: HashMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (h, i)).collect();
    let find = |name: &str| -> Result<usize, PlotError> {
        index
            .get(name)
            .copied()
            .ok_or_else(|| PlotError::MissingColumn {
                path: path.to_path_buf(),
                column: name.to_string(),
            })
    };
    let mut text_cols = Vec::new();
    for &name in wanted.text {
        text_cols.push((name, find(name)?));
    }
    let mut num_cols = Vec::new();
    for &name in wanted.required {
        num_cols.push((name, find(name)?));
    }
    for &name in wanted.optional {
        if let Some(&i) = index.get(name) {
            num_cols.push((name, i));
        }
    }

    let mut table = Table {
        path: path.to_path_buf(),
        text: text_cols
            .iter()
            .map(|(n, _)| (n.to_string(), Vec::new()))
            .collect(),
        nums: num_cols
            .iter()
            .map(|(n, _)| (n.to_string(), Vec::new()))
            .collect(),
        lines: Vec::new(),
    };
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(path, e)),
        }
        let line = record
            .position()
            .map_or(table.lines.len() as u64 + 2, csv::Position::line);
        for &(name, i) in &text_cols {
            let cell = record.get(i).unwrap_or("");
            if let Some(col) = table.text.get_mut(name) {
                col.push(cell.to_string());
            }
        }
        for &(name, i) in &num_cols {
            let cell = record.get(i).unwrap_or("");
            let value = cell.parse::<f64>().map_err(|_| PlotError::BadValue {
                path: path.to_path_buf(),
                line,
                column: name.to_string(),
                found: cell.to_string(),
            })?;
            if let Some(col) = table.nums.get_mut(name) {
                col.push(value);
            }
        }
        table.lines.push(line);
    }
    Ok(table)
}

// ---------------------------------------------------------------------------------------------
// The run's files
// ---------------------------------------------------------------------------------------------

/// A metric's band across trials, hour by hour: the mean, the median and the run's lowest and
/// highest percentile (`lo_label`, `hi_label`: e.g. "P10", "P90").
pub(super) struct Band {
    pub mean: Vec<f64>,
    pub lo: Vec<f64>,
    pub p50: Vec<f64>,
    pub hi: Vec<f64>,
    pub lo_label: String,
    pub hi_label: String,
}

/// The percentile set of a run (summary.json's `percentiles`, in percent), or `None` for a run
/// folder written before the set was recorded (whose files carry P05/P50/P95 in hourly.csv and
/// P50/P90 in load_duration.csv).
pub(super) fn percentile_set(dir: &Path) -> Result<Option<Vec<f64>>, PlotError> {
    let path = dir.join("summary.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| PlotError::Csv {
        path: path.clone(),
        line: Some(e.line() as u64),
        message: format!("not valid JSON: {e}"),
    })?;
    let Some(list) = v.get("percentiles") else {
        return Ok(None);
    };
    let set: Option<Vec<f64>> = list
        .as_array()
        .and_then(|a| a.iter().map(serde_json::Value::as_f64).collect());
    match set {
        Some(s) if !s.is_empty() => Ok(Some(s)),
        _ => Err(PlotError::Csv {
            path,
            line: None,
            message: "field percentiles: expected a list of numbers".into(),
        }),
    }
}

/// What the plots need from `hourly.csv`.
pub(super) struct Hourly {
    /// Local wall-clock hour of each row (hour beginning).
    pub hour: Vec<f64>,
    /// UTC offset of the first row as written.
    pub offset: String,
    pub facility: Band,
    /// Mean IT power of each sector, in [`SECTORS`] order.
    pub sectors: [Vec<f64>; 5],
    pub it_total: Option<Vec<f64>>,
    pub pue: Option<Vec<f64>>,
    pub drybulb: Option<Vec<f64>>,
    /// Installed IT capacity of each row (mean over trials), when the run wrote it.
    pub installed_it: Option<Vec<f64>>,
}

impl Hourly {
    pub fn len(&self) -> usize {
        self.hour.len()
    }
}

fn take(table: &mut Table, name: &str) -> Option<Vec<f64>> {
    table.nums.remove(name)
}

fn need(table: &mut Table, name: &str) -> Result<Vec<f64>, PlotError> {
    take(table, name).ok_or_else(|| PlotError::MissingColumn {
        path: table.path.clone(),
        column: name.to_string(),
    })
}

/// Whether the first line of the CSV at `path` names column `name` (false if unreadable: the
/// reader then says what is wrong).
fn header_has(path: &Path, name: &str) -> bool {
    use std::io::BufRead as _;
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut line = String::new();
    let _ = std::io::BufReader::new(f).read_line(&mut line);
    line.trim_end().split(',').any(|c| c == name)
}

/// Reads `hourly.csv`; `lo` and `hi` are the band's edges in percent (the run's lowest and
/// highest percentile).
pub(super) fn read_hourly(path: &Path, lo: f64, hi: f64) -> Result<Hourly, PlotError> {
    let sector_cols: Vec<String> = SECTORS
        .iter()
        .map(|(s, _)| format!("it_{s}_mw_mean"))
        .collect();
    let lo_col = format!("facility_mw_{}", crate::base::stats::name(lo));
    let hi_col = format!("facility_mw_{}", crate::base::stats::name(hi));
    let mut required: Vec<&str> = vec![
        "facility_mw_mean",
        lo_col.as_str(),
        "facility_mw_p50",
        hi_col.as_str(),
    ];
    required.extend(sector_cols[..N_SECTORS].iter().map(String::as_str));
    required.dedup();
    // `[report] timestamps = "ending"` stamps each row with its end: the plots work on starts.
    let ending = header_has(path, "timestamp_ending");
    let stamp_col = if ending {
        "timestamp_ending"
    } else {
        "timestamp"
    };
    let mut table = read_table(
        path,
        &Wanted {
            text: &[stamp_col],
            required: &required,
            optional: &[
                "it_total_mw_mean",
                "pue_mean",
                "outdoor_drybulb_c_mean",
                "it_idle_unallocated_mw_mean",
                "installed_it_mw_mean",
            ],
        },
    )?;
    if table.rows() == 0 {
        return Err(PlotError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut hour = Vec::with_capacity(table.rows());
    let mut offset = String::new();
    let mut first_offset_h = 0.0;
    let stamps = table.txt(stamp_col).unwrap_or(&[]);
    for (i, text) in stamps.iter().enumerate() {
        let line = table.lines.get(i).copied().unwrap_or(i as u64 + 2);
        let mut stamp = parse_stamp(text).ok_or_else(|| PlotError::BadTimestamp {
            path: path.to_path_buf(),
            line,
            found: text.clone(),
        })?;
        // Prevailing time: the offset changes at daylight saving; the axis stays on the first
        // row's offset so the hours run on without a gap or a repeat.
        let off_h = offset_hours(&stamp.offset);
        if i == 0 {
            first_offset_h = off_h;
        }
        stamp.hour += first_offset_h - off_h - if ending { 1.0 } else { 0.0 };
        if let Some(&prev) = hour.last()
            && stamp.hour <= prev
        {
            return Err(PlotError::Csv {
                path: path.to_path_buf(),
                line: Some(line),
                message: format!("column {stamp_col}: {text} does not come after the row before"),
            });
        }
        if i == 0 {
            offset = stamp.offset.clone();
        }
        hour.push(stamp.hour);
    }
    let rows = table.rows();
    // A set whose lowest or highest percentile is the median shares its column.
    let p50 = need(&mut table, "facility_mw_p50")?;
    let mut edge = |col: &str| {
        if col == "facility_mw_p50" {
            Ok(p50.clone())
        } else {
            need(&mut table, col)
        }
    };
    let (lo_v, hi_v) = (edge(&lo_col)?, edge(&hi_col)?);
    let facility = Band {
        mean: need(&mut table, "facility_mw_mean")?,
        lo: lo_v,
        p50,
        hi: hi_v,
        lo_label: crate::base::stats::label(lo),
        hi_label: crate::base::stats::label(hi),
    };
    let sectors = [
        need(&mut table, &sector_cols[0])?,
        need(&mut table, &sector_cols[1])?,
        need(&mut table, &sector_cols[2])?,
        need(&mut table, &sector_cols[3])?,
        take(&mut table, &sector_cols[4]).unwrap_or_else(|| vec![0.0; rows]),
    ];
    Ok(Hourly {
        hour,
        offset,
        facility,
        sectors,
        it_total: take(&mut table, "it_total_mw_mean"),
        pue: take(&mut table, "pue_mean"),
        drybulb: take(&mut table, "outdoor_drybulb_c_mean"),
        installed_it: take(&mut table, "installed_it_mw_mean"),
    })
}

/// What the plots use from `trials.csv`: per-trial energy and peak, when the columns exist.
pub(super) struct Trials {
    pub count: usize,
    pub energy_mwh: Option<Vec<f64>>,
    pub peak_mw: Option<Vec<f64>>,
}

pub(super) fn read_trials(path: &Path) -> Result<Trials, PlotError> {
    let mut table = read_table(
        path,
        &Wanted {
            text: &[],
            required: &[],
            optional: &["energy_mwh", "peak_mw"],
        },
    )?;
    Ok(Trials {
        count: table.rows(),
        energy_mwh: take(&mut table, "energy_mwh"),
        peak_mw: take(&mut table, "peak_mw"),
    })
}

/// `load_duration.csv`: facility power sorted descending against hours exceeded, at the median
/// and at the run's highest percentile (`upper_label`).
pub(super) struct LoadDuration {
    pub hours_exceeded: Vec<f64>,
    pub p50: Vec<f64>,
    pub upper: Vec<f64>,
    pub upper_label: String,
}

/// Reads `load_duration.csv`; `hi` is the upper curve's percentile.
pub(super) fn read_load_duration(path: &Path, hi: f64) -> Result<LoadDuration, PlotError> {
    let hi_col = format!("facility_mw_{}", crate::base::stats::name(hi));
    let mut table = read_table(
        path,
        &Wanted {
            text: &[],
            required: &["hours_exceeded", "facility_mw_p50", hi_col.as_str()]
                [..if hi == 50.0 { 2 } else { 3 }],
            optional: &[],
        },
    )?;
    if table.rows() == 0 {
        return Err(PlotError::Empty {
            path: path.to_path_buf(),
        });
    }
    let upper = if hi == 50.0 {
        table
            .nums
            .get("facility_mw_p50")
            .cloned()
            .unwrap_or_default()
    } else {
        need(&mut table, &hi_col)?
    };
    Ok(LoadDuration {
        hours_exceeded: need(&mut table, "hours_exceeded")?,
        p50: need(&mut table, "facility_mw_p50")?,
        upper,
        upper_label: crate::base::stats::label(hi),
    })
}

/// One bar of the monthly plot.
pub(super) struct Month {
    pub label: String,
    /// Energy of each sector in [`SECTORS`] order, MWh.
    pub sectors_mwh: [f64; 5],
    /// Facility energy beyond IT (cooling, losses), MWh; 0 when unknown.
    pub overhead_mwh: f64,
    /// Hours of the month the study covers, and hours in the calendar month (`None` when unknown).
    pub coverage: Option<(usize, usize)>,
}

/// Monthly energy by sector from the hourly sector means: MW summed over the hours of each
/// calendar month is MWh (each row is one hour). The facility overhead is the facility mean minus
/// the IT mean (it_total, or the sum of the sectors when that column is absent).
pub(super) fn months_from_hourly(h: &Hourly) -> Vec<Month> {
    let mut out: Vec<(i64, Month)> = Vec::new();
    for i in 0..h.len() {
        let date = date_of_hour(h.hour[i]);
        let (y, m) = (date.year, date.month);
        let key = month_index(date);
        if out.last().map(|(k, _)| *k) != Some(key) {
            let label = format!("{} {y}", month_abbr(m));
            out.push((
                key,
                Month {
                    label,
                    sectors_mwh: [0.0; 5],
                    overhead_mwh: 0.0,
                    coverage: Some((0, days_in_month(y, m) as usize * 24)),
                },
            ));
        }
        let Some((_, month)) = out.last_mut() else {
            continue;
        };
        let mut it = 0.0;
        for (s, col) in h.sectors.iter().enumerate() {
            let v = finite_or_zero(col[i]);
            month.sectors_mwh[s] += v;
            it += v;
        }
        if let Some(total) = &h.it_total {
            it = finite_or_zero(total[i]);
        }
        month.overhead_mwh += (finite_or_zero(h.facility.mean[i]) - it).max(0.0);
        if let Some((covered, _)) = &mut month.coverage {
            *covered += 1;
        }
    }
    out.into_iter().map(|(_, m)| m).collect()
}

fn finite_or_zero(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

/// `monthly.csv` when it carries the sector columns (`consumer_mwh`, ...); `None` when it does not,
/// so the caller falls back to the hourly file.
pub(super) fn read_monthly(path: &Path) -> Result<Option<Vec<Month>>, PlotError> {
    let sector_cols: Vec<String> = SECTORS.iter().map(|(s, _)| format!("{s}_mwh")).collect();
    let mut optional: Vec<&str> = vec!["energy_mwh"];
    optional.extend(sector_cols.iter().map(String::as_str));
    let mut table = read_table(
        path,
        &Wanted {
            text: &["month"],
            required: &[],
            optional: &optional,
        },
    )?;
    if sector_cols[..N_SECTORS]
        .iter()
        .any(|c| table.num(c).is_none())
        || table.rows() == 0
    {
        return Ok(None);
    }
    let labels: Vec<String> = table
        .txt("month")
        .unwrap_or(&[])
        .iter()
        .map(|m| month_label(m))
        .collect();
    let energy = take(&mut table, "energy_mwh");
    let cols: Vec<Vec<f64>> = sector_cols
        .iter()
        .map(|c| take(&mut table, c).unwrap_or_default())
        .collect();
    let mut months = Vec::new();
    for (i, label) in labels.into_iter().enumerate() {
        let mut sectors_mwh = [0.0; 5];
        for (s, col) in cols.iter().enumerate() {
            sectors_mwh[s] = finite_or_zero(col.get(i).copied().unwrap_or(0.0));
        }
        let it: f64 = sectors_mwh.iter().sum();
        let overhead_mwh = energy
            .as_ref()
            .and_then(|e| e.get(i))
            .map_or(0.0, |&e| (finite_or_zero(e) - it).max(0.0));
        months.push(Month {
            label,
            sectors_mwh,
            overhead_mwh,
            coverage: None,
        });
    }
    Ok(Some(months))
}

/// `2025-07` (or `2025-07-01...`) becomes `Jul 2025`; `7` becomes `Jul`; anything else is kept.
fn month_label(text: &str) -> String {
    let t = text.trim();
    if let (Some(y), Some(m)) = (t.get(0..4), t.get(5..7))
        && t.as_bytes().get(4) == Some(&b'-')
        && let (Ok(y), Ok(m)) = (y.parse::<i64>(), m.parse::<u32>())
        && (1..=12).contains(&m)
    {
        return format!("{} {y}", month_abbr(m));
    }
    if let Ok(m) = t.parse::<u32>()
        && (1..=12).contains(&m)
    {
        return month_abbr(m).to_string();
    }
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_round_trips() {
        for days in [-1000, 0, 19_000, 20_089, 20_454, 30_000] {
            assert_eq!(Date::from_days_since_epoch(days).days_since_epoch(), days);
        }
        let monday = Date {
            year: 2025,
            month: 7,
            day: 14,
        };
        assert_eq!(monday.days_since_epoch(), 20_283);
        assert_eq!(weekday(monday.days_since_epoch()), 0);
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2025, 2), 28);
        assert_eq!(month_of_index(month_index(monday)).month, 7);
    }

    #[test]
    fn parses_timestamps() {
        let s = parse_stamp("2025-07-15T20:00:00-05:00").expect("valid");
        assert_eq!(s.offset, "-05:00");
        assert_eq!(
            date_of_hour(s.hour),
            Date {
                year: 2025,
                month: 7,
                day: 15
            }
        );
        assert_eq!(s.hour.rem_euclid(24.0), 20.0);
        assert!(parse_stamp("2025-02-30T00:00:00Z").is_none());
        assert!(parse_stamp("yesterday").is_none());
        assert!(parse_stamp("2025-07-15T20:00:00+0x:00").is_none());
        assert_eq!(month_label("2025-07"), "Jul 2025");
        assert_eq!(month_label("7"), "Jul");
    }
}

// ---------------------------------------------------------------------------------------------
// summary.json and dr_events.csv: what the titles and reference lines need
// ---------------------------------------------------------------------------------------------

/// What the charts take from `summary.json` besides the data: the run's name, a sweep variant's
/// swept values, and the capacities to draw as reference lines. All optional (a folder from an
/// older version, or written by hand, has none of them).
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Study {
    /// The run's `name`.
    pub run: Option<String>,
    /// For a sweep variant: `path = value` of each swept parameter, sorted by path.
    pub swept: Vec<String>,
    /// `[grid] import_limit_mw`.
    pub import_limit_mw: Option<f64>,
    /// Installed IT capacity (nameplate peak of the fleet), MW.
    pub installed_it_mw: Option<f64>,
    /// A fixed-PUE facility's PUE (installed facility capacity = IT × PUE).
    pub fixed_pue: Option<f64>,
    /// The study clock's IANA time zone (`time_zone`), when it is one (prevailing time).
    pub time_zone: Option<String>,
    /// `[report] week`: the first day (`YYYY-MM-DD`) of the sectors week.
    pub week: Option<String>,
    /// Each named entry of the run file's lists (`consumer[0]` → `chat`), longest path first:
    /// the names a reader gave, for labels instead of list indices.
    pub names: Vec<(String, String)>,
}

impl Study {
    /// A parameter path as the run file names it: `consumer[0].requests_per_day` →
    /// `chat requests_per_day` when `consumer[0]` has `name = "chat"`; unchanged otherwise.
    pub fn label(&self, path: &str) -> String {
        for (prefix, name) in &self.names {
            if let Some(rest) = path.strip_prefix(prefix.as_str())
                && let Some(rest) = rest.strip_prefix('.')
            {
                return format!("{name} {rest}");
            }
        }
        path.to_string()
    }
}

/// The named entries of every list in `v` (objects with a string `name`), as (path, name).
fn named_entries(v: &serde_json::Value, path: &str, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                named_entries(x, &p, out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let p = format!("{path}[{i}]");
                if let Some(name) = x.get("name").and_then(|n| n.as_str()) {
                    out.push((p.clone(), name.to_string()));
                }
                named_entries(x, &p, out);
            }
        }
        _ => {}
    }
}

/// Reads `summary.json` when present; `Ok(default)` when absent. A file that is not JSON is an
/// error naming it.
pub(super) fn read_study(path: &Path) -> Result<Study, PlotError> {
    if !path.exists() {
        return Ok(Study::default());
    }
    let text = std::fs::read_to_string(path).map_err(|source| PlotError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| PlotError::Csv {
        path: path.to_path_buf(),
        line: Some(e.line() as u64),
        message: format!("expected the run's summary (JSON): {e}"),
    })?;
    let num = |v: Option<&serde_json::Value>| v.and_then(serde_json::Value::as_f64);
    let config = v.get("config");
    let at = |path: &str| config.and_then(|c| json_path(c, path));
    let mut swept = Vec::new();
    if let Some(serde_json::Value::Object(sweep)) = config.and_then(|c| c.get("sweep")) {
        for key in sweep.keys() {
            if let Some(value) = at(key) {
                swept.push(format!("{key} = {}", json_value_text(value)));
            }
        }
    }
    let fixed_pue = match at("facility.kind").and_then(|k| k.as_str()) {
        Some("fixed") => num(at("facility.pue")),
        _ => None,
    };
    Ok(Study {
        run: v
            .get("run")
            .or_else(|| at("name"))
            .and_then(|r| r.as_str())
            .map(str::to_string),
        swept,
        import_limit_mw: num(at("grid.import_limit_mw")).filter(|x| x.is_finite() && *x > 0.0),
        installed_it_mw: num(v.get("installed_it_peak_mw")).filter(|x| x.is_finite() && *x > 0.0),
        fixed_pue: fixed_pue.filter(|x| x.is_finite() && *x >= 1.0),
        time_zone: at("time_zone")
            .and_then(|z| z.as_str())
            .filter(|z| !z.is_empty())
            .map(str::to_string),
        week: at("report.week")
            .and_then(|w| w.as_str())
            .map(str::to_string),
        names: {
            let mut names = Vec::new();
            if let Some(c) = config {
                named_entries(c, "", &mut names);
            }
            names.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
            names
        },
    })
}

/// The value at a sweep path like `facility.design_margin` or `consumer[0].requests_per_day`.
fn json_path<'a>(root: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    let mut v = root;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, Some(rest.strip_suffix(']')?.parse::<usize>().ok()?)),
            None => (part, None),
        };
        let name = name.trim_matches('"');
        if !name.is_empty() {
            v = v.get(name)?;
        }
        if let Some(i) = index {
            v = v.get(i)?;
        }
    }
    Some(v)
}

fn json_value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One demand-response event of one trial, on the plots' hour axis (see [`read_dr_events`]).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DrEvent {
    pub trial: usize,
    pub start: f64,
    pub hours: f64,
}

/// Reads `dr_events.csv` (columns `trial`, `start`, `hours`). `axis_offset` is the offset the
/// hour axis runs on (`hourly.csv`'s first row, see [`read_hourly`]): an event stamped with
/// another offset (prevailing time, the other side of a daylight-saving change) is placed by
/// its instant on that axis, so a 14:00 CDT event sits on the 14:00 CDT row of a study whose
/// axis runs on CST. A stamp without an offset is taken to be on the axis clock.
pub(super) fn read_dr_events(path: &Path, axis_offset: &str) -> Result<Vec<DrEvent>, PlotError> {
    let axis_h = offset_hours(axis_offset);
    let table = read_table(
        path,
        &Wanted {
            text: &["start"],
            required: &["trial", "hours"],
            optional: &[],
        },
    )?;
    let (Some(trial), Some(hours), Some(start)) =
        (table.num("trial"), table.num("hours"), table.txt("start"))
    else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(table.rows());
    for i in 0..table.rows() {
        let stamp = parse_stamp(&start[i]).ok_or_else(|| PlotError::BadTimestamp {
            path: path.to_path_buf(),
            line: table.lines.get(i).copied().unwrap_or(0),
            found: start[i].clone(),
        })?;
        let shift = if stamp.offset.is_empty() {
            0.0
        } else {
            axis_h - offset_hours(&stamp.offset)
        };
        out.push(DrEvent {
            trial: trial[i].max(0.0) as usize,
            start: stamp.hour + shift,
            hours: hours[i].max(0.0),
        });
    }
    Ok(out)
}
