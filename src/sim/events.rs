//! The discrete-event queue between time steps.
//!
//! Events carry plain indices (never strings or floats, so they order totally) and take effect at
//! the first step boundary at or after their time. Ties break by insertion order, so a trial is
//! deterministic by construction.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

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

#[derive(Clone, Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Reverse<(u64, u64, Event)>>,
    seq: u64,
}

impl EventQueue {
    pub fn with_capacity(n: usize) -> EventQueue {
        EventQueue {
            heap: BinaryHeap::with_capacity(n),
            seq: 0,
        }
    }

    pub fn push(&mut self, time_s: u64, e: Event) {
        self.heap.push(Reverse((time_s, self.seq, e)));
        self.seq += 1;
    }

    /// The next event due at or before `now`.
    #[inline]
    pub fn pop_due(&mut self, now: u64) -> Option<(u64, Event)> {
        match self.heap.peek() {
            Some(Reverse((t, _, _))) if *t <= now => {
                self.heap.pop().map(|Reverse((t, _, e))| (t, e))
            }
            _ => None,
        }
    }

    /// Time of the next event, `u64::MAX` when none is pending.
    #[inline]
    pub fn next_time(&self) -> u64 {
        self.heap.peek().map_or(u64::MAX, |Reverse((t, _, _))| *t)
    }

    /// Time of the next event `carried` does not accept, `u64::MAX` when none is pending: what
    /// a quiet block must end before (it carries its training checkpoints inside it).
    pub fn next_time_not(&self, carried: impl Fn(&Event) -> bool) -> u64 {
        self.heap
            .iter()
            .filter(|Reverse((_, _, e))| !carried(e))
            .map(|Reverse((t, _, _))| *t)
            .min()
            .unwrap_or(u64::MAX)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
}
