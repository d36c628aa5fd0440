//! Declared market world: a latent path that drives the intensity of market-exposed sources.
//!
//! Each source of predictability is its own optional knob, so a scenario can ask how much of
//! the load is foreseeable: latent volatility ([`LatentVol`], clustered and mean-reverting, with
//! unforeseeable jumps), a public calendar of scheduled events ([`ScheduledEvent`], time and
//! impact class known, realised impact random), perpetual funding ([`Funding`]), the intraday and
//! weekend cycle ([`Cycle`]), a cascade through stages ([`Cascade`]: price → arbitrage → trade →
//! risk → liquidation, each lagging the one before) and per-venue lags ([`MarketConfig::venues`]).
//! A source opts in with a [`MarketExposure`] on its rate shape; the calm ↔ volatile regime stays
//! the precursor-free control.
//!
//! Defaults cite the summary table of `docs/market-world-sources.md` ("sources §N") where a
//! figure exists, and say "chosen" where none does. Day 0 of every run is a Monday, starting at
//! 00:00 UTC, so simulated time of day is UTC.
//!
//! Session opens (per-region bumps at the Asia, Europe and US opens) are not modelled: the
//! intraday cycle already carries the US-session peak the sources report.
//!
//! The path is sampled in `cluster/market/`.

use crate::cluster::ids::ExchangeId;
use crate::time::{SimDuration, SimTime};

/// The market world of a run (absent from a configuration: no market, today's behaviour).
#[derive(Clone, Debug, PartialEq)]
pub struct MarketConfig {
    /// Grid step of the latent path: its values are constant within a step. Default 10 s
    /// (chosen: well under the shortest lag, coarse enough that a day is 8,640 points).
    pub step: SimDuration,
    /// Latent log-volatility, if any (absent: x(t) = 0).
    pub volatility: Option<LatentVol>,
    /// Minute-scale activity noise, if any (absent: none).
    pub noise: Option<ActivityNoise>,
    /// The public calendar of scheduled events.
    pub calendar: Vec<ScheduledEvent>,
    /// Perpetual funding settlements, added to the calendar, if any.
    pub funding: Option<Funding>,
    /// The mean multiplier of each impact class and how widely realised impacts spread.
    pub impacts: ImpactScale,
    /// The intraday and weekend cycle, if any.
    pub cycle: Option<Cycle>,
    /// The cascade of lags through the stages, if any (absent: every stage follows price at once).
    pub cascade: Option<Cascade>,
    /// The liquidation spiral, if any (absent: liquidations only follow the cascade).
    pub spiral: Option<LiquidationSpiral>,
    /// Per exchange, its lag behind the leading venue (exchanges not listed lead).
    pub venues: Vec<(ExchangeId, SimDuration)>,
    /// Standard deviation of a price update's log-return per √second of the gap since the
    /// source's previous update, at x = 0. Default 8.9·10⁻⁵/√s: 50 % a year annualised
    /// (chosen; the sources give daily kurtosis, not a level).
    pub return_sd: f64,
    /// Largest market multiplier a source may see (the product is clamped to it): it bounds the
    /// arrival rate checked against the limits before the path is drawn. Default 20 (chosen:
    /// above the largest published activity multiple, ×10.9 in the Oct 2025 cascade, sources §6).
    pub cap: f64,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig {
            step: SimDuration::from_secs(10),
            volatility: None,
            noise: None,
            calendar: Vec::new(),
            funding: None,
            impacts: ImpactScale::default(),
            cycle: None,
            cascade: None,
            spiral: None,
            venues: Vec::new(),
            return_sd: 0.5 / (365.0f64 * 86_400.0).sqrt(),
            cap: 20.0,
        }
    }
}

/// Latent log-volatility x(t): an Ornstein–Uhlenbeck process plus upward jumps that decay at
/// the same rate (so a shock persists and clusters, then reverts).
///
/// On the grid, exactly: `x' = x·e^(−Δ/τ) + sd·√(1 − e^(−2Δ/τ))·N(0,1)`, with τ = half_life/ln 2
/// and `sd` the stationary standard deviation; jumps arrive as a Poisson process and add an
/// exponentially distributed size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatentVol {
    /// Half-life of a deviation. Default 2 h (chosen: the sources give only daily persistence,
    /// GARCH α+β ≈ 0.96, a 17-day half-life of the slow component, sources §1; intraday
    /// persistence was not found).
    pub half_life: SimDuration,
    /// Stationary standard deviation of the diffusive part. Default 0.4 (chosen).
    pub sd: f64,
    /// Expected jumps per simulated day. Default 2 (chosen; "a remarkable high percentage of
    /// jumps", Catania & Sandholdt 2019, sources §1, gives no rate).
    pub jumps_per_day: f64,
    /// Mean jump size in log-vol (exponential). Default 0.5 (chosen: ×1.65 activity at
    /// elasticity 1).
    pub jump_mean: f64,
}

impl Default for LatentVol {
    fn default() -> Self {
        LatentVol {
            half_life: SimDuration::from_mins(120),
            sd: 0.4,
            jumps_per_day: 2.0,
            jump_mean: 0.5,
        }
    }
}

/// Minute-scale activity noise n(t): a fast Ornstein–Uhlenbeck process in log activity, common
/// to the sources of one cascade stage and independent across stages (one draw per stage, after
/// the cascade, so it adds no lag-0 co-movement that would hide the cascade's lags), so that
/// activity a minute apart is correlated but not equal (the latent volatility alone moves too slowly for that:
/// with it only, deseasonalised activity has an autocorrelation of about 0.95 at 1 min). It has
/// no precursor and does not move the price returns. The multiplier is `exp(n − sd²/2)`, whose
/// stationary mean is 1.
///
/// A two-factor structure — one persistent component, one that mean-reverts within minutes — is
/// the shape of the two-factor volatility models (Chernov, Gallant, Ghysels & Tauchen 2003, J.
/// Econometrics 116; Engle & Lee 1999 component GARCH); its values are chosen (no intraday
/// figure was found, sources §2).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ActivityNoise {
    /// Half-life of a deviation. Default 30 s (chosen: with the default [`LatentVol`] and sd
    /// 0.8 it puts the autocorrelation of deseasonalised 1-min market activity at 1, 10 and 60
    /// min inside the chosen ranges of the facts table: 0.74 / 0.38 / 0.29 on calm_day, two
    /// seeds × 7 days).
    pub half_life: SimDuration,
    /// Stationary standard deviation of each stage's draw. Default 0.8 (chosen, as the
    /// half-life: the stages' draws are independent, so the total over stages wobbles less
    /// than one stage; at 0.5 the total's 1-min ACF was 0.86, above the range).
    pub sd: f64,
}

impl Default for ActivityNoise {
    fn default() -> Self {
        ActivityNoise {
            half_life: SimDuration::from_secs(30),
            sd: 0.8,
        }
    }
}

/// What a scheduled event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    /// A macro release (CPI, FOMC, NFP).
    Macro,
    /// A perpetual funding settlement.
    Funding,
    /// A futures or options expiry.
    Expiry,
    /// A token unlock.
    Unlock,
    /// A protocol or listing launch.
    Launch,
    /// Exchange maintenance: a dip, not a surge. Its multiplier is the reciprocal of the
    /// realised impact (a High maintenance at ×3.9 leaves about a quarter of the activity).
    Maintenance,
}

/// How large a scheduled event is expected to be: public, unlike its realised impact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ImpactClass {
    /// A routine event.
    Low,
    /// A notable one.
    Medium,
    /// A major one.
    High,
}

/// The mean multiplier per impact class, and the spread of realised impacts around it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ImpactScale {
    /// Mean peak multiplier of a Low event. Default 1.26 (×1.26, Dec 2019 FOMC, 15-min volume,
    /// sources §5).
    pub low: f64,
    /// Mean peak multiplier of a Medium event. Default 2 (chosen, between the §5 anecdotes).
    pub medium: f64,
    /// Mean peak multiplier of a High event. Default 3.9 (×3.9, Mar 2020 emergency cut,
    /// trade count in the hour, sources §5).
    pub high: f64,
    /// σ of the lognormal realised impact: `impact = mean · exp(σ·N(0,1) − σ²/2)`, whose mean is
    /// the class mean. Default 0.3 (chosen).
    pub spread: f64,
}

impl Default for ImpactScale {
    fn default() -> Self {
        ImpactScale {
            low: 1.26,
            medium: 2.0,
            high: 3.9,
            spread: 0.3,
        }
    }
}

impl ImpactScale {
    /// The mean multiplier of `class`.
    pub fn mean(&self, class: ImpactClass) -> f64 {
        match class {
            ImpactClass::Low => self.low,
            ImpactClass::Medium => self.medium,
            ImpactClass::High => self.high,
        }
    }
}

/// How activity builds up before a scheduled event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LeadShape {
    /// A straight line from 0 at the lead's start to the lead share at the event.
    #[default]
    Linear,
    /// `(e^(3u) − 1)/(e³ − 1)` of the lead share, u the elapsed fraction of the lead: slow,
    /// then steep.
    Exponential,
}

/// The course of one event's excess over 1 (`impact − 1`, or `1/impact − 1` for maintenance):
/// during `lead` before the event it rises to `lead_share` of the excess; at the event it jumps
/// to the full excess, which then halves every `half_life`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EventProfile {
    /// Build-up span before the event (zero: none).
    pub lead: SimDuration,
    /// How the build-up rises.
    pub lead_shape: LeadShape,
    /// Share of the excess reached at the end of the build-up, in [0, 1].
    pub lead_share: f64,
    /// Half-life of the excess after the event (> 0).
    pub half_life: SimDuration,
}

/// One scheduled event of the public calendar.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledEvent {
    /// Name (for reports).
    pub name: String,
    /// What it is.
    pub kind: EventKind,
    /// When it happens (before the run's end).
    pub at: SimTime,
    /// Its expected size.
    pub impact: ImpactClass,
    /// Its build-up and decay.
    pub profile: EventProfile,
}

/// Perpetual funding: a Funding event every `period` from `offset` (time of day, UTC).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Funding {
    /// Between settlements. Default 8 h (Binance and OKX settle every 8 h, sources §6).
    pub period: SimDuration,
    /// The first settlement's time. Default 00:00 UTC, so 00:00/08:00/16:00 (Binance support
    /// text, OKX help centre, sources §6).
    pub offset: SimDuration,
    /// Impact class of every settlement. Default Low (chosen: no measured multiple at funding,
    /// sources §6).
    pub impact: ImpactClass,
    /// Build-up and decay. Default 10 min linear lead to 30 %, 5 min half-life (chosen).
    pub profile: EventProfile,
}

impl Default for Funding {
    fn default() -> Self {
        Funding {
            period: SimDuration::from_mins(8 * 60),
            offset: SimDuration::ZERO,
            impact: ImpactClass::Low,
            profile: EventProfile {
                lead: SimDuration::from_mins(10),
                lead_shape: LeadShape::Linear,
                lead_share: 0.3,
                half_life: SimDuration::from_mins(5),
            },
        }
    }
}

/// The intraday and weekly cycle, applied to every market-exposed source.
#[derive(Clone, Debug, PartialEq)]
pub struct Cycle {
    /// 24 multipliers, one per UTC hour, constant within the hour.
    pub hourly: Vec<f64>,
    /// Multiplier on Saturdays and Sundays (days 5 and 6 of each week).
    pub weekend: f64,
}

/// The default intraday profile: peak at 15:00 UTC, trough at 09:00 UTC, peak/trough 3.25
/// (Coinbase 2020 via Cointelegraph, "$6.5 million … between 3 pm and 4 pm UTC … 9 am … $2
/// million", sources §4); its mean over the day is 1 (the shape between is chosen).
pub const DEFAULT_HOURLY: [f64; 24] = [
    1.044, 0.992, 0.898, 0.814, 0.751, 0.689, 0.626, 0.574, 0.522, 0.47, 0.584, 0.751, 0.96, 1.211,
    1.419, 1.5275, 1.482, 1.399, 1.336, 1.294, 1.252, 1.19, 1.127, 1.0875,
];

impl Default for Cycle {
    fn default() -> Self {
        Cycle {
            hourly: DEFAULT_HOURLY.to_vec(),
            // Kaiko 2024: 13 % of BTC volume on weekends → (0.13/2)/(0.87/5) ≈ 0.37 (sources §4).
            weekend: 0.37,
        }
    }
}

/// A stage of the cascade, in causal order: each lags the one before.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CascadeStage {
    /// Price updates: the root, driven by volatility, the calendar and the cycle.
    Price,
    /// Arbitrage checks.
    Arbitrage,
    /// Trades.
    Trade,
    /// Risk assessment.
    Risk,
    /// Liquidations.
    Liquidation,
}

impl CascadeStage {
    /// Every stage, in causal order.
    pub const ALL: [CascadeStage; 5] = [
        CascadeStage::Price,
        CascadeStage::Arbitrage,
        CascadeStage::Trade,
        CascadeStage::Risk,
        CascadeStage::Liquidation,
    ];

    /// Position in [`CascadeStage::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Its lower-case name, as scenario files spell it.
    pub fn name(self) -> &'static str {
        match self {
            CascadeStage::Price => "price",
            CascadeStage::Arbitrage => "arbitrage",
            CascadeStage::Trade => "trade",
            CascadeStage::Risk => "risk",
            CascadeStage::Liquidation => "liquidation",
        }
    }
}

/// The delay from one stage to the next: an Erlang(order, mean) kernel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StageLag {
    /// Mean delay (zero: none).
    pub mean: SimDuration,
    /// Erlang order (1 to 16): higher is a sharper delay.
    pub order: u32,
}

/// Lags of each stage behind the one before it (price is the root and has none).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cascade {
    /// Arbitrage behind price. Default 60 s, order 2 (BTC leads Cardano by ≈57 s on average,
    /// sources §8; the order is chosen).
    pub arbitrage: StageLag,
    /// Trades behind arbitrage. Default 2 min, order 2 (chosen).
    pub trade: StageLag,
    /// Risk behind trades. Default 1 min, order 2 (chosen).
    pub risk: StageLag,
    /// Liquidations behind risk. Default 5 min, order 3 (chosen; the Oct 2025 cascade's core
    /// phase lasted 40 min, sources §6).
    pub liquidation: StageLag,
}

impl Default for Cascade {
    fn default() -> Self {
        let lag = |secs, order| StageLag {
            mean: SimDuration::from_secs(secs),
            order,
        };
        Cascade {
            arbitrage: lag(60, 2),
            trade: lag(120, 2),
            risk: lag(60, 2),
            liquidation: lag(300, 3),
        }
    }
}

impl Cascade {
    /// The lag of `stage` behind the stage before it (`None` for price, the root).
    pub fn lag(&self, stage: CascadeStage) -> Option<StageLag> {
        match stage {
            CascadeStage::Price => None,
            CascadeStage::Arbitrage => Some(self.arbitrage),
            CascadeStage::Trade => Some(self.trade),
            CascadeStage::Risk => Some(self.risk),
            CascadeStage::Liquidation => Some(self.liquidation),
        }
    }

    /// The stages with a lag, with their field names (for error messages).
    pub fn lags(&self) -> [(&'static str, StageLag); 4] {
        [
            ("arbitrage", self.arbitrage),
            ("trade", self.trade),
            ("risk", self.risk),
            ("liquidation", self.liquidation),
        ]
    }
}

/// A liquidation spiral: forced selling that begets forced selling, on the liquidation stage.
///
/// Its hazard runs while the **stress** — the liquidation stage's reference multiplier (what the
/// cascade delivers to it at elasticity 1 and the spiral's `event_sensitivity`, before the
/// activity noise) — is
/// above `threshold`: the chance of a start in one step is `hazard_per_hour · (stress −
/// threshold) · Δ`, drawn as the first passage of the accumulated hazard over an exponential
/// level. A spiral multiplies every liquidation-stage channel by `1 + A·s(t)`: `s` grows as
/// `e^((t − t_peak)/rise)` from 1 % of its peak to 1, then halves every `half_life`; `A = (peak −
/// 1)·exp(σ·N(0,1) − σ²/2)`, σ = `spread`. A source with [`MarketExposure::spiral_excess`]
/// follows `A·s(t)` alone: the liquidations executed, zero outside a spiral. After a start no
/// other begins for `refractory` (the leverage it needs has been flushed).
///
/// What an operator sees: the stress (upstream activity, the realised volatility, the calendar),
/// never the start. The shape is calibrated on the Amberdata account of 10 Oct 2025 (sources §6:
/// 70 % of 14 h of liquidations in 40 min, ×10.9 the hours around): with `rise` 10 min and
/// `half_life` 20 min, the shortest run holding 70 % of one spiral's excess is 10·ln(1/0.3) +
/// 20·log₂(1/0.3) ≈ 47 min, and its excess rate is (0.7/47)/(0.3/240) ≈ ×12 that of the 2 h on
/// each side; the other values are choices.
/// The spiral does not feed back into prices.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LiquidationSpiral {
    /// Stress above which the hazard runs. Default 4 (chosen: above an ordinary day's largest
    /// stress, the cycle's peak times two standard deviations of volatility, ≈ 1.5 × e^0.8 ≈
    /// 3.3; at 2 the trial runs of liquidation_cascade started spirals on ordinary hours).
    pub threshold: f64,
    /// Starts per hour per unit of stress above the threshold. Default 10 (chosen: a stress of
    /// one unit above the threshold starts a spiral within about 6 min on average).
    pub hazard_per_hour: f64,
    /// Mean peak multiplier of a spiral. Default 10 (chosen).
    pub peak: f64,
    /// σ of the lognormal spread of the realised peak excess. Default 0.3 (chosen, as the
    /// calendar's).
    pub spread: f64,
    /// Time constant of the growth before the peak. Default 10 min (calibrated, above).
    pub rise: SimDuration,
    /// Half-life of the decay after the peak. Default 20 min (calibrated, above).
    pub half_life: SimDuration,
    /// No new spiral for this long after one starts. Default 24 h (chosen).
    pub refractory: SimDuration,
    /// Scales every calendar excess in the stress, as a source's
    /// [`MarketExposure::event_sensitivity`] does: how much of a scheduled shock's move reaches
    /// leveraged positions. Default 1.
    pub event_sensitivity: f64,
}

impl Default for LiquidationSpiral {
    fn default() -> Self {
        LiquidationSpiral {
            threshold: 4.0,
            hazard_per_hour: 10.0,
            peak: 10.0,
            spread: 0.3,
            rise: SimDuration::from_mins(10),
            half_life: SimDuration::from_mins(20),
            refractory: SimDuration::from_mins(24 * 60),
            event_sensitivity: 1.0,
        }
    }
}

/// How one source follows the market: its stage, and how strongly it reacts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MarketExposure {
    /// The cascade stage it belongs to.
    pub stage: CascadeStage,
    /// Elasticity e of activity to volatility: the multiplier is `exp(e·x)`, normalised so its
    /// stationary mean is 1. Default 1 (chosen).
    pub vol_elasticity: f64,
    /// Scales every calendar excess: the event's multiplier is `max(0, 1 + s·excess)`. Default 1.
    pub event_sensitivity: f64,
    /// Follows only the liquidation spiral's excess: the multiplier is `spiral − 1` times the
    /// rest of the channel, zero outside a spiral. For the liquidations a spiral executes, where
    /// the stage's other sources count routine position updates, which have a floor. Only on
    /// the liquidation stage of a market with a spiral. Default false.
    pub spiral_excess: bool,
}

impl Default for MarketExposure {
    fn default() -> Self {
        MarketExposure {
            stage: CascadeStage::Price,
            vol_elasticity: 1.0,
            event_sensitivity: 1.0,
            spiral_excess: false,
        }
    }
}
