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

/// `x` with `prec` decimals, as `format!("{x:.prec$}")` writes it, unless that would print
/// more than 15 digits before the point (1e308 has 309): then compactly, as [`num`] does. For
/// figures a user can set without bound (a specification's limit) in tables and CSV cells.
pub fn fixed(x: f64, prec: usize) -> String {
    if x.is_finite() && x.abs() >= 1e15 {
        num(x)
    } else {
        format!("{x:.prec$}")
    }
}

/// The most characters of one quoted string or one unbroken word a message shows.
const MAX_SHOWN: usize = 80;
/// The most characters a whole message shows.
const MAX_MESSAGE: usize = 2000;

/// `text` cut to its first `max` characters and an ellipsis when longer.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// A message as printed: numbers compact ([`compact_numbers`]), every quoted string and every
/// unbroken word over 80 characters cut with an ellipsis, and the whole cut at 2,000
/// characters: a name of a megabyte is not echoed back in full.
pub fn tidy(msg: &str) -> String {
    let msg = compact_numbers(msg);
    if msg.len() <= MAX_SHOWN {
        return msg;
    }
    let mut out = String::with_capacity(msg.len().min(MAX_MESSAGE + 8));
    let mut rest = msg.as_str();
    while let Some(c) = rest.chars().next() {
        // A quoted string runs to its closing quote (an escaped `\"` inside is skipped).
        let len = if c == '"' {
            quoted_len(rest)
        } else if c.is_whitespace() {
            c.len_utf8()
        } else {
            rest.find(|c: char| c.is_whitespace() || c == '"')
                .unwrap_or(rest.len())
        };
        let (piece, tail) = rest.split_at(len.max(c.len_utf8()));
        // A quoted string shows its opening quote and 80 characters.
        let short = shorten(piece, MAX_SHOWN + usize::from(c == '"'));
        let cut = short.len() != piece.len();
        out.push_str(&short);
        if cut && c == '"' && piece.len() > 1 && piece.ends_with('"') {
            out.push('"');
        }
        rest = tail;
    }
    if out.chars().count() > MAX_MESSAGE {
        return shorten(&out, MAX_MESSAGE);
    }
    out
}

/// Bytes of the quoted string `text` starts with, closing quote included (all of `text` when
/// unclosed).
fn quoted_len(text: &str) -> usize {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return i + 1,
            _ => {}
        }
    }
    text.len()
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

/// Appends `v` with `prec` decimals: `v * 10^prec` rounded half away from zero (in f64), its
/// digits written by hand. Neither `format!("{:.4}")` (whose exact decimal expansion dominated
/// writing a large hourly.csv) nor `core::fmt` for the integers (which still cost ~370
/// instructions a figure): hourly.csv of a year writes 1.5 million figures. A rounded zero is
/// written without a sign; at most 6 decimals are written (a larger `prec` gets 6, as it always
/// did). When the scaled figure is not below 9e15 (or not finite), `format!` writes it.
pub fn push_fixed(out: &mut String, v: f64, prec: usize) {
    const POW10: [f64; 7] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6];
    let scale = POW10[prec.min(6)];
    let scaled = (v * scale).round();
    if !scaled.is_finite() || scaled.abs() >= 9.0e15 {
        let _ = write!(out, "{v:.prec$}");
        return;
    }
    let n = scaled as i64;
    let frac = prec.min(6);
    // Sign, up to 16 digits, a point and the decimals, zero-padded, written from the end.
    let mut buf = [0u8; 40];
    let mut i = buf.len();
    let mut a = n.unsigned_abs();
    for _ in 0..frac {
        i -= 1;
        buf[i] = b'0' + (a % 10) as u8;
        a /= 10;
    }
    if frac > 0 {
        i -= 1;
        buf[i] = b'.';
    }
    loop {
        i -= 1;
        buf[i] = b'0' + (a % 10) as u8;
        a /= 10;
        if a == 0 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    // ASCII: pushed byte by byte (cheaper than checking a short slice as UTF-8 and copying it).
    out.reserve(buf.len() - i);
    buf[i..].iter().for_each(|&b| out.push(char::from(b)));
}

/// A figure for people (report.html): four significant digits at most, no more decimals than
/// that needs (`1.234`, `0.6071`, `94.92`), whole numbers from 1,000 up with thousands
/// separators (`389,818,597,346`), scientific beyond 1e15 and below 1e-3 where digits would
/// mislead; empty for a non-finite value.
pub fn readable(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let a = x.abs();
    if a == 0.0 {
        return "0".into();
    }
    if !(1e-3..1e15).contains(&a) {
        return format!("{x:.3e}");
    }
    let magnitude = a.log10().floor() as i32;
    let mut decimals = (3 - magnitude).max(0) as usize;
    // 999.96 rounds to 1000.0: one digit more before the point, one less after.
    let rounded: f64 = format!("{a:.decimals$}").parse().unwrap_or(a);
    if rounded >= 10f64.powi(magnitude + 1) && decimals > 0 {
        decimals -= 1;
    }
    let text = format!("{a:.decimals$}");
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::with_capacity(text.len() + text.len() / 3 + 1);
    if x < 0.0 {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_groups_thousands_and_keeps_four_significant_digits() {
        assert_eq!(readable(389_818_597_346.4), "389,818,597,346");
        assert_eq!(readable(-1234.6), "-1,235");
        assert_eq!(readable(999.96), "1,000");
        assert_eq!(readable(94.924), "94.92");
        assert_eq!(readable(1.12345), "1.123");
        assert_eq!(readable(0.60712), "0.6071");
        assert_eq!(readable(0.0), "0");
        assert_eq!(readable(1e16), "1.000e16");
        assert_eq!(readable(f64::NAN), "");
    }

    #[test]
    fn long_names_are_cut_with_an_ellipsis_and_short_messages_kept() {
        let short = "pool \"inference\" serves no workload";
        assert_eq!(tidy(short), short);
        let name = "x".repeat(1 << 20);
        let msg = tidy(&format!("unknown rack \"{name}\": did you mean \"dgx\"?"));
        assert!(msg.len() < 200, "{} bytes", msg.len());
        assert!(msg.starts_with(&format!("unknown rack \"{}…\"", "x".repeat(80))));
        assert!(msg.ends_with(": did you mean \"dgx\"?"), "{msg}");
        let words = tidy(&"word ".repeat(100_000));
        assert_eq!(words.chars().count(), 2001);
        assert!(words.ends_with('…'));
        assert_eq!(fixed(1e308, 3), "1e308");
        assert_eq!(fixed(2.5, 3), "2.500");
    }
}

#[cfg(test)]
mod fixed_tests {
    use super::push_fixed;
    use proptest::prelude::*;
    use std::fmt::Write as _;

    /// `push_fixed` as it was written through `core::fmt` (the bytes every CSV held): the oracle.
    fn through_fmt(v: f64, prec: usize) -> String {
        let mut out = String::new();
        const POW10: [f64; 7] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6];
        let scale = POW10[prec.min(6)];
        let scaled = (v * scale).round();
        if !scaled.is_finite() || scaled.abs() >= 9.0e15 {
            let _ = write!(out, "{v:.prec$}");
            return out;
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
        out
    }

    fn by_hand(v: f64, prec: usize) -> String {
        let mut out = String::from("x");
        push_fixed(&mut out, v, prec);
        out.split_off(1)
    }

    /// Figures of every kind a CSV meets: any finite or non-finite f64, decimal ties at each
    /// precision (k + 0.5 scaled down), both zeros and tiny values, and the edges of the
    /// integer path around 9e15.
    fn figure() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>(),
            -1.0e7f64..1.0e7,
            -10.0f64..10.0,
            (any::<i32>(), 0u32..7).prop_map(|(k, p)| (f64::from(k) + 0.5) / 10f64.powi(p as i32)),
            (any::<i64>(), 0u32..7).prop_map(|(k, p)| k as f64 / 10f64.powi(p as i32)),
            Just(0.0),
            Just(-0.0),
            Just(-0.000_04),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(f64::MIN_POSITIVE),
            (8.9e15f64..9.1e15).prop_map(|x| x / 1e4),
            (-9.1e15f64..-8.9e15).prop_map(|x| x / 1e6),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        #[test]
        fn hand_written_digits_are_the_bytes_core_fmt_wrote(v in figure(), prec in 0usize..9) {
            prop_assert_eq!(by_hand(v, prec), through_fmt(v, prec), "{} at {}", v, prec);
        }
    }

    #[test]
    fn every_decimals_count_on_a_sweep_of_figures() {
        for k in -200_000i64..200_000 {
            let v = k as f64 * 0.000_123_456_7;
            for prec in 0..=8 {
                assert_eq!(by_hand(v, prec), through_fmt(v, prec), "{v} at {prec}");
            }
        }
    }
}
