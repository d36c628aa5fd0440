//! Built-in cluster configurations that code (benchmarks, tests) can build without a scenario
//! file: the fixed workload behind `shardsim bench cluster`.

use super::config::ClusterConfig;
use super::event::{RiskLevel, Urgency};
use super::ids::{EventTypeId, ExchangeId, ShardId};
use super::spec::function::{CpuClass, FunctionSpec, Priority, Resources, ServiceTime, ShardBy};
use super::spec::topology::{ShardSpec, ShardTags, Topology};
use super::spec::workload::{PoissonSource, RateShape, TradeSize};
use crate::time::{SimDuration, SimTime};

/// The shape of a synthetic cluster.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SyntheticCluster {
    /// Shards, spread round-robin over the four default regions.
    pub shards: u32,
    /// Cpu slots per shard.
    pub slots_per_shard: u32,
    /// Functions, each with its own event type and Poisson source.
    pub functions: u32,
    /// Shards each function is placed on (spread across regions).
    pub placement_width: u32,
    /// Target mean cpu utilisation (offered work / capacity), e.g. 0.6.
    pub utilisation: f64,
    /// How long sources emit.
    pub duration: SimDuration,
}

impl SyntheticCluster {
    /// The `shardsim bench cluster` workload: 64 shards × 4 slots in 4 regions, 20 functions
    /// placed on 16 shards each, Poisson arrivals at 60% utilisation (≈ 3,000 invocations/s),
    /// one simulated hour.
    pub const BENCH: SyntheticCluster = SyntheticCluster {
        shards: 64,
        slots_per_shard: 4,
        functions: 20,
        placement_width: 16,
        utilisation: 0.6,
        duration: SimDuration::from_secs(3_600),
    };

    /// Mean service time of function `i`: 30 to 68 ms.
    fn mean_service_ms(i: u32) -> u64 {
        30 + 2 * u64::from(i % 20)
    }

    /// The configuration (no faults).
    pub fn config(&self) -> ClusterConfig {
        let mut topology = Topology::default_regions();
        let regions = topology.regions.len() as u32;
        for s in 0..self.shards {
            let region = topology.regions[(s % regions) as usize].name.clone();
            topology.add_shard(ShardSpec {
                name: format!("{region}-{:02}", s / regions),
                region: super::ids::RegionId((s % regions) as u16),
                cpu_slots: self.slots_per_shard,
                // A little heterogeneity, deterministic by index: 0.9, 1.0 or 1.1.
                speed: [1.0, 0.9, 1.1][(s % 3) as usize],
                memory_mb: 16_384,
                queue_capacity: 256,
                tags: ShardTags {
                    general: true,
                    ..ShardTags::default()
                },
            });
        }
        let exchanges = topology.exchanges.len() as u32;
        let mut config = ClusterConfig::new(topology);
        let capacity_slot_secs = f64::from(self.shards * self.slots_per_shard);
        // Every function gets an equal share of the offered work.
        let work_per_function = capacity_slot_secs * self.utilisation / f64::from(self.functions);
        let width = self.placement_width.clamp(1, self.shards);
        for i in 0..self.functions {
            let mean_ms = Self::mean_service_ms(i);
            let placement = (0..width)
                .map(|k| ShardId((i + k * (self.shards / width).max(1)) % self.shards))
                .collect();
            config.functions.push((
                FunctionSpec {
                    name: format!("fn-{i:02}"),
                    handles: EventTypeId(i as u16),
                    shard_by: ShardBy::LeastLoaded,
                    resources: Resources {
                        cpu: CpuClass::Low,
                        memory_mb: 128,
                        priority: Priority::ALL[(i % 4) as usize],
                        timeout: SimDuration::from_secs(1),
                    },
                    service: ServiceTime::LogNormal {
                        mean: SimDuration::from_millis(mean_ms),
                        cv: 0.8,
                    },
                    state_bytes: 50e6,
                    warmup: SimDuration::from_secs(2),
                    versions: Vec::new(),
                    emits: vec![],
                },
                placement,
            ));
            config.sources.push(PoissonSource {
                name: format!("src-{i:02}"),
                event_type: EventTypeId(i as u16),
                exchange: ExchangeId((i % exchanges) as u16),
                rate_per_sec: work_per_function / (mean_ms as f64 / 1e3),
                protocol: None,
                risk: RiskLevel::Low,
                urgency: Urgency::Normal,
                trading_pairs: 200,
                users: 10_000,
                trade_size: TradeSize {
                    min_usd: 100.0,
                    shape: 1.3,
                },
                shape: RateShape::default(),
            });
        }
        config.arrivals_until = SimTime::ZERO + self.duration;
        config
    }

    /// Expected invocations over the duration.
    pub fn expected_invocations(&self) -> f64 {
        self.config()
            .sources
            .iter()
            .map(|s| s.rate_per_sec)
            .sum::<f64>()
            * self.duration.as_secs_f64()
    }
}
