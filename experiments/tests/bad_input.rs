//! Bad input is a clear error, never a panic or a hang: the `[monitor]` runs to the end, and the
//! broken-file corpus (`tests/broken/`) gives each file's expected error at its expected line.

mod common;

use std::time::Duration;

use common::{SMALL as FIXTURE, shardsim_within, text};

/// A run with a performance monitor ends (the monitor used to reschedule itself forever, so the
/// drain after the arrivals never finished), at a coarse and at a fine check interval.
#[test]
fn a_scenario_with_a_monitor_runs_to_completion() {
    for interval in ["1s", "30s"] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("monitored.toml");
        let scenario = format!(
            "{FIXTURE}\n[monitor]\ninterval = \"{interval}\"\nslow_factor = 1.2\nmin_executions = 5\ndemotion = \"1m\"\n"
        );
        std::fs::write(&file, scenario).unwrap();
        let out_dir = dir.path().join("out");
        let out = shardsim_within(
            &[
                "run",
                file.to_str().unwrap(),
                "--quiet",
                "--out",
                out_dir.to_str().unwrap(),
            ],
            Duration::from_secs(120),
        )
        .unwrap_or_else(|| panic!("a run with a {interval} monitor hung"));
        assert!(out.status.success(), "{interval}: {}", text(&out.stderr));
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out_dir.join("summary.json")).unwrap()).unwrap();
        assert!(
            summary["invocations"].as_u64().unwrap() > 10_000,
            "{summary}"
        );
    }
}
