//! The first stage: which shards are bottlenecks over the horizon, and why (cpu, memory, or a
//! function on them missing its deadlines).

use shardsim_sim::cluster::{FunctionId, ShardId};

use super::Step;
use crate::estimate::LoadPicture;
use crate::plan::Trigger;
use crate::policies::shared::functions_on;

/// Fewer remembered executions than this say nothing about a function's misses on a shard.
const MIN_JUDGED_EXECUTIONS: u32 = 50;

impl Step<'_, '_> {
    /// The bottlenecks, most loaded first (ties: lowest id). They are found once; the actions
    /// for them are then chosen greedily while they pay, each seeing the ones before it, so a
    /// hot pool is sized toward the target utilisation rather than just under the bottleneck
    /// threshold.
    pub(super) fn bottlenecks(&self, picture: &LoadPicture) -> Vec<(ShardId, Trigger)> {
        let mut hot: Vec<(ShardId, Trigger)> = self
            .input
            .observed
            .topology()
            .shard_ids()
            .filter_map(|s| self.bottleneck(picture, s).map(|t| (s, t)))
            .collect();
        hot.sort_by(|a, b| {
            picture.load[b.0.index()]
                .total_cmp(&picture.load[a.0.index()])
                .then(a.0.cmp(&b.0))
        });
        hot
    }

    /// Why shard `s` is a bottleneck over the horizon, if it is.
    fn bottleneck(&self, picture: &LoadPicture, s: ShardId) -> Option<Trigger> {
        let c = &self.input.observed;
        let spec = &c.topology().shards[s.index()];
        if picture.load[s.index()] > self.cfg.overload {
            return Some(Trigger::Cpu);
        }
        let series = c.shard_series(s);
        let last = series.rows().len().checked_sub(1)?;
        let stats = series.interval_stats(last);
        if f64::from(stats.memory_used_mb) > self.cfg.memory_limit * f64::from(spec.memory_mb) {
            return Some(Trigger::Memory);
        }
        (picture.load[s.index()] > self.cfg.target_utilisation
            && functions_on(self.input, picture, s)
                .into_iter()
                .any(|f| self.late(s, f)))
        .then_some(Trigger::Latency)
    }

    /// Whether function `f` has recently been missing its deadline on shard `s` more often than
    /// `miss_limit` allows. Judged per function: a shard's p99 mixes slow functions with fast
    /// ones, and a tight-deadline function whose own service tail misses now and then is not
    /// helped by moving it.
    pub(super) fn late(&self, s: ShardId, f: FunctionId) -> bool {
        let input = self.input;
        input.observed.view().history(s, f).is_some_and(|h| {
            h.executions >= MIN_JUDGED_EXECUTIONS && 1.0 - h.success_rate > self.cfg.miss_limit
        })
    }
}
