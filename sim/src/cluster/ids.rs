//! Typed ids and the name interner.
//!
//! Components live in `Vec`s and are addressed by these ids; names (regions, protocols, event
//! types) are interned once so the hot path compares integers, never strings.

use std::collections::BTreeMap;
use std::fmt;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub $inner);

        impl $name {
            /// The id as an index into its component `Vec`.
            #[inline]
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

typed_id!(
    /// A region of the topology.
    RegionId(u16)
);
typed_id!(
    /// A shard (one compute node with cpu slots and a queue).
    ShardId(u32)
);
typed_id!(
    /// An exchange that emits events.
    ExchangeId(u16)
);
typed_id!(
    /// A declared function.
    FunctionId(u32)
);
typed_id!(
    /// An interned protocol name (e.g. `uniswap`).
    ProtocolId(u16)
);
typed_id!(
    /// An interned event type (e.g. `price_update`).
    EventTypeId(u16)
);
typed_id!(
    /// An invocation in flight (a slot in the cluster's invocation slab; reused after it ends).
    InvocationId(u32)
);

/// Interns names to dense ids: `intern` is idempotent and ids are assigned in first-seen order,
/// so the same scenario always gives the same ids.
#[derive(Clone, Debug, Default)]
pub struct Interner {
    by_name: BTreeMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    /// The id for `name`, assigning the next one if it is new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.by_name.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.by_name.insert(name.to_owned(), id);
        id
    }

    /// The id of `name`, if it has been interned.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.by_name.get(name).copied()
    }

    /// The name behind `id`.
    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    /// Number of names interned.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether nothing has been interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_idempotent_and_dense() {
        let mut i = Interner::default();
        assert_eq!(i.intern("uniswap"), 0);
        assert_eq!(i.intern("aave"), 1);
        assert_eq!(i.intern("uniswap"), 0);
        assert_eq!(i.name(1), "aave");
        assert_eq!(i.get("curve"), None);
        assert_eq!(i.len(), 2);
    }
}
