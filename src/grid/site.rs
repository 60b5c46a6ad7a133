//! The site's side of the grid connection: the import limit and what happens above it, and the
//! hours of the system's peak that a utility asks about.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::demand_response::{DemandResponse, DemandResponseSpec};
use super::outage::{Backup, BackupSpec, OutageSpec};
use std::path::Path;

use super::{CarbonProfile, Tariff, read_hourly_csv};
use crate::check::err_after;
use crate::error::{Error, Result, Source};
use crate::library::Library;
use crate::time::{Calendar, Date, SimTime};

/// The `[grid]` table of a run file.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GridSpec {
    /// Import limit of the interconnection, MW.
    pub import_limit_mw: Option<f64>,
    /// "record" (count exceedances) or "cap" (shed flexible load to stay under the limit).
    pub limit_policy: Option<Spanned<String>>,
    /// Hours of the system's peak (study clock), e.g. "2025-07-16T17:00": monthly.csv reports
    /// the site's demand at them.
    #[serde(default)]
    pub system_peak_hours: Vec<Spanned<String>>,
    /// Grid outages (random and scheduled); the site's backup is the `[backup]` table.
    pub outages: Option<OutageSpec>,
    /// Demand-response events and the sectors' flexibility.
    pub demand_response: Option<DemandResponseSpec>,
    /// Grid carbon intensity: a region from `models/grid/` (month-by-hour profile) ...
    pub carbon: Option<Spanned<String>>,
    /// ... or a CSV of hourly gCO2/kWh (column `g_per_kwh`), relative to the run file.
    pub carbon_csv: Option<Spanned<String>>,
    /// Electricity tariff from `models/tariffs/`.
    pub tariff: Option<Spanned<String>>,
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
    /// Hour indices of the horizon.
    pub system_peak_hours: Vec<usize>,
    /// Outages and the backup that rides them through.
    pub backup: Option<Backup>,
    pub demand_response: Option<DemandResponse>,
    /// Grid carbon intensity for each hour of the horizon, gCO2/kWh.
    pub carbon_g_per_kwh: Option<Vec<f64>>,
    pub tariff: Option<Tariff>,
    /// (month 1-12, weekday 0 = Monday, local hour) of every hour, for the tariff.
    pub hour_calendar: Vec<(u32, usize, usize)>,
}

impl Grid {
    #[allow(clippy::too_many_arguments)]
    pub fn resolve(
        spec: &GridSpec,
        backup: Option<&BackupSpec>,
        it_peak_w: f64,
        src: &Source,
        lib: &Library,
        base_dir: &Path,
        files: &crate::files::Files,
        calendar: &Calendar,
        start: Date,
        horizon_hours: u64,
    ) -> Result<Grid> {
        let at = src.text.find("[grid]").unwrap_or(0);
        let policy = match spec.limit_policy.as_ref().map(|p| p.get_ref().as_str()) {
            None | Some("record") => LimitPolicy::Record,
            Some("cap") => LimitPolicy::Cap,
            Some(other) => {
                let span = spec.limit_policy.as_ref().map_or(at..at, Spanned::span);
                return Err(src.error_at(
                    span,
                    "limit_policy",
                    format!("expected \"record\" or \"cap\", found {other:?}"),
                ));
            }
        };
        let limit = match spec.import_limit_mw {
            Some(mw) if mw.is_finite() && mw > 0.0 => Some((mw * 1e6, policy)),
            Some(mw) => {
                return Err(err_after(
                    src,
                    at,
                    "import_limit_mw",
                    &format!("expected a positive number of MW, found {mw}"),
                ));
            }
            None => {
                if spec.limit_policy.is_some() {
                    return Err(err_after(src, at, "limit_policy", "needs import_limit_mw"));
                }
                None
            }
        };
        let mut system_peak_hours = Vec::new();
        for s in &spec.system_peak_hours {
            let h = parse_hour(s.get_ref(), start).ok_or_else(|| {
                src.error_at(
                    s.span(),
                    "system_peak_hours",
                    format!(
                        "expected an hour like \"2025-07-16T17:00\" in the study clock, found {:?}",
                        s.get_ref()
                    ),
                )
            })?;
            if h >= horizon_hours as i64 || h < 0 {
                return Err(src.error_at(
                    s.span(),
                    "system_peak_hours",
                    "outside the study's horizon",
                ));
            }
            system_peak_hours.push(h as usize);
        }
        let backup = match &spec.outages {
            Some(o) => Some(Backup::resolve(o, backup, it_peak_w, src)?),
            None => {
                if backup.is_some() {
                    return Err(src.error(
                        "backup",
                        "a [backup] table needs grid outages to ride through: add [grid.outages]",
                    ));
                }
                None
            }
        };
        let demand_response = spec
            .demand_response
            .as_ref()
            .map(|d| DemandResponse::resolve(d, src))
            .transpose()?;
        let hours: Vec<SimTime> = (0..horizon_hours).map(SimTime::from_hours).collect();
        let carbon_g_per_kwh = match (&spec.carbon, &spec.carbon_csv) {
            (Some(_), Some(c)) => {
                return Err(src.error_at(
                    c.span(),
                    "carbon_csv",
                    "give either `carbon` (a region) or `carbon_csv` (a file), not both",
                ));
            }
            (Some(name), None) => {
                let text = lib.file("grid", name.get_ref()).ok_or_else(|| {
                    src.error_at(
                        name.span(),
                        "carbon",
                        format!(
                            "unknown grid region {:?}; known: {}",
                            name.get_ref(),
                            lib.file_names("grid").join(", ")
                        ),
                    )
                })?;
                let p = CarbonProfile::from_toml(&text.name, &text.text).map_err(Error::from)?;
                // The profile's hours are in its own clock (the grid region's local time).
                let off = p.utc_offset_s();
                Some(
                    hours
                        .iter()
                        .map(|&t| {
                            let local = calendar.local_date(t, off);
                            p.g_per_kwh(
                                local.month as usize - 1,
                                calendar.hour_of_day(t, off) as usize,
                            )
                        })
                        .collect(),
                )
            }
            (None, Some(file)) => {
                let path = base_dir.join(file.get_ref());
                let v = files.load("carbon_csv", &path, String::new(), || {
                    let text = crate::limits::read_text(&path, crate::limits::MAX_DATA_BYTES)?;
                    read_hourly_csv(&path.display().to_string(), &text).map_err(Error::from)
                })?;
                if v.is_empty() {
                    return Err(src.error_at(file.span(), "carbon_csv", "the file has no hours"));
                }
                // A shorter file (e.g. one year for a longer study) repeats.
                Some(
                    (0..horizon_hours as usize)
                        .map(|h| v[h % v.len()])
                        .collect(),
                )
            }
            (None, None) => None,
        };
        let tariff = match &spec.tariff {
            Some(name) => {
                let text = lib.file("tariffs", name.get_ref()).ok_or_else(|| {
                    src.error_at(
                        name.span(),
                        "tariff",
                        format!(
                            "unknown tariff {:?}; known: {}",
                            name.get_ref(),
                            lib.file_names("tariffs").join(", ")
                        ),
                    )
                })?;
                Some(Tariff::from_toml(&text.name, &text.text).map_err(Error::from)?)
            }
            None => None,
        };
        // The study clock's month, weekday and hour (prevailing time: the wall clock).
        let hour_calendar = hours
            .iter()
            .map(|&t| {
                (
                    calendar.date(t).month,
                    calendar.local_weekday(t),
                    calendar.local_hour(t) as usize,
                )
            })
            .collect();
        Ok(Grid {
            limit,
            system_peak_hours,
            backup,
            demand_response,
            carbon_g_per_kwh,
            tariff,
            hour_calendar,
        })
    }
}

/// `YYYY-MM-DDTHH:MM` (minutes must be 00) to the hour index from `start`.
fn parse_hour(s: &str, start: Date) -> Option<i64> {
    let (d, t) = s.split_once('T')?;
    let date = Date::parse(d).ok()?;
    let (hh, mm) = t.split_once(':')?;
    let h: i64 = hh.parse().ok()?;
    if mm != "00" || !(0..24).contains(&h) {
        return None;
    }
    Some((date.days_since_epoch() - start.days_since_epoch()) * 24 + h)
}
