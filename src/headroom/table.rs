//! What `dcload headroom` shows: headroom.csv and the console table, one row per (case, limit).

use std::fmt::Write as _;

use super::evaluate::Headroom;

/// headroom.csv: one row per (case, limit). `over_h`: the event length (hours) beyond which
/// events are counted (`events_over_h`, `--events-over`).
pub fn csv(rows: &[(String, Headroom)], over_h: u32) -> String {
    let mut s = String::from(
        "case,curtailment_limit_pct,headroom_mw,mean_mw,curtailment_pct,curtailed_hours,curtailed_mwh,curtailed_hours_per_year,curtailed_mwh_per_year,events,mean_event_h,longest_event_h,events_over_h,events_over,share_hours_half_kept,binding\n",
    );
    for (case, h) in rows {
        let o = &h.outcome;
        let y = o.years().max(1e-12);
        let _ = writeln!(
            s,
            "{},{},{:.3},{:.3},{:.4},{},{:.3},{:.2},{:.3},{},{:.3},{},{},{},{:.4},{}",
            crate::base::csvcell::cell(case),
            h.limit_pct,
            o.size_mw,
            o.mean_mw,
            o.rate() * 100.0,
            o.curtailed_hours,
            o.curtailed_mwh,
            o.curtailed_hours as f64 / y,
            o.curtailed_mwh / y,
            o.events,
            o.mean_event_h(),
            o.longest_event_h(),
            over_h,
            o.events_over(over_h),
            o.half_kept_share(),
            h.binding
        );
    }
    s
}

/// The console table.
pub fn table(rows: &[(String, Headroom)], over_h: u32) -> String {
    let mut s = format!(
        "{:<6} {:>7} {:>12} {:>10} {:>10} {:>12} {:>8} {:>9} {:>9} {:>10}  {}\n",
        "case",
        "limit%",
        "headroom MW",
        "curt. %",
        "h/year",
        "MWh/year",
        "event h",
        "longest h",
        format!(">{over_h} h"),
        "half kept",
        "binding"
    );
    for (case, h) in rows {
        let o = &h.outcome;
        let y = o.years().max(1e-12);
        let _ = writeln!(
            s,
            "{:<6} {:>7} {:>12.1} {:>10.3} {:>10.1} {:>12.0} {:>8.2} {:>9} {:>9} {:>9.0}%  {}",
            case,
            h.limit_pct,
            o.size_mw,
            o.rate() * 100.0,
            o.curtailed_hours as f64 / y,
            o.curtailed_mwh / y,
            o.mean_event_h(),
            o.longest_event_h(),
            o.events_over(over_h),
            o.half_kept_share() * 100.0,
            h.binding
        );
    }
    s
}
