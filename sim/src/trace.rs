//! Where two runs diverge: a rolling digest of the event stream, checkpointed every N events.
//!
//! Two runs that should be identical (the same seed at two thread counts, on two machines, before
//! and after a refactoring) are compared by their traces: the first checkpoint whose digest
//! differs brackets the first event that differs, and a second pass that checkpoints every event
//! inside that bracket names it — its index, its exact simulated time and what it was. This is
//! madsim's idea (a log of draws that names the first divergence) on the event stream.
//!
//! ```
//! use shardsim_sim::phold::{Phold, PholdConfig};
//! use shardsim_sim::trace::{Trace, first_divergence};
//!
//! let run = |seed: u64| {
//!     move |trace: Trace| {
//!         let mut sim = Phold::simulation(PholdConfig::new(16, 2, seed).unwrap());
//!         sim.set_trace(trace);
//!         sim.run_events(5_000);
//!         sim.take_trace().unwrap()
//!     }
//! };
//! assert!(first_divergence(run(1), run(1), 1_000).is_none());
//! let d = first_divergence(run(1), run(2), 1_000).expect("different seeds differ");
//! assert_eq!(d.event, 1); // the very first event already differs
//! assert!(d.to_string().starts_with("diverged at t = "));
//! ```

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::RangeInclusive;

use crate::engine::Model;
use crate::hash::StableHasher;
use crate::time::SimTime;

/// A model whose events can be told apart in a trace: a short description of an event, as of
/// the model's state just before it is handled (e.g. "Finish swap-router on shard dex-01").
pub trait DescribeEvent: Model {
    /// What `event` is, in words a reader of a divergence report understands.
    fn describe(&self, event: &Self::Event) -> String;
}

/// The digest after some number of events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Events handled, this one included (the first event is #1).
    pub events: u64,
    /// When the last of them was handled.
    pub time: SimTime,
    /// Rolling digest over (time, event) of every event so far.
    pub digest: u64,
    /// The last event, described.
    pub what: String,
}

/// A rolling digest of a run's events, with a [`Checkpoint`] every `every` events (and at every
/// event of a `fine` window).
#[derive(Clone, Debug)]
pub struct Trace {
    every: u64,
    fine: Option<RangeInclusive<u64>>,
    events: u64,
    state: StableHasher,
    checkpoints: Vec<Checkpoint>,
}

impl Trace {
    /// A trace that checkpoints every `every` events (at least 1).
    pub fn new(every: u64) -> Trace {
        Trace {
            every: every.max(1),
            fine: None,
            events: 0,
            state: StableHasher::new(),
            checkpoints: Vec::new(),
        }
    }

    /// Also checkpoints every event whose number lies in `window`.
    pub fn fine(mut self, window: RangeInclusive<u64>) -> Trace {
        self.fine = Some(window);
        self
    }

    /// Events recorded so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The digest of everything recorded so far.
    pub fn digest(&self) -> u64 {
        self.state.finish()
    }

    /// The checkpoints, in order.
    pub fn checkpoints(&self) -> &[Checkpoint] {
        &self.checkpoints
    }

    /// Whether the event about to be recorded (number `events() + 1`) gets a checkpoint; only
    /// then is it described, so tracing costs a hash per event and a description per checkpoint.
    pub(crate) fn wants_checkpoint(&self) -> bool {
        let n = self.events + 1;
        n.is_multiple_of(self.every) || self.fine.as_ref().is_some_and(|w| w.contains(&n))
    }

    /// Records one event at `time`; `what` describes it when a checkpoint is due.
    pub(crate) fn record(&mut self, time: SimTime, event: &impl Hash, what: Option<String>) {
        self.state.write_u64(time.as_nanos());
        event.hash(&mut self.state);
        self.events += 1;
        if let Some(what) = what {
            self.checkpoints.push(Checkpoint {
                events: self.events,
                time,
                digest: self.state.finish(),
                what,
            });
        }
    }
}

/// The first event at which two runs differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// Its number (the first event of a run is #1).
    pub event: u64,
    /// Its time and description in the first run (`None`: the run had ended).
    pub a: Option<(SimTime, String)>,
    /// … and in the second.
    pub b: Option<(SimTime, String)>,
}

/// `HH:MM:SS.nnnnnnnnn` from the start of the run: to the nanosecond, because two runs can
/// differ by one.
pub fn exact_time(t: SimTime) -> String {
    let ns = t.as_nanos();
    let secs = ns / 1_000_000_000;
    format!(
        "{:02}:{:02}:{:02}.{:09}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        ns % 1_000_000_000
    )
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |s: &Option<(SimTime, String)>| match s {
            Some((t, what)) => format!("t = {}, {what}", exact_time(*t)),
            None => "the run had ended".to_owned(),
        };
        match (&self.a, &self.b) {
            (Some((ta, wa)), Some((tb, wb))) if ta == tb && wa == wb => write!(
                f,
                "diverged at t = {}, event #{} ({wa}: the same event with different effects \
                 before it, or different state)",
                exact_time(*ta),
                self.event
            ),
            (Some((t, _)), _) | (None, Some((t, _))) => write!(
                f,
                "diverged at t = {}, event #{} (first run: {}; second run: {})",
                exact_time(*t),
                self.event,
                side(&self.a),
                side(&self.b)
            ),
            (None, None) => write!(f, "diverged after event #{}", self.event),
        }
    }
}

/// The first checkpoint at which two traces differ: (its index, or the length of the shorter
/// when one is a prefix of the other and their totals differ).
fn first_differing(a: &Trace, b: &Trace) -> Option<usize> {
    let (ca, cb) = (a.checkpoints(), b.checkpoints());
    let same = |x: &Checkpoint, y: &Checkpoint| x.digest == y.digest && x.time == y.time;
    if let Some(i) = ca.iter().zip(cb).position(|(x, y)| !same(x, y)) {
        return Some(i);
    }
    let whole_same = a.events() == b.events() && a.digest() == b.digest();
    (!whole_same).then_some(ca.len().min(cb.len()))
}

/// Runs both sides with a trace checkpointed every `every` events and, if they differ, again
/// with every event checkpointed inside the first bracket that differs; returns the first event
/// that differs, or `None` when the two runs handled identical event streams.
///
/// Each side is a function that runs a whole simulation with the trace it is given installed
/// (`Simulation::set_trace`) and returns the trace (`take_trace`), so it must be deterministic.
pub fn first_divergence(
    run_a: impl Fn(Trace) -> Trace,
    run_b: impl Fn(Trace) -> Trace,
    every: u64,
) -> Option<Divergence> {
    let (a, b) = (run_a(Trace::new(every)), run_b(Trace::new(every)));
    let k = first_differing(&a, &b)?;
    let from = if k == 0 {
        1
    } else {
        a.checkpoints()[k - 1].events + 1
    };
    let window = from..=from + a.every - 1;
    let (fa, fb) = (
        run_a(Trace::new(every).fine(window.clone())),
        run_b(Trace::new(every).fine(window)),
    );
    let fine = |t: &Trace| -> Vec<Checkpoint> {
        t.checkpoints()
            .iter()
            .filter(|c| c.events >= from)
            .cloned()
            .collect()
    };
    let (xa, xb) = (fine(&fa), fine(&fb));
    let at = |v: &[Checkpoint], i: usize| v.get(i).map(|c| (c.time, c.what.clone()));
    let i = (0..xa.len().max(xb.len()))
        .find(|&i| match (xa.get(i), xb.get(i)) {
            (Some(x), Some(y)) => x.digest != y.digest || x.time != y.time,
            _ => true,
        })
        .unwrap_or(xa.len().min(xb.len()));
    Some(Divergence {
        event: from + i as u64,
        a: at(&xa, i),
        b: at(&xb, i),
    })
}

/// Panics, naming the first event at which the runs differ and the seed to reproduce them,
/// unless `run_a` and `run_b` handle identical event streams (see [`first_divergence`]).
///
/// # Panics
/// When they differ: that is what a determinism test is for.
pub fn assert_identical(
    what: &str,
    seed: u64,
    run_a: impl Fn(Trace) -> Trace,
    run_b: impl Fn(Trace) -> Trace,
    every: u64,
) {
    if let Some(d) = first_divergence(run_a, run_b, every) {
        panic!("{what}: the two runs {d}; reproduce with seed {seed}");
    }
}

impl Trace {
    /// The checkpoints as text, one line each: `events time_ns digest what`, with a first line
    /// for the totals — the format of golden trace files and of `shardsim run --trace-digest`.
    pub fn to_text(&self) -> String {
        let mut out = format!("total {} {:016x}\n", self.events, self.digest());
        for c in &self.checkpoints {
            out += &format!(
                "{} {} {:016x} {}\n",
                c.events,
                c.time.as_nanos(),
                c.digest,
                c.what
            );
        }
        out
    }

    /// Compares this trace with one saved by [`Trace::to_text`]; the error names the first
    /// checkpoint that differs (the divergence lies between it and the one before), or says
    /// the totals differ.
    pub fn compare_with_text(&self, golden: &str) -> Result<(), String> {
        let ours = self.to_text();
        let (mut ours_lines, mut golden_lines) = (ours.lines().skip(1), golden.lines().skip(1));
        let mut previous = "the start of the run".to_owned();
        loop {
            match (ours_lines.next(), golden_lines.next()) {
                (None, None) => break,
                (a, b) if a == b => {
                    previous = format!("checkpoint `{}`", a.unwrap_or_default());
                }
                (a, b) => {
                    let parse = |l: Option<&str>| match l {
                        Some(l) => {
                            let f: Vec<&str> = l.splitn(4, ' ').collect();
                            let t = f.get(1).and_then(|t| t.parse().ok()).unwrap_or(0);
                            format!(
                                "event #{} at t = {} ({})",
                                f[0],
                                exact_time(SimTime::from_nanos(t)),
                                f.get(3).unwrap_or(&"")
                            )
                        }
                        None => "nothing (the run ended)".to_owned(),
                    };
                    return Err(format!(
                        "diverged after {previous}: the next checkpoint is {} here and {} in \
                         the golden trace",
                        parse(a),
                        parse(b)
                    ));
                }
            }
        }
        if ours.lines().next() == golden.lines().next() {
            Ok(())
        } else {
            Err(format!(
                "the checkpoints agree but the totals differ: `{}` here, `{}` in the golden \
                 trace (the divergence lies after the last checkpoint)",
                ours.lines().next().unwrap_or_default(),
                golden.lines().next().unwrap_or_default()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phold::{Phold, PholdConfig, PholdEvent};
    use crate::time::SimDuration;

    fn run(seed: u64, inject_at: Option<u64>) -> impl Fn(Trace) -> Trace {
        move |trace| {
            let mut sim = Phold::simulation(PholdConfig::new(32, 2, seed).unwrap());
            sim.set_trace(trace);
            if let Some(n) = inject_at {
                sim.run_events(n);
                let at = sim.now() + SimDuration::from_nanos(1);
                sim.schedule_at(at, PholdEvent { lp: 0 });
            }
            sim.run_events(20_000 - inject_at.unwrap_or(0));
            sim.take_trace().unwrap()
        }
    }

    #[test]
    fn identical_runs_do_not_diverge() {
        assert_eq!(first_divergence(run(3, None), run(3, None), 777), None);
    }

    #[test]
    fn the_first_different_event_is_named_exactly() {
        // The second run gets one extra event scheduled 1 ns after its 12,345th event: every
        // event up to #12,345 is shared, #12,346 is the injected one.
        let d = first_divergence(run(3, None), run(3, Some(12_345)), 1_000).unwrap();
        assert_eq!(d.event, 12_346, "{d}");
        let (ta, _) = d.a.clone().unwrap();
        let (tb, what) = d.b.clone().unwrap();
        assert!(tb <= ta, "the injected event comes first: {d}");
        assert_eq!(what, "PHOLD event at LP 0");
        assert!(d.to_string().contains("event #12346"), "{d}");
    }

    #[test]
    fn checkpoints_come_every_n_events_and_describe_the_event() {
        let t = run(1, None)(Trace::new(5_000));
        let events: Vec<u64> = t.checkpoints().iter().map(|c| c.events).collect();
        assert_eq!(events, vec![5_000, 10_000, 15_000, 20_000]);
        assert!(t.checkpoints()[0].what.starts_with("PHOLD event at LP "));
        assert_eq!(t.events(), 20_000);
    }

    #[test]
    fn a_trace_compares_with_its_saved_text() {
        let golden = run(3, None)(Trace::new(1_000)).to_text();
        assert_eq!(
            run(3, None)(Trace::new(1_000)).compare_with_text(&golden),
            Ok(())
        );
        let err = run(3, Some(12_345))(Trace::new(1_000))
            .compare_with_text(&golden)
            .unwrap_err();
        assert!(
            err.starts_with("diverged after checkpoint `12000 ") && err.contains("event #13000"),
            "{err}"
        );
    }

    #[test]
    fn exact_times_keep_the_nanoseconds() {
        let t = SimTime::ZERO + SimDuration::from_nanos(5_025_000_000_123);
        assert_eq!(exact_time(t), "01:23:45.000000123");
    }
}
