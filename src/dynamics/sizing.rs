//! The smallest battery that meets the specification: a planner's question ("how many MW and
//! MWh behind the meter?") answered by bisection rather than by editing the file eight times.
//!
//! Power first, with energy to spare (an hour at that power): the least power with which the
//! grid passes every check. Then energy at that power: the least energy that still passes. Both
//! searches assume more is never worse (a larger battery takes more of the swing), which the
//! result's own check confirms: the size found passes, and 95 % of it in both fails.

use super::compliance::{self, Case};
use super::mitigation::{self, Storage};
use super::spec::Spec;
use super::window::{Inputs, Waveform};

/// The battery found, and how many sizes were tried.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Sized {
    pub power_mw: f64,
    pub energy_mwh: f64,
    pub evaluations: usize,
}

/// Bisection steps per dimension: a relative precision of 2^-30 of the bracket.
const STEPS: usize = 30;

/// Whether the grid behind battery `s` passes every check of `sp` that has a limit.
pub fn passes(sp: &Spec, inputs: &Inputs, wave: &Waveform, s: &Storage) -> bool {
    let r = mitigation::apply(&wave.facility_shaped, inputs.step_s, s);
    let warm = super::run::grid_warm_mw(inputs, wave);
    compliance::comply(
        sp,
        &Case {
            name: "mitigated",
            x: &r.grid,
            dt: inputs.step_s,
            warm_mw: warm,
        },
    )
    .iter()
    .all(|o| o.pass != Some(false))
}

/// The smallest battery (power, then energy) of `base`'s control law and efficiency with which
/// the grid meets the specification, or `None` when even the largest tried (the load's whole
/// range in MW, an hour of it in MWh) does not.
pub fn smallest_battery(
    sp: &Spec,
    inputs: &Inputs,
    wave: &Waveform,
    base: &Storage,
) -> Option<Sized> {
    let x = &wave.facility_shaped;
    let range =
        x.iter().cloned().fold(f64::MIN, f64::max) - x.iter().cloned().fold(f64::MAX, f64::min);
    let p_hi = 2.0 * range.max(1e-3);
    let mut evaluations = 0;
    let mut try_size = |p: f64, e: f64| {
        evaluations += 1;
        let s = Storage {
            power_mw: p,
            energy_mwh: e,
            ..base.clone()
        };
        passes(sp, inputs, wave, &s)
    };
    if !try_size(p_hi, p_hi) {
        return None;
    }
    let bisect = |ok: &mut dyn FnMut(f64) -> bool, hi: f64| {
        let (mut lo, mut hi) = (0.0, hi);
        for _ in 0..STEPS {
            let mid = 0.5 * (lo + hi);
            if ok(mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    };
    let power_mw = bisect(&mut |p| try_size(p, p_hi), p_hi);
    let energy_mwh = bisect(&mut |e| try_size(power_mw, e), p_hi);
    Some(Sized {
        power_mw,
        energy_mwh,
        evaluations,
    })
}
