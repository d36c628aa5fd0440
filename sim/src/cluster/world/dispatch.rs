//! Arrivals, choosing the function, routing (with failover to the general pool) and re-routing.

use rand::RngExt;

use crate::cluster::arrivals::Drivers;

use crate::cluster::event::DomainEvent;
use crate::cluster::ids::{EventTypeId, ExchangeId, FunctionId, InvocationId, RegionId, ShardId};
use crate::cluster::metrics::records::{DropReason, FailReason};
use crate::cluster::routing::RouteRequest;
use crate::cluster::routing::RoutingPolicy;
use crate::cluster::routing::balancers::LeastLoaded;
use crate::cluster::state::books::End;
use crate::cluster::state::invocation::{InvState, Invocation};
use crate::cluster::view::ClusterView;
use crate::cluster::world::market::MarketWorld;
use crate::cluster::world::{Cluster, ClusterEvent};
use crate::engine::Scheduler;
use crate::time::{SimDuration, SimTime};

impl Cluster {
    pub(super) fn on_arrival(&mut self, source: u32, sched: &mut Scheduler<ClusterEvent>) {
        let now = sched.now();
        let drivers = Drivers {
            regime: &self.regime,
            market: self.market.as_deref().map(MarketWorld::path),
        };
        let src = &mut self.sources[source as usize];
        if let Some(next) = src.next_arrival(now, self.arrivals_until, drivers) {
            sched.schedule_at(next, ClusterEvent::Arrival { source });
        }
        let event = src.next_event();
        self.observe_market(&event, now);
        self.dispatch(event, now, sched);
    }

    pub(super) fn on_hawkes_arrival(&mut self, group: u32, sched: &mut Scheduler<ClusterEvent>) {
        let now = sched.now();
        let g = group as usize;
        let member = self.hawkes_next[g];
        let event = self.hawkes[g].event(member);
        let drivers = Drivers {
            regime: &self.regime,
            market: self.market.as_deref().map(MarketWorld::path),
        };
        match self.hawkes[g].next_arrival(now, self.arrivals_until, drivers) {
            Some((next, m)) => {
                self.hawkes_next[g] = m;
                sched.schedule_at(next, ClusterEvent::HawkesArrival { group });
            }
            None => self.hawkes_next[g] = usize::MAX,
        }
        self.observe_market(&event, now);
        self.dispatch(event, now, sched);
    }

    /// The function that handles an event type: the only active one, or, when several are
    /// active, the best by the composite score of [`SelectionWeights`] (ties: registration order).
    pub(super) fn function_for(&self, event_type: EventTypeId, now: SimTime) -> Option<FunctionId> {
        let handlers = self.by_event_type.get(event_type.index())?;
        let mut active = handlers
            .iter()
            .copied()
            .filter(|f| self.functions[f.index()].active);
        let first = active.next()?;
        if active.next().is_none() {
            return Some(first);
        }
        let view = self.view(now);
        let w = self.selection;
        let score = |f: FunctionId| {
            let placement = &self.placements[f.index()];
            let n = placement.len().max(1) as f64;
            let (mut load, mut free, mut slots, mut affinity) = (0.0, 0u32, 0u32, 0.0);
            for &s in placement {
                load += view.load(s).min(1.0);
                free += view.free_slots(s);
                slots += view.spec(s).cpu_slots;
                affinity += view.history(s, f).map_or(0.5, |h| h.success_rate);
            }
            let priority = f64::from(self.functions[f.index()].spec.resources.priority as u8) / 3.0;
            w.load * (1.0 - load / n)
                + w.resources * f64::from(free) / f64::from(slots.max(1))
                + w.priority * priority
                + w.affinity * affinity / n
        };
        let mut best: Option<(f64, FunctionId)> = None;
        for &f in handlers {
            if self.functions[f.index()].active {
                let v = score(f);
                if best.is_none_or(|(b, _)| v > b) {
                    best = Some((v, f));
                }
            }
        }
        best.map(|(_, f)| f)
    }

    /// Creates an invocation for an event and routes it from its exchange.
    pub fn dispatch(
        &mut self,
        event: DomainEvent,
        now: SimTime,
        sched: &mut Scheduler<ClusterEvent>,
    ) {
        self.dispatch_from(event, None, now, sched);
    }

    /// Counts an event from `exchange` for function `f` (what [`Cluster::observed_origins`]
    /// reports).
    #[inline]
    fn count_origin(&mut self, f: FunctionId, exchange: ExchangeId) {
        let home = self.topology.exchanges[exchange.index()].home;
        self.origin_counts[f.index()][home.index()] += 1;
    }

    /// Creates an invocation for an event entering the network at `origin` (a region), or at its
    /// exchange's home region when `None`.
    pub(super) fn dispatch_from(
        &mut self,
        event: DomainEvent,
        origin: Option<RegionId>,
        now: SimTime,
        sched: &mut Scheduler<ClusterEvent>,
    ) {
        let Some(f) = self.function_for(event.event_type, now) else {
            self.books.end_unhandled();
            return;
        };
        if origin.is_none() {
            self.count_origin(f, event.exchange);
        }
        let func = &self.functions[f.index()];
        let rng = &mut self.function_streams[f.index()];
        let mut base = func.sampler.sample(rng);
        let mut version = 0;
        if !func.version_cdf.is_empty() {
            version = func.version_for(rng.random_range(0..100));
            base = (base as f64 * func.spec.versions[version as usize].service_scale) as u64;
        }
        let mut emit_mask = 0u8;
        for (i, e) in func.spec.emits.iter().enumerate() {
            let u: f64 = rng.random();
            emit_mask |= u8::from(u < e.probability) << i;
        }
        let r = func.spec.resources;
        let inv = Invocation {
            event,
            function: f,
            arrived: now,
            deadline: now + r.timeout,
            base_service_ns: base,
            shard: ShardId(0),
            slots: r.cpu.slots(),
            memory_mb: r.memory_mb,
            priority: r.priority,
            reroutes: 0,
            state: InvState::InNetwork,
            times_out: false,
            run_ns: 0,
            started: now,
            emit_mask,
            running_index: 0,
            finish: None,
        };
        let interval = self.books.interval_index(now);
        let fm = &mut self.books.function_metrics[f.index()];
        fm.invocations += 1;
        fm.record_demand(interval, base * u64::from(r.cpu.slots()));
        fm.by_version[version as usize] += 1;
        let id = self.books.alloc(inv);
        let (origin, extra) = match origin {
            Some(region) => (region, SimDuration::ZERO),
            None => (
                self.topology.exchanges[event.exchange.index()].home,
                self.exchange_extra[event.exchange.index()],
            ),
        };
        self.route(id, origin, extra, now, sched);
    }

    pub(super) fn route(
        &mut self,
        id: InvocationId,
        from: RegionId,
        extra: SimDuration,
        now: SimTime,
        sched: &mut Scheduler<ClusterEvent>,
    ) {
        let inv = &self.books.invocations[id.index()];
        let f = inv.function;
        let sequence = self.route_sequence[f.index()];
        self.route_sequence[f.index()] += 1;
        // Shards the performance monitor demoted are offered only if nothing else is available.
        let mut scratch = std::mem::take(&mut self.candidate_scratch);
        let demoted = &self.demotions[f.index()];
        let placement = &self.placements[f.index()];
        let candidates: &[ShardId] = if demoted.is_empty() {
            placement
        } else {
            scratch.clear();
            scratch.extend(
                placement
                    .iter()
                    .copied()
                    .filter(|s| !demoted.iter().any(|(d, until)| d == s && now < *until)),
            );
            let view = self.view(now);
            if scratch.iter().any(|&s| view.is_available(s)) {
                &scratch
            } else {
                placement
            }
        };
        let request = RouteRequest {
            event: &inv.event,
            function: f,
            declaration: &self.functions[f.index()],
            candidates,
            sequence,
            origin: from,
        };
        let view = ClusterView {
            now,
            topology: &self.topology,
            live: &self.live,
            shards: &self.shards,
            functions: &self.functions,
            placements: &self.placements,
        };
        let policy = self.function_routing[f.index()]
            .as_ref()
            .unwrap_or(&self.routing);
        let decision = match policy.select(&request, &view, &mut self.streams.routing) {
            Ok(route) => Some((route.shard, route.degraded, false)),
            // Resilience: when a policy finds nothing, fail over to the general pool.
            Err(_) => LeastLoaded
                .select(
                    &RouteRequest {
                        candidates: &self.general_pool,
                        ..request
                    },
                    &view,
                    &mut self.streams.routing,
                )
                .ok()
                .map(|r| (r.shard, false, true)),
        };
        self.candidate_scratch = scratch;
        match decision {
            Some((shard, degraded, failover)) => {
                if degraded || failover {
                    self.advance_meter(shard, now);
                    let c = &mut self.shards[shard.index()].series.counters;
                    c.degraded_routes += u64::from(degraded);
                    c.failovers += u64::from(failover);
                }
                let region = self.topology.shards[shard.index()].region;
                let delay = self
                    .topology
                    .network
                    .one_way(from, region, &mut self.streams.jitter)
                    + extra;
                let inv = &mut self.books.invocations[id.index()];
                inv.shard = shard;
                inv.state = InvState::InNetwork;
                self.shards[shard.index()].in_transit_slots += inv.slots;
                self.refresh_live(shard);
                sched.schedule_in(delay, ClusterEvent::Deliver { inv: id });
            }
            None => self.end_dropped(id, None, DropReason::NoShard, now),
        }
    }

    pub(super) fn reroute(
        &mut self,
        id: InvocationId,
        from_shard: ShardId,
        now: SimTime,
        sched: &mut Scheduler<ClusterEvent>,
    ) {
        self.advance_meter(from_shard, now);
        self.shards[from_shard.index()].series.counters.rerouted += 1;
        let inv = &mut self.books.invocations[id.index()];
        inv.reroutes += 1;
        if inv.reroutes > self.max_reroutes {
            let series = &mut self.shards[from_shard.index()].series;
            let end = End::Failed(FailReason::RerouteLimit);
            self.books.end(id, end, now, Some((from_shard, series)));
            return;
        }
        let region = self.topology.shards[from_shard.index()].region;
        self.route(id, region, SimDuration::ZERO, now, sched);
    }

    pub(super) fn end_dropped(
        &mut self,
        id: InvocationId,
        shard: Option<ShardId>,
        why: DropReason,
        now: SimTime,
    ) {
        let shard = shard.map(|s| (s, &mut self.shards[s.index()].series));
        self.books.end(id, End::Dropped(why), now, shard);
    }
}
