//! Curtailment-enabled headroom (`dcload headroom`), in the manner of Norris, Profeta,
//! Patino-Echeverri and Cowie-Haskell, "Rethinking Load Growth: Assessing the Potential for
//! Integration of Large Flexible Loads in US Power Systems", Nicholas Institute for Energy,
//! Environment & Sustainability, Duke University, February 2025 (https://hdl.handle.net/10161/32077).
//!
//! The method, as implemented here (the paper's section "Determining Load Additions for
//! Curtailment Limits" and its footnotes 19-21):
//!
//! 1. The system's hourly load `L_h` over several years (a balancing authority's EIA-930
//!    "Demand" series, or a plain `timestamp,MW` CSV). The paper used 2016-2024, cleaned.
//! 2. Two thresholds: the largest load of the whole record in summer and in winter. The paper
//!    finds the summer peak in June-August and the winter peak in December-February (or within a
//!    month of them where a BA peaked there) and applies the summer peak to April-October and the
//!    winter peak to November-March. Here a season's threshold is the largest load in the months
//!    it applies to (`--summer-months`, default 4-10; the rest are winter), which is the paper's
//!    rule with its one-month extension taken always; the two differ only if an April or October
//!    hour beat the May-September peak.
//! 3. A new load of size `X` MW is added. In hour `h` it draws `p_h = X * s_h`, where `s_h` is
//!    its shape (1 for the paper's constant load; the study's hourly facility profile divided by
//!    its peak for a simulated campus). Whenever `L_h + p_h` would exceed the season's threshold
//!    `T`, the new load is curtailed by the excess: `c_h = min(p_h, max(0, L_h + p_h - T))`.
//! 4. Curtailment rate: each calendar year's curtailed MWh over the new load's energy that year
//!    (its "maximum potential annual consumption" for a constant load), averaged over the years,
//!    each year weighted by its share of a year (its hours in the record over 8,760): a partial
//!    year (a record starting on 31 December at 19:00 because it is written at -05:00) counts
//!    for the hours it has. For a constant load this is the record's curtailed energy over its
//!    energy, whatever clock the timestamps are written in.
//! 5. The headroom at a curtailment limit (0.25, 0.5, 1, 5 %) is the largest `X` whose rate is at
//!    most the limit, found by bisection (the paper used a root finder): the rate never falls as
//!    `X` grows, since each year's curtailed energy is convex in `X` and zero at `X = 0`.
//!
//! Reported for each limit: the headroom in MW, curtailed hours and MWh (over the record and per
//! year), the mean length of a curtailment event (a run of consecutive curtailed hours), and the
//! share of curtailed hours in which at least half of the new load keeps running.
//!
//! **A simulated campus's flexibility.** A real campus can lower its grid draw only by shedding
//! its flexible work, a share `f_h` of its draw (training that pauses, consumer work that
//! degrades: the run's demand-response flexibility per sector weighted by the sectors' hourly
//! mean IT power, or `--flex`), plus on-site backup carrying up to a share `b` of its peak
//! (`--backup-share`, default 0). In hour `h` the curtailment is bounded by
//! `min(p_h, f_h * p_h + b * X)`; a size `X` at which some hour needs more than that is not
//! admissible (the system would go above its historical peak). "Keeps running" counts the
//! backup-carried part as running. Because the record's peak hour has `L_h = T`, a campus whose
//! firm part (`(1 - f_h) * p_h` beyond the backup) is drawn at that hour has no headroom under
//! this method: that is reported (binding constraint `firm load at peak`), not hidden.
//!
//! The files: `system_load.rs`, `eia930.rs` and `plain.rs` read the record (`stamp.rs` its
//! fields),
//! `seasons.rs` sets the thresholds (step 2), `evaluate.rs` is steps 3 to 5, `profile.rs` the
//! study's load, `table.rs` headroom.csv and the console table; this file, the command.

mod eia930;
mod evaluate;
mod plain;
mod profile;
mod seasons;
mod stamp;
mod system_load;
mod table;

use std::path::PathBuf;

use crate::base::error::{Error, Result};

pub use evaluate::{Headroom, NewLoad, Outcome, evaluate, headroom, headroom_within};
pub use profile::{StudyProfile, read_study_profile};
pub use seasons::{Thresholds, check_record, parse_months};
pub use system_load::{ReadOptions, parse_system_load, read_system_load};
pub use table::{csv, table};

/// The curtailment limits the paper reports (per cent of the new load's energy).
pub const DEFAULT_LIMITS_PCT: [f64; 4] = [0.25, 0.5, 1.0, 5.0];

/// Events longer than this many hours are counted (`--events-over`): a common offer is
/// "curtail for up to 4 hours".
pub const DEFAULT_EVENTS_OVER_H: u32 = 4;

/// Hours in a year, for per-year figures.
const YEAR_H: f64 = 8760.0;

/// Months under the summer threshold by default: April to October. The paper takes the summer
/// peak in June-August and the winter peak in December-February (or within a month of them when
/// a BA peaked there) and applies the summer peak to April-October and the winter peak to
/// November-March.
pub const DEFAULT_SUMMER: &str = "4-10";

/// One hour of the system's load.
#[derive(Clone, Debug, PartialEq)]
pub struct Hour {
    /// Hours since 1970-01-01 00:00 (UTC when the input says so, else local): consecutive hours
    /// differ by 1, which is how curtailment events are told apart.
    pub index: i64,
    /// Local calendar year, month (1-12), day and hour of day (0-23, hour beginning).
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub mw: f64,
}

/// A system's hourly load, sorted by time, no duplicates.
#[derive(Clone, Debug, Default)]
pub struct SystemLoad {
    pub hours: Vec<Hour>,
    /// What was read, for the console ("EIA-930 PJM, column Demand (MW)").
    pub what: String,
}

fn input_err(file: &str, line: usize, col: usize, field: &str, msg: impl Into<String>) -> Error {
    Error::Input {
        file: file.to_string(),
        line,
        col,
        field: field.to_string(),
        msg: msg.into(),
    }
}

/// `dcload headroom` options.
#[derive(Debug, clap::Args)]
pub struct HeadroomArgs {
    /// The system's hourly load: EIA-930 balance files (six-month CSVs, any number) or
    /// `timestamp,MW` CSVs, several years.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Balancing authority code in EIA-930 files holding several (e.g. PJM, ERCO, DUK).
    #[arg(long, value_name = "CODE")]
    pub ba: Option<String>,
    /// EIA-930 demand column [default: "Demand (MW)"]; "Demand (MW) (Adjusted)" is EIA's
    /// gap-filled series.
    #[arg(long, value_name = "NAME")]
    pub column: Option<String>,
    /// Months under the summer peak threshold (the rest are under the winter one), as a range
    /// or list; the paper's split is April-October.
    #[arg(long, value_name = "M-M|M,M", default_value = DEFAULT_SUMMER)]
    pub summer_months: String,
    /// Curtailment limits in per cent of the new load's energy.
    #[arg(long, value_name = "PCT,PCT,...", default_value = "0.25,0.5,1,5")]
    pub limits: String,
    /// Also for this study's simulated load: a `dcload run` output folder.
    #[arg(long, value_name = "DIR")]
    pub run: Option<PathBuf>,
    /// The study's profile: a load_8760.csv percentile (p50, mean, p90, ...) or trial:N (from
    /// traces/facility_mw.csv, written by run --traces).
    #[arg(long, value_name = "pNN|mean|trial:N", default_value = "p50")]
    pub profile: String,
    /// Share of the study's draw that can be shed, every hour (overrides the share computed
    /// from the run's sectors and demand-response flexibility).
    #[arg(long, value_name = "SHARE")]
    pub flex: Option<f64>,
    /// On-site backup able to carry this share of the study load's peak during curtailment.
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub backup_share: f64,
    /// The run's calendar year whose profile is used, shape and peak both [default: the run's
    /// last whole year].
    #[arg(long, value_name = "YYYY")]
    pub year: Option<i32>,
    /// The clock of `timestamp,MW` rows written without an offset (e.g. -05:00) [default: UTC];
    /// rows with an offset (`Z`, `-05:00`) are read at theirs.
    #[arg(long, value_name = "±HH:MM", allow_hyphen_values = true)]
    pub utc_offset: Option<String>,
    /// Also hold every curtailment event to at most H consecutive hours: each limit's headroom
    /// is then the largest load within both (binding `event length` when this stops it).
    #[arg(long, value_name = "H")]
    pub max_event_hours: Option<u32>,
    /// Count the events longer than N hours (`events_over` in headroom.csv).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_EVENTS_OVER_H)]
    pub events_over: u32,
    /// Output folder for headroom.csv.
    #[arg(long, value_name = "DIR", default_value = "out/headroom")]
    pub out: PathBuf,
    #[arg(long, short)]
    pub quiet: bool,
}

fn share_opt(option: &str, x: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(Error::Option {
            option: option.into(),
            msg: format!("expected a share from 0 to 1, found {x}"),
        })
    }
}

/// Parses `--limits`.
pub fn parse_limits(s: &str) -> Result<Vec<f64>> {
    s.split(',')
        .map(|t| {
            t.trim()
                .trim_end_matches('%')
                .parse::<f64>()
                .ok()
                .filter(|x| *x > 0.0 && *x < 100.0)
                .ok_or_else(|| Error::Option {
                    option: "--limits".into(),
                    msg: format!(
                        "expected per cents between 0 and 100 separated by commas (e.g. 0.25,0.5,1,5), found `{}`",
                        t.trim()
                    ),
                })
        })
        .collect()
}

/// Runs `dcload headroom`: writes OUT/headroom.csv and prints the table.
pub fn run_cli(a: &HeadroomArgs) -> Result<PathBuf> {
    let limits = parse_limits(&a.limits)?;
    let summer = parse_months(&a.summer_months).map_err(|m| Error::Option {
        option: "--summer-months".into(),
        msg: m,
    })?;
    check_study_options(a)?;
    let flex = a.flex.map(|x| share_opt("--flex", x)).transpose()?;
    let backup = share_opt("--backup-share", a.backup_share)?;
    // Check the study folder before the (possibly long) read of the system load.
    let study = a
        .run
        .as_ref()
        .map(|d| read_study_profile(d, &a.profile, flex, a.year))
        .transpose()?;
    let load = read_system_load(
        &a.files,
        &ReadOptions {
            ba: a.ba.clone(),
            column: a.column.clone(),
            naive_offset_min: naive_offset_min(a)?,
        },
    )?;
    let thr = Thresholds::of(&load, summer);
    check_record(&load, &thr)?;
    let mut cases = vec![NewLoad::flat(load.hours.len())];
    if let Some(sp) = &study {
        cases.push(sp.on(&load, backup)?);
    }
    let mut rows = Vec::new();
    for c in &cases {
        for &l in &limits {
            rows.push((
                c.name.clone(),
                headroom_within(&load, &thr, c, l / 100.0, a.max_event_hours),
            ));
        }
    }
    if (load.hours.len() as f64) < YEAR_H {
        eprintln!(
            "WARNING: the system's record is {} hours, less than a year: its seasonal peaks and curtailment rates rest on part of a year (the method uses several whole years)",
            load.hours.len()
        );
    }
    let path = a.out.join("headroom.csv");
    crate::base::io::write_atomic(&path, csv(&rows, a.events_over).as_bytes())?;
    if !a.quiet {
        print_console(&load, &thr, study.as_ref(), &rows, a.events_over);
        println!("wrote {}", path.display());
    }
    Ok(path)
}

/// The options that describe the study's load mean nothing without `--run`.
fn check_study_options(a: &HeadroomArgs) -> Result<()> {
    if a.run.is_some() {
        return Ok(());
    }
    for (given, opt) in [
        (a.flex.is_some(), "--flex"),
        (a.backup_share != 0.0, "--backup-share"),
        (a.profile != "p50", "--profile"),
        (a.year.is_some(), "--year"),
    ] {
        if given {
            return Err(Error::Option {
                option: opt.into(),
                msg: "describes the study's load: give its output folder with --run DIR".into(),
            });
        }
    }
    Ok(())
}

/// `--utc-offset` in minutes east of UTC.
fn naive_offset_min(a: &HeadroomArgs) -> Result<Option<i64>> {
    a.utc_offset
        .as_deref()
        .map(|o| {
            crate::base::time::parse_utc_offset(o)
                .map(|s| i64::from(s) / 60)
                .map_err(|m| Error::Option {
                    option: "--utc-offset".into(),
                    msg: m,
                })
        })
        .transpose()
}

/// The record read, the study's profile and the table.
fn print_console(
    load: &SystemLoad,
    thr: &Thresholds,
    study: Option<&StudyProfile>,
    rows: &[(String, Headroom)],
    over_h: u32,
) {
    let (first, last) = (&load.hours[0], &load.hours[load.hours.len() - 1]);
    let span = (last.index - first.index + 1) as usize;
    println!(
        "{}: {} hours ({:.1} years){}; summer peak {:.0} MW, winter peak {:.0} MW",
        load.what,
        load.hours.len(),
        load.hours.len() as f64 / YEAR_H,
        if span > load.hours.len() {
            format!(", {} hours missing in the span", span - load.hours.len())
        } else {
            String::new()
        },
        thr.summer_mw,
        thr.winter_mw
    );
    if let Some(sp) = study {
        println!("study: {}", sp.description);
    }
    print!("{}", table(rows, over_h));
}
