//! Utility output conventions: `[report] timestamps = "ending"` stamps the hourly, interval and
//! 8760 files with the end instant, the operating day, hour ending 1-24, interval 1-4 and the
//! daylight-saving repeated-hour flag.

use crate::common::*;

/// A Chicago study from 1 November 2027 for 140 days at 15-minute steps: the autumn change
/// (7 November 2027) and the spring one (12 March 2028) inside it.
fn chicago(report: &str) -> String {
    format!(
        r#"
start = "2027-11-01"
time_zone = "America/Chicago"
horizon_hours = 3360
step_s = 900
trials = 2
[[site.group]]
name = "tw"
server = "DGX-H100"
count = 10
[[twin]]
name = "always"
pool = "tw"
base_utilisation = 0.6
[facility]
kind = "fixed"
pue = 1.2
[report]
intervals = true
{report}
"#
    )
}

/// The rows of `file` whose `date` is `day`: (he, interval or "", dst_flag).
fn day_rows(file: &std::path::Path, day: &str) -> Vec<(u32, String, String)> {
    let (h, rows) = read_csv(file);
    let (d, he, flag) = (col(&h, "date"), col(&h, "he"), col(&h, "dst_flag"));
    let iv = h.iter().position(|c| c == "interval");
    rows.iter()
        .filter(|r| r[d] == day)
        .map(|r| {
            let i = iv.map_or(String::new(), |k| r[k].clone());
            (r[he].parse().expect("he"), i, r[flag].clone())
        })
        .collect()
}

#[test]
fn hour_ending_files_number_hours_1_to_24_and_flag_the_repeated_hour() {
    let sc = scenario(&chicago("timestamps = \"ending\""));
    let dir = tempfile::tempdir().expect("tempdir");
    write_outputs(dir.path(), &sc, &trials(&sc));
    for name in ["hourly.csv", "load_8760.csv", "intervals.csv"] {
        let p = dir.path().join(name);
        let first = lines(&p);
        let stamp = if name == "intervals.csv" {
            "timestamp_ending,date,he,interval,dst_flag,"
        } else {
            "timestamp_ending,date,he,dst_flag,"
        };
        assert!(first[0].starts_with(stamp), "{name}: {}", first[0]);
        // Every hour ending is 1-24.
        let (h, rows) = read_csv(&p);
        let he = col(&h, "he");
        assert!(
            rows.iter()
                .all(|r| (1..=24).contains(&r[he].parse::<u32>().unwrap()))
        );
    }
    let hourly = dir.path().join("load_8760.csv");
    let first = &lines(&hourly)[1];
    assert!(
        first.starts_with("2027-11-01T01:00:00-05:00,2027-11-01,1,N,"),
        "{first}"
    );
    // The autumn day: 25 rows, hour ending 2 twice, the second flagged.
    let fall = day_rows(&hourly, "2027-11-07");
    let he: Vec<u32> = fall.iter().map(|r| r.0).collect();
    let mut want: Vec<u32> = vec![1, 2, 2];
    want.extend(3..=24);
    assert_eq!(he, want);
    let flagged: Vec<usize> = (0..fall.len()).filter(|&i| fall[i].2 == "Y").collect();
    assert_eq!(flagged, vec![2]);
    // The spring day: 23 rows, no hour ending 3, nothing flagged.
    let spring = day_rows(&hourly, "2028-03-12");
    let he: Vec<u32> = spring.iter().map(|r| r.0).collect();
    let mut want: Vec<u32> = vec![1, 2];
    want.extend(4..=24);
    assert_eq!(he, want);
    assert!(spring.iter().all(|r| r.2 == "N"));
    // hourly.csv carries the same stamps.
    assert_eq!(day_rows(&dir.path().join("hourly.csv"), "2027-11-07"), fall);

    // Intervals: 100 on the autumn day, numbered 1-4 in each hour, the repeated hour's four
    // flagged; 92 on the spring day.
    let iv = dir.path().join("intervals.csv");
    let fall = day_rows(&iv, "2027-11-07");
    assert_eq!(fall.len(), 100);
    for (k, r) in fall.iter().enumerate() {
        assert_eq!(r.1, ((k % 4) + 1).to_string());
        assert_eq!(r.2 == "Y", (8..12).contains(&k), "{k}: {r:?}");
    }
    assert_eq!(day_rows(&iv, "2028-03-12").len(), 92);
    // The year's last interval ends at midnight and belongs to 31 December, hour ending 24.
    let y27 = lines(&dir.path().join("intervals_2027.csv"));
    let last = y27.last().expect("rows");
    assert!(
        last.starts_with("2028-01-01T00:00:00-06:00,2027-12-31,24,4,N,"),
        "{last}"
    );
    // The plots read the hour-ending file as the starts it stamps.
    let beginning = scenario(&chicago(""));
    let bdir = tempfile::tempdir().expect("tempdir");
    write_outputs(bdir.path(), &beginning, &trials(&beginning));
    let b = lines(&bdir.path().join("load_8760.csv"));
    assert!(b[1].starts_with("2027-11-01T00:00:00-05:00,"), "{}", b[1]);
    // The figures are the same, only the stamps differ.
    let tail = |l: &str, k: usize| l.splitn(k + 1, ',').nth(k).unwrap_or_default().to_string();
    assert_eq!(tail(&b[1], 1), tail(first, 4));
}

#[test]
fn an_unknown_timestamps_convention_is_refused_by_line_and_field() {
    let e = resolve_err("c.toml", &chicago("timestamps = \"end\""));
    assert_says(&e, &["c.toml", "timestamps", "beginning", "ending"]);
}
