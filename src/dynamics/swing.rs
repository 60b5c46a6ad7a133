//! The training swing as an input, and the calibration that keeps it.
//!
//! A utility's dynamics team asks "how many MW does the campus swing, and how fast": the answer
//! must be the stated one, not whatever a mean-matching step leaves of it. So each job's swing
//! is stated as board power per accelerator in its two phases (compute and communication, in W
//! or as shares of TDP) and an iteration time, per `[[training]]` of the study or one default for
//! all. Calibration to the hourly engine then moves only the *duty* (the share of each iteration
//! spent computing): for every hour the window touches one factor scales every job's stated
//! compute share so that the jobs' expected power equals the engine's `it_training_mw`. The swing
//! changes only where the stated levels lie outside the board's range (below idle or above
//! TDP) or the hour's mean cannot be met with a duty from 0 to 1, and each such case is a
//! warning in compliance.json.

use super::window::{Inputs, Job};

/// A board's power in one phase: a share of its TDP or watts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BoardPower {
    TdpShare(f64),
    Watts(f64),
}

impl BoardPower {
    pub fn watts(self, tdp_w: f64) -> f64 {
        match self {
            BoardPower::TdpShare(s) => s * tdp_w,
            BoardPower::Watts(w) => w,
        }
    }
}

/// One job's synchronous iteration: its period, the share of it computing, and the board power
/// of each phase.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Swing {
    pub iteration_s: f64,
    pub compute_share: f64,
    pub compute: BoardPower,
    pub communication: BoardPower,
}

impl Default for Swing {
    /// Compute near TDP, communication near idle (estimates, in the form of the published
    /// descriptions: arXiv 2508.14318 reports swings of most of the board's range at 0.2-3 Hz).
    fn default() -> Self {
        Swing {
            iteration_s: 2.0,
            compute_share: 0.7,
            compute: BoardPower::TdpShare(1.0),
            communication: BoardPower::TdpShare(0.3),
        }
    }
}

/// A `[[training.job]]` of the dynamics file: the swing of the study's `[[training]]` of that
/// name, and where the entry is (for an error when the study has no such training).
#[derive(Clone, Debug)]
pub struct JobSwing {
    pub training: String,
    pub swing: Swing,
    pub at: String,
}

/// A job's phases as utilisations of its board's range, and its per-accelerator swing.
#[derive(Clone, Copy, Debug)]
pub struct Levels {
    pub u_compute: f64,
    pub u_communication: f64,
    /// Board W as stated and as the board can give them (clipped to idle..TDP).
    pub stated_w: (f64, f64),
    pub effective_w: (f64, f64),
}

impl Levels {
    pub fn stated_swing_w(&self) -> f64 {
        self.stated_w.0 - self.stated_w.1
    }
    pub fn effective_swing_w(&self) -> f64 {
        self.effective_w.0 - self.effective_w.1
    }
}

/// The stated phases of job `j` on its board.
pub fn levels(j: &Job) -> Levels {
    let range = (j.tdp_w - j.board_idle_w).max(1e-9);
    let stated = (
        j.swing.compute.watts(j.tdp_w),
        j.swing.communication.watts(j.tdp_w),
    );
    let u = |w: f64| ((w - j.board_idle_w) / range).clamp(0.0, 1.0);
    let (uc, um) = (u(stated.0), u(stated.1).min(u(stated.0)));
    Levels {
        u_compute: uc,
        u_communication: um,
        stated_w: stated,
        effective_w: (j.board_idle_w + range * uc, j.board_idle_w + range * um),
    }
}

/// One hour's calibration.
#[derive(Clone, Debug)]
pub struct HourCalibration {
    /// Factor on every job's stated compute share (1 = the stated duty gives the hour's mean).
    pub factor: f64,
    /// Each job's compute share in this hour (in job order; the stated one where it holds no
    /// accelerators).
    pub duty: Vec<f64>,
    /// Training power the jobs cannot reach even computing all the time, MW, added as steady
    /// power (the mean holds, the swing is the stated one).
    pub residual_mw: f64,
    /// Training power above the hour's even at a duty of 0, MW (the window's mean is then high).
    pub excess_mw: f64,
}

/// Seconds of [a, b) job `j` spends running and in checkpoints, each weighted by the start's
/// ramp (a step at a share r of the ramp counts r): the checkpoints at the job's schedule
/// (start + k x interval, k >= 1, for the checkpoint duration), as the waveform places them,
/// not a statistical duty (which put a job's start hour, with no checkpoint yet, 5.7 % above
/// the engine's).
#[derive(Clone, Copy, Debug)]
pub struct HeldTime {
    pub held_s: f64,
    pub running_s: f64,
    pub checkpoint_s: f64,
}

/// Integral of the start ramp (0 at `start`, 1 after `ramp_s`) over [a, b).
fn ramp_integral(start: f64, ramp_s: f64, a: f64, b: f64) -> f64 {
    if b <= a {
        return 0.0;
    }
    if ramp_s <= 0.0 {
        return (b - a.max(start)).max(0.0);
    }
    // Antiderivative of clamp((t - start) / ramp, 0, 1).
    let g = |t: f64| {
        let x = t - start;
        if x <= 0.0 {
            0.0
        } else if x <= ramp_s {
            x * x / (2.0 * ramp_s)
        } else {
            ramp_s / 2.0 + (x - ramp_s)
        }
    };
    g(b) - g(a)
}

/// Job `j`'s [`HeldTime`] in [a, b) with a start ramp of `ramp_s`.
pub fn held_time(j: &Job, ramp_s: f64, a: f64, b: f64) -> HeldTime {
    let s = j.start_s.max(a);
    let e = j.end_s.unwrap_or(f64::INFINITY).min(b);
    if e <= s {
        return HeldTime {
            held_s: 0.0,
            running_s: 0.0,
            checkpoint_s: 0.0,
        };
    }
    let all = ramp_integral(j.start_s, ramp_s, s, e);
    let (iv, dur) = (j.checkpoint_interval_s, j.checkpoint_duration_s);
    let mut ck = 0.0;
    if iv > 0.0 && dur > 0.0 {
        let k0 = (((s - j.start_s - dur) / iv).floor() as i64).max(1);
        let mut k = k0;
        loop {
            let c0 = j.start_s + k as f64 * iv;
            if c0 >= e {
                break;
            }
            ck += ramp_integral(j.start_s, ramp_s, c0.max(s), (c0 + dur.min(iv)).min(e));
            k += 1;
        }
    }
    HeldTime {
        held_s: e - s,
        running_s: all - ck,
        checkpoint_s: ck,
    }
}

/// Per hour the window touches: the duty factor that makes the jobs' expected power (idle of
/// held accelerators + checkpoints at their schedule + compute/communication duty while running,
/// each weighted by the start's ramp) the hourly engine's.
pub fn calibrate(inp: &Inputs) -> Vec<HourCalibration> {
    let lv: Vec<Levels> = inp.jobs.iter().map(levels).collect();
    let ramp = inp.params.start_ramp_s;
    inp.hours
        .iter()
        .map(|h| {
            let (a, b) = (h.start_s, h.start_s + 3600.0);
            let times: Vec<HeldTime> = inp.jobs.iter().map(|j| held_time(j, ramp, a, b)).collect();
            let mut fixed = 0.0;
            let mut scaled = 0.0;
            for ((j, l), ht) in inp.jobs.iter().zip(&lv).zip(&times) {
                let (held, run, ck) = (
                    ht.held_s / 3600.0,
                    ht.running_s / 3600.0,
                    ht.checkpoint_s / 3600.0,
                );
                fixed += j.accelerators
                    * (held * j.idle_w
                        + j.busy_w * (run * l.u_communication + ck * j.checkpoint_utilisation));
                scaled += run
                    * j.accelerators
                    * j.busy_w
                    * j.swing.compute_share
                    * (l.u_compute - l.u_communication);
            }
            let need = h.training_mw * 1e6 - fixed;
            let k = if scaled > 0.0 {
                (need / scaled).max(0.0)
            } else {
                1.0
            };
            let duty: Vec<f64> = inp
                .jobs
                .iter()
                .map(|j| (k * j.swing.compute_share).min(1.0))
                .collect();
            // What the duties reach once clipped at 1.
            let mut reached = 0.0;
            for (((j, l), d_run), ht) in inp.jobs.iter().zip(&lv).zip(&duty).zip(&times) {
                reached += ht.running_s / 3600.0
                    * j.accelerators
                    * j.busy_w
                    * d_run
                    * (l.u_compute - l.u_communication);
            }
            HourCalibration {
                factor: k,
                duty,
                residual_mw: (need - reached).max(0.0) / 1e6,
                excess_mw: (-need).max(0.0) / 1e6,
            }
        })
        .collect()
}

/// What compliance.json warns about: a job whose board cannot give the stated levels (the
/// swing differs from the file's by more than 2 %), an hour whose mean the stated swing cannot
/// meet.
pub fn warnings(inp: &Inputs, cal: &[HourCalibration]) -> Vec<String> {
    let mut out = Vec::new();
    for j in &inp.jobs {
        let l = levels(j);
        let (s, e) = (l.stated_swing_w(), l.effective_swing_w());
        if (s - e).abs() > 0.02 * s.abs().max(1e-9) {
            out.push(format!(
                "{}: the stated swing {s:.0} W per accelerator ({:.0} to {:.0} W) lies outside the board's {:.0}-{:.0} W; the waveform swings {e:.0} W",
                j.name, l.stated_w.1, l.stated_w.0, j.board_idle_w, j.tdp_w
            ));
        }
    }
    for (h, c) in inp.hours.iter().zip(cal) {
        let hour = (h.start_s / 3600.0) as u64;
        if c.residual_mw > 1e-6 {
            out.push(format!(
                "hour {hour}: the jobs computing all the time reach {:.3} MW less than the hourly engine's {:.3} MW of training; that much is added as steady power (the swing is the stated one, the duty 1)",
                c.residual_mw, h.training_mw
            ));
        }
        if c.excess_mw > 1e-6 {
            out.push(format!(
                "hour {hour}: the jobs at their communication level alone draw {:.3} MW more than the hourly engine's {:.3} MW of training; the window's training mean is that much high",
                c.excess_mw, h.training_mw
            ));
        }
    }
    out
}
