//! `shardsim dataset`: forecasting rows from simulated runs, as CSV. Each run is saved beside
//! the file (`OUT.runs/`) as it finishes, so that an interrupted export resumes; `train` and
//! `evaluate` gather their rows the same way ([`rows_of_runs`]).

use anyhow::Result;
use shardsim_sim::SimDuration;

use super::interrupt;
use super::sweep::{self, SweepProgress};
use crate::cli::DatasetArgs;
use crate::forecast;
use crate::forecast::RunRows;
use crate::forecast::saved::{RowsKey, SavedRuns, collect_saved};
use crate::scenario::{Scenario, load_all};

/// Simulates every (scenario, seed) not saved before and writes their rows to `--out`.
pub fn command(args: &DatasetArgs) -> Result<()> {
    let scenarios = load_all(&args.scenarios)?;
    let runs = rows_of_runs(
        &scenarios,
        &args.seeds.0,
        (args.duration, args.horizon),
        &SavedRuns::beside(&args.out),
        "simulating",
    )?;
    let n = forecast::write_csv(&args.out, &runs)?;
    println!(
        "wrote {n} rows × {} features to {}",
        shardsim_model::FEATURES.len(),
        args.out.display()
    );
    Ok(())
}

/// The forecasting rows of every (scenario, seed), scenario-major, numbered in that order:
/// runs finished before are loaded from `saved`, the rest simulated in parallel and saved as
/// each finishes, so that `dataset`, `train` and `evaluate` resume where they were stopped.
/// Progress is labelled `what`.
pub fn rows_of_runs(
    scenarios: &[Scenario],
    seeds: &[u64],
    (duration, horizon): (Option<SimDuration>, SimDuration),
    saved: &SavedRuns,
    what: &str,
) -> Result<Vec<RunRows>> {
    sweep::check_distinct_names(scenarios)?;
    let jobs: Vec<_> = scenarios
        .iter()
        .flat_map(|s| seeds.iter().map(move |&seed| (s, seed)))
        .map(|(s, seed)| (s, seed, RowsKey::of(s, seed, duration, horizon)))
        .collect();
    let loaded: Vec<_> = jobs
        .iter()
        .enumerate()
        .map(|(i, (_, _, key))| saved.load(key, i))
        .collect();
    let hours: Vec<f64> = jobs
        .iter()
        .zip(&loaded)
        .filter(|(_, l)| l.is_none())
        .map(|((s, _, _), _)| duration.unwrap_or(s.duration).as_secs_f64() / 3600.0)
        .collect();
    sweep::say_what_is_left(jobs.len(), &hours, saved.root());
    let labels = jobs
        .iter()
        .map(|(s, seed, _)| format!("{} seed {seed}", s.name))
        .collect();
    let skipped = loaded.iter().filter(|l| l.is_some()).count();
    let bar = SweepProgress::new(labels, skipped, what);
    let done = collect_saved(
        &jobs,
        loaded,
        (duration, horizon),
        saved,
        interrupt::stop_flag(),
        &bar,
    );
    bar.finish();
    let done = done?;
    sweep::check_all_ran(&done, saved.root())?;
    Ok(done.into_iter().flatten().collect())
}
