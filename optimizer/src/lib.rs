//! # shardsim-optimizer: migration planning, scored by forked simulation
//!
//! Every planning interval a policy looks at the cluster (and, if it asks, at a forecast of each
//! shard's load over the next horizon) and returns actions — move a function, add a shard to its
//! placement (expand), give one back (shrink) — each with its estimated benefit and cost. The
//! [`Driver`] runs the simulation, calls the policy on its clock, starts each plan after the
//! policy's lead time, and can score every plan by forking the simulation: one branch with the
//! plan, one without, on the same random numbers.
//!
//! ```text
//!           ┌──────── PlanInput: cluster (read-only), recent per-function load, forecast ───────┐
//!           │                                                                                   ▼
//!  Simulation ──▶ Driver ──(every interval)──▶ MigrationPolicy::plan ──▶ [PlannedAction …]
//!      ▲            │                                                        │
//!      │            ├── forecast: model (predictive) │ look-ahead fork (oracle) │ recent (others)
//!      │            └── score: fork ─┬─ with plan ──▶ Outcome ┐                  │
//!      │                             └─ without   ──▶ Outcome ┴─▶ realised vs predicted benefit
//!      └────────────── plan starts after the lead time (urgent actions at once) ◀──┘
//! ```
//!
//! Policies ([`policies`]) are pure: `static` (never moves), `reactive` (a horizontal autoscaler:
//! sustained pool load above a threshold adds shards, sized to a target), `predictive` (the
//! [`Planner`] on a trained model's forecasts, pre-allocating capacity the moment volatility
//! starts), `oracle` (the same planner fed the true future from a look-ahead fork) and
//! `performance` (moves slow or failing placements). A new policy is one `impl MigrationPolicy`.
//!
//! [`Experiment`] is the one run pipeline: build the cluster simulation, drive it under a policy
//! with the forecaster the policy asks for ([`MigrationPolicy::forecast_source`]: a model, or
//! persistence without one; the oracle's look-ahead fork), close the metrics at the end of the
//! arrival window, measure, drain, check the books.
//!
//! | module | owns |
//! | --- | --- |
//! | [`plan`] | actions, plans, applying them |
//! | [`estimate`] | the planner's load picture, an action's effect and cost |
//! | [`outcome`] | what happened over a window, measured alike for runs and forks |
//! | [`policies`] | the trait and one file per policy; the planner split by stage |
//! | [`driver`] | the tick loop and pending plans; `forecast.rs`, `scoring.rs` |
//! | [`experiment`] | the run pipeline: [`Experiment`] → [`Finished`] |
//!
//! Benefits are in *excess-load minutes* (load above a threshold, summed over shards and
//! minutes; see [`estimate`]), which [`Outcome`] measures on the simulated result the same way,
//! next to SLO-violation minutes and p99 latency.
//!
//! ## Example: a surge, and the planner that saw it coming
//!
//! ```
//! use std::sync::Arc;
//! use shardsim_optimizer::sim::cluster::*;
//! use shardsim_optimizer::sim::{SimDuration, SimTime};
//! use shardsim_optimizer::{DriveConfig, Experiment, Planner, PlannerConfig, Static};
//!
//! // Two busy shards and two idle ones; traffic doubles when the market turns volatile.
//! let mut topology = Topology::default_regions();
//! let home = topology.exchanges[0].home;
//! for i in 0..4 {
//!     topology.add_shard(ShardSpec {
//!         name: format!("s{i}"),
//!         region: home,
//!         cpu_slots: 4,
//!         speed: 1.0,
//!         memory_mb: 8_192,
//!         queue_capacity: 400,
//!         tags: ShardTags::default(),
//!     });
//! }
//! let mut config = ClusterConfig::new(topology);
//! config.functions.push((
//!     FunctionSpec {
//!         name: "scanner".into(),
//!         handles: EventTypeId(0),
//!         shard_by: ShardBy::TradingPair,
//!         resources: Resources {
//!             cpu: CpuClass::Low,
//!             memory_mb: 64,
//!             priority: Priority::High,
//!             timeout: SimDuration::from_millis(1_000),
//!         },
//!         service: ServiceTime::Exponential(SimDuration::from_millis(100)),
//!         state_bytes: 20e6,
//!         warmup: SimDuration::from_secs(1),
//!         versions: Vec::new(),
//!         emits: Vec::new(),
//!     },
//!     vec![ShardId(0), ShardId(1)],
//! ));
//! config.sources.push(PoissonSource {
//!     name: "prices".into(),
//!     event_type: EventTypeId(0),
//!     exchange: ExchangeId(0),
//!     rate_per_sec: 45.0,
//!     protocol: None,
//!     risk: RiskLevel::Low,
//!     urgency: Urgency::Normal,
//!     trading_pairs: 1_000,
//!     users: 100,
//!     trade_size: TradeSize { min_usd: 10.0, shape: 2.0 },
//!     shape: RateShape { regime_sensitive: true, ..RateShape::default() },
//! });
//! config.regime = Some(RegimeConfig {
//!     calm_mean: SimDuration::from_mins(20),
//!     volatile_mean: SimDuration::from_mins(20),
//!     volatile_multiplier: 2.0,
//!     start_volatile: false,
//!     episode: Default::default(),
//! });
//! let end = SimTime::ZERO + SimDuration::from_mins(60);
//! config.arrivals_until = end;
//!
//! let run = |policy: Box<dyn shardsim_optimizer::MigrationPolicy>| {
//!     let experiment = Experiment {
//!         drive: DriveConfig::default(), // plans scored by forking
//!         ..Experiment::new(config.clone(), 4, Arc::new(LeastLoaded), policy)
//!     };
//!     experiment.run(|_| {}).unwrap()
//! };
//! let still = run(Box::new(Static));
//! // The oracle asks for the true future, and the experiment gives it a look-ahead fork.
//! let planned = run(Box::new(Planner::oracle(PlannerConfig::default()).unwrap()));
//! let (planned, plans) = (planned.outcome, planned.records);
//! let still = still.outcome;
//!
//! // The oracle added capacity before the surges, and missed fewer deadlines for it.
//! assert!(!plans.is_empty());
//! assert!(planned.timed_out < still.timed_out);
//! // Each plan was scored against the same run without it.
//! let scored = plans[0].score.expect("scoring is on by default");
//! assert!(scored.predicted > 0.0);
//! ```
#![warn(missing_docs)]

pub mod driver;
pub mod estimate;
pub mod experiment;
pub mod outcome;
pub mod plan;
pub mod policies;

pub use driver::{DriveConfig, Driver, Forecaster, PlanRecord};
pub use estimate::{LoadPicture, RecentLoad, WorkSnapshot};
pub use experiment::{Experiment, ExperimentError, Finished, PROGRESS_STEP};
pub use outcome::{Outcome, SLO_MISS_SHARE, Scored};
pub use plan::{Action, Plan, PlannedAction, Trigger};
pub use policies::{
    ConfigError, ForecastNeed, ForecastQuantity, ForecastSource, MIGRATION_POLICIES,
    MigrationPolicy, PerformanceBased, PlanInput, Planner, PlannerConfig, Reactive, SURGE_BASELINE,
    Static, policy_by_name,
};
pub use shardsim_model as model;
pub use shardsim_model::sim;
