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

/// Latent heat of vaporisation of water at ~20 °C, J/kg (steam tables: 2.454 MJ/kg at 20 °C).
pub const LATENT_HEAT_J_PER_KG: f64 = 2.45e6;

/// US-average water consumed per kWh generated, L/kWh (Shehabi et al. 2016, LBNL, for 2014;
/// after Macknick et al. 2012, NREL).
pub const US_GENERATION_WATER_L_PER_KWH: f64 = 7.6;

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
