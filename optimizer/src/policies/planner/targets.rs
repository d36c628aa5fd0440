//! Where capacity could go: a target is ranked by the load it would carry (when nothing is
//! surging, the load it would carry in a surge) plus how much farther it is from the function's event
//! origins than the shards it joins or replaces.

use shardsim_sim::cluster::{FunctionId, Observation, RegionId, ShardId};

use super::surge::Surge;
use crate::estimate::LoadPicture;

/// How much a target's extra round trip from the function's event origins, as a share of the
/// function's timeout, counts against it next to its load when the planner picks targets: a
/// quarter of the deadline weighs like a fully loaded shard.
pub const LATENCY_WEIGHT: f64 = 4.0;

/// Ranks targets for one planning step.
pub(super) struct Targets<'a> {
    c: Observation<'a>,
    pub(super) surge: Surge,
    /// Rank by the load in a surge (calm market, pre-allocating planner).
    keep_headroom: bool,
    /// Per function, where its events come from and with what weight.
    origins: Vec<Vec<(RegionId, f64)>>,
}

impl<'a> Targets<'a> {
    pub(super) fn new(c: Observation<'a>, surge: Surge, keep_headroom: bool) -> Targets<'a> {
        Targets {
            c,
            surge,
            keep_headroom,
            origins: (0..c.functions().len() as u32)
                .map(|f| c.origins(FunctionId(f)))
                .collect(),
        }
    }

    /// The mean round trip from `f`'s event origins to shard `s`, seconds. A target farther
    /// from where the function's events come from than its shards are on average spends more
    /// of its deadline on the network; a nearer one spends less.
    pub(super) fn distance(&self, f: FunctionId, s: ShardId) -> f64 {
        let topo = self.c.topology();
        self.origins[f.index()]
            .iter()
            .map(|&(r, w)| {
                w * topo
                    .network
                    .rtt(r, topo.shards[s.index()].region)
                    .as_secs_f64()
            })
            .sum()
    }

    /// The score of `t` as a target for `f` (lower is better): its load plus the difference in
    /// distance, as a share of the timeout, weighed by [`LATENCY_WEIGHT`]. `leaving`: the shard
    /// a move replaces (compared with it), or none for an expansion (compared with the
    /// placement's average).
    pub(super) fn score(
        &self,
        picture: &LoadPicture,
        f: FunctionId,
        leaving: Option<ShardId>,
        t: ShardId,
    ) -> f64 {
        let c = &self.c;
        let load = if self.keep_headroom {
            self.surge.surge_load(picture, t.index())
        } else {
            picture.load[t.index()]
        };
        let placement = c.placement(f);
        let current = match leaving {
            Some(s) => self.distance(f, s),
            None => {
                placement.iter().map(|&p| self.distance(f, p)).sum::<f64>()
                    / placement.len().max(1) as f64
            }
        };
        load + LATENCY_WEIGHT * (self.distance(f, t) - current)
            / c.function(f).spec.resources.timeout.as_secs_f64().max(1e-3)
    }
}
