//! The warm-water dry-cooler loop shared by the `liquid` and `immersion` plants (see
//! [`DryCoolerLoop`]).

use super::{CoolingMode, TrimChiller, all_or_none, carnot_cop, cube};
use crate::model::facility::physics::{
    ParamError, check_above, check_positive, check_range, water,
};
use crate::model::weather::WeatherHour;

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

/// What a [`DryCoolerLoop`]'s step needs of its weather hour ([`DryCoolerLoop::hour`]),
/// worked out once per hour (see [`super::AirHour`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoopHour {
    /// Most heat the loop can remove this hour, W.
    pub capacity: f64,
    pub dry_bulb_c: f64,
    /// Full-fan capacity in dry air, W.
    pub c_dry: f64,
    /// With the pads wet (when they may run): the air's temperature and the full-fan capacity.
    pub wet: Option<(f64, f64)>,
    /// The trim chiller's COP (0 without one).
    pub trim_cop: f64,
}

/// Output of a [`DryCoolerLoop`] step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct LoopStep {
    pub(super) power_w: f64,
    pub(super) water_l: f64,
    pub(super) mode: CoolingMode,
}

impl DryCoolerLoop {
    /// Full-fan-speed capacity with air at `t_air_c`, W.
    #[inline]
    pub(super) fn full_capacity(&self, t_air_c: f64) -> f64 {
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
    pub(super) fn wet_air_c(&self, outdoor: &WeatherHour) -> Option<f64> {
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

    /// What a step needs of weather hour `outdoor`: the capacity, the dry and wet full-fan
    /// capacities and the trim chiller's COP (the heat-independent part of a step).
    #[inline]
    pub fn hour(&self, outdoor: &WeatherHour) -> LoopHour {
        let db = outdoor.dry_bulb_c;
        LoopHour {
            capacity: self.capacity_w(outdoor),
            dry_bulb_c: db,
            c_dry: self.full_capacity(db),
            wet: self.wet_air_c(outdoor).map(|t| (t, self.full_capacity(t))),
            trim_cop: self.trim.map_or(0.0, |t| {
                carnot_cop(
                    t.carnot_fraction,
                    self.supply_c,
                    db + t.condenser_approach_c,
                    t.cop_min,
                    t.cop_max,
                )
            }),
        }
    }

    /// One step removing `removed` W in the hour `h` (this loop's [`DryCoolerLoop::hour`]).
    #[inline]
    pub(super) fn evaluate_in(&self, h: &LoopHour, removed: f64, dt: f64) -> LoopStep {
        let d = self.design_capacity_w;
        let db = h.dry_bulb_c;
        let pump_w = self.pump_fraction * removed;
        let full_fans = self.fan_fraction * d;
        let c_dry = h.c_dry;
        if removed <= c_dry {
            let s = if c_dry > 0.0 { removed / c_dry } else { 0.0 };
            return LoopStep {
                power_w: pump_w + self.fan_fraction * d * cube(s.max(self.fan_min_speed)),
                water_l: 0.0,
                mode: CoolingMode::Free,
            };
        }
        // Dry coolers at full speed cannot hold the supply temperature: sprays if allowed.
        let (c_best, water_l) = match (self.adiabatic, h.wet) {
            (Some(a), Some((t_air, c_wet))) => {
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
            Some(_) => (removed - c_best) / h.trim_cop,
            None => 0.0,
        };
        LoopStep {
            power_w: pump_w + full_fans + trim_w,
            water_l,
            mode: CoolingMode::Trim,
        }
    }

    pub(super) fn check(&self) -> Result<(), ParamError> {
        check_positive(self.design_capacity_w, "design_capacity_kw", "")?;
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
            check_above(
                a.cycles_of_concentration,
                1.0,
                100.0,
                "adiabatic_cycles_of_concentration",
            )?;
        }
        if let Some(t) = self.trim {
            t.check(1.0)?;
        }
        Ok(())
    }
}

/// The dry-cooler loop's fields as read from a liquid or immersion file.
pub(super) struct LoopFields {
    pub(super) design_w: f64,
    pub(super) supply_c: f64,
    pub(super) design_outdoor_c: f64,
    pub(super) fan_fraction: f64,
    pub(super) fan_min_speed: f64,
    pub(super) pump_fraction: f64,
    pub(super) adiabatic: [Option<f64>; 4],
    pub(super) trim: [Option<f64>; 5],
}

/// Declares the TOML form of a plant on a dry-cooler loop (`liquid`, `immersion`) with the loop's
/// fields written once, here, and `loop_fields` to read them. The plant's own fields go in the
/// three slots where its file format has them: serde names the fields in declaration order in
/// its "expected one of" and "missing field" messages, so the order is part of the format.
macro_rules! dry_loop_toml {
    (
        $name:ident {
            after_design: { $($a:ident: $at:ty),* $(,)? },
            after_pump: { $($b:ident: $bt:ty),* $(,)? },
            last: { $($c:ident: $ct:ty),* $(,)? } $(,)?
        }
    ) => {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub(super) struct $name {
            #[allow(dead_code)]
            kind: String,
            design_capacity_kw: f64,
            $($a: $at,)*
            supply_c: f64,
            design_outdoor_c: f64,
            dry_cooler_fan_fraction: f64,
            dry_cooler_min_speed: f64,
            pump_fraction: f64,
            $($b: $bt,)*
            adiabatic_above_c: Option<f64>,
            adiabatic_effectiveness: Option<f64>,
            adiabatic_air_rise_c: Option<f64>,
            adiabatic_cycles_of_concentration: Option<f64>,
            trim_capacity_fraction: Option<f64>,
            trim_carnot_fraction: Option<f64>,
            trim_condenser_approach_c: Option<f64>,
            trim_cop_min: Option<f64>,
            trim_cop_max: Option<f64>,
            $($c: $ct,)*
        }

        impl $name {
            /// The loop's fields, the loop sized for `design_w` of heat.
            fn loop_fields(&self, design_w: f64) -> super::dry_cooler::LoopFields {
                super::dry_cooler::LoopFields {
                    design_w,
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
            }
        }
    };
}
pub(super) use dry_loop_toml;

impl LoopFields {
    pub(super) fn build(self) -> Result<DryCoolerLoop, ParamError> {
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
