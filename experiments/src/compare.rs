//! `shardsim compare`: every (scenario, seed, policy) run in parallel, paired by seed, and the
//! comparison table with bootstrap intervals.

use std::path::Path;

use anyhow::{Context, Result, bail};
use rand::RngExt;
use rayon::prelude::*;
use serde::Serialize;
use shardsim_model::ForecastModel;
use shardsim_optimizer::{
    DriveConfig, Driver, Forecaster, MigrationPolicy, Outcome, PlanRecord, policy_by_name,
};
use shardsim_sim::cluster::{Cluster, Histogram, MigrationKind};
use shardsim_sim::rng::RngStreams;
use shardsim_sim::{SimDuration, SimTime};

use crate::io::write_atomic;
use crate::scenario::Scenario;

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
#[derive(Clone, Debug, Serialize, PartialEq)]
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
#[derive(Clone, Debug, Serialize, PartialEq)]
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

/// Runs one job to the end of its arrival window, then drains and checks the books.
pub fn run_job(
    job: &Job<'_>,
    model: Option<&ForecastModel>,
    score_plans: bool,
) -> Result<(RunResult, Vec<PlanRow>, Histogram)> {
    let routing = shardsim_sim::cluster::policy_by_name(&job.routing)?;
    let policy: Box<dyn MigrationPolicy> = policy_by_name(&job.policy)
        .with_context(|| format!("unknown migration policy `{}`", job.policy))?;
    let config = job.scenario.config(Some(job.duration));
    let mut sim = Cluster::simulation(config, job.seed, routing)
        .with_context(|| format!("building scenario {}", job.scenario.name))?;
    let forecaster = match (job.policy.as_str(), model) {
        ("oracle", _) => Forecaster::Oracle,
        (_, Some(m)) => Forecaster::Model(m),
        (_, None) => Forecaster::Persistence,
    };
    let mut driver = Driver::new(
        &sim,
        policy.as_ref(),
        forecaster,
        DriveConfig {
            score_plans,
            ..DriveConfig::default()
        },
    );
    let end = SimTime::ZERO + job.duration;
    driver.run_until(&mut sim, end);
    sim.model_mut().close_metrics(end);
    let c = sim.model();
    let outcome = Outcome::measure(c, SimTime::ZERO..end, DriveConfig::default().overload);
    let max_mean_load_ratio = c.max_mean_load_ratio();
    let migrations = c.migrations();
    let records = driver.records().to_vec();
    drop(driver);
    sim.run_to_completion();
    let c = sim.model();
    let books = c.assert_conservation();
    let count = |k: MigrationKind| migrations.iter().filter(|m| m.kind == k).count() as u64;
    let scored: Vec<(f64, f64)> = records
        .iter()
        .filter_map(|r| r.score.map(|s| (s.predicted, s.realised())))
        .collect();
    let result = RunResult {
        scenario: job.scenario.name.clone(),
        seed: job.seed,
        policy: job.policy.clone(),
        routing: job.routing.clone(),
        invocations: books.generated,
        slo_violation_minutes: outcome.slo_violation_minutes,
        excess_load_minutes: outcome.excess_load_minutes,
        timed_out: books.timed_out,
        drops: books.dropped_total() + books.failed_total(),
        p99_latency_ms: outcome.p99_latency_ms,
        migrations: migrations
            .iter()
            .filter(|m| m.kind != MigrationKind::Shrink)
            .count() as u64,
        expansions: count(MigrationKind::Expand),
        shrinks: count(MigrationKind::Shrink),
        migration_cost_slot_secs: migrations.iter().map(|m| m.cost_slot_secs).sum(),
        max_mean_load_ratio,
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
    };
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
    let plans = records
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
        .collect();
    let mut latency = Histogram::default();
    for f in c.function_metrics() {
        latency.merge(&f.latency);
    }
    Ok((result, plans, latency))
}

fn correlation(pairs: &[(f64, f64)]) -> f64 {
    if pairs.len() < 3 {
        return 0.0;
    }
    let n = pairs.len() as f64;
    let (mx, my) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for &(x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

/// Runs every job in parallel; results come back in job order whatever the thread count.
pub fn run_all(
    jobs: &[Job<'_>],
    model: Option<&ForecastModel>,
    score_plans: bool,
    on_done: &(dyn Fn() + Sync),
) -> Result<Vec<(RunResult, Vec<PlanRow>, Histogram)>> {
    jobs.par_iter()
        .map(|job| {
            let r = run_job(job, model, score_plans);
            on_done();
            r
        })
        .collect()
}

/// A mean with a bootstrap 95% interval.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Estimate {
    /// Mean over seeds.
    pub mean: f64,
    /// 2.5th percentile of the bootstrap means.
    pub ci_low: f64,
    /// 97.5th percentile of the bootstrap means.
    pub ci_high: f64,
}

/// Bootstrap resamples per interval.
pub const BOOTSTRAP_RESAMPLES: usize = 2000;

/// Mean of `values` with a percentile-bootstrap 95% interval from a named, seeded stream (so
/// the interval is reproducible).
pub fn bootstrap(values: &[f64], stream: &str) -> Estimate {
    let n = values.len();
    let mean = if n == 0 {
        0.0
    } else {
        values.iter().sum::<f64>() / n as f64
    };
    if n < 2 {
        return Estimate {
            mean,
            ci_low: mean,
            ci_high: mean,
        };
    }
    let mut rng = RngStreams::new(0x0b00_7577).stream(stream);
    let mut means: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| (0..n).map(|_| values[rng.random_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    let at = |q: f64| means[((q * (BOOTSTRAP_RESAMPLES - 1) as f64).round()) as usize];
    Estimate {
        mean,
        ci_low: at(0.025),
        ci_high: at(0.975),
    }
}

/// One policy's row in a scenario's comparison.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PolicyRow {
    /// Policy.
    pub policy: String,
    /// Runs (seeds).
    pub runs: usize,
    /// Mean SLO-violation minutes.
    pub slo_violation_minutes: f64,
    /// Mean p99 latency, ms.
    pub p99_latency_ms: f64,
    /// Mean migrations.
    pub migrations: f64,
    /// Mean drops.
    pub drops: f64,
    /// Mean timed-out invocations.
    pub timed_out: f64,
    /// Mean max/mean shard load.
    pub max_mean_load_ratio: f64,
    /// SLO-violation minutes with interval.
    pub slo: Estimate,
    /// Paired difference from the reference policy (this − reference) per seed, with
    /// intervals: SLO-violation minutes, p99 ms, migrations.
    pub vs_reference: Option<PairedDiffs>,
    /// Σ predicted and realised benefit of scored plans, mean per run.
    pub predicted_benefit: f64,
    /// See `predicted_benefit`.
    pub realised_benefit: f64,
    /// Mean calibration correlation over runs with scored plans.
    pub calibration_correlation: f64,
}

/// Paired differences against the reference policy.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PairedDiffs {
    /// The reference policy.
    pub reference: String,
    /// SLO-violation minutes, this − reference.
    pub slo_violation_minutes: Estimate,
    /// Relative change of mean SLO-violation minutes (this / reference − 1).
    pub slo_relative: Option<f64>,
    /// p99 latency, ms.
    pub p99_latency_ms: Estimate,
    /// Migrations.
    pub migrations: Estimate,
}

/// One scenario's comparison.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ScenarioComparison {
    /// Scenario.
    pub scenario: String,
    /// One row per policy, in the order asked for.
    pub policies: Vec<PolicyRow>,
    /// Share of the reactive → oracle gap in SLO-violation minutes that predictive closes:
    /// (reactive − predictive) / (reactive − oracle); absent when a policy is missing or the
    /// oracle is not better than reactive.
    pub oracle_gap_closed: Option<f64>,
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Builds the comparison from results (any order), with `reference` the policy paired against.
pub fn compare(
    results: &[RunResult],
    scenarios: &[String],
    policies: &[String],
    reference: &str,
) -> Vec<ScenarioComparison> {
    scenarios
        .iter()
        .map(|scenario| {
            let of = |policy: &str| -> Vec<&RunResult> {
                let mut v: Vec<&RunResult> = results
                    .iter()
                    .filter(|r| &r.scenario == scenario && r.policy == policy)
                    .collect();
                v.sort_by_key(|r| r.seed);
                v
            };
            let reference_runs = of(reference);
            let rows: Vec<PolicyRow> = policies
                .iter()
                .map(|policy| {
                    let runs = of(policy);
                    let field = |f: &dyn Fn(&RunResult) -> f64| -> Vec<f64> {
                        runs.iter().map(|r| f(r)).collect()
                    };
                    let slo = field(&|r| r.slo_violation_minutes);
                    let stream = format!("{scenario}/{policy}");
                    let paired = |f: &dyn Fn(&RunResult) -> f64, what: &str| -> Estimate {
                        let diffs: Vec<f64> = runs
                            .iter()
                            .filter_map(|r| {
                                reference_runs
                                    .iter()
                                    .find(|b| b.seed == r.seed)
                                    .map(|b| f(r) - f(b))
                            })
                            .collect();
                        bootstrap(&diffs, &format!("{stream}/{what}"))
                    };
                    let with_scores: Vec<&&RunResult> =
                        runs.iter().filter(|r| r.scored_plans >= 3).collect();
                    let reference_slo = mean(
                        &reference_runs
                            .iter()
                            .map(|r| r.slo_violation_minutes)
                            .collect::<Vec<_>>(),
                    );
                    PolicyRow {
                        policy: policy.clone(),
                        runs: runs.len(),
                        slo_violation_minutes: mean(&slo),
                        p99_latency_ms: mean(&field(&|r| r.p99_latency_ms)),
                        migrations: mean(&field(&|r| r.migrations as f64)),
                        drops: mean(&field(&|r| r.drops as f64)),
                        timed_out: mean(&field(&|r| r.timed_out as f64)),
                        max_mean_load_ratio: mean(&field(&|r| r.max_mean_load_ratio)),
                        slo: bootstrap(&slo, &format!("{stream}/slo")),
                        vs_reference: (policy != reference && !reference_runs.is_empty()).then(
                            || PairedDiffs {
                                reference: reference.to_owned(),
                                slo_violation_minutes: paired(&|r| r.slo_violation_minutes, "slo"),
                                slo_relative: (reference_slo > 0.0)
                                    .then(|| mean(&slo) / reference_slo - 1.0),
                                p99_latency_ms: paired(&|r| r.p99_latency_ms, "p99"),
                                migrations: paired(&|r| r.migrations as f64, "migrations"),
                            },
                        ),
                        predicted_benefit: mean(&field(&|r| r.predicted_benefit)),
                        realised_benefit: mean(&field(&|r| r.realised_benefit)),
                        calibration_correlation: mean(
                            &with_scores
                                .iter()
                                .map(|r| r.calibration_correlation)
                                .collect::<Vec<_>>(),
                        ),
                    }
                })
                .collect();
            let slo_of = |p: &str| {
                rows.iter()
                    .find(|r| r.policy == p)
                    .map(|r| r.slo_violation_minutes)
            };
            let oracle_gap_closed =
                match (slo_of("reactive"), slo_of("predictive"), slo_of("oracle")) {
                    (Some(r), Some(p), Some(o)) if r - o > 1e-9 => Some((r - p) / (r - o)),
                    _ => None,
                };
            ScenarioComparison {
                scenario: scenario.clone(),
                policies: rows,
                oracle_gap_closed,
            }
        })
        .collect()
}

/// Renders the comparison as a terminal table.
pub fn render(comparison: &[ScenarioComparison]) -> String {
    let mut out = String::new();
    for sc in comparison {
        out.push_str(&format!("\n{}\n", sc.scenario));
        out.push_str(&format!(
            "  {:<12} {:>5} {:>22} {:>18} {:>9} {:>10} {:>8} {:>9}\n",
            "policy",
            "runs",
            "SLO-violation min",
            "vs reference",
            "p99 ms",
            "migrations",
            "drops",
            "max/mean"
        ));
        for r in &sc.policies {
            let vs = r.vs_reference.as_ref().map_or_else(String::new, |d| {
                format!(
                    "{:+.0}% [{:+.1},{:+.1}]",
                    d.slo_relative.unwrap_or(0.0) * 100.0,
                    d.slo_violation_minutes.ci_low,
                    d.slo_violation_minutes.ci_high
                )
            });
            out.push_str(&format!(
                "  {:<12} {:>5} {:>8.1} [{:>5.1},{:>5.1}] {:>18} {:>9.1} {:>10.1} {:>8.1} {:>9.2}\n",
                r.policy,
                r.runs,
                r.slo_violation_minutes,
                r.slo.ci_low,
                r.slo.ci_high,
                vs,
                r.p99_latency_ms,
                r.migrations,
                r.drops,
                r.max_mean_load_ratio
            ));
        }
        if let Some(g) = sc.oracle_gap_closed {
            out.push_str(&format!(
                "  predictive closes {:.0}% of the reactive → oracle gap\n",
                g * 100.0
            ));
        }
    }
    out
}

/// Writes `runs.csv`, `plans.csv`, `comparison.json` and `comparison.csv` into `dir`.
pub fn write(
    dir: &Path,
    meta: serde_json::Value,
    results: &[RunResult],
    plans: &[PlanRow],
    comparison: &[ScenarioComparison],
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in results {
        w.serialize(r)?;
    }
    write_atomic(
        &dir.join("runs.csv"),
        &w.into_inner().context("flushing CSV")?,
    )?;
    let mut w = csv::Writer::from_writer(Vec::new());
    for p in plans {
        w.serialize(p)?;
    }
    write_atomic(
        &dir.join("plans.csv"),
        &w.into_inner().context("flushing CSV")?,
    )?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "scenario",
        "policy",
        "runs",
        "slo_violation_minutes",
        "slo_ci_low",
        "slo_ci_high",
        "slo_vs_reference",
        "slo_vs_reference_ci_low",
        "slo_vs_reference_ci_high",
        "p99_latency_ms",
        "migrations",
        "drops",
        "max_mean_load_ratio",
        "oracle_gap_closed",
    ])?;
    for sc in comparison {
        for r in &sc.policies {
            let d = r.vs_reference.as_ref();
            let opt = |x: Option<f64>| x.map_or_else(String::new, |v| format!("{v:.6}"));
            w.write_record([
                sc.scenario.clone(),
                r.policy.clone(),
                r.runs.to_string(),
                format!("{:.6}", r.slo_violation_minutes),
                format!("{:.6}", r.slo.ci_low),
                format!("{:.6}", r.slo.ci_high),
                opt(d.map(|d| d.slo_violation_minutes.mean)),
                opt(d.map(|d| d.slo_violation_minutes.ci_low)),
                opt(d.map(|d| d.slo_violation_minutes.ci_high)),
                format!("{:.6}", r.p99_latency_ms),
                format!("{:.6}", r.migrations),
                format!("{:.6}", r.drops),
                format!("{:.6}", r.max_mean_load_ratio),
                opt(sc.oracle_gap_closed),
            ])?;
        }
    }
    write_atomic(
        &dir.join("comparison.csv"),
        &w.into_inner().context("flushing CSV")?,
    )?;
    let body = serde_json::json!({
        "meta": meta,
        "scenarios": comparison,
    });
    write_atomic(
        &dir.join("comparison.json"),
        &serde_json::to_vec_pretty(&body)?,
    )?;
    Ok(())
}

/// Quantiles written to `latency.csv`.
pub const LATENCY_QUANTILES: [f64; 30] = [
    0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75,
    0.8, 0.85, 0.9, 0.925, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9999,
];

/// One (scenario, policy)'s completion latency over all its runs.
#[derive(Clone, Debug)]
pub struct PolicyLatency {
    /// Scenario.
    pub scenario: String,
    /// Policy.
    pub policy: String,
    /// The runs' latency histograms, merged.
    pub latency: Histogram,
}

/// Writes `latency.csv`: per scenario and policy (all runs merged), completion latency at each
/// of [`LATENCY_QUANTILES`].
pub fn write_latency(dir: &Path, merged: &[PolicyLatency]) -> Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["scenario", "policy", "quantile", "latency_ms"])?;
    for PolicyLatency {
        scenario,
        policy,
        latency: h,
    } in merged
    {
        for q in LATENCY_QUANTILES {
            if let Some(d) = h.quantile(q) {
                w.write_record([
                    scenario.clone(),
                    policy.clone(),
                    format!("{q}"),
                    format!("{:.6}", d.as_millis_f64()),
                ])?;
            }
        }
    }
    write_atomic(
        &dir.join("latency.csv"),
        &w.into_inner().context("flushing CSV")?,
    )
}

/// Checks policy names against the known ones.
pub fn check_policies(names: &[String]) -> Result<()> {
    for n in names {
        if policy_by_name(n).is_none() {
            bail!(
                "unknown migration policy `{n}`: allowed are {}",
                shardsim_optimizer::MIGRATION_POLICIES.join(", ")
            );
        }
    }
    Ok(())
}
