//! Risk isolation.

use crate::cluster::event::Urgency;
use crate::cluster::ids::ShardId;
use crate::cluster::routing::declared::risk_group;
use crate::cluster::routing::select::{available, best_by_score, none_or};
use crate::cluster::routing::{NoRoute, Route, RouteRequest, RoutingPolicy};
use crate::cluster::spec::topology::RiskTier;
use crate::cluster::view::ClusterView;
use crate::rng::SimRng;

/// Risk isolation: an event's risk tier selects a shard group; very large trades go to the whale
/// shards; critical urgency needs the `critical` capability; the rest is an urgency-weighted score.
///
/// * group: low → retail, medium → institutional, high and critical → whale, unknown → any;
///   amount > $10M → whale shards tagged `primary` only; amount > $1M → the whale (high) group.
/// * urgency `critical` keeps only shards with the critical capability.
/// * score = w_latency·(1 − latency/1000 ms) + w_load·(1 − load) + w_experience·affinity +
///   w_cost·(1 − speed/fastest), weights per urgency from [`RiskBased::weights`].
#[derive(Clone, Copy, Debug, Default)]
pub struct RiskBased;

impl RiskBased {
    /// Trades above this go to primary whale shards only.
    pub const WHALE_PRIMARY_USD: f64 = 10_000_000.0;
    /// Trades above this go to the whale (high) group.
    pub const HIGH_GROUP_USD: f64 = 1_000_000.0;

    /// (latency, load, experience, cost) weights for an urgency: the more urgent, the more latency
    /// counts and the less cost does.
    pub const fn weights(urgency: Urgency) -> [f64; 4] {
        match urgency {
            Urgency::Critical => [0.5, 0.3, 0.2, 0.0],
            Urgency::High => [0.4, 0.3, 0.2, 0.1],
            Urgency::Normal => [0.25, 0.35, 0.2, 0.2],
            Urgency::Low => [0.1, 0.3, 0.2, 0.4],
        }
    }
}

impl RoutingPolicy for RiskBased {
    fn name(&self) -> &'static str {
        "risk"
    }

    fn select(
        &self,
        r: &RouteRequest<'_>,
        view: &ClusterView<'_>,
        _: &mut SimRng,
    ) -> Result<Route, NoRoute> {
        let amount = r.event.amount_usd;
        let (tier, primary_only) = if amount > Self::WHALE_PRIMARY_USD {
            (Some(RiskTier::Whale), true)
        } else if amount > Self::HIGH_GROUP_USD {
            (Some(RiskTier::Whale), false)
        } else {
            (risk_group(r.event.risk), false)
        };
        let critical = r.event.urgency == Urgency::Critical;
        let in_group = |s: ShardId| {
            let tags = &view.spec(s).tags;
            tier.is_none_or(|t| tags.risk_tier == Some(t)) && (!primary_only || tags.primary)
        };
        if !available(view, r.candidates).any(in_group) {
            return Err(none_or(r, NoRoute::NoRiskShard));
        }
        let eligible = || {
            available(view, r.candidates)
                .filter(move |&s| in_group(s) && (!critical || view.spec(s).tags.critical))
        };
        let fastest = eligible().map(|s| view.spec(s).speed).fold(0.0, f64::max);
        if fastest == 0.0 {
            return Err(NoRoute::NoCriticalShard);
        }
        let [w_lat, w_load, w_exp, w_cost] = Self::weights(r.event.urgency);
        best_by_score(eligible(), |s| {
            w_lat * (1.0 - view.one_way_ms(r.origin, s) / 1000.0)
                + w_load * (1.0 - view.load(s).min(1.0))
                + w_exp * view.function_affinity(s, r.function)
                + w_cost * (1.0 - view.spec(s).speed / fastest)
        })
        .map(Route::to)
        .ok_or(NoRoute::NoCriticalShard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::routing::fixtures::*;

    use crate::cluster::*;

    fn risk_cluster() -> Cluster {
        let t = |tier, primary, critical| ShardTags {
            risk_tier: Some(tier),
            primary,
            critical,
            ..tags()
        };
        cluster(
            vec![
                shard("retail", US_WEST, t(RiskTier::Retail, false, false)),
                shard(
                    "institutional",
                    US_WEST,
                    t(RiskTier::Institutional, false, false),
                ),
                shard("whale", US_WEST, t(RiskTier::Whale, false, false)),
                shard("whale-primary", US_WEST, t(RiskTier::Whale, true, false)),
            ],
            ShardBy::RiskLevel,
            vec![],
        )
    }

    #[test]
    fn risk_amount_thresholds_at_1m_and_10m() {
        let mut c = risk_cluster();
        let at = |amount| DomainEvent {
            amount_usd: amount,
            ..event()
        };
        assert_eq!(
            route(&RiskBased, &c, &at(1_000_000.0)),
            to(0),
            "$1M exactly: by risk level"
        );
        assert_eq!(
            route(&RiskBased, &c, &at(1_000_001.0)),
            to(2),
            "over $1M: the whale group"
        );
        assert_eq!(
            route(&RiskBased, &c, &at(10_000_000.0)),
            to(2),
            "$10M exactly: still the group"
        );
        load(&mut c, 3, 0);
        load(&mut c, 2, 50);
        assert_eq!(
            route(&RiskBased, &c, &at(10_000_000.0)),
            to(3),
            "the group's less loaded member"
        );
        load(&mut c, 3, 90);
        assert_eq!(
            route(&RiskBased, &c, &at(10_000_001.0)),
            to(3),
            "over $10M: primary only"
        );
        c.test_set_down(ShardId(3), true);
        assert_eq!(
            route(&RiskBased, &c, &at(10_000_001.0)),
            Err(NoRoute::NoRiskShard)
        );
    }

    #[test]
    fn risk_levels_map_to_groups_and_critical_needs_the_capability() {
        let mut c = risk_cluster();
        let with = |risk, urgency| DomainEvent {
            risk,
            urgency,
            ..event()
        };
        assert_eq!(
            route(&RiskBased, &c, &with(RiskLevel::Medium, Urgency::Normal)),
            to(1)
        );
        assert_eq!(
            route(&RiskBased, &c, &with(RiskLevel::High, Urgency::Normal)),
            to(2)
        );
        assert_eq!(
            route(&RiskBased, &c, &with(RiskLevel::Low, Urgency::Critical)),
            Err(NoRoute::NoCriticalShard)
        );
        c.test_set_down(ShardId(0), true);
        assert_eq!(
            route(&RiskBased, &c, &with(RiskLevel::Low, Urgency::Normal)),
            Err(NoRoute::NoRiskShard)
        );
        let crit = ShardTags {
            risk_tier: Some(RiskTier::Retail),
            critical: true,
            ..tags()
        };
        let c = cluster(
            vec![
                shard(
                    "plain",
                    US_WEST,
                    ShardTags {
                        risk_tier: Some(RiskTier::Retail),
                        ..tags()
                    },
                ),
                shard("crit", US_WEST, crit),
            ],
            ShardBy::RiskLevel,
            vec![],
        );
        assert_eq!(
            route(&RiskBased, &c, &with(RiskLevel::Low, Urgency::Critical)),
            to(1)
        );
    }

    #[test]
    fn risk_urgency_weights_sum_to_one_and_shift_toward_latency() {
        for u in [
            Urgency::Low,
            Urgency::Normal,
            Urgency::High,
            Urgency::Critical,
        ] {
            assert!((RiskBased::weights(u).iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        assert!(RiskBased::weights(Urgency::Critical)[0] > RiskBased::weights(Urgency::Low)[0]);
    }
}
