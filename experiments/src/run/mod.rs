//! `shardsim run`: one scenario, one seed, one routing policy; results written atomically.
//!
//! ```text
//! DIR/manifest.json          what ran: scenario name and hash, seed, routing, version, command
//! DIR/summary.json           totals, latency, balance, validator, bottlenecks, recommendations
//! DIR/shard_metrics.csv      one row per shard per metrics interval
//! DIR/function_summary.csv   one row per function
//! DIR/function_metrics.csv   one row per function per metrics interval
//! DIR/migrations.csv         one row per migration
//! DIR/faults.csv             one row per fault start or end
//! ```
//!
//! No file holds a wall-clock time or an absolute path, so the same seed gives the same bytes.
//! The summary is computed in [`crate::report::summary`]; the files are written by
//! [`write_results`].

use anyhow::{Context, Result};
use shardsim_optimizer::Experiment;
use shardsim_sim::SimDuration;
use shardsim_sim::cluster::policy_by_name;
use shardsim_sim::trace::Trace;

use crate::scenario::Scenario;

/// What to run.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// The checked scenario.
    pub scenario: Scenario,
    /// Master seed.
    pub seed: u64,
    /// Routing policy name.
    pub routing: String,
    /// Simulated duration (sources emit for this long, then in-flight work drains).
    pub duration: SimDuration,
    /// Migration policy name (`static`: none).
    pub migration: String,
    /// The forecaster for `predictive`, and the file it came from.
    pub model: Option<(std::sync::Arc<shardsim_model::ForecastModel>, String)>,
    /// Digest the run's events, with a checkpoint every this many (see `sim::trace`).
    pub trace_every: Option<u64>,
}

impl RunSpec {
    /// A run of `scenario` as the scenario itself declares it: its default seed, routing and
    /// duration, no migration policy (`static`) and no forecaster.
    pub fn new(scenario: Scenario) -> RunSpec {
        RunSpec {
            seed: scenario.default_seed,
            routing: scenario.routing.clone(),
            duration: scenario.duration,
            migration: "static".to_owned(),
            model: None,
            trace_every: None,
            scenario,
        }
    }
}

/// A finished run: the drained simulation and what was measured at the end of its arrival
/// window (the one pipeline every command runs through).
pub use shardsim_optimizer::Finished;

/// Runs the scenario, calling `progress(simulated seconds done)` as it goes.
pub fn simulate(spec: &RunSpec, mut progress: impl FnMut(u64)) -> Result<Finished> {
    let routing = policy_by_name(&spec.routing)?;
    let policy = shardsim_optimizer::policy_by_name(&spec.migration).with_context(|| {
        format!(
            "unknown migration policy `{}`: allowed are {}",
            spec.migration,
            shardsim_optimizer::MIGRATION_POLICIES.join(", ")
        )
    })?;
    let experiment = Experiment {
        model: spec.model.as_ref().map(|(m, _)| m.clone()),
        trace: spec.trace_every.map(Trace::new),
        ..Experiment::new(
            spec.scenario.config(Some(spec.duration)),
            spec.seed,
            routing,
            policy,
        )
    };
    experiment
        .run(|t| progress(t.as_nanos() / 1_000_000_000))
        .with_context(|| format!("building scenario {}", spec.scenario.name))
}

mod files;
mod market_files;

pub use files::{
    FaultRow, FunctionMetricsRow, FunctionSummaryRow, MigrationRow, ShardMetricsRow,
    write_manifest, write_results,
};
