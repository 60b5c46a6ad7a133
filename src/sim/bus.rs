//! The figures each pool carries through one step, from the workloads that fill it to the
//! fleet that turns it into power, the grid that may shed some of it and the meter that splits
//! the power among holders. It is the only data the layers pass to each other within a step.

use crate::model::fleet::Sector;

/// A pool's figures within one step.
#[derive(Clone, Copy, Debug, Default)]
pub struct PoolStep {
    /// Capacity not yet given to a workload, accelerator-seconds per second.
    pub free: f64,
    /// Busy accelerator-equivalents by sector.
    pub busy: [f64; 4],
    /// Consumer work waiting for this pool (queued plus arrived), accelerator-seconds.
    pub consumer_demand: f64,
    /// Share of consumer demand the pool can serve this step.
    pub consumer_share: f64,
    /// Consumer work served this step, accelerator-seconds.
    pub consumer_served: f64,
    /// 1 / this step's capacity (thermal caps can shrink it).
    pub inv_capacity: f64,
    /// Busy share of this step's capacity.
    pub util: f64,
    pub power_w: f64,
    /// Idle power of the pool's working servers, W.
    pub idle_w: f64,
    /// Working capacity this step (after thermal caps and failures).
    pub capacity: f64,
    /// Consumer work served this step weighted by each class's power scale, accelerator-s.
    pub consumer_power: f64,
    /// `consumer_power / consumer_served`: the consumer sector's power weight (1 by default).
    pub consumer_weight: f64,
    /// `busy` as served, before demand response or a cap shed any of it.
    pub served_busy: [f64; 4],
    /// `busy` after demand response, before a cap shed any of it.
    pub after_dr_busy: [f64; 4],
}

impl PoolStep {
    /// A pool at the start of a step: all of `capacity` free.
    pub fn fresh(capacity: f64, inv_capacity: f64) -> PoolStep {
        PoolStep {
            free: capacity,
            capacity,
            inv_capacity,
            consumer_weight: 1.0,
            ..PoolStep::default()
        }
    }
}

/// Busy accelerator-equivalents by sector, summed over pools.
pub fn sum_busy(pools: &[PoolStep]) -> [f64; 4] {
    let mut b = [0.0; 4];
    for ps in pools {
        for (x, y) in b.iter_mut().zip(ps.busy) {
            *x += y;
        }
    }
    b
}

/// Busy accelerator-equivalents of one sector, summed over pools.
pub fn sector_busy(pools: &[PoolStep], sector: Sector) -> f64 {
    pools.iter().map(|p| p.busy[sector as usize]).sum()
}
