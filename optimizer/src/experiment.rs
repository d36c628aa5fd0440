//! The one run pipeline: an [`Experiment`] (what to run) and [`Experiment::run`] (how). It
//! builds the cluster simulation, drives it under the migration policy with the forecaster the
//! policy asks for, closes the metrics at the end of the arrival window, measures it there,
//! drains what is still in flight, and checks the books, always in that order.
//!
//! ```
//! use std::sync::Arc;
//! use shardsim_optimizer::sim::cluster::*;
//! use shardsim_optimizer::sim::{SimDuration, SimTime};
//! use shardsim_optimizer::{Experiment, Static};
//!
//! let mut topology = Topology::default_regions();
//! let home = topology.exchanges[0].home;
//! topology.add_shard(ShardSpec {
//!     name: "s0".into(),
//!     region: home,
//!     cpu_slots: 4,
//!     speed: 1.0,
//!     memory_mb: 8_192,
//!     queue_capacity: 400,
//!     tags: ShardTags::default(),
//! });
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
//!     vec![ShardId(0)],
//! ));
//! config.sources.push(PoissonSource {
//!     name: "prices".into(),
//!     event_type: EventTypeId(0),
//!     exchange: ExchangeId(0),
//!     rate_per_sec: 10.0,
//!     protocol: None,
//!     risk: RiskLevel::Low,
//!     urgency: Urgency::Normal,
//!     trading_pairs: 100,
//!     users: 10,
//!     trade_size: TradeSize { min_usd: 10.0, shape: 2.0 },
//!     shape: RateShape::default(),
//! });
//! config.arrivals_until = SimTime::ZERO + SimDuration::from_mins(10);
//!
//! let mut minutes = 0;
//! let done = Experiment::new(config, 7, Arc::new(LeastLoaded), Box::new(Static))
//!     .run(|_| minutes += 1)
//!     .unwrap();
//! assert_eq!(minutes, 10, "progress after every simulated minute");
//! assert_eq!(done.intervals, 10);
//! assert!(done.outcome.completed > 5_000);
//! // Drained: every invocation ended, and the books say so.
//! assert_eq!(done.books.generated, done.sim.model().conservation().generated);
//! assert!(done.migrations.is_empty() && done.records.is_empty());
//! ```

use std::sync::Arc;

use shardsim_model::ForecastModel;
use shardsim_sim::cluster::{
    Cluster, ClusterConfig, ClusterError, Conservation, MigrationRecord, RoutingPolicy,
};
use shardsim_sim::trace::Trace;
use shardsim_sim::{SimDuration, SimTime, Simulation};

use crate::driver::{DriveConfig, Driver, PlanRecord};
use crate::outcome::Outcome;
use crate::policies::MigrationPolicy;

/// How often [`Experiment::run`] reports progress, in simulated time. Stepping the driver in
/// these chunks gives the same run as one step to the end: the engine's `run_until` composes
/// and the driver stops at its own ticks either way (a test checks it).
pub const PROGRESS_STEP: SimDuration = SimDuration::from_mins(1);

/// What to run: a cluster configuration and seed, the routing policy, the migration policy,
/// the trained model if there is one, the driver's settings and the end of the arrival window.
#[derive(Debug)]
pub struct Experiment {
    /// The cluster.
    pub config: ClusterConfig,
    /// Master seed.
    pub seed: u64,
    /// How invocations are routed.
    pub routing: Arc<dyn RoutingPolicy>,
    /// The migration policy.
    pub policy: Box<dyn MigrationPolicy>,
    /// The trained forecaster for policies that take one (see
    /// [`MigrationPolicy::forecast_source`]); without one they see persistence.
    pub model: Option<Arc<ForecastModel>>,
    /// Driver settings; `drive.overload` is also the excess-load threshold of
    /// [`Finished::outcome`].
    pub drive: DriveConfig,
    /// The end of the arrival window: the run is driven to here, measured over
    /// `[0, arrivals_end)`, then drained.
    pub arrivals_end: SimTime,
    /// A trace to digest every event of the run into (forks made for planning and scoring are
    /// not part of the run), for finding where two runs diverge; `None`: no tracing.
    pub trace: Option<Trace>,
}

/// Why an experiment could not run.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// The cluster configuration was refused (the message is the cluster's own).
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

/// A finished experiment.
#[derive(Debug)]
pub struct Finished {
    /// The simulation after the drain.
    pub sim: Simulation<Cluster>,
    /// Closed metric intervals inside the arrival window.
    pub intervals: usize,
    /// Measured over the arrival window, after metrics were closed at its end, with
    /// `drive.overload` as the excess-load threshold.
    pub outcome: Outcome,
    /// Max/mean shard load ratio, at the end of the arrival window.
    pub max_mean_load_ratio: f64,
    /// The migrations by the end of the arrival window.
    pub migrations: Vec<MigrationRecord>,
    /// Every non-empty plan, with what became of it.
    pub records: Vec<PlanRecord>,
    /// The books after the drain, checked.
    pub books: Conservation,
    /// The run's trace, drain included, when one was installed.
    pub trace: Option<Trace>,
}

impl Experiment {
    /// An experiment with no model, the default driver settings with plan scoring off, and the
    /// arrival window the configuration declares (`config.arrivals_until`).
    pub fn new(
        config: ClusterConfig,
        seed: u64,
        routing: Arc<dyn RoutingPolicy>,
        policy: Box<dyn MigrationPolicy>,
    ) -> Experiment {
        Experiment {
            arrivals_end: config.arrivals_until,
            config,
            seed,
            routing,
            policy,
            model: None,
            drive: DriveConfig {
                score_plans: false,
                ..DriveConfig::default()
            },
            trace: None,
        }
    }

    /// Runs it, calling `progress(simulated time)` after every [`PROGRESS_STEP`] of the arrival
    /// window.
    ///
    /// # Panics
    /// If the books do not balance after the drain (a simulator bug, never an input error).
    pub fn run(self, mut progress: impl FnMut(SimTime)) -> Result<Finished, ExperimentError> {
        let end = self.arrivals_end;
        let mut sim = Cluster::simulation(self.config, self.seed, self.routing)?;
        if let Some(trace) = self.trace {
            sim.set_trace(trace);
        }
        let intervals = (end.as_nanos() / sim.model().metrics_interval().as_nanos()) as usize;
        let mut driver = Driver::for_policy(
            &sim,
            self.policy.as_ref(),
            self.model.as_deref(),
            self.drive,
        );
        while sim.now() < end {
            let next = (sim.now() + PROGRESS_STEP).min(end);
            driver.run_until(&mut sim, next);
            progress(sim.now());
        }
        sim.model_mut().close_metrics(end);
        let c = sim.model();
        let outcome = Outcome::measure(c, SimTime::ZERO..end, self.drive.overload);
        let max_mean_load_ratio = c.max_mean_load_ratio();
        let migrations = c.migrations();
        let records = driver.records().to_vec();
        drop(driver);
        // Drain: sources have stopped; let everything in flight end, then check the books.
        sim.run_to_completion();
        let books = sim.model().assert_conservation();
        let trace = sim.take_trace();
        Ok(Finished {
            sim,
            intervals,
            outcome,
            max_mean_load_ratio,
            migrations,
            records,
            books,
            trace,
        })
    }
}
