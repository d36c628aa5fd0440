//! What each command does: a handler per command that turns its clap arguments into the plain
//! options of a library function, and those functions, which the default experiment
//! ([`default::default_run`]) calls with its own settings.
//!
//! Everything printed to the terminal is printed here; the modules below (`run`, `compare`,
//! `forecast`, `report`, …) compute and write files.

pub mod bench;
pub mod compare;
pub mod dataset;
pub mod default;
pub mod evaluate;
pub mod facts;
pub mod interrupt;
pub mod plot;
pub mod run;
pub mod sweep;
pub mod train;
pub mod validate;

use anyhow::Result;

use crate::cli::{BenchCommand, Cli, Command};

/// Runs the command `cli` names (the default experiment when it names none).
pub fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Some(Command::Run(args)) => run::command(&args),
        Some(Command::Validate { scenario }) => validate::command(&scenario),
        Some(Command::Scenarios) => {
            validate::list_scenarios();
            Ok(())
        }
        Some(Command::Dataset(args)) => dataset::command(&args),
        Some(Command::Train(args)) => train::command(&args),
        Some(Command::Evaluate(args)) => evaluate::command(&args),
        Some(Command::Compare(args)) => compare::command(&args).map(|_| ()),
        Some(Command::Plot { dir }) => plot::command(&dir),
        Some(Command::Facts(args)) => facts::command(&args),
        Some(Command::Bench(BenchCommand::Phold(args))) => bench::phold(&args),
        Some(Command::Bench(BenchCommand::Cluster(args))) => bench::cluster(&args),
        Some(Command::Bench(BenchCommand::Plan(args))) => bench::plan(&args),
        None => default::default_run(),
    }
}

/// A progress bar over `total` runs, labelled `what` (drawn on the terminal only).
pub fn progress(total: usize, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} runs ({eta} left)")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

/// Wall-clock start for timings printed to the terminal; they never reach a result file (see
/// clippy.toml and ARCHITECTURE.md, "Determinism").
#[allow(clippy::disallowed_methods)]
pub fn wall_clock() -> std::time::Instant {
    std::time::Instant::now()
}
