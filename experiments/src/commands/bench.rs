//! `shardsim bench phold | cluster | plan`: the report on the terminal, and as JSON if asked.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use shardsim_sim::cluster::preset::SyntheticCluster;
use shardsim_sim::phold::PholdConfig;

use crate::bench;
use crate::bench_scaling::{self, MemoryProbe};
use crate::cli::{ClusterArgs, PholdArgs, PlanArgs, SCALING_ROUTING, SCALING_SHARDS};
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

/// `bench cluster`: the single report for one shard count and routing policy, else the
/// scaling table (one row per shard count and routing, each row's memory from a probe process).
pub fn cluster(args: &ClusterArgs) -> Result<()> {
    let (shard_counts, routings) = if args.scaling {
        (
            SCALING_SHARDS.to_vec(),
            SCALING_ROUTING.map(str::to_owned).to_vec(),
        )
    } else {
        (args.shards.clone(), args.routing.clone())
    };
    let shapes = shard_counts
        .iter()
        .map(|&n| cluster_shape(args, n))
        .collect::<Result<Vec<_>>>()?;
    if args.memory_probe {
        let (Some(shape), [routing]) = (shapes.first(), routings.as_slice()) else {
            bail!("--memory-probe measures one shard count under one routing policy");
        };
        let probe = bench_scaling::probe_memory(shape, args.seed, routing)?;
        print!("{}", probe.render());
        return Ok(());
    }
    if let ([shape], [routing]) = (shapes.as_slice(), routings.as_slice()) {
        let report = bench::cluster(*shape, args.seed, args.repeats, routing)?;
        print!("{}", report.render());
        return json_if_asked(args.json.as_deref(), &report);
    }
    let first = shapes[0].shards;
    let probe =
        |shape: &SyntheticCluster, routing: &str| memory_probe_process(args, shape, routing);
    let mut header_printed = false;
    let report = bench_scaling::scaling(
        &shapes,
        &routings,
        args.seed,
        args.repeats,
        &probe,
        &mut |row| {
            if !header_printed {
                header_printed = true;
                print!("{}", bench_scaling::table_header(first));
            }
            print!("{}", row.render());
        },
    )?;
    print!("{}", report.preamble(first));
    json_if_asked(args.json.as_deref(), &report)
}

/// The generated cluster `bench cluster` measures at `shards`: [`SyntheticCluster::scaled`]
/// with `--functions` and `--rate` if given, emitting for `--duration` × 64 / `shards`. At 64
/// shards with neither flag it is [`SyntheticCluster::BENCH`] exactly.
pub fn cluster_shape(args: &ClusterArgs, shards: u32) -> Result<SyntheticCluster> {
    let mut shape = SyntheticCluster {
        duration: bench_scaling::scaled_duration(args.duration, shards)?,
        ..SyntheticCluster::scaled(shards)
    };
    if let Some(functions) = args.functions {
        shape.functions = functions;
    }
    if let Some(rate) = args.rate {
        shape.utilisation = shape.utilisation_for_rate_per_shard(rate);
    }
    Ok(shape)
}

/// Runs this program again as `bench cluster --memory-probe` for one row, so that its peak RSS
/// is that row's alone; `None` where the system reports no peak RSS.
fn memory_probe_process(
    args: &ClusterArgs,
    shape: &SyntheticCluster,
    routing: &str,
) -> Result<Option<MemoryProbe>> {
    if bench::peak_rss_mib().is_none() {
        return Ok(None);
    }
    let exe = std::env::current_exe().context("cannot find this program to run a memory probe")?;
    let mut command = std::process::Command::new(exe);
    command.args(["bench", "cluster", "--memory-probe"]);
    command.args(["--shards", &shape.shards.to_string()]);
    command.args(["--routing", routing]);
    command.args(["--duration", &crate::io::units::duration_arg(args.duration)]);
    command.args(["--seed", &args.seed.to_string()]);
    command.args(["--functions", &shape.functions.to_string()]);
    if let Some(rate) = args.rate {
        command.args(["--rate", &rate.to_string()]);
    }
    let output = command
        .output()
        .context("cannot run the memory probe process")?;
    if !output.status.success() {
        bail!(
            "the memory probe for {} shards under {routing} failed: {}",
            shape.shards,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    MemoryProbe::parse(&String::from_utf8_lossy(&output.stdout)).map(Some)
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{BenchCommand, Cli, Command};

    fn cluster_args(extra: &[&str]) -> ClusterArgs {
        let mut argv = vec!["shardsim", "bench", "cluster"];
        argv.extend(extra);
        match Cli::try_parse_from(argv).unwrap().command {
            Some(Command::Bench(BenchCommand::Cluster(args))) => args,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn the_default_command_measures_the_bench_shape_exactly() {
        let args = cluster_args(&[]);
        assert_eq!(args.shards, [64]);
        assert_eq!(cluster_shape(&args, 64).unwrap(), SyntheticCluster::BENCH);
        let explicit = cluster_args(&["--shards", "64", "--functions", "20", "--duration", "1h"]);
        assert_eq!(
            cluster_shape(&explicit, 64).unwrap(),
            SyntheticCluster::BENCH
        );
    }

    #[test]
    fn larger_clusters_keep_the_rate_per_shard_and_the_invocations() {
        let args = cluster_args(&["--rate", "30"]);
        let (small, large) = (
            cluster_shape(&args, 64).unwrap(),
            cluster_shape(&args, 1024).unwrap(),
        );
        assert!((small.rate_per_shard() - 30.0).abs() < 1e-9);
        assert!((large.rate_per_shard() - 30.0).abs() < 1e-9);
        assert_eq!(large.functions, 320);
        let ratio = large.expected_invocations() / small.expected_invocations();
        assert!((ratio - 1.0).abs() < 1e-9, "{ratio}");
    }
}
