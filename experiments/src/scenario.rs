//! Scenario files: the TOML a user writes, checked into a runnable [`ClusterConfig`].
//!
//! Parsing refuses unknown fields and names the file, line, field and what is allowed. After
//! parsing, cross-checks catch references that cannot work (a function routed to a protocol no
//! shard serves, a fault on a shard that does not exist, weights that do not sum to 1) before
//! anything runs, again with the line of the offending value.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use shardsim_sim::cluster::{
    BreakerConfig, Change, ClusterConfig, CpuClass, Emission, EpisodeShape, EventTypeId,
    ExchangeId, Fault, FaultKind, FunctionSpec, HawkesGroup, Interner, MonitorConfig, POLICY_NAMES,
    PoissonSource, Priority, ProtocolId, RateShape, RegimeConfig, RegionId, Resources, RiskLevel,
    RiskTier, RoutingPolicy, ScheduledChange, SelectionWeights, ServiceTime, ShardBy, ShardId,
    ShardSpec, ShardTags, Topology, TradeSize, Urgency, Version, policy_by_name,
};
use shardsim_sim::hash::stable_hash;
use shardsim_sim::{SimDuration, SimTime};
use toml::Spanned;

use crate::io::units::Dur;

/// The built-in scenarios: (name, TOML); each file's `description` is its one-line summary.
pub const BUILT_IN: [(&str, &str); 5] = [
    ("calm_day", include_str!("../scenarios/calm_day.toml")),
    (
        "market_volatility",
        include_str!("../scenarios/market_volatility.toml"),
    ),
    (
        "arbitrage_surge",
        include_str!("../scenarios/arbitrage_surge.toml"),
    ),
    (
        "whale_activity",
        include_str!("../scenarios/whale_activity.toml"),
    ),
    (
        "protocol_launch",
        include_str!("../scenarios/protocol_launch.toml"),
    ),
];

/// A scenario error: where, which field, and what is wrong or allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file (as the user named it, or `<built-in NAME>`).
    pub file: String,
    /// 1-based line, if known.
    pub line: Option<usize>,
    /// The field, as a dotted path where known.
    pub field: String,
    /// What is wrong, and what is allowed.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: ", self.file)?,
            None => write!(f, "{}: ", self.file)?,
        }
        if !self.field.is_empty() {
            write!(f, "field `{}`: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ScenarioError {}

// ---- the file format ---------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    scenario: Meta,
    network: Option<NetworkDef>,
    exchanges: Option<Vec<ExchangeDef>>,
    shards: Vec<ShardGroupDef>,
    functions: Vec<FunctionDef>,
    workload: WorkloadDef,
    #[serde(default)]
    faults: Vec<FaultDef>,
    breaker: Option<BreakerDef>,
    selection: Option<Spanned<SelectionDef>>,
    monitor: Option<MonitorDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Meta {
    name: String,
    description: String,
    duration: Dur,
    metrics_interval: Option<Dur>,
    seed: Option<u64>,
    routing: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkDef {
    regions: Vec<String>,
    rtt_ms: Spanned<Vec<Vec<f64>>>,
    jitter: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExchangeDef {
    name: String,
    region: Spanned<String>,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum TierDef {
    Retail,
    Institutional,
    Whale,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShardGroupDef {
    name: String,
    #[serde(default = "one")]
    count: u32,
    regions: Vec<Spanned<String>>,
    cpu_slots: u32,
    #[serde(default = "unit")]
    speed: f64,
    memory_mb: u32,
    queue_capacity: u32,
    #[serde(default)]
    protocols: Vec<String>,
    #[serde(default)]
    secondary_protocols: Vec<String>,
    risk_tier: Option<TierDef>,
    #[serde(default)]
    primary: bool,
    #[serde(default)]
    critical: bool,
    #[serde(default)]
    general: bool,
    #[serde(default)]
    overflow: bool,
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
enum LevelDef {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum DistDef {
    Constant,
    Exponential,
    Lognormal,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceDef {
    dist: DistDef,
    mean: Dur,
    cv: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionDef {
    name: String,
    percent: u32,
    #[serde(default = "unit")]
    service_scale: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmitDef {
    event: Spanned<String>,
    probability: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FunctionDef {
    name: String,
    handles: Spanned<String>,
    shard_by: Spanned<String>,
    #[serde(default)]
    placement: Vec<Spanned<String>>,
    routing: Option<Spanned<String>>,
    cpu: LevelDef,
    memory_mb: u32,
    priority: LevelDef,
    timeout: Dur,
    service: ServiceDef,
    #[serde(default = "ten")]
    state_mb: f64,
    warmup: Option<Dur>,
    #[serde(default)]
    versions: Vec<VersionDef>,
    #[serde(default)]
    emits: Vec<EmitDef>,
    /// Registered at this time instead of at the start (a protocol launch).
    launch_at: Option<Dur>,
}

fn ten() -> f64 {
    10.0
}

#[derive(Debug, Deserialize, Clone, Copy, Default)]
#[serde(rename_all = "snake_case")]
enum RiskDef {
    Unknown,
    #[default]
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Deserialize, Clone, Copy, Default)]
#[serde(rename_all = "snake_case")]
enum UrgencyDef {
    Low,
    #[default]
    Normal,
    High,
    Critical,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TradeSizeDef {
    min_usd: f64,
    shape: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceDef {
    name: String,
    event: Spanned<String>,
    exchange: Spanned<String>,
    /// Base events per second.
    rate: f64,
    protocol: Option<String>,
    #[serde(default)]
    risk: RiskDef,
    #[serde(default)]
    urgency: UrgencyDef,
    #[serde(default = "hundred")]
    trading_pairs: u32,
    #[serde(default = "ten_thousand")]
    users: u32,
    trade_size: Option<TradeSizeDef>,
    /// 24 hourly multipliers, or the name of a profile in `[workload.profiles]`.
    daily: Option<Spanned<DailyDef>>,
    weekly: Option<Vec<f64>>,
    #[serde(default)]
    regime_sensitive: bool,
    starts_at: Option<Dur>,
    ramp: Option<Dur>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum DailyDef {
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
enum RegimeStart {
    Calm,
    Volatile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegimeDef {
    calm_mean: Dur,
    volatile_mean: Dur,
    volatile_multiplier: f64,
    #[serde(default = "calm")]
    start: RegimeStart,
    /// Build-up of a volatile episode to the full multiplier (absent: at once).
    onset: Option<Dur>,
    /// Half-life of the episode's excess once built up (absent: no decay).
    half_life: Option<Spanned<Dur>>,
}

fn calm() -> RegimeStart {
    RegimeStart::Calm
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HawkesDef {
    name: String,
    sources: Vec<Spanned<String>>,
    decay: Dur,
    /// Expected same-source offspring per event (used when `excitation` is absent).
    self_excitation: Option<f64>,
    /// Expected offspring in each other member per event (used when `excitation` is absent).
    cross_excitation: Option<f64>,
    excitation: Option<Vec<Vec<f64>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkloadDef {
    sources: Vec<SourceDef>,
    regime: Option<RegimeDef>,
    #[serde(default)]
    hawkes: Vec<Spanned<HawkesDef>>,
    #[serde(default)]
    profiles: BTreeMap<String, Vec<f64>>,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum FaultKindDef {
    Crash,
    Slowdown,
    Partition,
    ExchangeLatencySpike,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultDef {
    at: Dur,
    duration: Dur,
    kind: Spanned<FaultKindDef>,
    shard: Option<Spanned<String>>,
    region: Option<Spanned<String>>,
    exchange: Option<Spanned<String>>,
    factor: Option<f64>,
    extra: Option<Dur>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BreakerDef {
    failure_threshold: u32,
    cooldown: Dur,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectionDef {
    load: f64,
    resources: f64,
    priority: f64,
    affinity: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MonitorDef {
    interval: Dur,
    #[serde(default = "one_and_a_half")]
    slow_factor: f64,
    #[serde(default = "twenty")]
    min_executions: u32,
    demotion: Dur,
}

fn one_and_a_half() -> f64 {
    1.5
}
fn twenty() -> u32 {
    20
}

/// Built-in daily profiles, by name.
fn built_in_profile(name: &str) -> Option<Vec<f64>> {
    match name {
        "flat" => Some(vec![1.0; 24]),
        // Crypto trades around the clock but peaks with the US and European sessions.
        "trading_day" => Some(vec![
            0.7, 0.6, 0.55, 0.5, 0.5, 0.55, 0.65, 0.8, 1.0, 1.15, 1.25, 1.3, 1.35, 1.45, 1.6, 1.7,
            1.65, 1.5, 1.3, 1.15, 1.0, 0.9, 0.85, 0.75,
        ]),
        _ => None,
    }
}

// ---- the checked scenario ----------------------------------------------------------------------

/// A scenario, checked and ready to build.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// One line about it.
    pub description: String,
    /// How long sources emit.
    pub duration: SimDuration,
    /// Metrics interval.
    pub metrics_interval: SimDuration,
    /// The seed used when none is given.
    pub default_seed: u64,
    /// The routing policy name used when none is given.
    pub routing: String,
    /// Stable hash of the scenario text.
    pub hash: u64,
    /// Where it came from, for messages and the manifest (never an absolute path).
    pub origin: String,
    config: ClusterConfig,
    /// Event type names by id.
    pub event_types: Interner,
}

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn line_of(&self, span: Range<usize>) -> usize {
        self.text[..span.start.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }
    fn err<T>(
        &self,
        span: Option<Range<usize>>,
        field: &str,
        message: impl Into<String>,
    ) -> Result<T, ScenarioError> {
        Err(ScenarioError {
            file: self.file.to_owned(),
            line: span.map(|s| self.line_of(s)),
            field: field.to_owned(),
            message: message.into(),
        })
    }
}

fn allowed(names: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let v: Vec<String> = names
        .into_iter()
        .map(|n| format!("`{}`", n.as_ref()))
        .collect();
    if v.is_empty() {
        "none are declared".into()
    } else {
        format!("allowed: {}", v.join(", "))
    }
}

impl Scenario {
    /// A built-in scenario by name, or a file by path.
    pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
        if let Some((name, text)) = BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            return Scenario::parse(text, &format!("<built-in {name}>"));
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
            return Err(ScenarioError {
                file: name_or_path.to_owned(),
                line: None,
                field: String::new(),
                message: format!(
                    "no such file, and not a built-in scenario ({})",
                    allowed(names)
                ),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: name_or_path.to_owned(),
            line: None,
            field: String::new(),
            message: format!("cannot read: {e}"),
        })?;
        // Messages and manifests name the file as given, without resolving it to an absolute path.
        Scenario::parse(&text, name_or_path)
    }

    /// Parses and checks scenario text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let ctx = Ctx { file, text };
        let raw: ScenarioFile = toml::from_str(text).map_err(|e| {
            let field = e
                .message()
                .split('`')
                .nth(1)
                .filter(|_| e.message().contains("field"))
                .unwrap_or("")
                .to_owned();
            ScenarioError {
                file: file.to_owned(),
                line: e.span().map(|s| ctx.line_of(s)),
                field,
                message: e.message().trim().to_owned(),
            }
        })?;
        build(&ctx, raw)
    }

    /// The cluster configuration for a run of `duration` (the scenario's own when `None`).
    pub fn config(&self, duration: Option<SimDuration>) -> ClusterConfig {
        let mut c = self.config.clone();
        let d = duration.unwrap_or(self.duration);
        c.arrivals_until = SimTime::ZERO + d;
        c
    }

    /// Counts for `shardsim validate` and `scenarios`.
    pub fn stats(&self) -> (usize, usize, usize, f64) {
        let c = &self.config;
        let mean_rate: f64 = c
            .sources
            .iter()
            .map(|s| mean_multiplier(&s.shape) * s.rate_per_sec)
            .sum();
        (
            c.topology.shards.len(),
            c.functions.len(),
            c.sources.len(),
            mean_rate,
        )
    }
}

/// Every scenario of `names` (built-in names or files), in order; the first that fails is the
/// error.
pub fn load_all(names: &[String]) -> Result<Vec<Scenario>, ScenarioError> {
    names.iter().map(|n| Scenario::load(n)).collect()
}

/// The mean of a shape's daily × weekly profile (the long-run multiplier, ignoring regime/ramps).
fn mean_multiplier(shape: &RateShape) -> f64 {
    let d = if shape.daily.is_empty() {
        1.0
    } else {
        shape.daily.iter().sum::<f64>() / 24.0
    };
    let w = if shape.weekly.is_empty() {
        1.0
    } else {
        shape.weekly.iter().sum::<f64>() / 7.0
    };
    d * w
}

fn build(ctx: &Ctx<'_>, raw: ScenarioFile) -> Result<Scenario, ScenarioError> {
    let meta = &raw.scenario;
    if meta.duration.0 == SimDuration::ZERO {
        return ctx.err(None, "scenario.duration", "must be positive");
    }
    let metrics_interval = meta
        .metrics_interval
        .map_or(SimDuration::from_mins(1), |d| d.0);
    if metrics_interval == SimDuration::ZERO {
        return ctx.err(None, "scenario.metrics_interval", "must be positive");
    }
    let routing = match &meta.routing {
        Some(r) => check_policy(ctx, r, "scenario.routing")?,
        None => "declared".to_owned(),
    };

    // Topology.
    let mut topology = Topology::default_regions();
    if let Some(net) = &raw.network {
        let n = net.regions.len();
        let rtt = net.rtt_ms.get_ref();
        if n == 0 || rtt.len() != n || rtt.iter().any(|r| r.len() != n) {
            return ctx.err(
                Some(net.rtt_ms.span()),
                "network.rtt_ms",
                format!(
                    "must be a {n}×{n} matrix, one row and column per region in `network.regions`"
                ),
            );
        }
        if rtt.iter().flatten().any(|v| !(v.is_finite() && *v >= 0.0)) {
            return ctx.err(
                Some(net.rtt_ms.span()),
                "network.rtt_ms",
                "round-trip times must be finite and >= 0 ms",
            );
        }
        topology.regions = net
            .regions
            .iter()
            .map(|name| shardsim_sim::cluster::Region { name: name.clone() })
            .collect();
        topology.network = shardsim_sim::cluster::Network::from_rtt_ms(rtt);
        if let Some(j) = net.jitter {
            if !(0.0..=1.0).contains(&j) {
                return ctx.err(
                    None,
                    "network.jitter",
                    format!("must be between 0 and 1 (got {j})"),
                );
            }
            topology.network.jitter_fraction = j;
        }
        topology.exchanges.clear();
    }
    let region_names: Vec<String> = topology.regions.iter().map(|r| r.name.clone()).collect();
    let region = |name: &Spanned<String>, field: &str| -> Result<RegionId, ScenarioError> {
        match region_names.iter().position(|r| r == name.get_ref()) {
            Some(i) => Ok(RegionId(i as u16)),
            None => ctx.err(
                Some(name.span()),
                field,
                format!(
                    "unknown region `{}`; {}",
                    name.get_ref(),
                    allowed(&region_names)
                ),
            ),
        }
    };
    if let Some(exchanges) = &raw.exchanges {
        topology.exchanges.clear();
        let mut seen = BTreeSet::new();
        for e in exchanges {
            if !seen.insert(e.name.clone()) {
                return ctx.err(
                    Some(e.region.span()),
                    "exchanges.name",
                    format!("exchange `{}` is declared twice", e.name),
                );
            }
            let home = region(&e.region, "exchanges.region")?;
            topology.exchanges.push(shardsim_sim::cluster::Exchange {
                name: e.name.clone(),
                home,
            });
        }
    } else if raw.network.is_some() {
        return ctx.err(None, "exchanges", "a custom `[network]` needs its own `[[exchanges]]` (the defaults refer to the default regions)");
    }

    // Protocols and event types, interned in first-seen order.
    let mut protocols = Interner::default();
    let mut event_types = Interner::default();

    // Shards.
    let mut groups: BTreeMap<String, Vec<ShardId>> = BTreeMap::new();
    let mut shard_names = BTreeSet::new();
    for g in &raw.shards {
        if g.count == 0
            || g.cpu_slots == 0
            || g.memory_mb == 0
            || !(g.speed.is_finite() && g.speed > 0.0)
        {
            return ctx.err(
                g.regions.first().map(|r| r.span()),
                &format!("shards.{}", g.name),
                "count, cpu_slots and memory_mb must be >= 1 and speed > 0",
            );
        }
        if g.regions.is_empty() {
            return ctx.err(
                None,
                &format!("shards.{}.regions", g.name),
                format!("name at least one region; {}", allowed(&region_names)),
            );
        }
        let regions: Vec<RegionId> = g
            .regions
            .iter()
            .map(|r| region(r, &format!("shards.{}.regions", g.name)))
            .collect::<Result<_, _>>()?;
        let tags = ShardTags {
            protocols: g
                .protocols
                .iter()
                .map(|p| ProtocolId(protocols.intern(p) as u16))
                .collect(),
            secondary_protocols: g
                .secondary_protocols
                .iter()
                .map(|p| ProtocolId(protocols.intern(p) as u16))
                .collect(),
            risk_tier: g.risk_tier.map(|t| match t {
                TierDef::Retail => RiskTier::Retail,
                TierDef::Institutional => RiskTier::Institutional,
                TierDef::Whale => RiskTier::Whale,
            }),
            primary: g.primary,
            critical: g.critical,
            general: g.general,
            overflow: g.overflow,
        };
        let mut ids = Vec::new();
        for k in 0..g.count {
            let name = if g.count == 1 {
                g.name.clone()
            } else {
                format!("{}-{k:02}", g.name)
            };
            if !shard_names.insert(name.clone()) {
                return ctx.err(
                    None,
                    &format!("shards.{}", g.name),
                    format!("shard name `{name}` is used twice"),
                );
            }
            ids.push(topology.add_shard(ShardSpec {
                name,
                region: regions[k as usize % regions.len()],
                cpu_slots: g.cpu_slots,
                speed: g.speed,
                memory_mb: g.memory_mb,
                queue_capacity: g.queue_capacity,
                tags: tags.clone(),
            }));
        }
        if groups.insert(g.name.clone(), ids).is_some() {
            return ctx.err(
                None,
                "shards.name",
                format!("shard group `{}` is declared twice", g.name),
            );
        }
    }
    let shard_by_name = |name: &Spanned<String>, field: &str| -> Result<ShardId, ScenarioError> {
        match topology.shards.iter().position(|s| &s.name == name.get_ref()) {
            Some(i) => Ok(ShardId(i as u32)),
            None => ctx.err(
                Some(name.span()),
                field,
                format!("unknown shard `{}`; shards are named after their group (`NAME` or `NAME-00`, `NAME-01`…)", name.get_ref()),
            ),
        }
    };

    // Event types: every source event and every handled/emitted type.
    for s in &raw.workload.sources {
        event_types.intern(s.event.get_ref());
    }
    for f in &raw.functions {
        event_types.intern(f.handles.get_ref());
        for e in &f.emits {
            event_types.intern(e.event.get_ref());
        }
    }
    let handled: BTreeSet<&str> = raw
        .functions
        .iter()
        .map(|f| f.handles.get_ref().as_str())
        .collect();
    let check_handled = |event: &Spanned<String>, field: &str| -> Result<(), ScenarioError> {
        if handled.contains(event.get_ref().as_str()) {
            return Ok(());
        }
        ctx.err(
            Some(event.span()),
            field,
            format!(
                "no function handles `{}`; handled event types: {}",
                event.get_ref(),
                allowed(&handled)
            ),
        )
    };
    let exchange_id = |name: &Spanned<String>, field: &str| -> Result<ExchangeId, ScenarioError> {
        match topology
            .exchanges
            .iter()
            .position(|e| &e.name == name.get_ref())
        {
            Some(i) => Ok(ExchangeId(i as u16)),
            None => ctx.err(
                Some(name.span()),
                field,
                format!(
                    "unknown exchange `{}`; {}",
                    name.get_ref(),
                    allowed(topology.exchanges.iter().map(|e| e.name.as_str()))
                ),
            ),
        }
    };

    // Functions.
    let mut config_functions = Vec::new();
    let mut changes = Vec::new();
    let mut overrides: Vec<(String, Arc<dyn RoutingPolicy>)> = Vec::new();
    let mut function_names = BTreeSet::new();
    let protocol_served = |p: ProtocolId, shards: &[ShardSpec]| {
        shards
            .iter()
            .any(|s| s.tags.protocols.contains(&p) || s.tags.secondary_protocols.contains(&p))
    };
    for f in &raw.functions {
        let field = |k: &str| format!("functions.{}.{k}", f.name);
        if !function_names.insert(f.name.clone()) {
            return ctx.err(
                Some(f.handles.span()),
                "functions.name",
                format!("function `{}` is declared twice", f.name),
            );
        }
        let shard_by = parse_shard_by(ctx, &f.shard_by, &field("shard_by"), &mut protocols)?;
        if let ShardBy::Protocol(Some(p)) = shard_by
            && !protocol_served(p, &topology.shards)
        {
            return ctx.err(
                Some(f.shard_by.span()),
                &field("shard_by"),
                format!(
                    "no shard serves protocol `{}`; protocols served: {}",
                    protocols.name(u32::from(p.0)),
                    allowed(served_protocols(&topology.shards, &protocols))
                ),
            );
        }
        let mut placement = Vec::new();
        for p in &f.placement {
            match groups.get(p.get_ref()) {
                Some(ids) => placement.extend_from_slice(ids),
                None => placement.push(shard_by_name(p, &field("placement"))?),
            }
        }
        if let Some(r) = &f.routing {
            let name = check_policy(ctx, r, &field("routing"))?;
            overrides.push((f.name.clone(), policy_by_name(&name).expect("checked")));
        }
        let service = match f.service.dist {
            DistDef::Constant => ServiceTime::Constant(f.service.mean.0),
            DistDef::Exponential => ServiceTime::Exponential(f.service.mean.0),
            DistDef::Lognormal => ServiceTime::LogNormal {
                mean: f.service.mean.0,
                cv: f.service.cv.unwrap_or(1.0),
            },
        };
        let emits = f
            .emits
            .iter()
            .map(|e| {
                check_handled(&e.event, &field("emits.event"))?;
                Ok(Emission {
                    event_type: EventTypeId(
                        event_types.get(e.event.get_ref()).expect("interned") as u16
                    ),
                    probability: e.probability,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let spec = FunctionSpec {
            name: f.name.clone(),
            handles: EventTypeId(event_types.get(f.handles.get_ref()).expect("interned") as u16),
            shard_by,
            resources: Resources {
                cpu: match f.cpu {
                    LevelDef::Low => CpuClass::Low,
                    LevelDef::Medium => CpuClass::Medium,
                    LevelDef::High => CpuClass::High,
                    LevelDef::Critical => CpuClass::Critical,
                },
                memory_mb: f.memory_mb,
                priority: match f.priority {
                    LevelDef::Low => Priority::Low,
                    LevelDef::Medium => Priority::Medium,
                    LevelDef::High => Priority::High,
                    LevelDef::Critical => Priority::Critical,
                },
                timeout: f.timeout.0,
            },
            service,
            state_bytes: f.state_mb * 1024.0 * 1024.0,
            warmup: f.warmup.map_or(SimDuration::from_secs(1), |d| d.0),
            versions: f
                .versions
                .iter()
                .map(|v| Version {
                    name: v.name.clone(),
                    percent: v.percent,
                    service_scale: v.service_scale,
                })
                .collect(),
            emits,
        };
        if let Err(e) = shardsim_sim::cluster::Function::new(spec.clone()) {
            return ctx.err(
                Some(f.handles.span()),
                &format!("functions.{}", f.name),
                e.to_string(),
            );
        }
        match f.launch_at {
            Some(at) => changes.push(ScheduledChange {
                at: SimTime::ZERO + at.0,
                change: Change::RegisterFunction {
                    spec: Box::new(spec),
                    placement,
                },
            }),
            None => config_functions.push((spec, placement)),
        }
    }

    // Sources.
    let mut sources = Vec::new();
    let mut source_names = BTreeSet::new();
    for s in &raw.workload.sources {
        let field = |k: &str| format!("workload.sources.{}.{k}", s.name);
        if !source_names.insert(s.name.clone()) {
            return ctx.err(
                Some(s.event.span()),
                "workload.sources.name",
                format!("source `{}` is declared twice", s.name),
            );
        }
        check_handled(&s.event, &field("event"))?;
        let exchange = exchange_id(&s.exchange, &field("exchange"))?;
        let daily = match &s.daily {
            None => Vec::new(),
            Some(d) => match d.get_ref() {
                DailyDef::Values(v) => v.clone(),
                DailyDef::Named(name) => match raw
                    .workload
                    .profiles
                    .get(name)
                    .cloned()
                    .or_else(|| built_in_profile(name))
                {
                    Some(v) => v,
                    None => {
                        let mut names: Vec<String> =
                            raw.workload.profiles.keys().cloned().collect();
                        names.extend(["flat".to_owned(), "trading_day".to_owned()]);
                        return ctx.err(
                            Some(d.span()),
                            &field("daily"),
                            format!("unknown profile `{name}`; {}", allowed(names)),
                        );
                    }
                },
            },
        };
        let trade = s.trade_size.as_ref().map_or(
            TradeSize {
                min_usd: 100.0,
                shape: 1.5,
            },
            |t| TradeSize {
                min_usd: t.min_usd,
                shape: t.shape,
            },
        );
        let protocol = s
            .protocol
            .as_ref()
            .map(|p| ProtocolId(protocols.intern(p) as u16));
        sources.push(PoissonSource {
            name: s.name.clone(),
            event_type: EventTypeId(event_types.get(s.event.get_ref()).expect("interned") as u16),
            exchange,
            rate_per_sec: s.rate,
            protocol,
            risk: match s.risk {
                RiskDef::Unknown => RiskLevel::Unknown,
                RiskDef::Low => RiskLevel::Low,
                RiskDef::Medium => RiskLevel::Medium,
                RiskDef::High => RiskLevel::High,
                RiskDef::Critical => RiskLevel::Critical,
            },
            urgency: match s.urgency {
                UrgencyDef::Low => Urgency::Low,
                UrgencyDef::Normal => Urgency::Normal,
                UrgencyDef::High => Urgency::High,
                UrgencyDef::Critical => Urgency::Critical,
            },
            trading_pairs: s.trading_pairs,
            users: s.users,
            trade_size: trade,
            shape: RateShape {
                daily,
                weekly: s.weekly.clone().unwrap_or_default(),
                regime_sensitive: s.regime_sensitive,
                starts_at: SimTime::ZERO + s.starts_at.map_or(SimDuration::ZERO, |d| d.0),
                ramp: s.ramp.map_or(SimDuration::ZERO, |d| d.0),
            },
        });
    }

    let mut hawkes = Vec::new();
    for h in &raw.workload.hawkes {
        let span = h.span();
        let h = h.get_ref();
        let mut members = Vec::new();
        for m in &h.sources {
            match sources.iter().position(|s| &s.name == m.get_ref()) {
                Some(i) => members.push(i),
                None => {
                    return ctx.err(
                        Some(m.span()),
                        &format!("workload.hawkes.{}.sources", h.name),
                        format!(
                            "unknown source `{}`; {}",
                            m.get_ref(),
                            allowed(sources.iter().map(|s| s.name.as_str()))
                        ),
                    );
                }
            }
        }
        let n = members.len();
        let excitation = match (&h.excitation, h.self_excitation, h.cross_excitation) {
            (Some(m), _, _) => m.clone(),
            (None, Some(a), c) => (0..n)
                .map(|i| {
                    (0..n)
                        .map(|j| if i == j { a } else { c.unwrap_or(0.0) })
                        .collect()
                })
                .collect(),
            (None, None, _) => {
                return ctx.err(Some(span), &format!("workload.hawkes.{}", h.name), "give `excitation` (a matrix) or `self_excitation` (and optionally `cross_excitation`)");
            }
        };
        hawkes.push(HawkesGroup {
            name: h.name.clone(),
            members,
            decay: h.decay.0,
            excitation,
        });
    }

    let mut faults = Vec::new();
    for (i, f) in raw.faults.iter().enumerate() {
        let field = |k: &str| format!("faults[{i}].{k}");
        let need =
            |o: &Option<Spanned<String>>, k: &str| -> Result<Spanned<String>, ScenarioError> {
                o.clone().map_or_else(
                    || {
                        ctx.err(
                            Some(f.kind.span()),
                            &field(k),
                            format!("a `{:?}` fault needs `{k}`", f.kind.get_ref()).to_lowercase(),
                        )
                    },
                    Ok,
                )
            };
        let kind = match f.kind.get_ref() {
            FaultKindDef::Crash => FaultKind::Crash {
                shard: shard_by_name(&need(&f.shard, "shard")?, &field("shard"))?,
            },
            FaultKindDef::Slowdown => FaultKind::Slowdown {
                shard: shard_by_name(&need(&f.shard, "shard")?, &field("shard"))?,
                factor: f.factor.unwrap_or(2.0),
            },
            FaultKindDef::Partition => FaultKind::Partition {
                region: region(&need(&f.region, "region")?, &field("region"))?,
            },
            FaultKindDef::ExchangeLatencySpike => FaultKind::ExchangeLatencySpike {
                exchange: exchange_id(&need(&f.exchange, "exchange")?, &field("exchange"))?,
                extra: f.extra.map_or(SimDuration::from_millis(200), |d| d.0),
            },
        };
        faults.push(Fault {
            at: SimTime::ZERO + f.at.0,
            duration: f.duration.0,
            kind,
        });
    }

    let mut config = ClusterConfig::new(topology);
    config.functions = config_functions;
    config.sources = sources;
    config.hawkes = hawkes;
    config.faults = faults;
    config.changes = changes;
    config.routing_overrides = overrides;
    config.metrics_interval = metrics_interval;
    config.arrivals_until = SimTime::ZERO + meta.duration.0;
    if let Some(h) = raw
        .workload
        .regime
        .as_ref()
        .and_then(|r| r.half_life.as_ref())
        .filter(|h| h.get_ref().0 == SimDuration::ZERO)
    {
        return ctx.err(
            Some(h.span()),
            "workload.regime.half_life",
            "must be positive; leave it out for episodes that do not decay",
        );
    }
    config.regime = raw.workload.regime.as_ref().map(|r| RegimeConfig {
        calm_mean: r.calm_mean.0,
        volatile_mean: r.volatile_mean.0,
        volatile_multiplier: r.volatile_multiplier,
        start_volatile: matches!(r.start, RegimeStart::Volatile),
        episode: EpisodeShape {
            onset: r.onset.map_or(SimDuration::ZERO, |d| d.0),
            half_life: r.half_life.as_ref().map(|h| h.get_ref().0),
        },
    });
    if let Some(b) = &raw.breaker {
        config.breaker = BreakerConfig {
            failure_threshold: b.failure_threshold.max(1),
            cooldown: b.cooldown.0,
        };
    }
    if let Some(sel) = &raw.selection {
        let w = sel.get_ref();
        let sum = w.load + w.resources + w.priority + w.affinity;
        if (sum - 1.0).abs() > 1e-9
            || [w.load, w.resources, w.priority, w.affinity]
                .iter()
                .any(|x| *x < 0.0)
        {
            return ctx.err(Some(sel.span()), "selection", format!("weights load, resources, priority, affinity must be >= 0 and sum to 1 (they sum to {sum})"));
        }
        config.selection = SelectionWeights {
            load: w.load,
            resources: w.resources,
            priority: w.priority,
            affinity: w.affinity,
        };
    }
    if let Some(m) = &raw.monitor {
        config.monitor = Some(MonitorConfig {
            interval: m.interval.0,
            slow_factor: m.slow_factor,
            min_executions: m.min_executions,
            demotion: m.demotion.0,
        });
    }

    // The cluster's own checks (rates, Hawkes stationarity, service parameters…), with the file
    // named; they have no line of their own.
    if let Err(e) = shardsim_sim::cluster::Cluster::simulation(
        config.clone(),
        0,
        policy_by_name(&routing).expect("checked"),
    ) {
        return ctx.err(None, "", e.to_string());
    }
    Ok(Scenario {
        name: meta.name.clone(),
        description: meta.description.clone(),
        duration: meta.duration.0,
        metrics_interval,
        default_seed: meta.seed.unwrap_or(1),
        routing,
        hash: stable_hash(ctx.text.as_bytes()),
        origin: ctx.file.to_owned(),
        config,
        event_types,
    })
}

fn served_protocols(shards: &[ShardSpec], protocols: &Interner) -> Vec<String> {
    let mut out = BTreeSet::new();
    for s in shards {
        for p in s.tags.protocols.iter().chain(&s.tags.secondary_protocols) {
            out.insert(protocols.name(u32::from(p.0)).to_owned());
        }
    }
    out.into_iter().collect()
}

fn check_policy(
    ctx: &Ctx<'_>,
    name: &Spanned<String>,
    field: &str,
) -> Result<String, ScenarioError> {
    if POLICY_NAMES.contains(&name.get_ref().as_str()) {
        Ok(name.get_ref().clone())
    } else {
        ctx.err(
            Some(name.span()),
            field,
            format!(
                "unknown routing policy `{}`; {}",
                name.get_ref(),
                allowed(POLICY_NAMES)
            ),
        )
    }
}

const SHARD_BY: [&str; 9] = [
    "protocol",
    "protocol:NAME",
    "trading_pair",
    "user_id",
    "risk_level",
    "amount_range",
    "round_robin",
    "least_loaded",
    "region",
];

fn parse_shard_by(
    ctx: &Ctx<'_>,
    text: &Spanned<String>,
    field: &str,
    protocols: &mut Interner,
) -> Result<ShardBy, ScenarioError> {
    let t = text.get_ref().as_str();
    Ok(match t {
        "protocol" => ShardBy::Protocol(None),
        "trading_pair" => ShardBy::TradingPair,
        "user_id" => ShardBy::UserId,
        "risk_level" => ShardBy::RiskLevel,
        "amount_range" => ShardBy::AmountRange,
        "round_robin" => ShardBy::RoundRobin,
        "least_loaded" => ShardBy::LeastLoaded,
        "region" | "exchange" => ShardBy::Region,
        _ => match t.strip_prefix("protocol:") {
            Some(p) if !p.is_empty() => {
                ShardBy::Protocol(Some(ProtocolId(protocols.intern(p) as u16)))
            }
            _ => {
                return ctx.err(
                    Some(text.span()),
                    field,
                    format!("unknown shard_by `{t}`; {}", allowed(SHARD_BY)),
                );
            }
        },
    })
}
