//! `kind = "air-dx"`: air-cooled DX computer-room air conditioners with a dry-bulb
//! (pumped-refrigerant) economiser (see [`DxPlant`]). Issue 23.

use serde::Deserialize;

use super::{CoolingMode, CoolingPlant, CoolingStep, all_or_none, carnot_cop};
use crate::model::facility::physics::{
    ParamError, check, check_above, check_positive, check_range,
};
use crate::model::weather::WeatherHour;

/// Dry-bulb economiser of a [`DxPlant`]: below `full_c` the compressors stop and a refrigerant
/// pump moves the heat to the outdoor condenser; above `none_c` the compressors carry it all;
/// between, the share moves linearly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DxEconomiser {
    /// Dry bulb at and below which the economiser carries all the heat, °C.
    pub full_c: f64,
    /// Dry bulb at and above which the compressors carry all of it, °C.
    pub none_c: f64,
    /// Refrigerant pump (and condenser fan) power while economising, W per W of coil load.
    pub pump_fraction: f64,
}

/// A hall of DX CRAC units: each unit's fan pushes the hall's air through its evaporator coil
/// and its compressor (or, in cold weather, its refrigerant pump) rejects the coil's heat to an
/// air-cooled condenser outdoors. Everything follows the dry bulb `T`; no water. With `Q` the
/// IT heat removed, `D` the design heat and `R` the room side:
///
/// ```text
/// carried = max(0, Q + UA * D * (T - T_return))      envelope: the hall's walls and roof
/// x       = clamp(carried / (full_flow * D), min_flow, 1)     airflow, fraction of full
/// fans    = fan_fraction * D * (c0 + c1 x + c2 x^2 + c3 x^3)  fan power vs airflow
/// load    = carried + fans                            the fans' heat is in the air stream
/// f       = 1 (T <= full), 0 (T >= none), linear between       economiser share
/// COP     = clamp(eta * T_evap,K / (T + approach - T_evap), COP_min, COP_max)
/// PLF     = 1 - degradation * (1 - load / (coil_capacity * D))  cycling at part load
/// power   = fans + load * ((1 - f) / COP + f * pump_fraction) / PLF
/// capacity = min(R, coil_capacity * D * (1 - derate * max(0, T - T_design)) - fans(1))
/// ```
///
/// The airflow follows the heat until the fans reach full speed (a supply-air reset that keeps
/// the supply as warm as the return set point allows: more heat at full flow means colder
/// supply air, not more air), so the fans' share of the IT power rises steeply at low load:
/// the fan floor of issue 23 item 4. The fan curve is a variable-speed fan's power against its
/// flow (EnergyPlus's `Fan:VariableVolume` coefficients); the part-load fraction is the DOE-2
/// cycling correction EnergyPlus applies to single-speed DX coils. The envelope term is the
/// heat the hall's shell gains or loses at the return-air temperature; it matters only at low
/// load in a small hall.
///
/// The library plant (`models/cooling/air-dx-pumped.toml`) is EnergyPlus's own data-centre
/// example (`1ZoneDataCenterCRAC_wPumpedDXCoolingCoil.idf`), fitted on three of the weather
/// files shipped with EnergyPlus and checked on three others (tests/integration/dx_plant.rs).
///
/// Left out: dehumidification (the coil's latent load), humidification, compressor staging
/// beyond the cycling correction, low-ambient head-pressure control, and the sun on the
/// hall's shell (the weather has no radiation): a small hall at 10 % load in a Phoenix summer
/// comes out up to 0.043 below EnergyPlus (docs/methods/facility.md).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DxPlant {
    /// Design IT heat, W.
    pub design_capacity_w: f64,
    /// Most heat the CRAC units can carry whatever the weather, W (see
    /// [`AirChiller::terminal_capacity_w`](super::AirChiller::terminal_capacity_w)).
    pub terminal_capacity_w: f64,
    /// Gross rated coil capacity, fraction of design heat.
    pub coil_capacity_fraction: f64,
    /// Dry bulb up to which the rated coil capacity holds, °C.
    pub design_outdoor_c: f64,
    /// Coil capacity lost per kelvin above `design_outdoor_c`, fraction.
    pub capacity_derate_per_c: f64,
    /// Evaporating temperature, °C.
    pub evaporating_c: f64,
    /// Condensing temperature above the dry bulb, K.
    pub condenser_approach_c: f64,
    /// Fraction of the Carnot COP the compressors reach, (0, 1].
    pub carnot_fraction: f64,
    /// Lowest compressor COP.
    pub cop_min: f64,
    /// Highest compressor COP.
    pub cop_max: f64,
    /// Part-load degradation coefficient (DOE-2 `C_d`): the coil's power is divided by
    /// `1 - C_d (1 - PLR)`.
    pub part_load_degradation: f64,
    /// `None`: compressors all year.
    pub economiser: Option<DxEconomiser>,
    /// Fan power at full airflow, fraction of design heat.
    pub fan_fraction: f64,
    /// Fan power at airflow fraction `x`, fraction of full: `c0 + c1 x + c2 x² + c3 x³`.
    pub fan_curve: [f64; 4],
    /// Lowest airflow, fraction of full.
    pub fan_min_flow: f64,
    /// Heat the fans carry at full airflow with the warmest supply air, fraction of design.
    pub full_flow_fraction: f64,
    /// Return-air temperature the CRAC units hold, °C.
    pub return_c: f64,
    /// Envelope conductance, W/K per W of design heat (0: the shell is ignored).
    pub envelope_ua_fraction: f64,
}

impl DxPlant {
    /// Fan power at airflow fraction `x`, fraction of full.
    #[inline]
    fn fan_curve_at(&self, x: f64) -> f64 {
        let [c0, c1, c2, c3] = self.fan_curve;
        c0 + x * (c1 + x * (c2 + x * c3))
    }

    /// Coil capacity at dry bulb `t`, W.
    #[inline]
    fn coil_capacity_w(&self, t: f64) -> f64 {
        let derate = self.capacity_derate_per_c * (t - self.design_outdoor_c).max(0.0);
        self.coil_capacity_fraction * self.design_capacity_w * (1.0 - derate).max(0.0)
    }

    /// Heat removal capacity in this weather, W.
    #[inline]
    pub fn capacity_w(&self, outdoor: &WeatherHour) -> f64 {
        let full_fans = self.fan_fraction * self.design_capacity_w * self.fan_curve_at(1.0);
        (self.coil_capacity_w(outdoor.dry_bulb_c) - full_fans)
            .max(0.0)
            .min(self.terminal_capacity_w)
    }

    /// Share of the heat the economiser carries at dry bulb `t`.
    #[inline]
    pub fn free_fraction(&self, t: f64) -> f64 {
        match self.economiser {
            None => 0.0,
            Some(e) if t <= e.full_c => 1.0,
            Some(e) if t >= e.none_c => 0.0,
            Some(e) => (e.none_c - t) / (e.none_c - e.full_c),
        }
    }

    /// One step (see the type's docs for the equations).
    #[inline]
    pub fn evaluate(&self, heat_w: f64, outdoor: &WeatherHour, _dt_s: f64) -> CoolingStep {
        let t = outdoor.dry_bulb_c;
        let d = self.design_capacity_w;
        let capacity = self.capacity_w(outdoor);
        let removed = heat_w.max(0.0).min(capacity);
        let carried = (removed + self.envelope_ua_fraction * d * (t - self.return_c)).max(0.0);
        let full = self.full_flow_fraction * d;
        let x = if full > 0.0 { carried / full } else { 1.0 };
        let x = x.max(self.fan_min_flow).min(1.0);
        let fans = self.fan_fraction * d * self.fan_curve_at(x);
        let load = carried + fans;
        let free = self.free_fraction(t);
        let pump = self.economiser.map_or(0.0, |e| e.pump_fraction);
        let compressor = if free < 1.0 {
            (1.0 - free)
                / carnot_cop(
                    self.carnot_fraction,
                    self.evaporating_c,
                    t + self.condenser_approach_c,
                    self.cop_min,
                    self.cop_max,
                )
        } else {
            0.0
        };
        let coil = self.coil_capacity_fraction * d;
        let plr = if coil > 0.0 {
            (load / coil).min(1.0)
        } else {
            1.0
        };
        let plf = 1.0 - self.part_load_degradation * (1.0 - plr);
        let mode = CoolingMode::of_free_share(free);
        CoolingStep {
            power_w: fans + load * (compressor + free * pump) / plf,
            capacity_w: capacity,
            removed_w: removed,
            evaporated_l: 0.0,
            mode,
        }
    }

    pub(super) fn check(&self) -> Result<(), ParamError> {
        check_positive(self.design_capacity_w, "design_capacity_kw", "")?;
        check_range(
            self.coil_capacity_fraction,
            0.5,
            5.0,
            "coil_capacity_fraction",
            "",
        )?;
        check_range(
            self.design_outdoor_c,
            -20.0,
            60.0,
            "design_outdoor_c",
            " °C",
        )?;
        check_range(
            self.capacity_derate_per_c,
            0.0,
            0.1,
            "capacity_derate_per_c",
            " per K",
        )?;
        check_range(self.evaporating_c, -10.0, 30.0, "evaporating_c", " °C")?;
        check_range(
            self.condenser_approach_c,
            0.0,
            40.0,
            "condenser_approach_c",
            " K",
        )?;
        check_above(self.carnot_fraction, 0.0, 1.0, "carnot_fraction")?;
        check_range(self.cop_min, 0.1, 100.0, "cop_min", "")?;
        check_range(
            self.cop_max,
            self.cop_min,
            100.0,
            "cop_max",
            " (and >= cop_min)",
        )?;
        check_range(
            self.part_load_degradation,
            0.0,
            0.5,
            "part_load_degradation",
            "",
        )?;
        if let Some(e) = self.economiser {
            check_range(e.full_c, -60.0, 40.0, "economiser_full_c", " °C")?;
            check_range(e.none_c, -60.0, 40.0, "economiser_none_c", " °C")?;
            check(e.full_c < e.none_c, "economiser_none_c", || {
                format!(
                    "must be above economiser_full_c ({}), got {}",
                    e.full_c, e.none_c
                )
            })?;
            // Economising must cost less per watt than the compressors at their best, or a
            // colder hour could cost more.
            check_range(
                e.pump_fraction,
                0.0,
                1.0 / self.cop_max,
                "economiser_pump_fraction",
                " (at most 1 / cop_max)",
            )?;
        }
        check_range(self.fan_fraction, 0.0, 0.5, "fan_fraction", "")?;
        check_range(self.fan_min_flow, 0.0, 1.0, "fan_min_flow", "")?;
        self.check_fan_curve()?;
        check_range(self.full_flow_fraction, 0.05, 5.0, "full_flow_fraction", "")?;
        check_range(self.return_c, 10.0, 50.0, "return_c", " °C")?;
        check_range(
            self.envelope_ua_fraction,
            0.0,
            0.01,
            "envelope_ua_fraction",
            " W/K per W",
        )
    }

    /// The fan curve must be finite, never negative and never falling between the lowest
    /// airflow and full flow (more air never costs less), and 1 at full flow within 5 %.
    fn check_fan_curve(&self) -> Result<(), ParamError> {
        let field = "fan_curve";
        check(self.fan_curve.iter().all(|c| c.is_finite()), field, || {
            format!(
                "expected four finite coefficients, got {:?}",
                self.fan_curve
            )
        })?;
        let mut prev = f64::MIN;
        for i in 0..=100 {
            let x = self.fan_min_flow + (1.0 - self.fan_min_flow) * f64::from(i) / 100.0;
            let y = self.fan_curve_at(x);
            check(y >= 0.0 && y >= prev - 1e-12, field, || {
                format!(
                    "must be non-negative and non-decreasing from fan_min_flow to 1; at airflow {x:.3} it gives {y:.4}"
                )
            })?;
            prev = y;
        }
        let one = self.fan_curve_at(1.0);
        check((one - 1.0).abs() <= 0.05, field, || {
            format!("must give 1 at full airflow (c0 + c1 + c2 + c3), got {one:.4}")
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DxToml {
    #[allow(dead_code)]
    kind: String,
    design_capacity_kw: f64,
    coil_capacity_fraction: f64,
    design_outdoor_c: f64,
    capacity_derate_per_c: f64,
    evaporating_c: f64,
    condenser_approach_c: f64,
    carnot_fraction: f64,
    cop_min: f64,
    cop_max: f64,
    part_load_degradation: f64,
    #[serde(default)]
    economiser_full_c: Option<f64>,
    #[serde(default)]
    economiser_none_c: Option<f64>,
    #[serde(default)]
    economiser_pump_fraction: Option<f64>,
    fan_fraction: f64,
    fan_curve: [f64; 4],
    fan_min_flow: f64,
    full_flow_fraction: f64,
    return_c: f64,
    #[serde(default)]
    envelope_ua_fraction: f64,
}

impl DxToml {
    pub(super) fn build(self) -> Result<CoolingPlant, ParamError> {
        let economiser = all_or_none(
            [
                self.economiser_full_c,
                self.economiser_none_c,
                self.economiser_pump_fraction,
            ],
            [
                "economiser_full_c",
                "economiser_none_c",
                "economiser_pump_fraction",
            ],
            "",
        )?
        .map(|[full_c, none_c, pump_fraction]| DxEconomiser {
            full_c,
            none_c,
            pump_fraction,
        });
        let design = self.design_capacity_kw * 1000.0;
        Ok(CoolingPlant::Dx(DxPlant {
            design_capacity_w: design,
            terminal_capacity_w: design,
            coil_capacity_fraction: self.coil_capacity_fraction,
            design_outdoor_c: self.design_outdoor_c,
            capacity_derate_per_c: self.capacity_derate_per_c,
            evaporating_c: self.evaporating_c,
            condenser_approach_c: self.condenser_approach_c,
            carnot_fraction: self.carnot_fraction,
            cop_min: self.cop_min,
            cop_max: self.cop_max,
            part_load_degradation: self.part_load_degradation,
            economiser,
            fan_fraction: self.fan_fraction,
            fan_curve: self.fan_curve,
            fan_min_flow: self.fan_min_flow,
            full_flow_fraction: self.full_flow_fraction,
            return_c: self.return_c,
            envelope_ua_fraction: self.envelope_ua_fraction,
        }))
    }
}
