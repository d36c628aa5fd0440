//! Placement changes: moves, expansions and shrinks, their transfers and how they end.

use crate::cluster::ids::{FunctionId, ShardId};
use crate::cluster::metrics::records::{MigrationKind, MigrationRecord};
use crate::cluster::world::{ActiveMigration, Cluster, ClusterEvent};
use crate::engine::Scheduler;
use crate::time::{SimDuration, SimTime};

/// Why a migration cannot start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MigrationError {
    /// Unknown or removed function.
    #[error("function {0} does not exist or was removed")]
    NoSuchFunction(FunctionId),
    /// Unknown shard.
    #[error("shard {0} does not exist")]
    NoSuchShard(ShardId),
    /// The function is not on the source shard.
    #[error("function {0} is not placed on shard {1}")]
    NotPlaced(FunctionId, ShardId),
    /// The function is already on the target shard.
    #[error("function {0} is already placed on shard {1}")]
    AlreadyPlaced(FunctionId, ShardId),
    /// The target cannot take work.
    #[error("target shard {0} is unavailable")]
    TargetUnavailable(ShardId),
    /// The function is already moving.
    #[error("function {0} is already migrating")]
    Busy(FunctionId),
    /// Removing the shard would leave the function nowhere to run.
    #[error("shard {1} is the last available shard of function {0}")]
    LastShard(FunctionId, ShardId),
}

impl Cluster {
    /// Starts moving function `f` from shard `from` to `to`. The source keeps serving until the
    /// target is ready (state transfer over the link between their regions, plus warm-up); one
    /// cpu slot is reserved on each shard meanwhile.
    pub fn start_migration(
        &mut self,
        sched: &mut Scheduler<ClusterEvent>,
        f: FunctionId,
        from: ShardId,
        to: ShardId,
        reason: &str,
    ) -> Result<(), MigrationError> {
        self.check_placement_change(sched.now(), f, Some(from), Some(to))?;
        self.begin_transfer(sched, MigrationKind::Move, f, from, to, reason);
        Ok(())
    }

    /// Starts adding shard `to` to function `f`'s placement (scale out). The state is copied
    /// from the placed shard with the shortest round trip to `to` (the first such in placement
    /// order); as with [`Cluster::start_migration`], one slot is reserved on both shards until
    /// `to` is warm, and `to` takes traffic from then on. Several expansions of one function
    /// may run at once; not while it moves.
    pub fn start_expansion(
        &mut self,
        sched: &mut Scheduler<ClusterEvent>,
        f: FunctionId,
        to: ShardId,
        reason: &str,
    ) -> Result<(), MigrationError> {
        self.check_placement_change(sched.now(), f, None, Some(to))?;
        let from = self
            .expansion_source(f, to)
            .ok_or(MigrationError::NotPlaced(f, to))?;
        self.begin_transfer(sched, MigrationKind::Expand, f, from, to, reason);
        Ok(())
    }

    /// Removes shard `shard` from function `f`'s placement at once (scale in): new events route
    /// elsewhere, work already sent there finishes there. Refused when it would leave `f` with
    /// no available shard.
    pub fn shrink_placement(
        &mut self,
        now: SimTime,
        f: FunctionId,
        shard: ShardId,
        reason: &str,
    ) -> Result<(), MigrationError> {
        self.check_placement_change(now, f, Some(shard), None)?;
        let view = self.view(now);
        if !self.placements[f.index()]
            .iter()
            .any(|&s| s != shard && view.is_available(s))
        {
            return Err(MigrationError::LastShard(f, shard));
        }
        self.placements[f.index()].retain(|&s| s != shard);
        self.migrations.push(ActiveMigration {
            record: MigrationRecord {
                kind: MigrationKind::Shrink,
                start: now,
                ready: now,
                function: f,
                from: shard,
                to: shard,
                reason: reason.to_owned(),
                cost_slot_secs: 0.0,
                completed: true,
            },
            key: None,
        });
        Ok(())
    }

    pub(super) fn check_placement_change(
        &self,
        now: SimTime,
        f: FunctionId,
        leave: Option<ShardId>,
        join: Option<ShardId>,
    ) -> Result<(), MigrationError> {
        if !self
            .functions
            .get(f.index())
            .is_some_and(|func| func.active)
        {
            return Err(MigrationError::NoSuchFunction(f));
        }
        for s in leave.into_iter().chain(join) {
            if s.index() >= self.shards.len() {
                return Err(MigrationError::NoSuchShard(s));
            }
        }
        let placement = &self.placements[f.index()];
        if let Some(from) = leave
            && !placement.contains(&from)
        {
            return Err(MigrationError::NotPlaced(f, from));
        }
        let in_flight = || {
            self.migrations
                .iter()
                .map(|m| &m.record)
                .filter(move |r| r.function == f && r.ready == SimTime::MAX)
        };
        // Expansions of one function may overlap (each adds its own shard); a move or a shrink
        // changes the shards others copy from, so it runs alone.
        let busy = match (leave, join) {
            (None, Some(_)) => in_flight().any(|r| r.kind != MigrationKind::Expand),
            _ => self.migrating[f.index()] > 0,
        };
        if busy {
            return Err(MigrationError::Busy(f));
        }
        if let Some(to) = join {
            if placement.contains(&to) || in_flight().any(|r| r.to == to) {
                return Err(MigrationError::AlreadyPlaced(f, to));
            }
            if !self.view(now).is_available(to) {
                return Err(MigrationError::TargetUnavailable(to));
            }
        }
        Ok(())
    }

    pub(super) fn begin_transfer(
        &mut self,
        sched: &mut Scheduler<ClusterEvent>,
        kind: MigrationKind,
        f: FunctionId,
        from: ShardId,
        to: ShardId,
        reason: &str,
    ) {
        let now = sched.now();
        let duration = self.transfer_duration(f, from, to);
        for s in [from, to] {
            self.advance_meter(s, now);
            self.shards[s.index()].reserved_slots += 1;
            self.sync_shard(s, now);
        }
        let index = self.migrations.len() as u32;
        let key = sched.schedule_in(duration, ClusterEvent::MigrationReady { migration: index });
        self.migrating[f.index()] += 1;
        self.migrations.push(ActiveMigration {
            record: MigrationRecord {
                kind,
                start: now,
                ready: SimTime::MAX,
                function: f,
                from,
                to,
                reason: reason.to_owned(),
                cost_slot_secs: 2.0 * duration.as_secs_f64(),
                completed: false,
            },
            key: Some(key),
        });
    }

    pub(super) fn on_migration_ready(&mut self, m: u32, sched: &mut Scheduler<ClusterEvent>) {
        let now = sched.now();
        self.finish_migration(m as usize, now, true, sched);
    }

    pub(super) fn finish_migration(
        &mut self,
        m: usize,
        now: SimTime,
        completed: bool,
        sched: &mut Scheduler<ClusterEvent>,
    ) {
        let rec = &mut self.migrations[m].record;
        rec.ready = now;
        rec.completed = completed;
        rec.cost_slot_secs = 2.0 * (now - rec.start).as_secs_f64();
        let (f, from, to) = (rec.function, rec.from, rec.to);
        self.migrating[f.index()] -= 1;
        if completed {
            let placement = &mut self.placements[f.index()];
            match rec.kind {
                MigrationKind::Move => {
                    if let Some(slot) = placement.iter_mut().find(|s| **s == from) {
                        *slot = to;
                    }
                }
                MigrationKind::Expand => {
                    if !placement.contains(&to) {
                        placement.push(to);
                    }
                }
                MigrationKind::Shrink => unreachable!("a shrink never has a pending transfer"),
            }
        }
        for s in [from, to] {
            self.advance_meter(s, now);
            self.shards[s.index()].reserved_slots -= 1;
            if self.shards[s.index()].down == 0 {
                self.drain_queue(s, now, sched);
            }
            self.sync_shard(s, now);
        }
    }

    /// Migrations that finished or aborted, in the order they ended, then those still running.
    pub fn migrations(&self) -> Vec<MigrationRecord> {
        let mut done: Vec<_> = self
            .migrations
            .iter()
            .filter(|m| m.record.ready != SimTime::MAX)
            .map(|m| m.record.clone())
            .collect();
        done.sort_by_key(|r| r.ready);
        done.extend(
            self.migrations
                .iter()
                .filter(|m| m.record.ready == SimTime::MAX)
                .map(|m| m.record.clone()),
        );
        done
    }

    /// The shard an expansion of function `f` onto `to` copies its state from: the placed shard
    /// with the shortest round trip to `to` (the first such in placement order); `None` when `f`
    /// is placed nowhere.
    pub fn expansion_source(&self, f: FunctionId, to: ShardId) -> Option<ShardId> {
        let to_region = self.topology.shards[to.index()].region;
        let net = &self.topology.network;
        let shards = &self.topology.shards;
        self.placements[f.index()]
            .iter()
            .copied()
            .min_by_key(|s| net.rtt(shards[s.index()].region, to_region))
    }

    /// How long moving function `f`'s state from shard `from` to `to` takes until `to` is
    /// ready: the state over the link between their regions, then the warm-up.
    pub fn transfer_duration(&self, f: FunctionId, from: ShardId, to: ShardId) -> SimDuration {
        let net = &self.topology.network;
        net.transfer_time(
            self.topology.shards[from.index()].region,
            self.topology.shards[to.index()].region,
            self.functions[f.index()].spec.state_bytes,
        ) + self.functions[f.index()].spec.warmup
    }
}
