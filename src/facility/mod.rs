//! The facility: turns IT power into the power drawn from the grid.
//!
//! The `fixed` kind applies a constant PUE: facility = IT x PUE, with everything above IT
//! reported as overhead. It is for quick studies and for reproducing papers that assume a PUE;
//! the physical models (weather, cooling plants, electrical losses) make PUE an output instead.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", deny_unknown_fields)]
pub enum FacilitySpec {
    /// A constant power usage effectiveness.
    #[serde(rename = "fixed")]
    Fixed { pue: f64 },
}

#[derive(Clone, Debug, Serialize)]
pub enum Facility {
    Fixed { pue: f64 },
}

/// One step's facility figures, W. Invariant: facility = IT + overhead, overhead >= 0.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FacilityStep {
    pub it_w: f64,
    pub overhead_w: f64,
    pub facility_w: f64,
}

impl Facility {
    #[inline]
    pub fn step(&self, it_w: f64) -> FacilityStep {
        match self {
            Facility::Fixed { pue } => {
                let overhead_w = it_w * (pue - 1.0);
                FacilityStep {
                    it_w,
                    overhead_w,
                    facility_w: it_w + overhead_w,
                }
            }
        }
    }
}
