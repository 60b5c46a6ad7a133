//! Facility physics: direction (seasons, climates, designs), calibration against published PUE
//! and water figures, heat waves on undersized and ample plants, cooling-unit failures,
//! recorded weather (EPW) and the site's own clock.

use dcload::scenario::Scenario;
use dcload::sim::{M_DRYBULB, M_FACILITY, M_IT_TOTAL, M_WETBULB, TrialResult};

use crate::common::*;

/// A preset from runs/ with edits applied, at 5-minute steps (where it states one-minute steps)
/// and two trials (where it states 20) for speed.
fn study(file: &str, edits: &[(&str, &str)]) -> Scenario {
    // Presets state their uncertain inputs as distributions: the physics checks run at the
    // nominal values (which are the figures these tests were written against).
    let text = without_distributions(&preset(file, &[]))
        .replace("step_s = 60 ", "step_s = 300 ")
        .replace("step_s = 60\n", "step_s = 300\n")
        .replace("trials = 20", "trials = 2");
    scenario(&edit(&text, edits))
}

/// The hybrid campus (runs/campus-hybrid-ashburn.toml) on a recorded weather file `epw`
/// beside it, at 15-minute steps, one trial, with `edits`.
fn on_epw(epw: &str, edits: &[(&str, &str)]) -> RunFile {
    let text = preset(
        "runs/campus-hybrid-ashburn.toml",
        &[
            ("climate = \"ashburn\"", "epw = \"test.epw\""),
            ("step_s = 60 ", "step_s = 900 "),
            ("trials = 20", "trials = 1"),
        ],
    );
    let f = RunFile::new(&edit(&text, edits));
    f.beside("test.epw", epw);
    f
}

/// Loads a run file as `dcload run` does (its data files beside it).
fn load(f: &RunFile) -> Scenario {
    let lib = dcload::model::library::Library::builtin().unwrap();
    Scenario::load(f.path(), &lib).unwrap_or_else(|e| panic!("{e}"))
}

fn annual_pue(r: &[TrialResult]) -> f64 {
    r.iter().map(|t| t.summary.pue).sum::<f64>() / r.len() as f64
}

/// Energy-weighted PUE over the hours of the given months (0 = January).
fn months_pue(sc: &Scenario, r: &[TrialResult], months: &[usize]) -> f64 {
    let nm = sc.metrics().len();
    let (mut fac, mut it) = (0.0, 0.0);
    for t in r {
        for h in 0..sc.horizon_hours as usize {
            let m = sc
                .calendar
                .month0(dcload::base::time::SimTime::from_hours(h as u64));
            if months.contains(&m) {
                fac += f64::from(t.hourly[h * nm + M_FACILITY]);
                it += f64::from(t.hourly[h * nm + M_IT_TOTAL]);
            }
        }
    }
    fac / it
}

#[test]
fn summer_costs_more_than_winter_and_phoenix_more_than_lulea() {
    let ash = study("runs/campus-hybrid-ashburn.toml", &[]);
    let r = trials(&ash);
    let summer = months_pue(&ash, &r, &[5, 6, 7]);
    let winter = months_pue(&ash, &r, &[0, 1, 11]);
    assert!(
        summer > winter + 0.01,
        "summer {summer:.3} vs winter {winter:.3}"
    );
    // Same design (the hybrid campus) in two climates.
    let phx = study(
        "runs/campus-hybrid-ashburn.toml",
        &[("climate = \"ashburn\"", "climate = \"phoenix\"")],
    );
    let lul = study(
        "runs/campus-hybrid-ashburn.toml",
        &[("climate = \"ashburn\"", "climate = \"lulea\"")],
    );
    let (rp, rl) = (trials(&phx), trials(&lul));
    let (p, l) = (annual_pue(&rp), annual_pue(&rl));
    assert!(p > l + 0.01, "Phoenix {p:.3} vs Lulea {l:.3}");
    // Weather really differs: Phoenix is hotter in the hourly outdoor column.
    let mean_db = |sc: &Scenario, r: &[TrialResult]| {
        mean_over(sc, &r[0], M_DRYBULB, 0..sc.horizon_hours as usize)
    };
    assert!(mean_db(&phx, &rp) > mean_db(&lul, &rl) + 15.0);
}

/// The all-air campus with an economiser plant and a hyperscale electrical chain, and the
/// liquid-cooled campus, each moved to `climate`.
fn air_and_liquid(climate: &str) -> (Scenario, Scenario) {
    let air = study(
        "runs/campus-air-phoenix.toml",
        &[
            (
                "plants = { air = \"air-chiller-legacy\" }",
                "plants = { air = \"air-chiller-economiser\" }",
            ),
            (
                "electrical = \"enterprise-2n\"",
                "electrical = \"hyperscale\"",
            ),
            ("climate = \"phoenix\"", &format!("climate = \"{climate}\"")),
        ],
    );
    let liquid = study(
        "runs/campus-liquid-lulea.toml",
        &[("climate = \"lulea\"", &format!("climate = \"{climate}\""))],
    );
    (air, liquid)
}

#[test]
fn liquid_cooling_beats_air_in_the_same_climate() {
    let (air, liquid) = air_and_liquid("phoenix");
    let (ra, rl) = (trials(&air), trials(&liquid));
    let (a, l) = (annual_pue(&ra), annual_pue(&rl));
    // In the desert the evaporative tower plant (calibrated on Google's measured campuses)
    // matches the dry liquid plant on PUE, but only by evaporating water: the liquid plant is
    // within 0.01 of it and uses well under half its on-site water.
    assert!(l < a + 0.01, "liquid {l:.3} vs air {a:.3} in Phoenix");
    let (wa, wl) = (mean_wue(&ra), mean_wue(&rl));
    assert!(
        wl < 0.5 * wa,
        "liquid WUE {wl:.3} vs air {wa:.3} in Phoenix"
    );
    // In a temperate climate the liquid plant is the more efficient one outright.
    let (air_ash, liquid_ash) = air_and_liquid("ashburn");
    let (a, l) = (
        annual_pue(&trials(&air_ash)),
        annual_pue(&trials(&liquid_ash)),
    );
    assert!(l < a, "liquid {l:.3} should be below air {a:.3} in Ashburn");
}

/// The preset's annual PUE (its trials' mean) lies in `lo..=hi`.
fn assert_annual_pue_within(file: &str, lo: f64, hi: f64) {
    let p = annual_pue(&trials(&study(file, &[])));
    assert!(
        (lo..=hi).contains(&p),
        "{file}: annual PUE {p:.3}, want {lo}-{hi}"
    );
}

/// Google's fleet-wide trailing-twelve-month PUE is ~1.09-1.10 (Google Data Centers
/// efficiency disclosures, 2023-2024): a liquid-cooled hyperscale design in a cool climate
/// must land in 1.06-1.15.
#[test]
fn calibration_liquid_hyperscale_cool_climate_google() {
    assert_annual_pue_within("runs/campus-liquid-lulea.toml", 1.06, 1.15);
}

/// Uptime Institute Global Data Center Survey (2023, 2024): average annual PUE ~1.56-1.58.
/// An air-cooled enterprise design (legacy chillers, 2N UPS) in a warm climate must land in
/// 1.45-1.70.
#[test]
fn calibration_air_enterprise_warm_climate_uptime() {
    assert_annual_pue_within("runs/campus-air-phoenix.toml", 1.45, 1.70);
}

#[test]
fn dry_coolers_use_no_onsite_water_but_towers_do() {
    // The air-cooled legacy design rejects heat with dry (air-cooled) chillers.
    let dry = study("runs/campus-air-phoenix.toml", &[]);
    for t in trials(&dry) {
        assert_eq!(t.summary.water_onsite_m3, 0.0);
        assert!(
            t.summary.water_offsite_m3 > 0.0,
            "grid water is still counted"
        );
    }
    // The hybrid campus's air halls reject heat through evaporative cooling towers.
    let tower = study("runs/campus-hybrid-ashburn.toml", &[]);
    for t in trials(&tower) {
        assert!(
            t.summary.water_onsite_m3 > 0.0,
            "cooling towers evaporate water"
        );
        assert!(
            t.summary.wue_l_per_kwh > 0.1 && t.summary.wue_l_per_kwh < 3.0,
            "WUE {}",
            t.summary.wue_l_per_kwh
        );
    }
}

#[test]
fn heat_wave_throttles_an_undersized_plant_and_not_an_ample_one() {
    let under = study("runs/heatwave-stress.toml", &[]);
    let r = trials(&under);
    for t in &r {
        assert!(
            t.summary.throttled_acc_h > 1000.0,
            "throttled {}",
            t.summary.throttled_acc_h
        );
        assert!(
            t.summary.max_inlet_c > 40.0,
            "coolant {} should pass W40's 40 C",
            t.summary.max_inlet_c
        );
    }
    // The throttling shows in the hourly output during the heat wave (10-16 July).
    let nm = under.metrics().len();
    let m = dcload::sim::M_THROTTLED;
    let wave: f64 = (190 * 24..197 * 24)
        .map(|h| f64::from(r[0].hourly[h * nm + m]))
        .sum();
    assert!(wave > 0.0, "no throttling during the heat wave");
    // An ample plant rides the heat wave out in most weather years; the synthetic weather's
    // own extremes can still pass its design point in a few (about 1 in 10 with either random
    // generator this project has used), so the claim is made over ten trials, not two.
    let ample = study(
        "runs/heatwave-stress.toml",
        &[
            ("design_margin = 1.0 ", "design_margin = 1.6 "),
            ("trials = 2", "trials = 10"),
        ],
    );
    let ra = trials(&ample);
    let clean = ra
        .iter()
        .filter(|t| t.summary.throttled_acc_h == 0.0 && t.summary.max_inlet_c <= 40.0)
        .count();
    assert!(clean >= 7, "only {clean} of 10 ample trials rode it out");
    let under_mean = r.iter().map(|t| t.summary.throttled_acc_h).sum::<f64>() / r.len() as f64;
    let ample_mean = ra.iter().map(|t| t.summary.throttled_acc_h).sum::<f64>() / ra.len() as f64;
    assert!(
        ample_mean < 0.1 * under_mean,
        "ample {ample_mean} acc-h vs undersized {under_mean}"
    );
    for (t, u) in ra.iter().zip(&r) {
        // Lost work: the undersized hall drops more requests than the ample one.
        assert!(u.summary.requests_dropped > t.summary.requests_dropped);
    }
}

/// A small EPW written by the test: 8 header lines and 8760 rows of a known temperature
/// pattern. dcload runs on it, and a malformed copy fails naming the line.
#[test]
fn epw_weather_file_and_a_malformed_one() {
    // 5 C in January rising 2 C a month; 60 % RH.
    let epw = epw_file("40.0,-75.0,-5.0", |m, _| {
        let t = 5.0 + 2.0 * m as f64;
        format!("{t:.1},{:.1}", t - 7.0)
    });
    let f = on_epw(&epw, &[]);
    let sc = load(&f);
    let r = trials(&sc);
    let nm = sc.metrics().len();
    assert_eq!(r[0].hourly[M_DRYBULB], 5.0); // 1 January
    assert_eq!(
        r[0].hourly[(31 + 28 + 31 + 30 + 31 + 30 + 5) * 24 * nm + M_DRYBULB],
        17.0
    ); // 6 July
    // Malformed: a letter in the dry bulb of the 20th data row (line 28).
    let bad: String = epw
        .lines()
        .enumerate()
        .map(|(i, l)| if i == 27 { l.replacen(",5.0,", ",5.x,", 1) } else { l.to_string() } + "\n")
        .collect();
    f.beside("test.epw", &bad);
    assert_says(&f.validate_fails(), &["test.epw:28", "dry bulb"]);
}

/// Cooling units fail (here often, to make the point): with N units a failure cuts the plant's
/// capacity and the hall throttles; N+1 and 2N ride through most failures.
#[test]
fn cooling_redundancy_decides_what_a_unit_failure_does() {
    let run = |red: &str| {
        study(
            "runs/heatwave-stress.toml",
            &[
                ("design_margin = 1.0 ", "design_margin = 1.05 "),
                (
                    "electrical = \"hyperscale\"",
                    &format!(
                        "electrical = \"hyperscale\"\ncooling_redundancy = \"{red}\"\ncooling_units = 4\n\
                         cooling_unit_failures_per_year = 20\ncooling_unit_repair_hours = 72"
                    ),
                ),
            ],
        )
    };
    let short = |sc: &Scenario| {
        let r = trials(sc);
        let s: f64 = r.iter().map(|t| t.summary.plant_unit_outage_hours).sum();
        let th: f64 = r.iter().map(|t| t.summary.throttled_acc_h).sum();
        (s, th)
    };
    let (n_short, n_thr) = short(&run("N"));
    let (n1_short, n1_thr) = short(&run("N+1"));
    let (n2_short, n2_thr) = short(&run("2N"));
    assert!(
        n_short > n1_short && n1_short >= n2_short,
        "short hours N {n_short} N+1 {n1_short} 2N {n2_short}"
    );
    assert!(
        n_thr > n1_thr && n1_thr >= n2_thr,
        "throttled N {n_thr} N+1 {n1_thr} 2N {n2_thr}"
    );
}

/// Site clock: the weather follows Lulea's own sun; the study clock (`utc_offset` of
/// the run) only decides how timestamps are written. With the study clock set to several
/// offsets, the mean daily maximum of the hourly outdoor column falls in Lulea's afternoon
/// (the synthetic peak is at 15:00 solar = 14:31 CET).
#[test]
fn lulea_daily_maximum_falls_in_the_local_afternoon_whatever_the_study_clock() {
    for off_h in [-5i64, 0, 1, 9] {
        let off = format!("{}{:02}:00", if off_h < 0 { '-' } else { '+' }, off_h.abs());
        let sc = study(
            "runs/campus-liquid-lulea.toml",
            &[
                (
                    "utc_offset = \"+01:00\"       # the study clock",
                    &format!("utc_offset = \"{off}\"       # the study clock"),
                ),
                ("horizon_hours = 8760", "horizon_hours = 2160"),
            ],
        );
        let r = run_trial_0(&sc);
        let nm = sc.metrics().len();
        let mut sums = [0.0; 24];
        for h in 0..sc.horizon_hours as usize {
            // Lulea civil time (CET, +01:00) of study hour h.
            let local = (h as i64 + 1 - off_h).rem_euclid(24) as usize;
            sums[local] += f64::from(r.hourly[h * nm + M_DRYBULB]);
        }
        let peak = (0..24)
            .max_by(|&a, &b| sums[a].total_cmp(&sums[b]))
            .unwrap();
        assert!(
            (13..=16).contains(&peak),
            "study clock {off}: Lulea's daily maximum at {peak}:00 CET"
        );
    }
}

fn run_trial_0(sc: &Scenario) -> TrialResult {
    dcload::sim::run_trial(sc, 0)
}

/// Plants that respond to the weather: at design_margin 0.9 (heat-rejection plant
/// sized below the installed IT peak at its design outdoor condition) a Dallas hall rides
/// through January, when dry coolers, chillers and free cooling have capacity to spare, and is
/// saturated and throttled in a July heat wave. `plant_saturated_hours` and the heat not
/// removed are > 0 only in the latter.
#[test]
fn undersized_plant_is_saturated_in_a_july_heat_wave_and_not_in_january() {
    for (file, climate_line) in [
        ("runs/heatwave-stress.toml", "climate = \"dallas\""),
        ("runs/default.toml", "climate = \"ashburn\""),
    ] {
        let window = |start: &str| {
            let mut edits = vec![
                ("start = \"2025-01-01\"", start.to_string()),
                ("horizon_hours = 8760", "horizon_hours = 336".to_string()),
                (climate_line, "climate = \"dallas\"".to_string()),
            ];
            if file.contains("heatwave") {
                edits.push(("design_margin = 1.0 ", "design_margin = 0.9 ".to_string()));
            } else {
                edits.push(("design_margin = 1.2", "design_margin = 0.9".to_string()));
                edits.push((
                    "[facility]\n",
                    "[facility]\nheat_wave = { day_of_year = 191, days = 7, amplitude_c = 8.0 }\n"
                        .to_string(),
                ));
            }
            let e: Vec<(&str, &str)> = edits.iter().map(|(a, b)| (*a, b.as_str())).collect();
            let sc = study(file, &e);
            let r = trials(&sc);
            let nm = sc.metrics().len();
            let col = |name: &str| sc.metrics().iter().position(|m| *m == name).unwrap();
            let (hn, sat) = (col("heat_not_removed_mw"), col("plant_saturated_h"));
            for t in &r {
                // The hourly columns add up to the trial's figures.
                let s: f64 = (0..336).map(|h| f64::from(t.hourly[h * nm + sat])).sum();
                let q: f64 = (0..336).map(|h| f64::from(t.hourly[h * nm + hn])).sum();
                assert!((s - t.summary.plant_saturated_hours).abs() < 1e-3 * (1.0 + s));
                assert!((q - t.summary.heat_not_removed_mwh).abs() < 1e-3 * (1.0 + q));
            }
            r
        };
        for t in window("start = \"2025-01-06\"") {
            let s = &t.summary;
            assert_eq!(s.throttled_acc_h, 0.0, "{file}: January throttles");
            assert_eq!(s.plant_saturated_hours, 0.0, "{file}: January saturated");
            assert_eq!(s.heat_not_removed_mwh, 0.0, "{file}");
        }
        if !file.contains("heatwave") {
            // The default campus runs well below its installed peak: only its January is
            // checked (the case issue 9 measured throttling every month).
            continue;
        }
        for t in window("start = \"2025-07-06\"") {
            let s = &t.summary;
            assert!(
                s.plant_saturated_hours > 1.0,
                "{file}: {}",
                s.plant_saturated_hours
            );
            assert!(s.heat_not_removed_mwh > 0.0, "{file}");
            assert!(
                s.throttled_acc_h > 100.0,
                "{file}: throttled {}",
                s.throttled_acc_h
            );
        }
    }
}

/// The all-air campus (runs/campus-air-phoenix.toml) with a hyperscale electrical chain, the
/// given air plant and climate.
fn air_campus(plant: &str, climate: &str) -> Scenario {
    study(
        "runs/campus-air-phoenix.toml",
        &[
            (
                "plants = { air = \"air-chiller-legacy\" }",
                &format!("plants = {{ air = \"{plant}\" }}"),
            ),
            (
                "electrical = \"enterprise-2n\"",
                "electrical = \"rack-battery\"",
            ),
            ("climate = \"phoenix\"", &format!("climate = \"{climate}\"")),
        ],
    )
}

/// Energy-weighted PUE of each calendar month (0 = January).
fn monthly_pue(sc: &Scenario, r: &[TrialResult]) -> [f64; 12] {
    let mut out = [0.0; 12];
    for (m, o) in out.iter_mut().enumerate() {
        *o = months_pue(sc, r, &[m]);
    }
    out
}

fn mean_wue(r: &[TrialResult]) -> f64 {
    r.iter().map(|t| t.summary.wue_l_per_kwh).sum::<f64>() / r.len() as f64
}

/// Water by design and climate. The air-side economiser with direct evaporative
/// assist (Meta's design) evaporates only when the outdoor air is warmer than its 27 C supply:
/// in Dublin almost never (AWS publishes 0.03 L/kWh for its Ireland region, 2024), in Phoenix
/// a good part of the year. The tower plant evaporates all year wherever it is. Figures and
/// sources: models/cooling/air-side-evaporative.toml.
#[test]
fn water_follows_the_design_and_the_climate() {
    let dublin = mean_wue(&trials(&air_campus("air-side-evaporative", "dublin")));
    assert!(dublin < 0.05, "Dublin air-side WUE {dublin:.3} L/kWh");
    let phoenix = mean_wue(&trials(&air_campus("air-side-evaporative", "phoenix")));
    // No operator publishes a Phoenix figure that could be retrieved; the model's physics
    // (supply 27 C, media 85 % effective, 3 cycles) gives ~0.6 L/kWh: asserted above 0.4 and
    // more than ten times Dublin's. See the README for why it is below the 1 L/kWh the issue
    // suggested.
    assert!(
        phoenix > 0.4 && phoenix > 10.0 * dublin.max(0.01),
        "Phoenix {phoenix:.3}"
    );
    let towers = mean_wue(&trials(&air_campus("air-chiller-economiser", "dublin")));
    assert!(towers > 1.0, "towers evaporate all year: {towers:.3}");
    // A hot-dry site on an evaporative tower plant: above 1 L/kWh, and above the same plant in
    // Dublin (more heat rejected by evaporation, fewer economiser hours).
    let hot = mean_wue(&trials(&air_campus("air-chiller-economiser", "phoenix")));
    assert!(
        hot > 1.0 && hot > towers,
        "Phoenix towers {hot:.3} vs Dublin {towers:.3}"
    );
    // Published direct-evaporative air-side figures in dry climates are well below 1 L/kWh
    // (Facebook Prineville 0.22, OCP 2012; AWS N. California 0.51, 2024): the model's Phoenix
    // figure sits between them and the tower plant's.
    assert!(phoenix < hot, "air-side {phoenix:.3} below towers {hot:.3}");
}

/// Issue 23: tower water follows the outdoor air. The tower plant's evaporation comes from the
/// air's enthalpy rise across the tower (EnergyPlus's saturated-exit model; sources in
/// models/cooling/air-chiller-economiser.toml and src/model/facility/physics/water.rs), so a
/// cold, humid site evaporates far less per kWh than a hot, dry one (before, a constant share
/// gave 1.67 L/kWh in Dublin and 1.69 in Phoenix). Bounds from operator figures for
/// evaporative plants in hot climates: AWS Singapore 1.68 L/kWh (2024, evaporative, the hot
/// humid end) and Evolution Data Centres' ~50,000 L per MW-day for water-cooled chillers in a
/// hot tropical climate (2.1 L/kWh, evolutiondatacentres.com, "Reducing data centre
/// environmental impact with waterless cooling"): Singapore's towers lie between them, and
/// Phoenix's hot dry air evaporates at least as much as Singapore's.
#[test]
fn tower_water_follows_the_outdoor_air() {
    let wue = |c: &str| mean_wue(&trials(&air_campus("air-chiller-economiser", c)));
    let (dublin, phoenix, singapore) = (wue("dublin"), wue("phoenix"), wue("singapore"));
    assert!(
        (1.68 - 0.1..=2.1 + 0.1).contains(&singapore),
        "Singapore towers {singapore:.3} L/kWh vs AWS Singapore 1.68 and ~2.1 (tropical towers)"
    );
    assert!(
        phoenix >= singapore && phoenix <= 2.6,
        "Phoenix towers {phoenix:.3} vs Singapore {singapore:.3}"
    );
    assert!(
        dublin < 0.7 * phoenix && dublin < 1.68 - 0.2,
        "Dublin towers {dublin:.3} should be well below Phoenix {phoenix:.3}"
    );
}

/// Issue 23: a Microsoft-like air-side plant (models/cooling/air-side-humidified.toml: 24 C
/// supply, evaporative assist only above 27 C, winter humidification to a 5.5 C dew point)
/// uses water in an Ashburn January, when the Meta-like plant uses none, and lands within
/// Microsoft's published fleet WUE (0.30 L/kWh FY23 to 0.49 in 2021) +/- 0.15.
#[test]
fn air_side_humidifies_in_winter_and_starts_evaporating_where_told() {
    let january_m3 = |plant: &str| {
        let sc = air_campus(plant, "ashburn");
        let r = trials(&sc);
        let k = sc
            .metric_pos(dcload::model::metrics::M_WATER_ON)
            .expect("water column");
        let nm = sc.metric_ids.len();
        let jan: f64 = (0..744).map(|h| f64::from(r[0].hourly[h * nm + k])).sum();
        (jan, mean_wue(&r))
    };
    let (ms_jan, ms_wue) = january_m3("air-side-humidified");
    let (meta_jan, meta_wue) = january_m3("air-side-evaporative");
    assert_eq!(meta_jan, 0.0, "the Meta-like plant does not humidify");
    assert!(
        ms_jan > 0.0,
        "the Microsoft-like plant humidifies in January"
    );
    assert!(
        (0.30 - 0.15..=0.49 + 0.15).contains(&ms_wue),
        "Microsoft-like WUE {ms_wue:.3} vs Microsoft fleet 0.30-0.49 (Meta-like {meta_wue:.3})"
    );
}

/// PUE calibrated on measured data: each plant's monthly PUE on the climate of a
/// campus whose measured PUE is published lies within the published range (the campus's
/// quarterly and trailing-twelve-month values, Google 2025) +/- 0.04, and its annual PUE within
/// the range +/- 0.02. Sources in the plant files; the electrical chain is
/// models/electrical/rack-battery.toml (Google and Meta have no central UPS).
#[test]
fn monthly_pue_within_measured_operator_ranges() {
    // (plant, climate, measured range, campus)
    let cases = [
        (
            "air-side-evaporative",
            "dublin",
            (1.08, 1.08),
            "Google Dublin",
        ),
        (
            "air-chiller-economiser",
            "ashburn",
            (1.07, 1.09),
            "Google Loudoun County",
        ),
        (
            "air-chiller-economiser",
            "dallas",
            (1.08, 1.10),
            "Google Midlothian",
        ),
        (
            "air-chiller-economiser",
            "singapore",
            (1.12, 1.15),
            "Google Singapore",
        ),
    ];
    for (plant, climate, (lo, hi), campus) in cases {
        let sc = air_campus(plant, climate);
        let r = trials(&sc);
        let annual = annual_pue(&r);
        assert!(
            (lo - 0.02..=hi + 0.02).contains(&annual),
            "{plant} in {climate}: annual {annual:.3} vs {campus} {lo}-{hi}"
        );
        for (m, p) in monthly_pue(&sc, &r).iter().enumerate() {
            assert!(
                (lo - 0.04..=hi + 0.04).contains(p),
                "{plant} in {climate}, month {}: {p:.3} vs {campus} {lo}-{hi}",
                m + 1
            );
        }
    }
}

/// Issue 23 item 3: Phoenix and Ashburn have nearly the same summer wet bulb and dry bulbs
/// ~10 K apart. The tower plant (wet bulb) gives their summers nearly the same PUE; the DX
/// plant (`air-dx-pumped`, dry bulb) does not.
#[test]
fn dry_bulb_plant_tells_apart_sites_with_the_same_wet_bulb() {
    let jja = [5, 6, 7];
    let summer = |plant: &str, climate: &str| {
        let sc = air_campus(plant, climate);
        let r = trials(&sc);
        let hours: Vec<usize> = (0..sc.horizon_hours as usize)
            .filter(|&h| {
                jja.contains(
                    &sc.calendar
                        .month0(dcload::base::time::SimTime::from_hours(h as u64)),
                )
            })
            .collect();
        let mean = |id: usize| {
            hours
                .iter()
                .map(|&h| at_hour(&sc, &r[0], h, id))
                .sum::<f64>()
                / hours.len() as f64
        };
        (months_pue(&sc, &r, &jja), mean(M_DRYBULB), mean(M_WETBULB))
    };
    let (dx_phx, db_phx, wb_phx) = summer("air-dx-pumped", "phoenix");
    let (dx_ash, db_ash, wb_ash) = summer("air-dx-pumped", "ashburn");
    assert!(
        (wb_phx - wb_ash).abs() < 1.5 && db_phx - db_ash > 8.0,
        "summer wet bulb {wb_phx:.1} / {wb_ash:.1}, dry bulb {db_phx:.1} / {db_ash:.1}"
    );
    let (tw_phx, ..) = summer("air-chiller-economiser", "phoenix");
    let (tw_ash, ..) = summer("air-chiller-economiser", "ashburn");
    let (leg_phx, ..) = summer("air-chiller-legacy", "phoenix");
    let (leg_ash, ..) = summer("air-chiller-legacy", "ashburn");
    eprintln!(
        "summer (JJA) dry bulb {db_phx:.1} / {db_ash:.1} C, wet bulb {wb_phx:.1} / {wb_ash:.1} C; \
         PUE Phoenix / Ashburn: DX {dx_phx:.3} / {dx_ash:.3}, tower {tw_phx:.3} / {tw_ash:.3}, legacy {leg_phx:.3} / {leg_ash:.3}"
    );
    assert!(
        (tw_phx - tw_ash).abs() < 0.02,
        "tower plant: Phoenix {tw_phx:.3}, Ashburn {tw_ash:.3}"
    );
    assert!(leg_phx > dx_phx && leg_ash > dx_ash);
    assert!(
        dx_phx - dx_ash > 0.05,
        "DX plant: Phoenix {dx_phx:.3}, Ashburn {dx_ash:.3}"
    );
}

/// A fixed-PUE facility may state its on-site WUE (per IT kWh) and an off-site water
/// factor (per facility kWh); hour by hour, on-site = IT kWh x WUE and off-site = facility kWh
/// x factor.
#[test]
fn fixed_pue_water_is_it_energy_times_wue_hour_by_hour() {
    let sc = study(
        "runs/devries-2023-h100.toml",
        &[(
            "kind = \"fixed\"\n",
            "kind = \"fixed\"\nwue_l_per_kwh = 0.3\ngrid_water_l_per_kwh = 3.1\n",
        )],
    );
    let m = sc.metrics();
    let col = |n: &str| m.iter().position(|x| *x == n).unwrap();
    let (on, off, it, fac) = (
        col("water_onsite_m3"),
        col("water_offsite_m3"),
        col("it_total_mw"),
        col("facility_mw"),
    );
    let nm = m.len();
    let r = trials(&sc);
    for t in &r {
        let (mut sum_on, mut sum_off) = (0.0, 0.0);
        for h in 0..sc.horizon_hours as usize {
            let row = &t.hourly[h * nm..(h + 1) * nm];
            // MW for an hour = MWh = 1000 kWh; L / 1000 = m3.
            let want_on = f64::from(row[it]) * 1000.0 * 0.3 / 1000.0;
            let want_off = f64::from(row[fac]) * 1000.0 * 3.1 / 1000.0;
            assert!((f64::from(row[on]) - want_on).abs() <= 1e-4 * want_on.max(1e-3));
            assert!((f64::from(row[off]) - want_off).abs() <= 1e-4 * want_off.max(1e-3));
            sum_on += want_on;
            sum_off += want_off;
        }
        let s = &t.summary;
        assert!(s.water_onsite_m3 > 0.0);
        assert!((s.water_onsite_m3 - sum_on).abs() < 1e-3 * sum_on);
        assert!((s.water_offsite_m3 - sum_off).abs() < 1e-3 * sum_off);
        assert!((s.wue_l_per_kwh - 0.3).abs() < 1e-6);
    }
    // A physics facility refuses a stated WUE (it computes its own).
    let text = std::fs::read_to_string(repo("runs/default.toml"))
        .unwrap()
        .replace(
            "kind = \"physics\"\n",
            "kind = \"physics\"\nwue_l_per_kwh = 0.3\n",
        );
    let lib = dcload::model::library::Library::builtin().unwrap();
    let e = Scenario::from_source(
        &dcload::base::error::Source::new("w.toml", &text),
        "w",
        std::path::Path::new("."),
        &lib,
    )
    .map(|_| ())
    .expect_err("physics with wue_l_per_kwh must fail")
    .to_string();
    assert!(e.contains("wue_l_per_kwh") && e.contains("w.toml"), "{e}");
}

/// Site clock for recorded weather: an EPW file's rows are in the time zone of its LOCATION
/// header. A file at UTC+1 whose dry bulb is its own hour of day, read by a study whose clock is
/// UTC-5, gives study hour h the file's hour h + 6.
#[test]
fn epw_rows_are_placed_by_the_file_time_zone() {
    let epw = epw_file("50.0,10.0,1.0", |_, h| {
        let t = f64::from(h - 1);
        format!("{t:.1},{:.1}", t - 7.0)
    });
    let f = on_epw(&epw, &[("horizon_hours = 8760", "horizon_hours = 48")]);
    assert!(
        std::fs::read_to_string(f.path())
            .unwrap()
            .contains("utc_offset = \"-05:00\"")
    );
    let sc = load(&f);
    let r = run_trial_0(&sc);
    let nm = sc.metrics().len();
    for h in 0..48usize {
        let want = ((h + 6) % 24) as f32;
        assert_eq!(r.hourly[h * nm + M_DRYBULB], want, "study hour {h}");
    }
}

/// The two-rate engine's quiet blocks give the hourly meter each step's facility power but only
/// the block's cooling and losses summed; facility = IT + load banks + cooling + losses still
/// holds: over the default study's two weeks at 60 s steps, the run's energies to 1e-9 (as the
/// meter sums them, in f64), and every hour's columns to their f32 rounding.
#[test]
fn quiet_blocks_keep_facility_equal_to_it_cooling_and_losses_hour_by_hour() {
    use dcload::sim::{M_COOLING, M_LOSSES};
    let hours = 24 * 14;
    let sc = scenario(&default_short(hours, 60));
    assert!(matches!(
        sc.facility,
        dcload::model::facility::Facility::Physics(_)
    ));
    for r in &trials(&sc)[..3] {
        let s = &r.summary;
        let parts = s.it_energy_mwh + s.load_bank_mwh + s.cooling_mwh + s.losses_mwh;
        assert!(
            (s.energy_mwh - parts).abs() <= 1e-9 * s.energy_mwh,
            "energy {} vs IT + banks + cooling + losses {parts}",
            s.energy_mwh
        );
        assert!(s.cooling_mwh > 0.0 && s.losses_mwh > 0.0);
        for h in 0..hours as usize {
            let at = |id| at_hour(&sc, r, h, id);
            let fac = at(M_FACILITY);
            let parts = at(M_IT_TOTAL) + at(M_COOLING) + at(M_LOSSES);
            assert!(
                (fac - parts).abs() <= 1e-6 * fac,
                "hour {h}: facility {fac} vs {parts}"
            );
        }
    }
}
