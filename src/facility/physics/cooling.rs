//! Cooling plants: how much electric power, and how much water, it takes to remove a given IT
//! heat load in given weather, and how much heat the plant can remove at all.
//!
//! Three kinds, read from `models/cooling/<name>.toml` by [`CoolingPlant::from_toml`] and
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
//!
//! All fan, pump and capacity parameters are fractions of the plant's design heat load, so a
//! plant file describes a *type* of plant and [`CoolingPlant::with_design_capacity_w`] sizes it
//! for a rack group. Per-step use: [`CoolingPlant::evaluate`] (no allocation, a few dozen
//! floating-point operations, no `powf`).
//!
//! Model-file fields (kW, °C, K, fractions; every field required unless marked optional;
//! unknown fields are errors):
//!
//! - `air-chiller`: `design_capacity_kw`, `heat_rejection` (`"tower"` | `"dry"`),
//!   `design_outdoor_c`, `capacity_derate_per_c`, `evaporative_share` and
//!   `cycles_of_concentration` (towers only), `economiser_full_c` + `economiser_none_c`
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
//!   `evaporative_pump_fraction`; and `trim_capacity_fraction`, `trim_carnot_fraction`,
//!   `trim_condenser_approach_c`, `trim_cop_min`, `trim_cop_max`.
//!
//! What all kinds leave out: humidity control (dehumidification and humidification power),
//! part-load degradation of chiller COP (the Carnot-fraction model holds the fraction constant
//! at part load), chiller staging and minimum-load cycling, the heat of UPS and distribution
//! losses (the caller may add it to `heat_w`), dynamic controls (the plant is quasi-steady
//! each step), freeze protection, fouling, and the electric power of the trim chiller's own
//! heat rejection beyond what its COP includes.

use serde::Deserialize;

use super::{FacilityError, ParamError, check, check_range, toml_error, water};
use crate::weather::WeatherHour;

const KELVIN: f64 = 273.15;

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

/// How an [`AirChiller`] plant rejects its heat.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HeatRejection {
    /// Open cooling towers and water-cooled chillers: outdoor temperature is the wet bulb;
    /// evaporates water.
    Tower {
        /// Share of the rejected heat that leaves as latent heat, [0, 1].
        evaporative_share: f64,
        /// Cycles of concentration of the tower water, > 1.
        cycles_of_concentration: f64,
    },
    /// Air-cooled chillers (and dry free-cooling coils): outdoor temperature is the dry bulb;
    /// no water.
    Dry,
}

/// Water-side (or dry-coil) economiser thresholds on the heat-rejection temperature (wet bulb
/// for towers, dry bulb for dry), °C: all heat free-cooled at or below `full_c`, none at or
/// above `none_c`, linear in between (a series economiser pre-cooling the return water).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Economiser {
    /// At or below: all heat free-cooled, °C.
    pub full_c: f64,
    /// At or above: no free cooling, °C.
    pub none_c: f64,
}

/// Air-cooled hall on a chilled-water plant.
///
/// With `T` the heat-rejection temperature (wet bulb for towers, dry bulb for dry), `D` the
/// design capacity and `Q` the IT heat offered:
///
/// ```text
/// chillers = D * max(0, 1 - derate * (T - T_design))    (rises below design, falls above)
/// capacity = min(R, chillers / (1 - f_free))           (R: room side, CRAH at full speed)
/// Q_r      = min(Q, capacity)                         heat removed
/// x        = Q_r / D                                  load fraction
/// f_free   = 1 (T <= full), 0 (T >= none), linear between          economiser share
/// COP      = clamp(eta * T_evap_K / (T_cond - T_evap), COP_min, COP_max)
///            T_evap = chw_supply_c,  T_cond = T + condenser_approach_c
/// chiller  = Q_r * (1 - f_free) / COP
/// CRAH     = crah_fan_fraction * D * max(x, crah_min_speed)^3      fan affinity law
/// pumps    = pump_fraction * Q_r
/// tower:   fans = rejection_fan_fraction * (Q_r + chiller);  water from (Q_r + chiller)
/// dry:     fans = rejection_fan_fraction * Q_r * f_free   (free-cooling coil fans; the
///          condenser fans of the chillers are inside their COP, as AHRI 550/590 rates them)
/// ```
///
/// The Carnot-fraction COP is the textbook reversed-Carnot bound scaled by a constant
/// efficiency `eta` fitted to a rated point: e.g. ASHRAE 90.1-2010 Table 6.8.1C minimum for
/// large water-cooled centrifugal chillers, 0.560 kW/ton (COP 6.28) at AHRI 550/590 conditions
/// (6.7 °C leaving chilled water, 29.4 °C entering condenser water ≈ 25.6 °C wet bulb + 3.9 K
/// tower approach), gives eta ≈ 0.67 with T_cond = wet bulb + 11 K; the air-cooled minimum,
/// 9.562 EER (COP 2.80) at 35 °C ambient, gives eta ≈ 0.43 with T_cond = dry bulb + 15 K.
/// The capacity of the heat-rejection side is linear in the rejection temperature (plant files
/// give the slope and its source): a tower or an air-cooled condenser rejects heat in
/// proportion to its approach to the outdoor air, so the chillers' condensing temperature
/// falls, and their capacity rises, in cooler weather, by the same slope as it falls above
/// design (an estimate; compressor and motor limits are left to the room-side cap `R`). The
/// economiser's share of the load needs no chiller capacity, so in full free cooling only the
/// room side limits the plant. A plant is *saturated* when the heat offered exceeds this
/// capacity. CRAH airflow follows the heat load at constant air
/// temperature rise, so fan power follows the cube of the load fraction (affinity laws) down
/// to the minimum speed (1.0 for constant-speed legacy fans).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AirChiller {
    /// Heat removal at design conditions, W.
    pub design_capacity_w: f64,
    /// Most heat the room side (CRAH fan walls and coils at full speed, pumps) can carry,
    /// whatever the weather, W. Set by [`CoolingPlant::with_terminal_capacity_w`]; a plant read
    /// from a file starts with it equal to the design capacity.
    pub terminal_capacity_w: f64,
    /// Heat-rejection temperature up to which the full design capacity is available, °C.
    pub design_outdoor_c: f64,
    /// Fractional capacity lost per kelvin above `design_outdoor_c`.
    pub capacity_derate_per_c: f64,
    /// Towers (wet bulb, water) or dry (dry bulb, no water).
    pub heat_rejection: HeatRejection,
    /// `None`: no economiser (chillers all year).
    pub economiser: Option<Economiser>,
    /// Chilled-water supply temperature (taken as the evaporating temperature), °C.
    pub chw_supply_c: f64,
    /// Condensing temperature above the heat-rejection temperature, K.
    pub condenser_approach_c: f64,
    /// Fraction of the Carnot COP the chillers reach, (0, 1].
    pub carnot_fraction: f64,
    /// Lowest COP (at the largest lift).
    pub cop_min: f64,
    /// Highest COP (at small lift; compressor minimum-lift limits).
    pub cop_max: f64,
    /// CRAH fan power at design airflow, fraction of design capacity.
    pub crah_fan_fraction: f64,
    /// Minimum CRAH fan speed, fraction of design (1 = constant speed).
    pub crah_min_speed: f64,
    /// Chilled- and condenser-water pump power, W per W of heat removed.
    pub pump_fraction: f64,
    /// Tower fans (W per W rejected) or dry free-cooling coil fans (W per W free-cooled).
    pub rejection_fan_fraction: f64,
}

/// Adiabatic (evaporative pre-cooling) assist of a dry cooler.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adiabatic {
    /// Sprays/pads may run only when the dry bulb is above this, °C.
    pub above_c: f64,
    /// Saturation effectiveness of the pads, [0, 1]: `T_air = db - eff * (db - wb)`.
    pub effectiveness: f64,
    /// Air temperature rise through the dry cooler at design, K (sets the airflow).
    pub air_rise_c: f64,
    /// Cycles of concentration of the recirculated pad water, > 1.
    pub cycles_of_concentration: f64,
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
    fn check(&self, max_capacity: f64) -> Result<(), ParamError> {
        check_range(
            self.capacity_fraction,
            0.0,
            max_capacity,
            "trim_capacity_fraction",
            "",
        )?;
        check(
            self.carnot_fraction.is_finite()
                && self.carnot_fraction > 0.0
                && self.carnot_fraction <= 1.0,
            "trim_carnot_fraction",
            || format!("expected a number in (0, 1], got {}", self.carnot_fraction),
        )?;
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

/// Warm-water loop rejecting heat through dry coolers: the liquid side of [`LiquidPlant`] and
/// the whole of [`ImmersionPlant`].
///
/// With `D` the loop's design capacity, supply temperature `T_s`, design dry bulb `T_d` (the
/// dry bulb at which the dry coolers at full fan speed just hold `T_s` at `D`) and effective
/// air temperature `T_a` (dry bulb, or `db - eff * (db - wb)` with the pads wet):
///
/// ```text
/// C_full(T_a) = D * max(0, T_s - T_a) / (T_s - T_d)      full-fan capacity (fixed UA and flows:
///                                                         heat ∝ the temperature difference)
/// capacity    = min(R, C_full(T_a,wet or dry) + trim_fraction * D)   (R: CDUs and pumps)
/// Q_r         = min(Q, capacity)
/// dry:        s = Q_r / C_full(db); fans = fan_fraction * D * max(s, min_speed)^3 (s <= 1)
/// wet:        (Q_r > C_full(db), db > above_c) fans at full speed; the pads pre-cool the
///             air by just what is needed, ΔT = db - max(T_a, T_s - (Q_r / D) * (T_s - T_d)),
///             evaporating D * ΔT / air_rise / h_fg kg/s (full airflow D / (c_p * air_rise)
///             cooled by ΔT), plus blow-down at the pads' cycles of concentration
/// trim:       (Q_r > C_full of the best mode) fans full; trim = (Q_r - C_full) / COP_trim,
///             COP_trim = clamp(eta * T_s,K / (db + approach - T_s), min, max)
/// pumps       = pump_fraction * Q_r
/// ```
///
/// The sprays run only when the dry coolers at full speed cannot hold the supply temperature,
/// and then only as much as needed (the water-saving control of adiabatic coolers, which
/// "automatically vary the amount of water used" — vendor literature), and the fans stay at
/// full speed while wet (conservative for power, generous for water). With `above_c <= design_outdoor_c`, cooling power never falls as
/// the weather gets hotter. Left out: glycol properties, the approach's mild dependence on
/// airflow (effectiveness-NTU), pad pump power (~0.1 % of heat), and water treatment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DryCoolerLoop {
    /// Heat the loop removes at design (full fans, dry bulb `design_outdoor_c`), W.
    pub design_capacity_w: f64,
    /// Most heat the loop's CDUs and pumps can carry whatever the weather, W (see
    /// [`AirChiller::terminal_capacity_w`]).
    pub terminal_capacity_w: f64,
    /// Facility-water supply temperature, °C.
    pub supply_c: f64,
    /// Dry bulb at which full-speed dry coolers hold `supply_c` at design heat, °C.
    pub design_outdoor_c: f64,
    /// Dry-cooler fan power at full speed, fraction of design capacity.
    pub fan_fraction: f64,
    /// Minimum dry-cooler fan speed, fraction.
    pub fan_min_speed: f64,
    /// Pump power (CDU secondary + facility water), W per W removed.
    pub pump_fraction: f64,
    /// Evaporative pre-cooling, if fitted.
    pub adiabatic: Option<Adiabatic>,
    /// Trim chiller, if fitted.
    pub trim: Option<TrimChiller>,
}

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

/// Single-phase immersion: all IT heat goes to the tanks' coolant, through a heat exchanger to
/// a [`DryCoolerLoop`]. No CRAH; `room_fan_fraction * D` of constant room ventilation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ImmersionPlant {
    /// Sized for all the IT heat.
    pub dry_loop: DryCoolerLoop,
    /// Room ventilation, fraction of design capacity (constant).
    pub room_fan_fraction: f64,
}

/// Evaporative assist of an [`AirSidePlant`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EvaporativeAssist {
    /// `true`: direct (wetted media in the supply air, which gains moisture); `false`:
    /// indirect (a wet secondary air stream cools the supply air through a heat exchanger).
    pub direct: bool,
    /// Wet-bulb effectiveness, [0, 1]: the supply air can be cooled to
    /// `db - effectiveness * (db - wb)`.
    pub effectiveness: f64,
    /// Cycles of concentration of the recirculated sump water, > 1.
    pub cycles_of_concentration: f64,
    /// Recirculation pump power while evaporating, W per W of IT heat removed.
    pub pump_fraction: f64,
}

/// Air-side economiser: outdoor air is filtered and blown through the hall at supply
/// temperature `T_s`, leaving `air_rise_c` warmer (return `T_r = T_s + rise`); the airflow
/// follows the load at a constant rise (`m = Q / (c_p * rise)`). With `db` and `wb` outdoors,
/// `D` the design heat and `R` the room side (fan walls at full speed):
///
/// ```text
/// db <= T_s:   free: outdoor air mixed with return air to T_s; fans only, no water
/// db >  T_s:   evaporative assist (if fitted) cools the air toward T_e = db - eff * (db - wb),
///              only as far as needed: T_a = max(T_e, T_s);
///              water = m * c_p * (db - T_a) / h_fg (direct: the supply air's sensible heat
///              turns into latent heat; indirect: the same heat leaves the wet secondary
///              stream), plus blow-down at the sump's cycles of concentration
///              mechanical trim: the air (evaporatively cooled outdoor air, or recirculated
///              return air when that is cooler, T_m = min(T_a, T_r)) is cooled to T_s:
///              trim heat = Q_r * (T_m - T_s) / rise, power = trim heat / COP,
///              COP = clamp(eta * T_s,K / (db + approach - T_s), min, max)
/// capacity     = R when T_m <= T_s, else min(R, trim_fraction * D * rise / (T_m - T_s))
///              (T_m with the pads at full effectiveness)
/// fans         = fan_fraction * D * max(Q_r / D, min_speed)^3
/// ```
///
/// Left out: humidification in cold dry weather (some operators humidify with water in
/// winter), dehumidification, filter pressure drop changing with loading, and the fans of
/// the indirect secondary stream beyond what `fan_fraction` includes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AirSidePlant {
    /// Heat removal at design, W (the trim is sized from it).
    pub design_capacity_w: f64,
    /// Most heat the fan walls can carry, W (see [`AirChiller::terminal_capacity_w`]).
    pub terminal_capacity_w: f64,
    /// Supply air temperature, °C.
    pub supply_c: f64,
    /// Air temperature rise through the IT, K.
    pub air_rise_c: f64,
    /// Fan power at design airflow, fraction of design heat.
    pub fan_fraction: f64,
    /// Minimum fan speed, fraction.
    pub fan_min_speed: f64,
    /// Evaporative assist, if fitted.
    pub evaporative: Option<EvaporativeAssist>,
    /// Mechanical trim (DX or chilled-water coil on air-cooled chillers).
    pub trim: TrimChiller,
}

impl AirSidePlant {
    /// Best air temperature the evaporative assist can reach, °C (the dry bulb without one).
    #[inline]
    fn evaporated_air_c(&self, outdoor: &WeatherHour) -> f64 {
        let db = outdoor.dry_bulb_c;
        match self.evaporative {
            Some(e) if db > self.supply_c => {
                let wb = outdoor.wet_bulb_c.min(db);
                db - e.effectiveness * (db - wb)
            }
            _ => db,
        }
    }

    /// Heat removal capacity in this weather, W.
    #[inline]
    pub fn capacity_w(&self, outdoor: &WeatherHour) -> f64 {
        let t_m = self
            .evaporated_air_c(outdoor)
            .min(self.supply_c + self.air_rise_c);
        let excess = t_m - self.supply_c;
        if excess <= 0.0 {
            return self.terminal_capacity_w;
        }
        (self.trim.capacity_fraction * self.design_capacity_w * self.air_rise_c / excess)
            .min(self.terminal_capacity_w)
    }

    /// One step (see the type's docs).
    #[inline]
    pub fn evaluate(&self, heat_w: f64, outdoor: &WeatherHour, dt_s: f64) -> CoolingStep {
        let capacity = self.capacity_w(outdoor);
        let removed = heat_w.max(0.0).min(capacity);
        let d = self.design_capacity_w;
        let x = if d > 0.0 { removed / d } else { 0.0 };
        let fans = self.fan_fraction * d * cube(x.max(self.fan_min_speed));
        let db = outdoor.dry_bulb_c;
        let dt = dt_s.max(0.0);
        if db <= self.supply_c {
            return CoolingStep {
                power_w: fans,
                capacity_w: capacity,
                removed_w: removed,
                evaporated_l: 0.0,
                mode: CoolingMode::Free,
            };
        }
        let rise = self.air_rise_c;
        let t_return = self.supply_c + rise;
        // Evaporative assist, only as far as needed, and only when outdoor air beats the
        // return air (otherwise the hall recirculates and the trim cools return air).
        let (t_a, water_l, pump_w) = match self.evaporative {
            Some(e) if db < t_return + e.effectiveness * (db - outdoor.wet_bulb_c.min(db)) => {
                let t_a = self.evaporated_air_c(outdoor).max(self.supply_c);
                // Sensible heat taken out of the supply air, W: m c_p (db - T_a) with
                // m c_p = Q_r / rise.
                let evap_heat_w = removed * (db - t_a) / rise;
                let l = water::onsite_water_l(evap_heat_w * dt, 1.0, e.cycles_of_concentration);
                let pump = if l > 0.0 {
                    e.pump_fraction * removed
                } else {
                    0.0
                };
                (t_a, l, pump)
            }
            _ => (db, 0.0, 0.0),
        };
        let t_m = t_a.min(t_return);
        let trim_heat = removed * ((t_m - self.supply_c) / rise).max(0.0);
        let trim_w = if trim_heat > 0.0 {
            trim_heat
                / carnot_cop(
                    self.trim.carnot_fraction,
                    self.supply_c,
                    db + self.trim.condenser_approach_c,
                    self.trim.cop_min,
                    self.trim.cop_max,
                )
        } else {
            0.0
        };
        let mode = if trim_heat > 0.0 {
            CoolingMode::Trim
        } else if water_l > 0.0 {
            CoolingMode::Adiabatic
        } else {
            CoolingMode::Free
        };
        CoolingStep {
            power_w: fans + pump_w + trim_w,
            capacity_w: capacity,
            removed_w: removed,
            evaporated_l: water_l,
            mode,
        }
    }

    fn check(&self) -> Result<(), ParamError> {
        check_range(
            self.design_capacity_w,
            f64::MIN_POSITIVE,
            f64::MAX,
            "design_capacity_kw",
            "",
        )?;
        check_range(self.supply_c, 10.0, 40.0, "supply_c", " °C")?;
        check_range(self.air_rise_c, 2.0, 30.0, "air_rise_c", " K")?;
        check_range(self.fan_fraction, 0.0, 0.5, "fan_fraction", "")?;
        check_range(self.fan_min_speed, 0.0, 1.0, "fan_min_speed", "")?;
        if let Some(e) = self.evaporative {
            check_range(e.effectiveness, 0.0, 1.0, "evaporative_effectiveness", "")?;
            check(
                e.cycles_of_concentration.is_finite()
                    && e.cycles_of_concentration > 1.0
                    && e.cycles_of_concentration <= 100.0,
                "evaporative_cycles_of_concentration",
                || {
                    format!(
                        "expected a number in (1, 100], got {}",
                        e.cycles_of_concentration
                    )
                },
            )?;
            check_range(e.pump_fraction, 0.0, 0.1, "evaporative_pump_fraction", "")?;
        }
        self.trim.check(2.0)
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
}

#[inline]
fn cube(x: f64) -> f64 {
    x * x * x
}

/// Carnot-fraction COP, clamped; never panics (max/min, not clamp).
#[inline]
fn carnot_cop(eta: f64, t_evap_c: f64, t_cond_c: f64, cop_min: f64, cop_max: f64) -> f64 {
    let lift = t_cond_c - t_evap_c;
    let ideal_x_eta = eta * (t_evap_c + KELVIN);
    if lift * cop_max <= ideal_x_eta {
        cop_max
    } else {
        (ideal_x_eta / lift).max(cop_min).min(cop_max)
    }
}

impl AirChiller {
    /// The outdoor temperature this plant rejects heat to: wet bulb (towers; clamped to at
    /// most the dry bulb) or dry bulb.
    #[inline]
    pub fn rejection_temp_c(&self, outdoor: &WeatherHour) -> f64 {
        match self.heat_rejection {
            HeatRejection::Tower { .. } => outdoor.wet_bulb_c.min(outdoor.dry_bulb_c),
            HeatRejection::Dry => outdoor.dry_bulb_c,
        }
    }

    /// Capacity at heat-rejection temperature `t`: the chillers' capacity moves with the
    /// condensing temperature (linear in `t - design_outdoor_c`, up below design as well as
    /// down above it); a series economiser carrying `f` of the load leaves the chillers only
    /// `1 - f` of it, so the plant carries `chillers / (1 - f)`; the room side caps it all.
    #[inline]
    fn capacity_at(&self, t: f64) -> f64 {
        let chillers = self.design_capacity_w
            * (1.0 - self.capacity_derate_per_c * (t - self.design_outdoor_c)).max(0.0);
        let free = self.free_fraction(t);
        let plant = if free >= 1.0 {
            f64::INFINITY
        } else {
            chillers / (1.0 - free)
        };
        plant.min(self.terminal_capacity_w)
    }

    /// Heat removal capacity in this weather, W.
    #[inline]
    pub fn capacity_w(&self, outdoor: &WeatherHour) -> f64 {
        self.capacity_at(self.rejection_temp_c(outdoor))
    }

    /// Share of the heat free-cooled at rejection temperature `t`.
    #[inline]
    pub fn free_fraction(&self, t: f64) -> f64 {
        match self.economiser {
            None => 0.0,
            Some(e) => {
                if t <= e.full_c {
                    1.0
                } else if t >= e.none_c {
                    0.0
                } else {
                    (e.none_c - t) / (e.none_c - e.full_c)
                }
            }
        }
    }

    /// Chiller COP at rejection temperature `t`.
    #[inline]
    pub fn cop(&self, t: f64) -> f64 {
        carnot_cop(
            self.carnot_fraction,
            self.chw_supply_c,
            t + self.condenser_approach_c,
            self.cop_min,
            self.cop_max,
        )
    }

    /// One step (see the type's docs for the equations).
    #[inline]
    pub fn evaluate(&self, heat_w: f64, outdoor: &WeatherHour, dt_s: f64) -> CoolingStep {
        let t = self.rejection_temp_c(outdoor);
        let d = self.design_capacity_w;
        let capacity = self.capacity_at(t);
        let removed = heat_w.max(0.0).min(capacity);
        let x = if d > 0.0 { (removed / d).min(1.0) } else { 0.0 };
        let free = self.free_fraction(t);
        let chiller_w = if free < 1.0 {
            removed * (1.0 - free) / self.cop(t)
        } else {
            0.0
        };
        let crah_w = self.crah_fan_fraction * d * cube(x.max(self.crah_min_speed));
        let pump_w = self.pump_fraction * removed;
        let dt = dt_s.max(0.0);
        let (rejection_w, water_l) = match self.heat_rejection {
            HeatRejection::Tower {
                evaporative_share,
                cycles_of_concentration,
            } => {
                let rejected = removed + chiller_w;
                (
                    self.rejection_fan_fraction * rejected,
                    water::onsite_water_l(
                        rejected * dt,
                        evaporative_share,
                        cycles_of_concentration,
                    ),
                )
            }
            HeatRejection::Dry => (self.rejection_fan_fraction * removed * free, 0.0),
        };
        let mode = if free >= 1.0 {
            CoolingMode::Free
        } else if free > 0.0 {
            CoolingMode::Partial
        } else {
            CoolingMode::Mechanical
        };
        CoolingStep {
            power_w: chiller_w + crah_w + pump_w + rejection_w,
            capacity_w: capacity,
            removed_w: removed,
            evaporated_l: water_l,
            mode,
        }
    }

    fn check(&self, p: &str) -> Result<(), ParamError> {
        let f = |name: &str| format!("{p}{name}");
        check_range(
            self.design_capacity_w,
            f64::MIN_POSITIVE,
            f64::MAX,
            &f("design_capacity_kw"),
            "",
        )?;
        check_range(
            self.design_outdoor_c,
            -60.0,
            70.0,
            &f("design_outdoor_c"),
            " °C",
        )?;
        check_range(
            self.capacity_derate_per_c,
            0.0,
            0.2,
            &f("capacity_derate_per_c"),
            " per K",
        )?;
        if let HeatRejection::Tower {
            evaporative_share,
            cycles_of_concentration,
        } = self.heat_rejection
        {
            check_range(evaporative_share, 0.0, 1.0, &f("evaporative_share"), "")?;
            check(
                cycles_of_concentration.is_finite()
                    && cycles_of_concentration > 1.0
                    && cycles_of_concentration <= 100.0,
                &f("cycles_of_concentration"),
                || format!("expected a number in (1, 100], got {cycles_of_concentration}"),
            )?;
        }
        if let Some(e) = self.economiser {
            check_range(e.full_c, -60.0, 60.0, &f("economiser_full_c"), " °C")?;
            check_range(e.none_c, -60.0, 60.0, &f("economiser_none_c"), " °C")?;
            check(e.full_c < e.none_c, &f("economiser_none_c"), || {
                format!(
                    "must be above economiser_full_c ({}), got {}",
                    e.full_c, e.none_c
                )
            })?;
        }
        check_range(self.chw_supply_c, -10.0, 40.0, &f("chw_supply_c"), " °C")?;
        check_range(
            self.condenser_approach_c,
            0.0,
            40.0,
            &f("condenser_approach_c"),
            " K",
        )?;
        check(
            self.carnot_fraction.is_finite()
                && self.carnot_fraction > 0.0
                && self.carnot_fraction <= 1.0,
            &f("carnot_fraction"),
            || format!("expected a number in (0, 1], got {}", self.carnot_fraction),
        )?;
        check_range(self.cop_min, 0.1, 50.0, &f("cop_min"), "")?;
        check_range(
            self.cop_max,
            self.cop_min,
            50.0,
            &f("cop_max"),
            " (and >= cop_min)",
        )?;
        check_range(
            self.crah_fan_fraction,
            0.0,
            0.5,
            &f("crah_fan_fraction"),
            "",
        )?;
        check_range(self.crah_min_speed, 0.0, 1.0, &f("crah_min_speed"), "")?;
        check_range(self.pump_fraction, 0.0, 0.5, &f("pump_fraction"), "")?;
        check_range(
            self.rejection_fan_fraction,
            0.0,
            0.5,
            &f("rejection_fan_fraction"),
            "",
        )?;
        if matches!(self.heat_rejection, HeatRejection::Dry) && self.economiser.is_some() {
            // Free cooling must cost less per watt than the chillers at their best, or hotter
            // weather could lower the power (a plant nobody would build).
            check(
                self.rejection_fan_fraction * self.cop_max <= 1.0,
                &f("rejection_fan_fraction"),
                || {
                    format!(
                        "free-cooling coil fans ({}) must cost no more than the chillers at cop_max (1/{} = {:.3} W/W)",
                        self.rejection_fan_fraction,
                        self.cop_max,
                        1.0 / self.cop_max
                    )
                },
            )?;
        }
        Ok(())
    }
}

/// Output of a [`DryCoolerLoop`] step.
#[derive(Clone, Copy, Debug, PartialEq)]
struct LoopStep {
    power_w: f64,
    water_l: f64,
    mode: CoolingMode,
}

impl DryCoolerLoop {
    /// Full-fan-speed capacity with air at `t_air_c`, W.
    #[inline]
    fn full_capacity(&self, t_air_c: f64) -> f64 {
        let design_approach = self.supply_c - self.design_outdoor_c;
        let approach = self.supply_c - t_air_c;
        if design_approach > 0.0 && approach > 0.0 {
            self.design_capacity_w * approach / design_approach
        } else {
            0.0
        }
    }

    /// Effective air temperature with the pads wet, if the sprays may run in this weather.
    #[inline]
    fn wet_air_c(&self, outdoor: &WeatherHour) -> Option<f64> {
        let a = self.adiabatic?;
        let db = outdoor.dry_bulb_c;
        if db > a.above_c {
            let wb = outdoor.wet_bulb_c.min(db);
            Some(db - a.effectiveness * (db - wb))
        } else {
            None
        }
    }

    #[inline]
    fn trim_capacity(&self) -> f64 {
        self.trim
            .map_or(0.0, |t| t.capacity_fraction * self.design_capacity_w)
    }

    /// Heat removal capacity in this weather, W.
    #[inline]
    pub fn capacity_w(&self, outdoor: &WeatherHour) -> f64 {
        let best = match self.wet_air_c(outdoor) {
            Some(t) => self.full_capacity(t),
            None => self.full_capacity(outdoor.dry_bulb_c),
        };
        (best + self.trim_capacity()).min(self.terminal_capacity_w)
    }

    #[inline]
    fn evaluate(&self, removed: f64, outdoor: &WeatherHour, dt: f64) -> LoopStep {
        let d = self.design_capacity_w;
        let db = outdoor.dry_bulb_c;
        let pump_w = self.pump_fraction * removed;
        let full_fans = self.fan_fraction * d;
        let c_dry = self.full_capacity(db);
        if removed <= c_dry {
            let s = if c_dry > 0.0 { removed / c_dry } else { 0.0 };
            return LoopStep {
                power_w: pump_w + self.fan_fraction * d * cube(s.max(self.fan_min_speed)),
                water_l: 0.0,
                mode: CoolingMode::Free,
            };
        }
        // Dry coolers at full speed cannot hold the supply temperature: sprays if allowed.
        let (c_best, water_l) = match (self.adiabatic, self.wet_air_c(outdoor)) {
            (Some(a), Some(t_air)) => {
                let c_wet = self.full_capacity(t_air);
                // Pre-cool only as far as needed: air at `t_need` lets full fans remove
                // `removed`; never more than the pads can do.
                let design_approach = self.supply_c - self.design_outdoor_c;
                let t_need = if d > 0.0 {
                    self.supply_c - removed / d * design_approach
                } else {
                    t_air
                };
                let precool = (db - t_need.max(t_air)).max(0.0);
                let cooled_air_heat_w = if a.air_rise_c > 0.0 {
                    d * precool / a.air_rise_c
                } else {
                    0.0
                };
                (
                    c_wet,
                    water::onsite_water_l(cooled_air_heat_w * dt, 1.0, a.cycles_of_concentration),
                )
            }
            _ => (c_dry, 0.0),
        };
        if removed <= c_best {
            return LoopStep {
                power_w: pump_w + full_fans,
                water_l,
                mode: CoolingMode::Adiabatic,
            };
        }
        let trim_w = match self.trim {
            Some(t) => {
                let cop = carnot_cop(
                    t.carnot_fraction,
                    self.supply_c,
                    db + t.condenser_approach_c,
                    t.cop_min,
                    t.cop_max,
                );
                (removed - c_best) / cop
            }
            None => 0.0,
        };
        LoopStep {
            power_w: pump_w + full_fans + trim_w,
            water_l,
            mode: CoolingMode::Trim,
        }
    }

    fn check(&self) -> Result<(), ParamError> {
        check_range(
            self.design_capacity_w,
            f64::MIN_POSITIVE,
            f64::MAX,
            "design_capacity_kw",
            "",
        )?;
        check_range(self.supply_c, 5.0, 70.0, "supply_c", " °C")?;
        check_range(
            self.design_outdoor_c,
            -60.0,
            self.supply_c - 0.5,
            "design_outdoor_c",
            " °C (and below supply_c)",
        )?;
        check_range(self.fan_fraction, 0.0, 0.5, "dry_cooler_fan_fraction", "")?;
        check_range(self.fan_min_speed, 0.0, 1.0, "dry_cooler_min_speed", "")?;
        check_range(self.pump_fraction, 0.0, 0.5, "pump_fraction", "")?;
        if let Some(a) = self.adiabatic {
            check_range(a.above_c, -60.0, 70.0, "adiabatic_above_c", " °C")?;
            check_range(a.effectiveness, 0.0, 1.0, "adiabatic_effectiveness", "")?;
            check_range(a.air_rise_c, 0.5, 50.0, "adiabatic_air_rise_c", " K")?;
            check(
                a.cycles_of_concentration.is_finite()
                    && a.cycles_of_concentration > 1.0
                    && a.cycles_of_concentration <= 100.0,
                "adiabatic_cycles_of_concentration",
                || {
                    format!(
                        "expected a number in (1, 100], got {}",
                        a.cycles_of_concentration
                    )
                },
            )?;
        }
        if let Some(t) = self.trim {
            t.check(1.0)?;
        }
        Ok(())
    }
}

impl LiquidPlant {
    #[inline]
    fn fraction(&self) -> f64 {
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
            other => {
                return Err(ParamError::new(
                    "kind",
                    format!("unknown cooling plant kind `{other}`; expected one of `air-chiller`, `liquid`, `immersion`, `air-side`"),
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
                check(
                    l.liquid_fraction.is_finite()
                        && l.liquid_fraction > 0.0
                        && l.liquid_fraction <= 1.0,
                    "liquid_fraction",
                    || format!("expected a number in (0, 1], got {}", l.liquid_fraction),
                )?;
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
        }
    }

    /// Design heat load of the whole plant (all IT heat), W.
    pub fn design_capacity_w(&self) -> f64 {
        match self {
            CoolingPlant::AirChiller(a) => a.design_capacity_w,
            CoolingPlant::Liquid(l) => l.dry_loop.design_capacity_w / l.fraction(),
            CoolingPlant::Immersion(i) => i.dry_loop.design_capacity_w,
            CoolingPlant::AirSide(a) => a.design_capacity_w,
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
        }
    }

    /// One step: power, capacity, heat removed, water and mode when `heat_w` of IT heat is
    /// offered in `outdoor` weather for `dt_s` seconds. Heat above the capacity is not removed
    /// (the caller's [`ThermalNode`](super::ThermalNode) keeps it). Finite inputs give finite,
    /// non-negative outputs; negative heat or time counts as 0. Does not allocate.
    ///
    /// Hotter weather never lowers the power for the same heat removed (tested). When the heat
    /// exceeds the capacity, a hotter hour removes less heat, and the power of the heat
    /// actually removed can then be lower.
    #[inline]
    pub fn evaluate(&self, heat_w: f64, outdoor: &WeatherHour, dt_s: f64) -> CoolingStep {
        match self {
            CoolingPlant::AirChiller(a) => a.evaluate(heat_w, outdoor, dt_s),
            CoolingPlant::Liquid(l) => l.evaluate(heat_w, outdoor, dt_s),
            CoolingPlant::Immersion(i) => i.evaluate(heat_w, outdoor, dt_s),
            CoolingPlant::AirSide(a) => a.evaluate(heat_w, outdoor, dt_s),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Model-file forms. They differ from the runtime structs in units (kW) and in their optional,
// all-or-none groups; `build` checks those and converts.

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum HeatRejectionKind {
    Tower,
    Dry,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AirChillerToml {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    design_capacity_kw: Option<f64>,
    design_outdoor_c: f64,
    capacity_derate_per_c: f64,
    heat_rejection: HeatRejectionKind,
    #[serde(default)]
    evaporative_share: Option<f64>,
    #[serde(default)]
    cycles_of_concentration: Option<f64>,
    #[serde(default)]
    economiser_full_c: Option<f64>,
    #[serde(default)]
    economiser_none_c: Option<f64>,
    chw_supply_c: f64,
    condenser_approach_c: f64,
    carnot_fraction: f64,
    cop_min: f64,
    cop_max: f64,
    crah_fan_fraction: f64,
    crah_min_speed: f64,
    pump_fraction: f64,
    rejection_fan_fraction: f64,
}

/// All of `vals` set, or none; names the first missing or the first stray one.
fn all_or_none<const N: usize>(
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

impl AirChillerToml {
    /// `prefix` is `""` at top level or `"air."` nested; `design_w` is `Some` when the enclosing
    /// plant sets the design capacity (then the file must not).
    fn build(self, prefix: &str, design_w: Option<f64>) -> Result<AirChiller, ParamError> {
        let field = |n: &str| format!("{prefix}{n}");
        if let Some(k) = &self.kind
            && k != "air-chiller"
        {
            return Err(ParamError::new(
                field("kind"),
                format!("expected `air-chiller` here, got `{k}`"),
            ));
        }
        let design_capacity_w = match (design_w, self.design_capacity_kw) {
            (None, Some(kw)) => kw * 1000.0,
            (None, None) => {
                return Err(ParamError::new(
                    field("design_capacity_kw"),
                    "missing: expected the design heat removal, kW",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(ParamError::new(
                    field("design_capacity_kw"),
                    "set by the enclosing plant ((1 - liquid_fraction) * design_capacity_kw): remove it here",
                ));
            }
            (Some(w), None) => w,
        };
        let heat_rejection = match self.heat_rejection {
            HeatRejectionKind::Dry => {
                if self.evaporative_share.is_some() {
                    return Err(ParamError::new(
                        field("evaporative_share"),
                        "only used with heat_rejection = \"tower\"",
                    ));
                }
                if self.cycles_of_concentration.is_some() {
                    return Err(ParamError::new(
                        field("cycles_of_concentration"),
                        "only used with heat_rejection = \"tower\"",
                    ));
                }
                HeatRejection::Dry
            }
            HeatRejectionKind::Tower => HeatRejection::Tower {
                evaporative_share: self.evaporative_share.ok_or_else(|| {
                    ParamError::new(
                        field("evaporative_share"),
                        "missing: required with heat_rejection = \"tower\"",
                    )
                })?,
                cycles_of_concentration: self.cycles_of_concentration.ok_or_else(|| {
                    ParamError::new(
                        field("cycles_of_concentration"),
                        "missing: required with heat_rejection = \"tower\"",
                    )
                })?,
            },
        };
        let economiser = all_or_none(
            [self.economiser_full_c, self.economiser_none_c],
            ["economiser_full_c", "economiser_none_c"],
            prefix,
        )?
        .map(|[full_c, none_c]| Economiser { full_c, none_c });
        Ok(AirChiller {
            design_capacity_w,
            terminal_capacity_w: design_capacity_w,
            design_outdoor_c: self.design_outdoor_c,
            capacity_derate_per_c: self.capacity_derate_per_c,
            heat_rejection,
            economiser,
            chw_supply_c: self.chw_supply_c,
            condenser_approach_c: self.condenser_approach_c,
            carnot_fraction: self.carnot_fraction,
            cop_min: self.cop_min,
            cop_max: self.cop_max,
            crah_fan_fraction: self.crah_fan_fraction,
            crah_min_speed: self.crah_min_speed,
            pump_fraction: self.pump_fraction,
            rejection_fan_fraction: self.rejection_fan_fraction,
        })
    }
}

/// The dry-cooler loop fields shared by the liquid and immersion files.
struct LoopFields {
    design_w: f64,
    supply_c: f64,
    design_outdoor_c: f64,
    fan_fraction: f64,
    fan_min_speed: f64,
    pump_fraction: f64,
    adiabatic: [Option<f64>; 4],
    trim: [Option<f64>; 5],
}

impl LoopFields {
    fn build(self) -> Result<DryCoolerLoop, ParamError> {
        let adiabatic = all_or_none(
            self.adiabatic,
            [
                "adiabatic_above_c",
                "adiabatic_effectiveness",
                "adiabatic_air_rise_c",
                "adiabatic_cycles_of_concentration",
            ],
            "",
        )?
        .map(
            |[above_c, effectiveness, air_rise_c, cycles_of_concentration]| Adiabatic {
                above_c,
                effectiveness,
                air_rise_c,
                cycles_of_concentration,
            },
        );
        let trim = all_or_none(
            self.trim,
            [
                "trim_capacity_fraction",
                "trim_carnot_fraction",
                "trim_condenser_approach_c",
                "trim_cop_min",
                "trim_cop_max",
            ],
            "",
        )?
        .map(
            |[
                capacity_fraction,
                carnot_fraction,
                condenser_approach_c,
                cop_min,
                cop_max,
            ]| TrimChiller {
                capacity_fraction,
                carnot_fraction,
                condenser_approach_c,
                cop_min,
                cop_max,
            },
        );
        Ok(DryCoolerLoop {
            design_capacity_w: self.design_w,
            terminal_capacity_w: self.design_w,
            supply_c: self.supply_c,
            design_outdoor_c: self.design_outdoor_c,
            fan_fraction: self.fan_fraction,
            fan_min_speed: self.fan_min_speed,
            pump_fraction: self.pump_fraction,
            adiabatic,
            trim,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LiquidToml {
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
    fn build(self) -> Result<CoolingPlant, ParamError> {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImmersionToml {
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
    fn build(self) -> Result<CoolingPlant, ParamError> {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AirSideToml {
    #[allow(dead_code)]
    kind: String,
    design_capacity_kw: f64,
    supply_c: f64,
    air_rise_c: f64,
    fan_fraction: f64,
    fan_min_speed: f64,
    evaporative: String,
    evaporative_effectiveness: Option<f64>,
    evaporative_cycles_of_concentration: Option<f64>,
    evaporative_pump_fraction: Option<f64>,
    trim_capacity_fraction: f64,
    trim_carnot_fraction: f64,
    trim_condenser_approach_c: f64,
    trim_cop_min: f64,
    trim_cop_max: f64,
}

impl AirSideToml {
    fn build(self) -> Result<CoolingPlant, ParamError> {
        let names = [
            "evaporative_effectiveness",
            "evaporative_cycles_of_concentration",
            "evaporative_pump_fraction",
        ];
        let vals = [
            self.evaporative_effectiveness,
            self.evaporative_cycles_of_concentration,
            self.evaporative_pump_fraction,
        ];
        let evaporative = match self.evaporative.as_str() {
            "none" => {
                if let Some(i) = vals.iter().position(|v| v.is_some()) {
                    return Err(ParamError::new(
                        names[i],
                        "only used with evaporative = \"direct\" or \"indirect\"",
                    ));
                }
                None
            }
            kind @ ("direct" | "indirect") => {
                let [effectiveness, cycles_of_concentration, pump_fraction] =
                    all_or_none(vals, names, "")?.ok_or_else(|| {
                        ParamError::new(
                            names[0],
                            format!(
                                "missing: evaporative = \"{kind}\" needs {}",
                                names.join(", ")
                            ),
                        )
                    })?;
                Some(EvaporativeAssist {
                    direct: kind == "direct",
                    effectiveness,
                    cycles_of_concentration,
                    pump_fraction,
                })
            }
            other => {
                return Err(ParamError::new(
                    "evaporative",
                    format!("expected \"direct\", \"indirect\" or \"none\", got \"{other}\""),
                ));
            }
        };
        let design = self.design_capacity_kw * 1000.0;
        Ok(CoolingPlant::AirSide(AirSidePlant {
            design_capacity_w: design,
            terminal_capacity_w: design,
            supply_c: self.supply_c,
            air_rise_c: self.air_rise_c,
            fan_fraction: self.fan_fraction,
            fan_min_speed: self.fan_min_speed,
            evaporative,
            trim: TrimChiller {
                capacity_fraction: self.trim_capacity_fraction,
                carnot_fraction: self.trim_carnot_fraction,
                condenser_approach_c: self.trim_condenser_approach_c,
                cop_min: self.trim_cop_min,
                cop_max: self.trim_cop_max,
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::electrical::presets;
    use super::super::{ElectricalChain, pue};
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    const NAMES: [&str; 6] = [
        "air-chiller-legacy",
        "air-chiller-economiser",
        "liquid-dry-cooler",
        "hybrid-dlc",
        "immersion",
        "air-side-evaporative",
    ];

    fn path(name: &str) -> String {
        format!("{}/models/cooling/{name}.toml", env!("CARGO_MANIFEST_DIR"))
    }

    fn text(name: &str) -> String {
        let p = path(name);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    fn load(name: &str) -> CoolingPlant {
        CoolingPlant::from_toml(&path(name), &text(name)).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The five plant files, sized to 1 MW of design IT heat.
    fn plants() -> &'static [(&'static str, CoolingPlant); 6] {
        static P: OnceLock<[(&'static str, CoolingPlant); 6]> = OnceLock::new();
        P.get_or_init(|| NAMES.map(|n| (n, load(n).with_design_capacity_w(1.0e6))))
    }

    /// Issue 9: capacity follows the weather. Every plant sized at 1 MW with room side for
    /// 1.4 MW: in cold weather the heat-rejection side can carry more than its design (up to
    /// the room side) and less in extreme heat.
    #[test]
    fn capacity_rises_in_cold_weather_up_to_the_room_side() {
        let at = |db: f64, wb: f64| WeatherHour {
            dry_bulb_c: db,
            wet_bulb_c: wb,
            rel_humidity_pct: 50.0,
        };
        for (name, p) in plants() {
            let p = p.with_terminal_capacity_w(1.4e6);
            let cold = p.capacity_w(&at(0.0, -2.0));
            assert!((cold - 1.4e6).abs() < 1.0, "{name}: {cold}");
            let hot = p.capacity_w(&at(48.0, 30.0));
            assert!(hot < 1.0e6, "{name}: {hot}");
            // Without room-side headroom the old behaviour: design capacity in mild weather.
            let tight = p.with_design_capacity_w(1.0e6);
            assert!(
                (tight.capacity_w(&at(0.0, -2.0)) - 1.0e6).abs() < 1.0,
                "{name}"
            );
        }
        // A tower plant with no free cooling left (wet bulb 25 C, above economiser_none_c 24)
        // and a wet bulb 1 K below its 26 C design: chillers at 1 + 0.02 * 1 = 1.02 of design.
        let CoolingPlant::AirChiller(a) = plants()[1].1 else {
            panic!()
        };
        let mut a = a;
        a.terminal_capacity_w = 2.0e6;
        assert!((a.capacity_w(&at(30.0, 25.0)) - 1.02e6).abs() < 1.0);
    }

    fn hyperscale() -> ElectricalChain {
        ElectricalChain::from_toml("HYPERSCALE", presets::HYPERSCALE).unwrap()
    }

    fn enterprise() -> ElectricalChain {
        ElectricalChain::from_toml("ENTERPRISE_2N", presets::ENTERPRISE_2N).unwrap()
    }

    fn wh(db: f64, wb: f64) -> WeatherHour {
        WeatherHour {
            dry_bulb_c: db,
            wet_bulb_c: wb,
            rel_humidity_pct: 50.0,
        }
    }

    #[test]
    fn all_files_load_and_scale() {
        for (name, p) in plants() {
            assert!((p.design_capacity_w() - 1.0e6).abs() < 1e-6, "{name}");
            p.validate().unwrap();
            // Full capacity in mild weather.
            assert!(
                (p.capacity_w(&wh(15.0, 10.0)) - 1.0e6).abs() < 1e-3,
                "{name}"
            );
        }
    }

    #[test]
    fn cop_follows_carnot_fraction_and_clamps() {
        let CoolingPlant::AirChiller(a) = load("air-chiller-legacy") else {
            panic!()
        };
        // ASHRAE 90.1 air-cooled minimum, 2.80 at 35 °C (fit within 1 %).
        assert!((a.cop(35.0) - 2.80).abs() < 0.03, "{}", a.cop(35.0));
        assert_eq!(a.cop(-20.0), a.cop_max);
        assert_eq!(a.cop(200.0), a.cop_min);
        let CoolingPlant::AirChiller(w) = load("air-chiller-economiser") else {
            panic!()
        };
        // Water-cooled: COP 6.28 at AHRI conditions with 6.7 °C chilled water.
        let mut ahri = w;
        ahri.chw_supply_c = 6.7;
        // 0.560 kW/ton; 1 ton of refrigeration = 3.517 kW.
        let rated = 3.517 / 0.560;
        assert!((ahri.cop(25.6) - rated).abs() < 0.05, "{}", ahri.cop(25.6));
    }

    #[test]
    fn economiser_modes() {
        let (_, p) = &plants()[1];
        let heat = 0.7e6;
        assert_eq!(
            p.evaluate(heat, &wh(5.0, 3.0), 60.0).mode,
            CoolingMode::Free
        );
        assert_eq!(
            p.evaluate(heat, &wh(22.0, 16.0), 60.0).mode,
            CoolingMode::Partial
        );
        assert_eq!(
            p.evaluate(heat, &wh(35.0, 24.0), 60.0).mode,
            CoolingMode::Mechanical
        );
        let (_, legacy) = &plants()[0];
        assert_eq!(
            legacy.evaluate(heat, &wh(-10.0, -11.0), 60.0).mode,
            CoolingMode::Mechanical
        );
    }

    #[test]
    fn derates_above_design_and_removes_only_capacity() {
        let (_, p) = &plants()[0];
        // Legacy: 1.5 %/K above 35 °C dry bulb.
        let s = p.evaluate(2.0e6, &wh(45.0, 25.0), 60.0);
        assert!((s.capacity_w - 0.85e6).abs() < 1e-3, "{}", s.capacity_w);
        assert_eq!(s.removed_w, s.capacity_w);
        let s = p.evaluate(0.5e6, &wh(45.0, 25.0), 60.0);
        assert_eq!(s.removed_w, 0.5e6);
    }

    #[test]
    fn tower_water_matches_hand_calculation() {
        // Free cooling 1 MW for an hour: rejected = removed; 0.85 latent; 4 cycles.
        let (_, p) = &plants()[1];
        let s = p.evaluate(1.0e6, &wh(5.0, 2.0), 3600.0);
        assert_eq!(s.mode, CoolingMode::Free);
        let evap = 3.6e9 * 0.85 / 2.45e6;
        assert!(
            (s.evaporated_l - evap * 4.0 / 3.0).abs() < 1e-6,
            "{}",
            s.evaporated_l
        );
    }

    #[test]
    fn dry_coolers_evaporate_nothing() {
        // Below the adiabatic threshold every liquid and immersion plant is water-free, at any
        // load; the air-cooled legacy plant always is.
        for (name, p) in plants()
            .iter()
            .filter(|(n, _)| *n != "air-chiller-economiser")
        {
            for db in [-30.0, -5.0, 10.0, 20.0, 24.9] {
                for load in [0.0, 0.3, 0.7, 1.0, 2.0] {
                    let s = p.evaluate(load * 1.0e6, &wh(db, db - 5.0), 60.0);
                    assert_eq!(s.evaporated_l, 0.0, "{name} db {db} load {load}");
                }
            }
        }
        // And a dry-cooler plant without adiabatic assist never uses water.
        let CoolingPlant::Liquid(mut l) = plants()[2].1 else {
            panic!()
        };
        l.dry_loop.adiabatic = None;
        let p = CoolingPlant::Liquid(l);
        p.validate().unwrap();
        for db in [-30.0, 10.0, 30.0, 40.0, 48.0] {
            let s = p.evaluate(0.9e6, &wh(db, db - 12.0), 3600.0);
            assert_eq!(s.evaporated_l, 0.0, "db {db}");
        }
        // Above the threshold and past what dry operation can do, the pads run.
        let s = plants()[2].1.evaluate(0.9e6, &wh(40.0, 22.0), 3600.0);
        assert!(s.evaporated_l > 0.0);
        assert_eq!(s.mode, CoolingMode::Adiabatic);
    }

    #[test]
    fn trim_chiller_when_dry_coolers_cannot_reach_supply() {
        let CoolingPlant::Liquid(mut l) = plants()[2].1 else {
            panic!()
        };
        l.dry_loop.adiabatic = None;
        let p = CoolingPlant::Liquid(l);
        // 35 °C supply, 27 °C design: at 33 °C the dry coolers give 0.25 of design at full fans.
        let s = p.evaluate(0.5e6, &wh(33.0, 20.0), 60.0);
        assert_eq!(s.mode, CoolingMode::Trim);
        assert_eq!(s.removed_w, 0.5e6);
        // Capacity: loop min(1, 0.25 + 0.3) * 0.8 MW -> IT heat 0.55 MW.
        assert!((s.capacity_w - 0.55e6).abs() < 1e-3, "{}", s.capacity_w);
    }

    fn check_step(s: &CoolingStep, heat: f64) -> Result<(), TestCaseError> {
        prop_assert!(
            s.power_w.is_finite() && s.power_w >= 0.0,
            "power {}",
            s.power_w
        );
        prop_assert!(
            s.evaporated_l.is_finite() && s.evaporated_l >= 0.0,
            "water {}",
            s.evaporated_l
        );
        prop_assert!(
            s.capacity_w.is_finite() && s.capacity_w >= 0.0,
            "capacity {}",
            s.capacity_w
        );
        prop_assert!(
            s.removed_w >= 0.0 && s.removed_w <= s.capacity_w && s.removed_w <= heat.max(0.0)
        );
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn outputs_are_physical(
            idx in 0usize..5,
            load in 0.0f64..2.0,
            db in -30.0f64..48.0,
            depression in 0.0f64..30.0,
            dt in 1.0f64..3600.0,
        ) {
            let (_, p) = &plants()[idx];
            let heat = load * 1.0e6;
            let s = p.evaluate(heat, &wh(db, db - depression), dt);
            check_step(&s, heat)?;
            for chain in [hyperscale(), enterprise()] {
                let l = chain.losses(s.removed_w, s.power_w);
                for v in [l.ups_w, l.transformer_w, l.distribution_w, l.fixed_w] {
                    prop_assert!(v.is_finite() && v >= 0.0);
                }
                if s.removed_w > 0.0 {
                    prop_assert!(pue(s.removed_w, s.power_w, &l) >= 1.0);
                }
            }
        }

        #[test]
        fn hotter_weather_never_costs_less(
            idx in 0usize..5,
            load in 0.0f64..1.0,
            db in -30.0f64..48.0,
            warmer in 0.0f64..20.0,
            depression in 0.0f64..30.0,
        ) {
            let (_, p) = &plants()[idx];
            let db2 = (db + warmer).min(48.0);
            let (w1, w2) = (wh(db, db - depression), wh(db2, db2 - depression));
            // Same heat removed in both hours.
            let heat = (load * 1.0e6).min(p.capacity_w(&w1)).min(p.capacity_w(&w2));
            let (s1, s2) = (p.evaluate(heat, &w1, 60.0), p.evaluate(heat, &w2, 60.0));
            prop_assert!(s2.power_w >= s1.power_w - 1e-9 * (1.0 + s1.power_w),
                "{} at {db}/{db2}: {} > {}", NAMES[idx], s1.power_w, s2.power_w);
        }

        #[test]
        fn more_heat_never_costs_less(
            idx in 0usize..5,
            a in 0.0f64..2.0,
            b in 0.0f64..2.0,
            db in -30.0f64..48.0,
            depression in 0.0f64..30.0,
        ) {
            let (_, p) = &plants()[idx];
            let w = wh(db, db - depression);
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            let (s1, s2) = (p.evaluate(lo * 1.0e6, &w, 60.0), p.evaluate(hi * 1.0e6, &w, 60.0));
            prop_assert!(s2.power_w >= s1.power_w - 1e-9 * (1.0 + s1.power_w));
        }
    }

    /// A synthetic climate: annual sinusoid (coldest mid-January) plus a diurnal swing
    /// (coldest 03:00, warmest 15:00); wet-bulb depression growing with temperature.
    struct Climate {
        mean_c: f64,
        annual_amplitude_c: f64,
        diurnal_swing_c: f64,
        depression_base_c: f64,
        depression_per_c: f64,
    }

    /// Luleå-like (mean 3 °C, ±12 °C annual, ~6 K diurnal, humid).
    const LULEA: Climate = Climate {
        mean_c: 3.0,
        annual_amplitude_c: 12.0,
        diurnal_swing_c: 6.0,
        depression_base_c: 1.0,
        depression_per_c: 0.15,
    };

    /// Phoenix-like (mean 24 °C, ±10 °C annual, ~14 K diurnal, dry: wet bulb ~23 °C at 41 °C).
    const PHOENIX: Climate = Climate {
        mean_c: 24.0,
        annual_amplitude_c: 10.0,
        diurnal_swing_c: 14.0,
        depression_base_c: 5.0,
        depression_per_c: 0.4,
    };

    impl Climate {
        fn hour(&self, h: usize) -> WeatherHour {
            use std::f64::consts::TAU;
            let day = h as f64 / 24.0;
            let hod = (h % 24) as f64;
            let db = self.mean_c
                - self.annual_amplitude_c * (TAU * (day - 15.0) / 365.0).cos()
                - 0.5 * self.diurnal_swing_c * (TAU * (hod - 3.0) / 24.0).cos();
            let dep = self.depression_base_c + self.depression_per_c * (db - 10.0).max(0.0);
            wh(db, db - dep)
        }
    }

    struct Year {
        pue: f64,
        cooling_share: f64,
        water_l_per_kwh: f64,
        unmet_hours: usize,
    }

    /// Energy-weighted annual PUE at 70 % of a 1 MW design, hourly steps.
    fn year(p: &CoolingPlant, chain: &ElectricalChain, c: &Climate) -> Year {
        let it = 0.7e6;
        let (mut e_it, mut e_cool, mut e_loss, mut water) = (0.0, 0.0, 0.0, 0.0);
        let mut unmet = 0;
        for h in 0..8760 {
            let s = p.evaluate(it, &c.hour(h), 3600.0);
            if s.removed_w < it - 1e-6 {
                unmet += 1;
            }
            let l = chain.losses(it, s.power_w);
            e_it += it;
            e_cool += s.power_w;
            e_loss += l.total_w();
            water += s.evaporated_l;
        }
        Year {
            pue: (e_it + e_cool + e_loss) / e_it,
            cooling_share: e_cool / e_it,
            water_l_per_kwh: water / (e_it / 1000.0),
            unmet_hours: unmet,
        }
    }

    #[test]
    fn calibration_synthetic_years() {
        let by_name = |n: &str| plants().iter().find(|(m, _)| *m == n).unwrap().1;
        let chain_for = |n: &str| {
            if n == "air-chiller-legacy" {
                enterprise()
            } else {
                hyperscale()
            }
        };
        let mut table = Vec::new();
        for n in NAMES {
            let p = by_name(n);
            let chain = chain_for(n);
            let (lu, ph) = (year(&p, &chain, &LULEA), year(&p, &chain, &PHOENIX));
            println!(
                "{n:24} Lulea PUE {:.3} (cooling {:.3}, WUE {:.3} L/kWh)  Phoenix PUE {:.3} (cooling {:.3}, WUE {:.3} L/kWh, unmet h {})",
                lu.pue,
                lu.cooling_share,
                lu.water_l_per_kwh,
                ph.pue,
                ph.cooling_share,
                ph.water_l_per_kwh,
                ph.unmet_hours
            );
            assert_eq!(lu.unmet_hours, 0, "{n} Lulea");
            assert_eq!(ph.unmet_hours, 0, "{n} Phoenix");
            assert!(
                ph.pue > lu.pue,
                "{n}: Phoenix {} <= Lulea {}",
                ph.pue,
                lu.pue
            );
            table.push((n, lu, ph));
        }
        let get = |n: &str| table.iter().find(|(m, _, _)| *m == n).unwrap();
        // Google fleet ~1.09-1.10 (trailing twelve months).
        let (_, dlc_lu, dlc_ph) = get("liquid-dry-cooler");
        assert!(
            (1.06..=1.15).contains(&dlc_lu.pue),
            "liquid-dry-cooler Lulea {}",
            dlc_lu.pue
        );
        // Uptime Institute survey average ~1.56-1.58.
        let (_, leg_lu, leg_ph) = get("air-chiller-legacy");
        assert!(
            (1.45..=1.70).contains(&leg_ph.pue),
            "air-chiller-legacy Phoenix {}",
            leg_ph.pue
        );
        // Liquid beats air in the same climate (same electrical chain for the fair pair).
        let (_, eco_lu, eco_ph) = get("air-chiller-economiser");
        assert!(dlc_lu.pue < eco_lu.pue && dlc_ph.pue < eco_ph.pue);
        assert!(dlc_lu.pue < leg_lu.pue && dlc_ph.pue < leg_ph.pue);
        // Towers use water, dry coolers (almost) none.
        assert!(eco_ph.water_l_per_kwh > 1.0 && dlc_lu.water_l_per_kwh == 0.0);
    }

    fn err_of(text: &str) -> FacilityError {
        CoolingPlant::from_toml("models/cooling/test.toml", text).unwrap_err()
    }

    fn where_of(e: &FacilityError) -> (usize, String) {
        match e {
            FacilityError::Toml {
                line, field, file, ..
            }
            | FacilityError::Invalid {
                line, field, file, ..
            } => {
                assert_eq!(file, "models/cooling/test.toml");
                (*line, field.clone())
            }
            FacilityError::Param { .. } => panic!("no file in {e:?}"),
        }
    }

    fn line_containing(text: &str, needle: &str) -> usize {
        text.lines().position(|l| l.contains(needle)).unwrap() + 1
    }

    #[test]
    fn toml_errors_name_file_line_and_field() {
        let legacy = text("air-chiller-legacy");

        // Unknown field.
        let t = legacy.replace(
            "crah_min_speed = 1.0",
            "crah_min_speed = 1.0\ncrah_fan_power = 0.1",
        );
        let e = err_of(&t);
        assert!(matches!(e, FacilityError::Toml { .. }), "{e:?}");
        assert_eq!(
            where_of(&e),
            (
                line_containing(&t, "crah_fan_power"),
                "crah_fan_power".into()
            )
        );
        assert!(e.to_string().contains("unknown field"), "{e}");

        // Wrong type.
        let t = legacy.replace("cop_max = 7.0", "cop_max = \"high\"");
        let e = err_of(&t);
        assert_eq!(
            where_of(&e),
            (line_containing(&t, "cop_max ="), "cop_max".into())
        );
        assert!(
            e.to_string().starts_with(&format!(
                "models/cooling/test.toml:{}: field `cop_max`",
                line_containing(&t, "cop_max =")
            )),
            "{e}"
        );

        // Out of range.
        let t = legacy.replace("carnot_fraction = 0.43", "carnot_fraction = 1.5");
        let e = err_of(&t);
        assert!(matches!(e, FacilityError::Invalid { .. }), "{e:?}");
        assert_eq!(
            where_of(&e),
            (
                line_containing(&t, "carnot_fraction ="),
                "carnot_fraction".into()
            )
        );

        // Missing field.
        let t = legacy.replace("pump_fraction = 0.03", "");
        let e = err_of(&t);
        assert_eq!(where_of(&e).1, "pump_fraction");

        // Tower-only field on a dry plant.
        let t = legacy.replace(
            "heat_rejection = \"dry\"",
            "heat_rejection = \"dry\"\nevaporative_share = 0.8",
        );
        let e = err_of(&t);
        assert_eq!(
            where_of(&e),
            (
                line_containing(&t, "evaporative_share"),
                "evaporative_share".into()
            )
        );

        // Bad enum value.
        let t = legacy.replace("heat_rejection = \"dry\"", "heat_rejection = \"river\"");
        let e = err_of(&t);
        assert_eq!(
            where_of(&e),
            (
                line_containing(&t, "heat_rejection"),
                "heat_rejection".into()
            )
        );

        // Unknown kind.
        let t = legacy.replace("kind = \"air-chiller\"", "kind = \"ice\"");
        let e = err_of(&t);
        assert_eq!(where_of(&e), (line_containing(&t, "kind ="), "kind".into()));

        // Nested table: unknown field and out-of-range value name `air.<field>`.
        let dlc = text("liquid-dry-cooler");
        let t = dlc.replace("crah_min_speed = 0.3", "crah_min_speed = 0.3\nfoo = 1");
        let e = err_of(&t);
        assert_eq!(
            where_of(&e),
            (line_containing(&t, "foo = 1"), "air.foo".into())
        );
        let t = dlc.replace("crah_min_speed = 0.3", "crah_min_speed = 3.0");
        let e = err_of(&t);
        assert_eq!(
            where_of(&e),
            (
                line_containing(&t, "crah_min_speed = 3.0"),
                "air.crah_min_speed".into()
            )
        );
        // The nested air plant is sized by the liquid plant.
        let t = dlc.replace("\n[air]\n", "\n[air]\ndesign_capacity_kw = 200.0\n");
        let e = err_of(&t);
        assert_eq!(
            where_of(&e),
            (
                line_containing(&t, "design_capacity_kw = 200.0"),
                "air.design_capacity_kw".into()
            )
        );
        // Half an adiabatic group.
        let t = dlc.replace("adiabatic_effectiveness = 0.8\n", "");
        let e = err_of(&t);
        assert_eq!(where_of(&e).1, "adiabatic_effectiveness");

        // TOML syntax error.
        let t = legacy.replace("cop_min = 2.0", "cop_min = = 2.0");
        let e = err_of(&t);
        assert_eq!(where_of(&e).0, line_containing(&t, "cop_min = = 2.0"));
    }
}
