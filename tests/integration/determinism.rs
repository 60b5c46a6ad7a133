//! Same run file and seed, same bytes: whatever the thread count, with the hourly traces
//! streamed from disk or kept in memory, stopped early at a standard error, split into shards
//! and merged, or killed and resumed (and the interval length of the original run kept).

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use dcload::run::checkpoint::existing;

use crate::common::*;

/// Every output a resumed or merged run must reproduce byte for byte (summary.json included:
/// its figures are summed in trial order and the wall time lives in run_info.json).
const OUTPUTS: [&str; 6] = [
    "summary.json",
    "hourly.csv",
    "trials.csv",
    "load_8760.csv",
    "monthly.csv",
    "load_duration.csv",
];

fn assert_same(a: &Path, b: &Path, files: &[&str], what: &str) {
    for f in files {
        assert!(same_bytes(&a.join(f), &b.join(f)), "{f} differs {what}");
    }
}

/// `dcload run FILE --quiet --no-plots FLAGS` into `out` beside the file.
fn run_into(f: &RunFile, out: &str, flags: &[&str]) -> std::path::PathBuf {
    f.run(out, &[&["--quiet", "--no-plots"], flags].concat()).0
}

/// Half of the trials as `out`'s checkpoint (a shard's records and manifest are a checkpoint's).
fn half_checkpoint(f: &RunFile, out: &str, flags: &[&str]) {
    run_into(
        f,
        &format!("{out}/.checkpoint"),
        &[&["--shard", "0/2"], flags].concat(),
    );
}

/// `dcload merge` of the shard folders `shards` (beside the run file) into `m`, quietly and
/// without plots: the merged folder, or the refusal.
fn merge(f: &RunFile, shards: &[&str]) -> Result<std::path::PathBuf, String> {
    let m = f.join("m");
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(shards.iter().map(|s| f.join(s).display().to_string()));
    args.extend(["--out".into(), m.display().to_string(), "--quiet".into()]);
    let o = dcload().args(&args).arg("--no-plots").output().unwrap();
    if o.status.success() {
        Ok(m)
    } else {
        Err(stderr(&o))
    }
}

/// The utility study (physics, the import limit, demand response, outages, backup, failures,
/// carbon and the tariff) over its summer (June to August: its demand-response months and
/// system peak hours) at 5-minute steps.
fn all_features() -> RunFile {
    RunFile::new(&preset(
        "runs/utility-study.toml",
        &[
            ("start = \"2025-01-01\"", "start = \"2025-06-01\""),
            ("horizon_hours = 8760", "horizon_hours = 2208"),
            ("step_s = 60 ", "step_s = 300 "),
        ],
    ))
}

#[test]
fn csv_is_byte_identical_across_thread_counts() {
    let f = RunFile::new(&default_short(720, 300));
    let run = |out: &str, flags: &[&str]| run_into(&f, out, &[&["--trials", "5"], flags].concat());
    let (t1, t2) = (
        run("t1", &["--threads", "1"]),
        run("t2", &["--threads", "2"]),
    );
    assert_same(
        &t1,
        &t2,
        &["hourly.csv", "trials.csv"],
        "between 1 and 2 threads",
    );
    // And a different seed gives different numbers (the check above can fail).
    let seed = run("seed", &["--seed", "43"]);
    assert!(!same_bytes(
        &seed.join("trials.csv"),
        &t1.join("trials.csv")
    ));
}

#[test]
fn every_csv_is_identical_across_thread_counts_with_all_features_on() {
    // Every random stream must still be per trial.
    let f = all_features();
    let run = |threads: &str| run_into(&f, threads, &["--trials", "3", "--threads", threads]);
    assert_same(
        &run("1"),
        &run("2"),
        &[
            "hourly.csv",
            "trials.csv",
            "load_8760.csv",
            "monthly.csv",
            "load_duration.csv",
            "dr_events.csv",
        ],
        "between 1 and 2 threads",
    );
}

#[test]
fn until_se_stops_early_and_deterministically() {
    // The default study over 30 days with its input distributions held at their nominal values:
    // the noise of arrivals and job timing alone.
    let f = RunFile::new(&edit(
        &default_nominal(),
        &[
            ("horizon_hours = 8760", "horizon_hours = 720"),
            ("step_s = 60 ", "step_s = 300 "),
        ],
    ));
    let run = |threads: &str, se: &str| {
        let flags = ["--trials", "64", "--until-se", se, "--threads", threads];
        let out = run_into(&f, &format!("{threads}-{se}"), &flags);
        std::fs::read_to_string(out.join("trials.csv")).unwrap()
    };
    // The 30 days' energy varies by ~1.3 % between trials: a 0.5 % relative standard error
    // needs far fewer than 64 trials; the stop is checked every 16.
    let a = run("1", "0.005");
    let rows = a.lines().count() - 1;
    assert!(rows < 64 && rows % 16 == 0, "{rows} trials");
    assert_eq!(
        a,
        run("2", "0.005"),
        "where the run stops must not depend on threads"
    );
    // A target that cannot be met runs all 64.
    assert_eq!(run("2", "0.0000001").lines().count() - 1, 64);
}

#[test]
fn traces_streamed_from_disk_give_the_same_bytes_as_in_memory() {
    // A large study keeps its hourly traces on disk and reads them back a block at a time; force
    // that path with a zero memory budget and compare with the in-memory one.
    let f = all_features();
    let [mem, disk] = [("mem", "512"), ("disk", "0")].map(|(name, budget)| {
        let out = f.join(name);
        let flags = [
            "--trials",
            "3",
            "--quiet",
            "--no-plots",
            "--traces",
            "--interval-minutes",
            "15",
        ];
        let st = dcload()
            .args(["run", f.arg(), "--out", arg(&out)])
            .args(flags)
            .env("DCLOAD_TRACE_MEMORY_MB", budget)
            .status()
            .unwrap();
        assert!(st.success());
        out
    });
    assert_same(
        &mem,
        &disk,
        &[
            "hourly.csv",
            "trials.csv",
            "load_8760.csv",
            "monthly.csv",
            "load_duration.csv",
            "traces/facility_mw.csv",
            "intervals.csv",
        ],
        "between memory and disk",
    );
}

/// The default trace budget (`run/traces.rs`): a thousand trial-years of the default study
/// (736 MB of traces) stream from their records, a couple of hundred stay in memory. Streaming
/// costs ~0.7 s of aggregate in a ~34 s run and saves ~700 MB of peak (docs/performance.md,
/// Memory), so a run of 1,000 trials should not need 800 MB.
#[test]
fn a_thousand_default_trial_years_stream_their_traces_and_two_hundred_do_not() {
    if std::env::var_os("DCLOAD_TRACE_MEMORY_MB").is_some() {
        return; // (a budget set by hand is the user's)
    }
    let sc = scenario(&preset("runs/default.toml", &[]));
    let per_trial = dcload::scenario::trace_bytes_per_trial(&sc);
    let budget = dcload::run::traces::memory_limit_bytes();
    assert!(
        1000.0 * per_trial > budget,
        "1,000 trials ({} MB) kept in memory",
        1000.0 * per_trial / 1e6
    );
    assert!(
        200.0 * per_trial <= budget,
        "200 trials ({} MB) streamed",
        200.0 * per_trial / 1e6
    );
}

#[test]
fn shards_merge_into_the_single_run() {
    let f = RunFile::new(&default_short(720, 300));
    let single = run_into(&f, "single", &["--trials", "7"]);
    for k in 0..3 {
        f.run(
            &format!("s{k}"),
            &["--trials", "7", "--shard", &format!("{k}/3"), "--quiet"],
        );
    }
    // Merging two of three shards is refused, naming what is missing.
    let err = merge(&f, &["s0", "s1"]).unwrap_err();
    assert!(err.contains("missing"), "{err}");
    merge(&f, &["s2", "s0", "s1"]).unwrap();
    assert_same(&single, &f.join("m"), &OUTPUTS, "between merge and single");
}

#[test]
fn shard_auto_reads_the_slurm_array() {
    let f = RunFile::new(&default_short(720, 300));
    let out = f.join("a");
    let st = dcload()
        .args([
            "run",
            f.arg(),
            "--trials",
            "4",
            "--shard",
            "auto",
            "--quiet",
        ])
        .args(["--out", arg(&out)])
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "2")
        .env("SLURM_ARRAY_TASK_MIN", "0")
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(existing(&out), vec![1, 3]);
    let err = fails_with(
        dcload()
            .args(["run", "--shard", "auto", "--quiet"])
            .env_remove("SLURM_ARRAY_TASK_ID"),
    );
    assert!(err.contains("--shard"), "{err}");
}

/// `dcload run FILE --out OUT FLAGS` in the background.
fn spawn_run(f: &RunFile, out: &Path, flags: &[&str]) -> Child {
    dcload()
        .args(["run", f.arg(), "--out", arg(out)])
        .args(flags)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// SIGKILLs a running study once `n` trials are checkpointed in `cp` (or after a minute).
fn kill_once_checkpointed(mut child: Child, cp: &Path, n: usize) {
    let t0 = Instant::now();
    while existing(cp).len() < n && t0.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn resume_after_sigkill_gives_the_same_bytes() {
    // The default study's year at 5-minute steps: trials long enough to be killed between.
    let f = RunFile::new(&default_short(8760, 300));
    let flags = ["--trials", "20", "--quiet", "--no-plots"];
    let two = [&flags[..], &["--threads", "2"]].concat();
    let killed = f.join("k");
    let cp = killed.join(".checkpoint");
    // Kill it (SIGKILL) once a few trials are on disk and before it finishes.
    kill_once_checkpointed(spawn_run(&f, &killed, &two), &cp, 4);
    let kept = existing(&cp).len();
    assert!(
        (4..20).contains(&kept),
        "{kept} trials checkpointed before the kill"
    );
    assert!(
        !killed.join("hourly.csv").exists(),
        "no outputs from a killed run"
    );
    f.run("k", &[&two[..], &["--resume"]].concat());
    let (straight, _) = f.run("s", &flags);
    assert_same(&straight, &killed, &OUTPUTS, "after the resume");
    // run_info.json times the trials this run simulated: the ones read back are `null`.
    if cfg!(all(target_os = "linux", target_env = "gnu")) {
        let info: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(killed.join("run_info.json")).unwrap())
                .unwrap();
        let by = info["trial_cpu_ms"]["by_trial"].as_array().unwrap();
        assert_eq!(by.len(), 20, "{info}");
        let timed = by.iter().filter(|x| x.is_number()).count();
        assert_eq!((by.len() - timed, timed), (kept, 20 - kept), "{info}");
        assert_eq!(info["trial_cpu_ms"]["trials"], 20 - kept, "{info}");
    }
    assert!(
        !cp.exists(),
        "the checkpoint is removed once the outputs are complete"
    );
    // Resuming a different study is refused.
    let other = f.join("o");
    kill_once_checkpointed(spawn_run(&f, &other, &flags), &other.join(".checkpoint"), 1);
    let err = f.run_fails(
        "o",
        &["--trials", "20", "--seed", "7", "--quiet", "--resume"],
    );
    assert!(err.contains("different study"), "{err}");
}

#[test]
fn resume_and_merge_keep_the_interval_minutes_of_the_original_run() {
    let f = RunFile::new(NOISY);
    let single = run_into(&f, "single", &["--interval-minutes", "30"]);
    let want = single.join("intervals.csv");
    // Shards run with the flag; merge (which has no such flag) keeps it.
    for k in 0..2 {
        let shard = format!("{k}/2");
        run_into(
            &f,
            &format!("s{k}"),
            &["--shard", &shard, "--interval-minutes", "30"],
        );
    }
    let m = merge(&f, &["s0", "s1"]).unwrap();
    assert!(same_bytes(&m.join("intervals.csv"), &want));
    // A checkpoint written with the flag: resuming with another length is refused, naming
    // both; resuming without the flag keeps the original length.
    half_checkpoint(&f, "r", &["--interval-minutes", "30"]);
    let err = f.run_fails(
        "r",
        &[
            "--quiet",
            "--no-plots",
            "--resume",
            "--interval-minutes",
            "60",
        ],
    );
    assert_says(&err, &["30-minute intervals", "60-minute intervals"]);
    run_into(&f, "r", &["--resume"]);
    assert!(same_bytes(&f.join("r/intervals.csv"), &want));
    assert!(same_bytes(
        &f.join("r/hourly.csv"),
        &single.join("hourly.csv")
    ));
}

/// A run's trials come from one engine: a checkpoint written by the reference engine resumes
/// on it without the flag (the same bytes as an uninterrupted reference run), and asking for
/// the other engine on resume is refused, naming both.
#[test]
fn resume_keeps_the_engine_of_the_original_run() {
    let f = RunFile::new(NOISY);
    let single = run_into(&f, "single", &["--engine", "reference"]);
    half_checkpoint(&f, "r", &["--engine", "reference"]);
    let err = f.run_fails(
        "r",
        &["--quiet", "--no-plots", "--resume", "--engine", "blocks"],
    );
    assert_says(&err, &["--engine", "reference engine", "blocks"]);
    run_into(&f, "r", &["--resume"]);
    assert!(same_bytes(
        &f.join("r/hourly.csv"),
        &single.join("hourly.csv")
    ));
    assert!(same_bytes(
        &f.join("r/trials.csv"),
        &single.join("trials.csv")
    ));
    // And the blocks engine's own run differs from the reference's (the test has power).
    let blocks = run_into(&f, "b", &[]);
    assert!(!same_bytes(
        &blocks.join("hourly.csv"),
        &single.join("hourly.csv")
    ));
}

/// A record holds its trial's interval means in binary after the hourly figures, not in its
/// summary line, so a study streamed from disk reads them back a block at a time instead of
/// keeping every trial's in memory (8.4 MB a trial for a year of 1-minute intervals).
#[test]
fn records_hold_interval_means_outside_the_summary_line() {
    let text = format!("{NOISY}[report]\ninterval_minutes = 5\n");
    let f = RunFile::new(&text);
    run_into(&f, "s", &["--shard", "0/4"]);
    let path = dcload::run::checkpoint::record_path(&f.join("s"), 0);
    let bytes = std::fs::read(&path).unwrap();
    let nl = bytes.iter().position(|&b| b == b'\n').unwrap();
    let line: serde_json::Value = serde_json::from_slice(&bytes[..nl]).unwrap();
    assert_eq!(line["interval_facility_mw"], serde_json::json!([]));
    let sc = scenario(&text);
    let shape = dcload::run::checkpoint::Shape::of(&sc);
    assert_eq!(shape.intervals, 48 * 12);
    assert_eq!(
        bytes.len() - nl - 1,
        shape.values * 4 + shape.intervals * 16
    );
    // Read back, the record's series equal the trial's, value for value.
    let r = dcload::run::checkpoint::read_record(&path, shape).unwrap();
    let want = dcload::sim::run_trial(&sc, 0).summary;
    assert_eq!(r.summary.interval_facility_mw, want.interval_facility_mw);
    assert_eq!(r.summary.interval_it_mw, want.interval_it_mw);
    // A record of other intervals is refused by what it holds.
    let other = dcload::run::checkpoint::Shape {
        intervals: 48,
        ..shape
    };
    let err = dcload::run::checkpoint::read_record(&path, other).unwrap_err();
    assert_says(&err.to_string(), &["48 intervals", "found"]);
}

#[test]
fn resuming_with_the_flag_that_repeats_the_run_files_interval_length_is_accepted() {
    let f = RunFile::new(&format!("{NOISY}[report]\ninterval_minutes = 15\n"));
    // Written without the flag: the run file asks for 15-minute intervals itself.
    half_checkpoint(&f, "r", &[]);
    run_into(&f, "r", &["--resume", "--interval-minutes", "15"]);
    let full = run_into(&f, "full", &[]);
    assert!(same_bytes(
        &f.join("r/intervals.csv"),
        &full.join("intervals.csv")
    ));
    // Another length is still refused, naming both.
    half_checkpoint(&f, "r2", &[]);
    let err = f.run_fails(
        "r2",
        &[
            "--quiet",
            "--no-plots",
            "--resume",
            "--interval-minutes",
            "30",
        ],
    );
    assert_says(&err, &["15-minute intervals", "30-minute intervals"]);
}

/// Trial records are read as data files are: a FIFO or a link to a device in a shard folder is
/// refused by name (it used to hang `merge`, or grow without end), promptly.
#[test]
#[cfg(unix)]
fn merge_refuses_a_fifo_or_a_device_as_a_trial_record() {
    let f = RunFile::new(&default_short(48, 300));
    run_into(&f, "s0", &["--trials", "2", "--shard", "0/1"]);
    let record = dcload::run::checkpoint::record_path(&f.join("s0"), 1);
    for (what, plant) in [("fifo", "mkfifo"), ("device", "ln")] {
        std::fs::remove_file(&record).unwrap();
        let made = match plant {
            "mkfifo" => std::process::Command::new("mkfifo").arg(&record).status(),
            _ => std::process::Command::new("ln")
                .args(["-s", "/dev/zero"])
                .arg(&record)
                .status(),
        };
        assert!(made.unwrap().success(), "{what}");
        let mut child = dcload()
            .args([
                "merge",
                arg(&f.join("s0")),
                "--out",
                arg(&f.join("m")),
                "--quiet",
            ])
            .arg("--no-plots")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > std::time::Duration::from_secs(60) {
                let _ = child.kill();
                panic!("{what}: merge did not finish");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
        assert!(!status.success(), "{what}: merge succeeded");
        assert_says(&err, &["special file", "regular files"]);
    }
}

/// summary.json says which engine stepped the trials (the blocks engine's figures differ from
/// the reference's for the same seed); a reference run's file carries no such field, as before.
#[test]
fn summary_json_names_the_two_rate_engine() {
    let f = RunFile::new(NOISY);
    let blocks = run_into(&f, "b", &[]);
    let reference = run_into(&f, "r", &["--engine", "reference"]);
    let read = |d: &std::path::Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(d.join("summary.json")).unwrap()).unwrap()
    };
    assert_eq!(read(&blocks)["engine"], serde_json::json!("blocks"));
    assert!(read(&reference).get("engine").is_none());
    // Shards run on the reference engine merge into the reference run's bytes.
    for k in 0..2 {
        let shard = format!("{k}/2");
        run_into(
            &f,
            &format!("s{k}"),
            &["--shard", &shard, "--engine", "reference"],
        );
    }
    let m = merge(&f, &["s0", "s1"]).unwrap();
    assert!(same_bytes(
        &m.join("summary.json"),
        &reference.join("summary.json")
    ));
}

/// `--trial 3` (numbered from 0, as trials.csv's `trial` column) reproduces the whole run's
/// trial 3 row by row (issue 22, item 8): its column of traces/facility_mw.csv, its row of
/// trials.csv, and its hourly.csv (one trial: every band is the trial's own figure, so the
/// mean column is its trace); its sampled parameters and random streams are the whole run's.
/// With --quiet it prints no percentile warning; without, it says once that one trial has no
/// bands. A trial the study lacks is refused, naming --trial and the numbering.
#[test]
fn one_trial_reproduces_its_rows_of_the_whole_run() {
    let f = RunFile::new(&default_short(72, 60));
    let common = ["--trials", "5", "--traces", "--interval-minutes", "15"];
    let full = run_into(&f, "full", &common);
    let (one, o) = f.run(
        "one",
        &[&["--quiet", "--no-plots", "--trial", "3"], &common[..]].concat(),
    );
    assert_eq!(stderr(&o), "", "--quiet: no percentile warnings");
    let trace = column(&full.join("traces/facility_mw.csv"), "trial_3");
    assert_eq!(
        column(&one.join("traces/facility_mw.csv"), "trial_3"),
        trace
    );
    assert_ne!(
        column(&full.join("traces/facility_mw.csv"), "trial_2"),
        trace
    );
    // trials.csv, classes.csv and jobs.csv: the whole run's rows of trial 3, and only those.
    for file in ["trials.csv", "classes.csv", "jobs.csv"] {
        let (h, rows) = read_csv(&full.join(file));
        let of3: Vec<Vec<String>> = rows
            .into_iter()
            .filter(|r| r[col(&h, "trial")] == "3")
            .collect();
        assert!(!of3.is_empty(), "{file}");
        assert_eq!(read_csv(&one.join(file)), (h, of3), "{file}");
    }
    let mean = column(&one.join("hourly.csv"), "facility_mw_mean");
    assert_eq!(mean.len(), trace.len());
    for (k, (m, t)) in mean.iter().zip(&trace).enumerate() {
        assert!((num(m) - num(t)).abs() < 1e-4, "hour {k}: {m} vs {t}");
    }
    let (_, o) = f.run("loud", &["--no-plots", "--trial", "3", "--trials", "5"]);
    let err = stderr(&o);
    assert_eq!(err.matches("one trial: no bands").count(), 1, "{err}");
    assert!(!err.contains("rests on 1 trials"), "{err}");
    let e = f.run_fails("bad", &["--trial", "5", "--trials", "5"]);
    assert_says(&e, &["--trial", "numbered 0 to 4 (as in trials.csv)"]);
}
