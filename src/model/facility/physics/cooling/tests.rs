//! The cooling plants' tests (compiled only for tests: `#[cfg(test)] mod tests;` in mod.rs).
#![cfg(test)]

use super::super::electrical::presets;
use super::super::{ElectricalChain, ElectricalLosses};
use super::*;
use proptest::prelude::*;
use std::sync::OnceLock;

/// (IT + cooling + losses) / IT of one step (test helper: the engine computes a run's PUE from
/// its energy sums).
fn pue(it_w: f64, cooling_w: f64, losses: &ElectricalLosses) -> f64 {
    (it_w + cooling_w + losses.total_w()) / it_w
}

const NAMES: [&str; 6] = [
    "air-chiller-legacy",
    "air-chiller-economiser",
    "liquid-dry-cooler",
    "hybrid-dlc",
    "immersion",
    "air-side-evaporative",
];

fn path(name: &str) -> String {
    format!("{}/models/cooling/{name}.toml", env!("CARGO_MANIFEST_DIR"))
}

fn text(name: &str) -> String {
    let p = path(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn load(name: &str) -> CoolingPlant {
    CoolingPlant::from_toml(&path(name), &text(name)).unwrap_or_else(|e| panic!("{e}"))
}

/// The five plant files, sized to 1 MW of design IT heat.
fn plants() -> &'static [(&'static str, CoolingPlant); 6] {
    static P: OnceLock<[(&'static str, CoolingPlant); 6]> = OnceLock::new();
    P.get_or_init(|| NAMES.map(|n| (n, load(n).with_design_capacity_w(1.0e6))))
}

/// Issue 9: capacity follows the weather. Every plant sized at 1 MW with room side for
/// 1.4 MW: in cold weather the heat-rejection side can carry more than its design (up to
/// the room side) and less in extreme heat.
#[test]
fn capacity_rises_in_cold_weather_up_to_the_room_side() {
    let at = |db: f64, wb: f64| WeatherHour {
        dry_bulb_c: db,
        wet_bulb_c: wb,
        rel_humidity_pct: 50.0,
    };
    for (name, p) in plants() {
        let p = p.with_terminal_capacity_w(1.4e6);
        let cold = p.capacity_w(&at(0.0, -2.0));
        assert!((cold - 1.4e6).abs() < 1.0, "{name}: {cold}");
        let hot = p.capacity_w(&at(48.0, 30.0));
        assert!(hot < 1.0e6, "{name}: {hot}");
        // Without room-side headroom the old behaviour: design capacity in mild weather.
        let tight = p.with_design_capacity_w(1.0e6);
        assert!(
            (tight.capacity_w(&at(0.0, -2.0)) - 1.0e6).abs() < 1.0,
            "{name}"
        );
    }
    // A tower plant with no free cooling left (wet bulb 25 C, above economiser_none_c 24)
    // and a wet bulb 1 K below its 26 C design: chillers at 1 + 0.02 * 1 = 1.02 of design.
    let CoolingPlant::AirChiller(a) = plants()[1].1 else {
        panic!()
    };
    let mut a = a;
    a.terminal_capacity_w = 2.0e6;
    assert!((a.capacity_w(&at(30.0, 25.0)) - 1.02e6).abs() < 1.0);
}

fn hyperscale() -> ElectricalChain {
    ElectricalChain::from_toml("HYPERSCALE", presets::HYPERSCALE).unwrap()
}

fn enterprise() -> ElectricalChain {
    ElectricalChain::from_toml("ENTERPRISE_2N", presets::ENTERPRISE_2N).unwrap()
}

fn wh(db: f64, wb: f64) -> WeatherHour {
    WeatherHour {
        dry_bulb_c: db,
        wet_bulb_c: wb,
        rel_humidity_pct: 50.0,
    }
}

#[test]
fn all_files_load_and_scale() {
    for (name, p) in plants() {
        assert!((p.design_capacity_w() - 1.0e6).abs() < 1e-6, "{name}");
        p.validate().unwrap();
        // Full capacity in mild weather.
        assert!(
            (p.capacity_w(&wh(15.0, 10.0)) - 1.0e6).abs() < 1e-3,
            "{name}"
        );
    }
}

#[test]
fn cop_follows_carnot_fraction_and_clamps() {
    let CoolingPlant::AirChiller(a) = load("air-chiller-legacy") else {
        panic!()
    };
    // ASHRAE 90.1 air-cooled minimum, 2.80 at 35 °C (fit within 1 %).
    assert!((a.cop(35.0) - 2.80).abs() < 0.03, "{}", a.cop(35.0));
    assert_eq!(a.cop(-20.0), a.cop_max);
    assert_eq!(a.cop(200.0), a.cop_min);
    let CoolingPlant::AirChiller(w) = load("air-chiller-economiser") else {
        panic!()
    };
    // Water-cooled: COP 6.28 at AHRI conditions with 6.7 °C chilled water.
    let mut ahri = w;
    ahri.chw_supply_c = 6.7;
    // 0.560 kW/ton; 1 ton of refrigeration = 3.517 kW.
    let rated = 3.517 / 0.560;
    assert!((ahri.cop(25.6) - rated).abs() < 0.05, "{}", ahri.cop(25.6));
}

#[test]
fn economiser_modes() {
    let (_, p) = &plants()[1];
    let heat = 0.7e6;
    assert_eq!(
        p.evaluate(heat, &wh(5.0, 3.0), 60.0).mode,
        CoolingMode::Free
    );
    assert_eq!(
        p.evaluate(heat, &wh(22.0, 16.0), 60.0).mode,
        CoolingMode::Partial
    );
    assert_eq!(
        p.evaluate(heat, &wh(35.0, 24.0), 60.0).mode,
        CoolingMode::Mechanical
    );
    let (_, legacy) = &plants()[0];
    assert_eq!(
        legacy.evaluate(heat, &wh(-10.0, -11.0), 60.0).mode,
        CoolingMode::Mechanical
    );
}

#[test]
fn derates_above_design_and_removes_only_capacity() {
    let (_, p) = &plants()[0];
    // Legacy: 1.5 %/K above 35 °C dry bulb.
    let s = p.evaluate(2.0e6, &wh(45.0, 25.0), 60.0);
    assert!((s.capacity_w - 0.85e6).abs() < 1e-3, "{}", s.capacity_w);
    assert_eq!(s.removed_w, s.capacity_w);
    let s = p.evaluate(0.5e6, &wh(45.0, 25.0), 60.0);
    assert_eq!(s.removed_w, 0.5e6);
}

#[test]
fn tower_water_matches_hand_calculation() {
    // Free cooling 1 MW for an hour: rejected = removed; the share from the outdoor air
    // (water::TowerAir at the file's 5.6 K range and L/G 1.2); 4 cycles.
    let (_, p) = &plants()[1];
    let air = wh(5.0, 2.0);
    let s = p.evaluate(1.0e6, &air, 3600.0);
    assert_eq!(s.mode, CoolingMode::Free);
    let share = crate::model::facility::physics::water::TowerAir::from_design(5.6, 1.2, None)
        .evaporated_share(air.dry_bulb_c, air.rel_humidity_pct);
    assert!((0.4..0.8).contains(&share), "{share}");
    let evap = 3.6e9 * share / 2.45e6;
    assert!(
        (s.evaporated_l - evap * 4.0 / 3.0).abs() < 1e-6,
        "{}",
        s.evaporated_l
    );
}

#[test]
fn dry_coolers_evaporate_nothing() {
    // Below the adiabatic threshold every liquid and immersion plant is water-free, at any
    // load; the air-cooled legacy plant always is.
    for (name, p) in plants()
        .iter()
        .filter(|(n, _)| *n != "air-chiller-economiser")
    {
        for db in [-30.0, -5.0, 10.0, 20.0, 24.9] {
            for load in [0.0, 0.3, 0.7, 1.0, 2.0] {
                let s = p.evaluate(load * 1.0e6, &wh(db, db - 5.0), 60.0);
                assert_eq!(s.evaporated_l, 0.0, "{name} db {db} load {load}");
            }
        }
    }
    // And a dry-cooler plant without adiabatic assist never uses water.
    let CoolingPlant::Liquid(mut l) = plants()[2].1 else {
        panic!()
    };
    l.dry_loop.adiabatic = None;
    let p = CoolingPlant::Liquid(l);
    p.validate().unwrap();
    for db in [-30.0, 10.0, 30.0, 40.0, 48.0] {
        let s = p.evaluate(0.9e6, &wh(db, db - 12.0), 3600.0);
        assert_eq!(s.evaporated_l, 0.0, "db {db}");
    }
    // Above the threshold and past what dry operation can do, the pads run.
    let s = plants()[2].1.evaluate(0.9e6, &wh(40.0, 22.0), 3600.0);
    assert!(s.evaporated_l > 0.0);
    assert_eq!(s.mode, CoolingMode::Adiabatic);
}

#[test]
fn trim_chiller_when_dry_coolers_cannot_reach_supply() {
    let CoolingPlant::Liquid(mut l) = plants()[2].1 else {
        panic!()
    };
    l.dry_loop.adiabatic = None;
    let p = CoolingPlant::Liquid(l);
    // 35 °C supply, 27 °C design: at 33 °C the dry coolers give 0.25 of design at full fans.
    let s = p.evaluate(0.5e6, &wh(33.0, 20.0), 60.0);
    assert_eq!(s.mode, CoolingMode::Trim);
    assert_eq!(s.removed_w, 0.5e6);
    // Capacity: loop min(1, 0.25 + 0.3) * 0.8 MW -> IT heat 0.55 MW.
    assert!((s.capacity_w - 0.55e6).abs() < 1e-3, "{}", s.capacity_w);
}

fn check_step(s: &CoolingStep, heat: f64) -> Result<(), TestCaseError> {
    prop_assert!(
        s.power_w.is_finite() && s.power_w >= 0.0,
        "power {}",
        s.power_w
    );
    prop_assert!(
        s.evaporated_l.is_finite() && s.evaporated_l >= 0.0,
        "water {}",
        s.evaporated_l
    );
    prop_assert!(
        s.capacity_w.is_finite() && s.capacity_w >= 0.0,
        "capacity {}",
        s.capacity_w
    );
    prop_assert!(s.removed_w >= 0.0 && s.removed_w <= s.capacity_w && s.removed_w <= heat.max(0.0));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn outputs_are_physical(
        idx in 0usize..5,
        load in 0.0f64..2.0,
        db in -30.0f64..48.0,
        depression in 0.0f64..30.0,
        dt in 1.0f64..3600.0,
    ) {
        let (_, p) = &plants()[idx];
        let heat = load * 1.0e6;
        let s = p.evaluate(heat, &wh(db, db - depression), dt);
        check_step(&s, heat)?;
        for chain in [hyperscale(), enterprise()] {
            let l = chain.losses(s.removed_w, s.power_w);
            for v in [l.ups_w, l.transformer_w, l.distribution_w, l.fixed_w] {
                prop_assert!(v.is_finite() && v >= 0.0);
            }
            if s.removed_w > 0.0 {
                prop_assert!(pue(s.removed_w, s.power_w, &l) >= 1.0);
            }
        }
    }

    #[test]
    fn hotter_weather_never_costs_less(
        idx in 0usize..5,
        load in 0.0f64..1.0,
        db in -30.0f64..48.0,
        warmer in 0.0f64..20.0,
        depression in 0.0f64..30.0,
    ) {
        let (_, p) = &plants()[idx];
        let db2 = (db + warmer).min(48.0);
        let (w1, w2) = (wh(db, db - depression), wh(db2, db2 - depression));
        // Same heat removed in both hours.
        let heat = (load * 1.0e6).min(p.capacity_w(&w1)).min(p.capacity_w(&w2));
        let (s1, s2) = (p.evaluate(heat, &w1, 60.0), p.evaluate(heat, &w2, 60.0));
        prop_assert!(s2.power_w >= s1.power_w - 1e-9 * (1.0 + s1.power_w),
            "{} at {db}/{db2}: {} > {}", NAMES[idx], s1.power_w, s2.power_w);
    }

    #[test]
    fn more_heat_never_costs_less(
        idx in 0usize..5,
        a in 0.0f64..2.0,
        b in 0.0f64..2.0,
        db in -30.0f64..48.0,
        depression in 0.0f64..30.0,
    ) {
        let (_, p) = &plants()[idx];
        let w = wh(db, db - depression);
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        let (s1, s2) = (p.evaluate(lo * 1.0e6, &w, 60.0), p.evaluate(hi * 1.0e6, &w, 60.0));
        prop_assert!(s2.power_w >= s1.power_w - 1e-9 * (1.0 + s1.power_w));
    }
}

fn dx() -> &'static CoolingPlant {
    static P: OnceLock<CoolingPlant> = OnceLock::new();
    P.get_or_init(|| load("air-dx-pumped").with_design_capacity_w(1.0e6))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The DX plant (issue 23): physical outputs, no water, and power that never falls with
    /// a hotter dry bulb or more heat (across the economiser range and the fans' full-flow
    /// kink included).
    #[test]
    fn dx_plant_is_physical_and_monotone(
        a in 0.0f64..1.6,
        b in 0.0f64..1.6,
        db in -30.0f64..48.0,
        warmer in 0.0f64..20.0,
    ) {
        let p = dx();
        let (w1, w2) = (wh(db, db - 3.0), wh((db + warmer).min(48.0), db - 3.0));
        let s = p.evaluate(a * 1.0e6, &w1, 60.0);
        check_step(&s, a * 1.0e6)?;
        prop_assert!(s.evaporated_l == 0.0);
        let heat = (a * 1.0e6).min(p.capacity_w(&w1)).min(p.capacity_w(&w2));
        let (h1, h2) = (p.evaluate(heat, &w1, 60.0), p.evaluate(heat, &w2, 60.0));
        prop_assert!(h2.power_w >= h1.power_w - 1e-9 * (1.0 + h1.power_w));
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        let (m1, m2) = (p.evaluate(lo * 1.0e6, &w1, 60.0), p.evaluate(hi * 1.0e6, &w1, 60.0));
        prop_assert!(m2.power_w >= m1.power_w - 1e-9 * (1.0 + m1.power_w));
    }
}

/// A synthetic climate: annual sinusoid (coldest mid-January) plus a diurnal swing
/// (coldest 03:00, warmest 15:00); wet-bulb depression growing with temperature.
struct Climate {
    mean_c: f64,
    annual_amplitude_c: f64,
    diurnal_swing_c: f64,
    depression_base_c: f64,
    depression_per_c: f64,
}

/// Luleå-like (mean 3 °C, ±12 °C annual, ~6 K diurnal, humid).
const LULEA: Climate = Climate {
    mean_c: 3.0,
    annual_amplitude_c: 12.0,
    diurnal_swing_c: 6.0,
    depression_base_c: 1.0,
    depression_per_c: 0.15,
};

/// Phoenix-like (mean 24 °C, ±10 °C annual, ~14 K diurnal, dry: wet bulb ~23 °C at 41 °C).
const PHOENIX: Climate = Climate {
    mean_c: 24.0,
    annual_amplitude_c: 10.0,
    diurnal_swing_c: 14.0,
    depression_base_c: 5.0,
    depression_per_c: 0.4,
};

impl Climate {
    fn hour(&self, h: usize) -> WeatherHour {
        use std::f64::consts::TAU;
        let day = h as f64 / 24.0;
        let hod = (h % 24) as f64;
        let db = self.mean_c
            - self.annual_amplitude_c * (TAU * (day - 15.0) / 365.0).cos()
            - 0.5 * self.diurnal_swing_c * (TAU * (hod - 3.0) / 24.0).cos();
        let dep = self.depression_base_c + self.depression_per_c * (db - 10.0).max(0.0);
        wh(db, db - dep)
    }
}

struct Year {
    pue: f64,
    cooling_share: f64,
    water_l_per_kwh: f64,
    unmet_hours: usize,
}

/// Energy-weighted annual PUE at 70 % of a 1 MW design, hourly steps.
fn year(p: &CoolingPlant, chain: &ElectricalChain, c: &Climate) -> Year {
    let it = 0.7e6;
    let (mut e_it, mut e_cool, mut e_loss, mut water) = (0.0, 0.0, 0.0, 0.0);
    let mut unmet = 0;
    for h in 0..8760 {
        let s = p.evaluate(it, &c.hour(h), 3600.0);
        if s.removed_w < it - 1e-6 {
            unmet += 1;
        }
        let l = chain.losses(it, s.power_w);
        e_it += it;
        e_cool += s.power_w;
        e_loss += l.total_w();
        water += s.evaporated_l;
    }
    Year {
        pue: (e_it + e_cool + e_loss) / e_it,
        cooling_share: e_cool / e_it,
        water_l_per_kwh: water / (e_it / 1000.0),
        unmet_hours: unmet,
    }
}

#[test]
fn calibration_synthetic_years() {
    let by_name = |n: &str| plants().iter().find(|(m, _)| *m == n).unwrap().1;
    let chain_for = |n: &str| {
        if n == "air-chiller-legacy" {
            enterprise()
        } else {
            hyperscale()
        }
    };
    let mut table = Vec::new();
    for n in NAMES {
        let p = by_name(n);
        let chain = chain_for(n);
        let (lu, ph) = (year(&p, &chain, &LULEA), year(&p, &chain, &PHOENIX));
        println!(
            "{n:24} Lulea PUE {:.3} (cooling {:.3}, WUE {:.3} L/kWh)  Phoenix PUE {:.3} (cooling {:.3}, WUE {:.3} L/kWh, unmet h {})",
            lu.pue,
            lu.cooling_share,
            lu.water_l_per_kwh,
            ph.pue,
            ph.cooling_share,
            ph.water_l_per_kwh,
            ph.unmet_hours
        );
        assert_eq!(lu.unmet_hours, 0, "{n} Lulea");
        assert_eq!(ph.unmet_hours, 0, "{n} Phoenix");
        assert!(
            ph.pue > lu.pue,
            "{n}: Phoenix {} <= Lulea {}",
            ph.pue,
            lu.pue
        );
        table.push((n, lu, ph));
    }
    let get = |n: &str| table.iter().find(|(m, _, _)| *m == n).unwrap();
    // Google fleet ~1.09-1.10 (trailing twelve months).
    let (_, dlc_lu, dlc_ph) = get("liquid-dry-cooler");
    assert!(
        (1.06..=1.15).contains(&dlc_lu.pue),
        "liquid-dry-cooler Lulea {}",
        dlc_lu.pue
    );
    // Uptime Institute survey average ~1.56-1.58.
    let (_, leg_lu, leg_ph) = get("air-chiller-legacy");
    assert!(
        (1.45..=1.70).contains(&leg_ph.pue),
        "air-chiller-legacy Phoenix {}",
        leg_ph.pue
    );
    // Liquid beats air in the same climate (same electrical chain for the fair pair).
    let (_, eco_lu, eco_ph) = get("air-chiller-economiser");
    assert!(dlc_lu.pue < eco_lu.pue && dlc_ph.pue < eco_ph.pue);
    assert!(dlc_lu.pue < leg_lu.pue && dlc_ph.pue < leg_ph.pue);
    // Towers use water, dry coolers (almost) none.
    assert!(eco_ph.water_l_per_kwh > 1.0 && dlc_lu.water_l_per_kwh == 0.0);
}

fn err_of(text: &str) -> FacilityError {
    CoolingPlant::from_toml("models/cooling/test.toml", text).unwrap_err()
}

fn where_of(e: &FacilityError) -> (usize, String) {
    match e {
        FacilityError::Toml {
            line, field, file, ..
        }
        | FacilityError::Invalid {
            line, field, file, ..
        } => {
            assert_eq!(file, "models/cooling/test.toml");
            (*line, field.clone())
        }
        FacilityError::Param { .. } => panic!("no file in {e:?}"),
    }
}

fn line_containing(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn toml_errors_name_file_line_and_field() {
    let legacy = text("air-chiller-legacy");

    // Unknown field.
    let t = legacy.replace(
        "crah_min_speed = 1.0",
        "crah_min_speed = 1.0\ncrah_fan_power = 0.1",
    );
    let e = err_of(&t);
    assert!(matches!(e, FacilityError::Toml { .. }), "{e:?}");
    assert_eq!(
        where_of(&e),
        (
            line_containing(&t, "crah_fan_power"),
            "crah_fan_power".into()
        )
    );
    assert!(e.to_string().contains("unknown field"), "{e}");

    // Wrong type.
    let t = legacy.replace("cop_max = 7.0", "cop_max = \"high\"");
    let e = err_of(&t);
    assert_eq!(
        where_of(&e),
        (line_containing(&t, "cop_max ="), "cop_max".into())
    );
    assert!(
        e.to_string().starts_with(&format!(
            "models/cooling/test.toml:{}: field `cop_max`",
            line_containing(&t, "cop_max =")
        )),
        "{e}"
    );

    // Out of range.
    let t = legacy.replace("carnot_fraction = 0.43", "carnot_fraction = 1.5");
    let e = err_of(&t);
    assert!(matches!(e, FacilityError::Invalid { .. }), "{e:?}");
    assert_eq!(
        where_of(&e),
        (
            line_containing(&t, "carnot_fraction ="),
            "carnot_fraction".into()
        )
    );

    // Missing field.
    let t = legacy.replace("pump_fraction = 0.03", "");
    let e = err_of(&t);
    assert_eq!(where_of(&e).1, "pump_fraction");

    // Each: a change to a shipped file, the text of the line the error must name, and the
    // field it must name.
    let dlc = text("liquid-dry-cooler");
    let economiser = text("air-chiller-economiser");
    for (file, from, to, line, field) in [
        // Tower-only field on a dry plant.
        (
            &legacy,
            "heat_rejection = \"dry\"",
            "heat_rejection = \"dry\"\nevaporative_share = 0.8",
            "evaporative_share",
            "evaporative_share",
        ),
        // Both tower evaporation forms at once.
        (
            &economiser,
            "tower_range_c = 5.6",
            "tower_range_c = 5.6\nevaporative_share = 0.8",
            "evaporative_share",
            "evaporative_share",
        ),
        // Bad enum value.
        (
            &legacy,
            "heat_rejection = \"dry\"",
            "heat_rejection = \"river\"",
            "heat_rejection",
            "heat_rejection",
        ),
        // Unknown kind.
        (
            &legacy,
            "kind = \"air-chiller\"",
            "kind = \"ice\"",
            "kind =",
            "kind",
        ),
        // Nested table: unknown field and out-of-range value name `air.<field>`.
        (
            &dlc,
            "crah_min_speed = 0.3",
            "crah_min_speed = 0.3\nfoo = 1",
            "foo = 1",
            "air.foo",
        ),
        (
            &dlc,
            "crah_min_speed = 0.3",
            "crah_min_speed = 3.0",
            "crah_min_speed = 3.0",
            "air.crah_min_speed",
        ),
        // The nested air plant is sized by the liquid plant.
        (
            &dlc,
            "\n[air]\n",
            "\n[air]\ndesign_capacity_kw = 200.0\n",
            "design_capacity_kw = 200.0",
            "air.design_capacity_kw",
        ),
    ] {
        let t = file.replace(from, to);
        assert_eq!(
            where_of(&err_of(&t)),
            (line_containing(&t, line), field.into()),
            "{from:?} -> {to:?}"
        );
    }
    // Half of the tower's outdoor-air pair; a dry switch point with a stated share; neither
    // evaporation form.
    let t = economiser.replace("tower_liquid_gas_ratio = 1.2\n", "");
    assert_eq!(where_of(&err_of(&t)).1, "tower_liquid_gas_ratio");
    let t = economiser
        .replace(
            "tower_liquid_gas_ratio = 1.2\n",
            "tower_dry_below_c = 5.0\n",
        )
        .replace("tower_range_c = 5.6\n", "evaporative_share = 0.8\n");
    assert_eq!(where_of(&err_of(&t)).1, "tower_dry_below_c");
    let t = economiser
        .replace("tower_liquid_gas_ratio = 1.2\n", "")
        .replace("tower_range_c = 5.6\n", "");
    assert_eq!(where_of(&err_of(&t)).1, "tower_range_c");
    // The old form still loads: a constant share.
    let t = economiser
        .replace("tower_liquid_gas_ratio = 1.2\n", "")
        .replace("tower_range_c = 5.6\n", "evaporative_share = 0.85\n");
    let p = CoolingPlant::from_toml("t.toml", &t).unwrap();
    let s = p.evaluate(1.0e6, &wh(5.0, 2.0), 3600.0);
    assert!((s.evaporated_l - 3.6e9 * 0.85 / 2.45e6 * 4.0 / 3.0).abs() < 1e-6);
    // Half an adiabatic group.
    let t = dlc.replace("adiabatic_effectiveness = 0.8\n", "");
    let e = err_of(&t);
    assert_eq!(where_of(&e).1, "adiabatic_effectiveness");

    // TOML syntax error.
    let t = legacy.replace("cop_min = 2.0", "cop_min = = 2.0");
    let e = err_of(&t);
    assert_eq!(where_of(&e).0, line_containing(&t, "cop_min = = 2.0"));
}

/// Issue 23: the air-side assist starts at `evaporative_above_c` (below it the trim cools the
/// outdoor air), and dry winter air is humidified to `humidify_min_dew_point_c`.
#[test]
fn air_side_start_temperature_and_humidification() {
    let p = load("air-side-humidified").with_design_capacity_w(1.0e6);
    let at = |db: f64, rh: f64| WeatherHour {
        dry_bulb_c: db,
        wet_bulb_c: crate::model::weather::wet_bulb_c(db, rh),
        rel_humidity_pct: rh,
    };
    // 26 C, humid enough (dew point ~15 C): no evaporation, the trim cools 2 K.
    let s = p.evaluate(1.0e6, &at(26.0, 55.0), 3600.0);
    assert_eq!((s.mode, s.evaporated_l), (CoolingMode::Trim, 0.0));
    // 30 C: the media evaporate.
    let s = p.evaluate(1.0e6, &at(30.0, 40.0), 3600.0);
    assert!(s.evaporated_l > 0.0);
    // 0 C, 50 % (dew point ~ -9 C): humidified in free cooling. Hand figure: 1 MW at an 11 K
    // rise is 90.4 kg/s of air, a share (35 - 24) / 35 of it outdoor air, short of the 5.5 C
    // dew point's humidity ratio by w(5.5 C dp) - w(0 C, 50 %); blown down at 3 cycles.
    let s = p.evaluate(1.0e6, &at(0.0, 50.0), 3600.0);
    assert_eq!(s.mode, CoolingMode::Free);
    let w = |dp: f64| crate::model::facility::physics::water::humidity_ratio_at_dew_point(dp);
    let deficit = w(5.5) - crate::model::facility::physics::water::humidity_ratio(0.0, 50.0);
    let hand = 1.0e6 / (1006.0 * 11.0) * (11.0 / 35.0) * deficit * 3600.0 * 1.5;
    assert!(
        (s.evaporated_l / hand - 1.0).abs() < 1e-9,
        "{} vs {hand}",
        s.evaporated_l
    );
    // Humid winter air needs none; the Meta-like plant never humidifies.
    assert_eq!(p.evaluate(1.0e6, &at(8.0, 95.0), 3600.0).evaporated_l, 0.0);
    let meta = load("air-side-evaporative").with_design_capacity_w(1.0e6);
    assert_eq!(
        meta.evaluate(1.0e6, &at(0.0, 50.0), 3600.0).evaporated_l,
        0.0
    );
}
