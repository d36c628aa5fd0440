//! The market path: determinism, the OU's stationary law, the calendar's effect on arrivals,
//! the cascade's lead of upstream over downstream load, and thinning under the bound.

use super::*;
use crate::cluster::arrivals::Drivers;
use crate::cluster::arrivals::poisson::SourceState;
use crate::cluster::arrivals::regime::RegimePath;
use crate::cluster::spec::market::*;
use crate::cluster::spec::workload::RateShape;

fn hours(h: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs(h * 3600)
}

fn exposed(name: &str, rate: f64, exposure: MarketExposure) -> PoissonSource {
    PoissonSource {
        shape: RateShape {
            market: Some(exposure),
            ..RateShape::default()
        },
        ..crate::testkit::source(name, 0, rate)
    }
}

fn full_config() -> MarketConfig {
    MarketConfig {
        volatility: Some(LatentVol::default()),
        calendar: vec![ScheduledEvent {
            name: "cpi".into(),
            kind: EventKind::Macro,
            at: hours(12) + SimDuration::from_mins(30),
            impact: ImpactClass::Medium,
            profile: EventProfile {
                lead: SimDuration::from_mins(60),
                lead_shape: LeadShape::Exponential,
                lead_share: 0.3,
                half_life: SimDuration::from_mins(45),
            },
        }],
        funding: Some(Funding::default()),
        cycle: Some(Cycle::default()),
        cascade: Some(Cascade::default()),
        ..MarketConfig::default()
    }
}

/// Arrival times of `source` (index `index` among `sources`) on `path` up to `until`.
fn arrivals(
    sources: &[PoissonSource],
    index: usize,
    path: &MarketPath,
    seed: u64,
    until: SimTime,
) -> Vec<SimTime> {
    let stream = RngStreams::new(seed).stream(&format!("arrivals/{}", sources[index].name));
    let mut s = SourceState::new(sources[index].clone(), index as u32, stream);
    let calm = RegimePath::calm();
    let drivers = Drivers {
        regime: &calm,
        market: Some(path),
    };
    let mut out = Vec::new();
    let mut t = SimTime::ZERO;
    while let Some(next) = s.next_arrival(t, until, drivers) {
        out.push(next);
        t = next;
    }
    out
}

#[test]
fn the_same_seed_draws_the_same_path_and_another_seed_another() {
    let sources = vec![exposed("p", 10.0, MarketExposure::default())];
    let draw = |seed| MarketPath::draw(&full_config(), &sources, hours(24), &RngStreams::new(seed));
    let (a, b, c) = (draw(3), draw(3), draw(4));
    assert_eq!(a.log_vol(), b.log_vol());
    assert_eq!(a.channels, b.channels);
    let impacts = |p: &MarketPath| p.realised_impacts().map(|(_, i)| i).collect::<Vec<_>>();
    assert_eq!(impacts(&a), impacts(&b));
    assert_ne!(a.log_vol(), c.log_vol());
    assert_ne!(impacts(&a), impacts(&c));
    // The public calendar is the same whatever the seed: only realisations are random.
    assert_eq!(a.public_calendar(), c.public_calendar());
    // The CPI release and funding at 00/08/16 UTC, in time order.
    let times: Vec<u64> = a
        .public_calendar()
        .iter()
        .map(|e| e.at.as_nanos() / 60_000_000_000)
        .collect();
    assert_eq!(times, vec![0, 8 * 60, 12 * 60 + 30, 16 * 60]);
    assert_eq!(a.points(), 8_640);
}

#[test]
fn an_unexposed_source_samples_exactly_as_without_a_market() {
    let plain = crate::testkit::source("plain", 0, 20.0);
    let sources = vec![plain.clone(), exposed("p", 10.0, MarketExposure::default())];
    let path = MarketPath::draw(&full_config(), &sources, hours(2), &RngStreams::new(1));
    let with_market = arrivals(&sources, 0, &path, 9, hours(2));
    let mut s = SourceState::new(plain, 0, RngStreams::new(9).stream("arrivals/plain"));
    let mut without = Vec::new();
    let mut t = SimTime::ZERO;
    let calm = RegimePath::calm();
    while let Some(next) = s.next_arrival(t, hours(2), Drivers::regime(&calm)) {
        without.push(next);
        t = next;
    }
    assert_eq!(with_market, without);
}

/// Sample mean, sd and autocorrelation at `lag` points of each path, pooled over paths.
fn pooled_moments(paths: &[Vec<f64>], lag: usize) -> (f64, f64, f64) {
    let n: usize = paths.iter().map(Vec::len).sum();
    let mean = paths.iter().flatten().sum::<f64>() / n as f64;
    let var = paths
        .iter()
        .flatten()
        .map(|x| (x - mean) * (x - mean))
        .sum::<f64>()
        / n as f64;
    let (mut cov, mut pairs) = (0.0, 0usize);
    for p in paths {
        for k in lag..p.len() {
            cov += (p[k] - mean) * (p[k - lag] - mean);
            pairs += 1;
        }
    }
    (mean, var.sqrt(), cov / pairs as f64 / var)
}

#[test]
fn log_vol_has_its_stationary_sd_and_decays_as_e_to_the_minus_lag_over_tau() {
    let vol = LatentVol {
        half_life: SimDuration::from_mins(60),
        sd: 0.5,
        jumps_per_day: 0.0,
        jump_mean: 0.0,
    };
    let step = SimDuration::from_secs(60);
    let paths: Vec<Vec<f64>> = (0..12)
        .map(|seed| {
            let mut rng = RngStreams::new(seed).stream("market/vol");
            vol::draw_log_vol(&vol, step, 20 * 1440, &mut rng)
        })
        .collect();
    // τ = 60 min / ln 2 ≈ 86.6 min; 12 paths of 20 days hold ≈ 4,000 τ, so the sample sd and
    // autocorrelations are within ~2 % of their values.
    let tau_min = 60.0 / std::f64::consts::LN_2;
    for lag in [30usize, 87, 180] {
        let (mean, sd, acf) = pooled_moments(&paths, lag);
        let expected = libm::exp(-(lag as f64) / tau_min);
        assert!(mean.abs() < 0.05, "mean {mean}");
        assert!((sd - 0.5).abs() < 0.025, "sd {sd}");
        assert!(
            (acf - expected).abs() < 0.04,
            "lag {lag} min: acf {acf}, expected e^(-L/τ) = {expected}"
        );
    }
}

#[test]
fn the_vol_multiplier_has_stationary_mean_one_with_jumps() {
    let vol = LatentVol {
        half_life: SimDuration::from_mins(60),
        sd: 0.4,
        jumps_per_day: 6.0,
        jump_mean: 0.4,
    };
    let step = SimDuration::from_secs(60);
    for elasticity in [0.5, 1.0, 1.5] {
        let norm = vol::log_stationary_mean(&vol, elasticity);
        let (mut sum, mut n) = (0.0, 0usize);
        for seed in 0..12 {
            let mut rng = RngStreams::new(seed).stream("market/vol");
            let x = vol::draw_log_vol(&vol, step, 20 * 1440, &mut rng);
            // Skip the first day: the jump part starts at 0, not in its stationary law.
            for v in &x[1440..] {
                sum += libm::exp(elasticity * v - norm);
                n += 1;
            }
        }
        let mean = sum / n as f64;
        // Without the normalisation the mean would be e^norm (1.17 to 2.8 here).
        assert!(
            (mean - 1.0).abs() < 0.06,
            "elasticity {elasticity}: mean multiplier {mean} (e^norm = {})",
            libm::exp(norm)
        );
    }
}

#[test]
fn a_calendar_event_raises_arrivals_in_its_window_by_its_realised_impact() {
    let config = one_high_event_at_2h("fomc", SimDuration::from_mins(30), 0.5);
    let sources = vec![exposed("p", 5.0, MarketExposure::default())];
    let (mut counted, mut expected, mut before) = (0.0, 0.0, 0.0);
    let seeds = 10;
    for seed in 0..seeds {
        let path = MarketPath::draw(&config, &sources, hours(4), &RngStreams::new(seed));
        let impact = path.realised_impacts().next().unwrap().1;
        let times = arrivals(&sources, 0, &path, seed, hours(4));
        let window = |t: &&SimTime| **t >= hours(2) && **t < hours(3);
        counted += times.iter().filter(window).count() as f64;
        before += times.iter().filter(|t| **t < hours(1)).count() as f64;
        // The excess decays from the realised impact with a 20-min half-life, on 10 s steps:
        // 5/s × Σ_k 10 s × (1 + (I − 1)·2^(−10k/1200)).
        expected += (0..360)
            .map(|k| 50.0 * (1.0 + (impact - 1.0) * libm::exp2(-(10.0 * k as f64) / 1200.0)))
            .sum::<f64>();
    }
    // Poisson counts: a 5 sd margin of the total.
    assert!(
        (counted - expected).abs() < 5.0 * expected.sqrt(),
        "{counted} arrivals in the event's hour, expected {expected}"
    );
    // Before the build-up the rate is the base rate: 18,000 an hour per seed.
    let flat = 18_000.0 * seeds as f64;
    assert!(
        (before - flat).abs() < 5.0 * flat.sqrt(),
        "{before} vs {flat}"
    );
    assert!(
        counted > 1.5 * flat,
        "a High event roughly doubles the hour: {counted}"
    );
}

/// Arrivals per `bin` seconds over `[0, until)`.
fn binned(times: &[SimTime], bin: u64, until: SimTime) -> Vec<f64> {
    let bins = (until.as_nanos() / (bin * 1_000_000_000)) as usize;
    let mut out = vec![0.0; bins];
    for t in times {
        out[(t.as_nanos() / (bin * 1_000_000_000)) as usize] += 1.0;
    }
    out
}

/// Σ over seeds of the cross-covariance of `a` and `b` shifted by `lag` bins (b after a).
fn cross(a: &[f64], b: &[f64], lag: usize) -> f64 {
    let n = a.len() - lag;
    let ma = a[..n].iter().sum::<f64>() / n as f64;
    let mb = b[lag..].iter().sum::<f64>() / n as f64;
    (0..n).map(|k| (a[k] - ma) * (b[k + lag] - mb)).sum::<f64>() / n as f64
}

#[test]
fn price_load_leads_liquidation_load_by_the_cascade_lags() {
    let config = MarketConfig {
        volatility: Some(LatentVol {
            half_life: SimDuration::from_mins(15),
            sd: 0.6,
            jumps_per_day: 0.0,
            jump_mean: 0.0,
        }),
        cascade: Some(Cascade::default()),
        ..MarketConfig::default()
    };
    let stage = |stage| MarketExposure {
        stage,
        ..MarketExposure::default()
    };
    let sources = vec![
        exposed("price", 100.0, stage(CascadeStage::Price)),
        exposed("liquidations", 100.0, stage(CascadeStage::Liquidation)),
    ];
    let until = hours(12);
    let bin = 30;
    let lags = 0..=40usize; // 0 to 20 minutes
    let mut covariance = vec![0.0; lags.clone().count()];
    for seed in 0..4 {
        let path = MarketPath::draw(&config, &sources, until, &RngStreams::new(seed));
        let price = binned(&arrivals(&sources, 0, &path, seed, until), bin, until);
        let liq = binned(&arrivals(&sources, 1, &path, seed, until), bin, until);
        for lag in lags.clone() {
            covariance[lag] += cross(&price, &liq, lag);
        }
    }
    let peak = (0..covariance.len())
        .max_by(|&i, &j| covariance[i].total_cmp(&covariance[j]))
        .unwrap();
    let peak_secs = (peak as u64 * bin) as f64;
    // The lags sum to 60 + 120 + 60 + 300 = 540 s. The covariance of a load with its delayed
    // copy peaks near the kernel's median (a little under its mean): expect 7 to 10 minutes
    // (the peak is broad; the noise of 3,000 arrivals a bin moves it by a bin or two).
    assert!(
        (300.0..=660.0).contains(&peak_secs),
        "cross-covariance peaks at {peak_secs} s: {covariance:?}"
    );
    assert!(covariance[peak] > 1.2 * covariance[0], "{covariance:?}");
}

#[test]
fn a_venue_lag_shifts_the_channel_by_whole_steps() {
    let config = MarketConfig {
        volatility: Some(LatentVol::default()),
        venues: vec![(
            crate::cluster::ids::ExchangeId(1),
            SimDuration::from_secs(34),
        )],
        ..MarketConfig::default()
    };
    let lead = exposed("lead", 1.0, MarketExposure::default());
    let follow = PoissonSource {
        exchange: crate::cluster::ids::ExchangeId(1),
        ..exposed("follow", 1.0, MarketExposure::default())
    };
    let path = MarketPath::draw(&config, &[lead, follow], hours(1), &RngStreams::new(2));
    // 34 s rounds to 3 steps of 10 s.
    assert_eq!(lag_steps(SimDuration::from_secs(34), config.step), 3);
    assert_eq!(lag_steps(SimDuration::from_secs(35), config.step), 4);
    assert_eq!(path.channels[1][3..], path.channels[0][..path.points() - 3]);
    assert_eq!(path.channels[1][..3], [path.channels[0][0]; 3]);
}

#[test]
fn maintenance_is_a_dip_and_the_cap_bounds_every_channel() {
    let maintenance = ScheduledEvent {
        name: "maintenance".into(),
        kind: EventKind::Maintenance,
        at: hours(1),
        impact: ImpactClass::High,
        profile: EventProfile {
            lead: SimDuration::ZERO,
            lead_shape: LeadShape::Linear,
            lead_share: 0.0,
            half_life: SimDuration::from_mins(10),
        },
    };
    let config = MarketConfig {
        calendar: vec![maintenance],
        cap: 1.5,
        volatility: Some(LatentVol {
            sd: 1.0,
            ..LatentVol::default()
        }),
        ..MarketConfig::default()
    };
    let sources = vec![exposed(
        "p",
        1.0,
        MarketExposure {
            vol_elasticity: 0.0,
            ..MarketExposure::default()
        },
    )];
    let path = MarketPath::draw(&config, &sources, hours(2), &RngStreams::new(5));
    let impact = path.realised_impacts().next().unwrap().1;
    let at = path.channels[0][360];
    assert!((at - 1.0 / impact).abs() < 1e-12, "{at} vs 1/{impact}");
    assert!(path.channels[0][359] == 1.0);
    let stages = CascadeStage::ALL.map(|s| path.stage_multipliers(s).to_vec());
    assert!(stages.iter().flatten().all(|v| (0.0..=1.5).contains(v)));
}

proptest::proptest! {
    /// Thinning is exact only if the bound holds over the whole segment: for an exposed source
    /// with a daily profile, the value anywhere in `[t, end)` stays under the bound given at t.
    #[test]
    fn an_exposed_source_stays_under_its_bound(
        seed in 0u64..50,
        at_s in 0u64..(6 * 3600),
        later in 0.0f64..1.0,
        stage in 0usize..5,
        elasticity in -2.0f64..2.0,
    ) {
        let mut daily = vec![1.0; 24];
        daily[1] = 3.0;
        let source = PoissonSource {
            shape: RateShape {
                daily,
                market: Some(MarketExposure {
                    stage: CascadeStage::ALL[stage],
                    vol_elasticity: elasticity,
                    event_sensitivity: 1.0,
                    spiral_excess: false,
                }),
                ..RateShape::default()
            },
            ..crate::testkit::source("s", 0, 1.0)
        };
        let path = MarketPath::draw(&full_config(), std::slice::from_ref(&source), hours(6), &RngStreams::new(seed));
        let calm = RegimePath::calm();
        let drivers = Drivers { regime: &calm, market: Some(&path) };
        let t = SimTime::ZERO + SimDuration::from_secs(at_s);
        let (value, bound, end) = crate::cluster::arrivals::shape_at(&source.shape, drivers, 0, t);
        proptest::prop_assert!(end > t);
        proptest::prop_assert!(end.as_nanos() - t.as_nanos() <= path.step().as_nanos());
        proptest::prop_assert!(value <= bound + 1e-12);
        let inside = t + SimDuration::from_nanos(((end - t).as_nanos() as f64 * later) as u64);
        let (v, _, _) = crate::cluster::arrivals::shape_at(&source.shape, drivers, 0, inside);
        proptest::prop_assert!(v <= bound + 1e-12, "{} > {}", v, bound);
    }
}

#[test]
fn a_hawkes_member_follows_the_market_through_its_baseline() {
    use crate::cluster::arrivals::hawkes::HawkesState;
    use crate::cluster::spec::workload::HawkesGroup;
    let config = one_high_event_at_2h("cpi", SimDuration::ZERO, 0.0);
    let sources = vec![exposed("storm", 5.0, MarketExposure::default())];
    let group = HawkesGroup {
        name: "g".into(),
        members: vec![0],
        decay: SimDuration::from_secs(1),
        excitation: vec![vec![0.3]],
    };
    let calm = RegimePath::calm();
    let (mut quiet, mut event_hour, mut expected_ratio) = (0.0, 0.0, 0.0);
    let seeds = 8;
    for seed in 0..seeds {
        let path = MarketPath::draw(&config, &sources, hours(3), &RngStreams::new(seed));
        let impact = path.realised_impacts().next().unwrap().1;
        let drivers = Drivers {
            regime: &calm,
            market: Some(&path),
        };
        let mut h = HawkesState::new(&group, &sources, RngStreams::new(seed).stream("h"));
        let mut t = SimTime::ZERO;
        while let Some((next, _)) = h.next_arrival(t, hours(3), drivers) {
            if next < hours(1) {
                quiet += 1.0;
            } else if next >= hours(2) {
                event_hour += 1.0;
            }
            t = next;
        }
        // The baseline's mean multiplier over the event's hour (10 s steps, 20-min half-life).
        expected_ratio += (0..360)
            .map(|k| 1.0 + (impact - 1.0) * libm::exp2(-(10.0 * k as f64) / 1200.0))
            .sum::<f64>()
            / 360.0;
    }
    // With a 1 s excitation and a baseline that moves over minutes, the rate is μ(t)/(1 − 0.3)
    // all along: the event hour over a quiet hour is the baseline's mean multiplier. Each hour
    // holds ~26,000 events a seed (sd of the ratio ≈ 1.5 % with the clustering).
    let ratio = event_hour / quiet;
    let expected = expected_ratio / seeds as f64;
    assert!(
        (ratio / expected - 1.0).abs() < 0.05,
        "event hour / quiet hour = {ratio}, expected {expected}"
    );
    assert!(
        (quiet / seeds as f64 / (18_000.0 / 0.7) - 1.0).abs() < 0.03,
        "{quiet}"
    );
}

/// A market whose calendar is one High macro event at 2 h: a linear build-up over `lead` to
/// `share` of the excess, then a 20-minute half-life.
fn one_high_event_at_2h(name: &str, lead: SimDuration, share: f64) -> MarketConfig {
    MarketConfig {
        calendar: vec![ScheduledEvent {
            name: name.into(),
            kind: EventKind::Macro,
            at: hours(2),
            impact: ImpactClass::High,
            profile: EventProfile {
                lead,
                lead_shape: LeadShape::Linear,
                lead_share: share,
                half_life: SimDuration::from_mins(20),
            },
        }],
        ..MarketConfig::default()
    }
}

/// The activity noise alone: each stage's multiplier has mean 1 and a one-step (10 s)
/// autocorrelation of log near exp(−ln 2 · 10 / 30) ≈ 0.79, and the stages' draws are
/// independent (so the noise adds no lag-0 co-movement that would hide the cascade's lags).
#[test]
fn activity_noise_is_mean_one_short_memory_and_independent_across_stages() {
    let config = MarketConfig {
        noise: Some(ActivityNoise::default()),
        ..MarketConfig::default()
    };
    let stage = |stage| {
        exposed(
            "s",
            1.0,
            MarketExposure {
                stage,
                ..MarketExposure::default()
            },
        )
    };
    let sources = [stage(CascadeStage::Price), stage(CascadeStage::Trade)];
    let path = MarketPath::draw(&config, &sources, hours(48), &RngStreams::new(5));
    let (price, trade) = (&path.channels[0], &path.channels[1]);
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    assert!((mean(price) - 1.0).abs() < 0.05, "mean {}", mean(price));
    assert!((mean(trade) - 1.0).abs() < 0.05, "mean {}", mean(trade));
    let logs = |x: &[f64]| x.iter().map(|v| libm::log(*v)).collect::<Vec<_>>();
    let corr = |a: &[f64], b: &[f64]| {
        let (ma, mb) = (mean(a), mean(b));
        let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let va: f64 = a.iter().map(|x| (x - ma) * (x - ma)).sum();
        let vb: f64 = b.iter().map(|y| (y - mb) * (y - mb)).sum();
        cov / libm::sqrt(va * vb)
    };
    let lp = logs(price);
    let one_step = corr(&lp[1..], &lp[..lp.len() - 1]);
    assert!(
        (one_step - 0.79).abs() < 0.03,
        "one-step autocorrelation {one_step}"
    );
    let across = corr(&lp, &logs(trade));
    assert!(
        across.abs() < 0.05,
        "price and trade noise correlate: {across}"
    );
}

#[test]
fn a_spiral_excess_source_is_zero_outside_a_spiral_and_the_stage_minus_its_floor_inside() {
    // A high event with a large sensitivity in the stress: a spiral starts on every seed.
    let mut config = one_high_event_at_2h("shock", SimDuration::ZERO, 0.0);
    config.spiral = Some(LiquidationSpiral {
        event_sensitivity: 20.0,
        threshold: 3.0,
        ..LiquidationSpiral::default()
    });
    config.cap = 1e3;
    let liquidation = MarketExposure {
        stage: CascadeStage::Liquidation,
        ..MarketExposure::default()
    };
    let executions = MarketExposure {
        spiral_excess: true,
        ..liquidation
    };
    let sources = vec![
        exposed("positions", 10.0, liquidation),
        exposed("liquidations", 1.0, executions),
    ];
    for seed in 1..=3 {
        let path = MarketPath::draw(&config, &sources, hours(8), &RngStreams::new(seed));
        assert!(!path.spiral_starts().is_empty(), "seed {seed}: no spiral");
        let (stage, excess) = (&path.channels[0], &path.channels[1]);
        let first = path.spiral_starts()[0].at;
        assert!(excess[..first].iter().all(|&v| v == 0.0), "seed {seed}");
        let mut inside = 0;
        for (k, (&s, &e)) in stage.iter().zip(excess).enumerate().skip(first) {
            // Without noise, the stage is floor × (1 + spiral) and the source floor × spiral.
            let floor = s - e;
            assert!(floor > 0.0 && e >= 0.0, "seed {seed}, step {k}: {s} {e}");
            inside += usize::from(e > floor);
        }
        assert!(
            inside > 0,
            "seed {seed}: the spiral never exceeded the floor"
        );
    }
}
