//! Faults as they start and end: crashes, slowdowns, partitions, exchange latency spikes.

use crate::cluster::ids::{InvocationId, ShardId};
use crate::cluster::metrics::records::{FailReason, FaultRecord};
use crate::cluster::spec::faults::FaultKind;
use crate::cluster::state::books::End;
use crate::cluster::world::{Cluster, ClusterEvent};
use crate::engine::Scheduler;
use crate::time::{SimDuration, SimTime};

impl Cluster {
    /// Cancels a scheduled fault that has not started yet (for what-if forks). Returns whether it
    /// was still pending.
    pub fn cancel_fault(&mut self, sched: &mut Scheduler<ClusterEvent>, fault: usize) -> bool {
        match self.fault_keys.get(fault) {
            Some(&(start, _)) => sched.cancel(start),
            None => false,
        }
    }

    pub(super) fn on_fault(
        &mut self,
        index: u32,
        starting: bool,
        sched: &mut Scheduler<ClusterEvent>,
    ) {
        let now = sched.now();
        let fault = self.faults[index as usize].clone();
        let phase = if starting { "start" } else { "end" };
        self.fault_log.push(FaultRecord {
            at: now,
            description: format!("{phase}: {}", self.describe_fault(&fault.kind)),
        });
        if starting {
            let end = sched.schedule_in(fault.duration, ClusterEvent::FaultEnd { fault: index });
            self.fault_keys[index as usize].1 = Some(end);
        }
        match fault.kind {
            FaultKind::Crash { shard } => {
                self.advance_meter(shard, now);
                if starting {
                    self.shards[shard.index()].down += 1;
                    self.sync_shard(shard, now);
                    self.crash(shard, now, sched);
                } else {
                    let st = &mut self.shards[shard.index()];
                    st.down -= 1;
                    st.consecutive_failures = 0;
                    st.breaker_probing = false;
                    self.live[shard.index()].breaker_open_until = now;
                    self.sync_shard(shard, now);
                }
            }
            FaultKind::Slowdown { shard, factor } => {
                self.advance_meter(shard, now);
                let st = &mut self.shards[shard.index()];
                if starting {
                    st.slowdown *= factor;
                } else {
                    st.slowdown /= factor;
                    if (st.slowdown - 1.0).abs() < 1e-12 {
                        st.slowdown = 1.0; // undo float residue so health reads Healthy again
                    }
                }
            }
            FaultKind::Partition { region } => {
                for s in 0..self.shards.len() {
                    if self.topology.shards[s].region == region {
                        let shard = ShardId(s as u32);
                        self.advance_meter(shard, now);
                        let st = &mut self.shards[s];
                        if starting {
                            st.partitioned += 1;
                        } else {
                            st.partitioned -= 1;
                        }
                        self.sync_shard(shard, now);
                    }
                }
            }
            FaultKind::ExchangeLatencySpike { exchange, extra } => {
                let e = &mut self.exchange_extra[exchange.index()];
                *e = if starting {
                    *e + extra
                } else {
                    e.checked_sub(extra).unwrap_or(SimDuration::ZERO)
                };
            }
        }
    }

    pub(super) fn describe_fault(&self, kind: &FaultKind) -> String {
        let shard = |s: &ShardId| self.topology.shards[s.index()].name.clone();
        match kind {
            FaultKind::Crash { shard: s } => format!("crash {}", shard(s)),
            FaultKind::Slowdown { shard: s, factor } => format!("slowdown {} x{factor}", shard(s)),
            FaultKind::Partition { region } => {
                format!("partition {}", self.topology.regions[region.index()].name)
            }
            FaultKind::ExchangeLatencySpike { exchange, extra } => format!(
                "latency spike {} +{extra}",
                self.topology.exchanges[exchange.index()].name
            ),
        }
    }

    /// A crash: running work fails, queued work is re-routed, migrations touching the shard abort.
    pub(super) fn crash(
        &mut self,
        shard: ShardId,
        now: SimTime,
        sched: &mut Scheduler<ClusterEvent>,
    ) {
        let running = std::mem::take(&mut self.shards[shard.index()].running);
        for id in running {
            let inv = self.books.invocations[id.index()];
            if let Some(key) = inv.finish {
                sched.cancel(key);
            }
            let st = &mut self.shards[shard.index()];
            st.busy_slots -= inv.slots;
            st.memory_used_mb -= inv.memory_mb;
            let end = End::Failed(FailReason::ShardCrashed);
            self.books.end(id, end, now, Some((shard, &mut st.series)));
        }
        let queued: Vec<InvocationId> = {
            let st = &mut self.shards[shard.index()];
            st.queued = 0;
            st.queued_slots = 0;
            st.queues
                .iter_mut()
                .rev()
                .flat_map(|q| q.drain(..))
                .collect()
        };
        self.sync_shard(shard, now);
        for id in queued {
            self.reroute(id, shard, now, sched);
        }
        for m in 0..self.migrations.len() {
            let a = &self.migrations[m];
            if a.record.ready == SimTime::MAX
                && (a.record.from == shard || a.record.to == shard)
                && let Some(key) = a.key
            {
                sched.cancel(key);
                self.finish_migration(m, now, false, sched);
            }
        }
    }
}
