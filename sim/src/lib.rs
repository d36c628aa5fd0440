//! # shardsim-sim: a deterministic discrete-event engine
//!
//! This crate is the bottom layer of shardsim. It knows nothing about clusters or trading; it
//! moves a clock through a queue of events and hands each one to a model.
//!
//! ```text
//!   Simulation<M>
//!   ┌──────────────────────────────────────────────────────────┐
//!   │  EventQueue: (time, seq) ──▶ Event    (binary min-heap)  │
//!   │        │ earliest                        ▲               │
//!   │        ▼                                 │ schedule/cancel│
//!   │  clock := time ──▶ M::handle(event, &mut Scheduler) ──┘   │
//!   └──────────────────────────────────────────────────────────┘
//!   randomness: RngStreams(master seed).stream("name") ─▶ ChaCha8 stream per purpose
//! ```
//!
//! ## The rules that make a run reproducible
//!
//! * **Integer time.** [`SimTime`] and [`SimDuration`] are nanoseconds in a `u64`; seconds as
//!   `f64` appear only at the edges.
//! * **Total order.** Events are ordered by (time, seq), where `seq` counts schedulings, so events
//!   due at the same time run in the order they were scheduled.
//! * **Named random streams.** All randomness comes from [`rng::RngStreams`]: one ChaCha8 stream per
//!   purpose, keyed by (master seed, stable name). Adding a stream never shifts another's numbers.
//! * **Forkable state.** A [`Simulation`] is `Clone` when its model is; a fork run on behaves
//!   exactly like the original.
//! * **No hidden inputs.** No wall clock, no `HashMap` iteration, no thread-local RNG: `clippy.toml`
//!   at the workspace root forbids them in this crate.
//!
//! ## A first model
//!
//! A model is a struct with a closed `enum` of events. This one is a ping-pong between two
//! players; each hit takes 150 ms and the game stops after four hits.
//!
//! ```
//! use shardsim_sim::{Model, Scheduler, SimDuration, SimTime, Simulation};
//!
//! #[derive(Clone, Copy, Debug)]
//! enum Rally {
//!     Hit { by: usize, hits: u32 },
//! }
//!
//! #[derive(Clone, Default)]
//! struct Table {
//!     hits_per_player: [u32; 2],
//! }
//!
//! impl Model for Table {
//!     type Event = Rally;
//!     fn handle(&mut self, event: Rally, s: &mut Scheduler<Rally>) {
//!         let Rally::Hit { by, hits } = event;
//!         self.hits_per_player[by] += 1;
//!         if hits < 4 {
//!             s.schedule_in(SimDuration::from_millis(150), Rally::Hit { by: 1 - by, hits: hits + 1 });
//!         }
//!     }
//! }
//!
//! let mut sim = Simulation::new(Table::default());
//! sim.schedule_at(SimTime::ZERO, Rally::Hit { by: 0, hits: 1 });
//!
//! // Fork mid-game: both copies finish the same way.
//! sim.run_events(2);
//! let mut fork = sim.clone();
//! sim.run_to_completion();
//! fork.run_to_completion();
//!
//! assert_eq!(sim.model().hits_per_player, [2, 2]);
//! assert_eq!(fork.model().hits_per_player, sim.model().hits_per_player);
//! assert_eq!(sim.now(), SimTime::ZERO + SimDuration::from_millis(450));
//! ```
//!
//! ## Randomness
//!
//! Models own the streams they need, created once from the run's [`rng::RngStreams`]:
//!
//! ```
//! use rand::RngExt;
//! use shardsim_sim::rng::RngStreams;
//!
//! let streams = RngStreams::new(2026);
//! let mut arrivals = streams.stream("arrivals/binance");
//! let gap_ms: u32 = arrivals.random_range(1..=10);
//! assert!((1..=10).contains(&gap_ms));
//! ```
//!
//! ## The cluster
//!
//! [`cluster`] is the simulated cluster built on this engine: declared data (`spec/`), arrival
//! processes, state, routing policies, metrics and the `Cluster` model itself, split by pipeline
//! stage; its module documentation has the layout and a first run. [`testkit`] has small
//! declarations with defaults for tests and benches.
//!
//! ## PHOLD
//!
//! [`phold`] is the standard synthetic benchmark, used to measure the engine against a bare
//! binary-heap loop (`shardsim bench phold`).
#![warn(missing_docs)]

pub mod cluster;
mod engine;
pub mod hash;
pub mod phold;
pub mod queue;
pub mod rng;
pub mod testkit;
mod time;
pub mod trace;

pub use engine::{Fired, Model, Scheduler, Simulation};
pub use queue::{EventKey, EventQueue};
pub use time::{SimDuration, SimTime};
