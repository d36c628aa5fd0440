//! `shardsim compare`: paired runs, the comparison files, thread-count independence, errors.

mod common;

use std::process::Output;

use common::{files, fixture, shardsim_env, text};

fn compare(extra: &[&str], env: &[(&str, &str)]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let fixture = fixture("surge.toml");
    let mut args = vec![
        "compare",
        fixture.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ];
    args.extend(extra);
    (shardsim_env(&args, env), dir)
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let args = [
        "--seeds",
        "1..3",
        "--policies",
        "static,reactive,oracle",
        "--duration",
        "90m",
    ];
    let (one, d1) = compare(&args, &[("RAYON_NUM_THREADS", "1")]);
    let (two, d2) = compare(&args, &[("RAYON_NUM_THREADS", "2")]);
    assert!(one.status.success(), "{}", text(&one.stderr));
    assert!(two.status.success(), "{}", text(&two.stderr));
    let (a, b) = (files(d1.path()), files(d2.path()));
    let names: Vec<&str> = a.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "comparison.csv",
        "comparison.json",
        "latency.csv",
        "plans.csv",
        "runs.csv",
        "charts/slo_violation_minutes.png",
        "charts/slo_violation_minutes.svg",
        "charts/latency_cdf.svg",
        "charts/migration_timeline.png",
        "charts/predicted_vs_realised.svg",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    // Charts included: the same bytes, whatever the thread count.
    assert!(
        a == b,
        "seeds 1..3: output bytes differ between 1 and 2 threads"
    );
    let runs = &a.iter().find(|f| f.0 == "runs.csv").unwrap().1;
    let runs = String::from_utf8(runs.clone()).unwrap();
    assert_eq!(runs.lines().count(), 1 + 3 * 3, "{runs}");
}

#[test]
fn predictive_trains_its_own_model_on_other_seeds_and_the_table_has_every_figure() {
    let (out, dir) = compare(&["--seeds", "1..3", "--duration", "2h"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("training one on seeds 4..7 (disjoint from the compared seeds)"),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("comparison.json")).unwrap())
            .unwrap();
    let scenario = &json["scenarios"][0];
    assert_eq!(scenario["scenario"], "surge");
    let policies = scenario["policies"].as_array().unwrap();
    let names: Vec<&str> = policies
        .iter()
        .map(|p| p["policy"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["static", "reactive", "predictive", "oracle"]);
    for p in policies {
        for field in ["slo_violation_minutes", "p99_latency_ms", "migrations"] {
            assert!(p[field].as_f64().is_some(), "{field} in {p}");
        }
        assert_eq!(p["runs"], 3);
    }
    assert!(scenario.get("oracle_gap_closed").is_some());
    // Planning ahead beats doing nothing on this fixture, seed for seed on average.
    let slo = |name: &str| {
        policies.iter().find(|p| p["policy"] == name).unwrap()["slo_violation_minutes"]
            .as_f64()
            .unwrap()
    };
    assert!(slo("predictive") < slo("static"), "{json}");
    assert!(slo("oracle") < slo("static"), "{json}");
    // Every plan was scored by forking: predicted and realised benefits are recorded.
    let plans = std::fs::read_to_string(dir.path().join("plans.csv")).unwrap();
    let header = plans.lines().next().unwrap();
    assert!(header.contains("predicted") && header.contains("realised"));
    assert!(
        plans.lines().skip(1).all(|l| !l.ends_with(",,,")),
        "{plans}"
    );
}

#[test]
fn mistakes_are_clear_errors() {
    for (args, expect) in [
        (
            vec!["--policies", "static,clairvoyant"],
            "unknown migration policy `clairvoyant`: allowed are static, reactive, predictive, oracle, performance",
        ),
        (
            vec!["--policies", "static,oracle"],
            "--reference reactive is not among --policies static,oracle",
        ),
        (
            vec!["--seeds", "1..5", "--train-seeds", "5..8"],
            "training seed 5 is also compared: the seeds must be disjoint",
        ),
        (
            vec!["--seeds", "1..2", "--model", "/nonexistent/m.model"],
            "reading model /nonexistent/m.model",
        ),
    ] {
        let (out, _dir) = compare(&args, &[]);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains(expect), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}
