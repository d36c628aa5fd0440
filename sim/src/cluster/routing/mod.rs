//! Routing: the policy trait and the read-only view of the cluster it decides on.
//!
//! A policy is pure: it reads the [`ClusterView`] and the request, and draws randomness only from
//! the stream it is handed. Adding a policy is one `impl RoutingPolicy`.
//!
//! strategies (protocol, risk, geography, resources) and the classic balancers used as baselines.
//!
//! Each is one `impl RoutingPolicy`: pure over the [`ClusterView`], randomness only from the
//! stream it is handed. All of them skip shards the view reports unavailable (down, partitioned,
//! circuit open). Select one by name with [`policy_by_name`].

use std::fmt::Debug;
use std::sync::Arc;

use crate::cluster::event::DomainEvent;
use crate::cluster::ids::{FunctionId, RegionId, ShardId};
use crate::cluster::spec::function::Function;
use crate::cluster::view::ClusterView;
use crate::rng::SimRng;

pub(crate) mod balancers;
pub(crate) mod declared;
#[cfg(test)]
mod fixtures;
pub(crate) mod geo;
pub(crate) mod protocol;
pub(crate) mod resource;
pub(crate) mod risk;
pub(crate) mod select;

pub use balancers::{
    BoundedLoadHash, JoinShortestQueue, KeyHash, LeastLoaded, PowerOfTwo, RandomChoice, RoundRobin,
};
pub use declared::{Declared, amount_group, risk_group};
pub use geo::Geographic;
pub use protocol::ProtocolSharding;
pub use resource::ResourceMatching;
pub use risk::RiskBased;
pub use select::affinity;

/// What routing decides about: one event for one function.
#[derive(Clone, Copy, Debug)]
pub struct RouteRequest<'a> {
    /// The event.
    pub event: &'a DomainEvent,
    /// The function that will handle it.
    pub function: FunctionId,
    /// Its declaration.
    pub declaration: &'a Function,
    /// The shards the function may run on now, in placement order.
    pub candidates: &'a [ShardId],
    /// How many of this function's events were routed before this one: the state a round-robin
    /// policy needs, kept by the cluster so that policies stay pure.
    pub sequence: u64,
    /// Where the event enters the network: its exchange's home region, or the region of the shard
    /// it is being re-routed from.
    pub origin: RegionId,
}

/// A routing decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// The chosen shard.
    pub shard: ShardId,
    /// A fallback placement (e.g. the overflow shard when nothing fits), counted in the metrics.
    pub degraded: bool,
}

impl Route {
    /// A normal route to `shard`.
    pub const fn to(shard: ShardId) -> Self {
        Route {
            shard,
            degraded: false,
        }
    }
}

/// Why no shard was chosen: a typed reason per rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoRoute {
    /// The function is placed nowhere.
    #[error("the function is placed on no shard")]
    NoCandidates,
    /// Every candidate is down, unreachable or circuit-open.
    #[error("every candidate shard is unavailable")]
    AllUnavailable,
    /// No available candidate serves the protocol.
    #[error("no available shard serves the event's protocol")]
    NoProtocolShard,
    /// No available candidate in the required risk group.
    #[error("no available shard in the required risk group")]
    NoRiskShard,
    /// Critical urgency, but no available candidate has the `critical` capability.
    #[error("no available shard with the critical capability")]
    NoCriticalShard,
    /// Every candidate near the exchange is over the load limit.
    #[error("every shard near the exchange is over the load limit")]
    AllOverloaded,
    /// No candidate has the free cpu and memory, and there is no overflow shard.
    #[error("no shard has the free resources and no overflow shard is available")]
    NothingFits,
}

/// A routing policy.
pub trait RoutingPolicy: Debug + Send + Sync {
    /// Its name as used in scenarios and on the command line.
    fn name(&self) -> &'static str;

    /// Chooses a shard for `request`. Must skip shards for which `view.is_available` is false.
    fn select(
        &self,
        request: &RouteRequest<'_>,
        view: &ClusterView<'_>,
        rng: &mut SimRng,
    ) -> Result<Route, NoRoute>;
}

/// Names accepted by [`policy_by_name`], in the order the CLI lists them.
pub const POLICY_NAMES: [&str; 12] = [
    "declared",
    "protocol",
    "risk",
    "geo",
    "resource",
    "random",
    "round-robin",
    "hash",
    "bounded-hash",
    "power-of-two",
    "jsq",
    "least-loaded",
];

/// A policy name that does not exist.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown routing policy `{0}`; allowed: {allowed}", allowed = POLICY_NAMES.join(", "))]
pub struct UnknownPolicy(pub String);

/// The policy called `name`, with default parameters.
pub fn policy_by_name(name: &str) -> Result<Arc<dyn RoutingPolicy>, UnknownPolicy> {
    Ok(match name {
        "declared" => Arc::new(Declared),
        "protocol" => Arc::new(ProtocolSharding),
        "risk" => Arc::new(RiskBased),
        "geo" => Arc::new(Geographic),
        "resource" => Arc::new(ResourceMatching),
        "random" => Arc::new(RandomChoice),
        "round-robin" => Arc::new(RoundRobin),
        "hash" => Arc::new(KeyHash),
        "bounded-hash" => Arc::new(BoundedLoadHash::default()),
        "power-of-two" => Arc::new(PowerOfTwo),
        "jsq" => Arc::new(JoinShortestQueue),
        "least-loaded" => Arc::new(LeastLoaded),
        other => return Err(UnknownPolicy(other.to_owned())),
    })
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::routing::fixtures::*;

    use crate::cluster::*;

    #[test]
    fn every_policy_skips_unavailable_shards() {
        let everything = ShardTags {
            protocols: vec![P0],
            risk_tier: Some(RiskTier::Retail),
            critical: true,
            general: true,
            ..tags()
        };
        let mut c = cluster(
            vec![
                shard("down", US_WEST, everything.clone()),
                shard("live", US_WEST, everything.clone()),
                shard("partitioned", US_WEST, everything),
            ],
            ShardBy::LeastLoaded,
            vec![],
        );
        c.test_set_down(ShardId(0), true);
        c.test_set_down(ShardId(2), true);
        load(&mut c, 1, 50); // the live one is the most loaded, so load alone never picks it
        for name in POLICY_NAMES {
            let policy = policy_by_name(name).unwrap();
            assert_eq!(policy.name(), name);
            for seq in 0..20 {
                assert_eq!(route_seq(&*policy, &c, &event(), seq), to(1), "{name}");
            }
        }
        c.test_set_down(ShardId(1), true);
        for name in POLICY_NAMES {
            assert!(
                route(&*policy_by_name(name).unwrap(), &c, &event()).is_err(),
                "{name}"
            );
        }
    }

    #[test]
    fn unknown_policy_names_list_the_allowed_ones() {
        let err = policy_by_name("fastest").unwrap_err();
        assert!(
            err.to_string()
                .contains("unknown routing policy `fastest`; allowed: declared, protocol")
        );
    }
}
