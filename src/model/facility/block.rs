//! The physical facility over a quiet block of steps, at its own rate (issue 20).
//!
//! Within a quiet block (no node off its set point, nothing throttled, every group's heat
//! within its share of its plant's capacity) the facility's only state does not move, and
//! its cooling is a smooth function of each plant's heat, which moves by a few percent within
//! a block. So each plant is evaluated at three points of its heat in the block (least, mean,
//! most) and each step's cooling read off the quadratic through them; the quadratic is checked
//! against the exact evaluation half-way between the mean and the most heat. The electrical
//! chain is a quadratic in the step's load (IT and load banks) and cooling, fit by six exact
//! evaluations over the box of the block's loads and cooling and checked at a seventh
//! ([`PreparedChain::fit_losses`]); a block whose UPS loads cross a point of the UPS curve
//! gets one quadratic for the piece on each side, each step reading its own; a block crossing
//! more (or the first point) takes the exact chain at each step. Off by more than
//! [`MAX_LINEAR_ERROR`] of IT power at a check, the plant's block is refused (the engine steps
//! it), the chain's evaluated exactly.
//!
//! The engine needs each step's facility power (peaks, ramps, intervals, the import limit,
//! the trace), but cooling, losses and water only as the block's sums (the hourly meter's
//! means). So each step costs its plants' quadratics, the chain's and two sums: facility =
//! load + cooling + losses at every step by construction, and the block's cooling and losses
//! are the sums of the steps' (so the hour's columns add up). The water is summed from each
//! plant's quadratic and the moments of its heat about its mean; cooling and water are held
//! at 0 from below as a step holds them: cooling step by step, the water step by step only
//! when a plant's quadratic can go below 0 inside the block's heat.

use super::lanes::F2;
use super::physics::{LossFit, PreparedChain};
use super::site::{PhysicsFacility, PhysicsState};
use crate::model::weather::WeatherHour;

/// Largest error allowed at a check point, of a plant's interpolated cooling or of the chain's
/// interpolated losses, as a share of IT power (the engine's promise is 0.1 % of facility
/// power per step).
pub const MAX_LINEAR_ERROR: f64 = 1e-4;

/// A quiet block's facility: each step's power goes to the caller's series, the rest only as
/// the block's sums (what the hourly meter takes). The buffers are reused from block to block.
#[derive(Clone, Debug, Default)]
pub struct BlockSeries {
    /// Cooling and losses summed over the block's steps, W (the meter takes their means).
    pub cooling_sum_w: f64,
    pub losses_sum_w: f64,
    /// On-site water of the block, L.
    pub water_l: f64,
    /// Load-bank tests under way, W (constant: a block never spans a test's start or end).
    pub load_bank_w: f64,
    /// Hottest air inlet (or coolant supply, on a site without air-cooled groups), °C.
    pub inlet_max_c: f64,
    pub outdoor: WeatherHour,
    /// Heat per plant and step, W (plant-major).
    heat: Vec<f64>,
    /// Each step's cooling before it is held at 0 from below, W.
    cool: Vec<f64>,
    /// Each group's most IT in the block, W (0 from below).
    group_top: Vec<f64>,
    plant: Vec<Quadratic>,
}

impl PhysicsFacility {
    /// Fills `fac` with each step's facility power (IT, load banks, cooling and losses) for
    /// `n` steps whose group IT powers are `group_it` (group-major, `n` per group) and total
    /// IT `it`, in weather hour `hour`, and `out` with the block's sums; false (and the state
    /// untouched) when the block is not quiet for the facility or an interpolation is not
    /// close enough. Without `figures`, only the answer and what the block leaves in the state
    /// (the same tests on the same figures, so the same blocks pass), `fac` `n` zeros.
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
        figures: bool,
    ) -> bool {
        let n = it.len();
        if n == 0 || !self.at_rest(st) {
            return false;
        }
        let outdoor = st.weather[hour];
        self.refresh_plant_hours(st, &outdoor);
        self.plant_heat(st, group_it, n, out);
        if !self.fit_plants(st, it, dt_s, out) {
            return false;
        }
        if !figures {
            // The answer alone, for a block then evaluated exactly step by step (the queued
            // route), which fills `fac` and `out`'s sums: the plants' fits decide and what
            // they leave is left; the chain's loss fit, the steps' powers and the water only
            // make figures. A default-study trial whose inference pool saturates all year
            // (1,022 M instructions) took 29 M fewer.
            fac.clear();
            fac.resize(n, 0.0);
            self.close_block(st, n, hour, out);
            return true;
        }
        let ph = &self.phases[st.phase];
        // The chain's losses as a quadratic over the block's loads and cooling (the box
        // holding every step's: the plants' least and most heat less the banks' heat, the
        // plants' cooling at its least and most over their heat).
        let bank_heat: f64 = st.bank_heat.iter().sum();
        let (mut l_lo, mut l_hi) = (st.bank_w - bank_heat, st.bank_w - bank_heat);
        let (mut c_lo, mut c_hi) = (0.0, 0.0);
        for q in &out.plant {
            l_lo += q.x[0];
            l_hi += q.x[2];
            let (a, b) = q.power_range();
            c_lo += a;
            c_hi += b;
        }
        let (c_lo, c_hi) = (c_lo.max(0.0), c_hi.max(0.0));
        let tol = MAX_LINEAR_ERROR * (l_lo - st.bank_w).max(1.0);
        let chain = &ph.electrical;
        let fit = chain.fit_losses((l_lo, l_hi), (c_lo, c_hi), tol);
        (out.cooling_sum_w, out.losses_sum_w) = chain_steps(
            chain,
            fit.as_ref(),
            st.bank_w,
            it,
            &mut out.plant,
            &out.heat,
            &mut out.cool,
            fac,
        );
        out.water_l = water_sum(&out.plant, &out.heat, n);
        self.close_block(st, n, hour, out);
        true
    }

    /// What a quiet block leaves: each plant's last heat and capacity in the state, and the
    /// block's load banks, weather and hottest inlet in `out`.
    fn close_block(&self, st: &mut PhysicsState, n: usize, hour: usize, out: &mut BlockSeries) {
        for (k, q) in out.plant.iter().enumerate() {
            st.plant_heat[k] = out.heat[k * n + n - 1];
            st.plant_capacity[k] = q.cap;
        }
        out.load_bank_w = st.bank_w;
        out.outdoor = st.weather[hour];
        out.inlet_max_c = self.inlet_max_c(st);
    }

    /// Each plant's heat at each step of the block (`out.heat`, plant-major): its load banks'
    /// heat, then its groups' IT in group order (as a step adds them); each group's most IT
    /// (`out.group_top`); and in the same pass each plant's least, mean and most heat and its
    /// sum (`out.plant`), the plant's groups read together so each step's heat stays in a
    /// register.
    fn plant_heat(&self, st: &PhysicsState, group_it: &[f64], n: usize, out: &mut BlockSeries) {
        // Every step of every plant is written below: only a longer block needs the buffer
        // grown (so no block pays to clear it).
        out.heat.resize(self.plants.len() * n, 0.0);
        out.group_top.clear();
        out.group_top.resize(self.groups.len(), 0.0);
        out.plant.clear();
        for (k, heat) in out.heat.chunks_exact_mut(n).enumerate() {
            // A load bank's heat is constant through the block (its start and end end blocks).
            let bank = match st.bank_heat.get(k) {
                Some(&b) if b != 0.0 => b,
                _ => 0.0,
            };
            let (mut gs, mut count) = ([0; 4], 0);
            for (g, _) in self.groups.iter().enumerate().filter(|(_, g)| g.plant == k) {
                if count < gs.len() {
                    gs[count] = g;
                }
                count += 1;
            }
            let tops = &mut out.group_top;
            let (lo, hi, sum) = match count {
                0 => heat_pass::<0>(bank, group_it, gs, heat, tops),
                1 => heat_pass::<1>(bank, group_it, gs, heat, tops),
                2 => heat_pass::<2>(bank, group_it, gs, heat, tops),
                3 => heat_pass::<3>(bank, group_it, gs, heat, tops),
                4 => heat_pass::<4>(bank, group_it, gs, heat, tops),
                _ => {
                    heat.fill(bank);
                    for (g, _) in self.groups.iter().enumerate().filter(|(_, g)| g.plant == k) {
                        let mut top = 0.0;
                        for (x, &w) in heat.iter_mut().zip(&group_it[g * n..(g + 1) * n]) {
                            *x += w;
                            top = if w > top { w } else { top };
                        }
                        tops[g] = top;
                    }
                    heat.iter()
                        .fold((f64::MAX, f64::MIN, 0.0), |(lo, hi, sum), &h| {
                            (
                                if h < lo { h } else { lo },
                                if h > hi { h } else { hi },
                                sum + h,
                            )
                        })
                }
            };
            out.plant.push(Quadratic {
                x: [lo, sum / n as f64, hi],
                sum,
                ..Quadratic::default()
            });
        }
    }

    /// Each plant through three points of its heat (least, mean, most) into `out.plant`, in
    /// its hour's figures (`st.plant_hours`); false when a group's heat exceeds its share of its plant's capacity,
    /// a load bank its plant's, or the quadratic misses the plant half-way between mean and
    /// most heat.
    fn fit_plants(&self, st: &PhysicsState, it: &[f64], dt_s: f64, out: &mut BlockSeries) -> bool {
        let ph = &self.phases[st.phase];
        out.plant.truncate(ph.plants.len());
        for ((p, h), q) in ph.plants.iter().zip(&st.plant_hours).zip(&mut out.plant) {
            // No module online: no power, no water, no capacity.
            if let (Some(p), Some(h)) = (p, h) {
                // The check's point (half-way between mean and most heat) with the three.
                let x = 0.5 * (q.x[1] + q.x[2]);
                let [a, m, z, at_x] = p.evaluate_many_in(h, [q.x[0], q.x[1], q.x[2], x], dt_s);
                q.check = (x, at_x.power_w);
                q.power = coefficients(&q.x, [a.power_w, m.power_w, z.power_w]);
                q.water = coefficients(&q.x, [a.evaporated_l, m.evaporated_l, z.evaporated_l]);
                q.cap = a.capacity_w.min(m.capacity_w).min(z.capacity_w);
                q.online = true;
            }
        }
        // Every group within its share of its plant's capacity at every step: nodes stay put.
        // (A step above `q_cap >= 0` is one whose heat, held at 0 from below, exceeds it: the
        // most heat from 0 up tells the same.)
        for ((g, share), &top) in self.groups.iter().zip(&ph.shares).zip(&out.group_top) {
            if top > (out.plant[g.plant].cap * share).max(0.0) {
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
        for q in out.plant.iter().filter(|q| q.online) {
            let (x, exact) = q.check;
            gap += (q.power_at(x) - exact).abs();
        }
        // Against the most IT of the block; any step's IT is no more, so a gap within the
        // first step's bound needs no search for the most.
        let over = |it_w: f64| gap > MAX_LINEAR_ERROR * it_w.max(1.0);
        !over(it[0]) || !over(it.iter().copied().fold(0.0, f64::max))
    }

    /// Nothing in the facility's state can move in a quiet block: every node at its set point
    /// (within [`REST_TOLERANCE_C`]), nothing throttled or fanned up, no plant units that fail
    /// step by step.
    pub fn at_rest(&self, st: &PhysicsState) -> bool {
        self.units.is_none()
            && st.all_uncapped
            && st.fan_mult.iter().all(|&f| f == 1.0)
            && (st.nodes.iter()).all(|nd| (nd.temp_c - nd.setpoint_c).abs() <= REST_TOLERANCE_C)
    }

    /// The hottest air inlet of the air-cooled groups, or the hottest coolant supply on a site
    /// without any (as a step reports it).
    pub(super) fn inlet_max_c(&self, st: &PhysicsState) -> f64 {
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

/// How near its set point a node counts as there, K. A node relaxing back after an overload
/// never reaches its set point exactly: with a 600 s time constant and 60 s steps,
/// `setpoint + (t - setpoint) * 0.905` rounds back to `t` once `t` is a few ulps above it
/// (`site::tests::a_node_relaxed_after_an_overload_is_at_rest`). Demanding equality left every
/// later block of such a trial stepped (a Phoenix summer: 54 % of its steps); a nanokelvin
/// changes no throttle cap or fan speed (both step from thresholds degrees away, and each is
/// checked itself) and no figure written.
pub const REST_TOLERANCE_C: f64 = 1e-9;

/// One plant's heat over the block (`heat`): `bank` plus its `G` groups' IT (`gs`, in group
/// order, `group_it` group-major) at each step, each group's most IT into `tops`; returns the
/// least, most and sum of the heat. Two steps at a time ([`F2`]): each lane adds as a step
/// adds, least and most lane by lane as `if h < lo { h } else { lo }` (MINPD and MAXPD are
/// exactly that: a NaN passed over), the sum in step order. The lanes' least (most) then
/// join by the same comparison: the same value as the scalar pass's, since only equal values
/// can tie and no heat is -0 (a sum starting at +0 or a non-zero bank never rounds to -0),
/// nor is a group's most (from +0 up). The last step of an odd block goes alone.
#[inline(always)]
fn heat_pass<const G: usize>(
    bank: f64,
    group_it: &[f64],
    gs: [usize; 4],
    heat: &mut [f64],
    tops: &mut [f64],
) -> (f64, f64, f64) {
    let n = heat.len();
    let m = n / 2;
    let series: [&[f64]; G] = std::array::from_fn(|j| &group_it[gs[j] * n..(gs[j] + 1) * n]);
    let pairs: [&[[f64; 2]]; G] = std::array::from_fn(|j| &series[j].as_chunks::<2>().0[..m]);
    let mut top2 = [F2::splat(0.0); G];
    let (mut lo2, mut hi2, mut sum) = (F2::splat(f64::MAX), F2::splat(f64::MIN), 0.0);
    let b2 = F2::splat(bank);
    // One pair of steps (`ws` each group's IT at them): their heat into `hp`, each group's
    // most, the least, most and sum.
    let mut pair = |ws: [&[f64; 2]; G], hp: &mut [f64; 2]| {
        let mut h = b2;
        for j in 0..G {
            let w = F2::load(ws[j]);
            h = h + w;
            top2[j] = w.max_or(top2[j]);
        }
        h.store(hp);
        lo2 = h.min_or(lo2);
        hi2 = h.max_or(hi2);
        sum += h.lo();
        sum += h.hi();
    };
    // Two pairs a turn, in step order: MAXPD and MINPD leave a new most (least) in the
    // register of the value compared, so a turn of one pair moved each back (six of its 29
    // instructions); of two, once. The groups' pairs in twos as the heat's, so the reads
    // need no bounds check.
    let quads_in: [&[[[f64; 2]; 2]]; G] = std::array::from_fn(|j| pairs[j].as_chunks::<2>().0);
    let (quads, last) = heat.as_chunks_mut::<2>().0[..m].as_chunks_mut::<2>();
    for (q, [a, b]) in quads.iter_mut().enumerate() {
        pair(std::array::from_fn(|j| &quads_in[j][q][0]), a);
        pair(std::array::from_fn(|j| &quads_in[j][q][1]), b);
    }
    if let [a] = last {
        pair(std::array::from_fn(|j| &pairs[j][m - 1]), a);
    }
    let most = |v: F2| if v.hi() > v.lo() { v.hi() } else { v.lo() };
    let mut top: [f64; G] = std::array::from_fn(|j| most(top2[j]));
    let (mut lo, mut hi) = (
        if lo2.hi() < lo2.lo() {
            lo2.hi()
        } else {
            lo2.lo()
        },
        most(hi2),
    );
    if n % 2 == 1 {
        let i = n - 1;
        let mut h = bank;
        for j in 0..G {
            let w = series[j][i];
            h += w;
            top[j] = if w > top[j] { w } else { top[j] };
        }
        heat[i] = h;
        lo = if h < lo { h } else { lo };
        hi = if h > hi { h } else { hi };
        sum += h;
    }
    for j in 0..G {
        tops[gs[j]] = top[j];
    }
    (lo, hi, sum)
}

/// Each step's cooling before the clamp, read as the step comes (so no series of it is
/// written and read back).
trait StepCooling: Clone {
    fn cool(&mut self, i: usize) -> f64;
    /// Steps `2 k` and `2 k + 1` at once ([`F2`]), as two calls of `cool` give them.
    fn cool2(&mut self, k: usize) -> F2;
}

/// `P` online plants' quadratics at each step's heat, summed plant by plant (as a step sums
/// them), each plant's `Σ (h - mean)²` kept for its water.
#[derive(Clone)]
struct Online<'a, const P: usize> {
    k: [[f64; 3]; P],
    m: [f64; P],
    heat: [&'a [f64]; P],
    /// `heat` in pairs of steps, `n / 2` of them (so a pass over as many reads them with no
    /// bounds check).
    pairs: [&'a [[f64; 2]]; P],
    s2: [f64; P],
    /// `k` and `m` in both lanes, for [`StepCooling::cool2`] (spread once per block).
    k2: [[F2; 3]; P],
    m2: [F2; P],
}

impl<'a, const P: usize> Online<'a, P> {
    fn new(k: [[f64; 3]; P], m: [f64; P], heat: [&'a [f64]; P]) -> Self {
        Online {
            k,
            m,
            heat,
            pairs: heat.map(|h| &h.as_chunks::<2>().0[..h.len() / 2]),
            s2: [0.0; P],
            k2: k.map(|k| k.map(F2::splat)),
            m2: m.map(F2::splat),
        }
    }
}

impl<const P: usize> StepCooling for Online<'_, P> {
    #[inline(always)]
    fn cool(&mut self, i: usize) -> f64 {
        let mut c = 0.0;
        for j in 0..P {
            let d = self.heat[j][i] - self.m[j];
            let [k0, k1, k2] = self.k[j];
            c += k0 + d * (k1 + d * k2);
            self.s2[j] += d * d;
        }
        c
    }

    #[inline(always)]
    fn cool2(&mut self, k: usize) -> F2 {
        let mut c = F2::splat(0.0);
        for j in 0..P {
            let d = F2::load(&self.pairs[j][k]) - self.m2[j];
            let [k0, k1, k2] = self.k2[j];
            c = c + (k0 + d * (k1 + d * k2));
            // Each plant's sum on its own, in step order.
            let dd = d * d;
            self.s2[j] += dd.lo();
            self.s2[j] += dd.hi();
        }
        c
    }
}

/// Each step's cooling already formed (a site with more online plants than the packed forms).
#[derive(Clone)]
struct Formed<'a>(&'a [f64]);

impl StepCooling for Formed<'_> {
    #[inline(always)]
    fn cool(&mut self, i: usize) -> f64 {
        self.0[i]
    }

    #[inline(always)]
    fn cool2(&mut self, k: usize) -> F2 {
        F2::new(self.0[2 * k], self.0[2 * k + 1])
    }
}

/// Each step's cooling before the clamp (`cool`): the plants' quadratics at its heat, plant by
/// plant (as a step sums them); and each plant's `Σ (h - mean)²` for its water.
/// Each step's cooling before the clamp (`cool`): the plants' quadratics at its heat, plant by
/// plant (as a step sums them); and each plant's `Σ (h - mean)²` for its water.
fn cooling_steps(plants: &mut [Quadratic], heat: &[f64], n: usize, cool: &mut Vec<f64>) {
    cool.clear();
    cool.resize(n, 0.0);
    for (q, heat) in plants.iter_mut().zip(heat.chunks_exact(n)) {
        if !q.online {
            continue;
        }
        let ([k0, k1, k2], m) = (q.power, q.x[1]);
        let mut s2 = 0.0;
        for (c, &h) in cool.iter_mut().zip(heat) {
            let d = h - m;
            *c += k0 + d * (k1 + d * k2);
            s2 += d * d;
        }
        q.s2 = s2;
    }
}

/// The block's on-site water, L: each plant's quadratic summed over the block from the
/// moments of its heat about its mean, when no step's water can go below 0; otherwise step by
/// step, each step's held at 0 from below (as the per-step form holds it).
fn water_sum(plants: &[Quadratic], heat: &[f64], n: usize) -> f64 {
    let nf = n as f64;
    let (mut least, mut total) = (0.0, 0.0);
    for q in plants.iter().filter(|q| q.online) {
        let [w0, w1, w2] = q.water;
        least += q.range(&q.water).0;
        total += nf * w0 + w1 * (q.sum - nf * q.x[1]) + w2 * q.s2;
    }
    if least >= 0.0 {
        return total;
    }
    (0..n)
        .map(|i| {
            let w: f64 = (plants.iter().zip(heat.chunks_exact(n)))
                .filter(|(q, _)| q.online)
                .map(|(q, h)| q.at(&q.water, h[i]))
                .sum();
            w.max(0.0)
        })
        .sum()
}

/// Each step's facility power into `fac` (its load, cooling held at 0 from below, losses, as
/// a step adds them), and the block's cooling and losses summed, in one pass with each step's
/// cooling off the online plants' quadratics (packed for up to two; `cool` holds the steps'
/// for more) and each plant's `Σ (h - mean)²` (for its water).
#[allow(clippy::too_many_arguments)]
fn chain_steps(
    chain: &PreparedChain,
    fit: Option<&LossFit>,
    bank_w: f64,
    it: &[f64],
    plants: &mut [Quadratic],
    heat: &[f64],
    cool: &mut Vec<f64>,
    fac: &mut Vec<f64>,
) -> (f64, f64) {
    let n = it.len();
    let (mut on, mut count) = ([0; 2], 0);
    for (k, _) in plants.iter().enumerate().filter(|(_, q)| q.online) {
        if count < on.len() {
            on[count] = k;
        }
        count += 1;
    }
    fn packed<const P: usize>(
        plants: &mut [Quadratic],
        heat: &[f64],
        n: usize,
        on: [usize; 2],
        steps: impl FnOnce(&mut Online<P>) -> (f64, f64),
    ) -> (f64, f64) {
        let mut src = Online::<P>::new(
            std::array::from_fn(|j| plants[on[j]].power),
            std::array::from_fn(|j| plants[on[j]].x[1]),
            std::array::from_fn(|j| &heat[on[j] * n..][..n]),
        );
        let sums = steps(&mut src);
        for j in 0..P {
            plants[on[j]].s2 = src.s2[j];
        }
        sums
    }
    match count {
        0 => packed::<0>(plants, heat, n, on, |s| {
            loss_steps(chain, fit, bank_w, it, s, fac)
        }),
        1 => packed::<1>(plants, heat, n, on, |s| {
            loss_steps(chain, fit, bank_w, it, s, fac)
        }),
        2 => packed::<2>(plants, heat, n, on, |s| {
            loss_steps(chain, fit, bank_w, it, s, fac)
        }),
        _ => {
            cooling_steps(plants, heat, n, cool);
            loss_steps(chain, fit, bank_w, it, &mut Formed(cool), fac)
        }
    }
}

/// [`chain_steps`] for the cooling `src`: the losses off `fit` (one quadratic, or one each
/// side of a UPS curve point), or without one exactly, the curve's pieces around the first
/// step's found once.
#[inline(always)]
fn loss_steps<S: StepCooling>(
    chain: &PreparedChain,
    fit: Option<&LossFit>,
    bank_w: f64,
    it: &[f64],
    src: &mut S,
    fac: &mut Vec<f64>,
) -> (f64, f64) {
    if let Some(q) = fit.and_then(LossFit::single) {
        let q2 = q.lanes();
        run_pairs(it, bank_w, src, fac, |l, c| q.at(l, c), |l, c| q2.at(l, c))
    } else if let Some(q) = fit {
        let q2 = q.lanes();
        run_pairs(it, bank_w, src, fac, |l, c| q.at(l, c), |l, c| q2.at(l, c))
    } else {
        let first = clamp(src.clone().cool(0));
        let seg = chain.window(chain.step_load_fraction(it[0] + bank_w, first));
        run(it, bank_w, src, fac, |l, c| {
            chain.total_losses_near(seg.as_ref(), l, c)
        })
    }
}

/// Each step's facility power into `fac`, its cooling off `src` and its losses off `loss`,
/// and the block's cooling and losses summed: one step at a time.
#[inline(always)]
fn run<S: StepCooling>(
    it: &[f64],
    bank_w: f64,
    src: &mut S,
    fac: &mut Vec<f64>,
    loss: impl Fn(f64, f64) -> f64,
) -> (f64, f64) {
    // A local copy, so the plants' sums stay in registers.
    let mut s = src.clone();
    let (mut cool_sum, mut loss_sum) = (0.0, 0.0);
    // Written in place, in one loop the compiler keeps whole (an iterator's `extend` may
    // leave it out of line, its sums in memory); every step is written, so the buffer is
    // only grown, never cleared.
    fac.resize(it.len(), 0.0);
    for (i, (f, &w)) in fac.iter_mut().zip(it).enumerate() {
        let (l, c) = (w + bank_w, clamp(s.cool(i)));
        let loss = loss(l, c);
        cool_sum += c;
        loss_sum += loss;
        *f = l + c + loss;
    }
    *src = s;
    (cool_sum, loss_sum)
}

/// [`run`] two steps at a time ([`F2`]; `loss2` is `loss` in two lanes): each step's figures
/// by the same operations (the clamp `if c > 0 { c } else { 0 }` is MAXPD against 0), the
/// sums in step order, the last step of an odd block alone. The same bits as [`run`]
/// (`the_paired_steps_are_the_single_steps_bit_for_bit`), at about half the instructions.
#[inline(always)]
fn run_pairs<S: StepCooling>(
    it: &[f64],
    bank_w: f64,
    src: &mut S,
    fac: &mut Vec<f64>,
    loss: impl Fn(f64, f64) -> f64,
    loss2: impl Fn(F2, F2) -> F2,
) -> (f64, f64) {
    let mut s = src.clone();
    let (mut cool_sum, mut loss_sum) = (0.0, 0.0);
    let n = it.len();
    fac.resize(n, 0.0);
    let (b2, zero) = (F2::splat(bank_w), F2::splat(0.0));
    let it_pairs = it.as_chunks::<2>().0;
    for (k, (f, w)) in fac
        .as_chunks_mut::<2>()
        .0
        .iter_mut()
        .zip(it_pairs)
        .enumerate()
    {
        let l = F2::load(w) + b2;
        let c = s.cool2(k).max_or(zero);
        let loss = loss2(l, c);
        cool_sum += c.lo();
        cool_sum += c.hi();
        loss_sum += loss.lo();
        loss_sum += loss.hi();
        (l + c + loss).store(f);
    }
    if n % 2 == 1 {
        let i = n - 1;
        let (l, c) = (it[i] + bank_w, clamp(s.cool(i)));
        let loss = loss(l, c);
        cool_sum += c;
        loss_sum += loss;
        fac[i] = l + c + loss;
    }
    *src = s;
    (cool_sum, loss_sum)
}

/// A step's cooling held at 0 from below.
#[inline(always)]
fn clamp(c: f64) -> f64 {
    if c > 0.0 { c } else { 0.0 }
}

/// A plant's cooling power and water as quadratics in its heat about its mean, through its
/// least, mean and most heat of the block.
#[derive(Clone, Debug, Default)]
struct Quadratic {
    /// Least, mean and most heat, W, and its sum over the block.
    x: [f64; 3],
    sum: f64,
    /// `Σ (h - mean)²` over the block's steps.
    s2: f64,
    power: [f64; 3],
    water: [f64; 3],
    /// The check's heat (half-way between mean and most) and the plant's power there.
    check: (f64, f64),
    cap: f64,
    /// Some module online (otherwise no power, no water, no capacity).
    online: bool,
}

/// Coefficients `(c0, c1, c2)` of the quadratic through `(x[k], y[k])`, in `h - x[1]`
/// (centred, so the terms stay small); constant when the points coincide, linear when two do.
fn coefficients(x: &[f64; 3], y: [f64; 3]) -> [f64; 3] {
    let [a, b, c] = *x;
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

impl Quadratic {
    /// The quadratic with coefficients `k` at heat `h`.
    #[inline(always)]
    fn at(&self, k: &[f64; 3], h: f64) -> f64 {
        let d = h - self.x[1];
        k[0] + d * (k[1] + d * k[2])
    }

    fn power_at(&self, h: f64) -> f64 {
        self.at(&self.power, h)
    }

    /// Least and most of the quadratic `k` over the block's heat: at its ends, or at its
    /// vertex when that lies between them.
    fn range(&self, k: &[f64; 3]) -> (f64, f64) {
        let (a, b) = (self.at(k, self.x[0]), self.at(k, self.x[2]));
        let (mut lo, mut hi) = (a.min(b), a.max(b));
        if k[2] != 0.0 {
            let v = self.x[1] - k[1] / (2.0 * k[2]);
            if self.x[0] < v && v < self.x[2] {
                let y = self.at(k, v);
                (lo, hi) = (lo.min(y), hi.max(y));
            }
        }
        (lo, hi)
    }

    /// [`Quadratic::range`] of the cooling power (none offline).
    fn power_range(&self) -> (f64, f64) {
        if self.online {
            self.range(&self.power)
        } else {
            (0.0, 0.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plant's quadratic through three points of its heat, with `power` and `water` at them.
    fn plant(x: [f64; 3], heat: &[f64], power: [f64; 3], water: [f64; 3]) -> Quadratic {
        Quadratic {
            x,
            sum: heat.iter().sum(),
            s2: heat.iter().map(|h| (h - x[1]).powi(2)).sum(),
            power: coefficients(&x, power),
            water: coefficients(&x, water),
            check: (0.0, 0.0),
            cap: f64::MAX,
            online: true,
        }
    }

    /// The block's water from the moments of each plant's heat is the sum of each step's; and
    /// where a plant's water can go below 0 inside the block (a quadratic through 1, -1, 1),
    /// each step's is held at 0 from below, as a step's would be (the moments alone would give
    /// less than that).
    #[test]
    fn water_is_summed_from_moments_and_held_at_zero_where_it_can_go_below() {
        let heat: Vec<f64> = (0..40)
            .map(|i| 100.0 + (i as f64 * 0.9).sin() * 10.0)
            .collect();
        let (lo, hi) = heat
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &h| (a.min(h), b.max(h)));
        let x = [lo, heat.iter().sum::<f64>() / 40.0, hi];
        let at = |q: &Quadratic, h: f64| q.at(&q.water, h);
        let positive = plant(x, &heat, [0.0; 3], [2.0, 3.0, 5.0]);
        let by_step: f64 = heat.iter().map(|&h| at(&positive, h)).sum();
        let got = water_sum(std::slice::from_ref(&positive), &heat, 40);
        assert!(
            (got - by_step).abs() <= 1e-9 * by_step,
            "{got} vs {by_step}"
        );
        let dipping = plant(x, &heat, [0.0; 3], [1.0, -1.0, 1.0]);
        assert!(dipping.range(&dipping.water).0 < 0.0);
        let held: f64 = heat.iter().map(|&h| at(&dipping, h).max(0.0)).sum();
        let got = water_sum(std::slice::from_ref(&dipping), &heat, 40);
        assert!((got - held).abs() <= 1e-9 * held, "{got} vs {held}");
        let free: f64 = heat.iter().map(|&h| at(&dipping, h)).sum();
        assert!(free < held - 1.0);
    }

    /// The scalar heat pass the paired one replaces (one step at a time).
    fn heat_pass_single<const G: usize>(
        bank: f64,
        group_it: &[f64],
        gs: [usize; 4],
        heat: &mut [f64],
        tops: &mut [f64],
    ) -> (f64, f64, f64) {
        let n = heat.len();
        let series: [&[f64]; G] = std::array::from_fn(|j| &group_it[gs[j] * n..(gs[j] + 1) * n]);
        let mut top = [0.0; G];
        let (mut lo, mut hi, mut sum) = (f64::MAX, f64::MIN, 0.0);
        for i in 0..n {
            let mut h = bank;
            for j in 0..G {
                let w = series[j][i];
                h += w;
                top[j] = if w > top[j] { w } else { top[j] };
            }
            heat[i] = h;
            lo = if h < lo { h } else { lo };
            hi = if h > hi { h } else { hi };
            sum += h;
        }
        for j in 0..G {
            tops[gs[j]] = top[j];
        }
        (lo, hi, sum)
    }

    /// A block's group IT: wavy, with zeros, a repeated least and most, and (when `nan`) a NaN
    /// step in the last group.
    fn group_series(groups: usize, n: usize, seed: f64, nan: bool) -> Vec<f64> {
        let mut v: Vec<f64> = (0..groups * n)
            .map(|i| {
                let x = (seed + 0.731 * i as f64).sin();
                if x < -0.8 { 0.0 } else { 1.0e5 * (1.3 + x) }
            })
            .collect();
        if nan && n > 2 {
            v[groups * n - 2] = f64::NAN;
        }
        v
    }

    /// The paired heat pass gives the scalar pass's heat, least, most, sum and each group's
    /// most to the bit, for odd and even blocks, 0 to 4 groups, a load bank or none, a NaN
    /// step (passed over by least and most as a step passes it over).
    #[test]
    fn the_paired_heat_pass_is_the_single_steps_bit_for_bit() {
        fn check<const G: usize>(n: usize, bank: f64, nan: bool, seed: f64) {
            let gs = [3, 0, 2, 1];
            let group_it = group_series(4, n, seed, nan);
            let (mut h1, mut h2) = (vec![0.0; n], vec![0.0; n]);
            let (mut t1, mut t2) = (vec![-1.0; 4], vec![-1.0; 4]);
            let a = heat_pass_single::<G>(bank, &group_it, gs, &mut h1, &mut t1);
            let b = heat_pass::<G>(bank, &group_it, gs, &mut h2, &mut t2);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&[a.0, a.1, a.2]),
                bits(&[b.0, b.1, b.2]),
                "G {G} n {n}"
            );
            assert_eq!(bits(&h1), bits(&h2), "G {G} n {n}");
            assert_eq!(bits(&t1), bits(&t2), "G {G} n {n}");
        }
        for n in [1, 2, 3, 7, 59, 60, 61] {
            for (k, bank) in [0.0, 2.5e4].into_iter().enumerate() {
                for nan in [false, true] {
                    let seed = n as f64 + k as f64 * 0.3;
                    check::<0>(n, bank, nan, seed);
                    check::<1>(n, bank, nan, seed);
                    check::<2>(n, bank, nan, seed);
                    check::<3>(n, bank, nan, seed);
                    check::<4>(n, bank, nan, seed);
                }
            }
        }
    }

    /// The paired chain pass gives the single-step pass's facility power, cooling and loss
    /// sums and each plant's `Σ d²` to the bit: one and two plants and the formed cooling of
    /// more, a fit of one quadratic and one across a UPS curve point (steps on both sides),
    /// odd and even blocks, cooling that goes below 0 at some steps (held there).
    #[test]
    fn the_paired_steps_are_the_single_steps_bit_for_bit() {
        use crate::model::facility::physics::ElectricalChain;
        use crate::model::facility::physics::electrical::presets;
        let chain =
            PreparedChain::new(ElectricalChain::from_toml("t", presets::HYPERSCALE).unwrap());
        // Hyperscale: UPS points at 0.25 and 0.5 of 1,200 kW; loads either side of 600 kW.
        let single = chain
            .fit_losses((3.0e5, 3.4e5), (0.0, 9.0e4), 30.0)
            .unwrap();
        assert!(single.single().is_some());
        let kinked = chain
            .fit_losses((5.8e5, 6.2e5), (0.0, 9.0e4), 60.0)
            .unwrap();
        assert!(kinked.single().is_none());
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        /// A pass's cooling and loss sums, facility powers and cooling source afterwards.
        type Pass<S> = (f64, f64, Vec<f64>, S);
        fn both<S: StepCooling>(src: &S, it: &[f64], fit: &LossFit) -> (Pass<S>, Pass<S>) {
            let bank_w = 1.0e3;
            let (mut s1, mut s2) = (src.clone(), src.clone());
            let (mut f1, mut f2) = (Vec::new(), Vec::new());
            let a = run(it, bank_w, &mut s1, &mut f1, |l, c| fit.at(l, c));
            let lanes = fit.lanes();
            let b = run_pairs(
                it,
                bank_w,
                &mut s2,
                &mut f2,
                |l, c| fit.at(l, c),
                |l, c| lanes.at(l, c),
            );
            ((a.0, a.1, f1, s1), (b.0, b.1, f2, s2))
        }
        for n in [1, 2, 3, 59, 60, 61] {
            for (fit, base) in [(&single, 3.0e5), (&kinked, 5.75e5)] {
                let it: Vec<f64> = (0..n)
                    .map(|i| base + 4.0e4 * (0.5 + 0.5 * (0.9 * i as f64).sin()))
                    .collect();
                let heat = group_series(2, n, n as f64, false);
                // The cooling goes below 0 where both plants' heat is low.
                let src = Online::<2>::new(
                    [[-2.0e3, 0.3, 1e-6], [4.0e4, 0.1, -2e-7]],
                    [1.2e5, 1.4e5],
                    [&heat[..n], &heat[n..]],
                );
                let (a, b) = both(&src, &it, fit);
                assert_eq!(bits(&[a.0, a.1]), bits(&[b.0, b.1]), "n {n}");
                assert_eq!(bits(&a.2), bits(&b.2), "n {n}");
                assert_eq!(bits(&a.3.s2), bits(&b.3.s2), "n {n}");
                if n >= 59 {
                    let raw = |i: usize| src.clone().cool(i);
                    assert!((0..n).any(|i| raw(i) < 0.0) && (0..n).any(|i| raw(i) > 0.0));
                }
                let one = Online::<1>::new([[3.0e4, 0.2, 1e-7]], [1.2e5], [&heat[..n]]);
                let (a, b) = both(&one, &it, fit);
                assert_eq!(bits(&[a.0, a.1]), bits(&[b.0, b.1]), "n {n}");
                assert_eq!(bits(&a.2), bits(&b.2), "n {n}");
                assert_eq!(bits(&a.3.s2), bits(&b.3.s2), "n {n}");
                let formed: Vec<f64> = heat[..n].iter().map(|h| 0.2 * h - 1.0e4).collect();
                let (a, b) = both(&Formed(&formed), &it, fit);
                assert_eq!(bits(&[a.0, a.1]), bits(&[b.0, b.1]), "n {n}");
                assert_eq!(bits(&a.2), bits(&b.2), "n {n}");
            }
        }
        // Both pieces are read across the kinked block.
        let it: Vec<f64> = (0..60)
            .map(|i| 5.75e5 + 4.0e4 * (0.5 + 0.5 * (0.9 * i as f64).sin()))
            .collect();
        assert!(it.iter().any(|&w| w + 1.0e3 > 6.0e5) && it.iter().any(|&w| w + 1.0e3 < 6.0e5));
        // Pairs of steps both on one side, and pairs across it (each lane its own piece).
        let side = |k: usize| it[2 * k] + 1.0e3 > 6.0e5;
        let across = |k: usize| side(k) != (it[2 * k + 1] + 1.0e3 > 6.0e5);
        assert!((0..30).any(across) && (0..30).any(|k| !across(k)));
    }

    /// The least and most of a quadratic over the block's heat: at its ends, or at its vertex
    /// when that lies between them.
    #[test]
    fn a_quadratic_range_holds_its_vertex() {
        let q = plant([0.0, 1.0, 2.0], &[0.0, 2.0], [1.0, 0.0, 1.0], [0.0; 3]);
        assert_eq!(q.range(&q.power), (0.0, 1.0));
        let q = plant([0.0, 1.0, 2.0], &[0.0, 2.0], [0.0, 1.0, 4.0], [0.0; 3]);
        assert_eq!(q.range(&q.power), (0.0, 4.0));
    }
}
