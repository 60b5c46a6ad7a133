//! The fleet built from the run file's `[site]` table: one rack group per `[[site.group]]`
//! (pooled by `pool`), online dates and commissioning ramps, and each refresh as a group of its
//! own that takes over at its date. The one place a fleet is made; the step
//! (`crate::sim::fleet`) only reads it.
//!
//! Checks run in the order a user reads a group (name, count, hardware, online, commissioning,
//! refresh), so the first error reported is the first wrong field.

use std::ops::Range;

use toml::Spanned;

use crate::base::error::{Result, Source};
use crate::base::numfmt::num;
use crate::base::time::{Calendar, SimTime, parse_local_date_or_time};
use crate::input::check::err_after;
use crate::input::limits::MAX_GROUP_COUNT;
use crate::model::library::{CoolingKind, Library, RackSpec, ServerSpec};

use super::spec::{GroupSpec, PoolSpec, RefreshSpec, SiteSpec};
use super::{Fleet, Pool, RackGroup, Sector};

/// What the fleet's dates are read against: the study clock and its end.
struct Clock<'a> {
    cal: &'a Calendar,
    horizon_s: u64,
}

pub fn build_fleet(
    site: &SiteSpec,
    src: &Source,
    lib: &Library,
    cal: &Calendar,
    horizon_s: u64,
) -> Result<Fleet> {
    let clock = Clock { cal, horizon_s };
    let mut fleet = Fleet::default();
    // Refresh phases, added after every group of the run file so that group indices follow
    // the file's `[[site.group]]` order.
    let mut phases: Vec<RackGroup> = Vec::new();
    for g in &site.group {
        if fleet.groups.iter().any(|x| &x.name == g.name.get_ref()) {
            return Err(src.error_at(
                g.name.span(),
                "name",
                format!("duplicate group name {:?}", g.name.get_ref()),
            ));
        }
        check_group_count(g, src)?;
        let pool = pool_of(&mut fleet, g);
        let mut group = group_hardware(g, pool, src, lib)?;
        if let Some(c) = g.cooling {
            group.cooling = c;
        }
        if let Some(o) = &g.online {
            set_online(&mut group, o, src, &clock)?;
        }
        if let Some(d) = g.commissioning_days {
            set_commissioning(&mut group, d, g, src)?;
        }
        add_to_pool(&mut fleet.pools[pool], fleet.groups.len(), &group);
        if let Some(r) = &g.refresh {
            let gi = fleet.groups.len();
            refresh_phases(&mut group, gi, r.list(), src, lib, &clock, &mut phases)?;
        }
        fleet.groups.push(group);
    }
    // A refresh phase serves in its group's pool; the pool's fixed figures (accelerators,
    // capacity, W per busy unit: for twin allocations, default job sizes, Wh-per-request
    // conversions and aiming load shedding) stay those of the first hardware, while the step's
    // capacity and power follow the hardware in service.
    for ph in phases {
        fleet.pools[ph.pool].groups.push(fleet.groups.len());
        fleet.groups.push(ph);
    }
    let mut stated = vec![false; fleet.pools.len()];
    for p in &site.pool {
        set_reserve(&mut fleet, p, src, &mut stated)?;
    }
    Ok(fleet)
}

/// A `[[site.pool]]` table's reservation for consumer classes: accelerators (0 to the pool's)
/// or a share (0 to 1), not both, on a pool some group names, stated once.
fn set_reserve(fleet: &mut Fleet, p: &PoolSpec, src: &Source, stated: &mut [bool]) -> Result<()> {
    let known: Vec<&str> = fleet.pools.iter().map(|p| p.name.as_str()).collect();
    let i = crate::input::names::resolve("pool", p.name.get_ref(), &known).map_err(|m| {
        src.error_at(
            p.name.span(),
            "name",
            format!("{m} (pools are named by the site's groups)"),
        )
    })?;
    let at = p.name.span().start;
    let pool = &mut fleet.pools[i];
    if std::mem::replace(&mut stated[i], true) {
        return Err(src.error_at(
            p.name.span(),
            "name",
            format!("pool {:?} is given twice in [[site.pool]]", pool.name),
        ));
    }
    let acc = pool.accelerators;
    pool.reserve = match (p.reserve_for_consumers, p.reserve_for_consumers_share) {
        (Some(_), Some(_)) => {
            return Err(err_after(
                src,
                at,
                "reserve_for_consumers_share",
                "give either reserve_for_consumers (accelerators) or reserve_for_consumers_share, not both",
            ));
        }
        (Some(r), None) if !(r.is_finite() && (0.0..=acc).contains(&r)) => {
            return Err(err_after(
                src,
                at,
                "reserve_for_consumers",
                &format!(
                    "expected accelerators from 0 to the pool's {}, found {}",
                    num(acc),
                    num(r)
                ),
            ));
        }
        (None, Some(s)) if !(s.is_finite() && (0.0..=1.0).contains(&s)) => {
            return Err(err_after(
                src,
                at,
                "reserve_for_consumers_share",
                &format!("expected a share of the pool from 0 to 1, found {}", num(s)),
            ));
        }
        (Some(r), None) => super::ConsumerReserve::Accelerators(r),
        (None, Some(s)) => super::ConsumerReserve::Share(s),
        (None, None) => super::ConsumerReserve::None,
    };
    Ok(())
}

fn is_group_count(v: f64) -> bool {
    v.is_finite() && v >= 1.0 && v.fract() == 0.0 && v <= MAX_GROUP_COUNT
}

fn check_group_count(g: &GroupSpec, src: &Source) -> Result<()> {
    if is_group_count(g.count) {
        return Ok(());
    }
    let what = if g.server.is_some() {
        "servers"
    } else {
        "racks"
    };
    Err(err_after(
        src,
        g.name.span().start,
        "count",
        &format!(
            "expected a whole number of {what} from 1 to {}, found {}",
            num(MAX_GROUP_COUNT),
            num(g.count)
        ),
    ))
}

/// The index of the group's pool (its own name by default), made on first use.
fn pool_of(fleet: &mut Fleet, g: &GroupSpec) -> usize {
    let pool_name = g
        .pool
        .as_ref()
        .map_or_else(|| g.name.get_ref().clone(), |p| p.get_ref().clone());
    if let Some(p) = fleet.pool_index(&pool_name) {
        return p;
    }
    fleet.pools.push(Pool {
        name: pool_name,
        groups: Vec::new(),
        accelerators: 0.0,
        capacity: 0.0,
        inv_capacity: 0.0,
        watts_per_busy: 0.0,
        idle_w_per_capacity: 0.0,
        primary: Sector::Consumer,
        reserve: super::ConsumerReserve::None,
    });
    fleet.pools.len() - 1
}

fn lookup_rack<'a>(lib: &'a Library, r: &Spanned<String>, src: &Source) -> Result<&'a RackSpec> {
    lib.rack(r.get_ref()).ok_or_else(|| {
        src.error_at(
            r.span(),
            "rack",
            lib.unknown_entry("rack type", r.get_ref()),
        )
    })
}

fn lookup_server<'a>(
    lib: &'a Library,
    s: &Spanned<String>,
    src: &Source,
) -> Result<&'a ServerSpec> {
    lib.server(s.get_ref())
        .ok_or_else(|| src.error_at(s.span(), "server", lib.unknown_entry("server", s.get_ref())))
}

/// The group's rack group from its library rack type or bare server.
fn group_hardware(g: &GroupSpec, pool: usize, src: &Source, lib: &Library) -> Result<RackGroup> {
    match (&g.rack, &g.server) {
        (Some(r), None) => {
            let rack = lookup_rack(lib, r, src)?;
            RackGroup::from_rack(g.name.get_ref(), pool, rack, g.count, lib)
                .map_err(|m| src.error_at(r.span(), "rack", m))
        }
        (None, Some(s)) => {
            let server = lookup_server(lib, s, src)?;
            RackGroup::from_server(g.name.get_ref(), pool, server, g.count, lib)
                .map_err(|m| src.error_at(s.span(), "server", m))
        }
        _ => Err(src.error_at(
            g.name.span(),
            "rack",
            "give exactly one of `rack` (a rack type) or `server` (bare servers)",
        )),
    }
}

fn set_online(
    group: &mut RackGroup,
    o: &Spanned<String>,
    src: &Source,
    clock: &Clock,
) -> Result<()> {
    let s = o.get_ref().trim();
    let local_s = parse_local_date_or_time(s).map_err(|_| {
        src.error_at(
            o.span(),
            "online",
            format!(
                "expected a date like \"2026-03-01\" (or \"2026-03-01T06:00\") on the study clock, found {s:?}"
            ),
        )
    })?;
    group.online_s = clock.cal.from_local_s_compatible(local_s) as f64;
    group.phased = true;
    if group.online_s >= clock.horizon_s as f64 {
        // It would draw nothing and leave its workloads without capacity all study long.
        return Err(src.error_at(
            o.span(),
            "online",
            format!(
                "{s:?} is at or after the study's end ({}): expected a date inside the horizon (or lengthen `horizon_hours` / `end`)",
                clock.cal.timestamp(SimTime(clock.horizon_s))
            ),
        ));
    }
    Ok(())
}

fn set_commissioning(group: &mut RackGroup, d: f64, g: &GroupSpec, src: &Source) -> Result<()> {
    if !(d.is_finite() && (0.0..=36_500.0).contains(&d)) {
        return Err(err_after(
            src,
            g.name.span().start,
            "commissioning_days",
            &format!(
                "expected a number of days from 0 to 36500, found {}",
                num(d)
            ),
        ));
    }
    group.commissioning_s = d * 86_400.0;
    group.phased |= d > 0.0;
    Ok(())
}

/// The pool's totals with group `gi` added: accelerators, capacity and its inverse, and the
/// capacity-weighted W per busy unit and idle W per unit of capacity.
fn add_to_pool(p: &mut Pool, gi: usize, group: &RackGroup) {
    p.groups.push(gi);
    p.accelerators += group.accelerators;
    let dyn_w =
        p.watts_per_busy * p.capacity + group.servers * (group.server_max_w - group.server_idle_w);
    let idle_w = p.idle_w_per_capacity * p.capacity + group.servers * group.server_idle_w;
    p.capacity += group.capacity();
    p.inv_capacity = 1.0 / p.capacity;
    p.watts_per_busy = dyn_w / p.capacity;
    p.idle_w_per_capacity = idle_w / p.capacity;
}

/// The hardware in service before a refresh: the type last installed (none: the group's own,
/// or the previous phase re-installed), its count and cooling.
struct InService<'a> {
    rack: Option<(&'a RackSpec, Range<usize>)>,
    server: Option<(&'a ServerSpec, Range<usize>)>,
    count: f64,
    cooling: CoolingKind,
}

/// Resolves a group's refreshes into one group per new hardware phase, appended to `phases`;
/// the group (and each phase but the last) retires at the next refresh date. Errors name the
/// refresh's field: an unknown rack or server (with a did-you-mean), a date not after the
/// group's online date (or its previous refresh) or not before the horizon's end, a bad count
/// or downtime.
fn refresh_phases<'a>(
    group: &mut RackGroup,
    gi: usize,
    list: &[RefreshSpec],
    src: &Source,
    lib: &'a Library,
    clock: &Clock,
    phases: &mut Vec<RackGroup>,
) -> Result<()> {
    let first = phases.len();
    let mut cur: InService<'a> = InService {
        rack: None,
        server: None,
        count: group.racks,
        cooling: group.cooling,
    };
    let mut after_s = group.online_s.max(0.0);
    let mut after_what = if group.online_s > 0.0 {
        format!(
            "the group's online date ({})",
            clock.cal.timestamp(SimTime(group.online_s as u64))
        )
    } else {
        format!("the study start ({})", clock.cal.timestamp(SimTime(0)))
    };
    for r in list {
        let text = r.date.get_ref().trim();
        let t = refresh_date(r, src, clock, after_s, &after_what)?;
        if let Some(c) = &r.count {
            cur.count = refresh_count(c, src)?;
        }
        let ramp_s = refresh_downtime_s(r, src)?;
        let new_type = refresh_type(r, src, lib, &mut cur)?;
        let name = format!("{}@{text}", group.name);
        let prev: &RackGroup = if phases.len() > first {
            &phases[phases.len() - 1]
        } else {
            group
        };
        let mut ph = phase_hardware(&name, prev, &cur, src, lib)?;
        if new_type {
            // A new type brings its own cooling: the rack's, or air for bare servers (as a
            // group of bare servers).
            cur.cooling = cur
                .rack
                .as_ref()
                .map_or(CoolingKind::Air, |(spec, _)| spec.cooling);
        }
        if let Some(c) = r.cooling {
            cur.cooling = c;
        }
        ph.cooling = cur.cooling;
        ph.online_s = t as f64;
        ph.commissioning_s = ramp_s;
        ph.phased = true;
        ph.retire_s = f64::INFINITY;
        ph.refresh_of = Some(gi);
        // The hardware in service until now retires at the refresh date.
        if phases.len() > first {
            if let Some(p) = phases.last_mut() {
                p.retire_s = t as f64;
            }
        } else {
            group.retire_s = t as f64;
        }
        group.phased = true;
        after_s = t as f64;
        after_what = format!("the group's previous refresh ({text})");
        phases.push(ph);
    }
    Ok(())
}

/// The refresh's instant: after the hardware it replaces came online and before the end.
fn refresh_date(
    r: &RefreshSpec,
    src: &Source,
    clock: &Clock,
    after_s: f64,
    after_what: &str,
) -> Result<i64> {
    let text = r.date.get_ref().trim();
    let local_s = parse_local_date_or_time(text).map_err(|_| {
        src.error_at(
            r.date.span(),
            "date",
            format!(
                "expected a refresh date like \"2027-07-01\" (or \"2027-07-01T06:00\") on the study clock, found {text:?}"
            ),
        )
    })?;
    let t = clock.cal.from_local_s_compatible(local_s);
    if !(t as f64 > after_s && t < clock.horizon_s as i64) {
        return Err(src.error_at(
            r.date.span(),
            "date",
            format!(
                "expected a refresh date after {after_what} and before the horizon's end ({}), found {text:?}",
                clock.cal.timestamp(SimTime(clock.horizon_s))
            ),
        ));
    }
    Ok(t)
}

fn refresh_count(c: &Spanned<f64>, src: &Source) -> Result<f64> {
    let v = *c.get_ref();
    if is_group_count(v) {
        return Ok(v);
    }
    Err(src.error_at(
        c.span(),
        "count",
        format!(
            "expected a whole number of racks (or servers) from 1 to {}, found {}",
            num(MAX_GROUP_COUNT),
            num(v)
        ),
    ))
}

fn refresh_downtime_s(r: &RefreshSpec, src: &Source) -> Result<f64> {
    let Some(d) = &r.downtime_days else {
        return Ok(0.0);
    };
    let v = *d.get_ref();
    if !(v.is_finite() && (0.0..=36_500.0).contains(&v)) {
        return Err(src.error_at(
            d.span(),
            "downtime_days",
            format!(
                "expected a number of days from 0 to 36500 (the new hardware's ramp back to full), found {}",
                num(v)
            ),
        ));
    }
    Ok(v * 86_400.0)
}

/// Reads the refresh's new type into `cur`; false when the type is unchanged.
fn refresh_type<'a>(
    r: &RefreshSpec,
    src: &Source,
    lib: &'a Library,
    cur: &mut InService<'a>,
) -> Result<bool> {
    match (&r.rack, &r.server) {
        (Some(x), None) => {
            cur.rack = Some((lookup_rack(lib, x, src)?, x.span()));
            cur.server = None;
            Ok(true)
        }
        (None, Some(x)) => {
            cur.server = Some((lookup_server(lib, x, src)?, x.span()));
            cur.rack = None;
            Ok(true)
        }
        (None, None) => Ok(false),
        (Some(x), Some(_)) => Err(src.error_at(
            x.span(),
            "rack",
            "give at most one of `rack` (a rack type) or `server` (bare servers) in a refresh",
        )),
    }
}

/// The phase's rack group: the type in service at `cur.count`, or (no type ever named) the
/// previous phase scaled to the new count.
fn phase_hardware(
    name: &str,
    prev: &RackGroup,
    cur: &InService,
    src: &Source,
    lib: &Library,
) -> Result<RackGroup> {
    let pool = prev.pool;
    match (&cur.rack, &cur.server) {
        (Some((spec, span)), _) => RackGroup::from_rack(name, pool, spec, cur.count, lib)
            .map_err(|m| src.error_at(span.clone(), "rack", m)),
        (None, Some((spec, span))) => RackGroup::from_server(name, pool, spec, cur.count, lib)
            .map_err(|m| src.error_at(span.clone(), "server", m)),
        // The same hardware re-installed: the previous phase scaled to the new count.
        (None, None) => {
            let mut same = prev.clone();
            same.name = name.to_string();
            let k = cur.count / prev.racks;
            same.racks = cur.count;
            same.servers = prev.servers * k;
            same.accelerators = prev.accelerators * k;
            Ok(same)
        }
    }
}
