//! `kind = "air-chiller"`: an air-cooled hall on a chilled-water plant (see [`AirChiller`]).

use serde::Deserialize;

use super::tower::{TowerFields, TowerWater};
use super::{CoolingMode, CoolingStep, all_or_none, carnot_cop, cube};
use crate::model::facility::physics::{
    ParamError, check, check_above, check_positive, check_range,
};
use crate::model::weather::WeatherHour;

/// How an [`AirChiller`] plant rejects its heat.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HeatRejection {
    /// Open cooling towers and water-cooled chillers: outdoor temperature is the wet bulb;
    /// evaporates water (from the outdoor air's state, or a stated share).
    Tower(TowerWater),
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

/// What an [`AirChiller`]'s step needs of its weather hour ([`AirChiller::hour`]), worked out
/// once per hour: a step then does only its heat's part, the same operations on the same
/// numbers as when it worked these out itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AirHour {
    /// Most heat the plant can remove this hour, W.
    pub capacity: f64,
    /// The economiser's share of the heat.
    pub free: f64,
    /// The chillers' COP.
    pub cop: f64,
    /// Share of a tower's rejected heat leaving as latent heat (0 for dry rejection).
    pub evaporated_share: f64,
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
    pub(super) fn capacity_at(&self, t: f64) -> f64 {
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

    /// What a step needs of weather hour `outdoor`: the capacity, the economiser's share, the
    /// chillers' COP and a tower's evaporated share (the heat-independent part of a step).
    #[inline]
    pub fn hour(&self, outdoor: &WeatherHour) -> AirHour {
        let t = self.rejection_temp_c(outdoor);
        AirHour {
            capacity: self.capacity_at(t),
            free: self.free_fraction(t),
            cop: self.cop(t),
            evaporated_share: match self.heat_rejection {
                HeatRejection::Tower(tower) => tower.evaporated_share(outdoor),
                HeatRejection::Dry => 0.0,
            },
        }
    }

    /// One step (see the type's docs for the equations).
    #[inline]
    pub fn evaluate(&self, heat_w: f64, outdoor: &WeatherHour, dt_s: f64) -> CoolingStep {
        self.evaluate_in(&self.hour(outdoor), heat_w, dt_s)
    }

    /// One step in the hour `h` (this plant's [`AirChiller::hour`]).
    #[inline]
    pub fn evaluate_in(&self, h: &AirHour, heat_w: f64, dt_s: f64) -> CoolingStep {
        let d = self.design_capacity_w;
        let capacity = h.capacity;
        let removed = heat_w.max(0.0).min(capacity);
        let x = if d > 0.0 { (removed / d).min(1.0) } else { 0.0 };
        let free = h.free;
        let chiller_w = if free < 1.0 {
            removed * (1.0 - free) / h.cop
        } else {
            0.0
        };
        let crah_w = self.crah_fan_fraction * d * cube(x.max(self.crah_min_speed));
        let pump_w = self.pump_fraction * removed;
        let dt = dt_s.max(0.0);
        let (rejection_w, water_l) = match self.heat_rejection {
            HeatRejection::Tower(tower) => {
                let rejected = removed + chiller_w;
                (
                    self.rejection_fan_fraction * rejected,
                    tower.water_l_at(rejected * dt, h.evaporated_share),
                )
            }
            HeatRejection::Dry => (self.rejection_fan_fraction * removed * free, 0.0),
        };
        let mode = CoolingMode::of_free_share(free);
        CoolingStep {
            power_w: chiller_w + crah_w + pump_w + rejection_w,
            capacity_w: capacity,
            removed_w: removed,
            evaporated_l: water_l,
            mode,
        }
    }

    pub(super) fn check(&self, p: &str) -> Result<(), ParamError> {
        let f = |name: &str| format!("{p}{name}");
        check_positive(self.design_capacity_w, &f("design_capacity_kw"), "")?;
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
        if let HeatRejection::Tower(tower) = self.heat_rejection {
            tower.check(&f)?;
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
        check_above(self.carnot_fraction, 0.0, 1.0, &f("carnot_fraction"))?;
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

// ---------------------------------------------------------------------------------------------
// Model-file forms. They differ from the runtime structs in units (kW) and in their optional,
// all-or-none groups; `build` checks those and converts.

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(super) enum HeatRejectionKind {
    Tower,
    Dry,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AirChillerToml {
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
    tower_range_c: Option<f64>,
    #[serde(default)]
    tower_liquid_gas_ratio: Option<f64>,
    #[serde(default)]
    tower_dry_below_c: Option<f64>,
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

impl AirChillerToml {
    /// `prefix` is `""` at top level or `"air."` nested; `design_w` is `Some` when the enclosing
    /// plant sets the design capacity (then the file must not).
    pub(super) fn build(
        self,
        prefix: &str,
        design_w: Option<f64>,
    ) -> Result<AirChiller, ParamError> {
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
        let tower = TowerFields {
            evaporative_share: self.evaporative_share,
            cycles_of_concentration: self.cycles_of_concentration,
            range_c: self.tower_range_c,
            liquid_gas_ratio: self.tower_liquid_gas_ratio,
            dry_below_c: self.tower_dry_below_c,
        };
        let heat_rejection = match self.heat_rejection {
            HeatRejectionKind::Dry => {
                if let Some(name) = tower.first_set() {
                    return Err(ParamError::new(
                        field(name),
                        "only used with heat_rejection = \"tower\"",
                    ));
                }
                HeatRejection::Dry
            }
            HeatRejectionKind::Tower => HeatRejection::Tower(tower.build(prefix)?),
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
