//! The cascade's delay kernels on the grid: Erlang(order, mean) as `order` chained first-order
//! smoothers, deterministic.

use crate::cluster::spec::market::StageLag;
use crate::time::SimDuration;

/// `input` passed through the delay kernel of `lag` on a grid of `step`: `order` smoothers
/// `y_n = b·y_{n−1} + (1 − b)·x_n`, each with `b = τ/(τ + Δ)`, τ = mean/order. Each smoother's
/// kernel is geometric, `(1 − b)·bᵏ`, whose mean delay is exactly `b/(1 − b)·Δ = τ`, so the chain
/// delays by exactly `mean` on average (a negative-binomial kernel, the grid's Erlang; it tends
/// to Erlang(order, mean) as Δ/τ → 0). Each smoother starts at `history`, the level the path
/// is taken to have held before the grid began.
pub(crate) fn delay(input: &[f64], lag: StageLag, step: SimDuration, history: f64) -> Vec<f64> {
    let mut out = input.to_vec();
    if lag.mean == SimDuration::ZERO || out.is_empty() {
        return out;
    }
    let tau = lag.mean.as_secs_f64() / f64::from(lag.order.max(1));
    let b = tau / (tau + step.as_secs_f64());
    for _ in 0..lag.order.max(1) {
        let mut y = history;
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
            let out = delay(&padded, lag, step, 0.0);
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

    #[test]
    fn a_moment_at_the_start_is_not_taken_for_the_history() {
        let step = SimDuration::from_secs(10);
        let lag = StageLag {
            mean: SimDuration::from_secs(3600),
            order: 4,
        };
        // A level of 1 with a one-step spike at the start (an event at 00:00).
        let mut input = vec![1.0; 1000];
        input[0] = 10.0;
        let out = delay(&input, lag, step, 1.0);
        // The spike's mass (9 steps' worth) is spread over about an hour, never held.
        assert!(
            out.iter().all(|v| (1.0..1.1).contains(v)),
            "{:?}",
            &out[..5]
        );
        let excess: f64 = out.iter().map(|v| v - 1.0).sum();
        assert!((excess - 9.0).abs() < 0.5, "{excess}");
        // A constant path at its history stays where it was.
        let flat = delay(&[2.0; 100], lag, step, 2.0);
        assert!(flat.iter().all(|v| (v - 2.0).abs() < 1e-12));
    }
}
