//! Grid outages and the site's backup: UPS batteries ride through until the generators start;
//! generators carry the site up to their capacity while their fuel lasts; what neither covers is
//! unserved energy.
//!
//! Simplifications (documented for users): the UPS carries the whole facility load for its
//! ride-through (in practice only IT and some cooling), is full at the start of every outage and
//! recharges outside the report; workloads keep running during an outage (unserved energy is
//! counted, not fed back into service); generator fuel use is proportional to the energy they
//! deliver.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::base::error::{Result, Source};
use crate::input::check::{err_after, fraction, non_negative, positive};

/// Diesel generator fuel use at rated load, L/MWh. Caterpillar and Cummins datasheets for 2-3 MW
/// standby sets give 0.24-0.28 L/kWh at full load; 270 L/MWh (estimate within that range).
pub const DIESEL_L_PER_MWH: f64 = 270.0;
/// CO2 from burning diesel, kg/L: US EPA emission factors for GHG inventories (2024), 10.21 kg
/// CO2 per US gallon = 2.70 kg/L.
pub const DIESEL_KG_CO2_PER_L: f64 = 2.70;

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OutageSpec {
    /// Random grid outages per year (Poisson).
    #[serde(default)]
    pub per_year: f64,
    /// Mean duration of a random outage, hours (exponential).
    #[serde(default = "four")]
    pub mean_hours: f64,
    /// Outages on fixed days: `[{ start_day = 200.5, hours = 12 }]`.
    #[serde(default)]
    pub scheduled: Vec<Spanned<ScheduledOutage>>,
}

fn four() -> f64 {
    4.0
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledOutage {
    pub start_day: f64,
    pub hours: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSpec {
    /// Minutes the UPS batteries carry the installed IT peak.
    #[serde(default = "ten")]
    pub ups_ride_through_min: f64,
    /// Generator capacity, MW (default: none).
    #[serde(default)]
    pub generator_mw: f64,
    #[serde(default = "thirty")]
    pub generator_start_s: f64,
    /// Probability that the generators fail to start in an outage.
    #[serde(default)]
    pub generator_fail_to_start: f64,
    /// Fuel on site, hours at full generator output.
    #[serde(default = "fortyeight")]
    pub fuel_hours: f64,
    /// UPS redundancy: "N", "N+1" or "2N" of `ups_modules` modules that together carry the IT
    /// peak (default: module failures not modelled). A failed module beyond the spares leaves
    /// part of the load unprotected: the ride-through shrinks in proportion.
    pub ups_redundancy: Option<String>,
    #[serde(default = "four_u32")]
    pub ups_modules: u32,
    /// Estimates: a UPS module fails about once every two years and is repaired in a day.
    #[serde(default = "half")]
    pub ups_module_failures_per_year: f64,
    #[serde(default = "twentyfour")]
    pub ups_module_repair_hours: f64,
}

/// The backup of a run file without a `[backup]` table: every figure at its default.
impl Default for BackupSpec {
    fn default() -> BackupSpec {
        BackupSpec {
            ups_ride_through_min: ten(),
            generator_mw: 0.0,
            generator_start_s: thirty(),
            generator_fail_to_start: 0.0,
            fuel_hours: fortyeight(),
            ups_redundancy: None,
            ups_modules: four_u32(),
            ups_module_failures_per_year: half(),
            ups_module_repair_hours: twentyfour(),
        }
    }
}

fn four_u32() -> u32 {
    4
}
fn half() -> f64 {
    0.5
}
fn twentyfour() -> f64 {
    24.0
}

fn ten() -> f64 {
    10.0
}
fn thirty() -> f64 {
    30.0
}
fn fortyeight() -> f64 {
    48.0
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Backup {
    pub per_year: f64,
    pub mean_s: f64,
    /// (start s, duration s)
    pub scheduled: Vec<(u64, u64)>,
    /// UPS energy, J.
    pub ups_j: f64,
    pub generator_w: f64,
    pub generator_start_s: u64,
    pub fail_to_start: f64,
    /// Fuel, L.
    pub fuel_l: f64,
    /// UPS modules (needed, installed, failures per module-second, repair s), when modelled.
    pub ups_modules: Option<(u32, u32, f64, f64)>,
}

impl Backup {
    pub fn resolve(
        outages: &Spanned<OutageSpec>,
        backup: Option<&Spanned<BackupSpec>>,
        it_peak_w: f64,
        src: &Source,
    ) -> Result<Backup> {
        let (at, outages) = (outages.span().start, outages.get_ref());
        non_negative(src, at, "per_year", outages.per_year)?;
        positive(src, at, "mean_hours", outages.mean_hours)?;
        let mut scheduled = Vec::new();
        for o in &outages.scheduled {
            let (at, o) = (o.span().start, o.get_ref());
            non_negative(src, at, "start_day", o.start_day)?;
            positive(src, at, "hours", o.hours)?;
            scheduled.push((
                (o.start_day * 86_400.0).round() as u64,
                (o.hours * 3600.0).round() as u64,
            ));
        }
        let default = BackupSpec::default();
        // Without a [backup] table its defaults are checked at the outages' table.
        let (bat, b) = backup.map_or((at, &default), |b| (b.span().start, b.get_ref()));
        non_negative(src, bat, "ups_ride_through_min", b.ups_ride_through_min)?;
        non_negative(src, bat, "generator_mw", b.generator_mw)?;
        non_negative(src, bat, "generator_start_s", b.generator_start_s)?;
        fraction(
            src,
            bat,
            "generator_fail_to_start",
            b.generator_fail_to_start,
        )?;
        non_negative(src, bat, "fuel_hours", b.fuel_hours)?;
        let ups_modules = ups_modules(b, src, bat)?;
        if b.generator_mw > 1e5 {
            return Err(err_after(
                src,
                bat,
                "generator_mw",
                "expected MW (at most 100,000)",
            ));
        }
        Ok(Backup {
            per_year: outages.per_year,
            mean_s: outages.mean_hours * 3600.0,
            scheduled,
            ups_j: b.ups_ride_through_min * 60.0 * it_peak_w,
            generator_w: b.generator_mw * 1e6,
            generator_start_s: b.generator_start_s.round() as u64,
            fail_to_start: b.generator_fail_to_start,
            fuel_l: b.fuel_hours * b.generator_mw * DIESEL_L_PER_MWH,
            ups_modules,
        })
    }
}

/// UPS modules (needed, installed, failures per module-second, repair s) when the backup
/// states a redundancy.
fn ups_modules(b: &BackupSpec, src: &Source, at: usize) -> Result<Option<(u32, u32, f64, f64)>> {
    let Some(r) = b.ups_redundancy.as_deref() else {
        return Ok(None);
    };
    let n = b.ups_modules;
    if n == 0 {
        return Err(err_after(
            src,
            at,
            "ups_modules",
            "expected at least 1 module",
        ));
    }
    let installed = match r {
        "N" => n,
        "N+1" => n + 1,
        "2N" => 2 * n,
        other => {
            return Err(err_after(
                src,
                at,
                "ups_redundancy",
                &format!("expected \"N\", \"N+1\" or \"2N\", found {other:?}"),
            ));
        }
    };
    non_negative(
        src,
        at,
        "ups_module_failures_per_year",
        b.ups_module_failures_per_year,
    )?;
    positive(
        src,
        at,
        "ups_module_repair_hours",
        b.ups_module_repair_hours,
    )?;
    Ok(Some((
        n,
        installed,
        b.ups_module_failures_per_year / (365.0 * 86_400.0),
        b.ups_module_repair_hours * 3600.0,
    )))
}

/// One outage in progress.
#[derive(Clone, Copy, Debug, Default)]
pub struct OutageState {
    pub active: bool,
    pub started_s: u64,
    pub generators_ok: bool,
    pub ups_left_j: f64,
    pub fuel_left_l: f64,
}

/// Energy by source over one step, J.
#[derive(Clone, Copy, Debug, Default)]
pub struct OutageStep {
    pub ups_j: f64,
    pub generator_j: f64,
    pub unserved_j: f64,
}

impl OutageState {
    /// Starts an outage; `ups_share` is the protected share of the load (1 unless failed UPS
    /// modules exceed the spares).
    pub fn start(&mut self, b: &Backup, now: u64, generators_ok: bool, ups_share: f64) {
        *self = OutageState {
            active: true,
            started_s: now,
            generators_ok,
            ups_left_j: b.ups_j * ups_share,
            fuel_left_l: b.fuel_l,
        };
    }

    /// Supplies `demand_w` for `dt_s` from generators (once started, while fuel lasts) and the
    /// UPS; returns what each covered and what was left unserved.
    pub fn step(&mut self, b: &Backup, now: u64, demand_w: f64, dt_s: f64) -> OutageStep {
        let need_j = demand_w.max(0.0) * dt_s;
        let mut gen_j = 0.0;
        if self.generators_ok
            && now >= self.started_s + b.generator_start_s
            && self.fuel_left_l > 0.0
        {
            let fuel_j = self.fuel_left_l / DIESEL_L_PER_MWH * 3.6e9;
            gen_j = need_j.min(b.generator_w * dt_s).min(fuel_j);
            self.fuel_left_l = (self.fuel_left_l - gen_j / 3.6e9 * DIESEL_L_PER_MWH).max(0.0);
        }
        let ups_j = (need_j - gen_j).min(self.ups_left_j).max(0.0);
        self.ups_left_j -= ups_j;
        OutageStep {
            ups_j,
            generator_j: gen_j,
            unserved_j: (need_j - gen_j - ups_j).max(0.0),
        }
    }
}
