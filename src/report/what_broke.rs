//! "What broke first": the console's account of a run's trouble (a pool dropping requests, the
//! import cap shedding load, a cooling plant saturated, energy unserved in an outage), each with
//! its hours banded across trials and its first and worst instants in the study's clock, listed
//! in order of first occurrence. Nothing is listed for what never happened. Dropped requests
//! are listed pool by pool, each pool by its run-file name.

use crate::base::stats::{Band, label};
use crate::base::time::SimTime;
use crate::scenario::Scenario;
use crate::sim::{
    TrialResult,
    summary::{PoolDrops, TrialSummary},
};

/// A figure of a trial, as any closure (a field of the summary, or a pool's entry in it).
type By<'a> = &'a dyn Fn(&TrialSummary) -> f64;

/// One kind of trouble: its name, hours, first and worst instants, the worst's size and unit,
/// and an extra figure (energy) with its unit.
struct Kind<'a> {
    what: &'a str,
    hours: By<'a>,
    first: By<'a>,
    worst: By<'a>,
    worst_size: By<'a>,
    worst_unit: &'a str,
    extra: Option<(By<'a>, &'a str)>,
    /// The worst and extra figures count whole things (requests): their means across trials
    /// are shown rounded to whole counts, not with a stray ".5".
    counts: bool,
}

/// Dropped requests summed over the pools: only for trials recorded without per-pool figures
/// (checkpoints of an older dcload); otherwise each pool that dropped work has its own line.
const SITE_DROPS: Kind<'static> = Kind {
    what: "pool saturated, requests dropped",
    hours: &|s| s.drop_hours,
    first: &|s| s.drop_first_at_s,
    worst: &|s| s.drop_worst_at_s,
    worst_size: &|s| s.drop_worst_hour_requests,
    worst_unit: "requests dropped in the hour",
    extra: Some((&|s| s.requests_dropped, "requests dropped")),
    counts: true,
};

const KINDS: [Kind<'static>; 3] = [
    Kind {
        what: "import cap shedding load",
        hours: &|s| s.curtailed_hours,
        first: &|s| s.curtailed_first_at_s,
        worst: &|s| s.curtailed_worst_at_s,
        worst_size: &|s| s.curtailed_max_mw,
        worst_unit: "MW shed",
        extra: Some((&|s| s.curtailed_mwh, "MWh shed")),
        counts: false,
    },
    Kind {
        what: "cooling plant saturated",
        hours: &|s| s.plant_saturated_hours,
        first: &|s| s.plant_saturated_first_at_s,
        worst: &|s| s.plant_saturated_worst_at_s,
        worst_size: &|s| s.plant_saturated_worst_mwh,
        worst_unit: "MWh of heat not removed in the hour",
        extra: Some((&|s| s.heat_not_removed_mwh, "MWh of heat not removed")),
        counts: false,
    },
    Kind {
        what: "energy unserved in outages",
        hours: &|s| s.unserved_hours,
        first: &|s| s.unserved_first_at_s,
        worst: &|s| s.unserved_worst_at_s,
        worst_size: &|s| s.unserved_worst_mwh,
        worst_unit: "MWh unserved in the hour",
        extra: Some((&|s| s.unserved_mwh, "MWh unserved")),
        counts: false,
    },
];

fn at(sc: &Scenario, s: f64) -> String {
    sc.calendar.timestamp(SimTime(s.max(0.0) as u64))
}

/// One line of trouble over the trials, or `None` when it never happened: (first instant,
/// line).
fn trouble(sc: &Scenario, results: &[TrialResult], kind: &Kind) -> Option<(f64, String)> {
    let Kind {
        what,
        hours,
        first,
        worst,
        worst_size,
        worst_unit,
        extra,
        counts,
    } = *kind;
    let digits = if counts { 0 } else { 1 };
    let (lo, hi) = (label(sc.percentiles.low()), label(sc.percentiles.high()));
    let band = |f: By| {
        let mut v: Vec<f64> = results.iter().map(|r| f(&r.summary)).collect();
        Band::of(&mut v, &sc.percentiles)
    };
    let hit: Vec<&TrialSummary> = results
        .iter()
        .map(|r| &r.summary)
        .filter(|s| first(s) >= 0.0)
        .collect();
    let first_at = hit.iter().map(|s| first(s)).reduce(f64::min)?;
    // The worst instant: the trial with the largest worst figure (lowest trial on ties).
    let worst_of = hit
        .iter()
        .filter(|s| worst(s) >= 0.0)
        .fold(None::<&TrialSummary>, |best, s| match best {
            Some(b) if worst_size(b) >= worst_size(s) => Some(b),
            _ => Some(s),
        });
    let h = band(hours);
    let mut line = format!(
        "{what}: first {} ({} of {} trials); {:.1} h ({lo} {:.1}, {hi} {:.1})",
        at(sc, first_at),
        hit.len(),
        results.len(),
        h.mean,
        h.low(),
        h.high()
    );
    if let Some((f, unit)) = extra {
        let e = band(f);
        line.push_str(&format!(
            ", {:.digits$} {unit} ({lo} {:.digits$}, {hi} {:.digits$})",
            e.mean,
            e.low(),
            e.high()
        ));
    }
    if let Some(w) = worst_of {
        line.push_str(&format!(
            "; worst {} ({:.digits$} {}, trial {})",
            at(sc, worst(w)),
            worst_size(w),
            worst_unit,
            w.trial
        ));
    }
    Some((first_at, line))
}

/// The trouble lines without the heading or indent (empty when nothing broke), in order of
/// first occurrence (earliest over the trials; ties: pools in site order, then cap shedding,
/// plant saturation and unserved energy). Each pool that dropped requests in any trial has its
/// own line, named as in the run file; a pool that never dropped is not listed. Deterministic:
/// a function of the trials alone. summary.json's `what_broke` holds these lines.
pub fn trouble_lines(sc: &Scenario, results: &[TrialResult]) -> Vec<String> {
    let mut found: Vec<(f64, usize, String)> = Vec::new();
    let per_pool = results.iter().any(|r| !r.summary.pool_drops.is_empty());
    if per_pool {
        for (p, pool) in sc.fleet.pools.iter().enumerate() {
            let get = |f: fn(&PoolDrops) -> f64, never: f64| {
                move |s: &TrialSummary| s.pool_drops.get(p).map_or(never, f)
            };
            let what = format!("pool \"{}\" saturated, requests dropped", pool.name);
            let hours = get(|d| d.hours, 0.0);
            let first = get(|d| d.first_at_s, -1.0);
            let worst = get(|d| d.worst_at_s, -1.0);
            let size = get(|d| d.worst_hour_requests, 0.0);
            let requests = get(|d| d.requests, 0.0);
            let kind = Kind {
                what: &what,
                hours: &hours,
                first: &first,
                worst: &worst,
                worst_size: &size,
                worst_unit: "requests dropped in the hour",
                extra: Some((&requests, "requests dropped")),
                counts: true,
            };
            if let Some((t, l)) = trouble(sc, results, &kind) {
                found.push((t, p, not_yet_online(sc, p, t, l)));
            }
        }
    } else if let Some((t, l)) = trouble(sc, results, &SITE_DROPS) {
        found.push((t, 0, l));
    }
    let np = sc.fleet.pools.len().max(1);
    for (k, kind) in KINDS.iter().enumerate() {
        if let Some((t, l)) = trouble(sc, results, kind) {
            found.push((t, np + k, l));
        }
    }
    found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    found.into_iter().map(|(_, _, l)| l).collect()
}

/// A pool whose first drop came at its first online date with no capacity yet (the first
/// step of a commissioning ramp) was not saturated but not there yet: its line says so.
fn not_yet_online(sc: &Scenario, p: usize, first_at: f64, line: String) -> String {
    let fleet = &sc.fleet;
    let groups = || fleet.pools[p].groups.iter().map(|&g| &fleet.groups[g]);
    let first_online = groups().map(|g| g.online_s).fold(f64::INFINITY, f64::min);
    let online: f64 = groups().map(|g| g.online_share(first_at)).sum();
    if online > 0.0 || first_at > first_online {
        return line;
    }
    line.replacen(
        "\" saturated, requests dropped",
        "\" not yet online (no capacity), requests dropped",
        1,
    )
}

/// The console's block (empty when nothing broke): a heading, then [`trouble_lines`] indented.
pub fn what_broke(sc: &Scenario, results: &[TrialResult]) -> Vec<String> {
    let lines = trouble_lines(sc, results);
    if lines.is_empty() {
        return Vec::new();
    }
    let mut out = vec!["dcload: what broke first:".to_string()];
    out.extend(lines.into_iter().map(|l| format!("  {l}")));
    out
}
