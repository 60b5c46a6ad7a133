//! A waveform measured against a utility's specification ([`super::spec`]): each check's value,
//! limit, margin, verdict, worst instant and the document it cites.

use std::collections::VecDeque;

use super::spec::{Check, Measure, Spec};
use super::spectrum::{self, Spectrum};
use crate::input::limits::num;

/// One line of the compliance report.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Outcome {
    pub case: String,
    pub check: String,
    pub unit: String,
    pub measured: f64,
    /// The limit; none for a check that only reports (a mode without `max_mw_rms`).
    pub limit: Option<f64>,
    /// limit - measured (positive = room left).
    pub margin: Option<f64>,
    pub pass: Option<bool>,
    /// Seconds from the window's start of the worst instant (none for the spectral checks).
    pub worst_t_s: Option<f64>,
    /// The document and clause the check implements, or that it is illustrative.
    pub source: String,
}

/// The waveform a case is measured on: power per step, MW, and the hourly engine's mean for the
/// window's first hour (the deviation check's trailing mean starts from it, not from the first
/// step).
pub struct Case<'a> {
    pub name: &'a str,
    pub x: &'a [f64],
    pub dt: f64,
    pub warm_mw: f64,
}

/// Welch's spectrum of `x` with the specification's segment and overlap.
pub fn welch_of(spec: &Spec, x: &[f64], dt: f64) -> Spectrum {
    spectrum::welch(x, dt, spec.welch.segment_s, spec.welch.overlap)
}

/// Compliance of one case with every check of the specification.
pub fn comply(spec: &Spec, case: &Case) -> Vec<Outcome> {
    let sp = welch_of(spec, case.x, case.dt);
    spec.checks
        .iter()
        .map(|c| {
            let (check, unit, measured, limit, worst) = measure(spec, &c.check, case, &sp);
            Outcome {
                case: case.name.to_string(),
                check,
                unit: unit.to_string(),
                measured,
                limit,
                margin: limit.map(|l| l - measured),
                pass: limit.map(|l| measured <= l),
                worst_t_s: worst,
                source: c.source.clone(),
            }
        })
        .collect()
}

type Measured = (String, &'static str, f64, Option<f64>, Option<f64>);

fn measure(spec: &Spec, c: &Check, case: &Case, sp: &Spectrum) -> Measured {
    let dt = case.dt;
    match c {
        Check::Ramp {
            up,
            measure,
            window_s,
            limit,
            per_s,
        } => {
            let lag = ((window_s / dt).round() as usize).max(1);
            let (change, at) = match measure {
                Measure::Excursion => excursion(case.x, lag, *up),
                Measure::Average => average_change(case.x, lag, *up),
            };
            let rate = change / (lag as f64 * dt) * per_s;
            let name = format!(
                "ramp_{}{}_{}s",
                if *up { "up" } else { "down" },
                if *measure == Measure::Average {
                    "_avg"
                } else {
                    ""
                },
                num(*window_s)
            );
            let unit = if *per_s == 1.0 { "MW/s" } else { "MW/min" };
            (name, unit, rate, Some(*limit), Some(at as f64 * dt))
        }
        Check::Deviation {
            band_mw,
            reference_s,
        } => {
            let m = ((reference_s / dt).round() as usize).max(1);
            let (d, at) = deviation(case.x, m, case.warm_mw);
            (
                format!("deviation_{}s", num(*reference_s)),
                "MW",
                d,
                Some(*band_mw),
                Some(at as f64 * dt),
            )
        }
        Check::Spectral {
            lo_hz,
            hi_hz,
            max_share,
        } => (
            format!("spectral_{}-{}Hz", num(*lo_hz), num(*hi_hz)),
            "share",
            sp.band_share(*lo_hz, *hi_hz),
            Some(*max_share),
            None,
        ),
        Check::Oscillation {
            lo_hz,
            hi_hz,
            limit,
            of_rating,
        } => {
            let rms = sp.band_rms(*lo_hz, *hi_hz);
            let name = format!("oscillation_{}-{}Hz", num(*lo_hz), num(*hi_hz));
            if *of_rating {
                let rating = spec.rating_mw.unwrap_or(f64::NAN);
                (name, "share of rating", rms / rating, Some(*limit), None)
            } else {
                (name, "MW rms", rms, Some(*limit), None)
            }
        }
        Check::Mode {
            name,
            frequency_hz,
            damping,
            max_mw_rms,
        } => {
            let half = (frequency_hz * damping).max(2.0 * sp.df);
            (
                format!("mode_{name}_{}Hz", num(*frequency_hz)),
                "MW rms",
                sp.band_rms(frequency_hz - half, frequency_hz + half),
                *max_mw_rms,
                None,
            )
        }
    }
}

/// The largest rise (`up`) or fall within any `lag` steps, and the step where it starts:
/// max over k of x[k] - min(x[k - lag ..= k]) (a sliding minimum, O(n)).
pub fn excursion(x: &[f64], lag: usize, up: bool) -> (f64, usize) {
    let sign = if up { 1.0 } else { -1.0 };
    // Indices of candidate minima of sign x in the trailing window, increasing values.
    let mut q: VecDeque<usize> = VecDeque::new();
    let mut worst = (0.0f64, 0usize);
    for k in 0..x.len() {
        while q.front().is_some_and(|&i| i + lag < k) {
            q.pop_front();
        }
        while q.back().is_some_and(|&i| sign * x[i] >= sign * x[k]) {
            q.pop_back();
        }
        q.push_back(k);
        if let Some(&i) = q.front() {
            let d = sign * (x[k] - x[i]);
            if d > worst.0 {
                worst = (d, i);
            }
        }
    }
    worst
}

/// The largest rise (`up`) or fall between the means of two consecutive `lag`-step windows,
/// over every alignment, and the step where the later window starts.
pub fn average_change(x: &[f64], lag: usize, up: bool) -> (f64, usize) {
    if x.len() < 2 * lag {
        return (0.0, 0);
    }
    let mut cum = Vec::with_capacity(x.len() + 1);
    cum.push(0.0);
    for v in x {
        cum.push(cum.last().copied().unwrap_or(0.0) + v);
    }
    let mean = |a: usize| (cum[a + lag] - cum[a]) / lag as f64;
    let mut worst = (0.0f64, 0usize);
    for k in lag..=x.len() - lag {
        let d = mean(k) - mean(k - lag);
        let d = if up { d } else { -d };
        if d > worst.0 {
            worst = (d, k);
        }
    }
    worst
}

/// The largest |x - trailing mean over `m` steps|, the mean's missing history before the
/// window taken at `warm` (the hour's mean), and its step.
pub fn deviation(x: &[f64], m: usize, warm: f64) -> (f64, usize) {
    let mut sum = warm * m as f64;
    let mut worst = (0.0f64, 0usize);
    for k in 0..x.len() {
        sum += x[k] - if k >= m { x[k - m] } else { warm };
        let d = (x[k] - sum / m as f64).abs();
        if d > worst.0 {
            worst = (d, k);
        }
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::error::Source;

    fn case(x: &[f64]) -> Case<'_> {
        Case {
            name: "c",
            x,
            dt: 0.1,
            warm_mw: x[0],
        }
    }

    #[test]
    fn ramp_check_finds_the_step_and_its_instant() {
        let src = Source::new(
            "s.toml",
            "[[ramp]]\nwindow_s = 1.0\nup_mw_per_s = 5.0\ndown_mw_per_min = 600\n",
        );
        let spec = Spec::parse(&src).unwrap();
        let x: Vec<f64> = (0..100).map(|k| if k < 50 { 10.0 } else { 18.0 }).collect();
        let out = comply(&spec, &case(&x));
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].pass, Some(false));
        assert!((out[0].measured - 8.0).abs() < 1e-9);
        // The excursion starts at the last step before the rise.
        assert!((out[0].worst_t_s.unwrap() - 4.9).abs() < 1e-9);
        assert!(out[1].pass == Some(true) && out[1].measured == 0.0);
        assert_eq!(out[0].source, super::super::spec::ILLUSTRATIVE);
    }

    #[test]
    fn deviation_starts_from_the_hours_mean() {
        // Flat at the hour's mean: no deviation, not a start-up transient.
        let x = vec![50.0; 1000];
        assert_eq!(deviation(&x, 300, 50.0).0, 0.0);
        // Warmed from another level, the first step reads the difference (less its own
        // 1/300 share of the mean).
        let (d, at) = deviation(&x, 300, 40.0);
        assert!(
            (d - 10.0 * 299.0 / 300.0).abs() < 1e-9 && at == 0,
            "{d} at {at}"
        );
    }
}
