//! The facility layer's step, over a fixed PUE or the physical facility (weather, cooling
//! plants, thermal nodes, electrical chain: [`crate::model::facility::site`]).
//!
//! Inputs: IT power (per group, for physics). Outputs: facility power split into IT, cooling and
//! losses, water, and for physics the caps and fan multipliers the fleet reads next step.

use super::fleet::Thermal;
use crate::base::rng::{TAG_PLANT, TAG_WEATHER, stream};
use crate::model::facility::block::BlockSeries;
use crate::model::facility::rest::RunSums;
use crate::model::facility::site::PhysicsState;
use crate::model::facility::{Facility, FacilityStep, PhysicsFacility};
use crate::model::weather::WeatherHour;

pub struct FacilityLayer<'a> {
    fixed: Option<(f64, Option<crate::model::facility::FixedWater>)>,
    physics: Option<(&'a PhysicsFacility, PhysicsState)>,
}

/// One step of the facility.
#[derive(Clone, Copy, Debug, Default)]
pub struct FacilityOut {
    pub power: FacilityStep,
    pub onsite_water_l: f64,
    pub throttled_acc: f64,
    pub heat_not_removed_w: f64,
    pub saturated: bool,
    pub inlet_max_c: f64,
    /// The hour's weather (physics only).
    pub outdoor: Option<WeatherHour>,
}

impl<'a> FacilityLayer<'a> {
    /// The trial's facility: a physics facility draws its weather year and plant-unit stream.
    pub fn new(model: &'a Facility, hours: usize, seed: u64, trial: u32) -> FacilityLayer<'a> {
        match model {
            Facility::Fixed { pue, water } => FacilityLayer {
                fixed: Some((*pue, *water)),
                physics: None,
            },
            Facility::Physics(p) => {
                let mut rng = stream(seed, TAG_WEATHER, trial);
                let st = p.new_state(hours, &mut rng, stream(seed, TAG_PLANT, trial));
                FacilityLayer {
                    fixed: None,
                    physics: Some((p.as_ref(), st)),
                }
            }
        }
    }

    /// Moves a physics facility to instant `t_s` (its build-out phase and load-bank tests).
    pub fn advance(&mut self, t_s: f64) {
        if let Some((f, st)) = &mut self.physics {
            f.advance(st, t_s);
        }
    }

    /// Whether [`Self::advance`] can change anything: a physics facility built out in phases
    /// or with load-bank tests.
    pub fn phased(&self) -> bool {
        self.physics
            .as_ref()
            .is_some_and(|(f, _)| f.phases.len() > 1 || !f.load_banks.is_empty())
    }

    /// The first instant after `t_s` at which the facility's modules or load banks change
    /// (infinite: never): a quiet block ends before it.
    pub fn next_change(&self, t_s: f64) -> f64 {
        self.physics
            .as_ref()
            .map_or(f64::INFINITY, |(f, _)| f.next_change(t_s))
    }

    /// Caps and fan multipliers for the fleet (physics only).
    pub fn thermal(&self) -> Option<Thermal<'_>> {
        self.physics.as_ref().map(|(_, st)| Thermal {
            caps: &st.caps,
            fan_mult: &st.fan_mult,
            all_uncapped: st.all_uncapped,
        })
    }

    /// Facility power this step would draw, without advancing any state (what shedding aims
    /// at): `it_w` at a fixed PUE, or the physics for the groups' IT power.
    pub fn estimate(&self, it_w: f64, group_it: &[f64], hour: usize, dt_s: f64) -> f64 {
        match (&self.fixed, &self.physics) {
            (Some((pue, _)), _) => it_w * pue,
            (None, Some((f, st))) => f.peek(st, group_it, hour, dt_s),
            (None, None) => it_w,
        }
    }

    /// Advances the facility by one step.
    pub fn step(&mut self, it_w: f64, group_it: &[f64], hour: usize, dt_s: f64) -> FacilityOut {
        match (&self.fixed, &mut self.physics) {
            (_, Some((f, st))) => {
                let p = f.step(st, group_it, hour, dt_s);
                FacilityOut {
                    power: p.power,
                    onsite_water_l: p.onsite_water_l,
                    throttled_acc: p.throttled_acc,
                    heat_not_removed_w: p.heat_not_removed_w,
                    saturated: p.saturated,
                    inlet_max_c: p.inlet_max_c,
                    outdoor: Some(p.outdoor),
                }
            }
            (Some((pue, water)), None) => FacilityOut {
                power: Facility::fixed_step(*pue, it_w),
                // On-site water per IT kWh, L (off-site is counted per hour by the meter).
                onsite_water_l: water.map_or(0.0, |w| it_w * dt_s / 3.6e6 * w.onsite_l_per_it_kwh),
                ..FacilityOut::default()
            },
            (None, None) => FacilityOut {
                power: Facility::fixed_step(1.0, it_w),
                ..FacilityOut::default()
            },
        }
    }

    /// Advances the facility by `fac.len()` steps of weather hour `hour` (IT `it`, each step's
    /// group IT in `group_it`, group-major): each step's facility power into `fac` as
    /// [`Self::step`] gives it, and the run's sums (see
    /// [`crate::model::facility::rest`]).
    #[inline(never)]
    pub fn steps(
        &mut self,
        it: &[f64],
        group_it: &[f64],
        hour: usize,
        dt_s: f64,
        fac: &mut [f64],
    ) -> RunSums {
        if let Some((f, st)) = &mut self.physics {
            return f.steps(st, group_it, hour, dt_s, fac);
        }
        let mut sums = RunSums::default();
        for (f, &w) in fac.iter_mut().zip(it) {
            let s = self.step(w, &[], hour, dt_s);
            *f = s.power.facility_w;
            let p = s.power;
            sums.add(p.cooling_w, p.losses_w, s.onsite_water_l, s.inlet_max_c);
        }
        sums
    }

    /// A quiet block's facility at its own rate (see [`crate::model::facility::block`]): in
    /// `fac` each step's facility power, in `out` the block's cooling, losses and water summed
    /// over its steps; false when the block is not quiet for the facility (the engine then
    /// steps it). Without `figures` a physics facility only answers and leaves its state as it
    /// would ([`PhysicsFacility::quiet_block`]), for a caller that then evaluates it exactly,
    /// step by step; a fixed facility's figures cost less than the question, so it makes them.
    #[allow(clippy::too_many_arguments)]
    pub fn quiet_block(
        &mut self,
        group_it: &[f64],
        it: &[f64],
        hour: usize,
        dt_s: f64,
        out: &mut BlockSeries,
        fac: &mut Vec<f64>,
        figures: bool,
    ) -> bool {
        if let Some((f, st)) = &mut self.physics {
            return f.quiet_block(st, group_it, it, hour, dt_s, out, fac, figures);
        }
        let (pue, water) = self.fixed.unwrap_or((1.0, None));
        let bank = out.load_bank_w;
        // Each step's facility power as a step gives it (a pass the compiler packs), then the
        // sums in step order as `Sum` gives them (a fixed PUE has no losses: their sum is 0).
        fac.clear();
        fac.extend(it.iter().map(|&w| {
            let s = Facility::fixed_step(pue, w);
            w + bank + s.cooling_w + s.losses_w
        }));
        let cool = it
            .iter()
            .map(|&w| Facility::fixed_step(pue, w).cooling_w)
            .sum();
        let loss = 0.0;
        let water_l = water.map_or(0.0, |wf| {
            it.iter()
                .map(|&w| w * dt_s / 3.6e6 * wf.onsite_l_per_it_kwh)
                .sum()
        });
        (out.cooling_sum_w, out.losses_sum_w, out.water_l) = (cool, loss, water_l);
        true
    }

    /// Whether the facility's state is at rest (see
    /// [`crate::model::facility::site::PhysicsFacility::at_rest`]); a fixed PUE always is.
    pub fn at_rest(&self) -> bool {
        self.physics.as_ref().is_none_or(|(f, st)| f.at_rest(st))
    }

    /// A physics facility (weather, thermal state, plants)?
    pub fn is_physics(&self) -> bool {
        self.physics.is_some()
    }

    /// Plant-hours with fewer working units than design needs.
    pub fn plant_unit_outage_hours(&self) -> f64 {
        self.physics
            .as_ref()
            .map_or(0.0, |(_, st)| st.plant_unit_hours_short)
    }

    /// Off-site water factor of a physics facility, L per facility kWh.
    pub fn physics_water_l_per_kwh(&self) -> Option<f64> {
        self.physics.as_ref().map(|(f, _)| f.grid_water_l_per_kwh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::facility::FixedWater;
    use crate::sim::test_support::{close, scenario};

    /// PUE 1.25, WUE 1.8 L per IT kWh: 2 MW of IT for 60 s is 33.33 IT kWh: facility 2.5 MW,
    /// cooling 0.5 MW, no losses, 60 L on site.
    #[test]
    fn fixed_pue_step_balances_and_estimate_matches_it() {
        let model = Facility::Fixed {
            pue: 1.25,
            water: Some(FixedWater {
                onsite_l_per_it_kwh: 1.8,
                offsite_l_per_kwh: 7.6,
            }),
        };
        let mut f = FacilityLayer::new(&model, 24, 1, 0);
        assert!(f.thermal().is_none());
        assert_eq!(f.physics_water_l_per_kwh(), None);
        for it in [0.0, 2e6, 3.3e6] {
            let est = f.estimate(it, &[], 0, 60.0);
            let s = f.step(it, &[], 0, 60.0);
            let p = s.power;
            assert_eq!(p.it_w, it);
            close(p.facility_w, 1.25 * it, 1e-12, "facility");
            close(p.cooling_w, 0.25 * it, 1e-12, "cooling");
            assert_eq!(p.losses_w, 0.0);
            close(
                p.it_w + p.cooling_w + p.losses_w,
                p.facility_w,
                1e-12,
                "balance",
            );
            assert_eq!(est, p.facility_w, "estimate = step");
            close(
                s.onsite_water_l,
                it * 60.0 / 3.6e6 * 1.8,
                1e-12,
                "on-site L",
            );
        }
        let s = f.step(2e6, &[], 0, 60.0);
        close(s.onsite_water_l, 60.0, 1e-12, "60 L");
    }

    /// An air and a liquid group on a physics facility (Ashburn weather, default plants and
    /// electrical chain), a year at 60 s steps.
    const AIR_AND_LIQUID: &str = r#"
name = "t"
horizon_hours = 8760
step_s = 60
seed = 7
trials = 1

[[site.group]]
name = "air"
rack = "dgx-h100-x4"
count = 10

[[site.group]]
name = "liquid"
rack = "dgx-h100-x8-liquid"
count = 5

[[consumer]]
name = "c"
pool = "air"
requests_per_day = 1.0e5
acc_s_per_request = 1.0

[[training]]
name = "tr"
pool = "liquid"
duration_days = 1
start_days = [0]

[facility]
kind = "physics"
climate = "ashburn"
"#;

    /// An air and a liquid group on a physics facility (Ashburn weather, default plants and
    /// electrical chain). The estimate (`peek`) is the same computation as the step's facility
    /// power for the same group IT, hour and step length (the thermal state changes only caps
    /// and fan multipliers, which the fleet reads next step), so they agree exactly, step after
    /// step, in winter and summer hours, from idle to full load.
    #[test]
    fn physics_estimate_equals_the_step() {
        let sc = scenario(AIR_AND_LIQUID);
        let mut f = FacilityLayer::new(&sc.facility, sc.horizon_hours as usize, sc.seed, 0);
        assert!(f.thermal().is_some());
        let groups = &sc.fleet.groups;
        for hour in [0, 2000, 4300, 4800, 5000, 8000] {
            for u in [0.0, 0.3, 0.9, 1.0, 0.5] {
                let group_it: Vec<f64> = groups.iter().map(|g| g.power_w(u)).collect();
                let it: f64 = group_it.iter().sum();
                let est = f.estimate(it, &group_it, hour, 60.0);
                let s = f.step(it, &group_it, hour, 60.0);
                let p = s.power;
                assert_eq!(est, p.facility_w, "hour {hour}, utilisation {u}");
                close(p.it_w, it, 1e-12, "IT");
                close(
                    p.it_w + p.cooling_w + p.losses_w,
                    p.facility_w,
                    1e-12,
                    "balance",
                );
                assert!(p.cooling_w >= 0.0 && p.losses_w >= 0.0 && s.onsite_water_l >= 0.0);
                assert!(p.facility_w >= p.it_w, "PUE >= 1");
                assert!(s.outdoor.is_some());
            }
        }
    }

    /// The queued route's gate answers as the quiet block does, for blocks that pass and
    /// blocks whose heat is beyond a plant's share, and leaves the same state and the block
    /// figures it keeps (load banks, weather, hottest inlet); its `n` steps' series is there for
    /// the exact evaluation to fill.
    #[test]
    fn the_gate_answers_as_the_quiet_block() {
        let sc = scenario(AIR_AND_LIQUID);
        let groups = &sc.fleet.groups;
        let layer = || FacilityLayer::new(&sc.facility, sc.horizon_hours as usize, sc.seed, 0);
        let (mut a, mut g) = (layer(), layer());
        let (mut out_a, mut out_g) = (BlockSeries::default(), BlockSeries::default());
        let (mut fac_a, mut fac_g) = (Vec::new(), Vec::new());
        let state = |f: &FacilityLayer| format!("{:?}", f.physics.as_ref().map(|(_, st)| st));
        let n = 30;
        let mut answers = [0; 2];
        for hour in [10, 2000, 4300, 5000, 8000] {
            for scale in [0.3, 0.85, 1.0, 4.0] {
                let mut group_it = vec![0.0; groups.len() * n];
                let mut it = vec![0.0; n];
                for (gi, grp) in groups.iter().enumerate() {
                    for i in 0..n {
                        let u = 0.6 * (1.0 + 0.05 * (i as f64 * 0.9 + gi as f64).sin());
                        let p = grp.power_w(u) * scale;
                        group_it[gi * n + i] = p;
                        it[i] += p;
                    }
                }
                let kept = a.quiet_block(&group_it, &it, hour, 60.0, &mut out_a, &mut fac_a, true);
                let gate = g.quiet_block(&group_it, &it, hour, 60.0, &mut out_g, &mut fac_g, false);
                assert_eq!(kept, gate, "hour {hour}, scale {scale}");
                answers[usize::from(kept)] += 1;
                assert_eq!(state(&a), state(&g), "hour {hour}, scale {scale}");
                if kept {
                    assert_eq!(fac_g.len(), n);
                    assert_eq!(out_a.load_bank_w.to_bits(), out_g.load_bank_w.to_bits());
                    assert_eq!(out_a.outdoor, out_g.outdoor);
                    assert_eq!(out_a.inlet_max_c.to_bits(), out_g.inlet_max_c.to_bits());
                }
            }
        }
        assert!(
            answers[0] > 0 && answers[1] > 0,
            "refused, kept: {answers:?}"
        );
    }

    /// A quiet block's facility, read off each plant's three-point quadratic and the chain's
    /// quadratic in load and cooling, is within 0.02 % of the per-step evaluation (the promise
    /// is 0.1 %) at every step, in winter and summer hours, with IT moving by a few percent
    /// within the block (a per-block facility factor instead of per-step figures fails here);
    /// its cooling, losses and water summed over the block are the per-step figures' sums
    /// within as much, and its steps' facility power sums to IT, cooling and losses.
    #[test]
    fn a_quiet_block_is_within_a_tenth_of_a_percent_of_each_step() {
        let sc = scenario(AIR_AND_LIQUID);
        let groups = &sc.fleet.groups;
        let mut f = FacilityLayer::new(&sc.facility, sc.horizon_hours as usize, sc.seed, 0);
        // The same weather year, stepped: its cooling, losses and water step by step.
        let mut stepped = FacilityLayer::new(&sc.facility, sc.horizon_hours as usize, sc.seed, 0);
        let mut out = BlockSeries::default();
        let mut fac = Vec::new();
        let n = 40;
        for hour in [10, 2000, 4300, 5000, 8000] {
            for base in [0.3, 0.6, 0.85] {
                // Each group's utilisation swings by up to 8 % of itself within the block.
                let u =
                    |g: usize, i: usize| base * (1.0 + 0.08 * ((i as f64 * 0.7 + g as f64).sin()));
                let mut group_it = vec![0.0; groups.len() * n];
                let mut it = vec![0.0; n];
                for (gi, g) in groups.iter().enumerate() {
                    for i in 0..n {
                        let p = g.power_w(u(gi, i));
                        group_it[gi * n + i] = p;
                        it[i] += p;
                    }
                }
                assert!(
                    f.quiet_block(&group_it, &it, hour, 60.0, &mut out, &mut fac, true),
                    "hour {hour}"
                );
                let (mut cool, mut loss, mut water) = (0.0, 0.0, 0.0);
                for i in 0..n {
                    let per_step: Vec<f64> =
                        (0..groups.len()).map(|g| group_it[g * n + i]).collect();
                    let exact = f.estimate(it[i], &per_step, hour, 60.0);
                    let block = fac[i];
                    assert!(
                        (block - exact).abs() <= 2e-4 * exact,
                        "hour {hour}, load {base}, step {i}: block {block} vs step {exact}"
                    );
                    let s = stepped.step(it[i], &per_step, hour, 60.0);
                    assert_eq!(s.power.facility_w, exact);
                    (cool, loss, water) = (
                        cool + s.power.cooling_w,
                        loss + s.power.losses_w,
                        water + s.onsite_water_l,
                    );
                }
                let it_sum: f64 = it.iter().sum();
                let within = |a: f64, b: f64, what: &str| {
                    assert!(
                        (a - b).abs() <= 2e-4 * it_sum,
                        "hour {hour}, load {base}: {what} {a} vs {b}"
                    );
                };
                within(out.cooling_sum_w, cool, "cooling");
                within(out.losses_sum_w, loss, "losses");
                assert!(
                    (out.water_l - water).abs() <= 1e-3 * water + 1e-9,
                    "hour {hour}, load {base}: water {} vs {water}",
                    out.water_l
                );
                assert!(out.cooling_sum_w >= 0.0 && out.losses_sum_w >= 0.0 && out.water_l >= 0.0);
                let fac_sum: f64 = fac.iter().sum();
                close(
                    fac_sum,
                    it_sum + out.cooling_sum_w + out.losses_sum_w,
                    1e-12,
                    "facility = IT + cooling + losses",
                );
            }
        }
    }
}
