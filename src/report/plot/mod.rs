//! Plots a planner would rather look at than read: SVG charts drawn from a finished run's output
//! folder (`hourly.csv`, `trials.csv`, and `load_duration.csv` / `monthly.csv` when present).
//!
//! [`plot_dir`] writes `DIR/plots/*.svg`, each with a PNG of it beside it (`*.png`, the same
//! picture rendered by resvg at 1200 × 600 px, for slides and reports):
//!
//! - `facility_year.svg`: facility power over the study, mean line and the band between the
//!   run's lowest and highest percentile (summary.json's `percentiles`, e.g. P10–P90);
//! - `sectors_week.svg`: IT power by sector, stacked, for one week;
//! - `load_duration.svg`: facility power sorted from highest to lowest against hours exceeded;
//! - `monthly_energy.svg`: energy by sector per calendar month, stacked bars;
//! - `pue_vs_temperature.svg`: hourly PUE against outdoor dry bulb, only when the run modelled
//!   the physical facility (the `pue` and `outdoor_drybulb_c` columns exist);
//! - `tornado_peak_mw.svg`, `tornado_energy_mwh.svg`: when the run has `effects.csv` (uncertain
//!   inputs), the change in the peak and in the energy as each input moves from its P10 to its
//!   P90, largest on top, with the 95 % confidence interval as whiskers.
//!
//! Text is laid out with an embedded DejaVu Sans (registered once as `sans-serif`), so no system
//! font library is needed; the SVG files name the `sans-serif` family and any viewer's font works.
//! The PNG renderer loads the same embedded font, so the PNGs look the same on every machine.
//!
//! Titles name the run (`summary.json`'s `run`; a sweep variant adds its swept values). Facility
//! charts draw the grid import limit and the installed capacity as dashed lines when the run has
//! them, and the demand-response events of `dr_events.csv` as marks.

mod charts;
mod data;
mod draw;
#[cfg(feature = "png")]
mod png;
/// SVG text to PNG bytes with the embedded font (the dynamics plots use it too).
#[cfg(feature = "png")]
pub use png::render as render_png;
mod tornado;

#[cfg(test)]
mod tests;

use std::fs;
use std::path::{Path, PathBuf};

/// DejaVu Sans, under the Bitstream Vera fonts licence (DejaVu changes public domain), which
/// permits redistribution with software.
static DEJAVU_SANS: &[u8] = include_bytes!("DejaVuSans.ttf");

impl From<PlotError> for crate::Error {
    fn from(e: PlotError) -> Self {
        crate::Error::Plot(Box::new(e))
    }
}

/// Why the plots could not be drawn. Messages name the file and, for bad content, the line.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// A file could not be opened or read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A column the plots need is not in the file's header.
    #[error("{}: missing column {column}", path.display())]
    MissingColumn { path: PathBuf, column: String },
    /// A cell that should hold a number does not.
    #[error("{}:{line}: column {column}: expected a number, found {found:?}", path.display())]
    BadValue {
        path: PathBuf,
        line: u64,
        column: String,
        found: String,
    },
    /// A `timestamp` cell that is not a timestamp like `2025-07-15T20:00:00-05:00`.
    #[error(
        "{}:{line}: column timestamp: expected a timestamp like 2025-07-15T20:00:00-05:00, found {found:?}",
        path.display()
    )]
    BadTimestamp {
        path: PathBuf,
        line: u64,
        found: String,
    },
    /// The file is not well-formed CSV (ragged rows, invalid UTF-8, ...) or its rows are out of order.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Csv {
        path: PathBuf,
        line: Option<u64>,
        message: String,
    },
    /// The file has a header but no data rows.
    #[error("{}: no data rows", path.display())]
    Empty { path: PathBuf },
    /// Drawing a chart failed.
    #[error("{}: cannot draw: {message}", path.display())]
    Draw { path: PathBuf, message: String },
    /// A plot file could not be written.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The embedded font could not be loaded (a build problem, not a data one).
    #[error("the embedded DejaVu Sans font could not be loaded")]
    Font,
}

/// Registers the embedded font under the `sans-serif` family, once per process.
fn register_font() -> Result<(), PlotError> {
    static DONE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font(
            "sans-serif",
            plotters::style::FontStyle::Normal,
            DEJAVU_SANS,
        )
        .is_ok()
    });
    if ok { Ok(()) } else { Err(PlotError::Font) }
}

/// Draws the plots of the finished run in `dir` into `dir/plots/` and returns the paths written.
///
/// Reads `dir/hourly.csv` (required), `dir/trials.csv` (used for the trial count and per-trial
/// peaks and energy when present), and `dir/load_duration.csv` and `dir/monthly.csv` when present
/// (otherwise their content is computed from `hourly.csv`). Each SVG is written to a temporary
/// name in `dir/plots/` and renamed into place. `pue_vs_temperature.svg` is drawn only when the
/// run has the `pue` and `outdoor_drybulb_c` columns; a stale one from an earlier run in the same
/// folder is removed otherwise.
pub fn plot_dir(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    register_font()?;
    // Until this drawing is complete, the folder lists no plots (an earlier list would name
    // pictures of other results).
    forget_plots(dir)?;
    // The run's percentile set; folders from before it was recorded carry P05/P95 hourly bands
    // and a P90 load duration curve.
    let set = data::percentile_set(dir)?;
    let (lo, hi, ld_hi) = match &set {
        Some(s) => (s[0], s[s.len() - 1], s[s.len() - 1]),
        None => (5.0, 95.0, 90.0),
    };
    let hourly = data::read_hourly(&dir.join("hourly.csv"), lo, hi)?;
    let trials_path = dir.join("trials.csv");
    let trials = if trials_path.exists() {
        Some(data::read_trials(&trials_path)?)
    } else {
        None
    };
    let ld_path = dir.join("load_duration.csv");
    let load_duration = if ld_path.exists() {
        Some(data::read_load_duration(&ld_path, ld_hi)?)
    } else {
        None
    };
    let monthly_path = dir.join("monthly.csv");
    let monthly = if monthly_path.exists() {
        data::read_monthly(&monthly_path)?
    } else {
        None
    };

    let study = data::read_study(&dir.join("summary.json"))?;
    let dr_path = dir.join("dr_events.csv");
    let dr = if dr_path.exists() {
        data::read_dr_events(&dr_path, &hourly.offset)?
    } else {
        Vec::new()
    };
    let ctx = charts::Context::new(run_title(dir, &study), hourly, trials, study, dr);
    let out_dir = dir.join("plots");
    // The plots go into the run's own folder: a link planted at plots/ (to a folder elsewhere)
    // is refused, not written through.
    if let Ok(m) = fs::symlink_metadata(&out_dir)
        && !m.is_dir()
    {
        return Err(PlotError::Write {
            path: out_dir.clone(),
            source: std::io::Error::other(
                "is a link or a file, not the run's own plots folder; remove it and plot again",
            ),
        });
    }
    fs::create_dir_all(&out_dir).map_err(|source| PlotError::Write {
        path: out_dir.clone(),
        source,
    })?;

    let mut written = Vec::new();
    let mut emit = |name: &str, svg: Result<String, draw::DrawError>| -> Result<(), PlotError> {
        let path = out_dir.join(name);
        let svg = svg.map_err(|e| PlotError::Draw {
            path: path.clone(),
            message: e.0,
        })?;
        write_atomic(&path, svg.as_bytes())?;
        written.push(path.clone());
        #[cfg(feature = "png")]
        {
            let png_path = path.with_extension("png");
            let png = png::render(&svg).map_err(|message| PlotError::Draw {
                path: png_path.clone(),
                message,
            })?;
            write_atomic(&png_path, &png)?;
            written.push(png_path);
        }
        Ok(())
    };
    emit("facility_year.svg", charts::facility_year(&ctx))?;
    emit("sectors_week.svg", charts::sectors_week(&ctx))?;
    emit(
        "load_duration.svg",
        charts::load_duration(&ctx, load_duration.as_ref()),
    )?;
    emit(
        "monthly_energy.svg",
        charts::monthly_energy(&ctx, monthly.as_deref()),
    )?;
    match charts::pue_vs_temperature(&ctx) {
        Some(svg) => emit("pue_vs_temperature.svg", svg)?,
        None => remove_stale(&out_dir, "pue_vs_temperature.svg")?,
    }
    // Tornado charts of the uncertain inputs' effects, when the run has effects.csv.
    let effects_path = dir.join("effects.csv");
    for (output, what, unit) in [("peak_mw", "peak", "MW"), ("energy_mwh", "energy", "MWh")] {
        let name = format!("tornado_{output}.svg");
        let chart = if effects_path.exists() {
            let mut t = tornado::read_effects(&effects_path, output)?;
            // Labels as the run file names its entries, not by list index.
            for b in &mut t.bars {
                b.parameter = ctx.study.label(&b.parameter);
            }
            for (p, _) in &mut t.left_out {
                *p = ctx.study.label(p);
            }
            tornado::tornado(&ctx.run, &t, what, unit)
        } else {
            None
        };
        match chart {
            Some(svg) => emit(&name, svg)?,
            None => remove_stale(&out_dir, &name)?,
        }
    }
    let names: Vec<String> = written
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    write_atomic(
        &dir.join(MANIFEST),
        format!("{}\n", names.join("\n")).as_bytes(),
    )?;
    Ok(written)
}

/// The list of the plots the last drawing wrote (file names in `plots/`, one a line), beside
/// `plots/`: `report` embeds only these, never whatever else lies in the folder.
pub const MANIFEST: &str = "plots.txt";

/// Removes the plot list of `dir` (when a run writes new results without drawing them, or a
/// drawing starts): `report` then embeds no plot of earlier results.
pub fn forget_plots(dir: &Path) -> Result<(), PlotError> {
    let path = dir.join(MANIFEST);
    match fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(PlotError::Write { path, source: e })
        }
        _ => Ok(()),
    }
}

/// Removes a chart this run does not draw (`name`, an SVG, and its PNG) left by an earlier run
/// in the same folder, so the folder never shows a picture of other results.
fn remove_stale(out_dir: &Path, name: &str) -> Result<(), PlotError> {
    for stale in [name.to_string(), name.replace(".svg", ".png")] {
        let stale = out_dir.join(stale);
        if stale.exists() {
            fs::remove_file(&stale).map_err(|source| PlotError::Write {
                path: stale.clone(),
                source,
            })?;
        }
    }
    Ok(())
}

/// The run's name for titles: `summary.json`'s `run` (else the folder's name), and for a sweep
/// variant its swept values, e.g. `campus (facility.design_margin = 1.2)`.
fn run_title(dir: &Path, study: &data::Study) -> String {
    let name = study.run.clone().unwrap_or_else(|| run_name(dir));
    if study.swept.is_empty() {
        name
    } else {
        format!("{name} ({})", study.swept.join(", "))
    }
}

/// The run folder's name: its last component, resolving `.` and `..`.
fn run_name(dir: &Path) -> String {
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    name(dir)
        .or_else(|| dir.canonicalize().ok().as_deref().and_then(name))
        .unwrap_or_else(|| dir.display().to_string())
}

/// Writes `bytes` atomically (see [`crate::base::io::replace_file`]).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    crate::base::io::replace_file(path, bytes, true).map_err(|source| PlotError::Write {
        path: path.to_path_buf(),
        source,
    })
}
