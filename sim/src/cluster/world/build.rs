//! Building a run: the configuration is checked once ([`ClusterConfig::validate`]), then
//! assembled into a cluster, and the first events are scheduled.

use std::sync::Arc;

use crate::cluster::arrivals::Drivers;
use crate::cluster::arrivals::hawkes::HawkesState;
use crate::cluster::arrivals::poisson::SourceState;
use crate::cluster::arrivals::regime::RegimePath;
use crate::cluster::config::ClusterConfig;
use crate::cluster::routing::RoutingPolicy;
use crate::cluster::spec::error::ClusterError;
use crate::cluster::spec::faults::{BreakerConfig, Fault};
use crate::cluster::spec::settings::{MonitorConfig, ScheduledChange, SelectionWeights};
use crate::cluster::spec::topology::Topology;
use crate::cluster::spec::workload::{HawkesGroup, PoissonSource, RegimeConfig};
use crate::cluster::state::books::Books;
use crate::cluster::state::shard::{ShardLive, ShardState};
use crate::cluster::world::market::MarketWorld;
use crate::cluster::world::{Cluster, ClusterEvent, Streams};
use crate::engine::{Scheduler, Simulation};
use crate::rng::RngStreams;
use crate::time::{SimDuration, SimTime};

impl Cluster {
    /// Builds a cluster simulation with every source's first arrival and every fault scheduled.
    /// The configuration is checked first: an invalid one is the error
    /// [`ClusterConfig::validate`] reports.
    pub fn simulation(
        config: ClusterConfig,
        seed: u64,
        routing: Arc<dyn RoutingPolicy>,
    ) -> Result<Simulation<Cluster>, ClusterError> {
        config.validate()?;
        let launched: Vec<String> = config.launched().cloned().collect();
        let ClusterConfig {
            topology,
            functions,
            sources,
            hawkes,
            regime,
            market,
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
        let mut cluster = Cluster::empty(
            topology,
            Settings {
                metrics_interval,
                selection,
                monitor,
                breaker,
                max_reroutes,
                arrivals_until,
            },
            routing,
            RngStreams::new(seed),
        );
        for (spec, placement) in functions {
            cluster.register_function(spec, placement)?;
        }
        if let Some(m) = &market {
            // Drawn before the sources move into their samplers; from its own streams only.
            cluster.market = Some(Box::new(MarketWorld::new(
                m,
                &sources,
                cluster.topology.exchanges.len(),
                metrics_interval,
                arrivals_until,
                &cluster.rng_streams,
            )));
        }
        cluster.add_sources(sources);
        if let Some(r) = &regime {
            cluster.draw_regime(r);
        }
        let in_group = cluster.add_hawkes(&hawkes);
        for (name, policy) in routing_overrides {
            match cluster.functions.iter().position(|f| f.spec.name == name) {
                Some(f) => cluster.function_routing[f] = Some(policy),
                None => {
                    debug_assert!(launched.contains(&name), "validate checks overrides");
                    cluster.pending_overrides.push((name, policy));
                }
            }
        }
        let mut sim = Simulation::new(cluster);
        let (cluster, sched) = sim.parts_mut();
        cluster.schedule_first(sched, &in_group, faults, changes);
        Ok(sim)
    }

    /// A cluster of `topology` with nothing registered yet: no functions, sources or faults.
    fn empty(
        topology: Topology,
        settings: Settings,
        routing: Arc<dyn RoutingPolicy>,
        rng_streams: RngStreams,
    ) -> Cluster {
        let metrics_interval = settings.metrics_interval;
        let general_pool = topology
            .shard_ids()
            .filter(|s| topology.shards[s.index()].tags.general)
            .collect();
        let shards = topology
            .shards
            .iter()
            .map(|s| ShardState::new(s, metrics_interval))
            .collect();
        let live = topology.shards.iter().map(ShardLive::new).collect();
        Cluster {
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
            market: None,
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
            origin_counts: Vec::new(),
            route_sequence: Vec::new(),
            function_routing: Vec::new(),
            selection: settings.selection,
            monitor: settings.monitor,
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
            config_breaker: settings.breaker,
            max_reroutes: settings.max_reroutes,
            arrivals_until: settings.arrivals_until,
        }
    }

    /// One sampler per source, each on its own stream `arrivals/<name>`.
    fn add_sources(&mut self, sources: Vec<PoissonSource>) {
        for (i, spec) in sources.into_iter().enumerate() {
            let rng = self.rng_streams.stream(&format!("arrivals/{}", spec.name));
            self.sources.push(SourceState::new(spec, i as u32, rng));
        }
    }

    /// The run's regime path, drawn once from the `regime` stream.
    fn draw_regime(&mut self, r: &RegimeConfig) {
        let mut rng = self.rng_streams.stream("regime");
        self.regime = RegimePath::draw(r, self.arrivals_until, &mut rng);
    }

    /// One sampler per Hawkes group, on stream `arrivals/<group>`; returns which sources belong
    /// to a group (those are driven by it, not alone).
    fn add_hawkes(&mut self, hawkes: &[HawkesGroup]) -> Vec<bool> {
        let all_sources: Vec<PoissonSource> = self.sources.iter().map(|s| s.spec.clone()).collect();
        let mut in_group = vec![false; all_sources.len()];
        for group in hawkes {
            for &m in &group.members {
                in_group[m] = true;
            }
            let rng = self.rng_streams.stream(&format!("arrivals/{}", group.name));
            self.hawkes.push(HawkesState::new(group, &all_sources, rng));
        }
        in_group
    }

    /// The first arrival of every source not in a group and of every group, every fault's
    /// start, every change and the first monitor check.
    fn schedule_first(
        &mut self,
        sched: &mut Scheduler<ClusterEvent>,
        in_group: &[bool],
        faults: Vec<Fault>,
        changes: Vec<ScheduledChange>,
    ) {
        let until = self.arrivals_until;
        let drivers = Drivers {
            regime: &self.regime,
            market: self.market.as_deref().map(MarketWorld::path),
        };
        for (i, grouped) in in_group.iter().enumerate() {
            if *grouped {
                continue;
            }
            if let Some(first) = self.sources[i].next_arrival(SimTime::ZERO, until, drivers) {
                sched.schedule_at(first, ClusterEvent::Arrival { source: i as u32 });
            }
        }
        for g in 0..self.hawkes.len() {
            if let Some((first, member)) =
                self.hawkes[g].next_arrival(SimTime::ZERO, until, drivers)
            {
                self.hawkes_next.push(member);
                sched.schedule_at(first, ClusterEvent::HawkesArrival { group: g as u32 });
            } else {
                self.hawkes_next.push(usize::MAX);
            }
        }
        for (i, fault) in faults.into_iter().enumerate() {
            let start = sched.schedule_at(fault.at, ClusterEvent::FaultStart { fault: i as u32 });
            self.fault_keys.push((start, None));
            self.faults.push(fault);
        }
        for (i, change) in changes.into_iter().enumerate() {
            sched.schedule_at(change.at, ClusterEvent::Change { index: i as u32 });
            self.changes.push(change);
        }
        if let Some(m) = self.monitor
            && let Some(first) = SimTime::ZERO.checked_add(m.interval)
            && first <= self.arrivals_until
        {
            sched.schedule_at(first, ClusterEvent::Monitor);
        }
    }
}

/// The run-wide settings a new cluster starts from.
struct Settings {
    metrics_interval: SimDuration,
    selection: SelectionWeights,
    monitor: Option<MonitorConfig>,
    breaker: BreakerConfig,
    max_reroutes: u8,
    arrivals_until: SimTime,
}
