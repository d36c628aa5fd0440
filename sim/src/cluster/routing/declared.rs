//! Declared routing: each function routed by its own `shard_by`.

use crate::cluster::event::RiskLevel;
use crate::cluster::routing::balancers::{LeastLoaded, RoundRobin};
use crate::cluster::routing::geo::Geographic;
use crate::cluster::routing::select::{
    available_rotated, hash_over_available, least_loaded_of, none_or,
};
use crate::cluster::routing::{NoRoute, Route, RouteRequest, RoutingPolicy};
use crate::cluster::spec::function::ShardBy;
use crate::cluster::spec::topology::RiskTier;
use crate::cluster::view::ClusterView;
use crate::rng::SimRng;

/// Routes each event by its function's own `shard_by` declaration; no domain logic of its own.
///
/// | `shard_by` | rule |
/// | --- | --- |
/// | `protocol [p]` | least loaded shard tagged with `p` (or the event's protocol) |
/// | `trading_pair`, `user_id` | stable hash of the key over the available shards |
/// | `risk_level` | low → retail, medium → institutional, high/critical → whale, unknown → least loaded |
/// | `amount_range` | > $1M whale, > $100k institutional, else retail (least loaded in the group) |
/// | `round_robin` | rotate over the available shards |
/// | `least_loaded` | least loaded |
/// | `region` | as [`Geographic`] |
#[derive(Clone, Copy, Debug, Default)]
pub struct Declared;

/// The risk group for an event's declared risk level (`None`: any).
pub fn risk_group(level: RiskLevel) -> Option<RiskTier> {
    match level {
        RiskLevel::Low => Some(RiskTier::Retail),
        RiskLevel::Medium => Some(RiskTier::Institutional),
        RiskLevel::High | RiskLevel::Critical => Some(RiskTier::Whale),
        RiskLevel::Unknown => None,
    }
}

/// The risk group for a trade size: > $1M whale, > $100k institutional, else retail.
pub fn amount_group(amount_usd: f64) -> RiskTier {
    if amount_usd > 1_000_000.0 {
        RiskTier::Whale
    } else if amount_usd > 100_000.0 {
        RiskTier::Institutional
    } else {
        RiskTier::Retail
    }
}

pub(super) fn least_loaded_in_tier(
    view: &ClusterView<'_>,
    r: &RouteRequest<'_>,
    tier: RiskTier,
) -> Result<Route, NoRoute> {
    least_loaded_of(
        view,
        available_rotated(view, r.candidates, r.sequence)
            .filter(|&s| view.spec(s).tags.risk_tier == Some(tier)),
    )
    .map(Route::to)
    .ok_or_else(|| none_or(r, NoRoute::NoRiskShard))
}

impl RoutingPolicy for Declared {
    fn name(&self) -> &'static str {
        "declared"
    }

    fn select(
        &self,
        r: &RouteRequest<'_>,
        view: &ClusterView<'_>,
        rng: &mut SimRng,
    ) -> Result<Route, NoRoute> {
        match r.declaration.spec.shard_by {
            ShardBy::Protocol(fixed) => {
                let Some(p) = fixed.or(r.event.protocol) else {
                    return LeastLoaded.select(r, view, rng);
                };
                least_loaded_of(
                    view,
                    available_rotated(view, r.candidates, r.sequence)
                        .filter(|&s| view.spec(s).tags.serves_protocol(p)),
                )
                .map(Route::to)
                .ok_or_else(|| none_or(r, NoRoute::NoProtocolShard))
            }
            ShardBy::TradingPair => {
                hash_over_available(view, r.candidates, u64::from(r.event.trading_pair))
                    .map(Route::to)
                    .ok_or_else(|| none_or(r, NoRoute::AllUnavailable))
            }
            ShardBy::UserId => hash_over_available(view, r.candidates, u64::from(r.event.user))
                .map(Route::to)
                .ok_or_else(|| none_or(r, NoRoute::AllUnavailable)),
            ShardBy::RiskLevel => match risk_group(r.event.risk) {
                Some(tier) => least_loaded_in_tier(view, r, tier),
                None => LeastLoaded.select(r, view, rng),
            },
            ShardBy::AmountRange => least_loaded_in_tier(view, r, amount_group(r.event.amount_usd)),
            ShardBy::RoundRobin => RoundRobin.select(r, view, rng),
            ShardBy::LeastLoaded => LeastLoaded.select(r, view, rng),
            ShardBy::Region => Geographic.select(r, view, rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::routing::fixtures::*;

    use crate::cluster::*;

    #[test]
    fn declared_amount_range_thresholds() {
        let t = |tier| ShardTags {
            risk_tier: Some(tier),
            ..tags()
        };
        let c = cluster(
            vec![
                shard("retail", US_WEST, t(RiskTier::Retail)),
                shard("inst", US_WEST, t(RiskTier::Institutional)),
                shard("whale", US_WEST, t(RiskTier::Whale)),
            ],
            ShardBy::AmountRange,
            vec![],
        );
        let at = |amount| DomainEvent {
            amount_usd: amount,
            ..event()
        };
        assert_eq!(route(&Declared, &c, &at(100_000.0)), to(0));
        assert_eq!(route(&Declared, &c, &at(100_000.01)), to(1));
        assert_eq!(route(&Declared, &c, &at(1_000_000.0)), to(1));
        assert_eq!(route(&Declared, &c, &at(1_000_000.01)), to(2));
    }

    #[test]
    fn declared_risk_level_mapping() {
        let t = |tier| ShardTags {
            risk_tier: Some(tier),
            ..tags()
        };
        let mut c = cluster(
            vec![
                shard("retail", US_WEST, t(RiskTier::Retail)),
                shard("inst", US_WEST, t(RiskTier::Institutional)),
                shard("whale", US_WEST, t(RiskTier::Whale)),
            ],
            ShardBy::RiskLevel,
            vec![],
        );
        let with = |risk| DomainEvent { risk, ..event() };
        assert_eq!(route(&Declared, &c, &with(RiskLevel::Low)), to(0));
        assert_eq!(route(&Declared, &c, &with(RiskLevel::Medium)), to(1));
        assert_eq!(route(&Declared, &c, &with(RiskLevel::High)), to(2));
        load(&mut c, 0, 50);
        load(&mut c, 2, 50);
        assert_eq!(
            route(&Declared, &c, &with(RiskLevel::Unknown)),
            to(1),
            "unknown: least loaded"
        );
    }

    #[test]
    fn declared_protocol_uses_the_fixed_value_over_the_events() {
        let p1 = ProtocolId(1);
        let c = cluster(
            vec![
                shard(
                    "p0",
                    US_WEST,
                    ShardTags {
                        protocols: vec![P0],
                        ..tags()
                    },
                ),
                shard(
                    "p1",
                    US_WEST,
                    ShardTags {
                        secondary_protocols: vec![p1],
                        ..tags()
                    },
                ),
            ],
            ShardBy::Protocol(Some(p1)),
            vec![],
        );
        assert_eq!(route(&Declared, &c, &event()), to(1));
        let c2 = cluster(
            vec![
                shard(
                    "p0",
                    US_WEST,
                    ShardTags {
                        protocols: vec![P0],
                        ..tags()
                    },
                ),
                shard("x", US_WEST, tags()),
            ],
            ShardBy::Protocol(None),
            vec![],
        );
        assert_eq!(route(&Declared, &c2, &event()), to(0));
        let other = DomainEvent {
            protocol: Some(p1),
            ..event()
        };
        assert_eq!(route(&Declared, &c2, &other), Err(NoRoute::NoProtocolShard));
    }

    #[test]
    fn declared_key_hashing_is_stable_and_spreads() {
        let c = four_plain(ShardBy::TradingPair);
        let pick = |pair| {
            route(
                &Declared,
                &c,
                &DomainEvent {
                    trading_pair: pair,
                    ..event()
                },
            )
            .unwrap()
            .shard
        };
        assert_eq!(pick(7), pick(7));
        let mut counts = [0u32; 4];
        for pair in 0..4_000 {
            counts[pick(pair).index()] += 1;
        }
        assert!(
            counts.iter().all(|&n| (850..1150).contains(&n)),
            "{counts:?}"
        );
        let by_user = four_plain(ShardBy::UserId);
        let user = |u| {
            route(
                &Declared,
                &by_user,
                &DomainEvent {
                    user: u,
                    trading_pair: u * 3,
                    ..event()
                },
            )
            .unwrap()
            .shard
        };
        assert_eq!(user(5), user(5));
    }
}
