//! Hardware refresh (issue 12): a group's hardware goes out of service at the refresh date, the
//! new hardware ramps back over the downtime, and from then on the group's power, capacity,
//! cooling and nameplate (`installed_it_mw`) are the new rack's.

use dcload::model::library::CoolingKind;
use dcload::model::metrics::{M_FACILITY, M_INSTALLED, M_IT_TOTAL};

use crate::common::*;

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
            value(&sc, r, h, M_INSTALLED),
            want,
            &format!("installed, hour {h}"),
        );
        close(value(&sc, r, h, M_IT_TOTAL), want, &format!("IT, hour {h}"));
        close(
            value(&sc, r, h, M_FACILITY),
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
            value(&sc, r, h, M_IT_TOTAL),
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
    close(value(&sc, r, 71, M_INSTALLED), OLD_MW, "hour 71");
    close(value(&sc, r, 72, M_INSTALLED), NEW_MW, "hour 72");
    close(value(&sc, r, 72, M_IT_TOTAL), NEW_MW, "IT hour 72");

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
            value(&sc2, r2, h, M_INSTALLED),
            value(&base, rb, h, M_INSTALLED),
            &format!("listed, hour {h}"),
        );
    }
    // 8 January is hour 168: the same B200 rack type, one rack: 8 x 14.3 kW.
    close(value(&sc2, r2, 168, M_INSTALLED), NEW_MW / 2.0, "hour 168");
    close(
        value(&sc2, r2, 200, M_IT_TOTAL),
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
    let lib = dcload::model::library::Library::builtin().unwrap();
    let line_of = |text: &str, needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .expect("line in text")
            + 1
    };
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
        let e = dcload::scenario::Scenario::from_source(
            &dcload::base::error::Source::new("b.toml", &text),
            "b",
            std::path::Path::new("."),
            &lib,
        )
        .expect_err("an error")
        .to_string();
        let line = line_of(&text, "refresh = ");
        assert!(e.starts_with(&format!("b.toml:{line}:")), "{e}");
        assert!(e.contains(field), "{e}");
        assert!(e.contains(want), "{e}");
    }
}
