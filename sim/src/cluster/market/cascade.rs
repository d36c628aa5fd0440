//! The cascade's delay kernels on the grid: Erlang(order, mean) as `order` chained first-order
//! smoothers, deterministic.

use crate::cluster::spec::market::StageLag;
use crate::time::SimDuration;

/// `input` passed through the delay kernel of `lag` on a grid of `step`: `order` smoothers
/// `y_n = b·y_{n−1} + (1 − b)·x_n`, each with `b = τ/(τ + Δ)`, τ = mean/order. Each smoother's
/// kernel is geometric, `(1 − b)·bᵏ`, whose mean delay is exactly `b/(1 − b)·Δ = τ`, so the chain
/// delays by exactly `mean` on average (a negative-binomial kernel, the grid's Erlang; it tends
/// to Erlang(order, mean) as Δ/τ → 0). Each smoother starts at its input's first value, as if
/// the path had been there forever.
pub(crate) fn delay(input: &[f64], lag: StageLag, step: SimDuration) -> Vec<f64> {
    let mut out = input.to_vec();
    if lag.mean == SimDuration::ZERO || out.is_empty() {
        return out;
    }
    let tau = lag.mean.as_secs_f64() / f64::from(lag.order.max(1));
    let b = tau / (tau + step.as_secs_f64());
    for _ in 0..lag.order.max(1) {
        let mut y = out[0];
        for v in &mut out {
            y = b * y + (1.0 - b) * *v;
            *v = y;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_impulse_comes_out_delayed_by_the_mean_lag() {
        let step = SimDuration::from_secs(10);
        for (mean_s, order) in [(60, 1), (300, 3), (120, 2)] {
            let mut input = vec![0.0; 2000];
            input[0] = 1.0;
            let lag = StageLag {
                mean: SimDuration::from_secs(mean_s),
                order,
            };
            // A zero history: start from a quiet path, then the impulse.
            let mut padded = vec![0.0];
            padded.extend_from_slice(&input);
            let out = delay(&padded, lag, step);
            let mass: f64 = out.iter().sum();
            let mean_steps: f64 = out
                .iter()
                .enumerate()
                .map(|(k, v)| k as f64 * v)
                .sum::<f64>()
                / mass;
            // The impulse sits at index 1: its centre of mass moves by exactly mean/step.
            assert!((mass - 1.0).abs() < 1e-9, "{mass}");
            assert!(
                (mean_steps - 1.0 - mean_s as f64 / 10.0).abs() < 1e-6,
                "mean {mean_s}, order {order}: {mean_steps}"
            );
        }
    }
}
