//! Where capacity could go: a target is ranked by the load it would carry (in a calm market, the
//! load it would carry in a surge) plus how much farther it is from the function's event
//! origins than the shards it joins or replaces.

use shardsim_sim::cluster::{Cluster, FunctionId, RegionId, ShardId};

use super::PlanInput;
use crate::estimate::LoadPicture;

/// How much a target's extra round trip from the function's event origins, as a share of the
/// function's timeout, counts against it next to its load when the planner picks targets: a
/// quarter of the deadline weighs like a fully loaded shard.
pub const LATENCY_WEIGHT: f64 = 4.0;

/// Which regime-sensitive functions there are, and the load each shard would carry if
/// volatility started now (the headroom the planner keeps when it picks targets).
pub(super) struct Volatility {
    pub(super) sensitive: Vec<bool>,
    extra: f64,
}

impl Volatility {
    pub(super) fn new(c: &Cluster) -> Volatility {
        Volatility {
            sensitive: (0..c.functions().len() as u32)
                .map(|f| c.regime_sensitive(FunctionId(f)))
                .collect(),
            extra: c.regime().multiplier() - 1.0,
        }
    }

    fn surge_load(&self, picture: &LoadPicture, t: ShardId) -> f64 {
        picture.load[t.index()]
            + self
                .sensitive
                .iter()
                .enumerate()
                .filter(|(_, s)| **s)
                .map(|(f, _)| picture.contribution[f][t.index()] * self.extra)
                .sum::<f64>()
    }

    /// Pre-allocation: volatility just started, so regime-sensitive traffic will scale by the
    /// regime's multiplier; plans for that where the forecast does not already.
    pub(super) fn preallocate(&self, input: &PlanInput<'_>, picture: &mut LoadPicture) {
        let c = input.cluster;
        for f in (0..c.functions().len()).filter(|&f| self.sensitive[f]) {
            for &s in c.placement(FunctionId(f as u32)) {
                let now = picture.contribution[f][s.index()];
                let scaled = now.max(input.recent[f][s.index()] * (1.0 + self.extra));
                picture.contribution[f][s.index()] = scaled;
                picture.load[s.index()] += scaled - now;
            }
        }
    }
}

/// Ranks targets for one planning step.
pub(super) struct Targets<'a> {
    c: &'a Cluster,
    pub(super) volatility: Volatility,
    /// Rank by the load in a surge (calm market, pre-allocating planner).
    keep_headroom: bool,
    /// Per function, where its events come from and with what weight.
    origins: Vec<Vec<(RegionId, f64)>>,
}

impl<'a> Targets<'a> {
    pub(super) fn new(c: &'a Cluster, volatility: Volatility, keep_headroom: bool) -> Targets<'a> {
        Targets {
            c,
            volatility,
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
        let c = self.c;
        let load = if self.keep_headroom {
            self.volatility.surge_load(picture, t)
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
