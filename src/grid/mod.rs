//! The grid side: the interconnection (import limit, system peak hours).

pub mod site;
