//! `performance`: moves placements that are slow, failing or starved relative to the rest of
//! their function's placement.

use shardsim_sim::SimDuration;
use shardsim_sim::cluster::{FunctionId, ShardId};

use super::shared::best_target;
use super::{MigrationPolicy, PlanInput};
use crate::estimate::{LoadPicture, migration_cost};
use crate::plan::{Action, PlannedAction, Trigger};

/// The seeds' `PerformanceOptimizer`: a placement whose recent latency exceeds
/// `latency_factor` × the function's mean over its placement, whose error rate exceeds
/// `error_factor` × the mean, or whose throughput is under `throughput_factor` × the mean, moves
/// to the least loaded eligible shard when the expected improvement exceeds the migration cost.
#[derive(Clone, Debug, PartialEq)]
pub struct PerformanceBased {
    /// How often it looks.
    pub interval: SimDuration,
    /// Latency ratio that makes a placement a candidate.
    pub latency_factor: f64,
    /// Error-rate ratio that makes a placement a candidate.
    pub error_factor: f64,
    /// Throughput ratio under which a placement is a candidate.
    pub throughput_factor: f64,
    /// Executions a placement needs before it is judged.
    pub min_executions: u32,
    /// Minutes the improvement is counted over.
    pub horizon: SimDuration,
    /// Fixed cost per action (excess-load minutes).
    pub disruption: f64,
    /// At most this many moves per step.
    pub max_actions: usize,
}

impl Default for PerformanceBased {
    fn default() -> Self {
        PerformanceBased {
            interval: SimDuration::from_mins(5),
            latency_factor: 1.5,
            error_factor: 2.0,
            throughput_factor: 0.5,
            min_executions: 20,
            horizon: SimDuration::from_mins(15),
            disruption: 0.5,
            max_actions: 2,
        }
    }
}

impl MigrationPolicy for PerformanceBased {
    fn name(&self) -> &str {
        "performance"
    }
    fn interval(&self) -> SimDuration {
        self.interval
    }
    fn horizon(&self) -> SimDuration {
        self.horizon
    }

    fn plan(&self, input: &PlanInput<'_>) -> Vec<PlannedAction> {
        let c = &input.observed;
        let view = c.view();
        let mut picture = LoadPicture::new(c, input.recent, None);
        let minutes = self.horizon.as_secs_f64() / 60.0;
        let mut candidates: Vec<PlannedAction> = Vec::new();
        for f in (0..c.functions().len() as u32).map(FunctionId) {
            if !c.functions()[f.index()].active {
                continue;
            }
            let placement = c.placement(f);
            let judged: Vec<(ShardId, f64, f64, f64)> = placement
                .iter()
                .filter_map(|&s| {
                    let h = view.history(s, f)?;
                    (h.executions >= self.min_executions).then(|| {
                        let work = picture.contribution[f.index()][s.index()]
                            * picture.capacity[s.index()];
                        (s, h.mean_duration.as_secs_f64(), 1.0 - h.success_rate, work)
                    })
                })
                .collect();
            if judged.len() < 2 {
                continue;
            }
            let n = judged.len() as f64;
            let mean_latency = judged.iter().map(|j| j.1).sum::<f64>() / n;
            let mean_errors = judged.iter().map(|j| j.2).sum::<f64>() / n;
            let mean_work = judged.iter().map(|j| j.3).sum::<f64>() / n;
            for &(s, latency, errors, work) in &judged {
                let slow = latency > self.latency_factor * mean_latency;
                let failing = errors > self.error_factor * mean_errors && errors > 0.0;
                let idle = work < self.throughput_factor * mean_work;
                if !(slow || failing || idle) {
                    continue;
                }
                let Some(t) = best_target(input, f, s, &[], |t| picture.load[t.index()]) else {
                    continue;
                };
                let part = picture.contribution[f.index()][s.index()];
                // The excess latency and errors of this placement's part, for the horizon.
                let improvement = (part * (latency / mean_latency.max(1e-9) - 1.0).max(0.0)
                    + part * (errors - mean_errors).max(0.0) * 10.0)
                    * minutes;
                let action = Action::Move {
                    function: f,
                    from: s,
                    to: t,
                };
                candidates.push(PlannedAction {
                    action,
                    trigger: Trigger::Performance,
                    benefit: improvement,
                    cost: migration_cost(c, &action, self.disruption),
                    urgent: true,
                });
            }
        }
        candidates.retain(|a| a.net() > 0.0);
        candidates.sort_by(|a, b| b.net().total_cmp(&a.net()));
        let mut out: Vec<PlannedAction> = Vec::new();
        for a in candidates {
            if out.len() >= self.max_actions {
                break;
            }
            if out
                .iter()
                .any(|o| o.action.function() == a.action.function())
            {
                continue;
            }
            picture.commit(c, &a.action);
            out.push(a);
        }
        out
    }
}
