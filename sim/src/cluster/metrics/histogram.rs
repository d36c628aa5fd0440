//! A mergeable log-linear latency histogram.

use crate::time::SimDuration;

const SUB_BUCKETS_LOG2: u32 = 2;
const SUB_BUCKETS: u32 = 1 << SUB_BUCKETS_LOG2;
/// Values below 2^10 ns (≈ 1 µs) share bucket 0.
const MIN_EXPONENT: u32 = 10;
/// Number of histogram buckets: bucket 0 plus 4 per octave from 2^10 to 2^64 ns.
pub const BUCKETS: usize = 1 + ((64 - MIN_EXPONENT) * SUB_BUCKETS) as usize;

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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: Box::new([0; BUCKETS]),
            total: 0,
        }
    }
}

impl Histogram {
    /// Records one value.
    #[inline]
    pub fn record(&mut self, d: SimDuration) {
        self.counts[bucket_of(d.as_nanos())] += 1;
        self.total += 1;
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
        self.total += other.total;
    }

    /// Adds sparse counts.
    pub fn merge_sparse(&mut self, entries: &[(u8, u32)]) {
        for &(b, c) in entries {
            self.counts[b as usize] += u64::from(c);
            self.total += u64::from(c);
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
            .map(|(b, &c)| (b as u32, c))
    }

    /// The histogram with these (bucket index, count) entries, or `None` if an index is out of
    /// range for this layout.
    pub fn from_entries(entries: impl IntoIterator<Item = (u32, u64)>) -> Option<Histogram> {
        let mut h = Histogram::default();
        for (b, c) in entries {
            *h.counts.get_mut(b as usize)? += c;
            h.total += c;
        }
        Some(h)
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The `q`-quantile (0 ≤ q ≤ 1), or `None` if empty.
    pub fn quantile(&self, q: f64) -> Option<SimDuration> {
        if self.total == 0 {
            return None;
        }
        // Nearest-rank: the smallest value with at least ceil(q·n) values at or below it.
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(SimDuration::from_nanos(bucket_midpoint(b) as u64));
            }
        }
        unreachable!("rank {rank} exceeds total {}", self.total)
    }

    pub(crate) fn drain_sparse(&mut self, out: &mut Vec<(u8, u32)>) {
        if self.total == 0 {
            return;
        }
        for (b, c) in self.counts.iter_mut().enumerate() {
            if *c > 0 {
                out.push((b as u8, *c as u32));
                *c = 0;
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
                assert!(rel <= 0.125 + 1e-9, "{v}: {rel}");
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
        assert!((p50 - 50.0).abs() / 50.0 < 0.13, "{p50}");
        assert!((p99 - 99.0).abs() / 99.0 < 0.13, "{p99}");
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
}
