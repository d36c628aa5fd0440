//! The policy comparison: per scenario, one row per policy with means over seeds, 95%
//! t-intervals, and paired differences from the reference policy; the share of the reactive →
//! oracle gap the predictive policy closes, with Fieller's interval; and its terminal table,
//! which warns when there are fewer than [`FEW_SEEDS`] seeds.

use serde::Serialize;

use super::stats::{Estimate, FEW_SEEDS, mean, ratio_interval, t_interval};
use crate::compare::RunResult;

/// One policy's row in a scenario's comparison.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PolicyRow {
    /// Policy.
    pub policy: String,
    /// Runs (seeds).
    pub runs: usize,
    /// Mean SLO-violation minutes.
    pub slo_violation_minutes: f64,
    /// Mean p99 latency, ms.
    pub p99_latency_ms: f64,
    /// Mean migrations.
    pub migrations: f64,
    /// Mean drops.
    pub drops: f64,
    /// Mean timed-out invocations.
    pub timed_out: f64,
    /// Mean max/mean shard load.
    pub max_mean_load_ratio: f64,
    /// SLO-violation minutes with interval.
    pub slo: Estimate,
    /// Paired difference from the reference policy (this − reference) per seed, with
    /// intervals: SLO-violation minutes, p99 ms, migrations.
    pub vs_reference: Option<PairedDiffs>,
    /// Σ predicted and realised benefit of scored plans, mean per run.
    pub predicted_benefit: f64,
    /// See `predicted_benefit`.
    pub realised_benefit: f64,
    /// Mean calibration correlation over runs with scored plans.
    pub calibration_correlation: f64,
}

/// Paired differences against the reference policy.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PairedDiffs {
    /// The reference policy.
    pub reference: String,
    /// SLO-violation minutes, this − reference.
    pub slo_violation_minutes: Estimate,
    /// Relative change of mean SLO-violation minutes (this / reference − 1).
    pub slo_relative: Option<f64>,
    /// p99 latency, ms.
    pub p99_latency_ms: Estimate,
    /// Migrations.
    pub migrations: Estimate,
}

/// One scenario's comparison.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ScenarioComparison {
    /// Scenario.
    pub scenario: String,
    /// One row per policy, in the order asked for.
    pub policies: Vec<PolicyRow>,
    /// Share of the reactive → oracle gap in SLO-violation minutes that predictive closes:
    /// (reactive − predictive) / (reactive − oracle) in mean minutes; absent when a policy is
    /// missing or the oracle is not better than reactive.
    pub oracle_gap_closed: Option<f64>,
    /// Fieller's 95% interval for `oracle_gap_closed` over the paired seeds; absent when the
    /// gap itself is not clearly above zero (the ratio is then unbounded).
    pub oracle_gap_ci: Option<(f64, f64)>,
    /// Seeds per policy (the fewest, when they differ).
    pub seeds: usize,
    /// Set when there are fewer than [`FEW_SEEDS`] seeds: what that means for the intervals.
    pub warning: Option<String>,
}

/// Builds the comparison from results (any order), with `reference` the policy paired against.
pub fn compare(
    results: &[RunResult],
    scenarios: &[String],
    policies: &[String],
    reference: &str,
) -> Vec<ScenarioComparison> {
    scenarios
        .iter()
        .map(|scenario| scenario_comparison(results, scenario, policies, reference))
        .collect()
}

/// One scenario's rows, oracle gap and seed warning.
fn scenario_comparison(
    results: &[RunResult],
    scenario: &str,
    policies: &[String],
    reference: &str,
) -> ScenarioComparison {
    let of = |policy: &str| -> Vec<&RunResult> {
        let mut v: Vec<&RunResult> = results
            .iter()
            .filter(|r| r.scenario == scenario && r.policy == policy)
            .collect();
        v.sort_by_key(|r| r.seed);
        v
    };
    let reference_runs = of(reference);
    let rows: Vec<PolicyRow> = policies
        .iter()
        .map(|policy| policy_row(policy, &of(policy), reference, &reference_runs))
        .collect();
    let slo_of = |p: &str| {
        rows.iter()
            .find(|r| r.policy == p)
            .map(|r| r.slo_violation_minutes)
    };
    let oracle_gap_closed = match (slo_of("reactive"), slo_of("predictive"), slo_of("oracle")) {
        (Some(r), Some(p), Some(o)) if r - o > 1e-9 => Some((r - p) / (r - o)),
        _ => None,
    };
    let seeds = rows.iter().map(|r| r.runs).min().unwrap_or(0);
    ScenarioComparison {
        scenario: scenario.to_owned(),
        oracle_gap_ci: oracle_gap_closed.and_then(|_| gap_interval(results, scenario)),
        policies: rows,
        oracle_gap_closed,
        seeds,
        warning: (seeds < FEW_SEEDS).then(|| {
            format!(
                "only {seeds} seed(s) per policy: the 95% intervals are t-intervals, wide \
                 with few seeds and trustworthy only if per-seed results are roughly \
                 normal; use {FEW_SEEDS} or more seeds for a claim"
            )
        }),
    }
}

/// A policy's means and intervals over its runs (sorted by seed), paired by seed with the
/// reference policy's runs.
fn policy_row(
    policy: &str,
    runs: &[&RunResult],
    reference: &str,
    reference_runs: &[&RunResult],
) -> PolicyRow {
    let field = |f: &dyn Fn(&RunResult) -> f64| -> Vec<f64> { runs.iter().map(|r| f(r)).collect() };
    let slo = field(&|r| r.slo_violation_minutes);
    let paired = |f: &dyn Fn(&RunResult) -> f64| -> Estimate {
        let diffs: Vec<f64> = runs
            .iter()
            .filter_map(|r| {
                reference_runs
                    .iter()
                    .find(|b| b.seed == r.seed)
                    .map(|b| f(r) - f(b))
            })
            .collect();
        t_interval(&diffs)
    };
    let scored: Vec<f64> = runs
        .iter()
        .filter(|r| r.scored_plans >= 3)
        .map(|r| r.calibration_correlation)
        .collect();
    let reference_slo = mean(
        &reference_runs
            .iter()
            .map(|r| r.slo_violation_minutes)
            .collect::<Vec<_>>(),
    );
    PolicyRow {
        policy: policy.to_owned(),
        runs: runs.len(),
        slo_violation_minutes: mean(&slo),
        p99_latency_ms: mean(&field(&|r| r.p99_latency_ms)),
        migrations: mean(&field(&|r| r.migrations as f64)),
        drops: mean(&field(&|r| r.drops as f64)),
        timed_out: mean(&field(&|r| r.timed_out as f64)),
        max_mean_load_ratio: mean(&field(&|r| r.max_mean_load_ratio)),
        slo: t_interval(&slo),
        vs_reference: (policy != reference && !reference_runs.is_empty()).then(|| PairedDiffs {
            reference: reference.to_owned(),
            slo_violation_minutes: paired(&|r| r.slo_violation_minutes),
            slo_relative: (reference_slo > 0.0).then(|| mean(&slo) / reference_slo - 1.0),
            p99_latency_ms: paired(&|r| r.p99_latency_ms),
            migrations: paired(&|r| r.migrations as f64),
        }),
        predicted_benefit: mean(&field(&|r| r.predicted_benefit)),
        realised_benefit: mean(&field(&|r| r.realised_benefit)),
        calibration_correlation: mean(&scored),
    }
}

/// Fieller's interval for the gap predictive closes, from the seeds that ran reactive,
/// predictive and oracle: (R − P) / (R − O) per seed pair.
fn gap_interval(results: &[RunResult], scenario: &str) -> Option<(f64, f64)> {
    let slo = |policy: &str, seed: u64| {
        results
            .iter()
            .find(|r| r.scenario == scenario && r.policy == policy && r.seed == seed)
            .map(|r| r.slo_violation_minutes)
    };
    let mut seeds: Vec<u64> = results
        .iter()
        .filter(|r| r.scenario == scenario && r.policy == "reactive")
        .map(|r| r.seed)
        .collect();
    seeds.sort_unstable();
    let (mut closed, mut gap) = (Vec::new(), Vec::new());
    for seed in seeds {
        if let (Some(r), Some(p), Some(o)) = (
            slo("reactive", seed),
            slo("predictive", seed),
            slo("oracle", seed),
        ) {
            closed.push(r - p);
            gap.push(r - o);
        }
    }
    ratio_interval(&closed, &gap)
}

/// `[low, high]` with `digits` decimals and a sign, or `[—]` when there is no interval.
fn interval(e: &Estimate, digits: usize) -> String {
    match (e.ci_low, e.ci_high) {
        (Some(lo), Some(hi)) => format!("[{lo:+.digits$},{hi:+.digits$}]"),
        _ => "[—]".to_owned(),
    }
}

/// Renders the comparison as a terminal table.
pub fn render(comparison: &[ScenarioComparison]) -> String {
    let mut out = String::new();
    for sc in comparison {
        out.push_str(&format!("\n{}\n", sc.scenario));
        out.push_str(&format!(
            "  {:<12} {:>5} {:>25} {:>22} {:>9} {:>10} {:>8} {:>9}\n",
            "policy",
            "runs",
            "SLO-violation min",
            "vs reference",
            "p99 ms",
            "migrations",
            "drops",
            "max/mean"
        ));
        for r in &sc.policies {
            let vs = r.vs_reference.as_ref().map_or_else(String::new, |d| {
                format!(
                    "{:+.0}% {}",
                    d.slo_relative.unwrap_or(0.0) * 100.0,
                    interval(&d.slo_violation_minutes, 1)
                )
            });
            out.push_str(&format!(
                "  {:<12} {:>5} {:>8.1} {:>16} {:>22} {:>9.1} {:>10.1} {:>8.1} {:>9.2}\n",
                r.policy,
                r.runs,
                r.slo_violation_minutes,
                interval(&r.slo, 1),
                vs,
                r.p99_latency_ms,
                r.migrations,
                r.drops,
                r.max_mean_load_ratio
            ));
        }
        if let Some(g) = sc.oracle_gap_closed {
            let ci = sc.oracle_gap_ci.map_or_else(
                || "[unbounded: the gap is not clearly above zero]".to_owned(),
                |(lo, hi)| format!("[{:.0}%, {:.0}%]", lo * 100.0, hi * 100.0),
            );
            out.push_str(&format!(
                "  predictive closes {:.0}% {ci} of the reactive → oracle gap\n",
                g * 100.0
            ));
        }
        if let Some(w) = &sc.warning {
            out.push_str(&format!("  warning: {w}\n"));
        }
    }
    out
}
