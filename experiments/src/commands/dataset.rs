//! `shardsim dataset`: forecasting rows from simulated runs, as CSV. Each run is saved beside
//! the file (`OUT.runs/`) as it finishes, so that an interrupted export resumes.

use anyhow::Result;

use super::interrupt;
use super::sweep::{self, SweepProgress};
use crate::cli::DatasetArgs;
use crate::forecast;
use crate::forecast::saved::{RowsKey, SavedRuns, collect_saved};
use crate::scenario::load_all;

/// Simulates every (scenario, seed) not saved before and writes their rows to `--out`.
pub fn command(args: &DatasetArgs) -> Result<()> {
    let scenarios = load_all(&args.scenarios)?;
    sweep::check_distinct_names(&scenarios)?;
    let jobs: Vec<_> = scenarios
        .iter()
        .flat_map(|s| args.seeds.0.iter().map(move |&seed| (s, seed)))
        .map(|(s, seed)| (s, seed, RowsKey::of(s, seed, args.duration, args.horizon)))
        .collect();
    let saved = SavedRuns::beside(&args.out);
    let loaded: Vec<_> = jobs
        .iter()
        .enumerate()
        .map(|(i, (_, _, key))| saved.load(key, i))
        .collect();
    let hours: Vec<f64> = jobs
        .iter()
        .zip(&loaded)
        .filter(|(_, l)| l.is_none())
        .map(|((s, _, _), _)| args.duration.unwrap_or(s.duration).as_secs_f64() / 3600.0)
        .collect();
    sweep::say_what_is_left(jobs.len(), &hours, saved.root());
    let labels = jobs
        .iter()
        .map(|(s, seed, _)| format!("{} seed {seed}", s.name))
        .collect();
    let skipped = loaded.iter().filter(|l| l.is_some()).count();
    let bar = SweepProgress::new(labels, skipped, "simulating");
    let done = collect_saved(
        &jobs,
        loaded,
        (args.duration, args.horizon),
        &saved,
        interrupt::stop_flag(),
        &bar,
    );
    bar.finish();
    let done = done?;
    sweep::check_all_ran(&done, saved.root())?;
    let runs: Vec<_> = done.into_iter().flatten().collect();
    let n = forecast::write_csv(&args.out, &runs)?;
    println!(
        "wrote {n} rows × {} features to {}",
        shardsim_model::FEATURES.len(),
        args.out.display()
    );
    Ok(())
}
