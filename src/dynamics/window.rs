//! The fast waveform: facility power at a step of tens of milliseconds over a window of minutes
//! to hours, built from the hourly engine's state at that instant.
//!
//! Layers, each with its own time scale:
//! - **training** (per job): synchronised iterations alternate a compute phase and a
//!   communication phase (iteration time, compute share, communication level); checkpoints at
//!   the engine's schedule (start + k x interval, for the checkpoint duration, at the checkpoint
//!   utilisation); job starts and restarts after failures ramp up over `start_ramp_s`; failures
//!   arrive as a Poisson process at the study's failure rate per accelerator. All accelerators of
//!   a job move together (synchronous training), each job with its own iteration phase.
//! - **inference**: requests in service follow an M/M/infinity queue (arrival rate = the hour's
//!   served requests / 3600, mean service time `service_s`); its Gaussian (Ornstein-Uhlenbeck)
//!   approximation gives a relative fluctuation of sd 1/sqrt(rate x service) with correlation
//!   time `service_s`, applied to the consumer sector's dynamic share.
//! - **twins and defense**: steady at the hour's mean with an Ornstein-Uhlenbeck jitter.
//! - **cooling and the electrical chain**: first-order lags of IT power with their own time
//!   constants, scaled by the hour's cooling / IT and losses / IT ratios.
//!
//! Every hourly mean the window follows (sector powers, overhead ratios, request rate, each
//! job's compute share) is a mean-preserving piecewise-linear profile across the hours
//! ([`super::profile`]), so an hour boundary is not a step. Under a power floor or the burn
//! filler only the accelerator board's part of a job's dynamic power is raised; the host's
//! (CPUs, NICs, fans) follows the job's own work.
//!
//! **Calibration to the hourly engine.** For every hour the window touches, one factor `k_h`
//! scales the running utilisation of the training jobs so that the *expected* training power
//! over the hour (idle of held accelerators + compute/communication duty + checkpoint duty, each
//! job weighted by the part of the hour it holds its accelerators) equals the hourly engine's
//! `it_training_mw` (checkpoints counted at the job's schedule, the start's ramp at its share);
//! the other sectors' processes have the hourly mean as their expectation, and
//! the lags start at the hour's mean. The realised window mean then differs from the hourly mean
//! only by the window's own randomness and phase (checkpoint phase, failures, noise), which is
//! what the "window mean = hourly mean" test bounds.

use rand::RngExt;
use rand::rngs::ChaCha8Rng;

use super::profile::Profile;
pub use super::stepper::{Step, Stepper};
use super::swing::{self, HourCalibration, JobSwing, Levels, Swing};

/// The fast layer's parameters (the `[training]`, `[inference]`, `[steady]` and `[facility]`
/// tables of a dynamics file).
#[derive(Clone, Debug)]
pub struct FastParams {
    /// Every job's iteration and phase powers, unless its `[[training]]` has its own.
    pub swing: Swing,
    pub job_swings: Vec<JobSwing>,
    /// Time for a job to ramp from idle to its running power at a start or restart, s.
    pub start_ramp_s: f64,
    /// `true`: every job starts its iteration at a random phase; `false`: all in phase (the
    /// worst case: jobs synchronised by a common event).
    pub random_phase: bool,
    /// Mean service time of an inference request, s.
    pub service_s: f64,
    /// Relative sd and correlation time of the twins' and defense jitter.
    pub steady_sd: f64,
    pub steady_tau_s: f64,
    /// First-order time constants of cooling and of the electrical chain's losses, s.
    pub cooling_tau_s: f64,
    pub electrical_tau_s: f64,
    /// With a fixed-PUE facility (no cooling/losses split): share of the overhead that is
    /// electrical losses.
    pub losses_share: f64,
}

impl Default for FastParams {
    fn default() -> Self {
        FastParams {
            swing: Swing::default(),
            job_swings: Vec::new(),
            start_ramp_s: 20.0,
            random_phase: true,
            service_s: 2.0,
            steady_sd: 0.01,
            steady_tau_s: 30.0,
            cooling_tau_s: 120.0,
            electrical_tau_s: 0.0,
            losses_share: 0.3,
        }
    }
}

/// One training job as the window sees it.
#[derive(Clone, Debug)]
pub struct Job {
    pub name: String,
    pub start_s: f64,
    pub end_s: Option<f64>,
    pub accelerators: f64,
    /// Per accelerator (host share included), W: idle, and dynamic at utilisation 1.
    pub idle_w: f64,
    pub busy_w: f64,
    /// The accelerator board alone: idle and TDP, W (the power floor acts on these).
    pub board_idle_w: f64,
    pub tdp_w: f64,
    /// Iteration time, compute share and phase powers as stated (calibration moves the duty).
    pub swing: Swing,
    pub checkpoint_interval_s: f64,
    pub checkpoint_duration_s: f64,
    pub checkpoint_utilisation: f64,
    /// Failures per second for the whole job, and the restart time, s.
    pub failure_rate_per_s: f64,
    pub restart_s: f64,
}

impl Job {
    /// Of the dynamic W per accelerator at utilisation 1, the board's own (its idle to its TDP,
    /// at most the whole): the power floor and the burn filler act on this part only; the rest
    /// is the host's (CPUs, NICs, fans), which follows the job's work, not the floor.
    pub fn board_dynamic_w(&self) -> f64 {
        (self.tdp_w - self.board_idle_w).clamp(0.0, self.busy_w.max(0.0))
    }

    /// Seconds of [a, b) the job holds its accelerators.
    pub(super) fn held_in(&self, a: f64, b: f64) -> f64 {
        let s = self.start_s.max(a);
        let e = self.end_s.unwrap_or(f64::INFINITY).min(b);
        (e - s).max(0.0)
    }
}

/// The hourly engine's figures for one hour, MW.
#[derive(Clone, Debug, Default)]
pub struct Hour {
    pub start_s: f64,
    pub training_mw: f64,
    pub consumer_mw: f64,
    pub industrial_mw: f64,
    pub defense_mw: f64,
    pub idle_mw: f64,
    pub it_mw: f64,
    pub facility_mw: f64,
    /// Physics facilities split the overhead; a fixed-PUE one does not.
    pub cooling_mw: Option<f64>,
    pub losses_mw: Option<f64>,
    pub requests_per_s: f64,
    /// Share of the consumer sector's power that follows the requests in service.
    pub consumer_dynamic_share: f64,
}

/// Everything one window needs.
#[derive(Clone, Debug)]
pub struct Inputs {
    pub t0_s: f64,
    pub duration_s: f64,
    pub step_s: f64,
    /// The hours the window touches, in order, the first containing `t0_s`.
    pub hours: Vec<Hour>,
    /// The hours just before and after those (when the study has them): the hourly means are
    /// interpolated across the window's outer hour boundaries too.
    pub before: Option<Hour>,
    pub after: Option<Hour>,
    pub jobs: Vec<Job>,
    pub params: FastParams,
    pub seed: u64,
    pub trial: u32,
}

/// GPU power floor and burn filler, both acting on the training accelerators.
#[derive(Clone, Debug, Default)]
pub struct Shaping {
    /// Floor on each training accelerator's board power, share of TDP.
    pub power_floor: Option<f64>,
    /// Burn filler: outside the compute phase, synthetic work keeps each accelerator's
    /// utilisation at least `fill_to` x its compute-phase utilisation.
    pub burn_fill_to: Option<f64>,
}

/// Per-job board power, kept for the per-accelerator checks.
#[derive(Clone, Debug)]
pub struct JobTrace {
    /// Board power of one accelerator, W, per step (NaN while the job holds no accelerators).
    pub board_w: Vec<f64>,
    pub board_mitigated_w: Vec<f64>,
}

/// The window's waveforms, MW per step: all of them from [`build`]; from [`build_lean`] (what
/// `dcload dynamics` keeps) only `facility` and `facility_shaped`, the rest empty (a second
/// pass of [`Stepper`] gives them again, step by step, identical).
#[derive(Clone, Debug)]
pub struct Waveform {
    pub step_s: f64,
    pub t0_s: f64,
    pub training: Vec<f64>,
    pub consumer: Vec<f64>,
    pub industrial: Vec<f64>,
    pub defense: Vec<f64>,
    pub idle: Vec<f64>,
    pub it: Vec<f64>,
    pub cooling: Vec<f64>,
    pub losses: Vec<f64>,
    pub facility: Vec<f64>,
    /// With the power floor and burn filler (storage acts later, at the meter).
    pub training_shaped: Vec<f64>,
    pub facility_shaped: Vec<f64>,
    pub jobs: Vec<JobTrace>,
    /// Sums of the series (kept also by [`build_lean`], which keeps no other series).
    pub totals: Totals,
    /// Per hour: the duty factor and each job's compute share.
    pub calibration: Vec<HourCalibration>,
    /// Where the waveform's swing or mean differs from what the file and the engine state.
    pub warnings: Vec<String>,
    /// Extra energy of the floor and of the burn filler, MWh, and the accelerator-hours of the
    /// jobs the filler runs on.
    pub floor_mwh: f64,
    pub burn_mwh: f64,
    pub burn_acc_h: f64,
}

impl Waveform {
    pub fn len(&self) -> usize {
        self.facility.len()
    }

    pub fn is_empty(&self) -> bool {
        self.facility.is_empty()
    }
}

pub(super) fn ou_step(x: f64, a: f64, sd: f64, z: f64) -> f64 {
    // Exact discretisation of an Ornstein-Uhlenbeck process with stationary sd `sd`.
    x * a + sd * (1.0 - a * a).max(0.0).sqrt() * z
}

/// Builds the window, every series kept ([`Stepper`] gives it step by step).
pub fn build(inp: &Inputs, shaping: &Shaping) -> Waveform {
    collect(inp, shaping, true)
}

/// Builds the window keeping only what the checks, the battery and the plots need: the
/// facility and the shaped facility per step (the other series are empty; their means and sums
/// are in [`Waveform::totals`]). `dcload dynamics` writes waveform.csv from a second pass of
/// [`Stepper`], so a day at 10 ms holds two series in memory, not thirteen.
pub fn build_lean(inp: &Inputs, shaping: &Shaping) -> Waveform {
    collect(inp, shaping, false)
}

fn collect(inp: &Inputs, shaping: &Shaping, all: bool) -> Waveform {
    let mut st = Stepper::new(inp, shaping);
    let n = st.len();
    let mut w = Waveform::empty(n, inp, &st.calibration, all);
    let mut held = vec![0usize; inp.jobs.len()];
    while let Some(s) = st.next() {
        w.totals.add(&s);
        w.facility.push(s.facility);
        w.facility_shaped.push(s.facility_shaped);
        for (h, (b, _)) in held.iter_mut().zip(st.boards()) {
            *h += usize::from(!b.is_nan());
        }
        if all {
            w.push(&s, st.boards());
        }
    }
    w.totals.held_steps = held;
    w.floor_mwh = st.floor_mwh;
    w.burn_mwh = st.burn_mwh;
    w.burn_acc_h = st.burn_acc_h;
    w
}

/// Job `ji`'s compute share through the window: each hour's calibrated share kept as the mean
/// over the part of the hour the job holds its accelerators, interpolated across the hours.
pub(super) fn duty_profile(inp: &Inputs, cal: &[HourCalibration], ji: usize) -> Profile {
    let j = &inp.jobs[ji];
    let duties: Vec<f64> = cal.iter().map(|c| c.duty[ji]).collect();
    let over: Vec<(f64, f64)> = inp
        .hours
        .iter()
        .map(|h| {
            let a = h.start_s;
            if j.held_in(a, a + 3600.0) <= 0.0 {
                return (0.0, 1.0);
            }
            let s = (j.start_s.max(a) - a) / 3600.0;
            let e = (j.end_s.unwrap_or(f64::INFINITY).min(a + 3600.0) - a) / 3600.0;
            (s, e)
        })
        .collect();
    Profile::weighted(&duties, None, None, &over)
}

/// Hour index and fraction of that hour at instant `t`.
pub(super) fn hour_at(inp: &Inputs, t: f64) -> (usize, f64) {
    let i = hour_of(inp, t);
    (i, (t - inp.hours[i].start_s) / 3600.0)
}

/// Per-job random draws, in job order: iteration phase, then failure times in the window.
pub(super) fn draw_jobs(inp: &Inputs, rng: &mut ChaCha8Rng) -> (Vec<f64>, Vec<Vec<f64>>) {
    let p = &inp.params;
    let t_end = inp.t0_s + inp.duration_s;
    let mut phases = Vec::with_capacity(inp.jobs.len());
    let mut failures: Vec<Vec<f64>> = Vec::with_capacity(inp.jobs.len());
    for j in &inp.jobs {
        let ph: f64 = rng.random();
        phases.push(if p.random_phase {
            ph * j.swing.iteration_s
        } else {
            0.0
        });
        let mut f = Vec::new();
        if j.failure_rate_per_s > 0.0 {
            // Start far enough back that a restart in progress at t0 is seen.
            let mut t = inp.t0_s - j.restart_s - p.start_ramp_s;
            loop {
                let u: f64 = rng.random();
                t += -(1.0 - u).ln() / j.failure_rate_per_s;
                if t >= t_end || f.len() > 100_000 {
                    break;
                }
                f.push(t);
            }
        }
        failures.push(f);
    }
    (phases, failures)
}

/// Index of the window's hour holding instant `t` (clamped to the hours given).
fn hour_of(inp: &Inputs, t: f64) -> usize {
    let h0 = inp.hours.first().map_or(0.0, |h| h.start_s);
    (((t - h0) / 3600.0).floor().max(0.0) as usize).min(inp.hours.len().saturating_sub(1))
}

impl Waveform {
    /// No steps yet (room for `n` in the series kept: all of them, or the facility's two).
    fn empty(n: usize, inp: &Inputs, cal: &[HourCalibration], all: bool) -> Waveform {
        let v = || Vec::with_capacity(if all { n } else { 0 });
        Waveform {
            step_s: inp.step_s,
            t0_s: inp.t0_s,
            training: v(),
            consumer: v(),
            industrial: v(),
            defense: v(),
            idle: v(),
            it: v(),
            cooling: v(),
            losses: v(),
            facility: Vec::with_capacity(n),
            training_shaped: v(),
            facility_shaped: Vec::with_capacity(n),
            jobs: (0..if all { inp.jobs.len() } else { 0 })
                .map(|_| JobTrace {
                    board_w: v(),
                    board_mitigated_w: v(),
                })
                .collect(),
            calibration: cal.to_vec(),
            warnings: swing::warnings(inp, cal),
            totals: Totals::default(),
            floor_mwh: 0.0,
            burn_mwh: 0.0,
            burn_acc_h: 0.0,
        }
    }

    /// Step `s` appended to every series but the facility's two.
    fn push(&mut self, s: &Step, boards: &[(f64, f64)]) {
        self.training.push(s.training);
        self.consumer.push(s.consumer);
        self.industrial.push(s.industrial);
        self.defense.push(s.defense);
        self.idle.push(s.idle);
        self.it.push(s.it);
        self.cooling.push(s.cooling);
        self.losses.push(s.losses);
        self.training_shaped.push(s.training_shaped);
        for (tr, (b, bm)) in self.jobs.iter_mut().zip(boards) {
            tr.board_w.push(*b);
            tr.board_mitigated_w.push(*bm);
        }
    }
}

/// Sums over the window's steps, MW x steps, in step order (a mean is the sum / the steps,
/// to the bit what [`mean`] of the series gives), and the steps each job holds its accelerators.
#[derive(Clone, Debug, Default)]
pub struct Totals {
    pub training: f64,
    pub it: f64,
    pub facility: f64,
    pub facility_shaped: f64,
    pub held_steps: Vec<usize>,
}

impl Totals {
    fn add(&mut self, s: &Step) {
        self.training += s.training;
        self.it += s.it;
        self.facility += s.facility;
        self.facility_shaped += s.facility_shaped;
    }
}

/// Share of the step [x, x + w) (in iterations) spent in the compute phase, the first `duty` of
/// each iteration: a step straddling a phase edge takes the share of each, so the step's mean is
/// the duty's whatever the step (a step of 1/40 of the iteration would otherwise round the duty
/// to 2.5 %).
fn compute_overlap(x: f64, w: f64, duty: f64) -> f64 {
    // Compute time from 0 to y, in iterations.
    let cum = |y: f64| y.floor() * duty + (y - y.floor()).min(duty);
    if w <= 0.0 {
        return if x.rem_euclid(1.0) < duty { 1.0 } else { 0.0 };
    }
    ((cum(x + w) - cum(x)) / w).clamp(0.0, 1.0)
}

/// A training job over one step, before the mitigations: the utilisation of the two phases
/// (after a start's or a restart's ramp; equal in a checkpoint or a restart) and the share of
/// the step in the first.
pub(super) struct JobStep {
    pub(super) hi: f64,
    pub(super) lo: f64,
    pub(super) compute: f64,
    /// What the burn filler fills the communication phase towards (0 in a checkpoint or a
    /// restart, when it does not run).
    pub(super) fill_base: f64,
    pub(super) restarting: bool,
}

impl JobStep {
    pub(super) fn u(&self) -> f64 {
        self.compute * self.hi + (1.0 - self.compute) * self.lo
    }
}

/// The job over the step from `t`: restart, checkpoint, or compute phase for the first `duty`
/// of each iteration and communication for the rest, and the ramp after a start (from idle) or
/// a restart (from the checkpoint level).
pub(super) fn job_step(
    j: &Job,
    p: &FastParams,
    (t, dt): (f64, f64),
    (phase, duty): (f64, f64),
    last_fail: Option<f64>,
    l: &Levels,
) -> JobStep {
    // The time since the job (re)started.
    let (restarting, since_run_start) = match last_fail {
        Some(f) if t < f + j.restart_s => (true, 0.0),
        Some(f) => (false, t - (f + j.restart_s)),
        None => (false, t - j.start_s),
    };
    let since_start = t - j.start_s;
    let in_checkpoint = j.checkpoint_interval_s > 0.0
        && since_start >= j.checkpoint_interval_s
        && since_start.rem_euclid(j.checkpoint_interval_s) < j.checkpoint_duration_s;
    let ramp = if p.start_ramp_s > 0.0 {
        (since_run_start / p.start_ramp_s).clamp(0.0, 1.0)
    } else {
        1.0
    };
    let ck = j.checkpoint_utilisation;
    if restarting || in_checkpoint {
        let u = if restarting || last_fail.is_some() {
            ck
        } else {
            ck * ramp
        };
        return JobStep {
            hi: u,
            lo: u,
            compute: 0.0,
            fill_base: 0.0,
            restarting,
        };
    }
    let ramped = |u: f64| {
        if last_fail.is_some() {
            ck + (u - ck) * ramp
        } else {
            u * ramp
        }
    };
    let x = (since_start - phase) / j.swing.iteration_s;
    JobStep {
        hi: ramped(l.u_compute),
        lo: ramped(l.u_communication),
        compute: compute_overlap(x, dt / j.swing.iteration_s, duty),
        fill_base: l.u_compute * ramp,
        restarting,
    }
}

/// The hour's cooling / IT and losses / IT: the physics facility's split, else the fixed PUE's
/// overhead split by `losses_share`.
fn overhead_ratios(h: &Hour, p: &FastParams) -> (f64, f64) {
    let it_h = h.it_mw.max(1e-12);
    match (h.cooling_mw, h.losses_mw) {
        (Some(c), Some(l)) => {
            // Any overhead the split does not explain (lighting, offices) goes with losses.
            let other = (h.facility_mw - h.it_mw - c - l).max(0.0);
            (c / it_h, (l + other) / it_h)
        }
        _ => {
            let over = (h.facility_mw / it_h - 1.0).max(0.0);
            (over * (1.0 - p.losses_share), over * p.losses_share)
        }
    }
}

/// The hourly means the sectors follow, each as a mean-preserving profile across the hours
/// (no step at the hour boundaries): the steady sectors, the unallocated idle the jobs do not
/// account for, the training the jobs cannot reach, the overhead ratios and the request rate.
pub(super) struct Sectors {
    pub(super) consumer: Profile,
    pub(super) consumer_share: Profile,
    pub(super) requests: Profile,
    pub(super) industrial: Profile,
    pub(super) defense: Profile,
    /// Unallocated idle less the idle of the jobs' accelerators while free (added at the
    /// instants they are free).
    pub(super) other_idle: Profile,
    pub(super) residual: Profile,
    pub(super) cooling_ratio: Profile,
    pub(super) losses_ratio: Profile,
}

impl Sectors {
    pub(super) fn new(inp: &Inputs, residual_mw: &[f64]) -> Sectors {
        let p = &inp.params;
        let freed_mean = |h: &Hour| {
            inp.jobs
                .iter()
                .map(|j| {
                    j.accelerators
                        * j.idle_w
                        * (1.0 - j.held_in(h.start_s, h.start_s + 3600.0) / 3600.0)
                })
                .sum::<f64>()
                / 1e6
        };
        let of = |f: &dyn Fn(&Hour) -> f64| {
            let means: Vec<f64> = inp.hours.iter().map(f).collect();
            Profile::new(
                &means,
                inp.before.as_ref().map(f),
                inp.after.as_ref().map(f),
            )
        };
        Sectors {
            consumer: of(&|h| h.consumer_mw),
            consumer_share: of(&|h| h.consumer_dynamic_share),
            requests: of(&|h| h.requests_per_s),
            industrial: of(&|h| h.industrial_mw),
            defense: of(&|h| h.defense_mw),
            other_idle: of(&|h| (h.idle_mw - freed_mean(h)).max(0.0)),
            residual: Profile::new(residual_mw, None, None),
            cooling_ratio: of(&|h| overhead_ratios(h, p).0),
            losses_ratio: of(&|h| overhead_ratios(h, p).1),
        }
    }
}

/// Idle power of the jobs' accelerators not held at `t`, MW. The engine's hourly unallocated
/// idle holds them for the part of the hour they are free; moving that idle to the instants
/// they are free keeps the hour's mean and makes a job's end drop only its dynamic power (it
/// dropped its idle too, an 18.5 MW one-step drop in the default study).
pub(super) fn freed_now(inp: &Inputs, t: f64) -> f64 {
    inp.jobs
        .iter()
        .filter(|j| t < j.start_s || j.end_s.is_some_and(|e| t >= e))
        .map(|j| j.accelerators * j.idle_w)
        .sum::<f64>()
        / 1e6
}

/// Mean of a slice.
pub fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        0.0
    } else {
        x.iter().sum::<f64>() / x.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(training_mw: f64) -> Hour {
        Hour {
            start_s: 0.0,
            training_mw,
            it_mw: training_mw,
            facility_mw: training_mw * 1.2,
            ..Hour::default()
        }
    }

    fn job(acc: f64) -> Job {
        Job {
            name: "j".into(),
            start_s: -1e6,
            end_s: None,
            accelerators: acc,
            idle_w: 200.0,
            busy_w: 1000.0,
            board_idle_w: 70.0,
            tdp_w: 700.0,
            swing: Swing {
                compute: swing::BoardPower::Watts(700.0),
                communication: swing::BoardPower::Watts(70.0),
                ..Swing::default()
            },
            checkpoint_interval_s: 0.0,
            checkpoint_duration_s: 0.0,
            checkpoint_utilisation: 0.1,
            failure_rate_per_s: 0.0,
            restart_s: 0.0,
        }
    }

    #[test]
    fn calibrated_training_mean_matches_the_hour_and_facility_exceeds_it() {
        let jobs = vec![job(10_000.0)];
        // Compute at utilisation 1 for 0.7 of the iteration: 10,000 x (200 + 1000 x 0.7) W =
        // 9 MW; ask for 8 MW: the duty drops to 0.6.
        let inp = Inputs {
            t0_s: 0.0,
            duration_s: 3600.0,
            step_s: 0.1,
            hours: vec![hour(8.0)],
            before: None,
            after: None,
            jobs,
            params: FastParams::default(),
            seed: 1,
            trial: 0,
        };
        let w = build(&inp, &Shaping::default());
        assert!(
            (w.calibration[0].duty[0] - 0.6).abs() < 1e-12,
            "{:?}",
            w.calibration
        );
        assert!(w.warnings.is_empty(), "{:?}", w.warnings);
        let m = mean(&w.training);
        assert!((m - 8.0).abs() < 0.01 * 8.0, "{m}");
        assert!(
            w.facility
                .iter()
                .zip(&w.it)
                .all(|(f, i)| f >= i && *i >= 0.0)
        );
    }

    #[test]
    fn a_failure_drops_the_job_to_its_checkpoint_level_then_ramps_back() {
        let mut j = job(1000.0);
        j.failure_rate_per_s = 1.0 / 200.0;
        j.restart_s = 30.0;
        let inp = Inputs {
            t0_s: 0.0,
            duration_s: 3600.0,
            step_s: 0.5,
            hours: vec![hour(0.9)],
            before: None,
            after: None,
            jobs: vec![j],
            params: FastParams::default(),
            seed: 3,
            trial: 0,
        };
        let w = build(&inp, &Shaping::default());
        // Board at the checkpoint level: 70 + 630 x 0.1 = 133 W, for at least 30 s in a row.
        let b = &w.jobs[0].board_w;
        let mut run = 0;
        let mut best = 0;
        for x in b {
            if (x - 133.0).abs() < 1e-9 {
                run += 1;
                best = best.max(run);
            } else {
                run = 0;
            }
        }
        assert!(
            best >= 59,
            "longest stretch at the restart level: {best} steps"
        );
    }
}
