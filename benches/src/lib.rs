//! Criterion benchmarks for shardsim live in `benches/`; this library only holds what they share.
//!
//! Run them with `cargo bench -p shardsim-benches`; the README's test command runs them once each
//! in test mode (`cargo bench -- --test`) so that they cannot rot.
#![warn(missing_docs)]

/// Pending-event populations the engine benchmarks sweep: 1k, 10k and 100k, each as LPs × 10.
pub const PHOLD_POPULATIONS: [(u32, u32); 3] = [(100, 10), (1_000, 10), (10_000, 10)];
