//! # shardsim-optimizer: migration planning
//!
//! TODO docs
#![warn(missing_docs)]

pub mod driver;
pub mod estimate;
pub mod outcome;
pub mod plan;
pub mod policies;

pub use driver::{DriveConfig, Driver, Forecaster, PlanRecord};
pub use outcome::{Outcome, SLO_MISS_SHARE, Scored};
pub use plan::{Action, Plan, PlannedAction, Trigger};
pub use policies::{
    ConfigError, ForecastNeed, MIGRATION_POLICIES, MigrationPolicy, PerformanceBased, PlanInput,
    Planner, PlannerConfig, Reactive, Static, policy_by_name,
};
pub use shardsim_model as model;
pub use shardsim_model::sim;
