//! The portfolio file (TOML) as written, and its resolution into a checked [`Portfolio`].
//!
//! ```toml
//! [portfolio]
//! name = "queue"            # out/<name>/ (default: the file's stem)
//! start_year = 2026         # first calendar year reported
//! years = 5
//! trials = 200
//! seed = 7
//! zones = ["north", "south"]
//! utc_offset = "-06:00"     # the portfolio clock (default +00:00)
//!
//! [[archetype]]             # a site study (an ordinary run file) whose trials are replayed
//! name = "training"
//! run = "archetypes/training.toml"   # relative to this file
//!
//! [stage.study]             # probability of energisation and delay, with their source
//! probability = 0.5
//! delay_days = { dist = "lognormal", mean = 270, sd = 180 }
//! source = "estimate"
//!
//! [correlation]
//! market_sd = 0.5           # sd of a shared normal shock on every project's logit
//! supply_chain_days = { dist = "lognormal", mean = 60, sd = 60 }   # common to a calendar year
//!
//! [[project]]
//! name = "N-01"
//! zone = "north"
//! archetype = "training"
//! mw = 300                  # MW at the meter (a number or a distribution)
//! stage = "study"
//! online = "2027-06-01"     # announced online date
//! ```
//!
//! Every error names the file, the line and the field.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use toml::Spanned;

use crate::base::error::{Result, Source};
use crate::base::stats::Percentiles;
use crate::base::time::{Date, is_leap};
use crate::input::uncertain::Dist;

/// Most calendar years a portfolio reports.
pub const MAX_YEARS: i64 = 50;
/// Most portfolio trials.
pub const MAX_TRIALS: i64 = 100_000;
/// Most projects in one portfolio.
pub const MAX_PROJECTS: usize = 100_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    portfolio: HeaderSpec,
    #[serde(default)]
    archetype: Vec<ArchetypeSpec>,
    #[serde(default)]
    stage: BTreeMap<Spanned<String>, StageSpec>,
    correlation: Option<CorrelationSpec>,
    #[serde(default)]
    project: Vec<ProjectSpec>,
    system_load: Option<SystemLoadSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderSpec {
    name: Option<Spanned<String>>,
    description: Option<String>,
    start_year: Spanned<i64>,
    years: Spanned<i64>,
    trials: Option<Spanned<i64>>,
    seed: Option<u64>,
    zones: Spanned<Vec<Spanned<String>>>,
    utc_offset: Option<Spanned<String>>,
    percentiles: Option<Spanned<Vec<f64>>>,
    /// Default ramp-up of every project (days from its online date to full draw).
    ramp_days: Option<Spanned<f64>>,
    /// Which archetype trial a project replays: "shared" or "independent".
    site_trials: Option<Spanned<String>>,
    /// Whether archetypes of one synthetic climate share its weather: "shared" or "archetype".
    weather: Option<Spanned<String>>,
    /// A CSV of projects (one row each), relative to this file; adds to `[[project]]`.
    queue: Option<Spanned<String>>,
}

/// `[system_load]`: the system's hourly load (the files `dcload headroom` reads).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SystemLoadSpec {
    files: Spanned<Vec<String>>,
    ba: Option<String>,
    column: Option<String>,
    utc_offset: Option<Spanned<String>>,
    top_hours: Option<Spanned<i64>>,
    summer_months: Option<Spanned<String>>,
    limits: Option<Spanned<Vec<f64>>>,
    flex: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArchetypeSpec {
    name: Spanned<String>,
    run: Spanned<String>,
    trials: Option<Spanned<i64>>,
    mw: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StageSpec {
    probability: Spanned<f64>,
    #[serde(default)]
    delay_days: Option<Spanned<NumSpec>>,
    /// Whether the year's supply-chain delay applies (default true; false for projects already
    /// drawing).
    #[serde(default)]
    supply_chain: Option<bool>,
    source: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorrelationSpec {
    #[serde(default)]
    market_sd: Option<Spanned<f64>>,
    #[serde(default)]
    supply_chain_days: Option<Spanned<NumSpec>>,
    #[serde(default)]
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProjectSpec {
    pub name: Spanned<String>,
    pub zone: Spanned<String>,
    pub archetype: Spanned<String>,
    pub mw: Option<Spanned<NumSpec>>,
    pub it_mw: Option<Spanned<NumSpec>>,
    pub stage: Spanned<String>,
    pub online: Option<Spanned<String>>,
    pub phases: Option<Spanned<Vec<PhaseSpec>>>,
    pub probability: Option<Spanned<f64>>,
    pub delay_days: Option<Spanned<NumSpec>>,
    pub ramp_days: Option<Spanned<f64>>,
    pub group: Option<Spanned<String>>,
    #[serde(default)]
    pub source: Option<String>,
}

/// One phase of a project: its announced date, its share of the size and its ramp.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PhaseSpec {
    online: Spanned<String>,
    share: Spanned<f64>,
    ramp_days: Option<Spanned<f64>>,
}

/// A number, or a distribution table (`{ dist = "lognormal", mean = 180, sd = 90 }`) whose
/// parameters [`crate::input::uncertain::find`] reads and checks.
pub(super) enum NumSpec {
    Num(f64),
    Dist,
}

impl<'de> Deserialize<'de> for NumSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<NumSpec, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NumSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a number or a distribution such as { dist = \"lognormal\", mean = 180, sd = 90 }",
                )
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<NumSpec, E> {
                Ok(NumSpec::Num(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<NumSpec, E> {
                Ok(NumSpec::Num(v as f64))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<NumSpec, E> {
                Ok(NumSpec::Num(v))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<NumSpec, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(NumSpec::Dist)
            }
        }
        d.deserialize_any(V)
    }
}

/// A fixed number or a distribution sampled once per trial.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Fixed(f64),
    Dist(Dist),
}

impl Value {
    /// The value's mean (a truncated normal: its untruncated mean clamped to the bounds).
    pub fn mean(&self) -> f64 {
        match self {
            Value::Fixed(x) => *x,
            Value::Dist(d) => d.nominal(),
        }
    }

    /// A draw from `rng` (a fixed value draws nothing).
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Value::Fixed(x) => *x,
            Value::Dist(d) => d.sample(rng),
        }
    }

    /// How the value reads in a table: `180` or `lognormal(mean 180, sd 90)`.
    pub fn describe(&self) -> String {
        let n = crate::base::numfmt::num;
        match self {
            Value::Fixed(x) => n(*x),
            Value::Dist(Dist::Uniform { min, max }) => format!("uniform({}, {})", n(*min), n(*max)),
            Value::Dist(Dist::Triangular { min, mode, max }) => {
                format!("triangular({}, {}, {})", n(*min), n(*mode), n(*max))
            }
            Value::Dist(Dist::Normal { mean, sd, .. }) => {
                format!("normal(mean {}, sd {})", n(*mean), n(*sd))
            }
            Value::Dist(Dist::Lognormal { mean, sd }) => {
                format!("lognormal(mean {}, sd {})", n(*mean), n(*sd))
            }
            Value::Dist(Dist::Choice { values, .. }) => format!("choice of {}", values.len()),
        }
    }
}

/// Which of its archetype's K simulated trials a project replays in portfolio trial t.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteTrials {
    /// Trial t mod K for every project of the archetype: their site-level variation (demand,
    /// weather, failures) moves together, an upper bound on coincidence.
    Shared,
    /// A trial drawn for each project from its own stream: projects of one archetype vary
    /// independently (two may still draw the same trial, with chance 1/K).
    Independent,
}

/// Whether the archetypes of one synthetic climate share its weather (see
/// [`crate::portfolio::archetype`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weather {
    /// Simulated with one seed (the climate's first archetype's) and one K: trial k has the
    /// same weather year in each.
    Shared,
    /// Each archetype keeps its run file's seed: weather independent across archetypes.
    Archetype,
}

/// A phase of a project's build-out: online `offset_h` hours after its first phase (both
/// moved by the project's delay), adding `share` of its size over a linear ramp of `ramp_h`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Phase {
    pub offset_h: f64,
    pub share: f64,
    pub ramp_h: f64,
}

/// `[system_load]`, resolved: the files and how to read them, the peak hours and the headroom
/// limits.
#[derive(Clone, Debug)]
pub struct SystemLoadRef {
    pub files: Vec<PathBuf>,
    pub read: crate::headroom::ReadOptions,
    /// The system's highest hours per year whose portfolio MW is reported.
    pub top_hours: usize,
    pub summer: [bool; 12],
    /// Curtailment limits, per cent.
    pub limits_pct: Vec<f64>,
    /// Share of the portfolio's draw that can be shed (headroom).
    pub flex: f64,
}

/// One reported calendar year of the portfolio clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Year {
    pub year: i32,
    /// Its first hour, counted from the portfolio's start (1 January of `start_year`).
    pub first_hour: usize,
    /// 8760, or 8784 in a leap year.
    pub hours: usize,
}

/// An archetype: a run file whose simulated trials are the projects' hourly shapes.
#[derive(Clone, Debug)]
pub struct Archetype {
    pub name: String,
    pub run: RunRef,
    /// Trials simulated (K); default: the run file's, at most the portfolio's.
    pub trials: Option<u32>,
    /// MW at the meter the archetype's profile stands for; default: the mean across its trials
    /// of its highest hourly facility MW.
    pub mw: Option<f64>,
}

/// A run file named in the portfolio file: as written (for the summary), the path it resolves
/// to, and where it is written (for errors about it found when it is read).
#[derive(Clone, Debug)]
pub struct RunRef {
    pub written: String,
    pub path: PathBuf,
    pub span: Range<usize>,
}

/// A queue stage: the chance a project at this stage is energised and its delay.
#[derive(Clone, Debug)]
pub struct Stage {
    pub name: String,
    pub probability: f64,
    pub delay_days: Value,
    /// Whether its projects take their year's supply-chain delay.
    pub supply_chain: bool,
    pub source: String,
}

/// One project of the queue.
#[derive(Clone, Debug)]
pub struct Project {
    pub name: String,
    pub zone: usize,
    pub archetype: usize,
    /// Its size as written: MW at the meter, or installed IT MW (`it_sized`).
    pub mw: Value,
    pub it_sized: bool,
    /// Meter MW per MW of `mw`: 1, or the archetype's simulated facility peak per installed
    /// IT MW for a project sized in IT MW (set once the archetypes are simulated).
    pub meter_factor: f64,
    pub stage: usize,
    /// Announced online date and its day number (days since 1970-01-01).
    pub online: Date,
    pub online_day: i64,
    /// Probability of energisation (its stage's unless overridden).
    pub probability: f64,
    /// Delay after the announced date, days (its stage's unless overridden).
    pub delay_days: Value,
    /// Its phases (one for a single ramp), the first at `online`.
    pub phases: Vec<Phase>,
    pub group: Option<usize>,
    /// Where its figures come from (free text, optional).
    pub source: Option<String>,
    /// Key of its random streams: a hash of its name, so its draws do not depend on the
    /// other projects or on its position in the file.
    pub key: u64,
}

/// Duplicate requests: at most one member is built.
#[derive(Clone, Debug)]
pub struct Group {
    pub name: String,
    pub members: Vec<usize>,
    pub key: u64,
}

/// A resolved portfolio study.
#[derive(Clone, Debug)]
pub struct Portfolio {
    pub name: String,
    pub description: Option<String>,
    /// The portfolio file (name and text, for errors found after parsing).
    pub src: Source,
    pub dir: PathBuf,
    pub start_year: i32,
    pub years: Vec<Year>,
    pub trials: u32,
    pub seed: u64,
    pub zones: Vec<String>,
    pub utc_offset_s: i32,
    pub percentiles: Percentiles,
    pub site_trials: SiteTrials,
    pub weather: Weather,
    pub archetypes: Vec<Archetype>,
    pub stages: Vec<Stage>,
    /// Standard deviation of the market factor's shock on the logit of every probability.
    pub market_sd: f64,
    /// Delay common to every project announced for the same calendar year, days.
    pub supply_chain_days: Value,
    pub correlation_source: Option<String>,
    pub projects: Vec<Project>,
    pub groups: Vec<Group>,
    /// Projects of the file left out (`--without`).
    pub without: Vec<String>,
    /// The CSV queue the projects after the `[[project]]` tables come from.
    pub queue: Option<PathBuf>,
    pub system_load: Option<SystemLoadRef>,
}

impl Project {
    /// Expected size at the meter, MW.
    pub fn mw_mean(&self) -> f64 {
        self.mw.mean() * self.meter_factor
    }

    /// Hours after its first phase's online instant when every phase draws in full.
    pub fn full_after_h(&self) -> f64 {
        self.phases
            .iter()
            .map(|ph| ph.offset_h + ph.ramp_h)
            .fold(0.0, f64::max)
    }
}

impl Portfolio {
    /// Sets each IT-sized project's meter MW per IT MW from its archetype's (`per_it[a]`).
    pub fn set_meter_factors(&mut self, per_it: &[f64]) {
        for x in &mut self.projects {
            if x.it_sized {
                x.meter_factor = per_it[x.archetype];
            }
        }
    }

    /// Every file the study reads besides the portfolio file: the archetypes' run files, the
    /// queue and the system-load files (shards and merge check they are unchanged).
    pub fn input_files(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = self.archetypes.iter().map(|a| a.run.path.clone()).collect();
        v.extend(self.queue.iter().cloned());
        if let Some(s) = &self.system_load {
            v.extend(s.files.iter().cloned());
        }
        v
    }

    /// Hours from the start of the first year to the end of the last.
    pub fn hours(&self) -> usize {
        self.years.last().map_or(0, |y| y.first_hour + y.hours)
    }

    /// Day number (days since 1970-01-01) of the portfolio's first hour.
    pub fn start_day(&self) -> i64 {
        Date {
            year: self.start_year,
            month: 1,
            day: 1,
        }
        .days_since_epoch()
    }

    /// Reads and resolves a portfolio file.
    pub fn load(path: &Path) -> Result<Portfolio> {
        let text = crate::input::limits::read_text(path, crate::input::limits::MAX_TOML_BYTES)?;
        let stem = path
            .file_stem()
            .map_or("portfolio".into(), |s| s.to_string_lossy().into_owned());
        let dir = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Portfolio::from_source(&Source::new(path.display().to_string(), text), &stem, &dir)
    }

    /// Resolves a portfolio file's text; `dir` is the folder archetype paths are relative to.
    pub fn from_source(src: &Source, stem: &str, dir: &Path) -> Result<Portfolio> {
        let spec: FileSpec = toml::from_str(&src.text).map_err(|e| src.toml_error(&e))?;
        crate::input::limits::check_numbers(src)?;
        let dists = crate::input::uncertain::find(src)?;
        resolve(spec, src, stem, dir, &dists)
    }
}

impl Portfolio {
    /// The portfolio without the named projects (`--without`): the others keep their draws
    /// (they are keyed by name), so the two studies compare trial by trial. Names match
    /// ignoring case; an unknown one is refused with the nearest names.
    pub fn without(&mut self, names: &[String]) -> std::result::Result<(), String> {
        let known: Vec<String> = self.projects.iter().map(|p| p.name.clone()).collect();
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        let mut drop = vec![false; self.projects.len()];
        for n in names {
            let i = crate::input::names::resolve("project", n.trim(), &known)?;
            drop[i] = true;
            self.without.push(known[i].to_string());
        }
        let mut index = vec![usize::MAX; self.projects.len()];
        let mut kept = Vec::new();
        for (i, p) in std::mem::take(&mut self.projects).into_iter().enumerate() {
            if !drop[i] {
                index[i] = kept.len();
                kept.push(p);
            }
        }
        if kept.is_empty() {
            return Err("that leaves no project".into());
        }
        self.projects = kept;
        for g in &mut self.groups {
            g.members = g
                .members
                .iter()
                .map(|&i| index[i])
                .filter(|&i| i != usize::MAX)
                .collect();
        }
        Ok(())
    }
}

/// FNV-1a, 64 bits: a stable hash of a name (its bytes as written).
pub fn name_key(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A name that is also a CSV column or field: letters, digits, `-`, `_`, `.`, non-empty.
fn plain_name(src: &Source, v: &Spanned<String>, field: &str, what: &str) -> Result<String> {
    let s = v.get_ref();
    // Not `-` first: a spreadsheet reads a cell starting with `-` as a formula.
    let ok = !s.is_empty()
        && s.len() <= 64
        && !s.starts_with('-')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(s.clone())
    } else {
        Err(src.error_at(
            v.span(),
            field,
            format!(
                "expected a {what} name of 1 to 64 letters, digits, '-', '_' or '.' (not '-' first), found {:?}",
                crate::base::numfmt::shorten(s, 60)
            ),
        ))
    }
}

fn value(
    src: &Source,
    v: &Spanned<NumSpec>,
    path: &str,
    field: &str,
    dists: &Dists,
) -> Result<Value> {
    match v.get_ref() {
        NumSpec::Num(x) => Ok(Value::Fixed(*x)),
        NumSpec::Dist => dists
            .iter()
            .find(|u| u.path == path || u.span.start == v.span().start)
            .map(|u| Value::Dist(u.dist.clone()))
            .ok_or_else(|| src.error_at(v.span(), field, "expected a number or a distribution")),
    }
}

fn fraction(src: &Source, v: &Spanned<f64>, field: &str, whose: &str) -> Result<f64> {
    let x = *v.get_ref();
    if x.is_finite() && (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(src.error_at(
            v.span(),
            field,
            format!("{whose}: expected a probability between 0 and 1, found {x}"),
        ))
    }
}

fn non_negative(src: &Source, v: &Spanned<f64>, field: &str, whose: &str) -> Result<f64> {
    let x = *v.get_ref();
    if x.is_finite() && x >= 0.0 {
        Ok(x)
    } else {
        Err(src.error_at(
            v.span(),
            field,
            format!("{whose}: expected a number >= 0, found {x}"),
        ))
    }
}

fn whole(src: &Source, v: &Spanned<i64>, field: &str, range: Range<i64>) -> Result<i64> {
    let x = *v.get_ref();
    if range.contains(&x) {
        Ok(x)
    } else {
        Err(src.error_at(
            v.span(),
            field,
            format!(
                "expected a whole number from {} to {}, found {x}",
                range.start,
                range.end - 1
            ),
        ))
    }
}

type Dists = [crate::input::uncertain::Uncertain];

/// Reads the checked file into a portfolio: the header, then each table in turn, each checked
/// against what came before (projects name zones, archetypes and stages).
fn resolve(
    spec: FileSpec,
    src: &Source,
    stem: &str,
    dir: &Path,
    dists: &Dists,
) -> Result<Portfolio> {
    let h = &spec.portfolio;
    let name = folder_name(src, h.name.as_ref(), stem)?;
    let start_year = whole(src, &h.start_year, "start_year", 1900..3001)? as i32;
    let n_years = whole(src, &h.years, "years", 1..MAX_YEARS + 1)? as i32;
    let trials = match &h.trials {
        Some(t) => whole(src, t, "trials", 1..MAX_TRIALS + 1)? as u32,
        None => 100,
    };
    let zones = zones(src, &h.zones)?;
    let utc_offset_s = match &h.utc_offset {
        Some(o) => crate::base::time::parse_utc_offset(o.get_ref())
            .map_err(|m| src.error_at(o.span(), "utc_offset", m))?,
        None => 0,
    };
    let percentiles = match &h.percentiles {
        Some(p) => {
            Percentiles::new(p.get_ref()).map_err(|m| src.error_at(p.span(), "percentiles", m))?
        }
        None => Percentiles::default(),
    };
    let site_trials = site_trials(src, h.site_trials.as_ref())?;
    let weather = weather(src, h.weather.as_ref())?;
    let default_ramp = match &h.ramp_days {
        Some(r) => non_negative(src, r, "ramp_days", "[portfolio]")?,
        None => 0.0,
    };
    let archetypes = archetypes(src, &spec.archetype, dir)?;
    let stages = stages(src, &spec.stage, dists)?;
    let (market_sd, supply_chain_days, correlation_source) =
        correlation(src, spec.correlation.as_ref(), dists)?;
    let known = Known {
        zones: &zones,
        archetypes: &archetypes,
        stages: &stages,
        default_ramp,
    };
    let queue = h.queue.as_ref().map(|q| (dir.join(q.get_ref()), q.span()));
    let csv = match &queue {
        Some((path, span)) => Some(crate::portfolio::queue::read(src, path, span.clone())?),
        None => None,
    };
    let mut entries: Vec<Entry> = spec
        .project
        .iter()
        .enumerate()
        .map(|(i, x)| (src, x, Some(i)))
        .collect();
    if let Some((qsrc, rows)) = &csv {
        entries.extend(rows.iter().map(|x| (qsrc, x, None)));
    }
    let (projects, groups) = projects(src, &entries, &known, dists)?;
    let system_load = spec
        .system_load
        .as_ref()
        .map(|s| system_load(src, s, dir))
        .transpose()?;
    Ok(Portfolio {
        name,
        description: h.description.clone(),
        src: src.clone(),
        dir: dir.to_path_buf(),
        start_year,
        years: calendar_years(start_year, n_years),
        trials,
        seed: h.seed.unwrap_or(1),
        zones,
        utc_offset_s,
        percentiles,
        site_trials,
        weather,
        archetypes,
        stages,
        market_sd,
        supply_chain_days,
        correlation_source,
        projects,
        groups,
        without: Vec::new(),
        queue: queue.map(|(p, _)| p),
        system_load,
    })
}

/// A project's table: its file (the portfolio file or the queue CSV), its spec and its index
/// among the `[[project]]` tables (for the distributions written in them).
type Entry<'a> = (&'a Source, &'a ProjectSpec, Option<usize>);

fn weather(src: &Source, v: Option<&Spanned<String>>) -> Result<Weather> {
    let Some(v) = v else {
        return Ok(Weather::Shared);
    };
    match crate::input::names::resolve("weather choice", v.get_ref(), &["shared", "archetype"]) {
        Ok(0) => Ok(Weather::Shared),
        Ok(_) => Ok(Weather::Archetype),
        Err(m) => Err(src.error_at(v.span(), "weather", m)),
    }
}

/// `[system_load]`: its files (relative to the portfolio file) and options, checked.
fn system_load(src: &Source, s: &SystemLoadSpec, dir: &Path) -> Result<SystemLoadRef> {
    if s.files.get_ref().is_empty() {
        return Err(src.error_at(
            s.files.span(),
            "files",
            "expected at least one system-load file (EIA-930 balance files or timestamp,MW CSVs)",
        ));
    }
    let naive_offset_min = match &s.utc_offset {
        Some(o) => Some(
            i64::from(
                crate::base::time::parse_utc_offset(o.get_ref())
                    .map_err(|m| src.error_at(o.span(), "utc_offset", m))?,
            ) / 60,
        ),
        None => None,
    };
    let top_hours = match &s.top_hours {
        Some(t) => whole(src, t, "top_hours", 1..8761)? as usize,
        None => 100,
    };
    let summer = match &s.summer_months {
        Some(m) => crate::headroom::parse_months(m.get_ref())
            .map_err(|e| src.error_at(m.span(), "summer_months", e))?,
        None => crate::headroom::parse_months(crate::headroom::DEFAULT_SUMMER)
            .map_err(|e| src.error("summer_months", e))?,
    };
    let limits_pct = match &s.limits {
        Some(l) => {
            let v = l.get_ref().clone();
            if v.is_empty() || v.iter().any(|x| !(x.is_finite() && *x > 0.0 && *x < 100.0)) {
                return Err(src.error_at(
                    l.span(),
                    "limits",
                    format!("expected curtailment limits in per cent between 0 and 100, e.g. [0.25, 0.5, 1, 5], found {v:?}"),
                ));
            }
            v
        }
        None => crate::headroom::DEFAULT_LIMITS_PCT.to_vec(),
    };
    let flex = match &s.flex {
        Some(f) => fraction(src, f, "flex", "[system_load]")?,
        None => 1.0,
    };
    Ok(SystemLoadRef {
        files: s.files.get_ref().iter().map(|f| dir.join(f)).collect(),
        read: crate::headroom::ReadOptions {
            ba: s.ba.clone(),
            column: s.column.clone(),
            naive_offset_min,
        },
        top_hours,
        summer,
        limits_pct,
        flex,
    })
}

/// The output folder's name: the file's `name`, or its stem.
fn folder_name(src: &Source, name: Option<&Spanned<String>>, stem: &str) -> Result<String> {
    let Some(n) = name else {
        return Ok(stem.to_string());
    };
    crate::input::limits::check_name(src, n.get_ref()).map_err(|_| {
        src.error_at(
            n.span(),
            "name",
            format!(
                "expected a plain folder name (no /, \\, : or ..), found {:?}",
                n.get_ref()
            ),
        )
    })?;
    Ok(n.get_ref().clone())
}

/// The reported years, each with its first hour from the start and its length.
fn calendar_years(start_year: i32, n_years: i32) -> Vec<Year> {
    let mut years = Vec::new();
    let mut first = 0;
    for y in start_year..start_year + n_years {
        let hours = if is_leap(y) { 8784 } else { 8760 };
        years.push(Year {
            year: y,
            first_hour: first,
            hours,
        });
        first += hours;
    }
    years
}

fn zones(src: &Source, list: &Spanned<Vec<Spanned<String>>>) -> Result<Vec<String>> {
    let mut zones: Vec<String> = Vec::new();
    for z in list.get_ref() {
        let n = plain_name(src, z, "zones", "zone")?;
        if n.eq_ignore_ascii_case("total") {
            return Err(src.error_at(
                z.span(),
                "zones",
                "\"total\" names the sum of the zones in the outputs; call the zone something else",
            ));
        }
        if zones.iter().any(|x| x.eq_ignore_ascii_case(&n)) {
            return Err(src.error_at(z.span(), "zones", format!("zone {n:?} is listed twice")));
        }
        zones.push(n);
    }
    if zones.is_empty() {
        return Err(src.error_at(
            list.span(),
            "zones",
            "expected at least one zone, e.g. zones = [\"north\"]",
        ));
    }
    Ok(zones)
}

fn site_trials(src: &Source, v: Option<&Spanned<String>>) -> Result<SiteTrials> {
    let Some(v) = v else {
        return Ok(SiteTrials::Shared);
    };
    let words = ["shared", "independent"];
    match crate::input::names::resolve("site_trials choice", v.get_ref(), &words) {
        Ok(0) => Ok(SiteTrials::Shared),
        Ok(_) => Ok(SiteTrials::Independent),
        Err(m) => Err(src.error_at(v.span(), "site_trials", m)),
    }
}

fn archetypes(src: &Source, specs: &[ArchetypeSpec], dir: &Path) -> Result<Vec<Archetype>> {
    let mut archetypes: Vec<Archetype> = Vec::new();
    for a in specs {
        let name = plain_name(src, &a.name, "name", "archetype")?;
        if archetypes
            .iter()
            .any(|x| x.name.eq_ignore_ascii_case(&name))
        {
            return Err(src.error_at(
                a.name.span(),
                "name",
                format!("archetype {name:?} is defined twice"),
            ));
        }
        let k = match &a.trials {
            Some(t) => Some(whole(src, t, "trials", 1..MAX_TRIALS + 1)? as u32),
            None => None,
        };
        let mw = match &a.mw {
            Some(m) => {
                let x = *m.get_ref();
                if !(x.is_finite() && x > 0.0) {
                    return Err(src.error_at(
                        m.span(),
                        "mw",
                        format!("archetype {name:?}: expected a positive number of MW, found {x}"),
                    ));
                }
                Some(x)
            }
            None => None,
        };
        archetypes.push(Archetype {
            name,
            run: RunRef {
                written: a.run.get_ref().clone(),
                path: dir.join(a.run.get_ref()),
                span: a.run.span(),
            },
            trials: k,
            mw,
        });
    }
    if archetypes.is_empty() {
        return Err(src.error(
            "archetype",
            "expected at least one [[archetype]] with a name and a run file",
        ));
    }
    Ok(archetypes)
}

/// The stages, in name order.
fn stages(
    src: &Source,
    specs: &BTreeMap<Spanned<String>, StageSpec>,
    dists: &Dists,
) -> Result<Vec<Stage>> {
    let mut stages = Vec::new();
    for (key, s) in specs {
        // A stage's name is a CSV cell of portfolio_projects.csv, as a project's is.
        let sname = &plain_name(src, key, "stage", "stage")?;
        let whose = format!("stage {sname:?}");
        let p = fraction(src, &s.probability, "probability", &whose)?;
        let delay = match &s.delay_days {
            Some(d) => value(
                src,
                d,
                &format!("stage.{sname}.delay_days"),
                "delay_days",
                dists,
            )?,
            None => Value::Fixed(0.0),
        };
        if s.source.get_ref().trim().is_empty() {
            return Err(src.error_at(s.source.span(), "source", format!("{whose}: say where the probability and delay come from, or write \"estimate: ...\"")));
        }
        stages.push(Stage {
            name: sname.clone(),
            probability: p,
            delay_days: delay,
            supply_chain: s.supply_chain.unwrap_or(true),
            source: s.source.get_ref().clone(),
        });
    }
    Ok(stages)
}

/// `[correlation]`: the market factor's sd, the supply-chain delay and their source.
fn correlation(
    src: &Source,
    c: Option<&CorrelationSpec>,
    dists: &Dists,
) -> Result<(f64, Value, Option<String>)> {
    let Some(c) = c else {
        return Ok((0.0, Value::Fixed(0.0), None));
    };
    let sd = match &c.market_sd {
        Some(v) => non_negative(src, v, "market_sd", "[correlation]")?,
        None => 0.0,
    };
    if sd > 10.0 {
        return Err(src.error_at(
            c.market_sd.as_ref().map_or(0..0, Spanned::span),
            "market_sd",
            format!("expected a standard deviation of the logit of at most 10, found {sd}"),
        ));
    }
    let sc = match &c.supply_chain_days {
        Some(v) => value(
            src,
            v,
            "correlation.supply_chain_days",
            "supply_chain_days",
            dists,
        )?,
        None => Value::Fixed(0.0),
    };
    Ok((sd, sc, c.source.clone()))
}

/// What a project may name, resolved before the projects.
struct Known<'a> {
    zones: &'a [String],
    archetypes: &'a [Archetype],
    stages: &'a [Stage],
    default_ramp: f64,
}

/// The projects in file order, and the duplicate-request groups they name.
fn projects(
    src: &Source,
    specs: &[Entry],
    known: &Known,
    dists: &Dists,
) -> Result<(Vec<Project>, Vec<Group>)> {
    if specs.len() > MAX_PROJECTS {
        return Err(src.error("project", format!("at most {MAX_PROJECTS} projects")));
    }
    let zone_names: Vec<&str> = known.zones.iter().map(String::as_str).collect();
    let arch_names: Vec<&str> = known.archetypes.iter().map(|a| a.name.as_str()).collect();
    let stage_names: Vec<&str> = known.stages.iter().map(|s| s.name.as_str()).collect();
    let lists = [zone_names, arch_names, stage_names];
    let mut projects: Vec<Project> = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, (src, p, at)) in specs.iter().enumerate() {
        let name = plain_name(src, &p.name, "name", "project")?;
        if let Some(j) = seen.insert(name.to_ascii_lowercase(), i) {
            return Err(src.error_at(
                p.name.span(),
                "name",
                format!("project {name:?} is defined twice (also project {} in file order): a project's name keys its random draws", j + 1),
            ));
        }
        let mut x = project(src, p, *at, name, known, &lists, dists)?;
        if let Some(g) = &p.group {
            x.group = Some(join_group(
                &mut groups,
                plain_name(src, g, "group", "group")?,
                i,
            ));
        }
        projects.push(x);
    }
    if projects.is_empty() {
        return Err(src.error("project", "expected at least one [[project]]"));
    }
    Ok((projects, groups))
}

/// One project (`i` in file order), checked; its group is set by the caller.
fn project(
    src: &Source,
    p: &ProjectSpec,
    at: Option<usize>,
    name: String,
    known: &Known,
    [zone_names, arch_names, stage_names]: &[Vec<&str>; 3],
    dists: &Dists,
) -> Result<Project> {
    let whose = format!("project {name:?}");
    let pick = |v: &Spanned<String>, field: &str, what: &str, known: &[&str]| {
        crate::input::names::resolve(what, v.get_ref(), known)
            .map_err(|m| src.error_at(v.span(), field, format!("{whose}: {m}")))
    };
    // Distributions are written only in the portfolio file's `[[project]]` tables.
    let (i, dists) = match at {
        Some(i) => (i, dists),
        None => (usize::MAX, &[][..]),
    };
    let zone = pick(&p.zone, "zone", "zone", zone_names)?;
    let archetype = pick(&p.archetype, "archetype", "archetype", arch_names)?;
    let stage = pick(&p.stage, "stage", "stage", stage_names)?;
    let (mw, it_sized) = size(src, p, i, &whose, dists)?;
    let probability = match &p.probability {
        Some(v) => fraction(src, v, "probability", &whose)?,
        None => known.stages[stage].probability,
    };
    let delay_days = match &p.delay_days {
        Some(v) => value(
            src,
            v,
            &format!("project[{i}].delay_days"),
            "delay_days",
            dists,
        )?,
        None => known.stages[stage].delay_days.clone(),
    };
    let ramp_days = match &p.ramp_days {
        Some(v) => non_negative(src, v, "ramp_days", &whose)?,
        None => known.default_ramp,
    };
    let (online, phases) = phases(src, p, &whose, ramp_days)?;
    Ok(Project {
        key: name_key(&name),
        name,
        zone,
        archetype,
        mw,
        it_sized,
        meter_factor: 1.0,
        stage,
        online_day: online.days_since_epoch(),
        online,
        probability,
        delay_days,
        phases,
        group: None,
        source: p.source.clone(),
    })
}

/// A project's size: `mw` (at the meter) or `it_mw` (installed IT), exactly one, positive.
fn size(
    src: &Source,
    p: &ProjectSpec,
    i: usize,
    whose: &str,
    dists: &Dists,
) -> Result<(Value, bool)> {
    let (v, field, it) = match (&p.mw, &p.it_mw) {
        (Some(v), None) => (v, "mw", false),
        (None, Some(v)) => (v, "it_mw", true),
        (Some(_), Some(v)) => {
            return Err(src.error_at(
                v.span(),
                "it_mw",
                format!("{whose}: give its size once: `mw` (MW at the meter) or `it_mw` (installed IT MW), not both"),
            ));
        }
        (None, None) => {
            return Err(src.error_at(
                p.name.span(),
                "mw",
                format!("{whose}: expected its size: `mw` (MW at the meter) or `it_mw` (installed IT MW)"),
            ));
        }
    };
    let mw = value(src, v, &format!("project[{i}].{field}"), field, dists)?;
    if let Value::Fixed(x) = mw
        && !(x.is_finite() && x > 0.0)
    {
        let what = if it { "installed IT" } else { "at the meter" };
        return Err(src.error_at(
            v.span(),
            field,
            format!("{whose}: expected a positive number of MW {what}, found {x}"),
        ));
    }
    Ok((mw, it))
}

/// A project's announced date and phases: `online` (one phase of the whole size, ramped over
/// `ramp_days`) or `phases` (dates in order, shares adding to 1), exactly one.
fn phases(
    src: &Source,
    p: &ProjectSpec,
    whose: &str,
    ramp_days: f64,
) -> Result<(Date, Vec<Phase>)> {
    let date = |v: &Spanned<String>| {
        Date::parse(v.get_ref())
            .map_err(|m| src.error_at(v.span(), "online", format!("{whose}: {m}")))
    };
    let list = match (&p.online, &p.phases) {
        (Some(o), None) => {
            let d = date(o)?;
            let one = Phase {
                offset_h: 0.0,
                share: 1.0,
                ramp_h: ramp_days * 24.0,
            };
            return Ok((d, vec![one]));
        }
        (None, Some(l)) => l,
        (Some(_), Some(l)) => {
            return Err(src.error_at(
                l.span(),
                "phases",
                format!("{whose}: give `online` (one phase) or `phases`, not both"),
            ));
        }
        (None, None) => {
            return Err(src.error_at(
                p.name.span(),
                "online",
                format!("{whose}: expected its announced online date `online` (or `phases`)"),
            ));
        }
    };
    let Some(first) = list.get_ref().first() else {
        return Err(src.error_at(
            list.span(),
            "phases",
            format!(
                "{whose}: expected at least one phase {{ online = \"YYYY-MM-DD\", share = 0.5 }}"
            ),
        ));
    };
    let d0 = date(&first.online)?;
    let mut out = Vec::new();
    let mut prev = d0.days_since_epoch();
    let mut total = 0.0;
    for ph in list.get_ref() {
        let day = date(&ph.online)?.days_since_epoch();
        if day < prev {
            return Err(src.error_at(
                ph.online.span(),
                "online",
                format!("{whose}: phases must be in date order"),
            ));
        }
        prev = day;
        let share = fraction(src, &ph.share, "share", whose)?;
        total += share;
        let ramp = match &ph.ramp_days {
            Some(r) => non_negative(src, r, "ramp_days", whose)?,
            None => ramp_days,
        };
        out.push(Phase {
            offset_h: (day - d0.days_since_epoch()) as f64 * 24.0,
            share,
            ramp_h: ramp * 24.0,
        });
    }
    if (total - 1.0).abs() > 1e-9 {
        return Err(src.error_at(
            list.span(),
            "phases",
            format!("{whose}: the phases' shares add to {total}, expected 1"),
        ));
    }
    Ok((d0, out))
}

/// Adds project `i` to the group named `gname` (made on first use); the group's index.
fn join_group(groups: &mut Vec<Group>, gname: String, i: usize) -> usize {
    let k = match groups.iter().position(|x| x.name == gname) {
        Some(k) => k,
        None => {
            groups.push(Group {
                key: name_key(&gname),
                name: gname,
                members: Vec::new(),
            });
            groups.len() - 1
        }
    };
    groups[k].members.push(i);
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"[portfolio]
start_year = 2027
years = 2
trials = 10
zones = ["a", "b"]

[[archetype]]
name = "site"
run = "site.toml"

[stage.study]
probability = 0.5
delay_days = { dist = "lognormal", mean = 100, sd = 50 }
source = "estimate"

[[project]]
name = "p1"
zone = "a"
archetype = "site"
mw = 100
stage = "study"
online = "2027-03-01"

[[project]]
name = "p2"
zone = "B"
archetype = "site"
mw = { dist = "uniform", min = 50, max = 150 }
stage = "study"
online = "2028-01-01"
delay_days = 30
group = "g"
"#;

    fn parse(text: &str) -> Result<Portfolio> {
        Portfolio::from_source(&Source::new("p.toml", text), "p", Path::new("."))
    }

    #[test]
    fn a_portfolio_resolves_names_values_and_years() {
        let p = parse(OK).unwrap();
        assert_eq!(p.name, "p");
        assert_eq!(p.years.len(), 2);
        assert_eq!(p.years[1].first_hour, 8760);
        assert_eq!(p.years[1].hours, 8784, "2028 is a leap year");
        assert_eq!(p.hours(), 8760 + 8784);
        assert_eq!(p.projects[1].zone, 1, "zones match ignoring case");
        assert!(matches!(
            p.projects[0].delay_days,
            Value::Dist(Dist::Lognormal { .. })
        ));
        assert_eq!(p.projects[1].delay_days, Value::Fixed(30.0));
        assert!(matches!(
            p.projects[1].mw,
            Value::Dist(Dist::Uniform { .. })
        ));
        assert_eq!(p.groups.len(), 1);
        assert_eq!(p.groups[0].members, vec![1]);
        assert_ne!(p.projects[0].key, p.projects[1].key);
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let check = |from: &str, to: &str, field: &str| {
            let bad = OK.replacen(from, to, 1);
            let first = to.lines().next().unwrap();
            let line = bad.lines().position(|l| l.contains(first)).unwrap() + 1;
            let e = parse(&bad).unwrap_err().to_string();
            assert!(e.starts_with(&format!("p.toml:{line}:")), "{e}");
            assert!(e.contains(&format!("`{field}`")), "{e}");
            e
        };
        let e = check("zone = \"B\"", "zone = \"c\"", "zone");
        assert!(e.contains("unknown zone \"c\""), "{e}");
        check("probability = 0.5", "probability = 1.5", "probability");
        check(
            "online = \"2027-03-01\"",
            "online = \"2027-13-01\"",
            "online",
        );
        check("mw = 100", "mww = 100", "mww");
        check(
            "archetype = \"site\"\nmw = 100",
            "archetype = \"sit\"\nmw = 100",
            "archetype",
        );
    }
}
