//! The runs of `shardsim dataset`, each saved as it finishes, so that an interrupted export
//! resumes: `OUT.runs/<scenario>/seed-<n>/rows.csv` (the run's rows in the dataset's own format,
//! whose numbers read back to the same `f64`), then its completion marker (see
//! [`crate::io::marker`]) holding the run's [`RowsKey`].

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use shardsim_sim::SimDuration;
use shardsim_sim::hash::stable_hash;

use super::dataset::{columns, read_csv, run_bytes};
use super::{RunRows, simulate_rows};
use crate::compare::{Progress, run_missing};
use crate::io::marker::{is_finished, write_marked};
use crate::io::path_component;
use crate::scenario::Scenario;

/// The rows file of a saved run.
const ROWS: &str = "rows.csv";

/// Everything a run's rows depend on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowsKey {
    /// The shardsim that made them.
    pub shardsim_version: String,
    /// Scenario name.
    pub scenario: String,
    /// Stable hash of the scenario text.
    pub scenario_hash: String,
    /// Seed.
    pub seed: u64,
    /// Simulated time, ns.
    pub duration_ns: u64,
    /// Forecast horizon, ns.
    pub horizon_ns: u64,
    /// Hash of the dataset's columns (the feature schema).
    pub columns: String,
}

impl RowsKey {
    /// The key of the run of `scenario` on `seed`.
    pub fn of(
        scenario: &Scenario,
        seed: u64,
        duration: Option<SimDuration>,
        horizon: SimDuration,
    ) -> RowsKey {
        RowsKey {
            shardsim_version: env!("CARGO_PKG_VERSION").to_owned(),
            scenario: scenario.name.clone(),
            scenario_hash: format!("{:016x}", scenario.hash),
            seed,
            duration_ns: duration.unwrap_or(scenario.duration).as_nanos(),
            horizon_ns: horizon.as_nanos(),
            columns: format!("{:016x}", stable_hash(columns().join(",").as_bytes())),
        }
    }
}

/// The saved runs of one dataset file, model file or evaluation.
#[derive(Clone, Debug)]
pub struct SavedRuns {
    root: PathBuf,
}

impl SavedRuns {
    /// The runs of the dataset `out`, in `OUT.runs/` beside it.
    pub fn beside(out: &Path) -> SavedRuns {
        let mut root = out.as_os_str().to_owned();
        root.push(".runs");
        SavedRuns { root: root.into() }
    }

    /// Runs saved in the directory `root`.
    pub fn in_dir(root: PathBuf) -> SavedRuns {
        SavedRuns { root }
    }

    /// Where they are.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn dir(&self, key: &RowsKey) -> PathBuf {
        self.root
            .join(path_component(&key.scenario))
            .join(format!("seed-{}", key.seed))
    }

    /// The finished run with `key`, its rows numbered `index`; `None`: it must be run.
    pub fn load(&self, key: &RowsKey, index: usize) -> Option<RunRows> {
        let dir = self.dir(key);
        if !is_finished(&dir, key) {
            return None;
        }
        let (mut rows, _) = read_csv(&dir.join(ROWS)).ok()?;
        for r in &mut rows {
            r.run = index as u32;
        }
        Some(RunRows {
            scenario: key.scenario.clone(),
            seed: key.seed,
            rows,
        })
    }

    /// Saves a finished run, its marker last.
    pub fn save(&self, key: &RowsKey, run: &RunRows) -> Result<()> {
        write_marked(&self.dir(key), key, &[(ROWS, run_bytes(run)?)])
    }
}

/// Every (scenario, seed) of `jobs` (with their keys) that `done` has no rows for, simulated in
/// parallel and saved as each finishes; a job left `None` was not started because `stop` was
/// set. Rows come back in job order, numbered by it, whatever the thread count.
pub fn collect_saved(
    jobs: &[(&Scenario, u64, RowsKey)],
    done: Vec<Option<RunRows>>,
    (duration, horizon): (Option<SimDuration>, SimDuration),
    saved: &SavedRuns,
    stop: &AtomicBool,
    progress: &dyn Progress,
) -> Result<Vec<Option<RunRows>>> {
    run_missing(done, stop, progress, |i| {
        let (scenario, seed, key) = &jobs[i];
        let rows = simulate_rows(scenario, *seed, i, duration, horizon)?;
        saved.save(key, &rows)?;
        Ok(rows)
    })
}
