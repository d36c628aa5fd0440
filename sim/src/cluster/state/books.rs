//! The books every invocation is counted in.

/// Totals that must balance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Conservation {
    /// Invocations created (one per arrival).
    pub generated: u64,
    /// Completed in time.
    pub completed: u64,
    /// Past their timeout.
    pub timed_out: u64,
    /// Failed, by [`FailReason`] (crash, reroute limit).
    pub failed: [u64; 2],
    /// Dropped, by [`DropReason`] (no function, no shard, queue full).
    pub dropped: [u64; 3],
    /// Still travelling to a shard.
    pub in_network: u64,
    /// Waiting in a shard queue.
    pub queued: u64,
    /// Running.
    pub running: u64,
}

impl Conservation {
    /// Invocations that have ended.
    pub fn ended(&self) -> u64 {
        self.completed
            + self.timed_out
            + self.failed.iter().sum::<u64>()
            + self.dropped.iter().sum::<u64>()
    }
    /// Invocations not yet ended.
    pub fn in_flight(&self) -> u64 {
        self.in_network + self.queued + self.running
    }
    /// Total failed.
    pub fn failed_total(&self) -> u64 {
        self.failed.iter().sum()
    }
    /// Total dropped.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }
}
