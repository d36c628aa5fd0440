//! # shardsim-model: forecasting every shard's load 15 minutes ahead
//!
//! ```text
//!  Cluster metrics ──▶ History ──▶ rows(features known at t, label = load at t + h)
//!                                        │
//!             time-ordered split ◀───────┘
//!   earlier intervals: fit forest + ridge ── later intervals: choose by MAE ──▶ ForecastModel (file)
//!   held-out seeds/scenarios: evaluate() against persistence, seasonal naive, moving average, EWMA
//! ```
//!
//! The label is a shard's *offered load* (work arriving / capacity, may exceed 1) at t + horizon.
//! Features are computed from intervals up to t only; a test shifts the future and checks that
//! nothing at t changes.
#![warn(missing_docs)]

pub mod features;
pub mod forecaster;

pub use features::{FEATURES, History, Row, rows};
pub use forecaster::{
    ForecastModel, ModelFileError, ModelKind, Scores, TrainConfig, evaluate, train,
};
pub use shardsim_sim as sim;
