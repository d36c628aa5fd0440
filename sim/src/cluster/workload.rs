//! Arrival models: where domain events come from, and when.
//!
//! * [`PoissonSource`] — a Poisson process whose intensity is `rate × daily(t) × weekly(t) ×
//!   regime(t) × ramp(t)`: a daily/weekly profile ([`RateShape`]), the calm ↔ volatile regime
//!   ([`RegimeConfig`]) for sources that react to it, and a start time with a linear ramp (a
//!   protocol launch).
//! * [`HawkesGroup`] — a multivariate self-exciting (Hawkes) process over several sources (e.g. one
//!   per exchange): every event raises every member's intensity by `excitation[i][j]` expected
//!   offspring, decaying exponentially. Simulated exactly by Ogata's thinning.
//! * [`TradeSize`] — heavy-tailed (Pareto) trade sizes for whale activity.
//! * [`EpisodeShape`] — how a volatile episode's intensity evolves: a step to the multiplier (the
//!   default), or a build-up over an `onset` and an exponential decay back toward calm, as
//!   volatility shocks do in real markets.
//!
//! **Exact simulation.** Intensities change piecewise: at profile knots (every hour), day
//! boundaries, regime switches, every minute of a shaped volatile episode, the start, the end of
//! the ramp, the stop. Within a segment the
//! intensity is bounded by a constant, so arrivals are drawn by thinning against that bound; when a
//! candidate falls past the segment's end the draw restarts at the boundary, which is exact because
//! the exponential is memoryless.
//!
//! **Common random numbers.** Each source (and each Hawkes group) draws from its own stream,
//! `arrivals/<name>`; the regime path is drawn once from `regime`. Nothing downstream — routing,
//! planning — changes a single draw.

use rand::RngExt;
use rand_distr::Exp1;

use super::event::{DomainEvent, RiskLevel, Urgency};
use super::ids::{EventTypeId, ExchangeId, ProtocolId};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

const HOUR_NS: u64 = 3_600_000_000_000;
const DAY_NS: u64 = 24 * HOUR_NS;

/// Trade sizes: Pareto (heavy-tailed) with a minimum and a shape; shape ≤ 2 has infinite variance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TradeSize {
    /// Smallest trade, USD.
    pub min_usd: f64,
    /// Tail index α (> 0); smaller is heavier.
    pub shape: f64,
}

/// How a source's intensity varies over time (all multipliers; 1 = the base rate).
#[derive(Clone, Debug, PartialEq)]
pub struct RateShape {
    /// 24 multipliers at the start of each hour of the day, linearly interpolated (wrapping at
    /// midnight). Empty: flat.
    pub daily: Vec<f64>,
    /// 7 multipliers, one per day from day 0, constant over the day. Empty: flat.
    pub weekly: Vec<f64>,
    /// Whether the volatile regime multiplies this source.
    pub regime_sensitive: bool,
    /// No arrivals before this time.
    pub starts_at: SimTime,
    /// After `starts_at` the intensity ramps linearly from 0 to full over this span.
    pub ramp: SimDuration,
}

impl Default for RateShape {
    fn default() -> Self {
        RateShape {
            daily: Vec::new(),
            weekly: Vec::new(),
            regime_sensitive: false,
            starts_at: SimTime::ZERO,
            ramp: SimDuration::ZERO,
        }
    }
}

/// A Poisson stream of one event type from one exchange.
#[derive(Clone, Debug, PartialEq)]
pub struct PoissonSource {
    /// Unique name; keys the random stream.
    pub name: String,
    /// Event type emitted.
    pub event_type: EventTypeId,
    /// Exchange it comes from.
    pub exchange: ExchangeId,
    /// Base arrivals per simulated second (before shape multipliers).
    pub rate_per_sec: f64,
    /// Protocol of every event, or `None`.
    pub protocol: Option<ProtocolId>,
    /// Risk level of every event.
    pub risk: RiskLevel,
    /// Urgency of every event.
    pub urgency: Urgency,
    /// Trading pairs drawn uniformly from `0..trading_pairs` (at least 1).
    pub trading_pairs: u32,
    /// Users drawn uniformly from `0..users` (at least 1).
    pub users: u32,
    /// Trade size distribution.
    pub trade_size: TradeSize,
    /// How the intensity varies over time.
    pub shape: RateShape,
}

/// The calm ↔ volatile market regime: a two-state Markov process with exponential holding times.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegimeConfig {
    /// Mean length of a calm period.
    pub calm_mean: SimDuration,
    /// Mean length of a volatile period.
    pub volatile_mean: SimDuration,
    /// Intensity multiplier for regime-sensitive sources while volatile.
    pub volatile_multiplier: f64,
    /// Whether the run starts volatile.
    pub start_volatile: bool,
    /// How the multiplier evolves within a volatile episode.
    pub episode: EpisodeShape,
}

/// The course of a volatile episode's multiplier `m(s)`, `s` the time since the episode began:
/// `1 + (multiplier − 1) · min(1, s / onset) · 2^(−max(0, s − onset) / half_life)` — a linear
/// build-up to the full multiplier over `onset`, then an exponential decay with `half_life`. The
/// episode still ends at its (exponentially distributed) switch back to calm. The default, no
/// onset and no decay, is a step: the full multiplier for the whole episode.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EpisodeShape {
    /// Time to build up to the full multiplier (zero: at once).
    pub onset: SimDuration,
    /// Half-life of the excess over calm once built up (`None`: no decay).
    pub half_life: Option<SimDuration>,
}

/// Step of the piecewise bound of a shaped episode: short enough that thinning wastes few draws.
const EPISODE_STEP_NS: u64 = 60_000_000_000;

impl EpisodeShape {
    /// Whether this is the plain step (no onset, no decay).
    pub fn is_step(&self) -> bool {
        self.onset == SimDuration::ZERO && self.half_life.is_none()
    }

    /// The share of the excess `multiplier − 1` in force `since` the episode began, in [0, 1].
    pub fn excess_share(&self, since: SimDuration) -> f64 {
        let s = since.as_nanos() as f64;
        let onset = self.onset.as_nanos() as f64;
        let build = if s >= onset { 1.0 } else { s / onset };
        let decay = match self.half_life {
            Some(h) if s > onset => {
                (-(s - onset) / h.as_nanos() as f64 * std::f64::consts::LN_2).exp()
            }
            _ => 1.0,
        };
        build * decay
    }
}

/// A multivariate Hawkes process over some sources (by index into the configuration's sources).
///
/// Member `i`'s intensity is its source's own intensity (the baseline μᵢ(t)) plus
/// `Σ over past events e in member j: excitation[j][i] · β · exp(−β (t − tₑ))`, with β = 1/decay:
/// `excitation[j][i]` is the expected number of member-`i` events one member-`j` event triggers.
/// The process is stationary only if the spectral radius of `excitation` (the branching ratio) is
/// below 1, which is checked.
#[derive(Clone, Debug, PartialEq)]
pub struct HawkesGroup {
    /// Name; keys the group's random stream.
    pub name: String,
    /// The member sources (indices into the sources list).
    pub members: Vec<usize>,
    /// Mean lifetime of an excitation (1/β).
    pub decay: SimDuration,
    /// Expected offspring: `excitation[j][i]` member-`i` events per member-`j` event.
    pub excitation: Vec<Vec<f64>>,
}

/// A source or group whose parameters cannot be sampled.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("source `{source_name}`: {problem}")]
pub struct SourceError {
    /// The source or group.
    pub source_name: String,
    /// What is wrong.
    pub problem: String,
}

/// The regime path of a run, drawn once: switch times and the state after each.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RegimePath {
    /// (time, volatile?) at each switch, starting with (0, initial state).
    pub switches: Vec<(SimTime, bool)>,
    multiplier: f64,
    episode: EpisodeShape,
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
    fn at(&self, t: SimTime) -> (f64, f64, SimTime) {
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

fn validate_shape(name: &str, rate: f64, shape: &RateShape) -> Result<(), SourceError> {
    let err = |problem: String| SourceError {
        source_name: name.to_owned(),
        problem,
    };
    if !(rate.is_finite() && rate > 0.0) {
        return Err(err(format!("rate_per_sec must be > 0 (got {rate})")));
    }
    if !(shape.daily.is_empty() || shape.daily.len() == 24) {
        return Err(err(format!(
            "daily profile needs 24 hourly values (got {})",
            shape.daily.len()
        )));
    }
    if !(shape.weekly.is_empty() || shape.weekly.len() == 7) {
        return Err(err(format!(
            "weekly profile needs 7 daily values (got {})",
            shape.weekly.len()
        )));
    }
    if shape
        .daily
        .iter()
        .chain(&shape.weekly)
        .any(|m| !(m.is_finite() && *m >= 0.0))
    {
        return Err(err("profile multipliers must be finite and >= 0".into()));
    }
    Ok(())
}

/// Intensity of a source (before the base rate) at `t`, and a bound valid on `[t, segment_end)`.
fn shape_at(shape: &RateShape, regime: &RegimePath, t: SimTime) -> (f64, f64, SimTime) {
    if t < shape.starts_at {
        return (0.0, 0.0, shape.starts_at);
    }
    let ns = t.as_nanos();
    let hour_start = ns - ns % HOUR_NS;
    let mut end = SimTime::from_nanos(hour_start.saturating_add(HOUR_NS));
    let (mut value, mut bound) = (1.0, 1.0);
    if !shape.daily.is_empty() {
        let h = ((ns % DAY_NS) / HOUR_NS) as usize;
        let (a, b) = (shape.daily[h], shape.daily[(h + 1) % 24]);
        let frac = (ns - hour_start) as f64 / HOUR_NS as f64;
        value *= a + (b - a) * frac;
        bound *= a.max(b);
    }
    if !shape.weekly.is_empty() {
        let w = shape.weekly[((ns / DAY_NS) % 7) as usize];
        value *= w;
        bound *= w;
    }
    if shape.regime_sensitive {
        let (m, m_bound, next) = regime.at(t);
        value *= m;
        bound *= m_bound;
        end = end.min(next);
    }
    let ramp_end = shape.starts_at + shape.ramp;
    if t < ramp_end {
        let frac = (t - shape.starts_at).as_nanos() as f64 / shape.ramp.as_nanos() as f64;
        value *= frac;
        end = end.min(ramp_end);
    }
    (value, bound, end)
}

/// The next candidate of a Poisson process of rate `bound` after `t`, if it falls before the
/// segment's `end` (else the caller restarts at `end`: exact, the exponential being memoryless).
fn candidate(t: SimTime, bound: f64, end: SimTime, rng: &mut SimRng) -> Option<SimTime> {
    if bound <= 0.0 {
        return None; // a silent segment: nothing to draw, skip to its end
    }
    let gap: f64 = rng.sample(Exp1);
    let cand = t
        .checked_add(SimDuration::from_secs_f64(gap / bound))
        .unwrap_or(SimTime::MAX);
    (cand < end).then_some(cand)
}

/// Draws the attributes of one event: always the same three draws.
fn draw_event(spec: &PoissonSource, stream: u32, rng: &mut SimRng) -> DomainEvent {
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
    /// No profile, regime, start or ramp: a homogeneous process, sampled directly.
    flat: bool,
    rng: SimRng,
}

impl SourceState {
    pub(crate) fn new(spec: PoissonSource, index: u32, rng: SimRng) -> Result<Self, SourceError> {
        validate_shape(&spec.name, spec.rate_per_sec, &spec.shape)?;
        if !(spec.trade_size.min_usd > 0.0 && spec.trade_size.shape > 0.0) {
            return Err(SourceError {
                source_name: spec.name.clone(),
                problem: "trade size needs min_usd > 0 and shape > 0".into(),
            });
        }
        let sh = &spec.shape;
        let flat = sh.daily.is_empty()
            && sh.weekly.is_empty()
            && !sh.regime_sensitive
            && sh.starts_at == SimTime::ZERO
            && sh.ramp == SimDuration::ZERO;
        Ok(SourceState {
            spec,
            index,
            flat,
            rng,
        })
    }

    /// The next arrival strictly after `now` and before `until`, by thinning.
    pub(crate) fn next_arrival(
        &mut self,
        now: SimTime,
        until: SimTime,
        regime: &RegimePath,
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
            let (_, bound, end) = shape_at(&self.spec.shape, regime, t);
            let bound = bound * rate;
            match candidate(t, bound, end, &mut self.rng) {
                Some(c) => t = c,
                None => {
                    t = end;
                    continue;
                }
            }
            let (value, _, _) = shape_at(&self.spec.shape, regime, t);
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

/// A Hawkes group, ready to sample.
#[derive(Clone, Debug)]
pub(crate) struct HawkesState {
    /// Member sources (specs cloned) and their indices.
    pub members: Vec<(u32, PoissonSource)>,
    beta: f64,
    /// `jump[j][i]`: excitation·β added to member i's intensity by an event in member j.
    jump: Vec<Vec<f64>>,
    /// Current excitation per member, as of `updated`.
    excitation: Vec<f64>,
    updated: SimTime,
    rng: SimRng,
}

/// The spectral radius of a non-negative square matrix (its Perron root), by power iteration.
pub fn spectral_radius(m: &[Vec<f64>]) -> f64 {
    let n = m.len();
    if n == 0 {
        return 0.0;
    }
    let mut v = vec![1.0; n];
    let mut radius = 0.0;
    for _ in 0..500 {
        let next: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| m[i][j] * v[j]).sum())
            .collect();
        let norm = next.iter().fold(0.0f64, |a, x| a.max(x.abs()));
        if norm == 0.0 {
            return 0.0;
        }
        radius = norm / v.iter().fold(0.0f64, |a, x| a.max(x.abs()));
        v = next.iter().map(|x| x / norm).collect();
    }
    radius
}

impl HawkesState {
    pub(crate) fn new(
        group: &HawkesGroup,
        sources: &[PoissonSource],
        rng: SimRng,
    ) -> Result<Self, SourceError> {
        let err = |problem: String| SourceError {
            source_name: group.name.clone(),
            problem,
        };
        let n = group.members.len();
        if n == 0 {
            return Err(err("a Hawkes group needs at least one member".into()));
        }
        if group.excitation.len() != n || group.excitation.iter().any(|r| r.len() != n) {
            return Err(err(format!(
                "excitation must be a {n}×{n} matrix (one row and column per member)"
            )));
        }
        if group
            .excitation
            .iter()
            .flatten()
            .any(|x| !(x.is_finite() && *x >= 0.0))
        {
            return Err(err("excitation values must be finite and >= 0".into()));
        }
        let radius = spectral_radius(&group.excitation);
        if radius >= 1.0 {
            return Err(err(format!(
                "branching ratio (spectral radius of excitation) is {radius:.3}; it must be < 1 or the process explodes"
            )));
        }
        if group.decay == SimDuration::ZERO {
            return Err(err("decay must be > 0".into()));
        }
        let mut members = Vec::with_capacity(n);
        for &m in &group.members {
            let spec = sources
                .get(m)
                .ok_or_else(|| err(format!("member {m} is not a source")))?;
            validate_shape(&spec.name, spec.rate_per_sec, &spec.shape)?;
            members.push((m as u32, spec.clone()));
        }
        let beta = 1.0 / group.decay.as_secs_f64();
        Ok(HawkesState {
            members,
            beta,
            jump: group
                .excitation
                .iter()
                .map(|r| r.iter().map(|a| a * beta).collect())
                .collect(),
            excitation: vec![0.0; n],
            updated: SimTime::ZERO,
            rng,
        })
    }

    fn decay_to(&mut self, t: SimTime) {
        let dt = (t - self.updated).as_secs_f64();
        if dt > 0.0 {
            let f = libm::exp(-self.beta * dt);
            for e in &mut self.excitation {
                *e *= f;
            }
            self.updated = t;
        }
    }

    /// The next event (time, member position) after `now` and before `until`, by Ogata thinning.
    pub(crate) fn next_arrival(
        &mut self,
        now: SimTime,
        until: SimTime,
        regime: &RegimePath,
    ) -> Option<(SimTime, usize)> {
        let mut t = now;
        loop {
            if t >= until {
                return None;
            }
            self.decay_to(t);
            // Baselines are bounded per segment; excitation only decays until the next event.
            let mut end = SimTime::MAX;
            let mut bound = 0.0;
            for (_, spec) in &self.members {
                let (_, b, e) = shape_at(&spec.shape, regime, t);
                bound += b * spec.rate_per_sec;
                end = end.min(e);
            }
            bound += self.excitation.iter().sum::<f64>();
            match candidate(t, bound, end, &mut self.rng) {
                Some(c) => t = c,
                None => {
                    t = end;
                    continue;
                }
            }
            self.decay_to(t);
            let u: f64 = self.rng.random();
            let mut target = u * bound;
            for i in 0..self.members.len() {
                let spec = &self.members[i].1;
                let lambda =
                    shape_at(&spec.shape, regime, t).0 * spec.rate_per_sec + self.excitation[i];
                if target < lambda {
                    if t >= until {
                        return None;
                    }
                    for (k, e) in self.excitation.iter_mut().enumerate() {
                        *e += self.jump[i][k];
                    }
                    return Some((t, i));
                }
                target -= lambda;
            }
            // Rejected: the candidate fell in the gap between the bound and the true intensity.
        }
    }

    /// One event's attributes for member `i`.
    pub(crate) fn event(&mut self, i: usize) -> DomainEvent {
        let (index, spec) = &self.members[i];
        draw_event(spec, *index, &mut self.rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::RngStreams;

    fn source(rate: f64, shape: RateShape) -> PoissonSource {
        PoissonSource {
            name: "s".into(),
            event_type: EventTypeId(0),
            exchange: ExchangeId(0),
            rate_per_sec: rate,
            protocol: None,
            risk: RiskLevel::Low,
            urgency: Urgency::Normal,
            trading_pairs: 10,
            users: 10,
            trade_size: TradeSize {
                min_usd: 100.0,
                shape: 1.5,
            },
            shape,
        }
    }

    fn count(src: &PoissonSource, seed: u64, until: SimTime, regime: &RegimePath) -> Vec<SimTime> {
        let mut s = SourceState::new(src.clone(), 0, RngStreams::new(seed).stream("t")).unwrap();
        let mut out = Vec::new();
        let mut t = SimTime::ZERO;
        while let Some(next) = s.next_arrival(t, until, regime) {
            out.push(next);
            t = next;
        }
        out
    }

    fn hours(h: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(h * 3600)
    }

    #[test]
    fn flat_poisson_matches_its_rate_over_seeds() {
        let src = source(5.0, RateShape::default());
        let mut total = 0;
        for seed in 0..20 {
            total += count(&src, seed, hours(1), &RegimePath::calm()).len();
        }
        let mean = total as f64 / 20.0;
        // 18,000 expected per hour; the mean of 20 has sd ≈ 30.
        assert!((mean - 18_000.0).abs() < 150.0, "{mean}");
    }

    #[test]
    fn a_daily_profile_shapes_arrivals_hour_by_hour() {
        let mut daily = vec![1.0; 24];
        daily[12] = 4.0; // peak at noon, interpolated from 11:00 (1) to 12:00 (4) to 13:00 (1)
        let src = source(
            2.0,
            RateShape {
                daily,
                ..RateShape::default()
            },
        );
        let arrivals = count(&src, 1, hours(24), &RegimePath::calm());
        let in_hour = |h: u64| {
            arrivals
                .iter()
                .filter(|t| **t >= hours(h) && **t < hours(h + 1))
                .count() as f64
        };
        // Hour 11 ramps 1 → 4 (mean 2.5), hour 12 ramps 4 → 1 (mean 2.5), others flat at 1.
        for (h, expect) in [(3, 7_200.0), (11, 18_000.0), (12, 18_000.0), (20, 7_200.0)] {
            assert!(
                (in_hour(h) - expect).abs() < 5.0 * expect.sqrt(),
                "hour {h}: {}",
                in_hour(h)
            );
        }
        let total = arrivals.len() as f64;
        let expect = 2.0 * 3600.0 * (22.0 + 2.5 + 2.5); // 22 flat hours plus the two ramps
        assert!(
            (total - expect).abs() < 5.0 * expect.sqrt(),
            "{total} vs {expect}"
        );
    }

    #[test]
    fn a_launch_starts_late_and_ramps() {
        let shape = RateShape {
            starts_at: hours(1),
            ramp: SimDuration::from_secs(3600),
            ..RateShape::default()
        };
        let arrivals = count(&source(4.0, shape), 2, hours(3), &RegimePath::calm());
        assert!(arrivals[0] >= hours(1));
        let first = arrivals.iter().filter(|t| **t < hours(2)).count() as f64;
        let second = arrivals.len() as f64 - first;
        assert!(
            (first - 7_200.0).abs() < 400.0 && (second - 14_400.0).abs() < 600.0,
            "{first} {second}"
        );
    }

    #[test]
    fn the_regime_multiplies_sensitive_sources_only_while_volatile() {
        let config = RegimeConfig {
            calm_mean: SimDuration::from_secs(3 * 3600),
            volatile_mean: SimDuration::from_secs(1800),
            volatile_multiplier: 5.0,
            start_volatile: false,
            episode: EpisodeShape::default(),
        };
        let mut volatile_share = 0.0;
        let days = 40;
        for seed in 0..days {
            let path = RegimePath::draw(
                &config,
                hours(24),
                &mut RngStreams::new(seed).stream("regime"),
            );
            let mut v = 0u64;
            for w in path.switches.windows(2) {
                if w[0].1 {
                    v += (w[1].0 - w[0].0).as_nanos();
                }
            }
            if let Some(&(t, true)) = path.switches.last() {
                v += (hours(24) - t).as_nanos();
            }
            volatile_share += v as f64 / (24.0 * 3600e9);
        }
        let share = volatile_share / f64::from(days as u32);
        assert!((share - 0.5 / 3.5).abs() < 0.03, "volatile share {share}");

        let path = RegimePath::draw(&config, hours(24), &mut RngStreams::new(9).stream("regime"));
        let sensitive = count(
            &source(
                1.0,
                RateShape {
                    regime_sensitive: true,
                    ..RateShape::default()
                },
            ),
            3,
            hours(24),
            &path,
        );
        let in_volatile = sensitive.iter().filter(|t| path.is_volatile(**t)).count() as f64;
        let volatile_secs: f64 = (0..24 * 60)
            .filter(|m| path.is_volatile(SimTime::ZERO + SimDuration::from_secs(m * 60)))
            .count() as f64
            * 60.0;
        let rate = in_volatile / volatile_secs;
        assert!((rate - 5.0).abs() < 0.5, "volatile rate {rate}");
    }

    /// One volatile episode from t = 0 that lasts (practically) all day.
    fn one_long_episode(episode: EpisodeShape, multiplier: f64) -> RegimePath {
        RegimePath {
            switches: vec![(SimTime::ZERO, true)],
            multiplier,
            episode,
        }
    }

    #[test]
    fn a_shaped_episode_builds_up_then_decays() {
        let shape = EpisodeShape {
            onset: SimDuration::from_mins(10),
            half_life: Some(SimDuration::from_mins(20)),
        };
        let share = |mins: u64| shape.excess_share(SimDuration::from_secs(mins * 60));
        assert_eq!(share(0), 0.0);
        assert!((share(5) - 0.5).abs() < 1e-12);
        assert!((share(10) - 1.0).abs() < 1e-12);
        assert!((share(30) - 0.5).abs() < 1e-12);
        assert!((share(50) - 0.25).abs() < 1e-12);
        assert!(EpisodeShape::default().is_step());
        assert_eq!(EpisodeShape::default().excess_share(SimDuration::ZERO), 1.0);

        // Arrivals follow the shape: 10/s calm, up to 40/s at the height of the episode.
        let path = one_long_episode(shape, 4.0);
        let src = source(
            10.0,
            RateShape {
                regime_sensitive: true,
                ..RateShape::default()
            },
        );
        let per_window = |from: u64, to: u64, seeds: u64| {
            let mut n = 0;
            for seed in 0..seeds {
                n += count(&src, seed, hours(2), &path)
                    .iter()
                    .filter(|t| (from * 60..to * 60).contains(&(t.as_nanos() / 1_000_000_000)))
                    .count();
            }
            n as f64 / seeds as f64
        };
        // Expected counts: the intensity integrated over each window.
        let expected = |from: u64, to: u64| {
            (from * 60..to * 60)
                .map(|sec| {
                    let since = SimDuration::from_nanos(sec * 1_000_000_000 + 500_000_000);
                    10.0 * (1.0 + 3.0 * shape.excess_share(since))
                })
                .sum::<f64>()
        };
        for (from, to) in [(0, 10), (10, 20), (30, 50), (90, 120)] {
            let (got, want) = (per_window(from, to, 8), expected(from, to));
            // Poisson: sd of the mean of 8 windows is √(want / 8), under 2% of want here.
            assert!(
                (got - want).abs() < 4.0 * (want / 8.0).sqrt(),
                "minutes {from}..{to}: {got} arrivals, expected {want}"
            );
        }
    }

    proptest::proptest! {
        /// Thinning is exact only if the bound holds over its whole segment.
        #[test]
        fn a_shaped_episode_stays_under_its_bound(
            onset_s in 0u64..1800,
            half_life_s in proptest::option::of(1u64..3600),
            multiplier in 0.2f64..6.0,
            at_s in 0u64..7200,
            later in 0.0f64..1.0,
        ) {
            let path = one_long_episode(
                EpisodeShape {
                    onset: SimDuration::from_secs(onset_s),
                    half_life: half_life_s.map(SimDuration::from_secs),
                },
                multiplier,
            );
            let t = SimTime::ZERO + SimDuration::from_secs(at_s);
            let (value, bound, end) = path.at(t);
            proptest::prop_assert!(end > t);
            proptest::prop_assert!(value <= bound + 1e-12);
            let inside = t + SimDuration::from_nanos(((end - t).as_nanos() as f64 * later) as u64);
            proptest::prop_assert!(path.at(inside).0 <= bound + 1e-12);
        }
    }

    #[test]
    fn hawkes_mean_rate_and_branching_ratio_match_theory() {
        // Two members, baselines 1/s and 2/s, excitation [[0.3, 0.2], [0.1, 0.4]].
        let sources = vec![
            source(1.0, RateShape::default()),
            source(2.0, RateShape::default()),
        ];
        let excitation = vec![vec![0.3, 0.2], vec![0.1, 0.4]];
        let group = HawkesGroup {
            name: "g".into(),
            members: vec![0, 1],
            decay: SimDuration::from_secs(10),
            excitation: excitation.clone(),
        };
        // Stationary rates: λ = μ + Aᵀ λ  →  λ = (I − Aᵀ)⁻¹ μ.
        let (a, b, c, d) = (1.0 - 0.3, -0.1, -0.2, 1.0 - 0.4); // I − Aᵀ
        let det = a * d - b * c;
        let lambda = [(d * 1.0 - b * 2.0) / det, (-c * 1.0 + a * 2.0) / det];
        let mut counts = [0f64; 2];
        let seeds = 10;
        let horizon = hours(6);
        for seed in 0..seeds {
            let mut h =
                HawkesState::new(&group, &sources, RngStreams::new(seed).stream("h")).unwrap();
            let mut t = SimTime::ZERO;
            while let Some((next, i)) = h.next_arrival(t, horizon, &RegimePath::calm()) {
                counts[i] += 1.0;
                t = next;
            }
        }
        let secs = 6.0 * 3600.0 * seeds as f64;
        for i in 0..2 {
            let rate = counts[i] / secs;
            assert!(
                (rate - lambda[i]).abs() / lambda[i] < 0.05,
                "member {i}: {rate} vs {}",
                lambda[i]
            );
        }
        // Branching ratio estimate: the share of events that are offspring, 1 − Σμ / Σλ.
        let observed = 1.0 - 3.0 / ((counts[0] + counts[1]) / secs);
        let expected = 1.0 - 3.0 / (lambda[0] + lambda[1]);
        assert!(
            (observed - expected).abs() < 0.03,
            "{observed} vs {expected}"
        );
        assert!((spectral_radius(&excitation) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn an_explosive_hawkes_group_is_refused() {
        let sources = vec![source(1.0, RateShape::default())];
        let group = HawkesGroup {
            name: "boom".into(),
            members: vec![0],
            decay: SimDuration::from_secs(1),
            excitation: vec![vec![1.2]],
        };
        let err = HawkesState::new(&group, &sources, RngStreams::new(1).stream("h")).unwrap_err();
        assert!(err.to_string().contains("branching ratio"), "{err}");
    }

    #[test]
    fn pareto_trade_sizes_have_the_declared_tail() {
        let src = source(1.0, RateShape::default());
        let mut s = SourceState::new(src, 0, RngStreams::new(4).stream("t")).unwrap();
        let sizes: Vec<f64> = (0..200_000).map(|_| s.next_event().amount_usd).collect();
        assert!(sizes.iter().all(|&x| x >= 100.0));
        // P(X > x) = (100 / x)^1.5: above $10,000 → 0.001.
        let tail = sizes.iter().filter(|&&x| x > 10_000.0).count() as f64 / sizes.len() as f64;
        assert!((tail - 0.001).abs() < 0.0003, "{tail}");
    }
}
