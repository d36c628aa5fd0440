//! Routing: the policy trait and the read-only view of the cluster it decides on.
//!
//! A policy is pure: it reads the [`ClusterView`] and the request, and draws randomness only from
//! the stream it is handed. Adding a policy is one `impl RoutingPolicy`.

use std::fmt::Debug;

use super::event::DomainEvent;
use super::function::Function;
use super::ids::{FunctionId, ShardId};
use super::topology::{ShardSpec, Topology};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

/// What routing decides about: one event for one function.
#[derive(Clone, Copy, Debug)]
pub struct RouteRequest<'a> {
    /// The event.
    pub event: &'a DomainEvent,
    /// The function that will handle it.
    pub function: FunctionId,
    /// Its declaration.
    pub declaration: &'a Function,
    /// The shards the function is placed on, in placement order.
    pub candidates: &'a [ShardId],
}

/// Why no shard was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoRoute {
    /// The function is placed nowhere.
    #[error("the function is placed on no shard")]
    NoCandidates,
    /// Every candidate is down, unreachable or circuit-open.
    #[error("every candidate shard is unavailable")]
    AllUnavailable,
}

/// A routing policy.
pub trait RoutingPolicy: Debug + Send + Sync {
    /// Its name as used in scenarios and on the command line.
    fn name(&self) -> &'static str;

    /// Chooses a shard for `request`.
    fn select(
        &self,
        request: &RouteRequest<'_>,
        view: &ClusterView<'_>,
        rng: &mut SimRng,
    ) -> Result<ShardId, NoRoute>;
}

/// Sends each event to the available candidate with the lowest load (ties: lowest id first in
/// placement order).
#[derive(Clone, Copy, Debug, Default)]
pub struct LeastLoaded;

impl RoutingPolicy for LeastLoaded {
    fn name(&self) -> &'static str {
        "least-loaded"
    }

    #[inline]
    fn select(
        &self,
        request: &RouteRequest<'_>,
        view: &ClusterView<'_>,
        _rng: &mut SimRng,
    ) -> Result<ShardId, NoRoute> {
        if request.candidates.is_empty() {
            return Err(NoRoute::NoCandidates);
        }
        let mut best: Option<(f64, ShardId)> = None;
        for &s in request.candidates {
            if !view.is_available(s) {
                continue;
            }
            let load = view.load(s);
            if best.is_none_or(|(b, _)| load < b) {
                best = Some((load, s));
            }
        }
        best.map(|(_, s)| s).ok_or(NoRoute::AllUnavailable)
    }
}

/// Per-shard state routing reads on every decision, packed together for the cache.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ShardLive {
    /// (busy + reserved + queued slots) / cpu slots.
    pub load: f64,
    /// Crashed or partitioned away.
    pub offline: bool,
    /// The circuit breaker rejects work until this time.
    pub breaker_open_until: SimTime,
}

/// A shard's health as routing and reports see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// Taking work.
    Healthy,
    /// Taking work, but slowed down.
    Degraded,
    /// Circuit breaker open: skipped by routing until its cool-down ends.
    CircuitOpen,
    /// Unreachable (region partition).
    Unreachable,
    /// Crashed.
    Down,
}

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

/// Everything a policy or planner may read about the cluster, borrowed read-only.
#[derive(Clone, Copy, Debug)]
pub struct ClusterView<'a> {
    pub(crate) now: SimTime,
    pub(crate) topology: &'a Topology,
    pub(crate) live: &'a [ShardLive],
    pub(crate) shards: &'a [super::model::ShardState],
    pub(crate) functions: &'a [Function],
    pub(crate) placements: &'a [Vec<ShardId>],
}

impl<'a> ClusterView<'a> {
    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// The static topology.
    pub fn topology(&self) -> &'a Topology {
        self.topology
    }
    /// Number of shards.
    pub fn shard_count(&self) -> usize {
        self.live.len()
    }
    /// A shard's static description.
    pub fn spec(&self, s: ShardId) -> &'a ShardSpec {
        &self.topology.shards[s.index()]
    }
    /// (busy + migration-reserved + queued slots) / cpu slots; may exceed 1.
    #[inline]
    pub fn load(&self, s: ShardId) -> f64 {
        self.live[s.index()].load
    }
    /// Whether routing may send work to the shard now.
    #[inline]
    pub fn is_available(&self, s: ShardId) -> bool {
        let l = &self.live[s.index()];
        !l.offline && self.now >= l.breaker_open_until
    }
    /// The shard's health.
    pub fn health(&self, s: ShardId) -> Health {
        let st = &self.shards[s.index()];
        let l = &self.live[s.index()];
        if st.down > 0 {
            Health::Down
        } else if st.partitioned > 0 {
            Health::Unreachable
        } else if self.now < l.breaker_open_until {
            Health::CircuitOpen
        } else if st.slowdown != 1.0 {
            Health::Degraded
        } else {
            Health::Healthy
        }
    }
    /// Invocations waiting in the shard's queue.
    pub fn queue_depth(&self, s: ShardId) -> u32 {
        self.shards[s.index()].queued
    }
    /// Cpu slots neither running work nor reserved by a migration.
    pub fn free_slots(&self, s: ShardId) -> u32 {
        let st = &self.shards[s.index()];
        self.spec(s)
            .cpu_slots
            .saturating_sub(st.busy_slots + st.reserved_slots)
    }
    /// Memory not held by running work, MiB.
    pub fn free_memory_mb(&self, s: ShardId) -> u32 {
        self.spec(s)
            .memory_mb
            .saturating_sub(self.shards[s.index()].memory_used_mb)
    }
    /// The shard's last (up to 100) executions of a function, if any.
    pub fn history(&self, s: ShardId, f: FunctionId) -> Option<HistorySummary> {
        self.shards[s.index()]
            .history
            .get(f.index())
            .and_then(|h| h.summary())
    }
    /// A function's declaration.
    pub fn function(&self, f: FunctionId) -> &'a Function {
        &self.functions[f.index()]
    }
    /// Number of functions ever registered.
    pub fn function_count(&self) -> usize {
        self.functions.len()
    }
    /// The shards a function is placed on.
    pub fn placement(&self, f: FunctionId) -> &'a [ShardId] {
        &self.placements[f.index()]
    }
    /// Round-trip time between two shards' regions.
    pub fn rtt(&self, a: ShardId, b: ShardId) -> SimDuration {
        self.topology
            .network
            .rtt(self.spec(a).region, self.spec(b).region)
    }
}
