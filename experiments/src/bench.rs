//! `shardsim bench`: throughput measurements with a reference measured in the same run.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde::Serialize;
use shardsim_sim::phold::{self, Phold, PholdConfig};

use crate::report::stats::median;

/// What one `bench phold` invocation measured.
#[derive(Debug, Clone, Serialize)]
pub struct PholdReport {
    /// Logical processes.
    pub lps: u32,
    /// Pending events per LP.
    pub pop: u32,
    /// Events handled per run.
    pub events: u64,
    /// Master seed.
    pub seed: u64,
    /// Timed runs of each implementation.
    pub repeats: u32,
    /// Median engine throughput.
    pub engine_events_per_sec: f64,
    /// Median bare-heap throughput, if the reference ran.
    pub reference_events_per_sec: Option<f64>,
    /// engine / reference.
    pub ratio_engine_over_reference: Option<f64>,
    /// Checksum of the final per-LP counters.
    pub checksum: String,
    /// Peak resident memory of the process, if the OS reports it.
    pub peak_rss_mib: Option<f64>,
}

/// Runs PHOLD `repeats` times on the engine (and, if `with_reference`, interleaved with the bare
/// heap loop), checking every run ends with the same counters.
pub fn phold(
    config: PholdConfig,
    events: u64,
    repeats: u32,
    with_reference: bool,
) -> Result<PholdReport> {
    let mut engine_rates = Vec::new();
    let mut reference_rates = Vec::new();
    let mut checksum = None;
    for _ in 0..repeats.max(1) {
        if with_reference {
            let (sum, elapsed) = timed(|| {
                let mut reference = phold::BareHeapPhold::new(config);
                reference.run(events);
                phold::counters_checksum(reference.counters())
            });
            check_same(&mut checksum, sum, "bare reference")?;
            reference_rates.push(rate(events, elapsed));
        }
        let (sum, elapsed) = timed(|| {
            let mut sim = Phold::simulation(config);
            let handled = sim.run_events(events);
            (handled, sim.model().checksum())
        });
        if sum.0 != events {
            bail!(
                "the engine handled {} events, expected {events} (PHOLD never runs dry)",
                sum.0
            );
        }
        check_same(&mut checksum, sum.1, "engine")?;
        engine_rates.push(rate(events, elapsed));
    }
    let engine = median(&mut engine_rates);
    let reference = (!reference_rates.is_empty()).then(|| median(&mut reference_rates));
    Ok(PholdReport {
        lps: config.lps(),
        pop: config.pending_per_lp(),
        events,
        seed: config.seed(),
        repeats: repeats.max(1),
        engine_events_per_sec: engine,
        reference_events_per_sec: reference,
        ratio_engine_over_reference: reference.map(|r| engine / r),
        checksum: format!("{:016x}", checksum.unwrap_or_default()),
        peak_rss_mib: peak_rss_mib(),
    })
}

fn check_same(expected: &mut Option<u64>, got: u64, who: &str) -> Result<()> {
    match *expected {
        None => *expected = Some(got),
        Some(e) if e != got => {
            bail!(
                "{who} run ended with checksum {got:016x}, another run with {e:016x}: determinism is broken"
            )
        }
        Some(_) => {}
    }
    Ok(())
}

// Wall-clock timing is the point of a benchmark; the experiments crate is the one place allowed
// to read the clock (see clippy.toml).
#[allow(clippy::disallowed_methods)]
pub(crate) fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = std::hint::black_box(f());
    (out, start.elapsed())
}

pub(crate) fn rate(events: u64, elapsed: Duration) -> f64 {
    events as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// Peak resident set size from `/proc/self/status` (Linux); `None` elsewhere.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

impl PholdReport {
    /// The human report; its last two lines are the machine-readable `events_per_sec=` and
    /// `checksum=` that scripts grep for.
    pub fn render(&self) -> String {
        let mut out = format!(
            "phold: lps={} pop={} ({} pending) events={} seed={} repeats={}\n",
            self.lps,
            self.pop,
            u64::from(self.lps) * u64::from(self.pop),
            self.events,
            self.seed,
            self.repeats
        );
        if let (Some(r), Some(ratio)) = (
            self.reference_events_per_sec,
            self.ratio_engine_over_reference,
        ) {
            out +=
                &format!("reference_events_per_sec={r:.0}   (bare BinaryHeap pop/push, median)\n");
            out += &format!(
                "engine_events_per_sec={:.0}   (median)\n",
                self.engine_events_per_sec
            );
            out += &format!("ratio_engine_over_reference={ratio:.3}\n");
        }
        if let Some(m) = self.peak_rss_mib {
            out += &format!("peak_rss_mib={m:.1}\n");
        }
        out += &format!("events_per_sec={:.0}\n", self.engine_events_per_sec);
        out += &format!("checksum={}\n", self.checksum);
        out
    }
}

/// What `bench plan` measured: the wall time of planning steps of the predictive policy on a
/// scenario, split into steps that forecast and plan and the fork scoring of the plans made.
#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    /// Scenario.
    pub scenario: String,
    /// Simulated time driven.
    pub duration_secs: f64,
    /// Forecasting planning steps timed.
    pub steps: usize,
    /// Median of forecast + plan (no scoring), ms.
    pub plan_median_ms: f64,
    /// 90th percentile of forecast + plan, ms.
    pub plan_p90_ms: f64,
    /// Plans scored (two forks each).
    pub scored: usize,
    /// Median fork-scoring time per plan, ms.
    pub score_median_ms: f64,
    /// Median of forecast + plan + fork scoring over the steps that made a plan, ms.
    pub full_step_median_ms: f64,
    /// Median of one simulated minute of the same run without planning (the reference), ms.
    pub sim_minute_median_ms: f64,
}

/// Drives `scenario` under the predictive planner with `model`, timing every forecasting step,
/// and scores each plan it makes separately so the two costs are reported apart.
pub fn plan(
    scenario: &crate::scenario::Scenario,
    seed: u64,
    duration: shardsim_sim::SimDuration,
    model: &shardsim_model::ForecastModel,
) -> Result<PlanReport> {
    use shardsim_optimizer::{DriveConfig, Driver, Forecaster, MigrationPolicy, policy_by_name};
    use shardsim_sim::SimTime;
    use shardsim_sim::cluster::{Cluster, policy_by_name as routing_by_name};
    let routing = routing_by_name(&scenario.routing)?;
    let mut sim = Cluster::simulation(scenario.config(Some(duration)), seed, routing)?;
    let policy: Box<dyn MigrationPolicy> = policy_by_name("predictive").expect("a built-in policy");
    let mut driver = Driver::new(
        &sim,
        policy.as_ref(),
        Forecaster::Model(model),
        DriveConfig {
            score_plans: false,
            ..DriveConfig::default()
        },
    );
    let end = SimTime::ZERO + duration;
    let (mut plan_ms, mut score_ms, mut full_ms, mut sim_ms) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    while sim.now() < end {
        let t = driver.next_step().min(end);
        let ((), ran) = timed(|| sim.run_until(t));
        if t.as_nanos().is_multiple_of(60_000_000_000) && t > SimTime::ZERO {
            sim_ms.push(ran.as_secs_f64() * 1e3);
        }
        if !driver.forecasts_at(t) {
            driver.step_to(&mut sim, t);
            continue;
        }
        let before = driver.records().len();
        let ((), took) = timed(|| driver.step_to(&mut sim, t));
        plan_ms.push(took.as_secs_f64() * 1e3);
        let made: Vec<_> = driver.records()[before..]
            .iter()
            .map(|r| r.plan.clone())
            .collect();
        if made.is_empty() {
            continue;
        }
        let mut scoring = 0.0;
        for p in &made {
            // Timed from the state after the step: an urgent plan has already started, which
            // changes what these forks measure but not what they cost.
            let (_, s) = timed(|| driver.score(&sim, p));
            scoring += s.as_secs_f64() * 1e3;
        }
        score_ms.push(scoring / made.len() as f64);
        full_ms.push(took.as_secs_f64() * 1e3 + scoring);
    }
    if plan_ms.is_empty() {
        bail!("the run was too short for a single forecasting step; use a longer --duration");
    }
    let pct = |v: &mut Vec<f64>, q: f64| {
        if v.is_empty() {
            return 0.0;
        }
        v.sort_by(f64::total_cmp);
        v[((v.len() - 1) as f64 * q).round() as usize]
    };
    Ok(PlanReport {
        scenario: scenario.name.clone(),
        duration_secs: duration.as_secs_f64(),
        steps: plan_ms.len(),
        plan_median_ms: median(&mut plan_ms.clone()),
        plan_p90_ms: pct(&mut plan_ms, 0.9),
        scored: score_ms.len(),
        score_median_ms: if score_ms.is_empty() {
            0.0
        } else {
            median(&mut score_ms)
        },
        full_step_median_ms: if full_ms.is_empty() {
            0.0
        } else {
            median(&mut full_ms)
        },
        sim_minute_median_ms: if sim_ms.is_empty() {
            0.0
        } else {
            median(&mut sim_ms)
        },
    })
}

impl PlanReport {
    /// A terminal summary.
    pub fn render(&self) -> String {
        format!(
            "bench plan: {} for {:.0} simulated min, predictive policy\n  \
             forecast + plan      median {:.2} ms, p90 {:.2} ms over {} steps\n  \
             fork scoring         median {:.1} ms per plan ({} plans)\n  \
             whole planning step  median {:.1} ms (steps that made a plan)\n  \
             reference            one simulated minute without planning: median {:.1} ms\n",
            self.scenario,
            self.duration_secs / 60.0,
            self.plan_median_ms,
            self.plan_p90_ms,
            self.steps,
            self.score_median_ms,
            self.scored,
            self.full_step_median_ms,
            self.sim_minute_median_ms
        )
    }
}

/// What one `bench cluster` invocation measured.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterReport {
    /// Shards.
    pub shards: u32,
    /// Functions.
    pub functions: u32,
    /// Simulated seconds.
    pub simulated_secs: f64,
    /// Master seed.
    pub seed: u64,
    /// Routing policy.
    pub routing: String,
    /// Timed runs.
    pub repeats: u32,
    /// Invocations generated per run.
    pub invocations: u64,
    /// Completed in time.
    pub completed: u64,
    /// Timed out.
    pub timed_out: u64,
    /// Failed.
    pub failed: u64,
    /// Dropped.
    pub dropped: u64,
    /// Still in flight when sources stopped and the run drained (always 0).
    pub in_flight: u64,
    /// Engine events handled per run.
    pub events: u64,
    /// Median wall seconds per run.
    pub wall_secs: f64,
    /// Median simulated invocations per wall second.
    pub invocations_per_sec: f64,
    /// Median bare-heap PHOLD events/s measured in the same process (machine-speed reference).
    pub reference_events_per_sec: f64,
    /// invocations_per_sec / reference_events_per_sec.
    pub ratio_over_reference: f64,
    /// Median invocations/s of the same workload under least-loaded routing, measured in the same
    /// run (absent when the policy is least-loaded itself).
    pub least_loaded_invocations_per_sec: Option<f64>,
    /// least-loaded invocations/s over this policy's: the cost of the policy (1.0 = as fast).
    pub slowdown_vs_least_loaded: Option<f64>,
    /// Max/mean shard load ratio over the run's metric intervals.
    pub max_mean_load_ratio: f64,
    /// Invocations the policy could not place that failed over to the general pool.
    pub failovers: u64,
    /// Invocations placed as degraded routes (the overflow shard).
    pub degraded_routes: u64,
    /// Peak resident memory of the process.
    pub peak_rss_mib: Option<f64>,
}

/// Runs the synthetic cluster to completion `repeats` times, interleaved with the PHOLD bare-heap
/// reference, and checks every run balances its books identically.
pub fn cluster(
    shape: shardsim_sim::cluster::preset::SyntheticCluster,
    seed: u64,
    repeats: u32,
    routing: &str,
) -> Result<ClusterReport> {
    use shardsim_sim::cluster::{Cluster, policy_by_name};

    let policy = policy_by_name(routing)?;
    let compare = routing != "least-loaded";
    let reference_config = PholdConfig::new(1_000, 10, seed)?;
    let mut rates = Vec::new();
    let mut walls = Vec::new();
    let mut reference_rates = Vec::new();
    let mut least_loaded_rates = Vec::new();
    let mut outcome = None;
    let mut ratio = 1.0;
    let (mut failovers, mut degraded) = (0, 0);
    for _ in 0..repeats.max(1) {
        if compare {
            let baseline = policy_by_name("least-loaded")?;
            let (generated, elapsed) = timed(|| -> Result<u64> {
                let mut sim = Cluster::simulation(shape.config(), seed, baseline)?;
                sim.run_to_completion();
                Ok(sim.model().assert_conservation().generated)
            });
            least_loaded_rates.push(rate(generated?, elapsed));
        }
        let (_, elapsed) = timed(|| {
            let mut r = phold::BareHeapPhold::new(reference_config);
            r.run(2_000_000);
            phold::counters_checksum(r.counters())
        });
        reference_rates.push(rate(2_000_000, elapsed));

        let config = shape.config();
        let (result, elapsed) = timed(|| -> Result<_> {
            let mut sim = Cluster::simulation(config, seed, policy.clone())?;
            sim.run_to_completion();
            let events = sim.handled();
            Ok((sim.model().assert_conservation(), events))
        });
        (ratio, failovers, degraded) = balance(&shape, seed, policy.clone())?;
        let (books, events) = result?;
        match &outcome {
            None => outcome = Some((books, events)),
            Some(o) if *o != (books, events) => {
                bail!("two runs with seed {seed} ended differently: determinism is broken")
            }
            Some(_) => {}
        }
        walls.push(elapsed.as_secs_f64());
        rates.push(rate(books.generated, elapsed));
    }
    let (books, events) = outcome.expect("at least one run");
    let invocations_per_sec = median(&mut rates);
    let reference = median(&mut reference_rates);
    let least_loaded = compare.then(|| median(&mut least_loaded_rates));
    Ok(ClusterReport {
        shards: shape.shards,
        functions: shape.functions,
        simulated_secs: shape.duration.as_secs_f64(),
        seed,
        routing: routing.to_owned(),
        repeats: repeats.max(1),
        invocations: books.generated,
        completed: books.completed,
        timed_out: books.timed_out,
        failed: books.failed_total(),
        dropped: books.dropped_total(),
        in_flight: books.in_flight(),
        events,
        wall_secs: median(&mut walls),
        invocations_per_sec,
        reference_events_per_sec: reference,
        ratio_over_reference: invocations_per_sec / reference,
        least_loaded_invocations_per_sec: least_loaded,
        slowdown_vs_least_loaded: least_loaded.map(|l| l / invocations_per_sec),
        max_mean_load_ratio: ratio,
        failovers,
        degraded_routes: degraded,
        peak_rss_mib: peak_rss_mib(),
    })
}

/// The balance figures of one run, measured outside the timed section: the metrics are closed
/// to read the max/mean load ratio, failovers and degraded routes.
fn balance(
    shape: &shardsim_sim::cluster::preset::SyntheticCluster,
    seed: u64,
    policy: std::sync::Arc<dyn shardsim_sim::cluster::RoutingPolicy>,
) -> Result<(f64, u64, u64)> {
    use shardsim_sim::cluster::Cluster;

    let mut sim = Cluster::simulation(shape.config(), seed, policy)?;
    sim.run_to_completion();
    let end = sim.now();
    sim.model_mut().close_metrics(end);
    let ratio = sim.model().max_mean_load_ratio();
    let c = sim.model();
    let last = |s| {
        c.shard_series(s)
            .rows()
            .last()
            .map(|r| r.cumulative)
            .unwrap_or_default()
    };
    let (failovers, degraded) = crate::report::summary::fallback_routes(c, last);
    Ok((ratio, failovers, degraded))
}

impl ClusterReport {
    /// The human report; the last line is `invocations_per_sec=<float>`.
    pub fn render(&self) -> String {
        let mut out = format!(
            "cluster: {} shards, {} functions, {} simulated s, routing={}, seed={}, repeats={}\n",
            self.shards, self.functions, self.simulated_secs, self.routing, self.seed, self.repeats
        );
        out += &format!(
            "conservation: invocations={} = completed {} + timed_out {} + failed {} + dropped {} + in_flight {}\n",
            self.invocations,
            self.completed,
            self.timed_out,
            self.failed,
            self.dropped,
            self.in_flight
        );
        out += &format!(
            "engine_events={}  wall_secs={:.3} (median)\n",
            self.events, self.wall_secs
        );
        out += &format!(
            "reference_events_per_sec={:.0}   (bare BinaryHeap PHOLD, median, same run)\n",
            self.reference_events_per_sec
        );
        out += &format!("ratio_over_reference={:.3}\n", self.ratio_over_reference);
        if let (Some(l), Some(x)) = (
            self.least_loaded_invocations_per_sec,
            self.slowdown_vs_least_loaded,
        ) {
            out += &format!(
                "least_loaded_invocations_per_sec={l:.0}   (same workload, same run)\nslowdown_vs_least_loaded={x:.3}\n"
            );
        }
        out += &format!(
            "max_mean_load_ratio={:.3}  failovers={}  degraded_routes={}\n",
            self.max_mean_load_ratio, self.failovers, self.degraded_routes
        );
        if let Some(m) = self.peak_rss_mib {
            out += &format!("peak_rss_mib={m:.1}\n");
        }
        out += &format!("invocations_per_sec={:.0}\n", self.invocations_per_sec);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_ends_with_rate_then_checksum() {
        let config = PholdConfig::new(10, 2, 1).unwrap();
        let report = phold(config, 1_000, 2, true).unwrap();
        let text = report.render();
        let last: Vec<&str> = text.lines().rev().take(2).collect();
        assert!(last[1].starts_with("events_per_sec="), "{text}");
        assert!(last[0].starts_with("checksum="), "{text}");
        assert_eq!(last[0].len(), "checksum=".len() + 16);
    }
}
