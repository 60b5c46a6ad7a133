//! Training jobs (Dojo ExaPOD, frontier-model runs).
//!
//! A job holds many accelerators for days to months and runs them in lockstep near peak, so its
//! power is one synchronised block: tens of MW appear when it starts, vanish when it ends, and
//! dip every checkpoint while the job writes state and the accelerators wait. Jobs arrive on a
//! schedule, at random (Poisson), or back to back; a job that finds too few free accelerators
//! waits for one to end.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::Ctx;
use crate::base::error::Result;
use crate::input::check::{fraction, non_negative, positive};
use crate::model::fleet::ConsumerReserve;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingSpec {
    pub name: Spanned<String>,
    pub pool: Spanned<String>,
    /// Accelerators per job (default: the whole pool).
    pub accelerators: Option<f64>,
    /// Utilisation while computing (default 0.95); or state the power instead:
    pub utilisation: Option<f64>,
    /// Measured average power per accelerator while computing, W (instead of `utilisation`).
    pub watts_per_accelerator: Option<f64>,
    /// What that average covers: "server" (the accelerator's share of its server, host
    /// included; default) or "accelerator" (the board alone).
    pub watts_scope: Option<crate::model::fleet::WattsScope>,
    pub duration_days: f64,
    /// Coefficient of variation of the job duration (lognormal); 0 = fixed.
    #[serde(default)]
    pub duration_cv: f64,
    /// Days of the horizon on which a job is submitted.
    #[serde(default)]
    pub start_days: Vec<f64>,
    /// Random submissions, a Poisson process.
    #[serde(default)]
    pub jobs_per_year: f64,
    /// Submit the next job as soon as one ends (plus `gap_h`), starting at t = 0.
    #[serde(default)]
    pub continuous: bool,
    #[serde(default)]
    pub gap_h: f64,
    /// Minutes between checkpoints (0 = none), their length, and utilisation while writing.
    #[serde(default)]
    pub checkpoint_interval_min: f64,
    #[serde(default)]
    pub checkpoint_duration_min: f64,
    #[serde(default = "ckpt_util")]
    pub checkpoint_utilisation: f64,
}

fn util() -> f64 {
    0.95
}
fn ckpt_util() -> f64 {
    0.15
}

#[derive(Clone, Debug, Serialize)]
pub struct Training {
    pub name: String,
    pub pool: usize,
    pub job_accelerators: f64,
    pub utilisation: f64,
    pub duration_s: f64,
    pub duration_cv: f64,
    pub start_s: Vec<u64>,
    pub jobs_per_year: f64,
    pub continuous: bool,
    pub gap_s: u64,
    pub checkpoint_interval_s: u64,
    pub checkpoint_duration_s: u64,
    pub checkpoint_utilisation: f64,
    /// Jobs that fit in the pool at once.
    pub max_concurrent: usize,
    /// What the pool keeps for its consumer classes: jobs start only on the rest.
    #[serde(skip_serializing_if = "ConsumerReserve::is_none")]
    pub pool_reserve: ConsumerReserve,
}

impl Training {
    /// Resolves a `[[training]]` table: the job's size in its pool, its power, duration and
    /// checkpoints, and when jobs are submitted.
    pub fn resolve(spec: &TrainingSpec, ctx: &Ctx) -> Result<Training> {
        let src = ctx.src;
        let at = spec.name.span().start;
        let pool = ctx.pool(&spec.pool)?;
        let (acc, at_once) = job_size(spec, ctx, pool, at)?;
        let utilisation = super::utilisation_or_watts(
            ctx,
            at,
            pool,
            "utilisation",
            (
                spec.utilisation,
                spec.watts_per_accelerator,
                spec.watts_scope,
            ),
            util(),
        )?;
        positive(src, at, "duration_days", spec.duration_days)?;
        non_negative(src, at, "duration_cv", spec.duration_cv)?;
        non_negative(src, at, "jobs_per_year", spec.jobs_per_year)?;
        non_negative(src, at, "gap_h", spec.gap_h)?;
        check_checkpoints(spec, ctx, at)?;
        for d in &spec.start_days {
            non_negative(src, at, "start_days", *d)?;
        }
        ctx.ensure(
            !(spec.start_days.is_empty() && spec.jobs_per_year == 0.0 && !spec.continuous),
            at,
            "name",
            "no jobs would ever run: give start_days, jobs_per_year or continuous = true",
        )?;
        let mut start_s: Vec<u64> = spec.start_days.iter().map(|d| ctx.days_to_s(*d)).collect();
        start_s.sort_unstable();
        Ok(Training {
            name: spec.name.get_ref().clone(),
            pool,
            job_accelerators: acc,
            utilisation,
            duration_s: spec.duration_days * 86_400.0,
            duration_cv: spec.duration_cv,
            start_s,
            jobs_per_year: spec.jobs_per_year,
            continuous: spec.continuous,
            gap_s: (spec.gap_h * 3600.0).round() as u64,
            checkpoint_interval_s: (spec.checkpoint_interval_min * 60.0).round() as u64,
            checkpoint_duration_s: (spec.checkpoint_duration_min * 60.0).round() as u64,
            checkpoint_utilisation: spec.checkpoint_utilisation,
            max_concurrent: (at_once as usize).max(1),
            pool_reserve: ctx.fleet.pools[pool].reserve,
        })
    }
}

/// Accelerators per job (default the whole pool, less what it reserves for consumer classes)
/// and how many such jobs fit in the pool at once: a whole number, at least 1, no more than
/// training may hold there, and not so small that the pool runs more jobs at once than the
/// engine tracks.
fn job_size(spec: &TrainingSpec, ctx: &Ctx, pool: usize, at: usize) -> Result<(f64, f64)> {
    use crate::input::limits::{MAX_JOBS_AT_ONCE, num};
    let p = &ctx.fleet.pools[pool];
    let pool_acc = p.reserve.training_acc(p.accelerators);
    let acc = spec.accelerators.unwrap_or(pool_acc.floor());
    ctx.ensure(
        acc.is_finite() && acc >= 1.0 && acc.fract() == 0.0,
        at,
        "accelerators",
        &format!(
            "expected a whole number of accelerators per job (at least 1), found {}",
            num(acc)
        ),
    )?;
    let at_once = (pool_acc / acc).floor();
    ctx.ensure(
        at_once <= MAX_JOBS_AT_ONCE,
        at,
        "accelerators",
        &format!(
            "jobs of {acc} accelerators: {} of them fit in pool {:?} at once (limit {}): give bigger jobs",
            num(at_once),
            spec.pool.get_ref(),
            num(MAX_JOBS_AT_ONCE)
        ),
    )?;
    let reserved = if p.reserve.is_none() {
        String::new()
    } else {
        format!(
            " ({} of its {} are reserved for consumer classes in [[site.pool]])",
            num(p.accelerators - pool_acc),
            num(p.accelerators)
        )
    };
    ctx.ensure(
        acc <= pool_acc,
        at,
        "accelerators",
        &format!(
            "a job of {acc} accelerators does not fit in pool {:?} of {}{reserved}",
            spec.pool.get_ref(),
            num(pool_acc)
        ),
    )?;
    Ok((acc, at_once))
}

/// Checkpoints: shorter than their interval, and an interval of at least a second (or none).
fn check_checkpoints(spec: &TrainingSpec, ctx: &Ctx, at: usize) -> Result<()> {
    let src = ctx.src;
    let (every, lasts) = (spec.checkpoint_interval_min, spec.checkpoint_duration_min);
    non_negative(src, at, "checkpoint_interval_min", every)?;
    non_negative(src, at, "checkpoint_duration_min", lasts)?;
    fraction(
        src,
        at,
        "checkpoint_utilisation",
        spec.checkpoint_utilisation,
    )?;
    ctx.ensure(
        !(every > 0.0 && (lasts >= every || (lasts * 60.0).round() >= (every * 60.0).round())),
        at,
        "checkpoint_duration_min",
        "must be shorter than checkpoint_interval_min",
    )?;
    ctx.ensure(
        !(every > 0.0 && (every * 60.0).round() < 1.0),
        at,
        "checkpoint_interval_min",
        &format!(
            "checkpoints every {} min round to 0 s: expected at least 1 s (0.0167 min), or 0 for none",
            crate::input::limits::num(every)
        ),
    )
}
