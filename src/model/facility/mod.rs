//! The facility: turns IT power into the power drawn from the grid.
//!
//! Two kinds. `fixed` applies a constant PUE (facility = IT x PUE, everything above IT reported
//! as overhead): for quick studies and for reproducing papers that assume a PUE. `physics`
//! computes cooling, electrical losses and water from a weather year, the cooling plant of each
//! rack group and the load, with a thermal state per group that throttles it when its plant
//! falls behind, so PUE is an output. The physical models live in [`physics`]; [`site`] wires
//! them to the rack groups.

pub mod block;
pub mod lanes;
pub mod phasing;
pub mod physics;
pub mod rest;
pub mod site;

use serde::{Deserialize, Serialize};
use toml::Spanned;

pub use site::PhysicsFacility;

/// The `[facility]` table. A flat table (not a tagged enum) so that every field keeps its line
/// number for error messages; fields that do not belong to the chosen kind are refused.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FacilitySpec {
    /// "fixed" or "physics".
    pub kind: Spanned<String>,
    /// fixed: the PUE.
    pub pue: Option<f64>,
    /// physics: a climate from `models/climates/` (synthetic weather, a new year per trial) ...
    pub climate: Option<Spanned<String>>,
    /// ... or an EnergyPlus weather file (path relative to the run file).
    pub epw: Option<Spanned<String>>,
    /// physics: a heat wave forced into every trial's weather (stress runs).
    pub heat_wave: Option<HeatWaveSpec>,
    /// physics: electrical chain preset from `models/electrical/` (default "hyperscale").
    pub electrical: Option<Spanned<String>>,
    /// physics: cooling plant from `models/cooling/` for each rack cooling type.
    pub plants: Option<PlantsSpec>,
    /// physics: plant design capacity / the group's installed IT peak (default 1.2; < 1
    /// undersizes the plant).
    pub design_margin: Option<f64>,
    /// physics: ASHRAE class of air-cooled groups (default "A2") and its inlet set point.
    pub air_class: Option<Spanned<String>>,
    pub air_setpoint_c: Option<f64>,
    /// physics: ASHRAE W class of liquid and immersion groups (default "W40") and supply set point.
    pub liquid_class: Option<Spanned<String>>,
    pub liquid_setpoint_c: Option<f64>,
    /// physics: heat capacity of a group's thermal node per kW of installed IT (default 10).
    pub thermal_mass_kj_per_k_per_kw: Option<f64>,
    /// Off-site water of the grid's electricity, L per kWh of facility energy (physics: default
    /// 7.6, US average; fixed: optional, see `wue_l_per_kwh`).
    pub grid_water_l_per_kwh: Option<f64>,
    /// fixed: the facility's on-site water, L per kWh of IT energy (The Green Grid's WUE). A
    /// fixed facility that states either water figure writes the water columns; the figure it
    /// does not state counts as 0.
    pub wue_l_per_kwh: Option<f64>,
    /// physics: redundancy of each cooling plant's units: "N", "N+1" or "2N" (default: no unit
    /// failures modelled). A plant is `cooling_units` units that together meet its design
    /// capacity; redundancy adds spare units.
    pub cooling_redundancy: Option<Spanned<String>>,
    pub cooling_units: Option<u32>,
    pub cooling_unit_failures_per_year: Option<f64>,
    pub cooling_unit_repair_hours: Option<f64>,
    /// physics: plant and electrical modules online at dates other than their groups'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<Vec<phasing::ModuleSpec>>,
    /// physics: commissioning load-bank tests before groups go live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_bank: Option<Vec<phasing::LoadBankSpec>>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HeatWaveSpec {
    /// Day of the year the wave starts (1 = 1 January).
    pub day_of_year: u32,
    pub days: f64,
    /// Added to the dry bulb at the wave's peak, C.
    pub amplitude_c: f64,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlantsSpec {
    pub air: Option<Spanned<String>>,
    pub liquid: Option<Spanned<String>>,
    pub immersion: Option<Spanned<String>>,
}

#[derive(Clone, Debug)]
pub enum Facility {
    Fixed {
        pue: f64,
        /// On-site WUE (L per IT kWh) and off-site water factor (L per facility kWh), when the
        /// run states them.
        water: Option<FixedWater>,
    },
    Physics(Box<PhysicsFacility>),
}

/// Water of a fixed-PUE facility: on-site = IT kWh x `onsite_l_per_it_kwh`, off-site =
/// facility kWh x `offsite_l_per_kwh`, hour by hour.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FixedWater {
    pub onsite_l_per_it_kwh: f64,
    pub offsite_l_per_kwh: f64,
}

/// One step's facility figures, W. Invariant: facility = IT + load bank + cooling + losses,
/// all >= 0.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FacilityStep {
    pub it_w: f64,
    /// Cooling plant power (for `fixed`, all overhead above IT).
    pub cooling_w: f64,
    /// Electrical losses and fixed loads.
    pub losses_w: f64,
    /// Commissioning load banks (physics only): load on the IT side of the chain that is not IT.
    pub load_bank_w: f64,
    pub facility_w: f64,
}

impl Facility {
    /// The fixed-PUE step.
    #[inline]
    pub fn fixed_step(pue: f64, it_w: f64) -> FacilityStep {
        let overhead = it_w * (pue - 1.0);
        FacilityStep {
            it_w,
            cooling_w: overhead,
            losses_w: 0.0,
            load_bank_w: 0.0,
            facility_w: it_w + overhead,
        }
    }

    pub fn fixed_pue(&self) -> Option<f64> {
        match self {
            Facility::Fixed { pue, .. } => Some(*pue),
            Facility::Physics(_) => None,
        }
    }

    pub fn is_physics(&self) -> bool {
        matches!(self, Facility::Physics(_))
    }

    /// The water figures of a fixed facility that states them.
    pub fn fixed_water(&self) -> Option<FixedWater> {
        match self {
            Facility::Fixed { water, .. } => *water,
            Facility::Physics(_) => None,
        }
    }

    /// True when the facility writes the water columns (physics, or fixed with water stated).
    pub fn reports_water(&self) -> bool {
        self.is_physics() || self.fixed_water().is_some()
    }
}
