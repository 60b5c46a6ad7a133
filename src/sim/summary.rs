//! What a trial returns: its hourly rows and its whole-horizon figures.

use crate::model::grid::demand_response::DrOutcome;

/// A trial's whole-horizon figures.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct TrialSummary {
    pub trial: u32,
    pub energy_mwh: f64,
    pub it_energy_mwh: f64,
    /// Highest hourly mean facility demand, MW.
    pub peak_mw: f64,
    /// Highest single-step facility demand, MW.
    pub peak_step_mw: f64,
    /// Mean / peak hourly demand.
    pub load_factor: f64,
    /// Facility energy / IT energy over the horizon.
    pub pue: f64,
    /// Whole requests, summed over classes: arrived = served + dropped + pending at the end.
    pub requests_served: f64,
    pub requests_dropped: f64,
    pub requests_arrived: f64,
    pub requests_pending: f64,
    pub sector_mwh: [f64; 4],
    /// Idle energy of accelerators no workload held, MWh (in no sector).
    pub idle_unallocated_mwh: f64,
    /// Per consumer class (run-file order).
    pub classes: Vec<ClassTally>,
    /// Per twin and per defense mission (run-file order), MWh.
    pub twin_mwh: Vec<f64>,
    pub mission_mwh: Vec<f64>,
    /// Per pool (site order): idle energy of unheld accelerators, MWh.
    pub pool_idle_unallocated_mwh: Vec<f64>,
    /// Every training job, in start order.
    pub jobs: Vec<super::meter::JobRecord>,
    pub training_jobs_completed: u64,
    /// Defense work that found no capacity, accelerator-hours.
    pub defense_unserved_acc_h: f64,
    /// Commissioning load-bank energy, MWh (in `energy_mwh`, not in `it_energy_mwh`).
    #[serde(skip_serializing_if = "is_zero")]
    pub load_bank_mwh: f64,
    // Physics facility only (zero otherwise).
    pub cooling_mwh: f64,
    pub losses_mwh: f64,
    pub water_onsite_m3: f64,
    pub water_offsite_m3: f64,
    /// On-site water per IT energy, L/kWh (The Green Grid's WUE).
    pub wue_l_per_kwh: f64,
    /// Accelerator-hours held back by thermal throttling.
    pub throttled_acc_h: f64,
    pub max_inlet_c: f64,
    /// Plant-hours with fewer working cooling units than the design needs: unit failures
    /// only (`cooling_redundancy`), not whether the plant could carry the load.
    pub plant_unit_outage_hours: f64,
    /// Hours in which at least one cooling plant was saturated (IT heat offered above what it
    /// could remove in that weather, after unit failures), and that heat, MWh.
    pub plant_saturated_hours: f64,
    pub heat_not_removed_mwh: f64,
    /// Largest rise and fall of facility demand, MW: between consecutive steps, consecutive
    /// 15-minute means (when the step divides 15 minutes) and consecutive hourly means.
    pub ramp_up_step_mw: f64,
    pub ramp_down_step_mw: f64,
    pub ramp_up_15min_mw: f64,
    pub ramp_down_15min_mw: f64,
    pub ramp_up_hour_mw: f64,
    pub ramp_down_hour_mw: f64,
    /// Time, energy and worst excess above the import limit (after any shedding), h, MWh, MW.
    pub exceed_hours: f64,
    pub exceed_mwh: f64,
    pub exceed_worst_mw: f64,
    /// With `limit_policy = "cap"`: work shed (training paused, twins slowed), work deferred
    /// (consumer requests re-queued), and time the limit could not be met even after shedding
    /// everything flexible (defense is never shed).
    pub shed_training_acc_h: f64,
    pub shed_industrial_acc_h: f64,
    pub deferred_consumer_acc_h: f64,
    pub cap_shortfall_hours: f64,
    /// Curtailment by the cap in facility terms: time with load shed (h), the energy shed (MWh,
    /// the facility demand the cap removed step by step: estimated demand before shedding minus
    /// after) and the largest single-step shed (MW).
    pub curtailed_hours: f64,
    pub curtailed_mwh: f64,
    pub curtailed_max_mw: f64,
    /// Training jobs hit by server failures, and the progress they lost (accelerator-hours).
    pub training_interruptions: u64,
    pub training_lost_acc_h: f64,
    /// Lowest share of time any defense mission had the working capacity one copy needs.
    pub defense_availability: f64,
    /// That share for each defense mission, in run-file order.
    pub mission_availability: Vec<f64>,
    /// The trial's sampled uncertain parameters (run-file order).
    pub params: Vec<f64>,
    /// Demand response: events executed, energy asked for and delivered (baseline minus
    /// actual), the shortfall, and the work deferred to after the events.
    pub dr_events: u64,
    pub dr_requested_mwh: f64,
    pub dr_delivered_mwh: f64,
    pub dr_shortfall_mwh: f64,
    pub dr_deferred_acc_h: f64,
    /// Rebound after the events: energy above the baseline (MWh, all events) and the highest
    /// hourly mean above it (MW).
    pub dr_rebound_mwh: f64,
    pub dr_rebound_peak_mw: f64,
    /// Each event's outcome.
    pub dr_outcomes: Vec<DrOutcome>,
    /// Emissions of the grid electricity drawn (hourly energy x hourly intensity), t.
    pub co2_t: f64,
    /// Electricity cost under the tariff: energy, demand and fixed charges.
    pub cost_energy: f64,
    pub cost_demand: f64,
    pub cost_fixed: f64,
    pub cost_total: f64,
    /// Grid outages: hours without grid, energy from the UPS and generators, unserved energy,
    /// generator fuel and its CO2.
    pub outage_hours: f64,
    pub ups_mwh: f64,
    pub generator_mwh: f64,
    pub unserved_mwh: f64,
    pub fuel_l: f64,
    pub generator_co2_t: f64,
    /// Hours with fewer working UPS modules than the load needs (less ride-through).
    pub ups_unprotected_hours: f64,
    /// What broke: instants are seconds from the study's start (`SimTime`), -1 when it never
    /// happened. Dropped requests: hours with any, the worst hour's count, its start and the
    /// first step dropping work.
    pub drop_hours: f64,
    pub drop_worst_hour_requests: f64,
    pub drop_worst_at_s: f64,
    pub drop_first_at_s: f64,
    /// Cap shedding (see `curtailed_*`): the step with the largest shed and the first one.
    pub curtailed_worst_at_s: f64,
    pub curtailed_first_at_s: f64,
    /// Plant saturation: the start of the hour with the most heat not removed, that heat (MWh)
    /// and the first saturated step.
    pub plant_saturated_worst_at_s: f64,
    pub plant_saturated_worst_mwh: f64,
    pub plant_saturated_first_at_s: f64,
    /// Unserved energy in outages: time with any (h), the start of the hour with the most, that
    /// energy (MWh) and the first step short.
    pub unserved_hours: f64,
    pub unserved_worst_at_s: f64,
    pub unserved_worst_mwh: f64,
    pub unserved_first_at_s: f64,
    /// When the worst ramps happened (seconds from the start, -1 for no ramp): the step that
    /// rose, the start of the 15-minute interval or hour whose mean rose (or fell).
    pub ramp_up_step_at_s: f64,
    pub ramp_down_step_at_s: f64,
    pub ramp_up_15min_at_s: f64,
    pub ramp_down_15min_at_s: f64,
    pub ramp_up_hour_at_s: f64,
    pub ramp_down_hour_at_s: f64,
    /// Ramp distribution: steps, and 15-minute intervals, whose change of facility demand
    /// (either way) exceeds each of the study's ramp thresholds (`[grid] ramp_thresholds_mw`,
    /// default [`RAMP_THRESHOLDS_MW`]), one count per threshold.
    pub ramp_steps_over: Vec<f64>,
    pub ramp_15min_over: Vec<f64>,
    /// Mean facility demand over each system-peak interval (`Grid::system_peaks` order), MW.
    pub system_peak_mw: Vec<f64>,
    /// With an interval file: the mean facility and IT demand of every interval of its
    /// window, MW (exact means of the steps; 16 bytes an interval).
    pub interval_facility_mw: Vec<f64>,
    pub interval_it_mw: Vec<f64>,
    /// Dropped requests per pool (site order; empty for a study without consumer classes):
    /// what `drop_*` counts site-wide, pool by pool.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pool_drops: Vec<PoolDrops>,
    /// The ramp figures of each metered year (`Scenario::metered_years` order: every calendar
    /// year of a horizon that spans more than one, else the `[report] years`), each change
    /// counted in the year of its later instant.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub year_ramps: Vec<RampFigures>,
    /// The headline figures of each metered year, in the same order (empty when none is).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub year_figures: Vec<YearFigures>,
}

/// The hourly meter's whole-horizon figures ([`super::hourly::HourlyMeter`] alone fills
/// them): energy, peaks, ramps, water, CO2, the tariff's bill, what broke and when, and the
/// interval, system-peak, per-pool and per-year meters a study asks for.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct MeterTally {
    pub energy_mwh: f64,
    pub it_energy_mwh: f64,
    pub peak_mw: f64,
    pub peak_step_mw: f64,
    pub load_factor: f64,
    pub pue: f64,
    pub sector_mwh: [f64; 4],
    pub load_bank_mwh: f64,
    pub cooling_mwh: f64,
    pub losses_mwh: f64,
    pub water_onsite_m3: f64,
    pub water_offsite_m3: f64,
    pub wue_l_per_kwh: f64,
    pub throttled_acc_h: f64,
    pub max_inlet_c: f64,
    pub plant_saturated_hours: f64,
    pub heat_not_removed_mwh: f64,
    pub co2_t: f64,
    pub cost_energy: f64,
    pub cost_demand: f64,
    pub cost_fixed: f64,
    pub cost_total: f64,
    pub drop_hours: f64,
    pub drop_worst_hour_requests: f64,
    pub drop_worst_at_s: f64,
    pub drop_first_at_s: f64,
    /// The worst cap shed so far, to tell when it happened (the grid's tally holds the figure).
    #[serde(skip)]
    pub curtailed_max_mw: f64,
    pub curtailed_worst_at_s: f64,
    pub curtailed_first_at_s: f64,
    pub plant_saturated_worst_at_s: f64,
    pub plant_saturated_worst_mwh: f64,
    pub plant_saturated_first_at_s: f64,
    pub unserved_hours: f64,
    pub unserved_worst_at_s: f64,
    pub unserved_worst_mwh: f64,
    pub unserved_first_at_s: f64,
    /// The whole run's ramps (the summary's `ramp_*` fields).
    pub ramps: RampFigures,
    pub system_peak_mw: Vec<f64>,
    pub interval_facility_mw: Vec<f64>,
    pub interval_it_mw: Vec<f64>,
    pub pool_drops: Vec<PoolDrops>,
    pub year_ramps: Vec<RampFigures>,
    pub year_figures: Vec<YearFigures>,
}

impl MeterTally {
    /// Every "when" set to -1 (never), the meter's starting point.
    pub fn never() -> MeterTally {
        MeterTally {
            drop_worst_at_s: -1.0,
            drop_first_at_s: -1.0,
            curtailed_worst_at_s: -1.0,
            curtailed_first_at_s: -1.0,
            plant_saturated_worst_at_s: -1.0,
            plant_saturated_first_at_s: -1.0,
            unserved_worst_at_s: -1.0,
            unserved_first_at_s: -1.0,
            ..MeterTally::default()
        }
    }

    fn flatten_into(self, s: &mut TrialSummary) {
        s.energy_mwh = self.energy_mwh;
        s.it_energy_mwh = self.it_energy_mwh;
        s.peak_mw = self.peak_mw;
        s.peak_step_mw = self.peak_step_mw;
        s.load_factor = self.load_factor;
        s.pue = self.pue;
        s.sector_mwh = self.sector_mwh;
        s.load_bank_mwh = self.load_bank_mwh;
        s.cooling_mwh = self.cooling_mwh;
        s.losses_mwh = self.losses_mwh;
        s.water_onsite_m3 = self.water_onsite_m3;
        s.water_offsite_m3 = self.water_offsite_m3;
        s.wue_l_per_kwh = self.wue_l_per_kwh;
        s.throttled_acc_h = self.throttled_acc_h;
        s.max_inlet_c = self.max_inlet_c;
        s.plant_saturated_hours = self.plant_saturated_hours;
        s.heat_not_removed_mwh = self.heat_not_removed_mwh;
        s.co2_t = self.co2_t;
        s.cost_energy = self.cost_energy;
        s.cost_demand = self.cost_demand;
        s.cost_fixed = self.cost_fixed;
        s.cost_total = self.cost_total;
        s.drop_hours = self.drop_hours;
        s.drop_worst_hour_requests = self.drop_worst_hour_requests;
        s.drop_worst_at_s = self.drop_worst_at_s;
        s.drop_first_at_s = self.drop_first_at_s;
        s.curtailed_worst_at_s = self.curtailed_worst_at_s;
        s.curtailed_first_at_s = self.curtailed_first_at_s;
        s.plant_saturated_worst_at_s = self.plant_saturated_worst_at_s;
        s.plant_saturated_worst_mwh = self.plant_saturated_worst_mwh;
        s.plant_saturated_first_at_s = self.plant_saturated_first_at_s;
        s.unserved_hours = self.unserved_hours;
        s.unserved_worst_at_s = self.unserved_worst_at_s;
        s.unserved_worst_mwh = self.unserved_worst_mwh;
        s.unserved_first_at_s = self.unserved_first_at_s;
        s.set_ramps(self.ramps);
        s.system_peak_mw = self.system_peak_mw;
        s.interval_facility_mw = self.interval_facility_mw;
        s.interval_it_mw = self.interval_it_mw;
        s.pool_drops = self.pool_drops;
        s.year_ramps = self.year_ramps;
        s.year_figures = self.year_figures;
    }
}

/// A layer's tally whose every field lands in [`TrialSummary`] under its own name: the struct
/// and its `flatten_into` from one field list, so a field added to the tally cannot be left out
/// of the flattening (the meter's tally, with a field kept for itself and its ramps set
/// through [`TrialSummary::set_ramps`], is written out by hand).
macro_rules! flat_tally {
    ($(#[$m:meta])* pub struct $name:ident { $(pub $f:ident: $t:ty,)* }) => {
        $(#[$m])*
        #[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(default)]
        pub struct $name {
            $(pub $f: $t,)*
        }

        impl $name {
            fn flatten_into(self, s: &mut TrialSummary) {
                $(s.$f = self.$f;)*
            }
        }
    };
}

flat_tally! {
    /// The grid layer's figures ([`super::grid::GridLayer`]): the import limit, cap shedding,
    /// demand response and outages.
    pub struct GridTally {
        pub exceed_hours: f64,
        pub exceed_mwh: f64,
        pub exceed_worst_mw: f64,
        pub shed_training_acc_h: f64,
        pub shed_industrial_acc_h: f64,
        pub deferred_consumer_acc_h: f64,
        pub cap_shortfall_hours: f64,
        pub curtailed_hours: f64,
        pub curtailed_mwh: f64,
        pub curtailed_max_mw: f64,
        pub dr_events: u64,
        pub dr_requested_mwh: f64,
        pub dr_delivered_mwh: f64,
        pub dr_shortfall_mwh: f64,
        pub dr_deferred_acc_h: f64,
        pub dr_outcomes: Vec<DrOutcome>,
        pub outage_hours: f64,
        pub ups_mwh: f64,
        pub generator_mwh: f64,
        pub unserved_mwh: f64,
        pub fuel_l: f64,
        pub generator_co2_t: f64,
        pub ups_unprotected_hours: f64,
    }
}

flat_tally! {
    /// The workloads' figures with the energy meter's split of them: requests per class, energy
    /// per holder, defense work and availability.
    pub struct WorkloadTally {
        pub requests_served: f64,
        pub requests_dropped: f64,
        pub requests_arrived: f64,
        pub requests_pending: f64,
        pub idle_unallocated_mwh: f64,
        pub classes: Vec<ClassTally>,
        pub twin_mwh: Vec<f64>,
        pub mission_mwh: Vec<f64>,
        pub pool_idle_unallocated_mwh: Vec<f64>,
        pub defense_unserved_acc_h: f64,
        pub defense_availability: f64,
        pub mission_availability: Vec<f64>,
    }
}

flat_tally! {
    /// The training layer's figures: its jobs, and what failures cost them.
    pub struct TrainingTally {
        pub jobs: Vec<super::meter::JobRecord>,
        pub training_jobs_completed: u64,
        pub training_interruptions: u64,
        pub training_lost_acc_h: f64,
    }
}

/// The facility layer's own figure (the hourly meter sums its per-step ones).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct FacilityTally {
    pub plant_unit_outage_hours: f64,
}

/// Each layer's tally of one trial, flattened into [`TrialSummary`] at its end.
#[derive(Default)]
pub struct Tallies {
    pub meter: MeterTally,
    pub grid: GridTally,
    pub work: WorkloadTally,
    pub training: TrainingTally,
    pub facility: FacilityTally,
}

impl TrialSummary {
    /// Trial `trial`'s summary from its layers' tallies: the flat form every file reads (and
    /// checkpoints keep), each field from the one layer that owns it. The run fills `params`
    /// and demand response's measured figures afterwards.
    pub fn assemble(trial: u32, t: Tallies) -> TrialSummary {
        let mut s = TrialSummary {
            trial,
            plant_unit_outage_hours: t.facility.plant_unit_outage_hours,
            ..TrialSummary::default()
        };
        t.meter.flatten_into(&mut s);
        t.grid.flatten_into(&mut s);
        t.work.flatten_into(&mut s);
        t.training.flatten_into(&mut s);
        s
    }
}

/// One calendar year's share of a trial's headline: sums and maxima of its hour rows, kept in
/// f64 as the whole-horizon figures are, so the years of a horizon add up to its totals.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct YearFigures {
    /// Hours of the horizon in the year (a partial last hour counts its share).
    pub hours: f64,
    pub energy_mwh: f64,
    pub it_energy_mwh: f64,
    /// Highest hourly mean and highest single step of facility demand, MW.
    pub peak_mw: f64,
    pub peak_step_mw: f64,
    pub water_onsite_m3: f64,
    /// Facility demand the import cap shed, MWh.
    pub curtailed_mwh: f64,
}

impl YearFigures {
    /// Mean over peak hourly demand, as the whole horizon's `load_factor`.
    pub fn load_factor(&self) -> f64 {
        if self.peak_mw > 0.0 && self.hours > 0.0 {
            self.energy_mwh / self.hours / self.peak_mw
        } else {
            0.0
        }
    }

    pub fn pue(&self) -> f64 {
        ratio(self.energy_mwh, self.it_energy_mwh)
    }

    /// On-site water per IT energy, L/kWh (m3 per MWh is the same number).
    pub fn wue_l_per_kwh(&self) -> f64 {
        ratio(self.water_onsite_m3, self.it_energy_mwh)
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// One pool's dropped requests: hours with any, the requests, the worst hour's count and its
/// start, and the first step dropping work (seconds from the start, -1 for never).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PoolDrops {
    pub hours: f64,
    pub requests: f64,
    pub worst_hour_requests: f64,
    pub worst_at_s: f64,
    pub first_at_s: f64,
}

impl Default for PoolDrops {
    fn default() -> PoolDrops {
        PoolDrops {
            hours: 0.0,
            requests: 0.0,
            worst_hour_requests: 0.0,
            worst_at_s: -1.0,
            first_at_s: -1.0,
        }
    }
}

/// A span's ramp figures, as the whole-run `ramp_*` fields of [`TrialSummary`]: the largest
/// rise and fall per step, per 15 minutes and per hour (MW) with when they happened (seconds
/// from the start, -1 for none), and the threshold counts.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RampFigures {
    pub up_step_mw: f64,
    pub down_step_mw: f64,
    pub up_15min_mw: f64,
    pub down_15min_mw: f64,
    pub up_hour_mw: f64,
    pub down_hour_mw: f64,
    pub up_step_at_s: f64,
    pub down_step_at_s: f64,
    pub up_15min_at_s: f64,
    pub down_15min_at_s: f64,
    pub up_hour_at_s: f64,
    pub down_hour_at_s: f64,
    pub steps_over: Vec<f64>,
    pub min15_over: Vec<f64>,
}

impl Default for RampFigures {
    fn default() -> RampFigures {
        RampFigures::new(0)
    }
}

impl TrialSummary {
    /// The whole run's ramps into the flat `ramp_*` fields the files read.
    pub fn set_ramps(&mut self, r: RampFigures) {
        self.ramp_up_step_mw = r.up_step_mw;
        self.ramp_down_step_mw = r.down_step_mw;
        self.ramp_up_15min_mw = r.up_15min_mw;
        self.ramp_down_15min_mw = r.down_15min_mw;
        self.ramp_up_hour_mw = r.up_hour_mw;
        self.ramp_down_hour_mw = r.down_hour_mw;
        self.ramp_up_step_at_s = r.up_step_at_s;
        self.ramp_down_step_at_s = r.down_step_at_s;
        self.ramp_up_15min_at_s = r.up_15min_at_s;
        self.ramp_down_15min_at_s = r.down_15min_at_s;
        self.ramp_up_hour_at_s = r.up_hour_at_s;
        self.ramp_down_hour_at_s = r.down_hour_at_s;
        self.ramp_steps_over = r.steps_over;
        self.ramp_15min_over = r.min15_over;
    }
}

/// The worst rise and fall of one kind of ramp (MW, and when: -1 for never) and its threshold
/// counts: the one tracker every ramp figure goes through.
fn track(
    d_mw: f64,
    at_s: f64,
    up: (&mut f64, &mut f64),
    down: (&mut f64, &mut f64),
    over: &mut [f64],
    thresholds: &[f64],
) {
    if d_mw > *up.0 {
        *up.0 = d_mw;
        *up.1 = at_s;
    }
    if -d_mw > *down.0 {
        *down.0 = -d_mw;
        *down.1 = at_s;
    }
    for (c, &t) in over.iter_mut().zip(thresholds) {
        if d_mw.abs() > t {
            *c += 1.0;
        }
    }
}

impl RampFigures {
    /// No ramp yet, with `n` threshold counts at zero.
    pub fn new(n: usize) -> RampFigures {
        RampFigures {
            up_step_mw: 0.0,
            down_step_mw: 0.0,
            up_15min_mw: 0.0,
            down_15min_mw: 0.0,
            up_hour_mw: 0.0,
            down_hour_mw: 0.0,
            up_step_at_s: -1.0,
            down_step_at_s: -1.0,
            up_15min_at_s: -1.0,
            down_15min_at_s: -1.0,
            up_hour_at_s: -1.0,
            down_hour_at_s: -1.0,
            steps_over: vec![0.0; n],
            min15_over: vec![0.0; n],
        }
    }

    /// A change of `d` W between consecutive steps, the later at `at_s`.
    pub fn step(&mut self, d: f64, at_s: f64, thresholds: &[f64]) {
        track(
            d / 1e6,
            at_s,
            (&mut self.up_step_mw, &mut self.up_step_at_s),
            (&mut self.down_step_mw, &mut self.down_step_at_s),
            &mut self.steps_over,
            thresholds,
        );
    }

    /// A change of `d` W between consecutive 15-minute means, the later starting at `at_s`.
    pub fn block(&mut self, d: f64, at_s: f64, thresholds: &[f64]) {
        track(
            d / 1e6,
            at_s,
            (&mut self.up_15min_mw, &mut self.up_15min_at_s),
            (&mut self.down_15min_mw, &mut self.down_15min_at_s),
            &mut self.min15_over,
            thresholds,
        );
    }

    /// A change of `d_mw` MW between consecutive hourly means, the later starting at `at_s`.
    pub fn hour(&mut self, d_mw: f64, at_s: f64) {
        track(
            d_mw,
            at_s,
            (&mut self.up_hour_mw, &mut self.up_hour_at_s),
            (&mut self.down_hour_mw, &mut self.down_hour_at_s),
            &mut [],
            &[],
        );
    }
}

/// The default ramp thresholds and their most, defined with `[grid] ramp_thresholds_mw`.
pub use crate::model::grid::site::{RAMP_THRESHOLDS_MAX, RAMP_THRESHOLDS_MW};

/// A consumer class's requests and energy over the horizon.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassTally {
    pub arrived: u64,
    pub served: u64,
    pub dropped: u64,
    /// Queued or held by demand response at the horizon.
    pub pending: u64,
    /// Attributed IT energy (dynamic plus the idle of the accelerators it kept busy), MWh.
    pub mwh: f64,
    /// The dynamic part alone: the marginal energy of its requests, MWh.
    pub marginal_mwh: f64,
    /// `mwh` at the meter: each hour's share times that hour's facility / IT ratio, MWh.
    #[serde(default)]
    pub mwh_at_meter: f64,
}

#[derive(Clone, Debug)]
pub struct TrialResult {
    /// `hours x n` with n = `Scenario::metrics().len()`, hour-major.
    pub hourly: Vec<f32>,
    pub summary: TrialSummary,
    /// CPU milliseconds the trial took on its thread, set by the run that simulated it (None
    /// for a trial read back from its record, or where the platform has no thread CPU clock):
    /// `run_info.json`'s `trial_cpu_ms`, not part of the outputs.
    pub cpu_ms: Option<f64>,
}

/// Leaves a figure a study does not have out of a trial's record (its bytes stay those of a
/// study before the figure existed).
fn is_zero(x: &f64) -> bool {
    *x == 0.0
}
