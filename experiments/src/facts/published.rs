//! The published values the simulated facts are compared with, taken only from
//! `docs/market-world-sources.md` (the research notes of issue 18; its section numbers are
//! quoted in each source). Nothing here is a figure or a citation that file does not hold.
//!
//! Each row says what it is: [`FactKind::Cited`] (the figure as published), [`FactKind::Derived`]
//! (arithmetic on a cited figure, stated), or [`FactKind::Chosen`] (no source found: a target we
//! choose and say so). Most sources are single events or industry reports, so the tolerances are
//! wide, and each says why.

/// A published value: one figure, or a range the sources span.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PublishedValue {
    /// One figure.
    Point(f64),
    /// The sources span `[low, high]`.
    Range {
        /// The lowest figure.
        low: f64,
        /// The highest figure.
        high: f64,
    },
}

/// How far from the published value a simulated mean may be and still agree.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tolerance {
    /// Plus or minus this much, in the fact's unit (0 for a range taken as it is).
    Absolute(f64),
    /// Plus or minus this fraction of the value (0.3 = ±30 %).
    Relative(f64),
}

/// Where a published value comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FactKind {
    /// The figure as the source gives it.
    Cited,
    /// Arithmetic on cited figures; the text says which.
    Derived(&'static str),
    /// No source found: a target we choose.
    Chosen,
}

impl FactKind {
    /// The kind's one-word label for tables.
    pub fn label(&self) -> &'static str {
        match self {
            FactKind::Cited => "cited",
            FactKind::Derived(_) => "derived",
            FactKind::Chosen => "chosen",
        }
    }
}

/// One published stylised fact.
#[derive(Clone, Debug, PartialEq)]
pub struct PublishedFact {
    /// The id of the measured fact it is compared with (see [`super::measure`]).
    pub id: &'static str,
    /// What the figure is.
    pub what: &'static str,
    /// The figure or range.
    pub value: PublishedValue,
    /// The stated tolerance ...
    pub tolerance: Tolerance,
    /// ... and why it is that wide.
    pub tolerance_why: &'static str,
    /// Short citation: authors or outlet, year, venue, table or figure where known.
    pub source: &'static str,
    /// Cited, derived (how) or chosen.
    pub kind: FactKind,
    /// The one episode the figure describes, if it is not a fact of every market day: it is
    /// compared only for a scenario shaped on that episode (see [`EPISODES`]).
    pub episode: Option<&'static str>,
}

/// The episodes single figures describe, with what each was: a scenario names the ones it is
/// shaped on in `[scenario] shaped_on`, and only then are their figures compared with it (a
/// calm day's largest burst is not the MtGox afternoon's, and has no liquidation cascade).
pub const EPISODES: &[(&str, &str)] = &[
    (
        "mtgox-2013-04-20",
        "the MtGox trade burst of 20 Apr 2013 (Heusser 2013)",
    ),
    (
        "oct-2025-cascade",
        "the liquidation cascade of 10 Oct 2025 (Amberdata)",
    ),
];

impl PublishedFact {
    /// The interval of values that agree: the value (or range) widened by the tolerance.
    pub fn band(&self) -> (f64, f64) {
        let (low, high) = match self.value {
            PublishedValue::Point(v) => (v, v),
            PublishedValue::Range { low, high } => (low, high),
        };
        match self.tolerance {
            Tolerance::Absolute(t) => (low - t, high + t),
            Tolerance::Relative(r) => (low - r * low.abs(), high + r * high.abs()),
        }
    }

    /// Whether `x` agrees with the published value within the tolerance.
    pub fn admits(&self, x: f64) -> bool {
        let (low, high) = self.band();
        low <= x && x <= high
    }
}

const CHOSEN_ACF_WHY: &str = "ACF values at 1/10/60 min for crypto not found (sources §2): a \
     target we choose - positive and slowly decaying, as the power-law ACF of |r| reported by \
     Takaishi (2021) and Tang et al. (2024) suggests; the range is the tolerance";
const CHOSEN_ACF_SOURCE: &str = "none found (market-world-sources §2); chosen";

/// The published table, in the order of the facts table.
pub fn published_facts() -> Vec<PublishedFact> {
    PUBLISHED.to_vec()
}

use FactKind::{Chosen, Cited, Derived};
use PublishedValue::{Point, Range};
use Tolerance::{Absolute, Relative};

/// The rows of [`published_facts`].
const PUBLISHED: &[PublishedFact] = &[
    PublishedFact {
        id: "acf_activity_deseasonalised_1min",
        what: "ACF of deseasonalised activity at 1 min",
        value: Range {
            low: 0.2,
            high: 0.8,
        },
        tolerance: Absolute(0.0),
        tolerance_why: CHOSEN_ACF_WHY,
        source: CHOSEN_ACF_SOURCE,
        kind: Chosen,
        episode: None,
    },
    PublishedFact {
        id: "acf_activity_deseasonalised_10min",
        what: "ACF of deseasonalised activity at 10 min",
        value: Range {
            low: 0.1,
            high: 0.6,
        },
        tolerance: Absolute(0.0),
        tolerance_why: CHOSEN_ACF_WHY,
        source: CHOSEN_ACF_SOURCE,
        kind: Chosen,
        episode: None,
    },
    PublishedFact {
        id: "acf_activity_deseasonalised_60min",
        what: "ACF of deseasonalised activity at 60 min",
        value: Range {
            low: 0.02,
            high: 0.4,
        },
        tolerance: Absolute(0.0),
        tolerance_why: CHOSEN_ACF_WHY,
        source: CHOSEN_ACF_SOURCE,
        kind: Chosen,
        episode: None,
    },
    PublishedFact {
        id: "intraday_peak_hour",
        what: "busiest UTC hour (start)",
        value: Range {
            low: 15.0,
            high: 16.0,
        },
        tolerance: Absolute(1.0),
        tolerance_why: "the sources disagree by an hour (one venue vs 38, 2020 vs 2019-22); \
             Eross et al. (2019, RIBAF 49) see volume rising to about 16:00 GMT",
        source: "Cointelegraph 2020-07-03 citing Skew: Coinbase, 30 days, busiest 15-16 UTC \
             (industry); Brauneis, Mestel & Theissen (2024, Rev. Quant. Finance & Accounting \
             64): 1,940 pairs on 38 exchanges, activity peaks 16-17 UTC (sources §4)",
        kind: Cited,
        episode: None,
    },
    PublishedFact {
        id: "intraday_trough_hour",
        what: "quietest UTC hour (start)",
        value: Point(9.0),
        tolerance: Absolute(2.0),
        tolerance_why: "one venue over 30 days; Baur et al. (2019, FRL 31) find each venue \
             quietest in its local evening, so the trough moves with the venue mix",
        source: "Cointelegraph 2020-07-03 citing Skew: Coinbase, quietest hour 09 UTC \
             (industry; sources §4)",
        kind: Cited,
        episode: None,
    },
    PublishedFact {
        id: "intraday_peak_trough_ratio",
        what: "busiest / quietest hour's volume",
        value: Point(3.25),
        tolerance: Relative(0.3),
        tolerance_why: "one venue, 30 days, industry data; no peer-reviewed hour-of-day table \
             was read",
        source: "Cointelegraph 2020-07-03 citing Skew: Coinbase (sources §4)",
        kind: Derived("$6.5 M at 15-16 UTC / $2 M at 09 UTC = 3.25"),
        episode: None,
    },
    PublishedFact {
        id: "weekend_weekday_ratio",
        what: "weekend-day / weekday mean activity",
        value: Point(0.37),
        tolerance: Absolute(0.11),
        tolerance_why: "another Kaiko release gives a 16 % weekend share (-> 0.48); the \
             2018-19 shares of 24-28 % (-> 0.79-0.97) describe an older market",
        source: "Kaiko Research (Feb 2024), \"Where did weekend crypto traders go?\", via The \
             Block 2024-02-27: BTC, major spot exchanges (sources §4)",
        kind: Derived("weekend share 13 % of volume on 2 of 7 days: (0.13/2)/(0.87/5) ≈ 0.37"),
        episode: None,
    },
    PublishedFact {
        id: "event_multiple_macro",
        what: "activity after a macro release / baseline",
        value: Range {
            low: 1.26,
            high: 3.9,
        },
        tolerance: Absolute(0.0),
        tolerance_why: "the range is already the spread of two anecdotes (15-min and 1-h \
             bars); a peer-reviewed multiple was not found",
        source: "clometrix.com FOMC page (11 Dec 2019); CoinDesk 2020-03-03, Coinbase \
             (sources §5)",
        kind: Derived(
            "x1.26 = +26 % volume on 15-min bars (FOMC 11 Dec 2019); x3.9 = 1,699/437 \
             Coinbase trades 14-15 UTC (emergency cut 3 Mar 2020)",
        ),
        episode: None,
    },
    PublishedFact {
        id: "event_buildup_macro",
        what: "activity in the 30 min before a macro release / the same 30 min on days without one",
        value: Range {
            low: 1.05,
            high: 1.5,
        },
        tolerance: Absolute(0.0),
        tolerance_why: "Falay (2024, JMF) and Ben Omrane et al. (2025, IREF) report volatility \
             rising before the release but give no size: we choose a build-up above 1 and \
             below the post-release multiple",
        source: "size not found (sources §5); chosen",
        kind: Chosen,
        episode: None,
    },
    PublishedFact {
        id: "burst_size_max",
        what: "largest burst's peak multiple",
        value: Point(15.0),
        tolerance: Relative(0.5),
        tolerance_why: "one afternoon on one venue (MtGox, 2013), measured against the mean \
             rate where ours is against the rolling median",
        source: "Heusser (2013), \"Bitcoin Trade Arrival as Self-Exciting Process\", blog \
             (sources §7)",
        kind: Derived("over 200 orders/min after 16:00 vs an average of 13/min: 200/13 ≈ 15"),
        episode: Some("mtgox-2013-04-20"),
    },
    PublishedFact {
        id: "burst_duration_of_largest",
        what: "duration of the largest burst (min)",
        value: Point(10.0),
        tolerance: Relative(0.5),
        tolerance_why: "one anecdote (\"slow decrease of intensity over the next ~10 \
             minutes\"), a decay time rather than time above 2x the median",
        source: "Heusser (2013), blog, MtGox 20 Apr 2013 (sources §7)",
        kind: Cited,
        episode: Some("mtgox-2013-04-20"),
    },
    PublishedFact {
        id: "liquidation_core_duration",
        what: "liquidation core holding 70 % of the 14 h (min)",
        value: Point(40.0),
        tolerance: Relative(0.5),
        tolerance_why: "one event (10 Oct 2025), industry blog; theirs is liquidated value, \
             ours liquidations executed (a count)",
        source: "Amberdata blog, \"How $3.21B Vanished in 60 Seconds\", 10 Oct 2025: 70 % \
             of $9.89 B in 40 min (sources §6)",
        kind: Cited,
        episode: Some("oct-2025-cascade"),
    },
    PublishedFact {
        id: "liquidation_core_intensity",
        what: "liquidation rate in the core / hours around it",
        value: Point(10.9),
        tolerance: Relative(0.5),
        tolerance_why: "one event (10 Oct 2025), industry blog; theirs is liquidated value, \
             ours liquidations executed (a count)",
        source: "Amberdata blog, 10 Oct 2025: \"10.9 times faster than the hours before and \
             after\" (sources §6)",
        kind: Cited,
        episode: Some("oct-2025-cascade"),
    },
    PublishedFact {
        id: "macro_to_cascade_lag",
        what: "macro trigger -> liquidation cascade start (min)",
        value: Point(353.0),
        tolerance: Relative(0.5),
        tolerance_why: "one event (10 Oct 2025), industry blog",
        source: "Amberdata blog, 10 Oct 2025 (sources §6)",
        kind: Derived("tariff announcement 14:57 UTC -> cascade start 20:50 UTC = 5 h 53 min"),
        episode: Some("oct-2025-cascade"),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_row_says_where_it_comes_from() {
        let facts = published_facts();
        for (i, f) in facts.iter().enumerate() {
            assert!(
                facts[..i].iter().all(|g| g.id != f.id),
                "duplicate {}",
                f.id
            );
            assert!(
                !f.source.is_empty() && !f.tolerance_why.is_empty(),
                "{}",
                f.id
            );
            if let FactKind::Derived(how) = f.kind {
                assert!(!how.is_empty(), "{}", f.id);
            }
            let (low, high) = f.band();
            assert!(low <= high, "{}", f.id);
            if let Some(e) = f.episode {
                assert!(EPISODES.iter().any(|(id, _)| *id == e), "{}: {e}", f.id);
            }
        }
    }

    #[test]
    fn bands_widen_points_and_ranges_by_the_tolerance() {
        let facts = published_facts();
        let get = |id: &str| facts.iter().find(|f| f.id == id).unwrap().clone();
        let ratio = get("intraday_peak_trough_ratio");
        let (low, high) = ratio.band();
        assert!((low - 2.275).abs() < 1e-12 && (high - 4.225).abs() < 1e-12);
        assert!(ratio.admits(4.2) && !ratio.admits(4.3));
        let macro_ = get("event_multiple_macro");
        assert!(macro_.admits(1.26) && macro_.admits(3.9) && !macro_.admits(1.2));
        let weekend = get("weekend_weekday_ratio");
        assert!(weekend.admits(0.48) && !weekend.admits(0.79));
    }
}
