//! The water of an open (or hybrid wet/dry) cooling tower: how much of the heat it rejects
//! leaves as evaporated water, and the blow-down that keeps the dissolved solids down. The
//! physics is in [`water`](crate::model::facility::physics::water); this is the tower's part
//! of a plant file and its checks.

use super::all_or_none;
use crate::model::facility::physics::water::{self, TowerAir};
use crate::model::facility::physics::{ParamError, check_above, check_range};
use crate::model::weather::WeatherHour;

/// How a tower's evaporation is reckoned.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TowerEvaporation {
    /// A stated share of the rejected heat leaves as latent heat in every weather, [0, 1]
    /// (`evaporative_share`; the form of plant files before issue 23).
    Share(f64),
    /// From the outdoor air's state, the tower's liquid-to-gas ratio and an optional dry
    /// switch point (`tower_range_c`, `tower_liquid_gas_ratio`, `tower_dry_below_c`).
    Outdoor(TowerAir),
}

/// Open cooling towers' water.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TowerWater {
    /// Evaporation model.
    pub evaporation: TowerEvaporation,
    /// Cycles of concentration of the tower water, > 1.
    pub cycles_of_concentration: f64,
}

impl TowerWater {
    /// Share of the rejected heat leaving as latent heat in this weather.
    #[inline]
    pub fn evaporated_share(&self, outdoor: &WeatherHour) -> f64 {
        match self.evaporation {
            TowerEvaporation::Share(s) => s,
            TowerEvaporation::Outdoor(a) => {
                a.evaporated_share(outdoor.dry_bulb_c, outdoor.rel_humidity_pct)
            }
        }
    }

    /// Litres (evaporation + blow-down) when `rejected_j` joules are rejected in air where
    /// `evaporated_share` of them leaves as latent heat ([`TowerWater::evaporated_share`]).
    #[inline]
    pub fn water_l_at(&self, rejected_j: f64, evaporated_share: f64) -> f64 {
        if rejected_j <= 0.0 {
            return 0.0;
        }
        water::onsite_water_l(rejected_j, evaporated_share, self.cycles_of_concentration)
    }

    pub(super) fn check(&self, f: &dyn Fn(&str) -> String) -> Result<(), ParamError> {
        match self.evaporation {
            TowerEvaporation::Share(s) => check_range(s, 0.0, 1.0, &f("evaporative_share"), "")?,
            TowerEvaporation::Outdoor(a) => {
                // 4.186 kJ/kg K x (2-15 K range) x (0.3-3 L/G).
                check_range(
                    a.enthalpy_rise_kj_per_kg,
                    2.0,
                    200.0,
                    &f("tower_liquid_gas_ratio"),
                    " kJ/kg of air (4.186 x tower_range_c x tower_liquid_gas_ratio)",
                )?;
                if let Some(t) = a.dry_below_c {
                    check_range(t, -40.0, 40.0, &f("tower_dry_below_c"), " °C")?;
                }
            }
        }
        check_above(
            self.cycles_of_concentration,
            1.0,
            100.0,
            &f("cycles_of_concentration"),
        )
    }
}

/// The tower's fields of a plant file (all optional there; `build` says which are needed).
#[derive(Clone, Copy, Default)]
pub(super) struct TowerFields {
    pub(super) evaporative_share: Option<f64>,
    pub(super) cycles_of_concentration: Option<f64>,
    pub(super) range_c: Option<f64>,
    pub(super) liquid_gas_ratio: Option<f64>,
    pub(super) dry_below_c: Option<f64>,
}

impl TowerFields {
    /// Names of the fields set, for "only used with towers" errors.
    pub(super) fn first_set(&self) -> Option<&'static str> {
        [
            ("evaporative_share", self.evaporative_share),
            ("cycles_of_concentration", self.cycles_of_concentration),
            ("tower_range_c", self.range_c),
            ("tower_liquid_gas_ratio", self.liquid_gas_ratio),
            ("tower_dry_below_c", self.dry_below_c),
        ]
        .into_iter()
        .find(|(_, v)| v.is_some())
        .map(|(n, _)| n)
    }

    /// Either `evaporative_share` (a constant share) or the pair `tower_range_c` +
    /// `tower_liquid_gas_ratio` (from the outdoor state, optionally `tower_dry_below_c`), and
    /// `cycles_of_concentration`.
    pub(super) fn build(self, prefix: &str) -> Result<TowerWater, ParamError> {
        let field = |n: &str| format!("{prefix}{n}");
        let outdoor = all_or_none(
            [self.range_c, self.liquid_gas_ratio],
            ["tower_range_c", "tower_liquid_gas_ratio"],
            prefix,
        )?;
        let evaporation = match (self.evaporative_share, outdoor) {
            (Some(_), Some(_)) => {
                return Err(ParamError::new(
                    field("evaporative_share"),
                    "set either evaporative_share (a constant share) or tower_range_c and tower_liquid_gas_ratio (from the outdoor air), not both",
                ));
            }
            (Some(s), None) => {
                if self.dry_below_c.is_some() {
                    return Err(ParamError::new(
                        field("tower_dry_below_c"),
                        "only used with tower_range_c and tower_liquid_gas_ratio",
                    ));
                }
                TowerEvaporation::Share(s)
            }
            (None, Some([range_c, lg])) => {
                check_range(range_c, 1.0, 20.0, &field("tower_range_c"), " K")?;
                check_range(lg, 0.2, 5.0, &field("tower_liquid_gas_ratio"), "")?;
                TowerEvaporation::Outdoor(TowerAir::from_design(range_c, lg, self.dry_below_c))
            }
            (None, None) => {
                return Err(ParamError::new(
                    field("tower_range_c"),
                    "missing: heat_rejection = \"tower\" needs tower_range_c and tower_liquid_gas_ratio (evaporation from the outdoor air) or evaporative_share (a constant share)",
                ));
            }
        };
        let cycles_of_concentration = self.cycles_of_concentration.ok_or_else(|| {
            ParamError::new(
                field("cycles_of_concentration"),
                "missing: required with heat_rejection = \"tower\"",
            )
        })?;
        Ok(TowerWater {
            evaporation,
            cycles_of_concentration,
        })
    }
}
