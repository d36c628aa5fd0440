//! What routing and planning read: a borrowed, read-only view of the cluster.

use crate::cluster::ids::{ExchangeId, FunctionId, ProtocolId, RegionId, ShardId};
use crate::cluster::spec::function::Function;
use crate::cluster::spec::topology::{ShardSpec, Topology};
use crate::cluster::state::shard::{
    History, HistorySummary, NEUTRAL_AFFINITY, ShardLive, ShardState,
};
use crate::time::{SimDuration, SimTime};

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

/// Affinity from the `i`-th history of a list; 0.5 (neutral) where there is none.
#[inline]
fn affinity_at(histories: &[History], i: usize) -> f64 {
    histories.get(i).map_or(NEUTRAL_AFFINITY, |h| h.affinity())
}

/// Everything a policy or planner may read about the cluster, borrowed read-only.
#[derive(Clone, Copy, Debug)]
pub struct ClusterView<'a> {
    pub(crate) now: SimTime,
    pub(crate) topology: &'a Topology,
    pub(crate) live: &'a [ShardLive],
    pub(crate) shards: &'a [ShardState],
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
    /// (busy + migration-reserved + queued + dispatched-in-transit slots) / cpu slots; may
    /// exceed 1.
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
    /// Cpu slots free on the shard now: neither running work nor reserved by a migration.
    /// (Work in transit is not subtracted: with network delays longer than service times, most
    /// of it arrives after today's work has finished. [`ClusterView::load`] does count it.)
    pub fn free_slots(&self, s: ShardId) -> u32 {
        let st = &self.shards[s.index()];
        self.spec(s)
            .cpu_slots
            .saturating_sub(st.busy_slots + st.reserved_slots)
    }
    /// Free cpu slots as a share of the shard's slots (0 to 1).
    #[inline]
    pub fn free_slot_share(&self, s: ShardId) -> f64 {
        f64::from(self.free_slots(s)) * self.live[s.index()].inv_slots
    }
    /// Free memory as a share of the shard's memory (0 to 1).
    #[inline]
    pub fn free_memory_share(&self, s: ShardId) -> f64 {
        f64::from(self.free_memory_mb(s)) * self.live[s.index()].inv_memory
    }
    /// The shard's affinity for a function: see [`HistorySummary::affinity`]; 0.5 without history.
    #[inline]
    pub fn function_affinity(&self, s: ShardId, f: FunctionId) -> f64 {
        affinity_at(&self.shards[s.index()].history, f.index())
    }
    /// The shard's affinity for a protocol's events; 0.5 without history.
    #[inline]
    pub fn protocol_affinity(&self, s: ShardId, p: ProtocolId) -> f64 {
        affinity_at(&self.shards[s.index()].protocol_history, p.index())
    }
    /// The shard's affinity for an exchange's events; 0.5 without history.
    #[inline]
    pub fn exchange_affinity(&self, s: ShardId, e: ExchangeId) -> f64 {
        affinity_at(&self.shards[s.index()].exchange_history, e.index())
    }
    /// Memory not held by running work, MiB.
    pub fn free_memory_mb(&self, s: ShardId) -> u32 {
        self.spec(s)
            .memory_mb
            .saturating_sub(self.shards[s.index()].memory_used_mb)
    }
    /// Slots running, reserved by a migration, wanted by queued work, or committed to work in
    /// transit to the shard.
    pub fn occupied_slots(&self, s: ShardId) -> u32 {
        let st = &self.shards[s.index()];
        st.busy_slots + st.reserved_slots + st.queued_slots + st.in_transit_slots
    }
    /// The shard's last (up to 100) executions of a function, if any.
    pub fn history(&self, s: ShardId, f: FunctionId) -> Option<HistorySummary> {
        self.shards[s.index()]
            .history
            .get(f.index())
            .and_then(|h| h.summary())
    }
    /// The shard's last (up to 100) executions of events of a protocol, if any.
    pub fn protocol_history(&self, s: ShardId, p: ProtocolId) -> Option<HistorySummary> {
        self.shards[s.index()]
            .protocol_history
            .get(p.index())
            .and_then(|h| h.summary())
    }
    /// The shard's last (up to 100) executions of events from an exchange, if any.
    pub fn exchange_history(&self, s: ShardId, e: ExchangeId) -> Option<HistorySummary> {
        self.shards[s.index()]
            .exchange_history
            .get(e.index())
            .and_then(|h| h.summary())
    }
    /// One-way network latency (half the RTT, no jitter) from a region to a shard, milliseconds.
    pub fn one_way_ms(&self, from: RegionId, s: ShardId) -> f64 {
        self.topology
            .network
            .rtt(from, self.spec(s).region)
            .as_millis_f64()
            / 2.0
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
