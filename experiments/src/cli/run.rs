//! `shardsim run`.

use std::path::PathBuf;

use clap::Args;
use shardsim_sim::SimDuration;
use shardsim_sim::cluster::POLICY_NAMES;

use crate::io::units;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// A built-in scenario name (see `shardsim scenarios`) or a scenario file.
    pub scenario: String,
    /// Master seed (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Routing policy (default: the scenario's).
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(POLICY_NAMES))]
    pub routing: Option<String>,
    /// Simulated time sources emit for (default: the scenario's), e.g. 2h, 30m.
    #[arg(long, value_parser = units::parse_positive_duration)]
    pub duration: Option<SimDuration>,
    /// Migration policy: static (none), reactive, predictive, oracle, performance.
    #[arg(long, default_value = "static")]
    pub policy: String,
    /// Forecaster for `--policy predictive` (without it: persistence).
    #[arg(long, value_name = "MODEL")]
    pub model: Option<PathBuf>,
    /// Output directory (default: results/run-SCENARIO-seedN).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Do not render charts.
    #[arg(long)]
    pub no_plots: bool,
    /// Also write a digest of the run's event stream to FILE, one line per checkpoint
    /// (`events time_ns digest event`): two runs that should be identical differ first in the
    /// checkpoint after the first event that differs (`diff A B`).
    #[arg(long, value_name = "FILE")]
    pub trace_digest: Option<PathBuf>,
    /// Events between checkpoints of `--trace-digest`.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub trace_every: u64,
}
