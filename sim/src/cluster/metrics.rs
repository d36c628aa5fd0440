//! Metrics: per shard per interval, per function, and the cluster-wide logs.
//!
//! Shard counters are **cumulative** — each interval's row holds the totals since the start — so
//! any coarser interval is the difference of two rows, exactly. Latencies go into a log-linear
//! histogram (4 buckets per power of two, ≤ 12.5% relative error from the bucket midpoint) whose
//! per-interval counts are stored sparsely and merge by addition. Memory is proportional to
//! shards × intervals, never to events.
//!
//! Intervals roll over lazily: a meter closes every interval that ended before the time of the
//! state change it is about to record, using the state as it stood. There are no tick events, so
//! the metrics interval cannot change the order in which the simulation handles anything.

use super::ids::{FunctionId, ShardId};
use crate::time::{SimDuration, SimTime};

const SUB_BUCKETS_LOG2: u32 = 2;
const SUB_BUCKETS: u32 = 1 << SUB_BUCKETS_LOG2;
/// Values below 2^10 ns (≈ 1 µs) share bucket 0.
const MIN_EXPONENT: u32 = 10;
/// Number of histogram buckets: bucket 0 plus 4 per octave from 2^10 to 2^64 ns.
pub const BUCKETS: usize = 1 + ((64 - MIN_EXPONENT) * SUB_BUCKETS) as usize;

#[inline]
fn bucket_of(nanos: u64) -> usize {
    if nanos < (1 << MIN_EXPONENT) {
        return 0;
    }
    let e = 63 - nanos.leading_zeros();
    let sub = (nanos >> (e - SUB_BUCKETS_LOG2)) & u64::from(SUB_BUCKETS - 1);
    1 + ((e - MIN_EXPONENT) * SUB_BUCKETS) as usize + sub as usize
}

/// The midpoint of a bucket, in nanoseconds: what a quantile in that bucket reports.
fn bucket_midpoint(bucket: usize) -> f64 {
    if bucket == 0 {
        return (1u64 << (MIN_EXPONENT - 1)) as f64;
    }
    let i = (bucket - 1) as u32;
    let e = i / SUB_BUCKETS + MIN_EXPONENT;
    let sub = u64::from(i % SUB_BUCKETS);
    let width = 1u64 << (e - SUB_BUCKETS_LOG2);
    let lower = (u64::from(SUB_BUCKETS) + sub) * width;
    lower as f64 + width as f64 / 2.0
}

/// A mergeable latency histogram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: Box::new([0; BUCKETS]),
            total: 0,
        }
    }
}

impl Histogram {
    /// Records one value.
    #[inline]
    pub fn record(&mut self, d: SimDuration) {
        self.counts[bucket_of(d.as_nanos())] += 1;
        self.total += 1;
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
        self.total += other.total;
    }

    /// Adds sparse counts.
    pub fn merge_sparse(&mut self, entries: &[(u8, u32)]) {
        for &(b, c) in entries {
            self.counts[b as usize] += u64::from(c);
            self.total += u64::from(c);
        }
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The `q`-quantile (0 ≤ q ≤ 1), or `None` if empty.
    pub fn quantile(&self, q: f64) -> Option<SimDuration> {
        if self.total == 0 {
            return None;
        }
        // Nearest-rank: the smallest value with at least ceil(q·n) values at or below it.
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(SimDuration::from_nanos(bucket_midpoint(b) as u64));
            }
        }
        unreachable!("rank {rank} exceeds total {}", self.total)
    }

    fn drain_sparse(&mut self, out: &mut Vec<(u8, u32)>) {
        if self.total == 0 {
            return;
        }
        for (b, c) in self.counts.iter_mut().enumerate() {
            if *c > 0 {
                out.push((b as u8, *c as u32));
                *c = 0;
            }
        }
        self.total = 0;
    }
}

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
    hist_entries: Vec<(u8, u32)>,
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
    pub fn latency_entries(&self, i: usize) -> &[(u8, u32)] {
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

/// Why an invocation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailReason {
    /// Its shard crashed while it ran.
    ShardCrashed,
    /// It was re-routed too many times without finding a shard.
    RerouteLimit,
}

/// Why an invocation was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropReason {
    /// No active function handles its event type.
    NoFunction,
    /// Routing found no shard that could take it.
    NoShard,
    /// The chosen shard's queue was full.
    QueueFull,
}

/// What a placement change did to a function's shard set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MigrationKind {
    /// The function left `from` for `to` (`to` replaced `from` when ready).
    Move,
    /// The function was added to `to`, its state copied from `from` (scale out).
    Expand,
    /// The function was removed from `from` (`to == from`), at once and at no cost (scale in).
    Shrink,
}

impl MigrationKind {
    /// The lower-case name used in result files.
    pub fn name(self) -> &'static str {
        match self {
            MigrationKind::Move => "move",
            MigrationKind::Expand => "expand",
            MigrationKind::Shrink => "shrink",
        }
    }
}

/// A migration, as recorded when it finished (or started, if still running at the end).
#[derive(Clone, Debug, PartialEq)]
pub struct MigrationRecord {
    /// Move, expand or shrink.
    pub kind: MigrationKind,
    /// When it started.
    pub start: SimTime,
    /// When the target became ready.
    pub ready: SimTime,
    /// What moved.
    pub function: FunctionId,
    /// From.
    pub from: ShardId,
    /// To.
    pub to: ShardId,
    /// Why (free text from the planner).
    pub reason: String,
    /// Cpu cost: slot-seconds reserved on both shards.
    pub cost_slot_secs: f64,
    /// Whether it completed (false: aborted because a shard crashed).
    pub completed: bool,
}

/// A fault, as it happened.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRecord {
    /// When.
    pub at: SimTime,
    /// Start or end of the fault, and what.
    pub description: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotone_and_midpoints_are_close() {
        let mut last = 0;
        for v in (0..40)
            .map(|e| 1u64 << e)
            .chain([1_500, 999_999, 12_345_678])
        {
            let b = bucket_of(v);
            if v.is_power_of_two() {
                assert!(b >= last);
                last = b;
            }
            if v >= 1 << MIN_EXPONENT {
                let rel = (bucket_midpoint(b) - v as f64).abs() / v as f64;
                assert!(rel <= 0.125 + 1e-9, "{v}: {rel}");
            }
        }
        assert!(bucket_of(u64::MAX) < BUCKETS);
    }

    #[test]
    fn quantiles_follow_nearest_rank() {
        let mut h = Histogram::default();
        for ms in 1..=100 {
            h.record(SimDuration::from_millis(ms));
        }
        let p50 = h.quantile(0.5).unwrap().as_millis_f64();
        let p99 = h.quantile(0.99).unwrap().as_millis_f64();
        assert!((p50 - 50.0).abs() / 50.0 < 0.13, "{p50}");
        assert!((p99 - 99.0).abs() / 99.0 < 0.13, "{p99}");
        assert_eq!(Histogram::default().quantile(0.5), None);
    }

    #[test]
    fn merged_histograms_equal_one_big_one() {
        let (mut a, mut b, mut all) = (
            Histogram::default(),
            Histogram::default(),
            Histogram::default(),
        );
        for i in 0..1000u64 {
            let d = SimDuration::from_micros(i * i + 3);
            all.record(d);
            if i % 3 == 0 { a.record(d) } else { b.record(d) }
        }
        a.merge(&b);
        assert_eq!(a, all);
    }
}
