//! Fixed-decimal number formatting shared by every CSV writer (output, utility), in its own
//! module so that neither writer imports the other.

use std::fmt::Write as _;

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
