//! A finished run, binned into an [`ActivitySeries`]: what `shardsim facts` measures.
//!
//! Everything comes from what an operator could record — the market feed (arrivals per
//! interval and event type, price updates and their squared returns per exchange) and the
//! public calendar — plus the declared stage of each source, which groups event types into
//! cascade stages. Nothing hidden (latent volatility, realised impacts) is read.

use shardsim_sim::cluster::{CascadeStage, Cluster, ClusterConfig, EventTypeId};

use super::series::{ActivitySeries, CalendarMark};

/// The first `intervals` metrics intervals of a run of `config`, binned; an error when the run
/// has no market feed.
pub fn activity(
    config: &ClusterConfig,
    c: &Cluster,
    intervals: usize,
) -> Result<ActivitySeries, String> {
    let feed = c
        .market_feed()
        .ok_or("the run has no market feed (the scenario has no [market] section)")?;
    let n = intervals.min(feed.intervals());
    let types = feed.event_types();
    let arrivals = |i: usize, t: usize| feed.arrivals(i, EventTypeId(t as u16)) as f64;
    // Each event type counts in the stage its (first) exposed source declares; types no exposed
    // source produces (yield updates, say) are not market activity.
    let mut stage_of: Vec<Option<CascadeStage>> = vec![None; types];
    for s in &config.sources {
        if let (Some(m), Some(slot)) = (s.shape.market, stage_of.get_mut(s.event_type.index())) {
            slot.get_or_insert(m.stage);
        }
    }
    let total = (0..n)
        .map(|i| {
            (0..types)
                .filter(|&t| stage_of[t].is_some())
                .map(|t| arrivals(i, t))
                .sum()
        })
        .collect();
    let by_stage = CascadeStage::ALL
        .iter()
        .filter(|stage| stage_of.contains(&Some(**stage)))
        .map(|&stage| {
            let values = (0..n)
                .map(|i| {
                    (0..types)
                        .filter(|&t| stage_of[t] == Some(stage))
                        .map(|t| arrivals(i, t))
                        .sum()
                })
                .collect();
            (stage.name().to_owned(), values)
        })
        .collect();
    let updates: u64 = (0..n)
        .flat_map(|i| (0..feed.exchanges()).map(move |e| (i, e)))
        .map(|(i, e)| feed.price_updates(i, shardsim_sim::cluster::ExchangeId(e as u16)))
        .sum();
    // Realised volatility per interval: the square root of the summed squared returns.
    let abs_returns = (updates > 0).then(|| {
        (0..n)
            .map(|i| {
                (0..feed.exchanges())
                    .map(|e| feed.squared_returns(i, shardsim_sim::cluster::ExchangeId(e as u16)))
                    .sum::<f64>()
                    .sqrt()
            })
            .collect()
    });
    let events = c
        .market_path()
        .map(|p| {
            p.public_calendar()
                .iter()
                .map(|e| CalendarMark {
                    at: e.at,
                    kind: format!("{:?}", e.kind).to_lowercase(),
                    impact_class: format!("{:?}", e.impact).to_lowercase(),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ActivitySeries {
        interval: feed.interval(),
        total,
        by_stage,
        abs_returns,
        events,
    })
}
