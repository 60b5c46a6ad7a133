//! A trial's whole-horizon figures as named columns (name, decimals, reader): the one table that
//! trials.csv, the trial bands of summary.json, the sensitivity table and the non-finite check of
//! each trial read, so a figure added to [`TrialSummary`] is written everywhere by one line here.

use crate::scenario::Scenario;
use crate::sim::TrialSummary;

/// A column of trials.csv (and a figure of summary.json): name, decimals, value.
pub type Column = (&'static str, usize, fn(&TrialSummary) -> f64);

const BASE_COLUMNS: [Column; 17] = [
    ("energy_mwh", 3, |s| s.energy_mwh),
    ("it_energy_mwh", 3, |s| s.it_energy_mwh),
    ("peak_mw", 4, |s| s.peak_mw),
    ("peak_step_mw", 4, |s| s.peak_step_mw),
    ("load_factor", 5, |s| s.load_factor),
    ("pue", 5, |s| s.pue),
    ("requests_arrived", 0, |s| s.requests_arrived),
    ("requests_served", 0, |s| s.requests_served),
    ("requests_dropped", 0, |s| s.requests_dropped),
    ("requests_pending", 0, |s| s.requests_pending),
    ("consumer_mwh", 3, |s| s.sector_mwh[0]),
    ("industrial_mwh", 3, |s| s.sector_mwh[1]),
    ("training_mwh", 3, |s| s.sector_mwh[2]),
    ("defense_mwh", 3, |s| s.sector_mwh[3]),
    ("idle_unallocated_mwh", 3, |s| s.idle_unallocated_mwh),
    ("training_jobs_completed", 0, |s| {
        s.training_jobs_completed as f64
    }),
    ("defense_unserved_acc_h", 3, |s| s.defense_unserved_acc_h),
];

const PHYSICS_COLUMNS: [Column; 10] = [
    ("cooling_mwh", 4, |s| s.cooling_mwh),
    ("losses_mwh", 4, |s| s.losses_mwh),
    ("wue_l_per_kwh", 4, |s| s.wue_l_per_kwh),
    ("water_onsite_m3", 4, |s| s.water_onsite_m3),
    ("water_offsite_m3", 4, |s| s.water_offsite_m3),
    ("throttled_acc_h", 4, |s| s.throttled_acc_h),
    ("max_inlet_c", 4, |s| s.max_inlet_c),
    ("plant_unit_outage_hours", 4, |s| s.plant_unit_outage_hours),
    ("plant_saturated_hours", 4, |s| s.plant_saturated_hours),
    ("heat_not_removed_mwh", 4, |s| s.heat_not_removed_mwh),
];

const LIMIT_COLUMNS: [Column; 10] = [
    ("exceed_hours", 4, |s| s.exceed_hours),
    ("exceed_mwh", 4, |s| s.exceed_mwh),
    ("exceed_worst_mw", 4, |s| s.exceed_worst_mw),
    ("shed_training_acc_h", 4, |s| s.shed_training_acc_h),
    ("shed_industrial_acc_h", 4, |s| s.shed_industrial_acc_h),
    ("deferred_consumer_acc_h", 4, |s| s.deferred_consumer_acc_h),
    ("cap_shortfall_hours", 4, |s| s.cap_shortfall_hours),
    ("curtailed_hours", 4, |s| s.curtailed_hours),
    ("curtailed_mwh", 4, |s| s.curtailed_mwh),
    ("curtailed_max_mw", 4, |s| s.curtailed_max_mw),
];

const FAILURE_COLUMNS: [Column; 3] = [
    ("training_interruptions", 0, |s| {
        s.training_interruptions as f64
    }),
    ("training_lost_acc_h", 3, |s| s.training_lost_acc_h),
    ("defense_availability", 6, |s| s.defense_availability),
];

const OUTAGE_COLUMNS: [Column; 7] = [
    ("outage_hours", 4, |s| s.outage_hours),
    ("ups_mwh", 4, |s| s.ups_mwh),
    ("generator_mwh", 4, |s| s.generator_mwh),
    ("unserved_mwh", 4, |s| s.unserved_mwh),
    ("fuel_l", 4, |s| s.fuel_l),
    ("generator_co2_t", 4, |s| s.generator_co2_t),
    ("ups_unprotected_hours", 4, |s| s.ups_unprotected_hours),
];

const DR_COLUMNS: [Column; 7] = [
    ("dr_events", 0, |s| s.dr_events as f64),
    ("dr_requested_mwh", 4, |s| s.dr_requested_mwh),
    ("dr_delivered_mwh", 4, |s| s.dr_delivered_mwh),
    ("dr_shortfall_mwh", 4, |s| s.dr_shortfall_mwh),
    ("dr_deferred_acc_h", 4, |s| s.dr_deferred_acc_h),
    ("dr_rebound_mwh", 4, |s| s.dr_rebound_mwh),
    ("dr_rebound_peak_mw", 4, |s| s.dr_rebound_peak_mw),
];

/// Requests dropped for want of capacity (studies with consumer classes).
const DROP_COLUMNS: [Column; 4] = [
    ("drop_hours", 0, |s| s.drop_hours),
    ("drop_worst_hour_requests", 0, |s| {
        s.drop_worst_hour_requests
    }),
    ("drop_worst_at_s", 0, |s| s.drop_worst_at_s),
    ("drop_first_at_s", 0, |s| s.drop_first_at_s),
];

const LIMIT_WHEN_COLUMNS: [Column; 2] = [
    ("curtailed_worst_at_s", 0, |s| s.curtailed_worst_at_s),
    ("curtailed_first_at_s", 0, |s| s.curtailed_first_at_s),
];

const PLANT_WHEN_COLUMNS: [Column; 3] = [
    ("plant_saturated_worst_at_s", 0, |s| {
        s.plant_saturated_worst_at_s
    }),
    ("plant_saturated_worst_mwh", 4, |s| {
        s.plant_saturated_worst_mwh
    }),
    ("plant_saturated_first_at_s", 0, |s| {
        s.plant_saturated_first_at_s
    }),
];

const UNSERVED_COLUMNS: [Column; 4] = [
    ("unserved_hours", 4, |s| s.unserved_hours),
    ("unserved_worst_at_s", 0, |s| s.unserved_worst_at_s),
    ("unserved_worst_mwh", 4, |s| s.unserved_worst_mwh),
    ("unserved_first_at_s", 0, |s| s.unserved_first_at_s),
];

/// When the worst ramps happened.
const RAMP_COLUMNS: [Column; 6] = [
    ("ramp_up_step_at_s", 0, |s| s.ramp_up_step_at_s),
    ("ramp_down_step_at_s", 0, |s| s.ramp_down_step_at_s),
    ("ramp_up_15min_at_s", 0, |s| s.ramp_up_15min_at_s),
    ("ramp_down_15min_at_s", 0, |s| s.ramp_down_15min_at_s),
    ("ramp_up_hour_at_s", 0, |s| s.ramp_up_hour_at_s),
    ("ramp_down_hour_at_s", 0, |s| s.ramp_down_hour_at_s),
];

/// A column name made at run time, kept for the process's life (each distinct name once).
fn intern(name: String) -> &'static str {
    static NAMES: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let mut names = NAMES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(n) = names.iter().find(|n| **n == name) {
        return n;
    }
    let n: &'static str = Box::leak(name.into_boxed_str());
    names.push(n);
    n
}

/// The i-th count of a ramp distribution (0 when the trial has fewer counts).
macro_rules! ramp_count_getters {
    ($field:ident, $($i:expr),*) => {
        [$(|s: &TrialSummary| s.$field.get($i).copied().unwrap_or(0.0)),*]
    };
}
const RAMP_STEP_COUNTS: [fn(&TrialSummary) -> f64; crate::sim::summary::RAMP_THRESHOLDS_MAX] =
    ramp_count_getters!(ramp_steps_over, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
const RAMP_15MIN_COUNTS: [fn(&TrialSummary) -> f64; crate::sim::summary::RAMP_THRESHOLDS_MAX] =
    ramp_count_getters!(ramp_15min_over, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9);

/// How many steps and 15-minute intervals changed by more than each of the study's ramp
/// thresholds (`[grid] ramp_thresholds_mw`, default 1, 5, 10, 25, 50 MW): columns
/// `ramp_steps_over_<MW>mw` then `ramp_15min_over_<MW>mw`.
fn ramp_count_columns(thresholds: &[f64]) -> Vec<Column> {
    let name = |kind: &str, t: f64| -> &'static str { intern(format!("ramp_{kind}_over_{t}mw")) };
    let n = thresholds
        .len()
        .min(crate::sim::summary::RAMP_THRESHOLDS_MAX);
    let mut cols: Vec<Column> = Vec::new();
    for (i, &t) in thresholds[..n].iter().enumerate() {
        cols.push((name("steps", t), 0, RAMP_STEP_COUNTS[i]));
    }
    for (i, &t) in thresholds[..n].iter().enumerate() {
        cols.push((name("15min", t), 0, RAMP_15MIN_COUNTS[i]));
    }
    cols
}

const CARBON_COLUMNS: [Column; 1] = [("co2_t", 3, |s| s.co2_t)];

/// Commissioning load-bank tests' energy (drawn through the chain and cooled, not IT).
const LOAD_BANK_COLUMNS: [Column; 1] = [("load_bank_mwh", 4, |s| s.load_bank_mwh)];

const COST_COLUMNS: [Column; 4] = [
    ("cost_energy", 2, |s| s.cost_energy),
    ("cost_demand", 2, |s| s.cost_demand),
    ("cost_fixed", 2, |s| s.cost_fixed),
    ("cost_total", 2, |s| s.cost_total),
];

/// The trial-level figures this study reports, in column order: the base set, then each
/// feature's set when the study uses the feature.
pub fn trial_columns(sc: &Scenario) -> Vec<Column> {
    let mut cols = BASE_COLUMNS.to_vec();
    let load_banks = matches!(&sc.facility, crate::model::facility::Facility::Physics(p) if !p.load_banks.is_empty());
    let groups: [(bool, &[Column]); 14] = [
        (!sc.consumers.is_empty(), &DROP_COLUMNS),
        (sc.facility.is_physics(), &PHYSICS_COLUMNS),
        (load_banks, &LOAD_BANK_COLUMNS),
        (sc.facility.is_physics(), &PLANT_WHEN_COLUMNS),
        (sc.facility.fixed_water().is_some(), &PHYSICS_COLUMNS[2..5]),
        (sc.grid.limit.is_some(), &LIMIT_COLUMNS),
        (sc.grid.limit.is_some(), &LIMIT_WHEN_COLUMNS),
        (sc.failures.is_some(), &FAILURE_COLUMNS),
        (sc.grid.backup.is_some(), &OUTAGE_COLUMNS),
        (sc.grid.backup.is_some(), &UNSERVED_COLUMNS),
        (true, &RAMP_COLUMNS),
        (sc.grid.demand_response.is_some(), &DR_COLUMNS),
        (sc.grid.carbon_g_per_kwh.is_some(), &CARBON_COLUMNS),
        (sc.grid.tariff.is_some(), &COST_COLUMNS),
    ];
    for (on, group) in groups {
        if on {
            cols.extend_from_slice(group);
        }
    }
    // The ramp counts follow the ramps' timestamps.
    let at = cols
        .iter()
        .position(|c| c.0 == "ramp_down_hour_at_s")
        .map_or(cols.len(), |i| i + 1);
    let counts = ramp_count_columns(&sc.grid.ramp_thresholds_mw);
    cols.splice(at..at, counts);
    if !900u64.is_multiple_of(sc.step_s) {
        // Steps longer than 15 minutes (or not dividing them) have no 15-minute intervals to
        // compare: no columns, rather than zeros that read as "never moved".
        cols.retain(|c| !c.0.contains("_15min_"));
    }
    cols
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::summary::{
        FacilityTally, GridTally, MeterTally, Tallies, TrainingTally, WorkloadTally,
    };
    use serde_json::{Map, Value};

    /// Every column of every feature group (the default ramp thresholds).
    fn every_column() -> Vec<Column> {
        let groups: [&[Column]; 16] = [
            &BASE_COLUMNS,
            &PHYSICS_COLUMNS,
            &LIMIT_COLUMNS,
            &FAILURE_COLUMNS,
            &OUTAGE_COLUMNS,
            &DR_COLUMNS,
            &DROP_COLUMNS,
            &LIMIT_WHEN_COLUMNS,
            &PLANT_WHEN_COLUMNS,
            &UNSERVED_COLUMNS,
            &RAMP_COLUMNS,
            &CARBON_COLUMNS,
            &LOAD_BANK_COLUMNS,
            &COST_COLUMNS,
            &ramp_count_columns(&crate::sim::summary::RAMP_THRESHOLDS_MW),
            &[],
        ];
        groups.concat()
    }

    /// Figures of a tally written by another file than trials.csv, or not a figure.
    const NOT_COLUMNS: [&str; 6] = [
        // The worst ramps' sizes: ramps.csv (report/utility.rs); trials.csv has their instants.
        "up_step_mw",
        "down_step_mw",
        "up_15min_mw",
        "down_15min_mw",
        "up_hour_mw",
        "down_hour_mw",
    ];

    /// `t` with every number of its JSON form (nested ramps included, lists left empty) set
    /// to a distinct value from `next`, and the (name, value) of each.
    fn distinct<T: serde::Serialize + serde::de::DeserializeOwned>(
        t: &T,
        next: &mut u64,
    ) -> (T, Vec<(String, f64)>) {
        fn fill(m: &mut Map<String, Value>, next: &mut u64, out: &mut Vec<(String, f64)>) {
            for (k, v) in m.iter_mut() {
                let mut set = |v: &mut Value, name: String| {
                    *next += 1;
                    // Whole for a count (u64), a fraction for an f64.
                    *v = if v.is_u64() {
                        Value::from(*next)
                    } else {
                        Value::from(*next as f64 + 0.25)
                    };
                    out.push((name, v.as_f64().unwrap_or(f64::NAN)));
                };
                match v {
                    Value::Number(_) => set(v, k.clone()),
                    Value::Array(a) if a.iter().all(Value::is_number) => {
                        for (i, x) in a.iter_mut().enumerate() {
                            set(x, format!("{k}[{i}]"));
                        }
                    }
                    Value::Object(o) => fill(o, next, out),
                    _ => {}
                }
            }
        }
        let mut v = serde_json::to_value(t).expect("a tally serialises");
        let mut out = Vec::new();
        if let Value::Object(m) = &mut v {
            fill(m, next, &mut out);
        }
        (serde_json::from_value(v).expect("a tally reads back"), out)
    }

    /// Each layer's tally lands in the trial's summary, and each of its figures has a column
    /// here: every number of every tally is set to a distinct value, the tallies flattened into
    /// a summary, and some column must read each value back. A field added to a tally without a
    /// column, or dropped by the flattening, fails (unless written by another file, above).
    #[test]
    fn every_tally_figure_lands_in_the_summary_and_has_a_column() {
        let mut next = 0;
        let (meter, a) = distinct(&MeterTally::default(), &mut next);
        let (grid, b) = distinct(&GridTally::default(), &mut next);
        let (work, c) = distinct(&WorkloadTally::default(), &mut next);
        let (training, d) = distinct(&TrainingTally::default(), &mut next);
        let (facility, e) = distinct(&FacilityTally::default(), &mut next);
        let t = Tallies {
            meter,
            grid,
            work,
            training,
            facility,
        };
        let s = TrialSummary::assemble(0, t);
        let cols = every_column();
        let figures = [a, b, c, d, e].concat();
        assert!(figures.len() > 80, "{} figures", figures.len());
        for (name, v) in figures {
            if NOT_COLUMNS.contains(&name.as_str()) {
                continue;
            }
            assert!(
                cols.iter().any(|c| (c.2)(&s) == v),
                "tally figure {name} = {v}: no column of columns.rs reads it from the summary"
            );
        }
    }
}
