//! The ground floor every layer stands on: simulation time and the calendar, random streams,
//! statistics across trials, typed errors and where in a file they are, number formatting,
//! atomic file writes, how the allocator keeps freed memory and a thread's CPU clock. Nothing
//! here knows about data centres.

pub mod clock;
pub mod csvcell;
pub mod error;
pub mod io;
pub mod locate;
pub mod memory;
pub mod numfmt;
pub mod rng;
pub mod stats;
pub mod time;
pub mod ziggurat;
