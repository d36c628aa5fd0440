//! Declared data: everything a scenario fills in before a run, and the checks on it.

pub mod error;
pub mod faults;
pub mod function;
pub mod market;
pub mod settings;
pub mod topology;
pub mod workload;
