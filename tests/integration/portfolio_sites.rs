//! The sites of a portfolio: weather shared by the archetypes of one climate, a composed
//! portfolio of physics sites against their direct simulation, sizes in IT MW, phased
//! build-outs, a queue read from CSV, and the crypto-like archetype's curtailment.

use dcload::base::stats::percentile_sorted;
use dcload::model::library::Library;
use dcload::model::metrics::{M_DRYBULB, M_FACILITY};

use crate::common::*;
use crate::portfolio::{TWIN, engine_hours, file, folder, header, project, run_portfolio};

/// A site of `count` DGX H100 with a physics facility in `climate`, hourly steps from
/// 1 January 2026.
fn physics_site(
    name: &str,
    climate: &str,
    hours: u32,
    trials: u32,
    seed: u64,
    count: u32,
    work: &str,
) -> String {
    format!(
        "name = \"{name}\"\nstart = \"2026-01-01\"\nhorizon_hours = {hours}\nstep_s = 3600\nseed = {seed}\n\
         trials = {trials}\n[[site.group]]\nname = \"a\"\nserver = \"DGX-H100\"\ncount = {count}\n\
         {work}[facility]\nkind = \"physics\"\nclimate = \"{climate}\"\n"
    )
}

/// Chat requests scaled by `m` (mean and sd: the same lognormal draw times m).
fn chat_work(m: f64) -> String {
    format!(
        "[[consumer]]\nname = \"chat\"\npreset = \"chat\"\npool = \"a\"\n\
         requests_per_day = {{ dist = \"lognormal\", mean = {:?}, sd = {:?} }}\n",
        1.0e5 * m,
        3.0e4 * m
    )
}

/// Archetypes of one climate share its weather: simulated with the seed of the climate's
/// first archetype and the same K, their projects replay the same trial in every portfolio
/// trial, and that trial's weather year (the engine's own outdoor dry bulb) is the same in
/// both; another climate keeps its seed. With `weather = "archetype"` each keeps its own.
#[test]
fn archetypes_of_one_climate_share_the_weather_of_a_trial() {
    let dir = tempfile::tempdir().unwrap();
    let write = |n: &str, text: String| std::fs::write(dir.path().join(n), text).unwrap();
    write(
        "dal-a.toml",
        physics_site("dal-a", "dallas", 168, 3, 3, 10, TWIN),
    );
    write(
        "dal-b.toml",
        physics_site("dal-b", "dallas", 168, 4, 9, 10, &chat_work(1.0)),
    );
    write(
        "aus.toml",
        physics_site("aus", "austin", 168, 3, 5, 10, TWIN),
    );
    let text = |weather: &str| {
        let mut s = format!(
            "[portfolio]\n{}\nzones = [\"z\"]\n{weather}\n",
            header(1, 6, 2)
        );
        for a in ["dal-a", "dal-b", "aus"] {
            s += &format!("[[archetype]]\nname = \"{a}\"\nrun = \"{a}.toml\"\n");
        }
        s += "[stage.built]\nprobability = 1.0\nsource = \"certain (test)\"\n";
        for (p, a) in [("pa", "dal-a"), ("pb", "dal-b"), ("pc", "aus")] {
            s += &project(p, "z", a, 10.0, "built", "2025-01-01");
        }
        s
    };
    let run = |weather: &str| {
        let src = dcload::base::error::Source::new("p.toml", text(weather));
        let p = dcload::portfolio::Portfolio::from_source(&src, "p", dir.path()).unwrap();
        let lib = Library::builtin().unwrap();
        dcload::portfolio::study(p, &lib, &dir.path().join("out"), None, true).unwrap()
    };
    let o = run("");
    let seeds: Vec<u64> = o.profiles.iter().map(|a| a.seed).collect();
    assert_eq!(seeds, vec![3, 3, 5]);
    let k: Vec<usize> = o.profiles.iter().map(|a| a.trials.len()).collect();
    assert_eq!(k, vec![3, 3, 3], "one K per climate: the smallest asked");
    for d in &o.draws {
        assert_eq!(d.projects[0].site_trial, d.projects[1].site_trial);
        let t = d.projects[0].site_trial;
        let a = engine_hours(&dir.path().join("dal-a.toml"), Some(3), t, M_DRYBULB);
        let b = engine_hours(&dir.path().join("dal-b.toml"), Some(3), t, M_DRYBULB);
        assert_eq!(a, b, "trial {t}: the two Dallas sites see one weather year");
        let c = engine_hours(&dir.path().join("aus.toml"), Some(5), t, M_DRYBULB);
        assert_ne!(a, c);
    }
    let o = run("weather = \"archetype\"");
    let seeds: Vec<u64> = o.profiles.iter().map(|a| a.seed).collect();
    assert_eq!(seeds, vec![3, 9, 5]);
    let a = engine_hours(&dir.path().join("dal-a.toml"), Some(3), 0, M_DRYBULB);
    let b = engine_hours(&dir.path().join("dal-b.toml"), Some(9), 0, M_DRYBULB);
    assert_ne!(a, b);
}

/// A composed portfolio of physics sites with a daily shape (chat requests) and weather
/// (Dallas, a year at hourly steps) against a direct simulation of the same projects: each
/// project run by the engine as its own site study, its fleet and requests m times the
/// archetype's (m = 1, 2, 3, the projects' sizes), same seed and trial. Over 6 trials the
/// mean annual energy and the P90 of the annual peak agree within 1 %.
#[test]
fn composed_physics_sites_match_their_direct_simulation() {
    let dir = tempfile::tempdir().unwrap();
    let trials = 6;
    std::fs::write(
        dir.path().join("arch.toml"),
        physics_site("arch", "dallas", 8760, trials, 7, 10, &chat_work(1.0)),
    )
    .unwrap();
    let sizes = [1.0, 2.0, 3.0];
    let mut text = format!(
        "[portfolio]\n{}\nzones = [\"z\"]\n[[archetype]]\nname = \"arch\"\nrun = \"arch.toml\"\nmw = 1.0\n\
         [stage.built]\nprobability = 1.0\nsource = \"certain (test)\"\n",
        header(1, trials, 1)
    );
    for (i, m) in sizes.iter().enumerate() {
        text += &project(&format!("p{i}"), "z", "arch", *m, "built", "2025-01-01");
    }
    let src = dcload::base::error::Source::new("p.toml", text);
    let p = dcload::portfolio::Portfolio::from_source(&src, "p", dir.path()).unwrap();
    let lib = Library::builtin().unwrap();
    let o = dcload::portfolio::study(p, &lib, &dir.path().join("out"), None, true).unwrap();
    let y = &o.years[0];
    let (mut e_direct, mut pk_direct) = (Vec::new(), Vec::new());
    for t in 0..trials {
        let mut total = vec![0.0; 8760];
        for (i, m) in sizes.iter().enumerate() {
            let path = dir.path().join(format!("direct{i}.toml"));
            let count = (10.0 * m) as u32;
            std::fs::write(
                &path,
                physics_site("d", "dallas", 8760, trials, 7, count, &chat_work(*m)),
            )
            .unwrap();
            for (x, v) in total
                .iter_mut()
                .zip(engine_hours(&path, Some(7), t, M_FACILITY))
            {
                *x += v;
            }
        }
        e_direct.push(total.iter().sum::<f64>());
        pk_direct.push(total.iter().copied().fold(0.0, f64::max));
    }
    let e_comp: Vec<f64> = y.energy.iter().map(|e| e[1]).collect();
    let mut pk_comp: Vec<f64> = y.peak.iter().map(|p| p[1]).collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let p90 = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        percentile_sorted(v, 0.9)
    };
    let (ec, ed) = (mean(&e_comp), mean(&e_direct));
    let (pc, pd) = (p90(&mut pk_comp), p90(&mut pk_direct));
    eprintln!(
        "energy composed {ec:.3} direct {ed:.3} MWh; P90 peak composed {pc:.4} direct {pd:.4} MW"
    );
    assert!((ec / ed - 1.0).abs() < 0.01, "energy {ec} vs {ed}");
    assert!((pc / pd - 1.0).abs() < 0.01, "P90 peak {pc} vs {pd}");
}

/// A project sized in installed IT MW draws the archetype scaled to that IT: the flat site
/// (a twin at full utilisation, PUE 1.2) at 100 IT MW draws 120 MW at the meter.
#[test]
fn a_size_in_it_mw_is_converted_with_the_archetype_simulated_pue() {
    let dir = folder();
    let rest = project("it", "north", "flat", 1.0, "built", "2025-01-01")
        .replace("mw = 1.0", "it_mw = 100.0");
    let o = run_portfolio(dir.path(), &header(1, 2, 1), &rest);
    let a = &o.profiles[0];
    assert!(
        (a.meter_per_it_mw() - 1.2).abs() < 1e-6,
        "{}",
        a.meter_per_it_mw()
    );
    for d in &o.draws {
        assert!((d.projects[0].mw - 100.0 * a.meter_per_it_mw()).abs() < 1e-9);
    }
    let e = o.years[0].energy[0][0];
    assert!(
        (e / (100.0 * a.meter_per_it_mw() * 8760.0) - 1.0).abs() < 1e-9,
        "{e}"
    );
}

/// Phases add their shares of the size at their own dates and ramps: 40 % from 1 March,
/// 60 % from 1 July over a 10-day ramp; shares that do not add to 1, or `online` beside
/// `phases`, are refused at their line.
#[test]
fn phases_add_their_shares_at_their_dates() {
    let dir = folder();
    let phased = project("ph", "north", "flat", 100.0, "built", "2026-03-01").replace(
        "online = \"2026-03-01\"\n",
        "phases = [{ online = \"2026-03-01\", share = 0.4 }, { online = \"2026-07-01\", share = 0.6, ramp_days = 10 }]\n",
    );
    let o = run_portfolio(dir.path(), &header(1, 2, 1), &phased);
    let want =
        100.0 * (0.4 * f64::from((365 - 59) * 24) + 0.6 * (f64::from((365 - 181) * 24) - 120.0));
    for e in &o.years[0].project_energy {
        assert!((e[0] / want - 1.0).abs() < 1e-9, "{} vs {want}", e[0]);
    }
    let path = dir.path().join("p.toml");
    let check = |from: &str, to: &str, field: &str| {
        let bad = file(&header(1, 2, 1), &phased.replace(from, to));
        std::fs::write(&path, &bad).unwrap();
        let err = fails(&["portfolio", arg(&path), "--quiet"]);
        let line = line_of(&bad, "phases = [");
        assert_says(&err, &[&format!("p.toml:{line}:"), &format!("`{field}`")]);
        err
    };
    let e = check("share = 0.6", "share = 0.5", "phases");
    assert!(e.contains("add to 0.9"), "{e}");
    check(
        "phases = [",
        "online = \"2026-01-01\"\nphases = [",
        "phases",
    );
}

/// A queue in CSV gives the same projects as `[[project]]` tables (same draws, same energy),
/// and a bad cell is refused at the CSV's file, line and column with the field's name.
#[test]
fn a_csv_queue_reads_as_project_tables() {
    let dir = folder();
    let rows = [
        ("q1", "north", "flat", "50", "2026-02-01", "", ""),
        ("q2", "south", "chat", "30", "2026-04-01", "0.7", "20"),
        ("q3", "south", "flat", "40", "2026-06-01", "", ""),
    ];
    let mut csv = String::from("name,zone,archetype,mw,stage,online,probability,delay_days\n");
    let mut tables = String::new();
    for (n, z, a, mw, on, p, d) in rows {
        csv += &format!("{n},{z},{a},{mw},study,{on},{p},{d}\n");
        tables += &project(n, z, a, mw.parse().unwrap(), "study", on);
        if !p.is_empty() {
            tables += &format!("probability = {p}\ndelay_days = {d}\n");
        }
    }
    std::fs::write(dir.path().join("queue.csv"), &csv).unwrap();
    let head = header(1, 40, 4);
    let from_tables = run_portfolio(dir.path(), &head, &tables);
    let from_csv = run_portfolio(dir.path(), &format!("{head}\nqueue = \"queue.csv\""), "");
    assert_eq!(from_tables.draws, from_csv.draws);
    assert_eq!(from_tables.years[0].energy, from_csv.years[0].energy);
    let path = dir.path().join("p.toml");
    std::fs::write(&path, file(&format!("{head}\nqueue = \"queue.csv\""), "")).unwrap();
    let q = dir.path().join("queue.csv");
    let check = |bad: &str, at: &str, field: &str| {
        std::fs::write(&q, bad).unwrap();
        let err = fails(&["portfolio", arg(&path), "--quiet"]);
        assert_says(
            &err,
            &[&format!("{}:{at}:", q.display()), &format!("`{field}`")],
        );
        err
    };
    check(
        &csv.replace("q2,south,chat,30", "q2,south,chat,abc"),
        "3:15",
        "mw",
    );
    let e = check(&csv.replace("q3,south", "q3,sout"), "4:4", "zone");
    assert!(e.contains("did you mean \"south\""), "{e}");
    check(
        &csv.replace("delay_days", "delay_dayz"),
        "1:49",
        "delay_dayz",
    );
    check(
        &csv.replace("q1,north,flat,50,", "q1,north,flat,-5,"),
        "2:15",
        "mw",
    );
}

/// The crypto-like archetype curtails at the tariff's scarcity prices: its draw in July and
/// August from 15 to 21 h falls to its idle floor, well under its usual draw.
#[test]
fn the_crypto_like_archetype_curtails_at_high_prices() {
    let path = repo("runs/portfolio/crypto-austin.toml");
    let mw = engine_hours(&path, Some(301), 0, M_FACILITY);
    // Hour h of 2026 (from 1 January, -06:00): July-August is days 181-242.
    let (mut scarce, mut other) = (Vec::new(), Vec::new());
    for (h, v) in mw.iter().enumerate() {
        let (day, hour) = (h / 24, h % 24);
        if (181..243).contains(&day) && (15..21).contains(&hour) {
            scarce.push(*v);
        } else {
            other.push(*v);
        }
    }
    other.sort_by(f64::total_cmp);
    let usual = percentile_sorted(&other, 0.5);
    let worst = scarce.iter().copied().fold(0.0, f64::max);
    assert!(
        worst < 0.35 * usual,
        "scarcity hours up to {worst} MW vs usual {usual} MW"
    );
}
