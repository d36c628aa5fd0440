//! Prediction intervals for the load forecast by split-conformal calibration (Vovk et al.,
//! *Algorithmic Learning in a Random World*, 2005; Lei et al., JASA 2018): the residuals of the
//! kept forecast on the validation runs, which it was not fitted on, give the interval's edges.
//!
//! Two refinements, both read from the operator's view only:
//! * residuals are taken relative to the shard's recent mean load ([`relative_scale`]): the
//!   market world's noise is multiplicative, so a busy shard's interval is wider in proportion;
//! * calibration is *Mondrian* — separate per regime of the market as the feed and the load
//!   show it at t ([`Regime`]) — so that an interval covers as often in a surge as in a calm
//!   hour, not only on average over both.

use serde::{Deserialize, Serialize};

use crate::features::{Row, column, surging};
use crate::train::relative_scale;

/// The realised volatility of the last 5 intervals at which the feed counts as agitated: 25%
/// above its last hour's (a choice).
pub const AGITATED_VOL_RATIO: f64 = 1.25;

/// The regime of a row at t, as an operator sees it: whether the cluster is surging
/// ([`surging`]) and whether the price feed's recent volatility is up ([`AGITATED_VOL_RATIO`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Regime {
    /// The cluster's load is surging.
    pub surging: bool,
    /// The feed's volatility is up.
    pub agitated: bool,
}

impl Regime {
    /// Number of regimes.
    pub const COUNT: usize = 4;

    /// The regime of a row's features.
    pub fn of(features: &[f64]) -> Regime {
        Regime {
            surging: surging(features),
            agitated: features[column("feed_vol5_ratio")] >= AGITATED_VOL_RATIO,
        }
    }

    /// Its index, 0 to [`Regime::COUNT`] − 1.
    pub fn index(self) -> usize {
        usize::from(self.surging) * 2 + usize::from(self.agitated)
    }
}

/// Coverage levels a model can give intervals at.
pub const LEVELS: [f64; 4] = [0.5, 0.8, 0.9, 0.95];

/// Regimes with fewer calibration rows than this use the quantiles of all regimes pooled:
/// below it the 2.5% and 97.5% edges rest on a handful of rows (a choice).
pub const MIN_REGIME_ROWS: usize = 400;

/// The calibrated edges: per regime and per level of [`LEVELS`], the lower and upper quantile
/// of `(label − forecast) / relative_scale`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Intervals {
    /// `edges[regime][level]`: (lower, upper).
    edges: Vec<Vec<(f64, f64)>>,
    /// Calibration rows per regime.
    rows: Vec<usize>,
}

/// The empirical quantile of sorted `x` with the split-conformal correction: the
/// ⌈(n + 1) p⌉-th smallest for an upper edge, the ⌊(n + 1) p⌋-th for a lower one (clamped to
/// the sample), so that a new exchangeable residual falls inside with probability ≥ the level.
fn conformal_quantile(sorted: &[f64], p: f64, upper: bool) -> f64 {
    let n = sorted.len();
    let rank = (n + 1) as f64 * p;
    let k = if upper { rank.ceil() } else { rank.floor() } as usize;
    sorted[k.clamp(1, n) - 1]
}

fn edges_of(mut residuals: Vec<f64>) -> Vec<(f64, f64)> {
    residuals.sort_by(f64::total_cmp);
    LEVELS
        .iter()
        .map(|level| {
            let tail = (1.0 - level) / 2.0;
            (
                conformal_quantile(&residuals, tail, false),
                conformal_quantile(&residuals, 1.0 - tail, true),
            )
        })
        .collect()
}

impl Intervals {
    /// Calibrates on validation rows and the kept forecast's forecasts of them. `None` without
    /// rows.
    pub fn calibrate(rows: &[&Row], forecasts: &[f64]) -> Option<Intervals> {
        if rows.is_empty() {
            return None;
        }
        let relative = |r: &Row, p: f64| (r.label - p) / relative_scale(&r.features);
        let all: Vec<f64> = rows
            .iter()
            .zip(forecasts)
            .map(|(r, &p)| relative(r, p))
            .collect();
        let pooled = edges_of(all);
        let mut edges = Vec::new();
        let mut counts = Vec::new();
        for regime in 0..Regime::COUNT {
            let residuals: Vec<f64> = rows
                .iter()
                .zip(forecasts)
                .filter(|(r, _)| Regime::of(&r.features).index() == regime)
                .map(|(r, &p)| relative(r, p))
                .collect();
            counts.push(residuals.len());
            edges.push(if residuals.len() >= MIN_REGIME_ROWS {
                edges_of(residuals)
            } else {
                pooled.clone()
            });
        }
        Some(Intervals {
            edges,
            rows: counts,
        })
    }

    /// The interval at `level` (one of [`LEVELS`]) around forecast `p` of a row's features;
    /// `None` for another level. The lower edge is at least 0: load is never negative.
    pub fn around(&self, features: &[f64], p: f64, level: f64) -> Option<(f64, f64)> {
        let l = LEVELS.iter().position(|x| (x - level).abs() < 1e-9)?;
        let (lo, hi) = self.edges[Regime::of(features).index()][l];
        let scale = relative_scale(features);
        Some(((p + lo * scale).max(0.0), p + hi * scale))
    }

    /// Calibration rows per regime (index [`Regime::index`]).
    pub fn rows_per_regime(&self) -> &[usize] {
        &self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rows::row_with;

    fn row(label: f64, mean15: f64, surge: bool) -> Row {
        row_with(&[("load_mean15", mean15)], label, surge)
    }

    #[test]
    fn the_conformal_quantile_leaves_the_promised_share_outside() {
        let x: Vec<f64> = (1..=99).map(f64::from).collect();
        // (n + 1) · 0.95 = 95: the 95th smallest.
        assert_eq!(conformal_quantile(&x, 0.95, true), 95.0);
        assert_eq!(conformal_quantile(&x, 0.05, false), 5.0);
        assert_eq!(conformal_quantile(&x, 1.0, true), 99.0);
        assert_eq!(conformal_quantile(&x, 0.0, false), 1.0);
    }

    #[test]
    fn intervals_cover_their_level_and_widen_where_the_regime_is_wilder() {
        // Calm rows: residuals spread ±0.1 of the mean load; surging rows: ±0.5.
        let mut rows = Vec::new();
        for i in 0..2_000 {
            let u = f64::from(i % 100) / 99.0 - 0.5; // −0.5 … 0.5
            rows.push(row(1.0 + 0.2 * u, 1.0, false));
            rows.push(row(1.0 + 1.0 * u, 1.0, true));
        }
        let refs: Vec<&Row> = rows.iter().collect();
        let forecasts = vec![1.0; rows.len()];
        let iv = Intervals::calibrate(&refs, &forecasts).unwrap();
        let covered = |surge: bool, level: f64| {
            let inside = rows
                .iter()
                .filter(|r| surging(&r.features) == surge)
                .filter(|r| {
                    let (lo, hi) = iv.around(&r.features, 1.0, level).unwrap();
                    lo <= r.label && r.label <= hi
                })
                .count();
            inside as f64 / 2_000.0
        };
        for level in LEVELS {
            for surge in [false, true] {
                let c = covered(surge, level);
                assert!(c >= level && c <= level + 0.03, "{level} {surge}: {c}");
            }
        }
        let calm = iv.around(&rows[0].features, 1.0, 0.9).unwrap();
        let wild = iv.around(&rows[1].features, 1.0, 0.9).unwrap();
        assert!(
            wild.1 - wild.0 > 4.0 * (calm.1 - calm.0),
            "{calm:?} {wild:?}"
        );
        assert_eq!(iv.around(&rows[0].features, 1.0, 0.42), None);
        assert_eq!(iv.rows_per_regime(), &[2_000, 0, 2_000, 0]);
    }
}
