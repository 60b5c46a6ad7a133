//! The physical facility wired to the rack groups: a weather year, one cooling plant and thermal
//! node per rack group, and the site's electrical chain.
//!
//! The site has one cooling plant per cooling type (air, liquid, immersion), sized to the
//! installed IT peak of the groups it serves times a design margin, as a campus shares one
//! chilled-water or dry-cooler plant between halls. Each step: every group's IT power (plus
//! server fans, which speed up as the inlet warms) is heat for its plant; the plant, derated for
//! the outdoor conditions, removes what it can and draws power for it; each group is entitled
//! to the plant's capacity in proportion to its design load, and heat it cannot shed warms its
//! thermal node; above the ASHRAE allowable limit the node returns a power cap that throttles the
//! group from the next step (feedback reaches the next step as a cap, never by calling back up).
//! The site's IT and cooling power then go through the electrical chain (UPS, transformers,
//! distribution, fixed loads). Cost per step is one plant evaluation per cooling type, whatever
//! the number of groups.

use std::path::Path;

use toml::Spanned;

use crate::base::rng::Stream as ChaCha8Rng;
use rand::Rng;

use crate::base::rng::poisson_count;

use super::phasing::{LoadBank, Phasing, SitePhase, build_phases};
use super::physics::{
    AshraeClass, CoolingPlant, ElectricalChain, PlantHour, PreparedChain, ThermalNode,
    server_fan_factor,
};
use super::{FacilitySpec, FacilityStep, HeatWaveSpec};
use crate::base::error::{Error, Result, Source};
use crate::input::check::err_after;
use crate::model::fleet::Fleet;
use crate::model::library::{CoolingKind, Library};
use crate::model::weather::{Climate, HeatWaveOverride, WeatherHour, epw_time_zone_h, read_epw};

/// Where the weather comes from.
#[derive(Clone, Debug)]
pub enum WeatherSource {
    /// A synthetic year per trial from monthly normals.
    Synthetic {
        climate: Box<Climate>,
        heat_wave: Option<HeatWaveOverride>,
    },
    /// A recorded year (EPW), the same for every trial, repeated past its end. Its rows are in
    /// the local standard time of `time_zone_h` (hours east of UTC, from the file's header).
    Recorded {
        hours: Vec<WeatherHour>,
        time_zone_h: f64,
    },
}

/// What each rack group's cooling looks like.
#[derive(Clone, Debug)]
pub struct GroupCooling {
    /// Index of the site plant that serves the group.
    pub plant: usize,
    /// The group's share of that plant's capacity (its design load / the plant's).
    pub share: f64,
    pub class: AshraeClass,
    pub setpoint_c: f64,
    pub thermal_mass_kj_per_k: f64,
    /// Server fans follow the inlet air only in air-cooled groups.
    pub air_cooled: bool,
    pub accelerators: f64,
}

#[derive(Clone, Debug)]
pub struct PhysicsFacility {
    pub weather: WeatherSource,
    /// 0-based day of the year of the study start, hour 0 on the study clock.
    pub start_day_of_year: u32,
    /// The study clock, seconds east of UTC. It only decides how timestamps are written: the
    /// weather is placed at the site's own time (the climate's solar time, or the EPW's zone).
    pub study_offset_s: i32,
    pub groups: Vec<GroupCooling>,
    /// One plant per cooling type in use.
    pub plants: Vec<SitePlant>,
    /// Unit redundancy of the plants, when modelled.
    pub units: Option<PlantUnits>,
    pub electrical: PreparedChain,
    pub grid_water_l_per_kwh: f64,
    /// The plants and chain as built out, phase by phase (one phase without a build-out: the
    /// plants and chain above); see [`super::phasing`].
    pub phases: Vec<SitePhase>,
    pub load_banks: Vec<LoadBank>,
}

/// Units of a cooling plant: `needed` meet the design capacity, `installed` = needed plus the
/// redundancy's spares (N+1: one more; 2N: twice as many). Units fail at random and are repaired
/// after an exponential time; the plant's capacity is min(1, working / needed) of design.
#[derive(Clone, Copy, Debug)]
pub struct PlantUnits {
    pub needed: u32,
    pub installed: u32,
    pub fail_per_s: f64,
    pub repair_s: f64,
}

impl PlantUnits {
    /// One step of unit failures and repairs in every plant; lost units beyond the spares cut
    /// the plant's capacity this step.
    #[inline]
    fn step(&self, st: &mut PhysicsState, dt_s: f64) {
        for (down, cap) in st.units_down.iter_mut().zip(&mut st.plant_capacity) {
            let working = f64::from(self.installed) - *down;
            let failed =
                poisson_count(self.fail_per_s * dt_s * working, &mut st.units_rng).min(working);
            let repaired = if *down > 0.0 {
                poisson_count(*down * dt_s / self.repair_s, &mut st.units_rng).min(*down)
            } else {
                0.0
            };
            *down += failed - repaired;
            let share = ((f64::from(self.installed) - *down) / f64::from(self.needed)).min(1.0);
            *cap *= share;
            st.plant_unit_hours_short += if share < 1.0 { dt_s / 3600.0 } else { 0.0 };
        }
    }
}

#[derive(Clone, Debug)]
pub struct SitePlant {
    pub kind: CoolingKind,
    pub name: String,
    pub plant: CoolingPlant,
}

/// Time constant of a thermal node's return to its set point when the plant has spare capacity.
/// Estimate: a CRAH/CDU control loop settles in minutes.
const NODE_TIME_CONSTANT_S: f64 = 600.0;

impl PhysicsFacility {
    /// Resolves a physics `[facility]`: its weather, one plant per cooling type sized to the
    /// groups it serves, each group's cooling, the electrical chain scaled to the site and the
    /// plants' units. Errors come in that order, so a run file with several gets the first.
    #[allow(clippy::too_many_arguments)]
    pub fn resolve(
        spec: &FacilitySpec,
        src: &Source,
        lib: &Library,
        fleet: &Fleet,
        base_dir: &Path,
        files: &crate::input::files::Files,
        start_day_of_year: u32,
        study_offset_s: i32,
        phasing: &Phasing,
    ) -> Result<PhysicsFacility> {
        let at = spec.kind.span().start;
        refuse_fixed_fields(spec, src, at)?;
        let weather = weather_source(spec, src, lib, base_dir, files, at)?;
        let plant_types = plant_types(spec, src, lib, at)?;
        let design = Design::read(spec, src, at)?;
        let plants = size_plants(plant_types, fleet, design.margin);
        let groups: Vec<GroupCooling> = fleet
            .groups
            .iter()
            .map(|g| design.group_cooling(g, &plants))
            .collect();
        let chain = electrical_chain(spec, src, lib, at)?;
        let electrical = scaled_chain(&chain, fleet.peak_w());
        let units = plant_units(spec, src, at)?;
        let kinds: Vec<CoolingKind> = plants.iter().map(|p| p.kind).collect();
        let load_banks = phasing.load_banks(fleet, &kinds)?;
        let dates = phasing.module_dates(fleet, &load_banks)?;
        let phases = build_phases(fleet, &plants, &groups, &chain, &dates, design.margin);
        Ok(PhysicsFacility {
            weather,
            start_day_of_year: start_day_of_year.min(364),
            study_offset_s,
            groups,
            plants,
            units,
            electrical: PreparedChain::new(electrical),
            grid_water_l_per_kwh: design.water,
            phases,
            load_banks,
        })
    }

    /// A trial's weather, one entry per hour of the horizon on the study clock: entry `h` is
    /// the weather at the instant study hour `h` begins, taken at the site's own time. A
    /// synthetic climate runs on the site's solar time; an EPW year on its header's zone
    /// (rows shifted by the zone minus the study offset, interpolated linearly for a zone
    /// that is not a whole number of hours away).
    pub fn weather_year<R: Rng + ?Sized>(&self, hours: usize, rng: &mut R) -> Vec<WeatherHour> {
        match &self.weather {
            WeatherSource::Synthetic { climate, heat_wave } => climate.generate_for_clock(
                hours,
                self.start_day_of_year,
                self.study_offset_s,
                *heat_wave,
                rng,
            ),
            WeatherSource::Recorded {
                hours: year,
                time_zone_h,
            } => {
                let n = year.len() as f64;
                let shift = time_zone_h - f64::from(self.study_offset_s) / 3600.0;
                let first = f64::from(self.start_day_of_year) * 24.0 + shift;
                (0..hours)
                    .map(|h| {
                        let x = (first + h as f64).rem_euclid(n);
                        let i = x.floor();
                        let w = x - i;
                        let a = year[(i as usize) % year.len()];
                        if w < 1e-9 {
                            return a;
                        }
                        let b = year[(i as usize + 1) % year.len()];
                        let mix = |p: f64, q: f64| p + w * (q - p);
                        WeatherHour {
                            dry_bulb_c: mix(a.dry_bulb_c, b.dry_bulb_c),
                            wet_bulb_c: mix(a.wet_bulb_c, b.wet_bulb_c),
                            rel_humidity_pct: mix(a.rel_humidity_pct, b.rel_humidity_pct),
                        }
                    })
                    .collect()
            }
        }
    }

    pub fn new_state<R: Rng + ?Sized>(
        &self,
        hours: usize,
        rng: &mut R,
        units_rng: ChaCha8Rng,
    ) -> PhysicsState {
        PhysicsState {
            units_down: vec![0.0; self.plants.len()],
            units_rng,
            weather: self.weather_year(hours, rng),
            nodes: self
                .groups
                .iter()
                .map(|g| {
                    ThermalNode::new(g.setpoint_c, g.thermal_mass_kj_per_k, NODE_TIME_CONSTANT_S)
                })
                .collect(),
            caps: vec![1.0; self.groups.len()],
            all_uncapped: true,
            fan_mult: vec![1.0; self.groups.len()],
            caps_at_c: vec![f64::NAN; self.groups.len()],
            plant_unit_hours_short: 0.0,
            plant_heat: vec![0.0; self.plants.len()],
            plant_capacity: vec![0.0; self.plants.len()],
            phase: 0,
            bank_w: 0.0,
            bank_heat: vec![0.0; self.plants.len()],
            plant_hours: Vec::with_capacity(self.plants.len()),
            plant_hours_for: None,
            run_cooling: Vec::new(),
        }
    }

    /// Facility power this step would draw for the given group IT powers, without advancing any
    /// state: what load shedding aims at.
    pub fn peek(&self, st: &PhysicsState, group_it_w: &[f64], hour: usize, dt_s: f64) -> f64 {
        let outdoor = st.weather[hour];
        let ph = &self.phases[st.phase];
        let mut heat = [0.0f64; 3];
        let mut it_w = 0.0;
        for (g, &h) in self.groups.iter().zip(group_it_w) {
            heat[g.plant.min(2)] += h;
            it_w += h;
        }
        for (h, b) in heat.iter_mut().zip(&st.bank_heat) {
            *h += b;
        }
        let cooling_w: f64 = ph
            .plants
            .iter()
            .zip(heat)
            .map(|(p, h)| {
                p.as_ref()
                    .map_or(0.0, |p| p.evaluate(h, &outdoor, dt_s).power_w)
            })
            .sum();
        let load_w = it_w + st.bank_w;
        load_w + cooling_w + ph.electrical.losses(load_w, cooling_w).total_w()
    }

    /// The figures of each plant of the phase now for weather hour `outdoor`
    /// ([`CoolingPlant::hour`]), worked out again only when the phase or the weather changed:
    /// the steps and quiet blocks of an hour share them.
    #[inline]
    pub(super) fn refresh_plant_hours(&self, st: &mut PhysicsState, outdoor: &WeatherHour) {
        let key = (
            st.phase,
            [
                outdoor.dry_bulb_c.to_bits(),
                outdoor.wet_bulb_c.to_bits(),
                outdoor.rel_humidity_pct.to_bits(),
            ],
        );
        if st.plant_hours_for == Some(key) {
            return;
        }
        st.plant_hours.clear();
        st.plant_hours.extend(
            self.phases[st.phase]
                .plants
                .iter()
                .map(|p| p.as_ref().map(|p| p.hour(outdoor))),
        );
        st.plant_hours_for = Some(key);
    }

    /// One step: cooling per group, thermal state and next step's caps, then the electrical chain.
    #[inline]
    pub fn step(
        &self,
        st: &mut PhysicsState,
        group_it_w: &[f64],
        hour: usize,
        dt_s: f64,
    ) -> PhysicsStep {
        let outdoor = st.weather[hour];
        let ph = &self.phases[st.phase];
        let mut cooling_w = 0.0;
        let mut onsite_l = 0.0;
        let mut throttled_acc = 0.0;
        let mut inlet_max_c = f64::MIN;
        let mut coolant_max_c = f64::MIN;
        let mut it_w = 0.0;
        st.plant_heat.iter_mut().for_each(|h| *h = 0.0);
        for (g, &heat) in self.groups.iter().zip(group_it_w) {
            st.plant_heat[g.plant] += heat;
            it_w += heat;
        }
        for (h, b) in st.plant_heat.iter_mut().zip(&st.bank_heat) {
            *h += b;
        }
        self.refresh_plant_hours(st, &outdoor);
        // A plant with no module online removes nothing and draws nothing.
        for (((p, h), &heat), cap) in ph
            .plants
            .iter()
            .zip(&st.plant_hours)
            .zip(&st.plant_heat)
            .zip(&mut st.plant_capacity)
        {
            *cap = 0.0;
            if let (Some(p), Some(h)) = (p, h) {
                let c = p.evaluate_in(h, heat, dt_s);
                cooling_w += c.power_w;
                onsite_l += c.evaporated_l;
                *cap = c.capacity_w;
            }
        }
        if let Some(u) = &self.units {
            u.step(st, dt_s);
        }
        // A plant is saturated when the heat offered exceeds what it can remove in this
        // weather (after unit failures); what it cannot remove warms the groups' nodes, and
        // throttling follows from that.
        let mut heat_not_removed_w = 0.0;
        for (&heat, &cap) in st.plant_heat.iter().zip(&st.plant_capacity) {
            heat_not_removed_w += (heat - cap).max(0.0);
        }
        let saturated = heat_not_removed_w > 0.0;
        let mut all_uncapped = true;
        for ((((((g, share), node), cap), fan), at), &heat) in self
            .groups
            .iter()
            .zip(&ph.shares)
            .zip(&mut st.nodes)
            .zip(&mut st.caps)
            .zip(&mut st.fan_mult)
            .zip(&mut st.caps_at_c)
            .zip(group_it_w)
        {
            node.step(heat, st.plant_capacity[g.plant] * share, dt_s);
            // The cap and the fans follow the node's temperature alone: worked out again only
            // when it moved (a node at its set point stays there step after step).
            if node.temp_c.to_bits() != at.to_bits() {
                *cap = node.throttle_cap(g.class);
                // Next step's server fan power, from the inlet temperature just reached.
                *fan = 1.0
                    + if g.air_cooled {
                        server_fan_factor(node.temp_c)
                    } else {
                        0.0
                    };
                *at = node.temp_c;
            }
            all_uncapped &= *cap == 1.0;
            throttled_acc += g.accelerators * (1.0 - *cap);
            if g.air_cooled {
                inlet_max_c = inlet_max_c.max(node.temp_c);
            } else {
                coolant_max_c = coolant_max_c.max(node.temp_c);
            }
        }
        st.all_uncapped = all_uncapped;
        // Load banks load the chain as IT does.
        let load_w = it_w + st.bank_w;
        let losses = ph.electrical.losses(load_w, cooling_w).total_w();
        PhysicsStep {
            power: FacilityStep {
                it_w,
                cooling_w,
                losses_w: losses,
                load_bank_w: st.bank_w,
                facility_w: load_w + cooling_w + losses,
            },
            onsite_water_l: onsite_l,
            heat_not_removed_w,
            saturated,
            throttled_acc,
            // Inlet air of air-cooled groups; a site with none reports its hottest coolant supply.
            inlet_max_c: if inlet_max_c > f64::MIN {
                inlet_max_c
            } else {
                coolant_max_c
            },
            outdoor,
        }
    }
}

/// `Err` at `field` of the `[facility]` table unless `ok`.
fn ensure(ok: bool, src: &Source, at: usize, field: &str, msg: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(err_after(src, at, field, msg))
    }
}

/// A physics facility computes what a fixed one states.
fn refuse_fixed_fields(spec: &FacilitySpec, src: &Source, at: usize) -> Result<()> {
    ensure(
        spec.pue.is_none(),
        src,
        at,
        "pue",
        "a physics facility computes its PUE; remove `pue` or use kind = \"fixed\"",
    )?;
    ensure(
        spec.wue_l_per_kwh.is_none(),
        src,
        at,
        "wue_l_per_kwh",
        "a physics facility computes its on-site water from the cooling plants; remove `wue_l_per_kwh` or use kind = \"fixed\"",
    )
}

/// The weather: a library climate (with an optional forced heat wave) or a recorded EPW year.
fn weather_source(
    spec: &FacilitySpec,
    src: &Source,
    lib: &Library,
    base_dir: &Path,
    files: &crate::input::files::Files,
    at: usize,
) -> Result<WeatherSource> {
    match (&spec.climate, &spec.epw) {
        (Some(c), None) => {
            let text = lib.file("climates", c.get_ref()).ok_or_else(|| {
                src.error_at(
                    c.span(),
                    "climate",
                    format!(
                        "{}; to add a climate, write its monthly normals as \
                         DIR/climates/<name>.toml (copy models/climates/dallas.toml) and run with \
                         --models DIR, or give `epw = \"file.epw\"` (a recorded year, relative to \
                         the run file) instead of `climate`",
                        lib.unknown_file("climates", "climate", c.get_ref())
                    ),
                )
            })?;
            // Parsed once per study and text (a trial that samples the library parses its own
            // text): the node solve costs ~12 M instructions, per trial before.
            let climate = files.load(
                "climate",
                Path::new(&text.name),
                text.text.to_string(),
                || Climate::from_toml(&text.name, &text.text).map_err(Error::from),
            )?;
            let heat_wave = match &spec.heat_wave {
                Some(h) => Some(heat_wave(h, src, at)?),
                None => None,
            };
            Ok(WeatherSource::Synthetic {
                climate: Box::new(Climate::clone(&climate)),
                heat_wave,
            })
        }
        (None, Some(e)) => {
            ensure(
                spec.heat_wave.is_none(),
                src,
                at,
                "heat_wave",
                "a heat wave can only be forced into a synthetic climate, not a recorded EPW year",
            )?;
            let path = base_dir.join(e.get_ref());
            // Read and checked once per study.
            let loaded = files.load("epw", &path, String::new(), || {
                let text =
                    crate::input::limits::read_text(&path, crate::input::limits::MAX_DATA_BYTES)?;
                let shown = path.display().to_string();
                let hours = read_epw(&shown, &text).map_err(Error::from)?;
                let time_zone_h = epw_time_zone_h(&shown, &text).map_err(Error::from)?;
                Ok((hours, time_zone_h))
            })?;
            Ok(WeatherSource::Recorded {
                hours: loaded.0.clone(),
                time_zone_h: loaded.1,
            })
        }
        _ => Err(err_after(
            src,
            at,
            "climate",
            "a physics facility needs exactly one of `climate` (e.g. \"ashburn\") or `epw` (a weather file)",
        )),
    }
}

fn heat_wave(h: &HeatWaveSpec, src: &Source, at: usize) -> Result<HeatWaveOverride> {
    ensure(
        (1..=365).contains(&h.day_of_year),
        src,
        at,
        "day_of_year",
        "expected a day of the year, 1 to 365",
    )?;
    ensure(
        h.days > 0.0 && h.days.is_finite(),
        src,
        at,
        "days",
        "expected a positive number of days",
    )?;
    ensure(
        h.amplitude_c >= 0.0 && h.amplitude_c <= 30.0,
        src,
        at,
        "amplitude_c",
        "expected 0 to 30 C",
    )?;
    Ok(HeatWaveOverride {
        start_day_of_year: h.day_of_year - 1,
        duration_days: h.days,
        amplitude_c: h.amplitude_c,
    })
}

/// A facility model file from the library by the name the run file gives (or `default`): its
/// own spelling of the name and its text.
fn model_file(
    lib: &Library,
    src: &Source,
    at: usize,
    kind: &str,
    (name, default, field): (Option<&Spanned<String>>, &str, &str),
) -> Result<(String, Source)> {
    let n = name.map_or(default.to_string(), |s| s.get_ref().clone());
    match lib.file_named(kind, &n) {
        Some((canon, s)) => Ok((canon.to_string(), s.clone())),
        None => {
            let msg = lib.unknown_file(kind, &format!("{kind} model"), &n);
            Err(match name {
                Some(s) => src.error_at(s.span(), field, msg),
                None => err_after(src, at, field, &msg),
            })
        }
    }
}

/// The plant model of each cooling type (`plants.air`, `.liquid`, `.immersion`, or the
/// defaults), read whether or not the site has groups of that type.
fn plant_types(
    spec: &FacilitySpec,
    src: &Source,
    lib: &Library,
    at: usize,
) -> Result<Vec<(CoolingKind, String, CoolingPlant)>> {
    let p = spec.plants.clone().unwrap_or_default();
    let mut out = Vec::new();
    for (kind, name) in [
        (
            CoolingKind::Air,
            (p.air.as_ref(), "air-chiller-economiser", "air"),
        ),
        (
            CoolingKind::Liquid,
            (p.liquid.as_ref(), "liquid-dry-cooler", "liquid"),
        ),
        (
            CoolingKind::Immersion,
            (p.immersion.as_ref(), "immersion", "immersion"),
        ),
    ] {
        let (n, text) = model_file(lib, src, at, "cooling", name)?;
        let plant = CoolingPlant::from_toml(&text.name, &text.text).map_err(Error::from)?;
        out.push((kind, n, plant));
    }
    Ok(out)
}

/// One plant per cooling type in use, sized to the largest nameplate of that type installed
/// at once (a refreshed group's old and new hardware are never in service together).
fn size_plants(
    types: Vec<(CoolingKind, String, CoolingPlant)>,
    fleet: &Fleet,
    margin: f64,
) -> Vec<SitePlant> {
    types
        .into_iter()
        .filter_map(|(kind, name, plant)| {
            let design: f64 = fleet.design_peak_w(|g| g.cooling == kind);
            (design > 0.0).then(|| SitePlant {
                kind,
                name,
                plant: sized_plant(&plant, design, margin),
            })
        })
        .collect()
}

/// A plant model sized for `design` W of IT: `design_margin` sizes the heat-rejection plant
/// at its design outdoor condition; the room side (CRAH fan walls, CDUs, pumps) is fitted out
/// for at least the installed IT peak (estimate: halls are not built with fewer terminal units
/// than the IT they serve), so in cool weather an undersized heat-rejection plant can still
/// carry the whole load.
pub(super) fn sized_plant(plant: &CoolingPlant, design: f64, margin: f64) -> CoolingPlant {
    plant
        .with_design_capacity_w(design * margin)
        .with_terminal_capacity_w(design * margin.max(1.0))
}

/// ASHRAE classes by their names in a run file.
const ASHRAE_CLASSES: [(&str, AshraeClass); 9] = [
    ("A1", AshraeClass::A1),
    ("A2", AshraeClass::A2),
    ("A3", AshraeClass::A3),
    ("A4", AshraeClass::A4),
    ("W17", AshraeClass::W17),
    ("W27", AshraeClass::W27),
    ("W32", AshraeClass::W32),
    ("W40", AshraeClass::W40),
    ("W45", AshraeClass::W45),
];

/// The word at `s` among `table`'s (ignoring case, with "did you mean"), or the error there.
fn choose<T: Copy>(
    src: &Source,
    field: &str,
    what: &str,
    s: &Spanned<String>,
    table: &[(&str, T)],
) -> Result<T> {
    let words: Vec<&str> = table.iter().map(|(w, _)| *w).collect();
    crate::input::names::resolve(what, s.get_ref(), &words)
        .map(|i| table[i].1)
        .map_err(|m| src.error_at(s.span(), field, m))
}

/// The site's design figures, with their defaults.
struct Design {
    air_class: AshraeClass,
    liquid_class: AshraeClass,
    air_set: f64,
    liquid_set: f64,
    /// Plant design capacity over the installed IT peak.
    margin: f64,
    /// Thermal mass per kW of installed IT, kJ/K.
    mass: f64,
    /// Off-site water of the grid's electricity, L/kWh.
    water: f64,
}

impl Design {
    fn read(spec: &FacilitySpec, src: &Source, at: usize) -> Result<Design> {
        let class = |s: Option<&Spanned<String>>, default, field| match s {
            Some(s) => choose(src, field, "ASHRAE class", s, &ASHRAE_CLASSES),
            None => Ok(default),
        };
        let d = Design {
            air_class: class(spec.air_class.as_ref(), AshraeClass::A2, "air_class")?,
            liquid_class: class(spec.liquid_class.as_ref(), AshraeClass::W40, "liquid_class")?,
            air_set: spec.air_setpoint_c.unwrap_or(24.0),
            liquid_set: spec.liquid_setpoint_c.unwrap_or(35.0),
            margin: spec.design_margin.unwrap_or(1.2),
            mass: spec.thermal_mass_kj_per_k_per_kw.unwrap_or(10.0),
            water: spec.grid_water_l_per_kwh.unwrap_or(7.6),
        };
        for (class, set, field) in [
            (d.air_class, d.air_set, "air_setpoint_c"),
            (d.liquid_class, d.liquid_set, "liquid_setpoint_c"),
        ] {
            let max = class.allowable_max_c();
            ensure(
                (10.0..=max).contains(&set),
                src,
                at,
                field,
                &format!("expected 10 C up to the class's allowable {max} C"),
            )?;
        }
        ensure(
            d.margin > 0.0 && d.margin <= 10.0,
            src,
            at,
            "design_margin",
            "expected a plant capacity factor in (0, 10], e.g. 1.2",
        )?;
        ensure(
            d.mass > 0.0 && d.mass.is_finite(),
            src,
            at,
            "thermal_mass_kj_per_k_per_kw",
            "expected a positive number",
        )?;
        ensure(
            d.water >= 0.0 && d.water.is_finite(),
            src,
            at,
            "grid_water_l_per_kwh",
            "expected a number >= 0",
        )?;
        Ok(d)
    }

    /// A group's cooling: its type's plant, its share of that plant by design load, and the
    /// class, set point and thermal mass of air- or liquid-cooled hardware.
    fn group_cooling(
        &self,
        g: &crate::model::fleet::RackGroup,
        plants: &[SitePlant],
    ) -> GroupCooling {
        let pi = plants.iter().position(|p| p.kind == g.cooling).unwrap_or(0);
        let air = g.cooling == CoolingKind::Air;
        GroupCooling {
            plant: pi,
            share: g.peak_w() * self.margin / plants[pi].plant.design_capacity_w(),
            class: if air {
                self.air_class
            } else {
                self.liquid_class
            },
            setpoint_c: if air { self.air_set } else { self.liquid_set },
            thermal_mass_kj_per_k: self.mass * g.peak_w() / 1000.0,
            air_cooled: air,
            accelerators: g.accelerators,
        }
    }
}

/// The electrical preset, stated per 1 MW of design IT.
fn electrical_chain(
    spec: &FacilitySpec,
    src: &Source,
    lib: &Library,
    at: usize,
) -> Result<ElectricalChain> {
    let name = (spec.electrical.as_ref(), "hyperscale", "electrical");
    let (_, text) = model_file(lib, src, at, "electrical", name)?;
    ElectricalChain::from_toml(&text.name, &text.text).map_err(Error::from)
}

/// The preset (per 1 MW of design IT) scaled to `design_w` of IT: its UPS and transformer
/// ratings and its fixed load.
pub(super) fn scaled_chain(per_mw: &ElectricalChain, design_w: f64) -> ElectricalChain {
    let mut chain = per_mw.clone();
    let mw = design_w / 1e6;
    chain.rated_kw *= mw;
    chain.transformer_rated_kw *= mw;
    chain.fixed_kw *= mw;
    chain
}

/// Unit redundancy of the cooling plants, when the run file asks for it.
fn plant_units(spec: &FacilitySpec, src: &Source, at: usize) -> Result<Option<PlantUnits>> {
    let Some(r) = &spec.cooling_redundancy else {
        let stated = spec.cooling_units.is_some()
            || spec.cooling_unit_failures_per_year.is_some()
            || spec.cooling_unit_repair_hours.is_some();
        ensure(
            !stated,
            src,
            at,
            "cooling_redundancy",
            "missing: cooling unit figures need a redundancy (\"N\", \"N+1\" or \"2N\")",
        )?;
        return Ok(None);
    };
    let needed = spec.cooling_units.unwrap_or(4);
    ensure(
        needed != 0 && needed <= 1000,
        src,
        at,
        "cooling_units",
        "expected 1 to 1000 units",
    )?;
    let spares = choose(
        src,
        "cooling_redundancy",
        "redundancy",
        r,
        &[("N", 0), ("N+1", 1), ("2N", needed)],
    )?;
    // Estimates: a chiller or dry-cooler unit fails about once a year and takes two days to
    // repair (no published fleet figure was found; override per study).
    let per_year = spec.cooling_unit_failures_per_year.unwrap_or(1.0);
    let repair_h = spec.cooling_unit_repair_hours.unwrap_or(48.0);
    ensure(
        per_year >= 0.0 && per_year.is_finite(),
        src,
        at,
        "cooling_unit_failures_per_year",
        "expected a number >= 0",
    )?;
    ensure(
        repair_h > 0.0 && repair_h.is_finite(),
        src,
        at,
        "cooling_unit_repair_hours",
        "expected a positive number of hours",
    )?;
    Ok(Some(PlantUnits {
        needed,
        installed: needed + spares,
        fail_per_s: per_year / (365.0 * 86_400.0),
        repair_s: repair_h * 3600.0,
    }))
}

/// A trial's physical state.
#[derive(Clone, Debug)]
pub struct PhysicsState {
    pub weather: Vec<WeatherHour>,
    pub nodes: Vec<ThermalNode>,
    /// Power cap of each group for the next step, (0, 1].
    pub caps: Vec<f64>,
    /// True when no group is throttled (the pools keep their nominal capacity).
    pub all_uncapped: bool,
    /// 1 + server fan power fraction of each group at its current inlet temperature.
    pub fan_mult: Vec<f64>,
    /// The node temperature each group's cap and fan multiplier were worked out at (NaN: not
    /// yet); a step works them out again only when its node's temperature moved, so they are
    /// written by the step alone.
    pub caps_at_c: Vec<f64>,
    /// Scratch: heat arriving at each plant this step and its capacity, W.
    pub plant_heat: Vec<f64>,
    pub plant_capacity: Vec<f64>,
    /// Failed units of each plant, and the stream their failures are drawn from.
    pub units_down: Vec<f64>,
    pub units_rng: ChaCha8Rng,
    /// Plant-hours with fewer working units than design needs (unit failures only; says
    /// nothing about whether the plant could carry the load: see `saturated`).
    pub plant_unit_hours_short: f64,
    /// The build-out phase of the plants and chain now (index into `phases`).
    pub phase: usize,
    /// Load-bank tests under way: their power, W, and their heat at each plant.
    pub bank_w: f64,
    pub bank_heat: Vec<f64>,
    /// The figures of each plant of the phase now (`None`: no module online) for the weather
    /// hour last stepped, and the phase and weather (bits) they are for
    /// ([`PhysicsFacility::refresh_plant_hours`]).
    pub plant_hours: Vec<Option<PlantHour>>,
    pub plant_hours_for: Option<(usize, [u64; 3])>,
    /// Scratch: each step's cooling of a run of steps at rest ([`super::rest`]), W.
    pub run_cooling: Vec<f64>,
}

#[derive(Clone, Copy, Debug)]
pub struct PhysicsStep {
    pub power: FacilityStep,
    pub onsite_water_l: f64,
    /// IT heat offered to the plants above what they could remove this step, W (summed over
    /// plants).
    pub heat_not_removed_w: f64,
    /// True when at least one plant was saturated (heat offered above its capacity).
    pub saturated: bool,
    /// Accelerators held back by thermal caps (accelerator-equivalents).
    pub throttled_acc: f64,
    pub inlet_max_c: f64,
    pub outdoor: WeatherHour,
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::model::facility::physics::electrical::presets;
    use crate::model::facility::physics::{ElectricalChain, ThermalNode};

    const HOT: WeatherHour = WeatherHour {
        dry_bulb_c: 30.0,
        wet_bulb_c: 22.0,
        rel_humidity_pct: 50.0,
    };

    fn plant(name: &str, design_w: f64) -> CoolingPlant {
        let lib = Library::builtin().expect("built-in library");
        let src = lib.file("cooling", name).expect("built-in plant");
        CoolingPlant::from_toml(&src.name, &src.text)
            .expect("plant")
            .with_design_capacity_w(design_w)
    }

    fn group(plant: usize, share: f64, air_cooled: bool) -> GroupCooling {
        GroupCooling {
            plant,
            share,
            class: AshraeClass::A2,
            setpoint_c: 24.0,
            thermal_mass_kj_per_k: 5.0e3,
            air_cooled,
            accelerators: 100.0,
        }
    }

    /// Two air groups sharing one air plant, one liquid group on a liquid plant, a constant
    /// recorded weather hour, the hyperscale chain.
    pub(in crate::model::facility) fn site() -> PhysicsFacility {
        PhysicsFacility {
            weather: WeatherSource::Recorded {
                hours: vec![HOT; 24],
                time_zone_h: 0.0,
            },
            start_day_of_year: 0,
            study_offset_s: 0,
            groups: vec![
                group(0, 0.6, true),
                group(0, 0.4, true),
                group(1, 1.0, false),
            ],
            plants: vec![
                SitePlant {
                    kind: CoolingKind::Air,
                    name: "air-chiller-economiser".into(),
                    plant: plant("air-chiller-economiser", 1.2e6),
                },
                SitePlant {
                    kind: CoolingKind::Liquid,
                    name: "liquid-dry-cooler".into(),
                    plant: plant("liquid-dry-cooler", 0.6e6),
                },
            ],
            units: None,
            electrical: PreparedChain::new(
                ElectricalChain::from_toml("hyperscale", presets::HYPERSCALE).expect("chain"),
            ),
            grid_water_l_per_kwh: 0.0,
            phases: Vec::new(),
            load_banks: Vec::new(),
        }
        .built_at_once()
    }

    pub(in crate::model::facility) fn state(f: &PhysicsFacility) -> PhysicsState {
        let mut rng = crate::base::rng::Stream::from_key(1);
        f.new_state(24, &mut rng, crate::base::rng::Stream::from_key(2))
    }

    #[test]
    fn a_step_balances_facility_it_cooling_and_losses_by_hand() {
        let f = site();
        let mut st = state(&f);
        let it = [300.0e3, 200.0e3, 400.0e3];
        let dt = 60.0;
        let s = f.step(&mut st, &it, 3, dt);
        // By hand: the air plant removes both air groups' heat together (500 kW), the liquid
        // plant the liquid group's (400 kW); the chain's losses follow from IT and cooling.
        let air = f.plants[0].plant.evaluate(500.0e3, &HOT, dt);
        let liquid = f.plants[1].plant.evaluate(400.0e3, &HOT, dt);
        let cooling = air.power_w + liquid.power_w;
        let losses = f.electrical.losses(900.0e3, cooling).total_w();
        let p = s.power;
        assert_eq!(p.it_w, 900.0e3);
        assert!(
            (p.cooling_w - cooling).abs() < 1e-6,
            "{} vs {cooling}",
            p.cooling_w
        );
        assert!(
            (p.losses_w - losses).abs() < 1e-6,
            "{} vs {losses}",
            p.losses_w
        );
        assert!((p.facility_w - (p.it_w + p.cooling_w + p.losses_w)).abs() < 1e-6);
        assert!(p.cooling_w > 0.0 && p.losses_w > 0.0);
        let pue = p.facility_w / p.it_w;
        assert!(pue > 1.0 && pue < 2.0, "PUE {pue}");
        assert_eq!(s.outdoor, HOT);
        assert!((s.onsite_water_l - (air.evaporated_l + liquid.evaporated_l)).abs() < 1e-9);
        // Within capacity: nothing left unremoved, nobody throttled.
        assert!(!s.saturated && s.heat_not_removed_w == 0.0 && s.throttled_acc == 0.0);
        // `peek` on a fresh state gives the same facility power without advancing anything.
        let fresh = state(&f);
        let peeked = f.peek(&fresh, &it, 3, dt);
        assert!(
            (peeked - p.facility_w).abs() < 1e-6,
            "{peeked} vs {}",
            p.facility_w
        );
        assert_eq!(fresh.nodes[0].temp_c, 24.0);
    }

    /// A step takes each plant's figures for its hour from the state ([`PhysicsState::
    /// plant_hours`]): stepping back and forth between hours of different weather and between
    /// build-out phases with different plants, each step's facility power, water and plant
    /// capacities are those of the plants evaluated from that hour's weather in that phase.
    #[test]
    fn a_step_reads_the_figures_of_its_own_hour_and_phase() {
        let mut f = site();
        let hours = (0..24)
            .map(|h| {
                let h = f64::from(h);
                WeatherHour {
                    dry_bulb_c: 2.0 + 1.7 * h,
                    wet_bulb_c: 1.0 + 1.1 * h,
                    rel_humidity_pct: 30.0 + 2.5 * h,
                }
            })
            .collect();
        f.weather = WeatherSource::Recorded {
            hours,
            time_zone_h: 0.0,
        };
        let mut second = f.phases[0].clone();
        second.plants = vec![Some(plant("air-chiller-legacy", 1.2e6)), None];
        f.phases.push(second);
        let mut st = state(&f);
        let it = [300.0e3, 200.0e3, 400.0e3];
        let steps = [
            (3, 0),
            (3, 0),
            (17, 0),
            (3, 0),
            (3, 1),
            (17, 1),
            (17, 0),
            (22, 1),
        ];
        for (hour, phase) in steps {
            st.phase = phase;
            let outdoor = st.weather[hour];
            let want = f.peek(&st, &it, hour, 60.0);
            let s = f.step(&mut st, &it, hour, 60.0);
            assert_eq!(s.power.facility_w, want, "hour {hour}, phase {phase}");
            let mut water = 0.0;
            for (k, (p, heat)) in f.phases[phase]
                .plants
                .iter()
                .zip([500.0e3, 400.0e3])
                .enumerate()
            {
                let c = p.map(|p| p.evaluate(heat, &outdoor, 60.0));
                water += c.map_or(0.0, |c| c.evaporated_l);
                let cap = c.map_or(0.0, |c| c.capacity_w);
                assert_eq!(
                    st.plant_capacity[k], cap,
                    "hour {hour}, phase {phase}, plant {k}"
                );
            }
            assert_eq!(s.onsite_water_l, water, "hour {hour}, phase {phase}");
        }
    }

    /// Caps and fan multipliers are worked out again only when a node's temperature moved:
    /// through an overload (nodes warm past the allowable limit, caps fall), a recovery and
    /// long spells at rest, each step's caps and fans are those of its nodes' temperatures, from
    /// the first step on (an air set point of 30 °C runs the server fans above nominal there).
    #[test]
    fn caps_and_fans_follow_the_nodes_step_after_step() {
        let mut f = site();
        for g in f.groups.iter_mut().filter(|g| g.air_cooled) {
            g.setpoint_c = 30.0;
        }
        let mut st = state(&f);
        let (light, heavy) = ([300.0e3, 200.0e3, 400.0e3], [2.4e6, 1.6e6, 400.0e3]);
        let mut throttled = false;
        for i in 0..400 {
            let it = if (40..90).contains(&i) { heavy } else { light };
            f.step(&mut st, &it, i % 24, 60.0);
            for (k, (g, node)) in f.groups.iter().zip(&st.nodes).enumerate() {
                let fan = 1.0
                    + if g.air_cooled {
                        server_fan_factor(node.temp_c)
                    } else {
                        0.0
                    };
                assert_eq!(
                    st.caps[k],
                    node.throttle_cap(g.class),
                    "step {i}, group {k}"
                );
                assert_eq!(st.fan_mult[k], fan, "step {i}, group {k}");
            }
            throttled |= st.caps[0] < 1.0;
            if i == 0 {
                assert!(
                    st.fan_mult[0] > 1.0,
                    "fans above nominal at a 30 °C set point"
                );
            }
        }
        assert!(throttled, "the overload never throttled");
    }

    /// After an overload a node relaxes towards its set point but stalls a few ulps above it
    /// (the relaxation's step rounds back to where it was); the facility still counts as at
    /// rest, so the two-rate engine's quiet blocks resume rather than stepping the rest of the
    /// trial.
    #[test]
    fn a_node_relaxed_after_an_overload_is_at_rest() {
        let f = site();
        let mut st = state(&f);
        let (light, heavy) = ([300.0e3, 200.0e3, 400.0e3], [1.8e6, 1.2e6, 400.0e3]);
        for i in 0..2_000 {
            let it = if (10..40).contains(&i) { heavy } else { light };
            f.step(&mut st, &it, i % 24, 60.0);
            if i == 39 {
                assert!(!f.at_rest(&st), "the overload warmed no node");
            }
        }
        let node = &st.nodes[0];
        assert!(
            node.temp_c > node.setpoint_c,
            "the node reached its set point exactly ({}); the tolerance is not needed",
            node.temp_c
        );
        assert!(node.temp_c - node.setpoint_c <= super::super::block::REST_TOLERANCE_C);
        assert!(
            f.at_rest(&st),
            "a node {} K above its set point",
            node.temp_c - node.setpoint_c
        );
    }

    #[test]
    fn heat_beyond_the_plant_is_not_removed_and_warms_the_groups() {
        let f = site();
        let mut st = state(&f);
        // 3 MW of air heat on a plant designed for 1.2 MW.
        let it = [1.8e6, 1.2e6, 0.0];
        let cap = f.plants[0].plant.capacity_w(&HOT);
        let s = f.step(&mut st, &it, 0, 60.0);
        assert!(s.saturated);
        assert!((s.heat_not_removed_w - (3.0e6 - cap)).abs() < 1e-3);
        let node = ThermalNode::new(24.0, 5.0e3, NODE_TIME_CONSTANT_S);
        assert!(st.nodes[0].temp_c > node.temp_c, "{}", st.nodes[0].temp_c);
        // Energy balance still holds when saturated.
        let p = s.power;
        assert!((p.facility_w - (p.it_w + p.cooling_w + p.losses_w)).abs() < 1e-6);
    }
}
