//! What broke first, pool by pool, and the ramps of each report year (issue 12).

use dcload::base::time::SimTime;
use dcload::run::traces::HourlySource;

use crate::common::*;

/// Two pools, each with a chat class of 1e6 requests a day: `north` with `north` DGX H100
/// servers, `south` with `south`. 200 servers carry it with room to spare; one server cannot
/// (it serves well under a tenth of it).
fn two_pools(north: u32, south: u32) -> String {
    format!(
        r#"
name = "two-pools"
start = "2025-01-01"
horizon_hours = 48
step_s = 60
trials = 2
[[site.group]]
name = "north"
server = "DGX-H100"
count = {north}
[[site.group]]
name = "south"
server = "DGX-H100"
count = {south}
[[consumer]]
name = "chat-n"
preset = "chat"
pool = "north"
requests_per_day = 1.0e6
[[consumer]]
name = "chat-s"
preset = "chat"
pool = "south"
requests_per_day = 1.0e6
[facility]
kind = "fixed"
pue = 1.2
"#
    )
}

/// Only the undersized pool is named, with its hours, first instant and requests; its figures
/// are the site-wide ones (the other pool drops nothing) and its requests its class's. Swapping
/// which pool is short moves the name. The console, summary.json and report.html say the same.
#[test]
fn what_broke_names_only_the_short_pool_and_follows_a_swap() {
    let dir = tempfile::tempdir().unwrap();
    for (north, south, short, ample, short_class) in
        [(200, 1, "south", "north", 1), (1, 200, "north", "south", 0)]
    {
        let text = two_pools(north, south);
        let sc = scenario(&text);
        let r = trials(&sc);
        let ps = if short == "south" { 1 } else { 0 };
        for t in &r {
            let s = &t.summary;
            assert_eq!(s.pool_drops.len(), 2);
            let d = &s.pool_drops[ps];
            let other = &s.pool_drops[1 - ps];
            assert!(d.hours > 0.0 && d.hours <= 48.0, "{d:?}");
            assert!(d.first_at_s >= 0.0 && d.first_at_s < 48.0 * 3600.0, "{d:?}");
            assert!(d.worst_hour_requests > 0.0 && d.worst_at_s % 3600.0 == 0.0);
            assert_eq!(d.requests, s.classes[short_class].dropped as f64);
            assert_eq!(
                (other.hours, other.requests, other.first_at_s),
                (0.0, 0.0, -1.0)
            );
            assert_eq!(d.requests, s.requests_dropped);
            assert_eq!(d.hours, s.drop_hours);
            assert_eq!(d.first_at_s, s.drop_first_at_s);
        }
        let lines = dcload::report::what_broke::trouble_lines(&sc, &r);
        assert_eq!(lines.len(), 1, "{lines:?}");
        let first = sc
            .calendar
            .timestamp(SimTime(r[0].summary.pool_drops[ps].first_at_s as u64));
        assert!(
            lines[0].starts_with(&format!("pool \"{short}\" saturated, requests dropped"))
                && !lines[0].contains(ample)
                && lines[0].contains(&format!("first {}", first.get(..13).unwrap())),
            "{lines:?}"
        );

        let f = dir.path().join(format!("{short}.toml"));
        std::fs::write(&f, &text).unwrap();
        let out = dir.path().join(short);
        let o = run_ok(&[
            "run",
            f.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--no-plots",
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!("pool \"{short}\" saturated")),
            "{err}"
        );
        assert!(!err.contains(&format!("pool \"{ample}\"")), "{err}");
        let js: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        let wb: Vec<&str> = js["what_broke"]
            .as_array()
            .expect("what_broke in summary.json")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        assert_eq!(wb.len(), 1, "{wb:?}");
        assert!(wb[0].starts_with(&format!("pool \"{short}\"")), "{wb:?}");
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert!(
            html.contains("What broke first")
                && html.contains(&format!("pool &quot;{short}&quot; saturated")),
            "report.html lacks the pool's line"
        );
    }
    // Both ample: nothing listed, and summary.json has no `what_broke`.
    let sc = scenario(&two_pools(200, 200));
    let r = trials(&sc);
    assert!(dcload::report::what_broke::trouble_lines(&sc, &r).is_empty());
    let js = dcload::report::summary_json(&sc, &r, 1, 0.0).unwrap();
    assert!(!js.contains("what_broke"));
}

/// Two calendar years at 15-minute steps; a 100-server group comes online at the start of
/// 2028 (local midnight), each group with a twin at 60 % utilisation.
fn step_up(report: &str) -> String {
    format!(
        r#"
start = "2027-01-01"
utc_offset = "-06:00"
horizon_hours = 17544
step_s = 900
trials = 2
[site]
[[site.group]]
name = "first"
server = "DGX-H100"
count = 10
[[site.group]]
name = "late"
server = "DGX-H100"
count = 100
online = "2028-01-01"
[[twin]]
name = "a"
pool = "first"
base_utilisation = 0.6
[[twin]]
name = "b"
pool = "late"
base_utilisation = 0.6
[facility]
kind = "fixed"
pue = 1.2
[grid]
ramp_thresholds_mw = [0.5, 5.0]
{report}
"#
    )
}

fn row<'a>(rows: &'a [Vec<String>], figure: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r[0] == figure)
        .unwrap_or_else(|| panic!("no row {figure}"))
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// Year 2's worst hourly rise is the new group coming online, at the first hour of 2028, and
/// year 1's is a small fraction of it; every worst instant lies in its file's year. The years
/// cover the run, so per trial the larger of the years' worst rise and fall (step, 15 minutes,
/// hour) is the whole run's, and the years' threshold counts add up to the whole run's.
#[test]
fn ramps_per_report_year_split_the_whole_runs_ramps() {
    let sc = scenario(&step_up("[report]\nyears = [2027, 2028]"));
    let r = trials(&sc);
    for t in &r {
        let s = &t.summary;
        assert_eq!(s.year_ramps.len(), 2);
        let (a, b) = (&s.year_ramps[0], &s.year_ramps[1]);
        for (y, w) in [
            (a.up_step_mw.max(b.up_step_mw), s.ramp_up_step_mw),
            (a.down_step_mw.max(b.down_step_mw), s.ramp_down_step_mw),
            (a.up_15min_mw.max(b.up_15min_mw), s.ramp_up_15min_mw),
            (a.down_15min_mw.max(b.down_15min_mw), s.ramp_down_15min_mw),
            (a.up_hour_mw.max(b.up_hour_mw), s.ramp_up_hour_mw),
            (a.down_hour_mw.max(b.down_hour_mw), s.ramp_down_hour_mw),
        ] {
            assert_eq!(y, w);
        }
        assert_eq!(b.up_hour_at_s, s.ramp_up_hour_at_s);
        for i in 0..s.ramp_steps_over.len() {
            assert_eq!(a.steps_over[i] + b.steps_over[i], s.ramp_steps_over[i]);
            assert_eq!(a.min15_over[i] + b.min15_over[i], s.ramp_15min_over[i]);
        }
        assert!(b.up_hour_mw > 0.5, "{b:?}");
        assert!(a.up_hour_mw < 0.1 * b.up_hour_mw, "{a:?} {b:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    dcload::report::write_all(dir.path(), &sc, &r, 1, 0.0, false, &HourlySource::Memory).unwrap();
    let read = |y: i32| read_csv(&dir.path().join(format!("ramps_{y}.csv")));
    let (h, y1) = read(2027);
    let (h2, y2) = read(2028);
    assert_eq!(h, h2);
    assert_eq!(
        &h[..3],
        ["figure", "unit", "mean"].map(String::from).as_slice()
    );
    let (worst, at) = (col(&h, "worst"), col(&h, "worst_at"));
    let up2 = row(&y2, "ramp_up_hour_mw");
    let up1 = row(&y1, "ramp_up_hour_mw");
    assert!(up2[at].starts_with("2028-01-01T00:00:00-06:00"), "{up2:?}");
    assert!(num(&up1[worst]) < 0.1 * num(&up2[worst]), "{up1:?} {up2:?}");
    let whole = r
        .iter()
        .map(|t| t.summary.ramp_up_hour_mw)
        .fold(0.0, f64::max);
    assert!(
        (num(&up2[worst]) - whole).abs() < 1e-4,
        "{up2:?} vs {whole}"
    );
    for (year, rows) in [("2027", &y1), ("2028", &y2)] {
        for rw in rows.iter() {
            assert!(
                rw[at].is_empty() || rw[at].starts_with(year),
                "{year}: {rw:?}"
            );
        }
        assert!(rows.iter().any(|rw| rw[0] == "ramp_steps_over_5mw"));
        assert!(rows.iter().any(|rw| rw[0] == "ramp_15min_over_5mw"));
    }
    // The changes above 0.5 MW: one step and one 15-minute interval in 2028 (the group coming
    // online), none in 2027.
    let c = col(&h, "mean");
    for figure in ["ramp_steps_over_0.5mw", "ramp_15min_over_0.5mw"] {
        assert_eq!(num(&row(&y1, figure)[c]), 0.0);
        assert_eq!(num(&row(&y2, figure)[c]), 1.0);
    }
}

/// Without report years nothing extra is metered or written.
#[test]
fn no_report_years_no_year_ramps() {
    let sc = scenario(&step_up(""));
    let r = trials(&sc);
    assert!(r.iter().all(|t| t.summary.year_ramps.is_empty()));
    let dir = tempfile::tempdir().unwrap();
    dcload::report::write_all(dir.path(), &sc, &r, 1, 0.0, false, &HourlySource::Memory).unwrap();
    let ramps_files = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("ramps"))
        .count();
    assert_eq!(ramps_files, 0);
}

/// `--years` on a study with a sampled parameter (each trial re-resolves its scenario): the
/// trials still meter the year's ramps, so ramps_2028.csv carries the step up at its first hour.
#[test]
fn years_flag_on_a_sampled_study_writes_the_years_ramps() {
    let text = step_up("").replace(
        "base_utilisation = 0.6\n[facility]",
        "base_utilisation = { dist = \"uniform\", min = 0.5, max = 0.7 }\n[facility]",
    );
    assert!(text.contains("dist = \"uniform\""));
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("sampled.toml");
    std::fs::write(&f, &text).unwrap();
    let out = dir.path().join("out");
    run_ok(&[
        "run",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-plots",
        "--years",
        "2028",
    ]);
    let (h, rows) = read_csv(&out.join("ramps_2028.csv"));
    let up = row(&rows, "ramp_up_step_mw");
    assert!(num(&up[col(&h, "worst")]) > 0.5, "{up:?}");
    assert!(
        up[col(&h, "worst_at")].starts_with("2028-01-01T00:00:00-06:00"),
        "{up:?}"
    );
}
