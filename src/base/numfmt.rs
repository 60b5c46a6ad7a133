//! Numbers in messages: printed compactly, so no error can print the 309 digits of 1e308.
//! Kept apart from the limits so the error type can use it without importing them. Also the
//! fixed-decimal formatting every CSV writer shares.

use std::fmt::Write as _;

/// A number printed compactly: `1e308`, `1.5e-320`, `2.5`, `100000`.
pub fn num(x: f64) -> String {
    let a = x.abs();
    if x == 0.0 || !x.is_finite() || (1e-4..1e15).contains(&a) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// A message with every number of more than 20 digits (a float printed in full, e.g. the 309
/// digits of 1e308) rewritten compactly with [`num`]. Applied to every error message, so that no
/// call site can print such a number.
pub fn compact_numbers(msg: &str) -> String {
    let b = msg.as_bytes();
    let mut out = String::with_capacity(msg.len());
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit()
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                j += 1;
            }
            let tok = msg[i..j].trim_end_matches('.');
            let digits = tok.bytes().filter(u8::is_ascii_digit).count();
            let exp = j < b.len() && (b[j] == b'e' || b[j] == b'E');
            match tok.parse::<f64>() {
                Ok(x) if digits > 20 && !exp => {
                    out.push_str(&num(x));
                    out.push_str(&msg[i + tok.len()..j]);
                }
                _ => out.push_str(&msg[i..j]),
            }
            i = j;
        } else {
            let c = msg[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Appends `v` with `prec` decimals. Integer arithmetic instead of `format!("{:.4}")`, whose
/// exact decimal expansion dominated writing a large hourly.csv; output is deterministic.
pub fn push_fixed(out: &mut String, v: f64, prec: usize) {
    const POW10: [f64; 7] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6];
    let scale = POW10[prec.min(6)];
    let scaled = (v * scale).round();
    if !scaled.is_finite() || scaled.abs() >= 9.0e15 {
        let _ = write!(out, "{v:.prec$}");
        return;
    }
    let n = scaled as i64;
    if n < 0 {
        out.push('-');
    }
    let a = n.unsigned_abs();
    let p = 10u64.pow(prec.min(6) as u32);
    let _ = write!(out, "{}", a / p);
    if prec > 0 {
        let _ = write!(out, ".{:0width$}", a % p, width = prec.min(6));
    }
}
