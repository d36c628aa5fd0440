//! The two regressors behind a forecast, linfa-style: an unfitted learner ([`ForestParams`],
//! [`RidgeParams`]) is [`Fit`] on rows and targets and returns a different, fitted type
//! ([`Forest`], [`Ridge`]) that can only [`Predict`]. [`Predictor`] is whichever of the two a
//! model file keeps; its serialized form is part of the model file (see `model_file.rs`), so its
//! variants and their fields keep their order.

use serde::{Deserialize, Serialize};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::ridge_regression::{RidgeRegression, RidgeRegressionParameters};

use crate::config::TrainConfig;

type Matrix = DenseMatrix<f64>;

/// Why fitting failed: smartcore's or the matrix builder's message.
pub(crate) type FitError = String;

/// An unfitted learner.
pub(crate) trait Fit {
    /// What fitting it gives.
    type Fitted: Predict;
    /// Fits `targets` (one per row) on `rows`, all of one width.
    fn fit(&self, rows: &[&[f64]], targets: &[f64]) -> Result<Self::Fitted, FitError>;
}

/// A fitted regressor.
pub(crate) trait Predict {
    /// One forecast per row (rows of the width it was fitted on).
    fn predict(&self, rows: &[&[f64]]) -> Vec<f64>;
}

/// Which regressor a model file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ModelKind {
    /// smartcore random forest.
    RandomForest,
    /// smartcore ridge regression.
    Ridge,
}

impl ModelKind {
    /// Its name in scores: `random_forest` or `ridge`.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::RandomForest => "random_forest",
            ModelKind::Ridge => "ridge",
        }
    }
}

fn matrix(rows: &[&[f64]]) -> Result<Matrix, FitError> {
    DenseMatrix::from_2d_array(rows).map_err(|e| e.to_string())
}

/// The forest's settings, from [`TrainConfig`].
pub(crate) struct ForestParams {
    trees: usize,
    max_depth: u16,
    min_samples_leaf: usize,
    features_per_split: usize,
    seed: u64,
}

impl ForestParams {
    pub(crate) fn of(cfg: &TrainConfig) -> ForestParams {
        ForestParams {
            trees: cfg.trees,
            max_depth: cfg.max_depth,
            min_samples_leaf: cfg.min_samples_leaf,
            features_per_split: cfg.features_per_split,
            seed: cfg.seed,
        }
    }
}

/// A fitted smartcore random forest.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Forest(RandomForestRegressor<f64, f64, Matrix, Vec<f64>>);

impl Fit for ForestParams {
    type Fitted = Forest;
    fn fit(&self, rows: &[&[f64]], targets: &[f64]) -> Result<Forest, FitError> {
        RandomForestRegressor::fit(
            &matrix(rows)?,
            &targets.to_vec(),
            RandomForestRegressorParameters::default()
                .with_n_trees(self.trees)
                .with_max_depth(self.max_depth)
                .with_min_samples_leaf(self.min_samples_leaf)
                .with_min_samples_split(2 * self.min_samples_leaf)
                // At most the columns there are (a feature subset has fewer).
                .with_m(
                    self.features_per_split
                        .min(rows.first().map_or(1, |r| r.len())),
                )
                .with_seed(self.seed),
        )
        .map(Forest)
        .map_err(|e| e.to_string())
    }
}

impl Predict for Forest {
    fn predict(&self, rows: &[&[f64]]) -> Vec<f64> {
        self.0
            .predict(&matrix(rows).expect("rows of the schema's width"))
            .expect("a fitted model predicts")
    }
}

/// Ridge regression's penalty.
pub(crate) struct RidgeParams {
    pub(crate) alpha: f64,
}

/// A fitted ridge regression on standardised columns and a centred label.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Ridge {
    model: RidgeRegression<f64, f64, Matrix, Vec<f64>>,
    scaler: Scaler,
}

impl Fit for RidgeParams {
    type Fitted = Ridge;
    fn fit(&self, rows: &[&[f64]], targets: &[f64]) -> Result<Ridge, FitError> {
        let scaler = Scaler::fit(rows, targets);
        let centred: Vec<f64> = targets.iter().map(|v| v - scaler.label_mean).collect();
        let model = RidgeRegression::fit(
            &scaler.matrix(rows)?,
            &centred,
            RidgeRegressionParameters::default()
                .with_alpha(self.alpha)
                .with_normalize(false),
        )
        .map_err(|e| e.to_string())?;
        Ok(Ridge { model, scaler })
    }
}

impl Predict for Ridge {
    fn predict(&self, rows: &[&[f64]]) -> Vec<f64> {
        self.model
            .predict(
                &self
                    .scaler
                    .matrix(rows)
                    .expect("rows of the schema's width"),
            )
            .map(|p| p.iter().map(|x| x + self.scaler.label_mean).collect())
            .expect("a fitted model predicts")
    }
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
                let sd = (rows
                    .iter()
                    .map(|r| (r[j] - mean[j]) * (r[j] - mean[j]))
                    .sum::<f64>()
                    / n)
                    .sqrt();
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

    /// The standardised rows as a smartcore matrix.
    fn matrix(&self, rows: &[&[f64]]) -> Result<Matrix, FitError> {
        let v = self.apply(rows);
        matrix(&v.iter().map(Vec::as_slice).collect::<Vec<_>>())
    }
}

/// The regressor a model keeps for one target.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Predictor {
    /// A random forest.
    Forest(Forest),
    /// A ridge regression with its scaler.
    Ridge(Ridge),
}

impl Predictor {
    /// Which kind it is.
    pub(crate) fn kind(&self) -> ModelKind {
        match self {
            Predictor::Forest(_) => ModelKind::RandomForest,
            Predictor::Ridge(_) => ModelKind::Ridge,
        }
    }
}

impl Predict for Predictor {
    fn predict(&self, rows: &[&[f64]]) -> Vec<f64> {
        if rows.is_empty() {
            return Vec::new();
        }
        match self {
            Predictor::Forest(f) => f.predict(rows),
            Predictor::Ridge(r) => r.predict(rows),
        }
    }
}
