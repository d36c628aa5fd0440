//! Each run's results on disk as soon as it finishes, so that an interrupted `compare` resumes:
//! `OUT/runs/<scenario>/<policy>/seed-<n>/` holds the run's `result.csv` (its row of
//! `runs.csv`), `plans.csv` (its plan log) and `latency.csv` (its latency histogram as
//! (bucket, count) entries, so that histograms read back merge exactly), then `done.json`, the
//! completion marker, written last: the run's [`RunKey`] and a hash of each file.
//!
//! A rerun loads a run whose marker holds the key of the run it would make and whose files
//! match their hashes, and simulates every other one. Values read back are the values written
//! (CSV floats are the shortest decimals that parse back to the same `f64`), so tables built
//! from loaded runs are byte for byte those built from simulated ones.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use shardsim_sim::SimDuration;
use shardsim_sim::cluster::Histogram;
use shardsim_sim::hash::stable_hash;

use super::{Job, PlanRow, RunOutput, RunResult};
use crate::io::csv::{Empty, csv_bytes, read_csv};
use crate::io::marker::{is_finished, write_marked};
use crate::io::path_component;

/// The run's files besides the marker, in the order they are written.
const RESULT: &str = "result.csv";
const PLANS: &str = "plans.csv";
const LATENCY: &str = "latency.csv";
/// The trained forecaster's file.
const FORECASTER: &str = "forecaster.model";

/// Everything a run's results depend on: a finished run with the same key is not run again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunKey {
    /// The shardsim that made it.
    pub shardsim_version: String,
    /// Scenario name.
    pub scenario: String,
    /// Stable hash of the scenario text.
    pub scenario_hash: String,
    /// Seed.
    pub seed: u64,
    /// Migration policy.
    pub policy: String,
    /// Routing policy.
    pub routing: String,
    /// Simulated time, ns.
    pub duration_ns: u64,
    /// Whether plans were scored by forking (it changes the plan log and the calibration).
    pub score_plans: bool,
    /// Hash of the forecaster's bytes, when the policy uses one.
    pub model_hash: Option<String>,
    /// A fingerprint of the latency histogram's bucket layout: saved entries are only
    /// meaningful for the layout that wrote them.
    pub histogram_layout: String,
}

impl RunKey {
    /// The key of `job`'s run; `model` is the forecaster's bytes, if the run has one.
    pub fn of(job: &Job<'_>, score_plans: bool, model: Option<&[u8]>) -> RunKey {
        RunKey {
            shardsim_version: env!("CARGO_PKG_VERSION").to_owned(),
            scenario: job.scenario.name.clone(),
            scenario_hash: format!("{:016x}", job.scenario.hash),
            seed: job.seed,
            policy: job.policy.clone(),
            routing: job.routing.clone(),
            duration_ns: job.duration.as_nanos(),
            score_plans,
            model_hash: model.map(|b| format!("{:016x}", stable_hash(b))),
            histogram_layout: histogram_layout(),
        }
    }
}

/// One histogram bucket, a row of a run's `latency.csv`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct LatencyEntry {
    bucket: u32,
    count: u64,
}

/// The runs of one output directory.
#[derive(Clone, Debug)]
pub struct RunStore {
    root: PathBuf,
}

impl RunStore {
    /// The store under `out/runs/`.
    pub fn new(out: &Path) -> RunStore {
        RunStore {
            root: out.join("runs"),
        }
    }

    /// Where the store is.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of the run with `key`.
    pub fn dir(&self, key: &RunKey) -> PathBuf {
        self.root
            .join(path_component(&key.scenario))
            .join(path_component(&key.policy))
            .join(format!("seed-{}", key.seed))
    }

    /// The finished run with `key`, if its marker matches and its files are whole; `None` means
    /// it must be run (never an error: a damaged result is simply made again).
    pub fn load(&self, key: &RunKey) -> Option<RunOutput> {
        let dir = self.dir(key);
        if !is_finished(&dir, key) {
            return None;
        }
        let mut results: Vec<RunResult> = read_csv(&dir.join(RESULT)).ok()?;
        let plans: Vec<PlanRow> = read_csv(&dir.join(PLANS)).ok()?;
        let entries: Vec<LatencyEntry> = read_csv(&dir.join(LATENCY)).ok()?;
        let latency = Histogram::from_entries(entries.into_iter().map(|e| (e.bucket, e.count)))?;
        let result = results.pop().filter(|_| results.is_empty())?;
        Some(RunOutput {
            result,
            plans,
            latency,
        })
    }

    /// The forecaster trained before for `key` (what it was trained on), if saved whole.
    pub fn load_forecaster(&self, key: &serde_json::Value) -> Option<Vec<u8>> {
        let dir = self.forecaster_dir();
        is_finished(&dir, key)
            .then(|| std::fs::read(dir.join(FORECASTER)).ok())
            .flatten()
    }

    /// Saves the forecaster trained for `key`, so that a rerun does not train it again.
    pub fn save_forecaster(&self, key: &serde_json::Value, bytes: &[u8]) -> Result<()> {
        write_marked(&self.forecaster_dir(), key, &[(FORECASTER, bytes.to_vec())])
    }

    /// Where the trained forecaster is kept: `OUT/runs/forecaster/`, beside the runs (a scenario
    /// directory of that name holds policy directories, never these files).
    pub fn forecaster_dir(&self) -> PathBuf {
        self.root.join("forecaster")
    }

    /// Writes a finished run, its marker last (see [`write_marked`]).
    pub fn save(&self, key: &RunKey, run: &RunOutput) -> Result<()> {
        let entries: Vec<LatencyEntry> = run
            .latency
            .entries()
            .map(|(bucket, count)| LatencyEntry { bucket, count })
            .collect();
        write_marked(
            &self.dir(key),
            key,
            &[
                (
                    RESULT,
                    csv_bytes(std::slice::from_ref(&run.result), Empty::Header)?,
                ),
                (PLANS, csv_bytes(&run.plans, Empty::Header)?),
                (LATENCY, csv_bytes(&entries, Empty::Header)?),
            ],
        )
    }
}

/// The histogram layout's fingerprint: the entries of a histogram of fixed values, which change
/// whenever the bucket layout does.
fn histogram_layout() -> String {
    let mut h = Histogram::default();
    for ns in [
        1,
        999,
        1_000,
        1_001,
        123_456,
        1_000_000,
        1_500_000,
        2_000_000,
        9_999_999,
        60_000_000,
        1_000_000_000,
        3_600_000_000_000,
    ] {
        h.record(SimDuration::from_nanos(ns));
    }
    let text: String = h.entries().map(|(b, c)| format!("{b}:{c},")).collect();
    format!("{:016x}", stable_hash(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::atomic::remove_synced;
    use crate::io::marker::MARKER;

    fn key(seed: u64) -> RunKey {
        RunKey {
            shardsim_version: "0.1.0".into(),
            scenario: "x/../../ESCAPED".into(),
            scenario_hash: "0123456789abcdef".into(),
            seed,
            policy: "reactive".into(),
            routing: "declared".into(),
            duration_ns: 1_200_000_000_000,
            score_plans: true,
            model_hash: Some("fedcba9876543210".into()),
            histogram_layout: histogram_layout(),
        }
    }

    /// Figures whose decimals are long or extreme: they must read back to the same bits.
    fn output() -> RunOutput {
        let awkward = [
            0.1 + 0.2,
            1.0 / 3.0,
            1e-300,
            123456.789e10,
            -0.0,
            f64::MIN_POSITIVE,
        ];
        let result = RunResult {
            scenario: "x/../../ESCAPED".into(),
            seed: 3,
            policy: "reactive".into(),
            routing: "declared".into(),
            invocations: u64::MAX,
            slo_violation_minutes: awkward[0],
            excess_load_minutes: awkward[1],
            timed_out: 7,
            drops: 0,
            p99_latency_ms: awkward[2],
            migrations: 2,
            expansions: 1,
            shrinks: 0,
            migration_cost_slot_secs: awkward[3],
            max_mean_load_ratio: awkward[4],
            plans: 1,
            scored_plans: 1,
            predicted_benefit: awkward[5],
            realised_benefit: -awkward[0],
            realised_slo_minutes: 2.5,
            calibration_mae: 0.0,
            calibration_correlation: -1.0 / 7.0,
            first_action_secs: Some(600.000000001),
        };
        let plans = vec![PlanRow {
            scenario: result.scenario.clone(),
            seed: 3,
            policy: "reactive".into(),
            made_at_s: 540.0,
            execute_at_s: 600.000000001,
            actions: "move:f:a>b:hot, \"quoted\"".into(),
            predicted: awkward[1],
            realised: None,
            realised_slo_minutes: Some(awkward[0]),
            realised_p99_ms: None,
        }];
        let mut latency = Histogram::default();
        for ns in [1_000, 5_000_000, 5_000_001, 1_000_000_000] {
            latency.record(SimDuration::from_nanos(ns));
        }
        RunOutput {
            result,
            plans,
            latency,
        }
    }

    fn bits(r: &RunResult) -> Vec<u8> {
        csv_bytes(std::slice::from_ref(r), Empty::Header).unwrap()
    }

    #[test]
    fn a_saved_run_loads_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let run = output();
        store.save(&key(3), &run).unwrap();
        let back = store.load(&key(3)).expect("finished");
        assert_eq!(back.result, run.result);
        assert_eq!(bits(&back.result), bits(&run.result));
        assert_eq!(back.plans, run.plans);
        assert!(back.latency.entries().eq(run.latency.entries()));
        assert_eq!(back.latency.count(), 4);
        assert!(store.dir(&key(3)).starts_with(dir.path().join("runs")));
    }

    #[test]
    fn another_key_or_a_changed_file_is_run_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        store.save(&key(3), &output()).unwrap();
        let mut other = key(3);
        other.model_hash = None;
        assert!(store.load(&other).is_none(), "another forecaster");
        other = key(3);
        other.duration_ns += 1;
        assert!(store.load(&other).is_none(), "another duration");
        assert!(store.load(&key(4)).is_none(), "never run");
        let plans = store.dir(&key(3)).join(PLANS);
        let mut bytes = std::fs::read(&plans).unwrap();
        bytes.pop();
        std::fs::write(&plans, bytes).unwrap();
        assert!(store.load(&key(3)).is_none(), "a torn plan log");
    }

    #[test]
    fn a_trained_forecaster_is_reused_only_for_the_same_training() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let key = serde_json::json!({ "train_seeds": [4, 5, 6, 7] });
        assert!(store.load_forecaster(&key).is_none());
        store.save_forecaster(&key, b"model bytes").unwrap();
        assert_eq!(store.load_forecaster(&key).unwrap(), b"model bytes");
        let other = serde_json::json!({ "train_seeds": [4, 5, 6, 8] });
        assert!(store.load_forecaster(&other).is_none());
        std::fs::write(store.forecaster_dir().join(FORECASTER), b"model byteZ").unwrap();
        assert!(store.load_forecaster(&key).is_none(), "changed bytes");
    }

    #[test]
    fn a_run_saved_again_is_unfinished_until_its_marker_is_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        store.save(&key(3), &output()).unwrap();
        // What a save killed after removing the old marker leaves: files, no marker.
        remove_synced(&store.dir(&key(3)).join(MARKER)).unwrap();
        assert!(store.load(&key(3)).is_none());
    }
}
