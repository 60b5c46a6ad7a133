//! The models, one folder per layer of the data flow (workload -> fleet -> facility -> grid, with
//! the weather the facility reads), each with its spec (the TOML table), its resolution into a
//! read-only model and its physics; the model library; the table of hourly metrics.

pub mod facility;
pub mod fleet;
pub mod grid;
pub mod library;
pub mod metrics;
pub mod weather;
pub mod workload;
