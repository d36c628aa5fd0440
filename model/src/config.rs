//! Training settings as a user writes them ([`TrainConfig`]), checked once into the
//! [`CheckedConfig`] that training takes (linfa's parameters → checked parameters), so nothing
//! downstream re-validates them.

use serde::{Deserialize, Serialize};

use crate::features::{FEATURES, FeatureSet};

/// Hyper-parameters as a user writes them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Trees in the forest (1 to 500).
    pub trees: usize,
    /// Maximum tree depth (1 to 64).
    pub max_depth: u16,
    /// Minimum rows in a leaf (at least 1).
    pub min_samples_leaf: usize,
    /// Features tried per split (1 to the feature count; at most the feature set's size is used).
    pub features_per_split: usize,
    /// Ridge penalty (> 0).
    pub ridge_alpha: f64,
    /// Share held out for choosing the model (0.05 to 0.5): see
    /// [`every_kth_run`](crate::dataset::every_kth_run) and
    /// [`held_out_runs`](crate::dataset::held_out_runs); of a single run, its latest intervals.
    pub validation_share: f64,
    /// Training rows at most (an evenly spaced subsample beyond it), at least 1,000.
    pub max_rows: usize,
    /// Seed of the forest's bootstrap and feature sampling.
    pub seed: u64,
    /// The features the regressors read.
    pub feature_set: FeatureSet,
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
            feature_set: FeatureSet::All,
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

impl CheckedConfig {
    /// The settings, as checked.
    pub fn settings(&self) -> &TrainConfig {
        &self.0
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

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
