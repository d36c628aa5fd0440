//! Features: one row per (shard, interval t) with only what is known at the end of t, and the
//! label, the shard's offered load at t + horizon.
//!
//! Everything here is read from the operator's view ([`Observation`]): the metrics so far, the
//! declared topology and placement, the market feed (price updates with their returns, arrivals
//! per event type) and the public calendar. The market's regime and latent path are hidden;
//! what shows of them is in the load (the `surge_*` columns), the returns (`feed_*`), the
//! arrivals (`demand_*`) and the calendar (`cal_*`). [`FeatureGroup`] names the groups.

mod cluster;
mod history;
pub mod market;

pub use cluster::ClusterAt;
pub use history::History;
pub use market::{MarketAt, MarketHistory};

use shardsim_sim::cluster::{Observation, ShardId};

/// Bumped whenever a feature is added, removed, reordered or redefined; model files record it.
/// 3: `volatile_t` and `volatile_minutes` (read from the hidden regime) became `surge_ratio_t`
/// and `surge_minutes` (read from the load).
/// 4: the region, market-feed, demand and calendar groups.
pub const SCHEMA_VERSION: u32 = 4;

/// The cluster is surging when its mean load is at least this multiple of its median over the
/// last [`WARMUP`] intervals (a choice, the planner's default `surge_ratio`).
pub const SURGE_RATIO: f64 = 1.5;

/// Intervals of history a row needs (the longest window below).
pub const WARMUP: usize = 60;

/// Feature names, in column order: the load-derived columns, then [`market::COLUMNS`].
pub const FEATURES: [&str; 60] = [
    "load_t",
    "load_lag1",
    "load_lag2",
    "load_lag4",
    "load_lag9",
    "load_lag14",
    "load_mean15",
    "load_mean60",
    "load_max15",
    "load_max60",
    "load_std15",
    "load_slope15",
    "load_ewma",
    "util_t",
    "queue_per_slot_t",
    "queue_per_slot_mean15",
    "target_tod_sin",
    "target_tod_cos",
    "target_dow_sin",
    "target_dow_cos",
    "surge_ratio_t",
    "surge_minutes",
    "cluster_mean_load_t",
    "cluster_max_load_t",
    "cluster_var_load_t",
    "cluster_slope15",
    "cluster_healthy_share",
    "peer_mean_load_t",
    "peer_mean_load_mean15",
    "peer_max_load_t",
    "peer_slope15",
    "shard_slots",
    "shard_speed",
    "shard_region",
    "shard_general",
    "shard_critical",
    "shard_specialised",
    "region_mean_load_t",
    "other_regions_mean_load_t",
    "other_regions_slope15",
    "other_regions_lead5_ratio",
    "feed_vol1_ratio",
    "feed_vol5_ratio",
    "feed_vol60_vs_run",
    "feed_vol_slope15",
    "feed_venue_vol5_max_ratio",
    "feed_updates5_ratio",
    "feed_updates_slope15",
    "demand_own5_ratio",
    "demand_own_slope15",
    "demand_own60_vs_run",
    "demand_other1_ratio",
    "demand_other5_ratio",
    "demand_other_slope15",
    "cal_to_next_min",
    "cal_next_class",
    "cal_since_last_min",
    "cal_last_class",
    "cal_to_next_big_min",
    "cal_since_big_min",
];

/// Whether a feature is measured in units of load (a level, a spread or a slope of one), so
/// that a forecaster of the load relative to the shard's recent mean reads it relative too.
pub fn in_load_units(name: &str) -> bool {
    name.starts_with("load_")
        || name.starts_with("peer_")
        || matches!(
            name,
            "util_t"
                | "cluster_mean_load_t"
                | "cluster_max_load_t"
                | "cluster_slope15"
                | "region_mean_load_t"
                | "other_regions_mean_load_t"
                | "other_regions_slope15"
        )
}

/// Whether a row's cluster was surging at t ([`SURGE_RATIO`]).
pub fn surging(features: &[f64]) -> bool {
    features[column("surge_ratio_t")] >= SURGE_RATIO
}

/// The groups of [`FEATURES`], by what an operator reads them from; an ablation drops one.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum FeatureGroup {
    /// The shard's own load history (`load_*`).
    Load,
    /// Its utilisation, queue and attributes (`util_*`, `queue_*`, `shard_*`).
    Shard,
    /// Time of day and week at the target (`target_*`).
    Clock,
    /// The whole cluster's load (`cluster_*`, `surge_*`).
    Cluster,
    /// The shards hosting the same functions (`peer_*`).
    Peers,
    /// This and the other regions' load (`region_*`, `other_regions_*`): lead–lag.
    Regions,
    /// Realised volatility and update rates of the price feed (`feed_*`).
    Feed,
    /// Arrivals of this shard's event types and of the others, upstream in the cascade
    /// (`demand_*`).
    Demand,
    /// The public calendar (`cal_*`).
    Calendar,
}

impl FeatureGroup {
    /// Every group, in column order.
    pub const ALL: [FeatureGroup; 9] = [
        FeatureGroup::Load,
        FeatureGroup::Shard,
        FeatureGroup::Clock,
        FeatureGroup::Cluster,
        FeatureGroup::Peers,
        FeatureGroup::Regions,
        FeatureGroup::Feed,
        FeatureGroup::Demand,
        FeatureGroup::Calendar,
    ];

    /// The group of a feature, by its name's prefix.
    pub fn of(feature: &str) -> FeatureGroup {
        let prefixed = |p: &[&str]| p.iter().any(|p| feature.starts_with(p));
        if prefixed(&["load_"]) {
            FeatureGroup::Load
        } else if prefixed(&["util_", "queue_", "shard_"]) {
            FeatureGroup::Shard
        } else if prefixed(&["target_"]) {
            FeatureGroup::Clock
        } else if prefixed(&["cluster_", "surge_"]) {
            FeatureGroup::Cluster
        } else if prefixed(&["peer_"]) {
            FeatureGroup::Peers
        } else if prefixed(&["region_", "other_regions_"]) {
            FeatureGroup::Regions
        } else if prefixed(&["feed_"]) {
            FeatureGroup::Feed
        } else if prefixed(&["demand_"]) {
            FeatureGroup::Demand
        } else {
            FeatureGroup::Calendar
        }
    }

    /// Its name on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            FeatureGroup::Load => "load",
            FeatureGroup::Shard => "shard",
            FeatureGroup::Clock => "clock",
            FeatureGroup::Cluster => "cluster",
            FeatureGroup::Peers => "peers",
            FeatureGroup::Regions => "regions",
            FeatureGroup::Feed => "feed",
            FeatureGroup::Demand => "demand",
            FeatureGroup::Calendar => "calendar",
        }
    }
}

/// Which features a forecaster reads: all of them, only the shard's own load history (the
/// reference that shows what the rest is worth), or all but one group (an ablation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FeatureSet {
    /// Every column of [`FEATURES`].
    #[default]
    All,
    /// The `load_*` columns only (lags, rolling means, maxima, spread, slope, EWMA).
    LoadHistory,
    /// Every column but those of one group.
    Without(FeatureGroup),
}

impl FeatureSet {
    /// The columns it reads, ascending.
    pub fn columns(self) -> Vec<usize> {
        (0..FEATURES.len())
            .filter(|&c| match self {
                FeatureSet::All => true,
                FeatureSet::LoadHistory => FeatureGroup::of(FEATURES[c]) == FeatureGroup::Load,
                FeatureSet::Without(g) => FeatureGroup::of(FEATURES[c]) != g,
            })
            .collect()
    }

    /// Its name on the command line: `all`, `load-history` or `without-GROUP`.
    pub fn name(self) -> String {
        match self {
            FeatureSet::All => "all".to_owned(),
            FeatureSet::LoadHistory => "load-history".to_owned(),
            FeatureSet::Without(g) => format!("without-{}", g.name()),
        }
    }

    /// Every set with a name: all, load history, and all but each group.
    pub fn every() -> impl Iterator<Item = FeatureSet> {
        [FeatureSet::All, FeatureSet::LoadHistory]
            .into_iter()
            .chain(FeatureGroup::ALL.into_iter().map(FeatureSet::Without))
    }

    /// The set named `text`.
    pub fn from_name(text: &str) -> Option<FeatureSet> {
        FeatureSet::every().find(|f| f.name() == text)
    }
}

/// Column of a named feature.
pub fn column(name: &str) -> usize {
    FEATURES
        .iter()
        .position(|f| *f == name)
        .expect("a known feature name")
}

/// EWMA smoothing used by the `load_ewma` feature and the EWMA baseline.
pub const EWMA_ALPHA: f64 = 0.2;

/// One row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Which run it came from (caller's numbering, e.g. scenario × seed).
    pub run: u32,
    /// Shard index.
    pub shard: u32,
    /// Interval index t.
    pub interval: u32,
    /// Values in [`FEATURES`] order.
    pub features: Vec<f64>,
    /// Offered load at t + horizon.
    pub label: f64,
    /// Whether the target time falls in a burst, by the world's own account (the caller's: for
    /// scoring burst and calm periods apart, never a feature).
    pub burst: bool,
    /// Seasonal-naive forecast: the load one day before the target, if there is a day of history.
    pub seasonal: Option<f64>,
    /// The latent oracle's forecast: the expected load at t + horizon given the world's latent
    /// intensities ([`Hindsight::expected_load`]); never a feature, the ceiling of skill.
    pub latent_oracle: Option<f64>,
    /// The highest offered load at any interval in (t, t + horizon]: the label of the peak
    /// forecast, which answers "will the shard exceed the overload level within the horizon".
    pub peak_ahead: f64,
}

impl Row {
    /// Whether the load exceeds the overload level at some interval in (t, t + horizon].
    pub fn overload_ahead(&self) -> bool {
        self.peak_ahead > OVERLOAD
    }
}

/// The overload threshold for "will exceed within the horizon".
pub const OVERLOAD: f64 = 0.8;

/// Least-squares slope per interval of a window.
fn slope(w: &[f64]) -> f64 {
    let n = w.len() as f64;
    let mx = (n - 1.0) / 2.0;
    let my = w.iter().sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for (i, y) in w.iter().enumerate() {
        let dx = i as f64 - mx;
        num += dx * (y - my);
        den += dx * dx;
    }
    num / den
}

/// What the world knew of each interval, which scores rows and is never a feature.
#[derive(Clone, Debug, Default)]
pub struct Hindsight {
    /// `burst[i]`: whether interval i was a burst by the world's account (missing: calm).
    pub burst: Vec<bool>,
    /// `expected_load[s][i]`: shard s's expected offered load in interval i given the latent
    /// intensities (empty: not known).
    pub expected_load: Vec<Vec<f64>>,
}

/// Every row of a history for a `horizon` (in intervals): intervals t with a full window behind
/// and a label `horizon` ahead. Shard-major within each interval, intervals ascending.
pub fn rows(h: &History, run: u32, horizon: usize, hindsight: &Hindsight) -> Vec<Row> {
    let n = h.len();
    let cluster = ClusterAt::of(h);
    let day = (86_400.0 / h.interval_secs).round() as usize;
    let mut out = Vec::new();
    if n < WARMUP + horizon + 1 {
        return out;
    }
    for t in WARMUP - 1..n - horizon {
        let target = t + horizon;
        for s in 0..h.shards() {
            let load = &h.load[s];
            out.push(Row {
                run,
                shard: s as u32,
                interval: t as u32,
                features: h.features(s, t, horizon, &cluster),
                label: load[target],
                burst: hindsight.burst.get(target).copied().unwrap_or(false),
                latent_oracle: hindsight
                    .expected_load
                    .get(s)
                    .and_then(|e| e.get(target))
                    .copied(),
                seasonal: target.checked_sub(day).map(|i| load[i]),
                peak_ahead: load[t + 1..=target]
                    .iter()
                    .copied()
                    .fold(f64::MIN, f64::max),
            });
        }
    }
    out
}

/// Forecast inputs for every shard at the last closed interval an operator sees.
pub fn latest(c: &Observation<'_>, horizon: usize) -> Option<(usize, Vec<Vec<f64>>)> {
    let n = c
        .topology()
        .shard_ids()
        .map(|s: ShardId| c.shard_series(s).rows().len())
        .min()?;
    if n < WARMUP {
        return None;
    }
    let h = History::from_observation(c, n);
    let cluster = ClusterAt::of(&h);
    let t = n - 1;
    Some((
        t,
        (0..h.shards())
            .map(|s| h.features(s, t, horizon, &cluster))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(load: Vec<f64>) -> History {
        let mut h = History::of_series(load, 60.0);
        h.attrs = vec![[4.0, 1.0, 0.0, 1.0, 0.0, 0.0]];
        h
    }

    #[test]
    fn the_market_columns_close_the_feature_list_and_every_group_is_named() {
        // The market columns start where the load-derived ones end.
        assert_eq!(market::COLUMNS[0], "feed_vol1_ratio");
        assert_eq!(
            FEATURES[FEATURES.len() - market::COLUMNS.len() - 1],
            "other_regions_lead5_ratio"
        );
        for g in FeatureGroup::ALL {
            assert!(FEATURES.iter().any(|f| FeatureGroup::of(f) == g), "{g:?}");
        }
        for set in FeatureSet::every() {
            assert_eq!(FeatureSet::from_name(&set.name()), Some(set));
        }
        assert_eq!(
            FeatureSet::Without(FeatureGroup::Calendar).columns().len(),
            FEATURES.len() - 6
        );
    }

    #[test]
    fn features_match_their_names_on_a_ramp() {
        let h = history((0..200).map(|i| i as f64).collect());
        let c = ClusterAt::of(&h);
        let f = h.features(0, 100, 15, &c);
        assert_eq!(f.len(), FEATURES.len());
        assert_eq!(f[column("load_t")], 100.0);
        assert_eq!(f[column("load_lag14")], 86.0);
        assert_eq!(f[column("load_mean15")], 93.0);
        assert_eq!(f[column("load_max60")], 100.0);
        assert!((f[column("load_slope15")] - 1.0).abs() < 1e-12);
        assert!((f[column("cluster_slope15")] - 1.0).abs() < 1e-12);
    }

    /// A leak check: shifting everything after t must not change the features at t.
    #[test]
    fn features_use_nothing_after_t() {
        let base: Vec<f64> = (0..300).map(|i| ((i * 37) % 11) as f64 / 10.0).collect();
        let mut future_changed = base.clone();
        for x in &mut future_changed[151..] {
            *x += 5.0;
        }
        let (a, b) = (history(base), history(future_changed));
        let (ca, cb) = (ClusterAt::of(&a), ClusterAt::of(&b));
        assert_eq!(a.features(0, 150, 15, &ca), b.features(0, 150, 15, &cb));
        assert_ne!(a.features(0, 151, 15, &ca), b.features(0, 151, 15, &cb));
    }

    #[test]
    fn the_peak_ahead_sees_a_spike_between_t_and_the_label() {
        let mut load = vec![0.5; 200];
        load[100] = 0.95;
        let h = history(load);
        let r = rows(&h, 0, 15, &Hindsight::default());
        let at = |t: u32| r.iter().find(|row| row.interval == t).unwrap();
        // The spike is inside (t, t + 15] for t in 85..=99; after t = 85 the label misses it.
        for t in 86..=99 {
            assert_eq!((at(t).label, at(t).peak_ahead), (0.5, 0.95), "t = {t}");
            assert!(at(t).overload_ahead());
        }
        assert!(!at(84).overload_ahead() && !at(100).overload_ahead());
        assert_eq!((at(85).label, at(85).peak_ahead), (0.95, 0.95));
    }

    #[test]
    fn rows_label_the_load_one_horizon_ahead() {
        let h = history((0..200).map(|i| i as f64 / 100.0).collect());
        let r = rows(&h, 7, 15, &Hindsight::default());
        assert_eq!(r.len(), 200 - 15 - (WARMUP - 1));
        let first = &r[0];
        assert_eq!((first.run, first.interval), (7, (WARMUP - 1) as u32));
        assert_eq!(first.label, (WARMUP - 1 + 15) as f64 / 100.0);
        assert!(
            r.iter()
                .all(|row| row.label == (row.interval as f64 + 15.0) / 100.0)
        );
        assert!(
            r.iter()
                .all(|row| row.peak_ahead == row.label && row.peak_ahead >= row.features[0])
        );
        assert!(r.last().unwrap().overload_ahead());
        assert!(!first.overload_ahead());
    }
}
