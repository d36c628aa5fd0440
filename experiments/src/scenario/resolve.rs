//! Names in a scenario file resolved to what the cluster uses: one resolver for every kind of
//! name (regions, exchanges, shards and shard groups, sources, profiles, event types, protocols,
//! routing policies, `shard_by` keys), so that an unknown name is reported the same way
//! everywhere: the line of the name, the field, and what is allowed.
//!
//! The resolver learns names as [`super::build`] declares them, section by section, so a section
//! can refer only to what the sections before it declared — the order of the file format.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use shardsim_sim::cluster::{
    EventTypeId, ExchangeId, Interner, POLICY_NAMES, PoissonSource, ProtocolId, RegionId, ShardBy,
    ShardId, ShardSpec, Topology,
};
use toml::Spanned;

use super::error::{Ctx, ScenarioError, allowed};
use super::schema::{DailyDef, ScenarioFile};

/// What `shard_by` accepts, for its error message.
const SHARD_BY: [&str; 9] = [
    "protocol",
    "protocol:NAME",
    "trading_pair",
    "user_id",
    "risk_level",
    "amount_range",
    "round_robin",
    "least_loaded",
    "region",
];

/// Daily profiles every file may name without declaring them.
const BUILT_IN_PROFILES: [&str; 2] = ["flat", "trading_day"];

/// A built-in daily profile, by name.
fn built_in_profile(name: &str) -> Option<Vec<f64>> {
    match name {
        "flat" => Some(vec![1.0; 24]),
        // Crypto trades around the clock but peaks with the US and European sessions.
        "trading_day" => Some(vec![
            0.7, 0.6, 0.55, 0.5, 0.5, 0.55, 0.65, 0.8, 1.0, 1.15, 1.25, 1.3, 1.35, 1.45, 1.6, 1.7,
            1.65, 1.5, 1.3, 1.15, 1.0, 0.9, 0.85, 0.75,
        ]),
        _ => None,
    }
}

/// Every name the file has declared so far, and the interned protocols and event types.
pub(super) struct Resolver<'a> {
    ctx: &'a Ctx<'a>,
    regions: Vec<String>,
    exchanges: Vec<String>,
    shards: Vec<String>,
    groups: BTreeMap<String, Vec<ShardId>>,
    sources: Vec<String>,
    /// Event types some function handles (sorted, as the error lists them).
    handled: BTreeSet<String>,
    profiles: &'a BTreeMap<String, Vec<f64>>,
    /// Protocols, interned in first-seen order: shard groups, then `shard_by`, then sources.
    pub(super) protocols: Interner,
    /// Event types, interned in first-seen order: sources' events, then each function's handled
    /// and emitted types.
    pub(super) event_types: Interner,
}

impl<'a> Resolver<'a> {
    /// A resolver for `raw` that knows its event types and profiles, and no topology yet.
    pub(super) fn new(ctx: &'a Ctx<'a>, raw: &'a ScenarioFile) -> Resolver<'a> {
        let mut event_types = Interner::default();
        for s in &raw.workload.sources {
            event_types.intern(s.event.get_ref());
        }
        for f in &raw.functions {
            event_types.intern(f.handles.get_ref());
            for e in &f.emits {
                event_types.intern(e.event.get_ref());
            }
        }
        Resolver {
            ctx,
            regions: Vec::new(),
            exchanges: Vec::new(),
            shards: Vec::new(),
            groups: BTreeMap::new(),
            sources: Vec::new(),
            handled: raw
                .functions
                .iter()
                .map(|f| f.handles.get_ref().clone())
                .collect(),
            profiles: &raw.workload.profiles,
            protocols: Interner::default(),
            event_types,
        }
    }

    /// Learns the regions, exchanges and shards `topology` declares.
    pub(super) fn learn_topology(&mut self, topology: &Topology) {
        self.regions = topology.regions.iter().map(|r| r.name.clone()).collect();
        self.exchanges = topology.exchanges.iter().map(|e| e.name.clone()).collect();
        self.shards = topology.shards.iter().map(|s| s.name.clone()).collect();
    }

    /// Learns the shard groups (a placement may name a group for all its shards).
    pub(super) fn learn_groups(&mut self, groups: BTreeMap<String, Vec<ShardId>>) {
        self.groups = groups;
    }

    /// Learns the sources (Hawkes groups name them).
    pub(super) fn learn_sources(&mut self, sources: &[PoissonSource]) {
        self.sources = sources.iter().map(|s| s.name.clone()).collect();
    }

    /// The error for a name that resolves to nothing: "unknown KIND `NAME`; HINT".
    fn unknown<T>(
        &self,
        kind: &str,
        name: &str,
        span: Range<usize>,
        field: &str,
        hint: String,
    ) -> Result<T, ScenarioError> {
        self.ctx.err(
            Some(span),
            field,
            format!("unknown {kind} `{name}`; {hint}"),
        )
    }

    /// The position of `name` in `names`, or the unknown-`kind` error with `hint`.
    fn position(
        &self,
        names: &[String],
        name: &Spanned<String>,
        field: &str,
        kind: &str,
        hint: impl FnOnce() -> String,
    ) -> Result<usize, ScenarioError> {
        match names.iter().position(|n| n == name.get_ref()) {
            Some(i) => Ok(i),
            None => self.unknown(kind, name.get_ref(), name.span(), field, hint()),
        }
    }

    /// A region by name.
    pub(super) fn region(
        &self,
        name: &Spanned<String>,
        field: &str,
    ) -> Result<RegionId, ScenarioError> {
        let i = self.position(&self.regions, name, field, "region", || {
            allowed(&self.regions)
        })?;
        Ok(RegionId(i as u16))
    }

    /// "allowed: …" for the regions.
    pub(super) fn allowed_regions(&self) -> String {
        allowed(&self.regions)
    }

    /// An exchange by name.
    pub(super) fn exchange(
        &self,
        name: &Spanned<String>,
        field: &str,
    ) -> Result<ExchangeId, ScenarioError> {
        let i = self.position(&self.exchanges, name, field, "exchange", || {
            allowed(&self.exchanges)
        })?;
        Ok(ExchangeId(i as u16))
    }

    /// A shard by its name (`GROUP` for a group of one, else `GROUP-00`, `GROUP-01`…).
    pub(super) fn shard(
        &self,
        name: &Spanned<String>,
        field: &str,
    ) -> Result<ShardId, ScenarioError> {
        let i = self.position(&self.shards, name, field, "shard", || {
            "shards are named after their group (`NAME` or `NAME-00`, `NAME-01`…)".to_owned()
        })?;
        Ok(ShardId(i as u32))
    }

    /// A placement entry: every shard of a group, or one shard.
    pub(super) fn placement(
        &self,
        name: &Spanned<String>,
        field: &str,
    ) -> Result<Vec<ShardId>, ScenarioError> {
        match self.groups.get(name.get_ref()) {
            Some(ids) => Ok(ids.clone()),
            None => Ok(vec![self.shard(name, field)?]),
        }
    }

    /// A source's position among the sources.
    pub(super) fn source(
        &self,
        name: &Spanned<String>,
        field: &str,
    ) -> Result<usize, ScenarioError> {
        self.position(&self.sources, name, field, "source", || {
            allowed(&self.sources)
        })
    }

    /// A daily profile: the values given, or a profile of the file's or a built-in one by name.
    pub(super) fn profile(
        &self,
        daily: &Spanned<DailyDef>,
        field: &str,
    ) -> Result<Vec<f64>, ScenarioError> {
        let name = match daily.get_ref() {
            DailyDef::Values(v) => return Ok(v.clone()),
            DailyDef::Named(name) => name,
        };
        match self
            .profiles
            .get(name)
            .cloned()
            .or_else(|| built_in_profile(name))
        {
            Some(v) => Ok(v),
            None => {
                let names = self
                    .profiles
                    .keys()
                    .map(String::as_str)
                    .chain(BUILT_IN_PROFILES);
                self.unknown("profile", name, daily.span(), field, allowed(names))
            }
        }
    }

    /// An event type some function handles (sources and emissions must name one).
    pub(super) fn handled_event(
        &self,
        event: &Spanned<String>,
        field: &str,
    ) -> Result<EventTypeId, ScenarioError> {
        if !self.handled.contains(event.get_ref()) {
            return self.ctx.err(
                Some(event.span()),
                field,
                format!(
                    "no function handles `{}`; handled event types: {}",
                    event.get_ref(),
                    allowed(&self.handled)
                ),
            );
        }
        Ok(self.event_type(event.get_ref()))
    }

    /// The id of an event type the file mentions (every one was interned up front).
    pub(super) fn event_type(&self, name: &str) -> EventTypeId {
        EventTypeId(self.event_types.get(name).expect("interned") as u16)
    }

    /// A protocol, interned on first mention.
    pub(super) fn protocol(&mut self, name: &str) -> ProtocolId {
        ProtocolId(self.protocols.intern(name) as u16)
    }

    /// The protocols some shard serves, sorted (for an error message).
    pub(super) fn served_protocols(&self, shards: &[ShardSpec]) -> Vec<String> {
        let mut out = BTreeSet::new();
        for s in shards {
            for p in s.tags.protocols.iter().chain(&s.tags.secondary_protocols) {
                out.insert(self.protocols.name(u32::from(p.0)).to_owned());
            }
        }
        out.into_iter().collect()
    }

    /// A routing policy name the cluster knows.
    pub(super) fn routing_policy(
        &self,
        name: &Spanned<String>,
        field: &str,
    ) -> Result<String, ScenarioError> {
        if POLICY_NAMES.contains(&name.get_ref().as_str()) {
            Ok(name.get_ref().clone())
        } else {
            self.unknown(
                "routing policy",
                name.get_ref(),
                name.span(),
                field,
                allowed(POLICY_NAMES),
            )
        }
    }

    /// A `shard_by` key; `protocol:NAME` interns the protocol.
    pub(super) fn shard_by(
        &mut self,
        text: &Spanned<String>,
        field: &str,
    ) -> Result<ShardBy, ScenarioError> {
        let t = text.get_ref().as_str();
        Ok(match t {
            "protocol" => ShardBy::Protocol(None),
            "trading_pair" => ShardBy::TradingPair,
            "user_id" => ShardBy::UserId,
            "risk_level" => ShardBy::RiskLevel,
            "amount_range" => ShardBy::AmountRange,
            "round_robin" => ShardBy::RoundRobin,
            "least_loaded" => ShardBy::LeastLoaded,
            "region" | "exchange" => ShardBy::Region,
            _ => match t.strip_prefix("protocol:") {
                Some(p) if !p.is_empty() => ShardBy::Protocol(Some(self.protocol(p))),
                _ => return self.unknown("shard_by", t, text.span(), field, allowed(SHARD_BY)),
            },
        })
    }
}
