//! The planner behind `predictive` and `oracle`: bottlenecks → candidate actions → estimated
//! benefit − cost → the best, greedily, each seeing the ones chosen before it. One planning
//! step is a [`Step`] whose `impl` is split by stage: `bottlenecks.rs` finds the hot shards,
//! `targets.rs` ranks where capacity could go, `actions.rs` picks actions for the hot shards
//! and gives back shards a pool no longer needs. Settings and the policy's clock live here.

use shardsim_sim::{SimDuration, SimTime};

use super::{
    ConfigError, ForecastNeed, ForecastQuantity, ForecastSource, MigrationPolicy, PlanInput,
    check_at_least_one, check_positive, check_range,
};
use crate::estimate::LoadPicture;
use crate::plan::PlannedAction;

mod actions;
mod bottlenecks;
mod surge;
mod targets;

pub use surge::BASELINE as SURGE_BASELINE;
use surge::Surge;
pub use targets::LATENCY_WEIGHT;
use targets::Targets;

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
    /// Whether to plan for a surge as soon as one shows in a function's demand (pre-allocation,
    /// run at once, checked every `onset_check`) and keep headroom for the functions that surged
    /// recently when choosing targets while nothing surges; the oracle, which sees the future,
    /// does neither.
    pub preallocate: bool,
    /// A function is surging when its demand over the last metrics interval is at least this
    /// multiple of its baseline (the median over [`SURGE_BASELINE`]). A choice: 1.5 is half the
    /// way to the built-ins' smallest volatile multiplier (2), above the minute-to-minute noise
    /// of their calm traffic.
    pub surge_ratio: f64,
    /// Which value of a model's forecast it plans on: the expected load, or an upper bound.
    pub forecast: ForecastQuantity,
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
            surge_ratio: 1.5,
            forecast: ForecastQuantity::Expected,
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
        if let ForecastQuantity::Upper(level) = self.forecast
            && !shardsim_model::intervals::LEVELS
                .iter()
                .any(|l| (l - level).abs() < 1e-9)
        {
            return Err(ConfigError {
                field: "forecast",
                value: format!("upper bound at {level}"),
                allowed: "an upper bound at a level of 0.5, 0.8, 0.9 or 0.95",
            });
        }
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
        check_range(
            "surge_ratio",
            self.surge_ratio,
            1.05,
            100.0,
            "a multiple between 1.05 and 100",
        )?;
        Ok(self)
    }
}

/// Plans from forecasts: bottlenecks → candidate actions → estimated benefit − cost → the best,
/// greedily, each seeing the ones chosen before it. Fed a model's forecasts it is the
/// `predictive` policy; fed the true future load it is the `oracle`.
#[derive(Clone, Debug, PartialEq)]
pub struct Planner {
    name: &'static str,
    /// The forecasts it plans on: a model's (predictive) or the true future (oracle).
    source: ForecastSource,
    config: PlannerConfig,
}

impl Planner {
    /// The predictive policy (forecasts from a trained model).
    pub fn predictive(config: PlannerConfig) -> Result<Planner, ConfigError> {
        Ok(Planner {
            name: "predictive",
            source: ForecastSource::ModelOrPersistence,
            config: config.check()?,
        })
    }

    /// The oracle: the same planner fed the true future, so without pre-allocation guesswork.
    pub fn oracle(config: PlannerConfig) -> Result<Planner, ConfigError> {
        Ok(Planner {
            name: "oracle",
            source: ForecastSource::TrueFuture,
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
}

/// One planning step: what every stage reads.
struct Step<'s, 'a> {
    cfg: &'s PlannerConfig,
    input: &'s PlanInput<'a>,
    /// The horizon, in minutes (the unit benefits are counted in).
    minutes: f64,
    /// A surge started within the last onset check: pre-allocate.
    onset: bool,
    /// A forecast plan (not only an onset check).
    planning: bool,
    /// Some function is surging now.
    volatile: bool,
    targets: Targets<'a>,
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
    /// The oracle plans on the true future; the predictive planner on a model's forecasts.
    fn forecast_source(&self) -> ForecastSource {
        self.source
    }
    fn forecast_quantity(&self) -> ForecastQuantity {
        self.config.forecast
    }
    fn horizon(&self) -> SimDuration {
        self.config.horizon
    }

    fn plan(&self, input: &PlanInput<'_>) -> Vec<PlannedAction> {
        let c = &input.observed;
        let cfg = &self.config;
        let mut picture = LoadPicture::new(c, input.recent, input.forecast);
        let minutes = cfg.horizon.as_secs_f64() / 60.0;
        let surge = Surge::read(c, cfg.surge_ratio);
        let volatile = surge.any_surging();
        let onset = cfg.preallocate && surge.any_starting();
        // Between forecast plans only an onset is acted on.
        let planning = input.forecast.is_some();
        if !planning && !onset {
            return Vec::new();
        }
        if onset {
            surge.preallocate(c, input.recent, &mut picture);
        }
        // While nothing surges, targets are ranked by the load they would carry in a surge, so
        // capacity is not parked where the next surge lands.
        let keep_headroom = cfg.preallocate && !volatile;
        let step = Step {
            cfg,
            input,
            minutes,
            onset,
            planning,
            volatile,
            targets: Targets::new(input.observed, surge, keep_headroom),
        };
        let hot = step.bottlenecks(&picture);
        let mut out = step.relieve(&mut picture, &hot);
        step.consolidate(&mut picture, &mut out);
        out
    }
}
