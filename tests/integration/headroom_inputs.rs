//! `dcload headroom` reads system-load files as utilities export them: 15-minute rows averaged
//! to hours, day-first dates, hour-ending columns and the repeated fall-back hour of a file in
//! local time, each giving the same headroom as the plain hourly file.

use dcload::headroom::{ReadOptions, read_system_load};

use crate::common::*;
use crate::headroom::{hand_built, write};

/// headroom.csv of `dcload headroom FILE`.
fn headroom_csv(file: &std::path::Path, out: &std::path::Path) -> (String, String) {
    let res = run_ok(&["headroom", arg(file), "--out", arg(out)]);
    let csv = std::fs::read_to_string(out.join("headroom.csv")).unwrap();
    (csv, stdout(&res))
}

/// The hand-built hourly file rewritten row by row.
fn rewrite(f: impl Fn(&str, &str) -> String) -> String {
    let text = hand_built();
    let mut lines = text.lines();
    let mut s = format!("{}\n", lines.next().unwrap());
    for l in lines {
        let (stamp, mw) = l.split_once(',').unwrap();
        s.push_str(&f(stamp, mw));
    }
    s
}

#[test]
fn fifteen_minute_rows_give_the_headroom_of_their_hourly_means() {
    let dir = tempfile::tempdir().unwrap();
    let hourly = write(dir.path(), "hourly.csv", &hand_built());
    // Each hour's four quarters swing around the hour's load (-30, +10, +30, -10 MW), averaging
    // to it; a quarter above the hour's peak does not set the threshold, the hour's mean does.
    let quarters = rewrite(|stamp, mw| {
        let mw: f64 = mw.parse().unwrap();
        let hour = &stamp[..13];
        [(0, -30.0), (15, 10.0), (30, 30.0), (45, -10.0)]
            .iter()
            .map(|(m, d)| format!("{hour}:{m:02},{}\n", mw + d))
            .collect()
    });
    let q = write(dir.path(), "quarters.csv", &quarters);
    let (want, _) = headroom_csv(&hourly, &dir.path().join("h"));
    let (got, console) = headroom_csv(&q, &dir.path().join("q"));
    assert_eq!(got, want);
    assert!(
        console.contains("15-minute intervals averaged to hours")
            && console.contains("summer peak 1200 MW, winter peak 1000 MW"),
        "{console}"
    );
}

#[test]
fn day_first_dates_and_hour_ending_columns_read_as_the_iso_file() {
    let dir = tempfile::tempdir().unwrap();
    let (want, _) = headroom_csv(
        &write(dir.path(), "iso.csv", &hand_built()),
        &dir.path().join("iso"),
    );
    // `2024-07-01T17:00` -> (yyyy, mm, dd, HH).
    let parts = |s: &str| {
        (
            s[..4].to_string(),
            s[5..7].to_string(),
            s[8..10].to_string(),
            s[11..13].parse::<u32>().unwrap(),
        )
    };
    let dmy = rewrite(|stamp, mw| {
        let (y, m, d, h) = parts(stamp);
        format!("{d}-{m}-{y} {h:02}:00,{mw}\n")
    });
    // Hour ending 1-24 beside a US date: hour h begins at h - 1.
    let he = rewrite(|stamp, mw| {
        let (y, m, d, h) = parts(stamp);
        format!("{m}/{d}/{y},{},{mw}\n", h + 1)
    })
    .replacen("timestamp,MW", "Date,HE,MW", 1);
    // An `Hour Ending` timestamp column: 01:00 ends the day's first hour, 24:00 its last.
    let ending = rewrite(|stamp, mw| {
        let (y, m, d, h) = parts(stamp);
        format!("{y}-{m}-{d} {:02}:00,{mw}\n", h + 1)
    })
    .replacen("timestamp,MW", "Hour Ending,MW", 1);
    for (name, text) in [("dmy.csv", dmy), ("he.csv", he), ("ending.csv", ending)] {
        let f = write(dir.path(), name, &text);
        let (got, _) = headroom_csv(&f, &dir.path().join(format!("out-{name}")));
        assert_eq!(got, want, "{name}");
    }
}

/// A file in local prevailing time repeats 01:00 on the fall-back day: the two rows (or their
/// two sets of quarters) are merged by their mean; elsewhere a repeat is an error.
#[test]
fn repeated_fall_back_hour_is_merged_by_the_mean_of_the_two() {
    let dir = tempfile::tempdir().unwrap();
    let hourly = "timestamp,MW\n2024-11-03 00:00,100\n2024-11-03 01:00,110\n2024-11-03 01:00,130\n2024-11-03 02:00,100\n";
    let mut quarters = String::from("timestamp,MW\n");
    for (h, mws) in [(0, [100.0; 2]), (1, [110.0, 130.0]), (2, [100.0; 2])] {
        for mw in &mws[..if h == 1 { 2 } else { 1 }] {
            for m in [0, 15, 30, 45] {
                quarters.push_str(&format!("2024-11-03 {h:02}:{m:02},{mw}\n"));
            }
        }
    }
    for (name, text) in [("hourly.csv", hourly.to_string()), ("q.csv", quarters)] {
        let f = write(dir.path(), name, &text);
        let load = read_system_load(&[f], &ReadOptions::default()).unwrap();
        let mw: Vec<f64> = load.hours.iter().map(|h| h.mw).collect();
        assert_eq!(mw, vec![100.0, 120.0, 100.0], "{name}");
        assert!(
            load.what.contains("merged by the mean of the two"),
            "{}",
            load.what
        );
    }
    // Written with offsets, the two are distinct instants: kept apart.
    let f = write(
        dir.path(),
        "offsets.csv",
        "timestamp,MW\n2024-11-03T01:00-05:00,110\n2024-11-03T01:00-06:00,130\n",
    );
    let load = read_system_load(&[f], &ReadOptions::default()).unwrap();
    assert_eq!(load.hours.len(), 2);
    // In July a repeat is no fall-back hour.
    let f = write(
        dir.path(),
        "july.csv",
        "timestamp,MW\n2024-07-03 01:00,110\n2024-07-03 01:00,130\n",
    );
    let err = fails(&["headroom", arg(&f)]);
    assert!(
        err.contains("july.csv:3:1") && err.contains("appears twice"),
        "{err}"
    );
}
