//! Reading the system's hourly load: any mix of EIA-930 balance files ([`super::eia930`]) and
//! plain `timestamp,MW` CSVs ([`super::plain`]), merged into one record sorted by time.

use std::path::PathBuf;

use crate::base::error::Result;

use super::{Hour, SystemLoad, eia930, input_err};

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

/// A file's hours, each with its 1-based line (for errors naming where a duplicate stands).
pub(super) type Rows = Vec<(Hour, usize)>;

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
    let names = header(file, records.next())?;
    let (out, what) = if eia930::is_eia930(&names) {
        eia930::parse(file, &names, data_rows(file, records), opt)?
    } else {
        super::plain::parse(file, &names, data_rows(file, records), opt)?
    };
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

/// The header row's names, trimmed (a byte-order mark included).
fn header(file: &str, first: Option<csv::Result<csv::StringRecord>>) -> Result<Vec<String>> {
    match first {
        Some(Ok(r)) => Ok(r
            .iter()
            .map(|s| s.trim_start_matches('\u{feff}').trim().to_string())
            .collect()),
        Some(Err(e)) => Err(input_err(file, 1, 0, "", format!("not a CSV file: {e}"))),
        None => Err(input_err(
            file,
            0,
            0,
            "",
            "empty file: expected a header row and hourly rows",
        )),
    }
}

/// The rows after the header with their 1-based lines, blank rows skipped; a row the CSV reader
/// refuses is an error at its line.
pub(super) fn data_rows<'a>(
    file: &'a str,
    records: impl Iterator<Item = csv::Result<csv::StringRecord>> + 'a,
) -> impl Iterator<Item = Result<(usize, csv::StringRecord)>> + 'a {
    records.enumerate().filter_map(move |(i, rec)| {
        let line = i + 2;
        match rec {
            Err(e) => Some(Err(input_err(
                file,
                line,
                0,
                "",
                format!("bad CSV row: {e}"),
            ))),
            Ok(r) if r.iter().all(|f| f.is_empty()) => None,
            Ok(r) => Some(Ok((line, r))),
        }
    })
}
