//! Migration policies: pure functions of what the cluster shows and what is forecast.
//!
//! A policy is one `impl MigrationPolicy`: the driver ([`crate::drive`]) calls
//! [`MigrationPolicy::plan`] every [`MigrationPolicy::interval`] with a [`PlanInput`] and runs the
//! returned plan after the policy's lead time. Policies keep no state between calls: what they
//! need to remember (how long a shard has been hot, when it last moved) is read from the
//! cluster's metrics and migration log.

use std::fmt::Debug;

use shardsim_sim::cluster::{Cluster, FunctionId, MigrationRecord, RegionId, ShardId};
use shardsim_sim::{SimDuration, SimTime};

use crate::estimate::{LoadPicture, can_host, migration_cost};
use crate::plan::{Action, PlannedAction, Trigger};

/// What a policy needs the driver to supply beyond the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForecastNeed {
    /// Only what has happened.
    Nothing,
    /// Each shard's load over the coming horizon (from a model, or the true future for an
    /// oracle).
    Horizon,
}

/// Everything a policy may read at one planning step.
#[derive(Clone, Copy, Debug)]
pub struct PlanInput<'a> {
    /// The cluster, read-only, with metrics closed up to `now`.
    pub cluster: &'a Cluster,
    /// The planning time.
    pub now: SimTime,
    /// Per function per shard, the load each function delivered over the recent window.
    pub recent: &'a [Vec<f64>],
    /// Per shard, the expected load over the horizon, when the policy asked for it.
    pub forecast: Option<&'a [f64]>,
    /// Each function's placement when the run started: scale-in never goes below it.
    pub declared: &'a [Vec<ShardId>],
    /// The migrations so far (cooldowns are read from here).
    pub migrations: &'a [MigrationRecord],
    /// Actions already planned and waiting for their lead time: a policy should not plan them
    /// again.
    pub pending: &'a [Action],
}

/// A migration policy.
pub trait MigrationPolicy: Debug + Send + Sync {
    /// Its name in results.
    fn name(&self) -> &str;
    /// How often it plans (zero: never).
    fn interval(&self) -> SimDuration;
    /// Time from a plan to its execution (default: none, plans start at once).
    fn lead_time(&self) -> SimDuration {
        SimDuration::ZERO
    }
    /// What it needs in [`PlanInput::forecast`] at the planning step at `now` (default:
    /// nothing beyond what has happened).
    fn needs(&self, _now: SimTime) -> ForecastNeed {
        ForecastNeed::Nothing
    }
    /// The horizon its plans are meant for, and scored over (default: 15 minutes).
    fn horizon(&self) -> SimDuration {
        SimDuration::from_mins(15)
    }
    /// The actions to take, highest net benefit first.
    fn plan(&self, input: &PlanInput<'_>) -> Vec<PlannedAction>;
}

/// A configuration value out of range.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{field} = {value}: {allowed}")]
pub struct ConfigError {
    /// The field.
    pub field: &'static str,
    /// The value given.
    pub value: String,
    /// What is allowed.
    pub allowed: &'static str,
}

fn check_range(
    field: &'static str,
    v: f64,
    lo: f64,
    hi: f64,
    allowed: &'static str,
) -> Result<(), ConfigError> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(ConfigError {
            field,
            value: v.to_string(),
            allowed,
        })
    }
}

fn check_at_least_one(field: &'static str, n: usize) -> Result<(), ConfigError> {
    if n >= 1 {
        Ok(())
    } else {
        Err(ConfigError {
            field,
            value: n.to_string(),
            allowed: "at least 1",
        })
    }
}

fn check_positive(field: &'static str, d: SimDuration) -> Result<(), ConfigError> {
    if d > SimDuration::ZERO {
        Ok(())
    } else {
        Err(ConfigError {
            field,
            value: format!("{}s", d.as_secs_f64()),
            allowed: "a duration > 0",
        })
    }
}

// ---- static ---------------------------------------------------------------------------------

/// Never migrates: the declared placement for the whole run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Static;

impl MigrationPolicy for Static {
    fn name(&self) -> &str {
        "static"
    }
    fn interval(&self) -> SimDuration {
        SimDuration::ZERO
    }
    fn plan(&self, _: &PlanInput<'_>) -> Vec<PlannedAction> {
        Vec::new()
    }
}

// ---- shared planning helpers ------------------------------------------------------------------

fn in_cooldown(migrations: &[MigrationRecord], f: FunctionId, since: SimTime) -> bool {
    migrations
        .iter()
        .any(|m| m.function == f && m.start >= since)
}

fn since(now: SimTime, d: SimDuration) -> SimTime {
    SimTime::from_nanos(now.as_nanos().saturating_sub(d.as_nanos()))
}

/// The eligible target with the lowest `score` (ties: lowest id), for hosting `f` like `like`,
/// skipping `taken`.
fn best_target(
    input: &PlanInput<'_>,
    f: FunctionId,
    like: ShardId,
    taken: &[ShardId],
    score: impl Fn(ShardId) -> f64,
) -> Option<ShardId> {
    input
        .cluster
        .topology()
        .shard_ids()
        .filter(|t| !taken.contains(t))
        .filter(|&t| can_host(input.cluster, input.now, f, like, t))
        .min_by(|&a, &b| score(a).total_cmp(&score(b)))
}

/// Functions placed on shard `s`, largest part first (ties: lowest id).
fn functions_on(input: &PlanInput<'_>, picture: &LoadPicture, s: ShardId) -> Vec<FunctionId> {
    let c = input.cluster;
    let mut fs: Vec<FunctionId> = (0..c.functions().len() as u32)
        .map(FunctionId)
        .filter(|&f| c.functions()[f.index()].active && c.placement(f).contains(&s))
        .collect();
    fs.sort_by(|a, b| {
        picture.contribution[b.index()][s.index()]
            .total_cmp(&picture.contribution[a.index()][s.index()])
            .then(a.cmp(b))
    });
    fs
}

/// Per closed interval over the last `n`, the load of function `f`'s pool: the mean offered
/// load of its shards, or the work `f` alone demanded over their capacity if that is higher
/// (demand that open circuit breakers shed or that found no shard never shows as offered load).
/// None when fewer than `n` intervals are closed.
fn pool_loads(c: &Cluster, f: FunctionId, n: usize) -> Option<Vec<f64>> {
    let shards = c.placement(f);
    let rows = shards
        .iter()
        .map(|&s| c.shard_series(s).rows().len())
        .min()?;
    if rows < n || n == 0 {
        return None;
    }
    let topo = c.topology();
    let capacity = shards
        .iter()
        .map(|s| {
            let spec = &topo.shards[s.index()];
            f64::from(spec.cpu_slots.max(1)) * spec.speed
        })
        .sum::<f64>()
        * c.metrics_interval().as_nanos() as f64;
    let ends = &c.function_metrics()[f.index()].ends;
    Some(
        (rows - n..rows)
            .map(|i| {
                let offered = shards
                    .iter()
                    .map(|&s| c.shard_series(s).offered_load(i))
                    .sum::<f64>()
                    / shards.len() as f64;
                let demand = ends.get(i).map_or(0, |e| e.demand_ns) as f64 / capacity;
                offered.max(demand)
            })
            .collect(),
    )
}

/// Whether the highest of `loads` (a pool's mean load over `n` shards) would stay at or under
/// `target` on `n − 1` shards.
fn fewer_shards_fit(loads: &[f64], n: usize, target: f64) -> bool {
    let peak = loads.iter().copied().fold(0.0, f64::max);
    n > 1 && peak * n as f64 / (n - 1) as f64 <= target
}

fn intervals_in(c: &Cluster, d: SimDuration) -> usize {
    d.as_nanos()
        .div_ceil(c.metrics_interval().as_nanos().max(1)) as usize
}

// ---- reactive threshold ----------------------------------------------------------------------

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
        let c = input.cluster;
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

// ---- the predictive planner --------------------------------------------------------------------

/// The planner's settings (the seeds' `PredictiveLoadBalancer` and `CryptoLoadPatternManager`).
#[derive(Clone, Debug, PartialEq)]
pub struct PlannerConfig {
    /// How often it plans from forecasts.
    pub interval: SimDuration,
    /// How often it checks for a volatility onset between plans (pre-allocation).
    pub onset_check: SimDuration,
    /// How far ahead the forecasts look.
    pub horizon: SimDuration,
    /// From plan to execution.
    pub lead_time: SimDuration,
    /// Forecast load above which a shard is a cpu bottleneck.
    pub overload: f64,
    /// Utilisation pools are expanded or consolidated toward; load above it is what actions are
    /// credited for removing.
    pub target_utilisation: f64,
    /// Memory in use over capacity above which a shard is a memory bottleneck.
    pub memory_limit: f64,
    /// Share of a function's recent executions on a shard that missed their deadline above
    /// which, with the shard loaded beyond the target utilisation, the shard is a latency
    /// bottleneck for that function (and only for it).
    pub miss_limit: f64,
    /// Credit (excess-load minutes) for returning a shard to the free pool.
    pub reclaim_credit: f64,
    /// A function is consolidated only if it has not grown for this long (no flapping).
    pub consolidate_after: SimDuration,
    /// Fixed cost per action (excess-load minutes).
    pub disruption: f64,
    /// At most this many actions per plan.
    pub max_actions: usize,
    /// Whether to plan for regime-sensitive traffic scaling by the volatile multiplier when
    /// volatility starts (pre-allocation, run at once) and keep that headroom when choosing
    /// targets in calm periods; the oracle, which sees the future, does neither.
    pub preallocate: bool,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        PlannerConfig {
            interval: SimDuration::from_mins(5),
            onset_check: SimDuration::from_mins(1),
            horizon: SimDuration::from_mins(15),
            lead_time: SimDuration::from_mins(5),
            overload: 0.8,
            target_utilisation: 0.7,
            memory_limit: 0.9,
            miss_limit: 0.02,
            reclaim_credit: 1.0,
            consolidate_after: SimDuration::from_mins(30),
            disruption: 0.5,
            max_actions: 8,
            preallocate: true,
        }
    }
}

impl PlannerConfig {
    /// Checks every value once.
    pub fn check(self) -> Result<Self, ConfigError> {
        check_positive("interval", self.interval)?;
        check_positive("onset_check", self.onset_check)?;
        if !self
            .interval
            .as_nanos()
            .is_multiple_of(self.onset_check.as_nanos())
        {
            return Err(ConfigError {
                field: "onset_check",
                value: format!("{}s", self.onset_check.as_secs_f64()),
                allowed: "a divisor of the planning interval",
            });
        }
        check_positive("horizon", self.horizon)?;
        if self.lead_time >= self.horizon {
            return Err(ConfigError {
                field: "lead_time",
                value: format!("{}s", self.lead_time.as_secs_f64()),
                allowed: "shorter than the horizon",
            });
        }
        check_range(
            "overload",
            self.overload,
            0.05,
            5.0,
            "a load between 0.05 and 5",
        )?;
        check_range(
            "target_utilisation",
            self.target_utilisation,
            0.05,
            self.overload,
            "a load between 0.05 and overload",
        )?;
        check_range(
            "memory_limit",
            self.memory_limit,
            0.05,
            1.0,
            "a share between 0.05 and 1",
        )?;
        check_range(
            "miss_limit",
            self.miss_limit,
            0.001,
            1.0,
            "a share between 0.001 and 1",
        )?;
        check_range(
            "reclaim_credit",
            self.reclaim_credit,
            0.0,
            1e6,
            "a credit ≥ 0",
        )?;
        check_range("disruption", self.disruption, 0.0, 1e6, "a cost ≥ 0")?;
        check_at_least_one("max_actions", self.max_actions)?;
        Ok(self)
    }
}

/// Plans from forecasts: bottlenecks → candidate actions → estimated benefit − cost → the best,
/// greedily, each seeing the ones chosen before it. Fed a model's forecasts it is the
/// `predictive` policy; fed the true future load it is the `oracle`.
#[derive(Clone, Debug, PartialEq)]
pub struct Planner {
    name: &'static str,
    config: PlannerConfig,
}

impl Planner {
    /// The predictive policy (forecasts from a trained model).
    pub fn predictive(config: PlannerConfig) -> Result<Planner, ConfigError> {
        Ok(Planner {
            name: "predictive",
            config: config.check()?,
        })
    }

    /// The oracle: the same planner fed the true future, so without pre-allocation guesswork.
    pub fn oracle(config: PlannerConfig) -> Result<Planner, ConfigError> {
        Ok(Planner {
            name: "oracle",
            config: PlannerConfig {
                preallocate: false,
                ..config.check()?
            },
        })
    }

    /// The settings.
    pub fn config(&self) -> &PlannerConfig {
        &self.config
    }

    /// Why shard `s` is a bottleneck over the horizon, if it is.
    fn bottleneck(
        &self,
        input: &PlanInput<'_>,
        picture: &LoadPicture,
        s: ShardId,
    ) -> Option<Trigger> {
        let c = input.cluster;
        let spec = &c.topology().shards[s.index()];
        if picture.load[s.index()] > self.config.overload {
            return Some(Trigger::Cpu);
        }
        let series = c.shard_series(s);
        let last = series.rows().len().checked_sub(1)?;
        let stats = series.interval_stats(last);
        if f64::from(stats.memory_used_mb) > self.config.memory_limit * f64::from(spec.memory_mb) {
            return Some(Trigger::Memory);
        }
        (picture.load[s.index()] > self.config.target_utilisation
            && functions_on(input, picture, s)
                .into_iter()
                .any(|f| self.late(input, s, f)))
        .then_some(Trigger::Latency)
    }

    /// Whether function `f` has recently been missing its deadline on shard `s` more often than
    /// `miss_limit` allows. Judged per function: a shard's p99 mixes slow functions with fast
    /// ones, and a tight-deadline function whose own service tail misses now and then is not
    /// helped by moving it.
    fn late(&self, input: &PlanInput<'_>, s: ShardId, f: FunctionId) -> bool {
        input
            .cluster
            .view(input.now)
            .history(s, f)
            .is_some_and(|h| {
                h.executions >= MIN_JUDGED_EXECUTIONS
                    && 1.0 - h.success_rate > self.config.miss_limit
            })
    }
}

/// Fewer remembered executions than this say nothing about a function's misses on a shard.
const MIN_JUDGED_EXECUTIONS: u32 = 50;

/// How much a target's extra round trip from the function's event origins, as a share of the
/// function's timeout, counts against it next to its load when the planner picks targets: a
/// quarter of the deadline weighs like a fully loaded shard.
pub const LATENCY_WEIGHT: f64 = 4.0;

/// Which regime-sensitive functions there are, and the load each shard would carry if
/// volatility started now (the headroom the planner keeps when it picks targets).
struct Volatility {
    sensitive: Vec<bool>,
    extra: f64,
}

impl Volatility {
    fn new(c: &Cluster) -> Volatility {
        Volatility {
            sensitive: (0..c.functions().len() as u32)
                .map(|f| c.regime_sensitive(FunctionId(f)))
                .collect(),
            extra: c.regime().multiplier() - 1.0,
        }
    }

    fn surge_load(&self, picture: &LoadPicture, t: ShardId) -> f64 {
        picture.load[t.index()]
            + self
                .sensitive
                .iter()
                .enumerate()
                .filter(|(_, s)| **s)
                .map(|(f, _)| picture.contribution[f][t.index()] * self.extra)
                .sum::<f64>()
    }
}

impl MigrationPolicy for Planner {
    fn name(&self) -> &str {
        self.name
    }
    fn interval(&self) -> SimDuration {
        if self.config.preallocate {
            self.config.onset_check
        } else {
            self.config.interval
        }
    }
    fn lead_time(&self) -> SimDuration {
        self.config.lead_time
    }
    fn needs(&self, now: SimTime) -> ForecastNeed {
        if now
            .as_nanos()
            .is_multiple_of(self.config.interval.as_nanos())
        {
            ForecastNeed::Horizon
        } else {
            ForecastNeed::Nothing
        }
    }
    fn horizon(&self) -> SimDuration {
        self.config.horizon
    }

    fn plan(&self, input: &PlanInput<'_>) -> Vec<PlannedAction> {
        let c = input.cluster;
        let cfg = &self.config;
        let mut picture = LoadPicture::new(c, input.recent, input.forecast);
        let minutes = cfg.horizon.as_secs_f64() / 60.0;
        let volatility = Volatility::new(c);
        let regime = c.regime();
        let volatile = regime.is_volatile(input.now);
        let onset =
            cfg.preallocate && volatile && !regime.is_volatile(since(input.now, cfg.onset_check));
        // Between forecast plans only an onset is acted on.
        let planning = input.forecast.is_some();
        if !planning && !onset {
            return Vec::new();
        }

        // Pre-allocation: volatility just started, so regime-sensitive traffic will scale by the
        // regime's multiplier; plan for that where the forecast does not already.
        if onset {
            for f in (0..c.functions().len()).filter(|&f| volatility.sensitive[f]) {
                for &s in c.placement(FunctionId(f as u32)) {
                    let now = picture.contribution[f][s.index()];
                    let scaled = now.max(input.recent[f][s.index()] * (1.0 + volatility.extra));
                    picture.contribution[f][s.index()] = scaled;
                    picture.load[s.index()] += scaled - now;
                }
            }
        }
        // In calm periods, targets are ranked by the load they would carry in a surge, so
        // capacity is not parked where the next surge lands.
        let keep_headroom = cfg.preallocate && !volatile;
        let topo = c.topology();
        // A target farther from where the function's events come from than its shards are on
        // average spends more of its deadline on the network; a nearer one spends less. The
        // difference, as a share of the timeout, counts like load.
        let origins: Vec<Vec<(RegionId, f64)>> = (0..c.functions().len() as u32)
            .map(|f| c.origins(FunctionId(f)))
            .collect();
        let distance = |f: FunctionId, s: ShardId| -> f64 {
            origins[f.index()]
                .iter()
                .map(|&(r, w)| {
                    w * topo
                        .network
                        .rtt(r, topo.shards[s.index()].region)
                        .as_secs_f64()
                })
                .sum()
        };
        // `leaving`: the shard a move replaces (compared with it), or none for an expansion
        // (compared with the placement's average).
        let target_score =
            |picture: &LoadPicture, f: FunctionId, leaving: Option<ShardId>, t: ShardId| {
                let load = if keep_headroom {
                    volatility.surge_load(picture, t)
                } else {
                    picture.load[t.index()]
                };
                let placement = c.placement(f);
                let current = match leaving {
                    Some(s) => distance(f, s),
                    None => {
                        placement.iter().map(|&p| distance(f, p)).sum::<f64>()
                            / placement.len().max(1) as f64
                    }
                };
                load + LATENCY_WEIGHT * (distance(f, t) - current)
                    / c.function(f).spec.resources.timeout.as_secs_f64().max(1e-3)
            };

        // The bottlenecks are found once; the actions for them are then chosen greedily while
        // they pay, each seeing the ones before it, so a hot pool is sized toward the target
        // utilisation rather than just under the bottleneck threshold.
        let mut hot: Vec<(ShardId, Trigger)> = c
            .topology()
            .shard_ids()
            .filter_map(|s| self.bottleneck(input, &picture, s).map(|t| (s, t)))
            .collect();
        hot.sort_by(|a, b| {
            picture.load[b.0.index()]
                .total_cmp(&picture.load[a.0.index()])
                .then(a.0.cmp(&b.0))
        });
        let mut out: Vec<PlannedAction> = Vec::new();
        while out.len() < cfg.max_actions {
            let mut best: Option<PlannedAction> = None;
            for &(s, trigger) in &hot {
                for f in functions_on(input, &picture, s) {
                    if (!planning && !volatility.sensitive[f.index()])
                        || (trigger == Trigger::Latency && !self.late(input, s, f))
                        || input.pending.iter().any(|a| a.function() == f)
                    {
                        continue;
                    }
                    let planned_for_f: Vec<&PlannedAction> =
                        out.iter().filter(|a| a.action.function() == f).collect();
                    if planned_for_f
                        .iter()
                        .any(|a| !matches!(a.action, Action::Expand { .. }))
                    {
                        continue;
                    }
                    let taken: Vec<ShardId> = planned_for_f
                        .iter()
                        .filter_map(|a| match a.action {
                            Action::Expand { to, .. } => Some(to),
                            _ => None,
                        })
                        .collect();
                    let Some(t) =
                        best_target(input, f, s, &taken, |t| target_score(&picture, f, None, t))
                    else {
                        continue;
                    };
                    let urgent = onset && volatility.sensitive[f.index()];
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
                        && let Some(to) =
                            best_target(input, f, s, &[], |t| target_score(&picture, f, Some(s), t))
                        && distance(f, to) <= distance(f, s) + 1e-9
                    {
                        candidates.push(Action::Move {
                            function: f,
                            from: s,
                            to,
                        });
                    }
                    for action in candidates {
                        let effect = picture.effect(c, &action);
                        let mut benefit = picture.benefit(&effect, cfg.target_utilisation, minutes);
                        if trigger == Trigger::Memory {
                            // Memory pressure eases in proportion to the part that leaves.
                            let relieved: f64 = effect
                                .iter()
                                .filter(|(sh, _)| *sh == s)
                                .map(|(_, d)| -d)
                                .sum();
                            benefit += relieved * minutes;
                        }
                        let a = PlannedAction {
                            action,
                            trigger,
                            benefit,
                            cost: migration_cost(c, &action, cfg.disruption),
                            urgent,
                        };
                        if a.net() > 0.0 && best.is_none_or(|b| a.net() > b.net()) {
                            best = Some(a);
                        }
                    }
                }
            }
            let Some(a) = best else { break };
            picture.commit(c, &a.action);
            out.push(a);
        }

        // Consolidation: a pool whose forecast would fit on one shard fewer at the target
        // utilisation gives back a shard it was given.
        if planning && !volatile {
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
                let stays_under = effect.iter().all(|&(sh, d)| {
                    sh == s || picture.load[sh.index()] + d < cfg.target_utilisation
                });
                let planned = PlannedAction {
                    action,
                    trigger: Trigger::Consolidation,
                    benefit: picture.benefit(&effect, cfg.target_utilisation, minutes)
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
        out
    }
}

// ---- performance-based -------------------------------------------------------------------------

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
        let c = input.cluster;
        let view = c.view(input.now);
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

/// The names `policy_by_name` accepts (`predictive` and `oracle` need a forecaster from the
/// driver; all use default settings).
pub const MIGRATION_POLICIES: [&str; 5] =
    ["static", "reactive", "predictive", "oracle", "performance"];

/// A policy by name with default settings.
pub fn policy_by_name(name: &str) -> Option<Box<dyn MigrationPolicy>> {
    Some(match name {
        "static" => Box::new(Static),
        "reactive" => Box::new(Reactive::default()),
        "predictive" => {
            Box::new(Planner::predictive(PlannerConfig::default()).expect("defaults are valid"))
        }
        "oracle" => {
            Box::new(Planner::oracle(PlannerConfig::default()).expect("defaults are valid"))
        }
        "performance" => Box::new(PerformanceBased::default()),
        _ => return None,
    })
}
