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
use super::summary::GridTally;
use super::workload::{Curtailment, YEAR_S};
use crate::base::rng::{Stream, TAG_GRID, exponential, poisson_count, stream, uniform};
use crate::base::time::{Calendar, SimTime};
use crate::model::fleet::{Fleet, Sector};
use crate::model::grid::demand_response::{DrOutcome, Reduction};
use crate::model::grid::outage::{Backup, OutageState};
use crate::model::grid::site::{Grid, LimitPolicy};

/// Sectors shed, in order, when the site must come down: training pauses first, consumer
/// requests are degraded (deferred to the queue), twins slow; defense is never shed.
pub const SHED_ORDER: [Sector; 3] = [Sector::Training, Sector::Consumer, Sector::Industrial];

pub struct GridLayer {
    rng: Stream,
    outage: OutageState,
    /// End of the latest outage that has started (overlapping outages merge).
    outage_end_s: u64,
    /// End times of this trial's outages, ascending, to merge overlaps.
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
    /// Whole-horizon figures this layer owns (flattened into the trial summary at the end).
    pub totals: GridTally,
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
            totals: GridTally::default(),
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
            // Sorted, so each outage start finds its end by binary search (a scan per start
            // made 100,000 outages quadratic).
            g.outage_ends.sort_unstable();
        }
        if let Some(dr) = &grid.demand_response {
            // Event days and hours are local (wall clock): `s` seconds of local time after the
            // start's midnight, to simulation seconds (the identity on a fixed-offset clock).
            let to_sim = |s: u64| {
                calendar
                    .from_local_s_compatible(calendar.local_s(0) + s as i64)
                    .max(0) as u64
            };
            let mut events: Vec<_> = dr
                .scheduled
                .iter()
                .map(|&(s, d, r)| (to_sim(s), d, r))
                .collect();
            if let Some((per_year, months, weekdays_only, start_hour_s, dur_s, red)) = &dr.random {
                // Candidate days: those of the horizon in the allowed months (and weekdays).
                let days: Vec<u64> = (0..horizon_s / 86_400)
                    .filter(|&d| {
                        let t = SimTime(to_sim(d * 86_400));
                        let m = calendar.date(t).month;
                        let wd = calendar.local_weekday(t);
                        (months.is_empty() || months.contains(&m)) && (!weekdays_only || wd < 5)
                    })
                    .collect();
                if !days.is_empty() {
                    let n =
                        poisson_count(per_year * horizon_s as f64 / YEAR_S, &mut g.rng) as usize;
                    for _ in 0..n {
                        let d = days[((uniform(&mut g.rng) * days.len() as f64) as usize)
                            .min(days.len() - 1)];
                        events.push((to_sim(d * 86_400 + start_hour_s), *dur_s, *red));
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
                    let ends = &self.outage_ends;
                    let end = ends
                        .get(ends.partition_point(|&e| e <= now))
                        .copied()
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
    /// what goes unserved, for a step drawing `facility_w`; returns the unserved power, W.
    pub fn backup_step(&mut self, grid: &Grid, now: u64, facility_w: f64, dt_s: f64) -> f64 {
        let Some(b) = &grid.backup else {
            return 0.0;
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
            return o.unserved_j / dt_s;
        }
        0.0
    }

    /// The layer's tally at the horizon: what it summed step by step, the outages' fuel, and
    /// each demand-response event's outcome.
    pub fn finish(&mut self) -> GridTally {
        let mut t = std::mem::take(&mut self.totals);
        t.ups_unprotected_hours = self.ups_unprotected_s / 3600.0;
        t.fuel_l = t.generator_mwh * crate::model::grid::outage::DIESEL_L_PER_MWH;
        t.generator_co2_t = t.fuel_l * crate::model::grid::outage::DIESEL_KG_CO2_PER_L / 1000.0;
        t.dr_outcomes = std::mem::take(&mut self.dr_outcomes);
        t.dr_events = t.dr_outcomes.len() as u64;
        t.dr_requested_mwh = t
            .dr_outcomes
            .iter()
            .map(|o| o.requested_mw * o.duration_s as f64 / 3600.0)
            .sum();
        t.dr_delivered_mwh = t
            .dr_outcomes
            .iter()
            .filter(|o| o.measured())
            .map(|o| o.delivered_mw * o.duration_s as f64 / 3600.0)
            .sum();
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::time::Date;
    use crate::model::fleet::Pool;
    use crate::model::grid::demand_response::{Baseline, DemandResponse};
    use crate::sim::events::EventQueue;
    use crate::sim::test_support::{close, pump, queue};

    /// A test price: a pool of 100 accelerators idling at 20 kW, 1,000 W per busy
    /// accelerator-equivalent, at a fixed PUE of 1.2.
    struct Linear;
    const IDLE_W: f64 = 20_000.0;
    const W_BUSY: f64 = 1000.0;
    const PUE: f64 = 1.2;

    impl Price for Linear {
        fn facility_w(&self, it_w: f64) -> f64 {
            it_w * PUE
        }
        fn reprice(&mut self, pools: &mut [PoolStep]) -> (f64, f64) {
            let busy: f64 = pools.iter().map(|p| p.busy.iter().sum::<f64>()).sum();
            let it = IDLE_W + busy * W_BUSY;
            (it, it * PUE)
        }
    }

    fn fleet() -> Fleet {
        Fleet {
            groups: Vec::new(),
            pools: vec![Pool {
                name: "p".into(),
                groups: Vec::new(),
                accelerators: 100.0,
                capacity: 100.0,
                inv_capacity: 0.01,
                watts_per_busy: W_BUSY,
                idle_w_per_capacity: IDLE_W / 100.0,
                primary: Sector::Consumer,
                reserve: Default::default(),
            }],
        }
    }

    /// Busy: consumer 30, industrial 10, training 40, defense 5: IT 105 kW, facility 126 kW.
    fn loaded() -> Vec<PoolStep> {
        let mut p = PoolStep::fresh(100.0, 0.01);
        p.busy = [30.0, 10.0, 40.0, 5.0];
        p.served_busy = p.busy;
        p.after_dr_busy = p.busy;
        vec![p]
    }
    const IT_W: f64 = 105_000.0;

    fn layer(grid: &Grid) -> (GridLayer, EventQueue) {
        let cal = Calendar::new(Date::parse("2025-01-06").unwrap(), 0);
        let mut pending = Vec::new();
        let g = GridLayer::new(grid, &cal, 1, 0, 86_400, &mut pending);
        (g, queue(pending))
    }

    /// Cap at 60 kW (IT 50 kW). Training goes first: the aim (126 - 60) / 1.2 x 1.01 + 1 W
    /// = 55,551 W is more than its 40 kW, so all of it (facility 78 kW). Then consumer: aim
    /// 18,000 / 1.2 x 1.01 + 1 = 15,151 W of its 30 kW, leaving 14.849 busy: IT 49,849 W,
    /// facility 59,818.8 W. Twins and defense are untouched.
    #[test]
    fn a_cap_sheds_training_then_consumer_down_to_the_limit() {
        let grid = Grid {
            limit: Some((60_000.0, LimitPolicy::Cap)),
            ..Grid::default()
        };
        let (mut g, _) = layer(&grid);
        let mut pools = loaded();
        let (step, cut) = g.curtail(&grid, &fleet(), true, 0, 60, &mut pools, IT_W, &mut Linear);
        let b = pools[0].busy;
        assert_eq!(b[Sector::Training as usize], 0.0);
        close(b[Sector::Consumer as usize], 14.849, 1e-12, "consumer left");
        assert_eq!(b[Sector::Industrial as usize], 10.0);
        assert_eq!(b[Sector::Defense as usize], 5.0);
        let fac_after = 59_818.8;
        close(step.curtailed_w, 126_000.0 - fac_after, 1e-9, "curtailed W");
        assert!(cut.cap_consumer && !cut.dr_consumer);
        assert_eq!((cut.training_pause_s, cut.twin_backlog_acc_s), (0, 0.0));
        let t = &g.totals;
        close(t.shed_training_acc_h, 40.0 / 60.0, 1e-12, "training acc-h");
        close(
            t.deferred_consumer_acc_h,
            15.151 / 60.0,
            1e-12,
            "consumer acc-h",
        );
        assert_eq!(t.shed_industrial_acc_h, 0.0);
        close(t.curtailed_hours, 1.0 / 60.0, 1e-12, "curtailed hours");
        close(
            t.curtailed_mwh,
            66_181.2 * 60.0 / 3.6e9,
            1e-9,
            "curtailed MWh",
        );
        close(t.curtailed_max_mw, 0.0661812, 1e-9, "curtailed max MW");
        assert_eq!((t.cap_shortfall_hours, t.exceed_hours), (0.0, 0.0));
    }

    /// Cap at 29 kW: everything flexible goes (IT 25 kW = idle + defense, facility 30 kW) and
    /// the site is still 1 kW over: a shortfall and an exceedance of one 60-s step.
    #[test]
    fn a_cap_that_cannot_be_met_sheds_all_flexible_load_and_counts_the_shortfall() {
        let grid = Grid {
            limit: Some((29_000.0, LimitPolicy::Cap)),
            ..Grid::default()
        };
        let (mut g, _) = layer(&grid);
        let mut pools = loaded();
        g.curtail(&grid, &fleet(), true, 0, 60, &mut pools, IT_W, &mut Linear);
        assert_eq!(pools[0].busy, [0.0, 0.0, 0.0, 5.0]);
        let t = &g.totals;
        close(
            t.shed_industrial_acc_h,
            10.0 / 60.0,
            1e-12,
            "industrial acc-h",
        );
        close(t.cap_shortfall_hours, 1.0 / 60.0, 1e-12, "shortfall hours");
        close(t.exceed_hours, 1.0 / 60.0, 1e-12, "exceed hours");
        close(t.exceed_mwh, 1000.0 * 60.0 / 3.6e9, 1e-9, "exceed MWh");
        close(t.exceed_worst_mw, 0.001, 1e-9, "worst MW");
    }

    /// Record at 100 kW: steps at 126, 105 and 60 kW facility exceed by 26 and 5 kW; nothing
    /// is shed.
    #[test]
    fn record_counts_exceedances_exactly() {
        let grid = Grid {
            limit: Some((100_000.0, LimitPolicy::Record)),
            ..Grid::default()
        };
        let (mut g, _) = layer(&grid);
        for (k, it) in [IT_W, 87_500.0, 50_000.0].into_iter().enumerate() {
            let mut pools = loaded();
            let (step, cut) = g.curtail(
                &grid,
                &fleet(),
                true,
                k as u64 * 60,
                60,
                &mut pools,
                it,
                &mut Linear,
            );
            assert_eq!(pools[0].busy, loaded()[0].busy);
            assert_eq!(step.curtailed_w, 0.0);
            assert!(!cut.cap_consumer);
        }
        let t = &g.totals;
        close(t.exceed_hours, 2.0 / 60.0, 1e-12, "exceed hours");
        close(t.exceed_mwh, 31_000.0 * 60.0 / 3.6e9, 1e-12, "exceed MWh");
        close(t.exceed_worst_mw, 0.026, 1e-12, "worst MW");
        assert_eq!((t.curtailed_hours, t.cap_shortfall_hours), (0.0, 0.0));
    }

    fn dr_grid(reduce_w: f64) -> Grid {
        dr_grid_response(reduce_w, [0.0; 3])
    }

    fn dr_grid_response(reduce_w: f64, response_s: [f64; 3]) -> Grid {
        Grid {
            demand_response: Some(DemandResponse {
                scheduled: vec![(0, 3600, Reduction::Mw(reduce_w))],
                random: None,
                flexibility: [1.0, 0.3, 0.2],
                response_s,
                baseline: Baseline::Counterfactual,
                rebound_s: 3600,
            }),
            ..Grid::default()
        }
    }

    /// Asked 30 kW off 126 kW: training alone can give it. Aim 30,000 / 1.2 x 1.01 = 25,250 W
    /// of its 40 kW: 14.75 busy left, facility 95.7 kW, 30.3 kW delivered (the 1 % margin).
    /// The event's outcome after this one 60-s step of a 1-h event: 30 kW x 60 / 3,600.
    #[test]
    fn demand_response_sheds_what_is_asked() {
        let grid = dr_grid(30_000.0);
        let (mut g, mut q) = layer(&grid);
        pump(&mut q, 0, |e, t, _| g.on_event(&grid, e, t));
        assert!(g.dr_active());
        let mut pools = loaded();
        let (step, cut) = g.curtail(&grid, &fleet(), true, 0, 60, &mut pools, IT_W, &mut Linear);
        let b = pools[0].busy;
        close(b[Sector::Training as usize], 14.75, 1e-12, "training left");
        assert_eq!((b[0], b[1], b[3]), (30.0, 10.0, 5.0));
        let (_, fac) = Linear.reprice(&mut pools);
        close(fac, 95_700.0, 1e-12, "facility W");
        let delivered = 126_000.0 - fac;
        assert!(
            (30_000.0..=30_000.0 * 1.011).contains(&delivered),
            "{delivered}"
        );
        assert_eq!(cut.training_pause_s, 38, "0.63125 of 60 s, rounded");
        assert!(!cut.dr_consumer && cut.twin_backlog_acc_s == 0.0);
        assert_eq!(
            step.curtailed_w, 0.0,
            "no limit: nothing counts as curtailment"
        );
        close(
            g.totals.dr_deferred_acc_h,
            25.25 / 60.0,
            1e-12,
            "deferred acc-h",
        );
        assert_eq!(g.totals.dr_shortfall_mwh, 0.0);
        pump(&mut q, 3600, |e, t, _| g.on_event(&grid, e, t));
        assert!(!g.dr_active());
        let o = &g.dr_outcomes[0];
        close(o.requested_mw, 0.03 / 60.0, 1e-12, "requested MW");
        close(
            o.delivered_mw,
            delivered / 1e6 / 60.0,
            1e-12,
            "delivered MW",
        );
    }

    /// Asked 100 kW: training gives all 40 kW of IT, consumer its 30 % (9 kW), twins their 20 %
    /// (2 kW): IT 54 kW, facility 64.8 kW, 61.2 kW delivered, 38.8 kW short.
    #[test]
    fn demand_response_stops_at_the_sectors_flexibility() {
        let grid = dr_grid(100_000.0);
        let (mut g, mut q) = layer(&grid);
        pump(&mut q, 0, |e, t, _| g.on_event(&grid, e, t));
        let mut pools = loaded();
        let (_, cut) = g.curtail(&grid, &fleet(), true, 0, 60, &mut pools, IT_W, &mut Linear);
        let b = pools[0].busy;
        assert_eq!(b[Sector::Training as usize], 0.0);
        close(b[Sector::Consumer as usize], 21.0, 1e-12, "consumer left");
        close(b[Sector::Industrial as usize], 8.0, 1e-12, "twins left");
        assert_eq!(b[Sector::Defense as usize], 5.0);
        assert_eq!(cut.training_pause_s, 60);
        assert!(cut.dr_consumer);
        close(
            cut.twin_backlog_acc_s,
            2.0 * 60.0,
            1e-9,
            "twin backlog acc-s",
        );
        close(
            g.totals.dr_shortfall_mwh,
            38_800.0 * 60.0 / 3.6e9,
            1e-9,
            "shortfall MWh",
        );
        close(
            g.totals.dr_deferred_acc_h,
            (40.0 + 9.0 + 2.0) / 60.0,
            1e-9,
            "deferred",
        );
        // The counterfactual run records the event but sheds nothing.
        let (mut g2, mut q2) = layer(&grid);
        pump(&mut q2, 0, |e, t, _| g2.on_event(&grid, e, t));
        let mut pools = loaded();
        g2.curtail(&grid, &fleet(), false, 0, 60, &mut pools, IT_W, &mut Linear);
        assert_eq!(pools[0].busy, loaded()[0].busy);
    }

    /// A 600-s outage at t = 0 of a 100 kW site: the UPS holds 9 MJ (1.5 steps of 6 MJ), the
    /// 80 kW generators start at 120 s. Steps 0 and 60: UPS 6 + 3 MJ, 3 MJ unserved; steps
    /// 120-540 (8): generators 4.8 MJ and 1.2 MJ unserved each; the grid is back at 600 s.
    #[test]
    fn backup_rides_an_outage_with_ups_then_generators() {
        let grid = Grid {
            backup: Some(Backup {
                per_year: 0.0,
                mean_s: 3600.0,
                scheduled: vec![(0, 600)],
                ups_j: 9e6,
                generator_w: 80_000.0,
                generator_start_s: 120,
                fail_to_start: 0.0,
                fuel_l: 1e6,
                ups_modules: None,
            }),
            ..Grid::default()
        };
        let (mut g, mut q) = layer(&grid);
        for step in 0..12u64 {
            let t = step * 60;
            pump(&mut q, t, |e, te, _| g.on_event(&grid, e, te));
            g.backup_step(&grid, t, 100_000.0, 60.0);
        }
        let sum = g.finish();
        close(sum.outage_hours, 10.0 / 60.0, 1e-12, "outage hours");
        close(sum.ups_mwh, 9e6 / 3.6e9, 1e-12, "UPS MWh");
        close(
            sum.generator_mwh,
            8.0 * 4.8e6 / 3.6e9,
            1e-12,
            "generator MWh",
        );
        close(
            sum.unserved_mwh,
            (3e6 + 8.0 * 1.2e6) / 3.6e9,
            1e-12,
            "unserved MWh",
        );
        close(
            sum.ups_mwh + sum.generator_mwh + sum.unserved_mwh,
            10.0 * 6e6 / 3.6e9,
            1e-12,
            "the outage's demand",
        );
        close(sum.fuel_l, sum.generator_mwh * 270.0, 1e-12, "fuel L");
    }

    /// Response times of 0, 300 and 900 s: in the event's first 60-s step training gives all
    /// it can (40 kW), consumer 60/300 of its 30 % (1.8 kW: 30 -> 28.2 busy), twins 60/900 of
    /// their 20 % (133.3 W: 10 -> 9.8667 busy).
    #[test]
    fn demand_response_ramps_with_each_sectors_response_time() {
        let grid = dr_grid_response(100_000.0, [0.0, 300.0, 900.0]);
        let (mut g, mut q) = layer(&grid);
        pump(&mut q, 0, |e, t, _| g.on_event(&grid, e, t));
        let mut pools = loaded();
        g.curtail(&grid, &fleet(), true, 0, 60, &mut pools, IT_W, &mut Linear);
        let b = pools[0].busy;
        assert_eq!(b[Sector::Training as usize], 0.0);
        close(b[Sector::Consumer as usize], 28.2, 1e-12, "consumer left");
        close(
            b[Sector::Industrial as usize],
            10.0 - 0.4 / 3.0,
            1e-12,
            "twins left",
        );
    }
}
