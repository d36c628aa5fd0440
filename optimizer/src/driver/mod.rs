//! Runs a simulation under a migration policy: plans on the policy's clock, executes plans after
//! their lead time, and scores each plan by forking.
//!
//! The tick loop and the queue of pending plans are here; where forecasts come from is
//! `forecast.rs` ([`Forecaster`]), and scoring a plan against the run without it is
//! `scoring.rs` ([`Driver::score`]).

use shardsim_model::ForecastModel;
use shardsim_sim::cluster::{Cluster, FunctionId, ShardId};
use shardsim_sim::{SimDuration, SimTime, Simulation};

use crate::estimate::{RecentLoad, WorkSnapshot};
use crate::outcome::Scored;
use crate::plan::{Action, Plan};
use crate::policies::{ForecastNeed, MigrationPolicy, PlanInput};

mod forecast;
mod scoring;

pub use forecast::Forecaster;

/// Driver settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DriveConfig {
    /// Score every non-empty plan by forking (two extra runs over its window).
    pub score_plans: bool,
    /// Load above which load counts as excess in outcomes: the planner's target utilisation,
    /// so that realised benefit is in the unit of the estimates.
    pub overload: f64,
    /// The window the recent per-function mix of each shard's load is measured over.
    pub mix_window: SimDuration,
}

impl Default for DriveConfig {
    fn default() -> Self {
        DriveConfig {
            score_plans: true,
            overload: 0.7,
            mix_window: SimDuration::from_mins(5),
        }
    }
}

/// A plan and what became of it.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanRecord {
    /// The plan.
    pub plan: Plan,
    /// Actions the cluster started when the plan ran.
    pub started: u32,
    /// Actions it refused (function busy, target gone, …).
    pub refused: u32,
    /// The fork comparison, when scoring is on.
    pub score: Option<Scored>,
}

/// Drives one simulation under one policy.
#[derive(Debug)]
pub struct Driver<'a> {
    policy: &'a dyn MigrationPolicy,
    forecaster: Forecaster<'a>,
    config: DriveConfig,
    declared: Vec<Vec<ShardId>>,
    /// Work snapshots of the ticks inside the mix window, oldest first.
    snapshots: Vec<WorkSnapshot>,
    next_tick: SimTime,
    /// Plans waiting for their execution time, in order; the index into `records`.
    pending: Vec<(Plan, usize)>,
    records: Vec<PlanRecord>,
}

/// Runs `sim` to `until`, starting every pending plan due in `[now, until)` at its time (as the
/// driver does: events at that instant first, then the plan).
fn advance(sim: &mut Simulation<Cluster>, policy: &str, pending: &[&Plan], until: SimTime) {
    let start = sim.now();
    for plan in pending
        .iter()
        .filter(|p| p.execute_at >= start && p.execute_at < until)
    {
        sim.run_until(plan.execute_at);
        let (cluster, sched) = sim.parts_mut();
        plan.apply(policy, cluster, sched);
    }
    sim.run_until(until);
}

impl<'a> Driver<'a> {
    /// A driver for `sim` from its current time; the current placements count as declared.
    pub fn new(
        sim: &Simulation<Cluster>,
        policy: &'a dyn MigrationPolicy,
        forecaster: Forecaster<'a>,
        config: DriveConfig,
    ) -> Driver<'a> {
        let c = sim.model();
        let interval = policy.interval();
        Driver {
            policy,
            forecaster,
            config,
            declared: (0..c.functions().len() as u32)
                .map(|f| c.placement(FunctionId(f)).to_vec())
                .collect(),
            snapshots: vec![WorkSnapshot::take(&c.observe(sim.now()))],
            next_tick: if interval == SimDuration::ZERO {
                SimTime::MAX
            } else {
                sim.now() + interval
            },
            pending: Vec::new(),
            records: Vec::new(),
        }
    }

    /// A driver whose forecaster is the one `policy` asks for
    /// ([`MigrationPolicy::forecast_source`]), given the run's trained `model` if it has one.
    pub fn for_policy(
        sim: &Simulation<Cluster>,
        policy: &'a dyn MigrationPolicy,
        model: Option<&'a ForecastModel>,
        config: DriveConfig,
    ) -> Driver<'a> {
        Driver::new(sim, policy, Forecaster::for_policy(policy, model), config)
    }

    /// Advances `sim` to `until`, executing due plans, then planning, at each tick.
    pub fn run_until(&mut self, sim: &mut Simulation<Cluster>, until: SimTime) {
        loop {
            let t = self.next_step().min(until);
            self.step_to(sim, t);
            if t >= until {
                break;
            }
        }
    }

    /// When the driver next has something to do: a queued plan to start, or a planning tick.
    pub fn next_step(&self) -> SimTime {
        self.pending
            .first()
            .map_or(SimTime::MAX, |p| p.0.execute_at)
            .min(self.next_tick)
    }

    /// Runs `sim` to `t` (at most [`Driver::next_step`]), then starts the plans due at `t` and,
    /// on a planning tick, plans.
    pub fn step_to(&mut self, sim: &mut Simulation<Cluster>, t: SimTime) {
        sim.run_until(t);
        while self.pending.first().is_some_and(|p| p.0.execute_at <= t) {
            let (plan, index) = self.pending.remove(0);
            self.start(sim, &plan, index);
        }
        if self.next_tick <= t {
            self.plan_now(sim);
            self.next_tick += self.policy.interval();
        }
    }

    /// Starts `plan` now and records what the cluster made of it in `records[index]`.
    fn start(&mut self, sim: &mut Simulation<Cluster>, plan: &Plan, index: usize) {
        let (cluster, sched) = sim.parts_mut();
        let (started, refused) = plan.apply(self.policy.name(), cluster, sched);
        self.records[index].started = started;
        self.records[index].refused = refused;
    }

    /// Whether the step at `t` is a planning tick that needs a forecast.
    pub fn forecasts_at(&self, t: SimTime) -> bool {
        self.next_tick <= t && self.policy.needs(t) == ForecastNeed::Horizon
    }

    /// One planning step at `sim.now()`: forecast, plan, score. Urgent actions form a plan that
    /// starts at once, the others one that runs after the policy's lead time. Returns the plans
    /// made (none when the policy did nothing).
    pub fn plan_now(&mut self, sim: &mut Simulation<Cluster>) -> Vec<Plan> {
        let now = sim.now();
        sim.model_mut().close_metrics(now);
        let load = self.recent_load(sim.model(), now);
        let recent = load.demand();
        let forecast = match self.policy.needs(now) {
            ForecastNeed::Nothing => None,
            ForecastNeed::Horizon => Some(self.forecast(sim, &recent, &load)),
        };
        // Functions registered since the start (a protocol launch) count as declared with the
        // placement they arrived with.
        let c = sim.model();
        for f in self.declared.len()..c.functions().len() {
            self.declared
                .push(c.placement(FunctionId(f as u32)).to_vec());
        }
        let migrations = sim.model().migrations();
        let pending: Vec<Action> = self
            .pending
            .iter()
            .flat_map(|(p, _)| p.actions.iter().map(|a| a.action))
            .collect();
        let actions = self.policy.plan(&PlanInput {
            observed: sim.model().observe(now),
            now,
            recent: &recent,
            forecast: forecast.as_deref(),
            declared: &self.declared,
            migrations: &migrations,
            pending: &pending,
        });
        let (urgent, later): (Vec<_>, Vec<_>) = actions.into_iter().partition(|a| a.urgent);
        let plans: Vec<Plan> = [(urgent, now), (later, now + self.policy.lead_time())]
            .into_iter()
            .filter(|(actions, _)| !actions.is_empty())
            .map(|(actions, execute_at)| Plan {
                made_at: now,
                execute_at,
                actions,
            })
            .collect();
        for plan in &plans {
            self.record_and_queue(sim, plan);
        }
        plans
    }

    /// The load each function delivered to each shard over the mix window up to `now`, from the
    /// snapshot taken now and the newest one at or before the window's start (older ones are
    /// dropped).
    fn recent_load(&mut self, c: &Cluster, now: SimTime) -> RecentLoad {
        let snapshot = WorkSnapshot::take(&c.observe(now));
        let window_start = SimTime::from_nanos(
            now.as_nanos()
                .saturating_sub(self.config.mix_window.as_nanos()),
        );
        // Keep the newest snapshot at or before the window's start, and everything after it.
        let keep_from = self
            .snapshots
            .iter()
            .rposition(|s| s.at <= window_start)
            .unwrap_or(0);
        self.snapshots.drain(..keep_from);
        let load = snapshot.load_since(&self.snapshots[0], &c.observe(now));
        self.snapshots.push(snapshot);
        load
    }

    /// Scores `plan` if scoring is on, records it, and starts it now if it is due, else queues
    /// it behind the plans due no later.
    fn record_and_queue(&mut self, sim: &mut Simulation<Cluster>, plan: &Plan) {
        let now = sim.now();
        let score = self.config.score_plans.then(|| self.score(sim, plan));
        self.records.push(PlanRecord {
            plan: plan.clone(),
            started: 0,
            refused: 0,
            score,
        });
        let index = self.records.len() - 1;
        if plan.execute_at <= now {
            self.start(sim, plan, index);
        } else {
            let at = self
                .pending
                .partition_point(|p| p.0.execute_at <= plan.execute_at);
            self.pending.insert(at, (plan.clone(), index));
        }
    }

    /// Every non-empty plan so far, with what became of it.
    pub fn records(&self) -> &[PlanRecord] {
        &self.records
    }

    /// The declared placements (as at the start).
    pub fn declared(&self) -> &[Vec<ShardId>] {
        &self.declared
    }
}
