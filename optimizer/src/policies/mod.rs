//! Migration policies: pure functions of what the cluster shows and what is forecast.
//!
//! A policy is one `impl MigrationPolicy`, one file per algorithm: [`Static`] (`static.rs`),
//! [`Reactive`] (`reactive.rs`), the [`Planner`] behind `predictive` and `oracle`
//! (`planner/`), [`PerformanceBased`] (`performance.rs`); `shared.rs` holds the helpers more
//! than one of them reads. The driver ([`crate::driver`]) calls [`MigrationPolicy::plan`] every
//! [`MigrationPolicy::interval`] with a [`PlanInput`] and runs the returned plan after the
//! policy's lead time. Policies keep no state between calls: what they need to remember (how
//! long a shard has been hot, when it last moved) is read from the metrics and migration log
//! of the operator's view ([`Observation`]), the only view of the cluster a policy gets. What a policy needs forecast, and from where, it says itself
//! ([`MigrationPolicy::needs`], [`MigrationPolicy::forecast_source`]).

use std::fmt::Debug;

use shardsim_sim::cluster::{MigrationRecord, Observation, ShardId};
use shardsim_sim::{SimDuration, SimTime};

use crate::plan::{Action, PlannedAction};

mod performance;
mod planner;
mod reactive;
mod shared;
#[path = "static.rs"]
mod still;

pub use performance::PerformanceBased;
pub use planner::{LATENCY_WEIGHT, Planner, PlannerConfig, SURGE_BASELINE};
pub use reactive::Reactive;
pub use still::Static;

/// What a policy needs the driver to supply beyond the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForecastNeed {
    /// Only what has happened.
    Nothing,
    /// Each shard's load over the coming horizon (from a model, or the true future for an
    /// oracle).
    Horizon,
}

/// Where a policy's horizon forecasts ([`ForecastNeed::Horizon`]) must come from; the driver
/// resolves it to a [`Forecaster`](crate::Forecaster) with [`Forecaster::for_policy`](crate::Forecaster::for_policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForecastSource {
    /// A trained model when the run has one, else the recent load (persistence).
    ModelOrPersistence,
    /// The true future, from a look-ahead fork of the simulation (an oracle).
    TrueFuture,
}

/// Which value of a model's forecast a policy plans on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ForecastQuantity {
    /// The expected load (the regressor's own forecast): what weighing expected costs and
    /// benefits needs.
    Expected,
    /// The upper edge of the forecast's prediction interval at this coverage level (one of
    /// `shardsim_model::intervals::LEVELS`): planning for the load that is exceeded only
    /// (1 − level) / 2 of the time.
    Upper(f64),
}

/// Everything a policy may read at one planning step: the operator's view and what the
/// driver derived from it (recent load, forecasts, pending actions). No `&Cluster`: the
/// world's hidden side is out of reach by type.
#[derive(Clone, Copy, Debug)]
pub struct PlanInput<'a> {
    /// What an operator sees at `now`, metrics closed up to `now`.
    pub observed: Observation<'a>,
    /// The planning time.
    pub now: SimTime,
    /// Per function per shard, the load each function delivered over the recent window.
    pub recent: &'a [Vec<f64>],
    /// Per shard, the expected load over the horizon, when the policy asked for it.
    pub forecast: Option<&'a [f64]>,
    /// Each function's placement when the run started: scale-in never goes below it.
    pub declared: &'a [Vec<ShardId>],
    /// The migrations so far (cooldowns are read from here).
    pub migrations: &'a [MigrationRecord],
    /// Actions already planned and waiting for their lead time: a policy should not plan them
    /// again.
    pub pending: &'a [Action],
}

/// A migration policy.
pub trait MigrationPolicy: Debug + Send + Sync {
    /// Its name in results.
    fn name(&self) -> &str;
    /// How often it plans (zero: never).
    fn interval(&self) -> SimDuration;
    /// Time from a plan to its execution (default: none, plans start at once).
    fn lead_time(&self) -> SimDuration {
        SimDuration::ZERO
    }
    /// What it needs in [`PlanInput::forecast`] at the planning step at `now` (default:
    /// nothing beyond what has happened).
    fn needs(&self, _now: SimTime) -> ForecastNeed {
        ForecastNeed::Nothing
    }
    /// Where the forecasts it [`needs`](MigrationPolicy::needs) come from (default: a model
    /// if the run has one, else persistence).
    fn forecast_source(&self) -> ForecastSource {
        ForecastSource::ModelOrPersistence
    }
    /// Which value of a model's forecast it plans on (default: the expected load).
    fn forecast_quantity(&self) -> ForecastQuantity {
        ForecastQuantity::Expected
    }
    /// The horizon its plans are meant for, and scored over (default: 15 minutes).
    fn horizon(&self) -> SimDuration {
        SimDuration::from_mins(15)
    }
    /// The actions to take, highest net benefit first.
    fn plan(&self, input: &PlanInput<'_>) -> Vec<PlannedAction>;
}

/// A configuration value out of range.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{field} = {value}: {allowed}")]
pub struct ConfigError {
    /// The field.
    pub field: &'static str,
    /// The value given.
    pub value: String,
    /// What is allowed.
    pub allowed: &'static str,
}

fn check_range(
    field: &'static str,
    v: f64,
    lo: f64,
    hi: f64,
    allowed: &'static str,
) -> Result<(), ConfigError> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(ConfigError {
            field,
            value: v.to_string(),
            allowed,
        })
    }
}

fn check_at_least_one(field: &'static str, n: usize) -> Result<(), ConfigError> {
    if n >= 1 {
        Ok(())
    } else {
        Err(ConfigError {
            field,
            value: n.to_string(),
            allowed: "at least 1",
        })
    }
}

fn check_positive(field: &'static str, d: SimDuration) -> Result<(), ConfigError> {
    if d > SimDuration::ZERO {
        Ok(())
    } else {
        Err(ConfigError {
            field,
            value: format!("{}s", d.as_secs_f64()),
            allowed: "a duration > 0",
        })
    }
}

/// The names `policy_by_name` accepts (`predictive` and `oracle` need a forecaster from the
/// driver, which [`MigrationPolicy::forecast_source`] names; all use default settings).
pub const MIGRATION_POLICIES: [&str; 5] =
    ["static", "reactive", "predictive", "oracle", "performance"];

/// A policy by name with default settings.
pub fn policy_by_name(name: &str) -> Option<Box<dyn MigrationPolicy>> {
    Some(match name {
        "static" => Box::new(Static),
        "reactive" => Box::new(Reactive::default()),
        "predictive" => {
            Box::new(Planner::predictive(PlannerConfig::default()).expect("defaults are valid"))
        }
        "oracle" => {
            Box::new(Planner::oracle(PlannerConfig::default()).expect("defaults are valid"))
        }
        "performance" => Box::new(PerformanceBased::default()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oracle_alone_needs_the_true_future() {
        for name in MIGRATION_POLICIES {
            let policy = policy_by_name(name).expect("a listed policy");
            assert_eq!(policy.name(), name);
            let source = if name == "oracle" {
                ForecastSource::TrueFuture
            } else {
                ForecastSource::ModelOrPersistence
            };
            assert_eq!(policy.forecast_source(), source, "{name}");
        }
    }
}
