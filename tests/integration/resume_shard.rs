//! Overnight safety: resume after SIGKILL and shard + merge give the bytes of a single run.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::*;

/// Every output a resumed or merged run must reproduce byte for byte (summary.json included:
/// its figures are summed in trial order and the wall time lives in run_info.json).
const CSVS: [&str; 6] = [
    "summary.json",
    "hourly.csv",
    "trials.csv",
    "load_8760.csv",
    "monthly.csv",
    "load_duration.csv",
];

fn same(a: &std::path::Path, b: &std::path::Path) {
    for f in CSVS {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
}

#[test]
fn shards_merge_into_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let p = |s: &str| dir.path().join(s);
    run_ok(&[
        "run",
        "--trials",
        "7",
        "--quiet",
        "--no-plots",
        "--out",
        p("single").to_str().unwrap(),
    ]);
    for k in 0..3 {
        run_ok(&[
            "run",
            "--trials",
            "7",
            "--shard",
            &format!("{k}/3"),
            "--quiet",
            "--out",
            p(&format!("s{k}")).to_str().unwrap(),
        ]);
    }
    // Merging two of three shards is refused, naming what is missing.
    let out = dcload()
        .args([
            "merge",
            p("s0").to_str().unwrap(),
            p("s1").to_str().unwrap(),
            "--out",
            p("m").to_str().unwrap(),
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("missing"));
    run_ok(&[
        "merge",
        p("s2").to_str().unwrap(),
        p("s0").to_str().unwrap(),
        p("s1").to_str().unwrap(),
        "--out",
        p("m").to_str().unwrap(),
        "--no-plots",
        "--quiet",
    ]);
    same(&p("single"), &p("m"));
}

#[test]
fn shard_auto_reads_the_slurm_array() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    let st = dcload()
        .args([
            "run",
            "--trials",
            "4",
            "--shard",
            "auto",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ])
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "2")
        .env("SLURM_ARRAY_TASK_MIN", "0")
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(dcload::run::checkpoint::existing(&out), vec![1, 3]);
    let bad = dcload()
        .args(["run", "--shard", "auto", "--quiet"])
        .env_remove("SLURM_ARRAY_TASK_ID")
        .output()
        .unwrap();
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("--shard"));
}

#[test]
fn resume_after_sigkill_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let killed = dir.path().join("k");
    let child = dcload()
        .args([
            "run",
            "--trials",
            "30",
            "--threads",
            "2",
            "--quiet",
            "--no-plots",
            "--out",
            killed.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (SIGKILL) once a few trials are on disk and before it finishes.
    let cp = killed.join(".checkpoint");
    kill_once_checkpointed(child, &cp, 4);
    let kept = dcload::run::checkpoint::existing(&cp).len();
    assert!(
        (4..30).contains(&kept),
        "{kept} trials checkpointed before the kill"
    );
    assert!(
        !killed.join("hourly.csv").exists(),
        "no outputs from a killed run"
    );
    run_ok(&[
        "run",
        "--trials",
        "30",
        "--threads",
        "2",
        "--quiet",
        "--no-plots",
        "--out",
        killed.to_str().unwrap(),
        "--resume",
    ]);
    let straight = dir.path().join("s");
    run_ok(&[
        "run",
        "--trials",
        "30",
        "--quiet",
        "--no-plots",
        "--out",
        straight.to_str().unwrap(),
    ]);
    same(&straight, &killed);
    assert!(
        !cp.exists(),
        "the checkpoint is removed once the outputs are complete"
    );
    // Resuming a different study is refused.
    let other = dir.path().join("o");
    let c = dcload()
        .args([
            "run",
            "--trials",
            "30",
            "--quiet",
            "--no-plots",
            "--out",
            other.to_str().unwrap(),
        ])
        .spawn()
        .unwrap();
    kill_once_checkpointed(c, &other.join(".checkpoint"), 1);
    let out = dcload()
        .args([
            "run",
            "--trials",
            "30",
            "--seed",
            "7",
            "--quiet",
            "--out",
            other.to_str().unwrap(),
            "--resume",
        ])
        .output()
        .unwrap();
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("different study")
    );
}

/// SIGKILLs a running study once `n` trials are checkpointed in `cp` (or after a minute).
fn kill_once_checkpointed(mut child: std::process::Child, cp: &std::path::Path, n: usize) {
    let t0 = Instant::now();
    while dcload::run::checkpoint::existing(cp).len() < n && t0.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}
