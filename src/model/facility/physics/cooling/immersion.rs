//! `kind = "immersion"`: single-phase immersion tanks on a dry-cooler loop (see
//! [`ImmersionPlant`]).

use super::{CoolingPlant, CoolingStep, DryCoolerLoop, LoopHour};
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
        self.evaluate_in(&self.dry_loop.hour(outdoor), heat_w, dt_s)
    }

    /// One step in the hour `h` (its loop's [`DryCoolerLoop::hour`]).
    #[inline]
    pub fn evaluate_in(&self, h: &LoopHour, heat_w: f64, dt_s: f64) -> CoolingStep {
        let capacity = h.capacity;
        let removed = heat_w.max(0.0).min(capacity);
        let l = self.dry_loop.evaluate_in(h, removed, dt_s.max(0.0));
        CoolingStep {
            power_w: l.power_w + self.room_fan_fraction * self.dry_loop.design_capacity_w,
            capacity_w: capacity,
            removed_w: removed,
            evaporated_l: l.water_l,
            mode: l.mode,
        }
    }
}

super::dry_cooler::dry_loop_toml!(ImmersionToml {
    after_design: {},
    after_pump: { room_fan_fraction: f64 },
    last: {},
});

impl ImmersionToml {
    pub(super) fn build(self) -> Result<CoolingPlant, ParamError> {
        let dry_loop = self.loop_fields(self.design_capacity_kw * 1000.0).build()?;
        Ok(CoolingPlant::Immersion(ImmersionPlant {
            dry_loop,
            room_fan_fraction: self.room_fan_fraction,
        }))
    }
}
