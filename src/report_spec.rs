//! The `[report]` table of a run file: which calendar years of the study clock get their own
//! 8760/8784-hour files (`load_8760_YYYY.csv`, `monthly_YYYY.csv`, `load_duration_YYYY.csv`).
//! Without the table nothing extra is written.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::time::{Calendar, Date, SimTime};

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    /// Calendar years of the study clock, each fully inside the horizon; `--years` overrides.
    #[serde(default)]
    pub years: Vec<i32>,
}

/// The hour rows `[h0, h1)` of calendar year `year` on the study clock, or why it is not fully
/// inside the horizon (`horizon_s` seconds from `start`).
pub fn year_hours(
    cal: &Calendar,
    _start: Date,
    horizon_s: u64,
    year: i32,
) -> Result<Range<usize>, String> {
    // Local midnight of 1 January on the study clock, in sim seconds (prevailing time: the
    // daylight-saving hours gained and lost within the year cancel, so a year is 8760 rows).
    let at = |y: i32| {
        cal.from_local_s_compatible(
            Date {
                year: y,
                month: 1,
                day: 1,
            }
            .days_since_epoch()
                * 86_400,
        )
    };
    let (s0, s1) = (at(year), at(year.saturating_add(1)));
    if s0 < 0 || s1 > horizon_s as i64 {
        return Err(format!(
            "year {year} is not fully inside the horizon ({} to {}); expected a calendar year \
             between those",
            cal.timestamp(SimTime(0)),
            cal.timestamp(SimTime(horizon_s))
        ));
    }
    if s0 % 3600 != 0 || s1 % 3600 != 0 {
        return Err(format!(
            "year {year} does not begin on a whole hour of the study ({}): the study clock's \
             offset changed by less than an hour since the start; expected a year whose \
             1 January has the start's offset",
            cal.describe()
        ));
    }
    Ok((s0 / 3600) as usize..(s1 / 3600) as usize)
}

/// Resolved years: `(year, hour rows)`, in the order given, duplicates dropped.
pub fn resolve_years(
    cal: &Calendar,
    start: Date,
    horizon_s: u64,
    years: &[i32],
) -> Result<Vec<(i32, Range<usize>)>, String> {
    let mut out: Vec<(i32, Range<usize>)> = Vec::new();
    for &y in years {
        if out.iter().any(|(z, _)| *z == y) {
            continue;
        }
        out.push((y, year_hours(cal, start, horizon_s, y)?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_rows_and_leap_years() {
        let start = Date::parse("2027-01-01").unwrap();
        let cal = Calendar::new(start, 0);
        let horizon = (365 + 366) * 86_400;
        assert_eq!(year_hours(&cal, start, horizon, 2027).unwrap(), 0..8760);
        assert_eq!(
            year_hours(&cal, start, horizon, 2028).unwrap(),
            8760..8760 + 8784
        );
        let e = year_hours(&cal, start, horizon, 2029).unwrap_err();
        assert!(e.contains("2027-01-01T00:00:00+00:00"), "{e}");
        assert!(e.contains("2029-01-01T00:00:00+00:00"), "{e}");
        assert!(year_hours(&cal, start, horizon, 2026).is_err());
        // A horizon one hour short of the year's end does not hold it.
        assert!(year_hours(&cal, start, 8759 * 3600, 2027).is_err());
    }
}
