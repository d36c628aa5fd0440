//! One planning step's forecast: features for every shard at the latest interval of a live
//! 70-shard cluster, then the model's predictions for all of them.

use criterion::{Criterion, criterion_group, criterion_main};
use shardsim_model::features::{self, History};
use shardsim_model::forecaster::{TrainConfig, train};
use shardsim_sim::cluster::preset::SyntheticCluster;
use shardsim_sim::cluster::{Cluster, policy_by_name};
use shardsim_sim::{SimDuration, SimTime};

fn forecast(c: &mut Criterion) {
    let shape = SyntheticCluster {
        shards: 64,
        duration: SimDuration::from_mins(180),
        ..SyntheticCluster::BENCH
    };
    let policy = || policy_by_name("least-loaded").expect("known");
    // Train a small model on two 3-hour runs; forecast on a third.
    let mut rows = Vec::new();
    for seed in 1..=2u64 {
        let mut sim = Cluster::simulation(shape.config(), seed, policy()).expect("valid");
        let end = SimTime::ZERO + shape.duration;
        sim.run_until(end);
        sim.model_mut().close_metrics(end);
        let h = History::from_observation(&sim.model().observe(end), 180);
        rows.extend(features::rows(
            &h,
            seed as u32,
            15,
            &features::Hindsight::default(),
        ));
    }
    let config = TrainConfig {
        max_rows: 10_000,
        validation_share: 0.5,
        ..TrainConfig::default()
    }
    .check()
    .expect("valid settings");
    let model = train(
        &rows,
        &Default::default(),
        15,
        60.0,
        &config,
        "bench".into(),
    )
    .expect("trains");
    let mut live = Cluster::simulation(shape.config(), 3, policy()).expect("valid");
    let now = SimTime::ZERO + SimDuration::from_mins(120);
    live.run_until(now);
    live.model_mut().close_metrics(now);

    c.bench_function("forecast_all_64_shards_one_step", |b| {
        b.iter(|| {
            let (_, inputs) =
                features::latest(&live.model().observe(now), 15).expect("an hour of history");
            let x: Vec<&[f64]> = inputs.iter().map(Vec::as_slice).collect();
            model.predict(&x)
        })
    });
    let (_, inputs) = features::latest(&live.model().observe(now), 15).expect("history");
    let x: Vec<&[f64]> = inputs.iter().map(Vec::as_slice).collect();
    c.bench_function("predict_only_64_shards", |b| b.iter(|| model.predict(&x)));
}

criterion_group!(benches, forecast);
criterion_main!(benches);
