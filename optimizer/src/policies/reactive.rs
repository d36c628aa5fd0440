//! `reactive`: a horizontal autoscaler per function, on the pool load of the last intervals.

use shardsim_sim::SimDuration;
use shardsim_sim::cluster::FunctionId;

use super::shared::{best_target, fewer_shards_fit, in_cooldown, intervals_in, pool_loads, since};
use super::{
    ConfigError, MigrationPolicy, PlanInput, check_at_least_one, check_positive, check_range,
};
use crate::estimate::{LoadPicture, migration_cost};
use crate::plan::{Action, PlannedAction, Trigger};

/// The usual autoscaler (Kubernetes' horizontal pod autoscaler, per function): when the mean
/// offered load over a function's `n` shards stayed above `threshold` for `sustain`, it adds
/// `ceil(n × load / target) − n` shards (the least loaded eligible ones); when even the highest
/// load of the last `scale_in_after` would fit on fewer shards at the target, it gives back one
/// shard it added. A function that changed within `cooldown` is left alone.
#[derive(Clone, Debug, PartialEq)]
pub struct Reactive {
    /// How often it checks.
    pub check_every: SimDuration,
    /// Pool load above which it scales out.
    pub threshold: f64,
    /// Pool load it sizes for.
    pub target: f64,
    /// For how long the pool must stay above the threshold (whole metrics intervals).
    pub sustain: SimDuration,
    /// Quiet time after a change to the same function.
    pub cooldown: SimDuration,
    /// How long the pool must have fitted on fewer shards before one is given back.
    pub scale_in_after: SimDuration,
    /// At most this many actions per check.
    pub max_actions: usize,
    /// Fixed cost per action in the estimates it reports (excess-load minutes).
    pub disruption: f64,
}

impl Default for Reactive {
    fn default() -> Self {
        Reactive {
            check_every: SimDuration::from_mins(1),
            threshold: 0.8,
            target: 0.7,
            sustain: SimDuration::from_mins(3),
            cooldown: SimDuration::from_mins(3),
            scale_in_after: SimDuration::from_mins(15),
            max_actions: 8,
            disruption: 0.5,
        }
    }
}

impl Reactive {
    /// Checks every value once.
    pub fn check(self) -> Result<Self, ConfigError> {
        check_positive("check_every", self.check_every)?;
        check_positive("sustain", self.sustain)?;
        check_range(
            "threshold",
            self.threshold,
            0.05,
            5.0,
            "a load between 0.05 and 5",
        )?;
        check_range(
            "target",
            self.target,
            0.05,
            self.threshold,
            "a load between 0.05 and the threshold",
        )?;
        check_positive("scale_in_after", self.scale_in_after)?;
        check_range("disruption", self.disruption, 0.0, 1e6, "a cost ≥ 0")?;
        check_at_least_one("max_actions", self.max_actions)?;
        Ok(self)
    }
}

impl MigrationPolicy for Reactive {
    fn name(&self) -> &str {
        "reactive"
    }
    fn interval(&self) -> SimDuration {
        self.check_every
    }

    fn plan(&self, input: &PlanInput<'_>) -> Vec<PlannedAction> {
        let c = &input.observed;
        let mut picture = LoadPicture::new(c, input.recent, None);
        let minutes = self.horizon().as_secs_f64() / 60.0;
        let (sustain, after) = (
            intervals_in(c, self.sustain),
            intervals_in(c, self.scale_in_after),
        );
        let mut out: Vec<PlannedAction> = Vec::new();
        for f in (0..c.functions().len() as u32).map(FunctionId) {
            let placement = c.placement(f);
            if !c.functions()[f.index()].active
                || placement.is_empty()
                || in_cooldown(input.migrations, f, since(input.now, self.cooldown))
            {
                continue;
            }
            let Some(loads) = pool_loads(c, f, sustain.max(after)) else {
                continue;
            };
            let recent = &loads[loads.len() - sustain..];
            let n = placement.len();
            if recent.iter().all(|&l| l > self.threshold) {
                let mean = recent.iter().sum::<f64>() / recent.len() as f64;
                let desired = (n as f64 * mean / self.target).ceil() as usize;
                let like = *placement
                    .iter()
                    .max_by(|a, b| picture.load[a.index()].total_cmp(&picture.load[b.index()]))
                    .expect("non-empty placement");
                let mut taken = Vec::new();
                for _ in n..desired {
                    if out.len() >= self.max_actions {
                        break;
                    }
                    let Some(t) = best_target(input, f, like, &taken, |t| picture.load[t.index()])
                    else {
                        break;
                    };
                    taken.push(t);
                    let action = Action::Expand { function: f, to: t };
                    let effect = picture.effect(c, &action);
                    out.push(PlannedAction {
                        action,
                        trigger: Trigger::Cpu,
                        benefit: picture.benefit(&effect, self.target, minutes),
                        cost: migration_cost(c, &action, self.disruption),
                        urgent: true,
                    });
                    picture.commit(c, &action);
                }
            } else if fewer_shards_fit(&loads, n, self.target)
                && n > input.declared[f.index()].len()
                && !in_cooldown(input.migrations, f, since(input.now, self.scale_in_after))
                && out.len() < self.max_actions
                && let Some(&s) = placement
                    .iter()
                    .filter(|s| !input.declared[f.index()].contains(s))
                    .min_by(|a, b| picture.load[a.index()].total_cmp(&picture.load[b.index()]))
            {
                let action = Action::Shrink {
                    function: f,
                    shard: s,
                };
                let effect = picture.effect(c, &action);
                out.push(PlannedAction {
                    action,
                    trigger: Trigger::Consolidation,
                    benefit: picture.benefit(&effect, self.target, minutes),
                    cost: migration_cost(c, &action, self.disruption),
                    urgent: true,
                });
                picture.commit(c, &action);
            }
        }
        out
    }
}
