//! `shardsim dataset | train | evaluate`: forecasting rows from simulated runs, models, scores,
//! and `forecast.csv` (forecast against actual for the busiest shards), which `shardsim plot`
//! reads back. The dataset file is in [`dataset`].

pub mod dataset;
mod hindsight;
pub mod saved;

pub use dataset::{read_csv, write_csv};

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use shardsim_model::features::{self, Hindsight, History, Row};
use shardsim_model::forecaster::{self, ForecastModel, ModelFileError, Scores, TrainConfig};
use shardsim_sim::{SimDuration, SimTime};

use crate::io::csv::{fixed3, fixed6, write_csv as write_table};
use crate::run::{RunSpec, simulate};
use crate::scenario::Scenario;

/// One simulated run's rows, with where they came from.
pub struct RunRows {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Rows (their `run` field is this run's position in the list).
    pub rows: Vec<Row>,
}

/// The rows of one simulated run of `scenario` on `seed`, numbered `index` (their `run`).
pub fn simulate_rows(
    scenario: &Scenario,
    seed: u64,
    index: usize,
    duration: Option<SimDuration>,
    horizon: SimDuration,
) -> Result<RunRows> {
    let h = horizon_intervals(horizon, scenario.metrics_interval)?;
    let spec = RunSpec {
        seed,
        duration: duration.unwrap_or(scenario.duration),
        ..RunSpec::new(scenario.clone())
    };
    let done = simulate(&spec, |_| {})?;
    let c = done.sim.model();
    let end = SimTime::from_nanos(c.metrics_interval().as_nanos() * done.intervals as u64);
    let history = History::from_observation(&c.observe(end), done.intervals);
    Ok(RunRows {
        scenario: scenario.name.clone(),
        seed,
        rows: features::rows(
            &history,
            index as u32,
            h,
            &hindsight::of(c, done.intervals, &history.market.shard_types),
        ),
    })
}

/// The horizon in metrics intervals; an error unless it is a positive whole number of them.
pub fn horizon_intervals(horizon: SimDuration, interval: SimDuration) -> Result<usize> {
    if interval == SimDuration::ZERO {
        bail!("the metrics interval must be positive");
    }
    let h = horizon.as_nanos() / interval.as_nanos();
    if h == 0 || !horizon.as_nanos().is_multiple_of(interval.as_nanos()) {
        bail!("the horizon ({horizon}) must be a whole number of metrics intervals ({interval})");
    }
    Ok(h as usize)
}

/// Trains on rows (`scenarios`: the scenario of each run); `source` describes them for the
/// model file.
pub fn train(
    rows: &[Row],
    scenarios: &BTreeMap<u32, String>,
    horizon: usize,
    interval_secs: f64,
    config: TrainConfig,
    source: String,
) -> Result<ForecastModel> {
    let config = config.check()?;
    Ok(forecaster::train(
        rows,
        scenarios,
        horizon as u32,
        interval_secs,
        &config,
        source,
    )?)
}

/// Largest magnitude of a value read from a series or dataset file. Loads and features are
/// fractions of a shard's capacity, counts or seconds; far beyond this, squared errors overflow
/// to infinity and every score becomes NaN.
pub const MAX_INPUT_VALUE: f64 = 1e9;

/// A number from a series or dataset file: finite and at most [`MAX_INPUT_VALUE`] in magnitude,
/// else an error naming the file, line and column.
pub fn input_value(text: &str, path: &Path, line: usize, column: &str) -> Result<f64> {
    let at = || format!("{}:{line}: column `{column}`", path.display());
    let v: f64 = text
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("{}: `{text}` is not a number", at()))?;
    if !v.is_finite() {
        bail!(
            "{}: `{text}` is not finite: NaN and infinity cannot be learned from or scored",
            at()
        );
    }
    if v.abs() > MAX_INPUT_VALUE {
        bail!(
            "{}: {v:e} is beyond ±{MAX_INPUT_VALUE:e}, the largest value accepted (scores would overflow)",
            at()
        );
    }
    Ok(v)
}

/// Loads a model file.
pub fn load_model(path: &Path) -> Result<ForecastModel> {
    let bytes = std::fs::read(path).with_context(|| format!("reading model {}", path.display()))?;
    ForecastModel::from_bytes(&bytes).map_err(|e| match e {
        ModelFileError::Corrupt(why) => {
            anyhow::anyhow!("corrupt model file {}: {why}", path.display())
        }
        other => anyhow::anyhow!("model file {}: {other}", path.display()),
    })
}

/// Horizon of a model, as a duration.
pub fn model_horizon(model: &ForecastModel) -> SimDuration {
    SimDuration::from_secs_f64(model.horizon_intervals as f64 * model.interval_secs)
}

/// Rows from an external univariate load series: one value per row of `column`, one `interval`
/// apart, treated as a single shard with no cluster context.
pub fn series_rows(
    path: &Path,
    column: &str,
    interval: SimDuration,
    horizon: usize,
) -> Result<Vec<Row>> {
    let mut r =
        csv::Reader::from_path(path).with_context(|| format!("opening {}", path.display()))?;
    let headers = r.headers()?.clone();
    let Some(col) = headers.iter().position(|h| h == column) else {
        bail!(
            "{}: no column `{column}`; columns: {}",
            path.display(),
            headers.iter().collect::<Vec<_>>().join(", ")
        );
    };
    let mut values = Vec::new();
    for (line, rec) in r.records().enumerate() {
        let rec = rec.with_context(|| format!("{}:{}", path.display(), line + 2))?;
        values.push(input_value(&rec[col], path, line + 2, column)?);
    }
    let n = values.len();
    if n < features::WARMUP + horizon + 50 {
        bail!(
            "{}: {n} values; the series needs at least {} for a {horizon}-step horizon",
            path.display(),
            features::WARMUP + horizon + 50
        );
    }
    let h = History::of_series(values, interval.as_secs_f64());
    Ok(features::rows(&h, 0, horizon, &Hindsight::default()))
}

/// The evaluation table.
pub fn render(scores: &[Scores]) -> String {
    let opt = |x: Option<f64>| x.map_or("—".to_owned(), |v| format!("{:>6.1}%", 100.0 * v));
    let mut out = format!(
        "{:<16} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8}\n",
        "model",
        "MAE",
        "RMSE",
        "MASE",
        "skill",
        "burst",
        "calm",
        "overload",
        "recall",
        "90% int.",
        "burst"
    );
    out += &format!(
        "{:<16} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8}\n",
        "", "", "", "", "overall", "", "", "precision", "", "covers", ""
    );
    for s in scores {
        out += &format!(
            "{:<16} {:>8.4} {:>8.4} {:>7.3} {:>7.1}% {:>8} {:>8} {:>9} {:>8} {:>8} {:>8}\n",
            s.name,
            s.mae,
            s.rmse,
            s.mase,
            100.0 * s.skill_overall,
            opt(s.skill_burst),
            opt(s.skill_calm),
            opt(s.overload_precision),
            opt(s.overload_recall),
            opt(s.coverage90),
            opt(s.coverage90_burst)
        );
    }
    out
}

/// Shards shown in `forecast.csv`: the busiest of the run.
pub const SHOWN_SHARDS: usize = 4;

/// Writes `forecast.csv`: for the [`SHOWN_SHARDS`] shards with the highest mean load in `rows`
/// (one run), per interval the actual load at the target time, the model's forecast and
/// persistence's, and the model's overall MAE (the band a chart draws).
pub fn write_forecast_csv(
    path: &Path,
    model: &ForecastModel,
    rows: &[Row],
    names: &[String],
    interval_secs: f64,
    horizon: usize,
    mae: f64,
) -> Result<()> {
    let shards = rows.iter().map(|r| r.shard as usize + 1).max().unwrap_or(0);
    let mut mean = vec![(0.0, 0usize); shards];
    for r in rows {
        mean[r.shard as usize].0 += r.label;
        mean[r.shard as usize].1 += 1;
    }
    let mut order: Vec<usize> = (0..shards).collect();
    order.sort_by(|&a, &b| {
        let (ma, mb) = (
            mean[a].0 / mean[a].1.max(1) as f64,
            mean[b].0 / mean[b].1.max(1) as f64,
        );
        mb.total_cmp(&ma).then(a.cmp(&b))
    });
    order.truncate(SHOWN_SHARDS);
    let mut lines = Vec::new();
    for &s in &order {
        let picked: Vec<&Row> = rows.iter().filter(|r| r.shard as usize == s).collect();
        let features: Vec<&[f64]> = picked.iter().map(|r| r.features.as_slice()).collect();
        let forecasts = model.predict(&features);
        let name = names
            .get(s)
            .cloned()
            .unwrap_or_else(|| format!("shard {s}"));
        for (r, f) in picked.iter().zip(forecasts) {
            let minute = (r.interval as usize + horizon) as f64 * interval_secs / 60.0;
            lines.push(ForecastRow {
                shard: name.clone(),
                minute,
                actual: r.label,
                forecast: f,
                persistence: forecaster::baseline("persistence", r),
                model_mae: mae,
            });
        }
    }
    write_table(path, &lines)
}

/// `forecast.csv`: one row per shard shown per interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForecastRow {
    /// Shard name.
    pub shard: String,
    /// The target time (t + horizon), simulated minutes.
    #[serde(with = "fixed3")]
    pub minute: f64,
    /// The load at the target time.
    #[serde(with = "fixed6")]
    pub actual: f64,
    /// The model's forecast of it.
    #[serde(with = "fixed6")]
    pub forecast: f64,
    /// Persistence's (the load at t).
    #[serde(with = "fixed6")]
    pub persistence: f64,
    /// The model's MAE over all scored rows (the band a chart draws).
    #[serde(with = "fixed6")]
    pub model_mae: f64,
}
