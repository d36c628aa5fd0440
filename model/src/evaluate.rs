//! Scoring forecasts on held-out rows: a model's, and the baselines' ([`Baseline`]), with
//! persistence as the reference for skill.

use serde::{Deserialize, Serialize};

use crate::features::{OVERLOAD, Row, column};
use crate::model_file::ForecastModel;

/// The baselines a model is scored against, in the order they are reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Baseline {
    /// The load at t.
    Persistence,
    /// The load one day before the target time (the load at t without a day of history).
    SeasonalNaive,
    /// The mean load over the last 15 intervals.
    MovingAverage,
    /// The exponentially weighted mean load ([`crate::features::EWMA_ALPHA`]).
    Ewma,
}

impl Baseline {
    /// Every baseline, in report order.
    pub const ALL: [Baseline; 4] = [
        Baseline::Persistence,
        Baseline::SeasonalNaive,
        Baseline::MovingAverage,
        Baseline::Ewma,
    ];

    /// Its name in scores.
    pub const fn name(self) -> &'static str {
        match self {
            Baseline::Persistence => "persistence",
            Baseline::SeasonalNaive => "seasonal_naive",
            Baseline::MovingAverage => "moving_average",
            Baseline::Ewma => "ewma",
        }
    }

    /// The baseline called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Baseline> {
        Baseline::ALL.into_iter().find(|b| b.name() == name)
    }

    /// Its forecast from a row's features alone (`None` for seasonal-naive, which needs the
    /// load a day before the target).
    pub fn from_features(self, features: &[f64]) -> Option<f64> {
        match self {
            Baseline::Persistence => Some(features[column("load_t")]),
            Baseline::SeasonalNaive => None,
            Baseline::MovingAverage => Some(features[column("load_mean15")]),
            Baseline::Ewma => Some(features[column("load_ewma")]),
        }
    }

    /// Its forecast for a row.
    pub fn forecast(self, row: &Row) -> f64 {
        let persistence = || row.features[column("load_t")];
        match self {
            Baseline::SeasonalNaive => row.seasonal.unwrap_or_else(persistence),
            b => b
                .from_features(&row.features)
                .expect("every other baseline reads the features"),
        }
    }
}

/// The baselines, by name, as forecasts of a row.
pub const BASELINES: [&str; 4] = [
    Baseline::ALL[0].name(),
    Baseline::ALL[1].name(),
    Baseline::ALL[2].name(),
    Baseline::ALL[3].name(),
];

/// A baseline's forecast for a row, by name.
///
/// # Panics
/// If `name` is none of [`BASELINES`].
pub fn baseline(name: &str, row: &Row) -> f64 {
    Baseline::from_name(name)
        .unwrap_or_else(|| panic!("unknown baseline {name}"))
        .forecast(row)
}

/// Overload calls against what happened: true and false positives, false negatives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Confusion {
    pub(crate) tp: usize,
    pub(crate) fp: usize,
    pub(crate) fneg: usize,
}

impl Confusion {
    /// Counts (score, actual) pairs, a score above `threshold` calling an overload.
    pub(crate) fn count(calls: impl Iterator<Item = (f64, bool)>, threshold: f64) -> Confusion {
        let mut c = Confusion::default();
        for (p, actual) in calls {
            match (p > threshold, actual) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, true) => c.fneg += 1,
                _ => {}
            }
        }
        c
    }
}

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
    /// The share of rows whose label fell inside the forecast's 90% interval (a model's only).
    pub coverage90: Option<f64>,
    /// The same, burst rows only.
    pub coverage90_burst: Option<f64>,
    /// The 90% interval's mean width, in load.
    pub width90: Option<f64>,
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
    let persistence: Vec<f64> = rows
        .iter()
        .map(|r| Baseline::Persistence.forecast(r))
        .collect();
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
        .map(|(r, p)| (p - r.label) * (p - r.label))
        .sum();
    let Confusion { tp, fp, fneg } = Confusion::count(
        rows.iter()
            .zip(overload_scores)
            .map(|(r, &p)| (p, r.overload_ahead())),
        threshold,
    );
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
        coverage90: None,
        coverage90_burst: None,
        width90: None,
    }
}

/// `s` with the coverage and width of the 90% `intervals` (lower, upper per row of `rows`).
fn with_coverage(mut s: Scores, rows: &[Row], intervals: &[(f64, f64, f64)]) -> Scores {
    let share = |keep: &dyn Fn(&Row) -> bool| {
        let (mut inside, mut n) = (0usize, 0usize);
        for (r, &(_, lo, hi)) in rows.iter().zip(intervals) {
            if keep(r) {
                n += 1;
                inside += usize::from(lo <= r.label && r.label <= hi);
            }
        }
        (n > 0).then(|| inside as f64 / n as f64)
    };
    s.coverage90 = share(&|_| true);
    s.coverage90_burst = share(&|r| r.burst);
    s.width90 = (!rows.is_empty())
        .then(|| intervals.iter().map(|(_, lo, hi)| hi - lo).sum::<f64>() / rows.len() as f64);
    s
}

/// Scores the model and every baseline on `rows`, then the latent oracle where rows carry it.
pub fn evaluate(model: &ForecastModel, rows: &[Row]) -> Vec<Scores> {
    let x: Vec<&[f64]> = rows.iter().map(|r| r.features.as_slice()).collect();
    let (preds, peaks) = (model.predict(&x), model.predict_peak(&x));
    let scored = score(
        model.kind.name(),
        rows,
        &preds,
        &peaks,
        model.mase_scale,
        model.overload_threshold,
    );
    let intervals = model
        .predict_interval(&x, 0.9)
        .expect("0.9 is a calibrated level");
    let mut out = vec![with_coverage(scored, rows, &intervals)];
    for b in Baseline::ALL {
        let p: Vec<f64> = rows.iter().map(|r| b.forecast(r)).collect();
        out.push(score(b.name(), rows, &p, &p, model.mase_scale, OVERLOAD));
    }
    let oracle: Option<Vec<f64>> = rows.iter().map(|r| r.latent_oracle).collect();
    if let Some(p) = oracle.filter(|p| !p.is_empty()) {
        out.push(score(
            LATENT_ORACLE,
            rows,
            &p,
            &p,
            model.mase_scale,
            OVERLOAD,
        ));
    }
    out
}

/// The row of [`evaluate`] scoring the latent oracle (when every row has its forecast): the
/// expected load given the world's hidden intensities, the skill no forecaster can beat.
pub const LATENT_ORACLE: &str = "latent_oracle";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TrainConfig;
    use crate::test_rows::{fit_rows, synthetic};

    #[test]
    fn baselines_keep_their_names_in_report_order() {
        assert_eq!(
            BASELINES,
            ["persistence", "seasonal_naive", "moving_average", "ewma"]
        );
        for b in Baseline::ALL {
            assert_eq!(Baseline::from_name(b.name()), Some(b));
        }
        assert_eq!(Baseline::from_name("naive"), None);
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
}
