//! Declared faults and the circuit breaker that reacts to failures.

use crate::cluster::ids::{ExchangeId, RegionId, ShardId};
use crate::time::{SimDuration, SimTime};

/// Circuit-breaker settings, per shard.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerConfig {
    /// Consecutive failures (timeouts or crashes) that open the breaker.
    pub failure_threshold: u32,
    /// How long it stays open before letting traffic probe it again (half-open).
    pub cooldown: SimDuration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 20,
            cooldown: SimDuration::from_secs(30),
        }
    }
}

/// What goes wrong, when, and for how long.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// The shard stops: running work fails, queued work is re-routed.
    Crash {
        /// Which shard.
        shard: ShardId,
    },
    /// The shard runs slower: service times are multiplied by `factor` (> 1 is slower).
    Slowdown {
        /// Which shard.
        shard: ShardId,
        /// Service-time multiplier.
        factor: f64,
    },
    /// The region's shards become unreachable: routing skips them, deliveries re-route.
    Partition {
        /// Which region.
        region: RegionId,
    },
    /// Events from the exchange take `extra` longer to reach any shard.
    ExchangeLatencySpike {
        /// Which exchange.
        exchange: ExchangeId,
        /// Added one-way latency.
        extra: SimDuration,
    },
}

/// A scheduled fault.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// When it starts.
    pub at: SimTime,
    /// How long it lasts.
    pub duration: SimDuration,
    /// What it is.
    pub kind: FaultKind,
}
