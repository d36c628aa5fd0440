//! The forecaster's public items at their original path (`shardsim_model::forecaster::…`), which
//! other crates use. Each lives in the module that owns it: settings in [`crate::config`], the
//! validation runs in [`crate::dataset`], the procedure in [`mod@crate::train`], the model and its file
//! in [`crate::model_file`], scores and baselines in [`mod@crate::evaluate`].

pub use crate::config::{CheckedConfig, ConfigError, TrainConfig};
pub use crate::dataset::{every_kth_run, held_out_runs};
pub use crate::evaluate::{BASELINES, Baseline, Scores, baseline, evaluate, score};
pub use crate::model_file::{FORMAT_VERSION, ForecastModel, ModelFileError, TrainMetadata};
pub use crate::regressor::ModelKind;
pub use crate::select::{Blend, Candidate, fit_blend};
pub use crate::train::{
    TARGET_PRECISION, TARGET_RECALL, TrainError, calibrate_overload_threshold, train,
};
