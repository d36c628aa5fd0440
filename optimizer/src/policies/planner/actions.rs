//! The last stages: for the bottlenecks, the best action while one pays (an expansion, or a
//! move within a pool that has capacity to spare), then consolidation of pools that would fit
//! on one shard fewer.

use shardsim_sim::cluster::{FunctionId, ShardId};

use super::Step;
use crate::estimate::{LoadPicture, migration_cost};
use crate::plan::{Action, PlannedAction, Trigger};
use crate::policies::shared::{best_target, fewer_shards_fit, functions_on, in_cooldown, since};

impl Step<'_, '_> {
    /// Greedy selection: each round takes the action with the highest positive net benefit over
    /// every (bottleneck, function on it), commits it to `picture`, and goes again, up to
    /// `max_actions`.
    pub(super) fn relieve(
        &self,
        picture: &mut LoadPicture,
        hot: &[(ShardId, Trigger)],
    ) -> Vec<PlannedAction> {
        let mut out: Vec<PlannedAction> = Vec::new();
        while out.len() < self.cfg.max_actions {
            let mut best: Option<PlannedAction> = None;
            for &(s, trigger) in hot {
                for f in functions_on(self.input, picture, s) {
                    for a in self.candidates(picture, &out, s, trigger, f) {
                        if a.net() > 0.0 && best.is_none_or(|b| a.net() > b.net()) {
                            best = Some(a);
                        }
                    }
                }
            }
            let Some(a) = best else { break };
            picture.commit(&self.input.observed, &a.action);
            out.push(a);
        }
        out
    }

    /// The actions that would take function `f` off bottleneck `s` (hot for `trigger`), given
    /// the actions `out` already chosen: an expansion, and, for a pool not itself short of
    /// capacity, a move. None for a function that is not the problem, or already has a plan
    /// other than expansions.
    fn candidates(
        &self,
        picture: &LoadPicture,
        out: &[PlannedAction],
        s: ShardId,
        trigger: Trigger,
        f: FunctionId,
    ) -> Vec<PlannedAction> {
        let (c, cfg, input) = (&self.input.observed, self.cfg, self.input);
        let sensitive = self.targets.surge.surging(f);
        if (!self.planning && !sensitive)
            || (trigger == Trigger::Latency && !self.late(s, f))
            || input.pending.iter().any(|a| a.function() == f)
        {
            return Vec::new();
        }
        let planned_for_f: Vec<&PlannedAction> =
            out.iter().filter(|a| a.action.function() == f).collect();
        if planned_for_f
            .iter()
            .any(|a| !matches!(a.action, Action::Expand { .. }))
        {
            return Vec::new();
        }
        let taken: Vec<ShardId> = planned_for_f
            .iter()
            .filter_map(|a| match a.action {
                Action::Expand { to, .. } => Some(to),
                _ => None,
            })
            .collect();
        let Some(t) = best_target(input, f, s, &taken, |t| {
            self.targets.score(picture, f, None, t)
        }) else {
            return Vec::new();
        };
        let urgent = self.onset && sensitive;
        let trigger = if urgent { Trigger::Volatility } else { trigger };
        let placement = c.placement(f);
        let pool = placement
            .iter()
            .map(|p| picture.load[p.index()])
            .sum::<f64>()
            / placement.len().max(1) as f64;
        let mut candidates = vec![Action::Expand { function: f, to: t }];
        // A move fixes a hot spot in a pool that is not itself short of capacity.
        // A move must not take the function farther from its events' origins
        // than the shard it leaves: that trades a load problem for a latency one.
        if planned_for_f.is_empty()
            && pool < cfg.target_utilisation
            && let Some(to) = best_target(input, f, s, &[], |t| {
                self.targets.score(picture, f, Some(s), t)
            })
            && self.targets.distance(f, to) <= self.targets.distance(f, s) + 1e-9
        {
            candidates.push(Action::Move {
                function: f,
                from: s,
                to,
            });
        }
        candidates
            .into_iter()
            .map(|action| {
                let effect = picture.effect(c, &action);
                let mut benefit = picture.benefit(&effect, cfg.target_utilisation, self.minutes);
                if trigger == Trigger::Memory {
                    // Memory pressure eases in proportion to the part that leaves.
                    let relieved: f64 = effect
                        .iter()
                        .filter(|(sh, _)| *sh == s)
                        .map(|(_, d)| -d)
                        .sum();
                    benefit += relieved * self.minutes;
                }
                PlannedAction {
                    action,
                    trigger,
                    benefit,
                    cost: migration_cost(c, &action, cfg.disruption),
                    urgent,
                }
            })
            .collect()
    }

    /// Consolidation, on forecast plans in a calm market: a pool whose forecast would fit on one
    /// shard fewer at the target utilisation gives back a shard it was given.
    pub(super) fn consolidate(&self, picture: &mut LoadPicture, out: &mut Vec<PlannedAction>) {
        if !self.planning || self.volatile {
            return;
        }
        let (c, cfg, input) = (&self.input.observed, self.cfg, self.input);
        for (fi, declared) in input.declared.iter().enumerate() {
            if out.len() >= cfg.max_actions {
                break;
            }
            let f = FunctionId(fi as u32);
            let placement = c.placement(f);
            if placement.len() <= declared.len()
                || out.iter().any(|a| a.action.function() == f)
                || input.pending.iter().any(|a| a.function() == f)
                || in_cooldown(input.migrations, f, since(input.now, cfg.consolidate_after))
            {
                continue;
            }
            let pool = placement
                .iter()
                .map(|s| picture.load[s.index()])
                .sum::<f64>()
                / placement.len() as f64;
            if !fewer_shards_fit(&[pool], placement.len(), cfg.target_utilisation) {
                continue;
            }
            let Some(&s) = placement
                .iter()
                .filter(|s| !declared.contains(s))
                .min_by(|a, b| picture.load[a.index()].total_cmp(&picture.load[b.index()]))
            else {
                continue;
            };
            let action = Action::Shrink {
                function: f,
                shard: s,
            };
            let effect = picture.effect(c, &action);
            let stays_under = effect
                .iter()
                .all(|&(sh, d)| sh == s || picture.load[sh.index()] + d < cfg.target_utilisation);
            let planned = PlannedAction {
                action,
                trigger: Trigger::Consolidation,
                benefit: picture.benefit(&effect, cfg.target_utilisation, self.minutes)
                    + cfg.reclaim_credit,
                cost: migration_cost(c, &action, cfg.disruption),
                urgent: false,
            };
            if stays_under && planned.net() > 0.0 {
                picture.commit(c, &action);
                out.push(planned);
            }
        }
    }
}
