//! A single Poisson source, sampled by thinning against piecewise bounds.

use rand::RngExt;
use rand_distr::Exp1;

use crate::cluster::arrivals::{Drivers, candidate, shape_at};
use crate::cluster::event::DomainEvent;
use crate::cluster::spec::workload::PoissonSource;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

/// Draws the attributes of one event: always the same three draws.
pub(crate) fn draw_event(spec: &PoissonSource, stream: u32, rng: &mut SimRng) -> DomainEvent {
    let u: f64 = rng.random();
    DomainEvent {
        event_type: spec.event_type,
        exchange: spec.exchange,
        protocol: spec.protocol,
        risk: spec.risk,
        urgency: spec.urgency,
        stream,
        trading_pair: rng.random_range(0..spec.trading_pairs.max(1)),
        user: rng.random_range(0..spec.users.max(1)),
        // Pareto by inversion: min · U^(−1/α), U in (0, 1].
        amount_usd: spec.trade_size.min_usd * libm_pow(1.0 - u, -1.0 / spec.trade_size.shape),
    }
}

/// `x^y` through the pure-Rust libm that `rand_distr` uses, so results are identical on every
/// platform (the C library's `pow` may differ in the last bit between versions).
#[inline]
fn libm_pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

/// A single source, ready to sample.
#[derive(Clone, Debug)]
pub(crate) struct SourceState {
    pub spec: PoissonSource,
    pub index: u32,
    /// No profile, regime, market, start or ramp: a homogeneous process, sampled directly.
    flat: bool,
    rng: SimRng,
}

impl SourceState {
    /// A sampler for a source that [`ClusterConfig::validate`](crate::cluster::ClusterConfig::validate)
    /// accepted.
    pub(crate) fn new(spec: PoissonSource, index: u32, rng: SimRng) -> Self {
        let sh = &spec.shape;
        let flat = sh.daily.is_empty()
            && sh.weekly.is_empty()
            && !sh.regime_sensitive
            && sh.starts_at == SimTime::ZERO
            && sh.ramp == SimDuration::ZERO
            && sh.market.is_none();
        SourceState {
            spec,
            index,
            flat,
            rng,
        }
    }

    /// The next arrival strictly after `now` and before `until`, by thinning.
    pub(crate) fn next_arrival(
        &mut self,
        now: SimTime,
        until: SimTime,
        drivers: Drivers<'_>,
    ) -> Option<SimTime> {
        let rate = self.spec.rate_per_sec;
        if self.flat {
            let gap: f64 = self.rng.sample(Exp1);
            let next = now
                .checked_add(SimDuration::from_secs_f64(gap / rate))
                .unwrap_or(SimTime::MAX);
            return (next < until).then_some(next);
        }
        let mut t = now;
        loop {
            if t >= until {
                return None;
            }
            let (_, bound, end) = shape_at(&self.spec.shape, drivers, self.index, t);
            let bound = bound * rate;
            match candidate(t, bound, end, &mut self.rng) {
                Some(c) => t = c,
                None => {
                    t = end;
                    continue;
                }
            }
            let (value, _, _) = shape_at(&self.spec.shape, drivers, self.index, t);
            // Where the intensity equals its bound (a flat segment) every candidate is accepted;
            // skip the acceptance draw. Either way the draws depend only on this source's stream.
            if value * rate >= bound {
                return (t < until).then_some(t);
            }
            let u: f64 = self.rng.random();
            if u * bound <= value * rate {
                return (t < until).then_some(t);
            }
        }
    }

    /// One event's attributes.
    pub(crate) fn next_event(&mut self) -> DomainEvent {
        draw_event(&self.spec, self.index, &mut self.rng)
    }
}
