//! `shardsim compare`: every (scenario, seed, policy) run, the comparison written and printed.

use std::path::PathBuf;

use anyhow::{Result, bail};
use shardsim_model::{ForecastModel, TrainConfig};
use shardsim_sim::SimDuration;
use shardsim_sim::cluster::Histogram;

use super::progress;
use super::train::training_rows;
use crate::cli::CompareArgs;
use crate::compare::{self, Job, PlanRow, PolicyLatency, RunResult};
use crate::forecast;
use crate::plot;
use crate::report;
use crate::report::comparison::ScenarioComparison;
use crate::scenario::{Scenario, load_all};

/// What to compare, and where the results go.
#[derive(Clone, Debug)]
pub struct CompareOptions {
    /// Built-in scenario names or files.
    pub scenarios: Vec<String>,
    /// Seeds; every policy runs on every seed.
    pub seeds: Vec<u64>,
    /// Migration policies, in table order.
    pub policies: Vec<String>,
    /// The policy every other is paired against.
    pub reference: String,
    /// The forecaster `predictive` uses.
    pub model: ModelSource,
    /// Routing policy (`None`: each scenario's).
    pub routing: Option<String>,
    /// Simulated time per run (`None`: each scenario's).
    pub duration: Option<SimDuration>,
    /// Score every plan by forking.
    pub score_plans: bool,
    /// Render the charts.
    pub plots: bool,
    /// Output directory.
    pub out: PathBuf,
}

/// Where the forecaster of `predictive` comes from.
#[derive(Clone, Debug)]
pub enum ModelSource {
    /// A model file.
    File(PathBuf),
    /// Trained on these seeds, which must be disjoint from the compared ones (`None`: the four
    /// seeds after the last compared one).
    Train(Option<Vec<u64>>),
}

/// The handler.
pub fn command(args: &CompareArgs) -> Result<Vec<ScenarioComparison>> {
    compare(&CompareOptions {
        scenarios: args.scenarios.clone(),
        seeds: args.seeds.0.clone(),
        policies: args.policies.clone(),
        reference: args.reference.clone(),
        model: match &args.model {
            Some(path) => ModelSource::File(path.clone()),
            None => ModelSource::Train(args.train_seeds.clone().map(|s| s.0)),
        },
        routing: args.routing.clone(),
        duration: args.duration,
        score_plans: !args.no_score,
        plots: !args.no_plots,
        out: args.out.clone(),
    })
}

/// Runs the comparison, writes its files and charts, prints its table; returns it.
pub fn compare(options: &CompareOptions) -> Result<Vec<ScenarioComparison>> {
    compare::check_policies(&options.policies)?;
    if !options.policies.contains(&options.reference) {
        bail!(
            "--reference {} is not among --policies {}",
            options.reference,
            options.policies.join(",")
        );
    }
    let scenarios = load_all(&options.scenarios)?;
    for (i, sc) in scenarios.iter().enumerate() {
        if let Some(first) = scenarios[..i].iter().find(|o| o.name == sc.name) {
            bail!(
                "{} and {} are both named `{}`: their results would merge; give each scenario its own `name`",
                first.origin,
                sc.origin,
                sc.name
            );
        }
    }
    let seeds = &options.seeds;
    if let Some((_, s)) = seeds
        .iter()
        .enumerate()
        .find(|(i, s)| seeds[..*i].contains(s))
    {
        bail!("seed {s} is listed twice: each run is made once, so list it once");
    }
    let model = forecaster(options, &scenarios)?.map(std::sync::Arc::new);
    let jobs: Vec<Job<'_>> = scenarios
        .iter()
        .flat_map(|sc| {
            seeds.iter().flat_map(move |&seed| {
                options.policies.iter().map(move |p| Job {
                    scenario: sc,
                    seed,
                    policy: p.clone(),
                    routing: options
                        .routing
                        .clone()
                        .unwrap_or_else(|| sc.routing.clone()),
                    duration: options.duration.unwrap_or(sc.duration),
                })
            })
        })
        .collect();
    let bar = progress(jobs.len(), "comparing");
    let done = compare::run_all(&jobs, model.as_ref(), options.score_plans, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let Gathered {
        results,
        plans,
        latency,
    } = gather(done);
    let names: Vec<String> = scenarios.iter().map(|s| s.name.clone()).collect();
    let comparison =
        report::comparison::compare(&results, &names, &options.policies, &options.reference);
    let meta = serde_json::json!({
        "scenarios": names,
        "seeds": [seeds.first(), seeds.last()],
        "policies": options.policies,
        "reference": options.reference,
        "duration_secs": options.duration.map(|d| d.as_secs_f64()),
        "forecaster": model.as_ref().map(|m| m.metadata.source.clone()),
        "plans_scored": options.score_plans,
    });
    compare::write(&options.out, meta, &results, &plans, &comparison)?;
    compare::write_latency(&options.out, &latency)?;
    print!("{}", report::comparison::render(&comparison));
    println!("\nresults in {}/", options.out.display());
    if options.plots {
        let charts = plot::plot_dir(&options.out)?;
        println!(
            "charts in {}/charts/ ({} files)",
            options.out.display(),
            charts.len()
        );
    }
    Ok(comparison)
}

/// The forecaster of `predictive` (none when it is not compared), announced on the terminal.
fn forecaster(options: &CompareOptions, scenarios: &[Scenario]) -> Result<Option<ForecastModel>> {
    if !options.policies.iter().any(|p| p == "predictive") {
        return Ok(None);
    }
    let seeds = &options.seeds;
    let m = match &options.model {
        ModelSource::File(path) => {
            let m = forecast::load_model(path)?;
            println!("forecaster: {} ({})", path.display(), m.metadata.source);
            m
        }
        ModelSource::Train(train_seeds) => {
            let last = seeds.last().copied().unwrap_or(0);
            let train_seeds = train_seeds
                .clone()
                .unwrap_or_else(|| (last + 1..=last + 4).collect());
            if let Some(s) = train_seeds.iter().find(|s| seeds.contains(s)) {
                bail!("training seed {s} is also compared: the seeds must be disjoint");
            }
            println!(
                "no --model given: training one on seeds {}..{} (disjoint from the compared seeds)",
                train_seeds.first().copied().unwrap_or(0),
                train_seeds.last().copied().unwrap_or(0)
            );
            let m = train_for_compare(scenarios, &train_seeds, options.duration)?;
            println!("forecaster: {:?}, {}", m.kind, m.metadata.source);
            m
        }
    };
    Ok(Some(m))
}

/// Trains the forecaster `compare` uses when none is given, on seeds disjoint from the
/// compared ones.
fn train_for_compare(
    scenarios: &[Scenario],
    seeds: &[u64],
    duration: Option<SimDuration>,
) -> Result<ForecastModel> {
    training_rows(
        scenarios,
        seeds,
        duration,
        SimDuration::from_mins(15),
        "training data",
    )?
    .train(TrainConfig::default())
}

/// The runs' results and plans in job order, and each (scenario, policy)'s latency over all its
/// runs.
struct Gathered {
    results: Vec<RunResult>,
    plans: Vec<PlanRow>,
    latency: Vec<PolicyLatency>,
}

fn gather(done: Vec<(RunResult, Vec<PlanRow>, Histogram)>) -> Gathered {
    let mut merged: Vec<PolicyLatency> = Vec::new();
    let mut results = Vec::new();
    let mut plans: Vec<PlanRow> = Vec::new();
    for (r, p, latency) in done {
        match merged
            .iter_mut()
            .find(|m| m.scenario == r.scenario && m.policy == r.policy)
        {
            Some(m) => m.latency.merge(&latency),
            None => merged.push(PolicyLatency {
                scenario: r.scenario.clone(),
                policy: r.policy.clone(),
                latency,
            }),
        }
        results.push(r);
        plans.extend(p);
    }
    Gathered {
        results,
        plans,
        latency: merged,
    }
}
