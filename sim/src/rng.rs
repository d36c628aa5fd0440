//! Seeded randomness: one master seed, one independent ChaCha8 stream per purpose.
//!
//! Every stream is keyed by the master seed and selected by the stable hash of a name such as
//! `"arrivals/binance"` or `"service/risk-check"`. Because a stream's numbers depend only on
//! (seed, name), adding a new stream — a new exchange, a new fault injector — never shifts the
//! numbers any existing stream produces. This is what lets two runs that differ only in their
//! routing policy see exactly the same arrivals (common random numbers).
//!
//! ```
//! use rand::RngExt;
//! use shardsim_sim::rng::RngStreams;
//!
//! let streams = RngStreams::new(42);
//! let a1: u64 = streams.stream("arrivals/binance").random();
//! let _unrelated: u64 = streams.stream("faults").random();
//! let a2: u64 = streams.stream("arrivals/binance").random();
//! assert_eq!(a1, a2); // same (seed, name), same numbers, whatever else was drawn
//! assert_ne!(a1, streams.stream("arrivals/okx").random::<u64>());
//! ```

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::hash::{StableHasher, stable_hash};
use std::hash::Hasher;

/// The random number generator behind every stream.
pub type SimRng = ChaCha8Rng;

/// The factory for a run's named random streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RngStreams {
    master_seed: u64,
}

impl RngStreams {
    /// Streams for one run, from its master seed.
    pub const fn new(master_seed: u64) -> Self {
        RngStreams { master_seed }
    }

    /// The master seed these streams derive from.
    pub const fn master_seed(&self) -> u64 {
        self.master_seed
    }

    /// The stream for `name`. Calling this twice gives two generators at the same position.
    pub fn stream(&self, name: &str) -> SimRng {
        self.stream_by_id(stable_hash(name.as_bytes()))
    }

    /// The stream for `name` and an index, e.g. one per shard: `stream_indexed("service", 7)`.
    pub fn stream_indexed(&self, name: &str, index: u64) -> SimRng {
        let mut h = StableHasher::new();
        h.write(name.as_bytes());
        h.write_u8(0xff); // separator: ("ab", 1) and ("a", …) can never collide by concatenation
        h.write_u64(index);
        self.stream_by_id(h.finish())
    }

    fn stream_by_id(&self, stream_id: u64) -> SimRng {
        let mut rng = ChaCha8Rng::from_seed(expand_seed(self.master_seed));
        // ChaCha's 64-bit stream parameter gives 2^64 independent sequences under one key.
        rng.set_stream(stream_id);
        rng
    }
}

/// SplitMix64 expansion of the 64-bit master seed into a 256-bit ChaCha key, so that nearby
/// seeds (1, 2, 3…) still give unrelated keys.
fn expand_seed(seed: u64) -> [u8; 32] {
    let mut state = seed;
    let mut key = [0u8; 32];
    for chunk in key.chunks_exact_mut(8) {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes());
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    fn first_words(mut rng: SimRng) -> [u64; 4] {
        std::array::from_fn(|_| rng.random())
    }

    #[test]
    fn same_seed_and_name_give_same_numbers() {
        let s = RngStreams::new(7);
        assert_eq!(first_words(s.stream("x")), first_words(s.stream("x")));
    }

    #[test]
    fn names_indices_and_seeds_separate_streams() {
        let s = RngStreams::new(7);
        assert_ne!(first_words(s.stream("x")), first_words(s.stream("y")));
        assert_ne!(
            first_words(s.stream_indexed("x", 0)),
            first_words(s.stream_indexed("x", 1))
        );
        assert_ne!(
            first_words(s.stream("x")),
            first_words(RngStreams::new(8).stream("x"))
        );
    }

    #[test]
    fn stream_values_are_pinned() {
        // Golden value: if this changes, every seeded result of every user changes with it
        // (a rand_chacha upgrade or a change to the derivation). That needs a release note.
        let w = first_words(RngStreams::new(1).stream("golden"))[0];
        assert_eq!(
            w, GOLDEN_FIRST_WORD,
            "stream derivation changed: got {w:#018x}"
        );
    }

    const GOLDEN_FIRST_WORD: u64 = 0xe17b_e1af_ae26_9522;
}
