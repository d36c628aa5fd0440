//! Actions, plans, and applying them to a running cluster.

use shardsim_sim::cluster::{Cluster, ClusterEvent, FunctionId, MigrationError, ShardId};
use shardsim_sim::{Scheduler, SimTime};

/// One change to a function's placement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Move `function` from `from` to `to` (`to` replaces `from` when warm).
    Move {
        /// What moves.
        function: FunctionId,
        /// The shard it leaves.
        from: ShardId,
        /// The shard it goes to.
        to: ShardId,
    },
    /// Add `to` to `function`'s shards (scale out).
    Expand {
        /// What grows.
        function: FunctionId,
        /// The shard it is added to.
        to: ShardId,
    },
    /// Remove `shard` from `function`'s shards (scale in).
    Shrink {
        /// What shrinks.
        function: FunctionId,
        /// The shard it leaves.
        shard: ShardId,
    },
}

impl Action {
    /// The function the action changes.
    pub fn function(&self) -> FunctionId {
        match *self {
            Action::Move { function, .. }
            | Action::Expand { function, .. }
            | Action::Shrink { function, .. } => function,
        }
    }

    /// `move`, `expand` or `shrink`.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Move { .. } => "move",
            Action::Expand { .. } => "expand",
            Action::Shrink { .. } => "shrink",
        }
    }

    /// Starts the action on the cluster at the scheduler's current time.
    pub fn apply(
        &self,
        cluster: &mut Cluster,
        sched: &mut Scheduler<ClusterEvent>,
        reason: &str,
    ) -> Result<(), MigrationError> {
        match *self {
            Action::Move { function, from, to } => {
                cluster.start_migration(sched, function, from, to, reason)
            }
            Action::Expand { function, to } => cluster.start_expansion(sched, function, to, reason),
            Action::Shrink { function, shard } => {
                cluster.shrink_placement(sched.now(), function, shard, reason)
            }
        }
    }
}

/// Why an action was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trigger {
    /// A shard forecast (or observed) above the cpu threshold.
    Cpu,
    /// A shard's memory nearly full.
    Memory,
    /// A shard's p99 latency close to its functions' timeouts.
    Latency,
    /// The volatile regime started: capacity reserved ahead of the surge.
    Volatility,
    /// A pool forecast well under its target utilisation: capacity returned.
    Consolidation,
    /// A placement slower, more error-prone or less productive than the function's others.
    Performance,
}

impl Trigger {
    /// Lower-case name, as written in result files and migration reasons.
    pub fn name(self) -> &'static str {
        match self {
            Trigger::Cpu => "cpu",
            Trigger::Memory => "memory",
            Trigger::Latency => "latency",
            Trigger::Volatility => "volatility",
            Trigger::Consolidation => "consolidation",
            Trigger::Performance => "performance",
        }
    }
}

/// An action with the planner's estimate of what it buys and costs, in *excess-load minutes*:
/// load above the overload threshold, summed over shards, times minutes (see
/// [`crate::estimate`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlannedAction {
    /// The change.
    pub action: Action,
    /// What triggered it.
    pub trigger: Trigger,
    /// Estimated excess-load minutes avoided over the horizon.
    pub benefit: f64,
    /// Estimated cost: slots reserved for the transfer plus a fixed disruption cost.
    pub cost: f64,
    /// Runs at once instead of after the lead time (capacity for a surge that has begun).
    pub urgent: bool,
}

impl PlannedAction {
    /// Benefit minus cost.
    pub fn net(&self) -> f64 {
        self.benefit - self.cost
    }
}

/// The actions one planning step chose, best first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// When it was made.
    pub made_at: SimTime,
    /// When it runs (after the policy's lead time).
    pub execute_at: SimTime,
    /// The actions, highest net benefit first.
    pub actions: Vec<PlannedAction>,
}

impl Plan {
    /// Whether the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Sum of the actions' estimated benefits.
    pub fn predicted_benefit(&self) -> f64 {
        self.actions.iter().map(|a| a.benefit).sum()
    }

    /// Starts every action now; returns how many started and how many the cluster refused
    /// (the function was busy migrating, the target went down since the plan was made, …).
    pub fn apply(
        &self,
        policy: &str,
        cluster: &mut Cluster,
        sched: &mut Scheduler<ClusterEvent>,
    ) -> (u32, u32) {
        let (mut started, mut refused) = (0, 0);
        for a in &self.actions {
            let reason = format!("{policy}: {}", a.trigger.name());
            match a.action.apply(cluster, sched, &reason) {
                Ok(()) => started += 1,
                Err(_) => refused += 1,
            }
        }
        (started, refused)
    }
}
