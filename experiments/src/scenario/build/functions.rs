//! `[[functions]]`: each declaration checked as the cluster will check it, with its placement,
//! routing override and launch time.

use std::collections::BTreeSet;
use std::sync::Arc;

use shardsim_sim::cluster::{
    Change, Emission, FunctionSpec, ProtocolId, Resources, RoutingPolicy, ScheduledChange,
    ServiceTime, ShardBy, ShardId, ShardSpec, Version, policy_by_name,
};
use shardsim_sim::{SimDuration, SimTime};

use crate::scenario::error::{Ctx, ScenarioError, allowed};
use crate::scenario::resolve::Resolver;
use crate::scenario::schema::{DistDef, FunctionDef, ServiceDef};

/// `[[functions]]`, split by when they are registered, with their routing overrides.
pub(super) struct Functions {
    pub(super) at_start: Vec<(FunctionSpec, Vec<ShardId>)>,
    pub(super) launches: Vec<ScheduledChange>,
    pub(super) routing_overrides: Vec<(String, Arc<dyn RoutingPolicy>)>,
}

pub(super) fn functions(
    ctx: &Ctx<'_>,
    names: &mut Resolver<'_>,
    defs: &[FunctionDef],
    shards: &[ShardSpec],
) -> Result<Functions, ScenarioError> {
    let mut out = Functions {
        at_start: Vec::new(),
        launches: Vec::new(),
        routing_overrides: Vec::new(),
    };
    let mut function_names = BTreeSet::new();
    for f in defs {
        if !function_names.insert(f.name.clone()) {
            return ctx.err(
                Some(f.handles.span()),
                "functions.name",
                format!("function `{}` is declared twice", f.name),
            );
        }
        let checked = function(ctx, names, f, shards)?;
        if let Some(policy) = checked.routing {
            out.routing_overrides.push((f.name.clone(), policy));
        }
        match f.launch_at {
            Some(at) => out.launches.push(ScheduledChange {
                at: SimTime::ZERO + at.0,
                change: Change::RegisterFunction {
                    spec: Box::new(checked.spec),
                    placement: checked.placement,
                },
            }),
            None => out.at_start.push((checked.spec, checked.placement)),
        }
    }
    Ok(out)
}

/// One `[[functions]]` entry, checked as the cluster will check it.
struct CheckedFunction {
    spec: FunctionSpec,
    placement: Vec<ShardId>,
    /// Its own routing policy, if it overrides the cluster's.
    routing: Option<Arc<dyn RoutingPolicy>>,
}

fn function(
    ctx: &Ctx<'_>,
    names: &mut Resolver<'_>,
    f: &FunctionDef,
    shards: &[ShardSpec],
) -> Result<CheckedFunction, ScenarioError> {
    let field = |k: &str| format!("functions.{}.{k}", f.name);
    let shard_by = names.shard_by(&f.shard_by, &field("shard_by"))?;
    if let ShardBy::Protocol(Some(p)) = shard_by
        && !protocol_served(p, shards)
    {
        return ctx.err(
            Some(f.shard_by.span()),
            &field("shard_by"),
            format!(
                "no shard serves protocol `{}`; protocols served: {}",
                names.protocols.name(u32::from(p.0)),
                allowed(names.served_protocols(shards))
            ),
        );
    }
    let mut placement = Vec::new();
    for p in &f.placement {
        placement.extend(names.placement(p, &field("placement"))?);
    }
    let routing = match &f.routing {
        Some(r) => {
            let name = names.routing_policy(r, &field("routing"))?;
            Some(policy_by_name(&name).expect("checked"))
        }
        None => None,
    };
    let service = service_time(&f.service);
    let emits = f
        .emits
        .iter()
        .map(|e| {
            Ok(Emission {
                event_type: names.handled_event(&e.event, &field("emits.event"))?,
                probability: e.probability,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let spec = FunctionSpec {
        name: f.name.clone(),
        handles: names.event_type(f.handles.get_ref()),
        shard_by,
        resources: Resources {
            cpu: f.cpu.into(),
            memory_mb: f.memory_mb,
            priority: f.priority.into(),
            timeout: f.timeout.0,
        },
        service,
        state_bytes: f.state_mb * 1024.0 * 1024.0,
        warmup: f.warmup.map_or(SimDuration::from_secs(1), |d| d.0),
        versions: f
            .versions
            .iter()
            .map(|v| Version {
                name: v.name.clone(),
                percent: v.percent,
                service_scale: v.service_scale,
            })
            .collect(),
        emits,
    };
    if let Err(e) = shardsim_sim::cluster::Function::new(spec.clone()) {
        let key = e.field().strip_prefix("resources.").unwrap_or(e.field());
        return ctx.err(None, &format!("functions.{}.{key}", f.name), e.to_string());
    }
    Ok(CheckedFunction {
        spec,
        placement,
        routing,
    })
}

fn protocol_served(p: ProtocolId, shards: &[ShardSpec]) -> bool {
    shards
        .iter()
        .any(|s| s.tags.protocols.contains(&p) || s.tags.secondary_protocols.contains(&p))
}

fn service_time(s: &ServiceDef) -> ServiceTime {
    match s.dist {
        DistDef::Constant => ServiceTime::Constant(s.mean.0),
        DistDef::Exponential => ServiceTime::Exponential(s.mean.0),
        DistDef::Lognormal => ServiceTime::LogNormal {
            mean: s.mean.0,
            cv: s.cv.unwrap_or(1.0),
        },
    }
}
