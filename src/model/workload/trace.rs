//! Replaying a request trace (the Azure LLM inference trace format) on its own clock.
//!
//! The CSV has a header `TIMESTAMP,ContextTokens,GeneratedTokens` and one row per request, sorted
//! by time. Each request lands at the instant it was recorded: a timestamp with its own offset
//! (`Z`, `+01:00`) is that instant; one without (or a plain number of seconds since 1970-01-01)
//! is read in the clock the run file states (the trace table's `utc_offset`, else the class's,
//! else the study's), so by default a request recorded at 18:17 lands at 18:17 on the study clock.
//!
//! The trace repeats with a period that lays whole copies on the calendar: a trace spanning less
//! than a day repeats every P, the shortest period longer than its span that divides a day into
//! whole minutes (or divides a minute into whole seconds): 1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15,
//! 16, 18, 20, 24, 30 ... minutes, 1 h, 72 min, 1.5 h, 2 h, 3 h, 4 h, 6 h, 8 h, 12 h or 24 h. Every day, one
//! copy then sits exactly on its recorded time of day (a 57-minute trace repeats hourly, on the
//! minute it was recorded). A trace spanning a day or more repeats in whole weeks, so every copy
//! keeps its recorded weekdays and times of day (days of the week it does not cover stay empty).
//! The trace's own rate is its requests per period.
//!
//! Each request's work is `model_scale * (input / prefill + output / decode)` accelerator-seconds
//! on the serving hardware. Arrivals in a step are the requests whose instant falls in the step's
//! window, found by binary search in prefix sums: O(log n) a step, no allocation.

use crate::base::error::{Error, Result};
use crate::base::time::Date;

#[derive(Clone, Debug)]
pub struct Trace {
    /// Seconds since the first request, ascending.
    times: Vec<f64>,
    /// Prefix sums of work (accelerator-seconds); `cum_work[i]` = work of requests `0..i`.
    cum_work: Vec<f64>,
    pub period_s: f64,
    pub requests: usize,
    pub total_work: f64,
    /// The first request's instant, seconds since 1970-01-01 00:00 UTC.
    pub first_utc_s: f64,
    /// Where the study start falls in the period (seconds after a copy's first request).
    phase_s: f64,
    /// Naive timestamps read on a prevailing-time study clock: the trace is laid on that wall
    /// clock (see [`Trace::on_wall_clock`]).
    wall: Option<crate::base::time::Calendar>,
}

/// How to read a trace's timestamps.
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceClock {
    /// The run file's `utc_offset` on the trace table, seconds east of UTC, if given.
    pub stated_offset_s: Option<i32>,
    /// The offset used for timestamps without one when the trace table states none.
    pub default_offset_s: i32,
    /// The study start (local midnight of the start date), seconds since 1970-01-01 UTC.
    pub study_start_utc_s: i64,
}

/// One parsed trace row: (instant, seconds since the epoch UTC; input tokens; output tokens).
type Row = (f64, f64, f64);

/// Periods a sub-day trace may repeat with: divisors of a day in whole minutes, and divisors of
/// a minute in whole seconds, ascending.
fn day_divisors_s() -> Vec<f64> {
    let mut v: Vec<u64> = (1..=60u64).filter(|d| 60 % d == 0).collect();
    v.extend((2..=1440u64).filter(|m| 1440 % m == 0).map(|m| m * 60));
    v.into_iter().map(|s| s as f64).collect()
}

/// The replay period of a trace spanning `span` seconds (see the module notes).
pub fn period_for_span(span: f64) -> f64 {
    const DAY: f64 = 86_400.0;
    const WEEK: f64 = 7.0 * DAY;
    if span < DAY {
        day_divisors_s()
            .into_iter()
            .find(|&p| p > span)
            .unwrap_or(DAY)
    } else {
        ((span / WEEK).floor() + 1.0) * WEEK
    }
}

/// A trace's requests as read and checked from its file: (instant UTC, input tokens, output
/// tokens), sorted, at least two at different times. Depends on the file and on the clock's
/// offsets only, so a study reads it once (see [`crate::input::files::Files`]) and each resolution
/// builds its [`Trace`] from it with its own work per token.
#[derive(Clone, Debug)]
pub struct TraceRows {
    rows: Vec<Row>,
    /// The timestamps carry no offset and none was stated: read at the default offset.
    naive: bool,
}

impl TraceRows {
    /// Whether the timestamps were read at the default offset (no offset of their own, none
    /// stated on the trace table).
    pub fn on_default_clock(&self) -> bool {
        self.naive
    }
}

impl Trace {
    /// Parses a trace; `work` converts (input, output) tokens to accelerator-seconds.
    pub fn parse(
        file: &str,
        text: &str,
        clock: TraceClock,
        work: impl Fn(f64, f64) -> f64,
    ) -> Result<Trace> {
        let rows = TraceRows::parse(file, text, clock)?;
        Ok(Trace::from_rows(&rows, clock.study_start_utc_s, work))
    }

    /// The trace of checked rows for a study starting at `study_start_utc_s`; `work` converts
    /// (input, output) tokens to accelerator-seconds.
    pub fn from_rows(
        rows: &TraceRows,
        study_start_utc_s: i64,
        work: impl Fn(f64, f64) -> f64,
    ) -> Trace {
        let rows = &rows.rows;
        let t0 = rows[0].0;
        let span = rows[rows.len() - 1].0 - t0;
        let n = rows.len();
        let period_s = period_for_span(span);
        let mut times = Vec::with_capacity(n);
        let mut cum_work = Vec::with_capacity(n + 1);
        let mut acc = 0.0;
        cum_work.push(0.0);
        for &(t, i, o) in rows {
            times.push(t - t0);
            acc += work(i, o);
            cum_work.push(acc);
        }
        let phase_s = (study_start_utc_s as f64 - t0).rem_euclid(period_s);
        Trace {
            times,
            cum_work,
            period_s,
            requests: n,
            total_work: acc,
            first_utc_s: t0,
            phase_s,
            wall: None,
        }
    }

    /// Lays the trace on the study's prevailing wall clock: a request recorded at 18:17 (a
    /// timestamp without an offset, read on the study clock) lands at 18:17 local in winter
    /// and in summer alike. The rows must have been read at the clock's start offset (the
    /// default for naive timestamps). A recorded time the clock skips lands after the gap, and
    /// one it repeats at its first occurrence (as [`crate::base::time::Calendar::parse_local`]'s
    /// compatible reading). Nothing changes on a fixed offset.
    pub fn on_wall_clock(mut self, cal: &crate::base::time::Calendar) -> Trace {
        if cal.offset_changes().len() > 1 {
            self.wall = Some(cal.clone());
        }
        self
    }
}

impl TraceRows {
    /// Reads and checks a trace's rows (errors name the file, line and column): the header,
    /// each row in time order on one kind of clock, and a time span to take a rate from.
    pub fn parse(file: &str, text: &str, clock: TraceClock) -> Result<TraceRows> {
        let mut lines = text.lines().enumerate();
        let header = lines.next().map(|(_, h)| h);
        let mut reader = RowReader {
            file,
            clock,
            columns: header_columns(file, header)?,
            first: None,
            last_line: 0,
            rows: Vec::new(),
        };
        for (i, line) in lines {
            if !line.trim().is_empty() {
                reader.row(i + 1, line)?;
            }
        }
        reader.finish()
    }
}

/// An error at `line` (and `field`, a column name or empty) of trace `file`.
fn bad(file: &str, line: usize, field: &str, msg: impl Into<String>) -> Error {
    Error::Input {
        file: file.to_string(),
        line,
        col: 0,
        field: field.to_string(),
        msg: msg.into(),
    }
}

/// The header's column count, checked to begin TIMESTAMP,ContextTokens,GeneratedTokens.
fn header_columns(file: &str, header: Option<&str>) -> Result<usize> {
    let header = header.ok_or_else(|| bad(file, 1, "", "empty trace: expected a header row"))?;
    let cols: Vec<String> = header
        .split(',')
        .map(|c| c.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let want = ["timestamp", "contexttokens", "generatedtokens"];
    if cols.len() < 3 || cols[..3] != want {
        return Err(bad(
            file,
            1,
            "",
            format!(
                "expected the header TIMESTAMP,ContextTokens,GeneratedTokens, found {header:?}"
            ),
        ));
    }
    Ok(cols.len())
}

/// Reads a trace's rows one by one, holding what the checks compare a row with.
struct RowReader<'a> {
    file: &'a str,
    clock: TraceClock,
    columns: usize,
    /// Line of the first row and whether its timestamp carries its own offset.
    first: Option<(usize, bool)>,
    last_line: usize,
    rows: Vec<Row>,
}

impl RowReader<'_> {
    /// Row `n` (1-based line): its instant on the clock the first row set, in time order, and
    /// its token counts.
    fn row(&mut self, n: usize, line: &str) -> Result<()> {
        let file = self.file;
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != self.columns {
            return Err(bad(
                file,
                n,
                "",
                format!(
                    "expected {} comma-separated fields, found {}",
                    self.columns,
                    f.len()
                ),
            ));
        }
        let (local, own) = parse_timestamp(f[0]).map_err(|m| bad(file, n, "TIMESTAMP", m))?;
        match self.first {
            None => self.first = Some((n, own.is_some())),
            Some((l1, had)) if had != own.is_some() => {
                return Err(bad(
                    file,
                    n,
                    "TIMESTAMP",
                    format!(
                        "this timestamp {} but the first one (line {l1}) {}: give every row an offset or none",
                        if own.is_some() {
                            "has a UTC offset"
                        } else {
                            "has no UTC offset"
                        },
                        if had { "has" } else { "has none" }
                    ),
                ));
            }
            _ => {}
        }
        if let (Some(_), Some(_)) = (own, self.clock.stated_offset_s) {
            return Err(bad(
                file,
                n,
                "TIMESTAMP",
                "the timestamps carry their own UTC offset, so the trace table's utc_offset would be ignored: remove one of them",
            ));
        }
        let off = own
            .or(self.clock.stated_offset_s)
            .unwrap_or(self.clock.default_offset_s);
        let t = local - f64::from(off);
        if let Some(&(prev, _, _)) = self.rows.last()
            && t < prev
        {
            return Err(bad(
                file,
                n,
                "TIMESTAMP",
                format!(
                    "{:?} is earlier than the row before (line {}): the trace must be sorted by time",
                    f[0], self.last_line
                ),
            ));
        }
        let tok = |s: &str, name: &str| -> Result<f64> {
            s.parse::<u64>().map(|v| v as f64).map_err(|_| {
                bad(
                    file,
                    n,
                    name,
                    format!("expected a non-negative whole number of tokens, found {s:?}"),
                )
            })
        };
        self.rows.push((
            t,
            tok(f[1], "ContextTokens")?,
            tok(f[2], "GeneratedTokens")?,
        ));
        self.last_line = n;
        Ok(())
    }

    /// The rows, when there are at least two spanning some time.
    fn finish(self) -> Result<TraceRows> {
        let (file, rows, last_line) = (self.file, self.rows, self.last_line);
        if rows.is_empty() {
            return Err(bad(file, 2, "", "the trace has a header but no requests"));
        }
        if rows.len() == 1 {
            return Err(bad(
                file,
                last_line,
                "TIMESTAMP",
                "the trace has a single request, so it has no time span and no rate: give at least two requests at different times",
            ));
        }
        if rows[rows.len() - 1].0 - rows[0].0 <= 0.0 {
            return Err(bad(
                file,
                last_line,
                "TIMESTAMP",
                "every request has the same timestamp: a zero time span has no rate",
            ));
        }
        let naive = self.first.is_some_and(|(_, own)| !own) && self.clock.stated_offset_s.is_none();
        Ok(TraceRows { rows, naive })
    }
}

impl Trace {
    /// Requests per second over one period.
    pub fn rate_per_s(&self) -> f64 {
        self.requests as f64 / self.period_s
    }

    pub fn mean_work(&self) -> f64 {
        self.total_work / self.requests as f64
    }

    /// (requests, work) of the repeated trace before `u` seconds after a copy's first request.
    fn cumulative(&self, u: f64) -> (f64, f64) {
        let k = (u / self.period_s).floor();
        let r = u - k * self.period_s;
        let idx = self.times.partition_point(|&x| x < r);
        (
            k * self.requests as f64 + idx as f64,
            k * self.total_work + self.cum_work[idx],
        )
    }

    /// (requests, work) arriving in `[t0, t1)` seconds from the study start (whole seconds; on
    /// the wall clock after [`Trace::on_wall_clock`]).
    #[inline]
    pub fn window(&self, t0: f64, t1: f64) -> (f64, f64) {
        let (t0, t1) = match &self.wall {
            Some(c) => (
                c.wall_elapsed_s(t0 as u64) as f64,
                c.wall_elapsed_s(t1 as u64) as f64,
            ),
            None => (t0, t1),
        };
        let (c0, w0) = self.cumulative(t0 + self.phase_s);
        let (c1, w1) = self.cumulative(t1 + self.phase_s);
        (c1 - c0, w1 - w0)
    }
}

/// A timestamp to (seconds since 1970-01-01 00:00 on its own clock, its UTC offset if it
/// states one). Forms: `YYYY-MM-DD HH:MM:SS[.fraction]` (or with `T`), optionally followed by
/// `Z` or `+HH:MM`/`-HH:MM`; or a plain number of seconds (no offset).
fn parse_timestamp(s: &str) -> std::result::Result<(f64, Option<i32>), String> {
    if let Ok(v) = s.parse::<f64>()
        && v.is_finite()
    {
        return Ok((v, None));
    }
    let err = || {
        format!(
            "expected a timestamp like 2023-11-16 18:15:46.68 (optionally ending in Z or +01:00), found {s:?}"
        )
    };
    let (d, t) = s.split_once([' ', 'T']).ok_or_else(err)?;
    let date = Date::parse(d).map_err(|_| err())?;
    let (t, off) = if let Some(t) = t.strip_suffix(['Z', 'z']) {
        (t, Some(0))
    } else if let Some(i) = t.rfind(['+', '-']) {
        let o = crate::base::time::parse_utc_offset(&t[i..]).map_err(|_| err())?;
        (&t[..i], Some(o))
    } else {
        (t, None)
    };
    let mut parts = t.split(':');
    let h: f64 = parts.next().and_then(|x| x.parse().ok()).ok_or_else(err)?;
    let m: f64 = parts.next().and_then(|x| x.parse().ok()).ok_or_else(err)?;
    let sec: f64 = parts.next().and_then(|x| x.parse().ok()).ok_or_else(err)?;
    if parts.next().is_some()
        || !(0.0..24.0).contains(&h)
        || !(0.0..60.0).contains(&m)
        || !(0.0..61.0).contains(&sec)
    {
        return Err(err());
    }
    Ok((
        date.days_since_epoch() as f64 * 86_400.0 + h * 3600.0 + m * 60.0 + sec,
        off,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "TIMESTAMP,ContextTokens,GeneratedTokens\n\
2023-11-16 18:15:46.0000000,100,10\n\
2023-11-16 18:15:47.0000000,200,20\n\
2023-11-16 18:15:49.0000000,300,30\n";

    /// 23 requests recorded 2023-11-16 18:17:00 to 20:16:40: 7 in 18:17-19:00, 12 in 19:00-20:00,
    /// 4 in 20:00-20:17.
    const FIXTURE: &str = include_str!("../../../tests/fixtures/trace_1817.csv");

    /// 2023-11-16 00:00 at `offset_s` east of UTC, seconds since the epoch UTC.
    fn midnight(offset_s: i32) -> i64 {
        Date::parse("2023-11-16").unwrap().days_since_epoch() * 86_400 - i64::from(offset_s)
    }

    fn clock(study_offset_s: i32) -> TraceClock {
        TraceClock {
            stated_offset_s: None,
            default_offset_s: study_offset_s,
            study_start_utc_s: midnight(study_offset_s),
        }
    }

    fn parse(text: &str, c: TraceClock) -> Result<Trace> {
        Trace::parse("t.csv", text, c, |i, o| i + o)
    }

    /// Requests in `[h0, h1)` hours of the study clock.
    fn count(tr: &Trace, h0: f64, h1: f64) -> f64 {
        tr.window(h0 * 3600.0, h1 * 3600.0).0
    }

    #[test]
    fn window_counts_repeat_over_the_period() {
        let tr = parse(T, clock(0)).unwrap();
        assert_eq!(tr.requests, 3);
        // Span 3 s: the shortest divisor of a minute longer than 3 s is 4 s.
        assert_eq!(tr.period_s, 4.0);
        let first = (18.0 * 3600.0 + 15.0 * 60.0) + 46.0;
        assert_eq!(tr.window(first, first + 4.0), (3.0, 660.0));
        assert_eq!(tr.window(first, first + 40.0), (30.0, 6600.0));
        assert_eq!(tr.window(first + 0.5, first + 1.5), (1.0, 220.0));
    }

    #[test]
    fn a_recorded_trace_replays_on_its_own_clock_hour_by_hour() {
        let tr = parse(FIXTURE, clock(0)).unwrap();
        assert_eq!(tr.requests, 23);
        assert_eq!(
            tr.period_s, 7200.0,
            "a span just under 2 h repeats every 2 h"
        );
        // One period from the recorded start, clock hour by clock hour: the trace's own counts.
        let at = |h: f64, m: f64| h + m / 60.0;
        assert_eq!(count(&tr, at(18.0, 17.0), 19.0), 7.0);
        assert_eq!(count(&tr, 19.0, 20.0), 12.0);
        assert_eq!(count(&tr, 20.0, at(20.0, 17.0)), 4.0);
        assert_eq!(
            count(&tr, at(18.0, 0.0), at(18.0, 17.0)),
            4.0,
            "the copy before"
        );
        // Whole clock hours of the day: copies every 2 h from 18:17 put 7 + 4 in even hours and
        // 12 in odd hours, 276 = 12 x 23 a day, every day.
        for h in 0..48 {
            let want = if h % 2 == 0 { 11.0 } else { 12.0 };
            assert_eq!(count(&tr, h as f64, h as f64 + 1.0), want, "hour {h}");
        }
        // The same against a brute-force landing of every copy.
        let secs: Vec<f64> = FIXTURE
            .lines()
            .skip(1)
            .map(|l| parse_timestamp(l.split(',').next().unwrap()).unwrap().0)
            .collect();
        let start = midnight(0) as f64;
        for h in 0..24 {
            let (a, b) = (start + h as f64 * 3600.0, start + (h + 1) as f64 * 3600.0);
            let brute = (-30..30)
                .flat_map(|k| secs.iter().map(move |t| t + k as f64 * 7200.0))
                .filter(|t| (a..b).contains(t))
                .count();
            assert_eq!(
                count(&tr, h as f64, h as f64 + 1.0),
                brute as f64,
                "hour {h}"
            );
        }
    }

    #[test]
    fn the_stated_offset_moves_the_trace_on_the_study_clock() {
        // Study clock at -05:00; the trace recorded at UTC: 18:17 UTC lands at 13:17 local.
        let mut c = clock(-5 * 3600);
        c.stated_offset_s = Some(0);
        let tr = parse(FIXTURE, c).unwrap();
        assert_eq!(count(&tr, 13.0 + 17.0 / 60.0, 14.0), 7.0);
        assert_eq!(count(&tr, 14.0, 15.0), 12.0);
        // Timestamps with their own offset are instants: the same landing.
        let z = FIXTURE.replace(".0000000,", ".0000000Z,");
        let tz = parse(&z, clock(-5 * 3600)).unwrap();
        for h in 0..24 {
            assert_eq!(
                count(&tr, h as f64, h as f64 + 1.0),
                count(&tz, h as f64, h as f64 + 1.0)
            );
        }
        // Without any offset the timestamps are read on the study clock: 18:17 local.
        let local = parse(FIXTURE, clock(-5 * 3600)).unwrap();
        assert_eq!(count(&local, 18.0 + 17.0 / 60.0, 19.0), 7.0);
        // Stating an offset for timestamps that carry their own is refused.
        let mut c = clock(0);
        c.stated_offset_s = Some(3600);
        let e = parse(&z, c).unwrap_err().to_string();
        assert!(e.contains("t.csv:2") && e.contains("utc_offset"), "{e}");
    }

    #[test]
    fn periods_lay_whole_copies_on_the_clock() {
        assert_eq!(
            period_for_span(57.0 * 60.0),
            3600.0,
            "57 min repeats hourly"
        );
        assert_eq!(
            period_for_span(3600.0),
            4320.0,
            "exactly 1 h: the next divisor, 72 min"
        );
        assert_eq!(period_for_span(7.0 * 3600.0), 8.0 * 3600.0);
        assert_eq!(period_for_span(23.5 * 3600.0), 86_400.0);
        assert_eq!(
            period_for_span(86_400.0),
            7.0 * 86_400.0,
            "a day or more: whole weeks"
        );
        assert_eq!(period_for_span(7.0 * 86_400.0), 14.0 * 86_400.0);
        for p in day_divisors_s() {
            assert_eq!(86_400.0 % p, 0.0);
        }
    }

    #[test]
    fn a_trace_spanning_days_keeps_its_weekdays() {
        // Thursday 2023-11-16 12:00 to Saturday 2023-11-18 12:00 UTC: period one week.
        let t = "TIMESTAMP,ContextTokens,GeneratedTokens\n\
2023-11-16 12:00:00,1,1\n2023-11-17 12:00:00,1,1\n2023-11-18 12:00:00,1,1\n";
        // Study from Monday 2023-11-13: Thursday is day 3.
        let c = TraceClock {
            stated_offset_s: None,
            default_offset_s: 0,
            study_start_utc_s: Date::parse("2023-11-13").unwrap().days_since_epoch() * 86_400,
        };
        let tr = parse(t, c).unwrap();
        assert_eq!(tr.period_s, 7.0 * 86_400.0);
        for week in 0..3 {
            for day in 0..7 {
                let d = (week * 7 + day) as f64 * 24.0;
                let want = if (3..=5).contains(&day) { 1.0 } else { 0.0 };
                assert_eq!(
                    count(&tr, d + 12.0, d + 13.0),
                    want,
                    "week {week} day {day}"
                );
                assert_eq!(count(&tr, d, d + 24.0), want);
            }
        }
    }

    #[test]
    fn malformed_rows_name_the_line() {
        let c = clock(0);
        let bad = T.replace("200,20", "2x0,20");
        let e = parse(&bad, c).unwrap_err().to_string();
        assert!(e.contains("t.csv:3") && e.contains("ContextTokens"), "{e}");
        let bad = T.replace("18:15:49.0000000", "soon");
        let e = parse(&bad, c).unwrap_err().to_string();
        assert!(e.contains("t.csv:4") && e.contains("TIMESTAMP"), "{e}");
        let e = parse("a,b\n", c).unwrap_err().to_string();
        assert!(e.contains("t.csv:1"), "{e}");
    }

    #[test]
    fn unsorted_single_row_and_zero_span_traces_are_refused_at_their_line() {
        let c = clock(0);
        let unsorted = T.replace("18:15:47", "18:15:59");
        let e = parse(&unsorted, c).unwrap_err().to_string();
        assert!(
            e.contains("t.csv:4") && e.contains("sorted") && e.contains("line 3"),
            "{e}"
        );
        let one = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,1,1\n";
        let e = parse(one, c).unwrap_err().to_string();
        assert!(e.contains("t.csv:2") && e.contains("single request"), "{e}");
        let zero = "TIMESTAMP,ContextTokens,GeneratedTokens\n\
2023-11-16 18:15:46,1,1\n2023-11-16 18:15:46,2,2\n2023-11-16 18:15:46,3,3\n";
        let e = parse(zero, c).unwrap_err().to_string();
        assert!(e.contains("t.csv:4") && e.contains("zero time span"), "{e}");
        let mixed = T.replace("18:15:47.0000000", "18:15:47.0000000Z");
        let e = parse(&mixed, c).unwrap_err().to_string();
        assert!(e.contains("t.csv:3") && e.contains("offset"), "{e}");
    }
}
