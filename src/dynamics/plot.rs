//! SVG plots of a dynamics run: `plots/waveform.svg` (the whole window and its first minute),
//! `plots/spectrum.svg` (PSD, log-log, with the specification's band) and
//! `plots/ridethrough.svg` (the fleet's MW off the grid, band across trials).

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use super::Report;
use super::spec::{Check, Spec};

static DEJAVU_SANS: &[u8] = include_bytes!("../report/plot/DejaVuSans.ttf");
const FONT: &str = "sans-serif";
const BLUE: RGBColor = RGBColor(0, 114, 178);
const ORANGE: RGBColor = RGBColor(230, 159, 0);
const VERMILLION: RGBColor = RGBColor(213, 94, 0);
const GREY: RGBColor = RGBColor(120, 120, 120);

fn register_font() -> Result<(), String> {
    static DONE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, DEJAVU_SANS).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err("the embedded DejaVu Sans font could not be loaded".into())
    }
}

fn range(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for x in xs.filter(|x| x.is_finite()) {
        lo = lo.min(x);
        hi = hi.max(x);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.01).max(1e-3);
    (lo - pad, hi + pad)
}

fn e<E: std::fmt::Display>(x: E) -> String {
    x.to_string()
}

/// Draws the plots into `out/plots/`.
pub fn draw(out: &Path, rep: &Report, spec: Option<&Spec>) -> Result<Vec<PathBuf>, String> {
    register_font()?;
    let dir = out.join("plots");
    std::fs::create_dir_all(&dir).map_err(|x| format!("{}: cannot create: {x}", dir.display()))?;
    let mut written = Vec::new();
    let dt = rep.inputs.step_s;
    let w = &rep.wave;
    let n = w.len();
    let mitigated = rep.storage.is_some() || rep.wave.floor_mwh > 0.0 || rep.wave.burn_mwh > 0.0;

    // Waveform: the whole window (top) and its first minute (bottom).
    let p = dir.join("waveform.svg");
    {
        let root = SVGBackend::new(&p, (1200, 800)).into_drawing_area();
        root.fill(&WHITE).map_err(e)?;
        let (top, bottom) = root.split_vertically(400);
        let panels = [
            (top, n, "Facility power over the window"),
            (
                bottom,
                ((60.0 / dt).round() as usize).min(n),
                "The first 60 s",
            ),
        ];
        for (area, m, title) in panels {
            let t_end = (m.max(2) - 1) as f64 * dt;
            let (lo, hi) = range(w.facility[..m].iter().chain(rep.grid[..m].iter()).copied());
            let mut ch = ChartBuilder::on(&area)
                .caption(title, (FONT, 22))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(70)
                .build_cartesian_2d(0.0..t_end, lo..hi)
                .map_err(e)?;
            ch.configure_mesh()
                .x_desc("seconds from the window's start")
                .y_desc("MW")
                .label_style((FONT, 14))
                .axis_desc_style((FONT, 16))
                .draw()
                .map_err(e)?;
            ch.draw_series(LineSeries::new(
                (0..m).map(|k| (k as f64 * dt, w.facility[k])),
                BLUE.stroke_width(1),
            ))
            .map_err(e)?
            .label("facility, unmitigated")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(3)));
            if mitigated {
                ch.draw_series(LineSeries::new(
                    (0..m).map(|k| (k as f64 * dt, rep.grid[k])),
                    VERMILLION.stroke_width(2),
                ))
                .map_err(e)?
                .label("grid, with mitigations")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], VERMILLION.stroke_width(3))
                });
            }
            ch.configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.85))
                .border_style(GREY)
                .label_font((FONT, 14))
                .draw()
                .map_err(e)?;
        }
        root.present().map_err(e)?;
    }
    written.push(p);

    // Spectrum, log-log, from df to Nyquist.
    let p = dir.join("spectrum.svg");
    {
        let s = &rep.spectrum;
        let g = &rep.spectrum_grid;
        let positive = s
            .psd
            .iter()
            .chain(g.psd.iter())
            .copied()
            .filter(|x| *x > 0.0);
        let max = positive.clone().fold(0.0f64, f64::max).max(1e-12);
        // Show ten decades below the peak (rounding noise below that is not information).
        let min = positive.fold(max, f64::min).max(max * 1e-10);
        let f_lo = s.df.max(1e-6);
        let f_hi = s.freq_hz.last().copied().unwrap_or(1.0).max(f_lo * 10.0);
        let root = SVGBackend::new(&p, (1200, 600)).into_drawing_area();
        root.fill(&WHITE).map_err(e)?;
        let mut ch = ChartBuilder::on(&root)
            .caption(
                "Power spectral density of facility power (Hann-windowed periodogram)",
                (FONT, 22),
            )
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(90)
            .build_cartesian_2d((f_lo..f_hi).log_scale(), (min..max * 3.0).log_scale())
            .map_err(e)?;
        ch.configure_mesh()
            .x_desc("frequency, Hz")
            .y_desc("PSD, MW²/Hz")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .draw()
            .map_err(e)?;
        if let Some(sp) = spec {
            for c in &sp.checks {
                if let Check::Spectral {
                    lo_hz,
                    hi_hz,
                    max_share,
                } = c
                {
                    let a = lo_hz.max(f_lo);
                    let b = hi_hz.min(f_hi);
                    if b > a {
                        ch.draw_series(std::iter::once(Rectangle::new(
                            [(a, min), (b, max * 3.0)],
                            ORANGE.mix(0.15).filled(),
                        )))
                        .map_err(e)?
                        .label(format!(
                            "spec band {lo_hz}-{hi_hz} Hz (at most {:.0} % of energy)",
                            max_share * 100.0
                        ))
                        .legend(|(x, y)| {
                            Rectangle::new([(x, y - 6), (x + 20, y + 6)], ORANGE.mix(0.3).filled())
                        });
                    }
                }
            }
        }
        let pts = |sp: &super::spectrum::Spectrum| -> Vec<(f64, f64)> {
            (1..sp.psd.len())
                .map(|k| (sp.freq_hz[k], sp.psd[k].max(min)))
                .collect()
        };
        ch.draw_series(LineSeries::new(pts(s), BLUE.stroke_width(1)))
            .map_err(e)?
            .label("facility, unmitigated")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(3)));
        if mitigated {
            ch.draw_series(LineSeries::new(pts(g), VERMILLION.stroke_width(1)))
                .map_err(e)?
                .label("grid, with mitigations")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], VERMILLION.stroke_width(3))
                });
        }
        ch.configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .label_font((FONT, 14))
            .draw()
            .map_err(e)?;
        root.present().map_err(e)?;
    }
    written.push(p);

    // Ride-through: MW off the grid, band across trials.
    if let Some(f) = &rep.fleet
        && let Some(first) = f.first()
    {
        let p = dir.join("ridethrough.svg");
        let m = first.lost_mw.len();
        let step = rep.fleet_step_s.unwrap_or(1.0);
        let mut mean = vec![0.0; m];
        let mut lo = vec![0.0; m];
        let mut mid = vec![0.0; m];
        let mut hi = vec![0.0; m];
        let mut col = vec![0.0; f.len()];
        for k in 0..m {
            for (c, t) in col.iter_mut().zip(f) {
                *c = t.lost_mw[k];
            }
            mean[k] = super::window::mean(&col);
            col.sort_by(f64::total_cmp);
            lo[k] = super::percentile(&col, 0.1);
            mid[k] = super::percentile(&col, 0.5);
            hi[k] = super::percentile(&col, 0.9);
        }
        let top = hi
            .iter()
            .chain(&mean)
            .copied()
            .fold(0.0f64, f64::max)
            .max(1.0)
            * 1.1;
        let t_end = (m - 1).max(1) as f64 * step / 60.0;
        let root = SVGBackend::new(&p, (1200, 600)).into_drawing_area();
        root.fill(&WHITE).map_err(e)?;
        let mut ch = ChartBuilder::on(&root)
            .caption(
                format!(
                    "Fleet load off the grid after the disturbance ({} trials)",
                    f.len()
                ),
                (FONT, 22),
            )
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..t_end, 0.0..top)
            .map_err(e)?;
        ch.configure_mesh()
            .x_desc("minutes from the first dip")
            .y_desc("MW on backup / returning")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(e)?;
        let x = |k: usize| k as f64 * step / 60.0;
        ch.draw_series(std::iter::once(Polygon::new(
            (0..m)
                .map(|k| (x(k), hi[k]))
                .chain((0..m).rev().map(|k| (x(k), lo[k])))
                .collect::<Vec<_>>(),
            BLUE.mix(0.2).filled(),
        )))
        .map_err(e)?
        .label("P10-P90 across trials")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], BLUE.mix(0.3).filled()));
        ch.draw_series(LineSeries::new(
            (0..m).map(|k| (x(k), mid[k])),
            BLUE.stroke_width(2),
        ))
        .map_err(e)?
        .label("median")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(3)));
        ch.draw_series(LineSeries::new(
            (0..m).map(|k| (x(k), mean[k])),
            VERMILLION.stroke_width(2),
        ))
        .map_err(e)?
        .label("mean")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], VERMILLION.stroke_width(3)));
        ch.configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .label_font((FONT, 14))
            .draw()
            .map_err(e)?;
        root.present().map_err(e)?;
        drop(ch);
        drop(root);
        written.push(p);
    }
    Ok(written)
}
