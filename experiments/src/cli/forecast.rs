//! `shardsim dataset`, `train` and `evaluate`.

use std::path::PathBuf;

use clap::Args;
use shardsim_model::features::FeatureSet;
use shardsim_model::forecaster::TrainConfig;
use shardsim_sim::SimDuration;

use super::{Seeds, parse_seeds};
use crate::io::units;

#[derive(Debug, Args)]
pub struct DatasetArgs {
    /// Built-in scenario names or files.
    #[arg(required = true)]
    pub scenarios: Vec<String>,
    /// Seeds: one (3), a range (1..10) or a list (1,4,9 or 1..3,10).
    #[arg(long, value_parser = parse_seeds)]
    pub seeds: Seeds,
    /// Output CSV.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Simulated time per run (default: each scenario's).
    #[arg(long, value_parser = units::parse_positive_duration)]
    pub duration: Option<SimDuration>,
    /// Forecast horizon.
    #[arg(long, default_value = "15m", value_parser = units::parse_positive_duration)]
    pub horizon: SimDuration,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Built-in scenario names or files (omit with --data).
    pub scenarios: Vec<String>,
    /// Seeds: one (3), a range (1..10) or a list (1,4,9 or 1..3,10).
    #[arg(long, value_parser = parse_seeds, required_unless_present = "data")]
    pub seeds: Option<Seeds>,
    /// Train on an exported dataset instead of simulating.
    #[arg(long, value_name = "FILE.csv", conflicts_with = "seeds")]
    pub data: Option<PathBuf>,
    /// The model file to write.
    #[arg(long, value_name = "MODEL")]
    pub out: PathBuf,
    /// Simulated time per run (default: each scenario's).
    #[arg(long, value_parser = units::parse_positive_duration)]
    pub duration: Option<SimDuration>,
    /// Forecast horizon.
    #[arg(long, default_value = "15m", value_parser = units::parse_positive_duration)]
    pub horizon: SimDuration,
    /// Metrics interval of the rows in --data.
    #[arg(long, default_value = "1m", value_parser = units::parse_positive_duration)]
    pub interval: SimDuration,
    /// Forest size.
    #[arg(long, default_value_t = TrainConfig::default().trees)]
    pub trees: usize,
    /// Forest depth.
    #[arg(long, default_value_t = TrainConfig::default().max_depth)]
    pub max_depth: u16,
    /// Training rows at most (evenly spaced subsample).
    #[arg(long, default_value_t = TrainConfig::default().max_rows)]
    pub max_rows: usize,
    /// Seed of the forest.
    #[arg(long, default_value_t = 1)]
    pub model_seed: u64,
    /// The features the model reads: `all`, `load-history` (only the shard's own load: the
    /// reference that shows what everything else is worth), or `without-GROUP` for a group of
    /// load, shard, clock, cluster, peers, regions, feed, demand, calendar (an ablation).
    #[arg(long, default_value = "all", value_parser = parse_feature_set)]
    pub features: FeatureSet,
}

/// `all`, `load-history` or `without-GROUP`.
fn parse_feature_set(text: &str) -> Result<FeatureSet, String> {
    FeatureSet::from_name(text).ok_or_else(|| {
        let names: Vec<String> = FeatureSet::every().map(FeatureSet::name).collect();
        format!("`{text}`: use one of {}", names.join(", "))
    })
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The model file.
    #[arg(long, value_name = "MODEL")]
    pub model: PathBuf,
    /// Held-out built-in scenario names or files.
    pub scenarios: Vec<String>,
    /// Held-out seeds: one (11), a range (11..14) or a list (11,15).
    #[arg(long, value_parser = parse_seeds, required_unless_present = "series")]
    pub seeds: Option<Seeds>,
    /// Simulated time per run (default: each scenario's).
    #[arg(long, value_parser = units::parse_positive_duration)]
    pub duration: Option<SimDuration>,
    /// Also write the scores as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Evaluate on an external load series (one value per row) instead: a univariate model is
    /// trained on its first 70% and scored on the rest.
    #[arg(long, value_name = "FILE.csv", conflicts_with = "seeds")]
    pub series: Option<PathBuf>,
    /// The series' column.
    #[arg(long, requires = "series")]
    pub column: Option<String>,
    /// Spacing of the series' values.
    #[arg(long, requires = "series", value_parser = units::parse_positive_duration)]
    pub interval: Option<SimDuration>,
    /// Where forecast.csv (forecast vs actual for the busiest shards of the first run) and the
    /// charts go.
    #[arg(long, value_name = "DIR", default_value = "results/evaluate")]
    pub out: PathBuf,
    /// Do not render charts.
    #[arg(long)]
    pub no_plots: bool,
}
