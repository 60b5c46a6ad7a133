//! Storage behind the meter (rack, UPS or site batteries, aggregated): what the grid sees once a
//! battery of stated energy, power and round-trip efficiency follows a stated control law.
//!
//! Control laws (the grid target before the battery's limits):
//! - `ramp`: the grid follows the load but moves at most `ramp_mw_per_s` per second;
//! - `lowpass`: the grid follows a first-order low-pass of the load with time constant `tau_s`.
//!
//! Both add a slow pull of the state of charge back to its reference (`restore_s`: the time in
//! which a deviation of the whole energy would be made up), within the ramp limit for `ramp`.
//! The battery then delivers `load - target`, limited by its power and by what it holds (or has
//! room for); where a limit binds the grid takes the rest and the ramp may be exceeded.
//! Losses: the round-trip efficiency is split evenly, sqrt(eta) on the way in and on the way
//! out, so energy in - energy out - losses = change in stored energy, step by step.
//! The GPU power floor and the burn filler act on the accelerators ([`super::window::Shaping`]).

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Control {
    Ramp { mw_per_s: f64 },
    LowPass { tau_s: f64 },
}

#[derive(Clone, Debug)]
pub struct Storage {
    pub energy_mwh: f64,
    pub power_mw: f64,
    pub round_trip_efficiency: f64,
    /// Initial and reference state of charge, share of energy.
    pub soc0: f64,
    pub restore_s: f64,
    pub control: Control,
}

/// The grid's side of the meter with the battery, MW per step, and the battery's accounts.
#[derive(Clone, Debug, Default)]
pub struct StorageResult {
    pub grid: Vec<f64>,
    /// Battery output to the load, MW: positive discharging, negative charging.
    pub battery: Vec<f64>,
    pub soc_mwh: Vec<f64>,
    pub energy_in_mwh: f64,
    pub energy_out_mwh: f64,
    pub losses_mwh: f64,
    pub stored_start_mwh: f64,
    pub stored_end_mwh: f64,
    /// Steps where the power or the energy limit bound.
    pub limited_steps: usize,
    /// Equivalent full cycles: energy out / energy capacity.
    pub cycles: f64,
}

impl StorageResult {
    /// in - out - losses - (end - start): zero up to rounding when the accounts close.
    pub fn balance_error_mwh(&self) -> f64 {
        self.energy_in_mwh
            - self.energy_out_mwh
            - self.losses_mwh
            - (self.stored_end_mwh - self.stored_start_mwh)
    }
}

pub fn apply(load: &[f64], dt: f64, s: &Storage) -> StorageResult {
    let n = load.len();
    let e_cap = s.energy_mwh * 3600.0; // MW s
    let half = s.round_trip_efficiency.sqrt();
    let mut soc = s.soc0 * e_cap;
    let mut r = StorageResult {
        grid: Vec::with_capacity(n),
        battery: Vec::with_capacity(n),
        soc_mwh: Vec::with_capacity(n),
        stored_start_mwh: soc / 3600.0,
        ..StorageResult::default()
    };
    // The target starts at the load's mean over its first time constant (low-pass) or first
    // second (ramp), not at whatever phase the first step happens to be in.
    let settle_s = match s.control {
        Control::LowPass { tau_s } => tau_s,
        Control::Ramp { .. } => 1.0,
    };
    let m0 = ((settle_s / dt).round() as usize).clamp(1, n.max(1));
    let mut prev = if n == 0 {
        0.0
    } else {
        load[..m0.min(n)].iter().sum::<f64>() / m0.min(n) as f64
    };
    let mut lp = prev;
    let a_lp = match s.control {
        Control::LowPass { tau_s } => 1.0 - (-dt / tau_s.max(1e-9)).exp(),
        Control::Ramp { .. } => 0.0,
    };
    let (mut e_in, mut e_out, mut loss) = (0.0, 0.0, 0.0);
    for &l in load {
        let restore = if s.restore_s > 0.0 {
            (s.soc0 * e_cap - soc) / s.restore_s
        } else {
            0.0
        };
        let target = match s.control {
            Control::Ramp { mw_per_s } => {
                let step = mw_per_s * dt;
                (l + restore).clamp(prev - step, prev + step)
            }
            Control::LowPass { .. } => {
                lp += (l - lp) * a_lp;
                lp + restore
            }
        };
        // Battery output wanted, then its limits.
        let want = l - target;
        let max_out = s.power_mw.min(soc * half / dt);
        let max_in = s.power_mw.min((e_cap - soc) / (half * dt));
        let b = want.clamp(-max_in.max(0.0), max_out.max(0.0));
        if (b - want).abs() > 1e-12 {
            r.limited_steps += 1;
        }
        if b >= 0.0 {
            let drawn = b * dt / half;
            soc -= drawn;
            e_out += b * dt;
            loss += drawn - b * dt;
        } else {
            let taken = -b * dt;
            soc += taken * half;
            e_in += taken;
            loss += taken - taken * half;
        }
        soc = soc.clamp(0.0, e_cap);
        let g = l - b;
        prev = g;
        r.grid.push(g);
        r.battery.push(b);
        r.soc_mwh.push(soc / 3600.0);
    }
    r.energy_in_mwh = e_in / 3600.0;
    r.energy_out_mwh = e_out / 3600.0;
    r.losses_mwh = loss / 3600.0;
    r.stored_end_mwh = soc / 3600.0;
    r.cycles = if s.energy_mwh > 0.0 {
        r.energy_out_mwh / s.energy_mwh
    } else {
        0.0
    };
    r
}

/// Largest |change| per second between consecutive steps.
pub fn max_step_ramp(x: &[f64], dt: f64) -> f64 {
    x.windows(2)
        .map(|w| (w[1] - w[0]).abs() / dt)
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowpass_battery_smooths_a_square_wave_and_its_accounts_close() {
        let dt = 0.1;
        let load: Vec<f64> = (0..6000)
            .map(|k| if (k / 10) % 2 == 0 { 100.0 } else { 60.0 })
            .collect();
        let s = Storage {
            energy_mwh: 1.0,
            power_mw: 50.0,
            round_trip_efficiency: 0.9,
            soc0: 0.5,
            restore_s: 600.0,
            control: Control::LowPass { tau_s: 5.0 },
        };
        let r = apply(&load, dt, &s);
        assert!(max_step_ramp(&r.grid, dt) < 0.1 * max_step_ramp(&load, dt));
        assert!(r.balance_error_mwh().abs() < 1e-9);
        assert!(r.losses_mwh > 0.0);
        assert!(r.grid.iter().all(|g| *g >= 0.0));
    }
}
