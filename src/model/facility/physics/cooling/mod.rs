//! Cooling plants: how much electric power, and how much water, it takes to remove a given IT
//! heat load in given weather, and how much heat the plant can remove at all.
//!
//! Five kinds, read from `models/cooling/<name>.toml` by [`CoolingPlant::from_toml`] and
//! selected by the `kind` field:
//!
//! - `kind = "air-chiller"` ([`AirChiller`]): air-cooled hall, CRAH fans, chilled-water plant
//!   with an optional water-side economiser; heat rejected by cooling towers
//!   (`heat_rejection = "tower"`, evaporative) or by air-cooled chillers / dry free-cooling
//!   coils (`heat_rejection = "dry"`).
//! - `kind = "liquid"` ([`LiquidPlant`]): direct liquid cooling to cold plates with warm facility
//!   water ([`DryCoolerLoop`]: dry coolers, optional adiabatic assist, optional trim chiller);
//!   the remaining air-cooled share of the IT heat goes to a nested `[air]` air-chiller plant.
//! - `kind = "immersion"` ([`ImmersionPlant`]): single-phase immersion tanks on a warm-water
//!   dry-cooler loop; no CRAH, only a little room ventilation.
//! - `kind = "air-side"` ([`AirSidePlant`]): air-side economiser (outdoor air straight to the
//!   hall, mixed with return air when cold) with direct or indirect evaporative assist and a
//!   mechanical trim; water follows the wet bulb and the hours of assist.
//! - `kind = "air-dx"` ([`DxPlant`]): air-cooled DX computer-room air conditioners with a
//!   dry-bulb (pumped-refrigerant) economiser; everything follows the dry bulb, no water.
//!
//! All fan, pump and capacity parameters are fractions of the plant's design heat load, so a
//! plant file describes a *type* of plant and [`CoolingPlant::with_design_capacity_w`] sizes it
//! for a rack group. Per-step use: [`CoolingPlant::evaluate`] (no allocation, a few dozen
//! floating-point operations, no `powf`); where many steps share a weather hour, the hour's
//! part once ([`CoolingPlant::hour`]: capacity, economiser share, COP, a tower's evaporated
//! share) and each step's heat in it ([`CoolingPlant::evaluate_in`]), the same numbers.
//!
//! Model-file fields (kW, °C, K, fractions; every field required unless marked optional;
//! unknown fields are errors):
//!
//! - `air-chiller`: `design_capacity_kw`, `heat_rejection` (`"tower"` | `"dry"`),
//!   `design_outdoor_c`, `capacity_derate_per_c`, and for towers only
//!   `cycles_of_concentration` with either `tower_range_c` + `tower_liquid_gas_ratio`
//!   (evaporation from the outdoor air; optional `tower_dry_below_c` for a hybrid tower's dry
//!   mode) or `evaporative_share` (a constant share), `economiser_full_c` + `economiser_none_c`
//!   (optional pair; absent = no economiser), `chw_supply_c`, `condenser_approach_c`,
//!   `carnot_fraction`, `cop_min`, `cop_max`, `crah_fan_fraction`, `crah_min_speed`,
//!   `pump_fraction`, `rejection_fan_fraction`.
//! - `liquid`: `design_capacity_kw` (all IT heat), `liquid_fraction`, `supply_c`,
//!   `design_outdoor_c`, `dry_cooler_fan_fraction`, `dry_cooler_min_speed`, `pump_fraction`;
//!   optional group `adiabatic_above_c`, `adiabatic_effectiveness`, `adiabatic_air_rise_c`,
//!   `adiabatic_cycles_of_concentration`; optional group `trim_capacity_fraction`,
//!   `trim_carnot_fraction`, `trim_condenser_approach_c`, `trim_cop_min`, `trim_cop_max`; and an
//!   `[air]` table with the air-chiller fields except `design_capacity_kw` (sized by the plant).
//! - `immersion`: as `liquid` without `liquid_fraction` and `[air]`, plus `room_fan_fraction`.
//! - `air-side`: `design_capacity_kw`, `supply_c`, `air_rise_c`, `fan_fraction`,
//!   `fan_min_speed`, `evaporative` (`"direct"` | `"indirect"` | `"none"`), with direct or
//!   indirect also `evaporative_effectiveness`, `evaporative_cycles_of_concentration`,
//!   `evaporative_pump_fraction` and optional `evaporative_above_c`; optional
//!   `humidify_min_dew_point_c`; and `trim_capacity_fraction`, `trim_carnot_fraction`,
//!   `trim_condenser_approach_c`, `trim_cop_min`, `trim_cop_max`.
//! - `air-dx`: `design_capacity_kw`, `coil_capacity_fraction`, `design_outdoor_c`,
//!   `capacity_derate_per_c`, `evaporating_c`, `condenser_approach_c`, `carnot_fraction`,
//!   `cop_min`, `cop_max`, `part_load_degradation`, optional group `economiser_full_c`,
//!   `economiser_none_c`, `economiser_pump_fraction`, `fan_fraction`, `fan_curve` (four
//!   coefficients), `fan_min_flow`, `full_flow_fraction`, `return_c`, optional
//!   `envelope_ua_fraction`.
//!
//! One file per kind: [`air_chiller`](self::air_chiller), [`liquid`](self::liquid),
//! [`immersion`](self::immersion), [`air_side`](self::air_side), [`dx`](self::dx); the warm-water loop shared by
//! liquid and immersion is in `dry_cooler`; this module holds what all share (the step result,
//! the trim chiller, the Carnot COP, reading a file by `kind`, dispatch).
//!
//! What all kinds leave out: dehumidification, humidification power (the air-side plant's
//! humidification water is counted),
//! part-load degradation of chiller COP (the Carnot-fraction model holds the fraction constant
//! at part load; the DX plant alone has the DOE-2 cycling correction), chiller staging and minimum-load cycling, the heat of UPS and distribution
//! losses (the caller may add it to `heat_w`), dynamic controls (the plant is quasi-steady
//! each step), freeze protection, fouling, and the electric power of the trim chiller's own
//! heat rejection beyond what its COP includes.

use serde::Deserialize;

use super::{FacilityError, ParamError, check_above, check_range, toml_error};
use crate::model::weather::WeatherHour;

mod air_chiller;
mod air_side;
mod dry_cooler;
mod dx;
mod immersion;
mod liquid;
mod tower;

use self::air_chiller::AirChillerToml;
pub use self::air_chiller::{AirChiller, AirHour, Economiser, HeatRejection};
use self::air_side::AirSideToml;
pub use self::air_side::{AirSidePlant, EvaporativeAssist};
pub use self::dry_cooler::{Adiabatic, DryCoolerLoop, LoopHour};
use self::dx::DxToml;
pub use self::dx::{DxEconomiser, DxPlant};
pub use self::immersion::ImmersionPlant;
use self::immersion::ImmersionToml;
use self::liquid::LiquidToml;
pub use self::liquid::{LiquidHour, LiquidPlant};
pub use self::tower::{TowerEvaporation, TowerWater};

pub(super) const KELVIN: f64 = 273.15;

/// How the plant is running this step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CoolingMode {
    /// No compressor: full economiser (air plants) or dry coolers alone (liquid, immersion).
    Free,
    /// Economiser pre-cools, chillers trim the rest (air plants).
    Partial,
    /// Chillers carry the whole load (air plants).
    Mechanical,
    /// Dry coolers with evaporative pre-cooling, no compressor (uses water).
    Adiabatic,
    /// Dry coolers (wet if fitted) at full duty, a trim chiller carries the rest.
    Trim,
}

impl CoolingMode {
    /// The mode of an air plant whose economiser carries `free` of the heat.
    #[inline]
    pub(super) fn of_free_share(free: f64) -> CoolingMode {
        if free >= 1.0 {
            CoolingMode::Free
        } else if free > 0.0 {
            CoolingMode::Partial
        } else {
            CoolingMode::Mechanical
        }
    }
}

/// Result of one step of a plant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CoolingStep {
    /// Electric power of the cooling plant (chillers, fans, pumps, towers), W. ≥ 0.
    pub power_w: f64,
    /// Most IT heat the plant could remove now, W (design capacity derated for the weather).
    pub capacity_w: f64,
    /// Heat actually removed this step: `min(heat_w, capacity_w)`, W. The rest stays in the
    /// rack group's thermal node.
    pub removed_w: f64,
    /// On-site water consumed this step (evaporation + blow-down), L. ≥ 0.
    pub evaporated_l: f64,
    /// Operating mode (for liquid plants, that of the liquid loop).
    pub mode: CoolingMode,
}

/// A plant's figures for one weather hour ([`CoolingPlant::hour`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlantHour {
    outdoor: WeatherHour,
    figures: HourFigures,
}

/// The hour's part of a step, per kind (air-side and DX plants are evaluated whole).
#[derive(Clone, Copy, Debug, PartialEq)]
enum HourFigures {
    AirChiller(AirHour),
    Liquid(LiquidHour),
    Immersion(LoopHour),
    Whole,
}

/// Air-cooled trim chiller on the warm-water loop, for when the dry coolers cannot reach the
/// supply temperature.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrimChiller {
    /// Trim capacity, fraction of the loop's design capacity, [0, 1].
    pub capacity_fraction: f64,
    /// Fraction of the Carnot COP reached, (0, 1].
    pub carnot_fraction: f64,
    /// Condensing temperature above the dry bulb, K.
    pub condenser_approach_c: f64,
    /// Lowest COP.
    pub cop_min: f64,
    /// Highest COP.
    pub cop_max: f64,
}

impl TrimChiller {
    /// Range checks shared by every plant with a trim chiller; `max_capacity` is the largest
    /// trim capacity the plant allows, as a fraction of its design capacity.
    pub(super) fn check(&self, max_capacity: f64) -> Result<(), ParamError> {
        check_range(
            self.capacity_fraction,
            0.0,
            max_capacity,
            "trim_capacity_fraction",
            "",
        )?;
        check_above(self.carnot_fraction, 0.0, 1.0, "trim_carnot_fraction")?;
        check_range(
            self.condenser_approach_c,
            0.0,
            40.0,
            "trim_condenser_approach_c",
            " K",
        )?;
        check_range(self.cop_min, 0.1, 50.0, "trim_cop_min", "")?;
        check_range(
            self.cop_max,
            self.cop_min,
            50.0,
            "trim_cop_max",
            " (and >= trim_cop_min)",
        )
    }
}

/// A cooling plant of any kind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CoolingPlant {
    /// `kind = "air-chiller"`.
    AirChiller(AirChiller),
    /// `kind = "liquid"`.
    Liquid(LiquidPlant),
    /// `kind = "immersion"`.
    Immersion(ImmersionPlant),
    /// `kind = "air-side"`.
    AirSide(AirSidePlant),
    /// `kind = "air-dx"`.
    Dx(DxPlant),
}

#[inline]
pub(super) fn cube(x: f64) -> f64 {
    x * x * x
}

/// Carnot-fraction COP, clamped; never panics (max/min, not clamp).
#[inline]
pub(super) fn carnot_cop(
    eta: f64,
    t_evap_c: f64,
    t_cond_c: f64,
    cop_min: f64,
    cop_max: f64,
) -> f64 {
    let lift = t_cond_c - t_evap_c;
    let ideal_x_eta = eta * (t_evap_c + KELVIN);
    if lift * cop_max <= ideal_x_eta {
        cop_max
    } else {
        (ideal_x_eta / lift).max(cop_min).min(cop_max)
    }
}

/// Same as [`CoolingPlant::from_toml`].
pub fn from_toml(file: &str, text: &str) -> Result<CoolingPlant, FacilityError> {
    CoolingPlant::from_toml(file, text)
}

impl CoolingPlant {
    /// Read a plant from the TOML text of `file` (the name is only used in errors).
    ///
    /// Errors name the file, the line and the field: TOML syntax, unknown fields
    /// (`deny_unknown_fields`), wrong types, missing fields, unknown `kind`, and values out of
    /// their physical range.
    pub fn from_toml(file: &str, text: &str) -> Result<CoolingPlant, FacilityError> {
        #[derive(Deserialize)]
        struct Probe {
            kind: String,
        }
        let probe: Probe = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
        let plant = match probe.kind.as_str() {
            "air-chiller" => {
                let spec: AirChillerToml =
                    toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
                spec.build("", None)
                    .map(CoolingPlant::AirChiller)
                    .map_err(|p| p.in_file(file, text))?
            }
            "liquid" => {
                let spec: LiquidToml =
                    toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
                spec.build().map_err(|p| p.in_file(file, text))?
            }
            "immersion" => {
                let spec: ImmersionToml =
                    toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
                spec.build().map_err(|p| p.in_file(file, text))?
            }
            "air-side" => {
                let spec: AirSideToml =
                    toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
                spec.build().map_err(|p| p.in_file(file, text))?
            }
            "air-dx" => {
                let spec: DxToml = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
                spec.build().map_err(|p| p.in_file(file, text))?
            }
            other => {
                return Err(ParamError::new(
                    "kind",
                    format!("unknown cooling plant kind `{other}`; expected one of `air-chiller`, `liquid`, `immersion`, `air-side`, `air-dx`"),
                )
                .in_file(file, text));
            }
        };
        plant.check().map_err(|p| p.in_file(file, text))?;
        Ok(plant)
    }

    /// Check every parameter (for plants built or modified in code). Field names in errors
    /// are the model-file names (`design_capacity_kw`, `air.crah_min_speed`, ...).
    pub fn validate(&self) -> Result<(), FacilityError> {
        self.check().map_err(FacilityError::from)
    }

    fn check(&self) -> Result<(), ParamError> {
        match self {
            CoolingPlant::AirChiller(a) => a.check(""),
            CoolingPlant::Liquid(l) => {
                check_above(l.liquid_fraction, 0.0, 1.0, "liquid_fraction")?;
                l.dry_loop.check()?;
                if l.liquid_fraction < 1.0 {
                    l.air.check("air.")?;
                }
                Ok(())
            }
            CoolingPlant::Immersion(i) => {
                i.dry_loop.check()?;
                check_range(i.room_fan_fraction, 0.0, 0.2, "room_fan_fraction", "")
            }
            CoolingPlant::AirSide(a) => a.check(),
            CoolingPlant::Dx(x) => x.check(),
        }
    }

    /// Design heat load of the whole plant (all IT heat), W.
    pub fn design_capacity_w(&self) -> f64 {
        match self {
            CoolingPlant::AirChiller(a) => a.design_capacity_w,
            CoolingPlant::Liquid(l) => l.dry_loop.design_capacity_w / l.fraction(),
            CoolingPlant::Immersion(i) => i.dry_loop.design_capacity_w,
            CoolingPlant::AirSide(a) => a.design_capacity_w,
            CoolingPlant::Dx(x) => x.design_capacity_w,
        }
    }

    /// The same plant sized for a design IT heat load of `design_w` (all fan, pump and capacity
    /// figures are fractions of design, so they scale with it). For liquid plants the loop gets
    /// `liquid_fraction * design_w` and the air side the rest.
    pub fn with_design_capacity_w(&self, design_w: f64) -> CoolingPlant {
        let mut p = *self;
        match &mut p {
            CoolingPlant::AirChiller(a) => {
                a.design_capacity_w = design_w;
                a.terminal_capacity_w = design_w;
            }
            CoolingPlant::Liquid(l) => {
                let f = l.fraction();
                l.dry_loop.design_capacity_w = f * design_w;
                l.dry_loop.terminal_capacity_w = f * design_w;
                l.air.design_capacity_w = (1.0 - f) * design_w;
                l.air.terminal_capacity_w = (1.0 - f) * design_w;
            }
            CoolingPlant::Immersion(i) => {
                i.dry_loop.design_capacity_w = design_w;
                i.dry_loop.terminal_capacity_w = design_w;
            }
            CoolingPlant::AirSide(a) => {
                a.design_capacity_w = design_w;
                a.terminal_capacity_w = design_w;
            }
            CoolingPlant::Dx(x) => {
                x.design_capacity_w = design_w;
                x.terminal_capacity_w = design_w;
            }
        }
        p
    }

    /// The same plant with its room side (CRAH fan walls, CDUs, pumps: what carries the heat
    /// to the heat-rejection plant) able to carry `terminal_w` of IT heat whatever the
    /// weather (for liquid plants split by `liquid_fraction` like the design). In cold weather
    /// the heat-rejection plant (chillers, towers, dry coolers, economiser) can remove more
    /// than its design capacity; the room side then sets the limit. Values below the design
    /// capacity are raised to it.
    pub fn with_terminal_capacity_w(&self, terminal_w: f64) -> CoolingPlant {
        let mut p = *self;
        let w = terminal_w.max(self.design_capacity_w());
        match &mut p {
            CoolingPlant::AirChiller(a) => a.terminal_capacity_w = w,
            CoolingPlant::Liquid(l) => {
                let f = l.fraction();
                l.dry_loop.terminal_capacity_w = f * w;
                l.air.terminal_capacity_w = (1.0 - f) * w;
            }
            CoolingPlant::Immersion(i) => i.dry_loop.terminal_capacity_w = w,
            CoolingPlant::AirSide(a) => a.terminal_capacity_w = w,
            CoolingPlant::Dx(x) => x.terminal_capacity_w = w,
        }
        p
    }

    /// Most IT heat the plant can remove in this weather, W.
    #[inline]
    pub fn capacity_w(&self, outdoor: &WeatherHour) -> f64 {
        match self {
            CoolingPlant::AirChiller(a) => a.capacity_w(outdoor),
            CoolingPlant::Liquid(l) => l.capacity_w(outdoor),
            CoolingPlant::Immersion(i) => i.capacity_w(outdoor),
            CoolingPlant::AirSide(a) => a.capacity_w(outdoor),
            CoolingPlant::Dx(x) => x.capacity_w(outdoor),
        }
    }

    /// One step: power, capacity, heat removed, water and mode when `heat_w` of IT heat is
    /// offered in `outdoor` weather for `dt_s` seconds. Heat above the capacity is not removed
    /// (the caller's [`ThermalNode`](super::ThermalNode) keeps it). Finite inputs give finite,
    /// non-negative outputs; negative heat or time counts as 0. Does not allocate.
    ///
    /// Hotter weather never lowers the power for the same heat removed (tested), except on an
    /// air-side plant whose assist starts above its supply temperature (`evaporative_above_c`),
    /// where evaporation takes over from the trim and power buys back water. When the heat
    /// exceeds the capacity, a hotter hour removes less heat, and the power of the heat
    /// actually removed can then be lower.
    #[inline]
    pub fn evaluate(&self, heat_w: f64, outdoor: &WeatherHour, dt_s: f64) -> CoolingStep {
        match self {
            CoolingPlant::AirChiller(a) => a.evaluate(heat_w, outdoor, dt_s),
            CoolingPlant::Liquid(l) => l.evaluate(heat_w, outdoor, dt_s),
            CoolingPlant::Immersion(i) => i.evaluate(heat_w, outdoor, dt_s),
            CoolingPlant::AirSide(a) => a.evaluate(heat_w, outdoor, dt_s),
            CoolingPlant::Dx(x) => x.evaluate(heat_w, outdoor, dt_s),
        }
    }

    /// What this plant's steps need of weather hour `outdoor`, for [`CoolingPlant::evaluate_in`]
    /// at every step of the hour (a plant's evaluation depends on the weather only hourly, and
    /// that part costs more than the heat's).
    #[inline]
    pub fn hour(&self, outdoor: &WeatherHour) -> PlantHour {
        PlantHour {
            outdoor: *outdoor,
            figures: match self {
                CoolingPlant::AirChiller(a) => HourFigures::AirChiller(a.hour(outdoor)),
                CoolingPlant::Liquid(l) => HourFigures::Liquid(l.hour(outdoor)),
                CoolingPlant::Immersion(i) => HourFigures::Immersion(i.dry_loop.hour(outdoor)),
                CoolingPlant::AirSide(_) | CoolingPlant::Dx(_) => HourFigures::Whole,
            },
        }
    }

    /// [`CoolingPlant::evaluate`] in the hour `h` (this plant's [`CoolingPlant::hour`]): the
    /// same numbers, the hour's part taken from `h`. An hour of another kind of plant is
    /// evaluated from its weather.
    #[inline]
    pub fn evaluate_in(&self, h: &PlantHour, heat_w: f64, dt_s: f64) -> CoolingStep {
        match (self, &h.figures) {
            (CoolingPlant::AirChiller(a), HourFigures::AirChiller(x)) => {
                a.evaluate_in(x, heat_w, dt_s)
            }
            (CoolingPlant::Liquid(l), HourFigures::Liquid(x)) => l.evaluate_in(x, heat_w, dt_s),
            (CoolingPlant::Immersion(i), HourFigures::Immersion(x)) => {
                i.evaluate_in(x, heat_w, dt_s)
            }
            _ => self.evaluate(heat_w, &h.outdoor, dt_s),
        }
    }

    /// [`CoolingPlant::evaluate_in`] at `K` heats, each the same numbers: the plant's kind
    /// and hour matched once, not at each (a quiet block fits each plant through four of its
    /// points, and the match and the call cost a fifth of an evaluation).
    #[inline]
    pub fn evaluate_many_in<const K: usize>(
        &self,
        h: &PlantHour,
        heat_w: [f64; K],
        dt_s: f64,
    ) -> [CoolingStep; K] {
        match (self, &h.figures) {
            (CoolingPlant::AirChiller(a), HourFigures::AirChiller(x)) => {
                heat_w.map(|q| a.evaluate_in(x, q, dt_s))
            }
            (CoolingPlant::Liquid(l), HourFigures::Liquid(x)) => {
                heat_w.map(|q| l.evaluate_in(x, q, dt_s))
            }
            (CoolingPlant::Immersion(i), HourFigures::Immersion(x)) => {
                heat_w.map(|q| i.evaluate_in(x, q, dt_s))
            }
            _ => heat_w.map(|q| self.evaluate(q, &h.outdoor, dt_s)),
        }
    }
}

/// All of `vals` set, or none; names the first missing or the first stray one.
pub(super) fn all_or_none<const N: usize>(
    vals: [Option<f64>; N],
    names: [&str; N],
    prefix: &str,
) -> Result<Option<[f64; N]>, ParamError> {
    let set = vals.iter().filter(|v| v.is_some()).count();
    if set == 0 {
        return Ok(None);
    }
    let mut out = [0.0; N];
    for i in 0..N {
        match vals[i] {
            Some(v) => out[i] = v,
            None => {
                let others: Vec<&str> = names
                    .iter()
                    .zip(vals.iter())
                    .filter(|(_, v)| v.is_some())
                    .map(|(n, _)| *n)
                    .collect();
                return Err(ParamError::new(
                    format!("{prefix}{}", names[i]),
                    format!(
                        "missing: required together with {} (set all of {} or none)",
                        others.join(", "),
                        names.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod hour_tests;
#[cfg(test)]
mod tests;
