//! `dcload dynamics`: the study's trial through the hourly engine, the window built from its
//! state, the mitigations, the spectrum, the compliance and the fleet's ride-through; then the
//! files, the plots and the console summary.

use std::path::{Path, PathBuf};

use crate::base::error::{Error, Result, Source};
use crate::base::numfmt::fixed;
use crate::model::library::Library;
use crate::scenario::Scenario;

use super::compliance::{self, Case, Outcome};
use super::engine::inputs_from_engine;
use super::outputs::write_outputs;
use super::ridethrough::{self, Disturbance, TrialOutcome};
use super::settings::Settings;
use super::sizing::{self, Sized};
use super::spec::Spec;
use super::window::{self, Inputs, Waveform};
use super::{DynamicsArgs, export, mitigation, plot, spectrum};

/// Everything one `dcload dynamics` computes.
pub struct Report {
    pub inputs: Inputs,
    /// Lean ([`window::build_lean`]): the facility and the shaped facility per step, the other
    /// series as sums; [`window::Stepper`] over `inputs` gives every series again, step by step.
    pub wave: Waveform,
    /// The battery's accounts and series (its `grid` moved to [`Report::grid`]).
    pub storage: Option<mitigation::StorageResult>,
    /// What the grid sees: the shaped facility, through the battery if there is one.
    pub grid: Vec<f64>,
    pub spectrum: spectrum::Spectrum,
    pub spectrum_grid: spectrum::Spectrum,
    pub compliance: Vec<Outcome>,
    pub fleet: Option<Vec<TrialOutcome>>,
    /// Output step of the fleet's series, s.
    pub fleet_step_s: Option<f64>,
    pub build_ms: f64,
    /// `--size-battery`: not asked (None), or the smallest battery that passes (None inside
    /// when even the largest tried does not).
    pub sizing: Option<Option<Sized>>,
}

/// The unmitigated facility and the grid with the mitigations against the specification; the
/// deviation check's trailing mean starts at the hour's mean (plus what the floor and filler
/// add, for the grid).
pub fn comply_both(sp: &Spec, inputs: &Inputs, wave: &Waveform, grid: &[f64]) -> Vec<Outcome> {
    let hour_mw = inputs.hours.first().map_or(0.0, |h| h.facility_mw);
    let mut out = compliance::comply(
        sp,
        &Case {
            name: "unmitigated",
            x: &wave.facility,
            dt: inputs.step_s,
            warm_mw: hour_mw,
        },
    );
    out.extend(compliance::comply(
        sp,
        &Case {
            name: "mitigated",
            x: grid,
            dt: inputs.step_s,
            warm_mw: grid_warm_mw(inputs, wave),
        },
    ));
    out
}

/// Where the grid's trailing mean starts: the hour's facility mean plus what the power floor
/// and the burn filler add on average (the battery adds nothing on average).
pub(super) fn grid_warm_mw(inputs: &Inputs, wave: &Waveform) -> f64 {
    inputs.hours.first().map_or(0.0, |h| h.facility_mw) + window::mean(&wave.facility_shaped)
        - window::mean(&wave.facility)
}

/// The window and all that follows from it, without files or console (apart from the study's
/// engine run, which the inputs already hold).
pub fn compute(
    set: &Settings,
    inputs: Inputs,
    spec: Option<&Spec>,
    dist: Option<&Disturbance>,
) -> Report {
    let t = std::time::Instant::now();
    // Only the series the checks, the battery and the plots need; waveform.csv comes from a
    // second pass (outputs.rs).
    let wave = window::build_lean(&inputs, &set.shaping);
    let build_ms = t.elapsed().as_secs_f64() * 1e3;
    let dt = inputs.step_s;
    let mut storage = set
        .storage
        .as_ref()
        .map(|s| mitigation::apply(&wave.facility_shaped, dt, s));
    // The battery's grid series moves to `grid` (not copied: a day at 10 ms is 69 MB a series).
    let grid = storage.as_mut().map_or_else(
        || wave.facility_shaped.clone(),
        |s| std::mem::take(&mut s.grid),
    );
    let spectrum = spectrum::psd(&wave.facility, dt);
    let spectrum_grid = spectrum::psd(&grid, dt);
    let compliance = spec.map_or_else(Vec::new, |sp| comply_both(sp, &inputs, &wave, &grid));
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
        sizing: None,
    }
}

fn read_source(p: &Path) -> Result<Source> {
    let text = crate::input::limits::read_text(p, crate::input::limits::MAX_TOML_BYTES)?;
    Ok(Source::new(p.display().to_string(), text))
}

/// `dcload dynamics`.
pub fn command(args: &DynamicsArgs) -> Result<()> {
    let src = read_source(&args.file)?;
    let base = args
        .file
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut set = Settings::parse(&src, &base)?;
    apply_flags(&mut set, args);
    battery_flags(&mut set, args)?;
    export::apply_flags(
        &mut set.export,
        args.export.as_deref(),
        args.comtrade_format.as_deref(),
    )?;
    let Some(run) = set.run.clone() else {
        return Err(src.error(
            "run",
            "expected the study's run file: run = \"default.toml\" (relative to this file)",
        ));
    };
    let (spec, dist) = read_spec_and_disturbance(&set)?;
    let lib = Library::load(args.models.as_deref())?;
    let sc = Scenario::load(&run, &lib)?;
    resolve_start(&mut set, &src, args, &sc)?;
    check_against_study(&set, &sc, spec.as_ref())?;
    let t_engine = std::time::Instant::now();
    let (tsc, _) = sc.for_trial(set.trial)?;
    let result = crate::sim::run_trial(&tsc, set.trial);
    let engine_ms = t_engine.elapsed().as_secs_f64() * 1e3;
    let inputs = inputs_from_engine(
        &tsc,
        &result,
        set.trial,
        set.start_hour * 3600.0,
        set.duration_s,
        set.step_ms as f64 / 1000.0,
        set.params.clone(),
    );
    let mut rep = compute(&set, inputs, spec.as_ref(), dist.as_ref());
    if args.size_battery {
        let Some(sp) = spec.as_ref() else {
            return Err(Error::Option {
                option: "--size-battery".into(),
                msg: "expected a specification to size the battery against (--spec, or spec = in the dynamics file)".into(),
            });
        };
        let base = set.storage.clone().unwrap_or_else(default_battery);
        rep.sizing = Some(sizing::smallest_battery(sp, &rep.inputs, &rep.wave, &base));
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(&set.name));
    std::fs::create_dir_all(&out).map_err(|e| Error::Write {
        path: out.clone(),
        source: e,
    })?;
    let mut files = write_outputs(&out, &set, &tsc, &rep, spec.as_ref(), dist.as_ref())?;
    let window = export::Window {
        name: &set.name,
        step_s: rep.inputs.step_s,
        t0_s: rep.inputs.t0_s,
        grid_mw: &rep.grid,
        facility_mw: &rep.wave.facility,
    };
    files.extend(export::write(&out, &set.export, &window, &tsc.calendar)?);
    for f in &files {
        println!("wrote {}", f.display());
    }
    if !args.no_plots {
        let heading = plot::Heading {
            run: format!("{} (trial {} of {})", set.name, set.trial, sc.file),
            window: format!(
                "{} + {} s at {} ms",
                tsc.calendar
                    .timestamp(crate::base::time::SimTime(rep.inputs.t0_s as u64)),
                set.duration_s,
                set.step_ms
            ),
            mitigation: mitigation_words(&set),
        };
        for p in plot::draw(&out, &rep, spec.as_ref(), &heading)
            .map_err(|e| Error::Other(format!("{}: {e}", out.display())))?
        {
            println!("wrote {}", p.display());
        }
    }
    print_summary(&set, &rep, engine_ms);
    Ok(())
}

/// The mitigations in a few words, for the plots' titles.
fn mitigation_words(set: &Settings) -> String {
    let mut parts = Vec::new();
    if let Some(f) = set.shaping.power_floor {
        parts.push(format!("power floor {f} x TDP"));
    }
    if let Some(b) = set.shaping.burn_fill_to {
        parts.push(format!("burn filler to {b}"));
    }
    if let Some(s) = &set.storage {
        parts.push(format!("battery {} MW / {} MWh", s.power_mw, s.energy_mwh));
    }
    if parts.is_empty() {
        "no mitigation".into()
    } else {
        parts.join(", ")
    }
}

/// The window's start from a date-time on the study's clock, when one is given (the flag's
/// error names the flag, the file's its line).
fn resolve_start(
    set: &mut Settings,
    src: &Source,
    args: &DynamicsArgs,
    sc: &Scenario,
) -> Result<()> {
    let (text, from_flag) = match (&args.start, &set.start) {
        (Some(t), _) => (t, true),
        (None, Some(t)) => (t, false),
        (None, None) => return Ok(()),
    };
    let t = sc.calendar.parse_local(text).map_err(|msg| {
        if from_flag {
            Error::Option {
                option: "--start".into(),
                msg,
            }
        } else {
            src.error("start", msg)
        }
    })?;
    set.start_hour = t.0 as f64 / 3600.0;
    Ok(())
}

/// The battery `--battery-mw` / `--battery-mwh` add to a file without one (estimates).
fn default_battery() -> mitigation::Storage {
    mitigation::Storage {
        energy_mwh: 1.0,
        power_mw: 10.0,
        round_trip_efficiency: 0.9,
        soc0: 0.5,
        restore_s: 900.0,
        control: mitigation::Control::LowPass { tau_s: 10.0 },
    }
}

/// `--battery-mw` and `--battery-mwh`: numbers above 0.
fn battery_flags(set: &mut Settings, args: &DynamicsArgs) -> Result<()> {
    for (flag, v) in [
        ("--battery-mw", args.battery_mw),
        ("--battery-mwh", args.battery_mwh),
    ] {
        if let Some(x) = v
            && !(x.is_finite() && x > 0.0)
        {
            return Err(Error::Option {
                option: flag.into(),
                msg: format!("expected a number above 0, found {x}"),
            });
        }
    }
    if args.battery_mw.is_some() || args.battery_mwh.is_some() {
        let s = set.storage.get_or_insert_with(default_battery);
        s.power_mw = args.battery_mw.unwrap_or(s.power_mw);
        s.energy_mwh = args.battery_mwh.unwrap_or(s.energy_mwh);
    }
    Ok(())
}

/// The command line overrides the dynamics file.
fn apply_flags(set: &mut Settings, args: &DynamicsArgs) {
    if let Some(v) = args.start_hour {
        set.start_hour = v;
        set.start = None;
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
}

/// The utility's specification and the disturbance sequence, when named; ride-through needs
/// both a fleet and a disturbance, or neither.
fn read_spec_and_disturbance(set: &Settings) -> Result<(Option<Spec>, Option<Disturbance>)> {
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
    Ok((spec, dist))
}

/// The window inside the study's horizon, long enough for the specification's checks, and the
/// trial one of the study's.
fn check_against_study(set: &Settings, sc: &Scenario, spec: Option<&Spec>) -> Result<()> {
    set.check_window(sc.horizon_s)?;
    let dt = set.step_ms as f64 / 1000.0;
    if let Some(sp) = spec {
        sp.check_window(dt, set.duration_s).map_err(Error::Other)?;
    }
    for js in &set.params.job_swings {
        if !sc
            .trainings
            .iter()
            .any(|t| t.name.eq_ignore_ascii_case(&js.training))
        {
            let names: Vec<&str> = sc.trainings.iter().map(|t| t.name.as_str()).collect();
            return Err(Error::Other(format!(
                "{}: training.job.name: expected the name of a [[training]] of the study {} ({}), found {:?}",
                js.at,
                sc.file,
                if names.is_empty() {
                    "it has none".to_string()
                } else {
                    names.join(", ")
                },
                js.training
            )));
        }
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
    Ok(())
}

/// The console: the window against the hourly engine, the compliance, the fleet.
fn print_summary(set: &Settings, rep: &Report, engine_ms: f64) {
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
            "  {:<12} {:<26} {:>10} {:<15} limit {:>8}  {}",
            o.case,
            o.check,
            fixed(o.measured, 3),
            o.unit,
            o.limit.map_or_else(|| "-".to_string(), |l| fixed(l, 3)),
            match o.pass {
                Some(true) => "pass",
                Some(false) => "FAIL",
                None => "reported",
            }
        );
    }
    match &rep.sizing {
        Some(Some(b)) => println!(
            "smallest battery that passes the specification: {:.3} MW, {:.4} MWh ({} sizes tried)",
            b.power_mw, b.energy_mwh, b.evaluations
        ),
        Some(None) => println!(
            "no battery up to twice the load's range passes the specification (a check the battery cannot fix: see the mitigated rows)"
        ),
        None => {}
    }
    for w in &rep.wave.warnings {
        println!("  warning: {w}");
    }
    if let Some(f) = &rep.fleet {
        let dropped: Vec<f64> = f.iter().map(|t| t.dropped_mw()).collect();
        println!(
            "ride-through: {} trials, MW dropped: mean {:.0}, max {:.0}; trials at or above the July 2024 event's {:.0} MW: {:.1} %",
            f.len(),
            window::mean(&dropped),
            dropped.iter().cloned().fold(0.0, f64::max),
            ridethrough::JULY_2024_MW,
            100.0 * ridethrough::share_at_or_above(f, ridethrough::JULY_2024_MW)
        );
    }
}
