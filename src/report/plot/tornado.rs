//! Tornado charts from `effects.csv`: for the peak (`tornado_peak_mw.svg`) and the energy
//! (`tornado_energy_mwh.svg`), one horizontal bar per uncertain input, the change in the output
//! when the input moves from its P10 to its P90 across the trials' draws (the other inputs held,
//! from the multiple regression of [`crate::report::effects`]), largest on top, with the 95 % confidence
//! interval as whiskers.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::PlotError;
use super::data::{Table, Wanted, read_table};
use super::draw::{
    AXIS_DESC_PX, BLUE, DrawError, HEIGHT, INK, KeyAxis, MUTED, Swatch, TICK_PX, VERMILLION, WIDTH,
    axis_range, font, font_in, frame, legend, number_format, tick_labeller, with_unit,
};

/// At most this many bars (the largest); the rest are named in the subtitle's count.
const MAX_BARS: usize = 16;

/// One input's bar.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Bar {
    pub parameter: String,
    pub swing: f64,
    /// The 95 % interval, when both ends are in the file.
    pub ci: Option<(f64, f64)>,
    pub rho: Option<f64>,
}

/// One output's rows of effects.csv.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Tornado {
    pub bars: Vec<Bar>,
    /// Inputs with no estimate, with the file's note.
    pub left_out: Vec<(String, String)>,
    pub trials: Option<f64>,
    pub r2: Option<f64>,
}

/// Reads `effects.csv` and returns the rows of `output` (bars sorted by size, largest first).
pub(super) fn read_effects(path: &Path, output: &str) -> Result<Tornado, PlotError> {
    let table = read_table(
        path,
        &Wanted {
            text: &[
                "output",
                "parameter",
                "rho",
                "p10_to_p90",
                "p10_to_p90_ci_low",
                "p10_to_p90_ci_high",
                "trials",
                "r2",
                "note",
            ],
            required: &[],
            optional: &[],
        },
    )?;
    let col = |name: &str| table.txt(name).unwrap_or_default();
    let num = |name: &str, i: usize| -> Result<Option<f64>, PlotError> { cell(&table, name, i) };
    let mut t = Tornado::default();
    for i in 0..table.rows() {
        if col("output")[i] != output {
            continue;
        }
        let parameter = col("parameter")[i].clone();
        t.trials = t.trials.or(num("trials", i)?);
        t.r2 = t.r2.or(num("r2", i)?);
        match num("p10_to_p90", i)? {
            Some(swing) => {
                let ci = match (num("p10_to_p90_ci_low", i)?, num("p10_to_p90_ci_high", i)?) {
                    (Some(lo), Some(hi)) => Some((lo, hi)),
                    _ => None,
                };
                t.bars.push(Bar {
                    parameter,
                    swing,
                    ci,
                    rho: num("rho", i)?,
                });
            }
            None => t.left_out.push((parameter, col("note")[i].clone())),
        }
    }
    t.bars
        .sort_by(|a, b| b.swing.abs().total_cmp(&a.swing.abs()));
    Ok(t)
}

/// A number cell, `None` when empty (an undefined figure); an error naming the line otherwise.
fn cell(table: &Table, name: &str, i: usize) -> Result<Option<f64>, PlotError> {
    let text = table.txt(name).map_or("", |c| c[i].as_str());
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(Some)
        .ok_or_else(|| PlotError::BadValue {
            path: table.path.clone(),
            line: table.lines[i],
            column: name.to_string(),
            found: text.to_string(),
        })
}

/// A long parameter name shortened from the left (the field is at the end of a path).
fn short(name: &str) -> String {
    const MAX: usize = 44;
    let n = name.chars().count();
    if n <= MAX {
        name.to_string()
    } else {
        let tail: String = name.chars().skip(n - (MAX - 1)).collect();
        format!("…{tail}")
    }
}

/// The tornado chart of one output (`what`: "peak", "energy"; `unit`: "MW", "MWh"); `None` when
/// no input has an estimate.
pub(super) fn tornado(
    run: &str,
    t: &Tornado,
    what: &str,
    unit: &str,
) -> Option<Result<String, DrawError>> {
    if t.bars.is_empty() {
        return None;
    }
    Some(draw(run, t, what, unit))
}

fn draw(run: &str, t: &Tornado, what: &str, unit: &str) -> Result<String, DrawError> {
    let bars: Vec<&Bar> = t.bars.iter().take(MAX_BARS).collect();
    let k = bars.len();
    let title = format!("What moves the {what} — {run}");
    let subtitle = subtitle(t, k, what, unit);
    let items = vec![
        legend(format!("raises the {what}"), Swatch::Patch(BLUE.to_rgba())),
        legend(
            format!("lowers the {what}"),
            Swatch::Patch(VERMILLION.to_rgba()),
        ),
        legend("95 % confidence interval", Swatch::Line(INK, 2)),
    ];
    let labels: Vec<String> = bars.iter().map(|b| short(&b.parameter)).collect();
    // Slot k - 1 - i for bar i: the largest at the top.
    let slots: Vec<f64> = (0..k).map(|i| (k - 1 - i) as f64).collect();
    let y_axis = KeyAxis::new(-0.6..k as f64 - 0.4, slots.clone(), vec![]);
    let y_fmt = tick_labeller(slots, labels.clone());
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let label_w = ((longest as f64 * TICK_PX * 0.56) as u32 + 24).clamp(80, WIDTH / 2);
    let texts: Vec<String> = bars.iter().map(|b| value_text(b, unit)).collect();
    let x = x_range(&bars, &texts, f64::from(WIDTH - label_w - 90));
    let x_fmt = number_format(&x, 8);

    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        let area = frame(&root, &title, &subtitle, &items)?;
        let mut chart = ChartBuilder::on(&area)
            .margin_left(16)
            .margin_right(40)
            .margin_top(6)
            .margin_bottom(10)
            .x_label_area_size(56)
            .y_label_area_size(label_w)
            .build_cartesian_2d(x.clone(), y_axis)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(format!(
                "Change in the {what} ({unit}), input from P10 to P90"
            ))
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_labels(8)
            .axis_desc_style(font(AXIS_DESC_PX))
            .label_style(font(TICK_PX))
            .bold_line_style(RGBColor(215, 215, 215))
            .light_line_style(RGBColor(240, 240, 240))
            .max_light_lines(1)
            .draw()?;
        let half = if k > 10 { 0.38 } else { 0.3 };
        for (i, b) in bars.iter().enumerate() {
            let y = (k - 1 - i) as f64;
            let colour = if b.swing >= 0.0 { BLUE } else { VERMILLION };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - half), (b.swing, y + half)],
                colour.mix(0.85).filled(),
            )))?;
            if let Some((lo, hi)) = b.ci {
                let cap = half * 0.55;
                chart.draw_series([
                    PathElement::new(vec![(lo, y), (hi, y)], INK.stroke_width(2)),
                    PathElement::new(vec![(lo, y - cap), (lo, y + cap)], INK.stroke_width(2)),
                    PathElement::new(vec![(hi, y - cap), (hi, y + cap)], INK.stroke_width(2)),
                ])?;
            }
            let end = bar_end(b);
            let text = texts[i].clone();
            let (dx, h) = if b.swing >= 0.0 {
                (8, HPos::Left)
            } else {
                (-8, HPos::Right)
            };
            chart.draw_series(std::iter::once(
                EmptyElement::at((end, y))
                    + Text::new(
                        text,
                        (dx, 0),
                        font_in(TICK_PX, MUTED).pos(Pos::new(h, VPos::Center)),
                    ),
            ))?;
        }
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, -0.6), (0.0, k as f64 - 0.4)],
            INK.stroke_width(1),
        )))?;
        root.present()?;
    }
    Ok(buf)
}

/// What the chart shows, over how many trials and how well the regression explains the spread,
/// and which inputs are not drawn (`drawn`: the bars shown).
fn subtitle(t: &Tornado, drawn: usize, what: &str, unit: &str) -> String {
    let mut subtitle = format!(
        "Change in the {what} ({unit}) when each uncertain input moves from its P10 to its P90 across the trials' draws, the other inputs held: multiple linear regression on all inputs together"
    );
    if let Some(n) = t.trials {
        subtitle.push_str(&format!(" over {n:.0} trials"));
    }
    if let Some(r2) = t.r2 {
        subtitle.push_str(&format!(
            " (R² {r2:.2}: the share of the {what}'s spread it explains)"
        ));
    }
    subtitle
        .push_str(". Whiskers: 95 % confidence interval; ρ: rank correlation. From effects.csv.");
    if t.bars.len() > drawn {
        subtitle.push_str(&format!(
            " {} smaller inputs not drawn.",
            t.bars.len() - drawn
        ));
    }
    if !t.left_out.is_empty() {
        let names: Vec<String> = t
            .left_out
            .iter()
            .take(4)
            .map(|(p, note)| {
                let why = note.split(':').next().unwrap_or("").trim();
                format!("{} ({why})", short(p))
            })
            .collect();
        subtitle.push_str(&format!(
            " Not estimated: {}{}.",
            names.join("; "),
            if t.left_out.len() > 4 { "; ..." } else { "" }
        ));
    }
    subtitle
}

/// The label at a bar's end: `+0.037 MW  ρ 0.99`.
fn value_text(b: &Bar, unit: &str) -> String {
    let sign = if b.swing > 0.0 { "+" } else { "" };
    let mut text = format!("{sign}{}", with_unit(b.swing, unit));
    if let Some(r) = b.rho {
        text.push_str(&format!("  ρ {r:.2}"));
    }
    text
}

/// Where a bar's label starts: past the bar or its whisker, on the bar's side of zero.
fn bar_end(b: &Bar) -> f64 {
    b.ci.map_or(b.swing, |(lo, hi)| {
        if b.swing >= 0.0 {
            hi.max(b.swing)
        } else {
            lo.min(b.swing)
        }
    })
}

/// The x range: zero, every bar and whisker, and room for each label beside its bar (labels
/// are about 0.55 em a character; `plot_px` is the plot's width in pixels).
fn x_range(bars: &[&Bar], texts: &[String], plot_px: f64) -> std::ops::Range<f64> {
    let base = axis_range(
        bars.iter()
            .flat_map(|b| {
                let (lo, hi) = b.ci.unwrap_or((b.swing, b.swing));
                [b.swing, lo, hi]
            })
            .chain(std::iter::once(0.0)),
        false,
    );
    let (mut lo, mut hi) = (base.start.min(0.0), base.end.max(0.0));
    let width =
        |t: &String| ((t.chars().count() as f64 * TICK_PX * 0.55 + 16.0) / plot_px).min(0.4);
    for _ in 0..8 {
        let span = hi - lo;
        for (b, t) in bars.iter().zip(texts) {
            let e = bar_end(b);
            if b.swing >= 0.0 {
                hi = hi.max(e + width(t) * span);
            } else {
                lo = lo.min(e - width(t) * span);
            }
        }
    }
    lo..hi
}
