//! Phased build-out and hardware refresh: groups with an online date and a commissioning ramp
//! draw nothing before it, ramp linearly, write `installed_it_mw`, and jobs wait for online
//! capacity; at a refresh the old hardware goes out of service and the new ramps back over the
//! downtime, with the new rack's power, capacity, cooling and nameplate from then on.

use dcload::model::library::CoolingKind;
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
            assert_eq!(at_hour(&sc, r, h, id), 0.0, "hour {h} metric {id}");
        }
    }
    for h in march_h..sc.horizon_hours as usize {
        let it = at_hour(&sc, r, h, M_IT_TOTAL);
        assert!((it / peak_mw - 1.0).abs() < 1e-5, "hour {h}: IT {it} MW");
        assert!((at_hour(&sc, r, h, M_INSTALLED) / peak_mw - 1.0).abs() < 1e-5);
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
    let (_f, out) = run_quiet(MARCH, &[]);
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
        let got = at_hour(&sc, r, h, M_INSTALLED);
        assert!((got - want).abs() < 1e-7, "hour {h}: {got} MW, hand {want}");
    }
    for h in 24..264 {
        let got = at_hour(&sc, r, h, M_INSTALLED);
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
        let e = resolve_err("b.toml", &bad);
        let line = bad.lines().position(|l| l == field).unwrap() + 1;
        let key = field.split(' ').next().unwrap();
        assert!(e.starts_with(&format!("b.toml:{line}:")), "{e}");
        assert!(e.contains(key), "{e}");
    }
}

#[test]
fn a_group_online_after_the_horizon_is_refused() {
    let text = MARCH.replace("online = \"2026-03-01\"", "online = \"2030-01-01\"");
    let err = refused_at(&text, "online =", "online");
    assert!(err.contains("after the study's end"), "{err}");
}

/// Two racks of `dgx-h100-x4` (8 DGX H100 servers) refreshed on 4 January (hour 72) to two
/// racks of `hgx-b200-x8-liquid` (16 HGX B200 servers) with a 2-day ramp back, at hourly steps.
/// A consumer class asks far more work than either hardware can serve, so the pool runs at
/// full load throughout.
///
/// Hand figures from the library: DGX H100 = 8 x 700 W (H100-SXM TDP) + 4,600 W host max =
/// 10.2 kW, so the old nameplate is 8 x 10.2 kW = 0.0816 MW (rack budget 42 kW / 4 = 10.5 kW
/// per server: uncapped). HGX B200 = 8 x 1,000 W (B200 TDP) + 6,300 W host max = 14.3 kW, so
/// the new nameplate is 16 x 14.3 kW = 0.2288 MW (rack budget 120 kW / 8 = 15 kW per server:
/// uncapped).
const REFRESH: &str = r#"
name = "refresh"
start = "2026-01-01"
horizon_hours = 240
step_s = 3600
trials = 1
[[site.group]]
name = "gpu"
rack = "dgx-h100-x4"
count = 2
refresh = { date = "2026-01-04", rack = "hgx-b200-x8-liquid", downtime_days = 2 }
[[consumer]]
name = "chat"
pool = "gpu"
requests_per_day = 1.0e9
acc_s_per_request = 1.0
[facility]
kind = "fixed"
pue = 1.2
"#;

const OLD_MW: f64 = 0.0816;
const NEW_MW: f64 = 0.2288;

fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-6 * want.abs().max(1e-3),
        "{what}: {got} MW, hand {want} MW"
    );
}

/// Before the refresh the old hardware runs at its nameplate; at the refresh hour IT and
/// installed capacity drop to 0 and ramp linearly back over the 48 h downtime to the new
/// nameplate, which the group then draws at full load: hour 72: 0; 84: a quarter; 96: half;
/// 108: three quarters; 120 on: 0.2288 MW. Facility is 1.2 x IT throughout.
#[test]
fn refresh_to_a_bigger_rack_ramps_back_to_the_new_nameplate() {
    let sc = scenario(REFRESH);
    assert!(sc.metric_ids.contains(&M_INSTALLED));
    // The old and new hardware are never in service together: the installed peak is the new
    // nameplate, not the sum; the new phase is liquid-cooled as its rack.
    close(sc.fleet.peak_w() / 1e6, NEW_MW, "installed peak");
    let g = &sc.fleet.groups;
    assert_eq!(g.len(), 2);
    assert_eq!(
        (g[0].cooling, g[1].cooling),
        (CoolingKind::Air, CoolingKind::Liquid)
    );
    assert_eq!(g[1].pool, g[0].pool);
    let r = &trials(&sc)[0];
    for h in 0..sc.horizon_hours as usize {
        let share = if h < 72 {
            None
        } else {
            Some(((h - 72) as f64 / 48.0).min(1.0))
        };
        let want = share.map_or(OLD_MW, |s| s * NEW_MW);
        close(
            at_hour(&sc, r, h, M_INSTALLED),
            want,
            &format!("installed, hour {h}"),
        );
        close(
            at_hour(&sc, r, h, M_IT_TOTAL),
            want,
            &format!("IT, hour {h}"),
        );
        close(
            at_hour(&sc, r, h, M_FACILITY),
            1.2 * want,
            &format!("facility, hour {h}"),
        );
    }
    for (h, want) in [
        (71, OLD_MW),
        (72, 0.0),
        (84, 0.0572),
        (96, 0.1144),
        (108, 0.1716),
        (120, NEW_MW),
        (239, NEW_MW),
    ] {
        close(
            at_hour(&sc, r, h, M_IT_TOTAL),
            want,
            &format!("hand, hour {h}"),
        );
    }
}

/// Without downtime the nameplate steps from old to new at the stated hour (5-minute steps:
/// hour 71 is all old hardware, hour 72 all new); the same refresh given as a list of tables
/// (`[[site.group.refresh]]`) resolves the same; a second refresh re-installing the same type
/// at half the count halves the nameplate from its date.
#[test]
fn refresh_without_downtime_steps_at_the_stated_hour() {
    let text = REFRESH
        .replace("step_s = 3600", "step_s = 300")
        .replace("downtime_days = 2", "downtime_days = 0");
    let sc = scenario(&text);
    let r = &trials(&sc)[0];
    close(at_hour(&sc, r, 71, M_INSTALLED), OLD_MW, "hour 71");
    close(at_hour(&sc, r, 72, M_INSTALLED), NEW_MW, "hour 72");
    close(at_hour(&sc, r, 72, M_IT_TOTAL), NEW_MW, "IT hour 72");

    let listed = REFRESH.replace(
        "refresh = { date = \"2026-01-04\", rack = \"hgx-b200-x8-liquid\", downtime_days = 2 }",
        "[[site.group.refresh]]\ndate = \"2026-01-04\"\nrack = \"hgx-b200-x8-liquid\"\ndowntime_days = 2\n\
         [[site.group.refresh]]\ndate = \"2026-01-08\"\ncount = 1",
    );
    let sc2 = scenario(&listed);
    assert_eq!(sc2.fleet.groups.len(), 3);
    let r2 = &trials(&sc2)[0];
    let base = scenario(REFRESH);
    let rb = &trials(&base)[0];
    for h in [0, 71, 72, 100, 167] {
        close(
            at_hour(&sc2, r2, h, M_INSTALLED),
            at_hour(&base, rb, h, M_INSTALLED),
            &format!("listed, hour {h}"),
        );
    }
    // 8 January is hour 168: the same B200 rack type, one rack: 8 x 14.3 kW.
    close(
        at_hour(&sc2, r2, 168, M_INSTALLED),
        NEW_MW / 2.0,
        "hour 168",
    );
    close(
        at_hour(&sc2, r2, 200, M_IT_TOTAL),
        NEW_MW / 2.0,
        "IT hour 200",
    );
    assert_eq!(sc2.fleet.groups[2].cooling, CoolingKind::Liquid);
}

/// Bad refreshes: an unknown rack (with a did-you-mean), a date before the group's online date,
/// a date past the horizon, a negative downtime and a zero count are errors naming the file,
/// the line and the field.
#[test]
fn bad_refresh_names_file_line_field() {
    let good =
        "refresh = { date = \"2026-01-04\", rack = \"hgx-b200-x8-liquid\", downtime_days = 2 }";
    for (bad, field, want) in [
        (
            "refresh = { date = \"2026-01-04\", rack = \"hgx-b200-x8-liqiud\", downtime_days = 2 }",
            "rack",
            "did you mean \"hgx-b200-x8-liquid\"",
        ),
        (
            "online = \"2026-01-05\"\nrefresh = { date = \"2026-01-04\", rack = \"hgx-b200-x8-liquid\" }",
            "date",
            "after the group's online date (2026-01-05T00:00:00+00:00)",
        ),
        (
            "refresh = { date = \"2026-02-01\", rack = \"hgx-b200-x8-liquid\" }",
            "date",
            "before the horizon's end (2026-01-11T00:00:00+00:00)",
        ),
        (
            "refresh = { date = \"4 Jan\", rack = \"hgx-b200-x8-liquid\" }",
            "date",
            "expected a refresh date like",
        ),
        (
            "refresh = { date = \"2026-01-04\", rack = \"hgx-b200-x8-liquid\", downtime_days = -3 }",
            "downtime_days",
            "expected a number of days from 0 to 36500",
        ),
        (
            "refresh = { date = \"2026-01-04\", count = 0 }",
            "count",
            "expected a whole number of racks",
        ),
    ] {
        let text = REFRESH.replace(good, bad);
        let e = resolve_err("b.toml", &text);
        let line = line_of(&text, "refresh = ");
        assert!(e.starts_with(&format!("b.toml:{line}:")), "{e}");
        assert!(e.contains(field), "{e}");
        assert!(e.contains(want), "{e}");
    }
}

/// Pool "early" serves a small class from the start; pool "late" (one DGX H100, 8
/// accelerators) comes online on 1 March; its class asks for far
/// more than one server serves (1e8 requests a day), its twin starts on 5 March and the
/// enclave's mission with its pool. Study: 1 February to 13 March, 5-minute steps.
const LATE_POOL: &str = r#"
name = "late-pool"
start = "2027-02-01"
horizon_hours = 984   # 28 days of February + 13 of March
step_s = 300
trials = 2
[[site.group]]
name = "early"
server = "DGX-H100"
count = 2
[[site.group]]
name = "late"
server = "DGX-H100"
count = 1
online = "2027-03-01"
[[site.group]]
name = "enclave"
server = "DGX-H100"
count = 1
online = "2027-03-01"
[[consumer]]
name = "chat"
preset = "chat"
pool = "late"
requests_per_day = 1.0e8
[[consumer]]
name = "search"
preset = "chat"
pool = "early"
requests_per_day = 1.0e5
[[twin]]
name = "line"
pool = "late"
allocation = 0.25
base_utilisation = 0.5
online = "2027-03-05"
[[defense]]
name = "watch"
pool = "enclave"
accelerators = 4
utilisation = 0.5
[facility]
kind = "fixed"
pue = 1.2
"#;

/// Workloads start with their pool (issue 22, item 2), on both engines: before 1 March the
/// class has no arrivals and no drops (its requests are not counted as dropped against a pool
/// with no capacity), the mission draws nothing, and the twin nothing before its own 5 March;
/// the class's arrivals are those of its 13 days (1e8 a day), not of the 41; what broke names
/// the saturated pool from 1 March on, never before.
#[test]
fn workloads_start_with_their_pool_and_draw_nothing_before() {
    use dcload::model::fleet::Sector;
    use dcload::model::metrics::{M_DROPPED, M_SERVED};
    for engine in ["reference", "blocks"] {
        let sc = scenario(&format!("engine = \"{engine}\"\n{LATE_POOL}"));
        assert_eq!(
            sc.consumers[0].online_s,
            28 * 86_400,
            "default: the pool's date"
        );
        assert_eq!(sc.twins[0].online_s, 32 * 86_400);
        assert_eq!(sc.defenses[0].online_s, 28 * 86_400);
        let r = trials(&sc);
        let (march, twin_on) = (28 * 24, 32 * 24);
        for t in &r {
            for h in 0..march {
                for id in [M_DROPPED, Sector::Defense as usize] {
                    assert_eq!(
                        at_hour(&sc, t, h, id),
                        0.0,
                        "{engine}: hour {h} metric {id}"
                    );
                }
            }
            for h in 0..twin_on {
                let twin = at_hour(&sc, t, h, Sector::Industrial as usize);
                assert_eq!(twin, 0.0, "{engine}: hour {h} twin");
            }
            assert!(at_hour(&sc, t, march + 1, Sector::Defense as usize) > 0.0);
            assert!(at_hour(&sc, t, twin_on + 1, Sector::Industrial as usize) > 0.0);
            // Served before March: the early class's alone (about 1e5 a day, none dropped).
            let before: f64 = (0..march).map(|h| at_hour(&sc, t, h, M_SERVED)).sum();
            let early = t.summary.classes[1].served as f64;
            assert!(
                before <= early && before > 0.5e5 * 28.0,
                "{engine}: {before}"
            );
            let c = &t.summary.classes[0];
            let want = 1.0e8 * 13.0;
            assert!(
                (c.arrived as f64 / want - 1.0).abs() < 0.2,
                "{engine}: arrived {} vs ~{want} in 13 days",
                c.arrived
            );
            assert!(c.dropped > 0, "{engine}: one server cannot serve 1e8 a day");
            assert!(t.summary.drop_first_at_s >= (28 * 86_400) as f64);
        }
        let lines = dcload::report::what_broke::trouble_lines(&sc, &r);
        let late = lines
            .iter()
            .find(|l| l.contains("pool \"late\""))
            .unwrap_or_else(|| panic!("{engine}: {lines:?}"));
        assert!(late.contains("first 2027-03-01"), "{engine}: {late}");
        assert!(lines.iter().all(|l| !l.contains("2027-02-")), "{lines:?}");
    }
}

/// An `online` before the pool comes online is refused at its line (the class would meet no
/// capacity), as is one past the horizon or not a date.
#[test]
fn a_workload_online_before_its_pool_or_past_the_end_is_refused() {
    let with = |date: &str| {
        edit(
            LATE_POOL,
            &[(
                "requests_per_day = 1.0e8\n",
                &format!("requests_per_day = 1.0e8\nonline = \"{date}\"\n"),
            )],
        )
    };
    let text = with("2027-02-10");
    let e = refused_at(&text, "online = \"2027-02-10\"", "online");
    assert_says(
        &e,
        &[
            "before pool \"late\" comes online (2027-03-01",
            "leave `online` out",
        ],
    );
    let text = with("2027-04-01");
    let e = refused_at(&text, "online = \"2027-04-01\"", "online");
    assert_says(&e, &["after the study's end"]);
    let text = with("March");
    refused_at(&text, "online = \"March\"", "online");
}

/// A pool with a commissioning ramp has no capacity at its online instant: a class with no
/// queue drops its first step's requests there, and what broke says the pool was not yet
/// online, not saturated.
#[test]
fn drops_at_a_pool_with_no_capacity_yet_say_not_yet_online() {
    let text = edit(
        LATE_POOL,
        &[
            (
                "count = 1\nonline = \"2027-03-01\"\n[[site.group]]\nname = \"enclave\"",
                "count = 1\nonline = \"2027-03-01\"\ncommissioning_days = 10\n[[site.group]]\nname = \"enclave\"",
            ),
            (
                "requests_per_day = 1.0e8\n",
                "requests_per_day = 1.0e8\nmax_queue_s = 0\n",
            ),
        ],
    );
    let sc = scenario(&text);
    let r = trials(&sc);
    let lines = dcload::report::what_broke::trouble_lines(&sc, &r);
    let late = lines
        .iter()
        .find(|l| l.contains("pool \"late\""))
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(
        late.contains(
            "pool \"late\" not yet online (no capacity), requests dropped: first 2027-03-01T00:00"
        ),
        "{late}"
    );
    assert!(!late.contains("saturated"), "{late}");
}
