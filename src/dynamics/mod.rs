//! Seconds-scale grid stress: the fast layer.
//!
//! `dcload dynamics FILE` (`run.rs`) runs the hourly engine for one trial of a study, takes its
//! state at the window's start (`engine.rs`: training jobs running, each sector's hourly IT
//! power, the facility's overhead for the hour) and builds the facility's power at a step of
//! tens of milliseconds over the window ([`window`]); applies the mitigations
//! ([`window::Shaping`]: GPU power floor and burn filler; [`mitigation`]: storage behind the
//! meter); computes the spectrum ([`spectrum`]) and the compliance with a utility's
//! specification ([`spec`]); and runs a fleet of sites through a voltage-disturbance sequence
//! ([`ridethrough`]). Outputs go to their own folder (`outputs.rs`, and SVG plots).
//!
//! The dynamics file (TOML, read by `settings.rs`) names the study run file and holds the fast
//! layer's parameters; `runs/dynamics-campus.toml` is an annotated example.

pub mod compliance;
mod engine;
pub mod export;
pub mod mitigation;
mod outputs;
mod plot;
pub mod profile;
pub mod ridethrough;
mod run;
mod settings;
pub mod sizing;
pub mod spec;
pub mod spectrum;
pub mod stepper;
pub mod swing;
pub mod window;

use std::path::PathBuf;

pub use engine::inputs_from_engine;
pub use outputs::write_outputs;
pub use run::{Report, command, compute};
pub use settings::Settings;

/// `dcload dynamics` options; each overrides the dynamics file.
#[derive(Debug, clap::Args)]
pub struct DynamicsArgs {
    /// The dynamics file (TOML): study run file, window, fast-layer parameters, mitigations,
    /// fleet; see runs/dynamics-campus.toml.
    pub file: PathBuf,
    /// Window start, hours from the study's start (e.g. 4500.25).
    #[arg(long, value_name = "H", conflicts_with = "start")]
    pub start_hour: Option<f64>,
    /// Window start as a local date-time of the study clock (e.g. "2025-07-11T16:12", or with
    /// an offset suffix "-05:00").
    #[arg(long, value_name = "DATETIME")]
    pub start: Option<String>,
    /// Window length, s (at most 2e7 steps).
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
    /// Battery power, MW: overrides `[mitigation.storage]`'s, or adds a battery (low-pass
    /// control, tau 10 s, round trip 0.9, soc0 0.5, restore 900 s) to a file without one.
    #[arg(long, value_name = "MW")]
    pub battery_mw: Option<f64>,
    /// Battery energy, MWh (as --battery-mw).
    #[arg(long, value_name = "MWH")]
    pub battery_mwh: Option<f64>,
    /// Find the smallest battery (power, then energy, by bisection) with which the grid meets
    /// the specification; reported in compliance.json and on the console.
    #[arg(long)]
    pub size_battery: bool,
    /// Files the grid's tools read, a comma-separated list of comtrade (waveform.cfg/.dat),
    /// opendss (loadshape.csv/.dss) and andes (andes_timeseries.csv, andes_load.json);
    /// overrides `[export] formats`.
    #[arg(long, value_name = "LIST")]
    pub export: Option<String>,
    /// COMTRADE data file encoding: ascii, binary (16-bit), binary32 or float32; overrides
    /// `[export] comtrade_format` [default: binary].
    #[arg(long, value_name = "FORMAT")]
    pub comtrade_format: Option<String>,
    /// Do not draw the plots (SVG and PNG).
    #[arg(long)]
    pub no_plots: bool,
}
