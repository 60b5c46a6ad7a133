//! dcload's integration tests, linked as one binary (one link step instead of many).

mod attribution;
mod bad_input;
mod bands;
mod carbon_cost;
mod cli;
mod common;
mod defense;
mod demand_response;
mod determinism;
mod dynamics;
mod facility;
mod fuzz;
mod golden;
mod headroom;
mod horizons;
mod library;
mod outages;
mod properties;
mod reliability;
mod report;
mod reproductions;
mod resume_shard;
mod robustness;
mod trace_clock;
mod uncertain;
mod utility;
