//! Goldens: a built-in scenario with a regime, Hawkes storms, a fault and planned migrations,
//! pinned by its figures and a digest of its event stream; and the bytes of a model file.
//!
//! They change only when the simulation's behaviour, its random streams or the training
//! change — each of which changes users' results and needs a note in the commit. A failure says
//! where the event streams first differ (the checkpoint after the first event that differs) and
//! the seed. After a deliberate change, rewrite the files with
//! `SHARDSIM_BLESS=1 cargo test -p shardsim --test golden` and say in the commit why they moved.

mod common;

use std::path::PathBuf;

use shardsim::commands::train::training_rows;
use shardsim::forecast::saved::SavedRuns;
use shardsim::run::{RunSpec, simulate};
use shardsim::scenario::Scenario;
use shardsim_model::TrainConfig;
use shardsim_sim::SimDuration;
use shardsim_sim::cluster::MigrationKind;
use shardsim_sim::hash::stable_hash;

/// Compares `actual` with the golden file `name`, or rewrites it under `SHARDSIM_BLESS=1`.
fn golden(name: &str, actual: &str, compare: impl Fn(&str) -> Result<(), String>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("SHARDSIM_BLESS").is_some() {
        std::fs::write(&path, actual).expect("writable golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (create it with SHARDSIM_BLESS=1)", path.display()));
    if let Err(why) = compare(&expected) {
        panic!("{}: {why}", path.display());
    }
}

#[test]
fn market_volatility_under_the_planner_is_pinned() {
    let seed = 7;
    let spec = RunSpec {
        seed,
        duration: SimDuration::from_mins(8 * 60),
        migration: "predictive".to_owned(), // without a model: persistence forecasts
        trace_every: Some(500_000),
        ..RunSpec::new(Scenario::load("market_volatility").expect("built-in"))
    };
    let done = simulate(&spec, |_| {}).expect("runs");
    let c = done.sim.model();
    // What the golden is meant to cover is really in the run.
    assert!(
        c.regime().switches.len() > 2,
        "seed {seed}: no regime switch"
    );
    assert!(
        !c.fault_log().is_empty(),
        "seed {seed}: the 7 h crash did not fire"
    );
    let moves = done
        .migrations
        .iter()
        .filter(|m| m.kind != MigrationKind::Shrink);
    assert!(
        moves.count() > 0,
        "seed {seed}: the planner made no migration"
    );
    let b = &done.books;
    let o = &done.outcome;
    let figures = format!(
        "seed {seed}\ngenerated {} completed {} timed_out {} failed {:?} dropped {:?}\n\
         slo_violation_minutes {} excess_load_minutes {:.9} p99_latency_ms {:.6}\n\
         migrations {} plans {} max_mean_load_ratio {:.12}\n",
        b.generated,
        b.completed,
        b.timed_out,
        b.failed,
        b.dropped,
        o.slo_violation_minutes,
        o.excess_load_minutes,
        o.p99_latency_ms,
        done.migrations.len(),
        done.records.len(),
        done.max_mean_load_ratio,
    );
    let trace = done.trace.expect("traced");
    let actual = format!("{figures}# trace\n{}", trace.to_text());
    golden("market_volatility_predictive_8h.txt", &actual, |expected| {
        let (want_figures, want_trace) = expected.split_once("# trace\n").ok_or("no trace")?;
        // The trace first: it says where the runs part, which the figures cannot.
        trace
            .compare_with_text(want_trace)
            .map_err(|e| format!("seed {seed}: {e}"))?;
        if figures != want_figures {
            return Err(format!(
                "seed {seed}: same events, different figures:\n{figures}expected:\n{want_figures}"
            ));
        }
        Ok(())
    });
}

#[test]
fn a_small_training_run_gives_pinned_model_bytes() {
    let mut scenario = Scenario::parse(common::SMALL, "small.toml").expect("valid fixture");
    scenario.duration = SimDuration::from_mins(3 * 60);
    let runs = tempfile::tempdir().unwrap();
    let data = training_rows(
        &[scenario],
        &[1, 2, 3],
        (None, SimDuration::from_mins(15)),
        &SavedRuns::in_dir(runs.path().to_owned()),
    )
    .expect("rows");
    let bytes = data
        .train(TrainConfig::default())
        .expect("trains")
        .to_bytes();
    let again = data
        .train(TrainConfig::default())
        .expect("trains")
        .to_bytes();
    assert!(bytes == again, "two trainings on the same rows differ");
    let actual = format!(
        "rows {}\nmodel bytes {} fnv1a {:016x}\n",
        data.rows.len(),
        bytes.len(),
        stable_hash(&bytes)
    );
    golden("small_model_bytes.txt", &actual, |expected| {
        (expected == actual)
            .then_some(())
            .ok_or_else(|| format!("model file changed:\n{actual}expected:\n{expected}"))
    });
}
