//! The run file as the user writes it (serde types, defaults) and its parsing: plain, or with
//! sampled values in place of its distributions.

use crate::base::error::{Result, Source};
use crate::model::facility::FacilitySpec;
use crate::model::fleet::reliability::FailureSpec;
use crate::model::fleet::spec::SiteSpec;
use crate::model::grid::outage::BackupSpec;
use crate::model::grid::site::GridSpec;
use crate::model::workload::consumer::ConsumerSpec;
use crate::model::workload::defense::DefenseSpec;
use crate::model::workload::training::TrainingSpec;
use crate::model::workload::twin::TwinSpec;
use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::DeTable;

/// The embedded default study.
pub const DEFAULT_RUN: &str = include_str!("../../runs/default.toml");

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// Names the output folder `out/<name>/`; default: the run file's stem.
    pub name: Option<String>,
    pub description: Option<String>,
    /// Start date `YYYY-MM-DD` (local midnight on the study clock).
    #[serde(default = "default_start")]
    pub start: String,
    /// The study clock's offset from UTC, e.g. "-05:00"; timestamps are written in it.
    #[serde(default = "default_offset")]
    pub utc_offset: String,
    /// The study clock as an IANA time zone in prevailing time, e.g. "America/Chicago"
    /// (instead of `utc_offset`; a fixed offset like "-06:00" is accepted here too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Simulated hours (may be fractional: a whole number of steps); or give `end`.
    pub horizon_hours: Option<Hours>,
    /// End date-time `YYYY-MM-DDTHH:MM[:SS]` on the study clock (instead of `horizon_hours`).
    pub end: Option<String>,
    #[serde(default = "default_step")]
    pub step_s: u64,
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default = "default_trials")]
    pub trials: u32,
    /// How a trial is stepped: `"blocks"` (the two-rate engine) or `"reference"` (every step
    /// of every layer, as before issue 20); `--engine` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<Engine>,
    /// The percentile set of every output file, in percent (default 10, 50, 90); `--percentiles`
    /// overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentiles: Option<Vec<f64>>,
    pub site: SiteSpec,
    #[serde(default)]
    pub consumer: Vec<ConsumerSpec>,
    #[serde(default)]
    pub twin: Vec<TwinSpec>,
    #[serde(default)]
    pub training: Vec<TrainingSpec>,
    #[serde(default)]
    pub defense: Vec<DefenseSpec>,
    pub facility: FacilitySpec,
    #[serde(default)]
    pub grid: GridSpec,
    /// Server failures and repairs (absent: no failures).
    pub failures: Option<Spanned<FailureSpec>>,
    /// UPS and generators that ride through `[grid.outages]`.
    pub backup: Option<Spanned<BackupSpec>>,
    /// Parameter paths and the values to sweep (see [`crate::input::sweep`]); read by `dcload run`.
    pub sweep: Option<toml::Table>,
    /// Extra report files (per-year 8760s); absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<crate::input::report_spec::ReportSpec>,
}

/// How a trial is stepped. Both give every output the same distribution; the reference steps
/// every layer at every step and is kept to check the two-rate engine against (and gives the
/// same bytes as the engine before the two-rate engine).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// Quiet spans drawn as blocks, the rest stepped: see `sim::block`.
    #[default]
    Blocks,
    /// Every layer at every step.
    Reference,
}

impl std::str::FromStr for Engine {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Engine, String> {
        match s {
            "blocks" => Ok(Engine::Blocks),
            "reference" => Ok(Engine::Reference),
            _ => Err(format!("expected \"blocks\" or \"reference\", found {s:?}")),
        }
    }
}

fn default_start() -> String {
    "2025-01-01".into()
}
fn default_offset() -> String {
    "+00:00".into()
}
/// Default horizon: one 365-day year.
pub(super) const DEFAULT_HORIZON_HOURS: f64 = 8760.0;
/// Longest horizon, hours (100 leap years).
pub(super) const MAX_HORIZON_HOURS: u64 = 100 * 8784;

/// A number of hours from the run file: a whole or fractional number (written back as given).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hours(pub f64);

impl Serialize for Hours {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if self.0.fract() == 0.0 && self.0.abs() < 9.0e15 {
            s.serialize_i64(self.0 as i64)
        } else {
            s.serialize_f64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Hours {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Hours, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Hours;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number of hours, e.g. 8760 or 355.2")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Hours, E> {
                Ok(Hours(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Hours, E> {
                Ok(Hours(v as f64))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<Hours, E> {
                Ok(Hours(v))
            }
        }
        d.deserialize_any(V)
    }
}

pub(super) fn default_step() -> u64 {
    60
}
pub(super) fn default_seed() -> u64 {
    1
}
pub(super) fn default_trials() -> u32 {
    10
}

/// A run file without distributions, parsed and its numbers checked.
pub(super) fn parse_spec(src: &Source) -> Result<RunSpec> {
    let spec: RunSpec = toml::from_str(&src.text).map_err(|e| src.toml_error(&e))?;
    crate::input::limits::check_numbers(src)?;
    Ok(spec)
}

/// A run file with `values` in place of its distributions (`list`): parsed once into a tree,
/// the values put at their distributions' places, then deserialised and checked exactly as a
/// plain run file is (every number, sampled or not, within the bounds of
/// [`crate::input::limits::check_numbers`]; errors point at the distribution's table in `src`).
pub(super) fn spec_with(
    src: &Source,
    list: &[crate::input::uncertain::Uncertain],
    values: &[f64],
) -> Result<RunSpec> {
    let nums = crate::input::uncertain::value_texts(values);
    let mut doc = DeTable::parse(&src.text).map_err(|e| src.toml_error(&e))?;
    crate::input::uncertain::put(doc.get_mut(), list, &nums).map_err(|m| src.error("", m))?;
    let spec = RunSpec::deserialize(toml::de::Deserializer::from(doc.clone()))
        .map_err(|e| src.toml_error(&e))?;
    crate::input::limits::check_tree(src, doc.get_ref())?;
    Ok(spec)
}
