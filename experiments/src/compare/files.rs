//! The files of a comparison: `runs.csv` and `plans.csv` (one row per run and per plan),
//! `comparison.json` and `comparison.csv` (the table), and `latency.csv` (quantiles of each
//! policy's merged latency), then `manifest.json` (written last: the comparison finished).
//! `shardsim plot` reads them back.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use shardsim_sim::cluster::Histogram;

use super::{PlanRow, RunResult};
use crate::io::csv::{fixed6, fixed6_or_empty, shortest, write_csv};
use crate::io::manifest::{self, MANIFEST};
use crate::io::write_json;
use crate::report::comparison::ScenarioComparison;

/// Writes `runs.csv`, `plans.csv`, `comparison.json` and `comparison.csv` into `dir`.
pub fn write(
    dir: &Path,
    meta: serde_json::Value,
    results: &[RunResult],
    plans: &[PlanRow],
    comparison: &[ScenarioComparison],
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    write_csv(&dir.join("runs.csv"), results)?;
    write_csv(&dir.join("plans.csv"), plans)?;
    write_csv(&dir.join("comparison.csv"), &comparison_rows(comparison))?;
    let body = serde_json::json!({
        "meta": meta,
        "scenarios": comparison,
    });
    write_json(&dir.join("comparison.json"), &body)
}

/// The tables a finished comparison lists in its manifest.
const TABLES: [&str; 5] = [
    "runs.csv",
    "plans.csv",
    "comparison.csv",
    "comparison.json",
    "latency.csv",
];

/// Writes `manifest.json`, the comparison's last file: the tables' names and hashes.
pub fn write_manifest(dir: &Path) -> Result<()> {
    let body = serde_json::json!({
        "command": "compare",
        "shardsim_version": env!("CARGO_PKG_VERSION"),
        "files": manifest::entries(dir, &TABLES)?,
    });
    write_json(&dir.join(MANIFEST), &body)
}

/// `comparison.csv`: one row per (scenario, policy), the paired difference from the reference
/// empty for the reference itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    /// Scenario.
    pub scenario: String,
    /// Policy.
    pub policy: String,
    /// Runs (seeds).
    pub runs: usize,
    /// Mean SLO-violation minutes.
    #[serde(with = "fixed6")]
    pub slo_violation_minutes: f64,
    /// Its 95% interval (empty with one seed).
    #[serde(with = "fixed6_or_empty")]
    pub slo_ci_low: Option<f64>,
    /// See `slo_ci_low`.
    #[serde(with = "fixed6_or_empty")]
    pub slo_ci_high: Option<f64>,
    /// Mean paired difference of SLO-violation minutes from the reference policy.
    #[serde(with = "fixed6_or_empty")]
    pub slo_vs_reference: Option<f64>,
    /// Its 95% interval.
    #[serde(with = "fixed6_or_empty")]
    pub slo_vs_reference_ci_low: Option<f64>,
    /// See `slo_vs_reference_ci_low`.
    #[serde(with = "fixed6_or_empty")]
    pub slo_vs_reference_ci_high: Option<f64>,
    /// Mean p99 latency, ms.
    #[serde(with = "fixed6")]
    pub p99_latency_ms: f64,
    /// Mean migrations.
    #[serde(with = "fixed6")]
    pub migrations: f64,
    /// Mean drops.
    #[serde(with = "fixed6")]
    pub drops: f64,
    /// Mean max/mean shard load.
    #[serde(with = "fixed6")]
    pub max_mean_load_ratio: f64,
    /// The scenario's share of the reactive → oracle gap that predictive closes.
    #[serde(with = "fixed6_or_empty")]
    pub oracle_gap_closed: Option<f64>,
    /// Its 95% interval (Fieller), empty when unbounded.
    #[serde(with = "fixed6_or_empty")]
    pub oracle_gap_ci_low: Option<f64>,
    /// See `oracle_gap_ci_low`.
    #[serde(with = "fixed6_or_empty")]
    pub oracle_gap_ci_high: Option<f64>,
}

fn comparison_rows(comparison: &[ScenarioComparison]) -> Vec<ComparisonRow> {
    let mut rows = Vec::new();
    for sc in comparison {
        for r in &sc.policies {
            let d = r.vs_reference.as_ref();
            rows.push(ComparisonRow {
                scenario: sc.scenario.clone(),
                policy: r.policy.clone(),
                runs: r.runs,
                slo_violation_minutes: r.slo_violation_minutes,
                slo_ci_low: r.slo.ci_low,
                slo_ci_high: r.slo.ci_high,
                slo_vs_reference: d.map(|d| d.slo_violation_minutes.mean),
                slo_vs_reference_ci_low: d.and_then(|d| d.slo_violation_minutes.ci_low),
                slo_vs_reference_ci_high: d.and_then(|d| d.slo_violation_minutes.ci_high),
                p99_latency_ms: r.p99_latency_ms,
                migrations: r.migrations,
                drops: r.drops,
                max_mean_load_ratio: r.max_mean_load_ratio,
                oracle_gap_closed: sc.oracle_gap_closed,
                oracle_gap_ci_low: sc.oracle_gap_ci.map(|c| c.0),
                oracle_gap_ci_high: sc.oracle_gap_ci.map(|c| c.1),
            });
        }
    }
    rows
}

/// Quantiles written to `latency.csv`.
pub const LATENCY_QUANTILES: [f64; 30] = [
    0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75,
    0.8, 0.85, 0.9, 0.925, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9999,
];

/// One (scenario, policy)'s completion latency over all its runs.
#[derive(Clone, Debug)]
pub struct PolicyLatency {
    /// Scenario.
    pub scenario: String,
    /// Policy.
    pub policy: String,
    /// The runs' latency histograms, merged.
    pub latency: Histogram,
}

/// `latency.csv`: one row per (scenario, policy, quantile) with completions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyRow {
    /// Scenario.
    pub scenario: String,
    /// Policy.
    pub policy: String,
    /// The quantile, one of [`LATENCY_QUANTILES`].
    #[serde(with = "shortest")]
    pub quantile: f64,
    /// Completion latency at it, ms.
    #[serde(with = "fixed6")]
    pub latency_ms: f64,
}

/// Writes `latency.csv`: per scenario and policy (all runs merged), completion latency at each
/// of [`LATENCY_QUANTILES`].
pub fn write_latency(dir: &Path, merged: &[PolicyLatency]) -> Result<()> {
    let mut rows = Vec::new();
    for PolicyLatency {
        scenario,
        policy,
        latency: h,
    } in merged
    {
        for q in LATENCY_QUANTILES {
            if let Some(d) = h.quantile(q) {
                rows.push(LatencyRow {
                    scenario: scenario.clone(),
                    policy: policy.clone(),
                    quantile: q,
                    latency_ms: d.as_millis_f64(),
                });
            }
        }
    }
    write_csv(&dir.join("latency.csv"), &rows)
}
