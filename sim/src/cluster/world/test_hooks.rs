//! Hooks that set a cluster's state directly, for routing unit tests.

use crate::cluster::event::DomainEvent;
use crate::cluster::ids::{FunctionId, ShardId};
use crate::cluster::state::shard::push_history;
use crate::cluster::world::Cluster;
use crate::time::{SimDuration, SimTime};

impl Cluster {
    /// Sets a shard's occupancy directly, for routing tests.
    pub(crate) fn test_set_occupancy(
        &mut self,
        shard: ShardId,
        busy: u32,
        queued_slots: u32,
        queued: u32,
    ) {
        let st = &mut self.shards[shard.index()];
        st.busy_slots = busy;
        st.queued_slots = queued_slots;
        st.queued = queued;
        self.sync_shard(shard, SimTime::ZERO);
    }

    /// Sets the slots dispatched to a shard and still in the network, for routing tests.
    pub(crate) fn test_set_in_transit(&mut self, shard: ShardId, slots: u32) {
        self.shards[shard.index()].in_transit_slots = slots;
        self.refresh_live(shard);
    }

    /// Marks a shard crashed (or not), for routing tests.
    pub(crate) fn test_set_down(&mut self, shard: ShardId, down: bool) {
        self.shards[shard.index()].down = u32::from(down);
        self.sync_shard(shard, SimTime::ZERO);
    }

    /// Adds executions to a shard's histories, for routing tests.
    pub(crate) fn test_record(
        &mut self,
        shard: ShardId,
        event: &DomainEvent,
        f: FunctionId,
        ran: SimDuration,
        success: bool,
        times: u32,
    ) {
        let st = &mut self.shards[shard.index()];
        for _ in 0..times {
            push_history(&mut st.history, f.index(), ran.as_nanos(), success);
            if let Some(p) = event.protocol {
                push_history(&mut st.protocol_history, p.index(), ran.as_nanos(), success);
            }
            push_history(
                &mut st.exchange_history,
                event.exchange.index(),
                ran.as_nanos(),
                success,
            );
        }
    }
}
