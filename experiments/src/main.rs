//! `shardsim`: the command line of the shardsim cluster simulator.
//!
//! This crate is the only one that touches files, the terminal, the clock or the environment;
//! `sim`, `model` and `optimizer` are pure libraries underneath it.
#![warn(missing_docs)]

mod bench;
mod charts;
mod compare;
mod forecast;
mod output;
mod plot;
mod run;
mod scenario;
mod units;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use shardsim_model::forecaster::TrainConfig;
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
    /// paired seeds: per-run results, plan scores, and a table with bootstrap intervals.
    Compare(CompareArgs),
    /// Measure throughput against a reference measured in the same run.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Args)]
struct CompareArgs {
    /// Built-in scenario names or files.
    #[arg(required = true)]
    scenarios: Vec<String>,
    /// Seeds, an inclusive range A..B; every policy runs on every seed (paired).
    #[arg(long, default_value = "1..30", value_parser = forecast::parse_seeds)]
    seeds: forecast::Seeds,
    /// Migration policies, comma-separated: static, reactive, predictive, oracle, performance.
    #[arg(
        long,
        default_value = "static,reactive,predictive,oracle",
        value_delimiter = ','
    )]
    policies: Vec<String>,
    /// The policy every other is paired against.
    #[arg(long, default_value = "reactive")]
    reference: String,
    /// Forecaster for `predictive` (default: train one on seeds after the compared ones).
    #[arg(long, value_name = "MODEL")]
    model: Option<PathBuf>,
    /// Seeds the forecaster is trained on when no --model is given (default: the 4 seeds
    /// after the last compared one).
    #[arg(long, value_parser = forecast::parse_seeds)]
    train_seeds: Option<forecast::Seeds>,
    /// Routing policy (default: each scenario's).
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(POLICY_NAMES))]
    routing: Option<String>,
    /// Simulated time per run (default: each scenario's), e.g. 2h.
    #[arg(long, value_parser = units::parse_positive_duration)]
    duration: Option<SimDuration>,
    /// Do not score plans by forking (faster; no calibration figures).
    #[arg(long)]
    no_score: bool,
    /// Do not render charts.
    #[arg(long)]
    no_plots: bool,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "results/compare")]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct DatasetArgs {
    /// Built-in scenario names or files.
    #[arg(required = true)]
    scenarios: Vec<String>,
    /// Seeds, an inclusive range A..B.
    #[arg(long, value_parser = forecast::parse_seeds)]
    seeds: forecast::Seeds,
    /// Output CSV.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Simulated time per run (default: each scenario's).
    #[arg(long, value_parser = units::parse_positive_duration)]
    duration: Option<SimDuration>,
    /// Forecast horizon.
    #[arg(long, default_value = "15m", value_parser = units::parse_positive_duration)]
    horizon: SimDuration,
}

#[derive(Debug, Args)]
struct TrainArgs {
    /// Built-in scenario names or files (omit with --data).
    scenarios: Vec<String>,
    /// Seeds, an inclusive range A..B.
    #[arg(long, value_parser = forecast::parse_seeds, required_unless_present = "data")]
    seeds: Option<forecast::Seeds>,
    /// Train on an exported dataset instead of simulating.
    #[arg(long, value_name = "FILE.csv", conflicts_with = "seeds")]
    data: Option<PathBuf>,
    /// The model file to write.
    #[arg(long, value_name = "MODEL")]
    out: PathBuf,
    /// Simulated time per run (default: each scenario's).
    #[arg(long, value_parser = units::parse_positive_duration)]
    duration: Option<SimDuration>,
    /// Forecast horizon.
    #[arg(long, default_value = "15m", value_parser = units::parse_positive_duration)]
    horizon: SimDuration,
    /// Metrics interval of the rows in --data.
    #[arg(long, default_value = "1m", value_parser = units::parse_positive_duration)]
    interval: SimDuration,
    /// Forest size.
    #[arg(long, default_value_t = TrainConfig::default().trees)]
    trees: usize,
    /// Forest depth.
    #[arg(long, default_value_t = TrainConfig::default().max_depth)]
    max_depth: u16,
    /// Training rows at most (evenly spaced subsample).
    #[arg(long, default_value_t = TrainConfig::default().max_rows)]
    max_rows: usize,
    /// Seed of the forest.
    #[arg(long, default_value_t = 1)]
    model_seed: u64,
}

#[derive(Debug, Args)]
struct EvaluateArgs {
    /// The model file.
    #[arg(long, value_name = "MODEL")]
    model: PathBuf,
    /// Held-out built-in scenario names or files.
    scenarios: Vec<String>,
    /// Held-out seeds, an inclusive range C..D.
    #[arg(long, value_parser = forecast::parse_seeds, required_unless_present = "series")]
    seeds: Option<forecast::Seeds>,
    /// Simulated time per run (default: each scenario's).
    #[arg(long, value_parser = units::parse_positive_duration)]
    duration: Option<SimDuration>,
    /// Also write the scores as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Evaluate on an external load series (one value per row) instead: a univariate model is
    /// trained on its first 70% and scored on the rest.
    #[arg(long, value_name = "FILE.csv", conflicts_with = "seeds")]
    series: Option<PathBuf>,
    /// The series' column.
    #[arg(long, requires = "series")]
    column: Option<String>,
    /// Spacing of the series' values.
    #[arg(long, requires = "series", value_parser = units::parse_positive_duration)]
    interval: Option<SimDuration>,
    /// Where forecast.csv (forecast vs actual for the busiest shards of the first run) and the
    /// charts go.
    #[arg(long, value_name = "DIR", default_value = "results/evaluate")]
    out: PathBuf,
    /// Do not render charts.
    #[arg(long)]
    no_plots: bool,
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
    /// Migration policy: static (none), reactive, predictive, oracle, performance.
    #[arg(long, default_value = "static")]
    policy: String,
    /// Forecaster for `--policy predictive` (without it: persistence).
    #[arg(long, value_name = "MODEL")]
    model: Option<PathBuf>,
    /// Output directory (default: results/run-SCENARIO-seedN).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Do not render charts.
    #[arg(long)]
    no_plots: bool,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
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
struct PlanArgs {
    /// A built-in scenario name or file.
    #[arg(default_value = "market_volatility")]
    scenario: String,
    /// The forecaster.
    #[arg(long, value_name = "MODEL")]
    model: PathBuf,
    /// Simulated time driven (planning starts to forecast after the first hour).
    #[arg(long, default_value = "12h", value_parser = units::parse_positive_duration)]
    duration: SimDuration,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
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
        Some(Command::Dataset(args)) => dataset(&args),
        Some(Command::Train(args)) => train(&args),
        Some(Command::Evaluate(args)) => evaluate(&args),
        Some(Command::Compare(args)) => compare_policies(&args).map(|_| ()),
        Some(Command::Plot { dir }) => {
            let written = plot::plot_dir(&dir)?;
            for p in &written {
                println!("{}", p.display());
            }
            Ok(())
        }
        Some(Command::Bench(BenchCommand::Phold(args))) => bench_phold(&args),
        Some(Command::Bench(BenchCommand::Cluster(args))) => bench_cluster(&args),
        Some(Command::Bench(BenchCommand::Plan(args))) => bench_plan(&args),
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
        migration: args.policy.clone(),
        model: match &args.model {
            Some(path) => Some((
                std::sync::Arc::new(forecast::load_model(path)?),
                path.file_name()
                    .map_or_else(String::new, |f| f.to_string_lossy().into_owned()),
            )),
            None => None,
        },
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
    if !args.no_plots {
        plot::plot_dir(&out)?;
        println!("  charts in   {}/charts/", out.display());
    }
    Ok(())
}

fn load_all(names: &[String]) -> Result<Vec<scenario::Scenario>> {
    names
        .iter()
        .map(|n| Ok(scenario::Scenario::load(n)?))
        .collect()
}

fn progress(total: usize, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} runs ({eta} left)")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

fn dataset(args: &DatasetArgs) -> Result<()> {
    let scenarios = load_all(&args.scenarios)?;
    let bar = progress(scenarios.len() * args.seeds.0.len(), "simulating");
    let runs = forecast::collect(
        &scenarios,
        &args.seeds.0,
        args.duration,
        args.horizon,
        &|| bar.inc(1),
    )?;
    bar.finish_and_clear();
    let n = forecast::write_csv(&args.out, &runs)?;
    println!(
        "wrote {n} rows × {} features to {}",
        shardsim_model::FEATURES.len(),
        args.out.display()
    );
    Ok(())
}

fn train(args: &TrainArgs) -> Result<()> {
    let config = shardsim_model::TrainConfig {
        trees: args.trees,
        max_depth: args.max_depth,
        max_rows: args.max_rows,
        seed: args.model_seed,
        ..shardsim_model::TrainConfig::default()
    };
    let data = if let Some(data) = &args.data {
        let (rows, scenarios) = forecast::read_csv(data)?;
        let name = data
            .file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
        TrainingData {
            rows,
            scenarios,
            interval_secs: args.interval.as_secs_f64(),
            horizon: (args.horizon.as_nanos() / args.interval.as_nanos()) as usize,
            source: format!("dataset {name}"),
        }
    } else {
        if args.scenarios.is_empty() {
            anyhow::bail!("name at least one scenario to simulate, or give --data FILE.csv");
        }
        let scenarios = load_all(&args.scenarios)?;
        let seeds = args.seeds.clone().map(|s| s.0).unwrap_or_default();
        training_rows(
            &scenarios,
            &seeds,
            args.duration,
            args.horizon,
            "simulating",
        )?
    };
    println!(
        "training on {} rows (forest and ridge for the load and for the peak; the better on validation is kept)…",
        data.rows.len()
    );
    let started = wall_clock();
    let model = data.train(config)?;
    let fit_secs = started.elapsed().as_secs_f64();
    output::write_atomic(&args.out, &model.to_bytes())?;
    let (f, r, p) = model.metadata.validation_mae;
    println!(
        "load at t + horizon, validation MAE: random forest {f:.4}, ridge {r:.4}, persistence {p:.4} → kept {:?}; fitted on {} rows; moves {:.0}% (calm) and {:.0}% (volatile) of the way from the load at t to it",
        model.kind,
        model.metadata.rows.1,
        model.shrinkage[0] * 100.0,
        model.shrinkage[1] * 100.0
    );
    let (f, r, p) = model.metadata.peak_validation_mae;
    println!(
        "peak over the horizon, validation MAE: random forest {f:.4}, ridge {r:.4}, the load at t {p:.4} → kept {:?}; overload threshold {:.2}",
        model.peak_kind, model.overload_threshold
    );
    println!(
        "fitted in {fit_secs:.1} s wall (forest and ridge for each of the two targets, side by side on up to two threads)"
    );
    println!("wrote {}", args.out.display());
    Ok(())
}

/// Wall-clock start for timings printed to the terminal; they never reach a result file.
#[allow(clippy::disallowed_methods)]
fn wall_clock() -> std::time::Instant {
    std::time::Instant::now()
}

fn evaluate(args: &EvaluateArgs) -> Result<()> {
    let model = forecast::load_model(&args.model)?;
    // The rows to plot forecast against actual for, with shard names, and the model scored.
    let (scores, shown, names, interval_secs, horizon, scored_model) =
        if let Some(series) = &args.series {
            let column = args
                .column
                .as_deref()
                .context("--series needs --column NAME")?;
            let interval = args
                .interval
                .context("--series needs --interval, e.g. 5m")?;
            let horizon =
                (forecast::model_horizon(&model).as_nanos() / interval.as_nanos()).max(1) as usize;
            let rows = forecast::series_rows(series, column, interval, horizon)?;
            let split = rows.len() * 7 / 10;
            let (head, tail) = rows.split_at(split);
            let univariate = forecast::train(
                head,
                &BTreeMap::new(),
                horizon,
                interval.as_secs_f64(),
                shardsim_model::TrainConfig {
                    max_rows: 20_000,
                    ..Default::default()
                },
                format!("series {column}"),
            )?;
            println!(
                "univariate model trained on the first {} rows, scored on the last {}",
                head.len(),
                tail.len()
            );
            let scores = shardsim_model::evaluate(&univariate, tail);
            (
                scores,
                tail.to_vec(),
                vec![column.to_owned()],
                interval.as_secs_f64(),
                horizon,
                univariate,
            )
        } else {
            if args.scenarios.is_empty() {
                anyhow::bail!("name at least one held-out scenario, or give --series FILE.csv");
            }
            let scenarios = load_all(&args.scenarios)?;
            let seeds = args.seeds.clone().map(|s| s.0).unwrap_or_default();
            let bar = progress(scenarios.len() * seeds.len(), "simulating");
            let runs = forecast::collect(
                &scenarios,
                &seeds,
                args.duration,
                forecast::model_horizon(&model),
                &|| bar.inc(1),
            )?;
            bar.finish_and_clear();
            let names: Vec<String> = scenarios[0]
                .config(args.duration)
                .topology
                .shards
                .iter()
                .map(|s| s.name.clone())
                .collect();
            let first = runs.first().map(|r| r.rows.clone()).unwrap_or_default();
            let rows: Vec<_> = runs.into_iter().flat_map(|r| r.rows).collect();
            println!(
                "scored on {} rows (trained on: {})",
                rows.len(),
                model.metadata.source
            );
            let scores = shardsim_model::evaluate(&model, &rows);
            let interval = model.interval_secs;
            let horizon = model.horizon_intervals as usize;
            (scores, first, names, interval, horizon, model)
        };
    print!("{}", forecast::render(&scores));
    if let Some(path) = &args.json {
        let body = serde_json::json!({ "model": args.model.file_name().map(|f| f.to_string_lossy().into_owned()), "models": scores });
        output::write_atomic(path, &serde_json::to_vec_pretty(&body)?)?;
    }
    let mae = scores.first().map_or(f64::NAN, |s| s.mae);
    forecast::write_forecast_csv(
        &args.out.join("forecast.csv"),
        &scored_model,
        &shown,
        &names,
        interval_secs,
        horizon,
        mae,
    )?;
    println!(
        "forecasts for the busiest shards of the first run in {}/forecast.csv",
        args.out.display()
    );
    if !args.no_plots {
        plot::plot_dir(&args.out)?;
        println!("charts in {}/charts/", args.out.display());
    }
    Ok(())
}

/// Trains the forecaster `compare` uses when none is given, on seeds disjoint from the
/// compared ones.
fn train_for_compare(
    scenarios: &[scenario::Scenario],
    seeds: &[u64],
    duration: Option<SimDuration>,
) -> Result<shardsim_model::ForecastModel> {
    training_rows(
        scenarios,
        seeds,
        duration,
        SimDuration::from_mins(15),
        "training data",
    )?
    .train(shardsim_model::TrainConfig::default())
}

/// Forecasting rows and where they came from.
struct TrainingData {
    rows: Vec<shardsim_model::Row>,
    /// The scenario of each run, so that the overload threshold is validated on every scenario.
    scenarios: BTreeMap<u32, String>,
    /// Metrics interval, seconds.
    interval_secs: f64,
    /// Horizon, in intervals.
    horizon: usize,
    /// Stored in the model file.
    source: String,
}

impl TrainingData {
    fn train(&self, config: shardsim_model::TrainConfig) -> Result<shardsim_model::ForecastModel> {
        forecast::train(
            &self.rows,
            &self.scenarios,
            self.horizon,
            self.interval_secs,
            config,
            self.source.clone(),
        )
    }
}

/// Simulates every (scenario, seed) with a progress bar and returns the forecasting rows.
fn training_rows(
    scenarios: &[scenario::Scenario],
    seeds: &[u64],
    duration: Option<SimDuration>,
    horizon: SimDuration,
    what: &str,
) -> Result<TrainingData> {
    let bar = progress(scenarios.len() * seeds.len(), what);
    let runs = forecast::collect(scenarios, seeds, duration, horizon, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let interval = scenarios[0].metrics_interval;
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    let source = format!(
        "scenarios {} seeds {}..{}",
        names.join(","),
        seeds.first().copied().unwrap_or(0),
        seeds.last().copied().unwrap_or(0)
    );
    let run_scenarios = runs
        .iter()
        .enumerate()
        .map(|(i, r)| (i as u32, r.scenario.clone()))
        .collect();
    Ok(TrainingData {
        rows: runs.into_iter().flat_map(|r| r.rows).collect(),
        scenarios: run_scenarios,
        interval_secs: interval.as_secs_f64(),
        horizon: (horizon.as_nanos() / interval.as_nanos()) as usize,
        source,
    })
}

/// `shardsim compare`: returns the comparison it wrote.
fn compare_policies(args: &CompareArgs) -> Result<Vec<compare::ScenarioComparison>> {
    compare::check_policies(&args.policies)?;
    if !args.policies.contains(&args.reference) {
        anyhow::bail!(
            "--reference {} is not among --policies {}",
            args.reference,
            args.policies.join(",")
        );
    }
    let scenarios = load_all(&args.scenarios)?;
    let seeds = &args.seeds.0;
    let model = if !args.policies.iter().any(|p| p == "predictive") {
        None
    } else if let Some(path) = &args.model {
        let m = forecast::load_model(path)?;
        println!("forecaster: {} ({})", path.display(), m.metadata.source);
        Some(m)
    } else {
        let last = seeds.last().copied().unwrap_or(0);
        let train_seeds = args
            .train_seeds
            .clone()
            .map(|s| s.0)
            .unwrap_or_else(|| (last + 1..=last + 4).collect());
        if let Some(s) = train_seeds.iter().find(|s| seeds.contains(s)) {
            anyhow::bail!("training seed {s} is also compared: the seeds must be disjoint");
        }
        println!(
            "no --model given: training one on seeds {}..{} (disjoint from the compared seeds)",
            train_seeds.first().copied().unwrap_or(0),
            train_seeds.last().copied().unwrap_or(0)
        );
        let m = train_for_compare(&scenarios, &train_seeds, args.duration)?;
        println!("forecaster: {:?}, {}", m.kind, m.metadata.source);
        Some(m)
    };
    let jobs: Vec<compare::Job<'_>> = scenarios
        .iter()
        .flat_map(|sc| {
            seeds.iter().flat_map(move |&seed| {
                args.policies.iter().map(move |p| compare::Job {
                    scenario: sc,
                    seed,
                    policy: p.clone(),
                    routing: args.routing.clone().unwrap_or_else(|| sc.routing.clone()),
                    duration: args.duration.unwrap_or(sc.duration),
                })
            })
        })
        .collect();
    let bar = progress(jobs.len(), "comparing");
    let done = compare::run_all(&jobs, model.as_ref(), !args.no_score, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let mut merged: Vec<(String, String, shardsim_sim::cluster::Histogram)> = Vec::new();
    let mut results = Vec::new();
    let mut plans: Vec<compare::PlanRow> = Vec::new();
    for (r, p, latency) in done {
        match merged
            .iter_mut()
            .find(|m| m.0 == r.scenario && m.1 == r.policy)
        {
            Some(m) => m.2.merge(&latency),
            None => merged.push((r.scenario.clone(), r.policy.clone(), latency)),
        }
        results.push(r);
        plans.extend(p);
    }
    let names: Vec<String> = scenarios.iter().map(|s| s.name.clone()).collect();
    let comparison = compare::compare(&results, &names, &args.policies, &args.reference);
    let meta = serde_json::json!({
        "scenarios": names,
        "seeds": [seeds.first(), seeds.last()],
        "policies": args.policies,
        "reference": args.reference,
        "duration_secs": args.duration.map(|d| d.as_secs_f64()),
        "forecaster": model.as_ref().map(|m| m.metadata.source.clone()),
        "plans_scored": !args.no_score,
    });
    compare::write(&args.out, meta, &results, &plans, &comparison)?;
    compare::write_latency(&args.out, &merged)?;
    print!("{}", compare::render(&comparison));
    println!("\nresults in {}/", args.out.display());
    if !args.no_plots {
        let charts = plot::plot_dir(&args.out)?;
        println!(
            "charts in {}/charts/ ({} files)",
            args.out.display(),
            charts.len()
        );
    }
    Ok(comparison)
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

fn bench_plan(args: &PlanArgs) -> Result<()> {
    let scenario = scenario::Scenario::load(&args.scenario)?;
    let model = forecast::load_model(&args.model)?;
    let report = bench::plan(&scenario, args.seed, args.duration, &model)?;
    print!("{}", report.render());
    if let Some(path) = &args.json {
        output::write_atomic(path, &serde_json::to_vec_pretty(&report)?)?;
    }
    Ok(())
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

/// The scenarios, seeds and length of the default experiment: small enough to finish in about
/// three minutes on two cores, large enough to show every part working. Real answers need more
/// seeds and full days (`shardsim compare … --seeds 1..30`).
const DEFAULT_SCENARIOS: [&str; 2] = ["market_volatility", "arbitrage_surge"];
const DEFAULT_DURATION_MINS: u64 = 8 * 60;

/// The main job with no arguments: the whole story on built-in defaults — a run with its load
/// heatmap, a forecaster trained and evaluated on held-out seeds, and the four policies compared
/// on paired seeds, with every result and chart under `results/`.
#[allow(clippy::disallowed_methods)] // wall time for the summary line only
fn default_run() -> Result<()> {
    let wall = std::time::Instant::now();
    let duration = SimDuration::from_mins(DEFAULT_DURATION_MINS);
    let scenarios: Vec<String> = DEFAULT_SCENARIOS.iter().map(|s| (*s).to_owned()).collect();
    println!(
        "shardsim: the default experiment — {} over {} simulated hours each (see README)\n",
        DEFAULT_SCENARIOS.join(" and "),
        DEFAULT_DURATION_MINS / 60
    );
    let model = PathBuf::from("results/forecast/load.model");
    println!("[1/4] training the load forecaster on seeds 101..102");
    train(&TrainArgs {
        scenarios: scenarios.clone(),
        seeds: Some(forecast::Seeds(vec![101, 102])),
        data: None,
        out: model.clone(),
        duration: Some(duration),
        horizon: SimDuration::from_mins(15),
        interval: SimDuration::from_mins(1),
        trees: shardsim_model::TrainConfig::default().trees,
        max_depth: shardsim_model::TrainConfig::default().max_depth,
        max_rows: shardsim_model::TrainConfig::default().max_rows,
        model_seed: 1,
    })?;
    println!(
        "\n[2/4] one run of market_volatility under the predictive policy, for its load heatmap"
    );
    run_scenario(&RunArgs {
        scenario: "market_volatility".to_owned(),
        seed: None,
        routing: None,
        duration: Some(duration),
        policy: "predictive".to_owned(),
        model: Some(model.clone()),
        out: Some(PathBuf::from("results/run")),
        quiet: false,
        no_plots: false,
    })?;
    println!("\n[3/4] evaluating it on held-out seed 103");
    evaluate(&EvaluateArgs {
        model: model.clone(),
        scenarios: scenarios.clone(),
        seeds: Some(forecast::Seeds(vec![103])),
        duration: Some(duration),
        json: Some(PathBuf::from("results/forecast/evaluation.json")),
        series: None,
        column: None,
        interval: None,
        out: PathBuf::from("results/forecast"),
        no_plots: false,
    })?;
    println!("\n[4/4] comparing static, reactive, predictive and oracle on seeds 1..2");
    compare_policies(&CompareArgs {
        scenarios,
        seeds: forecast::Seeds(vec![1, 2]),
        policies: ["static", "reactive", "predictive", "oracle"]
            .iter()
            .map(|p| (*p).to_owned())
            .collect(),
        reference: "reactive".to_owned(),
        model: Some(model),
        train_seeds: None,
        routing: None,
        duration: Some(duration),
        no_score: false,
        no_plots: false,
        out: PathBuf::from("results/compare"),
    })?;
    println!(
        "\ndone in {:.0} s. Charts: results/compare/charts/ (policies), results/forecast/charts/ \
         (forecast vs actual), results/run/charts/ (load heatmap).",
        wall.elapsed().as_secs_f64()
    );
    Ok(())
}
