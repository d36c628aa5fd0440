//! Simulated time: integer nanoseconds.
//!
//! Floating-point time drifts and compares unequal across platforms and summation orders, so the
//! engine never uses it. Seconds as `f64` exist only at the edges (reading a scenario, printing a
//! report) through the explicit `from_secs_f64` / `as_secs_f64` conversions.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A point in simulated time, in nanoseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

/// A span of simulated time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

const NANOS_PER_MICRO: u64 = 1_000;
const NANOS_PER_MILLI: u64 = 1_000_000;
const NANOS_PER_SEC: u64 = 1_000_000_000;

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The latest representable instant (about 584 years).
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// A time from whole nanoseconds.
    pub const fn from_nanos(nanos: u64) -> Self {
        SimTime(nanos)
    }

    /// Nanoseconds since the start of the run.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds since the start, for reports and charts only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// `self + d`, or `None` if that is past [`SimTime::MAX`].
    pub const fn checked_add(self, d: SimDuration) -> Option<SimTime> {
        match self.0.checked_add(d.0) {
            Some(n) => Some(SimTime(n)),
            None => None,
        }
    }

    /// The span from `earlier` to `self`, or `None` if `earlier` is later.
    pub const fn checked_duration_since(self, earlier: SimTime) -> Option<SimDuration> {
        match self.0.checked_sub(earlier.0) {
            Some(n) => Some(SimDuration(n)),
            None => None,
        }
    }

    /// The span from `earlier` to `self`, zero if `earlier` is later.
    pub const fn saturating_duration_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);
    /// The longest representable span.
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    /// A span of whole nanoseconds.
    pub const fn from_nanos(nanos: u64) -> Self {
        SimDuration(nanos)
    }
    /// A span of whole microseconds (saturating).
    pub const fn from_micros(micros: u64) -> Self {
        SimDuration(micros.saturating_mul(NANOS_PER_MICRO))
    }
    /// A span of whole milliseconds (saturating).
    pub const fn from_millis(millis: u64) -> Self {
        SimDuration(millis.saturating_mul(NANOS_PER_MILLI))
    }
    /// A span of whole seconds (saturating).
    pub const fn from_secs(secs: u64) -> Self {
        SimDuration(secs.saturating_mul(NANOS_PER_SEC))
    }
    /// A span of whole minutes (saturating).
    pub const fn from_mins(mins: u64) -> Self {
        SimDuration(mins.saturating_mul(60 * NANOS_PER_SEC))
    }

    /// A span from fractional seconds, rounded to the nearest nanosecond.
    ///
    /// This is the one door from real-valued input (scenario files, sampled distributions) into
    /// integer time. Negative and NaN inputs give zero; values beyond the range saturate.
    pub fn from_secs_f64(secs: f64) -> Self {
        // `as` saturates and maps NaN to 0, which is what a time span wants.
        SimDuration((secs * NANOS_PER_SEC as f64).round() as u64)
    }

    /// Whole nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Seconds, for reports and charts only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
    /// Milliseconds, for reports and charts only.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_MILLI as f64
    }

    /// `self + other`, or `None` on overflow.
    pub const fn checked_add(self, other: SimDuration) -> Option<SimDuration> {
        match self.0.checked_add(other.0) {
            Some(n) => Some(SimDuration(n)),
            None => None,
        }
    }
    /// `self - other`, or `None` if `other` is longer.
    pub const fn checked_sub(self, other: SimDuration) -> Option<SimDuration> {
        match self.0.checked_sub(other.0) {
            Some(n) => Some(SimDuration(n)),
            None => None,
        }
    }
    /// `self * factor`, or `None` on overflow.
    pub const fn checked_mul(self, factor: u64) -> Option<SimDuration> {
        match self.0.checked_mul(factor) {
            Some(n) => Some(SimDuration(n)),
            None => None,
        }
    }
}

/// Overflowing simulated time is a broken invariant (a run of 584 years), so `+` panics rather
/// than wrapping; use [`SimTime::checked_add`] where the operand comes from user input.
impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        self.checked_add(d)
            .expect("simulated time overflowed u64 nanoseconds")
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

/// `later - earlier`; panics if `earlier` is later, which would be a clock running backwards.
impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.checked_duration_since(earlier)
            .expect("subtracted a later SimTime from an earlier one")
    }
}

/// `time - span`; panics before time zero, which no simulation can reach.
impl Sub<SimDuration> for SimTime {
    type Output = SimTime;
    fn sub(self, d: SimDuration) -> SimTime {
        SimTime(
            self.0
                .checked_sub(d.0)
                .expect("subtracted a SimDuration past time zero"),
        )
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, other: SimDuration) -> SimDuration {
        self.checked_add(other)
            .expect("SimDuration overflowed u64 nanoseconds")
    }
}

impl fmt::Display for SimTime {
    /// `HH:MM:SS.mmm` from the start of the run (days roll into hours).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total_ms = self.0 / NANOS_PER_MILLI;
        let (h, rem) = (total_ms / 3_600_000, total_ms % 3_600_000);
        let (m, rem) = (rem / 60_000, rem % 60_000);
        write!(f, "{h:02}:{m:02}:{:02}.{:03}", rem / 1000, rem % 1000)
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        if n >= NANOS_PER_SEC {
            write!(f, "{:.3}s", self.as_secs_f64())
        } else if n >= NANOS_PER_MILLI {
            write!(f, "{:.3}ms", self.as_millis_f64())
        } else if n >= NANOS_PER_MICRO {
            write!(f, "{:.3}us", n as f64 / NANOS_PER_MICRO as f64)
        } else {
            write!(f, "{n}ns")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_constructors_agree() {
        assert_eq!(SimDuration::from_secs(2), SimDuration::from_millis(2_000));
        assert_eq!(SimDuration::from_millis(3), SimDuration::from_micros(3_000));
        assert_eq!(SimDuration::from_mins(1), SimDuration::from_secs(60));
        assert_eq!(
            SimDuration::from_secs_f64(1.5),
            SimDuration::from_millis(1_500)
        );
    }

    #[test]
    fn float_edge_conversion_clamps_bad_input() {
        assert_eq!(SimDuration::from_secs_f64(-1.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(1e30), SimDuration::MAX);
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        assert_eq!(SimTime::MAX.checked_add(SimDuration::from_nanos(1)), None);
        assert_eq!(
            SimTime::ZERO.checked_duration_since(SimTime::from_nanos(1)),
            None
        );
        assert_eq!(SimDuration::MAX.checked_mul(2), None);
        let t = SimTime::from_nanos(10);
        assert_eq!(
            t + SimDuration::from_nanos(5) - t,
            SimDuration::from_nanos(5)
        );
    }

    #[test]
    #[should_panic(expected = "overflowed")]
    fn plain_add_panics_on_overflow() {
        let _ = SimTime::MAX + SimDuration::from_nanos(1);
    }

    #[test]
    fn display_is_readable() {
        let t = SimTime::ZERO + SimDuration::from_secs(3_725) + SimDuration::from_millis(42);
        assert_eq!(t.to_string(), "01:02:05.042");
        assert_eq!(SimDuration::from_micros(1_500).to_string(), "1.500ms");
        assert_eq!(SimDuration::from_nanos(12).to_string(), "12ns");
    }
}
