//! The liquidation spiral on the grid, drawn once from the `market/spiral` stream.

use rand::RngExt;
use rand_distr::{Exp1, StandardNormal};

use crate::cluster::spec::market::LiquidationSpiral;
use crate::rng::SimRng;
use crate::time::SimDuration;

/// Below this share of its peak a spiral's decay is cut off.
const TAIL: f64 = 1e-4;
/// A spiral grows from this share of its peak (ln 100 rise times before it).
const ONSET: f64 = 0.01;

/// One spiral: where it starts and how large its excess gets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpiralStart {
    /// The grid point at which it starts.
    pub at: usize,
    /// Its peak excess `A` (the multiplier peaks at `1 + A`).
    pub excess: f64,
}

/// The starts of `spiral` given the `stress` per grid point `step` apart.
///
/// The accumulated hazard `Σ hazard·max(0, stress − threshold)·Δ` is compared with an Exp(1)
/// level; on passing it a spiral starts, its excess is drawn, and both the hazard and the level
/// restart after the refractory span. Every start makes the same two draws (its excess, then the
/// next level), so the stream's use depends only on the number of starts.
pub(crate) fn draw_starts(
    spiral: &LiquidationSpiral,
    stress: &[f64],
    step: SimDuration,
    rng: &mut SimRng,
) -> Vec<SpiralStart> {
    let per_step = spiral.hazard_per_hour * step.as_secs_f64() / 3600.0;
    let refractory = spiral
        .refractory
        .as_nanos()
        .div_ceil(step.as_nanos().max(1)) as usize;
    let sigma = spiral.spread;
    let mut level: f64 = rng.sample(Exp1);
    let mut accumulated = 0.0;
    let mut starts = Vec::new();
    let mut k = 0;
    while k < stress.len() {
        accumulated += per_step * (stress[k] - spiral.threshold).max(0.0);
        if accumulated >= level {
            let z: f64 = rng.sample(StandardNormal);
            let excess = (spiral.peak - 1.0) * libm::exp(sigma * z - sigma * sigma / 2.0);
            starts.push(SpiralStart { at: k, excess });
            level = rng.sample(Exp1);
            accumulated = 0.0;
            k += refractory.max(1);
        } else {
            k += 1;
        }
    }
    starts
}

/// The spirals' multiplier `1 + Σ A·s(t − start)` per grid point (`points` of them).
pub(crate) fn multiplier(
    spiral: &LiquidationSpiral,
    starts: &[SpiralStart],
    step: SimDuration,
    points: usize,
) -> Vec<f64> {
    let dt = step.as_secs_f64();
    let rise = spiral.rise.as_secs_f64();
    let decay_per_step = libm::exp2(-dt / spiral.half_life.as_secs_f64());
    // Steps from the start to the peak: growth from ONSET to 1 at e^(t/rise).
    let to_peak = -libm::log(ONSET) * rise / dt;
    let mut out = vec![1.0; points];
    for s in starts {
        let peak = s.at as f64 + to_peak;
        let mut k = s.at;
        while k < points && (k as f64) < peak {
            out[k] += s.excess * libm::exp((k as f64 - peak) * dt / rise);
            k += 1;
        }
        let mut share = libm::exp2(-(k as f64 - peak) * dt / spiral.half_life.as_secs_f64());
        while k < points && share > TAIL {
            out[k] += s.excess * share;
            share *= decay_per_step;
            k += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::RngStreams;

    fn spiral() -> LiquidationSpiral {
        LiquidationSpiral::default()
    }

    const STEP: SimDuration = SimDuration::from_secs(10);

    #[test]
    fn no_stress_above_the_threshold_starts_no_spiral() {
        let stress = vec![spiral().threshold; 50_000];
        let mut rng = RngStreams::new(1).stream("market/spiral");
        assert!(draw_starts(&spiral(), &stress, STEP, &mut rng).is_empty());
    }

    #[test]
    fn starts_follow_the_hazard_and_respect_the_refractory_span() {
        // One unit of stress above the threshold for 10 days: starts come a mean 1/hazard
        // (6 min) after each refractory span (24 h) ends.
        let s = spiral();
        let day = 8640;
        let stress = vec![s.threshold + 1.0; 10 * day];
        let (mut waits, mut peaks) = (Vec::new(), Vec::new());
        for seed in 0..40 {
            let mut rng = RngStreams::new(seed).stream("market/spiral");
            let starts = draw_starts(&s, &stress, STEP, &mut rng);
            assert_eq!(starts.len(), 10, "seed {seed}: one start a day");
            for (i, st) in starts.iter().enumerate() {
                let free_from = if i == 0 { 0 } else { starts[i - 1].at + day };
                assert!(
                    st.at >= free_from,
                    "seed {seed}: start inside the refractory span"
                );
                waits.push((st.at - free_from) as f64 * 10.0 / 60.0);
                peaks.push(st.excess);
            }
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!(
            (mean(&waits) - 6.0).abs() < 1.0,
            "mean wait {} min",
            mean(&waits)
        );
        assert!(
            (mean(&peaks) - 9.0).abs() < 0.5,
            "mean excess {}",
            mean(&peaks)
        );
    }

    #[test]
    fn a_spiral_rises_to_its_peak_then_halves_every_half_life() {
        let s = LiquidationSpiral {
            rise: SimDuration::from_mins(5),
            half_life: SimDuration::from_mins(10),
            ..spiral()
        };
        let start = SpiralStart {
            at: 100,
            excess: 9.0,
        };
        let m = multiplier(&s, &[start], STEP, 2000);
        assert!(
            m[..100].iter().all(|&v| v == 1.0),
            "nothing before the start"
        );
        assert!(
            (m[100] - 1.0 - 0.09).abs() < 0.01,
            "starts at 1 % of its excess: {}",
            m[100]
        );
        let (peak_at, peak) = m
            .iter()
            .enumerate()
            .fold((0, 0.0), |b, (k, &v)| if v > b.1 { (k, v) } else { b });
        // ln 100 × 5 min = 23 min = 138 steps after the start.
        assert!((peak_at as i64 - 238).abs() <= 1, "peak at {peak_at}");
        assert!((peak - 10.0).abs() < 0.1, "peak {peak}");
        let later = m[peak_at + 60] - 1.0; // 10 min later
        assert!(
            ((later / (peak - 1.0)) - 0.5).abs() < 0.02,
            "half-life: {later}"
        );
        assert_eq!(m[1999], 1.0, "the tail is cut off");
    }
}
