//! A delivered invocation on its shard: start, queue or drop; finishing; draining the queue.

use crate::cluster::event::DomainEvent;
use crate::cluster::ids::{InvocationId, ShardId};
use crate::cluster::metrics::records::DropReason;
use crate::cluster::state::books::End;
use crate::cluster::state::invocation::InvState;
use crate::cluster::state::shard::{fits, push_history};
use crate::cluster::world::{Cluster, ClusterEvent};
use crate::engine::Scheduler;
use crate::time::{SimDuration, SimTime};

impl Cluster {
    pub(super) fn on_deliver(&mut self, id: InvocationId, sched: &mut Scheduler<ClusterEvent>) {
        let now = sched.now();
        let shard = self.books.invocations[id.index()].shard;
        self.shards[shard.index()].in_transit_slots -= self.books.invocations[id.index()].slots;
        self.refresh_live(shard);
        if self.live[shard.index()].offline {
            self.reroute(id, shard, now, sched);
            return;
        }
        self.advance_meter(shard, now);
        let spec = &self.topology.shards[shard.index()];
        let st = &mut self.shards[shard.index()];
        let inv = &mut self.books.invocations[id.index()];
        inv.slots = inv.slots.min(spec.cpu_slots.max(1));
        inv.memory_mb = inv.memory_mb.min(spec.memory_mb);
        inv.run_ns = (inv.base_service_ns as f64 * st.slowdown / spec.speed) as u64;
        let c = &mut st.series.counters;
        c.arrivals += 1;
        let work = inv.run_ns * u64::from(inv.slots);
        c.offered_work_ns += work;
        self.function_work[inv.function.index()][shard.index()] += work;
        if st.queued == 0 && fits(spec, st, inv) {
            self.start(id, shard, now, sched);
        } else if st.queued < spec.queue_capacity {
            inv.state = InvState::Queued;
            st.queues[inv.priority as usize].push_back(id);
            st.queued += 1;
            st.queued_slots += inv.slots;
            self.sync_shard(shard, now);
        } else {
            self.end_dropped(id, Some(shard), DropReason::QueueFull, now);
        }
    }

    pub(super) fn start(
        &mut self,
        id: InvocationId,
        shard: ShardId,
        now: SimTime,
        sched: &mut Scheduler<ClusterEvent>,
    ) {
        let st = &mut self.shards[shard.index()];
        let inv = &mut self.books.invocations[id.index()];
        st.busy_slots += inv.slots;
        st.memory_used_mb += inv.memory_mb;
        let done = now + SimDuration::from_nanos(inv.run_ns);
        inv.times_out = done > inv.deadline;
        let finish_at = if inv.times_out {
            inv.deadline.max(now)
        } else {
            done
        };
        inv.state = InvState::Running;
        inv.started = now;
        inv.running_index = st.running.len() as u32;
        st.running.push(id);
        inv.finish = Some(sched.schedule_at(finish_at, ClusterEvent::Finish { inv: id }));
        self.sync_shard(shard, now);
    }

    pub(super) fn on_finish(&mut self, id: InvocationId, sched: &mut Scheduler<ClusterEvent>) {
        let now = sched.now();
        let inv = self.books.invocations[id.index()];
        let shard = inv.shard;
        self.advance_meter(shard, now);
        self.stop_running(id, shard);
        let st = &mut self.shards[shard.index()];
        let success = !inv.times_out;
        let f = inv.function.index();
        let ran = now.saturating_duration_since(inv.started).as_nanos();
        push_history(&mut st.history, f, ran, success);
        if let Some(p) = inv.event.protocol {
            push_history(&mut st.protocol_history, p.index(), ran, success);
        }
        push_history(
            &mut st.exchange_history,
            inv.event.exchange.index(),
            ran,
            success,
        );
        let end = if success {
            End::Completed {
                latency: now - inv.arrived,
            }
        } else {
            End::TimedOut
        };
        self.books.end(id, end, now, Some((shard, &mut st.series)));
        if success {
            self.breaker_success(shard);
        } else {
            self.breaker_failure(shard, now);
        }
        self.drain_queue(shard, now, sched);
        self.sync_shard(shard, now);
        if success && inv.emit_mask != 0 {
            let region = self.topology.shards[shard.index()].region;
            for (i, e) in self.functions[f].spec.emits.clone().iter().enumerate() {
                if inv.emit_mask & (1 << i) != 0 {
                    let event = DomainEvent {
                        event_type: e.event_type,
                        ..inv.event
                    };
                    self.dispatch_from(event, Some(region), now, sched);
                }
            }
        }
    }

    pub(super) fn stop_running(&mut self, id: InvocationId, shard: ShardId) {
        let inv = self.books.invocations[id.index()];
        let st = &mut self.shards[shard.index()];
        st.busy_slots -= inv.slots;
        st.memory_used_mb -= inv.memory_mb;
        let pos = inv.running_index as usize;
        st.running.swap_remove(pos);
        if let Some(&moved) = st.running.get(pos) {
            self.books.invocations[moved.index()].running_index = pos as u32;
        }
    }

    pub(super) fn drain_queue(
        &mut self,
        shard: ShardId,
        now: SimTime,
        sched: &mut Scheduler<ClusterEvent>,
    ) {
        loop {
            let spec = &self.topology.shards[shard.index()];
            let st = &mut self.shards[shard.index()];
            if st.queued == 0 {
                return;
            }
            let Some(q) = st.queues.iter().rposition(|q| !q.is_empty()) else {
                unreachable!("queued count {} with empty queues", st.queued)
            };
            let id = st.queues[q][0];
            if !fits(spec, st, &self.books.invocations[id.index()]) {
                return;
            }
            st.queues[q].pop_front();
            st.queued -= 1;
            st.queued_slots -= self.books.invocations[id.index()].slots;
            self.start(id, shard, now, sched);
        }
    }
}
