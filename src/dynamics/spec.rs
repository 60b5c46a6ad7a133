//! A utility's specification for a large load's fast behaviour, as a TOML file, and the
//! compliance of a waveform with it.
//!
//! ```toml
//! name = "example utility"
//! [[ramp]]                 # the largest change over any `window_s`, as a rate
//! window_s = 1.0
//! up_mw_per_s = 5.0        # or up_mw_per_min; down_* likewise (each optional, one at least)
//! down_mw_per_s = 5.0
//! [deviation]              # |power - trailing mean over reference_s| at most band_mw
//! band_mw = 20.0
//! reference_s = 300.0
//! [spectral]               # share of spectral energy (above DC) in the band at most max_share
//! band_hz = [0.1, 20.0]
//! max_share = 0.2
//! ```
//! The form follows Microsoft, OpenAI and NVIDIA, "Power stabilization for AI training
//! datacenters" (arXiv 2508.14318): ramp rates, a short-term deviation and a spectral-energy cap.

use serde::Deserialize;
use toml::Spanned;

use super::spectrum::Spectrum;
use crate::base::error::{Result, Source};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    name: Option<String>,
    #[serde(default)]
    ramp: Vec<RampSpec>,
    deviation: Option<DeviationSpec>,
    spectral: Option<SpectralSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RampSpec {
    window_s: Spanned<f64>,
    up_mw_per_s: Option<Spanned<f64>>,
    down_mw_per_s: Option<Spanned<f64>>,
    up_mw_per_min: Option<Spanned<f64>>,
    down_mw_per_min: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviationSpec {
    band_mw: Spanned<f64>,
    reference_s: Spanned<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpectralSpec {
    band_hz: Spanned<Vec<f64>>,
    max_share: Spanned<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// Rate limit in MW per `per_s` (1 = MW/s, 60 = MW/min) over changes across `window_s`.
    RampUp {
        window_s: f64,
        limit: f64,
        per_s: f64,
    },
    RampDown {
        window_s: f64,
        limit: f64,
        per_s: f64,
    },
    Deviation {
        band_mw: f64,
        reference_s: f64,
    },
    Spectral {
        lo_hz: f64,
        hi_hz: f64,
        max_share: f64,
    },
}

#[derive(Clone, Debug)]
pub struct Spec {
    pub name: String,
    pub file: String,
    pub checks: Vec<Check>,
}

fn positive(src: &Source, v: &Spanned<f64>, field: &str, what: &str) -> Result<f64> {
    let x = *v.get_ref();
    if x.is_finite() && x > 0.0 {
        Ok(x)
    } else {
        Err(src.error_at(
            v.span(),
            field,
            format!("expected {what} (a number above 0), found {x}"),
        ))
    }
}

impl Spec {
    pub fn parse(src: &Source) -> Result<Spec> {
        let f: SpecFile = toml::from_str(&src.text).map_err(|e| src.toml_error(&e))?;
        let mut checks = Vec::new();
        for r in &f.ramp {
            let window_s = positive(src, &r.window_s, "window_s", "a window in seconds")?;
            let mut any = false;
            for (v, up, per_s, field) in [
                (&r.up_mw_per_s, true, 1.0, "up_mw_per_s"),
                (&r.down_mw_per_s, false, 1.0, "down_mw_per_s"),
                (&r.up_mw_per_min, true, 60.0, "up_mw_per_min"),
                (&r.down_mw_per_min, false, 60.0, "down_mw_per_min"),
            ] {
                if let Some(v) = v {
                    let limit = positive(src, v, field, "a ramp limit")?;
                    any = true;
                    checks.push(if up {
                        Check::RampUp {
                            window_s,
                            limit,
                            per_s,
                        }
                    } else {
                        Check::RampDown {
                            window_s,
                            limit,
                            per_s,
                        }
                    });
                }
            }
            if !any {
                return Err(src.error_at(
                    r.window_s.span(),
                    "window_s",
                    "a [[ramp]] needs at least one limit: up_mw_per_s, down_mw_per_s, up_mw_per_min or down_mw_per_min",
                ));
            }
        }
        if let Some(d) = &f.deviation {
            checks.push(Check::Deviation {
                band_mw: positive(src, &d.band_mw, "band_mw", "a band in MW")?,
                reference_s: positive(
                    src,
                    &d.reference_s,
                    "reference_s",
                    "a reference window in seconds",
                )?,
            });
        }
        if let Some(s) = &f.spectral {
            let b = s.band_hz.get_ref();
            if b.len() != 2 || !(b[0] >= 0.0 && b[1] > b[0] && b[1].is_finite()) {
                return Err(src.error_at(
                    s.band_hz.span(),
                    "band_hz",
                    format!(
                        "expected [low, high] in Hz with 0 <= low < high, found {:?}",
                        b
                    ),
                ));
            }
            let m = *s.max_share.get_ref();
            if !(0.0..=1.0).contains(&m) {
                return Err(src.error_at(
                    s.max_share.span(),
                    "max_share",
                    format!("expected a share of energy from 0 to 1, found {m}"),
                ));
            }
            checks.push(Check::Spectral {
                lo_hz: b[0],
                hi_hz: b[1],
                max_share: m,
            });
        }
        if checks.is_empty() {
            return Err(src.error(
                "",
                "the specification states no limit: give [[ramp]], [deviation] or [spectral]",
            ));
        }
        Ok(Spec {
            name: f.name.unwrap_or_else(|| src.name.clone()),
            file: src.name.clone(),
            checks,
        })
    }

    /// Errors for checks the window cannot measure (a ramp window shorter than the step or
    /// longer than the window, a spectral band above the Nyquist frequency).
    pub fn check_window(&self, step_s: f64, duration_s: f64) -> Result<(), String> {
        for c in &self.checks {
            match c {
                Check::RampUp { window_s, .. } | Check::RampDown { window_s, .. } => {
                    if *window_s < step_s - 1e-9 || *window_s > duration_s {
                        return Err(format!(
                            "{}: ramp window_s = {window_s} s: expected between the step ({step_s} s) and the window ({duration_s} s)",
                            self.file
                        ));
                    }
                }
                Check::Deviation { reference_s, .. } => {
                    if *reference_s > duration_s {
                        return Err(format!(
                            "{}: deviation reference_s = {reference_s} s: expected at most the window ({duration_s} s)",
                            self.file
                        ));
                    }
                }
                Check::Spectral { lo_hz, .. } => {
                    let nyq = 0.5 / step_s;
                    if *lo_hz >= nyq {
                        return Err(format!(
                            "{}: spectral band_hz starts at {lo_hz} Hz, at or above the Nyquist frequency of the step ({nyq} Hz): use a finer step",
                            self.file
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// One line of the compliance report.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Outcome {
    pub case: String,
    pub check: String,
    pub unit: String,
    pub measured: f64,
    pub limit: f64,
    /// limit - measured (positive = room left).
    pub margin: f64,
    pub pass: bool,
    /// Seconds from the window's start of the worst instant (empty for the spectral check).
    pub worst_t_s: Option<f64>,
}

/// Compliance of waveform `x` (MW, step `dt`) with the spec; `spectrum` is `x`'s.
pub fn comply(spec: &Spec, case: &str, x: &[f64], dt: f64, spectrum: &Spectrum) -> Vec<Outcome> {
    let mut out = Vec::new();
    for c in &spec.checks {
        let (check, unit, measured, limit, worst) = match c {
            Check::RampUp {
                window_s,
                limit,
                per_s,
            }
            | Check::RampDown {
                window_s,
                limit,
                per_s,
            } => {
                let up = matches!(c, Check::RampUp { .. });
                let lag = ((window_s / dt).round() as usize).max(1);
                let mut worst = (0.0f64, 0usize);
                for k in lag..x.len() {
                    let d = if up {
                        x[k] - x[k - lag]
                    } else {
                        x[k - lag] - x[k]
                    };
                    if d > worst.0 {
                        worst = (d, k - lag);
                    }
                }
                let rate = worst.0 / (lag as f64 * dt) * per_s;
                let unit = if *per_s == 1.0 { "MW/s" } else { "MW/min" };
                (
                    format!(
                        "ramp_{}_{}s",
                        if up { "up" } else { "down" },
                        crate::input::limits::num(*window_s)
                    ),
                    unit.to_string(),
                    rate,
                    *limit,
                    Some(worst.1 as f64 * dt),
                )
            }
            Check::Deviation {
                band_mw,
                reference_s,
            } => {
                let m = ((reference_s / dt).round() as usize).max(1);
                let mut sum = 0.0;
                let mut worst = (0.0f64, 0usize);
                for k in 0..x.len() {
                    sum += x[k];
                    if k >= m {
                        sum -= x[k - m];
                    }
                    let cnt = (k + 1).min(m) as f64;
                    let d = (x[k] - sum / cnt).abs();
                    if d > worst.0 {
                        worst = (d, k);
                    }
                }
                (
                    format!("deviation_{}s", crate::input::limits::num(*reference_s)),
                    "MW".to_string(),
                    worst.0,
                    *band_mw,
                    Some(worst.1 as f64 * dt),
                )
            }
            Check::Spectral {
                lo_hz,
                hi_hz,
                max_share,
            } => (
                format!(
                    "spectral_{}-{}Hz",
                    crate::input::limits::num(*lo_hz),
                    crate::input::limits::num(*hi_hz)
                ),
                "share".to_string(),
                spectrum.band_share(*lo_hz, *hi_hz),
                *max_share,
                None,
            ),
        };
        out.push(Outcome {
            case: case.to_string(),
            check,
            unit,
            measured,
            limit,
            margin: limit - measured,
            pass: measured <= limit,
            worst_t_s: worst,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_check_finds_the_step_and_its_instant() {
        let src = Source::new(
            "s.toml",
            "[[ramp]]\nwindow_s = 1.0\nup_mw_per_s = 5.0\ndown_mw_per_min = 600\n",
        );
        let spec = Spec::parse(&src).unwrap();
        let x: Vec<f64> = (0..100).map(|k| if k < 50 { 10.0 } else { 18.0 }).collect();
        let out = comply(&spec, "c", &x, 0.1, &Spectrum::default());
        assert_eq!(out.len(), 2);
        assert!(!out[0].pass);
        assert!((out[0].measured - 8.0).abs() < 1e-9);
        assert!((out[0].worst_t_s.unwrap() - 4.0).abs() < 1e-9);
        assert!(out[1].pass && out[1].measured == 0.0);
    }

    #[test]
    fn bad_share_names_file_line_and_field() {
        let src = Source::new(
            "u.toml",
            "[spectral]\nband_hz = [0.1, 20.0]\nmax_share = 1.5\n",
        );
        let e = Spec::parse(&src).unwrap_err().to_string();
        assert!(
            e.contains("u.toml:3") && e.contains("max_share") && e.contains("0 to 1"),
            "{e}"
        );
    }
}
