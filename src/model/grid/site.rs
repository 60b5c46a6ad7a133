//! The site's side of the grid connection: the import limit and what happens above it, and the
//! hours of the system's peak that a utility asks about.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::demand_response::{DemandResponse, DemandResponseSpec};
use super::outage::{Backup, BackupSpec, OutageSpec};
use std::path::Path;

use super::{CarbonProfile, Tariff, read_hourly_csv};
use crate::base::error::{Error, Result, Source};
use crate::base::time::{Calendar, SimTime};
use crate::model::library::Library;

/// The default MW thresholds of the ramp distribution (`ramp_steps_over_*`,
/// `ramp_15min_over_*`); a study sets its own with `[grid] ramp_thresholds_mw`.
pub const RAMP_THRESHOLDS_MW: [f64; 5] = [1.0, 5.0, 10.0, 25.0, 50.0];

/// The most ramp thresholds a study may set.
pub const RAMP_THRESHOLDS_MAX: usize = 10;

/// The `[grid]` table of a run file.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GridSpec {
    /// Import limit of the interconnection, MW.
    pub import_limit_mw: Option<Spanned<f64>>,
    /// "record" (count exceedances) or "cap" (shed flexible load to stay under the limit).
    pub limit_policy: Option<Spanned<String>>,
    /// Hours of the system's peak (study clock), e.g. "2025-07-16T17:00": monthly.csv reports
    /// the site's demand at them.
    #[serde(default)]
    pub system_peak_hours: Vec<Spanned<String>>,
    /// ... or (and) a CSV of them, one timestamp a row (first column; a header row such as
    /// `timestamp` is skipped), relative to the run file.
    pub system_peaks_file: Option<Spanned<String>>,
    /// "interval-beginning" (default: a time names the interval it starts) or
    /// "interval-ending" (hour-ending 17:00 is 16:00-17:00).
    pub system_peak_convention: Option<Spanned<String>>,
    /// Length of the system-peak interval, minutes (default 60: whole hours).
    pub system_peak_minutes: Option<Spanned<i64>>,
    /// Grid outages (random and scheduled); the site's backup is the `[backup]` table.
    pub outages: Option<Spanned<OutageSpec>>,
    /// Demand-response events and the sectors' flexibility.
    pub demand_response: Option<Spanned<DemandResponseSpec>>,
    /// Grid carbon intensity: a region from `models/grid/` (month-by-hour profile) ...
    pub carbon: Option<Spanned<String>>,
    /// ... or a CSV of hourly gCO2/kWh (column `g_per_kwh`), relative to the run file.
    pub carbon_csv: Option<Spanned<String>>,
    /// Electricity tariff from `models/tariffs/`.
    pub tariff: Option<Spanned<String>>,
    /// MW thresholds of the ramp counts in trials.csv and summary.json (default 1, 5, 10, 25,
    /// 50): positive, increasing, at most ten.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ramp_thresholds_mw: Option<Spanned<Vec<f64>>>,
    /// Coincident-peak billing over the stated system peaks: "4cp", "5cp" or "stated" (see
    /// [`super::coincident`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coincident_peak: Option<Spanned<String>>,
    /// The developer's response: the share of demand curtailed through a forecast peak ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cp_response_share: Option<Spanned<f64>>,
    /// ... and the share of the peaks forecast.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cp_response_hit_rate: Option<Spanned<f64>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum LimitPolicy {
    Record,
    Cap,
}

#[derive(Clone, Debug, Default)]
pub struct Grid {
    /// Import limit, W, and its policy.
    pub limit: Option<(f64, LimitPolicy)>,
    /// The intervals of the system's peak, in the order given (list, then file).
    pub system_peaks: Vec<SystemPeak>,
    /// Outages and the backup that rides them through.
    pub backup: Option<Backup>,
    pub demand_response: Option<DemandResponse>,
    /// Grid carbon intensity for each hour of the horizon, gCO2/kWh.
    pub carbon_g_per_kwh: Option<Vec<f64>>,
    pub tariff: Option<Tariff>,
    /// (month 1-12, weekday 0 = Monday, local hour) of every hour, for the tariff.
    pub hour_calendar: Vec<(u32, usize, usize)>,
    /// MW thresholds of the ramp counts.
    pub ramp_thresholds_mw: Vec<f64>,
    /// `coincident_peak`: the billing determinant's intervals and the response rule.
    pub coincident_peak: Option<super::coincident::CpRule>,
}

impl Grid {
    /// Resolves `[grid]`: the import limit, the system-peak intervals, outages and backup,
    /// demand response, the carbon intensity and the tariff of every hour, and the ramp
    /// thresholds.
    #[allow(clippy::too_many_arguments)]
    pub fn resolve(
        spec: &GridSpec,
        backup: Option<&Spanned<BackupSpec>>,
        it_peak_w: f64,
        src: &Source,
        lib: &Library,
        base_dir: &Path,
        files: &crate::input::files::Files,
        calendar: &Calendar,
        horizon_hours: u64,
        step_s: u64,
        horizon_s: u64,
    ) -> Result<Grid> {
        let limit = import_limit(spec, src)?;
        let peak_clock = PeakClock::read(spec, src, calendar, step_s, horizon_s)?;
        let system_peaks = peak_clock.peaks(spec, src, base_dir)?;
        let cp = super::coincident::CpFields {
            set: spec.coincident_peak.as_ref(),
            share: spec.cp_response_share.as_ref(),
            hit_rate: spec.cp_response_hit_rate.as_ref(),
        };
        let coincident_peak = super::coincident::resolve(&cp, &system_peaks, calendar, src)?;
        let backup = match &spec.outages {
            Some(o) => Some(Backup::resolve(o, backup, it_peak_w, src)?),
            None if backup.is_some() => {
                return Err(src.error(
                    "backup",
                    "a [backup] table needs grid outages to ride through: add [grid.outages]",
                ));
            }
            None => None,
        };
        let demand_response = spec
            .demand_response
            .as_ref()
            .map(|d| DemandResponse::resolve(d, src))
            .transpose()?;
        let hours: Vec<SimTime> = (0..horizon_hours).map(SimTime::from_hours).collect();
        // The hours' clock and carbon are worked out once per study (~1.6 M instructions a
        // trial before), keyed by the calendar and the horizon.
        let clock_key = format!("{horizon_hours} {}", calendar.key());
        let carbon_g_per_kwh = carbon_by_hour(spec, src, lib, base_dir, files, calendar, &hours)?;
        let tariff = match &spec.tariff {
            Some(name) => {
                let text = lib.file_at(src, "tariffs", "tariff", "tariff", name)?;
                Some(Tariff::from_toml(&text.name, &text.text).map_err(Error::from)?)
            }
            None => None,
        };
        // The study clock's month, weekday and hour (prevailing time: the wall clock).
        let hour_calendar = files.load("hour calendar", Path::new(""), clock_key, || {
            Ok(hours
                .iter()
                .map(|&t| {
                    (
                        calendar.date(t).month,
                        calendar.local_weekday(t),
                        calendar.local_hour(t) as usize,
                    )
                })
                .collect::<Vec<_>>())
        })?;
        let hour_calendar = Vec::clone(&hour_calendar);
        Ok(Grid {
            limit,
            system_peaks,
            backup,
            demand_response,
            carbon_g_per_kwh,
            tariff,
            hour_calendar,
            ramp_thresholds_mw: ramp_thresholds(spec, src)?,
            coincident_peak,
        })
    }
}

/// The import limit, W, and what happens above it.
fn import_limit(spec: &GridSpec, src: &Source) -> Result<Option<(f64, LimitPolicy)>> {
    let policy = match &spec.limit_policy {
        None => LimitPolicy::Record,
        Some(p) => {
            match crate::input::names::resolve("limit policy", p.get_ref(), &["record", "cap"]) {
                Ok(0) => LimitPolicy::Record,
                Ok(_) => LimitPolicy::Cap,
                Err(m) => return Err(src.error_at(p.span(), "limit_policy", m)),
            }
        }
    };
    match (&spec.import_limit_mw, &spec.limit_policy) {
        (Some(mw), _) if mw.get_ref().is_finite() && *mw.get_ref() > 0.0 => {
            Ok(Some((mw.get_ref() * 1e6, policy)))
        }
        (Some(mw), _) => Err(src.error_at(
            mw.span(),
            "import_limit_mw",
            format!("expected a positive number of MW, found {}", mw.get_ref()),
        )),
        (None, Some(p)) => Err(src.error_at(p.span(), "limit_policy", "needs import_limit_mw")),
        (None, None) => Ok(None),
    }
}

/// Grid carbon intensity of every hour: a library region's month-by-hour profile on its own
/// clock, or a measured hourly file (repeated when shorter than the study).
fn carbon_by_hour(
    spec: &GridSpec,
    src: &Source,
    lib: &Library,
    base_dir: &Path,
    files: &crate::input::files::Files,
    calendar: &Calendar,
    hours: &[SimTime],
) -> Result<Option<Vec<f64>>> {
    match (&spec.carbon, &spec.carbon_csv) {
        (Some(_), Some(c)) => Err(src.error_at(
            c.span(),
            "carbon_csv",
            "give either `carbon` (a region) or `carbon_csv` (a file), not both",
        )),
        (Some(name), None) => {
            let text = lib.file_at(src, "grid", "grid region", "carbon", name)?;
            // Once per study, calendar, horizon and profile text (a trial that samples the
            // library reads its own text).
            let key = format!("{} {}\n{}", hours.len(), calendar.key(), text.text);
            let by_hour = files.load("carbon by hour", Path::new(&text.name), key, || {
                let p = CarbonProfile::from_toml(&text.name, &text.text).map_err(Error::from)?;
                // The profile's hours are in its own clock (the grid region's local time).
                let off = p.utc_offset_s();
                Ok(hours
                    .iter()
                    .map(|&t| {
                        let local = calendar.local_date(t, off);
                        p.g_per_kwh(
                            local.month as usize - 1,
                            calendar.hour_of_day(t, off) as usize,
                        )
                    })
                    .collect::<Vec<f64>>())
            })?;
            Ok(Some(Vec::clone(&by_hour)))
        }
        (None, Some(file)) => {
            let path = base_dir.join(file.get_ref());
            let v = files.load("carbon_csv", &path, String::new(), || {
                let text =
                    crate::input::limits::read_text(&path, crate::input::limits::MAX_DATA_BYTES)?;
                read_hourly_csv(&path.display().to_string(), &text).map_err(Error::from)
            })?;
            if v.is_empty() {
                return Err(src.error_at(file.span(), "carbon_csv", "the file has no hours"));
            }
            // A shorter file (e.g. one year for a longer study) repeats.
            Ok(Some((0..hours.len()).map(|h| v[h % v.len()]).collect()))
        }
        (None, None) => Ok(None),
    }
}

/// The MW thresholds of the ramp counts: the study's, checked, or the defaults.
fn ramp_thresholds(spec: &GridSpec, src: &Source) -> Result<Vec<f64>> {
    let Some(t) = &spec.ramp_thresholds_mw else {
        return Ok(RAMP_THRESHOLDS_MW.to_vec());
    };
    let v = t.get_ref();
    let max = RAMP_THRESHOLDS_MAX;
    let ok = !v.is_empty()
        && v.len() <= max
        && v.iter().all(|x| x.is_finite() && *x > 0.0)
        && v.windows(2).all(|w| w[1] > w[0]);
    if !ok {
        return Err(src.error_at(
            t.span(),
            "ramp_thresholds_mw",
            format!("expected 1 to {max} positive MW figures in increasing order, e.g. [1, 5, 10, 25, 50]"),
        ));
    }
    Ok(v.clone())
}

/// One interval of the system's peak: `len_s` seconds from `start_s` (study time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SystemPeak {
    pub start_s: u64,
    pub len_s: u64,
}

impl SystemPeak {
    /// The hour row when the interval is exactly one hour of the study clock: its demand is
    /// then that hour's mean, read from the hourly rows (as whole-hour peaks always were).
    pub fn whole_hour(&self) -> Option<usize> {
        (self.len_s == 3600 && self.start_s.is_multiple_of(3600))
            .then_some((self.start_s / 3600) as usize)
    }
}

/// How the system-peak times of `[grid]` become intervals: the convention (a time names the
/// interval it begins or ends), the interval's length, and the study's step and horizon.
struct PeakClock<'a> {
    calendar: &'a Calendar,
    ending: bool,
    len_s: u64,
    step_s: u64,
    horizon_s: u64,
}

impl<'a> PeakClock<'a> {
    fn read(
        spec: &GridSpec,
        src: &Source,
        calendar: &'a Calendar,
        step_s: u64,
        horizon_s: u64,
    ) -> Result<PeakClock<'a>> {
        let ending = match spec.system_peak_convention.as_ref() {
            None => false,
            Some(c) => match c.get_ref().as_str() {
                "interval-beginning" => false,
                "interval-ending" => true,
                other => {
                    return Err(src.error_at(
                        c.span(),
                        "system_peak_convention",
                        format!(
                            "expected \"interval-beginning\" or \"interval-ending\", found {other:?}"
                        ),
                    ));
                }
            },
        };
        let len_s = match spec.system_peak_minutes.as_ref() {
            None => 3600,
            Some(m) => crate::input::report_spec::check_interval_minutes(
                *m.get_ref(),
                step_s,
                "system_peak_minutes",
            )
            .map_err(|e| src.error_at(m.span(), "system_peak_minutes", e))?,
        };
        Ok(PeakClock {
            calendar,
            ending,
            len_s,
            step_s,
            horizon_s,
        })
    }

    /// One time (read by [`Calendar::parse_local`]) to its interval, or what is wrong with it.
    fn interval(&self, s: &str) -> std::result::Result<SystemPeak, String> {
        let (len_s, step_s) = (self.len_s, self.step_s);
        let t = self
            .calendar
            .parse_local(s)
            .map_err(|e| format!("{e}; expected a time in the study clock"))?
            .seconds();
        let start_s = if self.ending {
            t.checked_sub(len_s).ok_or_else(|| {
                format!("the interval ending at {s:?} starts before the study's start")
            })?
        } else {
            t
        };
        if !start_s.is_multiple_of(step_s) {
            return Err(format!(
                "the interval of {s:?} does not start on a step boundary (step_s = {step_s} s)"
            ));
        }
        if start_s + len_s > self.horizon_s {
            return Err(format!(
                "{s:?} is outside the study's horizon (to {})",
                self.calendar.timestamp(SimTime(self.horizon_s))
            ));
        }
        Ok(SystemPeak { start_s, len_s })
    }

    /// The intervals of `system_peak_hours` then `system_peaks_file`.
    fn peaks(&self, spec: &GridSpec, src: &Source, base_dir: &Path) -> Result<Vec<SystemPeak>> {
        let mut peaks = Vec::new();
        for s in &spec.system_peak_hours {
            peaks.push(
                self.interval(s.get_ref())
                    .map_err(|e| src.error_at(s.span(), "system_peak_hours", e))?,
            );
        }
        if let Some(file) = &spec.system_peaks_file {
            let path = base_dir.join(file.get_ref());
            if !path.is_file() {
                return Err(src.error_at(
                    file.span(),
                    "system_peaks_file",
                    format!(
                        "no file {} (read relative to the run file's folder): expected a CSV of system-peak times, one a row",
                        path.display()
                    ),
                ));
            }
            let from_file = self.peaks_file(&path)?;
            if from_file.is_empty() {
                return Err(src.error_at(
                    file.span(),
                    "system_peaks_file",
                    format!("{} holds no timestamps", path.display()),
                ));
            }
            peaks.extend(from_file);
        }
        if peaks.is_empty()
            && (spec.system_peak_convention.is_some() || spec.system_peak_minutes.is_some())
        {
            let (span, field) = match (&spec.system_peak_convention, &spec.system_peak_minutes) {
                (Some(c), _) => (c.span(), "system_peak_convention"),
                (None, Some(m)) => (m.span(), "system_peak_minutes"),
                (None, None) => (0..0, "system_peak_convention"),
            };
            return Err(src.error_at(span, field, "needs system_peak_hours or system_peaks_file"));
        }
        Ok(peaks)
    }

    /// The intervals of a CSV of times, one a row (first column; a header row such as
    /// `timestamp` is skipped); errors name the file's line.
    fn peaks_file(&self, path: &Path) -> Result<Vec<SystemPeak>> {
        let shown = path.display().to_string();
        let text = crate::input::limits::read_text(path, crate::input::limits::MAX_DATA_BYTES)?;
        let mut peaks = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let first = line
                .split(',')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"');
            if first.is_empty() || first.starts_with('#') {
                continue;
            }
            // A header row: a first field with no digit in it.
            if peaks.is_empty() && !first.chars().any(|c| c.is_ascii_digit()) {
                continue;
            }
            peaks.push(self.interval(first).map_err(|msg| Error::Input {
                file: shown.clone(),
                line: i + 1,
                col: 1,
                field: "timestamp".into(),
                msg,
            })?);
        }
        Ok(peaks)
    }
}
