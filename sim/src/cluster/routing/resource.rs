//! Resource matching.

use crate::cluster::ids::ShardId;
use crate::cluster::routing::select::{available, least_loaded_of};
use crate::cluster::routing::{NoRoute, Route, RouteRequest, RoutingPolicy};
use crate::cluster::spec::function::Priority;
use crate::cluster::view::ClusterView;
use crate::rng::SimRng;

/// Resources: shards with the free cpu slots and memory the invocation needs, scored
/// cpu 0.25 + memory 0.25 + load 0.2 + priority 0.15 + affinity 0.15; if none fits, the `overflow`
/// shard, as a degraded route.
///
/// The priority term is 1 when the shard's `critical` capability matches the work (critical-capable
/// shards for high and critical priority, others for low and medium), else 0.5.
#[derive(Clone, Copy, Debug, Default)]
pub struct ResourceMatching;

impl RoutingPolicy for ResourceMatching {
    fn name(&self) -> &'static str {
        "resource"
    }

    fn select(
        &self,
        r: &RouteRequest<'_>,
        view: &ClusterView<'_>,
        _: &mut SimRng,
    ) -> Result<Route, NoRoute> {
        let res = r.declaration.spec.resources;
        let high_priority = res.priority >= Priority::High;
        let need_slots = res.cpu.slots();
        // One pass; the full need, uncapped: a shard smaller than the function does not fit.
        let mut best: Option<(f64, ShardId)> = None;
        for s in available(view, r.candidates) {
            let free = view.free_slots(s);
            let free_memory = view.free_memory_mb(s);
            if free < need_slots || free_memory < res.memory_mb {
                continue;
            }
            let spec = view.spec(s);
            let priority = if spec.tags.critical == high_priority {
                1.0
            } else {
                0.5
            };
            let score = 0.25 * view.free_slot_share(s)
                + 0.25 * view.free_memory_share(s)
                + 0.2 * (1.0 - view.load(s).min(1.0))
                + 0.15 * priority
                + 0.15 * view.function_affinity(s, r.function);
            if best.is_none_or(|(b, _)| score > b) {
                best = Some((score, s));
            }
        }
        let best = best.map(|(_, s)| s);
        if let Some(s) = best {
            return Ok(Route::to(s));
        }
        let overflow = (0..view.shard_count() as u32)
            .map(ShardId)
            .filter(|&s| view.spec(s).tags.overflow && view.is_available(s));
        least_loaded_of(view, overflow)
            .map(|shard| Route {
                shard,
                degraded: true,
            })
            .ok_or(NoRoute::NothingFits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::routing::fixtures::*;

    use crate::cluster::*;

    #[test]
    fn resource_matching_needs_free_cpu_and_memory_else_overflow() {
        let overflow = ShardTags {
            overflow: true,
            ..tags()
        };
        let mut small = shard("small", US_WEST, tags());
        small.memory_mb = 256; // the function needs 512
        let mut c = cluster(
            vec![
                shard("a", US_WEST, tags()),
                small,
                shard("overflow", US_EAST, overflow),
            ],
            ShardBy::LeastLoaded,
            vec![ShardId(0), ShardId(1)],
        );
        assert_eq!(route(&ResourceMatching, &c, &event()), to(0));
        load(&mut c, 0, 99); // one slot free, the function needs two
        assert_eq!(
            route(&ResourceMatching, &c, &event()),
            Ok(Route {
                shard: ShardId(2),
                degraded: true
            }),
            "nothing fits: overflow, degraded"
        );
        load(&mut c, 0, 98);
        assert_eq!(
            route(&ResourceMatching, &c, &event()),
            to(0),
            "exactly two free slots fit"
        );
        c.test_set_down(ShardId(2), true);
        load(&mut c, 0, 100);
        assert_eq!(
            route(&ResourceMatching, &c, &event()),
            Err(NoRoute::NothingFits)
        );
    }
}
