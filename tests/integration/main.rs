//! dcload's integration tests, linked as one binary (one link step instead of many).

mod bad_input;
mod carbon_cost;
mod cli;
mod common;
mod defense;
mod demand_response;
mod determinism;
mod facility;
mod fuzz;
mod outages;
mod properties;
mod reliability;
mod reproductions;
mod resume_shard;
mod robustness;
mod uncertain;
mod utility;
