//! What the planner believes about the next horizon, and what an action would change.
//!
//! A shard's load is the sum of its functions' contributions. The contribution of function `f`
//! on shard `s` comes from the work `f` delivered to `s` over the recent window
//! ([`Observation::function_work_ns`]); under a forecast, every contribution on `s` is scaled by
//! `forecast[s] / recent[s]`, so the forecast stays the total and the mix stays the observed one.
//! An action moves contributions between shards, converted by capacity (slots × speed):
//!
//! * **expand** `f` onto `t`: each of `f`'s `n` shards keeps `n/(n+1)` of its part (the key
//!   spread of hash routing is kept), `t` gets the mean part;
//! * **move** `f` from `s` to `t`: `s`'s part goes to `t`;
//! * **shrink** `f` off `s`: `s`'s part spreads over the others in proportion.
//!
//! Benefit is measured in *excess-load minutes*: Σ over shards of `max(0, load − threshold)`,
//! times the minutes of the horizon, before minus after. The realised counterpart is measured the
//! same way on the simulated outcome ([`crate::outcome`]), which is what calibration compares.

use shardsim_sim::SimTime;
use shardsim_sim::cluster::{FunctionId, Observation, ShardId, same_shard_group};

use crate::plan::Action;

/// Per-shard loads and per-function contributions for one planning step.
#[derive(Clone, Debug)]
pub struct LoadPicture {
    /// Expected load per shard over the horizon.
    pub load: Vec<f64>,
    /// `contribution[f][s]`: function `f`'s part of `load[s]`.
    pub contribution: Vec<Vec<f64>>,
    /// Capacity per shard: cpu slots × speed.
    pub capacity: Vec<f64>,
}

impl LoadPicture {
    /// Builds the picture from recent contributions, scaled to `expected` per shard if given.
    pub fn new(
        obs: &Observation<'_>,
        recent: &[Vec<f64>],
        expected: Option<&[f64]>,
    ) -> LoadPicture {
        let shards = obs.topology().shards.len();
        let capacity = obs
            .topology()
            .shards
            .iter()
            .map(|s| f64::from(s.cpu_slots.max(1)) * s.speed)
            .collect();
        let recent_total: Vec<f64> = (0..shards)
            .map(|s| recent.iter().map(|f| f[s]).sum())
            .collect();
        let load = match expected {
            Some(e) => e.iter().map(|x| x.max(0.0)).collect(),
            None => recent_total.clone(),
        };
        let contribution = recent
            .iter()
            .map(|f| {
                (0..shards)
                    .map(|s| {
                        if recent_total[s] > 1e-12 {
                            f[s] * load[s] / recent_total[s]
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        LoadPicture {
            load,
            contribution,
            capacity,
        }
    }

    /// The load changes an action would make, as (shard, Δload) pairs.
    pub fn effect(&self, obs: &Observation<'_>, action: &Action) -> Vec<(ShardId, f64)> {
        let c = &self.contribution[action.function().index()];
        let placement = obs.placement(action.function());
        match *action {
            Action::Expand { to, .. } => {
                let n = placement.len() as f64;
                let work: f64 = placement
                    .iter()
                    .map(|p| c[p.index()] * self.capacity[p.index()])
                    .sum();
                let mut out: Vec<(ShardId, f64)> = placement
                    .iter()
                    .map(|&p| (p, -c[p.index()] / (n + 1.0)))
                    .collect();
                out.push((to, work / (n + 1.0) / self.capacity[to.index()]));
                out
            }
            Action::Move { from, to, .. } => {
                let part = c[from.index()];
                vec![
                    (from, -part),
                    (
                        to,
                        part * self.capacity[from.index()] / self.capacity[to.index()],
                    ),
                ]
            }
            Action::Shrink { shard, .. } => {
                let moved = c[shard.index()] * self.capacity[shard.index()];
                let rest: f64 = placement
                    .iter()
                    .filter(|&&p| p != shard)
                    .map(|p| c[p.index()] * self.capacity[p.index()])
                    .sum();
                let others = placement.iter().filter(|&&p| p != shard).count() as f64;
                let mut out = vec![(shard, -c[shard.index()])];
                for &p in placement.iter().filter(|&&p| p != shard) {
                    // In proportion to the work each already takes (evenly if none does).
                    let share = if rest > 1e-12 {
                        c[p.index()] * self.capacity[p.index()] / rest
                    } else {
                        1.0 / others
                    };
                    out.push((p, moved * share / self.capacity[p.index()]));
                }
                out
            }
        }
    }

    /// Applies an accepted action's effect, so later choices in the same plan see it.
    pub fn commit(&mut self, obs: &Observation<'_>, action: &Action) {
        let f = action.function().index();
        for (s, d) in self.effect(obs, action) {
            self.load[s.index()] = (self.load[s.index()] + d).max(0.0);
            self.contribution[f][s.index()] = (self.contribution[f][s.index()] + d).max(0.0);
        }
    }

    /// Excess-load minutes avoided by `effect` over `minutes` (negative: added).
    pub fn benefit(&self, effect: &[(ShardId, f64)], threshold: f64, minutes: f64) -> f64 {
        let excess = |l: f64| (l - threshold).max(0.0);
        effect
            .iter()
            .map(|&(s, d)| excess(self.load[s.index()]) - excess(self.load[s.index()] + d))
            .sum::<f64>()
            * minutes
    }
}

/// What a placement change costs, in the benefit's unit: the transfer keeps one slot busy on
/// each side (slot-minutes over each shard's slots) plus a fixed `disruption` per action.
pub fn migration_cost(obs: &Observation<'_>, action: &Action, disruption: f64) -> f64 {
    let f = action.function();
    let (from, to) = match *action {
        Action::Move { from, to, .. } => (from, to),
        Action::Expand { to, .. } => (obs.expansion_source(f, to).unwrap_or(to), to),
        Action::Shrink { .. } => return disruption,
    };
    let minutes = obs.transfer_duration(f, from, to).as_secs_f64() / 60.0;
    let topo = obs.topology();
    let slots = |s: ShardId| f64::from(topo.shards[s.index()].cpu_slots.max(1));
    minutes * (1.0 / slots(from) + 1.0 / slots(to)) + disruption
}

/// Whether routing would send `function`'s events to `target` the way it sends them to
/// `like` (a shard of its placement): targets must share the tags its `shard_by` filters on —
/// a primary protocol of `like` for protocol routing, `like`'s risk tier for risk and amount
/// routing, `like`'s region for region routing; key, round-robin and load routing take any
/// shard. Declared isolation binds too: a dedicated target (risk tier, primary, critical
/// hardware) only within `like`'s dedication, unless it is declared lendable
/// ([`ShardTags::may_host_like`](shardsim_sim::cluster::ShardTags::may_host_like)). Also:
/// available, not already placed, and enough memory for one invocation.
pub fn can_host(
    obs: &Observation<'_>,
    function: FunctionId,
    like: ShardId,
    target: ShardId,
) -> bool {
    let view = obs.view();
    let topo = obs.topology();
    let f = obs.function(function);
    let (l, t) = (&topo.shards[like.index()], &topo.shards[target.index()]);
    if obs.placement(function).contains(&target)
        || !view.is_available(target)
        || t.memory_mb < f.spec.resources.memory_mb
        || !t.tags.may_host_like(&l.tags)
    {
        return false;
    }
    same_shard_group(&f.spec.shard_by, l, t)
}

/// Cumulative per-function work at one instant — delivered per shard, and demanded — whose
/// difference between two instants is the recent load a [`LoadPicture`] starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkSnapshot {
    /// When it was taken.
    pub at: SimTime,
    delivered: Vec<Vec<u64>>,
    demanded: Vec<u64>,
}

/// Per function per shard, the load delivered over a window, and the demand that never reached
/// a shard (dropped for want of one, or shed by open circuit breakers) spread evenly over the
/// function's shards: what the shards would have carried.
#[derive(Clone, Debug, PartialEq)]
pub struct RecentLoad {
    /// `delivered[f][s]`: work function `f` delivered to shard `s`, over its capacity.
    pub delivered: Vec<Vec<f64>>,
    /// `unserved[f][s]`: `f`'s undelivered demand attributed to shard `s`, over its capacity.
    pub unserved: Vec<Vec<f64>>,
}

impl RecentLoad {
    /// Delivered plus unserved, per function per shard.
    pub fn demand(&self) -> Vec<Vec<f64>> {
        self.delivered
            .iter()
            .zip(&self.unserved)
            .map(|(d, u)| d.iter().zip(u).map(|(a, b)| a + b).collect())
            .collect()
    }

    /// Per shard, the unserved load attributed to it.
    pub fn unserved_by_shard(&self) -> Vec<f64> {
        let shards = self.unserved.first().map_or(0, Vec::len);
        (0..shards)
            .map(|s| self.unserved.iter().map(|f| f[s]).sum())
            .collect()
    }
}

impl WorkSnapshot {
    /// The cumulative work at the observation's time.
    pub fn take(obs: &Observation<'_>) -> WorkSnapshot {
        let at = obs.now();
        let shards = obs.topology().shard_ids().collect::<Vec<_>>();
        WorkSnapshot {
            at,
            delivered: (0..obs.functions().len())
                .map(|f| {
                    shards
                        .iter()
                        .map(|&s| obs.function_work_ns(FunctionId(f as u32), s))
                        .collect()
                })
                .collect(),
            demanded: obs
                .function_metrics()
                .iter()
                .map(|m| m.demand_work_ns)
                .collect(),
        }
    }

    /// The load between `earlier` and `self`. Functions registered since `earlier` count from
    /// zero; undelivered demand is spread over each function's current placement.
    pub fn load_since(&self, earlier: &WorkSnapshot, obs: &Observation<'_>) -> RecentLoad {
        let span = self
            .at
            .saturating_duration_since(earlier.at)
            .as_nanos()
            .max(1) as f64;
        let shards = &obs.topology().shards;
        let capacity = |s: usize| f64::from(shards[s].cpu_slots.max(1)) * span;
        let mut delivered = Vec::with_capacity(self.delivered.len());
        let mut unserved = Vec::with_capacity(self.delivered.len());
        for (f, now) in self.delivered.iter().enumerate() {
            let mut nominal = 0.0;
            let d: Vec<f64> = now
                .iter()
                .enumerate()
                .map(|(s, &w)| {
                    let work = (w - earlier.delivered.get(f).map_or(0, |v| v[s])) as f64;
                    // Delivered work is at the shard's speed; demand at nominal speed.
                    nominal += work * shards[s].speed;
                    work / capacity(s)
                })
                .collect();
            let asked = (self.demanded[f] - earlier.demanded.get(f).copied().unwrap_or(0)) as f64;
            // Work in the network when a snapshot is taken shows as a small positive or
            // negative difference; only a shortfall beyond it is unserved.
            let missing = (asked - nominal).max(0.0);
            let placement = obs.placement(FunctionId(f as u32));
            let mut u = vec![0.0; now.len()];
            if missing > 0.0 && !placement.is_empty() {
                let each = missing / placement.len() as f64;
                for p in placement {
                    u[p.index()] = each / shards[p.index()].speed / capacity(p.index());
                }
            }
            delivered.push(d);
            unserved.push(u);
        }
        RecentLoad {
            delivered,
            unserved,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use shardsim_sim::cluster::*;
    use shardsim_sim::{SimDuration, testkit};

    use super::*;

    /// Three shards of different sizes and speeds; one function placed on the first two.
    fn cluster() -> shardsim_sim::Simulation<Cluster> {
        let shards = [(4, 1.0), (2, 1.0), (8, 2.0)].into_iter().enumerate();
        let mut c = testkit::config(shards.map(|(i, (slots, speed))| ShardSpec {
            cpu_slots: slots,
            speed,
            memory_mb: 4_096,
            queue_capacity: 10,
            ..testkit::shard(&format!("s{i}"), 0)
        }));
        let f = FunctionSpec {
            shard_by: ShardBy::UserId,
            resources: Resources {
                timeout: SimDuration::from_secs(1),
                ..testkit::function("f").resources
            },
            service: ServiceTime::Constant(SimDuration::from_millis(10)),
            state_bytes: 1e6,
            warmup: SimDuration::from_millis(100),
            ..testkit::function("f")
        };
        c.functions.push((f, vec![ShardId(0), ShardId(1)]));
        c.sources.push(testkit::source("events", 0, 100.0));
        // The shards' region is cut off throughout: every event is dropped for want of a shard.
        c.faults.push(Fault {
            at: SimTime::ZERO,
            duration: SimDuration::from_secs(3_600),
            kind: FaultKind::Partition {
                region: RegionId(0),
            },
        });
        c.arrivals_until = SimTime::ZERO + SimDuration::from_secs(20);
        Cluster::simulation(c, 1, Arc::new(LeastLoaded)).unwrap()
    }

    fn picture(c: &Observation<'_>) -> LoadPicture {
        LoadPicture::new(c, &[vec![0.9, 0.6, 0.0]], None)
    }

    fn work(p: &LoadPicture, effect: &[(ShardId, f64)]) -> f64 {
        effect.iter().map(|&(s, d)| d * p.capacity[s.index()]).sum()
    }

    #[test]
    fn every_action_moves_work_without_creating_or_losing_any() {
        let sim = cluster();
        let c = &sim.model().observe(sim.now());
        let p = picture(c);
        let f = FunctionId(0);
        for action in [
            Action::Expand {
                function: f,
                to: ShardId(2),
            },
            Action::Move {
                function: f,
                from: ShardId(0),
                to: ShardId(2),
            },
            Action::Shrink {
                function: f,
                shard: ShardId(1),
            },
        ] {
            let effect = p.effect(c, &action);
            assert!(work(&p, &effect).abs() < 1e-12, "{action:?}: {effect:?}");
        }
        // An expansion keeps each shard's share of the keys: n/(n+1) of what it had.
        let e = p.effect(
            c,
            &Action::Expand {
                function: f,
                to: ShardId(2),
            },
        );
        assert!((e[0].1 + 0.3).abs() < 1e-12 && (e[1].1 + 0.2).abs() < 1e-12);
    }

    #[test]
    fn benefit_counts_only_load_above_the_threshold() {
        let sim = cluster();
        let c = &sim.model().observe(sim.now());
        let p = picture(c);
        let expand = Action::Expand {
            function: FunctionId(0),
            to: ShardId(2),
        };
        let effect = p.effect(c, &expand);
        // s0 goes from 0.9 to 0.6 and s1 from 0.6 to 0.4: only s0's 0.1 above 0.8 counts.
        assert!((p.benefit(&effect, 0.8, 15.0) - 1.5).abs() < 1e-9);
        assert_eq!(p.benefit(&effect, 0.95, 15.0), 0.0);
        let mut after = p.clone();
        after.commit(c, &expand);
        // Work 0.9·4 + 0.6·2 = 4.8 slot-units over three shards: 1.6 on s2's 16 units.
        assert!((after.load[2] - 0.1).abs() < 1e-12);
    }

    #[test]
    fn demand_that_reaches_no_shard_is_spread_over_the_placement() {
        let mut sim = cluster();
        let start = WorkSnapshot::take(&sim.model().observe(sim.now()));
        sim.run_until(SimTime::ZERO + SimDuration::from_secs(10));
        let end = WorkSnapshot::take(&sim.model().observe(sim.now()));
        let load = end.load_since(&start, &sim.model().observe(sim.now()));
        // 100 events/s × 10 ms × 1 slot, none delivered (their region is cut off): half of the
        // 1 slot-second per second on each of s0 (4 slots) and s1 (2 slots).
        let demand = load.demand();
        assert!(load.delivered[0].iter().all(|&d| d == 0.0));
        assert!((demand[0][0] - 0.125).abs() < 0.02, "{demand:?}");
        assert!((demand[0][1] - 0.25).abs() < 0.04, "{demand:?}");
        assert_eq!(demand[0][2], 0.0);
        assert_eq!(load.unserved_by_shard()[0], demand[0][0]);
    }
}
