//! Ctrl-c during a sweep: the first stops new runs from starting (the runs under way finish and
//! are saved, so a rerun resumes after them); a second one exits at once, keeping what is
//! already saved.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);
static HANDLER: OnceLock<()> = OnceLock::new();

/// The flag ctrl-c sets, with the handler installed on first use (once per process).
pub fn stop_flag() -> &'static AtomicBool {
    HANDLER.get_or_init(|| {
        // Another handler already installed (an embedding program's) keeps its behaviour.
        let _ = ctrlc::set_handler(|| {
            if STOP.swap(true, Ordering::SeqCst) {
                eprintln!(
                    "\nstopped at once: the runs finished so far are saved; rerun the same \
                     command to resume"
                );
                std::process::exit(130);
            }
            eprintln!(
                "\ninterrupted: no new run starts; the runs under way finish and are saved \
                 (ctrl-c again to stop at once)"
            );
        });
    });
    &STOP
}
