//! The hourly metrics: one table with each metric's name, unit, sector, precision, how an hour
//! is made of its steps and which studies write it. Every file's hourly columns (hourly.csv,
//! the bands, plots reading them back) come from this table in this order, so a metric is
//! added in one place.

use crate::model::fleet::Sector;

/// How an hour's figure is made from its steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    /// Power, W each step: the hour's mean, written in MW.
    MeanMw,
    /// A quantity counted each step (requests, hours, accelerator-hours): the hour's sum.
    Sum,
    /// The highest step of the hour.
    Max,
    /// A value that holds for the hour (the weather): its last step.
    Last,
    /// Computed from other metrics at the end of the hour (PUE, water, CO2).
    Derived,
}

/// Which studies write a metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    Always,
    /// Physics facilities only.
    Physics,
    /// Physics facilities and fixed-PUE facilities with a water figure.
    Water,
    /// Studies with a carbon intensity.
    Carbon,
    /// Studies with `limit_policy = "cap"`.
    Cap,
    /// Studies with a phased build-out (a group with an online date or a commissioning ramp).
    Buildout,
    /// Studies with a commissioning load-bank test (`[[facility.load_bank]]`).
    LoadBank,
}

#[derive(Clone, Copy, Debug)]
pub struct Metric {
    pub name: &'static str,
    pub unit: &'static str,
    /// The sector whose power this is, for the per-sector IT columns.
    pub sector: Option<Sector>,
    /// Decimals written: 0.1 kW for MW, 0.01 C, 1 L for m3.
    pub decimals: usize,
    pub aggregate: Aggregate,
    pub written: Written,
    pub about: &'static str,
}

const fn m(
    name: &'static str,
    unit: &'static str,
    sector: Option<Sector>,
    decimals: usize,
    aggregate: Aggregate,
    written: Written,
    about: &'static str,
) -> Metric {
    Metric {
        name,
        unit,
        sector,
        decimals,
        aggregate,
        written,
        about,
    }
}

use Aggregate::*;
use Written::*;

/// Every hourly metric, in column order (a study writes the ones that apply to it, in this
/// order; unheld idle is last so every other metric keeps its position whatever is written).
#[rustfmt::skip]
pub const METRICS: [Metric; 25] = [
    m("it_consumer_mw", "MW", Some(Sector::Consumer), 4, MeanMw, Always, "IT power of consumer request classes"),
    m("it_industrial_mw", "MW", Some(Sector::Industrial), 4, MeanMw, Always, "IT power of industrial digital twins"),
    m("it_training_mw", "MW", Some(Sector::Training), 4, MeanMw, Always, "IT power of training jobs"),
    m("it_defense_mw", "MW", Some(Sector::Defense), 4, MeanMw, Always, "IT power of defense missions"),
    m("it_total_mw", "MW", None, 4, MeanMw, Always, "IT power: the sectors plus unheld idle"),
    m("facility_mw", "MW", None, 4, MeanMw, Always, "facility demand from the grid"),
    m("facility_peak_mw", "MW", None, 4, Max, Always, "highest step of facility demand in the hour"),
    m("requests_served", "requests", None, 1, Sum, Always, "requests completed in the hour"),
    m("requests_dropped", "requests", None, 1, Sum, Always, "requests dropped from full queues"),
    m("cooling_mw", "MW", None, 4, MeanMw, Physics, "cooling plant power"),
    m("losses_mw", "MW", None, 4, MeanMw, Physics, "electrical chain losses"),
    m("pue", "", None, 4, Derived, Physics, "facility / IT energy of the hour"),
    m("water_onsite_m3", "m3", None, 3, Derived, Water, "water evaporated on site"),
    m("water_offsite_m3", "m3", None, 3, Derived, Water, "water of the electricity generated"),
    m("outdoor_drybulb_c", "C", None, 2, Last, Physics, "outdoor dry-bulb temperature"),
    m("outdoor_wetbulb_c", "C", None, 2, Last, Physics, "outdoor wet-bulb temperature"),
    m("inlet_max_c", "C", None, 2, Max, Physics, "hottest server inlet"),
    m("throttled_acc_h", "acc-h", None, 3, Sum, Physics, "accelerator-hours held back by thermal throttling"),
    m("heat_not_removed_mw", "MW", None, 4, MeanMw, Physics, "IT heat the plants could not remove"),
    m("plant_saturated_h", "h", None, 3, Sum, Physics, "time at least one plant was saturated"),
    m("co2_t", "t", None, 4, Derived, Carbon, "emissions of the grid electricity drawn"),
    m("shed_mw", "MW", None, 4, MeanMw, Cap, "facility load shed by the cap"),
    m("installed_it_mw", "MW", None, 4, MeanMw, Buildout, "IT nameplate peak of the groups online (commissioning ramps included)"),
    m("load_bank_mw", "MW", None, 4, MeanMw, LoadBank, "commissioning load-bank tests (drawn through the chain and cooled; not IT)"),
    m("it_idle_unallocated_mw", "MW", None, 4, MeanMw, Always, "idle power of accelerators no workload holds"),
];

/// The metrics' names, in table order.
pub const METRIC_NAMES: [&str; METRICS.len()] = {
    let mut a = [""; METRICS.len()];
    let mut i = 0;
    while i < METRICS.len() {
        a[i] = METRICS[i].name;
        i += 1;
    }
    a
};

pub const M_IT_TOTAL: usize = 4;
pub const M_FACILITY: usize = 5;
pub const M_FACILITY_PEAK: usize = 6;
pub const M_SERVED: usize = 7;
pub const M_DROPPED: usize = 8;
pub const M_COOLING: usize = 9;
pub const M_LOSSES: usize = 10;
pub const M_PUE: usize = 11;
pub const M_WATER_ON: usize = 12;
pub const M_WATER_OFF: usize = 13;
pub const M_DRYBULB: usize = 14;
pub const M_WETBULB: usize = 15;
pub const M_INLET_MAX: usize = 16;
pub const M_THROTTLED: usize = 17;
pub const M_HEAT_NOT_REMOVED: usize = 18;
pub const M_SATURATED: usize = 19;
pub const M_CO2: usize = 20;
pub const M_SHED: usize = 21;
pub const M_INSTALLED: usize = 22;
pub const M_LOAD_BANK: usize = 23;
pub const M_IDLE_UNALLOC: usize = 24;

/// What a study has, to choose its metrics.
#[derive(Clone, Copy, Debug, Default)]
pub struct Has {
    pub physics: bool,
    pub water: bool,
    pub carbon: bool,
    pub cap: bool,
    pub buildout: bool,
    pub load_bank: bool,
}

/// The ids of the metrics a study writes, in column order.
pub fn written(has: Has) -> Vec<usize> {
    METRICS
        .iter()
        .enumerate()
        .filter(|(_, m)| match m.written {
            Always => true,
            Physics => has.physics,
            Water => has.physics || has.water,
            Carbon => has.carbon,
            Cap => has.cap,
            Buildout => has.buildout,
            LoadBank => has.load_bank,
        })
        .map(|(i, _)| i)
        .collect()
}

/// Decimals written for a metric name (a column of hourly.csv); 4 for a name not in the table.
pub fn decimals(name: &str) -> usize {
    METRICS
        .iter()
        .find(|m| m.name == name)
        .map_or(4, |m| m.decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_name_their_metrics() {
        for (i, n) in [
            (M_IT_TOTAL, "it_total_mw"),
            (M_FACILITY, "facility_mw"),
            (M_FACILITY_PEAK, "facility_peak_mw"),
            (M_SERVED, "requests_served"),
            (M_DROPPED, "requests_dropped"),
            (M_COOLING, "cooling_mw"),
            (M_LOSSES, "losses_mw"),
            (M_PUE, "pue"),
            (M_WATER_ON, "water_onsite_m3"),
            (M_WATER_OFF, "water_offsite_m3"),
            (M_DRYBULB, "outdoor_drybulb_c"),
            (M_WETBULB, "outdoor_wetbulb_c"),
            (M_INLET_MAX, "inlet_max_c"),
            (M_THROTTLED, "throttled_acc_h"),
            (M_HEAT_NOT_REMOVED, "heat_not_removed_mw"),
            (M_SATURATED, "plant_saturated_h"),
            (M_CO2, "co2_t"),
            (M_SHED, "shed_mw"),
            (M_INSTALLED, "installed_it_mw"),
            (M_LOAD_BANK, "load_bank_mw"),
            (M_IDLE_UNALLOC, "it_idle_unallocated_mw"),
        ] {
            assert_eq!(METRICS[i].name, n);
        }
        for (s, m) in METRICS.iter().take(4).enumerate() {
            assert_eq!(m.sector.map(|x| x as usize), Some(s));
        }
    }

    /// A fixed-PUE study with water and carbon writes the base metrics, water, CO2 and unheld
    /// idle last; a physics study with a cap writes every metric.
    #[test]
    fn studies_write_their_metrics_in_table_order() {
        let fixed = written(Has {
            water: true,
            carbon: true,
            ..Has::default()
        });
        assert_eq!(
            fixed,
            vec![
                0,
                1,
                2,
                3,
                4,
                5,
                6,
                7,
                8,
                M_WATER_ON,
                M_WATER_OFF,
                M_CO2,
                M_IDLE_UNALLOC
            ]
        );
        let all = written(Has {
            physics: true,
            water: false,
            carbon: true,
            cap: true,
            buildout: true,
            load_bank: true,
        });
        assert_eq!(all, (0..METRICS.len()).collect::<Vec<_>>());
        assert_eq!(decimals("inlet_max_c"), 2);
        assert_eq!(decimals("requests_served"), 1);
        assert_eq!(decimals("water_onsite_m3"), 3);
        assert_eq!(decimals("facility_mw"), 4);
    }
}
