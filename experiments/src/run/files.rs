//! The result files of a run, each written atomically into the run's directory.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;
use shardsim_sim::cluster::FunctionId;
use shardsim_sim::{SimDuration, SimTime};

use super::{Finished, RunSpec};
use crate::io::units::{duration_arg, ms};
use crate::io::write_atomic;
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
}

fn csv_bytes(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.write_record(&r)?;
    }
    w.into_inner().context("flushing CSV")
}

fn f6(x: f64) -> String {
    format!("{:.6}", x)
}

/// Writes every result file into `dir`, each atomically.
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
    let source = if spec.scenario.origin.starts_with("<built-in") {
        "built-in".to_owned()
    } else {
        Path::new(&spec.scenario.origin).file_name().map_or_else(
            || spec.scenario.origin.clone(),
            |f| f.to_string_lossy().into_owned(),
        )
    };
    let scenario_arg = if source == "built-in" {
        spec.scenario.name.clone()
    } else {
        source.clone()
    };
    let manifest = Manifest {
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
    };
    put("manifest.json", serde_json::to_vec_pretty(&manifest)?)?;
    put("summary.json", serde_json::to_vec_pretty(summary)?)?;

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
            rows.push(vec![
                i.to_string(),
                f6(start.as_secs_f64()),
                spec_s.name.clone(),
                topo.regions[spec_s.region.index()].name.clone(),
                f6(st.offered_load),
                f6(st.utilisation),
                f6(st.mean_load),
                st.arrivals.to_string(),
                st.completed.to_string(),
                st.timed_out.to_string(),
                st.failed.to_string(),
                st.dropped.to_string(),
                f6(st.throughput_per_sec),
                st.queue_depth.to_string(),
                st.memory_used_mb.to_string(),
                f6(st.error_rate),
                f6(ms(st.p50)),
                f6(ms(st.p99)),
                f6(st.overall_load),
                u8::from(row.healthy).to_string(),
                u8::from(volatile).to_string(),
            ]);
        }
    }
    put(
        "shard_metrics.csv",
        csv_bytes(
            &[
                "interval",
                "start_s",
                "shard",
                "region",
                "offered_load",
                "utilisation",
                "mean_load",
                "arrivals",
                "completed",
                "timed_out",
                "failed",
                "dropped",
                "throughput_per_s",
                "queue_depth",
                "memory_used_mb",
                "error_rate",
                "p50_ms",
                "p99_ms",
                "overall_load",
                "healthy",
                "volatile",
            ],
            rows.into_iter(),
        )?,
    )?;

    let functions = c.function_metrics().iter().enumerate().map(|(i, m)| {
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
        vec![
            f.spec.name.clone(),
            spec.scenario
                .event_types
                .name(u32::from(f.spec.handles.0))
                .to_owned(),
            m.invocations.to_string(),
            m.completed.to_string(),
            m.timed_out.to_string(),
            m.failed.to_string(),
            m.dropped.to_string(),
            f6(m.completed as f64 / m.invocations.max(1) as f64),
            f6(mean),
            f6(ms(m.latency.quantile(0.5))),
            f6(ms(m.latency.quantile(0.99))),
            busiest,
            f6(count as f64 / m.completed.max(1) as f64),
        ]
    });
    put(
        "function_summary.csv",
        csv_bytes(
            &[
                "function",
                "handles",
                "invocations",
                "completed",
                "timed_out",
                "failed",
                "dropped",
                "success_rate",
                "mean_ms",
                "p50_ms",
                "p99_ms",
                "busiest_shard",
                "busiest_share",
            ],
            functions,
        )?,
    )?;

    let interval_s = c.metrics_interval().as_secs_f64();
    let function_intervals = c.function_metrics().iter().enumerate().flat_map(|(f, m)| {
        let name = c.functions()[f].spec.name.clone();
        m.ends.iter().enumerate().map(move |(i, e)| {
            let ended = e.in_time + e.missed;
            vec![
                i.to_string(),
                f6(i as f64 * interval_s),
                name.clone(),
                e.in_time.to_string(),
                e.missed.to_string(),
                u8::from(f64::from(e.missed) > 0.01 * f64::from(ended)).to_string(),
            ]
        })
    });
    put(
        "function_metrics.csv",
        csv_bytes(
            &[
                "interval",
                "start_s",
                "function",
                "in_time",
                "missed",
                "slo_violated",
            ],
            function_intervals,
        )?,
    )?;

    let migrations = c.migrations().into_iter().map(|m| {
        vec![
            f6(m.start.as_secs_f64()),
            if m.ready == SimTime::MAX {
                String::new()
            } else {
                f6(m.ready.as_secs_f64())
            },
            m.kind.name().to_owned(),
            c.function(m.function).spec.name.clone(),
            topo.shards[m.from.index()].name.clone(),
            topo.shards[m.to.index()].name.clone(),
            m.reason,
            f6(m.cost_slot_secs),
            u8::from(m.completed).to_string(),
        ]
    });
    put(
        "migrations.csv",
        csv_bytes(
            &[
                "start_s",
                "ready_s",
                "kind",
                "function",
                "from",
                "to",
                "reason",
                "cost_slot_secs",
                "completed",
            ],
            migrations,
        )?,
    )?;
    let faults = c
        .fault_log()
        .iter()
        .map(|f| vec![f6(f.at.as_secs_f64()), f.description.clone()]);
    put("faults.csv", csv_bytes(&["at_s", "event"], faults)?)?;
    Ok(written)
}
