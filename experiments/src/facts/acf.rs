//! Autocorrelation of activity (and of |returns| when the run has prices) at the lags of
//! [`FactParams::acf_lags`](super::FactParams), raw and deseasonalised.
//!
//! **Why both.** The raw ACF of a series with a daily cycle is inflated at every lag shorter than
//! the cycle: two intervals an hour apart are both busy at 15:00 and both quiet at 09:00. Dividing
//! each interval by the mean of its hour of day ([`deseasonalise`]) removes the cycle, and what
//! is left is the memory of the arrival process itself (self-excitation, volatility clustering).
//! The published comparison uses the deseasonalised value; the raw one is shown beside it.

use shardsim_sim::SimDuration;

use super::MeasuredFact;
use super::series::{ActivitySeries, deseasonalise};

/// A lag is estimated only on a series at least this many lags long, so that the estimator's
/// downward bias (of order 1/n) and its noise stay small next to the value.
pub const MIN_LAGS_IN_SERIES: usize = 10;

/// The sample autocorrelation of `x` at `lag` intervals: the standard estimator
/// `Σ (x_t − x̄)(x_{t+lag} − x̄) / Σ (x_t − x̄)²` (the whole-series mean and variance). `Err` when
/// the series is shorter than [`MIN_LAGS_IN_SERIES`] lags or constant.
pub fn autocorrelation(x: &[f64], lag: usize) -> Result<f64, String> {
    let n = x.len();
    if lag == 0 || n < MIN_LAGS_IN_SERIES * lag {
        return Err(format!(
            "series of {n} intervals is shorter than {MIN_LAGS_IN_SERIES} lags of {lag}"
        ));
    }
    let m = x.iter().sum::<f64>() / n as f64;
    let var: f64 = x.iter().map(|v| (v - m) * (v - m)).sum();
    if var <= 0.0 {
        return Err("the series is constant".to_string());
    }
    let cov: f64 = x
        .iter()
        .zip(&x[lag..])
        .map(|(a, b)| (a - m) * (b - m))
        .sum();
    Ok(cov / var)
}

/// A lag as it appears in fact ids and descriptions: "10min", or "30s" below a whole minute.
pub fn lag_label(lag: SimDuration) -> String {
    let ns = lag.as_nanos();
    if ns.is_multiple_of(60_000_000_000) {
        format!("{}min", ns / 60_000_000_000)
    } else {
        format!("{}s", lag.as_secs_f64())
    }
}

/// The ACF facts of one named series (`activity` or `abs_returns`): raw and deseasonalised at
/// each lag.
fn measure_one(
    series: &ActivitySeries,
    name: &str,
    values: Result<&[f64], String>,
    lags: &[SimDuration],
) -> Vec<MeasuredFact> {
    let deseasonalised = values
        .clone()
        .and_then(|v| deseasonalise(series, v).map_err(|e| format!("cannot deseasonalise: {e}")));
    let mut facts = Vec::new();
    for &lag in lags {
        let label = lag_label(lag);
        let k = series.intervals_in(lag);
        let raw = values.clone().and_then(|v| autocorrelation(v, k.clone()?));
        facts.push(MeasuredFact::new(
            format!("acf_{name}_raw_{label}"),
            format!("ACF of {name} at {label}, raw"),
            raw,
        ));
        let des = deseasonalised
            .as_deref()
            .map_err(Clone::clone)
            .and_then(|v| autocorrelation(v, k?));
        facts.push(MeasuredFact::new(
            format!("acf_{name}_deseasonalised_{label}"),
            format!("ACF of {name} at {label}, deseasonalised"),
            des,
        ));
    }
    facts
}

/// The ACF facts of activity and of |returns| (n/a when the run has no prices).
pub fn measure(series: &ActivitySeries, lags: &[SimDuration]) -> Vec<MeasuredFact> {
    let mut facts = measure_one(series, "activity", Ok(&series.total), lags);
    let returns = series
        .abs_returns
        .as_deref()
        .ok_or_else(|| "the run has no price updates".to_string());
    facts.extend(measure_one(series, "abs_returns", returns, lags));
    facts
}

#[cfg(test)]
mod tests {
    use rand_distr::{Distribution, StandardNormal};
    use shardsim_sim::rng::RngStreams;

    use super::super::Measured;
    use super::super::series::testing::series;
    use super::*;

    fn ar1(phi: f64, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = RngStreams::new(seed).stream("test/ar1");
        let mut x = 0.0;
        (0..n)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut rng);
                x = phi * x + z;
                10.0 + x
            })
            .collect()
    }

    fn value(facts: &[MeasuredFact], id: &str) -> Measured {
        facts.iter().find(|f| f.id == id).unwrap().value.clone()
    }

    /// An AR(1) series has ACF φ^lag. With n = 200,000 the estimator's sd is about
    /// √((1+φ²)/(1−φ²)/n) ≈ 0.014 at φ = 0.95, so a 0.05 margin is over 3 sd on every seed.
    #[test]
    fn an_ar1_series_has_acf_phi_to_the_lag() {
        let phi: f64 = 0.95;
        for seed in 1..=3 {
            let s = series(1, ar1(phi, 200_000, seed));
            let facts = measure(&s, &super::super::FactParams::default().acf_lags);
            for (label, lag) in [("1min", 1), ("10min", 10), ("60min", 60)] {
                let expected = (0..lag).fold(1.0, |p, _| p * phi);
                for kind in ["raw", "deseasonalised"] {
                    let Measured::Value(r) = value(&facts, &format!("acf_activity_{kind}_{label}"))
                    else {
                        panic!("no value at {label}");
                    };
                    assert!(
                        (r - expected).abs() < 0.05,
                        "{kind} {label}: {r} vs {expected}"
                    );
                }
            }
        }
    }

    /// White noise on a strong daily cycle: the raw ACF at 60 min is high (the cycle), the
    /// deseasonalised one is about 0 (sd 1/√n ≈ 0.004 for n = 60,480).
    #[test]
    fn deseasonalising_removes_the_daily_cycle() {
        let noise = ar1(0.0, 6 * 7 * 1440, 4);
        let total: Vec<f64> = noise
            .iter()
            .enumerate()
            .map(|(i, z)| {
                let hour = (i / 60) % 24;
                let level = if (12..20).contains(&hour) {
                    100.0
                } else {
                    20.0
                };
                level + z
            })
            .collect();
        let s = series(1, total);
        let facts = measure(&s, &[SimDuration::from_mins(60)]);
        let Measured::Value(raw) = value(&facts, "acf_activity_raw_60min") else {
            panic!()
        };
        let Measured::Value(des) = value(&facts, "acf_activity_deseasonalised_60min") else {
            panic!()
        };
        assert!(raw > 0.7, "raw {raw}"); // 1 − (2/24) / (2·⅓·⅔) ≈ 0.81
        assert!(des.abs() < 0.03, "deseasonalised {des}");
    }

    #[test]
    fn lags_the_interval_does_not_divide_or_the_series_cannot_hold_are_n_a() {
        let s = series(7, ar1(0.5, 1000, 5));
        let facts = measure(&s, &[SimDuration::from_mins(10)]);
        let Measured::NotApplicable(why) = value(&facts, "acf_activity_raw_10min") else {
            panic!()
        };
        assert!(why.contains("does not divide"), "{why}");
        let short = series(1, ar1(0.5, 500, 6));
        let facts = measure(&short, &[SimDuration::from_mins(60)]);
        let Measured::NotApplicable(why) = value(&facts, "acf_activity_raw_60min") else {
            panic!()
        };
        assert!(why.contains("shorter"), "{why}");
        let Measured::NotApplicable(why) = value(&facts, "acf_abs_returns_raw_60min") else {
            panic!()
        };
        assert!(why.contains("no price"), "{why}");
        assert!(autocorrelation(&[3.0; 100], 1).is_err());
    }
}
