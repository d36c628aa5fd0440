"""Shared helpers for the notebooks: find the repository, run shardsim, and make sure the
outputs a notebook reads exist (generating small ones under results/notebooks/ if not)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The test command points this at an empty directory, so that the notebooks check outputs of the
# current build rather than whatever an older one left in results/.
RESULTS = Path(os.environ.get("SHARDSIM_RESULTS", ROOT / "results"))
SMALL = RESULTS / "notebooks"


def shardsim(*args: str) -> None:
    """Runs `shardsim ARGS…` from the repository root (building it first if needed)."""
    cmd = ["cargo", "run", "--release", "--quiet", "--locked", "--", *args]
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def run_dir() -> Path:
    """A `shardsim run` result: the default run's, else a 2-hour run made now."""
    for d in (RESULTS / "run", SMALL / "run"):
        if (d / "shard_metrics.csv").exists():
            return d
    d = SMALL / "run"
    shardsim("run", "market_volatility", "--duration", "2h", "--out", str(d), "--quiet", "--no-plots")
    return d


def forecast_dir() -> Path:
    """A forecaster evaluation (evaluation.json, forecast.csv) and its dataset (rows.csv)."""
    for d in (RESULTS / "forecast", SMALL / "forecast"):
        if (d / "evaluation.json").exists() and (d / "forecast.csv").exists():
            if not (d / "rows.csv").exists():
                shardsim("dataset", "market_volatility", "--seeds", "103..103", "--duration", "3h",
                         "--out", str(d / "rows.csv"))
            return d
    d = SMALL / "forecast"
    d.mkdir(parents=True, exist_ok=True)
    model = d / "load.model"
    shardsim("train", "market_volatility", "--seeds", "1..2", "--duration", "3h", "--out", str(model))
    shardsim("evaluate", "--model", str(model), "market_volatility", "--seeds", "3..3",
             "--duration", "3h", "--json", str(d / "evaluation.json"), "--out", str(d), "--no-plots")
    shardsim("dataset", "market_volatility", "--seeds", "3..3", "--duration", "3h",
             "--out", str(d / "rows.csv"))
    return d


def compare_dir() -> Path:
    """A policy comparison: the default run's, else a small one on the test fixture."""
    for d in (RESULTS / "compare", SMALL / "compare"):
        if (d / "comparison.json").exists():
            return d
    d = SMALL / "compare"
    fixture = ROOT / "experiments" / "tests" / "fixtures" / "surge.toml"
    shardsim("compare", str(fixture), "--seeds", "1..4", "--duration", "2h", "--out", str(d), "--no-plots")
    return d


def market_dir() -> Path:
    """A `shardsim run` of a market day (market.csv, calendar.csv, shard_metrics.csv): the
    macro day, 24 hours, made now unless it exists."""
    d = SMALL / "market"
    if not (d / "market.csv").exists():
        scenario = ROOT / "experiments" / "scenarios" / "macro_day.toml"
        shardsim("run", str(scenario), "--out", str(d), "--quiet", "--no-plots")
    return d
