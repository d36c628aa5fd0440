//! A mergeable log-linear latency histogram, exact to within 0.8%.
//!
//! Values are bucketed by their octave (power of two) and, inside it, by 64 equal sub-buckets,
//! so a bucket is at most 1/64 of its lower bound wide and a quantile reported at the bucket's
//! midpoint is within 1/128 (0.78%) of the true value. Why this layout and not `hdrhistogram`:
//! the same resolution, no dependency, and a dense window over the buckets in use that recording
//! indexes with one bounds check on a hot path that runs once per completed invocation; draining,
//! merging and quantiles touch only that window (a few hundred buckets for latencies spanning a
//! few octaves). Measured in the issue-17 closing note and
//! `docs/design-notes.md`.

use crate::time::SimDuration;

const SUB_BUCKETS_LOG2: u32 = 6;
const SUB_BUCKETS: u32 = 1 << SUB_BUCKETS_LOG2;
/// Values below 2^10 ns (≈ 1 µs) share bucket 0.
const MIN_EXPONENT: u32 = 10;
/// Number of histogram buckets: bucket 0 plus 64 per octave from 2^10 to 2^64 ns.
pub const BUCKETS: usize = 1 + ((64 - MIN_EXPONENT) * SUB_BUCKETS) as usize;
/// The largest relative error of a reported quantile, for values of at least 2^10 ns: half a
/// bucket's width over its lower bound.
pub const RELATIVE_ERROR: f64 = 0.5 / SUB_BUCKETS as f64;

/// A non-empty bucket of a closed interval: (bucket index, count). Four bytes, because a run
/// keeps one per bucket in use per shard per interval (the larger part of a long run's memory);
/// a count above `u16::MAX` is stored as several entries for the same bucket.
pub type SparseEntry = (u16, u16);

#[inline]
fn bucket_of(nanos: u64) -> usize {
    if nanos < (1 << MIN_EXPONENT) {
        return 0;
    }
    let e = 63 - nanos.leading_zeros();
    let sub = (nanos >> (e - SUB_BUCKETS_LOG2)) & u64::from(SUB_BUCKETS - 1);
    1 + ((e - MIN_EXPONENT) * SUB_BUCKETS) as usize + sub as usize
}

/// The midpoint of a bucket, in nanoseconds: what a quantile in that bucket reports.
fn bucket_midpoint(bucket: usize) -> f64 {
    if bucket == 0 {
        return (1u64 << (MIN_EXPONENT - 1)) as f64;
    }
    let i = (bucket - 1) as u32;
    let e = i / SUB_BUCKETS + MIN_EXPONENT;
    let sub = u64::from(i % SUB_BUCKETS);
    let width = 1u64 << (e - SUB_BUCKETS_LOG2);
    let lower = (u64::from(SUB_BUCKETS) + sub) * width;
    lower as f64 + width as f64 / 2.0
}

/// A mergeable latency histogram.
///
/// The counts are a window over the bucket range in use, `first..first + counts.len()`, grown
/// when a value falls outside it: memory follows the spread of the values (a few hundred buckets
/// for latencies spanning a few octaves, ~2 KB) instead of the whole layout (3,457 buckets,
/// 27 KB, per shard and per function), and recording stays one bounds check and an add.
#[derive(Clone, Debug, Default)]
pub struct Histogram {
    counts: Vec<u64>,
    first: usize,
    total: u64,
}

/// Two histograms are equal when they hold the same counts (however they were built).
impl PartialEq for Histogram {
    fn eq(&self, other: &Self) -> bool {
        self.total == other.total && self.entries().eq(other.entries())
    }
}

impl Eq for Histogram {}

impl Histogram {
    /// Records one value.
    #[inline]
    pub fn record(&mut self, d: SimDuration) {
        self.add(bucket_of(d.as_nanos()), 1);
    }

    #[inline]
    fn add(&mut self, bucket: usize, count: u64) {
        let i = bucket.wrapping_sub(self.first);
        if i < self.counts.len() {
            self.counts[i] += count;
        } else {
            self.grow_to(bucket);
            self.counts[bucket - self.first] += count;
        }
        self.total += count;
    }

    /// Widens the window to hold `bucket`.
    #[cold]
    fn grow_to(&mut self, bucket: usize) {
        if self.counts.is_empty() {
            self.first = bucket;
            self.counts.push(0);
        } else if bucket < self.first {
            let extra = self.first - bucket;
            self.counts.splice(0..0, std::iter::repeat_n(0, extra));
            self.first = bucket;
        } else {
            self.counts.resize(bucket - self.first + 1, 0);
        }
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (i, &c) in other.counts.iter().enumerate() {
            if c > 0 {
                self.add(other.first + i, c);
            }
        }
    }

    /// Adds sparse counts.
    pub fn merge_sparse(&mut self, entries: &[SparseEntry]) {
        for &(b, c) in entries {
            self.add(usize::from(b), u64::from(c));
        }
    }

    /// The non-empty buckets as (bucket index, count), in bucket order: with
    /// [`Histogram::from_entries`], how a histogram is saved and read back (and merged across
    /// runs) exactly. Bucket indices are only meaningful for the same [`BUCKETS`] layout.
    pub fn entries(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(move |(i, &c)| ((self.first + i) as u32, c))
    }

    /// The histogram with these (bucket index, count) entries, or `None` if an index is out of
    /// range for this layout.
    pub fn from_entries(entries: impl IntoIterator<Item = (u32, u64)>) -> Option<Histogram> {
        let mut h = Histogram::default();
        for (b, c) in entries {
            let b = usize::try_from(b).ok().filter(|&b| b < BUCKETS)?;
            if c > 0 {
                h.add(b, c);
            }
        }
        Some(h)
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The `q`-quantile (0 ≤ q ≤ 1), or `None` if empty: within [`RELATIVE_ERROR`] of the
    /// nearest-rank value (for values of at least 1 µs).
    pub fn quantile(&self, q: f64) -> Option<SimDuration> {
        if self.total == 0 {
            return None;
        }
        // Nearest-rank: the smallest value with at least ceil(q·n) values at or below it.
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(SimDuration::from_nanos(
                    bucket_midpoint(self.first + i) as u64
                ));
            }
        }
        unreachable!("rank {rank} exceeds total {}", self.total)
    }

    /// Moves the counts into `out` as sparse entries and empties the histogram, keeping its
    /// window: the next interval's latencies usually fall in the same range.
    pub(crate) fn drain_sparse(&mut self, out: &mut Vec<SparseEntry>) {
        if self.total == 0 {
            return;
        }
        for (i, slot) in self.counts.iter_mut().enumerate() {
            let mut c = std::mem::take(slot);
            while c > 0 {
                let part = c.min(u64::from(u16::MAX));
                out.push(((self.first + i) as u16, part as u16));
                c -= part;
            }
        }
        self.total = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotone_and_midpoints_are_close() {
        let mut last = 0;
        for v in (0..40)
            .map(|e| 1u64 << e)
            .chain([1_500, 999_999, 12_345_678])
        {
            let b = bucket_of(v);
            if v.is_power_of_two() {
                assert!(b >= last);
                last = b;
            }
            if v >= 1 << MIN_EXPONENT {
                let rel = (bucket_midpoint(b) - v as f64).abs() / v as f64;
                assert!(rel <= RELATIVE_ERROR + 1e-12, "{v}: {rel}");
            }
        }
        assert!(bucket_of(u64::MAX) < BUCKETS);
    }

    #[test]
    fn quantiles_follow_nearest_rank() {
        let mut h = Histogram::default();
        for ms in 1..=100 {
            h.record(SimDuration::from_millis(ms));
        }
        let p50 = h.quantile(0.5).unwrap().as_millis_f64();
        let p99 = h.quantile(0.99).unwrap().as_millis_f64();
        assert!((p50 - 50.0).abs() / 50.0 <= RELATIVE_ERROR, "{p50}");
        assert!((p99 - 99.0).abs() / 99.0 <= RELATIVE_ERROR, "{p99}");
        assert_eq!(Histogram::default().quantile(0.5), None);
    }

    #[test]
    fn merged_histograms_equal_one_big_one() {
        let (mut a, mut b, mut all) = (
            Histogram::default(),
            Histogram::default(),
            Histogram::default(),
        );
        for i in 0..1000u64 {
            let d = SimDuration::from_micros(i * i + 3);
            all.record(d);
            if i % 3 == 0 { a.record(d) } else { b.record(d) }
        }
        a.merge(&b);
        assert_eq!(a, all);
        let saved: Vec<(u32, u64)> = all.entries().collect();
        assert_eq!(Histogram::from_entries(saved), Some(all));
        assert_eq!(Histogram::from_entries([(BUCKETS as u32, 1)]), None);
    }

    /// Every quantile of a spread of values (1 µs to 100 s, log-uniform) is within
    /// [`RELATIVE_ERROR`] of the exact nearest-rank value.
    #[test]
    fn quantiles_are_within_the_stated_error_of_the_exact_ones() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut values: Vec<u64> = (0..20_000)
            .map(|_| {
                // xorshift: any fixed spread of values will do.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let octaves = (state % 1_000_000) as f64 / 1_000_000.0 * 26.6;
                (1024.0 * libm::exp2(octaves)) as u64
            })
            .collect();
        let mut h = Histogram::default();
        for &v in &values {
            h.record(SimDuration::from_nanos(v));
        }
        values.sort_unstable();
        for q in [0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0] {
            let rank = ((q * values.len() as f64).ceil() as usize).max(1);
            let exact = values[rank - 1] as f64;
            let got = h.quantile(q).unwrap().as_nanos() as f64;
            let rel = (got - exact).abs() / exact;
            assert!(
                rel <= RELATIVE_ERROR + 1e-9,
                "q={q}: {got} vs {exact} ({rel})"
            );
        }
    }

    #[test]
    fn draining_empties_and_keeps_every_count() {
        let mut live = Histogram::default();
        let mut whole = Histogram::default();
        let mut out = Vec::new();
        for round in 0..3u64 {
            for i in 0..500u64 {
                let d = SimDuration::from_micros(1 + (i * 7919 + round * 104_729) % 900_000);
                live.record(d);
                whole.record(d);
            }
            live.drain_sparse(&mut out);
            assert_eq!(live, Histogram::default());
            assert_eq!(live.quantile(0.5), None);
            if round == 0 {
                // More than one entry's worth in one bucket.
                for _ in 0..70_000 {
                    live.record(SimDuration::from_millis(5));
                    whole.record(SimDuration::from_millis(5));
                }
            }
        }
        let mut merged = Histogram::default();
        merged.merge_sparse(&out);
        assert_eq!(merged, whole);
    }
}
