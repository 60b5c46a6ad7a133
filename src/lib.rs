//! dcload: a Monte Carlo simulator of the electricity AI data centres draw, hour by hour.
//!
//! The modules are the layers, bottom to top; a module uses only those above it in this list
//! (`tests/integration/architecture.rs` enforces it, ARCHITECTURE.md draws it):
//! [`base`] (time, random streams, statistics, errors) - [`input`] (checks, limits, names,
//! distributions, sweeps, data files) - [`model`] (the library and each layer's model: workload,
//! fleet, facility, weather, grid) - [`scenario`] (a run file resolved into a study) - [`sim`]
//! (one trial: the step pipeline and its meters) - [`run`] (Monte Carlo, checkpoints, shards) -
//! [`report`] (every output file, plots, the HTML page) - the tools [`dynamics`] and
//! [`headroom`] - [`portfolio`] (a queue of sites drawn together) - [`cli`] (options and
//! commands).

pub mod base;
pub mod cli;
pub mod dynamics;
pub mod headroom;
pub mod input;
pub mod model;
pub mod portfolio;
pub mod report;
pub mod run;
pub mod scenario;
pub mod sim;

pub use base::error::{Error, Result};
