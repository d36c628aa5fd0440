//! The run pipeline: stepping in progress chunks gives the run one step to the end gives, and
//! each policy gets the forecaster it asks for.

mod common;

use common::{surge_config, unscored};
use shardsim_optimizer::sim::SimTime;
use shardsim_optimizer::sim::cluster::{Cluster, LeastLoaded};
use shardsim_optimizer::{
    DriveConfig, Driver, Experiment, Forecaster, MigrationPolicy, Outcome, Planner, PlannerConfig,
    Reactive, Static, policy_by_name,
};
use std::sync::Arc;

/// `Experiment::run` (1-minute chunks, as `shardsim run` stepped) against the pipeline of
/// `shardsim compare` written out by hand (one `run_until` to the end), with fork scoring on so
/// that look-ahead and scoring forks are in the comparison: every figure is the same.
#[test]
fn stepping_in_progress_chunks_changes_nothing() {
    let oracle = Planner::oracle(PlannerConfig::default()).unwrap();
    let predictive = Planner::predictive(PlannerConfig::default()).unwrap();
    let reactive = Reactive::default().check().unwrap();
    let policies: [Box<dyn MigrationPolicy>; 3] =
        [Box::new(oracle), Box::new(predictive), Box::new(reactive)];
    for policy in policies {
        let seed = 4;
        let config = surge_config(1);
        let end = config.arrivals_until;
        let drive = DriveConfig::default();

        let mut sim = Cluster::simulation(config.clone(), seed, Arc::new(LeastLoaded)).unwrap();
        let mut driver = Driver::for_policy(&sim, policy.as_ref(), None, drive);
        driver.run_until(&mut sim, end);
        sim.model_mut().close_metrics(end);
        let outcome = Outcome::measure(sim.model(), SimTime::ZERO..end, drive.overload);
        let ratio = sim.model().max_mean_load_ratio();
        let migrations = sim.model().migrations();
        let records = driver.records().to_vec();
        drop(driver);
        sim.run_to_completion();
        let books = sim.model().assert_conservation();

        let name = policy.name().to_owned();
        let mut progress = Vec::new();
        let done = Experiment {
            drive,
            ..Experiment::new(config, seed, Arc::new(LeastLoaded), policy)
        }
        .run(|t| progress.push(t))
        .unwrap();
        assert_eq!(progress.len(), 60, "{name}");
        assert_eq!(progress.last(), Some(&end), "{name}");
        assert!(!records.is_empty(), "{name}: the comparison covers plans");
        assert_eq!(done.outcome, outcome, "{name}");
        assert_eq!(
            done.max_mean_load_ratio.to_bits(),
            ratio.to_bits(),
            "{name}"
        );
        assert_eq!(done.migrations, migrations, "{name}");
        assert_eq!(done.records, records, "{name}");
        assert_eq!(done.books, books, "{name}");
        assert_eq!(done.sim.handled(), sim.handled(), "{name}");
        for s in sim.model().topology().shard_ids() {
            assert_eq!(
                done.sim.model().shard_series(s).rows(),
                sim.model().shard_series(s).rows(),
                "{name}: shard {s:?}"
            );
        }
    }
}

#[test]
fn the_oracle_gets_the_true_future_and_the_others_a_model_or_persistence() {
    for name in ["static", "reactive", "predictive", "oracle", "performance"] {
        let policy = policy_by_name(name).unwrap();
        let forecaster = Forecaster::for_policy(policy.as_ref(), None);
        match name {
            "oracle" => assert!(matches!(forecaster, Forecaster::Oracle)),
            _ => assert!(matches!(forecaster, Forecaster::Persistence), "{name}"),
        }
    }
}

#[test]
fn a_run_is_measured_over_the_arrival_window_and_drained() {
    let config = surge_config(1);
    let end = config.arrivals_until;
    let done = Experiment {
        drive: unscored(),
        ..Experiment::new(config, 2, Arc::new(LeastLoaded), Box::new(Static))
    }
    .run(|_| {})
    .unwrap();
    assert_eq!(done.intervals, 60);
    assert!(
        done.sim.now() > end,
        "the drain ran past the arrival window"
    );
    let c = done.sim.model().conservation();
    assert_eq!((c.in_network, c.queued, c.running), (0, 0, 0));
    assert_eq!(done.books, c);
    assert!(done.outcome.completed > 0 && done.outcome.completed < c.completed);
}
