//! A shard's metrics per interval.

use crate::cluster::metrics::histogram::{Histogram, SparseEntry};
use crate::time::{SimDuration, SimTime};

/// Cumulative per-shard counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShardCounters {
    /// Invocations delivered to the shard.
    pub arrivals: u64,
    /// Work delivered: slot-nanoseconds of service at this shard's speed.
    pub offered_work_ns: u64,
    /// Integral of busy cpu slots over time (slot-nanoseconds).
    pub busy_slot_ns: u64,
    /// Integral of busy + migration-reserved + queued slots over time: the load routing sees.
    pub load_slot_ns: u64,
    /// Invocations placed here as a degraded route (the overflow shard when nothing fit).
    pub degraded_routes: u64,
    /// Invocations placed here by failover to the general pool after their policy found nothing.
    pub failovers: u64,
    /// Invocations that completed in time.
    pub completed: u64,
    /// Invocations that ran past their timeout (SLO violations).
    pub timed_out: u64,
    /// Invocations that failed here (crash).
    pub failed: u64,
    /// Invocations dropped here (queue full).
    pub dropped: u64,
    /// Invocations sent on to another shard (crash, partition).
    pub rerouted: u64,
}

/// One closed interval of one shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardRow {
    /// Totals at the end of the interval.
    pub cumulative: ShardCounters,
    /// Queued invocations at the end of the interval.
    pub queue_depth: u32,
    /// Busy cpu slots at the end of the interval.
    pub busy_slots: u32,
    /// Memory held by running invocations at the end of the interval, MiB.
    pub memory_used_mb: u32,
    /// Whether the shard could take work at the end of the interval.
    pub healthy: bool,
    hist_start: u32,
    hist_end: u32,
}

/// The instantaneous state a meter samples at an interval boundary.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ShardInstant {
    pub queue_depth: u32,
    pub busy_slots: u32,
    pub memory_used_mb: u32,
    pub healthy: bool,
}

/// A shard's metrics: the live interval and every closed one.
#[derive(Clone, Debug)]
pub struct ShardSeries {
    interval: SimDuration,
    next_boundary: SimTime,
    last_busy_change: SimTime,
    busy_slots: u32,
    load_slots: u32,
    /// Live totals (not yet closed into a row).
    pub(crate) counters: ShardCounters,
    live_hist: Histogram,
    rows: Vec<ShardRow>,
    hist_entries: Vec<SparseEntry>,
    slots: u32,
    queue_capacity: u32,
}

impl ShardSeries {
    pub(crate) fn new(interval: SimDuration, slots: u32, queue_capacity: u32) -> Self {
        ShardSeries {
            interval,
            next_boundary: SimTime::ZERO + interval,
            last_busy_change: SimTime::ZERO,
            busy_slots: 0,
            load_slots: 0,
            counters: ShardCounters::default(),
            live_hist: Histogram::default(),
            rows: Vec::new(),
            hist_entries: Vec::new(),
            slots,
            queue_capacity,
        }
    }

    /// Closes every interval that ended at or before `now`.
    #[inline]
    pub(crate) fn advance(&mut self, now: SimTime, state: ShardInstant) {
        while now >= self.next_boundary {
            self.close_interval(state);
        }
    }

    #[cold]
    fn close_interval(&mut self, state: ShardInstant) {
        let boundary = self.next_boundary;
        self.accumulate_busy(boundary);
        let hist_start = self.hist_entries.len() as u32;
        self.live_hist.drain_sparse(&mut self.hist_entries);
        self.rows.push(ShardRow {
            cumulative: self.counters,
            queue_depth: state.queue_depth,
            busy_slots: state.busy_slots,
            memory_used_mb: state.memory_used_mb,
            healthy: state.healthy,
            hist_start,
            hist_end: self.hist_entries.len() as u32,
        });
        self.next_boundary = boundary + self.interval;
    }

    #[inline]
    fn accumulate_busy(&mut self, until: SimTime) {
        let dt = until
            .saturating_duration_since(self.last_busy_change)
            .as_nanos();
        self.counters.busy_slot_ns += u64::from(self.busy_slots) * dt;
        self.counters.load_slot_ns += u64::from(self.load_slots) * dt;
        self.last_busy_change = until;
    }

    /// Records the occupancy from `now` on (after `advance`): `busy` running or reserved slots,
    /// `load` = busy + queued slots.
    #[inline]
    pub(crate) fn set_occupancy(&mut self, now: SimTime, busy: u32, load: u32) {
        self.accumulate_busy(now);
        self.busy_slots = busy;
        self.load_slots = load;
    }

    /// Changes the capacity that later intervals are normalised by.
    ///
    /// Rows keep cumulative counters, so a capacity change mid-interval makes that interval's
    /// derived ratios approximate; the counters themselves stay exact.
    pub(crate) fn set_slots(&mut self, slots: u32) {
        self.slots = slots;
    }

    /// Records a completion latency in the live interval.
    #[inline]
    pub(crate) fn record_latency(&mut self, d: SimDuration) {
        self.live_hist.record(d);
    }

    /// The metrics interval.
    pub fn interval(&self) -> SimDuration {
        self.interval
    }

    /// Closed intervals, oldest first.
    pub fn rows(&self) -> &[ShardRow] {
        &self.rows
    }

    /// Sparse latency histogram entries (bucket, count) of closed interval `i`.
    pub fn latency_entries(&self, i: usize) -> &[SparseEntry] {
        let r = &self.rows[i];
        &self.hist_entries[r.hist_start as usize..r.hist_end as usize]
    }

    /// Latency histogram over closed intervals `range`.
    pub fn latency_over(&self, range: std::ops::Range<usize>) -> Histogram {
        let mut h = Histogram::default();
        for i in range {
            h.merge_sparse(self.latency_entries(i));
        }
        h
    }

    /// The load figures of every closed interval, cheaply: unlike [`ShardSeries::interval_stats`]
    /// no latency histograms are merged. For features, balance ratios and diagnoses.
    pub fn load_series(&self) -> Vec<LoadPoint> {
        let capacity = self.interval.as_nanos() as f64 * f64::from(self.slots.max(1));
        let mut previous = ShardCounters::default();
        self.rows
            .iter()
            .map(|r| {
                let c = r.cumulative;
                let out = LoadPoint {
                    offered_load: (c.offered_work_ns - previous.offered_work_ns) as f64 / capacity,
                    utilisation: (c.busy_slot_ns - previous.busy_slot_ns) as f64 / capacity,
                    mean_load: (c.load_slot_ns - previous.load_slot_ns) as f64 / capacity,
                    queue_depth: r.queue_depth,
                };
                previous = c;
                out
            })
            .collect()
    }

    /// Offered load (work arriving over capacity) of closed interval `i`, without the rest of
    /// [`ShardSeries::interval_stats`].
    pub fn offered_load(&self, i: usize) -> f64 {
        let capacity = self.interval.as_nanos() as f64 * f64::from(self.slots.max(1));
        let before = i
            .checked_sub(1)
            .map_or(0, |p| self.rows[p].cumulative.offered_work_ns);
        (self.rows[i].cumulative.offered_work_ns - before) as f64 / capacity
    }

    /// Derived figures of closed interval `i`.
    pub fn interval_stats(&self, i: usize) -> IntervalStats {
        self.stats_over(i..i + 1)
    }

    /// Derived figures over closed intervals `range` (a coarser interval), computed exactly from
    /// the cumulative counters and merged histograms.
    pub fn stats_over(&self, range: std::ops::Range<usize>) -> IntervalStats {
        let end = self.rows[range.end - 1];
        let start = if range.start == 0 {
            ShardCounters::default()
        } else {
            self.rows[range.start - 1].cumulative
        };
        let c = end.cumulative;
        let span_ns = self.interval.as_nanos() as f64 * range.len() as f64;
        let capacity = span_ns * f64::from(self.slots.max(1));
        let arrivals = c.arrivals - start.arrivals;
        let errors = (c.timed_out - start.timed_out)
            + (c.failed - start.failed)
            + (c.dropped - start.dropped);
        let utilisation = (c.busy_slot_ns - start.busy_slot_ns) as f64 / capacity;
        let mean_load = (c.load_slot_ns - start.load_slot_ns) as f64 / capacity;
        let queue_ratio = f64::from(end.queue_depth) / f64::from(self.queue_capacity.max(1));
        let error_rate = if arrivals == 0 {
            0.0
        } else {
            errors as f64 / arrivals as f64
        };
        let hist = self.latency_over(range.clone());
        IntervalStats {
            arrivals,
            offered_load: (c.offered_work_ns - start.offered_work_ns) as f64 / capacity,
            utilisation,
            mean_load,
            completed: c.completed - start.completed,
            timed_out: c.timed_out - start.timed_out,
            failed: c.failed - start.failed,
            dropped: c.dropped - start.dropped,
            throughput_per_sec: (c.completed - start.completed) as f64 / (span_ns / 1e9),
            queue_depth: end.queue_depth,
            memory_used_mb: end.memory_used_mb,
            error_rate,
            p50: hist.quantile(0.5),
            p99: hist.quantile(0.99),
            overall_load: (0.6 * utilisation.min(1.0)
                + 0.3 * queue_ratio.min(1.0)
                + 0.1 * error_rate.min(1.0))
            .min(1.0),
        }
    }
}

/// One interval's load figures (see [`ShardSeries::load_series`]); the same values as the
/// corresponding fields of [`IntervalStats`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoadPoint {
    /// Work arriving over capacity.
    pub offered_load: f64,
    /// Busy slot-time over capacity.
    pub utilisation: f64,
    /// Time-averaged (busy + queued slots) / cpu slots.
    pub mean_load: f64,
    /// Queue depth at the end.
    pub queue_depth: u32,
}

/// What one (possibly coarsened) interval of a shard looked like.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IntervalStats {
    /// Invocations delivered.
    pub arrivals: u64,
    /// Work arriving over capacity (may exceed 1): the forecast target.
    pub offered_load: f64,
    /// Busy slot-time over capacity.
    pub utilisation: f64,
    /// Time-averaged (busy + queued slots) / cpu slots: the load routing balances.
    pub mean_load: f64,
    /// Completed in time.
    pub completed: u64,
    /// Timed out (SLO violations).
    pub timed_out: u64,
    /// Failed (crash).
    pub failed: u64,
    /// Dropped (queue full).
    pub dropped: u64,
    /// Completions per second.
    pub throughput_per_sec: f64,
    /// Queue depth at the end.
    pub queue_depth: u32,
    /// Memory in use at the end, MiB.
    pub memory_used_mb: u32,
    /// (timed out + failed + dropped) / arrivals.
    pub error_rate: f64,
    /// Median completion latency.
    pub p50: Option<SimDuration>,
    /// 99th-percentile completion latency.
    pub p99: Option<SimDuration>,
    /// The seeds' composite load: 0.6 utilisation + 0.3 queue fill + 0.1 error rate, capped at 1.
    pub overall_load: f64,
}
