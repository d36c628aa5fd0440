//! `shardsim plot DIR`: every chart the result files in DIR support, into `DIR/charts/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::charts::{self, Bar, Calibration, ComparisonBars, Line, Lines, LoadHeatmap, Timeline};

/// Columns at most in a heatmap (intervals are averaged into columns).
const HEATMAP_COLUMNS: usize = 288;

fn read_csv(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let mut r =
        csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let header = r.headers()?.iter().map(str::to_owned).collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        rows.push(rec?.iter().map(str::to_owned).collect());
    }
    Ok((header, rows))
}

fn col(header: &[String], name: &str, path: &Path) -> Result<usize> {
    header
        .iter()
        .position(|h| h == name)
        .with_context(|| format!("{}: no column `{name}`", path.display()))
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or(f64::NAN)
}

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

fn comparison(dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let path = dir.join("comparison.json");
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
    )
    .with_context(|| format!("{} is not JSON", path.display()))?;
    let scenarios = json["scenarios"]
        .as_array()
        .with_context(|| format!("{}: no `scenarios` array", path.display()))?;
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
    let plans_path = dir.join("plans.csv");
    if plans_path.exists() {
        let (h, rows) = read_csv(&plans_path)?;
        let (pol, pred, real, sc, seed, exec, acts) = (
            col(&h, "policy", &plans_path)?,
            col(&h, "predicted", &plans_path)?,
            col(&h, "realised", &plans_path)?,
            col(&h, "scenario", &plans_path)?,
            col(&h, "seed", &plans_path)?,
            col(&h, "execute_at_s", &plans_path)?,
            col(&h, "actions", &plans_path)?,
        );
        let mut series: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        for r in &rows {
            let (p, q) = (num(&r[pred]), num(&r[real]));
            if p.is_finite() && q.is_finite() {
                series.entry(r[pol].clone()).or_default().push((p, q));
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
            let (s0, seed0) = (first[sc].clone(), first[seed].clone());
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
                policies.push(first[pol].clone());
            }
            let mut events = Vec::new();
            for r in rows.iter().filter(|r| r[sc] == s0 && r[seed] == seed0) {
                let Some(row) = policies.iter().position(|p| *p == r[pol]) else {
                    continue;
                };
                for a in r[acts].split(' ').filter(|a| !a.is_empty()) {
                    let kind = a.split(':').next().unwrap_or("").to_owned();
                    events.push((row, num(&r[exec]) / 3600.0, kind));
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
    }
    let latency_path = dir.join("latency.csv");
    if latency_path.exists() {
        let (h, rows) = read_csv(&latency_path)?;
        let (sc, pol, q, ms) = (
            col(&h, "scenario", &latency_path)?,
            col(&h, "policy", &latency_path)?,
            col(&h, "quantile", &latency_path)?,
            col(&h, "latency_ms", &latency_path)?,
        );
        let mut panels: Vec<(String, Vec<Line>)> = Vec::new();
        for r in &rows {
            if panels.last().is_none_or(|p| p.0 != r[sc]) {
                panels.push((r[sc].clone(), Vec::new()));
            }
            let lines = &mut panels.last_mut().expect("just pushed").1;
            if lines.last().is_none_or(|l| l.label != r[pol]) {
                lines.push(Line {
                    label: r[pol].clone(),
                    points: Vec::new(),
                    band: None,
                    dashed: false,
                });
            }
            lines
                .last_mut()
                .expect("just pushed")
                .points
                .push((num(&r[ms]), num(&r[q])));
        }
        written.extend(charts::render(
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
        )?);
    }
    Ok(written)
}

fn heatmap(dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let path = dir.join("shard_metrics.csv");
    let (h, rows) = read_csv(&path)?;
    let (iv, shard, load) = (
        col(&h, "interval", &path)?,
        col(&h, "shard", &path)?,
        col(&h, "offered_load", &path)?,
    );
    let mut names: Vec<String> = Vec::new();
    let mut series: Vec<Vec<f64>> = Vec::new();
    let mut interval_s = 60.0;
    let start = col(&h, "start_s", &path)?;
    for r in &rows {
        let i = r[iv].parse::<usize>().unwrap_or(0);
        if i == 1 {
            interval_s = num(&r[start]);
        }
        let s = match names.iter().position(|n| *n == r[shard]) {
            Some(s) => s,
            None => {
                names.push(r[shard].clone());
                series.push(Vec::new());
                names.len() - 1
            }
        };
        if series[s].len() <= i {
            series[s].resize(i + 1, 0.0);
        }
        series[s][i] = num(&r[load]);
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
        let (mh, mrows) = read_csv(&mpath)?;
        let (st, kind, from, to) = (
            col(&mh, "start_s", &mpath)?,
            col(&mh, "kind", &mpath)?,
            col(&mh, "from", &mpath)?,
            col(&mh, "to", &mpath)?,
        );
        for r in &mrows {
            let shard = if r[kind] == "shrink" {
                &r[from]
            } else {
                &r[to]
            };
            if let Some(s) = names.iter().position(|n| n == shard) {
                migrations.push((num(&r[st]) / 60.0, s, r[kind].clone()));
            }
        }
    }
    let scenario = std::fs::read(dir.join("manifest.json"))
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

fn forecast(dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let path = dir.join("forecast.csv");
    let (h, rows) = read_csv(&path)?;
    let (shard, t, actual, model, persistence) = (
        col(&h, "shard", &path)?,
        col(&h, "minute", &path)?,
        col(&h, "actual", &path)?,
        col(&h, "forecast", &path)?,
        col(&h, "persistence", &path)?,
    );
    let band = col(&h, "model_mae", &path)
        .ok()
        .and_then(|c| rows.first().map(|r| num(&r[c])))
        .filter(|b| b.is_finite());
    let mut panels: Vec<(String, Vec<Line>)> = Vec::new();
    for r in &rows {
        if panels.last().is_none_or(|p| p.0 != r[shard]) {
            let line = |label: &str, band: Option<f64>, dashed: bool| Line {
                label: label.to_owned(),
                points: Vec::new(),
                band,
                dashed,
            };
            panels.push((
                r[shard].clone(),
                vec![
                    line("actual", None, false),
                    line("model forecast", band, false),
                    line("persistence", None, true),
                ],
            ));
        }
        let lines = &mut panels.last_mut().expect("just pushed").1;
        let x = num(&r[t]) / 60.0;
        lines[0].points.push((x, num(&r[actual])));
        lines[1].points.push((x, num(&r[model])));
        lines[2].points.push((x, num(&r[persistence])));
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
