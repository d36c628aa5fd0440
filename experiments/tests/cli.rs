//! The `shardsim` binary as a user meets it.

mod common;

use common::{shardsim, text};

#[test]
fn help_lists_the_subcommands() {
    let out = shardsim(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    assert!(help.contains("bench"), "{help}");
}

#[test]
fn version_is_the_crate_version() {
    let out = shardsim(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout).trim(),
        format!("shardsim {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn bench_phold_ends_with_rate_and_a_repeatable_checksum() {
    let args = [
        "bench",
        "phold",
        "--lps",
        "50",
        "--pop",
        "4",
        "--events",
        "20000",
        "--seed",
        "3",
        "--repeats",
        "2",
    ];
    let runs: Vec<String> = (0..2)
        .map(|_| {
            let out = shardsim(&args);
            assert!(out.status.success(), "{}", text(&out.stderr));
            text(&out.stdout)
        })
        .collect();
    let tail = |s: &str| -> Vec<String> { s.lines().rev().take(2).map(String::from).collect() };
    let (a, b) = (tail(&runs[0]), tail(&runs[1]));
    assert!(a[1].starts_with("events_per_sec="), "{}", runs[0]);
    let rate: f64 = a[1]["events_per_sec=".len()..].parse().expect("a number");
    assert!(rate > 0.0);
    let checksum = &a[0]["checksum=".len()..];
    assert_eq!(checksum.len(), 16);
    assert!(checksum.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(a[0], b[0], "same seed, different checksum");
}

#[test]
fn bad_settings_are_errors_not_panics() {
    let out = shardsim(&["bench", "phold", "--lps", "0"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("lps must be at least 1"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let out = shardsim(&["bench", "phold", "--lps", "many"]);
    assert_eq!(out.status.code(), Some(2), "clap's usage error code");
    assert!(text(&out.stderr).contains("--lps"));
}

#[test]
fn bench_json_is_written_atomically_and_parses() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phold.json");
    let out = shardsim(&[
        "bench",
        "phold",
        "--lps",
        "10",
        "--pop",
        "2",
        "--events",
        "1000",
        "--repeats",
        "1",
        "--json",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(report["events"], 1000);
    assert!(report["ratio_engine_over_reference"].as_f64().unwrap() > 0.0);
}

#[test]
fn bench_cluster_prints_balanced_books_then_the_rate() {
    let out = shardsim(&["bench", "cluster", "--duration", "20s", "--repeats", "1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let books = stdout
        .lines()
        .find(|l| l.starts_with("conservation:"))
        .expect("a conservation line");
    // "conservation: invocations=N = completed a + timed_out b + failed c + dropped d + in_flight e"
    let numbers: Vec<u64> = books
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 6, "{books}");
    assert_eq!(numbers[0], numbers[1..].iter().sum::<u64>(), "{books}");
    assert!(numbers[0] > 40_000, "20 s at ≈3,000/s: {books}");
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("invocations_per_sec="), "{stdout}");
}

#[test]
fn durations_are_checked() {
    let out = shardsim(&["bench", "cluster", "--duration", "5 parsecs"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("allowed ms, s, m, h, d"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bench_cluster_scaling_prints_one_row_per_size_and_routing_with_memory() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("scaling.json");
    let out = shardsim(&[
        "bench",
        "cluster",
        "--shards",
        "64,128",
        "--routing",
        "declared,least-loaded",
        "--duration",
        "10s",
        "--repeats",
        "1",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("shards"), "{stdout}");
    assert!(lines[0].contains("vs_64"), "{stdout}");
    let rows: Vec<Vec<&str>> = lines[1..5]
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let keys: Vec<(&str, &str, &str)> = rows.iter().map(|r| (r[0], r[1], r[2])).collect();
    assert_eq!(
        keys,
        [
            ("64", "20", "declared"),
            ("64", "20", "least-loaded"),
            ("128", "40", "declared"),
            ("128", "40", "least-loaded")
        ],
        "{stdout}"
    );
    assert!(stdout.contains("memory: peak RSS (VmHWM) of one fresh child process per row"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for row in rows {
        let probe = &row["memory"];
        // Each probe is its own process: it built something and ran invocations.
        assert!(
            probe["built_kib"].as_u64() > probe["start_kib"].as_u64(),
            "{row}"
        );
        assert!(
            probe["peak_live_invocations"].as_u64().unwrap() > 10,
            "{row}"
        );
        assert!(row["bytes_per_shard"].as_f64().unwrap() > 0.0, "{row}");
    }
    assert_eq!(rows[0]["ns_ratio_to_first"].as_f64(), Some(1.0));
}

#[test]
fn bench_cluster_sizes_and_rates_are_checked() {
    for (args, says) in [
        (vec!["--shards", "0"], "0 is not in 1..=100000"),
        (vec!["--shards", "64,abc"], "invalid digit"),
        (vec!["--rate=-3"], "must be a positive, finite number"),
        (vec!["--rate", "inf"], "must be a positive, finite number"),
        (vec!["--functions", "70000"], "70000 is not in 1..=65536"),
        (vec!["--routing", "declared,teleport"], "teleport"),
        (vec!["--scaling", "--shards", "64"], "cannot be used with"),
    ] {
        let mut full = vec!["bench", "cluster"];
        full.extend(&args);
        let out = shardsim(&full);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let out = shardsim(&["bench", "cluster", "--shards", "4096", "--duration", "10ms"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("allowed: at least 1 ms"),
        "{}",
        text(&out.stderr)
    );
}
