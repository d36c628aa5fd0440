//! What a sweep of many runs shows while it works: a bar on a terminal, and otherwise (CI,
//! batch jobs, a log file) one line per finished run, then, after the first, an estimate of the
//! wall time left.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::Instant;

use anyhow::{Result, bail};

use super::{progress, wall_clock};
use crate::compare::Progress;
use crate::scenario::Scenario;

/// Two scenarios of one sweep with the same name would merge their results (and share their
/// saved runs' directories).
pub fn check_distinct_names(scenarios: &[Scenario]) -> Result<()> {
    for (i, a) in scenarios.iter().enumerate() {
        if let Some(b) = scenarios[..i].iter().find(|b| b.name == a.name) {
            bail!(
                "{} and {} both name their scenario `{}`: the scenarios of one command need \
                 distinct names (change `name` in one of them)",
                b.origin,
                a.origin,
                a.name
            );
        }
    }
    Ok(())
}

/// Says, before anything runs, how many of `total` runs were finished before (saved under
/// `saved`) and how much simulated time is left (`hours`: one entry per run to simulate).
pub fn say_what_is_left(total: usize, hours: &[f64], saved: &Path) {
    let skipped = total - hours.len();
    if skipped > 0 {
        println!(
            "resuming: {skipped} of {total} runs already finished in {}/ (skipped, loaded); {} \
             to run",
            saved.display(),
            hours.len()
        );
    }
    if hours.is_empty() {
        println!("every run is finished: nothing to simulate");
        return;
    }
    let n = hours.len();
    println!(
        "{n} run{} to simulate, {:.1} simulated hours in all",
        if n == 1 { "" } else { "s" },
        hours.iter().sum::<f64>()
    );
}

/// An error unless every run is done: a sweep stopped by ctrl-c says how many finished and
/// that rerunning resumes.
pub fn check_all_ran<T>(done: &[Option<T>], saved: &Path) -> Result<()> {
    let finished = done.iter().filter(|d| d.is_some()).count();
    if finished < done.len() {
        bail!(
            "interrupted: {finished} of {} runs are finished and saved in {}/; rerun the same \
             command to resume (finished runs are loaded, not simulated again)",
            done.len(),
            saved.display()
        );
    }
    Ok(())
}

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
