//! Functions declared as data: what they handle, how they are routed, what they need.
//!
//! This is the seeds' `@EventHandler` / `@ShardBy` / `@ResourceRequirements` as plain values that a
//! scenario fills in. The infrastructure never looks inside a function; it reads its declaration.

use rand_distr::{Distribution, Exp, LogNormal};

use crate::cluster::ids::{EventTypeId, ProtocolId};
use crate::cluster::spec::topology::ShardSpec;
use crate::rng::SimRng;
use crate::time::SimDuration;

/// How a function's events choose a shard (`@ShardBy`).
#[derive(Clone, Debug, PartialEq)]
pub enum ShardBy {
    /// The event's protocol's shards, or a fixed protocol's shards.
    Protocol(Option<ProtocolId>),
    /// Hash of the trading pair.
    TradingPair,
    /// Hash of the user id.
    UserId,
    /// The event's risk level.
    RiskLevel,
    /// The trade's size band.
    AmountRange,
    /// Rotate over the shards.
    RoundRobin,
    /// The least loaded shard.
    LeastLoaded,
    /// Shards near the event's exchange.
    Region,
}

/// What a [`ShardBy`] rule tells shards apart by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardGrouping {
    /// The protocols they serve (primary or secondary).
    Protocols,
    /// Their risk tier.
    RiskTier,
    /// Their region.
    Region,
    /// Nothing: every shard serves every event alike.
    None,
}

impl ShardBy {
    /// What routing by this rule tells shards apart by.
    pub fn grouping(&self) -> ShardGrouping {
        match self {
            ShardBy::Protocol(_) => ShardGrouping::Protocols,
            ShardBy::RiskLevel | ShardBy::AmountRange => ShardGrouping::RiskTier,
            ShardBy::Region => ShardGrouping::Region,
            ShardBy::TradingPair | ShardBy::UserId | ShardBy::RoundRobin | ShardBy::LeastLoaded => {
                ShardGrouping::None
            }
        }
    }
}

/// Whether shard `target` can take the events that shard `like` takes for a function routed by
/// `shard_by`: it serves one of `like`'s protocols (or `like` serves none), is in `like`'s risk
/// tier, or in its region, as the rule groups shards; any shard when it does not.
pub fn same_shard_group(shard_by: &ShardBy, like: &ShardSpec, target: &ShardSpec) -> bool {
    match shard_by.grouping() {
        ShardGrouping::Protocols => {
            like.tags.protocols.is_empty()
                || like
                    .tags
                    .protocols
                    .iter()
                    .any(|&p| target.tags.serves_protocol(p))
        }
        ShardGrouping::RiskTier => target.tags.risk_tier == like.tags.risk_tier,
        ShardGrouping::Region => target.region == like.region,
        ShardGrouping::None => true,
    }
}

/// CPU demand class; sets how many cpu slots one invocation occupies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CpuClass {
    /// One slot.
    Low,
    /// One slot.
    Medium,
    /// Two slots.
    High,
    /// Four slots.
    Critical,
}

impl CpuClass {
    /// Cpu slots one invocation occupies (capped at the shard's slot count when it runs).
    pub const fn slots(self) -> u32 {
        match self {
            CpuClass::Low | CpuClass::Medium => 1,
            CpuClass::High => 2,
            CpuClass::Critical => 4,
        }
    }
}

/// Queue priority: higher runs first, equal priorities in arrival order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// Runs last.
    Low = 0,
    /// Default.
    Medium = 1,
    /// Ahead of medium.
    High = 2,
    /// Runs first.
    Critical = 3,
}

impl Priority {
    /// All priorities, lowest first.
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Medium,
        Priority::High,
        Priority::Critical,
    ];
}

/// What one invocation needs (`@ResourceRequirements`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Resources {
    /// Cpu class.
    pub cpu: CpuClass,
    /// Memory held while running, MiB.
    pub memory_mb: u32,
    /// Queue priority.
    pub priority: Priority,
    /// From arrival at the cluster to completion; past it, the invocation is an SLO violation.
    pub timeout: SimDuration,
}

/// A service-time distribution (nominal speed; shards scale it by their speed factor).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ServiceTime {
    /// Always the same.
    Constant(SimDuration),
    /// Exponential with this mean.
    Exponential(SimDuration),
    /// Log-normal with this mean and coefficient of variation (std dev / mean).
    LogNormal {
        /// Mean service time.
        mean: SimDuration,
        /// Standard deviation over mean.
        cv: f64,
    },
}

/// A service-time parameter that cannot be sampled.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("service time: {0}")]
pub struct ServiceTimeError(String);

/// A [`ServiceTime`] checked once, ready to sample.
#[derive(Clone, Copy, Debug)]
pub struct ServiceSampler {
    kind: SamplerKind,
    mean_ns: f64,
}

#[derive(Clone, Copy, Debug)]
enum SamplerKind {
    Constant(u64),
    Exponential(Exp<f64>),
    LogNormal(LogNormal<f64>),
}

impl ServiceTime {
    /// The mean service time.
    pub fn mean(&self) -> SimDuration {
        match *self {
            ServiceTime::Constant(d) | ServiceTime::Exponential(d) => d,
            ServiceTime::LogNormal { mean, .. } => mean,
        }
    }

    /// Validates the parameters into a sampler.
    pub fn sampler(&self) -> Result<ServiceSampler, ServiceTimeError> {
        let mean_ns = self.mean().as_nanos() as f64;
        let kind = match *self {
            ServiceTime::Constant(d) => SamplerKind::Constant(d.as_nanos()),
            ServiceTime::Exponential(d) => {
                if d.as_nanos() == 0 {
                    return Err(ServiceTimeError("exponential mean must be > 0".into()));
                }
                SamplerKind::Exponential(
                    Exp::new(1.0 / mean_ns).map_err(|e| ServiceTimeError(e.to_string()))?,
                )
            }
            ServiceTime::LogNormal { mean, cv } => {
                if mean.as_nanos() == 0 || !(cv.is_finite() && cv >= 0.0) {
                    return Err(ServiceTimeError(format!(
                        "log-normal needs mean > 0 and a finite cv >= 0 (got mean {mean}, cv {cv})"
                    )));
                }
                // Moments of the log-normal: E = exp(mu + s²/2), CV² = exp(s²) - 1.
                let sigma2 = libm::log(1.0 + cv * cv);
                let mu = libm::log(mean_ns) - sigma2 / 2.0;
                SamplerKind::LogNormal(
                    LogNormal::new(mu, libm::sqrt(sigma2))
                        .map_err(|e| ServiceTimeError(e.to_string()))?,
                )
            }
        };
        Ok(ServiceSampler { kind, mean_ns })
    }
}

impl ServiceSampler {
    /// One service time, in nanoseconds at nominal speed.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> u64 {
        match self.kind {
            SamplerKind::Constant(n) => n,
            SamplerKind::Exponential(d) => d.sample(rng) as u64,
            SamplerKind::LogNormal(d) => d.sample(rng) as u64,
        }
    }

    /// The mean, in nanoseconds.
    pub fn mean_ns(&self) -> f64 {
        self.mean_ns
    }
}

/// One version in a traffic split.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    /// Version label, e.g. `v2`.
    pub name: String,
    /// Share of invocations, percent.
    pub percent: u32,
    /// Multiplies the function's service time for this version.
    pub service_scale: f64,
}

/// A declared function.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionSpec {
    /// Unique name.
    pub name: String,
    /// The event type it handles.
    pub handles: EventTypeId,
    /// How its events are routed.
    pub shard_by: ShardBy,
    /// What one invocation needs.
    pub resources: Resources,
    /// Service time at nominal speed.
    pub service: ServiceTime,
    /// State moved when the function migrates, bytes.
    pub state_bytes: f64,
    /// Warm-up after its state has arrived on a new shard.
    pub warmup: SimDuration,
    /// Optional traffic split between versions (percentages summing to 100). Empty: one version.
    pub versions: Vec<Version>,
    /// Follow-up events a completed invocation emits (e.g. a price update that triggers
    /// arbitrage analysis), at most 8.
    pub emits: Vec<Emission>,
}

/// A follow-up event: when an invocation of the function completes in time, an event of this
/// type, carrying the same fields, is emitted with this probability. Whether it will be is drawn
/// at arrival, so routing cannot change the draw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Emission {
    /// The event type emitted.
    pub event_type: EventTypeId,
    /// Probability per completed invocation, 0 to 1.
    pub probability: f64,
}

/// A function declaration the cluster cannot run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FunctionSpecError {
    /// Bad service-time parameters.
    #[error("function `{function}`: {source}")]
    Service {
        /// The function.
        function: String,
        /// What is wrong.
        source: ServiceTimeError,
    },
    /// A traffic split that does not add up.
    #[error("function `{function}`: version percentages must sum to 100 (got {sum})")]
    Split {
        /// The function.
        function: String,
        /// Their sum.
        sum: u64,
    },
    /// A version scale that is not a positive number.
    #[error("function `{function}`: version `{version}` service_scale must be > 0")]
    Scale {
        /// The function.
        function: String,
        /// The version.
        version: String,
    },
    /// A zero timeout.
    #[error("function `{function}`: timeout must be > 0")]
    Timeout {
        /// The function.
        function: String,
    },
    /// Bad emissions.
    #[error("function `{function}`: emits needs at most 8 entries with probabilities in [0, 1]")]
    Emits {
        /// The function.
        function: String,
    },
}

impl FunctionSpecError {
    /// The [`FunctionSpec`] field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            FunctionSpecError::Service { .. } => "service",
            FunctionSpecError::Split { .. } | FunctionSpecError::Scale { .. } => "versions",
            FunctionSpecError::Timeout { .. } => "resources.timeout",
            FunctionSpecError::Emits { .. } => "emits",
        }
    }
}

/// A function whose declaration has been validated, with its sampler ready.
#[derive(Clone, Debug)]
pub struct Function {
    /// The declaration.
    pub spec: FunctionSpec,
    pub(crate) sampler: ServiceSampler,
    /// Cumulative version percentages, for picking a version with one uniform draw.
    pub(crate) version_cdf: Vec<u32>,
    /// Whether it still receives new events (removed functions finish their in-flight work).
    pub active: bool,
}

impl Function {
    /// Validates a declaration.
    pub fn new(spec: FunctionSpec) -> Result<Self, FunctionSpecError> {
        let sampler = spec
            .service
            .sampler()
            .map_err(|source| FunctionSpecError::Service {
                function: spec.name.clone(),
                source,
            })?;
        if spec.resources.timeout == SimDuration::ZERO {
            return Err(FunctionSpecError::Timeout {
                function: spec.name.clone(),
            });
        }
        if spec.emits.len() > 8
            || spec
                .emits
                .iter()
                .any(|e| !(0.0..=1.0).contains(&e.probability))
        {
            return Err(FunctionSpecError::Emits {
                function: spec.name.clone(),
            });
        }
        let mut version_cdf = Vec::new();
        if !spec.versions.is_empty() {
            // Summed in u64: percents near u32::MAX must not wrap around to 100.
            let sum: u64 = spec.versions.iter().map(|v| u64::from(v.percent)).sum();
            if sum != 100 {
                return Err(FunctionSpecError::Split {
                    function: spec.name.clone(),
                    sum,
                });
            }
            if let Some(v) = spec
                .versions
                .iter()
                .find(|v| !(v.service_scale.is_finite() && v.service_scale > 0.0))
            {
                return Err(FunctionSpecError::Scale {
                    function: spec.name.clone(),
                    version: v.name.clone(),
                });
            }
            let mut acc = 0;
            for v in &spec.versions {
                acc += v.percent;
                version_cdf.push(acc);
            }
        }
        Ok(Function {
            spec,
            sampler,
            version_cdf,
            active: true,
        })
    }

    /// The version for a uniform draw in `0..100`.
    #[inline]
    pub(crate) fn version_for(&self, draw: u32) -> u8 {
        self.version_cdf.iter().position(|&c| draw < c).unwrap_or(0) as u8
    }

    /// Mean service time at nominal speed, in nanoseconds.
    pub fn mean_service_ns(&self) -> f64 {
        self.sampler.mean_ns()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::RngStreams;

    pub(crate) fn spec(name: &str) -> FunctionSpec {
        let mut f = crate::testkit::function(name);
        f.resources.timeout = SimDuration::from_secs(1);
        f.service = ServiceTime::LogNormal {
            mean: SimDuration::from_millis(10),
            cv: 0.5,
        };
        f
    }

    #[test]
    fn lognormal_sampler_has_the_declared_mean_and_cv() {
        let f = Function::new(spec("f")).unwrap();
        let mut rng = RngStreams::new(3).stream("svc");
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| f.sampler.sample(&mut rng) as f64).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!((mean / 1e7 - 1.0).abs() < 0.01, "mean {mean}");
        assert!(
            (var.sqrt() / mean - 0.5).abs() < 0.02,
            "cv {}",
            var.sqrt() / mean
        );
    }

    #[test]
    fn version_split_must_sum_to_100() {
        let mut s = spec("f");
        s.versions = vec![
            Version {
                name: "v1".into(),
                percent: 80,
                service_scale: 1.0,
            },
            Version {
                name: "v2".into(),
                percent: 30,
                service_scale: 1.0,
            },
        ];
        assert_eq!(
            Function::new(s.clone()).unwrap_err(),
            FunctionSpecError::Split {
                function: "f".into(),
                sum: 110
            }
        );
        s.versions[1].percent = 20;
        let f = Function::new(s).unwrap();
        assert_eq!(f.version_for(79), 0);
        assert_eq!(f.version_for(80), 1);
        assert_eq!(f.version_for(99), 1);
    }

    #[test]
    fn bad_service_parameters_are_refused() {
        let mut s = spec("f");
        s.service = ServiceTime::LogNormal {
            mean: SimDuration::ZERO,
            cv: 1.0,
        };
        assert!(matches!(
            Function::new(s),
            Err(FunctionSpecError::Service { .. })
        ));
    }

    #[test]
    fn shard_groups_follow_the_tags_the_rule_routes_on() {
        use crate::cluster::{RegionId, RiskTier, ShardTags};
        let shard = |region, tags| ShardSpec {
            region: RegionId(region),
            tags,
            ..crate::testkit::shard("s", 0)
        };
        let p = |primary: Vec<u16>, secondary: Vec<u16>| ShardTags {
            protocols: primary.into_iter().map(ProtocolId).collect(),
            secondary_protocols: secondary.into_iter().map(ProtocolId).collect(),
            ..ShardTags::default()
        };
        let by_protocol = ShardBy::Protocol(None);
        let like = shard(0, p(vec![1], vec![]));
        assert!(same_shard_group(
            &by_protocol,
            &like,
            &shard(0, p(vec![], vec![1]))
        ));
        assert!(!same_shard_group(
            &by_protocol,
            &like,
            &shard(0, p(vec![2], vec![]))
        ));
        let untagged = shard(0, ShardTags::default());
        assert!(same_shard_group(&by_protocol, &untagged, &like));
        let tier = |t| ShardTags {
            risk_tier: Some(t),
            ..ShardTags::default()
        };
        let whale = shard(0, tier(RiskTier::Whale));
        assert!(!same_shard_group(
            &ShardBy::AmountRange,
            &whale,
            &shard(0, tier(RiskTier::Retail))
        ));
        assert!(!same_shard_group(
            &ShardBy::Region,
            &whale,
            &shard(1, tier(RiskTier::Whale))
        ));
        assert!(same_shard_group(
            &ShardBy::UserId,
            &whale,
            &shard(3, ShardTags::default())
        ));
    }
}
