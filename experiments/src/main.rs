//! `shardsim`: the command line of the shardsim cluster simulator.
//!
//! This crate is the only one that touches files, the terminal, the clock or the environment;
//! `sim`, `model` and `optimizer` are pure libraries underneath it.
#![warn(missing_docs)]

mod bench;
mod output;
mod run;
mod scenario;
mod units;

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
    /// Run a scenario (a built-in name or a TOML file) and write its results.
    Run(RunArgs),
    /// Check a scenario file without running it.
    Validate {
        /// A scenario file (or a built-in name).
        scenario: String,
    },
    /// List the built-in scenarios.
    Scenarios,
    /// Measure throughput against a reference measured in the same run.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Args)]
struct RunArgs {
    /// A built-in scenario name (see `shardsim scenarios`) or a scenario file.
    scenario: String,
    /// Master seed (default: the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Routing policy (default: the scenario's).
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(POLICY_NAMES))]
    routing: Option<String>,
    /// Simulated time sources emit for (default: the scenario's), e.g. 2h, 30m.
    #[arg(long, value_parser = units::parse_positive_duration)]
    duration: Option<SimDuration>,
    /// Output directory (default: results/run-SCENARIO-seedN).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
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
    #[arg(long, default_value = "1h", value_parser = units::parse_positive_duration)]
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
        Some(Command::Run(args)) => run_scenario(&args),
        Some(Command::Validate { scenario }) => validate(&scenario),
        Some(Command::Scenarios) => {
            list_scenarios();
            Ok(())
        }
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

// Reads the wall clock once to report how long the run took on this machine; it never reaches a
// result file (see clippy.toml and ARCHITECTURE.md, "Determinism").
#[allow(clippy::disallowed_methods)]
fn run_scenario(args: &RunArgs) -> Result<()> {
    let scenario = scenario::Scenario::load(&args.scenario)?;
    let spec = run::RunSpec {
        seed: args.seed.unwrap_or(scenario.default_seed),
        routing: args
            .routing
            .clone()
            .unwrap_or_else(|| scenario.routing.clone()),
        duration: args.duration.unwrap_or(scenario.duration),
        scenario,
    };
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "results/run-{}-seed{}",
            spec.scenario.name, spec.seed
        ))
    });
    let total = spec.duration.as_nanos() / 1_000_000_000;
    let bar = if args.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:40}] {pos}/{len} simulated s ({eta} left)",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message(spec.scenario.name.clone());
        bar
    };
    let wall = std::time::Instant::now();
    let done = run::simulate(&spec, |secs| bar.set_position(secs))?;
    bar.finish_and_clear();
    let elapsed = wall.elapsed().as_secs_f64();
    let summary = run::summarise(&spec, &done);
    run::write_results(&out, &spec, &done, &summary)?;
    print!(
        "{}",
        run::render(&summary, done.sim.model().topology().shards.len())
    );
    println!(
        "  wall time   {elapsed:.1} s ({:.0} invocations/s)\n  results in  {}/",
        summary.invocations as f64 / elapsed.max(1e-9),
        out.display()
    );
    Ok(())
}

fn validate(name: &str) -> Result<()> {
    let s = scenario::Scenario::load(name)?;
    let (shards, functions, sources, rate) = s.stats();
    println!(
        "ok: {} — {} simulated, {shards} shards, {functions} functions at start, {sources} sources, ≈{rate:.0} events/s before bursts",
        s.name,
        units_display(s.duration)
    );
    Ok(())
}

fn list_scenarios() {
    for (name, text) in scenario::BUILT_IN {
        match scenario::Scenario::parse(text, name) {
            Ok(s) => println!("{name:<18} {}", s.description),
            Err(e) => println!("{name:<18} (invalid: {e})"),
        }
    }
}

fn units_display(d: SimDuration) -> String {
    let s = d.as_secs_f64();
    if s >= 3600.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.0} min", s / 60.0)
    }
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

/// The main job with no arguments. Until the end-to-end experiment (forecasting and planning)
/// lands, the most complete thing that works is a full day of the market-volatility scenario.
fn default_run() -> Result<()> {
    println!("shardsim: default run — 24 simulated hours of `market_volatility` (see README)\n");
    run_scenario(&RunArgs {
        scenario: "market_volatility".to_owned(),
        seed: None,
        routing: None,
        duration: None,
        out: Some(PathBuf::from("results/market_volatility")),
        quiet: false,
    })
}
