//! Where the energy goes, as files: `classes.csv` (per trial and class), `jobs.csv` (per trial
//! and training job) and the per-holder columns of `trials.csv` and `summary.json`.
//!
//! The figures come from the engine's meter (see `engine::meter` for the rules); this module
//! only derives per-request and per-accelerator figures and writes them.

use std::fmt::Write as _;

use crate::scenario::Scenario;
use crate::sim::{TrialResult, TrialSummary};

/// Wh per served request: marginal (the class's dynamic energy alone) and fully loaded (its
/// attributed energy plus its share of its pool's unheld idle, shared among the pool's holders
/// in proportion to their attributed energy). NaN-free: 0 when nothing was served.
pub fn wh_per_request(sc: &Scenario, s: &TrialSummary, class: usize) -> (f64, f64) {
    let Some(c) = s.classes.get(class) else {
        return (0.0, 0.0);
    };
    if c.served == 0 {
        return (0.0, 0.0);
    }
    let pool = sc.consumers[class].pool;
    let pool_mwh = pool_attributed_mwh(sc, s, pool);
    let unheld = s
        .pool_idle_unallocated_mwh
        .get(pool)
        .copied()
        .unwrap_or(0.0);
    let share = if pool_mwh > 0.0 {
        unheld * c.mwh / pool_mwh
    } else {
        0.0
    };
    let n = c.served as f64;
    (c.marginal_mwh * 1e6 / n, (c.mwh + share) * 1e6 / n)
}

/// Wh per served request as publications state it (e.g. Epoch AI's 0.3 Wh per GPT-4o query:
/// the busy accelerators' power, idle included, times their time): the class's attributed
/// energy over its served requests, at the server and at the meter (each hour's energy times
/// that hour's facility / IT ratio). 0 when nothing was served.
pub fn wh_per_request_attributed(s: &TrialSummary, class: usize) -> (f64, f64) {
    match s.classes.get(class) {
        Some(c) if c.served > 0 => {
            let n = c.served as f64;
            (c.mwh / n * 1e6, c.mwh_at_meter / n * 1e6)
        }
        _ => (0.0, 0.0),
    }
}

/// Energy attributed to the holders on a pool, MWh.
fn pool_attributed_mwh(sc: &Scenario, s: &TrialSummary, pool: usize) -> f64 {
    let classes = on_pool(
        &sc.consumers,
        |c| c.pool,
        s.classes.iter().map(|t| t.mwh),
        pool,
    );
    let twins = on_pool(&sc.twins, |w| w.pool, s.twin_mwh.iter().copied(), pool);
    let missions = on_pool(
        &sc.defenses,
        |d| d.pool,
        s.mission_mwh.iter().copied(),
        pool,
    );
    let jobs: f64 = s
        .jobs
        .iter()
        .filter(|j| sc.trainings[j.training as usize].pool == pool)
        .map(|j| j.energy_j / 3.6e9)
        .sum();
    classes + twins + missions + jobs
}

/// The sum of the figures (one per holder, in the holders' order) of the holders on `pool`.
fn on_pool<H>(
    holders: &[H],
    pool_of: impl Fn(&H) -> usize,
    mwh: impl Iterator<Item = f64>,
    pool: usize,
) -> f64 {
    holders
        .iter()
        .zip(mwh)
        .filter(|(h, _)| pool_of(h) == pool)
        .map(|(_, e)| e)
        .sum()
}

/// Energy of a training table's jobs within the horizon, MWh.
pub fn training_mwh(s: &TrialSummary, training: usize) -> f64 {
    s.jobs
        .iter()
        .filter(|j| j.training as usize == training)
        .map(|j| j.energy_j / 3.6e9)
        .sum()
}

/// Per-holder columns of trials.csv and summary.json: names, decimals and each trial's values,
/// in the order classes, twins, missions, trainings.
pub fn holder_columns(sc: &Scenario) -> Vec<(String, usize)> {
    let mut cols = Vec::new();
    for c in &sc.consumers {
        for (f, prec) in [
            ("mwh", 3),
            ("marginal_mwh", 3),
            ("arrived", 0),
            ("served", 0),
            ("dropped", 0),
            ("wh_per_request", 4),
            ("wh_per_request_with_idle", 4),
            ("wh_per_request_attributed", 4),
            ("wh_per_request_attributed_at_meter", 4),
        ] {
            cols.push((format!("class.{}.{f}", c.name), prec));
        }
    }
    for w in &sc.twins {
        cols.push((format!("twin.{}.mwh", w.name), 3));
    }
    for d in &sc.defenses {
        cols.push((format!("mission.{}.mwh", d.name), 3));
    }
    for t in &sc.trainings {
        cols.push((format!("training.{}.mwh", t.name), 3));
        cols.push((format!("training.{}.jobs_started", t.name), 0));
    }
    cols
}

/// One trial's values for [`holder_columns`].
pub fn holder_values(sc: &Scenario, s: &TrialSummary) -> Vec<f64> {
    let mut v = Vec::new();
    for i in 0..sc.consumers.len() {
        let t = s.classes.get(i).cloned().unwrap_or_default();
        let (marg, full) = wh_per_request(sc, s, i);
        let (attr, attr_meter) = wh_per_request_attributed(s, i);
        v.extend([
            t.mwh,
            t.marginal_mwh,
            t.arrived as f64,
            t.served as f64,
            t.dropped as f64,
            marg,
            full,
            attr,
            attr_meter,
        ]);
    }
    v.extend((0..sc.twins.len()).map(|i| s.twin_mwh.get(i).copied().unwrap_or(0.0)));
    v.extend((0..sc.defenses.len()).map(|i| s.mission_mwh.get(i).copied().unwrap_or(0.0)));
    for i in 0..sc.trainings.len() {
        v.push(training_mwh(s, i));
        v.push(s.jobs.iter().filter(|j| j.training as usize == i).count() as f64);
    }
    v
}

/// `classes.csv`: one row per trial and consumer class.
pub fn classes_csv(sc: &Scenario, results: &[TrialResult]) -> String {
    let mut out = String::from(
        "trial,class,pool,arrived,served,dropped,pending,mwh,marginal_mwh,wh_per_request,wh_per_request_with_idle,wh_per_request_attributed,wh_per_request_attributed_at_meter\n",
    );
    for r in results {
        let s = &r.summary;
        for (i, (c, t)) in sc.consumers.iter().zip(&s.classes).enumerate() {
            let (marg, full) = wh_per_request(sc, s, i);
            let (attr, attr_meter) = wh_per_request_attributed(s, i);
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4}",
                s.trial,
                crate::base::csvcell::cell(&c.name),
                crate::base::csvcell::cell(&sc.fleet.pools[c.pool].name),
                t.arrived,
                t.served,
                t.dropped,
                t.pending,
                t.mwh,
                t.marginal_mwh,
                marg,
                full,
                attr,
                attr_meter
            );
        }
    }
    out
}

/// `jobs.csv`: one row per trial and training job.
pub fn jobs_csv(sc: &Scenario, results: &[TrialResult]) -> String {
    let horizon_s = sc.horizon_s;
    let mut out = String::from(
        "trial,training,job,pool,start,end,completed,accelerators,accelerator_hours,mwh,avg_w_per_accelerator,restarts,shed_acc_h\n",
    );
    for r in results {
        for j in &r.summary.jobs {
            let tr = &sc.trainings[j.training as usize];
            let acc_h = j.acc_h(horizon_s);
            let mwh = j.energy_j / 3.6e9;
            let avg_w = if acc_h > 0.0 { mwh * 1e6 / acc_h } else { 0.0 };
            let end = j
                .end_s
                .map(|e| {
                    sc.calendar
                        .timestamp(crate::base::time::SimTime(e))
                        .to_string()
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{:.3},{:.4},{:.2},{},{:.3}",
                r.summary.trial,
                crate::base::csvcell::cell(&tr.name),
                j.job,
                crate::base::csvcell::cell(&sc.fleet.pools[tr.pool].name),
                sc.calendar.timestamp(crate::base::time::SimTime(j.start_s)),
                end,
                j.completed,
                j.accelerators,
                acc_h,
                mwh,
                avg_w,
                j.restarts,
                j.shed_acc_s / 3600.0
            );
        }
    }
    out
}
