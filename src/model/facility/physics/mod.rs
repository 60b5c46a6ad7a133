//! Facility physics: the models that turn IT power and weather into cooling power, electrical
//! losses, water and temperatures, for one rack group at a time.
//!
//! Every model here is a plain struct or enum with documented equations. The per-step
//! functions ([`CoolingPlant::evaluate`], [`ElectricalChain::losses`], [`ThermalNode::step`],
//! [`ThermalNode::throttle_cap`], [`server_fan_factor`] and the [`water`] helpers) take and
//! return plain numbers: they never allocate, never panic on any finite input, and cost a few
//! tens of nanoseconds (a handful of multiplies and divides, one `exp` in the thermal step; no
//! `powf`).
//!
//! Units: SI inside (W, J, s, °C, L); model files speak kW because plant data sheets do.
//!
//! The pieces:
//! - [`cooling`]: cooling plants (air + chillers + economiser, direct liquid with dry coolers,
//!   immersion), read from `models/cooling/<name>.toml` with [`CoolingPlant::from_toml`].
//! - [`electrical`]: UPS, transformer and distribution losses and the fixed (lighting, office)
//!   load, read from an `[electrical]` table with [`ElectricalChain::from_toml`].
//! - [`thermal`]: a lumped thermal node per rack group, ASHRAE classes, throttling and server
//!   fan power.
//! - [`water`]: on-site (evaporation + blow-down) and off-site (generation) water.
//!
//! A step of the engine, per rack group, is meant to go:
//! 1. IT power `it_w` (after last step's throttle cap) becomes heat `it_w`;
//! 2. `let c = plant.evaluate(it_w, &weather, dt_s)`;
//! 3. `node.step(it_w, c.capacity_w, dt_s)`; next step's cap is `node.throttle_cap(class)`;
//! 4. site-wide: `chain.losses(sum_it_w, sum_cooling_w)`; facility power is
//!    `it + cooling + losses.total_w()`. (A run's PUE is the ratio of its energy sums, facility
//!    over IT, computed in the engine's summary, not here.)

pub mod cooling;
pub mod electrical;
pub mod thermal;
pub mod water;

pub use self::cooling::{
    Adiabatic, AirChiller, AirSidePlant, CoolingMode, CoolingPlant, CoolingStep, DryCoolerLoop,
    DxEconomiser, DxPlant, Economiser, EvaporativeAssist, HeatRejection, ImmersionPlant,
    LiquidPlant, PlantHour, TowerEvaporation, TowerWater, TrimChiller,
};
pub use self::electrical::{
    ElectricalChain, ElectricalLosses, LossFit, LossQuadratic, PreparedChain,
};
pub use self::thermal::{AshraeClass, ThermalNode, server_fan_factor};

// Defined in `crate::base::error` (re-exported here) so that the crate's error can carry it typed
// without `error` importing `facility`.
pub use crate::base::error::FacilityError;

/// A bad parameter, before we know which file (if any) it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParamError {
    pub field: String,
    pub message: String,
}

impl ParamError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ParamError {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Attach a file: find the line where `field` is set (or its table's header, or line 1).
    pub(crate) fn in_file(self, file: &str, text: &str) -> FacilityError {
        FacilityError::Invalid {
            file: file.to_string(),
            line: line_of_field(text, &self.field),
            field: self.field,
            message: self.message,
        }
    }
}

impl From<ParamError> for FacilityError {
    fn from(p: ParamError) -> Self {
        FacilityError::Param {
            field: p.field,
            message: p.message,
        }
    }
}

/// Check helper: `Err(ParamError)` unless `ok`.
pub(crate) fn check(
    ok: bool,
    field: &str,
    message: impl FnOnce() -> String,
) -> Result<(), ParamError> {
    if ok {
        Ok(())
    } else {
        Err(ParamError::new(field, message()))
    }
}

/// Check that `v` is finite and within `[lo, hi]`.
pub(crate) fn check_range(
    v: f64,
    lo: f64,
    hi: f64,
    field: &str,
    unit: &str,
) -> Result<(), ParamError> {
    check(v.is_finite() && v >= lo && v <= hi, field, || {
        format!("expected a number in [{lo}, {hi}]{unit}, got {v}")
    })
}

/// Check that `v` is finite and positive (a capacity or rating).
pub(crate) fn check_positive(v: f64, field: &str, unit: &str) -> Result<(), ParamError> {
    check_range(v, f64::MIN_POSITIVE, f64::MAX, field, unit)
}

/// Check that `v` is finite and within `(lo, hi]`.
pub(crate) fn check_above(v: f64, lo: f64, hi: f64, field: &str) -> Result<(), ParamError> {
    check(v.is_finite() && v > lo && v <= hi, field, || {
        format!("expected a number in ({lo}, {hi}], got {v}")
    })
}

/// Turn a `toml` error on `text` into a [`FacilityError::Toml`] naming the line and field.
pub(crate) fn toml_error(file: &str, text: &str, err: &toml::de::Error) -> FacilityError {
    let message = err.message().trim().to_string();
    let (line, table, key) = match err.span() {
        Some(span) => locate(text, span.start),
        None => (1, None, None),
    };
    let field = match field_in_message(&message) {
        Some(f) => match &table {
            Some(t) if !t.is_empty() => format!("{t}.{f}"),
            _ => f.to_string(),
        },
        None => match (table, key) {
            (Some(t), Some(k)) if !t.is_empty() => format!("{t}.{k}"),
            (_, Some(k)) => k,
            (Some(t), None) => t,
            (None, None) => "?".to_string(),
        },
    };
    FacilityError::Toml {
        file: file.to_string(),
        line,
        field,
        message,
    }
}

/// `field `x`` in serde's messages ("unknown field `x`", "missing field `x`").
fn field_in_message(message: &str) -> Option<&str> {
    let start = message.find("field `")? + "field `".len();
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

pub(crate) use crate::base::locate::line_of_field;
use crate::base::locate::line_table_key as locate;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_lookup_finds_nested_keys() {
        let text = "kind = \"x\"\na = 1\n[air]\nb = 2\na = 3\n";
        assert_eq!(line_of_field(text, "a"), 2);
        assert_eq!(line_of_field(text, "air.a"), 5);
        assert_eq!(line_of_field(text, "air.b"), 4);
        assert_eq!(line_of_field(text, "air.zzz"), 3);
        assert_eq!(line_of_field(text, "zzz"), 1);
    }

    #[test]
    fn locate_names_table_and_key() {
        let text = "a = 1\n[air]\nb = \"x\"\n";
        let off = text.find("\"x\"").unwrap();
        assert_eq!(
            locate(text, off),
            (3, Some("air".to_string()), Some("b".to_string()))
        );
    }
}
