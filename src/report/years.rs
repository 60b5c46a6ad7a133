//! Per-year headlines: a study whose horizon spans more than one calendar year (study clock)
//! gets the headline figures of each year apart, banded across trials, in summary.json
//! (`years`), on the console and in report.html. A build-out's first year and a full year
//! differ too much for the whole horizon's load factor or PUE to answer "what does 2028 draw".
//!
//! Each trial meters its years as it runs (`TrialSummary::year_figures`, closed hour by
//! hour), so the years of a horizon add up to its whole-horizon energy.

use serde::Serialize;

use crate::base::stats::Band;
use crate::model::metrics::{M_SHED, M_WATER_ON};
use crate::scenario::Scenario;
use crate::sim::TrialResult;
use crate::sim::summary::YearFigures;

/// One year's figures across trials.
#[derive(Clone, Debug, Serialize)]
pub struct YearHeadline {
    pub year: i32,
    /// Hours of the horizon in the year (a partial first or last year has fewer).
    pub hours: f64,
    pub energy_mwh: Band,
    pub it_energy_mwh: Band,
    pub peak_mw: Band,
    pub peak_step_mw: Band,
    pub load_factor: Band,
    pub pue: Band,
    /// With water (a physical facility or fixed water factors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wue_l_per_kwh: Option<Band>,
    /// With an import cap that sheds load.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curtailed_mwh: Option<Band>,
    pub ramps: crate::report::utility::Ramps,
    /// With `[grid] coincident_peak`: the year's determinant (mean demand over its
    /// coincident-peak intervals), when the year has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coincident_peak_mw: Option<Band>,
}

/// The headline of every calendar year of the horizon (none for a one-year study).
pub fn headlines(sc: &Scenario, results: &[TrialResult]) -> Vec<YearHeadline> {
    let years = sc.headline_years();
    let metered = sc.metered_years();
    let none = YearFigures::default();
    let cp = crate::report::coincident::summary(sc, results)
        .ok()
        .flatten();
    years
        .iter()
        .filter_map(|(year, rows)| {
            let k = metered.iter().position(|(y, _)| y == year)?;
            let figs: Vec<&YearFigures> = results
                .iter()
                .map(|r| r.summary.year_figures.get(k).unwrap_or(&none))
                .collect();
            let band = |f: &dyn Fn(&YearFigures) -> f64| {
                let mut v: Vec<f64> = figs.iter().map(|y| f(y)).collect();
                Band::of(&mut v, &sc.percentiles)
            };
            let hours = figs.first().map_or(rows.len() as f64, |y| y.hours).max(0.0);
            Some(YearHeadline {
                year: *year,
                hours,
                energy_mwh: band(&|y| y.energy_mwh),
                it_energy_mwh: band(&|y| y.it_energy_mwh),
                peak_mw: band(&|y| y.peak_mw),
                peak_step_mw: band(&|y| y.peak_step_mw),
                load_factor: band(&YearFigures::load_factor),
                pue: band(&YearFigures::pue),
                wue_l_per_kwh: sc
                    .metric_pos(M_WATER_ON)
                    .map(|_| band(&YearFigures::wue_l_per_kwh)),
                curtailed_mwh: sc.metric_pos(M_SHED).map(|_| band(&|y| y.curtailed_mwh)),
                ramps: crate::report::utility::year_ramps(sc, results, k),
                coincident_peak_mw: cp.as_ref().and_then(|c| {
                    let y = c.years.iter().find(|y| y.year == *year)?;
                    Some(y.demand_mw.clone())
                }),
            })
        })
        .collect()
}

/// The console's line for each year: energy, peaks, load factor and PUE with their bands.
pub fn console_lines(sc: &Scenario, results: &[TrialResult]) -> Vec<String> {
    let (lo, hi) = (
        crate::base::stats::label(sc.percentiles.low()),
        crate::base::stats::label(sc.percentiles.high()),
    );
    headlines(sc, results)
        .iter()
        .map(|y| {
            format!(
                "dcload: {} ({:.0} h): energy {:.0} MWh ({lo} {:.0}, {hi} {:.0}); peak {:.1} MW \
                 ({hi} {:.1}); step peak {:.1} MW; load factor {:.3}; PUE {:.3}",
                y.year,
                y.hours,
                y.energy_mwh.mean,
                y.energy_mwh.low(),
                y.energy_mwh.high(),
                y.peak_mw.mean,
                y.peak_mw.high(),
                y.peak_step_mw.mean,
                y.load_factor.mean,
                y.pue.mean
            )
        })
        .collect()
}
