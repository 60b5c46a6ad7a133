//! Daily and weekly shapes of demand.

use serde::{Deserialize, Serialize};

/// 24 hourly factors, interpolated linearly between hour midpoints (circularly), so that the
/// arrival rate has no step at each hour boundary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DailyShape {
    pub factors: [f64; 24],
}

impl DailyShape {
    pub fn flat() -> DailyShape {
        DailyShape { factors: [1.0; 24] }
    }

    /// A cosine with its maximum at `peak_hour` and max/min = `peak_to_trough`, mean 1.
    pub fn cosine(peak_hour: f64, peak_to_trough: f64) -> DailyShape {
        let a = (peak_to_trough - 1.0) / (peak_to_trough + 1.0);
        let mut factors = [0.0; 24];
        for (h, f) in factors.iter_mut().enumerate() {
            let x = (h as f64 + 0.5 - peak_hour) * std::f64::consts::TAU / 24.0;
            *f = 1.0 + a * x.cos();
        }
        DailyShape { factors }
    }

    /// Scales the factors to mean 1, so a class's `requests_per_day` is its daily mean.
    pub fn normalised(mut self) -> DailyShape {
        let mean = self.factors.iter().sum::<f64>() / 24.0;
        if mean > 0.0 {
            for f in &mut self.factors {
                *f /= mean;
            }
        }
        self
    }

    /// The factor at a local time of day in hours `[0, 24)`.
    #[inline]
    pub fn at(&self, hour: f64) -> f64 {
        let x = hour - 0.5;
        let x = if x < 0.0 { x + 24.0 } else { x };
        let i = x as usize % 24;
        let t = x - x.floor();
        let j = (i + 1) % 24;
        self.factors[i] + t * (self.factors[j] - self.factors[i])
    }
}

/// Monday..Sunday factors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeeklyShape {
    pub factors: [f64; 7],
}

impl WeeklyShape {
    pub fn flat() -> WeeklyShape {
        WeeklyShape { factors: [1.0; 7] }
    }
    pub fn normalised(mut self) -> WeeklyShape {
        let mean = self.factors.iter().sum::<f64>() / 7.0;
        if mean > 0.0 {
            for f in &mut self.factors {
                *f /= mean;
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_has_requested_ratio_and_mean() {
        let s = DailyShape::cosine(20.0, 3.0).normalised();
        let mean: f64 = s.factors.iter().sum::<f64>() / 24.0;
        assert!((mean - 1.0).abs() < 1e-12);
        let max = s.factors.iter().cloned().fold(f64::MIN, f64::max);
        let min = s.factors.iter().cloned().fold(f64::MAX, f64::min);
        assert!((max / min - 3.0).abs() < 0.05, "ratio {}", max / min);
        assert!(s.at(20.0) > s.at(8.0));
    }

    #[test]
    fn interpolation_is_continuous_across_midnight() {
        let s = DailyShape::cosine(0.0, 2.0);
        assert!((s.at(23.999) - s.at(0.0)).abs() < 1e-3);
    }
}
