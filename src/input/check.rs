//! Range checks shared by every resolver: a number that must be positive, non-negative or a
//! fraction, and the error that points at the offending field of the entry (table) that starts
//! at a byte offset of its source file.

use crate::base::error::{Error, Result, Source};

/// An error on `field` of the table that starts at byte `at`: points at the first `field =`
/// after `at`, which is the entry's own key in the usual one-entry-per-table layout.
pub fn err_after(src: &Source, at: usize, field: &str, msg: &str) -> Error {
    let off = crate::base::locate::key_after(&src.text, at, field);
    match off {
        Some(o) => src.error_at(o..o, field, msg),
        None => src.error_at(at..at, field, msg),
    }
}

pub fn positive(src: &Source, at: usize, field: &str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(err_after(
            src,
            at,
            field,
            &format!(
                "expected a positive number, found {}",
                crate::input::limits::num(v)
            ),
        ))
    }
}

pub fn non_negative(src: &Source, at: usize, field: &str, v: f64) -> Result<()> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(err_after(
            src,
            at,
            field,
            &format!(
                "expected a number >= 0, found {}",
                crate::input::limits::num(v)
            ),
        ))
    }
}

pub fn fraction(src: &Source, at: usize, field: &str, v: f64) -> Result<()> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(err_after(
            src,
            at,
            field,
            &format!(
                "expected a fraction between 0 and 1, found {}",
                crate::input::limits::num(v)
            ),
        ))
    }
}
