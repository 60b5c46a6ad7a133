//! Water: on-site consumption from evaporative heat rejection, and off-site consumption in
//! electricity generation.
//!
//! **On-site.** An evaporative device (open cooling tower, adiabatic pre-cooling pads) rejects
//! heat partly as latent heat of the water it evaporates:
//!
//! ```text
//! evaporation_kg = heat_J * evaporative_share / h_fg,      h_fg = 2.45 MJ/kg (water at ~20 °C)
//! blow_down_kg   = evaporation_kg / (cycles_of_concentration - 1)
//! ```
//!
//! and 1 kg of water is taken as 1 L. `h_fg` is the latent heat of vaporisation of water at
//! about 20 °C (steam tables: 2.454 MJ/kg at 20 °C, 2.430 at 30 °C). `evaporative_share` is the
//! fraction of the rejected heat that leaves as latent heat: the cooling-tower rule of thumb
//! "evaporation ≈ 0.1 % of circulating flow per °F of range" (US DOE FEMP, *Cooling Tower
//! Management* best management practice) implies a share close to 1; measured annual shares
//! are lower (part of the heat leaves as sensible heat of the air, more so in cold weather),
//! so the plant files use 0.8-0.9 and say so. Blow-down (bleed) follows from the mass balance
//! of dissolved solids at a given number of cycles of concentration (same FEMP guidance,
//! make-up = evaporation + blow-down + drift). Dry coolers and air-cooled chillers evaporate
//! nothing.
//!
//! **Towers from the outdoor state.** A constant share ignores the weather; a tower's
//! evaporation follows the air it draws. [`TowerAir`] computes it the way EnergyPlus does in
//! its "saturated exit" evaporation mode (EnergyPlus Engineering Reference, *Cooling towers:
//! evaporative water loss*; `CondenserLoopTowers.cc`, `calculateWaterUsage`): the air leaves
//! the tower saturated, its enthalpy raised by the heat rejected per kilogram of air, and the
//! water evaporated is the rise of its humidity ratio:
//!
//! ```text
//! h_out = h_in + Δh,   Δh = c_w * range * (L/G)            heat rejected per kg of dry air
//! T_out : h_sat(T_out) = h_out                             saturated leaving air
//! evaporated kg per J rejected = (w_sat(T_out) - w_in) / Δh
//! share = h_fg * (w_sat(T_out) - w_in) / Δh                (the share of heat carried as latent)
//! ```
//!
//! with the moist-air enthalpy `h = 1.006 T + w (2501 + 1.86 T)` kJ/kg and humidity ratio
//! `w = 0.621945 e / (p - e)` at sea-level pressure (ASHRAE Handbook—Fundamentals 2017, ch. 1,
//! eqs. 20, 22 and 30), and the saturation pressure of [`saturation_vapour_pressure_hpa`]
//! (Magnus, Alduchov & Eskridge 1996). The tower's airflow follows its load at the design
//! liquid-to-gas ratio (variable-speed fans), so `Δh` is fixed by the plant file: the Cooling
//! Technology Institute rating point is a 10 °F (5.6 K) range, and counterflow HVAC towers run
//! at L/G of about 0.75-1.5. The share then falls as the air gets colder (less water held at
//! saturation per kJ of enthalpy) and more humid (the incoming air already holds more): about
//! 0.6 at 5 °C and 85 % RH, ~1 at the rating point, above 1 in hot dry air (the air is cooled
//! on its way through, and the water evaporated carries that heat as well). This is the
//! dependence on ambient conditions that Qureshi & Zubair (2006, *Prediction of evaporation
//! losses in wet cooling towers*, Heat Transfer Engineering 27(9) 86-92) fitted to the
//! ASHRAE rule of thumb. A hybrid (wet/dry) tower runs its dry coil below a dry-bulb switch
//! point and evaporates nothing there (`tower_dry_below_c`).
//!
//! Left out: drift (0.001-0.005 % of circulating flow with modern eliminators, negligible),
//! humidification water, domestic use, leaks, and water treatment back-wash.
//!
//! **Off-site.** Water consumed by power plants to generate the electricity:
//! `offsite_L = energy_kWh * intensity_L_per_kWh`. The US average of 7.6 L/kWh (consumption)
//! is the figure used by the LBNL *United States Data Center Energy Usage Report* (Shehabi et
//! al. 2016) for 2014, which it built on the technology factors of Macknick et al. 2012 (NREL,
//! *Operational water consumption and withdrawal factors for electricity generating
//! technologies*, Environ. Res. Lett. 7 045802). It varies by an order of magnitude between
//! grids (wind/PV ~0, hydro with reservoir evaporation much more), so a study should pass its
//! own grid's figure.

use crate::model::weather::psychro::saturation_vapour_pressure_hpa;

/// Latent heat of vaporisation of water at ~20 °C, J/kg (steam tables: 2.454 MJ/kg at 20 °C).
pub const LATENT_HEAT_J_PER_KG: f64 = 2.45e6;

/// US-average water consumed per kWh generated, L/kWh (Shehabi et al. 2016, LBNL, for 2014;
/// after Macknick et al. 2012, NREL).
pub const US_GENERATION_WATER_L_PER_KWH: f64 = 7.6;

/// Sea-level atmospheric pressure, hPa (the psychrometrics here take no site altitude).
const SEA_LEVEL_HPA: f64 = 1013.25;

/// Ratio of the molar masses of water and dry air (ASHRAE Handbook—Fundamentals, ch. 1).
const MOLAR_RATIO: f64 = 0.621945;

/// Specific heat of liquid water, kJ/(kg K) (the tower's range sets the heat per kg of water).
pub const WATER_CP_KJ_PER_KG_K: f64 = 4.186;

/// Humidity ratio of saturated air at `t_c`, kg water per kg dry air.
#[inline]
fn saturated_humidity_ratio(t_c: f64) -> f64 {
    let e = saturation_vapour_pressure_hpa(t_c);
    MOLAR_RATIO * e / (SEA_LEVEL_HPA - e).max(1.0)
}

/// Humidity ratio of outdoor air at `dry_bulb_c` and `rel_humidity_pct`, kg water per kg dry
/// air (sea level).
#[inline]
pub fn humidity_ratio(dry_bulb_c: f64, rel_humidity_pct: f64) -> f64 {
    let e = (rel_humidity_pct.clamp(0.0, 100.0) / 100.0)
        * saturation_vapour_pressure_hpa(dry_bulb_c.clamp(-60.0, 60.0));
    MOLAR_RATIO * e / (SEA_LEVEL_HPA - e).max(1.0)
}

/// Humidity ratio of air whose dew point is `dew_point_c`, kg water per kg dry air.
#[inline]
pub fn humidity_ratio_at_dew_point(dew_point_c: f64) -> f64 {
    saturated_humidity_ratio(dew_point_c.clamp(-60.0, 60.0))
}

/// Enthalpy of moist air at `t_c` with humidity ratio `w`, kJ per kg of dry air.
#[inline]
fn moist_air_enthalpy(t_c: f64, w: f64) -> f64 {
    1.006 * t_c + w * (2501.0 + 1.86 * t_c)
}

/// The evaporation of an open (or hybrid) cooling tower from the outdoor air (see the
/// module's docs): its airflow per watt rejected and its dry switch point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TowerAir {
    /// Enthalpy rise of the air through the tower, kJ per kg of dry air:
    /// `c_w * range * L/G` at the design liquid-to-gas ratio.
    pub enthalpy_rise_kj_per_kg: f64,
    /// Hybrid towers: at or below this dry bulb the dry coil carries the heat, °C.
    pub dry_below_c: Option<f64>,
}

impl TowerAir {
    /// From the design range (K) and liquid-to-gas mass-flow ratio.
    pub fn from_design(range_c: f64, liquid_gas_ratio: f64, dry_below_c: Option<f64>) -> Self {
        TowerAir {
            enthalpy_rise_kj_per_kg: WATER_CP_KJ_PER_KG_K * range_c * liquid_gas_ratio,
            dry_below_c,
        }
    }

    /// Share of the rejected heat that leaves as latent heat of evaporated water, in air at
    /// `dry_bulb_c` and `rel_humidity_pct`: `h_fg * (w_sat(T_out) - w_in) / Δh`, >= 0 (it may
    /// exceed 1 in hot dry air). 0 in dry mode. Six `exp` calls; never panics.
    pub fn evaporated_share(&self, dry_bulb_c: f64, rel_humidity_pct: f64) -> f64 {
        if self.dry_below_c.is_some_and(|t| dry_bulb_c <= t) {
            return 0.0;
        }
        let dh = self.enthalpy_rise_kj_per_kg;
        // A plant asks for the same hour's air at every step of the hour: the psychrometrics
        // below (six `exp`, five Newton steps, ~700 instructions) are kept per thread for the
        // last air each tower design saw. A pure function's memo: the same bits either way.
        let key = [
            dh.to_bits(),
            dry_bulb_c.to_bits(),
            rel_humidity_pct.to_bits(),
        ];
        let slot = (dh.to_bits() ^ (dh.to_bits() >> 29)) as usize % SHARE_MEMO_SLOTS;
        if let Some(v) = SHARE_MEMO.with(|m| {
            let (k, v) = m[slot].get();
            (k == key).then_some(v)
        }) {
            return v;
        }
        let v = Self::share_of_air(dh, dry_bulb_c, rel_humidity_pct);
        SHARE_MEMO.with(|m| m[slot].set((key, v)));
        v
    }

    fn share_of_air(dh: f64, dry_bulb_c: f64, rel_humidity_pct: f64) -> f64 {
        let db = dry_bulb_c.clamp(-60.0, 60.0);
        let w_in = humidity_ratio(db, rel_humidity_pct);
        let h_out = moist_air_enthalpy(db, w_in) + dh;
        let t_out = saturation_temp_c(h_out, db);
        let share = (saturated_humidity_ratio(t_out) - w_in) * (LATENT_HEAT_J_PER_KG / 1000.0) / dh;
        if share.is_finite() && share > 0.0 {
            share
        } else {
            0.0
        }
    }
}

const SHARE_MEMO_SLOTS: usize = 4;

thread_local! {
    /// See [`TowerAir::evaporated_share`]: (tower's enthalpy rise, dry bulb, humidity) bits
    /// and the share, per slot (a site's tower designs rarely share one).
    static SHARE_MEMO: [std::cell::Cell<([u64; 3], f64)>; SHARE_MEMO_SLOTS] =
        const { [const { std::cell::Cell::new(([u64::MAX; 3], 0.0)) }; SHARE_MEMO_SLOTS] };
}

/// Temperature of saturated air of enthalpy `h` (kJ/kg), by Newton steps from `guess_c`
/// (five steps reach 0.01 K over -20..45 °C from a guess up to 20 K below or 25 K above).
#[inline]
fn saturation_temp_c(h: f64, guess_c: f64) -> f64 {
    let mut t = guess_c.clamp(-40.0, 50.0);
    for _ in 0..5 {
        let ws = saturated_humidity_ratio(t);
        let f = moist_air_enthalpy(t, ws) - h;
        // d w_sat / dT from the Magnus form: w_s * p / (p - e_s) * 17.625 * 243.04 / (T + 243.04)^2.
        let k = 243.04 + t;
        let dws = ws * (1.0 + ws / MOLAR_RATIO) * 17.625 * 243.04 / (k * k);
        let df = 1.006 + 1.86 * ws + (2501.0 + 1.86 * t) * dws;
        t = (t - f / df).clamp(-60.0, 80.0);
    }
    t
}

/// Litres evaporated when `heat_j` joules are rejected with `evaporative_share` of them as
/// latent heat. Negative or non-finite inputs give 0.
#[inline]
pub fn evaporation_l(heat_j: f64, evaporative_share: f64) -> f64 {
    let v = heat_j * evaporative_share * (1.0 / LATENT_HEAT_J_PER_KG);
    if v.is_finite() && v > 0.0 { v } else { 0.0 }
}

/// Litres of blow-down that keep dissolved solids at `cycles_of_concentration` while
/// `evaporation_l` litres evaporate: `evaporation / (cycles - 1)`. Cycles at or below 1 are
/// physically meaningless (all make-up would have to be bled); they give 0 here and are
/// rejected when a model is loaded.
#[inline]
pub fn blowdown_l(evaporation_l: f64, cycles_of_concentration: f64) -> f64 {
    if cycles_of_concentration > 1.0 && evaporation_l > 0.0 {
        evaporation_l / (cycles_of_concentration - 1.0)
    } else {
        0.0
    }
}

/// On-site consumption (evaporation + blow-down) for `heat_j` joules rejected by an
/// evaporative device.
#[inline]
pub fn onsite_water_l(heat_j: f64, evaporative_share: f64, cycles_of_concentration: f64) -> f64 {
    let e = evaporation_l(heat_j, evaporative_share);
    e + blowdown_l(e, cycles_of_concentration)
}

/// Off-site water consumed generating `energy_kwh` at `intensity_l_per_kwh` (e.g.
/// [`US_GENERATION_WATER_L_PER_KWH`]). Negative or non-finite inputs give 0.
#[inline]
pub fn offsite_water_l(energy_kwh: f64, intensity_l_per_kwh: f64) -> f64 {
    let v = energy_kwh * intensity_l_per_kwh;
    if v.is_finite() && v > 0.0 { v } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_megawatt_hour_of_tower_heat() {
        // 1 MWh = 3.6 GJ; all latent -> 3.6e9 / 2.45e6 = 1469 L.
        let e = evaporation_l(3.6e9, 1.0);
        assert!((e - 1469.4).abs() < 1.0, "{e}");
        // 4 cycles -> blow-down = e / 3.
        assert!((blowdown_l(e, 4.0) - e / 3.0).abs() < 1e-9);
        assert!((onsite_water_l(3.6e9, 1.0, 4.0) - e * 4.0 / 3.0).abs() < 1e-6);
    }

    #[test]
    fn nonsense_gives_zero() {
        assert_eq!(evaporation_l(-1.0, 1.0), 0.0);
        assert_eq!(evaporation_l(f64::NAN, 1.0), 0.0);
        assert_eq!(blowdown_l(10.0, 1.0), 0.0);
        assert_eq!(offsite_water_l(-5.0, 7.6), 0.0);
        assert!((offsite_water_l(1000.0, US_GENERATION_WATER_L_PER_KWH) - 7600.0).abs() < 1e-9);
    }
}

#[cfg(test)]
mod tower_tests {
    use super::*;

    /// A 5.6 K range at L/G 1.2: 28.1 kJ per kg of air.
    fn tower() -> TowerAir {
        TowerAir::from_design(5.6, 1.2, None)
    }

    #[test]
    fn saturation_temperature_inverts_the_enthalpy() {
        for t in [-20.0, 0.0, 15.0, 30.0, 45.0] {
            let h = moist_air_enthalpy(t, saturated_humidity_ratio(t));
            for guess in [t - 20.0, t, t + 25.0] {
                let got = saturation_temp_c(h, guess);
                assert!((got - t).abs() < 0.01, "{t} from {guess}: {got}");
            }
        }
    }

    /// The share's bits stay those measured at stop 29 (printed by these functions copied
    /// alone into a scratch crate built with this toolchain): a guard for any change made to
    /// speed them up, which must give the same bits (stop 29 tried one; docs/performance.md).
    #[test]
    fn share_of_air_keeps_its_bits() {
        let dh = tower().enthalpy_rise_kj_per_kg;
        for (db, rh, bits) in [
            (35.0, 47.0, 0x3ff1_75e4_db23_8719_u64),
            (5.0, 85.0, 0x3fe2_be56_fd41_35ae),
            (40.0, 20.0, 0x3ff5_c3c5_bc66_bcdd),
            (-12.5, 64.0, 0x3fd8_2581_1943_8ff5),
            (22.25, 99.5, 0x3fe7_5564_fdb8_2191),
            (29.0, 3.0, 0x3ff4_1d42_6c4f_5de7),
        ] {
            let got = TowerAir::share_of_air(dh, db, rh);
            assert_eq!(got.to_bits(), bits, "({db}, {rh}): {got}");
        }
    }

    /// The share falls as the air gets colder and more humid; at the tower rating point it is
    /// the FEMP rule of thumb's ~1.05 (0.1 % of flow per °F of range); in hot dry air above 1.
    #[test]
    fn share_follows_the_air() {
        let t = tower();
        // AHRI/CTI rating point: 35 °C dry bulb, 25.6 °C wet bulb (~47 % RH).
        let rating = t.evaporated_share(35.0, 47.0);
        assert!((rating - 1.05).abs() < 0.1, "{rating}");
        let cold_humid = t.evaporated_share(5.0, 85.0);
        assert!((0.5..0.7).contains(&cold_humid), "{cold_humid}");
        let hot_dry = t.evaporated_share(40.0, 20.0);
        assert!((1.2..1.6).contains(&hot_dry), "{hot_dry}");
        assert!(t.evaporated_share(0.0, 90.0) < cold_humid);
        assert!(t.evaporated_share(25.0, 90.0) < t.evaporated_share(25.0, 30.0));
        // A hybrid tower evaporates nothing at or below its switch point.
        let hybrid = TowerAir::from_design(5.6, 1.2, Some(10.0));
        assert_eq!(hybrid.evaporated_share(10.0, 80.0), 0.0);
        assert_eq!(
            hybrid.evaporated_share(11.0, 80.0),
            t.evaporated_share(11.0, 80.0)
        );
        // Nonsense stays finite and non-negative.
        for (db, rh) in [(f64::NAN, 50.0), (-80.0, 0.0), (70.0, 100.0), (20.0, -5.0)] {
            let s = t.evaporated_share(db, rh);
            assert!(s.is_finite() && s >= 0.0, "{db} {rh}: {s}");
        }
    }
}
