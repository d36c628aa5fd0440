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
use shardsim_sim::cluster::{Cluster, policy_by_name};
use shardsim_sim::{SimDuration, SimTime, Simulation};

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
            scenario,
        }
    }
}

/// A finished run: the simulation (drained) and how many metric intervals the arrival window
/// covered.
pub struct Finished {
    /// The simulation after the drain.
    pub sim: Simulation<Cluster>,
    /// Closed metric intervals inside the arrival window.
    pub intervals: usize,
    /// Max/mean shard load ratio over those intervals.
    pub max_mean_load_ratio: f64,
}

/// Runs the scenario, calling `progress(simulated seconds done)` as it goes.
pub fn simulate(spec: &RunSpec, mut progress: impl FnMut(u64)) -> Result<Finished> {
    let policy = policy_by_name(&spec.routing)?;
    let config = spec.scenario.config(Some(spec.duration));
    let mut sim = Cluster::simulation(config, spec.seed, policy)
        .with_context(|| format!("building scenario {}", spec.scenario.name))?;
    let end = SimTime::ZERO + spec.duration;
    let step = SimDuration::from_mins(1);
    let migration = shardsim_optimizer::policy_by_name(&spec.migration).with_context(|| {
        format!(
            "unknown migration policy `{}`: allowed are {}",
            spec.migration,
            shardsim_optimizer::MIGRATION_POLICIES.join(", ")
        )
    })?;
    let forecaster = match (spec.migration.as_str(), &spec.model) {
        ("oracle", _) => shardsim_optimizer::Forecaster::Oracle,
        (_, Some((m, _))) => shardsim_optimizer::Forecaster::Model(m),
        (_, None) => shardsim_optimizer::Forecaster::Persistence,
    };
    let mut driver = shardsim_optimizer::Driver::new(
        &sim,
        migration.as_ref(),
        forecaster,
        shardsim_optimizer::DriveConfig {
            score_plans: false,
            ..Default::default()
        },
    );
    while sim.now() < end {
        let next = (sim.now() + step).min(end);
        driver.run_until(&mut sim, next);
        progress(sim.now().as_nanos() / 1_000_000_000);
    }
    drop(driver);
    sim.model_mut().close_metrics(end);
    let max_mean_load_ratio = sim.model().max_mean_load_ratio();
    let intervals = (spec.duration.as_nanos() / spec.scenario.metrics_interval.as_nanos()) as usize;
    // Drain: sources have stopped; let everything in flight end, then check the books.
    sim.run_to_completion();
    sim.model().assert_conservation();
    Ok(Finished {
        sim,
        intervals,
        max_mean_load_ratio,
    })
}

mod files;

pub use files::{
    FaultRow, FunctionMetricsRow, FunctionSummaryRow, MigrationRow, ShardMetricsRow, write_results,
};
