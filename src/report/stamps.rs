//! How the hourly, interval and 8760 files stamp their rows (`[report] timestamps`).
//!
//! Interval-beginning (the default): one `timestamp` column, the row's start as an ISO instant
//! with its offset. Interval-ending, the convention utilities exchange load data in (ERCOT's
//! `DeliveryDate`, `HourEnding`, `DSTFlag`): `timestamp_ending` (the row's end instant), `date`
//! (the operating day: the local date of the row's start, so the hour ending at midnight is
//! hour ending 24 of the day before), `he` (hour ending, 1-24 on the study clock), `interval`
//! (1-4 for 15-minute rows within their hour; only for rows shorter than an hour) and
//! `dst_flag` (`Y` on the second occurrence of the repeated hour when daylight saving ends,
//! `N` otherwise). The spring day has 23 rows, hour ending 3 missing; the autumn day 25, hour
//! ending 2 twice.

use crate::base::time::{Date, SimTime};
use crate::input::report_spec::Timestamps;
use crate::scenario::Scenario;

/// Stamps rows of `len_s` seconds of one study.
pub struct Stamper<'a> {
    sc: &'a Scenario,
    ending: bool,
    len_s: u64,
}

impl<'a> Stamper<'a> {
    pub fn new(sc: &'a Scenario, len_s: u64) -> Stamper<'a> {
        Stamper {
            sc,
            ending: timestamps(sc) == Timestamps::Ending,
            len_s,
        }
    }

    /// The stamp columns of the header (no separator around them).
    pub fn header(&self) -> &'static str {
        match (self.ending, self.len_s < 3600) {
            (false, _) => "timestamp",
            (true, false) => "timestamp_ending,date,he,dst_flag",
            (true, true) => "timestamp_ending,date,he,interval,dst_flag",
        }
    }

    /// The stamp fields of the row starting `start_s` seconds into the study.
    pub fn push(&self, out: &mut String, start_s: u64) {
        let cal = &self.sc.calendar;
        if !self.ending {
            cal.push_timestamp(out, SimTime(start_s));
            return;
        }
        // A partial last hour ends at the horizon.
        let end = (start_s + self.len_s).min(self.sc.horizon_s.max(start_s + 1));
        cal.push_timestamp(out, SimTime(end));
        // Rows of an hour or more are numbered by their last hour.
        let at = start_s + self.len_s.max(3600) - 3600;
        let local = cal.local_s(at as i64);
        let sod = local.rem_euclid(86_400);
        let date = Date::from_days_since_epoch(local.div_euclid(86_400));
        let _ = std::fmt::Write::write_fmt(out, format_args!(",{date},{}", sod / 3600 + 1));
        if self.len_s < 3600 {
            let _ = std::fmt::Write::write_fmt(
                out,
                format_args!(",{}", (sod % 3600) as u64 / self.len_s + 1),
            );
        }
        // The wall clock an hour earlier was ahead of it: this hour is the repeat.
        let t = at as i64;
        let repeated = cal.offset_at(t) < cal.offset_at(t - 3600);
        out.push_str(if repeated { ",Y" } else { ",N" });
    }
}

/// The study's `[report] timestamps` (interval-beginning unless it says otherwise).
pub fn timestamps(sc: &Scenario) -> Timestamps {
    sc.spec
        .report
        .as_ref()
        .and_then(|r| r.timestamps)
        .unwrap_or_default()
}
