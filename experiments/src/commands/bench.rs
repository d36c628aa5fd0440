//! `shardsim bench phold | cluster | plan`: the report on the terminal, and as JSON if asked.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use shardsim_sim::cluster::preset::SyntheticCluster;
use shardsim_sim::phold::PholdConfig;

use crate::bench;
use crate::cli::{ClusterArgs, PholdArgs, PlanArgs};
use crate::forecast;
use crate::io::write_json;
use crate::scenario::Scenario;

/// `bench phold`.
pub fn phold(args: &PholdArgs) -> Result<()> {
    let config =
        PholdConfig::new(args.lps, args.pop, args.seed).context("invalid PHOLD settings")?;
    let report = bench::phold(config, args.events, args.repeats, !args.no_reference)?;
    print!("{}", report.render());
    json_if_asked(args.json.as_deref(), &report)
}

/// `bench cluster`.
pub fn cluster(args: &ClusterArgs) -> Result<()> {
    let shape = SyntheticCluster {
        duration: args.duration,
        ..SyntheticCluster::BENCH
    };
    let report = bench::cluster(shape, args.seed, args.repeats, &args.routing)?;
    print!("{}", report.render());
    json_if_asked(args.json.as_deref(), &report)
}

/// `bench plan`.
pub fn plan(args: &PlanArgs) -> Result<()> {
    let scenario = Scenario::load(&args.scenario)?;
    let model = forecast::load_model(&args.model)?;
    let report = bench::plan(&scenario, args.seed, args.duration, &model)?;
    print!("{}", report.render());
    json_if_asked(args.json.as_deref(), &report)
}

/// Writes `report` to `--json`, if given.
fn json_if_asked(path: Option<&Path>, report: &impl Serialize) -> Result<()> {
    match path {
        Some(path) => write_json(path, report),
        None => Ok(()),
    }
}
