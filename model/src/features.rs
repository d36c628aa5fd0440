//! Features: one row per (shard, interval t) with only what is known at the end of t, and the
//! label, the shard's offered load at t + horizon.
//!
//! Everything here is read from the operator's view ([`Observation`]): the metrics so far and
//! the declared topology. The market's regime is hidden; what shows of it is a surge in the
//! cluster's load, which the `surge_*` features measure.

use shardsim_sim::cluster::{Observation, ShardId};

/// Bumped whenever a feature is added, removed, reordered or redefined; model files record it.
/// 3: `volatile_t` and `volatile_minutes` (read from the hidden regime) became `surge_ratio_t`
/// and `surge_minutes` (read from the load).
pub const SCHEMA_VERSION: u32 = 3;

/// The cluster is surging when its mean load is at least this multiple of its median over the
/// last [`WARMUP`] intervals (a choice, the planner's default `surge_ratio`).
pub const SURGE_RATIO: f64 = 1.5;

/// Intervals of history a row needs (the longest window below).
pub const WARMUP: usize = 60;

/// Feature names, in column order.
pub const FEATURES: [&str; 37] = [
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
];

/// Whether a row's cluster was surging at t ([`SURGE_RATIO`]).
pub fn surging(features: &[f64]) -> bool {
    features[column("surge_ratio_t")] >= SURGE_RATIO
}

/// Which features a forecaster reads: all of them, or only the shard's own load history — the
/// reference that shows what the rest (cluster-wide state, peers, the clock, shard attributes)
/// is worth.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FeatureSet {
    /// Every column of [`FEATURES`].
    #[default]
    All,
    /// The `load_*` columns only (lags, rolling means, maxima, spread, slope, EWMA).
    LoadHistory,
}

impl FeatureSet {
    /// The columns it reads, ascending.
    pub fn columns(self) -> Vec<usize> {
        (0..FEATURES.len())
            .filter(|&c| match self {
                FeatureSet::All => true,
                FeatureSet::LoadHistory => FEATURES[c].starts_with("load_"),
            })
            .collect()
    }

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            FeatureSet::All => "all",
            FeatureSet::LoadHistory => "load-history",
        }
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

/// Per-shard per-interval history the features are computed from.
#[derive(Clone, Debug)]
pub struct History {
    /// `load[s][i]`: offered load of shard s in interval i.
    pub load: Vec<Vec<f64>>,
    /// Utilisation, same layout.
    pub util: Vec<Vec<f64>>,
    /// Queue depth per cpu slot at the end of each interval.
    pub queue: Vec<Vec<f64>>,
    /// Whether each shard was healthy at the end of each interval.
    pub healthy: Vec<Vec<bool>>,
    /// Static attributes per shard: slots, speed, region, general, critical, specialised.
    pub attrs: Vec<[f64; 6]>,
    /// Peer group of each shard: shards hosting the same set of functions, which routing
    /// balances between. Their mean load is a much less noisy signal than one shard's.
    pub peers: Vec<usize>,
    /// Interval length in seconds.
    pub interval_secs: f64,
}

impl History {
    /// The first `intervals` closed intervals of the metrics an operator sees.
    pub fn from_observation(c: &Observation<'_>, intervals: usize) -> History {
        let topo = c.topology();
        let interval = c.metrics_interval();
        let mut h = History {
            load: Vec::new(),
            util: Vec::new(),
            queue: Vec::new(),
            healthy: Vec::new(),
            attrs: Vec::new(),
            peers: Vec::new(),
            interval_secs: interval.as_secs_f64(),
        };
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for s in topo.shard_ids() {
            let hosted: Vec<usize> = (0..c.functions().len())
                .filter(|&f| {
                    c.placement(shardsim_sim::cluster::FunctionId(f as u32))
                        .contains(&s)
                })
                .collect();
            let g = groups.iter().position(|g| *g == hosted).unwrap_or_else(|| {
                groups.push(hosted);
                groups.len() - 1
            });
            h.peers.push(g);
        }
        for s in topo.shard_ids() {
            let spec = &topo.shards[s.index()];
            let series = c.shard_series(s);
            let n = intervals.min(series.rows().len());
            let loads = series.load_series();
            h.load
                .push(loads[..n].iter().map(|p| p.offered_load).collect());
            h.util
                .push(loads[..n].iter().map(|p| p.utilisation).collect());
            let slots = f64::from(spec.cpu_slots.max(1));
            h.queue.push(
                loads[..n]
                    .iter()
                    .map(|p| f64::from(p.queue_depth) / slots)
                    .collect(),
            );
            h.healthy
                .push(series.rows()[..n].iter().map(|r| r.healthy).collect());
            let t = &spec.tags;
            h.attrs.push([
                f64::from(spec.cpu_slots),
                spec.speed,
                f64::from(spec.region.0),
                f64::from(u8::from(t.general)),
                f64::from(u8::from(t.critical)),
                f64::from(u8::from(!t.protocols.is_empty() || t.risk_tier.is_some())),
            ]);
        }
        h
    }

    /// Closed intervals available for every shard.
    pub fn len(&self) -> usize {
        self.load.iter().map(Vec::len).min().unwrap_or(0)
    }

    /// Whether there is no history.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Shards.
    pub fn shards(&self) -> usize {
        self.load.len()
    }

    /// The feature vector of shard `s` at interval `t` for a forecast `horizon` intervals ahead.
    /// Uses intervals `..= t` only. Needs `t >= WARMUP - 1`.
    pub fn features(&self, s: usize, t: usize, horizon: usize, cluster: &ClusterAt) -> Vec<f64> {
        let load = &self.load[s];
        let window = |n: usize| &load[t + 1 - n..=t];
        let mean = |w: &[f64]| w.iter().sum::<f64>() / w.len() as f64;
        let max = |w: &[f64]| w.iter().copied().fold(f64::MIN, f64::max);
        let w15 = window(15);
        let m15 = mean(w15);
        let std15 = (w15.iter().map(|x| (x - m15) * (x - m15)).sum::<f64>() / 15.0).sqrt();
        let mut ewma = load[t + 1 - WARMUP];
        for &x in &load[t + 2 - WARMUP..=t] {
            ewma = EWMA_ALPHA * x + (1.0 - EWMA_ALPHA) * ewma;
        }
        let target_secs = (t + 1 + horizon) as f64 * self.interval_secs;
        let tod = std::f64::consts::TAU * (target_secs % 86_400.0) / 86_400.0;
        let dow = std::f64::consts::TAU * (target_secs % 604_800.0) / 604_800.0;
        let q = &self.queue[s];
        let a = &self.attrs[s];
        vec![
            load[t],
            load[t - 1],
            load[t - 2],
            load[t - 4],
            load[t - 9],
            load[t - 14],
            m15,
            mean(window(60)),
            max(w15),
            max(window(60)),
            std15,
            slope(w15),
            ewma,
            self.util[s][t],
            q[t],
            q[t + 1 - 15..=t].iter().sum::<f64>() / 15.0,
            libm::sin(tod),
            libm::cos(tod),
            libm::sin(dow),
            libm::cos(dow),
            cluster.surge_ratio[t],
            cluster.surge_minutes[t],
            cluster.mean[t],
            cluster.max[t],
            cluster.var[t],
            cluster.slope15[t],
            cluster.healthy_share[t],
            cluster.peer_mean[self.peers[s]][t],
            cluster.peer_mean[self.peers[s]][t + 1 - 15..=t]
                .iter()
                .sum::<f64>()
                / 15.0,
            cluster.peer_max[self.peers[s]][t],
            slope(&cluster.peer_mean[self.peers[s]][t + 1 - 15..=t]),
            a[0],
            a[1],
            a[2],
            a[3],
            a[4],
            a[5],
        ]
    }
}

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

/// Cluster-wide state per interval.
#[derive(Clone, Debug)]
pub struct ClusterAt {
    /// Mean shard load.
    pub mean: Vec<f64>,
    /// Max shard load.
    pub max: Vec<f64>,
    /// Variance of shard load.
    pub var: Vec<f64>,
    /// Slope of the mean load over the last 15 intervals.
    pub slope15: Vec<f64>,
    /// Share of shards healthy.
    pub healthy_share: Vec<f64>,
    /// Mean load over its median over the last [`WARMUP`] intervals (1 where the median is 0).
    pub surge_ratio: Vec<f64>,
    /// Minutes the cluster has been surging, or not surging, without a change (capped at 240).
    pub surge_minutes: Vec<f64>,
    /// Mean load of each peer group per interval.
    pub peer_mean: Vec<Vec<f64>>,
    /// Max load of each peer group per interval.
    pub peer_max: Vec<Vec<f64>>,
}

impl ClusterAt {
    /// Computes the cluster-wide columns of a history.
    pub fn of(h: &History) -> ClusterAt {
        let n = h.len();
        let shards = h.shards().max(1) as f64;
        let mut c = ClusterAt {
            mean: vec![0.0; n],
            max: vec![0.0; n],
            var: vec![0.0; n],
            slope15: vec![0.0; n],
            healthy_share: vec![0.0; n],
            surge_ratio: vec![1.0; n],
            surge_minutes: vec![0.0; n],
            peer_mean: Vec::new(),
            peer_max: Vec::new(),
        };
        let groups = h.peers.iter().copied().max().map_or(0, |g| g + 1);
        for g in 0..groups {
            let members: Vec<usize> = (0..h.shards()).filter(|&s| h.peers[s] == g).collect();
            let size = members.len().max(1) as f64;
            c.peer_mean.push(
                (0..n)
                    .map(|i| members.iter().map(|&s| h.load[s][i]).sum::<f64>() / size)
                    .collect(),
            );
            c.peer_max.push(
                (0..n)
                    .map(|i| members.iter().map(|&s| h.load[s][i]).fold(0.0, f64::max))
                    .collect(),
            );
        }
        for i in 0..n {
            let loads = h.load.iter().map(|l| l[i]);
            let mean = loads.clone().sum::<f64>() / shards;
            c.mean[i] = mean;
            c.max[i] = loads.clone().fold(0.0, f64::max);
            c.var[i] = loads.map(|x| (x - mean) * (x - mean)).sum::<f64>() / shards;
            c.healthy_share[i] = h.healthy.iter().filter(|hs| hs[i]).count() as f64 / shards;
            let mut recent = c.mean[(i + 1).saturating_sub(WARMUP)..=i].to_vec();
            recent.sort_by(f64::total_cmp);
            let median = recent[recent.len() / 2];
            c.surge_ratio[i] = if median > 0.0 { mean / median } else { 1.0 };
            let surging = |j: usize| c.surge_ratio[j] >= SURGE_RATIO;
            c.surge_minutes[i] = if i > 0 && surging(i) == surging(i - 1) {
                (c.surge_minutes[i - 1] + h.interval_secs / 60.0).min(240.0)
            } else {
                0.0
            };
            if i >= 14 {
                c.slope15[i] = slope(&c.mean[i - 14..=i]);
            }
        }
        c
    }
}

/// Every row of a history for a `horizon` (in intervals): intervals t with a full window behind
/// and a label `horizon` ahead. Shard-major within each interval, intervals ascending.
/// `burst[i]`: whether interval i was a burst by the world's account (for scoring only;
/// missing intervals are calm).
pub fn rows(h: &History, run: u32, horizon: usize, burst: &[bool]) -> Vec<Row> {
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
                burst: burst.get(target).copied().unwrap_or(false),
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
        let n = load.len();
        History {
            util: vec![load.clone()],
            queue: vec![vec![0.0; n]],
            healthy: vec![vec![true; n]],
            attrs: vec![[4.0, 1.0, 0.0, 1.0, 0.0, 0.0]],
            peers: vec![0],
            interval_secs: 60.0,
            load: vec![load],
        }
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
        let r = rows(&h, 0, 15, &[]);
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
        let r = rows(&h, 7, 15, &[]);
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
