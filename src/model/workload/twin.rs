//! Always-on industrial digital twins (Omniverse/OVX factory twins, Lumada rail twins).
//!
//! "The twin never stops": a fixed allocation of accelerators runs physics and rendering at a
//! high base utilisation around the clock, modulated by the factory's shift pattern and the
//! weekday, with slow autocorrelated jitter, and raised during study campaigns (what-if runs,
//! line re-planning). Edge sensors add central load as a Poisson stream of filtered events.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::shape::{DailyShape, WeekTable};
use super::{Ctx, Episodes, one};
use crate::base::error::Result;
use crate::base::time::parse_utc_offset;
use crate::input::check::{err_after, fraction, non_negative, positive};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TwinSpec {
    pub name: Spanned<String>,
    pub pool: Spanned<String>,
    /// When the workload starts (a date, or a local date-time, on the study clock); default
    /// its pool's first online date. Before it the workload draws and asks for nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online: Option<Spanned<String>>,
    /// Share of the pool's accelerators allocated to this twin.
    #[serde(default = "one")]
    pub allocation: f64,
    /// Utilisation in the main shift; or state the power instead:
    pub base_utilisation: Option<f64>,
    /// Measured average power per allocated accelerator in the main shift, W.
    pub watts_per_accelerator: Option<f64>,
    /// "server" (host share included; default) or "accelerator" (the board alone).
    pub watts_scope: Option<crate::model::fleet::WattsScope>,
    /// Local [start, end) hours of the main shift; outside it the load is `off_shift_factor`.
    pub shift_hours: Option<[f64; 2]>,
    #[serde(default = "one")]
    pub off_shift_factor: f64,
    /// 24 raw hourly multipliers instead of a shift window.
    pub hourly: Option<Vec<f64>>,
    /// Multiplier on Saturday and Sunday.
    #[serde(default = "one")]
    pub weekend_factor: f64,
    pub utc_offset: Option<String>,
    /// Relative jitter (sd of a multiplicative AR(1) factor) and its e-folding time.
    #[serde(default)]
    pub jitter_sd: f64,
    #[serde(default = "six")]
    pub jitter_tau_h: f64,
    #[serde(default)]
    pub campaign: Vec<Spanned<CampaignSpec>>,
    pub random_campaigns: Option<Spanned<RandomCampaignSpec>>,
    pub edge: Option<Spanned<EdgeSpec>>,
}

fn six() -> f64 {
    6.0
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSpec {
    /// Day of the horizon (0 = the start date) the campaign begins.
    pub start_day: f64,
    pub days: f64,
    /// Utilisation added on top of the base while it runs.
    pub extra_utilisation: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RandomCampaignSpec {
    pub per_year: f64,
    pub days: f64,
    pub extra_utilisation: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeSpec {
    pub sensors: f64,
    pub events_per_sensor_day: f64,
    pub acc_s_per_event: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Twin {
    pub name: String,
    pub pool: usize,
    /// Seconds from the study start at which the workload starts (see `online` in the spec).
    pub online_s: u64,
    /// Accelerators allocated.
    pub accelerators: f64,
    pub base_utilisation: f64,
    /// Raw (not normalised) hourly multipliers.
    pub shift: DailyShape,
    pub weekend_factor: f64,
    pub utc_offset_s: i32,
    /// shift x weekend factor for each step of the study's week.
    #[serde(skip)]
    pub week: WeekTable,
    pub jitter_sd: f64,
    pub jitter_tau_s: f64,
    pub campaigns: Episodes,
    pub edge_events_per_s: f64,
    pub edge_acc_s_per_event: f64,
}

impl Twin {
    /// Resolves a `[[twin]]` table: its allocation and base load, its shift and weekend pattern
    /// on its own clock, its campaigns and its edge events.
    pub fn resolve(spec: &TwinSpec, ctx: &Ctx) -> Result<Twin> {
        let src = ctx.src;
        let at = spec.name.span().start;
        let pool = ctx.pool(&spec.pool)?;
        fraction(src, at, "allocation", spec.allocation)?;
        let base_utilisation = super::utilisation_or_watts(
            ctx,
            at,
            pool,
            "base_utilisation",
            (
                spec.base_utilisation,
                spec.watts_per_accelerator,
                spec.watts_scope,
            ),
            f64::NAN,
        )?;
        ctx.ensure(
            !base_utilisation.is_nan(),
            at,
            "base_utilisation",
            "missing: give base_utilisation (a fraction) or watts_per_accelerator (W)",
        )?;
        non_negative(src, at, "off_shift_factor", spec.off_shift_factor)?;
        non_negative(src, at, "weekend_factor", spec.weekend_factor)?;
        non_negative(src, at, "jitter_sd", spec.jitter_sd)?;
        positive(src, at, "jitter_tau_h", spec.jitter_tau_h)?;
        let shift = shift_shape(spec, ctx, at)?;
        let utc_offset_s = match &spec.utc_offset {
            Some(s) => parse_utc_offset(s).map_err(|m| err_after(src, at, "utc_offset", &m))?,
            None => ctx.utc_offset_s,
        };
        let campaigns = campaigns(spec, ctx)?;
        let (edge_events_per_s, edge_acc_s_per_event) = match &spec.edge {
            Some(e) => {
                let (at, e) = (e.span().start, e.get_ref());
                non_negative(src, at, "sensors", e.sensors)?;
                non_negative(src, at, "events_per_sensor_day", e.events_per_sensor_day)?;
                non_negative(src, at, "acc_s_per_event", e.acc_s_per_event)?;
                (
                    e.sensors * e.events_per_sensor_day / 86_400.0,
                    e.acc_s_per_event,
                )
            }
            None => (0.0, 0.0),
        };
        let weekend = spec.weekend_factor;
        let shape: Vec<f64> = shift.factors.iter().chain([&weekend]).copied().collect();
        let week = WeekTable::shared(
            ctx.files,
            "twin week table",
            (ctx.step_s, ctx.utc_offset_s, utc_offset_s),
            &shape,
            |h, wd| shift.at(h) * if wd >= 5 { weekend } else { 1.0 },
        )?
        .on_own_clock(spec.utc_offset.is_some());
        Ok(Twin {
            name: spec.name.get_ref().clone(),
            pool,
            online_s: ctx.online_s(spec.online.as_ref(), pool)?,
            accelerators: spec.allocation * ctx.fleet.pools[pool].capacity,
            base_utilisation,
            shift,
            weekend_factor: spec.weekend_factor,
            utc_offset_s,
            week,
            jitter_sd: spec.jitter_sd,
            jitter_tau_s: spec.jitter_tau_h * 3600.0,
            campaigns,
            edge_events_per_s,
            edge_acc_s_per_event,
        })
    }
}

/// The raw hourly multipliers: `hourly` as given, or 1 inside `shift_hours` (wrapping past
/// midnight) and `off_shift_factor` outside, or flat.
fn shift_shape(spec: &TwinSpec, ctx: &Ctx, at: usize) -> Result<DailyShape> {
    let mut f = [1.0; 24];
    match (&spec.hourly, spec.shift_hours) {
        (Some(h), _) => {
            ctx.ensure(
                h.len() == 24 && h.iter().all(|x| x.is_finite() && *x >= 0.0),
                at,
                "hourly",
                "expected 24 non-negative multipliers",
            )?;
            f.copy_from_slice(h);
        }
        (None, Some([a, b])) => {
            ctx.ensure(
                (0.0..=24.0).contains(&a) && (0.0..=24.0).contains(&b),
                at,
                "shift_hours",
                "expected [start, end] local hours within 0-24",
            )?;
            for (h, x) in f.iter_mut().enumerate() {
                let mid = h as f64 + 0.5;
                let on = if a <= b {
                    mid >= a && mid < b
                } else {
                    mid >= a || mid < b
                };
                if !on {
                    *x = spec.off_shift_factor;
                }
            }
        }
        (None, None) => return Ok(DailyShape::flat()),
    }
    Ok(DailyShape { factors: f })
}

/// Study campaigns: scheduled ones and a random stream, each adding utilisation while it runs.
fn campaigns(spec: &TwinSpec, ctx: &Ctx) -> Result<Episodes> {
    let src = ctx.src;
    let mut campaigns = Episodes::default();
    for c in &spec.campaign {
        let (at, c) = (c.span().start, c.get_ref());
        non_negative(src, at, "start_day", c.start_day)?;
        positive(src, at, "days", c.days)?;
        fraction(src, at, "extra_utilisation", c.extra_utilisation)?;
        campaigns.scheduled.push((
            ctx.days_to_s(c.start_day),
            ctx.days_to_s(c.days),
            c.extra_utilisation,
        ));
    }
    if let Some(r) = &spec.random_campaigns {
        let (at, r) = (r.span().start, r.get_ref());
        non_negative(src, at, "per_year", r.per_year)?;
        positive(src, at, "days", r.days)?;
        fraction(src, at, "extra_utilisation", r.extra_utilisation)?;
        campaigns.per_year = r.per_year;
        campaigns.duration_s = ctx.days_to_s(r.days);
        campaigns.magnitude = r.extra_utilisation;
    }
    Ok(campaigns)
}
