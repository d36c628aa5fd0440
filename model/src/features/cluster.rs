//! The cluster-wide columns, computed once per history: the whole cluster's load, each peer
//! group's and each region's, and the market's ([`MarketAt`]).

use super::market::MarketAt;
use super::{History, SURGE_RATIO, WARMUP, slope};

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
    /// Mean load of each region's shards per interval (regions without shards: 0).
    pub region_mean: Vec<Vec<f64>>,
    /// Mean load of the shards outside each region per interval (the cluster mean when every
    /// shard is in it).
    pub outside_mean: Vec<Vec<f64>>,
    /// The market feed's and the calendar's columns.
    pub market: MarketAt,
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
            region_mean: Vec::new(),
            outside_mean: Vec::new(),
            market: MarketAt::of(&h.market, n),
        };
        let regions = (0..h.shards()).map(|s| h.region(s) + 1).max().unwrap_or(0);
        let mean_of = |inside: &dyn Fn(usize) -> bool| -> Vec<f64> {
            let members: Vec<usize> = (0..h.shards()).filter(|&s| inside(s)).collect();
            let size = members.len().max(1) as f64;
            (0..n)
                .map(|i| members.iter().map(|&s| h.load[s][i]).sum::<f64>() / size)
                .collect()
        };
        for r in 0..regions {
            c.region_mean.push(mean_of(&|s| h.region(s) == r));
            let everywhere = (0..h.shards()).all(|s| h.region(s) == r);
            c.outside_mean
                .push(mean_of(&|s| everywhere || h.region(s) != r));
        }
        let groups = h.peers.iter().copied().max().map_or(0, |g| g + 1);
        for g in 0..groups {
            let members: Vec<usize> = (0..h.shards()).filter(|&s| h.peers[s] == g).collect();
            c.peer_mean.push(mean_of(&|s| h.peers[s] == g));
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
