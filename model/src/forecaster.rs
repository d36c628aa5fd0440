//! Training, the model file, forecasting, and evaluation against the baselines.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::ridge_regression::{RidgeRegression, RidgeRegressionParameters};

use crate::features::{self, FEATURES, OVERLOAD, Row, SCHEMA_VERSION, column};

/// Bumped whenever the file layout changes.
pub const FORMAT_VERSION: u32 = 3;
const MAGIC: &[u8; 8] = b"SHSMODEL";

type Matrix = DenseMatrix<f64>;

/// Hyper-parameters as a user writes them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Trees in the forest (1 to 500).
    pub trees: usize,
    /// Maximum tree depth (1 to 64).
    pub max_depth: u16,
    /// Minimum rows in a leaf (at least 1).
    pub min_samples_leaf: usize,
    /// Features tried per split (1 to the feature count).
    pub features_per_split: usize,
    /// Ridge penalty (> 0).
    pub ridge_alpha: f64,
    /// Share held out for choosing the model (0.05 to 0.5): see [`every_kth_run`] and
    /// [`held_out_runs`]; of a single run, its latest intervals.
    pub validation_share: f64,
    /// Training rows at most (an evenly spaced subsample beyond it), at least 1,000.
    pub max_rows: usize,
    /// Seed of the forest's bootstrap and feature sampling.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            trees: 40,
            max_depth: 12,
            min_samples_leaf: 8,
            // All features: smartcore stops growing a node whose sampled features cannot split
            // it, so sparse sampling truncates trees when few features carry signal.
            features_per_split: FEATURES.len(),
            ridge_alpha: 1.0,
            validation_share: 0.2,
            max_rows: 40_000,
            seed: 1,
        }
    }
}

/// A hyper-parameter out of range.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("training setting `{field}` = {value}: {allowed}")]
pub struct ConfigError {
    /// The setting.
    pub field: &'static str,
    /// Its value.
    pub value: String,
    /// What is allowed.
    pub allowed: &'static str,
}

/// Validated hyper-parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedConfig(TrainConfig);

impl TrainConfig {
    /// Checks every setting once.
    pub fn check(self) -> Result<CheckedConfig, ConfigError> {
        let err = |field, value: String, allowed| {
            Err(ConfigError {
                field,
                value,
                allowed,
            })
        };
        if !(1..=500).contains(&self.trees) {
            return err("trees", self.trees.to_string(), "1 to 500");
        }
        if !(1..=64).contains(&self.max_depth) {
            return err("max_depth", self.max_depth.to_string(), "1 to 64");
        }
        if self.min_samples_leaf == 0 {
            return err("min_samples_leaf", "0".into(), "at least 1");
        }
        if !(1..=FEATURES.len()).contains(&self.features_per_split) {
            return err(
                "features_per_split",
                self.features_per_split.to_string(),
                "1 to the number of features (37)",
            );
        }
        if !(self.ridge_alpha.is_finite() && self.ridge_alpha > 0.0) {
            return err(
                "ridge_alpha",
                self.ridge_alpha.to_string(),
                "a positive number",
            );
        }
        if !(0.05..=0.5).contains(&self.validation_share) {
            return err(
                "validation_share",
                self.validation_share.to_string(),
                "0.05 to 0.5",
            );
        }
        if self.max_rows < 1_000 {
            return err("max_rows", self.max_rows.to_string(), "at least 1,000");
        }
        Ok(CheckedConfig(self))
    }
}

/// Which regressor a model file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ModelKind {
    /// smartcore random forest.
    RandomForest,
    /// smartcore ridge regression.
    Ridge,
}

#[derive(Debug, Serialize, Deserialize)]
enum Predictor {
    Forest(RandomForestRegressor<f64, f64, Matrix, Vec<f64>>),
    Ridge {
        model: RidgeRegression<f64, f64, Matrix, Vec<f64>>,
        scaler: Scaler,
    },
}

/// Column standardisation for ridge. smartcore's own refuses constant columns (a cluster whose
/// shards all have speed 1.0 has one); here they are left unscaled. Without its own
/// normalisation smartcore fits no intercept, so the label is centred too (`label_mean`).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Scaler {
    mean: Vec<f64>,
    scale: Vec<f64>,
    label_mean: f64,
}

impl Scaler {
    fn fit(rows: &[&[f64]], labels: &[f64]) -> Scaler {
        let width = rows.first().map_or(0, |r| r.len());
        let n = rows.len().max(1) as f64;
        let mean: Vec<f64> = (0..width)
            .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n)
            .collect();
        let scale = (0..width)
            .map(|j| {
                let sd = (rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n).sqrt();
                if sd > 1e-12 { sd } else { 1.0 }
            })
            .collect();
        let label_mean = labels.iter().sum::<f64>() / labels.len().max(1) as f64;
        Scaler {
            mean,
            scale,
            label_mean,
        }
    }

    fn apply(&self, rows: &[&[f64]]) -> Vec<Vec<f64>> {
        rows.iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .map(|(j, x)| (x - self.mean[j]) / self.scale[j])
                    .collect()
            })
            .collect()
    }
}

/// What a model was trained on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainMetadata {
    /// Free text: scenarios and seeds, or the dataset file.
    pub source: String,
    /// Rows available, and rows the load regressors were fitted on.
    pub rows: (usize, usize),
    /// Validation MAE of the load forecast: (forest, ridge, persistence).
    pub validation_mae: (f64, f64, f64),
    /// Validation MAE of the peak forecast: (forest, ridge, the load at t).
    pub peak_validation_mae: (f64, f64, f64),
    /// The hyper-parameters.
    pub config: TrainConfig,
}

/// A trained forecaster: two regressors (the load at t + horizon, and the peak load over
/// (t, t + horizon]), their feature schema, horizon and provenance.
#[derive(Debug, Serialize, Deserialize)]
pub struct ForecastModel {
    format_version: u32,
    schema_version: u32,
    features: Vec<String>,
    /// Forecast horizon, in metrics intervals.
    pub horizon_intervals: u32,
    /// Metrics interval the model was trained at, seconds.
    pub interval_secs: f64,
    /// The regressor kept for the load forecast.
    pub kind: ModelKind,
    /// The regressor kept for the peak forecast.
    pub peak_kind: ModelKind,
    /// Training MAE of persistence: the scale of MASE.
    pub mase_scale: f64,
    /// How far the load forecast moves from the load at t toward the regressor's forecast, for a
    /// calm and a volatile market at t: chosen on validation (see [`fit_shrinkage`]).
    pub shrinkage: [f64; 2],
    /// A peak forecast above this predicts "the shard will exceed 0.8 load within the horizon":
    /// calibrated on the held-out runs (see [`calibrate_overload_threshold`]).
    pub overload_threshold: f64,
    /// Provenance.
    pub metadata: TrainMetadata,
    predictor: Predictor,
    peak_predictor: Predictor,
}

/// Why a model file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// Not a shardsim model file.
    #[error("not a shardsim model file (missing the SHSMODEL header)")]
    NotAModel,
    /// Written by another format version.
    #[error(
        "model file format version {found}, but this shardsim reads version {expected}; retrain the model"
    )]
    Version {
        /// In the file.
        found: u32,
        /// Supported.
        expected: u32,
    },
    /// Trained on other features.
    #[error(
        "the model was trained on feature schema version {found} ({count} features), but this shardsim computes version {expected}; retrain the model"
    )]
    Schema {
        /// In the file.
        found: u32,
        /// Its feature count.
        count: usize,
        /// Current.
        expected: u32,
    },
    /// Damaged.
    #[error("model file is damaged: {0}")]
    Corrupt(String),
}

/// Why training failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// Not enough rows.
    #[error("only {0} training rows: run longer or use more seeds (each run needs more than {min} intervals)", min = features::WARMUP + 15)]
    TooFewRows(usize),
    /// The regressor refused.
    #[error("fitting failed: {0}")]
    Fit(String),
}

fn matrix(rows: &[&[f64]]) -> Result<Matrix, String> {
    DenseMatrix::from_2d_array(rows).map_err(|e| e.to_string())
}

/// Evenly spaced subsample of at most `max` items, deterministic.
fn spaced<T: Copy>(items: &[T], max: usize) -> Vec<T> {
    if items.len() <= max {
        return items.to_vec();
    }
    (0..max).map(|i| items[i * items.len() / max]).collect()
}

fn mae(pred: &[f64], truth: &[f64]) -> f64 {
    pred.iter()
        .zip(truth)
        .map(|(p, t)| (p - t).abs())
        .sum::<f64>()
        / truth.len().max(1) as f64
}

/// A regressor fitted for one target, with its validation record.
struct Head {
    kind: ModelKind,
    predictor: Predictor,
    /// Validation MAE of (forest, ridge, persistence).
    validation_mae: (f64, f64, f64),
    /// The kept regressor's forecasts of the validation rows.
    validation_forecasts: Vec<f64>,
}

/// Fits a forest and a ridge regression of `target` on `fit_rows` and keeps the one with the
/// lower MAE on `valid_rows`.
fn fit_head(
    fit_rows: &[&Row],
    valid_rows: &[&Row],
    target: fn(&Row) -> f64,
    cfg: &TrainConfig,
) -> Result<Head, TrainError> {
    let fit_slices: Vec<&[f64]> = fit_rows.iter().map(|r| r.features.as_slice()).collect();
    let valid_slices: Vec<&[f64]> = valid_rows.iter().map(|r| r.features.as_slice()).collect();
    let y: Vec<f64> = fit_rows.iter().map(|r| target(r)).collect();
    let yv: Vec<f64> = valid_rows.iter().map(|r| target(r)).collect();
    let forest = RandomForestRegressor::fit(
        &matrix(&fit_slices).map_err(TrainError::Fit)?,
        &y,
        RandomForestRegressorParameters::default()
            .with_n_trees(cfg.trees)
            .with_max_depth(cfg.max_depth)
            .with_min_samples_leaf(cfg.min_samples_leaf)
            .with_min_samples_split(2 * cfg.min_samples_leaf)
            .with_m(cfg.features_per_split)
            .with_seed(cfg.seed),
    )
    .map_err(|e| TrainError::Fit(e.to_string()))?;
    let scaler = Scaler::fit(&fit_slices, &y);
    let centred: Vec<f64> = y.iter().map(|v| v - scaler.label_mean).collect();
    let scaled = |rows: &[&[f64]]| -> Result<Matrix, TrainError> {
        let v = scaler.apply(rows);
        matrix(&v.iter().map(Vec::as_slice).collect::<Vec<_>>()).map_err(TrainError::Fit)
    };
    let ridge = RidgeRegression::fit(
        &scaled(&fit_slices)?,
        &centred,
        RidgeRegressionParameters::default()
            .with_alpha(cfg.ridge_alpha)
            .with_normalize(false),
    )
    .map_err(|e| TrainError::Fit(e.to_string()))?;
    let forest = Predictor::Forest(forest);
    let ridge = Predictor::Ridge {
        model: ridge,
        scaler,
    };
    let forest_valid = forest.predict(&valid_slices);
    let ridge_valid = ridge.predict(&valid_slices);
    let load_t = column("load_t");
    let persistence: Vec<f64> = valid_rows.iter().map(|r| r.features[load_t]).collect();
    let validation_mae = (
        mae(&forest_valid, &yv),
        mae(&ridge_valid, &yv),
        mae(&persistence, &yv),
    );
    Ok(if validation_mae.0 <= validation_mae.1 {
        Head {
            kind: ModelKind::RandomForest,
            predictor: forest,
            validation_mae,
            validation_forecasts: forest_valid,
        }
    } else {
        Head {
            kind: ModelKind::Ridge,
            predictor: ridge,
            validation_mae,
            validation_forecasts: ridge_valid,
        }
    })
}

/// Every k-th run (k = 1 / share), the load forecast's validation runs. Which runs that is depends
/// on how many seeds each scenario has (with 4 scenarios × 4 seeds: no market_volatility run), but
/// holding out every scenario's last seeds instead changed what the load forecast is fitted on and
/// made the predictive policy 6–10% worse on the burst scenarios (measured over three model
/// seeds; see the forecasting issue), so the load forecast keeps this until that is understood.
pub fn every_kth_run(rows: &[Row], share: f64) -> BTreeSet<u32> {
    let runs: BTreeSet<u32> = rows.iter().map(|r| r.run).collect();
    let every = (1.0 / share).round().max(2.0) as usize;
    runs.iter()
        .skip(every - 1)
        .step_by(every)
        .copied()
        .collect()
}

/// The peak forecast's validation runs, which set the overload threshold and so must cover every
/// scenario: of each scenario with at least two runs, its last `share` of them (at least one);
/// if no scenario has two, every (1/share)-th run, or the last if there are fewer; with a single
/// run, none (its tail is used).
pub fn held_out_runs(rows: &[Row], scenarios: &BTreeMap<u32, String>, share: f64) -> BTreeSet<u32> {
    let runs: BTreeSet<u32> = rows.iter().map(|r| r.run).collect();
    let mut by_scenario: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for &run in &runs {
        let name = scenarios.get(&run).map_or("", String::as_str);
        by_scenario.entry(name).or_default().push(run);
    }
    let mut held_out = BTreeSet::new();
    for group in by_scenario.values().filter(|g| g.len() >= 2) {
        let n = ((group.len() as f64 * share).ceil() as usize).clamp(1, group.len() - 1);
        held_out.extend(&group[group.len() - n..]);
    }
    if held_out.is_empty() && runs.len() >= 2 {
        held_out = every_kth_run(rows, share);
        if held_out.is_empty() {
            held_out.extend(runs.last());
        }
    }
    held_out
}

/// Rows to fit on (all of them, and an evenly spaced subsample) and a subsample to validate on.
struct Split<'a> {
    train: Vec<&'a Row>,
    fit: Vec<&'a Row>,
    valid: Vec<&'a Row>,
}

/// Whole `held_out` runs for validation; without any, a single run's latest intervals, with a
/// one-horizon gap so that no training label overlaps a validation input. Nothing is ever
/// shuffled across time.
fn split<'a>(
    rows: &'a [Row],
    held_out: &BTreeSet<u32>,
    horizon_intervals: u32,
    cfg: &TrainConfig,
) -> Result<Split<'a>, TrainError> {
    let (lo, hi) = rows.iter().fold((u32::MAX, 0), |(lo, hi), r| {
        (lo.min(r.interval), hi.max(r.interval))
    });
    let boundary = hi - (f64::from(hi - lo) * cfg.validation_share) as u32;
    let cut = |r: &Row| {
        if held_out.is_empty() {
            (
                r.interval + horizon_intervals < boundary,
                r.interval >= boundary,
            )
        } else {
            (!held_out.contains(&r.run), held_out.contains(&r.run))
        }
    };
    let train: Vec<&Row> = rows.iter().filter(|r| cut(r).0).collect();
    let valid: Vec<&Row> = rows.iter().filter(|r| cut(r).1).collect();
    if train.len() < 500 || valid.is_empty() {
        return Err(TrainError::TooFewRows(train.len()));
    }
    Ok(Split {
        fit: spaced(&train, cfg.max_rows),
        valid: spaced(&valid, cfg.max_rows),
        train,
    })
}

/// Trains the two forecasts, each the better of a forest and a ridge regression on validation:
/// the load at t + horizon, validated on [`every_kth_run`], and the peak load over
/// (t, t + horizon], whose forecast above [`ForecastModel::overload_threshold`] predicts an overload,
/// validated on [`held_out_runs`] (`scenarios` names the scenario of each run; runs it does not
/// name count as one scenario).
pub fn train(
    rows: &[Row],
    scenarios: &BTreeMap<u32, String>,
    horizon_intervals: u32,
    interval_secs: f64,
    config: &CheckedConfig,
    source: String,
) -> Result<ForecastModel, TrainError> {
    let cfg = &config.0;
    let load_split = split(
        rows,
        &every_kth_run(rows, cfg.validation_share),
        horizon_intervals,
        cfg,
    )?;
    let peak_split = split(
        rows,
        &held_out_runs(rows, scenarios, cfg.validation_share),
        horizon_intervals,
        cfg,
    )?;
    // Two independent fits, each seeded: the result does not depend on which runs first.
    let (load, peak) = rayon::join(
        || fit_head(&load_split.fit, &load_split.valid, |r| r.label, cfg),
        || fit_head(&peak_split.fit, &peak_split.valid, |r| r.peak_ahead, cfg),
    );
    let (load, peak) = (load?, peak?);
    let load_t = column("load_t");
    let mase_scale = mae(
        &load_split
            .train
            .iter()
            .map(|r| r.features[load_t])
            .collect::<Vec<_>>(),
        &load_split.train.iter().map(|r| r.label).collect::<Vec<_>>(),
    );
    let overload_threshold = calibrate_overload_threshold(
        &peak.validation_forecasts,
        &peak_split
            .valid
            .iter()
            .map(|r| r.overload_ahead())
            .collect::<Vec<_>>(),
    );
    let shrinkage = fit_shrinkage(&load_split.valid, &load.validation_forecasts);
    Ok(ForecastModel {
        format_version: FORMAT_VERSION,
        schema_version: SCHEMA_VERSION,
        features: FEATURES.iter().map(|s| (*s).to_owned()).collect(),
        horizon_intervals,
        interval_secs,
        kind: load.kind,
        peak_kind: peak.kind,
        mase_scale,
        shrinkage,
        overload_threshold,
        metadata: TrainMetadata {
            source,
            rows: (rows.len(), load_split.fit.len()),
            validation_mae: load.validation_mae,
            peak_validation_mae: peak.validation_mae,
            config: cfg.clone(),
        },
        predictor: load.predictor,
        peak_predictor: peak.predictor,
    })
}

impl Predictor {
    fn predict(&self, rows: &[&[f64]]) -> Vec<f64> {
        if rows.is_empty() {
            return Vec::new();
        }
        match self {
            Predictor::Forest(f) => f.predict(&matrix(rows).expect("rows of the schema's width")),
            Predictor::Ridge { model, scaler } => {
                let v = scaler.apply(rows);
                model
                    .predict(
                        &matrix(&v.iter().map(Vec::as_slice).collect::<Vec<_>>())
                            .expect("rows of the schema's width"),
                    )
                    .map(|p| p.iter().map(|x| x + scaler.label_mean).collect())
            }
        }
        .expect("a fitted model predicts")
    }
}

impl ForecastModel {
    /// Point forecasts of the load at t + horizon for feature rows (one per shard, say): the
    /// regressor's forecast shrunk toward the load at t by [`ForecastModel::shrinkage`], for the lowest
    /// absolute error. This is the forecast `evaluate` scores.
    pub fn predict(&self, rows: &[&[f64]]) -> Vec<f64> {
        let raw = self.predictor.predict(rows);
        rows.iter()
            .zip(raw)
            .map(|(row, p)| shrink(row, p, self.shrinkage))
            .collect()
    }

    /// The regressor's own forecasts of the load at t + horizon: the expected load (it is fitted
    /// for squared error), which is what weighing costs and benefits needs. The planner uses
    /// these; shrinking them toward the load at t made its plans worse (see ARCHITECTURE.md).
    pub fn predict_mean(&self, rows: &[&[f64]]) -> Vec<f64> {
        self.predictor.predict(rows)
    }

    /// Forecasts of the peak load over (t, t + horizon]; above [`ForecastModel::overload_threshold`],
    /// the shard is predicted to exceed the overload level within the horizon.
    pub fn predict_peak(&self, rows: &[&[f64]]) -> Vec<f64> {
        self.peak_predictor.predict(rows)
    }

    /// The file bytes: a magic header, then the postcard encoding (exact for every float).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend(postcard::to_stdvec(self).expect("models serialise"));
        out
    }

    /// Reads a model file, refusing other format or schema versions.
    pub fn from_bytes(bytes: &[u8]) -> Result<ForecastModel, ModelFileError> {
        let body = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or(ModelFileError::NotAModel)?;
        // The two version fields lead the encoding, so they can be read before the rest.
        let (format, rest): (u32, _) =
            postcard::take_from_bytes(body).map_err(|e| ModelFileError::Corrupt(e.to_string()))?;
        if format != FORMAT_VERSION {
            return Err(ModelFileError::Version {
                found: format,
                expected: FORMAT_VERSION,
            });
        }
        let (schema, rest): (u32, _) =
            postcard::take_from_bytes(rest).map_err(|e| ModelFileError::Corrupt(e.to_string()))?;
        let (names, _): (Vec<String>, _) =
            postcard::take_from_bytes(rest).map_err(|e| ModelFileError::Corrupt(e.to_string()))?;
        if schema != SCHEMA_VERSION
            || names
                .iter()
                .map(String::as_str)
                .ne(FEATURES.iter().copied())
        {
            return Err(ModelFileError::Schema {
                found: schema,
                count: names.len(),
                expected: SCHEMA_VERSION,
            });
        }
        postcard::from_bytes(body).map_err(|e| ModelFileError::Corrupt(e.to_string()))
    }
}

/// The baselines, by name, as forecasts of a row.
pub const BASELINES: [&str; 4] = ["persistence", "seasonal_naive", "moving_average", "ewma"];

/// A baseline's forecast for a row.
pub fn baseline(name: &str, row: &Row) -> f64 {
    match name {
        "persistence" => row.features[column("load_t")],
        "seasonal_naive" => row.seasonal.unwrap_or(row.features[column("load_t")]),
        "moving_average" => row.features[column("load_mean15")],
        "ewma" => row.features[column("load_ewma")],
        other => panic!("unknown baseline {other}"),
    }
}

/// The load at t plus `shrinkage[regime at t]` of the way to the regressor's forecast `p`.
fn shrink(row: &[f64], p: f64, shrinkage: [f64; 2]) -> f64 {
    let now = row[column("load_t")];
    let volatile = row[column("volatile_t")] > 0.5;
    now + shrinkage[usize::from(volatile)] * (p - now)
}

/// For a calm and a volatile market at t, the share (0 to 1 in steps of 0.05) of the way from the
/// load at t to the regressor's forecast with the lowest validation MAE; ties keep more of the
/// regressor.
///
/// A regressor fitted for squared error forecasts the conditional mean: in a volatile market it
/// hedges toward the switch back to calm, which is less likely than not within the horizon, and
/// MAE charges it for that on every interval the market stays volatile. In a calm market the
/// share trims the forest's own variance. The regressor's validation forecasts are those it was
/// chosen on, so the share is fitted on runs it was not trained on.
pub fn fit_shrinkage(valid: &[&Row], forecasts: &[f64]) -> [f64; 2] {
    let mut out = [1.0; 2];
    for (state, share) in out.iter_mut().enumerate() {
        let rows: Vec<(f64, f64, f64)> = valid
            .iter()
            .zip(forecasts)
            .filter(|(r, _)| usize::from(r.features[column("volatile_t")] > 0.5) == state)
            .map(|(r, &p)| (r.features[column("load_t")], p, r.label))
            .collect();
        if rows.is_empty() {
            continue;
        }
        let error = |a: f64| -> f64 {
            rows.iter()
                .map(|&(now, p, label)| (now + a * (p - now) - label).abs())
                .sum()
        };
        *share = (0..=20)
            .rev()
            .map(|i| f64::from(i) * 0.05)
            .fold((1.0, f64::INFINITY), |best, a| {
                let e = error(a);
                if e < best.1 { (a, e) } else { best }
            })
            .0;
    }
    out
}

/// The decision threshold for "will exceed the overload level within the horizon" from peak
/// forecasts: of the thresholds from 0.8 down to 0.3 (steps of 0.01), the one whose smaller margin
/// over the targets — recall − 0.8 and precision − 0.6 on the given rows — is largest; ties go to
/// the higher threshold.
///
/// A threshold picked as "the highest that just reaches recall 0.8" sits on the edge and misses on
/// half of all other runs; the widest margin on both sides is the one that holds on runs the
/// calibration did not see. Where no threshold reaches both targets, the same rule gives the
/// closest miss.
pub fn calibrate_overload_threshold(predictions: &[f64], overload_ahead: &[bool]) -> f64 {
    let margin = |tau: f64| {
        let (mut tp, mut fp, mut fneg) = (0usize, 0usize, 0usize);
        for (p, &actual) in predictions.iter().zip(overload_ahead) {
            match (*p > tau, actual) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fneg += 1,
                _ => {}
            }
        }
        let precision = if tp + fp == 0 {
            1.0
        } else {
            tp as f64 / (tp + fp) as f64
        };
        let recall = if tp + fneg == 0 {
            1.0
        } else {
            tp as f64 / (tp + fneg) as f64
        };
        (recall - TARGET_RECALL).min(precision - TARGET_PRECISION)
    };
    (0..=50)
        .map(|i| OVERLOAD - f64::from(i) * 0.01)
        .fold((OVERLOAD, f64::NEG_INFINITY), |best, tau| {
            let m = margin(tau);
            if m > best.1 { (tau, m) } else { best }
        })
        .0
}

/// The overload recall the calibrated threshold aims for (the forecaster's target).
pub const TARGET_RECALL: f64 = 0.8;
/// The overload precision the calibrated threshold must keep (the forecaster's target).
pub const TARGET_PRECISION: f64 = 0.6;

/// One model's or baseline's scores on a test set.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scores {
    /// The model's or a baseline's name.
    pub name: String,
    /// Mean absolute error.
    pub mae: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// MAE over the training persistence MAE.
    pub mase: f64,
    /// 1 − MAE / MAE of persistence, all rows.
    pub skill_overall: f64,
    /// The same, burst (volatile-target) rows only; `null` without any.
    pub skill_burst: Option<f64>,
    /// The same, calm rows only.
    pub skill_calm: Option<f64>,
    /// Of the rows forecast above the overload threshold, the share that did overload ahead.
    pub overload_precision: Option<f64>,
    /// Of the rows that overloaded within the horizon, the share forecast above the threshold.
    pub overload_recall: Option<f64>,
}

/// Scores `predictions` (aligned with `rows`) against the labels, with persistence as the
/// reference for skill; an `overload_scores` value above `threshold` predicts an overload within
/// the horizon (a model's peak forecast; a baseline's own point forecast).
pub fn score(
    name: &str,
    rows: &[Row],
    predictions: &[f64],
    overload_scores: &[f64],
    mase_scale: f64,
    threshold: f64,
) -> Scores {
    let persistence: Vec<f64> = rows.iter().map(|r| baseline("persistence", r)).collect();
    let subset_skill = |keep: &dyn Fn(&Row) -> bool| {
        let (mut e, mut ep, mut n) = (0.0, 0.0, 0usize);
        for (i, r) in rows.iter().enumerate() {
            if keep(r) {
                e += (predictions[i] - r.label).abs();
                ep += (persistence[i] - r.label).abs();
                n += 1;
            }
        }
        (n > 0 && ep > 0.0).then(|| 1.0 - e / ep)
    };
    let n = rows.len().max(1) as f64;
    let abs: f64 = rows
        .iter()
        .zip(predictions)
        .map(|(r, p)| (p - r.label).abs())
        .sum();
    let sq: f64 = rows
        .iter()
        .zip(predictions)
        .map(|(r, p)| (p - r.label).powi(2))
        .sum();
    let (mut tp, mut fp, mut fneg) = (0usize, 0usize, 0usize);
    for (r, p) in rows.iter().zip(overload_scores) {
        match (*p > threshold, r.overload_ahead()) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fneg += 1,
            _ => {}
        }
    }
    Scores {
        name: name.to_owned(),
        mae: abs / n,
        rmse: (sq / n).sqrt(),
        mase: abs / n / mase_scale.max(1e-12),
        skill_overall: subset_skill(&|_| true).unwrap_or(0.0),
        skill_burst: subset_skill(&|r| r.burst),
        skill_calm: subset_skill(&|r| !r.burst),
        overload_precision: (tp + fp > 0).then(|| tp as f64 / (tp + fp) as f64),
        overload_recall: (tp + fneg > 0).then(|| tp as f64 / (tp + fneg) as f64),
    }
}

/// Scores the model and every baseline on `rows`.
pub fn evaluate(model: &ForecastModel, rows: &[Row]) -> Vec<Scores> {
    let x: Vec<&[f64]> = rows.iter().map(|r| r.features.as_slice()).collect();
    let (preds, peaks) = (model.predict(&x), model.predict_peak(&x));
    let name = match model.kind {
        ModelKind::RandomForest => "random_forest",
        ModelKind::Ridge => "ridge",
    };
    let mut out = vec![score(
        name,
        rows,
        &preds,
        &peaks,
        model.mase_scale,
        model.overload_threshold,
    )];
    for b in BASELINES {
        let p: Vec<f64> = rows.iter().map(|r| baseline(b, r)).collect();
        out.push(score(b, rows, &p, &p, model.mase_scale, OVERLOAD));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows whose label is a known function of two features, over 4 runs × 300 intervals.
    fn synthetic() -> Vec<Row> {
        let mut rows = Vec::new();
        for run in 0..4u32 {
            for t in 0..300u32 {
                for shard in 0..5u32 {
                    let a = f64::from((t * 7 + shard * 13 + run) % 17) / 17.0;
                    let b = f64::from((t * 3 + shard) % 11) / 11.0;
                    let mut features = vec![0.5; FEATURES.len()];
                    features[column("load_t")] = a;
                    features[column("load_mean15")] = b;
                    features[column("shard_speed")] = 1.0; // constant column
                    rows.push(Row {
                        run,
                        shard,
                        interval: t,
                        features,
                        label: 0.8 * a + 0.4 * b,
                        burst: t % 50 < 10,
                        seasonal: None,
                        peak_ahead: (0.8 * a + 0.4 * b).max(a),
                    });
                }
            }
        }
        rows
    }

    /// Trains on `rows` (one unnamed scenario, 15-interval horizon) with checked `config`.
    fn fit_rows(rows: &[Row], config: TrainConfig) -> ForecastModel {
        let config = config.check().unwrap();
        train(
            rows,
            &BTreeMap::new(),
            15,
            60.0,
            &config,
            "synthetic".into(),
        )
        .unwrap()
    }

    #[test]
    fn a_forecast_that_hedges_against_a_persisting_regime_is_pulled_back_to_the_load_at_t() {
        // Calm rows: the regressor is right. Volatile rows: the regime persists (label = load at
        // t) in 7 of 10, but the regressor forecasts the mean, 0.3 below.
        let row = |volatile: bool, now: f64, label: f64| {
            let mut features = vec![0.0; FEATURES.len()];
            features[column("load_t")] = now;
            features[column("volatile_t")] = f64::from(u8::from(volatile));
            Row {
                run: 0,
                shard: 0,
                interval: 0,
                features,
                label,
                burst: volatile,
                seasonal: None,
                peak_ahead: label,
            }
        };
        let mut rows = Vec::new();
        let mut forecasts = Vec::new();
        for i in 0..20 {
            let now = 0.3 + 0.01 * f64::from(i);
            rows.push(row(false, now, now + 0.1));
            forecasts.push(now + 0.1);
        }
        for i in 0..10 {
            rows.push(row(true, 1.0, if i < 7 { 1.0 } else { 0.0 }));
            forecasts.push(0.7);
        }
        let refs: Vec<&Row> = rows.iter().collect();
        assert_eq!(fit_shrinkage(&refs, &forecasts), [1.0, 0.0]);
        // The model applies it: a volatile row's forecast is the load at t.
        assert_eq!(shrink(&rows[25].features, 0.7, [1.0, 0.0]), 1.0);
        assert_eq!(shrink(&rows[0].features, 0.4, [1.0, 0.0]), 0.4);
    }

    #[test]
    fn both_regressors_learn_a_known_function() {
        let rows = synthetic();
        let model = fit_rows(
            &rows,
            TrainConfig {
                max_rows: 5_000,
                features_per_split: 33,
                ..TrainConfig::default()
            },
        );
        let (forest, ridge, persistence) = model.metadata.validation_mae;
        assert!(ridge < 1e-3, "ridge validation MAE {ridge}");
        assert!(
            forest < persistence / 2.0,
            "forest {forest} vs persistence {persistence}"
        );
        let kept = if model.kind == ModelKind::Ridge {
            ridge
        } else {
            forest
        };
        assert_eq!(
            kept,
            forest.min(ridge),
            "the better model on validation is kept"
        );
        // The peak over the horizon, max(label, load_t) here, is a target of its own.
        let (forest, ridge, now) = model.metadata.peak_validation_mae;
        assert!(
            forest.min(ridge) < now / 2.0,
            "peak: forest {forest}, ridge {ridge} vs the load at t {now}"
        );
    }

    /// Overloads that pass between t and the target time: the load at t + h never reaches 0.8,
    /// the peak before it does whenever a third feature is high.
    #[test]
    fn overloads_before_the_target_time_are_called_from_the_peak_forecast() {
        let rows: Vec<Row> = synthetic()
            .into_iter()
            .map(|mut r| {
                let a = r.features[column("load_t")];
                let c = f64::from((r.interval * 5 + r.shard * 3) % 13) / 13.0;
                r.features[column("queue_per_slot_t")] = c;
                r.label = 0.4 * a + 0.2;
                r.peak_ahead = r.label + 0.6 * c;
                r
            })
            .collect();
        let model = fit_rows(
            &rows,
            TrainConfig {
                max_rows: 5_000,
                trees: 10,
                ..TrainConfig::default()
            },
        );
        let scores = evaluate(&model, &rows);
        let (precision, recall) = (
            scores[0].overload_precision.unwrap(),
            scores[0].overload_recall.unwrap(),
        );
        assert!(
            precision >= 0.9 && recall >= 0.9,
            "precision {precision}, recall {recall}"
        );
        // The load forecast itself never calls one: the label stays below 0.6.
        let x: Vec<&[f64]> = rows.iter().map(|r| r.features.as_slice()).collect();
        let load = model.predict(&x);
        let from_load = score("load", &rows, &load, &load, 1.0, model.overload_threshold);
        assert_eq!(from_load.overload_recall, Some(0.0));
    }

    #[test]
    fn validation_holds_out_runs_of_every_scenario() {
        let rows_of = |runs: u32| -> Vec<Row> {
            let mut rows = synthetic();
            rows.truncate(1);
            (0..runs)
                .map(|run| Row {
                    run,
                    ..rows[0].clone()
                })
                .collect()
        };
        let named = |names: &[&str], per: u32| -> BTreeMap<u32, String> {
            (0..names.len() as u32 * per)
                .map(|run| (run, names[(run / per) as usize].to_owned()))
                .collect()
        };
        // Four scenarios × four seeds, scenario-major: every fifth run skips one scenario.
        assert_eq!(every_kth_run(&rows_of(16), 0.2), BTreeSet::from([4, 9, 14]));
        let four = named(&["a", "b", "c", "d"], 4);
        assert_eq!(
            held_out_runs(&rows_of(16), &four, 0.2),
            BTreeSet::from([3, 7, 11, 15])
        );
        assert_eq!(
            held_out_runs(&rows_of(16), &four, 0.5),
            BTreeSet::from([2, 3, 6, 7, 10, 11, 14, 15])
        );
        // One run per scenario: every fifth run; fewer than five: the last.
        let single = named(&["a", "b", "c", "d", "e", "f"], 1);
        assert_eq!(
            held_out_runs(&rows_of(6), &single, 0.2),
            BTreeSet::from([4])
        );
        assert_eq!(
            held_out_runs(&rows_of(3), &single, 0.2),
            BTreeSet::from([2])
        );
        // Unnamed runs are one scenario; a single run holds none out (its tail is used).
        assert_eq!(
            held_out_runs(&rows_of(4), &BTreeMap::new(), 0.2),
            BTreeSet::from([3])
        );
        assert!(held_out_runs(&rows_of(1), &BTreeMap::new(), 0.2).is_empty());
    }

    #[test]
    fn save_load_gives_bit_identical_predictions_and_same_seed_same_bytes() {
        let rows = synthetic();
        let config = TrainConfig {
            max_rows: 3_000,
            trees: 10,
            ..TrainConfig::default()
        };
        let a = fit_rows(&rows, config.clone());
        let b = fit_rows(&rows, config);
        assert_eq!(
            a.to_bytes(),
            b.to_bytes(),
            "same seed, different model file"
        );
        let loaded = ForecastModel::from_bytes(&a.to_bytes()).unwrap();
        let x: Vec<&[f64]> = rows
            .iter()
            .take(200)
            .map(|r| r.features.as_slice())
            .collect();
        let (p, q) = (a.predict(&x), loaded.predict(&x));
        assert!(p.iter().zip(&q).all(|(u, v)| u.to_bits() == v.to_bits()));
    }

    #[test]
    fn other_versions_and_garbage_are_refused() {
        assert!(matches!(
            ForecastModel::from_bytes(b"hello"),
            Err(ModelFileError::NotAModel)
        ));
        let rows = synthetic();
        let bytes = fit_rows(
            &rows,
            TrainConfig {
                max_rows: 2_000,
                trees: 2,
                ..TrainConfig::default()
            },
        )
        .to_bytes();
        let mut other = bytes.clone();
        other[8] = (FORMAT_VERSION + 1) as u8; // the first field after the header
        assert!(
            matches!(ForecastModel::from_bytes(&other), Err(ModelFileError::Version { found, .. }) if found == FORMAT_VERSION + 1)
        );
        let mut schema = bytes.clone();
        schema[9] = (SCHEMA_VERSION + 1) as u8;
        let err = ForecastModel::from_bytes(&schema).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("feature schema version {}", SCHEMA_VERSION + 1)),
            "{err}"
        );
        assert!(matches!(
            ForecastModel::from_bytes(&bytes[..bytes.len() / 2]),
            Err(ModelFileError::Corrupt(_))
        ));
    }

    #[test]
    fn the_overload_threshold_trades_precision_for_recall() {
        // Forecasts sit 0.1 below reality for the overloads: 0.8 would miss most of them.
        let preds = [0.75, 0.74, 0.72, 0.9, 0.3, 0.2, 0.71, 0.1];
        let truth = [true, true, true, true, false, false, false, false];
        let tau = calibrate_overload_threshold(&preds, &truth);
        assert!((0.70..0.72).contains(&tau), "{tau}");
        // 0.8 already reaches recall 0.8 here, but only just: the widest margin is lower, where
        // every overload is called and no calm row is.
        let near = [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.7, 0.6, 0.5, 0.4];
        let near_truth = [[true; 10].as_slice(), &[false; 2]].concat();
        let with_margin = calibrate_overload_threshold(&near, &near_truth);
        assert!((0.59..0.60).contains(&with_margin), "{with_margin}");
        // Recall bought with precision: at 0.69 recall is 0.9 at precision 1.0 (margin 0.1); at
        // 0.59 recall is 1.0 but precision 10 / 15 (margin 0.067). The wider margin wins.
        let costly = [&near[..10], &[0.6; 5], &[0.1; 5]].concat();
        let costly_truth = [[true; 10].as_slice(), &[false; 10]].concat();
        let balanced = calibrate_overload_threshold(&costly, &costly_truth);
        assert!((0.60..0.70).contains(&balanced), "{balanced}");
        // The calibrated threshold meets both targets on the rows it was calibrated on.
        let rows: Vec<Row> = preds
            .iter()
            .zip(truth)
            .map(|(p, t)| Row {
                run: 0,
                shard: 0,
                interval: 0,
                features: {
                    let mut f = vec![0.0; FEATURES.len()];
                    f[column("load_t")] = *p;
                    f
                },
                label: *p,
                burst: false,
                seasonal: None,
                peak_ahead: if t { 0.9 } else { 0.5 },
            })
            .collect();
        let s = score("m", &rows, &preds, &preds, 1.0, tau);
        assert!(s.overload_recall.unwrap() >= 0.8 && s.overload_precision.unwrap() >= 0.6);
        let strict = score("m", &rows, &preds, &preds, 1.0, OVERLOAD);
        assert_eq!(strict.overload_recall, Some(0.25));
    }

    #[test]
    fn settings_are_checked_once() {
        let err = TrainConfig {
            trees: 0,
            ..TrainConfig::default()
        }
        .check()
        .unwrap_err();
        assert_eq!(err.to_string(), "training setting `trees` = 0: 1 to 500");
        assert!(
            TrainConfig {
                validation_share: 0.9,
                ..TrainConfig::default()
            }
            .check()
            .is_err()
        );
    }
}
