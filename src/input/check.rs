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

/// `Ok` when `ok`, else an error on `field` saying what was `expected` and what was found.
fn require(src: &Source, at: usize, field: &str, v: f64, ok: bool, expected: &str) -> Result<()> {
    if ok {
        return Ok(());
    }
    Err(err_after(
        src,
        at,
        field,
        &format!(
            "expected {expected}, found {}",
            crate::input::limits::num(v)
        ),
    ))
}

pub fn positive(src: &Source, at: usize, field: &str, v: f64) -> Result<()> {
    require(
        src,
        at,
        field,
        v,
        v.is_finite() && v > 0.0,
        "a positive number",
    )
}

pub fn non_negative(src: &Source, at: usize, field: &str, v: f64) -> Result<()> {
    require(
        src,
        at,
        field,
        v,
        v.is_finite() && v >= 0.0,
        "a number >= 0",
    )
}

pub fn fraction(src: &Source, at: usize, field: &str, v: f64) -> Result<()> {
    let ok = v.is_finite() && (0.0..=1.0).contains(&v);
    require(src, at, field, v, ok, "a fraction between 0 and 1")
}
