//! Which setting asks for intervals.csv: `[report] intervals = false` is the switch (it wins
//! over `interval_minutes` and a window in the table; the command-line flag wins over both);
//! `--resume` and `dcload merge` keep the original run's `--interval-minutes`.

use crate::common::*;

const BASE: &str = r#"
start = "2025-03-01"
utc_offset = "+00:00"
horizon_hours = 24
step_s = 300
trials = 1
[[site.group]]
name = "tw"
server = "DGX-H100"
count = 10
[[twin]]
name = "t"
pool = "tw"
base_utilisation = 0.5
[facility]
kind = "fixed"
pue = 1.2
"#;

#[test]
fn intervals_false_wins_over_interval_minutes_and_the_flag_wins_over_both() {
    let table = "[report]\nintervals = false\ninterval_minutes = 30\n\
                 interval_from = \"2025-03-01T06:00\"\ninterval_to = \"2025-03-01T08:00\"\n";
    let mut sc = scenario(&format!("{BASE}{table}"));
    assert_eq!(sc.intervals, None, "intervals = false must win");
    // Without the switch the same table asks for the file.
    let on = scenario(&format!(
        "{BASE}{}",
        table.replace("intervals = false\n", "")
    ));
    let plan = on.intervals.expect("interval_minutes asks for the file");
    assert_eq!((plan.len_s, plan.count()), (1800, 4));
    // `--interval-minutes` on the command line asks for it anyway (with the table's window).
    sc.set_interval_minutes(60).unwrap();
    let plan = sc.intervals.expect("the flag asks for the file");
    assert_eq!(
        (plan.len_s, plan.from_s, plan.to_s),
        (3600, 6 * 3600, 8 * 3600)
    );
    // End to end: no intervals.csv.
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("r.toml");
    std::fs::write(&run, format!("{BASE}{table}")).unwrap();
    let out = dir.path().join("o");
    run_ok(&[
        "run",
        run.to_str().unwrap(),
        "--quiet",
        "--no-plots",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(out.join("hourly.csv").exists());
    assert!(!out.join("intervals.csv").exists());
}

#[test]
fn resume_and_merge_keep_the_interval_minutes_of_the_original_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("r.toml");
    std::fs::write(&run, BASE.replace("trials = 1", "trials = 4")).unwrap();
    let p = |s: &str| dir.path().join(s);
    let args = |out: &std::path::Path, extra: &[&str]| {
        let mut a = vec![
            "run".to_string(),
            run.display().to_string(),
            "--quiet".into(),
            "--no-plots".into(),
            "--out".into(),
            out.display().to_string(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let go = |a: Vec<String>| run_ok(&a.iter().map(String::as_str).collect::<Vec<_>>());
    go(args(&p("single"), &["--interval-minutes", "30"]));
    let want = std::fs::read(p("single").join("intervals.csv")).unwrap();
    // Shards run with the flag; merge (which has no such flag) keeps it.
    for k in 0..2 {
        go(args(
            &p(&format!("s{k}")),
            &["--shard", &format!("{k}/2"), "--interval-minutes", "30"],
        ));
    }
    run_ok(&[
        "merge",
        p("s0").to_str().unwrap(),
        p("s1").to_str().unwrap(),
        "--out",
        p("m").to_str().unwrap(),
        "--no-plots",
        "--quiet",
    ]);
    assert!(std::fs::read(p("m").join("intervals.csv")).unwrap() == want);
    // A checkpoint holding half the trials (a shard's records and manifest are a checkpoint's),
    // written with the flag: resuming with another length is refused, naming both; resuming
    // without the flag keeps the original length.
    go(args(
        &p("r").join(".checkpoint"),
        &["--shard", "0/2", "--interval-minutes", "30"],
    ));
    let mut a = args(&p("r"), &["--resume", "--interval-minutes", "60"]);
    let out = dcload().args(&a).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("30-minute intervals") && err.contains("60-minute intervals"),
        "{err}"
    );
    a.truncate(a.len() - 2);
    go(a);
    assert!(std::fs::read(p("r").join("intervals.csv")).unwrap() == want);
    assert!(
        std::fs::read(p("r").join("hourly.csv")).unwrap()
            == std::fs::read(p("single").join("hourly.csv")).unwrap()
    );
}
