//! Property tests for the engine: whatever the model schedules and cancels, the clock never goes
//! backwards, equal-time events fire in scheduling order, cancelled events never fire, and every
//! event that is not cancelled fires exactly once.

use proptest::prelude::*;
use shardsim_sim::{EventKey, Model, Scheduler, SimDuration, SimTime, Simulation};

/// A scripted model. Node `i` is an event; when it fires it schedules its children (each with its
/// own delay) and may cancel one other node.
#[derive(Clone, Debug)]
struct Script {
    children: Vec<Vec<(u64, usize)>>,
    cancels: Vec<Option<usize>>,
    keys: Vec<Option<EventKey>>,
    fired: Vec<u32>,
    cancelled: Vec<bool>,
    log: Vec<(SimTime, u64, usize)>,
}

impl Model for Script {
    type Event = usize;
    fn handle(&mut self, node: usize, s: &mut Scheduler<usize>) {
        self.fired[node] += 1;
        for &(delay, child) in &self.children[node] {
            self.keys[child] = Some(s.schedule_in(SimDuration::from_nanos(delay), child));
        }
        if let Some(target) = self.cancels[node]
            && let Some(key) = self.keys[target]
        {
            let pending = self.fired[target] == 0 && !self.cancelled[target];
            let accepted = s.cancel(key);
            assert_eq!(
                accepted, pending,
                "cancel of node {target} answered wrongly"
            );
            self.cancelled[target] |= accepted;
        }
    }
}

/// Random scripts: `n` nodes, the first `roots` scheduled up front, every other node the child of
/// an earlier one. Delays are drawn from a tiny set so that equal times are common.
fn script() -> impl Strategy<Value = (Script, Vec<u64>)> {
    (2usize..60, 1usize..5).prop_flat_map(|(n, roots)| {
        let roots = roots.min(n);
        let parents = proptest::collection::vec(any::<prop::sample::Index>(), n);
        let delays = proptest::collection::vec(prop::sample::select(vec![0u64, 0, 1, 2, 5]), n);
        let cancels =
            proptest::collection::vec(prop::option::weighted(0.3, any::<prop::sample::Index>()), n);
        (Just(n), Just(roots), parents, delays, cancels).prop_map(
            |(n, roots, parents, delays, cancels)| {
                let mut children = vec![Vec::new(); n];
                for node in roots..n {
                    let parent = parents[node].index(node);
                    children[parent].push((delays[node], node));
                }
                let script = Script {
                    children,
                    cancels: cancels.iter().map(|c| c.map(|i| i.index(n))).collect(),
                    keys: vec![None; n],
                    fired: vec![0; n],
                    cancelled: vec![false; n],
                    log: Vec::new(),
                };
                (script, delays[..roots].to_vec())
            },
        )
    })
}

proptest! {
    #[test]
    fn engine_invariants_hold((script, root_delays) in script()) {
        let mut sim = Simulation::new(script);
        for (node, &delay) in root_delays.iter().enumerate() {
            let key = sim.schedule_at(SimTime::ZERO + SimDuration::from_nanos(delay), node);
            sim.model_mut().keys[node] = Some(key);
        }
        while let Some(fired) = sim.step() {
            let node = fired.event;
            sim.model_mut().log.push((fired.key.time(), fired.key.seq(), node));
        }
        let m = sim.model();

        // The clock never goes backwards, and equal times come out in scheduling (seq) order.
        for pair in m.log.windows(2) {
            prop_assert!((pair[0].0, pair[0].1) < (pair[1].0, pair[1].1), "out of order: {pair:?}");
        }
        // The clock ends at the last event actually handled: cancelled events never moved it.
        prop_assert_eq!(sim.now(), m.log.last().map_or(SimTime::ZERO, |e| e.0));

        for node in 0..m.fired.len() {
            let scheduled = m.keys[node].is_some();
            if m.cancelled[node] {
                prop_assert_eq!(m.fired[node], 0, "cancelled node {} fired", node);
            } else if scheduled {
                prop_assert_eq!(m.fired[node], 1, "node {} fired {} times", node, m.fired[node]);
            } else {
                prop_assert_eq!(m.fired[node], 0);
            }
        }
        prop_assert_eq!(sim.pending(), 0);
    }
}
