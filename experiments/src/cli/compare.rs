//! `shardsim compare`.

use std::path::PathBuf;

use clap::Args;
use shardsim_sim::SimDuration;
use shardsim_sim::cluster::POLICY_NAMES;

use super::{Seeds, parse_seeds};
use crate::io::units;

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Built-in scenario names or files.
    #[arg(required = true)]
    pub scenarios: Vec<String>,
    /// Seeds: one (3), a range (1..30) or a list (1,4,9 or 1..3,10); every policy runs on every
    /// seed (paired).
    #[arg(long, default_value = "1..30", value_parser = parse_seeds)]
    pub seeds: Seeds,
    /// Migration policies, comma-separated: static, reactive, predictive, oracle, performance.
    #[arg(
        long,
        default_value = "static,reactive,predictive,oracle",
        value_delimiter = ','
    )]
    pub policies: Vec<String>,
    /// The policy every other is paired against.
    #[arg(long, default_value = "reactive")]
    pub reference: String,
    /// Forecaster for `predictive` (default: train one on seeds after the compared ones).
    #[arg(long, value_name = "MODEL")]
    pub model: Option<PathBuf>,
    /// Seeds the forecaster is trained on when no --model is given (default: the 4 seeds
    /// after the last compared one).
    #[arg(long, value_parser = parse_seeds)]
    pub train_seeds: Option<Seeds>,
    /// Routing policy (default: each scenario's).
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(POLICY_NAMES))]
    pub routing: Option<String>,
    /// Simulated time per run (default: each scenario's), e.g. 2h.
    #[arg(long, value_parser = units::parse_positive_duration)]
    pub duration: Option<SimDuration>,
    /// Do not score plans by forking (faster; no calibration figures).
    #[arg(long)]
    pub no_score: bool,
    /// Do not render charts.
    #[arg(long)]
    pub no_plots: bool,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "results/compare")]
    pub out: PathBuf,
}
