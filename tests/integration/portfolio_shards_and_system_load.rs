//! Portfolio studies across nodes (shards of the archetypes' trials and an exact merge) and
//! against a system's hourly load (its peak hours, and the headroom method on the portfolio's
//! shape).

use std::path::Path;

use crate::common::*;
use crate::portfolio::{file, folder, header, project, run_portfolio};

/// A made-up system load for calendar year `year` on UTC and `extra` hours after it
/// (`timestamp,MW`, stamps with `Z`): seasonal and daily swings and a ripple, so every hour
/// has its own value.
fn system_csv(year: i32, extra: usize) -> String {
    let mut s = String::from("timestamp,MW\n");
    let hours = if year % 4 == 0 { 8784 } else { 8760 } + extra;
    let start = dcload::base::time::Date {
        year,
        month: 1,
        day: 1,
    }
    .days_since_epoch();
    for i in 0..hours {
        let d = dcload::base::time::Date::from_days_since_epoch(start + i as i64 / 24);
        let (doy, h) = ((i / 24) as f64, (i % 24) as f64);
        let tau = std::f64::consts::TAU;
        let mw = 1000.0
            + 300.0 * (tau * (doy - 200.0) / 365.0).cos()
            + 200.0 * (tau * (h - 17.0) / 24.0).cos()
            + 20.0 * (i as f64 * 0.37).sin();
        s += &format!(
            "{}-{:02}-{:02}T{:02}:00Z,{mw:.3}\n",
            d.year,
            d.month,
            d.day,
            i % 24
        );
    }
    s
}

/// Every file of a folder, by name, with its bytes.
fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// A portfolio of ten projects on both archetypes (2 + 4 simulated trials), a market factor,
/// a supply-chain delay and a system load: every output file there is.
fn queue_with_system_load() -> String {
    let mut rest = "\n[correlation]\nmarket_sd = 0.5\nsupply_chain_days = { dist = \"lognormal\", mean = 30, sd = 20 }\n\n[system_load]\nfiles = [\"system.csv\"]\ntop_hours = 10\n".to_string();
    for i in 0..10 {
        let arch = if i % 2 == 0 { "chat" } else { "flat" };
        rest += &(project(
            &format!("t{i}"),
            ["north", "south"][i % 2],
            arch,
            20.0 + i as f64,
            "study",
            "2026-05-01",
        ) + "ramp_days = 30\n");
    }
    file(&header(1, 30, 17), &rest)
}

/// Two shards (one `K/N`, one `--shard auto` from a Slurm array's variables) merged give every
/// output file of one run, byte for byte; a merge missing a shard is refused.
#[test]
fn shards_merged_give_the_bytes_of_one_run() {
    let dir = folder();
    std::fs::write(dir.path().join("system.csv"), system_csv(2025, 0)).unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(&path, queue_with_system_load()).unwrap();
    let one = dir.path().join("one");
    run_ok(&["portfolio", arg(&path), "--out", arg(&one), "--quiet"]);
    let (s0, s1, merged) = (
        dir.path().join("s0"),
        dir.path().join("s1"),
        dir.path().join("merged"),
    );
    run_ok(&[
        "portfolio",
        arg(&path),
        "--shard",
        "0/2",
        "--out",
        arg(&s0),
        "--quiet",
    ]);
    let out = dcload()
        .args([
            "portfolio",
            arg(&path),
            "--shard",
            "auto",
            "--out",
            arg(&s1),
            "--quiet",
        ])
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "2")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // Six archetype trials (2 + 4), three in each shard.
    for s in [&s0, &s1] {
        let records = std::fs::read_dir(s)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "f32")
            })
            .count();
        assert_eq!(records, 3, "{}", s.display());
    }
    let err = fails(&["merge", arg(&s0), "--out", arg(&merged), "--quiet"]);
    assert_says(
        &err,
        &["is in none of the shard folders", "merge every shard"],
    );
    run_ok(&[
        "merge",
        arg(&s0),
        arg(&s1),
        "--out",
        arg(&merged),
        "--quiet",
    ]);
    let (a, b) = (files_of(&one), files_of(&merged));
    let names: Vec<&String> = a.iter().map(|x| &x.0).collect();
    assert_eq!(a.len(), 9, "{names:?}");
    assert_eq!(names, b.iter().map(|x| &x.0).collect::<Vec<_>>());
    for ((n, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{n} differs between one run and the merged shards");
    }
    // An archetype run file changed since the shards ran: refused.
    let chat = dir.path().join("chat.toml");
    let text = std::fs::read_to_string(&chat).unwrap();
    std::fs::write(&chat, text.replace("seed = 3", "seed = 4")).unwrap();
    let err = fails(&[
        "merge",
        arg(&s0),
        arg(&s1),
        "--out",
        arg(&merged),
        "--quiet",
    ]);
    assert_says(&err, &["chat.toml changed since the shards ran"]);
}

/// The system's peak hours are found on the system's clock and placed on the portfolio's:
/// the portfolio's MW at the system's top hours and at its monthly peaks (12CP) is the mean of
/// the portfolio's hourly mean at those hours, read back from portfolio_hourly_2026.csv.
#[test]
fn the_portfolio_at_the_system_peak_hours_is_read_on_the_right_hours() {
    let dir = folder();
    let sys = system_csv(2025, 6);
    std::fs::write(dir.path().join("system.csv"), &sys).unwrap();
    // The portfolio's clock is 6 hours behind the system file's (UTC): a wrong placement
    // reads the chat site's daily shape 6 hours off.
    let head = format!("{}\nutc_offset = \"-06:00\"", header(1, 8, 3));
    let rest = "\n[system_load]\nfiles = [\"system.csv\"]\ntop_hours = 10\n".to_string()
        + &project("c", "north", "chat", 100.0, "built", "2025-01-01");
    run_portfolio(dir.path(), &head, &rest);
    // The system's hours as (UTC hours since 2025-01-01, MW).
    let hours: Vec<(usize, f64)> = sys
        .lines()
        .skip(1)
        .enumerate()
        .map(|(i, l)| (i, l.split(',').nth(1).unwrap().parse().unwrap()))
        .collect();
    // On the portfolio's clock: local hour = UTC - 6; the local year 2025 runs from UTC hour 6,
    // and its local hour j is hour j of the portfolio year 2026 (same month, day and hour).
    let local: Vec<(usize, f64)> = hours
        .iter()
        .filter(|(i, _)| (6..8766).contains(i))
        .map(|(i, mw)| (i - 6, *mw))
        .collect();
    let mut top = local.clone();
    top.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(10);
    let jan1 = dcload::base::time::Date {
        year: 2025,
        month: 1,
        day: 1,
    }
    .days_since_epoch();
    let month_of =
        |j: usize| dcload::base::time::Date::from_days_since_epoch(jan1 + j as i64 / 24).month;
    let mut monthly: Vec<(usize, f64)> = Vec::new();
    for m in 1..=12 {
        let best =
            local
                .iter()
                .filter(|(j, _)| month_of(*j) == m)
                .fold(None::<(usize, f64)>, |b, x| match b {
                    Some(b) if b.1 >= x.1 => Some(b),
                    _ => Some(*x),
                });
        monthly.push(best.unwrap());
    }
    let (h, rows) = read_csv(&dir.path().join("out/portfolio_hourly_2026.csv"));
    let total = col(&h, "total_mw_mean");
    let at = |set: &[(usize, f64)]| {
        set.iter()
            .map(|(j, _)| rows[*j][total].parse::<f64>().unwrap())
            .sum::<f64>()
            / set.len() as f64
    };
    let (h, rows) = read_csv(&dir.path().join("out/portfolio_system_peaks.csv"));
    let (hours_c, zone_c, mean_c, sys_c) = (
        col(&h, "hours"),
        col(&h, "zone"),
        col(&h, "mw_mean"),
        col(&h, "system_mw_mean"),
    );
    for (name, set) in [("top10", &top), ("12cp", &monthly)] {
        let row = rows
            .iter()
            .find(|r| r[hours_c] == name && r[zone_c] == "total")
            .unwrap();
        let got: f64 = row[mean_c].parse().unwrap();
        let want = at(set);
        assert!((got - want).abs() < 1e-3, "{name}: {got} vs {want}");
        let sys_mean = set.iter().map(|x| x.1).sum::<f64>() / set.len() as f64;
        let got_sys: f64 = row[sys_c].parse().unwrap();
        assert!(
            (got_sys - sys_mean).abs() < 1e-3,
            "{name}: {got_sys} vs {sys_mean}"
        );
    }
    // The chat site's evening peak is not the system's: a placement 6 hours off would read
    // other hours (the check above would fail); its top-hour MW differs from its day mean.
    assert!(
        rows.iter().any(|r| r[1] == "2025"),
        "compared with the system's 2025"
    );
}

/// Headroom by `dcload headroom`'s own method: the paper's flat load gives the bytes that
/// `dcload headroom` writes; a flat portfolio has exactly the flat load's headroom; each
/// trial's portfolio is within the 1 % limit when it is half that headroom, and beyond it
/// at one and a half times.
#[test]
fn headroom_of_the_portfolio_is_the_headroom_method_on_its_shape() {
    let dir = folder();
    let csv = dir.path().join("system.csv");
    std::fs::write(&csv, system_csv(2025, 0)).unwrap();
    let hr = dir.path().join("hr");
    run_ok(&["headroom", arg(&csv), "--out", arg(&hr), "--quiet"]);
    let reference = std::fs::read_to_string(hr.join("headroom.csv")).unwrap();
    let (h, rows) = read_csv(&hr.join("headroom.csv"));
    let at1 = rows
        .iter()
        .find(|r| r[col(&h, "curtailment_limit_pct")] == "1")
        .unwrap();
    let headroom_1: f64 = at1[col(&h, "headroom_mw")].parse().unwrap();
    let year_flat = "\n[[archetype]]\nname = \"flat-year\"\nrun = \"flat-year.toml\"\n\n[system_load]\nfiles = [\"system.csv\"]\n".to_string();
    std::fs::write(
        dir.path().join("flat-year.toml"),
        crate::portfolio::flat(8760, 1),
    )
    .unwrap();
    let within = |factor: f64| {
        let mw = factor * headroom_1;
        let o = run_portfolio(
            dir.path(),
            &header(1, 4, 1),
            &(year_flat.clone() + &project("f", "north", "flat-year", mw, "built", "2025-01-01")),
        );
        assert_eq!(o.system.len(), 1);
        let out = dir.path().join("out");
        let text = std::fs::read_to_string(out.join("portfolio_headroom.csv")).unwrap();
        // The flat rows are dcload headroom's, byte for byte; the portfolio's flat shape has
        // the same headroom at every limit.
        let mut lines = text.lines();
        assert_eq!(lines.next(), reference.lines().next());
        let flat: Vec<&str> = text.lines().filter(|l| l.starts_with("flat,")).collect();
        let ours: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("portfolio_mean_2026,"))
            .collect();
        assert_eq!(flat, reference.lines().skip(1).collect::<Vec<_>>());
        assert_eq!(ours.len(), flat.len());
        for (a, b) in flat.iter().zip(&ours) {
            let size = |l: &str| l.split(',').nth(2).unwrap().to_string();
            assert_eq!(size(a), size(b), "{a} vs {b}");
        }
        let (h, rows) = read_csv(&out.join("portfolio_curtailment.csv"));
        rows[0][col(&h, "share_trials_within_1pct")]
            .parse::<f64>()
            .unwrap()
    };
    assert_eq!(within(0.5), 1.0);
    assert_eq!(within(1.5), 0.0);
}
