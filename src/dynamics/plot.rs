//! Plots of a dynamics run, each as SVG and (feature `png`, on by default) PNG rendered from it
//! with the embedded font (no system fonts): `plots/waveform` (the whole window and its first
//! minute), `plots/spectrum` (PSD, log-log, with the specification's band) and
//! `plots/ridethrough` (the fleet's MW off the grid, band across trials). Titles name the run,
//! the window (start, length, step) and the mitigations. Long series are drawn decimated: per
//! pixel column its minimum and maximum, in the order they occur, so a day at 10 ms (8.64 M
//! steps) draws as about 2,400 points and every peak and trough is still on the picture.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use super::Report;
use super::ridethrough::{TrialOutcome, lost_mw_band};
use super::spec::{Check, Spec};
use super::spectrum::Spectrum;

static DEJAVU_SANS: &[u8] = include_bytes!("../report/plot/DejaVuSans.ttf");
const FONT: &str = "sans-serif";
const BLUE: RGBColor = RGBColor(0, 114, 178);
const ORANGE: RGBColor = RGBColor(230, 159, 0);
const VERMILLION: RGBColor = RGBColor(213, 94, 0);
const GREY: RGBColor = RGBColor(120, 120, 120);

type Drawn = Result<(), String>;

/// What the titles say: the run (name, trial, study), the window (start, length, step), the
/// mitigations.
pub struct Heading {
    pub run: String,
    pub window: String,
    pub mitigation: String,
}

/// Pixel columns the series are decimated to (the plots are 1,200 px wide).
const COLUMNS: usize = 1200;

/// Points `(x(k), y[k])` for k in `range`, at most two per pixel column: each column's minimum
/// and maximum in the order they occur (all points when there are fewer than two per column).
/// `col(k)` gives the column of point k (non-decreasing in k).
fn min_max(
    range: std::ops::Range<usize>,
    y: impl Fn(usize) -> f64,
    x: impl Fn(usize) -> f64,
    col: impl Fn(usize) -> usize,
) -> Vec<(f64, f64)> {
    if range.len() <= 2 * COLUMNS {
        return range.map(|k| (x(k), y(k))).collect();
    }
    let mut out = Vec::with_capacity(2 * COLUMNS + 2);
    let mut k = range.start;
    while k < range.end {
        let c = col(k);
        let (mut lo, mut hi) = (k, k);
        let mut j = k + 1;
        while j < range.end && col(j) == c {
            if y(j) < y(lo) {
                lo = j;
            }
            if y(j) > y(hi) {
                hi = j;
            }
            j += 1;
        }
        for m in if lo <= hi { [lo, hi] } else { [hi, lo] } {
            out.push((x(m), y(m)));
        }
        k = j;
    }
    out
}

/// A time series of `m` steps of `dt`, decimated to the pixel columns.
fn decimated(y: &[f64], m: usize, dt: f64) -> Vec<(f64, f64)> {
    let per = m.div_ceil(COLUMNS).max(1);
    min_max(0..m, |k| y[k], |k| k as f64 * dt, |k| k / per)
}

/// A chart on ranges `X`, `Y` (plain or log).
type Chart<'a, DB, X, Y> = ChartContext<
    'a,
    DB,
    Cartesian2d<<X as AsRangedCoord>::CoordDescType, <Y as AsRangedCoord>::CoordDescType>,
>;

fn register_font() -> Drawn {
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

/// Draws the plots into `out/plots/` (SVG, and PNG with the feature `png`).
pub fn draw(
    out: &Path,
    rep: &Report,
    spec: Option<&Spec>,
    head: &Heading,
) -> Result<Vec<PathBuf>, String> {
    register_font()?;
    let dir = out.join("plots");
    std::fs::create_dir_all(&dir).map_err(|x| format!("{}: cannot create: {x}", dir.display()))?;
    let mut written = Vec::new();
    let mut emit = |name: &str, draw: &dyn Fn(&mut String) -> Drawn| -> Drawn {
        let mut svg = String::new();
        draw(&mut svg)?;
        let p = dir.join(format!("{name}.svg"));
        crate::base::io::write_atomic(&p, svg.as_bytes()).map_err(e)?;
        written.push(p);
        #[cfg(feature = "png")]
        {
            let p = dir.join(format!("{name}.png"));
            let png = crate::report::plot::render_png(&svg)?;
            crate::base::io::write_atomic(&p, &png).map_err(e)?;
            written.push(p);
        }
        Ok(())
    };
    emit("waveform", &|svg| waveform(svg, rep, head))?;
    emit("spectrum", &|svg| spectrum(svg, rep, spec, head))?;
    if let Some(f) = &rep.fleet
        && !f.is_empty()
    {
        let step = rep.fleet_step_s.unwrap_or(1.0);
        emit("ridethrough", &|svg| ridethrough(svg, f, step, head))?;
    }
    Ok(written)
}

/// Whether anything shapes the grid's side (then its line is drawn beside the facility's).
fn mitigated(rep: &Report) -> bool {
    rep.storage.is_some() || rep.wave.floor_mwh > 0.0 || rep.wave.burn_mwh > 0.0
}

/// A chart with the plots' caption, margin and label areas (x, y in pixels).
fn chart<'a, DB: DrawingBackend, X: AsRangedCoord, Y: AsRangedCoord>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    (x_area, y_area): (u32, u32),
    x: X,
    y: Y,
) -> Result<Chart<'a, DB, X, Y>, String> {
    ChartBuilder::on(area)
        .caption(title, (FONT, 22))
        .margin(12)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x, y)
        .map_err(e)
}

/// The mesh with the axes' descriptions, in the plots' fonts.
fn mesh<'a, 'b, DB, X, Y, XT, YT>(
    ch: &'b mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    x_desc: &str,
    y_desc: &str,
    y_labels: Option<&'b dyn Fn(&YT) -> String>,
) -> Drawn
where
    DB: DrawingBackend,
    X: Ranged<ValueType = XT> + ValueFormatter<XT>,
    Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
{
    let mut m = ch.configure_mesh();
    m.x_desc(x_desc)
        .y_desc(y_desc)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16));
    if let Some(f) = y_labels {
        m.y_label_formatter(f);
    }
    m.draw().map_err(e)
}

/// The legend box, in the plots' style.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    ch: &mut ChartContext<'a, DB, CT>,
    at: SeriesLabelPosition,
) -> Drawn {
    ch.configure_series_labels()
        .position(at)
        .background_style(WHITE.mix(0.85))
        .border_style(GREY)
        .label_font((FONT, 14))
        .draw()
        .map_err(e)
}

/// A line's mark in the legend.
fn line_mark(c: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(3))
}

/// A labelled line of `width` px, its legend mark `c` at 3 px.
fn line<DB, X, Y>(
    ch: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    pts: impl IntoIterator<Item = (X::ValueType, Y::ValueType)>,
    c: RGBColor,
    width: u32,
    label: &str,
) -> Drawn
where
    DB: DrawingBackend,
    X: Ranged,
    Y: Ranged,
    X::ValueType: Clone + 'static,
    Y::ValueType: Clone + 'static,
{
    ch.draw_series(LineSeries::new(pts, c.stroke_width(width)))
        .map_err(e)?
        .label(label)
        .legend(line_mark(c));
    Ok(())
}

/// A band's mark in the legend.
fn band_mark(c: RGBColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], c.mix(0.3).filled())
}

/// Waveform: the whole window (top) and its first minute (bottom), under a title naming the
/// run, the window and the mitigations.
fn waveform(svg: &mut String, rep: &Report, head: &Heading) -> Drawn {
    let dt = rep.inputs.step_s;
    let n = rep.wave.len();
    let root = SVGBackend::with_string(svg, (1200, 860)).into_drawing_area();
    root.fill(&WHITE).map_err(e)?;
    let root = title(root, head)?;
    let (top, bottom) = root.split_vertically(400);
    let first_minute = ((60.0 / dt).round() as usize).min(n);
    let whole = format!("Facility power, {}", head.window);
    waveform_panel(&top, rep, n, &whole)?;
    waveform_panel(&bottom, rep, first_minute, "The first 60 s")?;
    root.present().map_err(e)
}

/// The run and the mitigations across the top of a plot; the area below it.
fn title<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    head: &Heading,
) -> Result<DrawingArea<DB, Shift>, String> {
    let (band, rest) = root.split_vertically(60);
    band.titled(&head.run, (FONT, 20)).map_err(e)?;
    band.draw_text(
        &format!("mitigation: {}", head.mitigation),
        &(FONT, 14).into_text_style(&band),
        (12, 34),
    )
    .map_err(e)?;
    Ok(rest)
}

/// The facility (and the grid, when mitigated) over the window's first `m` steps.
fn waveform_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rep: &Report,
    m: usize,
    title: &str,
) -> Drawn {
    let dt = rep.inputs.step_s;
    let facility = &rep.wave.facility;
    let t_end = (m.max(2) - 1) as f64 * dt;
    let (lo, hi) = range(facility[..m].iter().chain(rep.grid[..m].iter()).copied());
    let mut ch = chart(area, title, (40, 70), 0.0..t_end, lo..hi)?;
    mesh(&mut ch, "seconds from the window's start", "MW", None)?;
    line(
        &mut ch,
        decimated(facility, m, dt),
        BLUE,
        1,
        "facility, unmitigated",
    )?;
    if mitigated(rep) {
        let grid_pts = decimated(&rep.grid, m, dt);
        line(&mut ch, grid_pts, VERMILLION, 2, "grid, with mitigations")?;
    }
    legend(&mut ch, SeriesLabelPosition::LowerRight)
}

/// Spectrum, log-log, from df to Nyquist, with the specification's spectral bands.
fn spectrum(svg: &mut String, rep: &Report, spec: Option<&Spec>, head: &Heading) -> Drawn {
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
    let root = SVGBackend::with_string(svg, (1200, 660)).into_drawing_area();
    root.fill(&WHITE).map_err(e)?;
    let root = title(root, head)?;
    let mut ch = chart(
        &root,
        &format!(
            "Power spectral density (Hann-windowed periodogram), {}",
            head.window
        ),
        (45, 90),
        (f_lo..f_hi).log_scale(),
        (min..max * 3.0).log_scale(),
    )?;
    mesh(
        &mut ch,
        "frequency, Hz",
        "PSD, MW²/Hz",
        Some(&|v| format!("{v:.0e}")),
    )?;
    let bands = spec.map_or(&[][..], |sp| &sp.checks[..]);
    for c in bands.iter().map(|c| &c.check) {
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
                .legend(band_mark(ORANGE));
            }
        }
    }
    // Decimated per pixel column of the log frequency axis.
    let span = (f_hi / f_lo).ln().max(1e-12);
    let pts = |sp: &Spectrum| -> Vec<(f64, f64)> {
        min_max(
            1..sp.psd.len(),
            |k| sp.psd[k].max(min),
            |k| sp.freq_hz[k],
            |k| ((sp.freq_hz[k] / f_lo).ln().max(0.0) / span * COLUMNS as f64) as usize,
        )
    };
    line(&mut ch, pts(s), BLUE, 1, "facility, unmitigated")?;
    if mitigated(rep) {
        line(&mut ch, pts(g), VERMILLION, 1, "grid, with mitigations")?;
    }
    legend(&mut ch, SeriesLabelPosition::UpperRight)?;
    root.present().map_err(e)
}

/// Ride-through: MW off the grid, band across trials; `step` s between points.
fn ridethrough(svg: &mut String, f: &[TrialOutcome], step: f64, head: &Heading) -> Drawn {
    let band = lost_mw_band(f);
    let m = band.len();
    let mean: Vec<f64> = band.iter().map(|(mean, _)| *mean).collect();
    let [lo, mid, hi] = [0, 1, 2].map(|i| band.iter().map(|(_, b)| b[i]).collect::<Vec<f64>>());
    let top = hi
        .iter()
        .chain(&mean)
        .copied()
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.1;
    let t_end = (m - 1).max(1) as f64 * step / 60.0;
    let root = SVGBackend::with_string(svg, (1200, 660)).into_drawing_area();
    root.fill(&WHITE).map_err(e)?;
    let root = title(root, head)?;
    let caption = format!(
        "Fleet load off the grid after the disturbance ({} trials)",
        f.len()
    );
    let mut ch = chart(&root, &caption, (45, 70), 0.0..t_end, 0.0..top)?;
    mesh(
        &mut ch,
        "minutes from the first dip",
        "MW on backup / returning",
        None,
    )?;
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
    .legend(band_mark(BLUE));
    line(&mut ch, (0..m).map(|k| (x(k), mid[k])), BLUE, 2, "median")?;
    line(
        &mut ch,
        (0..m).map(|k| (x(k), mean[k])),
        VERMILLION,
        2,
        "mean",
    )?;
    legend(&mut ch, SeriesLabelPosition::UpperRight)?;
    root.present().map_err(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimation_keeps_each_columns_extremes_in_order() {
        let n = 100_000;
        let y: Vec<f64> = (0..n).map(|k| ((k * 7919) % 1000) as f64).collect();
        let mut y = y;
        y[54_321] = -5.0;
        y[77_777] = 2000.0;
        let pts = decimated(&y, n, 0.01);
        assert!(pts.len() <= 2 * COLUMNS, "{} points", pts.len());
        assert!(pts.iter().any(|p| p.1 == -5.0) && pts.iter().any(|p| p.1 == 2000.0));
        assert!(pts.windows(2).all(|w| w[0].0 <= w[1].0));
        // Short series are drawn whole.
        assert_eq!(decimated(&y, 100, 0.01).len(), 100);
    }
}
