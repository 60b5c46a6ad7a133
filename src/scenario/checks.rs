//! A resolved study checked against the limits before any trial runs: event counts, steps and
//! the memory one trial needs.

use crate::base::error::{Error, Result, Source};
use crate::model::grid::demand_response::Baseline;

use super::{RunSpec, Scenario};

// The limits a resolved study is checked against (bounds in `crate::input::limits`; these checks
// live here because they read the resolved study).
use crate::input::limits::{
    MAX_EPISODES, MAX_STEPS, MAX_TRACE_BYTES, MAX_TRIAL_BYTES, MAX_TRIALS, num,
};

/// The per-trial estimates a study is checked against.
#[derive(Clone, Copy, Debug)]
pub struct Estimate {
    pub steps: u64,
    pub episodes: f64,
    pub bytes: f64,
}

/// Checks the event counts, job slots, steps and memory of one trial of a resolved study.
pub fn check_scenario(sc: &Scenario, src: &Source) -> Result<Estimate> {
    let steps = sc.horizon_hours * 3600 / sc.step_s.max(1);
    if steps > MAX_STEPS {
        return Err(src.error(
            "step_s",
            format!(
                "{} h at {} s steps is {steps} steps per trial (limit {MAX_STEPS}): use a longer step or a shorter horizon",
                sc.horizon_hours, sc.step_s
            ),
        ));
    }
    let years = sc.horizon_hours as f64 / 8760.0;
    let mut episodes = 0.0;
    // Each rate is refused at its own entry: `at` is the span the parser gave the entry (in
    // `sc.spec`, the run file as read), never a search of the text.
    let mut count = |n: f64, at: usize, field: &str, what: &str| -> Result<()> {
        let e = n * years;
        if e > MAX_EPISODES {
            return Err(crate::input::check::err_after(
                src,
                at,
                field,
                &format!(
                    "{} per year over {} h gives about {} {what} per trial (limit {}): give a smaller rate",
                    num(n),
                    sc.horizon_hours,
                    num(e.round()),
                    num(MAX_EPISODES)
                ),
            ));
        }
        episodes += e;
        Ok(())
    };
    let spec = &sc.spec;
    for (w, s) in sc.twins.iter().zip(&spec.twin) {
        let at = s.name.span().start;
        count(w.campaigns.per_year, at, "random_campaigns", "campaigns")?;
    }
    for (d, s) in sc.defenses.iter().zip(&spec.defense) {
        let at = s.name.span().start;
        count(d.surges.per_year, at, "random_surges", "surges")?;
    }
    for (t, s) in sc.trainings.iter().zip(&spec.training) {
        let at = s.name.span().start;
        count(t.jobs_per_year, at, "jobs_per_year", "job submissions")?;
    }
    if let (Some(b), Some(o)) = (&sc.grid.backup, &spec.grid.outages) {
        count(b.per_year, o.span().start, "per_year", "outages")?;
    }
    if let Some(dr) = &sc.grid.demand_response
        && let Some((per_year, ..)) = &dr.random
        && let Some(s) = &spec.grid.demand_response
    {
        let what = "demand-response events";
        count(*per_year, s.span().start, "random", what)?;
    }
    let bytes = trial_bytes(sc, steps, episodes);
    if bytes > MAX_TRIAL_BYTES {
        return Err(src.error(
            "horizon_hours",
            format!(
                "one trial would need about {} MiB of memory (limit {} MiB): use a shorter horizon or fewer events",
                (bytes / 1048576.0).round(),
                MAX_TRIAL_BYTES / 1048576.0
            ),
        ));
    }
    Ok(Estimate {
        steps,
        episodes,
        bytes,
    })
}

/// The memory one running trial needs, bytes: its hourly rows and interval means (counted 1.5
/// times: a finished trial's record is built in one buffer beside them), with demand response
/// every step's facility demand (kept to measure the events, and again, with the trial's
/// hourly rows, for the counterfactual run), its episodes and job slots, and 512 KiB of state.
/// Measured (peak RSS per trial running at once, `--threads` 2 to 10, traces on disk; December
/// 2026): the default study 1.06 MiB a trial (estimate 1.6), with 1-minute intervals 12.4
/// (13.6), the same over 30 days 1.45 (1.6), the utility study 10.1 (10.4).
fn trial_bytes(sc: &Scenario, steps: u64, episodes: f64) -> f64 {
    let traces = trace_bytes_per_trial(sc);
    let dr = sc.grid.demand_response.as_ref().map_or(0.0, |dr| {
        let hourly = sc.horizon_hours as f64 * sc.metrics().len() as f64 * 4.0;
        let metered = steps as f64 * 8.0;
        match dr.baseline {
            Baseline::Counterfactual => 2.0 * metered + hourly,
            Baseline::Rule { .. } => metered,
        }
    });
    let slots: f64 = sc.trainings.iter().map(|t| t.max_concurrent as f64).sum();
    1.5 * traces + dr + episodes * 2.0 * 48.0 + slots * 64.0 + 512.0 * 1024.0
}

/// Bytes of one trial's hourly figures (f32) and interval means (two f64 each), as its record
/// holds them (`crate::run::checkpoint`) and as a study keeps them in memory when it does.
pub fn trace_bytes_per_trial(sc: &Scenario) -> f64 {
    let intervals = sc.intervals.map_or(0, |p| p.count());
    sc.horizon_hours as f64 * sc.metrics().len() as f64 * 4.0 + intervals as f64 * 16.0
}

/// Checks the study as a whole: trials and the traces they would write.
pub fn check_run(sc: &Scenario) -> Result<()> {
    if sc.trials > MAX_TRIALS {
        return Err(Error::Option {
            option: "--trials".into(),
            msg: format!(
                "{} trials (limit {MAX_TRIALS}): split the study into shards of separate seeds",
                sc.trials
            ),
        });
    }
    // Large studies keep their traces on disk (in the per-trial records): refuse only what
    // would not fit there either.
    let trace_bytes = f64::from(sc.trials) * trace_bytes_per_trial(sc);
    if trace_bytes > MAX_TRACE_BYTES {
        return Err(Error::Option {
            option: "--trials".into(),
            msg: format!(
                "{} trials of {} hours would write {:.0} GiB of hourly traces and interval means (limit {:.0} GiB): run fewer trials, a shorter horizon, or shards",
                sc.trials,
                sc.horizon_hours,
                trace_bytes / 1024.0f64.powi(3),
                MAX_TRACE_BYTES / 1024.0f64.powi(3)
            ),
        });
    }
    Ok(())
}

/// Why a name cannot be written as it is into a CSV cell or a console line, if it cannot.
/// Names are refused rather than rewritten, so a file's names always equal the run file's.
pub fn unsafe_name(name: &str) -> Option<&'static str> {
    const MAX_NAME_CHARS: usize = 100;
    if name.chars().nth(MAX_NAME_CHARS).is_some() {
        Some("more than 100 characters (it heads columns and console lines)")
    } else if name.chars().any(char::is_control) {
        Some("a control character (tab, newline, escape ...)")
    } else if name.contains([',', '"']) {
        Some("a comma or a double quote (a CSV cell separator or quote)")
    } else if name.starts_with(['=', '+', '-', '@']) {
        Some("a leading =, +, - or @ (a spreadsheet would read the cell as a formula)")
    } else {
        None
    }
}

/// Every name the outputs write (rack groups, pools, consumer classes, twins, training
/// kinds, defense missions) is safe in a CSV cell and on a terminal; a refusal points at the
/// name's own place in the file (its span), whatever escapes it was written with.
pub(super) fn check_names(spec: &RunSpec, src: &Source) -> Result<()> {
    let groups = spec.site.group.iter();
    let named = groups
        .clone()
        .map(|g| &g.name)
        .chain(spec.consumer.iter().map(|c| &c.name))
        .chain(spec.twin.iter().map(|w| &w.name))
        .chain(spec.training.iter().map(|t| &t.name))
        .chain(spec.defense.iter().map(|d| &d.name));
    let pools = groups.filter_map(|g| g.pool.as_ref());
    for (field, name) in named.map(|n| ("name", n)).chain(pools.map(|n| ("pool", n))) {
        check_cell_name(src, name, field)?;
    }
    Ok(())
}

/// A name the outputs write (a run file's, a dynamics fleet group's) refused at its own span
/// when [`unsafe_name`] says it is not safe in a CSV cell or on a terminal.
pub fn check_cell_name(src: &Source, name: &toml::Spanned<String>, field: &str) -> Result<()> {
    let Some(why) = unsafe_name(name.get_ref()) else {
        return Ok(());
    };
    let shown: String = name.get_ref().escape_default().take(60).collect();
    Err(src.error_at(
        name.span(),
        field,
        format!("the name \"{shown}\" has {why}: names are written into CSV files and the console; use letters, digits, spaces, - _ . ( )"),
    ))
}
