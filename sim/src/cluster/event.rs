//! Domain events: what an exchange or a user emits, in a compact, string-free form.

use super::ids::{EventTypeId, ExchangeId, ProtocolId};

/// The risk level an event declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum RiskLevel {
    /// Not stated.
    #[default]
    Unknown,
    /// Low risk.
    Low,
    /// Medium risk.
    Medium,
    /// High risk.
    High,
    /// Critical risk.
    Critical,
}

/// How urgently an event must be handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Urgency {
    /// Background work.
    Low,
    /// Normal.
    #[default]
    Normal,
    /// Time-sensitive.
    High,
    /// Only shards with the `critical` capability may take it.
    Critical,
}

/// A domain event: its type, its source stream, and every field routing may read.
///
/// 32 bytes, `Copy`; names are interned ids.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DomainEvent {
    /// Event type (interned).
    pub event_type: EventTypeId,
    /// Exchange it came from.
    pub exchange: ExchangeId,
    /// Protocol it concerns, if any.
    pub protocol: Option<ProtocolId>,
    /// Declared risk level.
    pub risk: RiskLevel,
    /// Urgency.
    pub urgency: Urgency,
    /// The source stream that generated it.
    pub stream: u32,
    /// Trading pair (interned or hashed id).
    pub trading_pair: u32,
    /// User id.
    pub user: u32,
    /// Trade size in US dollars.
    pub amount_usd: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_stays_small() {
        assert!(std::mem::size_of::<DomainEvent>() <= 32);
    }
}
