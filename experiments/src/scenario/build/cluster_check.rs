//! The cluster's own checks ([`ClusterConfig::validate`]: rates, profiles, Hawkes stationarity,
//! service parameters, references…), made once, and reported at the line of the file that
//! declares the item they are about.

use std::collections::BTreeMap;

use shardsim_sim::cluster::{Change, ClusterConfig, ConfigItem, ShardId};

use crate::scenario::error::{Ctx, ScenarioError};

/// Runs the cluster's checks on `config`; `groups` are the `[[shards]]` groups by name.
pub(super) fn check_with_cluster(
    ctx: &Ctx<'_>,
    config: &ClusterConfig,
    groups: &BTreeMap<String, Vec<ShardId>>,
) -> Result<(), ScenarioError> {
    let Err(e) = config.validate() else {
        return Ok(());
    };
    let field = match e.item() {
        Some(item) => file_field(config, groups, item, e.field()),
        None => String::new(),
    };
    ctx.err(None, &field, e.cause().to_string())
}

/// The dotted path, in the file's terms, of `field` of `item` (see `Ctx::locate`).
fn file_field(
    config: &ClusterConfig,
    groups: &BTreeMap<String, Vec<ShardId>>,
    item: ConfigItem,
    field: Option<&str>,
) -> String {
    let field = field.unwrap_or("");
    let join = |table: String, key: &str| {
        if key.is_empty() {
            table
        } else {
            format!("{table}.{key}")
        }
    };
    let t = &config.topology;
    match item {
        ConfigItem::Topology => "network.rtt_ms".to_owned(),
        ConfigItem::Exchange(i) => join(format!("exchanges.{}", t.exchanges[i].name), "region"),
        ConfigItem::Shard(i) => {
            let group = groups
                .iter()
                .find(|(_, ids)| ids.contains(&ShardId(i as u32)))
                .map_or_else(|| t.shards[i].name.clone(), |(g, _)| g.clone());
            let key = if field == "region" { "regions" } else { field };
            join(format!("shards.{group}"), key)
        }
        ConfigItem::Selection => "selection".to_owned(),
        ConfigItem::Monitor => join("monitor".to_owned(), field),
        ConfigItem::MetricsInterval => "scenario.metrics_interval".to_owned(),
        ConfigItem::Function(i) => {
            let key = field.strip_prefix("resources.").unwrap_or(field);
            join(format!("functions.{}", config.functions[i].0.name), key)
        }
        ConfigItem::Change(i) => match &config.changes[i].change {
            Change::RegisterFunction { spec, .. } => {
                let key = match field {
                    "at" => "launch_at",
                    other => other.strip_prefix("resources.").unwrap_or(other),
                };
                join(format!("functions.{}", spec.name), key)
            }
            _ => format!("changes[{i}]"),
        },
        ConfigItem::RoutingOverride(i) => {
            format!("functions.{}.routing", config.routing_overrides[i].0)
        }
        ConfigItem::Source(i) => {
            let key = match field {
                "rate_per_sec" => "rate",
                f => f.strip_prefix("shape.").unwrap_or(f),
            };
            join(format!("workload.sources.{}", config.sources[i].name), key)
        }
        ConfigItem::Regime => {
            let key = field.strip_prefix("episode.").unwrap_or(field);
            join("workload.regime".to_owned(), key)
        }
        ConfigItem::Hawkes(i) => {
            let key = match field {
                "members" => "sources",
                other => other,
            };
            join(format!("workload.hawkes.{}", config.hawkes[i].name), key)
        }
        ConfigItem::Market => join("market".to_owned(), field),
        ConfigItem::CalendarEvent(i) => join(format!("market.calendar[{i}]"), field),
        ConfigItem::Venue(i) => join(format!("market.venues[{i}]"), field),
        ConfigItem::Fault(i) => join(format!("faults[{i}]"), field),
        ConfigItem::Duration => "scenario.duration".to_owned(),
        ConfigItem::Breaker => join("breaker".to_owned(), field),
    }
}
