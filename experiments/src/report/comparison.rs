//! The policy comparison: per scenario, one row per policy with means over seeds, bootstrap
//! intervals, and paired differences from the reference policy; and its terminal table.

use serde::Serialize;

use super::stats::{Estimate, bootstrap, mean};
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
    /// (reactive − predictive) / (reactive − oracle); absent when a policy is missing or the
    /// oracle is not better than reactive.
    pub oracle_gap_closed: Option<f64>,
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
        .map(|scenario| {
            let of = |policy: &str| -> Vec<&RunResult> {
                let mut v: Vec<&RunResult> = results
                    .iter()
                    .filter(|r| &r.scenario == scenario && r.policy == policy)
                    .collect();
                v.sort_by_key(|r| r.seed);
                v
            };
            let reference_runs = of(reference);
            let rows: Vec<PolicyRow> = policies
                .iter()
                .map(|policy| {
                    let runs = of(policy);
                    let field = |f: &dyn Fn(&RunResult) -> f64| -> Vec<f64> {
                        runs.iter().map(|r| f(r)).collect()
                    };
                    let slo = field(&|r| r.slo_violation_minutes);
                    let stream = format!("{scenario}/{policy}");
                    let paired = |f: &dyn Fn(&RunResult) -> f64, what: &str| -> Estimate {
                        let diffs: Vec<f64> = runs
                            .iter()
                            .filter_map(|r| {
                                reference_runs
                                    .iter()
                                    .find(|b| b.seed == r.seed)
                                    .map(|b| f(r) - f(b))
                            })
                            .collect();
                        bootstrap(&diffs, &format!("{stream}/{what}"))
                    };
                    let with_scores: Vec<&&RunResult> =
                        runs.iter().filter(|r| r.scored_plans >= 3).collect();
                    let reference_slo = mean(
                        &reference_runs
                            .iter()
                            .map(|r| r.slo_violation_minutes)
                            .collect::<Vec<_>>(),
                    );
                    PolicyRow {
                        policy: policy.clone(),
                        runs: runs.len(),
                        slo_violation_minutes: mean(&slo),
                        p99_latency_ms: mean(&field(&|r| r.p99_latency_ms)),
                        migrations: mean(&field(&|r| r.migrations as f64)),
                        drops: mean(&field(&|r| r.drops as f64)),
                        timed_out: mean(&field(&|r| r.timed_out as f64)),
                        max_mean_load_ratio: mean(&field(&|r| r.max_mean_load_ratio)),
                        slo: bootstrap(&slo, &format!("{stream}/slo")),
                        vs_reference: (policy != reference && !reference_runs.is_empty()).then(
                            || PairedDiffs {
                                reference: reference.to_owned(),
                                slo_violation_minutes: paired(&|r| r.slo_violation_minutes, "slo"),
                                slo_relative: (reference_slo > 0.0)
                                    .then(|| mean(&slo) / reference_slo - 1.0),
                                p99_latency_ms: paired(&|r| r.p99_latency_ms, "p99"),
                                migrations: paired(&|r| r.migrations as f64, "migrations"),
                            },
                        ),
                        predicted_benefit: mean(&field(&|r| r.predicted_benefit)),
                        realised_benefit: mean(&field(&|r| r.realised_benefit)),
                        calibration_correlation: mean(
                            &with_scores
                                .iter()
                                .map(|r| r.calibration_correlation)
                                .collect::<Vec<_>>(),
                        ),
                    }
                })
                .collect();
            let slo_of = |p: &str| {
                rows.iter()
                    .find(|r| r.policy == p)
                    .map(|r| r.slo_violation_minutes)
            };
            let oracle_gap_closed =
                match (slo_of("reactive"), slo_of("predictive"), slo_of("oracle")) {
                    (Some(r), Some(p), Some(o)) if r - o > 1e-9 => Some((r - p) / (r - o)),
                    _ => None,
                };
            ScenarioComparison {
                scenario: scenario.clone(),
                policies: rows,
                oracle_gap_closed,
            }
        })
        .collect()
}

/// Renders the comparison as a terminal table.
pub fn render(comparison: &[ScenarioComparison]) -> String {
    let mut out = String::new();
    for sc in comparison {
        out.push_str(&format!("\n{}\n", sc.scenario));
        out.push_str(&format!(
            "  {:<12} {:>5} {:>22} {:>18} {:>9} {:>10} {:>8} {:>9}\n",
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
                    "{:+.0}% [{:+.1},{:+.1}]",
                    d.slo_relative.unwrap_or(0.0) * 100.0,
                    d.slo_violation_minutes.ci_low,
                    d.slo_violation_minutes.ci_high
                )
            });
            out.push_str(&format!(
                "  {:<12} {:>5} {:>8.1} [{:>5.1},{:>5.1}] {:>18} {:>9.1} {:>10.1} {:>8.1} {:>9.2}\n",
                r.policy,
                r.runs,
                r.slo_violation_minutes,
                r.slo.ci_low,
                r.slo.ci_high,
                vs,
                r.p99_latency_ms,
                r.migrations,
                r.drops,
                r.max_mean_load_ratio
            ));
        }
        if let Some(g) = sc.oracle_gap_closed {
            out.push_str(&format!(
                "  predictive closes {:.0}% of the reactive → oracle gap\n",
                g * 100.0
            ));
        }
    }
    out
}
