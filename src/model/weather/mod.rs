//! Outdoor weather for the facility physics: hourly dry bulb, wet bulb and
//! relative humidity, either synthesised from monthly climate normals
//! ([`Climate`], loaded from `models/climates/<name>.toml`) or read from an
//! EnergyPlus weather file ([`read_epw`]).
//!
//! Everything here is deterministic for a given random-number-generator
//! state and never panics on bad input: malformed files give a
//! [`WeatherError`] naming the file, line and field.

pub mod epw;
pub mod psychro;
pub mod synthetic;

/// Where a weather error points: the same file-and-line as the other model files' errors.
pub use crate::base::error::Location;
pub use epw::{epw_time_zone_h, read_epw};
pub use psychro::{rel_humidity_from_dew_point, wet_bulb_c};
pub use synthetic::{Climate, HeatWave, HeatWaveOverride, MonthlyNormals, Noise, month_days};

/// One hour of outdoor air.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct WeatherHour {
    /// Dry-bulb temperature, C.
    pub dry_bulb_c: f64,
    /// Wet-bulb temperature, C (Stull 2011, see [`psychro::wet_bulb_c`]); never above `dry_bulb_c`.
    pub wet_bulb_c: f64,
    /// Relative humidity, percent, 0..=100.
    pub rel_humidity_pct: f64,
}

impl From<WeatherError> for crate::Error {
    fn from(e: WeatherError) -> Self {
        crate::Error::Weather(Box::new(e))
    }
}

/// Everything that can go wrong loading weather.
#[derive(Debug, thiserror::Error)]
pub enum WeatherError {
    /// The file could not be read.
    #[error(transparent)]
    Io(crate::base::error::ReadError),
    /// A climate TOML file is malformed or fails validation. `field` is the
    /// dotted key (e.g. `monthly.tmax_c`) or `-` when it cannot be told.
    #[error("{location}: {field}: {message}")]
    Climate {
        /// File and line.
        location: Location,
        /// Dotted TOML key.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// An EPW data field is malformed. `field` is the 1-based EPW field
    /// number (7 = dry bulb), `field_name` its name.
    #[error("{location}: field {field} ({field_name}): {message}")]
    EpwField {
        /// File and line.
        location: Location,
        /// 1-based field number within the row.
        field: usize,
        /// Field name per the EPW specification.
        field_name: &'static str,
        /// What is wrong.
        message: String,
    },
    /// An EPW file is malformed in a way not tied to one field (header,
    /// field count, row count).
    #[error("{location}: {message}")]
    Epw {
        /// File and line.
        location: Location,
        /// What is wrong.
        message: String,
    },
}

impl WeatherError {
    /// The location (file and line) the error refers to, if any.
    pub fn location(&self) -> Option<&Location> {
        match self {
            WeatherError::Io(_) => None,
            WeatherError::Climate { location, .. }
            | WeatherError::EpwField { location, .. }
            | WeatherError::Epw { location, .. } => Some(location),
        }
    }

    /// The 1-based line number the error refers to, if known.
    pub fn line(&self) -> Option<usize> {
        self.location().and_then(|l| l.line)
    }
}
