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
//! Every invocation ends exactly once — completed, timed out, failed or dropped with a reason — and
//! [`Cluster::conservation`] checks the books: generated = ended + in flight.

use std::collections::VecDeque;
use std::sync::Arc;

use rand::RngExt;

use super::event::DomainEvent;
use super::function::Version;
use super::function::{Function, FunctionSpec, FunctionSpecError, Priority};
use super::ids::{EventTypeId, ExchangeId, FunctionId, InvocationId, RegionId, ShardId};
use super::metrics::{
    DropReason, FailReason, FaultRecord, FunctionMetrics, MigrationKind, MigrationRecord,
    ShardInstant, ShardSeries,
};
use super::policies::LeastLoaded;
use super::routing::{ClusterView, HistorySummary, RouteRequest, RoutingPolicy, ShardLive};
use super::topology::Topology;
use super::workload::{
    HawkesGroup, HawkesState, PoissonSource, RegimeConfig, RegimePath, SourceError, SourceState,
};
use crate::engine::{Model, Scheduler, Simulation};
use crate::queue::EventKey;
use crate::rng::{RngStreams, SimRng};
use crate::time::{SimDuration, SimTime};

/// Circuit-breaker settings, per shard.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerConfig {
    /// Consecutive failures (timeouts or crashes) that open the breaker.
    pub failure_threshold: u32,
    /// How long it stays open before letting traffic probe it again (half-open).
    pub cooldown: SimDuration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 20,
            cooldown: SimDuration::from_secs(30),
        }
    }
}

/// What goes wrong, when, and for how long.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// The shard stops: running work fails, queued work is re-routed.
    Crash {
        /// Which shard.
        shard: ShardId,
    },
    /// The shard runs slower: service times are multiplied by `factor` (> 1 is slower).
    Slowdown {
        /// Which shard.
        shard: ShardId,
        /// Service-time multiplier.
        factor: f64,
    },
    /// The region's shards become unreachable: routing skips them, deliveries re-route.
    Partition {
        /// Which region.
        region: RegionId,
    },
    /// Events from the exchange take `extra` longer to reach any shard.
    ExchangeLatencySpike {
        /// Which exchange.
        exchange: ExchangeId,
        /// Added one-way latency.
        extra: SimDuration,
    },
}

/// A scheduled fault.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// When it starts.
    pub at: SimTime,
    /// How long it lasts.
    pub duration: SimDuration,
    /// What it is.
    pub kind: FaultKind,
}

/// Everything a cluster run needs besides the seed and the routing policy.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// Regions, network, shards, exchanges.
    pub topology: Topology,
    /// Functions and their initial placement (empty: every shard).
    pub functions: Vec<(FunctionSpec, Vec<ShardId>)>,
    /// Arrival sources.
    pub sources: Vec<PoissonSource>,
    /// Hawkes groups over some of the sources (a member is driven by its group, not alone).
    pub hawkes: Vec<HawkesGroup>,
    /// The calm ↔ volatile regime, if any.
    pub regime: Option<RegimeConfig>,
    /// Scheduled faults.
    pub faults: Vec<Fault>,
    /// Metrics interval (1 simulated minute by default).
    pub metrics_interval: SimDuration,
    /// Sources stop emitting at this time (in-flight work still finishes).
    pub arrivals_until: SimTime,
    /// Circuit breakers.
    pub breaker: BreakerConfig,
    /// Re-routes (crash, partition) before an invocation fails.
    pub max_reroutes: u8,
    /// Per-function routing policies, by function name, overriding the cluster's policy.
    pub routing_overrides: Vec<(String, Arc<dyn RoutingPolicy>)>,
    /// How to choose among several functions that handle one event type.
    pub selection: SelectionWeights,
    /// The performance monitor, if enabled.
    pub monitor: Option<MonitorConfig>,
    /// Configuration changes applied at given simulated times.
    pub changes: Vec<ScheduledChange>,
}

/// Weights of the composite score that picks one function when several handle an event type:
/// `load·(1 − mean load of its shards) + resources·(free slot share) + priority·(priority / 3) +
/// affinity·(mean affinity of its shards)`. They must sum to 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SelectionWeights {
    /// Weight of the placement's spare load.
    pub load: f64,
    /// Weight of the placement's free cpu slots.
    pub resources: f64,
    /// Weight of the function's priority.
    pub priority: f64,
    /// Weight of the placement's recent success with the function.
    pub affinity: f64,
}

impl Default for SelectionWeights {
    fn default() -> Self {
        SelectionWeights {
            load: 0.3,
            resources: 0.25,
            priority: 0.25,
            affinity: 0.2,
        }
    }
}

impl SelectionWeights {
    fn validate(&self) -> Result<(), ClusterError> {
        let w = [self.load, self.resources, self.priority, self.affinity];
        if w.iter().any(|x| !(x.is_finite() && *x >= 0.0))
            || (w.iter().sum::<f64>() - 1.0).abs() > 1e-9
        {
            return Err(ClusterError::Invalid(format!(
                "function selection weights must be >= 0 and sum to 1 (got {w:?}, sum {})",
                w.iter().sum::<f64>()
            )));
        }
        Ok(())
    }
}

/// The seeds' `monitorFunctionPerformance`: every `interval`, a function whose mean execution
/// time on a shard (over its last 100 runs there, at least `min_executions`) exceeds
/// `slow_factor` × its expected time on that shard has its preference moved off the shard for
/// `demotion`: routing offers the shard only if nothing else is available.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MonitorConfig {
    /// How often to check.
    pub interval: SimDuration,
    /// Mean over expected that counts as slow (1.5 in the seeds).
    pub slow_factor: f64,
    /// Executions needed before a shard is judged.
    pub min_executions: u32,
    /// How long a slow shard stays demoted.
    pub demotion: SimDuration,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            interval: SimDuration::from_mins(1),
            slow_factor: 1.5,
            min_executions: 20,
            demotion: SimDuration::from_mins(5),
        }
    }
}

/// A redistribution made by the performance monitor.
#[derive(Clone, Debug, PartialEq)]
pub struct Redistribution {
    /// When.
    pub at: SimTime,
    /// Which function.
    pub function: FunctionId,
    /// The slow shard it was moved off.
    pub from: ShardId,
    /// The least loaded remaining shard its preference moved to, if any.
    pub to: Option<ShardId>,
    /// Mean execution time seen on `from`.
    pub mean: SimDuration,
    /// Expected execution time on `from` (declared mean / shard speed).
    pub expected: SimDuration,
}

/// A configuration change.
#[derive(Clone, Debug)]
pub enum Change {
    /// A new function (e.g. a protocol launch), registered at the change's time.
    RegisterFunction {
        /// Its declaration.
        spec: Box<FunctionSpec>,
        /// Its placement (empty: every shard).
        placement: Vec<ShardId>,
    },
    /// A new traffic split between a function's versions, on every shard at once.
    TrafficSplit {
        /// Which function.
        function: FunctionId,
        /// The new versions (percentages summing to 100).
        versions: Vec<super::function::Version>,
    },
    /// New resource limits for a shard; refused if current usage already exceeds them.
    ShardLimits {
        /// Which shard.
        shard: ShardId,
        /// New cpu slots.
        cpu_slots: u32,
        /// New memory, MiB.
        memory_mb: u32,
    },
}

/// A change and when it applies.
#[derive(Clone, Debug)]
pub struct ScheduledChange {
    /// When.
    pub at: SimTime,
    /// What.
    pub change: Change,
}

/// What happened to a scheduled change.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeRecord {
    /// When it was applied.
    pub at: SimTime,
    /// Index into the configured changes.
    pub index: usize,
    /// `Err` with the reason if it was refused.
    pub outcome: Result<(), String>,
}

/// A shard-limit update that would cut below current usage.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// Unknown shard.
    #[error("shard {0} does not exist")]
    NoSuchShard(ShardId),
    /// Zero cpu slots.
    #[error("shard {shard}: cpu_slots must be >= 1")]
    ZeroSlots {
        /// Which shard.
        shard: ShardId,
    },
    /// Usage already above the new limit.
    #[error("shard {shard}: {resource} in use ({in_use}) exceeds the new limit ({limit})")]
    InUse {
        /// Which shard.
        shard: ShardId,
        /// `cpu_slots` or `memory_mb`.
        resource: &'static str,
        /// Currently used.
        in_use: u32,
        /// Requested limit.
        limit: u32,
    },
}

impl ClusterConfig {
    /// A configuration over `topology` with no functions, sources or faults yet.
    pub fn new(topology: Topology) -> Self {
        ClusterConfig {
            topology,
            functions: Vec::new(),
            sources: Vec::new(),
            hawkes: Vec::new(),
            regime: None,
            faults: Vec::new(),
            metrics_interval: SimDuration::from_mins(1),
            arrivals_until: SimTime::MAX,
            breaker: BreakerConfig::default(),
            max_reroutes: 3,
            routing_overrides: Vec::new(),
            selection: SelectionWeights::default(),
            monitor: None,
            changes: Vec::new(),
        }
    }
}

/// A configuration the cluster cannot run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ClusterError {
    /// A bad function declaration.
    #[error(transparent)]
    Function(#[from] FunctionSpecError),
    /// A bad source.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A reference to something that does not exist.
    #[error("{what} refers to {kind} {index}, but only {count} exist")]
    OutOfRange {
        /// Who refers.
        what: String,
        /// To what kind of thing.
        kind: &'static str,
        /// The index used.
        index: usize,
        /// How many there are.
        count: usize,
    },
    /// Any other inconsistent setting.
    #[error("{0}")]
    Invalid(String),
}

/// Why a migration cannot start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MigrationError {
    /// Unknown or removed function.
    #[error("function {0} does not exist or was removed")]
    NoSuchFunction(FunctionId),
    /// Unknown shard.
    #[error("shard {0} does not exist")]
    NoSuchShard(ShardId),
    /// The function is not on the source shard.
    #[error("function {0} is not placed on shard {1}")]
    NotPlaced(FunctionId, ShardId),
    /// The function is already on the target shard.
    #[error("function {0} is already placed on shard {1}")]
    AlreadyPlaced(FunctionId, ShardId),
    /// The target cannot take work.
    #[error("target shard {0} is unavailable")]
    TargetUnavailable(ShardId),
    /// The function is already moving.
    #[error("function {0} is already migrating")]
    Busy(FunctionId),
    /// Removing the shard would leave the function nowhere to run.
    #[error("shard {1} is the last available shard of function {0}")]
    LastShard(FunctionId, ShardId),
}

/// The cluster's events: a closed set, each carrying ids only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InvState {
    Free,
    InNetwork,
    Queued,
    Running,
}

#[derive(Clone, Copy, Debug)]
struct Invocation {
    event: DomainEvent,
    function: FunctionId,
    arrived: SimTime,
    deadline: SimTime,
    base_service_ns: u64,
    shard: ShardId,
    slots: u32,
    memory_mb: u32,
    priority: Priority,
    reroutes: u8,
    state: InvState,
    times_out: bool,
    run_ns: u64,
    started: SimTime,
    /// Bit i: emit the function's i-th follow-up event on in-time completion.
    emit_mask: u8,
    running_index: u32,
    finish: Option<EventKey>,
}

/// The last 100 executions of one function on one shard.
#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    ring: Vec<(u64, bool)>,
    next: usize,
    successes: u32,
    duration_sum: u64,
}

const HISTORY_LEN: usize = 100;

impl History {
    fn push(&mut self, duration_ns: u64, success: bool) {
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
            return 0.5;
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
    pub busy_slots: u32,
    pub reserved_slots: u32,
    pub memory_used_mb: u32,
    queues: [VecDeque<InvocationId>; 4],
    pub queued: u32,
    pub queued_slots: u32,
    /// Slots of invocations dispatched here and still in the network. The dispatcher knows what
    /// it sent, so routing counts them; without this, every decision made during one network
    /// delay sees the same "idle" shard and herds onto it.
    pub in_transit_slots: u32,
    running: Vec<InvocationId>,
    /// Active crash faults (a count, so overlapping faults nest).
    pub down: u32,
    /// Active partitions of its region.
    pub partitioned: u32,
    /// Service-time multiplier from active slowdowns.
    pub slowdown: f64,
    consecutive_failures: u32,
    breaker_probing: bool,
    pub history: Vec<History>,
    pub protocol_history: Vec<History>,
    pub exchange_history: Vec<History>,
    series: ShardSeries,
}

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
    function_metrics: Vec<FunctionMetrics>,
    placements: Vec<Vec<ShardId>>,
    by_event_type: Vec<Vec<FunctionId>>,
    sources: Vec<SourceState>,
    hawkes: Vec<HawkesState>,
    /// The member each group's scheduled arrival belongs to.
    hawkes_next: Vec<usize>,
    regime: RegimePath,
    pending_overrides: Vec<(String, Arc<dyn RoutingPolicy>)>,
    faults: Vec<Fault>,
    fault_keys: Vec<(EventKey, Option<EventKey>)>,
    fault_log: Vec<FaultRecord>,
    exchange_extra: Vec<SimDuration>,
    shards: Vec<ShardState>,
    live: Vec<ShardLive>,
    invocations: Vec<Invocation>,
    free_invocations: Vec<u32>,
    migrations: Vec<ActiveMigration>,
    /// Transfers in flight per function.
    migrating: Vec<u32>,
    /// Cumulative offered work per function per shard (slot-ns), for the planner.
    function_work: Vec<Vec<u64>>,
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
    totals: Conservation,
    config_breaker: BreakerConfig,
    max_reroutes: u8,
    arrivals_until: SimTime,
    metrics_interval: SimDuration,
}

impl Cluster {
    /// Builds a cluster simulation with every source's first arrival and every fault scheduled.
    pub fn simulation(
        config: ClusterConfig,
        seed: u64,
        routing: Arc<dyn RoutingPolicy>,
    ) -> Result<Simulation<Cluster>, ClusterError> {
        let ClusterConfig {
            topology,
            functions,
            sources,
            hawkes,
            regime,
            faults,
            metrics_interval,
            arrivals_until,
            breaker,
            max_reroutes,
            routing_overrides,
            selection,
            monitor,
            changes,
        } = config;
        validate_topology(&topology)?;
        selection.validate()?;
        if let Some(m) = &monitor
            && (m.interval == SimDuration::ZERO
                || !(m.slow_factor.is_finite() && m.slow_factor > 0.0))
        {
            return Err(ClusterError::Invalid(
                "monitor: interval must be > 0 and slow_factor > 0".into(),
            ));
        }
        if metrics_interval == SimDuration::ZERO {
            return Err(ClusterError::Invalid("metrics interval must be > 0".into()));
        }
        let rng_streams = RngStreams::new(seed);
        let general_pool = topology
            .shard_ids()
            .filter(|s| topology.shards[s.index()].tags.general)
            .collect();
        let shards = topology
            .shards
            .iter()
            .map(|s| ShardState {
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
                series: ShardSeries::new(metrics_interval, s.cpu_slots, s.queue_capacity),
            })
            .collect();
        let live = topology
            .shards
            .iter()
            .map(|s| ShardLive {
                load: 0.0,
                offline: false,
                breaker_open_until: SimTime::ZERO,
                inv_slots: 1.0 / f64::from(s.cpu_slots.max(1)),
                inv_memory: 1.0 / f64::from(s.memory_mb.max(1)),
            })
            .collect();
        let mut cluster = Cluster {
            exchange_extra: vec![SimDuration::ZERO; topology.exchanges.len()],
            topology,
            functions: Vec::new(),
            function_streams: Vec::new(),
            function_metrics: Vec::new(),
            placements: Vec::new(),
            by_event_type: Vec::new(),
            sources: Vec::new(),
            hawkes: Vec::new(),
            hawkes_next: Vec::new(),
            regime: RegimePath::calm(),
            pending_overrides: Vec::new(),
            faults: Vec::new(),
            fault_keys: Vec::new(),
            fault_log: Vec::new(),
            shards,
            live,
            invocations: Vec::new(),
            free_invocations: Vec::new(),
            migrations: Vec::new(),
            migrating: Vec::new(),
            function_work: Vec::new(),
            route_sequence: Vec::new(),
            function_routing: Vec::new(),
            selection,
            monitor,
            demotions: Vec::new(),
            redistributions: Vec::new(),
            changes: Vec::new(),
            change_log: Vec::new(),
            candidate_scratch: Vec::new(),
            general_pool,
            routing,
            streams: Streams {
                routing: rng_streams.stream("routing"),
                jitter: rng_streams.stream("network/jitter"),
            },
            rng_streams,
            totals: Conservation::default(),
            config_breaker: breaker,
            max_reroutes,
            arrivals_until,
            metrics_interval,
        };
        for (spec, placement) in functions {
            cluster.register_function(spec, placement)?;
        }
        let mut seen_names = std::collections::BTreeSet::new();
        for (i, spec) in sources.into_iter().enumerate() {
            if spec.exchange.index() >= cluster.topology.exchanges.len() {
                return Err(ClusterError::OutOfRange {
                    what: format!("source `{}`", spec.name),
                    kind: "exchange",
                    index: spec.exchange.index(),
                    count: cluster.topology.exchanges.len(),
                });
            }
            if !seen_names.insert(spec.name.clone()) {
                return Err(ClusterError::Invalid(format!(
                    "two sources are named `{}`: names key the random streams and must be unique",
                    spec.name
                )));
            }
            let rng = cluster
                .rng_streams
                .stream(&format!("arrivals/{}", spec.name));
            cluster.sources.push(SourceState::new(spec, i as u32, rng)?);
        }
        for (i, fault) in faults.iter().enumerate() {
            cluster.validate_fault(i, fault)?;
        }
        if let Some(r) = &regime {
            if !(r.volatile_multiplier.is_finite() && r.volatile_multiplier > 0.0)
                || r.calm_mean == SimDuration::ZERO
                || r.volatile_mean == SimDuration::ZERO
                || r.episode.half_life == Some(SimDuration::ZERO)
            {
                return Err(ClusterError::Invalid(
                    "regime: calm and volatile means must be > 0, the multiplier > 0 and a half-life > 0"
                        .into(),
                ));
            }
            let mut rng = cluster.rng_streams.stream("regime");
            cluster.regime = RegimePath::draw(r, arrivals_until, &mut rng);
        }
        let all_sources: Vec<PoissonSource> =
            cluster.sources.iter().map(|s| s.spec.clone()).collect();
        let mut in_group = vec![false; all_sources.len()];
        for group in &hawkes {
            for &m in &group.members {
                match in_group.get_mut(m) {
                    Some(taken) if !*taken => *taken = true,
                    Some(_) => {
                        return Err(ClusterError::Invalid(format!(
                            "source `{}` belongs to more than one Hawkes group",
                            all_sources[m].name
                        )));
                    }
                    None => {
                        return Err(ClusterError::OutOfRange {
                            what: format!("Hawkes group `{}`", group.name),
                            kind: "source",
                            index: m,
                            count: all_sources.len(),
                        });
                    }
                }
            }
            let rng = cluster
                .rng_streams
                .stream(&format!("arrivals/{}", group.name));
            cluster
                .hawkes
                .push(HawkesState::new(group, &all_sources, rng)?);
        }
        let launched: Vec<String> = changes
            .iter()
            .filter_map(|c| match &c.change {
                Change::RegisterFunction { spec, .. } => Some(spec.name.clone()),
                _ => None,
            })
            .collect();
        for (name, policy) in routing_overrides {
            match cluster.functions.iter().position(|f| f.spec.name == name) {
                Some(f) => cluster.function_routing[f] = Some(policy),
                None if launched.contains(&name) => cluster.pending_overrides.push((name, policy)),
                None => {
                    return Err(ClusterError::Invalid(format!(
                        "routing override for `{name}`, which is not a declared function"
                    )));
                }
            }
        }
        for (i, change) in changes.iter().enumerate() {
            cluster.validate_change(i, &change.change)?;
        }
        let mut sim = Simulation::new(cluster);
        let (cluster, sched) = sim.parts_mut();
        let until = cluster.arrivals_until;
        for (i, grouped) in in_group.iter().enumerate() {
            if *grouped {
                continue;
            }
            if let Some(first) =
                cluster.sources[i].next_arrival(SimTime::ZERO, until, &cluster.regime)
            {
                sched.schedule_at(first, ClusterEvent::Arrival { source: i as u32 });
            }
        }
        for g in 0..cluster.hawkes.len() {
            if let Some((first, member)) =
                cluster.hawkes[g].next_arrival(SimTime::ZERO, until, &cluster.regime)
            {
                cluster.hawkes_next.push(member);
                sched.schedule_at(first, ClusterEvent::HawkesArrival { group: g as u32 });
            } else {
                cluster.hawkes_next.push(usize::MAX);
            }
        }
        for (i, fault) in faults.into_iter().enumerate() {
            let start = sched.schedule_at(fault.at, ClusterEvent::FaultStart { fault: i as u32 });
            cluster.fault_keys.push((start, None));
            cluster.faults.push(fault);
        }
        for (i, change) in changes.into_iter().enumerate() {
            sched.schedule_at(change.at, ClusterEvent::Change { index: i as u32 });
            cluster.changes.push(change);
        }
        if let Some(m) = cluster.monitor {
            sched.schedule_at(SimTime::ZERO + m.interval, ClusterEvent::Monitor);
        }
        Ok(sim)
    }

    fn validate_change(&self, i: usize, change: &Change) -> Result<(), ClusterError> {
        match change {
            Change::RegisterFunction { spec, placement } => {
                Function::new((**spec).clone())?;
                if let Some(s) = placement.iter().find(|s| s.index() >= self.shards.len()) {
                    return Err(ClusterError::OutOfRange {
                        what: format!("change #{i} (launch of `{}`)", spec.name),
                        kind: "shard",
                        index: s.index(),
                        count: self.shards.len(),
                    });
                }
                Ok(())
            }
            Change::TrafficSplit { function, versions } => {
                let f = self.functions.get(function.index()).ok_or_else(|| {
                    ClusterError::OutOfRange {
                        what: format!("change #{i}"),
                        kind: "function",
                        index: function.index(),
                        count: self.functions.len(),
                    }
                })?;
                let mut spec = f.spec.clone();
                spec.versions = versions.clone();
                Function::new(spec)?;
                Ok(())
            }
            Change::ShardLimits { shard, .. } if shard.index() >= self.shards.len() => {
                Err(ClusterError::OutOfRange {
                    what: format!("change #{i}"),
                    kind: "shard",
                    index: shard.index(),
                    count: self.shards.len(),
                })
            }
            Change::ShardLimits { .. } => Ok(()),
        }
    }

    fn validate_fault(&self, i: usize, fault: &Fault) -> Result<(), ClusterError> {
        let what = || format!("fault #{i}");
        let check = |kind, index: usize, count: usize| {
            if index >= count {
                Err(ClusterError::OutOfRange {
                    what: what(),
                    kind,
                    index,
                    count,
                })
            } else {
                Ok(())
            }
        };
        match fault.kind {
            FaultKind::Crash { shard } => check("shard", shard.index(), self.shards.len()),
            FaultKind::Slowdown { shard, factor } => {
                check("shard", shard.index(), self.shards.len())?;
                if !(factor.is_finite() && factor > 0.0) {
                    return Err(ClusterError::Invalid(format!(
                        "{}: slowdown factor must be > 0 (got {factor})",
                        what()
                    )));
                }
                Ok(())
            }
            FaultKind::Partition { region } => {
                check("region", region.index(), self.topology.regions.len())
            }
            FaultKind::ExchangeLatencySpike { exchange, .. } => {
                check("exchange", exchange.index(), self.topology.exchanges.len())
            }
        }
    }

    /// Registers a function while the simulation runs (e.g. a protocol launch); it receives events
    /// from now on. An empty placement means every shard.
    pub fn register_function(
        &mut self,
        spec: FunctionSpec,
        placement: Vec<ShardId>,
    ) -> Result<FunctionId, ClusterError> {
        if self.functions.iter().any(|f| f.spec.name == spec.name) {
            return Err(ClusterError::Invalid(format!(
                "function `{}` is declared twice",
                spec.name
            )));
        }
        for s in &placement {
            if s.index() >= self.shards.len() {
                return Err(ClusterError::OutOfRange {
                    what: format!("placement of function `{}`", spec.name),
                    kind: "shard",
                    index: s.index(),
                    count: self.shards.len(),
                });
            }
        }
        let placement = if placement.is_empty() {
            self.topology.shard_ids().collect()
        } else {
            placement
        };
        let id = FunctionId(self.functions.len() as u32);
        let function = Function::new(spec)?;
        let et = function.spec.handles.index();
        if self.by_event_type.len() <= et {
            self.by_event_type.resize(et + 1, Vec::new());
        }
        self.by_event_type[et].push(id);
        self.function_streams.push(
            self.rng_streams
                .stream(&format!("service/{}", function.spec.name)),
        );
        self.function_metrics.push(FunctionMetrics {
            completed_by_shard: vec![0; self.shards.len()],
            by_version: vec![0; function.spec.versions.len().max(1)],
            ..FunctionMetrics::default()
        });
        self.functions.push(function);
        self.placements.push(placement);
        self.migrating.push(0);
        self.function_work.push(vec![0; self.shards.len()]);
        self.route_sequence.push(0);
        self.function_routing.push(None);
        self.demotions.push(Vec::new());
        Ok(id)
    }

    /// Stops routing new events to a function; its in-flight invocations still finish.
    pub fn remove_function(&mut self, f: FunctionId) -> bool {
        match self.functions.get_mut(f.index()) {
            Some(func) if func.active => {
                func.active = false;
                true
            }
            _ => false,
        }
    }

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
        &self.function_metrics
    }

    /// A shard's closed metric intervals (call [`Cluster::close_metrics`] first at the end).
    pub fn shard_series(&self, s: ShardId) -> &ShardSeries {
        &self.shards[s.index()].series
    }

    /// Migrations that finished or aborted, in the order they ended, then those still running.
    pub fn migrations(&self) -> Vec<MigrationRecord> {
        let mut done: Vec<_> = self
            .migrations
            .iter()
            .filter(|m| m.record.ready != SimTime::MAX)
            .map(|m| m.record.clone())
            .collect();
        done.sort_by_key(|r| r.ready);
        done.extend(
            self.migrations
                .iter()
                .filter(|m| m.record.ready == SimTime::MAX)
                .map(|m| m.record.clone()),
        );
        done
    }

    /// Faults as they started and ended.
    pub fn fault_log(&self) -> &[FaultRecord] {
        &self.fault_log
    }

    /// The metrics interval.
    pub fn metrics_interval(&self) -> SimDuration {
        self.metrics_interval
    }

    /// Closes every metric interval that ended at or before `now` on every shard.
    pub fn close_metrics(&mut self, now: SimTime) {
        for i in 0..self.shards.len() {
            self.advance_meter(ShardId(i as u32), now);
        }
    }

    /// Cancels a scheduled fault that has not started yet (for what-if forks). Returns whether it
    /// was still pending.
    pub fn cancel_fault(&mut self, sched: &mut Scheduler<ClusterEvent>, fault: usize) -> bool {
        match self.fault_keys.get(fault) {
            Some(&(start, _)) => sched.cancel(start),
            None => false,
        }
    }

    /// The books, recounted from the invocations themselves.
    pub fn conservation(&self) -> Conservation {
        let mut c = self.totals;
        c.in_network = 0;
        c.queued = 0;
        c.running = 0;
        for inv in &self.invocations {
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
            .invocations
            .iter()
            .filter(|i| i.state == InvState::InNetwork)
            .map(|i| u64::from(i.slots))
            .sum();
        let live = self.invocations.len() as u64 - self.free_invocations.len() as u64;
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

    /// Starts moving function `f` from shard `from` to `to`. The source keeps serving until the
    /// target is ready (state transfer over the link between their regions, plus warm-up); one
    /// cpu slot is reserved on each shard meanwhile.
    pub fn start_migration(
        &mut self,
        sched: &mut Scheduler<ClusterEvent>,
        f: FunctionId,
        from: ShardId,
        to: ShardId,
        reason: &str,
    ) -> Result<(), MigrationError> {
        self.check_placement_change(sched.now(), f, Some(from), Some(to))?;
        self.begin_transfer(sched, MigrationKind::Move, f, from, to, reason);
        Ok(())
    }

    /// Starts adding shard `to` to function `f`'s placement (scale out). The state is copied
    /// from the placed shard with the shortest round trip to `to` (the first such in placement
    /// order); as with [`Cluster::start_migration`], one slot is reserved on both shards until
    /// `to` is warm, and `to` takes traffic from then on. Several expansions of one function
    /// may run at once; not while it moves.
    pub fn start_expansion(
        &mut self,
        sched: &mut Scheduler<ClusterEvent>,
        f: FunctionId,
        to: ShardId,
        reason: &str,
    ) -> Result<(), MigrationError> {
        self.check_placement_change(sched.now(), f, None, Some(to))?;
        let to_region = self.topology.shards[to.index()].region;
        let net = &self.topology.network;
        let shards = &self.topology.shards;
        let from = self.placements[f.index()]
            .iter()
            .copied()
            .min_by_key(|s| net.rtt(shards[s.index()].region, to_region))
            .ok_or(MigrationError::NotPlaced(f, to))?;
        self.begin_transfer(sched, MigrationKind::Expand, f, from, to, reason);
        Ok(())
    }

    /// Removes shard `shard` from function `f`'s placement at once (scale in): new events route
    /// elsewhere, work already sent there finishes there. Refused when it would leave `f` with
    /// no available shard.
    pub fn shrink_placement(
        &mut self,
        now: SimTime,
        f: FunctionId,
        shard: ShardId,
        reason: &str,
    ) -> Result<(), MigrationError> {
        self.check_placement_change(now, f, Some(shard), None)?;
        let view = self.view(now);
        if !self.placements[f.index()]
            .iter()
            .any(|&s| s != shard && view.is_available(s))
        {
            return Err(MigrationError::LastShard(f, shard));
        }
        self.placements[f.index()].retain(|&s| s != shard);
        self.migrations.push(ActiveMigration {
            record: MigrationRecord {
                kind: MigrationKind::Shrink,
                start: now,
                ready: now,
                function: f,
                from: shard,
                to: shard,
                reason: reason.to_owned(),
                cost_slot_secs: 0.0,
                completed: true,
            },
            key: None,
        });
        Ok(())
    }

    fn check_placement_change(
        &self,
        now: SimTime,
        f: FunctionId,
        leave: Option<ShardId>,
        join: Option<ShardId>,
    ) -> Result<(), MigrationError> {
        if !self
            .functions
            .get(f.index())
            .is_some_and(|func| func.active)
        {
            return Err(MigrationError::NoSuchFunction(f));
        }
        for s in leave.into_iter().chain(join) {
            if s.index() >= self.shards.len() {
                return Err(MigrationError::NoSuchShard(s));
            }
        }
        let placement = &self.placements[f.index()];
        if let Some(from) = leave
            && !placement.contains(&from)
        {
            return Err(MigrationError::NotPlaced(f, from));
        }
        let in_flight = || {
            self.migrations
                .iter()
                .map(|m| &m.record)
                .filter(move |r| r.function == f && r.ready == SimTime::MAX)
        };
        // Expansions of one function may overlap (each adds its own shard); a move or a shrink
        // changes the shards others copy from, so it runs alone.
        let busy = match (leave, join) {
            (None, Some(_)) => in_flight().any(|r| r.kind != MigrationKind::Expand),
            _ => self.migrating[f.index()] > 0,
        };
        if busy {
            return Err(MigrationError::Busy(f));
        }
        if let Some(to) = join {
            if placement.contains(&to) || in_flight().any(|r| r.to == to) {
                return Err(MigrationError::AlreadyPlaced(f, to));
            }
            if !self.view(now).is_available(to) {
                return Err(MigrationError::TargetUnavailable(to));
            }
        }
        Ok(())
    }

    fn begin_transfer(
        &mut self,
        sched: &mut Scheduler<ClusterEvent>,
        kind: MigrationKind,
        f: FunctionId,
        from: ShardId,
        to: ShardId,
        reason: &str,
    ) {
        let now = sched.now();
        let net = &self.topology.network;
        let duration = net.transfer_time(
            self.topology.shards[from.index()].region,
            self.topology.shards[to.index()].region,
            self.functions[f.index()].spec.state_bytes,
        ) + self.functions[f.index()].spec.warmup;
        for s in [from, to] {
            self.advance_meter(s, now);
            self.shards[s.index()].reserved_slots += 1;
            self.sync_shard(s, now);
        }
        let index = self.migrations.len() as u32;
        let key = sched.schedule_in(duration, ClusterEvent::MigrationReady { migration: index });
        self.migrating[f.index()] += 1;
        self.migrations.push(ActiveMigration {
            record: MigrationRecord {
                kind,
                start: now,
                ready: SimTime::MAX,
                function: f,
                from,
                to,
                reason: reason.to_owned(),
                cost_slot_secs: 2.0 * duration.as_secs_f64(),
                completed: false,
            },
            key: Some(key),
        });
    }

    /// Whether function `f`'s traffic rises in the volatile regime: it handles events from a
    /// regime-sensitive source, or follow-ups emitted by such a function. What an operator knows
    /// about which feeds react to volatility, used to pre-allocate capacity when it starts.
    pub fn regime_sensitive(&self, f: FunctionId) -> bool {
        let mut types: Vec<EventTypeId> = Vec::new();
        for source in self
            .sources
            .iter()
            .filter(|s| s.spec.shape.regime_sensitive)
        {
            if !types.contains(&source.spec.event_type) {
                types.push(source.spec.event_type);
            }
        }
        // Follow-ups of sensitive functions are sensitive too; repeat until nothing is added.
        loop {
            let before = types.len();
            for func in self.functions.iter().filter(|g| g.active) {
                if types.contains(&func.spec.handles) {
                    for e in &func.spec.emits {
                        if !types.contains(&e.event_type) {
                            types.push(e.event_type);
                        }
                    }
                }
            }
            if types.len() == before {
                break;
            }
        }
        self.functions
            .get(f.index())
            .is_some_and(|func| types.contains(&func.spec.handles))
    }

    /// Where function `f`'s events come from: the home regions of the exchanges of the sources
    /// that emit its event type, weighted by their base rates (summing to 1), in region order.
    /// Empty when only follow-up events reach it.
    pub fn origins(&self, f: FunctionId) -> Vec<(RegionId, f64)> {
        let Some(func) = self.functions.get(f.index()) else {
            return Vec::new();
        };
        let mut weights = vec![0.0; self.topology.regions.len()];
        for src in self
            .sources
            .iter()
            .filter(|s| s.spec.event_type == func.spec.handles)
        {
            let home = self.topology.exchanges[src.spec.exchange.index()].home;
            weights[home.index()] += src.spec.rate_per_sec;
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return Vec::new();
        }
        weights
            .into_iter()
            .enumerate()
            .filter(|(_, w)| *w > 0.0)
            .map(|(r, w)| (RegionId(r as u16), w / total))
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

    /// Routes `f`'s events with `policy` instead of the cluster's policy from now on.
    pub fn set_function_routing(&mut self, f: FunctionId, policy: Option<Arc<dyn RoutingPolicy>>) {
        self.function_routing[f.index()] = policy;
    }

    /// Replaces a function's traffic split; every invocation arriving from now on uses it, on
    /// every shard at once. Percentages must sum to 100 (empty: a single version).
    pub fn set_traffic_split(
        &mut self,
        f: FunctionId,
        versions: Vec<Version>,
    ) -> Result<(), ClusterError> {
        let func = self
            .functions
            .get(f.index())
            .ok_or_else(|| ClusterError::OutOfRange {
                what: "traffic split".into(),
                kind: "function",
                index: f.index(),
                count: self.functions.len(),
            })?;
        let mut spec = func.spec.clone();
        spec.versions = versions;
        let mut updated = Function::new(spec)?;
        updated.active = func.active;
        let slots = updated.spec.versions.len().max(1);
        let counts = &mut self.function_metrics[f.index()].by_version;
        if counts.len() < slots {
            counts.resize(slots, 0);
        }
        self.functions[f.index()] = updated;
        Ok(())
    }

    /// Changes a shard's cpu slots and memory. Refused, changing nothing, if the shard already uses
    /// more than the new limit.
    pub fn update_shard_limits(
        &mut self,
        shard: ShardId,
        cpu_slots: u32,
        memory_mb: u32,
        now: SimTime,
    ) -> Result<(), LimitError> {
        let st = self
            .shards
            .get(shard.index())
            .ok_or(LimitError::NoSuchShard(shard))?;
        if cpu_slots == 0 {
            return Err(LimitError::ZeroSlots { shard });
        }
        let busy = st.busy_slots + st.reserved_slots;
        if busy > cpu_slots {
            return Err(LimitError::InUse {
                shard,
                resource: "cpu_slots",
                in_use: busy,
                limit: cpu_slots,
            });
        }
        if st.memory_used_mb > memory_mb {
            return Err(LimitError::InUse {
                shard,
                resource: "memory_mb",
                in_use: st.memory_used_mb,
                limit: memory_mb,
            });
        }
        self.advance_meter(shard, now);
        let spec = &mut self.topology.shards[shard.index()];
        spec.cpu_slots = cpu_slots;
        spec.memory_mb = memory_mb;
        self.shards[shard.index()].series.set_slots(cpu_slots);
        let live = &mut self.live[shard.index()];
        live.inv_slots = 1.0 / f64::from(cpu_slots);
        live.inv_memory = 1.0 / f64::from(memory_mb.max(1));
        self.sync_shard(shard, now);
        Ok(())
    }

    /// Redistributions made by the performance monitor.
    pub fn redistributions(&self) -> &[Redistribution] {
        &self.redistributions
    }

    /// What happened to each scheduled configuration change, in the order applied.
    pub fn change_log(&self) -> &[ChangeRecord] {
        &self.change_log
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

    fn on_monitor(&mut self, sched: &mut Scheduler<ClusterEvent>) {
        let now = sched.now();
        let Some(cfg) = self.monitor else { return };
        sched.schedule_in(cfg.interval, ClusterEvent::Monitor);
        for f in 0..self.functions.len() {
            self.demotions[f].retain(|&(_, until)| now < until);
            if !self.functions[f].active {
                continue;
            }
            let function = FunctionId(f as u32);
            let expected_ns = self.functions[f].mean_service_ns();
            for i in 0..self.placements[f].len() {
                let s = self.placements[f][i];
                let Some(h) = self.view(now).history(s, function) else {
                    continue;
                };
                let expected = expected_ns / self.topology.shards[s.index()].speed;
                let slow = h.executions >= cfg.min_executions
                    && h.mean_duration.as_nanos() as f64 > cfg.slow_factor * expected;
                if !slow || self.demotions[f].iter().any(|(d, _)| *d == s) {
                    continue;
                }
                let view = self.view(now);
                let to = self.placements[f]
                    .iter()
                    .copied()
                    .filter(|&o| {
                        o != s
                            && view.is_available(o)
                            && !self.demotions[f].iter().any(|(d, _)| *d == o)
                    })
                    .min_by(|&a, &b| view.load(a).total_cmp(&view.load(b)));
                self.demotions[f].push((s, now + cfg.demotion));
                self.redistributions.push(Redistribution {
                    at: now,
                    function,
                    from: s,
                    to,
                    mean: h.mean_duration,
                    expected: SimDuration::from_nanos(expected as u64),
                });
            }
        }
    }

    fn on_change(&mut self, index: usize, sched: &mut Scheduler<ClusterEvent>) {
        let now = sched.now();
        let outcome = match self.changes[index].change.clone() {
            Change::RegisterFunction { spec, placement } => {
                match self.register_function(*spec, placement) {
                    Ok(f) => {
                        let name = &self.functions[f.index()].spec.name;
                        if let Some(i) = self.pending_overrides.iter().position(|(n, _)| n == name)
                        {
                            let (_, policy) = self.pending_overrides.remove(i);
                            self.function_routing[f.index()] = Some(policy);
                        }
                        Ok(())
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
            Change::TrafficSplit { function, versions } => self
                .set_traffic_split(function, versions)
                .map_err(|e| e.to_string()),
            Change::ShardLimits {
                shard,
                cpu_slots,
                memory_mb,
            } => {
                let r = self.update_shard_limits(shard, cpu_slots, memory_mb, now);
                if r.is_ok() {
                    self.drain_queue(shard, now, sched);
                    self.sync_shard(shard, now);
                }
                r.map_err(|e| e.to_string())
            }
        };
        self.change_log.push(ChangeRecord {
            at: now,
            index,
            outcome,
        });
    }

    // ---- the hot path ------------------------------------------------------------------------

    fn alloc(&mut self, inv: Invocation) -> InvocationId {
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

    fn release(&mut self, id: InvocationId) {
        self.invocations[id.index()].state = InvState::Free;
        self.free_invocations.push(id.0);
    }

    fn on_arrival(&mut self, source: u32, sched: &mut Scheduler<ClusterEvent>) {
        let now = sched.now();
        let src = &mut self.sources[source as usize];
        if let Some(next) = src.next_arrival(now, self.arrivals_until, &self.regime) {
            sched.schedule_at(next, ClusterEvent::Arrival { source });
        }
        let event = src.next_event();
        self.dispatch(event, now, sched);
    }

    fn on_hawkes_arrival(&mut self, group: u32, sched: &mut Scheduler<ClusterEvent>) {
        let now = sched.now();
        let g = group as usize;
        let member = self.hawkes_next[g];
        let event = self.hawkes[g].event(member);
        match self.hawkes[g].next_arrival(now, self.arrivals_until, &self.regime) {
            Some((next, m)) => {
                self.hawkes_next[g] = m;
                sched.schedule_at(next, ClusterEvent::HawkesArrival { group });
            }
            None => self.hawkes_next[g] = usize::MAX,
        }
        self.dispatch(event, now, sched);
    }

    /// The market regime path of this run (calm throughout when no regime is configured).
    pub fn regime(&self) -> &RegimePath {
        &self.regime
    }

    /// The function that handles an event type: the only active one, or, when several are
    /// active, the best by the composite score of [`SelectionWeights`] (ties: registration order).
    fn function_for(&self, event_type: EventTypeId, now: SimTime) -> Option<FunctionId> {
        let handlers = self.by_event_type.get(event_type.index())?;
        let mut active = handlers
            .iter()
            .copied()
            .filter(|f| self.functions[f.index()].active);
        let first = active.next()?;
        if active.next().is_none() {
            return Some(first);
        }
        let view = self.view(now);
        let w = self.selection;
        let score = |f: FunctionId| {
            let placement = &self.placements[f.index()];
            let n = placement.len().max(1) as f64;
            let (mut load, mut free, mut slots, mut affinity) = (0.0, 0u32, 0u32, 0.0);
            for &s in placement {
                load += view.load(s).min(1.0);
                free += view.free_slots(s);
                slots += view.spec(s).cpu_slots;
                affinity += view.history(s, f).map_or(0.5, |h| h.success_rate);
            }
            let priority = f64::from(self.functions[f.index()].spec.resources.priority as u8) / 3.0;
            w.load * (1.0 - load / n)
                + w.resources * f64::from(free) / f64::from(slots.max(1))
                + w.priority * priority
                + w.affinity * affinity / n
        };
        let mut best: Option<(f64, FunctionId)> = None;
        for &f in handlers {
            if self.functions[f.index()].active {
                let v = score(f);
                if best.is_none_or(|(b, _)| v > b) {
                    best = Some((v, f));
                }
            }
        }
        best.map(|(_, f)| f)
    }

    /// Creates an invocation for an event and routes it from its exchange.
    pub fn dispatch(
        &mut self,
        event: DomainEvent,
        now: SimTime,
        sched: &mut Scheduler<ClusterEvent>,
    ) {
        self.dispatch_from(event, None, now, sched);
    }

    /// Creates an invocation for an event entering the network at `origin` (a region), or at its
    /// exchange's home region when `None`.
    fn dispatch_from(
        &mut self,
        event: DomainEvent,
        origin: Option<RegionId>,
        now: SimTime,
        sched: &mut Scheduler<ClusterEvent>,
    ) {
        let Some(f) = self.function_for(event.event_type, now) else {
            self.totals.generated += 1;
            self.totals.dropped[DropReason::NoFunction as usize] += 1;
            return;
        };
        let func = &self.functions[f.index()];
        let rng = &mut self.function_streams[f.index()];
        let mut base = func.sampler.sample(rng);
        let mut version = 0;
        if !func.version_cdf.is_empty() {
            version = func.version_for(rng.random_range(0..100));
            base = (base as f64 * func.spec.versions[version as usize].service_scale) as u64;
        }
        let mut emit_mask = 0u8;
        for (i, e) in func.spec.emits.iter().enumerate() {
            let u: f64 = rng.random();
            emit_mask |= u8::from(u < e.probability) << i;
        }
        let r = func.spec.resources;
        let inv = Invocation {
            event,
            function: f,
            arrived: now,
            deadline: now + r.timeout,
            base_service_ns: base,
            shard: ShardId(0),
            slots: r.cpu.slots(),
            memory_mb: r.memory_mb,
            priority: r.priority,
            reroutes: 0,
            state: InvState::InNetwork,
            times_out: false,
            run_ns: 0,
            started: now,
            emit_mask,
            running_index: 0,
            finish: None,
        };
        let fm = &mut self.function_metrics[f.index()];
        fm.invocations += 1;
        fm.record_demand(
            (now.as_nanos() / self.metrics_interval.as_nanos()) as usize,
            base * u64::from(r.cpu.slots()),
        );
        fm.by_version[version as usize] += 1;
        let id = self.alloc(inv);
        let (origin, extra) = match origin {
            Some(region) => (region, SimDuration::ZERO),
            None => (
                self.topology.exchanges[event.exchange.index()].home,
                self.exchange_extra[event.exchange.index()],
            ),
        };
        self.route(id, origin, extra, now, sched);
    }

    fn route(
        &mut self,
        id: InvocationId,
        from: RegionId,
        extra: SimDuration,
        now: SimTime,
        sched: &mut Scheduler<ClusterEvent>,
    ) {
        let inv = &self.invocations[id.index()];
        let f = inv.function;
        let sequence = self.route_sequence[f.index()];
        self.route_sequence[f.index()] += 1;
        // Shards the performance monitor demoted are offered only if nothing else is available.
        let mut scratch = std::mem::take(&mut self.candidate_scratch);
        let demoted = &self.demotions[f.index()];
        let placement = &self.placements[f.index()];
        let candidates: &[ShardId] = if demoted.is_empty() {
            placement
        } else {
            scratch.clear();
            scratch.extend(
                placement
                    .iter()
                    .copied()
                    .filter(|s| !demoted.iter().any(|(d, until)| d == s && now < *until)),
            );
            let view = self.view(now);
            if scratch.iter().any(|&s| view.is_available(s)) {
                &scratch
            } else {
                placement
            }
        };
        let request = RouteRequest {
            event: &inv.event,
            function: f,
            declaration: &self.functions[f.index()],
            candidates,
            sequence,
            origin: from,
        };
        let view = ClusterView {
            now,
            topology: &self.topology,
            live: &self.live,
            shards: &self.shards,
            functions: &self.functions,
            placements: &self.placements,
        };
        let policy = self.function_routing[f.index()]
            .as_ref()
            .unwrap_or(&self.routing);
        let decision = match policy.select(&request, &view, &mut self.streams.routing) {
            Ok(route) => Some((route.shard, route.degraded, false)),
            // Resilience: when a policy finds nothing, fail over to the general pool.
            Err(_) => LeastLoaded
                .select(
                    &RouteRequest {
                        candidates: &self.general_pool,
                        ..request
                    },
                    &view,
                    &mut self.streams.routing,
                )
                .ok()
                .map(|r| (r.shard, false, true)),
        };
        self.candidate_scratch = scratch;
        match decision {
            Some((shard, degraded, failover)) => {
                if degraded || failover {
                    self.advance_meter(shard, now);
                    let c = &mut self.shards[shard.index()].series.counters;
                    c.degraded_routes += u64::from(degraded);
                    c.failovers += u64::from(failover);
                }
                let region = self.topology.shards[shard.index()].region;
                let delay = self
                    .topology
                    .network
                    .one_way(from, region, &mut self.streams.jitter)
                    + extra;
                let inv = &mut self.invocations[id.index()];
                inv.shard = shard;
                inv.state = InvState::InNetwork;
                self.shards[shard.index()].in_transit_slots += inv.slots;
                self.refresh_live(shard);
                sched.schedule_in(delay, ClusterEvent::Deliver { inv: id });
            }
            None => self.end_dropped(id, None, DropReason::NoShard, now),
        }
    }

    fn on_deliver(&mut self, id: InvocationId, sched: &mut Scheduler<ClusterEvent>) {
        let now = sched.now();
        let shard = self.invocations[id.index()].shard;
        self.shards[shard.index()].in_transit_slots -= self.invocations[id.index()].slots;
        self.refresh_live(shard);
        if self.live[shard.index()].offline {
            self.reroute(id, shard, now, sched);
            return;
        }
        self.advance_meter(shard, now);
        let spec = &self.topology.shards[shard.index()];
        let st = &mut self.shards[shard.index()];
        let inv = &mut self.invocations[id.index()];
        inv.slots = inv.slots.min(spec.cpu_slots.max(1));
        inv.memory_mb = inv.memory_mb.min(spec.memory_mb);
        inv.run_ns = (inv.base_service_ns as f64 * st.slowdown / spec.speed) as u64;
        let c = &mut st.series.counters;
        c.arrivals += 1;
        let work = inv.run_ns * u64::from(inv.slots);
        c.offered_work_ns += work;
        self.function_work[inv.function.index()][shard.index()] += work;
        if st.queued == 0 && fits(spec, st, inv) {
            self.start(id, shard, now, sched);
        } else if st.queued < spec.queue_capacity {
            inv.state = InvState::Queued;
            st.queues[inv.priority as usize].push_back(id);
            st.queued += 1;
            st.queued_slots += inv.slots;
            self.sync_shard(shard, now);
        } else {
            self.end_dropped(id, Some(shard), DropReason::QueueFull, now);
        }
    }

    fn start(
        &mut self,
        id: InvocationId,
        shard: ShardId,
        now: SimTime,
        sched: &mut Scheduler<ClusterEvent>,
    ) {
        let st = &mut self.shards[shard.index()];
        let inv = &mut self.invocations[id.index()];
        st.busy_slots += inv.slots;
        st.memory_used_mb += inv.memory_mb;
        let done = now + SimDuration::from_nanos(inv.run_ns);
        inv.times_out = done > inv.deadline;
        let finish_at = if inv.times_out {
            inv.deadline.max(now)
        } else {
            done
        };
        inv.state = InvState::Running;
        inv.started = now;
        inv.running_index = st.running.len() as u32;
        st.running.push(id);
        inv.finish = Some(sched.schedule_at(finish_at, ClusterEvent::Finish { inv: id }));
        self.sync_shard(shard, now);
    }

    fn on_finish(&mut self, id: InvocationId, sched: &mut Scheduler<ClusterEvent>) {
        let now = sched.now();
        let inv = self.invocations[id.index()];
        let shard = inv.shard;
        self.advance_meter(shard, now);
        self.stop_running(id, shard);
        let st = &mut self.shards[shard.index()];
        let success = !inv.times_out;
        let f = inv.function.index();
        let ran = now.saturating_duration_since(inv.started).as_nanos();
        push_history(&mut st.history, f, ran, success);
        if let Some(p) = inv.event.protocol {
            push_history(&mut st.protocol_history, p.index(), ran, success);
        }
        push_history(
            &mut st.exchange_history,
            inv.event.exchange.index(),
            ran,
            success,
        );
        let fm = &mut self.function_metrics[f];
        fm.record_end(
            (now.as_nanos() / self.metrics_interval.as_nanos()) as usize,
            success,
        );
        if success {
            let latency = now - inv.arrived;
            st.series.counters.completed += 1;
            st.series.record_latency(latency);
            fm.completed += 1;
            fm.latency.record(latency);
            fm.latency_sum_ns += latency.as_nanos();
            fm.completed_by_shard[shard.index()] += 1;
            self.totals.completed += 1;
            self.breaker_success(shard);
        } else {
            st.series.counters.timed_out += 1;
            fm.timed_out += 1;
            self.totals.timed_out += 1;
            self.breaker_failure(shard, now);
        }
        self.release(id);
        self.drain_queue(shard, now, sched);
        self.sync_shard(shard, now);
        if success && inv.emit_mask != 0 {
            let region = self.topology.shards[shard.index()].region;
            for (i, e) in self.functions[f].spec.emits.clone().iter().enumerate() {
                if inv.emit_mask & (1 << i) != 0 {
                    let event = DomainEvent {
                        event_type: e.event_type,
                        ..inv.event
                    };
                    self.dispatch_from(event, Some(region), now, sched);
                }
            }
        }
    }

    fn stop_running(&mut self, id: InvocationId, shard: ShardId) {
        let inv = self.invocations[id.index()];
        let st = &mut self.shards[shard.index()];
        st.busy_slots -= inv.slots;
        st.memory_used_mb -= inv.memory_mb;
        let pos = inv.running_index as usize;
        st.running.swap_remove(pos);
        if let Some(&moved) = st.running.get(pos) {
            self.invocations[moved.index()].running_index = pos as u32;
        }
    }

    fn drain_queue(&mut self, shard: ShardId, now: SimTime, sched: &mut Scheduler<ClusterEvent>) {
        loop {
            let spec = &self.topology.shards[shard.index()];
            let st = &mut self.shards[shard.index()];
            if st.queued == 0 {
                return;
            }
            let Some(q) = st.queues.iter().rposition(|q| !q.is_empty()) else {
                unreachable!("queued count {} with empty queues", st.queued)
            };
            let id = st.queues[q][0];
            if !fits(spec, st, &self.invocations[id.index()]) {
                return;
            }
            st.queues[q].pop_front();
            st.queued -= 1;
            st.queued_slots -= self.invocations[id.index()].slots;
            self.start(id, shard, now, sched);
        }
    }

    fn reroute(
        &mut self,
        id: InvocationId,
        from_shard: ShardId,
        now: SimTime,
        sched: &mut Scheduler<ClusterEvent>,
    ) {
        self.advance_meter(from_shard, now);
        self.shards[from_shard.index()].series.counters.rerouted += 1;
        let inv = &mut self.invocations[id.index()];
        inv.reroutes += 1;
        if inv.reroutes > self.max_reroutes {
            self.totals.failed[FailReason::RerouteLimit as usize] += 1;
            let fm = &mut self.function_metrics[inv.function.index()];
            fm.failed += 1;
            fm.record_end(
                (now.as_nanos() / self.metrics_interval.as_nanos()) as usize,
                false,
            );
            self.shards[from_shard.index()].series.counters.failed += 1;
            self.release(id);
            return;
        }
        let region = self.topology.shards[from_shard.index()].region;
        self.route(id, region, SimDuration::ZERO, now, sched);
    }

    fn end_dropped(
        &mut self,
        id: InvocationId,
        shard: Option<ShardId>,
        why: DropReason,
        now: SimTime,
    ) {
        let f = self.invocations[id.index()].function;
        self.totals.dropped[why as usize] += 1;
        let fm = &mut self.function_metrics[f.index()];
        fm.dropped += 1;
        fm.record_end(
            (now.as_nanos() / self.metrics_interval.as_nanos()) as usize,
            false,
        );
        if let Some(s) = shard {
            self.shards[s.index()].series.counters.dropped += 1;
        }
        self.release(id);
    }

    // ---- shard bookkeeping --------------------------------------------------------------------

    #[inline]
    fn advance_meter(&mut self, shard: ShardId, now: SimTime) {
        let st = &mut self.shards[shard.index()];
        let state = ShardInstant {
            queue_depth: st.queued,
            busy_slots: st.busy_slots + st.reserved_slots,
            memory_used_mb: st.memory_used_mb,
            healthy: st.down == 0 && st.partitioned == 0,
        };
        st.series.advance(now, state);
    }

    /// Refreshes the routing-visible state and the busy-time integral after a change.
    #[inline]
    fn sync_shard(&mut self, shard: ShardId, now: SimTime) {
        let st = &mut self.shards[shard.index()];
        let busy = st.busy_slots + st.reserved_slots;
        st.series.set_occupancy(now, busy, busy + st.queued_slots);
        self.refresh_live(shard);
    }

    /// Recomputes what routing reads about a shard: its load (including work dispatched to it
    /// and still in the network) and whether it is offline.
    #[inline]
    fn refresh_live(&mut self, shard: ShardId) {
        let st = &self.shards[shard.index()];
        let slots = self.topology.shards[shard.index()].cpu_slots.max(1);
        let committed = st.busy_slots + st.reserved_slots + st.queued_slots + st.in_transit_slots;
        let live = &mut self.live[shard.index()];
        live.load = f64::from(committed) / f64::from(slots);
        live.offline = st.down > 0 || st.partitioned > 0;
    }

    fn breaker_success(&mut self, shard: ShardId) {
        let st = &mut self.shards[shard.index()];
        st.consecutive_failures = 0;
        st.breaker_probing = false;
    }

    fn breaker_failure(&mut self, shard: ShardId, now: SimTime) {
        let cfg = self.config_breaker;
        let st = &mut self.shards[shard.index()];
        st.consecutive_failures += 1;
        let live = &mut self.live[shard.index()];
        let half_open = now >= live.breaker_open_until && st.breaker_probing;
        if st.consecutive_failures >= cfg.failure_threshold || half_open {
            // Open (or re-open after a failed probe): routing skips the shard until the cool-down
            // ends, then lets traffic probe it; the next outcome closes or re-opens it.
            live.breaker_open_until = now + cfg.cooldown;
            st.breaker_probing = true;
            st.consecutive_failures = 0;
        }
    }

    // ---- faults and migrations ----------------------------------------------------------------

    fn on_fault(&mut self, index: u32, starting: bool, sched: &mut Scheduler<ClusterEvent>) {
        let now = sched.now();
        let fault = self.faults[index as usize].clone();
        let phase = if starting { "start" } else { "end" };
        self.fault_log.push(FaultRecord {
            at: now,
            description: format!("{phase}: {}", self.describe_fault(&fault.kind)),
        });
        if starting {
            let end = sched.schedule_in(fault.duration, ClusterEvent::FaultEnd { fault: index });
            self.fault_keys[index as usize].1 = Some(end);
        }
        match fault.kind {
            FaultKind::Crash { shard } => {
                self.advance_meter(shard, now);
                if starting {
                    self.shards[shard.index()].down += 1;
                    self.sync_shard(shard, now);
                    self.crash(shard, now, sched);
                } else {
                    let st = &mut self.shards[shard.index()];
                    st.down -= 1;
                    st.consecutive_failures = 0;
                    st.breaker_probing = false;
                    self.live[shard.index()].breaker_open_until = now;
                    self.sync_shard(shard, now);
                }
            }
            FaultKind::Slowdown { shard, factor } => {
                self.advance_meter(shard, now);
                let st = &mut self.shards[shard.index()];
                if starting {
                    st.slowdown *= factor;
                } else {
                    st.slowdown /= factor;
                    if (st.slowdown - 1.0).abs() < 1e-12 {
                        st.slowdown = 1.0; // undo float residue so health reads Healthy again
                    }
                }
            }
            FaultKind::Partition { region } => {
                for s in 0..self.shards.len() {
                    if self.topology.shards[s].region == region {
                        let shard = ShardId(s as u32);
                        self.advance_meter(shard, now);
                        let st = &mut self.shards[s];
                        if starting {
                            st.partitioned += 1;
                        } else {
                            st.partitioned -= 1;
                        }
                        self.sync_shard(shard, now);
                    }
                }
            }
            FaultKind::ExchangeLatencySpike { exchange, extra } => {
                let e = &mut self.exchange_extra[exchange.index()];
                *e = if starting {
                    *e + extra
                } else {
                    e.checked_sub(extra).unwrap_or(SimDuration::ZERO)
                };
            }
        }
    }

    fn describe_fault(&self, kind: &FaultKind) -> String {
        let shard = |s: &ShardId| self.topology.shards[s.index()].name.clone();
        match kind {
            FaultKind::Crash { shard: s } => format!("crash {}", shard(s)),
            FaultKind::Slowdown { shard: s, factor } => format!("slowdown {} x{factor}", shard(s)),
            FaultKind::Partition { region } => {
                format!("partition {}", self.topology.regions[region.index()].name)
            }
            FaultKind::ExchangeLatencySpike { exchange, extra } => format!(
                "latency spike {} +{extra}",
                self.topology.exchanges[exchange.index()].name
            ),
        }
    }

    /// A crash: running work fails, queued work is re-routed, migrations touching the shard abort.
    fn crash(&mut self, shard: ShardId, now: SimTime, sched: &mut Scheduler<ClusterEvent>) {
        let running = std::mem::take(&mut self.shards[shard.index()].running);
        for id in running {
            let inv = self.invocations[id.index()];
            if let Some(key) = inv.finish {
                sched.cancel(key);
            }
            let st = &mut self.shards[shard.index()];
            st.busy_slots -= inv.slots;
            st.memory_used_mb -= inv.memory_mb;
            st.series.counters.failed += 1;
            let fm = &mut self.function_metrics[inv.function.index()];
            fm.failed += 1;
            fm.record_end(
                (now.as_nanos() / self.metrics_interval.as_nanos()) as usize,
                false,
            );
            self.totals.failed[FailReason::ShardCrashed as usize] += 1;
            self.release(id);
        }
        let queued: Vec<InvocationId> = {
            let st = &mut self.shards[shard.index()];
            st.queued = 0;
            st.queued_slots = 0;
            st.queues
                .iter_mut()
                .rev()
                .flat_map(|q| q.drain(..))
                .collect()
        };
        self.sync_shard(shard, now);
        for id in queued {
            self.reroute(id, shard, now, sched);
        }
        for m in 0..self.migrations.len() {
            let a = &self.migrations[m];
            if a.record.ready == SimTime::MAX
                && (a.record.from == shard || a.record.to == shard)
                && let Some(key) = a.key
            {
                sched.cancel(key);
                self.finish_migration(m, now, false, sched);
            }
        }
    }

    fn on_migration_ready(&mut self, m: u32, sched: &mut Scheduler<ClusterEvent>) {
        let now = sched.now();
        self.finish_migration(m as usize, now, true, sched);
    }

    fn finish_migration(
        &mut self,
        m: usize,
        now: SimTime,
        completed: bool,
        sched: &mut Scheduler<ClusterEvent>,
    ) {
        let rec = &mut self.migrations[m].record;
        rec.ready = now;
        rec.completed = completed;
        rec.cost_slot_secs = 2.0 * (now - rec.start).as_secs_f64();
        let (f, from, to) = (rec.function, rec.from, rec.to);
        self.migrating[f.index()] -= 1;
        if completed {
            let placement = &mut self.placements[f.index()];
            match rec.kind {
                MigrationKind::Move => {
                    if let Some(slot) = placement.iter_mut().find(|s| **s == from) {
                        *slot = to;
                    }
                }
                MigrationKind::Expand => {
                    if !placement.contains(&to) {
                        placement.push(to);
                    }
                }
                MigrationKind::Shrink => unreachable!("a shrink never has a pending transfer"),
            }
        }
        for s in [from, to] {
            self.advance_meter(s, now);
            self.shards[s.index()].reserved_slots -= 1;
            if self.shards[s.index()].down == 0 {
                self.drain_queue(s, now, sched);
            }
            self.sync_shard(s, now);
        }
    }
}

fn push_history(histories: &mut Vec<History>, index: usize, ran_ns: u64, success: bool) {
    if histories.len() <= index {
        histories.resize_with(index + 1, History::default);
    }
    histories[index].push(ran_ns, success);
}

#[inline]
fn fits(spec: &super::topology::ShardSpec, st: &ShardState, inv: &Invocation) -> bool {
    st.busy_slots + st.reserved_slots + inv.slots <= spec.cpu_slots
        && st.memory_used_mb + inv.memory_mb <= spec.memory_mb
}

fn validate_topology(t: &Topology) -> Result<(), ClusterError> {
    if t.network.regions() != t.regions.len() {
        return Err(ClusterError::Invalid(format!(
            "the RTT matrix covers {} regions but {} are declared",
            t.network.regions(),
            t.regions.len()
        )));
    }
    for (i, e) in t.exchanges.iter().enumerate() {
        if e.home.index() >= t.regions.len() {
            return Err(ClusterError::OutOfRange {
                what: format!("exchange `{}` (#{i})", e.name),
                kind: "region",
                index: e.home.index(),
                count: t.regions.len(),
            });
        }
    }
    for s in &t.shards {
        if s.region.index() >= t.regions.len() {
            return Err(ClusterError::OutOfRange {
                what: format!("shard `{}`", s.name),
                kind: "region",
                index: s.region.index(),
                count: t.regions.len(),
            });
        }
        if s.cpu_slots == 0 || !(s.speed.is_finite() && s.speed > 0.0) {
            return Err(ClusterError::Invalid(format!(
                "shard `{}`: cpu_slots must be >= 1 and speed > 0",
                s.name
            )));
        }
    }
    Ok(())
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

#[cfg(test)]
impl Cluster {
    /// Sets a shard's occupancy directly, for routing tests.
    pub(crate) fn test_set_occupancy(
        &mut self,
        shard: ShardId,
        busy: u32,
        queued_slots: u32,
        queued: u32,
    ) {
        let st = &mut self.shards[shard.index()];
        st.busy_slots = busy;
        st.queued_slots = queued_slots;
        st.queued = queued;
        self.sync_shard(shard, SimTime::ZERO);
    }

    /// Sets the slots dispatched to a shard and still in the network, for routing tests.
    pub(crate) fn test_set_in_transit(&mut self, shard: ShardId, slots: u32) {
        self.shards[shard.index()].in_transit_slots = slots;
        self.refresh_live(shard);
    }

    /// Marks a shard crashed (or not), for routing tests.
    pub(crate) fn test_set_down(&mut self, shard: ShardId, down: bool) {
        self.shards[shard.index()].down = u32::from(down);
        self.sync_shard(shard, SimTime::ZERO);
    }

    /// Adds executions to a shard's histories, for routing tests.
    pub(crate) fn test_record(
        &mut self,
        shard: ShardId,
        event: &DomainEvent,
        f: FunctionId,
        ran: SimDuration,
        success: bool,
        times: u32,
    ) {
        let st = &mut self.shards[shard.index()];
        for _ in 0..times {
            push_history(&mut st.history, f.index(), ran.as_nanos(), success);
            if let Some(p) = event.protocol {
                push_history(&mut st.protocol_history, p.index(), ran.as_nanos(), success);
            }
            push_history(
                &mut st.exchange_history,
                event.exchange.index(),
                ran.as_nanos(),
                success,
            );
        }
    }
}
