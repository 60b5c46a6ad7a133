//! Reader for EnergyPlus weather files (EPW).
//!
//! An EPW file is plain comma-separated text: 8 header lines (LOCATION,
//! DESIGN CONDITIONS, TYPICAL/EXTREME PERIODS, GROUND TEMPERATURES,
//! HOLIDAYS/DAYLIGHT SAVINGS, COMMENTS 1, COMMENTS 2, DATA PERIODS), then
//! one row per hour: 8760 rows, or 8784 for a leap year. Each row starts
//!
//! | field | index | content |
//! |---|---|---|
//! | 1 | 0 | year |
//! | 2 | 1 | month, 1-12 |
//! | 3 | 2 | day of month, 1-31 |
//! | 4 | 3 | hour, 1-24 (hour ending) |
//! | 5 | 4 | minute |
//! | 6 | 5 | data source and uncertainty flags |
//! | 7 | 6 | dry bulb temperature, C (missing: 99.9) |
//! | 8 | 7 | dew point temperature, C (missing: 99.9) |
//! | 9 | 8 | relative humidity, % (missing: 999) |
//!
//! followed by radiation, wind and other fields this reader ignores. Only
//! the first 9 fields are read; rows are returned in file order, so a leap
//! year gives 8784 hours.

use std::path::Path;

use super::psychro::wet_bulb_c;
use super::{WeatherError, WeatherHour};
use crate::base::error::Location;

/// Header lines before the first data row.
pub const EPW_HEADER_LINES: usize = 8;
/// Data rows in a non-leap-year file.
pub const EPW_ROWS: usize = 8760;
/// Data rows in a leap-year file.
pub const EPW_ROWS_LEAP: usize = 8784;
/// Fields a data row must have at least (through relative humidity).
const MIN_FIELDS: usize = 9;

/// Names of the first 9 fields (1-based field `n` is `FIELD_NAMES[n - 1]`).
const FIELD_NAMES: [&str; MIN_FIELDS] = [
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "data source and uncertainty flags",
    "dry bulb temperature",
    "dew point temperature",
    "relative humidity",
];

/// Longest piece of offending text quoted in an error message, characters.
const QUOTE_MAX: usize = 40;

/// Parse EPW text. `path_for_errors` is used only in messages, which read
/// like `weather/x.epw:12: field 7 (dry bulb temperature): expected a
/// number, found "abc"`. Returns one [`WeatherHour`] per data row (8760,
/// or 8784 for a leap year), with wet bulb from Stull (2011) on the file's
/// dry bulb and relative humidity. Never panics.
///
/// Checks: the first line starts with `LOCATION`; at least 8 header lines;
/// every data row has at least 9 comma-separated fields; month 1-12, day
/// valid for the month (29 February allowed), hour 1-24; dry bulb, dew
/// point and relative humidity are finite numbers, not the EPW missing
/// codes (99.9 C, 99.9 C, 999 %), within the EPW ranges (−70..70 C,
/// −70..70 C, 0..110 %); 8760 or 8784 data rows. Blank lines at the end
/// are ignored; a blank line among the data is an error. Relative humidity
/// above 100 % is clamped to 100 %.
pub fn read_epw(path_for_errors: &str, text: &str) -> Result<Vec<WeatherHour>, WeatherError> {
    let at = |line: usize| Location {
        file: path_for_errors.to_string(),
        line: Some(line),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));

    for n in 1..=EPW_HEADER_LINES {
        let Some((line_no, line)) = lines.next() else {
            return Err(WeatherError::Epw {
                location: at(n),
                message: format!(
                    "file ends after {} line(s); an EPW file has {EPW_HEADER_LINES} header lines \
                     (LOCATION .. DATA PERIODS) before the hourly data",
                    n - 1
                ),
            });
        };
        if n == 1
            && !line
                .trim_start()
                .to_ascii_uppercase()
                .starts_with("LOCATION")
        {
            return Err(WeatherError::Epw {
                location: at(line_no),
                message: format!(
                    "not an EPW file: the first line should start with LOCATION, found {}",
                    quote(line)
                ),
            });
        }
    }

    let mut hours = Vec::with_capacity(EPW_ROWS_LEAP);
    let mut blank_at: Option<usize> = None;
    let mut last_data_line = EPW_HEADER_LINES;
    for (line_no, line) in lines {
        if line.trim().is_empty() {
            blank_at.get_or_insert(line_no);
            continue;
        }
        if let Some(blank) = blank_at {
            return Err(WeatherError::Epw {
                location: at(blank),
                message: "empty line among the hourly data".to_string(),
            });
        }
        if hours.len() == EPW_ROWS_LEAP {
            return Err(WeatherError::Epw {
                location: at(line_no),
                message: format!(
                    "too many data rows: this is row {}, an EPW file has {EPW_ROWS} \
                     (or {EPW_ROWS_LEAP} for a leap year)",
                    EPW_ROWS_LEAP + 1
                ),
            });
        }
        hours.push(parse_row(&at(line_no), line)?);
        last_data_line = line_no;
    }

    if hours.len() != EPW_ROWS && hours.len() != EPW_ROWS_LEAP {
        return Err(WeatherError::Epw {
            location: at(last_data_line),
            message: format!(
                "file ends after {} data row(s) (lines {}..={last_data_line}); an EPW file has \
                 {EPW_ROWS} (or {EPW_ROWS_LEAP} for a leap year)",
                hours.len(),
                EPW_HEADER_LINES + 1
            ),
        });
    }
    Ok(hours)
}

/// The time zone of an EPW file's data, hours east of UTC: field 9 of the LOCATION header
/// line (`LOCATION,city,state,country,source,WMO,latitude,longitude,time zone,elevation`).
/// EPW data rows are in the local *standard* time of that zone (no daylight saving). Errors
/// name the file, line 1 and the field; the zone must be a number in -12..=14.
pub fn epw_time_zone_h(path_for_errors: &str, text: &str) -> Result<f64, WeatherError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let line = text.lines().next().unwrap_or("");
    let fields: Vec<&str> = line.split(',').collect();
    let location = Location {
        file: path_for_errors.to_string(),
        line: Some(1),
    };
    let Some(raw) = fields.get(8) else {
        return Err(WeatherError::Epw {
            location,
            message: format!(
                "LOCATION line has {} field(s); field 9 (time zone, hours from UTC) is needed to \
                 place the hours on the study clock",
                fields.len()
            ),
        });
    };
    match raw.trim().parse::<f64>() {
        Ok(tz) if tz.is_finite() && (-12.0..=14.0).contains(&tz) => Ok(tz),
        _ => Err(WeatherError::Epw {
            location,
            message: format!(
                "LOCATION field 9 (time zone): expected hours from UTC in -12..=14, found {}",
                quote(raw)
            ),
        }),
    }
}

/// Read and parse an EPW file (see [`read_epw`]). EPW files are ASCII in
/// practice; bytes that are not UTF-8 are replaced before parsing.
pub fn load_epw(path: &Path) -> Result<Vec<WeatherHour>, WeatherError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| WeatherError::Io(crate::base::error::ReadError::new(&shown, e)))?;
    read_epw(&shown, &String::from_utf8_lossy(&bytes))
}

fn parse_row(at: &Location, line: &str) -> Result<WeatherHour, WeatherError> {
    let fields: Vec<&str> = line.splitn(MIN_FIELDS + 1, ',').collect();
    if fields.len() < MIN_FIELDS {
        return Err(WeatherError::Epw {
            location: at.clone(),
            message: format!(
                "expected at least {MIN_FIELDS} comma-separated fields (year, month, day, hour, \
                 minute, flags, dry bulb, dew point, relative humidity), found {}",
                fields.len()
            ),
        });
    }
    let field_err = |index: usize, message: String| WeatherError::EpwField {
        location: at.clone(),
        field: index + 1,
        field_name: FIELD_NAMES[index],
        message,
    };

    let _year =
        whole(fields[0]).ok_or_else(|| field_err(0, expected("a whole number", fields[0])))?;
    let month =
        whole(fields[1]).ok_or_else(|| field_err(1, expected("a whole number", fields[1])))?;
    if !(1..=12).contains(&month) {
        return Err(field_err(1, format!("expected 1..=12, found {month}")));
    }
    let day =
        whole(fields[2]).ok_or_else(|| field_err(2, expected("a whole number", fields[2])))?;
    let last_day = days_in_month(month);
    if !(1..=last_day).contains(&day) {
        return Err(field_err(
            2,
            format!("expected 1..={last_day} for month {month}, found {day}"),
        ));
    }
    let hour =
        whole(fields[3]).ok_or_else(|| field_err(3, expected("a whole number", fields[3])))?;
    if !(1..=24).contains(&hour) {
        return Err(field_err(3, format!("expected 1..=24, found {hour}")));
    }

    let dry = measured(fields[6], 99.9, -70.0, 70.0).map_err(|m| field_err(6, m))?;
    let _dew = measured(fields[7], 99.9, -70.0, 70.0).map_err(|m| field_err(7, m))?;
    let rh = measured(fields[8], 999.0, 0.0, 110.0).map_err(|m| field_err(8, m))?;
    let rh = rh.min(100.0);
    Ok(WeatherHour {
        dry_bulb_c: dry,
        wet_bulb_c: wet_bulb_c(dry, rh),
        rel_humidity_pct: rh,
    })
}

/// Parse a measurement, rejecting the missing-value code `missing` (and
/// anything at or above it) and values outside `lo..=hi`.
fn measured(raw: &str, missing: f64, lo: f64, hi: f64) -> Result<f64, String> {
    let v = number(raw).ok_or_else(|| expected("a number", raw))?;
    if v >= missing {
        return Err(format!("missing value ({})", raw.trim()));
    }
    if !(lo..=hi).contains(&v) {
        return Err(format!("{v} is outside the valid range {lo}..={hi}"));
    }
    Ok(v)
}

fn number(raw: &str) -> Option<f64> {
    raw.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A whole number, written as an integer or as a float with no fraction
/// (`"7"` or `"7.0"`).
fn whole(raw: &str) -> Option<i64> {
    let s = raw.trim();
    if let Ok(v) = s.parse::<i64>() {
        return Some(v);
    }
    let v = number(s)?;
    (v.fract() == 0.0 && v.abs() < 1e15).then_some(v as i64)
}

/// The most days month `1..=12` has in any year (29 for February): a row's day is checked
/// against it whatever the row's year field says: a typical-year file takes each month from a
/// different year, and a leap year's file holds 29 February.
fn days_in_month(month: i64) -> i64 {
    const LEAP_YEAR: i32 = 2000;
    i64::from(crate::base::time::days_in_month(LEAP_YEAR, month as u32))
}

fn expected(what: &str, raw: &str) -> String {
    format!("expected {what}, found {}", quote(raw))
}

/// `raw` in double quotes, shortened to [`QUOTE_MAX`] characters.
fn quote(raw: &str) -> String {
    let mut s: String = raw.chars().take(QUOTE_MAX).collect();
    if raw.chars().nth(QUOTE_MAX).is_some() {
        s.push('…');
    }
    format!("{s:?}")
}

#[cfg(test)]
mod tests {
    use super::super::psychro::rel_humidity_from_dew_point;
    use super::*;
    use proptest::prelude::*;

    const HEADER: [&str; EPW_HEADER_LINES] = [
        "LOCATION,Testville,XX,USA,TMY3,999999,40.00,-80.00,-5.0,300.0",
        "DESIGN CONDITIONS,0",
        "TYPICAL/EXTREME PERIODS,0",
        "GROUND TEMPERATURES,0",
        "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
        "COMMENTS 1,synthetic test file",
        "COMMENTS 2,",
        "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
    ];

    #[test]
    fn time_zone_from_the_location_line() {
        let text = HEADER.join("\n");
        assert_eq!(epw_time_zone_h("x.epw", &text).unwrap(), -5.0);
        let india = text.replace("-80.00,-5.0,", "77.2,5.5,");
        assert_eq!(epw_time_zone_h("x.epw", &india).unwrap(), 5.5);
        for bad in ["-80.00,abc,", "-80.00,15.0,"] {
            let e = epw_time_zone_h("x.epw", &text.replace("-80.00,-5.0,", bad))
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("x.epw:1: LOCATION field 9 (time zone)"),
                "{e}"
            );
        }
        let e = epw_time_zone_h("x.epw", "LOCATION,Testville,XX\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.epw:1:") && e.contains("field 9"), "{e}");
    }

    const MONTHS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

    /// A valid EPW text: header plus one row per hour of a 365-day year
    /// (or 366 with `leap`), with a smooth seasonal and diurnal cycle.
    fn fixture(leap: bool) -> String {
        let mut out = HEADER.join("\n");
        out.push('\n');
        let mut hour_index = 0usize;
        for (m, &days) in MONTHS.iter().enumerate() {
            let days = if leap && m == 1 { 29 } else { days };
            for d in 1..=days {
                for h in 1..=24 {
                    let t = hour_index as f64;
                    let season = -(2.0 * std::f64::consts::PI * t / 8760.0).cos();
                    let diurnal = -(2.0 * std::f64::consts::PI * (t - 3.0) / 24.0).cos();
                    let dry = 12.0 + 12.0 * season + 5.0 * diurnal;
                    let dew = 6.0 + 10.0 * season;
                    let dew = dew.min(dry);
                    let rh = rel_humidity_from_dew_point(dry, dew).round();
                    out.push_str(&format!(
                        "{},{},{},{},60,?9?9?9?9E0?9?9?9?9?9?9?9?9?9?9?9?9?9?9?9*9*9?9?9?9,{:.1},{:.1},{},98000,0,0,300,0,0,0,0,0,0,0,180,2.0,5,5,16.0,77777,9,999999999,1,0.1,0,88,0.0,0.0,0.0\n",
                        2001,
                        m + 1,
                        d,
                        h,
                        dry,
                        dew,
                        rh
                    ));
                    hour_index += 1;
                }
            }
        }
        out
    }

    /// Replace 1-based line `line` of `text` with `with`.
    fn replace_line(text: &str, line: usize, with: &str) -> String {
        let mut lines: Vec<&str> = text.lines().collect();
        lines[line - 1] = with;
        lines.join("\n") + "\n"
    }

    fn line(text: &str, n: usize) -> String {
        text.lines().nth(n - 1).unwrap().to_string()
    }

    /// The error of a parse that must fail (without printing 8760 hours
    /// if it does not).
    fn err(result: Result<Vec<WeatherHour>, WeatherError>) -> WeatherError {
        match result {
            Ok(hours) => panic!("expected an error, parsed {} hours", hours.len()),
            Err(e) => e,
        }
    }

    /// Data row 20 is file line 8 + 20 = 28.
    const ROW20: usize = EPW_HEADER_LINES + 20;

    #[test]
    fn parses_valid_fixture() {
        let text = fixture(false);
        let hours = read_epw("weather/test.epw", &text).unwrap();
        assert_eq!(hours.len(), 8760);
        // Row 1 of the fixture: t = 0.
        let first = hours[0];
        assert!(
            (first.dry_bulb_c
                - line(&text, 9)
                    .split(',')
                    .nth(6)
                    .unwrap()
                    .parse::<f64>()
                    .unwrap())
            .abs()
                < 1e-9
        );
        for h in &hours {
            assert!(h.wet_bulb_c <= h.dry_bulb_c);
            assert!((0.0..=100.0).contains(&h.rel_humidity_pct));
        }
        let jan: f64 = hours[..744].iter().map(|h| h.dry_bulb_c).sum::<f64>() / 744.0;
        let jul: f64 = hours[4344..5088].iter().map(|h| h.dry_bulb_c).sum::<f64>() / 744.0;
        assert!(jul > jan + 15.0);
    }

    #[test]
    fn parses_leap_year_crlf_bom_and_trailing_blank_lines() {
        let text = format!("\u{feff}{}\n\n", fixture(true).replace('\n', "\r\n"));
        let hours = read_epw("leap.epw", &text).unwrap();
        assert_eq!(hours.len(), 8784);
    }

    #[test]
    fn bad_number_on_row_20() {
        let text = fixture(false);
        let row = line(&text, ROW20);
        let mut fields: Vec<&str> = row.split(',').collect();
        fields[6] = "abc";
        let e = err(read_epw(
            "weather/foo.epw",
            &replace_line(&text, ROW20, &fields.join(",")),
        ));
        assert_eq!(
            e.to_string(),
            "weather/foo.epw:28: field 7 (dry bulb temperature): expected a number, found \"abc\""
        );
        assert_eq!(e.line(), Some(28));
    }

    #[test]
    fn too_few_fields() {
        let text = fixture(false);
        let e = err(read_epw(
            "f.epw",
            &replace_line(&text, 100, "2001,1,5,4,60,flags,3.2,1.0"),
        ));
        let shown = e.to_string();
        assert!(
            shown.starts_with("f.epw:100: expected at least 9"),
            "{shown}"
        );
        assert!(shown.contains("found 8"), "{shown}");
    }

    #[test]
    fn wrong_row_count() {
        let text = fixture(false);
        // Drop the last row: 8759 rows, last data line 8767.
        let short: String = text
            .lines()
            .take(EPW_HEADER_LINES + 8759)
            .map(|l| format!("{l}\n"))
            .collect();
        let e = err(read_epw("s.epw", &short));
        assert!(
            e.to_string()
                .starts_with("s.epw:8767: file ends after 8759 data row(s)"),
            "{e}"
        );
        // One extra row: 8761 rows.
        let extra = format!("{text}{}\n", line(&text, 9));
        let e = err(read_epw("s.epw", &extra));
        assert!(
            e.to_string()
                .starts_with("s.epw:8769: file ends after 8761 data row(s)"),
            "{e}"
        );
        // More than a leap year: error at the first row too many.
        let leap = fixture(true);
        let extra = format!("{leap}{}\n", line(&leap, 9));
        let e = err(read_epw("s.epw", &extra));
        assert!(
            e.to_string().starts_with("s.epw:8793: too many data rows"),
            "{e}"
        );
        // Header only.
        let e = err(read_epw("s.epw", &(HEADER.join("\n") + "\n")));
        assert!(
            e.to_string()
                .starts_with("s.epw:8: file ends after 0 data row(s)"),
            "{e}"
        );
    }

    #[test]
    fn other_field_errors() {
        let text = fixture(false);
        let row = line(&text, ROW20);
        let cases: [(usize, &str, &str); 11] = [
            (1, "13", "field 2 (month): expected 1..=12, found 13"),
            (
                2,
                "32",
                "field 3 (day): expected 1..=31 for month 1, found 32",
            ),
            (3, "0", "field 4 (hour): expected 1..=24, found 0"),
            (
                3,
                "x",
                "field 4 (hour): expected a whole number, found \"x\"",
            ),
            (0, "", "field 1 (year): expected a whole number, found \"\""),
            (
                6,
                "NaN",
                "field 7 (dry bulb temperature): expected a number",
            ),
            (6, "-80", "field 7 (dry bulb temperature): -80 is outside"),
            (8, "-5", "field 9 (relative humidity): -5 is outside"),
            // The missing-value codes.
            (6, "99.9", "field 7 (dry bulb temperature): missing value"),
            (7, "99.9", "field 8 (dew point temperature): missing value"),
            (8, "999", "field 9 (relative humidity): missing value"),
        ];
        for (index, value, message) in cases {
            let mut fields: Vec<&str> = row.split(',').collect();
            fields[index] = value;
            let e = err(read_epw(
                "o.epw",
                &replace_line(&text, ROW20, &fields.join(",")),
            ));
            let shown = e.to_string();
            assert!(
                shown.starts_with(&format!("o.epw:28: {message}")),
                "{value}: {shown}"
            );
        }
        // 30 February.
        let feb = line(&text, EPW_HEADER_LINES + 31 * 24 + 1);
        let mut fields: Vec<&str> = feb.split(',').collect();
        fields[2] = "30";
        let e = err(read_epw(
            "o.epw",
            &replace_line(&text, EPW_HEADER_LINES + 31 * 24 + 1, &fields.join(",")),
        ));
        assert!(
            e.to_string()
                .contains("field 3 (day): expected 1..=29 for month 2"),
            "{e}"
        );
    }

    #[test]
    fn header_errors() {
        let text = fixture(false);
        let e = err(read_epw("h.epw", &replace_line(&text, 1, "NOT AN EPW")));
        assert!(e.to_string().starts_with("h.epw:1: not an EPW file"), "{e}");
        let e = err(read_epw("h.epw", "LOCATION,x\nDESIGN CONDITIONS,0\n"));
        assert!(
            e.to_string()
                .starts_with("h.epw:3: file ends after 2 line(s)"),
            "{e}"
        );
        let e = err(read_epw("h.epw", ""));
        assert!(e.to_string().starts_with("h.epw:1: "), "{e}");
        let blank = replace_line(&text, 500, "");
        let e = err(read_epw("h.epw", &blank));
        assert!(e.to_string().starts_with("h.epw:500: empty line"), "{e}");
    }

    #[test]
    fn long_garbage_is_quoted_briefly() {
        let text = fixture(false);
        let row = line(&text, ROW20);
        let mut fields: Vec<&str> = row.split(',').collect();
        let junk = "é".repeat(500);
        fields[7] = &junk;
        let e = err(read_epw(
            "g.epw",
            &replace_line(&text, ROW20, &fields.join(",")),
        ));
        assert!(e.to_string().len() < 200, "{e}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn never_panics_on_random_text(text in "\\PC{0,400}") {
            let _ = read_epw("fuzz.epw", &text);
        }

        #[test]
        fn never_panics_on_random_lines(lines in proptest::collection::vec("[0-9,.\\-a-zA-Z ?*é]{0,60}", 0..40)) {
            let text = format!("{}\n{}", HEADER.join("\n"), lines.join("\n"));
            let _ = read_epw("fuzz.epw", &text);
        }

        #[test]
        fn never_panics_on_a_mutated_valid_file(
            at in 1usize..8800,
            junk in "[0-9,.\\-a-zA-Z ?*\r]{0,80}",
            cut in proptest::option::of(0usize..400_000),
        ) {
            let text = fixture(false);
            let n = text.lines().count();
            let mut mutated = replace_line(&text, 1 + at % n, &junk);
            if let Some(cut) = cut {
                let mut c = cut.min(mutated.len());
                while !mutated.is_char_boundary(c) {
                    c -= 1;
                }
                mutated.truncate(c);
            }
            let result = read_epw("fuzz.epw", &mutated);
            if let Err(e) = result {
                prop_assert!(e.line().is_some());
            }
        }
    }
}
