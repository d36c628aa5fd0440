//! Regions, network latency, shards and exchanges: the static shape of the cluster.

use rand::RngExt;

use crate::cluster::ids::{ExchangeId, ProtocolId, RegionId, ShardId};
use crate::rng::SimRng;
use crate::time::SimDuration;

/// The default regions, in the order of [`DEFAULT_RTT_MS`].
pub const DEFAULT_REGIONS: [&str; 4] = ["us-east", "us-west", "eu-central", "asia-pacific"];

/// Default inter-region round-trip times in milliseconds, rows and columns in
/// [`DEFAULT_REGIONS`] order.
///
/// Source: median inter-region RTTs between AWS us-east-1 (N. Virginia), us-west-2 (Oregon),
/// eu-central-1 (Frankfurt) and ap-northeast-1 (Tokyo) as published in the cloudping.co AWS
/// latency matrix (p50, 2024), rounded to the millisecond. The diagonal is the intra-region
/// (cross-availability-zone) RTT.
pub const DEFAULT_RTT_MS: [[f64; 4]; 4] = [
    [1.0, 67.0, 92.0, 148.0],
    [67.0, 1.0, 142.0, 98.0],
    [92.0, 142.0, 1.0, 226.0],
    [148.0, 98.0, 226.0, 1.0],
];

/// Default exchanges and their home regions (indices into [`DEFAULT_REGIONS`]).
pub const DEFAULT_EXCHANGES: [(&str, usize); 5] = [
    ("binance", 3),
    ("okx", 3),
    ("coinbase", 1),
    ("kraken", 1),
    ("bitstamp", 2),
];

/// A region: a named group of shards sharing a network location.
#[derive(Clone, Debug, PartialEq)]
pub struct Region {
    /// Region name, e.g. `us-east`.
    pub name: String,
}

/// An exchange emitting market events from its home region.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    /// Exchange name, e.g. `binance`.
    pub name: String,
    /// Where its events enter the network.
    pub home: RegionId,
}

/// Risk tiers a shard may be dedicated to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RiskTier {
    /// Retail-sized flow.
    Retail,
    /// Institutional-sized flow.
    Institutional,
    /// Whale-sized flow.
    Whale,
}

/// What a shard is specialised for; routing reads these.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShardTags {
    /// Protocols this shard is a primary shard for (empty: none).
    pub protocols: Vec<ProtocolId>,
    /// Protocols this shard is a secondary shard for.
    pub secondary_protocols: Vec<ProtocolId>,
    /// The risk tier it serves, if dedicated to one.
    pub risk_tier: Option<RiskTier>,
    /// A primary shard of its risk group (e.g. the whale primaries that take trades over $10M).
    pub primary: bool,
    /// Whether it may run `critical`-urgency work.
    pub critical: bool,
    /// Member of the general-purpose fallback pool.
    pub general: bool,
    /// The overflow shard used when nothing else fits.
    pub overflow: bool,
    /// Whether migration policies may lend it to functions of other groups although it is
    /// dedicated (a risk tier, a primary or critical hardware). Off by default: dedicated
    /// hardware is not spare capacity unless the deployment says so.
    pub lendable: bool,
}

impl ShardTags {
    /// Whether the shard is dedicated: it serves a risk tier, is a primary of its group, or has
    /// the critical capability.
    pub fn dedicated(&self) -> bool {
        self.risk_tier.is_some() || self.primary || self.critical
    }

    /// Whether a function running on a shard tagged `like` may be given this shard: always
    /// when this one is not dedicated or is declared lendable; otherwise only within the same
    /// dedication (risk tier, primary and critical flags all equal).
    pub fn may_host_like(&self, like: &ShardTags) -> bool {
        !self.dedicated()
            || self.lendable
            || (self.risk_tier == like.risk_tier
                && self.primary == like.primary
                && self.critical == like.critical)
    }

    /// Whether the shard is a primary or a secondary shard of protocol `p`.
    pub fn serves_protocol(&self, p: ProtocolId) -> bool {
        self.protocols.contains(&p) || self.secondary_protocols.contains(&p)
    }
}

/// The static description of one shard.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardSpec {
    /// Display name, e.g. `use-03`.
    pub name: String,
    /// Where it runs.
    pub region: RegionId,
    /// Concurrent cpu slots.
    pub cpu_slots: u32,
    /// Service-speed factor: service time is divided by it (1.0 = nominal).
    pub speed: f64,
    /// Memory in MiB.
    pub memory_mb: u32,
    /// Maximum queued invocations (beyond that, arrivals are dropped).
    pub queue_capacity: u32,
    /// Specialisations.
    pub tags: ShardTags,
}

/// Regions and the network between them.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    rtt_ns: Vec<u64>,
    regions: usize,
    /// Jitter added to each one-way delivery, as a fraction of its base latency (uniform
    /// in `[0, jitter_fraction]`).
    pub jitter_fraction: f64,
    /// Bandwidth for migrating state within a region, bytes per second.
    pub intra_region_bandwidth: f64,
    /// Bandwidth for migrating state between regions, bytes per second.
    pub inter_region_bandwidth: f64,
}

impl Network {
    /// A network from a square RTT matrix in milliseconds. The caller validates the shape.
    pub fn from_rtt_ms(rtt_ms: &[Vec<f64>]) -> Self {
        let regions = rtt_ms.len();
        let mut rtt_ns = Vec::with_capacity(regions * regions);
        for row in rtt_ms {
            assert_eq!(row.len(), regions, "RTT matrix must be square");
            rtt_ns.extend(
                row.iter()
                    .map(|ms| SimDuration::from_secs_f64(ms / 1e3).as_nanos()),
            );
        }
        Network {
            rtt_ns,
            regions,
            jitter_fraction: 0.1,
            intra_region_bandwidth: 1.25e9, // 10 Gbit/s
            inter_region_bandwidth: 1.25e8, // 1 Gbit/s
        }
    }

    /// The default four-region network ([`DEFAULT_RTT_MS`]).
    pub fn default_regions() -> Self {
        let rows: Vec<Vec<f64>> = DEFAULT_RTT_MS.iter().map(|r| r.to_vec()).collect();
        Self::from_rtt_ms(&rows)
    }

    /// Number of regions.
    pub fn regions(&self) -> usize {
        self.regions
    }

    /// Round-trip time between two regions.
    #[inline]
    pub fn rtt(&self, a: RegionId, b: RegionId) -> SimDuration {
        SimDuration::from_nanos(self.rtt_ns[a.index() * self.regions + b.index()])
    }

    /// One-way latency (half the RTT) plus seeded jitter.
    #[inline]
    pub fn one_way(&self, a: RegionId, b: RegionId, jitter: &mut SimRng) -> SimDuration {
        let base = self.rtt_ns[a.index() * self.regions + b.index()] / 2;
        // Drawn whether or not it is used, so the jitter stream advances once per delivery.
        let u: f64 = jitter.random();
        let extra = (base as f64 * self.jitter_fraction * u) as u64;
        SimDuration::from_nanos(base + extra)
    }

    /// Time to move `bytes` of state from region `a` to `b`: transfer plus one RTT.
    pub fn transfer_time(&self, a: RegionId, b: RegionId, bytes: f64) -> SimDuration {
        let bw = if a == b {
            self.intra_region_bandwidth
        } else {
            self.inter_region_bandwidth
        };
        SimDuration::from_secs_f64(bytes / bw) + self.rtt(a, b)
    }
}

/// The static cluster: regions, network, shards and exchanges.
#[derive(Clone, Debug, PartialEq)]
pub struct Topology {
    /// Regions, indexed by [`RegionId`].
    pub regions: Vec<Region>,
    /// The network between them.
    pub network: Network,
    /// Shards, indexed by [`ShardId`].
    pub shards: Vec<ShardSpec>,
    /// Exchanges, indexed by [`ExchangeId`].
    pub exchanges: Vec<Exchange>,
}

impl Topology {
    /// The default regions and exchanges with no shards yet.
    pub fn default_regions() -> Self {
        Topology {
            regions: DEFAULT_REGIONS
                .iter()
                .map(|n| Region {
                    name: (*n).to_owned(),
                })
                .collect(),
            network: Network::default_regions(),
            shards: Vec::new(),
            exchanges: DEFAULT_EXCHANGES
                .iter()
                .map(|&(name, region)| Exchange {
                    name: name.to_owned(),
                    home: RegionId(region as u16),
                })
                .collect(),
        }
    }

    /// Adds a shard and returns its id.
    pub fn add_shard(&mut self, spec: ShardSpec) -> ShardId {
        self.shards.push(spec);
        ShardId(self.shards.len() as u32 - 1)
    }

    /// The region id of a region name.
    pub fn region(&self, name: &str) -> Option<RegionId> {
        self.regions
            .iter()
            .position(|r| r.name == name)
            .map(|i| RegionId(i as u16))
    }

    /// The exchange id of an exchange name.
    pub fn exchange(&self, name: &str) -> Option<ExchangeId> {
        self.exchanges
            .iter()
            .position(|e| e.name == name)
            .map(|i| ExchangeId(i as u16))
    }

    /// Shard ids in id order.
    pub fn shard_ids(&self) -> impl Iterator<Item = ShardId> + '_ {
        (0..self.shards.len() as u32).map(ShardId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::RngStreams;

    #[test]
    fn default_matrix_is_symmetric_with_fast_diagonal() {
        for (i, row) in DEFAULT_RTT_MS.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                assert_eq!(v, DEFAULT_RTT_MS[j][i]);
                assert!(if i == j { v < 5.0 } else { v > 50.0 });
            }
        }
    }

    #[test]
    fn default_exchanges_sit_in_the_design_regions() {
        let t = Topology::default_regions();
        let home = |name| {
            t.regions[t.exchanges[t.exchange(name).unwrap().index()].home.index()]
                .name
                .clone()
        };
        assert_eq!(home("binance"), "asia-pacific");
        assert_eq!(home("okx"), "asia-pacific");
        assert_eq!(home("coinbase"), "us-west");
        assert_eq!(home("kraken"), "us-west");
        assert_eq!(home("bitstamp"), "eu-central");
    }

    #[test]
    fn one_way_latency_is_half_rtt_plus_bounded_jitter() {
        let n = Network::default_regions();
        let mut rng = RngStreams::new(1).stream("jitter");
        let (a, b) = (RegionId(0), RegionId(3));
        for _ in 0..1000 {
            let d = n.one_way(a, b, &mut rng).as_nanos();
            let half = n.rtt(a, b).as_nanos() / 2;
            assert!(d >= half && d <= half + half / 10 + 1, "{d}");
        }
    }

    #[test]
    fn cross_region_transfers_are_slower() {
        let n = Network::default_regions();
        let mb100 = 100.0 * 1024.0 * 1024.0;
        assert!(
            n.transfer_time(RegionId(0), RegionId(2), mb100)
                > n.transfer_time(RegionId(0), RegionId(0), mb100)
        );
    }
}
