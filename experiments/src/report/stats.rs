//! The statistics of the reports: means, medians, correlation, and 95% intervals that are honest
//! for the handful of seeds a comparison usually has.
//!
//! **Why Student's t, not a bootstrap.** A percentile bootstrap of a mean over n seeds can only
//! return values between the smallest and the largest seed, so with 2 seeds its "95% interval" is
//! [min, max] — far too narrow (the default run printed "−21% [−26.0, −3.0]" on two seeds). The
//! t-interval `mean ± t(0.975, n−1) · s / √n` widens as it should when seeds are few (t = 12.7 at
//! n = 2, 2.26 at n = 10, 2.05 at n = 30) and is exact for normal per-seed values; for skewed ones
//! it is the standard first answer, and below [`FEW_SEEDS`] the reports say so. A ratio of means
//! (how much of a gap a policy closes) gets Fieller's interval, which is unbounded — reported as
//! absent — when the denominator is not clearly away from zero.

use serde::Serialize;

/// Below this many seeds the reports warn that intervals rest on roughly normal per-seed values
/// and are wide.
pub const FEW_SEEDS: usize = 10;

/// A mean over seeds with its 95% interval (absent with fewer than two values, where there is
/// no spread to estimate).
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Estimate {
    /// Mean over seeds.
    pub mean: f64,
    /// Lower end of the 95% t-interval.
    pub ci_low: Option<f64>,
    /// Upper end.
    pub ci_high: Option<f64>,
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom (`df ≥ 1`): tabulated to 1–30
/// (to 3 decimals, as printed in every statistics table), the Cornish–Fisher expansion beyond
/// (error below 10⁻⁴ there).
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df - 1],
        _ => {
            let z: f64 = 1.959_963_984_540_054;
            let v = df as f64;
            let (z3, z5, z7) = (z * z * z, z * z * z * z * z, z * z * z * z * z * z * z);
            z + (z3 + z) / (4.0 * v)
                + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
                + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v * v * v)
        }
    }
}

/// The sample variance (n − 1 in the denominator) of `v` around `m`.
fn variance(v: &[f64], m: f64) -> f64 {
    v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() as f64 - 1.0)
}

/// The mean of `values` with its 95% t-interval.
pub fn t_interval(values: &[f64]) -> Estimate {
    let n = values.len();
    let m = mean(values);
    if n < 2 {
        return Estimate {
            mean: m,
            ci_low: None,
            ci_high: None,
        };
    }
    let half = t_975(n - 1) * (variance(values, m) / n as f64).sqrt();
    Estimate {
        mean: m,
        ci_low: Some(m - half),
        ci_high: Some(m + half),
    }
}

/// Fieller's 95% interval for the ratio of means `ā / b̄` of paired per-seed values (`a[i]`,
/// `b[i]` from the same seed): the θ with `(ā − θ b̄)² ≤ t² · var(a − θ b) / n`. `None` when
/// there are fewer than two pairs or the set is unbounded (b̄ not clearly away from zero).
pub fn ratio_interval(a: &[f64], b: &[f64]) -> Option<(f64, f64)> {
    let n = a.len();
    if n < 2 || b.len() != n {
        return None;
    }
    let (ma, mb) = (mean(a), mean(b));
    let cov = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / (n as f64 - 1.0);
    let q = t_975(n - 1) * t_975(n - 1) / n as f64;
    // (mb² − q·sbb) θ² − 2 (ma·mb − q·sab) θ + (ma² − q·saa) ≤ 0
    let qa = mb * mb - q * variance(b, mb);
    let qb = ma * mb - q * cov;
    let qc = ma * ma - q * variance(a, ma);
    let disc = qb * qb - qa * qc;
    if qa <= 0.0 || disc < 0.0 {
        return None;
    }
    let root = disc.sqrt();
    Some(((qb - root) / qa, (qb + root) / qa))
}

/// The mean of `v` (0 for none).
pub fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// The median of `values` (mean of the middle two for an even count).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Pearson correlation of the pairs (0 with fewer than three, or without variance).
pub fn correlation(pairs: &[(f64, f64)]) -> f64 {
    if pairs.len() < 3 {
        return 0.0;
    }
    let n = pairs.len() as f64;
    let (mx, my) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for &(x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use rand::RngExt;
    use rand_distr::{Distribution, StandardNormal};
    use shardsim_sim::rng::RngStreams;

    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn t_quantiles_match_the_tables_and_join_the_expansion_smoothly() {
        assert_eq!(t_975(1), 12.706);
        assert_eq!(t_975(9), 2.262);
        // Published values beyond the table: df 40 → 2.021, 60 → 2.000, 120 → 1.980.
        for (df, t) in [(40, 2.021), (60, 2.000), (120, 1.980)] {
            assert!((t_975(df) - t).abs() < 5e-4, "df {df}: {}", t_975(df));
        }
        assert!((t_975(31) - 2.040).abs() < 5e-4, "{}", t_975(31));
        assert!((t_975(1_000_000) - 1.96).abs() < 1e-3);
    }

    #[test]
    fn two_seeds_give_a_wide_interval_not_their_range() {
        let e = t_interval(&[-26.0, -3.0]);
        assert_eq!(e.mean, -14.5);
        // s = 16.26, s/√2 = 11.5, × 12.706 = 146.1
        assert!((e.ci_low.unwrap() - -160.6).abs() < 0.1, "{e:?}");
        assert!((e.ci_high.unwrap() - 131.6).abs() < 0.1, "{e:?}");
        assert_eq!(t_interval(&[4.0]).ci_low, None);
    }

    /// Coverage: over 4,000 samples of 5 normal values, the interval holds the true mean about
    /// 95% of the time (binomial sd 0.34 points).
    #[test]
    fn the_t_interval_covers_95_percent_of_normal_samples() {
        let mut rng = RngStreams::new(17).stream("test/coverage");
        let trials = 4_000;
        let mut hits = 0;
        for _ in 0..trials {
            let v: Vec<f64> = (0..5)
                .map(|_| {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    10.0 + 3.0 * z
                })
                .collect();
            let e = t_interval(&v);
            hits += u32::from(e.ci_low.unwrap() <= 10.0 && 10.0 <= e.ci_high.unwrap());
        }
        let coverage = f64::from(hits) / f64::from(trials);
        assert!((coverage - 0.95).abs() < 0.015, "coverage {coverage}");
        let _: u32 = rng.random_range(0..2); // the stream is a real one
    }

    #[test]
    fn a_ratio_interval_brackets_the_ratio_and_is_absent_when_unbounded() {
        // a = 0.5·b plus small noise: the ratio is near 0.5 and well determined.
        let b = [10.0, 12.0, 8.0, 11.0, 9.0];
        let a = [5.1, 5.9, 4.0, 5.6, 4.4];
        let (lo, hi) = ratio_interval(&a, &b).unwrap();
        let r = mean(&a) / mean(&b);
        assert!(lo < r && r < hi && lo > 0.4 && hi < 0.6, "{lo} {r} {hi}");
        // A denominator that straddles zero: no finite interval.
        assert_eq!(ratio_interval(&[1.0, 2.0, 1.5], &[1.0, -1.0, 0.5]), None);
        assert_eq!(ratio_interval(&[1.0], &[2.0]), None);
    }
}
