//! Test fixtures shared by the policies' unit tests: a small cluster and one event.

use std::sync::Arc;

use crate::cluster::event::{DomainEvent, RiskLevel, Urgency};
use crate::cluster::ids::{EventTypeId, ExchangeId, FunctionId, ProtocolId, ShardId};
use crate::cluster::routing::balancers::LeastLoaded;
use crate::cluster::routing::{NoRoute, Route, RouteRequest, RoutingPolicy};
use crate::cluster::spec::function::{
    CpuClass, FunctionSpec, Priority, Resources, ServiceTime, ShardBy,
};
use crate::cluster::spec::topology::{ShardSpec, ShardTags};
use crate::cluster::world::Cluster;
use crate::rng::RngStreams;
use crate::testkit;
use crate::time::{SimDuration, SimTime};

pub(crate) const US_EAST: u16 = 0;
pub(crate) const US_WEST: u16 = 1;
pub(crate) const ASIA: u16 = 3;
pub(crate) const COINBASE: ExchangeId = ExchangeId(2); // home: us-west
pub(crate) const P0: ProtocolId = ProtocolId(0);

pub(crate) fn shard(name: &str, region: u16, tags: ShardTags) -> ShardSpec {
    ShardSpec {
        cpu_slots: 100, // loads in whole percent: busy 80 = load 0.80
        memory_mb: 10_000,
        queue_capacity: 1_000,
        tags,
        ..testkit::shard(name, region)
    }
}

pub(crate) fn tags() -> ShardTags {
    ShardTags::default()
}

pub(crate) fn cluster(
    shards: Vec<ShardSpec>,
    shard_by: ShardBy,
    placement: Vec<ShardId>,
) -> Cluster {
    let mut config = testkit::config(shards);
    config.functions.push((
        FunctionSpec {
            shard_by,
            resources: Resources {
                cpu: CpuClass::High, // 2 slots
                memory_mb: 512,
                priority: Priority::Medium,
                timeout: SimDuration::from_secs(1),
            },
            service: ServiceTime::Constant(SimDuration::from_millis(10)),
            ..testkit::function("f")
        },
        placement,
    ));
    Cluster::simulation(config, 1, Arc::new(LeastLoaded))
        .unwrap()
        .into_model()
}

pub(crate) fn event() -> DomainEvent {
    DomainEvent {
        event_type: EventTypeId(0),
        exchange: COINBASE,
        protocol: Some(P0),
        risk: RiskLevel::Low,
        urgency: Urgency::Normal,
        stream: 0,
        trading_pair: 7,
        user: 42,
        amount_usd: 10.0,
    }
}

pub(crate) fn route_seq(
    policy: &dyn RoutingPolicy,
    c: &Cluster,
    ev: &DomainEvent,
    sequence: u64,
) -> Result<Route, NoRoute> {
    let f = FunctionId(0);
    let request = RouteRequest {
        event: ev,
        function: f,
        declaration: c.function(f),
        candidates: c.placement(f),
        sequence,
        origin: c.topology().exchanges[ev.exchange.index()].home,
    };
    let mut rng = RngStreams::new(sequence).stream("routing-test");
    policy.select(&request, &c.view(SimTime::ZERO), &mut rng)
}

pub(crate) fn route(
    policy: &dyn RoutingPolicy,
    c: &Cluster,
    ev: &DomainEvent,
) -> Result<Route, NoRoute> {
    route_seq(policy, c, ev, 0)
}

pub(crate) fn to(s: u32) -> Result<Route, NoRoute> {
    Ok(Route::to(ShardId(s)))
}

pub(crate) fn load(c: &mut Cluster, s: u32, percent: u32) {
    c.test_set_occupancy(ShardId(s), percent, 0, 0);
}

pub(crate) fn four_plain(shard_by: ShardBy) -> Cluster {
    cluster(
        (0..4)
            .map(|i| shard(&format!("s{i}"), US_WEST, tags()))
            .collect(),
        shard_by,
        vec![],
    )
}
