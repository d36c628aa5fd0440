//! The simulated cluster: topology, exchanges, declared functions, execution, migration, faults
//! and metrics, as a [`Model`](crate::Model) on the engine.
//!
//! Everything here is data a scenario fills in; nothing reads files. The main types:
//!
//! * [`Topology`] — regions and their RTT matrix, shards ([`ShardSpec`]), exchanges.
//! * [`FunctionSpec`] — a function declared as data: the event type it handles, `shard_by`,
//!   resources, service-time distribution, optional version split.
//! * [`PoissonSource`] — seeded arrivals of one event type from one exchange.
//! * [`ClusterConfig`] — the whole declared run; [`ClusterConfig::validate`] checks it once,
//!   and every error names the declared item it is about ([`ClusterError::item`]).
//! * [`Cluster::simulation`] — the runnable simulation, assembled from a valid configuration.
//! * [`ClusterView`] and [`RoutingPolicy`] — what routing and planning read, and the trait a
//!   routing strategy implements.
//!
//! ## Layout
//!
//! ```text
//!  spec/      declared items and their own checks: topology, function, workload, market, faults,
//!             settings (selection, monitor, changes), error (ClusterError, ConfigItem)
//!  arrivals/  the seeded arrival processes: regime path, Poisson sources, Hawkes groups
//!  market/    the latent market path (log-vol, calendar, cycle, cascade, venue lags), drawn once
//!  state/     plain mutable state: invocations, shards, the books (where an invocation ends)
//!  metrics/   histogram, shard series, function metrics, run records
//!  view.rs    ClusterView, the read-only view routing and planning decide on
//!  routing/   the RoutingPolicy trait and one file per policy or family, tests beside them
//!  config/    ClusterConfig (spec/ items plus routing overrides) and validate(): every check
//!  world/     `impl Cluster` by pipeline stage: build, dispatch, execute, meter, faults,
//!             migration, control, queries
//! ```
//!
//! Dependencies run one way, so there is no module cycle: `state/` uses `spec/` and `metrics/`,
//! `arrivals/` uses `spec/`, `view.rs` uses `spec/` and `state/`, `routing/` those and the view,
//! `config/` uses `spec/` and the routing trait, and `world/` uses them all (only the policies'
//! unit tests build a `Cluster` to get a view).
//!
//! ```
//! use std::sync::Arc;
//! use shardsim_sim::cluster::*;
//! use shardsim_sim::{SimDuration, SimTime};
//!
//! // Two shards in us-east, one function, one Poisson source from coinbase.
//! let mut topology = Topology::default_regions();
//! for name in ["use-0", "use-1"] {
//!     topology.add_shard(ShardSpec {
//!         name: name.into(),
//!         region: topology.region("us-east").unwrap(),
//!         cpu_slots: 4,
//!         speed: 1.0,
//!         memory_mb: 4096,
//!         queue_capacity: 100,
//!         tags: ShardTags::default(),
//!     });
//! }
//! let coinbase = topology.exchange("coinbase").unwrap();
//! let mut config = ClusterConfig::new(topology);
//! config.functions.push((
//!     FunctionSpec {
//!         name: "price-feed".into(),
//!         handles: EventTypeId(0),
//!         shard_by: ShardBy::LeastLoaded,
//!         resources: Resources {
//!             cpu: CpuClass::Low,
//!             memory_mb: 64,
//!             priority: Priority::High,
//!             timeout: SimDuration::from_millis(500),
//!         },
//!         service: ServiceTime::LogNormal { mean: SimDuration::from_millis(20), cv: 0.5 },
//!         state_bytes: 5e6,
//!         warmup: SimDuration::from_millis(100),
//!         versions: vec![],
//!         emits: vec![],
//!     },
//!     vec![], // placed on every shard
//! ));
//! config.sources.push(PoissonSource {
//!     name: "coinbase-prices".into(),
//!     event_type: EventTypeId(0),
//!     exchange: coinbase,
//!     rate_per_sec: 100.0,
//!     protocol: None,
//!     risk: RiskLevel::Low,
//!     urgency: Urgency::Normal,
//!     trading_pairs: 50,
//!     users: 1_000,
//!     trade_size: TradeSize { min_usd: 100.0, shape: 1.5 },
//!     shape: RateShape::default(),
//! });
//! config.arrivals_until = SimTime::ZERO + SimDuration::from_mins(10);
//!
//! let mut sim = Cluster::simulation(config, 7, Arc::new(LeastLoaded)).unwrap();
//! sim.run_to_completion(); // arrivals stop at 10 min; everything in flight finishes
//! let books = sim.model().assert_conservation();
//! assert_eq!(books.in_flight(), 0);
//! assert_eq!(books.generated, books.completed + books.timed_out);
//! assert!((books.generated as f64 - 60_000.0).abs() < 1_000.0); // 100/s for 600 s
//! ```
//!
//! A configuration can be checked without building anything; an error says which declared item
//! (and field) it is about, with the same text the simulation would report:
//!
//! ```
//! use shardsim_sim::cluster::ConfigItem;
//! use shardsim_sim::testkit;
//!
//! let mut config = testkit::small_config(); // see `shardsim_sim::testkit`
//! assert!(config.validate().is_ok());
//! config.topology.shards[1].cpu_slots = 0;
//! let err = config.validate().unwrap_err();
//! assert_eq!(err.item(), Some(ConfigItem::Shard(1)));
//! assert_eq!(err.field(), Some("cpu_slots"));
//! assert_eq!(err.to_string(), "shard `b`: cpu_slots must be >= 1 and speed > 0");
//! ```

mod arrivals;
mod config;
mod event;
mod ids;
mod market;
mod metrics;
mod observe;
pub mod preset;
mod routing;
mod spec;
mod state;
mod view;
mod world;

/// Every routing strategy, at the path other crates name them by (the policies live in
/// `cluster/routing/`, one file per policy or family).
pub mod policies {
    pub use super::routing::{
        BoundedLoadHash, Declared, Geographic, JoinShortestQueue, KeyHash, LeastLoaded,
        POLICY_NAMES, PowerOfTwo, ProtocolSharding, RandomChoice, ResourceMatching, RiskBased,
        RoundRobin, UnknownPolicy, affinity, amount_group, policy_by_name, risk_group,
    };
}

pub use arrivals::regime::RegimePath;
pub use config::{
    ClusterConfig, MAX_EXPECTED_ARRIVALS, MAX_MARKET_VALUES, MAX_METRICS_BYTES, MAX_MONITOR_CHECKS,
    MAX_RATE_PER_SEC, MAX_REGIME_SWITCHES, MAX_SHARDS, MAX_USER_TIME,
};
pub use event::{DomainEvent, RiskLevel, Urgency};
pub use ids::{
    EventTypeId, ExchangeId, FunctionId, Interner, InvocationId, ProtocolId, RegionId, ShardId,
};
pub use market::{MarketPath, PublicEvent};
pub use metrics::function::{FunctionEnds, FunctionMetrics};
pub use metrics::histogram::{BUCKETS, Histogram, RELATIVE_ERROR, SparseEntry};
pub use metrics::market_feed::MarketFeedSeries;
pub use metrics::records::{
    ChangeRecord, DropReason, FailReason, FaultRecord, MigrationKind, MigrationRecord,
    Redistribution,
};
pub use metrics::shard::{IntervalStats, LoadPoint, ShardCounters, ShardRow, ShardSeries};
pub use observe::Observation;
pub use routing::{
    LeastLoaded, NoRoute, POLICY_NAMES, Route, RouteRequest, RoutingPolicy, UnknownPolicy,
    policy_by_name,
};
pub use spec::error::{ClusterError, ConfigItem};
pub use spec::faults::{BreakerConfig, Fault, FaultKind};
pub use spec::function::{
    CpuClass, Emission, Function, FunctionSpec, FunctionSpecError, Priority, Resources,
    ServiceSampler, ServiceTime, ServiceTimeError, ShardBy, ShardGrouping, Version,
    same_shard_group,
};
pub use spec::market::{
    ActivityNoise, Cascade, CascadeStage, Cycle, DEFAULT_HOURLY, EventKind, EventProfile, Funding,
    ImpactClass, ImpactScale, LatentVol, LeadShape, LiquidationSpiral, MarketConfig,
    MarketExposure, ScheduledEvent, StageLag,
};
pub use spec::settings::{Change, MonitorConfig, ScheduledChange, SelectionWeights};
pub use spec::topology::{
    DEFAULT_EXCHANGES, DEFAULT_REGIONS, DEFAULT_RTT_MS, Exchange, Network, Region, RiskTier,
    ShardSpec, ShardTags, Topology,
};
pub use spec::workload::{
    EpisodeShape, HawkesGroup, PoissonSource, RateShape, RegimeConfig, SourceError, TradeSize,
    spectral_radius,
};
pub use state::books::Conservation;
pub use state::shard::HistorySummary;
pub use view::{ClusterView, Health};
pub use world::{Cluster, ClusterEvent, LimitError, MigrationError};
