//! The result files of a run, each written atomically into the run's directory: the manifest
//! and summary as JSON, and one row struct per CSV table (its fields are the columns, in order),
//! which `shardsim plot` reads back.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use shardsim_optimizer::SLO_MISS_SHARE;
use shardsim_sim::cluster::{Cluster, FunctionId};
use shardsim_sim::{SimDuration, SimTime};

use super::{Finished, RunSpec};
use crate::io::csv::{Empty, csv_bytes, fixed6, fixed6_or_empty, flag};
use crate::io::manifest::{self, FileEntry, MANIFEST};
use crate::io::units::{duration_arg, ms};
use crate::io::{file_name, write_atomic, write_json};
use crate::report::summary::Summary;

/// The manifest: enough to reproduce the run, nothing machine-specific.
#[derive(Debug, Serialize)]
struct Manifest<'a> {
    shardsim_version: &'static str,
    scenario: &'a str,
    scenario_source: String,
    scenario_hash: String,
    seed: u64,
    routing: &'a str,
    migration_policy: &'a str,
    model: Option<&'a str>,
    duration_secs: f64,
    metrics_interval_secs: f64,
    command: String,
    files: Vec<FileEntry>,
}

/// Writes every result file into `dir`, each atomically; the manifest, which says the run
/// finished, is [`write_manifest`]'s, last.
pub fn write_results(
    dir: &Path,
    spec: &RunSpec,
    done: &Finished,
    summary: &Summary,
) -> Result<Vec<PathBuf>> {
    let c = done.sim.model();
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: Vec<u8>| -> Result<()> {
        let path = dir.join(name);
        write_atomic(&path, &bytes)?;
        written.push(path);
        Ok(())
    };
    put("summary.json", serde_json::to_vec_pretty(summary)?)?;
    put(
        "shard_metrics.csv",
        csv_bytes(&shard_metrics(spec, done), Empty::Header)?,
    )?;
    put(
        "function_summary.csv",
        csv_bytes(&function_summary(spec, c), Empty::Header)?,
    )?;
    put(
        "function_metrics.csv",
        csv_bytes(&function_metrics(c, done.intervals), Empty::Header)?,
    )?;
    put("migrations.csv", csv_bytes(&migrations(c), Empty::Header)?)?;
    put("faults.csv", csv_bytes(&faults(c), Empty::Header)?)?;
    if c.market_path().is_some() {
        let market = super::market_files::market_rows(c, done.intervals);
        put("market.csv", csv_bytes(&market, Empty::Header)?)?;
        let calendar = super::market_files::calendar_rows(c);
        put("calendar.csv", csv_bytes(&calendar, Empty::Header)?)?;
    }
    Ok(written)
}

/// Writes `manifest.json` into `dir`, the run's last file: what repeats the run, and the names
/// and hashes of the result files `written` (from [`write_results`]).
pub fn write_manifest(dir: &Path, spec: &RunSpec, written: &[PathBuf]) -> Result<()> {
    let names: Vec<String> = written.iter().filter_map(|p| file_name(p)).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let files = manifest::entries(dir, &names)?;
    write_json(&dir.join(MANIFEST), &manifest(spec, files))
}

/// The manifest of `spec`'s run, with the command that repeats it.
fn manifest(spec: &RunSpec, files: Vec<FileEntry>) -> Manifest<'_> {
    let source = if spec.scenario.origin.starts_with("<built-in") {
        "built-in".to_owned()
    } else {
        file_name(Path::new(&spec.scenario.origin)).unwrap_or_else(|| spec.scenario.origin.clone())
    };
    let scenario_arg = if source == "built-in" {
        spec.scenario.name.clone()
    } else {
        source.clone()
    };
    Manifest {
        shardsim_version: env!("CARGO_PKG_VERSION"),
        scenario: &spec.scenario.name,
        scenario_source: source,
        scenario_hash: format!("{:016x}", spec.scenario.hash),
        seed: spec.seed,
        routing: &spec.routing,
        migration_policy: &spec.migration,
        model: spec.model.as_ref().map(|(_, name)| name.as_str()),
        duration_secs: spec.duration.as_secs_f64(),
        metrics_interval_secs: spec.scenario.metrics_interval.as_secs_f64(),
        command: format!(
            "shardsim run {scenario_arg} --seed {} --routing {} --duration {} --policy {}{}",
            spec.seed,
            spec.routing,
            duration_arg(spec.duration),
            spec.migration,
            spec.model
                .as_ref()
                .map_or_else(String::new, |(_, name)| format!(" --model {name}"))
        ),
        files,
    }
}

/// `shard_metrics.csv`: one row per shard per metrics interval of the arrival window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardMetricsRow {
    /// Interval index.
    pub interval: usize,
    /// Interval start, simulated seconds.
    #[serde(with = "fixed6")]
    pub start_s: f64,
    /// Shard name.
    pub shard: String,
    /// The shard's region.
    pub region: String,
    /// Work arriving over capacity (may exceed 1): the forecast target.
    #[serde(with = "fixed6")]
    pub offered_load: f64,
    /// Busy slot-time over capacity.
    #[serde(with = "fixed6")]
    pub utilisation: f64,
    /// Time-averaged (busy + queued slots) / cpu slots: the load routing balances.
    #[serde(with = "fixed6")]
    pub mean_load: f64,
    /// Invocations delivered.
    pub arrivals: u64,
    /// Completed in time.
    pub completed: u64,
    /// Timed out.
    pub timed_out: u64,
    /// Failed.
    pub failed: u64,
    /// Dropped.
    pub dropped: u64,
    /// Completions per second.
    #[serde(with = "fixed6")]
    pub throughput_per_s: f64,
    /// Queue depth at the end.
    pub queue_depth: u32,
    /// Memory in use at the end, MiB.
    pub memory_used_mb: u32,
    /// (timed out + failed + dropped) / arrivals.
    #[serde(with = "fixed6")]
    pub error_rate: f64,
    /// Median completion latency, ms.
    #[serde(with = "fixed6")]
    pub p50_ms: f64,
    /// 99th-percentile completion latency, ms.
    #[serde(with = "fixed6")]
    pub p99_ms: f64,
    /// The seeds' composite load: 0.6 utilisation + 0.3 queue fill + 0.1 error rate, capped at 1.
    #[serde(with = "fixed6")]
    pub overall_load: f64,
    /// Whether the shard could take work at the end of the interval.
    #[serde(with = "flag")]
    pub healthy: bool,
    /// Whether the market was volatile at the interval's start.
    #[serde(with = "flag")]
    pub volatile: bool,
}

fn shard_metrics(spec: &RunSpec, done: &Finished) -> Vec<ShardMetricsRow> {
    let c = done.sim.model();
    let interval = spec.scenario.metrics_interval;
    let topo = c.topology();
    let mut rows = Vec::new();
    for i in 0..done.intervals {
        let start = SimTime::ZERO + SimDuration::from_nanos(interval.as_nanos() * i as u64);
        let volatile = c.regime().is_volatile(start);
        for s in topo.shard_ids() {
            let series = c.shard_series(s);
            if i >= series.rows().len() {
                continue;
            }
            let st = series.interval_stats(i);
            let row = series.rows()[i];
            let spec_s = &topo.shards[s.index()];
            rows.push(ShardMetricsRow {
                interval: i,
                start_s: start.as_secs_f64(),
                shard: spec_s.name.clone(),
                region: topo.regions[spec_s.region.index()].name.clone(),
                offered_load: st.offered_load,
                utilisation: st.utilisation,
                mean_load: st.mean_load,
                arrivals: st.arrivals,
                completed: st.completed,
                timed_out: st.timed_out,
                failed: st.failed,
                dropped: st.dropped,
                throughput_per_s: st.throughput_per_sec,
                queue_depth: st.queue_depth,
                memory_used_mb: st.memory_used_mb,
                error_rate: st.error_rate,
                p50_ms: ms(st.p50),
                p99_ms: ms(st.p99),
                overall_load: st.overall_load,
                healthy: row.healthy,
                volatile,
            });
        }
    }
    rows
}

/// `function_summary.csv`: one row per function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionSummaryRow {
    /// Function name.
    pub function: String,
    /// The event type it handles.
    pub handles: String,
    /// Invocations created.
    pub invocations: u64,
    /// Completed in time.
    pub completed: u64,
    /// Timed out.
    pub timed_out: u64,
    /// Failed.
    pub failed: u64,
    /// Dropped.
    pub dropped: u64,
    /// completed / invocations.
    #[serde(with = "fixed6")]
    pub success_rate: f64,
    /// Mean completion latency, ms.
    #[serde(with = "fixed6")]
    pub mean_ms: f64,
    /// Median completion latency, ms.
    #[serde(with = "fixed6")]
    pub p50_ms: f64,
    /// 99th-percentile completion latency, ms.
    #[serde(with = "fixed6")]
    pub p99_ms: f64,
    /// The shard that completed most of its invocations (empty: none completed).
    pub busiest_shard: String,
    /// That shard's share of its completions.
    #[serde(with = "fixed6")]
    pub busiest_share: f64,
}

fn function_summary(spec: &RunSpec, c: &Cluster) -> Vec<FunctionSummaryRow> {
    let topo = c.topology();
    c.function_metrics()
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let f = c.function(FunctionId(i as u32));
            let (busiest, count) = m
                .completed_by_shard
                .iter()
                .enumerate()
                .max_by_key(|&(s, n)| (*n, std::cmp::Reverse(s)))
                .map_or((String::new(), 0), |(s, n)| {
                    (topo.shards[s].name.clone(), *n)
                });
            let mean = if m.completed == 0 {
                0.0
            } else {
                m.latency_sum_ns as f64 / m.completed as f64 / 1e6
            };
            FunctionSummaryRow {
                function: f.spec.name.clone(),
                handles: spec
                    .scenario
                    .event_types
                    .name(u32::from(f.spec.handles.0))
                    .to_owned(),
                invocations: m.invocations,
                completed: m.completed,
                timed_out: m.timed_out,
                failed: m.failed,
                dropped: m.dropped,
                success_rate: m.completed as f64 / m.invocations.max(1) as f64,
                mean_ms: mean,
                p50_ms: ms(m.latency.quantile(0.5)),
                p99_ms: ms(m.latency.quantile(0.99)),
                busiest_shard: busiest,
                busiest_share: count as f64 / m.completed.max(1) as f64,
            }
        })
        .collect()
}

/// `function_metrics.csv`: one row per function per metrics interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionMetricsRow {
    /// Interval index.
    pub interval: usize,
    /// Interval start, simulated seconds.
    #[serde(with = "fixed6")]
    pub start_s: f64,
    /// Function name.
    pub function: String,
    /// Its invocations that ended in the interval in time.
    pub in_time: u32,
    /// Those that ended in it timed out, failed or dropped.
    pub missed: u32,
    /// More than 1% of those that ended missed (an SLO-violation interval).
    #[serde(with = "flag")]
    pub slo_violated: bool,
}

/// Per function per metrics interval of the arrival window (the drain's partial interval is
/// not one of the run's minutes, as in every other per-interval figure).
fn function_metrics(c: &Cluster, intervals: usize) -> Vec<FunctionMetricsRow> {
    let interval_s = c.metrics_interval().as_secs_f64();
    c.function_metrics()
        .iter()
        .enumerate()
        .flat_map(|(f, m)| {
            let name = c.functions()[f].spec.name.clone();
            m.ends
                .iter()
                .take(intervals)
                .enumerate()
                .map(move |(i, e)| {
                    let ended = e.in_time + e.missed;
                    FunctionMetricsRow {
                        interval: i,
                        start_s: i as f64 * interval_s,
                        function: name.clone(),
                        in_time: e.in_time,
                        missed: e.missed,
                        slo_violated: f64::from(e.missed) > SLO_MISS_SHARE * f64::from(ended),
                    }
                })
        })
        .collect()
}

/// `migrations.csv`: one row per migration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MigrationRow {
    /// Started at, simulated seconds.
    #[serde(with = "fixed6")]
    pub start_s: f64,
    /// When the target became ready, simulated seconds (empty: never).
    #[serde(with = "fixed6_or_empty")]
    pub ready_s: Option<f64>,
    /// `move`, `expand` or `shrink`.
    pub kind: String,
    /// Function.
    pub function: String,
    /// From (shard name).
    pub from: String,
    /// To (shard name).
    pub to: String,
    /// Why (free text from the planner).
    pub reason: String,
    /// Cpu cost: slot-seconds reserved on both shards.
    #[serde(with = "fixed6")]
    pub cost_slot_secs: f64,
    /// Whether it completed (0: aborted because a shard crashed).
    #[serde(with = "flag")]
    pub completed: bool,
}

fn migrations(c: &Cluster) -> Vec<MigrationRow> {
    let topo = c.topology();
    c.migrations()
        .into_iter()
        .map(|m| MigrationRow {
            start_s: m.start.as_secs_f64(),
            ready_s: (m.ready != SimTime::MAX).then(|| m.ready.as_secs_f64()),
            kind: m.kind.name().to_owned(),
            function: c.function(m.function).spec.name.clone(),
            from: topo.shards[m.from.index()].name.clone(),
            to: topo.shards[m.to.index()].name.clone(),
            reason: m.reason,
            cost_slot_secs: m.cost_slot_secs,
            completed: m.completed,
        })
        .collect()
}

/// `faults.csv`: one row per fault start or end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultRow {
    /// When, simulated seconds.
    #[serde(with = "fixed6")]
    pub at_s: f64,
    /// What started or ended.
    pub event: String,
}

fn faults(c: &Cluster) -> Vec<FaultRow> {
    c.fault_log()
        .iter()
        .map(|f| FaultRow {
            at_s: f.at.as_secs_f64(),
            event: f.description.clone(),
        })
        .collect()
}
