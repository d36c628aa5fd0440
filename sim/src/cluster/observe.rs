//! The operator's view: what forecasters and migration policies may read.
//!
//! An [`Observation`] wraps the cluster privately and answers only what an operator of the real
//! system could know at `now`: the declared configuration (topology, functions, placements,
//! migration costs), the metrics recorded so far, the live state of each shard (as routing sees
//! it, [`ClusterView`]), the migrations and faults that have happened, where each function's
//! events have come from so far, the market feed (price updates and their returns, arrival
//! rates) and the public calendar of scheduled events. It never hands out the [`Cluster`]: the world's hidden side —
//! the market regime, the latent volatility, the realised impact of scheduled events, the
//! sources and their rates, future arrivals — is not reachable through
//! it, so a forecaster or policy written against it cannot peek. The oracle, which does see the
//! future, gets its forecasts from a look-ahead fork made by the driver, not from here.
//!
//! `experiments/tests/leak.rs` checks the boundary: worlds that differ only in hidden state get
//! the same forecasts and plans.

use crate::cluster::ids::{FunctionId, RegionId, ShardId};
use crate::cluster::market::PublicEvent;
use crate::cluster::metrics::function::FunctionMetrics;
use crate::cluster::metrics::market_feed::MarketFeedSeries;
use crate::cluster::metrics::records::{FaultRecord, MigrationRecord};
use crate::cluster::metrics::shard::ShardSeries;
use crate::cluster::spec::function::Function;
use crate::cluster::spec::topology::Topology;
use crate::cluster::view::ClusterView;
use crate::cluster::world::Cluster;
use crate::time::{SimDuration, SimTime};

/// What an operator can see of the cluster at one instant: the declared configuration, the
/// metrics so far, the live shard state, migrations and faults so far, observed origins.
#[derive(Clone, Copy, Debug)]
pub struct Observation<'a> {
    cluster: &'a Cluster,
    now: SimTime,
}

impl Cluster {
    /// The operator's view at `now` (metrics should be closed up to `now` first:
    /// [`Cluster::close_metrics`]).
    pub fn observe(&self, now: SimTime) -> Observation<'_> {
        Observation { cluster: self, now }
    }
}

impl<'a> Observation<'a> {
    /// The time of the observation.
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// The declared topology (regions, network, shards with their tiers, exchanges).
    pub fn topology(&self) -> &'a Topology {
        self.cluster.topology()
    }
    /// The live state of every shard, as routing sees it.
    pub fn view(&self) -> ClusterView<'a> {
        self.cluster.view(self.now)
    }
    /// The registered functions (declared).
    pub fn functions(&self) -> &'a [Function] {
        self.cluster.functions()
    }
    /// One function.
    pub fn function(&self, f: FunctionId) -> &'a Function {
        self.cluster.function(f)
    }
    /// Where function `f` runs now.
    pub fn placement(&self, f: FunctionId) -> &'a [ShardId] {
        self.cluster.placement(f)
    }
    /// The metrics interval.
    pub fn metrics_interval(&self) -> SimDuration {
        self.cluster.metrics_interval()
    }
    /// Shard `s`'s metrics recorded so far.
    pub fn shard_series(&self, s: ShardId) -> &'a ShardSeries {
        self.cluster.shard_series(s)
    }
    /// Per-function totals and per-interval counts so far.
    pub fn function_metrics(&self) -> &'a [FunctionMetrics] {
        self.cluster.function_metrics()
    }
    /// The work function `f` has delivered to shard `s` so far (slot-nanoseconds).
    pub fn function_work_ns(&self, f: FunctionId, s: ShardId) -> u64 {
        self.cluster.function_work_ns(f, s)
    }
    /// The migrations so far, finished or under way.
    pub fn migrations(&self) -> Vec<MigrationRecord> {
        self.cluster.migrations()
    }
    /// The faults that have started or ended so far.
    pub fn fault_log(&self) -> &'a [FaultRecord] {
        self.cluster.fault_log()
    }
    /// Where function `f`'s events have come from so far: the home regions of the exchanges
    /// that sent them, weighted by count (summing to 1), in region order; empty before any
    /// arrived or when only follow-up events reach it.
    pub fn origins(&self, f: FunctionId) -> Vec<(RegionId, f64)> {
        self.cluster.observed_origins(f)
    }
    /// How long moving `f`'s state from `from` to `to` takes (declared state size, link, warm-up).
    pub fn transfer_duration(&self, f: FunctionId, from: ShardId, to: ShardId) -> SimDuration {
        self.cluster.transfer_duration(f, from, to)
    }
    /// The market feed so far: per interval and exchange the price updates and their squared
    /// returns (realised variance), per interval and event type the arrivals. Only intervals
    /// complete at `now` ([`MarketFeedSeries::complete_before`]) are final. `None` without a
    /// market.
    pub fn market_feed(&self) -> Option<&'a MarketFeedSeries> {
        self.cluster.market_feed()
    }
    /// The public calendar: every scheduled event (funding settlements included) with its time,
    /// kind and impact class — known in advance, as real calendars are; never its realised
    /// impact. Empty without a market.
    pub fn public_calendar(&self) -> &'a [PublicEvent] {
        self.cluster
            .market_path()
            .map_or(&[], |p| p.public_calendar())
    }
    /// The shard an expansion of `f` onto `to` would copy its state from.
    pub fn expansion_source(&self, f: FunctionId, to: ShardId) -> Option<ShardId> {
        self.cluster.expansion_source(f, to)
    }
}
