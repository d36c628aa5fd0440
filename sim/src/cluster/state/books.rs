//! The books every invocation is counted in, and the one place where an invocation ends.
//!
//! Every invocation ends exactly once — completed, timed out, failed or dropped with a reason —
//! through [`Books::end`]; [`Conservation`] is what must then balance (generated = ended + in
//! flight), which `Cluster::assert_conservation` recounts from the invocations themselves.

use crate::cluster::ids::{InvocationId, ShardId};
use crate::cluster::metrics::function::FunctionMetrics;
use crate::cluster::metrics::records::{DropReason, FailReason};
use crate::cluster::metrics::shard::ShardSeries;
use crate::cluster::state::invocation::{InvState, Invocation};
use crate::time::{SimDuration, SimTime};

/// Totals that must balance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Conservation {
    /// Invocations created (one per arrival).
    pub generated: u64,
    /// Completed in time.
    pub completed: u64,
    /// Past their timeout.
    pub timed_out: u64,
    /// Failed, by [`FailReason`] (crash, reroute limit).
    pub failed: [u64; 2],
    /// Dropped, by [`DropReason`] (no function, no shard, queue full).
    pub dropped: [u64; 3],
    /// Still travelling to a shard.
    pub in_network: u64,
    /// Waiting in a shard queue.
    pub queued: u64,
    /// Running.
    pub running: u64,
}

impl Conservation {
    /// Invocations that have ended.
    pub fn ended(&self) -> u64 {
        self.completed
            + self.timed_out
            + self.failed.iter().sum::<u64>()
            + self.dropped.iter().sum::<u64>()
    }
    /// Invocations not yet ended.
    pub fn in_flight(&self) -> u64 {
        self.in_network + self.queued + self.running
    }
    /// Total failed.
    pub fn failed_total(&self) -> u64 {
        self.failed.iter().sum()
    }
    /// Total dropped.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }
}

/// How an invocation ended: each one ends exactly once, in one of these ways.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// Finished within its timeout, this long after it arrived.
    Completed {
        /// Arrival to finish.
        latency: SimDuration,
    },
    /// Killed at its timeout.
    TimedOut,
    /// Failed (its shard crashed, or it was re-routed too often).
    Failed(FailReason),
    /// Never ran (no function, no shard, queue full).
    Dropped(DropReason),
}

impl Conservation {
    /// Counts one end in the totals.
    fn count(&mut self, end: End) {
        match end {
            End::Completed { .. } => self.completed += 1,
            End::TimedOut => self.timed_out += 1,
            End::Failed(why) => self.failed[why as usize] += 1,
            End::Dropped(why) => self.dropped[why as usize] += 1,
        }
    }
}

/// The ledger of invocations: the live ones (a slot pool), the totals that must balance and
/// each function's counts, per metrics interval.
#[derive(Clone, Debug)]
pub(crate) struct Books {
    pub(crate) invocations: Vec<Invocation>,
    pub(crate) free_invocations: Vec<u32>,
    pub(crate) totals: Conservation,
    pub(crate) function_metrics: Vec<FunctionMetrics>,
    pub(crate) metrics_interval: SimDuration,
}

impl Books {
    pub(crate) fn new(metrics_interval: SimDuration) -> Self {
        Books {
            invocations: Vec::new(),
            free_invocations: Vec::new(),
            totals: Conservation::default(),
            function_metrics: Vec::new(),
            metrics_interval,
        }
    }

    /// The metrics interval `now` falls in.
    #[inline]
    pub(crate) fn interval_index(&self, now: SimTime) -> usize {
        (now.as_nanos() / self.metrics_interval.as_nanos()) as usize
    }

    /// Creates an invocation (counted as generated) in a free slot.
    pub(crate) fn alloc(&mut self, inv: Invocation) -> InvocationId {
        self.totals.generated += 1;
        match self.free_invocations.pop() {
            Some(i) => {
                self.invocations[i as usize] = inv;
                InvocationId(i)
            }
            None => {
                self.invocations.push(inv);
                InvocationId(self.invocations.len() as u32 - 1)
            }
        }
    }

    /// Ends invocation `id` at `now`: the one place an end is counted — in the totals, in its
    /// function's metrics and their interval, in the counters of the shard it ended on (if it
    /// reached one) — and its slot freed.
    ///
    /// Each of these writes a counter of its own and none reads another, so their order cannot
    /// change a result.
    pub(crate) fn end(
        &mut self,
        id: InvocationId,
        end: End,
        now: SimTime,
        shard: Option<(ShardId, &mut ShardSeries)>,
    ) {
        let index = self.interval_index(now);
        self.totals.count(end);
        let fm = &mut self.function_metrics[self.invocations[id.index()].function.index()];
        fm.record_end(index, matches!(end, End::Completed { .. }));
        match end {
            End::Completed { latency } => {
                fm.completed += 1;
                fm.latency.record(latency);
                fm.latency_sum_ns += latency.as_nanos();
            }
            End::TimedOut => fm.timed_out += 1,
            End::Failed(_) => fm.failed += 1,
            End::Dropped(_) => fm.dropped += 1,
        }
        if let Some((s, series)) = shard {
            let c = &mut series.counters;
            match end {
                End::Completed { latency } => {
                    c.completed += 1;
                    series.record_latency(latency);
                    fm.completed_by_shard[s.index()] += 1;
                }
                End::TimedOut => c.timed_out += 1,
                End::Failed(_) => c.failed += 1,
                End::Dropped(_) => c.dropped += 1,
            }
        }
        self.invocations[id.index()].state = InvState::Free;
        self.free_invocations.push(id.0);
    }

    /// An event no active function handles: generated and dropped at once, never an invocation.
    pub(crate) fn end_unhandled(&mut self) {
        self.totals.generated += 1;
        self.totals.count(End::Dropped(DropReason::NoFunction));
    }
}
