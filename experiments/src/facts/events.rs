//! Activity around scheduled events of a kind: the multiple after the event, `mean[t, t+w)` over
//! the baseline `mean[t − 3 h, t − 1 h)`, and the build-up multiple `mean[t − 30 min, t)` over
//! the same baseline (windows from [`FactParams`]), each averaged over the events of the kind.
//!
//! The baseline ends an hour before the event so that a pre-release build-up (which the sources
//! report before FOMC decisions, Falay 2024) is measured, not averaged into the baseline. The
//! multiples are raw (not deseasonalised), like the anecdotal published ones: an event at a busy
//! hour after a quiet morning shows part of the daily cycle too, and a scenario comparing
//! against them should place its events at their real clock times.

use std::collections::BTreeSet;

use shardsim_sim::{SimDuration, SimTime};

use super::series::{ActivitySeries, mean_of};
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

/// The mean of `mean(window) / mean(baseline)` over the events of `kind`, windows given as
/// offsets from the event. `Err` naming why when no event of the kind has both windows inside the
/// run and a baseline with activity.
pub fn event_multiple(
    series: &ActivitySeries,
    kind: &str,
    (from, to): (i128, i128),
    params: &FactParams,
) -> Result<f64, String> {
    let events: Vec<SimTime> = series
        .events
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.at)
        .collect();
    if events.is_empty() {
        return Err(format!("the scenario has no {kind} events"));
    }
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
    let mins = |d: SimDuration| d.as_secs_f64() / 60.0;
    let mut facts = Vec::new();
    for kind in kinds(series, params) {
        let after = (0, nanos(params.event_window));
        facts.push(MeasuredFact::new(
            format!("event_multiple_{kind}"),
            format!(
                "{kind}: activity in the {} min after / baseline",
                mins(params.event_window)
            ),
            event_multiple(series, &kind, after, params),
        ));
        let before = (-nanos(params.buildup), 0);
        facts.push(MeasuredFact::new(
            format!("event_buildup_{kind}"),
            format!(
                "{kind}: activity in the {} min before / baseline",
                mins(params.buildup)
            ),
            event_multiple(series, &kind, before, params),
        ));
    }
    facts
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
    /// (two events): multiples (4 + 2) / 2 = 3 after and 1.5 before.
    #[test]
    fn a_known_bump_gives_its_multiple() {
        let mut total = vec![10.0; 24 * 60];
        for (t, level) in [(600, 40.0), (1200, 20.0)] {
            total[t - 30..t].fill(15.0);
            total[t..t + 60].fill(level);
        }
        let mut s = series(1, total);
        s.events = vec![mark(600, "macro"), mark(1200, "macro"), mark(30, "macro")];
        let facts = measure(&s, &FactParams::default());
        let get = |id: &str| facts.iter().find(|f| f.id == id).unwrap().value.clone();
        // The event at minute 30 has no 3-hour baseline inside the run: it is skipped.
        assert_eq!(get("event_multiple_macro"), Measured::Value(3.0));
        assert_eq!(get("event_buildup_macro"), Measured::Value(1.5));
        let Measured::NotApplicable(why) = get("event_multiple_funding") else {
            panic!()
        };
        assert!(why.contains("no funding events"), "{why}");
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
        assert_eq!(facts.len(), 6); // macro, funding and unlock, two facts each
    }
}
