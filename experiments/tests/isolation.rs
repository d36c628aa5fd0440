//! Declared isolation binds every migration policy: dedicated shards (a risk tier, a primary,
//! critical hardware) are not spare capacity for other groups unless declared `lendable`.

use shardsim::scenario::Scenario;
use shardsim_optimizer::{Experiment, policy_by_name};
use shardsim_sim::SimDuration;
use shardsim_sim::cluster::{ClusterConfig, MigrationRecord, policy_by_name as routing_by_name};

/// The built-in storm day at twice its rates over four hours, so every policy moves things.
fn busy(lendable: bool) -> ClusterConfig {
    let mut config = Scenario::load("market_volatility")
        .expect("built-in")
        .config(Some(SimDuration::from_mins(240)));
    for s in &mut config.sources {
        s.rate_per_sec *= 2.0;
    }
    for shard in &mut config.topology.shards {
        shard.tags.lendable = lendable;
    }
    config
}

fn migrations(config: ClusterConfig, policy: &str) -> (ClusterConfig, Vec<MigrationRecord>) {
    let exp = Experiment::new(
        config.clone(),
        1,
        routing_by_name("declared").expect("a routing policy"),
        policy_by_name(policy).expect("a migration policy"),
    );
    (config, exp.run(|_| {}).expect("runs").migrations)
}

/// The migrations that put a function on a dedicated shard outside the dedication of the shard
/// it came from (for an expansion, the shard its state was copied from).
fn crossings(config: &ClusterConfig, records: &[MigrationRecord]) -> Vec<String> {
    let shards = &config.topology.shards;
    records
        .iter()
        .filter(|m| {
            let (from, to) = (&shards[m.from.index()].tags, &shards[m.to.index()].tags);
            to.dedicated()
                && !(to.risk_tier == from.risk_tier
                    && to.primary == from.primary
                    && to.critical == from.critical)
        })
        .map(|m| {
            format!(
                "{:?}: {} → {}",
                m.function,
                shards[m.from.index()].name,
                shards[m.to.index()].name
            )
        })
        .collect()
}

#[test]
fn no_policy_lends_out_dedicated_hardware() {
    for policy in ["reactive", "predictive", "performance"] {
        let (config, records) = migrations(busy(false), policy);
        assert!(
            !records.is_empty(),
            "{policy} moved nothing: the test shows nothing"
        );
        let crossed = crossings(&config, &records);
        assert!(
            crossed.is_empty(),
            "{policy} used dedicated shards: {crossed:?}"
        );
    }
}

#[test]
fn declared_lendable_hardware_is_used_as_spare_capacity() {
    // The test's power: the same runs with every shard lendable do cross dedications.
    let crossed: usize = ["reactive", "predictive", "performance"]
        .iter()
        .map(|p| {
            let (config, records) = migrations(busy(true), p);
            crossings(&config, &records).len()
        })
        .sum();
    assert!(
        crossed > 0,
        "no policy ever used a dedicated shard, even when allowed"
    );
}
