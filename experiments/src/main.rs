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
