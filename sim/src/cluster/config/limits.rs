//! The limits a configuration must keep, each with its reason, and the checks that enforce them
//! before anything is allocated: every user-given time, source rates, the shard count, the
//! expected number of arrivals and regime switches, and the memory a run's metrics will need.

use crate::cluster::config::ClusterConfig;
use crate::cluster::metrics::function::FunctionEnds;
use crate::cluster::metrics::shard::ShardRow;
use crate::cluster::spec::error::{ClusterError, ConfigItem};
use crate::cluster::spec::faults::FaultKind;
use crate::cluster::spec::function::{FunctionSpec, ServiceTime};
use crate::cluster::spec::settings::Change;
use crate::time::{SimDuration, SimTime};

/// Longest user-given time or duration: 100 years. The clock counts u64 nanoseconds (584
/// years), so a sum of any two such times (a fault's start plus its length) cannot overflow.
pub const MAX_USER_TIME: SimDuration = SimDuration::from_secs(100 * 365 * 86_400);

/// Highest peak rate of one source, arrivals per simulated second. Arrivals are spaced in whole
/// nanoseconds, so far above this gaps round to zero and the clock stops moving; at it, one
/// simulated day of one source is already ~10¹¹ events (days of wall time).
pub const MAX_RATE_PER_SEC: f64 = 1e6;

/// Most shards in a cluster: routing scans a placement's shards for each invocation, and every
/// shard keeps a metrics row per interval.
pub const MAX_SHARDS: usize = 100_000;

/// Most arrivals a run may expect (the sum over sources of peak rate × duration): about three
/// hours of wall time at the simulator's ~10⁶ invocations per second.
pub const MAX_EXPECTED_ARRIVALS: f64 = 1e10;

/// Most regime switches a run may expect: the regime path is drawn whole before the run starts.
pub const MAX_REGIME_SWITCHES: u64 = 10_000_000;

/// Most values the market path may hold and compute ((grid points + the calendar events' grid
/// spans) × (exposed sources + the six reference series: log-vol and one per cascade stage),
/// plus the feed's per-interval rows): the path is precomputed whole at build, 8 bytes a value,
/// so this bounds it at 256 MiB and its build at a few seconds.
pub const MAX_MARKET_VALUES: u64 = 32 << 20;

/// Most performance-monitor checks a run may make (duration ÷ interval): each check looks at
/// every placement of every function.
pub const MAX_MONITOR_CHECKS: u64 = 10_000_000;

/// Most memory the run's metrics may need (a row per shard and per function per interval,
/// kept until the run ends): 2 GiB.
pub const MAX_METRICS_BYTES: u64 = 2 << 30;

/// Allowance per shard-interval for its latency-histogram entries (a few dozen occupied buckets
/// of 8 bytes each).
const HISTOGRAM_BYTES_PER_SHARD_INTERVAL: u64 = 256;

fn hours(d: SimDuration) -> f64 {
    d.as_secs_f64() / 3600.0
}

impl ClusterConfig {
    /// Every limit above, in this order: times, shard count, rates, arrivals, regime switches,
    /// metrics memory.
    pub(super) fn validate_limits(&self) -> Result<(), ClusterError> {
        self.validate_times()?;
        if self.topology.shards.len() > MAX_SHARDS {
            return Err(ClusterError::Invalid(format!(
                "{} shards declared; at most {MAX_SHARDS} are allowed (routing scans a placement's shards per invocation and each shard keeps a metrics row per interval)",
                self.topology.shards.len()
            ))
            .at(ConfigItem::Shard(self.topology.shards.len() - 1), Some("count")));
        }
        for (i, s) in self.sources.iter().enumerate() {
            let peak = self.peak_rate(s);
            if peak > MAX_RATE_PER_SEC {
                let market = if self.market.is_some() && s.shape.market.is_some() {
                    " × the market's cap"
                } else {
                    ""
                };
                return Err(ClusterError::Invalid(format!(
                    "source `{}`: peak rate {peak:.3e}/s (rate × largest daily × largest weekly multiplier{market}) is above the limit of {MAX_RATE_PER_SEC:.0e}/s: arrivals are spaced in whole nanoseconds and a day at this rate would take days to simulate",
                    s.name
                ))
                .at(ConfigItem::Source(i), Some("rate_per_sec")));
            }
        }
        if self.arrivals_until == SimTime::MAX {
            return Ok(()); // open-ended: the caller decides when to stop
        }
        let span = self.arrivals_until.saturating_duration_since(SimTime::ZERO);
        self.validate_expected_arrivals(span)?;
        self.validate_market_size()?;
        if let Some(r) = &self.regime {
            let shorter = r.calm_mean.min(r.volatile_mean).as_nanos().max(1);
            let switches = span.as_nanos() / shorter;
            if switches > MAX_REGIME_SWITCHES {
                let field = if r.calm_mean <= r.volatile_mean {
                    "calm_mean"
                } else {
                    "volatile_mean"
                };
                return Err(ClusterError::Invalid(format!(
                    "regime: {field} {} over a {:.1} h run means ~{switches} regime switches; at most {MAX_REGIME_SWITCHES} are allowed (the regime path is drawn whole before the run)",
                    SimDuration::from_nanos(shorter),
                    hours(span)
                ))
                .at(ConfigItem::Regime, Some(field)));
            }
        }
        if let Some(m) = &self.monitor {
            let checks = span.as_nanos() / m.interval.as_nanos().max(1);
            if checks > MAX_MONITOR_CHECKS {
                return Err(ClusterError::Invalid(format!(
                    "monitor: an interval of {} over a {:.1} h run means {checks} checks; at most {MAX_MONITOR_CHECKS} are allowed (each looks at every placement of every function)",
                    m.interval,
                    hours(span)
                ))
                .at(ConfigItem::Monitor, Some("interval")));
            }
        }
        self.validate_metrics_memory(span)
    }

    /// Every user-given time at most [`MAX_USER_TIME`]; each fault of positive length. (A fault
    /// may strike the drain after the arrivals end; a scenario file refuses that, see
    /// `experiments/src/scenario/build`.)
    fn validate_times(&self) -> Result<(), ClusterError> {
        let too_long = |what: &str, d: SimDuration| {
            ClusterError::Invalid(format!(
                "{what} is {:.1} h; at most {:.0} h (100 years) is allowed, so that sums of times cannot overflow the clock",
                hours(d),
                hours(MAX_USER_TIME)
            ))
        };
        let since_zero = |t: SimTime| t.saturating_duration_since(SimTime::ZERO);
        if self.arrivals_until != SimTime::MAX && since_zero(self.arrivals_until) > MAX_USER_TIME {
            return Err(
                too_long("the run's duration", since_zero(self.arrivals_until))
                    .at(ConfigItem::Duration, None),
            );
        }
        if self.metrics_interval > MAX_USER_TIME {
            return Err(too_long("the metrics interval", self.metrics_interval)
                .at(ConfigItem::MetricsInterval, None));
        }
        if let Some(m) = &self.monitor {
            for (field, d) in [("interval", m.interval), ("demotion", m.demotion)] {
                if d > MAX_USER_TIME {
                    return Err(too_long(&format!("monitor {field}"), d)
                        .at(ConfigItem::Monitor, Some(field)));
                }
            }
        }
        if self.breaker.cooldown > MAX_USER_TIME {
            return Err(too_long("breaker cooldown", self.breaker.cooldown)
                .at(ConfigItem::Breaker, Some("cooldown")));
        }
        for (i, (spec, _)) in self.functions.iter().enumerate() {
            let service_mean = service_mean(spec);
            for (field, d) in [
                ("resources.timeout", spec.resources.timeout),
                ("warmup", spec.warmup),
                ("service", service_mean),
            ] {
                if d > MAX_USER_TIME {
                    return Err(too_long(&format!("function `{}` {field}", spec.name), d)
                        .at(ConfigItem::Function(i), Some(field)));
                }
            }
        }
        for (i, s) in self.sources.iter().enumerate() {
            for (field, d) in [
                ("shape.starts_at", since_zero(s.shape.starts_at)),
                ("shape.ramp", s.shape.ramp),
            ] {
                if d > MAX_USER_TIME {
                    return Err(too_long(&format!("source `{}` {field}", s.name), d)
                        .at(ConfigItem::Source(i), Some(field)));
                }
            }
        }
        if let Some(r) = &self.regime {
            for (field, d) in [
                ("calm_mean", r.calm_mean),
                ("volatile_mean", r.volatile_mean),
                ("episode.onset", r.episode.onset),
                (
                    "episode.half_life",
                    r.episode.half_life.unwrap_or(SimDuration::ZERO),
                ),
            ] {
                if d > MAX_USER_TIME {
                    return Err(
                        too_long(&format!("regime {field}"), d).at(ConfigItem::Regime, Some(field))
                    );
                }
            }
        }
        for (g, group) in self.hawkes.iter().enumerate() {
            if group.decay > MAX_USER_TIME {
                return Err(
                    too_long(&format!("Hawkes group `{}` decay", group.name), group.decay)
                        .at(ConfigItem::Hawkes(g), Some("decay")),
                );
            }
        }
        for (i, c) in self.changes.iter().enumerate() {
            if since_zero(c.at) > MAX_USER_TIME {
                let what = match &c.change {
                    Change::RegisterFunction { spec, .. } => {
                        format!("the launch of `{}`", spec.name)
                    }
                    _ => format!("change #{i}"),
                };
                return Err(too_long(&what, since_zero(c.at)).at(ConfigItem::Change(i), Some("at")));
            }
        }
        for (i, f) in self.faults.iter().enumerate() {
            self.validate_fault_times(i, f)?;
        }
        Ok(())
    }

    fn validate_fault_times(
        &self,
        i: usize,
        f: &crate::cluster::spec::faults::Fault,
    ) -> Result<(), ClusterError> {
        let item = ConfigItem::Fault(i);
        let since_zero = |t: SimTime| t.saturating_duration_since(SimTime::ZERO);
        let bad = |field, text: String| Err(ClusterError::Invalid(text).at(item, Some(field)));
        if since_zero(f.at) > MAX_USER_TIME {
            return bad(
                "at",
                format!(
                    "fault #{i} starts at {:.1} h; at most {:.0} h (100 years) is allowed",
                    hours(since_zero(f.at)),
                    hours(MAX_USER_TIME)
                ),
            );
        }
        if f.duration == SimDuration::ZERO {
            return bad(
                "duration",
                format!("fault #{i} lasts 0 s: a fault needs a positive duration"),
            );
        }
        if f.duration > MAX_USER_TIME || f.at.checked_add(f.duration).is_none() {
            return bad(
                "duration",
                format!(
                    "fault #{i} lasts {:.1} h; at most {:.0} h (100 years) is allowed",
                    hours(f.duration),
                    hours(MAX_USER_TIME)
                ),
            );
        }
        if let FaultKind::ExchangeLatencySpike { extra, .. } = f.kind
            && extra > MAX_USER_TIME
        {
            return bad(
                "extra",
                format!(
                    "fault #{i} adds {:.1} h of latency; at most {:.0} h is allowed",
                    hours(extra),
                    hours(MAX_USER_TIME)
                ),
            );
        }
        Ok(())
    }

    fn validate_expected_arrivals(&self, span: SimDuration) -> Result<(), ClusterError> {
        let volatile = self
            .regime
            .as_ref()
            .map_or(1.0, |r| r.volatile_multiplier.max(1.0));
        let expected: f64 = self
            .sources
            .iter()
            .map(|s| {
                let regime = if s.shape.regime_sensitive {
                    volatile
                } else {
                    1.0
                };
                self.peak_rate(s) * regime * span.as_secs_f64()
            })
            .sum();
        if expected > MAX_EXPECTED_ARRIVALS {
            return Err(ClusterError::Invalid(format!(
                "the sources may send up to {expected:.3e} arrivals over the {:.1} h run (peak rates × duration); at most {MAX_EXPECTED_ARRIVALS:.0e} are allowed (about 3 h of wall time): shorten the run or lower the rates",
                hours(span)
            ))
            .at(ConfigItem::Duration, None));
        }
        Ok(())
    }

    /// The memory of the metrics series, estimated from the run's horizon (the arrivals' end, or
    /// the last fault end or change if later) before any of it is allocated.
    fn validate_metrics_memory(&self, span: SimDuration) -> Result<(), ClusterError> {
        let since_zero = |t: SimTime| t.saturating_duration_since(SimTime::ZERO);
        // The horizon, and the item that sets it (reported: it is what to shorten).
        let mut horizon = (span, ConfigItem::MetricsInterval, None);
        let ends = self
            .faults
            .iter()
            .enumerate()
            .map(|(i, f)| {
                // A latency spike delays deliveries past its end by up to its extra latency.
                let (extra, field) = match f.kind {
                    FaultKind::ExchangeLatencySpike { extra, .. } => (extra, "extra"),
                    _ => (SimDuration::ZERO, "duration"),
                };
                let end =
                    f.at.checked_add(f.duration)
                        .and_then(|t| t.checked_add(extra))
                        .unwrap_or(SimTime::MAX);
                (since_zero(end), ConfigItem::Fault(i), Some(field))
            })
            .chain(
                self.changes
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (since_zero(c.at), ConfigItem::Change(i), Some("at"))),
            );
        // Work in flight when the arrivals end still runs: allow ten mean service times of the
        // slowest function on the slowest shard.
        let slowest = self
            .topology
            .shards
            .iter()
            .map(|s| s.speed)
            .fold(f64::INFINITY, f64::min)
            .max(1e-9);
        let drains = self.functions.iter().enumerate().map(|(i, (spec, _))| {
            let drain =
                SimDuration::from_secs_f64(10.0 * service_mean(spec).as_secs_f64() / slowest);
            (
                span.checked_add(drain).unwrap_or(SimDuration::MAX),
                ConfigItem::Function(i),
                Some("service"),
            )
        });
        let ends = ends.chain(drains).collect::<Vec<_>>();
        for end in ends {
            if end.0 > horizon.0 {
                horizon = end;
            }
        }
        // An item is named only when it at least doubles the run's span; otherwise the
        // metrics interval is what to change.
        let (horizon, item, field) = if horizon.0.as_nanos() / 2 > span.as_nanos() {
            horizon
        } else {
            (horizon.0, ConfigItem::MetricsInterval, None)
        };
        let intervals = horizon.as_nanos() / self.metrics_interval.as_nanos().max(1) + 1;
        let shard_bytes = size_of::<ShardRow>() as u64 + HISTOGRAM_BYTES_PER_SHARD_INTERVAL;
        let functions = (self.functions.len() + self.launched().count()) as u64;
        let per_interval = self.topology.shards.len() as u64 * shard_bytes
            + functions * size_of::<FunctionEnds>() as u64;
        let bytes = intervals.saturating_mul(per_interval);
        if bytes > MAX_METRICS_BYTES {
            return Err(ClusterError::Invalid(format!(
                "the run's metrics would need about {} MiB ({intervals} intervals of {} over {:.1} h × {} shards); at most {} MiB is allowed: use a longer metrics interval or a shorter run{}",
                bytes >> 20,
                self.metrics_interval,
                hours(horizon),
                self.topology.shards.len(),
                MAX_METRICS_BYTES >> 20,
                if item == ConfigItem::MetricsInterval {
                    ""
                } else {
                    " (this item runs the clock past the arrivals' end)"
                }
            ))
            .at(item, field));
        }
        Ok(())
    }
}

/// A function's mean service time at nominal speed.
fn service_mean(spec: &FunctionSpec) -> SimDuration {
    match spec.service {
        ServiceTime::Constant(d) | ServiceTime::Exponential(d) => d,
        ServiceTime::LogNormal { mean, .. } => mean,
    }
}

impl ClusterConfig {
    /// A source's highest intensity: its rate times its largest daily and weekly multipliers,
    /// times the market's cap (the largest market multiplier) if it is exposed.
    fn peak_rate(&self, s: &crate::cluster::spec::workload::PoissonSource) -> f64 {
        let largest = |v: &[f64]| v.iter().copied().fold(f64::NAN, f64::max);
        let daily = largest(&s.shape.daily);
        let weekly = largest(&s.shape.weekly);
        let market = match (&self.market, &s.shape.market) {
            (Some(m), Some(_)) => m.cap,
            _ => 1.0,
        };
        s.rate_per_sec
            * if daily.is_nan() { 1.0 } else { daily }
            * if weekly.is_nan() { 1.0 } else { weekly }
            * market
    }

    /// The market path's size against [`MAX_MARKET_VALUES`], before it is allocated.
    fn validate_market_size(&self) -> Result<(), ClusterError> {
        let Some(m) = &self.market else {
            return Ok(());
        };
        let points = crate::cluster::market::grid_points(m.step, self.arrivals_until);
        let exposed = self
            .sources
            .iter()
            .filter(|s| s.shape.market.is_some())
            .count() as u64;
        let intervals =
            self.arrivals_until.as_nanos() / self.metrics_interval.as_nanos().max(1) + 1;
        let feed = intervals
            .saturating_mul(2 * self.topology.exchanges.len() as u64 + self.sources.len() as u64);
        // Each calendar event keeps its excess from its lead to 30 half-lives after, and every
        // series multiplies it in.
        let span_points = |lead: SimDuration, half_life: SimDuration| {
            let span = lead
                .as_nanos()
                .saturating_add(half_life.as_nanos().saturating_mul(30));
            (span / m.step.as_nanos().max(1) + 1).min(points)
        };
        let mut calendar: u64 = m
            .calendar
            .iter()
            .map(|e| span_points(e.profile.lead, e.profile.half_life))
            .fold(0, u64::saturating_add);
        if let Some(f) = &m.funding {
            let settlements = self.arrivals_until.as_nanos() / f.period.as_nanos().max(1) + 1;
            calendar = calendar.saturating_add(
                settlements.saturating_mul(span_points(f.profile.lead, f.profile.half_life)),
            );
        }
        let values = points
            .saturating_add(calendar)
            .saturating_mul(exposed + 6)
            .saturating_add(feed);
        if values > MAX_MARKET_VALUES {
            return Err(ClusterError::Invalid(format!(
                "market: a step of {} over a {:.1} h run is ({points} grid points + {calendar} of calendar events) × {} series (+ {feed} feed values) = {values} values; at most {MAX_MARKET_VALUES} are allowed (the path is precomputed whole at build): use a longer step, a shorter run, fewer or shorter events",
                m.step,
                hours(self.arrivals_until.saturating_duration_since(SimTime::ZERO)),
                exposed + 6
            ))
            .at(ConfigItem::Market, Some("step")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::*;
    use crate::testkit;

    use crate::testkit::refusal as refused;

    fn crash(at_secs: u64, duration: SimDuration) -> Fault {
        Fault {
            at: SimTime::ZERO + SimDuration::from_secs(at_secs),
            duration,
            kind: FaultKind::Crash { shard: ShardId(0) },
        }
    }

    #[test]
    fn faults_must_have_a_length_that_fits_the_clock() {
        let mut c = testkit::small_config();
        c.faults.push(crash(10, SimDuration::ZERO));
        let (item, field, text) = refused(&c);
        assert_eq!(
            (item, field),
            (Some(ConfigItem::Fault(0)), Some("duration"))
        );
        assert!(text.contains("positive duration"), "{text}");

        c.faults[0] = crash(10, SimDuration::MAX);
        assert_eq!(refused(&c).1, Some("duration"));

        c.faults[0] = crash(10, SimDuration::from_secs(5));
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn rates_runs_and_memory_have_limits() {
        let mut c = testkit::small_config();
        c.sources[0].rate_per_sec = 1e300;
        let (item, _, text) = refused(&c);
        assert_eq!(item, Some(ConfigItem::Source(0)));
        assert!(text.contains("above the limit of 1e6/s"), "{text}");

        let mut c = testkit::small_config();
        c.arrivals_until = SimTime::ZERO + SimDuration::from_secs(10 * 365 * 86_400);
        c.sources[0].rate_per_sec = 1e5;
        assert_eq!(refused(&c).0, Some(ConfigItem::Duration));

        let mut c = testkit::small_config();
        c.metrics_interval = SimDuration::from_nanos(1);
        let (item, _, text) = refused(&c);
        assert_eq!(item, Some(ConfigItem::MetricsInterval));
        assert!(text.contains("MiB"), "{text}");

        // A long fault drives the horizon: it is the item reported.
        let mut c = testkit::small_config();
        c.metrics_interval = SimDuration::from_millis(1);
        c.arrivals_until = SimTime::ZERO + SimDuration::from_secs(60);
        c.faults
            .push(crash(10, SimDuration::from_secs(50 * 365 * 86_400)));
        assert_eq!(refused(&c).0, Some(ConfigItem::Fault(0)));
    }

    #[test]
    fn version_percents_that_wrap_a_u32_are_refused() {
        let mut c = testkit::small_config();
        let version = |name: &str, percent| Version {
            name: name.into(),
            percent,
            service_scale: 1.0,
        };
        c.functions[0].0.versions = vec![version("a", u32::MAX), version("b", 101)];
        let text = refused(&c).2;
        assert!(text.contains("got 4294967396"), "{text}");
    }
}
