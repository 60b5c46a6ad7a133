//! Synthetic hourly weather from monthly climate normals.
//!
//! A [`Climate`] is read from a small TOML file (see `models/climates/`):
//!
//! ```toml
//! name = "phoenix"
//! source = "NOAA 1991-2020 Climate Normals, Phoenix Sky Harbor (USW00023183)"
//! latitude = 33.43
//! longitude = -112.0   # degrees east: sets the local mean solar time
//! utc_offset = "-07:00" # the site's civil standard time
//! [monthly]            # 12 values each, Jan..Dec
//! tmax_c = [...]       # mean daily maximum dry bulb, C
//! tmin_c = [...]       # mean daily minimum dry bulb, C
//! dew_point_c = [...]  # mean dew point, C
//! [noise]
//! sd_c = 2.5           # sd of the autocorrelated hourly anomaly, C
//! tau_h = 36.0         # e-folding time of the anomaly, hours
//! [heat_wave]          # optional
//! chance_per_summer = 0.3
//! duration_days = 5.0
//! amplitude_c = 5.0
//! ```
//!
//! # The model
//!
//! Time is counted in hours from 00:00 on day 0 (1 January) of a
//! 365-day year of the site's *local mean solar time* (UTC + longitude/15
//! hours); years repeat (no leap days), so runs may be longer than 8760
//! hours. Entry `i` of a series from [`Climate::generate`] is the weather
//! at the instant the site's solar clock reads `start_local_hour + i` hours
//! after 00:00 of `start_day_of_year`. A study whose timestamps are written
//! in another clock uses [`Climate::generate_for_clock`], which places each
//! hour of the study clock at the right solar time of the site: the weather
//! follows the site's sun whatever clock the user reports in.
//!
//! Dry bulb at time `t` (day of year, fractional) and local hour `h`:
//!
//! ```text
//! T(t, h) = M(t) + A(t)·s(h) + x(t) + W(t)
//! ```
//!
//! * `M(t)` = daily mean `(tmax + tmin)/2` and `A(t)` = half the diurnal
//!   range `(tmax − tmin)/2`, each a piecewise-linear curve through one
//!   node per month placed at mid-month. The node values are solved for so
//!   that the curve's average over each calendar month equals that month's
//!   normal (a mean-preserving interpolation: plain linear interpolation
//!   through the normals themselves would shave about a quarter of the
//!   difference to the neighbouring months off every peak and trough).
//! * `s(h)` is the diurnal shape, −1 at 06:00 and +1 at 15:00 local:
//!   a rising half cosine `s = −cos(π(h − 6)/9)` from 06:00 to 15:00 and a
//!   falling half cosine `s = cos(π(h − 15)/15)` from 15:00 to 06:00 the next
//!   day. Both halves average zero, so the daily mean is `M`, the daily
//!   maximum `M + A` = tmax and the minimum `M − A` = tmin.
//! * `x(t)` is an AR(1) anomaly on hourly steps:
//!   `x₀ ~ N(0, σ²)`, `x_{k+1} = φ·x_k + σ·√(1 − φ²)·ε_k`, `φ = exp(−1/τ)`,
//!   `ε_k ~ N(0, 1)`, so `x` is stationary with sd `σ = sd_c` and
//!   autocorrelation `exp(−lag/τ)` with `τ = tau_h` hours.
//! * `W(t)` is the heat-wave bump: zero outside a wave, rising over the
//!   first quarter of the wave's duration as a raised cosine to
//!   `amplitude_c`, flat for the middle half, falling symmetrically over
//!   the last quarter. In each year of the run, a wave happens with
//!   probability `chance_per_summer`; its start is uniform over the summer
//!   (1 June..31 August in the north, 1 December..28 February if
//!   `latitude < 0`) such that it ends within the summer.
//!
//! Dew point is the mean-preserving interpolation of the monthly dew-point
//! normals, capped at the dry bulb; relative humidity follows from the
//! Magnus formula ([`super::psychro::rel_humidity_from_dew_point`]) and wet
//! bulb from Stull (2011) ([`super::psychro::wet_bulb_c`]). The dew point
//! carries no anomaly of its own, so a heat wave is a dry heat wave
//! (relative humidity falls as dry bulb rises).

use std::path::Path;
use std::sync::LazyLock;

use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use serde::Deserialize;
use toml::Spanned;

use super::psychro::{rel_humidity_from_dew_point, wet_bulb_c};
use super::{WeatherError, WeatherHour};
use crate::base::error::Location;

/// A common (non-leap) year of the calendar: the 365-day model year has its months.
const COMMON_YEAR: i32 = 2001;

/// Days in month `m0` (0 = January) of the 365-day model year, from the calendar
/// ([`crate::base::time`]). Grid profiles and tariffs are averaged over the same year.
pub fn month_days(m0: usize) -> u32 {
    crate::base::time::days_in_month(COMMON_YEAR, m0 as u32 + 1)
}

/// Three-letter month names, for messages.
const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
/// Days in the model year.
pub const DAYS_PER_YEAR: u32 = 365;
/// Hours in the model year.
pub const HOURS_PER_YEAR: usize = 8760;

/// First day (0-based) of the northern summer, 1 June.
const NORTH_SUMMER_START: f64 = 151.0;
/// End (exclusive, 0-based day) of the northern summer: 1 September.
const NORTH_SUMMER_END: f64 = 243.0;
/// First day (0-based) of the southern summer, 1 December.
const SOUTH_SUMMER_START: f64 = 334.0;
/// End of the southern summer, 1 March of the next year (365 + 59).
const SOUTH_SUMMER_END: f64 = 424.0;

/// Plausible range for any temperature normal, C. Anything outside is
/// most likely a unit mistake (Fahrenheit).
const T_NORMAL_RANGE: (f64, f64) = (-90.0, 60.0);

/// Monthly climate normals, January to December.
#[derive(Clone, Debug, PartialEq)]
pub struct MonthlyNormals {
    /// Mean daily maximum dry bulb, C.
    pub tmax_c: [f64; 12],
    /// Mean daily minimum dry bulb, C.
    pub tmin_c: [f64; 12],
    /// Mean dew point, C.
    pub dew_point_c: [f64; 12],
}

/// The autocorrelated hourly anomaly added to the dry bulb.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Noise {
    /// Standard deviation of the anomaly, C (≥ 0).
    pub sd_c: f64,
    /// E-folding time of its autocorrelation, hours (> 0).
    pub tau_h: f64,
}

/// Random summer heat waves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeatWave {
    /// Probability that a given summer has one wave, 0..=1.
    pub chance_per_summer: f64,
    /// Length of a wave, days (0 < d ≤ 90).
    pub duration_days: f64,
    /// Added to the dry bulb at the wave's plateau, C.
    pub amplitude_c: f64,
}

/// A heat wave forced by the caller (stress runs), replacing the climate's
/// random heat waves. It happens in every model year the run covers,
/// starting at 00:00 local of `start_day_of_year` (0-based, taken modulo
/// 365), with the same shape as a random wave. A non-finite or
/// non-positive duration, or a non-finite amplitude, means no wave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeatWaveOverride {
    /// 0-based day of year on which the wave starts.
    pub start_day_of_year: u32,
    /// Length of the wave, days.
    pub duration_days: f64,
    /// Added to the dry bulb at the wave's plateau, C.
    pub amplitude_c: f64,
}

/// A climate: monthly normals plus the statistics of the weather around
/// them. Construct with [`Climate::from_toml`], [`Climate::load`] or
/// [`Climate::new`], all of which validate.
#[derive(Clone, Debug, PartialEq)]
pub struct Climate {
    name: String,
    source: String,
    latitude: f64,
    /// Degrees east; the diurnal cycle follows local mean solar time, UTC + longitude/15 h.
    longitude: f64,
    /// The site's civil standard time, seconds east of UTC.
    utc_offset_s: i32,
    monthly: MonthlyNormals,
    noise: Noise,
    heat_wave: Option<HeatWave>,
    /// Mid-month node values of the daily mean, C (mean-preserving).
    mean_nodes: [f64; 12],
    /// Mid-month node values of the diurnal half range, C.
    amp_nodes: [f64; 12],
    /// Mid-month node values of the dew point, C.
    dew_nodes: [f64; 12],
}

// ---------------------------------------------------------------------------
// TOML form

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClimate {
    name: Spanned<String>,
    source: Spanned<String>,
    latitude: Spanned<f64>,
    longitude: Spanned<f64>,
    utc_offset: Spanned<String>,
    monthly: RawMonthly,
    noise: RawNoise,
    heat_wave: Option<RawHeatWave>,
}

impl RawClimate {
    /// Each validated field's dotted name and the span of its value.
    fn field_spans(&self) -> [(&'static str, std::ops::Range<usize>); 13] {
        [
            ("name", self.name.span()),
            ("source", self.source.span()),
            ("latitude", self.latitude.span()),
            ("longitude", self.longitude.span()),
            ("utc_offset", self.utc_offset.span()),
            ("monthly.tmax_c", self.monthly.tmax_c.span()),
            ("monthly.tmin_c", self.monthly.tmin_c.span()),
            ("monthly.dew_point_c", self.monthly.dew_point_c.span()),
            ("noise.sd_c", self.noise.sd_c.span()),
            ("noise.tau_h", self.noise.tau_h.span()),
            (
                "heat_wave.chance_per_summer",
                self.heat_wave
                    .as_ref()
                    .map_or(0..0, |h| h.chance_per_summer.span()),
            ),
            (
                "heat_wave.duration_days",
                self.heat_wave
                    .as_ref()
                    .map_or(0..0, |h| h.duration_days.span()),
            ),
            (
                "heat_wave.amplitude_c",
                self.heat_wave
                    .as_ref()
                    .map_or(0..0, |h| h.amplitude_c.span()),
            ),
        ]
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMonthly {
    tmax_c: Spanned<Vec<f64>>,
    tmin_c: Spanned<Vec<f64>>,
    dew_point_c: Spanned<Vec<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNoise {
    sd_c: Spanned<f64>,
    tau_h: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeatWave {
    chance_per_summer: Spanned<f64>,
    duration_days: Spanned<f64>,
    amplitude_c: Spanned<f64>,
}

/// A validation failure: dotted field name and message.
type Invalid = (&'static str, String);

use crate::base::locate::{line_of, toml_error_field};

fn to_array(values: &[f64]) -> Option<[f64; 12]> {
    <[f64; 12]>::try_from(values).ok()
}

impl Climate {
    /// Parse and validate a climate from TOML text. `name_for_errors` is
    /// used only in error messages (normally the file path). Errors name the
    /// file, the line and the dotted field, e.g.
    /// `models/climates/x.toml:7: monthly.tmax_c: expected 12 values, found 11`.
    pub fn from_toml(name_for_errors: &str, text: &str) -> Result<Climate, WeatherError> {
        let raw: RawClimate = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_string();
            WeatherError::Climate {
                location: Location {
                    file: name_for_errors.to_string(),
                    line: e.span().map(|s| line_of(text, s.start)),
                },
                field: toml_error_field(text, e.span().map(|s| s.start), &message),
                message,
            }
        })?;

        // Map a validation failure on field `f` to the line of its value.
        let spans = raw.field_spans();
        let err = |(field, message): Invalid| {
            let line = spans
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, s)| line_of(text, s.start));
            WeatherError::Climate {
                location: Location {
                    file: name_for_errors.to_string(),
                    line,
                },
                field: field.to_string(),
                message,
            }
        };

        let arr = |field: &'static str, v: &Spanned<Vec<f64>>| {
            to_array(v.get_ref()).ok_or_else(|| {
                err((
                    field,
                    format!("expected 12 values (Jan..Dec), found {}", v.get_ref().len()),
                ))
            })
        };
        let monthly = MonthlyNormals {
            tmax_c: arr("monthly.tmax_c", &raw.monthly.tmax_c)?,
            tmin_c: arr("monthly.tmin_c", &raw.monthly.tmin_c)?,
            dew_point_c: arr("monthly.dew_point_c", &raw.monthly.dew_point_c)?,
        };
        let noise = Noise {
            sd_c: *raw.noise.sd_c.get_ref(),
            tau_h: *raw.noise.tau_h.get_ref(),
        };
        let heat_wave = raw.heat_wave.as_ref().map(|h| HeatWave {
            chance_per_summer: *h.chance_per_summer.get_ref(),
            duration_days: *h.duration_days.get_ref(),
            amplitude_c: *h.amplitude_c.get_ref(),
        });
        let utc_offset_s = crate::base::time::parse_utc_offset(raw.utc_offset.get_ref())
            .map_err(|m| err(("utc_offset", m)))?;
        let longitude = *raw.longitude.get_ref();
        if !(longitude.is_finite() && (-180.0..=180.0).contains(&longitude)) {
            return Err(err((
                "longitude",
                format!("expected degrees east in -180..=180, found {longitude}"),
            )));
        }
        Self::build(
            raw.name.into_inner(),
            raw.source.into_inner(),
            *raw.latitude.get_ref(),
            monthly,
            noise,
            heat_wave,
        )
        .map(|c| c.with_site_clock(longitude, utc_offset_s))
        .map_err(err)
    }

    /// The same climate placed at `longitude` (degrees east, sets the solar time of the
    /// diurnal cycle) in the civil time zone `utc_offset_s` (seconds east of UTC). A climate
    /// built with [`Climate::new`] sits at longitude 0 on UTC until this is called.
    pub fn with_site_clock(mut self, longitude: f64, utc_offset_s: i32) -> Climate {
        self.longitude = if longitude.is_finite() {
            longitude.clamp(-180.0, 180.0)
        } else {
            0.0
        };
        self.utc_offset_s = utc_offset_s;
        self
    }

    /// Longitude, degrees east.
    pub fn longitude(&self) -> f64 {
        self.longitude
    }

    /// The site's civil standard time, seconds east of UTC.
    pub fn utc_offset_s(&self) -> i32 {
        self.utc_offset_s
    }

    /// Local mean solar time minus UTC, hours: longitude / 15.
    pub fn solar_offset_h(&self) -> f64 {
        self.longitude / 15.0
    }

    /// Weather for `hours` hours of a study clock `study_offset_s` seconds east of UTC,
    /// starting at 00:00 of `start_day_of_year` on that clock. Each entry is the weather at
    /// the instant that study hour begins, taken at the site's solar time (so the afternoon
    /// maximum falls in the site's afternoon whatever the study clock). The same random
    /// numbers are drawn as by [`Climate::generate_with`].
    pub fn generate_for_clock<R: Rng + ?Sized>(
        &self,
        hours: usize,
        start_day_of_year: u32,
        study_offset_s: i32,
        heat_wave: Option<HeatWaveOverride>,
        rng: &mut R,
    ) -> Vec<WeatherHour> {
        let shift_h = self.solar_offset_h() - f64::from(study_offset_s) / 3600.0;
        let first = f64::from(start_day_of_year % DAYS_PER_YEAR) * 24.0 + shift_h;
        self.generate_from(hours, first, heat_wave, rng)
    }

    /// Read and parse a climate TOML file (see [`Climate::from_toml`]).
    pub fn load(path: &Path) -> Result<Climate, WeatherError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| WeatherError::Io(crate::base::error::ReadError::new(&shown, e)))?;
        Self::from_toml(&shown, &text)
    }

    /// Build and validate a climate from its parts. Errors name the climate
    /// (in place of a file) and the field, with no line.
    pub fn new(
        name: &str,
        source: &str,
        latitude: f64,
        monthly: MonthlyNormals,
        noise: Noise,
        heat_wave: Option<HeatWave>,
    ) -> Result<Climate, WeatherError> {
        Self::build(
            name.to_string(),
            source.to_string(),
            latitude,
            monthly,
            noise,
            heat_wave,
        )
        .map_err(|(field, message)| WeatherError::Climate {
            location: Location {
                file: name.to_string(),
                line: None,
            },
            field: field.to_string(),
            message,
        })
    }

    fn build(
        name: String,
        source: String,
        latitude: f64,
        monthly: MonthlyNormals,
        noise: Noise,
        heat_wave: Option<HeatWave>,
    ) -> Result<Climate, Invalid> {
        validate(&name, latitude, &monthly, &noise, heat_wave.as_ref())?;
        let mut mean = [0.0; 12];
        let mut amp = [0.0; 12];
        for m in 0..12 {
            mean[m] = 0.5 * (monthly.tmax_c[m] + monthly.tmin_c[m]);
            amp[m] = 0.5 * (monthly.tmax_c[m] - monthly.tmin_c[m]);
        }
        let averaging = month_averaging_matrix();
        Ok(Climate {
            mean_nodes: mean_preserving_nodes(&averaging, &mean),
            amp_nodes: mean_preserving_nodes(&averaging, &amp),
            dew_nodes: mean_preserving_nodes(&averaging, &monthly.dew_point_c),
            name,
            source,
            latitude,
            longitude: 0.0,
            utc_offset_s: 0,
            monthly,
            noise,
            heat_wave,
        })
    }

    /// Short name, e.g. `phoenix`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where the normals come from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Latitude, degrees north (negative south).
    pub fn latitude(&self) -> f64 {
        self.latitude
    }

    /// The monthly normals.
    pub fn monthly(&self) -> &MonthlyNormals {
        &self.monthly
    }

    /// The hourly anomaly's parameters.
    pub fn noise(&self) -> Noise {
        self.noise
    }

    /// The random heat waves, if any.
    pub fn heat_wave(&self) -> Option<HeatWave> {
        self.heat_wave
    }

    /// Annual mean dry bulb of the normals, C: the day-weighted mean of the
    /// monthly `(tmax + tmin)/2`. A generated series without heat waves has
    /// this long-run mean.
    pub fn normal_annual_mean_c(&self) -> f64 {
        let total: f64 = (0..12)
            .map(|m| {
                0.5 * (self.monthly.tmax_c[m] + self.monthly.tmin_c[m]) * f64::from(month_days(m))
            })
            .sum();
        total / f64::from(DAYS_PER_YEAR)
    }

    /// Generate `hours` hours of weather starting at 00:00 of
    /// `start_day_of_year` (0-based; taken modulo 365) plus
    /// `start_local_hour` hours, with the climate's own random heat waves.
    /// Deterministic for a given `rng` state. See the module docs for the
    /// model.
    pub fn generate<R: Rng + ?Sized>(
        &self,
        hours: usize,
        start_day_of_year: u32,
        start_local_hour: u32,
        rng: &mut R,
    ) -> Vec<WeatherHour> {
        self.generate_with(hours, start_day_of_year, start_local_hour, None, rng)
    }

    /// As [`Climate::generate`], but with `heat_wave` (if given) replacing
    /// the climate's random heat waves. The random numbers drawn are the
    /// same with or without an override, so for the same `rng` state the
    /// two series differ only by the heat-wave bumps.
    pub fn generate_with<R: Rng + ?Sized>(
        &self,
        hours: usize,
        start_day_of_year: u32,
        start_local_hour: u32,
        heat_wave: Option<HeatWaveOverride>,
        rng: &mut R,
    ) -> Vec<WeatherHour> {
        let first_hour =
            u64::from(start_day_of_year % DAYS_PER_YEAR) * 24 + u64::from(start_local_hour);
        self.generate_from(hours, first_hour as f64, heat_wave, rng)
    }

    /// The generator: entry `i` is the weather at solar hour `first_hour + i` (hours since
    /// 00:00 of day 0 of model year 0, fractional and possibly negative).
    fn generate_from<R: Rng + ?Sized>(
        &self,
        hours: usize,
        first_hour: f64,
        heat_wave: Option<HeatWaveOverride>,
        rng: &mut R,
    ) -> Vec<WeatherHour> {
        let waves = self.waves(hours, first_hour, heat_wave, rng);
        let sd = self.noise.sd_c;
        let phi = (-1.0 / self.noise.tau_h).exp();
        let innovation_sd = sd * (1.0 - phi * phi).max(0.0).sqrt();
        let mut anomaly = sd * rng.sample::<f64, _>(StandardNormal);

        // The diurnal shape at each hour of the day, kept with the hour it was worked out
        // for: within a binade of `abs_hour` the hours of the day repeat to the bit, so the
        // cosine is taken some 24 times per binade, not every hour.
        let mut shapes = [(f64::NAN, 0.0); 24];
        let mut out = Vec::with_capacity(hours);
        for i in 0..hours as u64 {
            if i > 0 {
                anomaly = phi * anomaly + innovation_sd * rng.sample::<f64, _>(StandardNormal);
            }
            let abs_hour = first_hour + i as f64;
            let t_abs = abs_hour / 24.0;
            let t_year = rem_euclid(t_abs, f64::from(DAYS_PER_YEAR));
            let hour_of_day = rem_euclid(abs_hour, 24.0);
            let bump: f64 = waves.iter().map(|w| w.bump(t_abs)).sum();
            // One segment of the mid-month curves for the three series (as `interpolate`).
            let seg = Segment::at(t_year);
            let mean = seg.of(&self.mean_nodes);
            let amp = seg.of(&self.amp_nodes).max(0.0);
            let memo = &mut shapes[(i % 24) as usize];
            if memo.0.to_bits() != hour_of_day.to_bits() {
                *memo = (hour_of_day, diurnal_shape(hour_of_day));
            }
            let dry = mean + amp * memo.1 + anomaly + bump;
            let dew = seg.of(&self.dew_nodes).min(dry);
            let rh = rel_humidity_from_dew_point(dry, dew);
            out.push(WeatherHour {
                dry_bulb_c: dry,
                wet_bulb_c: wet_bulb_c(dry, rh),
                rel_humidity_pct: rh,
            });
        }
        out
    }

    /// The heat waves of the model years an `hours`-long series from `first_hour` touches (and
    /// the year before, which may run into it). Two uniforms are drawn per model year whatever
    /// the parameters, so the stream of random numbers does not depend on them.
    fn waves<R: Rng + ?Sized>(
        &self,
        hours: usize,
        first_hour: f64,
        heat_wave: Option<HeatWaveOverride>,
        rng: &mut R,
    ) -> Vec<Wave> {
        let t_start = first_hour / 24.0;
        let t_end = (first_hour + hours as f64) / 24.0;
        let first_year = (t_start / 365.0).floor() as i64 - 1;
        let last_year = (t_end / 365.0).floor() as i64;
        let mut waves: Vec<Wave> = Vec::new();
        for year in first_year..=last_year {
            let occurs: f64 = rng.random();
            let position: f64 = rng.random();
            let year_start = year as f64 * 365.0;
            match (heat_wave, self.heat_wave) {
                (Some(forced), _) => {
                    if forced.duration_days.is_finite()
                        && forced.duration_days > 0.0
                        && forced.amplitude_c.is_finite()
                    {
                        waves.push(Wave {
                            start: year_start + f64::from(forced.start_day_of_year % DAYS_PER_YEAR),
                            duration: forced.duration_days,
                            amplitude: forced.amplitude_c,
                        });
                    }
                }
                (None, Some(hw)) => {
                    if occurs < hw.chance_per_summer {
                        let (lo, hi) = if self.latitude < 0.0 {
                            (SOUTH_SUMMER_START, SOUTH_SUMMER_END)
                        } else {
                            (NORTH_SUMMER_START, NORTH_SUMMER_END)
                        };
                        let latest = (hi - hw.duration_days).max(lo);
                        waves.push(Wave {
                            start: year_start + lo + position * (latest - lo),
                            duration: hw.duration_days,
                            amplitude: hw.amplitude_c,
                        });
                    }
                }
                (None, None) => {}
            }
        }
        waves
    }

    /// The deterministic part of the dry bulb (normals and diurnal cycle,
    /// no anomaly, no heat wave) at fractional day of year `t_year` and
    /// local hour `hour_of_day`. For tests and diagnostics.
    pub fn expected_dry_bulb_c(&self, t_year: f64, hour_of_day: f64) -> f64 {
        let t = t_year.rem_euclid(365.0);
        interpolate(&self.mean_nodes, t)
            + interpolate(&self.amp_nodes, t).max(0.0) * diurnal_shape(hour_of_day)
    }
}

fn validate(
    name: &str,
    latitude: f64,
    monthly: &MonthlyNormals,
    noise: &Noise,
    heat_wave: Option<&HeatWave>,
) -> Result<(), Invalid> {
    if name.trim().is_empty() {
        return Err(("name", "must not be empty".to_string()));
    }
    if !(latitude.is_finite() && (-90.0..=90.0).contains(&latitude)) {
        return Err((
            "latitude",
            format!("expected degrees in -90..=90, found {latitude}"),
        ));
    }
    let series: [(&'static str, &[f64; 12]); 3] = [
        ("monthly.tmax_c", &monthly.tmax_c),
        ("monthly.tmin_c", &monthly.tmin_c),
        ("monthly.dew_point_c", &monthly.dew_point_c),
    ];
    for (field, values) in series {
        for (m, &v) in values.iter().enumerate() {
            if !(v.is_finite() && (T_NORMAL_RANGE.0..=T_NORMAL_RANGE.1).contains(&v)) {
                return Err((
                    field,
                    format!(
                        "{}: {v} is not a temperature in {}..={} C (Fahrenheit?)",
                        MONTH_NAMES[m], T_NORMAL_RANGE.0, T_NORMAL_RANGE.1
                    ),
                ));
            }
        }
    }
    let pairs = monthly.tmax_c.iter().zip(&monthly.tmin_c);
    for (month, (&tmax, &tmin)) in MONTH_NAMES.iter().zip(pairs) {
        if tmax < tmin {
            return Err((
                "monthly.tmin_c",
                format!("{month}: tmin_c {tmin} is above tmax_c {tmax}"),
            ));
        }
    }
    if !(noise.sd_c.is_finite() && noise.sd_c >= 0.0) {
        return Err((
            "noise.sd_c",
            format!("expected a finite sd >= 0 C, found {}", noise.sd_c),
        ));
    }
    if !(noise.tau_h.is_finite() && noise.tau_h > 0.0) {
        return Err((
            "noise.tau_h",
            format!("expected a finite time > 0 h, found {}", noise.tau_h),
        ));
    }
    if let Some(hw) = heat_wave {
        if !(0.0..=1.0).contains(&hw.chance_per_summer) {
            return Err((
                "heat_wave.chance_per_summer",
                format!(
                    "expected a probability in 0..=1, found {}",
                    hw.chance_per_summer
                ),
            ));
        }
        if !(hw.duration_days.is_finite() && hw.duration_days > 0.0 && hw.duration_days <= 90.0) {
            return Err((
                "heat_wave.duration_days",
                format!(
                    "expected days in (0, 90] (a wave must fit in a summer), found {}",
                    hw.duration_days
                ),
            ));
        }
        if !(hw.amplitude_c.is_finite() && hw.amplitude_c.abs() <= 30.0) {
            return Err((
                "heat_wave.amplitude_c",
                format!("expected C in -30..=30, found {}", hw.amplitude_c),
            ));
        }
    }
    Ok(())
}

/// One heat wave, in absolute days since 00:00 of day 0 of model year 0.
#[derive(Clone, Copy, Debug)]
struct Wave {
    start: f64,
    duration: f64,
    amplitude: f64,
}

impl Wave {
    /// Fraction of the duration spent ramping up (and, again, down).
    const RAMP: f64 = 0.25;

    /// The bump at absolute day `t`: a Tukey (tapered-cosine) window.
    fn bump(&self, t: f64) -> f64 {
        let u = (t - self.start) / self.duration;
        if !(0.0..=1.0).contains(&u) {
            return 0.0;
        }
        let edge = u.min(1.0 - u);
        if edge >= Self::RAMP {
            self.amplitude
        } else {
            self.amplitude * 0.5 * (1.0 - (std::f64::consts::PI * edge / Self::RAMP).cos())
        }
    }
}

/// Diurnal shape, −1 at 06:00 and +1 at 15:00 local, zero daily mean:
/// `−cos(π(h−6)/9)` on 06:00..15:00, `cos(π(h−15)/15)` on 15:00..06:00.
pub fn diurnal_shape(hour_of_day: f64) -> f64 {
    use std::f64::consts::PI;
    let h = rem_euclid(hour_of_day, 24.0);
    if (6.0..15.0).contains(&h) {
        -(PI * (h - 6.0) / 9.0).cos()
    } else {
        let since_peak = rem_euclid(h - 15.0, 24.0);
        (PI * since_peak / 15.0).cos()
    }
}

/// Day of year (fractional) of each month's midpoint.
static MID_MONTH_DAYS: LazyLock<[f64; 12]> = LazyLock::new(|| {
    let mut nodes = [0.0; 12];
    let mut start = 0.0;
    for (m, node) in nodes.iter_mut().enumerate() {
        let len = f64::from(month_days(m));
        *node = start + len / 2.0;
        start += len;
    }
    nodes
});

/// Piecewise-linear, year-periodic interpolation through mid-month
/// `nodes` at fractional day of year `t` (0..365).
fn interpolate(nodes: &[f64; 12], t: f64) -> f64 {
    Segment::at(t).of(nodes)
}

/// Where a fractional day of year falls between the mid-month nodes: the two nodes' months
/// and the weight of the second. Found once, it serves every series interpolated at that
/// instant (the generator's three).
#[derive(Clone, Copy, Debug)]
struct Segment {
    a: usize,
    b: usize,
    w: f64,
}

impl Segment {
    /// The segment `[a, b)` containing `t` (taken modulo 365), wrapping over the year end.
    fn at(t: f64) -> Segment {
        let mids = *MID_MONTH_DAYS;
        let t = rem_euclid(t, 365.0);
        let (a, a_day, b, b_day) = if t < mids[0] {
            (11, mids[11] - 365.0, 0, mids[0])
        } else if t >= mids[11] {
            (11, mids[11], 0, mids[0] + 365.0)
        } else {
            let i = mids.iter().rposition(|&d| d <= t).unwrap_or(0).min(10);
            (i, mids[i], i + 1, mids[i + 1])
        };
        Segment {
            a,
            b,
            w: (t - a_day) / (b_day - a_day),
        }
    }

    /// The curve through `nodes` at the segment's instant.
    #[inline(always)]
    fn of(&self, nodes: &[f64; 12]) -> f64 {
        let (a_val, b_val) = (nodes[self.a], nodes[self.b]);
        a_val + self.w * (b_val - a_val)
    }
}

/// `x.rem_euclid(m)` for a positive integral `m`, to the bit, without the library's `fmod`
/// loop (a quarter of the weather year's instructions went to it): the quotient truncated,
/// the remainder `x - q m` then exact (Sterbenz: `x` and `q m` are within a factor of two, or
/// `q` is 0), and moved up by `m` when the division rounded `q` up past `x / m`. Beyond
/// `2^52` (never for an hour count) the library's.
#[inline]
fn rem_euclid(x: f64, m: f64) -> f64 {
    const SAFE: f64 = 4_503_599_627_370_496.0; // 2^52
    let a = x.abs();
    // (NaN and the infinities too.)
    if a.is_nan() || a >= SAFE {
        return x.rem_euclid(m);
    }
    // `fmod(|x|, m)`: exact, in [0, m).
    let mut r = a - (a / m) as u64 as f64 * m;
    if r < 0.0 {
        r += m;
    }
    // `fmod` keeps the sign of `x` (of -0.0 too); `rem_euclid` then adds `m` to a negative
    // remainder.
    if x.is_sign_negative() {
        r = -r;
        if r < 0.0 {
            r += m;
        }
    }
    r
}

/// `A[m][i]`: the average over calendar month `m`, sampled at the hourly
/// instants the generator uses, of the interpolant whose node `i` is 1 and
/// the others 0.
fn month_averaging_matrix() -> [[f64; 12]; 12] {
    let mut a = [[0.0; 12]; 12];
    for i in 0..12 {
        let mut basis = [0.0; 12];
        basis[i] = 1.0;
        let mut hour = 0u32;
        for (m, row) in a.iter_mut().enumerate() {
            let n = month_days(m) * 24;
            let sum: f64 = (hour..hour + n)
                .map(|h| interpolate(&basis, f64::from(h) / 24.0))
                .sum();
            row[i] = sum / f64::from(n);
            hour += n;
        }
    }
    a
}

/// Node values `v` with `A·v = targets` (monthly averages reproduced),
/// by the fixed-point iteration `v ← v + (targets − A·v)`, which converges
/// because `A` is a smoothing operator with eigenvalues in about 0.5..1.
fn mean_preserving_nodes(a: &[[f64; 12]; 12], targets: &[f64; 12]) -> [f64; 12] {
    let mut v = *targets;
    for _ in 0..100 {
        let mut worst: f64 = 0.0;
        let mut next = v;
        for m in 0..12 {
            let avg: f64 = (0..12).map(|i| a[m][i] * v[i]).sum();
            let residual = targets[m] - avg;
            worst = worst.max(residual.abs());
            next[m] += residual;
        }
        v = next;
        if worst < 1e-12 {
            break;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;

    fn climates_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/climates")
    }

    fn library(name: &str) -> Climate {
        let path = climates_dir().join(format!("{name}.toml"));
        Climate::load(&path).unwrap_or_else(|e| panic!("{e}"))
    }

    const SIMPLE: &str = r#"
name = "test"
source = "made up"
latitude = 45.0
longitude = 10.0
utc_offset = "+01:00"
[monthly]
tmax_c = [5, 7, 11, 16, 21, 26, 29, 28, 24, 17, 10, 6]
tmin_c = [-3, -2, 1, 5, 10, 15, 18, 17, 13, 7, 2, -2]
dew_point_c = [-5, -4, -1, 3, 8, 13, 16, 15, 11, 5, 0, -4]
[noise]
sd_c = 2.5
tau_h = 36.0
"#;

    /// Mean of `f` over the hours of month `m` (0-based) within a
    /// series of whole years starting 1 January 00:00.
    fn month_mean(series: &[WeatherHour], m: usize, f: impl Fn(&WeatherHour) -> f64) -> f64 {
        let start: u32 = (0..m).map(month_days).sum();
        let (mut sum, mut n) = (0.0, 0usize);
        for (i, h) in series.iter().enumerate() {
            let doy = (i / 24) as u32 % 365;
            if doy >= start && doy < start + month_days(m) {
                sum += f(h);
                n += 1;
            }
        }
        sum / n as f64
    }

    fn mean(xs: impl Iterator<Item = f64>) -> f64 {
        let (mut s, mut n) = (0.0, 0usize);
        for x in xs {
            s += x;
            n += 1;
        }
        s / n as f64
    }

    #[test]
    fn parses_simple_toml_with_integers() {
        let c = Climate::from_toml("t.toml", SIMPLE).unwrap();
        assert_eq!(c.name(), "test");
        assert_eq!(c.monthly().tmax_c[6], 29.0);
        assert!(c.heat_wave().is_none());
        assert!((c.normal_annual_mean_c() - 11.7).abs() < 0.1);
    }

    #[test]
    fn diurnal_shape_extremes_and_zero_mean() {
        assert_eq!(diurnal_shape(6.0), -1.0);
        assert_eq!(diurnal_shape(15.0), 1.0);
        let m = mean((0..24).map(|h| diurnal_shape(f64::from(h))));
        assert!(m.abs() < 1e-12, "{m}");
        for h in 0..24 {
            let s = diurnal_shape(f64::from(h));
            assert!((-1.0..=1.0).contains(&s));
        }
        // Continuous across midnight.
        assert!((diurnal_shape(23.999) - diurnal_shape(0.0)).abs() < 1e-3);
    }

    #[test]
    fn interpolation_preserves_monthly_means() {
        let c = Climate::from_toml("t.toml", SIMPLE).unwrap();
        let mut hour = 0u32;
        for m in 0..12 {
            let n = month_days(m) * 24;
            let avg = mean(
                (hour..hour + n)
                    .map(|h| c.expected_dry_bulb_c(f64::from(h) / 24.0, f64::from(h % 24))),
            );
            let normal = 0.5 * (c.monthly().tmax_c[m] + c.monthly().tmin_c[m]);
            assert!((avg - normal).abs() < 0.05, "month {m}: {avg} vs {normal}");
            hour += n;
        }
        // Interpolation is continuous at the year end.
        let a = interpolate(&c.mean_nodes, 364.999);
        let b = interpolate(&c.mean_nodes, 0.0);
        assert!((a - b).abs() < 1e-3);
    }

    #[test]
    fn phoenix_year_is_hot_in_july_and_matches_normals() {
        let c = library("phoenix");
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let year = c.generate(HOURS_PER_YEAR, 0, 0, &mut rng);
        assert_eq!(year.len(), HOURS_PER_YEAR);
        let jan = month_mean(&year, 0, |h| h.dry_bulb_c);
        let jul = month_mean(&year, 6, |h| h.dry_bulb_c);
        assert!(jul > jan + 15.0, "July {jul} vs January {jan}");
        let annual = mean(year.iter().map(|h| h.dry_bulb_c));
        let normal = c.normal_annual_mean_c();
        assert!(
            (annual - normal).abs() < 1.5,
            "annual mean {annual} vs normals {normal}"
        );
    }

    #[test]
    fn lulea_is_colder_than_singapore() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let lulea = library("lulea").generate(HOURS_PER_YEAR, 0, 0, &mut rng);
        let singapore = library("singapore").generate(HOURS_PER_YEAR, 0, 0, &mut rng);
        let l = mean(lulea.iter().map(|h| h.dry_bulb_c));
        let s = mean(singapore.iter().map(|h| h.dry_bulb_c));
        assert!(l + 15.0 < s, "Lulea {l}, Singapore {s}");
        let lw = mean(lulea.iter().map(|h| h.wet_bulb_c));
        let sw = mean(singapore.iter().map(|h| h.wet_bulb_c));
        assert!(lw < sw);
    }

    #[test]
    fn anomaly_has_configured_sd_and_autocorrelation() {
        // Flat normals and no diurnal range: the dry bulb is 10 C + anomaly.
        let flat = MonthlyNormals {
            tmax_c: [10.0; 12],
            tmin_c: [10.0; 12],
            dew_point_c: [0.0; 12],
        };
        let noise = Noise {
            sd_c: 2.5,
            tau_h: 36.0,
        };
        let c = Climate::new("flat", "test", 45.0, flat, noise, None).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let xs: Vec<f64> = c
            .generate(20 * HOURS_PER_YEAR, 0, 0, &mut rng)
            .iter()
            .map(|h| h.dry_bulb_c - 10.0)
            .collect();
        let m = mean(xs.iter().copied());
        let var = mean(xs.iter().map(|x| (x - m) * (x - m)));
        let sd = var.sqrt();
        assert!((sd - 2.5).abs() < 0.15, "sd {sd}");
        assert!(m.abs() < 0.15, "mean {m}");
        let lag1 = mean(xs.windows(2).map(|w| (w[0] - m) * (w[1] - m))) / var;
        let phi = (-1.0f64 / 36.0).exp();
        assert!(
            (lag1 - phi).abs() < 0.01,
            "lag-1 autocorrelation {lag1} vs {phi}"
        );
        let lag36 = mean(xs.windows(37).map(|w| (w[0] - m) * (w[36] - m))) / var;
        assert!((lag36 - (-1.0f64).exp()).abs() < 0.06, "lag-36 {lag36}");
    }

    /// The generator as first written, formula for formula with the library's `rem_euclid`,
    /// an interpolation per series and a cosine per hour: the oracle the generator's shared
    /// segment, memoised shape and own remainder must match to the bit.
    fn plain_year(c: &Climate, hours: usize, first_hour: f64, seed: u64) -> Vec<WeatherHour> {
        fn plain_interpolate(nodes: &[f64; 12], t: f64) -> f64 {
            let mids = *MID_MONTH_DAYS;
            let t = t.rem_euclid(365.0);
            let (a_day, a_val, b_day, b_val) = if t < mids[0] {
                (mids[11] - 365.0, nodes[11], mids[0], nodes[0])
            } else if t >= mids[11] {
                (mids[11], nodes[11], mids[0] + 365.0, nodes[0])
            } else {
                let i = mids.iter().rposition(|&d| d <= t).unwrap_or(0).min(10);
                (mids[i], nodes[i], mids[i + 1], nodes[i + 1])
            };
            let w = (t - a_day) / (b_day - a_day);
            a_val + w * (b_val - a_val)
        }
        fn plain_shape(hour_of_day: f64) -> f64 {
            use std::f64::consts::PI;
            let h = hour_of_day.rem_euclid(24.0);
            if (6.0..15.0).contains(&h) {
                -(PI * (h - 6.0) / 9.0).cos()
            } else {
                (PI * (h - 15.0).rem_euclid(24.0) / 15.0).cos()
            }
        }
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let waves = c.waves(hours, first_hour, None, rng);
        let sd = c.noise.sd_c;
        let phi = (-1.0 / c.noise.tau_h).exp();
        let innovation_sd = sd * (1.0 - phi * phi).max(0.0).sqrt();
        let mut anomaly = sd * rng.sample::<f64, _>(StandardNormal);
        (0..hours as u64)
            .map(|i| {
                if i > 0 {
                    anomaly = phi * anomaly + innovation_sd * rng.sample::<f64, _>(StandardNormal);
                }
                let abs_hour = first_hour + i as f64;
                let t_abs = abs_hour / 24.0;
                let t_year = t_abs.rem_euclid(365.0);
                let bump: f64 = waves.iter().map(|w| w.bump(t_abs)).sum();
                let mean = plain_interpolate(&c.mean_nodes, t_year);
                let amp = plain_interpolate(&c.amp_nodes, t_year).max(0.0);
                let dry = mean + amp * plain_shape(abs_hour.rem_euclid(24.0)) + anomaly + bump;
                let dew = plain_interpolate(&c.dew_nodes, t_year).min(dry);
                let rh = rel_humidity_from_dew_point(dry, dew);
                WeatherHour {
                    dry_bulb_c: dry,
                    wet_bulb_c: wet_bulb_c(dry, rh),
                    rel_humidity_pct: rh,
                }
            })
            .collect()
    }

    /// Same bytes: the generator gives the plain formula's weather to the bit, from whole and
    /// fractional first hours (a site's solar offset), negative ones (a study starting on 1
    /// January west of its zone's meridian) and runs over several years.
    #[test]
    fn the_generator_gives_the_plain_formulas_figures_to_the_bit() {
        for (name, first, hours) in [
            ("ashburn", -5.166_666_666_666_667, HOURS_PER_YEAR),
            (
                "ashburn",
                24.0 * 59.0 - 0.166_666_666_666_666_7,
                2 * HOURS_PER_YEAR + 7,
            ),
            ("dallas", -0.3, 3 * HOURS_PER_YEAR),
            ("lulea", 1.476_666_666_666_666_7, HOURS_PER_YEAR),
            ("singapore", 0.0, 500),
            ("phoenix", 24.0 * 364.0 + 23.5, 900),
        ] {
            let c = library(name);
            let got = c.generate_from(hours, first, None, &mut ChaCha8Rng::seed_from_u64(17));
            let want = plain_year(&c, hours, first, 17);
            assert_eq!(got.len(), want.len());
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                let bits = |h: &WeatherHour| {
                    [h.dry_bulb_c, h.wet_bulb_c, h.rel_humidity_pct].map(f64::to_bits)
                };
                assert_eq!(bits(g), bits(w), "{name} from {first}: hour {i}");
            }
        }
    }

    #[test]
    fn zero_noise_gives_exact_normals_at_the_extremes() {
        let mut c = Climate::from_toml("t.toml", SIMPLE).unwrap();
        c = Climate::new(
            c.name(),
            c.source(),
            c.latitude(),
            c.monthly().clone(),
            Noise {
                sd_c: 0.0,
                tau_h: 1.0,
            },
            None,
        )
        .unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let year = c.generate(HOURS_PER_YEAR, 0, 0, &mut rng);
        // Daily minimum at 06:00 and maximum at 15:00.
        for day in [10usize, 100, 200, 300] {
            let d = &year[day * 24..day * 24 + 24];
            let (imin, _) = d
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.dry_bulb_c.total_cmp(&b.1.dry_bulb_c))
                .unwrap();
            let (imax, _) = d
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.dry_bulb_c.total_cmp(&b.1.dry_bulb_c))
                .unwrap();
            assert_eq!((imin, imax), (6, 15), "day {day}");
        }
        // Monthly means of daily max/min reproduce the normals.
        for m in 0..12 {
            let start: usize = (0..m).map(month_days).sum::<u32>() as usize;
            let days = month_days(m) as usize;
            let tmax = mean((start..start + days).map(|d| year[d * 24 + 15].dry_bulb_c));
            let tmin = mean((start..start + days).map(|d| year[d * 24 + 6].dry_bulb_c));
            assert!(
                (tmax - c.monthly().tmax_c[m]).abs() < 0.1,
                "month {m} tmax {tmax}"
            );
            assert!(
                (tmin - c.monthly().tmin_c[m]).abs() < 0.1,
                "month {m} tmin {tmin}"
            );
        }
    }

    #[test]
    fn same_seed_same_year_and_start_offsets_line_up() {
        let c = library("phoenix");
        let a = c.generate(HOURS_PER_YEAR, 0, 0, &mut ChaCha8Rng::seed_from_u64(42));
        let b = c.generate(HOURS_PER_YEAR, 0, 0, &mut ChaCha8Rng::seed_from_u64(42));
        assert_eq!(a, b);
        let d = c.generate(HOURS_PER_YEAR, 0, 0, &mut ChaCha8Rng::seed_from_u64(43));
        assert_ne!(a, d);
        // Works through the generic ?Sized bound with a trait object.
        let mut boxed: Box<dyn rand::Rng> = Box::new(ChaCha8Rng::seed_from_u64(42));
        let e = c.generate(HOURS_PER_YEAR, 0, 0, boxed.as_mut());
        assert_eq!(a, e);
    }

    /// The hour of the site's civil day (0..24) at which the mean dry bulb of a year peaks, for
    /// a series on a study clock `study_offset_s` east of UTC.
    fn peak_local_hour(c: &Climate, study_offset_s: i32, seed: u64) -> usize {
        let s = c.generate_for_clock(
            HOURS_PER_YEAR,
            0,
            study_offset_s,
            None,
            &mut ChaCha8Rng::seed_from_u64(seed),
        );
        let shift = (c.utc_offset_s() - study_offset_s) / 3600;
        let mut sums = [0.0; 24];
        for (i, w) in s.iter().enumerate() {
            let local = (i as i64 + i64::from(shift)).rem_euclid(24) as usize;
            sums[local] += w.dry_bulb_c;
        }
        (0..24)
            .max_by(|&a, &b| sums[a].total_cmp(&sums[b]))
            .unwrap()
    }

    /// Issue 9: the weather follows the site's sun, not the study clock. Lulea (22.15 E, CET)
    /// peaks at 15:00 solar = 13:31 UTC = 14:31 CET; whatever clock the study writes its
    /// timestamps in, the daily maximum falls in Lulea's afternoon.
    #[test]
    fn lulea_daily_maximum_is_in_the_local_afternoon_on_any_study_clock() {
        let c = library("lulea");
        assert_eq!(c.utc_offset_s(), 3600);
        for (k, off_h) in [-5, 0, 1, 9, -10, 14].into_iter().enumerate() {
            let h = peak_local_hour(&c, off_h * 3600, 7 + k as u64);
            assert!(
                (13..=16).contains(&h),
                "study clock {off_h:+}: peak at {h}:00 local"
            );
        }
    }

    #[test]
    fn multi_year_runs_repeat_the_seasons() {
        let c = library("frankfurt");
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let start_day = 200;
        let run = c.generate(3 * HOURS_PER_YEAR + 100, start_day, 13, &mut rng);
        assert_eq!(run.len(), 3 * HOURS_PER_YEAR + 100);
        // Every January (day 0..31 of each model year) is colder than every July.
        for year in 0..2 {
            let jan0 = (365 - start_day as usize + 365 * year) * 24 - 13;
            let jan = mean(run[jan0..jan0 + 31 * 24].iter().map(|h| h.dry_bulb_c));
            let jul0 = jan0 + 181 * 24;
            let jul = mean(run[jul0..jul0 + 31 * 24].iter().map(|h| h.dry_bulb_c));
            assert!(jul > jan + 10.0, "year {year}: Jan {jan} Jul {jul}");
        }
    }

    #[test]
    fn forced_heat_wave_adds_exactly_the_bump() {
        let c = library("dallas");
        let forced = HeatWaveOverride {
            start_day_of_year: 200,
            duration_days: 6.0,
            amplitude_c: 7.0,
        };
        let base = c.generate_with(
            HOURS_PER_YEAR,
            0,
            0,
            Some(HeatWaveOverride {
                amplitude_c: 0.0,
                ..forced
            }),
            &mut ChaCha8Rng::seed_from_u64(6),
        );
        let hot = c.generate_with(
            HOURS_PER_YEAR,
            0,
            0,
            Some(forced),
            &mut ChaCha8Rng::seed_from_u64(6),
        );
        for (i, (b, h)) in base.iter().zip(&hot).enumerate() {
            let day = i as f64 / 24.0;
            let diff = h.dry_bulb_c - b.dry_bulb_c;
            if !(200.0..=206.0).contains(&day) {
                assert_eq!(diff, 0.0, "hour {i}");
            } else if (201.5..=204.5).contains(&day) {
                assert!((diff - 7.0).abs() < 1e-9, "hour {i}: {diff}");
            } else {
                assert!((-1e-9..=7.0 + 1e-9).contains(&diff), "hour {i}: {diff}");
            }
            assert!(h.wet_bulb_c <= h.dry_bulb_c);
        }
    }

    #[test]
    fn random_heat_waves_happen_at_the_configured_rate_in_summer() {
        let text = format!(
            "{SIMPLE}[heat_wave]\nchance_per_summer = 0.5\nduration_days = 5.0\namplitude_c = 6.0\n"
        );
        let with = Climate::from_toml("t.toml", &text).unwrap();
        let without = Climate::from_toml("t.toml", SIMPLE).unwrap();
        let years = 200;
        let a = with.generate(
            years * HOURS_PER_YEAR,
            0,
            0,
            &mut ChaCha8Rng::seed_from_u64(7),
        );
        let b = without.generate(
            years * HOURS_PER_YEAR,
            0,
            0,
            &mut ChaCha8Rng::seed_from_u64(7),
        );
        let mut waves = 0;
        for y in 0..years {
            let mut seen = false;
            for d in 0..365 {
                let i = (y * 365 + d) * 24;
                let diff = a[i + 12].dry_bulb_c - b[i + 12].dry_bulb_c;
                if diff > 1e-9 {
                    assert!((151..243).contains(&d), "year {y} day {d} outside summer");
                    seen = true;
                }
            }
            waves += usize::from(seen);
        }
        let rate = waves as f64 / years as f64;
        assert!((rate - 0.5).abs() < 0.12, "rate {rate}");
    }

    #[test]
    fn southern_heat_waves_fall_in_december_to_february() {
        let text = format!(
            "{}[heat_wave]\nchance_per_summer = 1.0\nduration_days = 4.0\namplitude_c = 6.0\n",
            SIMPLE.replace("latitude = 45.0", "latitude = -33.9")
        );
        let with = Climate::from_toml("t.toml", &text).unwrap();
        let without = Climate::from_toml(
            "t.toml",
            &SIMPLE.replace("latitude = 45.0", "latitude = -33.9"),
        )
        .unwrap();
        let a = with.generate(20 * HOURS_PER_YEAR, 0, 0, &mut ChaCha8Rng::seed_from_u64(8));
        let b = without.generate(20 * HOURS_PER_YEAR, 0, 0, &mut ChaCha8Rng::seed_from_u64(8));
        let mut hot_hours = 0;
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            if x.dry_bulb_c - y.dry_bulb_c > 1e-9 {
                let doy = (i / 24) % 365;
                assert!(!(59..334).contains(&doy), "day {doy}");
                hot_hours += 1;
            }
        }
        assert!(hot_hours > 15 * 3 * 24, "{hot_hours}");
    }

    #[test]
    fn validation_errors_name_file_line_and_field() {
        let cases: [(&str, &str, &str, usize); 9] = [
            (
                "tmax_c = [5, 7, 11, 16, 21, 26, 29, 28, 24, 17, 10, 6]",
                "tmax_c = [5, 7, 11, 16, 21, 26, 29, 28, 24, 17, 10]",
                "monthly.tmax_c",
                8,
            ),
            ("sd_c = 2.5", "sd_c = -1.0", "noise.sd_c", 12),
            ("tau_h = 36.0", "tau_h = 0", "noise.tau_h", 13),
            ("tmin_c = [-3,", "tmin_c = [30,", "monthly.tmin_c", 9),
            ("latitude = 45.0", "latitude = 145.0", "latitude", 4),
            ("tau_h = 36.0", "tau_h = 36.0\nsigma = 3", "noise.sigma", 14),
            ("sd_c = 2.5", "sd_c = \"x\"", "noise.sd_c", 12),
            (
                "utc_offset = \"+01:00\"",
                "utc_offset = \"+1\"",
                "utc_offset",
                6,
            ),
            ("longitude = 10.0", "longitude = 200.0", "longitude", 5),
        ];
        for (from, to, field, line) in cases {
            let text = SIMPLE.replace(from, to);
            assert_ne!(text, SIMPLE);
            let e = Climate::from_toml("climates/t.toml", &text).unwrap_err();
            let shown = e.to_string();
            assert!(
                shown.starts_with(&format!("climates/t.toml:{line}: {field}: ")),
                "{to}: {shown}"
            );
            assert_eq!(e.line(), Some(line));
        }
        let text = format!(
            "{SIMPLE}[heat_wave]\nchance_per_summer = 1.5\nduration_days = 5.0\namplitude_c = 6.0\n"
        );
        let e = Climate::from_toml("t.toml", &text).unwrap_err().to_string();
        assert!(
            e.starts_with("t.toml:15: heat_wave.chance_per_summer: "),
            "{e}"
        );
        let e = Climate::from_toml("t.toml", &SIMPLE.replace("sd_c = 2.5\n", ""))
            .unwrap_err()
            .to_string();
        assert!(e.contains("noise.sd_c") && e.contains("missing"), "{e}");
        let e = Climate::from_toml("t.toml", "name = \n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.toml:1: "), "{e}");
        let f = SIMPLE
            .replace("tmax_c = [5,", "tmax_c = [41,")
            .replace("29, 28", "95, 28");
        let e = Climate::from_toml("t.toml", &f).unwrap_err().to_string();
        assert!(e.contains("Fahrenheit"), "{e}");
    }

    #[test]
    fn every_library_climate_loads_and_is_plausible() {
        let mut names = Vec::new();
        let entries = std::fs::read_dir(climates_dir()).expect("models/climates exists");
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("toml") {
                continue;
            }
            let c = Climate::load(&path).unwrap_or_else(|e| panic!("{e}"));
            let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
            assert_eq!(c.name(), stem, "{}", path.display());
            assert!(!c.source().is_empty());
            for m in 0..12 {
                let mean = 0.5 * (c.monthly().tmax_c[m] + c.monthly().tmin_c[m]);
                assert!(
                    c.monthly().dew_point_c[m] <= mean + 1.0,
                    "{stem} month {m}: dew point above the mean dry bulb"
                );
            }
            let mut rng = ChaCha8Rng::seed_from_u64(9);
            let year = c.generate(HOURS_PER_YEAR, 0, 0, &mut rng);
            let annual = mean(year.iter().map(|h| h.dry_bulb_c));
            assert!(
                (annual - c.normal_annual_mean_c()).abs() < 1.5,
                "{stem}: {annual}"
            );
            assert!(year.iter().all(|h| h.wet_bulb_c <= h.dry_bulb_c));
            names.push(stem);
        }
        names.sort();
        for expected in [
            "ashburn",
            "austin",
            "columbus",
            "dallas",
            "debrecen",
            "dublin",
            "frankfurt",
            "lulea",
            "phoenix",
            "singapore",
            "tokyo",
        ] {
            assert!(names.iter().any(|n| n == expected), "missing {expected}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn generated_wet_bulb_never_above_dry_bulb(
            seed in any::<u64>(),
            start_day in 0u32..800,
            start_hour in 0u32..48,
            hours in 0usize..2000,
            shift in -30.0f64..30.0,
            sd in 0.0f64..8.0,
            tau in 0.5f64..200.0,
        ) {
            let mut m = MonthlyNormals {
                tmax_c: [5.0, 7.0, 11.0, 16.0, 21.0, 26.0, 29.0, 28.0, 24.0, 17.0, 10.0, 6.0],
                tmin_c: [-3.0, -2.0, 1.0, 5.0, 10.0, 15.0, 18.0, 17.0, 13.0, 7.0, 2.0, -2.0],
                dew_point_c: [0.0, 1.0, 2.0, 8.0, 12.0, 16.0, 19.0, 18.0, 14.0, 8.0, 3.0, 0.0],
            };
            for k in 0..12 {
                m.tmax_c[k] += shift;
                m.tmin_c[k] += shift;
                m.dew_point_c[k] += shift;
            }
            let hw = HeatWave { chance_per_summer: 0.7, duration_days: 10.0, amplitude_c: 8.0 };
            let c = Climate::new("p", "p", 10.0, m, Noise { sd_c: sd, tau_h: tau }, Some(hw)).unwrap();
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let out = c.generate(hours, start_day, start_hour, &mut rng);
            prop_assert_eq!(out.len(), hours);
            for h in &out {
                prop_assert!(h.dry_bulb_c.is_finite());
                prop_assert!(h.wet_bulb_c <= h.dry_bulb_c);
                prop_assert!((0.0..=100.0).contains(&h.rel_humidity_pct));
            }
        }

        /// The generator's remainder is the library's `rem_euclid`, bit for bit: any hour
        /// count or fraction, on either side of zero and just either side of a multiple.
        #[test]
        fn rem_euclid_is_the_librarys(
            x in -1.0e7f64..1.0e7,
            k in -40_000i64..40_000,
            ulps in -3i64..=3,
            m in prop::sample::select(vec![24.0f64, 365.0, 7.0, 1.0]),
        ) {
            let near = f64::from_bits(((k as f64 * m).to_bits() as i64 + ulps) as u64);
            for v in [x, x / 24.0, near, -near, 0.0, -0.0, near / 24.0] {
                prop_assert_eq!(rem_euclid(v, m).to_bits(), v.rem_euclid(m).to_bits(), "{} % {}", v, m);
            }
        }

        #[test]
        fn from_toml_never_panics(text in "\\PC{0,200}") {
            let _ = Climate::from_toml("fuzz.toml", &text);
        }

        #[test]
        fn from_toml_never_panics_on_mutations(line in 0usize..20, junk in "[\\[\\]=a-z0-9 ,.\"#-]{0,30}") {
            let mut lines: Vec<&str> = SIMPLE.lines().collect();
            let at = line % lines.len();
            lines[at] = &junk;
            let _ = Climate::from_toml("fuzz.toml", &lines.join("\n"));
        }
    }
}
