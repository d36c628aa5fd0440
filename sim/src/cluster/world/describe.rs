//! Events in words, for divergence reports ([`crate::trace`]): which source, function, shard,
//! migration, fault or change an event is about, read from the state just before it is handled.

use super::{Cluster, ClusterEvent};
use crate::trace::DescribeEvent;

impl DescribeEvent for Cluster {
    fn describe(&self, event: &ClusterEvent) -> String {
        let shard = |s: crate::cluster::ShardId| &self.topology.shards[s.index()].name;
        let invocation = |what: &str, inv: crate::cluster::InvocationId| {
            let i = &self.books.invocations[inv.index()];
            format!(
                "{what} {} (invocation {}) on shard {}",
                self.functions[i.function.index()].spec.name,
                inv.0,
                shard(i.shard)
            )
        };
        match *event {
            ClusterEvent::Arrival { source } => {
                format!(
                    "Arrival from source {}",
                    self.sources[source as usize].spec.name
                )
            }
            ClusterEvent::HawkesArrival { group } => {
                let g = &self.hawkes[group as usize];
                let member = self.hawkes_next[group as usize];
                let name = g.members.get(member).map_or("?", |(_, s)| s.name.as_str());
                format!("Hawkes arrival from source {name}")
            }
            ClusterEvent::Deliver { inv } => invocation("Deliver", inv),
            ClusterEvent::Finish { inv } => invocation("Finish", inv),
            ClusterEvent::MigrationReady { migration } => {
                let r = &self.migrations[migration as usize].record;
                format!(
                    "MigrationReady {} {} → {}",
                    self.functions[r.function.index()].spec.name,
                    shard(r.from),
                    shard(r.to)
                )
            }
            ClusterEvent::FaultStart { fault } => format!(
                "FaultStart {}",
                self.describe_fault(&self.faults[fault as usize].kind)
            ),
            ClusterEvent::FaultEnd { fault } => format!(
                "FaultEnd {}",
                self.describe_fault(&self.faults[fault as usize].kind)
            ),
            ClusterEvent::Monitor => "Monitor".to_owned(),
            ClusterEvent::Change { index } => format!("Change #{index}"),
        }
    }
}
