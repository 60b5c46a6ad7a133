//! EIA-930 balance files (the six-month `BALANCE` CSVs): one balancing authority's demand column,
//! timed by UTC end of hour where the file has it, and dated on the local calendar (for the
//! seasons and for placing a study's profile).

use crate::base::error::{Error, Result};
use crate::base::time::Date;

use super::stamp::{
    date_of_hour, first_hour, hour_of_day, parse_date, parse_load_mw, parse_stamp, utc_hour,
};
use super::system_load::ReadOptions;
use super::{Hour, input_err};

/// Columns only EIA-930 files have: any of them marks a file as one.
const MARKERS: [&str; 3] = [
    "Balancing Authority",
    "UTC Time at End of Hour",
    "Data Date",
];

fn find(names: &[String], n: &str) -> Option<usize> {
    names.iter().position(|h| h.eq_ignore_ascii_case(n))
}

/// Whether a header is an EIA-930 balance file's.
pub(super) fn is_eia930(names: &[String]) -> bool {
    MARKERS.iter().any(|c| find(names, c).is_some())
}

/// Where the fields are.
struct Columns {
    demand: usize,
    ba: Option<usize>,
    utc: Option<usize>,
    date: Option<usize>,
    hour: Option<usize>,
    local: Option<usize>,
}

impl Columns {
    /// The demand column asked for and the time columns, or an error naming what is missing.
    fn find(file: &str, names: &[String], opt: &ReadOptions) -> Result<Columns> {
        let want = opt.column.clone().unwrap_or_else(|| "Demand (MW)".into());
        let demand = find(names, &want).ok_or_else(|| {
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
        let c = Columns {
            demand,
            ba: find(names, "Balancing Authority"),
            utc: find(names, "UTC Time at End of Hour"),
            date: find(names, "Data Date"),
            hour: find(names, "Hour Number"),
            local: find(names, "Local Time at End of Hour"),
        };
        if c.utc.is_none() && (c.date.is_none() || c.hour.is_none()) {
            return Err(input_err(
                file,
                1,
                0,
                "UTC Time at End of Hour",
                "expected the EIA-930 time columns `UTC Time at End of Hour` (or `Data Date` and `Hour Number`)",
            ));
        }
        if c.date.is_none() && c.local.is_none() {
            return Err(input_err(
                file,
                1,
                0,
                "Data Date",
                "expected `Data Date` and `Hour Number` or `Local Time at End of Hour` (the local calendar, for the seasons)",
            ));
        }
        Ok(c)
    }
}

/// Parses an EIA-930 file's rows (after its header `names`): the chosen balancing authority's
/// hours with their lines, and what was read.
pub(super) fn parse(
    file: &str,
    names: &[String],
    rows: impl Iterator<Item = Result<(usize, csv::StringRecord)>>,
    opt: &ReadOptions,
) -> Result<(Vec<(Hour, usize)>, String)> {
    let cols = Columns::find(file, names, opt)?;
    // Every row first: which BAs the file holds decides which rows to keep.
    let rows: Vec<(usize, csv::StringRecord)> = rows.collect::<Result<_>>()?;
    let ba = choose_ba(file, opt, cols.ba, &rows)?;
    let what = format!(
        "EIA-930 {}, column `{}`",
        ba.clone().unwrap_or_else(|| "(no BA column)".into()),
        names[cols.demand]
    );
    let mut out = Vec::new();
    for (line, rec) in rows {
        if let (Some(c), Some(b)) = (cols.ba, &ba)
            && rec.get(c) != Some(b.as_str())
        {
            continue;
        }
        out.push((parse_row(file, names, &cols, line, &rec)?, line));
    }
    Ok((out, what))
}

/// The balancing authority to read: the one asked for, or the only one in the file.
fn choose_ba(
    file: &str,
    opt: &ReadOptions,
    ba_col: Option<usize>,
    rows: &[(usize, csv::StringRecord)],
) -> Result<Option<String>> {
    let Some(c) = ba_col else {
        return Ok(None);
    };
    let mut bas: Vec<String> = Vec::new();
    for (_, rec) in rows {
        let b = rec.get(c).unwrap_or("").to_string();
        if !bas.contains(&b) {
            bas.push(b);
        }
    }
    match &opt.ba {
        Some(want) => {
            let found = bas.iter().find(|b| b.eq_ignore_ascii_case(want)).cloned();
            Ok(Some(found.ok_or_else(|| {
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
            })?))
        }
        None if bas.len() > 1 => Err(Error::Option {
            option: "--ba".into(),
            msg: format!(
                "{file} holds {} balancing authorities ({}): choose one with --ba CODE",
                bas.len(),
                bas.join(", ")
            ),
        }),
        None => Ok(bas.first().cloned()),
    }
}

/// One row's hour: its demand, its local calendar and its instant.
fn parse_row(
    file: &str,
    names: &[String],
    cols: &Columns,
    line: usize,
    rec: &csv::StringRecord,
) -> Result<Hour> {
    let field = |c: usize| rec.get(c).unwrap_or("");
    let dcol = cols.demand;
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
    let mw = parse_load_mw(file, line, dcol, &names[dcol], cell)?;
    let (local_idx, date, hour) = local_hour(file, names, cols, line, &field)?;
    let index = match cols.utc {
        Some(uc) => {
            let (end, offset, ..) = parse_stamp(file, line, uc, &names[uc], field(uc))?;
            utc_hour(end, offset) - 1
        }
        None => local_idx,
    };
    Ok(Hour {
        index,
        year: date.year,
        month: date.month as u8,
        day: date.day as u8,
        hour,
        mw,
    })
}

/// The row's hour on the local calendar (seasons, shape alignment): `Data Date` + `Hour Number`
/// (hour ending), or the local end-of-hour time. Returns (local hours since 1970 of the hour's
/// beginning, its date, its hour of day).
fn local_hour<'r>(
    file: &str,
    names: &[String],
    cols: &Columns,
    line: usize,
    field: &impl Fn(usize) -> &'r str,
) -> Result<(i64, Date, u8)> {
    if let (Some(dc), Some(hc)) = (cols.date, cols.hour) {
        let date = parse_date(field(dc)).ok_or_else(|| {
            input_err(
                file,
                line,
                dc + 1,
                &names[dc],
                format!("expected a date MM/DD/YYYY, found `{}`", field(dc)),
            )
        })?;
        let hn: i64 = field(hc)
            .trim()
            .parse()
            .ok()
            .filter(|h| (1..=25).contains(h))
            .ok_or_else(|| {
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
        Ok((first_hour(date) + hn - 1, date, (hn - 1).min(23) as u8))
    } else {
        let lc = cols.local.unwrap_or(0);
        let (end, _, _, _, _) = parse_stamp(file, line, lc, &names[lc], field(lc))?;
        // End of hour -> the hour's beginning.
        Ok((end - 1, date_of_hour(end - 1), hour_of_day(end - 1)))
    }
}
