//! A study: the run file (TOML) and its resolution into a [`Scenario`] the engine can step.
//!
//! Resolution happens once, at load time: names become indices, presets are merged, units are
//! converted, and every range and cross-reference is checked, so a bad run file fails before a
//! single trial starts and the step loop never sees a string.

pub mod caveats;

use std::borrow::Cow;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::DeTable;

use crate::base::error::{Error, Result, Source};
use crate::base::time::{Calendar, Date, parse_utc_offset};
use crate::input::check::err_after;
use crate::input::files::Files;
use crate::model::facility::{Facility, FacilitySpec, PhysicsFacility};
use crate::model::fleet::reliability::{FailureSpec, Failures};
use crate::model::fleet::{Fleet, Pool, RackGroup, Sector};
use crate::model::grid::outage::BackupSpec;
use crate::model::grid::site::{Grid, GridSpec};
use crate::model::library::{CoolingKind, Library};
use crate::model::workload::Ctx;
use crate::model::workload::consumer::{ConsumerClass, ConsumerSpec};
use crate::model::workload::defense::{Defense, DefenseSpec};
use crate::model::workload::training::{Training, TrainingSpec};
use crate::model::workload::twin::{Twin, TwinSpec};

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
    pub failures: Option<FailureSpec>,
    /// UPS and generators that ride through `[grid.outages]`.
    pub backup: Option<BackupSpec>,
    /// Parameter paths and the values to sweep (see [`crate::input::sweep`]); read by `dcload run`.
    pub sweep: Option<toml::Table>,
    /// Extra report files (per-year 8760s); absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<crate::input::report_spec::ReportSpec>,
}

fn default_start() -> String {
    "2025-01-01".into()
}
fn default_offset() -> String {
    "+00:00".into()
}
/// Default horizon: one 365-day year.
const DEFAULT_HORIZON_HOURS: f64 = 8760.0;
/// Longest horizon, hours (100 leap years).
const MAX_HORIZON_HOURS: u64 = 100 * 8784;

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

/// The horizon in seconds from `horizon_hours` or `end` (see the README's Study table).
fn resolve_horizon(
    spec: &RunSpec,
    src: &Source,
    start: Date,
    cal: &Calendar,
    step_s: u64,
) -> Result<u64> {
    let max_s = MAX_HORIZON_HOURS * 3600;
    let steps_msg = |secs: f64| {
        let lo = (secs / step_s as f64).floor() as u64 * step_s;
        let hi = lo + step_s;
        format!(
            "is not a whole number of {step_s}-s steps; the nearest horizons are {} h and {} h",
            fmt_hours(lo),
            fmt_hours(hi)
        )
    };
    match (spec.horizon_hours, &spec.end) {
        (Some(_), Some(_)) => Err(src.error(
            "end",
            "give the horizon one way: horizon_hours or end, not both",
        )),
        (h, None) => {
            let h = h.map_or(DEFAULT_HORIZON_HOURS, |h| h.0);
            if !(h.is_finite() && h * 3600.0 >= step_s as f64 && h <= MAX_HORIZON_HOURS as f64) {
                return Err(src.error(
                    "horizon_hours",
                    format!("expected 1 step to 100 years (878,400 hours), found {h}"),
                ));
            }
            let secs = h * 3600.0;
            let whole = secs.round();
            if (secs - whole).abs() > 1e-6 || !(whole as u64).is_multiple_of(step_s) {
                return Err(src.error("horizon_hours", format!("{h} h {}", steps_msg(secs))));
            }
            Ok(whole as u64)
        }
        (None, Some(e)) => {
            let end_s = parse_local_datetime(e).map_err(|m| src.error("end", m))?;
            let secs = cal.from_local_s_compatible(end_s);
            if secs <= 0 {
                return Err(src.error(
                    "end",
                    format!(
                        "end {e:?} is not after the start ({start} 00:00); expected a later date-time"
                    ),
                ));
            }
            if secs as u64 > max_s {
                return Err(src.error("end", "expected at most 100 years after the start"));
            }
            if !(secs as u64).is_multiple_of(step_s) {
                return Err(src.error("end", format!("{e:?} {}", steps_msg(secs as f64))));
            }
            Ok(secs as u64)
        }
    }
}

/// The study clock: `time_zone` (an IANA zone in prevailing time, or a fixed offset) or
/// `utc_offset` (a fixed offset), not both.
fn study_clock(spec: &RunSpec, src: &Source, start: Date) -> Result<Calendar> {
    let Some(z) = &spec.time_zone else {
        let off = parse_utc_offset(&spec.utc_offset).map_err(|m| src.error("utc_offset", m))?;
        return Ok(Calendar::new(start, off));
    };
    // `utc_offset` set at top level (before the first table; workloads have their own).
    let top_level_offset = src
        .text
        .lines()
        .map(str::trim_start)
        .take_while(|l| !l.starts_with('['))
        .any(|l| {
            l.strip_prefix("utc_offset")
                .is_some_and(|r| r.trim_start().starts_with('='))
        });
    if top_level_offset {
        return Err(src.error(
            "time_zone",
            "give the study clock one way: time_zone or utc_offset, not both",
        ));
    }
    let t = z.trim();
    if t.starts_with(['+', '-']) || t.eq_ignore_ascii_case("z") {
        let off = parse_utc_offset(t).map_err(|m| src.error("time_zone", m))?;
        return Ok(Calendar::new(start, off));
    }
    Calendar::in_zone(start, t).map_err(|m| src.error("time_zone", m))
}

/// Seconds as hours, without trailing zeros (e.g. "355.2", "355.216667").
fn fmt_hours(secs: u64) -> String {
    let s = format!("{:.6}", secs as f64 / 3600.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A date (`"2026-03-01"`, local midnight) or a local date-time on the study clock, as local
/// seconds since the epoch (the calendar maps them to the study's instants).
fn parse_local_date_or_time(s: &str) -> std::result::Result<i64, String> {
    if s.len() == 10 {
        Date::parse(s).map(|d| d.days_since_epoch() * 86_400)
    } else {
        parse_local_datetime(s)
    }
}

/// `YYYY-MM-DDTHH:MM[:SS]` (or with a space) to seconds since 1970-01-01 00:00 on the same clock.
fn parse_local_datetime(s: &str) -> std::result::Result<i64, String> {
    let err = || {
        format!("expected a date-time like \"2026-03-01T00:00\" on the study clock, found {s:?}")
    };
    let (d, t) = s.trim().split_once(['T', ' ']).ok_or_else(err)?;
    crate::base::time::local_date_time_s(d, t).ok_or_else(err)
}

fn default_step() -> u64 {
    60
}
fn default_seed() -> u64 {
    1
}
fn default_trials() -> u32 {
    10
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSpec {
    pub name: Option<String>,
    pub group: Vec<GroupSpec>,
}

/// A rack group: `count` racks of a library rack type, or `count` bare servers.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    pub name: Spanned<String>,
    pub rack: Option<Spanned<String>>,
    pub server: Option<Spanned<String>>,
    pub count: f64,
    /// Pool the group serves in; default its own name.
    pub pool: Option<Spanned<String>>,
    /// Override the rack type's cooling ("air", "liquid" or "immersion"), e.g. to study the
    /// same servers in a liquid-cooled design.
    pub cooling: Option<CoolingKind>,
    /// Online date `YYYY-MM-DD` (or `YYYY-MM-DDTHH:MM`) on the study clock; default: from the
    /// start. Before it the group has no servers.
    pub online: Option<Spanned<String>>,
    /// Days over which the group's working share ramps linearly from 0 to 1 after its online
    /// date; default 0 (full capacity at once).
    pub commissioning_days: Option<f64>,
    /// Hardware refresh: one table `{ date = "2027-07-01", rack = "...", downtime_days = 14 }`
    /// or a list of them (`[[site.group.refresh]]`), in date order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<Refreshes>,
}

/// One hardware refresh of a group: at `date` the hardware in service goes out (its working
/// share drops to 0) and the new hardware ramps linearly back to full over `downtime_days`.
/// `rack` or `server` names the new type (default: the same type re-installed), `count` the
/// new number of racks or servers (default: unchanged), `cooling` overrides the new type's
/// cooling (default: the new rack's own, air for bare servers; the old hardware's when the type
/// is unchanged).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshSpec {
    pub date: Spanned<String>,
    pub rack: Option<Spanned<String>>,
    pub server: Option<Spanned<String>>,
    pub count: Option<Spanned<f64>>,
    pub downtime_days: Option<Spanned<f64>>,
    pub cooling: Option<CoolingKind>,
}

/// A group's `refresh`: one table or a list of tables.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Refreshes {
    One(RefreshSpec),
    Many(Vec<RefreshSpec>),
}

impl Refreshes {
    pub fn list(&self) -> &[RefreshSpec] {
        match self {
            Refreshes::One(r) => std::slice::from_ref(r),
            Refreshes::Many(v) => v,
        }
    }
}

impl<'de> Deserialize<'de> for Refreshes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Refreshes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a refresh table like { date = \"2027-07-01\", rack = \"hgx-b200-x8-liquid\", downtime_days = 14 } or a list of them",
                )
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                a: A,
            ) -> std::result::Result<Refreshes, A::Error> {
                RefreshSpec::deserialize(serde::de::value::MapAccessDeserializer::new(a))
                    .map(Refreshes::One)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                a: A,
            ) -> std::result::Result<Refreshes, A::Error> {
                Vec::<RefreshSpec>::deserialize(serde::de::value::SeqAccessDeserializer::new(a))
                    .map(Refreshes::Many)
            }
        }
        d.deserialize_any(V)
    }
}

/// A resolved study, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub file: String,
    pub start: Date,
    pub calendar: Calendar,
    /// Hourly rows: the horizon in hours, rounded up (a partial last hour has its own row).
    pub horizon_hours: u64,
    /// The horizon, seconds: a whole number of steps.
    pub horizon_s: u64,
    pub step_s: u64,
    pub seed: u64,
    pub trials: u32,
    pub fleet: Fleet,
    pub consumers: Vec<ConsumerClass>,
    pub twins: Vec<Twin>,
    pub trainings: Vec<Training>,
    pub defenses: Vec<Defense>,
    pub facility: Facility,
    pub grid: Grid,
    pub failures: Option<Failures>,
    /// Hourly metrics written for this study (ids into `metrics::METRICS`) and their names.
    pub metric_ids: Vec<usize>,
    pub metric_names: Vec<&'static str>,
    /// Percentiles reported across trials in every output file.
    pub percentiles: crate::base::stats::Percentiles,
    /// Parameters given as distributions, with what is needed to re-resolve a sampled study.
    pub uncertain: Option<Arc<UncertainStudy>>,
    /// `[report] years` (or `--years`): each year and its hour rows.
    pub report_years: Vec<(i32, std::ops::Range<usize>)>,
    /// `[report] intervals` / `interval_minutes` (or `--interval-minutes`): intervals.csv.
    pub intervals: Option<crate::input::report_spec::IntervalPlan>,
    pub spec: RunSpec,
}

/// The uncertain parameters of a study, the run file they are put into (parsed, never
/// edited as text), and the data files its resolutions share.
#[derive(Debug)]
pub struct UncertainStudy {
    pub list: Vec<crate::input::uncertain::Uncertain>,
    src: Source,
    stem: String,
    base_dir: PathBuf,
    lib: Library,
    /// Weather, carbon and trace files, read on the nominal resolution and shared by every
    /// trial's.
    files: Files,
}

// Random-stream tag of the parameter draws (distinct from every workload's).
use crate::base::rng::TAG_PARAMS as PARAMS_TAG;

impl Scenario {
    /// Reads and resolves a run file.
    pub fn load(path: &Path, lib: &Library) -> Result<Scenario> {
        let text = crate::input::limits::read_text(path, crate::input::limits::MAX_TOML_BYTES)?;
        let stem = path
            .file_stem()
            .map_or("run".into(), |s| s.to_string_lossy().into_owned());
        let base = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Scenario::from_source(
            &Source::new(path.display().to_string(), text),
            &stem,
            &base,
            lib,
        )
    }

    /// The embedded default study.
    pub fn default_study(lib: &Library) -> Result<Scenario> {
        Scenario::from_source(
            &Source::new("<built-in>/runs/default.toml", DEFAULT_RUN),
            "default",
            Path::new("."),
            lib,
        )
    }

    /// Reads a run file's text, with any `{ dist = ... }` parameters at their nominal values;
    /// [`Scenario::for_trial`] gives each trial its sampled study.
    pub fn from_source(
        src: &Source,
        stem: &str,
        base_dir: &Path,
        lib: &Library,
    ) -> Result<Scenario> {
        let list = crate::input::uncertain::find(src)?;
        let files = Files::default();
        if list.is_empty() && lib.uncertain.is_empty() {
            let spec = parse_spec(src)?;
            return Scenario::resolve(spec, src, stem, base_dir, lib, &files);
        }
        let nominal: Vec<f64> = list.iter().map(|u| u.dist.nominal()).collect();
        let spec = spec_with(src, &list, &nominal)?;
        let mut sc = Scenario::resolve(spec, src, stem, base_dir, lib, &files)?;
        sc.uncertain = Some(Arc::new(UncertainStudy {
            list,
            src: src.clone(),
            stem: stem.to_string(),
            base_dir: base_dir.to_path_buf(),
            lib: lib.clone(),
            files,
        }));
        Ok(sc)
    }

    /// The study trial `trial` runs: this one, or with its uncertain parameters sampled from the
    /// trial's own stream (so a trial's draws do not depend on any other trial, nor on threads).
    /// The sampled values are put into the parsed run file and resolved with the same checks
    /// as a plain study; the data files it names are not read again.
    pub fn for_trial(&self, trial: u32) -> Result<(Cow<'_, Scenario>, Vec<f64>)> {
        let Some(u) = &self.uncertain else {
            return Ok((Cow::Borrowed(self), Vec::new()));
        };
        let mut rng = crate::base::rng::stream(self.seed, PARAMS_TAG, trial);
        let mut values: Vec<f64> = u
            .list
            .iter()
            .map(|p| {
                let v = p.dist.sample(&mut rng);
                // Fields that count whole things (racks or servers of a group, accelerators of a
                // training job) take the sampled value rounded to the nearest whole number, so a
                // distribution on them samples whole counts (documented in the README).
                if crate::input::uncertain::counts_whole_things(&p.path) {
                    v.round()
                } else {
                    v
                }
            })
            .collect();
        // Model-file distributions: a library drawn for this trial.
        let lib = if u.lib.uncertain.is_empty() {
            None
        } else {
            let (lib, v) = u.lib.sample(&mut rng)?;
            values.extend(v);
            Some(lib)
        };
        let run_values = &values[..u.list.len()];
        let mut sc = spec_with(&u.src, &u.list, run_values)
            .and_then(|spec| {
                Scenario::resolve(
                    spec,
                    &u.src,
                    &u.stem,
                    &u.base_dir,
                    lib.as_ref().unwrap_or(&u.lib),
                    &u.files,
                )
            })
            .map_err(|e| {
                let drawn: Vec<String> = self
                    .parameter_names()
                    .iter()
                    .zip(&values)
                    .map(|(p, v)| format!("{p} = {v}"))
                    .collect();
                Error::Other(format!(
                    "trial {trial} with sampled {}: {e}",
                    drawn.join(", ")
                ))
            })?;
        // The study's seed and trial count, whatever the run file says (the plan may have
        // set them).
        sc.set_run(Some(self.seed), Some(self.trials), None);
        // The interval file too (`--interval-minutes` is not in the run file).
        sc.intervals = self.intervals;
        // And the report years (`--years`), whose ramps the trial meters.
        sc.report_years.clone_from(&self.report_years);
        Ok((Cow::Owned(sc), values))
    }

    /// Sets the run's seed, trial count and percentiles where given (from the run plan, a
    /// checkpoint's manifest, or the trials an early stop ran): the one place they change after
    /// resolution, keeping `spec` (written to summary.json) in step.
    pub fn set_run(
        &mut self,
        seed: Option<u64>,
        trials: Option<u32>,
        percentiles: Option<&crate::base::stats::Percentiles>,
    ) {
        if let Some(s) = seed {
            self.seed = s;
            self.spec.seed = s;
        }
        if let Some(t) = trials {
            self.trials = t;
            self.spec.trials = t;
        }
        if let Some(p) = percentiles {
            self.spec.percentiles = Some(p.values().to_vec());
            self.percentiles = p.clone();
        }
    }

    /// Replaces the report years (`--years`); the error says why a year does not fit.
    pub fn set_years(&mut self, years: &[i32]) -> std::result::Result<(), String> {
        self.report_years = crate::input::report_spec::resolve_years(
            &self.calendar,
            self.start,
            self.horizon_s,
            years,
        )?;
        self.spec.report.get_or_insert_with(Default::default).years = years.to_vec();
        Ok(())
    }

    /// Asks for intervals.csv at `minutes` (`--interval-minutes`), keeping the run file's
    /// window; the error says why the length does not fit the step.
    pub fn set_interval_minutes(&mut self, minutes: i64) -> std::result::Result<(), String> {
        self.intervals = crate::input::report_spec::resolve_intervals(
            self.spec.report.as_ref(),
            Some(minutes),
            &self.calendar,
            self.step_s,
            self.horizon_s,
        )
        .map_err(|(_, _, m)| m)?;
        self.spec
            .report
            .get_or_insert_with(Default::default)
            .interval_minutes = Some(toml::Spanned::new(0..0, minutes));
        Ok(())
    }

    /// Names of the uncertain parameters (trials.csv columns), in file order.
    pub fn parameter_names(&self) -> Vec<String> {
        self.uncertain.as_ref().map_or_else(Vec::new, |u| {
            u.list
                .iter()
                .map(|p| p.path.clone())
                .chain(u.lib.parameter_names())
                .collect()
        })
    }

    /// Resolves a parsed run file (`spec`, read from `src`, whose text errors point into).
    fn resolve(
        spec: RunSpec,
        src: &Source,
        stem: &str,
        base_dir: &Path,
        lib: &Library,
        files: &Files,
    ) -> Result<Scenario> {
        if let Some(n) = &spec.name {
            crate::input::limits::check_name(src, n)?;
        }
        let start = Date::parse(&spec.start).map_err(|m| src.error("start", m))?;
        let calendar = study_clock(&spec, src, start)?;
        let utc_offset_s = calendar.utc_offset_s();
        if spec.step_s == 0 || 3600 % spec.step_s != 0 {
            return Err(src.error(
                "step_s",
                format!("expected a divisor of 3600 seconds (1, 2, 5, 10, 15, 30, 60, 300, 900, 3600 ...), found {}", spec.step_s),
            ));
        }
        let horizon_s = resolve_horizon(&spec, src, start, &calendar, spec.step_s)?;
        let horizon_hours = horizon_s.div_ceil(3600);
        if spec.trials == 0 {
            return Err(src.error("trials", "expected at least 1 trial"));
        }
        if spec.site.group.is_empty() {
            return Err(src.error("site", "expected at least one [[site.group]]"));
        }
        let percentiles = match &spec.percentiles {
            Some(list) => crate::base::stats::Percentiles::new(list)
                .map_err(|m| src.error("percentiles", m))?,
            None => crate::base::stats::Percentiles::default(),
        };
        let fleet = build_fleet(&spec, src, lib, &calendar, horizon_s)?;
        let ctx = Ctx {
            lib,
            src,
            fleet: &fleet,
            base_dir,
            utc_offset_s,
            calendar: &calendar,
            start_utc_s: calendar.start_utc_s(),
            step_s: spec.step_s,
            horizon_s,
            files,
        };
        let consumers = spec
            .consumer
            .iter()
            .map(|c| ConsumerClass::resolve(c, &ctx))
            .collect::<Result<Vec<_>>>()?;
        let twins = spec
            .twin
            .iter()
            .map(|c| Twin::resolve(c, &ctx))
            .collect::<Result<Vec<_>>>()?;
        let trainings = spec
            .training
            .iter()
            .map(|c| Training::resolve(c, &ctx))
            .collect::<Result<Vec<_>>>()?;
        let defenses = spec
            .defense
            .iter()
            .map(|c| Defense::resolve(c, &ctx))
            .collect::<Result<Vec<_>>>()?;
        let facility = resolve_facility(
            &spec.facility,
            src,
            lib,
            &fleet,
            base_dir,
            files,
            start.ordinal0(),
            utc_offset_s,
        )?;
        let grid = Grid::resolve(
            &spec.grid,
            spec.backup.as_ref(),
            fleet.peak_w(),
            src,
            lib,
            base_dir,
            files,
            &calendar,
            horizon_hours,
            spec.step_s,
            horizon_s,
        )?;
        let failures = spec
            .failures
            .as_ref()
            .map(|f| Failures::resolve(f, src))
            .transpose()?;
        let mut fleet = fleet;
        assign_pool_sectors(&mut fleet, &spec, src)?;
        let name = spec.name.clone().unwrap_or_else(|| stem.to_string());
        let metric_ids = crate::model::metrics::written(crate::model::metrics::Has {
            physics: facility.is_physics(),
            water: facility.reports_water(),
            carbon: grid.carbon_g_per_kwh.is_some(),
            cap: matches!(
                grid.limit,
                Some((_, crate::model::grid::site::LimitPolicy::Cap))
            ),
            buildout: fleet.has_buildout(),
        });
        let metric_names = metric_ids
            .iter()
            .map(|&i| crate::model::metrics::METRICS[i].name)
            .collect();
        let report_years = match &spec.report {
            Some(r) => {
                crate::input::report_spec::resolve_years(&calendar, start, horizon_s, &r.years)
                    .map_err(|m| src.error("report.years", m))?
            }
            None => Vec::new(),
        };
        let intervals = crate::input::report_spec::resolve_intervals(
            spec.report.as_ref(),
            None,
            &calendar,
            spec.step_s,
            horizon_s,
        )
        .map_err(|(field, span, m)| match span {
            Some(span) => src.error_at(span, &field, m),
            None => src.error(&field, m),
        })?;
        let sc = Scenario {
            name,
            file: src.name.clone(),
            start,
            calendar,
            horizon_hours,
            horizon_s,
            step_s: spec.step_s,
            seed: spec.seed,
            trials: spec.trials,
            fleet,
            consumers,
            twins,
            trainings,
            defenses,
            facility,
            grid,
            failures,
            metric_ids,
            metric_names,
            percentiles,
            uncertain: None,
            report_years,
            intervals,
            spec,
        };
        check_scenario(&sc, src)?;
        Ok(sc)
    }

    /// Human-readable resolution, printed by `dcload validate`.
    /// Hourly metric names for this scenario (physics facilities and carbon add their own).
    pub fn metrics(&self) -> &[&'static str] {
        &self.metric_names
    }

    /// Column position of a metric id in this scenario's hourly rows.
    pub fn metric_pos(&self, id: usize) -> Option<usize> {
        self.metric_ids.iter().position(|&m| m == id)
    }

    pub fn describe(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "{}: {} trials x {} h from {} ({}), step {} s, seed {}\n",
            self.name,
            self.trials,
            fmt_hours(self.horizon_s),
            self.start,
            self.calendar.describe(),
            self.step_s,
            self.seed
        ));
        s.push_str(&format!(
            "Fleet: installed IT peak {:.1} MW\n",
            self.fleet.peak_w() / 1e6
        ));
        for g in &self.fleet.groups {
            s.push_str(&format!(
                "  group {:<18} pool {:<14} {:>9} servers {:>10} accelerators  peak {:>8.2} MW{}\n",
                g.name,
                self.fleet.pools[g.pool].name,
                g.servers,
                g.accelerators,
                g.peak_w() / 1e6,
                if g.throughput < 1.0 {
                    format!("  (power-capped: {:.0} % throughput)", g.throughput * 100.0)
                } else {
                    String::new()
                }
            ));
            if g.refresh_of.is_some() {
                s.push_str(&format!(
                    "    refresh from {} (ramp {} h), {:?}-cooled\n",
                    self.calendar
                        .timestamp(crate::base::time::SimTime(g.online_s as u64)),
                    fmt_hours(g.commissioning_s as u64),
                    g.cooling
                ));
            }
            if g.retire_s.is_finite() {
                s.push_str(&format!(
                    "    in service until {}\n",
                    self.calendar
                        .timestamp(crate::base::time::SimTime(g.retire_s as u64))
                ));
            }
        }
        for c in &self.consumers {
            // The marginal energy the work stands for at the pool's dynamic power per unit.
            let pool = &self.fleet.pools[c.pool];
            let wh = c.work.mean * pool.watts_per_busy * c.power_scale / 3600.0;
            s.push_str(&format!(
                "  consumer {:<15} pool {:<14} {:.3e} requests/day, {:.3} accelerator-s/request ({wh:.3} Wh marginal){}\n",
                c.name,
                pool.name,
                c.requests_per_s * 86_400.0,
                c.work.mean,
                if c.trace.is_some() { " (trace replay)" } else { "" }
            ));
        }
        for w in &self.twins {
            s.push_str(&format!(
                "  twin     {:<15} pool {:<14} {:.0} accelerators at base utilisation {:.2}\n",
                w.name, self.fleet.pools[w.pool].name, w.accelerators, w.base_utilisation
            ));
        }
        for w in &self.trainings {
            s.push_str(&format!(
                "  training {:<15} pool {:<14} jobs of {:.0} accelerators, {:.1} days, utilisation {:.3} ({:.0} W per accelerator, host share included)\n",
                w.name,
                self.fleet.pools[w.pool].name,
                w.job_accelerators,
                w.duration_s / 86_400.0,
                w.utilisation,
                {
                    let p = &self.fleet.pools[w.pool];
                    p.idle_w_per_capacity + p.watts_per_busy * w.utilisation
                }
            ));
        }
        for d in &self.defenses {
            s.push_str(&format!(
                "  defense  {:<15} pool {:<14} {:.0} accelerator-equivalents x {} copies, redundancy {:?}\n",
                d.name,
                self.fleet.pools[d.pool].name,
                d.need,
                d.redundancy.active_copies(),
                d.redundancy
            ));
        }
        match &self.facility {
            Facility::Fixed { pue, water } => {
                s.push_str(&format!("Facility: fixed PUE {pue}"));
                if let Some(w) = water {
                    s.push_str(&format!(
                        ", on-site WUE {} L/kWh of IT, off-site {} L/kWh of facility energy",
                        w.onsite_l_per_it_kwh, w.offsite_l_per_kwh
                    ));
                }
                s.push('\n');
            }
            Facility::Physics(p) => {
                let w = match &p.weather {
                    crate::model::facility::site::WeatherSource::Synthetic {
                        climate,
                        heat_wave,
                    } => {
                        format!(
                            "synthetic {} weather{}",
                            climate.name(),
                            if heat_wave.is_some() {
                                " with a forced heat wave"
                            } else {
                                ""
                            }
                        )
                    }
                    crate::model::facility::site::WeatherSource::Recorded {
                        hours,
                        time_zone_h,
                    } => {
                        format!("recorded weather ({} h, UTC{time_zone_h:+})", hours.len())
                    }
                };
                s.push_str(&format!(
                    "Facility: physics, {w}; electrical chain rated {:.1} MW UPS\n",
                    p.electrical.chain.rated_kw / 1000.0
                ));
                for pl in &p.plants {
                    s.push_str(&format!(
                        "  plant    {:<18} for {:?}-cooled groups, design {:.2} MW\n",
                        pl.name,
                        pl.kind,
                        pl.plant.design_capacity_w() / 1e6
                    ));
                }
                for (g, c) in self.fleet.groups.iter().zip(&p.groups) {
                    s.push_str(&format!(
                        "  group    {:<18} class {:?}, set point {} C, {:.0} % of its plant\n",
                        g.name,
                        c.class,
                        c.setpoint_c,
                        c.share * 100.0
                    ));
                }
            }
        }
        s
    }
}

/// A run file without distributions, parsed and its numbers checked.
fn parse_spec(src: &Source) -> Result<RunSpec> {
    let spec: RunSpec = toml::from_str(&src.text).map_err(|e| src.toml_error(&e))?;
    crate::input::limits::check_numbers(src)?;
    Ok(spec)
}

/// A run file with `values` in place of its distributions (`list`): parsed once into a tree,
/// the values put at their distributions' places, then deserialised and checked exactly as a
/// plain run file is (every number, sampled or not, within the bounds of
/// [`crate::input::limits::check_numbers`]; errors point at the distribution's table in `src`).
fn spec_with(
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

#[allow(clippy::too_many_arguments)]
fn resolve_facility(
    spec: &FacilitySpec,
    src: &Source,
    lib: &Library,
    fleet: &Fleet,
    base_dir: &Path,
    files: &Files,
    start_day_of_year: u32,
    study_offset_s: i32,
) -> Result<Facility> {
    let at = spec.kind.span().start;
    let kind =
        crate::input::names::resolve("facility kind", spec.kind.get_ref(), &["fixed", "physics"])
            .map_err(|m| src.error_at(spec.kind.span(), "kind", m))?;
    match kind {
        0 => {
            let physics_only = [
                ("climate", spec.climate.is_some()),
                ("epw", spec.epw.is_some()),
                ("heat_wave", spec.heat_wave.is_some()),
                ("electrical", spec.electrical.is_some()),
                ("plants", spec.plants.is_some()),
                ("design_margin", spec.design_margin.is_some()),
                ("air_class", spec.air_class.is_some()),
                ("air_setpoint_c", spec.air_setpoint_c.is_some()),
                ("liquid_class", spec.liquid_class.is_some()),
                ("liquid_setpoint_c", spec.liquid_setpoint_c.is_some()),
                (
                    "thermal_mass_kj_per_k_per_kw",
                    spec.thermal_mass_kj_per_k_per_kw.is_some(),
                ),
                ("cooling_redundancy", spec.cooling_redundancy.is_some()),
                ("cooling_units", spec.cooling_units.is_some()),
                (
                    "cooling_unit_failures_per_year",
                    spec.cooling_unit_failures_per_year.is_some(),
                ),
                (
                    "cooling_unit_repair_hours",
                    spec.cooling_unit_repair_hours.is_some(),
                ),
            ];
            if let Some((f, _)) = physics_only.iter().find(|(_, set)| *set) {
                return Err(err_after(
                    src,
                    at,
                    f,
                    "belongs to kind = \"physics\"; a fixed facility takes only `pue`",
                ));
            }
            let pue = spec.pue.ok_or_else(|| {
                err_after(src, at, "pue", "missing: a fixed facility needs `pue`")
            })?;
            if !(pue.is_finite() && pue >= 1.0) {
                return Err(err_after(
                    src,
                    at,
                    "pue",
                    &format!("expected a PUE >= 1.0 (facility power / IT power), found {pue}"),
                ));
            }
            let figure = |v: Option<f64>, field: &str| -> Result<f64> {
                match v {
                    None => Ok(0.0),
                    Some(x) if x.is_finite() && (0.0..=100.0).contains(&x) => Ok(x),
                    Some(x) => Err(err_after(
                        src,
                        at,
                        field,
                        &format!("expected litres per kWh, 0 to 100, found {x}"),
                    )),
                }
            };
            let water = if spec.wue_l_per_kwh.is_some() || spec.grid_water_l_per_kwh.is_some() {
                Some(crate::model::facility::FixedWater {
                    onsite_l_per_it_kwh: figure(spec.wue_l_per_kwh, "wue_l_per_kwh")?,
                    offsite_l_per_kwh: figure(spec.grid_water_l_per_kwh, "grid_water_l_per_kwh")?,
                })
            } else {
                None
            };
            Ok(Facility::Fixed { pue, water })
        }
        _ => Ok(Facility::Physics(Box::new(PhysicsFacility::resolve(
            spec,
            src,
            lib,
            fleet,
            base_dir,
            files,
            start_day_of_year,
            study_offset_s,
        )?))),
    }
}

fn build_fleet(
    spec: &RunSpec,
    src: &Source,
    lib: &Library,
    cal: &Calendar,
    horizon_s: u64,
) -> Result<Fleet> {
    let mut fleet = Fleet::default();
    // Refresh phases, added after every group of the run file so that group indices follow
    // the file's `[[site.group]]` order.
    let mut phases: Vec<RackGroup> = Vec::new();
    for g in &spec.site.group {
        let at = g.name.span().start;
        if fleet.groups.iter().any(|x| &x.name == g.name.get_ref()) {
            return Err(src.error_at(
                g.name.span(),
                "name",
                format!("duplicate group name {:?}", g.name.get_ref()),
            ));
        }
        if !(g.count.is_finite()
            && g.count >= 1.0
            && g.count.fract() == 0.0
            && g.count <= crate::input::limits::MAX_GROUP_COUNT)
        {
            let what = if g.server.is_some() {
                "servers"
            } else {
                "racks"
            };
            return Err(err_after(
                src,
                at,
                "count",
                &format!(
                    "expected a whole number of {what} from 1 to {}, found {}",
                    num(crate::input::limits::MAX_GROUP_COUNT),
                    num(g.count)
                ),
            ));
        }
        let pool_name = g
            .pool
            .as_ref()
            .map_or_else(|| g.name.get_ref().clone(), |p| p.get_ref().clone());
        let pool = match fleet.pool_index(&pool_name) {
            Some(p) => p,
            None => {
                fleet.pools.push(Pool {
                    name: pool_name,
                    groups: Vec::new(),
                    accelerators: 0.0,
                    capacity: 0.0,
                    inv_capacity: 0.0,
                    watts_per_busy: 0.0,
                    idle_w_per_capacity: 0.0,
                    primary: Sector::Consumer,
                });
                fleet.pools.len() - 1
            }
        };
        let group = match (&g.rack, &g.server) {
            (Some(r), None) => {
                let rack = lib.rack(r.get_ref()).ok_or_else(|| {
                    src.error_at(
                        r.span(),
                        "rack",
                        lib.unknown_entry("rack type", r.get_ref()),
                    )
                })?;
                RackGroup::from_rack(g.name.get_ref(), pool, rack, g.count, lib)
                    .map_err(|m| src.error_at(r.span(), "rack", m))?
            }
            (None, Some(s)) => {
                let server = lib.server(s.get_ref()).ok_or_else(|| {
                    src.error_at(s.span(), "server", lib.unknown_entry("server", s.get_ref()))
                })?;
                RackGroup::from_server(g.name.get_ref(), pool, server, g.count, lib)
                    .map_err(|m| src.error_at(s.span(), "server", m))?
            }
            _ => {
                return Err(src.error_at(
                    g.name.span(),
                    "rack",
                    "give exactly one of `rack` (a rack type) or `server` (bare servers)",
                ));
            }
        };
        let mut group = group;
        if let Some(c) = g.cooling {
            group.cooling = c;
        }
        if let Some(o) = &g.online {
            let s = o.get_ref().trim();
            let local_s = parse_local_date_or_time(s).map_err(|_| {
                src.error_at(
                    o.span(),
                    "online",
                    format!(
                        "expected a date like \"2026-03-01\" (or \"2026-03-01T06:00\") on the study clock, found {s:?}"
                    ),
                )
            })?;
            group.online_s = cal.from_local_s_compatible(local_s) as f64;
            group.phased = true;
            if group.online_s >= horizon_s as f64 {
                // It would draw nothing and leave its workloads without capacity all study long.
                return Err(src.error_at(
                    o.span(),
                    "online",
                    format!(
                        "{s:?} is at or after the study's end ({}): expected a date inside the horizon (or lengthen `horizon_hours` / `end`)",
                        cal.timestamp(crate::base::time::SimTime(horizon_s))
                    ),
                ));
            }
        }
        if let Some(d) = g.commissioning_days {
            if !(d.is_finite() && (0.0..=36_500.0).contains(&d)) {
                return Err(err_after(
                    src,
                    at,
                    "commissioning_days",
                    &format!(
                        "expected a number of days from 0 to 36500, found {}",
                        crate::input::limits::num(d)
                    ),
                ));
            }
            group.commissioning_s = d * 86_400.0;
            group.phased |= d > 0.0;
        }
        let p = &mut fleet.pools[pool];
        p.groups.push(fleet.groups.len());
        p.accelerators += group.accelerators;
        let dyn_w = p.watts_per_busy * p.capacity
            + group.servers * (group.server_max_w - group.server_idle_w);
        let idle_w = p.idle_w_per_capacity * p.capacity + group.servers * group.server_idle_w;
        p.capacity += group.capacity();
        p.inv_capacity = 1.0 / p.capacity;
        p.watts_per_busy = dyn_w / p.capacity;
        p.idle_w_per_capacity = idle_w / p.capacity;
        if let Some(r) = &g.refresh {
            let gi = fleet.groups.len();
            refresh_phases(
                &mut group,
                gi,
                r.list(),
                src,
                lib,
                cal,
                horizon_s,
                &mut phases,
            )?;
        }
        fleet.groups.push(group);
    }
    // A refresh phase serves in its group's pool; the pool's fixed figures (accelerators,
    // capacity, W per busy unit: for twin allocations, default job sizes, Wh-per-request
    // conversions and aiming load shedding) stay those of the first hardware, while the step's
    // capacity and power follow the hardware in service.
    for ph in phases {
        fleet.pools[ph.pool].groups.push(fleet.groups.len());
        fleet.groups.push(ph);
    }
    Ok(fleet)
}

/// Resolves a group's refreshes into one group per new hardware phase, appended to `phases`;
/// the group (and each phase but the last) retires at the next refresh date. Errors name the
/// refresh's field: an unknown rack or server (with a did-you-mean), a date not after the
/// group's online date (or its previous refresh) or not before the horizon's end, a bad count
/// or downtime.
#[allow(clippy::too_many_arguments)]
fn refresh_phases(
    group: &mut RackGroup,
    gi: usize,
    list: &[RefreshSpec],
    src: &Source,
    lib: &Library,
    cal: &Calendar,
    horizon_s: u64,
    phases: &mut Vec<RackGroup>,
) -> Result<()> {
    let first = phases.len();
    // The hardware in service before each refresh: its type, count and cooling.
    let mut rack = None;
    let mut server = None;
    let mut count = group.racks;
    let mut cooling = group.cooling;
    let mut after_s = group.online_s.max(0.0);
    let mut after_what = if group.online_s > 0.0 {
        format!(
            "the group's online date ({})",
            cal.timestamp(crate::base::time::SimTime(group.online_s as u64))
        )
    } else {
        format!(
            "the study start ({})",
            cal.timestamp(crate::base::time::SimTime(0))
        )
    };
    for r in list {
        let text = r.date.get_ref().trim();
        let local_s = parse_local_date_or_time(text).map_err(|_| {
            src.error_at(
                r.date.span(),
                "date",
                format!(
                    "expected a refresh date like \"2027-07-01\" (or \"2027-07-01T06:00\") on the study clock, found {text:?}"
                ),
            )
        })?;
        let t = cal.from_local_s_compatible(local_s);
        if !(t as f64 > after_s && t < horizon_s as i64) {
            return Err(src.error_at(
                r.date.span(),
                "date",
                format!(
                    "expected a refresh date after {after_what} and before the horizon's end ({}), found {text:?}",
                    cal.timestamp(crate::base::time::SimTime(horizon_s))
                ),
            ));
        }
        if let Some(c) = &r.count {
            let v = *c.get_ref();
            if !(v.is_finite()
                && v >= 1.0
                && v.fract() == 0.0
                && v <= crate::input::limits::MAX_GROUP_COUNT)
            {
                return Err(src.error_at(
                    c.span(),
                    "count",
                    format!(
                        "expected a whole number of racks (or servers) from 1 to {}, found {}",
                        num(crate::input::limits::MAX_GROUP_COUNT),
                        num(v)
                    ),
                ));
            }
            count = v;
        }
        let ramp_s = match &r.downtime_days {
            Some(d) => {
                let v = *d.get_ref();
                if !(v.is_finite() && (0.0..=36_500.0).contains(&v)) {
                    return Err(src.error_at(
                        d.span(),
                        "downtime_days",
                        format!(
                            "expected a number of days from 0 to 36500 (the new hardware's ramp back to full), found {}",
                            num(v)
                        ),
                    ));
                }
                v * 86_400.0
            }
            None => 0.0,
        };
        let new_type = match (&r.rack, &r.server) {
            (Some(x), None) => {
                let spec = lib.rack(x.get_ref()).ok_or_else(|| {
                    src.error_at(
                        x.span(),
                        "rack",
                        lib.unknown_entry("rack type", x.get_ref()),
                    )
                })?;
                rack = Some((spec, x.span()));
                server = None;
                true
            }
            (None, Some(x)) => {
                let spec = lib.server(x.get_ref()).ok_or_else(|| {
                    src.error_at(x.span(), "server", lib.unknown_entry("server", x.get_ref()))
                })?;
                server = Some((spec, x.span()));
                rack = None;
                true
            }
            (None, None) => false,
            (Some(x), Some(_)) => {
                return Err(src.error_at(
                    x.span(),
                    "rack",
                    "give at most one of `rack` (a rack type) or `server` (bare servers) in a refresh",
                ));
            }
        };
        let name = format!("{}@{text}", group.name);
        let pool = group.pool;
        let mut ph = match (&rack, &server) {
            (Some((spec, span)), _) => RackGroup::from_rack(&name, pool, spec, count, lib)
                .map_err(|m| src.error_at(span.clone(), "rack", m))?,
            (None, Some((spec, span))) => RackGroup::from_server(&name, pool, spec, count, lib)
                .map_err(|m| src.error_at(span.clone(), "server", m))?,
            // The same hardware re-installed: the previous phase scaled to the new count.
            (None, None) => {
                let prev: &RackGroup = if phases.len() > first {
                    &phases[phases.len() - 1]
                } else {
                    group
                };
                let mut same = prev.clone();
                same.name = name;
                let k = count / prev.racks;
                same.racks = count;
                same.servers = prev.servers * k;
                same.accelerators = prev.accelerators * k;
                same
            }
        };
        if new_type {
            // A new type brings its own cooling: the rack's, or air for bare servers (as a
            // group of bare servers).
            cooling = rack
                .as_ref()
                .map_or(CoolingKind::Air, |(spec, _)| spec.cooling);
        }
        if let Some(c) = r.cooling {
            cooling = c;
        }
        ph.cooling = cooling;
        ph.online_s = t as f64;
        ph.commissioning_s = ramp_s;
        ph.phased = true;
        ph.retire_s = f64::INFINITY;
        ph.refresh_of = Some(gi);
        // The hardware in service until now retires at the refresh date.
        if phases.len() > first {
            if let Some(p) = phases.last_mut() {
                p.retire_s = t as f64;
            }
        } else {
            group.retire_s = t as f64;
        }
        group.phased = true;
        after_s = t as f64;
        after_what = format!("the group's previous refresh ({text})");
        phases.push(ph);
    }
    Ok(())
}

/// Gives each pool the sector that pays its idle power, refuses pools no workload uses, and
/// keeps defense enclaves air-gapped (no other sector on their pools). Errors point at the
/// entry they are about: the group that names an unused pool, the workload that breaks an
/// enclave (never the first `pool =` line of the file).
fn assign_pool_sectors(fleet: &mut Fleet, spec: &RunSpec, src: &Source) -> Result<()> {
    let np = fleet.pools.len();
    // (sector, workload name, span of its `pool` value), in the order sectors claim idle power.
    type User = (Sector, String, Range<usize>);
    let mut users: Vec<Vec<User>> = vec![Vec::new(); np];
    let mut claim = |sector: Sector, name: &str, pool: &Spanned<String>| {
        if let Some(p) = fleet.pool_index(pool.get_ref()) {
            users[p].push((sector, name.to_string(), pool.span()));
        }
    };
    for d in &spec.defense {
        claim(Sector::Defense, d.name.get_ref(), &d.pool);
    }
    for w in &spec.twin {
        claim(Sector::Industrial, w.name.get_ref(), &w.pool);
    }
    for w in &spec.training {
        claim(Sector::Training, w.name.get_ref(), &w.pool);
    }
    for c in &spec.consumer {
        claim(Sector::Consumer, c.name.get_ref(), &c.pool);
    }
    for (p, u) in users.iter().enumerate() {
        let pool = &mut fleet.pools[p];
        let Some((first, _, _)) = u.first() else {
            // The first group serving in this pool: its `pool` value, or its name when the
            // pool is named after the group.
            let at = spec.site.group.iter().find_map(|g| match &g.pool {
                Some(n) if n.get_ref().to_lowercase() == pool.name.to_lowercase() => {
                    Some((n.span(), "pool"))
                }
                None if g.name.get_ref().to_lowercase() == pool.name.to_lowercase() => {
                    Some((g.name.span(), "name"))
                }
                _ => None,
            });
            let msg = format!(
                "pool {:?} serves no workload: give it a workload, or remove its groups",
                pool.name
            );
            return Err(match at {
                Some((span, field)) => src.error_at(span, field, msg),
                None => src.error("pool", msg),
            });
        };
        pool.primary = *first;
        if *first == Sector::Defense
            && let Some((s, n, span)) = u.iter().find(|(s, _, _)| *s != Sector::Defense)
        {
            return Err(src.error_at(
                span.clone(),
                "pool",
                format!(
                    "defense missions run in an air-gapped enclave, but pool {:?} is also used by {} workload {:?}: give the mission its own groups",
                    pool.name,
                    s.name(),
                    n
                ),
            ));
        }
    }
    Ok(())
}

// The limits a resolved study is checked against (bounds in `crate::input::limits`; these checks
// live here because they read the resolved study).
use crate::input::limits::{
    MAX_EPISODES, MAX_STEPS, MAX_TRACE_BYTES, MAX_TRIAL_BYTES, MAX_TRIALS, err_near, num,
};

/// The per-trial estimates a study is checked against.
#[derive(Clone, Copy, Debug)]
pub struct Estimate {
    pub steps: u64,
    pub episodes: f64,
    pub bytes: f64,
}

/// Checks the event counts, job slots, steps and memory of one trial of a resolved study.
pub fn check_scenario(sc: &Scenario, src: &Source) -> Result<Estimate> {
    let steps = sc.horizon_hours * 3600 / sc.step_s.max(1);
    if steps > MAX_STEPS {
        return Err(src.error(
            "step_s",
            format!(
                "{} h at {} s steps is {steps} steps per trial (limit {MAX_STEPS}): use a longer step or a shorter horizon",
                sc.horizon_hours, sc.step_s
            ),
        ));
    }
    let years = sc.horizon_hours as f64 / 8760.0;
    let mut episodes = 0.0;
    let mut count = |n: f64, head: &str, field: &str, what: &str| -> Result<()> {
        let e = n * years;
        if e > MAX_EPISODES {
            return Err(err_near(
                src,
                head,
                field,
                format!(
                    "{} per year over {} h gives about {} {what} per trial (limit {}): give a smaller rate",
                    num(n),
                    sc.horizon_hours,
                    num(e.round()),
                    num(MAX_EPISODES)
                ),
            ));
        }
        episodes += e;
        Ok(())
    };
    for w in &sc.twins {
        count(
            w.campaigns.per_year,
            &format!("\"{}\"", w.name),
            "random_campaigns",
            "campaigns",
        )?;
    }
    for d in &sc.defenses {
        count(
            d.surges.per_year,
            &format!("\"{}\"", d.name),
            "random_surges",
            "surges",
        )?;
    }
    for t in &sc.trainings {
        count(
            t.jobs_per_year,
            &format!("\"{}\"", t.name),
            "jobs_per_year",
            "job submissions",
        )?;
    }
    if let Some(b) = &sc.grid.backup {
        count(b.per_year, "outages", "per_year", "outages")?;
    }
    if let Some(dr) = &sc.grid.demand_response
        && let Some((per_year, ..)) = &dr.random
    {
        count(
            *per_year,
            "demand_response",
            "random",
            "demand-response events",
        )?;
    }
    let hours = sc.horizon_hours as f64;
    let slots: f64 = sc.trainings.iter().map(|t| t.max_concurrent as f64).sum();
    let physics = if sc.facility.is_physics() { 16.0 } else { 0.0 };
    let bytes = hours * sc.metrics().len() as f64 * 4.0
        + hours * 8.0 * (physics + 4.0)
        + episodes * 2.0 * 48.0
        + slots * 64.0
        + 1024.0 * 1024.0;
    if bytes > MAX_TRIAL_BYTES {
        return Err(src.error(
            "horizon_hours",
            format!(
                "one trial would need about {} MiB of memory (limit {} MiB): use a shorter horizon or fewer events",
                (bytes / 1048576.0).round(),
                MAX_TRIAL_BYTES / 1048576.0
            ),
        ));
    }
    Ok(Estimate {
        steps,
        episodes,
        bytes,
    })
}

/// Checks the study as a whole: trials and the traces they would write.
pub fn check_run(sc: &Scenario) -> Result<()> {
    if sc.trials > MAX_TRIALS {
        return Err(Error::Option {
            option: "--trials".into(),
            msg: format!(
                "{} trials (limit {MAX_TRIALS}): split the study into shards of separate seeds",
                sc.trials
            ),
        });
    }
    // Large studies keep their traces on disk (in the per-trial records): refuse only what
    // would not fit there either.
    let trace_bytes =
        f64::from(sc.trials) * sc.horizon_hours as f64 * sc.metrics().len() as f64 * 4.0;
    if trace_bytes > MAX_TRACE_BYTES {
        return Err(Error::Option {
            option: "--trials".into(),
            msg: format!(
                "{} trials of {} hours would write {:.0} GiB of hourly traces (limit {:.0} GiB): run fewer trials, a shorter horizon, or shards",
                sc.trials,
                sc.horizon_hours,
                trace_bytes / 1024.0f64.powi(3),
                MAX_TRACE_BYTES / 1024.0f64.powi(3)
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two groups in their own pools, `a` and `b`, each with a `pool =` line.
    const TWO: &str = r#"horizon_hours = 24
step_s = 3600
trials = 2
seed = 5
[site]
[[site.group]]
name = "a"
server = "DGX-H100"
count = 10
pool = "pa"
[[site.group]]
name = "b"
server = "DGX-H100"
count = 4
pool = "pb"
[[consumer]]
name = "chat"
preset = "chat"
pool = "pa"
requests_per_day = 1.0e5
[[twin]]
name = "t"
pool = "pb"
base_utilisation = 0.5
[facility]
kind = "fixed"
pue = 1.25
"#;

    fn resolve(text: &str) -> Result<Scenario> {
        let lib = Library::load(None).unwrap();
        Scenario::from_source(&Source::new("t.toml", text), "t", Path::new("."), &lib)
    }

    fn line_of(text: &str, needle: &str, nth: usize) -> usize {
        let at = text.match_indices(needle).nth(nth).unwrap().0;
        text[..at].matches('\n').count() + 1
    }

    #[test]
    fn an_unused_pool_is_reported_at_its_own_groups_line() {
        // Group b's pool serves nothing: the error names b's `pool =` line, not a's (the old
        // locator took the first `pool =` of the file, line 10).
        let text = TWO.replace(
            "[[twin]]\nname = \"t\"\npool = \"pb\"",
            "[[twin]]\nname = \"t\"\npool = \"pa\"",
        );
        let e = resolve(&text).unwrap_err().to_string();
        let b_line = line_of(&text, "pool = \"pb\"", 0);
        assert_eq!(b_line, 15);
        assert!(
            e.starts_with(&format!("t.toml:{b_line}:"))
                && e.contains("field `pool`")
                && e.contains("\"pb\" serves no workload"),
            "{e}"
        );
    }

    #[test]
    fn a_workload_in_an_enclave_is_reported_at_its_own_pool_line() {
        // A mission on pool pb makes it an enclave; the twin that also uses pb is the entry in
        // error, so the error names the twin's `pool =` line (the second `pool = "pb"`).
        let text = TWO.replace(
            "[[twin]]",
            "[[defense]]\nname = \"m\"\npool = \"pb\"\naccelerators = 8\nutilisation = 0.5\n\n[[twin]]",
        );
        let e = resolve(&text).unwrap_err().to_string();
        let twin_line = line_of(&text, "pool = \"pb\"", 2);
        assert!(
            e.starts_with(&format!("t.toml:{twin_line}:")) && e.contains("air-gapped"),
            "{e}"
        );
    }

    #[test]
    fn resolved_values_equal_the_hand_figures() {
        let sc = resolve(TWO).unwrap();
        // 10 + 4 DGX H100: 8 H100 each, 10.2 kW peak each (8 x 700 W + 4.6 kW host, NVIDIA).
        assert_eq!(sc.fleet.groups[0].accelerators, 80.0);
        assert_eq!(sc.fleet.groups[1].accelerators, 32.0);
        assert!(
            (sc.fleet.peak_w() - 14.0 * 10_200.0).abs() < 1e-6,
            "{}",
            sc.fleet.peak_w()
        );
        // 1e5 requests a day.
        assert!((sc.consumers[0].requests_per_s - 1.0e5 / 86_400.0).abs() < 1e-12);
        assert_eq!(
            (sc.horizon_hours, sc.horizon_s, sc.step_s),
            (24, 86_400, 3600)
        );
        assert_eq!((sc.seed, sc.trials), (5, 2));
        assert_eq!(sc.fleet.pools.len(), 2);
        assert_eq!(sc.fleet.pools[1].primary, Sector::Industrial);
    }

    #[test]
    fn a_seed_set_once_gives_the_same_scenario_as_the_run_files_seed() {
        let from_file = resolve(TWO).unwrap();
        let mut set = resolve(&TWO.replace("seed = 5", "seed = 99")).unwrap();
        set.set_run(Some(5), Some(2), None);
        assert_eq!(
            (set.seed, set.spec.seed, set.trials, set.spec.trials),
            (5, 5, 2, 2)
        );
        let a = crate::sim::run_trial(&from_file, 1);
        let b = crate::sim::run_trial(&set, 1);
        assert_eq!(a.summary.energy_mwh, b.summary.energy_mwh);
        assert_eq!(a.hourly, b.hourly);
        // A different seed gives different random demand.
        let mut other = resolve(TWO).unwrap();
        other.set_run(Some(6), None, None);
        assert_ne!(crate::sim::run_trial(&other, 1).hourly, a.hourly);
    }

    #[test]
    fn sampled_values_in_the_parsed_tree_resolve_as_the_same_values_written_in_the_text() {
        let text = TWO
            .replace(
                "requests_per_day = 1.0e5",
                "requests_per_day = { dist = \"uniform\", min = 5.0e4, max = 2.0e5 }",
            )
            .replace(
                "count = 4\n",
                "count = { dist = \"uniform\", min = 2, max = 6 }\n",
            );
        let sc = resolve(&text).unwrap();
        let u = sc.uncertain.as_ref().unwrap();
        assert_eq!(
            sc.parameter_names(),
            vec!["site.group[1].count", "consumer[0].requests_per_day"]
        );
        for trial in 0..4 {
            let (t, values) = sc.for_trial(trial).unwrap();
            assert_eq!(values.len(), 2);
            // The same values written into the text and resolved from scratch.
            let written = crate::input::uncertain::substitute(&text, &u.list, &values);
            let plain = resolve(&written).unwrap();
            assert_eq!(
                t.consumers[0].requests_per_s,
                plain.consumers[0].requests_per_s
            );
            assert_eq!(
                t.fleet.groups[1].accelerators,
                plain.fleet.groups[1].accelerators
            );
            assert_eq!(t.fleet.groups[1].accelerators, 8.0 * values[0]);
            assert!((t.consumers[0].requests_per_s * 86_400.0 - values[1]).abs() < 1e-6);
            assert_eq!((t.seed, t.trials), (sc.seed, sc.trials));
        }
    }

    #[test]
    fn a_sampled_value_out_of_range_is_refused_at_its_distributions_line() {
        // Every draw is negative: the nominal resolution refuses it with the field's line.
        let text = TWO.replace(
            "requests_per_day = 1.0e5",
            "requests_per_day = { dist = \"uniform\", min = -2.0, max = -1.0 }",
        );
        let e = resolve(&text).unwrap_err().to_string();
        let line = line_of(&text, "requests_per_day", 0);
        assert!(
            e.contains(&format!("t.toml:{line}")) && e.contains("requests_per_day"),
            "{e}"
        );
    }
}
