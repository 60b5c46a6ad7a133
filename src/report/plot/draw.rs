//! Shared drawing pieces: page size, fonts, colours, the title block with its legend row, axis
//! ranges and tick labels.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::base::time::Date;

use super::data::{date_of_hour, month_abbr, month_index, month_of_index};
use super::data::{weekday, weekday_abbr};

pub(super) const WIDTH: u32 = 1200;
pub(super) const HEIGHT: u32 = 600;
/// The family the embedded DejaVu Sans is registered under.
pub(super) const FONT: &str = "sans-serif";

/// Plotters writes `font-size` as the size divided by 1.24: 28 gives 22.6 px in the SVG.
pub(super) const TITLE_PX: f64 = 28.0;
pub(super) const SUBTITLE_PX: f64 = 17.0;
pub(super) const LEGEND_PX: f64 = 17.0;
pub(super) const AXIS_DESC_PX: f64 = 19.0;
pub(super) const TICK_PX: f64 = 16.0;

// Okabe–Ito colours: distinct for the common colour-vision deficiencies.
pub(super) const BLUE: RGBColor = RGBColor(0, 114, 178);
pub(super) const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub(super) const GREEN: RGBColor = RGBColor(0, 158, 115);
pub(super) const PURPLE: RGBColor = RGBColor(204, 121, 167);
pub(super) const VERMILLION: RGBColor = RGBColor(213, 94, 0);
pub(super) const SKY: RGBColor = RGBColor(86, 180, 233);
pub(super) const NAVY: RGBColor = RGBColor(0, 60, 120);
pub(super) const GREY: RGBColor = RGBColor(170, 170, 170);
pub(super) const INK: RGBColor = RGBColor(30, 30, 30);
pub(super) const MUTED: RGBColor = RGBColor(85, 85, 85);

/// Sector colours in [`super::data::SECTORS`] order.
/// Unheld idle: a muted tan, apart from the grey of the facility overhead.
pub(super) const TAN: RGBColor = RGBColor(196, 170, 120);
pub(super) const SECTOR_COLOURS: [RGBColor; 5] = [BLUE, ORANGE, GREEN, PURPLE, TAN];

/// A drawing failure, with plotters' message.
#[derive(Debug)]
pub(super) struct DrawError(pub String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        DrawError(e.to_string())
    }
}

pub(super) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

pub(super) fn font(px: f64) -> TextStyle<'static> {
    (FONT, px).into_font().color(&BLACK)
}

pub(super) fn font_in(px: f64, colour: RGBColor) -> TextStyle<'static> {
    (FONT, px).into_font().color(&colour)
}

/// How a legend entry is drawn.
pub(super) enum Swatch {
    Line(RGBColor, u32),
    Dashed(RGBColor),
    Patch(RGBAColor),
    Dot(RGBColor),
    /// A note in the legend row, no swatch.
    None,
}

pub(super) struct LegendItem {
    pub label: String,
    pub swatch: Swatch,
}

pub(super) fn legend(label: impl Into<String>, swatch: Swatch) -> LegendItem {
    LegendItem {
        label: label.into(),
        swatch,
    }
}

/// Fills the page white, draws the title, the subtitle and a legend row (wrapping when needed)
/// at the top, and returns the area left for the chart. The legend lives outside the plot, so it
/// never hides data.
pub(super) fn frame<'a>(
    root: &Area<'a>,
    title: &str,
    subtitle: &str,
    items: &[LegendItem],
) -> Result<Area<'a>, DrawError> {
    root.fill(&WHITE)?;
    let left = 24;
    root.draw(&Text::new(title.to_string(), (left, 12), font(TITLE_PX)))?;
    let sub_style = font_in(SUBTITLE_PX, MUTED);
    let mut y = 48;
    for line in wrap(root, subtitle, &sub_style, WIDTH as i32 - 2 * left)? {
        root.draw(&Text::new(line, (left, y), sub_style.clone()))?;
        y += 21;
    }

    let row_h = 22;
    y += 8;
    let mut x = left;
    let style = font(LEGEND_PX);
    let max_x = WIDTH as i32 - 24;
    for item in items {
        let (tw, _) = root.estimate_text_size(&item.label, &style)?;
        let pad = if matches!(item.swatch, Swatch::None) {
            0
        } else {
            30
        };
        let width = pad + tw as i32 + 26;
        if x > left && x + width > max_x {
            x = left;
            y += row_h;
        }
        let mid = y + 8;
        match &item.swatch {
            Swatch::Line(c, w) => {
                root.draw(&PathElement::new(
                    vec![(x, mid), (x + 24, mid)],
                    c.stroke_width(*w),
                ))?;
            }
            Swatch::Dashed(c) => {
                for k in 0..3 {
                    let x0 = x + k * 9;
                    root.draw(&PathElement::new(
                        vec![(x0, mid), (x0 + 5, mid)],
                        c.stroke_width(2),
                    ))?;
                }
            }
            Swatch::Patch(c) => {
                root.draw(&Rectangle::new(
                    [(x, mid - 7), (x + 24, mid + 7)],
                    c.filled(),
                ))?;
            }
            Swatch::Dot(c) => {
                root.draw(&Circle::new((x + 12, mid), 5, c.filled()))?;
            }
            Swatch::None => {}
        }
        root.draw(&Text::new(item.label.clone(), (x + pad, y), style.clone()))?;
        x += width;
    }
    let header = if items.is_empty() { y } else { y + row_h + 4 };
    Ok(root.clone().split_vertically(header).1)
}

/// Splits `text` at spaces into lines no wider than `width` pixels.
fn wrap(
    root: &Area<'_>,
    text: &str,
    style: &TextStyle<'_>,
    width: i32,
) -> Result<Vec<String>, DrawError> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        let (w, _) = root.estimate_text_size(&candidate, style)?;
        if w as i32 > width && !line.is_empty() {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    Ok(lines)
}

/// The finite values' range; `None` when there is none.
pub(super) fn finite_range(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// An axis range around the values: from zero when `from_zero`, otherwise padded around the data
/// (at least 5 % of the largest magnitude, so a flat series is not blown up into noise).
pub(super) fn axis_range(values: impl IntoIterator<Item = f64>, from_zero: bool) -> Range<f64> {
    let Some((lo, hi)) = finite_range(values) else {
        return 0.0..1.0;
    };
    if from_zero {
        let top = if hi > 0.0 { hi * 1.06 } else { 1.0 };
        return lo.min(0.0)..top;
    }
    let min_span = (0.05 * lo.abs().max(hi.abs())).max(1e-9);
    let (lo, hi) = if hi - lo < min_span {
        let mid = 0.5 * (lo + hi);
        (mid - 0.5 * min_span, mid + 0.5 * min_span)
    } else {
        (lo, hi)
    };
    let pad = 0.06 * (hi - lo);
    let bottom = if lo >= 0.0 {
        (lo - pad).max(0.0)
    } else {
        lo - pad
    };
    bottom..hi + pad
}

/// A tick-label formatter with as few decimals as the ticks plotters will put on a linear axis
/// over `range` with at most `max_labels` labels need (`60`, `62.5`, `1.18`, all alike per axis).
pub(super) fn number_format(
    range: &Range<f64>,
    max_labels: usize,
) -> impl Fn(&f64) -> String + use<> {
    let span = (range.end - range.start).abs();
    let coord: plotters::coord::types::RangedCoordf64 = range.clone().into();
    let ticks = coord.key_points(max_labels);
    let tolerance = (span * 1e-6).max(1e-12);
    let decimals = (0..=6usize)
        .find(|&d| {
            ticks.iter().all(|t| {
                format!("{t:.d$}")
                    .parse::<f64>()
                    .is_ok_and(|p| (p - t).abs() <= tolerance)
            })
        })
        .unwrap_or(6);
    move |v: &f64| {
        let s = format!("{v:.decimals$}");
        if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() {
            s[1..].to_string()
        } else {
            s
        }
    }
}

/// A value with a unit and sensible precision, joined by a no-break space: `88.6 MW`, `5643 MWh`.
pub(super) fn with_unit(v: f64, unit: &str) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}\u{a0}{unit}")
    } else if a >= 10.0 {
        format!("{v:.1}\u{a0}{unit}")
    } else if a >= 1.0 || a == 0.0 || !a.is_finite() {
        format!("{v:.2}\u{a0}{unit}")
    } else {
        // Two significant digits for small values: 0.0014 MW, not 0.00 MW.
        let decimals = ((-a.log10().floor()) as usize + 1).min(9);
        format!("{v:.decimals$}\u{a0}{unit}")
    }
}

/// `Mon 7 Jul 2025` style date of a local hour.
pub(super) fn day_label(hour: f64, with_year: bool) -> String {
    let Date {
        year: y,
        month: m,
        day: d,
    } = date_of_hour(hour);
    let wd = weekday_abbr(weekday((hour / 24.0).floor() as i64));
    if with_year {
        format!("{wd} {d} {} {y}", month_abbr(m))
    } else {
        format!("{wd} {d} {}", month_abbr(m))
    }
}

/// `1 – 10 Feb 2023`, `28 Jan – 3 Feb 2023`, with weekdays when `weekdays`.
pub(super) fn span_label(first_hour: f64, last_hour: f64, weekdays: bool) -> String {
    let (first, last) = (date_of_hour(first_hour), date_of_hour(last_hour));
    let (y0, m0, d0) = (first.year, first.month, first.day);
    let (y1, m1, d1) = (last.year, last.month, last.day);
    let wd = |h: f64| {
        if weekdays {
            format!("{} ", weekday_abbr(weekday((h / 24.0).floor() as i64)))
        } else {
            String::new()
        }
    };
    let (w0, w1) = (wd(first_hour), wd(last_hour));
    if (y0, m0, d0) == (y1, m1, d1) {
        format!("{w0}{d0} {} {y0}", month_abbr(m0))
    } else if (y0, m0) == (y1, m1) {
        format!("{w0}{d0} – {w1}{d1} {} {y1}", month_abbr(m1))
    } else if y0 == y1 {
        format!(
            "{w0}{d0} {} – {w1}{d1} {} {y1}",
            month_abbr(m0),
            month_abbr(m1)
        )
    } else {
        format!(
            "{w0}{d0} {} {y0} – {w1}{d1} {} {y1}",
            month_abbr(m0),
            month_abbr(m1)
        )
    }
}

/// Tick positions, labels and light grid positions for a time axis in local hours: month starts
/// for long spans (beyond 18 months: labels only every 3, 6 or 12 months, with a light line at
/// each other month start, so a multi-year axis stays readable), Mondays for a few weeks, every
/// day for up to a fortnight, every 6 hours for up to 3 days.
pub(super) fn time_ticks(range: &Range<f64>) -> (Vec<f64>, Vec<String>, Vec<f64>) {
    let days = (range.end - range.start) / 24.0;
    let first_day = (range.start / 24.0).ceil() as i64;
    let last_day = (range.end / 24.0).floor() as i64;
    let mut ticks = Vec::new();
    let mut labels = Vec::new();
    let mut light = Vec::new();
    if days > 62.0 {
        let months = days / 30.44;
        // Labelled every `step` months: at most about 12-16 labels across the page.
        let step: u32 = if months <= 18.0 {
            1
        } else if months <= 40.0 {
            3
        } else if months <= 80.0 {
            6
        } else {
            12
        };
        for k in month_index(date_of_hour(range.start))..=month_index(date_of_hour(range.end)) {
            let first = month_of_index(k);
            let (y, m) = (first.year, first.month);
            let h = first.days_since_epoch() as f64 * 24.0;
            if h < range.start || h > range.end {
                continue;
            }
            if (m - 1) % step != 0 {
                light.push(h);
                continue;
            }
            ticks.push(h);
            // The year on January and on the first label; on every label only when the
            // labels are months of one year (so "Jul" is never ambiguous).
            labels.push(if m == 1 || ticks.len() == 1 {
                format!("{} {y}", month_abbr(m))
            } else if step == 12 {
                format!("{y}")
            } else {
                month_abbr(m).to_string()
            });
        }
    } else if days <= 3.0 {
        let first = (range.start / 6.0).ceil() as i64;
        let last = (range.end / 6.0).floor() as i64;
        for k in first..=last {
            let h = k as f64 * 6.0;
            ticks.push(h);
            let hour_of_day = k.rem_euclid(4) * 6;
            labels.push(if hour_of_day == 0 {
                day_label(h, false)
            } else {
                format!("{hour_of_day:02}:00")
            });
        }
    } else {
        let weekly = days > 15.0;
        for d in first_day..=last_day {
            if weekly && weekday(d) != 0 {
                continue;
            }
            let h = d as f64 * 24.0;
            ticks.push(h);
            let Date {
                month: m, day: dd, ..
            } = date_of_hour(h);
            labels.push(if weekly {
                format!("{dd} {}", month_abbr(m))
            } else {
                format!("{} {dd} {}", weekday_abbr(weekday(d)), month_abbr(m))
            });
        }
    }
    (ticks, labels, light)
}

/// A formatter that labels the given tick positions (exactly, or by the nearest tick).
pub(super) fn tick_labeller(ticks: Vec<f64>, labels: Vec<String>) -> impl Fn(&f64) -> String {
    move |v: &f64| {
        ticks
            .iter()
            .zip(&labels)
            .min_by(|a, b| (a.0 - v).abs().total_cmp(&(b.0 - v).abs()))
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    }
}

/// "local time, UTC-05:00" from an offset as written in the file. For a study on an IANA time
/// zone the axis still runs on one offset (the first row's: hours run on without a gap or a
/// repeat at the daylight-saving changes), so summer hours sit an hour early against the wall
/// clock; the label says so: "America/Chicago, axis on UTC-06:00 all year".
pub(super) fn zone_label(offset: &str, zone: Option<&str>) -> String {
    if let Some(z) = zone {
        return match offset {
            "" => format!("{z}, axis on one offset all year"),
            "Z" | "+00:00" | "+0000" | "+00" => format!("{z}, axis on UTC all year"),
            o => format!("{z}, axis on UTC{o} all year"),
        };
    }
    match offset {
        "" => "local time".to_string(),
        "Z" | "+00:00" | "+0000" | "+00" => "UTC".to_string(),
        o => format!("local time, UTC{o}"),
    }
}

/// A linear `f64` axis whose ticks are exactly the given positions (bold, with labels) and light
/// grid positions. Plotters' own `with_key_points` over `f64` has no label formatter to override.
pub(super) struct KeyAxis {
    range: Range<f64>,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl KeyAxis {
    pub fn new(range: Range<f64>, bold: Vec<f64>, light: Vec<f64>) -> Self {
        Self { range, bold, light }
    }
}

impl Ranged for KeyAxis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        if span.abs() < f64::EPSILON {
            return limit.0;
        }
        let r = (value - self.range.start) / span;
        limit.0 + (r * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}
