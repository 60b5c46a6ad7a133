//! The window as COMTRADE (IEEE C37.111-2013): waveform.cfg describes the recording (station,
//! channels with units and scaling, line frequency, one sampling rate, the first sample's
//! local date-time and the clock's UTC offset), waveform.dat holds the samples.
//!
//! Channels: P at the grid (after mitigations) and P of the unmitigated facility, in MW; with a
//! power factor, Q of each in Mvar as well. In the integer formats each channel's value is
//! `a * n + b` with `a` rounded up to 6 significant digits and `b` to 1e-6 MW, both written
//! exactly, so a reader's values are within a/2 of dcload's (FLOAT32: within a float's
//! rounding, about 6e-8 of the value).

use std::fmt::Write as _;

use crate::base::time::Date;

use super::{DatFormat, Export, Window, q_per_p};

pub(super) struct Files {
    pub cfg: String,
    pub dat: Vec<u8>,
}

/// One analog channel and its scaling.
struct Channel {
    id: &'static str,
    unit: &'static str,
    values: Vec<f64>,
    /// `a`, `b` as written in the .cfg, and their values.
    a: (String, f64),
    b: (String, f64),
    /// The integer (or, FLOAT32, value) range written as min and max.
    range: (String, String),
}

/// The largest integer written: 16-bit (ASCII as BINARY, so either reads the same) or 32-bit;
/// -32768 is the standard's "missing" marker, so the range is symmetric.
fn int_range(f: DatFormat) -> f64 {
    match f {
        DatFormat::Binary32 => 2_000_000_000.0,
        _ => 32_767.0,
    }
}

/// `m x 10^e` as a plain decimal (no exponent, which some readers refuse).
fn decimal(m: i64, e: i32) -> String {
    let sign = if m < 0 { "-" } else { "" };
    let digits = m.unsigned_abs().to_string();
    if e >= 0 {
        return format!("{sign}{digits}{}", "0".repeat(e as usize));
    }
    let frac = (-e) as usize;
    let padded = format!("{digits:0>width$}", width = frac + 1);
    let (int, dec) = padded.split_at(padded.len() - frac);
    let dec = dec.trim_end_matches('0');
    if dec.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{dec}")
    }
}

/// A number and the exact text that reads back as it.
fn exact(m: i64, e: i32) -> (String, f64) {
    let s = decimal(m, e);
    let v = s.parse().unwrap_or(0.0);
    (s, v)
}

fn channel(id: &'static str, unit: &'static str, values: Vec<f64>, f: DatFormat) -> Channel {
    let lo = values.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 0.0) };
    if f == DatFormat::Float32 {
        return Channel {
            id,
            unit,
            values,
            a: exact(1, 0),
            b: exact(0, 0),
            range: (format!("{lo}"), format!("{hi}")),
        };
    }
    let b = exact(((lo + hi) / 2.0 * 1e6).round() as i64, -6);
    let r = int_range(f);
    let need = ((hi - b.1).max(b.1 - lo) / r).max(1e-9);
    // Rounded up to 6 significant digits, so every value fits in the range.
    let e = need.log10().floor() as i32 - 5;
    let m = (need / 10f64.powi(e)).ceil() as i64;
    let a = exact(m, e);
    Channel {
        id,
        unit,
        values,
        a,
        b,
        range: (format!("{}", -r as i64), format!("{}", r as i64)),
    }
}

impl Channel {
    fn int(&self, k: usize, f: DatFormat) -> i64 {
        let r = int_range(f);
        ((self.values[k] - self.b.1) / self.a.1)
            .round()
            .clamp(-r, r) as i64
    }
}

/// `dd/mm/yyyy,hh:mm:ss.ssssss` (clause 7.4.8).
fn stamp(d: Date, us_of_day: u64) -> String {
    let s = us_of_day / 1_000_000;
    format!(
        "{:02}/{:02}/{:04},{:02}:{:02}:{:02}.{:06}",
        d.day,
        d.month,
        d.year,
        s / 3600,
        (s % 3600) / 60,
        s % 60,
        us_of_day % 1_000_000
    )
}

/// The UTC offset as clause 7.4.11 writes it: `0`, `-5`, `+5h30`.
fn time_code(off_s: i32) -> String {
    if off_s == 0 {
        return "0".into();
    }
    let sign = if off_s < 0 { '-' } else { '+' };
    let m = off_s.unsigned_abs() / 60;
    match m % 60 {
        0 => format!("{sign}{}", m / 60),
        r => format!("{sign}{}h{r:02}", m / 60),
    }
}

/// A sample's time stamp in microseconds over `timemult`; the multiplier is the smallest power
/// of ten that keeps the last stamp within the 32-bit field.
fn timemult(n: usize, dt: f64) -> f64 {
    let last_us = n as f64 * dt * 1e6;
    let mut m = 1.0;
    while last_us / m > 4.0e9 {
        m *= 10.0;
    }
    m
}

fn channels(ex: &Export, w: &Window) -> Vec<Channel> {
    let f = ex.comtrade_format;
    let mut ch = vec![
        channel("P grid", "MW", w.grid_mw.to_vec(), f),
        channel("P facility", "MW", w.facility_mw.to_vec(), f),
    ];
    if ex.power_factor.is_some() {
        let k = q_per_p(ex);
        let q = |v: &[f64]| v.iter().map(|p| p * k).collect();
        ch.push(channel("Q grid", "Mvar", q(w.grid_mw), f));
        ch.push(channel("Q facility", "Mvar", q(w.facility_mw), f));
    }
    ch
}

pub(super) fn files(ex: &Export, w: &Window, start: (Date, u64, i32)) -> Files {
    let ch = channels(ex, w);
    let n = w.grid_mw.len();
    let tm = timemult(n, w.step_s);
    let station: String = w
        .name
        .chars()
        .map(|c| if c == ',' { '_' } else { c })
        .collect();
    let mut cfg = String::new();
    let mut line = |s: String| {
        cfg.push_str(&s);
        cfg.push_str("\r\n");
    };
    line(format!(
        "{station},dcload {},2013",
        env!("CARGO_PKG_VERSION")
    ));
    line(format!("{},{}A,0D", ch.len(), ch.len()));
    for (i, c) in ch.iter().enumerate() {
        line(format!(
            "{},{},,{},{},{},{},0,{},{},1,1,P",
            i + 1,
            c.id,
            station,
            c.unit,
            c.a.0,
            c.b.0,
            c.range.0,
            c.range.1
        ));
    }
    line(format!("{}", ex.line_frequency_hz));
    line("1".into());
    line(format!("{},{n}", 1.0 / w.step_s));
    let (date, us, off) = start;
    line(stamp(date, us));
    line(stamp(date, us));
    line(
        match ex.comtrade_format {
            DatFormat::Ascii => "ASCII",
            DatFormat::Binary => "BINARY",
            DatFormat::Binary32 => "BINARY32",
            DatFormat::Float32 => "FLOAT32",
        }
        .into(),
    );
    line(format!("{tm}"));
    let tc = time_code(off);
    line(format!("{tc},{tc}"));
    line("0,0".into());
    Files {
        cfg,
        dat: dat(&ch, ex.comtrade_format, n, w.step_s, tm),
    }
}

/// The samples: number (from 1), time stamp, then each channel (clause 8).
fn dat(ch: &[Channel], f: DatFormat, n: usize, dt: f64, tm: f64) -> Vec<u8> {
    let ts = |k: usize| (k as f64 * dt * 1e6 / tm).round() as u32;
    if f == DatFormat::Ascii {
        let mut s = String::with_capacity(n * (12 + 8 * ch.len()));
        for k in 0..n {
            let _ = write!(s, "{},{}", k + 1, ts(k));
            for c in ch {
                let _ = write!(s, ",{}", c.int(k, f));
            }
            s.push_str("\r\n");
        }
        return s.into_bytes();
    }
    let mut b = Vec::with_capacity(n * (8 + 4 * ch.len()));
    for k in 0..n {
        b.extend_from_slice(&(k as u32 + 1).to_le_bytes());
        b.extend_from_slice(&ts(k).to_le_bytes());
        for c in ch {
            match f {
                DatFormat::Binary => b.extend_from_slice(&(c.int(k, f) as i16).to_le_bytes()),
                DatFormat::Binary32 => b.extend_from_slice(&(c.int(k, f) as i32).to_le_bytes()),
                _ => b.extend_from_slice(&(c.values[k] as f32).to_le_bytes()),
            }
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_written_without_exponents() {
        assert_eq!(decimal(123457, -10), "0.0000123457");
        assert_eq!(decimal(-40_500_000, -6), "-40.5");
        assert_eq!(decimal(3, 2), "300");
        assert_eq!(time_code(-5 * 3600), "-5");
        assert_eq!(time_code(5 * 3600 + 1800), "+5h30");
        assert_eq!(time_code(0), "0");
    }
}
