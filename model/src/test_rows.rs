//! Rows and a trained model for the unit tests of several modules.

use std::collections::BTreeMap;

use crate::config::TrainConfig;
use crate::features::{FEATURES, Row, column};
use crate::model_file::ForecastModel;
use crate::train::train;

/// A row of run 0, shard 0, interval 0 with the named features set (the rest 0), its label, and
/// a surging cluster (and a burst) when `surge`.
pub(crate) fn row_with(features: &[(&str, f64)], label: f64, surge: bool) -> Row {
    let mut f = vec![0.0; FEATURES.len()];
    for (name, x) in features {
        f[column(name)] = *x;
    }
    f[column("surge_ratio_t")] = if surge { 2.0 } else { 1.0 };
    Row {
        run: 0,
        shard: 0,
        interval: 0,
        features: f,
        label,
        burst: surge,
        seasonal: None,
        latent_oracle: None,
        peak_ahead: label,
    }
}

/// Rows whose label is a known function of two features, over 4 runs × 300 intervals.
pub(crate) fn synthetic() -> Vec<Row> {
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
                    latent_oracle: None,
                    peak_ahead: (0.8 * a + 0.4 * b).max(a),
                });
            }
        }
    }
    rows
}

/// Trains on `rows` (one unnamed scenario, 15-interval horizon) with checked `config`.
pub(crate) fn fit_rows(rows: &[Row], config: TrainConfig) -> ForecastModel {
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
