//! `shardsim`: the command line of the shardsim cluster simulator.
//!
//! This crate is the only one that touches files, the terminal, the clock or the environment;
//! `sim`, `model` and `optimizer` are pure libraries underneath it.
#![warn(missing_docs)]

mod bench;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use shardsim_sim::SimDuration;
use shardsim_sim::cluster::POLICY_NAMES;
use shardsim_sim::cluster::preset::SyntheticCluster;
use shardsim_sim::phold::PholdConfig;

/// Deterministic simulator of a sharded cluster running crypto-trading functions.
///
/// Run with no subcommand for the default experiment; `shardsim help <command>` for details.
#[derive(Debug, Parser)]
#[command(name = "shardsim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Measure throughput against a reference measured in the same run.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// PHOLD, the standard discrete-event benchmark, on the engine and on a bare binary heap.
    Phold(PholdArgs),
    /// The simulated cluster: 64 shards in 4 regions, 20 functions, Poisson arrivals,
    /// least-loaded routing; prints the conservation counts and invocations per second.
    Cluster(ClusterArgs),
}

#[derive(Debug, Args)]
struct ClusterArgs {
    /// Simulated time the sources emit for (e.g. 1h, 30m, 90s); the run then drains.
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    duration: SimDuration,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Timed runs; medians are reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    repeats: u32,
    /// Routing policy; any other than least-loaded is timed against least-loaded in the same run.
    #[arg(long, default_value = "least-loaded", value_parser = clap::builder::PossibleValuesParser::new(POLICY_NAMES))]
    routing: String,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct PholdArgs {
    /// Logical processes.
    #[arg(long, default_value_t = 1000)]
    lps: u32,
    /// Pending events per logical process.
    #[arg(long, default_value_t = 10)]
    pop: u32,
    /// Events handled per timed run.
    #[arg(long, default_value_t = 2_000_000)]
    events: u64,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Timed runs of each implementation; medians are reported.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    repeats: u32,
    /// Skip the bare-heap reference (then no ratio is reported).
    #[arg(long)]
    no_reference: bool,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Some(Command::Bench(BenchCommand::Phold(args))) => bench_phold(&args),
        Some(Command::Bench(BenchCommand::Cluster(args))) => bench_cluster(&args),
        None => default_run(),
    }
}

fn bench_phold(args: &PholdArgs) -> Result<()> {
    let config =
        PholdConfig::new(args.lps, args.pop, args.seed).context("invalid PHOLD settings")?;
    let report = bench::phold(config, args.events, args.repeats, !args.no_reference)?;
    print!("{}", report.render());
    if let Some(path) = &args.json {
        output::write_atomic(path, &serde_json::to_vec_pretty(&report)?)?;
    }
    Ok(())
}

fn bench_cluster(args: &ClusterArgs) -> Result<()> {
    let shape = SyntheticCluster {
        duration: args.duration,
        ..SyntheticCluster::BENCH
    };
    let report = bench::cluster(shape, args.seed, args.repeats, &args.routing)?;
    print!("{}", report.render());
    if let Some(path) = &args.json {
        output::write_atomic(path, &serde_json::to_vec_pretty(&report)?)?;
    }
    Ok(())
}

/// Parses `90s`, `15m`, `2h`, `1d`, `250ms` or a bare number of seconds.
fn parse_duration(text: &str) -> Result<SimDuration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: use e.g. 90s, 15m, 2h, 1d"))?;
    let secs = match unit {
        "" | "s" => value,
        "ms" => value / 1e3,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86_400.0,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}`: allowed ms, s, m, h, d"
            ));
        }
    };
    if !(secs.is_finite() && secs > 0.0) {
        return Err(format!("duration `{text}` must be positive"));
    }
    Ok(SimDuration::from_secs_f64(secs))
}

/// The main job with no arguments. Until the cluster experiments land, the most complete thing
/// that works is the engine benchmark; it writes `results/bench_phold.json`.
fn default_run() -> Result<()> {
    let args = PholdArgs {
        lps: 1000,
        pop: 10,
        events: 2_000_000,
        seed: 1,
        repeats: 5,
        no_reference: false,
        json: Some(PathBuf::from("results/bench_phold.json")),
    };
    println!("shardsim: default run — engine benchmark (PHOLD); see README for what comes next\n");
    bench_phold(&args)?;
    println!("\nwrote results/bench_phold.json");
    Ok(())
}
