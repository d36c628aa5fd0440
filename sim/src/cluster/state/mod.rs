//! The cluster's mutable state as plain data: invocations, shards, the books.

pub mod books;
pub mod invocation;
pub mod shard;
