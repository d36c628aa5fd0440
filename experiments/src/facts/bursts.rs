//! Bursts: runs of intervals whose activity exceeds `k ×` the median of the previous hour
//! ([`FactParams::burst_threshold`], default 2; [`FactParams::burst_lookback`], default 1 h).
//! A burst's size is its peak multiple (the largest activity / rolling-median ratio in the run),
//! its duration the run's length. Reported: count, median and 90th percentile of sizes and
//! durations, the largest size and its duration, and a Hill tail exponent of the sizes when
//! there are enough.
//!
//! The rolling median, not the mean, is the reference so that a burst does not raise its own bar;
//! an interval whose previous hour has median 0 (a sparse series) is never in a burst, since any
//! arrival would be an infinite multiple.

use super::quantile::quantile;
use super::series::ActivitySeries;
use super::{FactParams, MeasuredFact};

/// One burst: its peak multiple and its length in intervals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Burst {
    /// The largest activity / rolling-median ratio in the burst.
    pub size: f64,
    /// Consecutive intervals above the threshold.
    pub intervals: usize,
}

/// The median of the `lookback` values before each index from `lookback` on (a sorted window
/// updated by binary search, so a day of 1-s intervals stays cheap).
fn rolling_medians(x: &[f64], lookback: usize) -> Vec<Option<f64>> {
    let mut out = vec![None; x.len()];
    if lookback == 0 || x.len() <= lookback {
        return out;
    }
    let mut window: Vec<f64> = x[..lookback].to_vec();
    window.sort_by(f64::total_cmp);
    for i in lookback..x.len() {
        let n = window.len();
        out[i] = Some(if n % 2 == 1 {
            window[n / 2]
        } else {
            (window[n / 2 - 1] + window[n / 2]) / 2.0
        });
        let old = x[i - lookback];
        if let Ok(pos) = window.binary_search_by(|v| v.total_cmp(&old)) {
            window.remove(pos);
        }
        let pos = window.partition_point(|v| v.total_cmp(&x[i]).is_lt());
        window.insert(pos, x[i]);
    }
    out
}

/// The bursts of `x`: maximal runs of intervals above `k ×` the median of the previous
/// `lookback` intervals.
pub fn find_bursts(x: &[f64], k: f64, lookback: usize) -> Vec<Burst> {
    let medians = rolling_medians(x, lookback);
    let mut bursts = Vec::new();
    let mut current: Option<Burst> = None;
    for (v, m) in x.iter().zip(medians) {
        let multiple = m.filter(|m| *m > 0.0).map(|m| v / m);
        match (multiple.filter(|r| *r > k), current.as_mut()) {
            (Some(r), Some(b)) => {
                b.size = b.size.max(r);
                b.intervals += 1;
            }
            (Some(r), None) => {
                current = Some(Burst {
                    size: r,
                    intervals: 1,
                })
            }
            (None, _) => bursts.extend(current.take()),
        }
    }
    bursts.extend(current);
    bursts
}

/// The Hill estimate of the tail exponent α of `sizes` from its top decile: with the sizes in
/// descending order X₁ ≥ X₂ ≥ …, and k = n / 10, `α̂ = k / Σ_{i≤k} ln(Xᵢ / X_{k+1})`. Returns
/// `(α̂, k)`. `Err` below `min_count` sizes (the estimate's relative error is 1/√k).
pub fn hill_exponent(sizes: &[f64], min_count: usize) -> Result<(f64, usize), String> {
    let n = sizes.len();
    let k = n / 10;
    if n < min_count.max(20) {
        return Err(format!(
            "{n} bursts; the tail exponent needs at least {}",
            min_count.max(20)
        ));
    }
    let mut sorted = sizes.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let threshold = sorted[k];
    let sum: f64 = sorted[..k].iter().map(|x| libm::log(x / threshold)).sum();
    if sum <= 0.0 {
        return Err("the largest bursts are all the same size".to_string());
    }
    Ok((k as f64 / sum, k))
}

/// The burst facts of the total activity.
pub fn measure(series: &ActivitySeries, params: &FactParams) -> Vec<MeasuredFact> {
    let k = params.burst_threshold;
    let bursts: Result<Vec<Burst>, String> = if k.is_finite() && k > 1.0 {
        series
            .intervals_in(params.burst_lookback)
            .map(|w| find_bursts(&series.total, k, w))
    } else {
        Err(format!("the burst threshold must exceed 1 (it is {k})"))
    };
    let minutes = series.interval.as_secs_f64() / 60.0;
    let sizes = bursts
        .clone()
        .map(|b| b.iter().map(|b| b.size).collect::<Vec<_>>());
    let durations = bursts.clone().map(|b| {
        b.iter()
            .map(|b| b.intervals as f64 * minutes)
            .collect::<Vec<_>>()
    });
    let stat = |v: &Result<Vec<f64>, String>, q: f64| {
        v.clone()
            .and_then(|v| quantile(&v, q).ok_or_else(|| "the run has no burst".to_string()))
    };
    let largest = bursts.clone().and_then(|b| {
        b.iter()
            .reduce(|x, y| if y.size > x.size { y } else { x })
            .map(|b| b.intervals as f64 * minutes)
            .ok_or_else(|| "the run has no burst".to_string())
    });
    let hill = sizes
        .clone()
        .and_then(|s| hill_exponent(&s, params.min_bursts_for_tail));
    vec![
        MeasuredFact::new(
            "burst_count",
            format!("bursts (> {k} × rolling median)"),
            bursts.map(|b| b.len() as f64),
        ),
        MeasuredFact::new(
            "burst_size_median",
            "burst peak multiple, median",
            stat(&sizes, 0.5),
        ),
        MeasuredFact::new(
            "burst_size_p90",
            "burst peak multiple, 90th pct",
            stat(&sizes, 0.9),
        ),
        MeasuredFact::new(
            "burst_size_max",
            "burst peak multiple, largest",
            stat(&sizes, 1.0),
        ),
        MeasuredFact::new(
            "burst_duration_median",
            "burst duration (min), median",
            stat(&durations, 0.5),
        ),
        MeasuredFact::new(
            "burst_duration_p90",
            "burst duration (min), 90th pct",
            stat(&durations, 0.9),
        ),
        MeasuredFact::new(
            "burst_duration_of_largest",
            "duration of the largest burst (min)",
            largest,
        ),
        MeasuredFact::new(
            "burst_tail_exponent",
            "Hill tail exponent of burst sizes",
            hill.clone().map(|h| h.0),
        ),
        MeasuredFact::new(
            "burst_tail_count",
            "bursts in the Hill estimate (top decile)",
            hill.map(|h| h.1 as f64),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use rand::RngExt;
    use shardsim_sim::rng::RngStreams;

    use super::super::Measured;
    use super::super::series::testing::series;
    use super::*;

    /// Level 10 with three bursts: peaks 50 over 3 min, 25 for 1 min, 40 over 5 min. Sizes 5,
    /// 2.5, 4 (median 4, p90 4 + 0.8·1 = 4.8); durations 3, 1, 5 (median 3, p90 3 + 0.8·2 = 4.6).
    #[test]
    fn known_bursts_are_found_with_their_sizes_and_durations() {
        let mut total = vec![10.0; 720];
        total[100..103].copy_from_slice(&[30.0, 50.0, 30.0]);
        total[300] = 25.0;
        total[500..505].fill(40.0);
        total[600] = 19.0; // below 2 × 10: not a burst
        let facts = measure(&series(1, total), &FactParams::default());
        let get = |id: &str| facts.iter().find(|f| f.id == id).unwrap().value.clone();
        assert_eq!(get("burst_count"), Measured::Value(3.0));
        assert_eq!(get("burst_size_median"), Measured::Value(4.0));
        assert_eq!(get("burst_size_max"), Measured::Value(5.0));
        assert_eq!(get("burst_duration_median"), Measured::Value(3.0));
        assert_eq!(get("burst_duration_of_largest"), Measured::Value(3.0));
        for (id, want) in [("burst_size_p90", 4.8), ("burst_duration_p90", 4.6)] {
            let Measured::Value(v) = get(id) else {
                panic!()
            };
            assert!((v - want).abs() < 1e-12, "{id} {v}");
        }
        let Measured::NotApplicable(why) = get("burst_tail_exponent") else {
            panic!()
        };
        assert!(why.contains("3 bursts"), "{why}");
    }

    #[test]
    fn the_rolling_median_looks_only_back() {
        let m = rolling_medians(&[1.0, 5.0, 3.0, 100.0, 2.0], 3);
        assert_eq!(m, vec![None, None, None, Some(3.0), Some(5.0)]);
    }

    /// Pareto(α = 3) sizes: Hill on the top decile of 20,000 has sd α/√k = 3/√2000 ≈ 0.07, so a
    /// margin of 0.3 is over 4 sd on each seed.
    #[test]
    fn hill_recovers_a_pareto_exponent() {
        for seed in 1..=3 {
            let mut rng = RngStreams::new(seed).stream("test/pareto");
            let sizes: Vec<f64> = (0..20_000)
                .map(|_| {
                    let u: f64 = 1.0 - rng.random_range(0.0..1.0);
                    2.0 * libm::pow(u, -1.0 / 3.0)
                })
                .collect();
            let (alpha, k) = hill_exponent(&sizes, 100).unwrap();
            assert_eq!(k, 2000);
            assert!((alpha - 3.0).abs() < 0.3, "seed {seed}: {alpha}");
        }
    }

    #[test]
    fn a_bad_threshold_or_lookback_is_n_a() {
        let params = FactParams {
            burst_threshold: 1.0,
            ..FactParams::default()
        };
        let facts = measure(&series(1, vec![1.0; 100]), &params);
        assert!(
            facts
                .iter()
                .all(|f| matches!(&f.value, Measured::NotApplicable(w) if w.contains("exceed 1")))
        );
        let facts = measure(&series(7, vec![1.0; 100]), &FactParams::default());
        assert!(matches!(&facts[0].value, Measured::NotApplicable(w) if w.contains("divide")));
    }
}
