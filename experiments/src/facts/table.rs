//! The comparison: each fact's simulated mean over seeds (with its 95 % t half-width, from
//! [`crate::report::stats::t_interval`]) beside its published value, whether the mean is within
//! the stated tolerance, and the source; as aligned text and as serde rows for CSV or JSON.
//!
//! Rows come in the order of the measured facts, then any published fact nothing measured. A
//! fact measured on some seeds and n/a on others is summarised over the seeds where it applies
//! (the seed count says how many); n/a on every seed, it is n/a with the first seed's reason.
//! A measured fact without a published value is kept (its published column is empty). A fact
//! measured once on all seeds together (the pooled intraday profile) has no interval; its row
//! says "pooled".

use serde::{Deserialize, Serialize};

use super::published::{PublishedFact, PublishedValue, Tolerance};
use super::{Measured, MeasuredFact};
use crate::report::stats::t_interval;

/// A fact's value over seeds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SimulatedSummary {
    /// Mean over the seeds where the fact applies.
    pub mean: f64,
    /// Half-width of the 95 % t-interval of the mean (absent with one seed).
    pub half_width: Option<f64>,
    /// How many seeds it applies to.
    pub seeds: usize,
    /// Measured once on the seeds pooled, not averaged over per-seed values.
    pub pooled: bool,
}

/// Whether the simulated mean agrees with the published value.
#[derive(Clone, Debug, PartialEq)]
pub enum Within {
    /// Inside the tolerance band.
    Yes,
    /// Outside it.
    No,
    /// Not comparable, and why.
    NotApplicable(String),
}

/// One row of the comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct FactRow {
    /// The fact's id.
    pub id: String,
    /// What it is, with its unit.
    pub what: String,
    /// Its value over seeds, or why it does not apply.
    pub simulated: Result<SimulatedSummary, String>,
    /// The published value, if there is one.
    pub published: Option<PublishedFact>,
    /// Whether they agree.
    pub within: Within,
}

/// The comparison of the measured facts of several seeds with the published table.
#[derive(Clone, Debug, PartialEq)]
pub struct FactsTable {
    /// One row per fact.
    pub rows: Vec<FactRow>,
}

/// Summarises one fact over the seeds.
fn summarise(values: &[&Measured]) -> Result<SimulatedSummary, String> {
    let applicable: Vec<f64> = values
        .iter()
        .filter_map(|v| match v {
            Measured::Value(x) => Some(*x),
            Measured::NotApplicable(_) => None,
        })
        .collect();
    if applicable.is_empty() {
        let first = values.iter().find_map(|v| match v {
            Measured::NotApplicable(why) => Some(why.clone()),
            Measured::Value(_) => None,
        });
        return Err(first.unwrap_or_else(|| "no seed was measured".to_string()));
    }
    let e = t_interval(&applicable);
    Ok(SimulatedSummary {
        mean: e.mean,
        half_width: e.ci_high.map(|h| h - e.mean),
        seeds: applicable.len(),
        pooled: false,
    })
}

/// Sets the facts of each seed (`per_seed[s]` = [`super::measure`] of seed `s`) and those
/// measured on all seeds pooled ([`super::measure_pooled`]) beside the published table.
pub fn compare(
    published: &[PublishedFact],
    per_seed: &[Vec<MeasuredFact>],
    pooled: &[MeasuredFact],
    shaped_on: &[String],
) -> FactsTable {
    // The ids in first-seen order, with their description.
    let mut ids: Vec<(String, String)> = Vec::new();
    for fact in pooled.iter().chain(per_seed.iter().flatten()) {
        if !ids.iter().any(|(id, _)| *id == fact.id) {
            ids.push((fact.id.clone(), fact.what.clone()));
        }
    }
    for p in published {
        if !ids.iter().any(|(id, _)| id == p.id) {
            ids.push((p.id.to_string(), p.what.to_string()));
        }
    }
    let rows = ids
        .into_iter()
        .map(|(id, what)| {
            let values: Vec<&Measured> = per_seed
                .iter()
                .flat_map(|facts| facts.iter().filter(|f| f.id == id).map(|f| &f.value))
                .collect();
            let simulated = match pooled.iter().find(|f| f.id == id) {
                Some(f) => match &f.value {
                    Measured::Value(x) => Ok(SimulatedSummary {
                        mean: *x,
                        half_width: None,
                        seeds: per_seed.len(),
                        pooled: true,
                    }),
                    Measured::NotApplicable(why) => Err(why.clone()),
                },
                None if values.is_empty() => Err("not measured on this scenario".to_string()),
                None => summarise(&values),
            };
            let published = published.iter().find(|p| p.id == id).cloned();
            let within = match (&simulated, &published) {
                (Err(why), _) => Within::NotApplicable(why.clone()),
                (Ok(_), None) => Within::NotApplicable("no published value".to_string()),
                (Ok(_), Some(p)) if !p.episode.is_none_or(|e| shaped_on.iter().any(|s| s == e)) => {
                    Within::NotApplicable(format!(
                        "the published value describes one episode ({}); the scenario is not \
                         shaped on it (`[scenario] shaped_on`)",
                        p.episode.unwrap_or_default()
                    ))
                }
                (Ok(s), Some(p)) if p.admits(s.mean) => Within::Yes,
                (Ok(_), Some(_)) => Within::No,
            };
            FactRow {
                id,
                what,
                simulated,
                published,
                within,
            }
        })
        .collect();
    FactsTable { rows }
}

/// A number with at most three decimals, trailing zeros dropped ("0.37", "15", "3.25").
fn num(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

fn published_text(p: &PublishedFact) -> String {
    match p.value {
        PublishedValue::Point(v) => num(v),
        PublishedValue::Range { low, high } => format!("{}-{}", num(low), num(high)),
    }
}

fn tolerance_text(p: &PublishedFact) -> String {
    match p.tolerance {
        Tolerance::Absolute(0.0) => "range".to_string(),
        Tolerance::Absolute(t) => format!("±{}", num(t)),
        Tolerance::Relative(r) => format!("±{}%", num(100.0 * r)),
    }
}

fn within_text(w: &Within) -> &'static str {
    match w {
        Within::Yes => "yes",
        Within::No => "NO",
        Within::NotApplicable(_) => "n/a",
    }
}

fn simulated_text(s: &Result<SimulatedSummary, String>) -> String {
    match s {
        Ok(SimulatedSummary {
            mean,
            half_width: Some(h),
            seeds,
            ..
        }) => format!("{} ± {} (n={seeds})", num(*mean), num(*h)),
        Ok(SimulatedSummary {
            mean,
            seeds,
            pooled: true,
            ..
        }) => format!("{} (pooled, n={seeds})", num(*mean)),
        Ok(SimulatedSummary { mean, seeds, .. }) => format!("{} (n={seeds})", num(*mean)),
        Err(_) => "n/a".to_string(),
    }
}

impl FactsTable {
    /// The table as aligned text: fact, simulated (mean ± 95 % half-width, seeds), published,
    /// tolerance, within?, kind, source; then the reason for every n/a.
    pub fn render(&self) -> String {
        let header = [
            "fact",
            "simulated",
            "published",
            "tolerance",
            "within",
            "kind",
            "source",
        ];
        let mut cells: Vec<[String; 7]> = vec![header.map(str::to_string)];
        for row in &self.rows {
            let p = row.published.as_ref();
            cells.push([
                row.id.clone(),
                simulated_text(&row.simulated),
                p.map_or("-".to_string(), published_text),
                p.map_or("-".to_string(), tolerance_text),
                within_text(&row.within).to_string(),
                p.map_or("-", |p| p.kind.label()).to_string(),
                p.map_or("-", |p| p.source).to_string(),
            ]);
        }
        let mut widths = [0usize; 7];
        for line in &cells {
            for (w, c) in widths.iter_mut().zip(line) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        for line in &cells {
            let mut text = String::new();
            for (i, (c, w)) in line.iter().zip(widths).enumerate() {
                text.push_str(c);
                if i + 1 < line.len() {
                    text.extend(std::iter::repeat_n(' ', w - c.chars().count() + 2));
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
        for row in &self.rows {
            if let Within::NotApplicable(why) = &row.within {
                out.push_str(&format!("n/a {}: {why}\n", row.id));
            }
        }
        out
    }

    /// The rows for a CSV or JSON file.
    pub fn csv_rows(&self) -> Vec<FactCsvRow> {
        self.rows
            .iter()
            .map(|row| {
                let p = row.published.as_ref();
                let band = p.map(|p| match p.value {
                    PublishedValue::Point(v) => (v, v),
                    PublishedValue::Range { low, high } => (low, high),
                });
                let sim = row.simulated.as_ref().ok();
                FactCsvRow {
                    fact: row.id.clone(),
                    what: row.what.clone(),
                    simulated_mean: sim.map(|s| s.mean),
                    simulated_half_width: sim.and_then(|s| s.half_width),
                    seeds: sim.map_or(0, |s| s.seeds),
                    pooled: sim.is_some_and(|s| s.pooled),
                    published_low: band.map(|b| b.0),
                    published_high: band.map(|b| b.1),
                    agree_low: p.map(|p| p.band().0),
                    agree_high: p.map(|p| p.band().1),
                    tolerance: p.map_or(String::new(), tolerance_text),
                    within: within_text(&row.within).to_lowercase(),
                    reason: match &row.within {
                        Within::NotApplicable(why) => why.clone(),
                        _ => String::new(),
                    },
                    kind: p.map_or("", |p| p.kind.label()).to_string(),
                    derivation: match p.map(|p| p.kind) {
                        Some(super::published::FactKind::Derived(how)) => how.to_string(),
                        _ => String::new(),
                    },
                    source: p.map_or("", |p| p.source).to_string(),
                    tolerance_why: p.map_or("", |p| p.tolerance_why).to_string(),
                }
            })
            .collect()
    }
}

/// One row of `facts.csv` (or of the JSON list): the columns are the fields, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactCsvRow {
    /// The fact's id.
    pub fact: String,
    /// What it is, with its unit.
    pub what: String,
    /// Mean over the seeds where it applies (empty when n/a).
    pub simulated_mean: Option<f64>,
    /// Half-width of the mean's 95 % t-interval (empty with fewer than two seeds).
    pub simulated_half_width: Option<f64>,
    /// Seeds it applies to.
    pub seeds: usize,
    /// Measured once on the seeds pooled (no interval), not as a mean over seeds.
    pub pooled: bool,
    /// Published value, or the low end of the published range.
    pub published_low: Option<f64>,
    /// Published value, or the high end of the published range.
    pub published_high: Option<f64>,
    /// Low end of the band that agrees (published widened by the tolerance).
    pub agree_low: Option<f64>,
    /// High end of that band.
    pub agree_high: Option<f64>,
    /// The tolerance as printed ("±30%", "±1", "range").
    pub tolerance: String,
    /// "yes", "no" or "n/a".
    pub within: String,
    /// Why the row is n/a (empty otherwise).
    pub reason: String,
    /// "cited", "derived" or "chosen" (empty without a published value).
    pub kind: String,
    /// For a derived value, the arithmetic.
    pub derivation: String,
    /// The short citation.
    pub source: String,
    /// Why the tolerance is that wide.
    pub tolerance_why: String,
}

#[cfg(test)]
mod tests {
    use super::super::published::FactKind;
    use super::*;
    use crate::io::csv::{Empty, columns, csv_bytes};

    fn published() -> Vec<PublishedFact> {
        vec![
            PublishedFact {
                id: "ratio",
                what: "a ratio",
                value: PublishedValue::Point(3.25),
                tolerance: Tolerance::Relative(0.3),
                tolerance_why: "one venue",
                source: "Skew 2020",
                kind: FactKind::Derived("6.5 / 2"),
                episode: None,
            },
            PublishedFact {
                id: "multiple",
                what: "a multiple",
                value: PublishedValue::Range {
                    low: 1.26,
                    high: 3.9,
                },
                tolerance: Tolerance::Absolute(0.0),
                tolerance_why: "two anecdotes",
                source: "CoinDesk 2020",
                kind: FactKind::Cited,
                episode: None,
            },
            PublishedFact {
                id: "funding",
                what: "a chosen multiple",
                value: PublishedValue::Point(1.2),
                tolerance: Tolerance::Absolute(0.1),
                tolerance_why: "chosen",
                source: "none",
                kind: FactKind::Chosen,
                episode: None,
            },
            PublishedFact {
                id: "unmeasured",
                what: "not in the measures",
                value: PublishedValue::Point(1.0),
                tolerance: Tolerance::Absolute(1.0),
                tolerance_why: "chosen",
                source: "none",
                kind: FactKind::Chosen,
                episode: None,
            },
        ]
    }

    fn seed(ratio: f64, multiple: Result<f64, String>) -> Vec<MeasuredFact> {
        vec![
            MeasuredFact::new("ratio", "a ratio", Ok(ratio)),
            MeasuredFact::new("multiple", "a multiple", multiple),
            MeasuredFact::new(
                "funding",
                "a multiple",
                Err("no funding events".to_string()),
            ),
            MeasuredFact::new("extra", "measured only", Ok(0.5)),
        ]
    }

    fn table() -> FactsTable {
        // Ratio 3 and 4 (mean 3.5, s = 0.7071, half-width 12.706 · 0.5 = 6.353); the multiple
        // applies on one seed only (4.5, outside 1.26-3.9).
        compare(
            &published(),
            &[
                seed(3.0, Ok(4.5)),
                seed(4.0, Err("no macro events".to_string())),
            ],
            &[],
            &[],
        )
    }

    /// A pooled fact is the one value measured on all seeds: no interval, the seed count of the
    /// run, ahead of the per-seed rows, and it wins over a per-seed value of the same id.
    #[test]
    fn a_pooled_fact_is_one_value_over_all_seeds() {
        let pooled = [MeasuredFact::new("ratio", "a ratio", Ok(4.0))];
        let seeds = [seed(1.0, Ok(2.0)), seed(1.0, Ok(2.0)), seed(1.0, Ok(2.0))];
        let t = compare(&published(), &seeds, &pooled, &[]);
        assert_eq!(t.rows[0].id, "ratio");
        let s = t.rows[0].simulated.clone().unwrap();
        assert_eq!(
            (s.mean, s.half_width, s.seeds, s.pooled),
            (4.0, None, 3, true)
        );
        assert_eq!(t.rows[0].within, Within::Yes);
        assert!(t.render().contains("4 (pooled, n=3)"));
        assert!(t.csv_rows()[0].pooled && !t.csv_rows()[1].pooled);
        let unmeasurable = [MeasuredFact::new(
            "ratio",
            "a ratio",
            Err("too short".into()),
        )];
        let t = compare(&published(), &seeds, &unmeasurable, &[]);
        assert_eq!(
            t.rows[0].within,
            Within::NotApplicable("too short".to_string())
        );
    }

    #[test]
    fn the_table_summarises_over_seeds_and_keeps_every_row() {
        let t = table();
        let ids: Vec<&str> = t.rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["ratio", "multiple", "funding", "extra", "unmeasured"]);
        let s = t.rows[0].simulated.clone().unwrap();
        assert_eq!((s.mean, s.seeds), (3.5, 2));
        assert!((s.half_width.unwrap() - 6.353).abs() < 1e-3);
        assert_eq!(t.rows[0].within, Within::Yes);
        assert_eq!(t.rows[1].within, Within::No);
        assert_eq!(t.rows[1].simulated.clone().unwrap().seeds, 1);
        assert_eq!(
            t.rows[2].within,
            Within::NotApplicable("no funding events".to_string())
        );
        assert_eq!(
            t.rows[3].within,
            Within::NotApplicable("no published value".to_string())
        );
        assert_eq!(
            t.rows[4].within,
            Within::NotApplicable("not measured on this scenario".to_string())
        );
    }

    #[test]
    fn a_fact_of_one_episode_is_compared_only_for_a_scenario_shaped_on_it() {
        let mut published = published();
        published[0].episode = Some("mtgox-2013-04-20");
        let seeds = [seed(3.0, Ok(4.5))];
        let other = compare(&published, &seeds, &[], &["oct-2025-cascade".to_string()]);
        assert!(
            matches!(&other.rows[0].within, Within::NotApplicable(why) if why.contains("(mtgox-2013-04-20)")),
            "{:?}",
            other.rows[0].within
        );
        // The simulated value is still reported.
        assert_eq!(other.rows[0].simulated.clone().unwrap().mean, 3.0);
        let shaped = compare(&published, &seeds, &[], &["mtgox-2013-04-20".to_string()]);
        assert_eq!(shaped.rows[0].within, Within::Yes);
    }

    #[test]
    fn the_rendered_table_is_aligned() {
        let golden = "\
fact        simulated          published  tolerance  within  kind     source
ratio       3.5 ± 6.353 (n=2)  3.25       ±30%       yes     derived  Skew 2020
multiple    4.5 (n=1)          1.26-3.9   range      NO      cited    CoinDesk 2020
funding     n/a                1.2        ±0.1       n/a     chosen   none
extra       0.5 ± 0 (n=2)      -          -          n/a     -        -
unmeasured  n/a                1          ±1         n/a     chosen   none
n/a funding: no funding events
n/a extra: no published value
n/a unmeasured: not measured on this scenario
";
        assert_eq!(table().render(), golden);
    }

    #[test]
    fn rows_serialise_to_csv_and_json() {
        let rows = table().csv_rows();
        assert_eq!(rows[0].agree_low, Some(3.25 - 0.975));
        assert_eq!(rows[0].derivation, "6.5 / 2");
        assert_eq!(rows[2].reason, "no funding events");
        assert_eq!(rows[2].simulated_mean, None);
        let text = String::from_utf8(csv_bytes(&rows, Empty::Header).unwrap()).unwrap();
        let header = text.lines().next().unwrap();
        assert_eq!(header, columns::<FactCsvRow>().join(","));
        assert!(
            text.lines()
                .nth(3)
                .unwrap()
                .starts_with("funding,a multiple,,,0,false,1.2,1.2,")
        );
        let json = serde_json::to_string(&rows).unwrap();
        let back: Vec<FactCsvRow> = serde_json::from_str(&json).unwrap();
        assert_eq!(back.len(), rows.len());
        assert_eq!((back[1].within.as_str(), back[1].seeds), ("no", 1));
    }
}
