//! dcload: a Monte Carlo simulator of the electricity AI data centres draw, hour by hour.
//!
//! Layers, top to bottom: a [`study`] (run file) resolved into a scenario; [`montecarlo`] runs
//! trials in parallel; the [`engine`] steps one trial through time, asking the [`workload`]s for
//! work, letting the [`fleet`] serve it and turn it into IT power, and the [`facility`] turn that
//! into grid power; [`output`] writes the bands.

pub mod app;
pub mod broke;
pub mod caveats;
pub mod check;
pub mod checkpoint;
pub mod cli;
pub mod dynamics;
pub mod effects;
pub mod energy_report;
pub mod engine;
pub mod error;
pub mod facility;
pub mod files;
pub mod fixed;
pub mod fleet;
pub mod grid;
pub mod headroom;
pub mod library;
pub mod limits;
pub mod locate;
pub mod metrics;
pub mod montecarlo;
pub mod names;
pub mod numfmt;
pub mod output;
pub mod plan;
pub mod plot;
pub mod reliability;
pub mod report_html;
pub mod report_spec;
pub mod rng;
pub mod stats;
pub mod study;
pub mod sweep;
pub mod time;
pub mod traces;
pub mod uncertain;
pub mod utility;
pub mod weather;
pub mod workload;

pub use error::{Error, Result};
