//! A parsed run file resolved into a [`Scenario`]: the clock and horizon, the fleet, each
//! workload, the facility and the grid, the pools' sectors, the metrics and report plans; then
//! the whole study checked. Each part resolves in a function of its own, so an error names the
//! part it is about.

use crate::base::error::{Result, Source};
use crate::base::time::{Calendar, Date, parse_local_datetime, parse_utc_offset};
use crate::input::check::err_after;
use crate::input::files::Files;
use crate::model::facility::phasing::Phasing;
use crate::model::facility::{Facility, FacilitySpec, PhysicsFacility};
use crate::model::fleet::build::build_fleet;
use crate::model::fleet::reliability::Failures;
use crate::model::fleet::{Fleet, Sector};
use crate::model::grid::site::Grid;
use crate::model::library::Library;
use crate::model::workload::Ctx;
use crate::model::workload::consumer::ConsumerClass;
use crate::model::workload::defense::Defense;
use crate::model::workload::training::Training;
use crate::model::workload::twin::Twin;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

use super::run_file::{DEFAULT_HORIZON_HOURS, MAX_HORIZON_HOURS};
use super::{RunSpec, Scenario, check_scenario};

/// The horizon in seconds from `horizon_hours` or `end` (see docs/reference/run-file.md, Study).
fn resolve_horizon(
    spec: &RunSpec,
    src: &Source,
    start: Date,
    cal: &Calendar,
    step_s: u64,
) -> Result<u64> {
    let max_s = MAX_HORIZON_HOURS * 3600;
    let steps_msg = |secs: f64| {
        let lo = (secs / step_s as f64).floor() as u64 * step_s;
        let hi = lo + step_s;
        format!(
            "is not a whole number of {step_s}-s steps; the nearest horizons are {} h and {} h",
            fmt_hours(lo),
            fmt_hours(hi)
        )
    };
    match (spec.horizon_hours, &spec.end) {
        (Some(_), Some(_)) => Err(src.error(
            "end",
            "give the horizon one way: horizon_hours or end, not both",
        )),
        (h, None) => {
            let h = h.map_or(DEFAULT_HORIZON_HOURS, |h| h.0);
            if !(h.is_finite() && h * 3600.0 >= step_s as f64 && h <= MAX_HORIZON_HOURS as f64) {
                return Err(src.error(
                    "horizon_hours",
                    format!("expected 1 step to 100 years (878,400 hours), found {h}"),
                ));
            }
            let secs = h * 3600.0;
            let whole = secs.round();
            if (secs - whole).abs() > 1e-6 || !(whole as u64).is_multiple_of(step_s) {
                return Err(src.error("horizon_hours", format!("{h} h {}", steps_msg(secs))));
            }
            Ok(whole as u64)
        }
        (None, Some(e)) => {
            let end_s = parse_local_datetime(e).map_err(|m| src.error("end", m))?;
            let secs = cal.from_local_s_compatible(end_s);
            if secs <= 0 {
                return Err(src.error(
                    "end",
                    format!(
                        "end {e:?} is not after the start ({start} 00:00); expected a later date-time"
                    ),
                ));
            }
            if secs as u64 > max_s {
                return Err(src.error("end", "expected at most 100 years after the start"));
            }
            if !(secs as u64).is_multiple_of(step_s) {
                return Err(src.error("end", format!("{e:?} {}", steps_msg(secs as f64))));
            }
            Ok(secs as u64)
        }
    }
}

/// The study clock: `time_zone` (an IANA zone in prevailing time, or a fixed offset) or
/// `utc_offset` (a fixed offset), not both.
fn study_clock(spec: &RunSpec, src: &Source, start: Date) -> Result<Calendar> {
    let Some(z) = &spec.time_zone else {
        let off = parse_utc_offset(&spec.utc_offset).map_err(|m| src.error("utc_offset", m))?;
        return Ok(Calendar::new(start, off));
    };
    // `utc_offset` set at top level (before the first table; workloads have their own).
    let top_level_offset = src
        .text
        .lines()
        .map(str::trim_start)
        .take_while(|l| !l.starts_with('['))
        .any(|l| {
            l.strip_prefix("utc_offset")
                .is_some_and(|r| r.trim_start().starts_with('='))
        });
    if top_level_offset {
        return Err(src.error(
            "time_zone",
            "give the study clock one way: time_zone or utc_offset, not both",
        ));
    }
    let t = z.trim();
    if t.starts_with(['+', '-']) || t.eq_ignore_ascii_case("z") {
        let off = parse_utc_offset(t).map_err(|m| src.error("time_zone", m))?;
        return Ok(Calendar::new(start, off));
    }
    Calendar::in_zone(start, t).map_err(|m| src.error("time_zone", m))
}

/// Seconds as hours, without trailing zeros (e.g. "355.2", "355.216667").
pub(super) fn fmt_hours(secs: u64) -> String {
    let s = format!("{:.6}", secs as f64 / 3600.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl Scenario {
    /// Resolves a parsed run file (`spec`, read from `src`, whose text errors point into): the
    /// clock, the fleet, the workloads on it, the facility and grid around it, then the outputs'
    /// plans; the whole study is checked against the limits last.
    pub(super) fn resolve(
        spec: RunSpec,
        src: &Source,
        stem: &str,
        base_dir: &Path,
        lib: &Library,
        files: &Files,
    ) -> Result<Scenario> {
        let basics = Basics::resolve(&spec, src)?;
        let Basics {
            start,
            calendar,
            horizon_s,
            percentiles,
        } = basics;
        let horizon_hours = horizon_s.div_ceil(3600);
        let utc_offset_s = calendar.utc_offset_s();
        let fleet = build_fleet(&spec.site, src, lib, &calendar, horizon_s)?;
        let ctx = Ctx {
            lib,
            src,
            fleet: &fleet,
            base_dir,
            utc_offset_s,
            calendar: &calendar,
            start_utc_s: calendar.start_utc_s(),
            step_s: spec.step_s,
            horizon_s,
            files,
        };
        let w = Workloads::resolve(&spec, &ctx)?;
        let phasing = Phasing {
            src,
            calendar: &calendar,
            horizon_s,
            modules: spec.facility.module.as_deref().unwrap_or_default(),
            load_banks: spec.facility.load_bank.as_deref().unwrap_or_default(),
        };
        let facility = resolve_facility(
            &spec.facility,
            lib,
            &fleet,
            base_dir,
            files,
            start.ordinal0(),
            utc_offset_s,
            &phasing,
        )?;
        let grid = Grid::resolve(
            &spec.grid,
            spec.backup.as_ref(),
            fleet.peak_w(),
            src,
            lib,
            base_dir,
            files,
            &calendar,
            horizon_hours,
            spec.step_s,
            horizon_s,
        )?;
        let failures = spec
            .failures
            .as_ref()
            .map(|f| Failures::resolve(f, src))
            .transpose()?;
        let mut fleet = fleet;
        assign_pool_sectors(&mut fleet, &spec, src)?;
        let name = spec.name.clone().unwrap_or_else(|| stem.to_string());
        let (metric_ids, metric_names) = metric_plan(&facility, &grid, &fleet);
        let (report_years, intervals) = report_plans(&spec, src, &calendar, start, horizon_s)?;
        let sc = Scenario {
            name,
            file: src.name.clone(),
            start,
            calendar,
            horizon_hours,
            horizon_s,
            step_s: spec.step_s,
            seed: spec.seed,
            trials: spec.trials,
            fleet,
            consumers: w.consumers,
            twins: w.twins,
            trainings: w.trainings,
            defenses: w.defenses,
            facility,
            grid,
            failures,
            metric_ids,
            metric_names,
            percentiles,
            uncertain: None,
            report_years,
            intervals,
            engine: spec.engine.unwrap_or_default(),
            spec,
        };
        check_scenario(&sc, src)?;
        Ok(sc)
    }
}

/// The study-level settings every layer reads: start, clock, horizon, percentiles (after the
/// name, step, trial count and site are checked).
struct Basics {
    start: Date,
    calendar: Calendar,
    horizon_s: u64,
    percentiles: crate::base::stats::Percentiles,
}

impl Basics {
    fn resolve(spec: &RunSpec, src: &Source) -> Result<Basics> {
        if let Some(n) = &spec.name {
            crate::input::limits::check_name(src, n)?;
        }
        super::checks::check_names(spec, src)?;
        let start = Date::parse(&spec.start).map_err(|m| src.error("start", m))?;
        let calendar = study_clock(spec, src, start)?;
        if spec.step_s == 0 || 3600 % spec.step_s != 0 {
            return Err(src.error(
                "step_s",
                format!("expected a divisor of 3600 seconds (1, 2, 5, 10, 15, 30, 60, 300, 900, 3600 ...), found {}", spec.step_s),
            ));
        }
        let horizon_s = resolve_horizon(spec, src, start, &calendar, spec.step_s)?;
        // Timestamps are written with four-digit years (and read back so by resume, merge,
        // plots and headroom): the study must end within year 9999.
        let end = calendar.date(crate::base::time::SimTime(horizon_s));
        if end.year > 9999 {
            return Err(src.error(
                "start",
                format!(
                    "the study would run past 9999-12-31 (start {start}, {} h): timestamps are written with four-digit years; start earlier or shorten the horizon",
                    fmt_hours(horizon_s)
                ),
            ));
        }
        if spec.trials == 0 {
            return Err(src.error("trials", "expected at least 1 trial"));
        }
        if spec.site.group.is_empty() {
            return Err(src.error("site", "expected at least one [[site.group]]"));
        }
        let percentiles = match &spec.percentiles {
            Some(list) => crate::base::stats::Percentiles::new(list)
                .map_err(|m| src.error("percentiles", m))?,
            None => crate::base::stats::Percentiles::default(),
        };
        Ok(Basics {
            start,
            calendar,
            horizon_s,
            percentiles,
        })
    }
}

/// The four sectors' workloads, each resolved against the fleet in file order.
struct Workloads {
    consumers: Vec<ConsumerClass>,
    twins: Vec<Twin>,
    trainings: Vec<Training>,
    defenses: Vec<Defense>,
}

impl Workloads {
    fn resolve(spec: &RunSpec, ctx: &Ctx) -> Result<Workloads> {
        Ok(Workloads {
            consumers: each(&spec.consumer, |c| ConsumerClass::resolve(c, ctx))?,
            twins: each(&spec.twin, |c| Twin::resolve(c, ctx))?,
            trainings: each(&spec.training, |c| Training::resolve(c, ctx))?,
            defenses: each(&spec.defense, |c| Defense::resolve(c, ctx))?,
        })
    }
}

/// Every entry of a repeated table resolved in file order; the first error stops.
fn each<S, T>(specs: &[S], resolve: impl Fn(&S) -> Result<T>) -> Result<Vec<T>> {
    specs.iter().map(resolve).collect()
}

/// The hourly metrics this study writes (ids into the metric table, and their names): physics
/// facilities, water, carbon, a capping limit and a build-out each add their own.
fn metric_plan(facility: &Facility, grid: &Grid, fleet: &Fleet) -> (Vec<usize>, Vec<&'static str>) {
    let metric_ids = crate::model::metrics::written(crate::model::metrics::Has {
        physics: facility.is_physics(),
        water: facility.reports_water(),
        carbon: grid.carbon_g_per_kwh.is_some(),
        cap: matches!(
            grid.limit,
            Some((_, crate::model::grid::site::LimitPolicy::Cap))
        ),
        buildout: fleet.has_buildout(),
        load_bank: match facility {
            Facility::Physics(p) => !p.load_banks.is_empty(),
            Facility::Fixed { .. } => false,
        },
    });
    let metric_names = metric_ids
        .iter()
        .map(|&i| crate::model::metrics::METRICS[i].name)
        .collect();
    (metric_ids, metric_names)
}

/// The report years (each with the span of its entry, for errors) and the interval plan.
type ReportPlans = (
    Vec<(i32, std::ops::Range<usize>)>,
    Option<crate::input::report_spec::IntervalPlan>,
);

/// The `[report]` table's per-year files and interval plan, checked against the horizon.
fn report_plans(
    spec: &RunSpec,
    src: &Source,
    calendar: &Calendar,
    start: Date,
    horizon_s: u64,
) -> Result<ReportPlans> {
    let report_years = match &spec.report {
        Some(r) => crate::input::report_spec::resolve_years(calendar, start, horizon_s, &r.years)
            .map_err(|m| src.error("report.years", m))?,
        None => Vec::new(),
    };
    let intervals = crate::input::report_spec::resolve_intervals(
        spec.report.as_ref(),
        None,
        calendar,
        spec.step_s,
        horizon_s,
    )
    .and_then(|plan| {
        crate::input::report_spec::check_week(spec.report.as_ref(), calendar, horizon_s)
            .map(|()| plan)
    })
    .map_err(|(field, span, m)| match span {
        Some(span) => src.error_at(span, &field, m),
        None => src.error(&field, m),
    })?;
    Ok((report_years, intervals))
}

#[allow(clippy::too_many_arguments)]
fn resolve_facility(
    spec: &FacilitySpec,
    lib: &Library,
    fleet: &Fleet,
    base_dir: &Path,
    files: &Files,
    start_day_of_year: u32,
    study_offset_s: i32,
    phasing: &Phasing,
) -> Result<Facility> {
    let src = phasing.src;
    let at = spec.kind.span().start;
    let kind =
        crate::input::names::resolve("facility kind", spec.kind.get_ref(), &["fixed", "physics"])
            .map_err(|m| src.error_at(spec.kind.span(), "kind", m))?;
    match kind {
        0 => {
            let physics_only = [
                ("climate", spec.climate.is_some()),
                ("epw", spec.epw.is_some()),
                ("heat_wave", spec.heat_wave.is_some()),
                ("electrical", spec.electrical.is_some()),
                ("plants", spec.plants.is_some()),
                ("design_margin", spec.design_margin.is_some()),
                ("air_class", spec.air_class.is_some()),
                ("air_setpoint_c", spec.air_setpoint_c.is_some()),
                ("liquid_class", spec.liquid_class.is_some()),
                ("liquid_setpoint_c", spec.liquid_setpoint_c.is_some()),
                (
                    "thermal_mass_kj_per_k_per_kw",
                    spec.thermal_mass_kj_per_k_per_kw.is_some(),
                ),
                ("cooling_redundancy", spec.cooling_redundancy.is_some()),
                ("cooling_units", spec.cooling_units.is_some()),
                (
                    "cooling_unit_failures_per_year",
                    spec.cooling_unit_failures_per_year.is_some(),
                ),
                (
                    "cooling_unit_repair_hours",
                    spec.cooling_unit_repair_hours.is_some(),
                ),
                ("module", spec.module.is_some()),
                ("load_bank", spec.load_bank.is_some()),
            ];
            if let Some((f, _)) = physics_only.iter().find(|(_, set)| *set) {
                return Err(err_after(
                    src,
                    at,
                    f,
                    "belongs to kind = \"physics\"; a fixed facility takes only `pue`",
                ));
            }
            let pue = spec.pue.ok_or_else(|| {
                err_after(src, at, "pue", "missing: a fixed facility needs `pue`")
            })?;
            if !(pue.is_finite() && pue >= 1.0) {
                return Err(err_after(
                    src,
                    at,
                    "pue",
                    &format!("expected a PUE >= 1.0 (facility power / IT power), found {pue}"),
                ));
            }
            let figure = |v: Option<f64>, field: &str| -> Result<f64> {
                match v {
                    None => Ok(0.0),
                    Some(x) if x.is_finite() && (0.0..=100.0).contains(&x) => Ok(x),
                    Some(x) => Err(err_after(
                        src,
                        at,
                        field,
                        &format!("expected litres per kWh, 0 to 100, found {x}"),
                    )),
                }
            };
            let water = if spec.wue_l_per_kwh.is_some() || spec.grid_water_l_per_kwh.is_some() {
                Some(crate::model::facility::FixedWater {
                    onsite_l_per_it_kwh: figure(spec.wue_l_per_kwh, "wue_l_per_kwh")?,
                    offsite_l_per_kwh: figure(spec.grid_water_l_per_kwh, "grid_water_l_per_kwh")?,
                })
            } else {
                None
            };
            Ok(Facility::Fixed { pue, water })
        }
        _ => Ok(Facility::Physics(Box::new(PhysicsFacility::resolve(
            spec,
            src,
            lib,
            fleet,
            base_dir,
            files,
            start_day_of_year,
            study_offset_s,
            phasing,
        )?))),
    }
}

/// Gives each pool the sector that pays its idle power, refuses pools no workload uses, and
/// keeps defense enclaves air-gapped (no other sector on their pools). Errors point at the
/// entry they are about: the group that names an unused pool, the workload that breaks an
/// enclave (never the first `pool =` line of the file).
fn assign_pool_sectors(fleet: &mut Fleet, spec: &RunSpec, src: &Source) -> Result<()> {
    let np = fleet.pools.len();
    // (sector, workload name, span of its `pool` value), in the order sectors claim idle power.
    type User = (Sector, String, Range<usize>);
    let mut users: Vec<Vec<User>> = vec![Vec::new(); np];
    let mut claim = |sector: Sector, name: &str, pool: &Spanned<String>| {
        if let Some(p) = fleet.pool_index(pool.get_ref()) {
            users[p].push((sector, name.to_string(), pool.span()));
        }
    };
    for d in &spec.defense {
        claim(Sector::Defense, d.name.get_ref(), &d.pool);
    }
    for w in &spec.twin {
        claim(Sector::Industrial, w.name.get_ref(), &w.pool);
    }
    for w in &spec.training {
        claim(Sector::Training, w.name.get_ref(), &w.pool);
    }
    for c in &spec.consumer {
        claim(Sector::Consumer, c.name.get_ref(), &c.pool);
    }
    for (p, u) in users.iter().enumerate() {
        let pool = &mut fleet.pools[p];
        let Some((first, _, _)) = u.first() else {
            // The first group serving in this pool: its `pool` value, or its name when the
            // pool is named after the group.
            let at = spec.site.group.iter().find_map(|g| match &g.pool {
                Some(n) if n.get_ref().to_lowercase() == pool.name.to_lowercase() => {
                    Some((n.span(), "pool"))
                }
                None if g.name.get_ref().to_lowercase() == pool.name.to_lowercase() => {
                    Some((g.name.span(), "name"))
                }
                _ => None,
            });
            let msg = format!(
                "pool {:?} serves no workload: give it a workload, or remove its groups",
                pool.name
            );
            return Err(match at {
                Some((span, field)) => src.error_at(span, field, msg),
                None => src.error("pool", msg),
            });
        };
        pool.primary = *first;
        if *first == Sector::Defense
            && let Some((s, n, span)) = u.iter().find(|(s, _, _)| *s != Sector::Defense)
        {
            return Err(src.error_at(
                span.clone(),
                "pool",
                format!(
                    "defense missions run in an air-gapped enclave, but pool {:?} is also used by {} workload {:?}: give the mission its own groups",
                    pool.name,
                    s.name(),
                    n
                ),
            ));
        }
    }
    Ok(())
}
