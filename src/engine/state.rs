//! The mutable state of one trial, built once before the step loop (all allocation happens
//! here), and the handling of discrete events.

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

use super::events::{Event, EventQueue};
use crate::facility::Facility;
use crate::facility::site::PhysicsState;
use crate::grid::demand_response::{DrOutcome, Reduction};
use crate::grid::outage::OutageState;
use crate::reliability::Failures;
use crate::study::Scenario;
use crate::workload::Episodes;
use crate::workload::arrivals::{Ar1, exponential, normal, poisson_count, uniform};

/// A random stream for one workload of one trial: seeded from (study seed, workload tag) and
/// positioned on the trial's stream. Each workload has its own stream so that adding or changing
/// one workload does not shift the random numbers another sees (common random numbers).
pub fn stream(seed: u64, tag: u64, trial: u32) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(splitmix(seed ^ splitmix(tag)));
    r.set_stream(u64::from(trial));
    r
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const TAG_CONSUMER: u64 = 1 << 32;
const TAG_TWIN: u64 = 2 << 32;
const TAG_TRAINING: u64 = 3 << 32;
const TAG_DEFENSE: u64 = 4 << 32;
const TAG_WEATHER: u64 = 5 << 32;
const TAG_FAILURES: u64 = 6 << 32;
const TAG_GRID: u64 = 7 << 32;
const TAG_PLANT: u64 = 8 << 32;

#[derive(Clone, Copy, Debug, Default)]
pub struct JobSlot {
    pub active: bool,
    pub in_checkpoint: bool,
    /// Restarting from a checkpoint after a failure (low power, no progress).
    pub restarting: bool,
    pub epoch: u32,
    /// When the last checkpoint completed (or the job started), s.
    pub last_checkpoint_s: u64,
    /// Time the job's end has to move out by (progress lost to failures plus restarts), s.
    pub extension_s: u64,
    /// Index of the running job's record in `TrialState::jobs`.
    pub record: u32,
}

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
}

#[derive(Debug)]
pub struct ConsumerState {
    pub rng: ChaCha8Rng,
    /// Queued work, accelerator-seconds.
    pub queue: f64,
    /// This step's queued plus arrived work.
    pub demand: f64,
    /// Growth factor, refreshed every simulated hour.
    pub growth: f64,
    /// Work served this step, accelerator-seconds.
    pub served: f64,
    /// Work deferred by a demand-response event, held until it ends.
    pub held: f64,
    /// Whole requests: this step's demand, served and those waiting in the queue and held by
    /// demand response (counts kept beside the work so they are conserved exactly).
    pub demand_n: f64,
    pub served_n: f64,
    pub queue_n: f64,
    pub held_n: f64,
    /// Fractional arrivals of a rescaled trace, carried to the next step.
    pub n_carry: f64,
    pub arrived: u64,
    pub served_total: u64,
    pub dropped_total: u64,
}

#[derive(Debug)]
pub struct TwinState {
    pub rng: ChaCha8Rng,
    pub jitter: Ar1,
    pub campaign_extra: f64,
    /// Work deferred by demand response, accelerator-seconds.
    pub backlog: f64,
    /// Busy accelerator-equivalents this step, before any shedding.
    pub served: f64,
}

#[derive(Debug)]
pub struct DefenseState {
    pub rng: ChaCha8Rng,
    pub jitter: Ar1,
    pub surge_extra: f64,
    /// Busy accelerator-equivalents this step.
    pub served: f64,
}

pub struct TrialState {
    pub events: EventQueue,
    /// Physical facility state (weather, thermal nodes, caps), for physics facilities.
    pub physics: Option<PhysicsState>,
    /// IT power of each group this step, W.
    pub group_it: Vec<f64>,
    pub pools: Vec<PoolStep>,
    pub consumers: Vec<ConsumerState>,
    pub twins: Vec<TwinState>,
    pub defenses: Vec<DefenseState>,
    pub rng_training: Vec<ChaCha8Rng>,
    // Training.
    pub slots: Vec<Vec<JobSlot>>,
    pub waiting: Vec<u32>,
    pub training_busy: Vec<f64>,
    /// Busy accelerator-equivalents each training got this step, before any shedding.
    pub training_served: Vec<f64>,
    pub training_acc_used: Vec<f64>,
    /// Every training job of the trial, in start order.
    pub jobs: Vec<crate::engine::meter::JobRecord>,
    /// Jobs started per training table (numbers the records).
    pub job_seq: Vec<u32>,
    /// Attributed energy.
    pub meter: crate::engine::meter::Meter,
    /// Scratch: each pool's power figures for the meter.
    pub pool_power: Vec<crate::engine::meter::PoolPower>,
    pub jobs_completed: u64,
    pub interruptions: u64,
    pub training_lost_acc_s: f64,
    // Failures.
    pub rng_failures: ChaCha8Rng,
    /// Failed servers in each group.
    pub failed: Vec<f64>,
    /// Working fraction of each group's servers.
    pub alive: Vec<f64>,
    /// Scratch per pool: accelerators failed this step, and working accelerators.
    pub pool_new_failures: Vec<f64>,
    pub pool_working_acc: Vec<f64>,
    pub pool_new_failed_servers: Vec<f64>,
    pub any_down: bool,
    // Grid outages.
    pub rng_grid: ChaCha8Rng,
    pub outage: OutageState,
    /// End of the latest outage that has started (overlapping outages merge).
    pub outage_end_s: u64,
    /// End times of this trial's outages, to merge overlaps.
    pub outage_ends: Vec<u64>,
    /// Failed UPS modules.
    pub ups_down: f64,
    pub ups_unprotected_s: f64,
    // Demand response.
    /// This trial's events: (start s, duration s, reduction).
    pub dr_events: Vec<(u64, u64, Reduction)>,
    pub dr_active: Option<usize>,
    /// Reduction asked in the active event, W (fixed at its first step).
    pub dr_request_w: f64,
    pub dr_requested_j: f64,
    pub dr_delivered_j: f64,
    pub dr_outcomes: Vec<DrOutcome>,
    /// Steps in which each defense mission had the capacity it needs.
    pub mission_up_steps: Vec<u64>,
    /// Magnitudes of this trial's campaigns and surges, indexed by events.
    pub magnitudes: Vec<f64>,
}

impl TrialState {
    pub fn new(sc: &Scenario, trial: u32) -> TrialState {
        let seed = sc.seed;
        let np = sc.fleet.pools.len();
        let horizon_s = sc.horizon_s;
        let dt = sc.step_s as f64;
        let physics = match &sc.facility {
            Facility::Physics(p) => {
                let mut rng = stream(seed, TAG_WEATHER, trial);
                Some(p.new_state(
                    sc.horizon_hours as usize,
                    &mut rng,
                    stream(seed, TAG_PLANT, trial),
                ))
            }
            Facility::Fixed { .. } => None,
        };
        let mut st = TrialState {
            events: EventQueue::default(),
            physics,
            group_it: vec![0.0; sc.fleet.groups.len()],
            pools: vec![PoolStep::default(); np],
            consumers: (0..sc.consumers.len())
                .map(|i| ConsumerState {
                    rng: stream(seed, TAG_CONSUMER + i as u64, trial),
                    queue: 0.0,
                    demand: 0.0,
                    growth: 1.0,
                    served: 0.0,
                    held: 0.0,
                    demand_n: 0.0,
                    served_n: 0.0,
                    queue_n: 0.0,
                    held_n: 0.0,
                    n_carry: 0.0,
                    arrived: 0,
                    served_total: 0,
                    dropped_total: 0,
                })
                .collect(),
            twins: sc
                .twins
                .iter()
                .enumerate()
                .map(|(i, w)| TwinState {
                    rng: stream(seed, TAG_TWIN + i as u64, trial),
                    jitter: Ar1::new(w.jitter_sd, w.jitter_tau_s, dt * jitter_every(sc) as f64),
                    campaign_extra: 0.0,
                    backlog: 0.0,
                    served: 0.0,
                })
                .collect(),
            defenses: sc
                .defenses
                .iter()
                .enumerate()
                .map(|(i, d)| DefenseState {
                    rng: stream(seed, TAG_DEFENSE + i as u64, trial),
                    jitter: Ar1::new(d.jitter_sd, d.jitter_tau_s, dt * jitter_every(sc) as f64),
                    surge_extra: 0.0,
                    served: 0.0,
                })
                .collect(),
            rng_training: (0..sc.trainings.len())
                .map(|i| stream(seed, TAG_TRAINING + i as u64, trial))
                .collect(),
            slots: sc
                .trainings
                .iter()
                .map(|w| vec![JobSlot::default(); w.max_concurrent])
                .collect(),
            waiting: vec![0; sc.trainings.len()],
            training_busy: vec![0.0; sc.trainings.len()],
            training_served: vec![0.0; sc.trainings.len()],
            training_acc_used: vec![0.0; np],
            jobs: Vec::new(),
            job_seq: vec![0; sc.trainings.len()],
            meter: new_meter(sc),
            pool_power: vec![Default::default(); np],
            jobs_completed: 0,
            interruptions: 0,
            training_lost_acc_s: 0.0,
            rng_failures: stream(seed, TAG_FAILURES, trial),
            failed: vec![0.0; sc.fleet.groups.len()],
            alive: vec![1.0; sc.fleet.groups.len()],
            pool_new_failures: vec![0.0; np],
            pool_working_acc: vec![0.0; np],
            pool_new_failed_servers: vec![0.0; np],
            any_down: false,
            mission_up_steps: vec![0; sc.defenses.len()],
            rng_grid: stream(seed, TAG_GRID, trial),
            outage: OutageState::default(),
            outage_end_s: 0,
            outage_ends: Vec::new(),
            ups_down: 0.0,
            ups_unprotected_s: 0.0,
            dr_events: Vec::new(),
            dr_active: None,
            dr_request_w: f64::NAN,
            dr_requested_j: 0.0,
            dr_delivered_j: 0.0,
            dr_outcomes: Vec::new(),
            magnitudes: Vec::new(),
        };
        for w in &mut st.twins {
            w.jitter.start(&mut w.rng);
        }
        for d in &mut st.defenses {
            d.jitter.start(&mut d.rng);
        }

        // Episodes: scheduled ones, then random ones drawn up front from the workload's stream.
        let mut pending: Vec<(u64, Event)> = Vec::new();
        for (i, w) in sc.twins.iter().enumerate() {
            for (s, e) in episodes(
                &w.campaigns,
                horizon_s,
                &mut st.twins[i].rng,
                &mut st.magnitudes,
            ) {
                let (s0, s1, m) = (s, e.0, e.1);
                pending.push((
                    s0,
                    Event::CampaignStart {
                        twin: i as u32,
                        mag: m,
                    },
                ));
                pending.push((
                    s1,
                    Event::CampaignEnd {
                        twin: i as u32,
                        mag: m,
                    },
                ));
            }
        }
        for (i, d) in sc.defenses.iter().enumerate() {
            for (s, e) in episodes(
                &d.surges,
                horizon_s,
                &mut st.defenses[i].rng,
                &mut st.magnitudes,
            ) {
                pending.push((
                    s,
                    Event::SurgeStart {
                        d: i as u32,
                        mag: e.1,
                    },
                ));
                pending.push((
                    e.0,
                    Event::SurgeEnd {
                        d: i as u32,
                        mag: e.1,
                    },
                ));
            }
        }
        for (i, w) in sc.trainings.iter().enumerate() {
            for s in &w.start_s {
                pending.push((*s, Event::JobArrival { w: i as u32 }));
            }
            if w.continuous {
                pending.push((0, Event::JobArrival { w: i as u32 }));
            }
            if w.jobs_per_year > 0.0 {
                let gap = exponential(YEAR_S / w.jobs_per_year, &mut st.rng_training[i]);
                pending.push((gap.round() as u64, Event::JobArrival { w: i as u32 }));
            }
        }
        if let Some(b) = &sc.grid.backup {
            let mut outages = b.scheduled.clone();
            if b.per_year > 0.0 {
                let n =
                    poisson_count(b.per_year * horizon_s as f64 / YEAR_S, &mut st.rng_grid) as u64;
                for _ in 0..n {
                    let s = (uniform(&mut st.rng_grid) * horizon_s as f64) as u64;
                    let d = exponential(b.mean_s, &mut st.rng_grid).round().max(1.0) as u64;
                    outages.push((s, d));
                }
            }
            for (s, d) in outages {
                pending.push((s, Event::OutageStart));
                pending.push((s + d, Event::OutageEnd));
                st.outage_ends.push(s + d);
            }
        }
        if let Some(dr) = &sc.grid.demand_response {
            let mut events = dr.scheduled.clone();
            if let Some((per_year, months, weekdays_only, start_hour_s, dur_s, red)) = &dr.random {
                // Candidate days: those of the horizon in the allowed months (and weekdays).
                let days: Vec<u64> = (0..horizon_s / 86_400)
                    .filter(|&d| {
                        let t = crate::time::SimTime(d * 86_400);
                        let m = sc.calendar.date(t).month;
                        let wd = sc.calendar.weekday(t, sc.calendar.utc_offset_s());
                        (months.is_empty() || months.contains(&m)) && (!weekdays_only || wd < 5)
                    })
                    .collect();
                if !days.is_empty() {
                    let n = poisson_count(per_year * horizon_s as f64 / YEAR_S, &mut st.rng_grid)
                        as usize;
                    for _ in 0..n {
                        let d = days[((uniform(&mut st.rng_grid) * days.len() as f64) as usize)
                            .min(days.len() - 1)];
                        events.push((d * 86_400 + start_hour_s, *dur_s, *red));
                    }
                }
            }
            events.sort_by_key(|e| e.0);
            for (i, (s, d, _)) in events.iter().enumerate() {
                pending.push((*s, Event::DrStart { idx: i as u32 }));
                pending.push((s + d, Event::DrEnd { idx: i as u32 }));
            }
            st.dr_events = events;
        }
        let slots: usize = st.slots.iter().map(Vec::len).sum();
        st.events = EventQueue::with_capacity(pending.len() + 8 * slots + 64);
        for (t, e) in pending {
            st.events.push(t, e);
        }
        st
    }

    /// At the horizon: jobs whose end falls exactly on it (and owe no redone work) complete;
    /// nothing else happens there, since the horizon is the end of the last step.
    pub fn finish_at_horizon(&mut self, sc: &Scenario) {
        while let Some((_, e)) = self.events.pop_due(sc.horizon_s) {
            if let Event::JobEnd { w, slot, epoch } = e {
                let s = self.slots[w as usize][slot as usize];
                if s.active && s.epoch == epoch && s.extension_s == 0 {
                    self.slots[w as usize][slot as usize].active = false;
                    self.jobs_completed += 1;
                    let rec = &mut self.jobs[s.record as usize];
                    rec.end_s = Some(sc.horizon_s);
                    rec.completed = true;
                }
            }
        }
    }

    /// Applies every event due at or before `now`.
    pub fn process_events(&mut self, sc: &Scenario, now: u64) {
        while let Some((_, e)) = self.events.pop_due(now) {
            match e {
                Event::JobArrival { w } => {
                    let w = w as usize;
                    self.waiting[w] += 1;
                    let tr = &sc.trainings[w];
                    if tr.jobs_per_year > 0.0 && !tr.continuous {
                        // The Poisson process schedules its own next arrival.
                        let gap = exponential(YEAR_S / tr.jobs_per_year, &mut self.rng_training[w]);
                        let next = now + gap.round().max(1.0) as u64;
                        if next < sc.horizon_s {
                            self.events.push(next, Event::JobArrival { w: w as u32 });
                        }
                    }
                    self.try_start(sc, w, now);
                }
                Event::JobEnd { w, slot, epoch } => {
                    let (wi, si) = (w as usize, slot as usize);
                    let s = self.slots[wi][si];
                    if !s.active || s.epoch != epoch {
                        continue;
                    }
                    if s.extension_s > 0 {
                        // Progress lost to failures is redone before the job can end.
                        self.slots[wi][si].extension_s = 0;
                        self.events
                            .push(now + s.extension_s, Event::JobEnd { w, slot, epoch });
                        continue;
                    }
                    self.slots[wi][si].active = false;
                    self.slots[wi][si].in_checkpoint = false;
                    self.slots[wi][si].restarting = false;
                    let rec = &mut self.jobs[s.record as usize];
                    rec.end_s = Some(now);
                    rec.completed = true;
                    let tr = &sc.trainings[wi];
                    self.training_acc_used[tr.pool] -= tr.job_accelerators;
                    self.jobs_completed += 1;
                    self.recompute_busy(sc, wi);
                    if tr.continuous {
                        self.events.push(now + tr.gap_s, Event::JobArrival { w });
                    }
                    // Freed accelerators may let waiting jobs of any training on the pool start.
                    for other in 0..sc.trainings.len() {
                        if sc.trainings[other].pool == tr.pool {
                            self.try_start(sc, other, now);
                        }
                    }
                }
                Event::CheckpointStart { w, slot, epoch } => {
                    let (wi, si) = (w as usize, slot as usize);
                    let s = self.slots[wi][si];
                    if !s.active || s.epoch != epoch {
                        continue;
                    }
                    self.slots[wi][si].in_checkpoint = true;
                    self.recompute_busy(sc, wi);
                    let tr = &sc.trainings[wi];
                    self.events.push(
                        now + tr.checkpoint_duration_s,
                        Event::CheckpointEnd { w, slot, epoch },
                    );
                }
                Event::CheckpointEnd { w, slot, epoch } => {
                    let (wi, si) = (w as usize, slot as usize);
                    let s = self.slots[wi][si];
                    if !s.active || s.epoch != epoch {
                        continue;
                    }
                    self.slots[wi][si].in_checkpoint = false;
                    self.slots[wi][si].last_checkpoint_s = now;
                    self.recompute_busy(sc, wi);
                    let tr = &sc.trainings[wi];
                    let next = now + tr.checkpoint_interval_s - tr.checkpoint_duration_s;
                    self.events
                        .push(next, Event::CheckpointStart { w, slot, epoch });
                }
                Event::RestartEnd { w, slot, epoch } => {
                    let (wi, si) = (w as usize, slot as usize);
                    let s = self.slots[wi][si];
                    if !s.active || s.epoch != epoch {
                        continue;
                    }
                    self.slots[wi][si].restarting = false;
                    self.recompute_busy(sc, wi);
                }
                Event::DrStart { idx } => {
                    // Overlapping events: the later one is not executed.
                    if self.dr_active.is_none() {
                        self.dr_active = Some(idx as usize);
                        self.dr_request_w = f64::NAN;
                        self.dr_requested_j = 0.0;
                        self.dr_delivered_j = 0.0;
                    }
                }
                Event::DrEnd { idx } => {
                    if self.dr_active == Some(idx as usize) {
                        let (start, dur, _) = self.dr_events[idx as usize];
                        let d = dur.max(1) as f64;
                        self.dr_outcomes.push(DrOutcome {
                            start_s: start,
                            duration_s: dur,
                            requested_mw: self.dr_requested_j / d / 1e6,
                            delivered_mw: self.dr_delivered_j / d / 1e6,
                            ..DrOutcome::default()
                        });
                        self.dr_active = None;
                    }
                }
                Event::OutageStart => {
                    if let Some(b) = &sc.grid.backup {
                        // The end of this outage: the earliest end at or after now among the
                        // trial's outages that started (merging overlaps to the latest).
                        let end = self
                            .outage_ends
                            .iter()
                            .copied()
                            .filter(|&e| e > now)
                            .min()
                            .unwrap_or(now);
                        if !self.outage.active {
                            let ok = uniform(&mut self.rng_grid) >= b.fail_to_start;
                            let share = self.ups_protected_share(b);
                            self.outage.start(b, now, ok, share);
                        }
                        self.outage_end_s = self.outage_end_s.max(end);
                    }
                }
                Event::OutageEnd => {
                    if now >= self.outage_end_s {
                        self.outage.active = false;
                    }
                }
                Event::CampaignStart { twin, mag } => {
                    self.twins[twin as usize].campaign_extra += self.magnitudes[mag as usize];
                }
                Event::CampaignEnd { twin, mag } => {
                    let x = &mut self.twins[twin as usize].campaign_extra;
                    *x = (*x - self.magnitudes[mag as usize]).max(0.0);
                }
                Event::SurgeStart { d, mag } => {
                    self.defenses[d as usize].surge_extra += self.magnitudes[mag as usize];
                }
                Event::SurgeEnd { d, mag } => {
                    let x = &mut self.defenses[d as usize].surge_extra;
                    *x = (*x - self.magnitudes[mag as usize]).max(0.0);
                }
            }
        }
    }

    fn try_start(&mut self, sc: &Scenario, w: usize, now: u64) {
        let tr = &sc.trainings[w];
        let pool_acc = sc.fleet.pools[tr.pool].accelerators;
        while self.waiting[w] > 0
            && self.training_acc_used[tr.pool] + tr.job_accelerators <= pool_acc * (1.0 + 1e-12)
        {
            let Some(slot) = self.slots[w].iter().position(|s| !s.active) else {
                return;
            };
            self.waiting[w] -= 1;
            self.training_acc_used[tr.pool] += tr.job_accelerators;
            let s = &mut self.slots[w][slot];
            s.active = true;
            s.in_checkpoint = false;
            s.restarting = false;
            s.last_checkpoint_s = now;
            s.extension_s = 0;
            s.epoch = s.epoch.wrapping_add(1);
            s.record = self.jobs.len() as u32;
            let epoch = s.epoch;
            self.job_seq[w] += 1;
            self.jobs.push(crate::engine::meter::JobRecord {
                training: w as u32,
                job: self.job_seq[w],
                start_s: now,
                accelerators: tr.job_accelerators,
                ..Default::default()
            });
            let dur = if tr.duration_cv > 0.0 {
                let s2 = (1.0 + tr.duration_cv * tr.duration_cv).ln();
                (tr.duration_s.ln() - s2 / 2.0 + s2.sqrt() * normal(&mut self.rng_training[w]))
                    .exp()
            } else {
                tr.duration_s
            };
            let (wu, su) = (w as u32, slot as u32);
            self.events.push(
                now + dur.round().max(1.0) as u64,
                Event::JobEnd {
                    w: wu,
                    slot: su,
                    epoch,
                },
            );
            if tr.checkpoint_interval_s > 0 && tr.checkpoint_duration_s > 0 {
                self.events.push(
                    now + tr.checkpoint_interval_s,
                    Event::CheckpointStart {
                        w: wu,
                        slot: su,
                        epoch,
                    },
                );
            }
            self.recompute_busy(sc, w);
        }
    }

    /// Busy accelerator-equivalents of a training's running jobs, recomputed from the slots so
    /// no rounding drift accumulates over a year of checkpoints.
    fn recompute_busy(&mut self, sc: &Scenario, w: usize) {
        let tr = &sc.trainings[w];
        self.training_busy[w] = self.slots[w]
            .iter()
            .filter(|s| s.active)
            .map(|s| {
                tr.job_accelerators
                    * if s.in_checkpoint || s.restarting {
                        tr.checkpoint_utilisation
                    } else {
                        tr.utilisation
                    }
            })
            .sum();
    }
}

const YEAR_S: f64 = 365.0 * 86_400.0;

/// The energy meter's holders: classes, twins, missions, then every training job slot.
fn new_meter(sc: &Scenario) -> crate::engine::meter::Meter {
    use crate::fleet::Sector;
    let mut h: Vec<(usize, Sector)> = Vec::new();
    h.extend(sc.consumers.iter().map(|c| (c.pool, Sector::Consumer)));
    h.extend(sc.twins.iter().map(|w| (w.pool, Sector::Industrial)));
    h.extend(sc.defenses.iter().map(|d| (d.pool, Sector::Defense)));
    for tr in &sc.trainings {
        h.extend((0..tr.max_concurrent).map(|_| (tr.pool, Sector::Training)));
    }
    crate::engine::meter::Meter::new(
        h,
        [sc.consumers.len(), sc.twins.len(), sc.defenses.len()],
        sc.fleet.pools.len(),
    )
}

/// Steps between updates of the jitter processes. Jitter models slow drifts (e-folding times of
/// hours), so it is advanced every 5 minutes of simulated time (every step if steps are longer),
/// exactly discretised over that interval, and held in between: the same statistics at a
/// fraction of the random draws.
pub fn jitter_every(sc: &Scenario) -> u64 {
    (300 / sc.step_s).max(1)
}

impl TrialState {
    /// Share of the load the working UPS modules protect.
    pub fn ups_protected_share(&self, b: &crate::grid::outage::Backup) -> f64 {
        match b.ups_modules {
            Some((needed, installed, _, _)) => {
                ((f64::from(installed) - self.ups_down) / f64::from(needed)).min(1.0)
            }
            None => 1.0,
        }
    }

    /// UPS module failures and repairs for one step.
    pub fn ups_step(&mut self, b: &crate::grid::outage::Backup, dt_s: f64) {
        if let Some((_, installed, fail_per_s, repair_s)) = b.ups_modules {
            let working = f64::from(installed) - self.ups_down;
            let failed =
                poisson_count(fail_per_s * dt_s * working, &mut self.rng_grid).min(working);
            let repaired = if self.ups_down > 0.0 {
                poisson_count(self.ups_down * dt_s / repair_s, &mut self.rng_grid)
                    .min(self.ups_down)
            } else {
                0.0
            };
            self.ups_down += failed - repaired;
            if self.ups_protected_share(b) < 1.0 {
                self.ups_unprotected_s += dt_s;
            }
        }
    }

    /// Server failures and repairs for one step; jobs hit by a failure restart from their last
    /// checkpoint. Cheap when nothing happens: two Poisson draws per group.
    pub fn fail_and_repair(&mut self, sc: &Scenario, f: &Failures, now: u64, dt_s: f64) {
        self.pool_new_failures.iter_mut().for_each(|x| *x = 0.0);
        self.pool_new_failed_servers
            .iter_mut()
            .for_each(|x| *x = 0.0);
        self.pool_working_acc.iter_mut().for_each(|x| *x = 0.0);
        let mut any_down = false;
        for (gi, g) in sc.fleet.groups.iter().enumerate() {
            let acc_per_server = g.accelerators / g.servers;
            let working = g.servers - self.failed[gi];
            let lam = f.rate_per_acc_s * dt_s * working * acc_per_server;
            let n = poisson_count(lam, &mut self.rng_failures).min(working);
            let repaired = if self.failed[gi] > 0.0 {
                poisson_count(self.failed[gi] * dt_s / f.repair_s, &mut self.rng_failures)
                    .min(self.failed[gi])
            } else {
                0.0
            };
            self.failed[gi] += n - repaired;
            self.alive[gi] = 1.0 - self.failed[gi] / g.servers;
            any_down |= self.failed[gi] > 0.0;
            self.pool_new_failures[g.pool] += n * acc_per_server;
            self.pool_new_failed_servers[g.pool] += n;
            self.pool_working_acc[g.pool] += (g.servers - self.failed[gi]) * acc_per_server;
        }
        self.any_down = any_down;
        for w in 0..sc.trainings.len() {
            let tr = &sc.trainings[w];
            let failed_acc = self.pool_new_failures[tr.pool];
            if failed_acc <= 0.0 {
                continue;
            }
            // Each failed server is one of the pool's working ones at random: the chance that
            // none of them is one of the job's is (1 - job share) per failed server.
            let pool_acc = (self.pool_working_acc[tr.pool] + failed_acc).max(tr.job_accelerators);
            let q = (tr.job_accelerators / pool_acc).min(1.0);
            let p_hit = 1.0 - (1.0 - q).powf(self.pool_new_failed_servers[tr.pool]);
            for si in 0..self.slots[w].len() {
                let s = self.slots[w][si];
                if !s.active || uniform(&mut self.rng_training[w]) >= p_hit {
                    continue;
                }
                let lost = now.saturating_sub(s.last_checkpoint_s);
                self.interruptions += 1;
                self.jobs[s.record as usize].restarts += 1;
                self.training_lost_acc_s += lost as f64 * tr.job_accelerators * tr.utilisation;
                let slot = &mut self.slots[w][si];
                slot.extension_s += lost + f.restart_s;
                slot.restarting = true;
                // Progress resumes from the restored checkpoint once the restart is done: the next
                // failure loses only what was computed after that.
                slot.last_checkpoint_s = now + f.restart_s;
                slot.in_checkpoint = false;
                let epoch = slot.epoch;
                self.events.push(
                    now + f.restart_s.max(1),
                    Event::RestartEnd {
                        w: w as u32,
                        slot: si as u32,
                        epoch,
                    },
                );
                self.recompute_busy(sc, w);
            }
        }
    }
}

/// Scheduled and random episodes as (start, (end, magnitude index)).
fn episodes(
    ep: &Episodes,
    horizon_s: u64,
    rng: &mut ChaCha8Rng,
    mags: &mut Vec<f64>,
) -> Vec<(u64, (u64, u32))> {
    let mut out = Vec::new();
    for &(s, d, m) in &ep.scheduled {
        mags.push(m);
        out.push((s, (s + d, (mags.len() - 1) as u32)));
    }
    if ep.per_year > 0.0 {
        let n = poisson_count(ep.per_year * horizon_s as f64 / YEAR_S, rng) as u64;
        for _ in 0..n {
            let s = (uniform(rng) * horizon_s as f64) as u64;
            mags.push(ep.magnitude);
            out.push((s, (s + ep.duration_s, (mags.len() - 1) as u32)));
        }
    }
    out
}
