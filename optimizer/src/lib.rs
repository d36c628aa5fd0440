//! # shardsim-optimizer: migration planning
//!
//! This crate will turn load forecasts into pre-emptive migration plans and score each plan by
//! forking the simulation (see `ARCHITECTURE.md`). It depends on `model` and has no public items
//! yet: the planner is tracked as its own issue and lands here whole.
#![warn(missing_docs)]

pub use shardsim_model as model;
