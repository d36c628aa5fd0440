//! What happened over a window of a run, measured the same way for every policy and fork.

use std::ops::Range;

use shardsim_sim::SimTime;
use shardsim_sim::cluster::{Cluster, Histogram};

/// A function violates its SLO in a metrics interval when more than this share of its
/// invocations that ended in it missed (timed out, failed or were dropped): the SLO is
/// "99% in time, every minute".
pub const SLO_MISS_SHARE: f64 = 0.01;

/// Outcome figures over a window of closed metric intervals.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Function-minutes in which more than [`SLO_MISS_SHARE`] of the function's ended
    /// invocations missed their deadline.
    pub slo_violation_minutes: f64,
    /// Σ over shards and intervals of `max(0, load − threshold)` × minutes, the unit of the
    /// planner's benefit estimates. [`Outcome::measure`] uses offered load per metrics interval;
    /// plan scoring replaces it with demand per minute, as the planner sees load.
    pub excess_load_minutes: f64,
    /// Invocations that timed out.
    pub timed_out: u64,
    /// Invocations that completed in time.
    pub completed: u64,
    /// Invocations dropped.
    pub dropped: u64,
    /// 99th-percentile latency of completed invocations, ms (0 when none completed).
    pub p99_latency_ms: f64,
}

impl Outcome {
    /// Measures the closed intervals that lie inside `window` (metrics must be closed up to its
    /// end), with `threshold` the load above which load counts as excess.
    pub fn measure(cluster: &Cluster, window: Range<SimTime>, threshold: f64) -> Outcome {
        let interval = cluster.metrics_interval().as_nanos().max(1);
        let minutes = cluster.metrics_interval().as_secs_f64() / 60.0;
        let first = window.start.as_nanos().div_ceil(interval) as usize;
        let last = (window.end.as_nanos() / interval) as usize;
        let mut out = Outcome::default();
        let mut latency = Histogram::default();
        for s in cluster.topology().shard_ids() {
            let series = cluster.shard_series(s);
            let end = last.min(series.rows().len());
            if first >= end {
                continue;
            }
            for i in first..end {
                let load = series.offered_load(i);
                out.excess_load_minutes += (load - threshold).max(0.0) * minutes;
            }
            let rows = series.rows();
            let before = |i: usize| i.checked_sub(1).map(|p| rows[p].cumulative);
            let (c, p) = (rows[end - 1].cumulative, before(first).unwrap_or_default());
            out.timed_out += c.timed_out - p.timed_out;
            out.completed += c.completed - p.completed;
            out.dropped += c.dropped - p.dropped;
            latency.merge(&series.latency_over(first..end));
        }
        for f in cluster.function_metrics() {
            let end = last.min(f.ends.len());
            for e in f.ends.get(first..end).unwrap_or(&[]) {
                if f64::from(e.missed) > SLO_MISS_SHARE * f64::from(e.in_time + e.missed) {
                    out.slo_violation_minutes += minutes;
                }
            }
        }
        out.p99_latency_ms = latency.quantile(0.99).map_or(0.0, |d| d.as_millis_f64());
        out
    }
}

/// A plan scored against the simulated outcome: two forks from the moment it was made, one with
/// it and one without, on the same random numbers, over the window it was meant for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scored {
    /// The planner's estimate (excess-load minutes avoided).
    pub predicted: f64,
    /// The fork with the plan.
    pub with_plan: Outcome,
    /// The fork without it.
    pub without_plan: Outcome,
}

impl Scored {
    /// Excess-load minutes the plan really avoided (the unit of `predicted`).
    pub fn realised(&self) -> f64 {
        self.without_plan.excess_load_minutes - self.with_plan.excess_load_minutes
    }

    /// SLO-violation minutes the plan really avoided.
    pub fn realised_slo_minutes(&self) -> f64 {
        self.without_plan.slo_violation_minutes - self.with_plan.slo_violation_minutes
    }

    /// How much the plan lowered p99 latency, ms.
    pub fn realised_p99_ms(&self) -> f64 {
        self.without_plan.p99_latency_ms - self.with_plan.p99_latency_ms
    }
}
