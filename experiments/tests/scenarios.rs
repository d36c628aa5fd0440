//! Scenario files and `shardsim run`: every built-in validates and runs, broken files give their
//! specific error (file, line, field, what is allowed), and the same seed gives the same bytes.

mod common;

use std::path::Path;

use common::{SMALL as FIXTURE, files, shardsim, shardsim_env, text};

#[test]
fn scenarios_lists_the_eight_built_ins() {
    let out = shardsim(&["scenarios"]);
    assert!(out.status.success());
    let listing = text(&out.stdout);
    for name in [
        "calm_day",
        "market_volatility",
        "arbitrage_surge",
        "whale_activity",
        "protocol_launch",
        "macro_day",
        "liquidation_cascade",
        "memoryless_shocks",
    ] {
        assert!(
            listing
                .lines()
                .any(|l| l.starts_with(name) && l.len() > name.len() + 10),
            "{listing}"
        );
    }
    assert!(!listing.contains("invalid"), "{listing}");
}

#[test]
fn every_built_in_validates_at_full_size() {
    for (name, _) in shardsim::scenario::BUILT_IN {
        let out = shardsim(&["validate", name]);
        let msg = text(&out.stdout);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        assert!(msg.contains("24.0 h simulated"), "{msg}");
        let shards: u32 = msg
            .split(" shards")
            .next()
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(shards >= 64, "{name}: {shards} shards");
    }
}

#[test]
fn every_built_in_runs_shortened_and_balances_its_books() {
    let dir = tempfile::tempdir().unwrap();
    for (name, _) in shardsim::scenario::BUILT_IN {
        let out_dir = dir.path().join(name);
        let out = shardsim(&[
            "run",
            name,
            "--duration",
            "15m",
            "--quiet",
            "--out",
            out_dir.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out_dir.join("summary.json")).unwrap()).unwrap();
        for field in [
            "invocations",
            "completed",
            "timed_out",
            "failed",
            "dropped",
            "slo_violation_minutes",
            "migrations",
            "shrinks",
            "p99_latency_ms",
            "max_mean_load_ratio",
        ] {
            assert!(
                summary.get(field).is_some(),
                "{name}: summary.json lacks {field}"
            );
        }
        let n = |f: &str| summary[f].as_u64().unwrap();
        assert!(n("invocations") > 100_000, "{name}: {}", n("invocations"));
        assert_eq!(
            n("invocations"),
            n("completed") + n("timed_out") + n("failed") + n("dropped"),
            "{name}"
        );
        assert!(
            summary["validation"]["distribution_score"]
                .as_f64()
                .is_some()
        );
        let csv = std::fs::read_to_string(out_dir.join("shard_metrics.csv")).unwrap();
        let shards = summary["validation"]["shards"].as_array().unwrap().len();
        assert!(csv.lines().count() > 15 * 64 && shards >= 64, "{name}");
    }
}

fn run_files(args: &[&str], env: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    let mut full: Vec<&str> = args.to_vec();
    let out = dir.path().join("out");
    full.extend(["--quiet", "--out", out.to_str().unwrap()]);
    let result = shardsim_env(&full, env);
    assert!(result.status.success(), "{}", text(&result.stderr));
    // The charts are compared like the other files.
    files(&out)
}

#[test]
fn the_same_seed_writes_the_same_bytes_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("small.toml");
    std::fs::write(&file, FIXTURE).unwrap();
    let args = ["run", file.to_str().unwrap(), "--seed", "5"];
    let a = run_files(&args, &[]);
    let b = run_files(&args, &[("RAYON_NUM_THREADS", "1")]);
    let c = run_files(&args, &[("RAYON_NUM_THREADS", "2")]);
    let names: Vec<&str> = a.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "charts/load_heatmap.png",
            "charts/load_heatmap.svg",
            "faults.csv",
            "function_metrics.csv",
            "function_summary.csv",
            "manifest.json",
            "migrations.csv",
            "shard_metrics.csv",
            "summary.json"
        ]
    );
    assert!(a == b && b == c, "seed 5: output bytes differ between runs");
    let other = run_files(&["run", file.to_str().unwrap(), "--seed", "6"], &[]);
    assert_ne!(a, other, "seeds 5 and 6 wrote identical results");
    // No absolute paths or wall-clock times leak into the files.
    for (name, bytes) in &a {
        let t = text(bytes);
        assert!(
            !t.contains(dir.path().to_str().unwrap()),
            "{name} holds an absolute path"
        );
        assert!(!t.contains("2026-"), "{name} holds a date");
    }
    let manifest = &a.iter().find(|f| f.0 == "manifest.json").unwrap().1;
    let manifest: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    assert_eq!(
        manifest["command"],
        "shardsim run small.toml --seed 5 --routing declared --duration 10m --policy static"
    );
    assert_eq!(manifest["scenario_source"], "small.toml");
}

#[test]
fn the_fixture_validates_and_its_crash_shows_in_the_results() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("small.toml");
    std::fs::write(&file, FIXTURE).unwrap();
    let out = shardsim(&["validate", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let files = run_files(
        &["run", file.to_str().unwrap(), "--routing", "power-of-two"],
        &[],
    );
    let file_named = |name: &str| &files.iter().find(|f| f.0 == name).expect(name).1;
    let faults = text(file_named("faults.csv"));
    assert!(
        faults.contains("start: crash dex-01") && faults.contains("end: crash dex-01"),
        "{faults}"
    );
    let summary: serde_json::Value = serde_json::from_slice(file_named("summary.json")).unwrap();
    assert_eq!(summary["routing"], "power-of-two");
    assert!(summary["volatile_share"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_shaped_volatile_episode_in_the_file_reaches_the_arrivals() {
    // The same regime path (same seed, same stream) with and without a build-up and decay: the
    // shaped episodes never exceed the step's multiplier and mostly stay below it.
    let invocations = |text: &str| {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("regime.toml");
        std::fs::write(&file, text).unwrap();
        let files = run_files(&["run", file.to_str().unwrap(), "--seed", "4"], &[]);
        let summary = &files.iter().find(|f| f.0 == "summary.json").unwrap().1;
        let summary: serde_json::Value = serde_json::from_slice(summary).unwrap();
        (
            summary["invocations"].as_u64().unwrap(),
            summary["volatile_share"].as_f64().unwrap(),
        )
    };
    let shaped_text = FIXTURE.replacen(
        "volatile_multiplier = 3.0",
        "volatile_multiplier = 3.0\nonset = \"1m\"\nhalf_life = \"30s\"",
        1,
    );
    let (step, step_share) = invocations(FIXTURE);
    let (shaped, shaped_share) = invocations(&shaped_text);
    assert_eq!(
        step_share, shaped_share,
        "the episodes come and go at the same times"
    );
    assert!(step_share > 0.0);
    assert!(shaped < step, "shaped {shaped} vs step {step} invocations");
}

/// Replaces `from` with `to` in the fixture (which must contain it), writes it, validates it.
fn broken(from: &str, to: &str) -> String {
    assert!(FIXTURE.contains(from), "fixture lacks {from:?}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.toml");
    std::fs::write(&file, FIXTURE.replacen(from, to, 1)).unwrap();
    let out = shardsim(&["validate", file.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a broken file must fail validation"
    );
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    err.replace(file.to_str().unwrap(), "broken.toml")
}

fn line_of(needle: &str) -> usize {
    FIXTURE
        .lines()
        .position(|l| l.contains(needle))
        .expect("in fixture")
        + 1
}

#[test]
fn broken_scenarios_each_give_their_specific_error() {
    let cases: Vec<(String, String)> = vec![
        (
            broken(
                "cpu_slots = 4\nmemory_mb = 4096\nqueue_capacity = 100\nprotocols",
                "cpu_slot = 4\nmemory_mb = 4096\nqueue_capacity = 100\nprotocols",
            ),
            format!(
                "broken.toml:{}: field `shards.dex.cpu_slot`: unknown field `cpu_slot`, expected one of",
                line_of("cpu_slots = 4")
            ),
        ),
        (
            broken("cpu = \"low\"", "cpu = \"lowish\""),
            format!(
                "broken.toml:{}: field `functions.swap-router.cpu`: unknown variant `lowish`, expected one of `low`, `medium`, `high`, `critical`",
                line_of("cpu = \"low\"")
            ),
        ),
        (
            broken(
                "shard_by = \"protocol:uniswap\"",
                "shard_by = \"protocol:curve\"",
            ),
            format!(
                "broken.toml:{}: field `functions.swap-router.shard_by`: no shard serves protocol `curve`; protocols served: allowed: `uniswap`",
                line_of("protocol:uniswap")
            ),
        ),
        (
            broken("shard = \"dex-01\"", "shard = \"dex-09\""),
            format!(
                "broken.toml:{}: field `faults[0].shard`: unknown shard `dex-09`",
                line_of("shard = \"dex-01\"")
            ),
        ),
        (
            broken("exchange = \"coinbase\"", "exchange = \"ftx\""),
            format!(
                "broken.toml:{}: field `workload.sources.swaps.exchange`: unknown exchange `ftx`; allowed: `binance`, `okx`, `coinbase`, `kraken`, `bitstamp`",
                line_of("exchange = \"coinbase\"")
            ),
        ),
        (
            broken("duration = \"10m\"", "duration = \"10 parsecs\""),
            format!(
                "broken.toml:{}: field `scenario.duration`: unknown unit `parsecs` in `10 parsecs`: allowed ms, s, m, h, d",
                line_of("duration = \"10m\"")
            ),
        ),
        (
            broken("seed = 3", "seed = 3\nrouting = \"fastest\""),
            format!(
                "broken.toml:{}: field `scenario.routing`: unknown routing policy `fastest`; allowed: `declared`",
                line_of("seed = 3") + 1
            ),
        ),
        (
            broken("event = \"swap\"", "event = \"swop\""),
            format!(
                "broken.toml:{}: field `workload.sources.swaps.event`: no function handles `swop`; handled event types: allowed: `price_update`, `swap`",
                line_of("event = \"swap\"")
            ),
        ),
        (
            broken(
                "[[faults]]",
                "[selection]\nload = 0.5\nresources = 0.25\npriority = 0.25\naffinity = 0.2\n\n[[faults]]",
            ),
            format!(
                "broken.toml:{}: field `selection`: weights load, resources, priority, affinity must be >= 0 and sum to 1 (they sum to 1.2)",
                line_of("[[faults]]")
            ),
        ),
        (
            broken(
                "[workload.regime]",
                "[[workload.hawkes]]\nname = \"boom\"\nsources = [\"prices\"]\ndecay = \"10s\"\nself_excitation = 1.3\n\n[workload.regime]",
            ),
            // The cluster's own check, at the line of the group it is about.
            format!(
                "broken.toml:{}: field `workload.hawkes.boom.excitation`: source `boom`: branching ratio (spectral radius of excitation) is 1.300; it must be < 1 or the process explodes",
                line_of("[workload.regime]")
            ),
        ),
        (
            broken(
                "volatile_multiplier = 3.0",
                "volatile_multiplier = 3.0\nonset = \"2m\"\nhalf_life = \"0s\"",
            ),
            format!(
                "broken.toml:{}: field `workload.regime.half_life`: regime: half_life must be positive; leave it out for episodes that do not decay",
                line_of("volatile_multiplier = 3.0") + 2
            ),
        ),
        (
            broken(
                "name = \"dex\"\ncount = 4",
                "name = \"dex\"\ncount = 4\nrisk_tier = \"mega\"",
            ),
            format!(
                "broken.toml:{}: field `shards.dex.risk_tier`: unknown variant `mega`, expected one of `retail`, `institutional`, `whale`",
                line_of("name = \"dex\"") + 2
            ),
        ),
        (
            broken(
                "[[workload.sources]]\nname = \"swaps\"",
                "[[workload.sources]\nname = \"swaps\"",
            ),
            format!("broken.toml:{}:", line_of("name = \"swaps\"") - 1),
        ),
    ];
    for (got, want) in &cases {
        assert!(
            got.starts_with(&format!("error: {want}")),
            "\n got: {got}\nwant: error: {want}"
        );
    }
}

#[test]
fn a_missing_file_names_the_built_ins() {
    let out = shardsim(&["run", "no/such/file.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "no/such/file.toml: no such file, and not a built-in scenario (allowed: `calm_day`"
        ),
        "{err}"
    );
    assert!(!Path::new("results/run-file-seed1").exists());
}
