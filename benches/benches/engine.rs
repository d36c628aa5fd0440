//! The engine against a bare `BinaryHeap` loop on PHOLD, at 1k, 10k and 100k pending events.
//!
//! Both start from the same prepared state (cloned outside the timed section) and handle the same
//! events in the same order, so the ratio of their medians is the engine's overhead.

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use shardsim_benches::PHOLD_POPULATIONS;
use shardsim_sim::phold::{BareHeapPhold, Phold, PholdConfig};

const EVENTS_PER_ITER: u64 = 200_000;

fn phold(c: &mut Criterion) {
    let mut group = c.benchmark_group("phold");
    group.throughput(Throughput::Elements(EVENTS_PER_ITER));
    group.sample_size(20);
    for (lps, pop) in PHOLD_POPULATIONS {
        let config = PholdConfig::new(lps, pop, 1).expect("valid PHOLD settings");
        let pending = config.population();
        let engine = Phold::simulation(config);
        let bare = BareHeapPhold::new(config);
        group.bench_with_input(BenchmarkId::new("bare_heap", pending), &bare, |b, bare| {
            b.iter_batched(
                || bare.clone(),
                |mut r| {
                    r.run(EVENTS_PER_ITER);
                    r
                },
                BatchSize::LargeInput,
            )
        });
        group.bench_with_input(BenchmarkId::new("engine", pending), &engine, |b, sim| {
            b.iter_batched(
                || sim.clone(),
                |mut s| {
                    s.run_events(EVENTS_PER_ITER);
                    s
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, phold);
criterion_main!(benches);
