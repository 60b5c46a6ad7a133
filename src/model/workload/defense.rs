//! Defense missions (Maven-like video analytics, TITAN-like sensor fusion).
//!
//! Inefficient on purpose: a mission runs an ensemble of m models on every input to cross-check
//! identifications, and keeps redundant copies so it survives failure or attack. Active-active
//! copies all compute (k times the power); hot standby copies are powered but idle; N+M splits
//! the mission over N units and keeps M spare units powered. Missions sit on their own rack
//! groups (an air-gapped enclave), surge for operations, and are never curtailed.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{Ctx, Episodes};
use crate::base::error::Result;
use crate::input::check::{err_after, fraction, non_negative, positive};

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(tag = "policy", deny_unknown_fields)]
pub enum Redundancy {
    #[default]
    #[serde(rename = "none")]
    None,
    /// k copies all computing.
    #[serde(rename = "active-active")]
    ActiveActive { copies: u32 },
    /// One active copy plus `standby` powered idle copies.
    #[serde(rename = "hot-standby")]
    HotStandby { standby: u32 },
    /// N active units sharing the load plus M powered spare units.
    #[serde(rename = "n+m")]
    NPlusM { n: u32, m: u32 },
}

impl Redundancy {
    /// Copies of the work actually computed.
    pub fn active_copies(self) -> f64 {
        match self {
            Redundancy::ActiveActive { copies } => f64::from(copies),
            _ => 1.0,
        }
    }
    /// Hardware held per unit of one copy's need.
    pub fn reserved_factor(self) -> f64 {
        match self {
            Redundancy::None => 1.0,
            Redundancy::ActiveActive { copies } => f64::from(copies),
            Redundancy::HotStandby { standby } => 1.0 + f64::from(standby),
            Redundancy::NPlusM { n, m } => f64::from(n + m) / f64::from(n),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DefenseSpec {
    pub name: Spanned<String>,
    pub pool: Spanned<String>,
    /// When the workload starts (a date, or a local date-time, on the study clock); default
    /// its pool's first online date. Before it the workload draws and asks for nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online: Option<Spanned<String>>,
    /// Accelerators one copy of one model needs at full tempo.
    pub accelerators: f64,
    /// Mean utilisation of those accelerators outside surges.
    pub utilisation: f64,
    /// Models run on every input to cross-check.
    #[serde(default = "one_u32")]
    pub ensemble: u32,
    #[serde(default)]
    pub redundancy: Redundancy,
    #[serde(default)]
    pub jitter_sd: f64,
    #[serde(default = "tau")]
    pub jitter_tau_h: f64,
    #[serde(default)]
    pub surge: Vec<Spanned<SurgeSpec>>,
    pub random_surges: Option<Spanned<RandomSurgeSpec>>,
}

fn one_u32() -> u32 {
    1
}
fn tau() -> f64 {
    2.0
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SurgeSpec {
    pub start_day: f64,
    pub days: f64,
    /// Demand multiplier while the surge lasts (overlapping surges add their excess).
    pub multiplier: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RandomSurgeSpec {
    pub per_year: f64,
    pub hours: f64,
    pub multiplier: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Defense {
    pub name: String,
    pub pool: usize,
    /// Seconds from the study start at which the workload starts (see `online` in the spec).
    pub online_s: u64,
    /// Accelerator-equivalents of busy work per copy at utilisation 1 (accelerators x ensemble).
    pub need: f64,
    pub utilisation: f64,
    pub redundancy: Redundancy,
    /// Copies of the work computed (k for active-active, else 1).
    pub active_copies: f64,
    /// Capacity held idle for standby or spare units.
    pub standby_capacity: f64,
    pub jitter_sd: f64,
    pub jitter_tau_s: f64,
    /// Magnitude = multiplier - 1.
    pub surges: Episodes,
}

impl Defense {
    /// Resolves a `[[defense]]` table: the mission's need and redundancy, which must fit in its
    /// pool, and its surges.
    pub fn resolve(spec: &DefenseSpec, ctx: &Ctx) -> Result<Defense> {
        let src = ctx.src;
        let at = spec.name.span().start;
        let pool = ctx.pool(&spec.pool)?;
        positive(src, at, "accelerators", spec.accelerators)?;
        fraction(src, at, "utilisation", spec.utilisation)?;
        ctx.ensure(
            spec.ensemble != 0,
            at,
            "ensemble",
            "expected at least 1 model per input",
        )?;
        match spec.redundancy {
            Redundancy::ActiveActive { copies: 0 } => {
                return Err(err_after(src, at, "copies", "expected at least 1 copy"));
            }
            Redundancy::NPlusM { n: 0, .. } => {
                return Err(err_after(src, at, "n", "expected at least 1 active unit"));
            }
            _ => {}
        }
        non_negative(src, at, "jitter_sd", spec.jitter_sd)?;
        positive(src, at, "jitter_tau_h", spec.jitter_tau_h)?;
        let need = spec.accelerators * f64::from(spec.ensemble);
        let reserved = need * spec.redundancy.reserved_factor();
        let pool_acc = ctx.fleet.pools[pool].accelerators;
        ctx.ensure(
            reserved <= pool_acc * (1.0 + 1e-9),
            at,
            "accelerators",
            &format!(
                "mission needs {reserved} accelerators ({} x {} models x redundancy {:.3}) but pool {:?} has {pool_acc}",
                spec.accelerators,
                spec.ensemble,
                spec.redundancy.reserved_factor(),
                spec.pool.get_ref()
            ),
        )?;
        let surges = surges(spec, ctx)?;
        let capacity_per_acc = ctx.fleet.pools[pool].capacity / pool_acc;
        Ok(Defense {
            name: spec.name.get_ref().clone(),
            pool,
            online_s: ctx.online_s(spec.online.as_ref(), pool)?,
            need,
            utilisation: spec.utilisation,
            redundancy: spec.redundancy,
            active_copies: spec.redundancy.active_copies(),
            standby_capacity: (reserved - need * spec.redundancy.active_copies())
                * capacity_per_acc,
            jitter_sd: spec.jitter_sd,
            jitter_tau_s: spec.jitter_tau_h * 3600.0,
            surges,
        })
    }
}

/// Surges for operations, scheduled and random: demand times a multiplier (>= 1) while they
/// last.
fn surges(spec: &DefenseSpec, ctx: &Ctx) -> Result<Episodes> {
    let src = ctx.src;
    let multiplier = |at: usize, m: f64| {
        ctx.ensure(
            m >= 1.0 && m.is_finite(),
            at,
            "multiplier",
            "expected a multiplier >= 1",
        )
    };
    let mut surges = Episodes::default();
    for s in &spec.surge {
        let (at, s) = (s.span().start, s.get_ref());
        non_negative(src, at, "start_day", s.start_day)?;
        positive(src, at, "days", s.days)?;
        multiplier(at, s.multiplier)?;
        surges.scheduled.push((
            ctx.days_to_s(s.start_day),
            ctx.days_to_s(s.days),
            s.multiplier - 1.0,
        ));
    }
    if let Some(r) = &spec.random_surges {
        let (at, r) = (r.span().start, r.get_ref());
        non_negative(src, at, "per_year", r.per_year)?;
        positive(src, at, "hours", r.hours)?;
        multiplier(at, r.multiplier)?;
        surges.per_year = r.per_year;
        surges.duration_s = (r.hours * 3600.0).round() as u64;
        surges.magnitude = r.multiplier - 1.0;
    }
    Ok(surges)
}
