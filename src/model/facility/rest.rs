//! A run of steps of the physical facility in one weather hour, each evaluated exactly, in one
//! call: what the two-rate engine's queued route asks for (its workloads are served step by
//! step, and so is its facility).
//!
//! A step moves the facility's state only through its thermal nodes: a node at its set point
//! whose group's heat is within the group's share of its plant's capacity stays there, and its
//! cap and fans (worked out again only when the node moved) stay too. So while every node is
//! at its set point and its cap and fans were worked out there, what depends on the hour, the
//! phase and that state alone (the plants' figures for the hour, each plant's module online,
//! the hottest inlet, the UPS curve's pieces around the run's first step) is found once, and
//! each step costs its heat sums, its plants' evaluations and its chain's losses, in the same
//! operations in the same order as [`PhysicsFacility::step`] (so the same bits: test
//! `steps_in_an_hour_are_the_steps_bit_for_bit`). From a step where some group's heat would
//! move its node (or on a site whose plant units fail step by step, or with more plants than
//! cooling types) each step is [`PhysicsFacility::step`] itself.

use super::lanes::F2;
use super::physics::{CoolingPlant, CoolingStep, PlantHour};
use super::site::{PhysicsFacility, PhysicsState};

/// Most plants a site has: one per cooling type (air, liquid, immersion).
const MAX_PLANTS: usize = 3;

/// Most rack groups whose shares of their plants' capacity a run holds (more: worked out at
/// each step).
const MAX_GROUPS_HELD: usize = 16;

/// The sums of a run of steps, as the engine books them per block.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunSums {
    /// Cooling and losses summed over the steps, W.
    pub cooling_sum_w: f64,
    pub losses_sum_w: f64,
    /// On-site water, L.
    pub water_l: f64,
    /// The hottest air inlet (or coolant supply) of any step, °C (`f64::MIN` for no step).
    pub inlet_max_c: f64,
}

impl Default for RunSums {
    fn default() -> RunSums {
        RunSums {
            cooling_sum_w: 0.0,
            losses_sum_w: 0.0,
            water_l: 0.0,
            inlet_max_c: f64::MIN,
        }
    }
}

impl RunSums {
    /// Adds a step's figures, in step order.
    #[inline(always)]
    pub fn add(&mut self, cooling_w: f64, losses_w: f64, water_l: f64, inlet_c: f64) {
        self.cooling_sum_w += cooling_w;
        self.losses_sum_w += losses_w;
        self.water_l += water_l;
        self.inlet_max_c = self.inlet_max_c.max(inlet_c);
    }
}

impl PhysicsFacility {
    /// Steps the facility through `fac.len()` steps of weather hour `hour` whose group IT
    /// powers are `group_it` (group-major, `fac.len()` per group, as a block holds them):
    /// each step's facility power into `fac`, the run's sums returned, the state left as
    /// [`PhysicsFacility::step`] step after step leaves it.
    pub fn steps(
        &self,
        st: &mut PhysicsState,
        group_it: &[f64],
        hour: usize,
        dt_s: f64,
        fac: &mut [f64],
    ) -> RunSums {
        let n = fac.len();
        let mut sums = RunSums::default();
        let from = if self.still(st) {
            self.still_steps(st, group_it, hour, dt_s, fac, &mut sums)
        } else {
            0
        };
        let mut step_it = vec![0.0; if from < n { self.groups.len() } else { 0 }];
        for (j, f) in fac.iter_mut().enumerate().skip(from) {
            for (gi, x) in step_it.iter_mut().enumerate() {
                *x = group_it[gi * n + j];
            }
            let s = self.step(st, &step_it, hour, dt_s);
            let p = s.power;
            *f = p.facility_w;
            sums.add(p.cooling_w, p.losses_w, s.onsite_water_l, s.inlet_max_c);
        }
        sums
    }

    /// Whether a step within every group's share leaves the state as it is: every node at its
    /// set point (exactly: a node a few ulps off relaxes, [`super::block::REST_TOLERANCE_C`])
    /// with its cap and fans worked out there, and no plant units failing step by step.
    fn still(&self, st: &PhysicsState) -> bool {
        self.units.is_none()
            && self.plants.len() <= MAX_PLANTS
            && (st.nodes.iter().zip(&st.caps_at_c))
                .all(|(nd, at)| nd.temp_c == nd.setpoint_c && nd.temp_c.to_bits() == at.to_bits())
    }

    /// [`PhysicsFacility::steps`] from a still state ([`Self::still`]), up to the first step
    /// that would move a node; returns how many steps it took (the state as they leave it).
    fn still_steps(
        &self,
        st: &mut PhysicsState,
        group_it: &[f64],
        hour: usize,
        dt_s: f64,
        fac: &mut [f64],
        sums: &mut RunSums,
    ) -> usize {
        let (n, np) = (fac.len(), self.plants.len());
        let outdoor = st.weather[hour];
        self.refresh_plant_hours(st, &outdoor);
        let ph = &self.phases[st.phase];
        let chain = &ph.electrical;
        let inlet_c = self.inlet_max_c(st);
        let (bank_w, mut bank) = (st.bank_w, [0.0; MAX_PLANTS]);
        bank[..np].copy_from_slice(&st.bank_heat[..np]);
        // A plant with no module online removes nothing and draws nothing.
        let mut online: [Option<(&CoolingPlant, &PlantHour)>; MAX_PLANTS] = [None; MAX_PLANTS];
        for ((o, p), h) in online.iter_mut().zip(&ph.plants).zip(&st.plant_hours) {
            if let (Some(p), Some(h)) = (p, h) {
                *o = Some((p, h));
            }
        }
        let mut cool = std::mem::take(&mut st.run_cooling);
        cool.clear();
        let (mut last_heat, mut last_cap) = ([0.0; MAX_PLANTS], [0.0; MAX_PLANTS]);
        // Each group's share of its plant's capacity, and the capacities it is of (none yet:
        // NaN equals nothing).
        let ng = self.groups.len();
        let (mut limits, mut limits_at) = ([0.0f64; MAX_GROUPS_HELD], [f64::NAN; MAX_PLANTS]);
        let mut done = 0;
        // Each plant's last evaluation and the heat's bits it was for (None: none yet). In a
        // saturated hour a plant's heat often repeats to the bit from one step to the next (a
        // pool at capacity draws the same power; 93 % of one default-study plant's queued
        // steps), and an evaluation is a function of the heat alone within the run's hour.
        let mut last_eval: [Option<(u64, CoolingStep)>; MAX_PLANTS] = [None; MAX_PLANTS];
        for (j, f) in fac.iter_mut().enumerate() {
            let (mut heat, mut it_w) = ([0.0f64; MAX_PLANTS], 0.0);
            for (gi, g) in self.groups.iter().enumerate() {
                let w = group_it[gi * n + j];
                heat[g.plant] += w;
                it_w += w;
            }
            for (h, b) in heat.iter_mut().zip(&bank).take(np) {
                *h += b;
            }
            let (mut cooling_w, mut onsite_l, mut cap) = (0.0, 0.0, [0.0; MAX_PLANTS]);
            let plants = online.iter().zip(&heat).zip(&mut cap).zip(&mut last_eval);
            for (((o, &h), cap), last) in plants.take(np) {
                if let Some((p, hr)) = o {
                    let c = match *last {
                        Some((bits, c)) if bits == h.to_bits() => c,
                        _ => {
                            let c = p.evaluate_in(hr, h, dt_s);
                            *last = Some((h.to_bits(), c));
                            c
                        }
                    };
                    cooling_w += c.power_w;
                    onsite_l += c.evaporated_l;
                    *cap = c.capacity_w;
                }
            }
            // A group beyond its share of its plant warms its node (ThermalNode::step's own
            // test): that step and the rest are stepped. Each group's share of its plant's
            // capacity is worked out again only when a capacity moved (in an hour, never: a
            // plant's capacity is the weather's), so a step compares its IT with it alone.
            let within = if ng <= MAX_GROUPS_HELD {
                if cap != limits_at {
                    for ((limit, g), share) in limits.iter_mut().zip(&self.groups).zip(&ph.shares) {
                        *limit = (cap[g.plant] * share).max(0.0);
                    }
                    limits_at = cap;
                }
                (limits[..ng].iter().enumerate())
                    .all(|(gi, &limit)| group_it[gi * n + j].max(0.0) <= limit)
            } else {
                (self.groups.iter().zip(&ph.shares).enumerate()).all(|(gi, (g, share))| {
                    group_it[gi * n + j].max(0.0) <= (cap[g.plant] * share).max(0.0)
                })
            };
            if !within {
                break;
            }
            // Load banks load the chain as IT does. The step's load for now (its facility
            // power once its losses are in, below), its cooling kept, the sums but the
            // losses' taken in step order.
            let load_w = it_w + bank_w;
            *f = load_w;
            cool.push(cooling_w);
            sums.cooling_sum_w += cooling_w;
            sums.water_l += onsite_l;
            sums.inlet_max_c = sums.inlet_max_c.max(inlet_c);
            (last_heat, last_cap, done) = (heat, cap, j + 1);
        }
        // The chain's losses of the steps taken, two at a time ([`F2`]: the same bits as one
        // at a time), their sum in step order; through the UPS curve's pieces around the
        // first step's.
        if done > 0 {
            let window = chain.window(chain.step_load_fraction(fac[0], cool[0]));
            let w = window.as_ref();
            let (loads, cools) = (&mut fac[..done], &cool[..done]);
            let (load_pairs, last_load) = loads.as_chunks_mut::<2>();
            let (cool_pairs, last_cool) = cools.as_chunks::<2>();
            for (f, c) in load_pairs.iter_mut().zip(cool_pairs) {
                let (l, c) = (F2::load(f), F2::load(c));
                let losses = chain.total_losses_near2(w, l, c);
                sums.losses_sum_w += losses.lo();
                sums.losses_sum_w += losses.hi();
                (l + c + losses).store(f);
            }
            if let ([f], [c]) = (last_load, last_cool) {
                let losses = chain.total_losses_near(w, *f, *c);
                sums.losses_sum_w += losses;
                *f = *f + c + losses;
            }
        }
        st.run_cooling = cool;
        if done > 0 {
            // The scratch the last step leaves (a node at rest leaves its cap, so the caps'
            // tally is as it was).
            st.plant_heat[..np].copy_from_slice(&last_heat[..np]);
            st.plant_capacity[..np].copy_from_slice(&last_cap[..np]);
            st.all_uncapped = st.caps.iter().all(|&c| c == 1.0);
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::facility::physics::ElectricalChain;
    use crate::model::facility::physics::electrical::presets;
    use crate::model::facility::site::tests::{site, state};
    use proptest::prelude::*;

    /// Step `j`'s group IT out of a group-major block of `n` steps.
    fn step_of(group_it: &[f64], ng: usize, n: usize, j: usize) -> Vec<f64> {
        (0..ng).map(|g| group_it[g * n + j]).collect()
    }

    /// Everything a step leaves in the state, as bits.
    fn state_bits(st: &PhysicsState) -> Vec<u64> {
        let mut v: Vec<u64> = st.nodes.iter().map(|n| n.temp_c.to_bits()).collect();
        for x in [&st.caps, &st.fan_mult, &st.caps_at_c, &st.plant_heat] {
            v.extend(x.iter().map(|x| x.to_bits()));
        }
        v.extend(st.plant_capacity.iter().map(|x| x.to_bits()));
        v.push(u64::from(st.all_uncapped));
        v.push(st.plant_unit_hours_short.to_bits());
        v
    }

    /// The two routes of a run, each taken: within every group's share each step is served
    /// still (none through [`PhysicsFacility::step`]); a group pushed beyond its share at
    /// step 7 ends the still steps there and the rest are stepped; the results are the
    /// per-step ones to the bit both ways (so the proptest below covers both).
    #[test]
    fn a_run_is_served_still_until_a_group_would_move_its_node() {
        let f = site();
        let ng = f.groups.len();
        let light = [2.0e5, 1.5e5, 1.0e5];
        for (beyond, want_still) in [(None, 12), (Some(7), 7)] {
            let group_it: Vec<f64> = (0..12 * ng)
                .map(|k| {
                    let (g, j) = (k / 12, k % 12);
                    let scale = if beyond.is_some_and(|b| j >= b) && g == 0 {
                        20.0
                    } else {
                        1.0
                    };
                    light[g] * scale * (1.0 + 0.01 * j as f64)
                })
                .collect();
            let (mut a, mut b) = (state(&f), state(&f));
            // One step first, so the caps and fans are worked out at the set point.
            f.step(&mut a, &light, 3, 60.0);
            f.step(&mut b, &light, 3, 60.0);
            assert!(f.still(&a));
            let mut fac = vec![0.0; 12];
            let mut sums = RunSums::default();
            let still = f.still_steps(&mut a.clone(), &group_it, 3, 60.0, &mut fac, &mut sums);
            assert_eq!(still, want_still, "beyond {beyond:?}");
            let got = f.steps(&mut a, &group_it, 3, 60.0, &mut fac);
            let mut want = RunSums::default();
            for (j, x) in fac.iter().enumerate() {
                let s = f.step(&mut b, &step_of(&group_it, ng, 12, j), 3, 60.0);
                assert_eq!(x.to_bits(), s.power.facility_w.to_bits(), "step {j}");
                want.add(
                    s.power.cooling_w,
                    s.power.losses_w,
                    s.onsite_water_l,
                    s.inlet_max_c,
                );
            }
            assert_eq!(got, want);
            assert_eq!(state_bits(&a), state_bits(&b));
        }
    }

    proptest! {
        /// A run of steps in one call gives each step's facility power, the run's sums and
        /// the state that [`PhysicsFacility::step`] gives step after step, to the bit: over
        /// random runs of random group IT in random hours, from nodes at their set point or
        /// warmed off it, with load banks on or off, a plant offline, the enterprise chain
        /// (whose UPS curve the runs cross) or the hyperscale one, and runs where a group goes
        /// beyond its share part-way (the rest then stepped) or from the first step, and runs
        /// whose groups hold each figure for `hold` steps (a plant's heat repeating to the bit,
        /// as in a saturated hour, so its last evaluation is taken again).
        #[test]
        fn steps_in_an_hour_are_the_steps_bit_for_bit(
            hour in 0usize..24,
            hold in 1usize..4,
            base in prop::array::uniform3(0.0f64..6.0e5),
            swing in 0.0f64..0.6,
            phase in 0.0f64..6.3,
            n in 1usize..70,
            warm in 0u8..4,
            bank in prop::option::of(0.0f64..3.0e5),
            offline in any::<bool>(),
            enterprise in any::<bool>(),
        ) {
            let mut f = site();
            if enterprise {
                let c = ElectricalChain::from_toml("enterprise", presets::ENTERPRISE_2N).unwrap();
                f.phases[0].electrical = crate::model::facility::physics::PreparedChain::new(
                    crate::model::facility::site::scaled_chain(&c, 1.5e6),
                );
            }
            if offline {
                f.phases[0].plants[1] = None;
            }
            let ng = f.groups.len();
            // Weather moving hour by hour, load banks as drawn, and nodes settled (warm 0, 3),
            // warmed off their set point by an overload (warm 1), or fresh, their caps and
            // fans not yet worked out (warm 2).
            let mut a = state(&f);
            a.weather = (0..24)
                .map(|h| crate::model::weather::WeatherHour {
                    dry_bulb_c: -5.0 + 1.8 * h as f64,
                    wet_bulb_c: -6.0 + 1.3 * h as f64,
                    rel_humidity_pct: 20.0 + 3.0 * h as f64,
                })
                .collect();
            if let Some(b) = bank {
                a.bank_w = b;
                a.bank_heat[0] = b;
            }
            if warm != 2 {
                let load = if warm == 1 { 4.0e6 } else { 1.0e5 };
                f.step(&mut a, &vec![load; ng], hour, 60.0);
            }
            let mut b = a.clone();
            let group_it: Vec<f64> = (0..n * ng)
                .map(|k| {
                    let (g, j) = (k / n, k % n);
                    let s = (phase + 0.41 * (j / hold) as f64 + 1.3 * g as f64).sin();
                    (base[g % 3] * (1.0 + swing * s)).max(0.0)
                })
                .collect();
            let mut fac = vec![0.0; n];
            let got = f.steps(&mut a, &group_it, hour, 60.0, &mut fac);
            let mut want = RunSums::default();
            for (j, x) in fac.iter().enumerate() {
                let s = f.step(&mut b, &step_of(&group_it, ng, n, j), hour, 60.0);
                prop_assert_eq!(x.to_bits(), s.power.facility_w.to_bits(), "step {}", j);
                want.add(s.power.cooling_w, s.power.losses_w, s.onsite_water_l, s.inlet_max_c);
            }
            prop_assert_eq!(got.cooling_sum_w.to_bits(), want.cooling_sum_w.to_bits());
            prop_assert_eq!(got.losses_sum_w.to_bits(), want.losses_sum_w.to_bits());
            prop_assert_eq!(got.water_l.to_bits(), want.water_l.to_bits());
            prop_assert_eq!(got.inlet_max_c.to_bits(), want.inlet_max_c.to_bits());
            prop_assert_eq!(state_bits(&a), state_bits(&b));
        }
    }
}
