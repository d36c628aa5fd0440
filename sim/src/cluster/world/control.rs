//! Configuration that changes while the run goes on: functions registered and removed, traffic
//! splits, shard limits, per-function routing, the performance monitor, scheduled changes.

use std::sync::Arc;

use crate::cluster::config::validate::{check_placement, duplicate_function};
use crate::cluster::ids::{FunctionId, ShardId};
use crate::cluster::metrics::function::FunctionMetrics;
use crate::cluster::metrics::records::{ChangeRecord, Redistribution};
use crate::cluster::routing::RoutingPolicy;
use crate::cluster::spec::error::ClusterError;
use crate::cluster::spec::function::{Function, FunctionSpec, Version};
use crate::cluster::spec::settings::Change;
use crate::cluster::world::{Cluster, ClusterEvent};
use crate::engine::Scheduler;
use crate::time::{SimDuration, SimTime};

/// A shard-limit update that would cut below current usage.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// Unknown shard.
    #[error("shard {0} does not exist")]
    NoSuchShard(ShardId),
    /// Zero cpu slots.
    #[error("shard {shard}: cpu_slots must be >= 1")]
    ZeroSlots {
        /// Which shard.
        shard: ShardId,
    },
    /// Usage already above the new limit.
    #[error("shard {shard}: {resource} in use ({in_use}) exceeds the new limit ({limit})")]
    InUse {
        /// Which shard.
        shard: ShardId,
        /// `cpu_slots` or `memory_mb`.
        resource: &'static str,
        /// Currently used.
        in_use: u32,
        /// Requested limit.
        limit: u32,
    },
}

impl Cluster {
    /// Registers a function while the simulation runs (e.g. a protocol launch); it receives events
    /// from now on. An empty placement means every shard.
    pub fn register_function(
        &mut self,
        spec: FunctionSpec,
        placement: Vec<ShardId>,
    ) -> Result<FunctionId, ClusterError> {
        if self.functions.iter().any(|f| f.spec.name == spec.name) {
            return Err(duplicate_function(&spec));
        }
        check_placement(&spec, &placement, self.shards.len())?;
        let placement = if placement.is_empty() {
            self.topology.shard_ids().collect()
        } else {
            placement
        };
        let id = FunctionId(self.functions.len() as u32);
        let function = Function::new(spec)?;
        let et = function.spec.handles.index();
        if self.by_event_type.len() <= et {
            self.by_event_type.resize(et + 1, Vec::new());
        }
        self.by_event_type[et].push(id);
        self.function_streams.push(
            self.rng_streams
                .stream(&format!("service/{}", function.spec.name)),
        );
        self.books.function_metrics.push(FunctionMetrics {
            completed_by_shard: vec![0; self.shards.len()],
            by_version: vec![0; function.spec.versions.len().max(1)],
            ..FunctionMetrics::default()
        });
        self.functions.push(function);
        self.placements.push(placement);
        self.migrating.push(0);
        self.function_work.push(vec![0; self.shards.len()]);
        self.origin_counts
            .push(vec![0; self.topology.regions.len()]);
        self.route_sequence.push(0);
        self.function_routing.push(None);
        self.demotions.push(Vec::new());
        Ok(id)
    }

    /// Stops routing new events to a function; its in-flight invocations still finish.
    pub fn remove_function(&mut self, f: FunctionId) -> bool {
        match self.functions.get_mut(f.index()) {
            Some(func) if func.active => {
                func.active = false;
                true
            }
            _ => false,
        }
    }

    /// Routes `f`'s events with `policy` instead of the cluster's policy from now on.
    pub fn set_function_routing(&mut self, f: FunctionId, policy: Option<Arc<dyn RoutingPolicy>>) {
        self.function_routing[f.index()] = policy;
    }

    /// Replaces a function's traffic split; every invocation arriving from now on uses it, on
    /// every shard at once. Percentages must sum to 100 (empty: a single version).
    pub fn set_traffic_split(
        &mut self,
        f: FunctionId,
        versions: Vec<Version>,
    ) -> Result<(), ClusterError> {
        let func = self
            .functions
            .get(f.index())
            .ok_or_else(|| ClusterError::OutOfRange {
                what: "traffic split".into(),
                kind: "function",
                index: f.index(),
                count: self.functions.len(),
            })?;
        let mut spec = func.spec.clone();
        spec.versions = versions;
        let mut updated = Function::new(spec)?;
        updated.active = func.active;
        let slots = updated.spec.versions.len().max(1);
        let counts = &mut self.books.function_metrics[f.index()].by_version;
        if counts.len() < slots {
            counts.resize(slots, 0);
        }
        self.functions[f.index()] = updated;
        Ok(())
    }

    /// Changes a shard's cpu slots and memory. Refused, changing nothing, if the shard already uses
    /// more than the new limit.
    pub fn update_shard_limits(
        &mut self,
        shard: ShardId,
        cpu_slots: u32,
        memory_mb: u32,
        now: SimTime,
    ) -> Result<(), LimitError> {
        let st = self
            .shards
            .get(shard.index())
            .ok_or(LimitError::NoSuchShard(shard))?;
        if cpu_slots == 0 {
            return Err(LimitError::ZeroSlots { shard });
        }
        let busy = st.busy_slots + st.reserved_slots;
        if busy > cpu_slots {
            return Err(LimitError::InUse {
                shard,
                resource: "cpu_slots",
                in_use: busy,
                limit: cpu_slots,
            });
        }
        if st.memory_used_mb > memory_mb {
            return Err(LimitError::InUse {
                shard,
                resource: "memory_mb",
                in_use: st.memory_used_mb,
                limit: memory_mb,
            });
        }
        self.advance_meter(shard, now);
        let spec = &mut self.topology.shards[shard.index()];
        spec.cpu_slots = cpu_slots;
        spec.memory_mb = memory_mb;
        self.shards[shard.index()].series.set_slots(cpu_slots);
        let live = &mut self.live[shard.index()];
        live.inv_slots = 1.0 / f64::from(cpu_slots);
        live.inv_memory = 1.0 / f64::from(memory_mb.max(1));
        self.sync_shard(shard, now);
        Ok(())
    }

    pub(super) fn on_monitor(&mut self, sched: &mut Scheduler<ClusterEvent>) {
        let now = sched.now();
        let Some(cfg) = self.monitor else { return };
        // The monitor watches while arrivals come: past their end it stops rescheduling itself,
        // or the drain that runs the queue empty would never end.
        if let Some(next) = now.checked_add(cfg.interval)
            && next <= self.arrivals_until
        {
            sched.schedule_at(next, ClusterEvent::Monitor);
        }
        for f in 0..self.functions.len() {
            self.demotions[f].retain(|&(_, until)| now < until);
            if !self.functions[f].active {
                continue;
            }
            let function = FunctionId(f as u32);
            let expected_ns = self.functions[f].mean_service_ns();
            for i in 0..self.placements[f].len() {
                let s = self.placements[f][i];
                let Some(h) = self.view(now).history(s, function) else {
                    continue;
                };
                let expected = expected_ns / self.topology.shards[s.index()].speed;
                let slow = h.executions >= cfg.min_executions
                    && h.mean_duration.as_nanos() as f64 > cfg.slow_factor * expected;
                if !slow || self.demotions[f].iter().any(|(d, _)| *d == s) {
                    continue;
                }
                let view = self.view(now);
                let to = self.placements[f]
                    .iter()
                    .copied()
                    .filter(|&o| {
                        o != s
                            && view.is_available(o)
                            && !self.demotions[f].iter().any(|(d, _)| *d == o)
                    })
                    .min_by(|&a, &b| view.load(a).total_cmp(&view.load(b)));
                self.demotions[f].push((s, now + cfg.demotion));
                self.redistributions.push(Redistribution {
                    at: now,
                    function,
                    from: s,
                    to,
                    mean: h.mean_duration,
                    expected: SimDuration::from_nanos(expected as u64),
                });
            }
        }
    }

    pub(super) fn on_change(&mut self, index: usize, sched: &mut Scheduler<ClusterEvent>) {
        let now = sched.now();
        let outcome = match self.changes[index].change.clone() {
            Change::RegisterFunction { spec, placement } => {
                match self.register_function(*spec, placement) {
                    Ok(f) => {
                        let name = &self.functions[f.index()].spec.name;
                        if let Some(i) = self.pending_overrides.iter().position(|(n, _)| n == name)
                        {
                            let (_, policy) = self.pending_overrides.remove(i);
                            self.function_routing[f.index()] = Some(policy);
                        }
                        Ok(())
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
            Change::TrafficSplit { function, versions } => self
                .set_traffic_split(function, versions)
                .map_err(|e| e.to_string()),
            Change::ShardLimits {
                shard,
                cpu_slots,
                memory_mb,
            } => {
                let r = self.update_shard_limits(shard, cpu_slots, memory_mb, now);
                if r.is_ok() {
                    self.drain_queue(shard, now, sched);
                    self.sync_shard(shard, now);
                }
                r.map_err(|e| e.to_string())
            }
        };
        self.change_log.push(ChangeRecord {
            at: now,
            index,
            outcome,
        });
    }
}
