//! A function's totals and per-interval counts.

use crate::cluster::metrics::histogram::Histogram;

/// Per-function totals.
#[derive(Clone, Debug, Default)]
pub struct FunctionMetrics {
    /// Invocations created for it.
    pub invocations: u64,
    /// Work those invocations asked for: slot-nanoseconds at nominal speed, counted when each
    /// is created — demand, including work later dropped or shed before reaching a shard.
    pub demand_work_ns: u64,
    /// Completed in time.
    pub completed: u64,
    /// Timed out.
    pub timed_out: u64,
    /// Failed.
    pub failed: u64,
    /// Dropped.
    pub dropped: u64,
    /// Completion latency (arrival at the cluster to completion).
    pub latency: Histogram,
    /// Sum of completion latencies, for an exact mean.
    pub latency_sum_ns: u64,
    /// Completions per shard, indexed by shard id.
    pub completed_by_shard: Vec<u64>,
    /// Invocations per version (index into the function's versions; one entry if unsplit).
    pub by_version: Vec<u64>,
    /// How invocations ended, per metrics interval of their end time: the series an SLO
    /// ("99% in time, per minute") is judged on.
    pub ends: Vec<FunctionEnds>,
}

/// A function's invocations in one metrics interval: those that ended in it, and the work of
/// those created in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FunctionEnds {
    /// Completed in time.
    pub in_time: u32,
    /// Timed out, failed or dropped.
    pub missed: u32,
    /// Work demanded by invocations created in the interval: slot-nanoseconds at nominal speed.
    pub demand_ns: u64,
}

impl FunctionMetrics {
    fn interval_mut(&mut self, index: usize) -> &mut FunctionEnds {
        if self.ends.len() <= index {
            self.ends.resize(index + 1, FunctionEnds::default());
        }
        &mut self.ends[index]
    }

    /// Counts the work of an invocation created in interval `index`.
    #[inline]
    pub(crate) fn record_demand(&mut self, index: usize, work_ns: u64) {
        self.demand_work_ns += work_ns;
        self.interval_mut(index).demand_ns += work_ns;
    }

    /// Counts an invocation that ended in interval `index`.
    #[inline]
    pub(crate) fn record_end(&mut self, index: usize, in_time: bool) {
        let e = self.interval_mut(index);
        if in_time {
            e.in_time += 1;
        } else {
            e.missed += 1;
        }
    }
}
