//! The cluster's shape: `[network]` (regions and round-trip times), `[[exchanges]]`,
//! `[[shards]]` groups, and the `[[faults]]` that strike them.

use std::collections::{BTreeMap, BTreeSet};

use shardsim_sim::cluster::{
    Exchange, Fault, FaultKind, MAX_SHARDS, RegionId, RiskTier, ShardId, ShardSpec, ShardTags,
    Topology,
};
use shardsim_sim::{SimDuration, SimTime};
use toml::Spanned;

use crate::scenario::error::{Ctx, ScenarioError};
use crate::scenario::resolve::Resolver;
use crate::scenario::schema::{ExchangeDef, FaultDef, FaultKindDef, NetworkDef, ShardGroupDef};

/// `[network]`: the file's regions and round-trip times, or the default regions (with their
/// exchanges).
pub(super) fn network(ctx: &Ctx<'_>, net: Option<&NetworkDef>) -> Result<Topology, ScenarioError> {
    let mut topology = Topology::default_regions();
    let Some(net) = net else {
        return Ok(topology);
    };
    let n = net.regions.len();
    let rtt = net.rtt_ms.get_ref();
    if n == 0 || rtt.len() != n || rtt.iter().any(|r| r.len() != n) {
        return ctx.err(
            Some(net.rtt_ms.span()),
            "network.rtt_ms",
            format!("must be a {n}×{n} matrix, one row and column per region in `network.regions`"),
        );
    }
    // The longest round trip on Earth is ~300 ms; a minute is a unit mistake, not a network.
    if rtt
        .iter()
        .flatten()
        .any(|v| !(v.is_finite() && (0.0..=60_000.0).contains(v)))
    {
        return ctx.err(
            Some(net.rtt_ms.span()),
            "network.rtt_ms",
            "round-trip times must be finite, >= 0 and at most 60000 ms",
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
    Ok(topology)
}

/// `[[exchanges]]`: the file's replace the defaults, which a custom network cannot use.
pub(super) fn exchanges(
    ctx: &Ctx<'_>,
    names: &Resolver<'_>,
    defs: Option<&[ExchangeDef]>,
    custom_network: bool,
    topology: &mut Topology,
) -> Result<(), ScenarioError> {
    let Some(defs) = defs else {
        if custom_network {
            return ctx.err(ctx.locate("network"), "exchanges", "a custom `[network]` needs its own `[[exchanges]]` (the defaults refer to the default regions)");
        }
        return Ok(());
    };
    topology.exchanges.clear();
    let mut seen = BTreeSet::new();
    for e in defs {
        if !seen.insert(e.name.clone()) {
            return ctx.err(
                Some(e.region.span()),
                "exchanges.name",
                format!("exchange `{}` is declared twice", e.name),
            );
        }
        let home = names.region(&e.region, "exchanges.region")?;
        topology.exchanges.push(Exchange {
            name: e.name.clone(),
            home,
        });
    }
    Ok(())
}

/// `[[shards]]`: every group's shards added to `topology`; returns the shards of each group.
pub(super) fn shards(
    ctx: &Ctx<'_>,
    names: &mut Resolver<'_>,
    defs: &[ShardGroupDef],
    topology: &mut Topology,
) -> Result<BTreeMap<String, Vec<ShardId>>, ScenarioError> {
    let mut groups: BTreeMap<String, Vec<ShardId>> = BTreeMap::new();
    let mut shard_names = BTreeSet::new();
    for (i, g) in defs.iter().enumerate() {
        if groups.contains_key(&g.name) {
            return ctx.err(
                None,
                &format!("shards[{i}].name"),
                format!(
                    "shard group `{}` is declared twice; give each group its own name",
                    g.name
                ),
            );
        }
        let ids = shard_group(ctx, names, g, topology, &mut shard_names)?;
        groups.insert(g.name.clone(), ids);
    }
    Ok(groups)
}

/// One `[[shards]]` group: `count` shards spread over its regions in turn.
fn shard_group(
    ctx: &Ctx<'_>,
    names: &mut Resolver<'_>,
    g: &ShardGroupDef,
    topology: &mut Topology,
    shard_names: &mut BTreeSet<String>,
) -> Result<Vec<ShardId>, ScenarioError> {
    // The cluster checks cpu_slots and speed.
    if g.count == 0 || g.memory_mb == 0 {
        let key = if g.count == 0 { "count" } else { "memory_mb" };
        return ctx.err(None, &format!("shards.{}.{key}", g.name), "must be >= 1");
    }
    if g.regions.is_empty() {
        return ctx.err(
            None,
            &format!("shards.{}.regions", g.name),
            format!("name at least one region; {}", names.allowed_regions()),
        );
    }
    let regions: Vec<RegionId> = g
        .regions
        .iter()
        .map(|r| names.region(r, &format!("shards.{}.regions", g.name)))
        .collect::<Result<_, _>>()?;
    let tags = ShardTags {
        protocols: g.protocols.iter().map(|p| names.protocol(p)).collect(),
        secondary_protocols: g
            .secondary_protocols
            .iter()
            .map(|p| names.protocol(p))
            .collect(),
        risk_tier: g.risk_tier.map(RiskTier::from),
        primary: g.primary,
        critical: g.critical,
        general: g.general,
        overflow: g.overflow,
        lendable: g.lendable,
    };
    if topology.shards.len() + g.count as usize > MAX_SHARDS {
        return ctx.err(
            None,
            &format!("shards.{}.count", g.name),
            format!(
                "{} shards would make {} in all; at most {MAX_SHARDS} are allowed (routing scans a placement's shards per invocation and each shard keeps a metrics row per interval)",
                g.count,
                topology.shards.len() + g.count as usize
            ),
        );
    }
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
    Ok(ids)
}

/// `[[faults]]`.
pub(super) fn faults(
    ctx: &Ctx<'_>,
    names: &Resolver<'_>,
    defs: &[FaultDef],
) -> Result<Vec<Fault>, ScenarioError> {
    defs.iter()
        .enumerate()
        .map(|(i, f)| fault(ctx, names, i, f))
        .collect()
}

fn fault(
    ctx: &Ctx<'_>,
    names: &Resolver<'_>,
    i: usize,
    f: &FaultDef,
) -> Result<Fault, ScenarioError> {
    let field = |k: &str| format!("faults[{i}].{k}");
    let need = |o: &Option<Spanned<String>>, k: &str| -> Result<Spanned<String>, ScenarioError> {
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
            shard: names.shard(&need(&f.shard, "shard")?, &field("shard"))?,
        },
        FaultKindDef::Slowdown => FaultKind::Slowdown {
            shard: names.shard(&need(&f.shard, "shard")?, &field("shard"))?,
            factor: f.factor.unwrap_or(2.0),
        },
        FaultKindDef::Partition => FaultKind::Partition {
            region: names.region(&need(&f.region, "region")?, &field("region"))?,
        },
        FaultKindDef::ExchangeLatencySpike => FaultKind::ExchangeLatencySpike {
            exchange: names.exchange(&need(&f.exchange, "exchange")?, &field("exchange"))?,
            extra: f.extra.map_or(SimDuration::from_millis(200), |d| d.0),
        },
    };
    Ok(Fault {
        at: SimTime::ZERO + f.at.0,
        duration: f.duration.0,
        kind,
    })
}
