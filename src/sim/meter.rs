//! Where the energy goes: every joule of IT energy belongs to exactly one holder.
//!
//! The engine turns each pool's utilisation into power; this meter, kept apart from the step
//! loop's service logic, splits that power among the workloads that caused it. The rules, per
//! pool and step:
//!
//! - **Idle power** (the servers' draw at zero load, host included) goes to the accelerators
//!   that are *held*: a training job holds its accelerators for its whole run (checkpoints,
//!   restarts and demand-response pauses included), a twin its allocation, a defense mission its
//!   reserved copies (standby included), and a consumer class the accelerators its requests keep
//!   busy. Each holder pays the idle of what it holds; the idle of accelerators nobody holds is
//!   `idle_unallocated`, per pool, charged to no sector. When holders claim more than the pool
//!   has working (failures, throttling), they share its idle in proportion to their claims.
//! - **Dynamic power** (above idle: the load-dependent part, fans included) goes to the holders
//!   in proportion to the work they keep busy, weighted by a class's per-state power scale.
//!
//! So a sector's energy is the sum of its holders', and IT energy = sectors + idle_unallocated,
//! every step. A class's *marginal* energy is its dynamic share alone: per served request, the
//! figure measurement papers publish.

use crate::model::fleet::Sector;

/// One training job's run, from start to end (or the horizon).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JobRecord {
    /// Index of the `[[training]]` table that submitted it.
    pub training: u32,
    /// Job number within that table, from 1 in start order.
    pub job: u32,
    pub start_s: u64,
    /// When it ended; `None` while still running at the horizon.
    pub end_s: Option<u64>,
    pub completed: bool,
    pub accelerators: f64,
    /// Restarts after server failures.
    pub restarts: u32,
    /// IT energy attributed to the job, J.
    pub energy_j: f64,
    /// Work the job was due but did not get, accelerator-seconds: shed by a cap or paused by
    /// demand response, or squeezed out of a pool short of capacity.
    #[serde(default)]
    pub shed_acc_s: f64,
}

impl JobRecord {
    /// Accelerator-hours held, up to `horizon_s` for a job still running.
    pub fn acc_h(&self, horizon_s: u64) -> f64 {
        let end = self.end_s.unwrap_or(horizon_s).min(horizon_s);
        self.accelerators * end.saturating_sub(self.start_s) as f64 / 3600.0
    }
}

/// What one holder brings to a step: its pool, sector, held accelerators and power weight
/// (busy accelerator-equivalents times its power scale). Filled by the engine each step.
#[derive(Clone, Copy, Debug, Default)]
pub struct Claim {
    pub held: f64,
    pub weight: f64,
}

/// A pool's step figures the meter reads.
#[derive(Clone, Copy, Debug, Default)]
pub struct PoolPower {
    pub power_w: f64,
    pub idle_w: f64,
    /// Working capacity this step (after failures and thermal caps), accelerator-equivalents.
    pub capacity: f64,
}

/// Per-trial accumulators of attributed energy.
#[derive(Clone, Debug, Default)]
pub struct Meter {
    /// Static: holder -> (pool, sector); holders are classes, then twins, then missions, then
    /// training job slots (flattened), in that order.
    pub holders: Vec<(usize, Sector)>,
    pub n_classes: usize,
    pub n_twins: usize,
    pub n_missions: usize,
    /// This step's claims, indexed like `holders`.
    pub claims: Vec<Claim>,
    /// Energy per holder (J), and the dynamic part alone.
    pub energy_j: Vec<f64>,
    pub dynamic_j: Vec<f64>,
    /// Idle energy of unheld accelerators per pool, J.
    pub pool_idle_unallocated_j: Vec<f64>,
    /// Consumer classes' energy at the meter: each hour's attributed energy times that hour's
    /// facility / IT ratio, J (one per class).
    pub at_meter_j: Vec<f64>,
    /// Each class's `energy_j` when the last hour closed.
    hour_mark_j: Vec<f64>,
    /// This step's power per holder, W.
    pub power_w: Vec<f64>,
    // Scratch per pool.
    held: Vec<f64>,
    weight: Vec<f64>,
}

/// The step's attributed power: per sector and unallocated idle, W.
#[derive(Clone, Copy, Debug, Default)]
pub struct Split {
    pub sector_w: [f64; 4],
    pub idle_unallocated_w: f64,
}

impl Meter {
    pub fn new(holders: Vec<(usize, Sector)>, counts: [usize; 3], pools: usize) -> Meter {
        let n = holders.len();
        Meter {
            holders,
            n_classes: counts[0],
            n_twins: counts[1],
            n_missions: counts[2],
            claims: vec![Claim::default(); n],
            energy_j: vec![0.0; n],
            dynamic_j: vec![0.0; n],
            pool_idle_unallocated_j: vec![0.0; pools],
            at_meter_j: vec![0.0; counts[0]],
            hour_mark_j: vec![0.0; counts[0]],
            power_w: vec![0.0; n],
            held: vec![0.0; pools],
            weight: vec![0.0; pools],
        }
    }

    /// First index of the training slots in `holders`.
    pub fn slot_base(&self) -> usize {
        self.n_classes + self.n_twins + self.n_missions
    }

    /// An hour closed with facility / IT energy `ratio`: each class's energy of that hour
    /// goes to the meter side at it (the per-request figure publications state with the PUE).
    pub fn close_hour(&mut self, ratio: f64) {
        for ((m, mark), &e) in self
            .at_meter_j
            .iter_mut()
            .zip(self.hour_mark_j.iter_mut())
            .zip(&self.energy_j)
        {
            *m += (e - *mark) * ratio;
            *mark = e;
        }
    }

    /// Splits each pool's power among this step's claims and adds `dt_s` of it to the
    /// accumulators.
    pub fn attribute(&mut self, pools: &[PoolPower], dt_s: f64) -> Split {
        let np = pools.len();
        let (held, weight) = (&mut self.held[..np], &mut self.weight[..np]);
        held.fill(0.0);
        weight.fill(0.0);
        for (c, &(p, _)) in self.claims.iter().zip(&self.holders) {
            held[p] += c.held;
            weight[p] += c.weight;
        }
        let mut split = Split::default();
        // Per pool: idle per held unit, dynamic per weight unit, and the unheld idle.
        for (((pp, h), w), acc) in pools
            .iter()
            .zip(held.iter_mut())
            .zip(weight.iter_mut())
            .zip(self.pool_idle_unallocated_j.iter_mut())
        {
            let dynamic = (pp.power_w - pp.idle_w).max(0.0);
            let denom = pp.capacity.max(*h);
            let idle_per_held = if denom > 0.0 { pp.idle_w / denom } else { 0.0 };
            let unheld_idle = pp.idle_w - idle_per_held * *h;
            // Dynamic power with no work to carry it (fans on an idle pool) is the pool's own.
            let (dyn_per_weight, orphan) = if *w > 0.0 {
                (dynamic / *w, 0.0)
            } else {
                (0.0, dynamic)
            };
            let unalloc = unheld_idle.max(0.0) + orphan;
            split.idle_unallocated_w += unalloc;
            *acc += unalloc * dt_s;
            // Reuse the scratch: per-unit figures for the holder loop.
            *h = idle_per_held;
            *w = dyn_per_weight;
        }
        let (held, weight) = (&self.held[..np], &self.weight[..np]);
        for ((((c, &(p, sector)), pw), e), d) in self
            .claims
            .iter()
            .zip(&self.holders)
            .zip(self.power_w.iter_mut())
            .zip(self.energy_j.iter_mut())
            .zip(self.dynamic_j.iter_mut())
        {
            // A holder that claims nothing (an idle training slot: most of them) gets nothing:
            // its figures would be `0 x` the per-unit figures (finite and not negative), so
            // `+0.0` added to tallies that start at `+0.0` and only grow, which leaves them as
            // they are. Its power is written (`0.0`, as before) and the rest passed over.
            if c.held == 0.0 && c.weight == 0.0 {
                *pw = 0.0;
                continue;
            }
            let dynamic = c.weight * weight[p];
            let w = c.held * held[p] + dynamic;
            *pw = w;
            *e += w * dt_s;
            *d += dynamic * dt_s;
            split.sector_w[sector as usize & 3] += w;
        }
        split
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pool of 10 accelerators, 100 W idle and 300 W dynamic each at full load; a job holds 6
    /// and keeps them 50 % busy (3 units), a class keeps 2 busy. Hand figures: idle per
    /// accelerator 100 W; job idle 600 W, class idle 200 W, unheld 200 W; dynamic at 5/10
    /// utilisation = 1500 W split 3:2 -> 900 W and 600 W.
    #[test]
    fn hand_computed_split() {
        let mut m = Meter::new(
            vec![(0, Sector::Consumer), (0, Sector::Training)],
            [1, 0, 0],
            1,
        );
        m.claims[0] = Claim {
            held: 2.0,
            weight: 2.0,
        };
        m.claims[1] = Claim {
            held: 6.0,
            weight: 3.0,
        };
        let pools = [PoolPower {
            power_w: 1000.0 + 1500.0,
            idle_w: 1000.0,
            capacity: 10.0,
        }];
        let s = m.attribute(&pools, 2.0);
        assert!((m.power_w[0] - 800.0).abs() < 1e-9);
        assert!((m.power_w[1] - 1500.0).abs() < 1e-9);
        assert!((s.idle_unallocated_w - 200.0).abs() < 1e-9);
        assert!((s.sector_w[0] - 800.0).abs() < 1e-9);
        assert!((s.sector_w[2] - 1500.0).abs() < 1e-9);
        assert!((m.dynamic_j[0] - 1200.0).abs() < 1e-9);
        let total: f64 = s.sector_w.iter().sum::<f64>() + s.idle_unallocated_w;
        assert!((total - 2500.0).abs() < 1e-9);
    }

    /// Claims beyond the working capacity share its idle; nothing is left unallocated.
    #[test]
    fn over_claimed_pool_shares_idle() {
        let mut m = Meter::new(
            vec![(0, Sector::Industrial), (0, Sector::Defense)],
            [0, 1, 1],
            1,
        );
        m.claims[0] = Claim {
            held: 8.0,
            weight: 0.0,
        };
        m.claims[1] = Claim {
            held: 8.0,
            weight: 0.0,
        };
        let pools = [PoolPower {
            power_w: 1000.0,
            idle_w: 1000.0,
            capacity: 10.0,
        }];
        let s = m.attribute(&pools, 1.0);
        assert!((m.power_w[0] - 500.0).abs() < 1e-9);
        assert!(s.idle_unallocated_w.abs() < 1e-9);
    }

    /// Passing over the holders that claim nothing changes no figure: over random pools and
    /// claims (a third of the holders idle, some pools with no weight, some over-claimed),
    /// every tally, power and split is the one the holder loop gives when it takes every
    /// holder (its formulas, copied here), bit for bit, step after step.
    #[test]
    fn holders_that_claim_nothing_change_no_figure() {
        use crate::base::rng::{TAG_PARAMS, stream, uniform};
        let sectors = [
            Sector::Consumer,
            Sector::Industrial,
            Sector::Training,
            Sector::Defense,
        ];
        let holders: Vec<(usize, Sector)> = (0..24).map(|i| (i % 3, sectors[i % 4])).collect();
        let mut m = Meter::new(holders.clone(), [6, 6, 6], 3);
        let (mut energy, mut dynamic, mut unalloc) = (vec![0.0; 24], vec![0.0; 24], [0.0; 3]);
        let mut r = stream(5, TAG_PARAMS, 0);
        let mut skipped = 0;
        for step in 0..2_000 {
            for c in m.claims.iter_mut() {
                *c = if uniform(&mut r) < 0.33 {
                    skipped += 1;
                    Claim::default()
                } else {
                    Claim {
                        held: 40.0 * uniform(&mut r),
                        weight: if step % 7 == 0 {
                            0.0
                        } else {
                            30.0 * uniform(&mut r)
                        },
                    }
                };
            }
            let pools: Vec<PoolPower> = (0..3)
                .map(|_| PoolPower {
                    power_w: 1e5 * (1.0 + uniform(&mut r)),
                    idle_w: 1e5 * uniform(&mut r),
                    capacity: 200.0 * uniform(&mut r),
                })
                .collect();
            let dt_s = 60.0 * (1.0 + uniform(&mut r));
            // The loop over every holder, as it was.
            let (mut held, mut weight) = ([0.0; 3], [0.0; 3]);
            for (c, &(p, _)) in m.claims.iter().zip(&holders) {
                held[p] += c.held;
                weight[p] += c.weight;
            }
            let mut want = Split::default();
            for (p, pp) in pools.iter().enumerate() {
                let dynamic = (pp.power_w - pp.idle_w).max(0.0);
                let denom = pp.capacity.max(held[p]);
                let idle_per_held = if denom > 0.0 { pp.idle_w / denom } else { 0.0 };
                let unheld_idle = pp.idle_w - idle_per_held * held[p];
                let (dyn_per_weight, orphan) = if weight[p] > 0.0 {
                    (dynamic / weight[p], 0.0)
                } else {
                    (0.0, dynamic)
                };
                let u = unheld_idle.max(0.0) + orphan;
                want.idle_unallocated_w += u;
                unalloc[p] += u * dt_s;
                (held[p], weight[p]) = (idle_per_held, dyn_per_weight);
            }
            let mut power = vec![0.0; 24];
            for (k, (c, &(p, sector))) in m.claims.iter().zip(&holders).enumerate() {
                let d = c.weight * weight[p];
                let w = c.held * held[p] + d;
                power[k] = w;
                energy[k] += w * dt_s;
                dynamic[k] += d * dt_s;
                want.sector_w[sector as usize & 3] += w;
            }
            let got = m.attribute(&pools, dt_s);
            let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got.sector_w), bits(&want.sector_w), "step {step}");
            assert_eq!(
                got.idle_unallocated_w.to_bits(),
                want.idle_unallocated_w.to_bits()
            );
            assert_eq!(bits(&m.power_w), bits(&power), "step {step}");
            assert_eq!(bits(&m.energy_j), bits(&energy), "step {step}");
            assert_eq!(bits(&m.dynamic_j), bits(&dynamic), "step {step}");
            assert_eq!(bits(&m.pool_idle_unallocated_j), bits(&unalloc));
        }
        assert!(skipped > 10_000, "{skipped}");
    }
}
