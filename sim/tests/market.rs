//! The market world in a running cluster: a market that drives no source changes nothing, the
//! feed counts every arrival, price updates' realised variance tracks exp(2x), and a run is the
//! same for the same seed.

use std::hash::Hasher;
use std::sync::Arc;

use shardsim_sim::cluster::*;
use shardsim_sim::hash::StableHasher;
use shardsim_sim::testkit;
use shardsim_sim::{SimDuration, SimTime, Simulation};

fn secs(s: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs(s)
}

fn run(config: ClusterConfig, seed: u64) -> Simulation<Cluster> {
    let mut sim = Cluster::simulation(config, seed, Arc::new(LeastLoaded)).expect("valid");
    sim.run_to_completion();
    sim
}

/// Everything a run reports about its shards and functions.
fn digest(c: &Cluster) -> u64 {
    let mut h = StableHasher::new();
    h.write(format!("{:?}", c.conservation()).as_bytes());
    for m in c.function_metrics() {
        h.write(format!("{} {}", m.invocations, m.completed).as_bytes());
    }
    for s in c.topology().shard_ids() {
        for row in c.shard_series(s).rows() {
            h.write(format!("{row:?}").as_bytes());
        }
    }
    h.finish()
}

fn market() -> MarketConfig {
    MarketConfig {
        volatility: Some(LatentVol {
            half_life: SimDuration::from_mins(10),
            sd: 0.5,
            ..LatentVol::default()
        }),
        cycle: Some(Cycle::default()),
        funding: Some(Funding::default()),
        cascade: Some(Cascade::default()),
        ..MarketConfig::default()
    }
}

#[test]
fn a_market_that_drives_no_source_changes_nothing() {
    let plain = testkit::small_config();
    let mut with_market = testkit::small_config();
    with_market.market = Some(market());
    let a = run(plain, 4);
    let b = run(with_market, 4);
    assert_eq!(digest(a.model()), digest(b.model()));
    assert!(a.model().market_path().is_none() && a.model().market_feed().is_none());
    // The feed still counts the arrivals: every generated invocation came from the source.
    let feed = b.model().market_feed().expect("a market");
    let counted: u64 = (0..feed.intervals())
        .map(|i| feed.arrivals(i, EventTypeId(0)))
        .sum();
    assert_eq!(counted, b.model().conservation().generated);
    // No source is a price source, so there are no returns.
    assert_eq!(feed.price_updates(0, ExchangeId(2)), 0);
}

/// A 30-minute run of one exposed price source at 200/s from coinbase (elasticity 0: its rate
/// is flat, only its returns follow x).
fn price_run(seed: u64) -> Simulation<Cluster> {
    let mut c = testkit::small_config();
    c.functions[0].0.service = ServiceTime::Constant(SimDuration::from_millis(1));
    c.sources[0].rate_per_sec = 200.0;
    c.sources[0].shape.market = Some(MarketExposure {
        stage: CascadeStage::Price,
        vol_elasticity: 0.0,
        event_sensitivity: 0.0,
        spiral_excess: false,
    });
    c.market = Some(MarketConfig {
        cycle: None,
        ..market()
    });
    c.arrivals_until = secs(1800);
    run(c, seed)
}

#[test]
fn realised_variance_tracks_exp_2x() {
    let sim = price_run(7);
    let cluster = sim.model();
    let path = cluster.market_path().expect("a market");
    let feed = cluster.market_feed().expect("a market");
    let sd = MarketConfig::default().return_sd;
    let coinbase = ExchangeId(2);
    let per_interval = 60 / path.step().as_nanos().div_ceil(1_000_000_000) as usize;
    let mut ratios = Vec::new();
    for i in 0..30 {
        // E[Σ r²] over the interval = sd² · ∫ exp(2x) dt, x constant on each 10 s step.
        let integral: f64 = path.log_vol()[i * per_interval..(i + 1) * per_interval]
            .iter()
            .map(|x| libm::exp(2.0 * x) * path.step().as_secs_f64())
            .sum();
        ratios.push(feed.squared_returns(i, coinbase) / (sd * sd * integral));
        let updates = feed.price_updates(i, coinbase) as f64;
        assert!(
            (updates - 12_000.0).abs() < 5.0 * 12_000f64.sqrt(),
            "{updates}"
        );
    }
    // 12,000 updates a minute: Σ r² has a relative sd of √(2/12,000) ≈ 1.3 %.
    for (i, r) in ratios.iter().enumerate() {
        assert!((r - 1.0).abs() < 0.08, "minute {i}: Σr² / E = {r}");
    }
    let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
    assert!((mean - 1.0).abs() < 0.02, "mean ratio {mean}");
    // And x varies enough over the run that tracking it is not trivial.
    let (lo, hi) = path
        .log_vol()
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(*x), b.max(*x)));
    assert!(hi - lo > 0.5, "x ranged only {lo}..{hi}");
}

#[test]
fn the_same_seed_gives_the_same_feed_and_path() {
    let (a, b, c) = (price_run(3), price_run(3), price_run(4));
    let feed = |s: &Simulation<Cluster>| s.model().market_feed().unwrap().clone();
    assert_eq!(feed(&a), feed(&b));
    assert_ne!(feed(&a), feed(&c));
    assert_eq!(
        a.model().market_path().unwrap().log_vol(),
        b.model().market_path().unwrap().log_vol()
    );
    assert_eq!(digest(a.model()), digest(b.model()));
}

#[test]
fn a_fork_shares_the_path_and_continues_like_the_original() {
    let mut c = testkit::small_config();
    c.sources[0].shape.market = Some(MarketExposure::default());
    c.market = Some(market());
    c.arrivals_until = secs(600);
    let mut sim = Cluster::simulation(c, 2, Arc::new(LeastLoaded)).unwrap();
    sim.run_until(secs(300));
    let mut fork = sim.clone();
    sim.run_to_completion();
    fork.run_to_completion();
    assert_eq!(digest(sim.model()), digest(fork.model()));
    assert_eq!(sim.model().market_feed(), fork.model().market_feed());
}
