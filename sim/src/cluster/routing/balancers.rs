//! The classic balancers, used as baselines: least loaded, random, round robin, key hash,
//! bounded-load consistent hashing, power of two choices, join the shortest queue.

use rand::RngExt;

use crate::cluster::ids::ShardId;
use crate::cluster::routing::select::{
    available, available_rotated, hash_over_available, least_loaded_of, none_or, nth_available,
    pick_available, routing_key, stable_key_hash,
};
use crate::cluster::routing::{NoRoute, Route, RouteRequest, RoutingPolicy};
use crate::cluster::view::ClusterView;
use crate::rng::SimRng;

/// The available candidate with the lowest load (ties rotate with the routing sequence).
#[derive(Clone, Copy, Debug, Default)]
pub struct LeastLoaded;

impl RoutingPolicy for LeastLoaded {
    fn name(&self) -> &'static str {
        "least-loaded"
    }

    #[inline]
    fn select(
        &self,
        r: &RouteRequest<'_>,
        view: &ClusterView<'_>,
        _: &mut SimRng,
    ) -> Result<Route, NoRoute> {
        least_loaded_of(view, available_rotated(view, r.candidates, r.sequence))
            .map(Route::to)
            .ok_or_else(|| none_or(r, NoRoute::AllUnavailable))
    }
}

/// Uniformly random among the available candidates.
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomChoice;

impl RoutingPolicy for RandomChoice {
    fn name(&self) -> &'static str {
        "random"
    }
    fn select(
        &self,
        r: &RouteRequest<'_>,
        view: &ClusterView<'_>,
        rng: &mut SimRng,
    ) -> Result<Route, NoRoute> {
        pick_available(view, r, |n| rng.random_range(0..n))
    }
}

/// Rotates over the available candidates, by the function's routing sequence number.
#[derive(Clone, Copy, Debug, Default)]
pub struct RoundRobin;

impl RoutingPolicy for RoundRobin {
    fn name(&self) -> &'static str {
        "round-robin"
    }
    fn select(
        &self,
        r: &RouteRequest<'_>,
        view: &ClusterView<'_>,
        _: &mut SimRng,
    ) -> Result<Route, NoRoute> {
        pick_available(view, r, |n| (r.sequence % n as u64) as usize)
    }
}

/// Stable hash of the routing key (trading pair for pair-sharded functions, else user) modulo the
/// available candidates.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyHash;

impl RoutingPolicy for KeyHash {
    fn name(&self) -> &'static str {
        "hash"
    }
    fn select(
        &self,
        r: &RouteRequest<'_>,
        view: &ClusterView<'_>,
        _: &mut SimRng,
    ) -> Result<Route, NoRoute> {
        hash_over_available(view, r.candidates, routing_key(r))
            .map(Route::to)
            .ok_or_else(|| none_or(r, NoRoute::AllUnavailable))
    }
}

/// Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam 2018), on rendezvous
/// hashing: candidates are ranked by `hash(key, shard)` and the event goes to the highest-ranked one
/// whose occupied slots, with this invocation, stay within `⌈(1 + ε) · (total + need) · slots /
/// total slots⌉`. Keys stick to their shard until it is overloaded; no shard exceeds the bound.
#[derive(Clone, Copy, Debug)]
pub struct BoundedLoadHash {
    /// ε: how far above the average a shard may go.
    pub epsilon: f64,
}

impl Default for BoundedLoadHash {
    fn default() -> Self {
        BoundedLoadHash { epsilon: 0.25 }
    }
}

impl RoutingPolicy for BoundedLoadHash {
    fn name(&self) -> &'static str {
        "bounded-hash"
    }
    fn select(
        &self,
        r: &RouteRequest<'_>,
        view: &ClusterView<'_>,
        _: &mut SimRng,
    ) -> Result<Route, NoRoute> {
        let need = u64::from(r.declaration.spec.resources.cpu.slots());
        let (mut occupied, mut slots) = (0u64, 0u64);
        for s in available(view, r.candidates) {
            occupied += u64::from(view.occupied_slots(s));
            slots += u64::from(view.spec(s).cpu_slots);
        }
        if slots == 0 {
            return Err(none_or(r, NoRoute::AllUnavailable));
        }
        let key = routing_key(r);
        let mut best: Option<(u64, ShardId)> = None;
        let mut fallback: Option<(u64, ShardId)> = None;
        for s in available(view, r.candidates) {
            let rank = stable_key_hash(key, u64::from(s.0));
            let cap = ((1.0 + self.epsilon)
                * (occupied + need) as f64
                * f64::from(view.spec(s).cpu_slots)
                / slots as f64)
                .ceil() as u64;
            if fallback.is_none_or(|(b, _)| rank > b) {
                fallback = Some((rank, s));
            }
            if u64::from(view.occupied_slots(s)) + need <= cap && best.is_none_or(|(b, _)| rank > b)
            {
                best = Some((rank, s));
            }
        }
        Ok(Route::to(
            best.or(fallback).expect("some shard is available").1,
        ))
    }
}

/// Power of two choices: two distinct random available candidates, the less loaded wins.
#[derive(Clone, Copy, Debug, Default)]
pub struct PowerOfTwo;

impl RoutingPolicy for PowerOfTwo {
    fn name(&self) -> &'static str {
        "power-of-two"
    }
    fn select(
        &self,
        r: &RouteRequest<'_>,
        view: &ClusterView<'_>,
        rng: &mut SimRng,
    ) -> Result<Route, NoRoute> {
        let n = available(view, r.candidates).count();
        if n == 0 {
            return Err(none_or(r, NoRoute::AllUnavailable));
        }
        // Always two draws, so the stream advances the same way whatever the count.
        let i = rng.random_range(0..n);
        let j = rng.random_range(0..n.max(2) - 1);
        let j = if j >= i { j + 1 } else { j };
        let a = nth_available(view, r.candidates, i).expect("i < n");
        let b = nth_available(view, r.candidates, j.min(n - 1)).expect("j < n");
        Ok(Route::to(if view.load(b) < view.load(a) { b } else { a }))
    }
}

/// Join the shortest queue: fewest queued invocations, ties to the lower load, then rotating.
#[derive(Clone, Copy, Debug, Default)]
pub struct JoinShortestQueue;

impl RoutingPolicy for JoinShortestQueue {
    fn name(&self) -> &'static str {
        "jsq"
    }
    fn select(
        &self,
        r: &RouteRequest<'_>,
        view: &ClusterView<'_>,
        _: &mut SimRng,
    ) -> Result<Route, NoRoute> {
        let mut best: Option<((u32, f64), ShardId)> = None;
        for s in available_rotated(view, r.candidates, r.sequence) {
            let key = (view.queue_depth(s), view.load(s));
            if best.is_none_or(|(b, _)| key.0 < b.0 || (key.0 == b.0 && key.1 < b.1)) {
                best = Some((key, s));
            }
        }
        best.map(|(_, s)| Route::to(s))
            .ok_or_else(|| none_or(r, NoRoute::AllUnavailable))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::policies::*;
    use crate::cluster::routing::fixtures::*;
    use crate::cluster::*;

    use crate::time::SimTime;

    #[test]
    fn round_robin_cycles_in_placement_order_skipping_unavailable() {
        let mut c = four_plain(ShardBy::RoundRobin);
        let picks: Vec<u32> = (0..8)
            .map(|seq| route_seq(&Declared, &c, &event(), seq).unwrap().shard.0)
            .collect();
        assert_eq!(picks, [0, 1, 2, 3, 0, 1, 2, 3]);
        c.test_set_down(ShardId(1), true);
        let picks: Vec<u32> = (0..6)
            .map(|seq| route_seq(&RoundRobin, &c, &event(), seq).unwrap().shard.0)
            .collect();
        assert_eq!(picks, [0, 2, 3, 0, 2, 3]);
    }

    /// Regression: ties went to the first shard in placement order, so with coarse loads one
    /// shard per function took far more than its share and least-loaded balanced worse than
    /// random.
    #[test]
    fn regression_least_loaded_ties_do_not_pile_onto_the_first_shard() {
        let c = four_plain(ShardBy::LeastLoaded);
        let mut picks = [0u32; 4];
        for seq in 0..400 {
            picks[route_seq(&LeastLoaded, &c, &event(), seq)
                .unwrap()
                .shard
                .index()] += 1;
        }
        assert_eq!(picks, [100; 4]);
    }

    #[test]
    fn load_counts_work_in_transit_but_free_slots_do_not() {
        let mut c = four_plain(ShardBy::LeastLoaded);
        c.test_set_in_transit(ShardId(0), 30);
        let view = c.view(SimTime::ZERO);
        assert!((view.load(ShardId(0)) - 0.30).abs() < 1e-12);
        assert_eq!(view.free_slots(ShardId(0)), 100);
        assert_eq!(view.occupied_slots(ShardId(0)), 30);
    }

    #[test]
    fn power_of_two_takes_the_less_loaded_of_two() {
        let mut c = cluster(
            vec![shard("a", US_WEST, tags()), shard("b", US_WEST, tags())],
            ShardBy::LeastLoaded,
            vec![],
        );
        load(&mut c, 0, 90);
        load(&mut c, 1, 10);
        for seq in 0..50 {
            assert_eq!(route_seq(&PowerOfTwo, &c, &event(), seq), to(1));
        }
    }

    #[test]
    fn random_reaches_every_available_shard() {
        let mut c = four_plain(ShardBy::LeastLoaded);
        c.test_set_down(ShardId(3), true);
        let mut seen = [0u32; 4];
        for seq in 0..400 {
            seen[route_seq(&RandomChoice, &c, &event(), seq)
                .unwrap()
                .shard
                .index()] += 1;
        }
        assert!(
            seen[..3].iter().all(|&n| n > 90) && seen[3] == 0,
            "{seen:?}"
        );
    }

    #[test]
    fn jsq_prefers_the_shortest_queue_then_lower_load() {
        let mut c = four_plain(ShardBy::LeastLoaded);
        c.test_set_occupancy(ShardId(0), 10, 5, 5);
        c.test_set_occupancy(ShardId(1), 90, 1, 1);
        c.test_set_occupancy(ShardId(2), 50, 2, 1);
        c.test_set_occupancy(ShardId(3), 20, 3, 3);
        assert_eq!(
            route(&JoinShortestQueue, &c, &event()),
            to(2),
            "queue 1 twice: lower load wins"
        );
    }

    #[test]
    fn bounded_hash_keeps_keys_home_until_the_bound() {
        let mut c = four_plain(ShardBy::UserId);
        let home = route(&BoundedLoadHash::default(), &c, &event())
            .unwrap()
            .shard;
        assert_eq!(
            route(&BoundedLoadHash::default(), &c, &event())
                .unwrap()
                .shard,
            home
        );
        // Home holds 60 of 60 occupied slots: cap = ⌈1.25 · 62 · 100 / 400⌉ = 20 < 62.
        c.test_set_occupancy(home, 60, 0, 0);
        let moved = route(&BoundedLoadHash::default(), &c, &event())
            .unwrap()
            .shard;
        assert_ne!(moved, home);
        // Balanced at 15 each (60 total): cap = ⌈1.25 · 62 / 4⌉ = 20 ≥ 17: the key goes home.
        for s in 0..4 {
            c.test_set_occupancy(ShardId(s), 15, 0, 0);
        }
        assert_eq!(
            route(&BoundedLoadHash::default(), &c, &event())
                .unwrap()
                .shard,
            home
        );
    }
}
