//! The fleet: rack groups of identical servers, pooled to serve workloads.
//!
//! A rack group is N identical racks, so its power is one evaluation of the server power curve
//! times N: a fleet of 1.5 million servers costs the same per step as one of 1,500. Groups that
//! serve the same workloads form a pool; work in a pool is spread so that every group runs at
//! the same utilisation (a load balancer's steady state).

pub mod build;
pub mod reliability;
pub mod spec;

use crate::model::library::{CoolingKind, Library, RackSpec, ServerSpec};

/// The four demand waves of the source articles. Industrial = always-on digital twins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sector {
    Consumer = 0,
    Industrial = 1,
    Training = 2,
    Defense = 3,
}

pub const SECTORS: [Sector; 4] = [
    Sector::Consumer,
    Sector::Industrial,
    Sector::Training,
    Sector::Defense,
];

impl Sector {
    pub fn name(self) -> &'static str {
        match self {
            Sector::Consumer => "consumer",
            Sector::Industrial => "industrial",
            Sector::Training => "training",
            Sector::Defense => "defense",
        }
    }
}

/// N identical racks, resolved from the library once at load time.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RackGroup {
    pub name: String,
    pub pool: usize,
    pub racks: f64,
    pub servers: f64,
    /// Physical accelerators in the group.
    pub accelerators: f64,
    /// Server power when idle, W.
    pub server_idle_w: f64,
    /// Server power at full utilisation after the rack budget's power cap, W.
    pub server_max_w: f64,
    /// Server peak before any cap, W.
    pub server_peak_w: f64,
    pub util_exponent: f64,
    /// Throughput of one accelerator under the cap, as a fraction of uncapped.
    pub throughput: f64,
    pub cooling: CoolingKind,
    /// Accelerator prefill and decode rates (tokens/s), for converting tokens to work.
    pub prefill_tokens_per_s: f64,
    pub decode_tokens_per_s: f64,
    /// Server peak power per accelerator, W: converts Wh per request at full load into
    /// accelerator-seconds.
    pub peak_w_per_accelerator: f64,
    /// Dense 16-bit peak of one accelerator, FLOP/s (0 when the library does not state it).
    pub peak_flops: f64,
    /// The accelerator alone (no host share): idle and TDP, W.
    pub acc_idle_w: f64,
    pub acc_tdp_w: f64,
    /// Build-out: seconds from the study start at which the group comes online (0: from the
    /// start), and its commissioning ramp, s (0: full capacity at once).
    pub online_s: f64,
    pub commissioning_s: f64,
    /// True when the run file gave the group an online date or a commissioning ramp.
    pub phased: bool,
    /// Hardware refresh: seconds from the study start at which this hardware goes out of
    /// service (infinite: never). A refresh is resolved into one group per hardware phase in
    /// the same pool: the old phase retires at the refresh date and the new one comes online
    /// then, ramping over the refresh's downtime as a commissioning ramp.
    pub retire_s: f64,
    /// For a refresh phase, the index of the group (first phase) it refreshes.
    pub refresh_of: Option<usize>,
}

impl RackGroup {
    /// Builds a group of `racks` racks of a library rack type.
    pub fn from_rack(
        name: &str,
        pool: usize,
        rack: &RackSpec,
        racks: f64,
        lib: &Library,
    ) -> Result<RackGroup, String> {
        let server = lib
            .server(rack.server.get_ref())
            .ok_or_else(|| format!("unknown server {:?}", rack.server.get_ref()))?;
        let mut g = Self::from_server(name, pool, server, racks * f64::from(rack.servers), lib)?;
        g.racks = racks;
        g.cooling = rack.cooling;
        let cap_w = rack.budget_kw * 1000.0 / f64::from(rack.servers);
        if cap_w < g.server_peak_w {
            let acc = lib
                .accelerator(server.accelerator.get_ref())
                .ok_or_else(|| format!("unknown accelerator {:?}", server.accelerator.get_ref()))?;
            let n = f64::from(server.accelerators);
            let acc_budget = cap_w - server.host_max_w;
            if acc_budget <= n * acc.idle_w {
                return Err(format!(
                    "rack {:?} budget {} kW leaves {:.0} W per server after host power: not enough to run its accelerators",
                    rack.name.get_ref(),
                    rack.budget_kw,
                    acc_budget
                ));
            }
            let frac = (acc_budget / (n * acc.tdp_w)).min(1.0);
            g.throughput = interp_curve(&acc.cap_curve, frac);
            g.server_max_w = cap_w;
        }
        Ok(g)
    }

    /// Builds a group of `servers` uncapped servers (one server per rack position).
    pub fn from_server(
        name: &str,
        pool: usize,
        server: &ServerSpec,
        servers: f64,
        lib: &Library,
    ) -> Result<RackGroup, String> {
        let acc = lib
            .accelerator(server.accelerator.get_ref())
            .ok_or_else(|| format!("unknown accelerator {:?}", server.accelerator.get_ref()))?;
        let n = f64::from(server.accelerators);
        let peak = n * acc.tdp_w + server.host_max_w;
        Ok(RackGroup {
            name: name.to_string(),
            pool,
            racks: servers,
            servers,
            accelerators: servers * n,
            server_idle_w: n * acc.idle_w + server.host_idle_w,
            server_max_w: peak,
            server_peak_w: peak,
            util_exponent: server.util_exponent,
            throughput: 1.0,
            cooling: CoolingKind::Air,
            prefill_tokens_per_s: acc.prefill_tokens_per_s,
            decode_tokens_per_s: acc.decode_tokens_per_s,
            peak_w_per_accelerator: peak / n,
            peak_flops: acc.peak_tflops.unwrap_or(0.0) * 1e12,
            acc_idle_w: acc.idle_w,
            acc_tdp_w: acc.tdp_w,
            online_s: 0.0,
            commissioning_s: 0.0,
            phased: false,
            retire_s: f64::INFINITY,
            refresh_of: None,
        })
    }

    /// Work the group can do per second, in accelerator-seconds of an uncapped accelerator.
    pub fn capacity(&self) -> f64 {
        self.accelerators * self.throughput
    }

    /// Group power at utilisation `u` in [0, 1]: idle + (max - idle) * u^k per server.
    #[inline]
    pub fn power_w(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        let f = if self.util_exponent == 1.0 {
            u
        } else {
            curved(u, self.util_exponent)
        };
        self.servers * (self.server_idle_w + (self.server_max_w - self.server_idle_w) * f)
    }

    /// Installed peak (power at full utilisation), W.
    pub fn peak_w(&self) -> f64 {
        self.servers * self.server_max_w
    }

    /// Share of the group's servers installed and working at `t_s` seconds from the study
    /// start: 0 before its online date, then linear to 1 over its commissioning days, and 0
    /// again from its retirement (a hardware refresh) on.
    #[inline]
    pub fn online_share(&self, t_s: f64) -> f64 {
        if t_s < self.online_s || t_s >= self.retire_s {
            0.0
        } else if self.commissioning_s > 0.0 {
            ((t_s - self.online_s) / self.commissioning_s).min(1.0)
        } else {
            1.0
        }
    }
}

/// `u^k` for a curved server power law, kept out of line: inlined, the optimiser folds the
/// linear branch into an unconditional `pow` (exact, as `u^1 = u`, but ~125 instructions a
/// call) in the engine's loops over a block's steps.
#[inline(never)]
#[cold]
fn curved(u: f64, k: f64) -> f64 {
    u.powf(k)
}

/// Linear interpolation in a `[x, y]` curve, flat outside its ends.
pub fn interp_curve(curve: &[[f64; 2]], x: f64) -> f64 {
    let Some(first) = curve.first() else {
        return 1.0;
    };
    if x <= first[0] {
        return first[1];
    }
    for w in curve.windows(2) {
        if x <= w[1][0] {
            let t = (x - w[0][0]) / (w[1][0] - w[0][0]);
            return w[0][1] + t * (w[1][1] - w[0][1]);
        }
    }
    curve[curve.len() - 1][1]
}

/// Groups that serve the same workloads.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Pool {
    pub name: String,
    pub groups: Vec<usize>,
    /// Physical accelerators.
    pub accelerators: f64,
    /// Work capacity, accelerator-seconds per second.
    pub capacity: f64,
    /// 1 / capacity, so the step loop multiplies instead of dividing.
    pub inv_capacity: f64,
    /// Dynamic power per busy accelerator-equivalent at linear scaling, W: what shedding one
    /// unit of work saves (used to aim load shedding), and the marginal power that turns a
    /// request's stated marginal energy into work.
    pub watts_per_busy: f64,
    /// Idle power per unit of capacity, W (host share included).
    pub idle_w_per_capacity: f64,
    /// Sector that pays for the pool's idle power when no work runs on it.
    pub primary: Sector,
    /// Accelerators kept for the pool's consumer classes (`[[site.pool]]`): training may
    /// neither start jobs on them nor be served out of them.
    #[serde(skip_serializing_if = "ConsumerReserve::is_none")]
    pub reserve: ConsumerReserve,
}

/// A pool's reservation for its consumer classes, as the run file states it: a number of
/// accelerators, or a share of the pool's online accelerators (so it grows with a build-out).
/// Operators state it (a scheduler's reservation or quota): dcload does not guess it from a
/// forecast of the classes' demand.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsumerReserve {
    #[default]
    None,
    Accelerators(f64),
    Share(f64),
}

impl ConsumerReserve {
    pub fn is_none(&self) -> bool {
        *self == ConsumerReserve::None
    }

    /// Accelerators training jobs may hold when `online` of the pool's are online.
    #[inline]
    pub fn training_acc(&self, online: f64) -> f64 {
        match *self {
            ConsumerReserve::None => online,
            ConsumerReserve::Accelerators(r) => (online - r).max(0.0),
            ConsumerReserve::Share(s) => online * (1.0 - s),
        }
    }

    /// Work capacity kept from training in a step whose working capacity is `capacity`
    /// (accelerator-seconds per second), with `per_acc` capacity per accelerator.
    #[inline]
    pub fn kept_capacity(&self, capacity: f64, per_acc: f64) -> f64 {
        match *self {
            ConsumerReserve::None => 0.0,
            ConsumerReserve::Accelerators(r) => (r * per_acc).min(capacity),
            ConsumerReserve::Share(s) => s * capacity,
        }
    }
}

/// What a measured average power per accelerator covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WattsScope {
    /// The accelerator's share of its server: chip plus host (CPU, memory, NIC, fans) divided
    /// by the accelerators per server, as Patterson et al. (2021) report per-chip averages.
    Server,
    /// The accelerator board alone (what `nvidia-smi` reports); the host's share is added.
    Accelerator,
}

impl Pool {
    /// Utilisation at which a workload's accelerators draw a measured average of `w` watts each,
    /// under dcload's attribution (each held accelerator carries its server share of idle, and
    /// each busy one the pool's dynamic power per unit of work): the inverse of the linear power
    /// curve. With `Accelerator` scope the board's own curve is inverted (idle to TDP) and the
    /// host follows at the same utilisation. Exact for linear servers (`util_exponent = 1`, the
    /// whole library). Errs with the pool's range when `w` is outside it.
    pub fn utilisation_for_watts(
        &self,
        groups: &[RackGroup],
        w: f64,
        scope: WattsScope,
    ) -> Result<f64, String> {
        let (lo, hi, what) = match scope {
            WattsScope::Server => (
                self.idle_w_per_capacity,
                self.idle_w_per_capacity + self.watts_per_busy,
                "server share per accelerator (host included)",
            ),
            WattsScope::Accelerator => {
                let g = &groups[self.groups[0]];
                (g.acc_idle_w, g.acc_tdp_w, "accelerator board")
            }
        };
        if !(w.is_finite() && w >= lo && w <= hi) {
            return Err(format!(
                "expected a measured average between the pool's idle and full-load power per accelerator, {lo:.1} to {hi:.1} W ({what}), found {w} W"
            ));
        }
        Ok(if hi > lo { (w - lo) / (hi - lo) } else { 1.0 })
    }

    /// Power of the pool's groups at utilisation `u`, W.
    #[inline]
    pub fn groups_power_w(&self, groups: &[RackGroup], u: f64) -> f64 {
        self.groups.iter().map(|&g| groups[g].power_w(u)).sum()
    }
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Fleet {
    pub groups: Vec<RackGroup>,
    pub pools: Vec<Pool>,
}

impl Fleet {
    /// The pool named `name`, ignoring case (groups naming "A" and "a" share one pool).
    pub fn pool_index(&self, name: &str) -> Option<usize> {
        let known: Vec<&str> = self.pools.iter().map(|p| p.name.as_str()).collect();
        crate::input::names::find(name, &known)
    }

    /// Installed IT peak, W: the sum of the groups' nameplates; with hardware refreshes, the
    /// largest nameplate installed at any one time (old and new hardware of a group are never
    /// in service together).
    pub fn peak_w(&self) -> f64 {
        self.design_peak_w(|_| true)
    }

    /// Largest IT nameplate of the groups `keep` selects installed at any one time, W. Without
    /// a refresh this is the plain sum of their nameplates (every group eventually installed).
    /// With one, the installed nameplate is piecewise linear in time, so its largest value is
    /// at a phase boundary: each group's online date, the end of its ramp, or just before its
    /// retirement.
    pub fn design_peak_w(&self, keep: impl Fn(&RackGroup) -> bool) -> f64 {
        if self.groups.iter().all(|g| g.retire_s == f64::INFINITY) {
            return self
                .groups
                .iter()
                .filter(|g| keep(g))
                .map(RackGroup::peak_w)
                .sum();
        }
        let kept: Vec<&RackGroup> = self.groups.iter().filter(|g| keep(g)).collect();
        let installed =
            |t: f64| -> f64 { kept.iter().map(|g| g.online_share(t) * g.peak_w()).sum() };
        let mut best = installed(0.0);
        for g in &kept {
            // Half a second before a boundary: steps are whole seconds, so this is the last
            // instant of the phase before it.
            for t in [g.online_s, g.online_s + g.commissioning_s, g.retire_s - 0.5] {
                if t.is_finite() {
                    best = best.max(installed(t));
                }
            }
        }
        best
    }

    /// True when some group has an online date or a commissioning ramp (a phased build-out).
    pub fn has_buildout(&self) -> bool {
        self.groups.iter().any(|g| g.phased)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_interpolates_and_clamps() {
        let c = [[0.5, 0.7], [1.0, 1.0]];
        assert!((interp_curve(&c, 0.75) - 0.85).abs() < 1e-12);
        assert_eq!(interp_curve(&c, 0.1), 0.7);
        assert_eq!(interp_curve(&c, 2.0), 1.0);
    }

    fn group(peak_w: f64, online_s: f64, ramp_s: f64, retire_s: f64) -> RackGroup {
        RackGroup {
            name: "g".into(),
            pool: 0,
            racks: 1.0,
            servers: 1.0,
            accelerators: 1.0,
            server_idle_w: 0.0,
            server_max_w: peak_w,
            server_peak_w: peak_w,
            util_exponent: 1.0,
            throughput: 1.0,
            cooling: CoolingKind::Air,
            prefill_tokens_per_s: 0.0,
            decode_tokens_per_s: 0.0,
            peak_w_per_accelerator: peak_w,
            peak_flops: 0.0,
            acc_idle_w: 0.0,
            acc_tdp_w: peak_w,
            online_s,
            commissioning_s: ramp_s,
            phased: true,
            retire_s,
            refresh_of: None,
        }
    }

    /// The phase schedule of a group refreshed twice: the first hardware (100 W) works from
    /// the start to its retirement at 1,000 s; the second (300 W) ramps from 1,000 s over
    /// 200 s and retires at 5,000 s; the third (50 W) comes online at once at 5,000 s. At any
    /// instant one phase at most has a share, the shares follow the ramps by hand, and the
    /// design peak is the largest phase (300 W), not the sum (450 W).
    #[test]
    fn refresh_phases_hand_over_and_the_design_peak_is_the_largest_phase() {
        let mut a = group(100.0, 0.0, 0.0, 1000.0);
        let b = group(300.0, 1000.0, 200.0, 5000.0);
        let c = group(50.0, 5000.0, 0.0, f64::INFINITY);
        for (t, want) in [
            (0.0, [1.0, 0.0, 0.0]),
            (999.0, [1.0, 0.0, 0.0]),
            (1000.0, [0.0, 0.0, 0.0]),
            (1050.0, [0.0, 0.25, 0.0]),
            (1100.0, [0.0, 0.5, 0.0]),
            (1200.0, [0.0, 1.0, 0.0]),
            (4999.0, [0.0, 1.0, 0.0]),
            (5000.0, [0.0, 0.0, 1.0]),
            (1e9, [0.0, 0.0, 1.0]),
        ] {
            let got = [a.online_share(t), b.online_share(t), c.online_share(t)];
            assert_eq!(got, want, "t = {t} s");
        }
        let fleet = Fleet {
            groups: vec![a.clone(), b.clone(), c.clone()],
            pools: Vec::new(),
        };
        assert_eq!(fleet.peak_w(), 300.0);
        assert_eq!(fleet.design_peak_w(|g| g.peak_w() < 200.0), 100.0);
        // Without a retirement every group counts (a phased build-out is eventually complete).
        a.retire_s = f64::INFINITY;
        let fleet = Fleet {
            groups: vec![a, group(300.0, 1000.0, 200.0, f64::INFINITY)],
            pools: Vec::new(),
        };
        assert_eq!(fleet.peak_w(), 400.0);
    }
}
