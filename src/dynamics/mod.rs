//! Seconds-scale grid stress: the fast layer.
//!
//! `dcload dynamics FILE` runs the hourly engine for one trial of a study, takes its state at the
//! window's start (training jobs running, each sector's hourly IT power, the facility's overhead
//! for the hour) and builds the facility's power at a step of tens of milliseconds over the
//! window ([`window`]); applies the mitigations ([`window::Shaping`]: GPU power floor and burn
//! filler; [`mitigation`]: storage behind the meter); computes the spectrum ([`spectrum`]) and
//! the compliance with a utility's specification ([`spec`]); and runs a fleet of sites through a
//! voltage-disturbance sequence ([`ridethrough`]). Outputs go to their own folder.
//!
//! The dynamics file (TOML) names the study run file and holds the fast layer's parameters;
//! `runs/dynamics-campus.toml` is an annotated example.

pub mod mitigation;
mod plot;
pub mod ridethrough;
pub mod spec;
pub mod spectrum;
pub mod window;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::base::error::{Error, Result, Source};
use crate::model::library::Library;
use crate::scenario::Scenario;
use ridethrough::{Disturbance, Fleet, Param, SiteGroup, TrialOutcome};
use spec::Spec;
use window::{FastParams, Hour, Inputs, Job, Shaping, Waveform};

/// `dcload dynamics` options; each overrides the dynamics file.
#[derive(Debug, clap::Args)]
pub struct DynamicsArgs {
    /// The dynamics file (TOML): study run file, window, fast-layer parameters, mitigations,
    /// fleet; see runs/dynamics-campus.toml.
    pub file: PathBuf,
    /// Window start, hours from the study's start (e.g. 4500.25).
    #[arg(long, value_name = "H")]
    pub start_hour: Option<f64>,
    /// Window length, s.
    #[arg(long, value_name = "S")]
    pub duration_s: Option<f64>,
    /// Step, ms (e.g. 20 to 100).
    #[arg(long, value_name = "MS")]
    pub step_ms: Option<u32>,
    /// Which trial of the study supplies the starting state.
    #[arg(long)]
    pub trial: Option<u32>,
    /// The utility's specification (TOML).
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// The voltage-disturbance sequence (TOML) for the fleet's ride-through.
    #[arg(long, value_name = "FILE")]
    pub disturbance: Option<PathBuf>,
    /// Output folder [default: out/<dynamics name>/].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// A model folder that adds to and overrides the built-in library.
    #[arg(long, value_name = "DIR")]
    pub models: Option<PathBuf>,
    /// Do not draw the SVG plots.
    #[arg(long)]
    pub no_plots: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    name: Option<String>,
    run: Option<String>,
    trial: Option<u32>,
    spec: Option<String>,
    disturbance: Option<String>,
    window: Option<WindowSpec>,
    training: Option<TrainingSpec>,
    inference: Option<InferenceSpec>,
    steady: Option<SteadySpec>,
    facility: Option<FacilitySpec>,
    mitigation: Option<MitigationSpec>,
    fleet: Option<FleetSpec>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WindowSpec {
    start_hour: Option<f64>,
    duration_s: Option<f64>,
    step_ms: Option<u32>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TrainingSpec {
    iteration_s: Option<f64>,
    compute_share: Option<f64>,
    communication_level: Option<f64>,
    start_ramp_s: Option<f64>,
    phase: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct InferenceSpec {
    service_s: Option<f64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SteadySpec {
    sd: Option<f64>,
    tau_s: Option<f64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FacilitySpec {
    cooling_tau_s: Option<f64>,
    electrical_tau_s: Option<f64>,
    losses_share: Option<f64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MitigationSpec {
    power_floor: Option<f64>,
    burn: Option<BurnSpec>,
    storage: Option<StorageSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BurnSpec {
    fill_to: f64,
    throughput_cost: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StorageSpec {
    energy_mwh: f64,
    power_mw: f64,
    round_trip_efficiency: f64,
    control: String,
    ramp_mw_per_s: Option<f64>,
    tau_s: Option<f64>,
    soc0: Option<f64>,
    restore_s: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetSpec {
    trials: u32,
    horizon_s: f64,
    step_s: f64,
    group: Vec<GroupSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupSpec {
    name: String,
    sites: Option<u32>,
    mw: Param,
    dip_threshold: Param,
    min_duration_s: Option<Param>,
    lock_count: Param,
    lock_window_s: Param,
    trip_depth: Option<Param>,
    return_delay_s: Param,
    ramp_back_s: Param,
}

/// A resolved dynamics file.
#[derive(Clone, Debug)]
pub struct Settings {
    pub name: String,
    pub file: String,
    pub run: Option<PathBuf>,
    pub trial: u32,
    pub spec: Option<PathBuf>,
    pub disturbance: Option<PathBuf>,
    pub start_hour: f64,
    pub duration_s: f64,
    pub step_ms: u32,
    pub params: FastParams,
    pub shaping: Shaping,
    pub burn_throughput_cost: f64,
    pub storage: Option<mitigation::Storage>,
    pub fleet: Option<Fleet>,
}

fn expect(src: &Source, field: &str, x: f64, ok: bool, what: &str) -> Result<f64> {
    if ok && x.is_finite() {
        Ok(x)
    } else {
        Err(src.error(field, format!("expected {what}, found {x}")))
    }
}

fn pos(src: &Source, field: &str, x: Option<f64>, default: f64) -> Result<f64> {
    let v = x.unwrap_or(default);
    expect(src, field, v, v > 0.0, "a number above 0")
}

fn share(src: &Source, field: &str, x: Option<f64>, default: f64) -> Result<f64> {
    let v = x.unwrap_or(default);
    expect(
        src,
        field,
        v,
        (0.0..=1.0).contains(&v),
        "a share from 0 to 1",
    )
}

impl Settings {
    /// Parses a dynamics file; relative paths in it are taken from the file's folder.
    pub fn parse(src: &Source, base: &Path) -> Result<Settings> {
        let f: FileSpec = toml::from_str(&src.text).map_err(|e| src.toml_error(&e))?;
        let found = crate::input::uncertain::find(src)?;
        let w = f.window.unwrap_or_default();
        let t = f.training.unwrap_or_default();
        let i = f.inference.unwrap_or_default();
        let s = f.steady.unwrap_or_default();
        let fa = f.facility.unwrap_or_default();
        let m = f.mitigation.unwrap_or_default();
        let d = FastParams::default();
        let random_phase = match t.phase.as_deref() {
            None | Some("random") => true,
            Some("aligned") => false,
            Some(other) => {
                return Err(src.error(
                    "phase",
                    format!("expected \"random\" or \"aligned\", found {other:?}"),
                ));
            }
        };
        let params = FastParams {
            iteration_s: pos(src, "iteration_s", t.iteration_s, d.iteration_s)?,
            compute_share: {
                let v = t.compute_share.unwrap_or(d.compute_share);
                expect(
                    src,
                    "compute_share",
                    v,
                    v > 0.0 && v <= 1.0,
                    "a share above 0, at most 1",
                )?
            },
            communication_level: share(
                src,
                "communication_level",
                t.communication_level,
                d.communication_level,
            )?,
            start_ramp_s: {
                let v = t.start_ramp_s.unwrap_or(d.start_ramp_s);
                expect(src, "start_ramp_s", v, v >= 0.0, "seconds, 0 or more")?
            },
            random_phase,
            service_s: pos(src, "service_s", i.service_s, d.service_s)?,
            steady_sd: share(src, "sd", s.sd, d.steady_sd)?,
            steady_tau_s: pos(src, "tau_s", s.tau_s, d.steady_tau_s)?,
            cooling_tau_s: pos(src, "cooling_tau_s", fa.cooling_tau_s, d.cooling_tau_s)?,
            electrical_tau_s: pos(
                src,
                "electrical_tau_s",
                fa.electrical_tau_s,
                d.electrical_tau_s,
            )?,
            losses_share: share(src, "losses_share", fa.losses_share, d.losses_share)?,
        };
        let power_floor = m
            .power_floor
            .map(|v| share(src, "power_floor", Some(v), 0.0))
            .transpose()?;
        let (burn_fill_to, burn_cost) = match &m.burn {
            Some(b) => (
                Some(share(src, "fill_to", Some(b.fill_to), 0.0)?),
                share(src, "throughput_cost", Some(b.throughput_cost), 0.0)?,
            ),
            None => (None, 0.0),
        };
        let storage = match &m.storage {
            None => None,
            Some(st) => {
                let control = match st.control.as_str() {
                    "ramp" => mitigation::Control::Ramp {
                        mw_per_s: pos(src, "ramp_mw_per_s", st.ramp_mw_per_s, f64::NAN)?,
                    },
                    "lowpass" => mitigation::Control::LowPass {
                        tau_s: pos(src, "tau_s", st.tau_s, f64::NAN)?,
                    },
                    other => {
                        return Err(src.error(
                            "control",
                            format!("expected \"ramp\" (with ramp_mw_per_s) or \"lowpass\" (with tau_s), found {other:?}"),
                        ));
                    }
                };
                let rte = st.round_trip_efficiency;
                Some(mitigation::Storage {
                    energy_mwh: pos(src, "energy_mwh", Some(st.energy_mwh), 0.0)?,
                    power_mw: pos(src, "power_mw", Some(st.power_mw), 0.0)?,
                    round_trip_efficiency: expect(
                        src,
                        "round_trip_efficiency",
                        rte,
                        rte > 0.0 && rte <= 1.0,
                        "a share above 0, at most 1",
                    )?,
                    soc0: share(src, "soc0", st.soc0, 0.5)?,
                    restore_s: {
                        let v = st.restore_s.unwrap_or(600.0);
                        expect(
                            src,
                            "restore_s",
                            v,
                            v >= 0.0,
                            "seconds, 0 or more (0 = no restore)",
                        )?
                    },
                    control,
                })
            }
        };
        let fleet = match &f.fleet {
            None => None,
            Some(fl) => {
                if fl.trials == 0 {
                    return Err(src.error("trials", "expected at least 1 trial, found 0"));
                }
                pos(src, "horizon_s", Some(fl.horizon_s), 0.0)?;
                pos(src, "step_s", Some(fl.step_s), 0.0)?;
                if fl.horizon_s / fl.step_s > 1e6 {
                    return Err(src.error(
                        "step_s",
                        "expected at most 1e6 output steps over horizon_s: use a longer step",
                    ));
                }
                let sites: u64 = fl.group.iter().map(|g| g.sites.unwrap_or(1) as u64).sum();
                if sites > 100_000 || fl.trials as f64 * (fl.horizon_s / fl.step_s) > 5e7 {
                    return Err(src.error(
                        "trials",
                        format!(
                            "expected at most 100,000 sites and trials x horizon_s / step_s at most 5e7 (memory), found {sites} sites and {}",
                            crate::input::limits::num(fl.trials as f64 * fl.horizon_s / fl.step_s)
                        ),
                    ));
                }
                if fl.group.is_empty() {
                    return Err(src.error("fleet", "expected at least one [[fleet.group]]"));
                }
                let mut groups = Vec::new();
                for (gi, g) in fl.group.iter().enumerate() {
                    let p = |name: &str, v: &Param| {
                        ridethrough::resolve(v, &format!("fleet.group[{gi}].{name}"), &found, src)
                    };
                    let zero = Param::Value(0.0);
                    groups.push(SiteGroup {
                        name: g.name.clone(),
                        sites: g.sites.unwrap_or(1),
                        mw: p("mw", &g.mw)?,
                        dip_threshold: p("dip_threshold", &g.dip_threshold)?,
                        min_duration_s: p(
                            "min_duration_s",
                            g.min_duration_s.as_ref().unwrap_or(&zero),
                        )?,
                        lock_count: p("lock_count", &g.lock_count)?,
                        lock_window_s: p("lock_window_s", &g.lock_window_s)?,
                        trip_depth: g
                            .trip_depth
                            .as_ref()
                            .map(|v| p("trip_depth", v))
                            .transpose()?,
                        return_delay_s: p("return_delay_s", &g.return_delay_s)?,
                        ramp_back_s: p("ramp_back_s", &g.ramp_back_s)?,
                    });
                }
                Some(Fleet {
                    groups,
                    trials: fl.trials,
                    horizon_s: fl.horizon_s,
                    step_s: fl.step_s,
                })
            }
        };
        let rel = |p: &Option<String>| p.as_ref().map(|p| base.join(p));
        Ok(Settings {
            name: f.name.unwrap_or_else(|| "dynamics".into()),
            file: src.name.clone(),
            run: rel(&f.run),
            trial: f.trial.unwrap_or(0),
            spec: rel(&f.spec),
            disturbance: rel(&f.disturbance),
            start_hour: w.start_hour.unwrap_or(0.0),
            duration_s: w.duration_s.unwrap_or(600.0),
            step_ms: w.step_ms.unwrap_or(50),
            params,
            shaping: Shaping {
                power_floor,
                burn_fill_to,
            },
            burn_throughput_cost: burn_cost,
            storage,
            fleet,
        })
    }

    fn check_window(&self, horizon_s: u64) -> Result<()> {
        let opt = |o: &str, msg: String| Error::Option {
            option: o.into(),
            msg,
        };
        if !(self.step_ms >= 1 && self.step_ms <= 1000) {
            return Err(opt(
                "--step-ms",
                format!(
                    "expected a step from 1 to 1000 ms (e.g. 20 to 100), found {}",
                    self.step_ms
                ),
            ));
        }
        let dt = self.step_ms as f64 / 1000.0;
        if !(self.duration_s.is_finite() && self.duration_s >= 10.0 * dt) {
            return Err(opt(
                "--duration-s",
                format!(
                    "expected a window of at least 10 steps ({} s), found {}",
                    10.0 * dt,
                    self.duration_s
                ),
            ));
        }
        if self.duration_s / dt > 5e6 {
            return Err(opt(
                "--duration-s",
                format!(
                    "expected at most 5e6 steps per window, found {} s / {} ms: use a longer step or a shorter window",
                    self.duration_s, self.step_ms
                ),
            ));
        }
        let end_h = self.start_hour + self.duration_s / 3600.0;
        if !(self.start_hour.is_finite() && self.start_hour >= 0.0)
            || end_h > horizon_s as f64 / 3600.0 + 1e-9
        {
            return Err(opt(
                "--start-hour",
                format!(
                    "expected a window inside the study's {} h, found {} h + {} s",
                    horizon_s / 3600,
                    self.start_hour,
                    self.duration_s
                ),
            ));
        }
        Ok(())
    }
}

/// Column of a named hourly metric, if the study writes it.
fn metric(sc: &Scenario, name: &str) -> Option<usize> {
    sc.metrics().iter().position(|m| *m == name)
}

/// The window's inputs from the hourly engine's results for `trial` of the (trial's) scenario.
pub fn inputs_from_engine(
    sc: &Scenario,
    r: &crate::sim::TrialResult,
    trial: u32,
    t0_s: f64,
    duration_s: f64,
    step_s: f64,
    params: FastParams,
) -> Inputs {
    let ncol = sc.metrics().len();
    let h_first = (t0_s / 3600.0).floor() as usize;
    let h_last = (((t0_s + duration_s) / 3600.0).ceil() as usize)
        .max(h_first + 1)
        .min(r.hourly.len() / ncol.max(1));
    let get = |h: usize, name: &str| metric(sc, name).map(|c| r.hourly[h * ncol + c] as f64);
    // Idle power of the pools consumer classes run on (the part of their power that does not
    // follow the requests), MW.
    let mut pools: Vec<usize> = sc.consumers.iter().map(|c| c.pool).collect();
    pools.sort_unstable();
    pools.dedup();
    let consumer_idle_mw: f64 = pools
        .iter()
        .map(|&p| sc.fleet.pools[p].idle_w_per_capacity * sc.fleet.pools[p].capacity / 1e6)
        .sum();
    let hours: Vec<Hour> = (h_first..h_last.max(h_first + 1))
        .map(|h| {
            let consumer = get(h, "it_consumer_mw").unwrap_or(0.0);
            Hour {
                start_s: h as f64 * 3600.0,
                training_mw: get(h, "it_training_mw").unwrap_or(0.0),
                consumer_mw: consumer,
                industrial_mw: get(h, "it_industrial_mw").unwrap_or(0.0),
                defense_mw: get(h, "it_defense_mw").unwrap_or(0.0),
                idle_mw: get(h, "it_idle_unallocated_mw").unwrap_or(0.0),
                it_mw: get(h, "it_total_mw").unwrap_or(0.0),
                facility_mw: get(h, "facility_mw").unwrap_or(0.0),
                cooling_mw: get(h, "cooling_mw"),
                losses_mw: get(h, "losses_mw"),
                requests_per_s: get(h, "requests_served").unwrap_or(0.0) / 3600.0,
                consumer_dynamic_share: if consumer > 0.0 {
                    (1.0 - consumer_idle_mw / consumer).clamp(0.0, 1.0)
                } else {
                    0.0
                },
            }
        })
        .collect();
    let (a, b) = (h_first as f64 * 3600.0, h_last as f64 * 3600.0);
    let jobs = r
        .summary
        .jobs
        .iter()
        .filter(|j| (j.start_s as f64) < b && j.end_s.is_none_or(|e| e as f64 > a))
        .map(|j| {
            let tr = &sc.trainings[j.training as usize];
            let pool = &sc.fleet.pools[tr.pool];
            let g = pool.groups.first().map(|&g| &sc.fleet.groups[g]);
            Job {
                name: format!("{}#{}", tr.name, j.job),
                start_s: j.start_s as f64,
                end_s: j.end_s.map(|e| e as f64),
                accelerators: j.accelerators,
                idle_w: pool.idle_w_per_capacity,
                busy_w: pool.watts_per_busy,
                board_idle_w: g.map_or(0.0, |g| g.acc_idle_w),
                tdp_w: g.map_or(1.0, |g| g.acc_tdp_w),
                utilisation: tr.utilisation,
                checkpoint_interval_s: tr.checkpoint_interval_s as f64,
                checkpoint_duration_s: tr.checkpoint_duration_s as f64,
                checkpoint_utilisation: tr.checkpoint_utilisation,
                failure_rate_per_s: sc
                    .failures
                    .as_ref()
                    .map_or(0.0, |f| f.rate_per_acc_s * j.accelerators),
                restart_s: sc.failures.as_ref().map_or(0.0, |f| f.restart_s as f64),
            }
        })
        .collect();
    Inputs {
        t0_s,
        duration_s,
        step_s,
        hours,
        jobs,
        params,
        seed: sc.seed,
        trial,
    }
}

/// Everything one `dcload dynamics` computes.
pub struct Report {
    pub inputs: Inputs,
    pub wave: Waveform,
    pub storage: Option<mitigation::StorageResult>,
    /// What the grid sees: the shaped facility, through the battery if there is one.
    pub grid: Vec<f64>,
    pub spectrum: spectrum::Spectrum,
    pub spectrum_grid: spectrum::Spectrum,
    pub compliance: Vec<spec::Outcome>,
    pub fleet: Option<Vec<TrialOutcome>>,
    /// Output step of the fleet's series, s.
    pub fleet_step_s: Option<f64>,
    pub build_ms: f64,
}

pub fn compute(
    set: &Settings,
    inputs: Inputs,
    spec: Option<&Spec>,
    dist: Option<&Disturbance>,
) -> Report {
    let t = std::time::Instant::now();
    let wave = window::build(&inputs, &set.shaping);
    let build_ms = t.elapsed().as_secs_f64() * 1e3;
    let dt = inputs.step_s;
    let storage = set
        .storage
        .as_ref()
        .map(|s| mitigation::apply(&wave.facility_shaped, dt, s));
    let grid = storage
        .as_ref()
        .map_or_else(|| wave.facility_shaped.clone(), |s| s.grid.clone());
    let spectrum = spectrum::psd(&wave.facility, dt);
    let spectrum_grid = spectrum::psd(&grid, dt);
    let mut compliance = Vec::new();
    if let Some(sp) = spec {
        compliance.extend(spec::comply(
            sp,
            "unmitigated",
            &wave.facility,
            dt,
            &spectrum,
        ));
        compliance.extend(spec::comply(sp, "mitigated", &grid, dt, &spectrum_grid));
    }
    let fleet = match (&set.fleet, dist) {
        (Some(f), Some(d)) => Some(ridethrough::run(f, d, inputs.seed)),
        _ => None,
    };
    Report {
        inputs,
        wave,
        storage,
        grid,
        spectrum,
        spectrum_grid,
        compliance,
        fleet,
        fleet_step_s: set.fleet.as_ref().map(|f| f.step_s),
        build_ms,
    }
}

fn read_source(p: &Path) -> Result<Source> {
    let text = crate::input::limits::read_text(p, crate::input::limits::MAX_TOML_BYTES)?;
    Ok(Source::new(p.display().to_string(), text))
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::Write {
        path: path.to_path_buf(),
        source: e,
    })
}

/// `dcload dynamics`.
pub fn command(args: &DynamicsArgs) -> Result<()> {
    let src = read_source(&args.file)?;
    let base = args
        .file
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut set = Settings::parse(&src, &base)?;
    if let Some(v) = args.start_hour {
        set.start_hour = v;
    }
    if let Some(v) = args.duration_s {
        set.duration_s = v;
    }
    if let Some(v) = args.step_ms {
        set.step_ms = v;
    }
    if let Some(v) = args.trial {
        set.trial = v;
    }
    if args.spec.is_some() {
        set.spec = args.spec.clone();
    }
    if args.disturbance.is_some() {
        set.disturbance = args.disturbance.clone();
    }
    let Some(run) = set.run.clone() else {
        return Err(src.error(
            "run",
            "expected the study's run file: run = \"default.toml\" (relative to this file)",
        ));
    };
    let spec = set
        .spec
        .as_ref()
        .map(|p| read_source(p).and_then(|s| Spec::parse(&s)))
        .transpose()?;
    let dist = set
        .disturbance
        .as_ref()
        .map(|p| read_source(p).and_then(|s| Disturbance::parse(&s)))
        .transpose()?;
    if set.fleet.is_some() != dist.is_some() {
        return Err(Error::Other(format!(
            "{}: ride-through needs both a [fleet] in the dynamics file and a disturbance file (--disturbance): {}",
            set.file,
            if dist.is_some() {
                "the file has no [fleet]"
            } else {
                "no disturbance file given"
            }
        )));
    }
    let lib = Library::load(args.models.as_deref())?;
    let sc = Scenario::load(&run, &lib)?;
    set.check_window(sc.horizon_s)?;
    let dt = set.step_ms as f64 / 1000.0;
    if let Some(sp) = &spec {
        sp.check_window(dt, set.duration_s).map_err(Error::Other)?;
    }
    if set.trial >= sc.trials {
        return Err(Error::Option {
            option: "--trial".into(),
            msg: format!(
                "expected a trial of the study, 0 to {}, found {}",
                sc.trials - 1,
                set.trial
            ),
        });
    }
    let t_engine = std::time::Instant::now();
    let (tsc, _) = sc.for_trial(set.trial)?;
    let result = crate::sim::run_trial(&tsc, set.trial);
    let engine_ms = t_engine.elapsed().as_secs_f64() * 1e3;
    let t0 = set.start_hour * 3600.0;
    let inputs = inputs_from_engine(
        &tsc,
        &result,
        set.trial,
        t0,
        set.duration_s,
        dt,
        set.params.clone(),
    );
    let rep = compute(&set, inputs, spec.as_ref(), dist.as_ref());
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(&set.name));
    std::fs::create_dir_all(&out).map_err(|e| Error::Write {
        path: out.clone(),
        source: e,
    })?;
    let files = write_outputs(&out, &set, &tsc, &rep, spec.as_ref(), dist.as_ref())?;
    for f in &files {
        println!("wrote {}", f.display());
    }
    if !args.no_plots {
        for p in plot::draw(&out, &rep, spec.as_ref())
            .map_err(|e| Error::Other(format!("{}: {e}", out.display())))?
        {
            println!("wrote {}", p.display());
        }
    }
    let h = &rep.inputs.hours[0];
    println!(
        "window: {} s at {} ms from hour {} of trial {}: facility mean {:.2} MW (hourly engine {:.2} MW for hour {}), built in {:.0} ms (hourly engine trial {:.0} ms)",
        set.duration_s,
        set.step_ms,
        set.start_hour,
        set.trial,
        window::mean(&rep.wave.facility),
        h.facility_mw,
        (h.start_s / 3600.0) as u64,
        rep.build_ms,
        engine_ms
    );
    for o in &rep.compliance {
        println!(
            "  {:<12} {:<22} {:>10.3} {:<6} limit {:>8.3}  {}",
            o.case,
            o.check,
            o.measured,
            o.unit,
            o.limit,
            if o.pass { "pass" } else { "FAIL" }
        );
    }
    if let Some(f) = &rep.fleet {
        let dropped: Vec<f64> = f.iter().map(|t| t.dropped_mw()).collect();
        println!(
            "ride-through: {} trials, MW dropped: mean {:.0}, max {:.0}",
            f.len(),
            window::mean(&dropped),
            dropped.iter().cloned().fold(0.0, f64::max)
        );
    }
    Ok(())
}

const PCTS: [f64; 3] = [0.1, 0.5, 0.9];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    crate::base::stats::percentile_sorted(sorted, p)
}

/// Writes waveform.csv, spectrum.csv, compliance.csv/json and, with a fleet, ridethrough.csv
/// and ridethrough_trials.csv.
pub fn write_outputs(
    out: &Path,
    set: &Settings,
    sc: &Scenario,
    rep: &Report,
    spec: Option<&Spec>,
    dist: Option<&Disturbance>,
) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let w = &rep.wave;
    let dt = rep.inputs.step_s;
    let mut s = String::from(
        "t_s,it_training_mw,it_consumer_mw,it_industrial_mw,it_defense_mw,it_idle_unallocated_mw,it_total_mw,cooling_mw,losses_mw,facility_mw,shaped_facility_mw,battery_mw,soc_mwh,grid_mw\n",
    );
    for k in 0..w.len() {
        let (b, soc) = rep
            .storage
            .as_ref()
            .map_or((0.0, 0.0), |st| (st.battery[k], st.soc_mwh[k]));
        let _ = writeln!(
            s,
            "{:.3},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.5},{:.4}",
            k as f64 * dt,
            w.training[k],
            w.consumer[k],
            w.industrial[k],
            w.defense[k],
            w.idle[k],
            w.it[k],
            w.cooling[k],
            w.losses[k],
            w.facility[k],
            w.facility_shaped[k],
            b,
            soc,
            rep.grid[k]
        );
    }
    let p = out.join("waveform.csv");
    write(&p, &s)?;
    files.push(p);

    let mut s = String::from("frequency_hz,facility_psd_mw2_per_hz,grid_psd_mw2_per_hz\n");
    for k in 1..rep.spectrum.freq_hz.len() {
        let _ = writeln!(
            s,
            "{:.6},{:.6e},{:.6e}",
            rep.spectrum.freq_hz[k], rep.spectrum.psd[k], rep.spectrum_grid.psd[k]
        );
    }
    let p = out.join("spectrum.csv");
    write(&p, &s)?;
    files.push(p);

    if spec.is_some() {
        let mut s = String::from("case,check,unit,measured,limit,margin,pass,worst_t_s\n");
        for o in &rep.compliance {
            let _ = writeln!(
                s,
                "{},{},{},{:.6},{:.6},{:.6},{},{}",
                o.case,
                o.check,
                o.unit,
                o.measured,
                o.limit,
                o.margin,
                o.pass,
                o.worst_t_s.map_or(String::new(), |t| format!("{t:.3}"))
            );
        }
        let p = out.join("compliance.csv");
        write(&p, &s)?;
        files.push(p);
    }

    // The summary: window, calibration, means against the hourly engine, costs, compliance.
    let energy_mwh = |x: &[f64]| x.iter().sum::<f64>() * dt / 3600.0;
    let train_mwh = energy_mwh(&w.training);
    let acc_h: f64 = rep
        .inputs
        .jobs
        .iter()
        .zip(&w.jobs)
        .map(|(j, tr)| {
            j.accelerators * tr.board_w.iter().filter(|b| !b.is_nan()).count() as f64 * dt / 3600.0
        })
        .sum();
    let hours: Vec<serde_json::Value> = rep
        .inputs
        .hours
        .iter()
        .zip(&w.calibration)
        .map(|(h, k)| {
            serde_json::json!({
                "hour": (h.start_s / 3600.0) as u64,
                "timestamp": sc.calendar.timestamp(crate::base::time::SimTime(h.start_s as u64)),
                "hourly_facility_mw": h.facility_mw,
                "hourly_it_mw": h.it_mw,
                "hourly_training_mw": h.training_mw,
                "training_calibration": k,
            })
        })
        .collect();
    let json = serde_json::json!({
        "name": set.name,
        "dynamics_file": set.file,
        "run_file": sc.file,
        "trial": set.trial,
        "window": {
            "start_hour": set.start_hour,
            "start": sc.calendar.timestamp(crate::base::time::SimTime(rep.inputs.t0_s as u64)),
            "duration_s": set.duration_s,
            "step_ms": set.step_ms,
            "steps": w.len(),
            "training_jobs": rep.inputs.jobs.len(),
        },
        "hours": hours,
        "clipped_hours": w.clipped_hours,
        "window_mean_mw": {
            "facility": window::mean(&w.facility),
            "it_total": window::mean(&w.it),
            "it_training": window::mean(&w.training),
            "shaped_facility": window::mean(&w.facility_shaped),
            "grid": window::mean(&rep.grid),
        },
        "mitigation": {
            "power_floor_share_of_tdp": set.shaping.power_floor,
            "power_floor_extra_mwh": w.floor_mwh,
            "burn_fill_to": set.shaping.burn_fill_to,
            "burn_extra_mwh": w.burn_mwh,
            "burn_throughput_cost_share": set.burn_throughput_cost,
            "burn_lost_acc_h": w.burn_acc_h * set.burn_throughput_cost,
            "training_mwh": train_mwh,
            "training_acc_h": acc_h,
            "storage": rep.storage.as_ref().map(|st| serde_json::json!({
                "energy_in_mwh": st.energy_in_mwh,
                "energy_out_mwh": st.energy_out_mwh,
                "losses_mwh": st.losses_mwh,
                "stored_start_mwh": st.stored_start_mwh,
                "stored_end_mwh": st.stored_end_mwh,
                "balance_error_mwh": st.balance_error_mwh(),
                "limited_steps": st.limited_steps,
                "equivalent_full_cycles": st.cycles,
            })),
        },
        "spec": spec.map(|s| s.name.clone()),
        "compliance": rep.compliance,
        "disturbance": dist.map(|d| d.name.clone()),
    });
    let p = out.join("compliance.json");
    write(
        &p,
        &(serde_json::to_string_pretty(&json).unwrap_or_default() + "\n"),
    )?;
    files.push(p);

    if let (Some(f), Some(fl)) = (&rep.fleet, &set.fleet) {
        let n = f.first().map_or(0, |t| t.lost_mw.len());
        let mut s = String::from("t_s,lost_mw_mean,lost_mw_p10,lost_mw_p50,lost_mw_p90\n");
        let mut col = vec![0.0; f.len()];
        for k in 0..n {
            for (c, t) in col.iter_mut().zip(f) {
                *c = t.lost_mw[k];
            }
            let mean = window::mean(&col);
            col.sort_by(f64::total_cmp);
            let _ = write!(s, "{:.3},{:.4}", k as f64 * fl.step_s, mean);
            for p in PCTS {
                let _ = write!(s, ",{:.4}", percentile(&col, p));
            }
            s.push('\n');
        }
        let p = out.join("ridethrough.csv");
        write(&p, &s)?;
        files.push(p);
        let mut s =
            String::from("trial,sites,sites_dropped,fleet_mw,dropped_mw,first_drop_s,lost_mwh\n");
        for (i, t) in f.iter().enumerate() {
            let first = t
                .drop_times
                .iter()
                .flatten()
                .cloned()
                .fold(f64::INFINITY, f64::min);
            let _ = writeln!(
                s,
                "{i},{},{},{:.3},{:.3},{},{:.4}",
                t.sites.len(),
                t.dropped(),
                t.sites.iter().map(|x| x.mw).sum::<f64>(),
                t.dropped_mw(),
                if first.is_finite() {
                    format!("{first:.3}")
                } else {
                    String::new()
                },
                t.lost_mw.iter().sum::<f64>() * fl.step_s / 3600.0
            );
        }
        let p = out.join("ridethrough_trials.csv");
        write(&p, &s)?;
        files.push(p);
    }
    Ok(files)
}
