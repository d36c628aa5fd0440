//! Choosing the load forecast on validation, so that it is never worse there than a baseline:
//! each regressor's forecast is blended with each baseline a row's features hold
//! ([`ANCHORS`]) — `weight` of the way from the baseline to the regressor, once for a cluster
//! not surging and once for one surging at t — and the blend with the lowest validation MAE is
//! kept. A weight of 0 is the baseline alone, so the kept forecast's validation MAE is at most
//! the best baseline's.
//!
//! Why blend at all: a regressor fitted for squared error forecasts the conditional mean, which
//! in a surge hedges toward a return to calm that is less likely than not within the horizon,
//! and MAE charges for that; elsewhere the weight trims the regressor's own variance toward a
//! baseline that averages the arrival noise out.

use serde::{Deserialize, Serialize};

use crate::evaluate::Baseline;
use crate::features::{Row, surging};

/// The baselines a blend may start from: those a row's features hold.
pub const ANCHORS: [Baseline; 3] = [
    Baseline::Persistence,
    Baseline::MovingAverage,
    Baseline::Ewma,
];

/// Weights tried: 0 to 1 in steps of 0.05.
const WEIGHT_STEPS: u32 = 20;

/// How the load forecast is formed from a regressor's forecast.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Blend {
    /// The baseline it starts from (one of [`ANCHORS`]).
    pub anchor: Baseline,
    /// Share of the way from the anchor to the regressor's forecast, for a cluster not surging
    /// and surging at t ([`surging`]).
    pub weight: [f64; 2],
}

impl Blend {
    /// The blended forecast of a row's features given the regressor's forecast `p`.
    pub fn apply(&self, features: &[f64], p: f64) -> f64 {
        let a = self
            .anchor
            .from_features(features)
            .expect("anchors are feature baselines");
        a + self.weight[usize::from(surging(features))] * (p - a)
    }

    /// Whether the regressor has no say: the anchor baseline alone.
    pub fn is_baseline_alone(&self) -> bool {
        self.weight == [0.0, 0.0]
    }
}

/// The blend of a regressor's validation `forecasts` with the lowest MAE on the `valid` rows,
/// and that MAE. Ties keep the earlier anchor and the smaller weight: the simpler forecast.
pub fn fit_blend(valid: &[&Row], forecasts: &[f64]) -> (Blend, f64) {
    let mut best: Option<(Blend, f64)> = None;
    for anchor in ANCHORS {
        let mut weight = [0.0; 2];
        let mut total = 0.0;
        for (state, w) in weight.iter_mut().enumerate() {
            let rows: Vec<(f64, f64, f64)> = valid
                .iter()
                .zip(forecasts)
                .filter(|(r, _)| usize::from(surging(&r.features)) == state)
                .map(|(r, &p)| (anchor.forecast(r), p, r.label))
                .collect();
            let error = |a: f64| -> f64 {
                rows.iter()
                    .map(|&(base, p, label)| (base + a * (p - base) - label).abs())
                    .sum()
            };
            let (share, e) = (0..=WEIGHT_STEPS)
                .map(|i| f64::from(i) / f64::from(WEIGHT_STEPS))
                .fold((0.0, f64::INFINITY), |best, a| {
                    let e = error(a);
                    if e < best.1 { (a, e) } else { best }
                });
            *w = share;
            total += e;
        }
        let mae = total / valid.len().max(1) as f64;
        if best.as_ref().is_none_or(|(_, m)| mae < *m) {
            best = Some((Blend { anchor, weight }, mae));
        }
    }
    best.expect("at least one anchor")
}

/// One forecast the selection weighed, with its validation MAE.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Its name: a regressor, a baseline, or a blend (`random_forest + moving_average`).
    pub name: String,
    /// Validation MAE.
    pub mae: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rows::row_with;

    fn row(surge: bool, now: f64, mean15: f64, label: f64) -> Row {
        let features = [
            ("load_t", now),
            ("load_mean15", mean15),
            ("load_ewma", mean15),
        ];
        row_with(&features, label, surge)
    }

    #[test]
    fn a_regressor_worse_than_a_baseline_gets_no_weight() {
        // The label is the 15-interval mean; the regressor is off by 0.2 either way.
        let rows: Vec<Row> = (0..40)
            .map(|i| {
                row(
                    false,
                    0.9,
                    0.4 + 0.01 * f64::from(i % 5),
                    0.4 + 0.01 * f64::from(i % 5),
                )
            })
            .collect();
        let forecasts: Vec<f64> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| r.label + if i % 2 == 0 { 0.2 } else { -0.2 })
            .collect();
        let refs: Vec<&Row> = rows.iter().collect();
        let (blend, mae) = fit_blend(&refs, &forecasts);
        assert_eq!(blend.anchor, Baseline::MovingAverage);
        assert_eq!(blend.weight[0], 0.0);
        assert!(blend.is_baseline_alone());
        assert!(mae < 1e-12, "{mae}");
        assert_eq!(blend.apply(&rows[3].features, 5.0), rows[3].label);
    }

    #[test]
    fn a_surge_that_persists_pulls_the_forecast_back_to_the_load_at_t() {
        // Calm rows: the regressor is right. Surging rows: the surge persists (label = load at
        // t) in 7 of 10, but the regressor forecasts the mean, 0.3 below.
        let mut rows = Vec::new();
        let mut forecasts = Vec::new();
        for i in 0..20 {
            let now = 0.3 + 0.01 * f64::from(i);
            rows.push(row(false, now, now, now + 0.1));
            forecasts.push(now + 0.1);
        }
        for i in 0..10 {
            rows.push(row(true, 1.0, 1.0, if i < 7 { 1.0 } else { 0.0 }));
            forecasts.push(0.7);
        }
        let refs: Vec<&Row> = rows.iter().collect();
        let (blend, _) = fit_blend(&refs, &forecasts);
        assert_eq!(blend.weight, [1.0, 0.0]);
        assert_eq!(blend.apply(&rows[25].features, 0.7), 1.0);
        assert_eq!(blend.apply(&rows[0].features, 0.4), 0.4);
    }
}
