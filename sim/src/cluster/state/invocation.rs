//! One invocation: where it is in its life and what it carries.

use crate::cluster::event::DomainEvent;
use crate::cluster::ids::{FunctionId, ShardId};
use crate::cluster::spec::function::Priority;
use crate::queue::EventKey;
use crate::time::SimTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InvState {
    Free,
    InNetwork,
    Queued,
    Running,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Invocation {
    pub(crate) event: DomainEvent,
    pub(crate) function: FunctionId,
    pub(crate) arrived: SimTime,
    pub(crate) deadline: SimTime,
    pub(crate) base_service_ns: u64,
    pub(crate) shard: ShardId,
    pub(crate) slots: u32,
    pub(crate) memory_mb: u32,
    pub(crate) priority: Priority,
    pub(crate) reroutes: u8,
    pub(crate) state: InvState,
    pub(crate) times_out: bool,
    pub(crate) run_ns: u64,
    pub(crate) started: SimTime,
    /// Bit i: emit the function's i-th follow-up event on in-time completion.
    pub(crate) emit_mask: u8,
    pub(crate) running_index: u32,
    pub(crate) finish: Option<EventKey>,
}
