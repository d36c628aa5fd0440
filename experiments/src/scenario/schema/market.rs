//! The `[market]` tables and a source's `market = { ... }` exposure, as serde reads them.

use serde::Deserialize;
use shardsim_sim::cluster::{CascadeStage, EventKind, ImpactClass, LeadShape};
use toml::Spanned;

use crate::io::units::Dur;

/// `[workload.sources.market]`: a source's exposure to the market world.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::scenario) struct ExposureDef {
    pub(in crate::scenario) stage: StageDef,
    pub(in crate::scenario) vol_elasticity: Option<f64>,
    pub(in crate::scenario) event_sensitivity: Option<f64>,
    pub(in crate::scenario) spiral_excess: Option<bool>,
}

/// A cascade stage.
#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(in crate::scenario) enum StageDef {
    Price,
    Arbitrage,
    Trade,
    Risk,
    Liquidation,
}

/// `[market]`: the latent market world (every sub-table optional; absent fields take the
/// defaults of `shardsim_sim::cluster::MarketConfig`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::scenario) struct MarketDef {
    pub(in crate::scenario) step: Option<Dur>,
    pub(in crate::scenario) return_sd: Option<f64>,
    pub(in crate::scenario) cap: Option<f64>,
    pub(in crate::scenario) impacts: Option<ImpactsDef>,
    pub(in crate::scenario) volatility: Option<VolatilityDef>,
    pub(in crate::scenario) noise: Option<NoiseDef>,
    #[serde(default)]
    pub(in crate::scenario) calendar: Vec<CalendarEventDef>,
    pub(in crate::scenario) funding: Option<FundingDef>,
    pub(in crate::scenario) cycle: Option<CycleDef>,
    pub(in crate::scenario) cascade: Option<CascadeDef>,
    pub(in crate::scenario) spiral: Option<SpiralDef>,
    #[serde(default)]
    pub(in crate::scenario) venues: Vec<VenueDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::scenario) struct ImpactsDef {
    pub(in crate::scenario) low: Option<f64>,
    pub(in crate::scenario) medium: Option<f64>,
    pub(in crate::scenario) high: Option<f64>,
    pub(in crate::scenario) spread: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::scenario) struct VolatilityDef {
    pub(in crate::scenario) half_life: Option<Dur>,
    pub(in crate::scenario) sd: Option<f64>,
    pub(in crate::scenario) jumps_per_day: Option<f64>,
    pub(in crate::scenario) jump_mean: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::scenario) struct NoiseDef {
    pub(in crate::scenario) half_life: Option<Dur>,
    pub(in crate::scenario) sd: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::scenario) struct SpiralDef {
    pub(in crate::scenario) threshold: Option<f64>,
    pub(in crate::scenario) hazard_per_hour: Option<f64>,
    pub(in crate::scenario) peak: Option<f64>,
    pub(in crate::scenario) spread: Option<f64>,
    pub(in crate::scenario) rise: Option<Dur>,
    pub(in crate::scenario) half_life: Option<Dur>,
    pub(in crate::scenario) refractory: Option<Dur>,
    pub(in crate::scenario) event_sensitivity: Option<f64>,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(in crate::scenario) enum EventKindDef {
    Macro,
    Funding,
    Expiry,
    Unlock,
    Launch,
    Maintenance,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(in crate::scenario) enum ImpactDef {
    Low,
    Medium,
    High,
}

#[derive(Debug, Deserialize, Clone, Copy, Default)]
#[serde(rename_all = "snake_case")]
pub(in crate::scenario) enum LeadShapeDef {
    #[default]
    Linear,
    Exponential,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::scenario) struct CalendarEventDef {
    pub(in crate::scenario) name: String,
    pub(in crate::scenario) kind: EventKindDef,
    /// Time since the run's start (day 0 is a Monday, 00:00 UTC).
    pub(in crate::scenario) at: Dur,
    pub(in crate::scenario) impact: ImpactDef,
    pub(in crate::scenario) lead: Option<Dur>,
    #[serde(default)]
    pub(in crate::scenario) lead_shape: LeadShapeDef,
    pub(in crate::scenario) lead_share: Option<f64>,
    pub(in crate::scenario) half_life: Dur,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::scenario) struct FundingDef {
    pub(in crate::scenario) period: Option<Dur>,
    pub(in crate::scenario) offset: Option<Dur>,
    pub(in crate::scenario) impact: Option<ImpactDef>,
    pub(in crate::scenario) lead: Option<Dur>,
    pub(in crate::scenario) lead_shape: Option<LeadShapeDef>,
    pub(in crate::scenario) lead_share: Option<f64>,
    pub(in crate::scenario) half_life: Option<Dur>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::scenario) struct CycleDef {
    pub(in crate::scenario) hourly: Option<Vec<f64>>,
    pub(in crate::scenario) weekend: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::scenario) struct StageLagDef {
    pub(in crate::scenario) mean: Dur,
    pub(in crate::scenario) order: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::scenario) struct CascadeDef {
    pub(in crate::scenario) arbitrage: Option<StageLagDef>,
    pub(in crate::scenario) trade: Option<StageLagDef>,
    pub(in crate::scenario) risk: Option<StageLagDef>,
    pub(in crate::scenario) liquidation: Option<StageLagDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::scenario) struct VenueDef {
    pub(in crate::scenario) exchange: Spanned<String>,
    pub(in crate::scenario) lag: Dur,
}

impl From<StageDef> for CascadeStage {
    fn from(s: StageDef) -> CascadeStage {
        match s {
            StageDef::Price => CascadeStage::Price,
            StageDef::Arbitrage => CascadeStage::Arbitrage,
            StageDef::Trade => CascadeStage::Trade,
            StageDef::Risk => CascadeStage::Risk,
            StageDef::Liquidation => CascadeStage::Liquidation,
        }
    }
}

impl From<EventKindDef> for EventKind {
    fn from(k: EventKindDef) -> EventKind {
        match k {
            EventKindDef::Macro => EventKind::Macro,
            EventKindDef::Funding => EventKind::Funding,
            EventKindDef::Expiry => EventKind::Expiry,
            EventKindDef::Unlock => EventKind::Unlock,
            EventKindDef::Launch => EventKind::Launch,
            EventKindDef::Maintenance => EventKind::Maintenance,
        }
    }
}

impl From<ImpactDef> for ImpactClass {
    fn from(i: ImpactDef) -> ImpactClass {
        match i {
            ImpactDef::Low => ImpactClass::Low,
            ImpactDef::Medium => ImpactClass::Medium,
            ImpactDef::High => ImpactClass::High,
        }
    }
}

impl From<LeadShapeDef> for LeadShape {
    fn from(l: LeadShapeDef) -> LeadShape {
        match l {
            LeadShapeDef::Linear => LeadShape::Linear,
            LeadShapeDef::Exponential => LeadShape::Exponential,
        }
    }
}
