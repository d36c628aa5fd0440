//! PHOLD, the standard discrete-event benchmark, as a model on the engine.
//!
//! `L` logical processes (LPs) start with `P` pending events each. Handling an event increments its
//! LP's counter and schedules one new event at an LP chosen uniformly at random, after an Exp(1)
//! delay (one time unit is one simulated second). The population of pending events stays `L × P`,
//! so PHOLD measures the cost of the event set and the engine around it, not of a model.
//!
//! [`BareHeapPhold`] runs the same process as a bare `std::collections::BinaryHeap` pop/push
//! loop drawing the same random numbers in the same order, so it must end with the same counters:
//! benchmarks report the engine's speed as a ratio to it, and tests compare their checksums.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hash::Hasher;

use rand::RngExt;
use rand_distr::Exp1;

use crate::engine::{Model, Scheduler, Simulation};
use crate::hash::StableHasher;
use crate::rng::{RngStreams, SimRng};
use crate::time::{SimDuration, SimTime};

/// The PHOLD settings, validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PholdConfig {
    lps: u32,
    pending_per_lp: u32,
    seed: u64,
}

/// A PHOLD setting that cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PholdConfigError {
    /// Fewer than one logical process.
    #[error("lps must be at least 1 (got {0})")]
    NoLps(u32),
    /// Fewer than one pending event per process.
    #[error("pop (pending events per LP) must be at least 1 (got {0})")]
    NoPopulation(u32),
    /// More pending events than a heap on this machine should hold.
    #[error("lps × pop = {0} pending events is more than the supported 100,000,000")]
    TooLarge(u64),
}

impl PholdConfig {
    /// Checks and builds a configuration.
    pub fn new(lps: u32, pending_per_lp: u32, seed: u64) -> Result<Self, PholdConfigError> {
        if lps == 0 {
            return Err(PholdConfigError::NoLps(lps));
        }
        if pending_per_lp == 0 {
            return Err(PholdConfigError::NoPopulation(pending_per_lp));
        }
        let total = u64::from(lps) * u64::from(pending_per_lp);
        if total > 100_000_000 {
            return Err(PholdConfigError::TooLarge(total));
        }
        Ok(PholdConfig {
            lps,
            pending_per_lp,
            seed,
        })
    }

    /// Logical processes.
    pub fn lps(&self) -> u32 {
        self.lps
    }
    /// Pending events per logical process.
    pub fn pending_per_lp(&self) -> u32 {
        self.pending_per_lp
    }
    /// Total pending events (`lps × pending_per_lp`).
    pub fn population(&self) -> usize {
        self.lps as usize * self.pending_per_lp as usize
    }
    /// Master seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    fn rng(&self) -> SimRng {
        RngStreams::new(self.seed).stream("phold")
    }

    /// Initial events, in the order both implementations schedule them: LP by LP.
    fn initial_events(&self, rng: &mut SimRng) -> impl Iterator<Item = (SimTime, u32)> {
        let lps = self.lps;
        let per_lp = self.pending_per_lp;
        let mut out = Vec::with_capacity(self.population());
        for lp in 0..lps {
            for _ in 0..per_lp {
                out.push((SimTime::ZERO + exp1_delay(rng), lp));
            }
        }
        out.into_iter()
    }
}

/// An Exp(1) delay in units of one simulated second.
#[inline]
fn exp1_delay(rng: &mut SimRng) -> SimDuration {
    let x: f64 = rng.sample(Exp1);
    SimDuration::from_secs_f64(x)
}

/// The PHOLD event: "this LP handles one event".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PholdEvent {
    /// The logical process the event is for.
    pub lp: u32,
}

/// The PHOLD model: one counter per LP and the stream the routing and delays come from.
#[derive(Clone, Debug)]
pub struct Phold {
    counters: Vec<u64>,
    rng: SimRng,
}

impl Phold {
    /// A simulation with every initial event scheduled.
    pub fn simulation(config: PholdConfig) -> Simulation<Phold> {
        let mut rng = config.rng();
        let initial: Vec<_> = config.initial_events(&mut rng).collect();
        let mut sim = Simulation::new(Phold {
            counters: vec![0; config.lps as usize],
            rng,
        });
        for (time, lp) in initial {
            sim.schedule_at(time, PholdEvent { lp });
        }
        sim
    }

    /// Events handled by each LP.
    pub fn counters(&self) -> &[u64] {
        &self.counters
    }

    /// The checksum over the per-LP counters (see [`counters_checksum`]).
    pub fn checksum(&self) -> u64 {
        counters_checksum(&self.counters)
    }
}

impl crate::trace::DescribeEvent for Phold {
    fn describe(&self, event: &PholdEvent) -> String {
        format!("PHOLD event at LP {}", event.lp)
    }
}

impl Model for Phold {
    type Event = PholdEvent;

    #[inline]
    fn handle(&mut self, event: PholdEvent, scheduler: &mut Scheduler<PholdEvent>) {
        self.counters[event.lp as usize] += 1;
        let lps = self.counters.len() as u32;
        let target = self.rng.random_range(0..lps);
        let delay = exp1_delay(&mut self.rng);
        scheduler.schedule_in(delay, PholdEvent { lp: target });
    }
}

/// Stable hash of per-LP counters: changes if any event went to a different LP or went missing.
pub fn counters_checksum(counters: &[u64]) -> u64 {
    let mut h = StableHasher::new();
    for &c in counters {
        h.write_u64(c);
    }
    h.finish()
}

/// PHOLD as a bare `BinaryHeap` pop/push loop, the speed reference for the engine.
///
/// Entries are `Reverse((time, seq, lp))`: the same ordering and the same random draws as the
/// engine model, so after the same number of events the counters are identical. `Clone` so that a
/// benchmark can time runs from a prepared state without timing the preparation.
#[derive(Clone, Debug)]
pub struct BareHeapPhold {
    heap: BinaryHeap<Reverse<(u64, u64, u32)>>,
    rng: SimRng,
    counters: Vec<u64>,
    next_seq: u64,
    now: u64,
}

impl BareHeapPhold {
    /// The reference with every initial event scheduled.
    pub fn new(config: PholdConfig) -> Self {
        let mut rng = config.rng();
        let mut heap = BinaryHeap::with_capacity(config.population());
        let mut next_seq = 0u64;
        for (time, lp) in config.initial_events(&mut rng) {
            heap.push(Reverse((time.as_nanos(), next_seq, lp)));
            next_seq += 1;
        }
        BareHeapPhold {
            heap,
            rng,
            counters: vec![0; config.lps as usize],
            next_seq,
            now: 0,
        }
    }

    /// Handles `events` events.
    pub fn run(&mut self, events: u64) {
        let lps = self.counters.len() as u32;
        for _ in 0..events {
            let Some(Reverse((time, _, lp))) = self.heap.pop() else {
                break;
            };
            self.now = time;
            self.counters[lp as usize] += 1;
            let target = self.rng.random_range(0..lps);
            let delay = exp1_delay(&mut self.rng);
            self.heap
                .push(Reverse((time + delay.as_nanos(), self.next_seq, target)));
            self.next_seq += 1;
        }
    }

    /// Events handled by each LP.
    pub fn counters(&self) -> &[u64] {
        &self.counters
    }

    /// Time of the last event handled.
    pub fn now(&self) -> SimTime {
        SimTime::from_nanos(self.now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_rejects_empty_settings() {
        assert_eq!(PholdConfig::new(0, 1, 1), Err(PholdConfigError::NoLps(0)));
        assert_eq!(
            PholdConfig::new(1, 0, 1),
            Err(PholdConfigError::NoPopulation(0))
        );
        assert!(matches!(
            PholdConfig::new(100_000, 10_000, 1),
            Err(PholdConfigError::TooLarge(_))
        ));
    }

    #[test]
    fn engine_and_bare_reference_agree_exactly() {
        for (lps, pop, seed) in [(1, 1, 1), (10, 3, 2), (100, 10, 3)] {
            let config = PholdConfig::new(lps, pop, seed).unwrap();
            let mut sim = Phold::simulation(config);
            assert_eq!(sim.run_events(20_000), 20_000);
            let mut reference = BareHeapPhold::new(config);
            reference.run(20_000);
            assert_eq!(sim.model().counters(), reference.counters(), "seed {seed}");
            assert_eq!(sim.now(), reference.now(), "seed {seed}");
        }
    }

    #[test]
    fn every_event_is_counted_and_population_is_constant() {
        let config = PholdConfig::new(50, 4, 9).unwrap();
        let mut sim = Phold::simulation(config);
        sim.run_events(12_345);
        assert_eq!(sim.model().counters().iter().sum::<u64>(), 12_345);
        assert_eq!(sim.pending(), 200);
    }
}
