//! The whole declared run: [`ClusterConfig`], the declared items of `spec/` together with the
//! per-function routing policies, and [`ClusterConfig::validate`], every check made once.
//!
//! It sits above `routing/` (it holds routing policies) so that `spec/` depends on nothing but
//! itself.

use std::sync::Arc;

use crate::cluster::ids::ShardId;
use crate::cluster::routing::RoutingPolicy;
use crate::cluster::spec::faults::{BreakerConfig, Fault};
use crate::cluster::spec::function::FunctionSpec;
use crate::cluster::spec::market::MarketConfig;
use crate::cluster::spec::settings::{MonitorConfig, ScheduledChange, SelectionWeights};
use crate::cluster::spec::topology::Topology;
use crate::cluster::spec::workload::{HawkesGroup, PoissonSource, RegimeConfig};
use crate::time::{SimDuration, SimTime};

mod limits;
mod market;
pub(crate) mod validate;

pub use limits::{
    MAX_EXPECTED_ARRIVALS, MAX_MARKET_VALUES, MAX_METRICS_BYTES, MAX_MONITOR_CHECKS,
    MAX_RATE_PER_SEC, MAX_REGIME_SWITCHES, MAX_SHARDS, MAX_USER_TIME,
};

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
    /// The calm ↔ volatile regime, if any (the precursor-free control).
    pub regime: Option<RegimeConfig>,
    /// The market world driving market-exposed sources, if any (absent: no source is exposed,
    /// and every output is what it was before the market existed).
    pub market: Option<MarketConfig>,
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

impl ClusterConfig {
    /// A configuration over `topology` with no functions, sources or faults yet.
    pub fn new(topology: Topology) -> Self {
        ClusterConfig {
            topology,
            functions: Vec::new(),
            sources: Vec::new(),
            hawkes: Vec::new(),
            regime: None,
            market: None,
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
