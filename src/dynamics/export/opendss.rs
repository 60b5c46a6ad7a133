//! The window as an OpenDSS LoadShape: loadshape.csv holds one multiplier a line (the series'
//! power over the Load's kW), loadshape.dss defines the LoadShape at the window's step and a
//! Load that follows it in duty-cycle mode. A multiplier has 9 decimals, so the Load's kW is
//! the series' within 1e-9 of its kW base. OpenDSS reads point i (from 1) at i x sinterval, as
//! it reads an hourly shape's point 1 as hour 1: its solution at time t is the window's sample
//! at t - sinterval.

use std::fmt::Write as _;

use super::{Export, Series, Window, element_name, q_per_p};

pub(super) struct Files {
    pub mult: String,
    pub dss: String,
}

/// The Load's kW: the window's largest power (multipliers at most 1), to 1 W (a window of no
/// power gets 1 kW so the multipliers stay finite).
fn kw_base(p_mw: &[f64]) -> f64 {
    let peak = p_mw.iter().map(|p| p.abs()).fold(0.0, f64::max) * 1000.0;
    if peak > 0.0 {
        (peak * 1000.0).round() / 1000.0
    } else {
        1.0
    }
}

pub(super) fn files(ex: &Export, w: &Window) -> Files {
    let p = w.series(ex.series);
    let base = kw_base(p);
    let mut mult = String::with_capacity(p.len() * 13);
    for v in p {
        let _ = writeln!(mult, "{:.9}", v * 1000.0 / base);
    }
    let name = element_name(w.name);
    let which = match ex.series {
        Series::Grid => "grid (after mitigations)",
        Series::Facility => "facility (unmitigated)",
    };
    let kvar = base * q_per_p(ex);
    let mut dss = String::new();
    let _ = writeln!(
        dss,
        "! dcload dynamics {}: {which} power, {} samples every {} s.",
        w.name,
        p.len(),
        w.step_s
    );
    let _ = writeln!(
        dss,
        "! Load kW = the window's largest power; loadshape.csv = power / kW (9 decimals)."
    );
    let _ = writeln!(
        dss,
        "! Run with: Set mode=duty stepsize={} number={}; point i is read at i x sinterval s.",
        w.step_s,
        p.len()
    );
    let _ = writeln!(
        dss,
        "New Loadshape.{name} npts={} sinterval={} mult=(file=loadshape.csv) useactual=no",
        p.len(),
        w.step_s
    );
    let _ = writeln!(
        dss,
        "New Load.{name} bus1={} phases=3 kv={} kw={base:.3} kvar={kvar:.3} model=1 duty={name}",
        ex.opendss_bus, ex.opendss_kv
    );
    Files { mult, dss }
}
