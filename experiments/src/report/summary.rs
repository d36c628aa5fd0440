//! What a run says about itself: `summary.json` (totals, latency, the load-distribution
//! check, bottlenecks and recommendations) and the short report `shardsim run` prints.

use std::collections::BTreeMap;

use serde::Serialize;
use shardsim_sim::SimTime;
use shardsim_sim::cluster::{
    Cluster, DropReason, FailReason, FunctionId, Histogram, MigrationKind, ShardCounters, ShardId,
};

use crate::io::units::{duration_arg, ms, round6};
use crate::run::{Finished, RunSpec};

/// One shard's place in the load distribution.
#[derive(Debug, Clone, Serialize)]
pub struct ShardShare {
    /// Shard name.
    pub shard: String,
    /// Work delivered to it, as a share of its pool's work.
    pub share: f64,
    /// The share it would have if its pool's work were spread by capacity.
    pub expected_share: f64,
    /// share / expected − 1.
    pub deviation: f64,
    /// `ok`, `warning` (|deviation| > 20%) or `critical` (> 50%).
    pub status: &'static str,
}

/// The seeds' LoadBalancingValidator: expected vs actual distribution per shard.
#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    /// 1 − mean |deviation| (weighted by expected work), floored at 0: 1.0 is a perfect spread.
    pub distribution_score: f64,
    /// Shards more than 20% off their expected share.
    pub warnings: usize,
    /// Shards more than 50% off.
    pub critical: usize,
    /// Shards more than 50% above their share.
    pub hot_spots: Vec<String>,
    /// Shards more than 50% below their share.
    pub cold_spots: Vec<String>,
    /// Every shard that belongs to a pool with work.
    pub shards: Vec<ShardShare>,
}

/// `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// Routing policy.
    pub routing: String,
    /// Simulated seconds of arrivals.
    pub duration_secs: f64,
    /// Invocations created.
    pub invocations: u64,
    /// Completed in time.
    pub completed: u64,
    /// Past their timeout.
    pub timed_out: u64,
    /// Failed.
    pub failed: u64,
    /// Dropped.
    pub dropped: u64,
    /// Function-minutes over the arrival window in which a function missed its SLO (see the
    /// README's "What is measured").
    pub slo_violation_minutes: f64,
    /// completed / invocations.
    pub success_rate: f64,
    /// Mean completion latency.
    pub mean_latency_ms: f64,
    /// Median completion latency.
    pub p50_latency_ms: f64,
    /// 99th-percentile completion latency.
    pub p99_latency_ms: f64,
    /// Max/mean shard load ratio (1.0 is perfectly even).
    pub max_mean_load_ratio: f64,
    /// Failures by reason.
    pub failed_by_reason: BTreeMap<&'static str, u64>,
    /// Drops by reason.
    pub dropped_by_reason: BTreeMap<&'static str, u64>,
    /// Migrations: state transfers started (moves and expansions).
    pub migrations: usize,
    /// Shrinks (a shard removed from a placement at once; no transfer).
    pub shrinks: usize,
    /// Invocations that failed over to the general pool.
    pub failovers: u64,
    /// Invocations placed on the overflow shard.
    pub degraded_routes: u64,
    /// Share of the run spent in the volatile regime.
    pub volatile_share: f64,
    /// The load-distribution check.
    pub validation: Validation,
    /// What limited the run.
    pub bottlenecks: Vec<String>,
    /// What to do about it.
    pub recommendations: Vec<String>,
}

/// Builds the summary of a finished run.
pub fn summarise(spec: &RunSpec, done: &Finished) -> Summary {
    let c = done.sim.model();
    let books = c.conservation();
    let mut latency = Histogram::default();
    let mut latency_sum = 0u128;
    for m in c.function_metrics() {
        latency.merge(&m.latency);
        latency_sum += u128::from(m.latency_sum_ns);
    }
    let mean_ms = if books.completed == 0 {
        0.0
    } else {
        latency_sum as f64 / books.completed as f64 / 1e6
    };
    let n = done.intervals;
    let last = |s: ShardId| {
        let rows = c.shard_series(s).rows();
        if n == 0 || rows.is_empty() {
            Default::default()
        } else {
            rows[n.min(rows.len()) - 1].cumulative
        }
    };
    let (failovers, degraded) = fallback_routes(c, last);
    let validation = validate(c, n);
    let (bottlenecks, recommendations) = diagnose(c, n, done.max_mean_load_ratio, &validation);
    let end = SimTime::ZERO + spec.duration;
    let volatile_secs: f64 = {
        let sw = &c.regime().switches;
        let mut v = 0.0;
        for (i, &(t, volatile)) in sw.iter().enumerate() {
            let until = sw.get(i + 1).map_or(end, |&(u, _)| u).min(end);
            if volatile && until > t {
                v += (until - t).as_secs_f64();
            }
        }
        v
    };
    Summary {
        scenario: spec.scenario.name.clone(),
        seed: spec.seed,
        routing: spec.routing.clone(),
        duration_secs: spec.duration.as_secs_f64(),
        invocations: books.generated,
        completed: books.completed,
        timed_out: books.timed_out,
        failed: books.failed_total(),
        dropped: books.dropped_total(),
        slo_violation_minutes: done.outcome.slo_violation_minutes,
        success_rate: round6(books.completed as f64 / books.generated.max(1) as f64),
        mean_latency_ms: round6(mean_ms),
        p50_latency_ms: ms(latency.quantile(0.5)),
        p99_latency_ms: ms(latency.quantile(0.99)),
        max_mean_load_ratio: round6(done.max_mean_load_ratio),
        failed_by_reason: BTreeMap::from([
            (
                "shard_crashed",
                books.failed[FailReason::ShardCrashed as usize],
            ),
            (
                "reroute_limit",
                books.failed[FailReason::RerouteLimit as usize],
            ),
        ]),
        dropped_by_reason: BTreeMap::from([
            (
                "no_function",
                books.dropped[DropReason::NoFunction as usize],
            ),
            ("no_shard", books.dropped[DropReason::NoShard as usize]),
            ("queue_full", books.dropped[DropReason::QueueFull as usize]),
        ]),
        migrations: done
            .migrations
            .iter()
            .filter(|m| m.kind != MigrationKind::Shrink)
            .count(),
        shrinks: done
            .migrations
            .iter()
            .filter(|m| m.kind == MigrationKind::Shrink)
            .count(),
        failovers,
        degraded_routes: degraded,
        volatile_share: round6(volatile_secs / spec.duration.as_secs_f64()),
        validation,
        bottlenecks,
        recommendations,
    }
}

/// Failovers and degraded routes over all shards, from each shard's counters as `counters`
/// reads them.
pub fn fallback_routes(c: &Cluster, counters: impl Fn(ShardId) -> ShardCounters) -> (u64, u64) {
    let failovers = c
        .topology()
        .shard_ids()
        .map(|s| counters(s).failovers)
        .sum();
    let degraded = c
        .topology()
        .shard_ids()
        .map(|s| counters(s).degraded_routes)
        .sum();
    (failovers, degraded)
}

/// Shards that host the same set of functions form a pool; within a pool, work should follow
/// capacity (slots × speed). Across pools the workload decides, so pools are judged separately.
fn validate(c: &Cluster, intervals: usize) -> Validation {
    let mut pools: BTreeMap<Vec<FunctionId>, Vec<ShardId>> = BTreeMap::new();
    for s in c.topology().shard_ids() {
        let hosted: Vec<FunctionId> = (0..c.functions().len() as u32)
            .map(FunctionId)
            .filter(|&f| c.placement(f).contains(&s))
            .collect();
        if !hosted.is_empty() {
            pools.entry(hosted).or_default().push(s);
        }
    }
    let work = |s: ShardId| {
        let rows = c.shard_series(s).rows();
        if intervals == 0 || rows.is_empty() {
            0.0
        } else {
            rows[intervals.min(rows.len()) - 1]
                .cumulative
                .offered_work_ns as f64
        }
    };
    let mut shards = Vec::new();
    let (mut weighted, mut total) = (0.0, 0.0);
    for members in pools.values() {
        let pool_work: f64 = members.iter().map(|&s| work(s)).sum();
        if pool_work == 0.0 {
            continue;
        }
        let capacity = |s: ShardId| {
            let spec = &c.topology().shards[s.index()];
            f64::from(spec.cpu_slots) * spec.speed
        };
        let pool_capacity: f64 = members.iter().map(|&s| capacity(s)).sum();
        for &s in members {
            let share = work(s) / pool_work;
            let expected = capacity(s) / pool_capacity;
            let deviation = share / expected - 1.0;
            weighted += deviation.abs() * expected * pool_work;
            total += expected * pool_work;
            shards.push(ShardShare {
                shard: c.topology().shards[s.index()].name.clone(),
                share: round6(share),
                expected_share: round6(expected),
                deviation: round6(deviation),
                status: if deviation.abs() > 0.5 {
                    "critical"
                } else if deviation.abs() > 0.2 {
                    "warning"
                } else {
                    "ok"
                },
            });
        }
    }
    let critical = shards.iter().filter(|s| s.status == "critical").count();
    Validation {
        distribution_score: round6((1.0 - weighted / total.max(1.0)).max(0.0)),
        warnings: shards.iter().filter(|s| s.status == "warning").count(),
        critical,
        hot_spots: shards
            .iter()
            .filter(|s| s.deviation > 0.5)
            .map(|s| s.shard.clone())
            .collect(),
        cold_spots: shards
            .iter()
            .filter(|s| s.deviation < -0.5)
            .map(|s| s.shard.clone())
            .collect(),
        shards,
    }
}

/// The seeds' LoadTestResult analysis: bottlenecks and recommendations from the metrics.
fn diagnose(
    c: &Cluster,
    intervals: usize,
    ratio: f64,
    v: &Validation,
) -> (Vec<String>, Vec<String>) {
    let mut bottlenecks = Vec::new();
    let mut recommendations = Vec::new();
    let mut hot_shards = Vec::new();
    for s in c.topology().shard_ids() {
        let series = c.shard_series(s);
        let n = intervals.min(series.rows().len());
        if n == 0 {
            continue;
        }
        let spec = &c.topology().shards[s.index()];
        let busy = series.load_series()[..n]
            .iter()
            .filter(|p| p.utilisation > 0.85)
            .count();
        let full_memory = (0..n)
            .filter(|&i| {
                f64::from(series.rows()[i].memory_used_mb) > 0.9 * f64::from(spec.memory_mb)
            })
            .count();
        let dropped = series.rows()[n - 1].cumulative.dropped;
        if busy * 10 > n {
            hot_shards.push(spec.name.clone());
            bottlenecks.push(format!(
                "cpu exhaustion on {}: above 85% utilisation in {:.0}% of intervals",
                spec.name,
                100.0 * busy as f64 / n as f64
            ));
        }
        if full_memory > 0 {
            bottlenecks.push(format!(
                "memory above 90% on {} in {full_memory} intervals",
                spec.name
            ));
        }
        if dropped > 0 {
            bottlenecks.push(format!(
                "{} dropped {dropped} invocations: its queue was full",
                spec.name
            ));
        }
    }
    for (i, m) in c.function_metrics().iter().enumerate() {
        let f = c.function(FunctionId(i as u32));
        let timeout = f.spec.resources.timeout.as_millis_f64();
        let p99 = m.latency.quantile(0.99).map_or(0.0, |d| d.as_millis_f64());
        if m.invocations > 0 && p99 > 0.8 * timeout {
            bottlenecks.push(format!(
                "high latency: {} p99 {p99:.0} ms against a {timeout:.0} ms timeout",
                f.spec.name
            ));
        }
        let violation_rate = m.timed_out as f64 / m.invocations.max(1) as f64;
        if violation_rate > 0.01 {
            recommendations.push(format!(
                "{}: {:.1}% of invocations missed their timeout; add capacity where it runs, or migrate it ahead of bursts",
                f.spec.name,
                100.0 * violation_rate
            ));
        }
    }
    if !hot_shards.is_empty() {
        let shown: Vec<_> = hot_shards.iter().take(5).cloned().collect();
        recommendations.push(format!(
            "add capacity to, or migrate functions off, the busiest shards ({}{})",
            shown.join(", "),
            if hot_shards.len() > 5 { ", …" } else { "" }
        ));
    }
    if ratio > 1.5 {
        recommendations.push(format!(
            "load is uneven (max/mean {ratio:.2}): try `--routing power-of-two` or `--routing bounded-hash`"
        ));
    }
    if v.critical > 0 {
        recommendations.push(format!(
            "{} shards are more than 50% off their pool's fair share; check placements and hashing keys",
            v.critical
        ));
    }
    if bottlenecks.is_empty() && recommendations.is_empty() {
        recommendations.push("no bottleneck found: no action needed".to_owned());
    }
    (bottlenecks, recommendations)
}

/// The short human report (the seeds' LoadTestResult).
pub fn render(summary: &Summary, shards: usize) -> String {
    let pct = |x: f64| format!("{:.2}%", 100.0 * x);
    let mut out = format!(
        "{} — seed {}, routing {}, {} simulated, {} shards\n",
        summary.scenario,
        summary.seed,
        summary.routing,
        duration_arg(shardsim_sim::SimDuration::from_secs_f64(
            summary.duration_secs
        )),
        shards
    );
    out += &format!(
        "  invocations {:>12}   success {}   timed out {} ({})   dropped {}   failed {}\n",
        summary.invocations,
        pct(summary.success_rate),
        summary.timed_out,
        pct(summary.timed_out as f64 / summary.invocations.max(1) as f64),
        summary.dropped,
        summary.failed
    );
    out += &format!(
        "  SLO         {} SLO-violation minutes (function-minutes with more than 1% missed)\n",
        summary.slo_violation_minutes
    );
    out += &format!(
        "  latency     mean {:.1} ms   p50 {:.1} ms   p99 {:.1} ms\n",
        summary.mean_latency_ms, summary.p50_latency_ms, summary.p99_latency_ms
    );
    let v = &summary.validation;
    out += &format!(
        "  balance     max/mean load {:.2}   distribution score {:.2}   {} warnings, {} critical   hot: {}   cold: {}\n",
        summary.max_mean_load_ratio,
        v.distribution_score,
        v.warnings,
        v.critical,
        list_or_none(&v.hot_spots),
        list_or_none(&v.cold_spots)
    );
    out += &format!(
        "  regime      volatile {}   failovers {}   degraded routes {}   migrations {} (+ {} shrinks)\n",
        pct(summary.volatile_share),
        summary.failovers,
        summary.degraded_routes,
        summary.migrations,
        summary.shrinks
    );
    out += "  bottlenecks\n";
    if summary.bottlenecks.is_empty() {
        out += "    none\n";
    }
    for b in summary.bottlenecks.iter().take(8) {
        out += &format!("    - {b}\n");
    }
    if summary.bottlenecks.len() > 8 {
        out += &format!(
            "    … and {} more in summary.json\n",
            summary.bottlenecks.len() - 8
        );
    }
    out += "  recommendations\n";
    for r in &summary.recommendations {
        out += &format!("    - {r}\n");
    }
    out
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else if v.len() > 4 {
        format!("{}, … ({} in all)", v[..4].join(", "), v.len())
    } else {
        v.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::simulate;
    use crate::scenario::Scenario;

    const FIXTURE: &str = include_str!("../../tests/fixtures/small.toml");

    fn run(text: &str, routing: &str) -> Summary {
        let scenario = Scenario::parse(text, "small.toml").expect("valid fixture");
        let spec = RunSpec {
            seed: 4,
            routing: routing.to_owned(),
            ..RunSpec::new(scenario)
        };
        let done = simulate(&spec, |_| {}).unwrap();
        summarise(&spec, &done)
    }

    #[test]
    fn round_robin_spreads_work_evenly_within_each_pool() {
        let s = run(FIXTURE, "round-robin");
        assert_eq!(s.validation.critical, 0, "{:?}", s.validation.shards);
        assert!(
            s.validation.distribution_score > 0.9,
            "{}",
            s.validation.distribution_score
        );
        assert_eq!(s.validation.shards.len(), 8);
    }

    #[test]
    fn hashing_three_keys_over_four_shards_leaves_a_cold_spot() {
        // Both sources now have 3 users; `hash` routes by user, so a pool of 4 gets at most 3
        // distinct targets: at least one shard sits far below its share.
        let text = FIXTURE
            .replace("rate = 100.0", "rate = 100.0\nusers = 3")
            .replace("rate = 200.0", "rate = 200.0\nusers = 3");
        let s = run(&text, "hash");
        assert!(s.validation.critical >= 1, "{:?}", s.validation.shards);
        assert!(!s.validation.cold_spots.is_empty());
        assert!(s.validation.distribution_score < 0.8);
        let critical = s
            .validation
            .shards
            .iter()
            .find(|x| x.status == "critical")
            .unwrap();
        assert!(critical.deviation.abs() > 0.5);
        assert!(
            s.recommendations
                .iter()
                .any(|r| r.contains("off their pool's fair share")),
            "{:?}",
            s.recommendations
        );
    }

    #[test]
    fn the_summary_counts_add_up_and_name_reasons() {
        let s = run(FIXTURE, "declared");
        assert_eq!(
            s.invocations,
            s.completed + s.timed_out + s.failed + s.dropped
        );
        assert!(s.slo_violation_minutes >= 0.0);
        assert_eq!(s.failed, s.failed_by_reason.values().sum::<u64>());
        assert!(s.p99_latency_ms >= s.p50_latency_ms && s.p50_latency_ms > 0.0);
    }
}
