//! Cost of one routing decision per policy, on the 64-shard benchmark cluster mid-run (real
//! loads, queues and histories), each function placed on all 64 shards.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::RngExt;
use shardsim_sim::cluster::preset::SyntheticCluster;
use shardsim_sim::cluster::{Cluster, FunctionId, POLICY_NAMES, RouteRequest, policy_by_name};
use shardsim_sim::rng::RngStreams;
use shardsim_sim::{SimDuration, SimTime};

fn routing(c: &mut Criterion) {
    let shape = SyntheticCluster {
        placement_width: 64,
        duration: SimDuration::from_mins(2),
        ..SyntheticCluster::BENCH
    };
    let mut sim = Cluster::simulation(
        shape.config(),
        1,
        policy_by_name("least-loaded").expect("known"),
    )
    .expect("valid");
    sim.run_until(SimTime::ZERO + SimDuration::from_secs(90));
    let now = sim.now();
    let cluster = sim.model();
    let view = cluster.view(now);
    // A fixed set of realistic events to route, drawn once.
    let mut draw = RngStreams::new(7).stream("bench/routing-events");
    let functions: Vec<FunctionId> = (0..cluster.functions().len() as u32)
        .map(FunctionId)
        .collect();
    let events: Vec<_> = (0..1024)
        .map(|i| {
            let f = functions[i % functions.len()];
            let mut e = shardsim_sim::cluster::DomainEvent {
                event_type: cluster.function(f).spec.handles,
                exchange: shardsim_sim::cluster::ExchangeId((i % 5) as u16),
                protocol: None,
                risk: shardsim_sim::cluster::RiskLevel::Low,
                urgency: shardsim_sim::cluster::Urgency::Normal,
                stream: 0,
                trading_pair: draw.random_range(0..200),
                user: draw.random_range(0..10_000),
                amount_usd: 100.0,
            };
            e.stream = i as u32;
            (f, e)
        })
        .collect();
    let mut group = c.benchmark_group("routing_decision_64_shards");
    for name in POLICY_NAMES {
        let policy = policy_by_name(name).expect("known");
        let mut rng = RngStreams::new(1).stream("routing");
        let mut i = 0usize;
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                let (f, event) = &events[i % events.len()];
                i += 1;
                let request = RouteRequest {
                    event,
                    function: *f,
                    declaration: cluster.function(*f),
                    candidates: cluster.placement(*f),
                    sequence: i as u64,
                    origin: cluster.topology().exchanges[event.exchange.index()].home,
                };
                policy.select(&request, &view, &mut rng)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, routing);
criterion_main!(benches);
