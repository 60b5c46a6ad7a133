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
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand_distr::StandardNormal;

use super::profile::Profile;
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

/// The window's waveforms, MW per step.
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

fn ou_step(x: f64, a: f64, sd: f64, z: f64) -> f64 {
    // Exact discretisation of an Ornstein-Uhlenbeck process with stationary sd `sd`.
    x * a + sd * (1.0 - a * a).max(0.0).sqrt() * z
}

/// Builds the window. The random draws come in a fixed order (each job's phase and failures,
/// then the sectors' noise step by step), so a trial's window is the same on every machine.
pub fn build(inp: &Inputs, shaping: &Shaping) -> Waveform {
    let n = (inp.duration_s / inp.step_s).round() as usize;
    let mut rng = ChaCha8Rng::seed_from_u64(inp.seed ^ 0x5EC0_4D5D_1A6A_11C3);
    rng.set_stream(inp.trial as u64);
    let cal = swing::calibrate(inp);
    let (phases, failures) = draw_jobs(inp, &mut rng);
    let mut w = Waveform::zeros(n, inp, &cal);
    for ji in 0..inp.jobs.len() {
        let duty = duty_profile(inp, &cal, ji);
        let trace = training(&mut w, inp, shaping, &duty, ji, phases[ji], &failures[ji]);
        w.jobs.push(trace);
    }
    let residual: Vec<f64> = cal.iter().map(|c| c.residual_mw).collect();
    sectors_and_facility(&mut w, inp, &residual, &mut rng);
    w
}

/// Job `ji`'s compute share through the window: each hour's calibrated share kept as the mean
/// over the part of the hour the job holds its accelerators, interpolated across the hours.
fn duty_profile(inp: &Inputs, cal: &[HourCalibration], ji: usize) -> Profile {
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
fn hour_at(inp: &Inputs, t: f64) -> (usize, f64) {
    let i = hour_of(inp, t);
    (i, (t - inp.hours[i].start_s) / 3600.0)
}

/// Per-job random draws, in job order: iteration phase, then failure times in the window.
fn draw_jobs(inp: &Inputs, rng: &mut ChaCha8Rng) -> (Vec<f64>, Vec<Vec<f64>>) {
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
    /// `n` steps of zeros, with the calibration's figures.
    fn zeros(n: usize, inp: &Inputs, cal: &[HourCalibration]) -> Waveform {
        Waveform {
            step_s: inp.step_s,
            t0_s: inp.t0_s,
            training: vec![0.0; n],
            consumer: vec![0.0; n],
            industrial: vec![0.0; n],
            defense: vec![0.0; n],
            idle: vec![0.0; n],
            it: vec![0.0; n],
            cooling: vec![0.0; n],
            losses: vec![0.0; n],
            facility: vec![0.0; n],
            training_shaped: vec![0.0; n],
            facility_shaped: vec![0.0; n],
            jobs: Vec::with_capacity(inp.jobs.len()),
            calibration: cal.to_vec(),
            warnings: swing::warnings(inp, cal),
            floor_mwh: 0.0,
            burn_mwh: 0.0,
            burn_acc_h: 0.0,
        }
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
struct JobStep {
    hi: f64,
    lo: f64,
    compute: f64,
    /// What the burn filler fills the communication phase towards (0 in a checkpoint or a
    /// restart, when it does not run).
    fill_base: f64,
    restarting: bool,
}

impl JobStep {
    fn u(&self) -> f64 {
        self.compute * self.hi + (1.0 - self.compute) * self.lo
    }
}

/// The job over the step from `t`: restart, checkpoint, or compute phase for the first `duty`
/// of each iteration and communication for the rest, and the ramp after a start (from idle) or
/// a restart (from the checkpoint level).
fn job_step(
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

/// Job `ji`'s power step by step, added to the waveform's training series (plain and shaped);
/// returns its board power per accelerator.
fn training(
    w: &mut Waveform,
    inp: &Inputs,
    shaping: &Shaping,
    duty_at: &Profile,
    ji: usize,
    phase: f64,
    fails: &[f64],
) -> JobTrace {
    let j = &inp.jobs[ji];
    let p = &inp.params;
    let dt = inp.step_s;
    let n = w.training.len();
    let levels = swing::levels(j);
    let mut board = vec![f64::NAN; n];
    let mut board_m = vec![f64::NAN; n];
    let range = (j.tdp_w - j.board_idle_w).max(1e-9);
    let board_w = j.board_dynamic_w();
    let floor_u = shaping.power_floor.map_or(0.0, |f| {
        ((f * j.tdp_w - j.board_idle_w) / range).clamp(0.0, 1.0)
    });
    let mut fi = 0;
    for (k, slot) in board.iter_mut().enumerate() {
        let t = inp.t0_s + k as f64 * dt;
        if t < j.start_s || j.end_s.is_some_and(|e| t >= e) {
            continue;
        }
        let (hi, x) = hour_at(inp, t);
        let duty = duty_at.at(hi, x).clamp(0.0, 1.0);
        while fi + 1 < fails.len() && fails[fi + 1] <= t {
            fi += 1;
        }
        // The latest failure at or before t (if any).
        let last_fail = fails.get(fi).copied().filter(|&f| f <= t && f >= j.start_s);
        let s = job_step(j, p, (t, dt), (phase, duty), last_fail, &levels);
        let u = s.u();
        // The floor and the filler act within each phase of the step.
        let hi_m = s.hi.max(floor_u);
        let mut lo_m = s.lo.max(floor_u);
        let floor_gain = s.compute * hi_m + (1.0 - s.compute) * lo_m - u;
        if let Some(fill) = shaping.burn_fill_to
            && !s.restarting
        {
            // The filler's throughput cost falls on the whole job while it runs, not only on
            // the steps it fills.
            w.burn_acc_h += j.accelerators * dt / 3600.0;
            let target = fill * s.fill_base;
            if target > lo_m {
                let gain = (1.0 - s.compute) * (target - lo_m);
                w.burn_mwh += j.accelerators * board_w * gain * dt / 3.6e9;
                lo_m = target;
            }
        }
        let u_m = s.compute * hi_m + (1.0 - s.compute) * lo_m;
        w.floor_mwh += j.accelerators * board_w * floor_gain * dt / 3.6e9;
        *slot = j.board_idle_w + range * u;
        board_m[k] = j.board_idle_w + range * u_m;
        w.training[k] += j.accelerators * (j.idle_w + j.busy_w * u) / 1e6;
        // The host (CPUs, NICs, fans) follows the job's own utilisation, not the floor's.
        let host = j.idle_w + (j.busy_w - board_w) * u;
        w.training_shaped[k] += j.accelerators * (host + board_w * u_m) / 1e6;
    }
    JobTrace {
        board_w: board,
        board_mitigated_w: board_m,
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
struct Sectors {
    consumer: Profile,
    consumer_share: Profile,
    requests: Profile,
    industrial: Profile,
    defense: Profile,
    /// Unallocated idle less the idle of the jobs' accelerators while free (added at the
    /// instants they are free).
    other_idle: Profile,
    residual: Profile,
    cooling_ratio: Profile,
    losses_ratio: Profile,
}

impl Sectors {
    fn new(inp: &Inputs, residual_mw: &[f64]) -> Sectors {
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

/// Inference and steady sectors (Ornstein-Uhlenbeck noise per step, drawn in a fixed order),
/// the training the jobs do not reach, and cooling and losses lagging IT power; every hourly
/// mean interpolated ([`Sectors`]).
fn sectors_and_facility(w: &mut Waveform, inp: &Inputs, residual_mw: &[f64], rng: &mut ChaCha8Rng) {
    let p = &inp.params;
    let dt = inp.step_s;
    let a_srv = (-dt / p.service_s.max(1e-9)).exp();
    let a_st = (-dt / p.steady_tau_s.max(1e-9)).exp();
    let z0: f64 = rng.sample(StandardNormal);
    let z1: f64 = rng.sample(StandardNormal);
    let z2: f64 = rng.sample(StandardNormal);
    let h0 = &inp.hours[0];
    let sd_inf = |rate: f64| {
        let m = rate * p.service_s;
        if m > 0.0 { 1.0 / m.sqrt() } else { 0.0 }
    };
    let mut x_inf = z0; // in units of its stationary sd
    let mut x_ind = z1 * p.steady_sd;
    let mut x_def = z2 * p.steady_sd;
    let a_c = 1.0 - (-dt / p.cooling_tau_s.max(1e-9)).exp();
    let a_e = 1.0 - (-dt / p.electrical_tau_s.max(1e-9)).exp();
    let sec = Sectors::new(inp, residual_mw);
    let mut y_c = h0.it_mw;
    let mut y_e = h0.it_mw;
    let mut y_cm = h0.it_mw;
    let mut y_em = h0.it_mw;
    for k in 0..w.len() {
        let t = inp.t0_s + k as f64 * dt;
        let (i, x) = hour_at(inp, t);
        let (za, zb, zc): (f64, f64, f64) = (
            rng.sample(StandardNormal),
            rng.sample(StandardNormal),
            rng.sample(StandardNormal),
        );
        x_inf = ou_step(x_inf, a_srv, 1.0, za);
        x_ind = ou_step(x_ind, a_st, p.steady_sd, zb);
        x_def = ou_step(x_def, a_st, p.steady_sd, zc);
        let rel_inf = (sd_inf(sec.requests.at(i, x)) * x_inf).max(-1.0);
        let share = sec.consumer_share.at(i, x).clamp(0.0, 1.0);
        w.consumer[k] = (sec.consumer.at(i, x) * (1.0 + share * rel_inf)).max(0.0);
        w.industrial[k] = (sec.industrial.at(i, x) * (1.0 + x_ind)).max(0.0);
        w.defense[k] = (sec.defense.at(i, x) * (1.0 + x_def)).max(0.0);
        w.idle[k] = (sec.other_idle.at(i, x) + freed_now(inp, t)).max(0.0);
        let resid = sec.residual.at(i, x);
        w.training[k] += resid;
        w.training_shaped[k] += resid;
        let rest = w.consumer[k] + w.industrial[k] + w.defense[k] + w.idle[k];
        w.it[k] = w.training[k] + rest;
        let it_m = w.training_shaped[k] + rest;
        let (c_ratio, l_ratio) = (sec.cooling_ratio.at(i, x), sec.losses_ratio.at(i, x));
        y_c += (w.it[k] - y_c) * a_c;
        y_e += (w.it[k] - y_e) * a_e;
        y_cm += (it_m - y_cm) * a_c;
        y_em += (it_m - y_em) * a_e;
        w.cooling[k] = c_ratio * y_c;
        w.losses[k] = l_ratio * y_e;
        w.facility[k] = w.it[k] + w.cooling[k] + w.losses[k];
        w.facility_shaped[k] = it_m + c_ratio * y_cm + l_ratio * y_em;
    }
}

/// Idle power of the jobs' accelerators not held at `t`, MW. The engine's hourly unallocated
/// idle holds them for the part of the hour they are free; moving that idle to the instants
/// they are free keeps the hour's mean and makes a job's end drop only its dynamic power (it
/// dropped its idle too, an 18.5 MW one-step drop in the default study).
fn freed_now(inp: &Inputs, t: f64) -> f64 {
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
