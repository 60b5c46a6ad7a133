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

/// Per hour the window touches: the duty factor that makes the jobs' expected power (idle of
/// held accelerators + checkpoint duty + compute/communication duty, each job weighted by the
/// part of the hour it holds its accelerators) the hourly engine's.
pub fn calibrate(inp: &Inputs) -> Vec<HourCalibration> {
    let lv: Vec<Levels> = inp.jobs.iter().map(levels).collect();
    inp.hours
        .iter()
        .map(|h| {
            let (a, b) = (h.start_s, h.start_s + 3600.0);
            let mut fixed = 0.0;
            let mut scaled = 0.0;
            for (j, l) in inp.jobs.iter().zip(&lv) {
                let w = j.held_in(a, b) / 3600.0;
                let d = j.checkpoint_duty();
                let run = (1.0 - d) * l.u_communication + d * j.checkpoint_utilisation;
                fixed += w * j.accelerators * (j.idle_w + j.busy_w * run);
                scaled += w
                    * j.accelerators
                    * j.busy_w
                    * (1.0 - d)
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
            for ((j, l), d_run) in inp.jobs.iter().zip(&lv).zip(&duty) {
                let w = j.held_in(a, b) / 3600.0;
                reached += w
                    * j.accelerators
                    * j.busy_w
                    * (1.0 - j.checkpoint_duty())
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
