//! Protocol specialisation.

use crate::cluster::ids::{ProtocolId, ShardId};
use crate::cluster::routing::select::{
    available, available_rotated, best_by_score, least_loaded_of, none_or, serves_protocol,
};
use crate::cluster::routing::{NoRoute, Route, RouteRequest, RoutingPolicy};
use crate::cluster::spec::function::ShardBy;
use crate::cluster::view::ClusterView;
use crate::rng::SimRng;

/// Protocol specialisation: the event's protocol's primary shards, then its secondary shards, then
/// the general pool.
///
/// Only shards under [`ProtocolSharding::LOAD_LIMIT`] qualify in the primary and secondary tiers;
/// among those the score is `(1 − load)·0.5 + affinity·0.3 + (1 − latency/1000 ms)·0.2`, with
/// affinity from the shard's last 100 executions of that protocol ([`affinity`](super::affinity)) and latency the
/// one-way network time from the event's origin. When every protocol shard is overloaded the event
/// goes to the least loaded `general` shard.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProtocolSharding;

impl ProtocolSharding {
    /// Shards at or above this load do not qualify.
    pub const LOAD_LIMIT: f64 = 0.8;

    fn score(view: &ClusterView<'_>, r: &RouteRequest<'_>, s: ShardId, p: ProtocolId) -> f64 {
        (1.0 - view.load(s)) * 0.5
            + view.protocol_affinity(s, p) * 0.3
            + (1.0 - view.one_way_ms(r.origin, s) / 1000.0) * 0.2
    }
}

impl RoutingPolicy for ProtocolSharding {
    fn name(&self) -> &'static str {
        "protocol"
    }

    fn select(
        &self,
        r: &RouteRequest<'_>,
        view: &ClusterView<'_>,
        _: &mut SimRng,
    ) -> Result<Route, NoRoute> {
        let protocol = match r.declaration.spec.shard_by {
            ShardBy::Protocol(Some(p)) => Some(p),
            _ => r.event.protocol,
        };
        if let Some(p) = protocol {
            for want_primary in [true, false] {
                let tier = available(view, r.candidates).filter(|&s| {
                    let (primary, secondary) = serves_protocol(view, s, p);
                    (if want_primary { primary } else { secondary })
                        && view.load(s) < Self::LOAD_LIMIT
                });
                if let Some(s) = best_by_score(tier, |s| Self::score(view, r, s, p)) {
                    return Ok(Route::to(s));
                }
            }
        }
        least_loaded_of(
            view,
            available_rotated(view, r.candidates, r.sequence)
                .filter(|&s| view.spec(s).tags.general),
        )
        .map(Route::to)
        .ok_or_else(|| none_or(r, NoRoute::NoProtocolShard))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::routing::fixtures::*;

    use crate::cluster::*;

    use crate::time::SimDuration;

    fn protocol_cluster() -> Cluster {
        let primary = ShardTags {
            protocols: vec![P0],
            ..tags()
        };
        let secondary = ShardTags {
            secondary_protocols: vec![P0],
            ..tags()
        };
        let general = ShardTags {
            general: true,
            ..tags()
        };
        cluster(
            vec![
                shard("primary", US_WEST, primary),
                shard("secondary", US_WEST, secondary),
                shard("general", US_WEST, general),
            ],
            ShardBy::Protocol(None),
            vec![],
        )
    }

    #[test]
    fn protocol_primary_qualifies_below_080_and_not_at_080() {
        let mut c = protocol_cluster();
        load(&mut c, 0, 79);
        assert_eq!(route(&ProtocolSharding, &c, &event()), to(0));
        load(&mut c, 0, 80);
        assert_eq!(
            route(&ProtocolSharding, &c, &event()),
            to(1),
            "0.80 falls to the secondary"
        );
        load(&mut c, 1, 80);
        assert_eq!(
            route(&ProtocolSharding, &c, &event()),
            to(2),
            "all overloaded: general"
        );
        c.test_set_down(ShardId(2), true);
        assert_eq!(
            route(&ProtocolSharding, &c, &event()),
            Err(NoRoute::NoProtocolShard)
        );
    }

    #[test]
    fn protocol_score_weighs_load_affinity_and_latency() {
        let p = ShardTags {
            protocols: vec![P0],
            ..tags()
        };
        let mut c = cluster(
            vec![shard("near", US_WEST, p.clone()), shard("far", ASIA, p)],
            ShardBy::Protocol(None),
            vec![],
        );
        // Equal load and no history: latency decides (us-west origin).
        assert_eq!(route(&ProtocolSharding, &c, &event()), to(0));
        // 49 ms of one-way latency costs 0.2·0.049 ≈ 0.01; a perfect history on the far shard is
        // worth 0.3·(0.7 + 0.3·0.99) − 0.3·0.5 ≈ 0.15: affinity wins.
        c.test_record(
            ShardId(1),
            &event(),
            FunctionId(0),
            SimDuration::from_millis(10),
            true,
            100,
        );
        c.test_record(
            ShardId(0),
            &event(),
            FunctionId(0),
            SimDuration::from_millis(10),
            false,
            100,
        );
        assert_eq!(route(&ProtocolSharding, &c, &event()), to(1));
        // Load weighs 0.5: far at 0.79 vs near at 0: 0.5·0.79 ≈ 0.40 beats the affinity gap.
        load(&mut c, 1, 79);
        assert_eq!(route(&ProtocolSharding, &c, &event()), to(0));
    }
}
