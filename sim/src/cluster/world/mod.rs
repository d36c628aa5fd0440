//! The cluster as a [`Model`]: invocations flowing from exchanges through routing and the network
//! into shard queues, running, and ending exactly once.
//!
//! ```text
//!  Arrival(source) ──▶ pick function ──▶ route ──▶ network ──▶ Deliver ──▶ shard: start | queue | drop
//!                                                    ▲                          │
//!                           re-route (crash, partition)                         ▼
//!                                                                   Finish: completed | timed out
//! ```
//!
//! Every invocation ends exactly once — completed, timed out, failed or dropped with a reason —
//! through `Books::end` (`state/books.rs`), and [`Cluster::conservation`] checks the books:
//! generated = ended + in flight.
//!
//! The one `impl Cluster` is split by pipeline stage, one file each: `build` (assembling a
//! checked configuration), `dispatch` (arrivals, function choice, routing and failover,
//! re-routing), `execute` (delivery, start, queue, finish), `market` (the market path, returns
//! and the market feed), `meter` (metric meters, what
//! routing reads, circuit breakers), `faults`, `migration` (moves, expansions, shrinks),
//! `control` (changes during the run, the performance monitor) and `queries` (what the cluster
//! reports, the planner's questions).

use std::sync::Arc;

use crate::cluster::arrivals::hawkes::HawkesState;
use crate::cluster::arrivals::poisson::SourceState;
use crate::cluster::arrivals::regime::RegimePath;
use crate::cluster::ids::{FunctionId, InvocationId, ShardId};
use crate::cluster::metrics::records::{
    ChangeRecord, FaultRecord, MigrationRecord, Redistribution,
};
use crate::cluster::routing::RoutingPolicy;
use crate::cluster::spec::faults::{BreakerConfig, Fault};
use crate::cluster::spec::function::Function;
use crate::cluster::spec::settings::{MonitorConfig, ScheduledChange, SelectionWeights};
use crate::cluster::spec::topology::Topology;
use crate::cluster::state::books::Books;
use crate::cluster::state::shard::{ShardLive, ShardState};
use crate::engine::{Model, Scheduler};
use crate::queue::EventKey;
use crate::rng::{RngStreams, SimRng};
use crate::time::{SimDuration, SimTime};

mod build;
mod control;
mod describe;
mod dispatch;
mod execute;
mod faults;
mod latent;
mod market;
mod meter;
mod migration;
mod queries;
#[cfg(test)]
mod test_hooks;

pub use control::LimitError;
pub use migration::MigrationError;

/// The cluster's events: a closed set, each carrying ids only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClusterEvent {
    /// The next event of a source.
    Arrival {
        /// Source index.
        source: u32,
    },
    /// The next event of a Hawkes group.
    HawkesArrival {
        /// Group index.
        group: u32,
    },
    /// An invocation reaches its shard.
    Deliver {
        /// Which.
        inv: InvocationId,
    },
    /// A running invocation finishes (or is killed at its timeout).
    Finish {
        /// Which.
        inv: InvocationId,
    },
    /// A migration's target is ready.
    MigrationReady {
        /// Index into the migration log.
        migration: u32,
    },
    /// A fault begins.
    FaultStart {
        /// Index into the fault list.
        fault: u32,
    },
    /// A fault ends.
    FaultEnd {
        /// Index into the fault list.
        fault: u32,
    },
    /// The performance monitor's periodic check.
    Monitor,
    /// A scheduled configuration change applies.
    Change {
        /// Index into the configured changes.
        index: u32,
    },
}

#[derive(Clone, Debug)]
struct ActiveMigration {
    record: MigrationRecord,
    /// The pending `MigrationReady` (none for a shrink, which is instant).
    key: Option<EventKey>,
}

#[derive(Clone, Debug)]
struct Streams {
    routing: SimRng,
    jitter: SimRng,
}

/// The simulated cluster.
#[derive(Clone, Debug)]
pub struct Cluster {
    topology: Topology,
    functions: Vec<Function>,
    function_streams: Vec<SimRng>,
    placements: Vec<Vec<ShardId>>,
    by_event_type: Vec<Vec<FunctionId>>,
    sources: Vec<SourceState>,
    hawkes: Vec<HawkesState>,
    /// The member each group's scheduled arrival belongs to.
    hawkes_next: Vec<usize>,
    regime: RegimePath,
    /// The market world, when the configuration has one.
    market: Option<Box<market::MarketWorld>>,
    pending_overrides: Vec<(String, Arc<dyn RoutingPolicy>)>,
    faults: Vec<Fault>,
    fault_keys: Vec<(EventKey, Option<EventKey>)>,
    fault_log: Vec<FaultRecord>,
    exchange_extra: Vec<SimDuration>,
    shards: Vec<ShardState>,
    live: Vec<ShardLive>,
    /// The live invocations, the totals and the per-function metrics.
    books: Books,
    migrations: Vec<ActiveMigration>,
    /// Transfers in flight per function.
    migrating: Vec<u32>,
    /// Cumulative offered work per function per shard (slot-ns), for the planner.
    function_work: Vec<Vec<u64>>,
    /// Per function, the events that arrived from each region's exchanges (the observed
    /// origins; a row per function, pushed as it registers).
    origin_counts: Vec<Vec<u64>>,
    route_sequence: Vec<u64>,
    function_routing: Vec<Option<Arc<dyn RoutingPolicy>>>,
    selection: SelectionWeights,
    monitor: Option<MonitorConfig>,
    demotions: Vec<Vec<(ShardId, SimTime)>>,
    redistributions: Vec<Redistribution>,
    changes: Vec<ScheduledChange>,
    change_log: Vec<ChangeRecord>,
    candidate_scratch: Vec<ShardId>,
    general_pool: Vec<ShardId>,
    routing: Arc<dyn RoutingPolicy>,
    streams: Streams,
    rng_streams: RngStreams,
    config_breaker: BreakerConfig,
    max_reroutes: u8,
    arrivals_until: SimTime,
}

impl Model for Cluster {
    type Event = ClusterEvent;

    #[inline]
    fn handle(&mut self, event: ClusterEvent, sched: &mut Scheduler<ClusterEvent>) {
        match event {
            ClusterEvent::Arrival { source } => self.on_arrival(source, sched),
            ClusterEvent::HawkesArrival { group } => self.on_hawkes_arrival(group, sched),
            ClusterEvent::Deliver { inv } => self.on_deliver(inv, sched),
            ClusterEvent::Finish { inv } => self.on_finish(inv, sched),
            ClusterEvent::MigrationReady { migration } => self.on_migration_ready(migration, sched),
            ClusterEvent::FaultStart { fault } => self.on_fault(fault, true, sched),
            ClusterEvent::FaultEnd { fault } => self.on_fault(fault, false, sched),
            ClusterEvent::Monitor => self.on_monitor(sched),
            ClusterEvent::Change { index } => self.on_change(index as usize, sched),
        }
    }
}
