//! `shardsim plot DIR`: every chart the result files in DIR support, into `DIR/charts/`.
//!
//! The CSV files are read back through the row types that wrote them
//! ([`crate::run::ShardMetricsRow`], [`crate::compare::PlanRow`], …), so a column is named in
//! one place.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::charts::{self, Bar, Calibration, ComparisonBars, Line, Lines, LoadHeatmap, Timeline};
use crate::compare::PlanRow;
use crate::compare::files::LatencyRow;
use crate::forecast::ForecastRow;
use crate::io::csv::read_csv;
use crate::run::{MigrationRow, ShardMetricsRow};

/// Columns at most in a heatmap (intervals are averaged into columns).
const HEATMAP_COLUMNS: usize = 288;

/// Renders every chart `dir`'s results support; returns the files written.
pub fn plot_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let out = dir.join("charts");
    let mut written = Vec::new();
    let mut any = false;
    if dir.join("comparison.json").exists() {
        any = true;
        written.extend(comparison(dir, &out)?);
    }
    if dir.join("shard_metrics.csv").exists() {
        any = true;
        written.extend(heatmap(dir, &out)?);
    }
    if dir.join("forecast.csv").exists() {
        any = true;
        written.extend(forecast(dir, &out)?);
    }
    if !any {
        bail!(
            "nothing to plot in {}: expected comparison.json (from `compare`), shard_metrics.csv \
             (from `run`) or forecast.csv (from `evaluate`)",
            dir.display()
        );
    }
    Ok(written)
}

/// The charts of a `compare` directory: policy bars from `comparison.json`, then the plans'
/// calibration and timeline from `plans.csv` and the latency CDF from `latency.csv`, if there.
fn comparison(dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let path = dir.join("comparison.json");
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
    )
    .with_context(|| format!("{} is not JSON", path.display()))?;
    let scenarios = json["scenarios"]
        .as_array()
        .with_context(|| format!("{}: no `scenarios` array", path.display()))?;
    let mut written = policy_bars(out, scenarios)?;
    let plans_path = dir.join("plans.csv");
    if plans_path.exists() {
        let rows: Vec<PlanRow> = read_csv(&plans_path)?;
        written.extend(plan_charts(out, &json, scenarios, &rows)?);
    }
    let latency_path = dir.join("latency.csv");
    if latency_path.exists() {
        written.extend(latency_cdf(out, &read_csv(&latency_path)?)?);
    }
    Ok(written)
}

/// SLO-violation minutes (with intervals) and migrations per policy, a panel per scenario.
fn policy_bars(out: &Path, scenarios: &[serde_json::Value]) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let bars = |metric: &str, title: &str, axis: &str| -> ComparisonBars {
        ComparisonBars {
            title: title.to_owned(),
            metric: axis.to_owned(),
            panels: scenarios
                .iter()
                .map(|s| {
                    let name = s["scenario"].as_str().unwrap_or("?").to_owned();
                    let bars = s["policies"]
                        .as_array()
                        .map(|ps| {
                            ps.iter()
                                .map(|p| {
                                    let mean = p[metric].as_f64().unwrap_or(0.0);
                                    let (low, high) = if metric == "slo_violation_minutes" {
                                        (
                                            p["slo"]["ci_low"].as_f64().unwrap_or(mean),
                                            p["slo"]["ci_high"].as_f64().unwrap_or(mean),
                                        )
                                    } else {
                                        (mean, mean)
                                    };
                                    Bar {
                                        label: p["policy"].as_str().unwrap_or("?").to_owned(),
                                        mean,
                                        low,
                                        high,
                                    }
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    (name, bars)
                })
                .collect(),
        }
    };
    written.extend(charts::render(
        out,
        "slo_violation_minutes",
        &bars(
            "slo_violation_minutes",
            "SLO-violation minutes per run (mean, 95% interval)",
            "function-minutes over 1% missed",
        ),
    )?);
    written.extend(charts::render(
        out,
        "migrations",
        &bars(
            "migrations",
            "Migrations per run (mean)",
            "migrations (moves + expansions)",
        ),
    )?);
    Ok(written)
}

/// Predicted against realised benefit of the scored plans, and the placement changes of the
/// first scenario's first seed, one row per policy.
fn plan_charts(
    out: &Path,
    json: &serde_json::Value,
    scenarios: &[serde_json::Value],
    rows: &[PlanRow],
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let mut series: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for r in rows {
        let (p, q) = (r.predicted, r.realised.unwrap_or(f64::NAN));
        if p.is_finite() && q.is_finite() {
            series.entry(r.policy.clone()).or_default().push((p, q));
        }
    }
    if !series.is_empty() {
        written.extend(charts::render(
            out,
            "predicted_vs_realised",
            &Calibration {
                title: "Planned benefit vs what the fork without the plan showed".into(),
                series: series.into_iter().collect(),
            },
        )?);
    }
    // The timeline of the first scenario's first seed, one row per policy.
    if let Some(first) = rows.first() {
        let (s0, seed0) = (first.scenario.clone(), first.seed);
        let mut policies: Vec<String> = scenarios
            .iter()
            .find(|s| s["scenario"] == s0.as_str())
            .and_then(|s| s["policies"].as_array())
            .map(|ps| {
                ps.iter()
                    .filter_map(|p| p["policy"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if policies.is_empty() {
            policies.push(first.policy.clone());
        }
        let mut events = Vec::new();
        for r in rows.iter().filter(|r| r.scenario == s0 && r.seed == seed0) {
            let Some(row) = policies.iter().position(|p| *p == r.policy) else {
                continue;
            };
            for a in r.actions.split(' ').filter(|a| !a.is_empty()) {
                let kind = a.split(':').next().unwrap_or("").to_owned();
                events.push((row, r.execute_at_s / 3600.0, kind));
            }
        }
        let hours = json["meta"]["duration_secs"]
            .as_f64()
            .map(|s| s / 3600.0)
            .unwrap_or_else(|| events.iter().map(|e| e.1).fold(1.0, f64::max).ceil());
        written.extend(charts::render(
            out,
            "migration_timeline",
            &Timeline {
                title: format!("Placement changes by policy — {s0}, seed {seed0}"),
                rows: policies,
                events,
                volatile: Vec::new(),
                hours,
            },
        )?);
    }
    Ok(written)
}

/// Completion latency by policy, a panel per scenario (rows come grouped by scenario, then
/// policy).
fn latency_cdf(out: &Path, rows: &[LatencyRow]) -> Result<Vec<PathBuf>> {
    let mut panels: Vec<(String, Vec<Line>)> = Vec::new();
    for r in rows {
        if panels.last().is_none_or(|p| p.0 != r.scenario) {
            panels.push((r.scenario.clone(), Vec::new()));
        }
        let lines = &mut panels.last_mut().expect("just pushed").1;
        if lines.last().is_none_or(|l| l.label != r.policy) {
            lines.push(Line {
                label: r.policy.clone(),
                points: Vec::new(),
                band: None,
                dashed: false,
            });
        }
        lines
            .last_mut()
            .expect("just pushed")
            .points
            .push((r.latency_ms, r.quantile));
    }
    charts::render(
        out,
        "latency_cdf",
        &Lines {
            title: "Completion latency by policy (all runs merged)".into(),
            x_desc: "latency, ms (log scale)".into(),
            y_desc: "share of invocations at or below".into(),
            log_x: true,
            legend_low: true,
            panels,
        },
    )
}

/// The load heatmap of a `run` directory, with its migrations marked.
fn heatmap(dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let rows: Vec<ShardMetricsRow> = read_csv(&dir.join("shard_metrics.csv"))?;
    let mut names: Vec<String> = Vec::new();
    let mut series: Vec<Vec<f64>> = Vec::new();
    let mut interval_s = 60.0;
    for r in &rows {
        let i = r.interval;
        if i == 1 {
            interval_s = r.start_s;
        }
        let s = match names.iter().position(|n| *n == r.shard) {
            Some(s) => s,
            None => {
                names.push(r.shard.clone());
                series.push(Vec::new());
                names.len() - 1
            }
        };
        if series[s].len() <= i {
            series[s].resize(i + 1, 0.0);
        }
        series[s][i] = r.offered_load;
    }
    let intervals = series.iter().map(Vec::len).max().unwrap_or(0);
    let per = intervals.div_ceil(HEATMAP_COLUMNS).max(1);
    let load: Vec<Vec<f64>> = series
        .iter()
        .map(|s| {
            s.chunks(per)
                .map(|c| c.iter().sum::<f64>() / c.len() as f64)
                .collect()
        })
        .collect();
    let mut migrations = Vec::new();
    let mpath = dir.join("migrations.csv");
    if mpath.exists() {
        let rows: Vec<MigrationRow> = read_csv(&mpath)?;
        for r in &rows {
            let shard = if r.kind == "shrink" { &r.from } else { &r.to };
            if let Some(s) = names.iter().position(|n| n == shard) {
                migrations.push((r.start_s / 60.0, s, r.kind.clone()));
            }
        }
    }
    // From the summary: the manifest is written after the charts.
    let scenario = std::fs::read(dir.join("summary.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|m| m["scenario"].as_str().map(str::to_owned))
        .unwrap_or_else(|| dir.display().to_string());
    charts::render(
        out,
        "load_heatmap",
        &LoadHeatmap {
            title: format!("Offered load per shard — {scenario}"),
            shards: names,
            minutes_per_column: per as f64 * interval_s / 60.0,
            load,
            migrations,
        },
    )
}

/// Forecast against actual (and persistence) for the shards in `forecast.csv`, a panel each.
fn forecast(dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let rows: Vec<ForecastRow> = read_csv(&dir.join("forecast.csv"))?;
    let band = rows.first().map(|r| r.model_mae).filter(|b| b.is_finite());
    let mut panels: Vec<(String, Vec<Line>)> = Vec::new();
    for r in &rows {
        if panels.last().is_none_or(|p| p.0 != r.shard) {
            let line = |label: &str, band: Option<f64>, dashed: bool| Line {
                label: label.to_owned(),
                points: Vec::new(),
                band,
                dashed,
            };
            panels.push((
                r.shard.clone(),
                vec![
                    line("actual", None, false),
                    line("model forecast", band, false),
                    line("persistence", None, true),
                ],
            ));
        }
        let lines = &mut panels.last_mut().expect("just pushed").1;
        let x = r.minute / 60.0;
        lines[0].points.push((x, r.actual));
        lines[1].points.push((x, r.forecast));
        lines[2].points.push((x, r.persistence));
    }
    charts::render(
        out,
        "forecast_vs_actual",
        &Lines {
            title: "Offered load 15 minutes ahead: forecast vs actual".into(),
            x_desc: "simulated hours (target time)".into(),
            y_desc: "offered load".into(),
            log_x: false,
            legend_low: false,
            panels,
        },
    )
}
