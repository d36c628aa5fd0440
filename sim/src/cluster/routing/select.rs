//! What the policies share: available candidates, rotation, least-loaded and best-score picks,
//! stable key hashing, the affinity blend.

use std::hash::Hasher;

use crate::cluster::ids::{ProtocolId, ShardId};
use crate::cluster::routing::{NoRoute, Route, RouteRequest};
use crate::cluster::spec::function::ShardBy;
use crate::cluster::state::shard::{HistorySummary, NEUTRAL_AFFINITY};
use crate::cluster::view::ClusterView;
use crate::hash::StableHasher;

pub(super) fn available<'v>(
    view: &'v ClusterView<'_>,
    candidates: &'v [ShardId],
) -> impl Iterator<Item = ShardId> + 'v {
    candidates
        .iter()
        .copied()
        .filter(move |&s| view.is_available(s))
}

/// The available candidates, starting at position `sequence mod n` and wrapping around.
///
/// Loads are coarse (a 4-slot shard is at 0, 0.25, 0.5…), so ties are common; if ties always went
/// to the first shard in placement order, that shard would take far more than its share (this
/// made least-loaded balance worse than random). Rotating the start by the function's routing
/// sequence spreads ties evenly and stays deterministic.
pub(super) fn available_rotated<'v>(
    view: &'v ClusterView<'_>,
    candidates: &'v [ShardId],
    sequence: u64,
) -> impl Iterator<Item = ShardId> + 'v {
    let k = if candidates.is_empty() {
        0
    } else {
        (sequence % candidates.len() as u64) as usize
    };
    candidates[k..]
        .iter()
        .chain(&candidates[..k])
        .copied()
        .filter(move |&s| view.is_available(s))
}

/// The least loaded of `shards` (the first wins ties: pass them rotated, see [`available_rotated`]).
pub(super) fn least_loaded_of(
    view: &ClusterView<'_>,
    shards: impl Iterator<Item = ShardId>,
) -> Option<ShardId> {
    let mut best: Option<(f64, ShardId)> = None;
    for s in shards {
        let load = view.load(s);
        if best.is_none_or(|(b, _)| load < b) {
            best = Some((load, s));
        }
    }
    best.map(|(_, s)| s)
}

/// The highest-scoring of `shards` (first wins ties).
pub(super) fn best_by_score(
    shards: impl Iterator<Item = ShardId>,
    mut score: impl FnMut(ShardId) -> f64,
) -> Option<ShardId> {
    let mut best: Option<(f64, ShardId)> = None;
    for s in shards {
        let v = score(s);
        if best.is_none_or(|(b, _)| v > b) {
            best = Some((v, s));
        }
    }
    best.map(|(_, s)| s)
}

/// The `k`-th of the available candidates, counting only available ones.
pub(super) fn nth_available(
    view: &ClusterView<'_>,
    candidates: &[ShardId],
    k: usize,
) -> Option<ShardId> {
    available(view, candidates).nth(k)
}

/// The available candidate at the position `choose(n)` picks among the `n` available ones.
pub(super) fn pick_available(
    view: &ClusterView<'_>,
    r: &RouteRequest<'_>,
    choose: impl FnOnce(usize) -> usize,
) -> Result<Route, NoRoute> {
    let n = available(view, r.candidates).count();
    if n == 0 {
        return Err(none_or(r, NoRoute::AllUnavailable));
    }
    let k = choose(n);
    Ok(Route::to(
        nth_available(view, r.candidates, k).expect("k < available count"),
    ))
}

pub(super) fn stable_key_hash(key: u64, salt: u64) -> u64 {
    let mut h = StableHasher::new();
    h.write_u64(salt);
    h.write_u64(key);
    // FNV's low bits mix poorly for small integer keys; a final avalanche spreads them.
    let mut z = h.finish();
    z = (z ^ (z >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    z = (z ^ (z >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    z ^ (z >> 33)
}

/// `key` hashed over the available candidates (a stable hash, never `DefaultHasher`).
pub(super) fn hash_over_available(
    view: &ClusterView<'_>,
    candidates: &[ShardId],
    key: u64,
) -> Option<ShardId> {
    let n = available(view, candidates).count();
    if n == 0 {
        return None;
    }
    nth_available(
        view,
        candidates,
        (stable_key_hash(key, 0x5eed) % n as u64) as usize,
    )
}

/// The key hash-style policies route by: the trading pair for functions sharded by pair, else
/// the user.
pub(super) fn routing_key(request: &RouteRequest<'_>) -> u64 {
    match request.declaration.spec.shard_by {
        ShardBy::TradingPair => u64::from(request.event.trading_pair),
        _ => u64::from(request.event.user),
    }
}

pub(super) fn none_or(request: &RouteRequest<'_>, reason: NoRoute) -> NoRoute {
    if request.candidates.is_empty() {
        NoRoute::NoCandidates
    } else {
        reason
    }
}

/// Success and speed blended as the seeds' affinity: success rate × 0.7 + speed × 0.3, where speed
/// is `1 − mean duration / 1 s` (floored at 0); 0.5 with no history.
pub fn affinity(history: Option<HistorySummary>) -> f64 {
    history.map_or(NEUTRAL_AFFINITY, |h| h.affinity())
}

pub(super) fn serves_protocol(view: &ClusterView<'_>, s: ShardId, p: ProtocolId) -> (bool, bool) {
    let tags = &view.spec(s).tags;
    (
        tags.protocols.contains(&p),
        tags.secondary_protocols.contains(&p),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::time::SimDuration;

    #[test]
    fn affinity_is_neutral_without_history_and_blends_success_and_speed() {
        assert_eq!(affinity(None), 0.5);
        let h = HistorySummary {
            executions: 10,
            success_rate: 1.0,
            mean_duration: SimDuration::from_millis(500),
        };
        assert!((affinity(Some(h)) - (0.7 + 0.3 * 0.5)).abs() < 1e-12);
    }
}
