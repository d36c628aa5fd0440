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
#[command(
    name = "shardsim",
    version,
    about,
    long_about = None,
    after_help = "With no command, `shardsim` runs the default experiment (the README's main \
                  job): a forecaster trained and evaluated on held-out seeds, one run's load \
                  heatmap, and the migration policies compared on paired seeds, written under \
                  results/ in a few minutes; a rerun reuses the runs already finished. \
                  `shardsim help <command>` describes one command."
)]
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
    /// Print a scenario's stylised market facts (autocorrelation, intraday profile, weekend
    /// ratio, activity around scheduled events, bursts, cascade lags) over seeds, next to the
    /// published values, their sources and a stated tolerance.
    Facts(FactsArgs),
}

/// `shardsim facts`.
#[derive(Debug, clap::Args)]
pub struct FactsArgs {
    /// A built-in scenario name or a file (it needs a [market] section: the facts are read
    /// from its feed).
    pub scenario: String,
    /// Seeds: one (3), a range (1..30) or a list (1,4,9 or 1..3,10).
    #[arg(long, default_value = "1..5", value_parser = parse_seeds)]
    pub seeds: Seeds,
    /// Simulated duration (default 7 days: a week holds a weekend, and the hour-of-day profile
    /// and deseasonalising average seven days rather than one draw of the latent market).
    #[arg(long, value_parser = crate::io::units::parse_positive_duration)]
    pub duration: Option<shardsim_sim::SimDuration>,
    /// Also write facts.csv and facts.json here.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Seeds from the command line, in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seeds(pub Vec<u64>);

/// Seeds written back in the grammar of [`parse_seeds`], runs of consecutive seeds as ranges
/// (`1..4`, `1..3,7`, `5`): how results and messages name the seeds they came from.
pub fn describe_seeds(seeds: &[u64]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < seeds.len() {
        let mut j = i;
        while j + 1 < seeds.len() && seeds[j + 1] == seeds[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            seeds[i].to_string()
        } else {
            format!("{}..{}", seeds[i], seeds[j])
        });
        i = j + 1;
    }
    parts.join(",")
}

/// The most seeds one command line may name.
const MAX_SEEDS: usize = 10_000;

/// Seeds as one seed (`3`), an inclusive range (`1..30`), or a comma-separated list of either
/// (`1,4,9`, `1..3,10..12`); each seed once.
pub fn parse_seeds(text: &str) -> Result<Seeds, String> {
    let allowed = "use a seed (3), a range A..B (1..30) or a list of them (1,4,9 or 1..3,10)";
    let seed = |s: &str| -> Result<u64, String> {
        s.trim().parse().map_err(|_| {
            format!(
                "`{}` is not a seed (a whole number ≥ 0): {allowed}",
                s.trim()
            )
        })
    };
    let mut seeds: Vec<u64> = Vec::new();
    for part in text.split(',') {
        let (a, b) = match part.split_once("..") {
            Some((a, b)) => (seed(a)?, seed(b)?),
            None => {
                let s = seed(part)?;
                (s, s)
            }
        };
        if a > b {
            return Err(format!(
                "seed range {} is empty: the first seed must not exceed the last",
                part.trim()
            ));
        }
        if b - a >= (MAX_SEEDS - seeds.len()) as u64 {
            return Err(format!("`{text}` names more than {MAX_SEEDS} seeds"));
        }
        for s in a..=b {
            if seeds.contains(&s) {
                return Err(format!(
                    "seed {s} is named twice in `{text}`: each run is made once, so name it once"
                ));
            }
            seeds.push(s);
        }
    }
    Ok(Seeds(seeds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_one_a_range_or_a_list_and_read_back_as_written() {
        assert_eq!(parse_seeds("3"), Ok(Seeds(vec![3])));
        assert_eq!(parse_seeds("1..4"), Ok(Seeds(vec![1, 2, 3, 4])));
        assert_eq!(parse_seeds("9, 1,4"), Ok(Seeds(vec![9, 1, 4])));
        assert_eq!(parse_seeds("1..3,10"), Ok(Seeds(vec![1, 2, 3, 10])));
        for text in ["3", "1..4", "1..3,10..10", "5..6,1..2"] {
            let seeds = parse_seeds(text).unwrap().0;
            assert_eq!(
                parse_seeds(&describe_seeds(&seeds)).unwrap().0,
                seeds,
                "{text}"
            );
        }
        assert_eq!(describe_seeds(&[1, 2, 3, 7]), "1..3,7");
        assert_eq!(describe_seeds(&[5]), "5");
    }

    #[test]
    fn bad_seeds_say_what_is_allowed() {
        let err = |t: &str| parse_seeds(t).unwrap_err();
        assert!(err("x").contains("`x` is not a seed"), "{}", err("x"));
        assert!(err("1,,2").contains("is not a seed"));
        assert!(err("4..2").contains("is empty"));
        assert!(err("1..3,2").contains("seed 2 is named twice"));
        assert!(err("0..20000").contains("more than 10000 seeds"));
        assert!(err("1..5000,6000..12000").contains("more than 10000 seeds"));
        assert!(err("-1").contains("not a seed"));
    }
}
