//! Metrics: per shard per interval, per function, and the cluster-wide logs.
//!
//! Shard counters are **cumulative** — each interval's row holds the totals since the start — so
//! any coarser interval is the difference of two rows, exactly. Latencies go into a log-linear
//! histogram (4 buckets per power of two, ≤ 12.5% relative error from the bucket midpoint) whose
//! per-interval counts are stored sparsely and merge by addition. Memory is proportional to
//! shards × intervals, never to events.
//!
//! Intervals roll over lazily: a meter closes every interval that ended before the time of the
//! state change it is about to record, using the state as it stood. There are no tick events, so
//! the metrics interval cannot change the order in which the simulation handles anything.

pub mod function;
pub mod histogram;
pub mod market_feed;
pub mod records;
pub mod shard;
