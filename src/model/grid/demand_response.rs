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
use toml::Spanned;

use crate::base::error::{Result, Source};
use crate::base::time::{Calendar, SimTime};
use crate::input::check::{err_after, fraction, non_negative, positive};

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DemandResponseSpec {
    /// Events on fixed days.
    #[serde(default)]
    pub events: Vec<Spanned<DrEventSpec>>,
    /// Random events.
    pub random: Option<Spanned<RandomDrSpec>>,
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

/// A local start hour, in [0, 24).
fn start_hour(src: &Source, at: usize, h: f64) -> Result<()> {
    if (0.0..24.0).contains(&h) {
        Ok(())
    } else {
        Err(err_after(
            src,
            at,
            "start_hour",
            "expected a local hour in [0, 24)",
        ))
    }
}

/// Hours to whole seconds.
fn hours_s(h: f64) -> u64 {
    (h * 3600.0).round() as u64
}

/// The baselines by their names in a run file.
const BASELINES: [(&str, Baseline); 3] = [
    ("counterfactual", Baseline::Counterfactual),
    (
        "high-5-of-10",
        Baseline::Rule {
            high: 5,
            of: 10,
            same_kind: true,
        },
    ),
    (
        "previous-day",
        Baseline::Rule {
            high: 1,
            of: 1,
            same_kind: false,
        },
    ),
];

impl DemandResponse {
    /// Resolves `[grid.demand_response]`: scheduled and random events, each sector's
    /// flexibility and response time, the baseline and the rebound window.
    pub fn resolve(spec: &Spanned<DemandResponseSpec>, src: &Source) -> Result<DemandResponse> {
        let at = spec.span().start;
        let spec = spec.get_ref();
        let mut scheduled = Vec::new();
        for e in &spec.events {
            // Each event is checked at its own table, not the first event's.
            let (at, e) = (e.span().start, e.get_ref());
            non_negative(src, at, "start_day", e.start_day)?;
            start_hour(src, at, e.start_hour)?;
            positive(src, at, "hours", e.hours)?;
            let start = ((e.start_day.floor() * 24.0 + e.start_hour) * 3600.0).round() as u64;
            scheduled.push((
                start,
                hours_s(e.hours),
                reduction(src, at, e.reduce_mw, e.reduce_share, e.reduce_pct)?,
            ));
        }
        let random = match &spec.random {
            Some(r) => {
                let (at, r) = (r.span().start, r.get_ref());
                non_negative(src, at, "per_year", r.per_year)?;
                if r.months.iter().any(|m| !(1..=12).contains(m)) {
                    return Err(err_after(src, at, "months", "expected months 1 to 12"));
                }
                start_hour(src, at, r.start_hour)?;
                positive(src, at, "hours", r.hours)?;
                Some((
                    r.per_year,
                    r.months.clone(),
                    r.weekdays_only,
                    hours_s(r.start_hour),
                    hours_s(r.hours),
                    reduction(src, at, r.reduce_mw, r.reduce_share, r.reduce_pct)?,
                ))
            }
            None => None,
        };
        let flexibility = spec.flexibility.or(DEFAULT_FLEX);
        let response_min = spec.response_minutes.or(DEFAULT_RESPONSE_MIN);
        for (v, name) in flexibility.iter().zip(SECTORS) {
            fraction(src, at, name, *v)?;
        }
        for (v, name) in response_min.iter().zip(SECTORS) {
            non_negative(src, at, name, *v)?;
        }
        let baseline = match spec.baseline.as_deref() {
            None => Baseline::Counterfactual,
            Some(b) => match BASELINES.iter().find(|(name, _)| *name == b) {
                Some((_, baseline)) => *baseline,
                None => {
                    return Err(err_after(
                        src,
                        at,
                        "baseline",
                        &format!(
                            "expected \"counterfactual\", \"high-5-of-10\" or \"previous-day\", found {b:?}"
                        ),
                    ));
                }
            },
        };
        let rebound_h = spec.rebound_hours.unwrap_or(DEFAULT_REBOUND_H);
        non_negative(src, at, "rebound_hours", rebound_h)?;
        Ok(DemandResponse {
            scheduled,
            random,
            flexibility,
            response_s: response_min.map(|m| m * 60.0),
            baseline,
            rebound_s: hours_s(rebound_h),
        })
    }
}

/// The sectors of [`SectorFigures`], in its order.
const SECTORS: [&str; 3] = ["training", "consumer", "industrial"];

impl SectorFigures {
    /// The figures, each sector's given one or its default.
    fn or(&self, d: [f64; 3]) -> [f64; 3] {
        [
            self.training.unwrap_or(d[0]),
            self.consumer.unwrap_or(d[1]),
            self.industrial.unwrap_or(d[2]),
        ]
    }
}

/// One event's outcome in one trial.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct DrOutcome {
    pub start_s: u64,
    pub duration_s: u64,
    /// Mean MW asked for and delivered (metered baseline minus metered demand) over the event.
    pub requested_mw: f64,
    #[serde(with = "nan_as_null")]
    pub delivered_mw: f64,
    /// Mean baseline and metered demand over the event, MW.
    #[serde(default, with = "nan_as_null")]
    pub baseline_mw: f64,
    #[serde(default, with = "nan_as_null")]
    pub metered_mw: f64,
    /// Days the baseline rule averaged (0 for the counterfactual baseline; with a rule, 0 means
    /// no earlier day qualified and the figures are NaN).
    #[serde(default)]
    pub baseline_days: u32,
    /// Rebound: hours measured after the event, energy above the baseline in them (MWh) and the
    /// highest hourly mean above it (MW).
    #[serde(default)]
    pub rebound_hours: f64,
    #[serde(default, with = "nan_as_null")]
    pub rebound_mwh: f64,
    #[serde(default, with = "nan_as_null")]
    pub rebound_peak_mw: f64,
    /// Requests the consumer classes dropped in the rebound window, and that less what the
    /// counterfactual dropped in the same window (None without one): the requests the event
    /// cost, e.g. when paused training runs on into the classes' busy hours.
    #[serde(default)]
    pub rebound_requests_dropped: f64,
    #[serde(default)]
    pub rebound_requests_dropped_extra: Option<f64>,
}

impl DrOutcome {
    /// Whether the event could be measured: a rule baseline with no earlier qualifying day (an
    /// event on the study's first day, say) leaves its figures NaN, and the trial's sums leave
    /// it out.
    pub fn measured(&self) -> bool {
        self.delivered_mw.is_finite()
    }

    /// MW asked for and not delivered over the event (NaN when not measured).
    pub fn shortfall_mw(&self) -> f64 {
        if self.measured() {
            (self.requested_mw - self.delivered_mw).max(0.0)
        } else {
            f64::NAN
        }
    }
}

/// An unmeasured event's NaN figures written as JSON `null` and read back as NaN, so a
/// checkpoint holding one resumes (serde_json writes NaN as `null`, which an `f64` refuses).
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.is_nan() {
            s.serialize_none()
        } else {
            s.serialize_f64(*x)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// First step at or after `t_s`.
fn step_at(t_s: u64, dt: u64) -> usize {
    t_s.div_ceil(dt) as usize
}

/// Local calendar days of the study clock, for the rule baselines: day 0 is the start date, and
/// in prevailing time a day is 23 or 25 hours at the changes.
struct LocalDays<'a> {
    cal: &'a Calendar,
    /// Local day number (days since 1970-01-01 on the study clock) of the start date.
    day0: i64,
}

impl LocalDays<'_> {
    /// Local day (from the start date) and local second of the day at sim second `t`.
    fn at(&self, t: u64) -> (u64, i64) {
        let l = self.cal.local_s(t as i64);
        (
            (l.div_euclid(86_400) - self.day0).max(0) as u64,
            l.rem_euclid(86_400),
        )
    }

    /// Sim second at which local day `d` begins (its midnight, or the end of a gap over it).
    fn start(&self, d: u64) -> u64 {
        let t = self
            .cal
            .from_local_s_compatible((self.day0 + d as i64) * 86_400);
        t.max(0) as u64
    }

    /// Horizon hour (elapsed) holding local second `sod` of local day `d`, under the
    /// "compatible" rule: a time the clock skips (spring gap) moves forward by the gap, one
    /// that happens twice (autumn) is its first instant.
    fn hour(&self, d: u64, sod: i64) -> Option<usize> {
        let t = self
            .cal
            .from_local_s_compatible((self.day0 + d as i64) * 86_400 + sod);
        u64::try_from(t).ok().map(|t| (t / 3600) as usize)
    }
}

/// Measures every executed event of a trial as a utility would, from the trial's facility demand
/// step by step (`metered_w`, W). `counterfactual_w` is the same trial without the events
/// (required for [`Baseline::Counterfactual`]). A rule baseline counts days on the study clock
/// `cal` (local calendar days, 23 or 25 hours at the daylight-saving changes) and compares the
/// same local hour of each baseline day (an hour the clock skips that day reads the hour after
/// the gap; an hour that happens twice is read at its first occurrence).
pub fn measure(
    dr: &DemandResponse,
    outcomes: &mut [DrOutcome],
    metered_w: &[f64],
    counterfactual_w: Option<&[f64]>,
    dt: u64,
    cal: &Calendar,
) {
    let n = metered_w.len();
    let steps_per_hour = (3600 / dt) as usize;
    let hours = n / steps_per_hour.max(1);
    let rule = RuleDays {
        // Hourly metered demand (what a rule baseline averages).
        hourly: (0..hours)
            .map(|h| {
                metered_w[h * steps_per_hour..(h + 1) * steps_per_hour]
                    .iter()
                    .sum::<f64>()
                    / steps_per_hour as f64
            })
            .collect(),
        days: LocalDays {
            cal,
            day0: cal.local_s(0).div_euclid(86_400),
        },
        spans: outcomes
            .iter()
            .map(|o| (o.start_s, o.start_s + o.duration_s))
            .collect(),
    };
    let spans = windows(dr, outcomes, n, dt);
    for (o, &(s0, s1, r1)) in outcomes.iter_mut().zip(&spans) {
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
                let day = rule.days.at(o.start_s).0;
                let picked = rule.pick(o, day, high, of, same_kind);
                o.baseline_days = picked.len() as u32;
                (s0..r1)
                    .map(|s| rule.mean(&picked, day, s / steps_per_hour))
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
        rebound(
            o,
            &metered_w[s1..r1],
            &baseline[ev..],
            s1,
            dt,
            steps_per_hour,
        );
    }
}

/// Each event's steps `(s0, s1, r1)` in a trial of `n` steps: it runs over `s0..s1`, its
/// rebound window over `s1..r1` (`rebound_hours`, cut at the next event and the horizon).
fn windows(
    dr: &DemandResponse,
    outcomes: &[DrOutcome],
    n: usize,
    dt: u64,
) -> Vec<(usize, usize, usize)> {
    (0..outcomes.len())
        .map(|k| {
            let o = &outcomes[k];
            let s0 = step_at(o.start_s, dt).min(n);
            let s1 = step_at(o.start_s + o.duration_s, dt).min(n);
            let next = outcomes
                .get(k + 1)
                .map_or(n, |x| step_at(x.start_s, dt).min(n));
            (
                s0,
                s1,
                (s1 + (dr.rebound_s / dt) as usize).min(next).max(s1),
            )
        })
        .collect()
}

/// Requests dropped in each event's rebound window of a trial of `n` steps, from the (step,
/// requests) of the steps that dropped some, with the events (`metered`) and, when there is
/// one, in the counterfactual run without them.
pub fn rebound_drops(
    dr: &DemandResponse,
    outcomes: &mut [DrOutcome],
    n: usize,
    dt: u64,
    metered: &[(u64, f64)],
    counterfactual: Option<&[(u64, f64)]>,
) {
    let within = |log: &[(u64, f64)], a: usize, b: usize| -> f64 {
        let i = log.partition_point(|&(s, _)| (s as usize) < a);
        log[i..]
            .iter()
            .take_while(|&&(s, _)| (s as usize) < b)
            .fold(0.0, |a, &(_, d)| a + d)
    };
    let spans = windows(dr, outcomes, n, dt);
    for (o, &(_, s1, r1)) in outcomes.iter_mut().zip(&spans) {
        o.rebound_requests_dropped = within(metered, s1, r1);
        o.rebound_requests_dropped_extra =
            counterfactual.map(|cf| o.rebound_requests_dropped - within(cf, s1, r1));
    }
}

/// What a rule baseline reads: the trial's hourly demand, its local days, and the events'
/// spans (days with an event are not baseline days).
struct RuleDays<'a> {
    hourly: Vec<f64>,
    days: LocalDays<'a>,
    /// (start s, end s) of each event.
    spans: Vec<(u64, u64)>,
}

impl RuleDays<'_> {
    fn event_day(&self, d: u64) -> bool {
        let (a, b) = (self.days.start(d), self.days.start(d + 1));
        self.spans.iter().any(|&(s, e)| s < b && e > a)
    }

    /// The weekday at noon of a local day.
    fn weekday(&self, d: u64) -> usize {
        self.days
            .cal
            .local_weekday(SimTime(self.days.start(d) + 43_200))
    }

    /// Demand in elapsed hour `h` as read on local day `d` instead of the event's `day`: the
    /// same local hour, as many days after `d` as `h` is after `day`.
    fn at(&self, day: u64, d: u64, h: usize) -> Option<f64> {
        let (dd, sod) = self.days.at(h as u64 * 3600);
        let (k, sod) = (dd - day, sod - sod.rem_euclid(3600));
        self.days
            .hour(d + k, sod)
            .and_then(|i| self.hourly.get(i).copied())
    }

    /// Of the `of` most recent days before the event's day without an event (of the same kind,
    /// weekday or weekend, when `same_kind`), the `high` with the highest demand over the
    /// event's hours.
    fn pick(&self, o: &DrOutcome, day: u64, high: usize, of: usize, same_kind: bool) -> Vec<u64> {
        let weekend = |d: u64| self.weekday(d) >= 5;
        let mut picked: Vec<u64> = (0..day)
            .rev()
            .filter(|&d| !self.event_day(d) && (!same_kind || weekend(d) == weekend(day)))
            .take(of)
            .collect();
        let first_h = (o.start_s / 3600) as usize;
        let last_h = ((o.start_s + o.duration_s) as usize).div_ceil(3600);
        let load = |d: u64| -> f64 {
            (first_h..last_h)
                .map(|h| self.at(day, d, h).unwrap_or(0.0))
                .sum()
        };
        picked.sort_by(|a, b| load(*b).total_cmp(&load(*a)).then(b.cmp(a)));
        picked.truncate(high);
        picked
    }

    /// The baseline of elapsed hour `h`: the picked days' mean demand in it (NaN with none).
    fn mean(&self, picked: &[u64], day: u64, h: usize) -> f64 {
        if picked.is_empty() {
            return f64::NAN;
        }
        let vals: Vec<f64> = picked.iter().filter_map(|&d| self.at(day, d, h)).collect();
        if vals.is_empty() {
            return f64::NAN;
        }
        vals.iter().sum::<f64>() / vals.len() as f64
    }
}

/// Rebound after an event from step `s1`: the energy drawn above the baseline and its highest
/// hourly mean, hour by hour on the hours of the study (the first and last may be partial),
/// the positive part of each hour's energy: the rules' baselines are hourly, so a step-by-step
/// positive part (or hour blocks that straddle two baseline hours) would count the load's
/// ordinary variation within the hour as rebound even when nothing was shed (a planner's
/// review: 0.2 MWh "rebound" after an event that shed 0).
fn rebound(
    o: &mut DrOutcome,
    metered_w: &[f64],
    baseline: &[f64],
    s1: usize,
    dt: u64,
    steps_per_hour: usize,
) {
    let above: Vec<f64> = metered_w.iter().zip(baseline).map(|(m, b)| m - b).collect();
    o.rebound_hours = metered_w.len() as f64 * dt as f64 / 3600.0;
    let sph = steps_per_hour.max(1);
    let mut hours: Vec<(f64, usize)> = Vec::new(); // (sum of W over the hour's steps, steps)
    for (i, x) in above.iter().enumerate() {
        // A new hour starts at the window's first step and at every hour boundary.
        match hours.last_mut() {
            Some((acc, n)) if i > 0 && !(s1 + i).is_multiple_of(sph) => {
                *acc += x;
                *n += 1;
            }
            _ => hours.push((*x, 1)),
        }
    }
    o.rebound_mwh = hours.iter().map(|(acc, _)| acc.max(0.0)).sum::<f64>() * dt as f64 / 3.6e9;
    o.rebound_peak_mw = hours
        .iter()
        .map(|(acc, n)| acc / *n as f64)
        .fold(0.0, f64::max)
        / 1e6;
    if above.iter().any(|x| x.is_nan()) {
        o.rebound_mwh = f64::NAN;
        o.rebound_peak_mw = f64::NAN;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An unmeasured event (NaN figures) goes through a checkpoint's JSON and comes back NaN;
    /// a plain `f64` field is written `null` and refused on the way back.
    #[test]
    fn an_unmeasured_outcome_round_trips_through_json() {
        let o = DrOutcome {
            start_s: 3600,
            duration_s: 7200,
            requested_mw: 5.0,
            delivered_mw: f64::NAN,
            baseline_mw: f64::NAN,
            metered_mw: 40.0,
            rebound_mwh: f64::NAN,
            rebound_peak_mw: f64::NAN,
            ..DrOutcome::default()
        };
        let text = serde_json::to_string(&o).expect("serialises");
        let back: DrOutcome = serde_json::from_str(&text).expect("reads back");
        assert!(!back.measured() && back.baseline_mw.is_nan() && back.shortfall_mw().is_nan());
        assert_eq!((back.metered_mw, back.requested_mw), (40.0, 5.0));
    }
}
