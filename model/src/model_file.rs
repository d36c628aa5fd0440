//! The trained forecaster ([`ForecastModel`]), its forecasts, and its file: a magic header, the
//! postcard encoding of the struct, then an FNV-1a checksum of everything before it (8 bytes,
//! little-endian), so a damaged file is refused before it is decoded. The encoding follows the declaration order of the fields
//! here and of the variants in `regressor.rs`, so both keep their order; [`FORMAT_VERSION`] is
//! bumped whenever the layout changes.

use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;
use crate::features::{FEATURES, SCHEMA_VERSION};
use crate::intervals::Intervals;
use crate::regressor::{ModelKind, Predict, Predictor};
use crate::select::{Blend, Candidate};
use crate::train::Target;

/// Bumped whenever the file layout changes.
/// 5: the columns the regressors read (a feature subset).
/// 6: the load forecast's blend with a baseline and the candidates weighed, in place of the
/// shrinkage toward the load at t; the load regressor forecasts relative to the 15-interval mean.
/// 7: prediction intervals.
pub const FORMAT_VERSION: u32 = 7;
const CHECKSUM_BYTES: usize = 8;
const MAGIC: &[u8; 8] = b"SHSMODEL";

/// What a model was trained on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainMetadata {
    /// Free text: scenarios and seeds, or the dataset file.
    pub source: String,
    /// Rows available, and rows the load regressors were fitted on.
    pub rows: (usize, usize),
    /// The load forecasts weighed on validation, with their MAE: each regressor, each anchor
    /// baseline, then the kept blend.
    pub candidates: Vec<Candidate>,
    /// Validation MAE of the peak forecast: (forest, ridge, the load at t).
    pub peak_validation_mae: (f64, f64, f64),
    /// The hyper-parameters.
    pub config: TrainConfig,
}

/// A trained forecaster: two regressors (the load at t + horizon, and the peak load over
/// (t, t + horizon]), their feature schema, horizon and provenance.
#[derive(Debug, Serialize, Deserialize)]
pub struct ForecastModel {
    pub(crate) format_version: u32,
    pub(crate) schema_version: u32,
    pub(crate) features: Vec<String>,
    /// The columns of [`FEATURES`] its regressors read, ascending (all of them unless it was
    /// trained on a [`FeatureSet`](crate::features::FeatureSet) subset).
    pub(crate) columns: Vec<u16>,
    /// Forecast horizon, in metrics intervals.
    pub horizon_intervals: u32,
    /// Metrics interval the model was trained at, seconds.
    pub interval_secs: f64,
    /// The regressor kept for the load forecast.
    pub kind: ModelKind,
    /// What it forecasts: the load, or the load relative to the recent mean.
    pub target: Target,
    /// The regressor kept for the peak forecast.
    pub peak_kind: ModelKind,
    /// Training MAE of persistence: the scale of MASE.
    pub mase_scale: f64,
    /// How the load forecast is formed from the regressor's: chosen on validation (see
    /// [`crate::select`]).
    pub blend: Blend,
    /// The load forecast's prediction intervals, calibrated on validation (see
    /// [`crate::intervals`]).
    pub intervals: Intervals,
    /// A peak forecast above this predicts "the shard will exceed 0.8 load within the horizon":
    /// calibrated on the held-out runs (see
    /// [`calibrate_overload_threshold`](crate::train::calibrate_overload_threshold)).
    pub overload_threshold: f64,
    /// Provenance.
    pub metadata: TrainMetadata,
    pub(crate) predictor: Predictor,
    pub(crate) peak_predictor: Predictor,
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
    #[error("corrupt model file: {0}")]
    Corrupt(String),
}

impl ForecastModel {
    /// Point forecasts of the load at t + horizon for feature rows (one per shard, say): the
    /// regressor's forecast blended with a baseline by [`ForecastModel::blend`], for the lowest
    /// absolute error. This is the forecast `evaluate` scores.
    pub fn predict(&self, rows: &[&[f64]]) -> Vec<f64> {
        if self.blend.is_baseline_alone() {
            return rows.iter().map(|row| self.blend.apply(row, 0.0)).collect();
        }
        rows.iter()
            .zip(self.predict_mean(rows))
            .map(|(row, p)| self.blend.apply(row, p))
            .collect()
    }

    /// The load forecast ([`ForecastModel::predict`]) with its interval at `level` (one of
    /// [`crate::intervals::LEVELS`]; `None` for another): (forecast, lower, upper) per row.
    pub fn predict_interval(&self, rows: &[&[f64]], level: f64) -> Option<Vec<(f64, f64, f64)>> {
        rows.iter()
            .zip(self.predict(rows))
            .map(|(row, p)| {
                self.intervals
                    .around(row, p, level)
                    .map(|(lo, hi)| (p, lo, hi))
            })
            .collect()
    }

    /// The regressor's own forecasts of the load at t + horizon: the expected load (it is fitted
    /// for squared error), which is what weighing costs and benefits needs. The planner uses
    /// these; shrinking them toward the load at t made its plans worse (see
    /// docs/design-notes.md).
    pub fn predict_mean(&self, rows: &[&[f64]]) -> Vec<f64> {
        rows.iter()
            .zip(self.regress(&self.predictor, self.target, rows))
            .map(|(row, p)| p * self.target.scale(row))
            .collect()
    }

    /// `predictor`'s forecasts of full feature rows, through the columns it was trained on, as a
    /// regressor of `target` reads them.
    fn regress(&self, predictor: &Predictor, target: Target, rows: &[&[f64]]) -> Vec<f64> {
        if self.columns.len() == FEATURES.len() && target == Target::Level {
            return predictor.predict(rows);
        }
        let columns: Vec<usize> = self.columns.iter().map(|&c| usize::from(c)).collect();
        let projected = crate::train::project(rows.iter().copied(), &columns, target);
        let refs: Vec<&[f64]> = projected.iter().map(Vec::as_slice).collect();
        predictor.predict(&refs)
    }

    /// Forecasts of the peak load over (t, t + horizon]; above [`ForecastModel::overload_threshold`],
    /// the shard is predicted to exceed the overload level within the horizon.
    pub fn predict_peak(&self, rows: &[&[f64]]) -> Vec<f64> {
        self.regress(&self.peak_predictor, Target::Level, rows)
    }

    /// The file bytes: a magic header, then the postcard encoding (exact for every float).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend(postcard::to_stdvec(self).expect("models serialise"));
        let sum = checksum(&out);
        out.extend(sum.to_le_bytes());
        out
    }

    /// Reads a model file, refusing other format or schema versions.
    pub fn from_bytes(bytes: &[u8]) -> Result<ForecastModel, ModelFileError> {
        let body = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or(ModelFileError::NotAModel)?;
        // The two version fields lead the encoding, so they can be read before the rest.
        let (format, _): (u32, _) =
            postcard::take_from_bytes(body).map_err(|e| ModelFileError::Corrupt(e.to_string()))?;
        if format != FORMAT_VERSION {
            return Err(ModelFileError::Version {
                found: format,
                expected: FORMAT_VERSION,
            });
        }
        let Some(sealed) = bytes.len().checked_sub(CHECKSUM_BYTES) else {
            return Err(ModelFileError::Corrupt("checksum missing".into()));
        };
        let (payload, stored) = bytes.split_at(sealed);
        let stored = u64::from_le_bytes(stored.try_into().expect("8 bytes"));
        if sealed < MAGIC.len() || checksum(payload) != stored {
            return Err(ModelFileError::Corrupt("checksum mismatch".into()));
        }
        let body = &payload[MAGIC.len()..];
        let (_, rest): (u32, _) =
            postcard::take_from_bytes(body).map_err(|e| ModelFileError::Corrupt(e.to_string()))?;
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
        let model: ForecastModel =
            postcard::from_bytes(body).map_err(|e| ModelFileError::Corrupt(e.to_string()))?;
        let ascending = model.columns.windows(2).all(|w| w[0] < w[1]);
        if model.columns.is_empty()
            || !ascending
            || model
                .columns
                .iter()
                .any(|&c| usize::from(c) >= FEATURES.len())
        {
            return Err(ModelFileError::Corrupt(
                "the model's feature columns are not ascending columns of the schema".into(),
            ));
        }
        Ok(model)
    }
}

/// FNV-1a over the file's bytes before the checksum.
fn checksum(bytes: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = shardsim_sim::hash::StableHasher::new();
    h.write(bytes);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TrainConfig;
    use crate::test_rows::{fit_rows, synthetic};

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
    fn a_load_history_model_reads_only_the_load_columns_and_round_trips() {
        let rows = synthetic();
        let model = fit_rows(
            &rows,
            TrainConfig {
                max_rows: 3_000,
                trees: 10,
                feature_set: crate::features::FeatureSet::LoadHistory,
                ..TrainConfig::default()
            },
        );
        let loaded = ForecastModel::from_bytes(&model.to_bytes()).unwrap();
        let cluster = crate::features::column("cluster_mean_load_t");
        for r in rows.iter().take(100) {
            let mut other = r.features.clone();
            other[cluster] += 7.0; // not a load column: must not move the forecast
            let (p, q) = (
                loaded.predict_mean(&[&r.features]),
                loaded.predict_mean(&[&other]),
            );
            assert_eq!(p[0].to_bits(), q[0].to_bits());
            assert_eq!(
                model.predict_peak(&[&r.features]),
                loaded.predict_peak(&[&other])
            );
        }
        assert_eq!(loaded.columns.len(), 13);
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
        let mut schema = bytes[..bytes.len() - CHECKSUM_BYTES].to_vec();
        schema[9] = (SCHEMA_VERSION + 1) as u8;
        let sum = checksum(&schema);
        schema.extend(sum.to_le_bytes());
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
        // Any one flipped byte past the version is caught by the checksum, before decoding.
        for at in (10..bytes.len()).step_by(bytes.len() / 50 + 1) {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x20;
            let err = ForecastModel::from_bytes(&flipped).unwrap_err();
            assert_eq!(
                err.to_string(),
                "corrupt model file: checksum mismatch",
                "byte {at}"
            );
        }
    }
}
