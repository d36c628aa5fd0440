//! Arrival sources: where domain events come from.
//!
//! Each source draws from its own stream, `arrivals/<source name>`, and draws the same numbers per
//! arrival whatever happens downstream, so two runs that differ only in routing or planning see
//! identical arrivals (common random numbers).

use rand::RngExt;
use rand_distr::{Distribution, Exp, Pareto};

use super::event::{DomainEvent, RiskLevel, Urgency};
use super::ids::{EventTypeId, ExchangeId, ProtocolId};
use crate::rng::SimRng;
use crate::time::SimDuration;

/// Trade sizes: Pareto (heavy-tailed) with a minimum and a shape; shape ≤ 2 has infinite variance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TradeSize {
    /// Smallest trade, USD.
    pub min_usd: f64,
    /// Tail index α (> 0); smaller is heavier.
    pub shape: f64,
}

/// A homogeneous Poisson stream of one event type from one exchange.
#[derive(Clone, Debug, PartialEq)]
pub struct PoissonSource {
    /// Unique name; keys the random stream.
    pub name: String,
    /// Event type emitted.
    pub event_type: EventTypeId,
    /// Exchange it comes from.
    pub exchange: ExchangeId,
    /// Mean arrivals per simulated second.
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
}

/// A source ready to sample.
#[derive(Clone, Debug)]
pub(crate) struct SourceState {
    pub spec: PoissonSource,
    pub index: u32,
    gap: Exp<f64>,
    size: Pareto<f64>,
    pub rng: SimRng,
}

/// A source whose parameters cannot be sampled.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("source `{source_name}`: {problem}")]
pub struct SourceError {
    /// The source.
    pub source_name: String,
    /// What is wrong.
    pub problem: String,
}

impl SourceState {
    pub(crate) fn new(spec: PoissonSource, index: u32, rng: SimRng) -> Result<Self, SourceError> {
        let err = |problem: String| SourceError {
            source_name: spec.name.clone(),
            problem,
        };
        if !(spec.rate_per_sec.is_finite() && spec.rate_per_sec > 0.0) {
            return Err(err(format!(
                "rate_per_sec must be > 0 (got {})",
                spec.rate_per_sec
            )));
        }
        let gap = Exp::new(spec.rate_per_sec).map_err(|e| err(e.to_string()))?;
        let size = Pareto::new(spec.trade_size.min_usd, spec.trade_size.shape)
            .map_err(|e| err(format!("trade size: {e}")))?;
        Ok(SourceState {
            spec,
            index,
            gap,
            size,
            rng,
        })
    }

    /// The time to the next arrival.
    #[inline]
    pub(crate) fn next_gap(&mut self) -> SimDuration {
        SimDuration::from_secs_f64(self.gap.sample(&mut self.rng))
    }

    /// One event: always the same four draws, whatever its fields are used for.
    #[inline]
    pub(crate) fn next_event(&mut self) -> DomainEvent {
        let s = &self.spec;
        DomainEvent {
            event_type: s.event_type,
            exchange: s.exchange,
            protocol: s.protocol,
            risk: s.risk,
            urgency: s.urgency,
            stream: self.index,
            trading_pair: self.rng.random_range(0..s.trading_pairs.max(1)),
            user: self.rng.random_range(0..s.users.max(1)),
            amount_usd: self.size.sample(&mut self.rng),
        }
    }
}
