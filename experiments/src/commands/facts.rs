//! `shardsim facts`: a scenario's stylised market facts over seeds, next to the published ones.

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use crate::cli::{FactsArgs, describe_seeds};
use crate::facts::{self, FactParams, published_facts};
use crate::io::{atomic::write_json, csv::write_csv};
use crate::run::{RunSpec, simulate};
use crate::scenario::Scenario;

/// The default span of a facts run: a week (see [`FactsArgs::duration`]).
pub const FACTS_DURATION: shardsim_sim::SimDuration =
    shardsim_sim::SimDuration::from_mins(7 * 24 * 60);

/// Runs the scenario on every seed (no migration policy: the facts are the workload's), bins
/// each run's market feed, measures, and prints the table; with `--out`, also its CSV and JSON.
pub fn command(args: &FactsArgs) -> Result<()> {
    let scenario = Scenario::load(&args.scenario)?;
    if scenario.config(None).market.is_none() {
        bail!(
            "scenario `{}` has no [market] section: the facts are read from the market feed \
             (add one; `shardsim scenarios` lists the built-ins, all of which have one)",
            scenario.name
        );
    }
    let params = FactParams::default();
    let seeds = &args.seeds.0;
    eprintln!(
        "facts of {} on seeds {} …",
        scenario.name,
        describe_seeds(seeds)
    );
    let series = seeds
        .par_iter()
        .map(|&seed| -> Result<facts::ActivitySeries> {
            let spec = RunSpec {
                seed,
                duration: args.duration.unwrap_or(FACTS_DURATION),
                ..RunSpec::new(scenario.clone())
            };
            let done = simulate(&spec, |_| {})?;
            facts::from_run::activity(
                &spec.scenario.config(Some(spec.duration)),
                done.sim.model(),
                done.intervals,
            )
            .map_err(|e| anyhow::anyhow!("seed {seed}: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let per_seed: Vec<_> = series.iter().map(|s| facts::measure(s, &params)).collect();
    let all: Vec<&facts::ActivitySeries> = series.iter().collect();
    let table = facts::compare(
        &published_facts(),
        &per_seed,
        &facts::measure_pooled(&all, &params),
        &scenario.shaped_on,
    );
    print!("{}", table.render());
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let rows = table.csv_rows();
        write_csv(&dir.join("facts.csv"), &rows)?;
        write_json(&dir.join("facts.json"), &rows)?;
        eprintln!("wrote {}/facts.csv and facts.json", dir.display());
    }
    Ok(())
}
