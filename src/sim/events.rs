//! The discrete-event queue between time steps.
//!
//! Events carry plain indices (never strings or floats, so they order totally) and take effect at
//! the first step boundary at or after their time. Ties break by insertion order, so a trial is
//! deterministic by construction.

use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Event {
    /// A training job is submitted.
    JobArrival {
        w: u32,
    },
    JobEnd {
        w: u32,
        slot: u32,
        epoch: u32,
    },
    CheckpointStart {
        w: u32,
        slot: u32,
        epoch: u32,
    },
    CheckpointEnd {
        w: u32,
        slot: u32,
        epoch: u32,
    },
    /// A job finished restarting from its checkpoint after a failure.
    RestartEnd {
        w: u32,
        slot: u32,
        epoch: u32,
    },
    /// A demand-response event begins or ends.
    DrStart {
        idx: u32,
    },
    DrEnd {
        idx: u32,
    },
    /// A grid outage begins or ends.
    OutageStart,
    OutageEnd,
    /// A twin's study campaign; `mag` indexes the trial's episode magnitudes.
    CampaignStart {
        twin: u32,
        mag: u32,
    },
    CampaignEnd {
        twin: u32,
        mag: u32,
    },
    /// A defense surge.
    SurgeStart {
        d: u32,
        mag: u32,
    },
    SurgeEnd {
        d: u32,
        mag: u32,
    },
}

/// Pending events in the order they are due: by time, then by insertion. A sorted double-ended
/// queue rather than a binary heap: the next event is the front (a pop moves nothing), and an
/// insertion shifts only the shorter side, which is short where a trial inserts, near the front
/// (a checkpoint's end minutes ahead, the next checkpoint within the hour) or at the back (the
/// events scheduled up front, in time order per source). The events come out in the order a
/// heap on (time, insertion) gives them.
#[derive(Clone, Debug, Default)]
pub struct EventQueue {
    queue: VecDeque<(u64, Event)>,
}

impl EventQueue {
    pub fn with_capacity(n: usize) -> EventQueue {
        EventQueue {
            queue: VecDeque::with_capacity(n),
        }
    }

    pub fn push(&mut self, time_s: u64, e: Event) {
        // After every event due at the same time: ties leave in insertion order.
        let at = self.queue.partition_point(|&(t, _)| t <= time_s);
        self.queue.insert(at, (time_s, e));
    }

    /// The next event due at or before `now`.
    #[inline]
    pub fn pop_due(&mut self, now: u64) -> Option<(u64, Event)> {
        match self.queue.front() {
            Some(&(t, e)) if t <= now => {
                self.queue.pop_front();
                Some((t, e))
            }
            _ => None,
        }
    }

    /// Time of the next event, `u64::MAX` when none is pending.
    #[inline]
    pub fn next_time(&self) -> u64 {
        self.queue.front().map_or(u64::MAX, |&(t, _)| t)
    }

    /// Time of the next event `carried` does not accept, `u64::MAX` when none is pending: what
    /// a quiet block must end before (it carries its training checkpoints inside it).
    pub fn next_time_not(&self, carried: impl Fn(&Event) -> bool) -> u64 {
        self.queue
            .iter()
            .find(|(_, e)| !carried(e))
            .map_or(u64::MAX, |&(t, _)| t)
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_insertion_order() {
        let mut q = EventQueue::with_capacity(4);
        q.push(10, Event::JobArrival { w: 2 });
        q.push(5, Event::JobArrival { w: 1 });
        q.push(10, Event::JobArrival { w: 0 });
        assert_eq!(q.pop_due(4), None);
        assert_eq!(q.pop_due(10), Some((5, Event::JobArrival { w: 1 })));
        assert_eq!(q.pop_due(10), Some((10, Event::JobArrival { w: 2 })));
        assert_eq!(q.pop_due(10), Some((10, Event::JobArrival { w: 0 })));
        assert!(q.is_empty());
    }

    /// The same events in the same order as a binary heap on (time, insertion), the queue
    /// this one replaced: 20,000 pushes at random times (many ties) between random pops.
    #[test]
    fn pops_as_a_heap_on_time_and_insertion() {
        use crate::base::rng::{stream, uniform};
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let mut rng = stream(3, 0, 0);
        let (mut q, mut heap, mut seq) = (EventQueue::default(), BinaryHeap::new(), 0u64);
        let mut now = 0;
        for k in 0..20_000u32 {
            let t = now + (uniform(&mut rng) * 50.0) as u64;
            let e = Event::JobArrival { w: k };
            q.push(t, e);
            heap.push(Reverse((t, seq, e)));
            seq += 1;
            if uniform(&mut rng) < 0.5 {
                now += (uniform(&mut rng) * 4.0) as u64;
            }
            assert_eq!(q.next_time(), heap.peek().map_or(u64::MAX, |r| r.0.0));
            while let Some(Reverse((t, _, e))) = heap.peek().copied().filter(|r| r.0.0 <= now) {
                heap.pop();
                assert_eq!(q.pop_due(now), Some((t, e)));
            }
            assert_eq!(q.pop_due(now), None);
        }
        assert_eq!(q.len(), heap.len());
    }
}
