//! The plant and electrical chain built out with the fleet (issue 22), and commissioning
//! load-bank tests.
//!
//! A campus is not built on day one: each rack group's cooling and its share of the electrical
//! chain (UPS and transformer blocks) come as modules with their group's phase. A module brings
//! its capacity and, with it, its fixed losses (transformer no-load, UPS no-load, fan and pump
//! floors, lighting): the plant models and the chain state all of those as fractions of design,
//! so `k` identical modules sharing their load are one plant (or chain) sized to their sum.
//! The site's plants and chain are therefore resolved once per *phase* (a span between module
//! online dates), each sized to the modules online in it; a step uses the phase of its instant.
//! Without a build-out there is one phase, sized exactly as before.
//!
//! A module's online date is by default its group's (a refreshed group's new hardware brings
//! its own module at the refresh date; the plant is sized to the largest hardware online at
//! once), or the start of the group's load-bank test when it has one (the test is what
//! commissions the plant and chain). `[[facility.module]]` gives another date.
//!
//! A load-bank test draws `share` of its group's nameplate for `days` days ending at the
//! group's online date: resistive load on the IT side of the chain (through UPS and
//! transformer) whose heat the group's plant removes.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::physics::{CoolingPlant, ElectricalChain, PreparedChain};
use super::site::{
    GroupCooling, PhysicsFacility, PhysicsState, SitePlant, scaled_chain, sized_plant,
};
use crate::base::error::{Result, Source};
use crate::base::time::{Calendar, SimTime, parse_local_date_or_time};
use crate::model::fleet::{Fleet, RackGroup};
use crate::model::library::CoolingKind;

/// `[[facility.module]]`: a group's plant and electrical modules online at a date other than
/// the group's.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleSpec {
    /// The rack group the modules serve.
    pub group: Spanned<String>,
    /// `YYYY-MM-DD` (or `YYYY-MM-DDTHH:MM`) on the study clock.
    pub online: Spanned<String>,
    /// "cooling", "electrical" or "both" (default).
    pub part: Option<Spanned<String>>,
}

/// `[[facility.load_bank]]`: a commissioning test before a group goes live.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoadBankSpec {
    pub group: Spanned<String>,
    /// Share of the group's IT nameplate drawn, (0, 1].
    pub share: Spanned<f64>,
    /// Days of testing, ending at the group's online date.
    pub days: Spanned<f64>,
}

/// The site's plants and chain between two module online dates.
#[derive(Clone, Debug)]
pub struct SitePhase {
    /// From this instant, s from the study start (the first phase: 0).
    pub from_s: f64,
    /// Each site plant sized to its modules online (in the order of the final build's plants);
    /// `None` while none is.
    pub plants: Vec<Option<CoolingPlant>>,
    /// Each group's share of its plant's capacity in this phase (0 while the plant is not
    /// online).
    pub shares: Vec<f64>,
    pub electrical: PreparedChain,
}

/// A resolved load-bank test.
#[derive(Clone, Copy, Debug)]
pub struct LoadBank {
    /// The plant (index into the site's plants) that removes its heat.
    pub plant: usize,
    pub start_s: f64,
    pub end_s: f64,
    pub power_w: f64,
}

/// When each group's cooling and electrical modules come online, s from the study start.
#[derive(Clone, Debug)]
pub struct ModuleDates {
    pub cooling_s: Vec<f64>,
    pub electrical_s: Vec<f64>,
}

/// What resolving the modules needs of the study: its clock and the run file's tables.
pub struct Phasing<'a> {
    pub src: &'a Source,
    pub calendar: &'a Calendar,
    pub horizon_s: u64,
    pub modules: &'a [ModuleSpec],
    pub load_banks: &'a [LoadBankSpec],
}

impl Phasing<'_> {
    /// The load-bank tests, each checked: a known group online after the study start, a share
    /// in (0, 1], days that end at its online date and start within the study.
    pub fn load_banks(&self, fleet: &Fleet, plants: &[CoolingKind]) -> Result<Vec<LoadBank>> {
        let mut out = Vec::with_capacity(self.load_banks.len());
        for lb in self.load_banks {
            let g = &fleet.groups[self.group(fleet, &lb.group)?];
            let share = *lb.share.get_ref();
            if !(share > 0.0 && share <= 1.0) {
                return Err(self.src.error_at(
                    lb.share.span(),
                    "share",
                    format!(
                        "expected a share of the group's IT nameplate in (0, 1], found {share}"
                    ),
                ));
            }
            let days = *lb.days.get_ref();
            if !(days > 0.0 && days.is_finite()) {
                return Err(self.src.error_at(
                    lb.days.span(),
                    "days",
                    format!("expected a positive number of days, found {days}"),
                ));
            }
            let start_s = g.online_s - days * 86_400.0;
            if start_s < 0.0 {
                return Err(self.src.error_at(
                    lb.days.span(),
                    "days",
                    format!(
                        "the test would start before the study: group {:?} comes online {} days after the start (give it a later `online` or fewer days)",
                        g.name,
                        g.online_s / 86_400.0
                    ),
                ));
            }
            out.push(LoadBank {
                plant: plants.iter().position(|&k| k == g.cooling).unwrap_or(0),
                start_s,
                end_s: g.online_s,
                power_w: share * g.peak_w(),
            });
        }
        Ok(out)
    }

    /// Each group's module dates: its own online date, or its load-bank test's start, or the
    /// date a `[[facility.module]]` gives; a group online before its modules is refused.
    pub fn module_dates(&self, fleet: &Fleet, banks: &[LoadBank]) -> Result<ModuleDates> {
        let mut cooling_s: Vec<f64> = fleet.groups.iter().map(|g| g.online_s).collect();
        for (lb, spec) in banks.iter().zip(self.load_banks) {
            let gi = self.group(fleet, &spec.group)?;
            cooling_s[gi] = cooling_s[gi].min(lb.start_s);
        }
        let mut electrical_s = cooling_s.clone();
        let mut seen: Vec<(usize, bool, bool)> = Vec::new();
        for m in self.modules {
            let gi = self.group(fleet, &m.group)?;
            let (cool, elec) = self.part(m)?;
            if seen
                .iter()
                .any(|&(g, c, e)| g == gi && ((c && cool) || (e && elec)))
            {
                return Err(self.src.error_at(
                    m.group.span(),
                    "group",
                    format!(
                        "group {:?} already has a module date for this part: give each of its parts one date",
                        m.group.get_ref()
                    ),
                ));
            }
            seen.push((gi, cool, elec));
            let t = self.date(&m.online)?;
            let g = &fleet.groups[gi];
            // The test's start commissions the modules; the group needs them when it goes live.
            let need_s = banks
                .iter()
                .zip(self.load_banks)
                .filter(|(_, s)| self.group(fleet, &s.group).is_ok_and(|i| i == gi))
                .map(|(b, _)| b.start_s)
                .fold(g.online_s, f64::min);
            if t > need_s {
                return Err(self.src.error_at(
                    m.online.span(),
                    "online",
                    format!(
                        "{:?} is after group {:?} needs its modules ({}): expected a date at or before the group's online date (or its load-bank test's start)",
                        m.online.get_ref(),
                        g.name,
                        self.calendar.timestamp(SimTime(need_s as u64))
                    ),
                ));
            }
            if cool {
                cooling_s[gi] = t;
            }
            if elec {
                electrical_s[gi] = t;
            }
        }
        for d in cooling_s.iter_mut().chain(electrical_s.iter_mut()) {
            *d = d.max(0.0);
        }
        Ok(ModuleDates {
            cooling_s,
            electrical_s,
        })
    }

    /// The group a table names (ignoring case, with "did you mean"); refresh phases share
    /// their group's name, and the first group of that name is the one named.
    fn group(&self, fleet: &Fleet, name: &Spanned<String>) -> Result<usize> {
        let mut names: Vec<&str> = Vec::new();
        let mut index = Vec::new();
        for (i, g) in fleet.groups.iter().enumerate() {
            if g.refresh_of.is_none() {
                names.push(&g.name);
                index.push(i);
            }
        }
        crate::input::names::resolve("rack group", name.get_ref(), &names)
            .map(|i| index[i])
            .map_err(|m| self.src.error_at(name.span(), "group", m))
    }

    /// Which modules a `[[facility.module]]` moves: (cooling, electrical).
    fn part(&self, m: &ModuleSpec) -> Result<(bool, bool)> {
        let Some(p) = &m.part else {
            return Ok((true, true));
        };
        let table = [
            ("both", (true, true)),
            ("cooling", (true, false)),
            ("electrical", (false, true)),
        ];
        let words: Vec<&str> = table.iter().map(|(w, _)| *w).collect();
        crate::input::names::resolve("module part", p.get_ref(), &words)
            .map(|i| table[i].1)
            .map_err(|msg| self.src.error_at(p.span(), "part", msg))
    }

    /// A date on the study clock, inside the horizon.
    fn date(&self, d: &Spanned<String>) -> Result<f64> {
        let s = d.get_ref().trim();
        let local = parse_local_date_or_time(s).map_err(|_| {
            self.src.error_at(
                d.span(),
                "online",
                format!(
                    "expected a date like \"2026-03-01\" (or \"2026-03-01T06:00\") on the study clock, found {s:?}"
                ),
            )
        })?;
        let t = self.calendar.from_local_s_compatible(local) as f64;
        if t >= self.horizon_s as f64 {
            return Err(self.src.error_at(
                d.span(),
                "online",
                format!("{s:?} is at or after the study's end: expected a date inside the horizon"),
            ));
        }
        Ok(t)
    }
}

/// The instants at which the site's modules change: 0 and every later module date, sorted.
pub fn phase_starts(dates: &ModuleDates) -> Vec<f64> {
    let mut t: Vec<f64> = std::iter::once(0.0)
        .chain(dates.cooling_s.iter().copied())
        .chain(dates.electrical_s.iter().copied())
        .collect();
    t.sort_by(f64::total_cmp);
    t.dedup();
    t
}

/// The largest IT nameplate installed at once among the groups of `keep` whose module is
/// online at `t_s` (`dates`), W: what the modules online then were built for.
pub fn modules_peak_w(
    fleet: &Fleet,
    dates: &[f64],
    t_s: f64,
    keep: impl Fn(&RackGroup) -> bool,
) -> f64 {
    let w = fleet.design_peak_w(|g| {
        // `design_peak_w` passes references into the fleet's groups: find which one.
        let gi = fleet.groups.iter().position(|x| std::ptr::eq(x, g));
        gi.is_some_and(|i| dates[i] <= t_s) && keep(g)
    });
    // An empty sum is -0: nothing online is 0 W (as written by `validate`).
    w + 0.0
}

/// The site's plants and chain in each phase: every plant and the chain sized to the modules
/// online from the phase's start. `plants` and `per_mw` are the final build's plants and the
/// electrical preset per MW; `groups` says which plant serves each group.
pub fn build_phases(
    fleet: &Fleet,
    plants: &[SitePlant],
    groups: &[GroupCooling],
    per_mw: &ElectricalChain,
    dates: &ModuleDates,
    margin: f64,
) -> Vec<SitePhase> {
    phase_starts(dates)
        .into_iter()
        .map(|t| {
            let sized: Vec<Option<CoolingPlant>> = plants
                .iter()
                .map(|sp| {
                    let design =
                        modules_peak_w(fleet, &dates.cooling_s, t, |g| g.cooling == sp.kind);
                    (design > 0.0).then(|| sized_plant(&sp.plant, design, margin))
                })
                .collect();
            let shares = fleet
                .groups
                .iter()
                .zip(groups)
                .map(|(g, gc)| {
                    sized[gc.plant].map_or(0.0, |p| g.peak_w() * margin / p.design_capacity_w())
                })
                .collect();
            let design_w = modules_peak_w(fleet, &dates.electrical_s, t, |_| true);
            SitePhase {
                from_s: t,
                plants: sized,
                shares,
                electrical: PreparedChain::new(scaled_chain(per_mw, design_w)),
            }
        })
        .collect()
}

impl PhysicsFacility {
    /// The facility with one phase, its plants and chain as they are (a site built at once).
    pub fn built_at_once(mut self) -> PhysicsFacility {
        self.phases = vec![SitePhase {
            from_s: 0.0,
            plants: self.plants.iter().map(|p| Some(p.plant)).collect(),
            shares: self.groups.iter().map(|g| g.share).collect(),
            electrical: self.electrical.clone(),
        }];
        self
    }

    /// Moves the facility to instant `t_s`: the phase of its plants and chain, and the
    /// load-bank tests under way. True when either changed.
    pub fn advance(&self, st: &mut PhysicsState, t_s: f64) -> bool {
        let phase = self
            .phases
            .iter()
            .rposition(|p| p.from_s <= t_s)
            .unwrap_or(0);
        let mut changed = phase != st.phase;
        st.phase = phase;
        if !self.load_banks.is_empty() {
            let mut w = 0.0;
            st.bank_heat.iter_mut().for_each(|h| *h = 0.0);
            for b in &self.load_banks {
                if b.start_s <= t_s && t_s < b.end_s {
                    w += b.power_w;
                    st.bank_heat[b.plant] += b.power_w;
                }
            }
            changed |= w != st.bank_w;
            st.bank_w = w;
        }
        changed
    }

    /// The first instant after `t_s` at which a module comes online or a load-bank test
    /// starts or ends (infinite: none): a quiet block ends before it.
    pub fn next_change(&self, t_s: f64) -> f64 {
        let phases = self.phases.iter().map(|p| p.from_s);
        let banks = self.load_banks.iter().flat_map(|b| [b.start_s, b.end_s]);
        phases
            .chain(banks)
            .filter(|&x| x > t_s)
            .fold(f64::INFINITY, f64::min)
    }
}
