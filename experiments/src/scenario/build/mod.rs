//! A parsed scenario file checked and converted into a [`ClusterConfig`], one function per
//! section in the order of the file format: each section resolves the names it uses through the
//! [`Resolver`] and declares its own for the sections after it. The first problem found is the
//! error, with the line of the offending value where there is one.
//!
//! ```text
//! topology    [network], [[exchanges]], [[shards]], [[faults]]
//! functions   [[functions]]
//! workload    [[workload.sources]], [[workload.hawkes]], [workload.regime]
//! market      [market] (and each source's `market` exposure, converted with its source)
//! ```
//!
//! The smaller tables (`[breaker]`, `[selection]`, `[monitor]`) are converted here.

mod cluster_check;
mod functions;
mod market;
mod topology;
mod workload;

use shardsim_sim::cluster::{BreakerConfig, ClusterConfig, MonitorConfig, SelectionWeights};
use shardsim_sim::hash::stable_hash;
use shardsim_sim::{SimDuration, SimTime};

use super::Scenario;
use super::error::{Ctx, ScenarioError};
use super::resolve::Resolver;
use super::schema::{BreakerDef, Meta, MonitorDef, ScenarioFile, SelectionDef};
use cluster_check::check_with_cluster;
use functions::functions;
use topology::{exchanges, faults, network, shards};
use workload::{hawkes, regime, sources};

/// Checks `raw` and builds the scenario it describes.
pub(super) fn build(ctx: &Ctx<'_>, raw: ScenarioFile) -> Result<Scenario, ScenarioError> {
    let mut names = Resolver::new(ctx, &raw);
    let meta = &raw.scenario;
    scenario_name(ctx, &meta.name)?;
    let metrics_interval = timing(ctx, meta)?;
    let routing = match &meta.routing {
        Some(r) => names.routing_policy(r, "scenario.routing")?,
        None => "declared".to_owned(),
    };
    let mut topology = network(ctx, raw.network.as_ref())?;
    names.learn_topology(&topology);
    exchanges(
        ctx,
        &names,
        raw.exchanges.as_deref(),
        raw.network.is_some(),
        &mut topology,
    )?;
    names.learn_topology(&topology);
    let groups = shards(ctx, &mut names, &raw.shards, &mut topology)?;
    names.learn_topology(&topology);
    names.learn_groups(groups.clone());
    let functions = functions(ctx, &mut names, &raw.functions, &topology.shards)?;
    let sources = sources(ctx, &mut names, &raw.workload.sources)?;
    names.learn_sources(&sources);
    let hawkes = hawkes(ctx, &names, &raw.workload.hawkes)?;
    let faults = faults(ctx, &names, &raw.faults)?;
    faults_inside_the_run(ctx, &faults, meta.duration.0)?;

    let mut config = ClusterConfig::new(topology);
    config.functions = functions.at_start;
    config.sources = sources;
    config.hawkes = hawkes;
    config.faults = faults;
    config.changes = functions.launches;
    config.routing_overrides = functions.routing_overrides;
    config.metrics_interval = metrics_interval;
    config.arrivals_until = SimTime::ZERO + meta.duration.0;
    config.regime = regime(raw.workload.regime.as_ref());
    if let Some(m) = &raw.market {
        config.market = Some(market::market(&names, m)?);
    }
    if let Some(b) = &raw.breaker {
        config.breaker = breaker(b);
    }
    if let Some(weights) = &raw.selection {
        config.selection = selection(weights.get_ref());
    }
    if let Some(m) = &raw.monitor {
        config.monitor = Some(monitor(m));
    }
    check_with_cluster(ctx, &config, &groups)?;
    let shaped_on = shaped_on(ctx, meta.shaped_on.as_ref())?;
    Ok(Scenario {
        name: meta.name.clone(),
        description: meta.description.clone(),
        duration: meta.duration.0,
        metrics_interval,
        default_seed: meta.seed.unwrap_or(1),
        routing,
        shaped_on,
        hash: stable_hash(ctx.text.as_bytes()),
        origin: ctx.file.to_owned(),
        config,
        event_types: names.event_types,
    })
}

/// `[scenario] shaped_on`: each a known episode, once.
fn shaped_on(
    ctx: &Ctx<'_>,
    def: Option<&toml::Spanned<Vec<String>>>,
) -> Result<Vec<String>, ScenarioError> {
    let Some(def) = def else {
        return Ok(Vec::new());
    };
    let known = crate::facts::published::EPISODES;
    for (i, id) in def.get_ref().iter().enumerate() {
        if !known.iter().any(|(k, _)| k == id) {
            let allowed: Vec<String> = known
                .iter()
                .map(|(k, what)| format!("`{k}` ({what})"))
                .collect();
            return ctx.err(
                Some(def.span()),
                "scenario.shaped_on",
                format!(
                    "unknown episode `{id}`: the published episodes are {}",
                    allowed.join(", ")
                ),
            );
        }
        if def.get_ref()[..i].contains(id) {
            return ctx.err(
                Some(def.span()),
                "scenario.shaped_on",
                format!("`{id}` is named twice: name each episode once"),
            );
        }
    }
    Ok(def.get_ref().clone())
}

/// `[scenario]`'s name becomes part of result paths (`results/run-NAME-seed1`), so it may only
/// hold characters that are safe in one path component.
fn scenario_name(ctx: &Ctx<'_>, name: &str) -> Result<(), ScenarioError> {
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if name.is_empty() || name.len() > 64 || !name.chars().all(safe) || name.starts_with('.') {
        return ctx.err(
            None,
            "scenario.name",
            format!(
                "`{name}` cannot name result directories: use 1 to 64 letters, digits, `_`, `-` or `.` (not first)"
            ),
        );
    }
    Ok(())
}

/// `[scenario]`'s durations; returns the metrics interval.
fn timing(ctx: &Ctx<'_>, meta: &Meta) -> Result<SimDuration, ScenarioError> {
    if meta.duration.0 == SimDuration::ZERO {
        return ctx.err(None, "scenario.duration", "must be positive");
    }
    // The cluster checks that it is positive.
    Ok(meta
        .metrics_interval
        .map_or(SimDuration::from_mins(1), |d| d.0))
}

/// A fault must start before the arrivals end: after it, it would strike an idle cluster in
/// the drain (and keep the clock running until it ends).
fn faults_inside_the_run(
    ctx: &Ctx<'_>,
    faults: &[shardsim_sim::cluster::Fault],
    duration: SimDuration,
) -> Result<(), ScenarioError> {
    let hours = |d: SimDuration| d.as_secs_f64() / 3600.0;
    for (i, f) in faults.iter().enumerate() {
        let at = f.at.saturating_duration_since(SimTime::ZERO);
        if at >= duration {
            return ctx.err(
                None,
                &format!("faults[{i}].at"),
                format!(
                    "fault #{i} starts at {:.3} h, at or after the run ends ({:.3} h, `scenario.duration`): start it before the end",
                    hours(at),
                    hours(duration)
                ),
            );
        }
    }
    Ok(())
}

/// `[breaker]`.
fn breaker(b: &BreakerDef) -> BreakerConfig {
    BreakerConfig {
        failure_threshold: b.failure_threshold.max(1),
        cooldown: b.cooldown.0,
    }
}

/// `[selection]` (the cluster checks the weights).
fn selection(def: &SelectionDef) -> SelectionWeights {
    SelectionWeights {
        load: def.load,
        resources: def.resources,
        priority: def.priority,
        affinity: def.affinity,
    }
}

/// `[monitor]`.
fn monitor(m: &MonitorDef) -> MonitorConfig {
    MonitorConfig {
        interval: m.interval.0,
        slow_factor: m.slow_factor,
        min_executions: m.min_executions,
        demotion: m.demotion.0,
    }
}
