//! A utility's specification for a large load's fast behaviour, as a TOML file. Each check
//! cites the document and clause it implements (`source`), or says plainly that it is
//! illustrative; `compliance.rs` measures a waveform against it.
//!
//! ```toml
//! name = "example utility"
//! rating_mw = 100.0        # the interconnection rating (for limits as a share of it)
//! [welch]                  # the oscillation estimator (defaults shown)
//! segment_s = 60.0         # Hann-windowed segments of 60 s, overlapping by half
//! overlap = 0.5
//! [[ramp]]                 # the largest excursion within any window of window_s, as a rate
//! window_s = 1.0
//! measure = "excursion"    # or "average": change between consecutive window_s averages
//! up_mw_per_s = 5.0        # or up_mw_per_min; down_* likewise (each optional, one at least)
//! down_mw_per_s = 5.0
//! source = "illustrative"  # or the document and clause
//! [deviation]              # |power - trailing mean over reference_s| at most band_mw
//! band_mw = 20.0
//! reference_s = 300.0
//! [[oscillation]]          # rms in a band, MW and/or a share of the rating
//! band_hz = [0.1, 3.0]
//! max_mw_rms = 1.0
//! max_share_of_rating = 0.01
//! [[mode]]                 # a mode of the grid: the forcing's rms near it
//! name = "inter-area"
//! frequency_hz = 0.67
//! damping = 0.05
//! max_mw_rms = 0.5         # optional: without it the amplitude is reported, not judged
//! [spectral]               # share of spectral energy (above DC) in the band at most max_share
//! band_hz = [0.1, 10.0]
//! max_share = 0.2
//! ```
//! The form of the ramp, deviation and spectral checks follows Microsoft, OpenAI and NVIDIA,
//! "Power stabilization for AI training datacenters" (arXiv 2508.14318).

use serde::Deserialize;
use toml::Spanned;

use crate::base::error::{Result, Source};

/// What a check without a `source` says of itself.
pub const ILLUSTRATIVE: &str = "illustrative: no utility document cited";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    name: Option<String>,
    rating_mw: Option<Spanned<f64>>,
    welch: Option<WelchSpec>,
    #[serde(default)]
    ramp: Vec<RampSpec>,
    deviation: Option<DeviationSpec>,
    spectral: Option<SpectralSpec>,
    #[serde(default)]
    oscillation: Vec<OscillationSpec>,
    #[serde(default)]
    mode: Vec<ModeSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WelchSpec {
    segment_s: Option<Spanned<f64>>,
    overlap: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RampSpec {
    window_s: Spanned<f64>,
    measure: Option<Spanned<String>>,
    up_mw_per_s: Option<Spanned<f64>>,
    down_mw_per_s: Option<Spanned<f64>>,
    up_mw_per_min: Option<Spanned<f64>>,
    down_mw_per_min: Option<Spanned<f64>>,
    source: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviationSpec {
    band_mw: Spanned<f64>,
    reference_s: Spanned<f64>,
    source: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpectralSpec {
    band_hz: Spanned<Vec<f64>>,
    max_share: Spanned<f64>,
    source: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OscillationSpec {
    band_hz: Spanned<Vec<f64>>,
    max_mw_rms: Option<Spanned<f64>>,
    max_share_of_rating: Option<Spanned<f64>>,
    source: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModeSpec {
    name: Option<String>,
    frequency_hz: Spanned<f64>,
    damping: Spanned<f64>,
    max_mw_rms: Option<Spanned<f64>>,
    source: Option<String>,
}

/// How a ramp is measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Measure {
    /// The largest rise (fall) within any window of `window_s`: max over t of x(t) - min of x
    /// over [t - window_s, t]; a periodic swing reads its full excursion whatever its phase.
    Excursion,
    /// The largest change between the averages of two consecutive windows of `window_s`, over
    /// every alignment (a 1-minute-average ramp, as energy-management systems see it).
    Average,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// Rate limit in MW per `per_s` (1 = MW/s, 60 = MW/min) on changes measured over `window_s`.
    Ramp {
        up: bool,
        measure: Measure,
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
    /// The rms of the load in a band (Welch), at most `limit` MW (or `limit` x the rating when
    /// `of_rating`).
    Oscillation {
        lo_hz: f64,
        hi_hz: f64,
        limit: f64,
        of_rating: bool,
    },
    /// A grid mode: the load's rms within its half-power band, f (1 +- damping), at least two
    /// Welch bins each side (the Hann window's main lobe).
    Mode {
        name: String,
        frequency_hz: f64,
        damping: f64,
        max_mw_rms: Option<f64>,
    },
}

/// A check and the document and clause it implements.
#[derive(Clone, Debug, PartialEq)]
pub struct Cited {
    pub check: Check,
    pub source: String,
}

/// Welch's estimator of the oscillation checks: Hann-windowed segments of `segment_s`,
/// overlapping by `overlap`, their periodograms averaged; the amplitude in a band then does
/// not depend on the record's length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Welch {
    pub segment_s: f64,
    pub overlap: f64,
}

#[derive(Clone, Debug)]
pub struct Spec {
    pub name: String,
    pub file: String,
    pub rating_mw: Option<f64>,
    pub welch: Welch,
    pub checks: Vec<Cited>,
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

fn cite(source: &Option<String>) -> String {
    source.clone().unwrap_or_else(|| ILLUSTRATIVE.to_string())
}

/// `[lo, hi]` in Hz with 0 <= lo < hi.
fn band(src: &Source, b: &Spanned<Vec<f64>>) -> Result<(f64, f64)> {
    let v = b.get_ref();
    if v.len() != 2 || !(v[0] >= 0.0 && v[1] > v[0] && v[1].is_finite()) {
        return Err(src.error_at(
            b.span(),
            "band_hz",
            format!("expected [low, high] in Hz with 0 <= low < high, found {v:?}"),
        ));
    }
    Ok((v[0], v[1]))
}

/// One `[[ramp]]`: a check per limit it states.
fn ramps(src: &Source, r: &RampSpec, out: &mut Vec<Cited>) -> Result<()> {
    let window_s = positive(src, &r.window_s, "window_s", "a window in seconds")?;
    let measure = match r.measure.as_ref().map(|m| (m.get_ref().as_str(), m.span())) {
        None | Some(("excursion", _)) => Measure::Excursion,
        Some(("average", _)) => Measure::Average,
        Some((other, span)) => {
            return Err(src.error_at(
                span,
                "measure",
                format!("expected \"excursion\" or \"average\", found {other:?}"),
            ));
        }
    };
    let before = out.len();
    for (v, up, per_s, field) in [
        (&r.up_mw_per_s, true, 1.0, "up_mw_per_s"),
        (&r.down_mw_per_s, false, 1.0, "down_mw_per_s"),
        (&r.up_mw_per_min, true, 60.0, "up_mw_per_min"),
        (&r.down_mw_per_min, false, 60.0, "down_mw_per_min"),
    ] {
        if let Some(v) = v {
            let limit = positive(src, v, field, "a ramp limit")?;
            out.push(Cited {
                check: Check::Ramp {
                    up,
                    measure,
                    window_s,
                    limit,
                    per_s,
                },
                source: cite(&r.source),
            });
        }
    }
    if out.len() == before {
        return Err(src.error_at(
            r.window_s.span(),
            "window_s",
            "a [[ramp]] needs at least one limit: up_mw_per_s, down_mw_per_s, up_mw_per_min or down_mw_per_min",
        ));
    }
    Ok(())
}

/// One `[[oscillation]]`: a check per limit it states (MW rms, share of the rating).
fn oscillations(
    src: &Source,
    o: &OscillationSpec,
    rating: Option<f64>,
    out: &mut Vec<Cited>,
) -> Result<()> {
    let (lo_hz, hi_hz) = band(src, &o.band_hz)?;
    let before = out.len();
    if let Some(v) = &o.max_mw_rms {
        let limit = positive(src, v, "max_mw_rms", "an amplitude in MW rms")?;
        out.push(Cited {
            check: Check::Oscillation {
                lo_hz,
                hi_hz,
                limit,
                of_rating: false,
            },
            source: cite(&o.source),
        });
    }
    if let Some(v) = &o.max_share_of_rating {
        let limit = positive(src, v, "max_share_of_rating", "a share of the rating")?;
        if rating.is_none() {
            return Err(src.error_at(
                v.span(),
                "max_share_of_rating",
                "expected the interconnection's rating_mw at the top of the file for a limit as a share of it",
            ));
        }
        out.push(Cited {
            check: Check::Oscillation {
                lo_hz,
                hi_hz,
                limit,
                of_rating: true,
            },
            source: cite(&o.source),
        });
    }
    if out.len() == before {
        return Err(src.error_at(
            o.band_hz.span(),
            "band_hz",
            "an [[oscillation]] needs a limit: max_mw_rms or max_share_of_rating",
        ));
    }
    Ok(())
}

/// One `[[mode]]` of the grid.
fn mode(src: &Source, m: &ModeSpec, i: usize) -> Result<Cited> {
    let frequency_hz = positive(src, &m.frequency_hz, "frequency_hz", "a frequency in Hz")?;
    let damping = *m.damping.get_ref();
    if !(damping > 0.0 && damping < 1.0) {
        return Err(src.error_at(
            m.damping.span(),
            "damping",
            format!("expected a damping ratio above 0 and below 1 (0.05 = 5 %), found {damping}"),
        ));
    }
    let max_mw_rms = m
        .max_mw_rms
        .as_ref()
        .map(|v| positive(src, v, "max_mw_rms", "an amplitude in MW rms"))
        .transpose()?;
    Ok(Cited {
        check: Check::Mode {
            name: m.name.clone().unwrap_or_else(|| format!("mode{}", i + 1)),
            frequency_hz,
            damping,
            max_mw_rms,
        },
        source: cite(&m.source),
    })
}

/// `[welch]`: segment length and overlap.
fn welch(src: &Source, w: Option<&WelchSpec>) -> Result<Welch> {
    let mut out = Welch {
        segment_s: 60.0,
        overlap: 0.5,
    };
    if let Some(w) = w {
        if let Some(v) = &w.segment_s {
            out.segment_s = positive(src, v, "segment_s", "a segment length in seconds")?;
        }
        if let Some(v) = &w.overlap {
            let x = *v.get_ref();
            if !(0.0..0.95).contains(&x) {
                return Err(src.error_at(
                    v.span(),
                    "overlap",
                    format!("expected a share of the segment from 0 to below 0.95, found {x}"),
                ));
            }
            out.overlap = x;
        }
    }
    Ok(out)
}

impl Spec {
    pub fn parse(src: &Source) -> Result<Spec> {
        let f: SpecFile = toml::from_str(&src.text).map_err(|e| src.toml_error(&e))?;
        let rating_mw = f
            .rating_mw
            .as_ref()
            .map(|v| positive(src, v, "rating_mw", "the interconnection's rating in MW"))
            .transpose()?;
        let mut checks = Vec::new();
        for r in &f.ramp {
            ramps(src, r, &mut checks)?;
        }
        if let Some(d) = &f.deviation {
            checks.push(Cited {
                check: Check::Deviation {
                    band_mw: positive(src, &d.band_mw, "band_mw", "a band in MW")?,
                    reference_s: positive(
                        src,
                        &d.reference_s,
                        "reference_s",
                        "a reference window in seconds",
                    )?,
                },
                source: cite(&d.source),
            });
        }
        for o in &f.oscillation {
            oscillations(src, o, rating_mw, &mut checks)?;
        }
        for (i, m) in f.mode.iter().enumerate() {
            checks.push(mode(src, m, i)?);
        }
        if let Some(s) = &f.spectral {
            let (lo_hz, hi_hz) = band(src, &s.band_hz)?;
            let m = *s.max_share.get_ref();
            if !(0.0..=1.0).contains(&m) {
                return Err(src.error_at(
                    s.max_share.span(),
                    "max_share",
                    format!("expected a share of energy from 0 to 1, found {m}"),
                ));
            }
            checks.push(Cited {
                check: Check::Spectral {
                    lo_hz,
                    hi_hz,
                    max_share: m,
                },
                source: cite(&s.source),
            });
        }
        if checks.is_empty() {
            return Err(src.error(
                "",
                "the specification states no limit: give [[ramp]], [deviation], [[oscillation]], [[mode]] or [spectral]",
            ));
        }
        Ok(Spec {
            name: f.name.unwrap_or_else(|| src.name.clone()),
            file: src.name.clone(),
            rating_mw,
            welch: welch(src, f.welch.as_ref())?,
            checks,
        })
    }

    /// Errors for checks the window cannot measure: a ramp window shorter than the step or
    /// longer than the window, a Welch segment longer than the window, a band reaching past the
    /// step's Nyquist frequency (it would be cut, not measured).
    pub fn check_window(&self, step_s: f64, duration_s: f64) -> Result<(), String> {
        let nyq = 0.5 / step_s;
        let past = |what: &str, hi: f64| {
            Err(format!(
                "{}: {what} reaches {hi} Hz, past the Nyquist frequency of the step ({nyq} Hz): use a step of at most {} ms",
                self.file,
                crate::input::limits::num((500.0 / hi).floor())
            ))
        };
        let mut spectral = false;
        for c in &self.checks {
            match &c.check {
                Check::Ramp { window_s, .. } => {
                    if *window_s < step_s - 1e-9 || *window_s > duration_s {
                        return Err(format!(
                            "{}: ramp window_s = {window_s} s: expected between the step ({step_s} s) and the window ({duration_s} s)",
                            self.file
                        ));
                    }
                }
                Check::Deviation { .. } => {}
                Check::Spectral { hi_hz, .. } | Check::Oscillation { hi_hz, .. } => {
                    spectral = true;
                    if *hi_hz > nyq + 1e-9 {
                        return past("band_hz", *hi_hz);
                    }
                }
                Check::Mode {
                    frequency_hz,
                    damping,
                    ..
                } => {
                    spectral = true;
                    let hi = frequency_hz * (1.0 + damping);
                    if hi > nyq + 1e-9 {
                        return past("a mode's band", hi);
                    }
                }
            }
        }
        if spectral && self.welch.segment_s > duration_s + 1e-9 {
            return Err(format!(
                "{}: welch segment_s = {} s: expected at most the window ({duration_s} s)",
                self.file, self.welch.segment_s
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_share_of_the_rating_needs_the_rating() {
        let src = Source::new(
            "u.toml",
            "[[oscillation]]\nband_hz = [0.1, 3.0]\nmax_share_of_rating = 0.01\n",
        );
        let e = Spec::parse(&src).unwrap_err().to_string();
        assert!(e.contains("u.toml:3") && e.contains("rating_mw"), "{e}");
    }
}
