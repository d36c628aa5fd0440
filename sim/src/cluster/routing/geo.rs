//! Geography.

use crate::cluster::event::Urgency;
use crate::cluster::ids::ShardId;
use crate::cluster::routing::select::{available, none_or};
use crate::cluster::routing::{NoRoute, Route, RouteRequest, RoutingPolicy};
use crate::cluster::view::ClusterView;
use crate::rng::SimRng;

/// Geography: shards in the exchange's home region (critical urgency adds regions within
/// [`Geographic::NEARBY_RTT_MS`]), under [`Geographic::LOAD_LIMIT`], ordered pairwise: lower
/// network latency when the two differ by more than 50 ms, else higher exchange affinity when that
/// differs by more than 0.2, else lower load.
#[derive(Clone, Copy, Debug, Default)]
pub struct Geographic;

impl Geographic {
    /// Shards at or above this load do not qualify.
    pub const LOAD_LIMIT: f64 = 0.85;
    /// Latency differences above this decide (ms).
    pub const LATENCY_MARGIN_MS: f64 = 50.0;
    /// Affinity differences above this decide when latency did not.
    pub const AFFINITY_MARGIN: f64 = 0.2;
    /// Regions within this RTT of the home region count as nearby (ms).
    pub const NEARBY_RTT_MS: f64 = 100.0;

    /// Whether `a` should be preferred to `b` (latencies in ms).
    pub fn prefer(a: (f64, f64, f64), b: (f64, f64, f64)) -> bool {
        let ((lat_a, aff_a, load_a), (lat_b, aff_b, load_b)) = (a, b);
        if (lat_a - lat_b).abs() > Self::LATENCY_MARGIN_MS {
            lat_a < lat_b
        } else if (aff_a - aff_b).abs() > Self::AFFINITY_MARGIN {
            aff_a > aff_b
        } else {
            load_a < load_b
        }
    }
}

impl RoutingPolicy for Geographic {
    fn name(&self) -> &'static str {
        "geo"
    }

    fn select(
        &self,
        r: &RouteRequest<'_>,
        view: &ClusterView<'_>,
        _: &mut SimRng,
    ) -> Result<Route, NoRoute> {
        let topo = view.topology();
        let home = topo.exchanges[r.event.exchange.index()].home;
        let critical = r.event.urgency == Urgency::Critical;
        let near = |s: ShardId| {
            let region = view.spec(s).region;
            region == home
                || (critical
                    && topo.network.rtt(home, region).as_millis_f64() <= Self::NEARBY_RTT_MS)
        };
        let mut best: Option<((f64, f64, f64), ShardId)> = None;
        let mut any_near = false;
        for s in available(view, r.candidates).filter(|&s| near(s)) {
            any_near = true;
            let load = view.load(s);
            if load >= Self::LOAD_LIMIT {
                continue;
            }
            let key = (
                view.one_way_ms(home, s),
                view.exchange_affinity(s, r.event.exchange),
                load,
            );
            if best.is_none_or(|(b, _)| Self::prefer(key, b)) {
                best = Some((key, s));
            }
        }
        match best {
            Some((_, s)) => Ok(Route::to(s)),
            None if any_near => Err(NoRoute::AllOverloaded),
            None => Err(none_or(r, NoRoute::AllUnavailable)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::routing::fixtures::*;

    use crate::cluster::*;

    use crate::time::SimDuration;

    fn geo_cluster() -> Cluster {
        cluster(
            vec![
                shard("west-a", US_WEST, tags()),
                shard("west-b", US_WEST, tags()),
                shard("east", US_EAST, tags()),
                shard("asia", ASIA, tags()),
            ],
            ShardBy::Region,
            vec![],
        )
    }

    #[test]
    fn geo_load_limit_is_085() {
        let mut c = geo_cluster();
        load(&mut c, 0, 84);
        load(&mut c, 1, 90);
        assert_eq!(route(&Geographic, &c, &event()), to(0), "0.84 qualifies");
        load(&mut c, 0, 85);
        assert_eq!(
            route(&Geographic, &c, &event()),
            Err(NoRoute::AllOverloaded),
            "0.85 does not"
        );
        // Critical urgency adds regions within 100 ms RTT: us-east (67 ms), not asia (98 ms? yes).
        let critical = DomainEvent {
            urgency: Urgency::Critical,
            ..event()
        };
        assert_eq!(
            route(&Geographic, &c, &critical),
            to(2),
            "nearby us-east, lower latency than asia"
        );
    }

    #[test]
    fn geo_ordering_thresholds_50ms_then_02_affinity_then_load() {
        // (latency ms, affinity, load)
        assert!(
            Geographic::prefer((0.0, 0.5, 0.9), (50.1, 0.5, 0.0)),
            "latency gap > 50 ms decides"
        );
        assert!(
            !Geographic::prefer((0.0, 0.5, 0.9), (50.0, 0.5, 0.0)),
            "exactly 50 ms: falls through to load"
        );
        assert!(
            Geographic::prefer((0.0, 0.71, 0.9), (0.0, 0.5, 0.0)),
            "affinity gap > 0.2 decides"
        );
        assert!(
            !Geographic::prefer((0.0, 0.7, 0.9), (0.0, 0.5, 0.0)),
            "exactly 0.2: falls through to load"
        );
        assert!(
            Geographic::prefer((10.0, 0.5, 0.1), (0.0, 0.5, 0.2)),
            "else lower load"
        );
    }

    #[test]
    fn geo_prefers_exchange_affinity_within_the_region() {
        let mut c = geo_cluster();
        c.test_record(
            ShardId(1),
            &event(),
            FunctionId(0),
            SimDuration::from_millis(5),
            true,
            50,
        );
        c.test_record(
            ShardId(0),
            &event(),
            FunctionId(0),
            SimDuration::from_millis(5),
            false,
            50,
        );
        assert_eq!(route(&Geographic, &c, &event()), to(1));
    }
}
