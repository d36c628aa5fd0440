//! What a sweep of many runs shows while it works: a bar on a terminal, and otherwise (CI,
//! batch jobs, a log file) one line per finished run, then, after the first, an estimate of the
//! wall time left.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::Instant;

use super::{progress, wall_clock};
use crate::compare::Progress;

/// Progress of a sweep whose jobs are named by `labels`.
pub struct SweepProgress {
    labels: Vec<String>,
    to_run: usize,
    finished: AtomicUsize,
    bar: indicatif::ProgressBar,
    lines: bool,
    started: Mutex<Vec<Option<Instant>>>,
    estimate: Once,
}

impl SweepProgress {
    /// Progress over `labels.len()` jobs of which `skipped` were finished before.
    pub fn new(labels: Vec<String>, skipped: usize, what: &str) -> SweepProgress {
        let bar = progress(labels.len(), what);
        bar.set_position(skipped as u64);
        SweepProgress {
            to_run: labels.len() - skipped,
            started: Mutex::new(vec![None; labels.len()]),
            labels,
            finished: AtomicUsize::new(skipped),
            bar,
            lines: !std::io::stdout().is_terminal(),
            estimate: Once::new(),
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for SweepProgress {
    fn started(&self, index: usize) {
        self.started.lock().expect("not poisoned")[index] = Some(wall_clock());
    }

    fn finished(&self, index: usize) {
        let start = self.started.lock().expect("not poisoned")[index];
        let secs = start.map_or(0.0, |s| s.elapsed().as_secs_f64());
        let done = self.finished.fetch_add(1, Ordering::SeqCst) + 1;
        self.bar.inc(1);
        if !self.lines {
            return;
        }
        println!(
            "run {done}/{} done: {} ({secs:.1} s)",
            self.labels.len(),
            self.labels[index]
        );
        self.estimate.call_once(|| {
            let left = self.to_run.saturating_sub(1);
            if left > 0 {
                let threads = rayon::current_num_threads().max(1);
                println!(
                    "estimate: about {:.0} s of wall time for the {left} run{} left ({threads} \
                     at a time, if they take as long as this one)",
                    secs * left.div_ceil(threads) as f64,
                    if left == 1 { "" } else { "s" }
                );
            }
        });
    }
}
