//! # shardsim-model: load forecasting
//!
//! This crate will turn the simulator's per-shard metrics into features, train regression models
//! and forecast every shard's offered load 15 minutes ahead (see `ARCHITECTURE.md`). It sits
//! between `sim` and `optimizer` in the dependency chain and has no public items yet: the
//! forecaster is tracked as its own issue and lands here whole.
#![warn(missing_docs)]

pub use shardsim_sim as sim;
