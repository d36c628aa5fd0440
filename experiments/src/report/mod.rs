//! What results say, as figures and text: the run summary with its load-distribution check and
//! diagnosis, the policy comparison table, and the statistics behind them.

pub mod comparison;
pub mod stats;
pub mod summary;
