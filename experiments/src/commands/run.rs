//! `shardsim run`: one scenario, one seed, with a progress bar, a summary and charts.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use shardsim_model::ForecastModel;

use super::wall_clock;
use crate::cli::RunArgs;
use crate::forecast;
use crate::io::atomic::write_atomic;
use crate::io::file_name;
use crate::io::manifest;
use crate::plot;
use crate::report::summary;
use crate::run::{self, RunSpec};
use crate::scenario::Scenario;

/// What a run shows besides its result files.
#[derive(Clone, Copy, Debug)]
pub struct RunOutput {
    /// A progress bar over simulated seconds.
    pub progress: bool,
    /// The charts, under `OUT/charts/`.
    pub plots: bool,
}

/// The handler: the scenario's defaults where the flags give none.
pub fn command(args: &RunArgs) -> Result<()> {
    let mut spec = RunSpec::new(Scenario::load(&args.scenario)?);
    if let Some(seed) = args.seed {
        spec.seed = seed;
    }
    if let Some(routing) = &args.routing {
        spec.routing = routing.clone();
    }
    if let Some(duration) = args.duration {
        spec.duration = duration;
    }
    spec.migration = args.policy.clone();
    spec.model = args.model.as_deref().map(named_model).transpose()?;
    spec.trace_every = args.trace_digest.as_ref().map(|_| args.trace_every);
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "results/run-{}-seed{}",
            spec.scenario.name, spec.seed
        ))
    });
    let done = run(
        &spec,
        &out,
        RunOutput {
            progress: !args.quiet,
            plots: !args.no_plots,
        },
    )?;
    if let (Some(path), Some(trace)) = (&args.trace_digest, &done.trace) {
        write_atomic(path, trace.to_text().as_bytes())?;
        println!(
            "  trace       {} ({} events, a checkpoint every {})",
            path.display(),
            trace.events(),
            args.trace_every
        );
    }
    Ok(())
}

/// A forecaster for `RunSpec::model`: the model in `path` and its file name, for the manifest.
pub fn named_model(path: &Path) -> Result<(Arc<ForecastModel>, String)> {
    Ok((
        Arc::new(forecast::load_model(path)?),
        file_name(path).unwrap_or_default(),
    ))
}

/// Runs `spec`, writes its results into `out` and prints the summary (and the wall time, which
/// no file records).
pub fn run(spec: &RunSpec, out: &Path, output: RunOutput) -> Result<run::Finished> {
    let total = spec.duration.as_nanos() / 1_000_000_000;
    let bar = if output.progress {
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
    } else {
        indicatif::ProgressBar::hidden()
    };
    manifest::begin(out)?;
    let wall = wall_clock();
    let done = run::simulate(spec, |secs| bar.set_position(secs))?;
    bar.finish_and_clear();
    let elapsed = wall.elapsed().as_secs_f64();
    let summary = summary::summarise(spec, &done);
    let written = run::write_results(out, spec, &done, &summary)?;
    print!(
        "{}",
        summary::render(&summary, done.sim.model().topology().shards.len())
    );
    println!(
        "  wall time   {elapsed:.1} s ({:.0} invocations/s)\n  results in  {}/",
        summary.invocations as f64 / elapsed.max(1e-9),
        out.display()
    );
    if output.plots {
        plot::plot_dir(out)?;
        println!("  charts in   {}/charts/", out.display());
    }
    run::write_manifest(out, spec, &written)?;
    Ok(done)
}
