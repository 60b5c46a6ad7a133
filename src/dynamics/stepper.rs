//! The window one step at a time: every series' value at step k, computed from step k - 1's
//! state only, so a window of any length can be written as it is computed (`waveform.csv` in
//! `dcload dynamics`) or kept whole ([`super::window::build`]). The random draws come in a fixed
//! order (each job's phase and failures, then the sectors' noise step by step), so a trial's
//! window is the same on every machine and on every pass.

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand_distr::StandardNormal;

use super::profile::Profile;
use super::swing::{self, HourCalibration, Levels};
use super::window::{
    Inputs, Sectors, Shaping, draw_jobs, duty_profile, freed_now, hour_at, job_step, ou_step,
};

/// Every series of one step, MW.
#[derive(Clone, Copy, Debug, Default)]
pub struct Step {
    pub training: f64,
    pub consumer: f64,
    pub industrial: f64,
    pub defense: f64,
    pub idle: f64,
    pub it: f64,
    pub cooling: f64,
    pub losses: f64,
    pub facility: f64,
    /// With the power floor and burn filler (storage acts later, at the meter).
    pub training_shaped: f64,
    pub facility_shaped: f64,
}

/// A job while the window runs: its compute share through the window, its draws, and its
/// board's figures.
struct JobRun {
    duty: Profile,
    phase: f64,
    fails: Vec<f64>,
    /// Index of the latest failure seen.
    fi: usize,
    levels: Levels,
    range: f64,
    board_dynamic_w: f64,
    floor_u: f64,
}

/// The sectors' noise and the lags' states.
struct State {
    x_inf: f64,
    x_ind: f64,
    x_def: f64,
    y_c: f64,
    y_e: f64,
    y_cm: f64,
    y_em: f64,
}

/// The window as an iterator of [`Step`]s; after each, [`Stepper::boards`] holds each job's
/// board power per accelerator (plain and mitigated, W; NaN while it holds none).
pub struct Stepper<'a> {
    inp: &'a Inputs,
    shaping: &'a Shaping,
    jobs: Vec<JobRun>,
    boards: Vec<(f64, f64)>,
    sec: Sectors,
    rng: ChaCha8Rng,
    s: State,
    /// OU decay per step of inference and of the steady sectors; lag gains of cooling and losses.
    a: [f64; 4],
    k: usize,
    n: usize,
    pub calibration: Vec<HourCalibration>,
    /// Extra energy of the floor and of the burn filler, MWh, and the accelerator-hours of the
    /// jobs the filler runs on, so far.
    pub floor_mwh: f64,
    pub burn_mwh: f64,
    pub burn_acc_h: f64,
}

impl<'a> Stepper<'a> {
    pub fn new(inp: &'a Inputs, shaping: &'a Shaping) -> Stepper<'a> {
        let n = (inp.duration_s / inp.step_s).round() as usize;
        let p = &inp.params;
        let dt = inp.step_s;
        let mut rng = ChaCha8Rng::seed_from_u64(inp.seed ^ 0x5EC0_4D5D_1A6A_11C3);
        rng.set_stream(inp.trial as u64);
        let cal = swing::calibrate(inp);
        let (phases, failures) = draw_jobs(inp, &mut rng);
        let jobs = inp
            .jobs
            .iter()
            .zip(phases.into_iter().zip(failures))
            .enumerate()
            .map(|(ji, (j, (phase, fails)))| {
                let range = (j.tdp_w - j.board_idle_w).max(1e-9);
                JobRun {
                    duty: duty_profile(inp, &cal, ji),
                    phase,
                    fails,
                    fi: 0,
                    levels: swing::levels(j),
                    range,
                    board_dynamic_w: j.board_dynamic_w(),
                    floor_u: shaping.power_floor.map_or(0.0, |f| {
                        ((f * j.tdp_w - j.board_idle_w) / range).clamp(0.0, 1.0)
                    }),
                }
            })
            .collect();
        let z: [f64; 3] = std::array::from_fn(|_| rand::RngExt::sample(&mut rng, StandardNormal));
        let it0 = inp.hours[0].it_mw;
        let residual: Vec<f64> = cal.iter().map(|c| c.residual_mw).collect();
        Stepper {
            inp,
            shaping,
            jobs,
            boards: vec![(f64::NAN, f64::NAN); inp.jobs.len()],
            sec: Sectors::new(inp, &residual),
            rng,
            s: State {
                x_inf: z[0], // in units of its stationary sd
                x_ind: z[1] * p.steady_sd,
                x_def: z[2] * p.steady_sd,
                y_c: it0,
                y_e: it0,
                y_cm: it0,
                y_em: it0,
            },
            a: [
                (-dt / p.service_s.max(1e-9)).exp(),
                (-dt / p.steady_tau_s.max(1e-9)).exp(),
                1.0 - (-dt / p.cooling_tau_s.max(1e-9)).exp(),
                1.0 - (-dt / p.electrical_tau_s.max(1e-9)).exp(),
            ],
            k: 0,
            n,
            calibration: cal,
            floor_mwh: 0.0,
            burn_mwh: 0.0,
            burn_acc_h: 0.0,
        }
    }

    /// Steps in the window.
    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Each job's board power per accelerator at the last step, W (plain, mitigated).
    pub fn boards(&self) -> &[(f64, f64)] {
        &self.boards
    }

    /// Job `ji` at instant `t`: its power (plain, shaped), MW, and its board's.
    fn job(&mut self, ji: usize, t: f64) -> (f64, f64) {
        let (inp, dt) = (self.inp, self.inp.step_s);
        let j = &inp.jobs[ji];
        let r = &mut self.jobs[ji];
        if t < j.start_s || j.end_s.is_some_and(|e| t >= e) {
            self.boards[ji] = (f64::NAN, f64::NAN);
            return (0.0, 0.0);
        }
        let (hi, x) = hour_at(inp, t);
        let duty = r.duty.at(hi, x).clamp(0.0, 1.0);
        while r.fi + 1 < r.fails.len() && r.fails[r.fi + 1] <= t {
            r.fi += 1;
        }
        // The latest failure at or before t (if any).
        let last_fail = r
            .fails
            .get(r.fi)
            .copied()
            .filter(|&f| f <= t && f >= j.start_s);
        let s = job_step(
            j,
            &inp.params,
            (t, dt),
            (r.phase, duty),
            last_fail,
            &r.levels,
        );
        let u = s.u();
        // The floor and the filler act within each phase of the step.
        let hi_m = s.hi.max(r.floor_u);
        let mut lo_m = s.lo.max(r.floor_u);
        let floor_gain = s.compute * hi_m + (1.0 - s.compute) * lo_m - u;
        let board_w = r.board_dynamic_w;
        if let Some(fill) = self.shaping.burn_fill_to
            && !s.restarting
        {
            // The filler's throughput cost falls on the whole job while it runs, not only on
            // the steps it fills.
            self.burn_acc_h += j.accelerators * dt / 3600.0;
            let target = fill * s.fill_base;
            if target > lo_m {
                let gain = (1.0 - s.compute) * (target - lo_m);
                self.burn_mwh += j.accelerators * board_w * gain * dt / 3.6e9;
                lo_m = target;
            }
        }
        let u_m = s.compute * hi_m + (1.0 - s.compute) * lo_m;
        self.floor_mwh += j.accelerators * board_w * floor_gain * dt / 3.6e9;
        self.boards[ji] = (j.board_idle_w + r.range * u, j.board_idle_w + r.range * u_m);
        // The host (CPUs, NICs, fans) follows the job's own utilisation, not the floor's.
        let host = j.idle_w + (j.busy_w - board_w) * u;
        (
            j.accelerators * (j.idle_w + j.busy_w * u) / 1e6,
            j.accelerators * (host + board_w * u_m) / 1e6,
        )
    }
}

impl Iterator for Stepper<'_> {
    type Item = Step;

    fn next(&mut self) -> Option<Step> {
        if self.k >= self.n {
            return None;
        }
        let inp = self.inp;
        let p = &inp.params;
        let t = inp.t0_s + self.k as f64 * inp.step_s;
        self.k += 1;
        let mut out = Step::default();
        for ji in 0..self.jobs.len() {
            let (plain, shaped) = self.job(ji, t);
            out.training += plain;
            out.training_shaped += shaped;
        }
        let (i, x) = hour_at(inp, t);
        let z: [f64; 3] =
            std::array::from_fn(|_| rand::RngExt::sample(&mut self.rng, StandardNormal));
        let (sec, s, a) = (&self.sec, &mut self.s, self.a);
        s.x_inf = ou_step(s.x_inf, a[0], 1.0, z[0]);
        s.x_ind = ou_step(s.x_ind, a[1], p.steady_sd, z[1]);
        s.x_def = ou_step(s.x_def, a[1], p.steady_sd, z[2]);
        let rate = sec.requests.at(i, x) * p.service_s;
        let sd_inf = if rate > 0.0 { 1.0 / rate.sqrt() } else { 0.0 };
        let rel_inf = (sd_inf * s.x_inf).max(-1.0);
        let share = sec.consumer_share.at(i, x).clamp(0.0, 1.0);
        out.consumer = (sec.consumer.at(i, x) * (1.0 + share * rel_inf)).max(0.0);
        out.industrial = (sec.industrial.at(i, x) * (1.0 + s.x_ind)).max(0.0);
        out.defense = (sec.defense.at(i, x) * (1.0 + s.x_def)).max(0.0);
        out.idle = (sec.other_idle.at(i, x) + freed_now(inp, t)).max(0.0);
        let resid = sec.residual.at(i, x);
        out.training += resid;
        out.training_shaped += resid;
        let rest = out.consumer + out.industrial + out.defense + out.idle;
        out.it = out.training + rest;
        let it_m = out.training_shaped + rest;
        let (c_ratio, l_ratio) = (sec.cooling_ratio.at(i, x), sec.losses_ratio.at(i, x));
        s.y_c += (out.it - s.y_c) * a[2];
        s.y_e += (out.it - s.y_e) * a[3];
        s.y_cm += (it_m - s.y_cm) * a[2];
        s.y_em += (it_m - s.y_em) * a[3];
        out.cooling = c_ratio * s.y_c;
        out.losses = l_ratio * s.y_e;
        out.facility = out.it + out.cooling + out.losses;
        out.facility_shaped = it_m + c_ratio * s.y_cm + l_ratio * s.y_em;
        Some(out)
    }
}
