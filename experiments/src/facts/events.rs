//! Activity around scheduled events of a kind (windows from [`FactParams`]), each averaged over
//! the events of the kind:
//!
//! * the multiple after the event, `mean[t, t+w)` over the baseline `mean[t − 3 h, t − 1 h)`;
//! * the build-up, `mean[t − 30 min, t)` over the same half hour on the other days of the run of
//!   the same kind (weekday or weekend) with no event of the kind near it — a geometric mean
//!   over every event of every seed at once ([`measure_pooled`]).
//!
//! The multiple's baseline ends an hour before the event so that a pre-release build-up (which
//! the sources report before FOMC decisions, Falay 2024) is measured, not averaged into the
//! baseline. The multiple is raw (not deseasonalised), like the anecdotal published ones it is
//! compared with: an event at a busy hour after a quiet morning shows part of the daily cycle
//! too, and a scenario comparing against them should place its events at their real clock
//! times. The build-up has no published size, only a chosen range for the event's own rise;
//! measured raw it would hold the cycle's rise as well (at 12:30 UTC the default cycle alone
//! makes the half hour before ×1.61 the 09:30–11:30 baseline), so it is compared with the same
//! clock time on ordinary days instead. That reference is one day's half hour (or a few), and
//! the market's level moves from day to day by tens of percent: an arithmetic mean of such
//! ratios is pulled above 1 where nothing builds up (macro_day with every lead removed read
//! 1.21 over seeds 1..12, two days each), because 1/x is convex. The mean of the logarithms is
//! not, so the build-up is their exponential, over all events of all seeds.

use std::collections::BTreeSet;

use shardsim_sim::{SimDuration, SimTime};

use super::series::{ActivitySeries, NANOS_PER_DAY, mean_of};
use super::{FactParams, MeasuredFact};

/// The intervals whose start lies in `[t + from, t + to)` (offsets in nanoseconds, negative =
/// before), or `None` when that is empty or not wholly inside the series.
fn window(series: &ActivitySeries, t: SimTime, from: i128, to: i128) -> Option<&[f64]> {
    let step = i128::from(series.interval.as_nanos());
    let (lo, hi) = (
        i128::from(t.as_nanos()) + from,
        i128::from(t.as_nanos()) + to,
    );
    if step == 0 || lo < 0 {
        return None;
    }
    let first = (lo + step - 1) / step;
    let end = (hi + step - 1) / step;
    let len = series.total.len() as i128;
    (first < end && end <= len).then(|| &series.total[first as usize..end as usize])
}

fn nanos(d: SimDuration) -> i128 {
    i128::from(d.as_nanos())
}

fn minutes(d: SimDuration) -> f64 {
    d.as_secs_f64() / 60.0
}

/// When the events of `kind` are, in calendar order; `Err` when the scenario has none.
fn times_of(series: &ActivitySeries, kind: &str) -> Result<Vec<SimTime>, String> {
    let times: Vec<SimTime> = series
        .events
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.at)
        .collect();
    if times.is_empty() {
        return Err(format!("the scenario has no {kind} events"));
    }
    Ok(times)
}

/// The mean of `mean(window) / mean(baseline)` over the events of `kind`, windows given as
/// offsets from the event. `Err` naming why when no event of the kind has both windows inside the
/// run and a baseline with activity.
pub fn event_multiple(
    series: &ActivitySeries,
    kind: &str,
    (from, to): (i128, i128),
    params: &FactParams,
) -> Result<f64, String> {
    let events = times_of(series, kind)?;
    let baseline = (-nanos(params.baseline_from), -nanos(params.baseline_to));
    let ratios: Vec<f64> = events
        .iter()
        .filter_map(|&t| {
            let base = mean_of(window(series, t, baseline.0, baseline.1)?)?;
            let during = mean_of(window(series, t, from, to)?)?;
            (base > 0.0).then(|| during / base)
        })
        .collect();
    mean_of(&ratios).ok_or_else(|| {
        format!(
            "none of the {} {kind} events has its windows inside the run and baseline activity",
            events.len()
        )
    })
}

/// For each event of `kind`, `mean[t − b, t)` over the mean of the same window on every other
/// day of the run of the same kind (weekday or weekend) with no event of `kind` within the
/// multiple's baseline span (`params.baseline_from`) of it, that span inside the run. `Err`
/// naming why when no event has such a day.
fn clock_matched_ratios(
    series: &ActivitySeries,
    kind: &str,
    params: &FactParams,
) -> Result<Vec<f64>, String> {
    let events: Vec<i128> = times_of(series, kind)?
        .iter()
        .map(|t| i128::from(t.as_nanos()))
        .collect();
    let step = i128::from(series.interval.as_nanos()).max(1);
    let end = series.total.len() as i128 * step;
    let (span, buildup) = (nanos(params.baseline_from), nanos(params.buildup));
    // The kind of day the window [t − b, t) lies in (a window ending at midnight belongs to
    // the day before).
    let weekend = |t: i128| series.is_weekend(((t - buildup).max(0) / step) as usize);
    // The calendar lists only the run's events: a clock time closer to the end than an event's
    // build-up could reach may have one just after the run, so it is not taken as ordinary.
    let quiet = |t: i128| t + span <= end && events.iter().all(|e| (e - t).abs() >= span);
    let day = i128::from(NANOS_PER_DAY);
    let days = (end + day - 1) / day;
    let before = |t: i128| {
        u64::try_from(t)
            .ok()
            .and_then(|at| window(series, SimTime::from_nanos(at), -buildup, 0))
            .and_then(mean_of)
    };
    let ratios: Vec<f64> = events
        .iter()
        .filter_map(|&t| {
            let during = before(t)?;
            let same_clock: Vec<f64> = (-days..=days)
                .filter(|&k| k != 0)
                .map(|k| t + k * day)
                .filter(|&o| o >= 0 && weekend(o) == weekend(t) && quiet(o))
                .filter_map(before)
                .collect();
            let reference = mean_of(&same_clock)?;
            (reference > 0.0).then(|| during / reference)
        })
        .collect();
    if ratios.is_empty() {
        return Err(format!(
            "none of the {} {kind} events has a day of its kind without one to compare with \
             (the build-up needs a run of two days or more)",
            events.len()
        ));
    }
    Ok(ratios)
}

/// The build-up before the events of `kind`: the geometric mean of [`clock_matched_ratios`]
/// over the events of every series (a zero ratio makes it zero). `Err` with the first series'
/// reason when no series has a comparable event.
pub fn pooled_buildup(
    series: &[&ActivitySeries],
    kind: &str,
    params: &FactParams,
) -> Result<f64, String> {
    let mut logs = Vec::new();
    let mut first_reason = None;
    for s in series {
        match clock_matched_ratios(s, kind, params) {
            Ok(ratios) => logs.extend(ratios.into_iter().map(libm::log)),
            Err(why) => {
                first_reason.get_or_insert(why);
            }
        }
    }
    match mean_of(&logs) {
        Some(mean_log) => Ok(libm::exp(mean_log)),
        None => Err(first_reason.unwrap_or_else(|| "no seed was measured".to_string())),
    }
}

/// The kinds reported: those of the parameters (always), then any other kind in the calendar.
fn kinds(series: &ActivitySeries, params: &FactParams) -> Vec<String> {
    let mut kinds = params.event_kinds.clone();
    let others: BTreeSet<&str> = series.events.iter().map(|e| e.kind.as_str()).collect();
    for k in others {
        if !kinds.iter().any(|x| x == k) {
            kinds.push(k.to_string());
        }
    }
    kinds
}

/// The after-event and build-up multiples of every reported kind.
pub fn measure(series: &ActivitySeries, params: &FactParams) -> Vec<MeasuredFact> {
    let mut facts = Vec::new();
    for kind in kinds(series, params) {
        let after = (0, nanos(params.event_window));
        facts.push(MeasuredFact::new(
            format!("event_multiple_{kind}"),
            format!(
                "{kind}: activity in the {} min after / baseline",
                minutes(params.event_window)
            ),
            event_multiple(series, &kind, after, params),
        ));
    }
    facts
}

/// The build-up of every reported kind, measured on all seeds' series at once
/// ([`pooled_buildup`]); kinds in the order [`kinds`] gives them, first seen first.
pub fn measure_pooled(series: &[&ActivitySeries], params: &FactParams) -> Vec<MeasuredFact> {
    let mins = minutes(params.buildup);
    let mut all_kinds = params.event_kinds.clone();
    for k in series.iter().flat_map(|s| kinds(s, params)) {
        if !all_kinds.contains(&k) {
            all_kinds.push(k);
        }
    }
    all_kinds
        .into_iter()
        .map(|kind| {
            MeasuredFact::new(
                format!("event_buildup_{kind}"),
                format!(
                    "{kind}: activity in the {mins} min before / the same time on days without \
                     one (geometric mean over events)"
                ),
                pooled_buildup(series, &kind, params),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::Measured;
    use super::super::series::CalendarMark;
    use super::super::series::testing::series;
    use super::*;

    fn mark(minute: u64, kind: &str) -> CalendarMark {
        CalendarMark {
            at: SimTime::from_nanos(minute * 60_000_000_000),
            kind: kind.to_string(),
            impact_class: "high".to_string(),
        }
    }

    /// Level 10, with 15 in the half hour before each macro event and 40 / 20 in the hour after
    /// (two events): multiple (4 + 2) / 2 = 3 after. One day holds no ordinary day to compare
    /// the build-up with.
    #[test]
    fn a_known_bump_gives_its_multiple() {
        let mut total = vec![10.0; 24 * 60];
        for (t, level) in [(600, 40.0), (1200, 20.0)] {
            total[t - 30..t].fill(15.0);
            total[t..t + 60].fill(level);
        }
        let mut s = series(1, total);
        s.events = vec![mark(600, "macro"), mark(1200, "macro"), mark(30, "macro")];
        let mut facts = measure(&s, &FactParams::default());
        facts.extend(measure_pooled(&[&s], &FactParams::default()));
        let get = |id: &str| facts.iter().find(|f| f.id == id).unwrap().value.clone();
        // The event at minute 30 has no 3-hour baseline inside the run: it is skipped.
        assert_eq!(get("event_multiple_macro"), Measured::Value(3.0));
        let Measured::NotApplicable(why) = get("event_buildup_macro") else {
            panic!()
        };
        assert!(why.contains("two days or more"), "{why}");
        let Measured::NotApplicable(why) = get("event_multiple_funding") else {
            panic!()
        };
        assert!(why.contains("no funding events"), "{why}");
    }

    /// Three weekdays at level 10 with a daily bump to 20 from 12:00 to 12:30 (the cycle's
    /// rise); on day 1 a release at 12:30 lifts that half hour to 30, on day 2 another to 40.
    /// Each is compared with day 0 only (the other day has a release at that clock time):
    /// √(30/20 · 40/20) = √3. Against the 3-hour baseline (level 10) it would read √12, and with
    /// the release days not excluded √(30/30 · 40/25) = √1.6.
    #[test]
    fn the_buildup_is_against_the_same_clock_time_on_ordinary_days() {
        let mut total = vec![10.0; 3 * 1440];
        for day in 0..3 {
            let level = [20.0, 30.0, 40.0][day];
            total[day * 1440 + 720..day * 1440 + 750].fill(level);
        }
        let mut s = series(1, total);
        s.events = vec![mark(1440 + 750, "macro"), mark(2 * 1440 + 750, "macro")];
        let v = pooled_buildup(&[&s], "macro", &FactParams::default()).unwrap();
        assert!((v - 3f64.sqrt()).abs() < 1e-12, "{v}");
    }

    /// Two seeds of two weekdays, a release at 12:30 on day 0 that changes nothing: the market
    /// is at 20 that day and 10 the next in one seed, the other way round in the other. The
    /// ratios are 2 and ½; their arithmetic mean, 1.25, would report a build-up where there is
    /// none, and their geometric mean is 1.
    #[test]
    fn day_to_day_swings_alone_give_no_build_up() {
        let seed = |event_day: f64, other_day: f64| {
            let mut total = vec![event_day; 1440];
            total.extend(vec![other_day; 1440]);
            let mut s = series(1, total);
            s.events = vec![mark(750, "macro")];
            s
        };
        let (a, b) = (seed(20.0, 10.0), seed(10.0, 20.0));
        let v = pooled_buildup(&[&a, &b], "macro", &FactParams::default()).unwrap();
        assert!((v - 1.0).abs() < 1e-12, "{v}");
    }

    /// A daily midnight event (funding-like) on every day of the run: no ordinary day to compare
    /// with — not even the run's own end, a midnight whose event would fall just after the run.
    #[test]
    fn an_event_at_the_same_clock_every_day_has_no_build_up_reference() {
        let mut total = vec![10.0; 3 * 1440];
        total[3 * 1440 - 30..].fill(1.0);
        let mut s = series(1, total);
        s.events = (0..3).map(|d| mark(d * 1440, "funding")).collect();
        let facts = measure_pooled(&[&s], &FactParams::default());
        let f = facts
            .iter()
            .find(|f| f.id == "event_buildup_funding")
            .unwrap();
        assert!(
            matches!(f.value, Measured::NotApplicable(_)),
            "{:?}",
            f.value
        );
    }

    #[test]
    fn events_outside_the_run_and_unlisted_kinds_are_reported() {
        let mut s = series(1, vec![10.0; 300]);
        s.events = vec![mark(290, "unlock"), mark(60, "unlock")];
        let facts = measure(&s, &FactParams::default());
        let f = facts
            .iter()
            .find(|f| f.id == "event_multiple_unlock")
            .unwrap();
        let Measured::NotApplicable(why) = &f.value else {
            panic!()
        };
        assert!(why.contains("none of the 2 unlock events"), "{why}");
        assert_eq!(facts.len(), 3); // macro, funding and unlock: the multiple of each
        assert_eq!(measure_pooled(&[&s], &FactParams::default()).len(), 3); // and the build-up
    }
}
