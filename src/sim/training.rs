//! The training layer: the lifecycle of every job (arrival, waiting for accelerators, start,
//! checkpoints, failures and restarts, end) driven by the event queue, and the accelerator work
//! its running jobs ask of their pools each step.
//!
//! Inputs: job events, server failures from the fleet, a demand-response pause from the grid.
//! Outputs: each training's busy demand for the workload layer to serve, the meter's claims of
//! every running job, and the job records.

use super::events::{Event, EventQueue};
use super::meter::{Claim, JobRecord};
use crate::base::rng::{Stream, TAG_TRAINING, exponential, normal, stream, uniform};
use crate::model::workload::training::Training;

use super::workload::YEAR_S;

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
    /// Index of the running job's record in `TrainingLayer::jobs`.
    pub record: u32,
}

/// Server failures of one step, per pool, as the fleet reports them.
pub struct FailureHits<'a> {
    pub new_failed_acc: &'a [f64],
    pub new_failed_servers: &'a [f64],
    pub working_acc: &'a [f64],
    pub restart_s: u64,
}

pub struct TrainingLayer {
    rng: Vec<Stream>,
    pub slots: Vec<Vec<JobSlot>>,
    waiting: Vec<u32>,
    /// Busy accelerator-equivalents each training's running jobs ask for.
    pub busy: Vec<f64>,
    /// Accelerators held by running jobs, per pool, and each pool's accelerators.
    acc_used: Vec<f64>,
    pool_acc: Vec<f64>,
    /// Every training job of the trial, in start order.
    pub jobs: Vec<JobRecord>,
    job_seq: Vec<u32>,
    pub jobs_completed: u64,
    pub interruptions: u64,
    pub lost_acc_s: f64,
    horizon_s: u64,
    /// Per training, the place of its first job slot among all trainings' slots.
    slot_base: Vec<usize>,
}

impl TrainingLayer {
    /// The trial's training state; scheduled and first random arrivals go to `pending`.
    pub fn new(
        models: &[Training],
        pool_acc: Vec<f64>,
        seed: u64,
        trial: u32,
        horizon_s: u64,
        pending: &mut Vec<(u64, Event)>,
    ) -> TrainingLayer {
        let mut rng: Vec<Stream> = (0..models.len())
            .map(|i| stream(seed, TAG_TRAINING + i as u64, trial))
            .collect();
        for (i, w) in models.iter().enumerate() {
            let w_id = i as u32;
            for s in &w.start_s {
                pending.push((*s, Event::JobArrival { w: w_id }));
            }
            if w.continuous {
                pending.push((0, Event::JobArrival { w: w_id }));
            }
            if w.jobs_per_year > 0.0 {
                let gap = exponential(YEAR_S / w.jobs_per_year, &mut rng[i]);
                pending.push((gap.round() as u64, Event::JobArrival { w: w_id }));
            }
        }
        TrainingLayer {
            rng,
            slots: models
                .iter()
                .map(|w| vec![JobSlot::default(); w.max_concurrent])
                .collect(),
            waiting: vec![0; models.len()],
            busy: vec![0.0; models.len()],
            acc_used: vec![0.0; pool_acc.len()],
            pool_acc,
            jobs: Vec::new(),
            job_seq: vec![0; models.len()],
            jobs_completed: 0,
            interruptions: 0,
            lost_acc_s: 0.0,
            horizon_s,
            slot_base: (models.iter())
                .scan(0, |at, w| {
                    let base = *at;
                    *at += w.max_concurrent;
                    Some(base)
                })
                .collect(),
        }
    }

    /// A build-out changed the pools' online accelerators: jobs start only on accelerators that
    /// are online (a job larger than its pool's online accelerators waits, in arrival order, and
    /// starts as soon as commissioning brings enough online). Running jobs keep their place.
    pub fn set_online_acc(
        &mut self,
        models: &[Training],
        online_acc: &[f64],
        now: u64,
        q: &mut EventQueue,
    ) {
        for (p, &a) in online_acc.iter().enumerate() {
            let grew = a > self.pool_acc[p];
            self.pool_acc[p] = a;
            if grew {
                for (w, tr) in models.iter().enumerate() {
                    if tr.pool == p && self.waiting[w] > 0 {
                        self.try_start(models, w, now, q);
                    }
                }
            }
        }
    }

    /// Job slots of all trainings (the meter's training holders).
    pub fn slot_count(&self) -> usize {
        self.slots.iter().map(Vec::len).sum()
    }

    /// Applies one job event.
    pub fn on_event(&mut self, models: &[Training], e: Event, now: u64, q: &mut EventQueue) {
        match e {
            Event::JobArrival { w } => {
                let w = w as usize;
                self.waiting[w] += 1;
                let tr = &models[w];
                if tr.jobs_per_year > 0.0 && !tr.continuous {
                    // The Poisson process schedules its own next arrival.
                    let gap = exponential(YEAR_S / tr.jobs_per_year, &mut self.rng[w]);
                    let next = now + gap.round().max(1.0) as u64;
                    if next < self.horizon_s {
                        q.push(next, Event::JobArrival { w: w as u32 });
                    }
                }
                self.try_start(models, w, now, q);
            }
            Event::JobEnd { w, slot, epoch } => {
                let (wi, si) = (w as usize, slot as usize);
                let s = self.slots[wi][si];
                if !s.active || s.epoch != epoch {
                    return;
                }
                if s.extension_s > 0 {
                    // Progress lost to failures is redone before the job can end.
                    self.slots[wi][si].extension_s = 0;
                    q.push(now + s.extension_s, Event::JobEnd { w, slot, epoch });
                    return;
                }
                self.slots[wi][si].active = false;
                self.slots[wi][si].in_checkpoint = false;
                self.slots[wi][si].restarting = false;
                let rec = &mut self.jobs[s.record as usize];
                rec.end_s = Some(now);
                rec.completed = true;
                let tr = &models[wi];
                self.acc_used[tr.pool] -= tr.job_accelerators;
                self.jobs_completed += 1;
                self.recompute_busy(models, wi);
                if tr.continuous {
                    q.push(now + tr.gap_s, Event::JobArrival { w });
                }
                // Freed accelerators may let waiting jobs of any training on the pool start.
                for other in 0..models.len() {
                    if models[other].pool == tr.pool {
                        self.try_start(models, other, now, q);
                    }
                }
            }
            Event::CheckpointStart { w, slot, epoch } => {
                self.checkpoint_start(models, (w, slot, epoch), now, q);
            }
            Event::CheckpointEnd { w, slot, epoch } => {
                self.checkpoint_end(models, (w, slot, epoch), now, q);
            }
            Event::RestartEnd { w, slot, epoch } => {
                let (wi, si) = (w as usize, slot as usize);
                let s = self.slots[wi][si];
                if !s.active || s.epoch != epoch {
                    return;
                }
                self.slots[wi][si].restarting = false;
                self.recompute_busy(models, wi);
            }
            _ => {}
        }
    }

    /// Job slot `slot` of training `w` (its indices and state) if its job is the one of `epoch`
    /// still running; None for a stale event, of a job that ended or restarted since.
    #[inline(always)]
    fn live_slot(&self, w: u32, slot: u32, epoch: u32) -> Option<(usize, usize, JobSlot)> {
        let (wi, si) = (w as usize, slot as usize);
        let s = self.slots[wi][si];
        (s.active && s.epoch == epoch).then_some((wi, si, s))
    }

    /// A checkpoint of job slot `slot` of training `w` in its `epoch` starts (a stale one, of a
    /// job that ended or restarted since, does nothing).
    #[inline(always)]
    fn checkpoint_start(
        &mut self,
        models: &[Training],
        (w, slot, epoch): (u32, u32, u32),
        now: u64,
        q: &mut EventQueue,
    ) {
        let Some((wi, si, _)) = self.live_slot(w, slot, epoch) else {
            return;
        };
        self.slots[wi][si].in_checkpoint = true;
        self.recompute_busy(models, wi);
        let tr = &models[wi];
        q.push(
            now + tr.checkpoint_duration_s,
            Event::CheckpointEnd { w, slot, epoch },
        );
    }

    /// A checkpoint of job slot `slot` of training `w` in its `epoch` ends (a stale one does
    /// nothing) and the next is scheduled.
    #[inline(always)]
    fn checkpoint_end(
        &mut self,
        models: &[Training],
        (w, slot, epoch): (u32, u32, u32),
        now: u64,
        q: &mut EventQueue,
    ) {
        let Some((wi, si, s)) = self.live_slot(w, slot, epoch) else {
            return;
        };
        let tr = &models[wi];
        // A checkpoint cut short by a failure saved nothing: the job resumes from the
        // checkpoint the restart restored, and the next one is due an interval after it.
        let saved_at = if s.in_checkpoint {
            now
        } else {
            s.last_checkpoint_s
        };
        self.slots[wi][si].in_checkpoint = false;
        self.slots[wi][si].last_checkpoint_s = saved_at;
        self.recompute_busy(models, wi);
        let next = (saved_at + tr.checkpoint_interval_s - tr.checkpoint_duration_s).max(now + 1);
        q.push(next, Event::CheckpointStart { w, slot, epoch });
    }

    /// At the horizon: jobs whose end falls exactly on it (and owe no redone work) complete;
    /// nothing else happens there, since the horizon is the end of the last step.
    pub fn finish_at_horizon(&mut self, q: &mut EventQueue) {
        while let Some((_, e)) = q.pop_due(self.horizon_s) {
            if let Event::JobEnd { w, slot, epoch } = e {
                let s = self.slots[w as usize][slot as usize];
                if s.active && s.epoch == epoch && s.extension_s == 0 {
                    self.slots[w as usize][slot as usize].active = false;
                    self.jobs_completed += 1;
                    let rec = &mut self.jobs[s.record as usize];
                    rec.end_s = Some(self.horizon_s);
                    rec.completed = true;
                }
            }
        }
    }

    fn try_start(&mut self, models: &[Training], w: usize, now: u64, q: &mut EventQueue) {
        let tr = &models[w];
        // Accelerators the pool keeps for its consumer classes are not training's to take.
        let pool_acc = tr.pool_reserve.training_acc(self.pool_acc[tr.pool]);
        while self.waiting[w] > 0
            && self.acc_used[tr.pool] + tr.job_accelerators <= pool_acc * (1.0 + 1e-12)
        {
            let Some(slot) = self.slots[w].iter().position(|s| !s.active) else {
                return;
            };
            self.waiting[w] -= 1;
            self.acc_used[tr.pool] += tr.job_accelerators;
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
            self.jobs.push(JobRecord {
                training: w as u32,
                job: self.job_seq[w],
                start_s: now,
                accelerators: tr.job_accelerators,
                ..Default::default()
            });
            let dur = if tr.duration_cv > 0.0 {
                let s2 = (1.0 + tr.duration_cv * tr.duration_cv).ln();
                (tr.duration_s.ln() - s2 / 2.0 + s2.sqrt() * normal(&mut self.rng[w])).exp()
            } else {
                tr.duration_s
            };
            let (wu, su) = (w as u32, slot as u32);
            q.push(
                now + dur.round().max(1.0) as u64,
                Event::JobEnd {
                    w: wu,
                    slot: su,
                    epoch,
                },
            );
            if tr.checkpoint_interval_s > 0 && tr.checkpoint_duration_s > 0 {
                q.push(
                    now + tr.checkpoint_interval_s,
                    Event::CheckpointStart {
                        w: wu,
                        slot: su,
                        epoch,
                    },
                );
            }
            self.recompute_busy(models, w);
        }
    }

    /// Busy accelerator-equivalents of a training's running jobs, recomputed from the slots so
    /// no rounding drift accumulates over a year of checkpoints.
    fn recompute_busy(&mut self, models: &[Training], w: usize) {
        let tr = &models[w];
        self.busy[w] = self.slots[w]
            .iter()
            .filter(|s| s.active)
            .map(|s| tr.job_accelerators * slot_utilisation(tr, s))
            .sum();
    }

    /// Jobs hit by this step's server failures restart from their last checkpoint: each failed
    /// server is one of the pool's working ones at random.
    pub fn on_failures(
        &mut self,
        models: &[Training],
        hits: &FailureHits,
        now: u64,
        q: &mut EventQueue,
    ) {
        for w in 0..models.len() {
            let tr = &models[w];
            let failed_acc = hits.new_failed_acc[tr.pool];
            if failed_acc <= 0.0 {
                continue;
            }
            // The chance that none of the failed servers is one of the job's is (1 - job
            // share) per failed server.
            let pool_acc = (hits.working_acc[tr.pool] + failed_acc).max(tr.job_accelerators);
            let share = (tr.job_accelerators / pool_acc).min(1.0);
            let p_hit = 1.0 - (1.0 - share).powf(hits.new_failed_servers[tr.pool]);
            for si in 0..self.slots[w].len() {
                let s = self.slots[w][si];
                if !s.active || uniform(&mut self.rng[w]) >= p_hit {
                    continue;
                }
                let lost = now.saturating_sub(s.last_checkpoint_s);
                self.interruptions += 1;
                self.jobs[s.record as usize].restarts += 1;
                self.lost_acc_s += lost as f64 * tr.job_accelerators * tr.utilisation;
                let slot = &mut self.slots[w][si];
                slot.extension_s += lost + hits.restart_s;
                slot.restarting = true;
                // Progress resumes from the restored checkpoint once the restart is done: the
                // next failure loses only what was computed after that.
                slot.last_checkpoint_s = now + hits.restart_s;
                slot.in_checkpoint = false;
                let epoch = slot.epoch;
                q.push(
                    now + hits.restart_s.max(1),
                    Event::RestartEnd {
                        w: w as u32,
                        slot: si as u32,
                        epoch,
                    },
                );
                self.recompute_busy(models, w);
            }
        }
    }

    /// Demand response paused training for `paused_s` of the step: running jobs end later.
    pub fn pause(&mut self, paused_s: u64) {
        for slots in &mut self.slots {
            for s in slots.iter_mut().filter(|s| s.active) {
                s.extension_s += paused_s;
            }
        }
    }

    /// The meter's claims of every job slot (inactive slots claim nothing): each running job
    /// holds its accelerators and keeps busy its share of what its training was served
    /// (`kept[w]`: served after shedding / busy asked). Work it did not get is recorded.
    pub fn claims(&mut self, models: &[Training], kept: &[f64], dt_f: f64, out: &mut [Claim]) {
        let mut i = 0;
        for (wi, tr) in models.iter().enumerate() {
            let per_busy = kept[wi];
            for s in &self.slots[wi] {
                if s.active && per_busy < 1.0 {
                    self.jobs[s.record as usize].shed_acc_s +=
                        tr.job_accelerators * slot_utilisation(tr, s) * (1.0 - per_busy) * dt_f;
                }
                out[i] = slot_claim(tr, s, per_busy);
                i += 1;
            }
        }
    }

    /// A checkpoint's start or end (a [`carried_in_block`] event) applied, and the claim of its
    /// job's slot (all its training served) written to its place in `out` (the claims of every
    /// job slot, as [`TrainingLayer::claims`] writes them): the other slots' claims are unchanged.
    /// Returns that slot's place and the claim it had before (for a block that sums each slot's
    /// claim over its steps only where it changes). Any other event recomputes every claim
    /// (None).
    pub fn on_carried(
        &mut self,
        models: &[Training],
        e: Event,
        now: u64,
        q: &mut EventQueue,
        out: &mut [Claim],
    ) -> Option<(usize, Claim)> {
        // (The checkpoint's arms here rather than through `on_event`: a call and a match
        // fewer on the quiet blocks' commonest event.)
        let (w, slot) = match e {
            Event::CheckpointStart { w, slot, epoch } => {
                self.checkpoint_start(models, (w, slot, epoch), now, q);
                (w as usize, slot as usize)
            }
            Event::CheckpointEnd { w, slot, epoch } => {
                self.checkpoint_end(models, (w, slot, epoch), now, q);
                (w as usize, slot as usize)
            }
            _ => {
                self.on_event(models, e, now, q);
                let slots = models.iter().zip(&self.slots);
                let all = slots.flat_map(|(tr, ss)| ss.iter().map(move |s| slot_claim(tr, s, 1.0)));
                for (c, new) in out.iter_mut().zip(all) {
                    *c = new;
                }
                return None;
            }
        };
        let i = self.slot_base[w] + slot;
        let was = out[i];
        out[i] = slot_claim(&models[w], &self.slots[w][slot], 1.0);
        Some((i, was))
    }

    /// The state a checkpoint changes (its slots and the trainings' busy), into `snap`'s
    /// buffers: what a refused block puts back before it is stepped again.
    pub fn snapshot(&self, snap: &mut TrainingSnapshot) {
        snap.slots.clone_from(&self.slots);
        snap.busy.clone_from(&self.busy);
    }

    /// Puts back what [`TrainingLayer::snapshot`] took.
    pub fn restore(&mut self, snap: &TrainingSnapshot) {
        self.slots.clone_from(&snap.slots);
        self.busy.clone_from(&snap.busy);
    }

    /// Adds each running job's attributed power for the step to its record.
    pub fn meter_jobs(&mut self, power_w: &[f64], dt_f: f64) {
        let mut k = 0;
        for slots in &self.slots {
            for s in slots {
                if s.active {
                    self.jobs[s.record as usize].energy_j += power_w[k] * dt_f;
                }
                k += 1;
            }
        }
    }
}

/// See [`TrainingLayer::snapshot`].
#[derive(Default)]
pub struct TrainingSnapshot {
    slots: Vec<Vec<JobSlot>>,
    busy: Vec<f64>,
}

/// Whether a quiet block can carry an event inside it: a checkpoint's start or end changes only
/// its job's utilisation (no draw, no start or end of a job), which the block follows step by
/// step; every other event ends the block.
pub fn carried_in_block(e: &Event) -> bool {
    matches!(
        e,
        Event::CheckpointStart { .. } | Event::CheckpointEnd { .. }
    )
}

/// A job slot's claim when its training is served `per_busy` of what it asks: a running job
/// holds its accelerators and keeps busy its share; an idle slot claims nothing.
#[inline]
fn slot_claim(tr: &Training, s: &JobSlot, per_busy: f64) -> Claim {
    if s.active {
        Claim {
            held: tr.job_accelerators,
            weight: tr.job_accelerators * slot_utilisation(tr, s) * per_busy,
        }
    } else {
        Claim::default()
    }
}

/// A running job's utilisation: low while it checkpoints or restarts.
#[inline]
fn slot_utilisation(tr: &Training, s: &JobSlot) -> f64 {
    if s.in_checkpoint || s.restarting {
        tr.checkpoint_utilisation
    } else {
        tr.utilisation
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fleet::ConsumerReserve;
    use crate::sim::test_support::{close, pump, queue};

    /// One job of 64 accelerators (the whole pool) at utilisation 0.9, 10,000 s long (cv 0),
    /// checkpointing every 3,600 s for 300 s at 0.15, submitted at t = 100 (or back to back
    /// with 500-s gaps from t = 0 when continuous).
    fn job(continuous: bool) -> Training {
        Training {
            name: "j".into(),
            pool: 0,
            job_accelerators: 64.0,
            utilisation: 0.9,
            duration_s: 10_000.0,
            duration_cv: 0.0,
            start_s: if continuous { vec![] } else { vec![100] },
            jobs_per_year: 0.0,
            continuous,
            gap_s: 500,
            checkpoint_interval_s: 3600,
            checkpoint_duration_s: 300,
            checkpoint_utilisation: 0.15,
            max_concurrent: 1,
            pool_reserve: Default::default(),
        }
    }

    const RUN: f64 = 64.0 * 0.9;
    const CKPT: f64 = 64.0 * 0.15;

    fn layer(models: &[Training]) -> (TrainingLayer, EventQueue) {
        let mut pending = Vec::new();
        let tl = TrainingLayer::new(models, vec![64.0], 1, 0, 100_000, &mut pending);
        (tl, queue(pending))
    }

    fn advance(tl: &mut TrainingLayer, m: &[Training], q: &mut EventQueue, until: u64) {
        pump(q, until, |e, t, q| tl.on_event(m, e, t, q));
    }

    /// Busy 57.6 while computing and 9.6 while checkpointing (3,700-4,000 and 7,300-7,600:
    /// checkpoints every 3,600 s from the start, start to start); ends at exactly 100 + 10,000.
    #[test]
    fn job_runs_checkpoints_and_ends_at_its_duration() {
        let m = [job(false)];
        let (mut tl, mut q) = layer(&m);
        let at = |t: u64, busy: f64, tl: &mut TrainingLayer, q: &mut EventQueue| {
            advance(tl, &m, q, t);
            close(tl.busy[0], busy, 1e-12, &format!("busy at {t} s"));
        };
        at(99, 0.0, &mut tl, &mut q);
        assert!(tl.jobs.is_empty());
        at(100, RUN, &mut tl, &mut q);
        at(3699, RUN, &mut tl, &mut q);
        at(3700, CKPT, &mut tl, &mut q);
        at(3999, CKPT, &mut tl, &mut q);
        at(4000, RUN, &mut tl, &mut q);
        at(7299, RUN, &mut tl, &mut q);
        at(7300, CKPT, &mut tl, &mut q);
        at(7600, RUN, &mut tl, &mut q);
        at(10_099, RUN, &mut tl, &mut q);
        assert_eq!(tl.jobs[0].end_s, None);
        at(10_100, 0.0, &mut tl, &mut q);
        let r = &tl.jobs[0];
        assert_eq!((r.start_s, r.end_s, r.completed), (100, Some(10_100), true));
        assert_eq!(
            (r.training, r.job, r.accelerators, r.restarts),
            (0, 1, 64.0, 0)
        );
        assert_eq!(tl.jobs_completed, 1);
    }

    /// Continuous: job 1 at 0-10,000, job 2 submitted and started 500 s later.
    #[test]
    fn continuous_training_restarts_after_its_gap() {
        let m = [job(true)];
        let (mut tl, mut q) = layer(&m);
        advance(&mut tl, &m, &mut q, 0);
        close(tl.busy[0], RUN, 1e-12, "job 1 busy");
        advance(&mut tl, &m, &mut q, 10_499);
        assert_eq!(tl.jobs.len(), 1);
        assert_eq!(tl.jobs[0].end_s, Some(10_000));
        assert_eq!(tl.busy[0], 0.0);
        advance(&mut tl, &m, &mut q, 10_500);
        assert_eq!(tl.jobs.len(), 2);
        assert_eq!((tl.jobs[1].job, tl.jobs[1].start_s), (2, 10_500));
        close(tl.busy[0], RUN, 1e-12, "job 2 busy");
        advance(&mut tl, &m, &mut q, 20_500);
        assert_eq!(tl.jobs[1].end_s, Some(20_500));
        assert_eq!(tl.jobs_completed, 2);
    }

    /// A server fails at 5,000 s in a pool the job fills (a hit is certain): 1,000 s of progress
    /// since the checkpoint at 4,000 is lost, the restart takes 600 s at checkpoint power, and
    /// the end moves from 10,100 to 10,100 + 1,000 + 600 = 11,700.
    #[test]
    fn a_failure_under_the_job_restarts_it_and_moves_its_end() {
        let m = [job(false)];
        let (mut tl, mut q) = layer(&m);
        advance(&mut tl, &m, &mut q, 5000);
        let hits = FailureHits {
            new_failed_acc: &[8.0],
            new_failed_servers: &[1.0],
            working_acc: &[56.0],
            restart_s: 600,
        };
        tl.on_failures(&m, &hits, 5000, &mut q);
        assert_eq!((tl.interruptions, tl.jobs[0].restarts), (1, 1));
        close(tl.lost_acc_s, 1000.0 * 64.0 * 0.9, 1e-12, "lost acc-s");
        close(tl.busy[0], CKPT, 1e-12, "busy while restarting");
        advance(&mut tl, &m, &mut q, 5599);
        close(tl.busy[0], CKPT, 1e-12, "busy while restarting");
        advance(&mut tl, &m, &mut q, 5600);
        close(tl.busy[0], RUN, 1e-12, "busy after the restart");
        advance(&mut tl, &m, &mut q, 11_699);
        assert_eq!(tl.jobs[0].end_s, None);
        advance(&mut tl, &m, &mut q, 11_700);
        assert_eq!(tl.jobs[0].end_s, Some(11_700));
        assert!(tl.jobs[0].completed);
    }

    /// A failure at 3,800 s cuts the 3,700-4,000 s checkpoint short: nothing was saved, the job
    /// restarts from its start (100 s: 3,700 s lost) and resumes at 4,400 s. The interrupted
    /// checkpoint's end at 4,000 s must not count as saved, so a second failure at 5,000 s
    /// loses 5,000 - 4,400 = 600 s. End: 10,100 + (3,700 + 600) + (600 + 600) = 15,600 s.
    #[test]
    fn a_failure_during_a_checkpoint_saves_nothing() {
        let m = [job(false)];
        let (mut tl, mut q) = layer(&m);
        let hits = FailureHits {
            new_failed_acc: &[8.0],
            new_failed_servers: &[1.0],
            working_acc: &[56.0],
            restart_s: 600,
        };
        advance(&mut tl, &m, &mut q, 3800);
        tl.on_failures(&m, &hits, 3800, &mut q);
        close(tl.lost_acc_s, 3700.0 * 64.0 * 0.9, 1e-12, "first loss");
        advance(&mut tl, &m, &mut q, 5000);
        tl.on_failures(&m, &hits, 5000, &mut q);
        close(
            tl.lost_acc_s,
            (3700.0 + 600.0) * 64.0 * 0.9,
            1e-12,
            "second loss",
        );
        advance(&mut tl, &m, &mut q, 15_599);
        assert_eq!(tl.jobs[0].end_s, None);
        advance(&mut tl, &m, &mut q, 15_600);
        assert_eq!(tl.jobs[0].end_s, Some(15_600));
    }

    /// A failure elsewhere in a bigger pool misses the job when the failed servers are none of
    /// its own: with no failed accelerators on its pool nothing happens.
    #[test]
    fn no_failure_on_the_pool_leaves_jobs_alone() {
        let m = [job(false)];
        let (mut tl, mut q) = layer(&m);
        advance(&mut tl, &m, &mut q, 5000);
        let hits = FailureHits {
            new_failed_acc: &[0.0],
            new_failed_servers: &[0.0],
            working_acc: &[64.0],
            restart_s: 600,
        };
        tl.on_failures(&m, &hits, 5000, &mut q);
        assert_eq!((tl.interruptions, tl.jobs[0].restarts), (0, 0));
        advance(&mut tl, &m, &mut q, 10_100);
        assert_eq!(tl.jobs[0].end_s, Some(10_100));
    }

    /// Half of the 64-accelerator pool reserved for consumer classes: of two 32-accelerator
    /// jobs submitted together only one starts; the other waits for it to end (10,100 s).
    #[test]
    fn jobs_do_not_start_on_the_consumer_reserve() {
        for (reserve, second_start) in [
            (ConsumerReserve::Share(0.5), 10_100),
            (ConsumerReserve::Accelerators(32.0), 10_100),
            (ConsumerReserve::None, 100),
        ] {
            let mut j = job(false);
            j.job_accelerators = 32.0;
            j.max_concurrent = 2;
            j.start_s = vec![100, 100];
            j.pool_reserve = reserve;
            let m = [j];
            let (mut tl, mut q) = layer(&m);
            advance(&mut tl, &m, &mut q, 20_000);
            let starts: Vec<u64> = tl.jobs.iter().map(|r| r.start_s).collect();
            assert_eq!(starts, [100, second_start], "{reserve:?}");
        }
    }

    /// Demand response pauses the running job twice for 30 s: it ends 60 s later. A pause
    /// before the job starts moves nothing.
    #[test]
    fn pause_extends_running_jobs_only() {
        let m = [job(false)];
        let (mut tl, mut q) = layer(&m);
        advance(&mut tl, &m, &mut q, 50);
        tl.pause(1000);
        advance(&mut tl, &m, &mut q, 200);
        tl.pause(30);
        tl.pause(30);
        advance(&mut tl, &m, &mut q, 10_159);
        assert_eq!(tl.jobs[0].end_s, None);
        advance(&mut tl, &m, &mut q, 10_160);
        assert_eq!(tl.jobs[0].end_s, Some(10_160));
    }

    /// A running job holds its 64 accelerators and, served 75 % of what it asked, keeps busy
    /// 0.75 x 57.6; the missing quarter over a 60-s step is recorded as shed work.
    #[test]
    fn claims_hold_the_job_and_record_what_it_did_not_get() {
        let m = [job(false)];
        let (mut tl, mut q) = layer(&m);
        advance(&mut tl, &m, &mut q, 100);
        let mut out = [Claim::default()];
        tl.claims(&m, &[0.75], 60.0, &mut out);
        assert_eq!(out[0].held, 64.0);
        close(out[0].weight, 0.75 * RUN, 1e-12, "weight");
        close(
            tl.jobs[0].shed_acc_s,
            0.25 * RUN * 60.0,
            1e-12,
            "shed acc-s",
        );
        tl.meter_jobs(&[5000.0], 60.0);
        close(tl.jobs[0].energy_j, 300_000.0, 1e-12, "job energy J");
    }
}
