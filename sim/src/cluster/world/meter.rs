//! Shard bookkeeping after every change: the metric meters, what routing reads, circuit breakers.

use crate::cluster::ids::ShardId;
use crate::cluster::metrics::shard::ShardInstant;
use crate::cluster::world::Cluster;
use crate::time::SimTime;

impl Cluster {
    /// Closes every metric interval that ended at or before `now` on every shard.
    pub fn close_metrics(&mut self, now: SimTime) {
        for i in 0..self.shards.len() {
            self.advance_meter(ShardId(i as u32), now);
        }
    }

    #[inline]
    pub(super) fn advance_meter(&mut self, shard: ShardId, now: SimTime) {
        let st = &mut self.shards[shard.index()];
        let state = ShardInstant {
            queue_depth: st.queued,
            busy_slots: st.busy_slots + st.reserved_slots,
            memory_used_mb: st.memory_used_mb,
            healthy: st.down == 0 && st.partitioned == 0,
        };
        st.series.advance(now, state);
    }

    /// Refreshes the routing-visible state and the busy-time integral after a change.
    #[inline]
    pub(super) fn sync_shard(&mut self, shard: ShardId, now: SimTime) {
        let st = &mut self.shards[shard.index()];
        let busy = st.busy_slots + st.reserved_slots;
        st.series.set_occupancy(now, busy, busy + st.queued_slots);
        self.refresh_live(shard);
    }

    /// Recomputes what routing reads about a shard: its load (including work dispatched to it
    /// and still in the network) and whether it is offline.
    #[inline]
    pub(super) fn refresh_live(&mut self, shard: ShardId) {
        let st = &self.shards[shard.index()];
        let slots = self.topology.shards[shard.index()].cpu_slots.max(1);
        let committed = st.busy_slots + st.reserved_slots + st.queued_slots + st.in_transit_slots;
        let live = &mut self.live[shard.index()];
        live.load = f64::from(committed) / f64::from(slots);
        live.offline = st.down > 0 || st.partitioned > 0;
    }

    pub(super) fn breaker_success(&mut self, shard: ShardId) {
        let st = &mut self.shards[shard.index()];
        st.consecutive_failures = 0;
        st.breaker_probing = false;
    }

    pub(super) fn breaker_failure(&mut self, shard: ShardId, now: SimTime) {
        let cfg = self.config_breaker;
        let st = &mut self.shards[shard.index()];
        st.consecutive_failures += 1;
        let live = &mut self.live[shard.index()];
        let half_open = now >= live.breaker_open_until && st.breaker_probing;
        if st.consecutive_failures >= cfg.failure_threshold || half_open {
            // Open (or re-open after a failed probe): routing skips the shard until the cool-down
            // ends, then lets traffic probe it; the next outcome closes or re-opens it.
            live.breaker_open_until = now + cfg.cooldown;
            st.breaker_probing = true;
            st.consecutive_failures = 0;
        }
    }
}
