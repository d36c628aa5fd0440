//! What only an oracle knows: the expected arrivals of every event type, read from the latent
//! intensities of the sources — the regime path, the market path without its minute-scale noise
//! (whose mean is 1 and whose memory is seconds), the daily and weekly shapes — instead of the
//! arrivals that happened. The latent-oracle forecast of `shardsim dataset` and `evaluate` is
//! built on it; no forecaster or policy may read it.

use crate::cluster::arrivals::{Drivers, shape_at};
use crate::cluster::market::MarketPath;
use crate::time::{SimDuration, SimTime};

use super::Cluster;

/// Sub-steps of the integral: the market grid is 10 s in every built-in, and finer steps change
/// the expected arrivals of a minute by less than 0.1% there (a choice).
const SUB_STEP: SimDuration = SimDuration::from_secs(10);

impl Cluster {
    /// Hidden: expected arrivals of each event type (indexed by id, up to the highest a
    /// function handles) in each of the first `intervals` intervals of length
    /// `interval`. Each Poisson source's intensity is integrated at the midpoints of 10 s
    /// sub-steps; a Hawkes member's intensity is its baseline times the stationary mean of its
    /// group's self-excitation (when it fires is noise, not latent state); follow-up events add
    /// their emitting function's expected arrivals times the emission probability (one level).
    pub fn latent_arrivals(&self, interval: SimDuration, intervals: usize) -> Vec<Vec<f64>> {
        let types = self.by_event_type.len();
        let mut out = vec![vec![0.0; intervals]; types];
        let smooth = self.market_path().map(MarketPath::without_noise);
        let drivers = Drivers {
            regime: &self.regime,
            market: smooth.as_ref(),
        };
        let amplification = self.hawkes_amplification();
        let sub = interval.as_nanos().div_ceil(SUB_STEP.as_nanos()).max(1);
        let width = interval.as_nanos() as f64 / sub as f64;
        for (i, source) in self.sources.iter().enumerate() {
            let spec = &source.spec;
            let ty = spec.event_type.index();
            if ty >= types {
                continue;
            }
            let rate = spec.rate_per_sec * amplification[i];
            for (k, slot) in out[ty].iter_mut().enumerate() {
                let start = k as f64 * interval.as_nanos() as f64;
                let mut sum = 0.0;
                for j in 0..sub {
                    let mid = SimTime::from_nanos((start + (j as f64 + 0.5) * width) as u64);
                    sum += shape_at(&spec.shape, drivers, source.index, mid).0;
                }
                *slot += rate * sum * width / 1e9;
            }
        }
        let direct = out.clone();
        for f in &self.functions {
            let from = f.spec.handles.index();
            for e in &f.spec.emits {
                let to = e.event_type.index();
                if from < types && to < types {
                    for k in 0..intervals {
                        out[to][k] += e.probability * direct[from][k];
                    }
                }
            }
        }
        out
    }

    /// Per source, the factor by which its Hawkes group's self-excitation raises its mean rate
    /// (1 outside a group): the solution of Λ = μ + Kᵀ Λ with μ the members' base rates,
    /// by fixed-point iteration (the branching ratio is below 1, checked at validation).
    fn hawkes_amplification(&self) -> Vec<f64> {
        let mut factor = vec![1.0; self.sources.len()];
        for group in &self.hawkes {
            let mu: Vec<f64> = group.members.iter().map(|(_, s)| s.rate_per_sec).collect();
            let k = group.excitation_matrix();
            let mut lambda = mu.clone();
            for _ in 0..1_000 {
                let next: Vec<f64> = (0..mu.len())
                    .map(|i| mu[i] + (0..mu.len()).map(|j| k[j][i] * lambda[j]).sum::<f64>())
                    .collect();
                let settled = next
                    .iter()
                    .zip(&lambda)
                    .all(|(a, b)| (a - b).abs() <= 1e-12 * a.abs().max(1.0));
                lambda = next;
                if settled {
                    break;
                }
            }
            for (m, (index, _)) in group.members.iter().enumerate() {
                if mu[m] > 0.0 {
                    factor[*index as usize] = lambda[m] / mu[m];
                }
            }
        }
        factor
    }
}
