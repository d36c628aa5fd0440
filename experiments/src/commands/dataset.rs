//! `shardsim dataset`: forecasting rows from simulated runs, as CSV.

use anyhow::Result;

use super::progress;
use crate::cli::DatasetArgs;
use crate::forecast;
use crate::scenario::load_all;

/// Simulates every (scenario, seed) and writes their rows to `--out`.
pub fn command(args: &DatasetArgs) -> Result<()> {
    let scenarios = load_all(&args.scenarios)?;
    let bar = progress(scenarios.len() * args.seeds.0.len(), "simulating");
    let runs = forecast::collect(
        &scenarios,
        &args.seeds.0,
        args.duration,
        args.horizon,
        &|| bar.inc(1),
    )?;
    bar.finish_and_clear();
    let n = forecast::write_csv(&args.out, &runs)?;
    println!(
        "wrote {n} rows × {} features to {}",
        shardsim_model::FEATURES.len(),
        args.out.display()
    );
    Ok(())
}
