//! A surge, as an operator sees one: the demand each function puts on the cluster, against its
//! own recent baseline. The planner never reads the market's regime (it is the world's hidden
//! state); it reads its trace in the traffic, a metrics interval late.
//!
//! A function's *baseline* is the median of its per-interval demand over the last
//! [`BASELINE`] (the median, so that surges that occupy less than half the window do not
//! raise it). It is *surging* when its demand in the last closed interval is at least
//! `surge_ratio` times the baseline, and a surge *starts* (an onset) when the interval before
//! was below that. A function that has surged within the window *reacts* to surges, and the
//! headroom kept for it is its largest ratio in the window.

use shardsim_sim::SimDuration;
use shardsim_sim::cluster::{FunctionId, Observation};

use crate::estimate::LoadPicture;

/// The window a function's baseline and its surges are read over: three hours, long next to a
/// volatile episode in the built-ins (40 minutes on average), short next to a day's profile.
pub const BASELINE: SimDuration = SimDuration::from_mins(180);

/// Fewer closed intervals than this: no baseline yet, nothing is surging.
const MIN_INTERVALS: usize = 10;

/// The most a surge is assumed to multiply a function's traffic by: a cap on ratios over a
/// near-idle baseline (a function that just launched).
const MAX_RATIO: f64 = 10.0;

/// Per function, what its recent demand says about surges.
pub(super) struct Surge {
    /// Demand in the last closed interval over the baseline.
    ratio: Vec<f64>,
    /// Demand in the interval before it over the baseline.
    ratio_before: Vec<f64>,
    /// The largest ratio over the window.
    peak: Vec<f64>,
    surge_ratio: f64,
}

impl Surge {
    /// Reads every function's demand from the metrics closed by `obs.now()`.
    pub(super) fn read(obs: &Observation<'_>, surge_ratio: f64) -> Surge {
        let interval = obs.metrics_interval().as_nanos().max(1);
        let closed = (obs.now().as_nanos() / interval) as usize;
        let window = (BASELINE.as_nanos() / interval) as usize;
        let from = closed.saturating_sub(window);
        let n = obs.functions().len();
        let mut surge = Surge {
            ratio: vec![1.0; n],
            ratio_before: vec![1.0; n],
            peak: vec![1.0; n],
            surge_ratio,
        };
        if closed < MIN_INTERVALS {
            return surge;
        }
        for (f, metrics) in obs.function_metrics().iter().enumerate().take(n) {
            let demand: Vec<f64> = (from..closed)
                .map(|i| metrics.ends.get(i).map_or(0, |e| e.demand_ns) as f64)
                .collect();
            let mut sorted = demand.clone();
            sorted.sort_by(f64::total_cmp);
            let baseline = sorted[sorted.len() / 2];
            let ratio = |d: f64| {
                if baseline > 0.0 {
                    (d / baseline).min(MAX_RATIO)
                } else if d > 0.0 {
                    MAX_RATIO
                } else {
                    1.0
                }
            };
            let last = demand.len() - 1;
            surge.ratio[f] = ratio(demand[last]);
            surge.ratio_before[f] = ratio(demand[last - 1]);
            surge.peak[f] = demand.iter().map(|&d| ratio(d)).fold(1.0, f64::max);
        }
        surge
    }

    /// Whether `f` is surging now.
    pub(super) fn surging(&self, f: FunctionId) -> bool {
        self.ratio[f.index()] >= self.surge_ratio
    }

    /// Whether `f`'s surge started in the last interval.
    pub(super) fn starting(&self, f: FunctionId) -> bool {
        self.surging(f) && self.ratio_before[f.index()] < self.surge_ratio
    }

    /// Whether any function is surging now: the market is volatile, as far as anyone can tell.
    pub(super) fn any_surging(&self) -> bool {
        (0..self.ratio.len()).any(|f| self.surging(FunctionId(f as u32)))
    }

    /// Whether any function's surge started in the last interval.
    pub(super) fn any_starting(&self) -> bool {
        (0..self.ratio.len()).any(|f| self.starting(FunctionId(f as u32)))
    }

    /// The extra share of its load `f` carries at the height of a surge (its peak ratio in the
    /// window, minus 1), for functions that surged in the window; 0 for the others.
    fn extra(&self, f: usize) -> f64 {
        if self.peak[f] >= self.surge_ratio {
            self.peak[f] - 1.0
        } else {
            0.0
        }
    }

    /// The load shard `t` would carry if every function that reacts to surges surged now.
    pub(super) fn surge_load(&self, picture: &LoadPicture, t: usize) -> f64 {
        picture.load[t]
            + (0..self.peak.len())
                .map(|f| picture.contribution.get(f).map_or(0.0, |c| c[t]) * self.extra(f))
                .sum::<f64>()
    }

    /// Pre-allocation: for each function whose surge just started, its contribution on each of
    /// its shards becomes at least its recent load scaled by the surge seen so far, so the plan
    /// is made for the surge rather than for the window that led up to it.
    pub(super) fn preallocate(
        &self,
        obs: &Observation<'_>,
        recent: &[Vec<f64>],
        picture: &mut LoadPicture,
    ) {
        for f in (0..self.ratio.len()).filter(|&f| self.starting(FunctionId(f as u32))) {
            for &s in obs.placement(FunctionId(f as u32)) {
                let now = picture.contribution[f][s.index()];
                let scaled = now.max(recent[f][s.index()] * self.ratio[f]);
                picture.contribution[f][s.index()] = scaled;
                picture.load[s.index()] += scaled - now;
            }
        }
    }
}
