//! The resolved study in words, as `dcload validate` prints it.

use crate::model::facility::Facility;

use super::Scenario;
use super::resolve::fmt_hours;

impl Scenario {
    /// Human-readable resolution, printed by `dcload validate`.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "{}: {} trials x {} h from {} ({}), step {} s, seed {}\n",
            self.name,
            self.trials,
            fmt_hours(self.horizon_s),
            self.start,
            self.calendar.describe(),
            self.step_s,
            self.seed
        ));
        self.describe_fleet(&mut s);
        self.describe_workloads(&mut s);
        self.describe_facility(&mut s);
        s
    }

    fn describe_fleet(&self, s: &mut String) {
        s.push_str(&format!(
            "Fleet: installed IT peak {:.1} MW\n",
            self.fleet.peak_w() / 1e6
        ));
        for g in &self.fleet.groups {
            s.push_str(&format!(
                "  group {:<18} pool {:<14} {:>9} servers {:>10} accelerators  peak {:>8.2} MW{}\n",
                g.name,
                self.fleet.pools[g.pool].name,
                g.servers,
                g.accelerators,
                g.peak_w() / 1e6,
                if g.throughput < 1.0 {
                    format!("  (power-capped: {:.0} % throughput)", g.throughput * 100.0)
                } else {
                    String::new()
                }
            ));
            if g.refresh_of.is_some() {
                s.push_str(&format!(
                    "    refresh from {} (ramp {} h), {:?}-cooled\n",
                    self.calendar
                        .timestamp(crate::base::time::SimTime(g.online_s as u64)),
                    fmt_hours(g.commissioning_s as u64),
                    g.cooling
                ));
            }
            if g.retire_s.is_finite() {
                s.push_str(&format!(
                    "    in service until {}\n",
                    self.calendar
                        .timestamp(crate::base::time::SimTime(g.retire_s as u64))
                ));
            }
        }
        for p in &self.fleet.pools {
            let kept = p.accelerators - p.reserve.training_acc(p.accelerators);
            if !p.reserve.is_none() {
                s.push_str(&format!(
                    "  pool {:<19} {kept:.0} of its {:.0} accelerators reserved for consumer classes (training may not claim them)\n",
                    p.name, p.accelerators
                ));
            }
        }
    }

    fn describe_workloads(&self, s: &mut String) {
        for c in &self.consumers {
            // The marginal energy the work stands for at the pool's dynamic power per unit.
            let pool = &self.fleet.pools[c.pool];
            let wh = c.work.mean * pool.watts_per_busy * c.power_scale / 3600.0;
            s.push_str(&format!(
                "  consumer {:<15} pool {:<14} {:.3e} requests/day, {:.3} accelerator-s/request ({wh:.3} Wh marginal){}\n",
                c.name,
                pool.name,
                c.requests_per_s * 86_400.0,
                c.work.mean,
                if c.trace.is_some() { " (trace replay)" } else { "" }
            ));
        }
        for w in &self.twins {
            s.push_str(&format!(
                "  twin     {:<15} pool {:<14} {:.0} accelerators at base utilisation {:.2}\n",
                w.name, self.fleet.pools[w.pool].name, w.accelerators, w.base_utilisation
            ));
        }
        for w in &self.trainings {
            s.push_str(&format!(
                "  training {:<15} pool {:<14} jobs of {:.0} accelerators, {:.1} days, utilisation {:.3} ({:.0} W per accelerator, host share included)\n",
                w.name,
                self.fleet.pools[w.pool].name,
                w.job_accelerators,
                w.duration_s / 86_400.0,
                w.utilisation,
                {
                    let p = &self.fleet.pools[w.pool];
                    p.idle_w_per_capacity + p.watts_per_busy * w.utilisation
                }
            ));
        }
        for d in &self.defenses {
            s.push_str(&format!(
                "  defense  {:<15} pool {:<14} {:.0} accelerator-equivalents x {} copies, redundancy {:?}\n",
                d.name,
                self.fleet.pools[d.pool].name,
                d.need,
                d.redundancy.active_copies(),
                d.redundancy
            ));
        }
    }

    fn describe_facility(&self, s: &mut String) {
        match &self.facility {
            Facility::Fixed { pue, water } => {
                s.push_str(&format!("Facility: fixed PUE {pue}"));
                if let Some(w) = water {
                    s.push_str(&format!(
                        ", on-site WUE {} L/kWh of IT, off-site {} L/kWh of facility energy",
                        w.onsite_l_per_it_kwh, w.offsite_l_per_kwh
                    ));
                }
                s.push('\n');
            }
            Facility::Physics(p) => {
                let w = match &p.weather {
                    crate::model::facility::site::WeatherSource::Synthetic {
                        climate,
                        heat_wave,
                    } => {
                        format!(
                            "synthetic {} weather{}",
                            climate.name(),
                            if heat_wave.is_some() {
                                " with a forced heat wave"
                            } else {
                                ""
                            }
                        )
                    }
                    crate::model::facility::site::WeatherSource::Recorded {
                        hours,
                        time_zone_h,
                    } => {
                        format!("recorded weather ({} h, UTC{time_zone_h:+})", hours.len())
                    }
                };
                s.push_str(&format!(
                    "Facility: physics, {w}; electrical chain rated {:.1} MW UPS\n",
                    p.electrical.chain.rated_kw / 1000.0
                ));
                for pl in &p.plants {
                    s.push_str(&format!(
                        "  plant    {:<18} for {:?}-cooled groups, design {:.2} MW\n",
                        pl.name,
                        pl.kind,
                        pl.plant.design_capacity_w() / 1e6
                    ));
                }
                for (g, c) in self.fleet.groups.iter().zip(&p.groups) {
                    s.push_str(&format!(
                        "  group    {:<18} class {:?}, set point {} C, {:.0} % of its plant\n",
                        g.name,
                        c.class,
                        c.setpoint_c,
                        c.share * 100.0
                    ));
                }
                self.describe_phases(p, s);
            }
        }
    }

    /// A phased plant and chain (issue 22): when each phase's modules come online, what they
    /// are rated, and the load-bank tests.
    fn describe_phases(&self, p: &crate::model::facility::PhysicsFacility, s: &mut String) {
        if p.phases.len() > 1 {
            for ph in &p.phases {
                let cooling: f64 = ph
                    .plants
                    .iter()
                    .flatten()
                    .map(|c| c.design_capacity_w())
                    .fold(0.0, |a, b| a + b);
                s.push_str(&format!(
                    "  modules  from {}: plant design {:.2} MW, electrical chain rated {:.1} MW UPS\n",
                    self.calendar.timestamp(crate::base::time::SimTime(ph.from_s as u64)),
                    cooling / 1e6,
                    ph.electrical.chain.rated_kw / 1000.0
                ));
            }
        }
        for b in &p.load_banks {
            s.push_str(&format!(
                "  load bank {:.2} MW from {} to {}, cooled by the {} plant\n",
                b.power_w / 1e6,
                self.calendar
                    .timestamp(crate::base::time::SimTime(b.start_s as u64)),
                self.calendar
                    .timestamp(crate::base::time::SimTime(b.end_s as u64)),
                p.plants[b.plant].name
            ));
        }
    }
}
