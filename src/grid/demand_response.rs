//! Demand response: the utility asks the site to come down by some MW (or %) for a few hours.
//!
//! Each sector has a flexibility (the share of its load that can be shed) and a response time
//! (minutes to reach it, linearly): training pauses, consumer requests are deferred to their
//! queues, twins slow down and catch up afterwards; defense is never shed. Work shed in an event
//! comes back after it (consumer queues drain, twins work off their backlog, training jobs run
//! longer), which is the rebound peak a utility sees after the event.

use serde::{Deserialize, Serialize};

use crate::error::{Result, Source};
use crate::library::{err_after, fraction, non_negative, positive};

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DemandResponseSpec {
    /// Events on fixed days.
    #[serde(default)]
    pub events: Vec<DrEventSpec>,
    /// Random events.
    pub random: Option<RandomDrSpec>,
    /// Share of each sector's load that can be shed (defense: never).
    #[serde(default)]
    pub flexibility: SectorFigures,
    /// Minutes each sector takes to reach its full shed.
    #[serde(default)]
    pub response_minutes: SectorFigures,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SectorFigures {
    pub training: Option<f64>,
    pub consumer: Option<f64>,
    pub industrial: Option<f64>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DrEventSpec {
    /// Day of the horizon (0 = the start date) and local hour the event starts.
    pub start_day: f64,
    #[serde(default)]
    pub start_hour: f64,
    pub hours: f64,
    /// Reduction asked for, MW, or as a share of the site's demand when the event starts.
    pub reduce_mw: Option<f64>,
    pub reduce_pct: Option<f64>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RandomDrSpec {
    pub per_year: f64,
    /// Months (1-12) in which events fall (default: all).
    #[serde(default)]
    pub months: Vec<u32>,
    #[serde(default)]
    pub weekdays_only: bool,
    /// Local hour the events start.
    pub start_hour: f64,
    pub hours: f64,
    pub reduce_mw: Option<f64>,
    pub reduce_pct: Option<f64>,
}

/// What is asked.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum Reduction {
    Mw(f64),
    Share(f64),
}

#[derive(Clone, Debug, Serialize)]
pub struct DemandResponse {
    /// (start s, duration s, reduction)
    pub scheduled: Vec<(u64, u64, Reduction)>,
    pub random: Option<(f64, Vec<u32>, bool, u64, u64, Reduction)>,
    /// Flexibility and response time (s) of training, consumer, industrial.
    pub flexibility: [f64; 3],
    pub response_s: [f64; 3],
}

/// Defaults: training can pause entirely within a minute; consumer services can defer 30 % of
/// their work within 5 minutes (degraded answers, batch queues); twins can slow by 20 % within 15
/// minutes. Estimates in the spirit of Google's carbon-aware load shifting (Radovanovic et al.,
/// IEEE Trans. Power Syst. 2023) and EPRI's DCFlex initiative (2024); override per study.
const DEFAULT_FLEX: [f64; 3] = [1.0, 0.3, 0.2];
const DEFAULT_RESPONSE_MIN: [f64; 3] = [1.0, 5.0, 15.0];

fn reduction(src: &Source, at: usize, mw: Option<f64>, pct: Option<f64>) -> Result<Reduction> {
    match (mw, pct) {
        (Some(m), None) => {
            positive(src, at, "reduce_mw", m)?;
            Ok(Reduction::Mw(m * 1e6))
        }
        (None, Some(p)) => {
            if !(p > 0.0 && p <= 100.0) {
                return Err(err_after(
                    src,
                    at,
                    "reduce_pct",
                    "expected a percentage in (0, 100]",
                ));
            }
            Ok(Reduction::Share(p / 100.0))
        }
        _ => Err(err_after(
            src,
            at,
            "reduce_mw",
            "give exactly one of reduce_mw or reduce_pct",
        )),
    }
}

impl DemandResponse {
    pub fn resolve(spec: &DemandResponseSpec, src: &Source) -> Result<DemandResponse> {
        let at = src.text.find("demand_response").unwrap_or(0);
        let mut scheduled = Vec::new();
        for e in &spec.events {
            non_negative(src, at, "start_day", e.start_day)?;
            if !(0.0..24.0).contains(&e.start_hour) {
                return Err(err_after(
                    src,
                    at,
                    "start_hour",
                    "expected a local hour in [0, 24)",
                ));
            }
            positive(src, at, "hours", e.hours)?;
            let start = ((e.start_day.floor() * 24.0 + e.start_hour) * 3600.0).round() as u64;
            scheduled.push((
                start,
                (e.hours * 3600.0).round() as u64,
                reduction(src, at, e.reduce_mw, e.reduce_pct)?,
            ));
        }
        let random = match &spec.random {
            Some(r) => {
                non_negative(src, at, "per_year", r.per_year)?;
                if r.months.iter().any(|m| !(1..=12).contains(m)) {
                    return Err(err_after(src, at, "months", "expected months 1 to 12"));
                }
                if !(0.0..24.0).contains(&r.start_hour) {
                    return Err(err_after(
                        src,
                        at,
                        "start_hour",
                        "expected a local hour in [0, 24)",
                    ));
                }
                positive(src, at, "hours", r.hours)?;
                Some((
                    r.per_year,
                    r.months.clone(),
                    r.weekdays_only,
                    (r.start_hour * 3600.0).round() as u64,
                    (r.hours * 3600.0).round() as u64,
                    reduction(src, at, r.reduce_mw, r.reduce_pct)?,
                ))
            }
            None => None,
        };
        let pick = |f: &SectorFigures, d: [f64; 3]| {
            [
                f.training.unwrap_or(d[0]),
                f.consumer.unwrap_or(d[1]),
                f.industrial.unwrap_or(d[2]),
            ]
        };
        let flexibility = pick(&spec.flexibility, DEFAULT_FLEX);
        for (v, name) in flexibility
            .iter()
            .zip(["training", "consumer", "industrial"])
        {
            fraction(src, at, name, *v)?;
        }
        let response_min = pick(&spec.response_minutes, DEFAULT_RESPONSE_MIN);
        for (v, name) in response_min
            .iter()
            .zip(["training", "consumer", "industrial"])
        {
            non_negative(src, at, name, *v)?;
        }
        Ok(DemandResponse {
            scheduled,
            random,
            flexibility,
            response_s: response_min.map(|m| m * 60.0),
        })
    }
}

/// One event's outcome in one trial.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct DrOutcome {
    pub start_s: u64,
    pub duration_s: u64,
    /// Mean MW asked for and delivered (baseline minus actual) over the event.
    pub requested_mw: f64,
    pub delivered_mw: f64,
}
