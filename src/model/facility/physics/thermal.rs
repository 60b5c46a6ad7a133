//! Thermal state of a rack group: one lumped node (room air at the server inlets for air
//! cooling, facility-water supply for liquid and immersion), ASHRAE environmental classes,
//! throttling above the allowable limit, and server fan power against inlet temperature.
//!
//! **Node.** With heat capacity `C` (J/K), heat in `Q_in` (W) and the plant's removal capacity
//! `Q_cap` (W) over a step `dt` (s):
//!
//! ```text
//! if Q_in > Q_cap:  T += (Q_in - Q_cap) * dt / C                  (heat piles up)
//! else:             T_relaxed = T_set + (T - T_set) * exp(-dt / tau)   (first order, controls)
//!                   T = max(T_relaxed, T - (Q_cap - Q_in) * dt / C)   (can't cool faster than
//!                                                                     the spare capacity)
//! T = min(T, T_max)
//! ```
//!
//! A node below its set point (cold start) relaxes up to it: the plant's controls hold the
//! supply temperature at the set point (mixing, reduced airflow) rather than overcool, so the
//! node never goes below `min(set point, its starting temperature)`, and in particular never
//! below the outdoor temperature when it started at or above it. This is the simplest model
//! that gives ride-through (a loss of cooling warms the room at `Q/C` K/s, the
//! "rate of heating" of Khankari 2011, *Rate of heating analysis of data centers during power
//! shutdown*, ASHRAE Transactions 117(1)) and recovery. It leaves out: spatial gradients
//! (hot spots, recirculation, rack-to-rack spread), the separate time constants of air, IT
//! mass and building mass, humidity and dew point limits, and the controls' own dynamics.
//!
//! Thermal mass, order of magnitude (estimates): room air is small (~1.2 kJ/K per m³); the IT
//! and building mass in contact dominates. A hall that warms ~1 K per minute on total loss of
//! cooling has `C ≈ 60 kJ/K per kW` of IT; dense AI halls warm faster (several K/min), i.e.
//! 10-30 kJ/K per kW. A liquid loop holds a few litres per kW: ~4.19 kJ/K per litre.

use serde::Deserialize;

/// Default upper bound of the node temperature, °C: well above every allowable limit; a node
/// there is in deep thermal trouble (servers shut down before this).
pub const DEFAULT_MAX_C: f64 = 70.0;
/// Default span over which the throttle cap falls from 1 to its floor above the allowable
/// maximum, K (estimate: servers ramp fans then cap power within a few kelvin).
pub const DEFAULT_THROTTLE_SPAN_C: f64 = 5.0;
/// Default lowest throttle cap (fraction of uncapped IT power; estimate: deepest power caps of
/// current GPUs are ~30-40 % of TDP).
pub const DEFAULT_THROTTLE_FLOOR: f64 = 0.3;

/// ASHRAE TC 9.9 environmental classes with their allowable maxima.
///
/// Air-cooled classes A1-A4 (ASHRAE TC 9.9, *Thermal Guidelines for Data Processing
/// Environments*, 5th ed., 2021): allowable dry-bulb inlet maxima 32, 35, 40 and 45 °C;
/// recommended envelope 18-27 °C for all four. Liquid-cooling classes W17-W45 (ASHRAE TC 9.9,
/// *Liquid Cooling Guidelines for Datacom Equipment Centers*, 2nd ed., and the 2021 reference
/// card): the number is the maximum facility-water supply temperature, °C. In TOML they are
/// written as `"A1"`..`"A4"`, `"W17"`..`"W45"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
pub enum AshraeClass {
    /// Air, allowable inlet 15-32 °C (enterprise servers, storage).
    A1,
    /// Air, allowable inlet 10-35 °C (volume servers).
    A2,
    /// Air, allowable inlet 5-40 °C.
    A3,
    /// Air, allowable inlet 5-45 °C.
    A4,
    /// Liquid, facility water supply ≤ 17 °C.
    W17,
    /// Liquid, facility water supply ≤ 27 °C.
    W27,
    /// Liquid, facility water supply ≤ 32 °C.
    W32,
    /// Liquid, facility water supply ≤ 40 °C.
    W40,
    /// Liquid, facility water supply ≤ 45 °C.
    W45,
}

impl AshraeClass {
    /// Recommended inlet envelope (all A classes), lower bound, °C.
    pub const RECOMMENDED_MIN_C: f64 = 18.0;
    /// Recommended inlet envelope (all A classes), upper bound, °C.
    pub const RECOMMENDED_MAX_C: f64 = 27.0;

    /// Allowable maximum: inlet air (A classes) or facility-water supply (W classes), °C.
    pub fn allowable_max_c(self) -> f64 {
        match self {
            AshraeClass::A1 => 32.0,
            AshraeClass::A2 => 35.0,
            AshraeClass::A3 => 40.0,
            AshraeClass::A4 => 45.0,
            AshraeClass::W17 => 17.0,
            AshraeClass::W27 => 27.0,
            AshraeClass::W32 => 32.0,
            AshraeClass::W40 => 40.0,
            AshraeClass::W45 => 45.0,
        }
    }
}

/// Lumped thermal node of a rack group (see the module docs for the equations).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ThermalNode {
    /// Current temperature, °C (inlet air, or facility-water supply for liquid plants).
    pub temp_c: f64,
    /// Set point the plant controls to (supply air / supply water), °C.
    pub setpoint_c: f64,
    /// Heat capacity of the node, kJ/K.
    pub thermal_mass_kj_per_k: f64,
    /// Time constant of the return to the set point when capacity is sufficient, s.
    pub time_constant_s: f64,
    /// Physical upper bound, °C.
    pub max_c: f64,
    /// Kelvin above the allowable maximum over which the throttle cap falls to its floor.
    pub throttle_span_c: f64,
    /// Lowest throttle cap, fraction in (0, 1].
    pub throttle_floor: f64,
}

impl ThermalNode {
    /// A node at its set point with the default bounds ([`DEFAULT_MAX_C`],
    /// [`DEFAULT_THROTTLE_SPAN_C`], [`DEFAULT_THROTTLE_FLOOR`]).
    pub fn new(setpoint_c: f64, thermal_mass_kj_per_k: f64, time_constant_s: f64) -> Self {
        ThermalNode {
            temp_c: setpoint_c,
            setpoint_c,
            thermal_mass_kj_per_k,
            time_constant_s,
            max_c: DEFAULT_MAX_C,
            throttle_span_c: DEFAULT_THROTTLE_SPAN_C,
            throttle_floor: DEFAULT_THROTTLE_FLOOR,
        }
    }

    /// Advance the node by `dt_s` with `heat_in_w` arriving and the plant able to remove
    /// `removal_capacity_w`. Negative inputs count as 0; a non-positive thermal mass makes the
    /// node jump straight to its steady value (set point, or `max_c` under overload).
    #[inline]
    pub fn step(&mut self, heat_in_w: f64, removal_capacity_w: f64, dt_s: f64) {
        let q_in = heat_in_w.max(0.0);
        let q_cap = removal_capacity_w.max(0.0);
        // The common case: at the set point with capacity to spare, nothing changes (and the
        // exponential below need not be evaluated).
        if q_in <= q_cap && self.temp_c == self.setpoint_c {
            return;
        }
        let dt = dt_s.max(0.0);
        let c_j_per_k = self.thermal_mass_kj_per_k * 1000.0;
        let t = self.temp_c;
        let next = if q_in > q_cap {
            if c_j_per_k > 0.0 {
                t + (q_in - q_cap) * dt / c_j_per_k
            } else {
                self.max_c
            }
        } else {
            let decay = if self.time_constant_s > 0.0 {
                (-dt / self.time_constant_s).exp()
            } else {
                0.0
            };
            let relaxed = self.setpoint_c + (t - self.setpoint_c) * decay;
            if t > self.setpoint_c && c_j_per_k > 0.0 {
                relaxed.max(t - (q_cap - q_in) * dt / c_j_per_k)
            } else {
                relaxed
            }
        };
        // Written so that a NaN `next` (only from NaN inputs) keeps the old temperature.
        self.temp_c = if next.is_nan() {
            t
        } else {
            next.min(self.max_c)
        };
    }

    /// Power cap (fraction of uncapped IT power, in (0, 1]) that thermal protection imposes at
    /// the node's temperature: 1 at or below the class's allowable maximum, then falling
    /// linearly to `throttle_floor` over `throttle_span_c` kelvin. Capping IT power lowers the
    /// heat in, so the node settles where heat balances the plant's capacity. (Estimate of
    /// how server firmware and fleet power capping behave in aggregate; real servers first
    /// spin fans up, see [`server_fan_factor`], and some shut down at their own limits.)
    #[inline]
    pub fn throttle_cap(&self, class: AshraeClass) -> f64 {
        let floor = self.throttle_floor.clamp(f64::MIN_POSITIVE, 1.0);
        let over = self.temp_c - class.allowable_max_c();
        if over.is_nan() || over <= 0.0 {
            1.0
        } else if self.throttle_span_c <= 0.0 {
            floor
        } else {
            (1.0 - (1.0 - floor) * over / self.throttle_span_c).max(floor)
        }
    }
}

/// Server fan power at nominal fan speed, fraction of IT power (estimate: 2 % for a
/// 1U/2U air-cooled server at a 25 °C inlet; GPU servers are similar at nominal speed).
pub const SERVER_FAN_BASE_FRACTION: f64 = 0.02;
/// Inlet temperature below which server fans stay at nominal speed, °C (fan curves of volume
/// servers start ramping at ~25 °C; ASHRAE TC 9.9 2011 whitepaper *Thermal Guidelines for
/// Data Processing Environments — Expanded Data Center Classes and Usage Guidance*).
pub const SERVER_FAN_RAMP_START_C: f64 = 25.0;
/// Relative fan-speed increase per kelvin of inlet above the ramp start (estimate, see
/// [`server_fan_factor`]).
pub const SERVER_FAN_SPEED_PER_C: f64 = 0.05;
/// Maximum fan speed relative to nominal.
pub const SERVER_FAN_MAX_SPEED: f64 = 2.0;

/// Extra server power (fraction of IT power, ≥ 0) drawn by server fans at inlet temperature
/// `inlet_c`:
///
/// ```text
/// s     = min(1 + 0.05 * max(0, T_in - 25), 2)          relative fan speed
/// extra = 0.02 * (s^3 - 1)                              fan affinity law, P ∝ speed³
/// ```
///
/// Gives +0.4 %/K between 25 and 30 °C (1.9 % at 30 °C), 4.75 % at 35 °C, 9.2 % at 40 °C and
/// at most 14 %. Checks: Coroamă 2025 (*Temperature optimisation in data centres*, two Swiss
/// colocation sites) measured +0.35-0.5 %/K of server power between 23 and 30 °C; GRC's 2016
/// measurement of a Dell R410 found +8 % at 35 °C and +12 % at 37 °C against 27 °C; the
/// ASHRAE TC 9.9 2011 whitepaper shows server power rising a few percent to ~20 % at 35 °C
/// depending on the server. The coefficients are estimates within that spread. Left out:
/// leakage power of hotter silicon (a further ~1-3 % at 35 °C), and liquid-cooled servers,
/// whose few remaining fans make the factor smaller (callers may scale it by the air share).
#[inline]
pub fn server_fan_factor(inlet_c: f64) -> f64 {
    let over = inlet_c - SERVER_FAN_RAMP_START_C;
    if over.is_nan() || over <= 0.0 {
        return 0.0;
    }
    let s = (1.0 + SERVER_FAN_SPEED_PER_C * over).min(SERVER_FAN_MAX_SPEED);
    SERVER_FAN_BASE_FRACTION * (s * s * s - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn classes_match_guidelines() {
        assert_eq!(AshraeClass::A1.allowable_max_c(), 32.0);
        assert_eq!(AshraeClass::A2.allowable_max_c(), 35.0);
        assert_eq!(AshraeClass::A3.allowable_max_c(), 40.0);
        assert_eq!(AshraeClass::A4.allowable_max_c(), 45.0);
    }

    #[test]
    fn overload_heats_at_q_over_c() {
        // 1 MW surplus into 60 MJ/K for 60 s -> +1 K.
        let mut n = ThermalNode::new(24.0, 60_000.0, 300.0);
        n.step(1.0e6, 0.0, 60.0);
        assert!((n.temp_c - 25.0).abs() < 1e-9, "{}", n.temp_c);
    }

    #[test]
    fn recovers_toward_setpoint_limited_by_spare_capacity() {
        let mut n = ThermalNode::new(24.0, 60_000.0, 300.0);
        n.temp_c = 34.0;
        // Plenty of spare capacity: first-order relaxation, 10 K * exp(-1).
        n.step(0.5e6, 1.0e9, 300.0);
        assert!((n.temp_c - (24.0 + 10.0 * (-1.0f64).exp())).abs() < 1e-9);
        // Only 0.1 MW spare for 60 s -> at most 0.1 K cooler.
        let before = n.temp_c;
        n.step(0.9e6, 1.0e6, 60.0);
        assert!((before - n.temp_c - 0.1).abs() < 1e-9);
    }

    #[test]
    fn throttle_is_one_then_linear_to_floor() {
        let mut n = ThermalNode::new(24.0, 1.0, 1.0);
        n.temp_c = 35.0;
        assert_eq!(n.throttle_cap(AshraeClass::A2), 1.0);
        n.temp_c = 37.5;
        assert!((n.throttle_cap(AshraeClass::A2) - 0.65).abs() < 1e-12);
        n.temp_c = 60.0;
        assert_eq!(n.throttle_cap(AshraeClass::A2), DEFAULT_THROTTLE_FLOOR);
    }

    #[test]
    fn fan_factor_shape() {
        assert_eq!(server_fan_factor(20.0), 0.0);
        assert_eq!(server_fan_factor(25.0), 0.0);
        assert!((server_fan_factor(35.0) - 0.0475).abs() < 1e-12);
        let mut last = 0.0;
        for i in 0..400 {
            let f = server_fan_factor(20.0 + 0.1 * i as f64);
            assert!(f >= last);
            last = f;
        }
        assert!(last <= 0.14 + 1e-12);
    }

    proptest! {
        #[test]
        fn node_stays_bounded(
            start in 10.0f64..70.0,
            setpoint in 15.0f64..45.0,
            steps in proptest::collection::vec((0.0f64..2.0e6, 0.0f64..2.0e6), 1..200),
            dt in 1.0f64..3600.0,
            mass in 1.0f64..1.0e6,
            tau in 0.0f64..3600.0,
        ) {
            let mut n = ThermalNode::new(setpoint, mass, tau);
            n.temp_c = start;
            let floor = setpoint.min(start);
            for (q, cap) in steps {
                n.step(q, cap, dt);
                prop_assert!(n.temp_c.is_finite());
                prop_assert!(n.temp_c <= n.max_c + 1e-9);
                prop_assert!(n.temp_c >= floor - 1e-9);
                let c = n.throttle_cap(AshraeClass::A2);
                prop_assert!(c > 0.0 && c <= 1.0);
            }
        }
    }
}
