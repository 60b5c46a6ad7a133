//! A study: the run file (TOML) and its resolution into a [`Scenario`] the engine can step.
//!
//! Resolution happens once, at load time: names become indices, presets are merged, units are
//! converted, and every range and cross-reference is checked, so a bad run file fails before a
//! single trial starts and the step loop never sees a string.

pub mod caveats;
mod checks;
mod describe;
mod resolve;
mod run_file;

pub use checks::{Estimate, check_cell_name, check_run, check_scenario, trace_bytes_per_trial};
pub use run_file::{DEFAULT_RUN, Engine, Hours, RunSpec};
use run_file::{parse_spec, spec_with};

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::base::error::{Error, Result, Source};
use crate::base::time::{Calendar, Date};
use crate::input::files::Files;
use crate::model::facility::Facility;
use crate::model::fleet::Fleet;
use crate::model::fleet::reliability::Failures;
use crate::model::grid::site::Grid;
use crate::model::library::Library;
use crate::model::workload::consumer::ConsumerClass;
use crate::model::workload::defense::Defense;
use crate::model::workload::training::Training;
use crate::model::workload::twin::Twin;

/// A resolved study, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub file: String,
    pub start: Date,
    pub calendar: Calendar,
    /// Hourly rows: the horizon in hours, rounded up (a partial last hour has its own row).
    pub horizon_hours: u64,
    /// The horizon, seconds: a whole number of steps.
    pub horizon_s: u64,
    pub step_s: u64,
    pub seed: u64,
    pub trials: u32,
    pub fleet: Fleet,
    pub consumers: Vec<ConsumerClass>,
    pub twins: Vec<Twin>,
    pub trainings: Vec<Training>,
    pub defenses: Vec<Defense>,
    pub facility: Facility,
    pub grid: Grid,
    pub failures: Option<Failures>,
    /// Hourly metrics written for this study (ids into `metrics::METRICS`) and their names.
    pub metric_ids: Vec<usize>,
    pub metric_names: Vec<&'static str>,
    /// Percentiles reported across trials in every output file.
    pub percentiles: crate::base::stats::Percentiles,
    /// Parameters given as distributions, with what is needed to re-resolve a sampled study.
    pub uncertain: Option<Arc<UncertainStudy>>,
    /// `[report] years` (or `--years`): each year and its hour rows.
    pub report_years: Vec<(i32, std::ops::Range<usize>)>,
    /// `[report] intervals` / `interval_minutes` (or `--interval-minutes`): intervals.csv.
    pub intervals: Option<crate::input::report_spec::IntervalPlan>,
    /// How each trial is stepped (`engine`, `--engine`).
    pub engine: Engine,
    pub spec: RunSpec,
}

/// The uncertain parameters of a study, the run file they are put into (parsed, never
/// edited as text), and the data files its resolutions share.
#[derive(Debug)]
pub struct UncertainStudy {
    pub list: Vec<crate::input::uncertain::Uncertain>,
    src: Source,
    stem: String,
    base_dir: PathBuf,
    lib: Library,
    /// Weather, carbon and trace files, read on the nominal resolution and shared by every
    /// trial's.
    files: Files,
}

// Random-stream tag of the parameter draws (distinct from every workload's).
use crate::base::rng::TAG_PARAMS as PARAMS_TAG;

impl Scenario {
    /// Reads and resolves a run file.
    pub fn load(path: &Path, lib: &Library) -> Result<Scenario> {
        let text = crate::input::limits::read_text(path, crate::input::limits::MAX_TOML_BYTES)?;
        let stem = path
            .file_stem()
            .map_or("run".into(), |s| s.to_string_lossy().into_owned());
        let base = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Scenario::from_source(
            &Source::new(path.display().to_string(), text),
            &stem,
            &base,
            lib,
        )
    }

    /// The embedded default study.
    pub fn default_study(lib: &Library) -> Result<Scenario> {
        Scenario::from_source(
            &Source::new("<built-in>/runs/default.toml", DEFAULT_RUN),
            "default",
            Path::new("."),
            lib,
        )
    }

    /// Reads a run file's text, with any `{ dist = ... }` parameters at their nominal values;
    /// [`Scenario::for_trial`] gives each trial its sampled study.
    pub fn from_source(
        src: &Source,
        stem: &str,
        base_dir: &Path,
        lib: &Library,
    ) -> Result<Scenario> {
        let list = crate::input::uncertain::find(src)?;
        let files = Files::default();
        if list.is_empty() && lib.uncertain.is_empty() {
            let spec = parse_spec(src)?;
            return Scenario::resolve(spec, src, stem, base_dir, lib, &files);
        }
        let nominal: Vec<f64> = list.iter().map(|u| u.dist.nominal()).collect();
        let spec = spec_with(src, &list, &nominal)?;
        let mut sc = Scenario::resolve(spec, src, stem, base_dir, lib, &files)?;
        sc.uncertain = Some(Arc::new(UncertainStudy {
            list,
            src: src.clone(),
            stem: stem.to_string(),
            base_dir: base_dir.to_path_buf(),
            lib: lib.clone(),
            files,
        }));
        Ok(sc)
    }

    /// The study trial `trial` runs: this one, or with its uncertain parameters sampled from the
    /// trial's own stream (so a trial's draws do not depend on any other trial, nor on threads).
    /// The sampled values are put into the parsed run file and resolved with the same checks
    /// as a plain study; the data files it names are not read again.
    pub fn for_trial(&self, trial: u32) -> Result<(Cow<'_, Scenario>, Vec<f64>)> {
        let Some(u) = &self.uncertain else {
            return Ok((Cow::Borrowed(self), Vec::new()));
        };
        let mut rng = crate::base::rng::stream(self.seed, PARAMS_TAG, trial);
        let mut values: Vec<f64> = u
            .list
            .iter()
            .map(|p| {
                let v = p.dist.sample(&mut rng);
                // Fields that count whole things (racks or servers of a group, accelerators of a
                // training job) take the sampled value rounded to the nearest whole number, so a
                // distribution on them samples whole counts (documented in docs/reference/run-file.md, uncertain parameters).
                if crate::input::uncertain::counts_whole_things(&p.path) {
                    v.round()
                } else {
                    v
                }
            })
            .collect();
        // Model-file distributions: a library drawn for this trial.
        let lib = if u.lib.uncertain.is_empty() {
            None
        } else {
            let (lib, v) = u.lib.sample(&mut rng)?;
            values.extend(v);
            Some(lib)
        };
        let run_values = &values[..u.list.len()];
        let mut sc = spec_with(&u.src, &u.list, run_values)
            .and_then(|spec| {
                Scenario::resolve(
                    spec,
                    &u.src,
                    &u.stem,
                    &u.base_dir,
                    lib.as_ref().unwrap_or(&u.lib),
                    &u.files,
                )
            })
            .map_err(|e| {
                let drawn: Vec<String> = self
                    .parameter_names()
                    .iter()
                    .zip(&values)
                    .map(|(p, v)| format!("{p} = {v}"))
                    .collect();
                Error::Other(format!(
                    "trial {trial} with sampled {}: {e}",
                    drawn.join(", ")
                ))
            })?;
        // The study's seed and trial count, whatever the run file says (the plan may have
        // set them).
        sc.set_run(Some(self.seed), Some(self.trials), None);
        // The interval file too (`--interval-minutes` is not in the run file).
        sc.intervals = self.intervals;
        // And the report years (`--years`), whose ramps the trial meters.
        sc.report_years.clone_from(&self.report_years);
        // And the engine (`--engine`).
        sc.engine = self.engine;
        Ok((Cow::Owned(sc), values))
    }

    /// Sets the run's seed, trial count and percentiles where given (from the run plan, a
    /// checkpoint's manifest, or the trials an early stop ran): the one place they change after
    /// resolution, keeping `spec` (written to summary.json) in step.
    pub fn set_run(
        &mut self,
        seed: Option<u64>,
        trials: Option<u32>,
        percentiles: Option<&crate::base::stats::Percentiles>,
    ) {
        if let Some(s) = seed {
            self.seed = s;
            self.spec.seed = s;
        }
        if let Some(t) = trials {
            self.trials = t;
            self.spec.trials = t;
        }
        if let Some(p) = percentiles {
            self.spec.percentiles = Some(p.values().to_vec());
            self.percentiles = p.clone();
        }
    }

    /// Replaces the report years (`--years`); the error says why a year does not fit.
    pub fn set_years(&mut self, years: &[i32]) -> std::result::Result<(), String> {
        self.report_years = crate::input::report_spec::resolve_years(
            &self.calendar,
            self.start,
            self.horizon_s,
            years,
        )?;
        self.spec.report.get_or_insert_with(Default::default).years = years.to_vec();
        Ok(())
    }

    /// Asks for intervals.csv at `minutes` (`--interval-minutes`), keeping the run file's
    /// window; the error says why the length does not fit the step.
    pub fn set_interval_minutes(&mut self, minutes: i64) -> std::result::Result<(), String> {
        self.intervals = crate::input::report_spec::resolve_intervals(
            self.spec.report.as_ref(),
            Some(minutes),
            &self.calendar,
            self.step_s,
            self.horizon_s,
        )
        .map_err(|(_, _, m)| m)?;
        self.spec
            .report
            .get_or_insert_with(Default::default)
            .interval_minutes = Some(toml::Spanned::new(0..0, minutes));
        Ok(())
    }

    /// The calendar years of a horizon that spans more than one (each with its hour rows):
    /// the years of the per-year headlines and `intervals_YYYY.csv`. Empty for a one-year
    /// study, which meters and writes nothing more.
    pub fn headline_years(&self) -> Vec<(i32, std::ops::Range<usize>)> {
        let all =
            crate::input::report_spec::calendar_years(&self.calendar, self.horizon_hours as usize);
        if all.len() > 1 { all } else { Vec::new() }
    }

    /// The years each trial meters apart (`TrialSummary::year_figures`, `year_ramps`): the
    /// headline years, else the `[report] years` (then at most the one year the horizon is).
    /// Each report year is one of them.
    pub fn metered_years(&self) -> Vec<(i32, std::ops::Range<usize>)> {
        let h = self.headline_years();
        if h.is_empty() {
            self.report_years.clone()
        } else {
            h
        }
    }

    /// Names of the uncertain parameters (trials.csv columns), in file order.
    pub fn parameter_names(&self) -> Vec<String> {
        self.uncertain.as_ref().map_or_else(Vec::new, |u| {
            u.list
                .iter()
                .map(|p| p.path.clone())
                .chain(u.lib.parameter_names())
                .collect()
        })
    }

    /// Hourly metric names for this scenario (physics facilities and carbon add their own).
    pub fn metrics(&self) -> &[&'static str] {
        &self.metric_names
    }

    /// Column position of a metric id in this scenario's hourly rows.
    pub fn metric_pos(&self, id: usize) -> Option<usize> {
        self.metric_ids.iter().position(|&m| m == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fleet::Sector;

    /// Two groups in their own pools, `a` and `b`, each with a `pool =` line.
    const TWO: &str = r#"horizon_hours = 24
step_s = 3600
trials = 2
seed = 5
[site]
[[site.group]]
name = "a"
server = "DGX-H100"
count = 10
pool = "pa"
[[site.group]]
name = "b"
server = "DGX-H100"
count = 4
pool = "pb"
[[consumer]]
name = "chat"
preset = "chat"
pool = "pa"
requests_per_day = 1.0e5
[[twin]]
name = "t"
pool = "pb"
base_utilisation = 0.5
[facility]
kind = "fixed"
pue = 1.25
"#;

    fn resolve(text: &str) -> Result<Scenario> {
        let lib = Library::load(None).unwrap();
        Scenario::from_source(&Source::new("t.toml", text), "t", Path::new("."), &lib)
    }

    fn line_of(text: &str, needle: &str, nth: usize) -> usize {
        let at = text.match_indices(needle).nth(nth).unwrap().0;
        text[..at].matches('\n').count() + 1
    }

    #[test]
    fn an_unused_pool_is_reported_at_its_own_groups_line() {
        // Group b's pool serves nothing: the error names b's `pool =` line, not a's (the old
        // locator took the first `pool =` of the file, line 10).
        let text = TWO.replace(
            "[[twin]]\nname = \"t\"\npool = \"pb\"",
            "[[twin]]\nname = \"t\"\npool = \"pa\"",
        );
        let e = resolve(&text).unwrap_err().to_string();
        let b_line = line_of(&text, "pool = \"pb\"", 0);
        assert_eq!(b_line, 15);
        assert!(
            e.starts_with(&format!("t.toml:{b_line}:"))
                && e.contains("field `pool`")
                && e.contains("\"pb\" serves no workload"),
            "{e}"
        );
    }

    #[test]
    fn a_workload_in_an_enclave_is_reported_at_its_own_pool_line() {
        // A mission on pool pb makes it an enclave; the twin that also uses pb is the entry in
        // error, so the error names the twin's `pool =` line (the second `pool = "pb"`).
        let text = TWO.replace(
            "[[twin]]",
            "[[defense]]\nname = \"m\"\npool = \"pb\"\naccelerators = 8\nutilisation = 0.5\n\n[[twin]]",
        );
        let e = resolve(&text).unwrap_err().to_string();
        let twin_line = line_of(&text, "pool = \"pb\"", 2);
        assert!(
            e.starts_with(&format!("t.toml:{twin_line}:")) && e.contains("air-gapped"),
            "{e}"
        );
    }

    #[test]
    fn resolved_values_equal_the_hand_figures() {
        let sc = resolve(TWO).unwrap();
        // 10 + 4 DGX H100: 8 H100 each, 10.2 kW peak each (8 x 700 W + 4.6 kW host, NVIDIA).
        assert_eq!(sc.fleet.groups[0].accelerators, 80.0);
        assert_eq!(sc.fleet.groups[1].accelerators, 32.0);
        assert!(
            (sc.fleet.peak_w() - 14.0 * 10_200.0).abs() < 1e-6,
            "{}",
            sc.fleet.peak_w()
        );
        // 1e5 requests a day.
        assert!((sc.consumers[0].requests_per_s - 1.0e5 / 86_400.0).abs() < 1e-12);
        assert_eq!(
            (sc.horizon_hours, sc.horizon_s, sc.step_s),
            (24, 86_400, 3600)
        );
        assert_eq!((sc.seed, sc.trials), (5, 2));
        assert_eq!(sc.fleet.pools.len(), 2);
        assert_eq!(sc.fleet.pools[1].primary, Sector::Industrial);
    }

    #[test]
    fn a_seed_set_once_gives_the_same_scenario_as_the_run_files_seed() {
        let from_file = resolve(TWO).unwrap();
        let mut set = resolve(&TWO.replace("seed = 5", "seed = 99")).unwrap();
        set.set_run(Some(5), Some(2), None);
        assert_eq!(
            (set.seed, set.spec.seed, set.trials, set.spec.trials),
            (5, 5, 2, 2)
        );
        let a = crate::sim::run_trial(&from_file, 1);
        let b = crate::sim::run_trial(&set, 1);
        assert_eq!(a.summary.energy_mwh, b.summary.energy_mwh);
        assert_eq!(a.hourly, b.hourly);
        // A different seed gives different random demand.
        let mut other = resolve(TWO).unwrap();
        other.set_run(Some(6), None, None);
        assert_ne!(crate::sim::run_trial(&other, 1).hourly, a.hourly);
    }

    #[test]
    fn a_library_climate_is_parsed_once_per_study_not_per_trial() {
        // The default study samples its parameters and runs on the library's "ashburn" climate:
        // its trials take the climate the nominal resolution parsed, and the week tables and
        // the grid's hour calendar it built (none of them depends on a sampled figure).
        let lib = Library::load(None).unwrap();
        let sc = Scenario::default_study(&lib).unwrap();
        let u = sc.uncertain.as_ref().unwrap();
        let kept = u.files.len();
        assert!(kept >= 1, "the climate at least");
        for trial in 0..3 {
            sc.for_trial(trial).unwrap();
        }
        assert_eq!(u.files.len(), kept, "a trial parsed or built its own");
    }

    #[test]
    fn sampled_values_in_the_parsed_tree_resolve_as_the_same_values_written_in_the_text() {
        let text = TWO
            .replace(
                "requests_per_day = 1.0e5",
                "requests_per_day = { dist = \"uniform\", min = 5.0e4, max = 2.0e5 }",
            )
            .replace(
                "count = 4\n",
                "count = { dist = \"uniform\", min = 2, max = 6 }\n",
            );
        let sc = resolve(&text).unwrap();
        let u = sc.uncertain.as_ref().unwrap();
        assert_eq!(
            sc.parameter_names(),
            vec!["site.group[1].count", "consumer[0].requests_per_day"]
        );
        for trial in 0..4 {
            let (t, values) = sc.for_trial(trial).unwrap();
            assert_eq!(values.len(), 2);
            // The same values written into the text and resolved from scratch.
            let written = crate::input::uncertain::substitute(&text, &u.list, &values);
            let plain = resolve(&written).unwrap();
            assert_eq!(
                t.consumers[0].requests_per_s,
                plain.consumers[0].requests_per_s
            );
            assert_eq!(
                t.fleet.groups[1].accelerators,
                plain.fleet.groups[1].accelerators
            );
            assert_eq!(t.fleet.groups[1].accelerators, 8.0 * values[0]);
            assert!((t.consumers[0].requests_per_s * 86_400.0 - values[1]).abs() < 1e-6);
            assert_eq!((t.seed, t.trials), (sc.seed, sc.trials));
        }
    }

    #[test]
    fn a_sampled_value_out_of_range_is_refused_at_its_distributions_line() {
        // Every draw is negative: the nominal resolution refuses it with the field's line.
        let text = TWO.replace(
            "requests_per_day = 1.0e5",
            "requests_per_day = { dist = \"uniform\", min = -2.0, max = -1.0 }",
        );
        let e = resolve(&text).unwrap_err().to_string();
        let line = line_of(&text, "requests_per_day", 0);
        assert!(
            e.contains(&format!("t.toml:{line}")) && e.contains("requests_per_day"),
            "{e}"
        );
    }
}
