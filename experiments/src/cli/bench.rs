//! `shardsim bench phold | cluster | plan`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use shardsim_sim::SimDuration;
use shardsim_sim::cluster::POLICY_NAMES;

use crate::io::units;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// PHOLD, the standard discrete-event benchmark, on the engine and on a bare binary heap.
    Phold(PholdArgs),
    /// The simulated cluster: 64 shards in 4 regions, 20 functions, Poisson arrivals,
    /// least-loaded routing; prints the conservation counts and invocations per second.
    Cluster(ClusterArgs),
    /// Planning steps of the predictive policy on a scenario: forecast + plan, and the fork
    /// scoring of each plan, with one simulated minute as the reference.
    Plan(PlanArgs),
}

#[derive(Debug, Args)]
pub struct PholdArgs {
    /// Logical processes.
    #[arg(long, default_value_t = 1000)]
    pub lps: u32,
    /// Pending events per logical process.
    #[arg(long, default_value_t = 10)]
    pub pop: u32,
    /// Events handled per timed run.
    #[arg(long, default_value_t = 2_000_000)]
    pub events: u64,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Timed runs of each implementation; medians are reported.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeats: u32,
    /// Skip the bare-heap reference (then no ratio is reported).
    #[arg(long)]
    pub no_reference: bool,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Simulated time the sources emit for (e.g. 1h, 30m, 90s) at 64 shards; N shards emit for
    /// duration × 64/N, the same number of invocations. The run then drains.
    #[arg(long, default_value = "1h", value_parser = units::parse_positive_duration)]
    pub duration: SimDuration,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Timed runs; medians are reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub repeats: u32,
    /// Routing policy; any other than least-loaded is timed against least-loaded in the same run.
    /// A comma-separated list (or several shard counts) prints the scaling table instead.
    #[arg(long, default_value = "least-loaded", value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(POLICY_NAMES))]
    pub routing: Vec<String>,
    /// Shards, 4 cpu slots each, round-robin over the four default regions; a comma-separated
    /// list (e.g. 64,256,1024,4096) prints the scaling table: one row per shard count and routing.
    #[arg(long, default_value = "64", value_delimiter = ',', value_parser = clap::value_parser!(u32).range(1..=MAX_BENCH_SHARDS))]
    pub shards: Vec<u32>,
    /// Functions, each placed on 16 shards [default: 5 per 16 shards, 20 at 64].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_BENCH_FUNCTIONS))]
    pub functions: Option<u32>,
    /// Arrivals per simulated second per shard (the total grows with the shards) [default: the
    /// rate of 60% cpu utilisation, ≈ 52].
    #[arg(long, value_parser = units::parse_positive_finite)]
    pub rate: Option<f64>,
    /// The scaling table at 64, 256, 1024 and 4096 shards under declared, power-of-two,
    /// least-loaded and bounded-hash routing.
    #[arg(long, conflicts_with_all = ["shards", "routing"])]
    pub scaling: bool,
    /// Internal: build and run one cluster untimed and print this process's peak resident memory
    /// before and after building and after the run (the scaling table runs one per row).
    #[arg(long, hide = true)]
    pub memory_probe: bool,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// The most shards `bench cluster` builds (the limit of any configuration).
pub const MAX_BENCH_SHARDS: i64 = shardsim_sim::cluster::MAX_SHARDS as i64;
/// The most functions: one event type each, and event types are 16-bit.
pub const MAX_BENCH_FUNCTIONS: i64 = 1 << 16;
/// `--scaling`'s shard counts.
pub const SCALING_SHARDS: [u32; 4] = [64, 256, 1024, 4096];
/// `--scaling`'s routing policies.
pub const SCALING_ROUTING: [&str; 4] = ["declared", "power-of-two", "least-loaded", "bounded-hash"];

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// A built-in scenario name or file.
    #[arg(default_value = "market_volatility")]
    pub scenario: String,
    /// The forecaster.
    #[arg(long, value_name = "MODEL")]
    pub model: PathBuf,
    /// Simulated time driven (planning starts to forecast after the first hour).
    #[arg(long, default_value = "12h", value_parser = units::parse_positive_duration)]
    pub duration: SimDuration,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}
