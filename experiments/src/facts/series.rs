//! The input of the measures — a run binned into equal intervals — and the clock arithmetic on
//! it: lags in intervals, hour of day, weekday, and the hour-of-day deseasonalising.
//!
//! **Calendar.** Runs start on a Monday at 00:00 UTC: interval `i` covers
//! `[i·interval, (i+1)·interval)` of simulated time, its hour of day is that start's hour (UTC)
//! and its weekday that start's day modulo 7, with day 0 a Monday (days 5 and 6 are the weekend).

use shardsim_sim::{SimDuration, SimTime};

const NANOS_PER_HOUR: u64 = 3_600_000_000_000;
pub(super) const NANOS_PER_DAY: u64 = 24 * NANOS_PER_HOUR;

/// A scheduled mark on the run's calendar (a macro release, a funding settlement, ...).
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarMark {
    /// When it happens.
    pub at: SimTime,
    /// What it is ("macro", "funding", ...): the event measures group by this.
    pub kind: String,
    /// Its impact class as the scenario names it (carried for the caller; not used to group).
    pub impact_class: String,
}

/// A run binned into equal intervals. Interval `i` starts at `i · interval` after a Monday 00:00
/// UTC (see the module documentation).
#[derive(Clone, Debug, PartialEq)]
pub struct ActivitySeries {
    /// The width of every interval.
    pub interval: SimDuration,
    /// Market activity: arrivals per interval of the market-exposed event types (those a
    /// source with a market exposure produces; unexposed work such as yield updates is not
    /// market activity).
    pub total: Vec<f64>,
    /// Arrivals per interval of each cascade stage, in cascade order (e.g. "price", "arbitrage",
    /// "trade", "risk", "liquidation"); may be empty. Each has the length of `total`.
    pub by_stage: Vec<(String, Vec<f64>)>,
    /// Per interval sum of |return| (or realised volatility) of the price updates, if the run has
    /// prices.
    pub abs_returns: Option<Vec<f64>>,
    /// The calendar of the run.
    pub events: Vec<CalendarMark>,
}

impl ActivitySeries {
    /// How many intervals make `span`: `Err` when the interval is zero or does not divide it.
    pub fn intervals_in(&self, span: SimDuration) -> Result<usize, String> {
        let (s, i) = (span.as_nanos(), self.interval.as_nanos());
        if i == 0 {
            return Err("the series interval is zero".to_string());
        }
        if !s.is_multiple_of(i) {
            return Err(format!(
                "the interval ({} s) does not divide {} s",
                self.interval.as_secs_f64(),
                span.as_secs_f64()
            ));
        }
        Ok((s / i) as usize)
    }

    /// The index of the interval holding `t` (it may lie past the end of the series).
    pub fn index_of(&self, t: SimTime) -> usize {
        match self.interval.as_nanos() {
            0 => 0,
            i => (t.as_nanos() / i) as usize,
        }
    }

    /// The UTC hour (0–23) at the start of interval `i`.
    pub fn hour_of(&self, i: usize) -> usize {
        let start = i as u64 * self.interval.as_nanos();
        ((start % NANOS_PER_DAY) / NANOS_PER_HOUR) as usize
    }

    /// Whether interval `i` starts on a Saturday or a Sunday.
    pub fn is_weekend(&self, i: usize) -> bool {
        let start = i as u64 * self.interval.as_nanos();
        (start / NANOS_PER_DAY) % 7 >= 5
    }

    /// The hour-of-day profile needs intervals that tile the hour: `Err` otherwise.
    pub fn check_tiles_hours(&self) -> Result<(), String> {
        self.intervals_in(SimDuration::from_mins(60)).map(|_| ())
    }
}

/// The mean of `values` per UTC hour of day (`None` for an hour with no interval).
pub fn hourly_means(series: &ActivitySeries, values: &[f64]) -> [Option<f64>; 24] {
    let mut sum = [0.0; 24];
    let mut count = [0usize; 24];
    for (i, v) in values.iter().enumerate() {
        let h = series.hour_of(i);
        sum[h] += v;
        count[h] += 1;
    }
    let mut means = [None; 24];
    for h in 0..24 {
        if count[h] > 0 {
            means[h] = Some(sum[h] / count[h] as f64);
        }
    }
    means
}

/// `values` divided by the mean of their hour of day on days of their kind (weekdays or
/// weekend days), so that neither the daily nor the weekly cycle counts as memory (a raw ACF of
/// a seasonal series stays high at every lag inside the cycle). A cell whose mean is zero holds
/// only zeros; they become 1 ("at the cell's level"). `Err` when the intervals do not tile the
/// hour.
pub fn deseasonalise(series: &ActivitySeries, values: &[f64]) -> Result<Vec<f64>, String> {
    series.check_tiles_hours()?;
    // Cell 0..24 = weekday hours, 24..48 = weekend hours.
    let cell = |i: usize| series.hour_of(i) + if series.is_weekend(i) { 24 } else { 0 };
    let mut sum = [0.0; 48];
    let mut count = [0usize; 48];
    for (i, v) in values.iter().enumerate() {
        sum[cell(i)] += v;
        count[cell(i)] += 1;
    }
    Ok(values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let c = cell(i);
            let mean = sum[c] / count[c] as f64;
            if mean > 0.0 { v / mean } else { 1.0 }
        })
        .collect())
}

/// The mean of `values` (`None` for none).
pub fn mean_of(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A series of `total` at `interval_mins`, no stages, returns or events.
    pub fn series(interval_mins: u64, total: Vec<f64>) -> ActivitySeries {
        ActivitySeries {
            interval: SimDuration::from_mins(interval_mins),
            total,
            by_stage: Vec::new(),
            abs_returns: None,
            events: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::series;
    use super::*;

    #[test]
    fn the_clock_starts_on_a_monday_at_midnight() {
        let s = series(30, vec![0.0; 7 * 48]);
        assert_eq!(s.hour_of(0), 0);
        assert_eq!(s.hour_of(3), 1);
        assert_eq!(s.hour_of(47), 23);
        assert_eq!(s.hour_of(48), 0);
        assert!(!s.is_weekend(4 * 48 + 47)); // Friday 23:30
        assert!(s.is_weekend(5 * 48)); // Saturday 00:00
        assert!(s.is_weekend(7 * 48 - 1)); // Sunday 23:30
        assert!(!s.is_weekend(7 * 48)); // the next Monday
        assert_eq!(s.index_of(SimTime::from_nanos(3_600_000_000_000)), 2);
    }

    #[test]
    fn lags_must_be_whole_intervals() {
        let s = series(7, vec![]);
        assert_eq!(s.intervals_in(SimDuration::from_mins(14)), Ok(2));
        let err = s.intervals_in(SimDuration::from_mins(10)).unwrap_err();
        assert!(err.contains("does not divide"), "{err}");
        assert!(s.check_tiles_hours().is_err());
        let zero = ActivitySeries {
            interval: SimDuration::ZERO,
            ..series(1, vec![])
        };
        assert!(zero.intervals_in(SimDuration::from_mins(1)).is_err());
    }

    #[test]
    fn deseasonalising_divides_by_the_hour_mean() {
        // Hour 0 at level 2, hour 1 at level 6 (two 30-min intervals each), zeros in hour 2.
        let s = series(30, vec![1.0, 3.0, 6.0, 6.0, 0.0, 0.0]);
        let d = deseasonalise(&s, &s.total).unwrap();
        assert_eq!(d, vec![0.5, 1.5, 1.0, 1.0, 1.0, 1.0]);
    }

    #[test]
    fn deseasonalising_divides_weekend_hours_by_weekend_means() {
        // Two weeks of hours: weekdays at 10, weekends at 4, +1 in the second week. Dividing
        // by the hour's mean over all days would leave the weekend at 0.45 and weekdays at 1.2.
        let values: Vec<f64> = (0..14 * 24)
            .map(|i| {
                let weekend = (i / 24) % 7 >= 5;
                let level = if weekend { 4.0 } else { 10.0 };
                level + if i >= 7 * 24 { 1.0 } else { 0.0 }
            })
            .collect();
        let s = series(60, values);
        let d = deseasonalise(&s, &s.total).unwrap();
        assert!((d[0] - 10.0 / 10.5).abs() < 1e-12, "{}", d[0]);
        assert!((d[5 * 24] - 4.0 / 4.5).abs() < 1e-12, "{}", d[5 * 24]);
        assert!((d[13 * 24] - 5.0 / 4.5).abs() < 1e-12, "{}", d[13 * 24]);
    }
}
