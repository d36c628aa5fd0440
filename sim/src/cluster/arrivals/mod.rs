//! Seeded arrival processes: the samplers of the declared workload.
//!
//! **Exact simulation.** Intensities change piecewise: at profile knots (every hour), day
//! boundaries, regime switches, every minute of a shaped volatile episode, the start, the end of
//! the ramp, the stop, and every market grid step for a market-exposed source. Within a segment the
//! intensity is bounded by a constant, so arrivals are drawn by thinning against that bound; when a
//! candidate falls past the segment's end the draw restarts at the boundary, which is exact because
//! the exponential is memoryless.
//!
//! **Common random numbers.** Each source (and each Hawkes group) draws from its own stream,
//! `arrivals/<name>`; the regime path is drawn once from `regime`, the market path once from
//! `market/*` (see `cluster/market/`). Nothing downstream — routing,
//! planning — changes a single draw.

pub mod hawkes;
pub mod poisson;
pub mod regime;

use rand::RngExt;
use rand_distr::Exp1;

use crate::cluster::arrivals::regime::RegimePath;
use crate::cluster::market::MarketPath;
use crate::cluster::spec::workload::RateShape;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

const HOUR_NS: u64 = 3_600_000_000_000;
const DAY_NS: u64 = 24 * HOUR_NS;

/// What drives the sources besides their own shape: the regime path and the market path.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Drivers<'a> {
    pub regime: &'a RegimePath,
    pub market: Option<&'a MarketPath>,
}

impl<'a> Drivers<'a> {
    /// The regime alone (no market).
    #[cfg(test)]
    pub(crate) fn regime(regime: &'a RegimePath) -> Self {
        Drivers {
            regime,
            market: None,
        }
    }
}

/// Intensity of source `source` (before the base rate) at `t`, and a bound valid on
/// `[t, segment_end)`. A market-exposed source's market multiplier is constant on each grid step,
/// so it multiplies value and bound alike and the segment ends at the next grid point.
pub(crate) fn shape_at(
    shape: &RateShape,
    drivers: Drivers<'_>,
    source: u32,
    t: SimTime,
) -> (f64, f64, SimTime) {
    if t < shape.starts_at {
        return (0.0, 0.0, shape.starts_at);
    }
    let ns = t.as_nanos();
    let hour_start = ns - ns % HOUR_NS;
    let mut end = SimTime::from_nanos(hour_start.saturating_add(HOUR_NS));
    let (mut value, mut bound) = (1.0, 1.0);
    if !shape.daily.is_empty() {
        let h = ((ns % DAY_NS) / HOUR_NS) as usize;
        let (a, b) = (shape.daily[h], shape.daily[(h + 1) % 24]);
        let frac = (ns - hour_start) as f64 / HOUR_NS as f64;
        value *= a + (b - a) * frac;
        bound *= a.max(b);
    }
    if !shape.weekly.is_empty() {
        let w = shape.weekly[((ns / DAY_NS) % 7) as usize];
        value *= w;
        bound *= w;
    }
    if shape.regime_sensitive {
        let (m, m_bound, next) = drivers.regime.at(t);
        value *= m;
        bound *= m_bound;
        end = end.min(next);
    }
    if shape.market.is_some()
        && let Some(market) = drivers.market
        && let Some((m, next)) = market.source_at(source, t)
    {
        value *= m;
        bound *= m;
        end = end.min(next);
    }
    let ramp_end = shape.starts_at + shape.ramp;
    if t < ramp_end {
        let frac = (t - shape.starts_at).as_nanos() as f64 / shape.ramp.as_nanos() as f64;
        value *= frac;
        end = end.min(ramp_end);
    }
    (value, bound, end)
}

/// The next candidate of a Poisson process of rate `bound` after `t`, if it falls before the
/// segment's `end` (else the caller restarts at `end`: exact, the exponential being memoryless).
pub(crate) fn candidate(t: SimTime, bound: f64, end: SimTime, rng: &mut SimRng) -> Option<SimTime> {
    if bound <= 0.0 {
        return None; // a silent segment: nothing to draw, skip to its end
    }
    let gap: f64 = rng.sample(Exp1);
    let cand = t
        .checked_add(SimDuration::from_secs_f64(gap / bound))
        .unwrap_or(SimTime::MAX);
    (cand < end).then_some(cand)
}

#[cfg(test)]
mod tests {
    use super::hawkes::HawkesState;
    use super::poisson::SourceState;
    use super::*;
    use crate::cluster::*;
    use crate::rng::RngStreams;

    fn source(rate: f64, shape: RateShape) -> PoissonSource {
        PoissonSource {
            users: 10,
            trade_size: TradeSize {
                min_usd: 100.0,
                shape: 1.5,
            },
            shape,
            ..crate::testkit::source("s", 0, rate)
        }
    }

    fn count(src: &PoissonSource, seed: u64, until: SimTime, regime: &RegimePath) -> Vec<SimTime> {
        let mut s = SourceState::new(src.clone(), 0, RngStreams::new(seed).stream("t"));
        let mut out = Vec::new();
        let mut t = SimTime::ZERO;
        while let Some(next) = s.next_arrival(t, until, Drivers::regime(regime)) {
            out.push(next);
            t = next;
        }
        out
    }

    fn hours(h: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(h * 3600)
    }

    #[test]
    fn flat_poisson_matches_its_rate_over_seeds() {
        let src = source(5.0, RateShape::default());
        let mut total = 0;
        for seed in 0..20 {
            total += count(&src, seed, hours(1), &RegimePath::calm()).len();
        }
        let mean = total as f64 / 20.0;
        // 18,000 expected per hour; the mean of 20 has sd ≈ 30.
        assert!((mean - 18_000.0).abs() < 150.0, "{mean}");
    }

    #[test]
    fn a_daily_profile_shapes_arrivals_hour_by_hour() {
        let mut daily = vec![1.0; 24];
        daily[12] = 4.0; // peak at noon, interpolated from 11:00 (1) to 12:00 (4) to 13:00 (1)
        let src = source(
            2.0,
            RateShape {
                daily,
                ..RateShape::default()
            },
        );
        let arrivals = count(&src, 1, hours(24), &RegimePath::calm());
        let in_hour = |h: u64| {
            arrivals
                .iter()
                .filter(|t| **t >= hours(h) && **t < hours(h + 1))
                .count() as f64
        };
        // Hour 11 ramps 1 → 4 (mean 2.5), hour 12 ramps 4 → 1 (mean 2.5), others flat at 1.
        for (h, expect) in [(3, 7_200.0), (11, 18_000.0), (12, 18_000.0), (20, 7_200.0)] {
            assert!(
                (in_hour(h) - expect).abs() < 5.0 * expect.sqrt(),
                "hour {h}: {}",
                in_hour(h)
            );
        }
        let total = arrivals.len() as f64;
        let expect = 2.0 * 3600.0 * (22.0 + 2.5 + 2.5); // 22 flat hours plus the two ramps
        assert!(
            (total - expect).abs() < 5.0 * expect.sqrt(),
            "{total} vs {expect}"
        );
    }

    #[test]
    fn a_launch_starts_late_and_ramps() {
        let shape = RateShape {
            starts_at: hours(1),
            ramp: SimDuration::from_secs(3600),
            ..RateShape::default()
        };
        let arrivals = count(&source(4.0, shape), 2, hours(3), &RegimePath::calm());
        assert!(arrivals[0] >= hours(1));
        let first = arrivals.iter().filter(|t| **t < hours(2)).count() as f64;
        let second = arrivals.len() as f64 - first;
        assert!(
            (first - 7_200.0).abs() < 400.0 && (second - 14_400.0).abs() < 600.0,
            "{first} {second}"
        );
    }

    #[test]
    fn the_regime_multiplies_sensitive_sources_only_while_volatile() {
        let config = RegimeConfig {
            calm_mean: SimDuration::from_secs(3 * 3600),
            volatile_mean: SimDuration::from_secs(1800),
            volatile_multiplier: 5.0,
            start_volatile: false,
            episode: EpisodeShape::default(),
        };
        let mut volatile_share = 0.0;
        let days = 40;
        for seed in 0..days {
            let path = RegimePath::draw(
                &config,
                hours(24),
                &mut RngStreams::new(seed).stream("regime"),
            );
            let mut v = 0u64;
            for w in path.switches.windows(2) {
                if w[0].1 {
                    v += (w[1].0 - w[0].0).as_nanos();
                }
            }
            if let Some(&(t, true)) = path.switches.last() {
                v += (hours(24) - t).as_nanos();
            }
            volatile_share += v as f64 / (24.0 * 3600e9);
        }
        let share = volatile_share / f64::from(days as u32);
        assert!((share - 0.5 / 3.5).abs() < 0.03, "volatile share {share}");

        let path = RegimePath::draw(&config, hours(24), &mut RngStreams::new(9).stream("regime"));
        let sensitive = count(
            &source(
                1.0,
                RateShape {
                    regime_sensitive: true,
                    ..RateShape::default()
                },
            ),
            3,
            hours(24),
            &path,
        );
        let in_volatile = sensitive.iter().filter(|t| path.is_volatile(**t)).count() as f64;
        let volatile_secs: f64 = (0..24 * 60)
            .filter(|m| path.is_volatile(SimTime::ZERO + SimDuration::from_secs(m * 60)))
            .count() as f64
            * 60.0;
        let rate = in_volatile / volatile_secs;
        assert!((rate - 5.0).abs() < 0.5, "volatile rate {rate}");
    }

    /// One volatile episode from t = 0 that lasts (practically) all day.
    fn one_long_episode(episode: EpisodeShape, multiplier: f64) -> RegimePath {
        RegimePath {
            switches: vec![(SimTime::ZERO, true)],
            multiplier,
            episode,
        }
    }

    #[test]
    fn a_shaped_episode_builds_up_then_decays() {
        let shape = EpisodeShape {
            onset: SimDuration::from_mins(10),
            half_life: Some(SimDuration::from_mins(20)),
        };
        let share = |mins: u64| shape.excess_share(SimDuration::from_secs(mins * 60));
        assert_eq!(share(0), 0.0);
        assert!((share(5) - 0.5).abs() < 1e-12);
        assert!((share(10) - 1.0).abs() < 1e-12);
        assert!((share(30) - 0.5).abs() < 1e-12);
        assert!((share(50) - 0.25).abs() < 1e-12);
        assert!(EpisodeShape::default().is_step());
        assert_eq!(EpisodeShape::default().excess_share(SimDuration::ZERO), 1.0);

        // Arrivals follow the shape: 10/s calm, up to 40/s at the height of the episode.
        let path = one_long_episode(shape, 4.0);
        let src = source(
            10.0,
            RateShape {
                regime_sensitive: true,
                ..RateShape::default()
            },
        );
        let per_window = |from: u64, to: u64, seeds: u64| {
            let mut n = 0;
            for seed in 0..seeds {
                n += count(&src, seed, hours(2), &path)
                    .iter()
                    .filter(|t| (from * 60..to * 60).contains(&(t.as_nanos() / 1_000_000_000)))
                    .count();
            }
            n as f64 / seeds as f64
        };
        // Expected counts: the intensity integrated over each window.
        let expected = |from: u64, to: u64| {
            (from * 60..to * 60)
                .map(|sec| {
                    let since = SimDuration::from_nanos(sec * 1_000_000_000 + 500_000_000);
                    10.0 * (1.0 + 3.0 * shape.excess_share(since))
                })
                .sum::<f64>()
        };
        for (from, to) in [(0, 10), (10, 20), (30, 50), (90, 120)] {
            let (got, want) = (per_window(from, to, 8), expected(from, to));
            // Poisson: sd of the mean of 8 windows is √(want / 8), under 2% of want here.
            assert!(
                (got - want).abs() < 4.0 * (want / 8.0).sqrt(),
                "minutes {from}..{to}: {got} arrivals, expected {want}"
            );
        }
    }

    proptest::proptest! {
        /// Thinning is exact only if the bound holds over its whole segment.
        #[test]
        fn a_shaped_episode_stays_under_its_bound(
            onset_s in 0u64..1800,
            half_life_s in proptest::option::of(1u64..3600),
            multiplier in 0.2f64..6.0,
            at_s in 0u64..7200,
            later in 0.0f64..1.0,
        ) {
            let path = one_long_episode(
                EpisodeShape {
                    onset: SimDuration::from_secs(onset_s),
                    half_life: half_life_s.map(SimDuration::from_secs),
                },
                multiplier,
            );
            let t = SimTime::ZERO + SimDuration::from_secs(at_s);
            let (value, bound, end) = path.at(t);
            proptest::prop_assert!(end > t);
            proptest::prop_assert!(value <= bound + 1e-12);
            let inside = t + SimDuration::from_nanos(((end - t).as_nanos() as f64 * later) as u64);
            proptest::prop_assert!(path.at(inside).0 <= bound + 1e-12);
        }
    }

    #[test]
    fn hawkes_mean_rate_and_branching_ratio_match_theory() {
        // Two members, baselines 1/s and 2/s, excitation [[0.3, 0.2], [0.1, 0.4]].
        let sources = vec![
            source(1.0, RateShape::default()),
            source(2.0, RateShape::default()),
        ];
        let excitation = vec![vec![0.3, 0.2], vec![0.1, 0.4]];
        let group = HawkesGroup {
            name: "g".into(),
            members: vec![0, 1],
            decay: SimDuration::from_secs(10),
            excitation: excitation.clone(),
        };
        // Stationary rates: λ = μ + Aᵀ λ  →  λ = (I − Aᵀ)⁻¹ μ.
        let (a, b, c, d) = (1.0 - 0.3, -0.1, -0.2, 1.0 - 0.4); // I − Aᵀ
        let det = a * d - b * c;
        let lambda = [(d * 1.0 - b * 2.0) / det, (-c * 1.0 + a * 2.0) / det];
        let mut counts = [0f64; 2];
        let seeds = 10;
        let horizon = hours(6);
        for seed in 0..seeds {
            let mut h = HawkesState::new(&group, &sources, RngStreams::new(seed).stream("h"));
            let mut t = SimTime::ZERO;
            while let Some((next, i)) =
                h.next_arrival(t, horizon, Drivers::regime(&RegimePath::calm()))
            {
                counts[i] += 1.0;
                t = next;
            }
        }
        let secs = 6.0 * 3600.0 * seeds as f64;
        for i in 0..2 {
            let rate = counts[i] / secs;
            assert!(
                (rate - lambda[i]).abs() / lambda[i] < 0.05,
                "member {i}: {rate} vs {}",
                lambda[i]
            );
        }
        // Branching ratio estimate: the share of events that are offspring, 1 − Σμ / Σλ.
        let observed = 1.0 - 3.0 / ((counts[0] + counts[1]) / secs);
        let expected = 1.0 - 3.0 / (lambda[0] + lambda[1]);
        assert!(
            (observed - expected).abs() < 0.03,
            "{observed} vs {expected}"
        );
        assert!((spectral_radius(&excitation) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn pareto_trade_sizes_have_the_declared_tail() {
        let src = source(1.0, RateShape::default());
        let mut s = SourceState::new(src, 0, RngStreams::new(4).stream("t"));
        let sizes: Vec<f64> = (0..200_000).map(|_| s.next_event().amount_usd).collect();
        assert!(sizes.iter().all(|&x| x >= 100.0));
        // P(X > x) = (100 / x)^1.5: above $10,000 → 0.001.
        let tail = sizes.iter().filter(|&&x| x > 10_000.0).count() as f64 / sizes.len() as f64;
        assert!((tail - 0.001).abs() < 0.0003, "{tail}");
    }
}
