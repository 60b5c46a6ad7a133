//! Phased build-out (issue 12): groups with an online date and a commissioning ramp draw
//! nothing before it, ramp linearly, write `installed_it_mw`, and jobs wait for online capacity.

use dcload::model::metrics::{M_FACILITY, M_IDLE_UNALLOC, M_INSTALLED, M_IT_TOTAL};

use crate::common::*;

/// One DGX H100 group (10 servers, 80 accelerators) online on 1 March, running one job on all
/// of its accelerators from day 0.
const MARCH: &str = r#"
name = "march"
start = "2026-02-01"
horizon_hours = 792   # 28 days of February + 5 of March
step_s = 300
trials = 1
[[site.group]]
name = "new"
server = "DGX-H100"
count = 10
online = "2026-03-01"
[[training]]
name = "run"
pool = "new"
accelerators = 80
utilisation = 1.0
duration_days = 60
start_days = [0]
[facility]
kind = "fixed"
pue = 1.2
"#;

fn value(
    sc: &dcload::scenario::Scenario,
    r: &dcload::sim::TrialResult,
    h: usize,
    id: usize,
) -> f64 {
    let n = sc.metric_ids.len();
    let k = sc
        .metric_ids
        .iter()
        .position(|&i| i == id)
        .expect("metric written");
    f64::from(r.hourly[h * n + k])
}

/// Before 1 March the group has no servers: IT (sectors and unheld idle), facility and installed
/// capacity are zero in every hour, in the meter's rows and in hourly.csv; the job waits and
/// starts on 1 March; after it the group draws its full power (job at utilisation 1: the
/// nameplate, 10 x 10.2 kW = 0.102 MW from the library's DGX H100).
#[test]
fn group_online_on_1_march_draws_nothing_before_it() {
    let sc = scenario(MARCH);
    let r = &trials(&sc)[0];
    let march_h = 28 * 24;
    let peak_mw = sc.fleet.peak_w() / 1e6;
    assert!((peak_mw - 0.102).abs() < 1e-9, "peak {peak_mw}");
    for h in 0..march_h {
        for id in [M_IT_TOTAL, M_IDLE_UNALLOC, M_FACILITY, M_INSTALLED] {
            assert_eq!(value(&sc, r, h, id), 0.0, "hour {h} metric {id}");
        }
    }
    for h in march_h..sc.horizon_hours as usize {
        let it = value(&sc, r, h, M_IT_TOTAL);
        assert!((it / peak_mw - 1.0).abs() < 1e-5, "hour {h}: IT {it} MW");
        assert!((value(&sc, r, h, M_INSTALLED) / peak_mw - 1.0).abs() < 1e-5);
    }
    let s = &r.summary;
    assert_eq!(s.jobs.len(), 1);
    assert_eq!(
        s.jobs[0].start_s,
        28 * 86_400,
        "the job waits for the group"
    );
    // The meter: IT energy is exactly the five days of March at full power.
    let hand = peak_mw * 5.0 * 24.0;
    assert!(
        (s.it_energy_mwh / hand - 1.0).abs() < 1e-6,
        "{} vs {hand}",
        s.it_energy_mwh
    );
    // The same through the binary's hourly.csv.
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("march.toml");
    std::fs::write(&run, MARCH).unwrap();
    let out = dir.path().join("o");
    run_ok(&[
        "run",
        run.to_str().unwrap(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let (hd, rows) = read_csv(&out.join("hourly.csv"));
    assert_eq!(rows.len(), 792);
    let (it, fac, inst) = (
        col(&hd, "it_total_mw_mean"),
        col(&hd, "facility_mw_mean"),
        col(&hd, "installed_it_mw_mean"),
    );
    // Bands: each metric is a mean and three percentiles.
    assert_eq!(
        inst + 4,
        col(&hd, "it_idle_unallocated_mw_mean"),
        "unheld idle stays last"
    );
    for (h, row) in rows.iter().enumerate() {
        let v = |c: usize| row[c].parse::<f64>().unwrap();
        if h < march_h {
            assert_eq!((v(it), v(fac), v(inst)), (0.0, 0.0, 0.0), "hour {h}");
        } else {
            assert!((v(it) - 0.102).abs() < 1e-4, "hour {h}: {}", v(it));
            assert!((v(fac) - 0.1224).abs() < 1e-4, "hour {h}: {}", v(fac));
        }
    }
}

/// A 10-day commissioning ramp from 2 January at hourly steps: installed capacity at hour h is
/// (h - 24) / 240 of the nameplate (0.102 MW), 0 before and 0.102 MW after. Hand figures:
/// hour 24: 0; hour 84: 0.0255; hour 144: 0.051; hour 204: 0.0765; hour 264 on: 0.102.
/// A study without a build-out does not write the column.
#[test]
fn commissioning_ramp_raises_installed_capacity_linearly() {
    let text = MARCH
        .replace("start = \"2026-02-01\"", "start = \"2026-01-01\"")
        .replace(
            "horizon_hours = 792   # 28 days of February + 5 of March",
            "horizon_hours = 336",
        )
        .replace("step_s = 300", "step_s = 3600")
        .replace(
            "online = \"2026-03-01\"",
            "online = \"2026-01-02\"\ncommissioning_days = 10",
        );
    let sc = scenario(&text);
    let r = &trials(&sc)[0];
    for (h, want) in [
        (0, 0.0),
        (23, 0.0),
        (24, 0.0),
        (84, 0.0255),
        (144, 0.051),
        (204, 0.0765),
        (264, 0.102),
        (300, 0.102),
    ] {
        let got = value(&sc, r, h, M_INSTALLED);
        assert!((got - want).abs() < 1e-7, "hour {h}: {got} MW, hand {want}");
    }
    for h in 24..264 {
        let got = value(&sc, r, h, M_INSTALLED);
        assert!(
            (got - 0.102 * (h - 24) as f64 / 240.0).abs() < 1e-7,
            "hour {h}"
        );
    }
    let plain = scenario(&text.replace("online = \"2026-01-02\"\ncommissioning_days = 10", ""));
    assert!(!plain.metric_ids.contains(&M_INSTALLED));
    assert!(sc.metric_ids.contains(&M_INSTALLED));
}

/// A 64-accelerator job on a pool of 40 online accelerators plus 40 online on 3 January with a
/// 4-day ramp waits until 40 + 40 s >= 64, s = 0.6: 2 + 0.6 x 4 = 4.4 days (380,160 s), the
/// first 60 s step at or after it. Without the ramp it starts on 3 January.
#[test]
fn job_too_big_for_online_capacity_waits() {
    let text = r#"
start = "2026-01-01"
horizon_hours = 240
step_s = 60
trials = 1
[[site.group]]
name = "a"
server = "DGX-H100"
count = 5
pool = "p"
[[site.group]]
name = "b"
server = "DGX-H100"
count = 5
pool = "p"
online = "2026-01-03"
commissioning_days = 4
[[training]]
name = "run"
pool = "p"
accelerators = 64
duration_days = 20
start_days = [0]
[facility]
kind = "fixed"
pue = 1.2
"#;
    let sc = scenario(text);
    let s = &trials(&sc)[0].summary;
    assert_eq!(s.jobs.len(), 1);
    let t = s.jobs[0].start_s;
    assert!((380_160..=380_220).contains(&t), "start {t}");
    let at_once = scenario(&text.replace("commissioning_days = 4", ""));
    assert_eq!(trials(&at_once)[0].summary.jobs[0].start_s, 2 * 86_400);
}

/// A bad online date or a negative ramp: an error naming the file, the line and the field.
#[test]
fn bad_online_date_or_ramp_names_file_line_field() {
    let lib = dcload::model::library::Library::builtin().unwrap();
    for (bad, field) in [
        ("online = \"2026-03-01\"", "online = \"2026-13-01\""),
        ("online = \"2026-03-01\"", "online = \"1 March\""),
        (
            "online = \"2026-03-01\"",
            "online = \"2026-03-01\"\ncommissioning_days = -3",
        ),
    ]
    .map(|(a, b)| (MARCH.replace(a, b), b.lines().last().unwrap().to_string()))
    {
        let e = dcload::scenario::Scenario::from_source(
            &dcload::base::error::Source::new("b.toml", &bad),
            "b",
            std::path::Path::new("."),
            &lib,
        )
        .expect_err("an error")
        .to_string();
        let line = bad.lines().position(|l| l == field).unwrap() + 1;
        let key = field.split(' ').next().unwrap();
        assert!(e.starts_with(&format!("b.toml:{line}:")), "{e}");
        assert!(e.contains(key), "{e}");
    }
}
