//! The dataset file of `shardsim dataset` and `train --data`: one row per (run, shard,
//! interval) with identification columns, the model's features and the label. Numbers are
//! written with the shortest decimals that read back to the same `f64`, so that `train --data`
//! on the file fits the same model as `train` on the simulation.
//!
//! The feature columns are the model's ([`FEATURES`]), so the row type writes its own fields
//! instead of deriving them; the reader checks the header against the same list and names the
//! line and column of a bad number.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::ser::{Serialize, SerializeStruct, Serializer};
use shardsim_model::features::{FEATURES, Row};

use super::RunRows;
use crate::io::csv::{Empty, Shortest, csv_bytes_with_columns};
use crate::io::write_atomic;

/// The columns before the features. `latent_oracle` is the latent oracle's forecast (see
/// [`Row::latent_oracle`]), for scoring only.
const FIXED_COLUMNS: [&str; 10] = [
    "run",
    "scenario",
    "seed",
    "shard",
    "interval",
    "burst",
    "overload_ahead",
    "peak_ahead",
    "seasonal",
    "latent_oracle",
];

/// The dataset's columns: [`FIXED_COLUMNS`], the features, then `label`.
pub fn columns() -> Vec<&'static str> {
    let mut columns: Vec<&str> = FIXED_COLUMNS.to_vec();
    columns.extend(FEATURES);
    columns.push("label");
    columns
}

/// One line of the dataset: a row of a run.
struct DatasetRow<'a> {
    run: &'a RunRows,
    row: &'a Row,
}

impl Serialize for DatasetRow<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (run, r) = (self.run, self.row);
        let mut line =
            s.serialize_struct("DatasetRow", FIXED_COLUMNS.len() + FEATURES.len() + 1)?;
        line.serialize_field("run", &r.run)?;
        line.serialize_field("scenario", &run.scenario)?;
        line.serialize_field("seed", &run.seed)?;
        line.serialize_field("shard", &r.shard)?;
        line.serialize_field("interval", &r.interval)?;
        line.serialize_field("burst", &u8::from(r.burst))?;
        line.serialize_field("overload_ahead", &u8::from(r.overload_ahead()))?;
        line.serialize_field("peak_ahead", &Shortest(r.peak_ahead))?;
        line.serialize_field("seasonal", &r.seasonal.map(Shortest))?;
        line.serialize_field("latent_oracle", &r.latent_oracle.map(Shortest))?;
        for (name, x) in FEATURES.iter().zip(&r.features) {
            line.serialize_field(name, &Shortest(*x))?;
        }
        line.serialize_field("label", &Shortest(r.label))?;
        line.end()
    }
}

/// Writes the runs' rows to `path`; returns how many.
pub fn write_csv(path: &Path, runs: &[RunRows]) -> Result<usize> {
    write_atomic(path, &csv_text(runs)?)?;
    Ok(runs.iter().map(|r| r.rows.len()).sum())
}

/// One run's rows as a dataset file of its own (how `dataset` saves a run as it finishes).
pub fn run_bytes(run: &RunRows) -> Result<Vec<u8>> {
    csv_text(std::slice::from_ref(run))
}

fn csv_text(runs: &[RunRows]) -> Result<Vec<u8>> {
    let rows = runs
        .iter()
        .flat_map(|run| run.rows.iter().map(move |row| DatasetRow { run, row }));
    csv_bytes_with_columns(&columns(), rows, Empty::Header)
}

/// Reads rows written by [`write_csv`], with the scenario of each run; the header must match
/// this shardsim's feature schema. The `overload_ahead` column is derived from `peak_ahead`.
pub fn read_csv(path: &Path) -> Result<(Vec<Row>, BTreeMap<u32, String>)> {
    let mut r =
        csv::Reader::from_path(path).with_context(|| format!("opening {}", path.display()))?;
    let header: Vec<String> = r.headers()?.iter().map(str::to_owned).collect();
    let expected = columns();
    if header
        .iter()
        .map(String::as_str)
        .ne(expected.iter().copied())
    {
        bail!(
            "{}: the header does not match this shardsim's dataset columns ({} expected, starting {}); export it again with `shardsim dataset`",
            path.display(),
            expected.len(),
            expected[..4].join(",")
        );
    }
    let mut rows = Vec::new();
    let mut scenarios = BTreeMap::new();
    for (line, rec) in r.records().enumerate() {
        let rec = rec.with_context(|| format!("{}: line {}", path.display(), line + 2))?;
        let num = |i: usize| super::input_value(&rec[i], path, line + 2, &header[i]);
        let optional = |i: usize| -> Result<Option<f64>> {
            if rec[i].is_empty() {
                Ok(None)
            } else {
                num(i).map(Some)
            }
        };
        let f = FIXED_COLUMNS.len();
        let run = num(0)? as u32;
        scenarios.entry(run).or_insert_with(|| rec[1].to_owned());
        rows.push(Row {
            run,
            shard: num(3)? as u32,
            interval: num(4)? as u32,
            burst: num(5)? != 0.0,
            peak_ahead: num(7)?,
            seasonal: optional(8)?,
            latent_oracle: optional(9)?,
            features: (f..f + FEATURES.len()).map(num).collect::<Result<_>>()?,
            label: num(f + FEATURES.len())?,
        });
    }
    Ok((rows, scenarios))
}
