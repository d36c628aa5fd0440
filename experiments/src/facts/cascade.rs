//! Cascade timing: the lead lag between cascade stages, and the liquidation core.
//!
//! **Stage lags.** For each adjacent pair of [`ActivitySeries::by_stage`] (which is in cascade
//! order) and for price → liquidation, the lag `L` in `0..=max` at which the correlation of
//! `a[t]` with `b[t + L]` peaks, in minutes. Both series are deseasonalised first: two stages
//! that share the daily cycle correlate at every lag, which would hide the lead.
//!
//! **Liquidation core.** After the Amberdata account of 10 Oct 2025 ("$9.89 billion … within 14
//! hours, with 70% of the losses concentrated in just 40 minutes", "10.9 times faster than the
//! hours before and after"): within the span ([`FactParams::liquidation_span`], 14 h) centred on
//! the busiest liquidation interval, the core is the shortest run of intervals holding
//! [`FactParams::liquidation_core_share`] (70 %) of the span's liquidations. Reported: its
//! duration, its rate over the rate in the flanks ([`FactParams::liquidation_flank`], 2 h on
//! each side: "the hours before and after"), and the lag from the last macro event before
//! the core to the core's start (Amberdata: tariff news 14:57 UTC, cascade 20:50 UTC).
//!
//! The published figures count liquidated value, near zero outside a cascade, so they compare
//! with a liquidation stage that counts only the liquidations executed (a `spiral_excess`
//! source, as in liquidation_cascade): a stage that also counts routine position updates has a
//! floor, and with it no 40-minute core can hold 70 % of 14 h.

use super::series::{ActivitySeries, deseasonalise};
use super::{FactParams, MeasuredFact};

/// The stage whose core is measured.
pub const LIQUIDATION: &str = "liquidation";
/// The first stage of a cascade.
pub const PRICE: &str = "price";

/// Pearson correlation of `a[t]` and `b[t + lag]` over the overlap (`None` without variance or
/// with fewer than three pairs).
fn lagged_correlation(a: &[f64], b: &[f64], lag: usize) -> Option<f64> {
    let n = a.len().min(b.len().saturating_sub(lag));
    if n < 3 {
        return None;
    }
    let (a, b) = (&a[..n], &b[lag..lag + n]);
    let (ma, mb) = (
        a.iter().sum::<f64>() / n as f64,
        b.iter().sum::<f64>() / n as f64,
    );
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    (saa > 0.0 && sbb > 0.0).then(|| sab / (saa * sbb).sqrt())
}

/// The lag in `0..=max_lag` intervals at which `b` follows `a` most closely (the earliest on
/// ties), with that correlation. `Err` when no lag has a defined correlation.
pub fn peak_lag(a: &[f64], b: &[f64], max_lag: usize) -> Result<(usize, f64), String> {
    let mut best: Option<(usize, f64)> = None;
    for lag in 0..=max_lag {
        if let Some(c) = lagged_correlation(a, b, lag)
            && best.is_none_or(|(_, bc)| c > bc)
        {
            best = Some((lag, c));
        }
    }
    best.ok_or_else(|| "the stages have no variance over the searched lags".to_string())
}

/// The stage pairs whose lag is reported: adjacent ones, then price → liquidation.
fn stage_pairs(series: &ActivitySeries) -> Vec<(usize, usize)> {
    let stages = &series.by_stage;
    let mut pairs: Vec<(usize, usize)> = (1..stages.len()).map(|i| (i - 1, i)).collect();
    let find = |name: &str| stages.iter().position(|(n, _)| n == name);
    if let (Some(p), Some(l)) = (find(PRICE), find(LIQUIDATION))
        && !pairs.contains(&(p, l))
    {
        pairs.push((p, l));
    }
    pairs
}

fn stage_lags(series: &ActivitySeries, params: &FactParams) -> Vec<MeasuredFact> {
    let pairs = stage_pairs(series);
    if pairs.is_empty() {
        return vec![MeasuredFact::new(
            "cascade_lag",
            "lead lag between cascade stages (min)",
            Err("the run has fewer than two cascade stages".to_string()),
        )];
    }
    let minutes = series.interval.as_secs_f64() / 60.0;
    let max = series.intervals_in(params.cascade_max_lag);
    pairs
        .into_iter()
        .map(|(i, j)| {
            let ((a, va), (b, vb)) = (&series.by_stage[i], &series.by_stage[j]);
            let lag = max.clone().and_then(|max| {
                let da = deseasonalise(series, va)?;
                let db = deseasonalise(series, vb)?;
                peak_lag(&da, &db, max).map(|(lag, _)| lag as f64 * minutes)
            });
            MeasuredFact::new(
                format!("cascade_lag_{a}_{b}"),
                format!("{a} → {b}: peak cross-correlation lag (min)"),
                lag,
            )
        })
        .collect()
}

/// The liquidation core and the span it was sought in, as interval indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiquidationCore {
    /// First interval of the core.
    pub start: usize,
    /// Its length in intervals.
    pub len: usize,
    /// First interval of the span around the peak.
    pub span_from: usize,
    /// One past the span's last interval.
    pub span_to: usize,
}

/// The liquidation core of `x` within `span` intervals around its peak: the shortest run holding
/// `share` of the span's total. Values are arrivals (non-negative, which the two-pointer search
/// relies on). `Err` when `x` has no liquidation.
pub fn liquidation_core(x: &[f64], span: usize, share: f64) -> Result<LiquidationCore, String> {
    let peak = (0..x.len())
        .reduce(|best, i| if x[i] > x[best] { i } else { best })
        .filter(|&p| x[p] > 0.0)
        .ok_or("the run has no liquidations")?;
    let from = peak.saturating_sub(span / 2);
    let to = (from + span).min(x.len());
    let window = &x[from..to];
    let need = share * window.iter().sum::<f64>();
    // Two pointers: the shortest run ending at each `end` holding `need`.
    let (mut best, mut start, mut sum) = ((0, usize::MAX), 0, 0.0);
    for (end, v) in window.iter().enumerate() {
        sum += v;
        while start < end && sum - window[start] >= need {
            sum -= window[start];
            start += 1;
        }
        if sum >= need && end + 1 - start < best.1 {
            best = (start, end + 1 - start);
        }
    }
    Ok(LiquidationCore {
        start: from + best.0,
        len: best.1,
        span_from: from,
        span_to: to,
    })
}

fn core_facts(series: &ActivitySeries, params: &FactParams) -> Vec<MeasuredFact> {
    let minutes = series.interval.as_secs_f64() / 60.0;
    let share = params.liquidation_core_share;
    let core = series
        .by_stage
        .iter()
        .find(|(n, _)| n == LIQUIDATION)
        .map(|(_, v)| v)
        .ok_or_else(|| "the run has no liquidation stage".to_string())
        .and_then(|x| {
            if !(share > 0.0 && share < 1.0) {
                return Err(format!("the core share must be in (0, 1) (it is {share})"));
            }
            let span = series.intervals_in(params.liquidation_span)?;
            liquidation_core(x, span, share).map(|c| (x, c))
        });
    let duration = core.clone().map(|(_, c)| c.len as f64 * minutes);
    let flank = series.intervals_in(params.liquidation_flank);
    let intensity = core.clone().and_then(|(x, c)| {
        let flank = flank?;
        let (start, end) = (c.start, c.start + c.len);
        let inside: f64 = x[start..end].iter().sum::<f64>() / c.len as f64;
        let before = &x[start.saturating_sub(flank)..start];
        let after = &x[end..(end + flank).min(x.len())];
        let around = before.len() + after.len();
        let outside: f64 = before.iter().chain(after).sum();
        if around == 0 || outside <= 0.0 {
            return Err("no liquidations in the hours around the core".to_string());
        }
        Ok(inside / (outside / around as f64))
    });
    let lag = core.and_then(|(_, c)| {
        let start_ns = c.start as u64 * series.interval.as_nanos();
        series
            .events
            .iter()
            .filter(|e| e.kind == "macro" && e.at.as_nanos() <= start_ns)
            .map(|e| e.at.as_nanos())
            .max()
            .map(|at| (start_ns - at) as f64 / 60e9)
            .ok_or_else(|| "no macro event before the liquidation core".to_string())
    });
    vec![
        MeasuredFact::new(
            "liquidation_core_duration",
            format!("liquidation core holding {share} of the span (min)"),
            duration,
        ),
        MeasuredFact::new(
            "liquidation_core_intensity",
            "liquidation rate in the core / the flanks around it",
            intensity,
        ),
        MeasuredFact::new(
            "macro_to_cascade_lag",
            "last macro event → liquidation core start (min)",
            lag,
        ),
    ]
}

/// The stage lags and the liquidation-core facts.
pub fn measure(series: &ActivitySeries, params: &FactParams) -> Vec<MeasuredFact> {
    let mut facts = stage_lags(series, params);
    facts.extend(core_facts(series, params));
    facts
}

#[cfg(test)]
mod tests {
    use rand_distr::{Distribution, StandardNormal};
    use shardsim_sim::SimTime;
    use shardsim_sim::rng::RngStreams;

    use super::super::Measured;
    use super::super::series::CalendarMark;
    use super::super::series::testing::series;
    use super::*;

    fn get(facts: &[MeasuredFact], id: &str) -> Measured {
        let f = facts.iter().find(|f| f.id == id);
        f.unwrap_or_else(|| panic!("no {id}")).value.clone()
    }

    /// B is A shifted by 7 intervals plus a little independent noise, C is B shifted by 3: the
    /// lags are 7 and 3 min, and price → liquidation (A → C) is 10.
    #[test]
    fn a_shifted_stage_peaks_at_its_shift() {
        let mut rng = RngStreams::new(9).stream("test/cascade");
        let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
        let mut x = 0.0;
        let a: Vec<f64> = (0..3000)
            .map(|_| {
                x = 0.5 * x + normal();
                20.0 + x
            })
            .collect();
        let shift = |v: &[f64], by: usize, noise: &mut dyn FnMut() -> f64| -> Vec<f64> {
            (0..v.len())
                .map(|t| v[t.saturating_sub(by)] + 0.2 * noise())
                .collect()
        };
        let b = shift(&a, 7, &mut normal);
        let c = shift(&b, 3, &mut normal);
        let mut s = series(1, a.clone());
        s.by_stage = vec![
            ("price".to_string(), a),
            ("trade".to_string(), b),
            ("liquidation".to_string(), c),
        ];
        let facts = measure(&s, &FactParams::default());
        assert_eq!(get(&facts, "cascade_lag_price_trade"), Measured::Value(7.0));
        assert_eq!(
            get(&facts, "cascade_lag_trade_liquidation"),
            Measured::Value(3.0)
        );
        assert_eq!(
            get(&facts, "cascade_lag_price_liquidation"),
            Measured::Value(10.0)
        );
    }

    /// Liquidations at 0.1/min with a 40-min block at 6/min holding 75 % of the 14 h span: the
    /// shortest run with 70 % (224 of 320) is 38 min of the block (228), at a rate of 6/min
    /// against the 2 h flanks' (238 × 0.1 + 2 × 6) / 240 (the block's other 2 minutes fall in
    /// a flank); the macro event 350 min earlier is the lag.
    #[test]
    fn the_liquidation_core_is_the_shortest_run_with_its_share() {
        let mut liq = vec![0.1; 2880];
        liq[1200..1240].fill(6.0);
        let mut s = series(1, vec![1.0; 2880]);
        s.by_stage = vec![("liquidation".to_string(), liq)];
        s.events = [850u64, 1300]
            .iter()
            .map(|m| CalendarMark {
                at: SimTime::from_nanos(m * 60_000_000_000),
                kind: "macro".to_string(),
                impact_class: "high".to_string(),
            })
            .collect();
        let facts = measure(&s, &FactParams::default());
        assert_eq!(
            get(&facts, "liquidation_core_duration"),
            Measured::Value(38.0)
        );
        let Measured::Value(i) = get(&facts, "liquidation_core_intensity") else {
            panic!()
        };
        assert!(
            (i - 6.0 / ((238.0 * 0.1 + 12.0) / 240.0)).abs() < 1e-9,
            "{i}"
        );
        assert_eq!(get(&facts, "macro_to_cascade_lag"), Measured::Value(350.0));
        let Measured::NotApplicable(why) = get(&facts, "cascade_lag") else {
            panic!()
        };
        assert!(why.contains("fewer than two"), "{why}");
    }

    #[test]
    fn no_liquidation_stage_or_no_macro_event_is_n_a() {
        let facts = measure(&series(1, vec![1.0; 100]), &FactParams::default());
        for id in ["liquidation_core_duration", "macro_to_cascade_lag"] {
            let Measured::NotApplicable(why) = get(&facts, id) else {
                panic!("{id}")
            };
            assert!(why.contains("no liquidation stage"), "{why}");
        }
        let mut s = series(1, vec![1.0; 100]);
        s.by_stage = vec![("liquidation".to_string(), vec![0.0; 100])];
        let facts = measure(&s, &FactParams::default());
        assert!(matches!(
            get(&facts, "liquidation_core_duration"),
            Measured::NotApplicable(w) if w.contains("no liquidations")
        ));
    }
}
