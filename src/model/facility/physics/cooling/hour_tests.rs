//! A plant's step in its hour's figures ([`CoolingPlant::hour`], [`CoolingPlant::evaluate_in`])
//! against the step worked out from the weather alone, as every step did before the hour's part
//! was split off: the same bits (the reference engine's outputs depend on it).
#![cfg(test)]

use super::super::water;
use super::*;
use proptest::prelude::*;
use std::sync::OnceLock;

/// An air-chiller step from the weather (the type's equations, the hour's part worked out in
/// the step).
fn air_from_weather(a: &AirChiller, heat_w: f64, o: &WeatherHour, dt_s: f64) -> CoolingStep {
    let t = a.rejection_temp_c(o);
    let (d, capacity, free) = (a.design_capacity_w, a.capacity_at(t), a.free_fraction(t));
    let removed = heat_w.max(0.0).min(capacity);
    let x = if d > 0.0 { (removed / d).min(1.0) } else { 0.0 };
    let chiller = if free < 1.0 {
        removed * (1.0 - free) / a.cop(t)
    } else {
        0.0
    };
    let (rejection, water_l) = match a.heat_rejection {
        HeatRejection::Tower(tower) => {
            let j = (removed + chiller) * dt_s.max(0.0);
            let share = || tower.evaporated_share(o);
            let w = if j <= 0.0 {
                0.0
            } else {
                water::onsite_water_l(j, share(), tower.cycles_of_concentration)
            };
            (a.rejection_fan_fraction * (removed + chiller), w)
        }
        HeatRejection::Dry => (a.rejection_fan_fraction * removed * free, 0.0),
    };
    let crah = a.crah_fan_fraction * d * cube(x.max(a.crah_min_speed));
    CoolingStep {
        power_w: chiller + crah + a.pump_fraction * removed + rejection,
        capacity_w: capacity,
        removed_w: removed,
        evaporated_l: water_l,
        mode: CoolingMode::of_free_share(free),
    }
}

/// `a` where `ok`, else `b` (both worked out: the unused one may divide by 0).
fn pick(ok: bool, a: f64, b: f64) -> f64 {
    if ok { a } else { b }
}

/// A dry-cooler loop's step from the weather: power, water, mode.
fn loop_from_weather(
    l: &DryCoolerLoop,
    removed: f64,
    o: &WeatherHour,
    dt: f64,
) -> (f64, f64, CoolingMode) {
    let (d, db) = (l.design_capacity_w, o.dry_bulb_c);
    let (pump, fans) = (l.pump_fraction * removed, l.fan_fraction * d);
    let c_dry = l.full_capacity(db);
    if removed <= c_dry {
        let s = pick(c_dry > 0.0, removed / c_dry, 0.0);
        let p = pump + l.fan_fraction * d * cube(s.max(l.fan_min_speed));
        return (p, 0.0, CoolingMode::Free);
    }
    let (c_best, water_l) = match (l.adiabatic, l.wet_air_c(o)) {
        (Some(a), Some(t_air)) => {
            let approach = l.supply_c - l.design_outdoor_c;
            let need = pick(d > 0.0, l.supply_c - removed / d * approach, t_air);
            let precool = (db - need.max(t_air)).max(0.0);
            let heat = pick(a.air_rise_c > 0.0, d * precool / a.air_rise_c, 0.0);
            let w = water::onsite_water_l(heat * dt, 1.0, a.cycles_of_concentration);
            (l.full_capacity(t_air), w)
        }
        _ => (c_dry, 0.0),
    };
    if removed <= c_best {
        return (pump + fans, water_l, CoolingMode::Adiabatic);
    }
    let trim = l.trim.map_or(0.0, |t| {
        let t_cond = db + t.condenser_approach_c;
        let cop = carnot_cop(t.carnot_fraction, l.supply_c, t_cond, t.cop_min, t.cop_max);
        (removed - c_best) / cop
    });
    (pump + fans + trim, water_l, CoolingMode::Trim)
}

/// Any plant's step from the weather.
fn from_weather(p: &CoolingPlant, heat_w: f64, o: &WeatherHour, dt_s: f64) -> CoolingStep {
    let dt = dt_s.max(0.0);
    match p {
        CoolingPlant::AirChiller(a) => air_from_weather(a, heat_w, o, dt_s),
        CoolingPlant::Liquid(lp) => {
            let f = lp.fraction();
            let capacity = lp.capacity_w(o);
            let removed = heat_w.max(0.0).min(capacity);
            let (lw, ll, mode) = loop_from_weather(&lp.dry_loop, removed * f, o, dt);
            let (aw, al) = if f < 1.0 {
                let a = air_from_weather(&lp.air, removed * (1.0 - f), o, dt);
                (a.power_w, a.evaporated_l)
            } else {
                (0.0, 0.0)
            };
            CoolingStep {
                power_w: lw + aw,
                capacity_w: capacity,
                removed_w: removed,
                evaporated_l: ll + al,
                mode,
            }
        }
        CoolingPlant::Immersion(i) => {
            let capacity = i.capacity_w(o);
            let removed = heat_w.max(0.0).min(capacity);
            let (lw, ll, mode) = loop_from_weather(&i.dry_loop, removed, o, dt);
            CoolingStep {
                power_w: lw + i.room_fan_fraction * i.dry_loop.design_capacity_w,
                capacity_w: capacity,
                removed_w: removed,
                evaporated_l: ll,
                mode,
            }
        }
        CoolingPlant::AirSide(a) => a.evaluate(heat_w, o, dt_s),
        CoolingPlant::Dx(x) => x.evaluate(heat_w, o, dt_s),
    }
}

/// Every plant file, and variants the files do not hold: a tower at a stated share, a liquid
/// plant with no air side, a loop without pads or trim.
fn plants() -> &'static [CoolingPlant] {
    static P: OnceLock<Vec<CoolingPlant>> = OnceLock::new();
    P.get_or_init(|| {
        let dir = format!("{}/models/cooling", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .expect("models/cooling")
            .map(|e| e.expect("entry").path())
            .collect();
        names.sort();
        let mut out: Vec<CoolingPlant> = names
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).expect("plant file");
                CoolingPlant::from_toml(&p.display().to_string(), &text).expect("plant")
            })
            .collect();
        let mut variants = Vec::new();
        for p in &out {
            match *p {
                CoolingPlant::AirChiller(mut a) => {
                    if let HeatRejection::Tower(ref mut t) = a.heat_rejection {
                        t.evaporation = TowerEvaporation::Share(0.85);
                        a.economiser = None;
                        variants.push(CoolingPlant::AirChiller(a));
                    }
                }
                CoolingPlant::Liquid(mut l) => {
                    l.liquid_fraction = 1.0;
                    l.dry_loop.adiabatic = None;
                    l.dry_loop.trim = None;
                    variants.push(CoolingPlant::Liquid(l));
                }
                _ => {}
            }
        }
        out.extend(variants);
        out
    })
}

/// The bits of a step, for exact comparison (NaN-safe).
fn bits(s: &CoolingStep) -> ([u64; 4], CoolingMode) {
    let f = [s.power_w, s.capacity_w, s.removed_w, s.evaporated_l].map(f64::to_bits);
    (f, s.mode)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Every plant, sized anywhere, in any weather, at any heat (below 0, at the capacity,
    /// beyond it) and step length: the step in its hour's figures is the step from the
    /// weather, bit for bit, one heat at a time or several at once; and a plant handed
    /// another kind of plant's hour works from the weather.
    #[test]
    fn a_step_in_its_hour_is_the_step_from_the_weather_bit_for_bit(
        k in 0usize..64,
        design in 1.0e4f64..2.0e8,
        room in 1.0f64..1.6,
        db in -35.0f64..52.0,
        depression in 0.0f64..25.0,
        rh in 0.5f64..100.0,
        load in -0.2f64..2.2,
        at_capacity in any::<bool>(),
        dt_s in prop_oneof![Just(60.0), Just(0.0), 0.0f64..3600.0],
    ) {
        let all = plants();
        let p = all[k % all.len()]
            .with_design_capacity_w(design)
            .with_terminal_capacity_w(design * room);
        let o = WeatherHour {
            dry_bulb_c: db,
            wet_bulb_c: db - depression,
            rel_humidity_pct: rh,
        };
        let heat = if at_capacity { p.capacity_w(&o) } else { load * design };
        let want = bits(&from_weather(&p, heat, &o, dt_s));
        let hour = p.hour(&o);
        prop_assert_eq!(bits(&p.evaluate_in(&hour, heat, dt_s)), want);
        prop_assert_eq!(bits(&p.evaluate(heat, &o, dt_s)), want);
        // Several heats at once: each the step at its heat.
        let heats = [heat, 0.5 * heat, -heat, heat + 0.3 * design];
        let many = p.evaluate_many_in(&hour, heats, dt_s);
        for (s, &q) in many.iter().zip(&heats) {
            prop_assert_eq!(bits(s), bits(&from_weather(&p, q, &o, dt_s)));
        }
        let kind = std::mem::discriminant(&p);
        if let Some(q) = all.iter().find(|q| std::mem::discriminant(*q) != kind) {
            prop_assert_eq!(bits(&p.evaluate_in(&q.hour(&o), heat, dt_s)), want);
            let other = p.evaluate_many_in(&q.hour(&o), [heat], dt_s);
            prop_assert_eq!(bits(&other[0]), want);
        }
    }
}
