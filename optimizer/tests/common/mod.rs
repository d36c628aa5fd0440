//! The set-up the optimizer's integration tests share: a surge scenario, and an experiment on
//! it under a policy.

#![allow(dead_code)] // each test binary uses its own part

use std::sync::Arc;

use shardsim_optimizer::sim::cluster::*;
use shardsim_optimizer::sim::{SimDuration, SimTime, Simulation, testkit};
use shardsim_optimizer::{DriveConfig, Experiment, Finished, MigrationPolicy};

pub const HOT: usize = 4;
pub const SPARE: usize = 4;

/// A pool of four 4-slot shards running one regime-sensitive function at about half load when
/// calm and at full load when volatile (×2), and four idle shards beside it, all in the region
/// of the exchange the events come from.
pub fn surge_config(hours: u64) -> ClusterConfig {
    let home = Topology::default_regions().exchanges[0].home;
    let mut c = testkit::config((0..HOT + SPARE).map(|i| ShardSpec {
        queue_capacity: 400,
        ..testkit::shard(&format!("s{i}"), home.0)
    }));
    let scanner = FunctionSpec {
        shard_by: ShardBy::TradingPair,
        resources: Resources {
            priority: Priority::High,
            timeout: SimDuration::from_millis(1_000),
            ..testkit::function("scanner").resources
        },
        service: ServiceTime::LogNormal {
            mean: SimDuration::from_millis(100),
            cv: 0.5,
        },
        state_bytes: 50e6,
        warmup: SimDuration::from_secs(2),
        ..testkit::function("scanner")
    };
    c.functions
        .push((scanner, (0..HOT as u32).map(ShardId).collect()));
    c.sources.push(PoissonSource {
        trading_pairs: 2_000,
        shape: RateShape {
            regime_sensitive: true,
            ..RateShape::default()
        },
        ..testkit::source("prices", 0, 85.0)
    });
    c.regime = Some(RegimeConfig {
        calm_mean: SimDuration::from_mins(40),
        volatile_mean: SimDuration::from_mins(25),
        volatile_multiplier: 2.0,
        start_volatile: false,
        episode: Default::default(),
    });
    c.arrivals_until = SimTime::ZERO + SimDuration::from_mins(60 * hours);
    c.metrics_interval = SimDuration::from_mins(1);
    c
}

pub fn sim(seed: u64, hours: u64) -> Simulation<Cluster> {
    Cluster::simulation(surge_config(hours), seed, Arc::new(LeastLoaded)).expect("valid config")
}

/// Driving settings for runs that only need the outcome (no fork scoring), with outcomes
/// measured above 0.8 load.
pub fn unscored() -> DriveConfig {
    DriveConfig {
        score_plans: false,
        overload: 0.8,
        ..DriveConfig::default()
    }
}

/// An experiment on `config` with `seed` (least-loaded routing) under `policy`, unscored.
pub fn experiment(
    config: ClusterConfig,
    seed: u64,
    policy: impl MigrationPolicy + 'static,
) -> Experiment {
    Experiment {
        drive: unscored(),
        ..Experiment::new(config, seed, Arc::new(LeastLoaded), Box::new(policy))
    }
}

/// The surge scenario for `hours` under `policy`, run to the end and drained.
pub fn run(policy: impl MigrationPolicy + 'static, seed: u64, hours: u64) -> Finished {
    experiment(surge_config(hours), seed, policy)
        .run(|_| {})
        .expect("valid config")
}
