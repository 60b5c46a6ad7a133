//! The grid layer: the interconnection's import limit (record exceedances, or shed flexible load
//! to stay under it), demand-response events, grid outages with the UPS and generators that ride
//! them through.
//!
//! Inputs: the pools' busy work and a way to price it (IT and facility power of a given busy
//! state: fleet power then the facility's estimate). Shedding is a fixed point within the step:
//! cut a sector, re-price, repeat until under the target or nothing is left. Outputs: the shed
//! pools, and a [`Curtailment`] signal for the workloads to defer what was cut.

use super::bus::{PoolStep, sum_busy};
use super::events::Event;
use super::fleet::{shed_sector, sheddable_w};
use super::summary::TrialSummary;
use super::workload::{Curtailment, YEAR_S};
use crate::fleet::{Fleet, Sector};
use crate::grid::demand_response::{DrOutcome, Reduction};
use crate::grid::outage::{Backup, OutageState};
use crate::grid::site::{Grid, LimitPolicy};
use crate::rng::{Stream, TAG_GRID, exponential, poisson_count, stream, uniform};
use crate::time::{Calendar, SimTime};

/// Sectors shed, in order, when the site must come down: training pauses first, consumer
/// requests are degraded (deferred to the queue), twins slow; defense is never shed.
pub const SHED_ORDER: [Sector; 3] = [Sector::Training, Sector::Consumer, Sector::Industrial];

pub struct GridLayer {
    rng: Stream,
    outage: OutageState,
    /// End of the latest outage that has started (overlapping outages merge).
    outage_end_s: u64,
    /// End times of this trial's outages, to merge overlaps.
    outage_ends: Vec<u64>,
    /// Failed UPS modules.
    ups_down: f64,
    ups_unprotected_s: f64,
    /// This trial's demand-response events: (start s, duration s, reduction).
    dr_events: Vec<(u64, u64, Reduction)>,
    dr_active: Option<usize>,
    /// Reduction asked in the active event, W (fixed at its first step).
    dr_request_w: f64,
    dr_requested_j: f64,
    dr_delivered_j: f64,
    pub dr_outcomes: Vec<DrOutcome>,
    /// Whole-horizon figures this layer owns (copied into the trial summary at the end).
    pub totals: TrialSummary,
}

/// What load costs at the meter this step: shedding re-prices the pools after each cut.
pub trait Price {
    /// Facility power for the current IT power (without advancing any state), W.
    fn facility_w(&self, it_w: f64) -> f64;
    /// Re-prices the pools' busy work: (IT W, facility W).
    fn reprice(&mut self, pools: &mut [PoolStep]) -> (f64, f64);
}

/// The step's grid figures for the hourly meter.
#[derive(Clone, Copy, Debug, Default)]
pub struct GridStep {
    /// Facility load curtailed by a cap this step, W.
    pub curtailed_w: f64,
}

impl GridLayer {
    /// The trial's grid state; outages and demand-response events (scheduled, then random ones
    /// drawn from the grid's stream) go to `pending`.
    pub fn new(
        grid: &Grid,
        calendar: &Calendar,
        seed: u64,
        trial: u32,
        horizon_s: u64,
        pending: &mut Vec<(u64, Event)>,
    ) -> GridLayer {
        let mut g = GridLayer {
            rng: stream(seed, TAG_GRID, trial),
            outage: OutageState::default(),
            outage_end_s: 0,
            outage_ends: Vec::new(),
            ups_down: 0.0,
            ups_unprotected_s: 0.0,
            dr_events: Vec::new(),
            dr_active: None,
            dr_request_w: f64::NAN,
            dr_requested_j: 0.0,
            dr_delivered_j: 0.0,
            dr_outcomes: Vec::new(),
            totals: TrialSummary::default(),
        };
        if let Some(b) = &grid.backup {
            let mut outages = b.scheduled.clone();
            if b.per_year > 0.0 {
                let n = poisson_count(b.per_year * horizon_s as f64 / YEAR_S, &mut g.rng) as u64;
                for _ in 0..n {
                    let s = (uniform(&mut g.rng) * horizon_s as f64) as u64;
                    let d = exponential(b.mean_s, &mut g.rng).round().max(1.0) as u64;
                    outages.push((s, d));
                }
            }
            for (s, d) in outages {
                pending.push((s, Event::OutageStart));
                pending.push((s + d, Event::OutageEnd));
                g.outage_ends.push(s + d);
            }
        }
        if let Some(dr) = &grid.demand_response {
            let mut events = dr.scheduled.clone();
            if let Some((per_year, months, weekdays_only, start_hour_s, dur_s, red)) = &dr.random {
                // Candidate days: those of the horizon in the allowed months (and weekdays).
                let days: Vec<u64> = (0..horizon_s / 86_400)
                    .filter(|&d| {
                        let t = SimTime(d * 86_400);
                        let m = calendar.date(t).month;
                        let wd = calendar.weekday(t, calendar.utc_offset_s());
                        (months.is_empty() || months.contains(&m)) && (!weekdays_only || wd < 5)
                    })
                    .collect();
                if !days.is_empty() {
                    let n =
                        poisson_count(per_year * horizon_s as f64 / YEAR_S, &mut g.rng) as usize;
                    for _ in 0..n {
                        let d = days[((uniform(&mut g.rng) * days.len() as f64) as usize)
                            .min(days.len() - 1)];
                        events.push((d * 86_400 + start_hour_s, *dur_s, *red));
                    }
                }
            }
            events.sort_by_key(|e| e.0);
            for (i, (s, d, _)) in events.iter().enumerate() {
                pending.push((*s, Event::DrStart { idx: i as u32 }));
                pending.push((s + d, Event::DrEnd { idx: i as u32 }));
            }
            g.dr_events = events;
        }
        g
    }

    pub fn dr_active(&self) -> bool {
        self.dr_active.is_some()
    }

    /// Demand-response and outage events.
    pub fn on_event(&mut self, grid: &Grid, e: Event, now: u64) {
        match e {
            // Overlapping events: the later one is not executed.
            Event::DrStart { idx } if self.dr_active.is_none() => {
                self.dr_active = Some(idx as usize);
                self.dr_request_w = f64::NAN;
                self.dr_requested_j = 0.0;
                self.dr_delivered_j = 0.0;
            }
            Event::DrEnd { idx } if self.dr_active == Some(idx as usize) => {
                let (start, dur, _) = self.dr_events[idx as usize];
                let d = dur.max(1) as f64;
                self.dr_outcomes.push(DrOutcome {
                    start_s: start,
                    duration_s: dur,
                    requested_mw: self.dr_requested_j / d / 1e6,
                    delivered_mw: self.dr_delivered_j / d / 1e6,
                    ..DrOutcome::default()
                });
                self.dr_active = None;
            }
            Event::OutageStart => {
                if let Some(b) = &grid.backup {
                    // The end of this outage: the earliest end at or after now among the trial's
                    // outages that started (merging overlaps to the latest).
                    let end = self
                        .outage_ends
                        .iter()
                        .copied()
                        .filter(|&e| e > now)
                        .min()
                        .unwrap_or(now);
                    if !self.outage.active {
                        let ok = uniform(&mut self.rng) >= b.fail_to_start;
                        let share = self.ups_protected_share(b);
                        self.outage.start(b, now, ok, share);
                    }
                    self.outage_end_s = self.outage_end_s.max(end);
                }
            }
            Event::OutageEnd if now >= self.outage_end_s => {
                self.outage.active = false;
            }
            _ => {}
        }
    }

    /// Demand response, then the import limit, on the served pools drawing `it_w`. `dr_on =
    /// false` runs the counterfactual baseline (events recorded, nothing shed).
    #[allow(clippy::too_many_arguments)]
    pub fn curtail(
        &mut self,
        grid: &Grid,
        fleet: &Fleet,
        dr_on: bool,
        now: u64,
        dt: u64,
        pools: &mut [PoolStep],
        it_w: f64,
        price: &mut impl Price,
    ) -> (GridStep, Curtailment) {
        let dt_f = dt as f64;
        let mut it_w = it_w;
        let mut cut = Curtailment::default();
        let sum = &mut self.totals;
        // Under a cap, the load above the limit would be shed anyway: the event's target and
        // its share are taken from the capped demand, and that part counts as cap curtailment.
        let cap_w = grid
            .limit
            .and_then(|(l, p)| (p == LimitPolicy::Cap).then_some(l));
        let mut curtailed_w = 0.0;
        let mut fac_w;
        if let (true, Some(dr), Some(ev)) = (dr_on, &grid.demand_response, self.dr_active) {
            // Shed flexible load by the amount asked, within each sector's flexibility and
            // response time; the work comes back after the event.
            fac_w = price.facility_w(it_w);
            let uncapped = fac_w;
            let baseline = cap_w.map_or(fac_w, |l| fac_w.min(l));
            let (ev_start, _, reduction) = self.dr_events[ev];
            if self.dr_request_w.is_nan() {
                self.dr_request_w = match reduction {
                    Reduction::Mw(w) => w,
                    Reduction::Share(p) => baseline * p,
                };
            }
            let target = baseline - self.dr_request_w;
            let elapsed = (now.saturating_sub(ev_start) + dt) as f64;
            let before = sum_busy(pools);
            for (k, sector) in SHED_ORDER.iter().enumerate() {
                let ramp = if dr.response_s[k] > 0.0 {
                    (elapsed / dr.response_s[k]).min(1.0)
                } else {
                    1.0
                };
                let mut allowance_w = dr.flexibility[k] * ramp * sheddable_w(fleet, pools, *sector);
                for _ in 0..4 {
                    if fac_w <= target || allowance_w <= 1.0 {
                        break;
                    }
                    let ratio = if it_w > 0.0 { fac_w / it_w } else { 1.0 };
                    let aim = ((fac_w - target) / ratio * 1.01).min(allowance_w);
                    if !shed_sector(fleet, pools, *sector, aim) {
                        break;
                    }
                    allowance_w -= aim;
                    (it_w, fac_w) = price.reprice(pools);
                }
            }
            let after = sum_busy(pools);
            let tr = Sector::Training as usize;
            if before[tr] > after[tr] {
                // Paused training: running jobs end later by the paused share of the step.
                cut.training_pause_s = ((1.0 - after[tr] / before[tr]) * dt_f).round() as u64;
                sum.dr_deferred_acc_h += (before[tr] - after[tr]) * dt_f / 3600.0;
            }
            let ind = Sector::Industrial as usize;
            if before[ind] > after[ind] {
                let shed = (before[ind] - after[ind]) * dt_f;
                cut.twin_backlog_acc_s = shed;
                sum.dr_deferred_acc_h += shed / 3600.0;
            }
            let con = Sector::Consumer as usize;
            if before[con] > after[con] {
                cut.dr_consumer = true;
                sum.dr_deferred_acc_h += (before[con] - after[con]) * dt_f / 3600.0;
            }
            self.dr_requested_j += self.dr_request_w * dt_f;
            self.dr_delivered_j += (baseline - fac_w) * dt_f;
            sum.dr_shortfall_mwh +=
                (self.dr_request_w - (baseline - fac_w)).max(0.0) * dt_f / 3.6e9;
            curtailed_w += (uncapped - baseline).min(uncapped - fac_w).max(0.0);
        }
        for ps in pools.iter_mut() {
            ps.after_dr_busy = ps.busy;
        }
        // The interconnection: record exceedances, or shed flexible load to stay under.
        if let Some((limit_w, policy)) = grid.limit {
            fac_w = price.facility_w(it_w);
            if policy == LimitPolicy::Cap && fac_w > limit_w {
                let fac_before = fac_w;
                let before = sum_busy(pools);
                for sector in SHED_ORDER {
                    for _ in 0..8 {
                        if fac_w <= limit_w {
                            break;
                        }
                        // IT to shed: the excess over the average facility/IT ratio, plus 1 %
                        // (fixed loads make the marginal ratio lower than the average).
                        let ratio = if it_w > 0.0 { fac_w / it_w } else { 1.0 };
                        let need_w = (fac_w - limit_w) / ratio * 1.01 + 1.0;
                        if !shed_sector(fleet, pools, sector, need_w) {
                            break;
                        }
                        (it_w, fac_w) = price.reprice(pools);
                    }
                }
                let after = sum_busy(pools);
                let shed_acc_s = |s: Sector| (before[s as usize] - after[s as usize]) * dt_f;
                sum.shed_training_acc_h += shed_acc_s(Sector::Training) / 3600.0;
                sum.shed_industrial_acc_h += shed_acc_s(Sector::Industrial) / 3600.0;
                let consumer_shed = shed_acc_s(Sector::Consumer);
                if consumer_shed > 0.0 {
                    // Shed consumer work goes back to its class's queue (deferred, not lost).
                    cut.cap_consumer = true;
                    sum.deferred_consumer_acc_h += consumer_shed / 3600.0;
                }
                if fac_w > limit_w {
                    sum.cap_shortfall_hours += dt_f / 3600.0;
                }
                curtailed_w += (fac_before - fac_w).max(0.0);
            }
            if curtailed_w > 0.0 {
                sum.curtailed_hours += dt_f / 3600.0;
                sum.curtailed_mwh += curtailed_w * dt_f / 3.6e9;
                sum.curtailed_max_mw = sum.curtailed_max_mw.max(curtailed_w / 1e6);
            }
            if fac_w > limit_w {
                sum.exceed_hours += dt_f / 3600.0;
                sum.exceed_mwh += (fac_w - limit_w) * dt_f / 3600.0 / 1e6;
                sum.exceed_worst_mw = sum.exceed_worst_mw.max((fac_w - limit_w) / 1e6);
            }
        } else {
            // Without a limit nothing is counted as curtailment.
            curtailed_w = 0.0;
        }
        (GridStep { curtailed_w }, cut)
    }

    /// Share of the load the working UPS modules protect.
    fn ups_protected_share(&self, b: &Backup) -> f64 {
        match b.ups_modules {
            Some((needed, installed, _, _)) => {
                ((f64::from(installed) - self.ups_down) / f64::from(needed)).min(1.0)
            }
            None => 1.0,
        }
    }

    /// UPS module failures and repairs, and an outage's energy from the UPS, generators and
    /// what goes unserved, for a step drawing `facility_w`.
    pub fn backup_step(&mut self, grid: &Grid, now: u64, facility_w: f64, dt_s: f64) {
        let Some(b) = &grid.backup else {
            return;
        };
        if let Some((_, installed, fail_per_s, repair_s)) = b.ups_modules {
            let working = f64::from(installed) - self.ups_down;
            let failed = poisson_count(fail_per_s * dt_s * working, &mut self.rng).min(working);
            let repaired = if self.ups_down > 0.0 {
                poisson_count(self.ups_down * dt_s / repair_s, &mut self.rng).min(self.ups_down)
            } else {
                0.0
            };
            self.ups_down += failed - repaired;
            if self.ups_protected_share(b) < 1.0 {
                self.ups_unprotected_s += dt_s;
            }
        }
        if self.outage.active {
            let o = self.outage.step(b, now, facility_w, dt_s);
            let s = &mut self.totals;
            s.outage_hours += dt_s / 3600.0;
            s.ups_mwh += o.ups_j / 3.6e9;
            s.generator_mwh += o.generator_j / 3.6e9;
            s.unserved_mwh += o.unserved_j / 3.6e9;
        }
    }

    /// Copies the layer's figures into the trial summary.
    pub fn finish(&mut self, sum: &mut TrialSummary) {
        let t = &self.totals;
        sum.dr_deferred_acc_h = t.dr_deferred_acc_h;
        sum.dr_shortfall_mwh = t.dr_shortfall_mwh;
        sum.shed_training_acc_h = t.shed_training_acc_h;
        sum.shed_industrial_acc_h = t.shed_industrial_acc_h;
        sum.deferred_consumer_acc_h = t.deferred_consumer_acc_h;
        sum.cap_shortfall_hours = t.cap_shortfall_hours;
        sum.curtailed_hours = t.curtailed_hours;
        sum.curtailed_mwh = t.curtailed_mwh;
        sum.curtailed_max_mw = t.curtailed_max_mw;
        sum.exceed_hours = t.exceed_hours;
        sum.exceed_mwh = t.exceed_mwh;
        sum.exceed_worst_mw = t.exceed_worst_mw;
        sum.outage_hours = t.outage_hours;
        sum.ups_mwh = t.ups_mwh;
        sum.generator_mwh = t.generator_mwh;
        sum.unserved_mwh = t.unserved_mwh;
        sum.ups_unprotected_hours = self.ups_unprotected_s / 3600.0;
        sum.fuel_l = sum.generator_mwh * crate::grid::outage::DIESEL_L_PER_MWH;
        sum.generator_co2_t = sum.fuel_l * crate::grid::outage::DIESEL_KG_CO2_PER_L / 1000.0;
        sum.dr_outcomes = std::mem::take(&mut self.dr_outcomes);
        sum.dr_events = sum.dr_outcomes.len() as u64;
        sum.dr_requested_mwh = sum
            .dr_outcomes
            .iter()
            .map(|o| o.requested_mw * o.duration_s as f64 / 3600.0)
            .sum();
        sum.dr_delivered_mwh = sum
            .dr_outcomes
            .iter()
            .map(|o| o.delivered_mw * o.duration_s as f64 / 3600.0)
            .sum();
    }
}
