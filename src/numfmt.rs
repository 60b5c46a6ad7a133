//! Numbers in messages: printed compactly, so no error can print the 309 digits of 1e308.
//! Kept apart from the limits so the error type can use it without importing them.

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
