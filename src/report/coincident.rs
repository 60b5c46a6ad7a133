//! Coincident-peak billing (`[grid] coincident_peak`, see
//! [`crate::model::grid::coincident`]): each trial's average demand over a year's coincident-peak
//! intervals (its transmission determinant: ERCOT's 4CP, PJM's 5CP), banded across trials, with
//! and without the developer's response rule, in summary.json (`coincident_peak`), on the
//! console and in report.html.
//!
//! The response is priced, not re-simulated: through each peak interval the developer forecast
//! (probability `hit_rate`, one draw an interval from the trial's own stream, in time order) the
//! site's demand is cut by `share`; the energy moved and any rebound are the demand-response
//! model's business (`[grid.demand_response]`). The difference is what the response is worth, in
//! MW of determinant.

use serde::Serialize;

use crate::base::error::{Error, Result};
use crate::base::rng::{TAG_CP_RESPONSE, stream, uniform};
use crate::base::stats::Band;
use crate::base::time::SimTime;
use crate::model::grid::coincident::{CpResponse, CpSet};
use crate::scenario::Scenario;
use crate::sim::{TrialResult, TrialSummary};

/// One trial's determinant of one year: without and with the response, MW.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrialCp {
    pub year: i32,
    pub demand_mw: f64,
    pub with_response_mw: f64,
}

/// A trial's determinant of every year with coincident-peak intervals (none without the rule).
pub fn trial_determinants(sc: &Scenario, s: &TrialSummary) -> Result<Vec<TrialCp>> {
    let Some(rule) = &sc.grid.coincident_peak else {
        return Ok(Vec::new());
    };
    let peaks = &sc.grid.system_peaks;
    if s.system_peak_mw.len() != peaks.len() {
        return Err(Error::Other(format!(
            "trial {} has no system-peak figures: its records were made by an older dcload or \
             another run file; run the study again",
            s.trial
        )));
    }
    let mut rng = stream(sc.seed, TAG_CP_RESPONSE, s.trial);
    let mut out = Vec::new();
    for (year, idx) in rule.by_year(&sc.calendar, peaks) {
        let (mut d, mut w) = (0.0, 0.0);
        for &k in &idx {
            let mw = s.system_peak_mw[k];
            d += mw;
            w += match rule.response {
                Some(r) if uniform(&mut rng) < r.hit_rate => mw * (1.0 - r.share),
                _ => mw,
            };
        }
        let n = idx.len() as f64;
        out.push(TrialCp {
            year,
            demand_mw: d / n,
            with_response_mw: w / n,
        });
    }
    Ok(out)
}

/// One year's determinant across trials.
#[derive(Clone, Debug, Serialize)]
pub struct CpYear {
    pub year: i32,
    /// The intervals' starts (study clock).
    pub intervals: Vec<String>,
    pub demand_mw: Band,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub with_response_mw: Option<Band>,
    /// Without minus with the response, trial by trial.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_worth_mw: Option<Band>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CpSummary {
    pub set: CpSet,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<CpResponse>,
    pub years: Vec<CpYear>,
}

/// The banded determinants, or `None` without `[grid] coincident_peak`.
pub fn summary(sc: &Scenario, results: &[TrialResult]) -> Result<Option<CpSummary>> {
    let Some(rule) = &sc.grid.coincident_peak else {
        return Ok(None);
    };
    let per_trial = results
        .iter()
        .map(|r| trial_determinants(sc, &r.summary))
        .collect::<Result<Vec<_>>>()?;
    let peaks = &sc.grid.system_peaks;
    let years = rule
        .by_year(&sc.calendar, peaks)
        .into_iter()
        .enumerate()
        .map(|(y, (year, idx))| {
            let band = |f: &dyn Fn(&TrialCp) -> f64| {
                let mut v: Vec<f64> = per_trial.iter().map(|t| f(&t[y])).collect();
                Band::of(&mut v, &sc.percentiles)
            };
            let resp = rule.response.is_some();
            CpYear {
                year,
                intervals: idx
                    .iter()
                    .map(|&k| sc.calendar.timestamp(SimTime(peaks[k].start_s)))
                    .collect(),
                demand_mw: band(&|t| t.demand_mw),
                with_response_mw: resp.then(|| band(&|t| t.with_response_mw)),
                response_worth_mw: resp.then(|| band(&|t| t.demand_mw - t.with_response_mw)),
            }
        })
        .collect();
    Ok(Some(CpSummary {
        set: rule.set,
        response: rule.response,
        years,
    }))
}

/// The set's name as a utility writes it.
pub fn set_label(set: CpSet) -> &'static str {
    match set {
        CpSet::Four => "4CP",
        CpSet::Five => "5CP",
        CpSet::Stated => "CP",
    }
}

/// The console's line for each year: the determinant and, with a response, what it is worth.
pub fn console_lines(sc: &Scenario, results: &[TrialResult]) -> Vec<String> {
    let Ok(Some(s)) = summary(sc, results) else {
        return Vec::new();
    };
    let (lo, hi) = (
        crate::base::stats::label(sc.percentiles.low()),
        crate::base::stats::label(sc.percentiles.high()),
    );
    s.years
        .iter()
        .map(|y| {
            let d = &y.demand_mw;
            let mut line = format!(
                "dcload: {} {} over {} interval(s): {:.1} MW ({lo} {:.1}, {hi} {:.1})",
                set_label(s.set),
                y.year,
                y.intervals.len(),
                d.mean,
                d.low(),
                d.high()
            );
            if let (Some(r), Some(w), Some(v)) =
                (s.response, &y.with_response_mw, &y.response_worth_mw)
            {
                line.push_str(&format!(
                    "; with response ({:.0} % cut, {:.0} % of peaks forecast) {:.1} MW, worth {:.1} MW",
                    r.share * 100.0,
                    r.hit_rate * 100.0,
                    w.mean,
                    v.mean
                ));
            }
            line
        })
        .collect()
}
