//! The latent market path of a run, precomputed once at build on a fixed grid.
//!
//! ```text
//!  market/vol       x(t): OU log-vol + decaying jumps      ─┐
//!  market/calendar  realised impacts of the public calendar ─┼─▶ price = vol × calendar × cycle
//!  cycle            hourly × weekend (no randomness)        ─┘        │ Erlang delay per stage
//!                                                           arbitrage ▶ trade ▶ risk ▶ liquidation
//!  market/spiral    liquidation spirals started by the liquidation stage's stress, × that stage
//!                   (a source with `spiral_excess` follows spiral − 1: the executions alone)
//!  market/noise[i]  n_i(t): minute-scale OU per stage, × that stage after the cascade
//! ```
//!
//! Each exposed source gets its own channel: the root built with its elasticity and event
//! sensitivity, passed through the cascade up to its stage, shifted by its venue's lag and
//! clamped to `[0, cap]`. A channel's value is constant on each grid step, so a source's
//! intensity bound on a step is that value and the segment ends at the next grid point:
//! thinning stays exact, and the per-arrival cost is one index into a `Vec`.
//!
//! Randomness comes only from `market/vol`, `market/noise`, `market/calendar` and
//! `market/spiral`, drawn at build
//! before any arrival: the path never depends on routing, and no other stream moves.
//!
//! **Hidden vs public.** [`MarketPath`] is the world's hidden state (latent x, per-stage
//! multipliers, realised impacts); [`MarketPath::public_calendar`] is what an operator knows in
//! advance (time, kind, impact class), and the metered feed (`Cluster::market_feed`) is what an
//! operator observes as it happens.

pub(crate) mod calendar;
pub(crate) mod cascade;
pub(crate) mod spiral;
pub(crate) mod vol;

#[cfg(test)]
mod tests;

use crate::cluster::ids::ExchangeId;
use crate::cluster::spec::market::{CascadeStage, LatentVol, MarketConfig, MarketExposure};
use crate::cluster::spec::workload::PoissonSource;
use crate::rng::RngStreams;
use crate::time::{SimDuration, SimTime};

pub use calendar::PublicEvent;
use calendar::RealisedEvent;
pub use spiral::SpiralStart;

const HOUR_NS: u64 = 3_600_000_000_000;
const DAY_NS: u64 = 24 * HOUR_NS;

/// No channel: the source is not exposed to the market.
const NO_CHANNEL: u32 = u32::MAX;

/// The hidden market path of one run.
#[derive(Clone, Debug)]
pub struct MarketPath {
    step: SimDuration,
    log_vol: Vec<f64>,
    /// Per cascade stage, the activity noise's multiplier per grid point (empty: no noise).
    noise: Vec<Vec<f64>>,
    /// The liquidation spirals' starts, and their multiplier per grid point (empty: none).
    spiral_starts: Vec<SpiralStart>,
    spiral: Vec<f64>,
    /// Reference multipliers per stage (elasticity 1, sensitivity 1, leading venue).
    stages: Vec<Vec<f64>>,
    events: Vec<RealisedEvent>,
    public: Vec<PublicEvent>,
    /// Per exposed source, its multiplier per grid point.
    channels: Vec<Vec<f64>>,
    /// The same without the stages' minute-scale noise (whose mean is 1): the expected
    /// multiplier given the slow latent state, which only the latent oracle reads.
    expected_channels: Vec<Vec<f64>>,
    /// Per source, its channel (or [`NO_CHANNEL`]).
    source_channel: Vec<u32>,
    /// Per source, its venue's lag in whole grid steps.
    source_shift: Vec<usize>,
}

/// The number of grid points covering `[0, until)` at `step`.
pub(crate) fn grid_points(step: SimDuration, until: SimTime) -> u64 {
    until.as_nanos().div_ceil(step.as_nanos().max(1)).max(1)
}

/// A venue's lag in whole grid steps, rounded to the nearest (half a step rounds up).
pub(crate) fn lag_steps(lag: SimDuration, step: SimDuration) -> usize {
    let s = step.as_nanos().max(1);
    ((lag.as_nanos() + s / 2) / s) as usize
}

impl MarketPath {
    /// Draws the path of `config` for `sources` over `[0, until)` (`until` finite; the
    /// configuration validated).
    pub(crate) fn draw(
        config: &MarketConfig,
        sources: &[PoissonSource],
        until: SimTime,
        streams: &RngStreams,
    ) -> MarketPath {
        let step = config.step;
        let points = grid_points(step, until) as usize;
        let log_vol = match &config.volatility {
            Some(v) => vol::draw_log_vol(v, step, points, &mut streams.stream("market/vol")),
            None => vec![0.0; points],
        };
        // One stream per stage, none shared with another draw: adding noise leaves every other
        // draw as it was, and the stages' jitters are independent of each other.
        let noise = config.noise.map_or_else(Vec::new, |n| {
            let ou = LatentVol {
                half_life: n.half_life,
                sd: n.sd,
                jumps_per_day: 0.0,
                jump_mean: 0.0,
            };
            let norm = n.sd * n.sd / 2.0;
            CascadeStage::ALL
                .iter()
                .map(|stage| {
                    let mut rng = streams.stream_indexed("market/noise", stage.index() as u64);
                    vol::draw_log_vol(&ou, step, points, &mut rng)
                        .into_iter()
                        .map(|x| libm::exp(x - norm))
                        .collect()
                })
                .collect()
        });
        let events = calendar::realise(
            config,
            until,
            points,
            &mut streams.stream("market/calendar"),
        );
        let public = events.iter().map(|e| e.public.clone()).collect();
        let mut path = MarketPath {
            step,
            log_vol,
            noise,
            spiral_starts: Vec::new(),
            spiral: Vec::new(),
            stages: Vec::new(),
            events,
            public,
            channels: Vec::new(),
            expected_channels: Vec::new(),
            source_channel: Vec::new(),
            source_shift: Vec::new(),
        };
        let reference = MarketExposure::default();
        if let Some(sp) = &config.spiral {
            // The stress: what the cascade delivers to liquidations, before any noise.
            let liquidation = MarketExposure {
                stage: CascadeStage::Liquidation,
                event_sensitivity: sp.event_sensitivity,
                ..reference
            };
            let stress = path.cascaded(config, &liquidation);
            let mut rng = streams.stream("market/spiral");
            path.spiral_starts = spiral::draw_starts(sp, &stress, step, &mut rng);
            path.spiral = spiral::multiplier(sp, &path.spiral_starts, step, points);
        }
        path.stages = CascadeStage::ALL
            .iter()
            .map(|&stage| path.channel(config, &MarketExposure { stage, ..reference }, 0, true))
            .collect();
        for s in sources {
            let shift = venue_shift(config, s.exchange);
            path.source_shift.push(shift);
            match &s.shape.market {
                Some(exposure) => {
                    path.source_channel.push(path.channels.len() as u32);
                    let channel = path.channel(config, exposure, shift, true);
                    path.channels.push(channel);
                    let expected = path.channel(config, exposure, shift, false);
                    path.expected_channels.push(expected);
                }
                None => path.source_channel.push(NO_CHANNEL),
            }
        }
        path
    }

    /// The multiplier series of one exposure: root, cascade to its stage, spiral, noise (when
    /// `noisy`), venue shift, clamp.
    fn channel(
        &self,
        config: &MarketConfig,
        exposure: &MarketExposure,
        shift: usize,
        noisy: bool,
    ) -> Vec<f64> {
        let mut series = self.cascaded(config, exposure);
        let points = series.len();
        if exposure.stage == CascadeStage::Liquidation {
            for (v, m) in series.iter_mut().zip(&self.spiral) {
                // The executions follow the spiral's excess alone; the stage's other sources
                // the whole multiplier.
                *v *= if exposure.spiral_excess { m - 1.0 } else { *m };
            }
        }
        // Each stage's own jitter, after the cascade: a stage's minute-to-minute wobble is its
        // own, and being independent across stages it adds no lag-0 co-movement that would
        // hide the cascade's lags.
        if let Some(noise) = self.noise.get(exposure.stage.index()).filter(|_| noisy) {
            for (v, n) in series.iter_mut().zip(noise) {
                *v *= n;
            }
        }
        if shift > 0 {
            let first = series[0];
            series.rotate_right(shift.min(points));
            for v in series.iter_mut().take(shift.min(points)) {
                *v = first;
            }
        }
        for v in &mut series {
            *v = v.clamp(0.0, config.cap);
        }
        series
    }

    /// The root of one exposure (volatility × calendar × cycle) passed through the cascade to
    /// its stage: no spiral, no noise, no venue shift.
    fn cascaded(&self, config: &MarketConfig, exposure: &MarketExposure) -> Vec<f64> {
        let points = self.log_vol.len();
        let e = exposure.vol_elasticity;
        let norm = config
            .volatility
            .as_ref()
            .map_or(0.0, |v| vol::log_stationary_mean(v, e));
        let mut calendar = vec![1.0; points];
        for ev in &self.events {
            for (k, x) in ev.excess.iter().enumerate() {
                let m = &mut calendar[ev.first + k];
                *m *= (1.0 + exposure.event_sensitivity * x).max(0.0);
            }
        }
        let step_ns = self.step.as_nanos();
        // Volatility × cycle, the calendar apart.
        let base: Vec<f64> = (0..points)
            .map(|k| {
                let vol = libm::exp(e * self.log_vol[k] - norm);
                let cycle = config.cycle.as_ref().map_or(1.0, |c| {
                    let t = k as u64 * step_ns;
                    let hour = (t % DAY_NS / HOUR_NS) as usize;
                    // Day 0 is a Monday: days 5 and 6 of each week are the weekend.
                    let weekend = if (t / DAY_NS) % 7 >= 5 {
                        c.weekend
                    } else {
                        1.0
                    };
                    c.hourly[hour] * weekend
                });
                vol * cycle
            })
            .collect();
        let mut series: Vec<f64> = base.iter().zip(&calendar).map(|(b, c)| b * c).collect();
        if let Some(cascade) = &config.cascade {
            // Before the run the path is taken to have held its level at 0 without the
            // calendar: an event at 00:00 (a funding settlement) is a moment, not a history,
            // and seeding the delays with it would replay it for hours.
            let history = base.first().copied().unwrap_or(1.0);
            for stage in &CascadeStage::ALL[1..=exposure.stage.index()] {
                if let Some(lag) = cascade.lag(*stage) {
                    series = cascade::delay(&series, lag, self.step, history);
                }
            }
        }
        series
    }

    /// The grid step.
    pub fn step(&self) -> SimDuration {
        self.step
    }

    /// Number of grid points.
    pub fn points(&self) -> usize {
        self.log_vol.len()
    }

    /// The grid point whose step holds `t` (the last one past the end).
    #[inline]
    fn index(&self, t: SimTime) -> usize {
        ((t.as_nanos() / self.step.as_nanos()) as usize).min(self.log_vol.len() - 1)
    }

    /// Latent log-volatility x at `t` (at the leading venue).
    pub fn log_vol_at(&self, t: SimTime) -> f64 {
        self.log_vol[self.index(t)]
    }

    /// The latent log-volatility path, one value per grid point.
    pub fn log_vol(&self) -> &[f64] {
        &self.log_vol
    }

    /// The reference multiplier of `stage` (elasticity 1, sensitivity 1, leading venue) per grid
    /// point.
    pub fn stage_multipliers(&self, stage: CascadeStage) -> &[f64] {
        &self.stages[stage.index()]
    }

    /// The liquidation spirals that started, in time order (hidden: an operator sees only
    /// their load).
    pub fn spiral_starts(&self) -> &[SpiralStart] {
        &self.spiral_starts
    }

    /// Realised impact of each calendar event, in the order of [`MarketPath::public_calendar`]:
    /// hidden until the event happens.
    pub fn realised_impacts(&self) -> impl Iterator<Item = (&PublicEvent, f64)> {
        self.events.iter().map(|e| (&e.public, e.impact))
    }

    /// The public calendar (declared events and funding settlements, in time order): time, kind
    /// and impact class, never the realised impact.
    pub fn public_calendar(&self) -> &[PublicEvent] {
        &self.public
    }

    /// The market multiplier of source `source` at `t`, and the end of its grid step (the next
    /// grid point; `SimTime::MAX` on the last). `None` for a source with no exposure.
    #[inline]
    pub(crate) fn source_at(&self, source: u32, t: SimTime) -> Option<(f64, SimTime)> {
        let channel = *self.source_channel.get(source as usize)?;
        if channel == NO_CHANNEL {
            return None;
        }
        let k = self.index(t);
        let end = if k + 1 == self.log_vol.len() {
            SimTime::MAX
        } else {
            SimTime::from_nanos((k as u64 + 1) * self.step.as_nanos())
        };
        Some((self.channels[channel as usize][k], end))
    }

    /// This path with every source's multiplier replaced by its expected value given the slow
    /// latent state (no minute-scale noise): what the latent oracle's intensities are read from.
    pub(crate) fn without_noise(&self) -> MarketPath {
        MarketPath {
            channels: self.expected_channels.clone(),
            ..self.clone()
        }
    }

    /// Log-vol at `t` as source `source`'s venue sees it (its lag applied).
    #[inline]
    pub(crate) fn source_log_vol(&self, source: u32, t: SimTime) -> f64 {
        let shift = self.source_shift.get(source as usize).copied().unwrap_or(0);
        self.log_vol[self.index(t).saturating_sub(shift)]
    }
}

/// The lag of `exchange` behind the leading venue, in grid steps (0 when not listed).
fn venue_shift(config: &MarketConfig, exchange: ExchangeId) -> usize {
    config
        .venues
        .iter()
        .find(|(x, _)| *x == exchange)
        .map_or(0, |(_, lag)| lag_steps(*lag, config.step))
}
