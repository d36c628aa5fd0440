//! `shardsim train`: forecasting rows (simulated, or read from a dataset file) fitted into a
//! model file.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Result, bail};
use shardsim_model::{Baseline, ForecastModel, Row, TrainConfig};
use shardsim_sim::SimDuration;

use super::dataset::rows_of_runs;
use super::wall_clock;
use crate::cli::{TrainArgs, describe_seeds};
use crate::forecast;
use crate::forecast::saved::SavedRuns;
use crate::io::{file_name, write_atomic};
use crate::scenario::{Scenario, load_all};

/// The handler: rows from `--data` or from simulating the scenarios, then [`fit`].
pub fn command(args: &TrainArgs) -> Result<()> {
    let config = TrainConfig {
        trees: args.trees,
        max_depth: args.max_depth,
        max_rows: args.max_rows,
        seed: args.model_seed,
        feature_set: args.features,
        ..TrainConfig::default()
    };
    let data = if let Some(data) = &args.data {
        let (rows, scenarios) = forecast::read_csv(data)?;
        let name = file_name(data).unwrap_or_default();
        TrainingData {
            rows,
            scenarios,
            interval_secs: args.interval.as_secs_f64(),
            horizon: forecast::horizon_intervals(args.horizon, args.interval)?,
            source: format!("dataset {name}"),
        }
    } else {
        if args.scenarios.is_empty() {
            bail!("name at least one scenario to simulate, or give --data FILE.csv");
        }
        let scenarios = load_all(&args.scenarios)?;
        let seeds = args.seeds.clone().map(|s| s.0).unwrap_or_default();
        training_rows(
            &scenarios,
            &seeds,
            (args.duration, args.horizon),
            &SavedRuns::beside(&args.out),
        )?
    };
    fit(&data, config, &args.out).map(|_| ())
}

/// Forecasting rows and where they came from.
pub struct TrainingData {
    /// The rows.
    pub rows: Vec<Row>,
    /// The scenario of each run, so that the overload threshold is validated on every scenario.
    pub scenarios: BTreeMap<u32, String>,
    /// Metrics interval, seconds.
    pub interval_secs: f64,
    /// Horizon, in intervals.
    pub horizon: usize,
    /// Stored in the model file.
    pub source: String,
}

impl TrainingData {
    /// Fits a model on these rows.
    pub fn train(&self, config: TrainConfig) -> Result<ForecastModel> {
        forecast::train(
            &self.rows,
            &self.scenarios,
            self.horizon,
            self.interval_secs,
            config,
            self.source.clone(),
        )
    }
}

/// The forecasting rows of every (scenario, seed), runs finished before loaded from `saved`
/// and the rest simulated and saved there (see [`rows_of_runs`]).
pub fn training_rows(
    scenarios: &[Scenario],
    seeds: &[u64],
    (duration, horizon): (Option<SimDuration>, SimDuration),
    saved: &SavedRuns,
) -> Result<TrainingData> {
    let runs = rows_of_runs(
        scenarios,
        seeds,
        (duration, horizon),
        saved,
        "training data",
    )?;
    let interval = scenarios[0].metrics_interval;
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    let source = format!(
        "scenarios {} seeds {}",
        names.join(","),
        describe_seeds(seeds)
    );
    let run_scenarios = runs
        .iter()
        .enumerate()
        .map(|(i, r)| (i as u32, r.scenario.clone()))
        .collect();
    Ok(TrainingData {
        rows: runs.into_iter().flat_map(|r| r.rows).collect(),
        scenarios: run_scenarios,
        interval_secs: interval.as_secs_f64(),
        horizon: forecast::horizon_intervals(horizon, interval)?,
        source,
    })
}

/// Fits a model on `data`, writes it to `out` and prints its validation figures.
pub fn fit(data: &TrainingData, config: TrainConfig, out: &Path) -> Result<ForecastModel> {
    println!(
        "training on {} rows (for the load: a forest and ridge regressions, each blended with a baseline, the best on validation kept; for the peak: a forest and a ridge regression)…",
        data.rows.len()
    );
    let started = wall_clock();
    let model = data.train(config)?;
    let fit_secs = started.elapsed().as_secs_f64();
    write_atomic(out, &model.to_bytes())?;
    println!("{}", load_choice(&model));
    let (f, r, p) = model.metadata.peak_validation_mae;
    println!(
        "peak over the horizon, validation MAE: random forest {f:.4}, ridge {r:.4}, the load at t {p:.4} → kept {:?}; overload threshold {:.2}",
        model.peak_kind, model.overload_threshold
    );
    println!("fitted in {fit_secs:.1} s wall (the two targets side by side on up to two threads)");
    println!("wrote {}", out.display());
    Ok(model)
}

/// What `train` kept for the load forecast and why, in one line: the kept forecast and its
/// validation MAE against the best baseline's, the regressor's weight, and every candidate.
pub fn load_choice(model: &ForecastModel) -> String {
    let candidates = &model.metadata.candidates;
    let kept = candidates.last().expect("the kept blend is recorded");
    let best_baseline = candidates
        .iter()
        .filter(|c| Baseline::from_name(&c.name).is_some())
        .min_by(|a, b| a.mae.total_cmp(&b.mae))
        .expect("baselines are weighed");
    let weighed: Vec<String> = candidates[..candidates.len() - 1]
        .iter()
        .map(|c| format!("{} {:.4}", c.name, c.mae))
        .collect();
    let blend = &model.blend;
    let what = if blend.is_baseline_alone() {
        format!(
            "{} alone (no regressor improved on it)",
            blend.anchor.name()
        )
    } else {
        format!(
            "{} ({:.0}% of the way from {} to the regressor when calm, {:.0}% when surging)",
            kept.name,
            100.0 * blend.weight[0],
            blend.anchor.name(),
            100.0 * blend.weight[1]
        )
    };
    let gain = 100.0 * (1.0 - kept.mae / best_baseline.mae);
    format!(
        "load at t + horizon: kept {what}: validation MAE {:.4}, {gain:.1}% below the best baseline ({} {:.4}); weighed {}; fitted on {} rows",
        kept.mae,
        best_baseline.name,
        best_baseline.mae,
        weighed.join(", "),
        model.metadata.rows.1
    )
}
