//! The simulation driver: a model, its future-event set, and the clock.
//!
//! A model is a plain struct holding its state (components in `Vec`s addressed by typed ids) and a
//! closed `enum` of the events it handles. The engine pops the earliest event, moves the clock to
//! its time and calls [`Model::handle`], which may schedule or cancel events through the
//! [`Scheduler`]. Nothing else runs: there are no threads, callbacks or wall-clock reads inside a
//! run, which is why a run is a pure function of its model and seed.

use std::hash::Hash;

use crate::queue::{EventKey, EventQueue};
use crate::time::{SimDuration, SimTime};
use crate::trace::{DescribeEvent, Trace};

/// A simulated system: its state and how it reacts to each event.
pub trait Model {
    /// The closed set of events this model handles. `Copy` keeps queue entries small and
    /// allocation-free; put bulky data in the model and refer to it by id.
    type Event: Copy;

    /// Reacts to `event`, which is due at `scheduler.now()`.
    fn handle(&mut self, event: Self::Event, scheduler: &mut Scheduler<Self::Event>);
}

/// What a handler may do to the future: read the clock, schedule, cancel.
#[derive(Clone, Debug)]
pub struct Scheduler<E> {
    queue: EventQueue<E>,
    now: SimTime,
    /// True while a handler runs and its event still occupies the top of the heap, so the first
    /// event it schedules can take that slot with one sift instead of a pop and a push.
    slot_free: bool,
}

impl<E: Copy> Scheduler<E> {
    fn new() -> Self {
        Scheduler {
            queue: EventQueue::new(),
            now: SimTime::ZERO,
            slot_free: false,
        }
    }

    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` after `delay`.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) -> EventKey {
        self.schedule_at(self.now + delay, event)
    }

    /// Schedules `event` at `time`.
    ///
    /// # Panics
    /// If `time` is before [`Scheduler::now`]: the clock cannot run backwards.
    #[inline]
    pub fn schedule_at(&mut self, time: SimTime, event: E) -> EventKey {
        assert!(
            time >= self.now,
            "event scheduled at {time}, before now ({})",
            self.now
        );
        if self.slot_free {
            self.slot_free = false;
            self.queue.replace_taken(time, event)
        } else {
            self.queue.push(time, event)
        }
    }

    /// Cancels a pending event so that it never fires (and never moves the clock). Returns
    /// `false` if it has already fired or been cancelled.
    pub fn cancel(&mut self, key: EventKey) -> bool {
        self.queue.cancel(key)
    }

    /// Events due to fire, not counting the one being handled.
    pub fn pending(&self) -> usize {
        self.queue.len() - usize::from(self.slot_free)
    }

    /// Events ever scheduled in this run.
    pub fn scheduled_count(&self) -> u64 {
        self.queue.scheduled_count()
    }
}

/// One handled event, as reported by [`Simulation::step`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fired<E> {
    /// When it fired and its scheduling sequence number.
    pub key: EventKey,
    /// The event itself.
    pub event: E,
}

/// A model together with its clock and pending events.
///
/// `Simulation` is `Clone` whenever the model is: a clone is a fork that, run on, does exactly
/// what the original would — the basis of plan scoring by paired forks.
#[derive(Clone, Debug)]
pub struct Simulation<M: Model> {
    model: M,
    scheduler: Scheduler<M::Event>,
    handled: u64,
    /// Off unless a [`Trace`] is installed: then every handled event is digested.
    tracer: Option<Box<Tracer<M>>>,
}

/// An installed trace and how to digest and describe this model's events (captured when it is
/// installed, so that only traced models need `Hash` events).
struct Tracer<M: Model> {
    trace: Trace,
    record: fn(&mut Trace, &M, SimTime, &M::Event),
}

impl<M: Model> Clone for Tracer<M> {
    fn clone(&self) -> Self {
        Tracer {
            trace: self.trace.clone(),
            record: self.record,
        }
    }
}

impl<M: Model> std::fmt::Debug for Tracer<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracer")
            .field("trace", &self.trace)
            .finish()
    }
}

fn record<M: DescribeEvent>(trace: &mut Trace, model: &M, time: SimTime, event: &M::Event)
where
    M::Event: Hash,
{
    let what = trace.wants_checkpoint().then(|| model.describe(event));
    trace.record(time, event, what);
}

impl<M: Model> Simulation<M> {
    /// A simulation of `model` at time zero with nothing scheduled.
    pub fn new(model: M) -> Self {
        Simulation {
            model,
            scheduler: Scheduler::new(),
            handled: 0,
            tracer: None,
        }
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.scheduler.now
    }

    /// The model, for reading results.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The model, for changing a fork (e.g. applying a plan).
    pub fn model_mut(&mut self) -> &mut M {
        &mut self.model
    }

    /// The model and the scheduler together, for changes that also schedule events.
    pub fn parts_mut(&mut self) -> (&mut M, &mut Scheduler<M::Event>) {
        (&mut self.model, &mut self.scheduler)
    }

    /// Consumes the simulation, returning its model.
    pub fn into_model(self) -> M {
        self.model
    }

    /// Events handled so far.
    pub fn handled(&self) -> u64 {
        self.handled
    }

    /// Events waiting to fire.
    pub fn pending(&self) -> usize {
        self.scheduler.pending()
    }

    /// Schedules `event` at `time` from outside the model (initial conditions, injected changes).
    pub fn schedule_at(&mut self, time: SimTime, event: M::Event) -> EventKey {
        self.scheduler.schedule_at(time, event)
    }

    /// Schedules `event` after `delay` from now.
    pub fn schedule_in(&mut self, delay: SimDuration, event: M::Event) -> EventKey {
        self.scheduler.schedule_in(delay, event)
    }

    /// Cancels a pending event; see [`Scheduler::cancel`].
    pub fn cancel(&mut self, key: EventKey) -> bool {
        self.scheduler.cancel(key)
    }

    /// When the next event is due, if any.
    pub fn next_event_time(&mut self) -> Option<SimTime> {
        self.scheduler.queue.peek().map(|(k, _)| k.time())
    }

    /// Handles the next event, returning it, or `None` when nothing is pending.
    #[inline]
    pub fn step(&mut self) -> Option<Fired<M::Event>> {
        let (key, event) = self.scheduler.queue.take_top()?;
        self.scheduler.now = key.time();
        if let Some(t) = &mut self.tracer {
            (t.record)(&mut t.trace, &self.model, key.time(), &event);
        }
        self.scheduler.slot_free = true;
        self.model.handle(event, &mut self.scheduler);
        if self.scheduler.slot_free {
            self.scheduler.slot_free = false;
            self.scheduler.queue.finish_take();
        }
        self.handled += 1;
        Some(Fired { key, event })
    }

    /// Handles up to `limit` events; returns how many were handled.
    pub fn run_events(&mut self, limit: u64) -> u64 {
        let mut n = 0;
        while n < limit && self.step().is_some() {
            n += 1;
        }
        n
    }

    /// Handles every event due at or before `until`, then sets the clock to `until`.
    pub fn run_until(&mut self, until: SimTime) {
        while self.next_event_time().is_some_and(|t| t <= until) {
            self.step();
        }
        if until > self.scheduler.now {
            self.scheduler.now = until;
        }
    }

    /// Digests every event handled from now on into `trace` (see [`crate::trace`]).
    pub fn set_trace(&mut self, trace: Trace)
    where
        M: DescribeEvent,
        M::Event: Hash,
    {
        self.tracer = Some(Box::new(Tracer {
            trace,
            record: record::<M>,
        }));
    }

    /// The installed trace, if any.
    pub fn trace(&self) -> Option<&Trace> {
        self.tracer.as_ref().map(|t| &t.trace)
    }

    /// Removes the installed trace and returns it.
    pub fn take_trace(&mut self) -> Option<Trace> {
        self.tracer.take().map(|t| t.trace)
    }

    /// Handles every pending event (the model must eventually stop scheduling).
    pub fn run_to_completion(&mut self) {
        while self.step().is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts down: each event `n > 0` schedules `n - 1` one second later.
    #[derive(Clone, Debug, Default)]
    struct Countdown {
        seen: Vec<(SimTime, u32)>,
    }

    impl Model for Countdown {
        type Event = u32;
        fn handle(&mut self, n: u32, s: &mut Scheduler<u32>) {
            self.seen.push((s.now(), n));
            if n > 0 {
                s.schedule_in(SimDuration::from_secs(1), n - 1);
            }
        }
    }

    #[test]
    fn runs_a_chain_to_completion() {
        let mut sim = Simulation::new(Countdown::default());
        sim.schedule_at(SimTime::ZERO, 3);
        sim.run_to_completion();
        let secs: Vec<u64> = sim
            .model()
            .seen
            .iter()
            .map(|(t, _)| t.as_nanos() / 1_000_000_000)
            .collect();
        assert_eq!(secs, [0, 1, 2, 3]);
        assert_eq!(sim.handled(), 4);
        assert_eq!(sim.pending(), 0);
    }

    #[test]
    fn run_until_stops_at_the_boundary_and_sets_the_clock() {
        let mut sim = Simulation::new(Countdown::default());
        sim.schedule_at(SimTime::ZERO, 10);
        let until = SimTime::ZERO + SimDuration::from_millis(2_500);
        sim.run_until(until);
        assert_eq!(sim.model().seen.len(), 3); // t = 0, 1, 2
        assert_eq!(sim.now(), until);
        assert_eq!(sim.pending(), 1);
    }

    #[test]
    fn a_cancelled_event_never_moves_the_clock() {
        let mut sim = Simulation::new(Countdown::default());
        let far = sim.schedule_at(SimTime::ZERO + SimDuration::from_secs(100), 0);
        sim.schedule_at(SimTime::ZERO + SimDuration::from_secs(1), 0);
        assert!(sim.cancel(far));
        sim.run_to_completion();
        assert_eq!(sim.now(), SimTime::ZERO + SimDuration::from_secs(1));
        assert_eq!(sim.model().seen.len(), 1);
    }
}
