//! The example `scenarios/macro_day.toml`: its `[market]` section becomes the market world it
//! declares (CPI at 12:30 and FOMC at 18:00 UTC, funding at 00/08/16 UTC), its exposed sources
//! surge around the releases, and a shortened run meters the feed on every venue.

use shardsim::scenario::Scenario;
use shardsim_sim::cluster::{
    CascadeStage, Cluster, EventKind, ExchangeId, ImpactClass, policy_by_name,
};
use shardsim_sim::{SimDuration, SimTime};

fn macro_day() -> Scenario {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/macro_day.toml");
    Scenario::load(path).expect("macro_day.toml is valid")
}

fn at(h: u64, m: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs(h * 3600 + m * 60)
}

#[test]
fn macro_day_declares_its_calendar_and_exposes_its_sources() {
    let scenario = macro_day();
    let config = scenario.config(None);
    let market = config.market.as_ref().expect("a [market] section");
    assert!(market.volatility.is_some() && market.cycle.is_some() && market.cascade.is_some());
    assert_eq!(market.venues.len(), 4);
    let exposed = config
        .sources
        .iter()
        .filter(|s| s.shape.market.is_some())
        .count();
    assert_eq!(exposed, 9, "every source but the three yield sources");

    let routing = policy_by_name(&scenario.routing).unwrap();
    let sim = Cluster::simulation(config, 1, routing).expect("builds");
    let path = sim.model().market_path().expect("a market path");
    let calendar: Vec<(SimTime, EventKind, ImpactClass)> = path
        .public_calendar()
        .iter()
        .map(|e| (e.at, e.kind, e.impact))
        .collect();
    assert_eq!(
        calendar,
        vec![
            (at(0, 0), EventKind::Funding, ImpactClass::Low),
            (at(4, 0), EventKind::Maintenance, ImpactClass::Low),
            (at(8, 0), EventKind::Funding, ImpactClass::Low),
            (at(12, 30), EventKind::Macro, ImpactClass::Medium),
            (at(16, 0), EventKind::Funding, ImpactClass::Low),
            (at(18, 0), EventKind::Macro, ImpactClass::High),
        ]
    );
    // At the FOMC release the price stage stands above its level an hour before the build-up,
    // by about the realised impact (x and the cycle move little in between; 18:00 and 14:00
    // UTC have cycle multipliers within 25 % of each other).
    let step = path.step().as_nanos();
    let price = path.stage_multipliers(CascadeStage::Price);
    let index = |t: SimTime| (t.as_nanos() / step) as usize;
    let fomc = path.realised_impacts().nth(5).unwrap().1;
    let ratio = price[index(at(18, 0))] / price[index(at(14, 0))];
    assert!(
        ratio > 0.5 * fomc && ratio > 1.3,
        "price at 18:00 / 14:00 = {ratio}, realised impact {fomc}"
    );
}

#[test]
fn a_shortened_macro_day_meters_every_venue() {
    let scenario = macro_day();
    let config = scenario.config(Some(SimDuration::from_mins(20)));
    let routing = policy_by_name(&scenario.routing).unwrap();
    let mut sim = Cluster::simulation(config, 2, routing).expect("builds");
    sim.run_to_completion();
    let books = sim.model().assert_conservation();
    let feed = sim.model().market_feed().expect("a feed");
    assert_eq!(feed.complete_before(at(0, 20)), 20);
    for x in 0..5 {
        let updates: u64 = (0..20).map(|i| feed.price_updates(i, ExchangeId(x))).sum();
        // 32/s per venue, times the cycle's ≈1 around midnight on a Monday: ~38,000 in 20 min.
        assert!(updates > 20_000, "exchange {x}: {updates} updates");
        let variance: f64 = (0..20)
            .map(|i| feed.squared_returns(i, ExchangeId(x)))
            .sum();
        assert!(variance > 0.0);
    }
    let arrivals: u64 = (0..feed.intervals())
        .flat_map(|i| (0..5u16).map(move |e| (i, e)))
        .map(|(i, e)| feed.arrivals(i, shardsim_sim::cluster::EventTypeId(e)))
        .sum();
    assert!(
        arrivals > 0 && arrivals <= books.generated,
        "{arrivals} vs {books:?}"
    );
}
