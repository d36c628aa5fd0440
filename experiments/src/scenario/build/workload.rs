//! The workload: `[[workload.sources]]`, the `[[workload.hawkes]]` groups that make them
//! self-exciting, and the `[workload.regime]` of calm and volatile spells.

use std::collections::BTreeSet;

use shardsim_sim::cluster::{
    EpisodeShape, HawkesGroup, PoissonSource, RateShape, RegimeConfig, TradeSize,
};
use shardsim_sim::{SimDuration, SimTime};
use toml::Spanned;

use crate::scenario::error::{Ctx, ScenarioError};
use crate::scenario::resolve::Resolver;
use crate::scenario::schema::{HawkesDef, RegimeDef, RegimeStart, SourceDef};

/// `[[workload.sources]]`.
pub(super) fn sources(
    ctx: &Ctx<'_>,
    names: &mut Resolver<'_>,
    defs: &[SourceDef],
) -> Result<Vec<PoissonSource>, ScenarioError> {
    let mut sources = Vec::new();
    let mut source_names = BTreeSet::new();
    for s in defs {
        if !source_names.insert(s.name.clone()) {
            return ctx.err(
                Some(s.event.span()),
                "workload.sources.name",
                format!("source `{}` is declared twice", s.name),
            );
        }
        sources.push(source(names, s)?);
    }
    Ok(sources)
}

fn source(names: &mut Resolver<'_>, s: &SourceDef) -> Result<PoissonSource, ScenarioError> {
    let field = |k: &str| format!("workload.sources.{}.{k}", s.name);
    let event_type = names.handled_event(&s.event, &field("event"))?;
    let exchange = names.exchange(&s.exchange, &field("exchange"))?;
    let daily = match &s.daily {
        None => Vec::new(),
        Some(d) => names.profile(d, &field("daily"))?,
    };
    let trade = s.trade_size.as_ref().map_or(
        TradeSize {
            min_usd: 100.0,
            shape: 1.5,
        },
        |t| TradeSize {
            min_usd: t.min_usd,
            shape: t.shape,
        },
    );
    let protocol = s.protocol.as_ref().map(|p| names.protocol(p));
    Ok(PoissonSource {
        name: s.name.clone(),
        event_type,
        exchange,
        rate_per_sec: s.rate,
        protocol,
        risk: s.risk.into(),
        urgency: s.urgency.into(),
        trading_pairs: s.trading_pairs,
        users: s.users,
        trade_size: trade,
        shape: RateShape {
            daily,
            weekly: s.weekly.clone().unwrap_or_default(),
            regime_sensitive: s.regime_sensitive,
            starts_at: SimTime::ZERO + s.starts_at.map_or(SimDuration::ZERO, |d| d.0),
            ramp: s.ramp.map_or(SimDuration::ZERO, |d| d.0),
            market: s.market.as_ref().map(super::market::exposure),
        },
    })
}

/// `[[workload.hawkes]]`: groups of sources that excite each other.
pub(super) fn hawkes(
    ctx: &Ctx<'_>,
    names: &Resolver<'_>,
    defs: &[Spanned<HawkesDef>],
) -> Result<Vec<HawkesGroup>, ScenarioError> {
    let mut hawkes = Vec::new();
    for h in defs {
        let span = h.span();
        let h = h.get_ref();
        let members = h
            .sources
            .iter()
            .map(|m| names.source(m, &format!("workload.hawkes.{}.sources", h.name)))
            .collect::<Result<Vec<_>, _>>()?;
        let n = members.len();
        let excitation = match (&h.excitation, h.self_excitation, h.cross_excitation) {
            (Some(m), _, _) => m.clone(),
            (None, Some(a), c) => (0..n)
                .map(|i| {
                    (0..n)
                        .map(|j| if i == j { a } else { c.unwrap_or(0.0) })
                        .collect()
                })
                .collect(),
            (None, None, _) => {
                return ctx.err(Some(span), &format!("workload.hawkes.{}", h.name), "give `excitation` (a matrix) or `self_excitation` (and optionally `cross_excitation`)");
            }
        };
        hawkes.push(HawkesGroup {
            name: h.name.clone(),
            members,
            decay: h.decay.0,
            excitation,
        });
    }
    Ok(hawkes)
}

/// `[workload.regime]`: calm and volatile spells, with the shape of a volatile episode.
/// The cluster checks the means, the multiplier and the half-life.
pub(super) fn regime(def: Option<&RegimeDef>) -> Option<RegimeConfig> {
    def.map(|r| RegimeConfig {
        calm_mean: r.calm_mean.0,
        volatile_mean: r.volatile_mean.0,
        volatile_multiplier: r.volatile_multiplier,
        start_volatile: matches!(r.start, RegimeStart::Volatile),
        episode: EpisodeShape {
            onset: r.onset.map_or(SimDuration::ZERO, |d| d.0),
            half_life: r.half_life.as_ref().map(|h| h.get_ref().0),
        },
    })
}
