//! Fork scoring: a plan against the same run without it, from the moment it was made, on the
//! same random numbers, over the window it was meant for.

use shardsim_sim::cluster::Cluster;
use shardsim_sim::{SimDuration, Simulation};

use super::{Driver, advance};
use crate::estimate::WorkSnapshot;
use crate::outcome::{Outcome, Scored};
use crate::plan::Plan;

impl Driver<'_> {
    /// Forks twice from now — with `plan` and without — and measures both over the window the
    /// plan is meant for (its execution to one horizon later). Plans already queued run in both.
    /// Excess load is measured as the planner estimates it: per minute, on demand (work shed or
    /// dropped for want of a shard included).
    pub fn score(&self, sim: &Simulation<Cluster>, plan: &Plan) -> Scored {
        let others: Vec<&Plan> = self.pending.iter().map(|p| &p.0).collect();
        let run = |with: bool| {
            let mut fork = sim.clone();
            let mut plans = others.clone();
            if with {
                let at = plans.partition_point(|p| p.execute_at <= plan.execute_at);
                plans.insert(at, plan);
            }
            self.measure_fork(&mut fork, plan, &plans)
        };
        Scored {
            predicted: plan.predicted_benefit(),
            with_plan: run(true),
            without_plan: run(false),
        }
    }

    /// Runs `fork` with `plans` over `plan`'s window (its execution to one horizon, at least one
    /// interval, later) and measures it there, excess load per minute on demand.
    fn measure_fork(
        &self,
        fork: &mut Simulation<Cluster>,
        plan: &Plan,
        plans: &[&Plan],
    ) -> Outcome {
        let end = plan.execute_at + self.policy.horizon().max(self.policy.interval());
        let minute = SimDuration::from_mins(1);
        advance(fork, self.policy.name(), plans, plan.execute_at);
        // The plan itself starts at the window's first instant.
        let due: Vec<&Plan> = plans
            .iter()
            .copied()
            .filter(|p| p.execute_at == plan.execute_at)
            .collect();
        {
            let (cluster, sched) = fork.parts_mut();
            for p in due {
                p.apply(self.policy.name(), cluster, sched);
            }
        }
        let later: Vec<&Plan> = plans
            .iter()
            .copied()
            .filter(|p| p.execute_at > plan.execute_at)
            .collect();
        let mut excess = 0.0;
        let mut t = plan.execute_at;
        let mut before = WorkSnapshot::take(&fork.model().observe(t));
        while t < end {
            let next = (t + minute).min(end);
            advance(fork, self.policy.name(), &later, next);
            let after = WorkSnapshot::take(&fork.model().observe(next));
            let load = after
                .load_since(&before, &fork.model().observe(next))
                .demand();
            let span = (next - t).as_secs_f64() / 60.0;
            for s in 0..fork.model().topology().shards.len() {
                let l: f64 = load.iter().map(|f| f[s]).sum();
                excess += (l - self.config.overload).max(0.0) * span;
            }
            before = after;
            t = next;
        }
        fork.model_mut().close_metrics(end);
        Outcome {
            excess_load_minutes: excess,
            ..Outcome::measure(fork.model(), plan.execute_at..end, self.config.overload)
        }
    }
}
