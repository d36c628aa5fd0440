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

/// `shardsim ARGS`, which must fail with exit 1 and no panic: its first error line.
fn refused(args: &[&str]) -> String {
    let out = shardsim_within(args, Duration::from_secs(120)).expect("it ends");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err.lines().next().unwrap_or("").to_owned()
}

/// Rows and series are checked as they are read (NaN, infinity and overflowing values by file,
/// line and column), a horizon must be whole intervals, and a damaged model file is refused by
/// its checksum instead of loading and then panicking.
#[test]
fn forecasting_inputs_are_checked_on_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    std::fs::write(
        path("small.toml"),
        FIXTURE.replace("duration = \"10m\"", "duration = \"3h\""),
    )
    .unwrap();
    let rows = path("rows.csv");
    let made = shardsim_within(
        &[
            "dataset",
            &path("small.toml"),
            "--seeds",
            "1..1",
            "--out",
            &rows,
        ],
        Duration::from_secs(300),
    )
    .expect("dataset ends");
    assert!(made.status.success(), "{}", text(&made.stderr));
    let data = std::fs::read_to_string(&rows).unwrap();
    let header: Vec<&str> = data.lines().next().unwrap().split(',').collect();
    let load_t = header.iter().position(|c| *c == "load_t").unwrap();

    // A value replaced in one row: (line, column, new value, what the error says).
    let cases = [
        (
            2,
            header.len() - 1,
            "NaN",
            "column `label`: `NaN` is not finite",
        ),
        (3, load_t, "inf", "column `load_t`: `inf` is not finite"),
        (4, load_t, "1e300", "column `load_t`: 1e300 is beyond ±1e9"),
    ];
    for (line, column, value, says) in cases {
        let mut lines: Vec<String> = data.lines().map(str::to_owned).collect();
        let mut fields: Vec<&str> = lines[line - 1].split(',').collect();
        fields[column] = value;
        lines[line - 1] = fields.join(",");
        let bad = path("bad.csv");
        std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
        let err = refused(&[
            "train",
            "--data",
            &bad,
            "--out",
            &path("x.model"),
            "--trees",
            "2",
        ]);
        assert!(err.contains(&format!("{bad}:{line}: {says}")), "{err}");
    }
    let model = path("m.model");
    let err = refused(&[
        "train",
        "--data",
        &rows,
        "--out",
        &model,
        "--trees",
        "2",
        "--interval",
        "7m",
    ]);
    assert!(
        err.contains("must be a whole number of metrics intervals"),
        "{err}"
    );
    let trained = shardsim_within(
        &["train", "--data", &rows, "--out", &model, "--trees", "2"],
        Duration::from_secs(300),
    )
    .expect("train ends");
    assert!(trained.status.success(), "{}", text(&trained.stderr));

    let series = |values: &dyn Fn(usize) -> String| {
        let mut s = String::from("time,cpu\n");
        for i in 0..2000 {
            s += &format!("{i},{}\n", values(i));
        }
        let file = path("trace.csv");
        std::fs::write(&file, s).unwrap();
        file
    };
    let evaluate = |model: &str, file: &str| {
        refused(&[
            "evaluate",
            "--model",
            model,
            "--series",
            file,
            "--column",
            "cpu",
            "--interval",
            "5m",
            "--out",
            &path("eval"),
        ])
    };
    let wave = |i: usize| format!("{:.3}", 0.5 + 0.001 * (i % 300) as f64);
    let with_nan = series(&|i| if i == 98 { "NaN".into() } else { wave(i) });
    assert!(evaluate(&model, &with_nan).contains(&format!(
        "{with_nan}:100: column `cpu`: `NaN` is not finite"
    )),);
    let with_huge = series(&|i| if i == 10 { "1e300".into() } else { wave(i) });
    assert!(evaluate(&model, &with_huge).contains(":12: column `cpu`: 1e300 is beyond"));

    let mut bytes = std::fs::read(&model).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    let damaged = path("damaged.model");
    std::fs::write(&damaged, bytes).unwrap();
    let fine = series(&wave);
    assert_eq!(
        evaluate(&damaged, &fine),
        format!("error: corrupt model file {damaged}: checksum mismatch")
    );
}
