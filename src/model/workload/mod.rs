//! Workloads: the demand side, one kind per sector of the source articles.
//!
//! Each workload kind has a `*Spec` (the run-file table, read with serde) and a resolved type
//! whose names are already indices, so the step loop never looks up a string.

pub mod arrivals;
pub mod consumer;
pub mod defense;
pub mod shape;
pub mod trace;
pub mod training;
pub mod twin;

use std::path::Path;

use toml::Spanned;

use crate::base::error::{Result, Source};
use crate::model::fleet::Fleet;
use crate::model::library::Library;

/// What resolution of a workload table needs to know about the rest of the study.
pub struct Ctx<'a> {
    pub lib: &'a Library,
    pub src: &'a Source,
    pub fleet: &'a Fleet,
    /// Folder of the run file, for relative paths (traces).
    pub base_dir: &'a Path,
    pub utc_offset_s: i32,
    /// The study clock (prevailing time, if a zone).
    pub calendar: &'a crate::base::time::Calendar,
    /// The study start (local midnight of the start date), seconds since 1970-01-01 UTC.
    pub start_utc_s: i64,
    pub step_s: u64,
    pub horizon_s: u64,
    /// Data files loaded once per study (traces).
    pub files: &'a crate::input::files::Files,
}

impl Ctx<'_> {
    pub fn pool(&self, name: &Spanned<String>) -> Result<usize> {
        let known: Vec<&str> = self.fleet.pools.iter().map(|p| p.name.as_str()).collect();
        crate::input::names::resolve("pool", name.get_ref(), &known).map_err(|m| {
            self.src.error_at(
                name.span(),
                "pool",
                format!("{m} (pools are named by the site's groups)"),
            )
        })
    }

    /// `Err` at `field` of the entry that starts at byte `at` unless `ok`.
    pub fn ensure(&self, ok: bool, at: usize, field: &str, msg: &str) -> Result<()> {
        if ok {
            Ok(())
        } else {
            Err(crate::input::check::err_after(self.src, at, field, msg))
        }
    }

    /// When a workload on `pool` starts, seconds from the study start: its `online` date (a
    /// date or local date-time on the study clock), or by default its pool's first online date,
    /// since before it the pool has no capacity and its requests would all count as dropped.
    /// Refused before that date (the same trouble, asked for) and at or after the horizon.
    pub fn online_s(&self, online: Option<&Spanned<String>>, pool: usize) -> Result<u64> {
        let fleet = self.fleet;
        let first = fleet.pools[pool]
            .groups
            .iter()
            .map(|&g| fleet.groups[g].online_s.max(0.0))
            .fold(f64::INFINITY, f64::min);
        let first = if first.is_finite() { first as u64 } else { 0 };
        let Some(o) = online else {
            return Ok(first);
        };
        let s = o.get_ref().trim();
        let err = |m: String| self.src.error_at(o.span(), "online", m);
        let local = crate::base::time::parse_local_date_or_time(s).map_err(|_| {
            err(format!(
                "expected a date like \"2027-03-01\" (or \"2027-03-01T06:00\") on the study clock, found {s:?}"
            ))
        })?;
        let t = self.calendar.from_local_s_compatible(local).max(0) as u64;
        let at = |t: u64| self.calendar.timestamp(crate::base::time::SimTime(t));
        if t < first {
            return Err(err(format!(
                "{s:?} is before pool {:?} comes online ({}): expected a date at or after it (before it the pool has no capacity; leave `online` out to start with the pool)",
                fleet.pools[pool].name,
                at(first)
            )));
        }
        if t >= self.horizon_s {
            return Err(err(format!(
                "{s:?} is at or after the study's end ({}): expected a date inside the horizon",
                at(self.horizon_s)
            )));
        }
        Ok(t)
    }

    /// Number of seconds from a day count in the run file.
    pub fn days_to_s(&self, days: f64) -> u64 {
        (days.max(0.0) * 86_400.0).round() as u64
    }
}

/// A held allocation's utilisation, given directly or as a measured average power per
/// accelerator (`watts_per_accelerator`, with `watts_scope`): the form publications use
/// ("chips x average W per chip x hours"). Exactly one of the two, or `default` when neither.
pub fn utilisation_or_watts(
    ctx: &Ctx,
    at: usize,
    pool: usize,
    util_field: &str,
    (utilisation, watts, scope): (
        Option<f64>,
        Option<f64>,
        Option<crate::model::fleet::WattsScope>,
    ),
    default: f64,
) -> Result<f64> {
    use crate::input::check::{err_after, fraction};
    match (utilisation, watts) {
        (Some(_), Some(_)) => Err(err_after(
            ctx.src,
            at,
            "watts_per_accelerator",
            &format!("give either {util_field} or watts_per_accelerator, not both"),
        )),
        (Some(u), None) => {
            if scope.is_some() {
                return Err(err_after(
                    ctx.src,
                    at,
                    "watts_scope",
                    "watts_scope qualifies watts_per_accelerator, which is not given",
                ));
            }
            fraction(ctx.src, at, util_field, u)?;
            Ok(u)
        }
        (None, Some(w)) => ctx.fleet.pools[pool]
            .utilisation_for_watts(
                &ctx.fleet.groups,
                w,
                scope.unwrap_or(crate::model::fleet::WattsScope::Server),
            )
            .map_err(|m| err_after(ctx.src, at, "watts_per_accelerator", &m)),
        (None, None) => Ok(default),
    }
}

/// Scheduled or random windows in which a workload is raised (campaigns, surges).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Episodes {
    /// (start s, duration s, magnitude) fixed by the run file.
    pub scheduled: Vec<(u64, u64, f64)>,
    /// Random episodes: expected count per year, duration s, magnitude.
    pub per_year: f64,
    pub duration_s: u64,
    pub magnitude: f64,
}

fn one() -> f64 {
    1.0
}
