//! The market world's checks (part of [`ClusterConfig::validate`], after the regime): every
//! field of [`MarketConfig`] and of each source's [`MarketExposure`], each error naming the
//! field and what is allowed.

use crate::cluster::config::ClusterConfig;
use crate::cluster::config::limits::MAX_USER_TIME;
use crate::cluster::spec::error::{ClusterError, ConfigItem};
use crate::cluster::spec::market::{
    CascadeStage, EventProfile, LiquidationSpiral, MarketConfig, MarketExposure,
};
use crate::time::{SimDuration, SimTime};

/// Highest Erlang order of a cascade stage: each order is one pass over the grid, per series.
const MAX_ORDER: u32 = 16;

/// Largest |vol_elasticity|: exp(e·x) overflows long before the cap would matter.
const MAX_ELASTICITY: f64 = 10.0;

/// Largest stationary sd of log-vol and largest jump mean (a factor e^5 ≈ 150 already).
const MAX_LOG_VOL: f64 = 5.0;

/// Most expected jumps per simulated day (one every 86 s).
const MAX_JUMPS_PER_DAY: f64 = 1_000.0;

type Checked = Result<(), ClusterError>;

fn bad(item: ConfigItem, field: &'static str, text: String) -> Checked {
    Err(ClusterError::Invalid(text).at(item, Some(field)))
}

fn in_range(item: ConfigItem, field: &'static str, v: f64, lo: f64, hi: f64) -> Checked {
    if v.is_finite() && v >= lo && v <= hi {
        return Ok(());
    }
    bad(
        item,
        field,
        format!("market: {field} must be finite, between {lo} and {hi} (got {v})"),
    )
}

fn positive_time(item: ConfigItem, field: &'static str, d: SimDuration) -> Checked {
    if d == SimDuration::ZERO || d > MAX_USER_TIME {
        return bad(
            item,
            field,
            format!("market: {field} must be positive and at most 100 years (got {d})"),
        );
    }
    Ok(())
}

fn time(item: ConfigItem, field: &'static str, d: SimDuration) -> Checked {
    if d > MAX_USER_TIME {
        return bad(
            item,
            field,
            format!("market: {field} must be at most 100 years (got {d})"),
        );
    }
    Ok(())
}

impl ClusterConfig {
    /// The market's own fields, then each source's exposure (which needs a market).
    pub(super) fn validate_market(&self) -> Checked {
        if let Some(m) = &self.market {
            self.validate_market_config(m)?;
        }
        for (i, s) in self.sources.iter().enumerate() {
            let Some(exposure) = &s.shape.market else {
                continue;
            };
            let Some(m) = &self.market else {
                return bad(
                    ConfigItem::Source(i),
                    "shape.market",
                    format!(
                        "source `{}` is exposed to the market, but the configuration has no market: declare one or drop the exposure",
                        s.name
                    ),
                );
            };
            validate_exposure(m, i, &s.name, exposure)?;
        }
        Ok(())
    }

    fn validate_market_config(&self, m: &MarketConfig) -> Checked {
        let item = ConfigItem::Market;
        if self.arrivals_until == SimTime::MAX {
            return Err(ClusterError::Invalid(
                "market: the run needs an end (arrivals_until): the market path is drawn whole before it starts".into(),
            )
            .at(ConfigItem::Duration, None));
        }
        positive_time(item, "step", m.step)?;
        in_range(item, "return_sd", m.return_sd, 0.0, 1.0)?;
        in_range(item, "cap", m.cap, 1.0, 1e4)?;
        in_range(item, "impacts.low", m.impacts.low, 1e-3, 1e3)?;
        in_range(item, "impacts.medium", m.impacts.medium, 1e-3, 1e3)?;
        in_range(item, "impacts.high", m.impacts.high, 1e-3, 1e3)?;
        in_range(item, "impacts.spread", m.impacts.spread, 0.0, 3.0)?;
        if let Some(v) = &m.volatility {
            positive_time(item, "volatility.half_life", v.half_life)?;
            in_range(item, "volatility.sd", v.sd, 0.0, MAX_LOG_VOL)?;
            in_range(
                item,
                "volatility.jumps_per_day",
                v.jumps_per_day,
                0.0,
                MAX_JUMPS_PER_DAY,
            )?;
            in_range(item, "volatility.jump_mean", v.jump_mean, 0.0, MAX_LOG_VOL)?;
        }
        if let Some(n) = &m.noise {
            positive_time(item, "noise.half_life", n.half_life)?;
            in_range(item, "noise.sd", n.sd, 0.0, MAX_LOG_VOL)?;
        }
        if let Some(sp) = &m.spiral {
            validate_spiral(item, sp)?;
        }
        validate_calendar(m, self.arrivals_until)?;
        if let Some(f) = &m.funding {
            positive_time(item, "funding.period", f.period)?;
            if f.offset >= f.period {
                return bad(
                    item,
                    "funding.offset",
                    format!(
                        "market: funding.offset ({}) must be shorter than funding.period ({})",
                        f.offset, f.period
                    ),
                );
            }
            if f.period < m.step {
                return bad(
                    item,
                    "funding.period",
                    format!(
                        "market: funding.period ({}) must be at least the grid step ({})",
                        f.period, m.step
                    ),
                );
            }
            validate_profile(item, "funding.", &f.profile)?;
        }
        if let Some(c) = &m.cycle {
            if c.hourly.len() != 24 || c.hourly.iter().any(|h| !(h.is_finite() && *h >= 0.0)) {
                return bad(
                    item,
                    "cycle.hourly",
                    format!(
                        "market: cycle.hourly needs 24 finite multipliers >= 0, one per UTC hour (got {})",
                        c.hourly.len()
                    ),
                );
            }
            in_range(item, "cycle.weekend", c.weekend, 0.0, 1e3)?;
        }
        if let Some(c) = &m.cascade {
            for (name, lag) in c.lags() {
                let (mean, order) = cascade_fields(name);
                time(item, mean, lag.mean)?;
                if lag.order == 0 || lag.order > MAX_ORDER {
                    return bad(
                        item,
                        order,
                        format!(
                            "market: {order} must be between 1 and {MAX_ORDER} (got {})",
                            lag.order
                        ),
                    );
                }
            }
        }
        self.validate_venues(m)
    }

    fn validate_venues(&self, m: &MarketConfig) -> Checked {
        let exchanges = self.topology.exchanges.len();
        for (i, (x, lag)) in m.venues.iter().enumerate() {
            let item = ConfigItem::Venue(i);
            if x.index() >= exchanges {
                return Err(ClusterError::OutOfRange {
                    what: format!("market venue #{i}"),
                    kind: "exchange",
                    index: x.index(),
                    count: exchanges,
                }
                .at(item, Some("exchange")));
            }
            if m.venues[..i].iter().any(|(y, _)| y == x) {
                return bad(
                    item,
                    "exchange",
                    format!(
                        "market: exchange `{}` has two venue lags; give it one",
                        self.topology.exchanges[x.index()].name
                    ),
                );
            }
            time(item, "lag", *lag)?;
        }
        Ok(())
    }
}

/// The field names of a cascade stage's lag.
fn cascade_fields(stage: &str) -> (&'static str, &'static str) {
    match stage {
        "arbitrage" => ("cascade.arbitrage.mean", "cascade.arbitrage.order"),
        "trade" => ("cascade.trade.mean", "cascade.trade.order"),
        "risk" => ("cascade.risk.mean", "cascade.risk.order"),
        _ => ("cascade.liquidation.mean", "cascade.liquidation.order"),
    }
}

/// An event profile: lead at most 100 years, lead share in [0, 1], a positive half-life.
fn validate_profile(item: ConfigItem, prefix: &str, p: &EventProfile) -> Checked {
    let field = |name: &'static str| -> &'static str {
        match (prefix, name) {
            ("", n) => n,
            (_, "lead") => "funding.lead",
            (_, "lead_share") => "funding.lead_share",
            _ => "funding.half_life",
        }
    };
    time(item, field("lead"), p.lead)?;
    in_range(item, field("lead_share"), p.lead_share, 0.0, 1.0)?;
    positive_time(item, field("half_life"), p.half_life)
}

fn validate_spiral(item: ConfigItem, sp: &LiquidationSpiral) -> Checked {
    in_range(item, "spiral.threshold", sp.threshold, 0.0, 1e3)?;
    in_range(item, "spiral.hazard_per_hour", sp.hazard_per_hour, 0.0, 1e4)?;
    in_range(item, "spiral.peak", sp.peak, 1.0, 1e4)?;
    in_range(item, "spiral.spread", sp.spread, 0.0, 3.0)?;
    positive_time(item, "spiral.rise", sp.rise)?;
    positive_time(item, "spiral.half_life", sp.half_life)?;
    time(item, "spiral.refractory", sp.refractory)?;
    in_range(
        item,
        "spiral.event_sensitivity",
        sp.event_sensitivity,
        0.0,
        100.0,
    )
}

fn validate_exposure(m: &MarketConfig, i: usize, name: &str, e: &MarketExposure) -> Checked {
    let item = ConfigItem::Source(i);
    let range = |field: &'static str, v: f64, lo: f64, hi: f64| -> Checked {
        if v.is_finite() && v >= lo && v <= hi {
            return Ok(());
        }
        bad(
            item,
            field,
            format!("source `{name}`: {field} must be finite, between {lo} and {hi} (got {v})"),
        )
    };
    range(
        "shape.market.vol_elasticity",
        e.vol_elasticity,
        -MAX_ELASTICITY,
        MAX_ELASTICITY,
    )?;
    range(
        "shape.market.event_sensitivity",
        e.event_sensitivity,
        0.0,
        100.0,
    )?;
    if e.spiral_excess && (e.stage != CascadeStage::Liquidation || m.spiral.is_none()) {
        return bad(
            item,
            "shape.market.spiral_excess",
            format!(
                "source `{name}`: spiral_excess follows the liquidation spiral's excess, so it needs stage = \"liquidation\" and a [market.spiral] (the stage is {}, the spiral {})",
                e.stage.name(),
                if m.spiral.is_some() {
                    "declared"
                } else {
                    "absent"
                }
            ),
        );
    }
    if let Some(v) = &m.volatility
        && v.jumps_per_day > 0.0
        && e.vol_elasticity * v.jump_mean >= 1.0
    {
        return bad(
            item,
            "shape.market.vol_elasticity",
            format!(
                "source `{name}`: vol_elasticity × volatility.jump_mean is {:.3}; it must be < 1, or the stationary mean of exp(e·x) is infinite and cannot be normalised to 1",
                e.vol_elasticity * v.jump_mean
            ),
        );
    }
    Ok(())
}

/// Every declared calendar event: named, before the run's `end`, with a valid profile.
fn validate_calendar(m: &MarketConfig, end: SimTime) -> Checked {
    for (i, e) in m.calendar.iter().enumerate() {
        let item = ConfigItem::CalendarEvent(i);
        if e.name.is_empty() {
            return bad(
                item,
                "name",
                format!("market: calendar event #{i} needs a name"),
            );
        }
        if e.at >= end {
            return bad(
                item,
                "at",
                format!(
                    "market: calendar event `{}` is at {:.3} h, at or after the run's end ({:.3} h): schedule it before the end",
                    e.name,
                    e.at.as_secs_f64() / 3600.0,
                    end.as_secs_f64() / 3600.0
                ),
            );
        }
        validate_profile(item, "", &e.profile)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::cluster::*;
    use crate::testkit;
    use crate::time::{SimDuration, SimTime};

    use crate::testkit::refusal as refused;

    fn with_market(edit: impl FnOnce(&mut MarketConfig)) -> ClusterConfig {
        let mut c = testkit::small_config();
        c.sources[0].shape.market = Some(MarketExposure::default());
        let mut m = MarketConfig {
            volatility: Some(LatentVol::default()),
            noise: Some(ActivityNoise::default()),
            spiral: Some(LiquidationSpiral::default()),
            funding: Some(Funding::default()),
            cycle: Some(Cycle::default()),
            cascade: Some(Cascade::default()),
            ..MarketConfig::default()
        };
        edit(&mut m);
        c.market = Some(m);
        c
    }

    fn event(at: SimTime) -> ScheduledEvent {
        ScheduledEvent {
            name: "cpi".into(),
            kind: EventKind::Macro,
            at,
            impact: ImpactClass::High,
            profile: EventProfile {
                lead: SimDuration::from_secs(10),
                lead_shape: LeadShape::Linear,
                lead_share: 0.5,
                half_life: SimDuration::from_secs(10),
            },
        }
    }

    #[test]
    fn a_full_market_passes() {
        assert_eq!(with_market(|_| {}).validate(), Ok(()));
    }

    /// Each case's configuration is refused naming its item and field, with `text` in the
    /// message.
    fn assert_refusals(cases: Vec<(ClusterConfig, ConfigItem, &str, &str)>) {
        for (config, item, field, text) in cases {
            let (got_item, got_field, message) = refused(&config);
            assert_eq!(
                (got_item, got_field),
                (Some(item), Some(field)),
                "{message}"
            );
            assert!(message.contains(text), "{field}: {message}");
        }
    }

    #[test]
    fn each_bad_market_field_is_named_with_what_is_allowed() {
        let m = ConfigItem::Market;
        assert_refusals(vec![
            (
                with_market(|m| m.step = SimDuration::ZERO),
                m,
                "step",
                "must be positive",
            ),
            (with_market(|m| m.cap = 0.5), m, "cap", "between 1 and"),
            (
                with_market(|m| m.return_sd = f64::NAN),
                m,
                "return_sd",
                "finite",
            ),
            (
                with_market(|m| m.impacts.high = -1.0),
                m,
                "impacts.high",
                "got -1",
            ),
            (
                with_market(|m| m.volatility.as_mut().unwrap().half_life = SimDuration::ZERO),
                m,
                "volatility.half_life",
                "positive",
            ),
            (
                with_market(|m| m.volatility.as_mut().unwrap().sd = f64::INFINITY),
                m,
                "volatility.sd",
                "finite",
            ),
            (
                with_market(|m| m.noise.as_mut().unwrap().half_life = SimDuration::ZERO),
                m,
                "noise.half_life",
                "positive",
            ),
            (
                with_market(|m| m.noise.as_mut().unwrap().sd = -0.1),
                m,
                "noise.sd",
                "got -0.1",
            ),
            (
                with_market(|m| m.spiral.as_mut().unwrap().peak = 0.5),
                m,
                "spiral.peak",
                "between 1 and",
            ),
            (
                with_market(|m| m.spiral.as_mut().unwrap().rise = SimDuration::ZERO),
                m,
                "spiral.rise",
                "positive",
            ),
        ]);
    }

    #[test]
    fn each_bad_calendar_cycle_or_venue_field_is_named_with_what_is_allowed() {
        let m = ConfigItem::Market;
        assert_refusals(vec![
            (
                with_market(|m| {
                    m.funding.as_mut().unwrap().offset = SimDuration::from_mins(9 * 60)
                }),
                m,
                "funding.offset",
                "shorter than funding.period",
            ),
            (
                with_market(|m| m.funding.as_mut().unwrap().profile.lead_share = 2.0),
                m,
                "funding.lead_share",
                "between 0 and 1",
            ),
            (
                with_market(|m| {
                    m.cycle.as_mut().unwrap().hourly.pop();
                }),
                m,
                "cycle.hourly",
                "24 finite multipliers",
            ),
            (
                with_market(|m| m.cascade.as_mut().unwrap().risk.order = 0),
                m,
                "cascade.risk.order",
                "between 1 and 16",
            ),
            (
                with_market(|m| {
                    m.calendar
                        .push(event(SimTime::ZERO + SimDuration::from_secs(60)))
                }),
                ConfigItem::CalendarEvent(0),
                "at",
                "at or after the run's end",
            ),
            (
                with_market(|m| {
                    let mut e = event(SimTime::ZERO + SimDuration::from_secs(30));
                    e.profile.half_life = SimDuration::ZERO;
                    m.calendar.push(e);
                }),
                ConfigItem::CalendarEvent(0),
                "half_life",
                "positive",
            ),
            (
                with_market(|m| m.venues.push((ExchangeId(99), SimDuration::ZERO))),
                ConfigItem::Venue(0),
                "exchange",
                "refers to exchange 99",
            ),
        ]);
    }

    #[test]
    fn exposures_need_a_market_and_a_finite_normalisation() {
        let mut c = testkit::small_config();
        c.sources[0].shape.market = Some(MarketExposure::default());
        let (item, field, text) = refused(&c);
        assert_eq!(
            (item, field),
            (Some(ConfigItem::Source(0)), Some("shape.market"))
        );
        assert!(text.contains("has no market"), "{text}");

        let mut c = with_market(|_| {});
        c.sources[0].shape.market = Some(MarketExposure {
            vol_elasticity: 2.5, // × jump_mean 0.5 = 1.25 ≥ 1
            ..MarketExposure::default()
        });
        let (_, field, text) = refused(&c);
        assert_eq!(field, Some("shape.market.vol_elasticity"));
        assert!(text.contains("must be < 1"), "{text}");

        let mut c = with_market(|_| {});
        c.arrivals_until = SimTime::MAX;
        assert_eq!(refused(&c).0, Some(ConfigItem::Duration));
    }

    #[test]
    fn long_lived_events_count_against_the_path_size() {
        // A settlement every 10 s whose excess lasts 30 × 100 days: ~8,640 events each over
        // the whole day would be 75 M values per series.
        let mut c = with_market(|m| {
            let f = m.funding.as_mut().unwrap();
            f.period = m.step;
            f.profile.half_life = SimDuration::from_secs(100 * 86_400);
        });
        c.arrivals_until = SimTime::ZERO + SimDuration::from_secs(86_400);
        let (item, field, text) = refused(&c);
        assert_eq!((item, field), (Some(ConfigItem::Market), Some("step")));
        assert!(text.contains("of calendar events"), "{text}");
    }

    #[test]
    fn the_path_size_is_limited_before_it_is_drawn() {
        let mut c = with_market(|m| m.step = SimDuration::from_millis(1));
        c.arrivals_until = SimTime::ZERO + SimDuration::from_secs(86_400);
        let (item, field, text) = refused(&c);
        assert_eq!((item, field), (Some(ConfigItem::Market), Some("step")));
        assert!(text.contains("precomputed whole"), "{text}");
    }
}
