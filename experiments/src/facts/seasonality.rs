//! The daily and weekly cycles: the intraday profile (mean activity per UTC hour, normalised to
//! mean 1: its peak hour, trough hour and peak/trough ratio) and the weekend/weekday ratio.
//!
//! Both use whole days only, so that a run ending mid-day does not weigh the hours it covered
//! twice (or the weekday it ended on) more than the rest.
//!
//! The intraday facts are measured on the profile **pooled over seeds** (the mean of the seeds'
//! normalised profiles), not per seed: the published profile is a month's average, and one
//! week of one seed is not enough to rank hours whose means differ by a few percent under a
//! latent volatility that moves them by more (an argmax per seed is a noisy statistic, and the
//! mean of argmax hours is not an hour of anything). The weekend ratio stays per seed.

use shardsim_sim::SimDuration;

use super::MeasuredFact;
use super::series::{ActivitySeries, hourly_means, mean_of};

/// The whole days at the start of the series: `Err` when the interval does not divide a day.
fn whole_days(series: &ActivitySeries) -> Result<&[f64], String> {
    let per_day = series.intervals_in(SimDuration::from_mins(24 * 60))?;
    let days = series.total.len() / per_day;
    Ok(&series.total[..days * per_day])
}

/// Mean activity per UTC hour over the whole days of the run, divided by the mean of the 24 hourly
/// means (so the profile averages 1). `Err` with no whole day, intervals that do not tile the
/// hour, or no activity at all.
pub fn intraday_profile(series: &ActivitySeries) -> Result<[f64; 24], String> {
    series.check_tiles_hours()?;
    let days = whole_days(series)?;
    if days.is_empty() {
        return Err("the run is shorter than one day".to_string());
    }
    let means = hourly_means(series, days).map(|m| m.unwrap_or(0.0));
    let overall = means.iter().sum::<f64>() / 24.0;
    if overall <= 0.0 {
        return Err("the run has no activity".to_string());
    }
    Ok(means.map(|m| m / overall))
}

/// The hour with the highest (`peak`) or lowest profile value, the earliest on ties.
fn extreme_hour(profile: &[f64; 24], peak: bool) -> usize {
    let mut best = 0;
    for h in 1..24 {
        let better = if peak {
            profile[h] > profile[best]
        } else {
            profile[h] < profile[best]
        };
        if better {
            best = h;
        }
    }
    best
}

/// Mean activity of weekend days over that of weekdays, whole days only. `Err` when the run has
/// no whole weekend day (runs start on a Monday, so that needs six days) or no weekday activity.
pub fn weekend_weekday_ratio(series: &ActivitySeries) -> Result<f64, String> {
    let days = whole_days(series)?;
    let (mut weekend, mut weekday) = (Vec::new(), Vec::new());
    for (i, v) in days.iter().enumerate() {
        if series.is_weekend(i) {
            weekend.push(*v);
        } else {
            weekday.push(*v);
        }
    }
    let weekend = mean_of(&weekend)
        .ok_or("the run has no whole weekend day (it starts on a Monday; it needs 6 days)")?;
    match mean_of(&weekday) {
        Some(m) if m > 0.0 => Ok(weekend / m),
        _ => Err("the run has no weekday activity".to_string()),
    }
}

/// The profile pooled over seeds: the mean of each seed's [`intraday_profile`] (so each seed
/// weighs the same), over the seeds where it can be measured; `Err` with the first seed's reason
/// when none can.
pub fn pooled_profile(series: &[&ActivitySeries]) -> Result<[f64; 24], String> {
    let mut sum = [0.0; 24];
    let mut used = 0usize;
    let mut first_error = None;
    for s in series {
        match intraday_profile(s) {
            Ok(p) => {
                for (acc, v) in sum.iter_mut().zip(p) {
                    *acc += v;
                }
                used += 1;
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if used == 0 {
        return Err(first_error.unwrap_or_else(|| "no seed was measured".to_string()));
    }
    Ok(sum.map(|v| v / used as f64))
}

/// The intraday facts (peak hour, trough hour, peak/trough ratio) of the profile pooled over
/// `series` (one per seed).
pub fn measure_pooled(series: &[&ActivitySeries]) -> Vec<MeasuredFact> {
    let profile = pooled_profile(series);
    let peak = profile.clone().map(|p| extreme_hour(&p, true) as f64);
    let trough = profile.clone().map(|p| extreme_hour(&p, false) as f64);
    let ratio = profile.and_then(|p| {
        let (hi, lo) = (p[extreme_hour(&p, true)], p[extreme_hour(&p, false)]);
        if lo > 0.0 {
            Ok(hi / lo)
        } else {
            Err("the quietest hour has no activity".to_string())
        }
    });
    vec![
        MeasuredFact::new("intraday_peak_hour", "busiest UTC hour (start)", peak),
        MeasuredFact::new("intraday_trough_hour", "quietest UTC hour (start)", trough),
        MeasuredFact::new(
            "intraday_peak_trough_ratio",
            "busiest / quietest hour's mean activity",
            ratio,
        ),
    ]
}

/// The weekly fact of one seed.
pub fn measure(series: &ActivitySeries) -> Vec<MeasuredFact> {
    vec![MeasuredFact::new(
        "weekend_weekday_ratio",
        "weekend-day / weekday mean activity",
        weekend_weekday_ratio(series),
    )]
}

#[cfg(test)]
mod tests {
    use super::super::Measured;
    use super::super::series::testing::series;
    use super::*;

    /// Two days of 10-min intervals with level 1 except 4 at 15:00 and 0.5 at 09:00: the profile
    /// averages 1, peaks at 15, bottoms at 9, and its ratio is 4 / 0.5 = 8.
    #[test]
    fn the_profile_finds_the_peak_and_trough_hours() {
        let total: Vec<f64> = (0..2 * 144)
            .map(|i| match (i / 6) % 24 {
                15 => 4.0,
                9 => 0.5,
                _ => 1.0,
            })
            .collect();
        // A partial third day that would move the peak if it counted.
        let mut total = total;
        total.extend(std::iter::repeat_n(100.0, 6));
        let s = series(10, total);
        let p = intraday_profile(&s).unwrap();
        assert!((p.iter().sum::<f64>() / 24.0 - 1.0).abs() < 1e-12);
        let facts = measure_pooled(&[&s]);
        assert_eq!(facts[0].value, Measured::Value(15.0));
        assert_eq!(facts[1].value, Measured::Value(9.0));
        let Measured::Value(r) = facts[2].value else {
            panic!()
        };
        assert!((r - 8.0).abs() < 1e-12, "{r}");
    }

    /// One week, weekdays at 10 and the weekend at 4: ratio 0.4.
    #[test]
    fn the_weekend_ratio_compares_saturday_and_sunday_to_weekdays() {
        let total: Vec<f64> = (0..7 * 24)
            .map(|h| if h / 24 >= 5 { 4.0 } else { 10.0 })
            .collect();
        let r = weekend_weekday_ratio(&series(60, total)).unwrap();
        assert!((r - 0.4).abs() < 1e-12, "{r}");
    }

    #[test]
    fn runs_without_a_weekend_or_a_whole_day_are_n_a() {
        let five_days = series(60, vec![1.0; 5 * 24 + 23]);
        let why = weekend_weekday_ratio(&five_days).unwrap_err();
        assert!(why.contains("no whole weekend day"), "{why}");
        let half_day = series(60, vec![1.0; 12]);
        assert!(intraday_profile(&half_day).unwrap_err().contains("one day"));
        let silent = series(60, vec![0.0; 24]);
        assert!(
            intraday_profile(&silent)
                .unwrap_err()
                .contains("no activity")
        );
        let odd = series(7, vec![1.0; 1000]);
        assert!(intraday_profile(&odd).is_err());
    }

    /// One day of hourly intervals: level 1, `peak_value` at hour 15 and 1.2 at hour 18.
    fn day(peak_value: f64) -> ActivitySeries {
        let total = (0..24)
            .map(|h| match h {
                15 => peak_value,
                18 => 1.2,
                _ => 1.0,
            })
            .collect();
        series(60, total)
    }

    /// Seed A peaks at 18 (its 15 is only 1.1), seed B at 15 (1.5): pooled, hour 15 averages
    /// higher, so it is the peak, though the mean of the two seeds' peak hours would be 16.5.
    #[test]
    fn the_pooled_profile_ranks_hours_over_all_seeds() {
        let (a, b) = (day(1.1), day(1.5));
        let facts = measure_pooled(&[&a, &b]);
        let peak = facts.iter().find(|f| f.id == "intraday_peak_hour").unwrap();
        assert_eq!(peak.value, Measured::Value(15.0));
        let single = measure_pooled(&[&a]);
        assert_eq!(single[0].value, Measured::Value(18.0));
    }

    #[test]
    fn a_seed_too_short_is_skipped_and_none_gives_its_reason() {
        let mut short = day(1.5);
        short.total.truncate(12);
        assert_eq!(
            pooled_profile(&[&short, &day(1.5)]),
            intraday_profile(&day(1.5))
        );
        assert_eq!(
            pooled_profile(&[&short]),
            Err("the run is shorter than one day".to_string())
        );
    }
}
