//! Building a run: the checked configuration assembled into a cluster and its first events.

use std::sync::Arc;

use crate::cluster::arrivals::hawkes::HawkesState;
use crate::cluster::arrivals::poisson::SourceState;
use crate::cluster::arrivals::regime::RegimePath;
use crate::cluster::metrics::shard::ShardSeries;
use crate::cluster::routing::RoutingPolicy;
use crate::cluster::spec::config::{Change, ClusterConfig};
use crate::cluster::spec::error::ClusterError;
use crate::cluster::spec::faults::{Fault, FaultKind};
use crate::cluster::spec::function::Function;
use crate::cluster::spec::topology::Topology;
use crate::cluster::spec::workload::PoissonSource;
use crate::cluster::state::books::Books;
use crate::cluster::state::shard::{ShardLive, ShardState};
use crate::cluster::world::{Cluster, ClusterEvent, Streams};
use crate::engine::Simulation;
use crate::rng::RngStreams;
use crate::time::{SimDuration, SimTime};

impl Cluster {
    /// Builds a cluster simulation with every source's first arrival and every fault scheduled.
    pub fn simulation(
        config: ClusterConfig,
        seed: u64,
        routing: Arc<dyn RoutingPolicy>,
    ) -> Result<Simulation<Cluster>, ClusterError> {
        let ClusterConfig {
            topology,
            functions,
            sources,
            hawkes,
            regime,
            faults,
            metrics_interval,
            arrivals_until,
            breaker,
            max_reroutes,
            routing_overrides,
            selection,
            monitor,
            changes,
        } = config;
        validate_topology(&topology)?;
        selection.validate()?;
        if let Some(m) = &monitor
            && (m.interval == SimDuration::ZERO
                || !(m.slow_factor.is_finite() && m.slow_factor > 0.0))
        {
            return Err(ClusterError::Invalid(
                "monitor: interval must be > 0 and slow_factor > 0".into(),
            ));
        }
        if metrics_interval == SimDuration::ZERO {
            return Err(ClusterError::Invalid("metrics interval must be > 0".into()));
        }
        let rng_streams = RngStreams::new(seed);
        let general_pool = topology
            .shard_ids()
            .filter(|s| topology.shards[s.index()].tags.general)
            .collect();
        let shards = topology
            .shards
            .iter()
            .map(|s| ShardState {
                busy_slots: 0,
                reserved_slots: 0,
                memory_used_mb: 0,
                queues: Default::default(),
                queued: 0,
                queued_slots: 0,
                in_transit_slots: 0,
                running: Vec::new(),
                down: 0,
                partitioned: 0,
                slowdown: 1.0,
                consecutive_failures: 0,
                breaker_probing: false,
                history: Vec::new(),
                protocol_history: Vec::new(),
                exchange_history: Vec::new(),
                series: ShardSeries::new(metrics_interval, s.cpu_slots, s.queue_capacity),
            })
            .collect();
        let live = topology
            .shards
            .iter()
            .map(|s| ShardLive {
                load: 0.0,
                offline: false,
                breaker_open_until: SimTime::ZERO,
                inv_slots: 1.0 / f64::from(s.cpu_slots.max(1)),
                inv_memory: 1.0 / f64::from(s.memory_mb.max(1)),
            })
            .collect();
        let mut cluster = Cluster {
            exchange_extra: vec![SimDuration::ZERO; topology.exchanges.len()],
            topology,
            functions: Vec::new(),
            function_streams: Vec::new(),
            placements: Vec::new(),
            by_event_type: Vec::new(),
            sources: Vec::new(),
            hawkes: Vec::new(),
            hawkes_next: Vec::new(),
            regime: RegimePath::calm(),
            pending_overrides: Vec::new(),
            faults: Vec::new(),
            fault_keys: Vec::new(),
            fault_log: Vec::new(),
            shards,
            live,
            books: Books::new(metrics_interval),
            migrations: Vec::new(),
            migrating: Vec::new(),
            function_work: Vec::new(),
            route_sequence: Vec::new(),
            function_routing: Vec::new(),
            selection,
            monitor,
            demotions: Vec::new(),
            redistributions: Vec::new(),
            changes: Vec::new(),
            change_log: Vec::new(),
            candidate_scratch: Vec::new(),
            general_pool,
            routing,
            streams: Streams {
                routing: rng_streams.stream("routing"),
                jitter: rng_streams.stream("network/jitter"),
            },
            rng_streams,
            config_breaker: breaker,
            max_reroutes,
            arrivals_until,
        };
        for (spec, placement) in functions {
            cluster.register_function(spec, placement)?;
        }
        let mut seen_names = std::collections::BTreeSet::new();
        for (i, spec) in sources.into_iter().enumerate() {
            if spec.exchange.index() >= cluster.topology.exchanges.len() {
                return Err(ClusterError::OutOfRange {
                    what: format!("source `{}`", spec.name),
                    kind: "exchange",
                    index: spec.exchange.index(),
                    count: cluster.topology.exchanges.len(),
                });
            }
            if !seen_names.insert(spec.name.clone()) {
                return Err(ClusterError::Invalid(format!(
                    "two sources are named `{}`: names key the random streams and must be unique",
                    spec.name
                )));
            }
            let rng = cluster
                .rng_streams
                .stream(&format!("arrivals/{}", spec.name));
            cluster.sources.push(SourceState::new(spec, i as u32, rng)?);
        }
        for (i, fault) in faults.iter().enumerate() {
            cluster.validate_fault(i, fault)?;
        }
        if let Some(r) = &regime {
            if !(r.volatile_multiplier.is_finite() && r.volatile_multiplier > 0.0)
                || r.calm_mean == SimDuration::ZERO
                || r.volatile_mean == SimDuration::ZERO
                || r.episode.half_life == Some(SimDuration::ZERO)
            {
                return Err(ClusterError::Invalid(
                    "regime: calm and volatile means must be > 0, the multiplier > 0 and a half-life > 0"
                        .into(),
                ));
            }
            let mut rng = cluster.rng_streams.stream("regime");
            cluster.regime = RegimePath::draw(r, arrivals_until, &mut rng);
        }
        let all_sources: Vec<PoissonSource> =
            cluster.sources.iter().map(|s| s.spec.clone()).collect();
        let mut in_group = vec![false; all_sources.len()];
        for group in &hawkes {
            for &m in &group.members {
                match in_group.get_mut(m) {
                    Some(taken) if !*taken => *taken = true,
                    Some(_) => {
                        return Err(ClusterError::Invalid(format!(
                            "source `{}` belongs to more than one Hawkes group",
                            all_sources[m].name
                        )));
                    }
                    None => {
                        return Err(ClusterError::OutOfRange {
                            what: format!("Hawkes group `{}`", group.name),
                            kind: "source",
                            index: m,
                            count: all_sources.len(),
                        });
                    }
                }
            }
            let rng = cluster
                .rng_streams
                .stream(&format!("arrivals/{}", group.name));
            cluster
                .hawkes
                .push(HawkesState::new(group, &all_sources, rng)?);
        }
        let launched: Vec<String> = changes
            .iter()
            .filter_map(|c| match &c.change {
                Change::RegisterFunction { spec, .. } => Some(spec.name.clone()),
                _ => None,
            })
            .collect();
        for (name, policy) in routing_overrides {
            match cluster.functions.iter().position(|f| f.spec.name == name) {
                Some(f) => cluster.function_routing[f] = Some(policy),
                None if launched.contains(&name) => cluster.pending_overrides.push((name, policy)),
                None => {
                    return Err(ClusterError::Invalid(format!(
                        "routing override for `{name}`, which is not a declared function"
                    )));
                }
            }
        }
        for (i, change) in changes.iter().enumerate() {
            cluster.validate_change(i, &change.change)?;
        }
        let mut sim = Simulation::new(cluster);
        let (cluster, sched) = sim.parts_mut();
        let until = cluster.arrivals_until;
        for (i, grouped) in in_group.iter().enumerate() {
            if *grouped {
                continue;
            }
            if let Some(first) =
                cluster.sources[i].next_arrival(SimTime::ZERO, until, &cluster.regime)
            {
                sched.schedule_at(first, ClusterEvent::Arrival { source: i as u32 });
            }
        }
        for g in 0..cluster.hawkes.len() {
            if let Some((first, member)) =
                cluster.hawkes[g].next_arrival(SimTime::ZERO, until, &cluster.regime)
            {
                cluster.hawkes_next.push(member);
                sched.schedule_at(first, ClusterEvent::HawkesArrival { group: g as u32 });
            } else {
                cluster.hawkes_next.push(usize::MAX);
            }
        }
        for (i, fault) in faults.into_iter().enumerate() {
            let start = sched.schedule_at(fault.at, ClusterEvent::FaultStart { fault: i as u32 });
            cluster.fault_keys.push((start, None));
            cluster.faults.push(fault);
        }
        for (i, change) in changes.into_iter().enumerate() {
            sched.schedule_at(change.at, ClusterEvent::Change { index: i as u32 });
            cluster.changes.push(change);
        }
        if let Some(m) = cluster.monitor {
            sched.schedule_at(SimTime::ZERO + m.interval, ClusterEvent::Monitor);
        }
        Ok(sim)
    }

    pub(super) fn validate_change(&self, i: usize, change: &Change) -> Result<(), ClusterError> {
        match change {
            Change::RegisterFunction { spec, placement } => {
                Function::new((**spec).clone())?;
                if let Some(s) = placement.iter().find(|s| s.index() >= self.shards.len()) {
                    return Err(ClusterError::OutOfRange {
                        what: format!("change #{i} (launch of `{}`)", spec.name),
                        kind: "shard",
                        index: s.index(),
                        count: self.shards.len(),
                    });
                }
                Ok(())
            }
            Change::TrafficSplit { function, versions } => {
                let f = self.functions.get(function.index()).ok_or_else(|| {
                    ClusterError::OutOfRange {
                        what: format!("change #{i}"),
                        kind: "function",
                        index: function.index(),
                        count: self.functions.len(),
                    }
                })?;
                let mut spec = f.spec.clone();
                spec.versions = versions.clone();
                Function::new(spec)?;
                Ok(())
            }
            Change::ShardLimits { shard, .. } if shard.index() >= self.shards.len() => {
                Err(ClusterError::OutOfRange {
                    what: format!("change #{i}"),
                    kind: "shard",
                    index: shard.index(),
                    count: self.shards.len(),
                })
            }
            Change::ShardLimits { .. } => Ok(()),
        }
    }

    pub(super) fn validate_fault(&self, i: usize, fault: &Fault) -> Result<(), ClusterError> {
        let what = || format!("fault #{i}");
        let check = |kind, index: usize, count: usize| {
            if index >= count {
                Err(ClusterError::OutOfRange {
                    what: what(),
                    kind,
                    index,
                    count,
                })
            } else {
                Ok(())
            }
        };
        match fault.kind {
            FaultKind::Crash { shard } => check("shard", shard.index(), self.shards.len()),
            FaultKind::Slowdown { shard, factor } => {
                check("shard", shard.index(), self.shards.len())?;
                if !(factor.is_finite() && factor > 0.0) {
                    return Err(ClusterError::Invalid(format!(
                        "{}: slowdown factor must be > 0 (got {factor})",
                        what()
                    )));
                }
                Ok(())
            }
            FaultKind::Partition { region } => {
                check("region", region.index(), self.topology.regions.len())
            }
            FaultKind::ExchangeLatencySpike { exchange, .. } => {
                check("exchange", exchange.index(), self.topology.exchanges.len())
            }
        }
    }
}

fn validate_topology(t: &Topology) -> Result<(), ClusterError> {
    if t.network.regions() != t.regions.len() {
        return Err(ClusterError::Invalid(format!(
            "the RTT matrix covers {} regions but {} are declared",
            t.network.regions(),
            t.regions.len()
        )));
    }
    for (i, e) in t.exchanges.iter().enumerate() {
        if e.home.index() >= t.regions.len() {
            return Err(ClusterError::OutOfRange {
                what: format!("exchange `{}` (#{i})", e.name),
                kind: "region",
                index: e.home.index(),
                count: t.regions.len(),
            });
        }
    }
    for s in &t.shards {
        if s.region.index() >= t.regions.len() {
            return Err(ClusterError::OutOfRange {
                what: format!("shard `{}`", s.name),
                kind: "region",
                index: s.region.index(),
                count: t.regions.len(),
            });
        }
        if s.cpu_slots == 0 || !(s.speed.is_finite() && s.speed > 0.0) {
            return Err(ClusterError::Invalid(format!(
                "shard `{}`: cpu_slots must be >= 1 and speed > 0",
                s.name
            )));
        }
    }
    Ok(())
}
