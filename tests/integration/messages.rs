//! What the program prints reads plainly: a long name is cut with an ellipsis, numbers are
//! compact, a count is never `-0`, and the words are right.

use crate::common::*;

const ONE_POOL: &str = ONE_TWIN_DAY;

/// A name of a megabyte (an unknown pool) is echoed cut to its first characters and an
/// ellipsis, not in full.
#[test]
fn a_megabyte_name_is_cut_with_an_ellipsis() {
    let long = "q".repeat(1 << 20);
    let text = ONE_POOL.replace("pool = \"g\"", &format!("pool = \"{long}\""));
    let err = refused_at(&text, "pool = \"qqq", "pool");
    assert!(err.len() < 2000, "{} bytes echoed", err.len());
    assert_says(&err, &[&format!("{}…", "q".repeat(80))]);
    // A megabyte name of a group (plain letters) would head columns and console lines: refused
    // at its line, shown cut.
    let text = ONE_POOL.replace("name = \"g\"", &format!("name = \"{long}\""));
    let err = refused_at(&text, "name = \"qqq", "name");
    assert!(err.len() < 2000, "{} bytes echoed", err.len());
    assert_says(&err, &["more than 100 characters"]);
}

/// A whole number past TOML's integers is explained in the file's terms, not serde's
/// "integer `1e26` as i128".
#[test]
fn a_whole_number_too_large_for_toml_says_how_to_write_it() {
    let text = ONE_POOL.replace("count = 10", "count = 100000000000000000000000000");
    let err = refused_at(&text, "count = 1000", "count");
    assert!(!err.contains("i128"), "{err}");
    assert_says(
        &err,
        &["found the whole number 1e26", "write it with an exponent"],
    );
}

/// A study without consumer classes counts 0 requests, written `0`, not `-0` (an empty sum).
#[test]
fn request_counts_without_consumer_classes_are_zero_not_minus_zero() {
    let (_f, out) = run_quiet(ONE_POOL, &[]);
    for name in column(&out.join("trials.csv"), "requests_arrived") {
        assert_eq!(name, "0");
    }
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(
        !summary.contains("-0.0,") && !summary.contains("-0.0\n"),
        "{summary}"
    );
}

/// A trace whose rows mix timestamps with and without an offset says which has none.
#[test]
fn a_trace_mixing_offsets_says_which_row_has_none() {
    let f = RunFile::new(&ONE_POOL.replace(
        "[[twin]]",
        "[[consumer]]\nname = \"chat\"\npool = \"g\"\ntrace = { file = \"trace.csv\" }\n[[twin]]",
    ));
    f.beside(
        "trace.csv",
        "TIMESTAMP,ContextTokens,GeneratedTokens\n2025-01-01T01:00:00+00:00,10,10\n2025-01-01T02:00:00,10,10\n",
    );
    let err = f.validate_fails();
    assert_says(&err, &["has no UTC offset but the first one (line 2) has"]);
    assert!(!err.contains("no a "), "{err}");
}
