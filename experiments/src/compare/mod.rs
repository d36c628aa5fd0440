//! `shardsim compare`: every (scenario, seed, policy) run in parallel, paired by seed, with
//! what each run produced: its figures ([`RunResult`], a row of `runs.csv`), its plan log
//! ([`PlanRow`], `plans.csv`) and its latency histogram. The comparison itself is built in
//! [`crate::report::comparison`]; [`files`] writes the tables, [`store`] each run as it
//! finishes (what a rerun resumes from).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use shardsim_model::ForecastModel;
use shardsim_optimizer::{
    DriveConfig, Experiment, Finished, MigrationPolicy, PlanRecord, policy_by_name,
};
use shardsim_sim::SimDuration;
use shardsim_sim::cluster::{Cluster, Histogram, MigrationKind};

use crate::report::stats::correlation;
use crate::scenario::Scenario;

pub mod files;
pub mod store;

pub use files::{LATENCY_QUANTILES, PolicyLatency, write, write_latency, write_manifest};
pub use store::{RunKey, RunStore};

/// One (scenario, seed, policy) job.
#[derive(Clone, Debug)]
pub struct Job<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// Master seed.
    pub seed: u64,
    /// Migration policy name.
    pub policy: String,
    /// Routing policy name.
    pub routing: String,
    /// Simulated time.
    pub duration: SimDuration,
}

/// What one run produced.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunResult {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Migration policy.
    pub policy: String,
    /// Routing policy.
    pub routing: String,
    /// Invocations generated.
    pub invocations: u64,
    /// Function-minutes in which more than 1% of a function's ended invocations missed.
    pub slo_violation_minutes: f64,
    /// Excess-load minutes (offered load above 0.7, summed over shards × minutes).
    pub excess_load_minutes: f64,
    /// Invocations that timed out.
    pub timed_out: u64,
    /// Invocations dropped or failed.
    pub drops: u64,
    /// 99th-percentile latency of completed invocations, ms.
    pub p99_latency_ms: f64,
    /// Migrations started: state transfers (moves and expansions); shrinks are counted apart.
    pub migrations: u64,
    /// Expansions among them.
    pub expansions: u64,
    /// Shrinks among them.
    pub shrinks: u64,
    /// Slot-seconds reserved by transfers.
    pub migration_cost_slot_secs: f64,
    /// Max over mean shard load.
    pub max_mean_load_ratio: f64,
    /// Non-empty plans made.
    pub plans: u64,
    /// Plans scored by forking.
    pub scored_plans: u64,
    /// Σ predicted benefit of scored plans (excess-load minutes).
    pub predicted_benefit: f64,
    /// Σ realised benefit of scored plans (excess-load minutes).
    pub realised_benefit: f64,
    /// Σ realised SLO-violation minutes avoided by scored plans.
    pub realised_slo_minutes: f64,
    /// Mean |predicted − realised| over scored plans.
    pub calibration_mae: f64,
    /// Pearson correlation of predicted and realised over scored plans (0 with < 3 plans or no
    /// variance).
    pub calibration_correlation: f64,
    /// When the first action started, simulated seconds (none: never).
    pub first_action_secs: Option<f64>,
}

/// One scored plan, for the plan log.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PlanRow {
    /// Scenario.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Policy.
    pub policy: String,
    /// Planned at, simulated seconds.
    pub made_at_s: f64,
    /// Runs at.
    pub execute_at_s: f64,
    /// Actions, as `kind:function:from>to:trigger`.
    pub actions: String,
    /// Predicted benefit (excess-load minutes).
    pub predicted: f64,
    /// Realised benefit (excess-load minutes), if scored.
    pub realised: Option<f64>,
    /// Realised SLO-violation minutes avoided, if scored.
    pub realised_slo_minutes: Option<f64>,
    /// Realised p99 latency reduction, ms, if scored.
    pub realised_p99_ms: Option<f64>,
}

/// What one run produced: its row, its plan log, and the latency of its completed invocations.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// The run's figures.
    pub result: RunResult,
    /// Its plans.
    pub plans: Vec<PlanRow>,
    /// Every completed invocation's latency.
    pub latency: Histogram,
}

/// Runs one job to the end of its arrival window, then drains and checks the books.
pub fn run_job(
    job: &Job<'_>,
    model: Option<&Arc<ForecastModel>>,
    score_plans: bool,
) -> Result<RunOutput> {
    let routing = shardsim_sim::cluster::policy_by_name(&job.routing)?;
    let policy: Box<dyn MigrationPolicy> = policy_by_name(&job.policy)
        .with_context(|| format!("unknown migration policy `{}`", job.policy))?;
    let experiment = Experiment {
        model: model.cloned(),
        drive: DriveConfig {
            score_plans,
            ..DriveConfig::default()
        },
        ..Experiment::new(
            job.scenario.config(Some(job.duration)),
            job.seed,
            routing,
            policy,
        )
    };
    let done = experiment
        .run(|_| {})
        .with_context(|| format!("building scenario {}", job.scenario.name))?;
    let c = done.sim.model();
    let mut latency = Histogram::default();
    for f in c.function_metrics() {
        latency.merge(&f.latency);
    }
    Ok(RunOutput {
        result: run_result(job, &done, &latency),
        plans: plan_rows(job, c, &done.records),
        latency,
    })
}

/// The figures of one finished job; `latency` is every completed invocation's, as in `run`.
fn run_result(job: &Job<'_>, done: &Finished, latency: &Histogram) -> RunResult {
    let (books, outcome) = (&done.books, &done.outcome);
    let (migrations, records) = (&done.migrations, &done.records);
    let count = |k: MigrationKind| migrations.iter().filter(|m| m.kind == k).count() as u64;
    let scored: Vec<(f64, f64)> = records
        .iter()
        .filter_map(|r| r.score.map(|s| (s.predicted, s.realised())))
        .collect();
    RunResult {
        scenario: job.scenario.name.clone(),
        seed: job.seed,
        policy: job.policy.clone(),
        routing: job.routing.clone(),
        invocations: books.generated,
        slo_violation_minutes: outcome.slo_violation_minutes,
        excess_load_minutes: outcome.excess_load_minutes,
        timed_out: books.timed_out,
        drops: books.dropped_total() + books.failed_total(),
        p99_latency_ms: latency.quantile(0.99).map_or(0.0, |d| d.as_millis_f64()),
        migrations: migrations
            .iter()
            .filter(|m| m.kind != MigrationKind::Shrink)
            .count() as u64,
        expansions: count(MigrationKind::Expand),
        shrinks: count(MigrationKind::Shrink),
        migration_cost_slot_secs: migrations.iter().map(|m| m.cost_slot_secs).sum(),
        max_mean_load_ratio: done.max_mean_load_ratio,
        plans: records.len() as u64,
        scored_plans: scored.len() as u64,
        predicted_benefit: scored.iter().map(|p| p.0).sum(),
        realised_benefit: scored.iter().map(|p| p.1).sum(),
        realised_slo_minutes: records
            .iter()
            .filter_map(|r| r.score.map(|s| s.realised_slo_minutes()))
            .sum(),
        calibration_mae: if scored.is_empty() {
            0.0
        } else {
            scored.iter().map(|p| (p.0 - p.1).abs()).sum::<f64>() / scored.len() as f64
        },
        calibration_correlation: correlation(&scored),
        first_action_secs: migrations
            .iter()
            .map(|m| m.start.as_secs_f64())
            .reduce(f64::min),
    }
}

/// The plan log of one finished job, actions written `kind:function:from>to:trigger`.
fn plan_rows(job: &Job<'_>, c: &Cluster, records: &[PlanRecord]) -> Vec<PlanRow> {
    let names = |r: &PlanRecord| {
        r.plan
            .actions
            .iter()
            .map(|a| {
                let f = &c.function(a.action.function()).spec.name;
                let shard =
                    |s: shardsim_sim::cluster::ShardId| &c.topology().shards[s.index()].name;
                let what = match a.action {
                    shardsim_optimizer::Action::Move { from, to, .. } => {
                        format!("move:{f}:{}>{}", shard(from), shard(to))
                    }
                    shardsim_optimizer::Action::Expand { to, .. } => {
                        format!("expand:{f}:>{}", shard(to))
                    }
                    shardsim_optimizer::Action::Shrink { shard: s, .. } => {
                        format!("shrink:{f}:{}>", shard(s))
                    }
                };
                format!("{what}:{}", a.trigger.name())
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    records
        .iter()
        .map(|r| PlanRow {
            scenario: job.scenario.name.clone(),
            seed: job.seed,
            policy: job.policy.clone(),
            made_at_s: r.plan.made_at.as_secs_f64(),
            execute_at_s: r.plan.execute_at.as_secs_f64(),
            actions: names(r),
            predicted: r.plan.predicted_benefit(),
            realised: r.score.map(|s| s.realised()),
            realised_slo_minutes: r.score.map(|s| s.realised_slo_minutes()),
            realised_p99_ms: r.score.map(|s| s.realised_p99_ms()),
        })
        .collect()
}

/// Told when each simulated run starts and ends (by its index in the job list), for progress
/// reports.
pub trait Progress: Sync {
    /// Job `index` starts.
    fn started(&self, index: usize);
    /// Job `index` finished and its results are saved.
    fn finished(&self, index: usize);
}

/// Runs `job(i)` for every slot of `done` that is `None`, in parallel, reporting to `progress`;
/// `job` saves what it made before returning it. Once `stop` is set no job starts, and the
/// slots not started stay `None`. The results stay in job order, whatever the thread count.
/// One loop for every command that runs many saved runs (compare, dataset, train, evaluate).
pub fn run_missing<T: Send>(
    mut done: Vec<Option<T>>,
    stop: &AtomicBool,
    progress: &dyn Progress,
    job: impl Fn(usize) -> Result<T> + Sync,
) -> Result<Vec<Option<T>>> {
    done.par_iter_mut()
        .enumerate()
        .filter(|(_, d)| d.is_none())
        .try_for_each(|(i, slot)| -> Result<()> {
            if stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            progress.started(i);
            *slot = Some(job(i)?);
            progress.finished(i);
            Ok(())
        })?;
    Ok(done)
}

/// How a sweep runs: the jobs' shared settings, where finished runs are saved, and the flag
/// that stops it starting new runs.
pub struct Sweep<'a> {
    /// The forecaster, if a policy uses one.
    pub model: Option<&'a Arc<ForecastModel>>,
    /// Score every plan by forking.
    pub score_plans: bool,
    /// Where each run is saved as it finishes.
    pub store: &'a RunStore,
    /// Set (by ctrl-c): runs not yet started are not started.
    pub stop: &'a AtomicBool,
}

/// Runs in parallel every job that `done` has no output for, saving each as it finishes; the
/// outputs come back in job order whatever the thread count. A job left `None` was not started
/// because the sweep was stopped.
pub fn run_all(
    jobs: &[(Job<'_>, RunKey)],
    done: Vec<Option<RunOutput>>,
    sweep: &Sweep<'_>,
    progress: &dyn Progress,
) -> Result<Vec<Option<RunOutput>>> {
    run_missing(done, sweep.stop, progress, |i| {
        let (job, key) = &jobs[i];
        let out = run_job(job, sweep.model, sweep.score_plans)?;
        sweep.store.save(key, &out)?;
        Ok(out)
    })
}

/// Checks policy names against the known ones.
pub fn check_policies(names: &[String]) -> Result<()> {
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            bail!("--policies names `{n}` twice: each policy is run once, so list it once");
        }
        if policy_by_name(n).is_none() {
            bail!(
                "unknown migration policy `{n}`: allowed are {}",
                shardsim_optimizer::MIGRATION_POLICIES.join(", ")
            );
        }
    }
    Ok(())
}
