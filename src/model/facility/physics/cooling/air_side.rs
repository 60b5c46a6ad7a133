//! `kind = "air-side"`: an air-side economiser with evaporative assist and a mechanical trim
//! (see [`AirSidePlant`]).

use serde::Deserialize;

use super::{CoolingMode, CoolingPlant, CoolingStep, TrimChiller, all_or_none, carnot_cop, cube};
use crate::model::facility::physics::{
    ParamError, check_above, check_positive, check_range, water,
};
use crate::model::weather::WeatherHour;

/// Specific heat of dry air, J/(kg K) (ASHRAE Handbook—Fundamentals, ch. 1).
const AIR_CP_J_PER_KG_K: f64 = 1006.0;

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
    /// The assist may run only when the dry bulb is above this, °C (at least `supply_c`;
    /// above it a water-saving plant trims mechanically first). Issue 23.
    pub above_c: f64,
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
/// The assist starts at `evaporative_above_c` (default: the supply temperature); between the
/// supply temperature and it the trim cools the outdoor air instead (a water-saving set point).
///
/// Winter humidification (optional `humidify_min_dew_point_c`): when the outdoor air the hall
/// takes in is drier than that dew point, water is evaporated into it to bring it up:
///
/// ```text
/// f       = outdoor-air share: (T_r - T_s) / (T_r - db) mixing (db <= T_s), 1 (T_s < db < T_r), 0
/// water   = m * f * max(0, w(dew_min) - w_out - w_direct),   m = Q_r / (c_p * rise)
/// ```
///
/// with `w_direct` the moisture a direct assist already added; blown down at the assist's
/// cycles of concentration when one is fitted. The hall's return air holds the humidity it was
/// brought to (the IT adds no moisture), so only the outdoor share needs it. The cooling of the
/// air by that evaporation (which saves a little outdoor air) is left out.
///
/// Left out: dehumidification, filter pressure drop changing with loading, and the fans of
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
    /// Lowest dew point of the supply air, °C: drier outdoor air is humidified with water.
    pub humidify_min_dew_point_c: Option<f64>,
}

impl AirSidePlant {
    /// Best air temperature the evaporative assist can reach, °C (the dry bulb without one).
    #[inline]
    fn evaporated_air_c(&self, outdoor: &WeatherHour) -> f64 {
        let db = outdoor.dry_bulb_c;
        match self.evaporative {
            Some(e) if db > e.above_c.max(self.supply_c) => {
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
            let water_l = self.humidify_l(removed, outdoor, 0.0, dt);
            return CoolingStep {
                power_w: fans,
                capacity_w: capacity,
                removed_w: removed,
                evaporated_l: water_l,
                mode: CoolingMode::Free,
            };
        }
        let rise = self.air_rise_c;
        let t_return = self.supply_c + rise;
        // Evaporative assist, only as far as needed, and only when outdoor air beats the
        // return air (otherwise the hall recirculates and the trim cools return air).
        let (t_a, water_l, pump_w) = match self.evaporative {
            Some(e)
                if db > e.above_c
                    && db < t_return + e.effectiveness * (db - outdoor.wet_bulb_c.min(db)) =>
            {
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
        let direct_w = match self.evaporative {
            Some(e) if e.direct => AIR_CP_J_PER_KG_K * (db - t_a) / water::LATENT_HEAT_J_PER_KG,
            _ => 0.0,
        };
        let water_l = water_l
            + if t_a < t_return || db < t_return {
                self.humidify_l(removed, outdoor, direct_w, dt)
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

    /// Winter humidification water over `dt` s (see the type's docs), L; `direct_w` is the
    /// moisture a direct assist already added to the outdoor air, kg/kg.
    #[inline]
    fn humidify_l(&self, removed_w: f64, outdoor: &WeatherHour, direct_w: f64, dt: f64) -> f64 {
        let Some(dew) = self.humidify_min_dew_point_c else {
            return 0.0;
        };
        let db = outdoor.dry_bulb_c;
        let t_r = self.supply_c + self.air_rise_c;
        let share = if db <= self.supply_c {
            ((t_r - self.supply_c) / (t_r - db)).clamp(0.0, 1.0)
        } else if db < t_r {
            1.0
        } else {
            0.0
        };
        let deficit = water::humidity_ratio_at_dew_point(dew)
            - water::humidity_ratio(db, outdoor.rel_humidity_pct)
            - direct_w;
        if !(deficit > 0.0 && share > 0.0) {
            return 0.0;
        }
        let air_kg_per_s = removed_w / (AIR_CP_J_PER_KG_K * self.air_rise_c);
        let e = air_kg_per_s * share * deficit * dt;
        let cycles = self.evaporative.map_or(0.0, |a| a.cycles_of_concentration);
        e + water::blowdown_l(e, cycles)
    }

    pub(super) fn check(&self) -> Result<(), ParamError> {
        check_positive(self.design_capacity_w, "design_capacity_kw", "")?;
        check_range(self.supply_c, 10.0, 40.0, "supply_c", " °C")?;
        check_range(self.air_rise_c, 2.0, 30.0, "air_rise_c", " K")?;
        check_range(self.fan_fraction, 0.0, 0.5, "fan_fraction", "")?;
        check_range(self.fan_min_speed, 0.0, 1.0, "fan_min_speed", "")?;
        if let Some(e) = self.evaporative {
            check_range(e.effectiveness, 0.0, 1.0, "evaporative_effectiveness", "")?;
            check_above(
                e.cycles_of_concentration,
                1.0,
                100.0,
                "evaporative_cycles_of_concentration",
            )?;
            check_range(e.pump_fraction, 0.0, 0.1, "evaporative_pump_fraction", "")?;
            check_range(
                e.above_c,
                self.supply_c,
                50.0,
                "evaporative_above_c",
                " °C (and >= supply_c)",
            )?;
        }
        if let Some(d) = self.humidify_min_dew_point_c {
            check_range(
                d,
                -30.0,
                self.supply_c,
                "humidify_min_dew_point_c",
                " °C (and <= supply_c)",
            )?;
        }
        self.trim.check(2.0)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AirSideToml {
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
    #[serde(default)]
    evaporative_above_c: Option<f64>,
    #[serde(default)]
    humidify_min_dew_point_c: Option<f64>,
    trim_capacity_fraction: f64,
    trim_carnot_fraction: f64,
    trim_condenser_approach_c: f64,
    trim_cop_min: f64,
    trim_cop_max: f64,
}

impl AirSideToml {
    pub(super) fn build(self) -> Result<CoolingPlant, ParamError> {
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
                if self.evaporative_above_c.is_some() {
                    return Err(ParamError::new(
                        "evaporative_above_c",
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
                    above_c: self.evaporative_above_c.unwrap_or(self.supply_c),
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
            humidify_min_dew_point_c: self.humidify_min_dew_point_c,
        }))
    }
}
