//! The market world in a run: its hidden path, the returns of price updates, and the feed an
//! operator observes.

use std::sync::Arc;

use rand::RngExt;
use rand_distr::StandardNormal;

use crate::cluster::event::DomainEvent;
use crate::cluster::market::MarketPath;
use crate::cluster::metrics::market_feed::MarketFeedSeries;
use crate::cluster::spec::market::{CascadeStage, MarketConfig};
use crate::cluster::spec::workload::PoissonSource;
use crate::cluster::world::Cluster;
use crate::rng::{RngStreams, SimRng};
use crate::time::{SimDuration, SimTime};

/// The returns of one price-update source: its own stream, so no other stream shifts.
#[derive(Clone, Debug)]
struct ReturnStream {
    rng: SimRng,
    /// The source's previous update (the run's start before the first).
    last: SimTime,
}

/// The market state a cluster carries when its configuration has a market.
#[derive(Clone, Debug)]
pub(super) struct MarketWorld {
    /// Shared, never changed after build: a fork clones the pointer, not the path.
    path: Arc<MarketPath>,
    feed: MarketFeedSeries,
    /// Per source: its returns, for exposed sources of stage [`CascadeStage::Price`].
    returns: Vec<Option<ReturnStream>>,
    return_sd: f64,
}

impl MarketWorld {
    /// Draws the path (streams `market/vol`, `market/calendar`) and opens a return stream
    /// `market/returns/<source>` per price source.
    pub(super) fn new(
        config: &MarketConfig,
        sources: &[PoissonSource],
        exchanges: usize,
        interval: SimDuration,
        until: SimTime,
        streams: &RngStreams,
    ) -> MarketWorld {
        let event_types = sources
            .iter()
            .map(|s| s.event_type.index() + 1)
            .max()
            .unwrap_or(0);
        let returns = sources
            .iter()
            .map(|s| {
                let price = s
                    .shape
                    .market
                    .is_some_and(|m| m.stage == CascadeStage::Price);
                price.then(|| ReturnStream {
                    rng: streams.stream(&format!("market/returns/{}", s.name)),
                    last: SimTime::ZERO,
                })
            })
            .collect();
        MarketWorld {
            path: Arc::new(MarketPath::draw(config, sources, until, streams)),
            feed: MarketFeedSeries::new(interval, exchanges, event_types),
            returns,
            return_sd: config.return_sd,
        }
    }

    /// The path, for the samplers.
    pub(super) fn path(&self) -> &MarketPath {
        &self.path
    }

    /// Meters one arrival at `now`; a price update also draws its log-return
    /// `r ~ N(0, return_sd² · exp(2x(t)) · gap)`, x as its venue sees it, gap in seconds since
    /// the source's previous update.
    #[inline]
    pub(super) fn observe(&mut self, event: &DomainEvent, now: SimTime) {
        self.feed.arrival(now, event.event_type);
        let Some(Some(ret)) = self.returns.get_mut(event.stream as usize) else {
            return;
        };
        let gap = (now - ret.last).as_secs_f64();
        ret.last = now;
        let x = self.path.source_log_vol(event.stream, now);
        let z: f64 = ret.rng.sample(StandardNormal);
        let r = self.return_sd * libm::exp(x) * gap.sqrt() * z;
        self.feed.price_update(now, event.exchange, r);
    }
}

impl Cluster {
    /// The hidden market path (latent log-vol, per-stage multipliers, realised impacts), or
    /// `None` without a market. Only the world and an oracle may read it; an operator sees
    /// [`MarketPath::public_calendar`] and [`Cluster::market_feed`].
    pub fn market_path(&self) -> Option<&MarketPath> {
        self.market.as_deref().map(|m| &*m.path)
    }

    /// What an operator observes of the market as it happens: per interval and exchange the
    /// price updates and their realised variance, per interval and event type the arrivals.
    /// `None` without a market.
    pub fn market_feed(&self) -> Option<&MarketFeedSeries> {
        self.market.as_deref().map(|m| &m.feed)
    }

    /// Meters an arrival into the market feed, when there is a market.
    #[inline]
    pub(super) fn observe_market(&mut self, event: &DomainEvent, now: SimTime) {
        if let Some(m) = self.market.as_deref_mut() {
            m.observe(event, now);
        }
    }
}
