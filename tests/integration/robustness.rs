//! Robustness: each input that once passed `validate` and then made `run` panic, abort, hang,
//! exhaust memory, write NaN or write outside its folder is refused, by `validate` and `run`
//! alike, with a message naming the file, line and field.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// Runs dcload with a deadline: a hang is a failure, not a stuck suite.
fn dcload_within(args: &[&str], cwd: Option<&Path>, secs: u64) -> Output {
    let mut cmd = dcload();
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    let mut child = cmd.spawn().expect("spawn dcload");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("dcload {args:?} did not finish within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `dcload ARGS` (in `cwd`) fails within `secs` seconds, without a panic: its stderr.
fn fails_within(args: &[&str], cwd: Option<&Path>, secs: u64) -> String {
    let o = dcload_within(args, cwd, secs);
    let e = stderr(&o);
    assert!(!o.status.success(), "{args:?} accepted:\n{e}");
    assert!(!e.contains("panicked"), "{args:?} panicked: {e}");
    e
}

/// `dcload run FILE --quiet --no-plots --out OUT`.
fn run_args<'a>(file: &'a str, out: &'a str) -> [&'a str; 6] {
    ["run", file, "--quiet", "--no-plots", "--out", out]
}

/// A short study around one site group of `count` racks, with `extra` appended.
fn study(count: &str, extra: &str) -> String {
    format!(
        "name = \"t\"\nhorizon_hours = 48\ntrials = 1\n\n[[site.group]]\nname = \"g\"\nrack = \"dgx-h100-x4\"\ncount = {count}\n\n{extra}\n"
    )
}

const FIXED: &str = "[facility]\nkind = \"fixed\"\npue = 1.2\n";
const TRAINING: &str =
    "[[training]]\nname = \"tr\"\npool = \"g\"\nduration_days = 1\ncontinuous = true\n";

/// `count` racks running a continuous training job at fixed PUE.
fn racks(count: &str) -> String {
    study(count, &format!("{TRAINING}{FIXED}"))
}

/// Ten racks running a continuous training job at fixed PUE: a study that runs.
fn plain() -> String {
    racks("10")
}

/// Ten racks whose training job has `job` lines, at fixed PUE, then `tail`.
fn training(job: &str, tail: &str) -> String {
    study("10", &format!("{TRAINING}{job}{FIXED}{tail}"))
}

/// Ten racks running `workload` at fixed PUE.
fn running(workload: &str) -> String {
    study("10", &format!("{workload}{FIXED}"))
}

/// Both `validate` and `run` refuse `text` without a panic, naming `field` and saying `says`.
fn refused(text: &str, field: &str, says: &str) {
    let f = RunFile::named("case.toml", text);
    let out = f.join("out");
    for args in [&["validate", f.arg()][..], &run_args(f.arg(), arg(&out))] {
        let e = fails_within(args, None, 60);
        assert!(
            e.contains(&format!("field `{field}`")) && e.contains(says),
            "{args:?}: expected field `{field}` and {says:?}, got: {e}"
        );
        assert!(e.len() < 600, "message too long: {e}");
    }
    assert!(
        !out.join("hourly.csv").exists(),
        "a refused study wrote outputs"
    );
}

#[test]
fn subnormal_training_accelerators_are_refused() {
    let t = training("accelerators = 1e-320\n", "");
    refused(&t, "accelerators", "1e-320");
}

#[test]
fn fractional_training_accelerators_are_refused() {
    let t = training("accelerators = 0.5\n", "");
    refused(&t, "accelerators", "whole number of accelerators");
}

#[test]
fn a_trillion_racks_are_refused() {
    refused(&racks("1e12"), "count", "found 1000000000000");
}

#[test]
fn racks_beyond_u32_are_refused() {
    refused(&racks("4294967297"), "count", "from 1 to 100000000");
}

#[test]
fn jobs_that_need_millions_of_slots_are_refused() {
    let t = study("100000", &format!("{TRAINING}accelerators = 1\n{FIXED}"));
    refused(&t, "accelerators", "limit 10000");
}

#[test]
fn a_billion_outages_a_year_are_refused() {
    let t = training("", "\n[grid.outages]\nper_year = 1e9\n\n[backup]\n");
    refused(&t, "per_year", "outages per trial (limit 100000)");
}

/// Just under the episode limit, a trial with ~98,600 outages runs and counts them. (Outages
/// are scheduled in O(n log n): each outage's start used to find its end by scanning every end
/// of the trial, 8-40 s for one 48-hour trial. How long it takes is a benchmark's to measure,
/// not a test's: the watchdog below only stops a hang.)
#[test]
fn outages_just_under_the_limit_run() {
    // 1.8e7 a year over 48 h: about 98,600 outages, 36 s each on average.
    let t = training(
        "",
        "\n[grid.outages]\nper_year = 1.8e7\nmean_hours = 0.01\n\n[backup]\n",
    );
    let f = RunFile::named("case.toml", &t);
    let out = f.join("out");
    let o = dcload_within(&run_args(f.arg(), arg(&out)), None, 120);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(num(&column(&out.join("trials.csv"), "outage_hours")[0]) > 0.0);
}

#[test]
fn a_trillion_twin_campaigns_a_year_are_refused() {
    let t = running(
        "[[twin]]\nname = \"tw\"\npool = \"g\"\nbase_utilisation = 0.5\nrandom_campaigns = { per_year = 1e12, days = 1, extra_utilisation = 0.1 }\n",
    );
    refused(&t, "random_campaigns", "campaigns per trial");
}

#[test]
fn a_trillion_random_dr_events_a_year_are_refused() {
    let t = training(
        "",
        "\n[grid.demand_response]\nrandom = { per_year = 1e12, start_hour = 14.0, hours = 3.0, reduce_mw = 1.0 }\n",
    );
    refused(&t, "random", "demand-response events per trial");
}

#[test]
fn subnormal_defense_utilisation_is_refused() {
    let t = running(
        "[[defense]]\nname = \"d\"\npool = \"g\"\naccelerators = 10\nutilisation = 1e-310\n",
    );
    refused(&t, "utilisation", "found 1e-310");
}

#[test]
fn subnormal_checkpoint_utilisation_is_refused() {
    let t = training(
        "checkpoint_interval_min = 60\ncheckpoint_duration_min = 5\ncheckpoint_utilisation = 1e-320\n",
        "",
    );
    refused(&t, "checkpoint_utilisation", "found 1e-320");
}

#[test]
fn huge_count_pue_and_requests_are_refused_compactly() {
    refused(&racks("1e308"), "count", "found 1e308");
    let t = study(
        "10",
        &format!("{TRAINING}[facility]\nkind = \"fixed\"\npue = 1e308\n"),
    );
    refused(&t, "pue", "found 1e308");
    let t = running(
        "[[consumer]]\nname = \"c\"\npool = \"g\"\npreset = \"chat\"\nrequests_per_day = 1e308\n",
    );
    refused(&t, "requests_per_day", "found 1e308");
}

#[test]
fn a_carbon_csv_of_1e308_is_refused() {
    let f = RunFile::named(
        "case.toml",
        &training("", "\n[grid]\ncarbon_csv = \"c.csv\"\n"),
    );
    let mut csv = String::from("hour,g_per_kwh\n");
    for h in 0..48 {
        csv.push_str(&format!("{h},1e308\n"));
    }
    f.beside("c.csv", &csv);
    let e = fails_within(&["validate", f.arg()], None, 60);
    assert_says(&e, &["c.csv:2", "1e308"]);
}

#[test]
fn a_run_name_cannot_choose_where_files_land() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("a").join("b");
    std::fs::create_dir_all(&work).unwrap();
    let abs = dir.path().join("abs").display().to_string();
    for name in ["../../x", "..", abs.as_str(), "sub/dir"] {
        let text = plain().replace("name = \"t\"", &format!("name = {name:?}"));
        std::fs::write(work.join("case.toml"), &text).unwrap();
        let e = fails_within(
            &["run", "case.toml", "--quiet", "--no-plots"],
            Some(&work),
            60,
        );
        assert_says(&e, &["--out", "field `name`"]);
        fails_within(&["validate", "case.toml"], Some(&work), 60);
    }
    // Nothing was written anywhere but (at most) the working folder.
    let mut found = Vec::new();
    walk(dir.path(), &mut found);
    assert!(
        found.iter().all(|p| p.ends_with("case.toml")),
        "files written: {found:?}"
    );
    // An explicit --out keeps working.
    let out = dir.path().join("elsewhere");
    let with_out = run_args("case.toml", arg(&out));
    fails_within(&with_out, Some(&work), 120);
    std::fs::write(work.join("case.toml"), plain()).unwrap();
    let o = dcload_within(&with_out, Some(&work), 120);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("hourly.csv").is_file());
}

fn walk(d: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(d).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn structural_fields_cannot_be_distributions() {
    for (field, dist) in [
        (
            "horizon_hours",
            "{ dist = \"choice\", values = [24, 48], weights = [1, 1] }",
        ),
        ("step_s", "{ dist = \"choice\", values = [60, 300] }"),
        ("seed", "{ dist = \"uniform\", min = 1, max = 9 }"),
        ("trials", "{ dist = \"uniform\", min = 1, max = 3 }"),
    ] {
        let base = plain();
        let text = if base.contains(&format!("{field} =")) {
            base.lines()
                .map(|l| {
                    if l.starts_with(&format!("{field} =")) {
                        format!("{field} = {dist}")
                    } else {
                        l.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            format!("{field} = {dist}\n{base}")
        };
        refused(&text, field, "cannot be a distribution");
    }
}

#[test]
fn duplicate_model_names_are_an_error_and_overrides_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("m");
    std::fs::create_dir_all(&models).unwrap();
    let entry = |name: &str| {
        format!(
            "[[accelerator]]\nname = \"{name}\"\ntdp_w = 700\nidle_w = 100\nprefill_tokens_per_s = 1000\ndecode_tokens_per_s = 100\ncap_curve = [[0.5, 0.6], [1.0, 1.0]]\n\n"
        )
    };
    let list = ["models", "--models", arg(&models)];
    std::fs::write(
        models.join("accelerators.toml"),
        entry("my-gpu") + &entry("my-gpu"),
    )
    .unwrap();
    let e = fails_within(&list, None, 60);
    assert_says(&e, &["accelerators.toml:10", "duplicate"]);
    // Overriding a built-in entry works and says so.
    let builtin = dcload::model::library::Library::builtin().unwrap();
    let name = builtin.accelerators[0].spec.name.get_ref().clone();
    std::fs::write(models.join("accelerators.toml"), entry(&name)).unwrap();
    let o = dcload_within(&list, None, 60);
    let e = stderr(&o);
    assert!(o.status.success(), "{e}");
    assert_says(&e, &["overrides the built-in", &name]);
}

#[cfg(unix)]
#[test]
fn special_files_in_a_models_folder_are_refused_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("m");
    std::fs::create_dir_all(models.join("climates")).unwrap();
    let list = ["models", "--models", arg(&models)];
    let fifo = models.join("climates").join("pipe.toml");
    let st = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(st.success());
    let start = Instant::now();
    let e = fails_within(&list, None, 30);
    assert!(e.contains("only regular files"), "{e}");
    std::fs::remove_file(&fifo).unwrap();
    std::os::unix::fs::symlink("/dev/zero", models.join("climates").join("zero.toml")).unwrap();
    let e = fails_within(&list, None, 30);
    assert!(e.contains("only regular files"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn undecodable_text_names_its_line_and_byte() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bin.toml");
    std::fs::write(&f, b"name = \"x\"\n\xff\xfe\x00binary").unwrap();
    let e = fails_within(&["validate", arg(&f)], None, 30);
    assert_says(&e, &["bin.toml:2", "byte offset 11"]);
}

#[test]
fn integer_fields_reject_fractions_in_plain_words() {
    let base = plain();
    refused(
        &format!("seed = 2.5\n{base}"),
        "seed",
        "expected a whole number from 0 to 18446744073709551615, found 2.5",
    );
    refused(
        &format!("seed = -1\n{base}"),
        "seed",
        "expected a whole number from 0 to",
    );
    let f = RunFile::named("case.toml", &format!("step_s = 1e308\n{base}"));
    let e = stderr(&dcload_within(&["validate", f.arg()], None, 30));
    assert!(e.contains("found 1e308") && !e.contains("00000000"), "{e}");
    refused(&racks("2.5"), "count", "whole number of racks");
}

#[test]
fn plot_of_a_folder_that_is_not_a_run_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let e = fails_within(&["plot", arg(dir.path())], None, 30);
    assert!(e.contains("not a dcload run folder"), "{e}");
}

#[test]
fn a_shard_without_trials_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let e = fails_within(
        &[
            "run",
            "--trials",
            "2",
            "--shard",
            "5/1000000",
            "--quiet",
            "--out",
            arg(&out),
        ],
        None,
        60,
    );
    assert!(e.contains("has no trials"), "{e}");
}

#[test]
fn no_temporary_file_is_left_when_an_output_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    // hourly.csv is a non-empty folder: renaming the finished file over it fails.
    std::fs::create_dir_all(out.join("hourly.csv").join("x")).unwrap();
    let f = dir.path().join("case.toml");
    std::fs::write(&f, plain()).unwrap();
    fails_within(&run_args(arg(&f), arg(&out)), None, 120);
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_non_finite_trial_figure_stops_the_run_and_nothing_is_written() {
    let sc = scenario(&plain());
    let mut r = dcload::sim::run_trial(&sc, 0);
    dcload::run::montecarlo::check_finite(&sc, &r, &[]).expect("a normal trial is finite");
    let nm = sc.metrics().len();
    r.hourly[5 * nm] = f32::NAN;
    let e = dcload::run::montecarlo::check_finite(&sc, &r, &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("test.toml") && e.contains("trial 0") && e.contains("at hour 5 is NaN"),
        "{e}"
    );
    // An aggregate that overflows is caught by the writer before any file exists.
    let mut r = dcload::sim::run_trial(&sc, 0);
    r.summary.energy_mwh = f64::INFINITY;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let memory = dcload::run::traces::HourlySource::Memory;
    let e = dcload::report::write_all(&out, &sc, &[r], 1, 1.0, false, &memory)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("non-finite") && e.contains("nothing was written"),
        "{e}"
    );
    assert!(!out.join("hourly.csv").exists() && !out.join("trials.csv").exists());
}
