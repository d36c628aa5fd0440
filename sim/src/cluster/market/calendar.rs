//! The calendar: declared events plus generated funding settlements, each given a realised
//! impact (drawn once from `market/calendar`), and the course of each event's excess on the grid.

use rand::RngExt;
use rand_distr::StandardNormal;

use crate::cluster::spec::market::{
    EventKind, EventProfile, ImpactClass, LeadShape, MarketConfig, ScheduledEvent,
};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

/// An event of the public calendar: what an operator knows in advance.
#[derive(Clone, Debug, PartialEq)]
pub struct PublicEvent {
    /// Name (funding settlements are named `funding HH:MM day D`).
    pub name: String,
    /// What it is.
    pub kind: EventKind,
    /// When it happens.
    pub at: SimTime,
    /// Its expected size.
    pub impact: ImpactClass,
}

/// One event with its hidden realisation: the impact drawn and its excess on the grid.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RealisedEvent {
    pub public: PublicEvent,
    /// The realised peak multiplier (for maintenance, the dip is to its reciprocal).
    pub impact: f64,
    /// First grid point the event touches.
    pub first: usize,
    /// Its excess over 1 at grid points `first..first + excess.len()`.
    pub excess: Vec<f64>,
}

/// Half-lives after which an event's excess is dropped (2⁻³⁰ of it: below a part in a billion).
const DECAY_HALF_LIVES: u64 = 30;

/// The declared calendar and the funding settlements before `until`, in time order (ties: the
/// declared ones first, in declaration order), each realised.
pub(crate) fn realise(
    config: &MarketConfig,
    until: SimTime,
    points: usize,
    rng: &mut SimRng,
) -> Vec<RealisedEvent> {
    let mut events: Vec<(ScheduledEvent, usize)> = config
        .calendar
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, e)| (e, i))
        .collect();
    if let Some(f) = &config.funding {
        let mut at = SimTime::ZERO + f.offset;
        let mut n = config.calendar.len();
        while at < until {
            let secs = at.as_nanos() / 1_000_000_000;
            let name = format!(
                "funding {:02}:{:02} day {}",
                secs / 3600 % 24,
                secs / 60 % 60,
                secs / 86_400
            );
            events.push((
                ScheduledEvent {
                    name,
                    kind: EventKind::Funding,
                    at,
                    impact: f.impact,
                    profile: f.profile,
                },
                n,
            ));
            n += 1;
            at = at.checked_add(f.period).unwrap_or(SimTime::MAX);
        }
    }
    events.sort_by_key(|(e, i)| (e.at, *i));
    let spread = config.impacts.spread;
    events
        .into_iter()
        .map(|(e, _)| {
            // One normal per event, in time order: the realisation never depends on the sources.
            let z: f64 = rng.sample(StandardNormal);
            let mean = config.impacts.mean(e.impact);
            let impact = mean * libm::exp(spread * z - spread * spread / 2.0);
            let full = match e.kind {
                EventKind::Maintenance => 1.0 / impact - 1.0,
                _ => impact - 1.0,
            };
            let (first, excess) = course(&e.profile, e.at, full, config.step, points);
            RealisedEvent {
                public: PublicEvent {
                    name: e.name,
                    kind: e.kind,
                    at: e.at,
                    impact: e.impact,
                },
                impact,
                first,
                excess,
            }
        })
        .collect()
}

/// The excess of one event at each grid point it touches (evaluated at the point's time).
fn course(
    profile: &EventProfile,
    at: SimTime,
    full: f64,
    step: SimDuration,
    points: usize,
) -> (usize, Vec<f64>) {
    let step_ns = step.as_nanos();
    let start = at.as_nanos().saturating_sub(profile.lead.as_nanos());
    let tail = profile
        .half_life
        .as_nanos()
        .saturating_mul(DECAY_HALF_LIVES);
    let end = at.as_nanos().saturating_add(tail);
    let first = start.div_ceil(step_ns) as usize;
    let last = ((end / step_ns) as usize).min(points.saturating_sub(1));
    let lead = profile.lead.as_nanos() as f64;
    let half_life = profile.half_life.as_nanos() as f64;
    let excess = (first..=last)
        .map(|k| {
            let t = k as u64 * step_ns;
            if t < at.as_nanos() {
                let u = 1.0 - (at.as_nanos() - t) as f64 / lead;
                let rise = match profile.lead_shape {
                    LeadShape::Linear => u,
                    LeadShape::Exponential => (libm::exp(3.0 * u) - 1.0) / (libm::exp(3.0) - 1.0),
                };
                full * profile.lead_share * rise
            } else {
                let since = (t - at.as_nanos()) as f64;
                full * libm::exp2(-since / half_life)
            }
        })
        .collect();
    (first, excess)
}
