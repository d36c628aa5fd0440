//! Records of what happened during a run: why invocations ended, migrations, faults, the
//! performance monitor's redistributions, configuration changes.

use crate::cluster::ids::{FunctionId, ShardId};
use crate::time::{SimDuration, SimTime};

/// Why an invocation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailReason {
    /// Its shard crashed while it ran.
    ShardCrashed,
    /// It was re-routed too many times without finding a shard.
    RerouteLimit,
}

/// Why an invocation was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropReason {
    /// No active function handles its event type.
    NoFunction,
    /// Routing found no shard that could take it.
    NoShard,
    /// The chosen shard's queue was full.
    QueueFull,
}

/// What a placement change did to a function's shard set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MigrationKind {
    /// The function left `from` for `to` (`to` replaced `from` when ready).
    Move,
    /// The function was added to `to`, its state copied from `from` (scale out).
    Expand,
    /// The function was removed from `from` (`to == from`), at once and at no cost (scale in).
    Shrink,
}

impl MigrationKind {
    /// The lower-case name used in result files.
    pub fn name(self) -> &'static str {
        match self {
            MigrationKind::Move => "move",
            MigrationKind::Expand => "expand",
            MigrationKind::Shrink => "shrink",
        }
    }
}

/// A migration, as recorded when it finished (or started, if still running at the end).
#[derive(Clone, Debug, PartialEq)]
pub struct MigrationRecord {
    /// Move, expand or shrink.
    pub kind: MigrationKind,
    /// When it started.
    pub start: SimTime,
    /// When the target became ready.
    pub ready: SimTime,
    /// What moved.
    pub function: FunctionId,
    /// From.
    pub from: ShardId,
    /// To.
    pub to: ShardId,
    /// Why (free text from the planner).
    pub reason: String,
    /// Cpu cost: slot-seconds reserved on both shards.
    pub cost_slot_secs: f64,
    /// Whether it completed (false: aborted because a shard crashed).
    pub completed: bool,
}

/// A fault, as it happened.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRecord {
    /// When.
    pub at: SimTime,
    /// Start or end of the fault, and what.
    pub description: String,
}

/// A redistribution made by the performance monitor.
#[derive(Clone, Debug, PartialEq)]
pub struct Redistribution {
    /// When.
    pub at: SimTime,
    /// Which function.
    pub function: FunctionId,
    /// The slow shard it was moved off.
    pub from: ShardId,
    /// The least loaded remaining shard its preference moved to, if any.
    pub to: Option<ShardId>,
    /// Mean execution time seen on `from`.
    pub mean: SimDuration,
    /// Expected execution time on `from` (declared mean / shard speed).
    pub expected: SimDuration,
}

/// What happened to a scheduled change.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeRecord {
    /// When it was applied.
    pub at: SimTime,
    /// Index into the configured changes.
    pub index: usize,
    /// `Err` with the reason if it was refused.
    pub outcome: Result<(), String>,
}
