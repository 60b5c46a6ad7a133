//! The fleet layer: which servers work (failures and repairs), how much capacity each pool
//! offers this step (after failures and the facility's thermal caps), and the IT power the
//! pools' busy work draws.
//!
//! Inputs: the fleet model, failure rates, the facility's caps and fan multipliers from the
//! previous step. Outputs: each pool's capacity, failures for the training layer, and IT power
//! per pool and group.

use super::bus::PoolStep;
use super::training::FailureHits;
use crate::base::rng::{Stream, TAG_FAILURES, poisson_count, stream};
use crate::model::fleet::reliability::Failures;
use crate::model::fleet::{Fleet, RackGroup, Sector};

/// The facility's per-group figures the fleet needs: power caps and server fan multipliers.
#[derive(Clone, Copy)]
pub struct Thermal<'a> {
    pub caps: &'a [f64],
    pub fan_mult: &'a [f64],
    /// True when no group is capped (pools keep their nominal capacity).
    pub all_uncapped: bool,
}

pub struct FleetLayer {
    rng: Stream,
    /// Failed servers in each group.
    failed: Vec<f64>,
    /// Working fraction of each group's servers: online (build-out) and not failed.
    pub alive: Vec<f64>,
    /// True when some group has servers failed or not yet online.
    pub any_down: bool,
    /// Online share of each group (build-out: 0 before its online date, then its commissioning
    /// ramp to 1), the online IT nameplate peak, W, and each pool's online accelerators.
    online: Vec<f64>,
    pub installed_w: f64,
    pub online_acc: Vec<f64>,
    /// True when some group has an online date or a commissioning ramp.
    buildout: bool,
    /// Scratch per pool: accelerators and servers failed this step, and working accelerators.
    new_failed_acc: Vec<f64>,
    new_failed_servers: Vec<f64>,
    pub working_acc: Vec<f64>,
    /// IT power of each group this step, W.
    pub group_it: Vec<f64>,
}

impl FleetLayer {
    pub fn new(fleet: &Fleet, seed: u64, trial: u32) -> FleetLayer {
        let (ng, np) = (fleet.groups.len(), fleet.pools.len());
        FleetLayer {
            rng: stream(seed, TAG_FAILURES, trial),
            failed: vec![0.0; ng],
            alive: vec![1.0; ng],
            any_down: false,
            online: vec![1.0; ng],
            installed_w: fleet.peak_w(),
            online_acc: fleet.pools.iter().map(|p| p.accelerators).collect(),
            buildout: fleet.has_buildout(),
            new_failed_acc: vec![0.0; np],
            new_failed_servers: vec![0.0; np],
            working_acc: vec![0.0; np],
            group_it: vec![0.0; ng],
        }
    }

    /// The build-out at `t_s` seconds from the start: each group's online share, its working
    /// share (online servers less failed ones), the online nameplate and each pool's online
    /// accelerators. Returns true when a share changed (always false without a build-out).
    pub fn bring_online(&mut self, fleet: &Fleet, t_s: f64) -> bool {
        if !self.buildout {
            return false;
        }
        let mut changed = false;
        for (o, g) in self.online.iter_mut().zip(&fleet.groups) {
            let x = g.online_share(t_s);
            if x != *o {
                *o = x;
                changed = true;
            }
        }
        if changed || t_s == 0.0 {
            self.installed_w = 0.0;
            self.online_acc.iter_mut().for_each(|x| *x = 0.0);
            let mut any_down = false;
            for (gi, g) in fleet.groups.iter().enumerate() {
                let o = self.online[gi];
                self.alive[gi] = if o == 1.0 {
                    1.0 - self.failed[gi] / g.servers
                } else {
                    ((o * g.servers - self.failed[gi]) / g.servers).max(0.0)
                };
                any_down |= self.alive[gi] < 1.0;
                self.installed_w += o * g.peak_w();
                self.online_acc[g.pool] += o * g.accelerators;
            }
            self.any_down = any_down;
        }
        changed || t_s == 0.0
    }

    /// Whether some group comes online (or retires) within the horizon.
    pub fn builds_out(&self) -> bool {
        self.buildout
    }

    /// Server failures and repairs for one step. Cheap when nothing happens: two Poisson draws
    /// per group. Returns what failed, for the jobs running there.
    pub fn fail_and_repair(&mut self, fleet: &Fleet, f: &Failures, dt_s: f64) -> FailureHits<'_> {
        self.new_failed_acc.iter_mut().for_each(|x| *x = 0.0);
        self.new_failed_servers.iter_mut().for_each(|x| *x = 0.0);
        self.working_acc.iter_mut().for_each(|x| *x = 0.0);
        let mut any_down = false;
        for (gi, g) in fleet.groups.iter().enumerate() {
            let acc_per_server = g.accelerators / g.servers;
            // Only online servers work (and fail); without a build-out every server is online.
            let working = (self.online[gi] * g.servers - self.failed[gi]).max(0.0);
            let lam = f.rate_per_acc_s * dt_s * working * acc_per_server;
            let n = poisson_count(lam, &mut self.rng).min(working);
            let repaired = if self.failed[gi] > 0.0 {
                poisson_count(self.failed[gi] * dt_s / f.repair_s, &mut self.rng)
                    .min(self.failed[gi])
            } else {
                0.0
            };
            self.failed[gi] += n - repaired;
            let up = (self.online[gi] * g.servers - self.failed[gi]).max(0.0);
            self.alive[gi] = if self.online[gi] == 1.0 {
                1.0 - self.failed[gi] / g.servers
            } else {
                up / g.servers
            };
            any_down |= self.alive[gi] < 1.0;
            self.new_failed_acc[g.pool] += n * acc_per_server;
            self.new_failed_servers[g.pool] += n;
            self.working_acc[g.pool] += up * acc_per_server;
        }
        self.any_down = any_down;
        FailureHits {
            new_failed_acc: &self.new_failed_acc,
            new_failed_servers: &self.new_failed_servers,
            working_acc: &self.working_acc,
            restart_s: f.restart_s,
        }
    }

    /// Each pool's capacity this step: all of it free, shrunk by thermal caps from the previous
    /// step and by failed servers.
    pub fn open_pools(&self, fleet: &Fleet, thermal: Option<Thermal>, pools: &mut [PoolStep]) {
        for (ps, pool) in pools.iter_mut().zip(&fleet.pools) {
            *ps = PoolStep::fresh(pool.capacity, pool.inv_capacity);
        }
        let capped = thermal.is_some_and(|t| !t.all_uncapped);
        if capped || self.any_down {
            for ps in pools.iter_mut() {
                ps.free = 0.0;
            }
            for (gi, g) in fleet.groups.iter().enumerate() {
                let cap = thermal.map_or(1.0, |t| t.caps[gi]);
                pools[g.pool].free += g.capacity() * cap * self.alive[gi];
            }
            for ps in pools.iter_mut() {
                ps.capacity = ps.free;
                ps.inv_capacity = if ps.free > 0.0 { 1.0 / ps.free } else { 0.0 };
            }
        }
    }

    /// Whether some group is part-way through its commissioning ramp: a quiet block never
    /// spans one.
    pub fn ramping(&self) -> bool {
        self.buildout && self.online.iter().any(|&o| o > 0.0 && o < 1.0)
    }

    /// The first instant after `t_s` at which some group's online share changes (its online
    /// date, the end of its commissioning ramp, its retirement): a quiet block ends before it.
    pub fn next_change(&self, fleet: &Fleet, t_s: f64) -> f64 {
        if !self.buildout {
            return f64::INFINITY;
        }
        let mut next = f64::INFINITY;
        for g in &fleet.groups {
            for x in [g.online_s, g.online_s + g.commissioning_s, g.retire_s] {
                if x > t_s && x < next {
                    next = x;
                }
            }
        }
        next
    }

    /// IT power of the fleet at the pools' current busy figures; fills each pool's utilisation
    /// and power and each group's IT power. Every group of a pool runs at the pool's utilisation.
    #[inline(always)]
    pub fn power(
        &mut self,
        fleet: &Fleet,
        pools: &mut [PoolStep],
        thermal: Option<Thermal>,
    ) -> f64 {
        for ps in pools.iter_mut() {
            ps.util = pool_busy(ps) * ps.inv_capacity;
            ps.power_w = 0.0;
            ps.idle_w = 0.0;
        }
        let alive = self.any_down.then_some(&self.alive[..]);
        let mut it_w = 0.0;
        match thermal {
            Some(th) => {
                for (gi, (g, it)) in fleet
                    .groups
                    .iter()
                    .zip(self.group_it.iter_mut())
                    .enumerate()
                {
                    let a = alive.map_or(1.0, |a| a[gi]);
                    let p = group_w(g, pools[g.pool].util, Some(th.of(gi)), a);
                    *it = p;
                    pools[g.pool].idle_w += a * g.servers * g.server_idle_w;
                    pools[g.pool].power_w += p;
                    it_w += p;
                }
            }
            None => {
                for (gi, g) in fleet.groups.iter().enumerate() {
                    let a = alive.map_or(1.0, |a| a[gi]);
                    let p = group_w(g, pools[g.pool].util, None, a);
                    pools[g.pool].idle_w += a * g.servers * g.server_idle_w;
                    pools[g.pool].power_w += p;
                    it_w += p;
                }
            }
        }
        it_w
    }

    /// The working share of group `gi`'s servers [`FleetLayer::power`] draws with: 1 while no
    /// group has a server down.
    #[inline(always)]
    pub fn alive_share(&self, gi: usize) -> f64 {
        if self.any_down { self.alive[gi] } else { 1.0 }
    }
}

impl Thermal<'_> {
    /// Group `gi`'s power cap and fan multiplier.
    #[inline(always)]
    pub fn of(&self, gi: usize) -> (f64, f64) {
        (self.caps[gi], self.fan_mult[gi])
    }
}

/// A pool's busy weight in a step: its sectors' busy accelerators, consumer work at its classes'
/// power scale (per-state powers), the others at 1. (The two-rate engine's queued route makes
/// each step's weight with it as [`FleetLayer::power`] does.)
#[inline(always)]
pub fn pool_busy(ps: &PoolStep) -> f64 {
    let c = Sector::Consumer as usize;
    ps.busy.iter().sum::<f64>() + ps.busy[c] * (ps.consumer_weight - 1.0)
}

/// A group's IT power at its pool's utilisation `util`, with its power cap and fan multiplier
/// (`cap_fan`, a physics facility's) and `a` of its servers working.
///
/// Work spreads in proportion to capped capacity, so a throttled group runs at the pool's
/// utilisation of its reduced capacity. Faster server fans draw more, up to the group's power
/// limit (rack budget cap or rated peak) that firmware enforces. Failed servers draw nothing.
#[inline(always)]
pub fn group_w(g: &RackGroup, util: f64, cap_fan: Option<(f64, f64)>, a: f64) -> f64 {
    match cap_fan {
        Some((cap, fan)) => {
            let mut p = g.power_w(util * cap);
            if fan > 1.0 {
                p = (p * fan).min(g.peak_w());
            }
            p * a
        }
        None => a * g.power_w(util),
    }
}

/// Dynamic power a sector's busy accelerators draw above idle, W (what shedding it could save).
pub fn sheddable_w(fleet: &Fleet, pools: &[PoolStep], sector: Sector) -> f64 {
    pools
        .iter()
        .zip(&fleet.pools)
        .map(|(ps, pool)| ps.busy[sector as usize] * pool.watts_per_busy)
        .sum()
}

/// Cuts a sector's busy accelerators in every pool by the same fraction, aiming to shed `need_w`
/// of IT power. Returns false when the sector has nothing left to shed.
pub fn shed_sector(fleet: &Fleet, pools: &mut [PoolStep], sector: Sector, need_w: f64) -> bool {
    let sheddable = sheddable_w(fleet, pools, sector);
    if sheddable <= 0.0 {
        return false;
    }
    let f = (need_w / sheddable).min(1.0);
    for ps in pools.iter_mut() {
        ps.busy[sector as usize] *= 1.0 - f;
        if f >= 1.0 {
            ps.busy[sector as usize] = 0.0;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use crate::sim::test_support::{close, pool_a, scenario};

    /// Group "a": 10 bare DGX H100 servers; group "r": 2 racks of `dgx-h100-x4` (8 servers;
    /// the rack budget of 42 kW / 4 = 10.5 kW per server is above the 10.2 kW peak: no cap).
    /// Library figures: H100-SXM idle 75 W, TDP 700 W; DGX-H100 8 GPUs, host 1,400 W idle and
    /// 4,600 W max. So a server idles at 8 x 75 + 1,400 = 2,000 W and peaks at
    /// 8 x 700 + 4,600 = 10,200 W (linear between): a 20 kW / 102 kW, r 16 kW / 81.6 kW; the
    /// fleet 36 kW idle, 183.6 kW peak; dynamic W per busy accelerator (10,200 - 2,000) / 8.
    const STUDY: &str = r#"

[[site.group]]
name = "r"
rack = "dgx-h100-x4"
count = 2

[[consumer]]
name = "c"
pool = "a"
requests_per_day = 1.0e5
acc_s_per_request = 1.0

[[training]]
name = "tr"
pool = "r"
accelerators = 64
duration_days = 1
start_days = [0]

[facility]
kind = "fixed"
pue = 1.25
"#;

    const IDLE_W: f64 = 36_000.0;
    const PEAK_W: f64 = 183_600.0;
    const W_PER_BUSY: f64 = 1025.0;

    fn setup() -> (Scenario, FleetLayer, Vec<PoolStep>, usize, usize) {
        let sc = scenario(&pool_a(STUDY));
        let fl = FleetLayer::new(&sc.fleet, sc.seed, 0);
        let pools = vec![PoolStep::default(); sc.fleet.pools.len()];
        let a = sc.fleet.pool_index("a").unwrap();
        let r = sc.fleet.pool_index("r").unwrap();
        (sc, fl, pools, a, r)
    }

    #[test]
    fn power_runs_from_idle_to_peak_of_the_rack_figures() {
        let (sc, mut fl, mut pools, a, r) = setup();
        let f = &sc.fleet;
        assert_eq!(f.peak_w(), PEAK_W);
        assert_eq!((f.pools[a].capacity, f.pools[r].capacity), (80.0, 64.0));
        close(f.pools[r].watts_per_busy, W_PER_BUSY, 1e-12, "W per busy");
        fl.open_pools(f, None, &mut pools);
        close(fl.power(f, &mut pools, None), IDLE_W, 1e-12, "idle");
        assert_eq!((pools[a].idle_w, pools[r].idle_w), (20_000.0, 16_000.0));
        pools[a].busy[Sector::Consumer as usize] = 40.0;
        pools[r].busy[Sector::Training as usize] = 32.0;
        let half = fl.power(f, &mut pools, None);
        close(half, IDLE_W + 0.5 * (PEAK_W - IDLE_W), 1e-12, "half busy");
        close(pools[a].util, 0.5, 1e-12, "utilisation");
        pools[a].busy[Sector::Consumer as usize] = 80.0;
        pools[r].busy[Sector::Training as usize] = 64.0;
        close(fl.power(f, &mut pools, None), PEAK_W, 1e-12, "peak");
        close(pools[a].power_w, 102_000.0, 1e-12, "pool a peak");
        close(pools[r].power_w, 81_600.0, 1e-12, "pool r peak");
    }

    /// A quarter of group a's servers down: its pool offers 60 of 80, idles at 15 kW and peaks
    /// at 76.5 kW; failed servers draw nothing.
    #[test]
    fn failed_servers_shrink_capacity_and_power() {
        let (sc, mut fl, mut pools, a, r) = setup();
        let f = &sc.fleet;
        fl.alive[0] = 0.75;
        fl.any_down = true;
        fl.open_pools(f, None, &mut pools);
        assert_eq!((pools[a].capacity, pools[a].free), (60.0, 60.0));
        close(pools[a].inv_capacity, 1.0 / 60.0, 1e-12, "1 / capacity");
        assert_eq!(pools[r].capacity, 64.0);
        close(
            fl.power(f, &mut pools, None),
            15_000.0 + 16_000.0,
            1e-12,
            "idle",
        );
        pools[a].busy[Sector::Consumer as usize] = 60.0;
        fl.power(f, &mut pools, None);
        close(
            pools[a].power_w,
            76_500.0,
            1e-12,
            "a at full working capacity",
        );
    }

    /// At one failure per accelerator-second every server fails in the first step (the draws
    /// are capped at the working servers): the fleet reports them all and offers nothing.
    #[test]
    fn fail_and_repair_reports_what_failed() {
        let (sc, mut fl, mut pools, a, r) = setup();
        let f = &sc.fleet;
        let fail = Failures {
            rate_per_acc_s: 1.0,
            repair_s: 1e12,
            restart_s: 600,
        };
        let hits = fl.fail_and_repair(f, &fail, 60.0);
        assert_eq!(
            (hits.new_failed_acc[a], hits.new_failed_acc[r]),
            (80.0, 64.0)
        );
        assert_eq!(
            (hits.new_failed_servers[a], hits.new_failed_servers[r]),
            (10.0, 8.0)
        );
        assert_eq!((hits.working_acc[a], hits.working_acc[r]), (0.0, 0.0));
        assert_eq!(hits.restart_s, 600);
        fl.open_pools(f, None, &mut pools);
        assert_eq!((pools[a].capacity, pools[r].capacity), (0.0, 0.0));
        assert_eq!(fl.power(f, &mut pools, None), 0.0);
    }

    /// 40 busy training accelerators at 1,025 W each: 41 kW sheddable; asking 10,250 W cuts a
    /// quarter (40 -> 30); asking more than there is sheds it all; a sector with nothing busy
    /// returns false and changes nothing.
    #[test]
    fn shed_sector_cuts_the_asked_fraction() {
        let (sc, fl, mut pools, _, r) = setup();
        let f = &sc.fleet;
        fl.open_pools(f, None, &mut pools);
        let tr = Sector::Training as usize;
        pools[r].busy[tr] = 40.0;
        close(
            sheddable_w(f, &pools, Sector::Training),
            41_000.0,
            1e-12,
            "sheddable",
        );
        assert!(shed_sector(f, &mut pools, Sector::Training, 10_250.0));
        close(pools[r].busy[tr], 30.0, 1e-12, "after a quarter");
        let before: Vec<[f64; 4]> = pools.iter().map(|p| p.busy).collect();
        assert!(!shed_sector(f, &mut pools, Sector::Consumer, 1000.0));
        assert_eq!(pools.iter().map(|p| p.busy).collect::<Vec<_>>(), before);
        assert!(shed_sector(f, &mut pools, Sector::Training, 1e9));
        assert_eq!(pools[r].busy[tr], 0.0);
        assert!(!shed_sector(f, &mut pools, Sector::Training, 1.0));
    }
}
