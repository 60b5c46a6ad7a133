//! Grid carbon intensity (issue 5, "carbon and cost"): a 12 x 24 month-by-hour profile of grid
//! CO2 intensity per grid region ([`CarbonProfile`]), and a reader for measured hourly series
//! ([`read_hourly_csv`]). Nothing here panics on bad input: a malformed file gives a
//! [`GridError`] naming the file, the 1-based line and the field, e.g.
//! `models/grid/x.toml:9: hourly_g_per_kwh[2][5]: negative value -3 (Mar, hour 5) ...`.
//!
//! A region file `models/grid/<region>.toml`:
//!
//! ```toml
//! name = "pjm"
//! source = "..."                 # full citation(s)
//! kind = "average"               # optional: "average" (default) or "marginal" emissions
//! basis = "..."                  # optional: what is counted (direct CO2, lifecycle CO2e, ...)
//! annual_mean_g_per_kwh = 375.9  # optional: the sourced annual figure the table is scaled to
//! utc_offset = "-05:00"          # the clock of the profile's hours (standard time, no DST)
//! # 12 rows (Jan..Dec) x 24 columns (local hour 0..23), gCO2/kWh
//! hourly_g_per_kwh = [[...24 values...], ...12 rows...]
//! ```

use serde::Deserialize;
use toml::Spanned;

use super::input::{FileAt, GridError, read_file, toml_error};
use crate::model::weather::month_days;

/// Month abbreviations, for messages.
pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Whether a profile gives average emissions (all generation serving load) or marginal emissions
/// (the generation that responds to a change in load).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EmissionsKind {
    #[default]
    Average,
    Marginal,
}

/// Hour-of-day by month grid carbon intensity for one region, gCO2/kWh.
#[derive(Clone, Debug, PartialEq)]
pub struct CarbonProfile {
    name: String,
    source: String,
    kind: EmissionsKind,
    basis: Option<String>,
    stated_annual_mean: Option<f64>,
    utc_offset_s: i32,
    /// `[month0][local_hour]`, gCO2/kWh, all finite and >= 0.
    values: [[f64; 24]; 12],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: Spanned<String>,
    source: Spanned<String>,
    #[serde(default)]
    kind: Option<Spanned<String>>,
    #[serde(default)]
    basis: Option<Spanned<String>>,
    #[serde(default)]
    annual_mean_g_per_kwh: Option<Spanned<f64>>,
    utc_offset: Spanned<String>,
    hourly_g_per_kwh: Spanned<Vec<Spanned<Vec<Spanned<f64>>>>>,
}

impl CarbonProfile {
    /// Parses and validates a region profile from TOML text. `file` is used only in error
    /// messages (normally the path). Errors name the file, the line and the field, e.g.
    /// `models/grid/x.toml:7: hourly_g_per_kwh: expected 12 rows (Jan..Dec), found 11`.
    pub fn from_toml(file: &str, text: &str) -> Result<CarbonProfile, GridError> {
        let raw: RawProfile = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
        let at = FileAt {
            file,
            text,
            prefix: "",
        };
        if raw.name.get_ref().trim().is_empty() {
            return Err(at.err(raw.name.span(), "name", "must not be empty"));
        }
        if raw.source.get_ref().trim().is_empty() {
            return Err(at.err(
                raw.source.span(),
                "source",
                "must cite where the figures come from",
            ));
        }
        let kind = match &raw.kind {
            None => EmissionsKind::Average,
            Some(k) => match k.get_ref().as_str() {
                "average" => EmissionsKind::Average,
                "marginal" => EmissionsKind::Marginal,
                other => {
                    return Err(at.err(
                        k.span(),
                        "kind",
                        format!("expected \"average\" or \"marginal\", found {other:?}"),
                    ));
                }
            },
        };
        let utc_offset_s = parse_utc_offset(raw.utc_offset.get_ref())
            .map_err(|msg| at.err(raw.utc_offset.span(), "utc_offset", msg))?;
        let stated_annual_mean = match &raw.annual_mean_g_per_kwh {
            None => None,
            Some(v) => {
                let x = *v.get_ref();
                if !x.is_finite() || x < 0.0 {
                    return Err(at.err(
                        v.span(),
                        "annual_mean_g_per_kwh",
                        format!("expected a finite value >= 0, found {x}"),
                    ));
                }
                Some(x)
            }
        };
        let values = month_by_hour(&at, &raw.hourly_g_per_kwh)?;
        Ok(CarbonProfile {
            name: raw.name.into_inner(),
            source: raw.source.into_inner(),
            kind,
            basis: raw.basis.map(|b| b.into_inner()),
            stated_annual_mean,
            utc_offset_s,
            values,
        })
    }

    /// Reads and parses a region file (see [`CarbonProfile::from_toml`]).
    pub fn load(path: &std::path::Path) -> Result<CarbonProfile, GridError> {
        let (shown, text) = read_file(path)?;
        Self::from_toml(&shown, &text)
    }

    /// Intensity in gCO2/kWh for a month (0 = January) and a local hour (0..23) on the profile's
    /// clock ([`CarbonProfile::utc_offset_s`]). Out-of-range arguments wrap (`month0 % 12`,
    /// `local_hour % 24`), so hour-of-year arithmetic needs no clamping.
    pub fn g_per_kwh(&self, month0: usize, local_hour: usize) -> f64 {
        debug_assert!(
            month0 < 12 && local_hour < 24,
            "month0 {month0}, hour {local_hour}"
        );
        self.values[month0 % 12][local_hour % 24]
    }

    /// Offset of the profile's clock from UTC, seconds (east positive): local = UTC + offset.
    pub fn utc_offset_s(&self) -> i32 {
        self.utc_offset_s
    }

    /// Region name as given in the file.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file's citation(s).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Average or marginal emissions.
    pub fn kind(&self) -> EmissionsKind {
        self.kind
    }

    /// What the figures count (e.g. direct CO2 of generation, or lifecycle CO2e), if stated.
    pub fn basis(&self) -> Option<&str> {
        self.basis.as_deref()
    }

    /// The annual average the file says the table was scaled to, if stated.
    pub fn stated_annual_mean_g_per_kwh(&self) -> Option<f64> {
        self.stated_annual_mean
    }

    /// The whole table, `[month0][local_hour]`.
    pub fn values(&self) -> &[[f64; 24]; 12] {
        &self.values
    }

    /// Time-weighted annual mean of the table over a 365-day year (each month weighted by its
    /// days), g/kWh. This is the mean a constant load would see.
    pub fn annual_mean_g_per_kwh(&self) -> f64 {
        let mut sum = 0.0;
        for (m, row) in self.values.iter().enumerate() {
            sum += f64::from(month_days(m)) * row.iter().sum::<f64>();
        }
        sum / (365.0 * 24.0)
    }
}

/// The 12 x 24 table of `hourly_g_per_kwh`: 12 rows of 24 finite values >= 0.
fn month_by_hour(
    at: &FileAt,
    table: &Spanned<Vec<Spanned<Vec<Spanned<f64>>>>>,
) -> Result<[[f64; 24]; 12], GridError> {
    let rows = table.get_ref();
    if rows.len() != 12 {
        return Err(at.err(
            table.span(),
            "hourly_g_per_kwh",
            format!(
                "expected 12 rows (Jan..Dec) of 24 hourly values, found {} rows",
                rows.len()
            ),
        ));
    }
    let mut values = [[0.0; 24]; 12];
    for (m, row) in rows.iter().enumerate() {
        if row.get_ref().len() != 24 {
            return Err(at.err(
                row.span(),
                &format!("hourly_g_per_kwh[{m}]"),
                format!(
                    "row {} ({}): expected 24 values (local hours 0..23), found {}",
                    m + 1,
                    MONTHS[m],
                    row.get_ref().len()
                ),
            ));
        }
        for (h, v) in row.get_ref().iter().enumerate() {
            let x = *v.get_ref();
            let field = format!("hourly_g_per_kwh[{m}][{h}]");
            if !x.is_finite() {
                return Err(at.err(
                    v.span(),
                    &field,
                    format!("value {x} ({}, hour {h}) is not finite", MONTHS[m]),
                ));
            }
            if x < 0.0 {
                return Err(at.err(
                    v.span(),
                    &field,
                    format!(
                        "negative value {x} ({}, hour {h}); intensities must be >= 0 g/kWh",
                        MONTHS[m]
                    ),
                ));
            }
            values[m][h] = x;
        }
    }
    Ok(values)
}

/// Parses `"+HH:MM"`, `"-HH:MM"` (or `"Z"`) into seconds east of UTC.
fn parse_utc_offset(s: &str) -> Result<i32, String> {
    let bad = || format!("expected an offset like \"-05:00\" or \"+09:00\", found {s:?}");
    let t = s.trim();
    if t == "Z" {
        return Ok(0);
    }
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    let (hh, mm) = rest.split_once(':').ok_or_else(bad)?;
    if hh.len() != 2 || mm.len() != 2 {
        return Err(bad());
    }
    let h: i32 = hh.parse().map_err(|_| bad())?;
    let m: i32 = mm.parse().map_err(|_| bad())?;
    if h > 14 || m > 59 {
        return Err(format!(
            "offset {s:?} out of range (hours 0..=14, minutes 0..=59)"
        ));
    }
    Ok(sign * (h * 3600 + m * 60))
}

/// Reads a measured hourly intensity series from CSV text: a header row naming a column
/// `g_per_kwh` (other columns, such as `timestamp`, are ignored), then one row per hour. Blank
/// lines and lines starting with `#` are skipped; fields may be double-quoted. Returns the values
/// in file order. A bad row (missing column, unparsable, non-finite or negative value) is an
/// error naming the 1-based line and the column.
pub fn read_hourly_csv(file: &str, text: &str) -> Result<Vec<f64>, GridError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let (header_line, header) = lines.next().ok_or_else(|| {
        GridError::input(
            file,
            Some(1),
            "header",
            "empty file; expected a header row with a `g_per_kwh` column",
        )
    })?;
    let names: Vec<String> = split_csv(header)
        .into_iter()
        .map(|f| f.trim().to_ascii_lowercase())
        .collect();
    let col = names.iter().position(|n| n == "g_per_kwh").ok_or_else(|| {
        GridError::input(
            file,
            Some(header_line),
            "header",
            format!(
                "no `g_per_kwh` column (found columns: {})",
                names.join(", ")
            ),
        )
    })?;
    let field = format!("column {} (g_per_kwh)", col + 1);

    let mut out = Vec::new();
    for (line, row) in lines {
        let fields = split_csv(row);
        let x = match fields.get(col) {
            Some(raw) => intensity(raw.trim()),
            None => Err(format!(
                "row has {} column(s); the header has {}",
                fields.len(),
                names.len()
            )),
        }
        .map_err(|msg| GridError::input(file, Some(line), &field, msg))?;
        out.push(x);
    }
    if out.is_empty() {
        return Err(GridError::input(
            file,
            Some(header_line),
            &field,
            "no data rows after the header",
        ));
    }
    Ok(out)
}

/// One hour's intensity as written in a CSV: a finite number of gCO2/kWh, >= 0 and below the
/// dirtiest grids' figure.
fn intensity(raw: &str) -> Result<f64, String> {
    use crate::input::limits::{MAX_CARBON_G_PER_KWH, num};
    let x: f64 = raw
        .parse()
        .map_err(|_| format!("cannot read {raw:?} as a number of gCO2/kWh"))?;
    if !x.is_finite() {
        return Err(format!("value {raw:?} is not finite"));
    }
    if x < 0.0 {
        return Err(format!(
            "negative value {}; intensities must be >= 0 g/kWh",
            num(x)
        ));
    }
    if x > MAX_CARBON_G_PER_KWH {
        return Err(format!(
            "value {} is above {} gCO2/kWh (the dirtiest grids are near 1,100)",
            num(x),
            num(MAX_CARBON_G_PER_KWH)
        ));
    }
    Ok(x)
}

/// Splits one CSV line on commas, honouring double-quoted fields (`""` inside quotes is a quote).
fn split_csv(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid profile text whose value at (month m, hour h) is `m * 100 + h`.
    fn profile_text(rows: usize) -> String {
        let mut s = String::from(
            "name = \"t\"\nsource = \"test\"\nutc_offset = \"-05:00\"\nhourly_g_per_kwh = [\n",
        );
        for m in 0..rows {
            let row: Vec<String> = (0..24).map(|h| format!("{}", m * 100 + h)).collect();
            s.push_str(&format!("  [{}],\n", row.join(", ")));
        }
        s.push_str("]\n");
        s
    }

    #[test]
    fn lookup_by_month_and_hour() {
        let p = CarbonProfile::from_toml("t.toml", &profile_text(12)).unwrap();
        assert_eq!(p.g_per_kwh(0, 0), 0.0);
        assert_eq!(p.g_per_kwh(0, 23), 23.0);
        assert_eq!(p.g_per_kwh(6, 13), 613.0);
        assert_eq!(p.g_per_kwh(11, 5), 1105.0);
        assert_eq!(p.utc_offset_s(), -5 * 3600);
        assert_eq!(p.kind(), EmissionsKind::Average);
    }

    #[test]
    fn eleven_rows_names_line_and_field() {
        let text = profile_text(11);
        let e = CarbonProfile::from_toml("t.toml", &text).unwrap_err();
        assert_eq!(e.line(), Some(4), "{e}");
        assert_eq!(e.field(), Some("hourly_g_per_kwh"));
        assert!(e.to_string().contains("found 11 rows"), "{e}");
        assert!(
            e.to_string().starts_with("t.toml:4: hourly_g_per_kwh: "),
            "{e}"
        );
    }

    #[test]
    fn bad_values_name_their_line_and_field() {
        // Rows start on line 5 (Jan).
        for (from, to, line, field, says) in [
            // Apr is the fourth row.
            (
                "  [300, 301, ",
                "  [301, ",
                8,
                "hourly_g_per_kwh[3]",
                "found 23",
            ),
            (
                "[200, 201, 202, 203, 204, 205,",
                "[200, 201, 202, 203, 204, -3,",
                7,
                "hourly_g_per_kwh[2][5]",
                "negative value -3",
            ),
            ("[100, 101,", "[nan, 101,", 6, "hourly_g_per_kwh[1][0]", ""),
        ] {
            let text = profile_text(12).replace(from, to);
            let e = CarbonProfile::from_toml("t.toml", &text).unwrap_err();
            assert_eq!((e.line(), e.field()), (Some(line), Some(field)), "{e}");
            assert!(e.to_string().contains(says), "{e}");
        }
    }

    #[test]
    fn missing_field_names_line_and_field() {
        let text = profile_text(12).replace("utc_offset = \"-05:00\"\n", "");
        let e = CarbonProfile::from_toml("t.toml", &text).unwrap_err();
        assert_eq!(e.field(), Some("utc_offset"), "{e}");
        assert!(e.line().is_some(), "{e}");
        assert!(e.to_string().contains("missing field"), "{e}");
    }

    #[test]
    fn unknown_field_and_bad_type_name_their_lines() {
        let text =
            profile_text(12).replace("source = \"test\"\n", "source = \"test\"\nsorce = 1\n");
        let e = CarbonProfile::from_toml("t.toml", &text).unwrap_err();
        assert_eq!((e.line(), e.field()), (Some(3), Some("sorce")), "{e}");

        let text = profile_text(12).replace("[100, 101,", "[\"x\", 101,");
        let e = CarbonProfile::from_toml("t.toml", &text).unwrap_err();
        assert_eq!(
            (e.line(), e.field()),
            (Some(6), Some("hourly_g_per_kwh")),
            "{e}"
        );
    }

    #[test]
    fn utc_offsets_parse() {
        assert_eq!(parse_utc_offset("+09:00"), Ok(9 * 3600));
        assert_eq!(parse_utc_offset("-07:00"), Ok(-7 * 3600));
        assert_eq!(parse_utc_offset("+05:30"), Ok(5 * 3600 + 1800));
        assert_eq!(parse_utc_offset("Z"), Ok(0));
        assert!(parse_utc_offset("-5").is_err());
        assert!(parse_utc_offset("+15:00").is_err());
        let text = profile_text(12).replace("\"-05:00\"", "\"EST\"");
        let e = CarbonProfile::from_toml("t.toml", &text).unwrap_err();
        assert_eq!((e.line(), e.field()), (Some(3), Some("utc_offset")), "{e}");
    }

    #[test]
    fn annual_mean_weights_months_by_days() {
        let mut text = String::from(
            "name = \"c\"\nsource = \"s\"\nutc_offset = \"Z\"\nhourly_g_per_kwh = [\n",
        );
        for m in 0..12 {
            let v = if m == 1 { 365.0 } else { 0.0 };
            let row = vec![format!("{v}"); 24].join(", ");
            text.push_str(&format!("[{row}],\n"));
        }
        text.push_str("]\n");
        let p = CarbonProfile::from_toml("c.toml", &text).unwrap();
        assert!((p.annual_mean_g_per_kwh() - 28.0).abs() < 1e-12);
    }

    #[test]
    fn csv_reads_values_and_ignores_timestamp() {
        let text =
            "timestamp,g_per_kwh\n2023-01-01T00:00Z,310.5\n\"2023-01-01T01:00Z\",\"298\"\n\n";
        assert_eq!(read_hourly_csv("h.csv", text).unwrap(), vec![310.5, 298.0]);
        let text = "g_per_kwh\r\n1\r\n2\r\n";
        assert_eq!(read_hourly_csv("h.csv", text).unwrap(), vec![1.0, 2.0]);
    }

    #[test]
    fn csv_bad_row_names_line_and_column() {
        let text = "timestamp,g_per_kwh\nt0,310\nt1,abc\nt2,300\n";
        let e = read_hourly_csv("h.csv", text).unwrap_err();
        assert_eq!(e.line(), Some(3), "{e}");
        assert_eq!(e.field(), Some("column 2 (g_per_kwh)"));
        assert_eq!(
            e.to_string(),
            "h.csv:3: column 2 (g_per_kwh): cannot read \"abc\" as a number of gCO2/kWh"
        );

        let e = read_hourly_csv("h.csv", "timestamp,g_per_kwh\nt0,310\nt1,-2\n").unwrap_err();
        assert_eq!(e.line(), Some(3), "{e}");
        assert!(e.to_string().contains("negative"), "{e}");

        let e = read_hourly_csv("h.csv", "timestamp,g_per_kwh\nt0\n").unwrap_err();
        assert_eq!(e.line(), Some(2), "{e}");

        let e = read_hourly_csv("h.csv", "timestamp,co2\nt0,1\n").unwrap_err();
        assert_eq!((e.line(), e.field()), (Some(1), Some("header")), "{e}");

        let e = read_hourly_csv("h.csv", "").unwrap_err();
        assert_eq!(e.line(), Some(1), "{e}");
    }
}

/// The profile library shipped in `models/grid` must load and match its stated annual means.
#[cfg(test)]
pub(super) mod library_tests {
    use super::*;
    use std::path::{Path, PathBuf};

    pub(crate) fn toml_files(sub: &str) -> Vec<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("models")
            .join(sub);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        files
    }

    pub(crate) fn stem(p: &Path) -> String {
        p.file_stem().unwrap().to_string_lossy().into_owned()
    }

    #[test]
    fn every_grid_profile_loads_and_matches_its_annual_mean() {
        let files = toml_files("grid");
        let names: Vec<String> = files.iter().map(|p| stem(p)).collect();
        for want in [
            "pjm", "ercot", "aps", "ie", "de", "hu", "se1", "jp-tokyo", "sg",
        ] {
            assert!(
                names.iter().any(|n| n == want),
                "models/grid/{want}.toml missing"
            );
        }
        for path in &files {
            let p = CarbonProfile::load(path).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                p.name(),
                stem(path),
                "{}: name must match the file",
                path.display()
            );
            assert!(
                p.basis().is_some(),
                "{}: say what is counted (basis)",
                path.display()
            );
            let stated = p
                .stated_annual_mean_g_per_kwh()
                .unwrap_or_else(|| panic!("{}: annual_mean_g_per_kwh missing", path.display()));
            let mean = p.annual_mean_g_per_kwh();
            assert!(
                (mean / stated - 1.0).abs() <= 0.01,
                "{}: table mean {mean:.2} vs stated {stated}",
                path.display()
            );
            // Offsets are whole or half hours east/west of UTC.
            assert_eq!(p.utc_offset_s() % 1800, 0, "{}", path.display());
        }
    }
}
