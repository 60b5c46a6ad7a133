//! Files the grid's tools read (issue 24 item 6): the window's power as COMTRADE (IEEE
//! C37.111-2013, for waveform viewers and relay tools), as an OpenDSS LoadShape with a Load
//! that follows it (distribution studies), and as an ANDES TimeSeries driving a PQ load at a
//! bus of a dynamic case (transmission dynamics). `scripts/check-exports.sh` loads each into
//! the open tool that reads it.
//!
//! Every export takes its values from the same series as waveform.csv, so a tool's figures can
//! be checked against that file; each file states its precision.

mod andes;
mod comtrade;
mod opendss;

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::base::error::{Error, Result, Source};
use crate::base::time::{Calendar, Date};

/// One tool's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Comtrade,
    OpenDss,
    Andes,
}

impl Format {
    const NAMES: &'static str = "comtrade, opendss or andes";

    fn parse(s: &str) -> std::result::Result<Format, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "comtrade" => Ok(Format::Comtrade),
            "opendss" => Ok(Format::OpenDss),
            "andes" => Ok(Format::Andes),
            other => Err(format!("expected {}, found {other:?}", Format::NAMES)),
        }
    }
}

/// The .dat file's encoding (C37.111-2013 clause 7.4.10): integers scaled by each channel's
/// a and b (ASCII, 16-bit BINARY, 32-bit BINARY32) or 32-bit floats (FLOAT32).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatFormat {
    Ascii,
    Binary,
    Binary32,
    Float32,
}

impl DatFormat {
    fn parse(s: &str) -> std::result::Result<DatFormat, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ascii" => Ok(DatFormat::Ascii),
            "binary" => Ok(DatFormat::Binary),
            "binary32" => Ok(DatFormat::Binary32),
            "float32" => Ok(DatFormat::Float32),
            other => Err(format!(
                "expected ascii, binary, binary32 or float32, found {other:?}"
            )),
        }
    }
}

/// Which power OpenDSS's and ANDES's load follows (COMTRADE carries both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Series {
    /// What the grid sees: after the power floor, the burn filler and the battery.
    Grid,
    /// The facility unmitigated.
    Facility,
}

/// `[export]` of the dynamics file, as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct ExportSpec {
    formats: Option<Vec<String>>,
    series: Option<String>,
    comtrade_format: Option<String>,
    power_factor: Option<f64>,
    line_frequency_hz: Option<f64>,
    opendss_bus: Option<String>,
    opendss_kv: Option<f64>,
    andes_bus: Option<i64>,
    andes_vn_kv: Option<f64>,
    andes_base_mva: Option<f64>,
}

/// What to export and how: the `[export]` table resolved, `--export` and
/// `--comtrade-format` applied over it.
#[derive(Clone, Debug)]
pub struct Export {
    pub formats: Vec<Format>,
    pub series: Series,
    pub comtrade_format: DatFormat,
    /// Lagging power factor of the load; None: no reactive power (Q channels left out).
    pub power_factor: Option<f64>,
    pub line_frequency_hz: f64,
    pub opendss_bus: String,
    pub opendss_kv: f64,
    pub andes_bus: i64,
    pub andes_vn_kv: f64,
    pub andes_base_mva: f64,
}

impl Default for Export {
    /// ANDES's defaults place the load at bus 7 (230 kV) of Kundur's two-area case, which
    /// ANDES ships (cases/kundur/kundur_full.xlsx), on its 100 MVA system base.
    fn default() -> Self {
        Export {
            formats: Vec::new(),
            series: Series::Grid,
            comtrade_format: DatFormat::Binary,
            power_factor: None,
            line_frequency_hz: 60.0,
            opendss_bus: "dcload".into(),
            opendss_kv: 34.5,
            andes_bus: 7,
            andes_vn_kv: 230.0,
            andes_base_mva: 100.0,
        }
    }
}

fn positive(src: &Source, field: &str, v: Option<f64>, d: f64) -> Result<f64> {
    let x = v.unwrap_or(d);
    if x.is_finite() && x > 0.0 {
        Ok(x)
    } else {
        Err(src.error(field, format!("expected a number above 0, found {x}")))
    }
}

/// `[export]` checked; errors name the file, line and key.
pub(super) fn resolve(src: &Source, e: &ExportSpec) -> Result<Export> {
    let d = Export::default();
    let formats = e
        .formats
        .iter()
        .flatten()
        .map(|f| Format::parse(f).map_err(|m| src.error("formats", m)))
        .collect::<Result<Vec<_>>>()?;
    let series = match e.series.as_deref() {
        None | Some("grid") => Series::Grid,
        Some("facility") => Series::Facility,
        Some(other) => {
            return Err(src.error(
                "series",
                format!("expected \"grid\" or \"facility\", found {other:?}"),
            ));
        }
    };
    let comtrade_format = e
        .comtrade_format
        .as_deref()
        .map(|f| DatFormat::parse(f).map_err(|m| src.error("comtrade_format", m)))
        .transpose()?
        .unwrap_or(d.comtrade_format);
    if let Some(pf) = e.power_factor
        && !(pf > 0.0 && pf <= 1.0)
    {
        return Err(src.error(
            "power_factor",
            format!("expected a power factor above 0, at most 1, found {pf}"),
        ));
    }
    let bus = e.opendss_bus.clone().unwrap_or(d.opendss_bus);
    if bus.is_empty() || !bus.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(src.error(
            "opendss_bus",
            format!("expected a bus name of letters, digits and _, found {bus:?}"),
        ));
    }
    Ok(Export {
        formats: dedup(formats),
        series,
        comtrade_format,
        power_factor: e.power_factor,
        line_frequency_hz: positive(src, "line_frequency_hz", e.line_frequency_hz, 60.0)?,
        opendss_bus: bus,
        opendss_kv: positive(src, "opendss_kv", e.opendss_kv, d.opendss_kv)?,
        andes_bus: e.andes_bus.unwrap_or(d.andes_bus),
        andes_vn_kv: positive(src, "andes_vn_kv", e.andes_vn_kv, d.andes_vn_kv)?,
        andes_base_mva: positive(src, "andes_base_mva", e.andes_base_mva, d.andes_base_mva)?,
    })
}

fn dedup(v: Vec<Format>) -> Vec<Format> {
    let mut out: Vec<Format> = Vec::new();
    for f in v {
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}

/// `--export comtrade,opendss,andes` and `--comtrade-format`, over the file's table.
pub fn apply_flags(ex: &mut Export, list: Option<&str>, dat: Option<&str>) -> Result<()> {
    if let Some(list) = list {
        let formats = list
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(Format::parse)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|msg| Error::Option {
                option: "--export".into(),
                msg: format!("{msg} (a comma-separated list)"),
            })?;
        if formats.is_empty() {
            return Err(Error::Option {
                option: "--export".into(),
                msg: format!(
                    "expected {} (a comma-separated list), found {list:?}",
                    Format::NAMES
                ),
            });
        }
        ex.formats = dedup(formats);
    }
    if let Some(f) = dat {
        if !ex.formats.contains(&Format::Comtrade) {
            return Err(Error::Option {
                option: "--comtrade-format".into(),
                msg: "expected comtrade among the exports (--export comtrade or [export] formats)"
                    .into(),
            });
        }
        ex.comtrade_format = DatFormat::parse(f).map_err(|msg| Error::Option {
            option: "--comtrade-format".into(),
            msg,
        })?;
    }
    Ok(())
}

/// The window as the exports see it.
pub struct Window<'a> {
    /// Plain name (the dynamics file's), for station and element names.
    pub name: &'a str,
    pub step_s: f64,
    /// Seconds from the study start of the first sample.
    pub t0_s: f64,
    pub grid_mw: &'a [f64],
    pub facility_mw: &'a [f64],
}

impl Window<'_> {
    fn series(&self, s: Series) -> &[f64] {
        match s {
            Series::Grid => self.grid_mw,
            Series::Facility => self.facility_mw,
        }
    }
}

/// Reactive power per MW at the export's power factor (0 without one).
fn q_per_p(ex: &Export) -> f64 {
    ex.power_factor
        .map_or(0.0, |pf| (1.0 - pf * pf).sqrt() / pf)
}

/// A name the tools' parsers take: letters, digits and `_` only.
fn element_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("dcload_{s}")
}

/// The first sample's local date-time on the study clock, to the microsecond, and the clock's
/// offset from UTC then (s).
fn local_start(cal: &Calendar, t0_s: f64) -> (Date, u64, i32) {
    let whole = t0_s.floor();
    let us = ((t0_s - whole) * 1e6).round() as u64;
    let t = whole as i64;
    let off = cal.offset_at(t);
    let local = cal.local_s(t);
    let date = Date::from_days_since_epoch(local.div_euclid(86_400));
    (date, local.rem_euclid(86_400) as u64 * 1_000_000 + us, off)
}

/// Writes each asked format's files into `out`; returns their paths.
pub fn write(out: &Path, ex: &Export, w: &Window, cal: &Calendar) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut emit = |name: &str, bytes: &[u8]| -> Result<()> {
        let p = out.join(name);
        crate::base::io::write_atomic(&p, bytes)?;
        files.push(p);
        Ok(())
    };
    for f in &ex.formats {
        match f {
            Format::Comtrade => {
                let c = comtrade::files(ex, w, local_start(cal, w.t0_s));
                emit("waveform.cfg", c.cfg.as_bytes())?;
                emit("waveform.dat", &c.dat)?;
            }
            Format::OpenDss => {
                let o = opendss::files(ex, w);
                emit("loadshape.csv", o.mult.as_bytes())?;
                emit("loadshape.dss", o.dss.as_bytes())?;
            }
            Format::Andes => {
                let a = andes::files(ex, w);
                emit("andes_timeseries.csv", a.series.as_bytes())?;
                emit("andes_load.json", a.devices.as_bytes())?;
            }
        }
    }
    Ok(files)
}
