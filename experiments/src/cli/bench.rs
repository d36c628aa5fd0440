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
    /// Simulated time the sources emit for (e.g. 1h, 30m, 90s); the run then drains.
    #[arg(long, default_value = "1h", value_parser = units::parse_positive_duration)]
    pub duration: SimDuration,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Timed runs; medians are reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub repeats: u32,
    /// Routing policy; any other than least-loaded is timed against least-loaded in the same run.
    #[arg(long, default_value = "least-loaded", value_parser = clap::builder::PossibleValuesParser::new(POLICY_NAMES))]
    pub routing: String,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

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
