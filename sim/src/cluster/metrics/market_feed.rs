//! The market feed an operator observes: per metrics interval and per exchange, the number of
//! price updates and the sum of their squared log-returns (realised variance), and per interval
//! and per event type the number of arrivals.
//!
//! Rows are kept from interval 0; a row is complete once its interval has ended, so a reader at
//! time t should look only at the intervals before [`MarketFeedSeries::complete_before`]`(t)`.

use crate::cluster::ids::{EventTypeId, ExchangeId};
use crate::time::{SimDuration, SimTime};

/// The metered market feed of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct MarketFeedSeries {
    interval: SimDuration,
    exchanges: usize,
    event_types: usize,
    /// `[interval × exchanges + exchange]`: price updates.
    updates: Vec<u64>,
    /// `[interval × exchanges + exchange]`: Σ r².
    squared_returns: Vec<f64>,
    /// `[interval × event_types + event type]`: arrivals.
    arrivals: Vec<u64>,
}

impl MarketFeedSeries {
    /// An empty feed for `exchanges` exchanges and `event_types` event types.
    pub(crate) fn new(interval: SimDuration, exchanges: usize, event_types: usize) -> Self {
        MarketFeedSeries {
            interval,
            exchanges,
            event_types,
            updates: Vec::new(),
            squared_returns: Vec::new(),
            arrivals: Vec::new(),
        }
    }

    /// The row of `t`, grown to hold it.
    #[inline]
    fn row_of(&mut self, t: SimTime) -> usize {
        let i = (t.as_nanos() / self.interval.as_nanos()) as usize;
        self.ensure(i);
        i
    }

    fn ensure(&mut self, i: usize) {
        let rows = i + 1;
        if self.updates.len() < rows * self.exchanges {
            self.updates.resize(rows * self.exchanges, 0);
            self.squared_returns.resize(rows * self.exchanges, 0.0);
        }
        if self.arrivals.len() < rows * self.event_types {
            self.arrivals.resize(rows * self.event_types, 0);
        }
    }

    /// Counts one arrival of `event_type` at `t`.
    #[inline]
    pub(crate) fn arrival(&mut self, t: SimTime, event_type: EventTypeId) {
        let i = self.row_of(t);
        if event_type.index() < self.event_types {
            self.arrivals[i * self.event_types + event_type.index()] += 1;
        }
    }

    /// Records one price update from `exchange` at `t` with log-return `r`.
    #[inline]
    pub(crate) fn price_update(&mut self, t: SimTime, exchange: ExchangeId, r: f64) {
        let i = self.row_of(t);
        let k = i * self.exchanges + exchange.index();
        self.updates[k] += 1;
        self.squared_returns[k] += r * r;
    }

    /// The metrics interval.
    pub fn interval(&self) -> SimDuration {
        self.interval
    }

    /// Exchanges metered (ids `0..exchanges()`).
    pub fn exchanges(&self) -> usize {
        self.exchanges
    }

    /// Event types metered (ids `0..event_types()`: every type a source emits).
    pub fn event_types(&self) -> usize {
        self.event_types
    }

    /// Intervals with a row so far (the last may still be open).
    pub fn intervals(&self) -> usize {
        (self.updates.len() / self.exchanges.max(1))
            .max(self.arrivals.len() / self.event_types.max(1))
    }

    /// The number of intervals that have ended by `t`: the rows an observer at `t` may read.
    pub fn complete_before(&self, t: SimTime) -> usize {
        ((t.as_nanos() / self.interval.as_nanos()) as usize).min(self.intervals())
    }

    /// Price updates from `exchange` in interval `i` (0 past the rows kept).
    pub fn price_updates(&self, i: usize, exchange: ExchangeId) -> u64 {
        self.updates
            .get(i * self.exchanges + exchange.index())
            .copied()
            .unwrap_or(0)
    }

    /// Σ r² of the price updates from `exchange` in interval `i`: its realised variance.
    pub fn squared_returns(&self, i: usize, exchange: ExchangeId) -> f64 {
        self.squared_returns
            .get(i * self.exchanges + exchange.index())
            .copied()
            .unwrap_or(0.0)
    }

    /// Arrivals of `event_type` in interval `i`.
    pub fn arrivals(&self, i: usize, event_type: EventTypeId) -> u64 {
        self.arrivals
            .get(i * self.event_types + event_type.index())
            .copied()
            .unwrap_or(0)
    }
}
