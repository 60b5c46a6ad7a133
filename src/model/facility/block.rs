//! The physical facility over a quiet block of steps, at its own rate (issue 20).
//!
//! Within a quiet block (no node off its set point, nothing throttled, every group's heat
//! within its share of its plant's capacity) the facility's only state does not move, and
//! its cooling is a smooth function of each plant's heat, which moves by a few percent within
//! a block. So each plant is evaluated at three points of its heat in the block (least, mean,
//! most) and each step's cooling and water read off the quadratic through them; the electrical
//! chain is evaluated exactly at every step, so facility = IT + cooling + losses holds at every
//! step by construction. The quadratic is checked against the exact evaluation half-way
//! between the mean and the most heat; off by more than [`MAX_LINEAR_ERROR`] of IT power, the
//! block is refused and the engine steps it instead.

use super::physics::PreparedChain;
use super::site::{PhysicsFacility, PhysicsState};
use crate::model::weather::WeatherHour;

/// Largest error of the interpolated cooling allowed at the check point, as a share of IT
/// power (the engine's promise is 0.1 % of facility power per step).
pub const MAX_LINEAR_ERROR: f64 = 1e-4;

/// A quiet block's facility, step by step: the buffers are reused from block to block.
#[derive(Clone, Debug, Default)]
pub struct BlockSeries {
    pub cooling_w: Vec<f64>,
    pub losses_w: Vec<f64>,
    pub water_l: Vec<f64>,
    /// Load-bank tests under way, W (constant: a block never spans a test's start or end).
    pub load_bank_w: f64,
    /// Hottest air inlet (or coolant supply, on a site without air-cooled groups), °C.
    pub inlet_max_c: f64,
    pub outdoor: WeatherHour,
    /// Heat per plant and step, W (plant-major).
    heat: Vec<f64>,
    plant: Vec<Quadratic>,
}

impl PhysicsFacility {
    /// Fills `out` with the facility of `n` steps whose group IT powers are `group_it`
    /// (group-major, `n` per group) and total IT `it`, in weather hour `hour`, and `fac` with
    /// each step's facility power (IT, load banks, cooling and losses); false (and the state
    /// untouched) when the block is not quiet for the facility or the interpolation is not
    /// close enough.
    #[allow(clippy::too_many_arguments)]
    pub fn quiet_block(
        &self,
        st: &mut PhysicsState,
        group_it: &[f64],
        it: &[f64],
        hour: usize,
        dt_s: f64,
        out: &mut BlockSeries,
        fac: &mut Vec<f64>,
    ) -> bool {
        let n = it.len();
        if n == 0 || !self.at_rest(st) {
            return false;
        }
        let outdoor = st.weather[hour];
        let ph = &self.phases[st.phase];
        self.plant_heat(st, group_it, n, out);
        if !self.fit_plants(st, group_it, it, &outdoor, dt_s, out) {
            return false;
        }
        // Each step: its plants' cooling and water (plant by plant over the block's steps,
        // summed in plant order as a step sums them).
        out.cooling_w.clear();
        out.cooling_w.resize(n, 0.0);
        out.water_l.clear();
        out.water_l.resize(n, 0.0);
        for (q, heat) in out.plant.iter().zip(out.heat.chunks_exact(n)) {
            let (kp, kw) = (q.coefficients(&q.power), q.coefficients(&q.water));
            for ((c, w), &h) in out
                .cooling_w
                .iter_mut()
                .zip(out.water_l.iter_mut())
                .zip(heat)
            {
                *c += q.at(&kp, h);
                *w += q.at(&kw, h);
            }
        }
        chain_steps(&ph.electrical, st.bank_w, it, out, fac);
        for (k, q) in out.plant.iter().enumerate() {
            st.plant_heat[k] = out.heat[k * n + n - 1];
            st.plant_capacity[k] = q.cap;
        }
        out.load_bank_w = st.bank_w;
        out.outdoor = outdoor;
        out.inlet_max_c = self.inlet_max_c(st);
        true
    }

    /// Each plant's heat at each step of the block (`out.heat`, plant-major): its load banks'
    /// heat, then its groups' IT in group order (as a step adds them).
    fn plant_heat(&self, st: &PhysicsState, group_it: &[f64], n: usize, out: &mut BlockSeries) {
        out.heat.clear();
        out.heat.resize(self.plants.len() * n, 0.0);
        // A load bank's heat is constant through the block (its start and end end blocks).
        for (k, &b) in st.bank_heat.iter().enumerate() {
            if b != 0.0 {
                out.heat[k * n..(k + 1) * n].iter_mut().for_each(|x| *x = b);
            }
        }
        for (g, series) in self.groups.iter().zip(group_it.chunks_exact(n)) {
            let h = &mut out.heat[g.plant * n..(g.plant + 1) * n];
            for (x, &w) in h.iter_mut().zip(series) {
                *x += w;
            }
        }
    }

    /// Each plant through three points of its heat (least, mean, most) into `out.plant`, in
    /// weather `outdoor`; false when a group's heat exceeds its share of its plant's capacity,
    /// a load bank its plant's, or the quadratic misses the plant half-way between mean and
    /// most heat.
    #[allow(clippy::too_many_arguments)]
    fn fit_plants(
        &self,
        st: &PhysicsState,
        group_it: &[f64],
        it: &[f64],
        outdoor: &WeatherHour,
        dt_s: f64,
        out: &mut BlockSeries,
    ) -> bool {
        let n = it.len();
        let ph = &self.phases[st.phase];
        out.plant.clear();
        for (p, heat) in ph.plants.iter().zip(out.heat.chunks_exact(n)) {
            // Least and most as `f64::min` and `max` give them (a NaN is passed over), by
            // comparisons: one instruction a step each.
            let (mut lo, mut hi, mut sum) = (f64::MAX, f64::MIN, 0.0);
            for &h in heat {
                lo = if h < lo { h } else { lo };
                hi = if h > hi { h } else { hi };
                sum += h;
            }
            let mid = sum / n as f64;
            let Some(p) = p else {
                // No module online: no power, no water, no capacity.
                out.plant.push(Quadratic {
                    x: [lo, mid, hi],
                    ..Quadratic::default()
                });
                continue;
            };
            let at = |h: f64| p.evaluate(h, outdoor, dt_s);
            let (a, m, z) = (at(lo), at(mid), at(hi));
            out.plant.push(Quadratic {
                x: [lo, mid, hi],
                power: [a.power_w, m.power_w, z.power_w],
                water: [a.evaporated_l, m.evaporated_l, z.evaporated_l],
                cap: a.capacity_w.min(m.capacity_w).min(z.capacity_w),
            });
        }
        // Every group within its share of its plant's capacity at every step: nodes stay put.
        // (A step above `q_cap >= 0` is one whose heat, held at 0 from below, exceeds it: the
        // most heat from 0 up, by comparisons, tells the same.)
        for ((g, share), series) in self
            .groups
            .iter()
            .zip(&ph.shares)
            .zip(group_it.chunks_exact(n))
        {
            let q_cap = (out.plant[g.plant].cap * share).max(0.0);
            let top = series.iter().fold(0.0, |m, &w| if w > m { w } else { m });
            if top > q_cap {
                return false;
            }
        }
        // A load bank beyond its plant's capacity leaves heat unremoved: stepped, as a
        // saturated plant is.
        if st.bank_w > 0.0 && out.plant.iter().any(|q| q.x[2] > q.cap) {
            return false;
        }
        // The interpolation against the exact evaluation half-way between mean and most heat
        // (a kink in a plant's curve inside the block shows there).
        let mut gap = 0.0;
        for (p, q) in ph.plants.iter().zip(&out.plant) {
            if let Some(p) = p {
                let h = 0.5 * (q.x[1] + q.x[2]);
                let k = q.coefficients(&q.power);
                gap += (q.at(&k, h) - p.evaluate(h, outdoor, dt_s).power_w).abs();
            }
        }
        // Against the most IT of the block; any step's IT is no more, so a gap within the
        // first step's bound needs no search for the most.
        let over = |it_w: f64| gap > MAX_LINEAR_ERROR * it_w.max(1.0);
        !over(it[0]) || !over(it.iter().copied().fold(0.0, f64::max))
    }

    /// Nothing in the facility's state can move in a quiet block: every node at its set point,
    /// nothing throttled or fanned up, no plant units that fail step by step.
    pub fn at_rest(&self, st: &PhysicsState) -> bool {
        self.units.is_none()
            && st.all_uncapped
            && st.fan_mult.iter().all(|&f| f == 1.0)
            && st.nodes.iter().all(|nd| nd.temp_c == nd.setpoint_c)
    }

    /// The hottest air inlet of the air-cooled groups, or the hottest coolant supply on a site
    /// without any (as a step reports it).
    fn inlet_max_c(&self, st: &PhysicsState) -> f64 {
        let (mut air, mut coolant) = (f64::MIN, f64::MIN);
        for (g, node) in self.groups.iter().zip(&st.nodes) {
            if g.air_cooled {
                air = air.max(node.temp_c);
            } else {
                coolant = coolant.max(node.temp_c);
            }
        }
        if air > f64::MIN { air } else { coolant }
    }
}

/// Each step's cooling (held at 0 from below), losses, water (likewise) and facility power
/// (IT, load banks, cooling, losses, as a step adds them). The UPS curve's pieces around the
/// first step's are found once; if a step's load falls outside them, the block is worked out
/// again with the per-step search. The same bits either way.
fn chain_steps(
    chain: &PreparedChain,
    bank_w: f64,
    it: &[f64],
    out: &mut BlockSeries,
    fac: &mut Vec<f64>,
) {
    let n = it.len();
    out.losses_w.clear();
    out.losses_w.resize(n, 0.0);
    fac.clear();
    fac.resize(n, 0.0);
    let cool = &mut out.cooling_w[..n];
    let (loss, water, fac) = (&mut out.losses_w[..n], &mut out.water_l[..n], &mut fac[..n]);
    let seg = chain.window(chain.step_load_fraction(it[0] + bank_w, cool[0].max(0.0)));
    let mut outside = 0usize;
    if let Some(seg) = &seg {
        for i in 0..n {
            let c = cool[i].max(0.0);
            let (l, inside) = chain.losses_in(seg, it[i] + bank_w, c);
            cool[i] = c;
            loss[i] = l;
            water[i] = water[i].max(0.0);
            fac[i] = it[i] + bank_w + c + l;
            outside += usize::from(!inside);
        }
    }
    if seg.is_none() || outside > 0 {
        for i in 0..n {
            let c = cool[i].max(0.0);
            let l = chain.losses(it[i] + bank_w, c).total_w();
            cool[i] = c;
            loss[i] = l;
            water[i] = water[i].max(0.0);
            fac[i] = it[i] + bank_w + c + l;
        }
    }
}

/// A plant's cooling power and water through three points of its heat.
#[derive(Clone, Debug, Default)]
struct Quadratic {
    x: [f64; 3],
    power: [f64; 3],
    water: [f64; 3],
    cap: f64,
}

impl Quadratic {
    /// Coefficients `(c0, c1, c2)` of the quadratic through `(x[k], y[k])`, in `h - x[1]`
    /// (centred, so the terms stay small); constant when the points coincide, linear when two
    /// do.
    fn coefficients(&self, y: &[f64; 3]) -> [f64; 3] {
        let [a, b, c] = self.x;
        let span = c - a;
        if span <= 1e-9 * c.abs().max(1.0) {
            return [y[1], 0.0, 0.0];
        }
        if (b - a) <= 1e-9 * span || (c - b) <= 1e-9 * span {
            let slope = (y[2] - y[0]) / span;
            return [y[0] + slope * (b - a), slope, 0.0];
        }
        let (da, dc) = (a - b, c - b);
        let (sa, sc) = ((y[0] - y[1]) / da, (y[2] - y[1]) / dc);
        let c2 = (sc - sa) / (dc - da);
        [y[1], sa - c2 * da, c2]
    }

    /// The quadratic at `h`, from [`Quadratic::coefficients`].
    #[inline(always)]
    fn at(&self, k: &[f64; 3], h: f64) -> f64 {
        let d = h - self.x[1];
        k[0] + d * (k[1] + d * k[2])
    }
}
