//! The five charts. Each returns the SVG text; [`super::plot_dir`] writes it.

use std::collections::HashSet;
use std::ops::Range;

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::base::time::Date;

use super::data::{
    DrEvent, Hourly, LoadDuration, Month, SECTORS, Study, Trials, date_of_hour, month_abbr,
    months_from_hourly, weekday,
};
use super::draw::{
    AXIS_DESC_PX, Area, BLUE, DrawError, GREEN, GREY, HEIGHT, INK, KeyAxis, LegendItem, MUTED,
    NAVY, ORANGE, SECTOR_COLOURS, SKY, Swatch, TICK_PX, VERMILLION, WIDTH, axis_range, day_label,
    font, font_in, frame, legend, number_format, span_label, tick_labeller, time_ticks, with_unit,
    zone_label,
};

/// Stacking order, bottom to top, as indices into [`SECTORS`]: the steadiest loads at the bottom
/// so the diurnal ones on top do not make the whole stack wiggle.
const STACK: [usize; 5] = [4, 2, 3, 1, 0];

/// Above this many hours the year plot draws the band as a daily envelope.
const DAILY_ENVELOPE_ABOVE_H: usize = 45 * 24;

/// Everything the charts share.
pub(super) struct Context {
    /// The run's name for titles, with a sweep variant's swept values.
    pub run: String,
    pub h: Hourly,
    pub trials: Option<Trials>,
    /// Reference figures from `summary.json`.
    pub study: Study,
    /// Demand-response events of every trial (`dr_events.csv`), empty without one.
    pub dr: Vec<DrEvent>,
}

/// Demand-response marks: colour and legend texts.
const DR_COLOUR: RGBColor = RGBColor(204, 121, 167);
const DR_LEGEND: &str = "Demand-response events (marks at the top; darker: in more trials)";
const DR_SPAN_LEGEND: &str = "Demand-response event (darker: in more trials)";

/// One demand-response event window with the share of trials that had it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DrMark {
    pub start: f64,
    pub end: f64,
    pub share: f64,
}

impl Context {
    pub fn new(
        run: String,
        h: Hourly,
        trials: Option<Trials>,
        study: Study,
        dr: Vec<DrEvent>,
    ) -> Self {
        Self {
            run,
            h,
            trials,
            study,
            dr,
        }
    }

    /// Reference lines for facility power: the grid import limit and the installed facility
    /// capacity (IT nameplate × PUE for a fixed-PUE facility), or the installed IT nameplate
    /// for a physical facility (whose cooling and losses come on top).
    pub fn facility_lines(&self) -> Vec<RefLine> {
        let mut lines = Vec::new();
        if let Some(l) = self.study.import_limit_mw {
            lines.push(RefLine {
                value: l,
                label: format!("Grid import limit {}", with_unit(l, "MW")),
                colour: VERMILLION,
                steps: Vec::new(),
            });
        }
        match (self.study.installed_it_mw, self.study.fixed_pue) {
            (Some(it), Some(pue)) => lines.push(RefLine {
                value: it * pue,
                label: format!(
                    "Installed facility capacity {}{} (IT {} × PUE {pue})",
                    if self.installed_steps(1.0).is_empty() {
                        ""
                    } else {
                        "to "
                    },
                    with_unit(it * pue, "MW"),
                    with_unit(it, "MW")
                ),
                colour: MUTED,
                steps: self.installed_steps(pue),
            }),
            (Some(_), None) => lines.extend(self.it_line()),
            _ => {}
        }
        lines
    }

    /// The installed IT capacity (nameplate peak of the fleet) as a reference line.
    pub fn it_line(&self) -> Option<RefLine> {
        self.study.installed_it_mw.map(|it| {
            let steps = self.installed_steps(1.0);
            RefLine {
                value: it,
                label: format!(
                    "Installed IT capacity {}{}",
                    if steps.is_empty() { "" } else { "to " },
                    with_unit(it, "MW")
                ),
                colour: MUTED,
                steps,
            }
        })
    }

    /// The installed IT capacity over the study (hourly.csv's `installed_it_mw_mean`, times
    /// `factor`) as steps `(hour, MW)` where it changes; empty when it never changes (or the
    /// column is absent), so the line is drawn flat at the nameplate.
    pub fn installed_steps(&self, factor: f64) -> Vec<(f64, f64)> {
        let Some(it) = &self.h.installed_it else {
            return Vec::new();
        };
        let (lo, hi) = it
            .iter()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(*v), b.max(*v))
            });
        if hi <= lo + 1e-9 * hi.abs().max(1.0) {
            return Vec::new();
        }
        let mut steps: Vec<(f64, f64)> = Vec::new();
        for (t, v) in self.h.hour.iter().zip(it) {
            if v.is_finite()
                && steps
                    .last()
                    .is_none_or(|(_, p)| (p - v * factor).abs() > 1e-9)
            {
                steps.push((*t, v * factor));
            }
        }
        steps
    }

    /// The demand-response event windows overlapping `range`, one per distinct window, with
    /// the share of trials that had it.
    pub fn dr_marks(&self, range: &Range<f64>) -> Vec<DrMark> {
        let trials = self
            .trials
            .as_ref()
            .map_or(0, |t| t.count)
            .max(self.dr.iter().map(|e| e.trial + 1).max().unwrap_or(0))
            .max(1);
        let mut windows: Vec<(f64, f64, usize)> = Vec::new();
        for e in &self.dr {
            let end = e.start + e.hours.max(0.25);
            if end <= range.start || e.start >= range.end {
                continue;
            }
            match windows
                .iter_mut()
                .find(|w| (w.0 - e.start).abs() < 1e-6 && (w.1 - end).abs() < 1e-6)
            {
                Some(w) => w.2 += 1,
                None => windows.push((e.start, end, 1)),
            }
        }
        windows.sort_by(|a, b| a.0.total_cmp(&b.0));
        windows
            .into_iter()
            .map(|(start, end, n)| DrMark {
                start: start.max(range.start),
                end: end.min(range.end),
                share: (n as f64 / trials as f64).min(1.0),
            })
            .collect()
    }

    /// "5 trials" when `trials.csv` told us, else "the trials".
    fn trials_text(&self) -> String {
        match &self.trials {
            Some(t) if t.count == 1 => "1 trial".to_string(),
            Some(t) if t.count > 1 => format!("{} trials", t.count),
            _ => "the trials".to_string(),
        }
    }

    /// From the first hour's beginning to the last hour's end.
    fn x_range(&self) -> Range<f64> {
        let first = self.h.hour.first().copied().unwrap_or(0.0);
        let last = self.h.hour.last().copied().unwrap_or(first);
        first..last + 1.0
    }

    fn is_year(&self) -> bool {
        self.h.len() >= 8760
    }

    /// "the year 2025" or "the study (10 days, 1 – 10 Feb 2023)".
    fn period_text(&self) -> String {
        let r = self.x_range();
        let y0 = date_of_hour(r.start).year;
        let y1 = date_of_hour(r.end - 1.0).year;
        if self.is_year() && y0 == y1 {
            format!("Year {y0}")
        } else {
            let days = (r.end - r.start) / 24.0;
            let length = if days >= 2.0 {
                format!("{days:.0} days")
            } else {
                format!("{:.0} h", r.end - r.start)
            };
            format!("{length}, {}", span_label(r.start, r.end - 1.0, false))
        }
    }

    /// Sectors with any non-zero load in the study, in [`SECTORS`] order.
    fn present_sectors(&self) -> [bool; 5] {
        let mut present = [false; 5];
        for (s, col) in self.h.sectors.iter().enumerate() {
            present[s] = col.iter().any(|v| v.is_finite() && *v != 0.0);
        }
        present
    }

    fn axis_time(&self) -> String {
        format!(
            "Date ({})",
            zone_label(&self.h.offset, self.study.time_zone.as_deref())
        )
    }
}

/// Points at the middle of each hour (the values are hourly averages), with the first and last
/// values carried out to the edges so the series spans the whole axis.
fn hourly_points(hours: &[f64], values: &[f64]) -> Vec<(f64, f64)> {
    let mut pts = Vec::with_capacity(values.len() + 2);
    for (&t, &v) in hours.iter().zip(values) {
        if !v.is_finite() {
            continue;
        }
        if pts.is_empty() {
            pts.push((t, v));
        }
        pts.push((t + 0.5, v));
    }
    if let (Some(&(_, v)), Some(&t)) = (pts.last(), hours.last()) {
        pts.push((t + 1.0, v));
    }
    pts
}

fn svg(draw: impl FnOnce(&Area<'_>) -> Result<(), DrawError>) -> Result<String, DrawError> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    Ok(buf)
}

/// Demand-response events as short marks hanging from the top of the plot (one per window,
/// darker when more trials had it): visible at any time scale.
fn draw_dr_marks(
    chart: &mut Chart<'_, '_>,
    marks: &[DrMark],
    y: &Range<f64>,
) -> Result<(), DrawError> {
    let depth = 0.06 * (y.end - y.start);
    chart.draw_series(marks.iter().map(|m| {
        let x = 0.5 * (m.start + m.end);
        PathElement::new(
            vec![(x, y.end), (x, y.end - depth)],
            DR_COLOUR.mix(0.3 + 0.7 * m.share).stroke_width(3),
        )
    }))?;
    Ok(())
}

/// Demand-response events as shaded spans over their hours (darker when more trials had it).
fn draw_dr_spans(
    chart: &mut Chart<'_, '_>,
    marks: &[DrMark],
    y: &Range<f64>,
) -> Result<(), DrawError> {
    chart.draw_series(marks.iter().map(|m| {
        Rectangle::new(
            [(m.start, y.start), (m.end, y.end)],
            DR_COLOUR.mix(0.12 + 0.28 * m.share).filled(),
        )
    }))?;
    Ok(())
}

fn mesh_colour() -> RGBColor {
    RGBColor(215, 215, 215)
}

fn light_mesh_colour() -> RGBColor {
    RGBColor(240, 240, 240)
}

/// The plot area of every chart: x on a [`KeyAxis`] (ticks chosen by the chart), y linear.
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<KeyAxis, RangedCoordf64>>;

/// A horizontal reference line across the plot (import limit, installed capacity), labelled at
/// its right end.
#[derive(Clone, Debug)]
pub(super) struct RefLine {
    pub value: f64,
    pub label: String,
    pub colour: RGBColor,
    /// A value changing over the study (installed capacity during a build-out): the
    /// `(hour, value)` at which each new value starts, drawn as a step line; `value` is the
    /// largest. Empty for a flat line.
    pub steps: Vec<(f64, f64)>,
}

impl RefLine {
    /// The line as a path across `x`: flat at `value`, or its steps clipped to `x`.
    pub fn path(&self, x: &Range<f64>) -> Vec<(f64, f64)> {
        if self.steps.is_empty() {
            return vec![(x.start, self.value), (x.end, self.value)];
        }
        let at = |t: f64| {
            self.steps
                .iter()
                .take_while(|(s, _)| *s <= t)
                .last()
                .map_or(self.steps[0].1, |(_, v)| *v)
        };
        let mut pts = vec![(x.start, at(x.start))];
        for &(s, v) in &self.steps {
            if s > x.start && s < x.end {
                let prev = pts[pts.len() - 1].1;
                pts.push((s, prev));
                pts.push((s, v));
            }
        }
        pts.push((x.end, at(x.end)));
        pts
    }
}

/// The title block of a chart: title, subtitle and legend row.
struct Head {
    title: String,
    subtitle: String,
    items: Vec<LegendItem>,
}

/// The x axis of a chart: coordinate with its ticks, tick labels, description, grid.
struct XAxis {
    axis: KeyAxis,
    labels: Box<dyn Fn(&f64) -> String>,
    desc: String,
    grid: bool,
}

impl XAxis {
    /// Bold ticks at `ticks` labelled `labels`, light grid lines at `light`.
    fn keyed(
        range: Range<f64>,
        ticks: Vec<f64>,
        labels: Vec<String>,
        light: Vec<f64>,
        desc: impl Into<String>,
    ) -> Self {
        Self {
            axis: KeyAxis::new(range, ticks.clone(), light),
            labels: Box::new(tick_labeller(ticks, labels)),
            desc: desc.into(),
            grid: true,
        }
    }

    /// A numeric axis with at most `n` labelled ticks (plotters' choice) and a light line
    /// between each pair.
    fn numeric(range: Range<f64>, n: usize, desc: impl Into<String>) -> Self {
        let coord: RangedCoordf64 = range.clone().into();
        let ticks = coord.key_points(n);
        let light = ticks.windows(2).map(|w| 0.5 * (w[0] + w[1])).collect();
        Self {
            axis: KeyAxis::new(range.clone(), ticks, light),
            labels: Box::new(number_format(&range, n)),
            desc: desc.into(),
            grid: true,
        }
    }
}

/// The y range that also shows the reference lines lying near the data (up to 1.5 times the
/// data's top); lines further off stay off the scale (and the chart says so).
fn with_lines(y: Range<f64>, lines: &[RefLine]) -> Range<f64> {
    let top = lines
        .iter()
        .map(|l| l.value)
        .filter(|&v| v.is_finite() && v > y.end - 0.04 * (y.end - y.start) && v <= 1.5 * y.end)
        .fold(f64::NEG_INFINITY, f64::max);
    if top * 1.06 > y.end {
        y.start..top * 1.06
    } else {
        y
    }
}

/// " Off the scale: import limit 900 MW." for the lines `with_lines` left out, else "".
fn off_scale_note(y: &Range<f64>, lines: &[RefLine]) -> String {
    let off: Vec<&str> = lines
        .iter()
        .filter(|l| !(y.start..=y.end).contains(&l.value))
        .map(|l| l.label.as_str())
        .collect();
    if off.is_empty() {
        String::new()
    } else {
        format!(" Off the scale: {}.", off.join("; "))
    }
}

/// The scaffolding every chart shares: white page, title block and legend row ([`frame`]), the
/// plot area's margins and label areas, the mesh with its fonts and grid colours, the y axis's
/// number format, and the reference lines (drawn over the data, dashed, labelled at the right);
/// `series` draws the data.
fn chart(
    head: &Head,
    x: XAxis,
    y: Range<f64>,
    y_desc: &str,
    lines: &[RefLine],
    series: impl FnOnce(&mut Chart<'_, '_>) -> Result<(), DrawError>,
) -> Result<String, DrawError> {
    svg(|root| {
        let area = frame(root, &head.title, &head.subtitle, &head.items)?;
        let y_fmt = number_format(&y, 8);
        let x_end = x.axis.range().end;
        let mut chart = ChartBuilder::on(&area)
            .margin_left(16)
            .margin_right(50)
            .margin_top(6)
            .margin_bottom(10)
            .x_label_area_size(56)
            .y_label_area_size(84)
            .build_cartesian_2d(x.axis, y.clone())?;
        let mut mesh = chart.configure_mesh();
        if !x.grid {
            mesh.disable_x_mesh();
        }
        mesh.x_desc(x.desc.as_str())
            .y_desc(y_desc)
            .x_label_formatter(&*x.labels)
            .y_label_formatter(&y_fmt)
            .y_labels(8)
            .axis_desc_style(font(AXIS_DESC_PX))
            .label_style(font(TICK_PX))
            .bold_line_style(mesh_colour())
            .light_line_style(light_mesh_colour())
            .max_light_lines(1)
            .draw()?;
        series(&mut chart)?;
        let x_start = chart.x_range().start;
        for l in lines
            .iter()
            .filter(|l| (y.start..=y.end).contains(&l.value))
        {
            let path = l.path(&(x_start..x_end));
            let end_value = path.last().map_or(l.value, |p| p.1);
            chart.draw_series(DashedLineSeries::new(path, 10, 6, l.colour.stroke_width(2)))?;
            let style = font_in(TICK_PX, l.colour).pos(Pos::new(HPos::Right, VPos::Bottom));
            chart.draw_series(std::iter::once(
                EmptyElement::at((x_end, end_value)) + Text::new(l.label.clone(), (-6, -4), style),
            ))?;
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// 1. Facility power over the year
// ---------------------------------------------------------------------------------------------

/// Facility power over the study: the mean across trials as a line and the band between the
/// run's lowest and highest percentile (e.g. P10–P90) as a shaded area. Long studies draw the
/// band as a daily envelope (each day's lowest low to highest high) and the mean as one point per hour plus its daily average, which keeps the SVG small and
/// the seasonal shape readable; short ones draw everything hourly.
pub(super) fn facility_year(ctx: &Context) -> Result<String, DrawError> {
    let h = &ctx.h;
    let f = &h.facility;
    let range = ctx.x_range();
    let daily = h.len() > DAILY_ENVELOPE_ABOVE_H;

    let (upper, lower, daily_mean) = if daily {
        daily_envelope(h, &range)
    } else {
        (
            hourly_points(&h.hour, &f.hi),
            hourly_points(&h.hour, &f.lo),
            Vec::new(),
        )
    };
    let mean = hourly_points(&h.hour, &f.mean);
    let y = axis_range(upper.iter().chain(&lower).chain(&mean).map(|p| p.1), false);
    let mut band = upper;
    band.extend(lower.into_iter().rev());

    let title = format!(
        "Facility power through {} — {}",
        if ctx.is_year() && ctx.period_text().starts_with("Year ") {
            "the year"
        } else {
            "the study"
        },
        ctx.run
    );
    let trials = ctx.trials_text();
    let (lo, hi) = (&f.lo_label, &f.hi_label);
    let subtitle = if daily {
        format!(
            "{}. Across {trials}: hourly mean, its daily average, and the {lo}–{hi} band drawn as a \
             daily envelope (each day's lowest {lo} to highest {hi}).",
            ctx.period_text()
        )
    } else {
        format!(
            "{}. Across {trials}: hourly mean and hourly {lo}–{hi} band.",
            ctx.period_text()
        )
    };
    let widest =
        f.hi.iter()
            .zip(&f.lo)
            .map(|(hi, lo)| hi - lo)
            .filter(|w| w.is_finite())
            .fold(0.0, f64::max);
    let subtitle = if widest < 0.004 * (y.end - y.start) {
        format!(
            "{subtitle} The band is at most {} wide here: too narrow to see.",
            with_unit(widest, "MW")
        )
    } else {
        subtitle
    };
    let band_colour = SKY.mix(0.45);
    let mut items = vec![];
    if daily {
        items.push(legend(
            format!("{lo}–{hi} band, daily envelope"),
            Swatch::Patch(band_colour),
        ));
        items.push(legend("Mean, hourly", Swatch::Line(BLUE, 1)));
        items.push(legend("Mean, daily average", Swatch::Line(NAVY, 3)));
    } else {
        items.push(legend(
            format!("{lo}–{hi} band, hourly"),
            Swatch::Patch(band_colour),
        ));
        items.push(legend("Mean, hourly", Swatch::Line(NAVY, 2)));
    }

    let lines = ctx.facility_lines();
    let y = with_lines(y, &lines);
    let subtitle = format!("{subtitle}{}", off_scale_note(&y, &lines));
    let dr = ctx.dr_marks(&range);
    if !dr.is_empty() {
        items.push(legend(DR_LEGEND, Swatch::Line(DR_COLOUR, 3)));
    }
    let (ticks, labels, light) = time_ticks(&range);
    let x = XAxis::keyed(range.clone(), ticks, labels, light, ctx.axis_time());
    let head = Head {
        title,
        subtitle,
        items,
    };
    chart(
        &head,
        x,
        y.clone(),
        "Facility power (MW)",
        &lines,
        |chart| {
            chart.draw_series(std::iter::once(Polygon::new(band, band_colour.filled())))?;
            if daily {
                chart.draw_series(LineSeries::new(mean, BLUE.mix(0.55).stroke_width(1)))?;
                chart.draw_series(LineSeries::new(daily_mean, NAVY.stroke_width(3)))?;
            } else {
                chart.draw_series(LineSeries::new(mean, NAVY.stroke_width(2)))?;
            }
            draw_dr_marks(chart, &dr, &y)
        },
    )
}

/// Chart coordinates (x, y) of a line or an outline.
type Points = Vec<(f64, f64)>;

/// A long study's band as daily envelopes (each day's lowest low to highest high, as upper and
/// lower steps clipped to `range`) and the mean's daily averages at each day's middle.
fn daily_envelope(h: &Hourly, range: &Range<f64>) -> (Points, Points, Points) {
    let f = &h.facility;
    let mut upper = Vec::new();
    let mut lower = Vec::new();
    let mut daily_mean = Vec::new();
    let mut i = 0;
    while i < h.len() {
        let day = (h.hour[i] / 24.0).floor();
        let mut j = i;
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut sum, mut count) = (0.0, 0usize);
        while j < h.len() && (h.hour[j] / 24.0).floor() == day {
            if f.lo[j].is_finite() {
                lo = lo.min(f.lo[j]);
            }
            if f.hi[j].is_finite() {
                hi = hi.max(f.hi[j]);
            }
            if f.mean[j].is_finite() {
                sum += f.mean[j];
                count += 1;
            }
            j += 1;
        }
        let start = (day * 24.0).max(range.start);
        let end = ((day + 1.0) * 24.0).min(range.end);
        if lo.is_finite() && hi.is_finite() {
            upper.extend([(start, hi), (end, hi)]);
            lower.extend([(start, lo), (end, lo)]);
        }
        if count > 0 {
            daily_mean.push((0.5 * (start + end), sum / count as f64));
        }
        i = j;
    }
    (upper, lower, daily_mean)
}

// ---------------------------------------------------------------------------------------------
// 2. IT power by sector, one week
// ---------------------------------------------------------------------------------------------

/// Rows `start..end` of the week to show and how it was chosen.
struct Week {
    start: usize,
    end: usize,
    title: String,
    how: String,
}

/// The 7 days from `[report] week` (a `YYYY-MM-DD` the run checked against its horizon) when
/// the run file chose one and the hours hold its midnight.
fn chosen_week(h: &Hourly, week: Option<&str>) -> Option<Week> {
    let date = Date::parse(week?.trim()).ok()?;
    let first = date.days_since_epoch() as f64 * 24.0;
    let start = h.hour.iter().position(|&t| (t - first).abs() < 1e-6)?;
    let end = h.hour.partition_point(|&t| t < first + 168.0);
    (end > start).then(|| Week {
        start,
        end,
        title: format!(
            "week of {} {} {}",
            date.day,
            month_abbr(date.month),
            date.year
        ),
        how: "the week the run file chose ([report] week)".to_string(),
    })
}

/// The week `[report] week` chooses (see [`chosen_week`]); otherwise the first full
/// Monday-to-Sunday week in July when the study covers one; otherwise the Monday-to-Sunday week
/// holding the hour nearest the median facility power (or, when the study does not cover that
/// week whole, the 7 days around that hour); the whole study when it is shorter than a week.
fn pick_week(h: &Hourly, week: Option<&str>) -> Week {
    if let Some(w) = chosen_week(h, week) {
        return w;
    }
    let n = h.len();
    let whole = |i: usize, len: usize| {
        i + len <= n && (h.hour[i + len - 1] - h.hour[i] - (len - 1) as f64).abs() < 1e-6
    };
    for i in 0..n {
        let t = h.hour[i];
        if t.rem_euclid(24.0).abs() > 1e-6 {
            continue;
        }
        let day = (t / 24.0).floor() as i64;
        let Date {
            year: y,
            month: m,
            day: d,
        } = Date::from_days_since_epoch(day);
        if m == 7 && d <= 25 && weekday(day) == 0 && whole(i, 168) {
            let first = if d <= 7 { "first " } else { "first covered " };
            return Week {
                start: i,
                end: i + 168,
                title: format!("{first}full week of July {y}"),
                how: String::new(),
            };
        }
    }
    if n <= 168 {
        return Week {
            start: 0,
            end: n,
            title: "the whole study".to_string(),
            how: String::new(),
        };
    }
    let mut sorted: Vec<f64> = h
        .facility
        .mean
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    let nearest = (0..n)
        .filter(|&i| h.facility.mean[i].is_finite())
        .min_by(|&a, &b| {
            (h.facility.mean[a] - median)
                .abs()
                .total_cmp(&(h.facility.mean[b] - median).abs())
        })
        .unwrap_or(0);
    let day = (h.hour[nearest] / 24.0).floor() as i64;
    let monday = (day - i64::from(weekday(day))) as f64 * 24.0;
    let start = h.hour.partition_point(|&t| t < monday);
    let median_text = with_unit(median, "MW");
    if whole(start, 168) && (h.hour[start] - monday).abs() < 1e-6 {
        return Week {
            start,
            end: start + 168,
            title: "a typical week".to_string(),
            how: format!(
                "the Monday-to-Sunday week holding the hour nearest the median facility power ({median_text})"
            ),
        };
    }
    let start = nearest.saturating_sub(84).min(n - 168);
    Week {
        start,
        end: start + 168,
        title: "a typical 7 days".to_string(),
        how: format!(
            "the 7 days around the hour nearest the median facility power ({median_text})"
        ),
    }
}

/// IT power by sector for one week, stacked (sector means across trials), with the facility
/// mean as a dashed line on top.
pub(super) fn sectors_week(ctx: &Context) -> Result<String, DrawError> {
    let h = &ctx.h;
    let week = pick_week(h, ctx.study.week.as_deref());
    let rows = week.start..week.end;
    let hours = &h.hour[rows.clone()];
    let range = match (hours.first(), hours.last()) {
        (Some(&a), Some(&b)) => a..b + 1.0,
        _ => ctx.x_range(),
    };
    let present = ctx.present_sectors();
    let layers: Vec<usize> = STACK.iter().copied().filter(|&s| present[s]).collect();

    // Cumulative tops, bottom layer first.
    let mut tops: Vec<Vec<f64>> = Vec::new();
    let mut running = vec![0.0; hours.len()];
    for &s in &layers {
        for (k, i) in rows.clone().enumerate() {
            let v = h.sectors[s][i];
            if v.is_finite() {
                running[k] += v;
            }
        }
        tops.push(running.clone());
    }
    let facility = hourly_points(hours, &h.facility.mean[rows.clone()]);
    let y = axis_range(
        running.iter().copied().chain(facility.iter().map(|p| p.1)),
        true,
    );

    let title = format!("IT power by sector — {} — {}", week.title, ctx.run);
    let span = span_label(range.start, range.end - 1.0, true);
    let subtitle = if week.how.is_empty() {
        format!(
            "{span}. Hourly means across {}, stacked; dashed: facility power (IT + cooling + losses).",
            ctx.trials_text()
        )
    } else {
        format!(
            "{span}: {}. Hourly means across {}, stacked; dashed: facility power (IT + cooling + losses).",
            week.how,
            ctx.trials_text()
        )
    };
    // Legend top to bottom as the stack reads.
    let mut items = vec![legend("Facility power (mean)", Swatch::Dashed(INK))];
    push_sector_legend(&mut items, &layers, &present);

    let short = range.end - range.start <= 72.0;
    let (ticks, labels, _) = if short {
        time_ticks(&range)
    } else {
        let days = (range.start / 24.0).ceil() as i64..=(range.end / 24.0).floor() as i64;
        let ticks: Vec<f64> = days.map(|d| d as f64 * 24.0).collect();
        let labels = ticks.iter().map(|&t| day_label(t, false)).collect();
        (ticks, labels, vec![])
    };
    let light: Vec<f64> = if short {
        vec![]
    } else {
        ((range.start / 6.0).ceil() as i64..=(range.end / 6.0).floor() as i64)
            .map(|k| k as f64 * 6.0)
            .filter(|t| t.rem_euclid(24.0) != 0.0)
            .collect()
    };
    let x_desc = if short {
        format!(
            "Time ({})",
            zone_label(&h.offset, ctx.study.time_zone.as_deref())
        )
    } else {
        format!(
            "Day, ticks at midnight ({})",
            zone_label(&h.offset, ctx.study.time_zone.as_deref())
        )
    };
    let lines: Vec<RefLine> = ctx.it_line().into_iter().collect();
    let y = with_lines(y, &lines);
    let subtitle = format!("{subtitle}{}", off_scale_note(&y, &lines));
    let dr = ctx.dr_marks(&range);
    if !dr.is_empty() {
        items.push(legend(DR_SPAN_LEGEND, Swatch::Patch(DR_COLOUR.mix(0.3))));
    }
    let x = XAxis::keyed(range.clone(), ticks, labels, light, x_desc);
    let head = Head {
        title,
        subtitle,
        items,
    };
    chart(&head, x, y.clone(), "Power (MW)", &lines, |chart| {
        let zeros = vec![0.0; hours.len()];
        for (k, &s) in layers.iter().enumerate() {
            let bottom = if k == 0 { &zeros } else { &tops[k - 1] };
            let mut poly = hourly_points(hours, &tops[k]);
            poly.extend(hourly_points(hours, bottom).into_iter().rev());
            chart.draw_series(std::iter::once(Polygon::new(
                poly,
                SECTOR_COLOURS[s].filled(),
            )))?;
        }
        draw_dr_spans(chart, &dr, &y)?;
        chart.draw_series(DashedLineSeries::new(facility, 7, 5, INK.stroke_width(2)))?;
        Ok(())
    })
}

fn join_or(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [a] => a.to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Load duration curve
// ---------------------------------------------------------------------------------------------

/// Facility power sorted from highest to lowest against the hours it is met or exceeded: P50 and
/// the run's highest percentile across trials from `load_duration.csv` when present, otherwise
/// the hourly P50 and highest-percentile bands sorted (an upper curve, not a per-trial curve).
pub(super) fn load_duration(
    ctx: &Context,
    file: Option<&LoadDuration>,
) -> Result<String, DrawError> {
    let h = &ctx.h;
    let (mid, upper, mid_label, upper_label, source) = match file {
        Some(ld) => (
            curve(&ld.hours_exceeded, &ld.p50),
            curve(&ld.hours_exceeded, &ld.upper),
            "P50 across trials".to_string(),
            format!("{} across trials", ld.upper_label),
            "from load_duration.csv".to_string(),
        ),
        None => (
            ranked(&h.facility.p50),
            ranked(&h.facility.hi),
            "Hourly P50 across trials, sorted".to_string(),
            format!(
                "Hourly {} band, sorted (an upper curve)",
                h.facility.hi_label
            ),
            format!(
                "curves are the hourly bands across {} sorted",
                ctx.trials_text()
            ),
        ),
    };
    let x_max = mid
        .iter()
        .chain(&upper)
        .map(|p| p.0)
        .fold(h.len() as f64, f64::max);
    let x = 0.0..x_max;
    let y = axis_range(mid.iter().chain(&upper).map(|p| p.1), true);

    let mean = finite_mean(&h.facility.mean);
    let mut notes = vec![source];
    if let Some(m) = mean {
        notes.push(format!("mean facility power {}", with_unit(m, "MW")));
    }
    if let Some(peaks) = ctx.trials.as_ref().and_then(|t| t.peak_mw.as_ref()) {
        let p = finite_sorted(peaks);
        if let (Some(&hi), false) = (p.last(), p.is_empty()) {
            let med = median_sorted(&p);
            notes.push(format!(
                "peak of each trial: median {}, highest {}",
                with_unit(med, "MW"),
                with_unit(hi, "MW")
            ));
        }
    }
    let title = format!("Load duration curve: facility power — {}", ctx.run);
    let subtitle = format!(
        "{}: power sorted from highest to lowest; {}.",
        ctx.period_text(),
        notes.join("; ")
    );
    let items = vec![
        legend(upper_label, Swatch::Line(VERMILLION, 2)),
        legend(mid_label, Swatch::Line(BLUE, 3)),
    ];
    let hours_total = h.len();
    // The x axis is hours ranked by load, not time: the capacity is drawn flat at its final
    // (largest) value.
    let lines: Vec<RefLine> = ctx
        .facility_lines()
        .into_iter()
        .map(|l| RefLine {
            steps: Vec::new(),
            ..l
        })
        .collect();
    let y = with_lines(y, &lines);
    let subtitle = format!("{subtitle}{}", off_scale_note(&y, &lines));
    let x = XAxis::numeric(
        x,
        12,
        format!("Hours at or above the power (h, of {hours_total} h in the study)"),
    );
    let head = Head {
        title,
        subtitle,
        items,
    };
    chart(&head, x, y, "Facility power (MW)", &lines, |chart| {
        chart.draw_series(LineSeries::new(upper, VERMILLION.stroke_width(2)))?;
        chart.draw_series(LineSeries::new(mid, BLUE.stroke_width(3)))?;
        Ok(())
    })
}

/// A curve of `load_duration.csv`: its finite (hours exceeded, MW) points in order of hours.
fn curve(hours: &[f64], mw: &[f64]) -> Vec<(f64, f64)> {
    let mut c: Vec<(f64, f64)> = hours
        .iter()
        .zip(mw)
        .map(|(&x, &y)| (x, y))
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect();
    c.sort_by(|a, b| a.0.total_cmp(&b.0));
    c
}

/// An hourly series as a duration curve: its finite values from highest to lowest against
/// their rank (1, 2, ...).
fn ranked(v: &[f64]) -> Vec<(f64, f64)> {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    s.sort_by(|a, b| b.total_cmp(a));
    s.into_iter()
        .enumerate()
        .map(|(i, y)| ((i + 1) as f64, y))
        .collect()
}

/// The finite values of `v`, ascending.
fn finite_sorted(v: &[f64]) -> Vec<f64> {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    s.sort_by(f64::total_cmp);
    s
}

fn finite_mean(v: &[f64]) -> Option<f64> {
    let (sum, n) = v
        .iter()
        .filter(|x| x.is_finite())
        .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| sum / n as f64)
}

fn median_sorted(v: &[f64]) -> f64 {
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Monthly energy by sector
// ---------------------------------------------------------------------------------------------

/// Energy per calendar month by sector, stacked bars, with the facility overhead (cooling and
/// losses: facility minus IT) on top so the bar is the facility's energy. From `monthly.csv` when
/// it has the sector columns, otherwise summed from the hourly sector means (MW × 1 h = MWh).
pub(super) fn monthly_energy(ctx: &Context, file: Option<&[Month]>) -> Result<String, DrawError> {
    let computed;
    let (months, source) = match file {
        Some(m) => (m, "from monthly.csv".to_string()),
        None => {
            computed = months_from_hourly(&ctx.h);
            (
                computed.as_slice(),
                format!(
                    "sums of the hourly means across {} (MW × 1 h = MWh)",
                    ctx.trials_text()
                ),
            )
        }
    };
    let n = months.len();
    let mut present = [false; 5];
    for m in months {
        for (s, v) in m.sectors_mwh.iter().enumerate() {
            present[s] |= *v != 0.0;
        }
    }
    let total_it: f64 = months.iter().flat_map(|m| m.sectors_mwh).sum();
    let total_overhead: f64 = months.iter().map(|m| m.overhead_mwh).sum();
    let show_overhead = total_overhead > 0.001 * total_it.max(1e-9);
    let bar_total = |m: &Month| {
        m.sectors_mwh.iter().sum::<f64>() + if show_overhead { m.overhead_mwh } else { 0.0 }
    };
    let max_total = months.iter().map(bar_total).fold(0.0, f64::max);
    let (scale, unit) = if max_total >= 10_000.0 {
        (1e-3, "GWh")
    } else {
        (1.0, "MWh")
    };
    let y = 0.0..(max_total * scale * 1.12).max(1e-6);
    let layers: Vec<usize> = STACK.iter().copied().filter(|&s| present[s]).collect();

    let (labels, partial) = month_labels(months);

    let title = format!("Monthly energy by sector — {}", ctx.run);
    let mut subtitle = format!("{}; {source}", ctx.period_text());
    subtitle.push_str(&trial_energy_note(ctx, |v| with_unit(v * scale, unit)));
    if !partial.is_empty() {
        subtitle.push_str(&format!("; * partial month: {}", partial.join(", ")));
    }
    subtitle.push('.');
    let mut items = Vec::new();
    if show_overhead {
        items.push(legend(
            "Facility overhead (cooling, losses)",
            Swatch::Patch(GREY.to_rgba()),
        ));
    }
    push_sector_legend(&mut items, &layers, &present);
    if n <= 40 {
        items.push(legend(format!("Numbers: bar total, {unit}"), Swatch::None));
    }

    let ticks: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
    // At least four bar slots, so one or two months do not become slabs.
    let pad = (4.0 - n as f64).max(0.0) / 2.0;
    let mut x = XAxis::keyed(-pad..n as f64 + pad, ticks, labels, vec![], "Month");
    x.grid = false;
    let head = Head {
        title,
        subtitle,
        items,
    };
    chart(&head, x, y, &format!("Energy ({unit})"), &[], |chart| {
        let width = if n > 18 { 0.8 } else { 0.64 };
        for (i, m) in months.iter().enumerate() {
            let x0 = i as f64 + 0.5 - width / 2.0;
            let x1 = i as f64 + 0.5 + width / 2.0;
            let mut base = 0.0;
            let mut bars = Vec::new();
            for &s in &layers {
                let v = m.sectors_mwh[s] * scale;
                bars.push(Rectangle::new(
                    [(x0, base), (x1, base + v)],
                    SECTOR_COLOURS[s].filled(),
                ));
                base += v;
            }
            if show_overhead {
                let v = m.overhead_mwh * scale;
                bars.push(Rectangle::new([(x0, base), (x1, base + v)], GREY.filled()));
                base += v;
            }
            chart.draw_series(bars)?;
            if n > 40 {
                continue; // too many bars for their numbers to fit
            }
            let label_style =
                font(if n > 18 { 13.0 } else { 15.0 }).pos(Pos::new(HPos::Center, VPos::Bottom));
            chart.draw_series(std::iter::once(
                EmptyElement::at((i as f64 + 0.5, base))
                    + Text::new(bar_number(base), (0, -4), label_style),
            ))?;
        }
        Ok(())
    })
}

/// The bars' labels, and the partial months (`Jan 2025, 100 of 744 h`) the starred labels
/// refer to. Drops the year from all but the first bar and January when every bar has one; on
/// long studies labels only every 3rd, 6th or 12th month so the labels do not run into each
/// other.
fn month_labels(months: &[Month]) -> (Vec<String>, Vec<String>) {
    let partial: Vec<String> = months
        .iter()
        .filter_map(|m| match m.coverage {
            Some((covered, all)) if covered < all => {
                Some(format!("{}, {covered} of {all}\u{a0}h", m.label))
            }
            _ => None,
        })
        .collect();
    let labels: Vec<String> = months
        .iter()
        .map(|m| match m.coverage {
            Some((covered, all)) if covered < all => format!("{}*", m.label),
            _ => m.label.clone(),
        })
        .collect();
    let labels = if months.len() > 18 {
        thin_month_labels(labels)
    } else {
        shorten_month_labels(labels)
    };
    (labels, partial)
}

/// `; facility energy of each trial over the study: median …, range … to …` (or the one value
/// when every trial's is the same), from trials.csv; empty without it.
fn trial_energy_note(ctx: &Context, u: impl Fn(f64) -> String) -> String {
    let Some(energy) = ctx.trials.as_ref().and_then(|t| t.energy_mwh.as_ref()) else {
        return String::new();
    };
    let e = finite_sorted(energy);
    let (Some(&lo), Some(&hi)) = (e.first(), e.last()) else {
        return String::new();
    };
    if u(lo) == u(hi) {
        format!("; facility energy over the study: {} in every trial", u(lo))
    } else {
        format!(
            "; facility energy of each trial over the study: median {}, range {} to {}",
            u(median_sorted(&e)),
            u(lo),
            u(hi)
        )
    }
}

/// A bar total with three significant figures or so.
fn bar_number(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Labels for more than 18 bars: only every 3rd month (6th beyond 40 bars, 12th beyond 80),
/// counted from January, keep a label; the first kept label and each January carry the year.
fn thin_month_labels(labels: Vec<String>) -> Vec<String> {
    let step = match labels.len() {
        0..=40 => 3,
        41..=80 => 6,
        _ => 12,
    };
    let month_of = |l: &str| (1..=12u32).find(|&m| l.starts_with(super::data::month_abbr(m)));
    let mut first = true;
    labels
        .iter()
        .map(|l| match month_of(l) {
            Some(m) if (m - 1) % step == 0 => {
                let keep_year = first || m == 1;
                first = false;
                if keep_year {
                    l.clone()
                } else {
                    l.split_once(' ').map_or(l.clone(), |(m, rest)| {
                        format!("{m}{}", if rest.ends_with('*') { "*" } else { "" })
                    })
                }
            }
            Some(_) => String::new(),
            None => l.clone(),
        })
        .collect()
}

/// `Jan 2025, Feb 2025, ...` becomes `Jan 2025, Feb, ...`: the year only on the first bar and on
/// each January.
fn shorten_month_labels(labels: Vec<String>) -> Vec<String> {
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let starts_jan = l.starts_with("Jan ");
            match l.split_once(' ') {
                Some((m, rest)) if i > 0 && !starts_jan && rest.len() >= 4 => {
                    let star = if rest.ends_with('*') { "*" } else { "" };
                    format!("{m}{star}")
                }
                _ => l.clone(),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 5. PUE against outdoor temperature
// ---------------------------------------------------------------------------------------------

/// A build-out hour's PUE above this many times the steady value is a commissioning hour
/// (a few MW of IT under a plant's fixed losses gives PUE in the hundreds): left out of the
/// PUE plot, whose axis it would stretch until every steady hour sat on one line.
pub(super) const COMMISSIONING_PUE_FACTOR: f64 = 1.5;

/// The hours the PUE plot leaves out, and the steady PUE they were judged against: hours while
/// the installed IT is below its final value whose PUE exceeds [`COMMISSIONING_PUE_FACTOR`] ×
/// the median PUE of the hours at the final installed IT. None without an installed-IT column
/// (no build-out to tell commissioning by).
pub(super) fn commissioning_hours(h: &Hourly, pue: &[f64]) -> (Vec<bool>, Option<f64>) {
    let mut out = vec![false; h.len()];
    let Some(inst) = h.installed_it.as_ref() else {
        return (out, None);
    };
    let full = inst
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let at_full = |i: usize| inst[i].is_finite() && inst[i] >= full * (1.0 - 1e-9);
    let mut steady: Vec<f64> = (0..h.len())
        .filter(|&i| at_full(i) && pue[i].is_finite())
        .map(|i| pue[i])
        .collect();
    if steady.is_empty() {
        return (out, None);
    }
    steady.sort_by(f64::total_cmp);
    let median = steady[steady.len() / 2];
    for (i, o) in out.iter_mut().enumerate() {
        *o = !at_full(i) && pue[i] > COMMISSIONING_PUE_FACTOR * median;
    }
    (out, Some(median))
}

/// Hourly PUE (mean across trials) against outdoor dry bulb, coloured by season, with the
/// average per 1 °C bin; commissioning hours left out ([`commissioning_hours`]) and counted in
/// the subtitle. `None` when the run has no PUE or dry-bulb column (no physical facility), or
/// no finite pair.
pub(super) fn pue_vs_temperature(ctx: &Context) -> Option<Result<String, DrawError>> {
    let h = &ctx.h;
    let (pue, temp) = (h.pue.as_ref()?, h.drybulb.as_ref()?);
    let (skip, steady) = commissioning_hours(h, pue);
    let pairs: Vec<(usize, f64, f64)> = (0..h.len())
        .filter(|&i| temp[i].is_finite() && pue[i].is_finite() && !skip[i])
        .map(|i| (i, temp[i], pue[i]))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let left_out = skip.iter().filter(|&&s| s).count();
    let x = axis_range(pairs.iter().map(|p| p.1), false);
    let y = axis_range(pairs.iter().map(|p| p.2), false);

    const SEASONS: [(&str, RGBColor); 4] = [
        ("Dec–Feb", BLUE),
        ("Mar–May", GREEN),
        ("Jun–Aug", VERMILLION),
        ("Sep–Nov", ORANGE),
    ];
    let season_of = |hour: f64| (date_of_hour(hour).month % 12 / 3) as usize;
    // One dot per pixel-sized cell and season: same picture, a fraction of the file size.
    let qx = (x.end - x.start) / 1100.0;
    let qy = (y.end - y.start) / 460.0;
    let mut seen = HashSet::new();
    let mut dots: [Vec<(f64, f64)>; 4] = Default::default();
    for &(i, t, p) in &pairs {
        let s = season_of(h.hour[i]);
        let key = ((t / qx).round() as i64, (p / qy).round() as i64, s);
        if seen.insert(key) {
            dots[s].push((t, p));
        }
    }
    // Average PUE per 1 °C bin with at least 3 hours.
    let mut bins: std::collections::BTreeMap<i64, (f64, usize)> = Default::default();
    for &(_, t, p) in &pairs {
        let e = bins.entry(t.floor() as i64).or_insert((0.0, 0));
        e.0 += p;
        e.1 += 1;
    }
    let curve: Vec<(f64, f64)> = bins
        .into_iter()
        .filter(|(_, (_, n))| *n >= 3)
        .map(|(b, (s, n))| (b as f64 + 0.5, s / n as f64))
        .collect();

    let title = format!("PUE against outdoor dry-bulb temperature — {}", ctx.run);
    let mut subtitle = format!(
        "{}: each dot is one hour's mean across {} ({} hours); line: average PUE per 1 °C bin.",
        ctx.period_text(),
        ctx.trials_text(),
        pairs.len()
    );
    if let (true, Some(m)) = (left_out > 0, steady) {
        subtitle.push_str(&format!(
            " {left_out} commissioning hours left out (build-out hours with PUE above {COMMISSIONING_PUE_FACTOR} × {m:.3}, the median at full installed IT)."
        ));
    }
    let mut items: Vec<LegendItem> = SEASONS
        .iter()
        .enumerate()
        .filter(|(s, _)| !dots[*s].is_empty())
        .map(|(_, (name, c))| legend(*name, Swatch::Dot(*c)))
        .collect();
    items.push(legend("Average per 1 °C bin", Swatch::Line(INK, 3)));

    let head = Head {
        title,
        subtitle,
        items,
    };
    let x = XAxis::numeric(x, 14, "Outdoor dry-bulb temperature (°C)");
    Some(chart(
        &head,
        x,
        y,
        "PUE (facility power ÷ IT power)",
        &[],
        |chart| {
            for (s, (_, colour)) in SEASONS.iter().enumerate() {
                let style = colour.mix(0.5).filled();
                chart.draw_series(dots[s].iter().map(|&p| Circle::new(p, 2, style)))?;
            }
            chart.draw_series(LineSeries::new(curve, INK.stroke_width(3)))?;
            Ok(())
        },
    ))
}

/// Legend entries for the stacked sectors (top of the stack first) and a note naming the
/// sectors with no load.
fn push_sector_legend(items: &mut Vec<LegendItem>, layers: &[usize], present: &[bool]) {
    for &s in layers.iter().rev() {
        items.push(legend(
            if s < super::data::N_SECTORS {
                format!("{} IT", SECTORS[s].1)
            } else {
                SECTORS[s].1.to_string()
            },
            Swatch::Patch(SECTOR_COLOURS[s].to_rgba()),
        ));
    }
    let absent: Vec<&str> = (0..super::data::N_SECTORS)
        .filter(|&s| !present[s])
        .map(|s| SECTORS[s].0)
        .collect();
    if !absent.is_empty() {
        items.push(legend(
            format!("(no {} load)", join_or(&absent)),
            Swatch::None,
        ));
    }
}
