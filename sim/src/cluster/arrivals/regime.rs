//! The market regime path of a run, drawn once from the `regime` stream.

use rand::RngExt;
use rand_distr::Exp1;

use crate::cluster::spec::workload::{EPISODE_STEP_NS, EpisodeShape, RegimeConfig};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

/// The regime path of a run, drawn once: switch times and the state after each.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RegimePath {
    /// (time, volatile?) at each switch, starting with (0, initial state).
    pub switches: Vec<(SimTime, bool)>,
    pub(crate) multiplier: f64,
    pub(crate) episode: EpisodeShape,
}

impl RegimePath {
    /// A path with no regime (always calm, multiplier 1).
    pub fn calm() -> Self {
        RegimePath {
            switches: vec![(SimTime::ZERO, false)],
            multiplier: 1.0,
            episode: EpisodeShape::default(),
        }
    }

    /// Draws the path up to `until`.
    pub fn draw(config: &RegimeConfig, until: SimTime, rng: &mut SimRng) -> Self {
        let mut switches = vec![(SimTime::ZERO, config.start_volatile)];
        let mut t = SimTime::ZERO;
        let mut volatile = config.start_volatile;
        while t < until {
            let mean = if volatile {
                config.volatile_mean
            } else {
                config.calm_mean
            };
            let hold: f64 = rng.sample(Exp1);
            t = t
                .checked_add(SimDuration::from_secs_f64(hold * mean.as_secs_f64()))
                .unwrap_or(SimTime::MAX);
            volatile = !volatile;
            if t < until {
                switches.push((t, volatile));
            }
        }
        RegimePath {
            switches,
            multiplier: config.volatile_multiplier,
            episode: config.episode,
        }
    }

    /// Whether the market is volatile at `t`.
    pub fn is_volatile(&self, t: SimTime) -> bool {
        let i = self.switches.partition_point(|&(s, _)| s <= t);
        i > 0 && self.switches[i - 1].1
    }

    /// The multiplier for regime-sensitive sources at `t`, a bound on it valid on `[t, end)`, and
    /// `end`: the next switch or, within a shaped episode, the next step of its piecewise bound.
    pub(crate) fn at(&self, t: SimTime) -> (f64, f64, SimTime) {
        let i = self.switches.partition_point(|&(s, _)| s <= t);
        let next = self.switches.get(i).map_or(SimTime::MAX, |&(s, _)| s);
        let began = match i.checked_sub(1).map(|k| self.switches[k]) {
            Some((began, true)) => began,
            _ => return (1.0, 1.0, next),
        };
        if self.episode.is_step() {
            return (self.multiplier, self.multiplier, next);
        }
        let since = t - began;
        let onset_end = began + self.episode.onset;
        let step_end = began
            + SimDuration::from_nanos((since.as_nanos() / EPISODE_STEP_NS + 1) * EPISODE_STEP_NS);
        let mut end = next.min(step_end);
        if t < onset_end {
            end = end.min(onset_end);
        }
        let excess = self.multiplier - 1.0;
        let value = 1.0 + excess * self.episode.excess_share(since);
        // The share rises during the onset and falls after it: the larger end bounds the step.
        let at_end = 1.0 + excess * self.episode.excess_share(end.min(step_end) - began);
        (value, value.max(at_end), end)
    }

    /// The multiplier in force at `t` (1 while calm).
    pub fn multiplier_at(&self, t: SimTime) -> f64 {
        self.at(t).0
    }

    /// The volatile multiplier (the full one, at the height of a shaped episode).
    pub fn multiplier(&self) -> f64 {
        self.multiplier
    }
}
