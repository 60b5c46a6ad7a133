//! The study's side: a finished run's hourly facility profile and the share of it that can be
//! shed, for one calendar year, placed on the system's hours as the new load.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::base::error::{Error, Result};
use crate::base::time::{format_utc_offset, is_leap};

use super::evaluate::NewLoad;
use super::stamp::{date_of_hour, hour_of_day, parse_mw, parse_stamp, utc_hour};
use super::{SystemLoad, input_err};

/// A run folder's facility profile and flexibility for one calendar year of the run, placed on
/// the system's hours by instant: both are read on the study's standard time (its smallest UTC
/// offset, e.g. -06:00 for America/Chicago), where every month, day and hour of a year occurs
/// exactly once (no spring gap, no autumn repeat); the system hour at the same instant of the
/// year takes the study's value (29 February falls back to the 28th).
pub struct StudyProfile {
    map: ByDate,
    /// The study's standard time, minutes east of UTC.
    pub std_offset_min: i64,
    /// The run's calendar year used (shape and peak both from it).
    pub year: i32,
    pub peak_mw: f64,
    pub description: String,
}

/// (month, day, hour) on the study's standard time -> (facility MW, sheddable share).
type ByDate = HashMap<(u8, u8, u8), (f64, f64)>;

/// A profile row's instant as written: (local hours since 1970, offset minutes if stated).
type Written = (i64, Option<i64>);

/// Which of the run's profiles: a percentile column of load_8760.csv (`p50`, `mean`, `p90`...)
/// or one trial's column of traces/facility_mw.csv (`trial:N`).
pub fn read_study_profile(
    dir: &Path,
    profile: &str,
    flex_override: Option<f64>,
    year: Option<i32>,
) -> Result<StudyProfile> {
    let (file, column) = profile_source(dir, profile)?;
    let name = file.display().to_string();
    let facility = read_facility(&file, &name, &column)?;
    // The study's standard time: its smallest offset (daylight time adds to it).
    let std_offset_min = facility
        .iter()
        .filter_map(|((_, o), _)| *o)
        .min()
        .unwrap_or(0);
    let (shares, flex_desc) = shed_shares(dir, facility.len(), flex_override)?;
    let per_year = hours_per_year(&facility, std_offset_min);
    let year = choose_year(&name, year, &per_year, std_offset_min)?;
    let (map, peak_mw) = one_year(&facility, &shares, std_offset_min, year);
    if peak_mw <= 0.0 {
        return Err(Error::Other(format!(
            "{name}: column `{column}` is zero everywhere in {year}: nothing to scale"
        )));
    }
    Ok(StudyProfile {
        map,
        std_offset_min,
        year,
        peak_mw,
        description: format!(
            "{} of {}, year {year} of {} (peak {:.1} MW in {year}; placed by instant on the study's standard time, UTC{}); {flex_desc}",
            column,
            dir.display(),
            per_year
                .keys()
                .map(|y| y.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            peak_mw,
            format_utc_offset(std_offset_min as i32 * 60),
        ),
    })
}

/// The file and column `--profile` names in a run folder.
fn profile_source(dir: &Path, profile: &str) -> Result<(PathBuf, String)> {
    let p8760 = dir.join("load_8760.csv");
    if !p8760.is_file() {
        return Err(Error::Other(format!(
            "{}: not a dcload run folder (it has no load_8760.csv): give the output folder of `dcload run` (run the study first)",
            dir.display()
        )));
    }
    let Some(t) = profile.strip_prefix("trial:") else {
        let p = profile.to_ascii_lowercase();
        return Ok((p8760, format!("facility_mw_{p}")));
    };
    let n: u32 = t.parse().map_err(|_| Error::Option {
        option: "--profile".into(),
        msg: format!("expected trial:N with N a trial number, found `{profile}`"),
    })?;
    let f = dir.join("traces").join("facility_mw.csv");
    if !f.is_file() {
        return Err(Error::Option {
            option: "--profile".into(),
            msg: format!(
                "{} does not exist: run the study with --traces to use one trial's profile",
                f.display()
            ),
        });
    }
    Ok((f, format!("trial_{n}")))
}

/// The profile's rows: each row's instant as written and its facility MW.
fn read_facility(file: &Path, name: &str, column: &str) -> Result<Vec<(Written, f64)>> {
    let text = crate::input::limits::read_text(file, 2 * 1024 * 1024 * 1024)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let c = header
        .iter()
        .position(|h| *h == column)
        .ok_or_else(|| Error::Option {
            option: "--profile".into(),
            msg: format!(
                "{name} has no column `{column}`: its columns are {}",
                header[1..].join(", ")
            ),
        })?;
    // A run written with `[report] timestamps = "ending"` stamps each hour with its end: the
    // hour is placed at its start, one hour before, as an interval-beginning file places it.
    let ending = header.first() == Some(&"timestamp_ending");
    let mut facility = Vec::new();
    for (i, l) in lines.enumerate() {
        let f: Vec<&str> = l.split(',').collect();
        let stamp = f.first().copied().unwrap_or("");
        let (local, off, ..) = parse_stamp(name, i + 2, 0, header[0], stamp)?;
        let local = local - i64::from(ending);
        let v = f
            .get(c)
            .and_then(|v| parse_mw(v))
            .ok_or_else(|| input_err(name, i + 2, c + 1, column, "expected a number of MW"))?;
        // (UTC hour, offset minutes): a row without an offset is on the study's clock.
        facility.push(((local, off), v));
    }
    Ok(facility)
}

/// A row's instant on the study's standard time, hours since 1970.
fn on_std((local, off): Written, std_offset_min: i64) -> i64 {
    utc_hour(local, off.or(Some(std_offset_min))) + std_offset_min.div_euclid(60)
}

/// Sheddable share per hour: `--flex` everywhere, else from hourly.csv's mean sector IT power
/// and the run's demand-response flexibility (dcload's defaults when the run states none).
fn shed_shares(dir: &Path, n: usize, flex_override: Option<f64>) -> Result<(Vec<f64>, String)> {
    if let Some(f) = flex_override {
        return Ok((vec![f; n], format!("--flex {f}")));
    }
    let (flex, src) = run_flexibility(dir)?;
    let hp = dir.join("hourly.csv");
    let hname = hp.display().to_string();
    let htext = crate::input::limits::read_text(&hp, 8 * 1024 * 1024 * 1024)?;
    let mut hl = htext.lines();
    let hh: Vec<&str> = hl.next().unwrap_or("").split(',').collect();
    let col = |n: &str| {
        hh.iter().position(|h| *h == n).ok_or_else(|| {
            input_err(
                &hname,
                1,
                0,
                n,
                "expected this column (written by dcload run)",
            )
        })
    };
    let cols = [
        col("it_training_mw_mean")?,
        col("it_consumer_mw_mean")?,
        col("it_industrial_mw_mean")?,
    ];
    let total = col("it_total_mw_mean")?;
    let mut shares = vec![1.0; n];
    for (share, l) in shares.iter_mut().zip(hl) {
        let f: Vec<&str> = l.split(',').collect();
        let get = |c: usize| f.get(c).and_then(|v| parse_mw(v)).unwrap_or(0.0);
        let it = get(total);
        let shed: f64 = cols.iter().zip(flex).map(|(c, x)| get(*c) * x).sum();
        *share = if it > 0.0 {
            (shed / it).clamp(0.0, 1.0)
        } else {
            0.0
        };
    }
    let desc = format!(
        "shed share = (training x {} + consumer x {} + industrial x {}) / IT, hourly means ({src})",
        flex[0], flex[1], flex[2]
    );
    Ok((shares, desc))
}

/// The run's demand-response flexibility [training, consumer, industrial] from summary.json.
fn run_flexibility(dir: &Path) -> Result<([f64; 3], String)> {
    let defaults = [1.0, 0.3, 0.2];
    let p = dir.join("summary.json");
    let text = crate::input::limits::read_text(&p, 256 * 1024 * 1024)?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        input_err(
            &p.display().to_string(),
            e.line(),
            e.column(),
            "",
            e.to_string(),
        )
    })?;
    let f = &v["config"]["grid"]["demand_response"]["flexibility"];
    if !f.is_object() {
        return Ok((
            defaults,
            "the run states no [grid.demand_response] flexibility: dcload's defaults".into(),
        ));
    }
    let mut out = defaults;
    for (i, k) in ["training", "consumer", "industrial"].iter().enumerate() {
        if let Some(x) = f[k].as_f64() {
            out[i] = x;
        }
    }
    Ok((out, "the run's [grid.demand_response] flexibility".into()))
}

/// Hours per calendar year of the profile, on the study's standard time.
fn hours_per_year(facility: &[(Written, f64)], std_offset_min: i64) -> BTreeMap<i32, usize> {
    let mut per_year = BTreeMap::new();
    for (k, _) in facility {
        *per_year
            .entry(date_of_hour(on_std(*k, std_offset_min)).year)
            .or_default() += 1;
    }
    per_year
}

/// The year used: `--year`, else the last whole one. Whole: every hour of the year but the one
/// or two a study clock ahead of its standard time starts after (1 January 00:00 at +11:00 is
/// 31 December 23:00 at +10:00); a missing hour takes its neighbour's value.
fn choose_year(
    name: &str,
    year: Option<i32>,
    per_year: &BTreeMap<i32, usize>,
    std_offset_min: i64,
) -> Result<i32> {
    let whole = |y: i32| {
        let hours = if is_leap(y) { 8784 } else { 8760 };
        per_year.get(&y).copied().unwrap_or(0) as i64 >= hours - 2
    };
    let listing = || {
        per_year
            .iter()
            .map(|(y, n)| format!("{y} ({n} h)"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match year {
        Some(y) if whole(y) => Ok(y),
        Some(y) => Err(Error::Option {
            option: "--year".into(),
            msg: format!(
                "{name} does not cover the whole of {y} (on the study's standard time, UTC{}): its years are {}",
                format_utc_offset(std_offset_min as i32 * 60),
                listing()
            ),
        }),
        None => per_year
            .keys()
            .rev()
            .copied()
            .find(|y| whole(*y))
            .ok_or_else(|| {
                Error::Other(format!(
                    "{name}: headroom needs the study's profile for a whole calendar year (8,760 hours; horizon_hours = 8760 from 1 January), found {}",
                    listing()
                ))
            }),
    }
}

/// The year's (month, day, hour) on standard time -> (facility MW, sheddable share), the first
/// row of each kept, and the year's peak MW.
fn one_year(
    facility: &[(Written, f64)],
    shares: &[f64],
    std_offset_min: i64,
    year: i32,
) -> (ByDate, f64) {
    let mut map = HashMap::new();
    let mut peak_mw = 0.0f64;
    for ((k, v), s) in facility.iter().zip(shares) {
        let t = on_std(*k, std_offset_min);
        let d = date_of_hour(t);
        if d.year != year {
            continue;
        }
        peak_mw = peak_mw.max(*v);
        map.entry((d.month as u8, d.day as u8, hour_of_day(t)))
            .or_insert((*v, *s));
    }
    (map, peak_mw)
}

impl StudyProfile {
    /// The new load on the system's hours.
    pub fn on(&self, load: &SystemLoad, backup_share: f64) -> Result<NewLoad> {
        let mut shape = Vec::with_capacity(load.hours.len());
        let mut flex = Vec::with_capacity(load.hours.len());
        for h in &load.hours {
            let (v, s) = self.at(h.index)?;
            shape.push(v / self.peak_mw);
            flex.push(s);
        }
        Ok(NewLoad {
            shape,
            flex,
            backup_share,
            name: "study".into(),
        })
    }

    /// The study's (MW, sheddable share) at a system hour's instant (hours since 1970, UTC):
    /// that instant on the study's standard time, 29 February falling back to the 28th, else an
    /// hour or two either side.
    fn at(&self, index: i64) -> Result<(f64, f64)> {
        let t = index + self.std_offset_min.div_euclid(60);
        let date = date_of_hour(t);
        let (month, day) = (date.month as u8, date.day as u8);
        let hour = hour_of_day(t);
        let key = (month, day, hour);
        let alt = (month, 28, hour);
        self.map
            .get(&key)
            .or_else(|| (month == 2 && day == 29).then(|| self.map.get(&alt)).flatten())
            .or_else(|| {
                [1u8, 2]
                    .iter()
                    .flat_map(|k| [hour.wrapping_sub(*k), hour + k])
                    .find_map(|hh| self.map.get(&(month, day, hh)))
            })
            .copied()
            .ok_or_else(|| {
                Error::Other(format!(
                    "the study's profile has no hour for {month:02}-{day:02} {hour:02}:00 (standard time) in {}: headroom needs a profile covering a whole year (horizon_hours = 8760)",
                    self.year
                ))
            })
    }
}
