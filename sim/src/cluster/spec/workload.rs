//! Declared workload: sources, their rate shapes, the regime, Hawkes groups, trade sizes.
//!
//! * [`PoissonSource`] — a Poisson process whose intensity is `rate × daily(t) × weekly(t) ×
//!   regime(t) × ramp(t)`: a daily/weekly profile ([`RateShape`]), the calm ↔ volatile regime
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
}

impl Default for RateShape {
    fn default() -> Self {
        RateShape {
            daily: Vec::new(),
            weekly: Vec::new(),
            regime_sensitive: false,
            starts_at: SimTime::ZERO,
            ramp: SimDuration::ZERO,
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

/// The spectral radius of a non-negative square matrix (its Perron root), by power iteration.
pub fn spectral_radius(m: &[Vec<f64>]) -> f64 {
    let n = m.len();
    if n == 0 {
        return 0.0;
    }
    let mut v = vec![1.0; n];
    let mut radius = 0.0;
    for _ in 0..500 {
        let next: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| m[i][j] * v[j]).sum())
            .collect();
        let norm = next.iter().fold(0.0f64, |a, x| a.max(x.abs()));
        if norm == 0.0 {
            return 0.0;
        }
        radius = norm / v.iter().fold(0.0f64, |a, x| a.max(x.abs()));
        v = next.iter().map(|x| x / norm).collect();
    }
    radius
}
