//! The market files of a run with a `[market]` section: `market.csv`, per metrics interval the
//! world's latent volatility beside the operator's estimate of it, and `calendar.csv`, the
//! scheduled events with their realised impact. Hidden columns say so in their name: results are
//! for the researcher, who may see the world; policies never read them.

use serde::{Deserialize, Serialize};
use shardsim_sim::cluster::{Cluster, EventTypeId, ExchangeId};
use shardsim_sim::{SimDuration, SimTime};

use crate::io::csv::fixed6;

/// `market.csv`: one row per metrics interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarketRow {
    /// Interval index.
    pub interval: usize,
    /// Interval start, simulated seconds.
    #[serde(with = "fixed6")]
    pub start_s: f64,
    /// Hidden: the latent volatility multiplier e^x at the interval's start (the leading venue).
    #[serde(with = "fixed6")]
    pub hidden_vol: f64,
    /// Observed: realised volatility over the interval, √(Σ r²) over every venue's price
    /// updates, annualised (× √(intervals per year)) so that it reads like a quoted volatility.
    #[serde(with = "fixed6")]
    pub observed_realised_vol: f64,
    /// Observed: price updates in the interval, every venue.
    pub price_updates: u64,
    /// Observed: arrivals in the interval, every event type.
    pub arrivals: u64,
}

/// `calendar.csv`: one row per scheduled event (funding settlements included).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalendarRow {
    /// When, simulated seconds.
    #[serde(with = "fixed6")]
    pub at_s: f64,
    /// Its name.
    pub name: String,
    /// What kind (macro, funding, expiry, unlock, launch, maintenance).
    pub kind: String,
    /// Public: its impact class.
    pub impact_class: String,
    /// Hidden until it happens: the realised peak multiplier.
    #[serde(with = "fixed6")]
    pub hidden_realised_impact: f64,
}

/// The market rows of the first `intervals` intervals; empty without a market.
pub fn market_rows(c: &Cluster, intervals: usize) -> Vec<MarketRow> {
    let (Some(path), Some(feed)) = (c.market_path(), c.market_feed()) else {
        return Vec::new();
    };
    let interval = c.metrics_interval();
    let per_year = 365.0 * 86_400.0 / interval.as_secs_f64();
    (0..intervals.min(feed.intervals()))
        .map(|i| {
            let start = SimTime::ZERO + SimDuration::from_nanos(interval.as_nanos() * i as u64);
            let venues = (0..feed.exchanges()).map(|e| ExchangeId(e as u16));
            let variance: f64 = venues.clone().map(|e| feed.squared_returns(i, e)).sum();
            MarketRow {
                interval: i,
                start_s: start.as_secs_f64(),
                hidden_vol: libm::exp(path.log_vol_at(start)),
                observed_realised_vol: (variance * per_year).sqrt(),
                price_updates: venues.map(|e| feed.price_updates(i, e)).sum(),
                arrivals: (0..feed.event_types())
                    .map(|t| feed.arrivals(i, EventTypeId(t as u16)))
                    .sum(),
            }
        })
        .collect()
}

/// The calendar rows; empty without a market.
pub fn calendar_rows(c: &Cluster) -> Vec<CalendarRow> {
    c.market_path()
        .map(|p| {
            p.realised_impacts()
                .map(|(e, impact)| CalendarRow {
                    at_s: e.at.as_secs_f64(),
                    name: e.name.clone(),
                    kind: format!("{:?}", e.kind).to_lowercase(),
                    impact_class: format!("{:?}", e.impact).to_lowercase(),
                    hidden_realised_impact: impact,
                })
                .collect()
        })
        .unwrap_or_default()
}
