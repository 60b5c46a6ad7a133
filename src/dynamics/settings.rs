//! The dynamics file (TOML): the study's run file, the window, the fast layer's parameters, the
//! mitigations and the fleet, checked and resolved into [`Settings`]; relative paths in it are
//! taken from its folder. `runs/dynamics-campus.toml` is an annotated example.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::base::error::{Error, Result, Source};
use crate::input::uncertain::Uncertain;

use super::export::{self, Export};
use super::mitigation;
use super::ridethrough::{self, Fleet, Param, SiteGroup};
use super::swing::{BoardPower, JobSwing, Swing};
use super::window::{FastParams, Shaping};

/// Steps a window may have. waveform.csv is written as it is computed; what stays in memory is
/// what the checks need whole (the facility, the shaped facility, the grid, the battery and its
/// charge: 40 bytes a step) and the spectra's transforms, about 100 bytes a step at the peak:
/// 2e7 steps (two days at 10 ms) is about 2 GB.
pub const MAX_STEPS: f64 = 2.0e7;

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
    export: Option<export::ExportSpec>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WindowSpec {
    start: Option<String>,
    start_hour: Option<f64>,
    duration_s: Option<f64>,
    step_ms: Option<u32>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TrainingSpec {
    iteration_s: Option<f64>,
    compute_share: Option<f64>,
    compute_w: Option<f64>,
    compute_tdp_share: Option<f64>,
    communication_w: Option<f64>,
    communication_tdp_share: Option<f64>,
    start_ramp_s: Option<f64>,
    phase: Option<String>,
    #[serde(default)]
    job: Vec<JobSwingSpec>,
}

/// A job's swing: iteration, compute share, and each phase's board power (W or share of TDP).
struct SwingSpec {
    iteration_s: Option<f64>,
    compute_share: Option<f64>,
    compute_w: Option<f64>,
    compute_tdp_share: Option<f64>,
    communication_w: Option<f64>,
    communication_tdp_share: Option<f64>,
}

/// `[[training.job]]`: the swing of the study's `[[training]]` named `name`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JobSwingSpec {
    name: toml::Spanned<String>,
    iteration_s: Option<f64>,
    compute_share: Option<f64>,
    compute_w: Option<f64>,
    compute_tdp_share: Option<f64>,
    communication_w: Option<f64>,
    communication_tdp_share: Option<f64>,
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
    name: toml::Spanned<String>,
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
    /// The window's start as a local date-time of the study clock (`[window] start` or
    /// `--start`), read once the study's calendar is known; it sets `start_hour`.
    pub start: Option<String>,
    pub duration_s: f64,
    pub step_ms: u32,
    pub params: FastParams,
    pub shaping: Shaping,
    pub burn_throughput_cost: f64,
    pub storage: Option<mitigation::Storage>,
    pub fleet: Option<Fleet>,
    /// `[export]`: the files the grid's tools read.
    pub export: Export,
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

/// Seconds: finite, 0 or more.
fn seconds(src: &Source, field: &str, v: f64, what: &str) -> Result<f64> {
    expect(src, field, v, v >= 0.0, what)
}

/// A share above 0, at most 1.
fn positive_share(src: &Source, field: &str, v: f64) -> Result<f64> {
    expect(
        src,
        field,
        v,
        v > 0.0 && v <= 1.0,
        "a share above 0, at most 1",
    )
}

impl Settings {
    /// Parses a dynamics file; relative paths in it are taken from the file's folder.
    pub fn parse(src: &Source, base: &Path) -> Result<Settings> {
        let f: FileSpec = toml::from_str(&src.text).map_err(|e| src.toml_error(&e))?;
        if let Some(n) = &f.name {
            // The name becomes out/<name>/: the same rule as a run file's.
            crate::input::limits::check_name(src, n)?;
        }
        let found = crate::input::uncertain::find(src)?;
        let w = f.window.unwrap_or_default();
        if w.start.is_some() && w.start_hour.is_some() {
            return Err(src.error(
                "start",
                "expected either start (a date-time) or start_hour, not both",
            ));
        }
        let params = fast_params(
            src,
            &f.training.unwrap_or_default(),
            &f.inference.unwrap_or_default(),
            &f.steady.unwrap_or_default(),
            &f.facility.unwrap_or_default(),
        )?;
        let m = f.mitigation.unwrap_or_default();
        let (shaping, burn_throughput_cost) = shaping(src, &m)?;
        let storage = m.storage.as_ref().map(|st| storage(src, st)).transpose()?;
        let fleet = f
            .fleet
            .as_ref()
            .map(|fl| fleet(src, fl, &found))
            .transpose()?;
        let export = export::resolve(src, &f.export.unwrap_or_default())?;
        let rel = |p: &Option<String>| p.as_ref().map(|p| base.join(p));
        Ok(Settings {
            name: f.name.unwrap_or_else(|| "dynamics".into()),
            file: src.name.clone(),
            run: rel(&f.run),
            trial: f.trial.unwrap_or(0),
            spec: rel(&f.spec),
            disturbance: rel(&f.disturbance),
            start_hour: w.start_hour.unwrap_or(0.0),
            start: w.start.clone(),
            duration_s: w.duration_s.unwrap_or(600.0),
            step_ms: w.step_ms.unwrap_or(50),
            params,
            shaping,
            burn_throughput_cost,
            storage,
            fleet,
            export,
        })
    }
    /// Checked once the command line has overridden the file, so the errors name the flags.
    pub(super) fn check_window(&self, horizon_s: u64) -> Result<()> {
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
        if self.duration_s / dt > MAX_STEPS {
            return Err(opt(
                "--duration-s",
                format!(
                    "expected at most {MAX_STEPS:e} steps per window, found {} s / {} ms: use a longer step or a shorter window",
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

/// The `[training]`, `[inference]`, `[steady]` and `[facility]` tables, defaults filled in.
fn fast_params(
    src: &Source,
    t: &TrainingSpec,
    i: &InferenceSpec,
    s: &SteadySpec,
    fa: &FacilitySpec,
) -> Result<FastParams> {
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
    let spec = SwingSpec {
        iteration_s: t.iteration_s,
        compute_share: t.compute_share,
        compute_w: t.compute_w,
        compute_tdp_share: t.compute_tdp_share,
        communication_w: t.communication_w,
        communication_tdp_share: t.communication_tdp_share,
    };
    let swing = swing_spec(src, &spec, &d.swing)?;
    let job_swings = t
        .job
        .iter()
        .map(|j| job_swing(src, j, &swing))
        .collect::<Result<_>>()?;
    Ok(FastParams {
        swing,
        job_swings,
        start_ramp_s: seconds(
            src,
            "start_ramp_s",
            t.start_ramp_s.unwrap_or(d.start_ramp_s),
            "seconds, 0 or more",
        )?,
        random_phase,
        service_s: pos(src, "service_s", i.service_s, d.service_s)?,
        steady_sd: share(src, "sd", s.sd, d.steady_sd)?,
        steady_tau_s: pos(src, "tau_s", s.tau_s, d.steady_tau_s)?,
        cooling_tau_s: pos(src, "cooling_tau_s", fa.cooling_tau_s, d.cooling_tau_s)?,
        electrical_tau_s: seconds(
            src,
            "electrical_tau_s",
            fa.electrical_tau_s.unwrap_or(d.electrical_tau_s),
            "seconds, 0 or more (0 = losses follow IT power at once)",
        )?,
        losses_share: share(src, "losses_share", fa.losses_share, d.losses_share)?,
    })
}

/// A swing's fields over `base`; errors point at the key's first line in the file (the
/// `[training]` table's keys are unique, and a `[[training.job]]` is checked by [`job_swing`]).
fn swing_spec(src: &Source, t: &SwingSpec, base: &Swing) -> Result<Swing> {
    let power =
        |w: Option<f64>, share: Option<f64>, wf: &str, sf: &str, d: BoardPower| match (w, share) {
            (Some(_), Some(_)) => {
                Err(src.error(wf, format!("expected either {wf} or {sf}, not both")))
            }
            (Some(w), None) => expect(src, wf, w, w >= 0.0, "watts per accelerator, 0 or more")
                .map(BoardPower::Watts),
            (None, Some(s)) => expect(
                src,
                sf,
                s,
                (0.0..=1.5).contains(&s),
                "a share of TDP from 0 to 1.5",
            )
            .map(BoardPower::TdpShare),
            (None, None) => Ok(d),
        };
    Ok(Swing {
        iteration_s: pos(src, "iteration_s", t.iteration_s, base.iteration_s)?,
        compute_share: positive_share(
            src,
            "compute_share",
            t.compute_share.unwrap_or(base.compute_share),
        )?,
        compute: power(
            t.compute_w,
            t.compute_tdp_share,
            "compute_w",
            "compute_tdp_share",
            base.compute,
        )?,
        communication: power(
            t.communication_w,
            t.communication_tdp_share,
            "communication_w",
            "communication_tdp_share",
            base.communication,
        )?,
    })
}

/// One `[[training.job]]`: its fields over the `[training]` table's, errors at the entry.
fn job_swing(src: &Source, j: &JobSwingSpec, base: &Swing) -> Result<JobSwing> {
    let spec = SwingSpec {
        iteration_s: j.iteration_s,
        compute_share: j.compute_share,
        compute_w: j.compute_w,
        compute_tdp_share: j.compute_tdp_share,
        communication_w: j.communication_w,
        communication_tdp_share: j.communication_tdp_share,
    };
    let at = j.name.span();
    // Re-point an error at this entry's line (the field's first occurrence may be another's).
    let swing = swing_spec(src, &spec, base).map_err(|e| match e {
        Error::Input { field, msg, .. } => {
            src.error_at(at.clone(), &format!("training.job.{field}"), msg)
        }
        other => other,
    })?;
    let (line, _) = src.line_col(at.start);
    Ok(JobSwing {
        training: j.name.get_ref().clone(),
        swing,
        at: format!("{}:{line}", src.name),
    })
}

/// The GPU power floor and the burn filler, and the burn's throughput cost.
fn shaping(src: &Source, m: &MitigationSpec) -> Result<(Shaping, f64)> {
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
    let shaping = Shaping {
        power_floor,
        burn_fill_to,
    };
    Ok((shaping, burn_cost))
}

/// `[mitigation.storage]`: the battery behind the meter and its control law.
fn storage(src: &Source, st: &StorageSpec) -> Result<mitigation::Storage> {
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
    Ok(mitigation::Storage {
        energy_mwh: pos(src, "energy_mwh", Some(st.energy_mwh), 0.0)?,
        power_mw: pos(src, "power_mw", Some(st.power_mw), 0.0)?,
        round_trip_efficiency: positive_share(
            src,
            "round_trip_efficiency",
            st.round_trip_efficiency,
        )?,
        soc0: share(src, "soc0", st.soc0, 0.5)?,
        restore_s: seconds(
            src,
            "restore_s",
            st.restore_s.unwrap_or(600.0),
            "seconds, 0 or more (0 = no restore)",
        )?,
        control,
    })
}

/// `[fleet]`: its size checked against memory, then each `[[fleet.group]]` resolved (fixed
/// values or distributions).
fn fleet(src: &Source, fl: &FleetSpec, found: &[Uncertain]) -> Result<Fleet> {
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
    let groups = fl
        .group
        .iter()
        .enumerate()
        .map(|(gi, g)| site_group(src, gi, g, found))
        .collect::<Result<_>>()?;
    Ok(Fleet {
        groups,
        trials: fl.trials,
        horizon_s: fl.horizon_s,
        step_s: fl.step_s,
    })
}

/// One `[[fleet.group]]` (the `gi`-th), its parameters named `fleet.group[gi].NAME` in errors.
fn site_group(src: &Source, gi: usize, g: &GroupSpec, found: &[Uncertain]) -> Result<SiteGroup> {
    let p = |name: &str, v: &Param| {
        let at = Some(g.name.span().start);
        ridethrough::resolve(v, &format!("fleet.group[{gi}].{name}"), at, found, src)
    };
    let zero = Param::Value(0.0);
    crate::scenario::check_cell_name(src, &g.name, "name")?;
    Ok(SiteGroup {
        name: g.name.get_ref().clone(),
        sites: g.sites.unwrap_or(1),
        mw: p("mw", &g.mw)?,
        dip_threshold: p("dip_threshold", &g.dip_threshold)?,
        min_duration_s: p("min_duration_s", g.min_duration_s.as_ref().unwrap_or(&zero))?,
        lock_count: p("lock_count", &g.lock_count)?,
        lock_window_s: p("lock_window_s", &g.lock_window_s)?,
        trip_depth: g
            .trip_depth
            .as_ref()
            .map(|v| p("trip_depth", v))
            .transpose()?,
        return_delay_s: p("return_delay_s", &g.return_delay_s)?,
        ramp_back_s: p("ramp_back_s", &g.ramp_back_s)?,
    })
}
