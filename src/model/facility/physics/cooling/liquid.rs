//! `kind = "liquid"`: direct liquid cooling on a dry-cooler loop, with the air-cooled share on
//! a nested air-chiller plant (see [`LiquidPlant`]).

use super::air_chiller::AirChillerToml;
use super::{AirChiller, AirHour, CoolingPlant, CoolingStep, DryCoolerLoop, LoopHour};
use crate::model::facility::physics::{ParamError, check_above};
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

    /// What a step needs of weather hour `outdoor`: the loop's and the air plant's hour and
    /// the plant's capacity with its fixed split (the heat-independent part of a step).
    #[inline]
    pub fn hour(&self, outdoor: &WeatherHour) -> LiquidHour {
        let (dry_loop, air) = (self.dry_loop.hour(outdoor), self.air.hour(outdoor));
        LiquidHour {
            capacity: self.capacity_of(dry_loop.capacity, air.capacity),
            dry_loop,
            air,
        }
    }

    /// [`LiquidPlant::capacity_w`] from the loop's and the air plant's capacities (each
    /// hour's figures hold them, so the hour does not work them out twice).
    #[inline]
    fn capacity_of(&self, loop_w: f64, air_w: f64) -> f64 {
        let f = self.fraction();
        let liquid = loop_w / f;
        if f < 1.0 {
            liquid.min(air_w / (1.0 - f))
        } else {
            liquid
        }
    }

    /// One step: the removed heat is split `f : 1 - f` between the loop and the air plant.
    #[inline]
    pub fn evaluate(&self, heat_w: f64, outdoor: &WeatherHour, dt_s: f64) -> CoolingStep {
        self.evaluate_in(&self.hour(outdoor), heat_w, dt_s)
    }

    /// One step in the hour `h` (this plant's [`LiquidPlant::hour`]).
    #[inline]
    pub fn evaluate_in(&self, h: &LiquidHour, heat_w: f64, dt_s: f64) -> CoolingStep {
        let f = self.fraction();
        let capacity = h.capacity;
        let removed = heat_w.max(0.0).min(capacity);
        let dt = dt_s.max(0.0);
        let l = self.dry_loop.evaluate_in(&h.dry_loop, removed * f, dt);
        let (air_w, air_l) = if f < 1.0 {
            let a = self.air.evaluate_in(&h.air, removed * (1.0 - f), dt);
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

/// What a [`LiquidPlant`]'s step needs of its weather hour ([`LiquidPlant::hour`]), worked out
/// once per hour (see [`super::AirHour`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LiquidHour {
    /// Most IT heat the plant can take this hour, W.
    pub capacity: f64,
    pub dry_loop: LoopHour,
    pub air: AirHour,
}

super::dry_cooler::dry_loop_toml!(LiquidToml {
    after_design: { liquid_fraction: f64 },
    after_pump: {},
    last: { air: AirChillerToml },
});

impl LiquidToml {
    pub(super) fn build(self) -> Result<CoolingPlant, ParamError> {
        let design_w = self.design_capacity_kw * 1000.0;
        let f = self.liquid_fraction;
        check_above(f, 0.0, 1.0, "liquid_fraction")?;
        let dry_loop = self.loop_fields(f * design_w).build()?;
        let air = self.air.build("air.", Some((1.0 - f) * design_w))?;
        Ok(CoolingPlant::Liquid(LiquidPlant {
            liquid_fraction: f,
            dry_loop,
            air,
        }))
    }
}
