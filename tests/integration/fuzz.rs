//! A seeded structured fuzzer (issue 10): mutates the presets in runs/, the model library and
//! data files (request traces, EPW weather, carbon CSV), and sends every case through the same
//! checks as `dcload validate`; some of the cases that pass also run (a few days, 1-2 trials)
//! and write their outputs. It asserts no panic, a time bound per case, bounded memory, and
//! either an error or outputs with no NaN or inf.
//!
//! In `cargo test` it runs a fixed budget of cases. `scripts/fuzz.sh` runs it for a long
//! unattended campaign through these variables:
//! - `DCLOAD_FUZZ_SEED` (default 1): the first seed; case k uses seed + k;
//! - `DCLOAD_FUZZ_CASES` (default 4000) and `DCLOAD_FUZZ_RUNS` (default 500): the budget
//!   (every eighth case is a run attempt while the run budget lasts);
//! - `DCLOAD_FUZZ_MINUTES`: run until this many minutes have passed instead (cases unbounded);
//! - `DCLOAD_FUZZ_SAVE`: a folder where each failing case's files are kept for reproduction.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use dcload::base::error::Source;
use dcload::model::library::Library;
use dcload::run::montecarlo::{self, ProgressMode};
use dcload::scenario::Scenario;

use crate::common::repo;

/// Per-case time bounds (generous: the CI machine is small and shared).
const VALIDATE_LIMIT: Duration = Duration::from_secs(20);
const RUN_LIMIT: Duration = Duration::from_secs(90);
/// Peak resident memory of the test process after the campaign.
const MEMORY_LIMIT_KB: u64 = 4 * 1024 * 1024;

const INTERESTING: &[&str] = &[
    "0",
    "-1",
    "1",
    "0.5",
    "2.5",
    "-0.0",
    "1e-320",
    "1e-310",
    "4.9e-324",
    "1e-9",
    "1e-10",
    "1e308",
    "1.7976931348623157e308",
    "-1e308",
    "1e15",
    "1e16",
    "1e12",
    "1e9",
    "4294967297",
    "18446744073709551615",
    "9223372036854775807",
    "-9223372036854775808",
    "nan",
    "inf",
    "-inf",
    "3600",
    "8784",
    "878400",
    "1e6",
    "100",
];

/// What happened to one case.
#[derive(Debug, PartialEq)]
enum Outcome {
    Refused,
    Accepted,
    Ran,
    NonFinite(String),
    /// An error message that prints a number with dozens of digits.
    LongNumber(String),
    Panic(String),
}

/// A refusal, unless its message prints a number in more than 24 digits (printing 1e308 in full).
fn refusal(e: &dcload::Error) -> Outcome {
    let m = e.to_string();
    let mut run = 0;
    for c in m.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        if run > 24 {
            return Outcome::LongNumber(m);
        }
    }
    Outcome::Refused
}

struct Case {
    run: String,
    /// Relative path -> contents, written next to the run file (data files) or under `m/`
    /// (model files).
    files: Vec<(String, Vec<u8>)>,
    models: bool,
    run_it: bool,
}

fn corpus(dir: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let root = repo(dir);
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&d)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "toml") {
                let rel = p.strip_prefix(&root).unwrap().display().to_string();
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}

/// Lines of the form `key = value` (not comments, not table headers).
fn value_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            !t.starts_with('#') && !t.starts_with('[') && t.contains('=')
        })
        .map(|(i, _)| i)
        .collect()
}

fn a_number(rng: &mut ChaCha8Rng, old: Option<f64>) -> String {
    match (rng.random_range(0..4), old) {
        (0, Some(x)) => format!("{:e}", x * 10f64.powi(rng.random_range(-12..13))),
        (1, Some(x)) => format!("{}", -x),
        (2, Some(x)) => format!("{}", x + 0.5),
        _ => pick(rng, INTERESTING).to_string(),
    }
}

fn a_distribution(rng: &mut ChaCha8Rng, old: f64) -> String {
    let a = a_number(rng, Some(old));
    let b = a_number(rng, Some(old));
    match rng.random_range(0..6) {
        0 => format!("{{ dist = \"uniform\", min = {a}, max = {b} }}"),
        1 => format!(
            "{{ dist = \"triangular\", min = {}, mode = {old}, max = {} }}",
            old * 0.5,
            old * 1.5
        ),
        2 => format!("{{ dist = \"normal\", mean = {old}, sd = {a} }}"),
        3 => format!("{{ dist = \"lognormal\", mean = {a}, sd = {b} }}"),
        4 => format!("{{ dist = \"choice\", values = [{a}, {b}], weights = [1, 2] }}"),
        _ => format!(
            "{{ dist = \"uniform\", min = {}, max = {} }}",
            old * 0.9,
            old * 1.1
        ),
    }
}

/// A `key = value` line of `lines` picked at random: its index, key and value (without a
/// trailing comment); None if there is none.
fn pick_value(rng: &mut ChaCha8Rng, lines: &[String]) -> Option<(usize, String, String)> {
    let vl = value_lines(&lines.join("\n"));
    if vl.is_empty() {
        return None;
    }
    let i = *pick(rng, &vl);
    let (k, v) = lines[i].split_once('=').unwrap();
    let v = v.split('#').next().unwrap_or("").trim();
    Some((i, k.trim().to_string(), v.to_string()))
}

/// One to three structured mutations of a TOML text.
fn mutate(rng: &mut ChaCha8Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for _ in 0..rng.random_range(1..4) {
        let Some((i, key, value)) = pick_value(rng, &lines) else {
            break;
        };
        let num = value.replace('_', "").parse::<f64>().ok();
        match rng.random_range(0..10) {
            0..=3 => lines[i] = format!("{key} = {}", a_number(rng, num)),
            4 => {
                lines.remove(i);
            }
            5 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            6 => {
                lines[i] = format!(
                    "{key} = {}",
                    pick(
                        rng,
                        &[
                            "\"text\"",
                            "true",
                            "[1, 2]",
                            "{}",
                            "[]",
                            "\"\"",
                            "1979-05-27"
                        ]
                    )
                )
            }
            7 => match num {
                Some(x) => lines[i] = format!("{key} = {}", a_distribution(rng, x)),
                None => lines[i] = format!("{key} = {}", a_number(rng, None)),
            },
            8 => {
                // Duplicate a whole [[table]] block.
                let starts: Vec<usize> = (0..lines.len())
                    .filter(|&j| lines[j].trim_start().starts_with("[["))
                    .collect();
                if let Some(&s) = starts.get(rng.random_range(0..starts.len().max(1))) {
                    let e = (s + 1..lines.len())
                        .find(|&j| lines[j].trim_start().starts_with('['))
                        .unwrap_or(lines.len());
                    let block: Vec<String> = lines[s..e].to_vec();
                    lines.extend(block);
                }
            }
            _ => {
                let cut = rng.random_range(0..lines.len());
                lines.truncate(cut.max(1));
            }
        }
    }
    lines.join("\n") + "\n"
}

/// Scales one to three numbers by 0.1-10x (whole numbers stay whole): inputs that mostly pass
/// validation, so that the short runs see unusual but accepted studies.
fn mild(rng: &mut ChaCha8Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for _ in 0..rng.random_range(1..4) {
        let Some((i, k, v)) = pick_value(rng, &lines) else {
            break;
        };
        if matches!(k.as_str(), "horizon_hours" | "trials" | "step_s") {
            continue;
        }
        if let Ok(x) = v.replace('_', "").parse::<f64>() {
            let y = x * 10f64.powf(rng.random_range(-1.0..1.0));
            lines[i] = if v.contains(['.', 'e', 'E']) {
                format!("{k} = {y:e}")
            } else {
                format!("{k} = {}", y.round())
            };
        }
    }
    lines.join("\n") + "\n"
}

/// Sets a top-level key (before the first table), replacing it if present.
fn set_top(text: &str, key: &str, value: &str) -> String {
    let mut done = false;
    let mut out = Vec::new();
    for l in text.lines() {
        if !done && l.trim_start().starts_with(&format!("{key} ")) {
            out.push(format!("{key} = {value}"));
            done = true;
        } else {
            out.push(l.to_string());
        }
    }
    let body = out.join("\n") + "\n";
    if done {
        body
    } else {
        format!("{key} = {value}\n{body}")
    }
}

fn carbon_csv(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut s = String::from("hour,g_per_kwh\n");
    for h in 0..rng.random_range(0..60) {
        let v = if rng.random_range(0..60) == 0 {
            pick(rng, INTERESTING).to_string()
        } else {
            format!("{}", rng.random_range(0.0..900.0))
        };
        s.push_str(&format!("{h},{v}\n"));
    }
    s.into_bytes()
}

fn trace_csv(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut s = String::from("TIMESTAMP,ContextTokens,GeneratedTokens\n");
    let n = rng.random_range(0..40);
    for i in 0..n {
        let sec = if rng.random_range(0..10) == 0 {
            rng.random_range(0..59)
        } else {
            i % 60
        };
        let tin = if rng.random_range(0..8) == 0 {
            pick(rng, INTERESTING).to_string()
        } else {
            format!("{}", rng.random_range(1..4000))
        };
        s.push_str(&format!(
            "2023-11-16 18:{:02}:{sec:02}.5,{tin},{}\n",
            i / 60,
            rng.random_range(1..600)
        ));
    }
    s.into_bytes()
}

fn epw(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let bad_row = rng.random_range(0..9000);
    let mut row = 0;
    crate::common::epw_file("40.0,-75.0,-5.0", |m, _| {
        let t = if row == bad_row {
            pick(rng, INTERESTING).to_string()
        } else {
            format!("{:.1}", 5.0 + 2.0 * m as f64)
        };
        row += 1;
        format!("{t},1.0")
    })
    .into_bytes()
}

/// Builds case `k` of the campaign from its own seed.
fn make_case(
    seed: u64,
    runs: &[(String, String)],
    models: &[(String, String)],
    run_it: bool,
) -> Case {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (_, base) = pick(&mut rng, runs);
    let mut run = base.clone();
    if run_it {
        run = set_top(
            &run,
            "horizon_hours",
            &format!("{}", rng.random_range(24..97)),
        );
        run = set_top(&run, "trials", &format!("{}", rng.random_range(1..3)));
    }
    let mut files = Vec::new();
    let mut use_models = false;
    match rng.random_range(0..10) {
        0..=2 if run_it => run = mild(&mut rng, &run),
        0..=5 => run = mutate(&mut rng, &run),
        6 | 7 => {
            let (rel, text) = pick(&mut rng, models);
            files.push((rel.clone(), mutate(&mut rng, text).into_bytes()));
            use_models = true;
        }
        8 => {
            files.push(("c.csv".into(), carbon_csv(&mut rng)));
            run = if run.contains("\n[grid]") {
                run.replacen("\n[grid]\n", "\n[grid]\ncarbon_csv = \"c.csv\"\n", 1)
                    .replace("carbon = ", "# carbon = ")
            } else {
                run + "\n[grid]\ncarbon_csv = \"c.csv\"\n"
            };
        }
        _ => {
            if rng.random_range(0..2) == 0 && run.contains("climate = \"") {
                files.push(("w.epw".into(), epw(&mut rng)));
                let at = run.find("climate = \"").unwrap();
                let end = at + run[at + 11..].find('"').unwrap() + 12;
                run.replace_range(at..end, "epw = \"w.epw\"");
                run = run.replace("heat_wave", "# heat_wave");
            } else if let Some(at) = run.find("requests_per_day = ") {
                files.push(("t.csv".into(), trace_csv(&mut rng)));
                let end = at + run[at..].find('\n').unwrap_or(run.len() - at);
                let value = run[at + 19..end]
                    .split('#')
                    .next()
                    .unwrap()
                    .trim()
                    .to_string();
                run.replace_range(
                    at..end,
                    &format!("trace = {{ file = \"t.csv\", requests_per_day = {value} }}"),
                );
            } else {
                run = mutate(&mut rng, &run);
            }
        }
    }
    Case {
        run,
        files,
        models: use_models,
        run_it,
    }
}

/// Validates (and maybe runs) one case in-process, in `dir`.
fn check_case(case: &Case, dir: &Path) -> Outcome {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("m")).unwrap();
    for (rel, bytes) in &case.files {
        let p = if case.models {
            dir.join("m").join(rel)
        } else {
            dir.join(rel)
        };
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let models = case.models.then(|| dir.join("m"));
    let lib = match Library::load(models.as_deref()) {
        Ok(l) => l,
        Err(e) => return refusal(&e),
    };
    let src = Source::new("case.toml", case.run.clone());
    let mut sc = match Scenario::from_source(&src, "case", dir, &lib) {
        Ok(sc) => sc,
        Err(e) => {
            if case.run_it && std::env::var("DCLOAD_FUZZ_DEBUG").is_ok() {
                eprintln!("fuzz: refused: {e}");
            }
            return refusal(&e);
        }
    };
    if let Err(e) = dcload::scenario::check_run(&sc) {
        return refusal(&e);
    }
    if !case.run_it || sc.horizon_hours > 96 {
        return Outcome::Accepted;
    }
    sc.trials = sc.trials.min(2);
    sc.spec.trials = sc.trials;
    let results = match montecarlo::run(
        &sc,
        montecarlo::Batch {
            threads: Some(1),
            progress: ProgressMode::Quiet,
            ..Default::default()
        },
    ) {
        Ok(r) => r,
        Err(e) => return refusal(&e),
    };
    let out = dir.join("out");
    let paths = match dcload::report::write_all(
        &out,
        &sc,
        &results,
        1,
        0.0,
        true,
        &dcload::run::traces::HourlySource::Memory,
    ) {
        Ok(p) => p,
        Err(e) => return refusal(&e),
    };
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        if let Some(t) = dcload::report::non_finite_token(&text) {
            return Outcome::NonFinite(format!("{}: {t}", p.display()));
        }
    }
    Outcome::Ran
}

fn env<T: std::str::FromStr>(k: &str) -> Option<T> {
    std::env::var(k).ok().and_then(|v| v.parse().ok())
}

fn peak_rss_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let l = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    l.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn fuzz_presets_models_and_data_files() {
    let seed: u64 = env("DCLOAD_FUZZ_SEED").unwrap_or(1);
    let minutes: Option<f64> = env("DCLOAD_FUZZ_MINUTES");
    let max_cases: u64 =
        env("DCLOAD_FUZZ_CASES").unwrap_or(if minutes.is_some() { u64::MAX } else { 4000 });
    let max_runs: u64 =
        env("DCLOAD_FUZZ_RUNS").unwrap_or(if minutes.is_some() { u64::MAX } else { 500 });
    let save: Option<PathBuf> = std::env::var("DCLOAD_FUZZ_SAVE").ok().map(PathBuf::from);
    let runs = corpus("runs");
    let models = corpus("models");
    let tmp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (mut refused, mut accepted, mut ran, mut runs_tried) = (0u64, 0u64, 0u64, 0u64);
    let mut failures: Vec<String> = Vec::new();
    let mut slowest = Duration::ZERO;
    let mut k = 0u64;
    while k < max_cases {
        if let Some(m) = minutes
            && started.elapsed().as_secs_f64() > m * 60.0
        {
            break;
        }
        // Every eighth case runs, until the run budget is spent.
        let run_it = k.is_multiple_of(8) && runs_tried < max_runs;
        runs_tried += u64::from(run_it);
        let case_seed = seed.wrapping_add(k);
        let case = make_case(case_seed, &runs, &models, run_it);
        let dir = tmp.path().join(format!("w{}", k % 4));
        let (tx, rx) = mpsc::channel();
        let t0 = Instant::now();
        let case_for_thread = Case {
            run: case.run.clone(),
            files: case.files.clone(),
            models: case.models,
            run_it: case.run_it,
        };
        let dir_for_thread = dir.clone();
        std::thread::spawn(move || {
            let r = catch_unwind(AssertUnwindSafe(|| {
                check_case(&case_for_thread, &dir_for_thread)
            }))
            .unwrap_or_else(|p| {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Outcome::Panic(msg)
            });
            let _ = tx.send(r);
        });
        let limit = if run_it { RUN_LIMIT } else { VALIDATE_LIMIT };
        let outcome = match rx.recv_timeout(limit) {
            Ok(o) => o,
            Err(_) => Outcome::Panic(format!("hang: no result within {} s", limit.as_secs())),
        };
        let took = t0.elapsed();
        slowest = slowest.max(took);
        match &outcome {
            Outcome::Refused => refused += 1,
            Outcome::Accepted => accepted += 1,
            Outcome::Ran => ran += 1,
            Outcome::NonFinite(m) | Outcome::LongNumber(m) | Outcome::Panic(m) => {
                failures.push(format!("case seed {case_seed}: {outcome:?}: {m}"));
                if let Some(s) = &save {
                    let d = s.join(format!("case-{case_seed}"));
                    let _ = std::fs::create_dir_all(&d);
                    let _ = std::fs::write(d.join("case.toml"), &case.run);
                    for (rel, b) in &case.files {
                        let p = d.join(if case.models {
                            format!("m/{rel}")
                        } else {
                            rel.clone()
                        });
                        let _ = std::fs::create_dir_all(p.parent().unwrap());
                        let _ = std::fs::write(p, b);
                    }
                }
                if matches!(outcome, Outcome::Panic(ref m) if m.starts_with("hang"))
                    && failures.len() > 3
                {
                    break;
                }
            }
        }
        k += 1;
        if minutes.is_some() && k.is_multiple_of(500) {
            eprintln!(
                "fuzz: {k} cases, {:.1} min, {} failures",
                started.elapsed().as_secs_f64() / 60.0,
                failures.len()
            );
        }
    }
    let rss = peak_rss_kb();
    eprintln!(
        "fuzz: seed {seed}: {k} cases in {:.1} min ({refused} refused, {accepted} accepted, {ran} ran and wrote finite outputs, {runs_tried} run attempts); {} panics/hangs/non-finite; slowest case {:.1} s; peak memory {} MiB",
        started.elapsed().as_secs_f64() / 60.0,
        failures.len(),
        slowest.as_secs_f64(),
        rss.map_or(0, |r| r / 1024)
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The campaign must exercise both sides: refusals and studies that run.
    assert!(refused > 0 && ran > 0, "refused {refused}, ran {ran}");
    if let Some(r) = rss {
        assert!(r < MEMORY_LIMIT_KB, "peak memory {r} kB");
    }
}
