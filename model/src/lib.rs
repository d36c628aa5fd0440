//! # shardsim-model: forecasting every shard's load 15 minutes ahead
//!
//! ```text
//!  Cluster metrics ──▶ History ──▶ rows(features known at t, label = load at t + h)
//!                                        │
//!             time-ordered split ◀───────┘
//!   fit runs: forest + ridge ── held-out runs: blend each with a baseline, keep the best ──▶ ForecastModel (file)
//!   held-out seeds/scenarios: evaluate() against persistence, seasonal naive, moving average, EWMA,
//!   and the latent oracle where the rows carry it
//! ```
//!
//! The label is a shard's *offered load* (work arriving / capacity, may exceed 1) at t + horizon.
//! Features are computed from intervals up to t only; a test shifts the future and checks that
//! nothing at t changes.
//!
//! ## Layout
//!
//! | module | owns |
//! | --- | --- |
//! | [`features`] | the feature schema, [`History`], [`Row`]s and their labels |
//! | [`dataset`] | which runs validate which forecast (every k-th run, held-out seeds per scenario) |
//! | `regressor` | the forest and ridge regression behind a `Fit` → fitted → `Predict` pair of traits |
//! | [`config`] | [`TrainConfig`], checked once into [`config::CheckedConfig`] |
//! | [`mod@train`] | the procedure: split, fit both heads (the load relative to its recent mean), overload threshold |
//! | [`intervals`] | split-conformal prediction intervals per market regime, calibrated on validation |
//! | [`select`] | the load forecast's [`select::Blend`] with a baseline, chosen on validation: never worse there than a baseline |
//! | [`model_file`] | [`ForecastModel`], its forecasts and its file bytes |
//! | [`mod@evaluate`] | [`Scores`], [`evaluate()`], the [`Baseline`]s |
//! | [`forecaster`] | the same items at their original paths |
#![warn(missing_docs)]

pub mod config;
pub mod dataset;
pub mod evaluate;
pub mod features;
pub mod forecaster;
pub mod intervals;
pub mod model_file;
mod regressor;
pub mod select;
#[cfg(test)]
mod test_rows;
pub mod train;

pub use config::TrainConfig;
pub use evaluate::{Baseline, Scores, evaluate};
pub use features::{FEATURES, History, Row, rows};
pub use model_file::{ForecastModel, ModelFileError};
pub use regressor::ModelKind;
pub use shardsim_sim as sim;
pub use train::train;
