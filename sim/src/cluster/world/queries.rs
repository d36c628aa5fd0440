//! What the cluster reports: its view, declarations, metrics, logs, the books, planner queries.

use crate::cluster::arrivals::regime::RegimePath;
use crate::cluster::ids::{FunctionId, RegionId, ShardId};
use crate::cluster::metrics::function::FunctionMetrics;
use crate::cluster::metrics::records::{ChangeRecord, FaultRecord, Redistribution};
use crate::cluster::metrics::shard::ShardSeries;
use crate::cluster::routing::RoutingPolicy;
use crate::cluster::spec::function::Function;
use crate::cluster::spec::topology::Topology;
use crate::cluster::state::books::Conservation;
use crate::cluster::state::invocation::InvState;
use crate::cluster::view::ClusterView;
use crate::cluster::world::Cluster;
use crate::time::{SimDuration, SimTime};

impl Cluster {
    /// The read-only view routing and planning decide on.
    pub fn view(&self, now: SimTime) -> ClusterView<'_> {
        ClusterView {
            now,
            topology: &self.topology,
            live: &self.live,
            shards: &self.shards,
            functions: &self.functions,
            placements: &self.placements,
        }
    }

    /// The static topology.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The routing policy in use.
    pub fn routing(&self) -> &dyn RoutingPolicy {
        &*self.routing
    }

    /// A function's declaration.
    pub fn function(&self, f: FunctionId) -> &Function {
        &self.functions[f.index()]
    }

    /// Every registered function, by id.
    pub fn functions(&self) -> &[Function] {
        &self.functions
    }

    /// A function's current placement.
    pub fn placement(&self, f: FunctionId) -> &[ShardId] {
        &self.placements[f.index()]
    }

    /// Per-function totals, by function id.
    pub fn function_metrics(&self) -> &[FunctionMetrics] {
        &self.books.function_metrics
    }

    /// A shard's closed metric intervals (call [`Cluster::close_metrics`] first at the end).
    pub fn shard_series(&self, s: ShardId) -> &ShardSeries {
        &self.shards[s.index()].series
    }

    /// Faults as they started and ended.
    pub fn fault_log(&self) -> &[FaultRecord] {
        &self.fault_log
    }

    /// The metrics interval.
    pub fn metrics_interval(&self) -> SimDuration {
        self.books.metrics_interval
    }

    /// The market regime path of this run (calm throughout when no regime is configured).
    pub fn regime(&self) -> &RegimePath {
        &self.regime
    }

    /// Redistributions made by the performance monitor.
    pub fn redistributions(&self) -> &[Redistribution] {
        &self.redistributions
    }

    /// What happened to each scheduled configuration change, in the order applied.
    pub fn change_log(&self) -> &[ChangeRecord] {
        &self.change_log
    }

    /// The most invocations that were live at once so far: the size of the slot pool, which
    /// reuses the slot of every invocation that ended.
    pub fn peak_live_invocations(&self) -> usize {
        self.books.invocations.len()
    }

    /// The books, recounted from the invocations themselves.
    pub fn conservation(&self) -> Conservation {
        let mut c = self.books.totals;
        c.in_network = 0;
        c.queued = 0;
        c.running = 0;
        for inv in &self.books.invocations {
            match inv.state {
                InvState::Free => {}
                InvState::InNetwork => c.in_network += 1,
                InvState::Queued => c.queued += 1,
                InvState::Running => c.running += 1,
            }
        }
        c
    }

    /// Checks that every invocation is accounted for exactly once.
    ///
    /// # Panics
    /// If the books do not balance: that is a bug in the simulator, never an input error.
    pub fn assert_conservation(&self) -> Conservation {
        let c = self.conservation();
        let queued: u64 = self.shards.iter().map(|s| u64::from(s.queued)).sum();
        let queue_entries: u64 = self
            .shards
            .iter()
            .flat_map(|s| s.queues.iter())
            .map(|q| q.len() as u64)
            .sum();
        let running: u64 = self.shards.iter().map(|s| s.running.len() as u64).sum();
        let in_transit: u64 = self
            .shards
            .iter()
            .map(|s| u64::from(s.in_transit_slots))
            .sum();
        let in_network_slots: u64 = self
            .books
            .invocations
            .iter()
            .filter(|i| i.state == InvState::InNetwork)
            .map(|i| u64::from(i.slots))
            .sum();
        let live = self.books.invocations.len() as u64 - self.books.free_invocations.len() as u64;
        assert!(
            c.generated == c.ended() + c.in_flight()
                && c.queued == queued
                && c.queued == queue_entries
                && c.running == running
                && c.in_flight() == live
                && in_transit == in_network_slots,
            "conservation violated: {c:?}; shard queues {queued} ({queue_entries} entries), \
             running {running}, live invocations {live}, in-transit slots {in_transit} vs \
             {in_network_slots}"
        );
        c
    }

    /// Where function `f`'s events have come from so far: the home regions of the exchanges
    /// that sent them, weighted by count (summing to 1), in region order. Empty before any came
    /// or when only follow-up events reach it. Counted as events arrive, so it is what an
    /// operator sees, not the sources' declared rates.
    pub(crate) fn observed_origins(&self, f: FunctionId) -> Vec<(RegionId, f64)> {
        let Some(counts) = self.origin_counts.get(f.index()) else {
            return Vec::new();
        };
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return Vec::new();
        }
        counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(r, n)| (RegionId(r as u16), *n as f64 / total as f64))
            .collect()
    }

    /// Cumulative offered work (slot-nanoseconds at the shard's speed) that function `f`
    /// delivered to shard `s`: what the planner divides a shard's load among its functions by.
    pub fn function_work_ns(&self, f: FunctionId, s: ShardId) -> u64 {
        self.function_work
            .get(f.index())
            .and_then(|w| w.get(s.index()))
            .copied()
            .unwrap_or(0)
    }

    /// How evenly load was spread: for each closed metrics interval, the highest shard's
    /// time-averaged load (busy + queued slots over cpu slots) divided by the mean over all shards;
    /// averaged over the intervals with any load. 1.0 is perfectly even. Call
    /// [`Cluster::close_metrics`] first.
    pub fn max_mean_load_ratio(&self) -> f64 {
        let series: Vec<_> = self.shards.iter().map(|s| s.series.load_series()).collect();
        let intervals = series.iter().map(Vec::len).min().unwrap_or(0);
        let (mut sum, mut counted) = (0.0, 0u32);
        for i in 0..intervals {
            let (mut max, mut total) = (0.0f64, 0.0);
            for points in &series {
                let load = points[i].mean_load;
                max = max.max(load);
                total += load;
            }
            let mean = total / self.shards.len() as f64;
            if mean > 0.0 {
                sum += max / mean;
                counted += 1;
            }
        }
        if counted == 0 {
            1.0
        } else {
            sum / f64::from(counted)
        }
    }
}
