//! What a user types, checked before anything runs: range checks and limits, names matched
//! without regard to case, uncertain numbers (distributions), sweeps, the `[report]` table and the
//! data files a study reads.

pub mod check;
pub mod files;
pub mod limits;
pub mod names;
pub mod report_spec;
pub mod sweep;
pub mod uncertain;
