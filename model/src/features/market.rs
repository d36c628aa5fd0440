//! The market columns: what the operator's market feed, the arrivals per event type and the
//! public calendar say about the load to come.
//!
//! All three are public: the feed is metered by the cluster (price updates with their returns,
//! arrivals per event type), and the calendar lists each scheduled event with its time and
//! impact class, never its realised impact. In the market world the activity of every stage
//! of the cascade follows the latent volatility (which the returns reveal) and lags the stage
//! before it (so the arrivals a shard does *not* serve lead those it does), and scheduled
//! events build up before they happen.
//!
//! Ratios are of a recent window to the last hour (or to the run so far), so that they mean
//! the same on clusters of any size; where a ratio is undefined (no updates yet, no arrivals)
//! it is 1, and a slope is 0.

use shardsim_sim::cluster::{
    EventKind, EventTypeId, ExchangeId, ImpactClass, MarketFeedSeries, PublicEvent,
};

use super::{WARMUP, slope};

/// Minutes at which calendar distances are capped: beyond half a day an event says nothing
/// about the next 30 minutes (a choice).
pub const CALENDAR_CAP_MINUTES: f64 = 720.0;

/// What the market feed and the calendar held, per interval, as the features read it.
#[derive(Clone, Debug, Default)]
pub struct MarketHistory {
    /// `updates[v][i]`: price updates from venue v in interval i.
    pub updates: Vec<Vec<f64>>,
    /// `squared_returns[v][i]`: Σ r² of those updates.
    pub squared_returns: Vec<Vec<f64>>,
    /// `arrivals[e][i]`: arrivals of event type e in interval i.
    pub arrivals: Vec<Vec<f64>>,
    /// Per shard, the event types its functions handle (ascending).
    pub shard_types: Vec<Vec<usize>>,
    /// The public calendar: (seconds from the start, signed impact class), in time order.
    pub calendar: Vec<Mark>,
}

/// An event's impact class as a number: 1, 2 or 3 for low, medium and high; negative for
/// maintenance, which takes activity away.
pub fn signed_class(event: &PublicEvent) -> f64 {
    let size = match event.impact {
        ImpactClass::Low => 1.0,
        ImpactClass::Medium => 2.0,
        ImpactClass::High => 3.0,
    };
    if event.kind == EventKind::Maintenance {
        -size
    } else {
        size
    }
}

impl MarketHistory {
    /// The first `n` intervals of `feed` (none without one), the calendar, and each shard's
    /// event types.
    pub fn new(
        feed: Option<&MarketFeedSeries>,
        n: usize,
        calendar: &[PublicEvent],
        shard_types: Vec<Vec<usize>>,
    ) -> MarketHistory {
        let mut m = MarketHistory {
            shard_types,
            calendar: calendar
                .iter()
                .map(|e| (e.at.as_nanos() as f64 / 1e9, signed_class(e)))
                .collect(),
            ..MarketHistory::default()
        };
        if let Some(feed) = feed {
            for v in 0..feed.exchanges() {
                let venue = ExchangeId(v as u16);
                m.updates.push(
                    (0..n)
                        .map(|i| feed.price_updates(i, venue) as f64)
                        .collect(),
                );
                m.squared_returns
                    .push((0..n).map(|i| feed.squared_returns(i, venue)).collect());
            }
            for e in 0..feed.event_types() {
                let ty = EventTypeId(e as u16);
                m.arrivals
                    .push((0..n).map(|i| feed.arrivals(i, ty) as f64).collect());
            }
        }
        m
    }
}

/// Sum of `x[t + 1 - n ..= t]`.
fn window_sum(x: &[f64], t: usize, n: usize) -> f64 {
    x[t + 1 - n..=t].iter().sum()
}

/// `a / b`, or 1 where `b` is not positive.
fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 1.0 }
}

/// A calendar entry as the features read it: (seconds from the start, signed class).
type Mark = (f64, f64);

/// Per interval, the cluster-wide market columns and, per distinct set of event types, the
/// demand series.
#[derive(Clone, Debug, Default)]
pub struct MarketAt {
    /// All venues' price updates per interval.
    updates: Vec<f64>,
    /// All venues' Σ r² per interval.
    squared_returns: Vec<f64>,
    /// ln of the realised volatility per update, per interval (floored).
    log_vol: Vec<f64>,
    /// Per shard, the index of its event-type set in `own` and `other`.
    group: Vec<usize>,
    /// Per set: arrivals of its event types, per interval.
    own: Vec<Vec<f64>>,
    /// Per set: arrivals of every other event type, per interval.
    other: Vec<Vec<f64>>,
    /// Per venue, its updates and Σ r² per interval.
    venues: Vec<(Vec<f64>, Vec<f64>)>,
    calendar: Vec<Mark>,
}

/// How many of [`super::FEATURES`] are market columns: the last ones.
pub const COLUMN_COUNT: usize = 19;

/// The market columns' names: the tail of [`super::FEATURES`], the one list of names.
pub const COLUMNS: &[&str] = super::FEATURES
    .split_at(super::FEATURES.len() - COLUMN_COUNT)
    .1;

impl MarketAt {
    /// Derives the series of a history of `n` intervals.
    pub fn of(m: &MarketHistory, n: usize) -> MarketAt {
        let sum_over = |series: &[Vec<f64>], i: usize| series.iter().map(|s| s[i]).sum::<f64>();
        let updates: Vec<f64> = (0..n).map(|i| sum_over(&m.updates, i)).collect();
        let squared_returns: Vec<f64> = (0..n).map(|i| sum_over(&m.squared_returns, i)).collect();
        let log_vol = (0..n)
            .map(|i| {
                let var = if updates[i] > 0.0 {
                    squared_returns[i] / updates[i]
                } else {
                    0.0
                };
                // Half of ln(variance), floored where there were no returns.
                0.5 * libm::log(var.max(1e-12))
            })
            .collect();
        let mut sets: Vec<Vec<usize>> = Vec::new();
        let group = m
            .shard_types
            .iter()
            .map(|types| {
                sets.iter().position(|s| s == types).unwrap_or_else(|| {
                    sets.push(types.clone());
                    sets.len() - 1
                })
            })
            .collect();
        let demand = |set: &[usize], inside: bool| -> Vec<f64> {
            (0..n)
                .map(|i| {
                    m.arrivals
                        .iter()
                        .enumerate()
                        .filter(|(e, _)| set.contains(e) == inside)
                        .map(|(_, a)| a[i])
                        .sum()
                })
                .collect()
        };
        MarketAt {
            updates,
            squared_returns,
            log_vol,
            group,
            own: sets.iter().map(|s| demand(s, true)).collect(),
            other: sets.iter().map(|s| demand(s, false)).collect(),
            venues: m
                .updates
                .iter()
                .zip(&m.squared_returns)
                .map(|(u, q)| (u[..n].to_vec(), q[..n].to_vec()))
                .collect(),
            calendar: m.calendar.clone(),
        }
    }

    /// Realised volatility over the last `k` intervals to that over the last `base` (1 when
    /// either has no updates): the ratio of standard deviations per update.
    fn vol_ratio(updates: &[f64], sq: &[f64], t: usize, k: usize, base: usize) -> f64 {
        let (uk, ub) = (window_sum(updates, t, k), window_sum(updates, t, base));
        let (qk, qb) = (window_sum(sq, t, k), window_sum(sq, t, base));
        if uk > 0.0 && ub > 0.0 && qb > 0.0 {
            ((qk / uk) / (qb / ub)).sqrt()
        } else {
            1.0
        }
    }

    /// The market columns of shard `s` at interval `t` ([`COLUMNS`] order); `end_secs` is the
    /// end of interval t. Needs `t >= WARMUP - 1`.
    pub fn columns(&self, s: usize, t: usize, end_secs: f64) -> [f64; COLUMN_COUNT] {
        let (u, q) = (&self.updates, &self.squared_returns);
        let mean = |x: &[f64], n: usize| window_sum(x, t, n) / n as f64;
        let run_mean = |x: &[f64]| window_sum(x, t, t + 1) / (t + 1) as f64;
        let venue_max = self
            .venues
            .iter()
            .map(|(vu, vq)| Self::vol_ratio(vu, vq, t, 5, WARMUP))
            .reduce(f64::max)
            .unwrap_or(1.0);
        let zero = Vec::new();
        let g = self.group.get(s).copied();
        let own = g.map_or(&zero, |g| &self.own[g]);
        let other = g.map_or(&zero, |g| &self.other[g]);
        let demand = |x: &Vec<f64>, f: &dyn Fn(&[f64]) -> f64| {
            if x.is_empty() { 1.0 } else { f(x) }
        };
        let per_hour = |x: &[f64]| mean(x, WARMUP);
        let (next, last) = self.calendar_marks(end_secs, |_| true);
        let (next_big, last_big) = self.calendar_marks(end_secs, |class| class >= 2.0);
        [
            Self::vol_ratio(u, q, t, 1, WARMUP),
            Self::vol_ratio(u, q, t, 5, WARMUP),
            Self::vol_ratio(u, q, t, WARMUP, t + 1),
            slope(&self.log_vol[t + 1 - 15..=t]),
            venue_max,
            ratio(mean(u, 5), per_hour(u)),
            demand_slope(u, t, per_hour),
            demand(own, &|x| ratio(mean(x, 5), per_hour(x))),
            demand_slope(own, t, per_hour),
            demand(own, &|x| ratio(per_hour(x), run_mean(x))),
            demand(other, &|x| ratio(mean(x, 1), per_hour(x))),
            demand(other, &|x| ratio(mean(x, 5), per_hour(x))),
            demand_slope(other, t, per_hour),
            next.map_or(CALENDAR_CAP_MINUTES, |(at, _)| minutes(at - end_secs)),
            next.map_or(0.0, |(_, class)| class),
            last.map_or(CALENDAR_CAP_MINUTES, |(at, _)| minutes(end_secs - at)),
            last.map_or(0.0, |(_, class)| class),
            next_big.map_or(CALENDAR_CAP_MINUTES, |(at, _)| minutes(at - end_secs)),
            last_big.map_or(CALENDAR_CAP_MINUTES, |(at, _)| minutes(end_secs - at)),
        ]
    }

    /// The first event after `end_secs` and the last at or before it whose signed class
    /// passes `keep`.
    fn calendar_marks(
        &self,
        end_secs: f64,
        keep: impl Fn(f64) -> bool,
    ) -> (Option<Mark>, Option<Mark>) {
        let split = self.calendar.partition_point(|(at, _)| *at <= end_secs);
        let next = self.calendar[split..]
            .iter()
            .find(|(_, c)| keep(*c))
            .copied();
        let last = self.calendar[..split]
            .iter()
            .rev()
            .find(|(_, c)| keep(*c))
            .copied();
        (next, last)
    }
}

/// Seconds as minutes, capped at [`CALENDAR_CAP_MINUTES`].
fn minutes(secs: f64) -> f64 {
    (secs / 60.0).min(CALENDAR_CAP_MINUTES)
}

/// Slope of the last 15 intervals of a demand series, per interval, relative to its hourly
/// mean (0 for an empty series or no arrivals).
fn demand_slope(x: &[f64], t: usize, per_hour: impl Fn(&[f64]) -> f64) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    let m = per_hour(x);
    if m > 0.0 {
        slope(&x[t + 1 - 15..=t]) / m
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str) -> usize {
        COLUMNS.iter().position(|c| *c == name).unwrap()
    }

    /// 120 intervals of one venue with 10 updates each; Σ r² per update 1e-4, four times that
    /// in the last 5; two event types at 20 arrivals each, the second doubling in the last one.
    fn history() -> MarketHistory {
        let n = 120;
        let sq = (0..n)
            .map(|i| if i >= n - 5 { 10.0 * 4e-4 } else { 10.0 * 1e-4 })
            .collect();
        let other = (0..n)
            .map(|i| if i == n - 1 { 40.0 } else { 20.0 })
            .collect();
        MarketHistory {
            updates: vec![vec![10.0; n]],
            squared_returns: vec![sq],
            arrivals: vec![vec![20.0; n], other],
            shard_types: vec![vec![0], vec![0, 1]],
            calendar: vec![(600.0, 1.0), (3_600.0, 3.0), (7_200.0, -2.0)],
        }
    }

    #[test]
    fn realised_volatility_ratios_read_the_returns() {
        let m = MarketAt::of(&history(), 120);
        let c = m.columns(0, 119, 120.0 * 60.0);
        // Variance per update: 4e-4 recently, (55 × 1e-4 + 5 × 4e-4) / 60 over the hour.
        let hour: f64 = (55.0 * 1e-4 + 5.0 * 4e-4) / 60.0;
        assert!((c[col("feed_vol5_ratio")] - (4e-4 / hour).sqrt()).abs() < 1e-9);
        assert!((c[col("feed_vol1_ratio")] - (4e-4 / hour).sqrt()).abs() < 1e-9);
        assert!(c[col("feed_vol_slope15")] > 0.0);
        assert_eq!(
            c[col("feed_venue_vol5_max_ratio")],
            c[col("feed_vol5_ratio")]
        );
        assert_eq!(c[col("feed_updates5_ratio")], 1.0);
        assert_eq!(c[col("feed_updates_slope15")], 0.0);
        // Before the change every ratio is 1.
        let calm = m.columns(0, 100, 101.0 * 60.0);
        assert!((calm[col("feed_vol5_ratio")] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn demand_splits_a_shards_own_event_types_from_the_others() {
        let m = MarketAt::of(&history(), 120);
        let first = m.columns(0, 119, 0.0);
        assert_eq!(first[col("demand_own5_ratio")], 1.0);
        assert!((first[col("demand_other1_ratio")] - 40.0 / (20.0 + 20.0 / 60.0)).abs() < 1e-12);
        // The second shard handles both types: it has no others, so their ratios are 1.
        let both = m.columns(1, 119, 0.0);
        assert!(both[col("demand_own5_ratio")] > 1.0);
        assert_eq!(both[col("demand_other1_ratio")], 1.0);
        assert_eq!(both[col("demand_other_slope15")], 0.0);
    }

    #[test]
    fn the_calendar_columns_count_minutes_to_and_since_public_events() {
        let m = MarketAt::of(&history(), 120);
        let c = m.columns(0, 119, 1_200.0);
        assert_eq!(c[col("cal_to_next_min")], 40.0);
        assert_eq!(c[col("cal_next_class")], 3.0);
        assert_eq!(c[col("cal_since_last_min")], 10.0);
        assert_eq!(c[col("cal_last_class")], 1.0);
        assert_eq!(c[col("cal_to_next_big_min")], 40.0);
        assert_eq!(c[col("cal_since_big_min")], CALENDAR_CAP_MINUTES);
        // Maintenance is a dip (negative class) and never a big event.
        let later = m.columns(0, 119, 4_000.0);
        assert_eq!(later[col("cal_next_class")], -2.0);
        assert_eq!(later[col("cal_to_next_big_min")], CALENDAR_CAP_MINUTES);
        assert!((later[col("cal_since_big_min")] - 400.0 / 60.0).abs() < 1e-12);
    }
}
