//! `kind = "liquid"`: direct liquid cooling on a dry-cooler loop, with the air-cooled share on
//! a nested air-chiller plant (see [`LiquidPlant`]).

use serde::Deserialize;

use super::air_chiller::AirChillerToml;
use super::dry_cooler::LoopFields;
use super::{AirChiller, CoolingPlant, CoolingStep, DryCoolerLoop};
use crate::model::facility::physics::{ParamError, check};
use crate::model::weather::WeatherHour;

/// Direct liquid cooling: `liquid_fraction` of the IT heat goes to cold plates and a
/// [`DryCoolerLoop`], the rest to an [`AirChiller`] plant. The split is fixed by the servers,
/// so the plant can take IT heat up to `min(C_loop / f, C_air / (1 - f))`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LiquidPlant {
    /// Share of IT heat captured by the liquid, (0, 1].
    pub liquid_fraction: f64,
    /// Sized for `liquid_fraction` of the plant's design heat.
    pub dry_loop: DryCoolerLoop,
    /// Sized for `1 - liquid_fraction` of the plant's design heat (ignored when the fraction
    /// is 1).
    pub air: AirChiller,
}

impl LiquidPlant {
    #[inline]
    pub(super) fn fraction(&self) -> f64 {
        self.liquid_fraction.clamp(f64::MIN_POSITIVE, 1.0)
    }

    /// Most IT heat the plant can take with its fixed liquid/air split, W.
    #[inline]
    pub fn capacity_w(&self, outdoor: &WeatherHour) -> f64 {
        let f = self.fraction();
        let liquid = self.dry_loop.capacity_w(outdoor) / f;
        if f < 1.0 {
            liquid.min(self.air.capacity_w(outdoor) / (1.0 - f))
        } else {
            liquid
        }
    }

    /// One step: the removed heat is split `f : 1 - f` between the loop and the air plant.
    #[inline]
    pub fn evaluate(&self, heat_w: f64, outdoor: &WeatherHour, dt_s: f64) -> CoolingStep {
        let f = self.fraction();
        let capacity = self.capacity_w(outdoor);
        let removed = heat_w.max(0.0).min(capacity);
        let dt = dt_s.max(0.0);
        let l = self.dry_loop.evaluate(removed * f, outdoor, dt);
        let (air_w, air_l) = if f < 1.0 {
            let a = self.air.evaluate(removed * (1.0 - f), outdoor, dt);
            (a.power_w, a.evaporated_l)
        } else {
            (0.0, 0.0)
        };
        CoolingStep {
            power_w: l.power_w + air_w,
            capacity_w: capacity,
            removed_w: removed,
            evaporated_l: l.water_l + air_l,
            mode: l.mode,
        }
    }
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LiquidToml {
    #[allow(dead_code)]
    kind: String,
    design_capacity_kw: f64,
    liquid_fraction: f64,
    supply_c: f64,
    design_outdoor_c: f64,
    dry_cooler_fan_fraction: f64,
    dry_cooler_min_speed: f64,
    pump_fraction: f64,
    adiabatic_above_c: Option<f64>,
    adiabatic_effectiveness: Option<f64>,
    adiabatic_air_rise_c: Option<f64>,
    adiabatic_cycles_of_concentration: Option<f64>,
    trim_capacity_fraction: Option<f64>,
    trim_carnot_fraction: Option<f64>,
    trim_condenser_approach_c: Option<f64>,
    trim_cop_min: Option<f64>,
    trim_cop_max: Option<f64>,
    air: AirChillerToml,
}

impl LiquidToml {
    pub(super) fn build(self) -> Result<CoolingPlant, ParamError> {
        let design_w = self.design_capacity_kw * 1000.0;
        let f = self.liquid_fraction;
        check(
            f.is_finite() && f > 0.0 && f <= 1.0,
            "liquid_fraction",
            || format!("expected a number in (0, 1], got {f}"),
        )?;
        let dry_loop = LoopFields {
            design_w: f * design_w,
            supply_c: self.supply_c,
            design_outdoor_c: self.design_outdoor_c,
            fan_fraction: self.dry_cooler_fan_fraction,
            fan_min_speed: self.dry_cooler_min_speed,
            pump_fraction: self.pump_fraction,
            adiabatic: [
                self.adiabatic_above_c,
                self.adiabatic_effectiveness,
                self.adiabatic_air_rise_c,
                self.adiabatic_cycles_of_concentration,
            ],
            trim: [
                self.trim_capacity_fraction,
                self.trim_carnot_fraction,
                self.trim_condenser_approach_c,
                self.trim_cop_min,
                self.trim_cop_max,
            ],
        }
        .build()?;
        let air = self.air.build("air.", Some((1.0 - f) * design_w))?;
        Ok(CoolingPlant::Liquid(LiquidPlant {
            liquid_fraction: f,
            dry_loop,
            air,
        }))
    }
}
