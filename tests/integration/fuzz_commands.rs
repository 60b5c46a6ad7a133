//! A command-level fuzzer (issue 21): cases that run the dcload binary as a user (or an attacker
//! sharing the folder) would, on inputs the in-process fuzzer (`fuzz.rs`) cannot reach:
//! `dcload dynamics` files with bad names and paths, report folders with links, FIFOs and
//! oversized files in `plots/` or a failed run's files, trial records that are FIFOs, links to
//! `/dev/zero` or truncated (for `merge` and `--resume`), names with CSV metacharacters or
//! escapes, growth and system loads near overflow, and links planted at the names `run` writes.
//!
//! Every case runs in its own folder under a root that also holds a secret file; each command
//! writes into `out/` of the case folder. A case fails on: a panic or a death by signal; no exit
//! within [`CASE_LIMIT`]; peak memory above 2 GiB (`ulimit -v` and the process's own peak);
//! any change to the file tree outside `out/` (snapshotted before and after, links not
//! followed); the secret's text in an output; a raw control character on the console; and, on
//! exit 0, a non-finite number or a number of more than 24 digits in an output or on stdout.
//!
//! A campaign, not part of `cargo test` (some cases fail until issue 21's fixes land): run by
//! `scripts/fuzz.sh` with `DCLOAD_FUZZ_SEED`, `DCLOAD_FUZZ_MINUTES` (or `DCLOAD_FUZZ_CASES`,
//! default 60) and `DCLOAD_FUZZ_SAVE` (each failing case's folder is kept there with its
//! command). To replay one: `DCLOAD_FUZZ_SEED=<its seed> DCLOAD_FUZZ_CASES=1 cargo test
//! --release --test integration fuzz_commands -- --ignored --nocapture`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, UNIX_EPOCH};

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use crate::common::{NOISY, repo};

const CASE_LIMIT: Duration = Duration::from_secs(60);
const MEMORY_LIMIT_KB: u64 = 2 * 1024 * 1024;
const SECRET: &str = "SECRET-7f3a9c-do-not-embed";

/// Case folders sit this deep under the root, so `../../..` escapes still land in the root
/// (where the snapshot sees them).
const CASE_DIR: &str = "a/b/c/case";

fn pick<'a, T>(rng: &mut ChaCha8Rng, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}

// ------------------------------------------------------------------ the file tree ---------

/// Every entry under `root` except the `skip` subtree: kind, length, modification time and
/// link target (links are not followed).
fn snapshot(root: &Path, skip: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p == skip {
                continue;
            }
            let Ok(m) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            let t = m.file_type();
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            let what = if t.is_symlink() {
                format!("link {:?}", std::fs::read_link(&p).ok())
            } else if t.is_dir() {
                stack.push(p.clone());
                "dir".to_string()
            } else {
                format!("file {} {mtime}", m.len())
            };
            out.insert(p, what);
        }
    }
    out
}

fn changes(before: &BTreeMap<PathBuf, String>, after: &BTreeMap<PathBuf, String>) -> Vec<String> {
    let mut v = Vec::new();
    for (p, a) in after {
        match before.get(p) {
            None => v.push(format!("created {}", p.display())),
            Some(b) if b != a => v.push(format!("changed {} ({b} -> {a})", p.display())),
            _ => {}
        }
    }
    for p in before.keys().filter(|p| !after.contains_key(*p)) {
        v.push(format!("removed {}", p.display()));
    }
    v
}

fn mkfifo(p: &Path) {
    let _ = Command::new("mkfifo").arg(p).status();
}

fn link(target: &Path, at: &Path) {
    let _ = std::fs::remove_file(at);
    let _ = std::os::unix::fs::symlink(target, at);
}

/// A sparse file of `bytes` (no disk used).
fn sparse(p: &Path, bytes: u64) {
    if let Ok(f) = std::fs::File::create(p) {
        let _ = f.set_len(bytes);
    }
}

fn copy_tree(from: &Path, to: &Path) {
    let _ = std::fs::create_dir_all(to.parent().unwrap_or(to));
    let _ = Command::new("cp").arg("-a").arg(from).arg(to).status();
}

// ------------------------------------------------------------------ running a command -----

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    peak_kb: u64,
    hung: bool,
}

/// `dcload ARGS` in `cwd` under `ulimit -v` 2 GiB, its peak memory read while it runs.
fn dcload_in(cwd: &Path, args: &[String]) -> Ran {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {}; exec \"$0\" \"$@\"", MEMORY_LIMIT_KB))
        .arg(env!("CARGO_BIN_EXE_dcload"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dcload");
    // Drain the pipes on threads so a chatty child never blocks on a full pipe.
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut s);
            }
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0;
    let (code, hung) = loop {
        if let Ok(s) = std::fs::read_to_string(&status_file)
            && let Some(kb) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        {
            peak_kb = peak_kb.max(kb);
        }
        if let Ok(Some(st)) = child.try_wait() {
            break (st.code(), false);
        }
        if start.elapsed() > CASE_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break (None, true);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ran {
        code,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        peak_kb,
        hung,
    }
}

/// The first number of more than 24 digits in `text`.
fn long_number(text: &str) -> Option<String> {
    let mut run = 0;
    for (i, c) in text.char_indices() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        if run > 24 {
            return Some(text[i + 1 - run..(i + 1).min(text.len())].to_string());
        }
    }
    None
}

/// A word `inf`, `-inf`, `NaN` or `infinity` printed as a figure.
fn non_finite_word(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .find(|w| matches!(w.to_ascii_lowercase().as_str(), "inf" | "nan" | "infinity"))
        .map(String::from)
}

/// What is wrong with the outputs in `out` of a command that exited 0.
fn bad_outputs(out: &Path) -> Option<String> {
    let mut stack = vec![out.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            let Ok(m) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if m.is_dir() {
                stack.push(p);
                continue;
            }
            let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
            if !m.is_file() || !matches!(ext, "csv" | "json" | "html") || m.len() > 256 << 20 {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            if text.contains(SECRET) {
                return Some(format!("{} holds the secret", p.display()));
            }
            if ext == "html" {
                continue;
            }
            if let Some(t) = dcload::report::non_finite_token(&text) {
                return Some(format!("{}: non-finite {t}", p.display()));
            }
            if let Some(n) = long_number(&text) {
                return Some(format!("{}: {}-digit number {n}", p.display(), n.len()));
            }
        }
    }
    None
}

/// The first failure of a finished command, if any.
fn judge(r: &Ran, out: &Path, outside: &[String]) -> Option<String> {
    let console = format!("{}{}", r.stdout, r.stderr);
    let tail = |s: &str| s.chars().take(400).collect::<String>();
    if r.hung {
        return Some(format!("hang: no exit within {} s", CASE_LIMIT.as_secs()));
    }
    if console.contains("panicked") || r.code == Some(101) {
        return Some(format!("panic: {}", tail(&r.stderr)));
    }
    if r.code.is_none() {
        return Some(format!("killed by a signal: {}", tail(&r.stderr)));
    }
    if r.peak_kb > MEMORY_LIMIT_KB || console.contains("memory allocation") {
        return Some(format!("memory: peak {} MiB", r.peak_kb / 1024));
    }
    if let Some(c) = outside.first() {
        return Some(format!("wrote outside the output folder: {c}"));
    }
    if console
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Some(format!(
            "raw control character on the console: {:?}",
            tail(&console)
        ));
    }
    if console.len() > 64 << 10 {
        return Some(format!("{} bytes on the console", console.len()));
    }
    if let Some(n) = long_number(&console) {
        return Some(format!("a {}-digit number on the console", n.len()));
    }
    if r.code == Some(0) {
        if let Some(w) = non_finite_word(&r.stdout) {
            return Some(format!("exit 0 printing {w}: {}", tail(&r.stdout)));
        }
        return bad_outputs(out);
    }
    None
}

// ------------------------------------------------------------------ the cases -------------

/// A short study to run: NOISY over 48 hours, 2 trials.
fn small_study() -> String {
    NOISY.replace("trials = 4", "trials = 2")
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// A bad path for a file a command reads: a FIFO, a device, a folder, a link out, a missing file.
fn bad_path(rng: &mut ChaCha8Rng, case: &Path, root: &Path) -> String {
    match rng.random_range(0..7) {
        0 => {
            mkfifo(&case.join("fifo.toml"));
            "fifo.toml".into()
        }
        1 => "/dev/zero".into(),
        2 => {
            link(Path::new("/dev/zero"), &case.join("zero.toml"));
            "zero.toml".into()
        }
        3 => ".".into(),
        4 => root.join("secret.txt").display().to_string(),
        5 => {
            sparse(&case.join("big.toml"), 3 << 30);
            "big.toml".into()
        }
        _ => "missing.toml".into(),
    }
}

/// A name as a careless user or an attacker writes it (TOML basic-string escapes).
fn a_name(rng: &mut ChaCha8Rng, root: &Path) -> String {
    let names = [
        "../../escape".to_string(),
        "../../../../escape".to_string(),
        format!("{}/abs-escape", root.display()),
        "a/b".into(),
        String::new(),
        ".".into(),
        "..".into(),
        "a,b".into(),
        "a\\\"b".into(),
        "a\\nb".into(),
        "=1+1".into(),
        "+x".into(),
        "-x".into(),
        "@x".into(),
        "\\u001b[31mred".into(),
        "tab\\there".into(),
        "x".repeat(rng.random_range(200..5000)),
        "plain".into(),
    ];
    pick(rng, &names).clone()
}

/// `key = ...` lines of `text` (first of each) set to `value`.
fn set_key(text: &str, key: &str, value: &str) -> String {
    let mut done = false;
    text.lines()
        .map(|l| {
            if !done && l.trim_start().starts_with(&format!("{key} ")) {
                done = true;
                format!("{key} = {value}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn dynamics_case(rng: &mut ChaCha8Rng, case: &Path, root: &Path) -> Vec<String> {
    for e in std::fs::read_dir(repo("tests/fixtures/dynamics"))
        .unwrap()
        .flatten()
    {
        let _ = std::fs::copy(e.path(), case.join(e.file_name()));
    }
    let mut text = std::fs::read_to_string(case.join("dyn.toml")).unwrap();
    match rng.random_range(0..5) {
        0 | 1 => text = set_key(&text, "name", &format!("\"{}\"", a_name(rng, root))),
        2 => text = set_key(&text, "run", &format!("\"{}\"", bad_path(rng, case, root))),
        3 => text = set_key(&text, "spec", &format!("\"{}\"", bad_path(rng, case, root))),
        _ => {
            // A specification limit near overflow.
            let spec = std::fs::read_to_string(case.join("spec.toml")).unwrap();
            let mut lines: Vec<String> = spec.lines().map(String::from).collect();
            let numeric: Vec<usize> = (0..lines.len())
                .filter(|&i| {
                    lines[i]
                        .split_once('=')
                        .is_some_and(|(_, v)| v.trim().parse::<f64>().is_ok())
                })
                .collect();
            if !numeric.is_empty() {
                let i = *pick(rng, &numeric);
                let key = lines[i].split_once('=').unwrap().0.trim().to_string();
                let v = pick(rng, &["1e308", "1e15", "1.5e10", "-1e308", "1e-320"]);
                lines[i] = format!("{key} = {v}");
            }
            let _ = std::fs::write(case.join("spec.toml"), lines.join("\n") + "\n");
        }
    }
    let _ = std::fs::write(case.join("dyn.toml"), text);
    // Without --out the name picks the folder under out/ (relative to the case folder).
    if rng.random_range(0..2) == 0 {
        args(&["dynamics", "dyn.toml", "--no-plots"])
    } else {
        args(&["dynamics", "dyn.toml", "--no-plots", "--out", "out/d"])
    }
}

/// Plants one thing in a finished run's folder `out`.
fn spoil_run_folder(rng: &mut ChaCha8Rng, out: &Path, root: &Path) {
    let plots = out.join("plots");
    let _ = std::fs::create_dir_all(&plots);
    let secret = root.join("secret.txt");
    match rng.random_range(0..11) {
        0 => link(&secret, &plots.join("facility_mw.svg")),
        1 => link(&secret, &plots.join("stolen.svg")),
        2 => link(Path::new("/dev/zero"), &plots.join("zero.svg")),
        3 => mkfifo(&plots.join("fifo.svg")),
        4 => sparse(&plots.join("big.svg"), 3 << 30),
        5 => {
            let _ = std::fs::create_dir_all(plots.join("dir.svg"));
        }
        6 => {
            let _ = std::fs::remove_file(out.join("summary.json"));
        }
        7 => {
            let p = out.join(pick(rng, &["trials.csv", "hourly.csv", "summary.json"]));
            let len = std::fs::metadata(&p).map_or(0, |m| m.len());
            if let Ok(f) = std::fs::OpenOptions::new().write(true).open(&p) {
                let _ = f.set_len(rng.random_range(0..len.max(1)));
            }
        }
        8 => link(&secret, &out.join("report.html")),
        9 => link(&secret, &out.join(".report.html.tmp")),
        _ => {
            // plots/ itself a link to a folder outside.
            let _ = std::fs::remove_dir_all(&plots);
            let elsewhere = root.join("elsewhere");
            let _ = std::fs::create_dir_all(&elsewhere);
            link(&elsewhere, &plots);
        }
    }
}

fn report_case(rng: &mut ChaCha8Rng, case: &Path, root: &Path, fx: &Path) -> Vec<String> {
    let out = case.join("out");
    copy_tree(&fx.join("run"), &out);
    for _ in 0..rng.random_range(1..3) {
        spoil_run_folder(rng, &out, root);
    }
    if rng.random_range(0..3) == 0 {
        args(&["plot", "out"])
    } else {
        args(&["report", "out"])
    }
}

/// Spoils one file of a folder of trial records.
fn spoil_records(rng: &mut ChaCha8Rng, dir: &Path, root: &Path) {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    if names.is_empty() {
        return;
    }
    let p = pick(rng, &names).clone();
    let _ = std::fs::remove_file(&p);
    match rng.random_range(0..6) {
        0 => mkfifo(&p),
        1 => link(Path::new("/dev/zero"), &p),
        2 => link(&root.join("secret.txt"), &p),
        3 => sparse(&p, 3 << 30),
        4 => {
            let _ = std::fs::write(&p, b"{\"trial\": 0}\n\x00\x01");
        }
        _ => {
            let _ = std::fs::write(&p, b"");
        }
    }
}

fn records_case(rng: &mut ChaCha8Rng, case: &Path, root: &Path) -> Vec<String> {
    let _ = std::fs::write(case.join("s.toml"), small_study());
    let shard = |k: &str, out: &str| {
        let a = args(&["run", "s.toml", "--quiet", "--shard", k, "--out", out]);
        dcload_in(case, &a)
    };
    if rng.random_range(0..2) == 0 {
        shard("0/2", "s0");
        shard("1/2", "s1");
        let which = *pick(rng, &["s0", "s1"]);
        spoil_records(rng, &case.join(which), root);
        args(&["merge", "s0", "s1", "--out", "out", "--quiet", "--no-plots"])
    } else {
        shard("0/2", "out/.checkpoint");
        spoil_records(rng, &case.join("out/.checkpoint"), root);
        args(&[
            "run",
            "s.toml",
            "--quiet",
            "--no-plots",
            "--resume",
            "--out",
            "out",
        ])
    }
}

fn names_case(rng: &mut ChaCha8Rng, case: &Path, root: &Path) -> Vec<String> {
    let study = small_study();
    let name = a_name(rng, root);
    let text = match rng.random_range(0..4) {
        0 => study.replacen("name = \"chat\"", &format!("name = \"{name}\""), 1),
        1 => study.replacen("name = \"t\"", &format!("name = \"{name}\""), 1),
        2 => study
            .replace("name = \"inf\"", &format!("name = \"{name}\""))
            .replace("pool = \"inf\"", &format!("pool = \"{name}\"")),
        _ => format!("name = \"{name}\"\n{study}"),
    };
    let _ = std::fs::write(case.join("s.toml"), text);
    args(&["run", "s.toml", "--quiet", "--no-plots", "--threads", "1"])
}

/// A system-load file of two years with a few hours set near overflow.
fn system_load(rng: &mut ChaCha8Rng) -> String {
    let mut s = String::from("timestamp,MW\n");
    let huge = [
        "1e308", "1.5e10", "1e300", "9e15", "-1e308", "1e20", "inf", "nan",
    ];
    let bad: Vec<usize> = (0..rng.random_range(1..4))
        .map(|_| rng.random_range(0..17_520))
        .collect();
    for i in 0..17_520usize {
        let (d, h) = (i / 24, i % 24);
        let date = (jiff::civil::date(2024, 1, 1) + jiff::Span::new().days(d as i64)).to_string();
        let mw = if bad.contains(&i) {
            pick(rng, &huge).to_string()
        } else {
            format!(
                "{:.1}",
                20_000.0 + 3_000.0 * ((h as f64 - 17.0) / 24.0 * std::f64::consts::TAU).cos()
            )
        };
        s.push_str(&format!("{date}T{h:02}:00Z,{mw}\n"));
    }
    s
}

fn overflow_case(rng: &mut ChaCha8Rng, case: &Path) -> Vec<String> {
    if rng.random_range(0..2) == 0 {
        let _ = std::fs::write(case.join("system.csv"), system_load(rng));
        return args(&["headroom", "system.csv", "--out", "out", "--quiet"]);
    }
    let g = pick(rng, &["1e15", "1e6", "700", "50", "1e3"]);
    let years = rng.random_range(5..40);
    let text = small_study()
        .replace(
            "horizon_hours = 48",
            &format!("horizon_hours = {}", years * 8760),
        )
        .replace("step_s = 300", "step_s = 3600")
        .replace("trials = 2", "trials = 1")
        .replacen(
            "requests_per_day = 2.0e5",
            &format!("requests_per_day = 2.0e5\ngrowth_per_year = {g}"),
            1,
        );
    let _ = std::fs::write(case.join("s.toml"), text);
    args(&["run", "s.toml", "--quiet", "--no-plots", "--out", "out"])
}

fn planted_link_case(rng: &mut ChaCha8Rng, case: &Path, root: &Path) -> Vec<String> {
    let _ = std::fs::write(case.join("s.toml"), small_study());
    let out = case.join("out");
    let _ = std::fs::create_dir_all(&out);
    let at = pick(
        rng,
        &[
            "hourly.csv",
            ".hourly.csv.tmp",
            "trials.csv",
            ".trials.csv.tmp",
            "summary.json",
            ".summary.json.tmp",
            "intervals.csv",
            ".checkpoint",
            "plots",
            "report.html",
        ],
    );
    let target = if at.contains('.') && !at.starts_with(".checkpoint") {
        root.join("secret.txt")
    } else {
        let elsewhere = root.join("elsewhere");
        let _ = std::fs::create_dir_all(&elsewhere);
        elsewhere
    };
    link(&target, &out.join(at));
    let plots = if rng.random_range(0..2) == 0 {
        "--no-plots"
    } else {
        "--quiet"
    };
    args(&[
        "run",
        "s.toml",
        "--quiet",
        plots,
        "--interval-minutes",
        "15",
        "--out",
        "out",
    ])
}

/// Builds case `seed` in `case` (fixtures in `fx`): the command to run there.
fn make_case(seed: u64, case: &Path, root: &Path, fx: &Path) -> (&'static str, Vec<String>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    match rng.random_range(0..6) {
        0 => ("dynamics", dynamics_case(&mut rng, case, root)),
        1 => ("report folder", report_case(&mut rng, case, root, fx)),
        2 => ("trial records", records_case(&mut rng, case, root)),
        3 => ("csv names", names_case(&mut rng, case, root)),
        4 => ("overflow", overflow_case(&mut rng, case)),
        _ => ("planted link", planted_link_case(&mut rng, case, root)),
    }
}

fn env<T: std::str::FromStr>(k: &str) -> Option<T> {
    std::env::var(k).ok().and_then(|v| v.parse().ok())
}

/// 60 cases on every test run; scripts/fuzz.sh runs it for minutes (DCLOAD_FUZZ_MINUTES).
#[test]
fn fuzz_commands_folders_records_names_and_links() {
    let seed: u64 = env("DCLOAD_FUZZ_SEED").unwrap_or(1);
    let minutes: Option<f64> = env("DCLOAD_FUZZ_MINUTES");
    let max_cases: u64 =
        env("DCLOAD_FUZZ_CASES").unwrap_or(if minutes.is_some() { u64::MAX } else { 60 });
    let save: Option<PathBuf> = std::env::var("DCLOAD_FUZZ_SAVE").ok().map(PathBuf::from);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let fx = tmp.path().join("fixtures");
    // A finished run with plots, for the report-folder cases.
    std::fs::create_dir_all(&fx).unwrap();
    std::fs::write(fx.join("s.toml"), small_study()).unwrap();
    let made = dcload_in(&fx, &args(&["run", "s.toml", "--quiet", "--out", "run"]));
    assert_eq!(made.code, Some(0), "fixture run: {}", made.stderr);
    let started = Instant::now();
    let mut failures: Vec<String> = Vec::new();
    let mut by_kind: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut k = 0u64;
    while k < max_cases && minutes.is_none_or(|m| started.elapsed().as_secs_f64() < m * 60.0) {
        let case_seed = seed.wrapping_add(k);
        k += 1;
        let _ = std::fs::remove_dir_all(&root);
        let case = root.join(CASE_DIR);
        std::fs::create_dir_all(&case).unwrap();
        std::fs::write(root.join("secret.txt"), SECRET).unwrap();
        let (kind, cmd) = make_case(case_seed, &case, &root, &fx);
        let out = case.join("out");
        let before = snapshot(&root, &out);
        let r = dcload_in(&case, &cmd);
        let outside = changes(&before, &snapshot(&root, &out));
        let tally = by_kind.entry(kind).or_default();
        tally.0 += 1;
        let Some(why) = judge(&r, &out, &outside) else {
            continue;
        };
        tally.1 += 1;
        let line = format!(
            "case seed {case_seed} ({kind}): dcload {}: {why}",
            cmd.join(" ")
        );
        eprintln!("fuzz: {line}");
        failures.push(line);
        if let Some(s) = &save {
            let d = s.join(format!("cmd-case-{case_seed}"));
            let _ = std::fs::remove_dir_all(&d);
            let _ = std::fs::create_dir_all(&d);
            let _ = std::fs::remove_dir_all(&out);
            copy_tree(&case, &d.join("case"));
            let _ = std::fs::write(d.join("command.txt"), format!("{}\n{why}\n", cmd.join(" ")));
        }
    }
    let kinds: Vec<String> = by_kind
        .iter()
        .map(|(k, (n, f))| format!("{k} {n} ({f} failed)"))
        .collect();
    eprintln!(
        "fuzz: commands: seed {seed}: {k} cases in {:.1} min: {}; {} failures",
        started.elapsed().as_secs_f64() / 60.0,
        kinds.join(", "),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
