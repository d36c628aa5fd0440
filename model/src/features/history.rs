//! [`History`]: what the features of every row are computed from, read from the operator's
//! view, and the feature vector of one shard at one interval.

use shardsim_sim::cluster::{FunctionId, Observation};

use super::market::MarketHistory;
use super::{ClusterAt, EWMA_ALPHA, FEATURES, WARMUP, slope};

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
    /// The market feed, each shard's event types and the public calendar.
    pub market: MarketHistory,
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
            market: MarketHistory::default(),
        };
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut shard_types = Vec::new();
        for s in topo.shard_ids() {
            let hosted: Vec<usize> = (0..c.functions().len())
                .filter(|&f| c.placement(FunctionId(f as u32)).contains(&s))
                .collect();
            let mut types: Vec<usize> = hosted
                .iter()
                .map(|&f| c.functions()[f].spec.handles.index())
                .collect();
            types.sort_unstable();
            types.dedup();
            shard_types.push(types);
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
        h.market = MarketHistory::new(c.market_feed(), h.len(), c.public_calendar(), shard_types);
        h
    }

    /// A history of one series with nothing else known: an external load series, read as one
    /// shard's offered load (its utilisation the same, no queue, always healthy, no market).
    pub fn of_series(values: Vec<f64>, interval_secs: f64) -> History {
        let n = values.len();
        History {
            util: vec![values.clone()],
            queue: vec![vec![0.0; n]],
            healthy: vec![vec![true; n]],
            attrs: vec![[0.0; 6]],
            peers: vec![0],
            interval_secs,
            load: vec![values],
            market: MarketHistory {
                shard_types: vec![Vec::new()],
                ..MarketHistory::default()
            },
        }
    }

    /// The region of shard `s`.
    pub fn region(&self, s: usize) -> usize {
        self.attrs[s][2] as usize
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
        let mut row = vec![
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
        ];
        let r = self.region(s);
        let outside = &cluster.outside_mean[r];
        let outside_lead = (0..cluster.region_mean.len())
            .filter(|&o| o != r)
            .map(|o| {
                let x = &cluster.region_mean[o];
                let hour = x[t + 1 - WARMUP..=t].iter().sum::<f64>() / WARMUP as f64;
                let recent = x[t + 1 - 5..=t].iter().sum::<f64>() / 5.0;
                if hour > 0.0 { recent / hour } else { 1.0 }
            })
            .reduce(f64::max)
            .unwrap_or(1.0);
        row.extend([
            cluster.region_mean[r][t],
            outside[t],
            slope(&outside[t + 1 - 15..=t]),
            outside_lead,
        ]);
        let end_secs = (t + 1) as f64 * self.interval_secs;
        row.extend(cluster.market.columns(s, t, end_secs));
        debug_assert_eq!(row.len(), FEATURES.len());
        row
    }
}
