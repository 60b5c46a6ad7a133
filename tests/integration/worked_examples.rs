//! The run files of runs/ that the README and the how-tos work through: each still validates,
//! and the interconnection request (docs/how-to/interconnection-request.md) still writes the
//! answers the how-to quotes from its one run file.

use crate::common::*;

/// Every study run file in runs/ validates (dynamics specs and portfolio queues are other
/// commands' files, checked by their own tests).
#[test]
fn every_study_run_file_in_runs_validates() {
    let mut files: Vec<_> = std::fs::read_dir(repo("runs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !name.starts_with("dynamics-") && !name.starts_with("portfolio")
        })
        .collect();
    files.sort();
    assert!(
        files
            .iter()
            .any(|p| p.ends_with("interconnection-request.toml")),
        "{files:?}"
    );
    for f in &files {
        let said = stdout(&run_ok(&["validate", arg(f)]));
        assert!(said.contains(": OK"), "{}: {said}", f.display());
    }
}

#[test]
fn the_interconnection_request_answers_from_one_run_file() {
    let file = repo("runs/interconnection-request.toml");
    let said = stdout(&run_ok(&["validate", arg(&file)]));
    // The phased plant and the three load-bank weeks.
    assert_eq!(
        said.matches("  load bank 49.98 MW from").count(),
        3,
        "{said}"
    );
    assert!(
        said.contains("modules  from 2027-01-25T00:00:00-06:00"),
        "{said}"
    );

    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let flags = ["--trials", "2", "--quiet", "--no-plots", "--out", arg(&out)];
    run_ok(&[&["run", arg(&file)][..], &flags].concat());
    let s = summary_json(&out);
    // Per-year headlines with the 4CP determinant, and the response rule's worth.
    let years: Vec<i64> = s["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["year"].as_i64().unwrap())
        .collect();
    assert_eq!(years, [2027, 2028]);
    let cp = &s["coincident_peak"];
    assert_eq!(cp["set"], "4cp");
    for y in cp["years"].as_array().unwrap() {
        assert_eq!(y["intervals"].as_array().unwrap().len(), 4, "{y}");
        let (with, without) = (
            y["with_response_mw"]["mean"].as_f64().unwrap(),
            y["demand_mw"]["mean"].as_f64().unwrap(),
        );
        assert!(with > 0.0 && with < without, "{y}");
    }
    // Hour-ending 15-minute files per report year, and the load banks as load.
    let first = lines(&out.join("intervals_2027.csv"));
    assert!(
        first[0].starts_with("timestamp_ending,date,he,interval,dst_flag,facility_mw_mean"),
        "{}",
        first[0]
    );
    assert!(first[1].starts_with("2027-01-01T00:15:00-06:00,2027-01-01,1,1,N,"));
    let (h, rows) = read_csv(&out.join("hourly.csv"));
    let (date, bank) = (col(&h, "date"), col(&h, "load_bank_mw_mean"));
    let bank_days: std::collections::BTreeSet<&str> = rows
        .iter()
        .filter(|r| num(&r[bank]) > 0.0)
        .map(|r| r[date].as_str())
        .collect();
    assert_eq!(bank_days.len(), 21, "{bank_days:?}");
    assert!(bank_days.contains("2027-01-25") && bank_days.contains("2028-03-31"));
}
