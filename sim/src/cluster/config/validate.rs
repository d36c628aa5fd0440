//! Every check a configuration must pass before a run, in one place: [`ClusterConfig::validate`].
//!
//! The checks run in the order `Cluster::simulation` always made them (topology, selection
//! weights, monitor, metrics interval, functions, sources, faults, regime, market (`market.rs`),
//! Hawkes groups, routing overrides, changes), so the first error reported for a bad configuration stays the same. Each
//! error names the declared item it is about ([`ClusterError::item`]) and, where one field is at
//! fault, that field ([`ClusterError::field`]).

use std::collections::BTreeSet;

use crate::cluster::config::ClusterConfig;
use crate::cluster::spec::error::{ClusterError, ConfigItem};
use crate::cluster::spec::faults::{Fault, FaultKind};
use crate::cluster::spec::function::{Function, FunctionSpec};
use crate::cluster::spec::settings::Change;
use crate::cluster::spec::topology::Topology;
use crate::cluster::spec::workload::{
    HawkesGroup, PoissonSource, RegimeConfig, SourceError, spectral_radius, validate_shape,
};
use crate::time::SimDuration;

impl ClusterConfig {
    /// Checks the whole configuration without building anything: `Ok` exactly when
    /// `Cluster::simulation` would accept it, else the error it would report.
    pub fn validate(&self) -> Result<(), ClusterError> {
        validate_topology(&self.topology)?;
        self.selection
            .validate()
            .map_err(|e| e.at(ConfigItem::Selection, None))?;
        if let Some(m) = &self.monitor
            && (m.interval == SimDuration::ZERO
                || !(m.slow_factor.is_finite() && m.slow_factor > 0.0))
        {
            let field = if m.interval == SimDuration::ZERO {
                "interval"
            } else {
                "slow_factor"
            };
            return Err(ClusterError::Invalid(
                "monitor: interval must be > 0 and slow_factor > 0".into(),
            )
            .at(ConfigItem::Monitor, Some(field)));
        }
        if self.metrics_interval == SimDuration::ZERO {
            return Err(ClusterError::Invalid("metrics interval must be > 0".into())
                .at(ConfigItem::MetricsInterval, None));
        }
        self.validate_functions()?;
        self.validate_sources()?;
        for (i, fault) in self.faults.iter().enumerate() {
            validate_fault(&self.topology, i, fault)?;
        }
        if let Some(r) = &self.regime {
            validate_regime(r)?;
        }
        self.validate_market()?;
        self.validate_hawkes()?;
        self.validate_overrides()?;
        for (i, change) in self.changes.iter().enumerate() {
            self.validate_change(i, &change.change)?;
        }
        self.validate_limits()
    }

    /// The checks `Cluster::register_function` makes, for each declared function in turn.
    fn validate_functions(&self) -> Result<(), ClusterError> {
        let shards = self.topology.shards.len();
        for (i, (spec, placement)) in self.functions.iter().enumerate() {
            let at = |field| ConfigItem::Function(i).with(field);
            if self.functions[..i].iter().any(|(f, _)| f.name == spec.name) {
                return Err(duplicate_function(spec).at_item(at(Some("name"))));
            }
            check_placement(spec, placement, shards)
                .map_err(|e| e.at_item(at(Some("placement"))))?;
            Function::new(spec.clone()).map_err(|e| {
                let field = e.field();
                ClusterError::from(e).at_item(at(Some(field)))
            })?;
            check_fits_a_shard(spec, placement, &self.topology)
                .map_err(|e| e.at_item(at(Some("resources.memory_mb"))))?;
        }
        Ok(())
    }

    fn validate_sources(&self) -> Result<(), ClusterError> {
        let exchanges = self.topology.exchanges.len();
        let mut seen_names = BTreeSet::new();
        for (i, spec) in self.sources.iter().enumerate() {
            let item = ConfigItem::Source(i);
            if spec.exchange.index() >= exchanges {
                return Err(ClusterError::OutOfRange {
                    what: format!("source `{}`", spec.name),
                    kind: "exchange",
                    index: spec.exchange.index(),
                    count: exchanges,
                }
                .at(item, Some("exchange")));
            }
            if !seen_names.insert(spec.name.clone()) {
                return Err(ClusterError::Invalid(format!(
                    "two sources are named `{}`: names key the random streams and must be unique",
                    spec.name
                ))
                .at(item, Some("name")));
            }
            validate_source(spec)
                .map_err(|(field, e)| ClusterError::from(e).at(item, Some(field)))?;
        }
        Ok(())
    }

    /// Membership (each source in at most one group, every member a source) and each group's
    /// own parameters, group by group.
    fn validate_hawkes(&self) -> Result<(), ClusterError> {
        let mut in_group = vec![false; self.sources.len()];
        for (g, group) in self.hawkes.iter().enumerate() {
            let item = ConfigItem::Hawkes(g);
            for &m in &group.members {
                match in_group.get_mut(m) {
                    Some(taken) if !*taken => *taken = true,
                    Some(_) => {
                        return Err(ClusterError::Invalid(format!(
                            "source `{}` belongs to more than one Hawkes group",
                            self.sources[m].name
                        ))
                        .at(item, Some("members")));
                    }
                    None => {
                        return Err(ClusterError::OutOfRange {
                            what: format!("Hawkes group `{}`", group.name),
                            kind: "source",
                            index: m,
                            count: self.sources.len(),
                        }
                        .at(item, Some("members")));
                    }
                }
            }
            validate_hawkes_group(group, &self.sources)
                .map_err(|(field, e)| ClusterError::from(e).at(item, Some(field)))?;
        }
        Ok(())
    }

    /// Each override names a declared function, or one a change launches later.
    fn validate_overrides(&self) -> Result<(), ClusterError> {
        for (i, (name, _)) in self.routing_overrides.iter().enumerate() {
            let declared = self.functions.iter().any(|(f, _)| &f.name == name);
            if !declared && !self.launched().any(|l| l == name) {
                return Err(ClusterError::Invalid(format!(
                    "routing override for `{name}`, which is not a declared function"
                ))
                .at(ConfigItem::RoutingOverride(i), Some("function")));
            }
        }
        Ok(())
    }

    /// Names of the functions the configured changes register.
    pub(crate) fn launched(&self) -> impl Iterator<Item = &String> {
        self.changes.iter().filter_map(|c| match &c.change {
            Change::RegisterFunction { spec, .. } => Some(&spec.name),
            _ => None,
        })
    }

    fn validate_change(&self, i: usize, change: &Change) -> Result<(), ClusterError> {
        let shards = self.topology.shards.len();
        let at = |field| ConfigItem::Change(i).with(Some(field));
        match change {
            Change::RegisterFunction { spec, placement } => {
                Function::new((**spec).clone()).map_err(|e| {
                    let field = e.field();
                    ClusterError::from(e).at_item(at(field))
                })?;
                if let Some(s) = placement.iter().find(|s| s.index() >= shards) {
                    return Err(ClusterError::OutOfRange {
                        what: format!("change #{i} (launch of `{}`)", spec.name),
                        kind: "shard",
                        index: s.index(),
                        count: shards,
                    }
                    .at_item(at("placement")));
                }
                Ok(())
            }
            Change::TrafficSplit { function, versions } => {
                let (spec, _) = self.functions.get(function.index()).ok_or_else(|| {
                    ClusterError::OutOfRange {
                        what: format!("change #{i}"),
                        kind: "function",
                        index: function.index(),
                        count: self.functions.len(),
                    }
                    .at_item(at("function"))
                })?;
                let mut spec = spec.clone();
                spec.versions = versions.clone();
                Function::new(spec).map_err(|e| ClusterError::from(e).at_item(at("versions")))?;
                Ok(())
            }
            Change::ShardLimits { shard, .. } if shard.index() >= shards => {
                Err(ClusterError::OutOfRange {
                    what: format!("change #{i}"),
                    kind: "shard",
                    index: shard.index(),
                    count: shards,
                }
                .at_item(at("shard")))
            }
            Change::ShardLimits { .. } => Ok(()),
        }
    }
}

/// Refusal of a second function of the same name.
pub(crate) fn duplicate_function(spec: &FunctionSpec) -> ClusterError {
    ClusterError::Invalid(format!("function `{}` is declared twice", spec.name))
}

/// A placement must name existing shards.
pub(crate) fn check_placement(
    spec: &FunctionSpec,
    placement: &[crate::cluster::ids::ShardId],
    shards: usize,
) -> Result<(), ClusterError> {
    for s in placement {
        if s.index() >= shards {
            return Err(ClusterError::OutOfRange {
                what: format!("placement of function `{}`", spec.name),
                kind: "shard",
                index: s.index(),
                count: shards,
            });
        }
    }
    Ok(())
}

/// A function's memory must fit the largest shard it may be placed on (all shards when its
/// placement is empty): otherwise every invocation would be silently clamped to the shard.
fn check_fits_a_shard(
    spec: &FunctionSpec,
    placement: &[crate::cluster::ids::ShardId],
    t: &Topology,
) -> Result<(), ClusterError> {
    let candidates: Vec<usize> = if placement.is_empty() {
        (0..t.shards.len()).collect()
    } else {
        placement.iter().map(|s| s.index()).collect()
    };
    let Some(largest) = candidates
        .into_iter()
        .map(|i| &t.shards[i])
        .max_by_key(|s| s.memory_mb)
    else {
        return Ok(());
    };
    if spec.resources.memory_mb > largest.memory_mb {
        return Err(ClusterError::Invalid(format!(
            "function `{}` needs {} MiB per invocation, more than the largest shard it may run on (`{}`, {} MiB); lower memory_mb or place it on larger shards",
            spec.name, spec.resources.memory_mb, largest.name, largest.memory_mb
        )));
    }
    Ok(())
}

fn validate_topology(t: &Topology) -> Result<(), ClusterError> {
    if t.network.regions() != t.regions.len() {
        return Err(ClusterError::Invalid(format!(
            "the RTT matrix covers {} regions but {} are declared",
            t.network.regions(),
            t.regions.len()
        ))
        .at(ConfigItem::Topology, Some("network")));
    }
    for (i, e) in t.exchanges.iter().enumerate() {
        if e.home.index() >= t.regions.len() {
            return Err(ClusterError::OutOfRange {
                what: format!("exchange `{}` (#{i})", e.name),
                kind: "region",
                index: e.home.index(),
                count: t.regions.len(),
            }
            .at(ConfigItem::Exchange(i), Some("home")));
        }
    }
    for (i, s) in t.shards.iter().enumerate() {
        if s.region.index() >= t.regions.len() {
            return Err(ClusterError::OutOfRange {
                what: format!("shard `{}`", s.name),
                kind: "region",
                index: s.region.index(),
                count: t.regions.len(),
            }
            .at(ConfigItem::Shard(i), Some("region")));
        }
        if s.cpu_slots == 0 || !(s.speed.is_finite() && s.speed > 0.0) {
            let field = if s.cpu_slots == 0 {
                "cpu_slots"
            } else {
                "speed"
            };
            return Err(ClusterError::Invalid(format!(
                "shard `{}`: cpu_slots must be >= 1 and speed > 0",
                s.name
            ))
            .at(ConfigItem::Shard(i), Some(field)));
        }
    }
    Ok(())
}

fn validate_fault(t: &Topology, i: usize, fault: &Fault) -> Result<(), ClusterError> {
    let item = ConfigItem::Fault(i);
    let what = || format!("fault #{i}");
    let check = |kind, index: usize, count: usize| {
        if index >= count {
            Err(ClusterError::OutOfRange {
                what: what(),
                kind,
                index,
                count,
            }
            .at(item, Some(kind)))
        } else {
            Ok(())
        }
    };
    match fault.kind {
        FaultKind::Crash { shard } => check("shard", shard.index(), t.shards.len()),
        FaultKind::Slowdown { shard, factor } => {
            check("shard", shard.index(), t.shards.len())?;
            if !(factor.is_finite() && factor > 0.0) {
                return Err(ClusterError::Invalid(format!(
                    "{}: slowdown factor must be > 0 (got {factor})",
                    what()
                ))
                .at(item, Some("factor")));
            }
            Ok(())
        }
        FaultKind::Partition { region } => check("region", region.index(), t.regions.len()),
        FaultKind::ExchangeLatencySpike { exchange, .. } => {
            check("exchange", exchange.index(), t.exchanges.len())
        }
    }
}

fn validate_regime(r: &RegimeConfig) -> Result<(), ClusterError> {
    let (field, problem) = if !(r.volatile_multiplier.is_finite() && r.volatile_multiplier > 0.0) {
        (
            "volatile_multiplier",
            format!("must be finite and > 0 (got {})", r.volatile_multiplier),
        )
    } else if r.calm_mean == SimDuration::ZERO {
        ("calm_mean", "must be positive".to_owned())
    } else if r.volatile_mean == SimDuration::ZERO {
        ("volatile_mean", "must be positive".to_owned())
    } else if r.episode.half_life == Some(SimDuration::ZERO) {
        (
            "episode.half_life",
            "must be positive; leave it out for episodes that do not decay".to_owned(),
        )
    } else {
        return Ok(());
    };
    let name = field.strip_prefix("episode.").unwrap_or(field);
    Err(ClusterError::Invalid(format!("regime: {name} {problem}"))
        .at(ConfigItem::Regime, Some(field)))
}

/// A source's own parameters: its rate shape, then its trade sizes.
fn validate_source(spec: &PoissonSource) -> Result<(), (&'static str, SourceError)> {
    validate_shape(&spec.name, spec.rate_per_sec, &spec.shape)?;
    if !(spec.trade_size.min_usd > 0.0 && spec.trade_size.shape > 0.0) {
        return Err((
            "trade_size",
            SourceError {
                source_name: spec.name.clone(),
                problem: "trade size needs min_usd > 0 and shape > 0".into(),
            },
        ));
    }
    Ok(())
}

/// A Hawkes group's own parameters: members, an excitation matrix of their size with a branching
/// ratio below 1, a decay, and sampleable member sources.
pub(crate) fn validate_hawkes_group(
    group: &HawkesGroup,
    sources: &[PoissonSource],
) -> Result<(), (&'static str, SourceError)> {
    let err = |field, problem: String| {
        (
            field,
            SourceError {
                source_name: group.name.clone(),
                problem,
            },
        )
    };
    let n = group.members.len();
    if n == 0 {
        return Err(err(
            "members",
            "a Hawkes group needs at least one member".into(),
        ));
    }
    if group.excitation.len() != n || group.excitation.iter().any(|r| r.len() != n) {
        return Err(err(
            "excitation",
            format!("excitation must be a {n}×{n} matrix (one row and column per member)"),
        ));
    }
    if group
        .excitation
        .iter()
        .flatten()
        .any(|x| !(x.is_finite() && *x >= 0.0))
    {
        return Err(err(
            "excitation",
            "excitation values must be finite and >= 0".into(),
        ));
    }
    let radius = spectral_radius(&group.excitation);
    if radius >= 1.0 {
        return Err(err(
            "excitation",
            format!(
                "branching ratio (spectral radius of excitation) is {radius:.3}; it must be < 1 or the process explodes"
            ),
        ));
    }
    if group.decay == SimDuration::ZERO {
        return Err(err("decay", "decay must be > 0".into()));
    }
    for &m in &group.members {
        let spec = sources
            .get(m)
            .ok_or_else(|| err("members", format!("member {m} is not a source")))?;
        validate_shape(&spec.name, spec.rate_per_sec, &spec.shape)
            .map_err(|(_, e)| ("members", e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::cluster::*;
    use crate::testkit;
    use crate::time::SimDuration;

    use crate::testkit::refusal as refused;

    #[test]
    fn a_valid_configuration_passes() {
        assert_eq!(testkit::small_config().validate(), Ok(()));
    }

    #[test]
    fn errors_name_the_item_and_field_with_the_old_text() {
        let mut c = testkit::small_config();
        c.topology.shards[1].speed = 0.0;
        assert_eq!(
            refused(&c),
            (
                Some(ConfigItem::Shard(1)),
                Some("speed"),
                "shard `b`: cpu_slots must be >= 1 and speed > 0".into()
            )
        );

        let mut c = testkit::small_config();
        c.functions.push((testkit::function("f"), vec![]));
        assert_eq!(
            refused(&c),
            (
                Some(ConfigItem::Function(1)),
                Some("name"),
                "function `f` is declared twice".into()
            )
        );

        let mut c = testkit::small_config();
        c.sources[0].shape.weekly = vec![1.0; 6];
        assert_eq!(
            refused(&c),
            (
                Some(ConfigItem::Source(0)),
                Some("shape.weekly"),
                "source `s`: weekly profile needs 7 daily values (got 6)".into()
            )
        );

        let mut c = testkit::small_config();
        c.hawkes.push(HawkesGroup {
            name: "boom".into(),
            members: vec![0],
            decay: SimDuration::from_secs(1),
            excitation: vec![vec![1.2]],
        });
        let (item, field, text) = refused(&c);
        assert_eq!(
            (item, field),
            (Some(ConfigItem::Hawkes(0)), Some("excitation"))
        );
        assert!(text.contains("branching ratio"), "{text}");

        // Periodic: each member only excites the other. Power iteration used to report 0.60.
        let mut c = testkit::small_config();
        c.sources.push(testkit::source("s2", 0, 10.0));
        c.hawkes.push(HawkesGroup {
            name: "ping-pong".into(),
            members: vec![0, 1],
            decay: SimDuration::from_secs(1),
            excitation: vec![vec![0.0, 2.0], vec![0.6, 0.0]],
        });
        let text = refused(&c).2;
        assert!(text.contains("is 1.095"), "{text}");

        let mut c = testkit::small_config();
        c.routing_overrides
            .push(("nobody".into(), std::sync::Arc::new(LeastLoaded)));
        assert_eq!(refused(&c).0, Some(ConfigItem::RoutingOverride(0)));
    }

    #[test]
    fn the_first_error_is_the_one_the_checks_meet_first() {
        let mut c = testkit::small_config();
        c.sources[0].rate_per_sec = -1.0; // a source error…
        c.metrics_interval = SimDuration::ZERO; // …comes after the metrics interval's
        assert_eq!(refused(&c).0, Some(ConfigItem::MetricsInterval));
    }
}
