//! `shardsim evaluate`: a model and the baselines scored on held-out runs (or a univariate model
//! on a series of the user's), with `forecast.csv` and its chart.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use shardsim_model::{ForecastModel, Row, Scores, TrainConfig};
use shardsim_sim::SimDuration;

use super::dataset::rows_of_runs;
use crate::cli::EvaluateArgs;
use crate::forecast;
use crate::forecast::saved::SavedRuns;
use crate::io::manifest;
use crate::io::{file_name, write_json};
use crate::plot;
use crate::scenario::{Scenario, load_all};

/// The handler: the series given with `--series`, else the held-out scenarios and seeds.
pub fn command(args: &EvaluateArgs) -> Result<()> {
    let model = forecast::load_model(&args.model)?;
    let evaluation = if let Some(series) = &args.series {
        let column = args
            .column
            .as_deref()
            .context("--series needs --column NAME")?;
        let interval = args
            .interval
            .context("--series needs --interval, e.g. 5m")?;
        on_series(&model, series, column, interval)?
    } else {
        if args.scenarios.is_empty() {
            bail!("name at least one held-out scenario, or give --series FILE.csv");
        }
        let scenarios = load_all(&args.scenarios)?;
        let seeds = args.seeds.clone().map(|s| s.0).unwrap_or_default();
        on_held_out(
            model,
            &scenarios,
            &seeds,
            args.duration,
            &SavedRuns::in_dir(args.out.join("runs")),
        )?
    };
    publish(
        &evaluation,
        &Publish {
            model_file: file_name(&args.model),
            json: args.json.as_deref(),
            out: &args.out,
            plots: !args.no_plots,
        },
    )
}

/// The scores, and the rows `forecast.csv` shows forecast against actual.
pub struct Evaluation {
    /// The model's scores, then the baselines'.
    pub scores: Vec<Scores>,
    /// The first run's rows (or the scored part of the series).
    pub shown: Vec<Row>,
    /// Shard names, by shard index of the rows.
    pub shards: Vec<String>,
    /// Spacing of the rows, seconds.
    pub interval_secs: f64,
    /// Horizon, in intervals.
    pub horizon: usize,
    /// The model scored.
    pub model: ForecastModel,
}

/// A univariate model of `series`'s `column` (values `interval` apart) trained on its first 70%
/// and scored on the rest, at the horizon of `model`.
pub fn on_series(
    model: &ForecastModel,
    series: &Path,
    column: &str,
    interval: SimDuration,
) -> Result<Evaluation> {
    let horizon = (forecast::model_horizon(model).as_nanos() / interval.as_nanos()).max(1) as usize;
    let rows = forecast::series_rows(series, column, interval, horizon)?;
    let split = rows.len() * 7 / 10;
    let (head, tail) = rows.split_at(split);
    let univariate = forecast::train(
        head,
        &BTreeMap::new(),
        horizon,
        interval.as_secs_f64(),
        TrainConfig {
            max_rows: 20_000,
            ..Default::default()
        },
        format!("series {column}"),
    )?;
    println!(
        "univariate model trained on the first {} rows, scored on the last {}",
        head.len(),
        tail.len()
    );
    let scores = shardsim_model::evaluate(&univariate, tail);
    Ok(Evaluation {
        scores,
        shown: tail.to_vec(),
        shards: vec![column.to_owned()],
        interval_secs: interval.as_secs_f64(),
        horizon,
        model: univariate,
    })
}

/// `model` scored on every (scenario, seed), pooled; the runs' rows are saved in `saved` as
/// each finishes, so that a rerun resumes.
pub fn on_held_out(
    model: ForecastModel,
    scenarios: &[Scenario],
    seeds: &[u64],
    duration: Option<SimDuration>,
    saved: &SavedRuns,
) -> Result<Evaluation> {
    let horizon = forecast::model_horizon(&model);
    let runs = rows_of_runs(scenarios, seeds, (duration, horizon), saved, "simulating")?;
    let names: Vec<String> = scenarios[0]
        .config(duration)
        .topology
        .shards
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let first = runs.first().map(|r| r.rows.clone()).unwrap_or_default();
    let rows: Vec<_> = runs.into_iter().flat_map(|r| r.rows).collect();
    println!(
        "scored on {} rows (trained on: {})",
        rows.len(),
        model.metadata.source
    );
    let scores = shardsim_model::evaluate(&model, &rows);
    Ok(Evaluation {
        scores,
        shown: first,
        shards: names,
        interval_secs: model.interval_secs,
        horizon: model.horizon_intervals as usize,
        model,
    })
}

/// Where an evaluation goes.
pub struct Publish<'a> {
    /// The model file's name, recorded in the JSON.
    pub model_file: Option<String>,
    /// The scores as JSON, if wanted.
    pub json: Option<&'a Path>,
    /// The directory of `forecast.csv` and the charts.
    pub out: &'a Path,
    /// Render the charts.
    pub plots: bool,
}

/// Prints the score table and writes the JSON, `forecast.csv` and the charts.
pub fn publish(evaluation: &Evaluation, to: &Publish<'_>) -> Result<()> {
    let scores = &evaluation.scores;
    manifest::begin(to.out)?;
    print!("{}", forecast::render(scores));
    if let Some(path) = to.json {
        let body = serde_json::json!({ "model": to.model_file, "models": scores });
        write_json(path, &body)?;
    }
    let mae = scores.first().map_or(f64::NAN, |s| s.mae);
    forecast::write_forecast_csv(
        &to.out.join("forecast.csv"),
        &evaluation.model,
        &evaluation.shown,
        &evaluation.shards,
        evaluation.interval_secs,
        evaluation.horizon,
        mae,
    )?;
    println!(
        "forecasts for the busiest shards of the first run in {}/forecast.csv",
        to.out.display()
    );
    if to.plots {
        plot::plot_dir(to.out)?;
        println!("charts in {}/charts/", to.out.display());
    }
    // Last: the evaluation finished (what `shardsim plot` checks).
    let body = serde_json::json!({
        "command": "evaluate",
        "shardsim_version": env!("CARGO_PKG_VERSION"),
        "model": to.model_file,
        "files": manifest::entries(to.out, &["forecast.csv"])?,
    });
    write_json(&to.out.join(manifest::MANIFEST), &body)
}
