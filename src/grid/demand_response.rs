//! Demand response: the utility asks the site to come down by some MW (or a share of its
//! demand) for a few hours.
//!
//! Each sector has a flexibility (the share of its load that can be shed) and a response time
//! (minutes to reach it, linearly): training pauses, consumer requests are deferred to their
//! queues, twins slow down and catch up afterwards; defense is never shed. Work shed in an event
//! comes back after it (consumer queues drain, twins work off their backlog, training jobs run
//! longer), which is the rebound peak a utility sees after the event.
//!
//! **Measurement** is a utility's: delivered MW = metered baseline minus metered demand over the
//! event, with the baseline chosen by `baseline`:
//!
//! - `"counterfactual"` (default): the same trial run a second time without the events (same
//!   seed, same random streams, the import limit and everything else in place), compared step by
//!   step. This is what the event changed and nothing else: under a cap, load the cap sheds anyway
//!   is not counted as response. It costs a second run of every trial that has an event.
//! - `"high-5-of-10"`: the NYISO customer baseline load (CBL) style rule: the 10 most recent days
//!   of the same kind (weekday or weekend) before the event day that had no event, and of those
//!   the 5 with the highest demand over the event's hours; the baseline of each hour is their
//!   mean demand in that hour. No same-day adjustment.
//! - `"previous-day"`: the most recent day before the event day without an event, hour by hour.
//!
//! The rebound is measured against the same baseline over the `rebound_hours` after the event
//! (default 12, cut at the next event and at the end of the horizon): the energy drawn above the
//! baseline (MWh, the positive part, step by step) and its peak (the highest hourly mean above
//! the baseline, MW, in hour blocks from the event's end).

use serde::{Deserialize, Serialize};

use crate::check::{err_after, fraction, non_negative, positive};
use crate::error::{Result, Source};

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
    /// How delivery is measured: "counterfactual" (default), "high-5-of-10" or "previous-day".
    pub baseline: Option<String>,
    /// Hours after each event over which the rebound is measured (default 12).
    pub rebound_hours: Option<f64>,
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
    /// Reduction asked for, MW, or as a share (fraction) of the site's demand when the event
    /// starts. `reduce_pct` is refused with a pointer to `reduce_share`.
    pub reduce_mw: Option<f64>,
    pub reduce_share: Option<f64>,
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
    pub reduce_share: Option<f64>,
    pub reduce_pct: Option<f64>,
}

/// How a utility's meter reading is turned into delivered MW.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum Baseline {
    /// The same trial without the events (same random streams).
    Counterfactual,
    /// Of the `of` most recent eligible days (of the same kind, weekday or weekend, when
    /// `same_kind`), the `high` with the highest demand over the event's hours, averaged hour by
    /// hour.
    Rule {
        high: usize,
        of: usize,
        same_kind: bool,
    },
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
    pub baseline: Baseline,
    pub rebound_s: u64,
}

/// Defaults: training can pause entirely within a minute; consumer services can defer 30 % of
/// their work within 5 minutes (degraded answers, batch queues); twins can slow by 20 % within 15
/// minutes. Estimates in the spirit of Google's carbon-aware load shifting (Radovanovic et al.,
/// IEEE Trans. Power Syst. 2023) and EPRI's DCFlex initiative (2024); override per study.
const DEFAULT_FLEX: [f64; 3] = [1.0, 0.3, 0.2];
const DEFAULT_RESPONSE_MIN: [f64; 3] = [1.0, 5.0, 15.0];
/// Hours after an event in which the rebound is measured: long enough for consumer queues and
/// twin backlogs to drain and for a paused training job's later end to show within a day.
const DEFAULT_REBOUND_H: f64 = 12.0;

fn reduction(
    src: &Source,
    at: usize,
    mw: Option<f64>,
    share: Option<f64>,
    pct: Option<f64>,
) -> Result<Reduction> {
    if let Some(p) = pct {
        return Err(err_after(
            src,
            at,
            "reduce_pct",
            &format!(
                "reduce_pct is no longer read (it took a percentage, unlike every other share): \
                 write reduce_share = {} for {p} %, a fraction in (0, 1]",
                p / 100.0
            ),
        ));
    }
    match (mw, share) {
        (Some(m), None) => {
            positive(src, at, "reduce_mw", m)?;
            Ok(Reduction::Mw(m * 1e6))
        }
        (None, Some(p)) => {
            if !(p > 0.0 && p <= 1.0) {
                return Err(err_after(
                    src,
                    at,
                    "reduce_share",
                    "expected a fraction of the site's demand in (0, 1], e.g. 0.2 for 20 %",
                ));
            }
            Ok(Reduction::Share(p))
        }
        _ => Err(err_after(
            src,
            at,
            "reduce_mw",
            "give exactly one of reduce_mw or reduce_share",
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
                reduction(src, at, e.reduce_mw, e.reduce_share, e.reduce_pct)?,
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
                    reduction(src, at, r.reduce_mw, r.reduce_share, r.reduce_pct)?,
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
        let baseline = match spec.baseline.as_deref() {
            None | Some("counterfactual") => Baseline::Counterfactual,
            Some("high-5-of-10") => Baseline::Rule {
                high: 5,
                of: 10,
                same_kind: true,
            },
            Some("previous-day") => Baseline::Rule {
                high: 1,
                of: 1,
                same_kind: false,
            },
            Some(other) => {
                return Err(err_after(
                    src,
                    at,
                    "baseline",
                    &format!(
                        "expected \"counterfactual\", \"high-5-of-10\" or \"previous-day\", found {other:?}"
                    ),
                ));
            }
        };
        let rebound_h = spec.rebound_hours.unwrap_or(DEFAULT_REBOUND_H);
        non_negative(src, at, "rebound_hours", rebound_h)?;
        Ok(DemandResponse {
            scheduled,
            random,
            flexibility,
            response_s: response_min.map(|m| m * 60.0),
            baseline,
            rebound_s: (rebound_h * 3600.0).round() as u64,
        })
    }
}

/// One event's outcome in one trial.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct DrOutcome {
    pub start_s: u64,
    pub duration_s: u64,
    /// Mean MW asked for and delivered (metered baseline minus metered demand) over the event.
    pub requested_mw: f64,
    pub delivered_mw: f64,
    /// Mean baseline and metered demand over the event, MW.
    #[serde(default)]
    pub baseline_mw: f64,
    #[serde(default)]
    pub metered_mw: f64,
    /// Days the baseline rule averaged (0 for the counterfactual baseline; with a rule, 0 means
    /// no earlier day qualified and the figures are NaN).
    #[serde(default)]
    pub baseline_days: u32,
    /// Rebound: hours measured after the event, energy above the baseline in them (MWh) and the
    /// highest hourly mean above it (MW).
    #[serde(default)]
    pub rebound_hours: f64,
    #[serde(default)]
    pub rebound_mwh: f64,
    #[serde(default)]
    pub rebound_peak_mw: f64,
}

/// First step at or after `t_s`.
fn step_at(t_s: u64, dt: u64) -> usize {
    t_s.div_ceil(dt) as usize
}

/// Measures every executed event of a trial as a utility would, from the trial's facility demand
/// step by step (`metered_w`, W). `counterfactual_w` is the same trial without the events
/// (required for [`Baseline::Counterfactual`]); `weekday(day)` gives 0-6 (Monday 0) of a day of
/// the horizon.
pub fn measure(
    dr: &DemandResponse,
    outcomes: &mut [DrOutcome],
    metered_w: &[f64],
    counterfactual_w: Option<&[f64]>,
    dt: u64,
    weekday: impl Fn(u64) -> usize,
) {
    let n = metered_w.len();
    let steps_per_hour = (3600 / dt) as usize;
    let hours = n / steps_per_hour.max(1);
    // Hourly metered demand (what a rule baseline averages).
    let hourly: Vec<f64> = (0..hours)
        .map(|h| {
            metered_w[h * steps_per_hour..(h + 1) * steps_per_hour]
                .iter()
                .sum::<f64>()
                / steps_per_hour as f64
        })
        .collect();
    let spans: Vec<(u64, u64)> = outcomes
        .iter()
        .map(|o| (o.start_s, o.start_s + o.duration_s))
        .collect();
    let event_day = |d: u64| {
        spans
            .iter()
            .any(|&(s, e)| s < (d + 1) * 86_400 && e > d * 86_400)
    };
    for (k, o) in outcomes.iter_mut().enumerate() {
        let s0 = step_at(o.start_s, dt).min(n);
        let s1 = step_at(o.start_s + o.duration_s, dt).min(n);
        let next = spans.get(k + 1).map_or(n, |&(s, _)| step_at(s, dt).min(n));
        let r1 = (s1 + (dr.rebound_s / dt) as usize).min(next).max(s1);
        // The baseline of every step from the event's start to the rebound window's end.
        let baseline: Vec<f64> = match (dr.baseline, counterfactual_w) {
            (Baseline::Counterfactual, Some(cf)) => {
                o.baseline_days = 0;
                cf[s0..r1].to_vec()
            }
            (Baseline::Counterfactual, None) => {
                o.baseline_days = 0;
                vec![f64::NAN; r1 - s0]
            }
            (
                Baseline::Rule {
                    high,
                    of,
                    same_kind,
                },
                _,
            ) => {
                let day = o.start_s / 86_400;
                let weekend = |d: u64| weekday(d) >= 5;
                let mut days: Vec<u64> = (0..day)
                    .rev()
                    .filter(|&d| !event_day(d) && (!same_kind || weekend(d) == weekend(day)))
                    .take(of)
                    .collect();
                // Rank by demand over the event's hours of the day; keep the `high` highest.
                let first_h = (o.start_s - day * 86_400) as usize / 3600;
                let last_h = ((o.start_s + o.duration_s - day * 86_400) as usize).div_ceil(3600);
                let load = |d: u64| -> f64 {
                    (first_h..last_h)
                        .map(|h| hourly.get(d as usize * 24 + h).copied().unwrap_or(0.0))
                        .sum()
                };
                days.sort_by(|a, b| load(*b).total_cmp(&load(*a)).then(b.cmp(a)));
                days.truncate(high);
                o.baseline_days = days.len() as u32;
                (s0..r1)
                    .map(|s| {
                        if days.is_empty() {
                            return f64::NAN;
                        }
                        // Hour of the step counted from the event day's midnight.
                        let h = s / steps_per_hour - day as usize * 24;
                        days.iter()
                            .map(|&d| hourly.get(d as usize * 24 + h).copied().unwrap_or(f64::NAN))
                            .sum::<f64>()
                            / days.len() as f64
                    })
                    .collect()
            }
        };
        let ev = s1 - s0;
        if ev > 0 {
            let b: f64 = baseline[..ev].iter().sum::<f64>() / ev as f64;
            let m: f64 = metered_w[s0..s1].iter().sum::<f64>() / ev as f64;
            o.baseline_mw = b / 1e6;
            o.metered_mw = m / 1e6;
            o.delivered_mw = (b - m) / 1e6;
        }
        // Rebound: energy above the baseline after the event, and its highest hourly mean.
        let after = &baseline[ev..];
        let above: Vec<f64> = metered_w[s1..r1]
            .iter()
            .zip(after)
            .map(|(m, b)| m - b)
            .collect();
        o.rebound_hours = (r1 - s1) as f64 * dt as f64 / 3600.0;
        o.rebound_mwh = above.iter().map(|x| x.max(0.0)).sum::<f64>() * dt as f64 / 3.6e9;
        o.rebound_peak_mw = above
            .chunks(steps_per_hour.max(1))
            .map(|c| c.iter().sum::<f64>() / c.len() as f64)
            .fold(0.0, f64::max)
            / 1e6;
        if above.iter().any(|x| x.is_nan()) {
            o.rebound_mwh = f64::NAN;
            o.rebound_peak_mw = f64::NAN;
        }
    }
}
