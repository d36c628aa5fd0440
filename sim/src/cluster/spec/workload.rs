//! Declared workload: sources, their rate shapes, the regime, Hawkes groups, trade sizes.
//!
//! * [`PoissonSource`] — a Poisson process whose intensity is `rate × daily(t) × weekly(t) ×
//!   regime(t) × market(t) × ramp(t)` (market: the source's channel of the market path, see
//!   `spec/market.rs`): a daily/weekly profile ([`RateShape`]), the calm ↔ volatile regime
//!   ([`RegimeConfig`]) for sources that react to it, and a start time with a linear ramp (a
//!   protocol launch).
//! * [`HawkesGroup`] — a multivariate self-exciting (Hawkes) process over several sources (e.g. one
//!   per exchange): every event raises every member's intensity by `excitation[i][j]` expected
//!   offspring, decaying exponentially. Simulated exactly by Ogata's thinning.
//! * [`TradeSize`] — heavy-tailed (Pareto) trade sizes for whale activity.
//! * [`EpisodeShape`] — how a volatile episode's intensity evolves: a step to the multiplier (the
//!   default), or a build-up over an `onset` and an exponential decay back toward calm, as
//!   volatility shocks do in real markets.
//!
//! The samplers are in `cluster/arrivals/`.

use crate::cluster::event::{RiskLevel, Urgency};
use crate::cluster::ids::{EventTypeId, ExchangeId, ProtocolId};
use crate::cluster::spec::market::MarketExposure;
use crate::time::{SimDuration, SimTime};

/// Trade sizes: Pareto (heavy-tailed) with a minimum and a shape; shape ≤ 2 has infinite variance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TradeSize {
    /// Smallest trade, USD.
    pub min_usd: f64,
    /// Tail index α (> 0); smaller is heavier.
    pub shape: f64,
}

/// How a source's intensity varies over time (all multipliers; 1 = the base rate).
#[derive(Clone, Debug, PartialEq)]
pub struct RateShape {
    /// 24 multipliers at the start of each hour of the day, linearly interpolated (wrapping at
    /// midnight). Empty: flat.
    pub daily: Vec<f64>,
    /// 7 multipliers, one per day from day 0, constant over the day. Empty: flat.
    pub weekly: Vec<f64>,
    /// Whether the volatile regime multiplies this source.
    pub regime_sensitive: bool,
    /// No arrivals before this time.
    pub starts_at: SimTime,
    /// After `starts_at` the intensity ramps linearly from 0 to full over this span.
    pub ramp: SimDuration,
    /// How the source follows the market world, if it does (needs a
    /// [`MarketConfig`](crate::cluster::MarketConfig) on the configuration).
    pub market: Option<MarketExposure>,
}

impl Default for RateShape {
    fn default() -> Self {
        RateShape {
            daily: Vec::new(),
            weekly: Vec::new(),
            regime_sensitive: false,
            starts_at: SimTime::ZERO,
            ramp: SimDuration::ZERO,
            market: None,
        }
    }
}

/// A Poisson stream of one event type from one exchange.
#[derive(Clone, Debug, PartialEq)]
pub struct PoissonSource {
    /// Unique name; keys the random stream.
    pub name: String,
    /// Event type emitted.
    pub event_type: EventTypeId,
    /// Exchange it comes from.
    pub exchange: ExchangeId,
    /// Base arrivals per simulated second (before shape multipliers).
    pub rate_per_sec: f64,
    /// Protocol of every event, or `None`.
    pub protocol: Option<ProtocolId>,
    /// Risk level of every event.
    pub risk: RiskLevel,
    /// Urgency of every event.
    pub urgency: Urgency,
    /// Trading pairs drawn uniformly from `0..trading_pairs` (at least 1).
    pub trading_pairs: u32,
    /// Users drawn uniformly from `0..users` (at least 1).
    pub users: u32,
    /// Trade size distribution.
    pub trade_size: TradeSize,
    /// How the intensity varies over time.
    pub shape: RateShape,
}

/// The calm ↔ volatile market regime: a two-state Markov process with exponential holding times.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegimeConfig {
    /// Mean length of a calm period.
    pub calm_mean: SimDuration,
    /// Mean length of a volatile period.
    pub volatile_mean: SimDuration,
    /// Intensity multiplier for regime-sensitive sources while volatile.
    pub volatile_multiplier: f64,
    /// Whether the run starts volatile.
    pub start_volatile: bool,
    /// How the multiplier evolves within a volatile episode.
    pub episode: EpisodeShape,
}

/// The course of a volatile episode's multiplier `m(s)`, `s` the time since the episode began:
/// `1 + (multiplier − 1) · min(1, s / onset) · 2^(−max(0, s − onset) / half_life)` — a linear
/// build-up to the full multiplier over `onset`, then an exponential decay with `half_life`. The
/// episode still ends at its (exponentially distributed) switch back to calm. The default, no
/// onset and no decay, is a step: the full multiplier for the whole episode.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EpisodeShape {
    /// Time to build up to the full multiplier (zero: at once).
    pub onset: SimDuration,
    /// Half-life of the excess over calm once built up (`None`: no decay).
    pub half_life: Option<SimDuration>,
}

/// Step of the piecewise bound of a shaped episode: short enough that thinning wastes few draws.
pub(crate) const EPISODE_STEP_NS: u64 = 60_000_000_000;

impl EpisodeShape {
    /// Whether this is the plain step (no onset, no decay).
    pub fn is_step(&self) -> bool {
        self.onset == SimDuration::ZERO && self.half_life.is_none()
    }

    /// The share of the excess `multiplier − 1` in force `since` the episode began, in [0, 1].
    pub fn excess_share(&self, since: SimDuration) -> f64 {
        let s = since.as_nanos() as f64;
        let onset = self.onset.as_nanos() as f64;
        let build = if s >= onset { 1.0 } else { s / onset };
        let decay = match self.half_life {
            Some(h) if s > onset => {
                libm::exp(-(s - onset) / h.as_nanos() as f64 * std::f64::consts::LN_2)
            }
            _ => 1.0,
        };
        build * decay
    }
}

/// A multivariate Hawkes process over some sources (by index into the configuration's sources).
///
/// Member `i`'s intensity is its source's own intensity (the baseline μᵢ(t)) plus
/// `Σ over past events e in member j: excitation[j][i] · β · exp(−β (t − tₑ))`, with β = 1/decay:
/// `excitation[j][i]` is the expected number of member-`i` events one member-`j` event triggers.
/// The process is stationary only if the spectral radius of `excitation` (the branching ratio) is
/// below 1, which is checked.
#[derive(Clone, Debug, PartialEq)]
pub struct HawkesGroup {
    /// Name; keys the group's random stream.
    pub name: String,
    /// The member sources (indices into the sources list).
    pub members: Vec<usize>,
    /// Mean lifetime of an excitation (1/β).
    pub decay: SimDuration,
    /// Expected offspring: `excitation[j][i]` member-`i` events per member-`j` event.
    pub excitation: Vec<Vec<f64>>,
}

/// A source or group whose parameters cannot be sampled.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("source `{source_name}`: {problem}")]
pub struct SourceError {
    /// The source or group.
    pub source_name: String,
    /// What is wrong.
    pub problem: String,
}

/// A source's rate and rate shape, checked; an error names the field at fault.
pub(crate) fn validate_shape(
    name: &str,
    rate: f64,
    shape: &RateShape,
) -> Result<(), (&'static str, SourceError)> {
    let err = |problem: String| SourceError {
        source_name: name.to_owned(),
        problem,
    };
    if !(rate.is_finite() && rate > 0.0) {
        return Err((
            "rate_per_sec",
            err(format!("rate_per_sec must be > 0 (got {rate})")),
        ));
    }
    if !(shape.daily.is_empty() || shape.daily.len() == 24) {
        return Err((
            "shape.daily",
            err(format!(
                "daily profile needs 24 hourly values (got {})",
                shape.daily.len()
            )),
        ));
    }
    if !(shape.weekly.is_empty() || shape.weekly.len() == 7) {
        return Err((
            "shape.weekly",
            err(format!(
                "weekly profile needs 7 daily values (got {})",
                shape.weekly.len()
            )),
        ));
    }
    if shape
        .daily
        .iter()
        .chain(&shape.weekly)
        .any(|m| !(m.is_finite() && *m >= 0.0))
    {
        let bad = |m: &f64| !(m.is_finite() && *m >= 0.0);
        let field = if shape.daily.iter().any(bad) {
            "shape.daily"
        } else {
            "shape.weekly"
        };
        return Err((
            field,
            err("profile multipliers must be finite and >= 0".into()),
        ));
    }
    Ok(())
}

/// The spectral radius of a square matrix (for the non-negative excitation matrices here, the
/// Perron root: the Hawkes branching ratio), by Gelfand's formula ρ = lim ‖Mᵖ‖^(1/p) over
/// p = 2, 4, 8, …, 2⁶⁴ (repeated squaring, renormalised every step, in the ∞-norm).
///
/// Power iteration on a vector, which this replaces, fails on periodic matrices: for
/// `[[0, 2], [0.6, 0]]` it oscillated and returned 0.60, where ρ = √1.2 ≈ 1.095, so an explosive
/// group passed the stationarity check. `‖Mᵖ‖^(1/p)` is never below ρ, for any matrix, and
/// converges for every matrix, periodic, reducible or defective: its excess is a factor
/// `(c·p^(k−1))^(1/p)` for a Jordan block of size k, below 10⁻¹⁶ at p = 2⁶⁴. A check
/// `spectral_radius(m) < 1` therefore never passes an explosive matrix.
pub fn spectral_radius(m: &[Vec<f64>]) -> f64 {
    let n = m.len();
    let norm = |a: &[f64]| {
        (0..n)
            .map(|i| a[i * n..(i + 1) * n].iter().map(|x| x.abs()).sum::<f64>())
            .fold(0.0f64, f64::max)
    };
    let mut a: Vec<f64> = m.iter().flat_map(|row| row.iter().copied()).collect();
    assert_eq!(a.len(), n * n, "spectral_radius needs a square matrix");
    // Invariant: M^(2^k) = exp(2^k · log_root) · a, with ‖a‖ = 1 after each normalisation, so
    // log_root = ln ‖M^(2^k)‖ / 2^k, the log of the Gelfand estimate.
    let mut log_root = 0.0;
    let mut weight = 1.0; // 1 / 2^k
    for _ in 0..=64 {
        let size = norm(&a);
        if size == 0.0 {
            return 0.0; // nilpotent: some power of M is zero
        }
        for x in &mut a {
            *x /= size;
        }
        log_root += weight * libm::log(size);
        let mut square = vec![0.0; n * n];
        for i in 0..n {
            for k in 0..n {
                let aik = a[i * n + k];
                if aik != 0.0 {
                    for j in 0..n {
                        square[i * n + j] += aik * a[k * n + j];
                    }
                }
            }
        }
        a = square;
        weight /= 2.0;
    }
    libm::exp(log_root)
}

#[cfg(test)]
mod tests {
    use super::spectral_radius;

    fn close(m: &[Vec<f64>], expected: f64) {
        let got = spectral_radius(m);
        assert!(
            (got - expected).abs() <= 1e-9 * expected.max(1.0),
            "{m:?}: {got} vs {expected}"
        );
        assert!(
            got >= expected - 1e-12,
            "never below the true radius: {got} vs {expected}"
        );
    }

    #[test]
    fn periodic_matrices_get_their_true_radius() {
        // Eigenvalues ±√(b·c): power iteration on a vector oscillates on these.
        close(&[vec![0.0, 2.0], vec![0.6, 0.0]], 1.2f64.sqrt());
        close(&[vec![0.0, 1.5], vec![0.5, 0.0]], 0.75f64.sqrt());
        // A 3-cycle scaled by 0.9: eigenvalues are 0.9 times the cube roots of unity.
        let cycle = vec![
            vec![0.0, 0.9, 0.0],
            vec![0.0, 0.0, 0.9],
            vec![0.9, 0.0, 0.0],
        ];
        close(&cycle, 0.9);
    }

    #[test]
    fn reducible_defective_and_nilpotent_matrices() {
        close(&[vec![0.0, 1.0], vec![0.0, 0.0]], 0.0); // nilpotent
        close(&[vec![0.5, 100.0], vec![0.0, 0.5]], 0.5); // a Jordan block: slow for iteration
        close(&[vec![0.3, 0.0], vec![5.0, 0.7]], 0.7); // triangular: the largest diagonal entry
        close(&[], 0.0);
        close(&[vec![0.0]], 0.0);
    }

    #[test]
    fn primitive_matrices_match_the_closed_form() {
        // 2×2: ρ = (a + d)/2 + √(((a − d)/2)² + b·c).
        for (a, b, c, d) in [
            (0.3, 0.2, 0.1, 0.4),
            (0.35, 0.05, 0.05, 0.35),
            (0.0, 0.9, 0.9, 0.1),
        ] {
            let h: f64 = (a - d) / 2.0;
            let rho = (a + d) / 2.0 + (h * h + b * c).sqrt();
            close(&[vec![a, b], vec![c, d]], rho);
        }
        // The built-ins' price-storm group: 5 members, 0.35 self, 0.05 cross → 0.35 + 4·0.05.
        let storms: Vec<Vec<f64>> = (0..5)
            .map(|i| (0..5).map(|j| if i == j { 0.35 } else { 0.05 }).collect())
            .collect();
        close(&storms, 0.55);
    }
}
