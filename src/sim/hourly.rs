//! The hourly meter: each step's figures go into the hour's accumulators; at the end of each
//! hour a row of every written metric (see [`crate::model::metrics`]), and over the horizon the
//! whole-trial energy, peaks, ramps, water and CO2; at the end the tariff's bill.
//!
//! Kept apart from the layers that make the figures: it only reads them.

use super::summary::{MeterTally, PoolDrops, RampFigures, YearFigures};
use crate::model::facility::FixedWater;
use crate::model::grid::HourLoad;
use crate::model::grid::tariff::Tariff;
use crate::model::metrics::*;
use crate::model::weather::WeatherHour;

/// One step's figures, W unless stated.
#[derive(Clone, Copy, Debug, Default)]
pub struct StepFigures {
    pub sector_w: [f64; 4],
    pub idle_unallocated_w: f64,
    pub it_w: f64,
    /// Online IT nameplate peak (the build-out), W.
    pub installed_w: f64,
    pub cooling_w: f64,
    pub losses_w: f64,
    /// Commissioning load banks (in `facility_w`, not in `it_w`).
    pub load_bank_w: f64,
    pub facility_w: f64,
    pub served_n: f64,
    pub dropped_n: f64,
    pub curtailed_w: f64,
    /// On-site water this step, L.
    pub onsite_water_l: f64,
    /// Accelerators held back by thermal caps.
    pub throttled_acc: f64,
    pub heat_not_removed_w: f64,
    pub saturated: bool,
    pub inlet_max_c: f64,
    pub outdoor: Option<WeatherHour>,
    /// Facility demand an outage left unserved this step (neither UPS nor generators), W.
    pub unserved_w: f64,
}

/// What the meter needs to know of the study.
pub struct HourlySetup<'a> {
    pub step_s: u64,
    pub total_steps: u64,
    pub hours: usize,
    /// Metric ids written, in column order.
    pub metric_ids: &'a [usize],
    /// A physics facility's off-site water factor (L per facility kWh), when it has physics.
    pub physics_water_l_per_kwh: Option<f64>,
    pub fixed_water: Option<FixedWater>,
    pub carbon_g_per_kwh: Option<&'a [f64]>,
    /// MW thresholds of the ramp counts (`ramp_steps_over`, `ramp_15min_over`).
    pub ramp_thresholds_mw: &'a [f64],
    /// The interval file's intervals (`[report] interval_minutes`), if asked for.
    pub intervals: Option<crate::input::report_spec::IntervalPlan>,
    /// The system-peak intervals (`[grid] system_peak_hours` / `system_peaks_file`).
    pub system_peaks: &'a [crate::model::grid::site::SystemPeak],
}

/// Per-interval means (`intervals.csv`) and the system-peak intervals' means: only built when
/// the study asks for them, so a study without costs one branch a step.
struct IntervalMeter {
    /// Interval length and window, in steps.
    len: u64,
    from: u64,
    to: u64,
    fac_w: f64,
    it_w: f64,
    n: u64,
}

struct PeakMeter {
    /// Peak indices sorted by start; each peak's first and past-the-end step.
    ord: Vec<usize>,
    start: Vec<u64>,
    end: Vec<u64>,
    /// Peaks `ord[lo..hi]` are open (started, not ended).
    lo: usize,
    hi: usize,
    acc_w: Vec<f64>,
}

/// The first two ramp thresholds, MW, as the ramp pass reads them: in increasing order (as a
/// study's are) a change up to the second passes the first at most; otherwise (infinity, minus
/// infinity), so every change that can pass one goes the long way.
fn first_thresholds(th: &[f64]) -> (f64, f64) {
    let sorted = th.windows(2).all(|w| w[0] < w[1]);
    match th {
        [t0, t1, ..] if sorted => (*t0, *t1),
        [t0] => (*t0, f64::INFINITY),
        [] => (f64::INFINITY, f64::INFINITY),
        _ => (f64::INFINITY, f64::NEG_INFINITY),
    }
}

/// The least change of facility power, W, that passes `t0` MW as the ramp pass tests it (`d`
/// W passes if `(d / 1e6).abs() > t0`, after [`denoise_w`]): the conversion to MW is rounded
/// but never decreasing, so the changes that pass are exactly those at least this one, found
/// once by stepping from `t0 x 1e6` to the boundary (a few ulps; for a threshold at or below
/// 1e-309 MW or of 0, about 500,000 subnormal ones, under a millisecond once a trial). Infinity
/// when none passes.
/// A figure below a milliwatt (a threshold of 1e-9 MW or less) is not used: the denoising
/// would decide there.
fn count_from_w(t0: f64) -> f64 {
    if t0.is_nan() || t0 == f64::INFINITY {
        return f64::INFINITY;
    }
    let passes = |x: f64| x / 1e6 > t0;
    let mut x = (t0 * 1e6).max(0.0);
    while x > 0.0 && passes(x) {
        x = x.next_down();
    }
    while !passes(x) {
        x = x.next_up();
    }
    x
}

/// What [`HourlyMeter::step_change`] needs of a run of steps within one hour: the year its
/// figures go to and the least of the worst 1-minute rises and falls so far (a change no
/// larger moves none).
struct StepGate {
    year: Option<usize>,
    worst_mw: f64,
}

pub struct HourlyMeter<'a> {
    s: HourlySetup<'a>,
    nm: usize,
    pub hourly: Vec<f32>,
    acc: [f64; METRICS.len()],
    inlet_max: f64,
    peak_w: f64,
    steps_per_hour: u64,
    step: u64,
    step_in_hour: u64,
    /// Facility / IT energy of the hour that just closed, until taken (the attribution meter
    /// weighs the classes' energy of that hour by it).
    closed_ratio: Option<f64>,
    to_mwh: f64,
    // Ramps: previous step, 15-minute block accumulator and previous block, previous hour.
    prev_step_w: f64,
    /// The least change, W, that passes the first ramp threshold ([`count_from_w`]).
    count_from_w: f64,
    steps_per_15: u64,
    block_acc: f64,
    block_n: u64,
    prev_block_w: f64,
    prev_hour_mw: f64,
    /// Unserved energy this hour, J.
    hour_unserved_j: f64,
    intervals: Option<IntervalMeter>,
    peaks: Option<PeakMeter>,
    /// Requests each pool dropped this hour (empty unless [`HourlyMeter::track_pools`]).
    pool_hour_drop: Vec<f64>,
    /// The report years' hour rows (empty unless [`HourlyMeter::track_years`]): their ramps go
    /// to `sum.year_ramps`.
    year_hours: Vec<std::ops::Range<usize>>,
    /// The figures this meter owns in the trial's summary (the whole run's ramps in
    /// `sum.ramps`, tracked as each report year's are: one tracker, [`RampFigures`]).
    pub sum: MeterTally,
    /// (step, requests dropped) of every step that dropped some, when asked for
    /// ([`HourlyMeter::log_drops`]): demand response counts them in its rebound windows.
    drop_log: Option<Vec<(u64, f64)>>,
}

impl<'a> HourlyMeter<'a> {
    pub fn new(s: HourlySetup<'a>) -> HourlyMeter<'a> {
        let nm = s.metric_ids.len();
        let dt = s.step_s;
        let mut sum = MeterTally {
            max_inlet_c: f64::MIN,
            ramps: RampFigures::new(s.ramp_thresholds_mw.len()),
            ..MeterTally::never()
        };
        let intervals = s.intervals.map(|p| {
            // Two f64 per interval: facility and IT MW.
            sum.interval_facility_mw.reserve_exact(p.count());
            sum.interval_it_mw.reserve_exact(p.count());
            IntervalMeter {
                len: p.len_s / dt,
                from: p.from_s / dt,
                to: p.to_s / dt,
                fac_w: 0.0,
                it_w: 0.0,
                n: 0,
            }
        });
        let peaks = (!s.system_peaks.is_empty()).then(|| {
            let sp = s.system_peaks;
            let mut ord: Vec<usize> = (0..sp.len()).collect();
            ord.sort_by_key(|&i| (sp[i].start_s, i));
            PeakMeter {
                ord,
                start: sp.iter().map(|p| p.start_s / dt).collect(),
                end: sp.iter().map(|p| (p.start_s + p.len_s) / dt).collect(),
                lo: 0,
                hi: 0,
                acc_w: vec![0.0; sp.len()],
            }
        });
        let count_from = count_from_w(first_thresholds(s.ramp_thresholds_mw).0);
        HourlyMeter {
            nm,
            hourly: vec![0f32; s.hours * nm],
            acc: [0.0; METRICS.len()],
            inlet_max: f64::MIN,
            peak_w: 0.0,
            steps_per_hour: 3600 / dt,
            step: 0,
            step_in_hour: 0,
            closed_ratio: None,
            to_mwh: dt as f64 / 3600.0 / 1e6,
            prev_step_w: f64::NAN,
            count_from_w: count_from,
            steps_per_15: if 900 % dt == 0 { 900 / dt } else { 0 },
            block_acc: 0.0,
            block_n: 0,
            prev_block_w: f64::NAN,
            prev_hour_mw: f64::NAN,
            hour_unserved_j: 0.0,
            intervals,
            peaks,
            pool_hour_drop: Vec::new(),
            year_hours: Vec::new(),
            sum,
            drop_log: None,
            s,
        }
    }

    /// Logs the steps that drop requests, for [`Self::take_drop_log`]. A quiet block drops
    /// none, so the log is complete on either engine.
    pub fn log_drops(&mut self) {
        self.drop_log = Some(Vec::new());
    }

    /// The (step, requests dropped) logged so far, in step order (empty unless logged).
    pub fn take_drop_log(&mut self) -> Vec<(u64, f64)> {
        self.drop_log.take().unwrap_or_default()
    }

    /// Tracks dropped requests pool by pool (`np` pools), for [`Self::record_pool_drop`].
    pub fn track_pools(&mut self, np: usize) {
        self.pool_hour_drop = vec![0.0; np];
        self.sum.pool_drops = vec![PoolDrops::default(); np];
    }

    /// Meters the headline figures and ramps of each year (hour rows) apart as well; an hour
    /// closes into its year once, so the two-rate engine's quiet blocks pay nothing for it.
    pub fn track_years(&mut self, years: &[(i32, std::ops::Range<usize>)]) {
        self.year_hours = years.iter().map(|(_, r)| r.clone()).collect();
        let n = self.s.ramp_thresholds_mw.len();
        self.sum.year_ramps = vec![RampFigures::new(n); years.len()];
        self.sum.year_figures = vec![YearFigures::default(); years.len()];
    }

    /// `n` requests dropped by pool `pool` in the coming step (before [`Self::record`]).
    pub fn record_pool_drop(&mut self, pool: usize, n: f64) {
        self.record_pool_drop_at(pool, self.step, n);
    }

    /// [`Self::record_pool_drop`] at `step`, a step of the block about to be recorded (the
    /// two-rate engine's queued route serves its block step by step, then records it at once).
    pub fn record_pool_drop_at(&mut self, pool: usize, step: u64, n: f64) {
        let now_s = (step * self.s.step_s) as f64;
        if let (Some(x), Some(d)) = (
            self.pool_hour_drop.get_mut(pool),
            self.sum.pool_drops.get_mut(pool),
        ) && n > 0.0
        {
            *x += n;
            d.requests += n;
            if d.first_at_s < 0.0 {
                d.first_at_s = now_s;
            }
        }
    }

    /// `n` requests dropped at `step`, a step of the block about to be recorded with
    /// [`Self::record_block`] (whose mean figures drop none): the hour's count, the first drop
    /// and the log, as [`Self::record`] takes a step's.
    pub fn record_drop_at(&mut self, step: u64, n: f64) {
        self.acc[M_DROPPED] += n;
        self.log_drop(step, n);
    }

    /// The first drop's instant and the drop log, for `n` requests dropped at `step`.
    fn log_drop(&mut self, step: u64, n: f64) {
        if self.sum.drop_first_at_s < 0.0 {
            self.sum.drop_first_at_s = (step * self.s.step_s) as f64;
        }
        if let Some(log) = &mut self.drop_log {
            log.push((step, n));
        }
    }

    /// Adds one step; closes the hour at its last step (or at the horizon's last step).
    pub fn record(&mut self, f: &StepFigures) {
        let dt_f = self.s.step_s as f64;
        self.add_sums(f, 1.0);
        let a = &mut self.acc;
        a[M_IT_TOTAL] += f.it_w;
        a[M_FACILITY] += f.facility_w;
        if f.dropped_n > 0.0 {
            self.log_drop(self.step, f.dropped_n);
        }
        let sum = &mut self.sum;
        let now_s = (self.step * self.s.step_s) as f64;
        if f.curtailed_w > 0.0 {
            if sum.curtailed_first_at_s < 0.0 {
                sum.curtailed_first_at_s = now_s;
            }
            if f.curtailed_w / 1e6 > sum.curtailed_max_mw {
                sum.curtailed_max_mw = f.curtailed_w / 1e6;
                sum.curtailed_worst_at_s = now_s;
            }
        }
        if f.saturated && f.outdoor.is_some() && sum.plant_saturated_first_at_s < 0.0 {
            sum.plant_saturated_first_at_s = now_s;
        }
        if f.unserved_w > 0.0 {
            if sum.unserved_first_at_s < 0.0 {
                sum.unserved_first_at_s = now_s;
            }
            sum.unserved_hours += dt_f / 3600.0;
            self.hour_unserved_j += f.unserved_w * dt_f;
        }
        self.series::<false>(&[f.facility_w], &[f.it_w]);
        for (e, w) in self.sum.sector_mwh.iter_mut().zip(f.sector_w) {
            *e += w * self.to_mwh;
        }
        self.sum.it_energy_mwh += f.it_w * self.to_mwh;
        self.sum.energy_mwh += f.facility_w * self.to_mwh;
        self.advance_by(1);
    }

    /// Adds a quiet block of `facility_w.len()` steps within one hour (the two-rate engine):
    /// `mean` holds the block's mean figures (nothing dropped, curtailed, saturated or
    /// unserved; its IT and facility power are not read), `facility_w` and `it_w` each step's
    /// power, for the energy, peaks, ramps and intervals; `served_n` the block's requests.
    pub fn record_block(&mut self, mean: &StepFigures, facility_w: &[f64], it_w: &[f64]) {
        let n = facility_w.len() as f64;
        self.add_sums(mean, n);
        let len = facility_w.len() as u64;
        let left = (self.steps_per_hour - self.step_in_hour).min(self.s.total_steps - self.step);
        if len <= left {
            // No hour closes before the block's last step: its steps at once, the energy's
            // sums made in the peak's and ramps' pass (the hour's sums are read only when
            // it closes, after them).
            let (fac, it) = self.series::<true>(facility_w, it_w);
            self.add_energy(mean, n, fac, it);
            self.advance_by(len);
        } else {
            // Both sums in one pass, each in step order from `-0.0` (as `Iterator::sum`).
            let (mut fac, mut it) = (-0.0, -0.0);
            for (&f, &i) in facility_w.iter().zip(it_w) {
                fac += f;
                it += i;
            }
            self.add_energy(mean, n, fac, it);
            for (f, i) in facility_w.iter().zip(it_w) {
                self.series::<false>(std::slice::from_ref(f), std::slice::from_ref(i));
                self.advance_by(1);
            }
        }
    }

    /// A block's energy: its facility and IT power summed over its `n` steps (`fac`, `it`,
    /// each in step order from `-0.0`), its sectors' at their mean.
    #[inline(always)]
    fn add_energy(&mut self, mean: &StepFigures, n: f64, fac: f64, it: f64) {
        self.acc[M_IT_TOTAL] += it;
        self.acc[M_FACILITY] += fac;
        for (e, w) in self.sum.sector_mwh.iter_mut().zip(mean.sector_w) {
            *e += w * n * self.to_mwh;
        }
        self.sum.it_energy_mwh += it * self.to_mwh;
        self.sum.energy_mwh += fac * self.to_mwh;
    }

    /// The facility / IT ratio of the hour the last step or block closed, once.
    #[inline(always)]
    pub fn take_closed_ratio(&mut self) -> Option<f64> {
        self.closed_ratio.take()
    }

    /// `k` steps of the figures that add up within the hour.
    #[inline(always)]
    fn add_sums(&mut self, f: &StepFigures, k: f64) {
        let dt_f = self.s.step_s as f64;
        let a = &mut self.acc;
        a[M_DROPPED] += f.dropped_n;
        a[M_SERVED] += f.served_n;
        a[M_SHED] += f.curtailed_w * k;
        a[M_IDLE_UNALLOC] += f.idle_unallocated_w * k;
        a[M_INSTALLED] += f.installed_w * k;
        if let Some(o) = f.outdoor {
            a[M_WATER_ON] += f.onsite_water_l;
            a[M_THROTTLED] += f.throttled_acc * dt_f / 3600.0 * k;
            a[M_HEAT_NOT_REMOVED] += f.heat_not_removed_w * k;
            if f.saturated {
                a[M_SATURATED] += dt_f / 3600.0 * k;
            }
            self.inlet_max = self.inlet_max.max(f.inlet_max_c);
            a[M_DRYBULB] = o.dry_bulb_c;
            a[M_WETBULB] = o.wet_bulb_c;
        } else if self.s.fixed_water.is_some() {
            a[M_WATER_ON] += f.onsite_water_l;
        }
        a[M_COOLING] += f.cooling_w * k;
        a[M_LOSSES] += f.losses_w * k;
        a[M_LOAD_BANK] += f.load_bank_w * k;
        for (x, w) in a.iter_mut().zip(f.sector_w) {
            *x += w * k;
        }
    }

    /// The facility and IT power of consecutive steps from the meter's step, all within its
    /// hour: the peak, the ramps, the 15-minute blocks, the intervals and the system's peak
    /// intervals. Every figure is what stepping them one at a time gives, to the bit: the same
    /// sums in the same order and the same comparisons, only each piece runs over the steps
    /// on its own (a stepped step is a slice of one). With `SUMS`, returns the facility and IT
    /// power summed over the steps, in step order from `-0.0` (as `Iterator::sum`), made in
    /// [`Self::peak_and_step_ramps`]'s pass (`(-0.0, -0.0)` without).
    #[inline(always)]
    fn series<const SUMS: bool>(&mut self, facility_w: &[f64], it_w: &[f64]) -> (f64, f64) {
        let sums = self.peak_and_step_ramps::<SUMS>(facility_w, it_w);
        if self.steps_per_15 > 0 {
            self.quarter_hours(facility_w);
        }
        if self.intervals.is_some() {
            self.interval_means(facility_w, it_w);
        }
        if self.peaks.is_some() {
            self.system_peaks(facility_w);
        }
        if let Some(&f) = facility_w.last() {
            self.prev_step_w = f;
        }
        sums
    }

    /// The steps' peak and 1-minute ramps (the first step's against the step before, none
    /// before the run's first), into the run's and the year's figures, in one pass.
    ///
    /// A change that cannot move a figure is passed over: one below the least of the worst
    /// rises and falls so far (they only grow) and the first threshold, with a margin for the
    /// conversion to MW. One that can only pass the first threshold (below the second and the
    /// worst so far: most of a noisy load's) is counted here, the count added once; the rare
    /// rest go through [`Self::step_change`].
    ///
    /// With `SUMS`, the facility and IT power (`it_w`, as long as `facility_w`) summed over the
    /// steps in the same pass, each in step order from `-0.0`; `(-0.0, -0.0)` without.
    #[inline(always)]
    fn peak_and_step_ramps<const SUMS: bool>(
        &mut self,
        facility_w: &[f64],
        it_w: &[f64],
    ) -> (f64, f64) {
        let (mut fac, mut it) = (-0.0, -0.0);
        let (Some(&first), Some(&it_first)) = (facility_w.first(), it_w.first()) else {
            return (fac, it);
        };
        if SUMS {
            fac += first;
            it += it_first;
        }
        let year = if self.year_hours.is_empty() {
            None
        } else {
            let h = (self.step / self.steps_per_hour) as usize;
            self.year_hours.iter().position(|r| r.contains(&h))
        };
        let mut worst_mw = self.sum.ramps.up_step_mw.min(self.sum.ramps.down_step_mw);
        if let Some(r) = year.map(|k| &self.sum.year_ramps[k]) {
            worst_mw = worst_mw.min(r.up_step_mw).min(r.down_step_mw);
        }
        let th = self.s.ramp_thresholds_mw;
        let (t0, t1) = first_thresholds(th);
        let lo_mw = th.iter().fold(worst_mw, |m, &t| m.min(t));
        let lo_w = lo_mw * 1e6 * (1.0 - 1e-9);
        let hi_mw = worst_mw.min(t1);
        // The steps after the first: a change up to `hi_w` cannot move a figure but can pass
        // the first threshold, which it does exactly when it is at least `count_from_w` (see
        // [`count_from_w`]): counted there, without the conversion to MW; the rest (rare) the
        // long way. A change up to `lo_w` passes nothing either way; without an exact
        // `count_from_w` every change above it goes the long way, as the first step's does.
        let (gate_w, count_w) = if self.count_from_w >= 1e-3 {
            ((hi_mw * 1e6 * (1.0 - 1e-9)).max(lo_w), self.count_from_w)
        } else {
            (lo_w, f64::INFINITY)
        };
        let gate = StepGate { year, worst_mw };
        // As `f64::max` for a peak that is never NaN.
        let max = |m: f64, f: f64| if f > m { f } else { m };
        let mut peak = max(self.peak_w, first);
        let mut over0 = 0u64;
        let prev = self.prev_step_w;
        let mut change = |m: &mut Self, raw: f64, j: usize| {
            let d = denoise_w(raw);
            let a = (d / 1e6).abs();
            if a > hi_mw {
                m.step_change(d, j, &gate);
            } else if a > t0 {
                over0 += 1;
            }
        };
        if !prev.is_nan() && (first - prev).abs() > lo_w {
            change(self, first - prev, 0);
        }
        let (before, after) = (&facility_w[..facility_w.len() - 1], &facility_w[1..]);
        let mut counted = 0u64;
        let it_after = &it_w[1..facility_w.len()];
        for j in 0..after.len() {
            let (a, b) = (before[j], after[j]);
            if SUMS {
                fac += b;
                it += it_after[j];
            }
            peak = max(peak, b);
            let abs = (b - a).abs();
            if abs > gate_w {
                change(self, b - a, j + 1);
            } else {
                counted += u64::from(abs >= count_w);
            }
        }
        self.peak_w = peak;
        let over0 = over0 + counted;
        if over0 > 0 {
            self.sum.ramps.steps_over[0] += over0 as f64;
            if let Some(k) = year {
                self.sum.year_ramps[k].steps_over[0] += over0 as f64;
            }
        }
        (fac, it)
    }

    /// A change of `d` W (denoised) into the meter's `j`-th step that may move a figure: the
    /// worst rise or fall (through [`RampFigures::step`], when it may beat one) and the
    /// threshold counts, for the run's figures and the year's.
    #[inline(never)]
    fn step_change(&mut self, d: f64, j: usize, gate: &StepGate) {
        let a = (d / 1e6).abs();
        if a > gate.worst_mw {
            let now_s = ((self.step + j as u64) * self.s.step_s) as f64;
            self.sum.ramps.step(d, now_s, &[]);
            if let Some(k) = gate.year {
                self.sum.year_ramps[k].step(d, now_s, &[]);
            }
        }
        for (i, &t) in self.s.ramp_thresholds_mw.iter().enumerate() {
            if a > t {
                self.sum.ramps.steps_over[i] += 1.0;
                if let Some(k) = gate.year {
                    self.sum.year_ramps[k].steps_over[i] += 1.0;
                }
            }
        }
    }

    /// The steps' part of the 15-minute blocks: each block's mean against the one before.
    #[inline(always)]
    fn quarter_hours(&mut self, facility_w: &[f64]) {
        let thresholds = self.s.ramp_thresholds_mw;
        let mut j = 0;
        while j < facility_w.len() {
            let m = ((self.steps_per_15 - self.block_n) as usize).min(facility_w.len() - j);
            for &f in &facility_w[j..j + m] {
                self.block_acc += f;
            }
            self.block_n += m as u64;
            j += m;
            if self.block_n < self.steps_per_15 {
                continue;
            }
            let mean = self.block_acc / self.block_n as f64;
            if !self.prev_block_w.is_nan() {
                let d = denoise_w(mean - self.prev_block_w);
                // The block's first step: `j - 1` is its last.
                let block_s = ((self.step + j as u64 - self.block_n) * self.s.step_s) as f64;
                self.sum.ramps.block(d, block_s, thresholds);
                if !self.year_hours.is_empty() {
                    let h = (block_s / 3600.0) as usize;
                    if let Some(k) = self.year_hours.iter().position(|r| r.contains(&h)) {
                        self.sum.year_ramps[k].block(d, block_s, thresholds);
                    }
                }
            }
            self.prev_block_w = mean;
            self.block_acc = 0.0;
            self.block_n = 0;
        }
    }

    /// The steps' part of the interval file's intervals (those in its window).
    fn interval_means(&mut self, facility_w: &[f64], it_w: &[f64]) {
        let Some(iv) = &mut self.intervals else {
            return;
        };
        let sum = &mut self.sum;
        let len = facility_w.len() as u64;
        let (a, b) = (
            iv.from.clamp(self.step, self.step + len) - self.step,
            iv.to.clamp(self.step, self.step + len) - self.step,
        );
        let (mut j, b) = (a as usize, b as usize);
        while j < b {
            let m = ((iv.len - iv.n) as usize).min(b - j);
            for (&f, &i) in facility_w[j..j + m].iter().zip(&it_w[j..j + m]) {
                iv.fac_w += f;
                iv.it_w += i;
            }
            iv.n += m as u64;
            j += m;
            if iv.n == iv.len {
                let n = iv.n as f64;
                sum.interval_facility_mw.push(iv.fac_w / n / 1e6);
                sum.interval_it_mw.push(iv.it_w / n / 1e6);
                (iv.fac_w, iv.it_w, iv.n) = (0.0, 0.0, 0);
            }
        }
    }

    /// The steps' part of the system's peak intervals, step by step.
    fn system_peaks(&mut self, facility_w: &[f64]) {
        let Some(p) = &mut self.peaks else {
            return;
        };
        for (st, &f) in (self.step..).zip(facility_w) {
            while p.hi < p.ord.len() && p.start[p.ord[p.hi]] <= st {
                p.hi += 1;
            }
            while p.lo < p.hi && p.end[p.ord[p.lo]] <= st {
                p.lo += 1;
            }
            for &i in &p.ord[p.lo..p.hi] {
                if st < p.end[i] {
                    p.acc_w[i] += f;
                }
            }
        }
    }

    /// The meter's clock: `k` steps on (within the hour), closing the hour at its last step.
    #[inline(always)]
    fn advance_by(&mut self, k: u64) {
        self.step_in_hour += k;
        self.step += k;
        if self.step_in_hour == self.steps_per_hour || self.step == self.s.total_steps {
            self.close_hour();
        }
    }

    /// Rows are means over the hour's steps (a partial last hour: over the steps it has);
    /// `frac` turns a mean into the hour's energy (1 for a whole hour).
    fn close_hour(&mut self) {
        let frac = if self.step_in_hour == self.steps_per_hour {
            1.0
        } else {
            self.step_in_hour as f64 / self.steps_per_hour as f64
        };
        let n = self.step_in_hour as f64;
        self.step_in_hour = 0;
        let h = ((self.step - 1) / self.steps_per_hour) as usize;
        let hour_s = (h as u64 * 3600) as f64;
        let a = &self.acc;
        let sum = &mut self.sum;
        if a[M_DROPPED] > 0.0 {
            sum.drop_hours += 1.0;
            if a[M_DROPPED] > sum.drop_worst_hour_requests {
                sum.drop_worst_hour_requests = a[M_DROPPED];
                sum.drop_worst_at_s = hour_s;
            }
            for (d, x) in sum.pool_drops.iter_mut().zip(&mut self.pool_hour_drop) {
                if *x > 0.0 {
                    d.hours += 1.0;
                    if *x > d.worst_hour_requests {
                        d.worst_hour_requests = *x;
                        d.worst_at_s = hour_s;
                    }
                    *x = 0.0;
                }
            }
        }
        let unserved_mwh = self.hour_unserved_j / 3.6e9;
        if unserved_mwh > sum.unserved_worst_mwh {
            sum.unserved_worst_mwh = unserved_mwh;
            sum.unserved_worst_at_s = hour_s;
        }
        self.hour_unserved_j = 0.0;
        // Only the written metrics' rows are worked out (the rest are never read).
        let mut row = [0f32; METRICS.len()];
        for &i in self.s.metric_ids {
            row[i] = match METRICS[i].aggregate {
                Aggregate::MeanMw => (a[i] / n / 1e6) as f32,
                Aggregate::Sum | Aggregate::Last => a[i] as f32,
                Aggregate::Max | Aggregate::Derived => 0.0,
            };
        }
        row[M_FACILITY_PEAK] = (self.peak_w / 1e6) as f32;
        if let Some(grid_water) = self.s.physics_water_l_per_kwh {
            // A load bank stands in for IT: the plant and chain serve it as they would IT.
            let it_like = a[M_IT_TOTAL] + a[M_LOAD_BANK];
            row[M_PUE] = if it_like > 0.0 {
                (a[M_FACILITY] / it_like) as f32
            } else {
                0.0
            };
            let facility_kwh = a[M_FACILITY] / n / 1000.0 * frac;
            let off_m3 = facility_kwh * grid_water / 1000.0;
            row[M_WATER_ON] = (a[M_WATER_ON] / 1000.0) as f32;
            row[M_WATER_OFF] = off_m3 as f32;
            row[M_INLET_MAX] = self.inlet_max as f32;
            let heat_mwh = a[M_HEAT_NOT_REMOVED] / n / 1e6 * frac;
            sum.heat_not_removed_mwh += heat_mwh;
            if a[M_SATURATED] > 0.0 && heat_mwh > sum.plant_saturated_worst_mwh {
                sum.plant_saturated_worst_mwh = heat_mwh;
                sum.plant_saturated_worst_at_s = hour_s;
            }
            sum.plant_saturated_hours += a[M_SATURATED];
            sum.cooling_mwh += a[M_COOLING] / n / 1e6 * frac;
            sum.losses_mwh += a[M_LOSSES] / n / 1e6 * frac;
            sum.load_bank_mwh += a[M_LOAD_BANK] / n / 1e6 * frac;
            sum.water_onsite_m3 += a[M_WATER_ON] / 1000.0;
            sum.water_offsite_m3 += off_m3;
            sum.throttled_acc_h += a[M_THROTTLED];
            sum.max_inlet_c = sum.max_inlet_c.max(self.inlet_max);
        }
        if let Some(w) = self.s.fixed_water {
            let facility_kwh = a[M_FACILITY] / n / 1000.0 * frac;
            let off_m3 = facility_kwh * w.offsite_l_per_kwh / 1000.0;
            row[M_WATER_ON] = (a[M_WATER_ON] / 1000.0) as f32;
            row[M_WATER_OFF] = off_m3 as f32;
            sum.water_onsite_m3 += a[M_WATER_ON] / 1000.0;
            sum.water_offsite_m3 += off_m3;
        }
        if let Some(g) = self.s.carbon_g_per_kwh {
            // MWh x gCO2/kWh = kgCO2; / 1000 = t.
            let t = a[M_FACILITY] / n / 1e6 * frac * g[h] / 1000.0;
            row[M_CO2] = t as f32;
            sum.co2_t += t;
        }
        let nm = self.nm;
        for (x, &id) in self.hourly[h * nm..(h + 1) * nm]
            .iter_mut()
            .zip(self.s.metric_ids)
        {
            *x = row[id];
        }
        let hour_mw = a[M_FACILITY] / n / 1e6;
        let (a_fac, a_it) = (a[M_FACILITY], a[M_IT_TOTAL]);
        sum.peak_mw = sum.peak_mw.max(hour_mw);
        sum.peak_step_mw = sum.peak_step_mw.max(self.peak_w / 1e6);
        let year = self.year_hours.iter().position(|r| r.contains(&h));
        if let Some(y) = year.and_then(|k| sum.year_figures.get_mut(k)) {
            y.hours += frac;
            y.energy_mwh += hour_mw * frac;
            y.it_energy_mwh += a[M_IT_TOTAL] / n / 1e6 * frac;
            y.peak_mw = y.peak_mw.max(hour_mw);
            y.peak_step_mw = y.peak_step_mw.max(self.peak_w / 1e6);
            y.water_onsite_m3 += a[M_WATER_ON] / 1000.0;
            y.curtailed_mwh += a[M_SHED] / n / 1e6 * frac;
        }
        if !self.prev_hour_mw.is_nan() {
            let dh = denoise_w((hour_mw - self.prev_hour_mw) * 1e6) / 1e6;
            sum.ramps.hour(dh, hour_s);
            if let Some(k) = year {
                sum.year_ramps[k].hour(dh, hour_s);
            }
        }
        self.prev_hour_mw = hour_mw;
        self.closed_ratio = Some(if a_it > 0.0 { a_fac / a_it } else { 0.0 });
        self.acc = [0.0; METRICS.len()];
        self.inlet_max = f64::MIN;
        self.peak_w = 0.0;
    }

    /// The trial's hourly rows, and the whole-horizon figures this meter owns: energy, peaks,
    /// ramps, load factor, PUE, water, CO2 and the tariff's bill.
    pub fn finish(
        self,
        horizon_s: u64,
        tariff: Option<&Tariff>,
        hour_calendar: &[(u32, usize, usize)],
    ) -> (Vec<f32>, MeterTally) {
        let mut sum = self.sum;
        if let Some(p) = &self.peaks {
            sum.system_peak_mw = (0..p.acc_w.len())
                .map(|i| p.acc_w[i] / (p.end[i] - p.start[i]) as f64 / 1e6)
                .collect();
        }
        let physics = self.s.physics_water_l_per_kwh.is_some();
        if !physics {
            sum.max_inlet_c = 0.0;
        }
        let mean_mw = sum.energy_mwh / (horizon_s as f64 / 3600.0);
        sum.load_factor = if sum.peak_mw > 0.0 {
            mean_mw / sum.peak_mw
        } else {
            0.0
        };
        let it_like_mwh = sum.it_energy_mwh + sum.load_bank_mwh;
        sum.pue = if it_like_mwh > 0.0 {
            sum.energy_mwh / it_like_mwh
        } else {
            0.0
        };
        if physics || self.s.fixed_water.is_some() {
            sum.wue_l_per_kwh = if sum.it_energy_mwh > 0.0 {
                sum.water_onsite_m3 * 1000.0 / (sum.it_energy_mwh * 1000.0)
            } else {
                0.0
            };
        }
        if let Some(tariff) = tariff {
            let pos = self.s.metric_ids.iter().position(|&i| i == M_FACILITY);
            let nm = self.nm;
            let loads: Vec<HourLoad> = hour_calendar
                .iter()
                .enumerate()
                .map(|(h, &(month, weekday, hour))| HourLoad {
                    month,
                    weekday,
                    hour,
                    mw: pos.map_or(0.0, |p| f64::from(self.hourly[h * nm + p])),
                })
                .collect();
            let c = tariff.annual_cost(&loads);
            sum.cost_energy = c.energy;
            sum.cost_demand = c.demand;
            sum.cost_fixed = c.fixed;
            sum.cost_total = c.total;
        }
        (self.hourly, sum)
    }
}

/// A change of facility power below a milliwatt is rounding (sums of the same terms in another
/// order, a cap that binds every step), not a ramp: it counts as no change, so a flat load
/// reports ramps of 0 and their instants as -1 ("never moved"), not 1e-15 MW at some step.
#[inline]
fn denoise_w(d: f64) -> f64 {
    if d.abs() < 1e-3 { 0.0 } else { d }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::summary::{Tallies, TrialSummary};
    use crate::sim::test_support::close;

    const IDS: [usize; 6] = [
        M_IT_TOTAL,
        M_FACILITY,
        M_FACILITY_PEAK,
        M_COOLING,
        M_CO2,
        M_WATER_OFF,
    ];
    const NM: usize = IDS.len();
    const CARBON: [f64; 2] = [400.0, 500.0];

    /// A meter with fixed water: `onsite` L per IT kWh on site, 7.6 L per facility kWh off site.
    fn water_meter(total_steps: u64, onsite: f64) -> HourlyMeter<'static> {
        let w = FixedWater {
            onsite_l_per_it_kwh: onsite,
            offsite_l_per_kwh: 7.6,
        };
        meter(total_steps, None, Some(w))
    }

    fn meter(
        total_steps: u64,
        physics_water: Option<f64>,
        fixed: Option<FixedWater>,
    ) -> HourlyMeter<'static> {
        HourlyMeter::new(HourlySetup {
            step_s: 60,
            total_steps,
            hours: 2,
            metric_ids: &IDS,
            physics_water_l_per_kwh: physics_water,
            fixed_water: fixed,
            carbon_g_per_kwh: Some(&CARBON),
            ramp_thresholds_mw: &crate::sim::summary::RAMP_THRESHOLDS_MW,
            intervals: None,
            system_peaks: &[],
        })
    }

    /// A step of `it_w` IT at facility `fac_w` (the rest cooling), all IT consumer.
    fn fig(it_w: f64, fac_w: f64) -> StepFigures {
        StepFigures {
            sector_w: [it_w, 0.0, 0.0, 0.0],
            it_w,
            cooling_w: fac_w - it_w,
            facility_w: fac_w,
            ..StepFigures::default()
        }
    }

    /// The meter's rows and its tally flattened into a summary, as a trial's end does.
    fn done(m: HourlyMeter, horizon_s: u64) -> (Vec<f32>, TrialSummary) {
        let (h, meter) = m.finish(horizon_s, None, &[]);
        let t = Tallies {
            meter,
            ..Tallies::default()
        };
        (h, TrialSummary::assemble(0, t))
    }

    fn row(h: &[f32], hour: usize, id: usize) -> f32 {
        h[hour * NM + IDS.iter().position(|&i| i == id).unwrap()]
    }

    /// 2 h of 60-s steps at 2 MW IT, 2.5 MW facility: rows 2 / 2.5 / 0.5 MW, CO2 2.5 MWh x
    /// 400 and 500 g/kWh = 1 and 1.25 t; 5 MWh; no ramps; load factor 1.
    #[test]
    fn constant_load_gives_constant_rows_exact_energy_and_no_ramps() {
        let mut m = meter(120, None, None);
        for _ in 0..120 {
            m.record(&fig(2e6, 2.5e6));
        }
        let (h, s) = done(m, 7200);
        for hour in 0..2 {
            assert_eq!(row(&h, hour, M_IT_TOTAL), 2.0);
            assert_eq!(row(&h, hour, M_FACILITY), 2.5);
            assert_eq!(row(&h, hour, M_FACILITY_PEAK), 2.5);
            assert_eq!(row(&h, hour, M_COOLING), 0.5);
        }
        assert_eq!((row(&h, 0, M_CO2), row(&h, 1, M_CO2)), (1.0, 1.25));
        close(s.energy_mwh, 5.0, 1e-12, "facility MWh");
        close(s.it_energy_mwh, 4.0, 1e-12, "IT MWh");
        close(s.sector_mwh[0], 4.0, 1e-12, "consumer MWh");
        close(s.co2_t, 2.25, 1e-12, "CO2 t");
        assert_eq!((s.peak_mw, s.peak_step_mw), (2.5, 2.5));
        for r in [
            s.ramp_up_step_mw,
            s.ramp_down_step_mw,
            s.ramp_up_15min_mw,
            s.ramp_down_15min_mw,
            s.ramp_up_hour_mw,
            s.ramp_down_hour_mw,
        ] {
            assert_eq!(r, 0.0);
        }
        close(s.load_factor, 1.0, 1e-12, "load factor");
        close(s.pue, 1.25, 1e-12, "PUE");
    }

    /// A flat load whose sums differ in the last bits (1e-9 W either way, as a binding cap's
    /// do) has no ramps: every figure 0 and every instant -1, not 1e-15 MW at some step.
    #[test]
    fn rounding_noise_is_not_a_ramp() {
        let mut m = meter(120, None, None);
        for k in 0..120 {
            let p = 2.5e6 + if k % 2 == 0 { 1e-9 } else { -1e-9 };
            m.record(&fig(2e6, p));
        }
        let (_, s) = done(m, 7200);
        assert_eq!((s.ramp_up_step_mw, s.ramp_down_step_mw), (0.0, 0.0));
        assert_eq!((s.ramp_up_step_at_s, s.ramp_down_step_at_s), (-1.0, -1.0));
        assert_eq!((s.ramp_up_hour_mw, s.ramp_down_hour_mw), (0.0, 0.0));
        assert!(s.ramp_steps_over.iter().all(|&c| c == 0.0));
    }

    /// Facility 2 MW, rising to 3.2 MW at step 67 (minute 67 of 120). Step ramp 1.2 MW; the
    /// 15-min block 60-74 has 8 of its 15 steps high: +8/15 x 1.2 = 0.64 MW; hour 2 has 53 of
    /// 60 high: mean 2 + 53/60 x 1.2 = 3.06 MW, an hourly ramp of 1.06 MW. Nothing ramps down.
    #[test]
    fn a_step_change_gives_step_15_minute_and_hourly_ramps() {
        let mut m = meter(120, None, None);
        for k in 0..120 {
            let p = if k < 67 { 2e6 } else { 3.2e6 };
            m.record(&fig(p * 0.8, p));
        }
        let (h, s) = done(m, 7200);
        close(s.ramp_up_step_mw, 1.2, 1e-12, "step ramp");
        close(s.ramp_up_15min_mw, 0.64, 1e-12, "15-min ramp");
        close(s.ramp_up_hour_mw, 1.06, 1e-12, "hourly ramp");
        assert_eq!(
            (
                s.ramp_down_step_mw,
                s.ramp_down_15min_mw,
                s.ramp_down_hour_mw
            ),
            (0.0, 0.0, 0.0)
        );
        close(s.peak_step_mw, 3.2, 1e-12, "peak step");
        close(s.peak_mw, 3.06, 1e-12, "peak hour");
        close(f64::from(row(&h, 1, M_FACILITY)), 3.06, 1e-6, "row, f32");
        assert_eq!(row(&h, 1, M_FACILITY_PEAK), 3.2);
        close(s.energy_mwh, (67.0 * 2.0 + 53.0 * 3.2) / 60.0, 1e-12, "MWh");
    }

    /// Two pools; pool 1 drops 5 requests at minute 10, then 7 at minutes 70 and 71; pool 0
    /// none: pool 1 has 2 hours, 19 requests, its worst hour (14) the second, its first drop at
    /// 600 s; pool 0 is never. The site-wide figures agree.
    #[test]
    fn drops_are_counted_pool_by_pool() {
        let mut m = meter(120, None, None);
        m.track_pools(2);
        for k in 0..120u64 {
            let n = match k {
                10 => 5.0,
                70 | 71 => 7.0,
                _ => 0.0,
            };
            let mut f = fig(2e6, 2.5e6);
            f.dropped_n = n;
            m.record_pool_drop(1, n);
            m.record_pool_drop(0, 0.0);
            m.record(&f);
        }
        let (_, s) = done(m, 7200);
        let d = &s.pool_drops[1];
        assert_eq!(
            (
                d.hours,
                d.requests,
                d.worst_hour_requests,
                d.worst_at_s,
                d.first_at_s
            ),
            (2.0, 19.0, 14.0, 3600.0, 600.0)
        );
        assert_eq!(s.pool_drops[0], PoolDrops::default());
        assert_eq!(
            (s.drop_hours, s.drop_worst_at_s, s.drop_first_at_s),
            (2.0, 3600.0, 600.0)
        );
    }

    /// The step change of the test above, with each hour a "year": hour 2 holds every rise
    /// (the step at minute 67, the 15-minute block from minute 60, the hourly rise), hour 1
    /// none; together they are the whole run's.
    #[test]
    fn year_ramps_split_the_whole_runs() {
        let mut m = meter(120, None, None);
        m.track_years(&[(2027, 0..1), (2028, 1..2)]);
        for k in 0..120 {
            let p = if k < 67 { 2e6 } else { 3.2e6 };
            m.record(&fig(p * 0.8, p));
        }
        let (_, s) = done(m, 7200);
        let (a, b) = (&s.year_ramps[0], &s.year_ramps[1]);
        assert_eq!(*a, RampFigures::new(a.steps_over.len()));
        assert_eq!(
            (
                b.up_step_mw,
                b.up_step_at_s,
                b.up_15min_at_s,
                b.up_hour_at_s
            ),
            (s.ramp_up_step_mw, 67.0 * 60.0, 3600.0, 3600.0)
        );
        assert_eq!(b.up_15min_mw, s.ramp_up_15min_mw);
        assert_eq!(b.up_hour_mw, s.ramp_up_hour_mw);
        assert_eq!(b.steps_over, s.ramp_steps_over);
        assert_eq!(b.min15_over, s.ramp_15min_over);
        assert_eq!(b.steps_over[0], 1.0, "1.2 MW > 1 MW once");
    }

    /// 1.5 h (90 steps, two rows): hour 1 at 2 MW facility (1.6 IT), the half hour after at
    /// 3 MW (2.4 IT). The second row is the mean of its 30 steps (3 MW); what counts energy
    /// takes half of it: CO2 0.8 + 3 x 0.5 x 0.5 = 1.55 t, cooling 0.4 + 0.6 x 0.5 = 0.7 MWh,
    /// off-site water (7.6 L/kWh) 15.2 + 11.4 m3; energy 3.5 MWh; load factor (3.5 / 1.5) / 3.
    #[test]
    fn a_partial_last_hour_averages_its_steps_and_counts_its_fraction() {
        let mut m = meter(90, Some(7.6), None);
        for k in 0..90 {
            let f = if k < 60 {
                fig(1.6e6, 2e6)
            } else {
                fig(2.4e6, 3e6)
            };
            m.record(&f);
        }
        let (h, s) = done(m, 5400);
        assert_eq!((row(&h, 0, M_FACILITY), row(&h, 1, M_FACILITY)), (2.0, 3.0));
        assert_eq!(row(&h, 1, M_IT_TOTAL), 2.4);
        close(f64::from(row(&h, 1, M_CO2)), 0.75, 1e-7, "CO2 row");
        close(
            f64::from(row(&h, 1, M_WATER_OFF)),
            11.4,
            1e-6,
            "off-site water row",
        );
        close(s.co2_t, 1.55, 1e-12, "CO2 t");
        close(s.cooling_mwh, 0.7, 1e-12, "cooling MWh");
        close(s.water_offsite_m3, 26.6, 1e-12, "off-site m3");
        close(s.energy_mwh, 3.5, 1e-12, "MWh");
        close(s.it_energy_mwh, 2.8, 1e-12, "IT MWh");
        assert_eq!(s.peak_mw, 3.0);
        close(s.load_factor, 3.5 / 1.5 / 3.0, 1e-12, "load factor");
        close(s.ramp_up_hour_mw, 1.0, 1e-12, "hour 1 to the partial hour");
    }

    /// Fixed water over a partial last hour: 1 h at 2 MW then 0.5 h at 3 MW gives 1,500 kWh
    /// x 7.6 L = 11.4 m3 in the second row and 15.2 + 11.4 = 26.6 m3 in all.
    #[test]
    fn fixed_water_of_a_partial_hour_counts_its_fraction() {
        let mut m = water_meter(90, 0.0);
        for k in 0..90 {
            m.record(&if k < 60 {
                fig(1.6e6, 2e6)
            } else {
                fig(2.4e6, 3e6)
            });
        }
        let (h, s) = done(m, 5400);
        close(f64::from(row(&h, 1, M_WATER_OFF)), 11.4, 1e-6, "row");
        close(s.water_offsite_m3, 26.6, 1e-12, "off-site m3");
    }

    /// Fixed water over whole hours: off-site = facility kWh x 7.6 L, on-site as recorded.
    #[test]
    fn fixed_water_counts_each_hour() {
        let mut m = water_meter(120, 1.8);
        for _ in 0..120 {
            let mut f = fig(2e6, 2.5e6);
            f.onsite_water_l = 2e6 * 60.0 / 3.6e6 * 1.8;
            m.record(&f);
        }
        let (h, s) = done(m, 7200);
        close(
            f64::from(row(&h, 0, M_WATER_OFF)),
            19.0,
            1e-6,
            "2,500 kWh x 7.6 L",
        );
        close(s.water_offsite_m3, 38.0, 1e-12, "off-site m3");
        close(
            s.water_onsite_m3,
            4000.0 * 1.8 / 1000.0,
            1e-12,
            "on-site m3",
        );
        close(s.wue_l_per_kwh, 1.8, 1e-12, "WUE");
    }

    /// A meter over `steps` 60-s steps with intervals, two system-peak intervals, two report
    /// years (of two hours each) and the given ramp thresholds.
    fn series_meter(steps: u64, thresholds: &'static [f64]) -> HourlyMeter<'static> {
        use crate::input::report_spec::IntervalPlan;
        use crate::model::grid::site::SystemPeak;
        const PEAKS: [SystemPeak; 2] = [
            SystemPeak {
                start_s: 1200,
                len_s: 1800,
            },
            SystemPeak {
                start_s: 5000,
                len_s: 600,
            },
        ];
        let mut m = HourlyMeter::new(HourlySetup {
            step_s: 60,
            total_steps: steps,
            hours: steps.div_ceil(60) as usize,
            metric_ids: &IDS,
            physics_water_l_per_kwh: None,
            fixed_water: None,
            carbon_g_per_kwh: None,
            ramp_thresholds_mw: thresholds,
            intervals: Some(IntervalPlan {
                len_s: 420,
                from_s: 600,
                to_s: 9000,
            }),
            system_peaks: &PEAKS,
        });
        m.track_years(&[(2027, 0..2), (2028, 2..4)]);
        m
    }

    /// What a meter makes of the steps' series: peaks, ramps (the run's and the years'),
    /// threshold counts, interval and system-peak means, hourly facility rows.
    fn series_figures(m: HourlyMeter, steps: u64) -> String {
        let (h, s) = m.finish(steps * 60, None, &[]);
        let rows: Vec<(f32, f32)> = (0..h.len() / NM)
            .map(|k| (row(&h, k, M_FACILITY), row(&h, k, M_FACILITY_PEAK)))
            .collect();
        format!(
            "{:?}",
            (
                (s.peak_mw, s.peak_step_mw, &s.ramps, &s.year_ramps),
                (
                    &s.interval_facility_mw,
                    &s.interval_it_mw,
                    &s.system_peak_mw
                ),
                rows,
            )
        )
    }

    /// A quiet block's figures are its steps' one by one, to the bit, whatever the block's
    /// length and place in its hour: a noisy load (in whole 1/1024 W, so every sum is exact
    /// in any grouping) with flat spans, sub-milliwatt wobbles and jumps past every threshold,
    /// metered step by step and in blocks of 1 to 23 steps, one of them across an hour's end;
    /// with the thresholds in order, and out of order (every change then goes the long way).
    #[test]
    fn blocks_meter_their_series_as_their_steps() {
        const STEPS: u64 = 230;
        static SORTED: [f64; 5] = [1.0, 5.0, 10.0, 25.0, 50.0];
        static UNSORTED: [f64; 3] = [10.0, 1.0, 5.0];
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut fac = Vec::new();
        let mut p = 50e6;
        for k in 0..STEPS {
            let r = next();
            p = match (k / 20) % 4 {
                // Flat, or wobbling by 1/1024 W (below a milliwatt: no ramp).
                1 => p + if r % 2 == 0 { 0.0 } else { 1.0 / 1024.0 },
                _ => match r % 16 {
                    0 => p + 60e6,
                    1 => p - 30e6,
                    2 => p + 12e6,
                    3 => p - 6e6,
                    _ => p + ((r >> 8) % 4_000_000) as f64 - 2e6,
                },
            }
            .clamp(1e6, 300e6);
            fac.push((p * 1024.0).round() / 1024.0);
        }
        let it: Vec<f64> = fac
            .iter()
            .map(|f| (f * 0.75 * 1024.0).round() / 1024.0)
            .collect();
        for th in [&SORTED[..], &UNSORTED[..]] {
            let mut one = series_meter(STEPS, th);
            for (&f, &i) in fac.iter().zip(&it) {
                one.record(&fig(i, f));
            }
            let mut blocks = series_meter(STEPS, th);
            let mut k = 0;
            while k < fac.len() {
                let to_hour = 60 - k % 60;
                let len = if k == 100 {
                    // Across the hour's end at step 120.
                    30
                } else {
                    (1 + next() as usize % 23).min(to_hour)
                }
                .min(fac.len() - k);
                blocks.record_block(&fig(0.0, 0.0), &fac[k..k + len], &it[k..k + len]);
                k += len;
            }
            assert_eq!(
                series_figures(blocks, STEPS),
                series_figures(one, STEPS),
                "thresholds {th:?}"
            );
        }
    }

    /// A block's energy is its steps' power summed in step order from `-0.0`, whether the sums
    /// are made in the peak's and ramps' pass (a block within its hour) or apart (a block
    /// across an hour's end): random, inexact powers in blocks of 1 to 40 steps, the facility's
    /// and IT energy to the bit against the sums made here.
    #[test]
    fn a_blocks_energy_is_its_steps_sums_in_order() {
        const STEPS: u64 = 300;
        static TH: [f64; 3] = [1.0, 5.0, 10.0];
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let fac: Vec<f64> = (0..STEPS).map(|_| 5e7 * (1.0 + next())).collect();
        let it: Vec<f64> = fac.iter().map(|f| f * (0.7 + 0.1 * next())).collect();
        let mut m = series_meter(STEPS, &TH);
        let (mut fac_mwh, mut it_mwh) = (0.0, 0.0);
        let (mut k, mut across) = (0, 0);
        while k < fac.len() {
            let len = (1 + (next() * 40.0) as usize).min(fac.len() - k);
            across += usize::from(k / 60 != (k + len - 1) / 60);
            m.record_block(&fig(0.0, 0.0), &fac[k..k + len], &it[k..k + len]);
            let sum = |x: &[f64]| x.iter().fold(-0.0, |s, &v| s + v);
            fac_mwh += sum(&fac[k..k + len]) * m.to_mwh;
            it_mwh += sum(&it[k..k + len]) * m.to_mwh;
            k += len;
        }
        assert!(across >= 3, "{across} blocks across an hour's end");
        assert_eq!(m.sum.energy_mwh.to_bits(), fac_mwh.to_bits());
        assert_eq!(m.sum.it_energy_mwh.to_bits(), it_mwh.to_bits());
    }

    /// [`count_from_w`] is the boundary of the changes that pass a threshold as the ramp pass
    /// tests them: it passes, the change an ulp below does not (or it is 0), and above a
    /// milliwatt so do larger ones after the denoising; none for an infinite or NaN threshold.
    #[test]
    fn the_first_thresholds_count_starts_where_the_test_passes() {
        for t0 in [
            1.0, 5.0, 0.25, 0.1, 1e-3, 1e-9, 1e-12, 0.0, -1.0, 3.7e5, 1.7e302,
        ] {
            let d = count_from_w(t0);
            // (Below a milliwatt the denoising decides, and the figure is not used.)
            let passes = |x: f64| (denoise_w(x) / 1e6).abs() > t0;
            assert!(d / 1e6 > t0, "{t0}: {d}");
            assert!(d == 0.0 || d.next_down() / 1e6 <= t0, "{t0}: {d}");
            for k in [1.0, 1.5, 3.0] {
                assert!(d < 1e-3 || passes(d * k), "{t0}: {d} x {k}");
            }
        }
        assert_eq!(count_from_w(f64::INFINITY), f64::INFINITY);
        assert_eq!(count_from_w(f64::NAN), f64::INFINITY);
    }

    /// Changes at the first threshold, an ulp either side of it and of where the count starts,
    /// and past the others, are counted in blocks as stepping counts them (each change exact:
    /// the load steps between 0 and the change).
    #[test]
    fn changes_at_the_thresholds_count_in_blocks_as_in_steps() {
        const STEPS: u64 = 240;
        static SORTED: [f64; 5] = [1.0, 5.0, 10.0, 25.0, 50.0];
        static ONE: [f64; 1] = [0.3];
        for th in [&SORTED[..], &ONE[..]] {
            let mut deltas = Vec::new();
            for &t in th {
                let (c, w) = (count_from_w(t), t * 1e6);
                deltas.extend([c, c.next_down(), c.next_up(), w, w.next_up(), w.next_down()]);
            }
            deltas.extend([2e6, 0.5e6, 7e6, 60e6, 1e-4, 3e-3]);
            let fac: Vec<f64> = (0..STEPS as usize)
                .map(|k| {
                    if k % 2 == 0 {
                        0.0
                    } else {
                        deltas[(k / 2) % deltas.len()]
                    }
                })
                .collect();
            let it: Vec<f64> = fac.iter().map(|f| f * 0.8).collect();
            let mut one = series_meter(STEPS, th);
            for (&f, &i) in fac.iter().zip(&it) {
                one.record(&fig(i, f));
            }
            let mut blocks = series_meter(STEPS, th);
            for k in (0..fac.len()).step_by(60) {
                blocks.record_block(&fig(0.0, 0.0), &fac[k..k + 60], &it[k..k + 60]);
            }
            assert_eq!(
                series_figures(blocks, STEPS),
                series_figures(one, STEPS),
                "thresholds {th:?}"
            );
        }
    }
}
