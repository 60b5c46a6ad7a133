//! Hourly bands across trials (the mean and the run's percentiles of each hour), the bulk of
//! building hourly.csv and load_8760.csv for a large study.
//!
//! Hours are banded in chunks on the rayon pool and the chunks' text joined in hour order; each
//! figure comes from one hour's values alone, its mean summed in trial order and its percentiles
//! by [`RankPlan`] (a sort of a few trials' values, a selection among many: the same bits as a
//! full sort), so the bytes do not depend on the threads. A chunk copies its hours' values once,
//! column by column, into its task's buffer: no allocation per hour.

use rayon::prelude::*;

use crate::base::numfmt::push_fixed;
use crate::base::stats::RankPlan;
use crate::report::stamps::Stamper;
use crate::run::traces::Rows;

/// Hours banded by one task.
const CHUNK_HOURS: usize = 12;

/// Every trial's figures hour by hour, `stride` an hour.
pub trait TrialHours: Sync {
    fn trials(&self) -> usize;
    fn stride(&self) -> usize;
    /// Trial `t`'s figures of hours `a..b`.
    fn hours(&self, t: usize, a: usize, b: usize) -> &[f32];
}

impl TrialHours for Rows<'_> {
    fn trials(&self) -> usize {
        Rows::trials(self)
    }
    fn stride(&self) -> usize {
        self.metrics()
    }
    fn hours(&self, t: usize, a: usize, b: usize) -> &[f32] {
        Rows::hours(self, t, a, b)
    }
}

/// One figure a trial has each hour (its facility column), from hour 0.
pub struct Columns<'a>(pub &'a [Vec<f32>]);

impl TrialHours for Columns<'_> {
    fn trials(&self) -> usize {
        self.0.len()
    }
    fn stride(&self) -> usize {
        1
    }
    fn hours(&self, t: usize, a: usize, b: usize) -> &[f32] {
        &self.0[t][a..b]
    }
}

/// What a band row holds: each of `fields` (the figure's place within an hour's `stride`
/// figures, and its decimals) as its mean and percentiles. `mean_from` is where the trial-order
/// sum starts: +0 as [`crate::base::stats::Band::of`] sums, -0 as `Iterator::sum` does (they
/// differ only when every value is -0), kept per file so each writes the bytes it always wrote.
pub struct Layout<'a> {
    pub stamp: &'a Stamper<'a>,
    pub fields: &'a [(usize, usize)],
    pub percentiles: &'a [f64],
    pub mean_from: f64,
}

/// The band rows of hours `h0..h1` (a timestamp, then the fields), in hour order.
pub fn push_rows(
    out: &mut String,
    data: &impl TrialHours,
    layout: &Layout<'_>,
    h0: usize,
    h1: usize,
) {
    let plan = RankPlan::new(data.trials(), layout.percentiles);
    let starts: Vec<usize> = (h0..h1).step_by(CHUNK_HOURS).collect();
    let parts: Vec<String> = starts
        .par_iter()
        .map_init(Vec::new, |keys, &a| {
            chunk(data, layout, &plan, a, (a + CHUNK_HOURS).min(h1), keys)
        })
        .collect();
    for p in parts {
        out.push_str(&p);
    }
}

/// The rows of hours `a..b`; `buf` is the task's buffer for the keys, kept from one chunk to
/// the next (at 1,000 trials a chunk's keys are 1 MB, which a fresh buffer would take from the
/// system and zero each time).
fn chunk(
    data: &impl TrialHours,
    layout: &Layout<'_>,
    plan: &RankPlan,
    a: usize,
    b: usize,
    buf: &mut Vec<i32>,
) -> String {
    let (n, stride, nf) = (data.trials(), data.stride(), layout.fields.len());
    let len = b - a;
    // [hour][field][trial]: each band's values side by side, as keys that order as `total_cmp`
    // orders the figures; each band's sum taken on the way, in trial order. Every key is
    // written below, so what the buffer held before is never read.
    buf.resize(len * nf * n, 0);
    let mut sums = vec![layout.mean_from; len * nf];
    for t in 0..n {
        let row = data.hours(t, a, b);
        for h in 0..len {
            for (f, &(m, _)) in layout.fields.iter().enumerate() {
                let v = row[h * stride + m];
                sums[h * nf + f] += f64::from(v);
                buf[(h * nf + f) * n + t] = order_key(v);
            }
        }
    }
    let mut out = String::with_capacity(len * (32 + nf * (1 + layout.percentiles.len()) * 12));
    for h in 0..len {
        layout.stamp.push(&mut out, (a + h) as u64 * 3600);
        for (f, &(_, prec)) in layout.fields.iter().enumerate() {
            let keys = &mut buf[(h * nf + f) * n..][..n];
            out.push(',');
            push_fixed(&mut out, sums[h * nf + f] / n as f64, prec);
            plan.each_key(
                keys,
                |k| f64::from(from_order_key(k)),
                |v| {
                    out.push(',');
                    push_fixed(&mut out, v, prec);
                },
            );
        }
        out.push('\n');
    }
    out
}

/// An f32 as an i32 that orders as `f32::total_cmp` orders the floats (the transform
/// `total_cmp` itself applies to both sides of every comparison), so a selection compares
/// plain integers.
fn order_key(v: f32) -> i32 {
    let k = v.to_bits() as i32;
    k ^ ((((k >> 31) as u32) >> 1) as i32)
}

/// The f32 of an [`order_key`] (the transform undoes itself).
fn from_order_key(k: i32) -> f32 {
    f32::from_bits((k ^ ((((k >> 31) as u32) >> 1) as i32)) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn order_keys_order_as_total_cmp_and_give_the_float_back(a in any::<f32>(), b in any::<f32>()) {
            prop_assert_eq!(order_key(a).cmp(&order_key(b)), a.total_cmp(&b));
            prop_assert_eq!(from_order_key(order_key(a)).to_bits(), a.to_bits());
        }
    }
}
