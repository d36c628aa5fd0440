//! `shardsim` with no arguments: the default experiment, one step per command.

use std::path::{Path, PathBuf};

use anyhow::Result;
use shardsim_model::TrainConfig;
use shardsim_sim::SimDuration;

use super::compare::{CompareOptions, ModelSource};
use super::evaluate::Publish;
use super::run::RunOutput;
use super::{compare, evaluate, run, train, wall_clock};
use crate::forecast;
use crate::forecast::saved::SavedRuns;
use crate::io::file_name;
use crate::run::RunSpec;
use crate::scenario::{Scenario, load_all};

/// The scenarios, seeds and length of the default experiment: small enough to finish in about
/// three minutes on two cores, large enough to show every part working. Real answers need more
/// seeds and full days (`shardsim compare … --seeds 1..30`). One market day with precursors
/// (volatility clustering, funding, cascade lags, venue lead-lag) and the control world without
/// any (`memoryless_shocks`), so that every claim is seen against a world nothing foreshadows.
pub const DEFAULT_SCENARIOS: [&str; 2] = ["market_volatility", "memoryless_shocks"];
/// Simulated minutes per run of the default experiment.
pub const DEFAULT_DURATION_MINS: u64 = 8 * 60;

/// The main job with no arguments: the whole story on built-in defaults — a run with its load
/// heatmap, a forecaster trained and evaluated on held-out seeds, and the four policies compared
/// on paired seeds, with every result and chart under `results/`.
pub fn default_run() -> Result<()> {
    let wall = wall_clock();
    let duration = SimDuration::from_mins(DEFAULT_DURATION_MINS);
    let names: Vec<String> = DEFAULT_SCENARIOS.iter().map(|s| (*s).to_owned()).collect();
    println!(
        "shardsim: the default experiment — {} over {} simulated hours each: a market day with \
         precursors and the control without them (see README)\n",
        DEFAULT_SCENARIOS.join(" and "),
        DEFAULT_DURATION_MINS / 60
    );
    let model = PathBuf::from("results/forecast/load.model");
    println!("[1/4] training the load forecaster on seeds 101..102");
    let scenarios = load_all(&names)?;
    let data = train::training_rows(
        &scenarios,
        &[101, 102],
        (Some(duration), SimDuration::from_mins(15)),
        &SavedRuns::beside(&model),
    )?;
    train::fit(
        &data,
        TrainConfig {
            seed: 1,
            ..TrainConfig::default()
        },
        &model,
    )?;
    println!(
        "\n[2/4] one run of market_volatility under the predictive policy, for its load heatmap"
    );
    let mut spec = RunSpec::new(Scenario::load("market_volatility")?);
    spec.duration = duration;
    spec.migration = "predictive".to_owned();
    spec.model = Some(run::named_model(&model)?);
    run::run(
        &spec,
        Path::new("results/run"),
        RunOutput {
            progress: true,
            plots: true,
        },
    )?;
    println!("\n[3/4] evaluating it on held-out seed 103");
    let evaluation = evaluate::on_held_out(
        forecast::load_model(&model)?,
        &scenarios,
        &[103],
        Some(duration),
        &SavedRuns::in_dir(PathBuf::from("results/forecast/runs")),
    )?;
    evaluate::publish(
        &evaluation,
        &Publish {
            model_file: file_name(&model),
            json: Some(Path::new("results/forecast/evaluation.json")),
            out: Path::new("results/forecast"),
            plots: true,
        },
    )?;
    println!("\n[4/4] comparing static, reactive, predictive and oracle on seeds 1..2");
    compare::compare(&CompareOptions {
        scenarios: names,
        seeds: vec![1, 2],
        policies: ["static", "reactive", "predictive", "oracle"]
            .iter()
            .map(|p| (*p).to_owned())
            .collect(),
        reference: "reactive".to_owned(),
        model: ModelSource::File(model),
        routing: None,
        duration: Some(duration),
        score_plans: true,
        plots: true,
        out: PathBuf::from("results/compare"),
    })?;
    println!(
        "\ndone in {:.0} s. Charts: results/compare/charts/ (policies), results/forecast/charts/ \
         (forecast vs actual), results/run/charts/ (load heatmap).",
        wall.elapsed().as_secs_f64()
    );
    Ok(())
}
