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

    /// Functions per [`SCALING_SHARDS_PER_GROUP`](Self::SCALING_SHARDS_PER_GROUP) shards in
    /// [`scaled`](Self::scaled): 20 per 64 shards, as in [`BENCH`](Self::BENCH), so every shard
    /// hosts five functions at any size.
    pub const SCALING_FUNCTIONS_PER_GROUP: u32 = 5;
    /// See [`SCALING_FUNCTIONS_PER_GROUP`](Self::SCALING_FUNCTIONS_PER_GROUP).
    pub const SCALING_SHARDS_PER_GROUP: u32 = 16;

    /// The [`BENCH`](Self::BENCH) shape grown to `shards`: functions grow with the shards (5 per
    /// 16, at least 1) and each keeps a placement of 16; slots, utilisation and duration stay.
    /// At a multiple of 64 shards the functions' service times have the same mix, so the
    /// arrival rate per shard is the same too. `scaled(64) == BENCH`.
    pub fn scaled(shards: u32) -> SyntheticCluster {
        SyntheticCluster {
            shards,
            functions: (shards / Self::SCALING_SHARDS_PER_GROUP
                * Self::SCALING_FUNCTIONS_PER_GROUP)
                .max(1),
            ..Self::BENCH
        }
    }

    /// Mean invocations per simulated second per shard at this shape's utilisation.
    pub fn rate_per_shard(&self) -> f64 {
        self.total_rate() / f64::from(self.shards)
    }

    /// The utilisation at which this shape offers `rate` invocations per simulated second per
    /// shard (the inverse of [`rate_per_shard`](Self::rate_per_shard)).
    pub fn utilisation_for_rate_per_shard(&self, rate: f64) -> f64 {
        let at_one = SyntheticCluster {
            utilisation: 1.0,
            ..*self
        };
        rate / at_one.rate_per_shard()
    }

    /// Mean invocations per simulated second over all sources (the sum of [`config`](Self::config)'s
    /// source rates).
    fn total_rate(&self) -> f64 {
        self.config().sources.iter().map(|s| s.rate_per_sec).sum()
    }

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
        self.total_rate() * self.duration.as_secs_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Cluster, policy_by_name};

    #[test]
    fn scaled_to_64_shards_is_the_bench_shape() {
        assert_eq!(SyntheticCluster::scaled(64), SyntheticCluster::BENCH);
        let (scaled, bench) = (
            SyntheticCluster::scaled(64).config(),
            SyntheticCluster::BENCH.config(),
        );
        assert_eq!(format!("{scaled:?}"), format!("{bench:?}"));
        assert_eq!(bench.functions.len(), 20);
        assert_eq!(bench.topology.shards.len(), 64);
    }

    #[test]
    fn scaled_shapes_keep_the_rate_per_shard_and_five_functions_per_shard() {
        let base = SyntheticCluster::BENCH.rate_per_shard();
        for shards in [128, 256, 1024, 4096] {
            let shape = SyntheticCluster::scaled(shards);
            assert_eq!(shape.functions, shards * 5 / 16, "{shards}");
            let rate = shape.rate_per_shard();
            assert!(
                (rate / base - 1.0).abs() < 1e-9,
                "{shards}: {rate} vs {base}"
            );
            let config = shape.config();
            let mut hosted = vec![0u32; shards as usize];
            for (_, placement) in &config.functions {
                assert_eq!(placement.len(), 16);
                for s in placement {
                    hosted[s.index()] += 1;
                }
            }
            assert!(hosted.iter().all(|&h| h == 5), "{shards}: {hosted:?}");
        }
    }

    #[test]
    fn a_rate_per_shard_converts_to_the_utilisation_that_offers_it() {
        let shape = SyntheticCluster::scaled(256);
        let utilisation = shape.utilisation_for_rate_per_shard(100.0);
        let at = SyntheticCluster {
            utilisation,
            ..shape
        };
        assert!((at.rate_per_shard() - 100.0).abs() < 1e-9);
        let bench = SyntheticCluster::BENCH;
        let back = bench.utilisation_for_rate_per_shard(bench.rate_per_shard());
        assert!((back - bench.utilisation).abs() < 1e-12);
    }

    #[test]
    fn a_256_shard_cluster_validates_and_conserves_invocations() {
        let shape = SyntheticCluster {
            duration: SimDuration::from_secs(20),
            ..SyntheticCluster::scaled(256)
        };
        for routing in ["declared", "power-of-two", "least-loaded", "bounded-hash"] {
            let policy = policy_by_name(routing).unwrap();
            let mut sim = Cluster::simulation(shape.config(), 3, policy).unwrap();
            sim.run_to_completion();
            let books = sim.model().assert_conservation();
            assert_eq!(books.in_flight(), 0, "{routing}");
            let expected = shape.expected_invocations();
            let generated = books.generated as f64;
            // Poisson: ~240k expected, so 2% is > 9 standard deviations.
            assert!(
                (generated / expected - 1.0).abs() < 0.02,
                "{routing}: {generated} vs {expected}"
            );
            assert!(
                books.completed as f64 > 0.9 * generated,
                "{routing}: {books:?}"
            );
            assert!(sim.model().peak_live_invocations() > 0);
        }
    }
}
