//! dcload's integration tests, linked as one binary (one link step instead of many). Each file
//! checks one behaviour, named as the README and docs/ name it.

mod architecture;
mod attribution;
mod bad_input;
mod bands;
mod buildout_and_refresh;
mod calendar_and_time_zones;
mod carbon_and_cost;
mod cli;
mod common;
mod determinism;
mod dynamics;
mod engine_equivalence;
mod facility_physics;
mod fuzz;
mod fuzz_commands;
mod golden;
mod grid_events;
mod headroom;
mod horizons_and_report_years;
mod intervals_and_ramps;
mod library;
mod portfolio;
mod portfolio_shards_and_system_load;
mod portfolio_sites;
mod properties;
mod reliability;
mod report_and_plots;
mod reproductions;
mod request_traces;
mod robustness;
mod sensitivity_and_effects;
mod uncertainty_and_sweeps;
mod utility_package;
mod what_broke;
