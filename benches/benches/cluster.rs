//! The simulated cluster end to end: the `shardsim bench cluster` workload (64 shards, 20
//! functions, Poisson arrivals, least-loaded routing), shortened to 5 simulated minutes so one
//! sample stays under a second. Throughput is in invocations.

use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use shardsim_sim::SimDuration;
use shardsim_sim::cluster::preset::SyntheticCluster;
use shardsim_sim::cluster::{Cluster, LeastLoaded};

fn cluster(c: &mut Criterion) {
    let shape = SyntheticCluster {
        duration: SimDuration::from_mins(5),
        ..SyntheticCluster::BENCH
    };
    let config = shape.config();
    let fresh = || Cluster::simulation(config.clone(), 1, Arc::new(LeastLoaded)).expect("valid");
    let invocations = {
        let mut sim = fresh();
        sim.run_to_completion();
        sim.model().conservation().generated
    };
    let mut group = c.benchmark_group("cluster");
    group.throughput(Throughput::Elements(invocations));
    group.sample_size(10);
    group.bench_function("least_loaded_64_shards_5min", |b| {
        b.iter_batched(
            fresh,
            |mut sim| {
                sim.run_to_completion();
                sim
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, cluster);
criterion_main!(benches);
