//! Tests with small CSV fixtures written into a temporary folder.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use super::{PlotError, plot_dir};
use crate::base::time::Date;

const METRICS: [&str; 9] = [
    "it_consumer_mw",
    "it_industrial_mw",
    "it_training_mw",
    "it_defense_mw",
    "it_total_mw",
    "facility_mw",
    "facility_peak_mw",
    "requests_served",
    "requests_dropped",
];
const PHYSICS: [&str; 9] = [
    "cooling_mw",
    "losses_mw",
    "pue",
    "water_onsite_m3",
    "water_offsite_m3",
    "outdoor_drybulb_c",
    "outdoor_wetbulb_c",
    "inlet_max_c",
    "throttled_acc_h",
];

struct Fixture {
    /// First day, local date.
    start: (i32, u32, u32),
    hours: usize,
    physics: bool,
    /// Data row (1-based) whose `facility_mw_mean` is replaced by `abc`.
    bad_row: Option<usize>,
}

impl Fixture {
    fn new(start: (i32, u32, u32), hours: usize, physics: bool) -> Self {
        Self {
            start,
            hours,
            physics,
            bad_row: None,
        }
    }

    fn two_weeks(physics: bool) -> Self {
        Self::new((2025, 7, 7), 14 * 24, physics)
    }
}

/// Writes `hourly.csv` and `trials.csv` into `dir` (created) and returns `dir`.
fn write_run(dir: &Path, fx: &Fixture) -> PathBuf {
    fs::create_dir_all(dir).expect("create run folder");
    let mut metrics: Vec<&str> = METRICS.to_vec();
    if fx.physics {
        metrics.extend(PHYSICS);
    }
    let mut csv = String::from("timestamp");
    for m in &metrics {
        for s in ["mean", "p05", "p50", "p95"] {
            write!(csv, ",{m}_{s}").expect("write");
        }
    }
    csv.push('\n');
    let (year, month, day) = fx.start;
    let day0 = Date { year, month, day }.days_since_epoch();
    for i in 0..fx.hours {
        let day = day0 + (i / 24) as i64;
        let hour = i % 24;
        let Date {
            year: y,
            month: m,
            day: d,
        } = Date::from_days_since_epoch(day);
        write!(csv, "{y:04}-{m:02}-{d:02}T{hour:02}:00:00-05:00").expect("write");
        let diurnal = (std::f64::consts::PI * hour as f64 / 12.0).sin();
        let consumer = 20.0 + 6.0 * diurnal;
        let industrial = 5.0 + if (8..18).contains(&hour) { 2.0 } else { 0.0 };
        let training = 24.0;
        let defense = 4.0;
        let it = consumer + industrial + training + defense;
        let temp = 22.0 + 6.0 * diurnal + (i % 7) as f64 * 0.3;
        let pue = 1.1 + 0.002 * (temp - 15.0).max(0.0);
        let facility = it * if fx.physics { pue } else { 1.1 };
        let mut values: Vec<f64> = vec![
            consumer,
            industrial,
            training,
            defense,
            it,
            facility,
            facility + 1.0,
            1.0e7,
            0.0,
        ];
        if fx.physics {
            values.extend([
                facility - it - 1.0,
                1.0,
                pue,
                50.0,
                400.0,
                temp,
                temp - 5.0,
                24.0,
                0.0,
            ]);
        }
        for (k, v) in values.iter().enumerate() {
            let bad = fx.bad_row == Some(i + 1) && metrics[k] == "facility_mw";
            if bad {
                csv.push_str(",abc");
            } else {
                write!(csv, ",{v:.4}").expect("write");
            }
            for f in [0.98, 1.0, 1.02] {
                write!(csv, ",{:.4}", v * f).expect("write");
            }
        }
        csv.push('\n');
    }
    fs::write(dir.join("hourly.csv"), csv).expect("write hourly.csv");
    let trials = "trial,energy_mwh,it_energy_mwh,peak_mw,consumer_mwh,industrial_mwh,training_mwh,defense_mwh\n\
                  0,20000.0,18000.0,70.1,7000.0,1800.0,8000.0,1300.0\n\
                  1,20100.0,18100.0,71.3,7050.0,1800.0,8000.0,1300.0\n\
                  2,19900.0,17900.0,69.8,6950.0,1800.0,8000.0,1300.0\n";
    fs::write(dir.join("trials.csv"), trials).expect("write trials.csv");
    dir.to_path_buf()
}

fn names(paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect()
}

/// The SVG paths among those `plot_dir` returned (it also lists the PNG beside each).
fn svgs(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    paths
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).expect("read plot")
}

#[test]
fn writes_the_four_plots_with_titles() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = write_run(&tmp.path().join("run-a"), &Fixture::two_weeks(false));
    let paths = svgs(plot_dir(&dir).expect("plots"));
    assert_eq!(
        names(&paths),
        [
            "facility_year.svg",
            "sectors_week.svg",
            "load_duration.svg",
            "monthly_energy.svg"
        ]
    );
    let titles = [
        "Facility power through the study — run-a",
        "IT power by sector — first full week of July 2025 — run-a",
        "Load duration curve: facility power — run-a",
        "Monthly energy by sector — run-a",
    ];
    for (path, title) in paths.iter().zip(titles) {
        assert_eq!(path.parent(), Some(dir.join("plots").as_path()));
        let svg = read(path);
        assert!(svg.starts_with("<svg"), "{}", path.display());
        assert!(svg.contains(title), "{} lacks {title:?}", path.display());
        assert!(svg.contains("(MW)") || svg.contains("(MWh)") || svg.contains("(GWh)"));
    }
    // The fixture has all four sectors: each gets a legend entry.
    let week = read(&paths[1]);
    for sector in ["Consumer IT", "Industrial IT", "Training IT", "Defense IT"] {
        assert!(week.contains(sector), "week plot lacks {sector}");
    }
    // Only the hourly bands exist, so the upper curve is called a P95 band.
    assert!(read(&paths[2]).contains("Hourly P95 band"));
    // No temporary files are left behind.
    let left: Vec<_> = fs::read_dir(dir.join("plots"))
        .expect("plots dir")
        .filter_map(Result::ok)
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            !(n.ends_with(".svg") || n.ends_with(".png"))
        })
        .collect();
    assert!(left.is_empty(), "left over: {left:?}");
}

#[test]
fn physics_runs_get_the_pue_plot_and_others_do_not() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = write_run(&tmp.path().join("phys"), &Fixture::two_weeks(true));
    let paths = svgs(plot_dir(&dir).expect("plots"));
    let pue = dir.join("plots").join("pue_vs_temperature.svg");
    assert!(paths.contains(&pue));
    let svg = read(&pue);
    assert!(svg.starts_with("<svg"));
    assert!(svg.contains("PUE against outdoor dry-bulb temperature — phys"));
    assert!(svg.contains("Outdoor dry-bulb temperature (°C)"));

    // The same folder rewritten by a run without the physical facility: the stale PUE plot goes.
    write_run(&dir, &Fixture::two_weeks(false));
    let paths = svgs(plot_dir(&dir).expect("plots"));
    assert_eq!(paths.len(), 4);
    assert!(!pue.exists());

    let plain = write_run(&tmp.path().join("plain"), &Fixture::two_weeks(false));
    let paths = svgs(plot_dir(&plain).expect("plots"));
    assert!(!names(&paths).contains(&"pue_vs_temperature.svg".to_string()));
    assert!(!plain.join("plots").join("pue_vs_temperature.svg").exists());
}

#[test]
fn a_bad_number_names_file_line_and_column() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let fx = Fixture {
        bad_row: Some(5),
        ..Fixture::two_weeks(false)
    };
    let dir = write_run(&tmp.path().join("bad"), &fx);
    let err = plot_dir(&dir).expect_err("must fail");
    assert!(
        matches!(err, PlotError::BadValue { line: 6, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    let expected = format!(
        "{}:6: column facility_mw_mean: expected a number, found \"abc\"",
        dir.join("hourly.csv").display()
    );
    assert_eq!(msg, expected);
}

#[test]
fn a_missing_hourly_file_names_the_path() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("nothing-here");
    fs::create_dir_all(&dir).expect("mkdir");
    let err = plot_dir(&dir).expect_err("must fail");
    assert!(matches!(err, PlotError::Read { .. }), "{err:?}");
    let path = dir.join("hourly.csv").display().to_string();
    assert!(err.to_string().contains(&path), "{err}");
}

#[test]
fn other_bad_inputs_are_errors_not_panics() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = write_run(&tmp.path().join("x"), &Fixture::two_weeks(false));
    let hourly = dir.join("hourly.csv");
    let good = read(&hourly);

    // Header only.
    let header = good.lines().next().unwrap_or_default().to_string();
    fs::write(&hourly, format!("{header}\n")).expect("write");
    let err = plot_dir(&dir).expect_err("empty");
    assert!(
        err.to_string().ends_with("hourly.csv: no data rows"),
        "{err}"
    );

    // A required column missing.
    let renamed = good.replacen("facility_mw_p95", "facility_mw_p97", 1);
    fs::write(&hourly, renamed).expect("write");
    let err = plot_dir(&dir).expect_err("missing column");
    assert!(
        err.to_string().ends_with("missing column facility_mw_p95"),
        "{err}"
    );

    // A bad timestamp on the second data row (line 3).
    let mut lines: Vec<String> = good.lines().map(str::to_string).collect();
    lines[2] = lines[2].replacen("2025-07-07T01:00:00-05:00", "2025-07-07 1 o'clock", 1);
    fs::write(&hourly, lines.join("\n")).expect("write");
    let err = plot_dir(&dir).expect_err("bad timestamp");
    assert!(
        err.to_string().contains("hourly.csv:3: column timestamp"),
        "{err}"
    );

    // A ragged row.
    let mut lines: Vec<String> = good.lines().map(str::to_string).collect();
    lines[3].push_str(",1.0");
    fs::write(&hourly, lines.join("\n")).expect("write");
    let err = plot_dir(&dir).expect_err("ragged");
    assert!(err.to_string().contains("hourly.csv:4:"), "{err}");

    // A bad trials.csv.
    fs::write(&hourly, &good).expect("write");
    fs::write(dir.join("trials.csv"), "trial,peak_mw\n0,lots\n").expect("write");
    let err = plot_dir(&dir).expect_err("bad trials");
    assert!(
        err.to_string().contains("trials.csv:2: column peak_mw"),
        "{err}"
    );
}

#[test]
fn short_studies_and_missing_trials_still_plot() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // 30 hours across a month end, a year end: shorter than the week plot's week.
    let fx = Fixture::new((2025, 12, 31), 30, true);
    let dir = write_run(&tmp.path().join("tiny"), &fx);
    fs::remove_file(dir.join("trials.csv")).expect("rm trials");
    let paths = svgs(plot_dir(&dir).expect("plots"));
    assert_eq!(paths.len(), 5);
    assert!(read(&paths[1]).contains("the whole study"));
    let monthly = read(&paths[3]);
    assert!(monthly.contains("Dec 2025*") && monthly.contains("Jan 2026*"));

    // Ten days in winter: no July week, so the week around the median hour.
    let fx = Fixture::new((2023, 2, 1), 240, false);
    let dir = write_run(&tmp.path().join("winter"), &fx);
    let paths = svgs(plot_dir(&dir).expect("plots"));
    assert!(read(&paths[1]).contains("median facility power"));
}

#[test]
fn load_duration_and_monthly_files_are_used_when_present() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = write_run(&tmp.path().join("files"), &Fixture::two_weeks(false));
    let mut ld = String::from("rank,hours_exceeded,facility_mw_p50,facility_mw_p90\n");
    for r in 1..=336 {
        writeln!(
            ld,
            "{r},{r},{:.3},{:.3}",
            70.0 - r as f64 * 0.05,
            72.0 - r as f64 * 0.05
        )
        .expect("write");
    }
    fs::write(dir.join("load_duration.csv"), ld).expect("write");
    fs::write(
        dir.join("monthly.csv"),
        "month,energy_mwh,consumer_mwh,industrial_mwh,training_mwh,defense_mwh\n2025-07,20000,7000,1800,8000,1300\n",
    )
    .expect("write");
    let paths = svgs(plot_dir(&dir).expect("plots"));
    let ld = read(&paths[2]);
    assert!(ld.contains("P90 across trials") && ld.contains("from load_duration.csv"));
    let monthly = read(&paths[3]);
    assert!(monthly.contains("from monthly.csv") && monthly.contains("Jul 2025"));

    // A monthly.csv without sector columns falls back to the hourly file.
    fs::write(dir.join("monthly.csv"), "month,energy_mwh\n2025-07,20000\n").expect("write");
    let paths = svgs(plot_dir(&dir).expect("plots"));
    assert!(read(&paths[3]).contains("sums of the hourly means"));
}

#[test]
fn a_year_stays_small() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let fx = Fixture::new((2025, 1, 1), 8760, true);
    let dir = write_run(&tmp.path().join("year"), &fx);
    let all = plot_dir(&dir).expect("plots");
    for p in &all {
        let size = fs::metadata(p).expect("metadata").len();
        assert!(size < 2_000_000, "{} is {size} bytes", p.display());
    }
    let paths = svgs(all);
    assert_eq!(paths.len(), 5);
    let year = read(&paths[0]);
    assert!(year.contains("Facility power through the year — year"));
    assert!(year.contains("daily envelope"));
    let monthly = read(&paths[3]);
    assert!(monthly.contains(">\nJan 2025\n") && monthly.contains(">\nDec\n"));
    assert!(!monthly.contains("partial month"));
}

#[test]
fn nan_cells_are_skipped_not_fatal() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = write_run(&tmp.path().join("nan"), &Fixture::two_weeks(true));
    let hourly = dir.join("hourly.csv");
    let text = read(&hourly);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let first = lines[0].clone();
    let header: Vec<&str> = first.split(',').collect();
    let nan_cols: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| h.starts_with("pue_") || h.starts_with("facility_mw_"))
        .map(|(i, _)| i)
        .collect();
    for (k, line) in lines.iter_mut().enumerate().skip(1) {
        let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
        for &c in &nan_cols {
            // Every PUE cell, and the facility columns on every third row.
            if header[c].starts_with("pue_") || k % 3 == 0 {
                cells[c] = "NaN".to_string();
            }
        }
        *line = cells.join(",");
    }
    fs::write(&hourly, lines.join("\n")).expect("write");
    let paths = svgs(plot_dir(&dir).expect("plots"));
    // No finite PUE at all: no PUE plot.
    assert_eq!(paths.len(), 4);
    for p in &paths {
        assert!(read(p).starts_with("<svg"));
    }
}

/// Writes a `summary.json` into `dir` with the given JSON text.
fn write_summary(dir: &Path, json: &str) {
    fs::write(dir.join("summary.json"), json).expect("write summary.json");
}

#[cfg(feature = "png")]
#[test]
fn a_png_is_written_beside_every_svg_with_its_text() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = write_run(&tmp.path().join("png"), &Fixture::two_weeks(true));
    let all = plot_dir(&dir).expect("plots");
    let svg_paths = svgs(all.clone());
    assert_eq!(svg_paths.len(), 5);
    for svg in &svg_paths {
        let png = svg.with_extension("png");
        assert!(all.contains(&png), "{} not listed", png.display());
        let bytes = fs::read(&png).expect("read png");
        assert!(
            bytes.len() > 1000,
            "{} is {} bytes",
            png.display(),
            bytes.len()
        );
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", png.display());
        assert_eq!(&bytes[12..16], b"IHDR");
        let width = u32::from_be_bytes(bytes[16..20].try_into().expect("4 bytes"));
        let height = u32::from_be_bytes(bytes[20..24].try_into().expect("4 bytes"));
        assert_eq!((width, height), (1200, 600), "{}", png.display());
        // The title is rendered (the embedded font reached resvg): dark pixels in the title
        // band at the top left, where the page is otherwise white.
        let pixmap = resvg::tiny_skia::Pixmap::decode_png(&bytes).expect("decode png");
        let mut dark = 0;
        for y in 10..40 {
            for x in 24..400 {
                let p = pixmap.pixel(x, y).expect("pixel");
                if p.red() < 100 && p.green() < 100 && p.blue() < 100 {
                    dark += 1;
                }
            }
        }
        assert!(
            dark > 200,
            "{}: only {dark} dark pixels in the title",
            png.display()
        );
    }
}

#[test]
fn titles_name_the_run_and_a_variants_swept_values() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = write_run(&tmp.path().join("variant-01"), &Fixture::two_weeks(true));
    write_summary(
        &dir,
        r#"{"run": "campus", "config": {"name": "campus",
            "sweep": {"facility.design_margin": [1.0, 1.4], "consumer[0].requests_per_day": [5e7]},
            "facility": {"kind": "physics", "design_margin": 1.4},
            "consumer": [{"requests_per_day": 50000000.0}]}}"#,
    );
    let paths = svgs(plot_dir(&dir).expect("plots"));
    assert_eq!(paths.len(), 5);
    for p in &paths {
        let svg = read(p);
        assert!(
            svg.contains(
                "campus (consumer[0].requests_per_day = 50000000.0, facility.design_margin = 1.4)"
            ),
            "{} lacks the run and swept values",
            p.display()
        );
        assert!(
            !svg.contains("variant-01"),
            "{} names the folder",
            p.display()
        );
    }
    // Without a sweep the title is the run's name, not the folder's.
    write_summary(&dir, r#"{"run": "campus", "config": {"name": "campus"}}"#);
    let paths = svgs(plot_dir(&dir).expect("plots"));
    assert!(read(&paths[0]).contains("Facility power through the study — campus\n"));
    // A summary.json that is not JSON is an error naming it.
    write_summary(&dir, "{not json");
    let err = plot_dir(&dir).expect_err("bad summary");
    assert!(err.to_string().contains("summary.json"), "{err}");
}

#[test]
fn import_limit_capacity_and_demand_response_are_drawn() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = write_run(&tmp.path().join("grid"), &Fixture::two_weeks(false));
    write_summary(
        &dir,
        r#"{"run": "grid", "installed_it_peak_mw": 70.0,
            "config": {"grid": {"import_limit_mw": 66.0}, "facility": {"kind": "fixed", "pue": 1.1}}}"#,
    );
    fs::write(
        dir.join("dr_events.csv"),
        "trial,start,hours,requested_mw\n\
         0,2025-07-08T14:00:00-05:00,3.000,5.0\n\
         1,2025-07-08T14:00:00-05:00,3.000,5.0\n\
         0,2025-07-10T15:00:00-05:00,2.000,5.0\n",
    )
    .expect("write dr_events.csv");
    let paths = svgs(plot_dir(&dir).expect("plots"));
    let year = read(&paths[0]);
    assert!(year.contains("Grid import limit 66.0"), "no limit line");
    assert!(
        year.contains("Installed facility capacity 77.0"),
        "no capacity line"
    );
    assert!(year.contains("Demand-response events"), "no DR legend");
    // Two distinct windows, one in 2 of 3 trials: two marks; the week plot shades both.
    assert!(read(&paths[1]).contains("Demand-response event"));
    assert!(read(&paths[1]).contains("Installed IT capacity 70.0"));
    assert!(read(&paths[2]).contains("Grid import limit 66.0"));
    // A limit far above the load stays off the scale and the subtitle says so.
    write_summary(
        &dir,
        r#"{"run": "grid", "config": {"grid": {"import_limit_mw": 900.0}}}"#,
    );
    let paths = svgs(plot_dir(&dir).expect("plots"));
    assert!(read(&paths[0]).contains("Off the scale: Grid import limit 900"));
    // A bad timestamp in dr_events.csv names the file and line.
    fs::write(
        dir.join("dr_events.csv"),
        "trial,start,hours\n0,yesterday,3\n",
    )
    .expect("write");
    let err = plot_dir(&dir).expect_err("bad dr_events.csv");
    let msg = err.to_string();
    assert!(
        msg.contains("dr_events.csv:2") && msg.contains("yesterday"),
        "{msg}"
    );
}

#[test]
fn a_three_year_axis_is_not_crowded() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let fx = Fixture::new((2025, 1, 1), 3 * 8760, false);
    let dir = write_run(&tmp.path().join("three"), &fx);
    let paths = svgs(plot_dir(&dir).expect("plots"));
    let year = read(&paths[0]);
    assert!(year.contains("Facility power through the study — three"));
    // Tick labels every 3 months: Jan 2025, Apr, Jul, Oct, Jan 2026, ..., Jan 2028.
    let labels: Vec<&str> = [
        "Jan 2025", "Apr", "Jul", "Oct", "Jan 2026", "Jan 2027", "Jan 2028",
    ]
    .into_iter()
    .filter(|l| year.contains(&format!(">\n{l}\n")))
    .collect();
    assert_eq!(labels.len(), 7, "found {labels:?}");
    for crowded in ["Feb", "Mar", "May", "Jun", "Aug", "Sep", "Nov", "Dec"] {
        assert!(
            !year.contains(&format!(">\n{crowded}\n")),
            "{crowded} labelled"
        );
    }
    // 36 monthly bars, labelled every third month.
    let monthly = read(&paths[3]);
    assert!(monthly.contains(">\nJan 2025\n") && monthly.contains(">\nApr\n"));
    assert!(monthly.contains(">\nJan 2027\n"));
    assert!(!monthly.contains(">\nFeb\n") && !monthly.contains(">\nDec\n"));
}

#[test]
fn dr_markers_sit_on_the_instant_of_the_event_in_prevailing_time() {
    // A Chicago study: hourly.csv's axis runs on its first row's offset (CST, -06:00), so the
    // row stamped 2025-07-08T14:00:00-05:00 (CDT) sits at 13:00 on the axis. An event at that
    // instant must sit there too, not an hour later.
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("dr_events.csv");
    fs::write(
        &path,
        "trial,start,hours\n\
         0,2025-07-08T14:00:00-05:00,2.000\n\
         0,2025-01-08T14:00:00-06:00,2.000\n\
         1,2025-07-08T14:00:00,2.000\n",
    )
    .expect("write dr_events.csv");
    let ev = super::data::read_dr_events(&path, "-06:00").expect("dr events");
    let axis = |year: i32, month: u32, day: u32, h: f64| {
        Date { year, month, day }.days_since_epoch() as f64 * 24.0 + h
    };
    assert_eq!(ev[0].start, axis(2025, 7, 8, 13.0));
    assert_eq!(ev[0].hours, 2.0);
    // In winter the offsets agree; a stamp without an offset is on the axis clock.
    assert_eq!(ev[1].start, axis(2025, 1, 8, 14.0));
    assert_eq!(ev[2].start, axis(2025, 7, 8, 14.0));
    // On a fixed offset (the axis's own) nothing moves.
    let ev = super::data::read_dr_events(&path, "-05:00").expect("dr events");
    assert_eq!(ev[0].start, axis(2025, 7, 8, 14.0));
}

/// A build-out: installed IT 40 MW for the first week, 70 MW from the second (hourly.csv's
/// `installed_it_mw_mean`). The capacity line is a step at the change, not flat at the final
/// nameplate; flat when nothing changes.
#[test]
fn installed_capacity_follows_the_build_out() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = write_run(&tmp.path().join("build"), &Fixture::two_weeks(false));
    let add_column = |f: &dyn Fn(usize) -> f64| {
        let text = read(&dir.join("hourly.csv"));
        let mut out = String::new();
        for (i, l) in text.lines().enumerate() {
            if i == 0 {
                writeln!(out, "{l},installed_it_mw_mean").expect("write");
            } else {
                writeln!(out, "{l},{}", f(i - 1)).expect("write");
            }
        }
        fs::write(dir.join("hourly.csv"), out).expect("write hourly.csv");
    };
    add_column(&|i| if i < 7 * 24 { 40.0 } else { 70.0 });
    write_summary(
        &dir,
        r#"{"run": "build", "installed_it_peak_mw": 70.0,
            "config": {"facility": {"kind": "fixed", "pue": 1.1}}}"#,
    );
    let ctx = |dir: &Path| {
        let h = super::data::read_hourly(&dir.join("hourly.csv"), 5.0, 95.0).expect("hourly");
        let study = super::data::read_study(&dir.join("summary.json")).expect("study");
        super::charts::Context::new("build".into(), h, None, study, Vec::new())
    };
    let c = ctx(&dir);
    let lines = c.facility_lines();
    let cap = lines
        .iter()
        .find(|l| l.label.starts_with("Installed facility capacity"))
        .expect("capacity line");
    let h0 = c.h.hour[0];
    assert_eq!(cap.steps.len(), 2, "{:?}", cap.steps);
    assert_eq!(cap.steps[0].0, h0);
    assert!((cap.steps[0].1 - 44.0).abs() < 1e-9);
    assert_eq!(cap.steps[1].0, h0 + 168.0);
    assert!((cap.steps[1].1 - 77.0).abs() < 1e-9);
    assert!((cap.value - 77.0).abs() < 1e-9);
    assert!(cap.label.contains("to 77.0"), "{}", cap.label);
    // The drawn path: 44 MW up to the change, 77 MW after; clipped to a range inside week 2.
    let path = cap.path(&(h0..h0 + 336.0));
    assert_eq!(
        path,
        vec![
            (h0, 44.0),
            (h0 + 168.0, 44.0),
            (h0 + 168.0, 77.0),
            (h0 + 336.0, 77.0)
        ]
    );
    assert!(
        cap.path(&(h0 + 200.0..h0 + 300.0))
            .iter()
            .all(|p| (p.1 - 77.0).abs() < 1e-9)
    );
    let it = c.it_line().expect("IT line");
    assert_eq!(it.steps, vec![(h0, 40.0), (h0 + 168.0, 70.0)]);
    let paths = svgs(plot_dir(&dir).expect("plots"));
    assert!(read(&paths[0]).contains("Installed facility capacity to 77.0"));
    // Nothing phased: flat at the nameplate.
    write_run(&dir, &Fixture::two_weeks(false));
    add_column(&|_| 70.0);
    let c = ctx(&dir);
    let it = c.it_line().expect("IT line");
    assert!(it.steps.is_empty());
    assert_eq!(it.path(&(0.0..10.0)), vec![(0.0, 70.0), (10.0, 70.0)]);
    assert!(
        it.label.contains("Installed IT capacity 70.0"),
        "{}",
        it.label
    );
}

/// A study on an IANA zone (prevailing time) labels its time axes with the zone and the one
/// offset the axis runs on (the first row's); a fixed-offset study keeps "UTC-05:00".
#[test]
fn prevailing_time_axes_name_the_zone() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = write_run(&tmp.path().join("tz"), &Fixture::two_weeks(false));
    write_summary(
        &dir,
        r#"{"run": "tz", "config": {"time_zone": "America/Chicago"}}"#,
    );
    let paths = svgs(plot_dir(&dir).expect("plots"));
    for p in &paths[..2] {
        let svg = read(p);
        assert!(
            svg.contains("America/Chicago, axis on UTC-05:00 all year"),
            "{}",
            p.display()
        );
    }
    write_summary(&dir, r#"{"run": "tz", "config": {"utc_offset": "-05:00"}}"#);
    let paths = svgs(plot_dir(&dir).expect("plots"));
    assert!(read(&paths[0]).contains("local time, UTC-05:00"));
}

/// An hour-ending hourly.csv (`[report] timestamps = "ending"`) plots on the hours it ends,
/// each moved back to its start: the same axis as the interval-beginning file.
#[test]
fn hour_ending_files_plot_on_their_starts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = write_run(&tmp.path().join("he"), &Fixture::two_weeks(false));
    let path = dir.join("hourly.csv");
    let begin = super::data::read_hourly(&path, 5.0, 95.0).expect("hourly");
    let text = read(&path);
    let rows: Vec<&str> = text.lines().collect();
    let mut out = rows[0].replacen("timestamp", "timestamp_ending,date,he,dst_flag", 1);
    out.push('\n');
    // Row i ends where row i + 1 starts; the last row is dropped.
    for i in 1..rows.len() - 1 {
        let end = rows[i + 1].split(',').next().expect("stamp");
        let rest = rows[i].split_once(',').expect("row").1;
        writeln!(out, "{end},2025-01-01,1,N,{rest}").expect("write");
    }
    fs::write(&path, out).expect("write hourly.csv");
    let end = super::data::read_hourly(&path, 5.0, 95.0).expect("hour-ending hourly");
    assert_eq!(end.hour[..], begin.hour[..begin.hour.len() - 1]);
}

/// Rewrites `dir/hourly.csv` row by row: `f(row, header, cells)` edits the cells of data row
/// `row` (0-based); the header may be extended by `extra` columns.
type RowEdit<'a> = &'a dyn Fn(usize, &[&str], &mut Vec<String>);

fn edit_hourly(dir: &Path, extra: &str, f: RowEdit) {
    let text = read(&dir.join("hourly.csv"));
    let mut lines = text.lines();
    let header_line = format!("{}{extra}", lines.next().expect("header"));
    let header: Vec<&str> = header_line.split(',').collect();
    let mut out = format!("{header_line}\n");
    for (i, l) in lines.enumerate() {
        let mut cells: Vec<String> = l.split(',').map(String::from).collect();
        f(i, &header, &mut cells);
        writeln!(out, "{}", cells.join(",")).expect("write");
    }
    fs::write(dir.join("hourly.csv"), out).expect("write hourly.csv");
}

/// A first commissioning day (1 MW of 70 installed, PUE 200) would stretch the PUE axis to
/// 200 and flatten every steady hour: those hours are left out and counted in the subtitle.
#[test]
fn commissioning_hours_do_not_drive_the_pue_axis() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = write_run(&tmp.path().join("comm"), &Fixture::two_weeks(true));
    edit_hourly(&dir, ",installed_it_mw_mean", &|i, header, cells| {
        let first_day = i < 24;
        cells.push(if first_day { "1.0" } else { "70.0" }.to_string());
        if first_day {
            for (c, h) in header.iter().enumerate() {
                if h.starts_with("pue_") {
                    cells[c] = "200.0".into();
                }
            }
        }
    });
    let h = super::data::read_hourly(&dir.join("hourly.csv"), 5.0, 95.0).expect("hourly");
    let pue = h.pue.clone().expect("pue");
    let (skip, steady) = super::charts::commissioning_hours(&h, &pue);
    assert_eq!(skip.iter().filter(|&&s| s).count(), 24);
    assert!(skip[..24].iter().all(|&s| s));
    let steady = steady.expect("a steady PUE");
    assert!((1.1..1.2).contains(&steady), "{steady}");
    plot_dir(&dir).expect("plots");
    let svg = read(&dir.join("plots").join("pue_vs_temperature.svg"));
    assert!(
        svg.contains("(312 hours)"),
        "the 24 commissioning hours are drawn"
    );
    assert!(svg.contains("24 commissioning hours left out"));
    // The axis spans the steady hours: no tick near 200 (or 50, 100, 150).
    for tick in [">200<", ">150<", ">100<", ">50<"] {
        assert!(!svg.contains(tick), "tick {tick} on the PUE axis");
    }
    // Without a build-out (no installed-IT column) nothing is left out.
    let plain = write_run(&tmp.path().join("plain"), &Fixture::two_weeks(true));
    let h = super::data::read_hourly(&plain.join("hourly.csv"), 5.0, 95.0).expect("hourly");
    let (skip, _) = super::charts::commissioning_hours(&h, h.pue.as_ref().expect("pue"));
    assert!(skip.iter().all(|&s| !s));
}

/// `[report] week` in summary.json's config chooses the sectors week; without it, the first
/// full week of July.
#[test]
fn the_run_files_week_is_the_sectors_week() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = write_run(&tmp.path().join("week"), &Fixture::two_weeks(false));
    plot_dir(&dir).expect("plots");
    let svg = read(&dir.join("plots").join("sectors_week.svg"));
    assert!(svg.contains("full week of July 2025"));
    write_summary(
        &dir,
        r#"{"run": "week", "config": {"report": {"week": "2025-07-12"}}}"#,
    );
    plot_dir(&dir).expect("plots");
    let svg = read(&dir.join("plots").join("sectors_week.svg"));
    assert!(svg.contains("week of 12 Jul 2025"), "the chosen week");
    assert!(
        svg.contains("12 – 18 Jul 2025") || svg.contains("Sat 12"),
        "starts on the 12th"
    );
}

/// Parameter paths read with the run file's names for its list entries.
#[test]
fn labels_use_the_names_in_the_run_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("summary.json");
    fs::write(
        &path,
        r#"{"config": {"consumer": [{"name": "chat", "requests_per_day": 1}, {"name": "search"}],
            "training": [{"name": "frontier"}], "facility": {"design_margin": 1.1}}}"#,
    )
    .expect("write");
    let study = super::data::read_study(&path).expect("study");
    assert_eq!(
        study.label("consumer[0].requests_per_day"),
        "chat requests_per_day"
    );
    assert_eq!(
        study.label("consumer[1].growth_per_year"),
        "search growth_per_year"
    );
    assert_eq!(
        study.label("training[0].watts_per_accelerator"),
        "frontier watts_per_accelerator"
    );
    assert_eq!(
        study.label("facility.design_margin"),
        "facility.design_margin"
    );
    assert_eq!(study.label("twin[0].x"), "twin[0].x");
}
