//! The facility layer's step, over a fixed PUE or the physical facility (weather, cooling
//! plants, thermal nodes, electrical chain: [`crate::facility::site`]).
//!
//! Inputs: IT power (per group, for physics). Outputs: facility power split into IT, cooling and
//! losses, water, and for physics the caps and fan multipliers the fleet reads next step.

use super::fleet::Thermal;
use crate::facility::site::PhysicsState;
use crate::facility::{Facility, FacilityStep, PhysicsFacility};
use crate::rng::{TAG_PLANT, TAG_WEATHER, stream};
use crate::weather::WeatherHour;

pub struct FacilityLayer<'a> {
    fixed: Option<(f64, Option<crate::facility::FixedWater>)>,
    physics: Option<(&'a PhysicsFacility, PhysicsState)>,
}

/// One step of the facility.
#[derive(Clone, Copy, Debug, Default)]
pub struct FacilityOut {
    pub power: FacilityStep,
    pub onsite_water_l: f64,
    pub throttled_acc: f64,
    pub heat_not_removed_w: f64,
    pub saturated: bool,
    pub inlet_max_c: f64,
    /// The hour's weather (physics only).
    pub outdoor: Option<WeatherHour>,
}

impl<'a> FacilityLayer<'a> {
    /// The trial's facility: a physics facility draws its weather year and plant-unit stream.
    pub fn new(model: &'a Facility, hours: usize, seed: u64, trial: u32) -> FacilityLayer<'a> {
        match model {
            Facility::Fixed { pue, water } => FacilityLayer {
                fixed: Some((*pue, *water)),
                physics: None,
            },
            Facility::Physics(p) => {
                let mut rng = stream(seed, TAG_WEATHER, trial);
                let st = p.new_state(hours, &mut rng, stream(seed, TAG_PLANT, trial));
                FacilityLayer {
                    fixed: None,
                    physics: Some((p.as_ref(), st)),
                }
            }
        }
    }

    /// Caps and fan multipliers for the fleet (physics only).
    pub fn thermal(&self) -> Option<Thermal<'_>> {
        self.physics.as_ref().map(|(_, st)| Thermal {
            caps: &st.caps,
            fan_mult: &st.fan_mult,
            all_uncapped: st.all_uncapped,
        })
    }

    /// Facility power this step would draw, without advancing any state (what shedding aims
    /// at): `it_w` at a fixed PUE, or the physics for the groups' IT power.
    pub fn estimate(&self, it_w: f64, group_it: &[f64], hour: usize, dt_s: f64) -> f64 {
        match (&self.fixed, &self.physics) {
            (Some((pue, _)), _) => it_w * pue,
            (None, Some((f, st))) => f.peek(st, group_it, hour, dt_s),
            (None, None) => it_w,
        }
    }

    /// Advances the facility by one step.
    pub fn step(&mut self, it_w: f64, group_it: &[f64], hour: usize, dt_s: f64) -> FacilityOut {
        match (&self.fixed, &mut self.physics) {
            (_, Some((f, st))) => {
                let p = f.step(st, group_it, hour, dt_s);
                FacilityOut {
                    power: p.power,
                    onsite_water_l: p.onsite_water_l,
                    throttled_acc: p.throttled_acc,
                    heat_not_removed_w: p.heat_not_removed_w,
                    saturated: p.saturated,
                    inlet_max_c: p.inlet_max_c,
                    outdoor: Some(p.outdoor),
                }
            }
            (Some((pue, water)), None) => FacilityOut {
                power: Facility::fixed_step(*pue, it_w),
                // On-site water per IT kWh, L (off-site is counted per hour by the meter).
                onsite_water_l: water.map_or(0.0, |w| it_w * dt_s / 3.6e6 * w.onsite_l_per_it_kwh),
                ..FacilityOut::default()
            },
            (None, None) => FacilityOut {
                power: Facility::fixed_step(1.0, it_w),
                ..FacilityOut::default()
            },
        }
    }

    /// Plant-hours with fewer working units than design needs.
    pub fn plant_unit_outage_hours(&self) -> f64 {
        self.physics
            .as_ref()
            .map_or(0.0, |(_, st)| st.plant_unit_hours_short)
    }

    /// Off-site water factor of a physics facility, L per facility kWh.
    pub fn physics_water_l_per_kwh(&self) -> Option<f64> {
        self.physics.as_ref().map(|(f, _)| f.grid_water_l_per_kwh)
    }
}
