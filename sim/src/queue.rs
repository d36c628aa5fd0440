//! The future-event set: a binary min-heap of small `Copy` entries ordered by (time, seq).
//!
//! `seq` is a counter stamped at scheduling, so events at equal times come out in the order they
//! were scheduled — the tie-break every reproducible simulator needs. Entries are plain values (no
//! per-event `Box`), so the heap is one contiguous `Vec`.
//!
//! Cancellation is lazy: a cancelled entry stays in the heap and is discarded when it reaches the
//! top, before the clock can move to its time. The set of cancelled sequence numbers is only
//! consulted while it is non-empty, so models that never cancel pay one branch per pop.

use std::cmp::Ordering;
use std::collections::{BTreeSet, BinaryHeap};

use crate::time::SimTime;

/// Identifies one scheduled event; returned by scheduling and accepted by `cancel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventKey {
    time: SimTime,
    seq: u64,
}

impl EventKey {
    /// When the event is due.
    pub const fn time(&self) -> SimTime {
        self.time
    }
    /// Its scheduling sequence number: the tie-break among equal times.
    pub const fn seq(&self) -> u64 {
        self.seq
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    fn key(&self) -> EventKey {
        EventKey {
            time: self.time,
            seq: self.seq,
        }
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, because `BinaryHeap` is a max-heap and we want the earliest (time, seq) on top.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// A priority queue of events ordered by (time, seq), with cancellation.
///
/// Removal is monotone: the queue refuses (panics on) an event earlier than the last one removed,
/// since that would make the clock run backwards — a bug in the model, not an input error.
#[derive(Clone, Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    cancelled: BTreeSet<u64>,
    last_removed: Option<EventKey>,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty queue with room for `capacity` pending events.
    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(capacity),
            next_seq: 0,
            cancelled: BTreeSet::new(),
            last_removed: None,
        }
    }

    /// Number of events still due to fire.
    pub fn len(&self) -> usize {
        self.heap.len() - self.cancelled.len()
    }

    /// Whether no event is due to fire.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sequence numbers handed out so far (= events ever scheduled).
    pub fn scheduled_count(&self) -> u64 {
        self.next_seq
    }

    fn entry(&mut self, time: SimTime, event: E) -> Entry<E> {
        if let Some(last) = self.last_removed {
            assert!(
                time >= last.time,
                "event scheduled at {time} before the current time {}",
                last.time
            );
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        Entry { time, seq, event }
    }

    /// Schedules `event` at `time`.
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) -> EventKey {
        let entry = self.entry(time, event);
        self.heap.push(entry);
        entry.key()
    }

    /// Drops cancelled entries from the top, then shows the next live event.
    #[inline]
    pub fn peek(&mut self) -> Option<(EventKey, E)> {
        if !self.cancelled.is_empty() {
            self.discard_cancelled_top();
        }
        self.heap.peek().map(|e| (e.key(), e.event))
    }

    #[cold]
    fn discard_cancelled_top(&mut self) {
        while let Some(top) = self.heap.peek() {
            if !self.cancelled.remove(&top.seq) {
                break;
            }
            self.heap.pop();
        }
    }

    /// Removes and returns the next live event.
    #[inline]
    pub fn pop(&mut self) -> Option<(EventKey, E)> {
        let (key, event) = self.peek()?;
        self.heap.pop();
        self.last_removed = Some(key);
        Some((key, event))
    }

    /// Removes the next live event and schedules `event` at `time` in one sift — the "hold"
    /// operation: half the work of `pop` followed by `push`.
    ///
    /// Returns the removed event and the new event's key, or `None` (scheduling nothing) if the
    /// queue is empty.
    #[inline]
    pub fn pop_and_push(&mut self, time: SimTime, event: E) -> Option<((EventKey, E), EventKey)> {
        let (key, old) = self.peek()?;
        self.last_removed = Some(key);
        let entry = self.entry(time, event);
        if let Some(mut top) = self.heap.peek_mut() {
            *top = entry; // PeekMut sifts the new entry down when it drops
        }
        Some(((key, old), entry.key()))
    }

    /// Marks the top event as removed without taking it out of the heap yet, so that a handler
    /// that schedules exactly one follow-up can reuse its slot (see [`EventQueue::replace_taken`]).
    /// Returns it, or `None` if the queue is empty. The caller must follow with exactly one of
    /// `replace_taken` or `finish_take`.
    #[inline]
    pub(crate) fn take_top(&mut self) -> Option<(EventKey, E)> {
        let (key, event) = self.peek()?;
        self.last_removed = Some(key);
        Some((key, event))
    }

    /// Overwrites the entry returned by `take_top` with a new event (one sift-down).
    #[inline]
    pub(crate) fn replace_taken(&mut self, time: SimTime, event: E) -> EventKey {
        let entry = self.entry(time, event);
        let mut top = self
            .heap
            .peek_mut()
            .expect("replace_taken without a taken top");
        *top = entry;
        entry.key()
    }

    /// Removes the entry returned by `take_top`.
    #[inline]
    pub(crate) fn finish_take(&mut self) {
        self.heap.pop();
    }

    /// Cancels a pending event. Returns `false` if it already fired or was already cancelled.
    pub fn cancel(&mut self, key: EventKey) -> bool {
        let already_removed = self.last_removed.is_some_and(|last| key <= last);
        if already_removed || key.seq >= self.next_seq {
            return false;
        }
        self.cancelled.insert(key.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimDuration;

    fn t(n: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_nanos(n)
    }

    #[test]
    fn pops_in_time_then_scheduling_order() {
        let mut q = EventQueue::new();
        q.push(t(5), 'a');
        q.push(t(1), 'b');
        q.push(t(5), 'c');
        q.push(t(1), 'd');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ['b', 'd', 'a', 'c']);
    }

    #[test]
    fn cancelled_events_are_skipped_and_not_counted() {
        let mut q = EventQueue::new();
        let a = q.push(t(1), 'a');
        q.push(t(2), 'b');
        assert!(q.cancel(a));
        assert!(!q.cancel(a), "cancelling twice reports false");
        assert_eq!(q.len(), 1);
        assert_eq!(q.pop().map(|(k, e)| (k.time(), e)), Some((t(2), 'b')));
        assert!(q.pop().is_none());
    }

    #[test]
    fn cancelling_a_fired_event_is_refused() {
        let mut q = EventQueue::new();
        let a = q.push(t(1), 'a');
        q.pop();
        assert!(!q.cancel(a));
        assert!(q.is_empty());
    }

    #[test]
    fn pop_and_push_matches_pop_then_push() {
        let mut a = EventQueue::new();
        let mut b = EventQueue::new();
        for (i, time) in [9, 3, 7, 3, 1].into_iter().enumerate() {
            a.push(t(time), i);
            b.push(t(time), i);
        }
        for step in 0..20u64 {
            let next = t(10 + step / 3); // ties among new events, never before the last pop
            let ((ka, ea), _) = a.pop_and_push(next, 100 + step as usize).unwrap();
            let (kb, eb) = b.pop().unwrap();
            b.push(next, 100 + step as usize);
            assert_eq!((ka, ea), (kb, eb));
        }
    }

    #[test]
    #[should_panic(expected = "before the current time")]
    fn scheduling_into_the_past_is_a_bug() {
        let mut q = EventQueue::new();
        q.push(t(10), ());
        q.pop();
        q.push(t(9), ());
    }
}
