//! A queue as a CSV file (`queue = "queue.csv"` in `[portfolio]`): one row per project, the
//! columns named as a `[[project]]` table's fields. Each row is read into the same project
//! table the TOML gives, with every value's place in the CSV, so a bad value is refused at its
//! file, line and column with the field's name, like one in the portfolio file.
//!
//! Columns: `name`, `zone`, `archetype`, `stage`, `online` (required), `mw` or `it_mw`, and
//! optionally `probability`, `delay_days`, `ramp_days`, `group`, `source`. Numbers only (a
//! distribution or phases need a `[[project]]` table); an empty cell is a field not given.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use crate::base::error::{Result, Source};
use crate::portfolio::spec::{NumSpec, ProjectSpec};

/// The queue's columns.
const COLUMNS: [&str; 12] = [
    "name",
    "zone",
    "archetype",
    "mw",
    "it_mw",
    "stage",
    "online",
    "probability",
    "delay_days",
    "ramp_days",
    "group",
    "source",
];
const REQUIRED: [&str; 5] = ["name", "zone", "archetype", "stage", "online"];

/// Most bytes of a queue file.
const MAX_BYTES: u64 = 64 << 20;

/// Reads the queue at `path` (named at `span` of the portfolio file `from`): its text as a
/// source for errors, and one project table per row.
pub(super) fn read(
    from: &Source,
    path: &Path,
    span: Range<usize>,
) -> Result<(Source, Vec<ProjectSpec>)> {
    if !path.is_file() {
        return Err(from.error_at(
            span,
            "queue",
            format!(
                "cannot read the queue {} (paths are relative to the portfolio file's folder)",
                path.display()
            ),
        ));
    }
    let text = crate::input::limits::read_text(path, MAX_BYTES)?;
    let src = Source::new(path.display().to_string(), text);
    let rows = parse(&src)?;
    Ok((src, rows))
}

/// A cell: its text and its byte range in the file.
type Cell<'a> = (&'a str, Range<usize>);

fn parse(src: &Source) -> Result<Vec<ProjectSpec>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(src.text.as_bytes());
    let mut records = rdr.records();
    let header = match records.next() {
        Some(Ok(r)) => r,
        Some(Err(e)) => return Err(src.error_at(0..0, "", format!("not a CSV file: {e}"))),
        None => return Err(src.error_at(0..0, "name", "empty queue: expected a header row naming the columns (name,zone,archetype,mw,stage,online,...)")),
    };
    let columns = header_columns(src, &header)?;
    let mut out = Vec::new();
    for rec in records {
        let rec = rec.map_err(|e| {
            let at = e.position().map_or(0, |p| p.byte() as usize);
            src.error_at(at..at, "row", format!("bad CSV row: {e}"))
        })?;
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if out.len() >= crate::portfolio::spec::MAX_PROJECTS {
            return Err(src.error_at(0..0, "name", "too many rows"));
        }
        let start = rec.position().map_or(0, |p| p.byte() as usize);
        let starts = field_starts(&src.text, start, rec.len());
        let cells: Vec<Cell> = rec
            .iter()
            .enumerate()
            .map(|(k, f)| {
                let at = starts.get(k).copied().unwrap_or(start);
                (f.trim(), at..at + f.len())
            })
            .collect();
        out.push(row(src, &columns, &cells, start)?);
    }
    Ok(out)
}

/// Each header cell's column index in [`COLUMNS`]; unknown or repeated names refused, the
/// required ones checked.
fn header_columns(src: &Source, header: &csv::StringRecord) -> Result<Vec<usize>> {
    let starts = field_starts(&src.text, 0, header.len());
    let mut cols = Vec::new();
    for (k, h) in header.iter().enumerate() {
        let h = h.trim_start_matches('\u{feff}').trim();
        let at = starts.get(k).copied().unwrap_or(0);
        let c = crate::input::names::resolve("queue column", h, &COLUMNS)
            .map_err(|m| src.error_at(at..at, h, m))?;
        if cols.contains(&c) {
            return Err(src.error_at(at..at, h, format!("column {h:?} appears twice")));
        }
        cols.push(c);
    }
    for r in REQUIRED {
        if !cols.iter().any(|&c| COLUMNS[c] == r) {
            return Err(src.error_at(
                0..0,
                r,
                format!(
                    "the queue has no `{r}` column: expected columns {}",
                    COLUMNS.join(",")
                ),
            ));
        }
    }
    Ok(cols)
}

/// One row as a project table.
fn row(src: &Source, columns: &[usize], cells: &[Cell], start: usize) -> Result<ProjectSpec> {
    let get = |name: &str| -> Option<&Cell> {
        let c = COLUMNS.iter().position(|x| *x == name)?;
        let k = columns.iter().position(|x| *x == c)?;
        cells.get(k).filter(|(t, _)| !t.is_empty())
    };
    let text = |name: &str| -> Result<Option<Spanned<String>>> {
        Ok(get(name).map(|(t, r)| Spanned::new(r.clone(), (*t).to_string())))
    };
    let need = |name: &str| -> Result<Spanned<String>> {
        text(name)?.ok_or_else(|| {
            src.error_at(
                start..start,
                name,
                format!("expected a value in column `{name}`"),
            )
        })
    };
    let number = |name: &str| -> Result<Option<Spanned<f64>>> {
        get(name)
            .map(|(t, r)| {
                t.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .map(|x| Spanned::new(r.clone(), x))
                    .ok_or_else(|| {
                        src.error_at(r.clone(), name, format!("expected a number, found {t:?}"))
                    })
            })
            .transpose()
    };
    let num_spec = |name: &str| -> Result<Option<Spanned<NumSpec>>> {
        Ok(number(name)?.map(|v| Spanned::new(v.span(), NumSpec::Num(*v.get_ref()))))
    };
    Ok(ProjectSpec {
        name: need("name")?,
        zone: need("zone")?,
        archetype: need("archetype")?,
        mw: num_spec("mw")?,
        it_mw: num_spec("it_mw")?,
        stage: need("stage")?,
        online: Some(need("online")?),
        phases: None,
        probability: number("probability")?,
        delay_days: num_spec("delay_days")?,
        ramp_days: number("ramp_days")?,
        group: text("group")?,
        source: get("source").map(|(t, _)| (*t).to_string()),
    })
}

/// Byte offsets in `text` of the first `n` fields of the CSV row starting at `start` (commas
/// inside double quotes do not split).
fn field_starts(text: &str, start: usize, n: usize) -> Vec<usize> {
    let b = text.as_bytes();
    let mut out = vec![start];
    let mut quoted = false;
    let mut i = start;
    while i < b.len() && out.len() < n {
        match b[i] {
            b'"' => quoted = !quoted,
            b',' if !quoted => out.push(i + 1),
            b'\n' if !quoted => break,
            _ => {}
        }
        i += 1;
    }
    out
}
