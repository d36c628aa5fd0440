//! Planning helpers more than one policy reads: cooldowns, target choice, the functions on a
//! shard, a pool's load over recent intervals.

use shardsim_sim::cluster::{FunctionId, MigrationRecord, Observation, ShardId};
use shardsim_sim::{SimDuration, SimTime};

use super::PlanInput;
use crate::estimate::{LoadPicture, can_host};

pub(super) fn in_cooldown(migrations: &[MigrationRecord], f: FunctionId, since: SimTime) -> bool {
    migrations
        .iter()
        .any(|m| m.function == f && m.start >= since)
}

pub(super) fn since(now: SimTime, d: SimDuration) -> SimTime {
    SimTime::from_nanos(now.as_nanos().saturating_sub(d.as_nanos()))
}

/// The eligible target with the lowest `score` (ties: lowest id), for hosting `f` like `like`,
/// skipping `taken`.
pub(super) fn best_target(
    input: &PlanInput<'_>,
    f: FunctionId,
    like: ShardId,
    taken: &[ShardId],
    score: impl Fn(ShardId) -> f64,
) -> Option<ShardId> {
    input
        .observed
        .topology()
        .shard_ids()
        .filter(|t| !taken.contains(t))
        .filter(|&t| can_host(&input.observed, f, like, t))
        .min_by(|&a, &b| score(a).total_cmp(&score(b)))
}

/// Functions placed on shard `s`, largest part first (ties: lowest id).
pub(super) fn functions_on(
    input: &PlanInput<'_>,
    picture: &LoadPicture,
    s: ShardId,
) -> Vec<FunctionId> {
    let c = &input.observed;
    let mut fs: Vec<FunctionId> = (0..c.functions().len() as u32)
        .map(FunctionId)
        .filter(|&f| c.functions()[f.index()].active && c.placement(f).contains(&s))
        .collect();
    fs.sort_by(|a, b| {
        picture.contribution[b.index()][s.index()]
            .total_cmp(&picture.contribution[a.index()][s.index()])
            .then(a.cmp(b))
    });
    fs
}

/// Per closed interval over the last `n`, the load of function `f`'s pool: the mean offered
/// load of its shards, or the work `f` alone demanded over their capacity if that is higher
/// (demand that open circuit breakers shed or that found no shard never shows as offered load).
/// None when fewer than `n` intervals are closed.
pub(super) fn pool_loads(c: &Observation<'_>, f: FunctionId, n: usize) -> Option<Vec<f64>> {
    let shards = c.placement(f);
    let rows = shards
        .iter()
        .map(|&s| c.shard_series(s).rows().len())
        .min()?;
    if rows < n || n == 0 {
        return None;
    }
    let topo = c.topology();
    let capacity = shards
        .iter()
        .map(|s| {
            let spec = &topo.shards[s.index()];
            f64::from(spec.cpu_slots.max(1)) * spec.speed
        })
        .sum::<f64>()
        * c.metrics_interval().as_nanos() as f64;
    let ends = &c.function_metrics()[f.index()].ends;
    Some(
        (rows - n..rows)
            .map(|i| {
                let offered = shards
                    .iter()
                    .map(|&s| c.shard_series(s).offered_load(i))
                    .sum::<f64>()
                    / shards.len() as f64;
                let demand = ends.get(i).map_or(0, |e| e.demand_ns) as f64 / capacity;
                offered.max(demand)
            })
            .collect(),
    )
}

/// Whether the highest of `loads` (a pool's mean load over `n` shards) would stay at or under
/// `target` on `n − 1` shards.
pub(super) fn fewer_shards_fit(loads: &[f64], n: usize, target: f64) -> bool {
    let peak = loads.iter().copied().fold(0.0, f64::max);
    n > 1 && peak * n as f64 / (n - 1) as f64 <= target
}

pub(super) fn intervals_in(c: &Observation<'_>, d: SimDuration) -> usize {
    d.as_nanos()
        .div_ceil(c.metrics_interval().as_nanos().max(1)) as usize
}
