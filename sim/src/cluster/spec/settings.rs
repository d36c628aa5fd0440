//! Run settings: how one of several functions is selected, the performance monitor, and
//! configuration changes scheduled during a run.

use crate::cluster::ids::{FunctionId, ShardId};
use crate::cluster::spec::error::ClusterError;
use crate::cluster::spec::function::{FunctionSpec, Version};
use crate::time::{SimDuration, SimTime};

/// Weights of the composite score that picks one function when several handle an event type:
/// `load·(1 − mean load of its shards) + resources·(free slot share) + priority·(priority / 3) +
/// affinity·(mean affinity of its shards)`. They must sum to 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SelectionWeights {
    /// Weight of the placement's spare load.
    pub load: f64,
    /// Weight of the placement's free cpu slots.
    pub resources: f64,
    /// Weight of the function's priority.
    pub priority: f64,
    /// Weight of the placement's recent success with the function.
    pub affinity: f64,
}

impl Default for SelectionWeights {
    fn default() -> Self {
        SelectionWeights {
            load: 0.3,
            resources: 0.25,
            priority: 0.25,
            affinity: 0.2,
        }
    }
}

impl SelectionWeights {
    pub(crate) fn validate(&self) -> Result<(), ClusterError> {
        let w = [self.load, self.resources, self.priority, self.affinity];
        let names = ["load", "resources", "priority", "affinity"];
        if let Some((name, x)) = names
            .iter()
            .zip(w)
            .find(|(_, x)| !(x.is_finite() && *x >= 0.0))
        {
            return Err(ClusterError::Invalid(format!(
                "weight `{name}` is {x}; weights load, resources, priority, affinity must be finite, >= 0 and sum to 1"
            )));
        }
        if (w.iter().sum::<f64>() - 1.0).abs() > 1e-9 {
            return Err(ClusterError::Invalid(format!(
                "weights load, resources, priority, affinity must be >= 0 and sum to 1 (they \
                 sum to {})",
                w.iter().sum::<f64>()
            )));
        }
        Ok(())
    }
}

/// The seeds' `monitorFunctionPerformance`: every `interval`, a function whose mean execution
/// time on a shard (over its last 100 runs there, at least `min_executions`) exceeds
/// `slow_factor` × its expected time on that shard has its preference moved off the shard for
/// `demotion`: routing offers the shard only if nothing else is available.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MonitorConfig {
    /// How often to check.
    pub interval: SimDuration,
    /// Mean over expected that counts as slow (1.5 in the seeds).
    pub slow_factor: f64,
    /// Executions needed before a shard is judged.
    pub min_executions: u32,
    /// How long a slow shard stays demoted.
    pub demotion: SimDuration,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            interval: SimDuration::from_mins(1),
            slow_factor: 1.5,
            min_executions: 20,
            demotion: SimDuration::from_mins(5),
        }
    }
}

/// A configuration change.
#[derive(Clone, Debug)]
pub enum Change {
    /// A new function (e.g. a protocol launch), registered at the change's time.
    RegisterFunction {
        /// Its declaration.
        spec: Box<FunctionSpec>,
        /// Its placement (empty: every shard).
        placement: Vec<ShardId>,
    },
    /// A new traffic split between a function's versions, on every shard at once.
    TrafficSplit {
        /// Which function.
        function: FunctionId,
        /// The new versions (percentages summing to 100).
        versions: Vec<Version>,
    },
    /// New resource limits for a shard; refused if current usage already exceeds them.
    ShardLimits {
        /// Which shard.
        shard: ShardId,
        /// New cpu slots.
        cpu_slots: u32,
        /// New memory, MiB.
        memory_mb: u32,
    },
}

/// A change and when it applies.
#[derive(Clone, Debug)]
pub struct ScheduledChange {
    /// When.
    pub at: SimTime,
    /// What.
    pub change: Change,
}
