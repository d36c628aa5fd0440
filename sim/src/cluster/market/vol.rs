//! The latent log-volatility path x(t) on the grid, drawn once from the `market/vol` stream.

use rand::RngExt;
use rand_distr::{Exp1, StandardNormal};

use crate::cluster::spec::market::LatentVol;
use crate::rng::SimRng;
use crate::time::SimDuration;

const DAY_SECS: f64 = 86_400.0;

/// The mean-reversion time τ = half-life / ln 2, in seconds.
pub(crate) fn tau_secs(vol: &LatentVol) -> f64 {
    vol.half_life.as_secs_f64() / std::f64::consts::LN_2
}

/// x at each of `points` grid points `step` apart.
///
/// The diffusive part is an Ornstein–Uhlenbeck process discretised exactly,
/// `d' = d·a + sd·√(1 − a²)·N(0,1)` with `a = e^(−Δ/τ)`, started from its stationary law
/// N(0, sd²). The jump part decays by the same `a` each step and gains, per step, a
/// Poisson(λΔ) number of exponential sizes (counted at the step's end); it starts at 0, so a run
/// begins without the residue of earlier shocks. Every step makes the same draws (one normal,
/// then the Poisson count by exponential gaps, then one exponential per jump).
pub(crate) fn draw_log_vol(
    vol: &LatentVol,
    step: SimDuration,
    points: usize,
    rng: &mut SimRng,
) -> Vec<f64> {
    let dt = step.as_secs_f64();
    let a = libm::exp(-dt / tau_secs(vol));
    let shock_sd = vol.sd * (1.0 - a * a).sqrt();
    let jumps_per_step = vol.jumps_per_day * dt / DAY_SECS;
    let mut diffusive = vol.sd * rng.sample::<f64, _>(StandardNormal);
    let mut jumps = 0.0;
    let mut out = Vec::with_capacity(points);
    for _ in 0..points {
        out.push(diffusive + jumps);
        diffusive = diffusive * a + shock_sd * rng.sample::<f64, _>(StandardNormal);
        jumps *= a;
        if jumps_per_step > 0.0 {
            // Poisson count within one step: exponential gaps until they pass the step.
            let mut clock: f64 = rng.sample(Exp1);
            while clock < jumps_per_step {
                jumps += vol.jump_mean * rng.sample::<f64, _>(Exp1);
                let gap: f64 = rng.sample(Exp1);
                clock += gap;
            }
        }
    }
    out
}

/// `ln E[exp(e·x)]` under the stationary law of x: `e²·sd²/2` for the diffusive part plus
/// `−λτ·ln(1 − e·μ)` for the shot noise of exponential jumps (Campbell's formula:
/// `λ∫₀^∞ (E[exp(e·J·e^(−s/τ))] − 1) ds` with `E[exp(uJ)] = 1/(1 − uμ)`). Finite only for
/// `e·μ < 1`, which validation requires.
pub(crate) fn log_stationary_mean(vol: &LatentVol, elasticity: f64) -> f64 {
    let diffusive = elasticity * elasticity * vol.sd * vol.sd / 2.0;
    let rate = vol.jumps_per_day / DAY_SECS;
    let jumps = if rate > 0.0 {
        -rate * tau_secs(vol) * libm::log(1.0 - elasticity * vol.jump_mean)
    } else {
        0.0
    };
    diffusive + jumps
}
