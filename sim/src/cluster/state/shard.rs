//! A shard's mutable state: occupancy, queues, faults, breaker, execution histories, metrics.

use std::collections::VecDeque;

use crate::cluster::ids::InvocationId;
use crate::cluster::metrics::shard::ShardSeries;
use crate::cluster::spec::topology::ShardSpec;
use crate::cluster::state::invocation::Invocation;
use crate::time::{SimDuration, SimTime};

/// The affinity of a shard with no history of the kind asked about: neither good nor bad.
pub(crate) const NEUTRAL_AFFINITY: f64 = 0.5;

/// Success rate and mean duration of a shard's recent executions of one function.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistorySummary {
    /// Executions remembered (at most 100).
    pub executions: u32,
    /// Share that completed in time.
    pub success_rate: f64,
    /// Mean run time.
    pub mean_duration: SimDuration,
}

impl HistorySummary {
    /// The seeds' affinity: success rate × 0.7 + speed × 0.3, where speed is
    /// `1 − mean duration / 1 s`, floored at 0.
    pub fn affinity(&self) -> f64 {
        let speed = (1.0 - self.mean_duration.as_millis_f64() / 1000.0).max(0.0);
        0.7 * self.success_rate + 0.3 * speed
    }
}

/// The last 100 executions of one function on one shard.
#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    pub(crate) ring: Vec<(u64, bool)>,
    pub(crate) next: usize,
    pub(crate) successes: u32,
    pub(crate) duration_sum: u64,
}

pub(crate) const HISTORY_LEN: usize = 100;

impl History {
    pub(crate) fn push(&mut self, duration_ns: u64, success: bool) {
        if self.ring.len() < HISTORY_LEN {
            self.ring.push((duration_ns, success));
        } else {
            let (old_d, old_s) = self.ring[self.next];
            self.duration_sum -= old_d;
            self.successes -= u32::from(old_s);
            self.ring[self.next] = (duration_ns, success);
            self.next = (self.next + 1) % HISTORY_LEN;
        }
        self.duration_sum += duration_ns;
        self.successes += u32::from(success);
    }

    /// [`HistorySummary::affinity`] from the running sums, with one division: equal to
    /// `summary().affinity()` up to rounding.
    #[inline]
    pub(crate) fn affinity(&self) -> f64 {
        let n = self.ring.len() as f64;
        if n == 0.0 {
            return NEUTRAL_AFFINITY;
        }
        // speed·n = max(0, n − Σduration / 1 s)
        let speed_n = (n - self.duration_sum as f64 * 1e-9).max(0.0);
        (0.7 * f64::from(self.successes) + 0.3 * speed_n) / n
    }

    pub(crate) fn summary(&self) -> Option<HistorySummary> {
        let n = self.ring.len() as u32;
        (n > 0).then(|| HistorySummary {
            executions: n,
            success_rate: f64::from(self.successes) / f64::from(n),
            mean_duration: SimDuration::from_nanos(self.duration_sum / u64::from(n)),
        })
    }
}

/// A shard's mutable state.
#[derive(Clone, Debug)]
pub(crate) struct ShardState {
    pub(crate) busy_slots: u32,
    pub(crate) reserved_slots: u32,
    pub(crate) memory_used_mb: u32,
    pub(crate) queues: [VecDeque<InvocationId>; 4],
    pub(crate) queued: u32,
    pub(crate) queued_slots: u32,
    /// Slots of invocations dispatched here and still in the network. The dispatcher knows what
    /// it sent, so routing counts them; without this, every decision made during one network
    /// delay sees the same "idle" shard and herds onto it.
    pub(crate) in_transit_slots: u32,
    pub(crate) running: Vec<InvocationId>,
    /// Active crash faults (a count, so overlapping faults nest).
    pub(crate) down: u32,
    /// Active partitions of its region.
    pub(crate) partitioned: u32,
    /// Service-time multiplier from active slowdowns.
    pub(crate) slowdown: f64,
    pub(crate) consecutive_failures: u32,
    pub(crate) breaker_probing: bool,
    pub(crate) history: Vec<History>,
    pub(crate) protocol_history: Vec<History>,
    pub(crate) exchange_history: Vec<History>,
    pub(crate) series: ShardSeries,
}

impl ShardState {
    /// A shard at the start of a run: idle, healthy, no history.
    pub(crate) fn new(spec: &ShardSpec, metrics_interval: SimDuration) -> Self {
        ShardState {
            busy_slots: 0,
            reserved_slots: 0,
            memory_used_mb: 0,
            queues: Default::default(),
            queued: 0,
            queued_slots: 0,
            in_transit_slots: 0,
            running: Vec::new(),
            down: 0,
            partitioned: 0,
            slowdown: 1.0,
            consecutive_failures: 0,
            breaker_probing: false,
            history: Vec::new(),
            protocol_history: Vec::new(),
            exchange_history: Vec::new(),
            series: ShardSeries::new(metrics_interval, spec.cpu_slots, spec.queue_capacity),
        }
    }
}

/// Per-shard state routing reads on every decision, packed together for the cache.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ShardLive {
    /// (busy + reserved + queued slots) / cpu slots.
    pub(crate) load: f64,
    /// Crashed or partitioned away.
    pub(crate) offline: bool,
    /// The circuit breaker rejects work until this time.
    pub(crate) breaker_open_until: SimTime,
    /// 1 / cpu slots and 1 / memory: scoring policies divide by capacity on every decision.
    pub(crate) inv_slots: f64,
    pub(crate) inv_memory: f64,
}

impl ShardLive {
    /// What routing reads about an idle, healthy shard.
    pub(crate) fn new(spec: &ShardSpec) -> Self {
        ShardLive {
            load: 0.0,
            offline: false,
            breaker_open_until: SimTime::ZERO,
            inv_slots: 1.0 / f64::from(spec.cpu_slots.max(1)),
            inv_memory: 1.0 / f64::from(spec.memory_mb.max(1)),
        }
    }
}

pub(crate) fn push_history(histories: &mut Vec<History>, index: usize, ran_ns: u64, success: bool) {
    if histories.len() <= index {
        histories.resize_with(index + 1, History::default);
    }
    histories[index].push(ran_ns, success);
}

#[inline]
pub(crate) fn fits(spec: &ShardSpec, st: &ShardState, inv: &Invocation) -> bool {
    st.busy_slots + st.reserved_slots + inv.slots <= spec.cpu_slots
        && st.memory_used_mb + inv.memory_mb <= spec.memory_mb
}
