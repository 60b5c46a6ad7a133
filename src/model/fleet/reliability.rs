//! Server failures and repairs, and what they do to training jobs and defense missions.
//!
//! Accelerators fail at a constant rate per accelerator-hour; a failure takes its whole server
//! down (it draws no power and serves no work) until it is repaired, after an exponentially
//! distributed repair time. Counts are drawn per group and step (Poisson), so a fleet of a
//! million servers costs the same per step as a small one.
//!
//! The default rate is calibrated on Meta's Llama 3 report (Dubey et al., "The Llama 3 Herd of
//! Models", 2024, section 3.3.4): 419 unexpected interruptions in a 54-day snapshot of
//! pre-training on 16,384 H100 GPUs, i.e. 419 / (54 x 24 x 16,384) = 1.97e-5 per GPU-hour, one
//! interruption of a 16,384-GPU job every 3.1 hours. A training job hit by a failure restarts from
//! its last checkpoint: the progress since then is lost and redone, and the restart takes
//! `restart_minutes` at low power. A defense mission is available while its pool's working
//! accelerators cover one copy of its work; redundancy (2N, N+M) is what keeps it there.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::base::error::{Result, Source};
use crate::input::check::{err_after, non_negative, positive};

/// Llama 3 (Dubey et al. 2024): 419 interruptions / (54 days x 24 h x 16,384 GPUs).
pub const LLAMA3_RATE_PER_ACC_HOUR: f64 = 419.0 / (54.0 * 24.0 * 16_384.0);

/// The `[failures]` table.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FailureSpec {
    /// Failures per accelerator-hour (default: the Llama 3 figure).
    pub rate_per_acc_hour: Option<f64>,
    /// Mean time to repair a failed server, hours (default 24; exponential).
    pub repair_hours: Option<f64>,
    /// Time a training job needs to restart from its checkpoint, minutes (default 20).
    pub restart_minutes: Option<f64>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Failures {
    pub rate_per_acc_s: f64,
    pub repair_s: f64,
    pub restart_s: u64,
}

impl Failures {
    pub fn resolve(spec: &Spanned<FailureSpec>, src: &Source) -> Result<Failures> {
        let (at, spec) = (spec.span().start, spec.get_ref());
        let rate = spec.rate_per_acc_hour.unwrap_or(LLAMA3_RATE_PER_ACC_HOUR);
        non_negative(src, at, "rate_per_acc_hour", rate)?;
        if rate > 1.0 {
            return Err(err_after(
                src,
                at,
                "rate_per_acc_hour",
                "expected failures per accelerator-hour, at most 1",
            ));
        }
        let repair = spec.repair_hours.unwrap_or(24.0);
        positive(src, at, "repair_hours", repair)?;
        let restart = spec.restart_minutes.unwrap_or(20.0);
        non_negative(src, at, "restart_minutes", restart)?;
        Ok(Failures {
            rate_per_acc_s: rate / 3600.0,
            repair_s: repair * 3600.0,
            restart_s: (restart * 60.0).round() as u64,
        })
    }
}
