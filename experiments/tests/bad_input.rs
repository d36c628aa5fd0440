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

/// A corpus file's expectation: its path, the line the error names and the error's text.
struct Expectation {
    path: std::path::PathBuf,
    line: usize,
    text: String,
}

/// Every `tests/broken/*.toml`, with the `# line:` and `# expect:` lines it starts with.
fn corpus() -> Vec<Expectation> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let header = |key: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(key))
                    .unwrap_or_else(|| panic!("{} lacks `{key}`", path.display()))
                    .trim()
                    .to_owned()
            };
            let line = header("# line:").parse().expect("a line number");
            let text = header("# expect:");
            Expectation { path, line, text }
        })
        .collect()
}

/// Each broken file is refused (exit 1, no panic, within seconds) with its own error at its
/// own line.
#[test]
fn every_broken_file_gives_its_error_at_its_line() {
    let cases = corpus();
    assert!(cases.len() >= 60, "only {} broken files", cases.len());
    let mut wrong = Vec::new();
    for case in &cases {
        let path = case.path.to_str().unwrap();
        let out = shardsim_within(&["validate", path], Duration::from_secs(30))
            .unwrap_or_else(|| panic!("validate {path} hung"));
        let err = text(&out.stderr);
        assert!(!err.contains("panicked"), "{path}: {err}");
        let want = format!("error: {path}:{}: {}", case.line, case.text);
        let got = err.lines().next().unwrap_or("");
        if out.status.code() != Some(1) || got != want {
            wrong.push(format!("\n got: {got}\nwant: {want}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} files:{}",
        wrong.len(),
        cases.len(),
        wrong.concat()
    );
}
