//! Fixtures for tests and benches: small declarations with plain defaults, so that a test spells
//! out only the fields it is about.
//!
//! Not for scenarios: the defaults are chosen to be easy to reason about, not realistic.
//!
//! ```
//! use shardsim_sim::cluster::{Cluster, LeastLoaded, ServiceTime};
//! use shardsim_sim::testkit;
//! use shardsim_sim::SimDuration;
//! use std::sync::Arc;
//!
//! let mut config = testkit::small_config(); // two us-east shards, one function, 150/s for 60 s
//! config.functions[0].0.service = ServiceTime::Constant(SimDuration::from_millis(5));
//! let mut sim = Cluster::simulation(config, 1, Arc::new(LeastLoaded)).unwrap();
//! sim.run_to_completion();
//! let books = sim.model().assert_conservation();
//! assert_eq!(books.generated, books.completed + books.timed_out);
//! ```

use crate::cluster::{
    ClusterConfig, ConfigItem, CpuClass, EventTypeId, ExchangeId, FunctionSpec, PoissonSource,
    Priority, RateShape, RegionId, Resources, RiskLevel, ServiceTime, ShardBy, ShardSpec,
    ShardTags, Topology, TradeSize, Urgency,
};
use crate::time::{SimDuration, SimTime};

/// A function handling event type 0, least-loaded, one low cpu slot and 64 MiB at medium
/// priority, a 2 s timeout, log-normal service of mean 20 ms (cv 0.6), 20 MB of state and a
/// 500 ms warm-up, one version, no follow-up events.
pub fn function(name: &str) -> FunctionSpec {
    FunctionSpec {
        name: name.into(),
        handles: EventTypeId(0),
        shard_by: ShardBy::LeastLoaded,
        resources: Resources {
            cpu: CpuClass::Low,
            memory_mb: 64,
            priority: Priority::Medium,
            timeout: SimDuration::from_secs(2),
        },
        service: ServiceTime::LogNormal {
            mean: SimDuration::from_millis(20),
            cv: 0.6,
        },
        state_bytes: 20e6,
        warmup: SimDuration::from_millis(500),
        versions: Vec::new(),
        emits: vec![],
    }
}

/// A shard in region `region` (an index into the default regions): 4 cpu slots at nominal
/// speed, 8 GiB, a queue of 100, no tags.
pub fn shard(name: &str, region: u16) -> ShardSpec {
    ShardSpec {
        name: name.into(),
        region: RegionId(region),
        cpu_slots: 4,
        speed: 1.0,
        memory_mb: 8_192,
        queue_capacity: 100,
        tags: ShardTags::default(),
    }
}

/// A flat Poisson source of event type 0 from exchange `exchange` (an index into the default
/// exchanges) at `rate` per second: low risk, normal urgency, 10 trading pairs, 100 users,
/// Pareto trade sizes from $10 with shape 2.
pub fn source(name: &str, exchange: u16, rate: f64) -> PoissonSource {
    PoissonSource {
        name: name.into(),
        event_type: EventTypeId(0),
        exchange: ExchangeId(exchange),
        rate_per_sec: rate,
        protocol: None,
        risk: RiskLevel::Low,
        urgency: Urgency::Normal,
        trading_pairs: 10,
        users: 100,
        trade_size: TradeSize {
            min_usd: 10.0,
            shape: 2.0,
        },
        shape: RateShape::default(),
    }
}

/// A configuration over the default regions and exchanges with these shards, and nothing else.
pub fn config(shards: impl IntoIterator<Item = ShardSpec>) -> ClusterConfig {
    let mut t = Topology::default_regions();
    for s in shards {
        t.add_shard(s);
    }
    ClusterConfig::new(t)
}

/// Two us-east shards (`a`, `b`), [`function`] `f` on both, [`source`] `s` from coinbase at
/// 150/s (about 38% of the four slots each), arrivals for 60 s.
pub fn small_config() -> ClusterConfig {
    let mut c = config([shard("a", 0), shard("b", 0)]);
    c.functions.push((function("f"), vec![]));
    c.sources.push(source("s", 2, 150.0));
    c.arrivals_until = SimTime::ZERO + SimDuration::from_secs(60);
    c
}

/// Why `config` is refused: the item, the field and the message of its validation error.
///
/// # Panics
/// If `config` is valid (a test expecting a refusal got none).
pub fn refusal(config: &ClusterConfig) -> (Option<ConfigItem>, Option<&'static str>, String) {
    let e = config
        .validate()
        .expect_err("the configuration should have been refused");
    (e.item(), e.field(), e.to_string())
}
