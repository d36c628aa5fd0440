//! Stylised facts of a simulated market day, measured on plain per-interval series and set next
//! to published values (`shardsim facts`, issue 18).
//!
//! This module is the pure half: it knows nothing of the simulator's market types. The caller
//! bins a run into an [`ActivitySeries`] (arrivals per interval, per cascade stage, |returns|, the
//! calendar marks), [`measure`] turns one series into [`MeasuredFact`]s, and [`compare`] sets the
//! facts of several seeds beside the [`published`] table as a [`FactsTable`].
//!
//! ```text
//! series      the input type, clock arithmetic (hour of day, weekday), deseasonalising
//! acf         autocorrelation at 1/10/60 min, raw and deseasonalised
//! seasonality intraday profile (peak, trough, ratio) and weekend/weekday ratio
//! events      activity multiple after and before scheduled events of a kind
//! bursts      intervals above k × the rolling median of the previous hour; Hill tail exponent
//! cascade     lead lag between cascade stages; the liquidation core (duration, intensity, lag)
//! published   the published values, taken only from docs/market-world-sources.md
//! table       the comparison over seeds, its text renderer and CSV/JSON rows
//! ```
//!
//! A fact that cannot be measured on a series (too short, no weekend, no event of a kind, an
//! interval that does not divide a lag) is still returned, as [`Measured::NotApplicable`] with
//! the reason: the table never drops a row silently.

pub mod acf;
pub mod bursts;
pub mod cascade;
pub mod events;
pub mod published;
pub mod seasonality;
pub mod series;
pub mod table;

mod quantile;

use shardsim_sim::SimDuration;

pub use published::{PublishedFact, published_facts};
pub use series::{ActivitySeries, CalendarMark};
pub use table::{FactsTable, compare};

/// The value of one fact on one series: a number, or the reason it does not apply.
#[derive(Clone, Debug, PartialEq)]
pub enum Measured {
    /// The measured value (its unit is in the fact's `what`).
    Value(f64),
    /// Why the fact cannot be measured on this series.
    NotApplicable(String),
}

/// One stylised fact measured on one series.
#[derive(Clone, Debug, PartialEq)]
pub struct MeasuredFact {
    /// Stable identifier, the key that joins a measured fact to its [`PublishedFact`].
    pub id: String,
    /// What was measured, with its unit, for the table.
    pub what: String,
    /// The value, or why it does not apply.
    pub value: Measured,
}

impl MeasuredFact {
    /// A fact from its id, description and value (`Err` = the reason it does not apply).
    pub fn new(id: impl Into<String>, what: impl Into<String>, value: Result<f64, String>) -> Self {
        MeasuredFact {
            id: id.into(),
            what: what.into(),
            value: match value {
                Ok(v) => Measured::Value(v),
                Err(reason) => Measured::NotApplicable(reason),
            },
        }
    }
}

/// The knobs of the measures. [`FactParams::default`] documents each default and why.
#[derive(Clone, Debug, PartialEq)]
pub struct FactParams {
    /// Autocorrelation lags (default 1, 10, 60 min: the lags the sources discuss).
    pub acf_lags: Vec<SimDuration>,
    /// Event kinds always reported, n/a when the scenario has none (default "macro", "funding";
    /// any other kind found in the calendar is reported too).
    pub event_kinds: Vec<String>,
    /// Post-event window `[t, t + w)` (default 1 h: the CoinDesk ×3.9 figure is an hourly count).
    pub event_window: SimDuration,
    /// Baseline window starts this long before the event (default 3 h) ...
    pub baseline_from: SimDuration,
    /// ... and ends this long before it (default 1 h), so that the build-up the sources describe
    /// before a release (Falay 2024) does not inflate the baseline.
    pub baseline_to: SimDuration,
    /// Build-up window `[t − b, t)` (default 30 min).
    pub buildup: SimDuration,
    /// An interval is in a burst above `k ×` the rolling median (default 2; must exceed 1).
    pub burst_threshold: f64,
    /// The rolling median looks back this far (default 1 h).
    pub burst_lookback: SimDuration,
    /// The Hill tail exponent needs at least this many bursts (default 100, so that its top
    /// decile is ≥ 10 values; the Hill estimate's relative standard error is 1/√k).
    pub min_bursts_for_tail: usize,
    /// Cascade lead lags are searched over `0..=max` (default 60 min).
    pub cascade_max_lag: SimDuration,
    /// The span around the liquidation peak in which its core is sought (default 14 h: the
    /// Amberdata event's "$9.89 billion … within 14 hours").
    pub liquidation_span: SimDuration,
    /// The share of the span's liquidations the core holds (default 0.7: "70% of the losses
    /// concentrated in just 40 minutes").
    pub liquidation_core_share: f64,
}

impl Default for FactParams {
    fn default() -> Self {
        FactParams {
            acf_lags: vec![
                SimDuration::from_mins(1),
                SimDuration::from_mins(10),
                SimDuration::from_mins(60),
            ],
            event_kinds: vec!["macro".to_string(), "funding".to_string()],
            event_window: SimDuration::from_mins(60),
            baseline_from: SimDuration::from_mins(180),
            baseline_to: SimDuration::from_mins(60),
            buildup: SimDuration::from_mins(30),
            burst_threshold: 2.0,
            burst_lookback: SimDuration::from_mins(60),
            min_bursts_for_tail: 100,
            cascade_max_lag: SimDuration::from_mins(60),
            liquidation_span: SimDuration::from_mins(14 * 60),
            liquidation_core_share: 0.7,
        }
    }
}

/// Every stylised fact of one series, in a fixed order (the table's order).
pub fn measure(series: &ActivitySeries, params: &FactParams) -> Vec<MeasuredFact> {
    let mut facts = Vec::new();
    facts.extend(acf::measure(series, &params.acf_lags));
    facts.extend(seasonality::measure(series));
    facts.extend(events::measure(series, params));
    facts.extend(bursts::measure(series, params));
    facts.extend(cascade::measure(series, params));
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fact_is_reported_even_on_an_empty_series() {
        let series = ActivitySeries {
            interval: SimDuration::from_mins(1),
            total: Vec::new(),
            by_stage: Vec::new(),
            abs_returns: None,
            events: Vec::new(),
        };
        let facts = measure(&series, &FactParams::default());
        // Nothing can be measured, but the published facts all have a row saying why.
        for p in published_facts() {
            let f = facts.iter().find(|f| f.id == p.id);
            let f = f.unwrap_or_else(|| panic!("no measured row for {}", p.id));
            assert!(matches!(f.value, Measured::NotApplicable(_)), "{f:?}");
        }
    }
}
