//! What the world knew of each interval of a run, for scoring forecasts (never a feature):
//! whether it was a burst, and each shard's expected load given the latent intensities — the
//! latent oracle's forecast.

use shardsim_model::features::Hindsight;
use shardsim_sim::cluster::Cluster;
use shardsim_sim::{SimDuration, SimTime};

/// The hindsight of the first `intervals` intervals of `c`'s run; `shard_types[s]` lists the
/// event types shard s's functions handle (the features' own, [`MarketHistory::shard_types`]).
///
/// [`MarketHistory::shard_types`]: shardsim_model::features::MarketHistory::shard_types
pub fn of(c: &Cluster, intervals: usize, shard_types: &[Vec<usize>]) -> Hindsight {
    Hindsight {
        burst: bursts(c, intervals),
        expected_load: expected_load(c, intervals, shard_types),
    }
}

/// Per interval, whether it was a burst by the world's own account, which scores split burst
/// and calm periods by. An interval is a burst when, at its start:
/// * the regime is volatile (the memoryless control's surges), or
/// * the latent log-volatility is more than one standard deviation (of this run's own path)
///   above its mean (a volatility cluster), or
/// * it is within 30 minutes before to 1 hour after a calendar event whose realised impact
///   is at least ×1.5 (a scheduled surge: macro releases, not routine funding).
///
/// These thresholds are choices. All of it is hidden state, so it labels rows for scoring and
/// is never a feature.
fn bursts(c: &Cluster, intervals: usize) -> Vec<bool> {
    let at = |i: u64| SimTime::from_nanos(c.metrics_interval().as_nanos() * i);
    let market = c.market_path();
    let vol_cut = market.map(|p| {
        let x = p.log_vol();
        let n = x.len().max(1) as f64;
        let mean = x.iter().sum::<f64>() / n;
        let sd = (x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
        mean + sd
    });
    let big_events: Vec<SimTime> = market
        .map(|p| {
            p.realised_impacts()
                .filter(|(_, impact)| *impact >= 1.5)
                .map(|(e, _)| e.at)
                .collect()
        })
        .unwrap_or_default();
    let near_event = |t: SimTime| {
        big_events
            .iter()
            .any(|&e| t + SimDuration::from_mins(30) >= e && t < e + SimDuration::from_mins(60))
    };
    (0..intervals as u64)
        .map(at)
        .map(|t| {
            c.regime().is_volatile(t)
                || market
                    .zip(vol_cut)
                    .is_some_and(|(p, cut)| p.log_vol_at(t) > cut)
                || near_event(t)
        })
        .collect()
}

/// Per shard and interval, the load the latent intensities lead one to expect: the shard's
/// offered load regressed, over the whole run and without an intercept, on the expected
/// arrivals ([`Cluster::latent_arrivals`]) of each event type its functions handle. The
/// coefficients are a shard's share of each type's events times their work per slot, which
/// routing keeps about constant; fitting them in hindsight is what makes this an oracle. Its
/// error against the realised load is the arrival noise and the minute-scale activity noise,
/// which nothing at t can foresee.
fn expected_load(c: &Cluster, intervals: usize, shard_types: &[Vec<usize>]) -> Vec<Vec<f64>> {
    let arrivals = c.latent_arrivals(c.metrics_interval(), intervals);
    c.topology()
        .shard_ids()
        .zip(shard_types)
        .map(|(s, types)| {
            let series = c.shard_series(s);
            let n = intervals.min(series.rows().len());
            let load: Vec<f64> = series.load_series()[..n]
                .iter()
                .map(|p| p.offered_load)
                .collect();
            let x: Vec<&[f64]> = types
                .iter()
                .filter(|&&t| t < arrivals.len())
                .map(|&t| &arrivals[t][..n])
                .collect();
            let beta = least_squares(&x, &load);
            (0..n)
                .map(|i| x.iter().zip(&beta).map(|(xk, b)| b * xk[i]).sum())
                .collect()
        })
        .collect()
}

/// Coefficients of `y ≈ Σ β_k x_k` by least squares (normal equations, Gaussian elimination with
/// partial pivoting, a ridge of 1e-9 of the diagonal's scale against collinear regressors).
fn least_squares(x: &[&[f64]], y: &[f64]) -> Vec<f64> {
    let k = x.len();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
    let mut m: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            let mut row: Vec<f64> = (0..k).map(|j| dot(x[i], x[j])).collect();
            row.push(dot(x[i], y));
            row
        })
        .collect();
    let scale = (0..k).map(|i| m[i][i]).fold(0.0, f64::max);
    for (i, row) in m.iter_mut().enumerate() {
        row[i] += 1e-9 * scale.max(1e-300);
    }
    for col in 0..k {
        let pivot = (col..k)
            .max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
            .unwrap_or(col);
        m.swap(col, pivot);
        if m[col][col] == 0.0 {
            continue;
        }
        let pivot_row = m[col].clone();
        for (r, row) in m.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (x, p) in row.iter_mut().zip(&pivot_row).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    (0..k)
        .map(|i| {
            if m[i][i] == 0.0 {
                0.0
            } else {
                m[i][k] / m[i][i]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_squares_recovers_known_coefficients() {
        let a: Vec<f64> = (0..100).map(|i| f64::from(i % 7)).collect();
        let b: Vec<f64> = (0..100).map(|i| f64::from((i * 3) % 11)).collect();
        let y: Vec<f64> = a.iter().zip(&b).map(|(p, q)| 0.5 * p + 2.0 * q).collect();
        let beta = least_squares(&[&a, &b], &y);
        assert!(
            (beta[0] - 0.5).abs() < 1e-6 && (beta[1] - 2.0).abs() < 1e-6,
            "{beta:?}"
        );
        assert_eq!(least_squares(&[], &y), Vec::<f64>::new());
    }
}
