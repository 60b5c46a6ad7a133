//! The grid side: the interconnection (import limit, system peak hours).

pub mod coincident;
pub mod outage;
pub mod site;

// Grid carbon intensity and electricity tariffs (issue 5, "carbon and cost").
pub mod carbon;
pub mod input;
pub mod tariff;

pub use carbon::{CarbonProfile, EmissionsKind, read_hourly_csv};
pub use input::GridError;
pub use tariff::{Cost, EnergyPeriod, HourLoad, Tariff};
pub mod demand_response;
