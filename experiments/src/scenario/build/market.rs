//! `[market]`: the latent market world, converted to a [`MarketConfig`]; fields left out take
//! the cluster's defaults (which cite their sources), and the cluster checks every value.

use shardsim_sim::cluster::{
    ActivityNoise, Cascade, Cycle, EventProfile, Funding, ImpactScale, LatentVol,
    LiquidationSpiral, MarketConfig, MarketExposure, ScheduledEvent, StageLag,
};
use shardsim_sim::{SimDuration, SimTime};

use crate::scenario::error::ScenarioError;
use crate::scenario::resolve::Resolver;
use crate::scenario::schema::{
    CascadeDef, CycleDef, ExposureDef, FundingDef, ImpactsDef, MarketDef, SpiralDef, StageLagDef,
    VolatilityDef,
};

/// `[market]`, with its venues resolved to exchanges.
pub(super) fn market(names: &Resolver<'_>, def: &MarketDef) -> Result<MarketConfig, ScenarioError> {
    let d = MarketConfig::default();
    let venues = def
        .venues
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let exchange = names.exchange(&v.exchange, &format!("market.venues[{i}].exchange"))?;
            Ok((exchange, v.lag.0))
        })
        .collect::<Result<Vec<_>, ScenarioError>>()?;
    Ok(MarketConfig {
        step: def.step.map_or(d.step, |s| s.0),
        volatility: def.volatility.as_ref().map(volatility),
        noise: def.noise.as_ref().map(|n| {
            let d = ActivityNoise::default();
            ActivityNoise {
                half_life: n.half_life.map_or(d.half_life, |h| h.0),
                sd: n.sd.unwrap_or(d.sd),
            }
        }),
        calendar: def
            .calendar
            .iter()
            .map(|e| ScheduledEvent {
                name: e.name.clone(),
                kind: e.kind.into(),
                at: SimTime::ZERO + e.at.0,
                impact: e.impact.into(),
                profile: EventProfile {
                    lead: e.lead.map_or(SimDuration::ZERO, |l| l.0),
                    lead_shape: e.lead_shape.into(),
                    lead_share: e.lead_share.unwrap_or(0.0),
                    half_life: e.half_life.0,
                },
            })
            .collect(),
        funding: def.funding.as_ref().map(funding),
        impacts: def.impacts.as_ref().map_or(d.impacts, impacts),
        cycle: def.cycle.as_ref().map(cycle),
        cascade: def.cascade.as_ref().map(cascade),
        spiral: def.spiral.as_ref().map(spiral),
        venues,
        return_sd: def.return_sd.unwrap_or(d.return_sd),
        cap: def.cap.unwrap_or(d.cap),
    })
}

fn volatility(v: &VolatilityDef) -> LatentVol {
    let d = LatentVol::default();
    LatentVol {
        half_life: v.half_life.map_or(d.half_life, |h| h.0),
        sd: v.sd.unwrap_or(d.sd),
        jumps_per_day: v.jumps_per_day.unwrap_or(d.jumps_per_day),
        jump_mean: v.jump_mean.unwrap_or(d.jump_mean),
    }
}

fn impacts(i: &ImpactsDef) -> ImpactScale {
    let d = ImpactScale::default();
    ImpactScale {
        low: i.low.unwrap_or(d.low),
        medium: i.medium.unwrap_or(d.medium),
        high: i.high.unwrap_or(d.high),
        spread: i.spread.unwrap_or(d.spread),
    }
}

fn funding(f: &FundingDef) -> Funding {
    let d = Funding::default();
    Funding {
        period: f.period.map_or(d.period, |p| p.0),
        offset: f.offset.map_or(d.offset, |o| o.0),
        impact: f.impact.map_or(d.impact, Into::into),
        profile: EventProfile {
            lead: f.lead.map_or(d.profile.lead, |l| l.0),
            lead_shape: f.lead_shape.map_or(d.profile.lead_shape, Into::into),
            lead_share: f.lead_share.unwrap_or(d.profile.lead_share),
            half_life: f.half_life.map_or(d.profile.half_life, |h| h.0),
        },
    }
}

fn cycle(c: &CycleDef) -> Cycle {
    let d = Cycle::default();
    Cycle {
        hourly: c.hourly.clone().unwrap_or(d.hourly),
        weekend: c.weekend.unwrap_or(d.weekend),
    }
}

fn cascade(c: &CascadeDef) -> Cascade {
    let d = Cascade::default();
    let lag = |def: &Option<StageLagDef>, default: StageLag| {
        def.as_ref().map_or(default, |l| StageLag {
            mean: l.mean.0,
            order: l.order.unwrap_or(default.order),
        })
    };
    Cascade {
        arbitrage: lag(&c.arbitrage, d.arbitrage),
        trade: lag(&c.trade, d.trade),
        risk: lag(&c.risk, d.risk),
        liquidation: lag(&c.liquidation, d.liquidation),
    }
}

fn spiral(s: &SpiralDef) -> LiquidationSpiral {
    let d = LiquidationSpiral::default();
    LiquidationSpiral {
        threshold: s.threshold.unwrap_or(d.threshold),
        hazard_per_hour: s.hazard_per_hour.unwrap_or(d.hazard_per_hour),
        peak: s.peak.unwrap_or(d.peak),
        spread: s.spread.unwrap_or(d.spread),
        rise: s.rise.map_or(d.rise, |r| r.0),
        half_life: s.half_life.map_or(d.half_life, |h| h.0),
        refractory: s.refractory.map_or(d.refractory, |r| r.0),
        event_sensitivity: s.event_sensitivity.unwrap_or(d.event_sensitivity),
    }
}

/// `[workload.sources.market]`: a source's exposure.
pub(super) fn exposure(e: &ExposureDef) -> MarketExposure {
    let d = MarketExposure::default();
    MarketExposure {
        stage: e.stage.into(),
        vol_elasticity: e.vol_elasticity.unwrap_or(d.vol_elasticity),
        event_sensitivity: e.event_sensitivity.unwrap_or(d.event_sensitivity),
        spiral_excess: e.spiral_excess.unwrap_or(d.spiral_excess),
    }
}
