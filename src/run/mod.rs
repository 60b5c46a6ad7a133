//! Running a study: trials in parallel (Monte Carlo), per-trial records on disk (checkpoints
//! and shards) and the trials' hourly traces while the outputs are computed.

pub mod checkpoint;
pub mod montecarlo;
pub mod options;
pub mod traces;
