//! "What broke first": the console's account of a run's trouble (a pool dropping requests, the
//! import cap shedding load, a cooling plant saturated, energy unserved in an outage), each with
//! its hours banded across trials and its first and worst instants in the study's clock, listed
//! in order of first occurrence. Nothing is listed for what never happened.

use crate::engine::{TrialResult, summary::TrialSummary};
use crate::stats::{Band, label};
use crate::study::Scenario;
use crate::time::SimTime;

type Get = fn(&TrialSummary) -> f64;

/// One kind of trouble: its name, hours, first and worst instants, the worst's size and unit,
/// and an extra figure (energy) with its unit.
struct Kind {
    what: &'static str,
    hours: Get,
    first: Get,
    worst: Get,
    worst_size: Get,
    worst_unit: &'static str,
    extra: Option<(Get, &'static str)>,
}

const KINDS: [Kind; 4] = [
    Kind {
        what: "pool saturated, requests dropped",
        hours: |s| s.drop_hours,
        first: |s| s.drop_first_at_s,
        worst: |s| s.drop_worst_at_s,
        worst_size: |s| s.drop_worst_hour_requests,
        worst_unit: "requests dropped in the hour",
        extra: Some((|s| s.requests_dropped, "requests dropped")),
    },
    Kind {
        what: "import cap shedding load",
        hours: |s| s.curtailed_hours,
        first: |s| s.curtailed_first_at_s,
        worst: |s| s.curtailed_worst_at_s,
        worst_size: |s| s.curtailed_max_mw,
        worst_unit: "MW shed",
        extra: Some((|s| s.curtailed_mwh, "MWh shed")),
    },
    Kind {
        what: "cooling plant saturated",
        hours: |s| s.plant_saturated_hours,
        first: |s| s.plant_saturated_first_at_s,
        worst: |s| s.plant_saturated_worst_at_s,
        worst_size: |s| s.plant_saturated_worst_mwh,
        worst_unit: "MWh of heat not removed in the hour",
        extra: Some((|s| s.heat_not_removed_mwh, "MWh of heat not removed")),
    },
    Kind {
        what: "energy unserved in outages",
        hours: |s| s.unserved_hours,
        first: |s| s.unserved_first_at_s,
        worst: |s| s.unserved_worst_at_s,
        worst_size: |s| s.unserved_worst_mwh,
        worst_unit: "MWh unserved in the hour",
        extra: Some((|s| s.unserved_mwh, "MWh unserved")),
    },
];

fn at(sc: &Scenario, s: f64) -> String {
    sc.calendar.timestamp(SimTime(s.max(0.0) as u64))
}

/// The block's lines (empty when nothing broke), in order of first occurrence (earliest over
/// the trials; ties in the order above). Deterministic: a function of the trials alone.
pub fn what_broke(sc: &Scenario, results: &[TrialResult]) -> Vec<String> {
    let (lo, hi) = (label(sc.percentiles.low()), label(sc.percentiles.high()));
    let band = |f: Get| {
        let mut v: Vec<f64> = results.iter().map(|r| f(&r.summary)).collect();
        Band::of(&mut v, &sc.percentiles)
    };
    let mut found: Vec<(f64, usize, String)> = Vec::new();
    for (k, kind) in KINDS.iter().enumerate() {
        let hit: Vec<&TrialSummary> = results
            .iter()
            .map(|r| &r.summary)
            .filter(|s| (kind.first)(s) >= 0.0)
            .collect();
        let Some(first) = hit.iter().map(|s| (kind.first)(s)).reduce(f64::min) else {
            continue;
        };
        // The worst instant: the trial with the largest worst figure (lowest trial on ties).
        let worst =
            hit.iter()
                .filter(|s| (kind.worst)(s) >= 0.0)
                .fold(None::<&TrialSummary>, |best, s| match best {
                    Some(b) if (kind.worst_size)(b) >= (kind.worst_size)(s) => Some(b),
                    _ => Some(s),
                });
        let h = band(kind.hours);
        let mut line = format!(
            "  {}: first {} ({} of {} trials); {:.1} h ({lo} {:.1}, {hi} {:.1})",
            kind.what,
            at(sc, first),
            hit.len(),
            results.len(),
            h.mean,
            h.low(),
            h.high()
        );
        if let Some((f, unit)) = kind.extra {
            let e = band(f);
            line.push_str(&format!(
                ", {:.1} {unit} ({lo} {:.1}, {hi} {:.1})",
                e.mean,
                e.low(),
                e.high()
            ));
        }
        if let Some(w) = worst {
            line.push_str(&format!(
                "; worst {} ({:.1} {}, trial {})",
                at(sc, (kind.worst)(w)),
                (kind.worst_size)(w),
                kind.worst_unit,
                w.trial
            ));
        }
        found.push((first, k, line));
    }
    found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    if found.is_empty() {
        return Vec::new();
    }
    let mut out = vec!["dcload: what broke first:".to_string()];
    out.extend(found.into_iter().map(|(_, _, l)| l));
    out
}
