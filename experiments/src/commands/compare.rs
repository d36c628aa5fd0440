//! `shardsim compare`: every (scenario, seed, policy) run, the comparison written and printed.

use std::path::PathBuf;

use anyhow::{Result, bail};
use shardsim_model::{ForecastModel, TrainConfig};
use shardsim_sim::SimDuration;

use super::interrupt;
use super::sweep::{self, SweepProgress};
use super::train::training_rows;
use crate::cli::{CompareArgs, describe_seeds};
use crate::compare::{
    self, Job, PlanRow, PolicyLatency, RunKey, RunOutput, RunResult, RunStore, Sweep,
};
use crate::forecast;
use crate::forecast::saved::SavedRuns;
use crate::io::manifest;
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
///
/// Each run is saved under `OUT/runs/` as it finishes; a rerun loads the runs whose inputs are
/// unchanged instead of simulating them, so an interrupted comparison resumes. The tables are
/// built from the runs in job order, whichever were loaded, so a resumed comparison writes the
/// same bytes as one never interrupted.
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
    sweep::check_distinct_names(&scenarios)?;
    let seeds = &options.seeds;
    if let Some((_, s)) = seeds
        .iter()
        .enumerate()
        .find(|(i, s)| seeds[..*i].contains(s))
    {
        bail!("seed {s} is listed twice: each run is made once, so list it once");
    }
    manifest::begin(&options.out)?;
    let store = RunStore::new(&options.out);
    let model = forecaster(options, &scenarios, &store)?.map(std::sync::Arc::new);
    let model_bytes = model.as_ref().map(|m| m.to_bytes());
    let jobs: Vec<(Job<'_>, RunKey)> = scenarios
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
        .map(|job| {
            let key = RunKey::of(&job, options.score_plans, model_bytes.as_deref());
            (job, key)
        })
        .collect();
    let loaded: Vec<Option<RunOutput>> = jobs.iter().map(|(_, key)| store.load(key)).collect();
    let hours: Vec<f64> = jobs
        .iter()
        .zip(&loaded)
        .filter(|(_, l)| l.is_none())
        .map(|((j, _), _)| j.duration.as_secs_f64() / 3600.0)
        .collect();
    sweep::say_what_is_left(jobs.len(), &hours, store.root());
    let labels = jobs
        .iter()
        .map(|(j, _)| format!("{} seed {} {}", j.scenario.name, j.seed, j.policy))
        .collect();
    let skipped = loaded.iter().filter(|l| l.is_some()).count();
    let bar = SweepProgress::new(labels, skipped, "comparing");
    let sweep = Sweep {
        model: model.as_ref(),
        score_plans: options.score_plans,
        store: &store,
        stop: interrupt::stop_flag(),
    };
    let done = compare::run_all(&jobs, loaded, &sweep, &bar);
    bar.finish();
    let done = done?;
    sweep::check_all_ran(&done, store.root())?;
    let Gathered {
        results,
        plans,
        latency,
    } = gather(done.into_iter().flatten());
    let names: Vec<String> = scenarios.iter().map(|s| s.name.clone()).collect();
    let comparison =
        report::comparison::compare(&results, &names, &options.policies, &options.reference);
    let meta = serde_json::json!({
        "scenarios": names,
        "seeds": seeds,
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
    compare::write_manifest(&options.out)?;
    Ok(comparison)
}

/// The forecaster of `predictive` (none when it is not compared), announced on the terminal.
fn forecaster(
    options: &CompareOptions,
    scenarios: &[Scenario],
    store: &RunStore,
) -> Result<Option<ForecastModel>> {
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
            // After the largest compared seed, so that the default never overlaps a list.
            let last = seeds.iter().copied().max().unwrap_or(0);
            let train_seeds = train_seeds
                .clone()
                .unwrap_or_else(|| (last + 1..=last + 4).collect());
            if let Some(s) = train_seeds.iter().find(|s| seeds.contains(s)) {
                bail!("training seed {s} is also compared: the seeds must be disjoint");
            }
            let named = describe_seeds(&train_seeds);
            let key = serde_json::json!({
                "shardsim_version": env!("CARGO_PKG_VERSION"),
                "scenarios": scenarios
                    .iter()
                    .map(|s| (s.name.clone(), format!("{:016x}", s.hash)))
                    .collect::<Vec<_>>(),
                "train_seeds": train_seeds,
                "duration_ns": options.duration.map(|d| d.as_nanos()),
                "horizon_ns": TRAINING_HORIZON.as_nanos(),
                "config": format!("{:?}", TrainConfig::default()),
            });
            let saved = store
                .load_forecaster(&key)
                .and_then(|b| ForecastModel::from_bytes(&b).ok());
            let m = if let Some(m) = saved {
                println!(
                    "no --model given: using the one trained before on seeds {named}, \
                     saved in {}/",
                    store.forecaster_dir().display()
                );
                m
            } else {
                println!(
                    "no --model given: training one on seeds {named} (disjoint from the \
                     compared seeds)"
                );
                let training = SavedRuns::in_dir(store.forecaster_dir().join("training-runs"));
                let m = train_for_compare(scenarios, &train_seeds, options.duration, &training)?;
                store.save_forecaster(&key, &m.to_bytes())?;
                m
            };
            println!("forecaster: {:?}, {}", m.kind, m.metadata.source);
            m
        }
    };
    Ok(Some(m))
}

/// The horizon of the forecaster `compare` trains.
const TRAINING_HORIZON: SimDuration = SimDuration::from_mins(15);

/// Trains the forecaster `compare` uses when none is given, on seeds disjoint from the
/// compared ones.
fn train_for_compare(
    scenarios: &[Scenario],
    seeds: &[u64],
    duration: Option<SimDuration>,
    saved: &SavedRuns,
) -> Result<ForecastModel> {
    training_rows(scenarios, seeds, (duration, TRAINING_HORIZON), saved)?
        .train(TrainConfig::default())
}

/// The runs' results and plans in job order, and each (scenario, policy)'s latency over all its
/// runs.
struct Gathered {
    results: Vec<RunResult>,
    plans: Vec<PlanRow>,
    latency: Vec<PolicyLatency>,
}

fn gather(done: impl IntoIterator<Item = RunOutput>) -> Gathered {
    let mut merged: Vec<PolicyLatency> = Vec::new();
    let mut results = Vec::new();
    let mut plans: Vec<PlanRow> = Vec::new();
    for RunOutput {
        result: r,
        plans: p,
        latency,
    } in done
    {
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
