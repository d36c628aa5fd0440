//! The scenario file as serde reads it: one type per TOML table, unknown fields refused.
//!
//! Names stay text here (with their spans, for error lines); [`super::build`] resolves them.
//! The file's enums end the file with their meaning in the cluster (`From` impls).

use std::collections::BTreeMap;

use serde::Deserialize;
use shardsim_sim::cluster::{CpuClass, Priority, RiskLevel, RiskTier, Urgency};
use toml::Spanned;

use crate::io::units::Dur;

mod market;

pub(super) use market::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ScenarioFile {
    pub(super) scenario: Meta,
    pub(super) network: Option<NetworkDef>,
    pub(super) exchanges: Option<Vec<ExchangeDef>>,
    pub(super) shards: Vec<ShardGroupDef>,
    pub(super) functions: Vec<FunctionDef>,
    pub(super) workload: WorkloadDef,
    #[serde(default)]
    pub(super) faults: Vec<FaultDef>,
    pub(super) breaker: Option<BreakerDef>,
    pub(super) selection: Option<Spanned<SelectionDef>>,
    pub(super) monitor: Option<MonitorDef>,
    pub(super) market: Option<MarketDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Meta {
    pub(super) name: String,
    pub(super) description: String,
    pub(super) duration: Dur,
    pub(super) metrics_interval: Option<Dur>,
    pub(super) seed: Option<u64>,
    pub(super) routing: Option<Spanned<String>>,
    pub(super) shaped_on: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NetworkDef {
    pub(super) regions: Vec<String>,
    pub(super) rtt_ms: Spanned<Vec<Vec<f64>>>,
    pub(super) jitter: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExchangeDef {
    pub(super) name: String,
    pub(super) region: Spanned<String>,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(super) enum TierDef {
    Retail,
    Institutional,
    Whale,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ShardGroupDef {
    pub(super) name: String,
    #[serde(default = "one")]
    pub(super) count: u32,
    pub(super) regions: Vec<Spanned<String>>,
    pub(super) cpu_slots: u32,
    #[serde(default = "unit")]
    pub(super) speed: f64,
    pub(super) memory_mb: u32,
    pub(super) queue_capacity: u32,
    #[serde(default)]
    pub(super) protocols: Vec<String>,
    #[serde(default)]
    pub(super) secondary_protocols: Vec<String>,
    pub(super) risk_tier: Option<TierDef>,
    #[serde(default)]
    pub(super) primary: bool,
    #[serde(default)]
    pub(super) critical: bool,
    #[serde(default)]
    pub(super) general: bool,
    #[serde(default)]
    pub(super) overflow: bool,
    #[serde(default)]
    pub(super) lendable: bool,
}

fn one() -> u32 {
    1
}
fn unit() -> f64 {
    1.0
}

/// The four-level scale that both `cpu` and `priority` are written in.
#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(super) enum LevelDef {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(super) enum DistDef {
    Constant,
    Exponential,
    Lognormal,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ServiceDef {
    pub(super) dist: DistDef,
    pub(super) mean: Dur,
    pub(super) cv: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VersionDef {
    pub(super) name: String,
    pub(super) percent: u32,
    #[serde(default = "unit")]
    pub(super) service_scale: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EmitDef {
    pub(super) event: Spanned<String>,
    pub(super) probability: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FunctionDef {
    pub(super) name: String,
    pub(super) handles: Spanned<String>,
    pub(super) shard_by: Spanned<String>,
    #[serde(default)]
    pub(super) placement: Vec<Spanned<String>>,
    pub(super) routing: Option<Spanned<String>>,
    pub(super) cpu: LevelDef,
    pub(super) memory_mb: u32,
    pub(super) priority: LevelDef,
    pub(super) timeout: Dur,
    pub(super) service: ServiceDef,
    #[serde(default = "ten")]
    pub(super) state_mb: f64,
    pub(super) warmup: Option<Dur>,
    #[serde(default)]
    pub(super) versions: Vec<VersionDef>,
    #[serde(default)]
    pub(super) emits: Vec<EmitDef>,
    /// Registered at this time instead of at the start (a protocol launch).
    pub(super) launch_at: Option<Dur>,
}

fn ten() -> f64 {
    10.0
}

#[derive(Debug, Deserialize, Clone, Copy, Default)]
#[serde(rename_all = "snake_case")]
pub(super) enum RiskDef {
    Unknown,
    #[default]
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Deserialize, Clone, Copy, Default)]
#[serde(rename_all = "snake_case")]
pub(super) enum UrgencyDef {
    Low,
    #[default]
    Normal,
    High,
    Critical,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TradeSizeDef {
    pub(super) min_usd: f64,
    pub(super) shape: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SourceDef {
    pub(super) name: String,
    pub(super) event: Spanned<String>,
    pub(super) exchange: Spanned<String>,
    /// Base events per second.
    pub(super) rate: f64,
    pub(super) protocol: Option<String>,
    #[serde(default)]
    pub(super) risk: RiskDef,
    #[serde(default)]
    pub(super) urgency: UrgencyDef,
    #[serde(default = "hundred")]
    pub(super) trading_pairs: u32,
    #[serde(default = "ten_thousand")]
    pub(super) users: u32,
    pub(super) trade_size: Option<TradeSizeDef>,
    /// 24 hourly multipliers, or the name of a profile in `[workload.profiles]`.
    pub(super) daily: Option<Spanned<DailyDef>>,
    pub(super) weekly: Option<Vec<f64>>,
    #[serde(default)]
    pub(super) regime_sensitive: bool,
    pub(super) starts_at: Option<Dur>,
    pub(super) ramp: Option<Dur>,
    /// How the source follows `[market]` (absent: it does not).
    pub(super) market: Option<ExposureDef>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum DailyDef {
    Named(String),
    Values(Vec<f64>),
}

fn hundred() -> u32 {
    100
}
fn ten_thousand() -> u32 {
    10_000
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(super) enum RegimeStart {
    Calm,
    Volatile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RegimeDef {
    pub(super) calm_mean: Dur,
    pub(super) volatile_mean: Dur,
    pub(super) volatile_multiplier: f64,
    #[serde(default = "calm")]
    pub(super) start: RegimeStart,
    /// Build-up of a volatile episode to the full multiplier (absent: at once).
    pub(super) onset: Option<Dur>,
    /// Half-life of the episode's excess once built up (absent: no decay).
    pub(super) half_life: Option<Spanned<Dur>>,
}

fn calm() -> RegimeStart {
    RegimeStart::Calm
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HawkesDef {
    pub(super) name: String,
    pub(super) sources: Vec<Spanned<String>>,
    pub(super) decay: Dur,
    /// Expected same-source offspring per event (used when `excitation` is absent).
    pub(super) self_excitation: Option<f64>,
    /// Expected offspring in each other member per event (used when `excitation` is absent).
    pub(super) cross_excitation: Option<f64>,
    pub(super) excitation: Option<Vec<Vec<f64>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WorkloadDef {
    pub(super) sources: Vec<SourceDef>,
    pub(super) regime: Option<RegimeDef>,
    #[serde(default)]
    pub(super) hawkes: Vec<Spanned<HawkesDef>>,
    #[serde(default)]
    pub(super) profiles: BTreeMap<String, Vec<f64>>,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(super) enum FaultKindDef {
    Crash,
    Slowdown,
    Partition,
    ExchangeLatencySpike,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FaultDef {
    pub(super) at: Dur,
    pub(super) duration: Dur,
    pub(super) kind: Spanned<FaultKindDef>,
    pub(super) shard: Option<Spanned<String>>,
    pub(super) region: Option<Spanned<String>>,
    pub(super) exchange: Option<Spanned<String>>,
    pub(super) factor: Option<f64>,
    pub(super) extra: Option<Dur>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BreakerDef {
    pub(super) failure_threshold: u32,
    pub(super) cooldown: Dur,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SelectionDef {
    pub(super) load: f64,
    pub(super) resources: f64,
    pub(super) priority: f64,
    pub(super) affinity: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MonitorDef {
    pub(super) interval: Dur,
    #[serde(default = "one_and_a_half")]
    pub(super) slow_factor: f64,
    #[serde(default = "twenty")]
    pub(super) min_executions: u32,
    pub(super) demotion: Dur,
}

fn one_and_a_half() -> f64 {
    1.5
}
fn twenty() -> u32 {
    20
}

impl From<TierDef> for RiskTier {
    fn from(t: TierDef) -> RiskTier {
        match t {
            TierDef::Retail => RiskTier::Retail,
            TierDef::Institutional => RiskTier::Institutional,
            TierDef::Whale => RiskTier::Whale,
        }
    }
}

impl From<LevelDef> for CpuClass {
    fn from(l: LevelDef) -> CpuClass {
        match l {
            LevelDef::Low => CpuClass::Low,
            LevelDef::Medium => CpuClass::Medium,
            LevelDef::High => CpuClass::High,
            LevelDef::Critical => CpuClass::Critical,
        }
    }
}

impl From<LevelDef> for Priority {
    fn from(l: LevelDef) -> Priority {
        match l {
            LevelDef::Low => Priority::Low,
            LevelDef::Medium => Priority::Medium,
            LevelDef::High => Priority::High,
            LevelDef::Critical => Priority::Critical,
        }
    }
}

impl From<RiskDef> for RiskLevel {
    fn from(r: RiskDef) -> RiskLevel {
        match r {
            RiskDef::Unknown => RiskLevel::Unknown,
            RiskDef::Low => RiskLevel::Low,
            RiskDef::Medium => RiskLevel::Medium,
            RiskDef::High => RiskLevel::High,
            RiskDef::Critical => RiskLevel::Critical,
        }
    }
}

impl From<UrgencyDef> for Urgency {
    fn from(u: UrgencyDef) -> Urgency {
        match u {
            UrgencyDef::Low => Urgency::Low,
            UrgencyDef::Normal => Urgency::Normal,
            UrgencyDef::High => Urgency::High,
            UrgencyDef::Critical => Urgency::Critical,
        }
    }
}
