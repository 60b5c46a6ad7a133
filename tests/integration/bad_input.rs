//! Bad input gets an error naming file, line and field, a non-zero exit, and never a panic;
//! names match their library entries and vocabularies whatever their case, and a misspelt one
//! gets "did you mean".

use crate::common::*;

const BASE: &str = r#"horizon_hours = 24
step_s = 60
[[site.group]]
name = "g"
rack = "dgx-h100-x4"
count = 10
[[consumer]]
name = "chat"
preset = "chat"
pool = "g"
requests_per_day = 1.0e6
[facility]
kind = "fixed"
pue = 1.2
"#;

/// [`BASE`] with `from` replaced by `to` is refused at `to`'s line, naming `field`: the message.
fn refused_edit(from: &str, to: &str, field: &str) -> String {
    refused_at(&BASE.replace(from, to), to, field)
}

#[test]
fn misspelled_field() {
    refused_edit(
        "requests_per_day =",
        "requests_per_dya =",
        "requests_per_dya",
    );
}

#[test]
fn unknown_server_and_rack_names() {
    let err = refused_edit("rack = \"dgx-h100-x4\"", "server = \"DGX-H1000\"", "server");
    assert!(err.contains("DGX-H100"), "lists the known names: {err}");
    refused_edit("dgx-h100-x4", "dgx-h100-x44", "rack");
    refused_edit("pool = \"g\"", "pool = \"nope\"", "pool");
}

#[test]
fn negative_rate_and_out_of_range_values() {
    refused_edit("1.0e6", "-5.0", "requests_per_day");
    refused_edit("pue = 1.2", "pue = 0.8", "pue");
    refused_edit("count = 10", "count = 2.5", "count");
}

#[test]
fn step_that_does_not_divide_an_hour() {
    let err = refused_edit("step_s = 60", "step_s = 7", "step_s");
    assert!(err.contains("divisor of 3600"), "{err}");
}

#[test]
fn wrong_type_names_the_field() {
    refused_edit("count = 10", "count = \"ten\"", "count");
}

#[test]
fn unreadable_files() {
    let err = fails(&["run", "/nonexistent/study.toml", "--quiet"]);
    assert_says(&err, &["/nonexistent/study.toml", "cannot read"]);
    let err = fails(&["run", "--models", "/nonexistent/models"]);
    assert!(err.contains("--models"), "{err}");
}

#[test]
fn bad_cli_flags_are_refused() {
    for args in [
        &["run", "--trials", "0"][..],
        &["run", "--threads", "zero"],
        &["run", "--bogus"],
    ] {
        assert!(fails(args).contains("error"), "{args:?}");
    }
}

#[test]
fn malformed_trace_row_names_the_line() {
    let f = RunFile::new(&BASE.replace(
        "requests_per_day = 1.0e6",
        "trace = { file = \"trace.csv\", requests_per_day = 1.0e6 }",
    ));
    f.beside(
        "trace.csv",
        "TIMESTAMP,ContextTokens,GeneratedTokens\n\
         2023-11-16 18:15:46.68,374,44\n\
         2023-11-16 18:15:50.99,39x6,109\n",
    );
    assert_says(&f.validate_fails(), &["trace.csv:3", "ContextTokens"]);
}

#[test]
fn a_study_too_big_for_memory_is_refused_up_front() {
    let err = fails(&["run", "--trials", "1000000", "--quiet"]);
    assert_says(&err, &["--trials", "GiB"]);
    refused_edit(
        "horizon_hours = 24",
        "horizon_hours = 100000000",
        "horizon_hours",
    );
}

/// Every name in a different case from its library entry or vocabulary word.
const NAMES: &str = r#"horizon_hours = 48
step_s = 600
[[site.group]]
name = "g"
rack = "DGX-H100-X4"
count = 10
cooling = "Air"
[[consumer]]
name = "chat"
preset = "Chat"
pool = "G"
requests_per_day = 1.0e6
[facility]
kind = "Physics"
climate = "Dallas"
electrical = "HYPERSCALE"
air_class = "a2"
[facility.plants]
air = "Air-Chiller-Economiser"
[grid]
import_limit_mw = 100.0
limit_policy = "Cap"
carbon = "ERCOT"
tariff = "ERCOT-4cp-like"
"#;

#[test]
fn names_match_whatever_their_case() {
    let f = RunFile::new(NAMES);
    run_ok(&["validate", f.arg()]);
}

#[test]
fn a_misspelt_name_gets_the_nearest_with_file_line_and_field() {
    for (from, to, field, want) in [
        (
            "climate = \"Dallas\"",
            "climate = \"Dalas\"",
            "climate",
            "dallas",
        ),
        (
            "carbon = \"ERCOT\"",
            "carbon = \"ERCTO\"",
            "carbon",
            "ercot",
        ),
        (
            "rack = \"DGX-H100-X4\"",
            "rack = \"dgx-h10-x4\"",
            "rack",
            "dgx-h100-x4",
        ),
        (
            "limit_policy = \"Cap\"",
            "limit_policy = \"capp\"",
            "limit_policy",
            "cap",
        ),
        (
            "kind = \"Physics\"",
            "kind = \"phisics\"",
            "kind",
            "physics",
        ),
        (
            "tariff = \"ERCOT-4cp-like\"",
            "tariff = \"ercot-4cp\"",
            "tariff",
            "ercot-4cp-like",
        ),
        ("cooling = \"Air\"", "cooling = \"airr\"", "cooling", "air"),
    ] {
        let err = refused_at(&NAMES.replace(from, to), to, field);
        assert!(err.contains(&format!("did you mean \"{want}\"?")), "{err}");
    }
}

/// An unknown climate says how to add one (issue 22, item 9): a climate file under
/// `--models DIR`, or a recorded EPW year.
#[test]
fn an_unknown_climate_says_how_to_add_one() {
    let text = NAMES.replace("climate = \"Dallas\"", "climate = \"houston\"");
    let err = refused_at(&text, "climate = \"houston\"", "climate");
    assert_says(
        &err,
        &[
            "DIR/climates/<name>.toml",
            "--models DIR",
            "epw = \"file.epw\"",
        ],
    );
}

/// A `system_peaks_file` that is not there is refused at its line, naming the field.
#[test]
fn a_missing_system_peaks_file_names_its_field_and_line() {
    let text = NAMES.replace(
        "[grid]\n",
        "[grid]\nsystem_peaks_file = \"no-such-4cp.csv\"\n",
    );
    let err = refused_at(&text, "system_peaks_file = ", "system_peaks_file");
    assert_says(
        &err,
        &["no-such-4cp.csv", "relative to the run file's folder"],
    );
}

#[test]
fn two_entries_differing_only_by_case_are_refused_naming_both() {
    let f = RunFile::new(NAMES);
    let models = f.join("models");
    std::fs::create_dir(&models).unwrap();
    std::fs::write(
        models.join("racks.toml"),
        "[[rack]]\nname = \"DGX-h100-x4\"\nserver = \"DGX-H100\"\nservers = 2\nbudget_kw = 21.0\ncooling = \"air\"\n",
    )
    .unwrap();
    let err = fails(&["validate", f.arg(), "--models", arg(&models)]);
    assert!(
        err.contains("\"dgx-h100-x4\" and \"DGX-h100-x4\""),
        "want both names: {err}"
    );
}

/// An error from a weather file is printed once: the error type holds the weather error's
/// message, not the message and the same error again as its source (an earlier build printed
/// `error: FILE:1: not an EPW file ...: FILE:1: not an EPW file ...`).
#[test]
fn a_weather_file_error_is_printed_once() {
    let f =
        RunFile::new(&default_short(24, 300).replace("climate = \"ashburn\"", "epw = \"bad.epw\""));
    f.beside("bad.epw", "x,y\n");
    let err = f.validate_fails();
    assert_eq!(err.matches("not an EPW file").count(), 1, "{err}");
    assert!(err.contains("bad.epw:1:"), "{err}");
}

/// A study that would run past year 9999 is refused at `start` (timestamps have four-digit
/// years and are read back by resume, merge and the plots); one ending within 9999 runs.
#[test]
fn a_study_past_year_9999_is_refused() {
    let study = |start: &str| {
        format!(
            "start = {start:?}\nhorizon_hours = 48\n[[site.group]]\nname = \"g\"\nrack = \"dgx-h100-x4\"\ncount = 1\n[[consumer]]\nname = \"c\"\npreset = \"chat\"\npool = \"g\"\nrequests_per_day = 1.0e3\n[facility]\nkind = \"fixed\"\npue = 1.2\n"
        )
    };
    let err = RunFile::new(&study("9999-12-31")).validate_fails();
    assert_says(&err, &["run.toml:1", "start", "9999-12-31"]);
    let ok = RunFile::new(&study("9999-12-29"));
    run_ok(&["validate", ok.arg()]);
}

/// Names become CSV cells and console text: a comma, a double quote, a control character or a
/// leading =, +, - or @ (a spreadsheet formula) is refused at the entry's own `name` line.
#[test]
fn names_unsafe_in_a_csv_cell_are_refused_at_their_line() {
    for (toml_name, what) in [
        (r#""chat,eu""#, "comma"),
        (r#""chat\"eu""#, "double quote"),
        (r#""=HYPERLINK(1)""#, "formula"),
        (r#""-chat""#, "formula"),
        (r#""chat\u001b[31m""#, "control character"),
    ] {
        let text = format!(
            "horizon_hours = 24\n[[site.group]]\nname = \"g\"\nrack = \"dgx-h100-x4\"\ncount = 1\n[[consumer]]\nname = \"ok\"\npreset = \"chat\"\npool = \"g\"\nrequests_per_day = 1.0e3\n[[consumer]]\nname = {toml_name}\npreset = \"chat\"\npool = \"g\"\nrequests_per_day = 1.0e3\n[facility]\nkind = \"fixed\"\npue = 1.2\n"
        );
        let err = RunFile::new(&text).validate_fails();
        assert_says(&err, &["run.toml:12", "name", what]);
        assert!(
            !err.contains('\u{1b}'),
            "the escape reached the terminal: {err:?}"
        );
    }
}

/// A name that reaches a CSV cell with a comma, a double quote or a line break (the run-file
/// checks refuse them, but a writer must not depend on that) is quoted as the csv crate quotes
/// it, and reads back as one cell: classes.csv, jobs.csv and trials.csv's columns.
#[test]
fn names_with_csv_metacharacters_round_trip_through_the_csv_writers() {
    let text = one_job(48, 4, "0").replace(
        "[facility]",
        "[[consumer]]\nname = \"chat\"\npreset = \"chat\"\npool = \"train\"\nrequests_per_day = 1000\n[facility]",
    );
    let mut sc = scenario(&text);
    let odd = "a,\"b\"\nc";
    sc.consumers[0].name = format!("class {odd}");
    sc.trainings[0].name = format!("job {odd}");
    sc.fleet.pools[0].name = format!("pool {odd}");
    let results = trials(&sc);
    let dir = tempfile::tempdir().unwrap();
    write_outputs(dir.path(), &sc, &results);
    let read = |name: &str| -> Vec<csv::StringRecord> {
        let mut r = csv::Reader::from_path(dir.path().join(name)).unwrap();
        let header = r.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert!(rows.iter().all(|row| row.len() == header.len()), "{name}");
        [vec![header], rows].concat()
    };
    let classes = read("classes.csv");
    assert_eq!(&classes[1][1], format!("class {odd}"));
    assert_eq!(&classes[1][2], format!("pool {odd}"));
    let jobs = read("jobs.csv");
    assert_eq!(&jobs[1][1], format!("job {odd}"));
    let trials_csv = read("trials.csv");
    assert!(
        trials_csv[0].iter().any(|h| h.contains(odd)),
        "{:?}",
        trials_csv[0]
    );
}

/// Growth compounds: 1e15 a year overflowed the arrival rate after ~20 years and the load
/// fell to zero with exit 0. Refused at its line, saying the most this horizon allows.
#[test]
fn growth_that_overflows_over_the_horizon_is_refused_at_its_line() {
    let text = BASE
        .replace(
            "horizon_hours = 24",
            "horizon_hours = 219000\nstep_s = 3600",
        )
        .replace("step_s = 60\n", "")
        .replace(
            "requests_per_day = 1.0e6",
            "requests_per_day = 1.0e6\ngrowth_per_year = 1e15",
        );
    let err = refused_at(&text, "growth_per_year", "growth_per_year");
    assert_says(
        &err,
        &["25 years", "expected at most 1.", "over this horizon"],
    );
    // Fast growth over one year that stays a number the study can count.
    let one_year = text
        .replace("horizon_hours = 219000", "horizon_hours = 8760")
        .replace("growth_per_year = 1e15", "growth_per_year = 1e8");
    run_ok(&["validate", RunFile::new(&one_year).arg()]);
}
