//! The command line as clap parses it: one argument struct per command, grouped by family.
//!
//! The doc comments on the fields and on the variants of [`Command`] *are* the help text
//! (`shardsim --help`, `shardsim help run`), so they say what a user needs. The argument types
//! themselves carry none, because clap reads a doc comment there as help text too; so that the
//! help has one source, `missing_docs` is allowed in this module. A command's handler in
//! [`crate::commands`] turns its arguments into the plain options of a library function.
#![allow(missing_docs)]

mod bench;
mod compare;
mod forecast;
mod run;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use bench::{
    BenchCommand, ClusterArgs, MAX_BENCH_FUNCTIONS, MAX_BENCH_SHARDS, PholdArgs, PlanArgs,
    SCALING_ROUTING, SCALING_SHARDS,
};
pub use compare::CompareArgs;
pub use forecast::{DatasetArgs, EvaluateArgs, TrainArgs};
pub use run::RunArgs;

/// Deterministic simulator of a sharded cluster running crypto-trading functions.
///
/// Run with no subcommand for the default experiment; `shardsim help <command>` for details.
#[derive(Debug, Parser)]
#[command(name = "shardsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario (a built-in name or a TOML file) and write its results.
    Run(RunArgs),
    /// Check a scenario file without running it.
    Validate {
        /// A scenario file (or a built-in name).
        scenario: String,
    },
    /// List the built-in scenarios.
    Scenarios,
    /// Export forecasting rows (features known at t, label = load at t + horizon) as CSV.
    Dataset(DatasetArgs),
    /// Train the load forecaster (random forest and ridge; the better on validation is kept).
    Train(TrainArgs),
    /// Score a model and the baselines on held-out seeds and scenarios, or on a series of yours.
    Evaluate(EvaluateArgs),
    /// Render every chart a results directory supports (from `run`, `compare` or `evaluate`)
    /// into DIR/charts/, as PNG and SVG.
    Plot {
        /// A results directory.
        dir: PathBuf,
    },
    /// Compare migration policies (static, reactive, predictive, oracle, performance) on
    /// paired seeds: per-run results, plan scores, and a table with Student-t intervals over seeds.
    Compare(CompareArgs),
    /// Measure throughput against a reference measured in the same run.
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// An inclusive seed range from the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seeds(pub Vec<u64>);

/// An inclusive seed range, `A..B`.
pub fn parse_seeds(text: &str) -> Result<Seeds, String> {
    let (a, b) = text
        .split_once("..")
        .ok_or_else(|| format!("`{text}` is not a seed range: use A..B, e.g. 1..10"))?;
    let (a, b): (u64, u64) = (
        a.trim()
            .parse()
            .map_err(|_| format!("`{a}` is not a seed"))?,
        b.trim()
            .parse()
            .map_err(|_| format!("`{b}` is not a seed"))?,
    );
    if a > b {
        return Err(format!(
            "seed range {text} is empty: the first seed must not exceed the last"
        ));
    }
    if b - a >= 10_000 {
        return Err(format!("seed range {text} has more than 10,000 seeds"));
    }
    Ok(Seeds((a..=b).collect()))
}
