//! The simulated cluster end to end: the `shardsim bench cluster` workload (64 shards, 20
//! functions, Poisson arrivals, least-loaded routing), shortened to 5 simulated minutes so one
//! sample stays under a second; and `cluster_scaling`, the same shape at 64, 256 and 1024 shards
//! (the rate per shard constant, the duration × 64/N so each sample simulates as many
//! invocations) under four routing policies. Throughput is in invocations.

use std::sync::Arc;

use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main,
};
use shardsim_sim::SimDuration;
use shardsim_sim::Simulation;
use shardsim_sim::cluster::preset::SyntheticCluster;
use shardsim_sim::cluster::{Cluster, LeastLoaded, policy_by_name};

/// Benchmarks running `fresh()` simulations to completion as `name`, with their invocations as
/// the throughput (counted on one untimed run).
fn bench_runs(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    fresh: impl Fn() -> Simulation<Cluster>,
) {
    let invocations = {
        let mut sim = fresh();
        sim.run_to_completion();
        sim.model().conservation().generated
    };
    group.throughput(Throughput::Elements(invocations));
    group.bench_function(name, |b| {
        b.iter_batched(
            &fresh,
            |mut sim| {
                sim.run_to_completion();
                sim
            },
            BatchSize::LargeInput,
        )
    });
}

fn cluster(c: &mut Criterion) {
    let shape = SyntheticCluster {
        duration: SimDuration::from_mins(5),
        ..SyntheticCluster::BENCH
    };
    let config = shape.config();
    let mut group = c.benchmark_group("cluster");
    group.sample_size(10);
    bench_runs(&mut group, "least_loaded_64_shards_5min", || {
        Cluster::simulation(config.clone(), 1, Arc::new(LeastLoaded)).expect("valid")
    });
    group.finish();
}

/// The shard counts of `cluster_scaling`: small enough that `cargo bench -- --test` stays fast
/// (`shardsim bench cluster --scaling` goes to 4096).
const SCALING_SHARDS: [u32; 3] = [64, 256, 1024];
const SCALING_ROUTING: [&str; 4] = ["declared", "power-of-two", "least-loaded", "bounded-hash"];

fn cluster_scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("cluster_scaling");
    group.sample_size(10);
    for shards in SCALING_SHARDS {
        let shape = SyntheticCluster {
            duration: SimDuration::from_nanos(
                SimDuration::from_mins(2).as_nanos() * 64 / u64::from(shards),
            ),
            ..SyntheticCluster::scaled(shards)
        };
        let config = shape.config();
        for routing in SCALING_ROUTING {
            let policy = policy_by_name(routing).expect("a built-in policy");
            bench_runs(&mut group, &format!("{routing}_{shards}_shards"), || {
                Cluster::simulation(config.clone(), 1, policy.clone()).expect("valid")
            });
        }
    }
    group.finish();
}

criterion_group!(benches, cluster, cluster_scaling);
criterion_main!(benches);
