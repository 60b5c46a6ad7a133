//! Replaying a request trace (the Azure LLM inference trace format).
//!
//! The CSV has a header `TIMESTAMP,ContextTokens,GeneratedTokens` and one row per request. The
//! trace is repeated end to end over the horizon: its period is the span from the first to the
//! last request plus one mean inter-arrival gap, so the seam adds no burst. Each request's work is
//! `model_scale * (input / prefill + output / decode)` accelerator-seconds on the serving
//! hardware. Arrivals in a step are the requests whose trace time falls in the step's window,
//! found by binary search in prefix sums: O(log n) a step, no allocation.

use crate::error::{Error, Result};
use crate::time::Date;

#[derive(Clone, Debug)]
pub struct Trace {
    /// Seconds since the first request, ascending.
    times: Vec<f64>,
    /// Prefix sums of work (accelerator-seconds); `cum_work[i]` = work of requests `0..i`.
    cum_work: Vec<f64>,
    pub period_s: f64,
    pub requests: usize,
    pub total_work: f64,
}

/// One parsed trace row: (seconds since the epoch, input tokens, output tokens).
type Row = (f64, f64, f64);

impl Trace {
    /// Parses a trace; `work` converts (input, output) tokens to accelerator-seconds.
    pub fn parse(file: &str, text: &str, work: impl Fn(f64, f64) -> f64) -> Result<Trace> {
        let bad = |line: usize, field: &str, msg: String| Error::Input {
            file: file.to_string(),
            line,
            col: 0,
            field: field.to_string(),
            msg,
        };
        let mut lines = text.lines().enumerate();
        let (_, header) = lines
            .next()
            .ok_or_else(|| bad(1, "", "empty trace: expected a header row".into()))?;
        let cols: Vec<String> = header
            .split(',')
            .map(|c| c.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        let want = ["timestamp", "contexttokens", "generatedtokens"];
        if cols.len() < 3 || cols[..3] != want {
            return Err(bad(
                1,
                "",
                format!(
                    "expected the header TIMESTAMP,ContextTokens,GeneratedTokens, found {header:?}"
                ),
            ));
        }
        let mut rows: Vec<Row> = Vec::new();
        for (i, line) in lines {
            let n = i + 1;
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split(',').map(str::trim).collect();
            if f.len() != cols.len() {
                return Err(bad(
                    n,
                    "",
                    format!(
                        "expected {} comma-separated fields, found {}",
                        cols.len(),
                        f.len()
                    ),
                ));
            }
            let t = parse_timestamp(f[0]).map_err(|m| bad(n, "TIMESTAMP", m))?;
            let tok = |s: &str, name: &str| -> Result<f64> {
                s.parse::<u64>().map(|v| v as f64).map_err(|_| {
                    bad(
                        n,
                        name,
                        format!("expected a non-negative whole number of tokens, found {s:?}"),
                    )
                })
            };
            rows.push((
                t,
                tok(f[1], "ContextTokens")?,
                tok(f[2], "GeneratedTokens")?,
            ));
        }
        if rows.is_empty() {
            return Err(bad(2, "", "the trace has a header but no requests".into()));
        }
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        let t0 = rows[0].0;
        let span = rows[rows.len() - 1].0 - t0;
        let n = rows.len();
        let gap = if n > 1 { span / (n - 1) as f64 } else { 1.0 };
        let period_s = (span + gap).max(1.0);
        let mut times = Vec::with_capacity(n);
        let mut cum_work = Vec::with_capacity(n + 1);
        let mut acc = 0.0;
        cum_work.push(0.0);
        for (t, i, o) in rows {
            times.push(t - t0);
            acc += work(i, o);
            cum_work.push(acc);
        }
        Ok(Trace {
            times,
            cum_work,
            period_s,
            requests: n,
            total_work: acc,
        })
    }

    /// Requests per second over one period.
    pub fn rate_per_s(&self) -> f64 {
        self.requests as f64 / self.period_s
    }

    pub fn mean_work(&self) -> f64 {
        self.total_work / self.requests as f64
    }

    /// (requests, work) arrived in `[0, t)` of the repeated trace.
    fn cumulative(&self, t: f64) -> (f64, f64) {
        let k = (t / self.period_s).floor();
        let r = t - k * self.period_s;
        let idx = self.times.partition_point(|&x| x < r);
        (
            k * self.requests as f64 + idx as f64,
            k * self.total_work + self.cum_work[idx],
        )
    }

    /// (requests, work) arriving in `[t0, t1)` seconds from the study start.
    #[inline]
    pub fn window(&self, t0: f64, t1: f64) -> (f64, f64) {
        let (c0, w0) = self.cumulative(t0);
        let (c1, w1) = self.cumulative(t1);
        (c1 - c0, w1 - w0)
    }
}

/// `YYYY-MM-DD HH:MM:SS[.fraction]` (or with `T`) to seconds since the epoch; a plain number
/// is taken as seconds.
fn parse_timestamp(s: &str) -> std::result::Result<f64, String> {
    if let Ok(v) = s.parse::<f64>()
        && v.is_finite()
    {
        return Ok(v);
    }
    let err = || format!("expected a timestamp like 2023-11-16 18:15:46.68, found {s:?}");
    let (d, t) = s.split_once([' ', 'T']).ok_or_else(err)?;
    let date = Date::parse(d).map_err(|_| err())?;
    let t = t.trim_end_matches('Z');
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
    Ok(date.days_since_epoch() as f64 * 86_400.0 + h * 3600.0 + m * 60.0 + sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "TIMESTAMP,ContextTokens,GeneratedTokens\n\
2023-11-16 18:15:46.0000000,100,10\n\
2023-11-16 18:15:47.0000000,200,20\n\
2023-11-16 18:15:49.0000000,300,30\n";

    #[test]
    fn window_counts_repeat_over_the_period() {
        let tr = Trace::parse("t.csv", T, |i, o| i + o).unwrap();
        assert_eq!(tr.requests, 3);
        // span 3 s + mean gap 1.5 s.
        assert!((tr.period_s - 4.5).abs() < 1e-9);
        assert_eq!(tr.window(0.0, 4.5), (3.0, 660.0));
        assert_eq!(tr.window(0.0, 45.0), (30.0, 6600.0));
        assert_eq!(tr.window(0.5, 1.5), (1.0, 220.0));
    }

    #[test]
    fn malformed_rows_name_the_line() {
        let bad = T.replace("200,20", "2x0,20");
        let e = Trace::parse("t.csv", &bad, |i, o| i + o)
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.csv:3") && e.contains("ContextTokens"), "{e}");
        let bad = T.replace("18:15:49.0000000", "soon");
        let e = Trace::parse("t.csv", &bad, |i, o| i + o)
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.csv:4") && e.contains("TIMESTAMP"), "{e}");
        let e = Trace::parse("t.csv", "a,b\n", |i, o| i + o)
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.csv:1"), "{e}");
    }
}
