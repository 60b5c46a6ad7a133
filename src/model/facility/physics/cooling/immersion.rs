//! `kind = "immersion"`: single-phase immersion tanks on a dry-cooler loop (see
//! [`ImmersionPlant`]).

use serde::Deserialize;

use super::dry_cooler::LoopFields;
use super::{CoolingPlant, CoolingStep, DryCoolerLoop};
use crate::model::facility::physics::ParamError;
use crate::model::weather::WeatherHour;

/// Single-phase immersion: all IT heat goes to the tanks' coolant, through a heat exchanger to
/// a [`DryCoolerLoop`]. No CRAH; `room_fan_fraction * D` of constant room ventilation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ImmersionPlant {
    /// Sized for all the IT heat.
    pub dry_loop: DryCoolerLoop,
    /// Room ventilation, fraction of design capacity (constant).
    pub room_fan_fraction: f64,
}

impl ImmersionPlant {
    /// Heat removal capacity in this weather, W.
    #[inline]
    pub fn capacity_w(&self, outdoor: &WeatherHour) -> f64 {
        self.dry_loop.capacity_w(outdoor)
    }

    /// One step.
    #[inline]
    pub fn evaluate(&self, heat_w: f64, outdoor: &WeatherHour, dt_s: f64) -> CoolingStep {
        let capacity = self.capacity_w(outdoor);
        let removed = heat_w.max(0.0).min(capacity);
        let l = self.dry_loop.evaluate(removed, outdoor, dt_s.max(0.0));
        CoolingStep {
            power_w: l.power_w + self.room_fan_fraction * self.dry_loop.design_capacity_w,
            capacity_w: capacity,
            removed_w: removed,
            evaporated_l: l.water_l,
            mode: l.mode,
        }
    }
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImmersionToml {
    #[allow(dead_code)]
    kind: String,
    design_capacity_kw: f64,
    supply_c: f64,
    design_outdoor_c: f64,
    dry_cooler_fan_fraction: f64,
    dry_cooler_min_speed: f64,
    pump_fraction: f64,
    room_fan_fraction: f64,
    adiabatic_above_c: Option<f64>,
    adiabatic_effectiveness: Option<f64>,
    adiabatic_air_rise_c: Option<f64>,
    adiabatic_cycles_of_concentration: Option<f64>,
    trim_capacity_fraction: Option<f64>,
    trim_carnot_fraction: Option<f64>,
    trim_condenser_approach_c: Option<f64>,
    trim_cop_min: Option<f64>,
    trim_cop_max: Option<f64>,
}

impl ImmersionToml {
    pub(super) fn build(self) -> Result<CoolingPlant, ParamError> {
        let dry_loop = LoopFields {
            design_w: self.design_capacity_kw * 1000.0,
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
        Ok(CoolingPlant::Immersion(ImmersionPlant {
            dry_loop,
            room_fan_fraction: self.room_fan_fraction,
        }))
    }
}
